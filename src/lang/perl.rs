//! Perl onto the view, through a small structural scanner of our own: crates.io's one Perl
//! grammar (tree-sitter-perl 1.1) is built for tree-sitter 0.26, and the tree-sitter crate
//! links its C runtime once per build, so it cannot sit beside this project's 0.25.
//!
//! The scanner reads the subset legacy Keap code is written in: quoted strings (`'…'`, `"…"`
//! with `$var` / `${var}` / `@var` interpolation, `q()` / `qq{}`, heredocs) and `.`
//! concatenation, `my $x = …` bindings, `$obj->method(…)` and `Class->new(…)` calls, `sub`
//! scopes with their `shift` / `@_` parameters, `#` comments and POD, hashes `url => …`.
//! Regexes, `qw` lists and everything else are skipped over as opaque terms.
use std::ops::Range;

use super::{join, Arg, Call, Entry, Expr, Kind, Scope, ScopeKind, Template, View, MAX_DEPTH};

#[derive(Clone, Debug)]
enum T {
    Str(Template),
    /// `$x`, `@x`, `%x`, `${x}`, `$#x`, as written.
    Var(String),
    Ident(String),
    Num,
    Punct(&'static str),
    /// A regex, a `qw` list, a `<FH>` read: a term the view says nothing about.
    Opaque,
}

#[derive(Clone, Debug)]
struct Tok {
    t: T,
    span: Range<usize>,
}

/// Longest first, so `=>` is not read as `=` then `>`.
const PUNCT: &[&str] = &[
    "<=>", "**=", "||=", "//=", "&&=", "...", "=>", "->", "==", "!=", "<=", ">=", "&&", "||", "//",
    "..", ".=", "+=", "-=", "*=", "/=", "=~", "!~", "**", "++", "--", "<<", ">>", "::", "(", ")",
    "[", "]", "{", "}", ",", ";", "=", ".", "+", "-", "*", "/", "%", "<", ">", "!", "?", ":", "\\",
    "&", "|", "^", "~", "@", "$",
];

/// Words after which a term, not an operator, comes: `/` starts a regex there.
const TERM_BEFORE: &[&str] = &[
    "split", "if", "unless", "and", "or", "not", "return", "grep", "map", "while", "until", "x",
    "eq", "ne", "lt", "gt", "le", "ge", "cmp", "push", "unshift", "join", "when",
];

/// Infix words: a term follows them.
const WORD_OPS: &[&str] = &[
    "x", "eq", "ne", "lt", "gt", "le", "ge", "cmp", "and", "or", "not", "xor", "if", "unless",
    "while", "until", "for", "foreach",
];

struct Lexer<'t> {
    text: &'t str,
    at: usize,
    toks: Vec<Tok>,
    comments: Vec<Range<usize>>,
    errors: usize,
    /// Heredocs opened on this line: terminator, interpolating, `<<~`, token index.
    heredocs: Vec<(String, bool, bool, usize)>,
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl<'t> Lexer<'t> {
    fn peek(&self, ahead: usize) -> u8 {
        *self.text.as_bytes().get(self.at + ahead).unwrap_or(&0)
    }

    fn push(&mut self, t: T, start: usize) {
        self.toks.push(Tok {
            t,
            span: start..self.at,
        });
    }

    /// Whether a term may start here (else `/`, `%`, `<` are operators).
    fn expects_term(&self) -> bool {
        match self.toks.last().map(|t| &t.t) {
            None => true,
            Some(T::Punct(p)) => !matches!(*p, ")" | "]" | "}"),
            Some(T::Ident(w)) => TERM_BEFORE.contains(&w.as_str()),
            _ => false,
        }
    }

    fn run(mut self) -> Self {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() {
            let c = bytes[self.at];
            let line_start = self.at == 0 || bytes[self.at - 1] == b'\n';
            if c == b'\n' {
                self.at += 1;
                self.heredoc_bodies();
                continue;
            }
            if c.is_ascii_whitespace() {
                self.at += 1;
                continue;
            }
            let start = self.at;
            let rest = &self.text[self.at..];
            if line_start && (rest.starts_with("__END__") || rest.starts_with("__DATA__")) {
                break;
            }
            if line_start && c == b'=' && self.peek(1).is_ascii_alphabetic() {
                // POD runs to a `=cut` line.
                let end = rest
                    .find("\n=cut")
                    .map_or(self.text.len(), |n| self.line_end(self.at + n + 1));
                self.at = end;
                self.comments.push(start..end);
                continue;
            }
            match c {
                b'#' => {
                    self.at = self.line_end(self.at);
                    self.comments.push(start..self.at);
                }
                b'\'' => {
                    let t = self.quoted(b'\'', b'\'', false);
                    self.push(T::Str(t), start);
                }
                b'"' => {
                    let t = self.quoted(b'"', b'"', true);
                    self.push(T::Str(t), start);
                }
                b'$' | b'@' | b'%' | b'&' if self.variable(c) => {}
                b'/' if self.expects_term() => {
                    self.at += 1;
                    self.skip_delimited(b'/');
                    self.regex_flags();
                    self.push(T::Opaque, start);
                }
                b'<' if self.peek(1) == b'<' && self.heredoc() => {}
                b'<' if self.expects_term() && self.file_read() => {}
                c if c.is_ascii_digit() => {
                    while self.peek(0).is_ascii_alphanumeric()
                        || self.peek(0) == b'_'
                        || (self.peek(0) == b'.' && self.peek(1).is_ascii_digit())
                    {
                        self.at += 1;
                    }
                    self.push(T::Num, start);
                }
                c if ident_char(c) || (c == b':' && self.peek(1) == b':') => self.word(),
                _ => {
                    let p = PUNCT.iter().find(|p| rest.starts_with(**p));
                    match p {
                        Some(p) => {
                            self.at += p.len();
                            self.push(T::Punct(p), start);
                        }
                        None => {
                            // Anything else (a non-ASCII character outside a string): skipped.
                            self.at += rest.chars().next().map_or(1, char::len_utf8);
                        }
                    }
                }
            }
        }
        self.errors += self.heredocs.len();
        self
    }

    fn line_end(&self, from: usize) -> usize {
        self.text[from..]
            .find('\n')
            .map_or(self.text.len(), |n| from + n)
    }

    /// A string from the opening delimiter at `self.at` to its close (brackets nest).
    fn quoted(&mut self, open: u8, close: u8, interpolate: bool) -> Template {
        self.at += 1;
        let start = self.at;
        let end = self.skip_to(open, close);
        let mut t = Template::default();
        if interpolate {
            interpolated(&mut t, self.text, start..end);
        } else if end > start {
            t.literal(&self.text[start..end], start);
        }
        t
    }

    /// Moves past the close that matches an open already passed; returns where the content
    /// ends.
    fn skip_to(&mut self, open: u8, close: u8) -> usize {
        let bytes = self.text.as_bytes();
        let mut depth = 0;
        while self.at < bytes.len() {
            let c = bytes[self.at];
            if c == b'\\' {
                self.at += 2;
                continue;
            }
            if c == close && depth == 0 {
                self.at += 1;
                return self.at - 1;
            }
            if open != close {
                if c == open {
                    depth += 1;
                } else if c == close {
                    depth -= 1;
                }
            }
            self.at += 1;
        }
        self.errors += 1;
        self.at = bytes.len();
        self.at
    }

    fn skip_delimited(&mut self, open: u8) {
        let close = closer(open);
        self.skip_to(open, close);
    }

    fn regex_flags(&mut self) {
        while self.peek(0).is_ascii_alphabetic() {
            self.at += 1;
        }
    }

    /// `$x`, `$Pkg::x`, `${x}`, `$#x`, `@x`, `%x`, `&x`: false when the sigil is an operator.
    fn variable(&mut self, sigil: u8) -> bool {
        let start = self.at;
        let next = self.peek(1);
        if matches!(sigil, b'%' | b'&') && !self.expects_term() {
            return false;
        }
        let mut end = start + 1;
        let bytes = self.text.as_bytes();
        if sigil == b'$' && next == b'#' && (self.peek(2) == b'{' || ident_char(self.peek(2))) {
            end += 1;
        }
        while bytes.get(end) == Some(&b'$') && sigil == b'$' {
            end += 1;
        }
        match bytes.get(end) {
            Some(&b'{') if sigil != b'&' => {
                self.at = end + 1;
                self.skip_to(b'{', b'}');
                end = self.at;
            }
            Some(&c) if ident_char(c) || c == b':' => {
                while end < bytes.len()
                    && (ident_char(bytes[end])
                        || (bytes[end] == b':' && bytes.get(end + 1) == Some(&b':')))
                {
                    end += if bytes[end] == b':' { 2 } else { 1 };
                }
            }
            // `$_`-like punctuation variables: `$@`, `$!`, `$0`, `$/`.
            Some(&c) if sigil == b'$' && c.is_ascii_punctuation() && c != b'(' && c != b'{' => {
                end += 1;
            }
            _ => return false,
        }
        self.at = end;
        let name = self.text[start..end].to_string();
        if sigil == b'&' {
            self.push(T::Ident(name[1..].to_string()), start);
        } else {
            self.push(T::Var(name), start);
        }
        true
    }

    fn word(&mut self) {
        let start = self.at;
        let bytes = self.text.as_bytes();
        while self.at < bytes.len()
            && (ident_char(bytes[self.at])
                || (bytes[self.at] == b':' && self.peek(1) == b':' && ident_char(self.peek(2))))
        {
            self.at += if bytes[self.at] == b':' { 2 } else { 1 };
        }
        // `%Pkg::` names a symbol table: the trailing `::` is its own token.
        if self.at == start {
            self.at += 2;
            return self.push(T::Punct("::"), start);
        }
        let word = &self.text[start..self.at];
        // A quote-like operator, unless it is a hash key (`q => 1`) or a call (`s(…)` is rare).
        let after = self.text[self.at..].trim_start();
        let delimiter = after.bytes().next().filter(|d| {
            !d.is_ascii_alphanumeric()
                && !d.is_ascii_whitespace()
                && !matches!(d, b',' | b';' | b')' | b']' | b'}' | b'>' | b'=' | b'_')
        });
        let method = matches!(self.toks.last().map(|t| &t.t), Some(T::Punct("->")));
        let quote_like = matches!(word, "q" | "qq" | "qw" | "m" | "qr" | "s" | "tr" | "y");
        if let (true, false, Some(d)) = (quote_like, method, delimiter) {
            self.at = self.text.len() - after.len();
            match word {
                "q" | "qq" => {
                    let t = self.quoted(d, closer(d), word == "qq");
                    return self.push(T::Str(t), start);
                }
                "s" | "tr" | "y" => {
                    self.at += 1;
                    self.skip_delimited(d);
                    if d != closer(d) {
                        // `s{…}{…}`: the replacement has its own delimiters.
                        let rest = self.text[self.at..].trim_start();
                        self.at = self.text.len() - rest.len();
                        let d2 = self.peek(0);
                        self.at += 1;
                        self.skip_delimited(d2);
                    } else {
                        self.skip_to(d, d);
                    }
                }
                _ => {
                    self.at += 1;
                    self.skip_delimited(d);
                }
            }
            self.regex_flags();
            return self.push(T::Opaque, start);
        }
        self.push(T::Ident(word.to_string()), start);
    }

    /// `<<"EOT"`, `<<'EOT'`, `<<EOT`, `<<~EOT`: the body follows the line.
    fn heredoc(&mut self) -> bool {
        let start = self.at;
        let rest = &self.text[self.at + 2..];
        let indent = rest.starts_with('~');
        let rest = rest.strip_prefix('~').unwrap_or(rest);
        let (terminator, interpolate, len) = match rest.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => match rest[1..].find(q as char) {
                Some(n) => (rest[1..1 + n].to_string(), q == b'"', n + 2),
                None => return false,
            },
            Some(&c) if c.is_ascii_alphabetic() || c == b'_' => {
                let n = rest.bytes().take_while(|&c| ident_char(c)).count();
                (rest[..n].to_string(), true, n)
            }
            _ => return false,
        };
        self.at += 2 + usize::from(indent) + len;
        self.push(T::Str(Template::default()), start);
        self.heredocs
            .push((terminator, interpolate, indent, self.toks.len() - 1));
        true
    }

    /// The bodies of the heredocs opened on the line just ended.
    fn heredoc_bodies(&mut self) {
        for (terminator, interpolate, indent, tok) in std::mem::take(&mut self.heredocs) {
            let start = self.at;
            let mut line = start;
            let end = loop {
                if line >= self.text.len() {
                    self.errors += 1;
                    break self.text.len();
                }
                let eol = self.line_end(line);
                let l = &self.text[line..eol];
                let l = if indent { l.trim_start() } else { l };
                if l.trim_end_matches('\r') == terminator {
                    self.at = (eol + 1).min(self.text.len());
                    break line;
                }
                line = eol + 1;
            };
            let mut t = Template::default();
            if interpolate {
                interpolated(&mut t, self.text, start..end);
            } else if end > start {
                t.literal(&self.text[start..end], start);
            }
            self.toks[tok].t = T::Str(t);
        }
    }

    /// `<STDIN>`, `<$fh>`.
    fn file_read(&mut self) -> bool {
        let rest = &self.text[self.at + 1..];
        let n = rest
            .bytes()
            .take_while(|&c| ident_char(c) || c == b'$')
            .count();
        if rest.as_bytes().get(n) != Some(&b'>') {
            return false;
        }
        let start = self.at;
        self.at += n + 2;
        self.push(T::Opaque, start);
        true
    }
}

fn closer(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        b'{' => b'}',
        b'<' => b'>',
        c => c,
    }
}

/// A double-quoted string's content: literal text, and a hole for each interpolated variable
/// with its subscripts (`$app`, `${app}`, `$self->{app}`, `$h{x}`, `@list`).
fn interpolated(t: &mut Template, text: &str, range: Range<usize>) {
    let bytes = text.as_bytes();
    let (mut i, mut lit) = (range.start, range.start);
    while i < range.end {
        match bytes[i] {
            b'\\' => i += 2,
            c @ (b'$' | b'@') if i + 1 < range.end => {
                let n = bytes[i + 1];
                let mut j = i + 1;
                if n == b'{' {
                    j = match text[j..range.end].find('}') {
                        Some(k) => j + k + 1,
                        None => range.end,
                    };
                } else if n.is_ascii_alphabetic() || n == b'_' || (c == b'$' && n.is_ascii_digit())
                {
                    while j < range.end
                        && (ident_char(bytes[j])
                            || (bytes[j] == b':'
                                && bytes.get(j + 1) == Some(&b':')
                                && bytes.get(j + 2).is_some_and(|&c| ident_char(c))))
                    {
                        j += if bytes[j] == b':' { 2 } else { 1 };
                    }
                } else {
                    i += 1;
                    continue;
                }
                // Subscripts: `$x{…}`, `$x[…]`, `$x->{…}`, `$x->[…]`.
                loop {
                    let arrow = text[j..range.end].starts_with("->");
                    let at = if arrow { j + 2 } else { j };
                    let (open, close) = match bytes.get(at) {
                        Some(b'{') if at < range.end => (b'{', b'}'),
                        Some(b'[') if at < range.end => (b'[', b']'),
                        _ => break,
                    };
                    let mut depth = 0;
                    let mut k = at;
                    while k < range.end {
                        if bytes[k] == open {
                            depth += 1;
                        } else if bytes[k] == close {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        k += 1;
                    }
                    if k >= range.end {
                        break;
                    }
                    j = k + 1;
                }
                if lit < i {
                    t.literal(&text[lit..i], lit);
                }
                t.hole(i..j);
                (i, lit) = (j, j);
            }
            _ => i += 1,
        }
    }
    if lit < range.end {
        t.literal(&text[lit..range.end], lit);
    }
}

/// The index of each bracket's partner, and how many brackets have none.
fn partners(toks: &[Tok]) -> (Vec<Option<usize>>, usize) {
    let mut out = vec![None; toks.len()];
    let mut stack: Vec<(usize, &str)> = Vec::new();
    let mut unmatched = 0;
    for (i, tok) in toks.iter().enumerate() {
        let T::Punct(p) = tok.t else { continue };
        match p {
            "(" | "[" | "{" => stack.push((i, p)),
            ")" | "]" | "}" => {
                let want = match p {
                    ")" => "(",
                    "]" => "[",
                    _ => "{",
                };
                match stack.last() {
                    Some(&(j, open)) if open == want => {
                        stack.pop();
                        out[i] = Some(j);
                        out[j] = Some(i);
                    }
                    _ => unmatched += 1,
                }
            }
            _ => {}
        }
    }
    (out, unmatched + stack.len())
}

/// Counts what a rewrite must not add: unterminated strings and unmatched brackets.
pub(super) fn errors(text: &str) -> usize {
    let lexed = lex(text);
    lexed.errors + partners(&lexed.toks).1
}

fn lex(text: &str) -> Lexer<'_> {
    Lexer {
        text,
        at: 0,
        toks: Vec::new(),
        comments: Vec::new(),
        errors: 0,
        heredocs: Vec::new(),
    }
    .run()
}

pub(super) fn view(text: &str) -> View {
    let lexed = lex(text);
    let (partner, _) = partners(&lexed.toks);
    let mut p = Parser {
        text,
        toks: lexed.toks,
        partner,
        i: 0,
        scope: 0,
        stmt: 0..text.len(),
        depth: 0,
        view: View {
            comments: lexed.comments,
            ..View::new(super::Syntax::Perl, 0..text.len())
        },
    };
    let end = p.toks.len();
    p.statements(end);
    p.view
}

struct Parser<'t> {
    text: &'t str,
    toks: Vec<Tok>,
    partner: Vec<Option<usize>>,
    i: usize,
    scope: usize,
    stmt: Range<usize>,
    depth: usize,
    view: View,
}

impl Parser<'_> {
    fn t(&self, i: usize) -> Option<&T> {
        self.toks.get(i).map(|t| &t.t)
    }

    fn punct(&self, i: usize, p: &str) -> bool {
        matches!(self.t(i), Some(T::Punct(q)) if *q == p)
    }

    fn word(&self, i: usize) -> Option<&str> {
        match self.t(i) {
            Some(T::Ident(w)) => Some(w),
            _ => None,
        }
    }

    /// The token after a bracket's close (or the bracket's own index when it has none).
    fn after_group(&self, open: usize) -> usize {
        self.partner[open].map_or(open + 1, |c| c + 1)
    }

    fn statements(&mut self, end: usize) {
        while self.i < end {
            if self.punct(self.i, ";") {
                self.i += 1;
                continue;
            }
            let before = self.i;
            self.statement(end);
            if self.i == before {
                self.i += 1;
            }
        }
    }

    /// Parses the block whose `{` is at `self.i`, in `scope` when one is given.
    fn block(&mut self, scope: Option<(String, usize)>) {
        let open = self.i;
        let close = self.partner[open].unwrap_or(self.toks.len());
        let parent = self.scope;
        if let Some((name, start)) = scope {
            let end = self.toks.get(close).map_or(self.text.len(), |t| t.span.end);
            self.view.scopes.push(Scope {
                kind: ScopeKind::Function,
                name,
                span: start..end,
                parent: Some(parent),
                params: Vec::new(),
            });
            self.scope = self.view.scopes.len() - 1;
        }
        self.i = open + 1;
        let outer = self.stmt.clone();
        self.statements(close);
        self.stmt = outer;
        self.scope = parent;
        self.i = close + 1;
    }

    fn statement(&mut self, end: usize) {
        let start = self.i;
        let word = self.word(start).map(str::to_string);
        match word.as_deref() {
            Some("sub") if self.word(start + 1).is_some() => {
                let name = self.word(start + 1).unwrap_or("").to_string();
                // Past a prototype or attributes to the body.
                let mut j = start + 2;
                while j < end && !self.punct(j, "{") && !self.punct(j, ";") {
                    j += 1;
                }
                self.i = j;
                if self.punct(j, "{") {
                    let at = self.toks[start].span.start;
                    self.block(Some((name, at)));
                }
                return;
            }
            Some("use" | "no" | "require" | "package") => {
                while self.i < end && !self.punct(self.i, ";") && !self.punct(self.i, "{") {
                    self.i += 1;
                }
                if self.punct(self.i, "{") {
                    self.block(None);
                }
                return;
            }
            Some(
                "if" | "unless" | "while" | "until" | "elsif" | "for" | "foreach" | "else"
                | "BEGIN" | "END" | "do" | "eval",
            ) => {
                self.i += 1;
                // `for my $x (…)`: the loop variable, then the list.
                while matches!(self.t(self.i), Some(T::Var(_)))
                    || matches!(self.word(self.i), Some("my" | "our"))
                {
                    self.i += 1;
                }
                if self.punct(self.i, "(") {
                    let close = self.partner[self.i].unwrap_or(end);
                    self.set_stmt(self.i, close);
                    self.i += 1;
                    self.exprs(close);
                    self.i = close + 1;
                }
                if self.punct(self.i, "{") {
                    self.block(None);
                }
                return;
            }
            _ => {}
        }
        if self.punct(start, "{") {
            return self.block(None);
        }
        // A simple statement runs to its `;` (or the block's end).
        let mut stop = start;
        while stop < end && !self.punct(stop, ";") {
            stop = match self.t(stop) {
                Some(T::Punct("(" | "[" | "{")) => self.after_group(stop),
                _ => stop + 1,
            };
        }
        let stop = stop.min(end);
        self.set_stmt(start, stop.saturating_sub(1).max(start));
        let Some(target) = self.expr(stop) else {
            return;
        };
        if self.punct(self.i, "=") || self.punct(self.i, "||=") || self.punct(self.i, "//=") {
            self.i += 1;
            if let Some(value) = self.expr(stop) {
                self.bind(target, value);
            }
        }
        self.exprs(stop);
    }

    fn set_stmt(&mut self, first: usize, last: usize) {
        let end = self.toks.get(last).map_or(self.text.len(), |t| t.span.end);
        self.stmt = self.toks[first].span.start..end;
    }

    /// `my $x = …`, `$self->{key} = …`; `my ($self, $key) = @_` and `my $self = shift` name
    /// the parameters of the sub.
    fn bind(&mut self, target: Expr, value: Expr) {
        let params = matches!(&value.kind, Kind::Name(n) if n == "shift")
            || matches!(&value.kind, Kind::Splat(v) if matches!(&v.kind, Kind::Name(n) if n == "@_"));
        let names = match target.kind {
            Kind::List(items) => items,
            _ => vec![target],
        };
        for t in names {
            let name = match &t.kind {
                Kind::Name(n) => n.clone(),
                Kind::Splat(inner) => match &inner.kind {
                    Kind::Name(n) => n.clone(),
                    _ => continue,
                },
                _ => continue,
            };
            if params && self.scope != 0 {
                self.view.scopes[self.scope].params.push(name);
                continue;
            }
            self.view.bindings.push(super::Binding {
                target: name,
                target_span: t.span.clone(),
                value: value.clone(),
                scope: self.scope,
                stmt: self.stmt.clone(),
            });
        }
    }

    /// Every expression up to `end`, for the calls and strings in them.
    fn exprs(&mut self, end: usize) {
        while self.i < end {
            let before = self.i;
            self.expr(end);
            if self.i == before {
                self.i += 1;
            }
        }
    }

    fn string(&mut self, e: &Expr) {
        let strings = &mut self.view.strings;
        while strings
            .last()
            .is_some_and(|s| e.span.start <= s.span.start && s.span.end <= e.span.end)
        {
            strings.pop();
        }
        strings.push(e.clone());
    }

    /// Terms joined by operators: `.` alone makes a string; anything else is opaque.
    fn expr(&mut self, end: usize) -> Option<Expr> {
        if self.depth >= MAX_DEPTH {
            self.i = end;
            return None;
        }
        self.depth += 1;
        let out = self.operands(end);
        self.depth -= 1;
        out
    }

    fn operands(&mut self, end: usize) -> Option<Expr> {
        let first = self.term(end)?;
        let mut parts = vec![first];
        let mut concat = true;
        while self.i < end {
            let op = match self.t(self.i) {
                Some(T::Punct(p)) => *p,
                Some(T::Ident(w)) if WORD_OPS.contains(&w.as_str()) => "word",
                _ => break,
            };
            if matches!(
                op,
                "," | "=>" | ";" | ")" | "]" | "}" | "=" | "||=" | "//=" | "(" | "[" | "{" | "->"
            ) {
                break;
            }
            concat &= op == ".";
            self.i += 1;
            match self.term(end) {
                Some(t) => parts.push(t),
                None => break,
            }
        }
        if parts.len() == 1 {
            return parts.pop();
        }
        let span = parts[0].span.start..parts.last().expect("two parts").span.end;
        let kind = if concat {
            join(parts).map_or(Kind::Other, Kind::Str)
        } else {
            Kind::Other
        };
        let e = Expr { span, kind };
        if matches!(e.kind, Kind::Str(_)) {
            self.string(&e);
        }
        Some(e)
    }

    fn term(&mut self, end: usize) -> Option<Expr> {
        if self.i >= end {
            return None;
        }
        let i = self.i;
        let span = self.toks[i].span.clone();
        let tok = self.toks[i].t.clone();
        let simple = |kind| {
            Some(Expr {
                span: span.clone(),
                kind,
            })
        };
        match tok {
            T::Str(t) => {
                self.i += 1;
                let e = Expr {
                    span: span.clone(),
                    kind: Kind::Str(t),
                };
                self.string(&e);
                Some(e)
            }
            T::Num => {
                self.i += 1;
                simple(Kind::Number)
            }
            T::Opaque => {
                self.i += 1;
                simple(Kind::Other)
            }
            T::Var(name) => {
                self.i += 1;
                let splat = name.starts_with(['@', '%']);
                let e = self.postfix(
                    Expr {
                        span,
                        kind: Kind::Name(name),
                    },
                    end,
                );
                Some(match (&e.kind, splat) {
                    // A list or hash flattens into the list it is in.
                    (Kind::Name(_), true) => Expr {
                        span: e.span.clone(),
                        kind: Kind::Splat(Box::new(e)),
                    },
                    _ => e,
                })
            }
            T::Ident(w) => self.word_term(w, span, end),
            T::Punct("\\") => {
                self.i += 1;
                let inner = self.term(end)?;
                // A reference to a list is one value, not its items.
                let inner = match inner.kind {
                    Kind::Splat(v) => *v,
                    _ => inner,
                };
                Some(Expr {
                    span: span.start..inner.span.end,
                    kind: inner.kind,
                })
            }
            T::Punct("(" | "[" | "{") => {
                let close = self.partner[i].unwrap_or(end);
                let whole =
                    span.start..self.toks.get(close).map_or(self.text.len(), |t| t.span.end);
                self.i = i + 1;
                let items = self.items(close);
                self.i = close + 1;
                let kind = match &tok {
                    T::Punct("{") => Kind::Map(entries(items)),
                    T::Punct("(") if items.len() == 1 && items[0].0.is_none() => {
                        items.into_iter().next().expect("one").1.kind
                    }
                    _ => Kind::List(flat(items)),
                };
                let e = Expr { span: whole, kind };
                Some(self.postfix(e, end))
            }
            T::Punct("-" | "!" | "+" | "~") => {
                self.i += 1;
                let inner = self.term(end)?;
                Some(Expr {
                    span: span.start..inner.span.end,
                    kind: Kind::Other,
                })
            }
            _ => None,
        }
    }

    fn word_term(&mut self, w: String, span: Range<usize>, end: usize) -> Option<Expr> {
        let i = self.i;
        self.i += 1;
        // A bareword before `=>` is a string: `url => …`.
        if self.punct(i + 1, "=>") {
            let mut t = Template::default();
            t.literal(&w, span.start);
            return Some(Expr {
                span,
                kind: Kind::Str(t),
            });
        }
        match w.as_str() {
            "my" | "our" | "local" | "state" => return self.term(end),
            "undef" => {
                return Some(Expr {
                    span,
                    kind: Kind::Nil,
                })
            }
            "shift" => {
                return Some(Expr {
                    span,
                    kind: Kind::Name(w),
                })
            }
            "sub" if self.punct(self.i, "{") => {
                self.block(Some((String::new(), span.start)));
                return Some(Expr {
                    span,
                    kind: Kind::Other,
                });
            }
            "do" | "eval" | "map" | "grep" | "sort" if self.punct(self.i, "{") => {
                self.block(None);
                return Some(Expr {
                    span,
                    kind: Kind::Other,
                });
            }
            // `new Frontier::Client(url => …)`, the indirect-object form.
            "new" if self.word(self.i).is_some() && self.punct(self.i + 1, "(") => {
                let class = self.word(self.i).unwrap_or("").to_string();
                let class_span = self.toks[self.i].span.clone();
                self.i += 1;
                let receiver = Expr {
                    span: class_span,
                    kind: Kind::Name(class.clone()),
                };
                let callee = format!("{class}->new");
                return Some(self.call(span.start, Some(receiver), "new", callee, end));
            }
            _ => {}
        }
        // `Class->method(…)`
        if self.punct(self.i, "->") {
            if let Some(method) = self.word(self.i + 1).map(str::to_string) {
                self.i += 2;
                let receiver = Expr {
                    span: span.clone(),
                    kind: Kind::Name(w.clone()),
                };
                let callee = format!("{w}->{method}");
                let e = self.call(span.start, Some(receiver), &method, callee, end);
                return Some(self.postfix(e, end));
            }
        }
        if self.punct(self.i, "(") {
            let e = self.call(span.start, None, &w, w.clone(), end);
            return Some(self.postfix(e, end));
        }
        // A list operator without parentheses (`print …`, `return …`): its operands are
        // expressions of their own.
        Some(Expr {
            span,
            kind: Kind::Other,
        })
    }

    /// A call whose name was just read; its arguments in parentheses follow, if any.
    fn call(
        &mut self,
        start: usize,
        receiver: Option<Expr>,
        name: &str,
        callee: String,
        end: usize,
    ) -> Expr {
        let callee_end = self.toks[self.i - 1].span.end;
        let (args, parens) = if self.punct(self.i, "(") && self.i < end {
            let open = self.i;
            let close = self.partner[open].unwrap_or(end);
            let range = self.toks[open].span.start
                ..self.toks.get(close).map_or(self.text.len(), |t| t.span.end);
            self.i = open + 1;
            let items = self.items(close);
            self.i = close + 1;
            (arguments(items), Some(range))
        } else {
            (Vec::new(), None)
        };
        let span_end = parens.as_ref().map_or(callee_end, |p| p.end);
        let call = Call {
            span: start..span_end,
            name: name.to_string(),
            receiver: receiver.map(Box::new),
            callee: Box::new(Expr {
                span: start..callee_end,
                kind: Kind::Name(callee),
            }),
            args,
            parens,
            scope: self.scope,
            stmt: self.stmt.clone(),
            new: false,
        };
        self.view.calls.push(call);
        Expr {
            span: start..span_end,
            kind: Kind::Call(self.view.calls.len() - 1),
        }
    }

    /// Subscripts and method calls after a term: `$x{…}`, `$x->[…]`, `$x->m(…)`.
    fn postfix(&mut self, mut e: Expr, end: usize) -> Expr {
        loop {
            let arrow = self.punct(self.i, "->");
            let at = if arrow { self.i + 1 } else { self.i };
            let adjacent = self
                .toks
                .get(at)
                .is_some_and(|t| arrow || t.span.start == e.span.end);
            if at >= end {
                return e;
            }
            match self.t(at).cloned() {
                Some(T::Punct("{" | "[")) if adjacent && matches!(e.kind, Kind::Name(_)) => {
                    let close = self.partner[at].unwrap_or(end);
                    let span_end = self.toks.get(close).map_or(self.text.len(), |t| t.span.end);
                    // What is inside may call or build strings too.
                    self.i = at + 1;
                    self.exprs(close);
                    self.i = close + 1;
                    let written: String = self.text[e.span.start..span_end]
                        .split_whitespace()
                        .collect();
                    e = Expr {
                        span: e.span.start..span_end,
                        kind: Kind::Name(written),
                    };
                }
                Some(T::Ident(method)) if arrow => {
                    self.i = at + 1;
                    let callee: String = format!(
                        "{}->{method}",
                        self.text[e.span.clone()]
                            .split_whitespace()
                            .collect::<String>()
                    );
                    let start = e.span.start;
                    e = self.call(start, Some(e), &method, callee, end);
                }
                Some(T::Var(_)) if arrow => {
                    // `$obj->$method(…)`: a method chosen at run time.
                    self.i = at + 1;
                    let start = e.span.start;
                    e = self.call(start, Some(e), "", String::new(), end);
                }
                Some(T::Punct("(")) if arrow => {
                    self.i = at;
                    let start = e.span.start;
                    e = self.call(start, None, "", String::new(), end);
                }
                _ => return e,
            }
        }
    }

    /// Comma-separated items up to `close`; a `key => value` pair keeps its key.
    fn items(&mut self, close: usize) -> Vec<(Option<Expr>, Expr)> {
        let mut out = Vec::new();
        while self.i < close {
            if self.punct(self.i, ",") || self.punct(self.i, "=>") {
                self.i += 1;
                continue;
            }
            let before = self.i;
            let Some(e) = self.expr(close) else {
                if self.i == before {
                    self.i += 1;
                }
                continue;
            };
            if self.punct(self.i, "=>") {
                self.i += 1;
                if let Some(v) = self.expr(close) {
                    out.push((Some(e), v));
                }
                continue;
            }
            // What follows a term without a comma (`print $fh …`, a ternary): more terms.
            self.exprs_to_comma(close);
            out.push((None, e));
        }
        out
    }

    fn exprs_to_comma(&mut self, close: usize) {
        while self.i < close && !self.punct(self.i, ",") && !self.punct(self.i, "=>") {
            let before = self.i;
            self.expr(close);
            if self.i == before {
                self.i += 1;
            }
        }
    }
}

/// A pair's key as a plain name.
fn key_name(e: &Expr) -> Option<String> {
    match &e.kind {
        Kind::Str(t) if t.is_plain() => Some(t.text.clone()),
        _ => None,
    }
}

fn entries(items: Vec<(Option<Expr>, Expr)>) -> Vec<Entry> {
    items
        .into_iter()
        .filter_map(|(k, v)| {
            let k = k?;
            Some(Entry {
                key: key_name(&k),
                span: k.span.start..v.span.end,
                value: v,
            })
        })
        .collect()
}

fn flat(items: Vec<(Option<Expr>, Expr)>) -> Vec<Expr> {
    items
        .into_iter()
        .flat_map(|(k, v)| k.into_iter().chain(Some(v)))
        .collect()
}

/// A call's arguments: `key => value` pairs in a row make one hash argument, as the callee
/// reads them (`Frontier::Client->new(url => $url, debug => 0)`).
fn arguments(items: Vec<(Option<Expr>, Expr)>) -> Vec<Arg> {
    let mut args: Vec<Arg> = Vec::new();
    let mut pairs: Vec<Entry> = Vec::new();
    let flush = |args: &mut Vec<Arg>, pairs: &mut Vec<Entry>| {
        if let (Some(first), Some(last)) = (pairs.first(), pairs.last()) {
            let span = first.span.start..last.span.end;
            args.push(Arg {
                keyword: None,
                value: Expr {
                    span: span.clone(),
                    kind: Kind::Map(std::mem::take(pairs)),
                },
                span,
            });
        }
    };
    for (k, v) in items {
        match k {
            Some(k) => pairs.push(Entry {
                key: key_name(&k),
                span: k.span.start..v.span.end,
                value: v,
            }),
            None => {
                flush(&mut args, &mut pairs);
                args.push(Arg {
                    keyword: None,
                    span: v.span.clone(),
                    value: v,
                });
            }
        }
    }
    flush(&mut args, &mut pairs);
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &View) -> Vec<&str> {
        v.strings
            .iter()
            .filter_map(|e| match &e.kind {
                Kind::Str(t) => Some(t.text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn endpoints_are_flattened_however_perl_builds_them() {
        let v = view(concat!(
            "my $a = \"https://$app.infusionsoft.com/api/xmlrpc\";\n",
            "my $b = 'https://' . $app . '.infusionsoft.com/api/xmlrpc';\n",
            "my $c = qq{https://${app}.infusionsoft.com/api/xmlrpc};\n",
            "my $d = \"https://$self->{app}.infusionsoft.com/api/xmlrpc\"; # \"https://x.infusionsoft.com\"\n",
        ));
        assert_eq!(
            strings(&v),
            ["https://{}.infusionsoft.com/api/xmlrpc"; 4],
            "{v:#?}"
        );
        assert_eq!(v.comments.len(), 1);
        assert_eq!(v.bindings[3].target, "$d");
    }

    #[test]
    fn calls_bindings_and_subs() {
        let src = concat!(
            "use Frontier::Client;\n",
            "my $server = Frontier::Client->new(url => $url, debug => 0);\n",
            "sub add {\n  my ($self, $data) = @_;\n",
            "  return $self->{server}->call('ContactService.add', $self->{key}, \\%$data);\n}\n",
            "my $r = $cli->send_request('DataService.query', $ENV{KEAP_API_KEY}, @rest);\n",
        );
        let v = view(src);
        let new = &v.calls[0];
        assert_eq!(new.name, "new");
        assert_eq!(new.path(), Some("Frontier::Client->new"));
        assert!(
            matches!(&new.args[0].value.kind, Kind::Map(e) if e[0].key.as_deref() == Some("url") && e.len() == 2)
        );
        assert_eq!(v.bindings[0].target, "$server");
        let add = v.calls.iter().find(|c| c.name == "call").unwrap();
        assert!(
            matches!(&add.receiver.as_ref().unwrap().kind, Kind::Name(n) if n == "$self->{server}")
        );
        assert!(matches!(&add.args[1].value.kind, Kind::Name(n) if n == "$self->{key}"));
        assert_eq!(v.scopes[add.scope].name, "add");
        assert_eq!(v.scopes[add.scope].params, ["$self", "$data"]);
        let send = v.calls.iter().find(|c| c.name == "send_request").unwrap();
        assert!(matches!(&send.args[1].value.kind, Kind::Name(n) if n == "$ENV{KEAP_API_KEY}"));
        assert!(matches!(&send.args[2].value.kind, Kind::Splat(_)));
    }

    #[test]
    fn regexes_heredocs_and_pod_are_not_code() {
        let src = concat!(
            "my $x = $y =~ s{a}{b}gr; my $n = $t / 2; my @w = qw(a b);\n",
            "=pod\n\n$client->call('ContactService.add', $key);\n\n=cut\n",
            "my $xml = <<\"EOT\";\n<methodName>ContactService.add</methodName><string>$key</string>\nEOT\n",
            "if ($s =~ /infusionsoft(\\w+)/) { print \"ok\\n\"; }\n",
        );
        let v = view(src);
        assert!(v.calls.is_empty(), "{:#?}", v.calls);
        assert_eq!(v.comments.len(), 1);
        let xml = strings(&v)
            .into_iter()
            .find(|s| s.contains("methodName"))
            .unwrap();
        assert!(xml.contains("<string>{}</string>"), "{xml}");
        assert_eq!(errors(src), 0);
        // A symbol table's name ends in `::`.
        assert_eq!(
            errors("for (keys %Net::SMTP::) { *{$_} = \\&{\"Net::SMTP::$_\"}; }\n"),
            0
        );
        assert_eq!(errors("my $x = foo(1;\n"), 1);
        assert_eq!(errors("my $x = 'open;\n"), 1);
    }
}
