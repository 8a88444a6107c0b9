//! `diff` and `apply` on every PHP fixture: the expected patch per auth mode, the round trip
//! through `git apply` and `patch -p1`, idempotence, nothing left out silently, safe writes,
//! and PHP's own linter on every rewritten file.
mod support;

use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

use support::{bin, text};

/// Runs a tool the round trip needs; under CI its absence is a failure, elsewhere too: git and
/// patch are part of any machine that builds this project.
fn tool(program: &str, args: &[&str], dir: &Path, stdin: Option<&Path>) {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    if let Some(input) = stdin {
        cmd.stdin(fs::File::open(input).unwrap());
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("`{program}` is needed (scripts/test installs it): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed in {}:\n{}{}",
        dir.display(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The languages `apply` migrates.
const MIGRATED: [&str; 7] = ["php", "python", "ruby", "js", "go", "perl", "java"];

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = MIGRATED
        .iter()
        .flat_map(|lang| fs::read_dir(Path::new("fixtures").join(lang)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("ng."))
        .collect();
    cases.sort();
    cases
}

/// A copy of a case's inputs (not its expectations), folders included.
fn copy_inputs(case: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for rel in files_under(case) {
        if !rel.starts_with("expected.") {
            let to = dir.path().join(&rel);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(case.join(&rel), to).unwrap();
        }
    }
    dir
}

/// The files under `dir`, as paths relative to it (a git repository's own files aside).
fn files_under(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with(".git") {
                    folders.push(path);
                }
            } else {
                let rel = path.strip_prefix(dir).unwrap();
                files.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .filter(|rel| !rel.ends_with(".patch"))
        .map(|rel| {
            let bytes = fs::read(dir.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect()
}

#[test]
fn each_case_gives_its_expected_patch_for_both_auth_modes() {
    let bless = support::bless();
    let mut failures = Vec::new();
    for case in cases() {
        for auth in ["header", "bearer"] {
            let expected_file = case.join(format!("expected.{auth}.patch"));
            let out = bin(&["diff", "--show-secrets", "--auth", auth, "."], &case);
            if bless {
                fs::write(&expected_file, &out.stdout).unwrap();
            }
            let expected = fs::read(&expected_file)
                .unwrap_or_else(|_| panic!("{} is missing", expected_file.display()));
            if out.stdout != expected {
                failures.push(format!(
                    "{}:\n{}",
                    expected_file.display(),
                    text(&out.stdout)
                ));
            }
            // Every ng case holds findings: a migration is pending, automatic or by hand.
            let want = 3;
            if out.status.code() != Some(want) {
                failures.push(format!(
                    "{} {auth}: exit {:?}, expected {want}",
                    case.display(),
                    out.status.code()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn apply_git_apply_and_patch_agree_and_a_second_run_has_nothing_to_do() {
    for case in cases() {
        for auth in ["header", "bearer"] {
            let applied = copy_inputs(&case);
            let via_git = copy_inputs(&case);
            let via_patch = copy_inputs(&case);
            let out = bin(
                &["apply", "--allow-no-vcs", "--auth", auth, "."],
                applied.path(),
            );
            assert!(
                out.status.success(),
                "{}: {}",
                case.display(),
                text(&out.stderr)
            );

            let patch = via_git.path().join("migrate.patch");
            let out = bin(
                &["diff", "--auth", auth, "-o", patch.to_str().unwrap(), "."],
                via_git.path(),
            );
            assert!(
                matches!(out.status.code(), Some(0 | 3)),
                "{}",
                text(&out.stderr)
            );
            assert_eq!(
                fs::metadata(&patch).unwrap().permissions().mode() & 0o777,
                0o600
            );
            fs::copy(&patch, via_patch.path().join("migrate.patch")).unwrap();
            if fs::metadata(&patch).unwrap().len() > 0 {
                tool("git", &["apply", "migrate.patch"], via_git.path(), None);
                tool("patch", &["-p1", "-s"], via_patch.path(), Some(&patch));
            }
            let expected = snapshot(applied.path());
            assert_eq!(
                snapshot(via_git.path()),
                expected,
                "{} {auth}: git apply differs from apply",
                case.display()
            );
            assert_eq!(
                snapshot(via_patch.path()),
                expected,
                "{} {auth}: patch -p1 differs from apply",
                case.display()
            );

            // What is left is for a person (exit 3 says so), but there is nothing to change.
            let again = bin(&["diff", "--auth", auth, "."], applied.path());
            assert!(
                again.stdout.is_empty() && again.status.code() != Some(2),
                "{}: not idempotent:\n{}",
                case.display(),
                text(&again.stdout)
            );
            let plan = bin(
                &["diff", "--format", "json", "--auth", auth, "."],
                applied.path(),
            );
            let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
            assert_eq!(plan["summary"]["files_to_change"], 0, "{}", case.display());
        }
    }
}

/// Every finding is either fixed (gone after `apply`) or listed as needing a manual change
/// (a partly fixed one, such as an endpoint replaced where no header could be added, is listed
/// too, so the list may be longer than what remains).
#[test]
fn nothing_is_left_out_silently() {
    for case in cases() {
        let dir = copy_inputs(&case);
        let plan = bin(&["diff", "--format", "json", "."], dir.path());
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        bin(&["apply", "--allow-no-vcs", "."], dir.path());
        let rescan = bin(&["scan", "--format", "json", "."], dir.path());
        let doc: serde_json::Value = serde_json::from_slice(&rescan.stdout).unwrap();
        let listed = |rule: &str| {
            let manual = plan["manual"].as_array().unwrap().iter();
            manual.filter(|m| m["rule"] == rule).count()
        };
        for f in doc["findings"].as_array().unwrap() {
            let rule = f["rule"].as_str().unwrap();
            let remaining = doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|g| g["rule"] == rule)
                .count();
            assert!(
                remaining <= listed(rule),
                "{}: {remaining} {rule} findings remain, {} listed:\n{plan:#}",
                case.display(),
                listed(rule)
            );
        }
        let summary = &plan["summary"];
        let by_reason: u64 = summary["manual_by_reason"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(
            by_reason,
            summary["sites_manual"].as_u64().unwrap(),
            "{}",
            case.display()
        );
    }
}

/// The worst thing the tool can write: a client on the new endpoint without the key header, or a
/// placeholder where the key was with no header to carry it. Checked over every case the
/// fixtures hold, in both auth modes, by the `missing-auth` rule and by reading each file.
#[test]
fn no_case_is_left_half_migrated() {
    let e2e: Vec<PathBuf> = MIGRATED
        .iter()
        .flat_map(|lang| fs::read_dir(Path::new("fixtures/e2e").join(lang)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    let mut failures = Vec::new();
    for case in cases().into_iter().chain(e2e) {
        for auth in ["header", "bearer"] {
            let dir = copy_inputs(&case);
            let before = snapshot(dir.path());
            let missing_auth = || {
                let scan = bin(&["scan", "--format", "json", "."], dir.path());
                let doc: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
                let found = doc["findings"].as_array().unwrap().iter();
                found.filter(|f| f["rule"] == "missing-auth").count()
            };
            // A case may hold a half migration made by hand: apply must not add one.
            let by_hand = missing_auth();
            bin(
                &["apply", "--allow-no-vcs", "--auth", auth, "."],
                dir.path(),
            );
            let after = missing_auth();
            if after > by_hand {
                failures.push(format!(
                    "{} {auth}: {after} missing-auth findings after apply, {by_hand} before",
                    case.display()
                ));
            }
            let after = snapshot(dir.path());
            let headers = ["X-Keap-API-Key", "Authorization"];
            let count = |t: &str| headers.iter().map(|h| t.matches(h).count()).sum::<usize>();
            // The files that gained a key header: a client's file, for callers in other files.
            let header_files: Vec<&str> = before
                .iter()
                .zip(&after)
                .filter(|((_, old), (_, new))| count(&text(new)) > count(&text(old)))
                .map(|((name, _), _)| name.as_str())
                .collect();
            for ((name, old), (_, new)) in before.iter().zip(&after) {
                let (old, new) = (text(old), text(new));
                let header = headers.iter().any(|h| new.contains(h))
                    || header_files.iter().any(|f| *f != name);
                let gained = |s: &str| new.matches(s).count() > old.matches(s).count();
                if (gained("crm/xmlrpc") || gained(support::PLACEHOLDER)) && !header {
                    failures.push(format!(
                        "{} {auth}: {name} was migrated without a key header",
                        case.display()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_preview_redacts_and_cannot_be_applied() {
    let case = Path::new("fixtures/php/ng.phpxmlrpc-procedural");
    let key = "a49b9a7acc8714daf89d30c1c87c3dec";
    let out = bin(&["diff", "."], case);
    assert_eq!(out.status.code(), Some(3));
    assert!(!text(&out.stdout).contains(key));
    assert!(text(&out.stdout).contains("a49b…(32 chars)"));
    assert!(
        text(&out.stderr).contains("preview"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains(key));

    let dir = copy_inputs(case);
    let preview = dir.path().join("preview.patch");
    fs::write(&preview, &out.stdout).unwrap();
    let before = snapshot(dir.path());
    let out = bin(
        &["apply", "--allow-no-vcs", "--patch", "preview.patch", "."],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(snapshot(dir.path()), before);
}

/// The preview on standard output says on its first line that it cannot be applied when it
/// redacts a key, and git refuses it; where it holds no secret it is the patch `-o` writes, and
/// `git apply` takes it.
#[test]
fn a_preview_is_applicable_exactly_when_it_redacts_nothing() {
    let (mut redacted, mut plain) = (0, 0);
    for case in cases() {
        let dir = copy_inputs(&case);
        let preview = bin(&["diff", "."], dir.path());
        let patch = dir.path().join("m.patch");
        bin(&["diff", "-o", patch.to_str().unwrap(), "."], dir.path());
        let full = fs::read_to_string(&patch).unwrap();
        fs::remove_file(&patch).unwrap();
        let shown = text(&preview.stdout);
        if full.is_empty() {
            assert!(shown.is_empty(), "{}", case.display());
            continue;
        }
        let first = shown.lines().next().unwrap();
        if shown == full {
            plain += 1;
            assert!(
                first.starts_with("diff --git "),
                "{}: {first}",
                case.display()
            );
            fs::write(&patch, &shown).unwrap();
            tool("git", &["apply", "m.patch"], dir.path(), None);
            continue;
        }
        redacted += 1;
        assert!(
            first.contains("PREVIEW, NOT APPLICABLE") && first.contains("diff -o FILE"),
            "{}: {first}",
            case.display()
        );
        assert!(
            text(&preview.stderr).contains("refuse"),
            "{}",
            case.display()
        );
        fs::write(&patch, &shown).unwrap();
        let out = Command::new("git")
            .args(["apply", "--check", "m.patch"])
            .current_dir(dir.path())
            .output()
            .expect("git is needed (scripts/test installs it)");
        assert!(
            !out.status.success(),
            "{}: git applied a redacted preview",
            case.display()
        );
    }
    assert!(
        redacted > 0 && plain > 0,
        "{redacted} redacted, {plain} plain"
    );
}

#[test]
fn apply_patch_refuses_a_file_that_changed_and_writes_nothing() {
    let dir = copy_inputs(Path::new("fixtures/php/ng.zend-client"));
    let extra = dir.path().join("other.php");
    fs::copy("fixtures/php/ng.wp-http-ixr/class-keap-sync.php", &extra).unwrap();
    let out = bin(&["diff", "-o", "m.patch", "."], dir.path());
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));

    // One of the two files changes after the patch was written: neither may be touched.
    let gateway = dir.path().join("KeapGateway.php");
    let edited = fs::read_to_string(&gateway)
        .unwrap()
        .replace("1000,", "500,");
    fs::write(&gateway, &edited).unwrap();
    let before = snapshot(dir.path());
    let out = bin(
        &["apply", "--allow-no-vcs", "--patch", "m.patch", "."],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("KeapGateway.php"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(snapshot(dir.path()), before);

    // Unchanged, the same patch applies and gives what `apply` gives.
    let fresh = copy_inputs(Path::new("fixtures/php/ng.zend-client"));
    let out = bin(&["diff", "-o", "m.patch", "."], fresh.path());
    assert_eq!(out.status.code(), Some(3));
    let direct = copy_inputs(Path::new("fixtures/php/ng.zend-client"));
    assert!(bin(&["apply", "--allow-no-vcs", "."], direct.path())
        .status
        .success());
    let out = bin(
        &["apply", "--allow-no-vcs", "--patch", "m.patch", "."],
        fresh.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(snapshot(fresh.path()), snapshot(direct.path()));
}

#[test]
fn apply_keeps_permissions_and_says_what_to_set() {
    let dir = copy_inputs(Path::new("fixtures/php/ng.encode-request-stream"));
    let file = dir.path().join("newsletter.php");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    let out = bin(
        &["apply", "--allow-no-vcs", "--key-env", "IS_KEY", "."],
        dir.path(),
    );
    assert!(out.status.success());
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("set IS_KEY for newsletter.php"), "{stderr}");
    assert_eq!(stderr.matches("240/min").count(), 1, "{stderr}");
    assert!(fs::read_to_string(&file)
        .unwrap()
        .contains("getenv('IS_KEY')"));
}

#[test]
fn bad_migration_options_are_usage_errors() {
    let case = Path::new("fixtures/php/ng.zend-client");
    assert_eq!(
        bin(
            &[
                "diff",
                "--endpoint",
                "http://api.infusionsoft.com/crm/xmlrpc",
                "."
            ],
            case
        )
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        bin(&["diff", "--key-env", "NOT A NAME", "."], case)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        bin(&["diff", "--auth", "basic", "."], case).status.code(),
        Some(2)
    );
    let token_url = "https://api.infusionsoft.com/crm/xmlrpc?access_token=abc";
    let out = bin(&["diff", "--endpoint", token_url, "."], case);
    assert_eq!(out.status.code(), Some(2));
    // A key pasted where the variable name goes is not echoed back.
    let sak = "KeapAK-71f6a0d8fd40f1a16c1ead4c20a759e647b951649cdca9a207";
    let out = bin(&["diff", "--key-env", sak, "."], case);
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains(sak), "{}", text(&out.stderr));
    let v1 = bin(
        &[
            "diff",
            "--endpoint",
            "https://api.infusionsoft.com/crm/xmlrpc/v1",
            ".",
        ],
        case,
    );
    assert!(text(&v1.stdout).contains("+        $this->_client = new Zend_XmlRpc_Client('https://api.infusionsoft.com/crm/xmlrpc/v1');"));
}

#[test]
fn the_config_file_sets_migration_defaults_and_flags_win() {
    let dir = copy_inputs(Path::new("fixtures/php/ng.phpxmlrpc-procedural"));
    fs::write(
        dir.path().join("keap-migrate.toml"),
        "[migrate]\nauth = \"bearer\"\nkey-env = \"CRM_KEY\"\nendpoint = \"https://api.infusionsoft.com/crm/xmlrpc/v1\"\n",
    )
    .unwrap();
    let patch = text(&bin(&["diff", "."], dir.path()).stdout);
    assert!(patch.contains("+$apiKey = getenv('CRM_KEY');"), "{patch}");
    assert!(
        patch.contains("'Authorization: Bearer ' . $apiKey"),
        "{patch}"
    );
    assert!(
        patch.contains("'https://api.infusionsoft.com/crm/xmlrpc/v1'"),
        "{patch}"
    );
    let patch = text(
        &bin(
            &["diff", "--auth", "header", "--key-env", "K", "."],
            dir.path(),
        )
        .stdout,
    );
    assert!(
        patch.contains("'X-Keap-API-Key: ' . $apiKey") && patch.contains("getenv('K')"),
        "{patch}"
    );

    fs::write(
        dir.path().join("keap-migrate.toml"),
        "[migrate]\nauth = \"basic\"\n",
    )
    .unwrap();
    assert_eq!(bin(&["diff", "."], dir.path()).status.code(), Some(2));
}

/// The SARIF `fixes` of a file's results, applied together, make exactly what `apply` makes.
#[test]
fn sarif_fixes_are_the_migration() {
    for name in ["ng.isdk-class", "ng.handwritten-xml-concat", "ng.crlf-bom"] {
        let case = Path::new("fixtures/php").join(name);
        let dir = copy_inputs(&case);
        let out = bin(&["scan", "--format", "sarif", "."], dir.path());
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut edits: Vec<(String, usize, usize, String)> = Vec::new();
        for result in doc["runs"][0]["results"].as_array().unwrap() {
            for fix in result["fixes"].as_array().into_iter().flatten() {
                for change in fix["artifactChanges"].as_array().unwrap() {
                    let uri = change["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap()
                        .to_string();
                    for r in change["replacements"].as_array().unwrap() {
                        let start = r["deletedRegion"]["byteOffset"].as_u64().unwrap() as usize;
                        let len = r["deletedRegion"]["byteLength"].as_u64().unwrap() as usize;
                        let text = r["insertedContent"]["text"].as_str().unwrap().to_string();
                        edits.push((uri.clone(), start, start + len, text));
                    }
                }
            }
        }
        assert!(!edits.is_empty(), "{name}: no fixes in the SARIF report");
        edits.sort_by_key(|e| std::cmp::Reverse((e.1, e.2)));
        for (uri, start, end, text) in edits {
            let path = dir.path().join(uri);
            let mut bytes = fs::read(&path).unwrap();
            bytes.splice(start..end, text.into_bytes());
            fs::write(&path, bytes).unwrap();
        }
        let applied = copy_inputs(&case);
        assert!(bin(&["apply", "--allow-no-vcs", "."], applied.path())
            .status
            .success());
        assert_eq!(snapshot(dir.path()), snapshot(applied.path()), "{name}");
    }
}

/// `php -l` on every file `apply` rewrote: a rewrite must not break a file PHP could compile
/// (which also catches what tree-sitter accepts and PHP does not, like getenv() in a constant).
#[test]
fn every_rewritten_file_passes_php_lint() {
    if !support::php::available() {
        return;
    }
    let lint = |path: &Path| Command::new("php").arg("-l").arg(path).output().unwrap();
    for case in cases() {
        for auth in ["header", "bearer"] {
            let dir = copy_inputs(&case);
            let before = snapshot(dir.path());
            assert!(bin(
                &["apply", "--allow-no-vcs", "--auth", auth, "."],
                dir.path()
            )
            .status
            .success());
            for (name, bytes) in snapshot(dir.path()) {
                let unchanged = before.iter().any(|(n, b)| *n == name && *b == bytes);
                if unchanged || !name.ends_with(".php") {
                    continue;
                }
                let original = copy_inputs(&case);
                if !lint(&original.path().join(&name)).status.success() {
                    continue; // a fixture that never compiled (the syntax-error case)
                }
                let out = lint(&dir.path().join(&name));
                assert!(
                    out.status.success(),
                    "{} {auth}: {name} no longer compiles:\n{}{}",
                    case.display(),
                    text(&out.stdout),
                    text(&out.stderr)
                );
            }
        }
    }
}

/// The Mortgage Pro conditional names the endpoint's host, whichever `--endpoint` gave: a second
/// run still sees a migrated wrapper.
#[test]
fn the_mortgage_pro_choice_is_migrated_for_any_endpoint() {
    let dir = copy_inputs(Path::new("fixtures/php/ng.isdk-connect-after"));
    let endpoint = ["--endpoint", "https://keap-proxy.example.net/crm/xmlrpc"];
    bin(
        &[&["apply", "--allow-no-vcs"][..], &endpoint, &["."]].concat(),
        dir.path(),
    );
    let migrated = fs::read_to_string(dir.path().join("isdk.php")).unwrap();
    assert!(
        migrated.contains("->server == 'keap-proxy.example.net'"),
        "{migrated}"
    );
    let again = bin(&[&["diff"][..], &endpoint, &["."]].concat(), dir.path());
    assert!(again.stdout.is_empty(), "{}", text(&again.stdout));
    let scan = bin(&["scan", "--format", "json", "."], dir.path());
    let doc: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
    let found = doc["findings"].as_array().unwrap().iter();
    let left: Vec<_> = found.filter(|f| f["rule"] == "key-in-body").collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The plan ends with what to do next: the variables to set, rotating the key, the quota; also
/// when everything is left to a person.
#[test]
fn the_plan_ends_with_the_next_steps() {
    for (case, set) in [
        ("fixtures/php/ng.phpxmlrpc-procedural", Some("  set KEAP_API_KEY for sync_contact.php: it replaces the hardcoded key a49b…(32 chars)")),
        ("fixtures/php/ng.vendor-login", None),
    ] {
        let dir = copy_inputs(Path::new(case));
        let out = bin(&["diff", "."], dir.path());
        assert_eq!(out.status.code(), Some(3));
        let err = text(&out.stderr);
        let tail: Vec<&str> = err.lines().skip_while(|l| *l != "next:").collect();
        let rest = &tail[1 + set.is_some() as usize..];
        assert!(tail.len() >= 3, "{case}: {err}");
        if let Some(set) = set {
            assert_eq!(tail[1], set, "{case}");
        }
        assert!(rest[0].starts_with("  rotate: create a Service Account Key"), "{case}: {err}");
        // History holds a key only where the code wrote one; the quota matters once something
        // is rewritten.
        assert_eq!(
            rest[0].ends_with("git history still has them"),
            set.is_some(),
            "{case}: {err}"
        );
        let rewritten = !err.starts_with("0 files");
        assert_eq!(
            rest.get(1).is_some_and(|l| l.starts_with("  quota: ") && l.contains("30,000/day")),
            rewritten,
            "{case}: {err}"
        );
    }
    // An OAuth client's token in its URL is no legacy key: nothing to rotate, nothing next.
    let dir = copy_inputs(Path::new("fixtures/js/ng.token-relative-path"));
    let out = bin(&["diff", "."], dir.path());
    let err = text(&out.stderr);
    assert!(err.contains("token-in-url at 9:27"), "{err}");
    assert!(!err.contains("next:") && !err.contains("rotate:"), "{err}");
}

/// Clients rewritten onto a bundled library that lacks what they now call: the upgrade is the
/// plan's first word, not one line among the manual ones.
#[test]
fn a_library_upgrade_the_rewrite_needs_comes_first() {
    let dir = copy_inputs(Path::new("fixtures/php/ng.phpxmlrpc2-bundled"));
    let err = text(&bin(&["diff", "."], dir.path()).stderr);
    let second = err.lines().nth(1).unwrap_or_default();
    assert!(second.starts_with("first: upgrade the library"), "{err}");
}

/// A login through `DataService.authenticateUser` is migrated like any call, and the plan says
/// that Keap removed the method, so it fails anyway.
#[test]
fn a_migrated_login_through_a_removed_method_is_pointed_out() {
    for case in [
        "fixtures/ruby/ng.authenticate-user",
        "fixtures/php/ng.authenticate-user",
    ] {
        let dir = copy_inputs(Path::new(case));
        let err = text(&bin(&["diff", "."], dir.path()).stderr);
        let notes: Vec<&str> = err
            .lines()
            .skip_while(|l| *l != "changed, worth a look:")
            .take_while(|l| *l != "next:")
            .collect();
        assert!(
            notes
                .iter()
                .any(|l| l.contains("Keap removed DataService.authenticateUser")),
            "{case}: {err}"
        );
    }
}

/// The legacy endpoint recorded in VCR cassettes is one line of the plan, however many
/// recordings there are; a key recorded in a body stays listed with its file.
#[test]
fn recordings_of_the_legacy_endpoint_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cassettes = dir.path().join("spec/cassettes");
    fs::create_dir_all(&cassettes).unwrap();
    for name in ["contact_add", "tag_add", "query"] {
        fs::write(
            cassettes.join(format!("{name}.yml")),
            "http_interactions:\n- request:\n    method: post\n    uri: https://wx471.infusionsoft.com/api/xmlrpc\n    body:\n      string: <?xml version=\"1.0\"?><methodCall><methodName>ContactService.add</methodName><params><param><value><string>placeholder</string></value></param></params></methodCall>\n",
        )
        .unwrap();
    }
    let err = text(&bin(&["diff", "."], dir.path()).stderr);
    assert!(
        err.starts_with("0 files to change: 0 sites fixed automatically, 3 sites left for a person (3 of them requests recorded in VCR cassettes)"),
        "{err}"
    );
    assert!(
        err.contains("  3 recorded requests to the legacy endpoint in 3 VCR cassettes ("),
        "{err}"
    );
    assert!(!err.contains("tag_add.yml (1)"), "{err}");
}

/// A package npm installed is changed like any file, with a note that the next install undoes
/// it; a key or an endpoint left in a comment is told apart from code.
#[test]
fn installed_packages_and_comments_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("node_modules/crm-sdk/lib");
    fs::create_dir_all(&lib).unwrap();
    fs::write(
        lib.join("client.js"),
        "var xmlrpc = require('xmlrpc');\n\
         // Infusionsoft\n\
         // old: xmlrpc.createSecureClient('https://' + app + '.infusionsoft.com/api/xmlrpc')\n\
         exports.make = function (app, apiKey) {\n\
         \x20 var client = xmlrpc.createSecureClient('https://' + app + '.infusionsoft.com/api/xmlrpc');\n\
         \x20 return function (method, args, cb) { client.methodCall(method, [apiKey].concat(args), cb); };\n\
         };\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("settings.js"),
        "// Infusionsoft app key, before the move: 'apiKey': 'c07a52e9d8f1b4e6a3d09f7c2b85e1d4'\n\
         module.exports = { infusionsoft: { appName: 'zz913', apiKey: process.env.IS_KEY } };\n",
    )
    .unwrap();
    let out = bin(&["diff", "."], dir.path());
    let err = text(&out.stderr);
    assert!(
        err.contains("client.js:5:") && err.contains("the next npm install undoes this change"),
        "{err}"
    );
    assert!(err.contains("in a comment, which nothing runs"), "{err}");
    assert!(
        err.contains("this key sits in a comment: delete it, and rotate it"),
        "{err}"
    );
}

/// An SDK that no release migrates is patched where the code uses it: the plan names those
/// places, however the code reaches the SDK (a module method, a client of its own settings, a
/// `require`).
#[test]
fn an_sdk_no_release_migrates_is_named_where_it_is_used() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sdk");
    for (case, used) in [
        ("ng.gem-client-instance", "app/adapters/crm_adapter.rb:4"),
        ("ng.npm-isdk-port", "sync.js:1"),
    ] {
        let plan = bin(&["diff", "--format", "json", "."], &fixtures.join(case));
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        let hints: Vec<&str> = plan["manual"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["rule"] == "legacy-sdk")
            .map(|m| m["hint"].as_str().unwrap())
            .collect();
        assert!(
            hints.iter().any(|h| h.contains(&format!("used at {used}"))),
            "{case}: {hints:?}"
        );
    }
}

#[test]
fn a_url_left_for_a_client_this_recipe_does_not_know_names_where_it_goes() {
    for (case, line) in [
        (
            "fixtures/php/ng.url-kept-for-own-client-class",
            "legacy-endpoint at 13:27 (1): not migrated: this URL is handed to `new MemberRpcClient()`",
        ),
        (
            "fixtures/php/ng.fxmlrpc-prepend-params",
            "legacy-endpoint at 14:28 (1): not migrated: this URL is handed to `$this->rpc->setUri()`",
        ),
        (
            "fixtures/php/ng.headers-property-never-sent",
            "missing-auth at 13:43 (1): phpxmlrpc never sends a `headers` property: give the key header to the client's `setCurlOptions(",
        ),
    ] {
        let dir = copy_inputs(Path::new(case));
        let err = text(&bin(&["diff", "."], dir.path()).stderr);
        assert!(err.lines().any(|l| l.trim_start().starts_with(line)), "{case}: {err}");
    }
}
