//! One printer per output format; all read the same `Finding`s and `Summary`.
use std::{
    collections::{BTreeMap, HashMap},
    io,
};

use crate::{
    finding::{Finding, Severity},
    fix::Suggestion,
    rules::RuleSet,
    scan::Summary,
};

pub mod github;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod text;

pub const REPO_URL: &str = "https://github.com/keap-migrate/keap-migrate";
/// Where the README documents the rules: the link every machine-read report points to.
pub const RULES_URL: &str = "https://github.com/keap-migrate/keap-migrate#rules";

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

pub fn printer(format: Format, color: bool) -> Box<dyn Printer> {
    match format {
        Format::Text => Box::new(text::Text { color }),
        Format::Json => Box::new(json::Json),
        Format::Sarif => Box::new(sarif::Sarif),
        Format::Github => Box::new(github::Github),
        Format::Junit => Box::new(junit::Junit),
    }
}
