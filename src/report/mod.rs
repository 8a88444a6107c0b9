//! One printer per output format; all read the same `Finding`s and `Summary`.
use std::{collections::BTreeMap, io};

use crate::{
    finding::{Finding, Severity},
    rules::RuleSet,
    scan::Summary,
};

pub mod json;
pub mod text;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Everything a printer may show.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub summary: &'a Summary,
    pub rules: &'a RuleSet,
    pub show_secrets: bool,
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

pub trait Printer {
    fn print(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()>;
}

pub fn printer(format: Format, color: bool) -> Box<dyn Printer> {
    match format {
        Format::Text => Box::new(text::Text { color }),
        Format::Json => Box::new(json::Json),
    }
}
