//! `scan --staged` and `scan --since`, in git repositories the tests create.
use std::path::Path;

use keap_migrate::Exit;

use crate::{git, json, run, write};

const STAGED_SAK: &str = "KeapAK-3a2e4c3d5ae2b1da6f0c6e9e08c3f79b1f60b6da5c0d9f3ba1";
const WORKTREE_SAK: &str = "KeapAK-9b0f5d0fe2b5d1e36a4c7ab4f02ee9c04b7a35e1b6c50d2f7e";
const LEGACY_KEY: &str = "b899d4a76d6e2d85e632a79251acf355";
const NEW_LEGACY_KEY: &str = "f246743763bc4933e96cf8095eba5190";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    dir
}

fn scan(root: &Path, extra: &[&str]) -> (Exit, serde_json::Value) {
    let run = run(&[&["scan", root.to_str().unwrap(), "--format", "json"], extra].concat());
    assert_ne!(run.exit, Exit::Error, "{}", run.err);
    (run.exit, json(&run))
}

fn lines(doc: &serde_json::Value) -> Vec<(String, u64)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["relative_path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn staged_scans_read_the_index_not_the_work_tree() {
    let dir = repo();
    let root = dir.path();
    write(root, ".env", &format!("KEAP_API_KEY={STAGED_SAK}\n"));
    git(root, &["add", ".env"]);
    // The work tree no longer has the key, but the commit would.
    write(root, ".env", "KEAP_API_KEY=\n");
    // An untracked file is not part of the commit.
    write(root, "notes.env.txt", &format!("{WORKTREE_SAK}\n"));

    // Before the first commit every staged file counts.
    let (exit, doc) = scan(root, &["--staged"]);
    assert_eq!(exit, Exit::Findings);
    assert_eq!(lines(&doc), [(".env".to_string(), 1)]);
    assert_eq!(
        doc["findings"][0]["path"],
        root.join(".env").to_str().unwrap()
    );

    git(root, &["commit", "-q", "-m", "first"]);
    let (exit, doc) = scan(root, &["--staged"]);
    assert_eq!(exit, Exit::Clean, "nothing staged: {doc:#}");
    assert_eq!(doc["summary"]["files_scanned"], 0);

    // A staged edit of an unrelated file does not bring up the committed key.
    write(root, "README.md", "# app\n");
    git(root, &["add", "README.md"]);
    let (exit, _) = scan(root, &["--staged"]);
    assert_eq!(exit, Exit::Clean);
}

#[test]
fn staged_scans_use_ignores_baselines_and_excludes() {
    let dir = repo();
    let root = dir.path();
    write(
        root,
        "src/keap.php",
        &format!("<?php\ndefine('INFUSIONSOFT_API_KEY', '{LEGACY_KEY}');\n"),
    );
    write(
        root,
        "vendor/isdk.php",
        &format!("<?php\ndefine('INFUSIONSOFT_API_KEY', '{NEW_LEGACY_KEY}');\n"),
    );
    write(root, "keap-migrate.toml", "exclude = [\"vendor/**\"]\n");
    git(root, &["add", "."]);
    let baseline = root.join("baseline.json");
    let recorded = run(&["baseline", root.to_str().unwrap()]);
    std::fs::write(&baseline, recorded.out).unwrap();

    let (exit, doc) = scan(
        root,
        &["--staged", "--baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(exit, Exit::Clean, "{doc:#}");
    assert_eq!(doc["summary"]["baselined"], 1);

    // A new key in a staged edit, and one marked as a known test value.
    write(
        root,
        "src/keap.php",
        &format!(
            "<?php\ndefine('INFUSIONSOFT_API_KEY', '{LEGACY_KEY}');\n\
             define('INFUSIONSOFT_OTHER_KEY', '{NEW_LEGACY_KEY}');\n\
             // keap-migrate: ignore[hardcoded-key]\n\
             define('INFUSIONSOFT_TEST_KEY', '{NEW_LEGACY_KEY}');\n"
        ),
    );
    git(root, &["add", "src/keap.php"]);
    let (exit, doc) = scan(
        root,
        &["--staged", "--baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(exit, Exit::Findings);
    assert_eq!(lines(&doc), [("src/keap.php".to_string(), 3)]);
    assert_eq!(doc["summary"]["ignored"], 1);
}

#[test]
fn since_reports_only_added_lines() {
    let dir = repo();
    let root = dir.path();
    let old = format!(
        "<?php\n$client = new xmlrpc_client('https://ab123.infusionsoft.com/api/xmlrpc');\n\
         define('INFUSIONSOFT_API_KEY', '{LEGACY_KEY}');\n"
    );
    write(root, "src/keap.php", &old);
    write(root, "lib/other.php", &old);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "legacy client"]);
    git(root, &["checkout", "-q", "-b", "feature"]);

    // Lines above the old findings, and one new key.
    write(
        root,
        "src/keap.php",
        &(old.replacen("<?php\n", "<?php\n// Keap client.\n\n", 1)
            + &format!("define('INFUSIONSOFT_NEW_KEY', '{NEW_LEGACY_KEY}');\n")),
    );
    git(root, &["commit", "-q", "-am", "new key"]);

    let (exit, doc) = scan(root, &["--since", "main"]);
    assert_eq!(exit, Exit::Findings);
    assert_eq!(lines(&doc), [("src/keap.php".to_string(), 6)]);

    // main moving on does not make its own lines look added on the branch.
    git(root, &["checkout", "-q", "main"]);
    write(root, "lib/other.php", "<?php\n");
    git(root, &["commit", "-q", "-am", "main fixes lib"]);
    git(root, &["checkout", "-q", "feature"]);
    let (_, doc) = scan(root, &["--since", "main"]);
    assert_eq!(lines(&doc), [("src/keap.php".to_string(), 6)]);

    // Nothing added since HEAD.
    let (exit, doc) = scan(root, &["--since", "HEAD"]);
    assert_eq!(exit, Exit::Clean, "{doc:#}");
}

#[test]
fn git_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let outside = run(&["scan", root, "--staged"]);
    assert_eq!(outside.exit, Exit::Error);
    assert!(outside.err.contains("git"), "{}", outside.err);

    let dir = repo();
    let root = dir.path().to_str().unwrap();
    let bad_rev = run(&["scan", root, "--since", "no-such-branch"]);
    assert_eq!(bad_rev.exit, Exit::Error);
    assert!(bad_rev.err.contains("no-such-branch"), "{}", bad_rev.err);
    let both = run(&["scan", root, "--since", "HEAD", "--staged"]);
    assert_eq!(both.exit, Exit::Error);
}

/// A pull request's checkout in GitHub Actions is shallow: `--since` says the base is missing
/// and how to fetch it, where git itself says nothing.
#[test]
fn since_in_a_shallow_clone_says_how_to_fetch_the_base() {
    let origin = repo();
    let o = origin.path();
    write(o, "a.php", "<?php echo 1;\n");
    git(o, &["add", "."]);
    git(o, &["commit", "-qm", "base"]);
    git(o, &["checkout", "-qb", "feature"]);
    for n in 2..4 {
        write(o, "a.php", &format!("<?php echo {n};\n"));
        git(o, &["commit", "-qam", "more"]);
    }
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", o.display());
    git(
        parent.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "feature", &url, "c",
        ],
    );
    let clone = parent.path().join("c");
    let since = |rev: &str| run(&["scan", clone.to_str().unwrap(), "--since", rev]);

    let r = since("origin/main");
    assert_eq!(r.exit, Exit::Error);
    assert!(
        r.err.contains("no such revision") && r.err.contains("fetch-depth: 0"),
        "{}",
        r.err
    );
    git(
        &clone,
        &[
            "fetch",
            "-q",
            "--depth",
            "1",
            "origin",
            "main:refs/remotes/origin/main",
        ],
    );
    let r = since("origin/main");
    assert_eq!(r.exit, Exit::Error);
    assert!(
        r.err.contains("merge base") && r.err.contains("shallow"),
        "{}",
        r.err
    );
    assert!(r.err.contains("fetch-depth: 0"), "{}", r.err);
    git(&clone, &["fetch", "-q", "--unshallow", "origin"]);
    assert_eq!(since("origin/main").exit, Exit::Clean);
}
