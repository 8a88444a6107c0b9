//! Detectors: one per language with a parser, and the regex fallback for every other file.
//! Each turns a file's text into hits; the scanner turns hits into findings.
use std::{cell::OnceCell, cmp::Reverse, ops::Range, path::Path, sync::LazyLock};

use regex::Regex;

use crate::rules::build_pattern;

use crate::{
    finding::{LineIndex, Severity},
    lang::Syntax,
    rules::RuleSet,
};

pub mod chunks;
pub mod manifest;
pub mod php;
pub mod placeholder;
pub mod text;
pub mod view;

/// A match before it becomes a `Finding`: which rule, where, and the secret's bytes if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub rule: String,
    pub span: Range<usize>,
    /// The secret's byte range, when the match is a literal secret.
    pub secret: Option<Range<usize>>,
    /// A lower severity than the rule's (commented-out code, docs).
    pub severity: Option<Severity>,
    /// Said after the rule's message.
    pub detail: Option<String>,
}

impl Hit {
    pub fn new(rule: &str, span: Range<usize>) -> Self {
        Hit {
            rule: rule.to_string(),
            span,
            secret: None,
            severity: None,
            detail: None,
        }
    }

    pub fn secret(mut self, range: Range<usize>) -> Self {
        self.secret = Some(range);
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Php,
    /// A language the neutral view reads (`lang`).
    Parsed(Syntax),
    /// Prose: findings other than secrets are lowered to notes.
    Doc,
    Other,
}

impl Lang {
    pub fn of(path: &Path) -> Lang {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "php" | "phtml" | "inc" | "php3" | "php4" | "php5" | "php7" | "php8" | "phps" => {
                Lang::Php
            }
            "md" | "markdown" | "rst" | "txt" | "adoc" => Lang::Doc,
            _ => Syntax::of(path).map_or(Lang::Other, Lang::Parsed),
        }
    }
}

/// All hits in one file, deduplicated (a structural detector and a pattern may see the same
/// secret) and in file order.
pub fn detect(path: &Path, text: &str, rules: &RuleSet) -> Vec<Hit> {
    detect_keeping(path, text, rules, &mut None)
}

/// `detect`, handing on the PHP tree it parsed (if it parsed one): a recipe planning the same
/// text needs it, and parsing is most of the cost of a large file.
pub fn detect_keeping(
    path: &Path,
    text: &str,
    rules: &RuleSet,
    tree: &mut Option<tree_sitter::Tree>,
) -> Vec<Hit> {
    let manifest = manifest::Kind::of(path);
    // `requirements.txt` is a manifest, not prose.
    let lang = match Lang::of(path) {
        Lang::Doc if manifest.is_some() => Lang::Other,
        lang => lang,
    };
    let mut hits = Vec::new();
    let facts = text::Facts::new(text);
    let mut comments = Vec::new();
    let structural = match lang {
        Lang::Php => php::detect(
            &facts,
            path.parent().unwrap_or(Path::new(".")),
            &mut hits,
            &mut comments,
            tree,
        ),
        Lang::Parsed(syntax) => view::detect(syntax, &facts, &mut hits, &mut comments),
        Lang::Doc | Lang::Other => false,
    };
    if let Some(kind) = manifest {
        manifest::detect(kind, path, text, &mut hits);
    }
    if lang == Lang::Php {
        manifest::detect_php(text, &mut hits);
    }
    text::detect(&facts, rules, structural, &mut hits);
    if structural {
        text::detect_in_comments(&facts, rules, &comments, &mut hits);
    }
    // Commented-out code and prose are reported, lower: they are not what runs. A secret in
    // them is a leak all the same and keeps its severity.
    comments.sort_unstable_by_key(|c| c.start);
    let lines = OnceCell::new();
    // What a manifest or an SDK's header says is installed is not commented-out code.
    let lowered = |h: &&mut Hit| h.secret.is_none() && h.rule != crate::rules::LEGACY_SDK;
    for hit in hits.iter_mut().filter(lowered) {
        let why = match lang {
            Lang::Doc => Some("in documentation"),
            Lang::Php | Lang::Parsed(_) => {
                in_comment(&comments, &hit.span).then_some("in a comment")
            }
            Lang::Other => {
                let lines = lines.get_or_init(|| LineIndex::new(text));
                in_line_comment(text, lines, hit.span.start).then_some("in a comment")
            }
        };
        if let Some(why) = why {
            hit.severity = Some(Severity::Note);
            hit.detail = Some(match hit.detail.take() {
                Some(detail) => format!("{detail}, {why}"),
                None => why.to_string(),
            });
        }
    }
    hits.retain(|h| rules.get(&h.rule).is_some());
    hits.retain(|h| {
        h.secret.as_ref().is_none_or(|s| {
            let example = lang == Lang::Doc && placeholder::example_in_code_block(text, s);
            !(placeholder::placeholder(&text[s.clone()]) || example)
        })
    });
    hits.sort_by(|a, b| {
        (a.span.start, a.span.end, &a.rule).cmp(&(b.span.start, b.span.end, &b.rule))
    });
    hits.dedup_by(|b, a| {
        a.rule == b.rule
            && a.secret.as_ref().unwrap_or(&a.span) == b.secret.as_ref().unwrap_or(&b.span)
    });
    dedup_nested(&mut hits, rules);
    hits
}

/// Whether the line holding `offset` is a comment line in the usual syntaxes (`#`, `//`, `--`,
/// `;`, a block comment's `/*` or `*`, `<!--`): how commented-out code looks in any language.
fn in_line_comment(text: &str, lines: &LineIndex, offset: usize) -> bool {
    let line = text[lines.line_start(offset)..offset].trim_start();
    ["#", "//", "--", ";", "/*", "*", "<!--"]
        .iter()
        .any(|m| line.starts_with(m))
}

/// Whether `span` lies inside one of the comments (sorted, never overlapping): only the last
/// comment that starts before it can hold it.
fn in_comment(comments: &[Range<usize>], span: &Range<usize>) -> bool {
    let before = comments.partition_point(|c| c.start <= span.start);
    before > 0 && span.end <= comments[before - 1].end
}

/// A pattern's match inside a structural finding of the same rule adds nothing: keep the outer.
/// One sweep per rule, the hits by start and the longest first: a hit is inside another when a
/// different span seen before it reaches as far.
fn dedup_nested(hits: &mut Vec<Hit>, rules: &RuleSet) {
    let rule_of: Vec<usize> = hits
        .iter()
        .map(|h| rules.index(&h.rule).expect("hits name loaded rules"))
        .collect();
    let mut order: Vec<usize> = (0..hits.len()).collect();
    order.sort_unstable_by_key(|&i| (rule_of[i], hits[i].span.start, Reverse(hits[i].span.end)));
    let mut nested = vec![false; hits.len()];
    // The rule swept, the span last seen, and how far the spans before that one reach.
    let mut sweep: Option<(usize, &Range<usize>, Option<usize>)> = None;
    for &i in &order {
        let span = &hits[i].span;
        let reach = match sweep {
            Some((rule, last, reach)) if rule == rule_of[i] && last == span => reach,
            Some((rule, last, reach)) if rule == rule_of[i] => reach.max(Some(last.end)),
            _ => None,
        };
        nested[i] = hits[i].secret.is_none() && reach.is_some_and(|r| r >= span.end);
        sweep = Some((rule_of[i], span, reach));
    }
    let mut nested = nested.into_iter();
    hits.retain(|_| !nested.next().expect("one flag per hit"));
}

/// Calls whose first parameter is not the app key (KEAP.md). `DataService.authenticateUser`
/// takes it first, as the iSDK and the official SDK send it.
pub fn method_takes_key(method: &str) -> bool {
    !matches!(
        method,
        "DataService.getTemporaryKey" | "DataService.echo" | "DataService.getUserInfo"
    )
}

const AUTHENTICATE_USER: &str = "DataService.authenticateUser";

/// Keap's own hosts under infusionsoft.com, which are no app's.
const KEAP_HOSTS: &[&str] = &[
    "api",
    "signin",
    "accounts",
    "www",
    "developer",
    "help",
    "marketplace",
    "community",
    "keys",
];

/// A per-app host alone (`https://` + app + `.infusionsoft.com`), which an SDK or a setter
/// completes with `/api/xmlrpc`; not one of Keap's own hosts.
pub fn app_host(text: &str) -> bool {
    static APP_HOST: LazyLock<Regex> = LazyLock::new(|| {
        build_pattern(r"(?i)^(?:https?://)?(?P<app>[^\s/.]+)\.infusionsoft\.com(?::443)?/?$")
            .unwrap()
    });
    APP_HOST
        .captures(text)
        .is_some_and(|c| !KEAP_HOSTS.contains(&c["app"].to_ascii_lowercase().as_str()))
}

/// What a key-in-body finding says of the method it is sent to.
pub fn method_detail(method: &str) -> String {
    if method == AUTHENTICATE_USER {
        format!("`{method}`, which Keap removed on 2025-08-15: with the key in a header it fails too, so replace the login")
    } else {
        format!("`{method}`")
    }
}

/// Whether a key-in-body finding's detail or message (from `method_detail`) is a login through
/// `authenticateUser`.
pub fn is_login(detail: &str) -> bool {
    detail.contains(&format!("`{AUTHENTICATE_USER}`"))
}

/// A login call (`detail` from `method_detail`) handed a user name first: code written as if
/// `authenticateUser` took no key. What the name says decides (`$username`, `login`).
pub fn user_name_first(detail: &str, src: &str) -> bool {
    let lower = src.to_ascii_lowercase();
    is_login(detail)
        && !key_like(src)
        && ["user", "login", "email", "name"]
            .iter()
            .any(|w| lower.contains(w))
}

/// What sits in the first-parameter position of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstParam {
    /// A literal legacy key or SAK.
    LiteralKey,
    /// An expression that evaluates to the key.
    Key,
    /// An already migrated placeholder, a number, null.
    Placeholder,
    /// An OAuth access token: not the app key.
    Token,
    /// The call's own data (`$contact`, `(int)$id`, `$fields`): what a call through a wrapper
    /// that prepends the key has first.
    Data,
}

/// Classifies source text in the first-parameter position (any language). `xml_text` says the
/// text sits between XML tags, where a bare word is a literal rather than a variable.
pub fn classify_first_param(src: &str, xml_text: bool) -> FirstParam {
    let s = src.trim();
    if placeholder::hash_of_literal(s) {
        return FirstParam::Placeholder;
    }
    let quoted = s
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
        .filter(|inner| !inner.contains(['\'', '"']));
    let literal = quoted.or(xml_text.then_some(s));
    if let Some(lit) = literal {
        if is_secret_literal(lit) {
            return FirstParam::LiteralKey;
        }
        if !lit.contains(['$', '{', '%', '#', '\'', '"', '+']) {
            return FirstParam::Placeholder;
        }
    } else if is_secret_literal(s)
        || matches!(
            s,
            "null" | "NULL" | "nil" | "None" | "undefined" | "true" | "false"
        )
        || s.chars().all(|c| c.is_ascii_digit())
    {
        return if is_secret_literal(s) {
            FirstParam::LiteralKey
        } else {
            FirstParam::Placeholder
        };
    }
    if s.to_ascii_lowercase().contains("token") {
        FirstParam::Token
    } else if !key_like(s) && data_like(s) {
        FirstParam::Data
    } else {
        FirstParam::Key
    }
}

/// Words that name a call's data, never a key.
const DATA_WORDS: &[&str] = &[
    "data",
    "field",
    "fields",
    "contact",
    "contacts",
    "id",
    "ids",
    "value",
    "values",
    "record",
    "records",
    "row",
    "rows",
    "query",
    "table",
    "email",
    "map",
    "list",
    "info",
    "details",
    "order",
    "invoice",
    "product",
    "tag",
    "tags",
    "group",
    "user",
    "params",
    "args",
    "cmap",
    // `tablename`, `tableName`: the table a DataService call names, never a key.
    "name",
    "tablename",
    // `DataService.getAppSetting($module, $setting)`, its key already moved to a header.
    "module",
    "setting",
];

/// A cast (`(int)$id`), or a name whose last word says it holds data (`$contactData`,
/// `$this->fields`, `$tag_id`).
fn data_like(src: &str) -> bool {
    // `new Zend_XmlRpc_Value_Integer($id)`: a typed value that is not a string is never a key;
    // a string one is judged by what it wraps.
    if let Some(rest) = src.strip_prefix("new ") {
        let (class, inner) = rest.split_once('(').unwrap_or((rest, ""));
        let class = class.trim().to_ascii_lowercase();
        let typed = [
            "integer", "int", "struct", "array", "boolean", "double", "datetime",
        ]
        .iter()
        .any(|t| class.ends_with(t));
        return typed || data_like(inner.trim_end_matches(')').trim());
    }
    if src.starts_with('(') && src.contains(')') {
        return src[1..].split(')').next().is_some_and(|t| {
            matches!(
                t.trim(),
                "int" | "integer" | "string" | "array" | "float" | "bool"
            )
        });
    }
    let name = src.rsplit(['>', ':', '.', '$', '@']).next().unwrap_or(src);
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.is_empty() {
        return false;
    }
    let mut words = vec![String::new()];
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || (c.is_ascii_uppercase() && prev_lower) {
            words.push(String::new());
        }
        if c != '_' {
            words
                .last_mut()
                .expect("one word")
                .push(c.to_ascii_lowercase());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    words
        .last()
        .is_some_and(|w| DATA_WORDS.contains(&w.as_str()))
}

/// The detail of a finding at a wrapper that prepends the key to every call.
pub const WRAPPER_DETAIL: &str = "a wrapper prepends it to every call";

/// Names that say they hold a key: `$apiKey`, `$this->encKey`, `KEAP_API_KEY`, `$cfg['secret']`.
pub fn key_like(src: &str) -> bool {
    let lower = src.to_ascii_lowercase();
    ["key", "secret", "credential"]
        .iter()
        .any(|w| lower.contains(w))
}

static LEGACY_KEY: LazyLock<Regex> = LazyLock::new(|| build_pattern(r"^[0-9a-fA-F]{32}$").unwrap());
static SAK: LazyLock<Regex> = LazyLock::new(|| build_pattern(r"^KeapAK-[0-9a-fA-F]{50}$").unwrap());

/// A literal in a call's key slot that is a key: a legacy or Service Account Key, or the
/// 64-hex values public code also sends there (KEAP.md). Only in that slot: elsewhere a 64-hex
/// string is far more often a SHA-256.
pub fn is_key_slot_literal(s: &str) -> bool {
    is_secret_literal(s) || (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A literal a name is set to where a legacy call sends that name first: a key by where it goes
/// (a 64-hex value, or a pre-2020 24-character one), once it looks like a credential: 20 to 64
/// letters and digits, both, and no placeholder.
pub fn is_bound_key_literal(s: &str) -> bool {
    (20..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && !placeholder::placeholder(s)
}

/// A whole literal that is a legacy key or a Service Account Key.
pub fn is_secret_literal(s: &str) -> bool {
    LEGACY_KEY.is_match(s) || SAK.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_same_rule_match_strictly_inside_another_is_dropped() {
        let rules = RuleSet::load(&[] as &[&Path], &[]).unwrap();
        let hit = |rule, span: Range<usize>| Hit::new(rule, span);
        let mut hits = vec![
            hit("legacy-endpoint", 0..50),
            hit("legacy-endpoint", 0..30), // same start, shorter: inside
            hit("legacy-endpoint", 10..40), // inside
            hit("key-in-body", 10..40),    // another rule
            hit("hardcoded-key", 12..30).secret(12..30),
            hit("legacy-endpoint", 45..60), // overlaps, not inside
            hit("legacy-endpoint", 52..58), // inside the previous one only
            hit("legacy-endpoint", 70..80),
            hit("legacy-endpoint", 70..80).detail("twin"), // the same span is not inside
        ];
        hits.push(hit("legacy-endpoint", 20..25).secret(20..25)); // a secret is kept
        dedup_nested(&mut hits, &rules);
        let left: Vec<(&str, Range<usize>)> = hits
            .iter()
            .map(|h| (h.rule.as_str(), h.span.clone()))
            .collect();
        assert_eq!(
            left,
            [
                ("legacy-endpoint", 0..50),
                ("key-in-body", 10..40),
                ("hardcoded-key", 12..30),
                ("legacy-endpoint", 45..60),
                ("legacy-endpoint", 70..80),
                ("legacy-endpoint", 70..80),
                ("legacy-endpoint", 20..25),
            ]
        );
    }

    #[test]
    fn first_parameter_classes() {
        use FirstParam::*;
        let call = |s| classify_first_param(s, false);
        let xml = |s| classify_first_param(s, true);
        assert_eq!(call("$this->key"), Key);
        assert_eq!(call("@api_key"), Key);
        assert_eq!(call("self.key"), Key);
        assert_eq!(call("placeholder"), Key);
        assert_eq!(call("'placeholder'"), Placeholder);
        assert_eq!(call("nil"), Placeholder);
        assert_eq!(call("'09cfc97cce5d373104c9d805d193795f'"), LiteralKey);
        assert_eq!(call("$accessToken"), Token);
        assert_eq!(call("$data"), Data);
        assert_eq!(call("md5('test')"), Placeholder);
        assert_eq!(call("(int)$affId"), Data);
        assert_eq!(call("$this->contactFields"), Data);
        assert_eq!(call("$tag_id"), Data);
        assert_eq!(call("new Zend_XmlRpc_Value_Integer($contactId)"), Data);
        assert_eq!(call("new Zend_XmlRpc_Value_String($apiKey)"), Key);
        assert_eq!(call("$idKey"), Key);
        assert_eq!(call("$k"), Key);
        assert_eq!(call("$this->client"), Key);
        assert_eq!(call("\"{$key}\""), Key);
        assert_eq!(xml("' . $key . '"), Key);
        assert_eq!(xml("${apiKey}"), Key);
        assert_eq!(xml("placeholder"), Placeholder);
        assert_eq!(xml("09cfc97cce5d373104c9d805d193795f"), LiteralKey);
        assert_eq!(xml("' . $oauthToken . '"), Token);
    }
}
