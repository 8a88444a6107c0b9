//! Runs the built binary over every fixture case: `fixtures/<lang>/ng.<case>/` must give exactly
//! the findings in its `expected.txt`, `ok.<case>/` none at all.
//! `KEAP_MIGRATE_BLESS=1` rewrites `expected.txt` from the current output (review the diff!).
mod support;

use std::{fs, path::Path, process::Command};

use serde_json::Value;

fn cases() -> Vec<std::path::PathBuf> {
    let mut cases = Vec::new();
    for lang in fs::read_dir("fixtures").unwrap() {
        let lang = lang.unwrap().path();
        if !lang.is_dir() || lang.file_name().unwrap() == "e2e" {
            continue;
        }
        for case in fs::read_dir(&lang).unwrap() {
            let case = case.unwrap().path();
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                name.starts_with("ng.") || name.starts_with("ok."),
                "{}: a case folder is ng.<case> or ok.<case>",
                case.display()
            );
            cases.push(case);
        }
    }
    cases.sort();
    cases
}

/// One `path:line:column severity rule` line per finding.
fn findings(case: &Path) -> (String, i32) {
    // The inputs only: the expected patches hold the keys they remove.
    let mut inputs: Vec<_> = fs::read_dir(case)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("expected."))
        .collect();
    inputs.sort();
    let out = Command::new(env!("CARGO_BIN_EXE_keap-migrate"))
        .args(["scan", "--format", "json"])
        .args(&inputs)
        .current_dir(case)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: bad JSON ({e}): {}",
            case.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let lines: String = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {} {}\n",
                f["relative_path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["severity"].as_str().unwrap(),
                f["rule"].as_str().unwrap()
            )
        })
        .collect();
    (lines, out.status.code().unwrap())
}

#[test]
fn every_fixture_case_gives_its_expected_findings() {
    let bless = support::bless();
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 20, "fixtures went missing: {}", cases.len());
    for case in &cases {
        let (actual, code) = findings(case);
        let ng = case
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ng.");
        let expected_file = case.join("expected.txt");
        if ng {
            if bless {
                fs::write(&expected_file, &actual).unwrap();
            }
            let expected = fs::read_to_string(&expected_file)
                .unwrap_or_else(|_| panic!("{} has no expected.txt", case.display()));
            assert!(
                !expected.trim().is_empty(),
                "{}: an ng case must expect findings",
                case.display()
            );
            if actual != expected {
                failures.push(format!(
                    "{}:\n--- expected\n{expected}--- actual\n{actual}",
                    case.display()
                ));
            }
            if code != 1 {
                failures.push(format!("{}: exit {code}, expected 1", case.display()));
            }
        } else {
            assert!(
                !expected_file.exists(),
                "{}: ok cases have no expected.txt",
                case.display()
            );
            if !actual.is_empty() || code != 0 {
                failures.push(format!(
                    "{}: expected no findings (exit 0), got exit {code}:\n{actual}",
                    case.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
