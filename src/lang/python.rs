//! Python onto the view (tree-sitter-python).
use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::Node;

use super::{expand_format, join, literal_parts, Arg, Builder, Entry, Expr, Kind, ScopeKind};

/// `%s`, `%(app)s`, `{}`, `{0}`, `{app}`: where `%` and `.format()` put their arguments.
static PERCENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdirf]").unwrap());
static BRACES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{[^{}]*\}").unwrap());

pub(super) fn walk(b: &mut Builder, node: Node) {
    match node.kind() {
        "comment" => return b.comment(node),
        "function_definition" | "class_definition" => {
            let kind = if node.kind() == "class_definition" {
                ScopeKind::Class
            } else {
                ScopeKind::Function
            };
            let name = node
                .child_by_field_name("name")
                .map_or("", |n| b.src(n))
                .to_string();
            // The scope `scoped` is about to make: its parameters' aliases live there.
            let scope = b.view.scopes.len();
            let params = node
                .child_by_field_name("parameters")
                .map(|p| params(b, p, scope))
                .unwrap_or_default();
            return b.scoped(kind, node, &name, params, |b| children(b, node));
        }
        "module" | "block" => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                b.statement(child, |b| walk(b, child));
            }
            return;
        }
        "assignment" => {
            if let (Some(left), Some(right)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                let value = expr(b, right);
                // A string is recorded whole; anything else may hold strings and calls.
                if matches!(value.kind, Kind::Str(_)) {
                    b.string(&value);
                } else {
                    walk(b, right);
                }
                if matches!(left.kind(), "identifier" | "attribute") {
                    b.bind(left, value);
                }
            }
            return;
        }
        // `with ServerProxy(url) as proxy:` binds `proxy` to the client.
        "as_pattern" => {
            let alias = node
                .child_by_field_name("alias")
                .and_then(|a| a.named_child(0))
                .filter(|a| a.kind() == "identifier");
            if let (Some(value), Some(alias)) = (node.named_child(0), alias) {
                let bound = expr(b, value);
                walk(b, value);
                b.bind(alias, bound);
                return;
            }
        }
        "import_statement" | "import_from_statement" => return imports(b, node),
        "string" | "concatenated_string" | "binary_operator" | "call" => {
            let e = expr(b, node);
            b.string(&e);
            if matches!(e.kind, Kind::Str(_)) && node.kind() != "call" {
                return;
            }
        }
        _ => {}
    }
    children(b, node);
}

/// The names an import binds: `import a.b` binds `a`, `import a as b` and `from m import a as
/// b` bind `b`, `from m import a` binds `a`.
fn imports(b: &mut Builder, node: Node) {
    let mut cursor = node.walk();
    let names: Vec<Node> = node.children_by_field_name("name", &mut cursor).collect();
    for name in names {
        let bound = match name.kind() {
            "aliased_import" => name.child_by_field_name("alias"),
            _ if node.kind() == "import_statement" => name.named_child(0),
            _ => Some(name),
        };
        if let Some(bound) = bound.filter(|n| n.kind() == "identifier" || n.kind() == "dotted_name")
        {
            b.bind_import(bound, node);
            if name.kind() == "aliased_import" {
                let imported = name.child_by_field_name("name").map_or("", |n| b.src(n));
                let target = match node.child_by_field_name("module_name") {
                    Some(module) => format!("{}.{imported}", b.src(module)),
                    None => imported.to_string(),
                };
                let alias = b.src(bound);
                let scope = b.scope;
                b.alias(scope, alias, &target);
            }
        }
    }
}

fn children(b: &mut Builder, node: Node) {
    b.children(node, walk);
}

/// A function's parameter names; one that defaults to a callable (`server=ServerProxy`) is
/// an alias of it.
fn params(b: &mut Builder, node: Node, scope: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    for p in node.named_children(&mut cursor) {
        let name = match p.kind() {
            "identifier" => Some(p),
            "default_parameter" | "typed_default_parameter" => {
                let name = p.child_by_field_name("name");
                let default = p.child_by_field_name("value");
                if let (Some(n), Some(d)) = (name, default) {
                    if matches!(d.kind(), "identifier" | "attribute") {
                        let (n, d) = (b.src(n), b.src(d));
                        b.alias(scope, n, d);
                    }
                }
                name
            }
            "typed_parameter" => p.named_child(0),
            _ => None,
        };
        out.extend(name.map(|n| b.src(n).to_string()));
    }
    out
}

fn expr(b: &mut Builder, node: Node) -> Expr {
    b.expr(node, kind)
}

fn kind(b: &mut Builder, node: Node) -> Kind {
    match node.kind() {
        "string" => Kind::Str(literal_parts(
            node,
            b.text,
            &["string_content", "escape_sequence"],
        )),
        "concatenated_string" => {
            let mut cursor = node.walk();
            let parts = node
                .named_children(&mut cursor)
                .map(|n| expr(b, n))
                .collect();
            join(parts).map_or(Kind::Other, Kind::Str)
        }
        "binary_operator" => {
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
                "+" => join(vec![l, r]).map_or(Kind::Other, Kind::Str),
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
            let i = b.call(node, |b| call(b, node));
            let c = &b.view.calls[i];
            // `'https://{}.infusionsoft.com'.format(app)` builds a string.
            if c.name == "format" {
                if let Some(Kind::Str(format)) = c.receiver.as_ref().map(|r| r.kind.clone()) {
                    let args: Vec<Expr> = c.args.iter().map(|a| a.value.clone()).collect();
                    return Kind::Str(expand_format(format, &args, node.byte_range(), &BRACES));
                }
            }
            Kind::Call(i)
        }
        "identifier" | "attribute" => {
            let name = b.name(node);
            match &name {
                Kind::Name(n)
                    if n.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '.') =>
                {
                    name
                }
                _ => Kind::Other,
            }
        }
        "list" | "tuple" | "expression_list" => Kind::List(items(b, node)),
        "dictionary" => {
            let mut entries = Vec::new();
            let mut cursor = node.walk();
            for pair in node.named_children(&mut cursor) {
                if pair.kind() != "pair" {
                    continue;
                }
                let (Some(k), Some(v)) = (
                    pair.child_by_field_name("key"),
                    pair.child_by_field_name("value"),
                ) else {
                    continue;
                };
                let key = expr(b, k);
                let key = match key.kind {
                    Kind::Str(t) if t.is_plain() => Some(t.text),
                    _ => None,
                };
                entries.push(Entry {
                    key,
                    value: expr(b, v),
                    span: pair.byte_range(),
                });
            }
            Kind::Map(entries)
        }
        "list_splat" | "dictionary_splat" => match node.named_child(0) {
            Some(inner) => Kind::Splat(Box::new(expr(b, inner))),
            None => Kind::Other,
        },
        "parenthesized_expression" | "await" => match node.named_child(0) {
            Some(inner) => b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "integer" | "float" => Kind::Number,
        "none" | "true" | "false" => Kind::Nil,
        // The walk goes through what is inside, once.
        _ => Kind::Other,
    }
}

fn items(b: &mut Builder, node: Node) -> Vec<Expr> {
    let mut cursor = node.walk();
    let nodes: Vec<Node> = node
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect();
    nodes.into_iter().map(|n| expr(b, n)).collect()
}

fn call(b: &mut Builder, node: Node) -> super::Call {
    let function = node.child_by_field_name("function");
    let (name, receiver) = match function {
        Some(f) if f.kind() == "attribute" => (
            f.child_by_field_name("attribute")
                .map_or("", |a| b.src(a))
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
    if let Some(list) = arguments {
        let mut cursor = list.walk();
        let nodes: Vec<Node> = list
            .named_children(&mut cursor)
            .filter(|n| n.kind() != "comment")
            .collect();
        for a in nodes {
            if a.kind() == "keyword_argument" {
                let (Some(k), Some(v)) = (
                    a.child_by_field_name("name"),
                    a.child_by_field_name("value"),
                ) else {
                    continue;
                };
                let value = expr(b, v);
                args.push(Arg {
                    keyword: Some(b.src(k).to_string()),
                    value,
                    span: a.byte_range(),
                });
            } else {
                let value = expr(b, a);
                args.push(Arg {
                    keyword: None,
                    value,
                    span: a.byte_range(),
                });
            }
        }
    }
    let parens = arguments
        .filter(|a| a.kind() == "argument_list")
        .map(|a| a.byte_range());
    b.new_call(node, name, receiver, callee, args, parens)
}
