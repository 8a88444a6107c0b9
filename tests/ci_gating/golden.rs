//! Every machine-read format over one fixture tree, byte for byte against tests/golden/.
//! `KEAP_MIGRATE_BLESS=1 cargo test` rewrites the golden files; read the diff before committing.
use std::{fs, path::Path};

use keap_migrate::Exit;
use serde_json::Value;

use crate::run;

const ROOT: &str = "tests/data/gate";
/// One entry this tree still has (src/keap.php's key) and one it no longer has.
const BASELINE: &str = "tests/data/gate-baseline.json";

fn check(args: &[&str], golden: &str) -> String {
    let run = run(args);
    assert_eq!(run.exit, Exit::Findings, "{}", run.err);
    let path = Path::new("tests/golden").join(golden);
    if crate::support::bless() {
        fs::write(&path, &run.out).unwrap();
    }
    let want = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (KEAP_MIGRATE_BLESS=1 writes it)", path.display()));
    assert_eq!(
        run.out,
        want,
        "{} differs; KEAP_MIGRATE_BLESS=1 cargo test rewrites it",
        path.display()
    );
    run.out
}

#[test]
fn json() {
    check(&["scan", ROOT, "--format", "json"], "gate.json");
}

#[test]
fn github() {
    check(&["scan", ROOT, "--format", "github"], "gate.github.txt");
}

#[test]
fn junit() {
    let out = check(&["scan", ROOT, "--format", "junit"], "gate.junit.xml");
    assert_eq!(failing_cases(&out), 8);
}

/// Parses the report as XML (it must be well-formed) and counts test cases with a failure.
fn failing_cases(xml: &str) -> usize {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter(|n| n.children().any(|c| c.has_tag_name("failure")))
        .count()
}

#[test]
fn sarif() {
    let out = check(&["scan", ROOT, "--format", "sarif"], "gate.sarif");
    validate_sarif(&out);
}

#[test]
fn with_a_baseline() {
    let args = ["scan", ROOT, "--baseline", BASELINE, "--format"];
    check(&[&args[..], &["json"]].concat(), "gate-baseline.json");
    check(
        &[&args[..], &["github"]].concat(),
        "gate-baseline.github.txt",
    );
    let junit = check(&[&args[..], &["junit"]].concat(), "gate-baseline.junit.xml");
    assert_eq!(failing_cases(&junit), 7);
    let sarif = check(&[&args[..], &["sarif"]].concat(), "gate-baseline.sarif");
    validate_sarif(&sarif);
}

#[test]
fn a_clean_tree_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    crate::write(dir.path(), "readme.txt", "nothing about any CRM here\n");
    let root = dir.path().to_str().unwrap();
    for format in ["json", "sarif", "github", "junit"] {
        let run = run(&["scan", root, "--format", format]);
        assert_eq!(run.exit, Exit::Clean, "{format}: {}", run.err);
        match format {
            "sarif" => {
                validate_sarif(&run.out);
                let doc: Value = serde_json::from_str(&run.out).unwrap();
                assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));
            }
            "junit" => assert!(
                failing_cases(&run.out) == 0
                    && run.out.contains(r#"tests="1" failures="0""#)
                    && run
                        .out
                        .contains(r#"<testcase classname="keap-migrate" name="no finding"/>"#),
                "{}",
                run.out
            ),
            "github" => assert_eq!(
                run.out,
                "keap-migrate: 0 findings, 0 ignored inline, 0 known from the baseline\n"
            ),
            _ => assert_eq!(crate::json(&run)["findings"], serde_json::json!([])),
        }
    }
}

/// Against the SARIF 2.1.0 schema shipped in tests/schemas (draft-04, formats checked), plus
/// what GitHub code scanning needs beyond the schema.
pub fn validate_sarif(text: &str) {
    let schema: Value =
        serde_json::from_str(&fs::read_to_string("tests/schemas/sarif-schema-2.1.0.json").unwrap())
            .unwrap();
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let doc: Value = serde_json::from_str(text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");

    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rules.len(), "rule ids are unique");
    for rule in rules {
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert_eq!(
            rule["helpUri"],
            "https://github.com/keap-migrate/keap-migrate#rules"
        );
    }
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains("tests/data"),
            "{uri}"
        );
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(result["partialFingerprints"]["keapMigrateFingerprint/v1"].is_string());
    }
}
