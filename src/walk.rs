//! Walks the roots in parallel with the `ignore` crate: `.gitignore` honoured, `.git` skipped,
//! dotenv files found even where ignored (that is where keys live).
use std::{
    fs,
    path::{Path, PathBuf},
    sync::Arc,
};

use ignore::{overrides::OverrideBuilder, WalkBuilder, WalkState};

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
    Error(String),
}

/// One per walker thread; dropped when the walk ends, which is where it hands over its results.
pub trait Visit: Send {
    fn visit(&mut self, item: Item);
}

pub struct Walker {
    roots: Vec<PathBuf>,
    options: WalkOptions,
}

impl Walker {
    pub fn new(roots: Vec<PathBuf>, options: WalkOptions) -> Result<Self> {
        for root in &roots {
            fs::metadata(root).map_err(|e| Error::io(root, e))?;
        }
        Ok(Walker { roots, options })
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Runs one visitor per thread; each sees part of the files.
    pub fn run<V: Visit>(&self, mut make_visitor: impl FnMut() -> V) -> Result<()> {
        for root in &self.roots {
            let root_arc = Arc::new(root.clone());
            let mut builder = WalkBuilder::new(root);
            builder
                .hidden(false)
                .require_git(false)
                .follow_links(self.options.follow_links)
                .threads(self.options.threads)
                .filter_entry(|e| e.file_name() != ".git");
            if self.options.no_ignore {
                builder.standard_filters(false).hidden(false);
            }
            if !self.options.exclude.is_empty() {
                let mut ob = OverrideBuilder::new(root);
                for glob in &self.options.exclude {
                    ob.add(&format!("!{glob}"))
                        .map_err(|e| Error::Usage(format!("bad exclude glob `{glob}`: {e}")))?;
                }
                builder.overrides(ob.build().map_err(|e| Error::Usage(e.to_string()))?);
            }
            let dotenv_sweep = !self.options.no_ignore;
            builder.build_parallel().run(|| {
                let mut visitor = make_visitor();
                let root = root_arc.clone();
                Box::new(move |entry| {
                    let mut visit = |item| visitor.visit(item);
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
                            sweep_dotenv(entry.path(), &root, &mut visit);
                        }
                    } else if ft.is_symlink() {
                        visit(Item::Link(entry.into_path()));
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

/// `.env`, `.env.local`, `.env.production`…
pub fn is_dotenv(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == ".env" || n.starts_with(".env."))
}

/// Dotenv files are usually git-ignored, so the walker never yields them: list each visited
/// directory's own dotenv files directly. (The walker's copies are dropped to avoid doubles.)
fn sweep_dotenv(dir: &Path, root: &Arc<PathBuf>, visit: &mut impl FnMut(Item)) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if is_dotenv(&path) && entry.file_type().is_ok_and(|t| t.is_file()) {
            visit(Item::File {
                root: root.clone(),
                path,
            });
        }
    }
}
