//! C# onto the view (tree-sitter-c-sharp), with XML-RPC.NET's attributes: an interface or
//! class under `[XmlRpcUrl("…")]` is a proxy, and each of its methods under
//! `[XmlRpcMethod("X.y")]` sends that call with the method's arguments as its parameters.
use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::Node;

use super::{
    expand_format, join, Arg, Builder, Expr, Kind, Proxy, RpcMethod, ScopeKind, Template, Typed,
};

/// `{0}`, `{1,-8}`, `{0:x}`: where `string.Format` puts its arguments.
pub(super) static FORMAT_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\d+(?:,[^}]*)?(?::[^}]*)?\}").unwrap());

/// Nodes whose children are statements or members.
const BODIES: &[&str] = &[
    "compilation_unit",
    "block",
    "declaration_list",
    "switch_section",
    "file_scoped_namespace_declaration",
];

const TYPES: &[&str] = &[
    "class_declaration",
    "interface_declaration",
    "struct_declaration",
    "record_declaration",
];

/// The scope name of a lambda.
pub const LAMBDA: &str = "=>";

const FUNCTIONS: &[&str] = &[
    "method_declaration",
    "constructor_declaration",
    "local_function_statement",
];

pub(super) fn walk(b: &mut Builder, node: Node) {
    match node.kind() {
        "comment" => return b.comment(node),
        k if TYPES.contains(&k) => {
            let name = field_src(b, node, "name");
            let url = attribute(b, node, "XmlRpcUrl");
            // A proxy is made from an interface, or is a class deriving from
            // XmlRpcClientProtocol: either may carry the URL, or leave it to `proxy.Url = …`.
            let proxy = url.is_some() || rpc_members(b, node);
            if proxy {
                b.view.proxies.push(Proxy {
                    name: name.clone(),
                    url,
                    span: node.byte_range(),
                });
            }
            return b.scoped(ScopeKind::Class, node, &name, Vec::new(), |b| {
                children(b, node)
            });
        }
        k if FUNCTIONS.contains(&k) => {
            let name = field_src(b, node, "name");
            if let Some(method) = attribute(b, node, "XmlRpcMethod").filter(|t| t.is_plain()) {
                b.view.rpc_methods.push(RpcMethod {
                    name: name.clone(),
                    method: method.text,
                    proxy: b.view.scopes[b.scope].name.clone(),
                    span: node.byte_range(),
                });
            }
            let params = node
                .child_by_field_name("parameters")
                .map(|p| params(b, p))
                .unwrap_or_default();
            return b.scoped(ScopeKind::Function, node, &name, params, |b| {
                children(b, node)
            });
        }
        // `d => d.Add(ApiKey, data)`: EventDay's generated wrappers hand the proxy to a lambda.
        "lambda_expression" => {
            let params = match node.child_by_field_name("parameters") {
                Some(p) if p.kind() == "parameter_list" => params(b, p),
                Some(p) => vec![b.src(p).to_string()],
                None => Vec::new(),
            };
            return b.scoped(ScopeKind::Function, node, LAMBDA, params, |b| {
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
        "variable_declaration" => {
            let ty = node
                .child_by_field_name("type")
                .map(|t| b.src(t).to_string());
            let mut cursor = node.walk();
            for d in node.named_children(&mut cursor) {
                if d.kind() != "variable_declarator" {
                    continue;
                }
                let Some(name) = d.child_by_field_name("name") else {
                    continue;
                };
                if let Some(ty) = &ty {
                    b.view.typed.push(Typed {
                        name: b.src(name).to_string(),
                        type_name: ty.clone(),
                    });
                }
                let mut values = d.walk();
                let value = d
                    .named_children(&mut values)
                    .filter(|v| v.id() != name.id() && v.kind() != "bracketed_argument_list")
                    .last();
                if let Some(value) = value {
                    assign(b, name, value);
                }
            }
            return;
        }
        "assignment_expression" => {
            if let (Some(left), Some(right)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                assign(b, left, right);
            }
            return;
        }
        "property_declaration" => {
            if let (Some(name), Some(ty)) = (
                node.child_by_field_name("name"),
                node.child_by_field_name("type"),
            ) {
                b.view.typed.push(Typed {
                    name: b.src(name).to_string(),
                    type_name: b.src(ty).to_string(),
                });
            }
        }
        "string_literal"
        | "verbatim_string_literal"
        | "raw_string_literal"
        | "interpolated_string_expression"
        | "binary_expression"
        | "invocation_expression"
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
    if matches!(
        left.kind(),
        "identifier" | "member_access_expression" | "qualified_name"
    ) && is_name(b.src(left))
    {
        b.bind(left, value);
    }
}

/// The first argument of a declaration's attribute named `name` (`[XmlRpcUrl("…")]`, also
/// spelled `XmlRpcUrlAttribute` or qualified), as a template.
fn attribute(b: &mut Builder, node: Node, name: &str) -> Option<Template> {
    let mut cursor = node.walk();
    let lists: Vec<Node> = node
        .named_children(&mut cursor)
        .filter(|c| c.kind() == "attribute_list")
        .collect();
    for list in lists {
        let mut inner = list.walk();
        let attrs: Vec<Node> = list
            .named_children(&mut inner)
            .filter(|a| a.kind() == "attribute")
            .collect();
        for a in attrs {
            let called = a.child_by_field_name("name").map_or("", |n| b.src(n));
            let called = called.rsplit('.').next().unwrap_or("");
            if called != name && called.strip_suffix("Attribute") != Some(name) {
                continue;
            }
            let arg = a
                .named_children(&mut a.walk())
                .find(|c| c.kind() == "attribute_argument_list")
                .and_then(|l| l.named_child(0))
                .and_then(|arg| arg.named_child(arg.named_child_count().checked_sub(1)?));
            if let Some(Kind::Str(t)) = arg.map(|arg| expr(b, arg).kind) {
                return Some(t);
            }
        }
    }
    None
}

/// Whether a type declares a method under `[XmlRpcMethod]`.
fn rpc_members(b: &mut Builder, node: Node) -> bool {
    let Some(body) = node.child_by_field_name("body") else {
        return false;
    };
    let mut cursor = body.walk();
    let members: Vec<Node> = body
        .named_children(&mut cursor)
        .filter(|m| m.kind() == "method_declaration")
        .collect();
    members
        .into_iter()
        .any(|m| attribute(b, m, "XmlRpcMethod").is_some())
}

fn params(b: &mut Builder, node: Node) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    for p in node.named_children(&mut cursor) {
        if let Some(name) = p.child_by_field_name("name") {
            out.push(b.src(name).to_string());
            if let Some(ty) = p.child_by_field_name("type") {
                b.view.typed.push(Typed {
                    name: b.src(name).to_string(),
                    type_name: b.src(ty).to_string(),
                });
            }
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
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '@'))
}

/// The text between a literal's delimiters, as one literal piece.
fn delimited(node: Node, text: &str, open: usize, close: usize) -> Template {
    let mut t = Template::default();
    let range = node.byte_range();
    if range.len() >= open + close {
        t.literal(
            &text[range.start + open..range.end - close],
            range.start + open,
        );
    }
    t
}

fn kind(b: &mut Builder, node: Node) -> Kind {
    match node.kind() {
        "string_literal" => {
            let mut t = Template::default();
            let mut cursor = node.walk();
            for part in node.named_children(&mut cursor) {
                if matches!(part.kind(), "string_literal_content" | "escape_sequence") {
                    t.literal(b.src(part), part.start_byte());
                }
            }
            Kind::Str(t)
        }
        "verbatim_string_literal" => Kind::Str(delimited(node, b.text, 2, 1)),
        "raw_string_literal" => {
            let quotes = b.src(node).bytes().take_while(|&c| c == b'"').count();
            Kind::Str(delimited(node, b.text, quotes, quotes))
        }
        "interpolated_string_expression" => {
            let mut t = Template::default();
            let mut cursor = node.walk();
            for part in node.named_children(&mut cursor) {
                match part.kind() {
                    "string_content" | "escape_sequence" => {
                        t.literal(b.src(part), part.start_byte())
                    }
                    "interpolation" => t.hole(part.byte_range()),
                    _ => {}
                }
            }
            Kind::Str(t)
        }
        "binary_expression" => b.concatenation(node, "+", expr),
        "invocation_expression" | "object_creation_expression" => {
            let i = b.call(node, |b| call(b, node));
            let c = &b.view.calls[i];
            let path = c.path().unwrap_or("");
            // `string.Format("https://{0}.infusionsoft.com/api/xmlrpc", app)` builds a string.
            if c.name == "Format" && matches!(path, "string.Format" | "String.Format") {
                let mut args = c.positional().map(|a| a.value.clone());
                if let Some(Expr {
                    kind: Kind::Str(format),
                    ..
                }) = args.next()
                {
                    let args: Vec<Expr> = args.collect();
                    return Kind::Str(expand_format(
                        format,
                        &args,
                        node.byte_range(),
                        &FORMAT_ITEM,
                    ));
                }
            }
            if c.name == "Concat" && matches!(path, "string.Concat" | "String.Concat") {
                let parts = c.positional().map(|a| a.value.clone()).collect();
                return join(parts).map_or(Kind::Call(i), Kind::Str);
            }
            Kind::Call(i)
        }
        "identifier"
        | "member_access_expression"
        | "qualified_name"
        | "this_expression"
        | "this" => {
            let name = b.name(node);
            match &name {
                Kind::Name(n) if is_name(n) => name,
                _ => Kind::Other,
            }
        }
        "initializer_expression" => {
            let mut cursor = node.walk();
            let nodes: Vec<Node> = node
                .named_children(&mut cursor)
                .filter(|n| n.kind() != "comment")
                .collect();
            Kind::List(nodes.into_iter().map(|n| expr(b, n)).collect())
        }
        // `new object[] { key, id }`, `new[] { key, id }`: the list they hold.
        "array_creation_expression" | "implicit_array_creation_expression" => {
            match node.child_by_field_name("initializer").or_else(|| {
                let mut cursor = node.walk();
                let found = node
                    .named_children(&mut cursor)
                    .find(|c| c.kind() == "initializer_expression");
                found
            }) {
                Some(init) => b.deeper(|b| kind(b, init)).unwrap_or(Kind::Other),
                None => Kind::Other,
            }
        }
        "cast_expression" => match node.child_by_field_name("value") {
            Some(inner) => b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "parenthesized_expression" | "await_expression" => match node.named_child(0) {
            Some(inner) => b.deeper(|b| kind(b, inner)).unwrap_or(Kind::Other),
            None => Kind::Other,
        },
        "integer_literal" | "real_literal" => Kind::Number,
        "null_literal" | "boolean_literal" => Kind::Nil,
        // The walk goes through what is inside, once.
        _ => Kind::Other,
    }
}

/// A method's name without type arguments: `Create<IKeap>` is `Create`.
fn simple_name<'t>(b: &Builder<'t>, node: Node) -> &'t str {
    let src = b.src(node);
    src.split('<').next().unwrap_or(src).trim()
}

fn call(b: &mut Builder, node: Node) -> super::Call {
    let new = node.kind() == "object_creation_expression";
    let function = node
        .child_by_field_name("function")
        .or_else(|| node.child_by_field_name("type"));
    let (name, receiver) = match function {
        Some(f) if f.kind() == "member_access_expression" => (
            f.child_by_field_name("name")
                .map_or("", |n| simple_name(b, n))
                .to_string(),
            f.child_by_field_name("expression").map(|o| expr(b, o)),
        ),
        Some(f) if f.kind() == "qualified_name" => (
            simple_name(b, f)
                .rsplit('.')
                .next()
                .unwrap_or("")
                .to_string(),
            None,
        ),
        Some(f) => (simple_name(b, f).to_string(), None),
        None => (String::new(), None),
    };
    let callee = match function {
        // `XmlRpcProxyGen.Create<IKeap>`: the path names the method, its type arguments aside.
        Some(f) => Expr {
            span: f.byte_range(),
            kind: match b.src(f).split('<').next() {
                Some(path) if is_name(path) => Kind::Name(path.split_whitespace().collect()),
                _ => Kind::Other,
            },
        },
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
            .filter(|n| n.kind() == "argument")
            .collect();
        for a in nodes {
            let keyword = a.child_by_field_name("name").map(|n| b.src(n).to_string());
            let Some(value) = a.named_child(a.named_child_count().saturating_sub(1)) else {
                continue;
            };
            let value = expr(b, value);
            args.push(Arg {
                keyword,
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
    use crate::lang::{view, Kind, Syntax};

    #[test]
    fn endpoints_are_flattened_whatever_builds_them() {
        let src = r#"class C {
    string a = "https://" + app + ".infusionsoft.com/api/xmlrpc";
    string b = string.Format("https://{0}.infusionsoft.com:{1}/api/xmlrpc", app, 443);
    string c = $"https://{app}.infusionsoft.com/api/xmlrpc";
    string d = @"https://x1.infusionsoft.com/api/xmlrpc";
}"#;
        let v = view(Syntax::CSharp, src).unwrap();
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
                "https://{}.infusionsoft.com:{}/api/xmlrpc",
                "https://{}.infusionsoft.com/api/xmlrpc",
                "https://x1.infusionsoft.com/api/xmlrpc",
            ]
        );
    }

    #[test]
    fn proxy_interfaces_their_methods_and_typed_receivers() {
        let src = r#"[XmlRpcUrl("https://ab1.infusionsoft.com/api/xmlrpc")]
public interface IKeap : IXmlRpcProxy {
    [XmlRpcMethod("ContactService.add")]
    int AddContact(string key, XmlRpcStruct data);
}
class Sync {
    void Go(IKeap proxy) { proxy.AddContact(key, new XmlRpcStruct()); }
}"#;
        let v = view(Syntax::CSharp, src).unwrap();
        assert_eq!(v.proxies[0].name, "IKeap");
        assert_eq!(
            v.proxies[0].url.as_ref().unwrap().text,
            "https://ab1.infusionsoft.com/api/xmlrpc"
        );
        assert_eq!(v.rpc_methods[0].name, "AddContact");
        assert_eq!(v.rpc_methods[0].method, "ContactService.add");
        assert_eq!(v.rpc_methods[0].proxy, "IKeap");
        assert!(v
            .typed
            .iter()
            .any(|t| t.name == "proxy" && t.type_name == "IKeap"));
        let call = v.calls.iter().find(|c| c.name == "AddContact").unwrap();
        assert!(matches!(&call.receiver.as_ref().unwrap().kind, Kind::Name(n) if n == "proxy"));
        assert!(matches!(&call.args[0].value.kind, Kind::Name(n) if n == "key"));
    }
}
