//! Unified diffs that `git apply` and `patch -p1` accept, byte for byte (CRLF lines keep their
//! `\r`, a missing final newline gets its marker).
use similar::TextDiff;

/// The diff of one file, with `a/` and `b/` paths relative to the scanned root.
pub fn unified(rel: &str, old: &str, new: &str) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut out = format!("diff --git a/{rel} b/{rel}\n");
    let body = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header(&format!("a/{rel}"), &format!("b/{rel}"))
        .to_string();
    out.push_str(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_crlf_and_marks_a_missing_final_newline() {
        let d = unified("x.php", "<?php\r\n$a = 1;\r\n", "<?php\r\n$a = 2;\r\n");
        assert!(d.starts_with("diff --git a/x.php b/x.php\n--- a/x.php\n+++ b/x.php\n"));
        assert!(d.contains("-$a = 1;\r\n+$a = 2;\r\n"), "{d:?}");
        let d = unified("y.php", "a\nb", "a\nc");
        assert!(
            d.contains("-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"),
            "{d:?}"
        );
    }
}
