//! Migration: findings → per-language recipes → minimal edits → checked new text → unified diff
//! or an in-place write.
use std::{
    borrow::Cow,
    cell::{OnceCell, RefCell},
    collections::{BTreeMap, HashMap, HashSet},
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

use serde::Deserialize;

use crate::{
    detect::{self, Lang},
    finding::{redact, Finding, Secret},
    report::count,
    rules,
    scan::{self, Scanner},
};

pub mod apply;
pub mod diff;
pub mod dotnet;
pub mod edit;
pub mod hinted;
mod java;
pub mod manifest;
pub mod php;
pub mod view;

/// What a migrated call sends as its first parameter: Keap ignores it once the key travels in a
/// header, but the API is positional and an empty string is not known to work.
pub const PLACEHOLDER: &str = "placeholder";
pub const DEFAULT_ENDPOINT: &str = "https://api.infusionsoft.com/crm/xmlrpc";
pub const DEFAULT_KEY_ENV: &str = "KEAP_API_KEY";
pub const RATE_LIMIT_NOTE: &str = "Keap limits a Service Account Key or PAT to 10 calls/s, 240/min and 30,000/day (legacy keys had no quota): a busy integration may now get HTTP 429.";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// `X-Keap-API-Key: <key>`
    #[default]
    Header,
    /// `Authorization: Bearer <key>`, for a Service Account Key or PAT.
    Bearer,
}

#[derive(Clone, Debug)]
pub struct FixOptions {
    pub auth: Auth,
    pub endpoint: String,
    pub key_env: String,
}

impl FixOptions {
    /// Completes and checks the settings (the caller has already put flags over the config
    /// file); an error names the setting: `endpoint …`, `key-env …`.
    pub fn resolve(
        endpoint: Option<String>,
        auth: Option<Auth>,
        key_env: Option<String>,
    ) -> Result<FixOptions, String> {
        let endpoint = endpoint.unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        let rest = endpoint
            .strip_prefix("https://")
            .ok_or_else(|| format!("endpoint `{}` must be an https:// URL", redact(&endpoint)))?;
        if rest.is_empty() || rest.contains(char::is_whitespace) {
            return Err(format!("endpoint `{}` is not a URL", redact(&endpoint)));
        }
        // A token in the URL is what the token-in-url rule exists to remove.
        if rest.contains(['?', '#']) {
            return Err(
                "endpoint must not carry a query or fragment: send tokens as headers".into(),
            );
        }
        let host = rest.split('/').next().unwrap_or("").to_ascii_lowercase();
        if host.ends_with(".infusionsoft.com") && host != "api.infusionsoft.com" {
            return Err(format!(
                "endpoint `{}` is a legacy per-app host; use {DEFAULT_ENDPOINT}",
                redact(&endpoint)
            ));
        }
        let key_env = key_env.unwrap_or_else(|| DEFAULT_KEY_ENV.to_string());
        let mut chars = key_env.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
            && chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
        if !valid {
            return Err(format!(
                "key-env `{}` is not an environment variable name",
                redact(&key_env)
            ));
        }
        Ok(FixOptions {
            auth: auth.unwrap_or_default(),
            endpoint,
            key_env,
        })
    }
}

/// A rewrite of one file, made from exactly the bytes in `before`.
pub struct FileChange {
    pub path: PathBuf,
    pub rel: String,
    pub before: Vec<u8>,
    pub after: String,
    /// Secrets in the file, to redact from previews.
    pub secrets: Vec<Secret>,
    /// The edits made, each with the fingerprint of the finding it fixes.
    pub edits: Vec<(String, edit::Edit)>,
}

/// Sites of one file left for a person for one reason: the rule, the hint, the findings.
type Reason<'p> = (&'p str, &'p str, Vec<&'p Finding>);

/// The edits that fix one finding, for reports that carry fixes (SARIF).
pub struct Suggestion {
    pub rel: String,
    pub edits: Vec<edit::Edit>,
}

pub struct Manual {
    pub finding: Finding,
    pub hint: String,
}

/// What a person should know about a fix that was made: the finding it fixes, and the note.
pub struct Note {
    pub finding: Finding,
    pub note: String,
}

/// An environment variable the migrated code reads, and the key it stands for.
pub struct EnvVar {
    pub name: String,
    pub secret: Secret,
    pub files: Vec<String>,
}

#[derive(Default)]
pub struct Plan {
    pub changes: Vec<FileChange>,
    pub manual: Vec<Manual>,
    pub notes: Vec<Note>,
    pub env: Vec<EnvVar>,
    /// Whether the code used legacy keys at all: an OAuth client's token in its URL is none.
    pub legacy_keys: bool,
}

/// Plans the migration of every file with findings. Each file is read again and rescanned, so
/// the edits apply to exactly the bytes that `apply` will check before it writes.
pub fn plan(
    findings: &[Finding],
    detected: &mut scan::Detected,
    scanner: &Scanner,
    opts: &FixOptions,
) -> Plan {
    let mut by_file: BTreeMap<&PathBuf, (&str, Vec<&Finding>)> = BTreeMap::new();
    for f in findings {
        by_file
            .entry(&f.path)
            .or_insert((&f.rel, Vec::new()))
            .1
            .push(f);
    }
    let mut plan = Plan {
        legacy_keys: findings
            .iter()
            .any(|f| !matches!(f.rule.as_str(), rules::TOKEN_IN_URL | rules::MISSING_AUTH)),
        ..Plan::default()
    };
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut callers: HashMap<PathBuf, Callers> = HashMap::new();
    let sdks = manifest::Sdks::default();
    let remote = remote_clients(&by_file);
    // Files whose clients other files call go first: their callers follow their outcome.
    // A PHP file included by another is planned after it (the includer's clients decide its
    // calls).
    let paths: Vec<&PathBuf> = by_file.keys().copied().collect();
    let included = included_names(&paths);
    let mut by_file: Vec<_> = by_file.into_iter().collect();
    by_file.sort_by_key(|(path, _)| {
        let name = path.file_name().and_then(|n| n.to_str());
        (
            !remote.serves(path),
            Lang::of(path) == Lang::Php && name.is_some_and(|n| included.contains(n)),
        )
    });
    // The rewritten text of each PHP file changed so far, by its canonical path.
    let mut migrated: HashMap<PathBuf, String> = HashMap::new();
    for (path, (rel, walked)) in by_file {
        // Every finding of a file names it the same way; the rescan must fingerprint as the
        // scan did.
        let repo_rel = walked[0].repo_rel.as_str();
        let manual_all = |plan: &mut Plan, hint: &str| {
            plan.manual.extend(walked.iter().map(|f| Manual {
                finding: (*f).clone(),
                hint: hint.to_string(),
            }))
        };
        let lang = Lang::of(path);
        let sdk_manifest = detect::manifest::Kind::of(path).is_some()
            && walked.iter().any(|f| f.rule == rules::LEGACY_SDK);
        if lang != Lang::Php && sdk_manifest {
            plan_manifest(&mut plan, &sdks, scanner, path, rel, repo_rel);
            continue;
        }
        if let Lang::Parsed(syntax) = lang {
            if syntax.is_dotnet() || syntax.is_hinted() {
                // Read as scanned; a file that cannot be read again gets the general hints.
                let text = fs::read_to_string(path).unwrap_or_default();
                let hints = if syntax.is_dotnet() {
                    dotnet::hints(syntax, &text, &walked, opts)
                } else {
                    hinted::hints(syntax, &text, &walked, opts)
                };
                plan.manual
                    .extend(walked.iter().zip(hints).map(|(f, hint)| Manual {
                        finding: (*f).clone(),
                        hint,
                    }));
                continue;
            }
            if syntax == crate::lang::Syntax::Java {
                // Apache XML-RPC is served by no registry here: its sites get the code to add.
                let text = fs::read_to_string(path).unwrap_or_default();
                if java::apache(&text) {
                    let hints = java::hints(&text, &walked, opts);
                    plan.manual
                        .extend(walked.iter().zip(hints).map(|(f, hint)| Manual {
                            finding: (*f).clone(),
                            hint,
                        }));
                    continue;
                }
            }
        }
        if !matches!(lang, Lang::Php | Lang::Parsed(_)) {
            let cassette = is_cassette(path);
            let template = is_template(path);
            plan.manual.extend(walked.iter().map(|f| Manual {
                finding: (*f).clone(),
                hint: match f.rule.as_str() {
                    _ if cassette => cassette_hint(&f.rule),
                    rules::KEY_IN_BODY if template => "an XML body in a template: write `placeholder` here, and add the key header (`X-Keap-API-Key`) to the request that posts the rendered body",
                    rule => other_language_hint(rule),
                }
                .to_string(),
            }));
            continue;
        }
        let Ok(before) = fs::read(path) else {
            manual_all(&mut plan, "could not be read again for the rewrite");
            continue;
        };
        let Ok(text) = std::str::from_utf8(&before) else {
            let hint = if scan::is_utf16(&before) {
                "UTF-16 file: no automatic rewrite"
            } else {
                "not UTF-8: no automatic rewrite"
            };
            manual_all(&mut plan, hint);
            continue;
        };
        let mut tree = None;
        let found = detected
            .take(path, text)
            .unwrap_or_else(|| scanner.scan_text_keeping(path, rel, repo_rel, text, &mut tree));
        // What only the whole tree shows (a key whose Keap context is in another file) has no
        // recipe here: a person reads it from the environment.
        let refound: HashSet<&str> = found.iter().map(|g| g.fingerprint.as_str()).collect();
        plan.manual.extend(
            walked
                .iter()
                .filter(|f| !refound.contains(f.fingerprint.as_str()))
                .map(|f| Manual {
                    finding: (*f).clone(),
                    hint: "a Keap file elsewhere uses this value: read it from the environment"
                        .into(),
                }),
        );
        let mut named: Vec<(String, Secret)> = Vec::new();
        let mut env_for = |secret: &Secret| {
            let n = names.len();
            let idx = *names.entry(secret.expose().to_string()).or_insert(n);
            let name = match idx {
                0 => opts.key_env.clone(),
                i => format!("{}_{}", opts.key_env, i + 1),
            };
            named.push((name.clone(), secret.clone()));
            name
        };
        let root_of_file = path
            .to_str()
            .and_then(|p| p.strip_suffix(rel))
            .map_or_else(|| PathBuf::from("."), PathBuf::from);
        let callers = callers
            .entry(root_of_file.clone())
            .or_insert_with(|| Callers::new(root_of_file));
        let elsewhere = |name: &str| callers.call_outside(name, path);
        let outcome = match lang {
            Lang::Parsed(syntax) => {
                view::fix(syntax, text, &found, opts, &mut env_for, &remote, path)
            }
            _ => {
                // The SDK's clients first: the findings it answers for are not the recipe's.
                let sdk = sdks.php(path, text, &found, &mut env_for);
                let index: Vec<usize> = (0..found.len())
                    .filter(|i| !sdk.claimed.contains(i))
                    .collect();
                // Most files have no SDK client: their findings are not copied.
                let rest: Cow<[Finding]> = match sdk.claimed.is_empty() {
                    true => Cow::Borrowed(&found),
                    false => Cow::Owned(index.iter().map(|&i| found[i].clone()).collect()),
                };
                let shared =
                    |name: &str| callers.shared_client(name, path, &opts.endpoint, &migrated);
                // A large file the scan read in chunks is planned in windows where it can be:
                // its whole tree would take gigabytes.
                let windowed = match tree {
                    Some(_) => None,
                    None => {
                        php::fix_in_windows(text, &rest, opts, &mut env_for, &elsewhere, &shared)
                    }
                };
                let mut outcome = match windowed {
                    Some(outcome) => outcome,
                    None => {
                        if tree.is_none() {
                            tree = detect::php::parse(text);
                        }
                        php::fix(
                            text,
                            tree.as_ref(),
                            &rest,
                            opts,
                            &mut env_for,
                            &elsewhere,
                            &shared,
                        )
                    }
                };
                for e in &mut outcome.edits {
                    e.finding = index[e.finding];
                }
                for m in outcome.manual.iter_mut().chain(outcome.notes.iter_mut()) {
                    m.0 = index[m.0];
                }
                outcome.edits.extend(sdk.edits);
                outcome.manual.extend(sdk.manual);
                outcome
            }
        };
        let mut manual: Vec<(usize, String)> = outcome.manual;
        let notes = outcome.notes;
        let edits: Vec<(String, edit::Edit)> = outcome
            .edits
            .iter()
            .map(|e| (found[e.finding].fingerprint.clone(), e.clone()))
            .collect();
        // The tree is no longer needed: checking the rewrite parses it anew, and two trees of a
        // large file are its largest cost in memory.
        drop(tree);
        let after = match edit::apply(text, outcome.edits) {
            Ok(after) => after,
            Err(overlap) => {
                let hint = format!(
                    "two fixes overlap (for the findings at {} and {}): nothing written to this file",
                    found[overlap.first.finding].location(),
                    found[overlap.second.finding].location()
                );
                manual = (0..found.len()).map(|i| (i, hint.clone())).collect();
                text.to_string()
            }
        };
        let after = if after != text && !parses_as_well(lang, text, &after) {
            manual = (0..found.len())
                .map(|i| {
                    (
                        i,
                        "the rewrite would not parse: nothing written to this file".to_string(),
                    )
                })
                .collect();
            text.to_string()
        } else {
            after
        };
        manual.sort();
        manual.dedup_by_key(|m| m.0);
        plan.manual
            .extend(manual.into_iter().map(|(i, hint)| Manual {
                finding: found[i].clone(),
                hint,
            }));
        if after != text {
            plan.notes.extend(notes.into_iter().map(|(i, note)| Note {
                finding: found[i].clone(),
                note,
            }));
            // npm writes node_modules anew from the package's source at the next install.
            let installed = Path::new(rel)
                .components()
                .any(|c| c.as_os_str() == "node_modules");
            if let (true, Some(first)) = (installed, edits.first()) {
                if let Some(f) = found.iter().find(|f| f.fingerprint == first.0) {
                    plan.notes.push(Note {
                        finding: f.clone(),
                        note: "a package installed under node_modules: the next npm install undoes this change; fix the package at its source (or vendor it outside node_modules)".into(),
                    });
                }
            }
            // A login through a method Keap removed is migrated like any call, and still fails.
            let logins = found.iter().filter(|f| {
                f.rule == rules::KEY_IN_BODY
                    && detect::is_login(&f.message)
                    && edits.iter().any(|(fp, _)| *fp == f.fingerprint)
            });
            plan.notes.extend(logins.map(|f| Note {
                finding: f.clone(),
                note: "Keap removed DataService.authenticateUser on 2025-08-15: this login fails with the key in a header too; replace it (OAuth, or the app's own users)".into(),
            }));
            // Only the variables the rewritten file really reads are worth setting.
            for (name, secret) in named {
                let read = match lang {
                    Lang::Parsed(syntax) => syntax.env_read(&name),
                    _ => php::getenv(&name),
                };
                if !after.contains(&read) {
                    continue;
                }
                match plan.env.iter_mut().find(|e| e.name == name) {
                    Some(e) if !e.files.iter().any(|f| f == rel) => e.files.push(rel.to_string()),
                    Some(_) => {}
                    None => plan.env.push(EnvVar {
                        name,
                        secret,
                        files: vec![rel.to_string()],
                    }),
                }
            }
            if lang == Lang::Php {
                if let Ok(canonical) = fs::canonicalize(path) {
                    migrated.insert(canonical, after.clone());
                }
            }
            plan.changes.push(FileChange {
                path: path.clone(),
                rel: rel.to_string(),
                secrets: found.iter().filter_map(|f| f.secret.clone()).collect(),
                before: before.clone(),
                after,
                edits,
            });
            remote.commit(path);
        }
    }
    plan
}

/// The clients of Python, Ruby and JS files that other files of the plan call.
fn remote_clients(by_file: &BTreeMap<&PathBuf, (&str, Vec<&Finding>)>) -> view::Remote {
    let mut texts = Vec::new();
    for (path, (_, found)) in by_file {
        let Lang::Parsed(syntax) = Lang::of(path) else {
            continue;
        };
        if syntax.is_dotnet() || syntax.is_hinted() {
            continue;
        }
        let relevant =
            |f: &&Finding| matches!(f.rule.as_str(), rules::KEY_IN_BODY | rules::LEGACY_ENDPOINT);
        if !found.iter().any(relevant) {
            continue;
        }
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        let sites: Vec<std::ops::Range<usize>> = found
            .iter()
            .filter(|f| f.rule == rules::KEY_IN_BODY)
            .map(|f| f.span.clone())
            .collect();
        texts.push(((*path).clone(), syntax, text, sites));
    }
    let files: Vec<_> = texts
        .iter()
        .map(|(p, s, t, sites)| (p.clone(), *s, t.as_str(), sites.clone()))
        .collect();
    view::Remote::build(&files)
}

/// A manifest's SDK findings: the constraint raised where a release migrates and the tree is
/// ready for it, each finding with what a person still does (refresh the lockfile, patch calls).
fn plan_manifest(
    plan: &mut Plan,
    sdks: &manifest::Sdks,
    scanner: &Scanner,
    path: &Path,
    rel: &str,
    repo_rel: &str,
) {
    let Ok(before) = fs::read(path) else {
        return;
    };
    let text = String::from_utf8_lossy(&before).into_owned();
    let found = scanner.scan_text(path, rel, repo_rel, &text);
    let mut edits = Vec::new();
    for (i, f) in found.iter().enumerate() {
        let hint = match f.rule.as_str() {
            rules::LEGACY_SDK => match sdks.manifest(path, &text, f) {
                manifest::ManifestFix::Bump(mut e, then) => {
                    e.finding = i;
                    edits.push(e);
                    then
                }
                manifest::ManifestFix::Manual(hint) => hint,
            },
            rule => other_language_hint(rule).to_string(),
        };
        plan.manual.push(Manual {
            finding: f.clone(),
            hint,
        });
    }
    if edits.is_empty() || std::str::from_utf8(&before).is_err() {
        return;
    }
    let fixed: Vec<(String, edit::Edit)> = edits
        .iter()
        .map(|e| (found[e.finding].fingerprint.clone(), e.clone()))
        .collect();
    let Ok(after) = edit::apply(&text, edits) else {
        return;
    };
    plan.changes.push(FileChange {
        path: path.to_path_buf(),
        rel: rel.to_string(),
        secrets: found.iter().filter_map(|f| f.secret.clone()).collect(),
        before,
        after,
        edits: fixed,
    });
}

/// The PHP files of a tree, listed and read only when a recipe asks whether a helper is called
/// outside the file that defines it.
struct Callers {
    root: PathBuf,
    files: OnceCell<(Vec<PathBuf>, bool)>,
    answers: RefCell<HashMap<(String, PathBuf), bool>>,
    /// `shared_client`'s answers: a file is planned once, so they hold for the whole plan.
    shared: RefCell<HashMap<(String, PathBuf), bool>>,
}

impl Callers {
    fn new(root: PathBuf) -> Self {
        Callers {
            root,
            files: OnceCell::new(),
            answers: RefCell::new(HashMap::new()),
            shared: RefCell::new(HashMap::new()),
        }
    }

    /// The tree's PHP files, and whether some directory could not be listed.
    fn files(&self) -> &(Vec<PathBuf>, bool) {
        self.files.get_or_init(|| {
            let mut unlisted = false;
            let mut files = Vec::new();
            for entry in ignore::WalkBuilder::new(&self.root).hidden(false).build() {
                match entry {
                    Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                        if Lang::of(e.path()) == Lang::Php {
                            files.push(e.into_path());
                        }
                    }
                    Ok(_) => {}
                    Err(_) => unlisted = true,
                }
            }
            (files, unlisted)
        })
    }

    fn call_outside(&self, name: &str, file: &Path) -> bool {
        let key = (name.to_string(), file.to_path_buf());
        if let Some(answer) = self.answers.borrow().get(&key) {
            return *answer;
        }
        // A directory that cannot be listed may hold a caller: then every helper has one.
        let (files, unlisted) = self.files();
        // PHP function names are case-insensitive.
        let call = regex::bytes::Regex::new(&format!(r"(?i)\b{}\s*\(", regex::escape(name)))
            .expect("an escaped name is a valid pattern");
        let this = fs::canonicalize(file).ok();
        let other =
            |f: &PathBuf| f.file_name() != file.file_name() || fs::canonicalize(f).ok() != this;
        // An unknown caller is a caller: a file that cannot be read may post elsewhere.
        let answer = *unlisted
            || files
                .iter()
                .filter(|f| other(f))
                .any(|f| fs::read(f).map_or(true, |bytes| call.is_match(&bytes)));
        self.answers.borrow_mut().insert(key, answer);
        answer
    }

    /// Whether `$name` holds a migrated client wherever `file` is used: every PHP file of the
    /// tree that includes it (at the top level) was rewritten in this plan, and its rewrite
    /// makes `$name` once, at the top level, for `endpoint`, with the key header set before the
    /// include (the functions `file` defines exist only from there on).
    fn shared_client(
        &self,
        name: &str,
        file: &Path,
        endpoint: &str,
        migrated: &HashMap<PathBuf, String>,
    ) -> bool {
        let key = (name.to_string(), file.to_path_buf());
        if let Some(answer) = self.shared.borrow().get(&key) {
            return *answer;
        }
        let answer = self.includers_share(name, file, endpoint, migrated);
        self.shared.borrow_mut().insert(key, answer);
        answer
    }

    fn includers_share(
        &self,
        name: &str,
        file: &Path,
        endpoint: &str,
        migrated: &HashMap<PathBuf, String>,
    ) -> bool {
        let (files, unlisted) = self.files();
        let Some(base) = file.file_name().and_then(|n| n.to_str()) else {
            return false;
        };
        let include = regex::Regex::new(&format!(
            r#"(?im)^(?:require|include)(?:_once)?\s*\(?\s*['"](?:[^'"\n]*/)?{}['"]"#,
            regex::escape(base)
        ))
        .expect("an escaped name is a valid pattern");
        let var = regex::escape(name);
        let made = regex::Regex::new(&format!(
            r#"(?m)^{var}\s*=\s*new\s+xmlrpc_client\(\s*['"]{}['"]\s*\)"#,
            regex::escape(endpoint)
        ))
        .expect("escaped parts make a valid pattern");
        let header = regex::Regex::new(&format!(
            r"(?m)^{var}->setCurlOptions\(.*(?:X-Keap-API-Key|Authorization: Bearer)"
        ))
        .expect("escaped parts make a valid pattern");
        let assigned = regex::Regex::new(&format!(r"{var}\s*=[^=>]"))
            .expect("escaped parts make a valid pattern");
        let this = fs::canonicalize(file).ok();
        let mut includers = 0;
        for f in files {
            // An unreadable file may include it too.
            let Ok(before) = fs::read(f) else {
                return false;
            };
            if fs::canonicalize(f).ok() == this
                || !include.is_match(&String::from_utf8_lossy(&before))
            {
                continue;
            }
            includers += 1;
            let Some(after) = fs::canonicalize(f).ok().and_then(|c| migrated.get(&c)) else {
                return false;
            };
            let at = |re: &regex::Regex| re.find(after).map(|m| m.start());
            let ok = match (at(&made), at(&header), at(&include)) {
                (Some(m), Some(h), Some(i)) => {
                    m < h && h < i && assigned.find_iter(after).count() == 1
                }
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        !unlisted && includers > 0
    }
}

/// The file names the plan's PHP files include at the start of a line (`require('functions.php')`,
/// `include_once dirname(__FILE__) . '/lib/api.php'`): a file included by another is planned
/// after it, so that what its includers make of their clients is known. Each file is read once.
fn included_names(paths: &[&PathBuf]) -> HashSet<String> {
    static QUOTED: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r#"['"]([^'"]+)['"]"#).unwrap());
    let mut names = HashSet::new();
    for path in paths.iter().filter(|p| Lang::of(p) == Lang::Php) {
        let Ok(bytes) = fs::read(path) else {
            continue;
        };
        for line in String::from_utf8_lossy(&bytes).lines() {
            let line = line.trim_start();
            let head = line.get(..7).map(str::to_ascii_lowercase);
            if !matches!(head.as_deref(), Some("require" | "include")) {
                continue;
            }
            for quoted in QUOTED.captures_iter(line) {
                if let Some(name) = Path::new(&quoted[1]).file_name().and_then(|n| n.to_str()) {
                    names.insert(name.to_string());
                }
            }
        }
    }
    names
}

/// A recorded HTTP interaction (a VCR or Polly cassette, a WebMock fixture): YAML or JSON that
/// holds `http_interactions` (VCR's own key), or any file under a `cassettes` folder.
fn is_cassette(path: &Path) -> bool {
    let yaml_or_json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yml" | "yaml" | "json"));
    let named = path
        .components()
        .any(|c| c.as_os_str().to_string_lossy().contains("cassette"));
    yaml_or_json
        && (named || fs::read_to_string(path).is_ok_and(|t| t.contains("http_interactions")))
}

/// A Handlebars or Mustache template (a Zendesk app's `templates/*.hdbs`): it renders a body
/// that some request elsewhere posts.
fn is_template(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "hdbs" | "hbs" | "handlebars" | "mustache"))
}

const RECORDED_ENDPOINT: &str = "a recorded request (VCR cassette) to the legacy endpoint: re-record it once the code is migrated, or replayed tests will not match the new endpoint";

/// What to do with a recording: it replays what the legacy code sent, so it is re-recorded once
/// the code is migrated (or the key filtered), never rewritten by hand.
fn cassette_hint(rule: &str) -> &'static str {
    match rule {
        rules::HARDCODED_KEY | rules::KEY_IN_BODY => {
            "a recorded request (VCR cassette) holds the key: rotate it, then re-record the cassette once the code sends the key as a header, or have VCR write a stand-in (`c.filter_sensitive_data('<KEAP_API_KEY>') { ENV['KEAP_API_KEY'] }`) and re-record"
        }
        rules::LEGACY_ENDPOINT => RECORDED_ENDPOINT,
        rule => other_language_hint(rule),
    }
}

/// What to do by hand in a file no recipe rewrites.
fn other_language_hint(rule: &str) -> &'static str {
    match rule {
        rules::HARDCODED_KEY => {
            "move the key out of this file (an environment variable), and rotate it"
        }
        rules::LEGACY_ENDPOINT => {
            "point this client at the new endpoint and send the key as a header"
        }
        rules::KEY_IN_BODY => "send the key as a header and a placeholder as the first parameter",
        rules::TOKEN_IN_URL => "send the token as an Authorization: Bearer header instead",
        rules::MISSING_AUTH => {
            "this client calls the new endpoint without a key header: add X-Keap-API-Key (or Authorization: Bearer) to it"
        }
        _ => "no automatic rewrite for this file type",
    }
}

/// A rewrite must not add syntax errors (tree-sitter recovers, so count the error nodes).
fn parses_as_well(lang: Lang, before: &str, after: &str) -> bool {
    let errors = |text: &str| match lang {
        Lang::Parsed(syntax) => crate::lang::syntax_errors(syntax, text),
        _ => syntax_errors(text),
    };
    // A rewrite that parses cleanly needs no comparison: one parse of the file fewer.
    if lang == Lang::Php && detect::php::chunks_parse_cleanly(after) {
        return true;
    }
    let after = errors(after);
    after == 0 || after <= errors(before)
}

/// The error and missing nodes tree-sitter's PHP parser recovers from in `text`.
pub fn syntax_errors(text: &str) -> usize {
    detect::php::parse(text).map_or(usize::MAX, |tree| crate::lang::error_count(&tree))
}

impl FileChange {
    /// `rel` in the bytes of the real name, which a patch must give (`rel` is lossy where a
    /// name is not UTF-8): the last components of `path`, as many as `rel` has.
    fn rel_bytes(&self) -> Vec<u8> {
        use std::os::unix::ffi::OsStrExt;
        let parts: Vec<&[u8]> = self
            .path
            .components()
            .map(|c| c.as_os_str().as_bytes())
            .collect();
        let n = self.rel.split('/').count();
        parts[parts.len().saturating_sub(n)..].join(&b'/')
    }
}

impl Plan {
    /// The whole patch; `redact` replaces each secret by its redacted form (a preview, which
    /// cannot be applied), and the flag says whether it replaced any.
    pub fn patch(&self, redact: bool) -> (String, bool) {
        let mut out = String::new();
        let mut redacted = false;
        for c in &self.changes {
            let before = String::from_utf8_lossy(&c.before);
            let mut d = diff::unified(&c.rel_bytes(), &before, &c.after);
            if redact {
                for s in &c.secrets {
                    if d.contains(s.expose()) {
                        redacted = true;
                        d = d.replace(s.expose(), &s.redacted());
                    }
                }
            }
            out.push_str(&d);
        }
        (out, redacted)
    }

    /// The fix of each finding the plan changes, by fingerprint.
    pub fn suggestions(&self) -> HashMap<String, Suggestion> {
        let mut out: HashMap<String, Suggestion> = HashMap::new();
        for c in &self.changes {
            for (fingerprint, e) in &c.edits {
                out.entry(fingerprint.clone())
                    .or_insert_with(|| Suggestion {
                        rel: c.rel.clone(),
                        edits: Vec::new(),
                    })
                    .edits
                    .push(e.clone());
            }
        }
        out
    }

    pub fn has_secrets(&self) -> bool {
        self.changes.iter().any(|c| !c.secrets.is_empty())
    }

    /// The findings the plan fixes, by fingerprint (one finding may take several edits).
    fn fixed(&self) -> usize {
        let mut fixed: Vec<(&str, &str)> = self
            .changes
            .iter()
            .flat_map(|c| c.edits.iter().map(|(f, _)| (c.rel.as_str(), f.as_str())))
            .collect();
        fixed.sort();
        fixed.dedup();
        fixed.len()
    }

    /// The manual items by file, then by rule and hint, in file order.
    fn manual_groups(&self) -> Vec<(&Path, Vec<Reason<'_>>)> {
        let mut files: Vec<(&Path, Vec<Reason>)> = Vec::new();
        for m in self.manual.iter().filter(|m| m.hint != RECORDED_ENDPOINT) {
            let path = m.finding.path.as_path();
            let at = match files.iter().position(|(p, _)| *p == path) {
                Some(at) => at,
                None => {
                    files.push((path, Vec::new()));
                    files.len() - 1
                }
            };
            let groups = &mut files[at].1;
            let (rule, hint) = (m.finding.rule.as_str(), m.hint.as_str());
            match groups.iter_mut().find(|g| g.0 == rule && g.1 == hint) {
                Some(g) => g.2.push(&m.finding),
                None => groups.push((rule, hint, vec![&m.finding])),
            }
        }
        files
    }

    /// What the user must do next: what was fixed and what was not, manual changes grouped by
    /// file and reason, variables to set, the rate limit.
    pub fn write_summary(&self, out: &mut dyn Write, applied: bool) -> io::Result<()> {
        let verb = if applied { "changed" } else { "to change" };
        // Recordings of the legacy endpoint are many and all alike (a gem fork has dozens):
        // one line for them, not a file each.
        let recorded: Vec<&Finding> = self
            .manual
            .iter()
            .filter(|m| m.hint == RECORDED_ENDPOINT)
            .map(|m| &m.finding)
            .collect();
        let of_them = match recorded.len() {
            0 => String::new(),
            n => format!(" ({n} of them requests recorded in VCR cassettes)"),
        };
        writeln!(
            out,
            "{} {verb}: {} fixed automatically, {} left for a person{of_them}",
            count(self.changes.len(), "file"),
            count(self.fixed(), "site"),
            count(self.manual.len(), "site"),
        )?;
        // Rewritten clients that call what their bundled library lacks run only after the
        // upgrade: said first, not only in the list.
        let upgrade = self
            .manual
            .iter()
            .any(|m| m.finding.rule == crate::rules::LEGACY_LIBRARY);
        if upgrade && !self.changes.is_empty() {
            writeln!(
                out,
                "first: upgrade the library named below (legacy-library): the changed code calls what the bundled version lacks and fails until then"
            )?;
        }
        let groups = self.manual_groups();
        if !groups.is_empty() || !recorded.is_empty() {
            writeln!(out, "needs a manual change, by file and reason:")?;
        }
        if let Some(first) = recorded.first() {
            let mut files: Vec<&Path> = recorded.iter().map(|f| f.path.as_path()).collect();
            files.dedup();
            writeln!(
                out,
                "  {} recorded requests to the legacy endpoint in {} ({}, …): re-record them once the code is migrated, or replayed tests will not match the new endpoint",
                recorded.len(),
                count(files.len(), "VCR cassette"),
                first.path.display(),
            )?;
        }
        for (path, reasons) in &groups {
            let sites: usize = reasons.iter().map(|r| r.2.len()).sum();
            writeln!(out, "  {} ({sites})", path.display())?;
            for (rule, hint, findings) in reasons {
                let at: Vec<String> = findings
                    .iter()
                    .map(|f| format!("{}:{}", f.start.line, f.start.column))
                    .collect();
                writeln!(
                    out,
                    "    {rule} at {} ({}): {hint}",
                    at.join(", "),
                    findings.len()
                )?;
            }
        }
        if !self.notes.is_empty() {
            writeln!(out, "changed, worth a look:")?;
        }
        for n in &self.notes {
            let f = &n.finding;
            writeln!(
                out,
                "  {}:{}:{} {}: {}",
                f.path.display(),
                f.start.line,
                f.start.column,
                f.rule,
                n.note
            )?;
        }
        let nothing_next = self.env.is_empty() && !self.legacy_keys && self.changes.is_empty();
        if (self.changes.is_empty() && self.manual.is_empty()) || nothing_next {
            return Ok(());
        }
        // The list ends with what to do once the code is changed: the code now reads a
        // variable nobody set, the old key is still valid, and the new keys have a quota.
        writeln!(out, "next:")?;
        for e in &self.env {
            writeln!(
                out,
                "  set {} for {}: it replaces the hardcoded key {}",
                e.name,
                e.files.join(", "),
                e.secret.redacted(),
            )?;
        }
        // Git history keeps a key only where the code wrote one.
        let written = !self.env.is_empty()
            || self
                .manual
                .iter()
                .any(|m| m.finding.rule == crate::rules::HARDCODED_KEY);
        let history = if written {
            ": git history still has them"
        } else {
            ""
        };
        if self.legacy_keys {
            writeln!(
                out,
                "  rotate: create a Service Account Key in Keap, use it as the new key, then revoke every legacy key the code held{history}"
            )?;
        }
        // KEAP.md: said once when something is rewritten.
        if !self.changes.is_empty() {
            writeln!(out, "  quota: {RATE_LIMIT_NOTE}")?;
        }
        Ok(())
    }

    /// The plan for scripts (`diff --format json`): the same counts and groups as the summary,
    /// each site with its rule, place and fingerprint, and no secret.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let site = |f: &Finding| {
            json!({
                "rule": f.rule, "path": f.path.display().to_string(), "relative_path": f.rel,
                "line": f.start.line, "column": f.start.column, "fingerprint": f.fingerprint,
            })
        };
        let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
        for m in &self.manual {
            *by_reason.entry(m.hint.as_str()).or_default() += 1;
        }
        let manual: Vec<_> = self
            .manual
            .iter()
            .map(|m| {
                let mut s = site(&m.finding);
                s["hint"] = json!(m.hint);
                s
            })
            .collect();
        let changes: Vec<_> = self
            .changes
            .iter()
            .map(|c| {
                let mut fixed: Vec<&str> = c.edits.iter().map(|(f, _)| f.as_str()).collect();
                fixed.dedup();
                json!({"path": c.path.display().to_string(), "relative_path": c.rel, "fixed": fixed})
            })
            .collect();
        let notes: Vec<_> = self
            .notes
            .iter()
            .map(|n| {
                let mut s = site(&n.finding);
                s["note"] = json!(n.note);
                s
            })
            .collect();
        let env: Vec<_> = self
            .env
            .iter()
            .map(|e| json!({"name": e.name, "files": e.files, "replaces": e.secret.redacted()}))
            .collect();
        json!({
            "version": 1,
            "summary": {
                "files_to_change": self.changes.len(),
                "sites_fixed": self.fixed(),
                "sites_manual": self.manual.len(),
                "manual_by_reason": by_reason,
            },
            "changes": changes,
            "manual": manual,
            "notes": notes,
            "env": env,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree that cannot be listed may hold a caller that posts elsewhere: a helper is then
    /// never taken for one only Keap's calls use.
    #[test]
    fn an_unknown_caller_is_a_caller() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let callers = Callers::new(gone.clone());
        assert!(callers.call_outside("http_post", &gone.join("keap.php")));

        fs::write(dir.path().join("keap.php"), "<?php http_post($url, $xml);").unwrap();
        fs::write(dir.path().join("other.php"), "<?php echo 1;").unwrap();
        let callers = Callers::new(dir.path().to_path_buf());
        assert!(!callers.call_outside("http_post", &dir.path().join("keap.php")));
    }
}
