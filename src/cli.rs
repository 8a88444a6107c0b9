//! Command-line flags, parsed once into ready objects (walker, scanner, printer). Nothing past
//! this module reads a flag.
use std::{ffi::OsString, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

use crate::{
    baseline::Baseline,
    config::{Config, Migrate},
    error::{Error, Result},
    finding::{redact, Severity},
    fix::{Auth, FixOptions},
    history::History,
    report::{self, Format, Printer},
    rules::RuleSet,
    scan::Scanner,
    scope::{GitRoots, Scope},
    verify::Verifier,
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
    /// Record today's findings, so `scan --baseline FILE` reports only new ones.
    Baseline(BaselineArgs),
    /// List the rules with their id, severity and description.
    Rules(RulesArgs),
    /// Print the migration as a unified diff (`git apply` / `patch -p1`); exit 3 when it has changes.
    Diff(DiffArgs),
    /// Make the migration in place, or apply a patch written by `diff -o`.
    Apply(ApplyArgs),
    /// Print a rule's help: what it finds, why it matters, what to do.
    Explain(ExplainArgs),
    /// Print a shell completion script (`keap-migrate completions bash`).
    Completions(CompletionsArgs),
    /// Print the man page, roff for `man -l` (`keap-migrate man > keap-migrate.1`).
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command's own page (`scan`: keap-migrate-scan.1) instead of keap-migrate.1.
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule's id, as reports show it (`hardcoded-key`).
    pub rule: String,
    /// Add the rules in this directory.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
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
    /// Worker threads (0: one per core; at most 4 per core).
    #[arg(long, short = 'j', default_value = "0", value_parser = parse_threads)]
    pub threads: Threads,
    /// Add the rules in this directory (TOML files like the built-in `rules/`).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
    /// Turn off a rule by id (repeatable).
    #[arg(long = "disable", value_name = "RULE")]
    pub disabled: Vec<String>,
    /// Read this config file instead of the keap-migrate.toml found at the first path or above.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Lowest severity that makes the run fail (exit 1) [default: the config's, or note].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Report only findings that this baseline file does not know.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Fail (exit 1) when a baseline entry matches no finding any more.
    #[arg(long, requires = "baseline")]
    pub fail_on_stale_baseline: bool,
    /// Scan the staged content of the files staged for commit (pre-commit).
    #[arg(long, conflicts_with = "since")]
    pub staged: bool,
    /// Scan every blob that a commit reachable from any ref added (the repository at PATH, bare
    /// or not): each secret once, with its first and last commit.
    #[arg(long, conflicts_with_all = ["staged", "since"])]
    pub history: bool,
    /// With --history: revisions and `git log` options instead of `--all` (`"main --since=2023"`,
    /// `"v1.0..HEAD"`), split at spaces.
    #[arg(
        long,
        value_name = "OPTS",
        requires = "history",
        allow_hyphen_values = true
    )]
    pub log_opts: Option<String>,
    /// Ask Keap whether each distinct key found is live (one request per key, within its
    /// quota): the only network call keap-migrate makes, and only to Keap's API host.
    #[arg(long)]
    pub verify: bool,
    /// Fail (exit 1) only when Keap says a key found is live.
    #[arg(long, requires = "verify")]
    pub fail_on_live: bool,
    /// Tests only: a loopback URL that stands in for Keap's endpoint (read only with --verify).
    #[arg(long, hide = true, env = "KEAP_MIGRATE_VERIFY_URL")]
    pub verify_url: Option<String>,
    /// Report only findings on lines added since REV's merge base with HEAD (pull requests).
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Same as `--format json`.
    #[arg(long, conflicts_with_all = ["format", "sarif"])]
    pub json: bool,
    /// Same as `--format sarif`.
    #[arg(long, conflicts_with = "format")]
    pub sarif: bool,
    /// Also write a SARIF report to FILE, beside the main report: one scan for the log (or
    /// annotations) and for code scanning.
    #[arg(long, value_name = "FILE")]
    pub sarif_output: Option<PathBuf>,
    /// Print the findings only: no summary, no hint, no note on stderr.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more on stderr: the config file read, and every skipped file.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Write the report to FILE instead of standard output (the exit code is the same).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
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
    /// `patch`: the unified diff, then the summary on stderr; `json`: the plan (counts, sites
    /// fixed, manual sites by reason) on standard output, for scripts.
    #[arg(long, value_enum, default_value_t = PlanFormat::Patch)]
    pub format: PlanFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Patch,
    Json,
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
    #[command(flatten)]
    pub undo: UndoArgs,
}

/// What `apply` may write over: by default only files git can give back (committed, unchanged).
#[derive(Clone, Copy, Debug, Args)]
pub struct UndoArgs {
    /// Write files that have uncommitted changes or are not tracked by git.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Write files outside any git work tree.
    #[arg(long)]
    pub allow_no_vcs: bool,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    /// Write the baseline to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Add the rules in this directory.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
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

impl Command {
    /// The walk flags of the commands that walk a tree.
    pub fn walk(&self) -> Option<&WalkArgs> {
        match self {
            Command::Scan(a) => Some(&a.walk),
            Command::Baseline(a) => Some(&a.walk),
            Command::Diff(a) => Some(&a.walk),
            Command::Apply(a) => Some(&a.walk),
            Command::Rules(_) | Command::Explain(_) | Command::Completions(_) | Command::Man(_) => {
                None
            }
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
    // The whole value, redacted, in every message: a key pasted here is digits and a "unit".
    let bad = || format!("`{}` is not a size (a number, then K, M or G)", redact(s));
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let mult = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(bad()),
    };
    match n.checked_mul(mult) {
        None => Err(format!("`{s}` is more than the 16 EiB a size can be")),
        Some(0) => Err(format!("`{s}` would skip every file")),
        Some(size) => Ok(size),
    }
}

/// Worker threads: what `-j` asked for, within what can help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threads {
    pub count: usize,
    /// What `-j` asked for, when that was over the cap.
    asked: Option<usize>,
}

impl Threads {
    /// What stderr says when `-j` was capped.
    pub fn note(&self) -> Option<String> {
        self.asked.map(|n| {
            format!(
                "-j {n} capped to {} worker threads (4 per core)",
                self.count
            )
        })
    }
}

fn parse_threads(s: &str) -> Result<Threads, String> {
    let asked: usize = s
        .parse()
        .map_err(|_| format!("`{}` is not a number of threads", redact(s)))?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Workers past a few per core only add memory and switching: `-j 100000` made thousands
    // of threads, `-j 1000` took 28 s over two files.
    let cap = 4 * cores;
    Ok(match asked {
        0 => Threads {
            count: cores,
            asked: None,
        },
        n if n > cap => Threads {
            count: cap,
            asked: Some(n),
        },
        n => Threads {
            count: n,
            asked: None,
        },
    })
}

/// A scan ready to run: flags and config merged.
pub struct ScanJob {
    pub scanner: Scanner,
    pub scope: Scope,
    pub baseline: Option<Baseline>,
    pub gate: Gate,
    pub printer: Box<dyn Printer>,
    pub show_secrets: bool,
    /// Where the report goes; `None`: standard output.
    pub output: Option<PathBuf>,
    /// `--sarif-output`: a second report, in SARIF.
    pub sarif_output: Option<PathBuf>,
    pub verbosity: Verbosity,
    /// The config file read, if any (said with `-v`).
    pub config_file: Option<PathBuf>,
    /// Whether the fixes are planned only for the text summary's hint (not for SARIF).
    pub fixes_for_hint: bool,
    /// The migration settings, when the report carries fixes (SARIF over a tree on disk: a
    /// staged or partial scan is not what `apply` would change).
    pub fixes: Option<FixOptions>,
    /// `--verify`: what asks Keap about each key.
    pub verifier: Option<Verifier>,
    /// `--format github` in a workflow: the file `$GITHUB_STEP_SUMMARY` names, which receives a
    /// Markdown summary.
    pub step_summary: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

impl Verbosity {
    /// Whether a scan shows a progress spinner on stderr: for a person at a terminal only; not
    /// with `-q`, nor under CI (`CI` set), whose log would keep every frame.
    pub fn progress(self, stderr_is_terminal: bool) -> bool {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
        self != Verbosity::Quiet && stderr_is_terminal && !ci
    }
}

impl OutputArgs {
    /// `--format`, or the alias given.
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else if self.sarif {
            Format::Sarif
        } else {
            self.format
        }
    }

    pub fn verbosity(&self) -> Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (_, true) => Verbosity::Verbose,
            _ => Verbosity::Normal,
        }
    }
}

/// What makes a run fail.
pub struct Gate {
    pub fail_on: FailOn,
    pub fail_on_stale: bool,
    /// `--fail-on-live`: only keys Keap accepted fail the run.
    pub fail_on_live: bool,
}

pub struct BaselineJob {
    pub scanner: Scanner,
    pub scope: Scope,
    pub output: Option<PathBuf>,
}

impl WalkArgs {
    /// The `--config` file, else the keap-migrate.toml found from the first path, else defaults.
    pub fn config(&self) -> Result<Config> {
        self.config_file()?
            .map_or_else(|| Ok(Config::default()), |path| Config::load(&path))
    }

    fn config_file(&self) -> Result<Option<PathBuf>> {
        Ok(match &self.config {
            Some(path) => Some(path.clone()),
            None => match self.paths.first() {
                Some(first) => Config::discover(first)?,
                None => None,
            },
        })
    }

    /// Flags add to the config's rule directories and disabled rules.
    pub fn rules(&self, config: &Config) -> Result<RuleSet> {
        let dirs: Vec<&PathBuf> = config.rules.iter().chain(&self.rules_dirs).collect();
        let disabled: Vec<String> = config
            .disable
            .iter()
            .chain(&self.disabled)
            .cloned()
            .collect();
        RuleSet::load(&dirs, &disabled)
    }

    pub fn walker(&self, exclude: Vec<String>) -> Result<Walker> {
        Walker::new(
            self.paths.clone(),
            WalkOptions {
                no_ignore: self.no_ignore,
                follow_links: self.follow,
                threads: self.threads.count,
                exclude,
            },
        )
    }

    pub fn scanner(&self, config: &Config) -> Result<Scanner> {
        Ok(Scanner {
            rules: self.rules(config)?,
            max_file_size: self.max_file_size,
            keep_detected: false,
        })
    }

    fn check(&self) -> Result<()> {
        if self.paths.is_empty() {
            return Err(Error::Usage("no path to scan".into()));
        }
        Ok(())
    }
}

impl MigrateArgs {
    /// Flags win over the config file's `[migrate]` values, which win over the defaults.
    pub fn options(&self, config: &Migrate) -> Result<FixOptions> {
        FixOptions::resolve(
            self.endpoint.clone().or_else(|| config.endpoint.clone()),
            self.auth.or(config.auth),
            self.key_env.clone().or_else(|| config.key_env.clone()),
        )
        .map_err(|e| Error::Usage(format!("--{e}")))
    }
}

impl ScanArgs {
    pub fn job(&self, is_terminal: bool) -> Result<ScanJob> {
        self.walk.check()?;
        let config = self.walk.config()?;
        let git = || GitRoots {
            roots: self.walk.paths.clone(),
            exclude: config.exclude.clone(),
        };
        let scope = if self.history {
            Scope::History(self.history(&config)?)
        } else if self.staged {
            Scope::Staged(git())
        } else if let Some(rev) = &self.since {
            Scope::Since(git(), rev.clone())
        } else {
            let mut exclude = config.exclude.clone();
            exclude.extend(self.own_report());
            Scope::Tree(self.walk.walker(exclude)?)
        };
        let format = self.output.format();
        let sarif = format == Format::Sarif || self.output.sarif_output.is_some();
        // Text gets the plan too, for the hint that ends its summary.
        let planned = sarif || (format == Format::Text && !self.output.quiet);
        let fixes = (planned && matches!(scope, Scope::Tree(_)))
            .then(|| {
                let m = &config.migrate;
                FixOptions::resolve(m.endpoint.clone(), m.auth, m.key_env.clone())
            })
            .transpose()
            .map_err(Error::Usage)?;
        // A report written to a file is never coloured.
        let color = self
            .output
            .color
            .enabled(is_terminal && self.output.output.is_none());
        Ok(ScanJob {
            scanner: self.walk.scanner(&config)?,
            scope,
            baseline: self.baseline.as_deref().map(Baseline::load).transpose()?,
            gate: Gate {
                fail_on: self.fail_on.or(config.fail_on).unwrap_or(FailOn::Note),
                fail_on_stale: self.fail_on_stale_baseline,
                fail_on_live: self.fail_on_live,
            },
            printer: report::printer(format, color, self.output.verbosity()),
            show_secrets: self.output.show_secrets,
            output: self.output.output.clone(),
            sarif_output: self.output.sarif_output.clone(),
            verbosity: self.output.verbosity(),
            config_file: self.walk.config_file()?,
            fixes_for_hint: !sarif,
            fixes,
            verifier: self
                .verify
                .then(|| Verifier::new(self.verify_url.as_deref()))
                .transpose()?,
            step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|v| !v.is_empty() && format == Format::Github)
                .map(PathBuf::from),
        })
    }

    fn history(&self, config: &Config) -> Result<History> {
        let [repo] = self.walk.paths.as_slice() else {
            return Err(Error::Usage(
                "--history reads one repository: give one PATH".into(),
            ));
        };
        Ok(History {
            repo: repo.clone(),
            log_opts: self
                .log_opts
                .iter()
                .flat_map(|o| o.split_whitespace().map(String::from))
                .collect(),
            exclude: config.exclude.clone(),
            threads: self.walk.threads.count,
        })
    }

    /// An anchored glob for each root that holds this run's `--output` file: the file this run
    /// is about to replace is no input to it.
    fn own_report(&self) -> Vec<String> {
        let reports: Vec<PathBuf> = [&self.output.output, &self.output.sarif_output]
            .into_iter()
            .filter_map(|p| p.as_deref()?.canonicalize().ok())
            .collect();
        reports
            .iter()
            .flat_map(|report| {
                self.walk
                    .paths
                    .iter()
                    .filter_map(|root| report.strip_prefix(root.canonicalize().ok()?).ok())
            })
            .filter(|rel| !rel.as_os_str().is_empty())
            .map(|rel| {
                let rel = rel.to_string_lossy();
                let escaped: String = rel
                    .chars()
                    .flat_map(|c| {
                        let plain = c.is_alphanumeric() || "/.-_".contains(c);
                        (!plain).then_some('\\').into_iter().chain([c])
                    })
                    .collect();
                format!("/{escaped}")
            })
            .collect()
    }
}

impl BaselineArgs {
    pub fn job(&self) -> Result<BaselineJob> {
        self.walk.check()?;
        let config = self.walk.config()?;
        Ok(BaselineJob {
            scanner: self.walk.scanner(&config)?,
            scope: Scope::Tree(self.walk.walker(config.exclude)?),
            output: self.output.clone(),
        })
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
        // 2^34 GiB is 2^64 bytes: one more than a u64 holds.
        assert!(parse_size("17179869184G").unwrap_err().contains("16 EiB"));
        assert_eq!(parse_size("17179869183G"), Ok(u64::MAX - (1 << 30) + 1));
        assert!(parse_size("0").unwrap_err().contains("skip every file"));
        assert!(parse_size("0K").is_err());
    }

    #[test]
    fn threads_are_capped_at_four_per_core() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(parse_threads("0").unwrap().count, cores);
        assert_eq!(parse_threads("1").unwrap().note(), None);
        let many = parse_threads("100000").unwrap();
        assert_eq!(many.count, 4 * cores);
        assert!(many.note().unwrap().contains("-j 100000 capped"));
        assert!(parse_threads("-1").is_err());
    }

    #[test]
    fn fail_on_levels() {
        assert!(FailOn::Warning.fails(Severity::Error));
        assert!(!FailOn::Warning.fails(Severity::Note));
        assert!(!FailOn::Never.fails(Severity::Error));
    }
}
