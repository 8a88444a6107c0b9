//! Go onto the view (tree-sitter-go).
use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::Node;

use super::{expand_format, literal_parts, Arg, Builder, Entry, Expr, Kind, ScopeKind};

/// `%s`, `%v`, `%d`, `%q`: where `fmt.Sprintf` puts its arguments (`%%` is no placeholder).
static VERB: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"%[-+# 0]*\d*(?:\.\d+)?[svdqx]").unwrap());

/// Nodes whose children are statements.
const BODIES: &[&str] = &["source_file", "statement_list"];

const FUNCTIONS: &[&str] = &["function_declaration", "method_declaration", "func_literal"];

pub(super) fn walk(b: &mut Builder, node: Node) {
    match node.kind() {
        "comment" => return b.comment(node),
        k if FUNCTIONS.contains(&k) => {
            let name = node
                .child_by_field_name("name")
                .map_or("", |n| b.src(n))
                .to_string();
            // A method's receiver is as local to it as its parameters.
            let mut names = Vec::new();
            for field in ["receiver", "parameters"] {
                if let Some(list) = node.child_by_field_name(field) {
                    names.extend(params(b, list));
                }
            }
            return b.scoped(ScopeKind::Function, node, &name, names, |b| {
                children(b, node)
            });
        }
        k if BODIES.contains(&k) => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                b.statement(child, |b| walk(b, child));
            }
            return;
        }
        "short_var_declaration" | "assignment_statement" | "var_spec" | "const_spec" => {
            let op = node.child_by_field_name("operator").map(|o| b.src(o));
            if op.is_some_and(|o| o != "=") {
                return children(b, node);
            }
            let (targets, values) = match node.kind() {
                "var_spec" | "const_spec" => {
                    let mut cursor = node.walk();
                    let names: Vec<Node> = node
                        .children_by_field_name("name", &mut cursor)
                        .filter(|n| n.kind() == "identifier")
                        .collect();
                    let values = node
                        .child_by_field_name("value")
                        .map(list)
                        .unwrap_or_default();
                    (names, values)
                }
                _ => (
                    node.child_by_field_name("left")
                        .map(list)
                        .unwrap_or_default(),
                    node.child_by_field_name("right")
                        .map(list)
                        .unwrap_or_default(),
                ),
            };
            let exprs: Vec<Expr> = values.iter().map(|v| expr(b, *v)).collect();
            for (value, e) in values.iter().zip(&exprs) {
                if matches!(e.kind, Kind::Str(_)) {
                    b.string(e);
                } else {
                    walk(b, *value);
                }
            }
            // `client, err := xmlrpc.NewClient(…)`: one call gives every name; the first is
            // the value.
            let pairs: Vec<(Node, Expr)> = if exprs.len() == 1 && targets.len() > 1 {
                vec![(targets[0], exprs[0].clone())]
            } else {
                targets.into_iter().zip(exprs).collect()
            };
            for (target, value) in pairs {
                if matches!(target.kind(), "identifier" | "selector_expression")
                    && matches!(b.name(target), Kind::Name(ref n) if is_name(n))
                {
                    b.bind(target, value);
                }
            }
            return;
        }
        "interpreted_string_literal"
        | "raw_string_literal"
        | "binary_expression"
        | "call_expression" => {
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

/// The named children of a list node, comments aside.
fn list(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

/// The names a parameter list declares: `apiKey, url string` declares two.
fn params(b: &Builder, node: Node) -> Vec<String> {
    let mut out = Vec::new();
    for p in list(node) {
        let mut cursor = p.walk();
        out.extend(
            p.children_by_field_name("name", &mut cursor)
                .map(|n| b.src(n).to_string()),
        );
    }
    out
}

fn expr(b: &mut Builder, node: Node) -> Expr {
    b.expr(node, kind)
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
}

fn kind(b: &mut Builder, node: Node) -> Kind {
    match node.kind() {
        "interpreted_string_literal" => Kind::Str(literal_parts(
            node,
            b.text,
            &["interpreted_string_literal_content", "escape_sequence"],
        )),
        "raw_string_literal" => {
            Kind::Str(literal_parts(node, b.text, &["raw_string_literal_content"]))
        }
        "binary_expression" => b.concatenation(node, "+", expr),
        "call_expression" => {
            let i = b.call(node, |b| call(b, node));
            let c = &b.view.calls[i];
            // `fmt.Sprintf("https://%s.infusionsoft.com/api/xmlrpc", app)` builds a string.
            if c.path() == Some("fmt.Sprintf") {
                let mut args = c.args.iter().map(|a| &a.value);
                if let Some(Kind::Str(format)) = args.next().map(|f| f.kind.clone()) {
                    let rest: Vec<Expr> = args.cloned().collect();
                    return Kind::Str(expand_format(format, &rest, node.byte_range(), &VERB));
                }
            }
            Kind::Call(i)
        }
        "identifier" | "selector_expression" => match b.name(node) {
            Kind::Name(n) if is_name(&n) => Kind::Name(n),
            _ => Kind::Other,
        },
        "composite_literal" => match node.child_by_field_name("body") {
            Some(body) => literal(b, body),
            None => Kind::Other,
        },
        "literal_value" => literal(b, node),
        "literal_element" => match node.named_child(0) {
            Some(inner) => b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "variadic_argument" => match node.named_child(0) {
            Some(inner) => Kind::Splat(Box::new(expr(b, inner))),
            None => Kind::Other,
        },
        // `&Connection{…}` is the literal for what is read from it.
        "unary_expression"
            if node
                .child_by_field_name("operator")
                .is_some_and(|o| b.src(o) == "&") =>
        {
            match node.child_by_field_name("operand") {
                Some(inner) if inner.kind() == "composite_literal" => {
                    b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other)
                }
                _ => Kind::Other,
            }
        }
        "parenthesized_expression" => match node.named_child(0) {
            Some(inner) => b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "int_literal" | "float_literal" => Kind::Number,
        "nil" | "true" | "false" => Kind::Nil,
        // The walk goes through what is inside, once.
        _ => Kind::Other,
    }
}

/// `[]interface{}{key, data}` is a list; `Contact{Email: e}`, `map[string]string{"a": b}` a map.
fn literal(b: &mut Builder, body: Node) -> Kind {
    let elements = list(body);
    if !elements.iter().any(|e| e.kind() == "keyed_element") {
        return Kind::List(elements.into_iter().map(|e| expr(b, e)).collect());
    }
    let mut entries = Vec::new();
    for e in elements {
        let (Some(k), Some(v)) = (e.named_child(0), e.named_child(1)) else {
            continue;
        };
        let key = match expr(b, k).kind {
            Kind::Name(n) if !n.contains('.') => Some(n),
            Kind::Str(t) if t.is_plain() => Some(t.text),
            _ => None,
        };
        entries.push(Entry {
            key,
            value: expr(b, v),
            span: e.byte_range(),
        });
    }
    Kind::Map(entries)
}

fn call(b: &mut Builder, node: Node) -> super::Call {
    let function = node.child_by_field_name("function");
    let (name, receiver) = match function {
        Some(f) if f.kind() == "selector_expression" => (
            f.child_by_field_name("field")
                .map_or("", |p| b.src(p))
                .to_string(),
            f.child_by_field_name("operand").map(|o| expr(b, o)),
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
    let arguments = node.child_by_field_name("arguments");
    let args = arguments
        .map(list)
        .unwrap_or_default()
        .into_iter()
        .map(|a| Arg {
            keyword: None,
            value: expr(b, a),
            span: a.byte_range(),
        })
        .collect();
    b.new_call(
        node,
        name,
        receiver,
        callee,
        args,
        arguments.map(|a| a.byte_range()),
    )
}
