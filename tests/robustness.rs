//! Input that is large, odd or hostile: many findings in one file, keys pasted where settings
//! go, overflowing flags, submodules, malformed baselines, UTF-16 files. The CLI runs in-process.
use std::{fs, path::Path};

mod support;

use keap_migrate::Exit;
use support::{git, run};

fn write(root: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A megabyte with a finding on every line, half of it one long line: every finding is reported
/// with its own place. How long it takes is the benchmark's business (bench/dense.py), never a
/// test's; a debug build's regexes make a larger file a slow test.
#[test]
fn a_file_dense_with_findings_is_reported_whole() {
    let dir = tempfile::tempdir().unwrap();
    let line = |i: usize| {
        format!(
            "POST https://ab{:03}.infusionsoft.com/api/xmlrpc 200\n",
            i % 500
        )
    };
    let lines: String = (0..10_000).map(line).collect();
    let long_line: String = (0..10_000).map(|i| line(i).replace('\n', " é ")).collect();
    let text = format!("{lines}{long_line}\n");
    assert!(text.len() > 1 << 20);
    write(dir.path(), "app.log", &text);
    let r = run(&["scan", "--max-file-size", "16M", path(dir.path())]);
    assert_eq!(r.exit, Exit::Findings, "{}", r.err);
    let places: Vec<&str> = r
        .out
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains("legacy-endpoint"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(places.len(), 20_000);
    assert_eq!(places[9_999], "10000:6");
    // 9,999 earlier URLs on the long line, each followed by " é " (three characters).
    let width = line(0).len() - 1 + 3;
    assert_eq!(places[19_999], format!("10001:{}", 9_999 * width + 6));
}

const SAK: &str = "KeapAK-5475a9ffd8aa5855ee5d02dd27231ac2b81165241ff04ab293";
const LEGACY: &str = "22f29430c02019c45ee2fc2d43699a07";

/// Runs `args` in a repository holding one PHP file, checking the run fails with exit 2 and says
/// nothing of either key.
fn refused_without_echo(setup: impl FnOnce(&Path), args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.php", "<?php echo 1;\n");
    setup(dir.path());
    let root = path(dir.path());
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "ROOT" { root } else { a })
        .collect();
    let r = run(&args);
    assert_eq!(r.exit, Exit::Error, "{args:?}: {}{}", r.out, r.err);
    for key in [SAK, LEGACY] {
        for shown in [key, &key[7..], &key[4..]] {
            assert!(!r.err.contains(shown), "{args:?} echoes a key: {}", r.err);
        }
    }
    r.err
}

#[test]
fn a_key_pasted_into_a_setting_is_never_echoed() {
    let err = refused_without_echo(
        |root| write(root, "keap-migrate.toml", format!("fail-on = {SAK}\n")),
        &["scan", "ROOT"],
    );
    assert!(
        err.contains("keap-migrate.toml") && err.contains("KeapAK-5475…"),
        "{err}"
    );
    let err = refused_without_echo(
        |root| {
            write(
                root,
                "keap-migrate.toml",
                format!("disable = [\"{LEGACY}\"]\n"),
            )
        },
        &["scan", "ROOT"],
    );
    assert!(
        err.contains("no rule `22f2…(32 chars)` to disable"),
        "{err}"
    );
    let err = refused_without_echo(|_| (), &["scan", "--disable", SAK, "ROOT"]);
    assert!(err.contains("to disable"), "{err}");
    let err = refused_without_echo(|_| (), &["scan", "--max-file-size", LEGACY, "ROOT"]);
    assert!(err.contains("max-file-size"), "{err}");
    let err = refused_without_echo(
        |_| (),
        &["scan", "--max-file-size", &format!("1{SAK}"), "ROOT"],
    );
    assert!(err.contains("max-file-size"), "{err}");
    let err = refused_without_echo(
        |root| {
            let out = std::process::Command::new("git")
                .args(["init", "-q"])
                .arg(root)
                .output()
                .unwrap();
            assert!(out.status.success());
        },
        &["scan", "--since", LEGACY, "ROOT"],
    );
    assert!(err.contains("git"), "{err}");
    for baseline in [
        format!(r#"{{"version": "{SAK}", "entries": []}}"#),
        format!(r#"{{"version": 1, "entries": [{{"rule": "r", "path": "p", "{LEGACY}": 1}}]}}"#),
        format!("{LEGACY}\n"),
    ] {
        let err = refused_without_echo(
            |root| write(root, "b.json", &baseline),
            &["scan", "--baseline", "ROOT/b.json", "ROOT"],
        );
        assert!(err.contains("b.json"), "{err}");
    }
}

/// A recorded HTTP interaction (a VCR cassette) with the key in the XML body.
#[test]
fn a_key_in_a_recorded_body_has_a_stretched_fingerprint() {
    use keap_migrate::finding::{fingerprint, Matched, Secret};
    use sha2::{Digest, Sha256};

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cassette.yml",
        format!(
            "http_interactions:\n- request:\n    method: post\n    uri: https://ab123.infusionsoft.com/api/xmlrpc\n    body:\n      string: <?xml version=\"1.0\"?><methodCall><methodName>ContactService.add</methodName><params><param><value><string>{LEGACY}</string></value></param></params></methodCall>\n"
        ),
    );
    let r = run(&["scan", "--format", "json", path(dir.path())]);
    let doc: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    let body = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "key-in-body")
        .unwrap_or_else(|| panic!("no key-in-body finding: {}", r.out));
    let stretched = fingerprint(
        "key-in-body",
        "cassette.yml",
        Matched::Secret(&Secret::new(LEGACY)),
        0,
    );
    assert_eq!(body["fingerprint"], stretched.as_str());
    let mut plain = Sha256::new();
    for part in [
        "keap-migrate/fingerprint/v1",
        "key-in-body",
        "cassette.yml",
        LEGACY,
    ] {
        plain.update(part.as_bytes());
        plain.update([0]);
    }
    let plain: String = plain.finalize()[..10]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_ne!(body["fingerprint"], plain.as_str());
}

#[test]
fn a_size_limit_that_overflows_or_is_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.php", "<?php echo 1;\n");
    for (size, why) in [
        ("17179869184G", "16 EiB"),
        ("18446744073709551616", "not a size"),
        ("0", "skip every file"),
    ] {
        let r = run(&["scan", "--max-file-size", size, path(dir.path())]);
        assert_eq!(r.exit, Exit::Error, "{size}: {}", r.out);
        assert!(r.err.contains(why), "{size}: {}", r.err);
    }
}

#[test]
fn a_thread_count_past_four_per_core_is_capped_and_said() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.php", "<?php echo 1;\n");
    let r = run(&["scan", "-j", "1000", path(dir.path())]);
    assert_eq!(r.exit, Exit::Clean, "{}", r.err);
    assert!(r.err.contains("-j 1000 capped to"), "{}", r.err);
    assert!(r.err.contains("(4 per core)"), "{}", r.err);
    let r = run(&["scan", "-j", "1", path(dir.path())]);
    assert_eq!(r.err, "");
}

#[test]
fn a_branch_that_adds_or_bumps_a_submodule_scans_its_own_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (lib, repo) = (dir.path().join("lib"), dir.path().join("repo"));
    for d in [&lib, &repo] {
        fs::create_dir(d).unwrap();
        git(d, &["init", "-q"]);
    }
    write(&lib, "a.txt", "a\n");
    git(&lib, &["add", "."]);
    git(&lib, &["commit", "-qm", "a"]);
    write(&repo, "a.php", "<?php echo 1;\n");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "a"]);
    git(&repo, &["checkout", "-qb", "feature"]);
    git(
        &repo,
        &[
            "submodule",
            "add",
            "-q",
            lib.to_str().unwrap(),
            "vendor/lib",
        ],
    );
    git(&repo, &["commit", "-qm", "add the submodule"]);
    git(&repo, &["tag", "added"]);
    write(&lib, "b.txt", "b\n");
    git(&lib, &["add", "."]);
    git(&lib, &["commit", "-qm", "b"]);
    git(&repo.join("vendor/lib"), &["pull", "-q", "origin", "main"]);
    write(&repo, "keap.php", format!("<?php\n$key = '{SAK}';\n"));
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "bump the submodule, add a key"]);
    for since in ["main", "added"] {
        let r = run(&["scan", "--format", "json", "--since", since, path(&repo)]);
        assert_eq!(r.exit, Exit::Findings, "--since {since}: {}", r.err);
        let doc: serde_json::Value = serde_json::from_str(&r.out).unwrap();
        assert_eq!(doc["summary"]["errors"], serde_json::json!([]));
        let paths: Vec<&str> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["relative_path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["keap.php"], "--since {since}");
    }
}

#[test]
fn a_baseline_of_the_wrong_shape_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.php", "<?php echo 1;\n");
    let entry =
        r#"{"rule": "hardcoded-key", "path": "a.php", "fingerprint": "8853741952ae319bc0e6"}"#;
    for (text, why) in [
        ("[]", "not a keap-migrate baseline"),
        ("[1, []]", "not a keap-migrate baseline"),
        ("3", "not a keap-migrate baseline"),
        ("", "EOF"),
        (r#"{"entries": 3}"#, "not a keap-migrate baseline"),
        (r#"{"entries": []}"#, "no `version`"),
        (
            r#"{"version": 1, "entries": 3}"#,
            "not a keap-migrate baseline",
        ),
        (
            r#"{"version": 1, "entries": [["r", "p", "f"]]}"#,
            "not a keap-migrate baseline",
        ),
        (r#"{"version": 1}"#, "entries"),
        (r#"{"version": 1, "entries": [{"rule": "r"}]}"#, "path"),
        (r#"{"version": 3, "entries": []}"#, "version 3"),
        (r#"{"version": "1", "entries": []}"#, r#"version "1""#),
        (r#"{"version": 1.0, "entries": []}"#, "version 1.0"),
    ] {
        write(dir.path(), "b.json", text);
        let b = dir.path().join("b.json");
        let r = run(&["scan", "--baseline", path(&b), path(dir.path())]);
        assert_eq!(r.exit, Exit::Error, "{text}: {}", r.out);
        assert!(
            r.err.contains("b.json") && r.err.contains(why),
            "{text}: {}",
            r.err
        );
    }
    // This version writes 2 and still reads 1.
    for version in [1, 2] {
        write(
            dir.path(),
            "b.json",
            format!(r#"{{"version": {version}, "entries": [{entry}]}}"#),
        );
        let b = dir.path().join("b.json");
        let r = run(&["scan", "--baseline", path(&b), path(dir.path())]);
        assert_eq!(r.exit, Exit::Clean, "version {version}: {}", r.err);
    }
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    std::iter::once('\u{feff}')
        .chain(text.chars())
        .collect::<String>()
        .encode_utf16()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

#[test]
fn utf16_files_are_scanned_and_left_to_a_person() {
    let dir = tempfile::tempdir().unwrap();
    let code = format!(
        "<?php\n// café\n$key = '{LEGACY}';\n$c = new xmlrpc_client('https://ab123.infusionsoft.com/api/xmlrpc');\n"
    );
    write(dir.path(), "le.php", utf16(&code, false));
    write(dir.path(), "be.php", utf16(&code, true));
    write(
        dir.path(),
        "settings.env",
        utf16(&format!("KEAP_API_KEY={SAK}\n"), false),
    );
    let r = run(&["scan", "--format", "json", path(dir.path())]);
    assert_eq!(r.exit, Exit::Findings, "{}", r.err);
    let doc: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(doc["summary"]["skipped"], serde_json::json!({}));
    assert_eq!(doc["summary"]["not_utf8"], serde_json::json!([]));
    let found: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {} {}",
                f["relative_path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["rule"].as_str().unwrap(),
                f["start_byte"],
            )
        })
        .collect();
    // Byte offsets are in the decoded (UTF-8) text: the BOM is 3 bytes there, "é" 2. As in a
    // UTF-8 file, the BOM is a character of line 1. The endpoint's span holds its quotes.
    let key_at = code.find(LEGACY).unwrap() + 3;
    let url_at = code.find("'https://").unwrap() + 3;
    let mut want = Vec::new();
    for file in ["be.php", "le.php"] {
        want.push(format!("{file}:3:9 hardcoded-key {key_at}"));
        want.push(format!("{file}:4:24 legacy-endpoint {url_at}"));
    }
    want.insert(4, "settings.env:1:15 hardcoded-key 16".to_string());
    assert_eq!(found, want);

    for (command, exit) in [("diff", Exit::Pending), ("apply", Exit::Clean)] {
        let r = run(&[command, path(dir.path())]);
        assert_eq!(r.exit, exit, "{command}: {}{}", r.out, r.err);
        // The manual list: a line per file, then its sites grouped by reason.
        for file in ["le.php", "be.php"] {
            let mut lines = r.err.lines().skip_while(|l| !l.trim_start().contains(file));
            assert!(
                lines
                    .nth(1)
                    .is_some_and(|l| l.ends_with("UTF-16 file: no automatic rewrite")),
                "{command}: {}",
                r.err
            );
        }
    }
    assert_eq!(
        fs::read(dir.path().join("le.php")).unwrap(),
        utf16(&code, false)
    );
}

/// The detectors over mutated `ng` fixtures: random bytes inserted, ranges deleted, lines
/// duplicated, files truncated. Whatever the input, no panic, every finding's span is inside the
/// text and on character boundaries, findings come in file order, and no report shows a
/// secret. The seed is fixed so a run is repeatable; change it to explore further.
mod mutated_fixtures {
    use std::{path::PathBuf, sync::LazyLock};

    use keap_migrate::{
        ignore_comments,
        report::{self, Format, Report},
        rules::RuleSet,
        scan::{Scanner, Summary},
    };
    use proptest::{
        collection::vec,
        prelude::*,
        sample::{select, Index},
        test_runner::{Config, RngSeed},
    };

    static FIXTURES: LazyLock<Vec<(PathBuf, Vec<u8>)>> = LazyLock::new(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        for lang in std::fs::read_dir(&root).unwrap() {
            for case in std::fs::read_dir(lang.unwrap().path()).unwrap() {
                let case = case.unwrap().path();
                if !case
                    .file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("ng.")
                {
                    continue;
                }
                for file in std::fs::read_dir(&case).unwrap() {
                    let file = file.unwrap().path();
                    let name = file.file_name().unwrap().to_str().unwrap();
                    if file.is_file() && !name.starts_with("expected") {
                        files.push((file.clone(), std::fs::read(&file).unwrap()));
                    }
                }
            }
        }
        files.sort();
        assert!(files.len() > 40, "the ng fixtures are there");
        files
    });

    static SCANNER: LazyLock<Scanner> = LazyLock::new(|| Scanner {
        rules: RuleSet::load(&[] as &[PathBuf], &[]).unwrap(),
        max_file_size: 8 << 20,
        keep_detected: false,
    });

    #[derive(Clone, Debug)]
    enum Mutation {
        Insert(Index, u8),
        Delete(Index, usize),
        DuplicateLine(Index),
        Truncate(Index),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        // Bytes that matter to the detectors more often than chance would pick them.
        let byte = prop_oneof![
            any::<u8>(),
            select(b"\n\r'\"<>$.;,()[]{}/*#\\ \xc3\xa9".to_vec())
        ];
        prop_oneof![
            (any::<Index>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
            (any::<Index>(), 1..64usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
            any::<Index>().prop_map(Mutation::DuplicateLine),
            any::<Index>().prop_map(Mutation::Truncate),
        ]
    }

    fn mutate(bytes: &mut Vec<u8>, mutation: &Mutation) {
        let len = bytes.len();
        match mutation {
            Mutation::Insert(at, b) => bytes.insert(at.index(len + 1), *b),
            Mutation::Delete(_, _) | Mutation::DuplicateLine(_) if len == 0 => {}
            Mutation::Delete(at, n) => {
                let at = at.index(len);
                bytes.drain(at..(at + n).min(len));
            }
            Mutation::DuplicateLine(at) => {
                let at = at.index(len);
                let start = bytes[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let end = bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(len, |i| at + i + 1);
                let line = bytes[start..end].to_vec();
                bytes.splice(end..end, line);
            }
            Mutation::Truncate(at) => bytes.truncate(at.index(len + 1)),
        }
    }

    proptest! {
        #![proptest_config(Config {
            cases: 128,
            rng_seed: RngSeed::Fixed(13),
            failure_persistence: None,
            ..Config::default()
        })]

        #[test]
        fn detectors_keep_their_promises(fixture in any::<Index>(), mutations in vec(mutation(), 1..6)) {
            let (path, original) = &FIXTURES[fixture.index(FIXTURES.len())];
            let mut bytes = original.clone();
            for m in &mutations {
                mutate(&mut bytes, m);
            }
            let text = String::from_utf8_lossy(&bytes);
            let rel = path.file_name().unwrap().to_str().unwrap();
            let found = SCANNER.scan_text(path, rel, rel, &text);
            let findings = ignore_comments::apply(&text, found).kept;
            for f in &findings {
                prop_assert!(f.span.start <= f.span.end && f.span.end <= text.len(), "{f:?}");
                prop_assert!(text.is_char_boundary(f.span.start), "{f:?}");
                prop_assert!(text.is_char_boundary(f.span.end), "{f:?}");
                prop_assert!(f.start <= f.end && f.start.column >= 1, "{f:?}");
            }
            prop_assert!(findings.is_sorted_by_key(|f| f.span.start));
            let summary = Summary::default();
            let fixes = Default::default();
            let report = Report {
                findings: &findings,
                summary: &summary,
                rules: &SCANNER.rules,
                show_secrets: false,
                fixes: &fixes,
                paths: &Default::default(),
                origins: &Default::default(),
                verified: &Default::default(),
                unplanned: false,
            };
            for format in [Format::Text, Format::Json, Format::Sarif, Format::Github, Format::Junit] {
                let mut out = Vec::new();
                report::printer(format, false, keap_migrate::cli::Verbosity::Normal).print(&report, &mut out).unwrap();
                let out = String::from_utf8(out).unwrap();
                for secret in findings.iter().filter_map(|f| f.secret.as_ref()) {
                    prop_assert!(!out.contains(secret.expose()), "{format:?} shows {secret:?}");
                }
            }
        }
    }
}

/// A `.env` that is a link to a shared secrets file: scanned through the link with `--follow`,
/// listed as a link not followed without it; never passed over in silence.
#[test]
fn a_symlinked_dotenv_is_scanned_or_listed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "shared/.env.production",
        "KEAP_API_KEY=KeapAK-6e2b90c4d8a1f37e5b0c9d2a4f6e8b1c3d5f7a9e0b2c4d6e8f\n",
    );
    write(dir.path(), "app/.gitignore", ".env\n");
    std::os::unix::fs::symlink("../shared/.env.production", dir.path().join("app/.env")).unwrap();
    let app = dir.path().join("app");

    let followed = run(&["scan", "--follow", "--format", "json", path(&app)]);
    assert_eq!(followed.exit, Exit::Findings, "{}", followed.err);
    let doc: serde_json::Value = serde_json::from_str(&followed.out).unwrap();
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["relative_path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [".env"], "{}", followed.out);

    let listed = run(&["scan", "--format", "json", path(&app)]);
    assert_eq!(listed.exit, Exit::Clean, "{}", listed.err);
    let doc: serde_json::Value = serde_json::from_str(&listed.out).unwrap();
    let skipped = &doc["summary"]["skipped"]["symlink_not_followed"];
    assert!(
        skipped
            .as_array()
            .is_some_and(|s| s.iter().any(|p| p.as_str().unwrap().ends_with(".env"))),
        "{}",
        listed.out
    );
}

/// Parentheses, lists and calls nested far deeper than anyone writes, in every language with a
/// parser: the scan and the plan finish (the adapters' recursion is bounded; past the bound the
/// patterns read the file) and still report the endpoint beside them.
#[test]
fn deeply_nested_code_is_read_without_exhausting_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let url = "https://ab123.infusionsoft.com/api/xmlrpc";
    let deep =
        |open: &str, close: &str| format!("{}1{}", open.repeat(20_000), close.repeat(20_000));
    let files = [
        (
            "a.js",
            format!("var u = '{url}';\nvar x = {};\n", deep("(", ")")),
        ),
        (
            "b.ts",
            format!("const u = '{url}';\nconst x = {};\n", deep("[", "]")),
        ),
        ("c.py", format!("U = '{url}'\nx = {}\n", deep("(", ")"))),
        ("d.rb", format!("U = '{url}'\nx = {}\n", deep("(", ")"))),
        (
            "e.go",
            format!(
                "package a\n\nconst u = \"{url}\"\n\nvar x = {}\n",
                deep("(", ")")
            ),
        ),
        (
            "F.java",
            format!(
                "class F {{ String u = \"{url}\"; int x = {}; }}\n",
                deep("(", ")")
            ),
        ),
        (
            "g.cs",
            format!(
                "class G {{ string u = \"{url}\"; int x = {}; }}\n",
                deep("(", ")")
            ),
        ),
        (
            "h.php",
            format!("<?php\n$u = '{url}';\n$x = {};\n", deep("f(", ")")),
        ),
        (
            "i.m",
            format!("NSString *u = @\"{url}\";\nint x = {};\n", deep("(", ")")),
        ),
        (
            "j.ex",
            format!(
                "defmodule J do\n  @u \"{url}\"\n  def x, do: {}\nend\n",
                deep("[", "]")
            ),
        ),
        ("k.R", format!("u <- \"{url}\"\nx <- {}\n", deep("f(", ")"))),
        (
            "l.asp",
            format!("<%\nu = \"{url}\"\nx = {}\n%>\n", deep("(", ")")),
        ),
        (
            "m.vb",
            format!(
                "Module M\nDim u As String = \"{url}\"\nDim x = {}\nEnd Module\n",
                deep("f(", ")")
            ),
        ),
    ];
    for (name, text) in &files {
        write(dir.path(), name, text);
    }
    let r = run(&["scan", "--format", "json", path(dir.path())]);
    assert_eq!(r.exit, Exit::Findings, "{}", r.err);
    let doc: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    for (name, _) in &files {
        assert!(
            doc["findings"].as_array().unwrap().iter().any(|f| {
                f["rule"] == "legacy-endpoint" && f["path"].as_str().unwrap().ends_with(name)
            }),
            "{name}: {}",
            r.out
        );
    }
    let r = run(&["diff", path(dir.path())]);
    assert!(
        matches!(r.exit, Exit::Findings | Exit::Clean | Exit::Pending),
        "{:?} {}",
        r.exit,
        r.err
    );
}
