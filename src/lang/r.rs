//! R onto the view (tree-sitter-r): `x <- v`, `x = v`, `v -> x` bindings, `function(…)`
//! scopes named by what they are bound to, calls with named arguments as keywords, and the
//! strings `paste`, `paste0` and `sprintf` build.
use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::Node;

use super::{expand_format, literal_parts, Arg, Builder, Expr, Kind, ScopeKind, Template};

static FORMAT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"%[-+# 0]*\d*(?:\.\d+)?[sdifx]").unwrap());

const ASSIGN: &[&str] = &["<-", "=", "<<-", "->", "->>", ":="];

pub(super) fn walk(b: &mut Builder, node: Node) {
    match node.kind() {
        "comment" => return b.comment(node),
        "program" | "braced_expression" => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                b.statement(child, |b| walk(b, child));
            }
            return;
        }
        "function_definition" => {
            // `fetch <- function(app, key = apiKey)`: named by what it is bound to.
            let name = node
                .parent()
                .filter(|p| p.kind() == "binary_operator")
                .and_then(|p| p.child_by_field_name("lhs"))
                .map_or("", |n| b.src(n))
                .to_string();
            let params = node
                .child_by_field_name("parameters")
                .map(|list| {
                    let mut cursor = list.walk();
                    list.children_by_field_name("parameter", &mut cursor)
                        .filter_map(|p| p.child_by_field_name("name"))
                        .map(|n| b.src(n).to_string())
                        .collect()
                })
                .unwrap_or_default();
            return b.scoped(ScopeKind::Function, node, &name, params, |b| {
                children(b, node)
            });
        }
        "binary_operator" if ASSIGN.contains(&operator(b, node)) => {
            let (Some(lhs), Some(rhs)) = (
                node.child_by_field_name("lhs"),
                node.child_by_field_name("rhs"),
            ) else {
                return children(b, node);
            };
            let (target, value) = if operator(b, node).starts_with("->") {
                (rhs, lhs)
            } else {
                (lhs, rhs)
            };
            let e = expr(b, value);
            if !b.leaf_string(&e) {
                walk(b, value);
            }
            if matches!(target.kind(), "identifier" | "extract_operator")
                && matches!(b.name(target), Kind::Name(ref n) if is_name(n))
            {
                b.bind(target, e);
            }
            return;
        }
        "string" | "call" => {
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

fn operator<'t>(b: &Builder<'t>, node: Node) -> &'t str {
    node.child_by_field_name("operator")
        .map_or("", |o| b.src(o))
}

fn expr(b: &mut Builder, node: Node) -> Expr {
    b.expr(node, kind)
}

/// `key`, `self$key`, `input$apikey`, `XMLRPC::xml.rpc`.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | '@' | ':'))
}

fn kind(b: &mut Builder, node: Node) -> Kind {
    match node.kind() {
        "string" => Kind::Str(literal_parts(node, b.text, &["string_content"])),
        "identifier" | "extract_operator" | "namespace_operator" => match b.name(node) {
            Kind::Name(n) if is_name(&n) => Kind::Name(n),
            _ => Kind::Other,
        },
        "parenthesized_expression" => match node.named_child(0) {
            Some(inner) => b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "call" => {
            let i = b.call(node, |b| call(b, node));
            let c = &b.view.calls[i];
            let positional: Vec<Expr> = c.positional().map(|a| a.value.clone()).collect();
            match c.name.as_str() {
                // `paste("https://", app, ".infusionsoft.com/api/xmlrpc", sep = "")`
                "paste" | "paste0" => {
                    let sep = match (c.name.as_str(), c.keyword("sep").map(|s| &s.value.kind)) {
                        (_, Some(Kind::Str(t))) if t.is_plain() => Some(t.text.clone()),
                        ("paste0", None) => Some(String::new()),
                        // paste's default separator is a space: no URL is built that way.
                        _ => None,
                    };
                    match sep {
                        Some(sep) if !positional.is_empty() => paste(positional, &sep),
                        _ => Kind::Call(i),
                    }
                }
                "sprintf" => match positional.split_first() {
                    Some((
                        Expr {
                            kind: Kind::Str(f), ..
                        },
                        rest,
                    )) => Kind::Str(expand_format(f.clone(), rest, node.byte_range(), &FORMAT)),
                    _ => Kind::Call(i),
                },
                // `c(key, data)`, `list(key, data)`: the parameters `xml.rpc(.args = …)` takes.
                "c" | "list" if c.args.iter().all(|a| a.keyword.is_none()) => {
                    Kind::List(positional)
                }
                _ => Kind::Call(i),
            }
        }
        "integer" | "float" => Kind::Number,
        "null" | "true" | "false" | "na" => Kind::Nil,
        _ => Kind::Other,
    }
}

/// The string `paste` builds: its parts joined by the separator; a computed part is a hole.
fn paste(parts: Vec<Expr>, sep: &str) -> Kind {
    let mut out = Template::default();
    let mut any = false;
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 && !sep.is_empty() {
            out.text += sep;
        }
        match p.kind {
            Kind::Str(t) => {
                any = true;
                out.append(t);
            }
            _ => out.hole(p.span),
        }
    }
    if any {
        Kind::Str(out)
    } else {
        Kind::Other
    }
}

fn call(b: &mut Builder, node: Node) -> super::Call {
    let function = node.child_by_field_name("function");
    let callee = match function {
        Some(f) => expr(b, f),
        None => Expr {
            span: node.byte_range(),
            kind: Kind::Other,
        },
    };
    // `XMLRPC::xml.rpc` is `xml.rpc`; `client$call` is `call` on `client`.
    let (name, receiver) = match function {
        Some(f) if f.kind() == "extract_operator" => (
            f.child_by_field_name("rhs")
                .map_or("", |r| b.src(r))
                .to_string(),
            f.child_by_field_name("lhs").map(|l| expr(b, l)),
        ),
        Some(f) if f.kind() == "namespace_operator" => (
            f.child_by_field_name("rhs")
                .map_or("", |r| b.src(r))
                .to_string(),
            None,
        ),
        Some(f) => (b.src(f).to_string(), None),
        None => (String::new(), None),
    };
    let arguments = node.child_by_field_name("arguments");
    let mut args = Vec::new();
    if let Some(list) = arguments {
        let mut cursor = list.walk();
        let items: Vec<Node> = list
            .children_by_field_name("argument", &mut cursor)
            .collect();
        for a in items {
            let Some(value) = a.child_by_field_name("value") else {
                continue;
            };
            args.push(Arg {
                keyword: a
                    .child_by_field_name("name")
                    .map(|n| b.src(n).trim_matches(['"', '\'', '`']).to_string()),
                value: expr(b, value),
                span: a.byte_range(),
            });
        }
    }
    b.new_call(
        node,
        name,
        receiver,
        callee,
        args,
        arguments.map(|a| a.byte_range()),
    )
}
