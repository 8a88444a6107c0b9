//! Where and how `apply` writes: never outside the scanned roots or a patch's root, temporary
//! files that nobody else can read and that a later run removes, owners and hard links kept,
//! late failures that say what was written, and patches that name any file as git does; and
//! only over what git can give back, unless told otherwise.
mod support;

use std::{
    ffi::OsStr,
    fs,
    os::unix::{
        ffi::OsStrExt,
        fs::{symlink, MetadataExt, PermissionsExt},
    },
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use keap_migrate::fix::apply::{write_all, FileWrite};
use proptest::{prelude::*, test_runner::RngSeed};

const KEY: &str = "a49b9a7acc8714daf89d30c1c87c3dec";

use support::{bin, git, text};

/// A file `apply` rewrites on its own (no helper shared with other files).
fn legacy() -> Vec<u8> {
    fs::read("fixtures/php/ng.phpxmlrpc-procedural/sync_contact.php").unwrap()
}

fn put(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// Exit code, stderr, and whether `name` under `dir` still holds the legacy code.
fn apply_in(dir: &Path, args: &[&str], name: &str) -> (Option<i32>, String, bool) {
    let out = bin(&[&["apply"][..], args, &["."]].concat(), dir);
    let untouched = fs::read(dir.join(name)).unwrap() == legacy();
    (out.status.code(), text(&out.stderr), untouched)
}

#[test]
fn outside_git_apply_needs_allow_no_vcs() {
    let dir = tempfile::tempdir().unwrap();
    put(&dir.path().join("src/sync.php"), &legacy());
    let (code, err, untouched) = apply_in(dir.path(), &[], "src/sync.php");
    assert_eq!(code, Some(2), "{err}");
    assert!(untouched);
    assert!(
        err.contains("not inside a git work tree") && err.contains("--allow-no-vcs"),
        "{err}"
    );
    assert!(err.contains("src/sync.php"), "{err}");
    // A patch written earlier is held to the same rule.
    let patch = dir.path().join("m.patch");
    let out = bin(&["diff", "-o", patch.to_str().unwrap(), "."], dir.path());
    assert_eq!(out.status.code(), Some(3));
    let out = bin(&["apply", "--patch", "m.patch", "."], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--allow-no-vcs"));
    assert_eq!(fs::read(dir.path().join("src/sync.php")).unwrap(), legacy());
    // --allow-dirty is not enough where there is no git at all.
    let (code, _, untouched) = apply_in(dir.path(), &["--allow-dirty"], "src/sync.php");
    assert_eq!((code, untouched), (Some(2), true));
    let (code, err, untouched) = apply_in(dir.path(), &["--allow-no-vcs"], "src/sync.php");
    assert_eq!((code, untouched), (Some(0), false), "{err}");
}

#[test]
fn in_git_apply_writes_only_committed_unchanged_files_unless_allow_dirty() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    put(&root.join("a.php"), &legacy());
    put(&root.join("b.php"), &legacy());
    let refused = |args: &[&str], listed: &[&str]| {
        let (code, err, untouched) = apply_in(root, args, "a.php");
        assert_eq!((code, untouched), (Some(2), true), "{err}");
        assert!(err.contains("--allow-dirty"), "{err}");
        for name in ["a.php", "b.php"] {
            assert_eq!(
                err.contains(&format!("./{name}")),
                listed.contains(&name),
                "{name}: {err}"
            );
        }
        assert_eq!(fs::read(root.join("b.php")).unwrap(), legacy());
    };
    refused(&[], &["a.php", "b.php"]); // untracked
    git(root, &["add", "a.php", "b.php"]);
    refused(&[], &["a.php", "b.php"]); // staged, never committed
    git(root, &["commit", "-qm", "legacy"]);
    fs::write(root.join("b.php"), [legacy(), b"\n".to_vec()].concat()).unwrap();
    let (code, err, _) = apply_in(root, &[], "a.php");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("./b.php") && !err.contains("./a.php"),
        "modified: {err}"
    );
    assert_eq!(
        fs::read(root.join("a.php")).unwrap(),
        legacy(),
        "nothing written"
    );
    git(root, &["checkout", "--", "b.php"]);
    // A file git ignores (scanned with --no-ignore) has no committed version either.
    put(&root.join("local/c.php"), &legacy());
    fs::write(root.join(".gitignore"), "local/\n").unwrap();
    let (code, err, _) = apply_in(root, &["--no-ignore"], "a.php");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("local/c.php") && !err.contains("./a.php"),
        "ignored: {err}"
    );
    fs::remove_dir_all(root.join("local")).unwrap();
    let (code, err, untouched) = apply_in(root, &[], "a.php");
    assert_eq!(
        (code, untouched),
        (Some(0), false),
        "committed and clean: {err}"
    );
    // --allow-dirty writes over the uncommitted change.
    git(root, &["checkout", "--", "a.php", "b.php"]);
    fs::write(root.join("b.php"), [legacy(), b"\n".to_vec()].concat()).unwrap();
    let (code, err, untouched) = apply_in(root, &["--allow-dirty"], "a.php");
    assert_eq!((code, untouched), (Some(0), false), "{err}");
    assert_ne!(
        fs::read(root.join("b.php")).unwrap(),
        [legacy(), b"\n".to_vec()].concat()
    );
}

/// git names these files in its own way; each committed one is still known to be clean.
#[test]
fn committed_files_with_names_git_quotes_are_clean() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    let names: [&[u8]; 4] = [
        b"new\nline.php",
        b"quo\"te.php",
        b"caf\xe9.php",
        b"[ab]*.php",
    ];
    for name in names {
        put(&root.join(OsStr::from_bytes(name)), &legacy());
    }
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "legacy"]);
    // A file the glob `[ab]*.php` would match, with changes: only it is refused.
    put(&root.join("a.php"), &legacy());
    let out = bin(&["apply", "."], root);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.matches(".php").count(), 1, "{err}");
    fs::remove_file(root.join("a.php")).unwrap();
    let out = bin(&["apply", "."], root);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for name in names {
        assert_ne!(
            fs::read(root.join(OsStr::from_bytes(name))).unwrap(),
            legacy()
        );
    }
}

#[test]
fn names_git_must_quote_make_a_patch_git_and_apply_accept() {
    let names: [&[u8]; 7] = [
        b"new\nline.php",
        b"quo\"te.php",
        b"back\\slash.php",
        b"tab\there.php",
        b"caf\xe9.php",
        b"caf\xc3\xa9.php",
        b"sp ace.php",
    ];
    let make = || {
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            put(&dir.path().join(OsStr::from_bytes(name)), &legacy());
        }
        dir
    };
    let source = make();
    let patch_dir = tempfile::tempdir().unwrap();
    let patch = patch_dir.path().join("m.patch");
    let out = bin(&["diff", "-o", patch.to_str().unwrap(), "."], source.path());
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let patch_text = fs::read_to_string(&patch).unwrap();
    assert!(
        patch_text.contains("--- \"a/new\\nline.php\"\n"),
        "{patch_text}"
    );
    assert!(
        patch_text.contains("+++ \"b/caf\\351.php\"\n"),
        "{patch_text}"
    );
    assert!(
        patch_text.contains("--- \"a/caf\\303\\251.php\"\n"),
        "{patch_text}"
    );

    let by_git = make();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .arg(&patch)
            .current_dir(by_git.path())
            .output()
            .expect("git is needed (scripts/test installs it)");
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    };
    git(&["apply", "--check"]);
    git(&["apply"]);
    let by_patch = make();
    let out = bin(
        &[
            "apply",
            "--allow-no-vcs",
            "--patch",
            patch.to_str().unwrap(),
            ".",
        ],
        by_patch.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let direct = make();
    assert!(bin(&["apply", "--allow-no-vcs", "."], direct.path())
        .status
        .success());
    for name in names {
        let name = OsStr::from_bytes(name);
        let want = fs::read(direct.path().join(name)).unwrap();
        assert_ne!(want, legacy(), "{name:?} was migrated");
        assert_eq!(
            fs::read(by_git.path().join(name)).unwrap(),
            want,
            "{name:?}"
        );
        assert_eq!(
            fs::read(by_patch.path().join(name)).unwrap(),
            want,
            "{name:?}"
        );
    }
}

fn temps(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(temps(&path));
        } else if path.to_string_lossy().contains(".keap-migrate-") {
            found.push(path);
        }
    }
    found
}

#[test]
fn a_patch_cannot_write_outside_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    put(&root.join("in.php"), b"old\n");
    put(&dir.path().join("outside.php"), b"old\n");
    put(&dir.path().join("elsewhere/x.php"), b"old\n");
    symlink(dir.path().join("elsewhere"), root.join("link")).unwrap();
    let hunk = |rel: &str| format!("--- a/{rel}\n+++ b/{rel}\n@@ -1 +1 @@\n-old\n+new\n");
    let outside = dir.path().join("outside.php");
    for bad in [
        "../outside.php",
        "sub/../../outside.php",
        outside.to_str().unwrap(),
        "link/x.php",
    ] {
        // The good file comes first: it must not be written either.
        fs::write(dir.path().join("p.patch"), hunk("in.php") + &hunk(bad)).unwrap();
        let out = bin(
            &["apply", "--allow-no-vcs", "--patch", "../p.patch", "."],
            &root,
        );
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("nothing written"), "{bad}");
        for file in ["root/in.php", "outside.php", "elsewhere/x.php"] {
            assert_eq!(fs::read(dir.path().join(file)).unwrap(), b"old\n", "{bad}");
        }
    }
    // `.` and `..` that stay inside are fine.
    fs::write(dir.path().join("p.patch"), hunk("sub/.././in.php")).unwrap();
    let out = bin(
        &["apply", "--allow-no-vcs", "--patch", "../p.patch", "."],
        &root,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(root.join("in.php")).unwrap(), b"new\n");
}

#[test]
fn an_empty_patch_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    put(&dir.path().join("a.php"), b"<?php\n");
    for patch in ["", "\n", "not a patch\n"] {
        fs::write(dir.path().join("p.patch"), patch).unwrap();
        let out = bin(
            &["apply", "--allow-no-vcs", "--patch", "p.patch", "."],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{patch:?}");
        assert!(
            text(&out.stderr).contains("holds no change"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn stale_temporary_files_of_dead_runs_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    put(&dir.path().join("a.php"), &legacy());
    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    let dead = dir
        .path()
        .join(format!(".a.php.keap-migrate-{}.tmp", gone.id()));
    // This test's own PID stands for another `apply` still at work.
    let live = dir
        .path()
        .join(format!(".a.php.keap-migrate-{}.tmp", std::process::id()));
    let unrelated = dir.path().join(".b.php.keap-migrate-1.tmp.bak");
    for f in [&dead, &live, &unrelated] {
        fs::write(f, KEY).unwrap();
    }
    let out = bin(&["apply", "--allow-no-vcs", "."], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!dead.exists());
    assert!(live.exists() && unrelated.exists());
}

#[test]
fn apply_keeps_the_owner_group_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.php");
    put(&file, &legacy());
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    if std::os::unix::fs::chown(&file, Some(4321), Some(4322)).is_err() {
        eprintln!("!!! SKIPPED: giving a file away needs root");
        return;
    }
    let out = bin(&["apply", "--allow-no-vcs", "."], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let meta = fs::metadata(&file).unwrap();
    assert_ne!(fs::read(&file).unwrap(), legacy());
    assert_eq!((meta.uid(), meta.gid()), (4321, 4322));
    assert_eq!(meta.mode() & 0o7777, 0o600);
}

#[test]
fn a_late_failure_says_which_files_were_written() {
    let dir = tempfile::tempdir().unwrap();
    let [x, a, b] = ["x.php", "a.php", "b.php"].map(|n| dir.path().join(n));
    put(&x, b"old");
    put(&a, b"old");
    // The same file twice: writing the first changes the second after it was checked.
    fs::hard_link(&a, &b).unwrap();
    let write = |path: &PathBuf| FileWrite {
        path: path.clone(),
        target: path.clone(),
        expected: b"old".to_vec(),
        contents: b"new".to_vec(),
    };
    let e = write_all(&[write(&x), write(&a), write(&b)]).unwrap_err();
    let message = e.to_string();
    assert!(!message.contains("nothing written"), "{message}");
    assert!(
        message.contains(&format!("written: {}, {} (2)", x.display(), a.display())),
        "{message}"
    );
    assert!(
        message.contains(&format!("not written: {} (1)", b.display())),
        "{message}"
    );
    assert_eq!(fs::read(&x).unwrap(), b"new");
}

#[test]
fn a_hard_linked_file_is_written_in_place_so_no_link_keeps_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let inside = dir.path().join("src/a.php");
    let outside = dir.path().join("backup/a.php");
    let twin = dir.path().join("src/b.php");
    put(&inside, &legacy());
    fs::create_dir_all(outside.parent().unwrap()).unwrap();
    fs::hard_link(&inside, &outside).unwrap();
    fs::hard_link(&inside, &twin).unwrap();
    let out = bin(&["apply", "--allow-no-vcs", "src"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("in place: it has 3 hard links"),
        "{}",
        text(&out.stdout)
    );
    let migrated = fs::read(&inside).unwrap();
    assert!(!text(&migrated).contains(KEY));
    for link in [&outside, &twin] {
        assert_eq!(fs::read(link).unwrap(), migrated);
        assert_eq!(fs::metadata(link).unwrap().nlink(), 3);
    }
}

#[test]
fn follow_never_writes_outside_the_roots() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    put(&root.join("own.php"), &legacy());
    put(&dir.path().join("shared/lib.php"), &legacy());
    put(&dir.path().join("other.php"), &legacy());
    symlink(dir.path().join("shared"), root.join("shared")).unwrap();
    symlink(dir.path().join("other.php"), root.join("other.php")).unwrap();
    let out = bin(&["apply", "--allow-no-vcs", "--follow", "root"], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("root/shared/lib.php: a symbolic link to"),
        "{stderr}"
    );
    assert!(
        stderr.contains("root/other.php: a symbolic link to"),
        "{stderr}"
    );
    assert!(stderr.contains("1 file changed"), "{stderr}");
    assert_ne!(fs::read(root.join("own.php")).unwrap(), legacy());
    assert_eq!(
        fs::read(dir.path().join("shared/lib.php")).unwrap(),
        legacy()
    );
    assert_eq!(fs::read(dir.path().join("other.php")).unwrap(), legacy());
    assert!(fs::symlink_metadata(root.join("other.php"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_link_to_a_file_inside_is_edited_at_its_target() {
    let dir = tempfile::tempdir().unwrap();
    put(&dir.path().join("real/a.php"), &legacy());
    symlink("real/a.php", dir.path().join("link.php")).unwrap();
    let out = bin(&["apply", "--allow-no-vcs", "--follow", "."], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(fs::symlink_metadata(dir.path().join("link.php"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_ne!(fs::read(dir.path().join("real/a.php")).unwrap(), legacy());
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "written once: {}",
        text(&out.stdout)
    );
    assert!(temps(dir.path()).is_empty());
}

/// The PHP inputs of the fixtures that must be flagged, by case and name.
fn php_inputs() -> Vec<(String, Vec<u8>)> {
    let mut inputs = Vec::new();
    for case in fs::read_dir("fixtures/php").unwrap() {
        let case = case.unwrap().path();
        if !case
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ng.")
        {
            continue;
        }
        for file in fs::read_dir(&case).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "php") {
                let name = file.strip_prefix("fixtures/php").unwrap();
                inputs.push((
                    name.to_string_lossy().into_owned(),
                    fs::read(&file).unwrap(),
                ));
            }
        }
    }
    inputs.sort();
    inputs
}

/// xorshift64: the same kill points on every run, with no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Starts `apply` in `root` and, once it has made its first temporary file (in `first`, the
/// directory of the first file it writes), waits `delay` more; `None` waits for its end. Returns
/// the time from that first file to the end, for a run that was not killed.
fn apply_and_kill(root: &Path, first: &Path, delay: Option<Duration>) -> Duration {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keap-migrate"))
        .args(["apply", "--allow-no-vcs", "."])
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ours = format!(".keap-migrate-{}.tmp", child.id());
    let mut writing = None;
    while writing.is_none() {
        if child.try_wait().unwrap().is_some() {
            return Duration::ZERO;
        }
        let started = fs::read_dir(first)
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(&ours));
        if started {
            writing = Some(Instant::now());
        } else {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    match delay {
        Some(delay) => {
            std::thread::sleep(delay);
            let _ = child.kill();
            child.wait().unwrap();
        }
        None => assert!(child.wait().unwrap().success()),
    }
    writing.unwrap().elapsed()
}

const KILLS: usize = 30;

#[test]
fn a_killed_apply_leaves_every_file_old_or_new_and_no_readable_copy() {
    // The inputs the fixtures rewrite: a file left alone costs a scan and proves nothing here.
    let inputs: Vec<(String, Vec<u8>)> = php_inputs()
        .into_iter()
        .filter(|(name, _)| {
            let (case, file) = name.split_once('/').unwrap();
            let patch = format!("fixtures/php/{case}/expected.header.patch");
            fs::read_to_string(patch)
                .unwrap()
                .contains(&format!("+++ b/{file}"))
        })
        .collect();
    // 60 files (a debug build migrates about 80 a second: many more would make this test slow),
    // each in its own directory, readable by their owner only (they hold keys).
    let files: Vec<(String, &[u8])> = (0..60)
        .map(|k| {
            let (name, bytes) = &inputs[k % inputs.len()];
            (format!("{k:03}/{name}"), bytes.as_slice())
        })
        .collect();
    let reset = |root: &Path| {
        for (rel, bytes) in &files {
            let path = root.join(rel);
            put(&path, bytes);
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        }
    };
    let reference = tempfile::tempdir().unwrap();
    reset(reference.path());
    assert!(bin(&["apply", "--allow-no-vcs", "."], reference.path())
        .status
        .success());
    let new: Vec<Vec<u8>> = files
        .iter()
        .map(|(rel, _)| fs::read(reference.path().join(rel)).unwrap())
        .collect();
    let changed: Vec<&str> = files
        .iter()
        .zip(&new)
        .filter(|((_, old), new)| old != new)
        .map(|((rel, _), _)| rel.as_str())
        .collect();
    assert!(
        changed.len() > files.len() / 2,
        "the tree must be mostly rewritten"
    );
    let first = Path::new(changed[0]).parent().unwrap();

    let dir = tempfile::tempdir().unwrap();
    reset(dir.path());
    // Only to spread the kill points over the writing; nothing is asserted on time.
    let writing = apply_and_kill(dir.path(), &dir.path().join(first), None);
    let mut rng = Rng(0x6b65_6170_6d69_6772);
    let mut partial = 0;
    for _ in 0..KILLS {
        // Temporary files of the killed runs stay: the next run must clean them up.
        reset(dir.path());
        let delay = rng.below(writing.as_micros() as u64 * 6 / 5);
        apply_and_kill(
            dir.path(),
            &dir.path().join(first),
            Some(Duration::from_micros(delay)),
        );
        let mut olds = 0;
        for ((rel, old), new) in files.iter().zip(&new) {
            let now = fs::read(dir.path().join(rel)).unwrap();
            assert!(now == *old || now == *new, "{rel} is neither old nor new");
            olds += usize::from(now != *new);
        }
        partial += usize::from(olds > 0 && olds < changed.len());
        for temp in temps(dir.path()) {
            let mode = fs::metadata(&temp).unwrap().mode();
            assert_eq!(mode & 0o077, 0, "{} is readable by others", temp.display());
        }
    }
    eprintln!("{partial} of {KILLS} kills stopped a run between its first and last rename");
    reset(dir.path());
    assert!(bin(&["apply", "--allow-no-vcs", "."], dir.path())
        .status
        .success());
    for ((rel, _), new) in files.iter().zip(&new) {
        assert_eq!(fs::read(dir.path().join(rel)).unwrap(), *new, "{rel}");
    }
    assert_eq!(temps(dir.path()), Vec::<PathBuf>::new());
}

#[derive(Clone, Debug)]
enum Mutation {
    Insert(usize, u8),
    Delete(usize, usize),
    DuplicateLine(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (
            any::<usize>(),
            prop::sample::select(b"'\";,.()[]{}$<>?\n \\/*#".to_vec())
        )
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 1..12usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Insert(at, b) => bytes.insert(at % (bytes.len() + 1), b),
            Mutation::Delete(at, n) => {
                let at = at % len;
                bytes.drain(at..(at + n).min(bytes.len()));
            }
            Mutation::DuplicateLine(at) => {
                let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
                let n = at % lines.len().max(1);
                let mut out: Vec<u8> = lines[..n].concat();
                out.extend(lines.get(n).copied().unwrap_or_default());
                out.extend(lines[n..].concat());
                bytes = out;
            }
        }
    }
    bytes
}

/// `php -l` on a file, or `None` without a PHP runtime.
fn php_lint(path: &Path) -> Option<bool> {
    let out = Command::new("php").arg("-l").arg(path).output().ok()?;
    Some(out.status.success())
}

fn run(args: &[&str]) -> (keap_migrate::Exit, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut io = keap_migrate::Io {
        out: &mut out,
        err: &mut err,
        is_terminal: false,
    };
    let exit = keap_migrate::run_with(
        std::iter::once("keap-migrate").chain(args.iter().copied()),
        &mut io,
    );
    (exit, text(&out))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: RngSeed::Fixed(0x6b65_6170),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Over damaged fixtures: `apply` does not panic, adds no syntax error, and leaves nothing
    /// for a second run.
    #[test]
    fn apply_on_damaged_fixtures(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let inputs = php_inputs();
        let (name, bytes) = &inputs[pick.index(inputs.len())];
        let input = mutate(bytes.clone(), &mutations);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(Path::new(name).file_name().unwrap());
        fs::write(&file, &input).unwrap();
        let lint_before = php_lint(&file);
        let root = dir.path().to_str().unwrap();

        let (exit, _) = run(&["apply", "--allow-no-vcs", root]);
        prop_assert_ne!(exit, keap_migrate::Exit::Error);
        let output = fs::read(&file).unwrap();
        if let (Ok(before), Ok(after)) = (std::str::from_utf8(&input), std::str::from_utf8(&output)) {
            let errors = keap_migrate::fix::syntax_errors;
            prop_assert!(errors(after) <= errors(before), "{}", after);
        }
        if lint_before == Some(true) {
            prop_assert_eq!(php_lint(&file), Some(true), "{}", text(&output));
        }
        let (_, again) = run(&["diff", "--show-secrets", root]);
        prop_assert_eq!(again, "", "a second run still has changes");
    }
}
