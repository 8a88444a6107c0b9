//! Documentation placeholders are not secrets: `'XXXXXXXXXX'`, `your-key-here`, a run of one
//! character, `0123456789abcdef…`, `md5('test')` in the key slot, and values in a README's code
//! block on a line that says it is an example. A real key is random: none of these shapes is.
use std::ops::Range;

/// Words no random key spells out, that a placeholder does.
const WORDS: &[&str] = &[
    "xxxx",
    "your",
    "here",
    "example",
    "sample",
    "placeholder",
    "changeme",
    "dummy",
    "insert",
    "replace",
    "redacted",
];

/// Whether a secret-shaped value is plainly a stand-in for one.
pub fn placeholder(value: &str) -> bool {
    let body = value.strip_prefix("KeapAK-").unwrap_or(value);
    let lower = body.to_ascii_lowercase();
    if WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    let bytes = lower.as_bytes();
    if bytes.len() < 8 {
        return false;
    }
    // Few distinct characters: `aaaa…`, `abababab…`, `00000000…1`.
    let mut distinct = [false; 256];
    for &b in bytes {
        distinct[b as usize] = true;
    }
    if distinct.iter().filter(|&&d| d).count() <= 4 {
        return true;
    }
    // Counting up or down most of the way: `0123456789abcdef…`, `abcdef…`.
    let steps = bytes
        .windows(2)
        .filter(|w| {
            let (a, b) = (w[0], w[1]);
            b == a.wrapping_add(1) || a == b.wrapping_add(1) || (a == b'9' && b == b'a')
        })
        .count();
    steps * 10 >= (bytes.len() - 1) * 7
}

/// `md5('test')`, `sha1("x")`, `hash('md5', 'x')`: a hash of a literal, what old examples put in
/// the key slot.
pub fn hash_of_literal(src: &str) -> bool {
    let s = src.trim();
    let Some((func, rest)) = s.split_once('(') else {
        return false;
    };
    let func = func.trim().to_ascii_lowercase();
    let func = func.rsplit(['.', ':', '\\']).next().unwrap_or(&func);
    matches!(func, "md5" | "sha1" | "hash" | "hexdigest")
        && rest.trim_end().ends_with(')')
        && rest.trim_start().starts_with(['\'', '"'])
}

/// Whether `span` of a Markdown-like text sits in a fenced code block on a line (or the line
/// before) that says it is an example.
pub fn example_in_code_block(text: &str, span: &Range<usize>) -> bool {
    let mut fenced = false;
    let mut offset = 0;
    let mut before = "";
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let end = offset + line.len();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
        } else if fenced && span.start >= offset && span.start < end {
            let says = |l: &str| {
                let l = l.to_ascii_lowercase();
                WORDS.iter().any(|w| l.contains(w))
            };
            return says(line) || says(before);
        }
        before = line;
        offset = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_shapes_no_random_key_has() {
        for p in [
            "XXXXXXXXXX",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "your-key-here",
            "YOUR_API_KEY_HERE",
            "00000000000000000000000000000000",
            "abababababababababababababababab",
            "0123456789abcdef0123456789abcdef",
            "KeapAK-00000000000000000000000000000000000000000000000000",
        ] {
            assert!(placeholder(p), "{p}");
        }
        // Obvious fakes of each shape, varied enough not to read as placeholders.
        for k in [
            "decafbadc0ffee5ca1ab1efacade0dd0",
            "decafbadc0ffee5ca1ab1efacade0dd0feedfacecafebabe0ddba11bad5eed00",
            "KeapAK-decafbadc0ffee5ca1ab1efacade0dd0feedfacecafebabe0d",
            "FakeClientSecr1t",
            "NotARealSecret42",
        ] {
            assert!(!placeholder(k), "{k}");
        }
    }

    #[test]
    fn hashes_of_literals() {
        assert!(hash_of_literal("md5('test')"));
        assert!(hash_of_literal("hashlib.md5(\"x\")"));
        assert!(!hash_of_literal("md5($key)"));
        assert!(!hash_of_literal("$this->key"));
    }

    #[test]
    fn examples_in_code_blocks() {
        let text = "Set it up:\n\n```php\n// your key here\n$app->cfgCon('app', 'KEY');\n$real = 'KEY2';\n```\n";
        let at = |s: &str| {
            let i = text.find(s).unwrap();
            i..i + s.len()
        };
        assert!(example_in_code_block(text, &at("KEY'")));
        assert!(!example_in_code_block(text, &at("KEY2")));
        assert!(!example_in_code_block("no fence 'KEY'", &(10..13)));
    }
}
