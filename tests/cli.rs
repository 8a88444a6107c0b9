//! The binary end to end: exit codes, bad input, redaction, output stability; and the same CLI
//! in-process through `run_with`.
use std::{fs, os::unix::fs::symlink, path::Path, process::Command};

use keap_migrate::{run_with, Exit, Io};

const SAK: &str = "KeapAK-5475a9ffd8aa5855ee5d02dd27231ac2b81165241ff04ab293";
const LEGACY: &str = "22f29430c02019c45ee2fc2d43699a07";

fn bin(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keap-migrate"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    dir
}

fn keap_php() -> String {
    format!("<?php\n$key = '{LEGACY}';\n$c = new xmlrpc_client('https://ab123.infusionsoft.com/api/xmlrpc');\n")
}

#[test]
fn exit_codes_say_clean_findings_or_error() {
    let clean = tree(&[("a.php", b"<?php echo 'hello';\n")]);
    assert_eq!(bin(&["scan", "."], clean.path()).0, 0);

    let dirty = tree(&[("a.php", keap_php().as_bytes())]);
    assert_eq!(bin(&["scan", "."], dirty.path()).0, 1);
    assert_eq!(bin(&["scan", "--fail-on", "never", "."], dirty.path()).0, 0);
    assert_eq!(bin(&["scan", "--fail-on", "error", "."], dirty.path()).0, 1);

    let (code, _, err) = bin(&["scan", "no-such-dir"], dirty.path());
    assert_eq!(code, 2);
    assert!(err.contains("no-such-dir"), "{err}");
    assert_eq!(bin(&["scan", "--format", "yaml", "."], dirty.path()).0, 2);
}

#[test]
fn notes_fail_only_at_note_level() {
    let dir = tree(&[(
        "a.php",
        b"<?php\n// was: https://ab123.infusionsoft.com/api/xmlrpc\n",
    )]);
    assert_eq!(bin(&["scan", "."], dir.path()).0, 1);
    assert_eq!(bin(&["scan", "--fail-on", "warning", "."], dir.path()).0, 0);
}

#[test]
fn bad_input_is_skipped_and_said_and_the_scan_goes_on() {
    let mut binary = b"\x89PNG\r\n\x1a\n\0\0\0".to_vec();
    binary.extend_from_slice(SAK.as_bytes());
    let big = format!("{}\n{SAK}\n", "x".repeat(2000));
    let latin1 = [
        b"<?php // caf\xe9\n$k = '".as_slice(),
        SAK.as_bytes(),
        b"';\n",
    ]
    .concat();
    let dir = tree(&[
        ("logo.png", &binary),
        ("dump.sql", big.as_bytes()),
        ("latin1.php", &latin1),
        ("ok.php", keap_php().as_bytes()),
    ]);
    symlink("loop", dir.path().join("loop")).unwrap();
    // Opening a FIFO blocks until a writer comes: the scan must not try.
    let fifo = dir.path().join("pipe.php");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (code, out, _) = bin(&["scan", "--max-file-size", "1K", "."], dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("skipped (binary): ./logo.png"), "{out}");
    assert!(out.contains("skipped (too large): ./dump.sql"), "{out}");
    assert!(
        out.contains("skipped (symlink not followed): ./loop"),
        "{out}"
    );
    assert!(
        out.contains("not UTF-8, scanned with invalid bytes replaced: ./latin1.php"),
        "{out}"
    );
    assert!(
        out.contains("./latin1.php\n  2:7  error"),
        "the non-UTF-8 file is still scanned:\n{out}"
    );
    assert!(out.contains("./ok.php"), "{out}");

    // Followed, the self-loop is an error: reported, the rest scanned, exit 2.
    let (code, out, _) = bin(
        &["scan", "--follow", "--max-file-size", "1K", "."],
        dir.path(),
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("error: "), "{out}");
    assert!(out.contains("./ok.php"), "{out}");
}

#[test]
fn dotenv_files_are_scanned_even_when_gitignored() {
    let env = format!("KEAP_SAK={SAK}\n");
    let dir = tree(&[
        (".gitignore", b".env\nbuild/\n"),
        (".env", env.as_bytes()),
        ("build/gen.php", keap_php().as_bytes()),
    ]);
    let (code, out, _) = bin(&["scan", "."], dir.path());
    assert_eq!(code, 1);
    assert!(out.contains("./.env\n"), "{out}");
    assert!(
        !out.contains("build/gen.php"),
        "gitignored directories stay skipped:\n{out}"
    );
    let (_, out, _) = bin(&["scan", "--no-ignore", "."], dir.path());
    assert!(out.contains("build/gen.php"), "{out}");
    assert_eq!(
        out.matches("./.env\n").count(),
        1,
        "the dotenv file is scanned once:\n{out}"
    );
}

#[test]
fn secrets_are_redacted_unless_asked_for() {
    let env = format!("KEAP_SAK={SAK}\n");
    let dir = tree(&[(".env", env.as_bytes()), ("a.php", keap_php().as_bytes())]);
    for format in ["text", "json"] {
        let (_, out, err) = bin(&["scan", "--format", format, "."], dir.path());
        assert!(
            !out.contains(SAK) && !err.contains(SAK),
            "{format} leaked the SAK"
        );
        assert!(
            !out.contains(LEGACY) && !err.contains(LEGACY),
            "{format} leaked the key"
        );
        assert!(out.contains("KeapAK-5475…(57 chars)"), "{out}");
        let (_, out, _) = bin(
            &["scan", "--format", format, "--show-secrets", "."],
            dir.path(),
        );
        assert!(
            out.contains(SAK) && out.contains(LEGACY),
            "{format} --show-secrets"
        );
    }
}

#[test]
fn json_output_is_the_same_bytes_every_run() {
    let dir = tree(&[
        ("b/x.php", keap_php().as_bytes()),
        ("a/y.php", keap_php().as_bytes()),
        (
            "c.py",
            b"s = ServerProxy('https://zz.infusionsoft.com/api/xmlrpc')\n",
        ),
    ]);
    let first = bin(&["scan", "--format", "json", "."], dir.path()).1;
    for threads in ["1", "4"] {
        assert_eq!(
            first,
            bin(
                &["scan", "--format", "json", "-j", threads, "."],
                dir.path()
            )
            .1
        );
    }
    let doc: serde_json::Value = serde_json::from_str(&first).unwrap();
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(doc["summary"]["findings"], paths.len());
}

#[test]
fn fingerprints_survive_edits_above_the_finding() {
    let before = tree(&[("a.php", keap_php().as_bytes())]);
    let edited = format!(
        "<?php\n// a new comment\nrequire 'x.php';\n{}",
        &keap_php()[6..]
    );
    let after = tree(&[("a.php", edited.as_bytes())]);
    let prints = |dir: &Path| -> Vec<String> {
        let doc: serde_json::Value =
            serde_json::from_str(&bin(&["scan", "--format", "json", "."], dir).1).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let (a, b) = (prints(before.path()), prints(after.path()));
    assert_eq!(a.len(), 2);
    assert_eq!(a, b);
}

#[test]
fn colour_follows_the_flag() {
    let dir = tree(&[("a.php", keap_php().as_bytes())]);
    assert!(bin(&["scan", "--color", "always", "."], dir.path())
        .1
        .contains("\x1b["));
    assert!(
        !bin(&["scan", "."], dir.path()).1.contains("\x1b["),
        "not a terminal: no colour"
    );
}

#[test]
fn rules_lists_every_rule() {
    let (code, out, _) = bin(&["rules"], Path::new("."));
    assert_eq!(code, 0);
    for id in keap_migrate::rules::BUILTIN_IDS {
        assert!(out.contains(id), "{id} missing from:\n{out}");
    }
}

#[test]
fn the_cli_runs_in_process() {
    let dir = tree(&[("a.php", keap_php().as_bytes())]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut io = Io {
        out: &mut out,
        err: &mut err,
        is_terminal: true,
    };
    let path = dir.path().to_str().unwrap();
    assert_eq!(
        run_with(["keap-migrate", "scan", "--color", "never", path], &mut io),
        Exit::Findings
    );
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("legacy-endpoint"), "{text}");
    assert!(text.contains("2 findings in 1 file"), "{text}");
}

/// A saved report is not a new leak: rule texts name no matchable endpoint, secrets are
/// redacted, so scanning yesterday's reports finds nothing.
#[test]
fn reports_do_not_trip_the_scanner() {
    let dir = tree(&[("a.php", keap_php().as_bytes())]);
    let reports = tempfile::tempdir().unwrap();
    for format in ["text", "json", "sarif", "github", "junit"] {
        let (code, out, _) = bin(&["scan", "--format", format, "."], dir.path());
        assert_eq!(code, 1);
        fs::write(reports.path().join(format!("report.{format}")), out).unwrap();
    }
    let (code, out, _) = bin(&["scan", "."], reports.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("0 findings"), "{out}");
}

#[test]
fn git_scopes_outside_a_work_tree_say_so() {
    let dir = tree(&[("a.php", keap_php().as_bytes())]);
    for scope in [&["--staged"][..], &["--since", "HEAD~1"]] {
        let (code, _, err) = bin(&[&["scan"], scope, &["."]].concat(), dir.path());
        assert_eq!(code, 2);
        assert!(err.contains("not inside a git work tree"), "{err}");
        assert!(err.lines().count() <= 2, "{err}");
    }
}

#[test]
fn a_report_file_does_not_hide_why_the_run_failed() {
    let dir = tree(&[("a.php", keap_php().as_bytes())]);
    symlink("nowhere", dir.path().join("dangling.php")).unwrap();
    let (code, _, err) = bin(
        &[
            "scan",
            "--follow",
            "--output",
            "report.json",
            "--format",
            "json",
            ".",
        ],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("error:") && err.contains("dangling.php"),
        "{err}"
    );
}

#[test]
fn the_same_rules_directory_twice_is_read_once_and_clashes_name_their_files() {
    let dir = tree(&[
        ("rules/host.toml", b"id = \"old-host\"\nseverity = \"note\"\ntitle = \"t\"\nmessage = \"m\"\nhelp = \"h\"\nkeywords = [\"crm.internal\"]\n"),
        ("a.txt", b"crm.internal\n"),
    ]);
    let (code, out, err) = bin(
        &["scan", "--rules", "rules", "--rules", "./rules", "a.txt"],
        dir.path(),
    );
    assert_eq!(code, 0, "{out}{err}");
    fs::write(
        dir.path().join("rules/again.toml"),
        fs::read(dir.path().join("rules/host.toml")).unwrap(),
    )
    .unwrap();
    let (code, _, err) = bin(&["scan", "--rules", "rules", "a.txt"], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("host.toml") && err.contains("again.toml"),
        "{err}"
    );
}

/// The habits of other scanners: `--json`/`--sarif`, `--sarif-output` beside the text report,
/// `-q`, `-v`, `explain`, and the hint that ends the summary.
#[test]
fn aliases_second_reports_quiet_verbose_and_the_hint() {
    let dir = tree(&[
        ("a.php", keap_php().as_bytes()),
        ("b.env", format!("K={SAK}\n").as_bytes()),
    ]);
    let (code, long, _) = bin(&["scan", "--format", "json", "."], dir.path());
    assert_eq!(
        (code, bin(&["scan", "--json", "."], dir.path()).1),
        (1, long.clone())
    );
    let (_, sarif, _) = bin(&["scan", "--format", "sarif", "."], dir.path());
    assert_eq!(bin(&["scan", "--sarif", "."], dir.path()).1, sarif);

    // One scan, two reports: the text on stdout, SARIF in a file (not scanned itself).
    let (code, text, _) = bin(&["scan", "--sarif-output", "k.sarif", "."], dir.path());
    assert_eq!(code, 1);
    assert!(
        text.contains("a.php")
            && text.contains("hint: `keap-migrate diff` previews the migration for 1 file"),
        "{text}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("k.sarif")).unwrap(),
        sarif
    );
    assert!(!text.contains(SAK) && !sarif.contains(SAK));

    let (code, quiet, err) = bin(&["scan", "-q", "."], dir.path());
    assert_eq!(code, 1);
    assert!(
        quiet.contains("hardcoded-key") && !quiet.contains("scanned") && !quiet.contains("hint"),
        "{quiet}"
    );
    assert!(err.is_empty(), "{err}");
    let (_, _, err) = bin(&["scan", "-v", "."], dir.path());
    assert!(err.contains("no keap-migrate.toml found"), "{err}");
    fs::write(dir.path().join("keap-migrate.toml"), "").unwrap();
    let (_, _, err) = bin(&["scan", "-v", "."], dir.path());
    assert!(
        err.contains("keap-migrate: config ") && err.contains("keap-migrate.toml"),
        "{err}"
    );

    // Nothing to migrate automatically: no hint.
    let env_only = tree(&[("b.env", format!("K={SAK}\n").as_bytes())]);
    assert!(!bin(&["scan", "."], env_only.path()).1.contains("hint"));
}

#[test]
fn explain_prints_a_rules_help() {
    let dir = tree(&[]);
    let (code, rules, _) = bin(&["rules", "--format", "json"], dir.path());
    assert_eq!(code, 0);
    let rules: serde_json::Value = serde_json::from_str(&rules).unwrap();
    for rule in rules.as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        let (code, out, _) = bin(&["explain", id], dir.path());
        assert_eq!(code, 0);
        assert!(out.starts_with(&format!("{id}: ")), "{out}");
        assert!(out.contains(rule["help"].as_str().unwrap().trim()), "{out}");
        assert!(out.contains(&format!("#{id}")), "{out}");
    }
    let (code, _, err) = bin(&["explain", LEGACY], dir.path());
    assert_eq!(code, 2);
    assert!(
        err.contains("keap-migrate rules") && !err.contains(LEGACY),
        "{err}"
    );
}

/// What the README's first lines promise of its first command, and the Rust it names.
#[test]
fn the_readme_first_command_prints_what_it_says() {
    let readme = fs::read_to_string("README.md").unwrap();
    let manifest = fs::read_to_string("Cargo.toml").unwrap();
    let msrv = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    assert!(
        readme.contains(&format!("Prerequisites: Rust {msrv} or newer")),
        "README names rust-version {msrv}"
    );
    let (code, out, _) = bin(
        &["scan", "fixtures/"],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert_eq!(code, 1);
    let summary = out.lines().find(|l| l.contains(" findings in ")).unwrap();
    assert!(
        summary.contains(" files (") && summary.contains("hardcoded-key "),
        "{summary}"
    );
    assert!(out
        .lines()
        .any(|l| l.starts_with("  ") && l.contains("  hardcoded-key  ")));
    assert!(
        out.trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("hint: `keap-migrate diff` previews the migration for "),
        "{out}"
    );
}

/// The scan under `script`, whose pseudo-terminal is its stdout and stderr: what a person at a
/// terminal sees, control sequences and all.
fn on_a_terminal(args: &str, ci: Option<&str>) -> String {
    let mut cmd = Command::new("script");
    cmd.args([
        "-qec",
        &format!("{} {args}", env!("CARGO_BIN_EXE_keap-migrate")),
        "/dev/null",
    ])
    .current_dir(env!("CARGO_MANIFEST_DIR"))
    .stdin(std::process::Stdio::null())
    .env_remove("CI");
    if let Some(ci) = ci {
        cmd.env("CI", ci);
    }
    let out = cmd.output().expect("script (util-linux) is installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A terminal shows the spinner (erased once the scan is done); pipes, CI logs and `-q` never do.
#[test]
fn the_progress_spinner_is_for_a_person_at_a_terminal() {
    let shown = on_a_terminal("scan fixtures/ > /dev/null", None);
    assert!(
        shown.contains("scanning: ") && shown.contains(" files, "),
        "{shown:?}"
    );
    assert!(shown.contains("\r\x1b[2K"), "erased: {shown:?}");
    for (args, ci) in [
        ("scan fixtures/ > /dev/null", Some("true")),
        ("scan -q fixtures/ > /dev/null", None),
        // Standard error into a pipe, standard output still on the terminal.
        ("scan fixtures/ 2>&1 | cat", None),
    ] {
        let said = on_a_terminal(args, ci);
        assert!(!said.contains("scanning: "), "{args} CI={ci:?}: {said:?}");
        assert!(!said.contains("\x1b[2K"), "{args} CI={ci:?}: {said:?}");
    }

    // What the tests see of it: pipes, so nothing, whatever CI says.
    let out = Command::new(env!("CARGO_BIN_EXE_keap-migrate"))
        .args(["scan", "fixtures/"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CI")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("scanning") && !err.contains('\x1b'),
        "{err:?}"
    );
}

#[test]
fn completions_know_the_commands_and_their_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (code, script, _) = bin(&["completions", "bash"], dir.path());
    assert_eq!(code, 0);
    let commands = [
        "scan",
        "baseline",
        "rules",
        "diff",
        "apply",
        "explain",
        "completions",
        "man",
    ];
    for command in commands {
        assert!(script.contains(command), "{command}");
    }
    // Bash itself completes with it: `keap-migrate ` offers every command, `scan --fail` the flag.
    let path = dir.path().join("keap-migrate.bash");
    fs::write(&path, &script).unwrap();
    let complete = |words: &str| {
        let probe = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             _keap__migrate keap-migrate \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display()
        );
        let out = Command::new("bash").args(["-c", &probe]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let offered = complete("keap-migrate ''");
    for command in commands {
        assert!(
            offered.lines().any(|l| l == command),
            "{command} in {offered}"
        );
    }
    assert!(complete("keap-migrate scan --fail")
        .lines()
        .any(|l| l == "--fail-on"));

    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let (code, script, _) = bin(&["completions", shell], dir.path());
        assert_eq!(code, 0, "{shell}");
        assert!(script.contains("fail-on"), "{shell}");
    }
    assert_eq!(bin(&["completions", "tcsh"], dir.path()).0, 2);
}

#[test]
fn the_man_pages_name_the_tool_and_each_command() {
    let dir = tempfile::tempdir().unwrap();
    let (code, page, _) = bin(&["man"], dir.path());
    assert_eq!(code, 0);
    assert!(page.contains(".TH keap-migrate 1"), "{page}");
    assert!(
        page.contains(".SH NAME\nkeap\\-migrate \\- Find and migrate"),
        "{page}"
    );
    assert!(
        page.contains("keap\\-migrate\\-scan(1)"),
        "points at the commands' pages"
    );
    let (code, page, _) = bin(&["man", "scan"], dir.path());
    assert_eq!(code, 0);
    assert!(page.contains(".TH keap-migrate-scan 1"), "{page}");
    assert!(page.contains("\\-\\-fail\\-on"), "{page}");
    let (code, _, err) = bin(&["man", "scna"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("no command `scna`"), "{err}");
}

/// ColdFusion and Rust are not rewritten (no ColdFusion engine here, no Rust XML-RPC client run
/// against the mock): each site is a manual item with the code to add, in the file's syntax.
#[test]
fn cfml_and_rust_sites_are_manual_items_with_the_code_to_add() {
    let cf = fs::read("fixtures/cfml/ng.slot-array/intake.cfm").unwrap();
    let rs = fs::read("fixtures/rust/ng.request-builder/crm.rs").unwrap();
    let dir = tree(&[("intake.cfm", &cf), ("crm.rs", &rs)]);
    let (_, out, err) = bin(&["diff"], dir.path());
    let all = format!("{out}{err}");
    assert!(!out.contains("+++"), "no patch: {out}");
    assert!(
        all.contains("key-in-body at 8:18, 19:22, 29:18 (3): send \"placeholder\" as this parameter, and the key as a header of the request that posts the call: `<cfhttpparam type=\"header\" name=\"X-Keap-API-Key\" value=\"#crmKey#\">`"),
        "{all}"
    );
    assert!(
        all.contains("legacy-endpoint at 12:27, 23:31 (2): post to `url=\"https://api.infusionsoft.com/crm/xmlrpc\"`"),
        "{all}"
    );
    assert!(
        all.contains("key-in-body at 29:18 (1): pass \"placeholder\" as the first `.arg(…)` and send the request with `.call(reqwest::blocking::Client::new().post(\"https://api.infusionsoft.com/crm/xmlrpc\").header(\"X-Keap-API-Key\", self.key.as_str()))`"),
        "{all}"
    );
    assert!(
        all.contains("`std::env::var(\"KEAP_API_KEY\").expect(\"KEAP_API_KEY\")`"),
        "{all}"
    );
    let (_, out, err) = bin(&["diff", "--auth", "bearer"], dir.path());
    let all = format!("{out}{err}");
    assert!(
        all.contains(
            "`cfhttpparam(type=\"header\", name=\"Authorization\", value=\"Bearer \" & crmKey);`"
        ),
        "{all}"
    );
}

/// C# and VB.NET are not rewritten (no XML-RPC.NET library here to prove a rewrite by running
/// it): `diff` gives each proxy's calls one manual item with the code to add, in its syntax.
#[test]
fn dotnet_proxy_calls_are_manual_items_with_the_code_to_add() {
    let cs = fs::read("fixtures/csharp/ng.proxy-interface/CrmSync.cs").unwrap();
    let vb = fs::read("fixtures/vb/ng.proxy-interface/Crm.vb").unwrap();
    let dir = tree(&[("CrmSync.cs", &cs), ("Crm.vb", &vb)]);
    let (_, out, err) = bin(&["diff"], dir.path());
    let all = format!("{out}{err}");
    assert!(!out.contains("+++"), "no patch: {out}");
    assert!(
        all.contains("key-in-body at 38:37, 39:33 (2): proxy `crm` (made at line 30): add `crm.Headers.Add(\"X-Keap-API-Key\", ApiKey);` and `crm.Url = \"https://api.infusionsoft.com/crm/xmlrpc\";` after it is made, then pass \"placeholder\" as the first argument of each call through it"),
        "{all}"
    );
    assert!(
        all.contains("key-in-body at 19:44, 20:42 (2): proxy `crm` (made at line 16): add `crm.Headers.Add(\"X-Keap-API-Key\", apiKey)` and"),
        "{all}"
    );
    assert!(
        all.contains("`Environment.GetEnvironmentVariable(\"KEAP_API_KEY\")`"),
        "{all}"
    );
    let (_, out, err) = bin(&["diff", "--auth", "bearer"], dir.path());
    let all = format!("{out}{err}");
    assert!(
        all.contains("`crm.Headers.Add(\"Authorization\", \"Bearer \" + ApiKey);`"),
        "{all}"
    );
    assert!(
        all.contains("`crm.Headers.Add(\"Authorization\", \"Bearer \" & apiKey)`"),
        "{all}"
    );
}

/// A text scan plans the migration only for its closing hint: past ten thousand findings (a
/// generated file of calls) the hint is said without a count rather than paid for with a plan.
#[test]
fn a_scan_dense_with_findings_hints_without_planning() {
    let mut php = String::from(
        "<?php\n$apiKey = getenv('IS_KEY');\n$client = new xmlrpc_client('https://ab123.infusionsoft.com/api/xmlrpc');\n",
    );
    for n in 0..10_001 {
        php.push_str(&format!(
            "$client->send(new xmlrpcmsg('ContactService.addToGroup', array(new xmlrpcval($apiKey), new xmlrpcval({n}))));\n"
        ));
    }
    let dir = tree(&[("sync.php", php.as_bytes())]);
    let (code, out, _) = bin(&["scan", "."], dir.path());
    assert_eq!(code, 1);
    assert!(
        out.contains("10002 findings in 1 file"),
        "{}",
        &out[out.len().saturating_sub(400)..]
    );
    assert_eq!(
        out.trim_end().lines().last(),
        Some("hint: `keap-migrate diff` previews the migration; `keap-migrate apply` makes it")
    );
}
