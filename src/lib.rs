//! keap-migrate: find and migrate Keap (Infusionsoft) legacy XML-RPC API key integrations.
//!
//! Data flows one way: walk → prefilter → parse → detect → findings → report (or fix).
use std::{
    ffi::OsString,
    fs,
    io::{self, IsTerminal, Write},
    path::Path,
    process::ExitCode,
};

pub mod baseline;
pub mod cli;
pub mod config;
pub mod context;
pub mod detect;
pub mod error;
pub mod finding;
pub mod fix;
pub mod git;
pub mod history;
pub mod ignore_comments;
pub mod lang;
pub mod literals;
pub mod progress;
pub mod report;
pub mod rules;
pub mod scan;
pub mod scope;
pub mod verify;
pub mod walk;

use anyhow::Context as _;
use baseline::Baseline;
use cli::{
    ApplyArgs, BaselineArgs, Command, CompletionsArgs, DiffArgs, ExplainArgs, Gate, ListFormat,
    ManArgs, RulesArgs, ScanArgs, Verbosity,
};
use report::Report;
use scan::Scan;

/// The exit codes CI gates on (documented in the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above `--fail-on`; `diff`: nothing to change.
    Clean = 0,
    /// Findings at or above `--fail-on`, or stale baseline entries with
    /// `--fail-on-stale-baseline`.
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
    let stderr_is_terminal = err.is_terminal();
    let code = dispatch(
        args,
        &mut Io {
            out: &mut out,
            err: &mut err,
            is_terminal,
        },
        stderr_is_terminal,
    );
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = out.flush();
    ExitCode::from(code as u8)
}

/// The CLI in-process. It draws no progress spinner: the caller owns the process's stderr.
pub fn run_with(args: impl IntoIterator<Item = impl Into<OsString> + Clone>, io: &mut Io) -> Exit {
    dispatch(args, io, false)
}

fn dispatch(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    io: &mut Io,
    stderr_is_terminal: bool,
) -> Exit {
    let cli = match cli::parse(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap quotes the value it refused: a key pasted into the wrong flag.
            let _ = write!(io.err, "{}", finding::redact(&e.render().to_string()));
            return if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Clean
            };
        }
    };
    if let Some(note) = cli.command.walk().and_then(|w| w.threads.note()) {
        let _ = writeln!(io.err, "keap-migrate: note: {note}");
    }
    let result = match cli.command {
        Command::Scan(args) => scan(&args, io, stderr_is_terminal),
        Command::Baseline(args) => baseline(&args, io),
        Command::Rules(args) => rules(&args, io),
        Command::Diff(args) => diff(&args, io),
        Command::Apply(args) => apply(&args, io),
        Command::Explain(args) => explain(&args, io),
        Command::Completions(args) => completions(&args, io),
        Command::Man(args) => man(&args, io),
    };
    result.unwrap_or_else(|e| {
        // The last line of defence: whatever a message quotes, no key reaches the log.
        let _ = writeln!(
            io.err,
            "keap-migrate: {}",
            finding::redact(&format!("{e:#}"))
        );
        Exit::Error
    })
}

fn scan(args: &ScanArgs, io: &mut Io, stderr_is_terminal: bool) -> anyhow::Result<Exit> {
    let mut job = args.job(io.is_terminal)?;
    if job.verbosity == Verbosity::Verbose {
        match &job.config_file {
            Some(path) => writeln!(io.err, "keap-migrate: config {}", path.display())?,
            None => writeln!(
                io.err,
                "keap-migrate: no keap-migrate.toml found; defaults apply"
            )?,
        }
    }
    let spinner = progress::Spinner::start(job.verbosity.progress(stderr_is_terminal));
    if let (Some(counter), scope::Scope::Tree(walker)) = (spinner.counter(), &mut job.scope) {
        walker.count_files(counter);
    }
    let mut scan = job.scope.scan(&job.scanner, job.baseline.as_ref())?;
    drop(spinner);
    let verified = match &job.verifier {
        Some(verifier) => {
            let verified = verifier.verify(&mut scan.findings);
            if job.verbosity != Verbosity::Quiet {
                writeln!(io.err, "keap-migrate: {}", verified.summary())?;
            }
            verified
        }
        None => Default::default(),
    };
    // A hint does not pay for planning a file dense with findings (a generated file of calls
    // costs a scan over again, and a parse tree of its size): it is then said without a count.
    let unplanned =
        job.fixes.is_some() && job.fixes_for_hint && scan.findings.len() > HINT_PLAN_LIMIT;
    let fixes = match &job.fixes {
        Some(options) if !unplanned => {
            fix::plan(&scan.findings, &mut scan.detected, &job.scanner, options).suggestions()
        }
        _ => Default::default(),
    };
    let paths = report::RepoPaths::new(
        scan.findings
            .iter()
            .map(|f| f.path.as_path())
            .chain(scan.summary.unused_ignores.iter().map(|(p, _)| p.as_path())),
    );
    let report = Report {
        unplanned,
        findings: &scan.findings,
        summary: &scan.summary,
        rules: &job.scanner.rules,
        show_secrets: job.show_secrets,
        fixes: &fixes,
        paths: &paths,
        origins: &scan.origins,
        verified: &verified,
    };
    match &job.output {
        None => job.printer.print(&report, io.out)?,
        Some(path) => {
            let mut bytes = Vec::new();
            job.printer.print(&report, &mut bytes)?;
            write_report(path, &bytes, job.show_secrets)?;
            // The CI log must still say why a run exits 2.
            for e in &scan.summary.errors {
                writeln!(io.err, "keap-migrate: error: {e}")?;
            }
            // The log still says what happened; counts only, so nothing secret.
            if job.verbosity != Verbosity::Quiet {
                writeln!(
                    io.err,
                    "keap-migrate: {}, report written to {}",
                    report::count(scan.findings.len(), "finding"),
                    path.display()
                )?;
            }
        }
    }
    if let Some(path) = &job.sarif_output {
        let mut bytes = Vec::new();
        report::printer(report::Format::Sarif, false, job.verbosity).print(&report, &mut bytes)?;
        write_report(path, &bytes, job.show_secrets)?;
    }
    if let Some(path) = &job.step_summary {
        let appended = fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .and_then(|mut f| f.write_all(report::github::step_summary(&report).as_bytes()));
        // The annotations are out already: a summary that cannot be written does not change
        // what the scan found.
        if let Err(e) = appended {
            writeln!(
                io.err,
                "keap-migrate: warning: step summary {}: {e}",
                path.display()
            )?;
        }
    }
    Ok(gate(&job.gate, &scan, &verified))
}

/// The exit code: an error wins, then findings at or above `--fail-on`, then stale baseline
/// entries when asked to fail on them; with `--fail-on-live` only keys Keap accepted. Where the
/// report went plays no part.
fn gate(gate: &Gate, scan: &Scan, verified: &verify::Verified) -> Exit {
    if !scan.summary.errors.is_empty() {
        Exit::Error
    } else if gate.fail_on_live {
        if verified.any_live(&scan.findings) {
            Exit::Findings
        } else {
            Exit::Clean
        }
    } else if scan.findings.iter().any(|f| gate.fail_on.fails(f.severity))
        || (gate.fail_on_stale && !scan.summary.stale.is_empty())
    {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

/// `--output`: the parent directory must exist. A report that shows secrets is made readable
/// by its owner only before anything is written to it (also when the file already existed).
fn write_report(path: &Path, bytes: &[u8], secret: bool) -> anyhow::Result<()> {
    let context = || format!("cannot write {}", path.display());
    let mut file = fs::File::create(path).with_context(context)?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .with_context(context)?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    file.write_all(bytes).with_context(context)?;
    Ok(())
}

fn baseline(args: &BaselineArgs, io: &mut Io) -> anyhow::Result<Exit> {
    let job = args.job()?;
    let scan = job.scope.scan(&job.scanner, None)?;
    if !scan.summary.errors.is_empty() {
        for e in &scan.summary.errors {
            writeln!(io.err, "keap-migrate: {e}")?;
        }
        // An incomplete baseline would pass for a complete one.
        anyhow::bail!("some files could not be read; no baseline written");
    }
    let json = Baseline::from_findings(&scan.findings).to_json();
    match &job.output {
        None => io.out.write_all(json.as_bytes())?,
        Some(path) => {
            fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(
                io.err,
                "keap-migrate: {} recorded in {}",
                report::count(scan.findings.len(), "finding"),
                path.display()
            )?;
        }
    }
    Ok(Exit::Clean)
}

/// The settings and the findings a migration works from; unreadable files are said on stderr.
fn scan_for_fix(
    walk: &cli::WalkArgs,
    migrate: &cli::MigrateArgs,
    io: &mut Io,
) -> anyhow::Result<(fix::FixOptions, scan::Scanner, scan::Scan)> {
    let config = walk.config()?;
    let options = migrate.options(&config.migrate)?;
    let mut scanner = walk.scanner(&config)?;
    scanner.keep_detected = true;
    let scan = scanner.scan(&walk.walker(config.exclude)?)?;
    scan::release_freed_memory();
    for e in &scan.summary.errors {
        writeln!(io.err, "error: {e}")?;
    }
    Ok((options, scanner, scan))
}

fn diff(args: &DiffArgs, io: &mut Io) -> anyhow::Result<Exit> {
    let (options, scanner, mut scan) = scan_for_fix(&args.walk, &args.migrate, io)?;
    let plan = fix::plan(&scan.findings, &mut scan.detected, &scanner, &options);
    match &args.output {
        Some(path) => {
            fix::apply::write_private(path, plan.patch(false).0.as_bytes())?;
            if plan.has_secrets() {
                writeln!(
                    io.err,
                    "wrote {} (mode 0600): its - lines hold the keys it removes; delete it once applied",
                    path.display()
                )?;
            }
        }
        None if args.format == cli::PlanFormat::Json => {
            serde_json::to_writer_pretty(&mut *io.out, &plan.to_json())?;
            writeln!(io.out)?;
        }
        None => {
            let (patch, redacted) = plan.patch(!args.show_secrets);
            // Said on the patch's first line, where `diff | less` and `git apply`'s user looks
            // (git and patch skip text before the first `diff`), and on stderr.
            if redacted {
                writeln!(io.out, "{PREVIEW_BANNER}")?;
                writeln!(
                    io.err,
                    "secrets redacted: this patch is a preview that git apply, patch and apply --patch refuse; write it with -o FILE (or pass --show-secrets) to apply it"
                )?;
            }
            io.out.write_all(patch.as_bytes())?;
        }
    }
    plan.write_summary(io.err, false)?;
    if plan.changes.is_empty() && !plan.manual.is_empty() {
        writeln!(
            io.err,
            "migration pending, nothing automatic: every site above needs a person"
        )?;
    }
    Ok(if !scan.summary.errors.is_empty() {
        Exit::Error
    } else if plan.changes.is_empty() && plan.manual.is_empty() {
        Exit::Clean
    } else {
        Exit::Pending
    })
}

/// Findings past which a text scan's closing hint is not worth a plan.
const HINT_PLAN_LIMIT: usize = 10_000;

/// The first line of a `diff` preview whose secrets are redacted.
const PREVIEW_BANNER: &str = "# keap-migrate PREVIEW, NOT APPLICABLE: the keys on its - lines are redacted, so git apply, patch and apply --patch refuse it; write an applicable patch with `keap-migrate diff -o FILE`";

fn apply(args: &ApplyArgs, io: &mut Io) -> anyhow::Result<Exit> {
    if let Some(patch) = &args.patch {
        return apply_patch(patch, &args.walk.paths[0], args.undo, io);
    }
    let (options, scanner, mut scan) = scan_for_fix(&args.walk, &args.migrate, io)?;
    let mut plan = fix::plan(&scan.findings, &mut scan.detected, &scanner, &options);
    let roots = fix::apply::canonical_roots(&args.walk.paths)?;
    let (writes, refused) = fix::apply::writes_for(&plan.changes, &roots)?;
    for e in &refused {
        writeln!(io.err, "error: {e}")?;
    }
    // The summary counts the files really written.
    let kept: std::collections::HashSet<&Path> = writes.iter().map(|w| w.path.as_path()).collect();
    plan.changes.retain(|c| kept.contains(c.path.as_path()));
    check_undo(&writes, args.undo)?;
    let written = fix::apply::write_all(&writes)?;
    say_written(io, "migrated", &writes, written)?;
    plan.write_summary(io.err, true)?;
    Ok(if scan.summary.errors.is_empty() && refused.is_empty() {
        Exit::Clean
    } else {
        Exit::Error
    })
}

fn apply_patch(
    patch: &std::path::Path,
    root: &std::path::Path,
    undo: cli::UndoArgs,
    io: &mut Io,
) -> anyhow::Result<Exit> {
    let text = std::fs::read_to_string(patch).map_err(|e| error::Error::io(patch, e))?;
    if text.starts_with(PREVIEW_BANNER) || (text.contains("…(") && text.contains(" chars)")) {
        anyhow::bail!(
            "{} is a redacted preview, not an applicable patch: write one with `diff -o`",
            patch.display()
        );
    }
    let files = fix::apply::parse_patch(&text)?;
    if files.is_empty() {
        // An empty `diff -o` means there was nothing to migrate; a patch that is empty here was
        // more likely cut short or given by mistake.
        anyhow::bail!("{} holds no change to apply", patch.display());
    }
    let mut writes = Vec::new();
    for file in files {
        let path = fix::apply::patch_target(root, &file.rel)?;
        let before = std::fs::read(&path).map_err(|e| error::Error::io(&path, e))?;
        let old = String::from_utf8(before.clone())
            .map_err(|_| anyhow::anyhow!("{}: not UTF-8", path.display()))?;
        let new = file
            .apply_to(&old)
            .map_err(|why| anyhow::anyhow!("{}: {why}; nothing written", path.display()))?;
        writes.push(fix::apply::FileWrite {
            target: path.clone(),
            path,
            expected: before,
            contents: new.into_bytes(),
        });
    }
    check_undo(&writes, undo)?;
    let written = fix::apply::write_all(&writes)?;
    say_written(io, "patched", &writes, written)?;
    Ok(Exit::Clean)
}

/// As `cargo fix` does: `apply` writes only what `git` can give back, unless told otherwise.
fn check_undo(writes: &[fix::apply::FileWrite], allow: cli::UndoArgs) -> anyhow::Result<()> {
    if allow.allow_dirty && allow.allow_no_vcs {
        return Ok(());
    }
    let targets: Vec<_> = writes.iter().map(|w| w.target.clone()).collect();
    let undo = git::Undo::of(&targets)?;
    let shown = |paths: &[std::path::PathBuf]| {
        let shown: Vec<String> = writes
            .iter()
            .filter(|w| paths.contains(&w.target))
            .map(|w| format!("  {}", w.path.display()))
            .collect();
        shown.join("\n")
    };
    if !allow.allow_no_vcs && !undo.no_vcs.is_empty() {
        anyhow::bail!(
            "not inside a git work tree, so nothing could undo the change; nothing written:\n{}\n\
             commit the files to git first, review the change with `keap-migrate diff -o FILE`, \
             or pass --allow-no-vcs",
            shown(&undo.no_vcs)
        );
    }
    if !allow.allow_dirty && !undo.uncommitted.is_empty() {
        anyhow::bail!(
            "these files have changes git has not committed (modified, staged, untracked or \
             ignored), which the migration would mix with its own; nothing written:\n{}\n\
             commit or stash them first, or pass --allow-dirty",
            shown(&undo.uncommitted)
        );
    }
    Ok(())
}

fn say_written(
    io: &mut Io,
    verb: &str,
    writes: &[fix::apply::FileWrite],
    written: Vec<fix::apply::Written>,
) -> io::Result<()> {
    for (w, how) in writes.iter().zip(written) {
        write!(io.out, "{verb} {}", w.path.display())?;
        match how {
            fix::apply::Written::Replaced => writeln!(io.out)?,
            fix::apply::Written::InPlace { links } => writeln!(
                io.out,
                " in place: it has {links} hard links, and all of them now hold the change"
            )?,
        }
    }
    Ok(())
}

fn explain(args: &ExplainArgs, io: &mut Io) -> anyhow::Result<Exit> {
    let rules = rules::RuleSet::load(&args.rules_dirs, &[])?;
    let Some(r) = rules.get(&args.rule) else {
        anyhow::bail!(
            "no rule `{}`; `keap-migrate rules` lists them",
            finding::redact(&args.rule)
        );
    };
    writeln!(io.out, "{}: {} ({})\n", r.id, r.title, r.severity)?;
    writeln!(io.out, "{}\n", r.help.trim())?;
    writeln!(
        io.out,
        "tags: {}; precision: {}; security-severity: {}",
        r.sarif_tags().join(", "),
        r.precision.as_str(),
        r.security_severity()
    )?;
    writeln!(io.out, "more: {}", report::rule_url(&r.id))?;
    Ok(Exit::Clean)
}

fn completions(args: &CompletionsArgs, io: &mut Io) -> anyhow::Result<Exit> {
    use clap::CommandFactory as _;
    let mut script = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut cli::Cli::command(),
        "keap-migrate",
        &mut script,
    );
    let mut script = String::from_utf8(script)?;
    if args.shell == clap_complete::Shell::Bash {
        // clap_complete spells the state of a hyphenated binary's subcommands two ways, so bash
        // never completed past `keap-migrate scan` (clap-rs/clap#6421): one spelling.
        script = script.replace("keap__subcmd__migrate__subcmd__", "keap__migrate__subcmd__");
    }
    io.out.write_all(script.as_bytes())?;
    Ok(Exit::Clean)
}

fn man(args: &ManArgs, io: &mut Io) -> anyhow::Result<Exit> {
    use clap::CommandFactory as _;
    let mut top = cli::Cli::command();
    // Built, the subcommands know their page names (keap-migrate-scan).
    top.build();
    let page = match &args.command {
        None => top,
        Some(name) => match top.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => anyhow::bail!(
                "no command `{}`; `keap-migrate --help` lists them",
                finding::redact(name)
            ),
        },
    };
    clap_mangen::Man::new(page).render(io.out)?;
    Ok(Exit::Clean)
}

fn rules(args: &RulesArgs, io: &mut Io) -> anyhow::Result<Exit> {
    let rules = rules::RuleSet::load(&args.rules_dirs, &[])?;
    match args.format {
        ListFormat::Json => {
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
        ListFormat::Text => {
            for r in &rules.rules {
                writeln!(io.out, "{:<22} {:<8} {}", r.id, r.severity, r.title)?;
            }
        }
    }
    Ok(Exit::Clean)
}
