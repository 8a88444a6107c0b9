//! PHP through tree-sitter: endpoints however they are built (literal, concatenation,
//! interpolation, heredoc, sprintf, host/path split), the key in each client's parameters,
//! wrappers that prepend the key to every call, and 32-hex literals in files that talk to Keap.
use std::{cell::RefCell, ops::Range, sync::LazyLock};

use regex::Regex;
use tree_sitter::{Node, Parser, Tree};

use super::{classify_first_param, is_secret_literal, method_takes_key, FirstParam, Hit};
use crate::{
    finding::Severity,
    rules::{HARDCODED_KEY, KEY_IN_BODY, LEGACY_ENDPOINT, MORTGAGEPRO_ENDPOINT},
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

static LEGACY_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://)?[^\s/'\x22]*\.infusionsoft\.com(?::443)?/api/xmlrpc(?:/v1)?/?")
        .unwrap()
});
static MORTGAGE_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://)?[^\s/'\x22]*\.mortgageprocrm\.com(?::443)?/api/xmlrpc/?")
        .unwrap()
});
static LEGACY_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:https?://)?[^\s/]*\.(infusionsoft|mortgageprocrm)\.com(?::443)?$").unwrap()
});
static SERVICE_METHOD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\w+Service\.\w+$").unwrap());
static FORMAT_SPEC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"%(?:\d+\$)?[sdu]").unwrap());
static HEX32: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[0-9a-fA-F]{32}$").unwrap());

/// Where an interpolated or computed value sits in a template.
pub const HOLE: &str = "{}";

pub fn detect(text: &str, hits: &mut Vec<Hit>) -> bool {
    let Some(tree) = parse(text) else {
        return false;
    };
    let mut d = Detector {
        text,
        hits,
        keap_named: super::text::has_keap_context(text),
        strong_context: false,
        hex_literals: Vec::new(),
    };
    d.walk(tree.root_node());
    d.finish();
    true
}

struct Detector<'t, 'h> {
    text: &'t str,
    hits: &'h mut Vec<Hit>,
    /// The file names Keap, Infusionsoft or one of Keap's services somewhere.
    keap_named: bool,
    /// The file calls a Keap service or names a legacy endpoint.
    strong_context: bool,
    /// Whole string literals that look like a legacy key (content ranges).
    hex_literals: Vec<Range<usize>>,
}

impl<'t> Detector<'t, '_> {
    fn src(&self, node: Node) -> &'t str {
        &self.text[node.byte_range()]
    }

    /// Iterative, so deep expression chains cannot overflow the stack.
    fn walk(&mut self, root: Node) {
        // (node, whether an enclosing expression already answered the endpoint question)
        let mut stack = vec![(root, false)];
        while let Some((node, covered)) = stack.pop() {
            let mut matched = false;
            match node.kind() {
                "comment" => self.comment(node),
                "string" | "encapsed_string" | "heredoc" | "nowdoc" => {
                    matched = !covered && self.endpoint(node);
                    if let Some(content) = literal_content(node) {
                        if HEX32.is_match(&self.text[content.clone()]) {
                            self.hex_literals.push(content);
                        }
                    }
                }
                "binary_expression" if is_concat(node) => {
                    matched = !covered && self.endpoint(node);
                }
                "function_call_expression"
                | "member_call_expression"
                | "nullsafe_member_call_expression"
                | "scoped_call_expression"
                | "object_creation_expression" => {
                    if node.kind() == "function_call_expression" && !covered {
                        matched = self.endpoint(node);
                    }
                    self.call(node);
                }
                _ => {}
            }
            let pass = matched
                || is_concat(node)
                || (covered && node.kind() == "parenthesized_expression");
            let mut cursor = node.walk();
            let children: Vec<Node> = node.children(&mut cursor).collect();
            stack.extend(children.into_iter().rev().map(|c| (c, pass)));
        }
    }

    fn comment(&mut self, node: Node) {
        let text = self.src(node);
        let base = node.start_byte();
        for (re, rule) in [
            (&*LEGACY_URL, LEGACY_ENDPOINT),
            (&*MORTGAGE_URL, MORTGAGEPRO_ENDPOINT),
        ] {
            for m in re.find_iter(text) {
                self.hits.push(
                    Hit::new(rule, base + m.start()..base + m.end())
                        .severity(Severity::Note)
                        .detail("in a comment"),
                );
            }
        }
    }

    /// Reports `node` when the URL it builds is a legacy endpoint.
    fn endpoint(&mut self, node: Node) -> bool {
        let Some(t) = template(self.text, node) else {
            return false;
        };
        let rule = if LEGACY_URL.is_match(&t) {
            self.strong_context = true;
            LEGACY_ENDPOINT
        } else if MORTGAGE_URL.is_match(&t) {
            MORTGAGEPRO_ENDPOINT
        } else {
            return false;
        };
        self.hits.push(Hit::new(rule, node.byte_range()));
        true
    }

    fn call(&mut self, node: Node) {
        let args = arguments(node);
        self.split_endpoint(&args);
        let callee = callee(self.text, node);
        if let Some(method) = args.first().and_then(|a| plain_literal(self.text, *a)) {
            // `UserService.find` in an unrelated JSON-RPC app is not Keap's.
            if SERVICE_METHOD.is_match(method) && (self.keap_named || self.strong_context) {
                self.strong_context = true;
                if method_takes_key(method) {
                    let method = method.to_string();
                    if let Some(key) = self.key_argument(&callee, &args, node) {
                        self.key_position(key, &format!("`{method}`"));
                    }
                }
                return;
            }
        }
        match callee.as_str() {
            "array_unshift" => {
                if let Some(&key) = args.get(1) {
                    self.wrapper(key);
                }
            }
            "array_merge" => {
                if let Some(first) = args.first().filter(|a| is_array(**a)) {
                    for element in array_values(*first).into_iter().take(2) {
                        self.wrapper(element);
                    }
                }
            }
            _ => {}
        }
    }

    /// `new xmlrpc_client('/api/xmlrpc', $app . '.infusionsoft.com', 443)`: one finding from the
    /// path to the host (and port).
    fn split_endpoint(&mut self, args: &[Node]) {
        let templates: Vec<Option<String>> = args.iter().map(|a| template(self.text, *a)).collect();
        let is = |t: &Option<String>, f: &dyn Fn(&str) -> bool| t.as_deref().is_some_and(f);
        let Some(path) = templates
            .iter()
            .position(|t| is(t, &|s| matches!(s, "/api/xmlrpc" | "/api/xmlrpc/")))
        else {
            return;
        };
        let Some(host) = templates
            .iter()
            .position(|t| is(t, &|s| LEGACY_HOST.is_match(s)))
        else {
            return;
        };
        let mortgage = templates[host]
            .as_deref()
            .is_some_and(|h| h.to_ascii_lowercase().contains("mortgageprocrm"));
        let mut last = path.max(host);
        if last == host && args.get(host + 1).is_some_and(|p| p.kind() == "integer") {
            last = host + 1;
        }
        let span = args[path.min(host)].start_byte()..args[last].end_byte();
        if mortgage {
            self.hits.push(Hit::new(MORTGAGEPRO_ENDPOINT, span));
        } else {
            self.strong_context = true;
            self.hits.push(Hit::new(LEGACY_ENDPOINT, span));
        }
    }

    /// The expression in the first-parameter position of a service call, by client style.
    fn key_argument<'n>(
        &self,
        callee: &str,
        args: &[Node<'n>],
        call: Node<'n>,
    ) -> Option<Node<'n>> {
        let second = *args.get(1)?;
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
                None if self.src(second).to_ascii_lowercase().contains("key") => {
                    return Some(second)
                }
                None => return None,
            }
        };
        array_values(array)
            .first()
            .map(|v| unwrap_value(self.text, *v))
    }

    /// The array literal last assigned to `var` before `call` in the same function.
    fn array_assigned_to<'n>(&self, var: Node<'n>, call: Node<'n>) -> Option<Node<'n>> {
        let name = self.src(var);
        let mut scope = call;
        while let Some(parent) = scope.parent() {
            scope = parent;
            if matches!(
                scope.kind(),
                "function_definition"
                    | "method_declaration"
                    | "anonymous_function"
                    | "arrow_function"
            ) {
                break;
            }
        }
        let mut found = None;
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
                        && found.is_none_or(|f: Node| f.start_byte() < node.start_byte())
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
        if let Some(content) = literal_content(key) {
            if is_secret_literal(&self.text[content.clone()]) {
                self.hits
                    .push(Hit::new(KEY_IN_BODY, key.byte_range()).detail(detail));
                self.hits
                    .push(Hit::new(HARDCODED_KEY, content.clone()).secret(content));
            }
            return;
        }
        if classify_first_param(self.src(key), false) == FirstParam::Key {
            self.hits
                .push(Hit::new(KEY_IN_BODY, key.byte_range()).detail(detail));
        }
    }

    /// `array_unshift($call->params, $this->key)`, `array_merge(array($this->key), $args)`.
    fn wrapper(&mut self, element: Node) {
        let element = unwrap_value(self.text, element);
        let src = self.src(element);
        let key_like = src.to_ascii_lowercase().contains("key")
            || literal_content(element).is_some_and(|c| is_secret_literal(&self.text[c]));
        let xmlrpc = self.text.to_ascii_lowercase().contains("xmlrpc") || self.strong_context;
        if key_like && xmlrpc {
            self.strong_context = true;
            self.key_position(element, "a wrapper prepends it to every call");
        }
    }

    fn finish(&mut self) {
        if !self.strong_context {
            return;
        }
        for content in std::mem::take(&mut self.hex_literals) {
            self.hits
                .push(Hit::new(HARDCODED_KEY, content.clone()).secret(content));
        }
    }
}

fn is_concat(node: Node) -> bool {
    node.kind() == "binary_expression"
        && node
            .child_by_field_name("operator")
            .is_some_and(|op| op.kind() == ".")
}

fn is_array(node: Node) -> bool {
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

/// The text an expression builds, with `{}` where a value is computed at run time; `None` for
/// expressions that build no string.
pub fn template(text: &str, node: Node) -> Option<String> {
    match node.kind() {
        "string" | "encapsed_string" => Some(parts(text, node)),
        "heredoc" => Some(parts(text, node.child_by_field_name("value")?)),
        "nowdoc" => Some(text[node.child_by_field_name("value")?.byte_range()].to_string()),
        "parenthesized_expression" => template(text, node.named_child(0)?),
        "function_call_expression"
            if matches!(callee(text, node).as_str(), "sprintf" | "vsprintf") =>
        {
            let format = template(text, *arguments(node).first()?)?;
            Some(FORMAT_SPEC.replace_all(&format, HOLE).into_owned())
        }
        "binary_expression" if is_concat(node) => {
            let mut out = String::new();
            let mut stack = vec![node];
            let mut any_literal = false;
            while let Some(n) = stack.pop() {
                if is_concat(n) {
                    stack.extend(n.child_by_field_name("right"));
                    stack.extend(n.child_by_field_name("left"));
                } else if let Some(t) = template(text, n) {
                    any_literal = true;
                    out += &t;
                } else {
                    out += HOLE;
                }
            }
            any_literal.then_some(out)
        }
        _ => None,
    }
}

fn parts(text: &str, body: Node) -> String {
    let mut out = String::new();
    let mut cursor = body.walk();
    for part in body.named_children(&mut cursor) {
        match part.kind() {
            "string_content" | "escape_sequence" | "nowdoc_string" => {
                out += &text[part.byte_range()]
            }
            _ => out += HOLE,
        }
    }
    out
}
