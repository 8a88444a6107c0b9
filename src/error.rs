//! Errors inside the library. `anyhow` is used only at the CLI edge.
use std::{io, path::PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("rule file {file}: {message}")]
    Rule { file: String, message: String },
    #[error("config {path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {message}")]
    Apply { path: PathBuf, message: String },
    #[error("baseline {path}: {message}")]
    Baseline { path: PathBuf, message: String },
    #[error("git: {0}")]
    Git(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
