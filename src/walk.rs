//! Walks the roots in parallel with the `ignore` crate: `.gitignore` honoured, `.git` skipped,
//! dotenv files found even where ignored (that is where keys live).
use std::{
    fs,
    path::{Component, Path, PathBuf},
    sync::Arc,
};

use ignore::{
    gitignore::{Gitignore, GitignoreBuilder},
    WalkBuilder, WalkState,
};
use indicatif::ProgressBar;

use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub struct WalkOptions {
    pub no_ignore: bool,
    pub follow_links: bool,
    pub threads: usize,
    /// Globs (gitignore syntax) of paths to leave out, from the config file.
    pub exclude: Vec<String>,
}

/// What the walk hands to the visitor.
pub enum Item {
    File {
        root: Arc<PathBuf>,
        path: PathBuf,
    },
    /// A symbolic link that the walk did not follow.
    Link(PathBuf),
    /// A FIFO, socket or device: opening it could block or never end.
    Special(PathBuf),
    Error(String),
}

/// One per walker thread; dropped when the walk ends, which is where it hands over its results.
pub trait Visit: Send {
    fn visit(&mut self, item: Item);
}

pub struct Walker {
    roots: Vec<PathBuf>,
    options: WalkOptions,
    /// Counts the files handed to visitors, for a progress spinner.
    counter: Option<ProgressBar>,
}

impl Walker {
    pub fn new(roots: Vec<PathBuf>, options: WalkOptions) -> Result<Self> {
        for root in &roots {
            fs::metadata(root).map_err(|e| Error::io(root, e))?;
        }
        Ok(Walker {
            roots,
            options,
            counter: None,
        })
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Counts each file handed to a visitor on `counter`.
    pub fn count_files(&mut self, counter: ProgressBar) {
        self.counter = Some(counter);
    }

    /// Runs one visitor per thread; each sees part of the files.
    pub fn run<V: Visit>(&self, mut make_visitor: impl FnMut() -> V) -> Result<()> {
        for root in &self.roots {
            // A file named as a root (pre-commit passes each file) is excluded as it would be in
            // a scan of the current directory.
            if let Some(rel) = below_cwd(root).filter(|_| root.is_file()) {
                if Excludes::new(Path::new("."), &self.options.exclude)?.excludes_file(&rel) {
                    continue;
                }
            }
            let root_arc = Arc::new(root.clone());
            let excludes = Arc::new(Excludes::new(root, &self.options.exclude)?);
            let mut builder = WalkBuilder::new(root);
            let filter = excludes.clone();
            let filter_root = root.clone();
            builder
                .hidden(false)
                .require_git(false)
                .follow_links(self.options.follow_links)
                .threads(self.options.threads)
                .filter_entry(move |e| {
                    e.file_name() != ".git"
                        && (e.depth() == 0
                            || !filter.excludes(
                                e.path().strip_prefix(&*filter_root).unwrap_or(e.path()),
                                e.file_type().is_some_and(|t| t.is_dir()),
                            ))
                });
            if self.options.no_ignore {
                builder.standard_filters(false).hidden(false);
            }
            let dotenv_sweep = !self.options.no_ignore;
            let follow = self.options.follow_links;
            builder.build_parallel().run(|| {
                let mut visitor = make_visitor();
                let root = root_arc.clone();
                let excludes = excludes.clone();
                let counter = self.counter.clone();
                Box::new(move |entry| {
                    let mut visit = |item| {
                        if let (Some(counter), Item::File { .. }) = (&counter, &item) {
                            counter.inc(1);
                        }
                        visitor.visit(item)
                    };
                    let entry = match entry {
                        Ok(e) => e,
                        Err(e) => {
                            visit(Item::Error(e.to_string()));
                            return WalkState::Continue;
                        }
                    };
                    let Some(ft) = entry.file_type() else {
                        return WalkState::Continue;
                    };
                    if ft.is_dir() {
                        if dotenv_sweep {
                            sweep_dotenv(entry.path(), &root, &excludes, follow, &mut visit);
                        }
                    } else if ft.is_symlink() {
                        visit(Item::Link(entry.into_path()));
                    } else if !ft.is_file() {
                        visit(Item::Special(entry.into_path()));
                    } else if entry.depth() == 0 || !dotenv_sweep || !is_dotenv(entry.path()) {
                        visit(Item::File {
                            root: root.clone(),
                            path: entry.into_path(),
                        });
                    }
                    WalkState::Continue
                })
            });
        }
        Ok(())
    }
}

/// `path` without `./` parts, if it names a place below the current directory.
pub fn below_cwd(path: &Path) -> Option<PathBuf> {
    let mut rel = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(name) => rel.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!rel.as_os_str().is_empty()).then_some(rel)
}

/// `.env`, `.env.local`, `.env.production`…
pub fn is_dotenv(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == ".env" || n.starts_with(".env."))
}

/// Dotenv files are usually git-ignored, so the walker never yields them: list each visited
/// directory's own dotenv files directly. (The walker's copies are dropped to avoid doubles.)
/// The sweep bypasses the walker's filter, so it applies the excludes itself.
/// A dotenv file that is a link is scanned through it with `--follow` (its target must be a
/// file) and listed as not followed otherwise: never passed over in silence.
fn sweep_dotenv(
    dir: &Path,
    root: &Arc<PathBuf>,
    excludes: &Excludes,
    follow: bool,
    visit: &mut impl FnMut(Item),
) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !is_dotenv(&path)
            || excludes.excludes(path.strip_prefix(&**root).unwrap_or(&path), false)
        {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() && !follow {
            visit(Item::Link(path));
        } else if kind.is_file()
            || (kind.is_symlink() && fs::metadata(&path).is_ok_and(|m| m.is_file()))
        {
            visit(Item::File {
                root: root.clone(),
                path,
            });
        }
    }
}

/// The config's exclude globs (gitignore syntax, relative to the scanned root). The walk prunes
/// with them; scans of the git index or of a diff, whose paths come from git, ask `excludes_file`.
pub struct Excludes(Gitignore);

impl Excludes {
    pub fn new(root: &Path, globs: &[String]) -> Result<Self> {
        let mut builder = GitignoreBuilder::new(root);
        for glob in globs {
            builder
                .add_line(None, glob)
                .map_err(|e| Error::Usage(format!("bad exclude glob `{glob}`: {e}")))?;
        }
        let set = builder
            .build()
            .map_err(|e| Error::Usage(format!("bad exclude globs: {e}")))?;
        Ok(Excludes(set))
    }

    /// `rel` is relative to the root; its parents are not looked at (the walk pruned them).
    pub fn excludes(&self, rel: &Path, is_dir: bool) -> bool {
        self.0.matched(rel, is_dir).is_ignore()
    }

    /// A file anywhere under the root: excluded if it or a directory above it matches.
    pub fn excludes_file(&self, rel: &Path) -> bool {
        self.0.matched_path_or_any_parents(rel, false).is_ignore()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_match_files_and_their_directories() {
        let ex = Excludes::new(
            Path::new("."),
            &["vendor/**".into(), "*.min.js".into(), "fixtures/".into()],
        )
        .unwrap();
        assert!(ex.excludes_file(Path::new("vendor/keap/isdk.php")));
        assert!(ex.excludes_file(Path::new("web/app.min.js")));
        assert!(ex.excludes_file(Path::new("tests/fixtures/keap.php")));
        assert!(!ex.excludes_file(Path::new("src/vendor.php")));
        assert!(ex.excludes(Path::new("tests/fixtures"), true));
        assert!(!ex.excludes(Path::new("tests/fixtures"), false));
        assert!(Excludes::new(Path::new("."), &["src/{a,b".into()]).is_err());
    }

    #[test]
    fn the_walk_and_the_dotenv_sweep_both_exclude() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["keep/.env", "keep/a.php", "vendor/.env", "vendor/b.php"] {
            let path = root.join(f);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "x").unwrap();
        }
        let walker = Walker::new(
            vec![root.to_path_buf()],
            WalkOptions {
                no_ignore: false,
                follow_links: false,
                threads: 1,
                exclude: vec!["vendor/**".into()],
            },
        )
        .unwrap();
        let seen = std::sync::Mutex::new(Vec::new());
        struct Collect<'a>(&'a std::sync::Mutex<Vec<PathBuf>>);
        impl Visit for Collect<'_> {
            fn visit(&mut self, item: Item) {
                if let Item::File { root, path } = item {
                    let rel = path.strip_prefix(&*root).unwrap().to_path_buf();
                    self.0.lock().unwrap().push(rel);
                }
            }
        }
        walker.run(|| Collect(&seen)).unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(
            seen,
            [PathBuf::from("keep/.env"), PathBuf::from("keep/a.php")]
        );
    }
}
