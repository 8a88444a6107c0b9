//! End-to-end proof of the PHP migration. Each legacy program under `fixtures/e2e/php/<style>/`
//! runs with the real PHP client against the loopback Keap mock; then `keap-migrate apply`
//! rewrites a copy, and the rewritten program runs again and must send what Keap expects now:
//! the new path, the key in a header, a placeholder where the key was, everything else unchanged.
//!
//! The only edit the test makes to a program is for the run: the host of its Keap endpoint
//! becomes the mock's `127.0.0.1:PORT`. The scheme stays: the mock speaks HTTPS (PHP is told to
//! trust its certificate on the command line) and plain HTTP on the same port.
mod support;

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    sync::LazyLock,
};

use regex::Regex;
use support::{
    e2e::{assert_text_xml, Auth},
    mock_keap::{MockKeap, Request, Value, LEGACY_PATH},
    php::{self, Host},
    process::{self, Finished},
    PLACEHOLDER,
};
use tempfile::TempDir;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/e2e/php");
/// The program in each style folder.
const PROGRAM: &str = "legacy.php";
const KEY_ENV: &str = "KEAP_API_KEY";
/// The calls every fixture makes, in order.
const CALLS: [&str; 3] = [
    "ContactService.add",
    "DataService.query",
    "ContactService.addToGroup",
];
const NEW_HOST: &str = "https://api.infusionsoft.com";
/// Styles whose legacy client ignores the `https://` of its URL and writes plain HTTP to the
/// port (80 when the URL names none): WordPress' `IXR_Client` opens a bare socket.
const PLAIN_HTTP_LEGACY: &[&str] = &["ixr_client"];
/// Styles that are WordPress plugins: they run inside `tests/support/wordpress.php`.
const IN_WORDPRESS: &[&str] = &["ixr_client", "wp_http_ixr_client"];

/// One test module per style folder; `every_style_folder_has_tests` keeps the list complete.
macro_rules! styles {
    ($($style:ident),+ $(,)?) => {
        const STYLES: &[&str] = &[$(stringify!($style)),+];
        $(mod $style {
            use super::*;

            #[test]
            fn legacy_program_sends_the_key_as_first_parameter() {
                check_legacy(stringify!($style));
            }

            #[test]
            fn apply_auth_header() {
                check_migration(stringify!($style), Auth::Header, None);
            }

            #[test]
            fn apply_auth_bearer() {
                check_migration(stringify!($style), Auth::Bearer, None);
            }

            #[test]
            fn apply_endpoint_v1() {
                check_migration(
                    stringify!($style),
                    Auth::Header,
                    Some("https://api.infusionsoft.com/crm/xmlrpc/v1"),
                );
            }
        })+
    };
}

styles!(
    curl_setopt_array,
    encode_request_curl,
    encode_request_stream,
    guzzle_xml,
    handwritten_curl,
    ixr_client,
    stream_header_lines,
    wp_http_ixr_client,
);

#[test]
fn every_style_folder_has_tests() {
    let mut folders: Vec<String> = fs::read_dir(FIXTURES)
        .expect("fixtures/e2e/php")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut styles = STYLES.to_vec();
    styles.sort();
    assert_eq!(folders, styles, "add the new folder to `styles!`");
}

struct Fixture {
    style: &'static str,
    dir: PathBuf,
    source: String,
    /// The made-up legacy key the program hardcodes.
    key: String,
}

impl Fixture {
    fn load(style: &'static str) -> Self {
        static KEY: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"['"]([0-9a-f]{32})['"]"#).unwrap());
        let dir = Path::new(FIXTURES).join(style);
        let source = fs::read_to_string(dir.join(PROGRAM)).expect("the fixture's program");
        let mut keys: Vec<&str> = KEY
            .captures_iter(&source)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        keys.dedup();
        assert_eq!(keys.len(), 1, "{style}: one hardcoded 32-hex key expected");
        Fixture {
            style,
            key: keys[0].to_string(),
            dir,
            source,
        }
    }

    fn host(&self) -> Host {
        if IN_WORDPRESS.contains(&self.style) {
            Host::WordPress
        } else {
            Host::Cli
        }
    }

    /// A scratch copy of the style folder: programs may include their neighbours.
    fn copy(&self) -> TempDir {
        let copy = tempfile::tempdir().expect("a temporary directory");
        for entry in fs::read_dir(&self.dir).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
        }
        copy
    }

    /// Runs the untouched legacy program against a fresh mock and checks it is really legacy.
    fn run_legacy(&self) -> (Finished, Vec<Request>) {
        let copy = self.copy();
        let mock = MockKeap::start();
        let program = copy.path().join(PROGRAM);
        fs::write(&program, point_at(&self.source, &mock, None)).unwrap();
        let run = php::run(self.host(), &program, &[]);
        assert!(
            run.status.success(),
            "{}: the legacy program failed: {}",
            self.style,
            run.describe()
        );
        let requests = mock.requests();
        let methods: Vec<&str> = requests.iter().map(|r| r.call().name.as_str()).collect();
        assert_eq!(
            methods, CALLS,
            "{}: calls of the legacy program",
            self.style
        );
        for request in &requests {
            let context = format!("{}: legacy {}", self.style, request.call().name);
            assert_eq!(request.path, LEGACY_PATH, "path: {context}");
            assert_eq!(request.status, 200, "status: {context}");
            assert_eq!(
                request.tls,
                !PLAIN_HTTP_LEGACY.contains(&self.style),
                "TLS: {context} (PLAIN_HTTP_LEGACY lists the styles that send plain HTTP)"
            );
            assert_eq!(
                request.call().params.first(),
                Some(&Value::String(self.key.clone())),
                "{context}: the key is the first parameter"
            );
            assert_text_xml(request, &context);
            assert!(request.header("X-Keap-API-Key").is_none(), "{context}");
            assert!(request.header("Authorization").is_none(), "{context}");
        }
        (run, requests)
    }
}

/// The source with every Keap endpoint's host (and port) replaced by the mock's, so the run
/// never leaves the machine; the scheme stays. `host`: the only app host the source may name
/// (`api` once migrated).
fn point_at(source: &str, mock: &MockKeap, host: Option<&str>) -> String {
    static ENDPOINT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(https?://)([A-Za-z0-9-]+)\.infusionsoft\.com(?::443)?").unwrap()
    });
    let hosts: Vec<&str> = ENDPOINT
        .captures_iter(source)
        .map(|c| c.get(2).unwrap().as_str())
        .collect();
    assert!(!hosts.is_empty(), "no Keap endpoint URL in:\n{source}");
    if let Some(host) = host {
        assert!(
            hosts.iter().all(|h| *h == host),
            "expected only {host}.infusionsoft.com, found {hosts:?} in:\n{source}"
        );
    }
    let pointed = ENDPOINT.replace_all(source, format!("${{1}}{}", mock.host_port()).as_str());
    assert!(
        !pointed.contains(".infusionsoft.com"),
        "an endpoint the test cannot redirect is left in:\n{source}"
    );
    pointed.into_owned()
}

fn check_legacy(style: &'static str) {
    let fixture = Fixture::load(style);
    if !php::available() {
        return;
    }
    let (run, _) = fixture.run_legacy();
    assert!(
        !run.stdout.is_empty(),
        "{style}: the program printed nothing"
    );
}

fn check_migration(style: &'static str, auth: Auth, endpoint: Option<&str>) {
    let fixture = Fixture::load(style);
    if !php::available() {
        return;
    }
    let (legacy_run, legacy) = fixture.run_legacy();

    let copy = fixture.copy();
    let mut apply = Command::new(env!("CARGO_BIN_EXE_keap-migrate"));
    apply
        .args(["apply", "--allow-no-vcs"])
        .arg(copy.path())
        .args(["--auth", auth.flag(), "--key-env", KEY_ENV]);
    if let Some(endpoint) = endpoint {
        apply.args(["--endpoint", endpoint]);
    }
    let applied = process::run(&mut apply);
    assert!(
        applied.status.success(),
        "{style}: keap-migrate apply failed: {}",
        applied.describe()
    );
    let program = copy.path().join(PROGRAM);
    let migrated = fs::read_to_string(&program).unwrap();
    assert_ne!(migrated, fixture.source, "{style}: apply changed nothing");
    assert!(
        !migrated.contains(&fixture.key),
        "{style}: the migrated program still hardcodes the key:\n{migrated}"
    );

    let mock = MockKeap::start();
    fs::write(&program, point_at(&migrated, &mock, Some("api"))).unwrap();
    let run = php::run(fixture.host(), &program, &[(KEY_ENV, &fixture.key)]);
    let shown = format!("--- migrated {style}/{PROGRAM} ---\n{migrated}");
    assert!(
        run.status.success(),
        "the migrated program failed: {}\n{shown}",
        run.describe()
    );
    assert_eq!(run.stdout, legacy_run.stdout, "output changed\n{shown}");

    let path = endpoint
        .unwrap_or("https://api.infusionsoft.com/crm/xmlrpc")
        .strip_prefix(NEW_HOST)
        .unwrap();
    let requests = mock.requests();
    assert_eq!(requests.len(), legacy.len(), "number of calls\n{shown}");
    for (before, after) in legacy.iter().zip(&requests) {
        let (before, name) = (before.call(), &before.call().name);
        let context = format!("{name} with --auth {}\n{shown}", auth.flag());
        assert_eq!(after.path, path, "path: {context}");
        assert_eq!(after.query, None, "query string: {context}");
        // The key now travels in a header: never in clear, whatever the legacy client did.
        assert!(after.tls, "sent without TLS: {context}");
        auth.assert_sent(after, &fixture.key, &context);
        assert_text_xml(after, &context);
        assert!(
            !after.body_text().contains(&fixture.key),
            "the key is still in the body:\n{}\n{context}",
            after.body_text()
        );
        let call = after.call();
        assert_eq!(&call.name, name, "method name: {context}");
        assert_eq!(
            call.params.first(),
            Some(&Value::String(PLACEHOLDER.to_string())),
            "first parameter: {context}"
        );
        assert_eq!(
            call.params.get(1..),
            before.params.get(1..),
            "other parameters: {context}"
        );
    }
}
