//! Baselines: recorded once, they survive edits above a finding, report only new findings,
//! and name the entries that no longer match anything.
use std::{fs, path::Path};

use keap_migrate::Exit;

use crate::{git, json, run, support, write};

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
    assert_eq!(doc["version"], 2);
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

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    dir
}

/// A repository with two clients: `src/client.php` (two findings) and `lib/other.php` (two).
fn two_clients() -> tempfile::TempDir {
    let dir = repo();
    write(dir.path(), "src/client.php", &client());
    write(dir.path(), "lib/other.php", &CLIENT.replace("KEY", NEW_SAK));
    dir
}

/// The built binary in `dir`, its JSON report.
fn scan_in(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = support::bin(&[&["scan", "--format", "json"], args].concat(), dir);
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", support::text(&out.stderr)));
    (out.status.code().unwrap(), doc)
}

fn paths(list: &serde_json::Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e[key].as_str().unwrap().to_string())
        .collect()
}

fn entry_paths(file: &Path) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(doc["version"], 2, "{doc:#}");
    paths(&doc["entries"], "path")
}

#[test]
fn a_baseline_recorded_from_a_subdirectory_matches_a_scan_of_the_top() {
    let dir = two_clients();
    let root = dir.path();
    let b = root.join("b.json");
    let b = b.to_str().unwrap();
    let src = root.join("src");
    let recorded = run(&["baseline", src.to_str().unwrap(), "-o", b]);
    assert_eq!(recorded.exit, Exit::Clean, "{}", recorded.err);
    // Named from the repository's top, not from `src/`.
    assert_eq!(entry_paths(Path::new(b)), ["src/client.php"; 2]);

    // The top: src/'s findings are known, lib/'s are new, nothing is stale.
    let (exit, doc) = scan(root, &["--baseline", b, "--fail-on-stale-baseline"]);
    assert_eq!(exit, Exit::Findings, "{doc:#}");
    assert_eq!(
        paths(&doc["findings"], "relative_path"),
        ["lib/other.php"; 2]
    );
    assert_eq!(doc["summary"]["baselined"], 2);
    assert_eq!(doc["summary"]["stale_baseline"], serde_json::json!([]));

    // The same from inside src/, by the tool run there.
    let (code, doc) = scan_in(&src, &["--baseline", b, "--fail-on-stale-baseline"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 2);
    assert_eq!(doc["findings"], serde_json::json!([]));
}

#[test]
fn a_baseline_recorded_at_the_top_matches_a_scan_run_from_a_subdirectory() {
    let dir = two_clients();
    let root = dir.path();
    let out = support::bin(&["baseline", "-o", "b.json"], root);
    assert!(out.status.success(), "{}", support::text(&out.stderr));
    let b = root.join("b.json");
    let b = b.to_str().unwrap();
    assert_eq!(
        entry_paths(Path::new(b)),
        [
            "lib/other.php",
            "src/client.php",
            "lib/other.php",
            "src/client.php"
        ]
    );

    // Run in src/: its findings are known; lib/'s entries are outside what it scanned, so
    // they are not stale.
    let src = root.join("src");
    let (code, doc) = scan_in(&src, &["--baseline", b, "--fail-on-stale-baseline"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 2);
    assert_eq!(doc["summary"]["stale_baseline"], serde_json::json!([]));
    // A path below the top given from the top, and a file given alone (as pre-commit does).
    for scanned in ["src", "src/client.php"] {
        let (code, doc) = scan_in(
            root,
            &["--baseline", b, "--fail-on-stale-baseline", scanned],
        );
        assert_eq!(code, 0, "{scanned}: {doc:#}");
        assert_eq!(doc["summary"]["baselined"], 2, "{scanned}");
    }

    // The key leaves src/client.php: that entry is stale, and still none of lib/'s.
    write(root, "src/client.php", &CLIENT.replace("?: 'KEY'", ""));
    let (code, doc) = scan_in(&src, &["--baseline", b, "--fail-on-stale-baseline"]);
    assert_eq!(code, 1, "{doc:#}");
    let stale = &doc["summary"]["stale_baseline"];
    assert_eq!(paths(stale, "path"), ["src/client.php"], "{doc:#}");
    assert_eq!(stale[0]["rule"], "hardcoded-key");
    // The whole tree still finds lib/'s findings known.
    let (exit, doc) = scan(root, &["--baseline", b]);
    assert_eq!(exit, Exit::Clean, "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 3);
    assert_eq!(
        paths(&doc["summary"]["stale_baseline"], "path"),
        ["src/client.php"]
    );
}

#[test]
fn a_version_1_baseline_still_matches_the_root_it_was_recorded_from() {
    // An older keap-migrate recorded `src/`: paths and fingerprints from that root. Outside a
    // repository this version writes the same entries, under version 2.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/client.php", &client());
    let src = root.join("src");
    let src = src.to_str().unwrap();
    let recorded = run(&["baseline", src]);
    let old = recorded.out.replace("\"version\": 2", "\"version\": 1");
    assert_ne!(old, recorded.out);
    let b = root.join("b.json");
    fs::write(&b, &old).unwrap();
    let b = b.to_str().unwrap();
    // The tree becomes a repository: findings are now named, and fingerprinted, from its top.
    git(root, &["init", "-q"]);
    let (_, plain) = scan(Path::new(src), &[]);
    for f in plain["findings"].as_array().unwrap() {
        let fingerprint = f["fingerprint"].as_str().unwrap();
        assert!(!old.contains(fingerprint), "{fingerprint} is in {old}");
    }

    let (exit, doc) = scan(
        Path::new(src),
        &["--baseline", b, "--fail-on-stale-baseline"],
    );
    assert_eq!(exit, Exit::Clean, "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 2);
    assert_eq!(doc["findings"], serde_json::json!([]));

    // Its paths are from the root it was recorded from: from the top they name other files.
    let (exit, doc) = scan(root, &["--baseline", b]);
    assert_eq!(exit, Exit::Findings, "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 0);
    assert_eq!(
        paths(&doc["summary"]["stale_baseline"], "path"),
        ["client.php"; 2]
    );

    // Recording again writes version 2, which matches from either place.
    let rerecorded = run(&["baseline", src, "-o", b]);
    assert_eq!(rerecorded.exit, Exit::Clean, "{}", rerecorded.err);
    assert_eq!(entry_paths(Path::new(b)), ["src/client.php"; 2]);
    let (exit, doc) = scan(root, &["--baseline", b, "--fail-on-stale-baseline"]);
    assert_eq!(exit, Exit::Clean, "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 2);
}

#[test]
fn a_staged_scan_of_a_subdirectory_calls_stale_only_what_it_read() {
    let dir = two_clients();
    let root = dir.path();
    write(root, "src/util.php", &CLIENT.replace("KEY", SAK));
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "clients"]);
    let b = root.join("b.json");
    let b = b.to_str().unwrap();
    let recorded = run(&["baseline", root.to_str().unwrap(), "-o", b]);
    assert_eq!(recorded.exit, Exit::Clean, "{}", recorded.err);

    // src/client.php loses its key, staged; src/util.php and lib/ are not touched.
    write(root, "src/client.php", &CLIENT.replace("?: 'KEY'", ""));
    git(root, &["add", "src/client.php"]);
    let src = root.join("src");
    let (exit, doc) = scan(&src, &["--staged", "--baseline", b]);
    assert_eq!(exit, Exit::Clean, "{doc:#}");
    assert_eq!(doc["summary"]["files_scanned"], 1);
    assert_eq!(doc["summary"]["baselined"], 1, "the endpoint is known");
    let stale = &doc["summary"]["stale_baseline"];
    assert_eq!(paths(stale, "path"), ["src/client.php"], "{doc:#}");
    assert_eq!(stale[0]["rule"], "hardcoded-key");
}
