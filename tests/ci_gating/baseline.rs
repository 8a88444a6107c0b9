//! Baselines: recorded once, they survive edits above a finding, report only new findings,
//! and name the entries that no longer match anything.
use std::{fs, path::Path};

use keap_migrate::Exit;

use crate::{json, run, write};

const SAK: &str = "KeapAK-164ff0376606c2ff46b71f34bc23ce2a02d668e4002923d9f3";
const NEW_SAK: &str = "KeapAK-cd6edcc543ec9b32913a4afa470463c32792545acc3b76f94b";

const CLIENT: &str = "<?php
$key = getenv('KEAP_SAK') ?: 'KEY';
$client = new xmlrpc_client('https://ab123.infusionsoft.com/api/xmlrpc');
";

fn client() -> String {
    CLIENT.replace("KEY", SAK)
}

fn scan(root: &Path, extra: &[&str]) -> (Exit, serde_json::Value) {
    let root = root.to_str().unwrap();
    let run = run(&[&["scan", root, "--format", "json"], extra].concat());
    (run.exit, json(&run))
}

/// Records a baseline of `root` in its usual place; checks it holds `entries` findings.
fn record(root: &Path, entries: usize) -> String {
    let file = root.join(".keap-migrate-baseline.json");
    let run = run(&[
        "baseline",
        root.to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.exit, Exit::Clean, "{}", run.err);
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("\"rule\"").count(), entries, "{text}");
    file.to_str().unwrap().to_string()
}

#[test]
fn the_file_is_stable_sorted_and_has_no_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b/client.php", &client());
    write(dir.path(), "a/client.php", &client());
    let root = dir.path().to_str().unwrap();
    let first = run(&["baseline", root]).out;
    let second = run(&["baseline", root]).out;
    assert_eq!(first, second);
    let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["version"], 1);
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    let keys: Vec<(String, String)> = entries
        .iter()
        .map(|e| (e["rule"].to_string(), e["path"].to_string()))
        .collect();
    assert!(keys.is_sorted(), "{keys:?}");
    for entry in entries {
        let fields: Vec<&String> = entry.as_object().unwrap().keys().collect();
        assert_eq!(fields, ["fingerprint", "path", "rule"]);
    }
}

#[test]
fn findings_survive_an_edit_above_them() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/client.php", &client());
    let baseline = record(dir.path(), 2);

    let edited = client().replacen(
        "<?php\n",
        "<?php\n// Keap client, moved here from lib/.\nrequire 'vendor/autoload.php';\n\n",
        1,
    );
    write(dir.path(), "src/client.php", &edited);
    let (exit, doc) = scan(dir.path(), &["--baseline", &baseline]);
    assert_eq!(exit, Exit::Clean, "{doc:#}");
    assert_eq!(doc["findings"], serde_json::json!([]));
    assert_eq!(doc["summary"]["baselined"], 2);
    assert_eq!(doc["summary"]["stale_baseline"], serde_json::json!([]));

    // A new key is reported, alone.
    write(
        dir.path(),
        "src/client.php",
        &format!("{edited}$other = '{NEW_SAK}';\n"),
    );
    let (exit, doc) = scan(dir.path(), &["--baseline", &baseline]);
    assert_eq!(exit, Exit::Findings);
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{doc:#}");
    assert_eq!(findings[0]["line"], 7);
    assert_eq!(findings[0]["rule"], "hardcoded-key");
}

#[test]
fn stale_entries_are_reported_and_can_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/client.php", &client());
    let baseline = record(dir.path(), 2);

    // The key is gone (moved to the environment); the endpoint is still there.
    write(
        dir.path(),
        "src/client.php",
        &CLIENT.replace("?: 'KEY'", ""),
    );
    let (exit, doc) = scan(dir.path(), &["--baseline", &baseline]);
    assert_eq!(exit, Exit::Clean, "{doc:#}");
    let stale = doc["summary"]["stale_baseline"].as_array().unwrap();
    assert_eq!(stale.len(), 1, "{doc:#}");
    assert_eq!(stale[0]["rule"], "hardcoded-key");
    assert_eq!(stale[0]["path"], "src/client.php");

    let (exit, _) = scan(
        dir.path(),
        &["--baseline", &baseline, "--fail-on-stale-baseline"],
    );
    assert_eq!(exit, Exit::Findings);

    let text = run(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--baseline",
        &baseline,
    ]);
    assert!(
        text.out
            .contains("stale baseline entry: hardcoded-key in src/client.php"),
        "{}",
        text.out
    );

    // Recording again drops the stale entry.
    record(dir.path(), 1);
    let (exit, doc) = scan(
        dir.path(),
        &["--baseline", &baseline, "--fail-on-stale-baseline"],
    );
    assert_eq!(exit, Exit::Clean, "{doc:#}");
}

#[test]
fn a_broken_baseline_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/client.php", &client());
    write(dir.path(), "b.json", "{\"version\": 1}");
    let root = dir.path().to_str().unwrap();
    let b = dir.path().join("b.json");
    let run = run(&["scan", root, "--baseline", b.to_str().unwrap()]);
    assert_eq!(run.exit, Exit::Error);
    assert!(run.err.contains("entries"), "{}", run.err);
    let missing = crate::run(&["scan", root, "--baseline", "/nonexistent/b.json"]);
    assert_eq!(missing.exit, Exit::Error);
    let stale_alone = crate::run(&["scan", root, "--fail-on-stale-baseline"]);
    assert_eq!(stale_alone.exit, Exit::Error, "needs --baseline");
}
