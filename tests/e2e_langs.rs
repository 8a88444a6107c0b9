//! End-to-end proof of the Python, Ruby, JavaScript, Go, Perl and Java migrations. Each legacy program
//! under `fixtures/e2e/<lang>/<style>/` runs with the real client library (CPython's
//! `xmlrpc.client`, Ruby's `xmlrpc` gem, the npm `xmlrpc` package, Go's kolo/xmlrpc, Perl's
//! Frontier::Client and RPC::XML, Java's aXMLRPC) against the loopback Keap mock over TLS; then
//! `keap-migrate apply` rewrites a copy, and the rewritten program runs again and must send
//! what Keap expects now: the new path, the key in a header, a placeholder where the key was,
//! the library's own `Content-Type`, everything else unchanged.
//!
//! The only edit the test makes to a program is for the run: Keap's host (and port 443) become
//! the mock's `127.0.0.1:PORT`; the scheme stays.
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
    mock_keap::{MethodCall, MockKeap, Request, Value, LEGACY_PATH},
    process::{self, Finished},
    runtime::Runtime,
    PLACEHOLDER,
};
use tempfile::TempDir;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/e2e");
const KEY_ENV: &str = "KEAP_API_KEY";
/// Keap's official Python library, played by a stand-in (no registry here serves it).
const OFFICIAL_LIBRARY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/official_library"
);
/// The calls every program makes, in order.
const CALLS: [&str; 3] = [
    "ContactService.add",
    "DataService.query",
    "ContactService.addToGroup",
];

/// One test module per style folder; `every_style_folder_has_tests` keeps the list complete.
macro_rules! styles {
    ($($lang:ident / $style:ident),+ $(,)?) => {
        const STYLES: &[(&str, &str)] = &[$((stringify!($lang), stringify!($style))),+];
        $(mod $style {
            use super::*;

            #[test]
            fn legacy_program_sends_the_key_as_first_parameter() {
                check_legacy(stringify!($lang), stringify!($style));
            }

            #[test]
            fn apply_auth_header() {
                check_migration(stringify!($lang), stringify!($style), Auth::Header);
            }

            #[test]
            fn apply_auth_bearer() {
                check_migration(stringify!($lang), stringify!($style), Auth::Bearer);
            }
        })+
    };
}

styles!(
    python / serverproxy_module,
    python / dispatcher_class,
    python / samples_key_after,
    python / url_parameter,
    python / remote_connection,
    python / official_library,
    python / official_library_server,
    python / class_attribute_client,
    python / class_attribute_literal_key,
    python / multicall_batch,
    python / property_and_with,
    python / official_library_subclass,
    python / default_args_proxy,
    python / aliased_proxy,
    python / official_library_package,
    python / transport_options,
    python / instance_attribute,
    python / instance_from_module,
    python / env_fallback_key,
    python / instance_in_other_class,
    ruby / client_new2,
    ruby / client_new3,
    ruby / connection_getter,
    ruby / private_key_method,
    ruby / gem_settings,
    ruby / action_clients,
    ruby / gem_method_key,
    ruby / gem_oauth_path,
    ruby / header_hash_variable,
    ruby / client_proxy,
    ruby / boxed_multicall,
    js / secure_client_url,
    js / secure_client_options,
    js / fetch_xml,
    js / secure_client_param,
    js / literal_key_wrapper,
    js / request_xml,
    js / sdk_client_options,
    js / fetch_options_name,
    js / isdk_branch_lists,
    js / settings_object_key,
    go / kolo_client,
    perl / frontier_client,
    perl / rpc_xml,
    perl / frontier_key_after,
    perl / rpc_xml_key_after,
    java / axmlrpc_client,
);

#[test]
fn every_style_folder_has_tests() {
    for lang in ["python", "ruby", "js", "go", "perl", "java"] {
        let mut folders: Vec<String> = fs::read_dir(Path::new(FIXTURES).join(lang))
            .expect("fixtures/e2e/<lang>")
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        folders.sort();
        let mut styles: Vec<String> = STYLES
            .iter()
            .filter(|(l, _)| *l == lang)
            .map(|(_, s)| s.to_string())
            .collect();
        styles.sort();
        assert_eq!(folders, styles, "add the new folder to `styles!`");
    }
}

struct Fixture {
    style: &'static str,
    runtime: Runtime,
    program: &'static str,
    dir: PathBuf,
    source: String,
    /// The made-up legacy key the program hardcodes.
    key: String,
    /// The program imports Keap's official Python library, which the stand-in in
    /// `tests/support/official_library` plays.
    stand_in: bool,
}

impl Fixture {
    fn load(lang: &'static str, style: &'static str) -> Self {
        static KEY: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"['"]([0-9a-f]{32})['"]"#).unwrap());
        let (runtime, program) = match lang {
            "python" => (Runtime::Python, "legacy.py"),
            "ruby" => (Runtime::Ruby, "legacy.rb"),
            "go" => (Runtime::Go, "legacy.go"),
            "perl" => (Runtime::Perl, "legacy.pl"),
            "java" => (Runtime::Java, "legacy.java"),
            _ => (Runtime::Node, "legacy.js"),
        };
        let dir = Path::new(FIXTURES).join(lang).join(style);
        let source = fs::read_to_string(dir.join(program)).expect("the fixture's program");
        let mut keys: Vec<&str> = KEY
            .captures_iter(&source)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        keys.dedup();
        assert_eq!(keys.len(), 1, "{style}: one hardcoded 32-hex key expected");
        Fixture {
            style,
            runtime,
            program,
            key: keys[0].to_string(),
            stand_in: style.starts_with("official_library"),
            dir,
            source,
        }
    }

    /// What every run of the program is given: the stand-in library's path.
    fn env(&self) -> Vec<(&'static str, &'static str)> {
        match self.stand_in {
            true => vec![("PYTHONPATH", OFFICIAL_LIBRARY)],
            false => Vec::new(),
        }
    }

    fn copy(&self) -> TempDir {
        let copy = tempfile::tempdir().expect("a temporary directory");
        for entry in fs::read_dir(&self.dir).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
        }
        copy
    }

    /// The legacy run, and each call it made with the request that carried it (a
    /// `system.multicall` carries several).
    fn run_legacy(&self) -> (Finished, Vec<(Request, MethodCall)>) {
        let copy = self.copy();
        let mock = MockKeap::start();
        let program = copy.path().join(self.program);
        fs::write(&program, point_at(&self.source, &mock, None)).unwrap();
        let helpers = point_helpers(copy.path(), self.program, &mock, None);
        assert!(
            helpers || self.stand_in || self.source.contains(".infusionsoft.com"),
            "{}: no Keap host in the program or beside it",
            self.style
        );
        // The stand-in library builds the per-app URL itself: it is given the mock's host.
        let host = mock.host_port();
        let mut env: Vec<(&str, &str)> = self.env();
        if self.stand_in {
            env.push(("KEAP_STAND_IN_HOST", &host));
        }
        let run = self.runtime.run(&program, &env);
        assert!(
            run.status.success(),
            "{}: the legacy program failed: {}",
            self.style,
            run.describe()
        );
        let requests = calls_of(mock.requests());
        let methods: Vec<&str> = requests.iter().map(|(_, c)| c.name.as_str()).collect();
        assert_eq!(
            methods, CALLS,
            "{}: calls of the legacy program",
            self.style
        );
        for (request, call) in &requests {
            let context = format!("{}: legacy {}", self.style, call.name);
            assert_eq!(request.path, LEGACY_PATH, "path: {context}");
            assert_eq!(request.status, 200, "status: {context}");
            assert!(request.tls, "TLS: {context}");
            assert_eq!(
                call.params.first(),
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

fn calls_of(requests: Vec<Request>) -> Vec<(Request, MethodCall)> {
    requests
        .into_iter()
        .flat_map(|r| {
            let calls = r.call().calls();
            calls.into_iter().map(move |c| (r.clone(), c))
        })
        .collect()
}

/// The source with Keap's host (and port) replaced by the mock's, so the run never leaves the
/// machine. `host`: the only app host the source may name (`api` once migrated).
fn point_at(source: &str, mock: &MockKeap, host: Option<&str>) -> String {
    // A URL, or a host alone where the program gives host and port apart; the app name
    // literal or interpolated (`#{app}`, `${app}`, Perl's `$app`).
    static HOST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?P<scheme>https://)?(?P<app>[A-Za-z0-9-]+|[#$]?\{@?\w*\}|\$\w+)\.infusionsoft\.com(?P<port>:443)?").unwrap()
    });
    static PORT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b443\b").unwrap());
    let apps: Vec<&str> = HOST
        .captures_iter(source)
        .map(|c| c.name("app").unwrap().as_str())
        .collect();
    if let Some(host) = host {
        assert!(
            apps.iter().all(|h| *h == host),
            "expected only {host}.infusionsoft.com, found {apps:?} in:\n{source}"
        );
    }
    let addr = mock.addr();
    let pointed = HOST.replace_all(source, |c: &regex::Captures| match c.name("scheme") {
        Some(scheme) => format!("{}{}", scheme.as_str(), mock.host_port()),
        None => addr.ip().to_string(),
    });
    let pointed = PORT.replace_all(&pointed, addr.port().to_string());
    pointed.into_owned()
}

/// The program's helper files that name Keap's host (a client class in its own module) are
/// pointed at the mock too. Whether there was one.
fn point_helpers(dir: &Path, program: &str, mock: &MockKeap, host: Option<&str>) -> bool {
    let mut pointed = false;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == program) {
            continue;
        }
        let Ok(source) = fs::read_to_string(&path) else {
            continue;
        };
        if source.contains(".infusionsoft.com") {
            fs::write(&path, point_at(&source, mock, host)).unwrap();
            pointed = true;
        }
    }
    pointed
}

fn check_legacy(lang: &'static str, style: &'static str) {
    let fixture = Fixture::load(lang, style);
    if !fixture.runtime.available() {
        return;
    }
    let (run, _) = fixture.run_legacy();
    assert!(
        !run.stdout.is_empty(),
        "{style}: the program printed nothing"
    );
}

fn check_migration(lang: &'static str, style: &'static str, auth: Auth) {
    let fixture = Fixture::load(lang, style);
    if !fixture.runtime.available() {
        return;
    }
    let (legacy_run, legacy) = fixture.run_legacy();

    let copy = fixture.copy();
    let mut apply = Command::new(env!("CARGO_BIN_EXE_keap-migrate"));
    apply
        .args(["apply", "--allow-no-vcs"])
        .arg(copy.path())
        .args(["--auth", auth.flag(), "--key-env", KEY_ENV]);
    let applied = process::run(&mut apply);
    assert!(
        applied.status.success(),
        "{style}: keap-migrate apply failed: {}",
        applied.describe()
    );
    let program = copy.path().join(fixture.program);
    let migrated = fs::read_to_string(&program).unwrap();
    assert_ne!(migrated, fixture.source, "{style}: apply changed nothing");
    assert!(
        !migrated.contains(&fixture.key),
        "{style}: the migrated program still hardcodes the key:\n{migrated}"
    );

    if fixture.runtime == Runtime::Go {
        // What apply writes is what gofmt would: Go code is kept in that form.
        let gofmt = process::run(Command::new("gofmt").arg("-l").arg(&program));
        assert!(
            gofmt.status.success() && gofmt.stdout.is_empty(),
            "{style}: gofmt would reformat the migrated program: {}\n{migrated}",
            gofmt.describe()
        );
    }

    let mock = MockKeap::start();
    fs::write(&program, point_at(&migrated, &mock, Some("api"))).unwrap();
    point_helpers(copy.path(), fixture.program, &mock, Some("api"));
    let mut env: Vec<(&str, &str)> = fixture.env();
    env.push((KEY_ENV, &fixture.key));
    let run = fixture.runtime.run(&program, &env);
    let shown = format!(
        "--- migrated {lang}/{style}/{} ---\n{migrated}",
        fixture.program
    );
    assert!(
        run.status.success(),
        "the migrated program failed: {}\n{shown}",
        run.describe()
    );
    assert_eq!(run.stdout, legacy_run.stdout, "output changed\n{shown}");

    let requests = calls_of(mock.requests());
    assert_eq!(requests.len(), legacy.len(), "number of calls\n{shown}");
    for ((_, before), (after, call)) in legacy.iter().zip(&requests) {
        let name = &before.name;
        let context = format!("{name} with --auth {}\n{shown}", auth.flag());
        assert_eq!(after.path, "/crm/xmlrpc", "path: {context}");
        assert_eq!(after.query, None, "query string: {context}");
        assert!(after.tls, "sent without TLS: {context}");
        auth.assert_sent(after, &fixture.key, &context);
        assert_text_xml(after, &context);
        assert!(
            !after.body_text().contains(&fixture.key),
            "the key is still in the body:\n{}\n{context}",
            after.body_text()
        );
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
