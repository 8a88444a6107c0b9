//! `scan --history`: keys that a commit added and a later one removed, on every branch, each
//! reported once with its commits, through every format without leaking it.
use std::{fs, path::Path};

use keap_migrate::Exit;

use crate::{git, json, run, write};

/// Added on main and removed in the next commit; added again on `old-branch` in two commits.
const REMOVED_KEY: &str = "f3c1ec21596fcc3a0c506a88163e0948";
/// Only ever on the `feature` branch, added then removed.
const BRANCH_SAK: &str = "KeapAK-86a4ef07f2cc55d19923f182b9c16f949c7ab03ed9afdf416a";
/// Still in HEAD.
const HEAD_KEY: &str = "5e0710e0331bbcf30558fdc9fcc3050f";
/// Behind an inline ignore in the only version that had it.
const IGNORED_KEY: &str = "e641a8253ebb3fd3d8cbd180812094b5";
const SECRETS: &[&str] = &[REMOVED_KEY, BRANCH_SAK, HEAD_KEY, IGNORED_KEY];
const FORMATS: &[&str] = &["text", "json", "sarif", "github", "junit"];

fn php_key(key: &str) -> String {
    format!("<?php\ndefine('INFUSIONSOFT_API_KEY', '{key}');\n")
}

/// Commits a minute after the commit before, whatever the clock says: first and last are by
/// commit time, and a test's commits would all fall in the same second.
fn commit(root: &Path, message: &str) -> String {
    static MINUTES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = MINUTES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let date = format!("{} +0000", 1_700_000_000 + 60 * n);
    git(root, &["add", "-A"]);
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=keap-migrate tests",
            "-c",
            "user.email=tests@example.invalid",
        ])
        .args(["-c", "commit.gpgsign=false", "commit", "-q", "-m", message])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(root, &["rev-parse", "HEAD"]).trim().to_string()
}

struct Repo {
    dir: tempfile::TempDir,
    added: String,
    removed: String,
    branch_added: String,
    old_branch_last: String,
}

/// main: key added, removed, a key that stays, an ignored one; `feature`: a SAK added and
/// removed; `old-branch`: the removed key again, in two commits.
fn repo() -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "src/keap.php", &php_key(REMOVED_KEY));
    let added = commit(root, "add the client");
    write(
        root,
        "src/keap.php",
        "<?php\ndefine('INFUSIONSOFT_API_KEY', getenv('KEAP_API_KEY'));\n",
    );
    let removed = commit(root, "read the key from the environment");
    write(root, "config/keap.php", &php_key(HEAD_KEY));
    write(
        root,
        "test/keap.php",
        &format!(
            "<?php\n// keap-migrate: ignore[hardcoded-key]\ndefine('INFUSIONSOFT_API_KEY', '{IGNORED_KEY}');\n"
        ),
    );
    commit(root, "config");
    git(root, &["checkout", "-q", "-b", "feature", &removed]);
    write(root, ".env", &format!("KEAP_API_KEY={BRANCH_SAK}\n"));
    let branch_added = commit(root, "sak");
    write(root, ".env", "KEAP_API_KEY=\n");
    commit(root, "no sak");
    git(root, &["checkout", "-q", "-b", "old-branch", &removed]);
    write(root, "lib/old.php", &php_key(REMOVED_KEY));
    commit(root, "old copy");
    write(root, "lib/old.php", &(php_key(REMOVED_KEY) + "// edited\n"));
    let old_branch_last = commit(root, "old copy edited");
    git(root, &["rm", "-q", "lib/old.php"]);
    commit(root, "old copy gone");
    git(root, &["checkout", "-q", "main"]);
    Repo {
        dir,
        added,
        removed,
        branch_added,
        old_branch_last,
    }
}

fn history(root: &Path, extra: &[&str]) -> (Exit, serde_json::Value) {
    let run = run(&[
        &[
            "scan",
            "--history",
            root.to_str().unwrap(),
            "--format",
            "json",
        ],
        extra,
    ]
    .concat());
    assert_ne!(run.exit, Exit::Error, "{}", run.err);
    (run.exit, json(&run))
}

fn by_secret<'d>(doc: &'d serde_json::Value, prefix: &str) -> Vec<&'d serde_json::Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["secret"].as_str().unwrap().starts_with(prefix))
        .collect()
}

#[test]
fn keys_removed_later_are_found_on_every_branch_once_each() {
    let repo = repo();
    let root = repo.dir.path();
    // The work tree has one key left; the history has three more.
    let tree = json(&run(&["scan", root.to_str().unwrap(), "--format", "json"]));
    assert_eq!(tree["findings"].as_array().unwrap().len(), 1, "{tree:#}");

    let (exit, doc) = history(root, &["--show-secrets"]);
    assert_eq!(exit, Exit::Findings);
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3, "{doc:#}");

    let removed = by_secret(&doc, REMOVED_KEY);
    assert_eq!(removed.len(), 1, "one finding for a key in three commits");
    let removed = removed[0];
    assert_eq!(removed["commit"], repo.added.as_str());
    assert_eq!(removed["relative_path"], "src/keap.php");
    assert_eq!(removed["commits"], 3);
    assert_eq!(removed["last_commit"], repo.old_branch_last.as_str());
    assert_eq!(removed["in_head"], false);
    assert_eq!(removed["author"], "keap-migrate tests");
    assert!(removed["date"].as_str().unwrap().contains('T'));
    let message = removed["message"].as_str().unwrap();
    assert!(
        message.contains("removed, still in history: rotate it"),
        "{message}"
    );
    assert!(message.contains(&repo.added[..10]), "{message}");

    let sak = by_secret(&doc, BRANCH_SAK);
    assert_eq!(sak.len(), 1);
    assert_eq!(sak[0]["commit"], repo.branch_added.as_str());
    assert_eq!(sak[0]["relative_path"], ".env");
    assert_eq!(sak[0]["in_head"], false);

    let head = by_secret(&doc, HEAD_KEY);
    assert_eq!(head[0]["in_head"], true);
    assert!(!head[0]["message"].as_str().unwrap().contains("removed"));

    assert!(by_secret(&doc, IGNORED_KEY).is_empty());
    assert_eq!(doc["summary"]["ignored"], 1);
    // `removed` itself adds nothing secret.
    assert_ne!(removed["last_commit"], repo.removed.as_str());
}

#[test]
fn log_opts_narrow_the_commits() {
    let repo = repo();
    let root = repo.dir.path();
    let (_, doc) = history(root, &["--log-opts", "main", "--show-secrets"]);
    assert!(by_secret(&doc, BRANCH_SAK).is_empty(), "{doc:#}");
    let removed = by_secret(&doc, REMOVED_KEY);
    assert_eq!(removed[0]["commits"], 1);
    let (_, doc) = history(
        root,
        &["--log-opts", "feature --not main", "--show-secrets"],
    );
    let found: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(found, [BRANCH_SAK]);
}

#[test]
fn no_format_of_a_history_scan_prints_a_secret() {
    let repo = repo();
    let root = repo.dir.path().to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    for format in FORMATS {
        let printed = run(&["scan", "--history", root, "--format", format]);
        assert_eq!(printed.exit, Exit::Findings, "{format}: {}", printed.err);
        assert!(
            printed.out.contains("…("),
            "{format} shows redacted secrets"
        );
        assert!(
            printed.out.contains("rotate it"),
            "{format} says what to do"
        );
        let file = out.path().join(format!("report.{format}"));
        let to_file = run(&[
            "scan",
            "--history",
            root,
            "--format",
            format,
            "-o",
            file.to_str().unwrap(),
        ]);
        let written = fs::read_to_string(&file).unwrap();
        for secret in SECRETS {
            for (what, text) in [
                ("stdout", &printed.out),
                ("stderr", &printed.err),
                ("--output", &written),
                ("stderr with --output", &to_file.err),
            ] {
                assert!(!text.contains(secret), "{format} {what} leaks {secret}");
            }
        }
        let shown = run(&[
            "scan",
            "--history",
            root,
            "--format",
            format,
            "--show-secrets",
        ]);
        assert!(shown.out.contains(REMOVED_KEY), "{format} --show-secrets");
    }
}

#[test]
fn sarif_results_carry_the_commit() {
    let repo = repo();
    let run = run(&[
        "scan",
        "--history",
        repo.dir.path().to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    let doc = json(&run);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let commits: Vec<&str> = results
        .iter()
        .map(|r| r["properties"]["commit"].as_str().unwrap())
        .collect();
    assert!(commits.contains(&repo.added.as_str()), "{commits:?}");
    assert!(commits.contains(&repo.branch_added.as_str()), "{commits:?}");
    assert!(results
        .iter()
        .all(|r| r["properties"]["inHead"].is_boolean()));
}

#[test]
fn a_baseline_of_the_tree_knows_the_key_still_in_head() {
    let repo = repo();
    let root = repo.dir.path();
    let baseline = root.join("baseline.json");
    fs::write(&baseline, run(&["baseline", root.to_str().unwrap()]).out).unwrap();
    let (_, doc) = history(
        root,
        &["--baseline", baseline.to_str().unwrap(), "--show-secrets"],
    );
    assert!(by_secret(&doc, HEAD_KEY).is_empty(), "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 1);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);
}

#[test]
fn a_missing_blob_is_reported_and_the_scan_goes_on() {
    let repo = repo();
    let root = repo.dir.path();
    // A blob of its own, in a commit of its own, then gone from the object store (what a
    // partial clone or a mirror without its largest files looks like).
    write(root, "big.bin.txt", "a file whose blob goes missing\n");
    commit(root, "a file");
    let blob = git(root, &["rev-parse", "HEAD:big.bin.txt"]);
    let blob = blob.trim();
    fs::remove_file(root.join(".git/objects").join(&blob[..2]).join(&blob[2..])).unwrap();
    let run = run(&[
        "scan",
        "--history",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        run.exit,
        Exit::Error,
        "an incomplete scan says so in its exit code"
    );
    let doc = json(&run);
    let errors = doc["summary"]["errors"].as_array().unwrap();
    assert!(errors[0].as_str().unwrap().contains("1 blob"), "{errors:?}");
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        3,
        "the other blobs were scanned"
    );
}

#[test]
fn history_needs_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let run = run(&["scan", "--history", dir.path().to_str().unwrap()]);
    assert_eq!(run.exit, Exit::Error);
    assert!(run.err.contains("not a git repository"), "{}", run.err);
}
