//! `--format json`: a stable, sorted document. No timings, so the same tree gives the same bytes.
use std::io::{self, Write};

use serde_json::{json, Value};

use super::{Printer, Report};

pub struct Json;

pub const VERSION: u32 = 1;

impl Printer for Json {
    fn print(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let findings: Vec<Value> = report
            .findings
            .iter()
            .map(|f| {
                json!({
                    "rule": f.rule,
                    "severity": f.severity,
                    "path": f.path.display().to_string(),
                    "relative_path": f.rel,
                    "line": f.start.line,
                    "column": f.start.column,
                    "end_line": f.end.line,
                    "end_column": f.end.column,
                    "start_byte": f.span.start,
                    "end_byte": f.span.end,
                    "message": f.message,
                    "secret": report.secret(f),
                    "fingerprint": f.fingerprint,
                })
            })
            .collect();
        let s = report.summary;
        let skipped: serde_json::Map<String, Value> = s
            .skipped
            .iter()
            .map(|(reason, paths)| {
                (
                    reason.as_str().replace(' ', "_"),
                    json!(paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()),
                )
            })
            .collect();
        let doc = json!({
            "version": VERSION,
            "findings": findings,
            "summary": {
                "findings": report.findings.len(),
                "by_rule": report.by_rule(),
                "by_severity": report.by_severity(),
                "files_scanned": s.files_scanned,
                "bytes_scanned": s.bytes_scanned,
                "skipped": skipped,
                "not_utf8": s.not_utf8.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "errors": s.errors,
                "ignored": s.ignored,
                "unused_ignores": s
                    .unused_ignores
                    .iter()
                    .map(|(path, line)| format!("{}:{line}", path.display()))
                    .collect::<Vec<_>>(),
                "baselined": s.baselined,
                "stale_baseline": s.stale,
            }
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}
