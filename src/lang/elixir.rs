//! Elixir onto the view (tree-sitter-elixir): `def`/`defp` are functions and `defmodule` a
//! class, `@attr value` and `x = value` bindings, `"…#{app}…"` and `<>` strings, `[key | rest]`
//! a join of two lists, and the `%XMLRPC.MethodCall{method_name: m, params: p}` struct (the
//! `xmlrpc` hex package's request) a call `MethodCall(m, p)`.
use tree_sitter::Node;

use super::{join, literal_parts, Arg, Builder, Entry, Expr, Kind, ScopeKind};

const DEFS: &[&str] = &["def", "defp", "defmacro", "defmacrop"];

pub(super) fn walk(b: &mut Builder, node: Node) {
    match node.kind() {
        "comment" => return b.comment(node),
        "do_block" | "source" | "block" => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                b.statement(child, |b| walk(b, child));
            }
            return;
        }
        "call" => {
            let target = node.child_by_field_name("target").map_or("", |t| b.src(t));
            let head = arguments(node).and_then(|a| a.named_child(0));
            if target == "defmodule" || DEFS.contains(&target) {
                let (kind, name, params) = match head {
                    Some(h) if target != "defmodule" => {
                        // `def f(a, b) when is_binary(a)`: the guard is not the head.
                        let h = match h.kind() {
                            "binary_operator" => h.child_by_field_name("left").unwrap_or(h),
                            _ => h,
                        };
                        let name = h
                            .child_by_field_name("target")
                            .map_or_else(|| b.src(h), |t| b.src(t));
                        let params = arguments(h)
                            .map(|a| {
                                let mut cursor = a.walk();
                                a.named_children(&mut cursor)
                                    .filter(|p| p.kind() == "identifier")
                                    .map(|p| b.src(p).to_string())
                                    .collect()
                            })
                            .unwrap_or_default();
                        (ScopeKind::Function, name.to_string(), params)
                    }
                    _ => (
                        ScopeKind::Class,
                        head.map_or("", |h| b.src(h)).to_string(),
                        Vec::new(),
                    ),
                };
                return b.scoped(kind, node, &name, params, |b| {
                    children(b, node);
                    if kind == ScopeKind::Function {
                        result(b, node, &name);
                    }
                });
            }
        }
        // `@api_key "…"`; `@moduledoc`/`@doc` are documentation, `@spec`/`@type` types.
        "unary_operator" if operator(b, node) == "@" => {
            let Some(attr) = node.child_by_field_name("operand") else {
                return;
            };
            let name = attr.child_by_field_name("target").map(|t| b.src(t));
            match name {
                Some("moduledoc" | "doc" | "typedoc") => return b.comment(node),
                Some("spec" | "type" | "typep" | "opaque" | "callback") => return,
                _ => {}
            }
            let value = arguments(attr).and_then(|a| a.named_child(0));
            if let (Some(_), Some(value)) = (name, value) {
                let e = expr(b, value);
                if !b.leaf_string(&e) {
                    walk(b, value);
                }
                let end = attr
                    .child_by_field_name("target")
                    .map_or(node.end_byte(), |t| t.end_byte());
                bind_at(b, node.start_byte()..end, e);
                return;
            }
        }
        "binary_operator" if operator(b, node) == "=" => {
            if let (Some(left), Some(right)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                let e = expr(b, right);
                if !b.leaf_string(&e) {
                    walk(b, right);
                }
                if left.kind() == "identifier" {
                    b.bind(left, e);
                }
                return;
            }
        }
        "string" | "binary_operator" | "map" => {
            let e = expr(b, node);
            if b.leaf_string(&e) {
                return;
            }
        }
        _ => {}
    }
    if node.kind() == "call" {
        let e = expr(b, node);
        b.string(&e);
    }
    children(b, node);
}

fn children(b: &mut Builder, node: Node) {
    b.children(node, walk);
}

/// What a function returns, bound to its name: its last expression (`def params(p, key),
/// do: [key | p]`), where a wrapper builds every call's parameters.
fn result(b: &mut Builder, def: Node, name: &str) {
    let mut cursor = def.walk();
    let body = def
        .named_children(&mut cursor)
        .find(|c| c.kind() == "do_block");
    let last = match body {
        Some(block) => block.named_child(block.named_child_count().saturating_sub(1)),
        None => arguments(def)
            .and_then(|a| a.named_child(a.named_child_count().saturating_sub(1)))
            .filter(|k| k.kind() == "keywords")
            .and_then(|k| {
                let mut cursor = k.walk();
                let found = k.named_children(&mut cursor).find(|p| {
                    p.child_by_field_name("key")
                        .is_some_and(|key| b.src(key).starts_with("do:"))
                });
                found
            })
            .and_then(|p| p.child_by_field_name("value")),
    };
    if let Some(last) = last.filter(|l| l.kind() == "list") {
        let value = expr(b, last);
        let span = def
            .child_by_field_name("target")
            .map_or(0..0, |t| t.byte_range());
        b.view.bindings.push(super::Binding {
            target: name.to_string(),
            target_span: span,
            value,
            scope: b.scope,
            stmt: last.byte_range(),
        });
    }
}

/// A binding whose target is `@name`, the span of the attribute's name.
fn bind_at(b: &mut Builder, span: std::ops::Range<usize>, value: Expr) {
    let target: String = b.text[span.clone()].split_whitespace().collect();
    b.view.bindings.push(super::Binding {
        target,
        target_span: span,
        value,
        scope: b.scope,
        stmt: b.stmt.clone(),
    });
}

fn operator<'t>(b: &Builder<'t>, node: Node) -> &'t str {
    node.child_by_field_name("operator")
        .map_or("", |o| b.src(o))
}

/// A call's `arguments` child.
fn arguments(node: Node) -> Option<Node> {
    let mut cursor = node.walk();
    let found = node
        .named_children(&mut cursor)
        .find(|c| c.kind() == "arguments");
    found
}

fn expr(b: &mut Builder, node: Node) -> Expr {
    b.expr(node, kind)
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '!' | '?'))
}

fn kind(b: &mut Builder, node: Node) -> Kind {
    match node.kind() {
        "string" | "charlist" => Kind::Str(literal_parts(
            node,
            b.text,
            &["quoted_content", "escape_sequence"],
        )),
        "binary_operator" => {
            let (Some(left), Some(right)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) else {
                return Kind::Other;
            };
            match operator(b, node) {
                "<>" => join(vec![expr(b, left), expr(b, right)]).map_or(Kind::Other, Kind::Str),
                "++" => Kind::Join(vec![expr(b, left), expr(b, right)]),
                _ => Kind::Other,
            }
        }
        "identifier" | "alias" => match b.name(node) {
            Kind::Name(n) if is_name(&n) => Kind::Name(n),
            _ => Kind::Other,
        },
        "unary_operator" if operator(b, node) == "@" => match b.name(node) {
            Kind::Name(n) if is_name(&n) => Kind::Name(n),
            _ => Kind::Other,
        },
        "list" => list(b, node),
        "map" => map(b, node),
        "call" => {
            let target = node.child_by_field_name("target");
            // `state.api_key`, `config.key`: a field read, no parentheses.
            if arguments(node).is_none() && target.is_some_and(|t| t.kind() == "dot") {
                if let Kind::Name(n) = b.name(node) {
                    if is_name(&n) {
                        return Kind::Name(n);
                    }
                }
            }
            Kind::Call(b.call(node, |b| call(b, node)))
        }
        "integer" | "float" => Kind::Number,
        "nil" | "boolean" => Kind::Nil,
        _ => Kind::Other,
    }
}

/// `[a, b]`; `[key | rest]` (and `[a, key | rest]`) joins the items to the list after the bar;
/// `[method_name: m]` is a keyword list, a map.
fn list(b: &mut Builder, node: Node) -> Kind {
    let mut cursor = node.walk();
    let items: Vec<Node> = node
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect();
    if let [only] = &items[..] {
        if only.kind() == "keywords" {
            return Kind::Map(pairs(b, *only));
        }
    }
    let mut exprs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let last = i + 1 == items.len();
        if last && item.kind() == "binary_operator" && operator(b, *item) == "|" {
            if let (Some(left), Some(right)) = (
                item.child_by_field_name("left"),
                item.child_by_field_name("right"),
            ) {
                exprs.push(expr(b, left));
                let head = Expr {
                    span: node.start_byte()..left.end_byte(),
                    kind: Kind::List(exprs),
                };
                return Kind::Join(vec![head, expr(b, right)]);
            }
        }
        exprs.push(expr(b, *item));
    }
    Kind::List(exprs)
}

fn pairs(b: &mut Builder, keywords: Node) -> Vec<Entry> {
    let mut cursor = keywords.walk();
    let pairs: Vec<Node> = keywords.named_children(&mut cursor).collect();
    pairs
        .into_iter()
        .filter_map(|p| {
            let key = p.child_by_field_name("key")?;
            let value = p.child_by_field_name("value")?;
            Some(Entry {
                key: Some(b.src(key).trim().trim_end_matches(':').to_string()),
                value: expr(b, value),
                span: p.byte_range(),
            })
        })
        .collect()
}

/// `%{"a" => 1}`, `%{a: 1}`; `%XMLRPC.MethodCall{method_name: m, params: p}` is the call it
/// asks for.
fn map(b: &mut Builder, node: Node) -> Kind {
    let mut cursor = node.walk();
    let children: Vec<Node> = node.named_children(&mut cursor).collect();
    let structure = children.iter().find(|c| c.kind() == "struct");
    let content = children.iter().find(|c| c.kind() == "map_content");
    let mut entries = Vec::new();
    if let Some(content) = content {
        let mut cursor = content.walk();
        let items: Vec<Node> = content.named_children(&mut cursor).collect();
        for item in items {
            match item.kind() {
                "keywords" => entries.extend(pairs(b, item)),
                "binary_operator" if operator(b, item) == "=>" => {
                    let (Some(k), Some(v)) = (
                        item.child_by_field_name("left"),
                        item.child_by_field_name("right"),
                    ) else {
                        continue;
                    };
                    let key = match expr(b, k).kind {
                        Kind::Str(t) if t.is_plain() => Some(t.text),
                        _ => None,
                    };
                    entries.push(Entry {
                        key,
                        value: expr(b, v),
                        span: item.byte_range(),
                    });
                }
                _ => {}
            }
        }
    }
    if structure.is_some_and(|s| b.src(*s).ends_with("MethodCall")) {
        let find = |name: &str| entries.iter().find(|e| e.key.as_deref() == Some(name));
        if let (Some(method), Some(params)) = (find("method_name"), find("params")) {
            let args = [method, params]
                .iter()
                .map(|e| Arg {
                    keyword: None,
                    value: e.value.clone(),
                    span: e.span.clone(),
                })
                .collect();
            let callee = Expr {
                span: node.byte_range(),
                kind: Kind::Other,
            };
            let c = b.new_call(node, "MethodCall".to_string(), None, callee, args, None);
            return Kind::Call(b.call(node, |_| c));
        }
    }
    Kind::Map(entries)
}

fn call(b: &mut Builder, node: Node) -> super::Call {
    let target = node.child_by_field_name("target");
    let (name, receiver) = match target {
        Some(t) if t.kind() == "dot" => (
            t.child_by_field_name("right")
                .map_or("", |r| b.src(r))
                .to_string(),
            t.child_by_field_name("left").map(|l| expr(b, l)),
        ),
        Some(t) => (b.src(t).to_string(), None),
        None => (String::new(), None),
    };
    let callee = match target {
        Some(t) => match b.name(t) {
            Kind::Name(n) if is_name(&n) => Expr {
                span: t.byte_range(),
                kind: Kind::Name(n),
            },
            _ => Expr {
                span: t.byte_range(),
                kind: Kind::Other,
            },
        },
        None => Expr {
            span: node.byte_range(),
            kind: Kind::Other,
        },
    };
    let arguments = arguments(node);
    let mut args = Vec::new();
    if let Some(list) = arguments {
        let mut cursor = list.walk();
        let items: Vec<Node> = list.named_children(&mut cursor).collect();
        for a in items {
            if a.kind() == "keywords" {
                for e in pairs(b, a) {
                    args.push(Arg {
                        keyword: e.key,
                        value: e.value,
                        span: e.span,
                    });
                }
            } else if a.kind() != "comment" {
                args.push(Arg {
                    keyword: None,
                    value: expr(b, a),
                    span: a.byte_range(),
                });
            }
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
