//! Keap SDKs in manifests, lockfiles and vendored copies: which SDK, which version, and whether
//! that version sends the key in a header. What each SDK's releases do is data
//! (`rules/sdk-facts/sdks.toml`), each fact with its source.
//!
//! A manifest is reported, on the line that requires the SDK, with the version its lockfile
//! beside it resolved (read from disk: the version in use is the installed one); a lockfile is
//! reported itself only where no manifest sits beside it.
use std::{fs, ops::Range, path::Path, sync::LazyLock};

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use tree_sitter::Node;

use super::{classify_first_param, FirstParam, Hit};
use crate::rules::{HARDCODED_KEY, LEGACY_SDK};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sdk {
    pub name: String,
    pub ecosystem: Ecosystem,
    pub packages: Vec<String>,
    /// Repositories (`owner/name`, lower case) it is installed from by URL.
    #[serde(default)]
    pub git: Vec<String>,
    /// The first release that sends the key in a header.
    pub fixed: Option<String>,
    pub fixed_on: Option<String>,
    /// The constraint a migration writes into the manifest.
    pub constraint: Option<String>,
    /// The command that refreshes the lockfile after the manifest changed.
    pub refresh: Option<String>,
    /// A branch that sends a header where no release does, and since when (its lockfile time).
    pub branch: Option<String>,
    pub branch_fixed_on: Option<String>,
    pub branch_note: Option<String>,
    pub before: String,
    pub after: Option<String>,
    pub source: String,
    /// Where code uses it: listed in the plan when no release migrates it.
    pub usage: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Composer,
    Rubygems,
    Npm,
    Pypi,
}

#[derive(Deserialize)]
struct Facts {
    sdk: Vec<Sdk>,
}

pub static SDKS: LazyLock<Vec<Sdk>> = LazyLock::new(|| {
    let facts: Facts = toml::from_str(include_str!("../../rules/sdk-facts/sdks.toml"))
        .expect("rules/sdk-facts/sdks.toml is valid (tests parse it)");
    facts.sdk
});

/// The official PHP SDK, the one with a release that migrates and a recipe for its code.
pub const PHP_SDK: &str = "infusionsoft/php-sdk";

pub fn sdk(ecosystem: Ecosystem, package: &str) -> Option<&'static Sdk> {
    let package = normalise(ecosystem, package);
    SDKS.iter().find(|s| {
        s.ecosystem == ecosystem
            && s.packages
                .iter()
                .any(|p| normalise(ecosystem, p) == package)
    })
}

/// Package names as each registry compares them (PyPI: PEP 503; Composer: case-insensitive).
fn normalise(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::Pypi => name
            .to_ascii_lowercase()
            .split(['-', '_', '.'])
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-"),
        Ecosystem::Composer => name.to_ascii_lowercase(),
        Ecosystem::Rubygems | Ecosystem::Npm => name.to_string(),
    }
}

/// The files this module reads, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ComposerJson,
    /// `composer.lock`, or Composer's `vendor/composer/installed.json`.
    ComposerLock,
    Gemfile,
    GemfileLock,
    PackageJson,
    PackageLock,
    YarnLock,
    Requirements,
    Pyproject,
    /// The old iSDK's `isdk.php`, whose header names its version.
    Isdk,
    /// A copy of infusionsoft/php-sdk's `Infusionsoft.php`.
    PhpSdkSource,
}

impl Kind {
    pub fn of(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_str()?;
        let lower = name.to_ascii_lowercase();
        Some(match lower.as_str() {
            "composer.json" => Kind::ComposerJson,
            "composer.lock" => Kind::ComposerLock,
            "installed.json"
                if path
                    .parent()
                    .is_some_and(|p| p.ends_with("vendor/composer")) =>
            {
                Kind::ComposerLock
            }
            "gemfile" | "gems.rb" => Kind::Gemfile,
            "gemfile.lock" | "gems.locked" => Kind::GemfileLock,
            "package.json" => Kind::PackageJson,
            "package-lock.json" | "npm-shrinkwrap.json" => Kind::PackageLock,
            "yarn.lock" => Kind::YarnLock,
            // Pipenv's manifest: TOML, its `[packages]` written the way Poetry's are.
            "pyproject.toml" | "pipfile" => Kind::Pyproject,
            "isdk.php" => Kind::Isdk,
            _ if name == "Infusionsoft.php" => Kind::PhpSdkSource,
            _ if lower.starts_with("requirements") && lower.ends_with(".txt") => Kind::Requirements,
            _ => return None,
        })
    }

    /// A lockfile records what was installed; a manifest what was asked for.
    fn is_lock(self) -> bool {
        matches!(
            self,
            Kind::ComposerLock | Kind::GemfileLock | Kind::PackageLock | Kind::YarnLock
        )
    }
}

/// One SDK a file depends on.
#[derive(Clone, Debug)]
pub struct Dependency {
    pub sdk: &'static Sdk,
    /// Where the file names it: the finding's place.
    pub span: Range<usize>,
    /// The constraint as written, and its bytes (the text inside the quotes).
    pub constraint: Option<(String, Range<usize>)>,
    /// The exact version: a lockfile's, or a manifest's pin.
    pub version: Option<String>,
    /// A lockfile's commit time of the version (Composer), for branches.
    pub time: Option<String>,
}

/// The SDKs a manifest or lockfile names, in file order.
pub fn dependencies(kind: Kind, text: &str) -> Vec<Dependency> {
    let mut deps = match kind {
        Kind::ComposerJson => composer_json(text),
        Kind::ComposerLock => composer_lock(text),
        Kind::Gemfile => gemfile(text),
        Kind::GemfileLock => gemfile_lock(text),
        Kind::PackageJson => package_json(text),
        Kind::PackageLock => package_lock(text),
        Kind::YarnLock => yarn_lock(text),
        Kind::Requirements => requirements(text),
        Kind::Pyproject => pyproject(text),
        Kind::Isdk | Kind::PhpSdkSource => Vec::new(),
    };
    deps.sort_by_key(|d| d.span.start);
    deps
}

/// The lockfiles that record what a manifest resolved to.
fn locks_of(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::ComposerJson => &["composer.lock", "vendor/composer/installed.json"],
        Kind::Gemfile => &["Gemfile.lock", "gems.locked"],
        Kind::PackageJson => &["package-lock.json", "npm-shrinkwrap.json", "yarn.lock"],
        _ => &[],
    }
}

/// The manifest a lockfile belongs to, relative to the lockfile's directory.
fn manifests_of(path: &Path, kind: Kind) -> &'static [&'static str] {
    let installed = path.file_name().is_some_and(|n| n == "installed.json");
    match kind {
        Kind::ComposerLock if installed => &["../../composer.json"],
        Kind::ComposerLock => &["composer.json"],
        Kind::GemfileLock => &["Gemfile", "gems.rb"],
        Kind::PackageLock | Kind::YarnLock => &["package.json"],
        _ => &[],
    }
}

/// The versions the lockfiles beside a manifest record.
pub fn locked_beside(path: &Path, kind: Kind) -> Vec<Dependency> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for lock in locks_of(kind) {
        let lock_path = dir.join(lock);
        let (Some(lock_kind), Ok(text)) = (Kind::of(&lock_path), fs::read_to_string(&lock_path))
        else {
            continue;
        };
        out.extend(dependencies(lock_kind, &text));
    }
    out
}

/// What a dependency means for the migration.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The version in use sends the key in a header.
    Migrated,
    /// A release that migrates exists: upgrade.
    Upgrade,
    /// No release sends a header: the calls must be patched.
    NoRelease,
}

/// Judges a dependency, with the version its lockfile recorded if any.
pub fn verdict(dep: &Dependency, locked: Option<&Dependency>) -> Verdict {
    let sdk = dep.sdk;
    let version = locked
        .and_then(|l| l.version.as_deref())
        .or(dep.version.as_deref());
    let time = locked
        .and_then(|l| l.time.as_deref())
        .or(dep.time.as_deref());
    let constraint = dep.constraint.as_ref().map(|c| c.0.as_str());
    // A branch in use: its own fix date decides, unknown (no lockfile) meaning the newest.
    let on_branch = |v: &str| {
        sdk.branch
            .as_deref()
            .is_some_and(|b| v.eq_ignore_ascii_case(b))
    };
    if let (Some(_), Some(since)) = (&sdk.branch, &sdk.branch_fixed_on) {
        if version
            .or(constraint)
            .is_some_and(|v| on_branch(v.split(" as ").next().unwrap_or(v)))
        {
            return match time {
                Some(t) if t < since.as_str() => Verdict::Upgrade,
                _ => Verdict::Migrated,
            };
        }
    }
    let Some(fixed) = sdk.fixed.as_deref().map(Version::parse) else {
        return Verdict::NoRelease;
    };
    let before = |v: Option<Version>| v.is_some_and(|v| v < fixed);
    match version {
        Some(v) if v.starts_with("dev-") => Verdict::Migrated,
        Some(v) => {
            if before(Version::parse_opt(v)) {
                Verdict::Upgrade
            } else {
                Verdict::Migrated
            }
        }
        // No lockfile: what the constraint lets an install pick, at its lowest.
        None => match constraint {
            Some(c) if before(lowest(c)) => Verdict::Upgrade,
            _ => Verdict::Migrated,
        },
    }
}

/// Whether every version a constraint allows is at or past the SDK's fixed release: what a
/// migrated manifest says.
pub fn constraint_is_fixed(sdk: &Sdk, constraint: &str) -> bool {
    let Some(fixed) = sdk.fixed.as_deref().map(Version::parse) else {
        return false;
    };
    lowest(constraint).is_some_and(|v| v >= fixed)
}

static OPERATOR_SPACE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?P<op>[<>=!~^]+)\s+").unwrap());

/// The lowest version a constraint allows (Composer, npm, RubyGems, PEP 440 spellings), `None`
/// when it names a branch or cannot be read. `1.5.5 as 1.6.0` is 1.5.5: an alias is a label.
fn lowest(constraint: &str) -> Option<Version> {
    let real = constraint.split(" as ").next().unwrap_or(constraint);
    // `~> 1.3`, `>= 1.4`: an operator belongs to the version after it.
    let real = OPERATOR_SPACE.replace_all(real, "$op");
    let mut lowest: Option<Version> = None;
    for alternative in real.split("||") {
        let mut low = Version(vec![0]);
        for part in alternative.split([',', ' ']).filter(|p| !p.is_empty()) {
            let bare = part.trim_start_matches(['^', '~', '>', '=', '!', 'v']);
            if part.starts_with('<') || part.starts_with("!=") || part == "*" {
                continue;
            }
            if bare.starts_with("dev-") || bare.is_empty() {
                return None;
            }
            let v = Version::parse_opt(bare.trim_end_matches(".*").trim_end_matches(".x"))?;
            low = low.max(v);
        }
        lowest = Some(match lowest {
            Some(l) => l.min(low),
            None => low,
        });
    }
    lowest
}

/// A release number, compared part by part (`1.6` = `1.6.0`; `v` and pre-release tails are
/// dropped: `1.6.0-beta` counts as 1.6.0).
#[derive(Clone, Debug)]
pub struct Version(Vec<u64>);

impl Version {
    fn parse(s: &str) -> Version {
        Version::parse_opt(s).unwrap_or(Version(vec![0]))
    }

    fn parse_opt(s: &str) -> Option<Version> {
        let s = s.trim().trim_start_matches(['v', 'V', '=']);
        let core = s.split(['-', '+', ' ']).next()?;
        let parts: Option<Vec<u64>> = core.split('.').map(|p| p.parse().ok()).collect();
        parts.filter(|p| !p.is_empty()).map(Version)
    }

    fn key(&self) -> Vec<u64> {
        let mut k = self.0.clone();
        while k.len() > 1 && k.last() == Some(&0) {
            k.pop();
        }
        k
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Version {}
impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// The finding's detail: the SDK, the version in use, and the first release that migrates it.
pub fn detail(dep: &Dependency, locked: Option<(&Dependency, &str)>, verdict: &Verdict) -> String {
    let sdk = dep.sdk;
    let in_use = match (
        locked.and_then(|(l, file)| l.version.as_ref().map(|v| (v, file))),
        &dep.version,
        &dep.constraint,
    ) {
        (Some((v, file)), _, _) => format!("{v} in use per {file}"),
        (None, Some(v), _) => format!("{v} in use"),
        (None, None, Some((c, _))) => format!("{c} allowed"),
        (None, None, None) => "any version".to_string(),
    };
    let what = match (verdict, &sdk.fixed, &sdk.branch_note) {
        (Verdict::Upgrade, Some(fixed), _) => {
            let on = sdk
                .fixed_on
                .as_deref()
                .map(|d| format!(" of {d}"))
                .unwrap_or_default();
            format!("first release that migrates it: {fixed}{on}")
        }
        (Verdict::Upgrade, None, Some(note)) => {
            format!("no release migrates it; {note}: this lockfile is older, update it")
        }
        _ => match &sdk.branch_note {
            Some(note) => format!("no release migrates it: patch the calls; {note}"),
            None => "no release migrates it: patch the calls".to_string(),
        },
    };
    format!("{} {in_use}; {what}", sdk.name)
}

/// Hits in a manifest, lockfile or vendored copy.
pub fn detect(kind: Kind, path: &Path, text: &str, hits: &mut Vec<Hit>) {
    match kind {
        Kind::Isdk => return isdk(text, hits),
        Kind::PhpSdkSource => return php_sdk_source(text, hits),
        _ => {}
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    if kind.is_lock()
        && manifests_of(path, kind)
            .iter()
            .any(|m| dir.join(m).is_file())
    {
        return;
    }
    let locks = locked_beside(path, kind);
    for dep in dependencies(kind, text) {
        let locked = locks.iter().find(|l| std::ptr::eq(l.sdk, dep.sdk));
        let lock_name = locks_of(kind)
            .iter()
            .copied()
            .find(|l| dir.join(l).is_file())
            .unwrap_or("lockfile");
        let verdict = verdict(&dep, locked);
        if verdict == Verdict::Migrated {
            continue;
        }
        let from = if kind.is_lock() {
            None
        } else {
            locked.map(|l| (l, lock_name))
        };
        hits.push(Hit::new(LEGACY_SDK, dep.span.clone()).detail(detail(&dep, from, &verdict)));
    }
}

static ISDK_VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^[\s*/#]*@iSDKVersion\s+(?P<v>[\w.]+)").unwrap());

/// The old iSDK names its version in its header (`@iSDKVersion 1.8.6`).
fn isdk(text: &str, hits: &mut Vec<Hit>) {
    let Some(caps) = ISDK_VERSION.captures(text) else {
        return;
    };
    let sdk = sdk(Ecosystem::Composer, "infusionsoft/php-isdk").expect("the iSDK is in the facts");
    let span = caps.get(0).expect("the match").range();
    let span = span.end - caps["v"].len() - "@iSDKVersion ".len()..span.end;
    hits.push(Hit::new(LEGACY_SDK, span).detail(format!(
        "{} {} in use, a copy in this file; no release migrates it: patch the calls, which keap-migrate diff does in this file",
        sdk.name, &caps["v"]
    )));
}

static SDK_CLASS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*class\s+Infusionsoft\b").unwrap());
static TOKEN_IN_QUERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"http_build_query\(\s*(?:array\(|\[)\s*'access_token'\s*=>\s*\$token->getAccessToken\(\)",
    )
    .unwrap()
});

/// A copy of infusionsoft/php-sdk's main class (a vendored tree): before 1.6.0 it puts the access
/// token in the URL; 1.6.0 sends the key headers instead.
fn php_sdk_source(text: &str, hits: &mut Vec<Hit>) {
    if !text.contains("namespace Infusionsoft;") || text.contains("X-Keap-API-Key") {
        return;
    }
    let (Some(class), true) = (SDK_CLASS.find(text), TOKEN_IN_QUERY.is_match(text)) else {
        return;
    };
    let sdk = sdk(Ecosystem::Composer, PHP_SDK).expect("the PHP SDK is in the facts");
    let span = class.range();
    let span = span.end - "class Infusionsoft".len()..span.end;
    hits.push(Hit::new(LEGACY_SDK, span).detail(format!(
        "{} before {} in use, a copy whose code sends the access token in the URL; first release that migrates it: {}: replace the copy",
        sdk.name,
        sdk.fixed.as_deref().unwrap_or("?"),
        sdk.fixed.as_deref().unwrap_or("?"),
    )));
}

/// The `setToken(new Token(['access_token' => $key]))` of code that hands a Keap key to
/// infusionsoft/php-sdk as an OAuth token: before 1.6.0 it travels in the URL.
pub fn detect_php(text: &str, hits: &mut Vec<Hit>) {
    if !text.contains("setToken") || !text.contains("Infusionsoft") {
        return;
    }
    let Some(tree) = super::php::parse(text) else {
        return;
    };
    for site in token_sites(text, tree.root_node()) {
        if site.literal {
            let inner = site.value.start + 1..site.value.end - 1;
            hits.push(Hit::new(HARDCODED_KEY, inner.clone()).secret(inner));
        }
        hits.push(Hit::new(LEGACY_SDK, site.call.clone()).detail(
            "infusionsoft/php-sdk gets a Keap key as an OAuth token, which releases before 1.6.0 send in the URL; 1.6.0 takes it as 'apikey' and sends X-Keap-API-Key",
        ));
    }
}

/// A `$client->setToken(new Token([... 'access_token' => KEY ...]))` call.
#[derive(Clone, Debug)]
pub struct TokenSite {
    /// The whole `setToken(...)` call.
    pub call: Range<usize>,
    /// The receiver, as written (`$infusionsoft`, `$this->ifs`).
    pub receiver: String,
    /// The key expression.
    pub value: Range<usize>,
    /// The key is a literal (quoted).
    pub literal: bool,
}

pub fn token_sites(text: &str, root: Node) -> Vec<TokenSite> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
        if node.kind() != "member_call_expression"
            || node
                .child_by_field_name("name")
                .map(|n| &text[n.byte_range()])
                != Some("setToken")
        {
            continue;
        }
        let Some(receiver) = node.child_by_field_name("object") else {
            continue;
        };
        let args = super::php::arguments(node);
        let Some(token) = args.first().filter(|a| {
            a.kind() == "object_creation_expression" && super::php::callee(text, **a) == "token"
        }) else {
            continue;
        };
        let Some(array) = super::php::arguments(*token)
            .first()
            .copied()
            .filter(|a| super::php::is_array(*a))
        else {
            continue;
        };
        let mut cursor = array.walk();
        for element in array.named_children(&mut cursor) {
            let mut c = element.walk();
            let parts: Vec<Node> = element.named_children(&mut c).collect();
            let [key, value] = parts[..] else {
                continue;
            };
            if super::php::plain_literal(text, key) != Some("access_token") {
                continue;
            }
            let src = &text[value.byte_range()];
            let class = classify_first_param(src, false);
            if matches!(class, FirstParam::Key | FirstParam::LiteralKey) {
                out.push(TokenSite {
                    call: node.byte_range(),
                    receiver: text[receiver.byte_range()].to_string(),
                    value: value.byte_range(),
                    literal: class == FirstParam::LiteralKey,
                });
            }
        }
    }
    out.sort_by_key(|s| s.call.start);
    out
}

// --- the file formats ---

/// `"key": "value"` in JSON text, the value's content range; `from` bounds the search.
fn json_pair(
    text: &str,
    key: &str,
    value: &str,
    from: usize,
) -> Option<(Range<usize>, Range<usize>)> {
    let re = Regex::new(&format!(
        r#""{}"\s*:\s*"({})""#,
        // Composer may write `/` as `\/`.
        regex::escape(key).replace('/', r"\\?/"),
        regex::escape(value)
    ))
    .ok()?;
    let caps = re.captures(&text[from..])?;
    let whole = caps.get(0)?.range();
    let inner = caps.get(1)?.range();
    Some((
        from + whole.start..from + whole.end,
        from + inner.start..from + inner.end,
    ))
}

const COMPOSER_SECTIONS: &[&str] = &["require", "require-dev"];

fn composer_json(text: &str) -> Vec<Dependency> {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in COMPOSER_SECTIONS {
        let Some(reqs) = doc.get(section).and_then(Value::as_object) else {
            continue;
        };
        let start = text.find(&format!("\"{section}\"")).unwrap_or(0);
        for (name, constraint) in reqs {
            let (Some(sdk), Some(c)) = (sdk(Ecosystem::Composer, name), constraint.as_str()) else {
                continue;
            };
            let Some((span, inner)) = json_pair(text, name, c, start) else {
                continue;
            };
            out.push(Dependency {
                sdk,
                span,
                constraint: Some((c.to_string(), inner)),
                version: None,
                time: None,
            });
        }
    }
    out
}

fn composer_lock(text: &str) -> Vec<Dependency> {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    // composer.lock and Composer 2's installed.json have lists under keys; Composer 1's
    // installed.json is the list.
    let lists: Vec<&Value> = match &doc {
        Value::Array(_) => vec![&doc],
        _ => ["packages", "packages-dev"]
            .iter()
            .filter_map(|k| doc.get(k))
            .collect(),
    };
    let mut out = Vec::new();
    for package in lists.into_iter().filter_map(Value::as_array).flatten() {
        let (Some(name), Some(version)) = (
            package.get("name").and_then(Value::as_str),
            package.get("version").and_then(Value::as_str),
        ) else {
            continue;
        };
        let Some(sdk) = sdk(Ecosystem::Composer, name) else {
            continue;
        };
        let Some((named, _)) = json_pair(text, "name", name, 0) else {
            continue;
        };
        let Some((span, _)) = json_pair(text, "version", version, named.end) else {
            continue;
        };
        out.push(Dependency {
            sdk,
            span,
            constraint: None,
            version: Some(version.to_string()),
            time: package
                .get("time")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    }
    out
}

/// Line starts and their text, skipping comment lines in `#` syntaxes.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = at;
        at += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

static GEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*gem\s*\(?\s*['"](?P<name>[\w.-]+)['"](?:\s*,\s*['"](?P<c>[^'"]+)['"])?"#)
        .unwrap()
});

fn gemfile(text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    for (start, line) in lines(text) {
        let Some(caps) = GEM.captures(line) else {
            continue;
        };
        let Some(sdk) = sdk(Ecosystem::Rubygems, &caps["name"]) else {
            continue;
        };
        let name = caps.name("name").expect("the name group");
        out.push(Dependency {
            sdk,
            span: start + name.start() - 1..start + caps.get(0).expect("the match").end(),
            constraint: caps
                .name("c")
                .map(|c| (c.as_str().to_string(), start + c.start()..start + c.end())),
            version: None,
            time: None,
        });
    }
    out
}

static GEM_SPEC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^    (?P<name>[\w.-]+) \((?P<v>[^)]+)\)$").unwrap());

fn gemfile_lock(text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    for (start, line) in lines(text) {
        let Some(caps) = GEM_SPEC.captures(line) else {
            continue;
        };
        let Some(sdk) = sdk(Ecosystem::Rubygems, &caps["name"]) else {
            continue;
        };
        out.push(Dependency {
            sdk,
            span: start + 4..start + line.len(),
            constraint: None,
            version: Some(caps["v"].to_string()),
            time: None,
        });
    }
    out
}

const NPM_SECTIONS: &[&str] = &[
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
];

/// `npm:infusionsoft-api@^0.6.0` (an alias): the real name and its range.
fn npm_alias(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix("npm:")?;
    let at = rest[1..].find('@').map(|i| i + 1);
    Some(match at {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, "*"),
    })
}

fn package_json(text: &str) -> Vec<Dependency> {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in NPM_SECTIONS {
        let Some(deps) = doc.get(section).and_then(Value::as_object) else {
            continue;
        };
        let start = text.find(&format!("\"{section}\"")).unwrap_or(0);
        for (key, value) in deps {
            let Some(value) = value.as_str() else {
                continue;
            };
            let (name, range) = npm_alias(value).unwrap_or((key, value));
            let Some(sdk) = sdk(Ecosystem::Npm, name) else {
                continue;
            };
            let Some((span, inner)) = json_pair(text, key, value, start) else {
                continue;
            };
            let range_at = inner.end - range.len()..inner.end;
            out.push(Dependency {
                sdk,
                span,
                constraint: Some((range.to_string(), range_at)),
                version: None,
                time: None,
            });
        }
    }
    out
}

fn package_lock(text: &str) -> Vec<Dependency> {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // v2 and v3 list every installed path under "packages"; v1 nests "dependencies".
    let entries = doc
        .get("packages")
        .or_else(|| doc.get("dependencies"))
        .and_then(Value::as_object);
    for (key, entry) in entries.into_iter().flatten() {
        let Some(version) = entry.get("version").and_then(Value::as_str) else {
            continue;
        };
        let installed_as = key.rsplit("node_modules/").next().unwrap_or(key);
        let (alias_name, version_only) = match npm_alias(version) {
            Some((n, v)) => (Some(n), v),
            None => (None, version),
        };
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .or(alias_name)
            .unwrap_or(installed_as);
        let Some(sdk) = sdk(Ecosystem::Npm, name) else {
            continue;
        };
        let Some(at) = text.find(&format!("\"{key}\"")) else {
            continue;
        };
        let Some((span, _)) = json_pair(text, "version", version, at) else {
            continue;
        };
        out.push(Dependency {
            sdk,
            span,
            constraint: None,
            version: Some(version_only.to_string()),
            time: None,
        });
    }
    out
}

static YARN_VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s+version:?\s+"?(?P<v>[^"\s]+)"?"#).unwrap());

fn yarn_lock(text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut current: Option<&'static Sdk> = None;
    for (start, line) in lines(text) {
        if !line.starts_with([' ', '#']) && line.ends_with(':') {
            // `infusionsoft-api@^0.6.0, infusionsoft-api@~0.5.0:` or an alias
            // `"keap@npm:infusionsoft-api@^0.6.0":`.
            current = line.trim_end_matches(':').split(", ").find_map(|spec| {
                let spec = spec.trim_matches('"');
                let after = spec.split_once("@npm:").map_or(spec, |(_, real)| real);
                let at = after[1..].find('@').map_or(after.len(), |i| i + 1);
                sdk(Ecosystem::Npm, &after[..at])
            });
            continue;
        }
        if let (Some(sdk), Some(caps)) = (current, YARN_VERSION.captures(line)) {
            let v = caps.name("v").expect("the version group");
            let version = npm_alias(v.as_str()).map_or(v.as_str(), |(_, v)| v);
            out.push(Dependency {
                sdk,
                span: start + line.len() - line.trim_start().len()..start + line.len(),
                constraint: None,
                version: Some(version.to_string()),
                time: None,
            });
            current = None;
        }
    }
    out
}

static PY_REQUIREMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<c>(?:[<>=!~]=?|===)\s*[^;#\s]+(?:\s*,\s*[<>=!~]=?\s*[^;#\s,]+)*)?").unwrap()
});
static GIT_REPO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)github\.com[/:](?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?(?:[@#/]|$)").unwrap()
});

/// A constraint as written and its bytes.
type Constraint = Option<(String, Range<usize>)>;

/// One requirement string (PEP 508, or a URL): its SDK, the name's range, the constraint.
fn py_requirement(req: &str) -> Option<(&'static Sdk, Range<usize>, Constraint)> {
    if let Some(caps) = GIT_REPO.captures(req) {
        let repo = caps["repo"].to_ascii_lowercase();
        let sdk = SDKS
            .iter()
            .find(|s| s.ecosystem == Ecosystem::Pypi && s.git.contains(&repo));
        if let Some(sdk) = sdk {
            return Some((sdk, 0..req.len(), None));
        }
    }
    let caps = PY_REQUIREMENT.captures(req)?;
    let name = caps.name("name")?;
    let sdk = sdk(Ecosystem::Pypi, name.as_str())?;
    let constraint = caps.name("c").map(|c| (c.as_str().to_string(), c.range()));
    let end = constraint.as_ref().map_or(name.end(), |c| c.1.end);
    Some((sdk, name.start()..end, constraint))
}

/// The pinned version of `==1.5.1`.
fn py_pin(constraint: &Option<(String, Range<usize>)>) -> Option<String> {
    let c = constraint.as_ref()?.0.trim();
    let pin = c
        .strip_prefix("===")
        .or_else(|| c.strip_prefix("=="))?
        .trim();
    (!pin.contains([',', '*'])).then(|| pin.to_string())
}

fn requirements(text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    for (start, line) in lines(text) {
        let body = line.split(" #").next().unwrap_or(line);
        let trimmed = body.trim_start();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let lead = body.len() - trimmed.len();
        // `-e git+https://…`: the editable flag is not part of the requirement.
        let (req, skip) = match trimmed
            .strip_prefix("-e ")
            .or_else(|| trimmed.strip_prefix("--editable "))
        {
            Some(r) => (r.trim_start(), trimmed.len() - r.trim_start().len()),
            None if trimmed.starts_with('-') => continue,
            None => (trimmed, 0),
        };
        let Some((sdk, span, constraint)) = py_requirement(req) else {
            continue;
        };
        let at = start + lead + skip;
        let version = py_pin(&constraint);
        out.push(Dependency {
            sdk,
            span: at + span.start..at + span.end,
            constraint: constraint.map(|(c, r)| (c, at + r.start..at + r.end)),
            version,
            time: None,
        });
    }
    out
}

static TOML_STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""(?P<s>[^"\n]+)"|'(?P<t>[^'\n]+)'"#).unwrap());
static POETRY_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*=\s*(?:"(?P<c>[^"]*)"|\{(?P<table>[^}]*)\})"#,
    )
    .unwrap()
});

/// PEP 621 dependency strings and Poetry's and Pipfile's `name = "^1.5"` tables, line by line,
/// only where a table or array lists dependencies (not Poetry's `packages = [{include = …}]`).
fn pyproject(text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut section = String::new();
    // The key of the array being read, across lines (`dependencies = [`).
    let mut array: Option<String> = None;
    for (start, line) in lines(text) {
        let code = line.split(" #").next().unwrap_or(line);
        let trimmed = code.trim();
        if trimmed.starts_with('#') {
            continue;
        }
        if trimmed.starts_with('[') && !trimmed.starts_with("[\"") && trimmed.ends_with(']') {
            section = trimmed.trim_matches(['[', ']']).trim().to_ascii_lowercase();
            array = None;
            continue;
        }
        let key = trimmed
            .split_once('=')
            .map(|(k, _)| k.trim().trim_matches(['"', '\'']).to_ascii_lowercase());
        if let Some(k) = &key {
            if trimmed.contains('[') && !trimmed.contains(']') {
                array = Some(k.clone());
            }
        }
        let listing_key = array.as_deref().or(key.as_deref()).unwrap_or_default();
        let tables = section.ends_with("dependencies") || section.ends_with("packages");
        let listed = tables
            || (section == "project" && listing_key == "dependencies")
            || (section == "build-system" && listing_key == "requires");
        if trimmed.ends_with(']') && !trimmed.contains('[') {
            array = None;
        }
        if !listed {
            continue;
        }
        if let Some(caps) = POETRY_KEY.captures(code) {
            let name = caps.name("name").expect("the name group");
            let table = caps.name("table").map(|t| t.as_str());
            // A package installed from a repository or a path is what its source says, not
            // whatever PyPI serves under its name (`infusionsoft = {git = "…/Official-API…"}`):
            // the name counts only where that SDK lives in the repository named.
            let source = table.filter(|t| {
                ["git", "path", "url", "file"]
                    .iter()
                    .any(|k| t.trim_start().starts_with(k) || t.contains(&format!(", {k}")))
            });
            let by_name = sdk(Ecosystem::Pypi, name.as_str()).filter(|s| {
                source.is_none_or(|t| {
                    s.git.iter().any(|repo| {
                        t.to_ascii_lowercase()
                            .contains(&format!("github.com/{repo}"))
                    })
                })
            });
            let by_git = table.and_then(|t| py_requirement(t).map(|r| r.0));
            if let Some(sdk) = by_name.or(by_git) {
                let constraint = caps
                    .name("c")
                    .map(|c| (c.as_str().to_string(), start + c.start()..start + c.end()));
                out.push(Dependency {
                    sdk,
                    span: start + name.start()..start + caps.get(0).expect("the match").end(),
                    version: py_pin(&constraint),
                    constraint,
                    time: None,
                });
                continue;
            }
        }
        for caps in TOML_STRING.captures_iter(code) {
            let Some(s) = caps.name("s").or_else(|| caps.name("t")) else {
                continue;
            };
            let Some((sdk, span, constraint)) = py_requirement(s.as_str()) else {
                continue;
            };
            let at = start + s.start();
            let constraint = constraint.map(|(c, r)| (c, at + r.start..at + r.end));
            out.push(Dependency {
                sdk,
                span: at + span.start..at + span.end,
                version: py_pin(&constraint),
                constraint,
                time: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s)
    }

    #[test]
    fn the_facts_parse_and_every_sdk_cites_a_source() {
        assert!(SDKS.len() >= 6);
        for sdk in SDKS.iter() {
            assert!(sdk.source.starts_with("https://"), "{}", sdk.name);
            if let Some(usage) = &sdk.usage {
                Regex::new(usage).unwrap();
            }
        }
    }

    #[test]
    fn versions_compare_by_their_numbers() {
        assert!(v("1.5.5") < v("1.6.0"));
        assert!(v("v1.6") == v("1.6.0.0"));
        assert!(v("1.10.0") > v("1.9.9"));
        assert!(v("1.6.0-beta") == v("1.6.0"));
    }

    #[test]
    fn the_lowest_version_a_constraint_allows() {
        let low = |c| lowest(c).map(|v| v.0);
        assert_eq!(low("^1.5"), Some(vec![1, 5]));
        assert_eq!(low("~1.4"), Some(vec![1, 4]));
        assert_eq!(low("1.5.*"), Some(vec![1, 5]));
        assert_eq!(low(">=1.4 <1.6"), Some(vec![1, 4]));
        assert_eq!(low("^1.4 || ^1.6"), Some(vec![1, 4]));
        assert_eq!(low("1.5.5 as 1.6.0"), Some(vec![1, 5, 5]));
        assert_eq!(low("~> 1.3"), Some(vec![1, 3]));
        assert_eq!(low(">=1.4,<2"), Some(vec![1, 4]));
        assert_eq!(low("dev-master"), None);
    }

    #[test]
    fn aliases_name_the_real_package() {
        assert_eq!(
            npm_alias("npm:infusionsoft-api@^0.6.0"),
            Some(("infusionsoft-api", "^0.6.0"))
        );
        assert_eq!(npm_alias("npm:@scope/x@1"), Some(("@scope/x", "1")));
        assert_eq!(
            normalise(Ecosystem::Pypi, "Infusionsoft_Client"),
            "infusionsoft-client"
        );
    }
}
