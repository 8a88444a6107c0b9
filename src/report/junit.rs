//! `--format junit`: JUnit XML for CI systems that show test reports. One failing test case per
//! finding; files that could not be read are test cases in error. A clean scan gives one passing
//! test case, because some CI systems reject a report with no test at all. No timings, so the
//! same tree gives the same bytes.
use std::io::{self, Write};

use super::{Printer, Report};

pub struct Junit;

impl Printer for Junit {
    fn print(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let s = report.summary;
        let failures = report.findings.len();
        let errors = s.errors.len();
        let tests = (failures + errors).max(1);
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="keap-migrate" tests="{tests}" failures="{failures}" errors="{errors}">"#
        )?;
        writeln!(
            out,
            r#"  <testsuite name="keap-migrate" tests="{tests}" failures="{failures}" errors="{errors}" skipped="0">"#
        )?;
        for f in report.findings {
            let location = format!("{}:{}:{}", f.rel, f.start.line, f.start.column);
            writeln!(
                out,
                r#"    <testcase classname="keap-migrate.{}" name="{}" file="{}" line="{}">"#,
                escape(&f.rule),
                escape(&location),
                escape(&report.location(f)),
                f.start.line,
            )?;
            let message = report.message(f);
            writeln!(
                out,
                r#"      <failure type="{}" message="{}">{} {} {}: {}</failure>"#,
                escape(&f.rule),
                escape(&message),
                f.severity,
                escape(&f.rule),
                escape(&f.location()),
                escape(&message),
            )?;
            writeln!(out, "    </testcase>")?;
        }
        for e in &s.errors {
            writeln!(
                out,
                r#"    <testcase classname="keap-migrate" name="read error"><error message="{}"/></testcase>"#,
                escape(e)
            )?;
        }
        if failures + errors == 0 {
            writeln!(
                out,
                r#"    <testcase classname="keap-migrate" name="no finding"/>"#
            )?;
        }
        let notes: Vec<String> = s
            .stale
            .iter()
            .map(|e| {
                format!(
                    "stale baseline entry: {} in {} ({})",
                    e.rule, e.path, e.fingerprint
                )
            })
            .chain(s.unused_ignores.iter().map(|(path, line)| {
                format!("unused keap-migrate: ignore at {}:{line}", path.display())
            }))
            .collect();
        if !notes.is_empty() {
            writeln!(
                out,
                "    <system-out>{}</system-out>",
                escape(&notes.join("\n"))
            )?;
        }
        writeln!(out, "  </testsuite>")?;
        writeln!(out, "</testsuites>")
    }
}

/// Text for an attribute or element. Characters XML 1.0 cannot hold at all (most control
/// characters, which a path may contain) become U+FFFD.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_the_xml_well_formed() {
        assert_eq!(
            escape("a<b & \"c\"\n\u{1}"),
            "a&lt;b &amp; &quot;c&quot;&#10;\u{FFFD}"
        );
    }
}
