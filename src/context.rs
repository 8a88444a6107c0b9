//! Keys whose Keap context is in another file: `API_KEY = "…"` in a settings module, or
//! `define('IS_KEY', '…')` in a config, used by the file that calls Keap. A second pass after the
//! walk, and a cheap one: during the walk only files with a quoted (or `.env`-style) 32- or
//! 64-hex value bound to a name keep that binding, and files with Keap context keep their path;
//! afterwards only the binding names are looked up, and only in those files' text.
use std::{
    collections::{HashMap, HashSet},
    fs,
    ops::Range,
    path::PathBuf,
    sync::LazyLock,
};

use aho_corasick::AhoCorasick;
use regex::bytes::Regex;

use crate::{
    detect::{key_like, placeholder::placeholder, text},
    finding::{Basis, Finding, LineIndex, Matched, Secret},
    ignore_comments,
    rules::{RuleSet, HARDCODED_KEY},
    scan::Summary,
};

/// A name bound to a quoted hex value: `NAME = '…'`, `'NAME' => "…"`, `"name": "…"`,
/// `define('NAME', '…')`, `name: '…'`.
static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?P<name>[A-Za-z_][A-Za-z0-9_]*)['"]?\s*(?:=>|:=|=|:|,)\s*['"](?P<value>[0-9a-fA-F]{64}|[0-9a-fA-F]{32})['"]"#,
    )
    .unwrap()
});
/// `.env`, INI and YAML values need no quotes: `NAME=…`, `name: …` alone on the line.
static BARE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)^[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*[:=][ \t]*(?P<value>[0-9a-fA-F]{64}|[0-9a-fA-F]{32})[ \t]*\r?$",
    )
    .unwrap()
});
/// A URL on a line, whatever its host: one that is not Keap's says the line talks elsewhere.
static OTHER_URL: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"https?://[A-Za-z0-9.-]+").unwrap());
/// A page of a Keap app on its own host (`https://APP.infusionsoft.com/app/form/process/…`, an
/// order form): the ids in it are web-form and order-form ids, not keys.
static APP_PAGE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"(?i)https?://[^\s'"`/]*\.infusionsoft\.com/app/[^\s'"`]*"#).unwrap()
});
static KEY_HEADER: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"(?i)x-keap-api-key").unwrap());

/// Names that say they hold a hash or an id, never a key.
const HASHY: &[&str] = &[
    "cache",
    "hash",
    "md5",
    "sha",
    "etag",
    "checksum",
    "digest",
    "nonce",
    "salt",
    "integrity",
    "fingerprint",
    "uuid",
    "guid",
    // A web form's `xid`.
    "xid",
    "commit",
    "revision",
    "version",
    "color",
];
/// Too common to tie a value to a Keap file by name alone.
const GENERIC: &[&str] = &[
    "key", "value", "secret", "token", "password", "data", "hash", "name",
];

struct Binding {
    path: PathBuf,
    rel: String,
    repo_rel: String,
    name: String,
    /// Where the name is written in its definition: that use is not a use.
    name_at: usize,
    value: Range<usize>,
}

/// What one walker thread saw; merged after the walk.
#[derive(Default)]
pub struct Collector {
    bindings: Vec<Binding>,
    /// Files the prefilter passed: those that talk to Keap among them are where names are used.
    keap_files: Vec<PathBuf>,
}

impl Collector {
    /// Looks at a file as read, before it is scanned; `keyword`: whether the rules' prefilter
    /// matched its bytes.
    pub fn see(
        &mut self,
        path: &std::path::Path,
        rel: &str,
        repo_rel: &str,
        bytes: &[u8],
        keyword: bool,
    ) {
        for (name, value) in bindings(bytes) {
            let name_at = name.start;
            let name = String::from_utf8_lossy(&bytes[name]).into_owned();
            if worth(&name, &String::from_utf8_lossy(&bytes[value.clone()])) {
                self.bindings.push(Binding {
                    path: path.to_path_buf(),
                    rel: rel.to_string(),
                    repo_rel: repo_rel.to_string(),
                    name,
                    name_at,
                    value,
                });
            }
        }
        // Whether it talks to Keap is asked only if some file binds a hex value.
        if keyword {
            self.keap_files.push(path.to_path_buf());
        }
    }

    pub fn merge(&mut self, other: Collector) {
        self.bindings.extend(other.bindings);
        self.keap_files.extend(other.keap_files);
    }

    /// The findings of the bindings whose name a Keap file uses, less those already found.
    pub fn resolve(
        mut self,
        rules: &RuleSet,
        found: &[Finding],
        summary: &mut Summary,
    ) -> Vec<Finding> {
        let Some(rule) = rules.get(HARDCODED_KEY) else {
            return Vec::new();
        };
        if self.bindings.is_empty() || self.keap_files.is_empty() {
            return Vec::new();
        }
        // The walk's threads met the files in any order: the first use a finding names must
        // not change from run to run.
        self.keap_files.sort_unstable();
        let names: Vec<&str> = {
            let set: HashSet<&str> = self.bindings.iter().map(|b| b.name.as_str()).collect();
            let mut names: Vec<&str> = set.into_iter().collect();
            names.sort_unstable();
            names
        };
        let matcher = AhoCorasick::new(&names).expect("names are plain strings");
        // Where each name is used in a Keap file: (file, byte offset) of every whole-word use.
        let mut reached: HashMap<&str, Vec<(PathBuf, usize, bool)>> = HashMap::new();
        for file in &self.keap_files {
            let Ok(bytes) = fs::read(file) else { continue };
            let text = String::from_utf8_lossy(&bytes);
            // XML-RPC alone is not Keap: other services take an `api_key` first too.
            if !(text::has_keap_context(&text) || KEY_HEADER.is_match(&text)) {
                continue;
            }
            for m in matcher.find_overlapping_iter(text.as_bytes()) {
                if !whole_word(text.as_bytes(), m.start(), m.end()) {
                    continue;
                }
                let line = line_of(&text, m.start());
                // Sent to another service (`'https://trello.com/…&key=' + site.trelloKey`): not
                // a use with Keap, however Keap-like the file.
                if OTHER_URL.is_match(line) && !text::has_keap_context(line) {
                    continue;
                }
                // In a Keap file, a service call or Keap's own name on the line, besides the one
                // the name itself may carry (`INFUSIONSOFT_FORM_XID` in a web form's path).
                let rest = line.replace(names[m.pattern().as_usize()], "");
                let rest = APP_PAGE.replace_all(&rest, "");
                let calls = rest.contains("Service.") || text::has_keap_context(&rest);
                reached
                    .entry(names[m.pattern().as_usize()])
                    .or_default()
                    .push((file.clone(), m.start(), calls));
            }
        }
        let known: HashSet<(&str, usize)> = found
            .iter()
            .filter(|f| f.secret.is_some())
            .map(|f| (f.rel.as_str(), f.span.start))
            .collect();
        let mut by_file: HashMap<&PathBuf, Vec<(&Binding, String)>> = HashMap::new();
        for b in &self.bindings {
            if known.contains(&(b.rel.as_str(), b.value.start)) {
                continue;
            }
            let uses = reached.get(b.name.as_str()).map_or(&[][..], Vec::as_slice);
            // A use that is not the definition itself, by a name that says it is a key or on a
            // line that calls Keap.
            let user = uses.iter().find(|(file, at, calls)| {
                let own = *file == b.path && *at == b.name_at;
                !own && (*calls || key_like(&b.name))
            });
            if let Some((file, _, _)) = user {
                let shown = file.file_name().map_or_else(
                    || file.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                by_file.entry(&b.path).or_default().push((b, shown));
            }
        }
        let mut out = Vec::new();
        for (path, bindings) in by_file {
            let Ok(bytes) = fs::read(path) else { continue };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let index = LineIndex::new(&text);
            let mut occurrences: HashMap<&str, usize> = HashMap::new();
            for f in found
                .iter()
                .filter(|f| f.path == *path && f.rule == rule.id)
            {
                if let Some(s) = &f.secret {
                    *occurrences.entry(s.expose()).or_default() += 1;
                }
            }
            let mut findings = Vec::new();
            for (b, user) in bindings {
                let Some(value) = text.get(b.value.clone()) else {
                    continue;
                };
                let secret = Secret::new(value);
                let n = occurrences.entry(value).or_default();
                let basis = Basis::new(Matched::Secret(&secret), *n);
                findings.push(Finding {
                    fingerprint: basis.fingerprint(&rule.id, &b.repo_rel),
                    basis,
                    rule: rule.id.clone(),
                    severity: rule.severity,
                    path: b.path.clone(),
                    rel: b.rel.clone(),
                    repo_rel: b.repo_rel.clone(),
                    start: index.position(b.value.start),
                    end: index.position(b.value.end),
                    span: b.value.clone(),
                    message: format!(
                        "{} (`{}`, which {user} uses with Keap)",
                        rule.message, b.name
                    ),
                    secret: Some(secret),
                });
                *n += 1;
            }
            let applied = ignore_comments::apply(&text, findings);
            summary.ignored += applied.suppressed;
            out.extend(applied.kept);
        }
        out
    }
}

/// A binding worth remembering: not a hash by its name, not a placeholder by its value.
fn worth(name: &str, value: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.len() > 3
        && !GENERIC.contains(&lower.as_str())
        && !HASHY.iter().any(|h| lower.contains(h))
        && !placeholder(value)
}

/// Whether the bytes hold 32 hex digits in a row: most files do not, and skip the regexes.
pub(crate) fn has_hex_run(bytes: &[u8]) -> bool {
    hex_runs(bytes).next().is_some()
}

/// The runs of 32 or more hex digits, in order, each whole.
fn hex_runs(bytes: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let run = next_hex_run(bytes, from)?;
        from = run.end;
        Some(run)
    })
}

/// Without a branch, as `is_ascii_hexdigit` has.
fn is_hex(b: u8) -> bool {
    (b.wrapping_sub(b'0') < 10) | ((b | 0x20).wrapping_sub(b'a') < 6)
}

/// The first run of 32 or more hex digits that starts at or after `from`, where the byte before
/// `from` (if any) is not a hex digit.
fn next_hex_run(bytes: &[u8], from: usize) -> Option<Range<usize>> {
    const RUN: usize = 32;
    const STRIDE: usize = 8;
    // Any run of RUN hex digits covers four bytes in a row at a multiple of STRIDE (less one):
    // only those are looked at first, and a run is measured around the last of four that are
    // hex. A third of the bytes of code are hex digits; four in a row at one probe in fifty.
    // The first probe at or after a place.
    let probe_from = |at: usize| (at + 1).next_multiple_of(STRIDE) - 1;
    let mut probe = probe_from(from);
    let mut seen = 0u8;
    while probe < bytes.len() {
        seen = (seen << 1 | u8::from(is_hex(bytes[probe]))) & 0xF;
        if seen != 0xF {
            probe += STRIDE;
            continue;
        }
        let mut start = probe;
        while start > from && is_hex(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = probe + 1;
        while end < bytes.len() && is_hex(bytes[end]) {
            end += 1;
        }
        if end - start >= RUN {
            return Some(start..end);
        }
        // `end` is not hex (or the end): a run lies wholly after it.
        probe = probe_from(end + 1);
        seen = 0;
    }
    None
}

/// Each name bound to a hex value, and the value: the patterns read only around hex runs, as a
/// whole file is mostly code without one.
fn bindings(bytes: &[u8]) -> Vec<(Range<usize>, Range<usize>)> {
    let mut found = Vec::new();
    for w in binding_windows(bytes) {
        let patterns: &[&Regex] = if w.lines {
            &[&QUOTED, &BARE]
        } else {
            &[&QUOTED]
        };
        for re in patterns {
            for caps in re.captures_iter(&bytes[w.range.clone()]) {
                let (Some(name), Some(value)) = (caps.name("name"), caps.name("value")) else {
                    continue;
                };
                let value = w.range.start + value.start()..w.range.start + value.end();
                if value.start >= w.fresh {
                    let name = w.range.start + name.start()..w.range.start + name.end();
                    found.push((name, value));
                }
            }
        }
    }
    found
}

/// Bytes the patterns read in one go, where they may find a binding.
struct Window {
    range: Range<usize>,
    /// Whether it starts and ends at a line's edge: only then do `^` and `$` hold in it as in
    /// the whole text.
    lines: bool,
    /// Where the values it has not read before start: its start may reach into the window before.
    fresh: usize,
}

/// A line longer than this is read only around its runs (a minified bundle, a table of data on
/// one line): a bare `NAME=value` line is never that long.
const LONG_LINE: usize = 1024;
/// How far before its value a name and what binds it can start, across a line break.
const NEAR: usize = 256;

/// Where a name bound to a hex value can be: the line of each hex run and the line before it (a
/// name and its value split across two lines), merged where they touch; on a long line, the bytes
/// just before the run, from the start of a word. No byte is read twice except the few a window
/// reaches back into the one before.
fn binding_windows(bytes: &[u8]) -> Vec<Window> {
    let mut windows: Vec<Window> = Vec::new();
    for run in hex_runs(bytes) {
        let floor = windows.last().map_or(0, |w| w.range.end);
        if run.start < floor {
            continue;
        }
        let after_newline = |at: usize| {
            bytes[floor..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(floor, |i| floor + i + 1)
        };
        let own = after_newline(run.start);
        let start = if own > floor {
            after_newline(own - 1)
        } else {
            floor
        };
        // Looked for no further than a long line's length: a minified line holds many runs.
        let reach = bytes.len().min(start + LONG_LINE + 1).max(run.end);
        let end = match bytes[run.end..reach].iter().position(|&b| b == b'\n') {
            Some(i) => Some(run.end + i),
            None if reach == bytes.len() => Some(reach),
            None => None,
        };
        if let Some(end) = end.filter(|end| end - start <= LONG_LINE) {
            match windows.last_mut() {
                Some(last) if last.lines && last.range.end >= start => last.range.end = end,
                _ => windows.push(Window {
                    range: start..end,
                    lines: true,
                    fresh: floor,
                }),
            }
            continue;
        }
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut near = run.start.saturating_sub(NEAR);
        while near < run.start && near > 0 && ident(bytes[near - 1]) {
            near += 1;
        }
        let end = (run.end + 1).min(bytes.len());
        match windows.last_mut() {
            Some(last) if !last.lines && last.range.end >= near => last.range.end = end,
            _ => windows.push(Window {
                range: near..end,
                lines: false,
                fresh: floor,
            }),
        }
    }
    windows
}

fn whole_word(text: &[u8], start: usize, end: usize) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    (start == 0 || !word(text[start - 1])) && text.get(end).is_none_or(|&b| !word(b))
}

fn line_of(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    &text[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_runs_and_names() {
        assert!(has_hex_run(b"x = 'c3f1a9e07b5d4e2a8f6b0d9c1e7a3b5f'"));
        assert!(!has_hex_run(b"x = 'c3f1a9e07b5d4e2a8f6b0d9c1e7a3b5'"));
        assert!(worth("IS_KEY", "c3f1a9e07b5d4e2a8f6b0d9c1e7a3b5f"));
        assert!(!worth("cacheKey", "c3f1a9e07b5d4e2a8f6b0d9c1e7a3b5f"));
        assert!(!worth("key", "c3f1a9e07b5d4e2a8f6b0d9c1e7a3b5f"));
        assert!(whole_word(b"a IS_KEY)", 2, 8));
        assert!(!whole_word(b"a THIS_KEY)", 4, 10));
    }

    /// Reading only around hex runs finds what the patterns find in the whole text: names and
    /// values on one line or two, several to a minified line, `.env` lines, CRLF, none at all.
    #[test]
    fn windows_find_what_the_whole_text_holds() {
        let k = "c3f1a9e07b5d4e2a8f6b0d9c1e7a3b5f";
        let long = format!("{k}{k}");
        let pieces = [
            format!("API_KEY = '{k}';\n"),
            format!("define('IS_KEY',\n    '{k}');\n"),
            format!("KEAP_KEY={k}\r\n"),
            format!("var a={{x:'{k}',appKey:\"{k}\",y:'{long}'}};"),
            "plain code, no run\n".to_string(),
            format!("md5: {k}ff\n"),
            format!(
                "var t={{{}}};var c={{appKey:'{k}',x:\"{long}\",y:1}};\n",
                "a:1,".repeat(300)
            ),
            format!(
                "{};APP_SECRET = \"{k}\";{}{k}x\n",
                "z".repeat(1100),
                "q".repeat(40)
            ),
            format!(
                "{}'APP_KEY'{}=>\n{}'{k}'\n",
                "w".repeat(1000),
                " ".repeat(60),
                " ".repeat(60)
            ),
            "\n".to_string(),
        ];
        let whole = |bytes: &[u8]| {
            let mut found = Vec::new();
            for re in [&*QUOTED, &*BARE] {
                for caps in re.captures_iter(bytes) {
                    let v = caps.name("value").unwrap();
                    found.push((caps["name"].to_vec(), v.start(), v.end()));
                }
            }
            found.sort();
            found
        };
        for a in &pieces {
            for b in &pieces {
                for c in &pieces {
                    let text = format!("{a}{b}{c}");
                    let bytes = text.as_bytes();
                    let mut windowed: Vec<_> = bindings(bytes)
                        .into_iter()
                        .map(|(name, value)| (bytes[name].to_vec(), value.start, value.end))
                        .collect();
                    windowed.sort();
                    assert_eq!(windowed, whole(bytes), "{text:?}");
                }
            }
        }
    }

    /// The runs of 32 or more hex digits, by splitting at every other byte.
    fn plain_runs(bytes: &[u8]) -> Vec<Range<usize>> {
        let mut runs = Vec::new();
        let mut start = 0;
        for (i, b) in bytes.iter().chain([&b' ']).enumerate() {
            if !b.is_ascii_hexdigit() {
                if i - start >= 32 {
                    runs.push(start..i);
                }
                start = i + 1;
            }
        }
        runs
    }

    /// The probing search's runs in `bytes` are the plain split's; those runs, for more checks.
    fn assert_probed_runs_plain(bytes: &[u8]) -> Vec<Range<usize>> {
        let plain = plain_runs(bytes);
        assert_eq!(
            hex_runs(bytes).collect::<Vec<_>>(),
            plain,
            "{}",
            String::from_utf8_lossy(bytes)
        );
        plain
    }

    /// Texts where hex digits are as common as in code, so that four probes in a row are often
    /// hex without a run under them: the runs are those of a plain split.
    #[test]
    fn hex_runs_among_hex_looking_words() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let alphabet = b"abcdef0123456789xyz_ '(,\nABCDEFghij";
        for _ in 0..2000 {
            let mut bytes = Vec::new();
            for _ in 0..(state % 300) as usize {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let hexy = state.is_multiple_of(5);
                let run = if hexy { 20 + (state >> 8) % 20 } else { 1 };
                for _ in 0..run {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let pick = if hexy {
                        (state % 16) as usize
                    } else {
                        (state % alphabet.len() as u64) as usize
                    };
                    bytes.push(alphabet[pick]);
                }
            }
            assert_probed_runs_plain(&bytes);
        }
    }

    /// The probing search agrees with a plain split, for a run of each length near 32 at every
    /// place in texts of every length up to a few probes, alone or beside other runs.
    #[test]
    fn hex_runs_are_found_wherever_they_lie() {
        for len in 0..150 {
            for run in 28..36 {
                for at in 0..=len {
                    for beside in [&b""[..], b"a", b"-f0"] {
                        let mut bytes = vec![b'x'; len];
                        bytes.splice(at..at, std::iter::repeat_n(b'e', run));
                        bytes.splice(0..0, beside.iter().copied());
                        let plain = assert_probed_runs_plain(&bytes);
                        assert_eq!(has_hex_run(&bytes), !plain.is_empty());
                    }
                }
            }
        }
    }
}
