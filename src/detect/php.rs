//! PHP through tree-sitter: endpoints however they are built (literal, concatenation,
//! interpolation, heredoc, sprintf, host/path split), the key in each client's parameters,
//! wrappers that prepend the key to every call, and 32-hex literals in files that talk to Keap.
use std::{cell::RefCell, collections::HashMap, fs, ops::Range, path::Path, sync::LazyLock};

use regex::Regex;
use tree_sitter::{Node, Parser, Tree};

use super::{
    chunks::{self, Chunk},
    classify_first_param, is_bound_key_literal, is_secret_literal, key_like, method_detail,
    method_takes_key, user_name_first, FirstParam, Hit, WRAPPER_DETAIL,
};
use crate::rules::{
    build_pattern, HARDCODED_KEY, KEY_IN_BODY, LEGACY_ENDPOINT, LEGACY_LIBRARY, MISSING_AUTH,
    MORTGAGEPRO_ENDPOINT, VENDOR_LOGIN,
};

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_php::LANGUAGE_PHP.into())
            .expect("tree-sitter-php matches the tree-sitter version");
        parser
    });
}

/// Parses PHP (mixed HTML and PHP files included). Error recovery always yields a tree.
pub fn parse(text: &str) -> Option<Tree> {
    PARSER.with(|p| p.borrow_mut().parse(text, None))
}

/// Parses only `tag` and `chunk` of `text`, nodes at their offsets in `text`.
fn parse_chunk(text: &str, tag: &Chunk, chunk: &Chunk) -> Option<Tree> {
    parse_chunks(text, tag, &[chunk])
}

/// Parses only `tag` and `chunks` (in the file's order) of `text`, as one program whose nodes
/// keep their offsets in `text`.
pub fn parse_chunks(text: &str, tag: &Chunk, chunks: &[&Chunk]) -> Option<Tree> {
    let range = |c: &Chunk| tree_sitter::Range {
        start_byte: c.bytes.start,
        end_byte: c.bytes.end,
        start_point: c.start,
        end_point: c.end,
    };
    let mut ranges: Vec<tree_sitter::Range> = Vec::with_capacity(chunks.len() + 1);
    if chunks.first()?.bytes.start > tag.bytes.start {
        ranges.push(range(tag));
    }
    for c in chunks {
        // Neighbouring chunks are one range: the parser then sees no seam between them.
        match ranges.last_mut() {
            Some(last) if last.end_byte == c.bytes.start => {
                last.end_byte = c.bytes.end;
                last.end_point = c.end;
            }
            _ => ranges.push(range(c)),
        }
    }
    PARSER.with(|p| {
        let mut p = p.borrow_mut();
        p.set_included_ranges(&ranges).ok()?;
        let tree = p.parse(text, None);
        p.set_included_ranges(&[]).ok()?;
        tree
    })
}

/// Whether a large `text` parses without a syntax error, a chunk at a time, on two threads (a
/// rewrite's check keeps no tree); `false` for a small file, or one that cannot be cut or has
/// an error.
pub fn chunks_parse_cleanly(text: &str) -> bool {
    if text.len() < chunks::WHOLE_BELOW {
        return false;
    }
    let Some((tag, chunks)) = chunks::split(text) else {
        return false;
    };
    let clean = |c| parse_chunk(text, &tag, c).is_some_and(|t| !t.root_node().has_error());
    std::thread::scope(|s| {
        let odd = s.spawn(|| chunks.iter().skip(1).step_by(2).all(clean));
        let even = chunks.iter().step_by(2).all(clean);
        even && odd.join().unwrap_or(false)
    })
}

/// Walks a large file's trees a chunk at a time (see `chunks`), the next chunk parsed on a
/// thread of its own while this one is walked (parsing and walking cost about the same);
/// `false` where a chunk did not parse cleanly, since the cut may be what broke it.
fn walk_chunks(d: &mut Detector, text: &str) -> bool {
    let Some((tag, chunks)) = chunks::split(text) else {
        return false;
    };
    std::thread::scope(|s| {
        // Two trees ahead at most: memory stays a few chunks' trees whatever the file's size.
        // A walked tree goes back to be freed where it was allocated.
        let (trees, parsed) = std::sync::mpsc::sync_channel::<Option<Tree>>(1);
        let (done, walked) = std::sync::mpsc::channel::<Tree>();
        s.spawn(move || {
            for chunk in &chunks {
                let tree = parse_chunk(text, &tag, chunk).filter(|t| !t.root_node().has_error());
                let clean = tree.is_some();
                if trees.send(tree).is_err() || !clean {
                    return;
                }
                walked.try_iter().for_each(drop);
            }
        });
        for tree in parsed {
            let Some(tree) = tree else {
                return false;
            };
            d.walk(tree.root_node());
            let _ = done.send(tree);
        }
        true
    })
}

pub(super) static LEGACY_URL: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(
        r"(?i)(?:https?://)?[^\s/'\x22]*\.infusionsoft\.com(?::443)?/api/xmlrpc(?:/v1)?/?",
    )
    .unwrap()
});
pub(super) static MORTGAGE_URL: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(r"(?i)(?:https?://)?[^\s/'\x22]*\.mortgageprocrm\.com(?::443)?/api/xmlrpc/?")
        .unwrap()
});
static LEGACY_HOST: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(r"(?i)^(?:https?://)?[^\s/]*\.(infusionsoft|mortgageprocrm)\.com(?::443)?$")
        .unwrap()
});
pub(crate) static SERVICE_METHOD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z]\w*Service\.\w+$").unwrap());
static FORMAT_SPEC: LazyLock<Regex> = LazyLock::new(|| build_pattern(r"%(?:\d+\$)?[sdu]").unwrap());
pub(super) static XML_CALL: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(r"<methodName>\s*(?P<method>[A-Z]\w*Service\.\w+|\{\})\s*</methodName>\s*<params>\s*<param>\s*<value>\s*(?:<string>\s*)?(?P<arg>[^<\s][^<]*?)\s*<").unwrap()
});
/// What makes or sends an XML-RPC request in PHP: phpxmlrpc, ext-xmlrpc, IXR, Zend / Laminas,
/// fXmlRpc, PEAR, a hand-written `<methodCall>`, a client kept as `$xmlrpc` or `->xmlrpc`, a
/// bundled `xmlrpc.inc`, Keap's legacy path. A namespace is followed by a class name: Laravel's
/// list of URL schemes has `xmlrpc\.beep` in a regex.
static XMLRPC_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(r"(?i-u)xmlrpc_?client|xmlrpc(?:msg|val|resp)\b|xmlrpc_(?:en|de)code|IXR_Client|XmlRpc\\{1,2}(?-i:[A-Z])|Zend_XmlRpc|XML_RPC_(?:Client|Message|Value)|methodCall|/api/xmlrpc|(?:->|\$)xml_?rpc\b|xmlrpc\.inc").unwrap()
});
/// What a wrapper that prepends the key is written with (`array_unshift($args, $this->key)`,
/// `array_merge(array($apiKey), $args)`, `prependParams`, `[$this->key, ...$args]`), loosely: a
/// file without it is not worth parsing unless it names Keap.
static KEY_PREPENDED: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(r"(?i)(?:array_unshift|prependParams|array_merge)\s*\([^;]{0,200}?(?:key|secret|credential|[0-9a-f]{32})|\[[^\]\[;,]*(?:key|secret|credential)[^\]\[;,]*,\s*\.\.\.").unwrap()
});
/// A host in a literal given to a client: a URL or a bare name with a dot.
static OTHER_HOST: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(r"(?i-u)^(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:/|$)").unwrap()
});
static NEW_URL: LazyLock<Regex> = LazyLock::new(|| {
    build_pattern(r"^(?:https://)?api\.infusionsoft\.com(?::443)?/crm/xmlrpc(?:/v1)?/?$").unwrap()
});
static NEW_PATH: LazyLock<Regex> =
    LazyLock::new(|| build_pattern(r"^/crm/xmlrpc(?:/v1)?/?$").unwrap());
static HEX32: LazyLock<Regex> = LazyLock::new(|| build_pattern(r"^[0-9a-fA-F]{32}$").unwrap());

/// The value of a `'base_uri' => …` entry: an HTTP client's host (Guzzle's `new Client([…])`),
/// its paths posted apart.
pub fn is_base_uri(text: &str, value: Node) -> bool {
    value
        .parent()
        .filter(|p| p.kind() == "array_element_initializer")
        .and_then(|e| e.named_child(0))
        .filter(|k| k.id() != value.id())
        .and_then(|k| plain_literal(text, k))
        .is_some_and(|k| matches!(k, "base_uri" | "base_url" | "baseUrl" | "base_path"))
}

/// Where an interpolated or computed value sits in a template.
pub const HOLE: &str = "{}";

/// Finds what the PHP rules look for, and lists the comments (the regex rules read those);
/// `false` if the file could not be parsed (the regex fallback then takes it). `dir` is the
/// file's folder, where the libraries it includes are read.
pub fn detect(
    facts: &super::text::Facts,
    dir: &Path,
    hits: &mut Vec<Hit>,
    comments: &mut Vec<Range<usize>>,
    kept: &mut Option<Tree>,
) -> bool {
    let text = facts.text();
    let keap_named = facts.keap();
    let xmlrpc = facts.xmlrpc();
    // Every PHP finding needs a Keap name, host or service, or an XML-RPC client: without one,
    // the parse (the costly part of a scan) can only find nothing. The words of an XML-RPC
    // server (WordPress's `XMLRPC_REQUEST`, `IXR_Error`, its `xmlrpc_*` hooks) are not a client.
    // Nor is a client alone: a file that names nothing of Keap's can only hold a wrapper that
    // prepends a key (pingbacks in WordPress's `comment.php` are a client and no more).
    let worth_parsing =
        keap_named || (xmlrpc && XMLRPC_CLIENT.is_match(text) && KEY_PREPENDED.is_match(text));
    if !worth_parsing {
        return true;
    }
    let (found, noted) = (hits.len(), comments.len());
    if text.len() >= chunks::WHOLE_BELOW {
        let mut d = Detector::new(facts, dir, hits, comments);
        if walk_chunks(&mut d, text) {
            d.finish();
            return true;
        }
        drop(d);
        hits.truncate(found);
        comments.truncate(noted);
    }
    let Some(tree) = parse(text) else {
        return false;
    };
    let mut d = Detector::new(facts, dir, hits, comments);
    d.walk(tree.root_node());
    d.finish();
    *kept = Some(tree);
    true
}

/// A key-in-body call site, decided once the whole file is known (a wrapper elsewhere in the
/// file may be what puts the key first).
struct CallSite {
    span: Range<usize>,
    detail: String,
    key_like: bool,
    /// The literal the key variable was set to in the call's function, if any.
    bound: Option<Range<usize>>,
}

struct Detector<'t, 'h> {
    text: &'t str,
    dir: &'h Path,
    hits: &'h mut Vec<Hit>,
    comments: &'h mut Vec<Range<usize>>,
    /// The file names Keap, Infusionsoft or one of Keap's services somewhere.
    keap_named: bool,
    /// The file mentions XML-RPC.
    xmlrpc: bool,
    /// The file builds `<methodCall>` bodies by hand.
    xml_bodies: bool,
    /// The file calls a Keap service or names a legacy endpoint.
    strong_context: bool,
    /// The file has a wrapper that prepends the key to every call.
    wrapper: bool,
    /// The file makes an XML-RPC client for another service's host.
    foreign_client: bool,
    call_sites: Vec<CallSite>,
    /// Whole string literals that look like a legacy key (content ranges).
    hex_literals: Vec<Range<usize>>,
    /// What variables and properties were last assigned, in file order: a built string's text,
    /// or the service a Zend proxy stands for.
    assigned: HashMap<&'t str, Assigned>,
    /// Variables last set to a credential-shaped literal: its content and the function (by its
    /// start; `None` at the top level) where it was set.
    bound_literals: HashMap<&'t str, (Range<usize>, Option<usize>)>,
    /// The XML-RPC libraries the file includes: where, and the path it names.
    includes: Vec<(Range<usize>, String)>,
    /// The file writes an `X-Keap-API-Key` or `Authorization` header somewhere.
    key_header: bool,
    /// phpxmlrpc clients made for the new endpoint: the name they are kept in, the URL's span.
    new_clients: Vec<(&'t str, Range<usize>)>,
    /// Names a key header is written to as a `->headers` property, which phpxmlrpc never sends.
    header_properties: Vec<&'t str>,
    /// Names whose curl options or client options are set: where phpxmlrpc takes a header.
    options_set: Vec<&'t str>,
}

enum Assigned {
    Text(String),
    Proxy(String),
}

impl<'t, 'h> Detector<'t, 'h> {
    fn new(
        facts: &super::text::Facts<'t>,
        dir: &'h Path,
        hits: &'h mut Vec<Hit>,
        comments: &'h mut Vec<Range<usize>>,
    ) -> Self {
        let text = facts.text();
        Detector {
            text,
            dir,
            hits,
            comments,
            keap_named: facts.keap(),
            xmlrpc: facts.xmlrpc(),
            xml_bodies: false,
            strong_context: false,
            wrapper: false,
            foreign_client: false,
            call_sites: Vec::new(),
            hex_literals: Vec::new(),
            assigned: HashMap::new(),
            bound_literals: HashMap::new(),
            includes: Vec::new(),
            key_header: facts.key_header(),
            new_clients: Vec::new(),
            header_properties: Vec::new(),
            options_set: Vec::new(),
        }
    }

    fn src(&self, node: Node) -> &'t str {
        &self.text[node.byte_range()]
    }

    /// Iterative, so deep expression chains cannot overflow the stack.
    fn walk(&mut self, root: Node) {
        // One cursor down the tree, in file order. Per depth: whether an enclosing expression
        // already stands for the string the nodes there build.
        let mut cursor = root.walk();
        let mut covered = vec![false];
        loop {
            let node = cursor.node();
            let pass = self.visit(node, *covered.last().expect("the root's entry"));
            if cursor.goto_first_child() {
                covered.push(pass);
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return;
                }
                covered.pop();
            }
        }
    }

    /// Looks at one node; whether its children are covered by it.
    fn visit(&mut self, node: Node, covered: bool) -> bool {
        let mut matched = false;
        match node.kind() {
            "comment" => self.comments.push(node.byte_range()),
            "string" | "encapsed_string" | "heredoc" | "nowdoc" => {
                matched = !covered && self.expression(node);
                if let Some(content) = literal_content(node) {
                    if HEX32.is_match(&self.text[content.clone()]) {
                        self.hex_literals.push(content);
                    }
                }
            }
            "binary_expression" if is_concat(node) => {
                matched = !covered && self.expression(node);
            }
            "assignment_expression" => self.assignment(node),
            "array_creation_expression" => self.spread_wrapper(node),
            "include_expression"
            | "include_once_expression"
            | "require_expression"
            | "require_once_expression" => self.include(node),
            "function_call_expression"
            | "member_call_expression"
            | "nullsafe_member_call_expression"
            | "scoped_call_expression"
            | "object_creation_expression" => {
                if node.kind() == "function_call_expression" && !covered {
                    matched = self.expression(node);
                }
                self.call(node);
            }
            _ => {}
        }
        matched || is_concat(node) || (covered && node.kind() == "parenthesized_expression")
    }

    /// Checks the string an expression builds: a legacy endpoint (reported as the whole
    /// expression, which is then `true`), or a hand-written `<methodCall>` body.
    fn expression(&mut self, node: Node) -> bool {
        let Some(t) = template(self.text, node) else {
            return false;
        };
        self.xml_body(&t);
        let rule = if LEGACY_URL.is_match(&t.text) || self.host_setter(node, &t.text) {
            self.strong_context = true;
            LEGACY_ENDPOINT
        } else if MORTGAGE_URL.is_match(&t.text) {
            MORTGAGEPRO_ENDPOINT
        } else {
            return false;
        };
        self.hits.push(Hit::new(rule, node.byte_range()));
        true
    }

    /// `$this->setApiUrl('https://' . $app . '.infusionsoft.com')` in a file that sets the path
    /// `'/api/xmlrpc'` apart (`setApiEndpoint('/api/xmlrpc')`): the endpoint, split across two
    /// setters of a client class.
    fn host_setter(&self, node: Node, text: &str) -> bool {
        if !super::app_host(text) {
            return false;
        }
        let set = node
            .parent()
            .filter(|p| p.kind() == "argument")
            .and_then(|a| a.parent())
            .and_then(|list| list.parent())
            .is_some_and(|call| {
                let name = callee_name(self.text, call).to_ascii_lowercase();
                name.starts_with("set")
                    && ["url", "host", "api", "endpoint", "base"]
                        .iter()
                        .any(|w| name.contains(w))
            });
        // Guzzle's `new Client(['base_uri' => "https://{$app}.infusionsoft.com"])`, posted to
        // `'/api/xmlrpc'`.
        let set = set || is_base_uri(self.text, node);
        set && (self.text.contains("'/api/xmlrpc'") || self.text.contains("\"/api/xmlrpc\""))
    }

    /// The first `<param>` of each service call in a hand-written XML body.
    fn xml_body(&mut self, t: &Template) {
        for caps in XML_CALL.captures_iter(&t.text) {
            self.xml_bodies = true;
            let (method, arg) = (&caps["method"], caps.name("arg").expect("arg group"));
            // A body for any method (`<methodName>$method</methodName>`) whose first parameter
            // is the key: the wrapper every call of a Keap-talking file goes through.
            if method == HOLE {
                // Migrated, it still fills the first position for every call through it.
                if arg.as_str() == crate::fix::PLACEHOLDER
                    && (self.keap_named || self.strong_context)
                {
                    self.wrapper = true;
                }
                let key = t.hole_at(arg.start()).filter(|_| arg.as_str() == HOLE);
                if let Some(key) = key.filter(|k| key_like(self.src(*k))) {
                    if self.keap_named || self.strong_context {
                        self.wrapper = true;
                        self.key_position(key, WRAPPER_DETAIL);
                    }
                }
                continue;
            }
            if !self.is_keap_service(method) {
                continue;
            }
            self.strong_context = true;
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
            if let Some(hole) = t.hole_at(arg.start()).filter(|_| arg.as_str() == HOLE) {
                self.key_position(hole, &detail);
            } else if is_secret_literal(arg.as_str()) {
                if let Some(range) = t.source_range(arg.range()) {
                    self.literal_key(range, &detail);
                }
            }
        }
    }

    fn is_keap_service(&self, method: &str) -> bool {
        // `UserService.find` in an unrelated JSON-RPC app is not Keap's.
        SERVICE_METHOD.is_match(method) && (self.keap_named || self.strong_context)
    }

    /// Remembers what a name holds, for the calls that use it later.
    fn assignment(&mut self, node: Node) {
        let (Some(left), Some(right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            return;
        };
        let value = if callee(self.text, right) == "getproxy" {
            arguments(right)
                .first()
                .and_then(|a| plain_literal(self.text, *a))
                .map(|service| Assigned::Proxy(service.to_string()))
        } else {
            template(self.text, right).map(|t| Assigned::Text(t.text))
        };
        match value {
            Some(v) => self.assigned.insert(self.src(left), v),
            None => self.assigned.remove(self.src(left)),
        };
        // `$this->client->headers['Authorization'] = 'Bearer ' . $key;`
        let property = match left.kind() {
            "subscript_expression" => left.named_child(0),
            _ => Some(left),
        }
        .filter(|p| p.kind() == "member_access_expression")
        .filter(|p| {
            p.child_by_field_name("name")
                .is_some_and(|n| self.src(n) == "headers")
        });
        if let Some(object) = property.and_then(|p| p.child_by_field_name("object")) {
            if super::text::writes_key_header(self.src(node)) {
                self.header_properties.push(self.src(object));
            }
        }
        let literal =
            literal_content(right).filter(|c| is_bound_key_literal(&self.text[c.clone()]));
        match literal {
            Some(c) => self
                .bound_literals
                .insert(self.src(left), (c, function_start(node))),
            None => self.bound_literals.remove(self.src(left)),
        };
    }

    /// `[$this->key, ...$args]`: a wrapper that prepends the key by spreading the call's arguments.
    fn spread_wrapper(&mut self, array: Node) {
        let mut cursor = array.walk();
        let elements: Vec<Node> = array.named_children(&mut cursor).collect();
        let spreads = elements.iter().skip(1).any(|el| {
            let mut c = el.walk();
            let spread = el
                .named_children(&mut c)
                .any(|n| n.kind() == "variadic_unpacking");
            spread
        });
        if spreads {
            if let Some(first) = array_values(array).first() {
                self.wrapper(*first, false);
            }
        }
    }

    fn call(&mut self, node: Node) {
        let args = arguments(node);
        let callee = callee(self.text, node);
        self.split_endpoint(
            &args,
            node.kind() == "object_creation_expression" && callee == "xmlrpc_client",
        );
        if node.kind() == "member_call_expression"
            && matches!(callee.as_str(), "setcurloptions" | "setoption")
        {
            if let Some(object) = node.child_by_field_name("object") {
                self.options_set.push(self.src(object));
            }
        }
        if node.kind() == "object_creation_expression" {
            self.new_endpoint_client(node, &callee, &args);
            self.configured_base(&callee, &args);
            self.foreign_client |= is_client_class(&callee)
                && args
                    .iter()
                    .any(|a| plain_literal(self.text, *a).is_some_and(|t| OTHER_HOST.is_match(t)));
        }
        // Zend's `$client->getProxy('ContactService')->add($key, …)`: the key is the first argument.
        if let Some(service) = self.proxy_service(node) {
            let method = format!("{service}.{}", callee_name(self.text, node));
            if self.is_keap_service(&method) && method_takes_key(&method) {
                self.strong_context = true;
                if let Some(key) = args.first() {
                    self.key_position(*key, &method_detail(&method));
                }
            }
            return;
        }
        // The method name comes first in the clients' own calls, after the URL in home-made
        // helpers (`send($url, 'ContactService.add', array($key, ...))`): the parameters follow it.
        let method_at = args
            .iter()
            .position(|a| plain_literal(self.text, *a).is_some_and(|m| self.is_keap_service(m)));
        if let Some(k) = method_at {
            let method = plain_literal(self.text, args[k]).unwrap_or_default();
            self.strong_context = true;
            if method == "DataService.getTemporaryKey" {
                self.hits.push(Hit::new(VENDOR_LOGIN, args[k].byte_range()));
            } else if method_takes_key(method) {
                let detail = method_detail(method);
                if let Some(key) = self.key_argument(&callee, &args[k..], node) {
                    self.key_position(key, &detail);
                }
            }
            return;
        }
        match callee.as_str() {
            "array_unshift" => {
                if let Some(&key) = args.get(1) {
                    self.wrapper(key, true);
                }
            }
            // fXmlRpc's `$client->prependParams(array($apiKey))`: every call's first parameter.
            "prependparams" => {
                if let Some(&key) = args
                    .first()
                    .filter(|a| is_array(**a))
                    .and_then(|a| array_values(*a).first().copied())
                    .as_ref()
                {
                    self.wrapper(key, true);
                }
            }
            "array_merge" => {
                // Parameters are a list: `array('user_id' => …, 'api_key' => $key)` is a form.
                let positional = |array: Node| {
                    let mut cursor = array.walk();
                    let mut elements = array.named_children(&mut cursor);
                    elements.all(|e| {
                        e.kind() != "array_element_initializer" || e.named_child_count() < 2
                    })
                };
                if let Some(first) = args.first().filter(|a| is_array(**a) && positional(**a)) {
                    for element in array_values(*first).into_iter().take(2) {
                        self.wrapper(element, false);
                    }
                }
            }
            _ => {}
        }
    }

    /// The service of a Zend proxy a method is called on, chained or through a variable.
    fn proxy_service(&self, call: Node) -> Option<String> {
        if call.kind() != "member_call_expression" {
            return None;
        }
        let object = call.child_by_field_name("object")?;
        if object.kind() == "member_call_expression" && callee(self.text, object) == "getproxy" {
            return arguments(object)
                .first()
                .and_then(|a| plain_literal(self.text, *a))
                .map(str::to_string);
        }
        match self.assigned.get(self.src(object)) {
            Some(Assigned::Proxy(service)) => Some(service.clone()),
            _ => None,
        }
    }

    /// `new xmlrpc_client($config->apiUrl . '/api/xmlrpc')`: a client made for a configured base
    /// URL completed with Keap's legacy path, in a file that names Keap. The base is the app's
    /// host, or Mortgage Pro's where the file names that too (then it is not reported).
    fn configured_base(&mut self, callee: &str, args: &[Node]) {
        let client = is_client_class(callee);
        let Some(url) = args.first().filter(|_| client && self.keap_named) else {
            return;
        };
        let Some(t) = template(self.text, *url) else {
            return;
        };
        let path = t.text.strip_prefix(HOLE).unwrap_or_default();
        if !matches!(path, "/api/xmlrpc" | "/api/xmlrpc/")
            || self.text.to_ascii_lowercase().contains("mortgageprocrm")
        {
            return;
        }
        self.strong_context = true;
        self.hits.push(Hit::new(LEGACY_ENDPOINT, url.byte_range()));
    }

    /// `$c = new xmlrpc_client('https://api.infusionsoft.com/crm/xmlrpc')`, or the URL split
    /// into path, host and port: a client a missing key header would leave half migrated.
    fn new_endpoint_client(&mut self, node: Node, callee: &str, args: &[Node]) {
        if !matches!(callee, "xmlrpc_client" | "phpxmlrpc\\client" | "client")
            || (callee == "client" && !self.text.contains("PhpXmlRpc"))
        {
            return;
        }
        let texts: Vec<Option<String>> = args
            .iter()
            .take(2)
            .map(|a| template(self.text, *a).map(|t| t.text.to_ascii_lowercase()))
            .collect();
        let is = |k: usize, f: &dyn Fn(&str) -> bool| {
            texts.get(k).and_then(Option::as_deref).is_some_and(f)
        };
        let span = if is(0, &|t| NEW_URL.is_match(t)) {
            args[0].byte_range()
        } else if is(0, &|t| NEW_PATH.is_match(t))
            && is(1, &|h| h.trim_end_matches(":443") == "api.infusionsoft.com")
        {
            args[0].start_byte()..args[args.len().min(3) - 1].end_byte()
        } else {
            return;
        };
        let Some(target) = node
            .parent()
            .filter(|p| p.kind() == "assignment_expression")
            .and_then(|p| p.child_by_field_name("left"))
        else {
            return;
        };
        self.new_clients.push((self.src(target), span));
    }

    /// `new xmlrpc_client('/api/xmlrpc', $app . '.infusionsoft.com', 443)`: one finding from the
    /// path to the host (and port). A host held in a variable counts by what it was assigned.
    fn split_endpoint(&mut self, args: &[Node], phpxmlrpc: bool) {
        let texts: Vec<Option<String>> = args
            .iter()
            .map(|a| match template(self.text, *a) {
                Some(t) => Some(t.text),
                None => match self.assigned.get(self.src(*a)) {
                    Some(Assigned::Text(text)) => Some(text.clone()),
                    _ => None,
                },
            })
            .collect();
        let find =
            |f: &dyn Fn(&str) -> bool| texts.iter().position(|t| t.as_deref().is_some_and(f));
        let Some(path) = find(&|s| matches!(s, "/api/xmlrpc" | "/api/xmlrpc/")) else {
            return;
        };
        let host = match find(&|s| LEGACY_HOST.is_match(s)) {
            Some(host) => host,
            // `new xmlrpc_client('/api/xmlrpc', $this->getHostname(), $port)`: the host is made
            // elsewhere (a constructor, a setting), but the path is Keap's legacy one in a file
            // that talks to Keap.
            None if phpxmlrpc && path == 0 && self.keap_named && args.len() > 1 => {
                let mortgage = self.text.to_ascii_lowercase().contains("mortgageprocrm");
                if mortgage {
                    return;
                }
                1
            }
            None => return,
        };
        let mortgage = texts[host]
            .as_deref()
            .is_some_and(|h| h.to_ascii_lowercase().contains("mortgageprocrm"));
        let mut last = path.max(host);
        // phpxmlrpc's third argument is always the port, however it is written.
        let port = phpxmlrpc && path == 0 && host == 1;
        if args
            .get(last + 1)
            .is_some_and(|p| port || p.kind() == "integer")
        {
            last += 1;
        }
        let span = args[path.min(host)].start_byte()..args[last].end_byte();
        if mortgage {
            self.hits.push(Hit::new(MORTGAGEPRO_ENDPOINT, span));
        } else {
            self.strong_context = true;
            self.hits.push(Hit::new(LEGACY_ENDPOINT, span));
        }
    }

    /// The expression in the first-parameter position of a service call, by client style;
    /// `args` starts at the method name.
    fn key_argument<'n>(
        &self,
        callee: &str,
        args: &[Node<'n>],
        call: Node<'n>,
    ) -> Option<Node<'n>> {
        // `$m = new xmlrpcmsg('ContactService.add'); $m->addParam(new xmlrpcval($key));`
        if args.len() == 1 {
            return self
                .first_added_param(call)
                .map(|p| unwrap_value(self.text, p));
        }
        let mut second = *args.get(1)?;
        // `array_merge(array($key), $args)`: the parameters start with the first array.
        if callee_is(self.text, second, "array_merge") {
            second = arguments(second)
                .first()
                .copied()
                .filter(|a| is_array(*a))?;
        }
        // IXR_Client::query and friends take the parameters as further arguments.
        if callee == "query" || !(is_array(second) || second.kind() == "variable_name") {
            return Some(unwrap_value(self.text, second));
        }
        let array = if is_array(second) {
            second
        } else {
            match self.array_assigned_to(second, call) {
                Some(array) => array,
                // A key passed straight after the method name.
                None if key_like(self.src(second)) => return Some(second),
                None => return None,
            }
        };
        array_values(array)
            .first()
            .map(|v| unwrap_value(self.text, *v))
    }

    /// The argument of the first `addParam` on the message `call` creates, in the same function.
    fn first_added_param<'n>(&self, call: Node<'n>) -> Option<Node<'n>> {
        let assignment = call
            .parent()
            .filter(|p| p.kind() == "assignment_expression")?;
        let message = self.src(assignment.child_by_field_name("left")?);
        let mut first: Option<Node> = None;
        let mut stack = vec![function_of(call)];
        while let Some(node) = stack.pop() {
            if node.kind() == "member_call_expression"
                && node.start_byte() > call.end_byte()
                && callee(self.text, node) == "addparam"
                && node
                    .child_by_field_name("object")
                    .is_some_and(|o| self.src(o) == message)
                && first.is_none_or(|f| node.start_byte() < f.start_byte())
            {
                first = Some(node);
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        arguments(first?).first().copied()
    }

    /// The array literal last assigned to `var` before `call` in the same function.
    fn array_assigned_to<'n>(&self, var: Node<'n>, call: Node<'n>) -> Option<Node<'n>> {
        let name = self.src(var);
        let scope = function_of(call);
        let mut found: Option<Node> = None;
        let mut stack = vec![scope];
        while let Some(node) = stack.pop() {
            if node.start_byte() >= call.start_byte() {
                continue;
            }
            if node.kind() == "assignment_expression" {
                let left = node.child_by_field_name("left");
                let right = node.child_by_field_name("right");
                if let (Some(l), Some(r)) = (left, right) {
                    if self.src(l) == name
                        && is_array(r)
                        && found.is_none_or(|f| f.start_byte() < r.start_byte())
                    {
                        found = Some(r);
                    }
                }
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        found
    }

    fn key_position(&mut self, key: Node, detail: &str) {
        if self.host_switch(key) {
            return;
        }
        if let Some(content) = literal_content(key) {
            if is_secret_literal(&self.text[content.clone()]) {
                self.hits
                    .push(Hit::new(KEY_IN_BODY, key.byte_range()).detail(detail));
                self.hits
                    .push(Hit::new(HARDCODED_KEY, content.clone()).secret(content));
            }
            return;
        }
        let src = self.src(key);
        if classify_first_param(src, false) == FirstParam::Key && !user_name_first(detail, src) {
            let bound = self
                .bound_literals
                .get(src)
                .filter(|(_, function)| *function == function_start(key))
                .map(|(literal, _)| literal.clone());
            self.call_sites.push(CallSite {
                span: key.byte_range(),
                detail: detail.to_string(),
                key_like: key_like(src),
                bound,
            });
        }
    }

    fn literal_key(&mut self, range: Range<usize>, detail: &str) {
        self.hits
            .push(Hit::new(KEY_IN_BODY, range.clone()).detail(detail));
        self.hits
            .push(Hit::new(HARDCODED_KEY, range.clone()).secret(range));
    }

    /// `$c->server == 'api.infusionsoft.com' ? placeholder : $key`: a first parameter migrated
    /// where the same code serves Mortgage Pro too (whatever host `--endpoint` named), in a
    /// wrapper or at each call: the key goes only to Mortgage Pro's legacy host.
    fn host_switch(&self, node: Node) -> bool {
        let mut node = node;
        while node.kind() == "parenthesized_expression" {
            match node.named_child(0) {
                Some(inner) => node = inner,
                None => return false,
            }
        }
        let src = self.src(node);
        node.kind() == "conditional_expression"
            && src.contains("->server == '")
            && src.contains("'placeholder'")
    }

    /// `array_unshift($call->params, $this->key)`, `array_merge(array($this->key), $args)`.
    fn wrapper(&mut self, element: Node, unshift: bool) {
        let element = unwrap_value(self.text, element);
        if self.host_switch(element) {
            self.wrapper = true;
            return;
        }
        let content = literal_content(element);
        let literal = content
            .clone()
            .is_some_and(|c| is_secret_literal(&self.text[c]));
        let xmlrpc = self.strong_context || self.xmlrpc;
        // A migrated wrapper prepends a placeholder: it still fills the first position (in an
        // `array_merge`, beside the method name, only the placeholder the rewrite writes).
        let placeholder = content
            .clone()
            .is_some_and(|c| &self.text[c] == crate::fix::PLACEHOLDER);
        if (unshift || placeholder) && content.is_some() && !literal && xmlrpc {
            self.wrapper = true;
        }
        if (key_like(self.src(element)) || literal) && xmlrpc {
            self.strong_context = true;
            self.wrapper = true;
            self.key_position(element, WRAPPER_DETAIL);
        }
    }

    /// Notes an included XML-RPC library (`xmlrpc.inc`, `lib/xmlrpc.php`): the path after the
    /// last computed part (`dirname(__FILE__) . '/xmlrpc-2.0/lib/xmlrpc.inc'`).
    fn include(&mut self, node: Node) {
        let Some(path) = node.named_child(0).and_then(|p| template(self.text, p)) else {
            return;
        };
        let lower = path.text.to_ascii_lowercase();
        if !lower.contains("xmlrpc") || !lower.ends_with(".inc") && !lower.ends_with(".php") {
            return;
        }
        let beside = path.text.rsplit(HOLE).next().unwrap_or(&path.text);
        let library = beside.trim_start_matches('/').to_string();
        self.includes.push((node.byte_range(), library));
    }

    fn finish(&mut self) {
        self.clients_without_header();
        // XML-RPC alone is not Keap: a file that names nothing of Keap's and makes its client
        // for another host (a newsletter API that takes its own key first) is another
        // service's. Only a wrapper could have found something there.
        if self.foreign_client && !self.keap_named {
            self.hits
                .retain(|h| h.rule != KEY_IN_BODY && h.rule != HARDCODED_KEY);
            self.call_sites.clear();
            self.hex_literals.clear();
            return;
        }
        // Where a wrapper puts the key first, a call's own first element is data, unless it
        // plainly is a key too. So it is in a file that never speaks XML-RPC itself: its calls
        // go through a wrapper defined elsewhere (`$this->conn->call('ContactService.add',
        // array($fields))`), which is reported there.
        let wrapper = self.wrapper || !(self.xmlrpc || self.xml_bodies);
        for site in std::mem::take(&mut self.call_sites) {
            if site.key_like || !wrapper {
                // A literal sent first is a key by where it goes, whatever its shape.
                let name = &self.text[site.span.clone()];
                if let Some(literal) = site.bound.filter(|l| !self.hex_literals.contains(l)) {
                    let detail = format!("`{name}`, which a Keap call sends first");
                    self.hits.push(
                        Hit::new(HARDCODED_KEY, literal.clone())
                            .secret(literal)
                            .detail(detail),
                    );
                }
                self.hits
                    .push(Hit::new(KEY_IN_BODY, site.span).detail(site.detail));
            }
        }
        if self.strong_context {
            for content in std::mem::take(&mut self.hex_literals) {
                self.hits
                    .push(Hit::new(HARDCODED_KEY, content.clone()).secret(content));
            }
        }
        if self.keap_named {
            for (span, library) in std::mem::take(&mut self.includes) {
                if phpxmlrpc_2(self.dir, &library) {
                    self.hits
                        .push(Hit::new(LEGACY_LIBRARY, span).detail(library));
                }
            }
        }
    }

    /// phpxmlrpc clients of the new endpoint that send no key header: one whose header went into
    /// a `->headers` property (phpxmlrpc has none: it sends what `setCurlOptions` or, from 4.11,
    /// `setOption` give it), or one made with a split URL in a file that writes no key header
    /// (a whole URL is the missing-auth pattern's), unless a token in the URL authenticates them.
    fn clients_without_header(&mut self) {
        // A token in the URL authenticates the calls: token-in-url reports it.
        if self.text.contains("access_token") {
            return;
        }
        for (target, span) in std::mem::take(&mut self.new_clients) {
            if self.options_set.contains(&target) {
                continue;
            }
            let hit = Hit::new(MISSING_AUTH, span.clone());
            if self.header_properties.contains(&target) {
                self.hits.push(hit.detail(format!("the key header is put in `{target}->headers`, which phpxmlrpc never sends: give it to `setCurlOptions` (`CURLOPT_HTTPHEADER`)")));
            } else if !self.key_header && self.text[span].contains(',') {
                self.hits.push(hit);
            }
        }
    }
}

/// Whether the phpxmlrpc a file includes is a 2.x release: its code defines the client without
/// `setCurlOptions` (the header mechanism of 3.0 and later), or, where it is not in the tree,
/// its path says 2.x (`xmlrpc-2.0/lib/xmlrpc.inc`, as Keap's samples bundle it). The code
/// decides where it can be read, since an upgraded copy often keeps the old path; phpxmlrpc 4's
/// `xmlrpc.inc` only maps the old names onto `PhpXmlRpc\`.
fn phpxmlrpc_2(dir: &Path, library: &str) -> bool {
    match fs::read(dir.join(library)) {
        Ok(code) => {
            let code = String::from_utf8_lossy(&code).to_ascii_lowercase();
            code.contains("class xmlrpc_client")
                && !code.contains("function setcurloptions")
                && !code.contains("phpxmlrpc\\")
        }
        Err(_) => library.to_ascii_lowercase().contains("xmlrpc-2."),
    }
}

/// The XML-RPC clients whose constructor takes the URL (or the path and host).
pub fn is_client_class(callee: &str) -> bool {
    matches!(
        callee,
        "xmlrpc_client" | "zend_xmlrpc_client" | "wp_http_ixr_client" | "ixr_client"
    )
}

pub fn is_concat(node: Node) -> bool {
    node.kind() == "binary_expression"
        && node
            .child_by_field_name("operator")
            .is_some_and(|op| op.kind() == ".")
}

/// The operands of a `.` chain in order, flattened without recursion (chains run long).
pub fn concat_operands(top: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![top];
    while let Some(n) = stack.pop() {
        if is_concat(n) {
            stack.extend(n.child_by_field_name("right"));
            stack.extend(n.child_by_field_name("left"));
        } else {
            out.push(n);
        }
    }
    out
}

pub fn is_array(node: Node) -> bool {
    node.kind() == "array_creation_expression"
}

/// The value expressions of an array literal, in order (`'k' => v` gives `v`).
pub fn array_values(array: Node) -> Vec<Node> {
    let mut cursor = array.walk();
    array
        .named_children(&mut cursor)
        .filter(|c| c.kind() == "array_element_initializer")
        .filter_map(|el| {
            let mut c = el.walk();
            el.named_children(&mut c).last()
        })
        .collect()
}

/// The argument expressions of a call or `new`.
pub fn arguments(call: Node) -> Vec<Node> {
    let mut cursor = call.walk();
    let Some(args) = call.child_by_field_name("arguments").or_else(|| {
        call.named_children(&mut cursor)
            .find(|c| c.kind() == "arguments")
    }) else {
        return Vec::new();
    };
    let mut cursor = args.walk();
    args.named_children(&mut cursor)
        .filter(|a| a.kind() == "argument")
        // A named argument's value comes after its name.
        .filter_map(|a| {
            let mut c = a.walk();
            a.named_children(&mut c).last()
        })
        .collect()
}

/// The called function, method or class, lower-cased and without namespace.
pub fn callee(text: &str, call: Node) -> String {
    let name = match call.kind() {
        "function_call_expression" => call.child_by_field_name("function"),
        "object_creation_expression" => {
            let mut cursor = call.walk();
            let class = call
                .named_children(&mut cursor)
                .find(|c| matches!(c.kind(), "name" | "qualified_name"));
            class
        }
        _ => call.child_by_field_name("name"),
    };
    name.map(|n| {
        let s = &text[n.byte_range()];
        s.rsplit('\\').next().unwrap_or(s).to_ascii_lowercase()
    })
    .unwrap_or_default()
}

/// The function (or file) a node is in. `parent()` walks down from the root each time, so the
/// climb is bounded: a call nested deeper than that in its function is not hand-written code.
fn function_of(node: Node) -> Node {
    let mut scope = node;
    for _ in 0..MAX_NESTING {
        let Some(parent) = scope.parent() else {
            break;
        };
        scope = parent;
        if matches!(
            scope.kind(),
            "function_definition" | "method_declaration" | "anonymous_function" | "arrow_function"
        ) {
            break;
        }
    }
    scope
}

/// Where the function around `node` starts, or `None` at the top level: the same in a chunk's
/// tree as in the whole file's.
fn function_start(node: Node) -> Option<usize> {
    let scope = function_of(node);
    (scope.kind() != "program").then(|| scope.start_byte())
}

/// A method call's name as written (`add`, not lower-cased).
fn callee_name<'t>(text: &'t str, call: Node) -> &'t str {
    call.child_by_field_name("name")
        .map_or("", |n| &text[n.byte_range()])
}

fn callee_is(text: &str, node: Node, name: &str) -> bool {
    node.kind() == "function_call_expression" && callee(text, node) == name
}

/// `php_xmlrpc_encode($key)`, `new xmlrpcval($key, 'string')`, `new Value($key)` → `$key`.
pub fn unwrap_value<'n>(text: &str, node: Node<'n>) -> Node<'n> {
    let mut node = node;
    loop {
        let inner = match node.kind() {
            "parenthesized_expression" => node.named_child(0),
            "function_call_expression" | "object_creation_expression"
                if matches!(
                    callee(text, node).as_str(),
                    "php_xmlrpc_encode" | "xmlrpcval" | "value" | "xmlrpc_encode"
                ) =>
            {
                arguments(node).first().copied()
            }
            _ => None,
        };
        match inner {
            Some(n) => node = n,
            None => return node,
        }
    }
}

/// The byte range of a string literal's content when it has no interpolation.
pub fn literal_content(node: Node) -> Option<Range<usize>> {
    let body = match node.kind() {
        "string" | "encapsed_string" => node,
        "nowdoc" | "heredoc" => node.child_by_field_name("value")?,
        _ => return None,
    };
    let mut cursor = body.walk();
    let parts: Vec<Node> = body.named_children(&mut cursor).collect();
    if parts
        .iter()
        .any(|p| !matches!(p.kind(), "string_content" | "nowdoc_string"))
    {
        return None;
    }
    match (parts.first(), parts.last()) {
        (Some(first), Some(last)) => Some(first.start_byte()..last.end_byte()),
        _ => Some(node.start_byte() + 1..node.start_byte() + 1),
    }
}

/// A string literal's text, when it has no interpolation or escapes.
pub fn plain_literal<'t>(text: &'t str, node: Node) -> Option<&'t str> {
    literal_content(node).map(|r| &text[r])
}

/// The string an expression builds, with `{}` where a value is computed at run time, and a map
/// back from the text to the source.
pub struct Template<'n> {
    pub text: String,
    pieces: Vec<Piece<'n>>,
}

struct Piece<'n> {
    at: usize,
    len: usize,
    kind: PieceKind<'n>,
}

enum PieceKind<'n> {
    /// Copied verbatim from this source offset.
    Literal(usize),
    Hole(Node<'n>),
}

impl<'n> Template<'n> {
    fn new() -> Self {
        Template {
            text: String::new(),
            pieces: Vec::new(),
        }
    }

    fn literal(&mut self, text: &str, source: usize) {
        self.pieces.push(Piece {
            at: self.text.len(),
            len: text.len(),
            kind: PieceKind::Literal(source),
        });
        self.text += text;
    }

    fn hole(&mut self, node: Node<'n>) {
        self.pieces.push(Piece {
            at: self.text.len(),
            len: HOLE.len(),
            kind: PieceKind::Hole(node),
        });
        self.text += HOLE;
    }

    fn append(&mut self, other: Template<'n>) {
        let base = self.text.len();
        self.text += &other.text;
        self.pieces.extend(other.pieces.into_iter().map(|p| Piece {
            at: p.at + base,
            ..p
        }));
    }

    /// The expression whose value lands at `offset`.
    pub fn hole_at(&self, offset: usize) -> Option<Node<'n>> {
        self.pieces.iter().find_map(|p| match p.kind {
            PieceKind::Hole(node) if p.at == offset => Some(node),
            _ => None,
        })
    }

    /// The source bytes of a range of the text, when one literal piece holds all of it.
    pub fn source_range(&self, range: Range<usize>) -> Option<Range<usize>> {
        self.pieces.iter().find_map(|p| match p.kind {
            PieceKind::Literal(source) if p.at <= range.start && range.end <= p.at + p.len => {
                Some(source + range.start - p.at..source + range.end - p.at)
            }
            _ => None,
        })
    }
}

/// The string `node` builds; `None` for expressions that build no string.
pub fn template<'n>(text: &str, node: Node<'n>) -> Option<Template<'n>> {
    template_within(text, node, MAX_NESTING)
}

/// How deep a URL-building expression may nest (parentheses, `sprintf` in `sprintf`) before it
/// is taken for what it is: no URL anyone wrote by hand, and no reason to exhaust the stack.
const MAX_NESTING: usize = 64;

fn template_within<'n>(text: &str, node: Node<'n>, depth: usize) -> Option<Template<'n>> {
    let depth = depth.checked_sub(1)?;
    match node.kind() {
        "string" | "encapsed_string" => Some(parts(text, node)),
        "heredoc" | "nowdoc" => Some(parts(text, node.child_by_field_name("value")?)),
        "parenthesized_expression" => template_within(text, node.named_child(0)?, depth),
        "function_call_expression"
            if matches!(callee(text, node).as_str(), "sprintf" | "vsprintf") =>
        {
            let args = arguments(node);
            let format = template_within(text, *args.first()?, depth)?;
            Some(expand_format(format, &args[1..], node))
        }
        "binary_expression" if is_concat(node) => {
            let mut out = Template::new();
            let mut any_literal = false;
            for n in concat_operands(node) {
                match template_within(text, n, depth) {
                    Some(t) => {
                        any_literal = true;
                        out.append(t);
                    }
                    None => out.hole(n),
                }
            }
            any_literal.then_some(out)
        }
        _ => None,
    }
}

/// `sprintf`'s format with each `%s` replaced by a hole for its argument.
fn expand_format<'n>(format: Template<'n>, args: &[Node<'n>], call: Node<'n>) -> Template<'n> {
    let mut out = Template::new();
    let mut next_arg = args.iter();
    let mut last = 0;
    for m in FORMAT_SPEC.find_iter(&format.text) {
        push_slice(&mut out, &format, last..m.start());
        out.hole(next_arg.next().copied().unwrap_or(call));
        last = m.end();
    }
    push_slice(&mut out, &format, last..format.text.len());
    out
}

fn push_slice<'n>(out: &mut Template<'n>, from: &Template<'n>, range: Range<usize>) {
    if range.is_empty() {
        return;
    }
    match from.source_range(range.clone()) {
        Some(source) => out.literal(&from.text[range], source.start),
        None => out.text += &from.text[range],
    }
}

fn parts<'n>(text: &str, body: Node<'n>) -> Template<'n> {
    let mut out = Template::new();
    let mut cursor = body.walk();
    for part in body.named_children(&mut cursor) {
        match part.kind() {
            "string_content" | "escape_sequence" | "nowdoc_string" => {
                out.literal(&text[part.byte_range()], part.start_byte())
            }
            _ => out.hole(part),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{super::text::Facts, chunks::WHOLE_BELOW, parse, Detector, Hit, XMLRPC_CLIENT};

    /// A large generated file: a client and a key at the top, a wrapper, then statement after
    /// statement of calls, some in functions, with strings and heredocs that hold `;` and `}`.
    fn generated() -> String {
        let mut text = String::from(
            "<?php\n$key = 'c0ffee11c0ffee22c0ffee33c0ffee44';\n$client = new xmlrpc_client('https://ab123.infusionsoft.com/api/xmlrpc');\n",
        );
        let mut n = 0;
        while text.len() < WHOLE_BELOW + (WHOLE_BELOW >> 2) {
            n += 1;
            text.push_str(&format!(
                "$client->send(new xmlrpcmsg('ContactService.add', array(new xmlrpcval($key), new xmlrpcval(array('Email' => \"u{n}@example.com;}}\")))));\n\
                 function tag_{n}($c, $key) {{\n    return $c->send(new xmlrpcmsg('ContactService.addToGroup', array(php_xmlrpc_encode($key), php_xmlrpc_encode({n}))));\n}}\n\
                 $xml = <<<XML\n<methodCall><methodName>DataService.echo</methodName>;}}\nXML;\n\
                 if ($n > 3) {{\n    $x = '{{';\n}} else {{\n    $x = \"}}\";\n}}\n"
            ));
        }
        text
    }

    fn whole(text: &str) -> (Vec<Hit>, usize) {
        let (mut hits, mut comments) = (Vec::new(), Vec::new());
        let facts = Facts::new(text);
        let tree = parse(text).expect("parsed");
        let mut d = Detector::new(&facts, Path::new("."), &mut hits, &mut comments);
        d.walk(tree.root_node());
        d.finish();
        (hits, comments.len())
    }

    fn chunked(text: &str) -> (Vec<Hit>, usize) {
        let (mut hits, mut comments) = (Vec::new(), Vec::new());
        assert!(super::detect(
            &Facts::new(text),
            Path::new("."),
            &mut hits,
            &mut comments,
            &mut None
        ));
        (hits, comments.len())
    }

    #[test]
    fn a_large_file_read_in_chunks_gives_what_the_whole_file_gives() {
        let text = generated();
        let (hits, comments) = chunked(&text);
        assert!(hits.len() > 10_000, "{}", hits.len());
        assert_eq!((hits, comments), whole(&text));
        assert!(super::chunks_parse_cleanly(&text));
    }

    #[test]
    fn a_chunk_with_a_syntax_error_sends_the_file_back_whole() {
        // The cut may be what broke a chunk; whichever it was, the whole file's tree decides.
        let mut text = generated();
        let middle = text.len() / 2;
        let line = middle + text[middle..].find("\n$client->send").expect("a call") + 1;
        text.insert_str(line, "$broken = array(1, ;\n");
        let (hits, comments) = chunked(&text);
        assert!(hits.len() > 10_000, "{}", hits.len());
        assert_eq!((hits, comments), whole(&text));
        assert!(!super::chunks_parse_cleanly(&text));
    }

    #[test]
    fn an_xml_rpc_namespace_is_followed_by_a_class() {
        for client in [
            r"use Laminas\XmlRpc\Client;",
            r"new \PhpXmlRpc\Client($url);",
            r#"$c = "fXmlRpc\\Client";"#,
        ] {
            assert!(XMLRPC_CLIENT.is_match(client), "{client}");
        }
        assert!(!XMLRPC_CLIENT.is_match(r"'aaa|xfire|xmlrpc\.beep|xmpp'"));
    }
}
