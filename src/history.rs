//! `scan --history`: every blob that a commit reachable from the refs added, scanned once per
//! object id, its secrets reported once each with the first and last commit that added them.
//!
//! Two streams of `git log --raw` (no patches: git only diffs trees) and one `git cat-file
//! --batch` read the object database through git itself, so a partial or shallow clone behaves as
//! git does, minus lazy fetches. Memory holds the object ids seen (20 bytes each), the blobs in
//! flight (bounded channels) and the secrets found: never the log, never a commit list.
use std::{
    collections::{HashMap, HashSet},
    io::{self, BufRead, BufReader, Read, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStdout, Command, Stdio},
    sync::{mpsc, LazyLock, Mutex},
    time::Instant,
};

use aho_corasick::AhoCorasick;

use crate::{
    error::{Error, Result},
    finding::{redact, Basis, Finding, Matched},
    scan::{Scan, Scanner, SkipReason, Summary},
    walk::Excludes,
};

/// What `--history` reads: a repository (work tree or bare), and which commits.
pub struct History {
    pub repo: PathBuf,
    /// `--log-opts`: revisions and `git log` options in place of `--all`.
    pub log_opts: Vec<String>,
    pub exclude: Vec<String>,
    pub threads: usize,
}

/// One commit as a finding names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub id: String,
    pub author: String,
    /// The author date, ISO 8601.
    pub date: String,
    /// The committer time (seconds), then the place in the log (children come before their
    /// parents): what orders first and last.
    time: i64,
    seq: u64,
}

impl Commit {
    /// Later is greater.
    fn order(&self) -> (i64, std::cmp::Reverse<u64>) {
        (self.time, std::cmp::Reverse(self.seq))
    }

    pub fn short(&self) -> &str {
        &self.id[..self.id.len().min(10)]
    }
}

/// Where in history a secret was found.
#[derive(Clone, Debug)]
pub struct Origin {
    pub first: Commit,
    pub last: Commit,
    /// Commits that added a blob holding it.
    pub commits: usize,
    /// Whether HEAD's tree still holds it.
    pub in_head: bool,
}

impl Origin {
    /// Said after the finding's message, in every format.
    fn detail(&self) -> String {
        let mut s = format!(
            "added in {} ({}, {})",
            self.first.short(),
            day(&self.first.date),
            self.first.author
        );
        if self.commits > 1 {
            s += &format!(
                ", last in {} ({}), {} commits",
                self.last.short(),
                day(&self.last.date),
                self.commits
            );
        }
        if !self.in_head {
            s += "; removed, still in history: rotate it";
        }
        s
    }
}

fn day(date: &str) -> &str {
    date.get(..10).unwrap_or(date)
}

/// The origin of each history finding, by fingerprint.
#[derive(Default)]
pub struct Origins(HashMap<String, Origin>);

impl Origins {
    pub fn of(&self, finding: &Finding) -> Option<&Origin> {
        self.0.get(&finding.fingerprint)
    }
}

type Oid = [u8; 20];

/// One line of `git log --raw`: a blob a commit put at a path.
struct Added {
    oid: Oid,
    path: String,
}

impl History {
    fn git(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&self.repo);
        // A partial clone would fetch every missing blob from its remote: the one network call
        // the tool makes is `--verify`'s. Missing objects are reported instead.
        cmd.env("GIT_NO_LAZY_FETCH", "1");
        cmd.stdin(Stdio::null());
        cmd
    }

    fn spawn(&self, cmd: &mut Command) -> Result<Child> {
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Git(format!("cannot run git: {e}")))
    }

    /// `git log` with the raw list of what each commit added (merges: what they resolved).
    fn log(&self) -> Result<Child> {
        let mut cmd = self.git();
        cmd.args([
            "log",
            "--no-renames",
            "--raw",
            "--no-abbrev",
            "-z",
            "--diff-merges=dense-combined",
            "--no-ext-diff",
            "--no-textconv",
            "--format=%x01%H %ct %aI%x00%an",
        ]);
        if self.log_opts.is_empty() {
            cmd.arg("--all");
        } else {
            cmd.args(&self.log_opts);
        }
        self.spawn(&mut cmd)
    }

    pub fn scan(&self, scanner: &Scanner) -> Result<Scan> {
        let started = Instant::now();
        let head = self.check()?;
        let excludes = Excludes::new(&self.repo, &self.exclude)?;
        let mut summary = Summary::default();
        let found = self.first_pass(scanner, &excludes, &mut summary)?;
        let mut origins = HashMap::new();
        let mut findings = Vec::new();
        if !found.is_empty() {
            let in_head = self.head_blobs(head.as_deref(), &found)?;
            for (finding, origin) in self.second_pass(&found, &in_head)? {
                origins.insert(finding.fingerprint.clone(), origin);
                findings.push(finding);
            }
        }
        // The same path in many versions is one line of the summary.
        for paths in summary.skipped.values_mut() {
            paths.sort();
            paths.dedup();
        }
        summary.not_utf8.sort();
        summary.not_utf8.dedup();
        // An ignore directive in an old version suppresses nothing there any more: not a task.
        summary.unused_ignores.clear();
        summary.elapsed = started.elapsed();
        let mut scan = Scan::new(findings, summary);
        scan.origins = Origins(origins);
        Ok(scan)
    }

    /// The repository can be read, and its HEAD commit if it has one.
    fn check(&self) -> Result<Option<String>> {
        let out = self
            .git()
            .args(["rev-parse", "--git-dir"])
            .output()
            .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
        if !out.status.success() {
            return Err(Error::Git(format!(
                "{} is not a git repository (--history reads one, bare or with a work tree)",
                self.repo.display()
            )));
        }
        let head = self
            .git()
            .args(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
            .output()
            .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
        Ok(head
            .status
            .success()
            .then(|| String::from_utf8_lossy(&head.stdout).trim().to_string()))
    }

    /// Streams the log, sends each blob not seen before to `cat-file`, and scans what comes back
    /// on worker threads. The secret findings, by blob.
    fn first_pass(
        &self,
        scanner: &Scanner,
        excludes: &Excludes,
        summary: &mut Summary,
    ) -> Result<HashMap<Oid, Vec<Finding>>> {
        let mut log = self.log()?;
        let mut cat = self.spawn(
            self.git()
                .args(["cat-file", "--batch"])
                .stdin(Stdio::piped()),
        )?;
        let mut cat_in = cat.stdin.take().expect("piped stdin");
        let cat_out = cat.stdout.take().expect("piped stdout");
        let log_out = log.stdout.take().expect("piped stdout");
        let (asked_tx, asked_rx) = mpsc::sync_channel::<Added>(1024);
        let (blob_tx, blob_rx) = mpsc::sync_channel::<(Added, Vec<u8>)>(4 * self.threads.max(1));
        let blob_rx = Mutex::new(blob_rx);
        let found = Mutex::new(HashMap::new());
        // The built-in rules find a secret only in one of a few shapes: a blob with none of
        // them need not be parsed. A user's rule may capture any shape.
        let secrets_only = scanner
            .rules
            .rules
            .iter()
            .all(|r| crate::rules::BUILTIN_IDS.contains(&r.id.as_str()));
        let total = Mutex::new(Summary::default());
        let (listed, read) = std::thread::scope(|s| {
            let listed = s.spawn(move || -> Result<()> {
                let mut seen: HashSet<Oid> = HashSet::new();
                let mut out = io::BufWriter::new(&mut cat_in);
                parse_log(log_out, |_, added| {
                    if !seen.insert(added.oid) || excludes.excludes_file(Path::new(&added.path)) {
                        return Ok(());
                    }
                    let line = format!("{}\n", hex(&added.oid));
                    if asked_tx.send(added).is_err() {
                        return Err(io::Error::other("cat-file reader stopped"));
                    }
                    out.write_all(line.as_bytes())
                })?;
                out.flush().map_err(git_io)?;
                Ok(())
            });
            let read =
                s.spawn(move || read_blobs(cat_out, asked_rx, blob_tx, scanner, secrets_only));
            for _ in 0..self.threads.max(1) {
                s.spawn(|| {
                    let mut mine = Summary::default();
                    let mut kept = Vec::new();
                    loop {
                        let next = blob_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok((added, bytes)) = next else { break };
                        let path = PathBuf::from(&added.path);
                        let secrets: Vec<Finding> = scanner
                            // History's paths are from the repository's top already.
                            .scan_loaded(&path, &added.path, &added.path, bytes, &mut mine)
                            .into_iter()
                            .filter(|f| f.secret.is_some())
                            .collect();
                        if !secrets.is_empty() {
                            kept.push((added.oid, secrets));
                        }
                    }
                    found.lock().unwrap_or_else(|e| e.into_inner()).extend(kept);
                    total.lock().unwrap_or_else(|e| e.into_inner()).add(mine);
                });
            }
            (listed.join(), read.join())
        });
        let listed = listed.expect("the log thread does not panic");
        let read = read.expect("the reader thread does not panic");
        let log_status = finish(log)?;
        let cat_status = finish(cat)?;
        log_status?;
        listed?;
        let read = read?;
        cat_status?;
        summary.add(total.into_inner().unwrap_or_else(|e| e.into_inner()));
        summary.files_scanned += read.unparsed.0;
        summary.bytes_scanned += read.unparsed.1;
        let (skipped, missing) = (read.skipped, read.missing);
        for (reason, path) in skipped {
            summary.skipped.entry(reason).or_default().push(path);
        }
        if missing > 0 {
            summary.errors.push(format!(
                "{} missing from this clone (partial, shallow, or a mirror without its largest files), not scanned: a full clone has them",
                crate::report::count(missing, "blob")
            ));
        }
        let mut found: HashMap<Oid, Vec<Finding>> =
            found.into_inner().unwrap_or_else(|e| e.into_inner());
        for (alias, rep) in read.aliases {
            if let Some(findings) = found.get(&rep).cloned() {
                found.insert(alias, findings);
            }
        }
        Ok(found)
    }

    /// Which blobs holding secrets HEAD's tree has.
    fn head_blobs(
        &self,
        head: Option<&str>,
        found: &HashMap<Oid, Vec<Finding>>,
    ) -> Result<HashSet<Oid>> {
        let Some(head) = head else {
            return Ok(HashSet::new());
        };
        let out = self
            .git()
            .args(["ls-tree", "-r", "-z", "--full-tree", head])
            .output()
            .map_err(|e| Error::Git(format!("cannot run git: {e}")))?;
        if !out.status.success() {
            return Err(Error::Git(format!(
                "git ls-tree HEAD: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        // "mode type oid\tpath\0"
        Ok(out
            .stdout
            .split(|&b| b == 0)
            .filter_map(|entry| {
                let meta = entry.split(|&b| b == b'\t').next()?;
                let oid = parse_oid(meta.split(|&b| b == b' ').nth(2)?)?;
                found.contains_key(&oid).then_some(oid)
            })
            .collect())
    }

    /// Walks the log again, now knowing which blobs hold secrets: each secret's first and last
    /// commit, and how many commits added it. One finding per secret, from its first commit.
    fn second_pass(
        &self,
        found: &HashMap<Oid, Vec<Finding>>,
        in_head: &HashSet<Oid>,
    ) -> Result<Vec<(Finding, Origin)>> {
        struct Seen {
            finding: Finding,
            origin: Origin,
            /// The commit counted last: a commit's blobs are listed together.
            counted: String,
        }
        let mut by_secret: HashMap<String, Seen> = HashMap::new();
        let mut log = self.log()?;
        let out = log.stdout.take().expect("piped stdout");
        parse_log(out, |commit, added| {
            let Some(findings) = found.get(&added.oid) else {
                return Ok(());
            };
            for f in findings {
                let secret = f.secret.as_ref().expect("kept for their secret");
                let held = in_head.contains(&added.oid);
                match by_secret.get_mut(secret.expose()) {
                    None => {
                        let mut finding = f.clone();
                        finding.path = PathBuf::from(&added.path);
                        finding.rel = added.path.clone();
                        finding.repo_rel = added.path.clone();
                        by_secret.insert(
                            secret.expose().to_string(),
                            Seen {
                                finding,
                                origin: Origin {
                                    first: commit.clone(),
                                    last: commit.clone(),
                                    commits: 1,
                                    in_head: held,
                                },
                                counted: commit.id.clone(),
                            },
                        );
                    }
                    Some(seen) => {
                        let o = &mut seen.origin;
                        o.in_head |= held;
                        if seen.counted != commit.id {
                            o.commits += 1;
                            seen.counted = commit.id.clone();
                        }
                        if commit.order() < o.first.order() {
                            o.first = commit.clone();
                            seen.finding = f.clone();
                            seen.finding.path = PathBuf::from(&added.path);
                            seen.finding.rel = added.path.clone();
                            seen.finding.repo_rel = added.path.clone();
                        }
                        if commit.order() > o.last.order() {
                            o.last = commit.clone();
                        }
                        // The more severe rule wins when two find the same secret.
                        if f.severity > seen.finding.severity {
                            seen.finding.severity = f.severity;
                        }
                    }
                }
            }
            Ok(())
        })?;
        finish(log)??;
        Ok(by_secret
            .into_values()
            .map(
                |Seen {
                     mut finding,
                     origin,
                     ..
                 }| {
                    let secret = finding.secret.as_ref().expect("a secret finding");
                    // One finding per secret: the fingerprint a tree scan gives its first occurrence
                    // in that file, so a baseline of HEAD knows a key that never moved.
                    finding.basis = Basis::new(Matched::Secret(secret), 0);
                    finding.fingerprint = finding.fingerprint_at(&finding.repo_rel);
                    finding.message = format!("{} ({})", finding.message, origin.detail());
                    (finding, origin)
                },
            )
            .collect())
    }
}

fn git_io(e: io::Error) -> Error {
    Error::Git(format!("reading git: {e}"))
}

/// Waits for a git child; its failure, with what it said, as the inner error.
fn finish(mut child: Child) -> Result<Result<()>> {
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(|e| Error::Git(format!("git: {e}")))?;
    Ok(if status.success() {
        Ok(())
    } else {
        // A revision in `--log-opts` may be a pasted key, and git repeats it.
        Err(Error::Git(redact(&format!(
            "git exited with {status}: {}",
            stderr.trim()
        ))))
    })
}

/// Reads `git log --raw -z` output with `--format=%x01%H %ct %aI%x00%an`: a commit header, then
/// `:modes oids status\0path\0` per file (`::` with one mode and oid per parent for a merge).
/// Calls `each` for every regular file a commit added or changed.
fn parse_log(
    out: ChildStdout,
    mut each: impl FnMut(&Commit, Added) -> io::Result<()>,
) -> Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, out);
    let mut token = Vec::new();
    let mut commit: Option<Commit> = None;
    let mut seq = 0;
    let mut pending: Option<Oid> = None;
    let mut expect_author = false;
    loop {
        token.clear();
        if reader.read_until(0, &mut token).map_err(git_io)? == 0 {
            return Ok(());
        }
        if token.last() == Some(&0) {
            token.pop();
        }
        let t = token.strip_prefix(b"\n").unwrap_or(&token);
        if let Some(oid) = pending.take() {
            let c = commit.as_ref().expect("a file line follows a commit");
            let path = String::from_utf8_lossy(t).into_owned();
            each(c, Added { oid, path }).map_err(git_io)?;
        } else if let Some(header) = t.strip_prefix(b"\x01") {
            let header = String::from_utf8_lossy(header);
            let mut parts = header.splitn(3, ' ');
            let (Some(id), Some(time), Some(date)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(Error::Git(format!("unexpected `git log` header: {header}")));
            };
            commit = Some(Commit {
                id: id.to_string(),
                author: String::new(),
                date: date.to_string(),
                time: time.parse().unwrap_or_default(),
                seq,
            });
            seq += 1;
            expect_author = true;
        } else if expect_author {
            if let Some(c) = commit.as_mut() {
                c.author = String::from_utf8_lossy(t).into_owned();
            }
            expect_author = false;
        } else if t.first() == Some(&b':') {
            // ":100644 100644 old new M", "::100644 100644 100644 a b new MM": the new mode is the
            // last mode, the new oid the last oid.
            let fields: Vec<&[u8]> = t.split(|&b| b == b' ').collect();
            let parents = t.iter().take_while(|&&b| b == b':').count();
            let mode = fields.get(parents).copied().unwrap_or_default();
            let oid = fields
                .len()
                .checked_sub(2)
                .and_then(|i| parse_oid(fields[i]));
            let regular = mode == b"100644" || mode == b"100755";
            match oid {
                // A deletion's new oid is all zeros; a path follows either way.
                Some(oid) if regular && oid != [0; 20] => pending = Some(oid),
                _ => {
                    token.clear();
                    reader.read_until(0, &mut token).map_err(git_io)?;
                }
            }
        }
    }
}

/// What the reader thread did besides handing blobs to the workers.
struct ReadOut {
    skipped: Vec<(SkipReason, PathBuf)>,
    missing: usize,
    /// Blobs read but not parsed (nothing secret-shaped, or the same as a version scanned):
    /// how many, and their bytes.
    unparsed: (usize, u64),
    /// Blobs whose secret-shaped lines are those of another version of the same path, scanned
    /// in their stead: (this blob, the one scanned).
    aliases: Vec<(Oid, Oid)>,
}

/// Reads `cat-file --batch` answers in the order asked and hands the text blobs to the workers.
/// With the built-in rules only (`secrets_only`), a blob with nothing secret-shaped is not
/// parsed, and neither is one whose secret-shaped lines are those of a version of its path
/// already sent: an edit elsewhere in a file does not change its keys, and most versions of a
/// long-lived file are such edits.
fn read_blobs(
    out: ChildStdout,
    asked: mpsc::Receiver<Added>,
    blobs: mpsc::SyncSender<(Added, Vec<u8>)>,
    scanner: &Scanner,
    secrets_only: bool,
) -> Result<ReadOut> {
    let mut reader = BufReader::with_capacity(1 << 16, out);
    let mut read = ReadOut {
        skipped: Vec::new(),
        missing: 0,
        unparsed: (0, 0),
        aliases: Vec::new(),
    };
    // Per path: the hash of the secret-shaped lines of the last version sent, and its blob.
    let mut sent: HashMap<String, (u64, Oid)> = HashMap::new();
    let mut header = String::new();
    for added in asked {
        header.clear();
        if reader.read_line(&mut header).map_err(git_io)? == 0 {
            return Err(Error::Git("git cat-file stopped early".into()));
        }
        let line = header.trim_end();
        if line.ends_with(" missing") {
            read.missing += 1;
            continue;
        }
        let size = line
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| Error::Git(format!("git cat-file: {line}")))?;
        if size > scanner.max_file_size {
            // Read past, not kept: a large blob costs no memory.
            io::copy(&mut (&mut reader).take(size + 1), &mut io::sink()).map_err(git_io)?;
            read.skipped
                .push((SkipReason::TooLarge, PathBuf::from(&added.path)));
            continue;
        }
        let mut bytes = vec![0; size as usize + 1];
        reader.read_exact(&mut bytes).map_err(git_io)?;
        bytes.pop();
        if let Some(reason) = scanner.sniff(&bytes) {
            read.skipped.push((reason, PathBuf::from(&added.path)));
            continue;
        }
        if secrets_only {
            let shaped = secret_lines(&bytes);
            let same = shaped.and_then(|h| match sent.get(&added.path) {
                Some((seen, rep)) if *seen == h => Some(*rep),
                _ => None,
            });
            if shaped.is_none() || same.is_some() {
                read.unparsed.0 += 1;
                read.unparsed.1 += bytes.len() as u64;
                if let Some(rep) = same {
                    read.aliases.push((added.oid, rep));
                }
                continue;
            }
            if let Some(h) = shaped {
                sent.insert(added.path.clone(), (h, added.oid));
            }
        }
        if blobs.send((added, bytes)).is_err() {
            break;
        }
    }
    Ok(read)
}

/// A hash of the lines that hold something secret-shaped, in order; `None` when there are none.
fn secret_lines(bytes: &[u8]) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    if !may_hold_secret(bytes) {
        return None;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut any = false;
    for line in bytes.split(|&b| b == b'\n') {
        if may_hold_secret(line) {
            line.hash(&mut h);
            any = true;
        }
    }
    any.then(|| h.finish())
}

/// Whether the bytes hold what every built-in secret has: 32 hex digits in a row, a `KeapAK-`
/// prefix, or (OAuth client secrets) `client_secret` / `clientSecret`.
fn may_hold_secret(bytes: &[u8]) -> bool {
    static SHAPES: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["keapak-", "client_secret", "clientsecret"])
            .expect("plain strings")
    });
    crate::context::has_hex_run(bytes) || SHAPES.is_match(bytes)
}

fn parse_oid(hex: &[u8]) -> Option<Oid> {
    if hex.len() != 40 {
        return None;
    }
    let mut oid = [0; 20];
    for (i, pair) in hex.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        oid[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(oid)
}

fn hex(oid: &Oid) -> String {
    oid.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_round_trip() {
        let id = "78981922613b2afb6025042ff6bd878ac1994e85";
        let oid = parse_oid(id.as_bytes()).unwrap();
        assert_eq!(hex(&oid).as_bytes(), id.as_bytes());
        assert_eq!(parse_oid(b"xyz"), None);
    }
}
