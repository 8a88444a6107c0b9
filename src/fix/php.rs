//! The PHP recipe: per call site, move the key from the body into a header that the client
//! library really sends, point the client at the new endpoint, and read hardcoded keys from the
//! environment. Every change is a minimal byte range over the original text.
mod clients;
mod windows;

pub use windows::fix as fix_in_windows;

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    ops::Range,
};

use tree_sitter::{Node, Tree};

use super::{edit::Edit, Auth, FixOptions, PLACEHOLDER};
use crate::{
    detect::php::{
        arguments, callee, concat_operands, is_base_uri, is_client_class, is_concat,
        literal_content, plain_literal, template, unwrap_value,
    },
    finding::{Finding, Secret},
    rules::{
        HARDCODED_KEY, KEY_IN_BODY, LEGACY_ENDPOINT, LEGACY_LIBRARY, MISSING_AUTH,
        MORTGAGEPRO_ENDPOINT, TOKEN_IN_URL, VENDOR_LOGIN,
    },
};

/// What the recipe made of one file's findings.
#[derive(Default)]
pub struct Outcome {
    pub edits: Vec<Edit>,
    /// Findings left for a person, by index, with a one-line hint.
    pub manual: Vec<(usize, String)>,
    /// What a person should know about a fix that was made (a setting overwritten), by the
    /// index of the finding it fixes.
    pub notes: Vec<(usize, String)>,
}

/// Chooses the environment variable that replaces a hardcoded secret.
pub type EnvNamer<'a> = dyn FnMut(&Secret) -> String + 'a;

/// Whether a function of this name is called from another PHP file of the tree: a helper that
/// other code may call with other URLs must not be given the key.
pub type CalledElsewhere<'a> = dyn Fn(&str) -> bool + 'a;

/// Whether a global variable (`$client`) holds, in every file that includes this one, a client
/// already given the key header before the include: the calls of this file's functions that
/// send through it (`global $client, $key;`) can then take a placeholder.
pub type SharedClient<'a> = dyn Fn(&str) -> bool + 'a;

pub fn fix(
    text: &str,
    tree: Option<&Tree>,
    findings: &[Finding],
    opts: &FixOptions,
    env_for: &mut EnvNamer,
    called_elsewhere: &CalledElsewhere,
    shared_client: &SharedClient,
) -> Outcome {
    let Some(tree) = tree else {
        return Outcome {
            edits: Vec::new(),
            manual: (0..findings.len())
                .map(|i| (i, "the file could not be parsed".to_string()))
                .collect(),
            notes: Vec::new(),
        };
    };
    if nesting(tree) > MAX_DEPTH {
        return Outcome {
            edits: Vec::new(),
            manual: (0..findings.len())
                .map(|i| {
                    (
                        i,
                        "the file nests too deeply for an automatic rewrite".to_string(),
                    )
                })
                .collect(),
            notes: Vec::new(),
        };
    }
    let mut r = Recipe {
        text,
        up: Up::new(tree.root_node()),
        opts,
        findings,
        env_for,
        called_elsewhere,
        shared_client,
        index: Index::build(text, tree.root_node()),
        out: Outcome::default(),
        consumed: Vec::new(),
        body_edits: Vec::new(),
        keys: Vec::new(),
        headers_added: 0,
        clients_done: HashSet::new(),
        shared_helpers: RefCell::new(Vec::new()),
    };
    r.run();
    r.out
}

/// Where the key for a header comes from.
#[derive(Clone)]
struct KeySource<'t> {
    /// PHP expression that evaluates to the key where the key site is.
    code: String,
    /// The node it was read from, for scope checks; `None` for an environment lookup.
    site: Option<Node<'t>>,
    /// The environment variable to read instead when `code` is out of scope at the client.
    env: Option<String>,
}

/// Everything the recipe looks up more than once, gathered in one pass over the tree.
struct Index<'t> {
    /// (left-hand side text, right-hand side, statement)
    assignments: Vec<(String, Node<'t>, Node<'t>)>,
    /// Where each name's assignments are in `assignments`: a lookup per call site must not
    /// read every assignment of the file.
    by_name: HashMap<String, Vec<usize>>,
    calls: Vec<Node<'t>>,
    /// Functions and methods defined in the file, by lower-cased name.
    functions: Vec<(String, Node<'t>)>,
    /// `global $x;` declarations: the variable and the function that declares it.
    globals: Vec<(&'t str, Node<'t>)>,
}

impl<'t> Index<'t> {
    fn build(text: &'t str, root: Node<'t>) -> Self {
        let mut index = Index {
            assignments: Vec::new(),
            by_name: HashMap::new(),
            calls: Vec::new(),
            functions: Vec::new(),
            globals: Vec::new(),
        };
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "assignment_expression" => {
                    if let (Some(l), Some(r)) = (
                        node.child_by_field_name("left"),
                        node.child_by_field_name("right"),
                    ) {
                        index.assignments.push((
                            text[l.byte_range()].to_string(),
                            r,
                            statement(node),
                        ));
                    }
                }
                "function_call_expression"
                | "object_creation_expression"
                | "member_call_expression" => {
                    if callee(text, node) == "define" {
                        let args = arguments(node);
                        if let (Some(name), Some(value)) = (
                            args.first().and_then(|a| plain_literal(text, *a)),
                            args.get(1),
                        ) {
                            index
                                .assignments
                                .push((name.to_string(), *value, statement(node)));
                        }
                    }
                    index.calls.push(node);
                }
                // A property's default and a constant are what they hold before any code runs.
                "property_element" | "const_element" => {
                    let value = match node.kind() {
                        "property_element" => node.child_by_field_name("default_value"),
                        _ => node.named_child(1),
                    };
                    if let (Some(name), Some(value), Some(declaration)) =
                        (declared_name(text, node), value, node.parent())
                    {
                        index.assignments.push((name, value, declaration));
                    }
                }
                "global_declaration" => {
                    if let Some(function) = enclosing(node, FUNCTIONS) {
                        let mut cursor = node.walk();
                        for var in node.named_children(&mut cursor) {
                            index.globals.push((&text[var.byte_range()], function));
                        }
                    }
                }
                "function_definition" | "method_declaration" => {
                    if let Some(name) = node.child_by_field_name("name") {
                        index
                            .functions
                            .push((text[name.byte_range()].to_ascii_lowercase(), node));
                    }
                }
                _ => {}
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        index.calls.sort_by_key(|n| n.start_byte());
        index.assignments.sort_by_key(|a| a.1.start_byte());
        for (i, a) in index.assignments.iter().enumerate() {
            index.by_name.entry(a.0.clone()).or_default().push(i);
        }
        index
    }

    /// The assignments to `name`, in the order of `assignments`.
    fn assigned(&self, name: &str) -> impl Iterator<Item = &(String, Node<'t>, Node<'t>)> {
        let at = self.by_name.get(name).map_or(&[][..], Vec::as_slice);
        at.iter().map(|&i| &self.assignments[i])
    }
}

struct Recipe<'a, 't> {
    text: &'t str,
    up: Up<'t>,
    opts: &'a FixOptions,
    findings: &'a [Finding],
    env_for: &'a mut EnvNamer<'a>,
    called_elsewhere: &'a CalledElsewhere<'a>,
    shared_client: &'a SharedClient<'a>,
    index: Index<'t>,
    out: Outcome,
    /// Secret ranges already taken care of by a key-site edit.
    consumed: Vec<Range<usize>>,
    /// Body edits wait until a header is added in this file: without one they would break calls.
    body_edits: Vec<Edit>,
    keys: Vec<(usize, KeySource<'t>)>,
    headers_added: usize,
    clients_done: HashSet<usize>,
    /// Helpers the URL reaches that are not followed (called with other URLs too).
    shared_helpers: RefCell<Vec<String>>,
}

impl<'a, 't> Recipe<'a, 't> {
    fn src(&self, node: Node) -> &'t str {
        &self.text[node.byte_range()]
    }

    fn node_at(&self, span: &Range<usize>) -> Option<Node<'t>> {
        self.up.node_at(span)
    }

    pub(super) fn manual(&mut self, finding: usize, hint: impl Into<String>) {
        self.out.manual.push((finding, hint.into()));
    }

    fn run(&mut self) {
        let mut endpoints = Vec::new();
        let mut tokens = Vec::new();
        let mut secrets = Vec::new();
        let mut mortgage_pro = false;
        for (i, f) in self.findings.iter().enumerate() {
            let in_comment = self.node_at(&f.span).is_some_and(|n| n.kind() == "comment");
            if in_comment {
                let hint = match f.secret {
                    Some(_) => "a key in a comment: delete it, and rotate the key",
                    None => "commented-out legacy code: update or delete it",
                };
                self.manual(i, hint);
                continue;
            }
            match f.rule.as_str() {
                LEGACY_ENDPOINT => endpoints.push(i),
                KEY_IN_BODY => self.key_site(i),
                HARDCODED_KEY => secrets.push(i),
                TOKEN_IN_URL => tokens.push(i),
                VENDOR_LOGIN => self.manual(i, "replace the vendor-key login (getTemporaryKey) with OAuth or a Service Account Key"),
                MORTGAGEPRO_ENDPOINT => {
                    mortgage_pro = true;
                    self.manual(i, "Mortgage Pro is a separate service: its endpoint is never rewritten to an infusionsoft.com host, and its calls keep the key in the body")
                }
                LEGACY_LIBRARY => self.manual(i, "upgrade this phpxmlrpc 2.x to 4.9.x (it runs the iSDK on PHP 8): the migrated clients send the key header through setCurlOptions, which 2.x lacks, and 2.x does not parse on PHP 7 or later"),
                MISSING_AUTH if f.message.contains("->headers`") => self.manual(i, "phpxmlrpc never sends a `headers` property: give the key header to the client's `setCurlOptions(array(CURLOPT_HTTPHEADER => array('Content-Type: text/xml', …)))`, with Content-Type kept, and drop the property"),
                MISSING_AUTH => self.manual(i, "this client calls the new endpoint without a key header: add X-Keap-API-Key (or Authorization: Bearer) to it"),
                _ => self.manual(i, "no automatic rewrite for this rule"),
            }
        }
        let several = self.distinct_keys() > 1;
        let key = if several {
            None
        } else {
            self.key_for_headers()
                .or_else(|| self.key_bound_at_top(&secrets))
        };
        let mut client_left_out = false;
        let mut migrated = Vec::new();
        for &i in &endpoints {
            // Several keys: each client reads the one key its own function sends.
            let key = if several {
                let Some(key) = self.key_of_function(i) else {
                    self.manual(i, "not migrated: this file sends several different keys, and this client's function sends no one key of them: add the header with the right key to it, then point it at the new endpoint");
                    client_left_out = true;
                    continue;
                };
                Some(key)
            } else {
                key.clone()
            };
            // A client left without the header may be the one these calls go through.
            let done = self.transaction(i, |r| r.endpoint(i, key.as_ref()));
            client_left_out |= !done;
            if let (true, Some(key)) = (done, key) {
                migrated.push((self.function_at(&self.findings[i].span), key.code));
            }
        }
        if several {
            self.keys_of_migrated_functions(&migrated);
        }
        for i in tokens {
            self.transaction(i, |r| r.token(i));
        }
        let both_hosts = mortgage_pro && !client_left_out && self.headers_added > 0;
        // A client left out may be one these calls go through, unless a call's own function
        // sends only through clients it made and gave the header (a URL kept in a property
        // beside a wrapper that makes its own client for each call).
        if client_left_out && !mortgage_pro && self.headers_added > 0 {
            self.keep_locally_sent();
        }
        // Code already on the new endpoint with a key header: a call whose key no header
        // line reads goes through some other client (another account's, made elsewhere).
        if self.headers_added == 0 && endpoints.is_empty() && self.sends_key_header() {
            self.keys_read_by_a_header();
        }
        let held_back = if both_hosts && self.placeholders_by_host() {
            None
        } else if client_left_out {
            Some("a client in this file could not be given the key header (see its endpoint): put a placeholder only in the calls that go through a migrated client")
        } else if mortgage_pro {
            // Mortgage Pro still takes the key in the body; its calls may share these sites.
            Some("this file also calls Mortgage Pro, which still needs the key in the body: put a placeholder only where Keap alone is called")
        } else if self.headers_added == 0
            && !(endpoints.is_empty()
                && (self.sends_key_header() || self.sends_through_shared_clients()))
        {
            Some(if self.makes_client() {
                "the client here is made from a URL read elsewhere (a setting), not a legacy endpoint written in this file: point that setting at the new endpoint, add the key header to the client, then put a placeholder in the first parameter"
            } else {
                "the client these calls go through is not made in this file: add the key header where it is made, then put a placeholder in the first parameter"
            })
        } else {
            None
        };
        match held_back {
            None => {
                let body = std::mem::take(&mut self.body_edits);
                self.out.edits.extend(body);
            }
            Some(hint) => {
                for (i, _) in std::mem::take(&mut self.keys) {
                    self.manual(i, hint);
                }
                self.consumed.clear();
            }
        }
        for i in secrets {
            self.secret(i);
        }
    }

    /// Lands the placeholders of the key sites whose function sends only through clients made
    /// there and given the header in this plan; the other sites stay for the hold-back.
    fn keep_locally_sent(&mut self) {
        let keys = std::mem::take(&mut self.keys);
        let mut kept = Vec::new();
        for (i, source) in keys {
            // A literal key's range is also the hardcoded-key fix's: it stays with the hold-back.
            let node = self.node_at(&self.findings[i].span);
            let sent_here = node.is_some_and(|n| literal_content(n).is_none())
                && node
                    .and_then(|n| self.up.enclosing(n, FUNCTIONS))
                    .is_some_and(|f| self.sends_only_through_migrated(f));
            if sent_here {
                let (mine, rest): (Vec<Edit>, Vec<Edit>) = std::mem::take(&mut self.body_edits)
                    .into_iter()
                    .partition(|e| e.finding == i);
                self.body_edits = rest;
                self.out.edits.extend(mine);
            } else {
                kept.push((i, source));
            }
        }
        self.keys = kept;
    }

    /// A file that talks to Mortgage Pro and Infusionsoft through one phpxmlrpc client (the iSDK
    /// picks the host at run time) keeps the key in the body of Mortgage Pro calls only: each
    /// placeholder is chosen by the host of the client the call is sent with. Every body edit
    /// must be a whole expression sent by such a client in its own function, or none is made.
    fn placeholders_by_host(&mut self) -> bool {
        let host = self
            .opts
            .endpoint
            .trim_start_matches("https://")
            .split('/')
            .next()
            .unwrap_or_default();
        let clients: Vec<&str> = self
            .index
            .calls
            .iter()
            .filter(|c| {
                c.kind() == "object_creation_expression"
                    && callee(self.text, **c) == "xmlrpc_client"
            })
            .filter_map(|c| c.parent().filter(|p| p.kind() == "assignment_expression"))
            .filter_map(|a| a.child_by_field_name("left"))
            .map(|l| self.src(l))
            .collect();
        let mut conditional = Vec::new();
        for edit in &self.body_edits {
            let node = self
                .node_at(&edit.range)
                .filter(|n| n.byte_range() == edit.range);
            let function = node
                .and_then(|n| self.up.enclosing(n, FUNCTIONS))
                .map(|f| f.id());
            let class = node
                .and_then(|n| self.up.enclosing(n, CLASSES))
                .map(|c| c.id());
            let sends: Vec<(Node<'t>, &str)> = self
                .index
                .calls
                .iter()
                .filter(|c| callee(self.text, **c) == "send")
                .filter_map(|c| Some((*c, self.src(c.child_by_field_name("object")?))))
                .filter(|(_, object)| clients.contains(object))
                .collect();
            // Sent in the same function, or (the old iSDK: each method builds its parameters,
            // methodCaller sends them) by the one client its class sends with.
            let in_class: Vec<&str> = sends
                .iter()
                .filter(|(c, _)| {
                    class.is_some() && self.up.enclosing(*c, CLASSES).map(|c| c.id()) == class
                })
                .map(|(_, o)| *o)
                .collect();
            let sender = sends
                .iter()
                .find(|(c, _)| self.up.enclosing(*c, FUNCTIONS).map(|f| f.id()) == function)
                .map(|(_, o)| *o)
                .or_else(|| match in_class.as_slice() {
                    [first, rest @ ..] if rest.iter().all(|o| o == first) => Some(*first),
                    _ => None,
                });
            let (Some(_), Some(client)) = (node, sender) else {
                return false;
            };
            let old = &self.text[edit.range.clone()];
            conditional.push(Edit::new(
                edit.range.clone(),
                format!("({client}->server == '{host}' ? {} : {old})", edit.text),
                edit.finding,
            ));
        }
        self.body_edits.clear();
        self.out.edits.extend(conditional);
        true
    }

    /// Code already on the new endpoint with a key header (migrated by hand, the key left in
    /// the body too): the header carries the key, so the body may take the placeholder.
    /// Every key site is in a function whose sends all go through global clients that the
    /// files including this one made and gave the header (Keap's samples: `functions.php`, its
    /// functions declaring `global $client, $key;`).
    fn sends_through_shared_clients(&self) -> bool {
        !self.keys.is_empty()
            && self.keys.iter().all(|(i, _)| {
                let Some(function) = self
                    .node_at(&self.findings[*i].span)
                    .and_then(|n| self.up.enclosing(n, FUNCTIONS))
                else {
                    return false;
                };
                let range = function.byte_range();
                let sends: Vec<&str> = self
                    .index
                    .calls
                    .iter()
                    .filter(|c| range.start <= c.start_byte() && c.end_byte() <= range.end)
                    .filter(|c| {
                        c.kind() == "member_call_expression"
                            && matches!(callee(self.text, **c).as_str(), "send" | "multicall")
                    })
                    .filter_map(|c| c.child_by_field_name("object").map(|o| self.src(o)))
                    .collect();
                let global = |name: &str| {
                    self.index
                        .globals
                        .iter()
                        .any(|(g, f)| *g == name && f.id() == function.id())
                };
                !sends.is_empty() && sends.iter().all(|s| global(s) && (self.shared_client)(s))
            })
    }

    fn keys_read_by_a_header(&mut self) {
        for (i, k) in std::mem::take(&mut self.keys) {
            let read = self.text.lines().any(|line| {
                let lower = line.to_ascii_lowercase();
                (lower.contains("x-keap-api-key") || lower.contains("bearer"))
                    && line.contains(k.code.as_str())
            });
            if read {
                self.keys.push((i, k));
            } else {
                self.body_edits.retain(|e| e.finding != i);
                self.manual(i, "the key header this file sends reads another key: send this call's key as the header of the client it goes through, then put a placeholder first");
            }
        }
    }

    /// Whether the file makes an XML-RPC client of a library it knows.
    fn makes_client(&self) -> bool {
        self.index.calls.iter().any(|c| {
            c.kind() == "object_creation_expression" && is_client_class(&callee(self.text, *c))
        })
    }

    fn sends_key_header(&self) -> bool {
        let lower = self.text.to_ascii_lowercase();
        lower.contains("api.infusionsoft.com/crm/xmlrpc")
            && (lower.contains("x-keap-api-key") || lower.contains("authorization: bearer"))
    }

    /// One client's migration as a transaction: its endpoint, its header and whatever else it
    /// edits land together, or none of it does and the manual list says why. A client pointed at
    /// the new endpoint without the header is the one thing worse than no change.
    fn transaction(&mut self, i: usize, migrate: impl FnOnce(&mut Self)) -> bool {
        let (edits, manual, headers) = (
            self.out.edits.len(),
            self.out.manual.len(),
            self.headers_added,
        );
        let done = self.clients_done.clone();
        migrate(self);
        let failed = self.out.manual[manual..].iter().any(|(m, _)| *m == i);
        if failed {
            self.out.edits.truncate(edits);
            self.headers_added = headers;
            self.clients_done = done;
        }
        !failed
    }

    /// The first parameter becomes the placeholder; the key is remembered for the header.
    fn key_site(&mut self, i: usize) {
        let span = self.findings[i].span.clone();
        // A literal key written inside a hand-written XML body.
        if let Some(inside) = self
            .string_around(&span)
            .filter(|s| s.start_byte() < span.start)
        {
            if literal_content(inside).is_some()
                || self.text[span.clone()]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit())
            {
                self.body_edits
                    .push(Edit::new(span.clone(), PLACEHOLDER, i));
                self.consumed.push(span.clone());
                let env = self.env_of(&span);
                self.keys.push((
                    i,
                    KeySource {
                        code: getenv(&env),
                        site: None,
                        env: Some(env),
                    },
                ));
                return;
            }
        }
        let Some(node) = self.node_at(&span) else {
            return self.manual(i, "could not locate the key expression");
        };
        if !is_plain_key(self.text, node) {
            return self.manual(i, "the key is computed together with other data here: send it as a header and put a placeholder first by hand");
        }
        let in_string = node
            .parent()
            .is_some_and(|p| matches!(p.kind(), "encapsed_string" | "heredoc_body" | "heredoc"));
        let edit = if in_string {
            let (s, e) = (span.start, span.end);
            let braced = self.text[..s].ends_with('{') && self.text[e..].starts_with('}');
            let range = if braced { s - 1..e + 1 } else { span.clone() };
            Edit::new(range, PLACEHOLDER, i)
        } else if let Some(edit) = self.merge_into_neighbours(node, i) {
            edit
        } else {
            Edit::new(span.clone(), self.placeholder_for(node), i)
        };
        self.body_edits.push(edit);
        let source = self.key_source(node);
        if let Some(content) = literal_content(node) {
            self.consumed.push(content);
        }
        self.keys.push((i, source));
    }

    /// `'<string>' . $key . '</string>'` becomes `'<string>placeholder</string>'`.
    fn merge_into_neighbours(&self, node: Node<'t>, i: usize) -> Option<Edit> {
        let mut top = node.parent().filter(|p| is_concat(*p))?;
        while let Some(p) = top.parent().filter(|p| is_concat(*p)) {
            top = p;
        }
        let operands = concat_operands(top);
        let at = operands.iter().position(|o| o.id() == node.id())?;
        let (left, right) = (*operands.get(at.checked_sub(1)?)?, *operands.get(at + 1)?);
        let quote = |n: Node| {
            (n.kind() == "string" && literal_content(n).is_some())
                .then(|| self.text.as_bytes()[n.start_byte()])
        };
        let (lq, rq) = (quote(left)?, quote(right)?);
        (lq == rq && self.text.as_bytes()[left.end_byte() - 1] == lq)
            .then(|| Edit::new(left.end_byte() - 1..right.start_byte() + 1, PLACEHOLDER, i))
    }

    /// `'placeholder'`, or `php_xmlrpc_encode('placeholder')` where the key expression holds an
    /// encoded value (the iSDK's `$this->encKey`).
    fn placeholder_for(&self, node: Node<'t>) -> String {
        let quoted = format!("'{PLACEHOLDER}'");
        let Some(value) = self.value_at(node) else {
            return quoted;
        };
        let inner = unwrap_value(self.text, value);
        if inner.id() == value.id() {
            return quoted;
        }
        let rhs = self.src(value);
        let (s, e) = (
            inner.start_byte() - value.start_byte(),
            inner.end_byte() - value.start_byte(),
        );
        format!("{}{quoted}{}", &rhs[..s], &rhs[e..])
    }

    /// The expression that yields the raw key (through `$this->encKey = php_xmlrpc_encode($this->key)`).
    fn key_source(&mut self, node: Node<'t>) -> KeySource<'t> {
        let mut node = node;
        for _ in 0..4 {
            if let Some(content) = literal_content(node) {
                let env = self.env_of(&content);
                return KeySource {
                    code: getenv(&env),
                    site: None,
                    env: Some(env),
                };
            }
            match self.value_at(node) {
                Some(value) if unwrap_value(self.text, value).id() != value.id() => {
                    node = unwrap_value(self.text, value)
                }
                _ => break,
            }
        }
        let env = self
            .value_at(node)
            .and_then(literal_content)
            .filter(|c| self.is_secret_span(c))
            .map(|c| self.env_of(&c));
        // `${key}` interpolated in a string is `$key` in code.
        let code = match self
            .src(node)
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix('}'))
        {
            Some(name) => format!("${name}"),
            None => self.src(node).to_string(),
        };
        KeySource {
            code,
            site: Some(node),
            env,
        }
    }

    fn is_secret_span(&self, range: &Range<usize>) -> bool {
        self.findings
            .iter()
            .any(|f| f.rule == HARDCODED_KEY && f.span == *range)
    }

    fn env_of(&mut self, range: &Range<usize>) -> String {
        let secret = Secret::new(&self.text[range.clone()]);
        (self.env_for)(&secret)
    }

    /// One key for every header in the file; several different keys need a person.
    fn key_for_headers(&mut self) -> Option<KeySource<'t>> {
        let mut distinct: Vec<&KeySource> = Vec::new();
        for (_, k) in &self.keys {
            if !distinct.iter().any(|d| d.code == k.code) {
                distinct.push(k);
            }
        }
        match distinct.as_slice() {
            [one] => Some((*one).clone()),
            [] => None,
            _ => {
                let sites: Vec<usize> = self.keys.iter().map(|(i, _)| *i).collect();
                for i in sites {
                    self.manual(
                        i,
                        "this file sends several different keys: choose the one for the header",
                    );
                }
                self.keys.clear();
                None
            }
        }
    }

    fn distinct_keys(&self) -> usize {
        let mut codes: Vec<&str> = self.keys.iter().map(|(_, k)| k.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        codes.len()
    }

    /// The function (or the file, as `None`) a span is in, by node id.
    fn function_at(&self, span: &Range<usize>) -> Option<usize> {
        self.node_at(span)
            .and_then(|n| self.up.enclosing(n, FUNCTIONS))
            .map(|f| f.id())
    }

    /// The one key the calls in the endpoint's own function send, if they send one.
    fn key_of_function(&self, endpoint: usize) -> Option<KeySource<'t>> {
        let function = self.function_at(&self.findings[endpoint].span)?;
        let mut found: Option<&KeySource> = None;
        for (i, k) in &self.keys {
            if self.function_at(&self.findings[*i].span) != Some(function) {
                continue;
            }
            match found {
                Some(f) if f.code != k.code => return None,
                _ => found = Some(k),
            }
        }
        found.cloned()
    }

    /// Where a file sends several keys, a call keeps its placeholder only in a function whose
    /// client was given that same key as its header; the others are left to a person.
    fn keys_of_migrated_functions(&mut self, migrated: &[(Option<usize>, String)]) {
        for (i, k) in std::mem::take(&mut self.keys) {
            let function = self.function_at(&self.findings[i].span);
            if function.is_some() && migrated.contains(&(function, k.code.clone())) {
                self.keys.push((i, k));
            } else {
                self.body_edits.retain(|e| e.finding != i);
                self.manual(
                    i,
                    "this file sends several different keys: choose the one for the header",
                );
            }
        }
    }

    /// Where no call of the file sends the key (its calls are in an included file, through
    /// `global $key`), the one hardcoded key it assigns to a key-named variable at the top
    /// level: what those calls send.
    fn key_bound_at_top(&self, secrets: &[usize]) -> Option<KeySource<'t>> {
        if !self.keys.is_empty() {
            return None;
        }
        let [i] = secrets else {
            return None;
        };
        let string = self.string_around(&self.findings[*i].span)?;
        let assignment = string
            .parent()
            .filter(|p| p.kind() == "assignment_expression")?;
        let left = assignment.child_by_field_name("left")?;
        let name = self.src(left);
        let top = self.up.enclosing(assignment, FUNCTIONS).is_none()
            && self.up.enclosing(assignment, CLASSES).is_none();
        (top && left.kind() == "variable_name" && crate::detect::key_like(name)).then(|| {
            KeySource {
                code: name.to_string(),
                site: Some(left),
                env: None,
            }
        })
    }

    fn endpoint(&mut self, i: usize, key: Option<&KeySource<'t>>) {
        let span = self.findings[i].span.clone();
        let Some(node) = self.node_at(&span) else {
            return self.manual(i, "could not locate the endpoint expression");
        };
        let quote = self.quote_of(node);
        let mut url = format!("{quote}{}{quote}", self.opts.endpoint);
        // A host/path split spans several arguments: the call gets the one URL. phpxmlrpc parses
        // a whole URL only when server, port and transport are all empty: with a fourth argument
        // (the transport) the split stays, with the new path and host.
        let split = node.kind() == "arguments";
        if split && arguments_after(self.text, node, span.end) {
            let rest = self.opts.endpoint.trim_start_matches("https://");
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            url = format!("{quote}{path}{quote}, {quote}{host}{quote}, 443");
        }
        self.out.edits.push(Edit::new(span.clone(), url, i));
        let url_node = if split {
            node
        } else {
            self.outermost_expression(node)
        };
        let consumers = self.consumers(url_node, split);
        if consumers.is_empty() {
            let hint = match self.shared_helpers.borrow().last() {
                Some(helper) => format!("not migrated: this URL goes through `{helper}()`, which may also post elsewhere (defined twice, or called with other URLs here or in another file): send the key header from the Keap calls only, then point them at the new endpoint"),
                None if is_base_uri(self.text, url_node) => format!("not migrated: this host is an HTTP client's `base_uri`, with the path `/api/xmlrpc` posted apart: point it at `https://api.infusionsoft.com`, post to `/crm/xmlrpc`, and add `{}` to the request's headers", self.header_text("$key")),
                None => match self.handed_to(url_node) {
                    Some(call) => format!("not migrated: this URL is handed to `{call}()`, not to a client this file makes (one passed in, or made by a class elsewhere): add the key header where that client is made, then point it at the new endpoint"),
                    None => "not migrated: this URL is not given to a client in this file (it is returned, stored or passed on): add the key header where the client is made, then point it at the new endpoint".to_string(),
                },
            };
            return self.manual(i, hint);
        }
        let Some(key) = key else {
            return self.manual(i, format!("not migrated: no key is sent in this file, so there is no key for a header: add `{}` to this client, then point it at the new endpoint", self.header_text("$key")));
        };
        for consumer in consumers {
            match self.key_in_scope(key, consumer.call) {
                Some((value, anchor)) => {
                    let line = self.header_line(&value);
                    self.add_header(&consumer, anchor, &line, &value, i);
                }
                None => self.header_at_sends(&consumer, key, i),
            }
        }
    }

    /// The header as a PHP string expression: `'X-Keap-API-Key: ' . $key`.
    fn header_line(&self, value: &str) -> String {
        match self.opts.auth {
            Auth::Header => format!("'X-Keap-API-Key: ' . {value}"),
            Auth::Bearer => format!("'Authorization: Bearer ' . {value}"),
        }
    }

    /// The header as a person would write it: `X-Keap-API-Key: $key`.
    fn header_text(&self, value: &str) -> String {
        match self.opts.auth {
            Auth::Header => format!("X-Keap-API-Key: {value}"),
            Auth::Bearer => format!("Authorization: Bearer {value}"),
        }
    }

    /// `?access_token=TOKEN` leaves the URL and travels as `Authorization: Bearer TOKEN`.
    fn token(&mut self, i: usize) {
        let span = self.findings[i].span.clone();
        let Some(node) = self.node_at(&span) else {
            return self.manual(i, "could not locate the URL");
        };
        let url_node = self.outermost_expression(node);
        let token = template(self.text, url_node).and_then(|t| {
            let at = t.text.find("access_token=")? + "access_token=".len();
            t.hole_at(at)
        });
        let Some(token) = token else {
            return self.manual(
                i,
                "move the access token into an Authorization: Bearer header",
            );
        };
        let token = self.src(token).to_string();
        if template(self.text, url_node).is_some_and(|t| t.text.contains("mortgageprocrm")) {
            return self.manual(i, "Mortgage Pro is a separate service: its URL is never rewritten to an infusionsoft.com host; send this token as an Authorization: Bearer header if Mortgage Pro accepts one");
        }
        let quote = self.quote_of(url_node);
        self.out.edits.push(Edit::new(
            url_node.byte_range(),
            format!("{quote}{}{quote}", self.opts.endpoint),
            i,
        ));
        let consumers = self.consumers(url_node, false);
        if consumers.is_empty() {
            return self.manual(
                i,
                "not migrated: this URL is not given to a client in this file (it is returned, stored or passed on): send the token as an Authorization: Bearer header where the client is made, then drop it from the URL",
            );
        }
        for consumer in consumers {
            let scope = self.scope_of(&token, url_node);
            let readable = !token.starts_with('$') && !is_class_scoped(&token)
                || self.in_scope(scope, consumer.call);
            if !readable {
                self.manual(i, format!("not migrated: `{token}` cannot be read where the request is made: send it as an Authorization: Bearer header there, then drop it from the URL"));
                continue;
            }
            let line = format!("'Authorization: Bearer ' . {token}");
            self.add_header(&consumer, consumer.call, &line, &token, i);
        }
    }

    fn secret(&mut self, i: usize) {
        let span = self.findings[i].span.clone();
        if self
            .consumed
            .iter()
            .any(|c| c.start <= span.start && span.end <= c.end)
        {
            return;
        }
        let Some(string) = self.string_around(&span) else {
            return self.manual(i, "move this key out of the source");
        };
        if in_constant_context(string) {
            if self.move_declared_key(string, &span, i) {
                return;
            }
            return self.manual(i, "constants and default values cannot call getenv(): read the key at run time and rotate it");
        }
        if !matches!(string.kind(), "string" | "encapsed_string") {
            return self.manual(
                i,
                "the key sits in a heredoc or nowdoc: move it out of the source",
            );
        }
        let Some(content) = literal_content(string) else {
            return self.manual(
                i,
                "the key sits in an interpolated string: move it out of the source",
            );
        };
        let env = self.env_of(&span);
        let quote = &self.text[string.start_byte()..string.start_byte() + 1];
        let mut parts = Vec::new();
        if span.start > content.start {
            parts.push(format!(
                "{quote}{}{quote}",
                &self.text[content.start..span.start]
            ));
        }
        parts.push(getenv(&env));
        if span.end < content.end {
            parts.push(format!(
                "{quote}{}{quote}",
                &self.text[span.end..content.end]
            ));
        }
        self.out
            .edits
            .push(Edit::new(string.byte_range(), parts.join(" . "), i));
    }

    /// A key that is a whole constant or property default, where PHP cannot call `getenv()`:
    /// a top-level `const K = '…';` becomes `define('K', getenv(…));`, a property default moves
    /// into the constructor (made where the class has none and no parent to call).
    fn move_declared_key(&mut self, string: Node<'t>, span: &Range<usize>, i: usize) -> bool {
        let whole = literal_content(string).is_some_and(|c| c == *span);
        let Some(element) = string
            .parent()
            .filter(|e| whole && matches!(e.kind(), "property_element" | "const_element"))
        else {
            return false;
        };
        let Some(declaration) = element.parent() else {
            return false;
        };
        let mut cursor = declaration.walk();
        let single = declaration
            .named_children(&mut cursor)
            .filter(|c| c.kind() == element.kind())
            .count()
            == 1;
        let Some(name) = declared_name(self.text, element).filter(|_| single) else {
            return false;
        };
        // In a namespace, `const K` is `NS\K` and `define('K')` would be another constant.
        let namespaced = self.text.contains("\nnamespace ") || self.text.starts_with("namespace ");
        let env = self.env_of(span);
        match element.kind() {
            "const_element" if !name.contains("::") && !namespaced => {
                let define = format!("define('{name}', {});", getenv(&env));
                self.out
                    .edits
                    .push(Edit::new(declaration.byte_range(), define, i));
                true
            }
            "property_element" if name.starts_with("$this->") => {
                let Some(class) = self.up.enclosing(element, CLASSES) else {
                    return false;
                };
                let Some(name_node) = element.child_by_field_name("name") else {
                    return false;
                };
                let assign = format!("{name} = {};", getenv(&env));
                let constructor = self.index.functions.iter().find(|(n, f)| {
                    n == "__construct"
                        && self.up.enclosing(*f, CLASSES).map(|c| c.id()) == Some(class.id())
                });
                let body = constructor.and_then(|(_, f)| f.child_by_field_name("body"));
                let insertion = match body {
                    Some(body) => {
                        let Some(first) = body.named_child(0) else {
                            return false;
                        };
                        let (indent, eol) = self.line_style(first);
                        Edit::insert(
                            self.text[..first.start_byte()]
                                .rfind('\n')
                                .map_or(0, |p| p + 1),
                            format!("{indent}{assign}{eol}"),
                            i,
                        )
                    }
                    // A parent's constructor would no longer run: leave that class to a person.
                    None if constructor.is_none() && !has_child(class, "base_clause") => {
                        let (indent, eol) = self.line_style(declaration);
                        let text = format!("{eol}{eol}{indent}public function __construct(){eol}{indent}{{{eol}{indent}{indent}{assign}{eol}{indent}}}");
                        Edit::insert(declaration.end_byte(), text, i)
                    }
                    None => return false,
                };
                self.out
                    .edits
                    .push(Edit::new(name_node.end_byte()..string.end_byte(), "", i));
                self.out.edits.push(insertion);
                true
            }
            _ => false,
        }
    }

    /// The smallest string literal whose content holds `span`.
    fn string_around(&self, span: &Range<usize>) -> Option<Node<'t>> {
        let mut node = self.node_at(span)?;
        loop {
            if matches!(
                node.kind(),
                "string" | "encapsed_string" | "heredoc" | "nowdoc"
            ) {
                return Some(node);
            }
            node = self.up.parent(node)?;
        }
    }

    /// The method or class a URL is an argument of (`$this->client->setUri`, `new Foo`), or, where
    /// it is kept in a name first (`$this->host_url = …`), the first call handed that name: where
    /// a client this recipe does not know takes it.
    fn handed_to(&self, url: Node<'t>) -> Option<String> {
        let parent = self.up.parent(url)?;
        let call = match parent.kind() {
            "argument" => self
                .up
                .parent(parent)
                .and_then(|args| self.up.parent(args))?,
            "assignment_expression" => {
                let name = self.src(parent.child_by_field_name("left")?);
                *self.index.calls.iter().find(|c| {
                    c.start_byte() > parent.end_byte()
                        && arguments(**c).first().is_some_and(|a| self.src(*a) == name)
                })?
            }
            _ => return None,
        };
        match call.kind() {
            "member_call_expression" | "nullsafe_member_call_expression" => {
                let object = self.src(call.child_by_field_name("object")?);
                let name = self.src(call.child_by_field_name("name")?);
                Some(format!("{object}->{name}"))
            }
            "object_creation_expression" => {
                let mut cursor = call.walk();
                let class = call
                    .named_children(&mut cursor)
                    .find(|c| matches!(c.kind(), "name" | "qualified_name"))?;
                Some(format!("new {}", self.src(class)))
            }
            _ => None,
        }
    }

    /// Climbs from a URL fragment to the whole expression that builds it.
    fn outermost_expression(&self, node: Node<'t>) -> Node<'t> {
        let mut node = node;
        while let Some(p) = self.up.parent(node) {
            let builds = is_concat(p)
                || matches!(
                    p.kind(),
                    "encapsed_string"
                        | "heredoc"
                        | "heredoc_body"
                        | "string"
                        | "parenthesized_expression"
                )
                || (p.kind() == "function_call_expression"
                    && matches!(callee(self.text, p).as_str(), "sprintf" | "vsprintf"));
            if builds {
                node = p;
                continue;
            }
            // WordPress code passes URLs through its escaping functions on the way to a request.
            let escaped = self
                .up
                .parent(p)
                .and_then(|args| self.up.parent(args))
                .filter(|call| {
                    p.kind() == "argument"
                        && p.prev_named_sibling().is_none()
                        && call.kind() == "function_call_expression"
                        && matches!(callee(self.text, *call).as_str(), "esc_url_raw" | "esc_url")
                });
            match escaped {
                Some(call) => node = call,
                None => break,
            }
        }
        node
    }

    fn quote_of(&self, node: Node) -> char {
        let src = self.src(node);
        src.chars()
            .find(|c| *c == '\'' || *c == '"')
            .filter(|_| !src.starts_with("<<<"))
            .unwrap_or('\'')
    }

    /// What the variable, property or constant `node` reads was assigned, in its own scope: the
    /// last assignment before it, else the first one (a property set in another method).
    fn value_at(&self, node: Node<'t>) -> Option<Node<'t>> {
        let name = self.src(node);
        let scope = self.scope_of(name, node);
        let assigned: Vec<&(String, Node<'t>, Node<'t>)> = self
            .index
            .assigned(name)
            .filter(|a| self.in_scope(scope, a.2))
            .collect();
        assigned
            .iter()
            .rev()
            .find(|a| a.2.start_byte() < node.start_byte())
            .or(assigned.first())
            .map(|a| a.1)
    }

    /// The stretch of code where `name` holds the value it has at `at`: from its last assignment
    /// before `at` (in its scope) to its next one.
    fn live_range(&self, name: &str, scope: Scope<'t>, at: usize) -> Range<usize> {
        let assigned = self
            .index
            .assigned(name)
            .filter(|a| self.in_scope(scope, a.2));
        let mut range = 0..usize::MAX;
        for a in assigned {
            if a.2.start_byte() <= at {
                range.start = range.start.max(a.2.end_byte());
            } else {
                range.end = range.end.min(a.2.start_byte());
            }
        }
        range
    }

    /// The key expression as it can be written at the client `at`, and the statement to put the
    /// header after: the client's own, or a later assignment of the key in the same function.
    /// Out of scope, a hardcoded key is read from the environment instead.
    fn key_in_scope(&self, key: &KeySource<'t>, at: Node<'t>) -> Option<(String, Node<'t>)> {
        let Some(site) = key.site else {
            return Some((key.code.clone(), at));
        };
        let code = key.code.as_str();
        let fallback = || key.env.as_deref().map(|env| (getenv(env), at));
        if !code.starts_with('$') && !is_class_scoped(code) {
            // A constant or a call such as get_option('key'): the same everywhere.
            return Some((code.to_string(), at));
        }
        if !self.in_scope(self.scope_of(code, site), at)
            || (code.starts_with("$this") && in_static_method(at))
        {
            return fallback();
        }
        if !code.starts_with('$') {
            return Some((code.to_string(), at));
        }
        if code.starts_with("$this->") && self.set_in_other_methods(code, at) {
            return fallback();
        }
        // A `global $key` set in another function may be set after the client is made (an
        // `init()` called later): only the sends surely see it.
        if let Scope::Globals(name) = self.scope_of(code, site) {
            let home = self.up.enclosing(at, FUNCTIONS).map(|f| f.id());
            let elsewhere = self
                .index
                .assigned(name)
                .any(|a| self.up.enclosing(a.2, FUNCTIONS).map(|f| f.id()) != home);
            if elsewhere {
                return fallback();
            }
        }
        // The header reads the key where the client is made, the body read it at each call: an
        // assignment after the client (in its function) would make them differ. One in the
        // client's own block moves the header after it; one elsewhere (another branch) needs a
        // person.
        let root = root_name(code);
        let home = self.up.enclosing(at, FUNCTIONS).map(|e| e.id());
        let client = statement(at);
        let later: Vec<Node<'t>> = self
            .index
            .assigned(&root)
            .filter(|a| a.2.start_byte() > at.start_byte())
            .filter(|a| self.up.enclosing(a.2, FUNCTIONS).map(|e| e.id()) == home)
            .map(|a| a.2)
            .collect();
        let Some(last) = later.last() else {
            return Some((code.to_string(), at));
        };
        let same_block = later
            .iter()
            .all(|a| a.parent().map(|p| p.id()) == client.parent().map(|p| p.id()));
        // The key is read after the last assignment, or is that assignment (a file whose
        // calls are elsewhere gives its own `$key = …`).
        let site_after = self.up.enclosing(site, FUNCTIONS).map(|e| e.id()) != home
            || last.end_byte() <= site.start_byte()
            || last.byte_range().contains(&site.start_byte());
        if same_block && site_after {
            Some((code.to_string(), *last))
        } else {
            fallback()
        }
    }

    /// Whether the property `code` reads is set in a method other than the one making the client
    /// at `at` and the constructor: a setter or a connect method may run after the client is
    /// made, whatever order the file shows them in. Only the constructor surely runs first.
    fn set_in_other_methods(&self, code: &str, at: Node<'t>) -> bool {
        let root = root_name(code);
        let class = Scope::Class(self.up.enclosing(at, CLASSES));
        let home = self.up.enclosing(at, FUNCTIONS).map(|f| f.id());
        self.index
            .assigned(&root)
            .filter(|a| self.in_scope(class, a.2))
            .filter(|a| a.2.kind() != "property_declaration")
            .any(|a| {
                let method = self.up.enclosing(a.2, FUNCTIONS);
                let constructor = method
                    .and_then(|m| m.child_by_field_name("name"))
                    .is_some_and(|n| self.src(n).eq_ignore_ascii_case("__construct"));
                method.map(|m| m.id()) != home && !constructor
            })
    }

    /// The indentation of `node`'s first line and the line ending of its last.
    pub(super) fn line_style(&self, node: Node) -> (String, &'static str) {
        let line_start = self.text[..node.start_byte()]
            .rfind('\n')
            .map_or(0, |p| p + 1);
        let indent = self.text[line_start..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let rest = self.text[node.end_byte()..]
            .split('\n')
            .next()
            .unwrap_or("");
        (indent, if rest.ends_with('\r') { "\r\n" } else { "\n" })
    }

    /// Inserts a statement on its own line after the statement holding `node`, with that
    /// statement's indentation and line ending.
    fn insert_after(&mut self, node: Node<'t>, statement_text: &str, i: usize) -> bool {
        let stmt = statement(node);
        if stmt.kind() == "return_statement" {
            return self.split_return(stmt, statement_text, i);
        }
        if !in_block(stmt) {
            return self.wrap_braceless(stmt, statement_text, stmt.end_byte(), i);
        }
        let (indent, eol) = self.line_style(stmt);
        let rest = &self.text[stmt.end_byte()..];
        let line_rest = rest.split('\n').next().unwrap_or("").trim();
        let edit = match rest.find('\n') {
            // More code (or a closing `?>`) after the statement on its line: stay on that line.
            _ if !(line_rest.is_empty()
                || line_rest.starts_with("//")
                || line_rest.starts_with('#')) =>
            {
                Edit::insert(stmt.end_byte(), format!(" {statement_text}"), i)
            }
            Some(nl) => Edit::insert(
                stmt.end_byte() + nl + 1,
                format!("{indent}{statement_text}{eol}"),
                i,
            ),
            None => Edit::insert(self.text.len(), format!("{eol}{indent}{statement_text}"), i),
        };
        self.out.edits.push(edit);
        true
    }

    /// Inserts a statement before the statement holding `node`: on a line of its own where that
    /// statement starts its line.
    pub(super) fn insert_before(&mut self, node: Node<'t>, statement_text: &str, i: usize) -> bool {
        let stmt = statement(node);
        if !in_block(stmt) {
            return self.wrap_braceless(stmt, statement_text, stmt.start_byte(), i);
        }
        let line_start = self.text[..stmt.start_byte()]
            .rfind('\n')
            .map_or(0, |p| p + 1);
        let edit = if self.text[line_start..stmt.start_byte()].trim().is_empty() {
            let (indent, eol) = self.line_style(stmt);
            Edit::insert(line_start, format!("{indent}{statement_text}{eol}"), i)
        } else {
            Edit::insert(stmt.start_byte(), format!("{statement_text} "), i)
        };
        self.out.edits.push(edit);
        true
    }

    /// A braceless `if (...) $c = new ...;` gets braces, so the new statement runs only when
    /// that one does; `at` is the statement's start (before it) or end (after it).
    fn wrap_braceless(
        &mut self,
        stmt: Node<'t>,
        statement_text: &str,
        at: usize,
        i: usize,
    ) -> bool {
        let controlled = stmt.parent().is_some_and(|p| {
            matches!(
                p.kind(),
                "if_statement"
                    | "else_clause"
                    | "else_if_clause"
                    | "while_statement"
                    | "for_statement"
                    | "foreach_statement"
                    | "do_statement"
            )
        });
        if !controlled {
            self.manual(
                i,
                format!("not migrated: add `{statement_text}` next to this statement"),
            );
            return false;
        }
        let (open, close) = if at == stmt.start_byte() {
            (format!("{{ {statement_text} "), " }".to_string())
        } else {
            ("{ ".to_string(), format!(" {statement_text} }}"))
        };
        self.out
            .edits
            .push(Edit::insert(stmt.start_byte(), open, i));
        self.out.edits.push(Edit::insert(stmt.end_byte(), close, i));
        true
    }

    /// `return $this->client = new Client(…);` becomes the assignment, the header, then
    /// `return $this->client;`: after a `return` the header would never run.
    fn split_return(&mut self, stmt: Node<'t>, statement_text: &str, i: usize) -> bool {
        let assignment = stmt
            .named_child(0)
            .filter(|e| e.kind() == "assignment_expression");
        let Some(target) = assignment.and_then(|a| a.child_by_field_name("left")) else {
            self.manual(i, format!("not migrated: the client is made in a return statement: keep it in a variable and add `{statement_text}` before returning it"));
            return false;
        };
        let expression = assignment.expect("a target has an assignment");
        let (indent, eol) = self.line_style(stmt);
        let target = self.src(target);
        // In a braceless `if (…) return $c = new …;` all three statements take the braces.
        let (open, close, eol, indent) = match in_block(stmt) {
            true => ("", "", eol, indent),
            false => ("{ ", " }", "", " ".to_string()),
        };
        self.out.edits.push(Edit::new(
            stmt.start_byte()..expression.start_byte(),
            open,
            i,
        ));
        self.out.edits.push(Edit::insert(
            stmt.end_byte(),
            format!("{eol}{indent}{statement_text}{eol}{indent}return {target};{close}"),
            i,
        ));
        true
    }

    /// The key expression as it can be written at `at`, where a call is sent: the body read it
    /// there, so it is in scope unless it is a local of another function, one where no call
    /// before `at` sends the same name.
    pub(super) fn readable_at(&self, key: &KeySource<'t>, at: Node<'t>) -> Option<String> {
        let Some(site) = key.site else {
            return Some(key.code.clone());
        };
        let code = key.code.as_str();
        let everywhere = !code.starts_with('$') && !is_class_scoped(code);
        let read_here = |site: Node<'t>| self.in_scope(self.scope_of(code, site), at);
        // The key sites are in file order: those of `at`'s function before it sit just before it.
        let sent_before = || {
            let Some(function) = self.up.enclosing(at, FUNCTIONS) else {
                return false;
            };
            let before = self
                .keys
                .partition_point(|(i, _)| self.findings[*i].span.start < at.start_byte());
            self.keys[..before]
                .iter()
                .rev()
                .filter_map(|(_, k)| k.site.map(|s| (k, s)))
                .take_while(|(_, s)| s.start_byte() >= function.start_byte())
                .any(|(k, s)| k.code == code && read_here(s))
        };
        let readable = everywhere
            || ((read_here(site) || sent_before())
                && !(code.starts_with("$this") && in_static_method(at)));
        match readable {
            true => Some(code.to_string()),
            false => key.env.as_deref().map(getenv),
        }
    }
}

const CLASSES: &[&str] = &[
    "class_declaration",
    "trait_declaration",
    "enum_declaration",
    "anonymous_class",
];

/// Where a name means the same thing.
#[derive(Clone, Copy)]
enum Scope<'t> {
    /// A constant.
    Global,
    /// `$this->x`, `self::X`: its class.
    Class(Option<Node<'t>>),
    /// `$x`: its function, or the top level.
    Function(Option<Node<'t>>),
    /// A top-level `$x` and every function that declares `global $x`.
    Globals(&'t str),
}

fn is_class_scoped(name: &str) -> bool {
    ["$this->", "self::", "static::"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The variable or property an expression reads: `$cfg['key']` → `$cfg`, `$this->key->x` →
/// `$this->key`.
fn root_name(code: &str) -> String {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    match code.strip_prefix("$this->") {
        Some(rest) => format!("$this->{}", ident(rest)),
        None => format!("${}", ident(code.trim_start_matches('$'))),
    }
}

const FUNCTIONS: &[&str] = &[
    "function_definition",
    "method_declaration",
    "anonymous_function",
    "arrow_function",
];

/// Deeper than any hand-written PHP: the recipe climbs from nodes to their parents, and each
/// climb costs the depth again.
const MAX_DEPTH: usize = 400;

/// The depth of the deepest node, walked with a cursor (no recursion).
fn nesting(tree: &tree_sitter::Tree) -> usize {
    let mut cursor = tree.walk();
    let (mut depth, mut max) = (0, 0);
    loop {
        if cursor.goto_first_child() {
            depth += 1;
            max = max.max(depth);
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return max;
            }
            depth -= 1;
        }
    }
}

pub(super) fn getenv(name: &str) -> String {
    format!("getenv('{name}')")
}

/// The statement that holds `node`.
pub(super) fn statement(node: Node) -> Node {
    let mut n = node;
    while let Some(p) = n.parent() {
        if n.kind().ends_with("_statement")
            || matches!(p.kind(), "compound_statement" | "program" | "colon_block")
        {
            return n;
        }
        n = p;
    }
    n
}

/// The name of a function's `k`-th parameter (`$url`).
fn parameter(text: &str, function: Node, k: usize) -> Option<String> {
    let params = function.child_by_field_name("parameters")?;
    let mut cursor = params.walk();
    let param = params
        .named_children(&mut cursor)
        .filter(|p| p.kind().ends_with("_parameter"))
        .nth(k)?;
    param
        .child_by_field_name("name")
        .map(|n| text[n.byte_range()].to_string())
}

fn enclosing<'n>(node: Node<'n>, kinds: &[&str]) -> Option<Node<'n>> {
    let mut n = node.parent();
    while let Some(p) = n {
        if kinds.contains(&p.kind()) {
            return Some(p);
        }
        n = p.parent();
    }
    None
}

/// Parents without tree-sitter's `Node::parent`, which walks down from the root and so reads
/// the root's children at every call: in a generated file of 100,000 top-level calls the plan
/// asked it for every call and was quadratic. The top-level node is found by binary search, and
/// the walk down starts there.
struct Up<'t> {
    root: Node<'t>,
    tops: Vec<Node<'t>>,
}

impl<'t> Up<'t> {
    fn new(root: Node<'t>) -> Self {
        let mut cursor = root.walk();
        let tops = root.children(&mut cursor).collect();
        Up { root, tops }
    }

    /// The top-level node that holds `start..end`, if one does.
    fn top(&self, start: usize, end: usize) -> Option<Node<'t>> {
        let after = self.tops.partition_point(|t| t.start_byte() <= start);
        after
            .checked_sub(1)
            .map(|i| self.tops[i])
            .filter(|t| t.end_byte() >= end)
    }

    fn parent(&self, node: Node<'t>) -> Option<Node<'t>> {
        if node.id() == self.root.id() {
            return None;
        }
        let Some(mut at) = self.top(node.start_byte(), node.end_byte()) else {
            return node.parent();
        };
        if at.id() == node.id() {
            return Some(self.root);
        }
        // Zero-width nodes at a boundary can miss here: tree-sitter's own walk answers them.
        while let Some(child) = at.child_with_descendant(node) {
            if child.id() == node.id() {
                return Some(at);
            }
            at = child;
        }
        node.parent()
    }

    /// The nearest ancestor of one of `kinds`: one walk down from the top-level node, not a
    /// walk down for each ancestor.
    fn enclosing(&self, node: Node<'t>, kinds: &[&str]) -> Option<Node<'t>> {
        if let Some(top) = self.top(node.start_byte(), node.end_byte()) {
            let of_kind = |n: Node<'t>| kinds.contains(&n.kind()).then_some(n);
            let mut found = of_kind(self.root);
            if top.id() == node.id() {
                return found;
            }
            found = of_kind(top).or(found);
            let mut at = top;
            while let Some(child) = at.child_with_descendant(node) {
                if child.id() == node.id() {
                    return found;
                }
                found = of_kind(child).or(found);
                at = child;
            }
        }
        let mut n = self.parent(node);
        while let Some(p) = n {
            if kinds.contains(&p.kind()) {
                return Some(p);
            }
            n = self.parent(p);
        }
        None
    }

    /// The smallest node that spans `span`, as `descendant_for_byte_range` from the root.
    fn node_at(&self, span: &Range<usize>) -> Option<Node<'t>> {
        match self.top(span.start, span.end) {
            Some(top) => top.descendant_for_byte_range(span.start, span.end),
            None => self.root.descendant_for_byte_range(span.start, span.end),
        }
    }
}

/// An expression that only reads the key: a variable, property, constant, array entry, literal,
/// or a call with literal arguments (`getenv('KEY')`, `get_option('key')`). Anything else
/// (`array_merge(array($key), $args)`) carries other data a placeholder would wipe out.
fn is_plain_key(text: &str, node: Node) -> bool {
    match node.kind() {
        "variable_name"
        | "dynamic_variable_name"
        | "member_access_expression"
        | "scoped_property_access_expression"
        | "class_constant_access_expression"
        | "name"
        | "qualified_name"
        | "subscript_expression"
        | "string"
        | "encapsed_string" => true,
        "function_call_expression" | "member_call_expression" | "scoped_call_expression" => {
            arguments(node)
                .iter()
                .all(|a| literal_content(*a).is_some() || a.kind() == "integer")
                && !callee(text, node).is_empty()
        }
        _ => false,
    }
}

/// How code reads what a property or constant declaration names: `$this->url`, `self::URL`, or a
/// top-level `URL`.
pub(super) fn declared_name(text: &str, element: Node) -> Option<String> {
    let in_class = enclosing(element, CLASSES).is_some();
    match element.kind() {
        "property_element" => {
            let name = &text[element.child_by_field_name("name")?.byte_range()];
            let is_static = element
                .parent()
                .is_some_and(|d| has_child(d, "static_modifier"));
            let bare = name.trim_start_matches('$');
            Some(match is_static {
                true => format!("self::${bare}"),
                false => format!("$this->{bare}"),
            })
        }
        "const_element" => {
            let name = &text[element.named_child(0)?.byte_range()];
            Some(match in_class {
                true => format!("self::{name}"),
                false => name.to_string(),
            })
        }
        _ => None,
    }
}

fn has_child(node: Node, kind: &str) -> bool {
    let mut cursor = node.walk();
    let found = node.children(&mut cursor).any(|c| c.kind() == kind);
    found
}

/// Whether an argument list has arguments after byte `end`.
fn arguments_after(text: &str, args: Node, end: usize) -> bool {
    text[end..args.end_byte()].trim_start().starts_with(',')
}

/// Whether a statement sits in a block, where another can be put beside it.
fn in_block(stmt: Node) -> bool {
    stmt.parent().is_none_or(|p| {
        matches!(
            p.kind(),
            "compound_statement"
                | "program"
                | "colon_block"
                | "case_statement"
                | "default_statement"
        )
    })
}

/// A static method has no `$this`.
fn in_static_method(node: Node) -> bool {
    enclosing(node, &["method_declaration"]).is_some_and(|m| {
        let mut cursor = m.walk();
        let is_static = m
            .children(&mut cursor)
            .any(|c| c.kind() == "static_modifier");
        is_static
    })
}

/// Constant expressions cannot call functions: a key there needs a person.
fn in_constant_context(node: Node) -> bool {
    enclosing(
        node,
        &[
            "const_declaration",
            "property_declaration",
            "simple_parameter",
            "property_promotion_parameter",
            "static_variable_declaration",
            "enum_case",
            "attribute",
        ],
    )
    .is_some()
}
