//! Inline ignores through the CLI: what they suppress, and the unused ones in the summary.
use keap_migrate::Exit;

use crate::{json, run, write};

#[test]
fn ignores_suppress_and_unused_ones_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app/client.rb",
        "\
require 'xmlrpc/client'
# keap-migrate: ignore[legacy-endpoint] -- the staging mock server
server = XMLRPC::Client.new2('https://ab123.infusionsoft.com/api/xmlrpc')
other = XMLRPC::Client.new2('https://cd456.infusionsoft.com/api/xmlrpc') # keap-migrate: ignore[hardcoded-key]
",
    );
    write(
        dir.path(),
        "README.txt",
        "No finding here. keap-migrate: ignore\n",
    );
    write(
        dir.path(),
        "notes.sh",
        "# keap-migrate: ignore\necho nothing\n",
    );
    let root = dir.path().to_str().unwrap();
    let run = run(&["scan", root, "--format", "json"]);
    assert_eq!(run.exit, Exit::Findings);
    let doc = json(&run);
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{doc:#}");
    assert_eq!(findings[0]["line"], 4);
    assert_eq!(doc["summary"]["ignored"], 1);
    // The rule-restricted ignore on line 4 names another rule; the bare text in README.txt is
    // not in a comment; notes.sh's directive has nothing to suppress.
    let unused: Vec<String> = doc["summary"]["unused_ignores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().strip_prefix(root).unwrap().to_string())
        .collect();
    assert_eq!(unused, ["/app/client.rb:4", "/notes.sh:1"]);

    let text = crate::run(&["scan", root]);
    assert!(
        text.out.contains("unused ignore: ") && text.out.contains("notes.sh:1"),
        "{}",
        text.out
    );
}
