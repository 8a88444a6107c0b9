//! Every machine-read format over one fixture tree, byte for byte against tests/golden/.
//! `KEAP_MIGRATE_BLESS=1 cargo test` rewrites the golden files; read the diff before committing.
use std::{fs, path::Path};

use keap_migrate::Exit;
use serde_json::Value;

use crate::run;

const ROOT: &str = "tests/data/gate";
/// One entry this tree still has (src/keap.php's key) and one it no longer has. A version-1 file:
/// its paths and fingerprints are from ROOT, the findings' from the repository's top.
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
    let readme = fs::read_to_string("README.md").unwrap();
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        // The anchor GitHub makes of the README's heading for the rule.
        assert_eq!(
            rule["helpUri"],
            format!("https://github.com/keap-migrate/keap-migrate#{id}")
        );
        assert!(
            readme.contains(&format!("\n### `{id}`\n")),
            "README has no section for {id}"
        );
        let props = &rule["properties"];
        assert_eq!(props["tags"][0], "security", "{id}");
        assert!(
            ["very-high", "high", "medium", "low"].contains(&props["precision"].as_str().unwrap()),
            "{id}"
        );
        let score: f64 = props["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&score), "{id}");
        if id == "hardcoded-key" {
            assert!(score >= 9.0, "a hardcoded key is a critical alert");
        }
    }
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        // From the repository's top (the tests run there), whatever path was scanned.
        assert!(!uri.starts_with('/'), "{uri}");
        assert!(Path::new(&uri.replace("%20", " ")).is_file(), "{uri}");
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(result["partialFingerprints"]["keapMigrateFingerprint/v1"].is_string());
    }
}

/// SARIF, annotations and JUnit name files from the repository's top, whichever path was
/// scanned and wherever the tool ran.
#[test]
fn locations_are_from_the_repository_top_whatever_was_scanned() {
    let want = "tests/data/gate/src/keap.php";
    for root in [
        ROOT,
        "tests/data/gate/src",
        "./tests/data/gate/src/keap.php",
    ] {
        let sarif = crate::json(&run(&["scan", root, "--format", "sarif"]));
        let uris: Vec<&str> = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert!(uris.contains(&want), "{root}: {uris:?}");
    }
    let out = crate::support::bin(&["scan", "src", "--format", "github"], Path::new(ROOT));
    let annotations = crate::support::text(&out.stdout);
    assert!(
        annotations.contains(&format!("file={want},")),
        "{annotations}"
    );
    let out = crate::support::bin(&["scan", ".", "--format", "junit"], Path::new(ROOT));
    assert!(crate::support::text(&out.stdout).contains(&format!("file=\"{want}\"")));
}

/// Past GitHub's 25,000 results a run, SARIF keeps the most severe and says how many it left out.
#[test]
fn sarif_stops_at_githubs_result_limit() {
    let dir = tempfile::tempdir().unwrap();
    let line = "see https://ab123.infusionsoft.com/api/xmlrpc\n";
    let notes = line.repeat(keap_migrate::report::sarif::MAX_RESULTS + 1);
    crate::write(dir.path(), "a.md", &notes);
    crate::write(
        dir.path(),
        "b.env",
        "KEAP_KEY=KeapAK-5475a9ffd8aa5855ee5d02dd27231ac2b81165241ff04ab293\n",
    );
    let run = run(&["scan", dir.path().to_str().unwrap(), "--format", "sarif"]);
    let doc = crate::json(&run);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), keap_migrate::report::sarif::MAX_RESULTS);
    assert!(
        results.iter().any(|r| r["ruleId"] == "hardcoded-key"),
        "the error is kept"
    );
    let notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(
        notes.contains("2 more findings are not in this report"),
        "{notes}"
    );
}

/// Annotations: the most severe first, at most GitHub's cap of each level; the rest as log lines
/// after a line that says how many.
#[test]
fn github_annotations_stop_at_the_cap_and_say_how_many_more() {
    let dir = tempfile::tempdir().unwrap();
    let cap = keap_migrate::report::github::ANNOTATIONS_PER_LEVEL;
    let line = "$u = 'https://ab123.infusionsoft.com/api/xmlrpc';\n";
    crate::write(dir.path(), "a.js", &line.repeat(cap + 3));
    let key = "KeapAK-5475a9ffd8aa5855ee5d02dd27231ac2b81165241ff04ab293";
    crate::write(dir.path(), "z.env", &format!("KEY={key}\n"));
    let run = run(&["scan", dir.path().to_str().unwrap(), "--format", "github"]);
    let lines: Vec<&str> = run.out.lines().collect();
    assert!(lines[0].starts_with("::error "), "{}", run.out);
    assert_eq!(run.out.matches("::warning ").count(), cap, "{}", run.out);
    assert!(
        run.out.contains("\nkeap-migrate: 3 findings not annotated"),
        "{}",
        run.out
    );
    assert_eq!(
        run.out.matches(" warning legacy-endpoint ").count(),
        3,
        "{}",
        run.out
    );
    assert!(!run.out.contains(key));
}

/// With GITHUB_STEP_SUMMARY set, `--format github` appends a Markdown summary to that file.
#[test]
fn github_format_writes_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keap-migrate"))
        .args(["scan", ROOT, "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n## keap-migrate\n"), "{md}");
    assert!(md.contains("| `hardcoded-key` | error | 3 |"), "{md}");
    assert!(md.contains("| `legacy-endpoint` | warning | 2 |"), "{md}");
    assert!(
        md.contains("| `tests/data/gate/.env:2` | error | `hardcoded-key` |"),
        "{md}"
    );
    assert!(md.contains("**Next:** `keap-migrate diff`"), "{md}");
    let env = fs::read_to_string(format!("{ROOT}/.env")).unwrap();
    let key = env
        .lines()
        .find_map(|l| l.strip_prefix("KEAP_API_KEY="))
        .unwrap();
    assert!(
        md.contains("KeapAK-46a1…(57 chars)") && !md.contains(key),
        "{md}"
    );
    // Other formats leave it alone.
    let before = fs::read(&summary).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_keap-migrate"))
        .args(["scan", ROOT, "--format", "json"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(fs::read(&summary).unwrap(), before);
}
