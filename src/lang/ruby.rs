//! Ruby onto the view (tree-sitter-ruby).
use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::Node;

use super::{expand_format, join, literal_parts, Arg, Builder, Entry, Expr, Kind, ScopeKind};

static PERCENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"%(?:<[^>]*>)?[-#0 +]*\d*(?:\.\d+)?[sdif]").unwrap());

/// Nodes whose children are statements.
const BODIES: &[&str] = &[
    "program",
    "body_statement",
    "block_body",
    "then",
    "else",
    "do",
    "begin",
    "ensure",
    "rescue",
];

pub(super) fn walk(b: &mut Builder, node: Node) {
    match node.kind() {
        "comment" => return b.comment(node),
        "method" | "singleton_method" | "class" | "module" | "singleton_class" => {
            let kind = if matches!(node.kind(), "method" | "singleton_method") {
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
                .map(|p| params(b, p))
                .unwrap_or_default();
            return b.scoped(kind, node, &name, params, |b| children(b, node));
        }
        k if BODIES.contains(&k) => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                b.statement(child, |b| walk(b, child));
            }
            return;
        }
        "assignment" | "operator_assignment" => {
            if let (Some(left), Some(right)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                // `ENDPOINT = '…'.freeze` holds the string: its own span is what a rewrite edits.
                let right = frozen_string(b, right).unwrap_or(right);
                let value = expr(b, right);
                if matches!(value.kind, Kind::Str(_)) {
                    b.string(&value);
                } else {
                    walk(b, right);
                }
                if matches!(
                    left.kind(),
                    "identifier"
                        | "instance_variable"
                        | "constant"
                        | "class_variable"
                        | "global_variable"
                        | "scope_resolution"
                ) || (left.kind() == "call"
                    && matches!(b.name(left), Kind::Name(ref n) if is_name(n)))
                {
                    b.bind(left, value);
                }
            }
            return;
        }
        "string" | "binary" | "call" => {
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

fn params(b: &Builder, node: Node) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    for p in node.named_children(&mut cursor) {
        let name = match p.kind() {
            "identifier" => Some(p),
            _ => p.child_by_field_name("name"),
        };
        out.extend(name.map(|n| b.src(n).to_string()));
    }
    out
}

/// The string of `"…".freeze`.
fn frozen_string<'n>(b: &Builder, node: Node<'n>) -> Option<Node<'n>> {
    let frozen = node.kind() == "call"
        && node.child_by_field_name("arguments").is_none()
        && node
            .child_by_field_name("method")
            .is_some_and(|m| b.src(m) == "freeze");
    let receiver = node.child_by_field_name("receiver")?;
    (frozen && receiver.kind() == "string").then_some(receiver)
}

fn expr(b: &mut Builder, node: Node) -> Expr {
    b.expr(node, kind)
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '@' | '$' | '?' | '!'))
}

fn kind(b: &mut Builder, node: Node) -> Kind {
    match node.kind() {
        "string" => Kind::Str(literal_parts(
            node,
            b.text,
            &["string_content", "escape_sequence"],
        )),
        "binary" => {
            let (Some(left), Some(right), Some(op)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
                node.child_by_field_name("operator"),
            ) else {
                return Kind::Other;
            };
            let (l, r) = (expr(b, left), expr(b, right));
            match b.src(op) {
                "+" if matches!(
                    (&l.kind, &r.kind),
                    (Kind::List(_) | Kind::Join(_), _) | (_, Kind::List(_))
                ) =>
                {
                    Kind::Join(vec![l, r])
                }
                "+" | "<<" => join(vec![l, r]).map_or(Kind::Other, Kind::Str),
                "%" => match l.kind {
                    Kind::Str(format) => {
                        let args = match r.kind {
                            Kind::List(items) => items,
                            _ => vec![r],
                        };
                        Kind::Str(expand_format(format, &args, node.byte_range(), &PERCENT))
                    }
                    _ => Kind::Other,
                },
                _ => Kind::Other,
            }
        }
        "call" => {
            let bare = node.child_by_field_name("arguments").is_none()
                && node.child_by_field_name("block").is_none();
            let callee = callee_text(b, node);
            // `config.api_key`, `Rails.application.credentials.keap`: a reader, read as a name.
            if bare && is_name(&callee) {
                return Kind::Name(callee);
            }
            Kind::Call(b.call(node, |b| call(b, node)))
        }
        "identifier" | "instance_variable" | "constant" | "class_variable" | "global_variable"
        | "scope_resolution" | "self" => {
            let name = b.name(node);
            match &name {
                Kind::Name(n) if is_name(n) => name,
                _ => Kind::Other,
            }
        }
        "array" => Kind::List(items(b, node)),
        "hash" => Kind::Map(entries(b, node)),
        "splat_argument" | "hash_splat_argument" => match node.named_child(0) {
            Some(inner) => Kind::Splat(Box::new(expr(b, inner))),
            None => Kind::Other,
        },
        "parenthesized_statements" if node.named_child_count() == 1 => {
            let inner = node.named_child(0).expect("one child");
            b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other)
        }
        "integer" | "float" => Kind::Number,
        "nil" | "true" | "false" => Kind::Nil,
        // The walk goes through what is inside, once.
        _ => Kind::Other,
    }
}

/// `Foo::Bar.baz`, `@server.call`: the call's text up to its method name, without spaces.
fn callee_text(b: &Builder, node: Node) -> String {
    let end = node
        .child_by_field_name("method")
        .map_or(node.end_byte(), |m| m.end_byte());
    b.text[node.start_byte()..end].split_whitespace().collect()
}

fn items(b: &mut Builder, node: Node) -> Vec<Expr> {
    let mut cursor = node.walk();
    let nodes: Vec<Node> = node
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect();
    nodes.into_iter().map(|n| expr(b, n)).collect()
}

fn entries(b: &mut Builder, node: Node) -> Vec<Entry> {
    let mut cursor = node.walk();
    let pairs: Vec<Node> = node
        .named_children(&mut cursor)
        .filter(|n| n.kind() == "pair")
        .collect();
    pairs.into_iter().filter_map(|p| entry(b, p)).collect()
}

fn entry(b: &mut Builder, pair: Node) -> Option<Entry> {
    let k = pair.child_by_field_name("key")?;
    let v = pair.child_by_field_name("value")?;
    let key = match k.kind() {
        "hash_key_symbol" | "identifier" | "constant" => Some(b.src(k).to_string()),
        "simple_symbol" => Some(b.src(k).trim_start_matches(':').to_string()),
        "string" => match expr(b, k).kind {
            Kind::Str(t) if t.is_plain() => Some(t.text),
            _ => None,
        },
        _ => None,
    };
    Some(Entry {
        key,
        value: expr(b, v),
        span: pair.byte_range(),
    })
}

fn call(b: &mut Builder, node: Node) -> super::Call {
    let name = node
        .child_by_field_name("method")
        .map_or("", |m| b.src(m))
        .to_string();
    let receiver = node.child_by_field_name("receiver").map(|r| expr(b, r));
    let text = callee_text(b, node);
    let callee = Expr {
        span: node.start_byte()
            ..node
                .child_by_field_name("method")
                .map_or(node.end_byte(), |m| m.end_byte()),
        kind: if is_name(&text) {
            Kind::Name(text)
        } else {
            Kind::Other
        },
    };
    let mut args = Vec::new();
    let arguments = node.child_by_field_name("arguments");
    if let Some(list) = arguments {
        let mut cursor = list.walk();
        let nodes: Vec<Node> = list
            .named_children(&mut cursor)
            .filter(|n| n.kind() != "comment")
            .collect();
        // Keyword-style pairs outside braces make one hash argument, as Ruby passes them.
        let mut bare: Option<(Vec<Entry>, std::ops::Range<usize>)> = None;
        for a in nodes {
            if a.kind() == "pair" {
                if let Some(e) = entry(b, a) {
                    let (entries, span) = bare.get_or_insert_with(|| (Vec::new(), a.byte_range()));
                    span.end = a.end_byte();
                    entries.push(e);
                }
                continue;
            }
            if a.kind() == "block_argument" {
                continue;
            }
            let value = expr(b, a);
            args.push(Arg {
                keyword: None,
                value,
                span: a.byte_range(),
            });
        }
        if let Some((entries, span)) = bare {
            args.push(Arg {
                keyword: None,
                value: Expr {
                    span: span.clone(),
                    kind: Kind::Map(entries),
                },
                span,
            });
        }
    }
    let parens = arguments
        .filter(|a| b.src(*a).starts_with('('))
        .map(|a| a.byte_range());
    b.new_call(node, name, receiver, callee, args, parens)
}
