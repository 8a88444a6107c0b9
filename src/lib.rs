//! keap-migrate: find and migrate Keap (Infusionsoft) legacy XML-RPC API key integrations.
//!
//! Data flows one way: walk → prefilter → parse → detect → findings → report (or fix).
use std::{
    ffi::OsString,
    io::{self, IsTerminal, Write},
    process::ExitCode,
};

pub mod cli;
pub mod detect;
pub mod error;
pub mod finding;
pub mod report;
pub mod rules;
pub mod scan;
pub mod walk;

use cli::{Command, RulesArgs, ScanArgs};
use report::Report;

/// The exit codes CI gates on (documented in the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above `--fail-on`; `diff`: nothing to change.
    Clean = 0,
    /// Findings at or above `--fail-on`.
    Findings = 1,
    /// The tool could not do its job: bad arguments, unreadable root or files. Wins over findings.
    Error = 2,
    /// `diff` printed changes: a migration is pending.
    Pending = 3,
}

/// Where a run writes, and whether standard output is a terminal (for colour).
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub is_terminal: bool,
}

/// The CLI, for `main` and for tests that run it in-process.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> ExitCode {
    let stdout = io::stdout();
    let is_terminal = stdout.is_terminal();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr();
    let code = run_with(
        args,
        &mut Io {
            out: &mut out,
            err: &mut err,
            is_terminal,
        },
    );
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = out.flush();
    ExitCode::from(code as u8)
}

pub fn run_with(args: impl IntoIterator<Item = impl Into<OsString> + Clone>, io: &mut Io) -> Exit {
    let cli = match cli::parse(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = write!(io.err, "{}", e.render());
            return if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Clean
            };
        }
    };
    let result = match cli.command {
        Command::Scan(args) => scan(&args, io),
        Command::Rules(args) => rules(&args, io),
    };
    result.unwrap_or_else(|e| {
        let _ = writeln!(io.err, "keap-migrate: {e:#}");
        Exit::Error
    })
}

fn scan(args: &ScanArgs, io: &mut Io) -> anyhow::Result<Exit> {
    args.check()?;
    let scanner = args.walk.scanner()?;
    let walker = args.walk.walker(Vec::new())?;
    let scan = scanner.scan(&walker)?;
    let report = Report {
        findings: &scan.findings,
        summary: &scan.summary,
        rules: &scanner.rules,
        show_secrets: args.output.show_secrets,
    };
    let printer = report::printer(
        args.output.format,
        args.output.color.enabled(io.is_terminal),
    );
    printer.print(&report, io.out)?;
    Ok(if !scan.summary.errors.is_empty() {
        Exit::Error
    } else if scan.findings.iter().any(|f| args.fail_on.fails(f.severity)) {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

fn rules(args: &RulesArgs, io: &mut Io) -> anyhow::Result<Exit> {
    let rules = rules::RuleSet::load(&args.rules_dirs, &[])?;
    match args.format {
        report::Format::Json => {
            let list: Vec<_> = rules
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "severity": r.severity, "title": r.title,
                        "message": r.message, "help": r.help,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *io.out, &list)?;
            writeln!(io.out)?;
        }
        report::Format::Text => {
            for r in &rules.rules {
                writeln!(io.out, "{:<22} {:<8} {}", r.id, r.severity, r.title)?;
            }
        }
    }
    Ok(Exit::Clean)
}
