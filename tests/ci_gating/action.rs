//! The GitHub Action and the release it installs from, run as a runner would run them: the
//! scripts action.yml calls, with a fake runner environment (RUNNER_OS, RUNNER_ARCH,
//! GITHUB_OUTPUT…), a fake release made by the release workflow's own packaging scripts in a
//! local directory (a file:// base URL: no network), and a fake `cargo` on PATH. The YAML files
//! are read with Python's yaml module (scripts/test makes sure it is there).
use std::{
    collections::{BTreeSet, HashMap},
    fs,
    io::Write as _,
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::Once,
};

use crate::{support, write};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const KEY: &str = "KeapAK-5475a9ffd8aa5855ee5d02dd27231ac2b81165241ff04ab293";

/// Each runner the Action supports and the target whose archive it must download.
const RUNNERS: [(&str, &str, &str); 5] = [
    ("Linux", "X64", "x86_64-unknown-linux-musl"),
    ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
    ("macOS", "X64", "x86_64-apple-darwin"),
    ("macOS", "ARM64", "aarch64-apple-darwin"),
    ("Windows", "X64", "x86_64-pc-windows-msvc"),
];

fn version() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

/// A YAML file of this repository as JSON, or `None` (skipped, said once) without Python's
/// yaml module; under CI that is a failure.
fn yaml(rel: &str) -> Option<serde_json::Value> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(Path::new(ROOT).join(rel))
        .output();
    match out {
        Ok(out) if out.status.success() => Some(serde_json::from_slice(&out.stdout).unwrap()),
        Ok(out) if !support::text(&out.stderr).contains("ModuleNotFoundError") => {
            panic!("{rel} does not parse: {}", support::text(&out.stderr))
        }
        _ => {
            let message =
                "python3 with the yaml module is not installed (scripts/test installs it)";
            assert!(
                !support::php::in_ci(),
                "{message}; CI=true makes this a failure"
            );
            static NOTE: Once = Once::new();
            NOTE.call_once(|| {
                let _ = writeln!(std::io::stderr(), "\n!!! SKIPPED: {message}. !!!\n");
            });
            None
        }
    }
}

/// The release workflow's targets, in its matrix.
fn release_targets() -> Option<Vec<String>> {
    let workflow = yaml(".github/workflows/release.yml")?;
    let include = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a matrix of targets");
    Some(
        include
            .iter()
            .map(|e| e["target"].as_str().unwrap().to_string())
            .collect(),
    )
}

fn executable(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A release directory as GitHub serves it (`download/TAG/ASSET`), made by the release
/// workflow's scripts. Each target's "binary" names its target and runs the binary under test.
fn fake_release(targets: &[String], tag: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("download").join(tag);
    for target in targets {
        let stub = dir.path().join("stub");
        executable(
            &stub,
            &format!(
                "#!/bin/sh\n# {target}\nexec '{}' \"$@\"\n",
                env!("CARGO_BIN_EXE_keap-migrate")
            ),
        );
        let out = Command::new(format!("{ROOT}/scripts/release/package.sh"))
            .arg(target)
            .arg(&dist)
            .arg(&stub)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", support::text(&out.stderr));
    }
    let out = Command::new(format!("{ROOT}/scripts/release/checksums.sh"))
        .arg(&dist)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", support::text(&out.stderr));
    dir
}

fn base_url(release: &Path) -> String {
    format!("file://{}", release.display())
}

/// A runner's files and environment, the fake cargo first on a PATH without the real one.
struct Runner {
    dir: tempfile::TempDir,
    os: &'static str,
    arch: &'static str,
    env: Vec<(String, String)>,
}

impl Runner {
    fn new(os: &'static str, arch: &'static str) -> Runner {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("cargo.log");
        // Records its arguments and "builds" by linking the binary under test into --root
        // (as keap-migrate.exe for Windows, as cargo names it there).
        executable(
            &dir.path().join("fakebin/cargo"),
            &format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\nwhile [ \"$1\" != --root ]; do shift; done\n\
                 exe=; [ \"$RUNNER_OS\" = Windows ] && exe=.exe\n\
                 mkdir -p \"$2/bin\"\nln -s '{}' \"$2/bin/keap-migrate$exe\"\n",
                log.display(),
                env!("CARGO_BIN_EXE_keap-migrate"),
            ),
        );
        fs::create_dir(dir.path().join("temp")).unwrap();
        Runner {
            dir,
            os,
            arch,
            env: Vec::new(),
        }
    }

    fn set(mut self, key: &str, value: impl Into<String>) -> Runner {
        self.env.push((key.into(), value.into()));
        self
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.file(name)).unwrap_or_default()
    }

    /// `scripts/action/SCRIPT ARGS` in `cwd`, as a `run` step of action.yml.
    fn run(&self, script: &str, args: &[&str], cwd: &Path) -> Output {
        Command::new("bash")
            .arg(format!("{ROOT}/scripts/action/{script}"))
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.file("fakebin").display()),
            )
            .env("HOME", self.dir.path())
            .env("RUNNER_OS", self.os)
            .env("RUNNER_ARCH", self.arch)
            .env("RUNNER_TEMP", self.file("temp"))
            .env("GITHUB_ACTION_PATH", ROOT)
            .env("GITHUB_OUTPUT", self.file("output"))
            .env("GITHUB_PATH", self.file("path"))
            .env("GITHUB_STEP_SUMMARY", self.file("summary"))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap()
    }

    fn install(&self, mode: &str) -> Output {
        self.run("install.sh", &[mode], self.dir.path())
    }

    /// The step outputs written so far (the last value of each name wins, as on GitHub).
    fn outputs(&self) -> HashMap<String, String> {
        self.read("output")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn cargo_log(&self) -> String {
        self.read("cargo.log")
    }
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        support::text(&out.stdout),
        support::text(&out.stderr)
    )
}

/// The release workflow builds exactly the targets the Action downloads, and the Action picks
/// the right one for each runner from a release packaged as the workflow packages it.
#[test]
fn each_runner_downloads_its_own_binary_from_the_release() {
    let Some(targets) = release_targets() else {
        return;
    };
    let wanted: BTreeSet<&str> = RUNNERS.iter().map(|r| r.2).collect();
    let built: BTreeSet<&str> = targets.iter().map(String::as_str).collect();
    assert_eq!(
        built, wanted,
        "release.yml's matrix and install.sh's runners"
    );

    let release = fake_release(&targets, &version());
    for (os, arch, target) in RUNNERS {
        let runner =
            Runner::new(os, arch).set("KEAP_MIGRATE_RELEASE_BASE", base_url(release.path()));
        let runner = runner.set("KM_VERSION", version());
        let out = runner.install("download");
        assert!(out.status.success(), "{os} {arch}: {}", said(&out));
        let outputs = runner.outputs();
        assert_eq!(outputs["installed"], "true", "{os} {arch}");
        let exe = if os == "Windows" { ".exe" } else { "" };
        let bin = &outputs["bin"];
        assert!(bin.ends_with(&format!("/keap-migrate{exe}")), "{bin}");
        let installed = fs::read_to_string(bin).unwrap();
        assert!(
            installed.contains(&format!("# {target}\n")),
            "{os} {arch}: {installed}"
        );
        let dir = Path::new(bin).parent().unwrap();
        assert_eq!(runner.read("path"), format!("{}\n", dir.display()));
        // It ran: the install step prints the version it installed.
        assert!(
            said(&out).contains(env!("CARGO_PKG_VERSION")),
            "{}",
            said(&out)
        );
        assert_eq!(runner.cargo_log(), "", "nothing built");
    }
}

/// Which release: the input (with or without its `v`), else the action's own tag, else latest.
#[test]
fn the_version_is_the_input_else_the_actions_tag_else_latest() {
    let targets = ["x86_64-unknown-linux-musl".to_string()];
    let release = fake_release(&targets, "v9.9.9");
    let base = base_url(release.path());
    let runner = |version: &str, action_ref: &str| {
        let r = Runner::new("Linux", "X64")
            .set("KEAP_MIGRATE_RELEASE_BASE", base.clone())
            .set("KM_VERSION", version)
            .set("KM_ACTION_REF", action_ref);
        let out = r.install("download");
        assert!(out.status.success(), "{}", said(&out));
        (r.outputs()["installed"].clone(), said(&out))
    };
    assert_eq!(runner("9.9.9", "v1.0.0").0, "true");
    assert_eq!(runner("", "v9.9.9").0, "true");
    // At a branch the action asks for the latest release, which this fake one does not serve.
    let (installed, log) = runner("", "main");
    assert_eq!(installed, "false");
    assert!(log.contains("release latest not downloadable"), "{log}");
    fs::create_dir_all(release.path().join("latest")).unwrap();
    fs::rename(
        release.path().join("download/v9.9.9"),
        release.path().join("latest/download"),
    )
    .unwrap();
    assert_eq!(runner("latest", "v9.9.9").0, "true");

    let r = Runner::new("Linux", "X64").set("KM_VERSION", "nightly");
    let out = r.install("download");
    assert!(!out.status.success());
    assert!(
        said(&out).contains("version must be latest"),
        "{}",
        said(&out)
    );
}

/// An archive that is not the one SHA256SUMS lists fails the step, loudly, and is neither
/// installed nor replaced by a build.
#[test]
fn a_checksum_mismatch_fails_loudly() {
    let target = "aarch64-apple-darwin".to_string();
    let release = fake_release(std::slice::from_ref(&target), &version());
    let archive = release.path().join(format!(
        "download/{}/keap-migrate-{target}.tar.gz",
        version()
    ));
    let mut bytes = fs::read(&archive).unwrap();
    bytes.push(0);
    fs::write(&archive, bytes).unwrap();

    let runner = Runner::new("macOS", "ARM64")
        .set("KEAP_MIGRATE_RELEASE_BASE", base_url(release.path()))
        .set("KM_VERSION", version());
    let out = runner.install("download");
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let err = support::text(&out.stderr);
    assert!(
        err.contains("::error") && err.contains("SHA-256") && err.contains("not installed"),
        "{err}"
    );
    assert!(
        !runner.outputs().contains_key("installed"),
        "{:?}",
        runner.outputs()
    );
    assert_eq!(runner.read("path"), "", "nothing on PATH");
    assert_eq!(runner.cargo_log(), "", "no build instead");
}

/// No archive for the runner, a release without it, or a download that fails: the build step
/// runs `cargo install --locked` into the cache directory, and a cached build is reused.
#[test]
fn without_a_binary_it_builds_with_cargo_install_locked_and_caches() {
    let release = fake_release(&["x86_64-unknown-linux-musl".to_string()], &version());
    let here = base_url(release.path());
    let nowhere = format!("file://{}/no-release", release.path().display());
    let cases = [
        (
            "Windows",
            "ARM64",
            here.as_str(),
            "no release binary for Windows ARM64",
        ),
        (
            "Linux",
            "ARM64",
            here.as_str(),
            "has no keap-migrate-aarch64-unknown-linux-musl",
        ),
        ("Linux", "X64", nowhere.as_str(), "not downloadable"),
    ];
    for (os, arch, base, why) in cases {
        let runner = Runner::new(os, arch)
            .set("KEAP_MIGRATE_RELEASE_BASE", base)
            .set("KM_ACTION_REF", version());
        let out = runner.install("download");
        assert!(out.status.success(), "{os} {arch}: {}", said(&out));
        assert!(said(&out).contains(why), "{os} {arch}: {}", said(&out));
        let outputs = runner.outputs();
        assert_eq!(outputs["installed"], "false");
        let key = &outputs["cache-key"];
        assert!(
            key.starts_with(&format!(
                "keap-migrate-cargo-{os}-{arch}-{}-path-",
                version()
            )),
            "keyed on runner, version and the sources built: {key}"
        );
        let cache = outputs["cache-path"].clone();
        assert!(
            cache.starts_with(&*runner.file("temp").to_string_lossy()),
            "{cache}"
        );

        // Twice, as a second job would run it after actions/cache restored the first build.
        for _ in 0..2 {
            let out = runner.install("build");
            assert!(out.status.success(), "{os} {arch}: {}", said(&out));
        }
        let log = runner.cargo_log();
        assert_eq!(
            log,
            format!("install --locked --root {cache}.partial --path {ROOT}\n"),
            "built once, from the action's checkout, with the lock file"
        );
        let bin = runner.outputs()["bin"].clone();
        let exe = if os == "Windows" { ".exe" } else { "" };
        assert_eq!(bin, format!("{cache}/bin/keap-migrate{exe}"));
        assert!(runner.read("path").contains(&format!("{cache}/bin\n")));
    }

    // A version other than the action's own is built from its tag.
    let runner = Runner::new("Linux", "ARM64")
        .set("KEAP_MIGRATE_RELEASE_BASE", here.as_str())
        .set("KM_ACTION_REF", version())
        .set("KM_VERSION", "v0.0.9");
    assert!(runner.install("download").status.success());
    let cache = runner.outputs()["cache-path"].clone();
    assert!(runner.outputs()["cache-key"].ends_with("-v0.0.9-v0.0.9"));
    let out = runner.install("build");
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(
        runner.cargo_log(),
        format!(
            "install --locked --root {cache}.partial --git https://github.com/keap-migrate/keap-migrate --tag v0.0.9\n"
        )
    );

    // No cargo either: the error says what to do.
    let runner = Runner::new("Windows", "ARM64");
    fs::remove_file(runner.file("fakebin/cargo")).unwrap();
    let out = runner.install("build");
    assert_eq!(out.status.code(), Some(1));
    assert!(said(&out).contains("install Rust first"), "{}", said(&out));
}

/// The scan step, with the binary the install step put in place: paths, args and
/// working-directory are honoured, the SARIF is written beside the annotations, and the exit
/// code is the scan's.
#[test]
fn the_scan_step_honours_its_inputs_and_exits_as_the_scan() {
    let release = fake_release(&["x86_64-unknown-linux-musl".to_string()], &version());
    let runner = Runner::new("Linux", "X64")
        .set("KEAP_MIGRATE_RELEASE_BASE", base_url(release.path()))
        .set("KM_VERSION", version());
    assert!(runner.install("download").status.success());
    let bin = runner.outputs()["bin"].clone();

    let repo = tempfile::tempdir().unwrap();
    crate::git(repo.path(), &["init", "-q"]);
    write(
        repo.path(),
        "sub/app/keap.php",
        &format!("<?php $k = '{KEY}';\n"),
    );
    write(repo.path(), "sub/clean/a.php", "<?php echo 'hello';\n");
    let scan = |inputs: &[(&str, &str)]| {
        let mut r = Runner::new("Linux", "X64")
            .set("KM_BIN", bin.clone())
            .set("KM_WORKING_DIRECTORY", "sub");
        for (k, v) in inputs {
            r = r.set(k, *v);
        }
        let out = r.run("run.sh", &[], repo.path());
        (out, r.outputs(), r.read("summary"))
    };

    let (out, outputs, summary) = scan(&[("KM_PATHS", "app clean")]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert_eq!(outputs["exit-code"], "1");
    let stdout = support::text(&out.stdout);
    assert!(
        stdout.contains("::error file=sub/app/keap.php") && stdout.contains("hardcoded-key"),
        "annotations, from the repository's top: {stdout}"
    );
    assert!(!said(&out).contains(KEY), "redacted");
    assert!(summary.contains("hardcoded-key"), "step summary: {summary}");
    let sarif = repo.path().join("sub/keap-migrate.sarif");
    assert_eq!(outputs["sarif-file"], sarif.display().to_string());
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(report["runs"][0]["results"].as_array().unwrap().len(), 1);

    // args reach the scan.
    let (out, outputs, _) = scan(&[("KM_PATHS", "app"), ("KM_ARGS", "--fail-on never")]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_eq!(outputs["exit-code"], "0");
    let (out, _, _) = scan(&[("KM_PATHS", "app"), ("KM_ARGS", "--disable hardcoded-key")]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));

    // The paths are the working directory's: `clean` alone is clean.
    let (out, _, _) = scan(&[("KM_PATHS", "clean")]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));

    // annotations: false gives the text report, SARIF still beside it, under its own name.
    let (out, outputs, _) = scan(&[
        ("KM_PATHS", "app"),
        ("KM_ANNOTATIONS", "false"),
        ("KM_SARIF", "out/scan.sarif"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "out/ does not exist: {}",
        said(&out)
    );
    assert!(!outputs.contains_key("sarif-file"), "no report, no upload");
    fs::create_dir(repo.path().join("sub/out")).unwrap();
    let (out, outputs, summary) = scan(&[
        ("KM_PATHS", "app"),
        ("KM_ANNOTATIONS", "false"),
        ("KM_SARIF", "out/scan.sarif"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let stdout = support::text(&out.stdout);
    assert!(
        !stdout.contains("::error") && stdout.contains("hardcoded-key"),
        "{stdout}"
    );
    assert!(summary.is_empty(), "no step summary without annotations");
    assert!(outputs["sarif-file"].ends_with("sub/out/scan.sarif"));

    // A flag the scan refuses: exit 2, passed on.
    let (out, outputs, _) = scan(&[("KM_ARGS", "--no-such-flag")]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert_eq!(outputs["exit-code"], "2");
}

/// action.yml: every input it declares is used and every one it uses is declared; each script
/// step is given every KM_ variable its script reads; uploading can be switched off and does not
/// fail the job in `auto`.
#[test]
fn action_yml_wires_its_inputs_to_the_scripts() {
    let Some(action) = yaml("action.yml") else {
        return;
    };
    let text = fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap();
    let inputs = action["inputs"].as_object().unwrap();
    for name in [
        "version",
        "args",
        "working-directory",
        "annotations",
        "upload-sarif",
    ] {
        assert!(inputs.contains_key(name), "input {name}");
    }
    assert_eq!(inputs["upload-sarif"]["default"], "auto");
    assert_eq!(inputs["annotations"]["default"], "true");
    for name in inputs.keys() {
        assert!(
            text.contains(&format!("inputs.{name} ")),
            "input {name} unused"
        );
    }
    let used = regex_all(&text, "inputs.", |c| c.is_alphanumeric() || c == '-');
    for name in &used {
        assert!(inputs.contains_key(name), "inputs.{name} is not declared");
    }
    assert_eq!(action["branding"]["icon"], "shield");

    let steps = action["runs"]["steps"].as_array().unwrap();
    for step in steps {
        let Some(run) = step["run"].as_str() else {
            continue;
        };
        let Some(script) = run.split('"').find(|s| s.contains("/scripts/action/")) else {
            continue;
        };
        let script = script.replace("$GITHUB_ACTION_PATH", ROOT);
        let source = fs::read_to_string(&script).unwrap();
        let env = step["env"].as_object().cloned().unwrap_or_default();
        for var in regex_all(&source, "KM_", |c| c.is_ascii_uppercase() || c == '_') {
            assert!(
                env.contains_key(&format!("KM_{var}")),
                "{script} reads KM_{var}, which step {} does not set",
                step["name"]
            );
        }
    }
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.contains("upload-sarif"))
        })
        .unwrap();
    assert_eq!(upload["uses"], "github/codeql-action/upload-sarif@v4");
    assert_eq!(
        upload["continue-on-error"],
        "${{ inputs.upload-sarif == 'auto' }}"
    );
    assert!(upload["if"]
        .as_str()
        .unwrap()
        .contains("inputs.upload-sarif != 'false'"));
    let warn = steps
        .iter()
        .find(|s| {
            s["if"]
                .as_str()
                .is_some_and(|c| c.contains("steps.upload.outcome"))
        })
        .expect("a step that warns when an auto upload failed");
    assert!(warn["run"].as_str().unwrap().contains("::warning"));
}

/// Every name that follows `prefix` in `text`, as far as `more` accepts its characters.
fn regex_all(text: &str, prefix: &str, more: impl Fn(char) -> bool) -> BTreeSet<String> {
    text.match_indices(prefix)
        .map(|(i, _)| {
            text[i + prefix.len()..]
                .chars()
                .take_while(|&c| more(c))
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// The release runs on the tags the README's snippets name, which must be the crate's version.
#[test]
fn the_readme_names_the_tag_the_release_makes() {
    let Some(workflow) = yaml(".github/workflows/release.yml") else {
        return;
    };
    // YAML 1.1 reads a bare `on` as true.
    assert_eq!(workflow["true"]["push"]["tags"], serde_json::json!(["v*"]));
    let text = fs::read_to_string(Path::new(ROOT).join(".github/workflows/release.yml")).unwrap();
    assert!(
        text.contains(r#""$GITHUB_REF_NAME" != "v$version""#),
        "the tag is checked"
    );
    for script in ["scripts/release/package.sh", "scripts/release/checksums.sh"] {
        assert!(text.contains(script), "{script}");
    }

    let readme = fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let tags: Vec<&str> = readme
        .lines()
        .filter_map(|l| {
            l.split_once("rev: ")
                .or_else(|| l.split_once("keap-migrate/keap-migrate@"))
                .map(|(_, rest)| rest.split_whitespace().next().unwrap())
        })
        .collect();
    assert_eq!(
        tags.len(),
        2,
        "the pre-commit and the Action snippets: {tags:?}"
    );
    for tag in tags {
        assert_eq!(tag, version(), "a tag that the release makes");
    }
    let action = yaml("action.yml").unwrap();
    for input in action["inputs"].as_object().unwrap().keys() {
        assert!(
            readme.contains(&format!("`{input}`")),
            "README says input {input}"
        );
    }
}
