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

impl Printer for Github {
    fn print(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        for f in report.findings {
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
