//! Rules are data: `rules/*.toml`, embedded at build time, plus any `--rules DIR` a user adds.
//! Each rule carries its keywords (for the prefilter), its fallback patterns and its own samples.
use std::{
    collections::{HashMap, HashSet},
    fs,
    path::Path,
    sync::OnceLock,
};

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::{
    error::{Error, Result},
    finding::{redact, Severity},
    literals::Literals,
};

pub const LEGACY_ENDPOINT: &str = "legacy-endpoint";
pub const MORTGAGEPRO_ENDPOINT: &str = "mortgagepro-endpoint";
pub const KEY_IN_BODY: &str = "key-in-body";
pub const HARDCODED_KEY: &str = "hardcoded-key";
pub const TOKEN_IN_URL: &str = "token-in-url";
pub const VENDOR_LOGIN: &str = "legacy-vendor-login";
pub const MISSING_AUTH: &str = "missing-auth";
pub const LEGACY_SDK: &str = "legacy-sdk";
pub const LEGACY_LIBRARY: &str = "legacy-library";

/// The rule ids the structural detectors emit; the built-in rule set must define each.
pub const BUILTIN_IDS: &[&str] = &[
    LEGACY_ENDPOINT,
    MORTGAGEPRO_ENDPOINT,
    KEY_IN_BODY,
    HARDCODED_KEY,
    TOKEN_IN_URL,
    VENDOR_LOGIN,
    MISSING_AUTH,
    LEGACY_SDK,
    LEGACY_LIBRARY,
];

const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/rules.rs"));

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub help: String,
    /// SARIF `properties.tags`, which code scanning filters by (`security` always among them).
    #[serde(default)]
    pub tags: Vec<String>,
    /// How often a finding is right: SARIF `precision`, which code scanning sorts by.
    #[serde(default)]
    pub precision: Precision,
    /// GitHub's score for security alerts, 0.0 to 10.0 (9.0 and over is critical); by default
    /// one that matches the severity.
    #[serde(default, rename = "security-severity")]
    pub security_severity: Option<f32>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Keywords matched only with their case (`Service.` of `ContactService.add`, where
    /// `service.` is in every other JavaScript file).
    #[serde(default, rename = "exact-keywords")]
    pub exact_keywords: Vec<String>,
    #[serde(default, rename = "pattern")]
    pub patterns: Vec<PatternDef>,
    #[serde(default, rename = "sample")]
    pub samples: Vec<Sample>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    VeryHigh,
    High,
    #[default]
    Medium,
    Low,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::VeryHigh => "very-high",
            Precision::High => "high",
            Precision::Medium => "medium",
            Precision::Low => "low",
        }
    }
}

impl Rule {
    /// The rule's tags for SARIF: its own, after `security`.
    pub fn sarif_tags(&self) -> Vec<&str> {
        let mut tags = vec!["security"];
        tags.extend(
            self.tags
                .iter()
                .map(String::as_str)
                .filter(|t| *t != "security"),
        );
        tags
    }

    /// `security-severity` as GitHub reads it: a number in a string.
    pub fn security_severity(&self) -> String {
        let score = self.security_severity.unwrap_or(match self.severity {
            Severity::Error => 7.5,
            Severity::Warning => 5.0,
            Severity::Note => 2.0,
        });
        format!("{score:.1}")
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternDef {
    pub regex: String,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default)]
    pub context: Context,
    #[serde(default)]
    pub filter: Option<Filter>,
}

/// Where a pattern runs: only in files that no structural detector parses, or in every file.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    #[default]
    Fallback,
    All,
}

/// What else the file must hold for a pattern's match to count.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Context {
    #[default]
    None,
    /// The file talks to Keap: a Keap name, host or service call.
    Keap,
    /// The file names an `*.infusionsoft.com` host.
    EndpointHost,
}

/// A named check in code for what a regex cannot say.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Filter {
    /// `method` must take the app key first and `arg` must be a key, not a placeholder or token.
    KeyArgument,
    /// The match is a wrapper that prepends the key to every call: the file's call sites then
    /// count only where their first argument plainly is a key.
    Wrapper,
    /// The `name` the value is bound to must not say it holds a hash (`cacheKey`, `md5_key`).
    KeyName,
    /// The file must send no key header at all, and the URL carry no token: a client on the
    /// new endpoint that sends neither cannot authenticate.
    NoKeyHeader,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub file: String,
    pub code: String,
    pub findings: usize,
}

pub struct Pattern {
    pub rule: usize,
    source: String,
    /// Built on first use: most files reach no pattern, and building every pattern was most
    /// of a run's fixed start. Patterns of rules a user adds are built when they load.
    built: OnceLock<Regex>,
    pub scope: Scope,
    pub context: Context,
    pub filter: Option<Filter>,
}

impl Pattern {
    pub fn regex(&self) -> &Regex {
        self.built.get_or_init(|| {
            build_pattern(&self.source).expect("patterns are checked when their rules load")
        })
    }
}

/// Code is ASCII where the patterns look, so a pattern's `\w`, `\d`, `\s` and `\b` are
/// ASCII: Unicode's `\w` is hundreds of ranges (a pattern built in a millisecond, most of a
/// run's fixed start) and a Unicode `\b` turns the fast engines off on any non-ASCII text.
/// Without Unicode at all a pattern also folds case in ASCII; one that could then match half a
/// character (`[^<]`) keeps Unicode for the rest.
pub fn build_pattern(source: &str) -> std::result::Result<Regex, regex::Error> {
    match RegexBuilder::new(source).unicode(false).build() {
        Ok(regex) => Ok(regex),
        Err(_) => Regex::new(&with_ascii_classes(source)),
    }
}

/// What `build_pattern` builds, as the regex crate's syntax tree.
fn pattern_hir(source: &str) -> Option<regex_syntax::hir::Hir> {
    let ascii = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .build()
        .parse(source);
    match ascii {
        Ok(hir) => Some(hir),
        Err(_) => regex_syntax::Parser::new()
            .parse(&with_ascii_classes(source))
            .ok(),
    }
}

fn with_ascii_classes(source: &str) -> String {
    match regex_syntax::ast::parse::Parser::new().parse(source) {
        Ok(mut ast) => {
            make_ascii(&mut ast);
            let mut ascii = String::new();
            regex_syntax::ast::print::Printer::new()
                .print(&ast, &mut ascii)
                .expect("printing to a String");
            ascii
        }
        Err(_) => source.to_string(),
    }
}

/// `\w`, `\d`, `\s` made their ASCII classes and word boundaries put in `(?-u:…)`, in place
/// (an `Ast` cannot be taken apart: it has its own `Drop`).
fn make_ascii(ast: &mut regex_syntax::ast::Ast) {
    use regex_syntax::ast::{
        Ast, ClassBracketed, ClassSet, ClassSetItem, Flag, Flags, FlagsItem, FlagsItemKind, Group,
        GroupKind,
    };
    match ast {
        Ast::ClassPerl(p) => {
            *ast = Ast::class_bracketed(ClassBracketed {
                span: p.span,
                negated: false,
                kind: ClassSet::Item(ClassSetItem::Ascii(ascii_class(p))),
            })
        }
        Ast::ClassBracketed(c) => make_set_ascii(&mut c.kind),
        Ast::Assertion(a) if is_word_look(&a.kind) => {
            let span = a.span;
            let item = |kind| FlagsItem { span, kind };
            *ast = Ast::group(Group {
                span,
                kind: GroupKind::NonCapturing(Flags {
                    span,
                    items: vec![
                        item(FlagsItemKind::Negation),
                        item(FlagsItemKind::Flag(Flag::Unicode)),
                    ],
                }),
                ast: Box::new(Ast::Assertion(a.clone())),
            })
        }
        Ast::Repetition(r) => make_ascii(&mut r.ast),
        Ast::Group(g) => make_ascii(&mut g.ast),
        Ast::Alternation(a) => a.asts.iter_mut().for_each(make_ascii),
        Ast::Concat(c) => c.asts.iter_mut().for_each(make_ascii),
        _ => {}
    }
}

fn make_set_ascii(set: &mut regex_syntax::ast::ClassSet) {
    use regex_syntax::ast::{ClassSet, ClassSetItem};
    fn item(i: &mut ClassSetItem) {
        match i {
            ClassSetItem::Perl(p) => *i = ClassSetItem::Ascii(ascii_class(p)),
            ClassSetItem::Bracketed(b) => make_set_ascii(&mut b.kind),
            ClassSetItem::Union(u) => u.items.iter_mut().for_each(item),
            _ => {}
        }
    }
    match set {
        ClassSet::Item(i) => item(i),
        ClassSet::BinaryOp(op) => {
            make_set_ascii(&mut op.lhs);
            make_set_ascii(&mut op.rhs);
        }
    }
}

fn ascii_class(p: &regex_syntax::ast::ClassPerl) -> regex_syntax::ast::ClassAscii {
    use regex_syntax::ast::{ClassAscii, ClassAsciiKind, ClassPerlKind};
    ClassAscii {
        span: p.span,
        kind: match p.kind {
            ClassPerlKind::Digit => ClassAsciiKind::Digit,
            ClassPerlKind::Space => ClassAsciiKind::Space,
            ClassPerlKind::Word => ClassAsciiKind::Word,
        },
        negated: p.negated,
    }
}

fn is_word_look(kind: &regex_syntax::ast::AssertionKind) -> bool {
    use regex_syntax::ast::AssertionKind::*;
    !matches!(kind, StartLine | EndLine | StartText | EndText)
}

pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub patterns: Vec<Pattern>,
    prefilter: Literals,
    /// Per pattern, the literals one of which its every match holds: built on first use.
    needs: OnceLock<Needs>,
}

struct Needs {
    literals: Literals,
    /// Per pattern, its literals' places in `literals`, or `None` when none is known.
    of_pattern: Vec<Option<Vec<usize>>>,
}

impl RuleSet {
    /// The built-in rules plus the rules of each extra directory, less the disabled ids.
    pub fn load(extra_dirs: &[impl AsRef<Path>], disabled: &[String]) -> Result<Self> {
        let mut rules: Vec<(String, Rule)> = Vec::new();
        for (file, text) in EMBEDDED {
            rules.push((file.to_string(), parse(file, text)?));
        }
        // The same directory named twice (config file and flag) is read once.
        let mut dirs_seen = HashSet::new();
        for dir in extra_dirs {
            let dir = dir.as_ref();
            if !dirs_seen.insert(fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?) {
                continue;
            }
            let mut files: Vec<_> = fs::read_dir(dir)
                .map_err(|e| Error::io(dir, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            files.sort();
            for file in files {
                let text = fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
                let name = file.display().to_string();
                rules.push((name.clone(), parse(&name, &text)?));
            }
        }
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (file, rule) in &rules {
            if let Some(first) = seen.insert(&rule.id, file) {
                return Err(Error::Rule {
                    file: file.clone(),
                    message: format!("rule `{}` is already defined by {first}", rule.id),
                });
            }
        }
        if let Some(id) = disabled.iter().find(|id| !seen.contains_key(id.as_str())) {
            return Err(Error::Usage(format!("no rule `{}` to disable", redact(id))));
        }
        // The embedded rules come first.
        let (rules, builtin): (Vec<Rule>, Vec<bool>) = rules
            .into_iter()
            .enumerate()
            .map(|(i, (_, r))| (r, i < EMBEDDED.len()))
            .filter(|(r, _)| !disabled.contains(&r.id))
            .unzip();
        Self::build(rules, &builtin)
    }

    fn build(rules: Vec<Rule>, builtin: &[bool]) -> Result<Self> {
        let mut patterns = Vec::new();
        for (i, (rule, builtin)) in rules.iter().zip(builtin).enumerate() {
            for def in &rule.patterns {
                let pattern = Pattern {
                    rule: i,
                    source: def.regex.clone(),
                    built: OnceLock::new(),
                    scope: def.scope,
                    context: def.context,
                    filter: def.filter,
                };
                // The built-in patterns are built by the test suite; a user's are built now,
                // so that one which does not build is an error before the scan, not in it.
                if !builtin {
                    let built = build_pattern(&def.regex).map_err(|e| Error::Rule {
                        file: rule.id.clone(),
                        message: e.to_string(),
                    })?;
                    let _ = pattern.built.set(built);
                }
                patterns.push(pattern);
            }
        }
        // Files with an inline-ignore directive pass too, so unused directives get reported.
        let keywords: Vec<&str> = rules
            .iter()
            .flat_map(|r| r.keywords.iter().map(String::as_str))
            .chain([crate::ignore_comments::MARKER])
            .collect();
        let exact: Vec<&str> = rules
            .iter()
            .flat_map(|r| r.exact_keywords.iter().map(String::as_str))
            .collect();
        let (keywords, exact) = fewest_keywords(keywords, exact);
        let prefilter = Literals::new(
            keywords.into_iter().map(str::as_bytes),
            exact.into_iter().map(str::as_bytes),
        )
        .map_err(|e| Error::Rule {
            file: "keywords".into(),
            message: e.to_string(),
        })?;
        Ok(RuleSet {
            rules,
            patterns,
            prefilter,
            needs: OnceLock::new(),
        })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.index(id).map(|i| &self.rules[i])
    }

    /// The rule's place in `rules`: a small number to compare instead of its id.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }

    /// Whether the file can hold a finding or an ignore directive at all.
    pub fn prefilter(&self, bytes: &[u8]) -> bool {
        self.prefilter.any(bytes)
    }

    /// Per pattern, whether it can match in `text` at all: one search for the literals the
    /// patterns need, where each pattern would read the whole file (a megabyte of minified
    /// JavaScript that says `Service.` once).
    pub fn may_match(&self, text: &str) -> Vec<bool> {
        let needs = self.needs.get_or_init(|| {
            let mut all: Vec<Vec<u8>> = Vec::new();
            let of_pattern = self
                .patterns
                .iter()
                .map(|p| {
                    let set = crate::literals::required(&pattern_hir(&p.source)?)?;
                    Some(
                        set.into_iter()
                            .map(|l| match all.iter().position(|a| *a == l) {
                                Some(i) => i,
                                None => {
                                    all.push(l);
                                    all.len() - 1
                                }
                            })
                            .collect(),
                    )
                })
                .collect();
            let literals =
                Literals::new(all.iter().map(Vec::as_slice), []).expect("literals always build");
            Needs {
                literals,
                of_pattern,
            }
        });
        let present = needs.literals.present(text.as_bytes());
        needs
            .of_pattern
            .iter()
            .map(|of| of.as_ref().is_none_or(|ls| ls.iter().any(|&l| present[l])))
            .collect()
    }
}

/// The keywords a file must hold one of, less those that hold another (`infusionsoft.com` holds
/// `infusionsoft`) up to case: the file passes as well without them, and past 32 literals the
/// search takes a twice slower engine.
fn fewest_keywords<'a>(folded: Vec<&'a str>, exact: Vec<&'a str>) -> (Vec<&'a str>, Vec<&'a str>) {
    let lower = |s: &str| s.to_ascii_lowercase();
    let mut kept: Vec<&str> = Vec::new();
    for k in &folded {
        let redundant = folded
            .iter()
            .any(|other| other.len() < k.len() && lower(k).contains(&lower(other)))
            || kept.iter().any(|other| lower(other) == lower(k));
        if !redundant {
            kept.push(k);
        }
    }
    let exact = exact
        .into_iter()
        .filter(|e| !kept.iter().any(|k| lower(e).contains(&lower(k))))
        .collect();
    (kept, exact)
}

fn parse(file: &str, text: &str) -> Result<Rule> {
    let rule: Rule = toml::from_str(text).map_err(|e| Error::Rule {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    if rule
        .security_severity
        .is_some_and(|s| !(0.0..=10.0).contains(&s))
    {
        return Err(Error::Rule {
            file: file.to_string(),
            message: "security-severity is a score from 0.0 to 10.0".into(),
        });
    }
    if rule.keywords.is_empty() && rule.exact_keywords.is_empty() {
        return Err(Error::Rule {
            file: file.to_string(),
            message: "a rule needs at least one keyword for the prefilter".into(),
        });
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    #[test]
    fn keywords_that_hold_another_are_left_out() {
        let (kept, exact) = super::fewest_keywords(
            vec![
                "infusionsoft.com",
                "Infusionsoft",
                "KeapAK-",
                "keap",
                "infusionsoft",
                "xmlrpc",
            ],
            vec!["Service.", "KEAPService."],
        );
        assert_eq!(kept, ["Infusionsoft", "keap", "xmlrpc"]);
        assert_eq!(exact, ["Service."]);
    }

    use super::{build_pattern, RuleSet};

    #[test]
    fn every_built_in_pattern_builds() {
        // They are built on first use, where a failure could only panic.
        let rules = RuleSet::load(&[] as &[&str], &[]).unwrap();
        assert!(!rules.patterns.is_empty());
        for p in &rules.patterns {
            assert!(build_pattern(&p.source).is_ok(), "{}", p.source);
        }
        assert!(build_pattern("(unclosed").is_err());
    }

    #[test]
    fn patterns_read_ascii_classes() {
        let unicode = |p: &str| regex::Regex::new(p).unwrap();
        let cases = [
            r"(?i)\bisdk\b|\bkey=(?P<k>\w+)",
            r"['\x22](?P<m>[A-Z]\w*Service\.\w+)['\x22][^<]*?\s*[\w.-]+",
            r"[^\s/][\W\d]\B(?:a\b|[[:alpha:]\S&&\w])",
        ];
        for p in cases {
            let ascii = build_pattern(p).unwrap();
            for text in [
                "new iSDK() key=ab_9",
                "x('DataService.query' é, a.b-c)",
                "q-1 a é",
                "mykey=x isdkx",
                "",
            ] {
                assert_eq!(
                    ascii.is_match(text),
                    unicode(p).is_match(text),
                    "{p} on {text}"
                );
            }
        }
        // Where they differ: `é` is no word character, and `[^<]` still takes it whole.
        let p = build_pattern(r"^\w+$").unwrap();
        assert!(!p.is_match("clé") && p.is_match("cle_9"));
        let p = build_pattern(r"<a>([^<]*)\b<").unwrap();
        assert_eq!(&p.captures("<a>clé1<").unwrap()[1], "clé1");
        assert!(!p.is_match("<a>clé<"), "no boundary between é and <");
    }
}
