//! The regex fallback: runs the rules' patterns over a file's text. In files a structural
//! detector parsed, only the patterns with `scope = "all"` run (secrets, XML bodies).
use std::{cell::OnceCell, ops::Range, sync::LazyLock};

use regex::{Captures, Regex};

use super::{
    classify_first_param, is_secret_literal, key_like, method_detail, method_takes_key,
    user_name_first, FirstParam, Hit, WRAPPER_DETAIL,
};
use crate::rules::{build_pattern, Context, Filter, RuleSet, Scope, BUILTIN_IDS, HARDCODED_KEY};

/// Names only Keap uses: its brand and hosts, services no one else named, methods of its
/// common services that are Keap's own, and tables of its data model that no other schema has
/// (an app's table of field lists, its keys beside them). "Keap" starts a word or a camelCase
/// part: the letters alone are inside common words (AngularJS's `invokeApply`, `makeApp`).
static KEAP_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(
        r"(?i:infusionsoft|(?:\b|_)keap|\bisdk\b|mortgageprocrm)|Keap|KEAP|\b(?:APIEmail|APIAffiliate|AffiliateProgram|Funnel|WebForm|WebTracking|CreditCardSubmission)Service\.\w+|\bContactService\.(?:addToGroup|addWithDupCheck|removeFromGroup|addToCampaign|findByEmail|linkContacts|runActionSequence)\b|\bDataService\.(?:findByField|getAppSetting|getTemporaryKey|authenticateUser|getUserInfo)\b|\b(?:ContactGroupAssign|ContactGroupCategory|DataFormField|RecurringOrderWithContact|LeadSourceRecurringExpense|ProductInterestBundle|JobRecurringInstance)\b",
    ).unwrap()
});
/// Keap's service names that other APIs use too: Keap's only next to XML-RPC.
static SHARED_SERVICE: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(
        r"\b(?:Contact|Data|Invoice|Product|Order|Email|Affiliate|Discount|File|Search|Shipping)Service\.\w+",
    ).unwrap()
});
static XMLRPC: LazyLock<Regex> = LazyLock::new(|| build_pattern(r"(?i)xml_?rpc|IXR_").unwrap());
static QUOTED_HEX32: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"['"]([0-9a-fA-F]{32})['"]"#).unwrap());
static ENDPOINT_HOST: LazyLock<Regex> =
    LazyLock::new(|| build_pattern(r"(?i)\.infusionsoft\.com\b").unwrap());
/// What a file that authenticates to the new endpoint says somewhere: the header's name, or
/// phpxmlrpc 4.11's own extra-headers option.
static KEY_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(r"(?i)x-keap-api-key|authorization|bearer|OPT_EXTRA_HEADERS").unwrap()
});

/// Whether the text writes a key header (or says phpxmlrpc's extra-headers option).
pub fn writes_key_header(text: &str) -> bool {
    KEY_HEADER.is_match(text)
}

/// Whether the text talks to Keap at all (a name, a host, a service call).
pub fn has_keap_context(text: &str) -> bool {
    KEAP_CONTEXT.is_match(text) || (SHARED_SERVICE.is_match(text) && mentions_xmlrpc(text))
}

/// Whether the text mentions an XML-RPC client or protocol.
pub fn mentions_xmlrpc(text: &str) -> bool {
    XMLRPC.is_match(text)
}

/// What the rules ask of a whole file, each answered at most once per file however many
/// detectors and patterns ask.
pub struct Facts<'t> {
    text: &'t str,
    keap: OnceCell<bool>,
    host: OnceCell<bool>,
    key_header: OnceCell<bool>,
    xmlrpc: OnceCell<bool>,
    may_match: OnceCell<Vec<bool>>,
}

impl<'t> Facts<'t> {
    pub fn new(text: &'t str) -> Self {
        Facts {
            text,
            keap: OnceCell::new(),
            host: OnceCell::new(),
            key_header: OnceCell::new(),
            xmlrpc: OnceCell::new(),
            may_match: OnceCell::new(),
        }
    }

    pub fn text(&self) -> &'t str {
        self.text
    }

    /// The file talks to Keap (`has_keap_context`).
    pub fn keap(&self) -> bool {
        *self.keap.get_or_init(|| has_keap_context(self.text))
    }

    /// The file mentions XML-RPC (`mentions_xmlrpc`).
    pub fn xmlrpc(&self) -> bool {
        *self.xmlrpc.get_or_init(|| mentions_xmlrpc(self.text))
    }

    /// The file names an `*.infusionsoft.com` host.
    pub fn endpoint_host(&self) -> bool {
        *self.host.get_or_init(|| ENDPOINT_HOST.is_match(self.text))
    }

    /// Whether the pattern (by its place in the rule set) can match in the file at all.
    fn may_match(&self, rules: &RuleSet, pattern: usize) -> bool {
        self.may_match.get_or_init(|| rules.may_match(self.text))[pattern]
    }

    /// The file sends a key header (or names one) somewhere.
    pub fn key_header(&self) -> bool {
        *self.key_header.get_or_init(|| writes_key_header(self.text))
    }
}

pub fn detect(facts: &Facts, rules: &RuleSet, structural: bool, hits: &mut Vec<Hit>) {
    // A structural detector stands for the built-in fallback patterns, not for a user's rules.
    detect_scoped(facts, rules, Scope::Fallback, structural, hits);
    detect_scoped(facts, rules, Scope::All, false, hits);
}

/// Runs the patterns of one scope (`user_only`: only those of rules the user added).
fn detect_scoped(
    facts: &Facts,
    rules: &RuleSet,
    scope: Scope,
    user_only: bool,
    hits: &mut Vec<Hit>,
) {
    let text = facts.text;
    let mut call_sites = Vec::new();
    let mut wrapper = false;
    for (i, pattern) in rules.patterns.iter().enumerate() {
        if pattern.scope != scope
            || (user_only && BUILTIN_IDS.contains(&rules.rules[pattern.rule].id.as_str()))
        {
            continue;
        }
        let in_context = match pattern.context {
            Context::None => true,
            Context::Keap => facts.keap(),
            Context::EndpointHost => facts.endpoint_host(),
        };
        if !in_context {
            continue;
        }
        let rule = &rules.rules[pattern.rule].id;
        // A token added to the URL elsewhere in the file (`f"{self.url}?access_token={t}"`)
        // authenticates the calls, the way token-in-url reports.
        if pattern.filter == Some(Filter::NoKeyHeader)
            && (facts.key_header() || text.contains("?access_token="))
        {
            continue;
        }
        if !facts.may_match(rules, i) {
            continue;
        }
        // A file that names no Keap service makes no call of its own; requests the structural
        // detector judged by their own headers are its.
        let no_key_header = pattern.filter == Some(Filter::NoKeyHeader);
        let calls = no_key_header && text.contains("Service.");
        let judged: Vec<Range<usize>> = hits
            .iter()
            .filter(|h| no_key_header && h.rule == *rule)
            .map(|h| h.span.clone())
            .collect();
        for caps in pattern.regex().captures_iter(text) {
            let Some(hit) = hit_from(rule, &caps, pattern.filter) else {
                continue;
            };
            match pattern.filter {
                Some(Filter::KeyArgument) => {
                    // A literal key in the key position is a hardcoded secret as well.
                    if let Some(inner) = secret_literal(text, &hit.span) {
                        hits.push(Hit::new(HARDCODED_KEY, inner.clone()).secret(inner));
                    }
                    call_sites.push(hit)
                }
                Some(Filter::Wrapper) => {
                    wrapper = true;
                    hits.push(hit.detail(WRAPPER_DETAIL));
                }
                // A settings file naming the endpoint in a constant makes no call: whether
                // the calls send the header is for the file that makes them.
                Some(Filter::NoKeyHeader) if !calls && in_constant(text, &hit.span) => {}
                Some(Filter::NoKeyHeader)
                    if judged
                        .iter()
                        .any(|s| s.start <= hit.span.start && hit.span.end <= s.end) => {}
                Some(Filter::KeyName | Filter::NoKeyHeader) | None => hits.push(hit),
            }
        }
    }
    // Where a wrapper puts the key first, a call's own first argument is data, unless it
    // plainly is a key too.
    hits.extend(call_sites.into_iter().filter(|h| {
        !wrapper || key_like(&text[h.span.clone()]) || secret_literal(text, &h.span).is_some()
    }));
}

/// Whether the match is the whole string a constant is defined as (`API_ENDPOINT =
/// "…".freeze`, `define('KEAP_URL', '…')`), not a client kept in a constant (`CLIENT =
/// XMLRPC::Client.new2("…")`).
fn in_constant(text: &str, span: &Range<usize>) -> bool {
    static CONSTANT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"^\s*(?:(?:const|export const|final|static)\s+)*[A-Z][A-Z0-9_]*\s*[:=]\s*['"]$|^\s*define\s*\(\s*['"][A-Z][A-Z0-9_]*['"]\s*,\s*['"]$"#).unwrap()
    });
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    CONSTANT.is_match(&text[start..span.start])
}

/// The fallback patterns over the comments of a parsed file (commented-out code): matches
/// outside a comment are the structural detector's to report.
pub fn detect_in_comments(
    facts: &Facts,
    rules: &RuleSet,
    comments: &[Range<usize>],
    hits: &mut Vec<Hit>,
) {
    let text = facts.text;
    let worth = |c: &Range<usize>| rules.prefilter(text[c.clone()].as_bytes());
    if !comments.iter().any(worth) {
        return;
    }
    let mut found = Vec::new();
    detect_scoped(facts, rules, Scope::Fallback, false, &mut found);
    // By start, so each comment looks only at the matches that start in it.
    found.sort_by_key(|h| h.span.start);
    for comment in comments {
        let first = found.partition_point(|h| h.span.start < comment.start);
        let starting = found[first..]
            .iter()
            .take_while(|h| h.span.start < comment.end);
        let before = hits.len();
        hits.extend(starting.filter(|h| h.span.end <= comment.end).cloned());
        if hits.len() == before {
            continue;
        }
        // The quoted key of a commented-out call is still a key in the repository.
        if rules.get(HARDCODED_KEY).is_some() {
            for m in QUOTED_HEX32.captures_iter(&text[comment.clone()]) {
                let key = m.get(1).expect("the key group").range();
                let key = comment.start + key.start..comment.start + key.end;
                hits.push(Hit::new(HARDCODED_KEY, key.clone()).secret(key));
            }
        }
    }
}

/// The bytes of a literal key at `span`, quoted or bare (`'ab12…'`, `"KeapAK-…"`, `ab12…`).
fn secret_literal(text: &str, span: &Range<usize>) -> Option<Range<usize>> {
    let src = &text[span.clone()];
    let quoted = src.len() >= 2 && src.starts_with(['\'', '"']) && src.ends_with(['\'', '"']);
    let inner = if quoted {
        span.start + 1..span.end - 1
    } else {
        span.clone()
    };
    is_secret_literal(&text[inner.clone()]).then_some(inner)
}

fn hit_from(rule: &str, caps: &Captures, filter: Option<Filter>) -> Option<Hit> {
    let whole = caps.get(0)?;
    let arg = ["arg", "arg2", "arg3"].iter().find_map(|n| caps.name(n));
    if filter == Some(Filter::KeyArgument) {
        let method = caps.name("method").map_or("", |m| m.as_str());
        let arg = arg?;
        let xml = whole.as_str().starts_with("<methodName>");
        if !method_takes_key(method) {
            return None;
        }
        let detail = method_detail(method);
        return match classify_first_param(arg.as_str(), xml) {
            FirstParam::Key if user_name_first(&detail, arg.as_str()) => None,
            FirstParam::Key | FirstParam::LiteralKey => {
                Some(Hit::new(rule, arg.range()).detail(detail))
            }
            FirstParam::Placeholder | FirstParam::Token | FirstParam::Data => None,
        };
    }
    if filter == Some(Filter::NoKeyHeader) && whole.as_str().contains("access_token=") {
        return None;
    }
    if filter == Some(Filter::KeyName) {
        let name = caps
            .name("name")
            .map_or("", |m| m.as_str())
            .to_ascii_lowercase();
        let hashy = [
            "cache", "hash", "md5", "sha", "etag", "checksum", "digest", "nonce", "salt",
        ];
        if hashy.iter().any(|w| name.contains(w)) {
            return None;
        }
    }
    if let Some(secret) = caps.name("secret") {
        let value = secret.as_str();
        // An interpolated or concatenated value is code, not a secret literal.
        let literal = value.len() >= 8 && !value.contains(['$', '{', '%', '#', '+', '.']);
        return Some(if literal {
            Hit::new(rule, secret.range()).secret(secret.range())
        } else {
            Hit::new(rule, whole.range())
        });
    }
    Some(Hit::new(rule, arg.unwrap_or(whole).range()))
}

#[cfg(test)]
mod tests {
    use super::has_keap_context;

    #[test]
    fn keap_context_is_a_keap_name_or_one_of_its_services() {
        assert!(has_keap_context("$app = new iSDK();"));
        assert!(has_keap_context("INFUSIONSOFT_APP=ab123"));
        assert!(has_keap_context(
            "from xmlrpc.client import ServerProxy\ns.ContactService.add(k, {})"
        ));
        assert!(has_keap_context("call('ContactService.addToGroup', ...)"));
        assert!(!has_keap_context("this.dataService.query(id)"));
        assert!(!has_keap_context("UserService.find(id)"));
        assert!(!has_keap_context(
            "$rpc->call('OrderService.create', [$order]); // JSON-RPC"
        ));
        assert!(has_keap_context(
            "$c = new xmlrpc_client($u); $c->send(new xmlrpcmsg('OrderService.create'))"
        ));
        assert!(has_keap_context(
            "$r = $client->call('APIEmailService.optIn', [$k, $e, 'x']);"
        ));
        for named in [
            "X-Keap-API-Key",
            "getKeapClient()",
            "MY_KEAP_KEY",
            "keap_key",
            "$keap",
        ] {
            assert!(has_keap_context(named), "{named}");
        }
        // AngularJS: `hasOwnProperty.call(obj, key)` next to `invokeApply` is no Keap wrapper.
        assert!(!has_keap_context("timeout(fn, delay, invokeApply)"));
        assert!(!has_keap_context("function makeApp() {}"));
    }
}
