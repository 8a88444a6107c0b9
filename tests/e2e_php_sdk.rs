//! The infusionsoft/php-sdk migration run with the real SDK against the loopback Keap mock. The
//! SDK is not served by the package registries, so this proof is run by hand: point
//! `KEAP_MIGRATE_PHP_SDK` at a PHP file that autoloads infusionsoft/php-sdk 1.6.x and its
//! dependencies (kept outside this repository; the README says how it was made). Unset, the
//! test says it skipped; the suite checks the rewrite against fixtures either way.
mod support;

use std::{fs, path::Path};

use support::{
    bin,
    mock_keap::{MockKeap, Value},
    php::{self, Host},
    text,
};

const CASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/php/ng.sdk-php-token-key"
);
/// The key the fixture hardcodes, which the migrated program reads from the environment.
const KEY: &str = "18a26f4b6e3a3c566314f646b8431f89";

#[test]
fn the_migrated_program_sends_the_key_header_through_sdk_1_6() {
    let Ok(autoload) = std::env::var("KEAP_MIGRATE_PHP_SDK") else {
        eprintln!("\n!!! SKIPPED: set KEAP_MIGRATE_PHP_SDK to an autoloader of infusionsoft/php-sdk 1.6.x !!!\n");
        return;
    };
    if !php::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(CASE).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("expected.") {
            fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    let out = bin(&["apply", "."], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));

    // For the run only: the program's vendor/autoload.php, and the SDK pointed at the mock (1.6
    // has the new endpoint built in, so the program names no URL to redirect).
    let mock = MockKeap::start();
    fs::create_dir(dir.path().join("vendor")).unwrap();
    fs::write(
        dir.path().join("vendor/autoload.php"),
        format!("<?php require {autoload:?};\n"),
    )
    .unwrap();
    let program = dir.path().join("sync.php");
    let migrated = fs::read_to_string(&program).unwrap();
    assert!(
        migrated.contains("'apikey' => getenv('KEAP_API_KEY')"),
        "{migrated}"
    );
    let redirected = migrated.replacen(
        "\n));\n",
        &format!(
            "\n));\n$infusionsoft->setUrl('{}/crm/xmlrpc/v1');\n",
            mock.base_url()
        ),
        1,
    );
    fs::write(&program, redirected).unwrap();

    let run = php::run(Host::Cli, Path::new(&program), &[("KEAP_API_KEY", KEY)]);
    assert!(run.status.success(), "{}", run.describe());
    let requests = mock.requests();
    let methods: Vec<&str> = requests.iter().map(|r| r.call().name.as_str()).collect();
    assert_eq!(methods, ["ContactService.add", "ContactService.addToGroup"]);
    for r in &requests {
        assert!(r.tls, "over TLS");
        assert_eq!(r.path, "/crm/xmlrpc/v1");
        assert_eq!(r.query, None, "nothing in the URL");
        assert_eq!(r.header("X-Keap-API-Key"), Some(KEY));
        assert_eq!(r.header("Authorization"), None);
        assert!(!r.body_text().contains(KEY), "the key left the body");
        // 1.6 keeps the positional first parameter with a fixed stand-in.
        assert!(matches!(&r.call().params[0], Value::String(s) if s != KEY));
    }
    assert_eq!(
        run.stdout.trim(),
        support::mock_keap::NEW_CONTACT_ID.to_string()
    );
}
