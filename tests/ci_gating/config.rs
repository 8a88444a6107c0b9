//! keap-migrate.toml through the CLI: found above the scanned path, flags win over it, unknown
//! keys are errors; and `--output` never changes the exit code.
use keap_migrate::Exit;

use crate::{json, run, write};

const ENDPOINT_ONLY: &str =
    "<?php\n$client = new xmlrpc_client('https://ab123.infusionsoft.com/api/xmlrpc');\n";
const SAK: &str = "KeapAK-2f1c7d6a3b9e0c4d8a5f6e7b1c2d3e4f5a6b7c8d9e0f1a2b3c";

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // A repository top, so discovery stops here.
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), "src/client.php", ENDPOINT_ONLY);
    dir
}

#[test]
fn fail_on_comes_from_the_file_and_the_flag_wins() {
    let dir = tree();
    write(dir.path(), "keap-migrate.toml", "fail-on = \"error\"\n");
    let src = dir.path().join("src");
    let src = src.to_str().unwrap();
    // Found above the scanned path.
    assert_eq!(run(&["scan", src]).exit, Exit::Clean);
    assert_eq!(
        run(&["scan", src, "--fail-on", "warning"]).exit,
        Exit::Findings
    );
    let root = dir.path().to_str().unwrap();
    assert_eq!(run(&["scan", root]).exit, Exit::Clean);
    // Without the file, the default (note) fails.
    let other = tree();
    assert_eq!(
        run(&["scan", other.path().to_str().unwrap()]).exit,
        Exit::Findings
    );
}

#[test]
fn excludes_disables_and_extra_rules() {
    let dir = tree();
    write(dir.path(), "vendor/isdk/.env", &format!("KEAP_KEY={SAK}\n"));
    write(
        dir.path(),
        "ci/keap-rules/keap-app-name.toml",
        r#"
id = "keap-app-name"
severity = "note"
title = "Keap app name in code"
message = "names the Keap app"
help = "Read the app name from the environment."
keywords = ["KEAP_APP"]

[[pattern]]
regex = '''KEAP_APP\s*=\s*(?P<arg>\w+)'''
scope = "all"
"#,
    );
    write(dir.path(), "config/.env", "KEAP_APP=ab123\n");
    write(
        dir.path(),
        "keap-migrate.toml",
        r#"
exclude = ["vendor/**"]
rules = ["ci/keap-rules"]
disable = ["legacy-endpoint"]
"#,
    );
    let root = dir.path().to_str().unwrap();
    let run = run(&["scan", root, "--format", "json"]);
    let doc = json(&run);
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["keap-app-name"], "{doc:#}");

    // --config names another file; flags add to its lists.
    write(dir.path(), "other.toml", "exclude = []\n");
    let other = dir.path().join("other.toml");
    let run = crate::run(&[
        "scan",
        root,
        "--format",
        "json",
        "--config",
        other.to_str().unwrap(),
        "--disable",
        "hardcoded-key",
    ]);
    let doc = json(&run);
    let mut rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    rules.sort();
    assert_eq!(rules, ["legacy-endpoint"], "{doc:#}");
}

#[test]
fn unknown_keys_and_bad_values_are_errors_that_name_them() {
    let dir = tree();
    let root = dir.path().to_str().unwrap();
    for (text, named) in [
        ("fail_on = \"error\"\n", "fail_on"),
        (
            "[migrate]\nendpoint = \"https://api.infusionsoft.com/crm/xmlrpc\"\nkey = \"x\"\n",
            "key",
        ),
        ("disable = [\"no-such-rule\"]\n", "no-such-rule"),
        ("exclude = [\"src/{a\"]\n", "src/{a"),
    ] {
        write(dir.path(), "keap-migrate.toml", text);
        let run = run(&["scan", root]);
        assert_eq!(run.exit, Exit::Error, "{text}");
        assert!(run.err.contains(named), "{text}: {}", run.err);
    }
}

#[test]
fn output_files_do_not_change_the_exit_code() {
    let dirty = tree();
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "a.txt", "hello\n");
    let out_dir = tempfile::tempdir().unwrap();
    for (root, want) in [(dirty.path(), Exit::Findings), (clean.path(), Exit::Clean)] {
        let root = root.to_str().unwrap();
        for format in ["text", "json", "sarif", "github", "junit"] {
            let file = out_dir.path().join(format!("r.{format}"));
            let printed = run(&["scan", root, "--format", format]);
            let written = run(&[
                "scan",
                root,
                "--format",
                format,
                "--output",
                file.to_str().unwrap(),
            ]);
            assert_eq!((printed.exit, written.exit), (want, want), "{format}");
            assert_eq!(written.out, "");
            if format != "text" {
                // Text carries a timing; the others are byte-stable.
                assert_eq!(std::fs::read_to_string(&file).unwrap(), printed.out);
            }
        }
    }
    let missing = out_dir.path().join("no/such/dir/r.sarif");
    let run = run(&[
        "scan",
        dirty.path().to_str().unwrap(),
        "--output",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(run.exit, Exit::Error);
}

#[test]
fn the_report_written_inside_the_tree_is_not_scanned_next_time() {
    for name in ["keap-migrate.sarif", "reports [1]/*.json"] {
        let dir = tree();
        let root = dir.path().to_str().unwrap();
        let file = dir.path().join(name);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let file = file.to_str().unwrap();
        let format = if name.ends_with("json") {
            "json"
        } else {
            "sarif"
        };
        for _ in 0..2 {
            let run = run(&["scan", root, "--format", format, "-o", file]);
            assert_eq!(run.exit, Exit::Findings);
            assert!(run.err.contains(": 1 finding,"), "{name}: {}", run.err);
        }
    }
}
