//! The detectors written once against the neutral view (`lang`): endpoints however a string is
//! built, the key at each call site, wrappers that prepend it to every call, and 32-hex literals
//! in files that talk to Keap. Python, Ruby, JavaScript, TypeScript and Go come through here.
use std::{cell::OnceCell, collections::HashMap, ops::Range, sync::LazyLock};

use regex::Regex;

use crate::rules::build_pattern;

use super::{
    classify_first_param, is_key_slot_literal, is_secret_literal, key_like, method_detail,
    method_takes_key, php, text::Facts, user_name_first, FirstParam, Hit, WRAPPER_DETAIL,
};
use crate::{
    lang::{self, Binding, Call, Expr, Kind, Syntax, Template, View, HOLE},
    rules::{
        HARDCODED_KEY, KEY_IN_BODY, LEGACY_ENDPOINT, MISSING_AUTH, MORTGAGEPRO_ENDPOINT,
        TOKEN_IN_URL, VENDOR_LOGIN,
    },
};

static SERVICE: LazyLock<Regex> = LazyLock::new(|| build_pattern(r"^[A-Z]\w*Service$").unwrap());
/// Services only Keap has: a call to one needs no other sign that the file talks to Keap.
static KEAP_SERVICE: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(r"^(?:Contact|Data|Invoice|Product|Order|Funnel|APIEmail|Email|Affiliate|APIAffiliate|AffiliateProgram|Discount|File|Search|Shipping|WebForm|WebTracking|CreditCardSubmission)Service$").unwrap()
});
static API_PATH: LazyLock<Regex> = LazyLock::new(|| build_pattern(r"^/api/xmlrpc/?$").unwrap());
static HEX32: LazyLock<Regex> = LazyLock::new(|| build_pattern(r"^[0-9a-fA-F]{32}$").unwrap());

/// Finds what the rules look for in a parsed file and lists its comments; `false` when it
/// cannot be parsed (the regex fallback takes it then).
pub fn detect(
    syntax: Syntax,
    facts: &Facts,
    hits: &mut Vec<Hit>,
    comments: &mut Vec<Range<usize>>,
) -> bool {
    let text = facts.text();
    // Every finding here needs a Keap name, host or service: without one the parse (most of
    // a scan's cost) can only find nothing, however much the file speaks XML-RPC (`six`,
    // pip's PyPI client, a lexer's list of PHP builtins).
    if !facts.keap() {
        // The patterns still look for Keap's own service names.
        return false;
    }
    let Some(view) = lang::view(syntax, text) else {
        return false;
    };
    comments.extend(view.comments.iter().cloned());
    Detector::new(text, facts, &view, hits).run();
    true
}

/// A key-in-body site, decided once the whole file is known (a wrapper may be what puts the key
/// first).
struct Site {
    span: Range<usize>,
    detail: String,
    key_like: bool,
}

struct Detector<'a> {
    text: &'a str,
    facts: &'a Facts<'a>,
    view: &'a View,
    hits: &'a mut Vec<Hit>,
    sites: Vec<Site>,
    wrapper: bool,
    /// The site of a token prepended to every call beside the per-app endpoint.
    token_wrapper: Option<usize>,
    /// The file calls a Keap service or names a legacy endpoint.
    strong: bool,
    /// The file names a legacy endpoint.
    strong_endpoint: bool,
    /// The file writes XML-RPC bodies by hand.
    xml: bool,
    /// Some string is the legacy path alone: asked per host string, answered once per file.
    path_too: OnceCell<bool>,
    /// The bindings of each name, in file order: a call looks up what its names were last
    /// bound to, and a scan of every binding per call is quadratic in big files.
    bound: HashMap<&'a str, Vec<&'a Binding>>,
}

impl<'a> Detector<'a> {
    fn new(text: &'a str, facts: &'a Facts<'a>, view: &'a View, hits: &'a mut Vec<Hit>) -> Self {
        Detector {
            text,
            facts,
            view,
            hits,
            sites: Vec::new(),
            wrapper: false,
            token_wrapper: None,
            strong: false,
            strong_endpoint: false,
            xml: false,
            path_too: OnceCell::new(),
            bound: view.bindings.iter().fold(HashMap::new(), |mut bound, b| {
                bound
                    .entry(b.target.as_str())
                    .or_insert_with(Vec::new)
                    .push(b);
                bound
            }),
        }
    }

    /// The bindings of `name` in the call's scope made before the call, the last first.
    fn bound_before(&self, name: &str, call: &Call) -> impl Iterator<Item = &'a Binding> + '_ {
        let (scope, start) = (call.scope, call.span.start);
        self.bound
            .get(name)
            .into_iter()
            .flat_map(|bs| bs.iter().rev().copied())
            .filter(move |b| b.scope == scope && b.stmt.end <= start)
    }

    fn path_too(&self) -> bool {
        *self.path_too.get_or_init(|| {
            let path = |s: &Expr| matches!(&s.kind, Kind::Str(t) if API_PATH.is_match(&t.text));
            self.view.strings.iter().any(path)
        })
    }

    fn src(&self, span: &Range<usize>) -> &'a str {
        &self.text[span.clone()]
    }

    fn run(mut self) {
        for s in &self.view.strings {
            if let Kind::Str(t) = &s.kind {
                self.string(s, t);
            }
        }
        for call in &self.view.calls {
            self.call(call);
        }
        self.token_urls();
        if self.view.syntax == Syntax::Ruby {
            self.gem_host_settings();
        }
        if self.view.syntax == Syntax::Cfml {
            self.cfml_arrays();
        }
        for b in &self.view.bindings {
            self.joined(&b.value);
        }
        for call in &self.view.calls {
            for a in &call.args {
                self.joined(&a.value);
            }
        }
        // What a mutator gives back: the call's parameters, nested in what it returns
        // (`[method, [this.key, ...params]]`).
        for e in &self.view.returns {
            self.returned(e);
        }
        self.returned_lists();
        self.finish();
    }

    /// `config.api_url = ENV['INFUSIONSOFT_URL']` in `Infusionsoft.configure`: the host the
    /// infusionsoft gem completes with `/api/xmlrpc` and sends the key to in the body, read from
    /// settings (a host written here is found as a string).
    fn gem_host_settings(&mut self) {
        let blocks: Vec<Range<usize>> = self
            .view
            .calls
            .iter()
            .filter(|c| c.path() == Some("Infusionsoft.configure"))
            .map(|c| c.span.clone())
            .collect();
        for b in &self.view.bindings {
            let setting = b.target.rsplit('.').next() == Some("api_url");
            let inside = blocks
                .iter()
                .any(|block| block.start <= b.stmt.start && b.stmt.end <= block.end);
            if setting && inside && !matches!(b.value.kind, Kind::Str(_)) {
                self.strong = true;
                self.hits
                    .push(Hit::new(LEGACY_ENDPOINT, b.value.span.clone()).detail(GEM_HOST_DETAIL));
            }
        }
    }

    fn returned(&mut self, e: &Expr) {
        self.joined(e);
        if let Kind::List(items) = &e.kind {
            for item in items {
                self.returned(item);
            }
        }
    }

    /// Endpoints, Mortgage Pro, a host an SDK completes, a path beside a host, XML bodies.
    fn string(&mut self, s: &Expr, t: &Template) {
        self.xml_body(t);
        self.token_after_name(s, t);
        // A path joined to a host kept in a name: `self.baseurl + ":443/api/xmlrpc"`.
        let joined = self.named_prefix(t).is_some_and(|base| {
            php::LEGACY_URL.is_match(&format!("{base}{}", &t.text[HOLE.len()..]))
        });
        let url = php::LEGACY_URL.find(&t.text);
        let (rule, m) = match (url, php::MORTGAGE_URL.find(&t.text)) {
            (Some(m), _) => (LEGACY_ENDPOINT, Some(m.range())),
            (None, Some(m)) => (MORTGAGEPRO_ENDPOINT, Some(m.range())),
            (None, None) if joined => (LEGACY_ENDPOINT, None),
            (None, None) => {
                // Where the path is written too, that is the endpoint's finding.
                let host_alone =
                    super::app_host(&t.text) && !self.path_too() && self.host_for_a_client(s);
                // A path beside a host written apart, or beside a client this file makes.
                let path_alone = API_PATH.is_match(&t.text)
                    && t.is_plain()
                    && (self.facts.endpoint_host()
                        || (self.facts.keap() && self.view.calls.iter().any(is_client)));
                if !(host_alone || path_alone) {
                    return;
                }
                (LEGACY_ENDPOINT, None)
            }
        };
        if rule == LEGACY_ENDPOINT {
            self.strong = true;
            self.strong_endpoint = true;
        }
        let span = m
            .and_then(|m| t.source_range(m))
            .filter(|_| t.is_plain())
            .unwrap_or_else(|| s.span.clone());
        self.hits.push(Hit::new(rule, span));
    }

    /// `f"{self.xmlrpc_url}?access_token={token}"`: the token joined to a URL kept in a name
    /// set once to Keap's XML-RPC endpoint (the patterns see only URLs written whole), or to a
    /// URL that ends in its query's `?` (`'%saccess_token=%s' % (self.base_uri, token)`, the
    /// official library's OAuth class).
    fn token_after_name(&mut self, s: &Expr, t: &Template) {
        let Some(query) = t.text.strip_prefix(HOLE) else {
            return;
        };
        let own_query = query.starts_with("?access_token=") || query.starts_with("/?access_token=");
        if !own_query && !query.starts_with("access_token=") {
            return;
        }
        if self.named_prefix(t).is_some_and(|base| {
            base.contains("infusionsoft.com/crm/xmlrpc")
                && (own_query || base.ends_with('?') || base.ends_with('&'))
        }) {
            self.hits.push(Hit::new(TOKEN_IN_URL, s.span.clone()));
        }
    }

    /// `config.apiHost + config.apiEndpoint + '?access_token=' + config.token`: a URL read from
    /// settings with the OAuth token joined last, that a file calling Keap's services hands to a
    /// client or a request (as its URL, or as the options' `url`), directly or through a name.
    fn token_urls(&mut self) {
        if !self.strong {
            return;
        }
        let token_last = |e: &Expr| match &e.kind {
            Kind::Str(t) => {
                let lower = t.text.to_ascii_lowercase();
                !lower.contains("infusionsoft")
                    && ["?access_token=", "&access_token="]
                        .iter()
                        .any(|q| lower.ends_with(&format!("{q}{HOLE}")))
            }
            _ => false,
        };
        let mut found: Vec<Range<usize>> = Vec::new();
        for c in &self.view.calls {
            let given = c.positional().next().map(|a| &a.value);
            let entries = c.args.iter().filter_map(|a| match &a.value.kind {
                Kind::Map(es) => Some(es),
                _ => None,
            });
            let named = entries.flatten().filter_map(|e| {
                matches!(e.key.as_deref(), Some("url" | "uri")).then_some(&e.value)
            });
            for u in given.into_iter().chain(named) {
                if token_last(u) {
                    found.push(u.span.clone());
                } else if let Kind::Name(n) = &u.kind {
                    found.extend(
                        self.bound_before(n, c)
                            .chain(self.bound.get(n.as_str()).into_iter().flatten().copied())
                            .filter(|b| self.view.within(c.scope, b.scope) && token_last(&b.value))
                            .map(|b| b.value.span.clone()),
                    );
                }
            }
        }
        found.sort_by_key(|r| (r.start, r.end));
        found.dedup();
        for span in found {
            self.hits.push(Hit::new(TOKEN_IN_URL, span));
        }
    }

    /// The string a template's leading hole holds, when it is a name set once to a string
    /// (`self.baseurl + ":443/api/xmlrpc"`, `f"{self.xmlrpc_url}?…"`).
    fn named_prefix(&self, t: &Template) -> Option<&'a str> {
        t.text.strip_prefix(HOLE)?;
        let hole = t.holes_in(0..HOLE.len()).next()?;
        let name = self.src(&hole);
        let name = name
            .strip_prefix("${")
            .or_else(|| name.strip_prefix("#{"))
            .or_else(|| name.strip_prefix('{'))
            .and_then(|n| n.strip_suffix('}'))
            .unwrap_or(name)
            .trim();
        let bound = self
            .view
            .only_binding(name)
            .or_else(|| self.view.class_attr_at(name, hole.start))?;
        match &bound.value.kind {
            Kind::Str(u) => Some(u.text.as_str()),
            _ => None,
        }
    }

    /// A host alone is an endpoint where an XML-RPC client or an SDK setting takes it: in a
    /// client's arguments, or kept in a name that says host or URL (`config.api_url = …`, which
    /// the infusionsoft gem completes with `/api/xmlrpc`), written without a scheme. A browser
    /// opening `https://app.infusionsoft.com` is not.
    fn host_for_a_client(&self, s: &Expr) -> bool {
        let in_client = self.view.calls.iter().filter(|c| is_client(c)).any(|c| {
            c.args
                .iter()
                .any(|a| a.span.start <= s.span.start && s.span.end <= a.span.end)
        });
        let named = self.view.bindings.iter().any(|b| {
            b.value.span == s.span && {
                let t = b.target.to_ascii_lowercase();
                ["host", "url", "server", "domain", "endpoint"]
                    .iter()
                    .any(|w| t.contains(w))
            }
        });
        // With its scheme, a host kept in a name is where a browser goes (`self.baseurl =
        // 'https://' + app + '.infusionsoft.com/'`): an SDK's host setting has none.
        let web = matches!(&s.kind, Kind::Str(t) if t.text.starts_with("http"));
        in_client || (named && !web && (self.facts.xmlrpc() || self.facts.keap()))
    }

    /// The first `<param>` of each service call in a hand-written XML body.
    fn xml_body(&mut self, t: &Template) {
        for caps in php::XML_CALL.captures_iter(&t.text) {
            self.xml = true;
            let (method, arg) = (&caps["method"], caps.name("arg").expect("arg group"));
            let hole = t
                .holes_in(arg.range())
                .next()
                .filter(|_| arg.as_str() == HOLE);
            if method == HOLE {
                if let Some(key) = hole.filter(|k| key_like(self.src(k))) {
                    if self.facts.keap() {
                        self.wrapper = true;
                        self.key_at(key, WRAPPER_DETAIL.to_string());
                    }
                }
                continue;
            }
            if !self.facts.keap() {
                continue;
            }
            self.strong = true;
            if method == "DataService.getTemporaryKey" {
                if let Some(range) = t.source_range(caps.name("method").expect("method").range()) {
                    self.hits.push(Hit::new(VENDOR_LOGIN, range));
                }
                continue;
            }
            if !method_takes_key(method) {
                continue;
            }
            let detail = method_detail(method);
            if let Some(hole) = hole {
                self.key_at(hole, detail);
            } else if is_secret_literal(arg.as_str()) {
                if let Some(range) = t.source_range(arg.range()) {
                    self.literal_key(range, detail);
                }
            }
        }
    }

    /// A Keap service call, by attribute (`server.ContactService.add(key, …)`), by name
    /// (`call("ContactService.add", key, …)`, `methodCall('X.y', [key, …])`), through `getattr`,
    /// or with the method computed (a wrapper).
    fn call(&mut self, call: &'a Call) {
        if let Some(rule) = official_library(self.view, self.text, call) {
            self.strong = true;
            self.strong_endpoint = true;
            self.hits
                .push(Hit::new(rule, call.span.clone()).detail(OFFICIAL_LIBRARY_DETAIL));
            if rule == LEGACY_ENDPOINT {
                let key = call.keyword("api_key").or_else(|| call.positional().nth(1));
                if let Some(key) = key {
                    self.library_key(&key.value, call);
                }
            }
            return;
        }
        if let Some(detail) = sdk_constructor(self.view, self.text, call) {
            // The package sends the key: its calls' own first arguments are data.
            self.strong = true;
            self.wrapper = true;
            self.hits
                .push(Hit::new(LEGACY_ENDPOINT, call.span.clone()).detail(detail));
            if let Some(key) = call.positional().nth(1) {
                self.library_key(&key.value, call);
            }
            return;
        }
        // Ruby's `client.multicall(['ContactService.add', key, …], […])`: each boxed call.
        let boxed: Vec<(&str, Option<&Expr>)> = match call.name.as_str() {
            "multicall" | "multicall2" | "multicall_async" | "multicall2_async" => call
                .positional()
                .filter_map(|a| match &a.value.kind {
                    Kind::List(items) => items
                        .first()
                        .and_then(plain)
                        .filter(|m| php::SERVICE_METHOD.is_match(m))
                        .map(|m| (m, items.get(1))),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        if !boxed.is_empty() {
            for (method, key) in boxed {
                self.service_key(call, method, key);
            }
            return;
        }
        if let Some((method, key)) = self.proxy_call(call).or_else(|| self.service_call(call)) {
            self.service_key(call, &method, key);
            return;
        }
        self.dynamic_call(call);
    }

    /// A call of a service's method: the key it sends first, in a file that talks to Keap.
    fn service_key(&mut self, call: &'a Call, method: &str, key: Option<&'a Expr>) {
        let service = method.split('.').next().unwrap_or("");
        let keap = KEAP_SERVICE.is_match(service) || self.facts.keap();
        if !keap {
            return;
        }
        self.strong = true;
        if method == "DataService.getTemporaryKey" {
            self.hits.push(Hit::new(VENDOR_LOGIN, call.span.clone()));
            return;
        }
        if !method_takes_key(method) {
            return;
        }
        if let Some(key) = key {
            self.key_position(key, method_detail(method));
            for other in self.other_branches(call, key) {
                self.key_position(other, method_detail(method));
            }
        }
    }

    /// The key handed to the official library, written here (`Infusionsoft(app, "…")`) or in
    /// the name it is given (`API_KEY = "…"`, in the same function or the module): a 64-hex
    /// value is a key in that slot too. (32-hex literals are found in any file that calls Keap.)
    fn library_key(&mut self, key: &'a Expr, call: &Call) {
        let value = match &key.kind {
            Kind::Name(n) => self.bound_before(n, call).next().or_else(|| {
                self.bound
                    .get(n.as_str())
                    .and_then(|bs| bs.iter().rev().find(|b| b.scope == 0).copied())
            }),
            _ => None,
        }
        .map_or(key, |b| &b.value);
        if let Kind::Str(t) = &value.kind {
            if t.is_plain() && !HEX32.is_match(&t.text) && is_key_slot_literal(&t.text) {
                if let Some(range) = t.source_range(0..t.text.len()) {
                    self.hits
                        .push(Hit::new(HARDCODED_KEY, range.clone()).secret(range));
                }
            }
        }
    }

    /// XML-RPC.NET: `proxy.AddContact(key, data)` sends the call its `[XmlRpcMethod]` names, the
    /// arguments as its parameters. The receiver must be a proxy (declared as, or made from,
    /// a proxy type), or the first argument plainly a key: `list.Add(item)` is not a call.
    fn proxy_call(&self, call: &'a Call) -> Option<(String, Option<&'a Expr>)> {
        let mut methods = self
            .view
            .rpc_methods
            .iter()
            .filter(|m| m.name.eq_ignore_ascii_case(&call.name));
        let key = call.positional().next().map(|a| &a.value);
        let Some(Kind::Name(receiver)) = call.receiver.as_deref().map(|r| &r.kind) else {
            return None;
        };
        let Some(first) = methods.next() else {
            return self.foreign_proxy_call(call, receiver, key);
        };
        let proxy = self.proxy_of(receiver, call);
        let method = match proxy {
            Some(p) => std::iter::once(first)
                .chain(methods)
                .find(|m| m.proxy == p)
                .unwrap_or(first),
            None => first,
        };
        let plainly_key = key.is_some_and(|k| {
            let src = self.src(&k.span);
            key_like(src) || matches!(&k.kind, Kind::Str(t) if is_secret_literal(&t.text))
        });
        if proxy.is_none() && !plainly_key {
            return None;
        }
        // A proxy whose URL is another service's is not Keap's, whatever its methods are named.
        let declared = self.view.proxies.iter().find(|p| p.name == method.proxy);
        if let Some(url) = declared.and_then(|p| p.url.as_ref()) {
            if !url.text.to_ascii_lowercase().contains("infusionsoft") && url.is_plain() {
                return None;
            }
        }
        Some((method.method.clone(), key))
    }

    /// A proxy whose interface is in another file: a lambda's parameter (`Invoke(d =>
    /// d.Add(ApiKey, data))`, EventDay's generated wrappers) or a receiver made by
    /// `XmlRpcProxyGen.Create`. In a file that talks to Keap, its call with a plain key first
    /// counts.
    fn foreign_proxy_call(
        &self,
        call: &'a Call,
        receiver: &str,
        key: Option<&'a Expr>,
    ) -> Option<(String, Option<&'a Expr>)> {
        let scope = &self.view.scopes[call.scope];
        let lambda = scope.name == lang::LAMBDA && scope.params.iter().any(|p| p == receiver);
        let made = || {
            self.bound
                .get(receiver)
                .into_iter()
                .flatten()
                .any(|b| self.src(&b.value.span).contains("XmlRpcProxyGen"))
        };
        let plainly_key = key.is_some_and(|k| key_like(self.src(&k.span)));
        (plainly_key && self.facts.keap() && (lambda || made())).then(|| (call.name.clone(), key))
    }

    /// The proxy type a receiver holds: its declared type, or what it was made from
    /// (`XmlRpcProxyGen.Create<IKeap>()`, `(IKeap)XmlRpcProxyGen.Create(typeof(IKeap))`,
    /// `new KeapProxy()`).
    fn proxy_of(&self, receiver: &str, call: &Call) -> Option<&'a str> {
        let bare = receiver
            .strip_prefix("this.")
            .or_else(|| receiver.strip_prefix("Me."))
            .unwrap_or(receiver);
        let is_proxy = |ty: &str| {
            let ty = ty.split('<').next().unwrap_or(ty);
            let ty = ty.rsplit('.').next().unwrap_or(ty).trim();
            self.view
                .proxies
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(ty))
                .map(|p| p.name.as_str())
        };
        let typed = self
            .view
            .typed
            .iter()
            .filter(|t| t.name.eq_ignore_ascii_case(bare))
            .find_map(|t| is_proxy(&t.type_name));
        if typed.is_some() {
            return typed;
        }
        let made = self
            .bound
            .get(receiver)
            .or_else(|| self.bound.get(bare))
            .into_iter()
            .flatten()
            .filter(|b| b.stmt.end <= call.span.start || b.scope != call.scope);
        for b in made {
            let span = &b.value.span;
            let src = self.src(span);
            if let Some(p) = self.view.proxies.iter().find(|p| {
                src.contains("XmlRpcProxyGen") && src.contains(p.name.as_str())
                    || matches!(b.value.kind, Kind::Call(i) if self.view.calls[i].new
                        && self.view.calls[i].name == p.name)
            }) {
                return Some(p.name.as_str());
            }
        }
        None
    }

    /// The method a call names and the expression in its key position.
    fn service_call(&self, call: &'a Call) -> Option<(String, Option<&'a Expr>)> {
        let first = call.positional().next().map(|a| &a.value);
        // Rust's xmlrpc crate: `Request::new("X.y").arg(key)…`: the first `arg` is the key.
        if call.name == "arg" {
            if let Some(Kind::Call(i)) = call.receiver.as_deref().map(|r| &r.kind) {
                let new = &self.view.calls[*i];
                if new.path().is_some_and(|p| p.ends_with("Request::new")) {
                    let method = plain(&new.positional().next()?.value)?;
                    return php::SERVICE_METHOD
                        .is_match(method)
                        .then(|| (method.to_string(), first));
                }
            }
        }
        if let Some((_, service)) = proxied_service(self.view, call) {
            return Some((format!("{service}.{}", call.name), first));
        }
        // server.ContactService.add(key, …), and through a factory's client,
        // get_server().ContactService.add(key, …)
        let receiver = call.receiver.as_deref().and_then(|r| match &r.kind {
            Kind::Name(name) => Some(name.as_str()),
            Kind::Other => Some(self.src(&r.span)),
            _ => None,
        });
        if let Some(receiver) = receiver {
            let service = receiver.rsplit(['.', ':']).next().unwrap_or("");
            if SERVICE.is_match(service) && !call.name.is_empty() {
                return Some((format!("{service}.{}", call.name), first));
            }
        }
        // getattr(server, "ContactService.add")(key, …), getattr(server.ContactService, "add")(…)
        if let Some(inner) = self.getattr_of(call) {
            let mut args = inner.positional();
            let (object, attr) = (args.next()?, args.next()?);
            {
                let attr = plain(&attr.value)?;
                let method = match &object.value.kind {
                    Kind::Name(n) if SERVICE.is_match(n.rsplit('.').next().unwrap_or("")) => {
                        format!("{}.{attr}", n.rsplit('.').next().unwrap_or(""))
                    }
                    _ => attr.to_string(),
                };
                return php::SERVICE_METHOD
                    .is_match(&method)
                    .then_some((method, first));
            }
        }
        // call("ContactService.add", key, …), methodCall('X.y', [key, …], cb)
        let mut args = call.positional();
        if sends_to_url(call) {
            args.next();
        }
        let method = plain(&args.next()?.value)?;
        if !php::SERVICE_METHOD.is_match(method) {
            return None;
        }
        let key = args.next().and_then(|a| match &a.value.kind {
            Kind::List(items) => items.first(),
            Kind::Splat(_) => None,
            // `var ca = [this.apiKey, cMap]; this.methodCaller('ContactService.add', ca, cb)`
            Kind::Name(n) => self.built_first(n, call).or(Some(&a.value)),
            // Elixir's `[key | params]`, Objective-C's `[@[key] arrayByAddingObjectsFromArray:…]`.
            Kind::Join(parts) => match parts.first().map(|p| &p.kind) {
                Some(Kind::List(items)) => items.first(),
                _ => None,
            },
            _ => Some(&a.value),
        });
        let key = key.or_else(|| match &call.keyword(".args")?.value.kind {
            Kind::List(items) if call.name == "xml.rpc" => items.first(),
            _ => None,
        });
        Some((method.to_string(), key))
    }

    /// The key of every other list a name the call sends was built as since the last call
    /// that sent it: one per branch (`switch (arguments.length) { case 8: var ca = [this.apiKey,
    /// …]; break; case 6: var ca = [this.apiKey, …]; }`), where `built_first` gives the last.
    fn other_branches(&self, call: &Call, key: &Expr) -> Vec<&'a Expr> {
        let mut found = Vec::new();
        for arg in call.positional() {
            let Kind::Name(name) = &arg.value.kind else {
                continue;
            };
            let sent_before = |b: &Binding| {
                self.view.calls.iter().any(|c| {
                    c.scope == call.scope
                        && c.span.start >= b.stmt.end
                        && c.span.start < call.span.start
                        && c.positional()
                            .any(|a| matches!(&a.value.kind, Kind::Name(n) if n == name))
                })
            };
            for b in self.bound_before(name, call) {
                if sent_before(b) {
                    break;
                }
                let Kind::List(items) = &b.value.kind else {
                    break;
                };
                match items.first() {
                    Some(first) if first.span != key.span && key_like(self.src(&first.span)) => {
                        found.push(first)
                    }
                    _ => {}
                }
            }
        }
        found
    }

    /// The first item of the list a name was built as before the call, in its scope: a list
    /// literal (`ca = [this.apiKey, cMap]`, Java's `Object[] p = {key, data}`), a list made
    /// from its items (`Arrays.asList(key, data)`, `List.of(…)`), or an empty collection whose
    /// first `add` is the key (`params = new ArrayList(); params.add(key); …`, what Java's
    /// Apache XML-RPC samples pass to `execute`).
    fn built_first(&self, name: &str, call: &Call) -> Option<&'a Expr> {
        // `this.params` and `params` are one field inside a class's methods.
        let other = match name.strip_prefix("this.") {
            Some(bare) => bare.to_string(),
            None => format!("this.{name}"),
        };
        let made = self
            .bound_before(name, call)
            .chain(self.bound_before(&other, call))
            .max_by_key(|b| b.stmt.start);
        // `paramList(0) = key` (VB, VBScript) or `params[0] = key`, set after the list is made.
        let slot = self
            .bound_before(&format!("{name}(0)"), call)
            .chain(self.bound_before(&format!("{name}[0]"), call))
            .max_by_key(|b| b.stmt.start)
            .filter(|s| made.is_none_or(|m| m.stmt.start < s.stmt.start));
        if let Some(slot) = slot {
            return Some(&slot.value);
        }
        self.first_added(made?, call.scope, call.span.start)
    }

    /// The first item of the list a binding makes, when it is made with its items or empty
    /// and filled by `add` in `scope` before `until`.
    fn first_added(&self, made: &'a Binding, scope: usize, until: usize) -> Option<&'a Expr> {
        let bare = made.target.strip_prefix("this.").unwrap_or(&made.target);
        let names = [bare.to_string(), format!("this.{bare}")];
        match &made.value.kind {
            Kind::List(items) => items.first(),
            Kind::Call(i) => {
                let from = &self.view.calls[*i];
                if matches!(from.name.as_str(), "asList" | "of") && !from.new {
                    return from.positional().next().map(|a| &a.value);
                }
                if !from.new
                    || from
                        .args
                        .iter()
                        .any(|a| !matches!(a.value.kind, Kind::Number))
                {
                    return None;
                }
                let added = self.view.calls.iter().find(|c| {
                    matches!(c.name.as_str(), "add" | "addElement")
                        && c.scope == scope
                        && made.stmt.end <= c.span.start
                        && c.span.end <= until
                        && matches!(c.receiver.as_deref().map(|r| &r.kind), Some(Kind::Name(r)) if names.contains(r))
                })?;
                match &added.args[..] {
                    [only] => Some(&only.value),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The `getattr(object, name)` a call calls, directly or through the name it was bound to
    /// in the same scope (`call = getattr(self.client, service + "." + method); call(key)`).
    fn getattr_of(&self, call: &Call) -> Option<&'a Call> {
        let index = match &call.callee.kind {
            Kind::Call(i) => *i,
            Kind::Name(n) => self
                .bound_before(n, call)
                .find_map(|b| match b.value.kind {
                    Kind::Call(i) => Some(i),
                    _ => None,
                })?,
            _ => return None,
        };
        let inner = &self.view.calls[index];
        (inner.name == "getattr" && inner.receiver.is_none()).then_some(inner)
    }

    /// `call(method, api_key, *args)`, `methodCall(name, [this.key].concat(params))`: a method
    /// computed at run time, the key after it: the wrapper every call goes through.
    fn dynamic_call(&mut self, call: &Call) {
        if !self.facts.keap() {
            return;
        }
        // getattr(self.client, service + "." + method)(self.key, *args), and Rust's
        // `Request::new(method).arg(&self.key)`: the method computed, the key first.
        let computed_request = call.name == "arg"
            && matches!(call.receiver.as_deref().map(|r| &r.kind), Some(Kind::Call(i))
                if self.view.calls[*i].path().is_some_and(|p| p.ends_with("Request::new"))
                    && matches!(self.view.calls[*i].positional().next().map(|a| &a.value.kind), Some(Kind::Name(_))));
        if computed_request || self.getattr_of(call).is_some() {
            if let Some(key) = call.positional().next().map(|a| &a.value) {
                if matches!(key.kind, Kind::Name(_)) && key_like(self.src(&key.span)) {
                    self.wrapper = true;
                    self.key_at(key.span.clone(), WRAPPER_DETAIL.to_string());
                }
            }
            return;
        }
        // A ServerProxy subclass that puts `default_args=[api_key]` before every call's own
        // arguments (theY4Kman's infusionsoft-client), in a file that names the legacy endpoint:
        // elsewhere it is some other service's client.
        if let Some(Kind::List(items)) = default_args(call).map(|a| &a.value.kind) {
            if !self.strong_endpoint {
                return;
            }
            let key = items
                .first()
                .filter(|k| matches!(k.kind, Kind::Name(_)) && key_like(self.src(&k.span)));
            if let Some(key) = key {
                self.wrapper = true;
                self.key_at(key.span.clone(), WRAPPER_DETAIL.to_string());
            }
            return;
        }
        // What XML-RPC clients and their wrappers call the method that sends: not a constructor
        // such as `Infusionsoft(app_name, api_key)`.
        const SENDS: &[&str] = &[
            "call",
            "call2",
            // RPC::XML::Client's.
            "send_request",
            "simple_request",
            "call_async",
            "methodCall",
            "execute",
            "executeAsync",
            "request",
            "send",
            "invoke",
            "rpc",
            "xmlrpc",
            // Elixir's `%XMLRPC.MethodCall{method_name: m, params: p}`, as the adapter calls it.
            "MethodCall",
        ];
        if !SENDS.contains(&call.name.as_str()) {
            return;
        }
        let mut args = call.positional();
        let Some(method) = args.next() else { return };
        let computed = match &method.value.kind {
            // `fn.call(this, key, value)` is JavaScript's Function.prototype.call: `this` is
            // the receiver it binds, never a method name.
            Kind::Name(n) => !matches!(n.as_str(), "this" | "self"),
            // `"#{service_call}"`, `"#{service}.#{method}"`, `service + "." + method`,
            // `"ContactService.#{method}"`.
            Kind::Str(t) => {
                let rest = t.text.replace(HOLE, "");
                let service = rest
                    .strip_suffix('.')
                    .is_some_and(|s| KEAP_SERVICE.is_match(s));
                t.text.contains(HOLE) && (rest.chars().all(|c| c == '.') || service)
            }
            _ => false,
        };
        if !computed {
            return;
        }
        let Some(next) = args.next() else { return };
        let key = match &next.value.kind {
            Kind::List(items) => items.first(),
            Kind::Join(parts) => match parts.first().map(|p| &p.kind) {
                Some(Kind::List(items)) => items.first(),
                _ => None,
            },
            Kind::Name(n) => self.built_first(n, call).or(Some(&next.value)),
            _ => None,
        };
        if let Some(key) =
            key.filter(|k| matches!(k.kind, Kind::Name(_)) && key_like(self.src(&k.span)))
        {
            if classify_first_param(self.src(&key.span), false) == FirstParam::Key {
                self.wrapper = true;
                let span = key.span.clone();
                self.key_at(span, WRAPPER_DETAIL.to_string());
            }
        }
    }

    /// ColdFusion's calls are arrays handed to an XML-RPC encoder, the method first and the key
    /// second: 1-based slots (`myArray[1]="X.y"` then `myArray[2]=key`, up to the next
    /// `myArray[1]`), literals (`["X.y", key, …]`) and `arrayAppend(a, "X.y")` then
    /// `arrayAppend(a, key)`. A method computed at run time in the first slot, a key-like
    /// name in the second, is a wrapper, and so is `arrayPrepend(params, key)`.
    fn cfml_arrays(&mut self) {
        let mut found: Vec<(Option<String>, &'a Expr)> = Vec::new();
        let bindings = &self.view.bindings;
        for (i, b) in bindings.iter().enumerate() {
            if let Some(array) = slot(&b.target, 1) {
                let method = match (&b.value.kind, method_of(&b.value)) {
                    (_, Some(m)) => Some(m),
                    (Kind::Name(_), None) => None,
                    _ => continue,
                };
                let second = bindings[i + 1..]
                    .iter()
                    .filter(|n| n.scope == b.scope)
                    .take_while(|n| slot(&n.target, 1) != Some(array))
                    .find(|n| slot(&n.target, 2) == Some(array));
                if let Some(second) = second {
                    found.push((method, &second.value));
                }
            }
        }
        let lists = bindings.iter().map(|b| &b.value).chain(
            self.view
                .calls
                .iter()
                .flat_map(|c| c.args.iter().map(|a| &a.value)),
        );
        for value in lists {
            if let Kind::List(items) = &value.kind {
                if let [first, second, ..] = &items[..] {
                    if let Some(m) = plain(first).filter(|m| php::SERVICE_METHOD.is_match(m)) {
                        found.push((Some(m.to_string()), second));
                    }
                }
            }
        }
        let appends: Vec<&Call> = self
            .view
            .calls
            .iter()
            .filter(|c| c.name.eq_ignore_ascii_case("arrayAppend") && c.args.len() == 2)
            .collect();
        for (i, c) in appends.iter().enumerate() {
            let Kind::Name(array) = &c.args[0].value.kind else {
                continue;
            };
            let method = match (&c.args[1].value.kind, method_of(&c.args[1].value)) {
                (_, Some(m)) => Some(m),
                (Kind::Name(_), None) => None,
                _ => continue,
            };
            let next = appends[i + 1..].iter().find(|n| {
                n.scope == c.scope && matches!(&n.args[0].value.kind, Kind::Name(a) if a == array)
            });
            if let Some(next) = next {
                found.push((method, &next.args[1].value));
            }
        }
        // `arrayPrepend(arguments.params, variables.apiKey)` before every call.
        for c in &self.view.calls {
            if c.name.eq_ignore_ascii_case("arrayPrepend") && c.args.len() == 2 {
                found.push((None, &c.args[1].value));
            }
        }
        for (method, key) in found {
            match method {
                Some(method) => {
                    let service = method.split('.').next().unwrap_or("");
                    if !(KEAP_SERVICE.is_match(service) || self.facts.keap()) {
                        continue;
                    }
                    self.strong = true;
                    if method == "DataService.getTemporaryKey" {
                        self.hits.push(Hit::new(VENDOR_LOGIN, key.span.clone()));
                    } else if method_takes_key(&method) {
                        self.key_position(key, method_detail(&method));
                    }
                }
                None => {
                    let src = self.src(&key.span);
                    if self.facts.keap()
                        && matches!(key.kind, Kind::Name(_))
                        && key_like(src)
                        && classify_first_param(src, false) == FirstParam::Key
                    {
                        self.wrapper = true;
                        self.key_at(key.span.clone(), WRAPPER_DETAIL.to_string());
                    }
                }
            }
        }
    }

    /// `[key] + args`, `(self.key,) + args`, `[key].concat(args)`, `[this.key, ...args]`: a
    /// wrapper that prepends the key to every call's parameters.
    fn joined(&mut self, e: &Expr) {
        if !self.facts.keap() {
            return;
        }
        let first = match &e.kind {
            Kind::Join(parts) => match parts.first().map(|p| &p.kind) {
                Some(Kind::List(items)) if items.len() == 1 => items.first(),
                _ => None,
            },
            Kind::List(items) if items.len() == 2 && matches!(items[1].kind, Kind::Splat(_)) => {
                items.first()
            }
            _ => None,
        };
        // A literal 32- or 64-hex key written first (`["5f40…"].concat(data.inputs)`).
        if let Some(Kind::Str(t)) = first.map(|k| &k.kind) {
            if t.is_plain() && is_key_slot_literal(&t.text) {
                if let Some(range) = t.source_range(0..t.text.len()) {
                    self.wrapper = true;
                    self.literal_key(range, WRAPPER_DETAIL.to_string());
                }
            }
            return;
        }
        let Some(key) = first.filter(|k| matches!(k.kind, Kind::Name(_))) else {
            return;
        };
        let src = self.src(&key.span);
        // A token prepended to calls that go to the per-app endpoint is the legacy key there
        // (`[token | params]` beside `"https://#{app}.infusionsoft.com/api/xmlrpc"`); next to
        // the new endpoint alone it is an OAuth token. Reported once, at the last such
        // wrapper: Elixir orders a function's clauses from the specific (`nil` app: OAuth) to
        // the general one, which is where an app, and its legacy key, is passed.
        let token = self.strong_endpoint
            && classify_first_param(src, false) == FirstParam::Token
            && self.sites.iter().all(|s| s.detail != WRAPPER_DETAIL);
        if token
            || self.token_wrapper.is_some() && classify_first_param(src, false) == FirstParam::Token
        {
            let site = Site {
                span: key.span.clone(),
                detail: WRAPPER_DETAIL.to_string(),
                key_like: true,
            };
            match self.token_wrapper {
                Some(i) => self.sites[i] = site,
                None => {
                    self.wrapper = true;
                    self.token_wrapper = Some(self.sites.len());
                    self.sites.push(site);
                }
            }
            return;
        }
        if key_like(src) && classify_first_param(src, false) == FirstParam::Key {
            self.wrapper = true;
            self.key_at(key.span.clone(), WRAPPER_DETAIL.to_string());
        }
    }

    /// `List p = new LinkedList(); p.add(client.getKey()); p.addAll(args); return p;`: a method
    /// that builds every call's parameters with the key first (yail's operations) is the wrapper.
    fn returned_lists(&mut self) {
        if !self.facts.keap() {
            return;
        }
        for b in &self.view.bindings {
            let scope = &self.view.scopes[b.scope];
            if scope.kind != lang::ScopeKind::Function {
                continue;
            }
            let returned = Regex::new(&format!(r"\breturn\s+{}\s*;", regex::escape(&b.target)))
                .expect("an escaped name is a pattern");
            // A binding in a lambda's expression body can sit in a statement that outlasts
            // the lambda's scope: nothing after it is that scope's.
            let Some(body) = self.text.get(b.stmt.end..scope.span.end) else {
                continue;
            };
            if !returned.is_match(body) || !matches!(b.value.kind, Kind::Call(_)) {
                continue;
            }
            let Some(key) = self.first_added(b, b.scope, scope.span.end) else {
                continue;
            };
            let src = self.src(&key.span);
            if key_like(src)
                && classify_first_param(src, false) == FirstParam::Key
                && !self.sites.iter().any(|s| s.span == key.span)
            {
                self.wrapper = true;
                self.key_at(key.span.clone(), WRAPPER_DETAIL.to_string());
            }
        }
    }

    /// The expression in a call's key position.
    fn key_position(&mut self, key: &Expr, detail: String) {
        // A hash or object literal is the call's data (`_sendRequest('X.y', {email: …})`, a
        // wrapper that adds the key elsewhere): never a key.
        if matches!(key.kind, Kind::Map(_)) {
            return;
        }
        if let Kind::Str(t) = &key.kind {
            if t.is_plain() && is_key_slot_literal(&t.text) {
                if let Some(range) = t.source_range(0..t.text.len()) {
                    self.literal_key(range, detail);
                }
                return;
            }
            // Any other literal is a placeholder, however the language marks its strings
            // (Objective-C's `@"placeholder"`).
            if t.is_plain() {
                return;
            }
        }
        self.key_at(key.span.clone(), detail);
    }

    fn key_at(&mut self, span: Range<usize>, detail: String) {
        let src = self.src(&span);
        match classify_first_param(src, false) {
            FirstParam::Key if self.holds_no_key(src) || user_name_first(&detail, src) => {}
            FirstParam::Key => {
                self.bound_long_key(src, span.start);
                let key_like = key_like(src) || detail == WRAPPER_DETAIL;
                self.sites.push(Site {
                    span,
                    detail,
                    key_like,
                });
            }
            FirstParam::LiteralKey => self.literal_key(span, detail),
            FirstParam::Placeholder | FirstParam::Token | FirstParam::Data => {}
        }
    }

    /// `key = '<64 hex>'` sent first: a 64-hex value is a key only in that slot (KEAP.md), so
    /// the slot says what its binding holds. (32-hex keys are found by their own rule.)
    /// Only a binding the call can see counts: in its scope or one around it.
    fn bound_long_key(&mut self, name: &str, at: usize) {
        let Some(bindings) = self.bound.get(name) else {
            return;
        };
        let scope = self.view.scope_at(at);
        let literals: Vec<Range<usize>> = bindings
            .iter()
            .filter(|b| self.view.within(scope, b.scope))
            .filter_map(|b| match &b.value.kind {
                Kind::Str(t)
                    if t.is_plain() && t.text.len() == 64 && is_key_slot_literal(&t.text) =>
                {
                    t.source_range(0..t.text.len())
                }
                _ => None,
            })
            .collect();
        for range in literals {
            if !self.hits.iter().any(|h| h.span == range) {
                self.hits
                    .push(Hit::new(HARDCODED_KEY, range.clone()).secret(range));
            }
        }
    }

    /// Whether an attribute sent first is, by what this file sets it to, no key: an OAuth
    /// token (`this.apiKey = token`: forks of a legacy SDK that keep its wrapper), a placeholder
    /// (`this.apiKey = 'privateKey'`), or nothing at all where the file's clients are made from
    /// options handed in and no legacy endpoint is named (a fork whose callers pass the new
    /// endpoint and a Bearer header).
    fn holds_no_key(&self, src: &str) -> bool {
        let Some((root, rest)) = src.split_once('.') else {
            return false;
        };
        // `var dataContext = this; … dataContext.apiKey` is the object's own attribute.
        let this = root == "this"
            || self.bound.get(root).is_some_and(|bs| {
                bs.iter()
                    .all(|b| matches!(&b.value.kind, Kind::Name(n) if n == "this"))
            });
        let names = if this {
            vec![format!("this.{rest}"), src.to_string()]
        } else {
            vec![src.to_string()]
        };
        let sets: Vec<&Binding> = names
            .iter()
            .flat_map(|n| self.bound.get(n.as_str()).into_iter().flatten().copied())
            .collect();
        if sets.is_empty() {
            let handed_in = |c: &Call| {
                matches!(c.positional().next().map(|a| &a.value.kind), Some(Kind::Name(n))
                    if self.view.scopes[c.scope].params.contains(n))
            };
            let mut clients = self.view.calls.iter().filter(|c| is_client(c)).peekable();
            let set_as_entry = self.view.calls.iter().any(|c| {
                c.args.iter().any(|a| {
                    matches!(&a.value.kind, Kind::Map(es) if es.iter().any(|e| e.key.as_deref() == Some(rest)))
                })
            });
            return this
                && !self.strong_endpoint
                && !set_as_entry
                && clients.peek().is_some()
                && clients.all(handed_in);
        }
        sets.iter().all(|b| match &b.value.kind {
            Kind::Name(n) => {
                !self.strong_endpoint && classify_first_param(n, false) == FirstParam::Token
            }
            // Not a slot a reader fills with their key (`'YOUR_API_KEY'`, `'xxxx'`).
            Kind::Str(t) => {
                let lower = t.text.to_ascii_lowercase();
                let fill_in = ["your", "xxx", "<", "api_key", "apikey"]
                    .iter()
                    .any(|w| lower.contains(w));
                t.is_plain() && !is_key_slot_literal(&t.text) && !fill_in
            }
            _ => false,
        })
    }

    fn literal_key(&mut self, range: Range<usize>, detail: String) {
        self.hits
            .push(Hit::new(HARDCODED_KEY, range.clone()).secret(range.clone()));
        self.sites.push(Site {
            span: range,
            detail,
            key_like: true,
        });
    }

    /// A request to the new endpoint whose own headers, written in the call, carry no key
    /// (`fetch(url, { headers: { 'Content-Type': 'text/xml' } })`): reported even where other
    /// requests of the file send an `Authorization` header (another service's, Keap's REST).
    fn requests_without_key(&mut self) {
        for call in &self.view.calls {
            let Some(url) = call.positional().next().map(|a| &a.value) else {
                continue;
            };
            let Kind::Str(t) = &url.kind else { continue };
            if !t.text.contains("api.infusionsoft.com/crm/xmlrpc")
                || t.text.contains("access_token=")
            {
                continue;
            }
            let headers = call.keyword("headers").map(|a| &a.value).or_else(|| {
                call.args.iter().find_map(|a| match &a.value.kind {
                    Kind::Map(entries) => entries
                        .iter()
                        .find(|e| e.key.as_deref() == Some("headers"))
                        .map(|e| &e.value),
                    _ => None,
                })
            });
            let Some(Kind::Map(entries)) = headers.map(|h| &h.kind) else {
                continue;
            };
            let keyed = entries.iter().any(|e| {
                let key = e.key.as_deref().unwrap_or_default().to_ascii_lowercase();
                // A computed or spread entry may be the key's.
                e.key.is_none() || key == "x-keap-api-key" || key == "authorization"
            });
            if !keyed {
                self.hits.push(
                    Hit::new(MISSING_AUTH, url.span.clone())
                        .detail("the headers written in this request carry none"),
                );
            }
        }
    }

    fn finish(&mut self) {
        self.requests_without_key();
        // A file that makes no client, names no endpoint and writes no XML sends its calls
        // through a wrapper defined elsewhere (an SDK's `request('DataService.add', [table,
        // values])`): only a first parameter that plainly is a key is one there.
        let through_wrapper = self.wrapper
            || !(self.strong_endpoint || self.xml || self.view.calls.iter().any(is_client));
        for site in std::mem::take(&mut self.sites) {
            if site.key_like || !through_wrapper {
                self.hits
                    .push(Hit::new(KEY_IN_BODY, site.span).detail(site.detail));
            }
        }
        if !self.strong {
            return;
        }
        for s in &self.view.strings {
            if let Kind::Str(t) = &s.kind {
                if t.is_plain() && HEX32.is_match(&t.text) {
                    if let Some(range) = t.source_range(0..t.text.len()) {
                        self.hits
                            .push(Hit::new(HARDCODED_KEY, range.clone()).secret(range));
                    }
                }
            }
        }
    }
}

/// The line that imports Keap's official Python library: `infusionsoft.library`, or the
/// package itself with `InfusionsoftOAuth`, a name only that library (and its copies) exports.
/// A plain `from infusionsoft import Infusionsoft` could be a REST client of the same name.
pub fn official_library_import(line: &str) -> bool {
    let t = line.trim_start();
    let imports = t.starts_with("from ") || t.starts_with("import ");
    imports
        && (t.contains("infusionsoft.library")
            || t.starts_with("from infusionsoft import library")
            || (t.starts_with("from infusionsoft import ") && t.contains("InfusionsoftOAuth")))
}

/// Whether a Python file imports Keap's official library (see `official_library_import`), or
/// imports `Infusionsoft` from the package and calls services the library's way
/// (`infusionsoft.ContactService('add', …)`), which a REST client of that name does not.
pub fn imports_official_library(text: &str) -> bool {
    static LIBRARY_CALL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\.[A-Z]\w*Service\(\s*['"]\w+['"]"#).unwrap());
    text.lines().any(|line| {
        official_library_import(line)
            || (line.trim_start().starts_with("from infusionsoft import ")
                && line.contains("Infusionsoft")
                && LIBRARY_CALL.is_match(text))
    })
}

pub const OFFICIAL_LIBRARY_DETAIL: &str =
    "made by Keap's official Python library, `infusionsoft.library`";

/// Keap's official Python library (infusionsoft/Official-API-Python-Library, imported as
/// `infusionsoft.library`): `Infusionsoft(app, key)` builds the per-app URL and sends the key
/// first in every call; `InfusionsoftOAuth(token)` puts the token in the URL. The library is
/// installed apart (pip, git), so the app's constructor call is the site. `None` for any other
/// call, and in the library's own file (it defines the classes).
pub fn official_library(view: &View, text: &str, call: &Call) -> Option<&'static str> {
    static DEFINED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?m)^class Infusionsoft(OAuth)?\b[(:]").unwrap());
    // The call's name first: reading the file for its imports per call is quadratic.
    let (rule, args) = match call.name.as_str() {
        "Infusionsoft" => (LEGACY_ENDPOINT, 2),
        "InfusionsoftOAuth" => (TOKEN_IN_URL, 1),
        _ => return None,
    };
    if view.syntax != Syntax::Python || !imports_official_library(text) || DEFINED.is_match(text) {
        return None;
    }
    let path = call.path()?;
    let named = path == call.name
        || path == format!("library.{}", call.name)
        || path == format!("infusionsoft.library.{}", call.name);
    if !named || call.args.len() < args {
        return None;
    }
    // Migrated already: the object is given its own client after it is made.
    let kept = view.bindings.iter().find(|b| b.value.span == call.span);
    let own_client = kept.is_some_and(|k| {
        let client = format!("{}.client", k.target);
        view.bindings
            .iter()
            .any(|b| b.target == client && b.scope == k.scope && b.stmt.start > k.stmt.end)
    });
    (!own_client).then_some(rule)
}

pub const GEM_HOST_DETAIL: &str = "the host the infusionsoft gem calls `/api/xmlrpc` on";

pub const DATA_CONTEXT_DETAIL: &str = "made by the npm infusionsoft-api package's `DataContext`";
pub const ISDK_PORT_DETAIL: &str = "made by the npm infusionsoft package, a port of the PHP iSDK";

/// npm packages whose constructor, given the app and the key, makes an npm `xmlrpc` client for
/// the per-app URL inside `node_modules` and sends the key first in every call; the app's
/// constructor call is the site, in a file that requires the package (its `package.json` may
/// be elsewhere, or not in the tree). bvalosek's infusionsoft-api: `new api.DataContext(app,
/// key)`; patricklodder's infusionsoft: `new iSDK(app, key)`, under whatever name it is required.
pub fn sdk_constructor(view: &View, text: &str, call: &Call) -> Option<&'static str> {
    // How code requires infusionsoft-api: the usage pattern of its entry in the SDK facts.
    static DATA_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
        let sdk = super::manifest::sdk(super::manifest::Ecosystem::Npm, "infusionsoft-api")
            .expect("infusionsoft-api is in rules/sdk-facts");
        build_pattern(sdk.usage.as_deref().expect("its usage pattern")).unwrap()
    });
    /// The name the iSDK port is required as: `var iSDK = require('infusionsoft')`.
    static PORT_NAME: LazyLock<Regex> = LazyLock::new(|| {
        build_pattern(r#"\b(\w+)\s*=\s*require\(\s*['"]infusionsoft['"]\s*\)|\bimport\s+(\w+)\s+from\s+['"]infusionsoft['"]"#).unwrap()
    });
    if !view.syntax.is_js() || !call.new || call.positional().count() < 2 {
        return None;
    }
    if call.name == "DataContext" && DATA_CONTEXT.is_match(text) {
        return Some(DATA_CONTEXT_DETAIL);
    }
    let required_as = |c: regex::Captures| {
        c.get(1)
            .or_else(|| c.get(2))
            .is_some_and(|n| n.as_str() == call.name)
    };
    (call.receiver.is_none() && PORT_NAME.captures_iter(text).any(required_as))
        .then_some(ISDK_PORT_DETAIL)
}

/// Ruby's `client.proxy('ContactService')` (`proxy2`, and their `_async` forms), made in the call's
/// receiver or kept in the name it calls through (`@contacts = client.proxy(…)`; `data =
/// client.proxy(…)` earlier in the method): the client it sends through and the service whose
/// methods it calls.
pub fn proxied_service<'v>(view: &'v View, call: &Call) -> Option<(&'v Expr, &'v str)> {
    let proxy = match &call.receiver.as_deref()?.kind {
        Kind::Call(i) => &view.calls[*i],
        Kind::Name(name) => view.call_bound(name, call)?,
        _ => return None,
    };
    if !matches!(
        proxy.name.as_str(),
        "proxy" | "proxy2" | "proxy_async" | "proxy2_async"
    ) {
        return None;
    }
    let service = plain(&proxy.positional().next()?.value)?;
    Some((proxy.receiver.as_deref()?, service)).filter(|(_, s)| SERVICE.is_match(s))
}

/// The `default_args=[…]` a Python client is made with: arguments it sends before every call's
/// own.
pub fn default_args(call: &Call) -> Option<&lang::Arg> {
    call.keyword("default_args")
}

/// Whether a call makes an XML-RPC client: Python's `ServerProxy`, Ruby's `XMLRPC::Client.new*`,
/// the npm `xmlrpc` package's `createClient` / `createSecureClient`, Go's kolo/xmlrpc
/// `xmlrpc.NewClient`, Perl's `Frontier::Client->new` and `RPC::XML::Client->new`, Java's
/// aXMLRPC and Apache XML-RPC clients.
pub fn is_client(call: &Call) -> bool {
    let path = call.path().unwrap_or("");
    match call.name.as_str() {
        "ServerProxy" => true,
        // A ServerProxy subclass given the arguments every call starts with.
        _ if default_args(call).is_some() => true,
        "Server" => path.ends_with("xmlrpclib.Server") || path.ends_with("client.Server"),
        "createClient" | "createSecureClient" => true,
        "NewClient" => path == "xmlrpc.NewClient",
        // Java: aXMLRPC's `new XMLRPCClient(url)`, Apache XML-RPC's `new XmlRpcClient()`.
        "XMLRPCClient" | "XmlRpcClient" => call.new,
        "new" if path == "Frontier::Client->new" || path == "RPC::XML::Client->new" => true,
        // XML-RPC.NET's proxy factory.
        "Create" => path.ends_with("XmlRpcProxyGen.Create"),
        // The XML-RPC encoder ColdFusion code hands its call arrays to, called or invoked
        // (`<cfinvoke component="XML-RPC" method="CFML2XMLRPC">`); Rust's xmlrpc crate.
        n if n.eq_ignore_ascii_case("CFML2XMLRPC") => true,
        "cfinvoke" => call
            .keyword("method")
            .and_then(|m| plain(&m.value))
            .is_some_and(|m| m.eq_ignore_ascii_case("CFML2XMLRPC")),
        "call_url" => true,
        // R's XMLRPC package sends each call itself; Elixir's request struct; an Objective-C
        // `[[XMLRPCRequest alloc] initWithURL:…]`.
        "MethodCall" => true,
        _ if sends_to_url(call) => true,
        "XMLRPCRequest" | "WPXMLRPCClient" | "AFXMLRPCClient" => call.new,
        n if n.starts_with("new") => path.contains("XMLRPC::Client"),
        _ => false,
    }
}

/// R's `xml.rpc(url, "X.y", key, …)` and classic ASP's aspxmlrpc `xmlRPC(url, "X.y", paramList)`:
/// each call is sent to the URL that comes first. A Ruby gem's own `xmlrpc("X.y", …)` helper,
/// which starts with the method, is not one.
fn sends_to_url(call: &Call) -> bool {
    let named = call.name == "xml.rpc"
        || call.name.eq_ignore_ascii_case("xmlRPC") && call.receiver.is_none();
    named
        && call
            .positional()
            .next()
            .and_then(|a| plain(&a.value))
            .is_none_or(|first| !php::SERVICE_METHOD.is_match(first))
}

/// `name` of a ColdFusion slot `name[n]`.
fn slot(target: &str, n: usize) -> Option<&str> {
    let (array, index) = target.strip_suffix(']')?.rsplit_once('[')?;
    (index.trim().parse::<usize>().ok()? == n).then_some(array)
}

/// The Keap method a literal names.
fn method_of(e: &Expr) -> Option<String> {
    match &e.kind {
        Kind::Str(t) if t.is_plain() && php::SERVICE_METHOD.is_match(&t.text) => {
            Some(t.text.clone())
        }
        _ => None,
    }
}

/// A string literal's text, as written.
fn plain(e: &Expr) -> Option<&str> {
    match &e.kind {
        Kind::Str(t) if t.is_plain() => Some(&t.text),
        _ => None,
    }
}
