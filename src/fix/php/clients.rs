//! How each PHP client gets the key header: which calls use a legacy URL (within the names'
//! scopes, never a helper that also posts elsewhere), and the mechanism each library honours.
use std::collections::HashSet;

use tree_sitter::Node;

use super::{is_class_scoped, parameter, Recipe, Scope, CLASSES, FUNCTIONS};
use crate::{
    detect::php::{arguments, array_values, callee, is_array, plain_literal, template},
    fix::{edit::Edit, Auth},
    rules::{LEGACY_ENDPOINT, MORTGAGEPRO_ENDPOINT},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Client {
    PhpXmlRpc,
    Zend1,
    Laminas,
    WpHttpIxr,
    /// WordPress' `IXR_Client` speaks plain HTTP over a socket: it becomes `WP_HTTP_IXR_Client`.
    Ixr,
    Curl,
    Stream,
    /// A request made in one call with an options array at this argument, whose `headers`
    /// entry is sent: Guzzle's `post()`, WordPress' `wp_remote_post()`.
    Options(usize),
}

pub(super) struct Consumer<'t> {
    client: Client,
    pub(super) call: Node<'t>,
    /// The variable or property that holds the client (or the curl handle, the stream context).
    target: String,
}

/// What the code already gives a client as its header list (or curl options).
enum HeaderList<'t> {
    None,
    Array(Node<'t>),
    /// Built at run time: the tool cannot tell where a header would go.
    Opaque,
}

impl<'a, 't> Recipe<'a, 't> {
    /// Whether every client `function` makes was given the header here, is held in a local
    /// variable, and is the only thing the function sends through (`$c->query(…)`,
    /// `call_user_func_array(array($c, 'query'), …)`).
    pub(super) fn sends_only_through_migrated(&self, function: Node<'t>) -> bool {
        let range = function.byte_range();
        let mut local = HashSet::new();
        for call in &self.index.calls {
            if !range.contains(&call.start_byte()) {
                continue;
            }
            if let Some(consumer) = self.consumer(*call) {
                let plain = consumer.target.starts_with('$')
                    && !consumer.target.contains("->")
                    && !consumer.target.contains("::");
                if !plain || !self.clients_done.contains(&call.id()) {
                    return false;
                }
                local.insert(consumer.target.clone());
            }
        }
        if local.is_empty() {
            return false;
        }
        self.index
            .calls
            .iter()
            .filter(|c| range.contains(&c.start_byte()))
            .all(|call| match call.kind() {
                "member_call_expression" => {
                    let sends = matches!(
                        callee(self.text, *call).as_str(),
                        "query" | "send" | "call" | "multicall" | "execute"
                    );
                    !sends
                        || call
                            .child_by_field_name("object")
                            .is_some_and(|o| local.contains(self.src(o)))
                }
                "function_call_expression"
                    if matches!(
                        callee(self.text, *call).as_str(),
                        "call_user_func_array" | "call_user_func"
                    ) =>
                {
                    arguments(*call)
                        .first()
                        .filter(|a| is_array(**a))
                        .and_then(|a| array_values(*a).first().copied())
                        .is_some_and(|o| local.contains(self.src(o)))
                }
                _ => true,
            })
    }

    /// The clients that are given this URL: directly, or through the variable or constant it is
    /// assigned to.
    pub(super) fn consumers(&self, url: Node<'t>, split: bool) -> Vec<Consumer<'t>> {
        let direct = if split {
            url.parent()
        } else {
            url.parent()
                .filter(|a| a.kind() == "argument" && a.prev_named_sibling().is_none())
                .and_then(|a| a.parent())
                .and_then(|a| a.parent())
        };
        if let Some(consumer) = direct.and_then(|call| self.consumer(call)) {
            return vec![consumer];
        }
        if let Some(consumer) = self.curl_url_option(url) {
            return vec![consumer];
        }
        let name = match url.parent() {
            Some(p) if p.kind() == "assignment_expression" => p
                .child_by_field_name("left")
                .map(|l| self.src(l).to_string()),
            Some(p) if p.kind() == "argument" => p
                .parent()
                .and_then(|args| args.parent())
                .filter(|call| callee(self.text, *call) == "define")
                .and_then(|call| {
                    arguments(call)
                        .first()
                        .and_then(|a| plain_literal(self.text, *a))
                        .map(str::to_string)
                }),
            Some(p) if matches!(p.kind(), "property_element" | "const_element") => {
                super::declared_name(self.text, p)
            }
            _ => None,
        };
        let Some(name) = name else {
            return Vec::new();
        };
        let scope = self.scope_of(&name, url);
        // Where the name still holds the Keap URL: a later `$url = 'https://hooks…'` ends it.
        let live = self.live_range(&name, scope, url.start_byte());
        let mut names = vec![(name.clone(), scope, live.clone())];
        // The URL may travel on into a helper of this file (`send($url, $xml)`): follow it to the
        // parameter that receives it, but only if the helper is defined once, every call of it in
        // this file passes this URL there, and no other file calls it. A helper that also posts
        // elsewhere would send the key to that other host too.
        for (fname, function) in &self.index.functions {
            let defined_once = self
                .index
                .functions
                .iter()
                .filter(|f| f.0 == *fname)
                .count()
                == 1;
            let calls: Vec<Node<'t>> = self
                .index
                .calls
                .iter()
                .filter(|c| callee(self.text, **c) == *fname)
                .copied()
                .collect();
            let Some(first) = calls.first() else {
                continue;
            };
            for k in 0..arguments(*first).len() {
                let passes = |c: &Node<'t>| {
                    arguments(*c).get(k).is_some_and(|a| {
                        self.src(*a) == name
                            && self.in_scope(scope, *c)
                            && live.contains(&c.start_byte())
                    })
                };
                if !calls.iter().any(passes) {
                    continue;
                }
                if !defined_once || !calls.iter().all(passes) || (self.called_elsewhere)(fname) {
                    self.shared_helpers.borrow_mut().push(fname.clone());
                    continue;
                }
                if let Some(param) = parameter(self.text, *function, k) {
                    let inner = Scope::Function(Some(*function));
                    let live = self.live_range(&param, inner, function.start_byte());
                    names.push((param, inner, live));
                }
            }
        }
        let mut found = Vec::new();
        for (name, scope, live) in names {
            for call in self
                .calls_in(scope)
                .filter(|c| live.contains(&c.start_byte()))
            {
                let args = arguments(*call);
                let consumer = if args.first().is_some_and(|a| holds_url(self.src(*a), &name)) {
                    self.consumer(*call)
                } else if callee(self.text, *call) == "curl_setopt"
                    && args.get(1).is_some_and(|o| self.src(*o) == "CURLOPT_URL")
                    && args.get(2).is_some_and(|u| holds_url(self.src(*u), &name))
                {
                    Some(Consumer {
                        client: Client::Curl,
                        call: *call,
                        target: self.src(args[0]).to_string(),
                    })
                } else {
                    None
                };
                found.extend(consumer);
            }
        }
        found
    }

    /// `curl_setopt($ch, CURLOPT_URL, URL)` or `curl_setopt_array($ch, array(CURLOPT_URL => URL))`.
    fn curl_url_option(&self, url: Node<'t>) -> Option<Consumer<'t>> {
        let parent = url.parent()?;
        let call = match parent.kind() {
            "argument" => parent.parent()?.parent()?,
            "array_element_initializer" => {
                let mut cursor = parent.walk();
                let key = parent.named_children(&mut cursor).next()?;
                if self.src(key) != "CURLOPT_URL" {
                    return None;
                }
                parent.parent()?.parent()?.parent()?.parent()?
            }
            _ => return None,
        };
        let args = arguments(call);
        let is_url_option = match callee(self.text, call).as_str() {
            "curl_setopt" => {
                args.get(1).is_some_and(|o| self.src(*o) == "CURLOPT_URL")
                    && args.get(2).is_some_and(|u| u.id() == url.id())
            }
            "curl_setopt_array" => args.get(1).is_some_and(|a| {
                a.start_byte() <= url.start_byte() && url.end_byte() <= a.end_byte()
            }),
            _ => false,
        };
        is_url_option.then(|| Consumer {
            client: Client::Curl,
            call,
            target: self.src(args[0]).to_string(),
        })
    }

    /// Where `name`, written at `at`, means the same thing.
    pub(super) fn scope_of(&self, name: &str, at: Node<'t>) -> Scope<'t> {
        if is_class_scoped(name) || name.starts_with("$GLOBALS[") {
            return match name.starts_with("$GLOBALS[") {
                true => Scope::Global,
                false => Scope::Class(self.up.enclosing(at, CLASSES)),
            };
        }
        if !name.starts_with('$') {
            return Scope::Global;
        }
        let function = self.up.enclosing(at, FUNCTIONS);
        // `global $key;` makes a function's `$key` the top level's, and so every other
        // function's that says the same.
        let root = super::root_name(name);
        let shared =
            self.index.globals.iter().find(|(n, f)| {
                *n == root && function.is_none_or(|function| function.id() == f.id())
            });
        match shared {
            Some((n, _)) => Scope::Globals(n),
            None => Scope::Function(function),
        }
    }

    /// The calls of the file within `scope`.
    fn calls_in(&self, scope: Scope<'t>) -> impl Iterator<Item = &Node<'t>> + use<'_, 'a, 't> {
        self.index
            .calls
            .iter()
            .filter(move |c| self.in_scope(scope, **c))
    }

    pub(super) fn in_scope(&self, scope: Scope<'t>, node: Node<'t>) -> bool {
        let same = |home: Option<Node>, kinds| {
            self.up.enclosing(node, kinds).map(|n| n.id()) == home.map(|n| n.id())
        };
        match scope {
            Scope::Global => true,
            Scope::Class(class) => same(class, CLASSES),
            Scope::Function(function) => same(function, FUNCTIONS),
            Scope::Globals(name) => self.up.enclosing(node, FUNCTIONS).is_none_or(|f| {
                self.index
                    .globals
                    .iter()
                    .any(|(n, g)| *n == name && g.id() == f.id())
            }),
        }
    }

    fn consumer(&self, call: Node<'t>) -> Option<Consumer<'t>> {
        let name = callee(self.text, call);
        let class_text = if call.kind() == "object_creation_expression" {
            let mut cursor = call.walk();
            let class = call
                .named_children(&mut cursor)
                .find(|c| matches!(c.kind(), "name" | "qualified_name"));
            class
                .map(|c| self.src(c).to_ascii_lowercase())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let imports = |path: &str| self.text.to_ascii_lowercase().contains(path);
        let client = match (call.kind(), name.as_str()) {
            ("object_creation_expression", "xmlrpc_client") => Client::PhpXmlRpc,
            ("object_creation_expression", "zend_xmlrpc_client") => Client::Zend1,
            ("object_creation_expression", "wp_http_ixr_client") => Client::WpHttpIxr,
            ("object_creation_expression", "ixr_client") => Client::Ixr,
            ("object_creation_expression", "client")
                if class_text.contains("phpxmlrpc") || imports("phpxmlrpc\\client") =>
            {
                Client::PhpXmlRpc
            }
            ("object_creation_expression", "client")
                if class_text.contains("xmlrpc\\client") || imports("xmlrpc\\client;") =>
            {
                Client::Laminas
            }
            ("function_call_expression", "curl_init") => Client::Curl,
            ("function_call_expression", "file_get_contents" | "fopen") => Client::Stream,
            (
                "function_call_expression",
                "wp_remote_post" | "wp_safe_remote_post" | "wp_remote_request",
            ) => Client::Options(1),
            ("member_call_expression", "post" | "put") if imports("guzzlehttp") => {
                Client::Options(1)
            }
            _ => return None,
        };
        let target = match client {
            Client::Options(_) => String::new(),
            Client::Stream => {
                let ctx = arguments(call)
                    .get(if name == "fopen" { 3 } else { 2 })
                    .copied()?;
                self.src(ctx).to_string()
            }
            _ => {
                let assign = call
                    .parent()
                    .filter(|p| p.kind() == "assignment_expression")?;
                // `$clients[] = new …` names no client to call a method on.
                let left = self.src(assign.child_by_field_name("left")?);
                if left.ends_with("[]") {
                    return None;
                }
                left.to_string()
            }
        };
        Some(Consumer {
            client,
            call,
            target,
        })
    }

    pub(super) fn add_header(
        &mut self,
        consumer: &Consumer<'t>,
        anchor: Node<'t>,
        line: &str,
        value: &str,
        i: usize,
    ) {
        if !self.clients_done.insert(consumer.call.id()) {
            return;
        }
        if let Some(statement) = self.header_statement(consumer, line, value, true, i) {
            if self.insert_after(anchor, &statement, i) {
                self.headers_added += 1;
            }
        }
    }

    /// Where the key cannot be read where the client is made (set after it, in another method
    /// or branch, or read from options elsewhere), it can where each call is sent: the body read
    /// it there. The header is then set before every send of the client.
    pub(super) fn header_at_sends(
        &mut self,
        consumer: &Consumer<'t>,
        key: &super::KeySource<'t>,
        i: usize,
    ) {
        let methods: &[&str] = match consumer.client {
            Client::PhpXmlRpc => &["send", "multicall"],
            Client::Zend1 | Client::Laminas => &["call"],
            Client::WpHttpIxr | Client::Ixr => &["query"],
            Client::Curl | Client::Stream | Client::Options(_) => &[],
        };
        let scope = self.scope_of(&consumer.target, consumer.call);
        let sends_on = |target: &str, scope| -> Vec<Node<'t>> {
            self.calls_in(scope)
                .filter(|c| {
                    c.kind() == "member_call_expression"
                        && methods.contains(&callee(self.text, **c).as_str())
                        && c.child_by_field_name("object")
                            .is_some_and(|o| self.src(o) == target)
                })
                .copied()
                .collect()
        };
        let sends: Vec<Node<'t>> = match consumer.client {
            // A request in one call (wp_remote_post, Guzzle) is its own send.
            Client::Options(_) => vec![consumer.call],
            _ => {
                let mut sends = sends_on(&consumer.target, scope);
                for (name, scope) in self.factory_results(consumer) {
                    sends.extend(sends_on(name, scope));
                }
                sends
            }
        };
        // A header before every send of a name is right only if every client kept in it is made
        // for Keap (or Mortgage Pro, which has the key already): one re-made for a caller's URL
        // (`$this->client = new xmlrpc_client($url);`) would carry the key to that host.
        let kept_elsewhere = self.index.assignments.iter().any(|a| {
            a.0 == consumer.target
                && a.1.id() != consumer.call.id()
                && self.in_scope(scope, a.2)
                && !self.makes_legacy_client(a.1)
        });
        if kept_elsewhere {
            return self.manual(i, format!("not migrated: `{}` also holds a client made for another URL, which a header before its sends would reach: add `{}` to the Keap client only", consumer.target, self.header_text(&key.code)));
        }
        let unreadable = format!(
            "not migrated: `{}` cannot be read where this client is made (out of scope, or set after it){}: add `{}` to it there, then point it at the new endpoint",
            key.code,
            if methods.is_empty() { "" } else { " nor where it sends" },
            self.header_text(&key.code)
        );
        let values: Option<Vec<String>> = sends.iter().map(|s| self.readable_at(key, *s)).collect();
        let (Some(values), false) = (values, sends.is_empty()) else {
            return self.manual(i, unreadable);
        };
        if !self.clients_done.insert(consumer.call.id()) {
            return;
        }
        for (send, value) in sends.into_iter().zip(values) {
            let line = self.header_line(&value);
            // An option array takes the header in place; a failure is on the manual list.
            let Some(statement) = self.header_statement(consumer, &line, &value, false, i) else {
                continue;
            };
            if !self.insert_before(send, &statement, i) {
                return;
            }
        }
        self.headers_added += 1;
    }

    /// Where the client is made in a private or protected method that returns it (a factory),
    /// the variables and properties its class keeps it in: `$client = $this->_client();`, and
    /// through a caching getter (`$this->cached = $this->_connect(); return $this->cached;`).
    /// A plain function that returns it counts too when it is defined once and no other file
    /// calls it (`$client = infusion_setup_client();` in each function of a plugin).
    fn factory_results(&self, consumer: &Consumer<'t>) -> Vec<(&'t str, Scope<'t>)> {
        let mut results = Vec::new();
        // The factory's name, and whether it is a plain function (called by its name alone).
        let factory_of = |m: Node<'t>, returned: &str| {
            self.factory_name(m, returned)
                .map(|name| (name, m.kind() == "function_definition"))
        };
        let mut factory = self
            .up
            .enclosing(
                consumer.call,
                &["method_declaration", "function_definition"],
            )
            .and_then(|m| factory_of(m, &consumer.target));
        // A getter over a getter over the client is as deep as hand-written code goes.
        for _ in 0..3 {
            let Some((name, function)) = factory.take() else {
                break;
            };
            let calls = match function {
                true => vec![format!("{name}(")],
                false => vec![format!("$this->{name}("), format!("self::{name}(")],
            };
            for a in &self.index.assignments {
                if !calls.iter().any(|c| self.src(a.1).starts_with(c.as_str())) {
                    continue;
                }
                let Some(left) = a.1.parent().and_then(|p| p.child_by_field_name("left")) else {
                    continue;
                };
                let kept = self.src(left);
                results.push((kept, self.scope_of(kept, left)));
                if kept.starts_with("$this->") {
                    factory = self
                        .up
                        .enclosing(left, &["method_declaration"])
                        .and_then(|m| factory_of(m, kept));
                }
            }
        }
        results
    }

    /// Whether `value` leaves a name with no client other than one for a legacy Keap or
    /// Mortgage Pro endpoint: such a client, a call (a factory, judged where it is made), or a
    /// `null` / literal default. A copy of another name could hold anything.
    fn makes_legacy_client(&self, value: Node<'t>) -> bool {
        match value.kind() {
            "object_creation_expression" => {}
            "variable_name" | "member_access_expression" | "scoped_property_access_expression" => {
                return false
            }
            _ => return true,
        }
        let range = value.byte_range();
        self.findings.iter().any(|f| {
            matches!(f.rule.as_str(), LEGACY_ENDPOINT | MORTGAGEPRO_ENDPOINT)
                && range.start <= f.span.start
                && f.span.end <= range.end
        })
    }

    /// Whether the variable `value` names is used by a call other than `call` in its function:
    /// a header added to it would travel with that call too.
    fn shared_with_other_calls(&self, value: Node<'t>, call: Node<'t>, scope: Scope<'t>) -> bool {
        if value.kind() != "variable_name" {
            return false;
        }
        let name = self.src(value);
        self.calls_in(scope).any(|c| {
            c.id() != call.id()
                && arguments(*c).iter().any(|a| {
                    self.src(*a) == name
                        || (is_array(*a) && array_values(*a).iter().any(|v| self.src(*v) == name))
                })
        })
    }

    /// The name of `method` when it returns `returned` and only this file can call it: a
    /// private or protected method, or a function defined once that no other file calls.
    fn factory_name(&self, method: Node<'t>, returned: &str) -> Option<&'t str> {
        let mut cursor = method.walk();
        let hidden = match method.kind() {
            "function_definition" => method.child_by_field_name("name").is_some_and(|n| {
                let name = self.src(n).to_ascii_lowercase();
                self.index.functions.iter().filter(|f| f.0 == name).count() == 1
                    && !(self.called_elsewhere)(&name)
            }),
            _ => method.children(&mut cursor).any(|c| {
                c.kind() == "visibility_modifier" && matches!(self.src(c), "private" | "protected")
            }),
        };
        let returns = format!("return {returned};");
        method
            .child_by_field_name("name")
            .map(|n| self.src(n))
            .filter(|_| hidden && self.src(method).contains(&returns))
    }

    /// The statement that gives the client the header, or `None` where the header was joined
    /// to a list the code already has (`at_creation`) or cannot be added (said as manual).
    fn header_statement(
        &mut self,
        consumer: &Consumer<'t>,
        line: &str,
        value: &str,
        at_creation: bool,
        i: usize,
    ) -> Option<String> {
        let t = &consumer.target;
        let (name, bare) = match self.opts.auth {
            Auth::Header if !line.starts_with("'Authorization") => {
                ("X-Keap-API-Key", value.to_string())
            }
            _ => ("Authorization", format!("'Bearer ' . {value}")),
        };
        let joined = |r: &mut Self, done: bool| {
            if done {
                r.headers_added += 1;
            }
            None
        };
        let statement = match consumer.client {
            Client::PhpXmlRpc => {
                let headers = format!("array('Content-Type: text/xml', 'Accept-Charset: UTF-8,ISO-8859-1,US-ASCII', {line})");
                // setCurlOptions replaces the options it was given before: join an existing call.
                match self.existing_curl_options(consumer) {
                    HeaderList::None => {
                        format!("{t}->setCurlOptions(array(CURLOPT_HTTPHEADER => {headers}));")
                    }
                    HeaderList::Array(_) if !at_creation => {
                        self.manual(i, format!("not migrated: this client's curl options are set where the key cannot be read: add `{line}` to their CURLOPT_HTTPHEADER list"));
                        return None;
                    }
                    HeaderList::Array(options) => {
                        let done = match self.entry(options, "CURLOPT_HTTPHEADER") {
                            Some(list) if is_array(list) => self.append_header(list, line, i),
                            Some(_) => {
                                self.manual(i, format!("not migrated: this client's header list is built at run time: add `{line}` to it"));
                                false
                            }
                            None => self.append_element(
                                options,
                                &format!("CURLOPT_HTTPHEADER => {headers}"),
                                i,
                            ),
                        };
                        return joined(self, done);
                    }
                    HeaderList::Opaque => {
                        self.manual(i, format!("not migrated: this client's curl options are built at run time: add `{line}` to their CURLOPT_HTTPHEADER list"));
                        return None;
                    }
                }
            }
            Client::Zend1 => format!("{t}->getHttpClient()->setHeaders('{name}', {bare});"),
            Client::Laminas => {
                format!("{t}->getHttpClient()->getRequest()->getHeaders()->addHeaderLine('{name}', {bare});")
            }
            Client::WpHttpIxr => format!("{t}->headers['{name}'] = {bare};"),
            Client::Ixr => {
                if !self.ixr_to_wp_http(consumer, i) {
                    return None;
                }
                format!("{t}->headers['{name}'] = {bare};")
            }
            Client::Curl => match self.curl_header_list(consumer) {
                HeaderList::Array(array) if at_creation => {
                    let done = self.append_header(array, line, i);
                    return joined(self, done);
                }
                HeaderList::None => format!(
                    "curl_setopt({t}, CURLOPT_HTTPHEADER, array('Content-Type: text/xml', {line}));"
                ),
                _ => {
                    self.manual(i, format!("not migrated: this request's header list is built at run time: add `{line}` to it"));
                    return None;
                }
            },
            Client::Stream => {
                let done = self.stream_header(consumer, line, i);
                return joined(self, done);
            }
            Client::Options(at) => {
                let done = self.options_header(consumer.call, at, name, &bare, i);
                return joined(self, done);
            }
        };
        Some(statement)
    }

    /// IXR_Client writes plain HTTP to a socket: it cannot reach an https endpoint, and a key
    /// header would cross the network in clear. WordPress ships WP_HTTP_IXR_Client, which it
    /// does not load by default: outside WordPress a person must choose another client.
    fn ixr_to_wp_http(&mut self, consumer: &Consumer<'t>, i: usize) -> bool {
        let wordpress = ["ABSPATH", "WPINC", "add_action(", "get_option("]
            .iter()
            .any(|w| self.text.contains(w));
        let mut cursor = consumer.call.walk();
        let class = consumer
            .call
            .named_children(&mut cursor)
            .find(|c| matches!(c.kind(), "name" | "qualified_name"));
        let (Some(class), true) = (class, wordpress) else {
            self.manual(i, "not migrated: IXR_Client cannot use https: replace it (in WordPress, by WP_HTTP_IXR_Client) and add the key header");
            return false;
        };
        let statement = super::statement(consumer.call);
        let (indent, eol) = self.line_style(statement);
        let line_start = self.text[..statement.start_byte()]
            .rfind('\n')
            .map_or(0, |p| p + 1);
        if !self.text[line_start..statement.start_byte()]
            .trim()
            .is_empty()
        {
            self.manual(i, "not migrated: IXR_Client cannot use https: replace it by WP_HTTP_IXR_Client and add the key header");
            return false;
        }
        let load =
            format!("require_once ABSPATH . WPINC . '/class-wp-http-ixr-client.php';{eol}{indent}");
        self.out
            .edits
            .push(Edit::insert(statement.start_byte(), load, i));
        let renamed = if self.src(class).starts_with('\\') {
            "\\WP_HTTP_IXR_Client"
        } else {
            "WP_HTTP_IXR_Client"
        };
        self.out
            .edits
            .push(Edit::new(class.byte_range(), renamed, i));
        true
    }

    /// The header list the code gives `CURLOPT_HTTPHEADER` for this handle, in the client's
    /// function (the last one set wins, as in curl).
    fn curl_header_list(&self, consumer: &Consumer<'t>) -> HeaderList<'t> {
        let function = self.up.enclosing(consumer.call, FUNCTIONS);
        // A handle kept in a property can get its headers in another method: search the class,
        // and leave that case to a person. A handle in a variable: only while it is this handle.
        let handle_scope = self.scope_of(&consumer.target, consumer.call);
        let live = match handle_scope {
            Scope::Function(_) => {
                self.live_range(&consumer.target, handle_scope, consumer.call.start_byte())
            }
            _ => 0..usize::MAX,
        };
        let mut found = HeaderList::None;
        for c in self
            .calls_in(handle_scope)
            .filter(|c| live.contains(&c.start_byte()))
        {
            let args = arguments(*c);
            if args.first().is_none_or(|a| self.src(*a) != consumer.target) {
                continue;
            }
            let scope = Scope::Function(self.up.enclosing(*c, FUNCTIONS));
            let value = match callee(self.text, *c).as_str() {
                "curl_setopt"
                    if args
                        .get(1)
                        .is_some_and(|o| self.src(*o) == "CURLOPT_HTTPHEADER") =>
                {
                    args.get(2).copied()
                }
                "curl_setopt_array" => {
                    let options = args.get(1).and_then(|a| self.array_value(*a, scope));
                    match options.map(|o| self.entry(o, "CURLOPT_HTTPHEADER")) {
                        Some(Some(list)) => Some(list),
                        // A literal option array without a header list: nothing to join.
                        Some(None) => continue,
                        None => None,
                    }
                }
                _ => continue,
            };
            let elsewhere =
                self.up.enclosing(*c, FUNCTIONS).map(|f| f.id()) != function.map(|f| f.id());
            found = match value.and_then(|v| self.array_value(v, scope)) {
                Some(array) if !elsewhere => HeaderList::Array(array),
                _ => HeaderList::Opaque,
            };
        }
        found
    }

    /// The options array of a `setCurlOptions` call this phpxmlrpc client already makes.
    fn existing_curl_options(&self, consumer: &Consumer<'t>) -> HeaderList<'t> {
        let scope = self.scope_of(&consumer.target, consumer.call);
        let mut found = HeaderList::None;
        for c in self.calls_in(scope) {
            let object = c.child_by_field_name("object").map(|o| self.src(o));
            if c.kind() != "member_call_expression"
                || callee(self.text, *c) != "setcurloptions"
                || object != Some(consumer.target.as_str())
            {
                continue;
            }
            let fn_scope = Scope::Function(self.up.enclosing(*c, FUNCTIONS));
            found = match arguments(*c)
                .first()
                .and_then(|a| self.array_value(*a, fn_scope))
            {
                Some(array) => HeaderList::Array(array),
                None => HeaderList::Opaque,
            };
        }
        found
    }

    /// An array literal, or the one last assigned before it to the variable `value` names.
    fn array_value(&self, value: Node<'t>, scope: Scope<'t>) -> Option<Node<'t>> {
        if is_array(value) {
            return Some(value);
        }
        let name = self.src(value);
        self.index
            .assignments
            .iter()
            .rfind(|a| {
                a.0 == name && a.2.start_byte() < value.start_byte() && self.in_scope(scope, a.2)
            })
            .map(|a| a.1)
            .filter(|v| is_array(*v))
    }

    /// The value of `KEY => value` in an array literal (`KEY` as written, quotes ignored).
    fn entry(&self, array: Node<'t>, key: &str) -> Option<Node<'t>> {
        let mut cursor = array.walk();
        let found = array.named_children(&mut cursor).find_map(|el| {
            let mut c = el.walk();
            let parts: Vec<Node> = el.named_children(&mut c).collect();
            match parts.as_slice() {
                [k, v] if self.src(*k).trim_matches(['\'', '"']) == key => Some(*v),
                _ => None,
            }
        });
        found
    }

    /// Adds the header line to a header list, with `Content-Type: text/xml` if it has none.
    fn append_header(&mut self, array: Node<'t>, line: &str, i: usize) -> bool {
        let has_type = self
            .src(array)
            .to_ascii_lowercase()
            .contains("content-type");
        let added = if has_type {
            line.to_string()
        } else {
            format!("'Content-Type: text/xml', {line}")
        };
        self.append_element(array, &added, i)
    }

    /// `stream_context_create(array('http' => array(..., 'header' => ...)))`.
    fn stream_header(&mut self, consumer: &Consumer<'t>, line: &str, i: usize) -> bool {
        let scope = Scope::Function(self.up.enclosing(consumer.call, FUNCTIONS));
        // The context the call is given: made inline, or the last one the variable held before.
        let context = self
            .index
            .calls
            .iter()
            .find(|c| {
                self.src(**c) == consumer.target
                    && callee(self.text, **c) == "stream_context_create"
            })
            .copied()
            .or_else(|| {
                self.index
                    .assignments
                    .iter()
                    .filter(|a| {
                        a.0 == consumer.target
                            && self.in_scope(scope, a.2)
                            && a.2.start_byte() < consumer.call.start_byte()
                    })
                    .map(|a| a.1)
                    .next_back()
                    .filter(|v| callee(self.text, *v) == "stream_context_create")
            });
        let http = context
            .and_then(|c| arguments(c).first().copied())
            .and_then(|a| self.array_value(a, scope))
            .and_then(|a| self.entry(a, "http"))
            .and_then(|h| self.array_value(h, scope));
        let Some(http) = http else {
            self.manual(
                i,
                format!("not migrated: add `{line}` to this request's stream context"),
            );
            return false;
        };
        let Some(header) = self.entry(http, "header") else {
            let value = format!("\"Content-Type: text/xml\\r\\n\" . {line} . \"\\r\\n\"");
            return self.append_element(http, &format!("'header' => {value}"), i);
        };
        if let Some(list) = self.array_value(header, scope) {
            return self.append_header(list, line, i);
        }
        // A header string: the new line goes after its last line ending, or after a new one.
        let built = match header.kind() {
            "variable_name" => self
                .index
                .assignments
                .iter()
                .rfind(|a| {
                    a.0 == self.src(header)
                        && a.2.start_byte() < header.start_byte()
                        && self.in_scope(scope, a.2)
                })
                .and_then(|a| template(self.text, a.1)),
            _ => template(self.text, header),
        };
        let Some(built) = built else {
            self.manual(
                i,
                format!(
                    "not migrated: this request's header is built at run time: add `{line}` to it"
                ),
            );
            return false;
        };
        let addition = if built.text.ends_with("\\n") {
            format!(" . {line} . \"\\r\\n\"")
        } else {
            format!(" . \"\\r\\n\" . {line}")
        };
        self.out
            .edits
            .push(Edit::insert(header.end_byte(), addition, i));
        true
    }

    /// `'headers' => array(…)` in the request's options array: the header joins the list, or
    /// the options get one (with `Content-Type: text/xml`, which a bare body lacks).
    fn options_header(
        &mut self,
        call: Node<'t>,
        at: usize,
        name: &str,
        value: &str,
        i: usize,
    ) -> bool {
        let scope = Scope::Function(self.up.enclosing(call, FUNCTIONS));
        let entry = format!("'{name}' => {value}");
        let Some(options) = arguments(call).get(at).copied() else {
            let Some(args) = call.child_by_field_name("arguments") else {
                return false;
            };
            let added =
                format!(", array('headers' => array('Content-Type' => 'text/xml', {entry}))");
            self.out
                .edits
                .push(Edit::insert(args.end_byte() - 1, added, i));
            return true;
        };
        let shared = self.shared_with_other_calls(options, call, scope)
            || self
                .array_value(options, scope)
                .and_then(|o| self.entry(o, "headers"))
                .is_some_and(|h| self.shared_with_other_calls(h, call, scope));
        if shared {
            self.manual(i, format!("not migrated: these request options are also sent elsewhere: give the Keap request its own headers with {entry}"));
            return false;
        }
        let Some(options) = self.array_value(options, scope) else {
            self.manual(i, format!("not migrated: this request's options are built at run time: add {entry} to their headers"));
            return false;
        };
        let (open, close) = match self.src(options).starts_with('[') {
            true => ("[", "]"),
            false => ("array(", ")"),
        };
        match self.entry(options, "headers") {
            None => self.append_element(
                options,
                &format!("'headers' => {open}'Content-Type' => 'text/xml', {entry}{close}"),
                i,
            ),
            Some(headers) => match self.array_value(headers, scope) {
                Some(list) => self.append_element(list, &entry, i),
                None => {
                    self.manual(i, format!("not migrated: this request's headers are built at run time: add {entry} to them"));
                    false
                }
            },
        }
    }

    /// Adds `element` after the last element of an array literal; one element a line stays
    /// one element a line.
    fn append_element(&mut self, array: Node<'t>, element: &str, i: usize) -> bool {
        let Some(last) = array_values(array).last().and_then(|v| v.parent()) else {
            self.out
                .edits
                .push(Edit::insert(array.end_byte() - 1, element, i));
            return true;
        };
        let text = if last.start_position().row > array.start_position().row {
            let (indent, eol) = self.line_style(last);
            format!(",{eol}{indent}{element}")
        } else {
            format!(", {element}")
        };
        self.out.edits.push(Edit::insert(last.end_byte(), text, i));
        true
    }
}

/// Whether an argument is the URL `name` holds, as is or through WordPress' URL escaping
/// (`esc_url_raw($url)`), which leaves an https URL as it is.
fn holds_url(arg: &str, name: &str) -> bool {
    if arg == name {
        return true;
    }
    ["esc_url_raw(", "esc_url("].iter().any(|f| {
        arg.strip_prefix(f)
            .and_then(|rest| rest.strip_suffix(')'))
            .is_some_and(|inner| inner.trim() == name)
    })
}
