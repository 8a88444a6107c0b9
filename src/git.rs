//! The little of git that staged and pull-request scans need, through the `git` command: the
//! hook environment (`GIT_INDEX_FILE` during `git commit -a`) reaches it unchanged.
use std::{
    collections::BTreeMap,
    ffi::{OsStr, OsString},
    io::{BufRead, BufReader, Read, Write},
    ops::RangeInclusive,
    os::unix::ffi::OsStrExt,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use crate::{
    error::{Error, Result},
    finding::redact,
};

/// A work tree, or a directory inside one; paths are relative to that directory.
pub struct Repo {
    dir: PathBuf,
}

/// A file as staged: its path relative to the directory, and what the index holds.
pub struct Staged {
    pub rel: String,
    pub kind: Kind,
}

pub enum Kind {
    File(Vec<u8>),
    Symlink,
}

/// Added lines (1-based, inclusive ranges) by path relative to the directory.
pub type AddedLines = BTreeMap<String, Vec<RangeInclusive<usize>>>;

impl Repo {
    /// The repository `dir` is in; outside a work tree git would fall back to comparing plain
    /// files (`diff --no-index`) and answer with its usage, so say it plainly instead.
    pub fn open(dir: &Path) -> Result<Repo> {
        let repo = Repo {
            dir: dir.to_path_buf(),
        };
        match repo.run(&["rev-parse", "--is-inside-work-tree"]) {
            Ok(out) if out.starts_with(b"true") => Ok(repo),
            _ => Err(Error::Git(format!(
                "{} is not inside a git work tree (--staged and --since need one)",
                dir.display()
            ))),
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(&self.dir)
            .args(["-c", "core.quotePath=false"]);
        cmd
    }

    fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Vec<u8>> {
        let out = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
        if !out.status.success() {
            let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
            // A revision is a flag's value, and git repeats it: it may be a pasted key.
            return Err(Error::Git(redact(&format!(
                "`git {}` in {}: {}",
                shown.join(" "),
                self.dir.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ))));
        }
        Ok(out.stdout)
    }

    /// The files whose staged content differs from HEAD (every staged file before the first
    /// commit), with the content read from the index, not from the work tree. Deletions and
    /// submodules are left out.
    pub fn staged(&self) -> Result<Vec<Staged>> {
        let raw = self.run(&[
            "diff",
            "--cached",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--relative",
            "--diff-filter=d",
        ])?;
        // `-z --raw`: ":oldmode newmode oldsha newsha status\0path\0" per file.
        let mut fields = raw.split(|&b| b == 0).filter(|f| !f.is_empty());
        let mut files = Vec::new();
        let mut blobs = Vec::new();
        while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
            let meta = String::from_utf8_lossy(meta);
            let parts: Vec<&str> = meta.split(' ').collect();
            let (Some(mode), Some(sha)) = (parts.get(1), parts.get(3)) else {
                return Err(Error::Git(format!(
                    "unexpected `git diff --raw` line: {meta}"
                )));
            };
            let rel = String::from_utf8_lossy(path).into_owned();
            match *mode {
                "120000" => files.push(Staged {
                    rel,
                    kind: Kind::Symlink,
                }),
                "100644" | "100755" => {
                    blobs.push(sha.to_string());
                    files.push(Staged {
                        rel,
                        kind: Kind::File(Vec::new()),
                    });
                }
                _ => {}
            }
        }
        let mut contents = self.blobs(&blobs)?.into_iter();
        for file in &mut files {
            if let Kind::File(bytes) = &mut file.kind {
                *bytes = contents.next().expect("one blob per staged file");
            }
        }
        Ok(files)
    }

    /// Blob contents in the order asked, through one `git cat-file --batch`.
    fn blobs(&self, shas: &[String]) -> Result<Vec<Vec<u8>>> {
        if shas.is_empty() {
            return Ok(Vec::new());
        }
        let mut child = self
            .command()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let input: String = shas.iter().map(|s| format!("{s}\n")).collect();
        // Written from a thread: git answers while we write, and a full pipe would block both.
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut blobs = Vec::with_capacity(shas.len());
        for sha in shas {
            let mut header = String::new();
            out.read_line(&mut header)
                .map_err(|e| Error::Git(format!("reading git cat-file: {e}")))?;
            let size = header
                .trim_end()
                .strip_prefix(sha.as_str())
                .and_then(|rest| rest.strip_prefix(" blob "))
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| Error::Git(format!("git cat-file {sha}: {}", header.trim())))?;
            let mut blob = vec![0; size + 1];
            out.read_exact(&mut blob)
                .map_err(|e| Error::Git(format!("reading git cat-file: {e}")))?;
            blob.pop();
            blobs.push(blob);
        }
        drop(out);
        let written = writer.join().expect("the writer thread does not panic");
        let status = child
            .wait()
            .map_err(|e| Error::Git(format!("git cat-file: {e}")))?;
        written.map_err(|e| Error::Git(format!("writing to git cat-file: {e}")))?;
        if !status.success() {
            return Err(Error::Git(format!("git cat-file exited with {status}")));
        }
        Ok(blobs)
    }

    /// The lines added in the work tree since where HEAD forked from `rev` (their merge base),
    /// so a pull request is judged on its own lines even when `rev` moved on since.
    pub fn added_since(&self, rev: &str) -> Result<AddedLines> {
        if rev.starts_with('-') {
            return Err(Error::Usage(format!("`{}` is not a revision", redact(rev))));
        }
        let base = self
            .run(&["merge-base", rev, "HEAD"])
            .map_err(|e| self.why_no_base(rev).unwrap_or(e))?;
        let base = String::from_utf8_lossy(&base).trim().to_string();
        let diff = self.run(&[
            "diff",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-M",
            "--relative",
            "--diff-filter=d",
            // A submodule's change is a commit id, not lines, and its path a directory.
            "--ignore-submodules=all",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            &base,
        ])?;
        Ok(parse_added(&diff))
    }
}

impl Repo {
    /// Why `merge-base` found nothing, which git leaves unsaid (exit 1, no message): the revision
    /// is not in the clone, or the history that joins it to HEAD is not (a shallow clone, which
    /// is what `actions/checkout` makes by default).
    fn why_no_base(&self, rev: &str) -> Option<Error> {
        let shown = redact(rev);
        let fetch = "in GitHub Actions check out with `fetch-depth: 0` (actions/checkout); elsewhere `git fetch --unshallow`";
        if self
            .run(&[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ])
            .is_err()
        {
            return Some(Error::Git(format!(
                "--since {shown}: no such revision in this clone; fetch it (`git fetch origin main`), or {fetch}"
            )));
        }
        let shallow = self.run(&["rev-parse", "--is-shallow-repository"]).ok()?;
        Some(Error::Git(if shallow.starts_with(b"true") {
            format!(
                "--since {shown}: the merge base of {shown} and HEAD is missing, because this clone is shallow; {fetch}"
            )
        } else {
            format!("--since {shown}: {shown} and HEAD have no common history")
        }))
    }
}

/// What git could give back of the files `apply` would write: those outside any work tree,
/// and those whose content is not committed (modified, staged, untracked or ignored).
#[derive(Debug, Default)]
pub struct Undo {
    pub no_vcs: Vec<PathBuf>,
    pub uncommitted: Vec<PathBuf>,
}

impl Undo {
    /// Asks git once per directory. A git that cannot be run counts as no work tree: nothing
    /// could undo the change then either.
    pub fn of(files: &[PathBuf]) -> Result<Undo> {
        let mut by_dir: BTreeMap<&Path, Vec<&PathBuf>> = BTreeMap::new();
        for f in files {
            by_dir
                .entry(f.parent().unwrap_or(Path::new(".")))
                .or_default()
                .push(f);
        }
        let mut undo = Undo::default();
        for (dir, files) in by_dir {
            let Ok(repo) = Repo::open(dir) else {
                undo.no_vcs.extend(files.into_iter().cloned());
                continue;
            };
            let mut args: Vec<OsString> = [
                "status",
                "--porcelain=v1",
                "-z",
                "--ignored=traditional",
                "--untracked-files=all",
                "--",
            ]
            .map(OsString::from)
            .into();
            // Literal: a file named `*.php` is that file, not a glob.
            args.extend(files.iter().map(|f| {
                let mut spec = OsString::from(":(literal)");
                spec.push(f.file_name().unwrap_or_default());
                spec
            }));
            let out = repo.run(&args)?;
            let dirty = status_names(&out);
            undo.uncommitted.extend(
                files
                    .into_iter()
                    .filter(|f| {
                        let name = f.file_name().unwrap_or_default().as_bytes();
                        dirty.contains(&name)
                    })
                    .cloned(),
            );
        }
        Ok(undo)
    }
}

/// The file names in `git status --porcelain -z` output ("XY path\0", a rename's source after
/// it).
fn status_names(out: &[u8]) -> Vec<&[u8]> {
    let mut names = Vec::new();
    let mut fields = out.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let Some(entry) = fields.next() {
        let Some(path) = entry.get(3..) else { continue };
        names.push(path.rsplit(|&b| b == b'/').next().unwrap_or(path));
        if matches!(entry[0], b'R' | b'C') {
            fields.next();
        }
    }
    names
}

/// Reads `git diff -U0` output: for each file, the `+c,d` ranges of its hunk headers. Hunk
/// bodies are skipped by count, so an added line that starts with `+++` is not a header.
fn parse_added(diff: &[u8]) -> AddedLines {
    let mut added = AddedLines::new();
    let mut current: Option<String> = None;
    let mut body = 0usize;
    for line in diff.split(|&b| b == b'\n') {
        if body > 0 {
            if !line.starts_with(b"\\") {
                body -= 1;
            }
            continue;
        }
        if let Some(path) = line.strip_prefix(b"+++ ") {
            current = unquote(path).strip_prefix("b/").map(String::from);
        } else if let Some(header) = line.strip_prefix(b"@@ -") {
            let header = String::from_utf8_lossy(header);
            let mut ranges = header.split(' ');
            let old = count(ranges.next().unwrap_or(""));
            let (start, new) = ranges
                .next()
                .and_then(|r| r.strip_prefix('+'))
                .map(|r| (r.split(',').next().unwrap_or("0"), count(r)))
                .unwrap_or(("0", 0));
            body = old + new;
            if let (Some(path), Ok(start), true) = (&current, start.parse::<usize>(), new > 0) {
                added
                    .entry(path.clone())
                    .or_default()
                    .push(start..=start + new - 1);
            }
        }
    }
    added
}

/// The line count of a hunk range `start[,count]` (a missing count is 1).
fn count(range: &str) -> usize {
    match range.split_once(',') {
        Some((_, n)) => n.parse().unwrap_or(0),
        None => 1,
    }
}

/// A path as git prints it in a diff header: C-quoted when it holds a quote, a backslash or a
/// control character.
fn unquote(raw: &[u8]) -> String {
    let Some(inner) = raw.strip_prefix(b"\"").and_then(|r| r.strip_suffix(b"\"")) else {
        return String::from_utf8_lossy(raw).into_owned();
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut bytes = inner.iter().copied();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'r') => out.push(b'\r'),
            Some(b'a') => out.push(7),
            Some(b'b') => out.push(8),
            Some(b'f') => out.push(12),
            Some(b'v') => out.push(11),
            Some(d @ b'0'..=b'7') => {
                let mut n = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(d) = bytes.next() {
                        n = n * 8 + u32::from(d.wrapping_sub(b'0'));
                    }
                }
                out.push(n as u8);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunk_headers_give_added_lines() {
        let diff = b"\
diff --git a/src/a.php b/src/a.php
index 1111111..2222222 100644
--- a/src/a.php
+++ b/src/a.php
@@ -3,0 +4,2 @@ function f()
+$key = 'x';
++++ not a header
@@ -10 +12 @@
-old
+new
diff --git \"a/we\\\"ird \\303\\251.php\" \"b/we\\\"ird \\303\\251.php\"
new file mode 100644
--- /dev/null
+++ \"b/we\\\"ird \\303\\251.php\"
@@ -0,0 +1 @@
+<?php
\\ No newline at end of file
diff --git a/gone.txt b/gone.txt
--- a/gone.txt
+++ b/gone.txt
@@ -1,2 +0,0 @@
-a
-b
";
        let added = parse_added(diff);
        assert_eq!(added.len(), 2, "{added:?}");
        assert_eq!(added["src/a.php"], [4..=5, 12..=12]);
        assert_eq!(added["we\"ird é.php"], [1..=1]);
    }
}
