//! ColdFusion, Rust, Objective-C, Elixir and R: found through the view, left to a person with
//! the exact code to add. No ColdFusion engine is served here to run a rewritten template
//! against the mock, no Rust XML-RPC client was run against it, and Debian serves no XML-RPC
//! library for Objective-C, Elixir or R. The Objective-C hint follows eczarny's xmlrpc
//! `XMLRPCRequest` (`setValue:forHTTPHeaderField:` sets a header of the request it sends); R's
//! XMLRPC package replaces its default `httpheader` (`Content-Type: text/xml`) by the one in
//! `.opts`, so the hint keeps it. The hints follow the tags' documented attributes and
//! the public sources of the `xmlrpc` crate (its `Transport` for a reqwest `RequestBuilder`
//! adds `Content-Type: text/xml` itself, so a header set on the builder travels beside it) and
//! of `dxr_client` (its `ClientBuilder::add_header` joins the default headers it sends).
use crate::{
    finding::Finding,
    lang::{Syntax, View},
    rules,
};

use super::{other_language_hint, Auth, FixOptions, PLACEHOLDER};

/// One hint per finding, in order.
pub fn hints(syntax: Syntax, text: &str, found: &[&Finding], opts: &FixOptions) -> Vec<String> {
    let view = crate::lang::view(syntax, text);
    // dxr's client carries default headers; the xmlrpc crate's requests take a transport.
    let dxr = syntax == Syntax::Rust && text.contains("ClientBuilder");
    found
        .iter()
        .map(|f| {
            let key = key_expr(view.as_ref(), text, f, syntax, opts);
            match (f.rule.as_str(), syntax) {
                // A tag attribute cannot hold the quoted call that reads the environment.
                (rules::KEY_IN_BODY, Syntax::Cfml) if key.contains('"') => format!(
                    "read the key first ({}), send \"{PLACEHOLDER}\" as this parameter, and the key as a header of the request that posts the call: {}",
                    code(&format!("<cfset keapKey = {key}>")),
                    cf_header("keapKey", opts.auth)
                ),
                (rules::KEY_IN_BODY, Syntax::Cfml) => format!(
                    "send \"{PLACEHOLDER}\" as this parameter, and the key as a header of the request that posts the call: {}",
                    cf_header(&key, opts.auth)
                ),
                (rules::KEY_IN_BODY, Syntax::Asp) => format!(
                    "send \"{PLACEHOLDER}\" in slot 0 of the parameters, and the key as a header: {}",
                    asp_header(&key, opts.auth)
                ),
                (rules::LEGACY_ENDPOINT, Syntax::Asp) => format!(
                    "post to {} and send the key as a header: {}",
                    code(&format!("\"{}\"", opts.endpoint)),
                    asp_header("key", opts.auth)
                ),
                (rules::KEY_IN_BODY, Syntax::ObjC | Syntax::Elixir | Syntax::R) => format!(
                    "send {} first in the call's parameters, and the key as a header: {}",
                    code(&placeholder(syntax)),
                    header(syntax, &key, opts)
                ),
                (rules::LEGACY_ENDPOINT, Syntax::ObjC | Syntax::Elixir | Syntax::R) => format!(
                    "send the calls to {} with the key as a header: {}",
                    code(&opts.endpoint),
                    header(syntax, "key", opts)
                ),
                (rules::KEY_IN_BODY, _) if dxr => format!(
                    "send \"{PLACEHOLDER}\" first in the call's parameters, and build the client on the new endpoint with {}",
                    code(&dxr_header(&key, opts.auth))
                ),
                (rules::KEY_IN_BODY, _) => format!(
                    "pass \"{PLACEHOLDER}\" as the first `.arg(…)` and send the request with {} in place of `.call_url(…)`",
                    code(&rust_transport(&key, opts))
                ),
                (rules::LEGACY_ENDPOINT, Syntax::Cfml) => format!(
                    "post to {} and send the key as a header: {}",
                    code(&format!("url=\"{}\"", opts.endpoint)),
                    cf_header("key", opts.auth)
                ),
                (rules::LEGACY_ENDPOINT, _) if dxr => format!(
                    "build the client on {} with {}",
                    code(&opts.endpoint),
                    code(&dxr_header("key", opts.auth))
                ),
                (rules::LEGACY_ENDPOINT, _) => format!(
                    "send the calls with {}",
                    code(&rust_transport("key", opts))
                ),
                (rules::HARDCODED_KEY, _) => format!(
                    "read the key from the environment ({}) and rotate it",
                    code(&syntax.env_read(&opts.key_env))
                ),
                (rule, _) => other_language_hint(rule).to_string(),
            }
        })
        .collect()
}

/// aspxmlrpc's `xmlRPC` posts the call with an XMLHTTP object it makes itself: the header
/// goes in its copy of the library, where the request's `Content-Type` is set.
fn asp_header(key: &str, auth: Auth) -> String {
    let (name, value) = match auth {
        Auth::Header => ("X-Keap-API-Key", key.to_string()),
        Auth::Bearer => ("Authorization", format!("\"Bearer \" & {key}")),
    };
    format!(
        "{} on the HTTP object in aspxmlrpc's `xmlRPC` (`aspxmlrpc/code/xmlrpc.asp`), beside its `Content-Type`, with the key passed in or read there",
        code(&format!(".setRequestHeader \"{name}\", {value}"))
    )
}

/// The placeholder as a string literal of the language.
fn placeholder(syntax: Syntax) -> String {
    match syntax {
        Syntax::ObjC => format!("@\"{PLACEHOLDER}\""),
        _ => format!("\"{PLACEHOLDER}\""),
    }
}

/// The code that sends the key as a header with the client each language's Keap code uses:
/// eczarny's `XMLRPCRequest`, the HTTP client an Elixir `XMLRPC.encode!` body is posted with,
/// R's `xml.rpc`.
fn header(syntax: Syntax, key: &str, opts: &FixOptions) -> String {
    let (name, value) = match (opts.auth, syntax) {
        (Auth::Header, _) => ("X-Keap-API-Key", key.to_string()),
        (Auth::Bearer, Syntax::ObjC) => (
            "Authorization",
            format!("[@\"Bearer \" stringByAppendingString:{key}]"),
        ),
        (Auth::Bearer, Syntax::Elixir) => ("Authorization", format!("\"Bearer \" <> {key}")),
        (Auth::Bearer, _) => ("Authorization", format!("paste0(\"Bearer \", {key})")),
    };
    match syntax {
        Syntax::ObjC => format!(
            "{} after the request is made with {}",
            code(&format!("[request setValue:{value} forHTTPHeaderField:@\"{name}\"];")),
            code(&format!("[NSURL URLWithString:@\"{}\"]", opts.endpoint))
        ),
        Syntax::Elixir => format!(
            "{} in the headers of the request that posts the encoded call (`HTTPoison.post(url, body, headers)`, `Finch.build(:post, url, headers, body)`)",
            code(&format!("{{\"{name}\", {value}}}"))
        ),
        _ => format!(
            "{} as an argument of `xml.rpc` (it replaces the default header list, so `Content-Type` stays in it)",
            code(&format!(
                ".opts = list(httpheader = c(\"Content-Type\" = \"text/xml\", \"{name}\" = {value}))"
            ))
        ),
    }
}

fn code(s: &str) -> String {
    format!("`{s}`")
}

/// The expression the call sends first: the header reads the same one (a literal key is read
/// from the environment instead).
fn key_expr(
    view: Option<&View>,
    text: &str,
    f: &Finding,
    syntax: Syntax,
    opts: &FixOptions,
) -> String {
    let src = text.get(f.span.clone()).unwrap_or("key").trim();
    let literal = view.is_some_and(|v| {
        v.strings
            .iter()
            .any(|s| s.span.start <= f.span.start && f.span.end <= s.span.end)
    }) || src.starts_with(['"', '\''])
        || crate::detect::is_secret_literal(src);
    if literal {
        syntax.env_read(&opts.key_env)
    } else {
        src.to_string()
    }
}

/// The `cfhttpparam` that sends the key, as a tag and in cfscript.
fn cf_header(key: &str, auth: Auth) -> String {
    let (name, tag_value, script_value) = match auth {
        Auth::Header => ("X-Keap-API-Key", format!("#{key}#"), key.to_string()),
        Auth::Bearer => (
            "Authorization",
            format!("Bearer #{key}#"),
            format!("\"Bearer \" & {key}"),
        ),
    };
    format!(
        "{} (in cfscript {})",
        code(&format!(
            "<cfhttpparam type=\"header\" name=\"{name}\" value=\"{tag_value}\">"
        )),
        code(&format!(
            "cfhttpparam(type=\"header\", name=\"{name}\", value={script_value});"
        ))
    )
}

/// dxr's `ClientBuilder` keeps its own `Content-Type: text/xml` beside a header added to it.
fn dxr_header(key: &str, auth: Auth) -> String {
    let (name, value) = match auth {
        Auth::Header => ("x-keap-api-key", format!("HeaderValue::from_str({key})?")),
        Auth::Bearer => (
            "authorization",
            format!("HeaderValue::from_str(&format!(\"Bearer {{}}\", {key}))?"),
        ),
    };
    format!(".add_header(HeaderName::from_static(\"{name}\"), {value})")
}

/// The xmlrpc crate's request sent through a reqwest builder that carries the header.
fn rust_transport(key: &str, opts: &FixOptions) -> String {
    let (name, value) = match opts.auth {
        Auth::Header => ("X-Keap-API-Key", key.to_string()),
        Auth::Bearer => ("Authorization", format!("format!(\"Bearer {{}}\", {key})")),
    };
    format!(
        ".call(reqwest::blocking::Client::new().post(\"{}\").header(\"{name}\", {value}))",
        opts.endpoint
    )
}
