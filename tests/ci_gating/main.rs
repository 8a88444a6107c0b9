//! End-to-end tests of CI gating: report formats against golden files, secrets in reports,
//! baselines, inline ignores, staged and pull-request scans, configuration. One test binary
//! (one link) for all of them; this file holds the helpers that run the CLI in-process.

#[path = "../support/mod.rs"]
mod support;

mod baseline;
mod config;
mod git_scopes;
mod golden;
mod ignores;
mod secrets;

use std::{fs, path::Path, process::Command};

pub use support::{run, Run};

pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.out).unwrap_or_else(|e| panic!("{e}: {}", run.out))
}

pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Runs git in `dir` with a fixed identity and no user or system config, so a developer's
/// settings cannot change what the test sees.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
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
