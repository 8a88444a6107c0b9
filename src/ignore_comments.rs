//! Inline ignores: `keap-migrate: ignore` or `keap-migrate: ignore[rule-a, rule-b]` in a comment.
//! A trailing comment covers its own line; a comment alone on its line covers that line and the
//! next. A directive that suppresses nothing is reported, so stale ones do not pile up.
use std::sync::LazyLock;

use regex::Regex;

use crate::finding::{Finding, LineIndex};

pub const MARKER: &str = "keap-migrate:";

static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"keap-migrate:\s*ignore\b(?:\[(?P<rules>[^\]\n]*)\])?").unwrap());

/// Comment openers of the usual languages; `*` starts a line inside a block comment.
const OPENERS: &[&str] = &["//", "#", "/*", "<!--", ";", "--"];

/// One directive, by 1-based line.
#[derive(Debug, PartialEq, Eq)]
struct Directive {
    line: usize,
    /// Whether it also covers the next line (it is alone on its line).
    covers_next: bool,
    /// The rules it names; empty: every rule.
    rules: Vec<String>,
    used: bool,
}

impl Directive {
    fn covers(&self, finding: &Finding) -> bool {
        let line = finding.start.line;
        (line == self.line || (self.covers_next && line == self.line + 1))
            && (self.rules.is_empty() || self.rules.contains(&finding.rule))
    }
}

/// What the directives of one file did to its findings.
pub struct Applied {
    pub kept: Vec<Finding>,
    pub suppressed: usize,
    /// Lines of directives that suppressed nothing.
    pub unused: Vec<usize>,
}

pub fn apply(text: &str, findings: Vec<Finding>) -> Applied {
    let mut directives = parse(text);
    let mut suppressed = 0;
    let kept = findings
        .into_iter()
        .filter(|f| {
            let mut hit = false;
            // Directives are in line order: only those of the finding's line and the one before
            // can cover it.
            let line = f.start.line;
            let first = directives.partition_point(|d| d.line + 1 < line);
            let near = directives[first..]
                .iter_mut()
                .take_while(|d| d.line <= line);
            // Every covering directive counts as used, so none of them is reported as unused.
            for d in near.filter(|d| d.covers(f)) {
                d.used = true;
                hit = true;
            }
            suppressed += usize::from(hit);
            !hit
        })
        .collect();
    Applied {
        kept,
        suppressed,
        unused: directives
            .iter()
            .filter(|d| !d.used)
            .map(|d| d.line)
            .collect(),
    }
}

fn parse(text: &str) -> Vec<Directive> {
    // Most files have no directive: their lines are not counted.
    let lines = std::cell::OnceCell::new();
    let index = || lines.get_or_init(|| LineIndex::new(text));
    let mut directives = Vec::new();
    for caps in DIRECTIVE.captures_iter(text) {
        let at = caps.get(0).expect("whole match").start();
        let line_start = index().line_start(at);
        let before = &text[line_start..at];
        let Some(opener) = comment_start(before) else {
            continue;
        };
        let covers_next = before[..opener].trim().is_empty();
        let rules = caps
            .name("rules")
            .map(|r| {
                r.as_str()
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        directives.push(Directive {
            line: index().line_of(at),
            covers_next,
            rules,
            used: false,
        });
    }
    directives
}

/// Where the comment holding the directive starts in the text before it on its line.
fn comment_start(before: &str) -> Option<usize> {
    let opener = OPENERS.iter().filter_map(|o| before.find(o)).min();
    opener.or_else(|| {
        before
            .trim_start()
            .starts_with('*')
            .then(|| before.find('*').unwrap())
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::finding::Position;

    fn finding(rule: &str, line: usize) -> Finding {
        Finding {
            rule: rule.into(),
            severity: crate::finding::Severity::Error,
            path: PathBuf::from("a.php"),
            rel: "a.php".into(),
            repo_rel: "a.php".into(),
            start: Position { line, column: 1 },
            end: Position { line, column: 2 },
            span: 0..1,
            message: String::new(),
            secret: None,
            fingerprint: String::new(),
            basis: crate::finding::Basis::new(crate::finding::Matched::Text(""), 0),
        }
    }

    fn kept_lines(text: &str, findings: &[(&str, usize)]) -> (Vec<usize>, Vec<usize>) {
        let applied = apply(text, findings.iter().map(|(r, l)| finding(r, *l)).collect());
        let kept = applied.kept.iter().map(|f| f.start.line).collect();
        (kept, applied.unused)
    }

    #[test]
    fn comment_styles_and_lines() {
        let text = "\
$a = 'x'; // keap-migrate: ignore
$b = 'x';
# keap-migrate: ignore
b = 'x'
<!-- keap-migrate: ignore -->
<x/>
/* keap-migrate: ignore */ $c = 1;
; keap-migrate: ignore
key = x
";
        let (kept, unused) = kept_lines(
            text,
            &[
                ("hardcoded-key", 1),
                ("hardcoded-key", 2),
                ("hardcoded-key", 4),
                ("legacy-endpoint", 6),
                ("hardcoded-key", 7),
                ("hardcoded-key", 9),
            ],
        );
        // A trailing comment does not reach the next line.
        assert_eq!(kept, [2]);
        assert!(unused.is_empty(), "{unused:?}");
    }

    #[test]
    fn rule_lists_restrict_the_directive() {
        let text = "// keap-migrate: ignore[legacy-endpoint, token-in-url]\n$x = 1;\n";
        let (kept, unused) = kept_lines(text, &[("legacy-endpoint", 2), ("hardcoded-key", 2)]);
        assert_eq!(kept, [2]);
        assert!(unused.is_empty());
        let (kept, unused) = kept_lines(text, &[("hardcoded-key", 2)]);
        assert_eq!((kept, unused), (vec![2], vec![1]));
    }

    #[test]
    fn unused_directives_and_strings_that_are_not_comments() {
        let text = "\
$x = 1; // keap-migrate: ignore
$s = \"keap-migrate: ignore\";
 * keap-migrate: ignore[hardcoded-key]
$k = 'x';
";
        let (kept, unused) = kept_lines(text, &[("hardcoded-key", 2), ("hardcoded-key", 4)]);
        assert_eq!((kept, unused), (vec![2], vec![1]));
    }
}
