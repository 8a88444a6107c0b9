//! The edit model: minimal byte-range replacements over the original text.
use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
    /// The finding this edit serves (index into the file's findings), for overlap reports.
    pub finding: usize,
}

impl Edit {
    pub fn new(range: Range<usize>, text: impl Into<String>, finding: usize) -> Self {
        Edit {
            range,
            text: text.into(),
            finding,
        }
    }

    pub fn insert(at: usize, text: impl Into<String>, finding: usize) -> Self {
        Edit::new(at..at, text, finding)
    }
}

/// Two edits that touch the same bytes: neither is applied silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub first: Edit,
    pub second: Edit,
}

/// Applies non-overlapping edits. Identical duplicates (two findings asking for the same change)
/// collapse to one; any other overlap is returned, not resolved.
pub fn apply(text: &str, mut edits: Vec<Edit>) -> Result<String, Overlap> {
    edits.sort_by_key(|a| (a.range.start, a.range.end));
    edits.dedup_by(|b, a| a.range == b.range && a.text == b.text);
    for pair in edits.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        // Two insertions at one point have no natural order: that is an overlap too.
        let both_insert_here =
            a.range.is_empty() && b.range.is_empty() && a.range.start == b.range.start;
        if b.range.start < a.range.end || both_insert_here {
            return Err(Overlap {
                first: a.clone(),
                second: b.clone(),
            });
        }
    }
    // Sized once: a string that doubles as it grows holds half as much again of a large file.
    let added: usize = edits.iter().map(|e| e.text.len()).sum();
    let removed: usize = edits.iter().map(|e| e.range.len()).sum();
    let mut out = String::with_capacity((text.len() + added).saturating_sub(removed));
    let mut last = 0;
    for e in &edits {
        out.push_str(&text[last..e.range.start]);
        out.push_str(&e.text);
        last = e.range.end;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_in_order_and_keeps_everything_else() {
        let text = "a = 'x';\r\nb = 'y';\r\n";
        let out = apply(
            text,
            vec![
                Edit::new(14..17, "'z'", 1),
                Edit::new(4..7, "'w'", 0),
                Edit::insert(10, "c;\r\n", 2),
            ],
        )
        .unwrap();
        assert_eq!(out, "a = 'w';\r\nc;\r\nb = 'z';\r\n");
    }

    #[test]
    fn overlaps_are_reported_and_duplicates_collapse() {
        let err = apply(
            "abcdef",
            vec![Edit::new(1..4, "X", 0), Edit::new(3..5, "Y", 1)],
        )
        .unwrap_err();
        assert_eq!((err.first.finding, err.second.finding), (0, 1));
        assert!(apply(
            "abc",
            vec![Edit::insert(1, "X", 0), Edit::insert(1, "Y", 1)]
        )
        .is_err());
        assert_eq!(
            apply(
                "abc",
                vec![Edit::new(0..1, "Z", 0), Edit::new(0..1, "Z", 1)]
            )
            .unwrap(),
            "Zbc"
        );
    }
}
