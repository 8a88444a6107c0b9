//! Java onto the view (tree-sitter-java): method calls and `new X(…)` with their receivers,
//! strings built with `+` or `String.format`, locals and fields, classes and methods.
//! `new Object[]{key, …}` and `Object[] p = {key, …}` are lists; a list built earlier with
//! `params.add(key)` is read by the detectors from the `add` calls themselves.
use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::Node;

use super::{expand_format, Arg, Builder, Expr, Kind, ScopeKind, Template, Typed};

/// `%s`, `%d`, `%1$s`: where `String.format` puts its arguments.
static FORMAT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"%(?:\d+\$)?[-#+ 0,(]*\d*(?:\.\d+)?[sSdxX]").unwrap());

/// Nodes whose children are statements or members.
const BODIES: &[&str] = &[
    "program",
    "block",
    "class_body",
    "interface_body",
    "enum_body_declarations",
    "constructor_body",
    "switch_block_statement_group",
];

const TYPES: &[&str] = &[
    "class_declaration",
    "interface_declaration",
    "enum_declaration",
    "record_declaration",
];

const FUNCTIONS: &[&str] = &["method_declaration", "constructor_declaration"];

pub(super) fn walk(b: &mut Builder, node: Node) {
    match node.kind() {
        "line_comment" | "block_comment" => return b.comment(node),
        k if TYPES.contains(&k) => {
            let name = field_src(b, node, "name");
            return b.scoped(ScopeKind::Class, node, &name, Vec::new(), |b| {
                children(b, node)
            });
        }
        k if FUNCTIONS.contains(&k) => {
            // A constructor runs before any other method: the recipes know it by this name.
            let name = match k {
                "constructor_declaration" => "constructor".to_string(),
                _ => field_src(b, node, "name"),
            };
            let params = node
                .child_by_field_name("parameters")
                .map(|p| params(b, p))
                .unwrap_or_default();
            return b.scoped(ScopeKind::Function, node, &name, params, |b| {
                children(b, node)
            });
        }
        "lambda_expression" => {
            let params = match node.child_by_field_name("parameters") {
                Some(p) if p.kind() == "identifier" => vec![b.src(p).to_string()],
                Some(p) => params(b, p),
                None => Vec::new(),
            };
            return b.scoped(ScopeKind::Function, node, "->", params, |b| {
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
        "local_variable_declaration" | "field_declaration" | "constant_declaration" => {
            let ty = node
                .child_by_field_name("type")
                .map(|t| b.src(t).to_string());
            let mut cursor = node.walk();
            let declarators: Vec<Node> = node
                .children_by_field_name("declarator", &mut cursor)
                .collect();
            for d in declarators {
                let Some(name) = d.child_by_field_name("name") else {
                    continue;
                };
                if let Some(ty) = &ty {
                    b.view.typed.push(Typed {
                        name: b.src(name).to_string(),
                        type_name: ty.clone(),
                    });
                }
                if let Some(value) = d.child_by_field_name("value") {
                    assign(b, name, value);
                }
            }
            return;
        }
        "assignment_expression" => {
            if let (Some(left), Some(right), Some(op)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
                node.child_by_field_name("operator"),
            ) {
                if b.src(op) == "=" {
                    return assign(b, left, right);
                }
            }
        }
        "string_literal"
        | "binary_expression"
        | "method_invocation"
        | "object_creation_expression" => {
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

fn field_src(b: &Builder, node: Node, field: &str) -> String {
    node.child_by_field_name(field)
        .map_or("", |n| b.src(n))
        .to_string()
}

/// `target = value` (or a declarator's initializer): a binding where the target is a name.
fn assign(b: &mut Builder, left: Node, right: Node) {
    let value = expr(b, right);
    if matches!(value.kind, Kind::Str(_)) {
        b.string(&value);
    } else {
        walk(b, right);
    }
    if matches!(left.kind(), "identifier" | "field_access") && is_name(b.src(left)) {
        b.bind(left, value);
    }
}

fn params(b: &mut Builder, node: Node) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    for p in node.named_children(&mut cursor) {
        let name = match p.kind() {
            "formal_parameter" => p.child_by_field_name("name"),
            // `Object... args`
            "spread_parameter" => p
                .named_children(&mut p.walk())
                .find(|c| c.kind() == "variable_declarator")
                .and_then(|d| d.child_by_field_name("name")),
            "identifier" => Some(p),
            _ => None,
        };
        let Some(name) = name else { continue };
        out.push(b.src(name).to_string());
        if let Some(ty) = p.child_by_field_name("type") {
            b.view.typed.push(Typed {
                name: b.src(name).to_string(),
                type_name: b.src(ty).to_string(),
            });
        }
    }
    out
}

fn expr(b: &mut Builder, node: Node) -> Expr {
    b.expr(node, kind)
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.split_whitespace()
            .collect::<String>()
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '$'))
}

fn kind(b: &mut Builder, node: Node) -> Kind {
    match node.kind() {
        "string_literal" => {
            let mut t = Template::default();
            let mut cursor = node.walk();
            for part in node.named_children(&mut cursor) {
                match part.kind() {
                    "string_fragment" | "multiline_string_fragment" | "escape_sequence" => {
                        t.literal(b.src(part), part.start_byte())
                    }
                    _ => t.hole(part.byte_range()),
                }
            }
            Kind::Str(t)
        }
        "binary_expression" => b.concatenation(node, "+", expr),
        "method_invocation" | "object_creation_expression" => {
            let i = b.call(node, |b| call(b, node));
            let c = &b.view.calls[i];
            // `String.format("https://%s.infusionsoft.com/api/xmlrpc", app)` builds a string.
            if c.name == "format" && matches!(c.path(), Some("String.format")) {
                let mut args = c.positional().map(|a| a.value.clone());
                if let Some(Expr {
                    kind: Kind::Str(format),
                    ..
                }) = args.next()
                {
                    let args: Vec<Expr> = args.collect();
                    return Kind::Str(expand_format(format, &args, node.byte_range(), &FORMAT));
                }
            }
            Kind::Call(i)
        }
        "identifier" | "field_access" | "this" => {
            let name = b.name(node);
            match &name {
                Kind::Name(n) if is_name(n) => name,
                _ => Kind::Other,
            }
        }
        "array_initializer" => {
            let mut cursor = node.walk();
            let nodes: Vec<Node> = node
                .named_children(&mut cursor)
                .filter(|n| !matches!(n.kind(), "line_comment" | "block_comment"))
                .collect();
            Kind::List(nodes.into_iter().map(|n| expr(b, n)).collect())
        }
        // `new Object[]{key, id}`: the list it holds.
        "array_creation_expression" => match node.child_by_field_name("value") {
            Some(init) => b.deeper(|b| kind(b, init)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "cast_expression" => match node.child_by_field_name("value") {
            Some(inner) => b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "parenthesized_expression" => match node.named_child(0) {
            Some(inner) => b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "decimal_integer_literal" | "hex_integer_literal" | "decimal_floating_point_literal" => {
            Kind::Number
        }
        "null_literal" | "true" | "false" => Kind::Nil,
        // The walk goes through what is inside, once.
        _ => Kind::Other,
    }
}

/// A type's name without its type arguments: `ArrayList<Object>` is `ArrayList`.
fn simple_name<'t>(b: &Builder<'t>, node: Node) -> &'t str {
    let src = b.src(node);
    src.split('<').next().unwrap_or(src).trim()
}

fn call(b: &mut Builder, node: Node) -> super::Call {
    let new = node.kind() == "object_creation_expression";
    let (name, receiver, callee) = if new {
        let ty = node.child_by_field_name("type");
        let path = ty.map_or("", |t| simple_name(b, t));
        let callee = Expr {
            span: ty.map_or(node.byte_range(), |t| t.byte_range()),
            kind: if is_name(path) {
                Kind::Name(path.split_whitespace().collect())
            } else {
                Kind::Other
            },
        };
        let name = path.rsplit('.').next().unwrap_or("").to_string();
        (name, None, callee)
    } else {
        let name = field_src(b, node, "name");
        let object = node.child_by_field_name("object");
        let receiver = object.map(|o| expr(b, o));
        let start = object.map_or(node.start_byte(), |o| o.start_byte());
        let end = node
            .child_by_field_name("name")
            .map_or(node.end_byte(), |n| n.end_byte());
        let path: String = b.text[start..end].split_whitespace().collect();
        let callee = Expr {
            span: start..end,
            kind: if is_name(&path) {
                Kind::Name(path)
            } else {
                Kind::Other
            },
        };
        (name, receiver, callee)
    };
    let mut args = Vec::new();
    let arguments = node.child_by_field_name("arguments");
    if let Some(list) = arguments {
        let mut cursor = list.walk();
        let nodes: Vec<Node> = list
            .named_children(&mut cursor)
            .filter(|n| !matches!(n.kind(), "line_comment" | "block_comment"))
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
    let parens = arguments.map(|a| a.byte_range());
    let mut c = b.new_call(node, name, receiver, callee, args, parens);
    c.new = new;
    c
}

#[cfg(test)]
mod tests {
    use crate::lang::{view, Kind, ScopeKind, Syntax};

    #[test]
    fn endpoints_are_flattened_whatever_builds_them() {
        let src = r#"class C {
    String a = "https://" + app + ".infusionsoft.com/api/xmlrpc";
    String b = String.format("https://%s.infusionsoft.com/api/xmlrpc", app);
    URL c = new URL("https://ab12.infusionsoft.com/api/xmlrpc");
}"#;
        let v = view(Syntax::Java, src).unwrap();
        let texts: Vec<String> = v
            .strings
            .iter()
            .filter_map(|e| match &e.kind {
                Kind::Str(t) => Some(t.text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            texts,
            [
                "https://{}.infusionsoft.com/api/xmlrpc",
                "https://{}.infusionsoft.com/api/xmlrpc",
                "https://ab12.infusionsoft.com/api/xmlrpc",
            ]
        );
    }

    #[test]
    fn calls_lists_bindings_and_scopes() {
        let src = r#"public class Keap {
    private static final String KEY = "k";
    public Object add(Map<String, Object> data) throws Exception {
        Object[] params = {KEY, data};
        return client.execute("ContactService.add", new Object[]{this.key, data});
    }
}"#;
        let v = view(Syntax::Java, src).unwrap();
        let call = v.calls.iter().find(|c| c.name == "execute").unwrap();
        assert!(matches!(&call.receiver.as_ref().unwrap().kind, Kind::Name(n) if n == "client"));
        assert!(
            matches!(&call.args[1].value.kind, Kind::List(l) if matches!(&l[0].kind, Kind::Name(n) if n == "this.key"))
        );
        let scope = &v.scopes[call.scope];
        assert_eq!(
            (scope.kind, scope.name.as_str()),
            (ScopeKind::Function, "add")
        );
        assert_eq!(scope.params, ["data"]);
        assert_eq!(
            v.class_of(call.scope).map(|c| v.scopes[c].name.as_str()),
            Some("Keap")
        );
        let bound = |name: &str| v.bindings.iter().find(|b| b.target == name).unwrap();
        assert!(matches!(&bound("KEY").value.kind, Kind::Str(t) if t.text == "k"));
        assert!(matches!(&bound("params").value.kind, Kind::List(l) if l.len() == 2));
    }
}
