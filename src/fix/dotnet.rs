//! C# and VB.NET: left to a person, with the exact code to add. XML-RPC.NET (CookComputing),
//! which these clients use, is in no package registry here, so no rewrite could be proven by
//! running it against the mock. Every call through one proxy gets the same hint, naming the
//! proxy and where it is made, so the plan's summary lists them together.
use crate::{
    finding::Finding,
    lang::{self, Kind, Syntax, View},
    rules,
};

use super::{other_language_hint, Auth, FixOptions, PLACEHOLDER};

/// One hint per finding, in order.
pub fn hints(syntax: Syntax, text: &str, found: &[&Finding], opts: &FixOptions) -> Vec<String> {
    let view = lang::view(syntax, text);
    found
        .iter()
        .map(|f| {
            let hint = view.as_ref().and_then(|v| match f.rule.as_str() {
                rules::KEY_IN_BODY => call_hint(v, text, f, opts),
                rules::LEGACY_ENDPOINT => Some(endpoint_hint(syntax, opts)),
                rules::HARDCODED_KEY => Some(format!(
                    "read the key from the environment ({}) and rotate it",
                    code(syntax.env_read(&opts.key_env))
                )),
                _ => None,
            });
            hint.unwrap_or_else(|| other_language_hint(&f.rule).to_string())
        })
        .collect()
}

fn code(s: String) -> String {
    format!("`{s}`")
}

/// The statement that adds the key header to `proxy`.
fn header(syntax: Syntax, proxy: &str, key: &str, auth: Auth) -> String {
    let (name, value) = match (auth, syntax) {
        (Auth::Header, _) => ("X-Keap-API-Key", key.to_string()),
        (Auth::Bearer, Syntax::VisualBasic) => ("Authorization", format!("\"Bearer \" & {key}")),
        (Auth::Bearer, _) => ("Authorization", format!("\"Bearer \" + {key}")),
    };
    let end = if syntax == Syntax::VisualBasic {
        ""
    } else {
        ";"
    };
    format!("{proxy}.Headers.Add(\"{name}\", {value}){end}")
}

fn url(syntax: Syntax, proxy: &str, endpoint: &str) -> String {
    let end = if syntax == Syntax::VisualBasic {
        ""
    } else {
        ";"
    };
    format!("{proxy}.Url = \"{endpoint}\"{end}")
}

fn endpoint_hint(syntax: Syntax, opts: &FixOptions) -> String {
    let attr = match syntax {
        Syntax::VisualBasic => format!("<XmlRpcUrl(\"{}\")>", opts.endpoint),
        _ => format!("[XmlRpcUrl(\"{}\")]", opts.endpoint),
    };
    format!(
        "send the calls to the new endpoint ({} or {}) and add {} where each proxy is made",
        code(attr),
        code(url(syntax, "proxy", &opts.endpoint)),
        code(header(syntax, "proxy", "key", opts.auth)),
    )
}

/// A proxy call (`proxy.AddContact(key, data)`): the header and URL to add where the proxy is
/// made, and the placeholder to send first.
fn call_hint(view: &View, text: &str, f: &Finding, opts: &FixOptions) -> Option<String> {
    let call = view.calls.iter().find(|c| {
        c.positional()
            .next()
            .is_some_and(|a| a.span.start <= f.span.start && f.span.end <= a.span.end)
    })?;
    let Kind::Name(receiver) = &call.receiver.as_deref()?.kind else {
        return None;
    };
    // `this.crm` and `crm` are one proxy, and its hint is one item.
    let proxy = receiver
        .strip_prefix("this.")
        .or_else(|| receiver.strip_prefix("Me."))
        .unwrap_or(receiver);
    let arg = &call.positional().next()?.value;
    let key = match &arg.kind {
        Kind::Str(_) => view.syntax.env_read(&opts.key_env),
        _ => text[arg.span.clone()].to_string(),
    };
    // Where the proxy is made: its last binding to a proxy factory or constructor.
    let made = view
        .bindings
        .iter()
        .filter(|b| {
            (b.target == proxy || b.target == *receiver) && b.value.span.start < call.span.start
        })
        .rfind(|b| matches!(b.value.kind, Kind::Call(_)))
        .map(|b| {
            let line = text[..b.stmt.start].matches('\n').count() + 1;
            format!("made at line {line}")
        })
        .unwrap_or_else(|| "where it is made".to_string());
    let syntax = view.syntax;
    Some(format!(
        "proxy `{proxy}` ({made}): add {} and {} after it is made, then pass \"{PLACEHOLDER}\" as the first argument of each call through it",
        code(header(syntax, proxy, &key, opts.auth)),
        code(url(syntax, proxy, &opts.endpoint)),
    ))
}
