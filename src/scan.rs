//! The scan: walk → read → prefilter → detect → findings, in parallel, with a summary of what
//! was scanned, skipped and why.
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fs,
    io::Read as _,
    path::{Path, PathBuf},
    sync::Mutex,
    time::{Duration, Instant},
};

use serde::Serialize;

use crate::{
    baseline, context, detect,
    error::Result,
    finding::{Basis, Finding, LineIndex, Matched, Secret},
    ignore_comments,
    rules::RuleSet,
    walk::{Item, Visit, Walker},
};

/// Why a file was not scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    Binary,
    TooLarge,
    Symlink,
    Special,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too large",
            SkipReason::Symlink => "symlink not followed",
            SkipReason::Special => "not a regular file",
        }
    }
}

#[derive(Debug, Default)]
pub struct Summary {
    pub files_scanned: usize,
    pub bytes_scanned: u64,
    /// Files that passed the prefilter and were parsed or matched.
    pub files_parsed: usize,
    pub skipped: BTreeMap<SkipReason, Vec<PathBuf>>,
    /// Files decoded lossily because they are not UTF-8.
    pub not_utf8: Vec<PathBuf>,
    /// Files or directories that could not be read: these make the run exit 2.
    pub errors: Vec<String>,
    pub elapsed: Duration,
    /// Findings suppressed by inline `keap-migrate: ignore` comments.
    pub ignored: usize,
    /// Inline ignores that suppressed nothing: file and line.
    pub unused_ignores: Vec<(PathBuf, usize)>,
    /// Findings dropped because the baseline knows them.
    pub baselined: usize,
    /// Baseline entries that no finding matched any more.
    pub stale: Vec<baseline::Entry>,
}

pub struct Scan {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// What the scan looked at, so that a baseline calls stale only entries it could have seen.
    pub reach: Reach,
    /// The commits of each finding of a history scan.
    pub origins: crate::history::Origins,
    /// What the detectors found in each file with findings, before its inline ignores, when the
    /// scanner keeps it for a plan.
    pub detected: Detected,
}

/// Each file's findings before its inline ignores, with a hash of the text they were found in:
/// the plan reads them instead of detecting the file a second time, as long as the file it reads
/// again hashes the same.
#[derive(Default)]
pub struct Detected(HashMap<PathBuf, (u64, Vec<Finding>)>);

impl Detected {
    /// The findings of `path` if they were found in `text`.
    pub fn take(&mut self, path: &Path, text: &str) -> Option<Vec<Finding>> {
        let (hash, _) = self.0.get(path)?;
        if *hash != text_hash(text) {
            return None;
        }
        self.0.remove(path).map(|(_, found)| found)
    }

    fn keep(&mut self, path: &Path, text: &str, found: &[Finding]) {
        self.0
            .insert(path.to_path_buf(), (text_hash(text), found.to_vec()));
    }
}

fn text_hash(text: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(text)
}

/// What a scan looked at. A baseline entry of a file outside it is not stale: the scan did not
/// look for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Every file under these places, a full scan's roots from their repository's top (`""` for
    /// all of it, also a root outside any repository; a root that is a file is its own path).
    Under(Vec<String>),
    /// Only the files read (staged content, a diff), by path from their scanned root and from
    /// their repository's top.
    Files {
        rel: BTreeSet<String>,
        repo_rel: BTreeSet<String>,
    },
}

impl Reach {
    /// Whether a scan with this reach would have found what a baseline recorded at `repo_rel`.
    pub fn covers(&self, repo_rel: &str) -> bool {
        match self {
            Reach::Under(places) => places.iter().any(|place| {
                place.is_empty()
                    || repo_rel
                        .strip_prefix(place.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            }),
            Reach::Files { repo_rel: read, .. } => read.contains(repo_rel),
        }
    }
}

impl Scan {
    /// Puts findings and summary lists in their stable order, so the same input gives the same
    /// report whatever the threads did.
    pub fn new(mut findings: Vec<Finding>, mut summary: Summary) -> Scan {
        findings.sort_by(|a: &Finding, b: &Finding| {
            (&a.path, a.span.start, &a.rule).cmp(&(&b.path, b.span.start, &b.rule))
        });
        for paths in summary.skipped.values_mut() {
            paths.sort();
        }
        summary.not_utf8.sort();
        summary.errors.sort();
        summary.unused_ignores.sort();
        Scan {
            findings,
            summary,
            reach: Reach::Under(vec![String::new()]),
            origins: Default::default(),
            detected: Detected::default(),
        }
    }
}

pub struct Scanner {
    pub rules: RuleSet,
    pub max_file_size: u64,
    /// Keep each file's findings for a plan (`Scan::detected`): `diff` and `apply`.
    pub keep_detected: bool,
}

impl Scanner {
    pub fn scan(&self, walker: &Walker) -> Result<Scan> {
        let started = Instant::now();
        let shared = Mutex::new((Vec::new(), Summary::default(), Detected::default()));
        let context = Mutex::new(context::Collector::default());
        let places: HashMap<PathBuf, RootPlace> = walker
            .roots()
            .iter()
            .map(|root| (root.clone(), RootPlace::of(root)))
            .collect();
        walker.run(|| Visitor {
            scanner: self,
            places: &places,
            findings: Vec::new(),
            summary: Summary::default(),
            detected: Detected::default(),
            shared: &shared,
            context: Default::default(),
            shared_context: &context,
        })?;
        let (mut findings, mut summary, detected) = shared.into_inner().unwrap();
        // Keys whose Keap context is in another file: known only once every file was seen.
        let context = context.into_inner().unwrap_or_else(|e| e.into_inner());
        let more = context.resolve(&self.rules, &findings, &mut summary);
        findings.extend(more);
        summary.elapsed = started.elapsed();
        let mut scan = Scan::new(findings, summary);
        scan.detected = detected;
        scan.reach = Reach::Under(
            walker
                .roots()
                .iter()
                .map(|root| places[root].reach(root))
                .collect(),
        );
        Ok(scan)
    }

    /// Scans one file's bytes that passed `sniff`: counts them, decodes them, detects, and
    /// applies the file's inline ignores. Every scope (walk, index, diff) goes through here.
    pub fn scan_loaded(
        &self,
        path: &Path,
        rel: &str,
        repo_rel: &str,
        bytes: Vec<u8>,
        summary: &mut Summary,
    ) -> Vec<Finding> {
        let keyword = self.rules.prefilter(&bytes);
        self.scan_prefiltered(path, rel, repo_rel, bytes, keyword, summary, None)
    }

    /// `scan_loaded` for bytes the prefilter has read already (`keyword`: whether it matched),
    /// so the walk reads each file's bytes with it once; `detected` keeps what was found.
    #[allow(clippy::too_many_arguments)]
    fn scan_prefiltered(
        &self,
        path: &Path,
        rel: &str,
        repo_rel: &str,
        bytes: Vec<u8>,
        keyword: bool,
        summary: &mut Summary,
        detected: Option<&mut Detected>,
    ) -> Vec<Finding> {
        summary.files_scanned += 1;
        summary.bytes_scanned += bytes.len() as u64;
        let utf16 = decode_utf16(&bytes);
        // One pass decides: no keyword and no ignore directive means nothing to do here. UTF-16
        // bytes hold no keyword: the prefilter reads their decoded text.
        let candidate = match &utf16 {
            Some((text, _)) => self.rules.prefilter(text.as_bytes()),
            None => keyword,
        };
        if !candidate {
            return Vec::new();
        }
        summary.files_parsed += 1;
        let text = match utf16 {
            Some((text, true)) => text,
            Some((text, false)) => {
                summary.not_utf8.push(path.to_path_buf());
                text
            }
            None => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => {
                    summary.not_utf8.push(path.to_path_buf());
                    String::from_utf8_lossy(e.as_bytes()).into_owned()
                }
            },
        };
        let findings = self.detect_text(path, rel, repo_rel, &text, &mut None);
        if let Some(detected) = detected.filter(|_| !findings.is_empty()) {
            detected.keep(path, &text, &findings);
        }
        let applied = ignore_comments::apply(&text, findings);
        summary.ignored += applied.suppressed;
        summary
            .unused_ignores
            .extend(applied.unused.into_iter().map(|l| (path.to_path_buf(), l)));
        applied.kept
    }

    /// Scans one file that is already in memory (a sample, a file being fixed).
    pub fn scan_text(&self, path: &Path, rel: &str, repo_rel: &str, text: &str) -> Vec<Finding> {
        self.scan_text_keeping(path, rel, repo_rel, text, &mut None)
    }

    /// `scan_text`, keeping the PHP tree the detectors parsed for the recipe that plans the file.
    pub fn scan_text_keeping(
        &self,
        path: &Path,
        rel: &str,
        repo_rel: &str,
        text: &str,
        tree: &mut Option<tree_sitter::Tree>,
    ) -> Vec<Finding> {
        if !self.rules.prefilter(text.as_bytes()) {
            return Vec::new();
        }
        self.detect_text(path, rel, repo_rel, text, tree)
    }

    fn detect_text(
        &self,
        path: &Path,
        rel: &str,
        repo_rel: &str,
        text: &str,
        tree: &mut Option<tree_sitter::Tree>,
    ) -> Vec<Finding> {
        let hits = detect::detect_keeping(path, text, &self.rules, tree);
        if hits.is_empty() {
            return Vec::new();
        }
        let index = LineIndex::new(text);
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        hits.into_iter()
            .map(|hit| {
                let rule = self.rules.get(&hit.rule).expect("hits name loaded rules");
                let secret = hit.secret.map(|r| Secret::new(&text[r]));
                let normalised = match &secret {
                    Some(s) => s.expose().to_string(),
                    None => text[hit.span.clone()].split_whitespace().collect(),
                };
                let n = seen
                    .entry((hit.rule.clone(), normalised.clone()))
                    .or_default();
                let occurrence = *n;
                *n += 1;
                let mut message = rule.message.clone();
                if let Some(detail) = &hit.detail {
                    message = format!("{message} ({detail})");
                }
                let basis = Basis::new(
                    match &secret {
                        Some(s) => Matched::Secret(s),
                        None => Matched::Text(&normalised),
                    },
                    occurrence,
                );
                Finding {
                    fingerprint: basis.fingerprint(&rule.id, repo_rel),
                    basis,
                    rule: rule.id.clone(),
                    severity: hit.severity.unwrap_or(rule.severity).min(rule.severity),
                    path: path.to_path_buf(),
                    rel: rel.to_string(),
                    repo_rel: repo_rel.to_string(),
                    start: index.position(hit.span.start),
                    end: index.position(hit.span.end),
                    span: hit.span,
                    message,
                    secret,
                }
            })
            .collect()
    }

    /// Reads a file the way the scan does: size limit, binary check (UTF-16 is text), lossy
    /// UTF-8.
    pub fn read(&self, path: &Path) -> Result<Loaded, String> {
        let failed = |e: std::io::Error| format!("{}: {e}", path.display());
        let mut file = fs::File::open(path).map_err(failed)?;
        let len = file.metadata().map_err(failed)?.len();
        if len > self.max_file_size {
            return Ok(Loaded::Skipped(SkipReason::TooLarge));
        }
        let mut bytes = Vec::with_capacity(len as usize + 1);
        file.read_to_end(&mut bytes).map_err(failed)?;
        Ok(match self.sniff(&bytes) {
            Some(reason) => Loaded::Skipped(reason),
            None => Loaded::Text(bytes),
        })
    }

    /// Why bytes already in memory (a file, a blob) are not scanned, if they are not.
    pub fn sniff(&self, bytes: &[u8]) -> Option<SkipReason> {
        if bytes.len() as u64 > self.max_file_size {
            Some(SkipReason::TooLarge)
        } else if is_utf16(bytes) {
            None
        } else if memchr_nul(&bytes[..bytes.len().min(8192)]) {
            Some(SkipReason::Binary)
        } else {
            None
        }
    }
}

pub enum Loaded {
    Text(Vec<u8>),
    Skipped(SkipReason),
}

fn memchr_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0)
}

/// Returns to the system what the scan's threads freed, before a plan parses files again:
/// glibc keeps each thread's freed arena (the tree of the largest file it parsed) for that
/// thread, so the plan's trees would come on top of it.
pub fn release_freed_memory() {
    // SAFETY: malloc_trim only hands free pages back to the kernel.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Whether the bytes start with a UTF-16 byte-order mark (little or big endian). Windows tools
/// write config and logs this way; their NUL bytes would make them pass for binary.
pub fn is_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// A UTF-16 file's text, its byte-order mark kept as U+FEFF (as a UTF-8 one is), and whether
/// every unit decoded (an unpaired surrogate or an odd last byte become U+FFFD); `None` without
/// a UTF-16 byte-order mark. Findings' byte offsets are then offsets in this text.
fn decode_utf16(bytes: &[u8]) -> Option<(String, bool)> {
    if !is_utf16(bytes) {
        return None;
    }
    let unit = if bytes[0] == 0xFF {
        u16::from_le_bytes
    } else {
        u16::from_be_bytes
    };
    let pairs = bytes.chunks_exact(2);
    let odd = !pairs.remainder().is_empty();
    let mut whole = !odd;
    let mut text: String = char::decode_utf16(pairs.map(|p| unit([p[0], p[1]])))
        .map(|c| {
            c.unwrap_or_else(|_| {
                whole = false;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    if odd {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    Some((text, whole))
}

/// The path relative to the root it was found under, with `/` separators. A file that is a
/// root itself is taken as under the current directory when its path is plainly below it (what
/// pre-commit passes: `src/keap.php`), so baselines and excludes see the same path as in a scan
/// of `.`; otherwise it is its name.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = match path.strip_prefix(root) {
        Ok(r) if !r.as_os_str().is_empty() => r.to_path_buf(),
        _ => crate::walk::below_cwd(path)
            .unwrap_or_else(|| PathBuf::from(path.file_name().unwrap_or(path.as_os_str()))),
    };
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Where `dir` sits under the top of its git work tree (the nearest directory holding `.git`,
/// where the config search stops), as `a/b/` (`""` at the top); `None` outside a work tree or
/// when `dir` cannot be resolved.
pub fn top_prefix(dir: &Path) -> Option<String> {
    let dir = fs::canonicalize(dir).ok()?;
    let top = dir.ancestors().find(|d| d.join(".git").exists())?;
    let inside = dir.strip_prefix(top).ok()?;
    Some(
        inside
            .components()
            .map(|c| format!("{}/", c.as_os_str().to_string_lossy()))
            .collect(),
    )
}

/// Where a scanned root sits in its git work tree, to name its files from the top: a baseline
/// recorded from `src/` then matches a scan of `.` or one run from another directory.
#[derive(Debug, Default)]
pub struct RootPlace {
    /// `top_prefix` of the root (of its directory for a root that is a file).
    prefix: Option<String>,
    file: bool,
}

impl RootPlace {
    pub fn of(root: &Path) -> RootPlace {
        let file = root.is_file();
        let dir = match root.parent() {
            Some(parent) if file && !parent.as_os_str().is_empty() => parent,
            _ if file => Path::new("."),
            _ => root,
        };
        RootPlace {
            prefix: top_prefix(dir),
            file,
        }
    }

    /// A file's path from the repository's top, given its path from the root (`relative`);
    /// outside a repository, that path itself.
    pub fn repo_rel(&self, path: &Path, rel: &str) -> String {
        match &self.prefix {
            None => rel.to_string(),
            Some(prefix) if self.file => match path.file_name() {
                Some(name) => format!("{prefix}{}", name.to_string_lossy()),
                None => rel.to_string(),
            },
            Some(prefix) => format!("{prefix}{rel}"),
        }
    }

    /// The root itself from the repository's top: the place a full scan of it covers.
    pub fn reach(&self, root: &Path) -> String {
        if self.file {
            self.repo_rel(root, &relative(root, root))
        } else {
            self.prefix
                .as_deref()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string()
        }
    }
}

struct Visitor<'a> {
    scanner: &'a Scanner,
    /// Each root's place in its repository.
    places: &'a HashMap<PathBuf, RootPlace>,
    findings: Vec<Finding>,
    summary: Summary,
    detected: Detected,
    shared: &'a Mutex<(Vec<Finding>, Summary, Detected)>,
    context: context::Collector,
    shared_context: &'a Mutex<context::Collector>,
}

impl Visitor<'_> {
    fn skip(&mut self, reason: SkipReason, path: PathBuf) {
        self.summary.skipped.entry(reason).or_default().push(path);
    }

    fn take(&mut self, item: Item) {
        let (root, path) = match item {
            Item::File { root, path } => (root, path),
            Item::Link(path) => return self.skip(SkipReason::Symlink, path),
            Item::Special(path) => return self.skip(SkipReason::Special, path),
            Item::Error(e) => {
                self.summary.errors.push(e);
                return;
            }
        };
        let bytes = match self.scanner.read(&path) {
            Ok(Loaded::Text(bytes)) => bytes,
            Ok(Loaded::Skipped(reason)) => return self.skip(reason, path),
            Err(e) => {
                self.summary.errors.push(e);
                return;
            }
        };
        let rel = relative(&root, &path);
        let repo_rel = match self.places.get(&*root) {
            Some(place) => place.repo_rel(&path, &rel),
            None => rel.clone(),
        };
        let keyword = self.scanner.rules.prefilter(&bytes);
        self.context.see(&path, &rel, &repo_rel, &bytes, keyword);
        let found = self.scanner.scan_prefiltered(
            &path,
            &rel,
            &repo_rel,
            bytes,
            keyword,
            &mut self.summary,
            self.scanner.keep_detected.then_some(&mut self.detected),
        );
        self.findings.extend(found);
    }
}

impl Visit for Visitor<'_> {
    fn visit(&mut self, item: Item) {
        self.take(item)
    }
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.0.append(&mut self.findings);
        let mine = std::mem::take(&mut self.summary);
        shared.1.add(mine);
        shared.2 .0.extend(std::mem::take(&mut self.detected).0);
        let context = std::mem::take(&mut self.context);
        self.shared_context
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .merge(context);
    }
}

impl Summary {
    /// Adds another part of the same scan (one thread's, one root's).
    pub fn add(&mut self, part: Summary) {
        self.files_scanned += part.files_scanned;
        self.bytes_scanned += part.bytes_scanned;
        self.files_parsed += part.files_parsed;
        for (reason, paths) in part.skipped {
            self.skipped.entry(reason).or_default().extend(paths);
        }
        self.not_utf8.extend(part.not_utf8);
        self.errors.extend(part.errors);
        self.ignored += part.ignored;
        self.unused_ignores.extend(part.unused_ignores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_findings_are_given_back_only_for_the_text_they_were_found_in() {
        let path = Path::new("a.php");
        let mut detected = Detected::default();
        detected.keep(path, "<?php $k = 'x';", &[]);
        assert!(detected.take(path, "<?php $k = 'y';").is_none());
        assert!(detected.take(path, "<?php $k = 'x';").is_some());
        assert!(
            detected.take(path, "<?php $k = 'x';").is_none(),
            "given once"
        );
    }

    #[test]
    fn utf16_decodes_both_byte_orders_and_says_what_it_replaced() {
        let decoded = decode_utf16;
        assert_eq!(decoded(b"\xFF\xFEa\0"), Some(("\u{feff}a".into(), true)));
        assert_eq!(decoded(b"\xFE\xFF\0a"), Some(("\u{feff}a".into(), true)));
        // An unpaired surrogate, an odd last byte.
        let lone = Some(("\u{feff}\u{fffd}a".into(), false));
        assert_eq!(decoded(b"\xFF\xFE\x00\xD8a\0"), lone);
        assert_eq!(
            decoded(b"\xFF\xFEa\0b"),
            Some(("\u{feff}a\u{fffd}".into(), false))
        );
        assert_eq!(decoded(b"a\0b\0"), None);
    }

    #[test]
    fn roots_are_placed_under_the_top_of_their_work_tree() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("repo");
        fs::create_dir_all(top.join(".git")).unwrap();
        fs::create_dir_all(top.join("src/lib")).unwrap();
        fs::write(top.join("src/lib/keap.php"), "").unwrap();

        let src = RootPlace::of(&top.join("src"));
        let file = top.join("src/lib/keap.php");
        assert_eq!(src.repo_rel(&file, "lib/keap.php"), "src/lib/keap.php");
        assert_eq!(src.reach(&top.join("src")), "src");
        let whole = RootPlace::of(&top);
        assert_eq!(
            whole.repo_rel(&file, "src/lib/keap.php"),
            "src/lib/keap.php"
        );
        assert_eq!(whole.reach(&top), "");
        let alone = RootPlace::of(&file);
        assert_eq!(alone.repo_rel(&file, "keap.php"), "src/lib/keap.php");
        assert_eq!(alone.reach(&file), "src/lib/keap.php");
        // Outside a work tree, paths stay relative to the root.
        let outside = RootPlace::of(dir.path());
        assert_eq!(
            outside.repo_rel(&file, "repo/src/lib/keap.php"),
            "repo/src/lib/keap.php"
        );
        assert_eq!(outside.reach(dir.path()), "");
    }

    #[test]
    fn a_place_covers_itself_and_what_is_below_it() {
        let reach = Reach::Under(vec!["src".into(), "lib/keap.php".into()]);
        assert!(reach.covers("src/a.php"));
        assert!(reach.covers("src"));
        assert!(reach.covers("lib/keap.php"));
        assert!(!reach.covers("srcs/a.php"));
        assert!(!reach.covers("lib/keap.php.bak"));
        assert!(!reach.covers("a.php"));
        assert!(Reach::Under(vec![String::new()]).covers("any/where.php"));
    }
}
