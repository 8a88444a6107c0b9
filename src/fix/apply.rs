//! Writing changes safely: only files inside the scanned roots are written (a symbolic link is
//! written at its target), every file is checked against the bytes the change was made from
//! before anything is written, and each is written through a temporary file that has the
//! original's mode and owner from its creation, compared once more, and renamed over it.
//! Patches written earlier are applied strictly (no fuzz) and only below their root.
use std::{
    collections::HashSet,
    ffi::OsString,
    fs::{self, File, Metadata},
    io::{self, Write},
    os::unix::{
        ffi::{OsStrExt, OsStringExt},
        fs::{MetadataExt, OpenOptionsExt},
    },
    path::{Component, Path, PathBuf},
};

use crate::error::{Error, Result};

use super::{diff::unquote, FileChange};

/// New contents for a file, valid only while the file still holds `expected`.
pub struct FileWrite {
    /// The path as found, for messages.
    pub path: PathBuf,
    /// The file that is written: `path` with symbolic links resolved.
    pub target: PathBuf,
    pub expected: Vec<u8>,
    pub contents: Vec<u8>,
}

/// How a file was written.
#[derive(Debug)]
pub enum Written {
    /// A temporary file renamed over it.
    Replaced,
    /// Truncated and written again: a rename would leave its other hard links with the old
    /// text, and the key in it.
    InPlace { links: u64 },
}

/// The roots as real paths, to tell whether a file found through a symbolic link is inside.
pub fn canonical_roots(roots: &[PathBuf]) -> Result<Vec<PathBuf>> {
    roots
        .iter()
        .map(|r| fs::canonicalize(r).map_err(|e| Error::io(r, e)))
        .collect()
}

/// The writes for `changes`, and the files refused: one reached through a symbolic link that
/// leads out of `roots` (canonical). A file reached twice (a link to a file inside, a second
/// hard link) is written once. A file gone since it was read stops the run.
pub fn writes_for(
    changes: &[FileChange],
    roots: &[PathBuf],
) -> Result<(Vec<FileWrite>, Vec<Error>)> {
    let mut writes = Vec::new();
    let mut refused = Vec::new();
    let mut seen = HashSet::new();
    for c in changes {
        let target = fs::canonicalize(&c.path).map_err(|e| Error::Apply {
            path: c.path.clone(),
            message: format!("{e}: nothing written"),
        })?;
        if !roots.iter().any(|r| target.starts_with(r)) {
            refused.push(Error::Apply {
                path: c.path.clone(),
                message: format!(
                    "a symbolic link to {}, outside the scanned paths: not written",
                    target.display()
                ),
            });
            continue;
        }
        let meta = fs::metadata(&target).map_err(|e| Error::io(&c.path, e))?;
        if seen.insert((meta.dev(), meta.ino())) {
            writes.push(FileWrite {
                path: c.path.clone(),
                target,
                expected: c.before.clone(),
                contents: c.after.clone().into_bytes(),
            });
        }
    }
    Ok((writes, refused))
}

/// Where a patch's file is under `root`. A patch may come from anywhere: a path that leaves the
/// root once `.` and `..` are resolved, or that passes through a symbolic link, is refused.
pub fn patch_target(root: &Path, rel: &Path) -> Result<PathBuf> {
    let refuse = |why: String| Error::Apply {
        path: rel.to_path_buf(),
        message: format!("{why}: nothing written"),
    };
    let mut inside = PathBuf::new();
    for c in rel.components() {
        match c {
            Component::Normal(name) => inside.push(name),
            Component::CurDir => {}
            Component::ParentDir if inside.pop() => {}
            _ => return Err(refuse("the path leaves the root".into())),
        }
    }
    let mut at = root.to_path_buf();
    for c in inside.components() {
        at.push(c);
        if fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(refuse(format!(
                "the path goes through the symbolic link {}",
                at.display()
            )));
        }
    }
    Ok(at)
}

/// Writes every file, or says which were written. All files are checked and all temporary files
/// made before the first rename, so a changed file, a full disk or an owner that cannot be kept
/// stops the run with nothing written; each file is compared once more right before its rename,
/// so an edit made meanwhile is not lost.
pub fn write_all(writes: &[FileWrite]) -> Result<Vec<Written>> {
    let stop = |at: usize, cause: Error| {
        let paths = |ws: &[FileWrite]| ws.iter().map(|w| w.path.clone()).collect();
        Error::Partial {
            cause: Box::new(cause),
            written: paths(&writes[..at]),
            not_written: paths(&writes[at..]),
        }
    };
    for w in writes {
        remove_stale_temps(&w.target);
    }
    let metas = writes
        .iter()
        .map(check_unchanged)
        .collect::<Result<Vec<_>>>()
        .map_err(|e| stop(0, e))?;
    let mut temps: Vec<Option<PathBuf>> = Vec::new();
    for (w, meta) in writes.iter().zip(&metas) {
        let temp = if meta.nlink() > 1 {
            Ok(None)
        } else {
            temp_file(w, meta).map(Some)
        };
        match temp {
            Ok(t) => temps.push(t),
            Err(e) => {
                remove_temps(&temps);
                return Err(stop(0, e));
            }
        }
    }
    let mut done = Vec::new();
    for (i, w) in writes.iter().enumerate() {
        let written = check_unchanged(w).and_then(|meta| match &temps[i] {
            Some(temp) => fs::rename(temp, &w.target)
                .map(|()| Written::Replaced)
                .map_err(|e| Error::io(&w.path, e)),
            None => write_in_place(w).map(|()| Written::InPlace {
                links: meta.nlink(),
            }),
        });
        match written {
            Ok(how) => done.push(how),
            Err(e) => {
                remove_temps(&temps[i..]);
                return Err(stop(i, e));
            }
        }
    }
    Ok(done)
}

fn check_unchanged(w: &FileWrite) -> Result<Metadata> {
    let io = |e| Error::io(&w.path, e);
    let mut file = File::open(&w.target).map_err(io)?;
    let mut now = Vec::with_capacity(w.expected.len());
    io::Read::read_to_end(&mut file, &mut now).map_err(io)?;
    if now != w.expected {
        return Err(Error::Apply {
            path: w.path.clone(),
            message: "changed since it was read".into(),
        });
    }
    file.metadata().map_err(io)
}

/// `.NAME.keap-migrate-PID.tmp`, beside the file: a rename within one directory is atomic.
fn temp_path(target: &Path, pid: u32) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(target.file_name().unwrap_or_default());
    name.push(format!(".keap-migrate-{pid}.tmp"));
    target.with_file_name(name)
}

/// The new bytes in a temporary file that has the original's mode, owner and group before it
/// holds anything, so a kill before the rename leaves no copy others can read.
fn temp_file(w: &FileWrite, meta: &Metadata) -> Result<PathBuf> {
    let temp = temp_path(&w.target, std::process::id());
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(meta.mode() & 0o777)
        .open(&temp)
        .map_err(|e| Error::io(&temp, e))?;
    let made = keep_owner(&f, meta, &w.path).and_then(|()| {
        // Again after the owner (chown clears set-id bits), and past the umask.
        f.set_permissions(meta.permissions())
            .and_then(|()| f.write_all(&w.contents))
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(&temp, e))
    });
    match made {
        Ok(()) => Ok(temp),
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// The new file gets the old one's owner and group. Without the right to give a file away, the
/// owner must be us already; only the group may then be lost (a file of ours in a group we are
/// not in).
fn keep_owner(f: &File, meta: &Metadata, path: &Path) -> Result<()> {
    let made = f.metadata().map_err(|e| Error::io(path, e))?;
    if (made.uid(), made.gid()) == (meta.uid(), meta.gid()) {
        return Ok(());
    }
    match std::os::unix::fs::fchown(f, Some(meta.uid()), Some(meta.gid())) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied && made.uid() == meta.uid() => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Err(Error::Apply {
            path: path.to_path_buf(),
            message: format!(
                "owned by uid {}: only root or that user can rewrite it and keep its owner",
                meta.uid()
            ),
        }),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn write_in_place(w: &FileWrite) -> Result<()> {
    let io = |e| Error::io(&w.path, e);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&w.target)
        .map_err(io)?;
    f.write_all(&w.contents).map_err(io)?;
    f.sync_all().map_err(io)
}

fn remove_temps(temps: &[Option<PathBuf>]) {
    for temp in temps.iter().flatten() {
        let _ = fs::remove_file(temp);
    }
}

/// A run killed between making its temporary files and renaming them leaves them behind. Ours
/// (by name) beside a file about to be written are removed when no process has their PID; a
/// live PID may be another `apply` at work, so its files are left alone. Our own PID, before we
/// made any, was a dead process's: PIDs are reused.
fn remove_stale_temps(target: &Path) {
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return;
    };
    let prefix = [b".", name.as_bytes(), b".keap-migrate-"].concat();
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().into_vec();
        let pid = file_name
            .strip_prefix(prefix.as_slice())
            .and_then(|rest| rest.strip_suffix(b".tmp"))
            .and_then(|pid| std::str::from_utf8(pid).ok()?.parse::<u32>().ok());
        let stale = pid.is_some_and(|pid| pid == std::process::id() || !alive(pid));
        if stale && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // Signal 0 is only the existence check; EPERM means it exists under another user.
    // SAFETY: kill with signal 0 sends nothing and touches no memory.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Writes a file only its owner can read: patches hold the keys they remove.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    // An existing file keeps its mode on open: tighten it too.
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|e| Error::io(path, e))?;
    f.write_all(contents).map_err(|e| Error::io(path, e))
}

/// One file's part of a unified diff.
#[derive(Debug)]
pub struct FilePatch {
    pub rel: PathBuf,
    hunks: Vec<Hunk>,
}

#[derive(Debug)]
struct Hunk {
    /// 0-based index of the first old line the hunk covers.
    old_start: usize,
    /// (' ', '-' or '+', the line with its ending)
    lines: Vec<(u8, String)>,
}

/// Reads a patch in the form `diff` writes (and `git diff` too, for text files). Hunk line
/// counts are checked: a truncated or hand-damaged patch is refused, not half applied.
pub fn parse_patch(text: &str) -> Result<Vec<FilePatch>> {
    let bad = |line: usize, what: &str| Error::Usage(format!("patch line {line}: {what}"));
    let mut files: Vec<FilePatch> = Vec::new();
    // Lines the current hunk still expects: (old side, new side).
    let mut due = (0usize, 0usize);
    let mut lines = text.split_inclusive('\n').enumerate();
    while let Some((n, line)) = lines.next() {
        let marker = line.starts_with("\\ No newline at end of file");
        if due != (0, 0) || marker {
            let hunk = files
                .last_mut()
                .and_then(|f| f.hunks.last_mut())
                .ok_or_else(|| bad(n + 1, "a marker outside any hunk"))?;
            if marker {
                let last = hunk
                    .lines
                    .last_mut()
                    .ok_or_else(|| bad(n + 1, "stray marker"))?;
                if last.1.ends_with('\n') {
                    last.1.pop();
                }
                continue;
            }
            let tag = line.as_bytes().first().copied().unwrap_or(b'?');
            match tag {
                b' ' if due.0 > 0 && due.1 > 0 => due = (due.0 - 1, due.1 - 1),
                b'-' if due.0 > 0 => due.0 -= 1,
                b'+' if due.1 > 0 => due.1 -= 1,
                _ => return Err(bad(n + 1, "the hunk is shorter than its header says")),
            }
            hunk.lines.push((tag, line[1..].to_string()));
            continue;
        }
        if let Some(old) = line.strip_prefix("--- ") {
            let (_, new) = lines
                .next()
                .ok_or_else(|| bad(n + 1, "`---` without `+++`"))?;
            let new = new
                .strip_prefix("+++ ")
                .ok_or_else(|| bad(n + 2, "expected `+++`"))?;
            let name = |side: &str, at: usize| {
                unquote(side)
                    .map(|(name, _)| name)
                    .ok_or_else(|| bad(at, "a badly quoted file name"))
            };
            let new = name(new, n + 2)?;
            let rel = new
                .strip_prefix(b"b/")
                .ok_or_else(|| bad(n + 2, "paths must start with b/"))?;
            if name(old, n + 1)? != [b"a/", rel].concat() {
                return Err(bad(n + 1, "renames are not supported"));
            }
            files.push(FilePatch {
                rel: PathBuf::from(OsString::from_vec(rel.to_vec())),
                hunks: Vec::new(),
            });
        } else if let Some(header) = line.strip_prefix("@@ -") {
            let file = files
                .last_mut()
                .ok_or_else(|| bad(n + 1, "hunk before a file header"))?;
            let range = |s: &str| -> Option<(usize, usize)> {
                let (start, count) = s.split_once(',').unwrap_or((s, "1"));
                Some((start.parse().ok()?, count.parse().ok()?))
            };
            let mut fields = header.split(' ');
            let old = fields.next().and_then(range);
            let new = fields
                .next()
                .and_then(|f| f.strip_prefix('+'))
                .and_then(range);
            let (Some((start, old_count)), Some((_, new_count))) = (old, new) else {
                return Err(bad(n + 1, "bad hunk header"));
            };
            // `-3,0` inserts after line 3; otherwise the hunk starts at that line.
            let old_start = if old_count == 0 {
                start
            } else {
                start.saturating_sub(1)
            };
            file.hunks.push(Hunk {
                old_start,
                lines: Vec::new(),
            });
            due = (old_count, new_count);
        } else if line.starts_with(['+', '-', ' ']) && !files.is_empty() {
            return Err(bad(n + 1, "a change line outside any hunk"));
        }
    }
    if due != (0, 0) {
        return Err(bad(text.lines().count(), "the patch ends inside a hunk"));
    }
    Ok(files)
}

impl FilePatch {
    /// The patched text, or an error when `old` is not what the patch was made from.
    pub fn apply_to(&self, old: &str) -> Result<String, String> {
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let mut out = String::with_capacity(old.len() + 256);
        let mut at = 0;
        for hunk in &self.hunks {
            let start = hunk.old_start;
            if start < at || start > old_lines.len() {
                return Err(format!("hunk at line {} is out of place", start + 1));
            }
            out.extend(old_lines[at..start].iter().copied());
            at = start;
            for (tag, line) in &hunk.lines {
                match tag {
                    b' ' | b'-' => {
                        if old_lines.get(at) != Some(&line.as_str()) {
                            return Err(format!("line {} no longer matches the patch", at + 1));
                        }
                        if *tag == b' ' {
                            out.push_str(line);
                        }
                        at += 1;
                    }
                    _ => out.push_str(line),
                }
            }
        }
        out.extend(old_lines[at..].iter().copied());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::diff::unified;

    #[test]
    fn a_patch_round_trips_and_refuses_changed_text() {
        let old = "<?php\r\n$a = 1;\r\n$b = 2;\r\n$c = 3;\r\n$d = 4;\r\n$e = 5;\r\n$f = 6;\r\n$g = 7;\r\n$h = 8;";
        let new = old
            .replace("$b = 2", "$b = 20")
            .replace("$h = 8", "$h = 80");
        let patch = parse_patch(&unified(b"x.php", old, &new)).unwrap();
        assert_eq!(patch.len(), 1);
        assert_eq!(patch[0].rel, Path::new("x.php"));
        assert_eq!(patch[0].apply_to(old).unwrap(), new);
        assert!(patch[0].apply_to(&old.replace("$c = 3", "$c = 9")).is_err());
    }

    #[test]
    fn a_truncated_patch_is_refused() {
        let old = "a\nb\nc\nd\n";
        let full = unified(b"x.php", old, "a\nB\nc\nd\n");
        let cut: String = full.split_inclusive('\n').take(6).collect();
        assert!(parse_patch(&full).is_ok());
        assert!(parse_patch(&cut).is_err(), "{cut}");
        let extra = full.replace("+B\n", "+B\n+C\n");
        assert!(parse_patch(&extra).is_err());
    }

    #[test]
    fn a_removed_line_that_starts_with_dashes_is_not_a_file_header() {
        let old = "-- comment\nselect 1;\n";
        let new = "select 1;\n";
        let patch = parse_patch(&unified(b"q.sql", old, new)).unwrap();
        assert_eq!(patch.len(), 1);
        assert_eq!(patch[0].apply_to(old).unwrap(), new);
    }

    #[test]
    fn writes_keep_permissions_and_refuse_changed_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.php");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let w = FileWrite {
            path: path.clone(),
            target: path.clone(),
            expected: b"old".to_vec(),
            contents: b"new".to_vec(),
        };
        write_all(&[w]).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let stale = FileWrite {
            path: path.clone(),
            target: path.clone(),
            expected: b"old".to_vec(),
            contents: b"newer".to_vec(),
        };
        assert!(write_all(&[stale]).is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left"
        );
    }

    #[test]
    fn a_temporary_file_has_the_final_mode_before_it_holds_anything() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.php");
        // 0660 also shows the umask undone; 0600 that others never see the key.
        for mode in [0o600, 0o660] {
            fs::write(&path, "old").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let w = FileWrite {
                path: path.clone(),
                target: path.clone(),
                expected: b"old".to_vec(),
                contents: b"new".to_vec(),
            };
            let temp = temp_file(&w, &fs::metadata(&path).unwrap()).unwrap();
            assert_eq!(
                temp,
                dir.path()
                    .join(format!(".a.php.keap-migrate-{}.tmp", std::process::id()))
            );
            assert_eq!(fs::metadata(&temp).unwrap().mode() & 0o7777, mode);
            assert_eq!(fs::read(&temp).unwrap(), b"new");
            fs::remove_file(&temp).unwrap();
        }
    }

    #[test]
    fn a_temporary_file_left_under_our_own_pid_is_an_earlier_run_s() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.php");
        fs::write(&path, "old").unwrap();
        let left = temp_path(&path, std::process::id());
        fs::write(&left, "a key").unwrap();
        let w = FileWrite {
            path: path.clone(),
            target: path.clone(),
            expected: b"old".to_vec(),
            contents: b"new".to_vec(),
        };
        write_all(&[w]).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert!(!left.exists());
    }
}
