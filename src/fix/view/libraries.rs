//! What is particular to each client library: how its client is made, where it takes the new
//! endpoint, and where its header goes so that the library keeps its own `Content-Type`.
//!
//! - Python `xmlrpc.client.ServerProxy(uri, …, headers=[…])` (3.8+): the headers are sent with
//!   every request beside the transport's own.
//! - Ruby `XMLRPC::Client`: `http_header_extra` is merged over the client's own headers.
//! - npm `xmlrpc`: the `headers` option is completed with the client's defaults.
//! - Go kolo/xmlrpc: `NewClient(url, transport)` sends every request through the
//!   `http.RoundTripper` it is given, after setting its own `Content-Type`; a small transport
//!   added to the file sets the key header there and hands the request to
//!   `http.DefaultTransport`, what the library uses for `nil`.
//! - Perl `Frontier::Client` keeps the `HTTP::Request` it sends every call with (and its own
//!   `Content-Type: text/xml`) in `$client->{rq}`; `RPC::XML::Client` hands its template
//!   request out through `request`, and clones it for each call: a header set on either goes
//!   with every later call, so one set after the client is made (where Keap's sample sets its
//!   key) holds from there on.
//! - Java aXMLRPC `XMLRPCClient` keeps a map of custom headers (`setCustomHttpHeader`) that it
//!   writes beside its own `Content-Type` on every call; it refuses only Host, Content-Type and
//!   Content-Length.
use std::ops::Range;

use super::{header, quote_of};
use crate::{
    detect::view::is_client,
    fix::Auth,
    lang::{Call, Entry, Expr, Kind, Syntax, View},
};

pub struct Change {
    pub range: Range<usize>,
    pub text: String,
}

fn change(range: Range<usize>, text: impl Into<String>) -> Change {
    Change {
        range,
        text: text.into(),
    }
}

/// How a client's header reads its key, and where its URL comes from.
pub struct Given<'k> {
    pub auth: Auth,
    /// The key as code, read where the client is made.
    pub key: &'k str,
    /// The key is only set once the client exists, by this statement (Python: after the
    /// client): read at each request, or given to the client right after the statement.
    pub late: Option<&'k Range<usize>>,
    /// The name the client is kept in.
    pub kept: Option<&'k str>,
    /// The URL is read from settings: the new endpoint is written in its place.
    pub settings: bool,
    /// Python 2, or a project on a Python 3 before 3.8: `ServerProxy` takes no `headers`.
    pub old_python: bool,
}

/// Points a client at `endpoint` and adds the header `name: value` (value as code).
pub fn migrate(
    view: &View,
    text: &str,
    call: &Call,
    endpoint: &str,
    given: &Given,
) -> Result<Vec<Change>, String> {
    let Given {
        auth,
        key,
        late,
        kept,
        settings,
        ..
    } = *given;
    if late.is_some() && !matches!(view.syntax, Syntax::Python | Syntax::Perl) {
        return Err(format!(
            "`{key}` is set after the client is made: set it first, then run again"
        ));
    }
    // Python's `**options` may follow the header keyword (a `headers` among them would clash,
    // which no code seen passes); any other splat hides where the options come from.
    let passed_on = |a: &&crate::lang::Arg| {
        matches!(a.value.kind, Kind::Splat(_))
            && !(view.syntax == Syntax::Python && text[a.span.clone()].starts_with("**"))
    };
    if call.args.iter().any(|a| passed_on(&a)) {
        return Err(
            "the client's options are passed on from elsewhere: add the header where they are made"
                .into(),
        );
    }
    if is_request(call) {
        let (name, value) = header(view.syntax, auth, key);
        return request(view, text, call, endpoint, name, &value, settings);
    }
    match view.syntax {
        Syntax::Python => python(view, text, call, endpoint, given),
        Syntax::Ruby => {
            let (name, value) = header(Syntax::Ruby, auth, key);
            ruby(view, text, call, endpoint, name, &value, settings)
        }
        Syntax::Go => go(view, text, call, endpoint, auth, key),
        Syntax::Java => {
            let (name, value) = header(Syntax::Java, auth, key);
            axmlrpc(view, text, call, endpoint, name, &value)
        }
        Syntax::Perl => {
            let (name, value) = header(Syntax::Perl, auth, key);
            let late = match (late, kept) {
                (Some(set), Some(kept)) => Some((set, kept)),
                (Some(_), None) => {
                    return Err(format!("`{key}` is set after the client is made, and the client is kept in no name: set the key first, then run again"))
                }
                (None, _) => None,
            };
            perl(view, text, call, endpoint, name, &value, late)
        }
        _ => {
            let (name, value) = header(view.syntax, auth, key);
            npm(view, text, call, endpoint, name, &value, settings)
        }
    }
}

/// Where a client's URL is written: the expression itself, or the string a name given to the
/// client holds.
fn url_string<'v>(view: &'v View, e: &'v Expr) -> Result<&'v Expr, String> {
    match super::url_name(view, e) {
        None => Ok(e),
        Some(n) => view
            .only_binding(n)
            .filter(|b| matches!(b.value.kind, Kind::Str(_)))
            .or_else(|| view.string_before(n, e.span.start))
            .map(|b| &b.value)
            .ok_or_else(|| format!("the URL in `{n}` is not a string set once here")),
    }
}

/// The edit that puts the new URL where a client's URL is written: the string itself, or the
/// string a name given to the client holds. A URL read from settings (`settings` set: the calls
/// through the client are Keap's) is replaced where the client is given it: every app now
/// shares the new endpoint, so the setting no longer matters.
fn url(
    view: &View,
    text: &str,
    e: &Expr,
    endpoint: &str,
    settings: bool,
) -> Result<Change, String> {
    let string = match url_string(view, e) {
        Err(_) if settings => e,
        found => found?,
    };
    if settings && !matches!(string.kind, Kind::Str(_)) {
        let q = if view.syntax == Syntax::Python {
            '"'
        } else {
            '\''
        };
        return Ok(change(e.span.clone(), format!("{q}{endpoint}{q}")));
    }
    if !matches!(string.kind, Kind::Str(_)) {
        return Err("the client's URL is computed: point it at the new endpoint by hand".into());
    }
    let q = quote_of(text, string);
    Ok(change(string.span.clone(), format!("{q}{endpoint}{q}")))
}

/// A host, path and port given apart (Ruby's `new3` hash and `new` arguments, npm options):
/// the new endpoint's host and path in the file's own quotes, and port 443. A host kept in a
/// name set once in the file to a string changes there. One from settings made elsewhere
/// (`Infusionsoft.api_url`, the app's own host) beside the legacy path is replaced by the new
/// host: every app now shares it.
fn host_path(
    view: &View,
    text: &str,
    host: &Expr,
    path: &Expr,
    port: Option<&Expr>,
    endpoint: &str,
) -> Result<Vec<Change>, String> {
    // A path kept in a name set once to a string (`path = "/api/xmlrpc"`) changes there.
    let path = match super::url_name(view, path).and_then(|n| view.only_binding(n)) {
        Some(b) if matches!(b.value.kind, Kind::Str(_)) => &b.value,
        _ => path,
    };
    let Kind::Str(path_text) = &path.kind else {
        return Err("the client's path is computed: set it to /crm/xmlrpc by hand".into());
    };
    // Keap's own paths, the legacy one or an OAuth one (`/crm/xmlrpc/v1?access_token=…`):
    // the host beside them can only be Keap's.
    let legacy_path = matches!(
        path_text.text.trim_end_matches('/'),
        "/api/xmlrpc" | "/api/xmlrpc/v1"
    ) || path_text.text.starts_with("/crm/xmlrpc");
    let kept = super::url_name(view, host)
        .and_then(|n| view.only_binding(n).or_else(|| ruby_setting(view, n)))
        .map(|b| &b.value)
        .filter(|v| matches!(v.kind, Kind::Str(_)));
    let host = match (&host.kind, kept) {
        (Kind::Str(_), _) => host,
        (_, Some(value)) if text[value.span.clone()].contains(".infusionsoft.com") => value,
        (_, Some(_)) => return Err("the client's host is kept in a name set to another host: point it at api.infusionsoft.com by hand".into()),
        _ if legacy_path => host,
        _ => {
            return Err(
                "the client's host is set elsewhere: point it at api.infusionsoft.com by hand"
                    .into(),
            )
        }
    };
    let (new_host, new_path) = host_and_path(endpoint);
    let quoted = |e: &Expr, value: &str| {
        let like = if matches!(e.kind, Kind::Str(_)) {
            e
        } else {
            path
        };
        let q = quote_of(text, like);
        change(e.span.clone(), format!("{q}{value}{q}"))
    };
    let mut out = vec![quoted(host, new_host), quoted(path, &new_path)];
    out.extend(port.map(|p| change(p.span.clone(), "443")));
    Ok(out)
}

/// Ruby: the one setting a bare name reads (`api_url`, a method of the gem's configuration)
/// is given in this file, `config.api_url = 'app.infusionsoft.com'` in a `configure` block.
fn ruby_setting<'v>(view: &'v View, name: &str) -> Option<&'v crate::lang::Binding> {
    if view.syntax != Syntax::Ruby || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return None;
    }
    let suffix = format!(".{name}");
    let mut set = view.bindings.iter().filter(|b| b.target.ends_with(&suffix));
    let first = set.next()?;
    set.next().is_none().then_some(first)
}

fn host_and_path(endpoint: &str) -> (&str, String) {
    let rest = endpoint.strip_prefix("https://").unwrap_or(endpoint);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    (host, format!("/{path}"))
}

/// Python 2's `ServerProxy` takes no headers: a transport sends them. Written to import on
/// Python 2 and 3 alike, so code that runs on both keeps doing so.
pub const TRANSPORT: &str = "KeapKeyTransport";

fn python(
    view: &View,
    text: &str,
    call: &Call,
    endpoint: &str,
    given: &Given,
) -> Result<Vec<Change>, String> {
    let Given {
        auth,
        key,
        late,
        settings,
        ..
    } = *given;
    let positional = call
        .positional()
        .filter(|a| !matches!(a.value.kind, Kind::Splat(_)));
    if call.keyword("headers").is_some()
        || call.keyword("transport").is_some()
        || positional.count() > 1
    {
        return Err(
            "this ServerProxy has its own transport or headers: add the key header to them".into(),
        );
    }
    let uri = call
        .positional()
        .next()
        .or_else(|| call.keyword("uri"))
        .ok_or("the ServerProxy has no URL argument")?;
    let last = call.args.last().expect("the URL is an argument");
    let mut out = vec![url(view, text, &uri.value, endpoint, settings)?];
    // A key set after the client is read by the transport at each request.
    if !given.old_python && late.is_none() {
        let (name, value) = header(Syntax::Python, auth, key);
        out.push(change(
            last.span.end..last.span.end,
            format!(", headers=[(\"{name}\", {value})]"),
        ));
        return Ok(out);
    }
    out.push(change(
        last.span.end..last.span.end,
        format!(
            ", transport={}",
            transport(auth, key, &transport_options(text, call))
        ),
    ));
    let at = top_level_start(
        view,
        text,
        view.calls.iter().find(|c| is_client(c)).unwrap_or(call),
    );
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    out.push(change(at..at, transport_class(eol)));
    Ok(out)
}

/// The transport that sends `key`'s header: `KeapKeyTransport(lambda: key)`, with the header's
/// name after it where it is not the key header, then `options` (`, use_datetime=True`).
pub fn transport(auth: Auth, key: &str, options: &str) -> String {
    match header(Syntax::Python, auth, key) {
        ("X-Keap-API-Key", value) => format!("{TRANSPORT}(lambda: {value}{options})"),
        (name, value) => format!("{TRANSPORT}(lambda: {value}, \"{name}\"{options})"),
    }
}

/// What `ServerProxy` hands the transport it makes itself, and not one it is given: a
/// `KeapKeyTransport` takes them instead (`, use_datetime=True, context=ctx`), so dates still
/// come back as `datetime` and a custom TLS context still applies.
pub fn transport_options(text: &str, call: &Call) -> String {
    ["use_datetime", "use_builtin_types", "context"]
        .iter()
        .filter_map(|name| call.keyword(name))
        .map(|a| format!(", {}", &text[a.span.clone()]))
        .collect()
}

/// `KeapKeyTransport`: a `SafeTransport` that sends a header with every request, its value read
/// by the function it is given (Python 2's `ServerProxy` takes no `headers`). One class for
/// both headers, so a file with a key client and a token client defines it once.
pub fn transport_class(eol: &str) -> String {
    [
        "try:",
        "    from xmlrpclib import SafeTransport as _SafeTransport",
        "except ImportError:",
        "    from xmlrpc.client import SafeTransport as _SafeTransport",
        "",
        "",
        &format!("class {TRANSPORT}(_SafeTransport):"),
        "    \"\"\"Sends Keap's key header (X-Keap-API-Key, or Authorization) with every request.\"\"\"",
        "",
        "    def __init__(self, key, header=\"X-Keap-API-Key\", **options):",
        "        _SafeTransport.__init__(self, **options)",
        "        # Called at each request, so a key set after the client is made still counts.",
        "        self.keap_key = key",
        "        self.keap_header = header",
        "",
        "    def send_content(self, connection, request_body):",
        "        connection.putheader(self.keap_header, self.keap_key())",
        "        _SafeTransport.send_content(self, connection, request_body)",
        "",
        "",
        "",
    ]
    .join(eol)
}

/// Where the module-level statement holding a call starts (its decorators included): a
/// definition inserted there exists before the call runs.
pub fn top_level_start(view: &View, text: &str, call: &Call) -> usize {
    let mut scope = call.scope;
    let mut start = call.stmt.start;
    while let Some(parent) = view.scopes[scope].parent {
        start = view.scopes[scope].span.start;
        scope = parent;
    }
    let mut line = text[..start].rfind('\n').map_or(0, |n| n + 1);
    // Decorators above a definition belong to it.
    while line > 0 {
        let prev = text[..line - 1].rfind('\n').map_or(0, |n| n + 1);
        if !text[prev..line].trim_start().starts_with('@') {
            break;
        }
        line = prev;
    }
    line
}

fn entry<'e>(entries: &'e [Entry], key: &str) -> Option<&'e Entry> {
    entries.iter().find(|e| e.key.as_deref() == Some(key))
}

fn ruby(
    view: &View,
    text: &str,
    call: &Call,
    endpoint: &str,
    name: &str,
    value: &str,
    settings: bool,
) -> Result<Vec<Change>, String> {
    let parens = call
        .parens
        .clone()
        .ok_or("the client is made without parentheses: add them, then run again")?;
    let extra = existing_header_extra(view, text, call)?;
    let mut out = Vec::new();
    // The hash entry that sends the key, its name in the hash's own quotes.
    let mut header = Header::Plain(name, value.to_string());
    let args: Vec<&Expr> = call.positional().map(|a| &a.value).collect();
    match call.name.as_str() {
        "new2" | "new_from_uri" => out.push(url(
            view,
            text,
            args.first().ok_or("no URL argument")?,
            endpoint,
            settings,
        )?),
        "new3" | "new_from_hash" => {
            let Some(Kind::Map(entries)) = args.first().map(|a| &a.kind) else {
                return Err("the client's settings are not a hash written here".into());
            };
            let host_entry = entry(entries, "host").ok_or("no host in the client's settings")?;
            let path_entry = entry(entries, "path").ok_or("no path in the client's settings")?;
            let ssl = entry(entries, "use_ssl").ok_or("the client does not use TLS (no use_ssl): set use_ssl and the new endpoint by hand")?;
            if text[ssl.value.span.clone()].trim() != "true" {
                return Err(
                    "the client does not use TLS: set use_ssl and the new endpoint by hand".into(),
                );
            }
            let port = entry(entries, "port").map(|e| &e.value);
            match oauth_path(view, text, call, &path_entry.value) {
                Some(oauth) => {
                    out.extend(oauth_host_path(
                        view,
                        text,
                        &oauth,
                        &host_entry.value,
                        port,
                        endpoint,
                    ));
                    header = oauth_header(&oauth, name, value);
                }
                None => out.extend(host_path(
                    view,
                    text,
                    &host_entry.value,
                    &path_entry.value,
                    port,
                    endpoint,
                )?),
            }
        }
        "new" => {
            let (Some(h), Some(p)) = (args.first(), args.get(1)) else {
                return Err("the client's host and path are not arguments here".into());
            };
            if args
                .get(7)
                .is_none_or(|s| text[s.span.clone()].trim() != "true")
            {
                return Err("the client does not use TLS (use_ssl, the 8th argument): set it and the new endpoint by hand".into());
            }
            out.extend(host_path(view, text, h, p, args.get(2).copied(), endpoint)?);
        }
        other => {
            return Err(format!(
                "XMLRPC::Client.{other} is not a constructor this tool knows"
            ))
        }
    }
    match extra {
        // The hash set after the client would replace one set on it: the key joins that hash.
        Some(last) => {
            let q = match text[last.span.clone()].chars().next() {
                Some('\'') => '\'',
                _ => '"',
            };
            out.push(change(
                last.span.end..last.span.end,
                format!(", {}", header.entry(q)),
            ))
        }
        // On the client itself, so it holds wherever the client is kept or returned.
        None => out.push(change(
            parens.end..parens.end,
            format!(
                ".tap {{ |c| c.http_header_extra = {{ {} }} }}",
                header.entry('"')
            ),
        )),
    }
    Ok(out)
}

/// The `http_header_extra` entry a Ruby client gets.
enum Header<'n> {
    Plain(&'n str, String),
    /// The infusionsoft gem's two modes: a Bearer token when `cond` holds, the key otherwise.
    Either {
        cond: String,
        token: String,
        name: &'n str,
        value: String,
    },
}

impl Header<'_> {
    fn entry(&self, q: char) -> String {
        match self {
            Header::Plain(name, value) => format!("{q}{name}{q} => {value}"),
            Header::Either {
                cond,
                token,
                name,
                value,
            } => format!(
                "({cond} ? {q}Authorization{q} : {q}{name}{q}) => ({cond} ? \"Bearer #{{{token}}}\" : {value})"
            ),
        }
    }
}

/// The infusionsoft gem's path, a name set just before the client in its method:
/// `path = use_oauth ? "/crm/xmlrpc/v1?access_token=#{api_key}" : "/api/xmlrpc"`.
struct OauthPath {
    /// The whole conditional, and the quote its strings use.
    span: Range<usize>,
    quote: char,
    cond: String,
    token: String,
}

fn oauth_path(view: &View, text: &str, call: &Call, path: &Expr) -> Option<OauthPath> {
    static TERNARY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"^(?P<cond>@?\w+\??)\s*\?\s*(?P<q>["'])/crm/xmlrpc(?:/v1)?\?access_token=#\{(?P<token>@?\w+)\}["']\s*:\s*["']/api/xmlrpc/?["']$"#,
        )
        .unwrap()
    });
    let Kind::Name(n) = &path.kind else {
        return None;
    };
    let set = view
        .bindings
        .iter()
        .rfind(|b| b.target == *n && b.scope == call.scope && b.stmt.end <= call.span.start)?;
    let found = TERNARY.captures(text[set.value.span.clone()].trim())?;
    Some(OauthPath {
        span: set.value.span.clone(),
        quote: found["q"].chars().next()?,
        cond: found["cond"].to_string(),
        token: found["token"].to_string(),
    })
}

/// Both of the gem's modes go to the new endpoint: the path without its token, and the host
/// every app now shares (the one configured was the app's own or Keap's OAuth host).
fn oauth_host_path(
    view: &View,
    text: &str,
    oauth: &OauthPath,
    host: &Expr,
    port: Option<&Expr>,
    endpoint: &str,
) -> Vec<Change> {
    let (new_host, new_path) = host_and_path(endpoint);
    let q = oauth.quote;
    // A setting given in this file (`config.api_url = 'app.infusionsoft.com'`) changes there.
    let host = super::url_name(view, host)
        .and_then(|n| ruby_setting(view, n))
        .map(|b| &b.value)
        .filter(|v| {
            matches!(v.kind, Kind::Str(_)) && text[v.span.clone()].contains(".infusionsoft.com")
        })
        .unwrap_or(host);
    let hq = if matches!(host.kind, Kind::Str(_)) {
        quote_of(text, host)
    } else {
        q
    };
    let mut out = vec![
        change(oauth.span.clone(), format!("{q}{new_path}{q}")),
        change(host.span.clone(), format!("{hq}{new_host}{hq}")),
    ];
    out.extend(port.map(|p| change(p.span.clone(), "443")));
    out
}

/// With `--auth bearer` both modes send a Bearer header; with the key header, the OAuth mode
/// still sends its token as Bearer (an OAuth token is not an API key).
fn oauth_header<'n>(oauth: &OauthPath, name: &'n str, value: &str) -> Header<'n> {
    if name == "Authorization" {
        return Header::Plain(name, value.to_string());
    }
    Header::Either {
        cond: oauth.cond.clone(),
        token: oauth.token.clone(),
        name,
        value: value.to_string(),
    }
}

/// `Frontier::Client->new(url => …)` or `RPC::XML::Client->new($url)`: the URL changes, and
/// the client is made in a `do` block that sets the header on its request before giving the
/// client back, so it holds wherever the client is kept or returned. A key set only after the
/// client (`late`: its statement, and the name the client is kept in) is given to the client
/// right after that statement.
fn perl(
    view: &View,
    text: &str,
    call: &Call,
    endpoint: &str,
    name: &str,
    value: &str,
    late: Option<(&Range<usize>, &str)>,
) -> Result<Vec<Change>, String> {
    let (uri, request) = match call.path() {
        Some("Frontier::Client->new") => {
            let Some(Kind::Map(entries)) = call.positional().next().map(|a| &a.value.kind) else {
                return Err("the client's settings are not a hash written here".into());
            };
            let url = entry(entries, "url").ok_or("no url in the client's settings")?;
            (&url.value, "{rq}")
        }
        Some("RPC::XML::Client->new") => {
            let url = call.positional().next().ok_or("no URL argument")?;
            (&url.value, "request")
        }
        _ => return Err("not a Perl XML-RPC client this tool knows".into()),
    };
    if call.parens.is_none() {
        return Err("the client is made without parentheses: add them, then run again".into());
    }
    let url = url(view, text, uri, endpoint, false)?;
    if let Some((set, kept)) = late {
        let header = format!("{kept}->{request}->header('{name}' => {value});");
        return Ok(vec![url, after_statement(text, set, &header)?]);
    }
    const CLIENT: &str = "$keap_client";
    Ok(vec![
        change(
            call.span.start..call.span.start,
            format!("do {{ my {CLIENT} = "),
        ),
        url,
        change(
            call.span.end..call.span.end,
            format!("; {CLIENT}->{request}->header('{name}' => {value}); {CLIENT} }}"),
        ),
    ])
}

/// `code` after the statement at `stmt` (which ends before its `;`): on a line of its own,
/// indented like the statement, when nothing but a comment follows the `;`, else after it on
/// the same line.
fn after_statement(text: &str, stmt: &Range<usize>, code: &str) -> Result<Change, String> {
    let rest = &text[stmt.end..];
    let semi = stmt.end + rest.len() - rest.trim_start().len();
    if !text[semi..].starts_with(';') {
        return Err(
            "the key is not set by a statement of its own: add the header after it by hand".into(),
        );
    }
    let after = semi + 1;
    let line = text[after..].split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    let tail = line.trim();
    if !tail.is_empty() && !tail.starts_with('#') {
        return Ok(change(after..after, format!(" {code}")));
    }
    let start = text[..stmt.start].rfind('\n').map_or(0, |n| n + 1);
    let indent: String = text[start..stmt.start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let end = after + line.len();
    let eol = if text[end..].starts_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    Ok(change(end..end, format!("{eol}{indent}{code}")))
}

/// Whether a client already sends a key header: written in its constructor's arguments
/// (`headers=[("X-Keap-API-Key", key)]`, npm options' `headers`, a `KeapKeyTransport`), or in
/// the `http_header_extra` hash it is given just after it is made, in the same scope.
pub fn sends_key_header(view: &View, text: &str, call: &Call) -> bool {
    let says = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.contains("x-keap-api-key")
            || s.contains("keapkeytransport(")
            || (s.contains("authorization") && s.contains("bearer"))
    };
    // Ruby's `XMLRPC::Client.new2(url).tap { |c| c.http_header_extra = {…} }`, as written here.
    let tap = view.tap_of(call);
    says(&text[tap.map_or(&call.span, |t| &t.span).clone()])
        || header_extra_sets(view, call)
            .into_iter()
            .flatten()
            .any(|b| {
                b.scope == call.scope
                    && b.stmt.start >= call.span.end
                    && says(&text[b.value.span.clone()])
            })
}

/// The `X.http_header_extra = …` statements of the name `X` a client is kept in; `None` where
/// it is kept in none.
fn header_extra_sets<'v>(view: &'v View, call: &Call) -> Option<Vec<&'v crate::lang::Binding>> {
    let kept = view
        .bindings
        .iter()
        .find(|b| b.value.span == call.span && b.scope == call.scope)?;
    let target = format!("{}.http_header_extra", kept.target);
    Some(
        view.bindings
            .iter()
            .filter(|b| b.target == target)
            .collect(),
    )
}

/// The last entry of the `http_header_extra` hash the client is given just after it is made
/// (`client.http_header_extra = {'User-Agent' => agent}`, as the infusionsoft gem does), or
/// `None` where the file sets no such hash. Any other use of it (set on another name, in
/// another scope, changed in place) is left to a person.
fn existing_header_extra<'v>(
    view: &'v View,
    text: &str,
    call: &Call,
) -> Result<Option<&'v Entry>, String> {
    let uses = text.matches("http_header_extra").count();
    if uses == 0 {
        return Ok(None);
    }
    let refuse =
        || "the client already sets http_header_extra: add the key header to that hash".to_string();
    let set = header_extra_sets(view, call).ok_or_else(refuse)?;
    // Set twice in a row, the last hash is the one the client sends (the infuseit gem's
    // `User-Agent` line, then its `accept-encoding` line).
    let after_client =
        |b: &&crate::lang::Binding| b.scope == call.scope && b.stmt.start >= call.span.end;
    let mut set = set;
    set.sort_by_key(|b| b.stmt.start);
    // One statement after the other, nothing between (not the branches of an `if`).
    let in_a_row = set
        .windows(2)
        .all(|w| text[w[0].stmt.end..w[1].stmt.start].trim().is_empty());
    if !(set.iter().all(after_client) && uses == set.len() && in_a_row) {
        return Err(refuse());
    }
    let b = set.last().ok_or_else(refuse)?;
    match &b.value.kind {
        Kind::Map(entries) => entries.last().map(Some).ok_or_else(refuse),
        // `headers = {…}` once in the same method, then `client.http_header_extra = headers`:
        // the hash literal is the one to add to.
        Kind::Name(name) => {
            let held: Vec<_> = view
                .bindings
                .iter()
                .filter(|h| h.target == *name && h.scope == call.scope)
                .collect();
            match held[..] {
                [h] if h.stmt.end <= b.stmt.start => match &h.value.kind {
                    Kind::Map(entries) => entries.last().map(Some).ok_or_else(refuse),
                    _ => Err(refuse()),
                },
                _ => Err(refuse()),
            }
        }
        _ => Err(refuse()),
    }
}

fn npm(
    view: &View,
    text: &str,
    call: &Call,
    endpoint: &str,
    name: &str,
    value: &str,
    settings: bool,
) -> Result<Vec<Change>, String> {
    let options = options_of(call).ok_or("the client has no options")?;
    let mut out = Vec::new();
    // `createClient` speaks plain HTTP; the new endpoint is https only.
    if call.name == "createClient" {
        let callee = &call.callee.span;
        let at = text[callee.clone()]
            .rfind("createClient")
            .ok_or("the client's maker is not named here")?;
        let start = callee.start + at;
        out.push(change(
            start..start + "createClient".len(),
            "createSecureClient",
        ));
    }
    let header = format!("headers: {{ '{name}': {value} }}");
    match &options.kind {
        Kind::Str(_) => {
            let u = url(view, text, options, endpoint, false)?;
            out.push(change(u.range, format!("{{ url: {}, {header} }}", u.text)));
        }
        Kind::Name(_) if settings && url_string(view, options).is_err() => {
            // `createSecureClient(config.url)`: options with the new endpoint in its place.
            let u = url(view, text, options, endpoint, true)?;
            out.push(change(u.range, format!("{{ url: {}, {header} }}", u.text)));
        }
        Kind::Name(_) => {
            // `createSecureClient(API_URL)`: the string it holds, and options around the name.
            out.push(url(view, text, options, endpoint, false)?);
            let e = &options.span;
            out.push(change(e.start..e.start, "{ url: "));
            out.push(change(e.end..e.end, format!(", {header} }}")));
        }
        Kind::Map(entries) => {
            let mut located = false;
            if let Some(u) = entry(entries, "url") {
                out.push(url(view, text, &u.value, endpoint, settings)?);
                located = true;
            }
            if let Some(h) = entry(entries, "host") {
                let p = entry(entries, "path").ok_or("no path in the client's options")?;
                let port = entry(entries, "port").map(|e| &e.value);
                out.extend(host_path(view, text, &h.value, &p.value, port, endpoint)?);
                located = true;
            }
            if !located {
                return Err("the client's options name no url or host: point it at the new endpoint by hand".into());
            }
            match entry(entries, "headers") {
                Some(h) => {
                    // The object itself, or the one a name given here was set to.
                    let headers = match &h.value.kind {
                        Kind::Name(n) => view
                            .only_binding(n)
                            .map(|b| &b.value)
                            .filter(|v| matches!(v.kind, Kind::Map(_))),
                        Kind::Map(_) => Some(&h.value),
                        _ => None,
                    };
                    let Some(Expr {
                        kind: Kind::Map(set),
                        span,
                    }) = headers
                    else {
                        return Err(
                            "the client's headers are made elsewhere: add the key header to them"
                                .into(),
                        );
                    };
                    // Old OAuth code often sent the token both ways: the header is there.
                    let present = set.iter().any(|e| {
                        e.key
                            .as_deref()
                            .is_some_and(|k| k.eq_ignore_ascii_case(name))
                    });
                    if !present {
                        let open = span.start + 1;
                        out.push(change(open..open, format!(" '{name}': {value},")));
                    }
                }
                None => {
                    let open = options.span.start + 1;
                    out.push(change(open..open, format!(" {header},")));
                }
            }
        }
        _ => {
            return Err(
                "the client's options are made elsewhere: add `headers` with the key there".into(),
            )
        }
    }
    Ok(out)
}

/// The npm `xmlrpc` options a client is made from: its first argument, or those an SDK's own
/// class is handed among its settings (`new XmlApi({ xmlrpc: { clientOptions: { url, ca },
/// methodCallMutators: […] } })`, which the SDK's module gives to `createSecureClient`).
pub fn options_of(call: &Call) -> Option<&Expr> {
    sdk_options(call).or_else(|| call.positional().next().map(|a| &a.value))
}

/// The client options in an SDK's settings: an object with a `url`, or a `host` and a `path`,
/// under keys of which one names the XML-RPC client (`xmlrpc`, `clientOptions`), so an object
/// that merely has a `url` is not taken for one.
pub fn sdk_options(call: &Call) -> Option<&Expr> {
    fn find(e: &Expr, named: bool, depth: usize) -> Option<&Expr> {
        let Kind::Map(entries) = &e.kind else {
            return None;
        };
        let has = |k: &str| entry(entries, k).is_some();
        if named && (has("url") || (has("host") && has("path"))) {
            return Some(e);
        }
        if depth == 0 {
            return None;
        }
        entries.iter().find_map(|en| {
            let key = en.key.as_deref().unwrap_or("").to_ascii_lowercase();
            let names = key.contains("xmlrpc") || key.contains("client");
            find(&en.value, named || names, depth - 1)
        })
    }
    if is_client(call) || is_request(call) {
        return None;
    }
    find(&call.positional().next()?.value, false, 3)
}

/// An HTTP request that posts a hand-written XML-RPC body: `fetch(url, { body })`,
/// `axios.post(url, body, config)`, Python's `requests.post(url, data=body)`, npm
/// `request({ url, body }, cb)` / `request.post(…)`.
pub fn is_request(call: &Call) -> bool {
    match (
        call.name.as_str(),
        call.receiver.as_deref().map(|r| &r.kind),
    ) {
        ("fetch", None) => true,
        // Google Apps Script's `UrlFetchApp.fetch(url, { method: 'post', payload: xml })`.
        ("fetch", Some(Kind::Name(r))) => {
            matches!(r.as_str(), "window" | "globalThis" | "self" | "UrlFetchApp")
        }
        ("post", Some(Kind::Name(r))) if matches!(r.as_str(), "axios" | "requests" | "httpx") => {
            true
        }
        _ => npm_request(call).is_some(),
    }
}

/// npm `request`'s options object: `request(options, cb)`, `request.post(options, cb)`, or
/// after the URL, `request.post(url, options, cb)`.
fn npm_request(call: &Call) -> Option<&[Entry]> {
    let bare = call.name == "request" && call.receiver.is_none() && !call.new;
    let post = call.name == "post"
        && matches!(call.receiver.as_deref().map(|r| &r.kind), Some(Kind::Name(r)) if r == "request");
    if !bare && !post {
        return None;
    }
    call.positional()
        .take(2)
        .find_map(|a| match &a.value.kind {
            Kind::Map(entries) => Some(entries.as_slice()),
            _ => None,
        })
        .filter(|entries| entry(entries, "body").is_some())
}

/// The options object `fetch(url, options)` is given: written there, or the object the name
/// given there was last set to before the call, in its scope or one around it (Apps Script
/// code keeps them in `var params = { … }`).
fn fetch_options<'v>(view: &'v View, call: &'v Call) -> Option<&'v Expr> {
    let given = &call.positional().nth(1)?.value;
    let options = match &given.kind {
        Kind::Name(n) => view
            .bindings
            .iter()
            .rfind(|b| {
                b.target == *n && view.within(call.scope, b.scope) && b.stmt.end <= call.span.start
            })
            .map(|b| &b.value)?,
        _ => given,
    };
    matches!(options.kind, Kind::Map(_)).then_some(options)
}

/// The body a request sends.
pub fn body_of<'v>(view: &'v View, call: &'v Call) -> Option<&'v Expr> {
    if !is_request(call) {
        return None;
    }
    if let Some(entries) = npm_request(call) {
        return entry(entries, "body").map(|e| &e.value);
    }
    if call.name == "fetch" {
        let Kind::Map(entries) = &fetch_options(view, call)?.kind else {
            return None;
        };
        // Apps Script names it `payload`.
        return entry(entries, "body")
            .or_else(|| entry(entries, "payload"))
            .map(|e| &e.value);
    }
    call.keyword("data")
        .or_else(|| call.keyword("content"))
        .or_else(|| call.positional().nth(1))
        .map(|a| &a.value)
}

fn request(
    view: &View,
    text: &str,
    call: &Call,
    endpoint: &str,
    name: &str,
    value: &str,
    settings: bool,
) -> Result<Vec<Change>, String> {
    if npm_request(call).is_some() {
        return npm_request_options(view, text, call, endpoint, name, value, settings);
    }
    let target = call.positional().next().ok_or("the request has no URL")?;
    let mut out = vec![url(view, text, &target.value, endpoint, settings)?];
    let python = view.syntax == Syntax::Python;
    // The options that carry the headers: fetch's second argument, axios' third, requests'
    // `headers=`.
    let options = match (call.name.as_str(), python) {
        ("fetch", _) => fetch_options(view, call).or(call.positional().nth(1).map(|a| &a.value)),
        (_, false) => call.positional().nth(2).map(|a| &a.value),
        (_, true) => call.keyword("headers").map(|a| &a.value),
    };
    let entry_text = if python {
        format!("\"{name}\": {value}")
    } else {
        format!("'{name}': {value}")
    };
    match options {
        Some(Expr {
            kind: Kind::Map(_),
            span,
        }) if python => {
            out.push(change(
                span.start + 1..span.start + 1,
                format!("{entry_text}, "),
            ));
        }
        Some(Expr {
            kind: Kind::Map(entries),
            span,
        }) => match entry(entries, "headers") {
            Some(Entry {
                value:
                    Expr {
                        kind: Kind::Map(_),
                        span: h,
                    },
                ..
            }) => {
                out.push(change(h.start + 1..h.start + 1, format!(" {entry_text},")));
            }
            Some(_) => {
                return Err(
                    "the request's headers are made elsewhere: add the key header to them".into(),
                )
            }
            None => out.push(change(
                span.start + 1..span.start + 1,
                format!(" headers: {{ {entry_text} }},"),
            )),
        },
        Some(_) => {
            return Err(
                "the request's options are made elsewhere: add the key header to them".into(),
            )
        }
        None if call.name == "fetch" => {
            return Err(
                "the request sends no options: add the body and the key header by hand".into(),
            )
        }
        None => {
            let last = call.args.last().expect("the URL is an argument");
            let added = if python {
                format!(", headers={{{entry_text}}}")
            } else {
                format!(", {{ headers: {{ {entry_text} }} }}")
            };
            out.push(change(last.span.end..last.span.end, added));
        }
    }
    Ok(out)
}

/// npm `request`: the URL where it is given (the options' `url` or `uri`, or the argument
/// before them), and the header joined to the options' `headers` (or a `headers` entry added).
fn npm_request_options(
    view: &View,
    text: &str,
    call: &Call,
    endpoint: &str,
    name: &str,
    value: &str,
    settings: bool,
) -> Result<Vec<Change>, String> {
    let entries = npm_request(call).ok_or("not an npm request with a body")?;
    let target = entry(entries, "url")
        .or_else(|| entry(entries, "uri"))
        .map(|e| &e.value)
        .or_else(|| {
            call.positional()
                .map(|a| &a.value)
                .next()
                .filter(|v| !matches!(v.kind, Kind::Map(_)))
        })
        .ok_or("the request's URL is not given here: point it at the new endpoint by hand")?;
    let mut out = vec![url(view, text, target, endpoint, settings)?];
    let entry_text = format!("'{name}': {value}");
    match entry(entries, "headers") {
        Some(Entry {
            value: Expr {
                kind: Kind::Map(_),
                span,
            },
            ..
        }) => out.push(change(
            span.start + 1..span.start + 1,
            format!(" {entry_text},"),
        )),
        Some(_) => {
            return Err(
                "the request's headers are made elsewhere: add the key header to them".into(),
            )
        }
        None => {
            let options = call
                .positional()
                .map(|a| &a.value)
                .find(|v| matches!(v.kind, Kind::Map(_)))
                .expect("npm_request found the options");
            let open = options.span.start + 1;
            out.push(change(open..open, format!(" headers: {{ {entry_text} }},")));
        }
    }
    Ok(out)
}

/// The transport the Go recipe adds, once per file.
const GO_TRANSPORT: &str = "keapKeyTransport";

fn go(
    view: &View,
    text: &str,
    call: &Call,
    endpoint: &str,
    auth: Auth,
    key: &str,
) -> Result<Vec<Change>, String> {
    let mut args = call.positional();
    let (Some(url_arg), Some(transport)) = (args.next(), args.next()) else {
        return Err(
            "this NewClient is not kolo/xmlrpc's (url, transport): add the key header by hand"
                .into(),
        );
    };
    if !matches!(transport.value.kind, Kind::Nil) {
        return Err(format!(
            "the client has its own transport: set the key header in it (as {GO_TRANSPORT} would) by hand"
        ));
    }
    let mut out = vec![go_url(view, text, &url_arg.value, endpoint)?];
    out.push(change(
        transport.span.clone(),
        format!("{GO_TRANSPORT}{{key: {key}}}"),
    ));
    if !text.contains(&format!("type {GO_TRANSPORT} struct")) {
        let (name, value, said) = match auth {
            Auth::Header => ("X-Keap-API-Key", "t.key", "an X-Keap-API-Key"),
            Auth::Bearer => (
                "Authorization",
                "\"Bearer \"+t.key",
                "an Authorization: Bearer",
            ),
        };
        // One blank line after the file's last line.
        let eol = if text.ends_with('\n') { "" } else { "\n" };
        let type_text = [
            eol,
            &format!("// {GO_TRANSPORT} sends the Keap API key as {said} header with every request"),
            "// and leaves the rest, the library's own Content-Type included, to http.DefaultTransport.",
            &format!("type {GO_TRANSPORT} struct {{"),
            "\tkey string",
            "}",
            "",
            &format!("func (t {GO_TRANSPORT}) RoundTrip(r *http.Request) (*http.Response, error) {{"),
            "\t// A RoundTripper must not change the request it is given.",
            "\tr = r.Clone(r.Context())",
            &format!("\tr.Header.Set(\"{name}\", {value})"),
            "\treturn http.DefaultTransport.RoundTrip(r)",
            "}",
            "",
        ]
        .join("\n");
        out.push(change(text.len()..text.len(), type_text));
    }
    Ok(out)
}

/// The new endpoint where a Go client's URL is written: a string (literal, concatenated or
/// `fmt.Sprintf`) or the `const` / `var` it is kept in. Go refuses to compile an unused local
/// variable or import: a URL built from a local variable or from the file's only `fmt` call is
/// left to a person.
fn go_url(view: &View, text: &str, e: &Expr, endpoint: &str) -> Result<Change, String> {
    let string = url_string(view, e)?;
    let Kind::Str(t) = &string.kind else {
        return Err("the client's URL is computed: point it at the new endpoint by hand".into());
    };
    if !t.is_plain() {
        let sprintf = text[string.span.clone()].starts_with("fmt.Sprintf");
        if sprintf && text.matches("fmt.").count() == 1 {
            return Err("the URL is the file's only use of fmt: point it at the new endpoint and drop the import by hand".into());
        }
        let scope = view
            .calls
            .iter()
            .find(|c| c.span.start <= string.span.start && string.span.end <= c.span.end)
            .map_or(0, |c| c.scope);
        for hole in t.holes_in(0..t.text.len()) {
            let name = &text[hole];
            let local = view
                .bindings
                .iter()
                .any(|b| b.target == name && b.scope != 0 && view.within(scope, b.scope));
            let word = regex::Regex::new(&format!(r"\b{}\b", regex::escape(name)))
                .expect("an escaped name is a pattern");
            // Besides where it is declared and the URL.
            let used_elsewhere = word.find_iter(text).count() > 2;
            if local && !used_elsewhere {
                return Err(format!(
                    "`{name}` would be left unused: point the client at the new endpoint by hand"
                ));
            }
        }
    }
    Ok(change(string.span.clone(), format!("\"{endpoint}\"")))
}

/// The edit that adds the import paths a Go file lacks: into its first `import ( … )` group,
/// in the order gofmt keeps, after its single-line imports, or after its package clause.
pub fn go_imports(text: &str, paths: &[&str]) -> Option<(Range<usize>, String)> {
    static IMPORTED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?m)^\s*(?:import\s+)?(?:[\w.]+\s+)?"(?P<path>[^"]+)"\s*(?://.*)?$"#)
            .unwrap()
    });
    let have: Vec<&str> = IMPORTED
        .captures_iter(text)
        .map(|c| c.name("path").expect("path group").as_str())
        .collect();
    let mut missing: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| !have.contains(p))
        .collect();
    if missing.is_empty() {
        return None;
    }
    missing.sort_unstable();
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines = |at: usize| {
        text[at..].split_inclusive('\n').scan(at, |offset, line| {
            let start = *offset;
            *offset += line.len();
            Some((start, line))
        })
    };
    if let Some(open) = text
        .find("import (")
        .filter(|&at| at == 0 || text[..at].ends_with('\n'))
    {
        let first = text[open..].find('\n')? + open + 1;
        // The first group: its lines up to a blank line or the closing parenthesis, each put
        // back in its place among them by path.
        let group: Vec<(usize, &str)> = lines(first)
            .take_while(|(_, l)| !l.trim().is_empty() && l.trim() != ")")
            .collect();
        let end = group.last().map_or(first, |(at, l)| at + l.len());
        let indent = group
            .first()
            .map_or("\t", |(_, l)| &l[..l.len() - l.trim_start().len()]);
        let mut all: Vec<(String, String)> = group
            .iter()
            .map(|(_, l)| {
                let path = IMPORTED
                    .captures(l.trim_end())
                    .map_or(String::new(), |c| c["path"].to_string());
                (path, l.to_string())
            })
            .collect();
        all.extend(
            missing
                .iter()
                .map(|p| (p.to_string(), format!("{indent}\"{p}\"{eol}"))),
        );
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let text: String = all.into_iter().map(|(_, l)| l).collect();
        return Some((first..end, text));
    }
    let added: String = missing
        .iter()
        .map(|p| format!("import \"{p}\"{eol}"))
        .collect();
    let last_import = lines(0)
        .filter(|(_, l)| l.starts_with("import "))
        .last()
        .map(|(at, l)| at + l.len());
    if let Some(at) = last_import {
        return Some((at..at, added));
    }
    let package = lines(0).find(|(_, l)| l.starts_with("package "))?;
    let at = package.0 + package.1.len();
    Some((at..at, format!("{eol}{added}")))
}

/// `XMLRPCClient client = new XMLRPCClient(new URL("…"));`: the URL changes, and the statement
/// after the one that makes the client sets the header on it, at the same indentation.
fn axmlrpc(
    view: &View,
    text: &str,
    call: &Call,
    endpoint: &str,
    name: &str,
    value: &str,
) -> Result<Vec<Change>, String> {
    if call.name != "XMLRPCClient" {
        return Err("not an aXMLRPC client: add the key header by hand".into());
    }
    let url_arg = call.positional().next().ok_or("no URL argument")?;
    // `new URL("…")`, or the string a name given to it holds.
    let string = match &url_arg.value.kind {
        Kind::Call(i) if view.calls[*i].new && view.calls[*i].name == "URL" => {
            &view.calls[*i]
                .positional()
                .next()
                .ok_or("the URL is made without an argument")?
                .value
        }
        _ => return Err("the client's URL is not a `new URL(…)` written here: point it at the new endpoint by hand".into()),
    };
    let mut out = vec![url(view, text, string, endpoint, false)?];
    let index = view
        .calls
        .iter()
        .position(|c| std::ptr::eq(c, call))
        .expect("the call is the view's");
    let binding = view
        .bindings
        .iter()
        .find(|b| matches!(b.value.kind, Kind::Call(i) if i == index))
        .ok_or("the client is not kept in a name: set the key header on it by hand")?;
    if view.scopes[binding.scope].kind == crate::lang::ScopeKind::Class {
        return Err("the client is made in a field's initializer: set the key header on it in the constructor by hand".into());
    }
    let line_start = text[..binding.stmt.start].rfind('\n').map_or(0, |n| n + 1);
    let indent = &text[line_start..binding.stmt.start];
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return Err("the client is made mid-line: set the key header on it by hand".into());
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let target = &binding.target;
    out.push(change(
        binding.stmt.end..binding.stmt.end,
        format!("{eol}{indent}{target}.setCustomHttpHeader(\"{name}\", {value});"),
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::go_imports;

    fn with_imports(text: &str, paths: &[&str]) -> String {
        let mut out = text.to_string();
        if let Some((range, added)) = go_imports(text, paths) {
            out.replace_range(range, &added);
        }
        out
    }

    #[test]
    fn go_imports_join_the_first_group_in_gofmt_order() {
        let grouped = "package a\n\nimport (\n\t\"fmt\"\n\t\"net/url\"\n\t\"strings\"\n\n\t\"github.com/kolo/xmlrpc\"\n)\n";
        assert_eq!(
            with_imports(grouped, &["net/http", "os"]),
            "package a\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\t\"net/url\"\n\t\"os\"\n\t\"strings\"\n\n\t\"github.com/kolo/xmlrpc\"\n)\n"
        );
        // Imported already, with a name or not: nothing to add.
        let named = "package a\n\nimport (\n\th \"net/http\"\n\t\"os\"\n)\n";
        assert_eq!(go_imports(named, &["net/http", "os"]), None);
        let single = "package a\n\nimport \"github.com/kolo/xmlrpc\"\n\nfunc f() {}\n";
        assert_eq!(
            with_imports(single, &["net/http"]),
            "package a\n\nimport \"github.com/kolo/xmlrpc\"\nimport \"net/http\"\n\nfunc f() {}\n"
        );
        let none = "package a\n\nfunc f() {}\n";
        assert_eq!(
            with_imports(none, &["os"]),
            "package a\n\nimport \"os\"\n\nfunc f() {}\n"
        );
    }
}
