//! End-to-end tests of CI gating: report formats against golden files, secrets in reports,
//! baselines, inline ignores, staged and pull-request scans, configuration. One test binary
//! (one link) for all of them; this file holds the helpers that run the CLI in-process.

#[path = "../support/mod.rs"]
mod support;

mod action;
mod baseline;
mod config;
mod git_scopes;
mod golden;
mod history;
mod ignores;
mod precommit;
mod secrets;

use std::{fs, path::Path};

pub use support::{git, run, Run};

pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.out).unwrap_or_else(|e| panic!("{e}: {}", run.out))
}

pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}
