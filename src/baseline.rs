//! Known findings: a file of today's findings, so a scan reports only new ones. Entries are
//! keyed by rule, relative path and the finding's fingerprint (a hash, never the secret, never
//! the line), sorted, with no timestamp, so recording it twice gives the same bytes.
use std::{collections::BTreeSet, fs, path::Path};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    error::{Error, Result},
    finding::{redact, Finding},
    scan::Scan,
};

pub const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
}

impl Entry {
    fn of(finding: &Finding) -> Entry {
        Entry {
            rule: finding.rule.clone(),
            path: finding.rel.clone(),
            fingerprint: finding.fingerprint.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u32,
    entries: Vec<Entry>,
}

#[derive(Debug, Default, PartialEq)]
pub struct Baseline {
    entries: BTreeSet<Entry>,
}

impl Baseline {
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        Baseline {
            entries: findings.iter().map(Entry::of).collect(),
        }
    }

    pub fn load(path: &Path) -> Result<Baseline> {
        let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        // serde's message quotes a value of the wrong type, which may be a pasted key.
        let bad = |message: String| Error::Baseline {
            path: path.to_path_buf(),
            message: redact(&message),
        };
        let value: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        // serde would take arrays for objects (`[1, []]` as a document): only objects are read.
        let shaped = value
            .as_object()
            .is_some_and(|doc| match doc.get("entries") {
                Some(Value::Array(entries)) => entries.iter().all(Value::is_object),
                Some(_) => false,
                None => true, // said below, with the other missing fields
            });
        if !shaped {
            return Err(bad(format!(
                "not a keap-migrate baseline: expected {{\"version\": {VERSION}, \"entries\": [{{\"rule\", \"path\", \"fingerprint\"}}, …]}}"
            )));
        }
        // The version first: another version's fields would only be reported as unknown.
        match &value["version"] {
            Value::Null => return Err(bad("no `version`".into())),
            v if *v != VERSION => {
                return Err(bad(format!(
                    "version {v} is not supported (this keap-migrate writes version {VERSION})"
                )))
            }
            _ => {}
        }
        let doc: Document = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        Ok(Baseline {
            entries: doc.entries.into_iter().collect(),
        })
    }

    /// The file's bytes: pretty JSON, entries sorted, one trailing newline.
    pub fn to_json(&self) -> String {
        let doc = Document {
            version: VERSION,
            entries: self.entries.iter().cloned().collect(),
        };
        let mut json = serde_json::to_string_pretty(&doc).expect("a baseline serialises");
        json.push('\n');
        json
    }

    /// Drops the findings the baseline knows and records, in the scan's summary, how many and
    /// which entries matched nothing. A partial scan (staged, `--since`) can only call an entry
    /// stale when it looked at the entry's file.
    pub fn apply(&self, scan: &mut Scan) {
        let mut matched = BTreeSet::new();
        scan.findings.retain(|f| {
            let entry = Entry::of(f);
            let known = self.entries.contains(&entry);
            if known {
                matched.insert(entry);
            }
            !known
        });
        scan.summary.baselined = matched.len();
        scan.summary.stale = self
            .entries
            .iter()
            .filter(|e| !matched.contains(*e))
            .filter(|e| scan.only.as_ref().is_none_or(|only| only.contains(&e.path)))
            .cloned()
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::finding::{Position, Severity};

    fn finding(rule: &str, rel: &str, fingerprint: &str) -> Finding {
        Finding {
            rule: rule.into(),
            severity: Severity::Error,
            path: PathBuf::from(rel),
            rel: rel.into(),
            start: Position { line: 1, column: 1 },
            end: Position { line: 1, column: 2 },
            span: 0..1,
            message: String::new(),
            secret: None,
            fingerprint: fingerprint.into(),
            basis: crate::finding::Basis::new(crate::finding::Matched::Text(""), 0),
        }
    }

    #[test]
    fn the_file_is_sorted_and_round_trips() {
        let baseline = Baseline::from_findings(&[
            finding("legacy-endpoint", "b.php", "22"),
            finding("hardcoded-key", "b.php", "11"),
            finding("hardcoded-key", "a.php", "33"),
        ]);
        let json = baseline.to_json();
        let order: Vec<usize> = ["\"33\"", "\"11\"", "\"22\""]
            .iter()
            .map(|fp| json.find(fp).unwrap())
            .collect();
        assert!(order.is_sorted(), "{json}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        fs::write(&path, &json).unwrap();
        assert_eq!(Baseline::load(&path).unwrap(), baseline);
    }

    #[test]
    fn unknown_versions_and_fields_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        fs::write(&path, r#"{"version": 2, "entries": []}"#).unwrap();
        assert!(Baseline::load(&path)
            .unwrap_err()
            .to_string()
            .contains("version 2"));
        fs::write(
            &path,
            r#"{"version": 1, "entries": [{"rule": "r", "path": "p", "fingerprint": "f", "line": 3}]}"#,
        )
        .unwrap();
        assert!(Baseline::load(&path)
            .unwrap_err()
            .to_string()
            .contains("line"));
    }

    #[test]
    fn known_findings_drop_and_stale_entries_are_listed() {
        let baseline = Baseline::from_findings(&[
            finding("hardcoded-key", "a.php", "11"),
            finding("hardcoded-key", "gone.php", "22"),
        ]);
        let mut scan = Scan::new(
            vec![
                finding("hardcoded-key", "a.php", "11"),
                finding("hardcoded-key", "a.php", "44"),
            ],
            Default::default(),
        );
        baseline.apply(&mut scan);
        assert_eq!(scan.findings.len(), 1);
        assert_eq!(scan.findings[0].fingerprint, "44");
        assert_eq!(scan.summary.baselined, 1);
        assert_eq!(scan.summary.stale.len(), 1);
        assert_eq!(scan.summary.stale[0].path, "gone.php");

        // A partial scan that did not read gone.php cannot tell that its entry is stale.
        let mut partial = Scan::new(Vec::new(), Default::default());
        partial.only = Some(["a.php".to_string()].into());
        baseline.apply(&mut partial);
        assert_eq!(partial.summary.stale.len(), 1);
        assert_eq!(partial.summary.stale[0].path, "a.php");
    }
}
