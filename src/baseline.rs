//! Known findings: a file of today's findings, so a scan reports only new ones. Entries are
//! keyed by rule, path and the finding's fingerprint (a hash, never the secret, never the line),
//! sorted, with no timestamp, so recording it twice gives the same bytes.
//!
//! Version 2 names files from the top of their git work tree, as the fingerprint does, so a
//! baseline recorded from one directory matches a scan of another. Version 1 named them from the
//! scanned root and hashed that path; its files are still read and matched that way.
use std::{
    collections::{BTreeSet, HashSet},
    fs,
    path::Path,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    error::{Error, Result},
    finding::{redact, Finding},
    scan::{Reach, Scan},
};

/// The version this keap-migrate writes.
pub const VERSION: u32 = 2;
/// Paths from the scanned root, fingerprints that hash them.
const VERSION_1: u32 = 1;

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
            path: finding.repo_rel.clone(),
            fingerprint: finding.fingerprint.clone(),
        }
    }

    /// The entry a version-1 baseline would hold for the finding: its path from the scanned
    /// root, and the fingerprint that hashed it. `None` where `recorded` has no entry of that
    /// rule and path, so nothing could match.
    fn of_version_1(finding: &Finding, recorded: &HashSet<(&str, &str)>) -> Option<Entry> {
        if !recorded.contains(&(finding.rule.as_str(), finding.rel.as_str())) {
            return None;
        }
        let fingerprint = if finding.rel == finding.repo_rel {
            finding.fingerprint.clone()
        } else {
            finding.fingerprint_at(&finding.rel)
        };
        Some(Entry {
            rule: finding.rule.clone(),
            path: finding.rel.clone(),
            fingerprint,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u32,
    entries: Vec<Entry>,
}

#[derive(Debug, PartialEq)]
pub struct Baseline {
    version: u32,
    entries: BTreeSet<Entry>,
}

impl Baseline {
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        Baseline {
            version: VERSION,
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
            v if *v != VERSION && *v != VERSION_1 => {
                return Err(bad(format!(
                    "version {v} is not supported (this keap-migrate reads versions {VERSION_1} and {VERSION}, and writes version {VERSION})"
                )))
            }
            _ => {}
        }
        let doc: Document = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        Ok(Baseline {
            version: doc.version,
            entries: doc.entries.into_iter().collect(),
        })
    }

    /// The file's bytes: pretty JSON, entries sorted, one trailing newline.
    pub fn to_json(&self) -> String {
        let doc = Document {
            version: self.version,
            entries: self.entries.iter().cloned().collect(),
        };
        let mut json = serde_json::to_string_pretty(&doc).expect("a baseline serialises");
        json.push('\n');
        json
    }

    /// Drops the findings the baseline knows and records, in the scan's summary, how many and
    /// which entries matched nothing. An entry is stale only if the scan could have found it: a
    /// partial scan (staged, `--since`) must have read the entry's file, a scan of part of the
    /// repository must have covered the entry's place.
    pub fn apply(&self, scan: &mut Scan) {
        let legacy = self.version == VERSION_1;
        // A version-1 fingerprint hashed the path from the scanned root: made again only for a
        // finding the file might know (the rule and that path recorded), as it is stretched.
        let recorded: HashSet<(&str, &str)> = if legacy {
            self.entries
                .iter()
                .map(|e| (e.rule.as_str(), e.path.as_str()))
                .collect()
        } else {
            HashSet::new()
        };
        let mut matched = BTreeSet::new();
        scan.findings.retain(|f| {
            let entry = if legacy {
                Entry::of_version_1(f, &recorded)
            } else {
                Some(Entry::of(f))
            };
            match entry {
                Some(entry) if self.entries.contains(&entry) => {
                    matched.insert(entry);
                    false
                }
                _ => true,
            }
        });
        scan.summary.baselined = matched.len();
        let reach = &scan.reach;
        scan.summary.stale = self
            .entries
            .iter()
            .filter(|e| !matched.contains(*e))
            .filter(|e| match reach {
                // Version 1 knows no more than the paths a partial scan read from its root.
                Reach::Files { rel, .. } if legacy => rel.contains(&e.path),
                _ if legacy => true,
                _ => reach.covers(&e.path),
            })
            .cloned()
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::finding::{Basis, Matched, Position, Secret, Severity};

    /// A finding at `repo_rel` from the repository's top and `rel` from the scanned root, its
    /// fingerprint made as the scan makes it.
    fn found(rule: &str, rel: &str, repo_rel: &str, secret: &str) -> Finding {
        let basis = Basis::new(Matched::Secret(&Secret::new(secret)), 0);
        Finding {
            fingerprint: basis.fingerprint(rule, repo_rel),
            basis,
            repo_rel: repo_rel.into(),
            ..finding(rule, rel, "")
        }
    }

    fn finding(rule: &str, rel: &str, fingerprint: &str) -> Finding {
        Finding {
            rule: rule.into(),
            severity: Severity::Error,
            path: PathBuf::from(rel),
            rel: rel.into(),
            repo_rel: rel.into(),
            start: Position { line: 1, column: 1 },
            end: Position { line: 1, column: 2 },
            span: 0..1,
            message: String::new(),
            secret: None,
            fingerprint: fingerprint.into(),
            basis: Basis::new(Matched::Text(""), 0),
        }
    }

    fn load(json: &str) -> Result<Baseline> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        fs::write(&path, json).unwrap();
        Baseline::load(&path)
    }

    #[test]
    fn the_file_is_sorted_and_round_trips() {
        let baseline = Baseline::from_findings(&[
            finding("legacy-endpoint", "b.php", "22"),
            finding("hardcoded-key", "b.php", "11"),
            finding("hardcoded-key", "a.php", "33"),
        ]);
        let json = baseline.to_json();
        assert!(json.contains("\"version\": 2,"), "{json}");
        let order: Vec<usize> = ["\"33\"", "\"11\"", "\"22\""]
            .iter()
            .map(|fp| json.find(fp).unwrap())
            .collect();
        assert!(order.is_sorted(), "{json}");
        assert_eq!(load(&json).unwrap(), baseline);
    }

    #[test]
    fn entries_name_files_from_the_repository_top() {
        // Scanned as `src/`: the finding is `keap.php` from the root, `src/keap.php` from the top.
        let f = found("hardcoded-key", "keap.php", "src/keap.php", "k");
        let json = Baseline::from_findings(&[f]).to_json();
        assert!(json.contains("\"path\": \"src/keap.php\""), "{json}");
    }

    #[test]
    fn unknown_versions_and_fields_are_refused() {
        let err = load(r#"{"version": 3, "entries": []}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("version 3"), "{err}");
        assert!(err.contains("versions 1 and 2"), "{err}");
        let line = r#"{"version": 1, "entries": [{"rule": "r", "path": "p", "fingerprint": "f", "line": 3}]}"#;
        assert!(load(line).unwrap_err().to_string().contains("line"));
        let v2 = line.replace("\"version\": 1", "\"version\": 2");
        assert!(load(&v2).unwrap_err().to_string().contains("line"));
    }

    #[test]
    fn a_version_1_file_is_kept_as_written() {
        let json = "{\n  \"version\": 1,\n  \"entries\": []\n}\n";
        assert_eq!(load(json).unwrap().to_json(), json);
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
        partial.reach = Reach::Files {
            rel: ["a.php".to_string()].into(),
            repo_rel: ["a.php".to_string()].into(),
        };
        baseline.apply(&mut partial);
        assert_eq!(partial.summary.stale.len(), 1);
        assert_eq!(partial.summary.stale[0].path, "a.php");
    }

    #[test]
    fn a_scan_of_a_subtree_calls_stale_only_what_is_under_it() {
        let baseline = Baseline::from_findings(&[
            finding("hardcoded-key", "src/a.php", "11"),
            finding("hardcoded-key", "src/gone.php", "22"),
            finding("hardcoded-key", "srcs/b.php", "33"),
            finding("hardcoded-key", "lib/c.php", "44"),
            finding("hardcoded-key", "keap.php", "55"),
        ]);
        let mut scan = Scan::new(
            vec![finding("hardcoded-key", "src/a.php", "11")],
            Default::default(),
        );
        scan.reach = Reach::Under(vec!["src".into(), "keap.php".into()]);
        baseline.apply(&mut scan);
        let stale: Vec<&str> = scan.summary.stale.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(stale, ["keap.php", "src/gone.php"]);
    }

    #[test]
    fn a_version_1_file_matches_by_the_path_from_the_scanned_root() {
        // Recorded by an older keap-migrate from `src/`: path and fingerprint from that root.
        let old = Basis::new(Matched::Secret(&Secret::new("k")), 0);
        let json = format!(
            r#"{{"version": 1, "entries": [
                {{"rule": "hardcoded-key", "path": "keap.php", "fingerprint": "{}"}},
                {{"rule": "hardcoded-key", "path": "gone.php", "fingerprint": "{}"}}
            ]}}"#,
            old.fingerprint("hardcoded-key", "keap.php"),
            old.fingerprint("hardcoded-key", "gone.php"),
        );
        let baseline = load(&json).unwrap();
        let f = found("hardcoded-key", "keap.php", "src/keap.php", "k");
        assert_ne!(f.fingerprint, old.fingerprint("hardcoded-key", "keap.php"));
        let new = found("hardcoded-key", "keap.php", "src/keap.php", "another");
        let new_fingerprint = new.fingerprint.clone();
        let mut scan = Scan::new(vec![f, new], Default::default());
        scan.reach = Reach::Under(vec!["src".into()]);
        baseline.apply(&mut scan);
        assert_eq!(scan.summary.baselined, 1);
        let left: Vec<&str> = scan
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        assert_eq!(left, [new_fingerprint.as_str()]);
        // Its paths are from the scanned root: a full scan of it saw gone.php's place.
        let stale: Vec<&str> = scan.summary.stale.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(stale, ["gone.php"]);
    }
}
