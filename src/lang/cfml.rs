//! ColdFusion onto the view (tree-sitter-cfml, built on tree-sitter-language so it links beside
//! tree-sitter 0.25). A template's tags are read by the CFML grammar; what it leaves opaque, the
//! body of `<cfscript>` and a script component (`component { … }`), is parsed again with the
//! cfscript grammar over the same text, so every offset stays the file's own.
//!
//! What Keap code in ColdFusion is made of: `<cfset myArray[1]="ContactService.add">` /
//! `<cfset myArray[2]=key>` (1-based arrays, the method first), array literals
//! `["X.y", key, …]`, `arrayAppend`, `#var#` holes in strings and attributes, `&`
//! concatenation, `<cfhttp url="…">` and cfscript's `cfhttp(url=…) { … }`.
use std::collections::HashMap;

use tree_sitter::{Node, Parser, Range as TsRange, Tree};

use super::{literal_parts, Arg, Builder, Entry, Expr, Kind, ScopeKind, Template};

/// The opaque nodes that hold cfscript.
const SCRIPT: &[&str] = &["cf_script_content", "cf_component_content"];

/// The cfscript trees of a template, by the start of the node they fill.
pub(super) struct Scripts {
    trees: HashMap<usize, Tree>,
}

impl Scripts {
    /// Parses every cfscript body in `root` with the cfscript grammar, over its own range.
    pub(super) fn parse(text: &str, root: Node) -> Scripts {
        let mut trees = HashMap::new();
        let mut parser = Parser::new();
        if parser
            .set_language(&tree_sitter_cfml::LANGUAGE_CFSCRIPT.into())
            .is_err()
        {
            return Scripts { trees };
        }
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if SCRIPT.contains(&n.kind()) {
                let range = TsRange {
                    start_byte: n.start_byte(),
                    end_byte: n.end_byte(),
                    start_point: n.start_position(),
                    end_point: n.end_position(),
                };
                if parser.set_included_ranges(&[range]).is_ok() {
                    if let Some(tree) = parser.parse(text, None) {
                        trees.insert(n.start_byte(), tree);
                    }
                }
                continue;
            }
            let mut cursor = n.walk();
            stack.extend(n.children(&mut cursor));
        }
        Scripts { trees }
    }

    /// The error nodes of every cfscript body.
    pub(super) fn errors(&self) -> usize {
        self.trees.values().map(super::error_count).sum()
    }
}

/// Nodes whose children are statements.
const BODIES: &[&str] = &[
    "program",
    "statement_block",
    "component_body",
    "switch_case",
    "switch_default",
];

pub(super) fn walk_all(b: &mut Builder, root: Node, scripts: &Scripts) {
    walk(b, root, scripts);
}

fn walk(b: &mut Builder, node: Node, scripts: &Scripts) {
    match node.kind() {
        "cf_comment" | "comment" => return b.comment(node),
        k if SCRIPT.contains(&k) => {
            if let Some(tree) = scripts.trees.get(&node.start_byte()) {
                let root = tree.root_node();
                children(b, root, scripts);
            }
            return;
        }
        "function_declaration" | "function_expression" | "arrow_function" => {
            let name = node
                .child_by_field_name("name")
                .map_or("", |n| b.src(n))
                .to_string();
            let params = node
                .child_by_field_name("parameters")
                .map(|p| params(b, p))
                .unwrap_or_default();
            return b.scoped(ScopeKind::Function, node, &name, params, |b| {
                children(b, node, scripts)
            });
        }
        "cf_function_tag" => {
            let name = attribute(b, node, "name").unwrap_or_default();
            return b.scoped(ScopeKind::Function, node, &name, Vec::new(), |b| {
                children(b, node, scripts)
            });
        }
        "component" | "component_file" => {
            return b.scoped(ScopeKind::Class, node, "", Vec::new(), |b| {
                children(b, node, scripts)
            });
        }
        k if BODIES.contains(&k) => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                b.statement(child, |b| walk(b, child, scripts));
            }
            return;
        }
        // A tag is a statement: `<cfset …>`, `<cfhttp …>`.
        "cf_set_tag" | "cf_tag" | "cf_selfclose_tag" => {
            return b.statement(node, |b| {
                if node.kind() != "cf_set_tag" {
                    tag_call(b, node);
                }
                children(b, node, scripts)
            });
        }
        "variable_declarator" | "assignment_expression" => {
            let (left, right) = if node.kind() == "variable_declarator" {
                (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("value"),
                )
            } else {
                (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                )
            };
            if let (Some(left), Some(right)) = (left, right) {
                let value = expr(b, right);
                if matches!(value.kind, Kind::Str(_)) {
                    b.string(&value);
                } else {
                    walk(b, right, scripts);
                }
                // `myArray[2] = key` binds `myArray[2]`: the 1-based array style is read
                // from these bindings.
                if matches!(
                    left.kind(),
                    "identifier" | "member_expression" | "subscript_expression"
                ) {
                    b.bind(left, value);
                }
            }
            return;
        }
        // A hand-written XML-RPC body: `<cfsavecontent>` or `<cfoutput>` text with `#key#` in it.
        "cf_savecontent_body" | "cf_output_tag" if b.src(node).contains("<methodName>") => {
            let e = Expr {
                span: node.byte_range(),
                kind: Kind::Str(raw_template(b.text, node.byte_range())),
            };
            b.string(&e);
        }
        "quoted_cf_attribute_value" => {
            let e = Expr {
                span: node.byte_range(),
                kind: Kind::Str(literal_parts(node, b.text, &["attribute_value"])),
            };
            b.string(&e);
            return;
        }
        "string" | "binary_expression" | "call_expression" | "tag_statement" => {
            let e = expr(b, node);
            if b.leaf_string(&e) {
                return;
            }
        }
        _ => {}
    }
    children(b, node, scripts);
}

fn children(b: &mut Builder, node: Node, scripts: &Scripts) {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        if b.deeper(|b| walk(b, child, scripts)).is_none() {
            return;
        }
    }
}

/// Template text as written, each `#expression#` a hole (`##` is a literal `#`).
fn raw_template(text: &str, range: std::ops::Range<usize>) -> Template {
    let mut t = Template::default();
    let src = &text[range.clone()];
    let (mut last, mut i) = (0, 0);
    while let Some(open) = src[i..].find('#').map(|n| i + n) {
        if src[open + 1..].starts_with('#') {
            i = open + 2;
            continue;
        }
        let Some(close) = src[open + 1..].find('#').map(|n| open + 1 + n) else {
            break;
        };
        if open > last {
            t.literal(&src[last..open], range.start + last);
        }
        t.hole(range.start + open + 1..range.start + close);
        last = close + 1;
        i = last;
    }
    if last < src.len() {
        t.literal(&src[last..], range.start + last);
    }
    t
}

/// The value of a tag's attribute, as written between its quotes.
fn attribute(b: &Builder, tag: Node, name: &str) -> Option<String> {
    let mut cursor = tag.walk();
    let attrs: Vec<Node> = tag.named_children(&mut cursor).collect();
    attrs.into_iter().find_map(|a| {
        let (n, v) = attr_parts(a)?;
        b.src(n)
            .eq_ignore_ascii_case(name)
            .then(|| b.src(v).trim_matches(['"', '\'']).to_string())
    })
}

fn attr_parts(a: Node) -> Option<(Node, Node)> {
    if a.kind() != "cf_attribute" {
        return None;
    }
    let name = a
        .named_child(0)
        .filter(|n| n.kind() == "cf_attribute_name")?;
    let value = a.named_child(1)?;
    Some((name, value))
}

/// `<cfhttp url="…" method="post">` is a call of `cfhttp` with keyword arguments.
fn tag_call(b: &mut Builder, node: Node) {
    let start = if node.kind() == "cf_tag" {
        node.named_child(0).filter(|n| n.kind() == "cf_start_tag")
    } else {
        Some(node)
    };
    let Some(start) = start else { return };
    let Some(name) = start
        .named_child(0)
        .filter(|n| n.kind() == "cf_tag_name")
        // The grammar names `<cfhttp>` `http`: the view keeps the tag's own name.
        .map(|n| format!("cf{}", b.src(n).to_ascii_lowercase()))
    else {
        return;
    };
    let mut attrs = Vec::new();
    let mut stack = vec![start];
    while let Some(n) = stack.pop() {
        let mut cursor = n.walk();
        for c in n.named_children(&mut cursor) {
            match c.kind() {
                "cf_attribute" => attrs.push(c),
                "cf_tag_attributes" => stack.push(c),
                _ => {}
            }
        }
    }
    attrs.sort_by_key(|a| a.start_byte());
    let args = attrs
        .into_iter()
        .filter_map(attr_parts)
        .map(|(n, v)| Arg {
            keyword: Some(b.src(n).to_ascii_lowercase()),
            value: Expr {
                span: v.byte_range(),
                kind: Kind::Str(literal_parts(v, b.text, &["attribute_value"])),
            },
            span: n.start_byte()..v.end_byte(),
        })
        .collect();
    b.call(start, |b| {
        let callee = Expr {
            span: start.byte_range(),
            kind: Kind::Name(name.clone()),
        };
        b.new_call(start, name, None, callee, args, None)
    });
}

fn params(b: &Builder, node: Node) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        let mut cursor = n.walk();
        for c in n.named_children(&mut cursor) {
            if c.kind() == "identifier" {
                out.push(b.src(c).to_string());
            } else {
                stack.push(c);
            }
        }
    }
    out
}

fn expr(b: &mut Builder, node: Node) -> Expr {
    b.expr(node, kind)
}

fn kind(b: &mut Builder, node: Node) -> Kind {
    match node.kind() {
        "string" | "template_string" => Kind::Str(literal_parts(
            node,
            b.text,
            &["string_fragment", "escape_sequence"],
        )),
        "binary_expression" => {
            // `&` joins strings in CFML; `+` is arithmetic.
            b.concatenation(node, "&", expr)
        }
        "call_expression" | "new_expression" | "tag_statement" => {
            Kind::Call(b.call(node, |b| call(b, node)))
        }
        "identifier" | "member_expression" | "property_identifier" | "subscript_expression" => {
            b.name(node)
        }
        // Through `expr`, which counts the depth: parentheses nest as deep as a file likes.
        "hash_expression" | "parenthesized_expression" => match node.named_child(0) {
            Some(inner) => expr(b, inner).kind,
            None => Kind::Other,
        },
        "array" => {
            let mut cursor = node.walk();
            let nodes: Vec<Node> = node
                .named_children(&mut cursor)
                .filter(|n| !matches!(n.kind(), "comment" | "cf_comment"))
                .collect();
            Kind::List(nodes.into_iter().map(|n| expr(b, n)).collect())
        }
        "object" | "ordered_struct" => {
            let mut cursor = node.walk();
            let nodes: Vec<Node> = node.named_children(&mut cursor).collect();
            let mut entries = Vec::new();
            for p in nodes {
                if !matches!(p.kind(), "pair" | "cf_pair") {
                    continue;
                }
                let (Some(k), Some(v)) =
                    (p.child_by_field_name("key"), p.child_by_field_name("value"))
                else {
                    continue;
                };
                let key = match k.kind() {
                    "property_identifier" | "identifier" => Some(b.src(k).to_string()),
                    "string" => match expr(b, k).kind {
                        Kind::Str(t) if t.is_plain() => Some(t.text),
                        _ => None,
                    },
                    _ => None,
                };
                entries.push(Entry {
                    key,
                    value: expr(b, v),
                    span: p.byte_range(),
                });
            }
            Kind::Map(entries)
        }
        "number" => Kind::Number,
        "null" | "true" | "false" => Kind::Nil,
        _ => Kind::Other,
    }
}

/// A function or method call, or a tag written as a statement (`cfhttp(url=u) { … }`):
/// `name=value` arguments are keyword arguments.
fn call(b: &mut Builder, node: Node) -> super::Call {
    let function = node
        .child_by_field_name("function")
        .or_else(|| node.child_by_field_name("constructor"))
        .or_else(|| node.child_by_field_name("tag"));
    let (name, receiver) = match function {
        Some(f) if f.kind() == "member_expression" => (
            f.child_by_field_name("property")
                .map_or("", |p| b.src(p))
                .to_string(),
            f.child_by_field_name("object").map(|o| expr(b, o)),
        ),
        Some(f) => (b.src(f).to_string(), None),
        None => (String::new(), None),
    };
    let callee = match function {
        Some(f) => expr(b, f),
        None => Expr {
            span: node.byte_range(),
            kind: Kind::Other,
        },
    };
    let mut args = Vec::new();
    let arguments = node
        .child_by_field_name("arguments")
        .filter(|a| a.kind() == "arguments");
    if let Some(list) = arguments {
        let mut cursor = list.walk();
        let nodes: Vec<Node> = list
            .named_children(&mut cursor)
            .filter(|n| !matches!(n.kind(), "comment" | "cf_comment"))
            .collect();
        for a in nodes {
            let named = (a.kind() == "assignment_expression")
                .then(|| {
                    let left = a.child_by_field_name("left")?;
                    let right = a.child_by_field_name("right")?;
                    (left.kind() == "identifier").then_some((left, right))
                })
                .flatten();
            let (keyword, value) = match named {
                Some((left, right)) => (Some(b.src(left).to_ascii_lowercase()), expr(b, right)),
                None => (None, expr(b, a)),
            };
            args.push(Arg {
                keyword,
                value,
                span: a.byte_range(),
            });
        }
    }
    let parens = arguments.map(|a| a.byte_range());
    let mut c = b.new_call(node, name, receiver, callee, args, parens);
    c.new = node.kind() == "new_expression";
    c
}

#[cfg(test)]
mod tests {
    use super::super::{view, Kind, Syntax};

    #[test]
    fn slots_tags_and_script_are_read() {
        let src = "<cfset call[1] = \"DataService.query\">\n<cfset call[2] = application.crm>\n<cfinvoke component=\"XML-RPC\" method=\"CFML2XMLRPC\" data=\"#call#\" returnvariable=\"p\">\n<cfscript>\nu = \"https://\" & app & \".infusionsoft.com/api/xmlrpc\";\n</cfscript>\n";
        let v = view(Syntax::Cfml, src).unwrap();
        let targets: Vec<&str> = v.bindings.iter().map(|b| b.target.as_str()).collect();
        assert_eq!(targets, ["call[1]", "call[2]", "u"]);
        let invoke = v.calls.iter().find(|c| c.name == "cfinvoke").unwrap();
        assert!(
            matches!(&invoke.keyword("method").unwrap().value.kind, Kind::Str(t) if t.text == "CFML2XMLRPC")
        );
        assert!(v.strings.iter().any(
            |s| matches!(&s.kind, Kind::Str(t) if t.text == "https://{}.infusionsoft.com/api/xmlrpc")
        ));
    }
}
