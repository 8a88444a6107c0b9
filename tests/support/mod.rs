//! Test support shared by the integration tests that include it with `mod support;`.
// Each test crate uses only part of this module; the rest would be reported as dead code there.
#![allow(dead_code)]

pub mod e2e;
pub mod mock_keap;
pub mod php;
pub mod process;
pub mod runtime;

/// What `keap-migrate apply` writes as the first XML-RPC parameter once the key travels in a
/// header. Keap ignores the value, so the tool may change it: this is the one place to follow.
pub const PLACEHOLDER: &str = "placeholder";

/// `KEAP_MIGRATE_BLESS=1` rewrites expectations from the tool's own output, for a person to
/// review. Never under CI: an expectation the tool wrote for itself proves nothing.
pub fn bless() -> bool {
    let asked = std::env::var_os("KEAP_MIGRATE_BLESS").is_some();
    assert!(
        !(asked && php::in_ci()),
        "KEAP_MIGRATE_BLESS is set under CI: expectations are reviewed by hand, never blessed there"
    );
    asked
}

/// What one in-process run of the CLI printed and returned.
pub struct Run {
    pub exit: keap_migrate::Exit,
    pub out: String,
    pub err: String,
}

/// Runs the CLI in-process (`keap_migrate::run_with`), as a terminal-less caller would.
pub fn run(args: &[&str]) -> Run {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let exit = keap_migrate::run_with(
        std::iter::once("keap-migrate").chain(args.iter().copied()),
        &mut keap_migrate::Io {
            out: &mut out,
            err: &mut err,
            is_terminal: false,
        },
    );
    Run {
        exit,
        out: String::from_utf8(out).expect("reports are UTF-8"),
        err: String::from_utf8(err).expect("messages are UTF-8"),
    }
}

/// Runs the built binary in `dir`.
pub fn bin(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_keap-migrate"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Bytes a process printed, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// git in `dir` with a fixed identity and no user or system config (file:// submodules
/// allowed); its standard output.
pub fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=keap-migrate tests",
            "-c",
            "user.email=tests@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git is installed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
