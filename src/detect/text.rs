//! The regex fallback: runs the rules' patterns over a file's text. In files a structural
//! detector parsed, only the patterns with `scope = "all"` run (secrets, XML bodies).
use std::{cell::OnceCell, sync::LazyLock};

use regex::{Captures, Regex};

use super::{classify_first_param, key_like, method_takes_key, FirstParam, Hit, WRAPPER_DETAIL};
use crate::rules::{Context, Filter, RuleSet, Scope};

static KEAP_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i:infusionsoft|keap|\bisdk\b|mortgageprocrm)|['".](?:Contact|Data|Invoice|Product|Order|Funnel|APIEmail|Email|Affiliate|APIAffiliate|AffiliateProgram|Discount|File|Search|Shipping|WebForm|WebTracking|CreditCardSubmission)Service\.\w+"#,
    )
    .unwrap()
});
static ENDPOINT_HOST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\.infusionsoft\.com\b").unwrap());

/// Whether the text talks to Keap at all (a name, a host, a service call).
pub fn has_keap_context(text: &str) -> bool {
    KEAP_CONTEXT.is_match(text)
}

pub fn detect(text: &str, rules: &RuleSet, structural: bool, hits: &mut Vec<Hit>) {
    let mut call_sites = Vec::new();
    let mut wrapper = false;
    let keap = OnceCell::new();
    let host = OnceCell::new();
    for pattern in &rules.patterns {
        if structural && pattern.scope == Scope::Fallback {
            continue;
        }
        let in_context = match pattern.context {
            Context::None => true,
            Context::Keap => *keap.get_or_init(|| has_keap_context(text)),
            Context::EndpointHost => *host.get_or_init(|| ENDPOINT_HOST.is_match(text)),
        };
        if !in_context {
            continue;
        }
        let rule = &rules.rules[pattern.rule].id;
        for caps in pattern.regex.captures_iter(text) {
            let Some(hit) = hit_from(rule, &caps, pattern.filter) else {
                continue;
            };
            match pattern.filter {
                Some(Filter::KeyArgument) => call_sites.push(hit),
                Some(Filter::Wrapper) => {
                    wrapper = true;
                    hits.push(hit.detail(WRAPPER_DETAIL));
                }
                None => hits.push(hit),
            }
        }
    }
    // Where a wrapper puts the key first, a call's own first argument is data, unless it
    // plainly is a key too.
    hits.extend(
        call_sites
            .into_iter()
            .filter(|h| !wrapper || key_like(&text[h.span.clone()])),
    );
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
        return match classify_first_param(arg.as_str(), xml) {
            FirstParam::Key | FirstParam::LiteralKey => {
                Some(Hit::new(rule, arg.range()).detail(format!("`{method}`")))
            }
            FirstParam::Placeholder | FirstParam::Token => None,
        };
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
        assert!(has_keap_context("s.ContactService.add(k, {})"));
        assert!(has_keap_context("call('DataService.query', ...)"));
        assert!(!has_keap_context("this.dataService.query(id)"));
        assert!(!has_keap_context("UserService.find(id)"));
    }
}
