//! Literal search, case-blind, at the speed of a case-sensitive one: which of a set of literals
//! a file holds (the prefilter's keywords, the literals the rules' patterns need), and which
//! literals every match of a regex holds.
use std::ops::ControlFlow;

use aho_corasick::{AhoCorasick, AhoCorasickKind, BuildError, Input, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};

/// Case-blind literals are searched for, lowercased, in a lowercased copy of the file, a window
/// at a time: a case-sensitive search of a few dozen literals runs on Aho-Corasick's SIMD
/// prefilter (Teddy), where a case-blind one can only run a DFA byte by byte (five times slower
/// on real trees, and as slow as ripgrep's whole search). Exact literals are searched for
/// lowercased too and checked against the file's own bytes.
pub struct Literals {
    search: AhoCorasick,
    lowered: Vec<Vec<u8>>,
    /// Per literal, its own bytes where its case counts.
    exact: Vec<Option<Vec<u8>>>,
    /// A literal that starts in one window ends in the next one's overlap.
    overlap: usize,
}

/// Bytes lowercased at a time: a file's copy costs no more than this, however large the file.
pub const WINDOW: usize = 64 * 1024;

impl Literals {
    pub fn new<'a>(
        folded: impl IntoIterator<Item = &'a [u8]>,
        exact: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, BuildError> {
        let mut lowered = Vec::new();
        let mut exact_of = Vec::new();
        for l in folded {
            lowered.push(l.to_ascii_lowercase());
            exact_of.push(None);
        }
        for l in exact {
            lowered.push(l.to_ascii_lowercase());
            exact_of.push(Some(l.to_vec()));
        }
        let overlap = lowered.iter().map(Vec::len).max().unwrap_or(1).max(1) - 1;
        Ok(Literals {
            search: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                // Teddy finds the candidates; a DFA to confirm them costs more to build, at
                // every start, than it saves on a tree.
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&lowered)?,
            lowered,
            exact: exact_of,
            overlap,
        })
    }

    /// Whether `bytes` hold any of the literals.
    pub fn any(&self, bytes: &[u8]) -> bool {
        let mut found = false;
        self.each(bytes, |_| {
            found = true;
            ControlFlow::Break(())
        });
        found
    }

    /// Per literal, whether `bytes` hold it.
    pub fn present(&self, bytes: &[u8]) -> Vec<bool> {
        let mut present = vec![false; self.lowered.len()];
        let mut missing = present.len();
        self.each(bytes, |i| {
            if !present[i] {
                present[i] = true;
                missing -= 1;
            }
            if missing == 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        present
    }

    /// Calls `found` with each literal at each place it holds, until it says to stop.
    fn each(&self, bytes: &[u8], mut found: impl FnMut(usize) -> ControlFlow<()>) {
        let mut lower = Vec::with_capacity(bytes.len().min(WINDOW + self.overlap));
        let mut start = 0;
        loop {
            let end = bytes.len().min(start + WINDOW + self.overlap);
            let window = &bytes[start..end];
            lower.clear();
            lower.extend_from_slice(window);
            lower.make_ascii_lowercase();
            // From one place past each hit, not past its end, and every literal asked where
            // one was found: the search reports one literal per place, and another may start
            // inside it (or at it: an exact one in the wrong case).
            let mut at = 0;
            while let Some(m) = self.search.find(Input::new(&lower).range(at..)) {
                let at_hit = m.start();
                for (i, (l, exact)) in self.lowered.iter().zip(&self.exact).enumerate() {
                    let holds = lower[at_hit..].starts_with(l)
                        && exact
                            .as_ref()
                            .is_none_or(|e| window[at_hit..].starts_with(e));
                    if holds && found(i).is_break() {
                        return;
                    }
                }
                at = at_hit + 1;
            }
            if end == bytes.len() {
                return;
            }
            start += WINDOW;
        }
    }
}

/// The shortest literal worth a search: shorter ones are in most files anyway.
const MIN_LEN: usize = 3;

/// Literals, lowercased, one of which every match of `hir` holds (up to ASCII case), when
/// such a set is known and none of them is shorter than `MIN_LEN`.
pub fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    needed(hir).filter(|set| set.iter().all(|l| l.len() >= MIN_LEN))
}

fn needed(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Capture(c) => needed(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => needed(&r.sub),
        HirKind::Alternation(hs) => hs.iter().try_fold(Vec::new(), |mut all, h| {
            all.extend(needed(h)?);
            Some(all)
        }),
        HirKind::Concat(hs) => {
            // Runs of children that each match one text make one literal; the best of those
            // and of each other child's own set is needed.
            let mut best = None;
            let mut run = Vec::new();
            for h in hs {
                if let Some(text) = one_text(h) {
                    run.extend(text);
                    continue;
                }
                best = better(best, literal(std::mem::take(&mut run)));
                best = better(best, needed(h));
            }
            better(best, literal(run))
        }
        _ => one_text(hir).and_then(literal),
    }
}

fn literal(text: Vec<u8>) -> Option<Vec<Vec<u8>>> {
    (!text.is_empty()).then(|| vec![text])
}

/// The set whose shortest literal is longer: the rarer in files.
fn better(a: Option<Vec<Vec<u8>>>, b: Option<Vec<Vec<u8>>>) -> Option<Vec<Vec<u8>>> {
    let shortest = |s: &Vec<Vec<u8>>| s.iter().map(Vec::len).min().unwrap_or(0);
    match (a, b) {
        (Some(a), Some(b)) => Some(if shortest(&b) > shortest(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The one text, lowercased, that `hir` matches up to ASCII case, if it matches only one.
fn one_text(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(Vec::new()),
        HirKind::Literal(l) => Some(l.0.to_ascii_lowercase()),
        HirKind::Class(c) => one_byte(c).map(|b| vec![b]),
        HirKind::Capture(c) => one_text(&c.sub),
        HirKind::Concat(hs) => hs.iter().try_fold(Vec::new(), |mut text, h| {
            text.extend(one_text(h)?);
            Some(text)
        }),
        _ => None,
    }
}

/// The byte, lowercased, of a class that holds one ASCII character, or one ASCII letter in
/// both cases (`(?i)k` without Unicode; with Unicode it also holds the Kelvin sign).
fn one_byte(class: &Class) -> Option<u8> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Unicode(u) => u
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let ascii = |c: u32| u8::try_from(c).ok().filter(u8::is_ascii);
    match ranges[..] {
        [(a, b)] if a == b => ascii(a).map(|a| a.to_ascii_lowercase()),
        [(u, u2), (l, l2)] if u == u2 && l == l2 => {
            let (u, l) = (ascii(u)?, ascii(l)?);
            (u.is_ascii_uppercase() && u.to_ascii_lowercase() == l).then_some(l)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{required, Literals, WINDOW};

    #[test]
    fn case_blind_literals_and_exact_ones() {
        let l = Literals::new([&b"isdk"[..], b"ice.add"], [&b"Service."[..]]).unwrap();
        let any = |t: &str| l.any(t.as_bytes());
        assert!(any("new iSDK()") && any("ISDK") && any("a isdk"));
        assert!(any("$c->query('ContactService.add')"));
        assert!(
            !any("the service. nothing"),
            "an exact literal keeps its case"
        );
        assert!(
            any("service.ISDK"),
            "a case-blind literal after a wrong-case exact one"
        );
        assert!(any("service.add"), "one that starts inside it: `ice.add`");
        assert!(!any("") && !any("isd k"));
        assert_eq!(l.present(b"ISDK Service. ice.ADD"), [true, true, true]);
        assert_eq!(l.present(b"service. isdk"), [true, false, false]);
    }

    #[test]
    fn a_literal_across_windows() {
        let l = Literals::new([&b"infusionsoft"[..]], []).unwrap();
        for at in [WINDOW - 12, WINDOW - 5, WINDOW - 1, WINDOW, 2 * WINDOW + 3] {
            let mut text = vec![b'x'; 3 * WINDOW];
            text[at..at + 12].copy_from_slice(b"InfusionSoft");
            assert!(l.any(&text), "literal at {at}");
            text[at + 6] = b'-';
            assert!(!l.any(&text), "broken literal at {at}");
        }
    }

    fn needs(pattern: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::Parser::new().parse(pattern).unwrap();
        required(&hir).map(|s| {
            s.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn what_every_match_holds() {
        let s = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            needs(r"(?-u:(?i)(?:https?://)?[\w.-]*\.infusionsoft\.com(?::443)?/api)"),
            s(&[".infusionsoft.com"])
        );
        assert_eq!(needs(r"['\x22]/api/xmlrpc/?['\x22]"), s(&["/api/xmlrpc"]));
        assert_eq!(
            needs(r"(?-u:(?i)\w*(?:infusionsoft|keap|isdk)\w*(?:key|secret)\w*=)"),
            s(&["infusionsoft", "keap", "isdk"])
        );
        assert_eq!(needs(r"(?-u:KeapAK-[0-9a-f]{50}\b)"), s(&["keapak-"]));
        // Unicode case folding: `k` is also the Kelvin sign, so the run breaks there.
        assert_eq!(needs(r"(?i)keap[^<]"), s(&["eap"]));
        assert_eq!(needs(r"a|bcd"), None, "a set with a short literal");
        assert_eq!(needs(r"\w+=[0-9a-f]{32}"), None);
        assert_eq!(needs(r"(?:xmlrpc)?client"), s(&["client"]));
    }
}
