//! Objective-C onto the view (tree-sitter-objc): message sends are calls named by their first
//! selector piece, their arguments in order (`[request setMethod:@"X.y" withParameters:p]` is
//! `setMethod(@"X.y", p)`), `[[T alloc] initWith…:]` is `new T(…)`, and
//! `[@[key] arrayByAddingObjectsFromArray:rest]` joins two lists.
use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::Node;

use super::{expand_format, join, literal_parts, Arg, Builder, Entry, Expr, Kind, ScopeKind};

/// `%@`, `%s`, `%d`, `%ld`: where `stringWithFormat:` puts its arguments.
static FORMAT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"%[-+# 0]*\d*(?:\.\d+)?(?:l|ll|h|z|q)?[@sdiuxXfg]").unwrap());

pub(super) fn walk(b: &mut Builder, node: Node) {
    match node.kind() {
        "comment" => return b.comment(node),
        "class_implementation" | "class_interface" | "category_implementation" => {
            let name = node.named_child(0).map_or("", |n| b.src(n)).to_string();
            return b.scoped(ScopeKind::Class, node, &name, Vec::new(), |b| {
                children(b, node)
            });
        }
        "method_definition" | "function_definition" => {
            let mut cursor = node.walk();
            let params: Vec<String> = node
                .named_children(&mut cursor)
                .filter(|p| p.kind() == "method_parameter")
                .filter_map(|p| p.named_child(p.named_child_count().checked_sub(1)?))
                .map(|n| b.src(n).to_string())
                .collect();
            let name = node.named_child(1).map_or("", |n| b.src(n)).to_string();
            return b.scoped(ScopeKind::Function, node, &name, params, |b| {
                children(b, node)
            });
        }
        "compound_statement" | "translation_unit" => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                b.statement(child, |b| walk(b, child));
            }
            return;
        }
        // `NSString *key = @"…";`, `static NSString * const kKey = @"…";`
        "init_declarator" | "assignment_expression" => {
            let (target, value) = match node.kind() {
                "init_declarator" => (
                    node.child_by_field_name("declarator").map(declared),
                    node.child_by_field_name("value"),
                ),
                _ => (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ),
            };
            if let (Some(target), Some(value)) = (target, value) {
                let e = expr(b, value);
                if !b.leaf_string(&e) {
                    walk(b, value);
                }
                if matches!(target.kind(), "identifier" | "field_expression") {
                    b.bind(target, e);
                }
                return;
            }
        }
        "string_literal" | "concatenated_string" | "message_expression" | "call_expression" => {
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

/// The name a declarator declares: `*key`, `* const kKey`, `key[]`.
fn declared(node: Node) -> Node {
    let mut node = node;
    while let Some(inner) = node.child_by_field_name("declarator") {
        node = inner;
    }
    node
}

fn expr(b: &mut Builder, node: Node) -> Expr {
    b.expr(node, kind)
}

fn kind(b: &mut Builder, node: Node) -> Kind {
    match node.kind() {
        "string_literal" => Kind::Str(literal_parts(
            node,
            b.text,
            &["string_content", "escape_sequence"],
        )),
        // `@"https://" @"app.infusionsoft.com"`: adjacent literals are one string.
        "concatenated_string" => {
            let mut cursor = node.walk();
            let parts = node
                .named_children(&mut cursor)
                .map(|p| expr(b, p))
                .collect();
            join(parts).map_or(Kind::Other, Kind::Str)
        }
        "identifier" | "field_expression" => {
            let name: String = b.src(node).split_whitespace().collect();
            if name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
            {
                Kind::Name(name)
            } else {
                Kind::Other
            }
        }
        "array_literal" => {
            let mut cursor = node.walk();
            let items: Vec<Node> = node
                .named_children(&mut cursor)
                .filter(|n| n.kind() != "comment")
                .collect();
            Kind::List(items.into_iter().map(|n| expr(b, n)).collect())
        }
        "dictionary_literal" => {
            let mut cursor = node.walk();
            let pairs: Vec<Node> = node
                .named_children(&mut cursor)
                .filter(|n| n.kind() == "dictionary_pair")
                .collect();
            let mut entries = Vec::new();
            for p in pairs {
                let (Some(k), Some(v)) = (p.named_child(0), p.named_child(1)) else {
                    continue;
                };
                let key = match expr(b, k).kind {
                    Kind::Str(t) if t.is_plain() => Some(t.text),
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
        "parenthesized_expression" | "at_expression" => match node.named_child(0) {
            Some(inner) => b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "message_expression" | "call_expression" => {
            let i = b.call(node, |b| call(b, node));
            let c = &b.view.calls[i];
            if c.name == "stringWithFormat" || c.name == "initWithFormat" {
                let mut args = c.args.iter().map(|a| &a.value);
                if let Some(Kind::Str(format)) = args.next().map(|f| f.kind.clone()) {
                    let rest: Vec<Expr> = args.cloned().collect();
                    return Kind::Str(expand_format(format, &rest, node.byte_range(), &FORMAT));
                }
            }
            // `[@[self.apiKey] arrayByAddingObjectsFromArray:params]`
            if c.name == "arrayByAddingObjectsFromArray" {
                if let (Some(first), Some(rest)) = (c.receiver.as_deref(), c.args.first()) {
                    if matches!(first.kind, Kind::List(_)) {
                        return Kind::Join(vec![first.clone(), rest.value.clone()]);
                    }
                }
            }
            Kind::Call(i)
        }
        "number_literal" => Kind::Number,
        "null" | "true" | "false" => Kind::Nil,
        _ => Kind::Other,
    }
}

fn call(b: &mut Builder, node: Node) -> super::Call {
    if node.kind() == "call_expression" {
        let function = node.child_by_field_name("function");
        let arguments = node.child_by_field_name("arguments");
        let mut cursor = node.walk();
        let args = arguments
            .map(|a| a.named_children(&mut cursor).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.kind() != "comment")
            .map(|a| arg(b, a))
            .collect();
        let name = function.map_or("", |f| b.src(f)).to_string();
        let callee = match function {
            Some(f) => expr(b, f),
            None => other(node),
        };
        return b.new_call(
            node,
            name,
            None,
            callee,
            args,
            arguments.map(|a| a.byte_range()),
        );
    }
    let receiver = node.child_by_field_name("receiver");
    let mut cursor = node.walk();
    let mut name = String::new();
    let mut args = Vec::new();
    for (i, child) in node.children(&mut cursor).enumerate() {
        if !child.is_named() || child.kind() == "comment" {
            continue;
        }
        match node.field_name_for_child(i as u32) {
            Some("receiver") => {}
            Some("method") if name.is_empty() => name = b.src(child).to_string(),
            Some("method") => {}
            _ => args.push(child),
        }
    }
    let args: Vec<Arg> = args.into_iter().map(|a| arg(b, a)).collect();
    // `[[XMLRPCRequest alloc] initWithURL:url]` makes an `XMLRPCRequest`, as `new` would.
    let alloc = receiver
        .filter(|r| r.kind() == "message_expression")
        .filter(|_| name.starts_with("init"))
        .and_then(|r| {
            let selector = r.child_by_field_name("method")?;
            let class = r.child_by_field_name("receiver")?;
            (b.src(selector) == "alloc" && class.kind() == "identifier").then_some(class)
        });
    if let Some(class) = alloc {
        let class_name = b.src(class).to_string();
        let callee = expr(b, class);
        let mut c = b.new_call(node, class_name, None, callee, args, None);
        c.new = true;
        return c;
    }
    let receiver = receiver.map(|r| expr(b, r));
    let callee = other(node);
    b.new_call(node, name, receiver, callee, args, None)
}

fn arg(b: &mut Builder, node: Node) -> Arg {
    Arg {
        keyword: None,
        value: expr(b, node),
        span: node.byte_range(),
    }
}

fn other(node: Node) -> Expr {
    Expr {
        span: node.byte_range(),
        kind: Kind::Other,
    }
}
