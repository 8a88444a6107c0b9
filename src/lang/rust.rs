//! Rust onto the view, through `syn` (the parser Rust's own macros are read with), with
//! proc-macro2's span locations for byte ranges. syn drops comments, so a small lexer finds
//! them (it knows strings, raw strings, char literals and lifetimes, nothing more).
//!
//! What Keap code in Rust looks like, through the `xmlrpc` crate:
//! `Request::new("ContactService.add").arg(key).arg(data).call_url(url)`, and through `dxr`:
//! `client.call("ContactService.add", (key, data))`; endpoints as literals, `format!` and `+`.
use std::{collections::HashMap, ops::Range, sync::LazyLock};

use proc_macro2::Span;
use syn::{
    punctuated::Punctuated, spanned::Spanned, visit::Visit, BinOp, Expr as SynExpr, Lit, Pat, Token,
};

use super::{expand_format, join, Arg, Call, Entry, Expr, Kind, Scope, ScopeKind, Template, View};

static PLACEHOLDER: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\{[^{}]*\}").expect("a valid pattern"));

/// The number of syntax errors: syn stops at the first.
pub(super) fn errors(text: &str) -> usize {
    deep(text, |text| usize::from(syn::parse_file(text).is_err())).unwrap_or(usize::MAX)
}

/// How deep brackets may nest before a file is left to the patterns: syn's parser and the
/// walk below recurse per level, and no one writes code this deep by hand.
const MAX_NESTING: usize = 128;

/// The deepest bracket nesting in `text`, strings and comments counted too (an overestimate is
/// harmless here).
fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// syn parses, visits and drops a chain of `a + b + …` one stack frame per term: a Rust file is
/// read on a thread of its own with room for any chain written by hand (the memory is only
/// reserved, not used).
const STACK: usize = 256 << 20;

/// Runs `f` on a thread with a deep stack; `None` if it cannot be started or it fails.
fn deep<T: Send + 'static>(text: &str, f: fn(&str) -> T) -> Option<T> {
    if nesting(text) > MAX_NESTING {
        return None;
    }
    let owned = text.to_string();
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || f(&owned))
        .ok()?
        .join()
        .ok()
}

pub(super) fn view(text: &str) -> Option<View> {
    deep(text, read).flatten()
}

fn read(text: &str) -> Option<View> {
    let file = syn::parse_file(text).ok();
    file.map(|file| {
        let mut r = Reader {
            text,
            view: View::new(super::Syntax::Rust, 0..text.len()),
            calls: HashMap::new(),
            scope: 0,
            stmt: 0..text.len(),
            depth: 0,
            read: Vec::new(),
        };
        r.visit_file(&file);
        r.view.comments = comments(text);
        r.view
    })
}

struct Reader<'t> {
    text: &'t str,
    view: View,
    /// Calls by span and name: the walk meets a call once as an expression and again inside
    /// the expression that holds it.
    calls: HashMap<(usize, usize, String), usize>,
    scope: usize,
    stmt: Range<usize>,
    /// How deep `expr` is: a chain of thousands of `+` nests as deep as it is long.
    depth: usize,
    /// Whether each expression `visit_expr` is inside, innermost last, was read as a string
    /// (whose parts are in the view through it).
    read: Vec<bool>,
}

fn range(span: Span) -> Range<usize> {
    span.byte_range()
}

impl Reader<'_> {
    fn scoped(&mut self, kind: ScopeKind, span: Span, name: String, params: Vec<String>) -> usize {
        let parent = self.scope;
        self.view.scopes.push(Scope {
            kind,
            name,
            span: range(span),
            parent: Some(parent),
            params,
        });
        self.scope = self.view.scopes.len() - 1;
        parent
    }

    fn bind(&mut self, target: String, target_span: Range<usize>, value: Expr) {
        self.view.bindings.push(super::Binding {
            target,
            target_span,
            value,
            scope: self.scope,
            stmt: self.stmt.clone(),
        });
    }

    /// Records a top-level string, unless a string already recorded holds it.
    fn string(&mut self, e: &Expr) {
        if !matches!(e.kind, Kind::Str(_)) {
            return;
        }
        let inside = self
            .view
            .strings
            .iter()
            .any(|s| s.span.start <= e.span.start && e.span.end <= s.span.end);
        if !inside {
            self.view.strings.push(e.clone());
        }
    }

    /// Whether `e` is part of the string read last, of a kind `expr` reads through (closures
    /// and blocks it does not: their statements are read on their own).
    fn read_within(&self, e: &SynExpr) -> bool {
        let through = matches!(
            e,
            SynExpr::Lit(_)
                | SynExpr::Binary(_)
                | SynExpr::Path(_)
                | SynExpr::Field(_)
                | SynExpr::Reference(_)
                | SynExpr::Paren(_)
                | SynExpr::Group(_)
                | SynExpr::Try(_)
                | SynExpr::Await(_)
                | SynExpr::Array(_)
                | SynExpr::Tuple(_)
                | SynExpr::Struct(_)
                | SynExpr::MethodCall(_)
                | SynExpr::Call(_)
        );
        // Every node visited while an expression is on the stack is inside it; asking a node
        // for its span would walk its tokens.
        through && self.read.last() == Some(&true)
    }

    fn expr(&mut self, e: &SynExpr) -> Expr {
        let span = range(e.span());
        if self.depth >= super::MAX_DEPTH {
            return Expr {
                span,
                kind: Kind::Other,
            };
        }
        self.depth += 1;
        let kind = self.kind(e, &span);
        self.depth -= 1;
        Expr { span, kind }
    }

    fn kind(&mut self, e: &SynExpr, span: &Range<usize>) -> Kind {
        match e {
            SynExpr::Lit(l) => lit(self.text, &l.lit),
            SynExpr::Binary(b) if matches!(b.op, BinOp::Add(_)) => {
                let parts = vec![self.expr(&b.left), self.expr(&b.right)];
                join(parts).map_or(Kind::Other, Kind::Str)
            }
            SynExpr::Path(p) => Kind::Name(path(&p.path)),
            SynExpr::Field(f) => match self.expr(&f.base).kind {
                Kind::Name(base) => Kind::Name(format!("{base}.{}", member(&f.member))),
                _ => Kind::Other,
            },
            SynExpr::Reference(r) => self.expr(&r.expr).kind,
            SynExpr::Paren(p) => self.expr(&p.expr).kind,
            SynExpr::Group(g) => self.expr(&g.expr).kind,
            SynExpr::Try(t) => self.expr(&t.expr).kind,
            SynExpr::Await(a) => self.expr(&a.base).kind,
            SynExpr::Array(a) => Kind::List(a.elems.iter().map(|x| self.expr(x)).collect()),
            SynExpr::Tuple(t) => Kind::List(t.elems.iter().map(|x| self.expr(x)).collect()),
            SynExpr::Struct(s) => Kind::Map(
                s.fields
                    .iter()
                    .map(|f| Entry {
                        key: Some(member(&f.member)),
                        value: self.expr(&f.expr),
                        span: range(f.span()),
                    })
                    .collect(),
            ),
            SynExpr::Macro(m) => self.mac(&m.mac, span),
            // `"…".to_string()`, `key.clone()`: the value itself.
            SynExpr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(
                        m.method.to_string().as_str(),
                        "to_string" | "to_owned" | "into" | "clone" | "as_str"
                    ) =>
            {
                self.expr(&m.receiver).kind
            }
            SynExpr::MethodCall(m) => {
                let receiver = self.expr(&m.receiver);
                let args = self.args(m.args.iter());
                let name = m.method.to_string();
                let callee = Expr {
                    span: span.clone(),
                    kind: match &receiver.kind {
                        Kind::Name(r) => Kind::Name(format!("{r}.{name}")),
                        _ => Kind::Other,
                    },
                };
                let parens = range(m.paren_token.span.join());
                self.call(span, name, Some(receiver), callee, args, Some(parens))
            }
            SynExpr::Call(c) => {
                let callee = self.expr(&c.func);
                let name = match &callee.kind {
                    Kind::Name(n) => n.rsplit("::").next().unwrap_or(n).to_string(),
                    _ => String::new(),
                };
                let args = self.args(c.args.iter());
                let parens = range(c.paren_token.span.join());
                self.call(span, name, None, callee, args, Some(parens))
            }
            _ => Kind::Other,
        }
    }

    fn args<'a>(&mut self, args: impl Iterator<Item = &'a SynExpr>) -> Vec<Arg> {
        args.map(|a| {
            let value = self.expr(a);
            Arg {
                keyword: None,
                span: value.span.clone(),
                value,
            }
        })
        .collect()
    }

    fn call(
        &mut self,
        span: &Range<usize>,
        name: String,
        receiver: Option<Expr>,
        callee: Expr,
        args: Vec<Arg>,
        parens: Option<Range<usize>>,
    ) -> Kind {
        let id = (span.start, span.end, name.clone());
        if let Some(&i) = self.calls.get(&id) {
            return Kind::Call(i);
        }
        self.view.calls.push(Call {
            span: span.clone(),
            name,
            receiver: receiver.map(Box::new),
            callee: Box::new(callee),
            args,
            parens,
            scope: self.scope,
            stmt: self.stmt.clone(),
            new: false,
        });
        let i = self.view.calls.len() - 1;
        self.calls.insert(id, i);
        Kind::Call(i)
    }

    /// `format!("https://{}.infusionsoft.com/api/xmlrpc", app)` flattens to a template;
    /// `vec![key, data]` is a list.
    fn mac(&mut self, mac: &syn::Macro, span: &Range<usize>) -> Kind {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let Ok(args) = mac.parse_body_with(Punctuated::<SynExpr, Token![,]>::parse_terminated)
        else {
            return Kind::Other;
        };
        let args: Vec<Expr> = args
            .iter()
            .map(|a| match a {
                // `format!("{app}", app = name)`: the value.
                SynExpr::Assign(x) => self.expr(&x.right),
                _ => self.expr(a),
            })
            .collect();
        match name.as_str() {
            "vec" => Kind::List(args),
            "format" => match args.split_first() {
                Some((
                    Expr {
                        kind: Kind::Str(f), ..
                    },
                    rest,
                )) if f.is_plain() => {
                    Kind::Str(expand_format(f.clone(), rest, span.clone(), &PLACEHOLDER))
                }
                _ => Kind::Other,
            },
            _ => {
                for a in &args {
                    self.string(a);
                }
                Kind::Other
            }
        }
    }
}

/// A string literal's text as written between its quotes (escapes left as they are: what an
/// endpoint or a key looks like does not need them).
fn lit(text: &str, l: &Lit) -> Kind {
    match l {
        Lit::Str(s) => {
            let r = range(s.span());
            let src = &text[r.clone()];
            let (Some(open), Some(close)) = (src.find('"'), src.rfind('"')) else {
                return Kind::Other;
            };
            if close <= open {
                return Kind::Other;
            }
            let mut t = Template::default();
            t.literal(&src[open + 1..close], r.start + open + 1);
            Kind::Str(t)
        }
        Lit::Int(_) | Lit::Float(_) => Kind::Number,
        Lit::Bool(_) => Kind::Nil,
        _ => Kind::Other,
    }
}

fn path(p: &syn::Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn member(m: &syn::Member) -> String {
    match m {
        syn::Member::Named(i) => i.to_string(),
        syn::Member::Unnamed(i) => i.index.to_string(),
    }
}

fn pat_name(p: &Pat) -> Option<(String, Range<usize>)> {
    match p {
        Pat::Ident(i) => Some((i.ident.to_string(), range(i.ident.span()))),
        Pat::Type(t) => pat_name(&t.pat),
        _ => None,
    }
}

fn params<'a>(inputs: impl Iterator<Item = &'a syn::FnArg>) -> Vec<String> {
    inputs
        .filter_map(|a| match a {
            syn::FnArg::Receiver(_) => Some("self".to_string()),
            syn::FnArg::Typed(t) => pat_name(&t.pat).map(|(n, _)| n),
        })
        .collect()
}

impl<'ast> Visit<'ast> for Reader<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let parent = self.scoped(
            ScopeKind::Function,
            f.span(),
            f.sig.ident.to_string(),
            params(f.sig.inputs.iter()),
        );
        syn::visit::visit_item_fn(self, f);
        self.scope = parent;
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let parent = self.scoped(
            ScopeKind::Function,
            f.span(),
            f.sig.ident.to_string(),
            params(f.sig.inputs.iter()),
        );
        syn::visit::visit_impl_item_fn(self, f);
        self.scope = parent;
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let name = match &*i.self_ty {
            syn::Type::Path(p) => p
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        };
        let parent = self.scoped(ScopeKind::Class, i.span(), name, Vec::new());
        syn::visit::visit_item_impl(self, i);
        self.scope = parent;
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        let outer = std::mem::replace(&mut self.stmt, range(s.span()));
        syn::visit::visit_stmt(self, s);
        self.stmt = outer;
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let (Some((name, span)), Some(init)) = (pat_name(&l.pat), &l.init) {
            let value = self.expr(&init.expr);
            self.bind(name, span, value);
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        let outer = std::mem::replace(&mut self.stmt, range(c.span()));
        let value = self.expr(&c.expr);
        self.bind(c.ident.to_string(), range(c.ident.span()), value);
        syn::visit::visit_item_const(self, c);
        self.stmt = outer;
    }

    fn visit_item_static(&mut self, c: &'ast syn::ItemStatic) {
        let outer = std::mem::replace(&mut self.stmt, range(c.span()));
        let value = self.expr(&c.expr);
        self.bind(c.ident.to_string(), range(c.ident.span()), value);
        syn::visit::visit_item_static(self, c);
        self.stmt = outer;
    }

    fn visit_expr(&mut self, e: &'ast SynExpr) {
        match e {
            SynExpr::Assign(a) => {
                let target = self.expr(&a.left);
                let value = self.expr(&a.right);
                if let Kind::Name(name) = target.kind {
                    self.bind(name, target.span, value);
                }
            }
            // What `expr` read as part of the expression around it is in the view already:
            // reading it again would make a long `+` chain quadratic.
            _ if self.read_within(e) => {}
            _ => {
                let x = self.expr(e);
                self.string(&x);
                self.read.push(matches!(x.kind, Kind::Str(_)));
                syn::visit::visit_expr(self, e);
                self.read.pop();
                return;
            }
        }
        syn::visit::visit_expr(self, e);
    }
}

/// The comments of a Rust file: `//` to the end of the line, `/* … */` nested.
fn comments(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                out.push(i..end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 2;
                    } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                out.push(i..j);
                i = j;
            }
            b'r' if matches!(b.get(i + 1), Some(b'#' | b'"'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let from = i + 2 + hashes;
                i = text[from..]
                    .find(&close)
                    .map_or(b.len(), |n| from + n + close.len());
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                i = j + 1;
            }
            // A char literal (`'"'`, `'\''`); a lifetime (`'a`) has no closing quote.
            b'\'' => {
                if b.get(i + 1) == Some(&b'\\') {
                    let close = text[i + 2..].find('\'').map_or(b.len(), |n| i + 2 + n);
                    i = close + 1;
                } else {
                    let next = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                    i += if b.get(i + 1 + next) == Some(&b'\'') {
                        next + 2
                    } else {
                        1
                    };
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_skip_strings_chars_and_lifetimes() {
        let src = "let a = \"// no\"; let c = '\"'; fn f<'a>(x: &'a str) {} // yes\nlet r = r#\"/* no */\"#; /* a /* b */ c */";
        let found: Vec<&str> = comments(src).into_iter().map(|r| &src[r]).collect();
        assert_eq!(found, ["// yes", "/* a /* b */ c */"]);
    }

    #[test]
    fn deep_code_is_read_without_exhausting_the_stack() {
        let parens = format!(
            "fn f() {{ let x = {}1{}; }}",
            "(".repeat(300),
            ")".repeat(300)
        );
        assert!(view(&parens).is_none(), "left to the patterns");
        let chain = vec!["\"a\""; 5000].join(" + ");
        let v = view(&format!("fn f() {{ let x = g({chain}); }}")).unwrap();
        assert_eq!(v.strings.len(), 1);
    }

    #[test]
    fn request_builders_and_format_endpoints() {
        let src = "fn add(key: &str, app: &str) {\n    let url = format!(\"https://{}.infusionsoft.com/api/xmlrpc\", app);\n    let r = Request::new(\"ContactService.add\").arg(key).call_url(&url);\n}\n";
        let v = view(src).unwrap();
        let url = v.bindings.iter().find(|b| b.target == "url").unwrap();
        assert!(
            matches!(&url.value.kind, Kind::Str(t) if t.text == "https://{}.infusionsoft.com/api/xmlrpc")
        );
        let arg = v.calls.iter().find(|c| c.name == "arg").unwrap();
        let Some(Kind::Call(new)) = arg.receiver.as_deref().map(|r| &r.kind) else {
            panic!("`.arg` is called on the request")
        };
        assert_eq!(v.calls[*new].path(), Some("Request::new"));
        assert_eq!(v.scopes[arg.scope].params, ["key", "app"]);
    }
}
