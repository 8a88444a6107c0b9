//! What a scan reads: the tree on disk, the changes staged in git's index (pre-commit), or the
//! lines added since a revision (pull requests). All go through the same scanner, so rules,
//! inline ignores and baselines work the same in each.
use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    time::Instant,
};

use crate::{
    baseline::Baseline,
    error::{Error, Result},
    finding::Finding,
    git::{AddedLines, Kind, Repo},
    scan::{Loaded, Reach, RootPlace, Scan, Scanner, SkipReason, Summary},
    walk::{Excludes, Walker},
};

pub enum Scope {
    Tree(Walker),
    /// The staged content of the files staged under each root.
    Staged(GitRoots),
    /// The lines added under each root since the revision.
    Since(GitRoots, String),
    /// Every blob the repository's commits added (`--history`).
    History(crate::history::History),
}

/// The roots of a git scope, each a directory inside a work tree, with the config's excludes.
pub struct GitRoots {
    pub roots: Vec<PathBuf>,
    pub exclude: Vec<String>,
}

impl Scope {
    /// Scans, then drops what the baseline knows. The baseline sees whole files even for
    /// `--since`, so entries on unchanged lines of a changed file are not taken for stale.
    pub fn scan(&self, scanner: &Scanner, baseline: Option<&Baseline>) -> Result<Scan> {
        let (mut scan, added) = match self {
            Scope::Tree(walker) => (scanner.scan(walker)?, None),
            Scope::History(history) => (history.scan(scanner)?, None),
            Scope::Staged(roots) => (roots.scan(scanner, staged)?, None),
            Scope::Since(roots, rev) => {
                let mut added = AddedLines::new();
                let scan = roots.scan(scanner, |scanner, root, excludes, part| {
                    since(scanner, root, excludes, rev, part, &mut added)
                })?;
                (scan, Some(added))
            }
        };
        if let Some(baseline) = baseline {
            baseline.apply(&mut scan);
        }
        if let Some(added) = added {
            scan.findings.retain(|f| {
                added.get(&f.rel).is_some_and(|ranges| {
                    ranges
                        .iter()
                        .any(|r| *r.start() <= f.end.line && f.start.line <= *r.end())
                })
            });
        }
        Ok(scan)
    }
}

/// What the roots of a git scope gave.
#[derive(Default)]
struct Part {
    findings: Vec<Finding>,
    summary: Summary,
    /// The files read, from their root and from the repository's top.
    read: BTreeSet<String>,
    read_repo: BTreeSet<String>,
    /// The place of the root being scanned.
    place: RootPlace,
}

impl Part {
    /// Scans a file of `root` and notes that it was read.
    fn scan(&mut self, scanner: &Scanner, root: &Path, rel: String, bytes: Vec<u8>) {
        let path = root.join(&rel);
        let repo_rel = self.place.repo_rel(&path, &rel);
        let found = scanner.scan_loaded(&path, &rel, &repo_rel, bytes, &mut self.summary);
        self.findings.extend(found);
        self.read.insert(rel);
        self.read_repo.insert(repo_rel);
    }
}

impl GitRoots {
    fn scan(
        &self,
        scanner: &Scanner,
        mut each: impl FnMut(&Scanner, &Path, &Excludes, &mut Part) -> Result<()>,
    ) -> Result<Scan> {
        let started = Instant::now();
        let mut part = Part::default();
        for root in &self.roots {
            if !root.is_dir() {
                return Err(Error::Usage(format!(
                    "{}: --staged and --since scan directories inside a git work tree",
                    root.display()
                )));
            }
            let excludes = Excludes::new(root, &self.exclude)?;
            part.place = RootPlace::of(root);
            each(scanner, root, &excludes, &mut part)?;
        }
        part.summary.elapsed = started.elapsed();
        let mut scan = Scan::new(part.findings, part.summary);
        scan.reach = Reach::Files {
            rel: part.read,
            repo_rel: part.read_repo,
        };
        Ok(scan)
    }
}

fn staged(scanner: &Scanner, root: &Path, excludes: &Excludes, part: &mut Part) -> Result<()> {
    for file in Repo::open(root)?.staged()? {
        if excludes.excludes_file(Path::new(&file.rel)) {
            continue;
        }
        let path = root.join(&file.rel);
        let bytes = match file.kind {
            Kind::Symlink => {
                skip(&mut part.summary, SkipReason::Symlink, path);
                continue;
            }
            Kind::File(bytes) => bytes,
        };
        if let Some(reason) = scanner.sniff(&bytes) {
            skip(&mut part.summary, reason, path);
            continue;
        }
        part.scan(scanner, root, file.rel, bytes);
    }
    Ok(())
}

/// Reads every file with added lines whole (ignores and baselines need the whole file) and
/// collects the added lines for the filter that runs after the baseline.
fn since(
    scanner: &Scanner,
    root: &Path,
    excludes: &Excludes,
    rev: &str,
    part: &mut Part,
    all_added: &mut AddedLines,
) -> Result<()> {
    for (rel, added) in Repo::open(root)?.added_since(rev)? {
        if excludes.excludes_file(Path::new(&rel)) {
            continue;
        }
        let path = root.join(&rel);
        let bytes = match scanner.read(&path) {
            Ok(Loaded::Text(bytes)) => bytes,
            Ok(Loaded::Skipped(reason)) => {
                skip(&mut part.summary, reason, path);
                continue;
            }
            Err(e) => {
                part.summary.errors.push(e);
                continue;
            }
        };
        all_added.entry(rel.clone()).or_default().extend(added);
        part.scan(scanner, root, rel, bytes);
    }
    Ok(())
}

fn skip(summary: &mut Summary, reason: SkipReason, path: PathBuf) {
    summary.skipped.entry(reason).or_default().push(path);
}
