//! Every rule carries samples that must and must not match; this checks them all, and that the
//! rule set is complete and well-formed.
use std::path::Path;

use keap_migrate::{
    rules::{RuleSet, BUILTIN_IDS},
    scan::Scanner,
};

fn scanner() -> Scanner {
    Scanner {
        rules: RuleSet::load(&[] as &[&Path], &[]).unwrap(),
        max_file_size: 1 << 20,
        keep_detected: false,
    }
}

#[test]
fn every_rule_sample_gives_its_finding_count() {
    let scanner = scanner();
    let mut failures = Vec::new();
    for rule in &scanner.rules.rules {
        for sample in &rule.samples {
            let found = scanner
                .scan_text(
                    Path::new(&sample.file),
                    &sample.file,
                    &sample.file,
                    &sample.code,
                )
                .into_iter()
                .filter(|f| f.rule == rule.id)
                .count();
            if found != sample.findings {
                failures.push(format!(
                    "{} sample {}: {found} findings, expected {}\n{}",
                    rule.id, sample.file, sample.findings, sample.code
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_rule_has_matching_and_non_matching_samples() {
    for rule in &scanner().rules.rules {
        assert!(
            rule.samples.iter().any(|s| s.findings > 0),
            "{} has no matching sample",
            rule.id
        );
        assert!(
            rule.samples.iter().any(|s| s.findings == 0),
            "{} has no non-matching sample",
            rule.id
        );
        assert!(!rule.help.trim().is_empty(), "{} has no help", rule.id);
    }
}

#[test]
fn the_builtin_rules_define_every_id_the_detectors_emit() {
    let rules = RuleSet::load(&[] as &[&Path], &[]).unwrap();
    for id in BUILTIN_IDS {
        assert!(rules.get(id).is_some(), "no rule file defines {id}");
    }
    assert_eq!(
        rules.rules.len(),
        BUILTIN_IDS.len(),
        "a rule file is not known to the detectors"
    );
}

#[test]
fn user_rules_are_added_and_bad_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("crm-host.toml"),
        r#"
id = "old-crm-host"
severity = "warning"
title = "Old CRM host"
message = "uses the old CRM host"
help = "Use the gateway."
keywords = ["crm.internal"]
[[pattern]]
regex = 'crm\.internal'
[[sample]]
file = "a.py"
code = "URL = 'https://crm.internal/rpc'"
findings = 1
"#,
    )
    .unwrap();
    let rules = RuleSet::load(&[dir.path()], &[]).unwrap();
    let scanner = Scanner {
        rules,
        max_file_size: 1 << 20,
        keep_detected: false,
    };
    let found = scanner.scan_text(
        Path::new("a.py"),
        "a.py",
        "a.py",
        "URL = 'https://crm.internal/rpc'",
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, "old-crm-host");

    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"x\"\nseverity = \"loud\"\n",
    )
    .unwrap();
    let err = RuleSet::load(&[dir.path()], &[])
        .err()
        .expect("a bad rule is an error");
    assert!(err.to_string().contains("bad.toml"), "{err}");
}

#[test]
fn disabling_a_rule_drops_its_findings_and_unknown_ids_are_errors() {
    let rules = RuleSet::load(&[] as &[&Path], &["hardcoded-key".to_string()]).unwrap();
    assert!(rules.get("hardcoded-key").is_none());
    let scanner = Scanner {
        rules,
        max_file_size: 1 << 20,
        keep_detected: false,
    };
    let text = "KEAP_SAK=KeapAK-aea8d763cb70ecdc0e21798fdaec7a7831319e07a5197b1c09\n";
    assert!(scanner
        .scan_text(Path::new(".env"), ".env", ".env", text)
        .is_empty());
    assert!(RuleSet::load(&[] as &[&Path], &["no-such-rule".to_string()]).is_err());
}
