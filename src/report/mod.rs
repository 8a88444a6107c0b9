//! One printer per output format; all read the same `Finding`s and `Summary`.
use std::{
    collections::{BTreeMap, HashMap},
    io,
    path::{Path, PathBuf},
};

use crate::{
    cli::Verbosity,
    finding::{Finding, Severity},
    fix::Suggestion,
    history::Origins,
    rules::RuleSet,
    scan::Summary,
    verify::Verified,
};

pub mod github;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod text;

pub const REPO_URL: &str = "https://github.com/keap-migrate/keap-migrate";
/// Where the README documents the rules: the link every machine-read report points to.
pub const RULES_URL: &str = "https://github.com/keap-migrate/keap-migrate#rules";

/// A rule's own section of the README (a heading per built-in rule); the rules table for a rule
/// from `--rules DIR`.
pub fn rule_url(id: &str) -> String {
    if crate::rules::BUILTIN_IDS.contains(&id) {
        format!("{REPO_URL}#{id}")
    } else {
        RULES_URL.to_string()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF readers.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…::…`): annotations on the pull request.
    Github,
    /// JUnit XML: one test case per finding.
    Junit,
}

/// Everything a printer may show.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub summary: &'a Summary,
    pub rules: &'a RuleSet,
    pub show_secrets: bool,
    /// The fix of each finding that has one, by fingerprint (empty where the format shows none).
    pub fixes: &'a HashMap<String, Suggestion>,
    pub paths: &'a RepoPaths,
    /// The commits of each finding of a history scan.
    pub origins: &'a Origins,
    /// What Keap said of each finding's secret (`--verify`).
    pub verified: &'a Verified,
    /// The text hint's migration was not planned: too many findings to plan for a hint alone.
    pub unplanned: bool,
}

/// Where files sit in their git repository, so that SARIF, annotations and JUnit name them from
/// the repository's top whatever path was scanned and wherever the tool ran: that is where code
/// scanning and the pull request's annotations look for them. Outside a repository a file keeps
/// its path relative to the scanned root.
#[derive(Default)]
pub struct RepoPaths(HashMap<PathBuf, Option<String>>);

impl RepoPaths {
    /// Finds the repository of each file's directory once (the directory holding `.git`, as the
    /// config search does).
    pub fn new<'p>(paths: impl IntoIterator<Item = &'p Path>) -> RepoPaths {
        let mut dirs = HashMap::new();
        for path in paths {
            let dir = parent(path);
            dirs.entry(dir.to_path_buf())
                .or_insert_with(|| crate::scan::top_prefix(dir));
        }
        RepoPaths(dirs)
    }

    /// `path` from its repository's top, with `/` separators; else `rel`.
    pub fn of(&self, path: &Path, rel: &str) -> String {
        match (self.0.get(parent(path)), path.file_name()) {
            (Some(Some(prefix)), Some(name)) => format!("{prefix}{}", name.to_string_lossy()),
            _ => rel.to_string(),
        }
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

impl Report<'_> {
    /// The secret as this run may show it: redacted unless `--show-secrets`.
    pub fn secret(&self, finding: &Finding) -> Option<String> {
        finding.secret.as_ref().map(|s| {
            if self.show_secrets {
                s.expose().to_string()
            } else {
                s.redacted()
            }
        })
    }

    /// The finding's file from its repository's top (see `RepoPaths`).
    pub fn location(&self, finding: &Finding) -> String {
        self.paths.of(&finding.path, &finding.rel)
    }

    /// The finding's message with the secret as this run may show it.
    pub fn message(&self, finding: &Finding) -> String {
        match self.secret(finding) {
            Some(secret) => format!("{}: {secret}", finding.message),
            None => finding.message.clone(),
        }
    }

    pub fn by_rule(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for f in self.findings {
            *counts.entry(f.rule.as_str()).or_default() += 1;
        }
        counts
    }

    pub fn by_severity(&self) -> BTreeMap<Severity, usize> {
        let mut counts = BTreeMap::new();
        for f in self.findings {
            *counts.entry(f.severity).or_default() += 1;
        }
        counts
    }
}

/// `1 finding`, `2 findings`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub trait Printer {
    fn print(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()>;
}

pub fn printer(format: Format, color: bool, verbosity: Verbosity) -> Box<dyn Printer> {
    match format {
        Format::Text => Box::new(text::Text { color, verbosity }),
        Format::Json => Box::new(json::Json),
        Format::Sarif => Box::new(sarif::Sarif),
        Format::Github => Box::new(github::Github),
        Format::Junit => Box::new(junit::Junit),
    }
}
