//! Human output: findings grouped by file, then a summary.
use std::io::{self, Write};

use super::{count, Printer, Report};
use crate::{cli::Verbosity, finding::Severity};

pub struct Text {
    pub color: bool,
    pub verbosity: Verbosity,
}

impl Text {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::Error => "1;31",
        Severity::Warning => "33",
        Severity::Note => "36",
    }
}

impl Printer for Text {
    fn print(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let mut current = None;
        for f in report.findings {
            if current != Some(&f.path) {
                if current.is_some() {
                    writeln!(out)?;
                }
                writeln!(out, "{}", self.paint("1;35", &f.path.display().to_string()))?;
                current = Some(&f.path);
            }
            let severity = format!("{:<7}", f.severity.as_str());
            write!(
                out,
                "  {}:{}  {}  {}  {}",
                f.start.line,
                f.start.column,
                self.paint(severity_colour(f.severity), &severity),
                self.paint("1", &f.rule),
                f.message
            )?;
            if let Some(secret) = report.secret(f) {
                write!(out, "  {secret}")?;
            }
            writeln!(out)?;
        }
        if self.verbosity == Verbosity::Quiet {
            return Ok(());
        }
        if current.is_some() {
            writeln!(out)?;
        }
        summary(report, out, self.verbosity)?;
        let mut files: Vec<&str> = report.fixes.values().map(|s| s.rel.as_str()).collect();
        files.sort();
        files.dedup();
        if !files.is_empty() {
            writeln!(
                out,
                "hint: `keap-migrate diff` previews the migration for {}; `keap-migrate apply` makes it",
                count(files.len(), "file")
            )?;
        } else if report.unplanned {
            writeln!(
                out,
                "hint: `keap-migrate diff` previews the migration; `keap-migrate apply` makes it"
            )?;
        }
        Ok(())
    }
}

fn summary(report: &Report, out: &mut dyn Write, verbosity: Verbosity) -> io::Result<()> {
    let s = report.summary;
    let files_with = {
        let mut paths: Vec<_> = report.findings.iter().map(|f| &f.path).collect();
        paths.dedup();
        paths.len()
    };
    let rules: Vec<String> = report
        .by_rule()
        .iter()
        .map(|(rule, n)| format!("{rule} {n}"))
        .collect();
    write!(
        out,
        "{} in {}",
        count(report.findings.len(), "finding"),
        count(files_with, "file")
    )?;
    if !rules.is_empty() {
        write!(out, " ({})", rules.join(", "))?;
    }
    writeln!(out)?;
    let skipped: usize = s.skipped.values().map(Vec::len).sum();
    write!(
        out,
        "{} scanned ({:.1} MB), {skipped} skipped",
        count(s.files_scanned, "file"),
        s.bytes_scanned as f64 / 1e6
    )?;
    if skipped > 0 {
        let why: Vec<String> = s
            .skipped
            .iter()
            .map(|(reason, paths)| format!("{} {}", paths.len(), reason.as_str()))
            .collect();
        write!(out, " ({})", why.join(", "))?;
    }
    writeln!(out, " in {:.2}s", s.elapsed.as_secs_f64())?;
    let listed = if verbosity == Verbosity::Verbose {
        usize::MAX
    } else {
        10
    };
    for (reason, paths) in &s.skipped {
        for path in paths.iter().take(listed) {
            writeln!(out, "skipped ({}): {}", reason.as_str(), path.display())?;
        }
        if paths.len() > listed {
            writeln!(
                out,
                "skipped ({}): … and {} more (-v lists them all)",
                reason.as_str(),
                paths.len() - listed
            )?;
        }
    }
    for path in &s.not_utf8 {
        writeln!(
            out,
            "not UTF-8, scanned with invalid bytes replaced: {}",
            path.display()
        )?;
    }
    if s.ignored > 0 || s.baselined > 0 {
        writeln!(
            out,
            "not reported: {} ignored inline, {} known from the baseline",
            s.ignored, s.baselined
        )?;
    }
    for (path, line) in &s.unused_ignores {
        writeln!(out, "unused ignore: {}:{line}", path.display())?;
    }
    for e in &s.stale {
        writeln!(
            out,
            "stale baseline entry: {} in {} ({})",
            e.rule, e.path, e.fingerprint
        )?;
    }
    for e in &s.errors {
        writeln!(out, "error: {e}")?;
    }
    Ok(())
}
