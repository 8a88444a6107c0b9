//! Unified diffs that `git apply` and `patch -p1` accept, byte for byte (CRLF lines keep their
//! `\r`, a missing final newline gets its marker), with file names written as git writes them.
use std::fmt::Write as _;

use similar::{Algorithm, TextDiff};

/// The diff of one file, with `a/` and `b/` paths relative to the scanned root (its bytes: a
/// name need not be UTF-8).
pub fn unified(rel: &[u8], old: &str, new: &str) -> String {
    let (a, b) = (quote("a/", rel), quote("b/", rel));
    // Patience: Myers alone costs lines x changes, quadratic in a file with a change on every
    // few lines; patience anchors on the lines found once in each text, Myers fills between.
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_lines(old, new);
    let mut out = format!("diff --git {a} {b}\n");
    // git ends a `---`/`+++` name that holds a space with a tab, so that `patch` reads it whole.
    let tab = if a.starts_with('"') || !rel.contains(&b' ') {
        ""
    } else {
        "\t"
    };
    let body = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header(&format!("{a}{tab}"), &format!("{b}{tab}"))
        .to_string();
    out.push_str(&body);
    out
}

/// `prefix` and `path` as git writes a name with core.quotePath on: bare, unless it holds a
/// control character, `"`, `\\` or a byte outside ASCII; then in double quotes with C escapes,
/// and octal for the bytes that have none.
pub fn quote(prefix: &str, path: &[u8]) -> String {
    if !path
        .iter()
        .any(|&b| !(b' '..0x7f).contains(&b) || b == b'"' || b == b'\\')
    {
        return format!("{prefix}{}", String::from_utf8_lossy(path));
    }
    let mut out = format!("\"{prefix}");
    for &b in path {
        match b {
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            b' '..=b'~' => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}

/// The name `quote` wrote at the start of `s`, and what follows it; `None` for a bad quote.
pub fn unquote(s: &str) -> Option<(Vec<u8>, &str)> {
    let Some(quoted) = s.strip_prefix('"') else {
        // A bare name runs to the tab git (or a date `diff -u` writes) may put after it.
        let end = s.find(['\t', '\n']).unwrap_or(s.len());
        return Some((s.as_bytes()[..end].to_vec(), &s[end..]));
    };
    let bytes = quoted.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        match *bytes.get(i)? {
            b'"' => return Some((out, &quoted[i + 1..])),
            b'\\' => {
                let c = *bytes.get(i + 1)?;
                i += 2;
                out.push(match c {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'v' => 0x0b,
                    b'f' => 0x0c,
                    b'r' => b'\r',
                    b'"' | b'\\' => c,
                    b'0'..=b'3' => {
                        let digits = std::str::from_utf8(bytes.get(i - 1..i + 2)?).ok()?;
                        i += 2;
                        u8::from_str_radix(digits, 8).ok()?
                    }
                    _ => return None,
                });
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_crlf_and_marks_a_missing_final_newline() {
        let d = unified(b"x.php", "<?php\r\n$a = 1;\r\n", "<?php\r\n$a = 2;\r\n");
        assert!(d.starts_with("diff --git a/x.php b/x.php\n--- a/x.php\n+++ b/x.php\n"));
        assert!(d.contains("-$a = 1;\r\n+$a = 2;\r\n"), "{d:?}");
        let d = unified(b"y.php", "a\nb", "a\nc");
        assert!(
            d.contains("-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"),
            "{d:?}"
        );
    }

    #[test]
    fn names_are_quoted_as_git_quotes_them_and_read_back() {
        let name = b"we\"ird\\ na\tme\n\xc3\xa9\xff.php";
        let quoted = quote("a/", name);
        assert_eq!(quoted, r#""a/we\"ird\\ na\tme\n\303\251\377.php""#);
        let line = format!("{quoted}\n");
        let (back, rest) = unquote(&line).unwrap();
        assert_eq!(back, [b"a/".as_slice(), name].concat());
        assert_eq!(rest, "\n");
        assert_eq!(quote("b/", b"plain name.php"), "b/plain name.php");
        assert_eq!(
            unquote("b/plain name.php\t\n").unwrap().0,
            b"b/plain name.php"
        );
        assert!(unquote("\"a/open").is_none());
        let d = unified(b"my file.php", "a\n", "b\n");
        assert!(
            d.starts_with("diff --git a/my file.php b/my file.php\n--- a/my file.php\t\n+++ b/my file.php\t\n"),
            "{d:?}"
        );
    }
}
