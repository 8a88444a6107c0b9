//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it. Locations are relative to the
//! repository's top (`%SRCROOT%`) whatever path was scanned; results carry the finding's
//! fingerprint so an alert follows its code across edits; rules carry the tags, precision and
//! security-severity code scanning ranks by; at most `MAX_RESULTS` results, the most severe first;
//! secrets appear only as `Report::secret` gives them.
use std::io::{self, Write};

use serde_json::{json, Value};

use super::{rule_url, Printer, Report, REPO_URL};
use crate::finding::Finding;

pub struct Sarif;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The `partialFingerprints` key; its version changes only if fingerprints stop matching.
const FINGERPRINT: &str = "keapMigrateFingerprint/v1";
/// GitHub code scanning refuses a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

/// The finding's fix as SARIF replacements (byte ranges of the file as scanned). The inserted
/// text of a migration never holds the key it removes; any secret in it is redacted all the same.
fn fixes(report: &Report, f: &Finding) -> Option<Value> {
    let suggestion = report.fixes.get(&f.fingerprint)?;
    let replacements: Vec<Value> = suggestion
        .edits
        .iter()
        .map(|e| {
            let mut text = e.text.clone();
            if let (Some(secret), false) = (&f.secret, report.show_secrets) {
                text = text.replace(secret.expose(), &secret.redacted());
            }
            json!({
                "deletedRegion": {"byteOffset": e.range.start, "byteLength": e.range.len()},
                "insertedContent": {"text": text},
            })
        })
        .collect();
    Some(json!([{
        "description": {"text": "keap-migrate apply"},
        "artifactChanges": [{
            "artifactLocation": {"uri": uri(&report.location(f)), "uriBaseId": "%SRCROOT%"},
            "replacements": replacements,
        }],
    }]))
}

impl Printer for Sarif {
    fn print(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let rules: Vec<Value> = report
            .rules
            .rules
            .iter()
            .map(|r| {
                let url = rule_url(&r.id);
                json!({
                    "id": r.id,
                    "name": pascal_case(&r.id),
                    "shortDescription": {"text": r.title},
                    "fullDescription": {"text": r.help},
                    "help": {
                        "text": r.help,
                        "markdown": format!("{}\n\n[keap-migrate: {}]({url})", r.help, r.id),
                    },
                    "helpUri": url,
                    "defaultConfiguration": {"level": r.severity.as_str()},
                    "properties": {
                        "tags": r.sarif_tags(),
                        "precision": r.precision.as_str(),
                        "security-severity": r.security_severity(),
                    },
                })
            })
            .collect();
        // Over GitHub's limit, the most severe findings are the ones kept.
        let mut shown: Vec<&Finding> = report.findings.iter().collect();
        if shown.len() > MAX_RESULTS {
            shown.sort_by_key(|f| std::cmp::Reverse(f.severity));
            shown.truncate(MAX_RESULTS);
        }
        let left_out = report.findings.len() - shown.len();
        let results: Vec<Value> = shown
            .into_iter()
            .map(|f| {
                let index = report.rules.rules.iter().position(|r| r.id == f.rule);
                let mut result = json!({
                    "ruleId": f.rule,
                    "ruleIndex": index,
                    "level": f.severity.as_str(),
                    "message": {"text": report.message(f)},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri(&report.location(f)), "uriBaseId": "%SRCROOT%"},
                            "region": {
                                "startLine": f.start.line,
                                "startColumn": f.start.column,
                                "endLine": f.end.line,
                                "endColumn": f.end.column,
                            },
                        },
                    }],
                    "partialFingerprints": {FINGERPRINT: f.fingerprint},
                });
                if let Some(fixes) = fixes(report, f) {
                    result["fixes"] = fixes;
                }
                // Code scanning shows a result's properties; the commit is where to look.
                let mut properties = serde_json::Map::new();
                if let Some(o) = report.origins.of(f) {
                    properties.insert("commit".into(), json!(o.first.id));
                    properties.insert("author".into(), json!(o.first.author));
                    properties.insert("date".into(), json!(o.first.date));
                    properties.insert("lastCommit".into(), json!(o.last.id));
                    properties.insert("lastDate".into(), json!(o.last.date));
                    properties.insert("commits".into(), json!(o.commits));
                    properties.insert("inHead".into(), json!(o.in_head));
                }
                if let Some(l) = report.verified.of(f) {
                    properties.insert("verified".into(), json!(l.as_str()));
                }
                if !properties.is_empty() {
                    result["properties"] = Value::Object(properties);
                }
                result
            })
            .collect();
        let s = report.summary;
        let notifications: Vec<Value> = s
            .errors
            .iter()
            .map(|e| notification("error", e.clone()))
            .chain((left_out > 0).then(|| {
                notification(
                    "warning",
                    format!(
                        "{left_out} more findings are not in this report: GitHub code scanning takes at most {MAX_RESULTS} results a run (`--format json` lists all)"
                    ),
                )
            }))
            .chain(s.stale.iter().map(|e| {
                notification(
                    "warning",
                    format!(
                        "stale baseline entry: {} in {} ({})",
                        e.rule, e.path, e.fingerprint
                    ),
                )
            }))
            .chain(s.unused_ignores.iter().map(|(path, line)| {
                notification(
                    "note",
                    format!("unused keap-migrate: ignore at {}:{line}", path.display()),
                )
            }))
            .collect();
        let mut invocation = json!({"executionSuccessful": s.errors.is_empty()});
        if !notifications.is_empty() {
            invocation["toolExecutionNotifications"] = json!(notifications);
        }
        let doc = json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "keap-migrate",
                        "version": env!("CARGO_PKG_VERSION"),
                        "informationUri": REPO_URL,
                        "rules": rules,
                    },
                },
                "originalUriBaseIds": {
                    "%SRCROOT%": {"description": {"text": "The top of the git repository scanned (the scanned root outside one)."}},
                },
                "columnKind": "unicodeCodePoints",
                "invocations": [invocation],
                "results": results,
            }],
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}

/// SARIF wants a rule name that reads as an identifier: `hardcoded-key` → `HardcodedKey`.
fn pascal_case(id: &str) -> String {
    id.split(['-', '_'])
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
        })
        .collect()
}

fn notification(level: &str, text: String) -> Value {
    json!({"level": level, "message": {"text": text}})
}

/// A relative path as a URI reference: every byte outside the unreserved set and `/` is
/// percent-encoded (a `:` in the first segment would otherwise read as a scheme).
fn uri(rel: &str) -> String {
    let mut out = String::with_capacity(rel.len());
    for b in rel.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("src/keap.php"), "src/keap.php");
        assert_eq!(uri("a b/c:d%é.php"), "a%20b/c%3Ad%25%C3%A9.php");
        assert_eq!(pascal_case("legacy-vendor-login"), "LegacyVendorLogin");
    }
}
