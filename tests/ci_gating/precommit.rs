//! The pre-commit hooks as pre-commit runs them: the real `pre-commit` over a throw-away
//! repository whose config names a throw-away copy of this repository's hook definitions.
use std::{
    fs,
    io::Write as _,
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::Once,
};

use crate::{git, support, write};

const KEY: &str = "KeapAK-5475a9ffd8aa5855ee5d02dd27231ac2b81165241ff04ab293";

/// Whether pre-commit can run. Under CI a missing one fails the test (scripts/test installs it).
fn available() -> bool {
    let found = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    let message = "pre-commit is not installed (scripts/test installs it with pip)";
    assert!(
        !support::php::in_ci(),
        "{message}; CI=true makes this a failure"
    );
    static NOTE: Once = Once::new();
    NOTE.call_once(|| {
        let _ = writeln!(std::io::stderr(), "\n!!! SKIPPED: {message}. !!!\n");
    });
    false
}

/// A repository holding this repository's hook files, as pre-commit clones it; its commit.
fn hook_repo(dir: &Path) -> String {
    for file in [".pre-commit-hooks.yaml", "scripts/pre-commit-hook"] {
        let to = dir.join(file);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(file, &to).unwrap();
    }
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "hooks"]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// A `cargo` that records its arguments and "builds" by linking the binary under test.
fn fake_cargo(dir: &Path, log: &Path) {
    let script = format!(
        "#!/bin/sh\necho \"$*\" >> '{}'\nwhile [ \"$1\" != --root ]; do shift; done\nmkdir -p \"$2/bin\"\nln -s '{}' \"$2/bin/keap-migrate\"\n",
        log.display(),
        env!("CARGO_BIN_EXE_keap-migrate"),
    );
    let path = dir.join("cargo");
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

struct Setup {
    _dirs: Vec<tempfile::TempDir>,
    repo: PathBuf,
    home: PathBuf,
    path: String,
    cargo_log: PathBuf,
}

impl Setup {
    fn new(hook: &str) -> Setup {
        let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
        let rev = hook_repo(dirs[0].path());
        let repo = dirs[1].path().to_path_buf();
        git(&repo, &["init", "-q"]);
        let config = format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n",
            dirs[0].path().display()
        );
        write(&repo, ".pre-commit-config.yaml", &config);
        let cargo_log = dirs[3].path().join("cargo.log");
        fake_cargo(dirs[3].path(), &cargo_log);
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_keap-migrate"))
            .parent()
            .unwrap();
        // The system hook finds the binary under test; the build hook, only the fake cargo.
        let first = if hook == "keap-migrate-system" {
            bin_dir
        } else {
            dirs[3].path()
        };
        let path = format!("{}:{}", first.display(), std::env::var("PATH").unwrap());
        Setup {
            home: dirs[2].path().to_path_buf(),
            _dirs: dirs,
            repo,
            path,
            cargo_log,
        }
    }

    fn pre_commit(&self, args: &[&str]) -> Output {
        Command::new("pre-commit")
            .args(args)
            .current_dir(&self.repo)
            .env("PRE_COMMIT_HOME", &self.home)
            .env("PATH", &self.path)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("PRE_COMMIT_ALLOW_NO_CONFIG")
            .output()
            .unwrap()
    }
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        support::text(&out.stdout),
        support::text(&out.stderr)
    )
}

/// A key committed before the hook was installed fails `pre-commit run --all-files` (how CI
/// runs pre-commit); excluded files do not count; a clean commit passes.
#[test]
fn all_files_runs_find_a_key_already_committed() {
    if !available() {
        return;
    }
    let s = Setup::new("keap-migrate-system");
    write(&s.repo, "src/clean.php", "<?php echo 'hello';\n");
    write(
        &s.repo,
        "vendor/lib/keap.php",
        &format!("<?php $k = '{KEY}';\n"),
    );
    write(&s.repo, "keap-migrate.toml", "exclude = [\"vendor/**\"]\n");
    git(&s.repo, &["add", "."]);
    git(&s.repo, &["commit", "-qm", "clean, and an excluded key"]);
    let out = s.pre_commit(&["run", "--all-files"]);
    assert!(out.status.success(), "{}", said(&out));

    write(
        &s.repo,
        "config/settings.php",
        &format!("<?php $k = '{KEY}';\n"),
    );
    git(&s.repo, &["add", "."]);
    git(
        &s.repo,
        &["commit", "-qm", "a key, committed without the hook"],
    );
    let out = s.pre_commit(&["run", "--all-files"]);
    assert!(!out.status.success(), "{}", said(&out));
    let said = said(&out);
    assert!(
        said.contains("config/settings.php") && said.contains("hardcoded-key"),
        "{said}"
    );
    assert!(!said.contains(KEY), "the key is redacted: {said}");
    assert!(!said.contains("vendor/lib/keap.php"), "{said}");
}

/// At commit time the hook judges what is staged: a staged key fails, a key only in the work
/// tree (pre-commit stashes it away) does not.
#[test]
fn commit_time_runs_judge_the_staged_content() {
    if !available() {
        return;
    }
    let s = Setup::new("keap-migrate-system");
    write(&s.repo, "src/a.php", "<?php echo 'hello';\n");
    git(&s.repo, &["add", "."]);
    git(&s.repo, &["commit", "-qm", "clean"]);

    write(&s.repo, "src/a.php", "<?php echo 'hello again';\n");
    git(&s.repo, &["add", "src/a.php"]);
    write(
        &s.repo,
        "src/a.php",
        &format!("<?php echo 'hello again';\n$k = '{KEY}';\n"),
    );
    let out = s.pre_commit(&["run"]);
    assert!(out.status.success(), "unstaged key: {}", said(&out));
    assert!(
        fs::read_to_string(s.repo.join("src/a.php"))
            .unwrap()
            .contains(KEY),
        "restored"
    );

    git(&s.repo, &["add", "src/a.php"]);
    let out = s.pre_commit(&["run"]);
    assert!(!out.status.success(), "staged key: {}", said(&out));
    assert!(said(&out).contains("src/a.php"), "{}", said(&out));
}

/// The hook that builds: once, with the lock file, then from its build.
#[test]
fn the_build_hook_builds_once_with_the_lock_file() {
    if !available() {
        return;
    }
    let s = Setup::new("keap-migrate");
    write(&s.repo, "src/a.php", &format!("<?php $k = '{KEY}';\n"));
    git(&s.repo, &["add", "."]);
    for _ in 0..2 {
        let out = s.pre_commit(&["run", "--all-files"]);
        assert!(!out.status.success(), "{}", said(&out));
        assert!(said(&out).contains("hardcoded-key"), "{}", said(&out));
    }
    let log = fs::read_to_string(&s.cargo_log).unwrap();
    assert_eq!(log.lines().count(), 1, "built once: {log}");
    assert!(log.starts_with("install --locked "), "{log}");
}
