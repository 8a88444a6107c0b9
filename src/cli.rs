//! Command-line flags, parsed once into ready objects (walker, scanner, printer). Nothing past
//! this module reads a flag.
use std::{ffi::OsString, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::{
    error::{Error, Result},
    finding::Severity,
    fix::{Auth, FixOptions, DEFAULT_ENDPOINT, DEFAULT_KEY_ENV},
    report::Format,
    rules::RuleSet,
    scan::Scanner,
    walk::{WalkOptions, Walker},
};

#[derive(Debug, Parser)]
#[command(
    name = "keap-migrate",
    version,
    about = "Find and migrate Keap (Infusionsoft) legacy XML-RPC API key integrations"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report legacy endpoints, keys in XML-RPC bodies and hardcoded Keap secrets.
    Scan(ScanArgs),
    /// List the rules with their id, severity and description.
    Rules(RulesArgs),
    /// Print the migration as a unified diff (`git apply` / `patch -p1`); exit 3 when it has changes.
    Diff(DiffArgs),
    /// Make the migration in place, or apply a patch written by `diff -o`.
    Apply(ApplyArgs),
}

#[derive(Debug, Args)]
pub struct WalkArgs {
    /// Files or directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Scan files that .gitignore and friends exclude.
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long)]
    pub follow: bool,
    /// Skip files larger than this (bytes, or with a K/M/G suffix).
    #[arg(long, default_value = "8M", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Worker threads (0: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Add the rules in this directory (TOML files like the built-in `rules/`).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
    /// Turn off a rule by id (repeatable).
    #[arg(long = "disable", value_name = "RULE")]
    pub disabled: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Lowest severity that makes the run fail (exit 1).
    #[arg(long, value_enum, default_value_t = FailOn::Note)]
    pub fail_on: FailOn,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print secrets in full. Without it every report redacts them.
    #[arg(long)]
    pub show_secrets: bool,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// How the key travels: `header` (X-Keap-API-Key) or `bearer` (Authorization: Bearer).
    #[arg(long, value_enum)]
    pub auth: Option<Auth>,
    /// The XML-RPC endpoint to migrate to.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The environment variable that replaces hardcoded keys.
    #[arg(long, value_name = "NAME")]
    pub key_env: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub migrate: MigrateArgs,
    /// Write the full, applicable patch to FILE (mode 0600) instead of a redacted preview.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print secrets in the patch on standard output (it is then applicable).
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub migrate: MigrateArgs,
    /// Apply this patch (from `diff -o`) relative to the first PATH, refusing any file that no
    /// longer matches it.
    #[arg(long, value_name = "FILE")]
    pub patch: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Add the rules in this directory.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::Note => true,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Error => severity >= Severity::Error,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// `auto` colours a terminal unless `NO_COLOR` is set.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

pub fn parse(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(args)
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: u64 = digits.parse().map_err(|_| format!("`{s}` is not a size"))?;
    let mult = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("`{unit}` is not a size unit (K, M or G)")),
    };
    Ok(n * mult)
}

impl WalkArgs {
    pub fn rules(&self) -> Result<RuleSet> {
        RuleSet::load(&self.rules_dirs, &self.disabled)
    }

    pub fn walker(&self, exclude: Vec<String>) -> Result<Walker> {
        let threads = if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        };
        Walker::new(
            self.paths.clone(),
            WalkOptions {
                no_ignore: self.no_ignore,
                follow_links: self.follow,
                threads,
                exclude,
            },
        )
    }

    pub fn scanner(&self) -> Result<Scanner> {
        Ok(Scanner {
            rules: self.rules()?,
            max_file_size: self.max_file_size,
        })
    }
}

impl MigrateArgs {
    /// Flags win over the config file's `[migrate]` values, which win over the defaults.
    pub fn options(&self) -> Result<FixOptions> {
        let endpoint = self
            .endpoint
            .clone()
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        if !endpoint.starts_with("https://") {
            return Err(Error::Usage(format!(
                "--endpoint `{endpoint}` must be an https:// URL"
            )));
        }
        let key_env = self
            .key_env
            .clone()
            .unwrap_or_else(|| DEFAULT_KEY_ENV.to_string());
        if key_env.is_empty()
            || !key_env
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Error::Usage(format!(
                "--key-env `{key_env}` is not a variable name"
            )));
        }
        Ok(FixOptions {
            auth: self.auth.unwrap_or_default(),
            endpoint,
            key_env,
        })
    }
}

impl ScanArgs {
    pub fn check(&self) -> Result<()> {
        if self.walk.paths.is_empty() {
            return Err(Error::Usage("no path to scan".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("8M"), Ok(8 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("8X").is_err());
    }

    #[test]
    fn fail_on_levels() {
        assert!(FailOn::Warning.fails(Severity::Error));
        assert!(!FailOn::Warning.fails(Severity::Note));
        assert!(!FailOn::Never.fails(Severity::Error));
    }
}
