//! `--verify` against the loopback mock: live and revoked keys marked as Keap answers them, one
//! request per distinct key with the key in the header only, `--fail-on-live`, and no
//! connection at all without the flag.
mod support;

use std::{fs, path::Path, process::Command};

use serde_json::Value;
use support::mock_keap::MockKeap;

const LIVE: &str = "82c19c2e72d2a79c9ae44a222913a058";
const REVOKED: &str = "28bc9991011372f5d26e021ea548f64d";
/// An OAuth client secret: not something the key header can carry, so never sent.
const CLIENT_SECRET: &str = "Qm7rTz2KwP9xLc4B";

fn tree(keys: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut php = String::from("<?php\n");
    for (i, key) in keys.iter().enumerate() {
        php += &format!("define('INFUSIONSOFT_API_KEY_{i}', '{key}');\n");
    }
    fs::write(dir.path().join("keap.php"), php).unwrap();
    dir
}

fn scan(root: &Path, mock: &MockKeap, extra: &[&str]) -> (Option<i32>, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keap-migrate"))
        .args(["scan", "--format", "json"])
        .args(extra)
        .arg(root)
        // Plain HTTP on the mock's port: the mock speaks both, and a loopback host is the only
        // kind the tool lets stand in for Keap's.
        .env(
            "KEAP_MIGRATE_VERIFY_URL",
            format!("http://{}/crm/xmlrpc", mock.host_port()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.code(), doc, stderr)
}

fn verdicts(doc: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["secret"].as_str().unwrap().to_string(),
                f["verified"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn live_and_revoked_keys_are_told_apart_one_request_per_key() {
    let mock = MockKeap::with_live_keys(&[LIVE]);
    // The live key twice: one request for it all the same.
    let dir = tree(&[LIVE, REVOKED, LIVE]);
    fs::write(
        dir.path().join("oauth.php"),
        format!(
            "<?php\n// Infusionsoft app\n$cfg = array('client_secret' => '{CLIENT_SECRET}');\n"
        ),
    )
    .unwrap();
    let (code, doc, stderr) = scan(dir.path(), &mock, &["--verify", "--show-secrets"]);
    assert_eq!(code, Some(1), "{stderr}");
    let mut want: Vec<(String, String)> = [
        (LIVE, "live"),
        (LIVE, "live"),
        (CLIENT_SECRET, "unknown"),
        (REVOKED, "revoked"),
    ]
    .iter()
    .map(|(s, v)| (s.to_string(), v.to_string()))
    .collect();
    want.sort();
    assert_eq!(verdicts(&doc), want);
    let requests = mock.requests();
    let mut sent: Vec<&str> = requests
        .iter()
        .map(|r| r.header("X-Keap-API-Key").unwrap())
        .collect();
    sent.sort();
    let mut want = vec![LIVE, REVOKED];
    want.sort();
    assert_eq!(
        sent, want,
        "one request per distinct key, none for the client secret"
    );
    for r in &requests {
        assert_eq!(r.path, "/crm/xmlrpc");
        assert_eq!(r.call().name, "DataService.echo");
        assert!(!r.body_text().contains(LIVE) && !r.body_text().contains(REVOKED));
    }
    assert!(stderr.contains("2 live, 1 revoked, 1 unknown"), "{stderr}");
}

#[test]
fn fail_on_live_gates_on_live_keys_only() {
    let mock = MockKeap::with_live_keys(&[LIVE]);
    let revoked_only = tree(&[REVOKED]);
    let (code, doc, stderr) = scan(revoked_only.path(), &mock, &["--verify", "--fail-on-live"]);
    assert_eq!(
        code,
        Some(0),
        "a revoked key does not fail the run: {stderr}"
    );
    assert_eq!(doc["findings"][0]["verified"], "revoked");
    let live = tree(&[LIVE]);
    let (code, _, stderr) = scan(live.path(), &mock, &["--verify", "--fail-on-live"]);
    assert_eq!(code, Some(1), "{stderr}");
}

#[test]
fn reports_of_a_verified_scan_hold_no_secret() {
    let mock = MockKeap::with_live_keys(&[LIVE]);
    let dir = tree(&[LIVE, REVOKED]);
    for format in ["text", "json", "sarif", "github", "junit"] {
        let out = Command::new(env!("CARGO_BIN_EXE_keap-migrate"))
            .args(["scan", "--verify", "--format", format])
            .arg(dir.path())
            .env(
                "KEAP_MIGRATE_VERIFY_URL",
                format!("http://{}/crm/xmlrpc", mock.host_port()),
            )
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("live"), "{format}: {all}");
        assert!(
            !all.contains(LIVE) && !all.contains(REVOKED),
            "{format} leaks a key"
        );
    }
}

#[test]
fn without_verify_no_connection_is_made() {
    let mock = MockKeap::with_live_keys(&[LIVE]);
    let dir = tree(&[LIVE, REVOKED]);
    // The stand-in URL is set, and every other flag that reads or reports keys is given.
    for extra in [
        &[][..],
        &["--show-secrets"],
        &["--sarif-output", "/dev/null"],
    ] {
        let (code, doc, stderr) = scan(dir.path(), &mock, extra);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(doc["findings"][0].get("verified").is_none());
    }
    assert_eq!(
        mock.connections(),
        0,
        "a scan without --verify reached the network"
    );
    // The mock does count connections: one --verify run reaches it.
    scan(dir.path(), &mock, &["--verify"]);
    assert!(mock.connections() > 0);
}

#[test]
fn verify_refuses_any_host_but_keaps_and_loopback() {
    let dir = tree(&[LIVE]);
    let out = Command::new(env!("CARGO_BIN_EXE_keap-migrate"))
        .args(["scan", "--verify"])
        .arg(dir.path())
        .env(
            "KEAP_MIGRATE_VERIFY_URL",
            "https://collector.example.invalid/crm/xmlrpc",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("talks only to"));
}
