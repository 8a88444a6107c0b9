//! `--format github`: GitHub Actions workflow commands, which the runner turns into annotations
//! on the pull request's lines. Paths are printed as walked, i.e. relative to where the tool ran,
//! which in a workflow is the checkout.
use std::{
    io::{self, Write},
    path::Path,
};

use super::{count, Printer, Report};
use crate::finding::Severity;

pub struct Github;

/// GitHub shows at most this many annotations of each level (error, warning, notice) a step.
pub const ANNOTATIONS_PER_LEVEL: usize = 10;
/// How many findings the step summary lists.
const SUMMARY_FINDINGS: usize = 20;

/// The findings, most severe first (then as scanned: by path and position).
fn by_severity<'a>(report: &'a Report) -> Vec<&'a crate::finding::Finding> {
    let mut sorted: Vec<_> = report.findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    sorted
}

impl Printer for Github {
    fn print(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let mut shown = [0usize; 3];
        let mut left = Vec::new();
        for f in by_severity(report) {
            let n = &mut shown[f.severity as usize];
            if *n == ANNOTATIONS_PER_LEVEL {
                left.push(f);
                continue;
            }
            *n += 1;
            writeln!(
                out,
                "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                command(f.severity),
                property(&report.location(f)),
                f.start.line,
                f.start.column,
                f.end.line,
                f.end.column,
                property(&format!("keap-migrate {}", f.rule)),
                data(&report.message(f)),
            )?;
        }
        if !left.is_empty() {
            // Past the cap the runner drops annotations silently: the log keeps them as text.
            writeln!(
                out,
                "keap-migrate: {} not annotated (GitHub shows {ANNOTATIONS_PER_LEVEL} of each level a step); all are in the SARIF report, counted in the step summary:",
                count(left.len(), "finding")
            )?;
            for f in left {
                writeln!(
                    out,
                    "{}:{}:{} {} {} {}",
                    report.location(f),
                    f.start.line,
                    f.start.column,
                    f.severity,
                    f.rule,
                    data(&report.message(f))
                )?;
            }
        }
        let s = report.summary;
        for (file, line) in &s.unused_ignores {
            writeln!(
                out,
                "::notice file={},line={line},title=keap-migrate::unused keap-migrate: ignore",
                property(&report.paths.of(file, &path(file))),
            )?;
        }
        for e in &s.stale {
            writeln!(
                out,
                "::warning title=keap-migrate::{}",
                data(&format!(
                    "stale baseline entry: {} in {} ({})",
                    e.rule, e.path, e.fingerprint
                )),
            )?;
        }
        for e in &s.errors {
            writeln!(out, "::error title=keap-migrate::{}", data(e))?;
        }
        writeln!(
            out,
            "keap-migrate: {}, {} ignored inline, {} known from the baseline",
            count(report.findings.len(), "finding"),
            s.ignored,
            s.baselined,
        )
    }
}

/// The Markdown that `$GITHUB_STEP_SUMMARY` receives: counts by rule and severity, the first
/// findings, what to do next.
pub fn step_summary(report: &Report) -> String {
    let mut md = String::from("## keap-migrate\n\n");
    let s = report.summary;
    md += &format!(
        "{} in {} scanned; {} ignored inline, {} known from the baseline.\n\n",
        count(report.findings.len(), "finding"),
        count(s.files_scanned, "file"),
        s.ignored,
        s.baselined
    );
    if !report.findings.is_empty() {
        md += "| rule | severity | findings |\n|---|---|---|\n";
        let mut rows: Vec<(&str, Severity, usize)> = Vec::new();
        for f in report.findings {
            match rows.iter_mut().find(|r| r.0 == f.rule && r.1 == f.severity) {
                Some(r) => r.2 += 1,
                None => rows.push((&f.rule, f.severity, 1)),
            }
        }
        rows.sort_by_key(|r| (std::cmp::Reverse(r.1), r.0));
        for (rule, severity, n) in rows {
            md += &format!("| `{rule}` | {severity} | {n} |\n");
        }
        md += "\n| where | severity | rule | message |\n|---|---|---|---|\n";
        let sorted = by_severity(report);
        for f in sorted.iter().take(SUMMARY_FINDINGS) {
            md += &format!(
                "| `{}:{}` | {} | `{}` | {} |\n",
                cell(&report.location(f)),
                f.start.line,
                f.severity,
                f.rule,
                cell(&report.message(f))
            );
        }
        if sorted.len() > SUMMARY_FINDINGS {
            md += &format!(
                "\n{} more in the SARIF report (or `keap-migrate scan --format json`).\n",
                count(sorted.len() - SUMMARY_FINDINGS, "finding")
            );
        }
        md += "\n**Next:** `keap-migrate diff` previews the migration of the PHP code, \
               `keap-migrate apply` makes it; rotate every key listed as hardcoded (a key in git \
               history stays readable); `keap-migrate explain RULE` says what a rule means; \
               `keap-migrate baseline -o FILE` records findings you accept for now.\n";
    }
    for e in &s.errors {
        md += &format!("\n- error: {}\n", cell(e));
    }
    md
}

/// Text for a Markdown table cell: no line break, no column separator.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\r', '\n'], " ")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

fn path(p: &Path) -> String {
    let shown = p.display().to_string();
    match shown.strip_prefix("./") {
        Some(rest) => rest.to_string(),
        None => shown,
    }
}

/// A command's message: `%`, CR and LF are escaped, or the runner would cut it.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as a message, and `:` and `,` too, which delimit properties.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a,b:c.php"), "a%2Cb%3Ac.php");
        assert_eq!(path(Path::new("./src/a.php")), "src/a.php");
    }
}
