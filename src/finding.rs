//! The one finding type that every printer and every fix recipe reads.
use std::{fmt, ops::Range, path::PathBuf, sync::LazyLock};

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secret value found in a file. Its `Debug` and `Display` never show it: reaching the value
/// takes an explicit `expose()`, so it cannot slip into a report by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short prefix and the length: enough to tell keys apart, useless to an attacker.
    pub fn redacted(&self) -> String {
        let (kind, body) = match self.0.strip_prefix("KeapAK-") {
            Some(rest) => ("KeapAK-", rest),
            None => ("", self.0.as_str()),
        };
        // A short secret (a 10- or 16-character OAuth client secret) shows nothing: every
        // character shown would be one less to guess.
        let prefix = if body.len() >= 20 { 4 } else { 0 };
        let shown: String = body.chars().take(prefix).collect();
        format!("{kind}{shown}…({} chars)", self.0.chars().count())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// The path as walked (what a user typed, joined with the file's place under it).
    pub path: PathBuf,
    /// The path relative to the scanned root, with `/` separators: what patches, excludes and
    /// `--since`'s added lines use.
    pub rel: String,
    /// The path from the top of the git work tree the scanned root is in (the scanned root
    /// outside one; see `scan::RootPlace`), with `/` separators: what the fingerprint hashes
    /// and baselines key on, so both hold whichever part of the repository was scanned.
    pub repo_rel: String,
    pub start: Position,
    pub end: Position,
    /// Byte range in the file as read (BOM included); in a UTF-16 file, in its text decoded to
    /// UTF-8.
    pub span: Range<usize>,
    pub message: String,
    pub secret: Option<Secret>,
    /// Stable across edits elsewhere in the file: rule, `repo_rel` and a hash of the secret or
    /// of the normalised match, plus an occurrence number when the same text appears twice.
    pub fingerprint: String,
    /// What the fingerprint was made from, to make it again under another path.
    pub basis: Basis,
}

impl Finding {
    /// The fingerprint this finding has under another path: the one a version-1 baseline
    /// recorded, which hashed the path from the scanned root.
    pub fn fingerprint_at(&self, path: &str) -> String {
        self.basis.fingerprint(&self.rule, path)
    }

    pub fn location(&self) -> String {
        format!(
            "{}:{}:{}",
            self.path.display(),
            self.start.line,
            self.start.column
        )
    }
}

/// `KeapAK-` and what follows it, or 32 hex digits and more: what a Keap key looks like to a
/// message or a fingerprint that cannot know what the text is.
static SECRET_SHAPED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"KeapAK-[0-9A-Za-z]+|[0-9a-fA-F]{32,}").unwrap());

/// Whether the text holds something shaped like a Keap secret.
pub fn secret_like(text: &str) -> bool {
    SECRET_SHAPED.is_match(text)
}

/// A message with every secret-shaped token in it redacted, for anything said to the user:
/// a key pasted in place of a setting or a revision must not be echoed back into a CI log.
/// Redacting twice changes nothing.
pub fn redact(message: &str) -> String {
    SECRET_SHAPED
        .replace_all(message, |caps: &Captures| {
            let token = &caps[0];
            let end = caps.get(0).expect("the whole match").end();
            if message[end..].starts_with('…') {
                token.to_string() // already redacted
            } else {
                Secret::new(token).redacted()
            }
        })
        .into_owned()
}

/// Rounds of SHA-256 over a secret's fingerprint: a baseline or SARIF file committed next to the
/// code must not let anyone brute-force a short secret (a 10-character OAuth client secret has
/// about 60 bits) back out of it.
const SECRET_ROUNDS: u32 = 1 << 12;

/// What a fingerprint is made from: the secret itself, or the normalised match.
pub enum Matched<'a> {
    Secret(&'a Secret),
    Text(&'a str),
}

/// A domain-separated SHA-256 of the match: it identifies a finding without revealing the secret.
/// A match that holds a secret is stretched whether or not it is the secret alone: the quoted
/// key of a key-in-body finding, an XML body recorded in a test cassette.
pub fn fingerprint(rule: &str, rel: &str, matched: Matched, occurrence: usize) -> String {
    Basis::new(matched, occurrence).fingerprint(rule, rel)
}

/// What a fingerprint hashes besides the rule and the path: the secret or the normalised match,
/// and which occurrence of it in the file this is. Held as a `Secret`, so it never prints.
#[derive(Clone, Debug)]
pub struct Basis {
    value: Secret,
    stretch: bool,
    occurrence: usize,
}

impl Basis {
    pub fn new(matched: Matched, occurrence: usize) -> Basis {
        let (value, stretch) = match matched {
            Matched::Secret(s) => (s.clone(), true),
            Matched::Text(t) => (Secret::new(t), secret_like(t)),
        };
        Basis {
            value,
            stretch,
            occurrence,
        }
    }

    pub fn fingerprint(&self, rule: &str, path: &str) -> String {
        digest(
            rule,
            path,
            self.value.expose(),
            self.stretch,
            self.occurrence,
        )
    }
}

fn digest(rule: &str, path: &str, value: &str, stretch: bool, occurrence: usize) -> String {
    let mut h = Sha256::new();
    for part in ["keap-migrate/fingerprint/v1", rule, path, value] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let mut digest = h.finalize();
    if stretch {
        for _ in 0..SECRET_ROUNDS {
            digest = Sha256::new()
                .chain_update(digest)
                .chain_update(value.as_bytes())
                .finalize();
        }
    }
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    if occurrence == 0 {
        hex
    } else {
        format!("{hex}:{occurrence}")
    }
}

/// Maps byte offsets to lines and character columns.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// The characters before every `CHUNK`-th byte: a column is counted from the nearest of
    /// these, not from its line's start, so a finding on a long (minified) line costs no more
    /// than one on a short line.
    chars_before: Vec<usize>,
}

const CHUNK: usize = 1 << 10;

/// Characters in UTF-8 bytes that start and end on character boundaries: the bytes that are
/// not continuation bytes.
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        let chars_before = std::iter::once(0)
            .chain(text.as_bytes().chunks(CHUNK).map(chars_in))
            .scan(0, |total, n| {
                *total += n;
                Some(*total)
            })
            .collect();
        LineIndex {
            text,
            starts,
            chars_before,
        }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset) - 1;
        let column = self.char_index(offset) - self.char_index(self.starts[line]) + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    /// The 1-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }

    /// Where the line holding `offset` starts.
    pub fn line_start(&self, offset: usize) -> usize {
        self.starts[self.line_of(offset) - 1]
    }

    /// Characters before `offset` (a character boundary).
    fn char_index(&self, offset: usize) -> usize {
        let chunk = offset / CHUNK;
        self.chars_before[chunk] + chars_in(&self.text.as_bytes()[chunk * CHUNK..offset])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_a_prefix_and_the_length() {
        // An obvious fake: redaction does not care what the hex is.
        let fake = format!("KeapAK-{}de", "deadbeef".repeat(6));
        let sak = Secret::new(fake.as_str());
        assert_eq!(sak.redacted(), "KeapAK-dead…(57 chars)");
        let legacy = Secret::new("ab33489acd7df37ac617b25e38e972b5");
        assert_eq!(legacy.redacted(), "ab33…(32 chars)");
        assert_eq!(Secret::new("qWDmBTUyzEV3k430").redacted(), "…(16 chars)");
        assert!(!format!("{sak:?}").contains(&fake[12..]));
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let idx = LineIndex::new("a\r\n€é key\n");
        assert_eq!(idx.position(0), Position { line: 1, column: 1 });
        let key = "a\r\n€é key\n".find("key").unwrap();
        assert_eq!(idx.position(key), Position { line: 2, column: 4 });
    }

    #[test]
    fn columns_on_long_lines_count_every_character() {
        // Several checkpoints' worth of one line, with characters of every UTF-8 length.
        let text = format!("x\n{}\nz", "aé€😀".repeat(1000));
        let idx = LineIndex::new(&text);
        for (offset, _) in text.char_indices() {
            let start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
            let naive = Position {
                line: text[..offset].matches('\n').count() + 1,
                column: text[start..offset].chars().count() + 1,
            };
            assert_eq!(idx.position(offset), naive, "at {offset}");
        }
        assert_eq!(idx.position(text.len()), Position { line: 3, column: 2 });
    }

    #[test]
    fn fingerprints_ignore_position_but_not_occurrence() {
        let secret = Secret::new("ab33489acd7df37ac617b25e38e972b5");
        let a = fingerprint("hardcoded-key", "a.php", Matched::Secret(&secret), 0);
        assert_eq!(
            a,
            fingerprint("hardcoded-key", "a.php", Matched::Secret(&secret), 0)
        );
        assert_ne!(
            a,
            fingerprint("hardcoded-key", "a.php", Matched::Secret(&secret), 1)
        );
        assert_ne!(
            a,
            fingerprint("hardcoded-key", "b.php", Matched::Secret(&secret), 0)
        );
        let plain = fingerprint("hardcoded-key", "a.php", Matched::Text("not a secret"), 0);
        assert_ne!(
            plain,
            fingerprint("hardcoded-key", "a.php", Matched::Text("not a secret"), 1)
        );
    }

    /// The fingerprint with no stretching, as it was made for text that holds a key.
    fn single_sha256(rule: &str, rel: &str, value: &str) -> String {
        let mut h = Sha256::new();
        for part in ["keap-migrate/fingerprint/v1", rule, rel, value] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.finalize()[..10]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn text_holding_a_key_is_stretched_like_a_secret() {
        // The argument of a key-in-body call recorded in a YAML cassette: the quoted key.
        let text = "'ab33489acd7df37ac617b25e38e972b5'";
        let fp = fingerprint("key-in-body", "t.yml", Matched::Text(text), 0);
        let stretched = fingerprint(
            "key-in-body",
            "t.yml",
            Matched::Secret(&Secret::new(text)),
            0,
        );
        assert_eq!(fp, stretched);
        assert_ne!(fp, single_sha256("key-in-body", "t.yml", text));
        let url = "https://ab123.infusionsoft.com/api/xmlrpc";
        assert_eq!(
            fingerprint("legacy-endpoint", "t.yml", Matched::Text(url), 0),
            single_sha256("legacy-endpoint", "t.yml", url),
            "text with no secret in it is not worth the rounds"
        );
    }

    #[test]
    fn a_basis_makes_the_fingerprint_again_under_any_path() {
        let url = "https://ab123.infusionsoft.com/api/xmlrpc";
        let basis = Basis::new(Matched::Text(url), 0);
        for path in ["keap.php", "src/keap.php"] {
            assert_eq!(
                basis.fingerprint("legacy-endpoint", path),
                single_sha256("legacy-endpoint", path, url)
            );
        }
        let secret = Secret::new("ab33489acd7df37ac617b25e38e972b5");
        let basis = Basis::new(Matched::Secret(&secret), 2);
        assert_eq!(
            basis.fingerprint("hardcoded-key", "src/a.php"),
            fingerprint("hardcoded-key", "src/a.php", Matched::Secret(&secret), 2)
        );
        assert!(!format!("{basis:?}").contains("acd7df37"), "{basis:?}");
    }

    #[test]
    fn messages_lose_every_key_and_keep_the_rest() {
        let sak = "KeapAK-deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef00";
        let legacy = "22f29430c02019c45ee2fc2d43699a07";
        let message = format!("no rule `{sak}` to disable; `{legacy}x` is not a size");
        let redacted = redact(&message);
        assert_eq!(
            redacted,
            "no rule `KeapAK-dead…(57 chars)` to disable; `22f2…(32 chars)x` is not a size"
        );
        assert_eq!(redact(&redacted), redacted);
        assert_eq!(
            redact("keys start with `KeapAK-`"),
            "keys start with `KeapAK-`"
        );
        assert_eq!(
            redact("a 31-hex run 22f29430c02019c45ee2fc2d43699a0"),
            "a 31-hex run 22f29430c02019c45ee2fc2d43699a0"
        );
    }
}
