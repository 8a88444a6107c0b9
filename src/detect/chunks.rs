//! Large PHP files parsed a run of top-level statements at a time. tree-sitter's tree takes
//! some 65 bytes per byte of source: a generated file of calls tens of megabytes long would hold
//! gigabytes. Each chunk is parsed over the file's own text with included ranges (the file's
//! `<?php` tag, then the chunk), so every node keeps its offset in the file, and a chunk's tree is
//! dropped once it is walked: a few chunks' trees are alive at a time, whatever the file's size.
//!
//! The splitter is a light lexer (strings, comments, heredocs, brackets), not a parser: a split
//! it gets wrong leaves a chunk with a syntax error, and the caller then parses the file whole.
use std::ops::Range;

use tree_sitter::Point;

/// Files below this size are parsed whole: the cost of chunking is not worth it there.
pub const WHOLE_BELOW: usize = 2 << 20;
/// About how much source one chunk holds.
const CHUNK: usize = 64 << 10;

/// A chunk of the file: its byte range and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub bytes: Range<usize>,
    pub start: Point,
    pub end: Point,
}

/// The file's `<?php` tag (every chunk's tree starts with it) and its chunks, or `None` where
/// the file cannot be cut safely: it leaves PHP (`?>`) before its end, or has no top level to
/// cut at.
pub fn split(text: &str) -> Option<(Chunk, Vec<Chunk>)> {
    split_every(text, CHUNK)
}

pub fn split_every(text: &str, size: usize) -> Option<(Chunk, Vec<Chunk>)> {
    let b = text.as_bytes();
    let open = text.find("<?php")?;
    // Only HTML-free files: text before the tag would be its own chunk of markup.
    if !text[..open]
        .trim_start_matches('\u{feff}')
        .trim()
        .is_empty()
    {
        return None;
    }
    let mut lines = Lines::default();
    let tag = Chunk {
        bytes: open..open + 5,
        start: lines.point(b, open),
        end: lines.point(b, open + 5),
    };
    let mut lines = Lines::default();
    let mut cuts = vec![0];
    let mut depth = 0usize;
    let mut i = open + 5;
    while i < b.len() {
        match b[i] {
            b'\'' => i = skip_quoted(b, i, b'\'')?,
            b'"' | b'`' => i = skip_quoted(b, i, b[i])?,
            b'#' if b.get(i + 1) != Some(&b'[') => i = skip_line_comment(b, i)?,
            b'/' if b.get(i + 1) == Some(&b'/') => i = skip_line_comment(b, i)?,
            b'/' if b.get(i + 1) == Some(&b'*') => i = find(b, i + 2, b"*/")? + 2,
            b'<' if b[i..].starts_with(b"<<<") => i = skip_heredoc(b, i)?,
            b'?' if b.get(i + 1) == Some(&b'>') => {
                // A closing tag is fine only at the very end of the file.
                if !text[i + 2..].trim().is_empty() {
                    return None;
                }
                break;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            // A statement ends at a `;` or a block's `}` at the top level.
            c @ (b')' | b']' | b'}' | b';') => {
                if c != b';' {
                    depth = depth.checked_sub(1)?;
                }
                i += 1;
                let last = *cuts.last().expect("the first cut is 0");
                let ends = matches!(c, b'}' | b';') && depth == 0;
                if ends && i - last >= size && ends_statement(b, i) {
                    cuts.push(i);
                }
            }
            _ => i += 1,
        }
    }
    if cuts.len() < 2 {
        return None;
    }
    cuts.push(b.len());
    let chunks = cuts
        .windows(2)
        .map(|w| Chunk {
            bytes: w[0]..w[1],
            start: lines.point(b, w[0]),
            end: lines.point(b, w[1]),
        })
        .collect();
    Some((tag, chunks))
}

/// Whether a statement ends at `at`: what follows on the next lines does not continue it
/// (`else`, `catch`, `finally`, a `while` after `do { }`, an operator, a `;`).
fn ends_statement(b: &[u8], at: usize) -> bool {
    let rest = &b[at..];
    let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
        return false;
    };
    if rest[..nl].iter().any(|c| !c.is_ascii_whitespace()) {
        return false;
    }
    let next = rest[nl..].iter().position(|c| !c.is_ascii_whitespace());
    let Some(next) = next.map(|n| &rest[nl + n..]) else {
        return false;
    };
    let word: Vec<u8> = next
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .map(u8::to_ascii_lowercase)
        .collect();
    let continues = matches!(
        word.as_slice(),
        b"else" | b"elseif" | b"catch" | b"finally" | b"while"
    );
    let starts = next[0].is_ascii_alphabetic() || matches!(next[0], b'$' | b'_' | b'/' | b'#');
    starts && !continues
}

fn skip_quoted(b: &[u8], at: usize, quote: u8) -> Option<usize> {
    let mut i = at + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// A `//` or `#` comment runs to the end of its line, or to a `?>`, which leaves PHP.
fn skip_line_comment(b: &[u8], at: usize) -> Option<usize> {
    let end = b[at..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |n| at + n);
    match find(&b[..end], at, b"?>") {
        Some(_) => None,
        None => Some(end),
    }
}

/// `<<<ID`, `<<<"ID"` or `<<<'ID'`, up to the line whose first word is `ID`.
fn skip_heredoc(b: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 3;
    while b.get(i).is_some_and(|c| *c == b' ' || *c == b'\t') {
        i += 1;
    }
    if matches!(b.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    let start = i;
    while b
        .get(i)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    {
        i += 1;
    }
    let id = &b[start..i];
    if id.is_empty() {
        return None;
    }
    let mut line = b[i..].iter().position(|&c| c == b'\n')? + i + 1;
    loop {
        let first = line + b[line..].iter().position(|c| *c != b' ' && *c != b'\t')?;
        let ends = b[first..].starts_with(id)
            && !b
                .get(first + id.len())
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
        if ends {
            return Some(first + id.len());
        }
        line = b[first..].iter().position(|&c| c == b'\n')? + first + 1;
    }
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(&b[from..], needle).map(|n| from + n)
}

/// Rows and columns of increasing offsets, counted once.
#[derive(Default)]
struct Lines {
    at: usize,
    row: usize,
    line_start: usize,
}

impl Lines {
    fn point(&mut self, b: &[u8], offset: usize) -> Point {
        for n in memchr::memchr_iter(b'\n', &b[self.at..offset]) {
            self.row += 1;
            self.line_start = self.at + n + 1;
        }
        self.at = offset;
        Point::new(self.row, offset - self.line_start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, size: usize) -> Vec<&str> {
        let (_, chunks) = split_every(text, size).expect("cut");
        chunks.iter().map(|c| &text[c.bytes.clone()]).collect()
    }

    #[test]
    fn cuts_between_top_level_statements_only() {
        let text = "<?php\n$a = 1;\nif ($a) {\n  f(';');\n} else {\n  g(\"}\");\n}\n$b = [\n 1,\n];\n// x;\n$c = 3;\n";
        let got = texts(text, 1);
        assert_eq!(
            got,
            [
                "<?php\n$a = 1;",
                "\nif ($a) {\n  f(';');\n} else {\n  g(\"}\");\n}",
                "\n$b = [\n 1,\n];",
                "\n// x;\n$c = 3;\n"
            ]
        );
    }

    #[test]
    fn heredocs_and_comments_hide_their_semicolons() {
        let text = "<?php\n$x = <<<XML\n<a>;\n</a>;\nXML;\n/* ; */\n# ;\n$y = 2;\n";
        assert_eq!(
            texts(text, 1),
            [
                "<?php\n$x = <<<XML\n<a>;\n</a>;\nXML;",
                "\n/* ; */\n# ;\n$y = 2;\n"
            ]
        );
    }

    #[test]
    fn a_file_that_leaves_php_is_not_cut() {
        assert_eq!(split_every("<?php\n$a = 1;\n?>\n<p>hi</p>\n", 1), None);
        assert_eq!(split_every("<p>hi</p><?php\n$a = 1;\n$b = 2;\n", 1), None);
        assert_eq!(split_every("<?php\n// done ?>\n$a = 1;\n", 1), None);
    }

    #[test]
    fn points_count_rows_and_columns() {
        let text = "<?php\n$a = 1;\n$b = 2;\n";
        let (tag, chunks) = split_every(text, 1).expect("cut");
        assert_eq!((tag.start, tag.end), (Point::new(0, 0), Point::new(0, 5)));
        assert_eq!(chunks[1].start, Point::new(1, 7));
        assert_eq!(chunks[1].bytes, 13..22);
    }
}
