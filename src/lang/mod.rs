//! The neutral view of a source file: what the detectors and the migration recipes read,
//! whatever the language. An adapter per language turns its syntax tree into this view; the
//! detectors (`detect::view`) and recipes (`fix::view`) are written once against it.
use std::{collections::HashMap, ops::Range, path::Path};

use tree_sitter::{Node, Parser, Tree};

mod cfml;
mod csharp;
mod elixir;
mod go;
mod java;
pub use csharp::LAMBDA;
mod js;
mod objc;
mod perl;
mod python;
mod r;
mod ruby;
mod rust;
mod vb;

/// A language with a tree-sitter adapter onto the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Python,
    Ruby,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    /// Read by a scanner of our own (`perl`), not tree-sitter.
    Perl,
    CSharp,
    /// Read by a structural scanner (`vb`), not a grammar.
    VisualBasic,
    Java,
    /// ColdFusion templates and components: tags and cfscript (tree-sitter-cfml).
    Cfml,
    /// Read by `syn`, not tree-sitter.
    Rust,
    ObjC,
    Elixir,
    R,
    /// Classic ASP: the VBScript in `<% … %>`, read by the VB scanner.
    Asp,
}

impl Syntax {
    pub fn of(path: &Path) -> Option<Syntax> {
        let name = path.file_name()?.to_str()?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        Some(match ext.as_str() {
            "py" | "pyw" => Syntax::Python,
            "rb" | "rake" | "ru" => Syntax::Ruby,
            _ if matches!(name, "Rakefile" | "Gemfile") => Syntax::Ruby,
            "js" | "mjs" | "cjs" | "jsx" => Syntax::JavaScript,
            "ts" | "mts" | "cts" => Syntax::TypeScript,
            "tsx" => Syntax::Tsx,
            "go" => Syntax::Go,
            "pl" | "pm" => Syntax::Perl,
            "cs" => Syntax::CSharp,
            "vb" => Syntax::VisualBasic,
            "java" => Syntax::Java,
            "cfm" | "cfc" | "cfml" => Syntax::Cfml,
            "rs" => Syntax::Rust,
            "m" => Syntax::ObjC,
            "ex" | "exs" => Syntax::Elixir,
            // `.R` and `.r` alike (the extension is lowercased above).
            "r" => Syntax::R,
            "asp" => Syntax::Asp,
            _ => return None,
        })
    }

    fn language(self) -> Option<tree_sitter::Language> {
        Some(match self {
            Syntax::Python => tree_sitter_python::LANGUAGE.into(),
            Syntax::Ruby => tree_sitter_ruby::LANGUAGE.into(),
            Syntax::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Syntax::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Syntax::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Syntax::Go => tree_sitter_go::LANGUAGE.into(),
            Syntax::Perl => return None,
            Syntax::CSharp => tree_sitter_c_sharp::LANGUAGE.into(),
            Syntax::VisualBasic => return None,
            Syntax::Java => tree_sitter_java::LANGUAGE.into(),
            Syntax::Cfml => tree_sitter_cfml::LANGUAGE_CFML.into(),
            Syntax::Rust => return None,
            Syntax::ObjC => tree_sitter_objc::LANGUAGE.into(),
            Syntax::Elixir => tree_sitter_elixir::LANGUAGE.into(),
            Syntax::R => tree_sitter_r::LANGUAGE.into(),
            Syntax::Asp => return None,
        })
    }

    /// How the migrated code reads an environment variable.
    pub fn env_read(self, name: &str) -> String {
        match self {
            Syntax::Python => format!("os.environ[\"{name}\"]"),
            Syntax::Ruby => format!("ENV.fetch(\"{name}\")"),
            // Typed `string | undefined`: where a string was declared, it stays one.
            Syntax::TypeScript | Syntax::Tsx => format!("process.env.{name} as string"),
            Syntax::JavaScript => format!("process.env.{name}"),
            // The recipe adds the `"os"` import where the file has none.
            Syntax::Go => format!("os.Getenv(\"{name}\")"),
            Syntax::Perl => format!("$ENV{{{name}}}"),
            Syntax::CSharp | Syntax::VisualBasic => {
                format!("Environment.GetEnvironmentVariable(\"{name}\")")
            }
            Syntax::Java => format!("System.getenv(\"{name}\")"),
            // Adobe ColdFusion and Lucee both reach the JVM's environment this way.
            Syntax::Cfml => {
                format!("createObject(\"java\", \"java.lang.System\").getenv(\"{name}\")")
            }
            Syntax::Rust => format!("std::env::var(\"{name}\").expect(\"{name}\")"),
            Syntax::ObjC => format!("NSProcessInfo.processInfo.environment[@\"{name}\"]"),
            Syntax::Elixir => format!("System.fetch_env!(\"{name}\")"),
            Syntax::R => format!("Sys.getenv(\"{name}\")"),
            Syntax::Asp => {
                format!("CreateObject(\"WScript.Shell\").Environment(\"PROCESS\")(\"{name}\")")
            }
        }
    }

    pub fn is_js(self) -> bool {
        matches!(self, Syntax::JavaScript | Syntax::TypeScript | Syntax::Tsx)
    }

    /// C# and VB.NET: found through the view, migrated by a person (no XML-RPC.NET library
    /// is served here to prove a rewrite by running it).
    pub fn is_dotnet(self) -> bool {
        matches!(self, Syntax::CSharp | Syntax::VisualBasic)
    }

    /// Found through the view, migrated by a person: ColdFusion has no engine here to run a
    /// rewrite with, no Rust XML-RPC crate was run against the mock, and no Objective-C,
    /// Elixir or R XML-RPC library is served here.
    pub fn is_hinted(self) -> bool {
        matches!(
            self,
            Syntax::Cfml | Syntax::Rust | Syntax::ObjC | Syntax::Elixir | Syntax::R | Syntax::Asp
        )
    }
}

/// The string an expression builds: literal text, with [`HOLE`] where a value is computed at
/// run time, and a map from the text back to the source.
#[derive(Clone, Debug, Default)]
pub struct Template {
    pub text: String,
    pieces: Vec<Piece>,
}

/// Where an interpolated or computed value sits in a template's text.
pub const HOLE: &str = "{}";

#[derive(Clone, Debug)]
struct Piece {
    at: usize,
    len: usize,
    /// The source offset of a literal piece; `None` for a hole.
    source: Option<usize>,
    /// A hole's expression.
    hole: Range<usize>,
}

impl Template {
    fn literal(&mut self, text: &str, source: usize) {
        self.pieces.push(Piece {
            at: self.text.len(),
            len: text.len(),
            source: Some(source),
            hole: 0..0,
        });
        self.text += text;
    }

    fn hole(&mut self, span: Range<usize>) {
        self.pieces.push(Piece {
            at: self.text.len(),
            len: HOLE.len(),
            source: None,
            hole: span,
        });
        self.text += HOLE;
    }

    fn append(&mut self, other: Template) {
        let base = self.text.len();
        self.text += &other.text;
        self.pieces.extend(other.pieces.into_iter().map(|p| Piece {
            at: p.at + base,
            ..p
        }));
    }

    /// The source bytes of a range of the text, when one literal piece holds all of it.
    pub fn source_range(&self, range: Range<usize>) -> Option<Range<usize>> {
        self.pieces.iter().find_map(|p| match p.source {
            Some(source) if p.at <= range.start && range.end <= p.at + p.len => {
                Some(source + range.start - p.at..source + range.end - p.at)
            }
            _ => None,
        })
    }

    /// The source of the holes in the text's range.
    pub fn holes_in(&self, range: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
        self.pieces
            .iter()
            .filter(move |p| p.source.is_none() && p.at >= range.start && p.at < range.end)
            .map(|p| p.hole.clone())
    }

    /// Whether the whole text is one literal, as written (no holes).
    pub fn is_plain(&self) -> bool {
        self.pieces.iter().all(|p| p.source.is_some())
    }
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub span: Range<usize>,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub enum Kind {
    /// A string, however built: literal, concatenated, formatted, interpolated.
    Str(Template),
    /// A name or a chain of names: `key`, `self.key`, `@key`, `this.opts.key`, `Mod::CONST`,
    /// without spaces.
    Name(String),
    List(Vec<Expr>),
    Map(Vec<Entry>),
    /// An index into the view's calls.
    Call(usize),
    /// `*args`, `...args`.
    Splat(Box<Expr>),
    /// Two lists joined (`[key] + args`, `(key,) + args`, `[key].concat(args)`).
    Join(Vec<Expr>),
    Number,
    /// `None`, `nil`, `null`, `undefined`, booleans.
    Nil,
    Other,
}

/// One entry of a map literal: `'key': v`, `key: v`, `:key => v`, `"key" => v`, shorthand `{ key }`.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The key as a plain name (`host`), when it is one.
    pub key: Option<String>,
    pub value: Expr,
    pub span: Range<usize>,
}

#[derive(Clone, Debug)]
pub struct Arg {
    /// The keyword of a keyword argument (`headers=`, Ruby `host:` outside braces).
    pub keyword: Option<String>,
    pub value: Expr,
    pub span: Range<usize>,
}

#[derive(Clone, Debug)]
pub struct Call {
    pub span: Range<usize>,
    /// The called name: a function's or a method's (`add`, `ServerProxy`, `new2`), or `""`.
    pub name: String,
    /// What the method is called on (`server.ContactService`, `XMLRPC::Client`, `xmlrpc`).
    pub receiver: Option<Box<Expr>>,
    /// The whole callee (`xmlrpclib.ServerProxy`, or a call for `getattr(s, "X.y")(…)`).
    pub callee: Box<Expr>,
    pub args: Vec<Arg>,
    /// The argument list, parentheses included, when it has them.
    pub parens: Option<Range<usize>>,
    pub scope: usize,
    /// The statement the call is part of.
    pub stmt: Range<usize>,
    /// `new X(…)`.
    pub new: bool,
}

impl Call {
    /// The callee's full dotted name (`xmlrpc.client.ServerProxy`), when it is a chain of names.
    pub fn path(&self) -> Option<&str> {
        match &self.callee.kind {
            Kind::Name(n) => Some(n),
            _ => None,
        }
    }

    pub fn positional(&self) -> impl Iterator<Item = &Arg> {
        self.args.iter().filter(|a| a.keyword.is_none())
    }

    pub fn keyword(&self, name: &str) -> Option<&Arg> {
        self.args
            .iter()
            .find(|a| a.keyword.as_deref() == Some(name))
    }
}

/// `target = value`, in a scope: an assignment, a declaration, a constant.
#[derive(Clone, Debug)]
pub struct Binding {
    pub target: String,
    pub target_span: Range<usize>,
    pub value: Expr,
    pub scope: usize,
    pub stmt: Range<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Class,
    Function,
}

#[derive(Clone, Debug)]
pub struct Scope {
    pub kind: ScopeKind,
    pub name: String,
    pub span: Range<usize>,
    pub parent: Option<usize>,
    /// A function's parameters.
    pub params: Vec<String>,
}

/// An XML-RPC.NET proxy type: an interface (or a class deriving from `XmlRpcClientProtocol`)
/// whose methods carry `[XmlRpcMethod]`, with its `[XmlRpcUrl]` when it has one.
#[derive(Clone, Debug)]
pub struct Proxy {
    pub name: String,
    pub url: Option<Template>,
    pub span: Range<usize>,
}

/// A proxy method: calling `name` on a proxy sends the XML-RPC call `method`, its arguments as
/// the call's parameters.
#[derive(Clone, Debug)]
pub struct RpcMethod {
    pub name: String,
    pub method: String,
    /// The proxy type that declares it.
    pub proxy: String,
    pub span: Range<usize>,
}

/// A declared type: `IKeap proxy`, `string key` (a variable, field, property or parameter).
#[derive(Clone, Debug)]
pub struct Typed {
    pub name: String,
    pub type_name: String,
}

/// What a file says, in the terms every detector and recipe reads.
#[derive(Debug)]
pub struct View {
    pub syntax: Syntax,
    pub calls: Vec<Call>,
    /// Every string expression that is not part of a larger one.
    pub strings: Vec<Expr>,
    pub bindings: Vec<Binding>,
    /// `scopes[0]` is the module.
    pub scopes: Vec<Scope>,
    pub comments: Vec<Range<usize>>,
    /// XML-RPC.NET proxies and their methods (C#, VB.NET); empty elsewhere.
    pub proxies: Vec<Proxy>,
    pub rpc_methods: Vec<RpcMethod>,
    pub typed: Vec<Typed>,
    /// What functions give back: `return e`, an arrow function's expression body (JS only).
    pub returns: Vec<Expr>,
}

impl View {
    fn new(syntax: Syntax, span: Range<usize>) -> View {
        View {
            syntax,
            calls: Vec::new(),
            strings: Vec::new(),
            bindings: Vec::new(),
            scopes: vec![Scope {
                kind: ScopeKind::Module,
                name: String::new(),
                span,
                parent: None,
                params: Vec::new(),
            }],
            comments: Vec::new(),
            proxies: Vec::new(),
            rpc_methods: Vec::new(),
            typed: Vec::new(),
            returns: Vec::new(),
        }
    }

    /// The innermost class around a scope.
    pub fn class_of(&self, mut scope: usize) -> Option<usize> {
        loop {
            if self.scopes[scope].kind == ScopeKind::Class {
                return Some(scope);
            }
            scope = self.scopes[scope].parent?;
        }
    }

    /// The one binding of a name, when it is bound once: `self.url` also finds a class's
    /// `url = "…"`, which Python reads through the instance.
    pub fn only_binding(&self, name: &str) -> Option<&Binding> {
        let class_attr = name.strip_prefix("self.").filter(|n| !n.contains('.'));
        let mut found = self.bindings.iter().filter(|b| {
            b.target == name
                || class_attr
                    .is_some_and(|n| b.target == n && self.scopes[b.scope].kind == ScopeKind::Class)
        });
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// The innermost scope holding an offset (the module's, `0`, around everything).
    pub fn scope_at(&self, at: usize) -> usize {
        (0..self.scopes.len())
            .filter(|&i| self.scopes[i].span.start <= at && at <= self.scopes[i].span.end)
            .max_by_key(|&i| self.scopes[i].span.start)
            .unwrap_or(0)
    }

    /// Ruby's `call.tap { … }` on a call: it returns the call's value, so a client made with a
    /// header written in a `tap` (as the migration writes it) is that client.
    pub fn tap_of(&self, call: &Call) -> Option<&Call> {
        (self.syntax == Syntax::Ruby).then_some(())?;
        self.calls
            .iter()
            .find(|t| t.name == "tap" && t.receiver.as_deref().is_some_and(|r| r.span == call.span))
    }

    /// The innermost class around an offset.
    pub fn class_at(&self, at: usize) -> Option<usize> {
        self.class_of(self.scope_at(at))
    }

    /// `self.X` read at `at`: the `X = …` of the innermost class around it, where the file's
    /// classes each set their own (`base_uri` of a class and of its OAuth subclass).
    pub fn class_attr_at(&self, name: &str, at: usize) -> Option<&Binding> {
        let attr = name.strip_prefix("self.").filter(|n| !n.contains('.'))?;
        let class = self.class_at(at)?;
        self.bindings
            .iter()
            .rev()
            .find(|b| b.scope == class && b.target == attr)
    }

    /// A name set more than once (`apiURL = ""` at the top, then the endpoint in each handler):
    /// the string it was last given before `at`, in the innermost scope around `at`.
    pub fn string_before(&self, name: &str, at: usize) -> Option<&Binding> {
        let scope = self.scope_at(at);
        self.bindings
            .iter()
            .rfind(|b| b.target == name && b.scope == scope && b.stmt.end <= at)
            .filter(|b| matches!(b.value.kind, Kind::Str(_)))
    }

    /// The call `name` was last bound to before `at`, in `at`'s scope or one around it; a Ruby
    /// instance variable's (`@contacts = …` in `initialize`) in any method.
    pub fn call_bound(&self, name: &str, at: &Call) -> Option<&Call> {
        self.bindings.iter().rev().find_map(|b| match b.value.kind {
            Kind::Call(i)
                if b.target == name
                    && (name.starts_with('@')
                        || self.within(at.scope, b.scope) && b.stmt.end <= at.span.start) =>
            {
                Some(&self.calls[i])
            }
            _ => None,
        })
    }

    /// Whether `inner` is `outer` or nested in it.
    pub fn within(&self, mut inner: usize, outer: usize) -> bool {
        loop {
            if inner == outer {
                return true;
            }
            match self.scopes[inner].parent {
                Some(p) => inner = p,
                None => return false,
            }
        }
    }
}

/// Parses a file and builds its view; `None` when the parser gives up.
pub fn view(syntax: Syntax, text: &str) -> Option<View> {
    if syntax == Syntax::Perl {
        return Some(perl::view(text));
    }
    if syntax == Syntax::VisualBasic {
        return Some(vb::view(text));
    }
    if syntax == Syntax::Asp {
        return Some(vb::view_asp(text));
    }
    if syntax == Syntax::Rust {
        return rust::view(text);
    }
    let tree = parse(syntax, text)?;
    let mut b = Builder::new(syntax, text, tree.root_node());
    let root = tree.root_node();
    match syntax {
        Syntax::Python => python::walk(&mut b, root),
        Syntax::Ruby => ruby::walk(&mut b, root),
        Syntax::Go => go::walk(&mut b, root),
        Syntax::CSharp => csharp::walk(&mut b, root),
        Syntax::Java => java::walk(&mut b, root),
        Syntax::Cfml => {
            let scripts = cfml::Scripts::parse(text, root);
            cfml::walk_all(&mut b, root, &scripts);
        }
        Syntax::ObjC => objc::walk(&mut b, root),
        Syntax::Elixir => elixir::walk(&mut b, root),
        Syntax::R => r::walk(&mut b, root),
        Syntax::VisualBasic | Syntax::Rust | Syntax::Asp => unreachable!("scanned above"),
        _ => js::walk(&mut b, root),
    }
    Some(b.view)
}

/// The error and missing nodes the parser recovers from in `text`: a rewrite must not add any.
pub fn syntax_errors(syntax: Syntax, text: &str) -> usize {
    if syntax == Syntax::Perl {
        return perl::errors(text);
    }
    if syntax == Syntax::Rust {
        return rust::errors(text);
    }
    parse(syntax, text).map_or(usize::MAX, |tree| {
        let script = match syntax {
            Syntax::Cfml => cfml::Scripts::parse(text, tree.root_node()).errors(),
            _ => 0,
        };
        error_count(&tree) + script
    })
}

/// The error and missing nodes a tree holds; none to count where its root says it has none.
pub fn error_count(tree: &Tree) -> usize {
    if !tree.root_node().has_error() {
        return 0;
    }
    let mut count = 0;
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        if n.is_error() || n.is_missing() {
            count += 1;
        }
        stack.extend(n.children(&mut cursor));
    }
    count
}

fn parse(syntax: Syntax, text: &str) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&syntax.language()?).ok()?;
    parser.parse(text, None)
}

/// How deep expressions may nest before they are taken for what they are: no code anyone wrote
/// by hand, and no reason to exhaust the stack.
const MAX_DEPTH: usize = 200;

/// What the adapters share: the view under construction and where the walk is.
pub(crate) struct Builder<'t> {
    text: &'t str,
    view: View,
    calls: HashMap<usize, usize>,
    /// Names that stand, in a scope, for another callable (`from m import ServerProxy as
    /// Proxy`, a parameter defaulting to `ServerProxy`): a call through one is a call to what
    /// it names.
    aliases: HashMap<(usize, String), String>,
    /// The last binding of each name in each scope, so a call finds what its name holds at
    /// once.
    last_bound: HashMap<(usize, String), usize>,
    scope: usize,
    stmt: Range<usize>,
    depth: usize,
}

impl<'t> Builder<'t> {
    fn new(syntax: Syntax, text: &'t str, root: Node) -> Self {
        Builder {
            text,
            view: View::new(syntax, root.byte_range()),
            calls: HashMap::new(),
            aliases: HashMap::new(),
            last_bound: HashMap::new(),
            scope: 0,
            stmt: root.byte_range(),
            depth: 0,
        }
    }

    fn src(&self, node: Node) -> &'t str {
        &self.text[node.byte_range()]
    }

    /// A chain of names without its spaces, as the view names it.
    fn name(&self, node: Node) -> Kind {
        Kind::Name(self.src(node).split_whitespace().collect())
    }

    fn comment(&mut self, node: Node) {
        self.view.comments.push(node.byte_range());
    }

    /// Runs `f` inside a new scope.
    fn scoped(
        &mut self,
        kind: ScopeKind,
        node: Node,
        name: &str,
        params: Vec<String>,
        f: impl FnOnce(&mut Self),
    ) {
        let parent = self.scope;
        self.view.scopes.push(Scope {
            kind,
            name: name.to_string(),
            span: node.byte_range(),
            parent: Some(parent),
            params,
        });
        self.scope = self.view.scopes.len() - 1;
        f(self);
        self.scope = parent;
    }

    /// Runs `f` with `node` as the current statement.
    fn statement(&mut self, node: Node, f: impl FnOnce(&mut Self)) {
        let outer = std::mem::replace(&mut self.stmt, node.byte_range());
        f(self);
        self.stmt = outer;
    }

    fn bind(&mut self, target: Node, value: Expr) {
        let Kind::Name(name) = self.name(target) else {
            unreachable!("names are names")
        };
        self.last_bound
            .insert((self.scope, name.clone()), self.view.bindings.len());
        self.view.bindings.push(Binding {
            target: name,
            target_span: target.byte_range(),
            value,
            scope: self.scope,
            stmt: self.stmt.clone(),
        });
    }

    /// `import config`, `from settings import KEY`, `import cfg from './cfg'`: a name the
    /// module binds to what it imports, readable wherever the module's names are.
    fn bind_import(&mut self, name: Node, statement: Node) {
        let value = Expr {
            span: statement.byte_range(),
            kind: Kind::Other,
        };
        self.bind(name, value);
    }

    /// `name` stands in `scope` for the callable `target` names (a chain of names).
    fn alias(&mut self, scope: usize, name: &str, target: &str) {
        if name != target {
            self.aliases
                .insert((scope, name.to_string()), target.to_string());
        }
    }

    /// What a bare name called as a function stands for, as the current scope sees it: an
    /// alias, or a chain of names last assigned to it (`Proxy = xmlrpc.client.ServerProxy`),
    /// followed a few steps (`server=Proxy` with `ServerProxy as Proxy`). The innermost scope
    /// that binds the name, or takes it as a parameter, decides.
    fn aliased(&self, name: &str) -> Option<&str> {
        let step = |name: &str| {
            let mut scope = Some(self.scope);
            while let Some(s) = scope {
                let key = (s, name.to_string());
                if let Some(target) = self.aliases.get(&key) {
                    return Some(target.as_str());
                }
                if let Some(&i) = self.last_bound.get(&key) {
                    return match &self.view.bindings[i].value.kind {
                        Kind::Name(target) if target != name => Some(target.as_str()),
                        _ => None,
                    };
                }
                if self.view.scopes[s].params.iter().any(|p| p == name) {
                    return None;
                }
                scope = self.view.scopes[s].parent;
            }
            None
        };
        let mut target = step(name)?;
        for _ in 0..3 {
            match step(target) {
                Some(next) if next != name => target = next,
                _ => break,
            }
        }
        Some(target)
    }

    /// Records a call once, however many times the walk meets it; returns its index.
    fn call(&mut self, node: Node, build: impl FnOnce(&mut Self) -> Call) -> usize {
        if let Some(&i) = self.calls.get(&node.id()) {
            return i;
        }
        let call = build(self);
        self.view.calls.push(call);
        let i = self.view.calls.len() - 1;
        self.calls.insert(node.id(), i);
        i
    }

    /// Records a top-level string expression, in place of the parts of it that were met while
    /// it was built.
    fn string(&mut self, expr: &Expr) {
        if matches!(expr.kind, Kind::Str(_)) {
            let strings = &mut self.view.strings;
            while strings
                .last()
                .is_some_and(|s| expr.span.start <= s.span.start && s.span.end <= expr.span.end)
            {
                strings.pop();
            }
            self.view.strings.push(expr.clone());
        }
    }

    /// Guards recursion: `None` once nesting is deeper than anyone writes.
    /// Walks a node's named children with the adapter's `walk`, as deep as `MAX_DEPTH` lets it.
    /// The expression at `node`, its kind read by the language's `kind` (`Other` past the
    /// nesting limit).
    fn expr(&mut self, node: Node, kind: fn(&mut Builder, Node) -> Kind) -> Expr {
        let kind = self.deeper(|b| kind(b, node)).unwrap_or(Kind::Other);
        Expr {
            span: node.byte_range(),
            kind,
        }
    }

    /// `left OP right` as one string, where OP is the language's string concatenation (`+`,
    /// CFML's `&`); `Other` for any other operator.
    fn concatenation(
        &mut self,
        node: Node,
        joiner: &str,
        expr: fn(&mut Builder, Node) -> Expr,
    ) -> Kind {
        let (Some(left), Some(right), Some(op)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
            node.child_by_field_name("operator"),
        ) else {
            return Kind::Other;
        };
        if self.src(op) != joiner {
            return Kind::Other;
        }
        let parts = vec![expr(self, left), expr(self, right)];
        join(parts).map_or(Kind::Other, Kind::Str)
    }

    /// Records `expr` if it is a string: `true` then, and its parts need no walk of their own.
    fn leaf_string(&mut self, expr: &Expr) -> bool {
        self.string(expr);
        matches!(expr.kind, Kind::Str(_))
    }

    fn children(&mut self, node: Node, walk: fn(&mut Builder, Node)) {
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            if self.deeper(|b| walk(b, child)).is_none() {
                return;
            }
        }
    }

    fn deeper<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        Some(out)
    }

    fn new_call(
        &self,
        node: Node,
        mut name: String,
        receiver: Option<Expr>,
        mut callee: Expr,
        args: Vec<Arg>,
        parens: Option<Range<usize>>,
    ) -> Call {
        if let (None, Kind::Name(n)) = (&receiver, &callee.kind) {
            if let Some(target) = self.aliased(n) {
                name = target.rsplit('.').next().unwrap_or(target).to_string();
                callee.kind = Kind::Name(target.to_string());
            }
        }
        Call {
            span: node.byte_range(),
            name,
            receiver: receiver.map(Box::new),
            callee: Box::new(callee),
            args,
            parens,
            scope: self.scope,
            stmt: self.stmt.clone(),
            new: false,
        }
    }
}

/// The template of a string literal's parts: content as literal text, the rest as holes.
fn literal_parts(node: Node, text: &str, content: &[&str]) -> Template {
    let mut t = Template::default();
    let mut cursor = node.walk();
    for part in node.named_children(&mut cursor) {
        if content.contains(&part.kind()) {
            t.literal(&text[part.byte_range()], part.start_byte());
        } else if !matches!(
            part.kind(),
            "string_start" | "string_end" | "string_open" | "string_close"
        ) {
            t.hole(part.byte_range());
        }
    }
    t
}

/// Joins templates and holes, as `a + b + c` builds a string; `None` when no operand is a
/// string, which makes it arithmetic.
fn join(parts: Vec<Expr>) -> Option<Template> {
    let mut out = Template::default();
    let mut any = false;
    for p in parts {
        match p.kind {
            Kind::Str(t) => {
                any = true;
                out.append(t);
            }
            _ => out.hole(p.span),
        }
    }
    any.then_some(out)
}

/// `format % args`, `format.format(args)`, `sprintf`: each placeholder becomes a hole for its
/// argument (or for the call when the arguments cannot be told apart).
fn expand_format(
    format: Template,
    args: &[Expr],
    whole: Range<usize>,
    placeholders: &regex::Regex,
) -> Template {
    let mut out = Template::default();
    let mut next = args.iter();
    let mut last = 0;
    for m in placeholders.find_iter(&format.text) {
        push_slice(&mut out, &format, last..m.start());
        out.hole(next.next().map_or(whole.clone(), |a| a.span.clone()));
        last = m.end();
    }
    push_slice(&mut out, &format, last..format.text.len());
    out
}

fn push_slice(out: &mut Template, from: &Template, range: Range<usize>) {
    if range.is_empty() {
        return;
    }
    match from.source_range(range.clone()) {
        Some(source) => out.literal(&from.text[range], source.start),
        None if from.text[range.clone()] == *HOLE => {
            out.hole(from.holes_in(range).next().unwrap_or(0..0))
        }
        None => out.text += &from.text[range],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(syntax: Syntax, src: &str) -> Vec<String> {
        view(syntax, src)
            .unwrap()
            .strings
            .into_iter()
            .filter_map(|e| match e.kind {
                Kind::Str(t) => Some(t.text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn endpoints_are_flattened_whatever_builds_them() {
        let py = "u = 'https://%s.infusionsoft.com/api/xmlrpc' % app\nv = f\"https://{app}.infusionsoft.com/api/xmlrpc\"\nw = 'https://{0}.infusionsoft.com'.format(app) + '/api/xmlrpc'\n";
        assert_eq!(
            strings(Syntax::Python, py),
            [
                "https://{}.infusionsoft.com/api/xmlrpc",
                "https://{}.infusionsoft.com/api/xmlrpc",
                "https://{}.infusionsoft.com/api/xmlrpc"
            ]
        );
        let rb = "u = \"https://#{app}.infusionsoft.com/api/xmlrpc\"\nv = 'https://' + app + '.infusionsoft.com/api/xmlrpc'\n";
        assert_eq!(
            strings(Syntax::Ruby, rb),
            [
                "https://{}.infusionsoft.com/api/xmlrpc",
                "https://{}.infusionsoft.com/api/xmlrpc"
            ]
        );
        let go = "package k\n\nfunc u(app string) {\n\ta := fmt.Sprintf(\"https://%s.infusionsoft.com/api/xmlrpc\", app)\n\tb := \"https://\" + app + `.infusionsoft.com/api/xmlrpc`\n\t_, _ = a, b\n}\n";
        assert_eq!(
            strings(Syntax::Go, go),
            [
                "https://{}.infusionsoft.com/api/xmlrpc",
                "https://{}.infusionsoft.com/api/xmlrpc"
            ]
        );
        let objc = "NSString *u = [NSString stringWithFormat:@\"https://%@.infusionsoft.com/api/xmlrpc\", app];\n";
        let ex = "defmodule K do\n  def u(app), do: \"https://#{app}.infusionsoft.com\" <> \"/api/xmlrpc\"\nend\n";
        let r = "u <- paste(\"https://\", app, \".infusionsoft.com/api/xmlrpc\", sep = \"\")\nv <- sprintf(\"https://%s.infusionsoft.com/api/xmlrpc\", app)\n";
        for (syntax, src) in [(Syntax::ObjC, objc), (Syntax::Elixir, ex), (Syntax::R, r)] {
            let found = strings(syntax, src);
            assert!(!found.is_empty(), "{syntax:?}");
            assert!(
                found
                    .iter()
                    .all(|s| s == "https://{}.infusionsoft.com/api/xmlrpc"),
                "{syntax:?}: {found:?}"
            );
        }
        let js = "const u = `https://${app}.infusionsoft.com/api/xmlrpc`;\nconst v = 'https://' + app + '.infusionsoft.com' + '/api/xmlrpc';\n";
        assert_eq!(
            strings(Syntax::JavaScript, js),
            [
                "https://{}.infusionsoft.com/api/xmlrpc",
                "https://{}.infusionsoft.com/api/xmlrpc"
            ]
        );
    }

    #[test]
    fn what_js_functions_give_back_is_in_the_view() {
        let v = view(
            Syntax::JavaScript,
            "new Api({ mutators: [([m, p]) => ([m, [this.key, ...p]])] });\nfunction f(a) { return [k].concat(a); }\nconst g = (x) => { return x; };\n",
        )
        .unwrap();
        assert_eq!(v.returns.len(), 3);
        let Kind::List(items) = &v.returns[0].kind else {
            panic!("the arrow's body is a list")
        };
        assert!(matches!(&items[1].kind, Kind::List(inner)
            if matches!(&inner[0].kind, Kind::Name(n) if n == "this.key")
                && matches!(inner[1].kind, Kind::Splat(_))));
        assert!(matches!(v.returns[1].kind, Kind::Join(_)));
        assert!(matches!(&v.returns[2].kind, Kind::Name(n) if n == "x"));
    }

    #[test]
    fn calls_have_receiver_name_and_arguments() {
        let v = view(
            Syntax::Python,
            "class C:\n    def go(self):\n        self.server.ContactService.add(self.key, {'Email': e}, *rest)\n",
        )
        .unwrap();
        let call = &v.calls[0];
        assert_eq!(call.name, "add");
        assert!(
            matches!(&call.receiver.as_ref().unwrap().kind, Kind::Name(n) if n == "self.server.ContactService")
        );
        assert!(matches!(&call.args[0].value.kind, Kind::Name(n) if n == "self.key"));
        assert!(
            matches!(&call.args[1].value.kind, Kind::Map(e) if e[0].key.as_deref() == Some("Email"))
        );
        assert!(matches!(&call.args[2].value.kind, Kind::Splat(_)));
        assert_eq!(v.scopes[call.scope].kind, ScopeKind::Function);
        assert_eq!(
            v.class_of(call.scope).map(|c| v.scopes[c].name.as_str()),
            Some("C")
        );

        let v = view(
            Syntax::Ruby,
            "@server.call(\"ContactService.add\", @key, { 'A' => 1 })\n",
        )
        .unwrap();
        assert_eq!(v.calls[0].name, "call");
        assert!(matches!(&v.calls[0].args[1].value.kind, Kind::Name(n) if n == "@key"));

        let v = view(
            Syntax::Go,
            "package k\n\n// sync\nconst key = \"k\"\n\nfunc (s *Sync) Add(email string) {\n\tparams := []interface{}{key, Contact{Email: email}}\n\tclient, err := xmlrpc.NewClient(url, nil)\n\terr = client.Call(\"ContactService.add\", params, &id)\n}\n",
        )
        .unwrap();
        let call = v.calls.iter().find(|c| c.name == "Call").unwrap();
        assert!(matches!(&call.receiver.as_ref().unwrap().kind, Kind::Name(n) if n == "client"));
        let scope = &v.scopes[call.scope];
        assert_eq!(
            (scope.kind, scope.name.as_str()),
            (ScopeKind::Function, "Add")
        );
        assert_eq!(scope.params, ["s", "email"]);
        let bound = |name: &str| v.bindings.iter().find(|b| b.target == name).unwrap();
        assert!(matches!(&bound("key").value.kind, Kind::Str(t) if t.text == "k"));
        assert_eq!(bound("key").scope, 0);
        let Kind::List(items) = &bound("params").value.kind else {
            panic!("a slice literal is a list")
        };
        assert!(matches!(&items[0].kind, Kind::Name(n) if n == "key"));
        assert!(matches!(&items[1].kind, Kind::Map(e) if e[0].key.as_deref() == Some("Email")));
        assert!(
            matches!(bound("client").value.kind, Kind::Call(i) if v.calls[i].path() == Some("xmlrpc.NewClient"))
        );
        assert!(matches!(
            v.calls.iter().find(|c| c.name == "NewClient").unwrap().args[1]
                .value
                .kind,
            Kind::Nil
        ));
        assert_eq!(v.comments.len(), 1);

        let v = view(
            Syntax::JavaScript,
            "client.methodCall('DataService.query', [apiKey, 'Contact'], cb);\n",
        )
        .unwrap();
        assert!(
            matches!(&v.calls[0].args[1].value.kind, Kind::List(l) if matches!(&l[0].kind, Kind::Name(n) if n == "apiKey"))
        );
    }
}
