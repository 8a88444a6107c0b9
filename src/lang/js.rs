//! JavaScript and TypeScript onto the view (tree-sitter-javascript, tree-sitter-typescript).
use tree_sitter::Node;

use super::{literal_parts, Arg, Binding, Builder, Entry, Expr, Kind, ScopeKind};

/// Nodes whose children are statements.
const BODIES: &[&str] = &[
    "program",
    "statement_block",
    "class_body",
    "switch_case",
    "switch_default",
];

const FUNCTIONS: &[&str] = &[
    "function_declaration",
    "function_expression",
    "function",
    "arrow_function",
    "method_definition",
    "generator_function_declaration",
    "generator_function",
];

pub(super) fn walk(b: &mut Builder, node: Node) {
    match node.kind() {
        "comment" => return b.comment(node),
        k if FUNCTIONS.contains(&k) || matches!(k, "class_declaration" | "class") => {
            let kind = if FUNCTIONS.contains(&k) {
                ScopeKind::Function
            } else {
                ScopeKind::Class
            };
            let name = node
                .child_by_field_name("name")
                .map_or("", |n| b.src(n))
                .to_string();
            let params = node
                .child_by_field_name("parameters")
                .or_else(|| node.child_by_field_name("parameter"))
                .map(|p| params(b, p))
                .unwrap_or_default();
            return b.scoped(kind, node, &name, params, |b| {
                if k == "method_definition" && name == "constructor" {
                    if let Some(list) = node.child_by_field_name("parameters") {
                        parameter_properties(b, list);
                    }
                }
                children(b, node);
                // `([m, p]) => [m, [this.key, ...p]]`: a mutator that gives each call its
                // parameters back with the key first.
                if let Some(body) = node
                    .child_by_field_name("body")
                    .filter(|n| k == "arrow_function" && n.kind() != "statement_block")
                {
                    let value = expr(b, body);
                    b.view.returns.push(value);
                }
            });
        }
        "return_statement" => {
            children(b, node);
            if let Some(value) = node.named_child(0).filter(|n| n.kind() != "comment") {
                let value = expr(b, value);
                b.view.returns.push(value);
            }
            return;
        }
        "import_statement" => return imports(b, node, node),
        k if BODIES.contains(&k) => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                b.statement(child, |b| walk(b, child));
            }
            return;
        }
        "variable_declarator"
        | "assignment_expression"
        | "public_field_definition"
        | "field_definition" => {
            let (left, right) = match node.kind() {
                "variable_declarator" => (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("value"),
                ),
                "assignment_expression" => (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ),
                _ => (
                    node.child_by_field_name("property"),
                    node.child_by_field_name("value"),
                ),
            };
            if let (Some(left), Some(right)) = (left, right) {
                let value = expr(b, right);
                if matches!(value.kind, Kind::Str(_)) {
                    b.string(&value);
                } else {
                    walk(b, right);
                }
                match left.kind() {
                    "identifier" | "member_expression" => b.bind(left, value),
                    // A class field is read as `this.name`.
                    "property_identifier" | "private_property_identifier" => {
                        let mut binding = value;
                        binding.span = right.byte_range();
                        b.bind(left, binding);
                        if let Some(last) = b.view.bindings.last_mut() {
                            last.target = format!("this.{}", last.target);
                        }
                    }
                    _ => {}
                }
            }
            return;
        }
        "string" | "template_string" | "binary_expression" | "call_expression"
        | "new_expression" => {
            let e = expr(b, node);
            if b.leaf_string(&e) {
                return;
            }
        }
        _ => {}
    }
    children(b, node);
}

fn children(b: &mut Builder, node: Node) {
    b.children(node, walk);
}

/// TypeScript's `constructor(private apiKey: string)`: the parameter is `this.apiKey` before the
/// constructor's first statement.
fn parameter_properties(b: &mut Builder, list: Node) {
    let mut cursor = list.walk();
    for p in list.named_children(&mut cursor) {
        let mut c = p.walk();
        let property = matches!(p.kind(), "required_parameter" | "optional_parameter")
            && p.children(&mut c)
                .any(|m| matches!(m.kind(), "accessibility_modifier" | "readonly"));
        let name = p
            .child_by_field_name("pattern")
            .filter(|n| property && n.kind() == "identifier");
        if let Some(name) = name {
            let src = b.src(name).to_string();
            b.view.bindings.push(Binding {
                target: format!("this.{src}"),
                target_span: name.byte_range(),
                value: Expr {
                    span: name.byte_range(),
                    kind: Kind::Name(src),
                },
                scope: b.scope,
                stmt: p.byte_range(),
            });
        }
    }
}

fn params(b: &Builder, node: Node) -> Vec<String> {
    if node.kind() == "identifier" {
        return vec![b.src(node).to_string()];
    }
    let mut out = Vec::new();
    let mut cursor = node.walk();
    for p in node.named_children(&mut cursor) {
        let name = match p.kind() {
            "identifier" => Some(p),
            "assignment_pattern" => p.child_by_field_name("left"),
            "required_parameter" | "optional_parameter" => p.child_by_field_name("pattern"),
            _ => None,
        };
        out.extend(
            name.filter(|n| n.kind() == "identifier")
                .map(|n| b.src(n).to_string()),
        );
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
        "binary_expression" => b.concatenation(node, "+", expr),
        "call_expression" | "new_expression" => {
            let i = b.call(node, |b| call(b, node));
            let c = &b.view.calls[i];
            // `[key].concat(args)` joins lists.
            if c.name == "concat" {
                if let Some(r) = c
                    .receiver
                    .as_deref()
                    .filter(|r| matches!(r.kind, Kind::List(_)))
                {
                    let mut parts = vec![r.clone()];
                    parts.extend(c.args.iter().map(|a| a.value.clone()));
                    return Kind::Join(parts);
                }
            }
            Kind::Call(i)
        }
        "identifier" | "member_expression" | "this" | "property_identifier" => {
            let name = b.name(node);
            match &name {
                Kind::Name(n)
                    if n.chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | '#')) =>
                {
                    name
                }
                _ => Kind::Other,
            }
        }
        "array" => {
            let mut cursor = node.walk();
            let nodes: Vec<Node> = node
                .named_children(&mut cursor)
                .filter(|n| n.kind() != "comment")
                .collect();
            Kind::List(nodes.into_iter().map(|n| expr(b, n)).collect())
        }
        "object" => {
            let mut cursor = node.walk();
            let nodes: Vec<Node> = node.named_children(&mut cursor).collect();
            let mut entries = Vec::new();
            for p in nodes {
                match p.kind() {
                    "pair" => {
                        let (Some(k), Some(v)) =
                            (p.child_by_field_name("key"), p.child_by_field_name("value"))
                        else {
                            continue;
                        };
                        let key = match k.kind() {
                            "property_identifier" | "number" => Some(b.src(k).to_string()),
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
                    "shorthand_property_identifier" => entries.push(Entry {
                        key: Some(b.src(p).to_string()),
                        value: Expr {
                            span: p.byte_range(),
                            kind: Kind::Name(b.src(p).to_string()),
                        },
                        span: p.byte_range(),
                    }),
                    "spread_element" => entries.push(Entry {
                        key: None,
                        value: expr(b, p),
                        span: p.byte_range(),
                    }),
                    _ => {}
                }
            }
            Kind::Map(entries)
        }
        "spread_element" => match node.named_child(0) {
            Some(inner) => Kind::Splat(Box::new(expr(b, inner))),
            None => Kind::Other,
        },
        "parenthesized_expression"
        | "await_expression"
        | "as_expression"
        | "non_null_expression"
        | "satisfies_expression" => match node.named_child(0) {
            Some(inner) => b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "number" => Kind::Number,
        "null" | "undefined" | "true" | "false" => Kind::Nil,
        // The walk goes through what is inside, once.
        _ => Kind::Other,
    }
}

fn call(b: &mut Builder, node: Node) -> super::Call {
    let new = node.kind() == "new_expression";
    let function = node
        .child_by_field_name("function")
        .or_else(|| node.child_by_field_name("constructor"));
    let (name, receiver) = match function {
        Some(f) if f.kind() == "member_expression" => (
            f.child_by_field_name("property")
                .map_or("", |p| b.src(p))
                .to_string(),
            f.child_by_field_name("object").map(|o| expr(b, o)),
        ),
        Some(f) if f.kind() == "identifier" => (b.src(f).to_string(), None),
        _ => (String::new(), None),
    };
    let callee = match function {
        Some(f) => expr(b, f),
        None => Expr {
            span: node.byte_range(),
            kind: Kind::Other,
        },
    };
    let mut args = Vec::new();
    let arguments = node.child_by_field_name("arguments");
    if let Some(list) = arguments.filter(|a| a.kind() == "arguments") {
        let mut cursor = list.walk();
        let nodes: Vec<Node> = list
            .named_children(&mut cursor)
            .filter(|n| n.kind() != "comment")
            .collect();
        for a in nodes {
            let value = expr(b, a);
            args.push(Arg {
                keyword: None,
                value,
                span: a.byte_range(),
            });
        }
    }
    let parens = arguments
        .filter(|a| a.kind() == "arguments")
        .map(|a| a.byte_range());
    let mut c = b.new_call(node, name, receiver, callee, args, parens);
    c.new = new;
    c
}

/// The names an `import` binds: the default (`import cfg from`), the namespace (`* as cfg`)
/// and each named import under its alias (`{ key as apiKey }`).
fn imports(b: &mut Builder, node: Node, statement: Node) {
    let mut cursor = node.walk();
    let children: Vec<Node> = node.named_children(&mut cursor).collect();
    for child in children {
        match child.kind() {
            "identifier" => b.bind_import(child, statement),
            "import_specifier" => {
                let bound = child
                    .child_by_field_name("alias")
                    .or_else(|| child.child_by_field_name("name"));
                if let Some(bound) = bound.filter(|n| n.kind() == "identifier") {
                    b.bind_import(bound, statement);
                }
            }
            "import_clause" | "namespace_import" | "named_imports" => imports(b, child, statement),
            _ => {}
        }
    }
}
