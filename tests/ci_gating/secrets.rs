//! A scanner that prints the key it found into a CI log leaks it again: no output, in any
//! format, to standard output, to standard error or to `--output`, holds a whole secret unless
//! `--show-secrets` asks for it.
use std::fs;

use keap_migrate::Exit;

use crate::run;

const ROOT: &str = "tests/data/gate";
/// The made-up secrets of tests/data/gate, one of each shape the rules find.
const SECRETS: &[&str] = &[
    "KeapAK-46a1dcb7082658165219c7c6332d25769be05b9d41a3124153",
    "0362152e588205244154eb05265d45a4",
    "1Kniy247NhaJgain",
    "b5TzQ9wLm2Xr8KpV4nYc",
];
const FORMATS: &[&str] = &["text", "json", "sarif", "github", "junit"];

#[test]
fn the_fixture_holds_every_secret() {
    let mut tree = String::new();
    for rel in [".env", "src/keap.php", "config/settings.py"] {
        tree += &fs::read_to_string(format!("{ROOT}/{rel}")).unwrap();
    }
    for secret in SECRETS {
        assert!(tree.contains(secret), "{secret}");
    }
}

#[test]
fn no_format_prints_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    for format in FORMATS {
        let printed = run(&["scan", ROOT, "--format", format]);
        assert_eq!(printed.exit, Exit::Findings, "{format}: {}", printed.err);
        assert!(
            printed.out.contains("…("),
            "{format} shows redacted secrets"
        );
        let file = dir.path().join(format!("report.{format}"));
        let to_file = run(&[
            "scan",
            ROOT,
            "--format",
            format,
            "--output",
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
    }
}

#[test]
fn the_baseline_holds_no_secret() {
    let run = run(&["baseline", ROOT]);
    assert_eq!(run.exit, Exit::Clean, "{}", run.err);
    assert!(run.out.contains("\"fingerprint\""));
    for secret in SECRETS {
        assert!(!run.out.contains(secret), "baseline leaks {secret}");
    }
}

#[test]
fn show_secrets_shows_them_in_every_format() {
    for format in FORMATS {
        let run = run(&["scan", ROOT, "--format", format, "--show-secrets"]);
        for secret in SECRETS {
            assert!(run.out.contains(secret), "{format} hides {secret}");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_report_with_secrets_is_written_for_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.sarif");
    let path = file.to_str().unwrap();
    run(&[
        "scan",
        ROOT,
        "--format",
        "sarif",
        "--show-secrets",
        "-o",
        path,
    ]);
    let mode = fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
}
