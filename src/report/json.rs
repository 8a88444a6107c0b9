//! `--format json`: a stable, sorted document. No timings, so the same tree gives the same bytes.
use std::io::{self, Write};

use serde::{Serialize, Serializer};
use serde_json::{json, Value};

use super::{Printer, Report};
use crate::finding::Severity;

pub struct Json;

pub const VERSION: u32 = 1;

/// One finding as the document shows it. The fields are in alphabetical order, the order of
/// every other object in the document; each is written as it goes, so a file with a million
/// findings does not become a million JSON trees first.
#[derive(Serialize)]
struct FindingJson<'a> {
    /// The first commit's author, date and id (`--history`).
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    /// How many commits added it.
    #[serde(skip_serializing_if = "Option::is_none")]
    commits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    end_byte: usize,
    end_column: usize,
    end_line: usize,
    fingerprint: &'a str,
    /// Whether HEAD still holds it (`--history`).
    #[serde(skip_serializing_if = "Option::is_none")]
    in_head: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_commit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_date: Option<&'a str>,
    line: usize,
    message: &'a str,
    path: String,
    relative_path: &'a str,
    rule: &'a str,
    secret: Option<String>,
    severity: Severity,
    start_byte: usize,
    /// `live`, `revoked` or `unknown` (`--verify`).
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<&'static str>,
}

struct Findings<'a>(&'a Report<'a>);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let report = self.0;
        serializer.collect_seq(report.findings.iter().map(|f| {
            let origin = report.origins.of(f);
            FindingJson {
                author: origin.map(|o| o.first.author.as_str()),
                column: f.start.column,
                commit: origin.map(|o| o.first.id.as_str()),
                commits: origin.map(|o| o.commits),
                date: origin.map(|o| o.first.date.as_str()),
                end_byte: f.span.end,
                end_column: f.end.column,
                end_line: f.end.line,
                fingerprint: &f.fingerprint,
                in_head: origin.map(|o| o.in_head),
                last_commit: origin.map(|o| o.last.id.as_str()),
                last_date: origin.map(|o| o.last.date.as_str()),
                line: f.start.line,
                message: &f.message,
                path: f.path.display().to_string(),
                relative_path: &f.rel,
                rule: &f.rule,
                secret: report.secret(f),
                severity: f.severity,
                start_byte: f.span.start,
                verified: report.verified.of(f).map(|l| l.as_str()),
            }
        }))
    }
}

#[derive(Serialize)]
struct Document<'a> {
    findings: Findings<'a>,
    summary: Value,
    version: u32,
}

impl Printer for Json {
    fn print(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
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
        let summary = json!({
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
        });
        let doc = Document {
            findings: Findings(report),
            summary,
            version: VERSION,
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}
