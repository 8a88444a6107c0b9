//! The PHP runtime the end-to-end tests drive, and the policy when it is missing.
use std::{
    io::{self, Write},
    path::Path,
    process::{Command, Stdio},
    sync::{Once, OnceLock},
};

use super::{
    mock_keap,
    process::{self, Finished},
};

/// What the fixtures need: the CLI, and the extensions Debian ships as php-curl, php-xmlrpc and
/// php-xml (IXR's parser).
const EXTENSIONS: [&str; 3] = ["curl", "xmlrpc", "xml"];

/// Where Debian's `wordpress` package puts WordPress (ABSPATH).
pub const WORDPRESS: &str = "/usr/share/wordpress";
/// The client libraries the fixtures load, by the paths Debian's packages install them at.
const LIBRARY_FILES: [(&str, &str); 4] = [
    (
        "wordpress",
        "/usr/share/wordpress/wp-includes/class-IXR.php",
    ),
    (
        "wordpress",
        "/usr/share/wordpress/wp-includes/class-wp-http-ixr-client.php",
    ),
    (
        "wordpress",
        "/usr/share/wordpress/wp-includes/class-wp-http.php",
    ),
    (
        "php-guzzlehttp-guzzle",
        "/usr/share/php/GuzzleHttp/autoload.php",
    ),
];
/// What the packages above are, for the message when something is missing.
const PACKAGES: &str = "php-cli php-curl php-xml php-xmlrpc wordpress php-guzzlehttp-guzzle";

/// The part of WordPress a plugin runs in, loaded before a WordPress style's program.
const WORDPRESS_STAND_IN: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/wordpress.php");

/// What runs a program: the PHP CLI, or WordPress (loaded before the program, a plugin).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Host {
    Cli,
    WordPress,
}

/// Proxy variables libcurl honours: one pointing elsewhere would take loopback calls away from
/// the mock.
const PROXY_VARIABLES: [&str; 6] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
];

/// Whether the tests can run PHP. When they cannot: with `CI=true` the test fails (CI must
/// prove the migration, not skip it); elsewhere it prints a loud note and the caller returns.
pub fn available() -> bool {
    static CHECK: OnceLock<Result<(), String>> = OnceLock::new();
    let Err(missing) = CHECK.get_or_init(check) else {
        return true;
    };
    let message = format!(
        "{missing}: the PHP end-to-end tests need the PHP CLI with the curl, xml and xmlrpc \
         extensions, WordPress and Guzzle (scripts/test installs {PACKAGES})"
    );
    assert!(!in_ci(), "{message}; CI=true makes this a failure");
    // Straight to stderr, once: the test harness hides `eprintln!` of tests that pass.
    static NOTE: Once = Once::new();
    NOTE.call_once(|| {
        let _ = writeln!(
            io::stderr(),
            "\n!!! SKIPPED: {message}. Set CI=true to make this a failure. !!!\n"
        );
    });
    false
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn check() -> Result<(), String> {
    let probe = format!(
        "foreach (['{}'] as $e) if (!extension_loaded($e)) echo $e, ' ';",
        EXTENSIONS.join("', '")
    );
    let output = Command::new("php")
        .args(["-r", &probe])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `php` ({e})"))?;
    let missing = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() {
        return Err(format!("`php -r` failed ({})", output.status));
    }
    if !missing.is_empty() {
        return Err(format!("PHP lacks the extension(s) {missing}"));
    }
    let absent: Vec<String> = LIBRARY_FILES
        .iter()
        .filter(|(_, file)| !Path::new(file).is_file())
        .map(|(package, file)| format!("{file} (Debian package {package})"))
        .collect();
    if !absent.is_empty() {
        return Err(format!("missing {}", absent.join(", ")));
    }
    Ok(())
}

/// Runs a PHP program to its end with exactly these extra environment variables about Keap,
/// from its own directory (fixtures include files relative to it). PHP trusts the mock's
/// certificate through its ini settings, for its openssl streams and for curl, so the program
/// itself stays as written (certificate checks on).
/// Under `Host::WordPress`, PHP first loads `tests/support/wordpress.php` (`auto_prepend_file`).
pub fn run(host: Host, script: &Path, env: &[(&str, &str)]) -> Finished {
    let ca_file = mock_keap::ca_file().to_str().expect("a UTF-8 path");
    let mut command = Command::new("php");
    command
        .args(["-d", &format!("openssl.cafile={ca_file}")])
        .args(["-d", &format!("curl.cainfo={ca_file}")]);
    if host == Host::WordPress {
        command.args(["-d", &format!("auto_prepend_file={WORDPRESS_STAND_IN}")]);
    }
    command
        .arg(script.file_name().expect("a script file"))
        .current_dir(script.parent().expect("the script's directory"))
        .env_remove("KEAP_API_KEY")
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    for name in PROXY_VARIABLES {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    process::run(&mut command)
}
