//! VB.NET onto the view, by a small structural scanner rather than a grammar: the one crate
//! there is (tree-sitter-vb-dotnet 0.1.0) loses the interface of Keap's own VB sample, whose
//! `<XmlRpcUrl("…")> _` attribute is continued onto the next line. The scanner reads logical
//! lines (`_` continuations joined, `:` separating statements), attributes, type and method
//! declarations, `Dim x As T = …` declarations, assignments, and the calls and strings in
//! expressions (`&` and `+` concatenation, `String.Format`).
use std::ops::Range;

use super::{
    csharp::FORMAT_ITEM, expand_format, join, Arg, Binding, Call, Expr, Kind, Proxy, RpcMethod,
    Scope, ScopeKind, Syntax, Template, Typed, View,
};

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Str,
    Word,
    Number,
    Punct(char),
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    span: Range<usize>,
}

/// Words that open or qualify a declaration, never a name.
const MODIFIERS: &[&str] = &[
    "public",
    "private",
    "friend",
    "protected",
    "shared",
    "static",
    "readonly",
    "overrides",
    "overridable",
    "overloads",
    "partial",
    "mustinherit",
    "notinheritable",
    "const",
    "dim",
    "async",
    "withevents",
];

pub(super) fn view(text: &str) -> View {
    scan(Syntax::VisualBasic, text)
}

/// Classic ASP: the VBScript inside `<% … %>`, read by the same scanner with the markup
/// around it blanked (newlines kept), so offsets stay the file's. Keap's own ASP sample
/// (`Legacy/asp/api.asp`) sends its calls with aspxmlrpc's `xmlRPC(url, "X.y", paramList)`.
pub(super) fn view_asp(text: &str) -> View {
    let mut masked = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("<%") {
        blank(&mut masked, &rest[..open + 2]);
        rest = &rest[open + 2..];
        // `<%= expr %>` writes a value; `<%@ … %>` is a directive.
        let code_end = rest.find("%>").unwrap_or(rest.len());
        let code = &rest[..code_end];
        if code.starts_with('@') {
            blank(&mut masked, code);
        } else {
            masked.push_str(code);
        }
        rest = &rest[code_end..];
        let close = rest.len().min(2);
        blank(&mut masked, &rest[..close]);
        rest = &rest[close..];
    }
    blank(&mut masked, rest);
    scan(Syntax::Asp, &masked)
}

/// Markup as spaces, its line breaks kept.
fn blank(out: &mut String, markup: &str) {
    out.extend(markup.chars().map(|c| match c {
        '\n' | '\r' => c,
        _ => ' ',
    }));
}

fn scan(syntax: Syntax, text: &str) -> View {
    let mut s = Scanner {
        text,
        view: View::new(syntax, 0..text.len()),
        scope: 0,
        stmt: 0..0,
        depth: 0,
    };
    for line in s.lines() {
        s.stmt = line.first().map_or(0, |t| t.span.start)..line.last().map_or(0, |t| t.span.end);
        s.statement(&line);
    }
    s.view
}

struct Scanner<'t> {
    text: &'t str,
    view: View,
    scope: usize,
    stmt: Range<usize>,
    /// How deep expressions nest where the scanner is: bounded as the tree-sitter walks are.
    depth: usize,
}

impl<'t> Scanner<'t> {
    fn src(&self, t: &Token) -> &'t str {
        &self.text[t.span.clone()]
    }

    fn word(&self, t: Option<&Token>) -> String {
        match t {
            Some(t) if t.tok == Tok::Word => self.src(t).to_ascii_lowercase(),
            _ => String::new(),
        }
    }

    /// The logical lines of the file as tokens; comments go to the view.
    fn lines(&mut self) -> Vec<Vec<Token>> {
        let bytes = self.text.as_bytes();
        let mut lines = vec![Vec::new()];
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let start = i;
            let rest = &self.text[i..];
            let at_word_start = i == 0 || !is_word_byte(bytes[i - 1]);
            let rem = rest
                .get(..4)
                .is_some_and(|r| r.eq_ignore_ascii_case("rem "));
            if c == b'\'' || (at_word_start && rem) {
                let end = rest.find('\n').map_or(bytes.len(), |n| i + n);
                self.view.comments.push(start..end);
                i = end;
                continue;
            }
            // `:` separates statements; `:=` names an argument.
            if c == b'\n' || (c == b':' && bytes.get(i + 1) != Some(&b'=')) {
                lines.push(Vec::new());
                i += 1;
                continue;
            }
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            // ` _` at the end of a line continues it.
            if c == b'_' && (i + 1 == bytes.len() || bytes[i + 1].is_ascii_whitespace()) {
                let after = rest[1..].trim_start_matches([' ', '\t', '\r']);
                if after.is_empty() || after.starts_with('\n') || after.starts_with('\'') {
                    i = bytes.len() - after.len();
                    if after.starts_with('\n') {
                        i += 1;
                    }
                    continue;
                }
            }
            let tok = if c == b'"' {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'"' {
                        if bytes.get(i + 1) == Some(&b'"') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    if bytes[i] == b'\n' {
                        break;
                    }
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
                Tok::Str
            } else if c.is_ascii_digit() {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
                Tok::Number
            } else if is_word_byte(c) || c == b'[' {
                // `[Date]` escapes a keyword used as a name.
                let escaped = c == b'[';
                i += 1;
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                if escaped && bytes.get(i) == Some(&b']') {
                    i += 1;
                }
                Tok::Word
            } else {
                let ch = rest.chars().next().expect("not at the end");
                i += ch.len_utf8();
                Tok::Punct(ch)
            };
            lines.last_mut().expect("a line").push(Token {
                tok,
                span: start..i,
            });
        }
        lines.retain(|l| !l.is_empty());
        lines
    }

    fn statement(&mut self, line: &[Token]) {
        let mut at = 0;
        // `<XmlRpcUrl("…")>`, `<XmlRpcMethod("X.y")>` before a declaration.
        let mut attrs: Vec<(String, Option<Template>)> = Vec::new();
        while line.get(at).is_some_and(|t| t.tok == Tok::Punct('<')) {
            let Some(close) = line[at..].iter().position(|t| t.tok == Tok::Punct('>')) else {
                break;
            };
            let inside = &line[at + 1..at + close];
            if let Some(name) = inside.first().filter(|t| t.tok == Tok::Word) {
                let name = self.src(name).to_string();
                let mut p = 1;
                let arg = (inside.get(1).map(|t| &t.tok) == Some(&Tok::Punct('('))).then(|| {
                    p = 2;
                    self.expr(inside, &mut p)
                });
                if let Some(arg) = &arg {
                    self.string(arg);
                }
                let arg = arg.and_then(|e| match e.kind {
                    Kind::Str(t) => Some(t),
                    _ => None,
                });
                attrs.push((name, arg));
            }
            at += close + 1;
        }
        let attr = |name: &str| {
            attrs.iter().find_map(|(n, arg)| {
                let n = n.rsplit('.').next().unwrap_or(n);
                (n.eq_ignore_ascii_case(name)
                    || n.eq_ignore_ascii_case(&format!("{name}Attribute")))
                .then(|| arg.clone())
                .flatten()
            })
        };
        let rest = &line[at..];
        let first = self.word(rest.first());
        if first == "end" {
            let what = self.word(rest.get(1));
            if matches!(
                what.as_str(),
                "class" | "module" | "interface" | "structure" | "function" | "sub" | "property"
            ) {
                self.close(line.last().map_or(0, |t| t.span.end));
            }
            return;
        }
        let mut d = 0;
        while MODIFIERS.contains(&self.word(rest.get(d)).as_str())
            && !matches!(self.word(rest.get(d + 1)).as_str(), "" | "as")
            && rest.get(d + 1).is_some_and(|t| t.tok == Tok::Word)
        {
            d += 1;
        }
        let head = self.word(rest.get(d));
        let declares = d > 0 || matches!(first.as_str(), "dim" | "const");
        match head.as_str() {
            "class" | "module" | "interface" | "structure" => {
                let name = rest.get(d + 1).map_or("", |t| self.src(t)).to_string();
                let url = attr("XmlRpcUrl");
                if url.is_some() {
                    self.view.proxies.push(Proxy {
                        name: name.clone(),
                        url,
                        span: self.stmt.clone(),
                    });
                }
                self.open(ScopeKind::Class, name, Vec::new());
            }
            "function" | "sub" | "property" => {
                let name = rest.get(d + 1).map_or("", |t| self.src(t)).to_string();
                let params = self.params(&rest[d + 2..]);
                let class = self.view.scopes[self.scope].name.clone();
                if let Some(method) = attr("XmlRpcMethod").filter(|t| t.is_plain()) {
                    if !self.view.proxies.iter().any(|p| p.name == class) {
                        self.view.proxies.push(Proxy {
                            name: class.clone(),
                            url: None,
                            span: self.stmt.clone(),
                        });
                    }
                    self.view.rpc_methods.push(RpcMethod {
                        name: name.clone(),
                        method: method.text,
                        proxy: class,
                        span: self.stmt.clone(),
                    });
                }
                // An interface's members, `MustOverride` and `Declare` ones have no body.
                let interface = self.in_interface();
                let bodiless = rest[..d]
                    .iter()
                    .any(|t| self.src(t).eq_ignore_ascii_case("mustoverride"))
                    || first == "declare";
                if !interface && !bodiless {
                    self.open(ScopeKind::Function, name, params);
                }
            }
            _ if declares => self.declaration(&rest[d..]),
            _ => self.assignment_or_call(rest),
        }
    }

    fn in_interface(&self) -> bool {
        let scope = &self.view.scopes[self.scope];
        scope.kind == ScopeKind::Class
            && self.text[scope.span.clone()]
                .split_whitespace()
                .take(4)
                .any(|w| w.eq_ignore_ascii_case("interface"))
    }

    fn open(&mut self, kind: ScopeKind, name: String, params: Vec<String>) {
        self.view.scopes.push(Scope {
            kind,
            name,
            span: self.stmt.start..self.text.len(),
            parent: Some(self.scope),
            params,
        });
        self.scope = self.view.scopes.len() - 1;
    }

    fn close(&mut self, end: usize) {
        if let Some(parent) = self.view.scopes[self.scope].parent {
            self.view.scopes[self.scope].span.end = end;
            self.scope = parent;
        }
    }

    /// `(ByVal key As String, ByRef id As Integer)`: the names, and their types.
    fn params(&mut self, toks: &[Token]) -> Vec<String> {
        let mut out = Vec::new();
        if toks.first().map(|t| &t.tok) != Some(&Tok::Punct('(')) {
            return out;
        }
        let mut depth = 0;
        let mut current: Vec<&Token> = Vec::new();
        for t in toks {
            match t.tok {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => depth -= 1,
                _ => {}
            }
            let boundary = (depth == 1 && t.tok == Tok::Punct(',')) || depth == 0;
            if boundary {
                let words: Vec<&Token> = current
                    .iter()
                    .copied()
                    .filter(|t| t.tok == Tok::Word)
                    .filter(|t| {
                        !matches!(
                            self.src(t).to_ascii_lowercase().as_str(),
                            "byval" | "byref" | "optional" | "paramarray"
                        )
                    })
                    .collect();
                if let Some(name) = words.first() {
                    let name = self.src(name).to_string();
                    let as_at = words
                        .iter()
                        .position(|t| self.src(t).eq_ignore_ascii_case("as"));
                    if let Some(ty) = as_at.and_then(|a| words.get(a + 1)) {
                        self.view.typed.push(Typed {
                            name: name.clone(),
                            type_name: self.src(ty).to_string(),
                        });
                    }
                    out.push(name);
                }
                current.clear();
                if depth == 0 {
                    break;
                }
            } else if depth >= 1 && !(depth == 1 && t.tok == Tok::Punct('(')) {
                current.push(t);
            }
        }
        out
    }

    /// `key As String = "…"`, `proxy As IKeap = CType(…)`, `c As New XmlRpcStruct`, `x = …`.
    fn declaration(&mut self, toks: &[Token]) {
        let Some(name) = toks.first().filter(|t| t.tok == Tok::Word) else {
            return;
        };
        let mut i = 1;
        if self.word(toks.get(i)) == "as" {
            i += 1;
            let new = self.word(toks.get(i)) == "new";
            if new {
                let mut j = i;
                let call = self.expr(toks, &mut j);
                if let Some(ty) = toks.get(i + 1) {
                    self.view.typed.push(Typed {
                        name: self.src(name).to_string(),
                        type_name: self.src(ty).to_string(),
                    });
                }
                self.bind(name, call);
                return;
            }
            let mut ty = String::new();
            while let Some(t) = toks.get(i).filter(|t| t.tok != Tok::Punct('=')) {
                ty += self.src(t);
                i += 1;
            }
            self.view.typed.push(Typed {
                name: self.src(name).to_string(),
                type_name: ty,
            });
        }
        if toks.get(i).map(|t| &t.tok) == Some(&Tok::Punct('=')) {
            i += 1;
            let value = self.expr(toks, &mut i);
            self.string(&value);
            self.bind(name, value);
        }
    }

    fn assignment_or_call(&mut self, toks: &[Token]) {
        // `Call proxy.X(…)`, VBScript's `Set x = …`: the keyword adds nothing.
        let toks = if matches!(self.word(toks.first()).as_str(), "call" | "set") {
            &toks[1..]
        } else {
            toks
        };
        let mut i = 0;
        let target = self.expr(toks, &mut i);
        // `x = …`, `x &= …`: the expression parser stops before an assignment's operator.
        let op = toks.get(i).map(|t| self.src(t)).unwrap_or("");
        // `paramList(0) = key`: a slot of an array, which VB indexes with parentheses.
        let slot = match &target.kind {
            Kind::Call(c) => {
                let c = &self.view.calls[*c];
                matches!(c.callee.kind, Kind::Name(_))
                    && matches!(&c.args[..], [a] if matches!(a.value.kind, Kind::Number))
            }
            _ => false,
        };
        if op == "=" && (matches!(target.kind, Kind::Name(_)) || slot) {
            i += 1;
            let value = self.expr(toks, &mut i);
            self.string(&value);
            let target_name = if slot {
                self.text[target.span.clone()].split_whitespace().collect()
            } else {
                name_of(&target)
            };
            self.view.bindings.push(Binding {
                target: target_name,
                target_span: target.span.clone(),
                value,
                scope: self.scope,
                stmt: self.stmt.clone(),
            });
            return;
        }
        self.string(&target);
        // Whatever follows (`If x Then y(…)`, `retID = proxy.add(…)` behind a keyword) is
        // read for its calls and strings.
        while i < toks.len() {
            let before = i;
            let e = self.expr(toks, &mut i);
            self.string(&e);
            if i == before {
                i += 1;
            }
        }
    }

    fn bind(&mut self, name: &Token, value: Expr) {
        self.view.bindings.push(Binding {
            target: self.src(name).to_string(),
            target_span: name.span.clone(),
            value,
            scope: self.scope,
            stmt: self.stmt.clone(),
        });
    }

    /// Records a top-level string expression, in place of the parts of it met while it was
    /// built (as the tree-sitter adapters do).
    fn string(&mut self, e: &Expr) {
        if matches!(e.kind, Kind::Str(_)) {
            let strings = &mut self.view.strings;
            while strings
                .last()
                .is_some_and(|s| e.span.start <= s.span.start && s.span.end <= e.span.end)
            {
                strings.pop();
            }
            strings.push(e.clone());
        }
    }

    /// An expression from `toks[*i]`: operands joined by operators; `&` and `+` build strings.
    /// Nested deeper than anyone writes, it is skipped whole (up to the `,` or `)` that ends
    /// it) and taken for what it is, rather than exhaust the stack.
    fn expr(&mut self, toks: &[Token], i: &mut usize) -> Expr {
        if self.depth >= super::MAX_DEPTH {
            let start = toks.get(*i).map_or(0, |t| t.span.start);
            let mut open = 0usize;
            let mut end = start;
            while let Some(t) = toks.get(*i) {
                match t.tok {
                    Tok::Punct('(') => open += 1,
                    Tok::Punct(')' | ',') if open == 0 => break,
                    Tok::Punct(')') => open -= 1,
                    _ => {}
                }
                end = t.span.end;
                *i += 1;
            }
            return Expr {
                span: start..end,
                kind: Kind::Other,
            };
        }
        self.depth += 1;
        let e = self.operation(toks, i);
        self.depth -= 1;
        e
    }

    fn operation(&mut self, toks: &[Token], i: &mut usize) -> Expr {
        let start = *i;
        let mut parts = vec![self.operand(toks, i)];
        let mut concat = true;
        loop {
            let op = match toks.get(*i) {
                Some(t) if matches!(t.tok, Tok::Punct('&' | '+' | '-' | '*' | '/' | '<' | '>')) => {
                    // `&=` and `+=` assign: the statement's business.
                    if toks.get(*i + 1).map(|t| &t.tok) == Some(&Tok::Punct('='))
                        && matches!(t.tok, Tok::Punct('&' | '+' | '-' | '*' | '/'))
                    {
                        break;
                    }
                    self.src(t).to_string()
                }
                Some(t) if t.tok == Tok::Word => {
                    let w = self.src(t).to_ascii_lowercase();
                    if !matches!(
                        w.as_str(),
                        "and"
                            | "or"
                            | "andalso"
                            | "orelse"
                            | "mod"
                            | "xor"
                            | "is"
                            | "isnot"
                            | "like"
                    ) {
                        break;
                    }
                    w
                }
                _ => break,
            };
            *i += 1;
            if !matches!(op.as_str(), "&" | "+") {
                concat = false;
            }
            // `<>`, `<=`, `>=`.
            while toks
                .get(*i)
                .is_some_and(|t| matches!(t.tok, Tok::Punct('=' | '>')))
            {
                *i += 1;
            }
            let before = *i;
            parts.push(self.operand(toks, i));
            if *i == before {
                break;
            }
        }
        let end = toks
            .get(i.saturating_sub(1))
            .filter(|_| *i > start)
            .map_or(parts[0].span.end, |t| t.span.end);
        let span = parts[0].span.start..end.max(parts[0].span.end);
        if parts.len() == 1 {
            return parts.pop().expect("one part");
        }
        let kind = if concat {
            join(parts).map_or(Kind::Other, Kind::Str)
        } else {
            Kind::Other
        };
        Expr { span, kind }
    }

    fn operand(&mut self, toks: &[Token], i: &mut usize) -> Expr {
        let Some(t) = toks.get(*i) else {
            let end = toks.last().map_or(0, |t| t.span.end);
            return Expr {
                span: end..end,
                kind: Kind::Other,
            };
        };
        let span = t.span.clone();
        match t.tok {
            Tok::Str => {
                *i += 1;
                let mut tpl = Template::default();
                if span.len() >= 2 {
                    tpl.literal(&self.text[span.start + 1..span.end - 1], span.start + 1);
                }
                Expr {
                    span,
                    kind: Kind::Str(tpl),
                }
            }
            Tok::Number => {
                *i += 1;
                Expr {
                    span,
                    kind: Kind::Number,
                }
            }
            Tok::Punct('(') => {
                *i += 1;
                let inner = self.expr(toks, i);
                let end = self.skip_to_close(toks, i);
                Expr {
                    span: span.start..end,
                    kind: inner.kind,
                }
            }
            Tok::Punct('-' | '+') => {
                while toks
                    .get(*i)
                    .is_some_and(|t| matches!(t.tok, Tok::Punct('-' | '+')))
                {
                    *i += 1;
                }
                self.operand(toks, i)
            }
            Tok::Word => self.chain(toks, i),
            Tok::Punct(_) => Expr {
                span,
                kind: Kind::Other,
            },
        }
    }

    /// Skips to the `)` that closes the group `*i` is in; returns where it ends.
    fn skip_to_close(&self, toks: &[Token], i: &mut usize) -> usize {
        let mut depth = 1;
        while let Some(t) = toks.get(*i) {
            *i += 1;
            match t.tok {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => {
                    depth -= 1;
                    if depth == 0 {
                        return t.span.end;
                    }
                }
                _ => {}
            }
        }
        toks.last().map_or(0, |t| t.span.end)
    }

    /// `a.b.c`, `a.b(args).c(args)`, `New T(args)`, keywords that are values.
    fn chain(&mut self, toks: &[Token], i: &mut usize) -> Expr {
        let start = toks[*i].span.start;
        let word = self.src(&toks[*i]).to_ascii_lowercase();
        match word.as_str() {
            "nothing" | "true" | "false" => {
                *i += 1;
                return Expr {
                    span: toks[*i - 1].span.clone(),
                    kind: Kind::Nil,
                };
            }
            "not" | "new" | "addressof" | "byval" | "byref" => {
                *i += 1;
                let new = word == "new";
                let mut inner = self.operand(toks, i);
                if new {
                    if let Kind::Call(c) = inner.kind {
                        self.view.calls[c].new = true;
                    } else if let Kind::Name(n) = &inner.kind {
                        // `New XmlRpcStruct` without parentheses is a construction all the same.
                        let call =
                            self.make_call(n.clone(), inner.span.clone(), None, Vec::new(), None);
                        self.view.calls[call].new = true;
                        inner.kind = Kind::Call(call);
                    }
                    inner.span.start = start;
                }
                return inner;
            }
            _ => {}
        }
        let mut path = String::new();
        let mut value: Option<Expr> = None;
        while let Some(t) = toks.get(*i) {
            match t.tok {
                Tok::Word if path.is_empty() || path.ends_with('.') => {
                    path += self.src(t);
                    *i += 1;
                }
                Tok::Punct('.') if !path.is_empty() && !path.ends_with('.') => {
                    path.push('.');
                    *i += 1;
                }
                Tok::Punct('(') if !path.is_empty() && !path.ends_with('.') => {
                    *i += 1;
                    let (args, close) = self.args(toks, i);
                    let callee_span = start..t.span.start;
                    let (name, receiver) = match path.rsplit_once('.') {
                        Some((recv, name)) => (
                            name.to_string(),
                            Some(Expr {
                                span: start..start + recv.len(),
                                kind: match &value {
                                    Some(v) if recv.contains('(') => v.kind.clone(),
                                    _ => Kind::Name(recv.to_string()),
                                },
                            }),
                        ),
                        None => (path.clone(), None),
                    };
                    let span = start..close;
                    let e = self.call_expr(
                        name,
                        &path,
                        receiver,
                        args,
                        callee_span,
                        span.clone(),
                        t.span.start..close,
                    );
                    value = Some(e);
                    // A call's result read further (`x.Y(…).Z`) is only a name when it is not a call.
                    path = format!("{path}()");
                }
                _ => break,
            }
        }
        let end = toks.get(i.saturating_sub(1)).map_or(start, |t| t.span.end);
        match value {
            Some(v) if path.ends_with("()") => v,
            _ => Expr {
                span: start..end,
                kind: if path.contains('(') {
                    Kind::Other
                } else {
                    Kind::Name(path.trim_end_matches('.').to_string())
                },
            },
        }
    }

    /// The arguments from after `(` to its `)`; returns them and where the `)` ends.
    fn args(&mut self, toks: &[Token], i: &mut usize) -> (Vec<Arg>, usize) {
        let mut args = Vec::new();
        loop {
            match toks.get(*i) {
                None => return (args, toks.last().map_or(0, |t| t.span.end)),
                Some(t) if t.tok == Tok::Punct(')') => {
                    *i += 1;
                    return (args, t.span.end);
                }
                Some(t) if t.tok == Tok::Punct(',') => *i += 1,
                Some(_) => {
                    // `name:=value`.
                    let keyword = (toks.get(*i + 1).map(|t| &t.tok) == Some(&Tok::Punct(':')))
                        .then(|| self.src(&toks[*i]).to_string());
                    let before = *i;
                    let value = self.expr(toks, i);
                    self.string(&value);
                    if *i == before {
                        *i += 1;
                        continue;
                    }
                    args.push(Arg {
                        keyword,
                        span: value.span.clone(),
                        value,
                    });
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn call_expr(
        &mut self,
        name: String,
        path: &str,
        receiver: Option<Expr>,
        args: Vec<Arg>,
        callee: Range<usize>,
        span: Range<usize>,
        parens: Range<usize>,
    ) -> Expr {
        let lower = path.to_ascii_lowercase();
        // `String.Format("https://{0}.infusionsoft.com/api/xmlrpc", app)` builds a string.
        if lower == "string.format" {
            if let Some(Kind::Str(format)) = args.first().map(|a| a.value.kind.clone()) {
                let rest: Vec<Expr> = args[1..].iter().map(|a| a.value.clone()).collect();
                return Expr {
                    kind: Kind::Str(expand_format(format, &rest, span.clone(), &FORMAT_ITEM)),
                    span,
                };
            }
        }
        // `CType(x, T)`, `DirectCast(x, T)`: the value is `x`.
        if matches!(lower.as_str(), "ctype" | "directcast" | "trycast") {
            if let Some(a) = args.into_iter().next() {
                return Expr {
                    span,
                    kind: a.value.kind,
                };
            }
            return Expr {
                span,
                kind: Kind::Other,
            };
        }
        let callee = Expr {
            span: callee,
            kind: if path.contains('(') {
                Kind::Other
            } else {
                Kind::Name(path.to_string())
            },
        };
        let index = self.push_call(Call {
            span: span.clone(),
            name,
            receiver: receiver.map(Box::new),
            callee: Box::new(callee),
            args,
            parens: Some(parens),
            scope: self.scope,
            stmt: self.stmt.clone(),
            new: false,
        });
        Expr {
            span,
            kind: Kind::Call(index),
        }
    }

    fn make_call(
        &mut self,
        path: String,
        span: Range<usize>,
        receiver: Option<Expr>,
        args: Vec<Arg>,
        parens: Option<Range<usize>>,
    ) -> usize {
        let name = path.rsplit('.').next().unwrap_or(&path).to_string();
        self.push_call(Call {
            span: span.clone(),
            name,
            receiver: receiver.map(Box::new),
            callee: Box::new(Expr {
                span,
                kind: Kind::Name(path),
            }),
            args,
            parens,
            scope: self.scope,
            stmt: self.stmt.clone(),
            new: false,
        })
    }

    fn push_call(&mut self, call: Call) -> usize {
        self.view.calls.push(call);
        self.view.calls.len() - 1
    }
}

fn name_of(e: &Expr) -> String {
    match &e.kind {
        Kind::Name(n) => n.clone(),
        _ => String::new(),
    }
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

#[cfg(test)]
mod tests {
    use crate::lang::{view, Kind, Syntax};

    const SRC: &str = r#"Imports CookComputing.XmlRpc
Public Class Form1
    Dim key As String = "x"
    Dim url As String = "https://" & app & ".infusionsoft.com/api/xmlrpc" ' a comment
    Dim other As String = String.Format("https://{0}.infusionsoft.com/api/xmlrpc", app)
    <XmlRpcUrl("https://ab1.infusionsoft.com/api/xmlrpc")> _
    Public Interface iFace
        Inherits IXmlRpcProxy
        <XmlRpcMethod("ContactService.add")> _
        Function add(ByVal key As String, _
                     ByVal contact As XmlRpcStruct) As Integer
    End Interface
    Private Sub Go()
        Dim proxy As iFace = CType(XmlRpcProxyGen.Create(GetType(iFace)), iFace)
        retID = proxy.add(key, contact) : Results.Text &= "done"
    End Sub
End Class
"#;

    #[test]
    fn strings_are_joined_and_attributes_continued() {
        let v = view(Syntax::VisualBasic, SRC).unwrap();
        let texts: Vec<String> = v
            .strings
            .iter()
            .filter_map(|e| match &e.kind {
                Kind::Str(t) => Some(t.text.clone()),
                _ => None,
            })
            .collect();
        assert!(texts.contains(&"https://{}.infusionsoft.com/api/xmlrpc".to_string()));
        assert_eq!(
            texts
                .iter()
                .filter(|t| *t == "https://{}.infusionsoft.com/api/xmlrpc")
                .count(),
            2
        );
        assert_eq!(v.comments.len(), 1);
        assert_eq!(v.proxies[0].name, "iFace");
        assert_eq!(
            v.proxies[0].url.as_ref().unwrap().text,
            "https://ab1.infusionsoft.com/api/xmlrpc"
        );
        assert_eq!(v.rpc_methods[0].name, "add");
        assert_eq!(v.rpc_methods[0].method, "ContactService.add");
    }

    #[test]
    fn calls_have_receiver_and_arguments_and_proxies_their_type() {
        let v = view(Syntax::VisualBasic, SRC).unwrap();
        let call = v.calls.iter().find(|c| c.name == "add").unwrap();
        assert!(matches!(&call.receiver.as_ref().unwrap().kind, Kind::Name(n) if n == "proxy"));
        assert!(matches!(&call.args[0].value.kind, Kind::Name(n) if n == "key"));
        assert_eq!(call.args.len(), 2);
        assert!(v
            .typed
            .iter()
            .any(|t| t.name == "proxy" && t.type_name == "iFace"));
        // The function's scope holds the call; the interface's member opened none.
        assert_eq!(v.scopes[call.scope].name, "Go");
        let binding = v.bindings.iter().find(|b| b.target == "proxy").unwrap();
        assert!(matches!(binding.value.kind, Kind::Call(_)));
    }
}
