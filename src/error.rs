//! Errors inside the library. `anyhow` is used only at the CLI edge.
use std::{io, path::PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cause is part of the message (not a `source`), so `{:#}` does not print it twice.
    #[error("{path}: {cause}")]
    Io { path: PathBuf, cause: io::Error },
    #[error("rule file {file}: {message}")]
    Rule { file: String, message: String },
    #[error("config {path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {message}")]
    Apply { path: PathBuf, message: String },
    /// A run of writes that stopped: which files were written, and which were not.
    #[error("{}", stopped(.cause, .written, .not_written))]
    Partial {
        cause: Box<Error>,
        written: Vec<PathBuf>,
        not_written: Vec<PathBuf>,
    },
    #[error("baseline {path}: {message}")]
    Baseline { path: PathBuf, message: String },
    #[error("git: {0}")]
    Git(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause: source,
        }
    }
}

fn stopped(cause: &Error, written: &[PathBuf], not_written: &[PathBuf]) -> String {
    if written.is_empty() {
        return format!("{cause}: nothing written");
    }
    let list = |paths: &[PathBuf]| {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        format!("{} ({})", shown.join(", "), paths.len())
    };
    format!(
        "{cause}\nwritten: {}\nnot written: {}",
        list(written),
        list(not_written)
    )
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
