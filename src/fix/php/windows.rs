//! Large PHP files planned a window at a time. The recipe reads one tree, and the whole tree of
//! a generated file tens of megabytes long holds gigabytes (see `detect::chunks`). Such a file
//! is mostly a long run of top-level statements that send through a client made at its top: a
//! tree of the top and a few of those statements shows the recipe what the whole tree shows it
//! about them.
//!
//! The head is every chunk that a statement elsewhere may depend on: the first chunk (the
//! `<?php` tag and what the file sets up), definitions of any kind, includes, findings other
//! than a key in a call's body, and writes to a variable the head reads. The other chunks are
//! grouped by the variables they share, so that a message built in one chunk and sent in the
//! next stay together, and the groups are packed into windows, each planned with the head.
//! Whatever the recipe decides from all the calls of the file shows in what the head's findings
//! get, so that must be the same in every window; where it is not, or the head is most of the
//! file, the file is planned whole.
use std::collections::{HashMap, HashSet};

use tree_sitter::{Node, Tree};

use super::{CalledElsewhere, EnvNamer, Outcome, SharedClient};
use crate::{
    detect::{
        chunks::{self, Chunk},
        php::{callee, parse_chunks},
    },
    finding::Finding,
    fix::{edit::Edit, FixOptions},
    rules::KEY_IN_BODY,
};

/// About how much source a window's own chunks hold (its head comes on top).
const WINDOW: usize = 1 << 17;
/// Chunks smaller than the scan's: a statement that uses what the one before it made (a message
/// built, then sent) joins the chunks on both sides of a cut, and runs of such cuts make one
/// group of them.
const CHUNK: usize = 16 << 10;

/// Plans a large file by windows; `None` where it is small, cannot be cut, or must be planned
/// whole.
pub fn fix(
    text: &str,
    findings: &[Finding],
    opts: &FixOptions,
    env_for: &mut EnvNamer,
    called_elsewhere: &CalledElsewhere,
    shared_client: &SharedClient,
) -> Option<Outcome> {
    if text.len() < chunks::WHOLE_BELOW {
        return None;
    }
    let (tag, chunks) = chunks::split_every(text, CHUNK)?;
    // Past half the file in the head, windows save too little to be worth their risk.
    let windows = Windows::new(text, &tag, &chunks, findings, WINDOW, text.len() / 2)?;
    windows.plan(opts, env_for, called_elsewhere, shared_client)
}

/// What a chunk holds that decides where it goes.
#[derive(Default)]
struct Facts<'t> {
    /// Defines or reaches something other statements may use: the chunk belongs to the head.
    anchor: bool,
    /// Every variable the chunk names.
    names: HashSet<&'t str>,
    /// The variables it may change (assigned, updated, unset, iterated into, passed to a
    /// function that may take them by reference).
    written: HashSet<&'t str>,
}

/// Definitions and whatever else reaches beyond the statement it is in.
const ANCHORS: &[&str] = &[
    "function_definition",
    "class_declaration",
    "interface_declaration",
    "trait_declaration",
    "enum_declaration",
    "anonymous_function",
    "arrow_function",
    "anonymous_class",
    "namespace_definition",
    "namespace_use_declaration",
    "const_declaration",
    "global_declaration",
    "function_static_declaration",
    "include_expression",
    "include_once_expression",
    "require_expression",
    "require_once_expression",
    "dynamic_variable_name",
    "goto_statement",
    "named_label_statement",
];

/// Functions that reach variables by name, or define what other statements use.
const ANCHOR_CALLS: &[&str] = &["define", "compact", "extract", "get_defined_vars", "eval"];

fn facts<'t>(text: &'t str, root: Node) -> Facts<'t> {
    let mut facts = Facts::default();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let kind = node.kind();
        if ANCHORS.contains(&kind) {
            facts.anchor = true;
        }
        let written = match kind {
            "variable_name" => {
                let name = &text[node.byte_range()];
                facts.anchor |= name == "$GLOBALS";
                facts.names.insert(name);
                None
            }
            "assignment_expression"
            | "augmented_assignment_expression"
            | "reference_assignment_expression" => node.child_by_field_name("left"),
            "update_expression" | "unset_statement" | "catch_clause" | "list_literal" => Some(node),
            // What comes after `as`: the key and value variables.
            "foreach_statement" => node.named_child(1),
            "function_call_expression" => {
                let name = callee(text, node).to_ascii_lowercase();
                facts.anchor |= ANCHOR_CALLS.contains(&name.as_str());
                node.child_by_field_name("arguments")
            }
            _ => None,
        };
        if let Some(written) = written {
            variables_in(text, written, &mut facts.written);
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    facts
}

fn variables_in<'t>(text: &'t str, node: Node, into: &mut HashSet<&'t str>) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if node.kind() == "variable_name" {
            into.insert(&text[node.byte_range()]);
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
}

struct Windows<'a, 't> {
    text: &'t str,
    tag: &'a Chunk,
    chunks: &'a [Chunk],
    findings: &'a [Finding],
    head: Vec<usize>,
    /// The chunks of each window, in the file's order.
    windows: Vec<Vec<usize>>,
    /// Whether each finding is in the head, and the findings of each window, in order.
    finding_in_head: Vec<bool>,
    window_findings: Vec<Vec<usize>>,
}

impl<'a, 't> Windows<'a, 't> {
    fn new(
        text: &'t str,
        tag: &'a Chunk,
        chunks: &'a [Chunk],
        findings: &'a [Finding],
        window: usize,
        max_head: usize,
    ) -> Option<Self> {
        let facts = chunk_facts(text, tag, chunks)?;
        let n = chunks.len();
        let at = |byte: usize| chunks.partition_point(|c| c.bytes.end <= byte).min(n - 1);
        let mut in_head: Vec<bool> = facts.iter().map(|f| f.anchor).collect();
        in_head[0] = true;
        let mut chunk_of = Vec::with_capacity(findings.len());
        for f in findings {
            let (first, last) = (at(f.span.start), at(f.span.end.max(1) - 1));
            if f.rule != KEY_IN_BODY || first != last {
                in_head[first..=last].fill(true);
            }
            chunk_of.push(first);
        }
        let head_bytes = |in_head: &[bool]| -> usize {
            (0..n)
                .filter(|&i| in_head[i])
                .map(|i| chunks[i].bytes.len())
                .sum()
        };
        // A chunk that writes what the head reads changes what the head's clients are.
        let read_by_head = loop {
            if head_bytes(&in_head) > max_head {
                return None;
            }
            let read: HashSet<&str> = (0..n)
                .filter(|&i| in_head[i])
                .flat_map(|i| facts[i].names.iter().copied())
                .collect();
            let writers: Vec<usize> = (0..n)
                .filter(|&i| !in_head[i] && facts[i].written.iter().any(|v| read.contains(v)))
                .collect();
            if writers.is_empty() {
                break read;
            }
            for i in writers {
                in_head[i] = true;
            }
        };
        let head: Vec<usize> = (0..n).filter(|&i| in_head[i]).collect();
        // Chunks that share a variable the head does not read go together.
        let mut group: Vec<usize> = (0..n).collect();
        let mut first_seen: HashMap<&str, usize> = HashMap::new();
        for i in (0..n).filter(|&i| !in_head[i]) {
            for name in &facts[i].names {
                if read_by_head.contains(name) {
                    continue;
                }
                match first_seen.get(name) {
                    Some(&j) => join(&mut group, i, j),
                    None => {
                        first_seen.insert(name, i);
                    }
                }
            }
        }
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut index_of: HashMap<usize, usize> = HashMap::new();
        for i in (0..n).filter(|&i| !in_head[i]) {
            let root = find(&mut group, i);
            let k = *index_of.entry(root).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[k].push(i);
        }
        let mut windows: Vec<Vec<usize>> = Vec::new();
        let mut size = 0;
        for g in groups {
            let bytes: usize = g.iter().map(|&i| chunks[i].bytes.len()).sum();
            match windows.last_mut() {
                Some(last) if size + bytes <= window => {
                    last.extend(g);
                    size += bytes;
                }
                _ => {
                    windows.push(g);
                    size = bytes;
                }
            }
        }
        if windows.len() < 2 {
            return None;
        }
        for w in &mut windows {
            w.sort_unstable();
        }
        let mut window_of = vec![None; n];
        for (k, w) in windows.iter().enumerate() {
            for &c in w {
                window_of[c] = Some(k);
            }
        }
        let mut window_findings = vec![Vec::new(); windows.len()];
        for (i, &c) in chunk_of.iter().enumerate() {
            if let Some(k) = window_of[c] {
                window_findings[k].push(i);
            }
        }
        let finding_in_head = chunk_of.iter().map(|&c| in_head[c]).collect();
        Some(Windows {
            text,
            tag,
            chunks,
            findings,
            head,
            windows,
            finding_in_head,
            window_findings,
        })
    }

    /// Plans each window with the head, the next window's tree parsed on a thread of its own
    /// while this one is planned (the two cost about the same); a planned tree goes back to be
    /// freed where it was made.
    fn plan(
        &self,
        opts: &FixOptions,
        env_for: &mut EnvNamer,
        called_elsewhere: &CalledElsewhere,
        shared_client: &SharedClient,
    ) -> Option<Outcome> {
        let head_findings: Vec<usize> = (0..self.findings.len())
            .filter(|&i| self.finding_in_head[i])
            .collect();
        std::thread::scope(|s| {
            // No tree waits in the channel: three are alive at most, the one being planned,
            // the next, and the last one planned until it is freed.
            let (trees, parsed) = std::sync::mpsc::sync_channel::<Option<Tree>>(0);
            let (done, planned) = std::sync::mpsc::channel::<Tree>();
            s.spawn(move || {
                for w in &self.windows {
                    planned.try_iter().for_each(drop);
                    let mut ids: Vec<usize> = self.head.iter().chain(w).copied().collect();
                    ids.sort_unstable();
                    let parts: Vec<&Chunk> = ids.iter().map(|&i| &self.chunks[i]).collect();
                    let tree = parse_chunks(self.text, self.tag, &parts)
                        .filter(|t| !t.root_node().has_error());
                    let clean = tree.is_some();
                    if trees.send(tree).is_err() || !clean {
                        return;
                    }
                }
            });
            let mut out = Outcome::default();
            let mut head_outcome: Option<Outcome> = None;
            let mut windows = 0;
            for (k, tree) in parsed.into_iter().enumerate() {
                let tree = tree?;
                windows += 1;
                let mut index: Vec<usize> = head_findings
                    .iter()
                    .chain(&self.window_findings[k])
                    .copied()
                    .collect();
                index.sort_unstable();
                let subset: Vec<Finding> =
                    index.iter().map(|&i| self.findings[i].clone()).collect();
                let got = super::fix(
                    self.text,
                    Some(&tree),
                    &subset,
                    opts,
                    env_for,
                    called_elsewhere,
                    shared_client,
                );
                let _ = done.send(tree);
                let (head, own) = split(got, &index, &self.finding_in_head);
                match &head_outcome {
                    None => head_outcome = Some(head),
                    Some(first) if !same(first, &head) => return None,
                    Some(_) => {}
                }
                out.edits.extend(own.edits);
                out.manual.extend(own.manual);
                out.notes.extend(own.notes);
            }
            // A parser that stopped early leaves windows unplanned.
            if windows < self.windows.len() {
                return None;
            }
            let head = head_outcome?;
            out.edits.extend(head.edits);
            out.manual.extend(head.manual);
            out.notes.extend(head.notes);
            Some(out)
        })
    }
}

/// A window's outcome, its indices made the file's, split into the head's findings' part and
/// the window's own.
fn split(got: Outcome, index: &[usize], in_head: &[bool]) -> (Outcome, Outcome) {
    let (mut head, mut own) = (Outcome::default(), Outcome::default());
    for e in got.edits {
        let i = index[e.finding];
        let to = if in_head[i] { &mut head } else { &mut own };
        to.edits.push(Edit { finding: i, ..e });
    }
    for (i, hint) in got.manual {
        let i = index[i];
        let to = if in_head[i] { &mut head } else { &mut own };
        to.manual.push((i, hint));
    }
    for (i, note) in got.notes {
        let i = index[i];
        let to = if in_head[i] { &mut head } else { &mut own };
        to.notes.push((i, note));
    }
    (head, own)
}

fn same(a: &Outcome, b: &Outcome) -> bool {
    sorted(a) == sorted(b)
}

type Sorted<'o> = (
    Vec<(usize, usize, &'o str, usize)>,
    Vec<&'o (usize, String)>,
    Vec<&'o (usize, String)>,
);

fn sorted(o: &Outcome) -> Sorted<'_> {
    let mut edits: Vec<_> = o
        .edits
        .iter()
        .map(|e| (e.range.start, e.range.end, e.text.as_str(), e.finding))
        .collect();
    let mut manual: Vec<_> = o.manual.iter().collect();
    let mut notes: Vec<_> = o.notes.iter().collect();
    edits.sort_unstable();
    manual.sort_unstable();
    notes.sort_unstable();
    (edits, manual, notes)
}

/// Every chunk's facts, a chunk parsed on its own (two threads, one for odd chunks); `None`
/// where one has a syntax error, since the cut may be what broke it.
fn chunk_facts<'t>(text: &'t str, tag: &Chunk, chunks: &[Chunk]) -> Option<Vec<Facts<'t>>> {
    let of = |c: &Chunk| {
        let tree = parse_chunks(text, tag, &[c])?;
        let root = tree.root_node();
        (!root.has_error()).then(|| facts(text, root))
    };
    let (even, odd) = std::thread::scope(|s| {
        let odd = s.spawn(|| {
            chunks
                .iter()
                .skip(1)
                .step_by(2)
                .map(of)
                .collect::<Option<Vec<_>>>()
        });
        let even = chunks.iter().step_by(2).map(of).collect::<Option<Vec<_>>>();
        (even, odd.join().ok().flatten())
    });
    let (even, odd) = (even?, odd?);
    let mut all = Vec::with_capacity(chunks.len());
    let mut odd = odd.into_iter();
    for e in even {
        all.push(e);
        all.extend(odd.next());
    }
    Some(all)
}

fn find(group: &mut [usize], mut i: usize) -> usize {
    while group[i] != i {
        group[i] = group[group[i]];
        i = group[i];
    }
    i
}

fn join(group: &mut [usize], a: usize, b: usize) {
    let (a, b) = (find(group, a), find(group, b));
    group[a.max(b)] = a.min(b);
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::{
        chunks::{split_every, WHOLE_BELOW},
        sorted, Windows,
    };
    use crate::{
        detect::php::parse, finding::Secret, fix::FixOptions, rules::RuleSet, scan::Scanner,
    };

    fn php_files(dir: &Path, into: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                php_files(&path, into);
            } else if path.extension().is_some_and(|e| e == "php" || e == "inc") {
                into.push(path);
            }
        }
    }

    /// What a file's findings get planned whole, and planned in windows of the smallest
    /// chunks: `None` for the windows where the file is not planned that way.
    fn both(scanner: &Scanner, text: &str) -> Option<(super::Outcome, Option<super::Outcome>)> {
        let findings = scanner.scan_text(Path::new("a.php"), "a.php", "a.php", text);
        if findings.is_empty() {
            return None;
        }
        let opts = FixOptions::resolve(None, None, None).unwrap();
        let mut namer = |_: &Secret| "KEAP_API_KEY".to_string();
        let no = |_: &str| false;
        let tree = parse(text);
        let whole = super::super::fix(text, tree.as_ref(), &findings, &opts, &mut namer, &no, &no);
        let (tag, chunks) = split_every(text, 1)?;
        let windows = Windows::new(text, &tag, &chunks, &findings, 0, usize::MAX)?;
        Some((whole, windows.plan(&opts, &mut namer, &no, &no)))
    }

    fn scanner() -> Scanner {
        Scanner {
            rules: RuleSet::load(&[] as &[&Path], &[]).unwrap(),
            max_file_size: u64::MAX,
            keep_detected: false,
        }
    }

    /// Every PHP fixture cut into the smallest chunks: planned in windows, it gets exactly what
    /// it gets planned whole, or is planned whole.
    #[test]
    fn windows_plan_what_the_whole_tree_plans() {
        let scanner = scanner();
        let mut files = Vec::new();
        php_files(Path::new("fixtures"), &mut files);
        let (mut windowed, mut agreed) = (0, 0);
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Some((whole, got)) = both(&scanner, &text) else {
                continue;
            };
            windowed += 1;
            if let Some(got) = got {
                assert!(sorted(&whole) == sorted(&got), "{}", path.display());
                agreed += 1;
            }
        }
        // Enough of the fixtures to mean something are cut into windows, and most of those
        // then agree on their head.
        assert!(windowed >= 10, "{windowed} fixtures cut into windows");
        assert!(agreed >= 8, "{agreed} of {windowed} planned in windows");
    }

    /// At its real sizes (a file past the size the scan cuts, 16 KiB chunks, 128 KiB windows),
    /// a generated file of calls is planned in windows, and gets what it gets whole.
    #[test]
    fn a_large_file_of_calls_is_planned_in_windows() {
        let mut text = String::from("<?php\n$key = 'c0ffee11c0ffee22c0ffee33c0ffee44';\n$client = new xmlrpc_client('https://ab123.infusionsoft.com/api/xmlrpc');\n");
        let mut n = 0;
        while text.len() < WHOLE_BELOW + (WHOLE_BELOW >> 2) {
            text += &format!("$m{n} = new xmlrpcmsg('DataService.query', array(\n    new xmlrpcval($key),\n    new xmlrpcval({n}, 'int'),\n));\n$r{n} = $client->send($m{n});\n");
            n += 1;
        }
        let findings = scanner().scan_text(Path::new("a.php"), "a.php", "a.php", &text);
        assert_eq!(findings.len(), n + 2);
        let opts = FixOptions::resolve(None, None, None).unwrap();
        let mut namer = |_: &Secret| "KEAP_API_KEY".to_string();
        let no = |_: &str| false;
        let tree = parse(&text);
        let whole = super::super::fix(&text, tree.as_ref(), &findings, &opts, &mut namer, &no, &no);
        drop(tree);
        let got = super::fix(&text, &findings, &opts, &mut namer, &no, &no);
        assert!(sorted(&whole) == sorted(&got.expect("planned in windows")));
        assert_eq!(
            whole.edits.len(),
            n + 3,
            "a placeholder a call, the key, the endpoint and its header"
        );
    }

    /// A generated run of calls through one client is planned in windows, one per call, and
    /// gets what it gets whole. Later statements that change what the head's findings get
    /// (the client's options, another client, another key) are planned whole or agree.
    #[test]
    fn a_run_of_calls_is_planned_in_windows() {
        let head = "<?php\ninclude 'xmlrpc.inc';\n$key = 'c0ffee11c0ffee22c0ffee33c0ffee44';\n$other = getenv('OTHER_KEY');\n$client = new xmlrpc_client('https://ab123.infusionsoft.com/api/xmlrpc');\n$second = new xmlrpc_client('https://cd456.infusionsoft.com/api/xmlrpc');\n";
        let calls = |through: &str, key: &str| {
            (0..6)
                .map(|n| format!("$m{n} = new xmlrpcmsg('ContactService.add', array(\n    new xmlrpcval(${key}),\n    new xmlrpcval({n}, 'int'),\n));\n$r{n} = ${through}->send($m{n});\n"))
                .collect::<String>()
        };
        let text = format!("{head}{}", calls("client", "key"));
        let (tag, chunks) = split_every(&text, 1).unwrap();
        let findings = scanner().scan_text(Path::new("a.php"), "a.php", "a.php", &text);
        let windows = Windows::new(&text, &tag, &chunks, &findings, 0, usize::MAX).unwrap();
        // A window per call, and one for the other key, which no call reads here.
        assert_eq!(windows.windows.len(), 7, "{:?}", windows.windows);
        let (whole, got) = both(&scanner(), &text).unwrap();
        assert!(sorted(&whole) == sorted(&got.expect("planned in windows")));

        let options = "$client->setCurlOptions(array(CURLOPT_TIMEOUT => 5));\n";
        let variants = [
            format!("{text}{options}"),
            format!(
                "{head}{}{options}{}",
                calls("client", "key"),
                calls("client", "key").replace("$m", "$n")
            ),
            format!("{text}{}", calls("second", "key").replace("$m", "$n")),
            format!(
                "{text}{}",
                calls("client", "other")
                    .replace("$m", "$n")
                    .replace("$r", "$s")
            ),
        ];
        for text in variants {
            let got = both(&scanner(), &text);
            if let Some((whole, Some(got))) = got {
                assert!(sorted(&whole) == sorted(&got), "{text}");
            }
        }

        let text = format!("{text}$client->return_type = 'phpvals';\n");
        let (tag, chunks) = split_every(&text, 1).unwrap();
        let windows = Windows::new(&text, &tag, &chunks, &findings, 0, usize::MAX).unwrap();
        assert!(windows.head.contains(&(chunks.len() - 1)));
    }
}
