//! Migrating by the SDK upgrade that fixes it: infusionsoft/php-sdk's constraint in composer.json
//! (the lockfile is refreshed by `composer update`) and the code 1.6 needs, for the whole tree at
//! once. 1.6's constructor throws without `clientId` and `clientSecret` or an `apikey`, so the
//! constraint only moves when every client of the tree will have one, and code only switches to
//! `apikey` when the tree will be on 1.6: the bump and the clients land together or not at all.
use std::{
    cell::RefCell,
    collections::HashMap,
    fs,
    ops::Range,
    path::{Path, PathBuf},
};

use regex::Regex;
use tree_sitter::Node;

use super::{edit::Edit, php::getenv};
use crate::{
    detect::{
        manifest::{self, Kind, TokenSite, Verdict, PHP_SDK},
        php::{arguments, callee, parse, plain_literal},
    },
    finding::{Finding, Secret},
    rules::{HARDCODED_KEY, LEGACY_ENDPOINT, LEGACY_SDK, TOKEN_IN_URL},
};

/// What happens to one manifest finding.
pub enum ManifestFix {
    /// The constraint edit, and what a person still runs.
    Bump(Edit, String),
    Manual(String),
}

/// The SDK migrations of one plan: one analysis per composer.json, asked by manifests and code.
#[derive(Default)]
pub struct Sdks {
    trees: RefCell<HashMap<PathBuf, Result<(), String>>>,
}

impl Sdks {
    /// Whether the tree of this composer.json can move to 1.6: every client of infusionsoft/php-sdk
    /// under it has OAuth settings, an `apikey`, or a key the rewrite gives it.
    fn tree_ready(&self, composer: &Path) -> Result<(), String> {
        if let Some(r) = self.trees.borrow().get(composer) {
            return r.clone();
        }
        let root = composer.parent().unwrap_or(Path::new("."));
        let mut breaking = Vec::new();
        for file in php_files(root) {
            let Ok(text) = fs::read_to_string(&file) else {
                continue;
            };
            if !text.contains("Infusionsoft") {
                continue;
            }
            let Some(tree) = parse(&text) else {
                continue;
            };
            let sites = manifest::token_sites(&text, tree.root_node());
            for ctor in constructors(&text, tree.root_node()) {
                let rewritten = sites.iter().any(|s| {
                    client_of(&text, tree.root_node(), s).is_some_and(|c| c.id() == ctor.node.id())
                        && rewrite(&text, tree.root_node(), s, "getenv('X')").is_ok()
                });
                if ctor.config == Config::Neither && !rewritten {
                    let line = text[..ctor.node.start_byte()].matches('\n').count() + 1;
                    let rel = file.strip_prefix(root).unwrap_or(&file);
                    breaking.push(format!("{}:{line}", rel.display()));
                }
            }
        }
        let result = if breaking.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "not migrated: infusionsoft/php-sdk 1.6 throws for a client made without 'clientId' and 'clientSecret' or an 'apikey' ({}): give it one, then run keap-migrate again",
                breaking.join(", ")
            ))
        };
        self.trees
            .borrow_mut()
            .insert(composer.to_path_buf(), result.clone());
        result
    }

    /// The fix of a `legacy-sdk` finding in a manifest or lockfile.
    pub fn manifest(&self, path: &Path, text: &str, finding: &Finding) -> ManifestFix {
        let Some(kind) = Kind::of(path) else {
            return ManifestFix::Manual(NO_RECIPE.into());
        };
        let deps = manifest::dependencies(kind, text);
        let Some(dep) = deps.iter().find(|d| d.span == finding.span) else {
            return ManifestFix::Manual(NO_RECIPE.into());
        };
        let sdk = dep.sdk;
        if kind != Kind::ComposerJson || sdk.name != PHP_SDK {
            let hint = match (&sdk.fixed, &sdk.branch_note) {
                _ if kind == Kind::ComposerLock || kind == Kind::GemfileLock => {
                    "a lockfile with no manifest beside it: change the SDK in the manifest it was made from".to_string()
                }
                (None, Some(note)) => format!("no release migrates it: patch the calls, or move to the branch ({note}){}", call_sites(path, sdk)),
                _ => format!("no release migrates it: patch the calls{}", call_sites(path, sdk)),
            };
            return ManifestFix::Manual(hint);
        }
        let refresh = sdk.refresh.as_deref().unwrap_or("composer update");
        let target = sdk.constraint.as_deref().unwrap_or("^1.6");
        let Some((constraint, range)) = &dep.constraint else {
            return ManifestFix::Manual(NO_RECIPE.into());
        };
        if manifest::constraint_is_fixed(sdk, constraint) {
            return ManifestFix::Manual(format!(
                "run `{refresh}`: the lockfile still holds a release before {}",
                sdk.fixed.as_deref().unwrap_or(target)
            ));
        }
        match self.tree_ready(path) {
            Ok(()) => ManifestFix::Bump(
                Edit::new(range.clone(), target, 0),
                format!(
                    "then run `{refresh}` to refresh composer.lock (1.6 needs PHP 8.1 or later)"
                ),
            ),
            Err(why) => ManifestFix::Manual(why),
        }
    }

    /// The SDK's part of a PHP file's migration: the clients that get a key as an OAuth token
    /// move to `apikey`. Returns the edits, the findings they (or the hints) take over, and the
    /// hints.
    pub fn php(
        &self,
        path: &Path,
        text: &str,
        found: &[Finding],
        env_for: &mut dyn FnMut(&Secret) -> String,
    ) -> PhpOutcome {
        let mut out = PhpOutcome::default();
        let sdk_findings: Vec<usize> = (0..found.len())
            .filter(|&i| found[i].rule == LEGACY_SDK)
            .collect();
        if sdk_findings.is_empty() {
            return out;
        }
        let Some(tree) = parse(text) else {
            return out;
        };
        let root = tree.root_node();
        let sites = manifest::token_sites(text, root);
        for i in sdk_findings {
            out.claimed.push(i);
            let Some(site) = sites.iter().find(|s| s.call == found[i].span) else {
                // The header of an iSDK copy, a vendored SDK class.
                let hint = if found[i].message.contains("iSDK") {
                    "the iSDK has no release that migrates: the rewrite of its client in this file is the migration"
                } else {
                    "replace this copy with infusionsoft/php-sdk 1.6 or later"
                };
                out.manual.push((i, hint.to_string()));
                continue;
            };
            // The literal key and the legacy URL of this client go with it.
            let inside = |f: &Finding, range: &Range<usize>| {
                f.span.start >= range.start && f.span.end <= range.end
            };
            let mut mine = vec![i];
            mine.extend(
                (0..found.len())
                    .filter(|&j| found[j].rule == HARDCODED_KEY && inside(&found[j], &site.call)),
            );
            let ready = match composer_above(path) {
                Some(composer) => match on_fixed_release(&composer) {
                    true => Ok(()),
                    false => self.tree_ready(&composer),
                },
                None => Err("not migrated: no composer.json above this file requires infusionsoft/php-sdk; move to 1.6 or later, then pass the key as 'apikey'".to_string()),
            };
            let key = if site.literal {
                getenv(&env_for(&Secret::new(
                    &text[site.value.start + 1..site.value.end - 1],
                )))
            } else {
                text[site.value.clone()].to_string()
            };
            match ready.and_then(|()| rewrite(text, root, site, &key)) {
                Ok(rewrite) => {
                    for (j, f) in found.iter().enumerate() {
                        let legacy_url = matches!(f.rule.as_str(), LEGACY_ENDPOINT | TOKEN_IN_URL);
                        if legacy_url && rewrite.removed.iter().any(|r| inside(f, r)) {
                            mine.push(j);
                        }
                    }
                    out.edits.extend(rewrite.edits.into_iter().map(|mut e| {
                        e.finding = i;
                        e
                    }));
                }
                Err(why) => out.manual.extend(mine.iter().map(|&j| (j, why.clone()))),
            }
            out.claimed.extend(mine);
        }
        out.claimed.sort_unstable();
        out.claimed.dedup();
        out
    }
}

const NO_RECIPE: &str = "no automatic rewrite for this rule";

#[derive(Default)]
pub struct PhpOutcome {
    pub edits: Vec<Edit>,
    /// The findings this module answers for (fixed or with a hint), by index.
    pub claimed: Vec<usize>,
    pub manual: Vec<(usize, String)>,
}

/// The nearest composer.json at or above the file's directory that requires the PHP SDK.
fn composer_above(file: &Path) -> Option<PathBuf> {
    let mut dir = file.parent();
    while let Some(d) = dir {
        let candidate = d.join("composer.json");
        if let Ok(text) = fs::read_to_string(&candidate) {
            let requires = manifest::dependencies(Kind::ComposerJson, &text)
                .iter()
                .any(|dep| dep.sdk.name == PHP_SDK);
            if requires {
                return Some(candidate);
            }
        }
        dir = d.parent().filter(|p| !p.as_os_str().is_empty());
    }
    None
}

/// Whether the tree is on a release that takes `apikey`: its constraint and lockfile agree.
fn on_fixed_release(composer: &Path) -> bool {
    let Ok(text) = fs::read_to_string(composer) else {
        return false;
    };
    let locks = manifest::locked_beside(composer, Kind::ComposerJson);
    manifest::dependencies(Kind::ComposerJson, &text)
        .iter()
        .filter(|d| d.sdk.name == PHP_SDK)
        .all(|d| {
            let locked = locks.iter().find(|l| std::ptr::eq(l.sdk, d.sdk));
            manifest::verdict(d, locked) == Verdict::Migrated
                && d.constraint
                    .as_ref()
                    .is_some_and(|c| manifest::constraint_is_fixed(d.sdk, &c.0))
        })
}

/// The PHP files of a tree, as the walk sees them (ignore files honoured), but not `vendor/`.
fn php_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .hidden(false)
        .filter_entry(|e| e.file_name() != "vendor" && e.file_name() != ".git")
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .filter(|p| crate::detect::Lang::of(p) == crate::detect::Lang::Php)
        .collect();
    files.sort();
    files
}

/// Where code of a tree uses an SDK that no release migrates: the places to patch.
fn call_sites(manifest_path: &Path, sdk: &manifest::Sdk) -> String {
    let Some(usage) = sdk.usage.as_deref().and_then(|u| Regex::new(u).ok()) else {
        return String::new();
    };
    let exts: &[&str] = match sdk.ecosystem {
        manifest::Ecosystem::Rubygems => &["rb", "rake"],
        manifest::Ecosystem::Npm => &["js", "mjs", "cjs", "ts"],
        manifest::Ecosystem::Pypi => &["py"],
        manifest::Ecosystem::Composer => &["php"],
    };
    let root = manifest_path.parent().unwrap_or(Path::new("."));
    let mut sites = Vec::new();
    let walk = ignore::WalkBuilder::new(root)
        .filter_entry(|e| {
            !matches!(
                e.file_name().to_str(),
                Some("node_modules" | "vendor" | ".git")
            )
        })
        .build();
    for entry in walk.filter_map(Result::ok) {
        let path = entry.path();
        if !path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e))
        {
            continue;
        }
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        for m in usage.find_iter(&text) {
            let line = text[..m.start()].matches('\n').count() + 1;
            let rel = path.strip_prefix(root).unwrap_or(path);
            sites.push(format!("{}:{line}", rel.display()));
        }
    }
    sites.sort();
    const SHOWN: usize = 10;
    match sites.len() {
        0 => String::new(),
        n if n > SHOWN => format!(
            " (it is used at {}, and {} more)",
            sites[..SHOWN].join(", "),
            n - SHOWN
        ),
        _ => format!(" (it is used at {})", sites.join(", ")),
    }
}

/// What a client's configuration gives 1.6's constructor.
#[derive(Debug, PartialEq, Eq)]
enum Config {
    /// `clientId` and `clientSecret`, or an `apikey`.
    Enough,
    /// Neither: 1.6 throws.
    Neither,
    /// Not a literal: cannot tell.
    Unknown,
}

struct Constructor<'t> {
    node: Node<'t>,
    config: Config,
}

/// `new \Infusionsoft\Infusionsoft(...)`, and `new Infusionsoft(...)` where the name means it.
fn constructors<'t>(text: &str, root: Node<'t>) -> Vec<Constructor<'t>> {
    let imported =
        text.contains("use Infusionsoft\\Infusionsoft") || text.contains("namespace Infusionsoft");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
        if node.kind() != "object_creation_expression" || callee(text, node) != "infusionsoft" {
            continue;
        }
        let mut cursor = node.walk();
        let written = node
            .named_children(&mut cursor)
            .find(|c| matches!(c.kind(), "name" | "qualified_name"))
            .map_or("", |n| &text[n.byte_range()]);
        if !(written
            .trim_start_matches('\\')
            .eq_ignore_ascii_case("Infusionsoft\\Infusionsoft")
            || (imported && written == "Infusionsoft"))
        {
            continue;
        }
        out.push(Constructor {
            node,
            config: config_of(text, node),
        });
    }
    out
}

fn config_of(text: &str, ctor: Node) -> Config {
    let args = arguments(ctor);
    let Some(config) = args.first() else {
        return Config::Neither;
    };
    if config.kind() != "array_creation_expression" {
        return Config::Unknown;
    }
    let keys: Vec<String> = elements(text, *config)
        .into_iter()
        .filter_map(|e| e.key)
        .collect();
    let has = |k: &str| keys.iter().any(|x| x == k);
    if (has("clientId") && has("clientSecret")) || has("apikey") {
        Config::Enough
    } else {
        Config::Neither
    }
}

struct Element {
    key: Option<String>,
    range: Range<usize>,
}

fn elements(text: &str, array: Node) -> Vec<Element> {
    let mut cursor = array.walk();
    array
        .named_children(&mut cursor)
        .filter(|c| c.kind() == "array_element_initializer")
        .map(|el| {
            let mut c = el.walk();
            let parts: Vec<Node> = el.named_children(&mut c).collect();
            let key = (parts.len() == 2)
                .then(|| plain_literal(text, parts[0]).map(str::to_string))
                .flatten();
            Element {
                key,
                range: el.byte_range(),
            }
        })
        .collect()
}

/// The constructor that made the client a token site configures: the last assignment of
/// `new Infusionsoft(...)` to the same receiver before it, in the same function.
fn client_of<'t>(text: &str, root: Node<'t>, site: &TokenSite) -> Option<Node<'t>> {
    let scope_of = |n: Node<'t>| {
        let mut s = n;
        while let Some(p) = s.parent() {
            s = p;
            if matches!(
                s.kind(),
                "function_definition" | "method_declaration" | "anonymous_function"
            ) {
                break;
            }
        }
        s.id()
    };
    let site_node = root.descendant_for_byte_range(site.call.start, site.call.end)?;
    let site_scope = scope_of(site_node);
    constructors(text, root)
        .into_iter()
        .map(|c| c.node)
        .filter(|c| c.end_byte() <= site.call.start && scope_of(*c) == site_scope)
        .filter(|c| {
            c.parent().is_some_and(|p| {
                p.kind() == "assignment_expression"
                    && p.child_by_field_name("left").map(|l| &text[l.byte_range()])
                        == Some(site.receiver.as_str())
            })
        })
        .max_by_key(|c| c.start_byte())
}

struct Rewrite {
    edits: Vec<Edit>,
    /// The statements deleted, whose findings go with them.
    removed: Vec<Range<usize>>,
}

/// One client's move to `apikey`: the constructor gets the key (and loses `clientId` and
/// `clientSecret`, which 1.6 would prefer), the `setToken` goes, and so does a `setUrl` to a
/// legacy endpoint or with a token in it (1.6's default is the new endpoint). All or nothing.
fn rewrite(text: &str, root: Node, site: &TokenSite, key: &str) -> Result<Rewrite, String> {
    let ctor = client_of(text, root, site).ok_or_else(|| {
        format!("not migrated: the client {} is not made with new Infusionsoft(...) in the same function; construct it with 'apikey' => the key", site.receiver)
    })?;
    if !site.literal && !hoistable(text, root, key, ctor.end_byte(), site.call.start) {
        return Err(format!(
            "not migrated: the key ({key}) is set between the constructor and setToken(); pass it as 'apikey' to the constructor"
        ));
    }
    let bracket = text[site.call.clone()].contains('[');
    let entry = format!("'apikey' => {key}");
    let mut edits = Vec::new();
    match arguments(ctor).first() {
        None => {
            let array = if bracket {
                format!("[{entry}]")
            } else {
                format!("array({entry})")
            };
            match ctor.child_by_field_name("arguments").or_else(|| {
                let mut c = ctor.walk();
                let args = ctor
                    .named_children(&mut c)
                    .find(|n| n.kind() == "arguments");
                args
            }) {
                Some(args) => edits.push(Edit::new(
                    args.start_byte() + 1..args.end_byte() - 1,
                    array,
                    0,
                )),
                None => edits.push(Edit::insert(ctor.end_byte(), format!("({array})"), 0)),
            }
        }
        Some(config) if config.kind() == "array_creation_expression" => {
            let els = elements(text, *config);
            let oauth: Vec<usize> = (0..els.len())
                .filter(|&i| matches!(els[i].key.as_deref(), Some("clientId" | "clientSecret")))
                .collect();
            match oauth.first() {
                None => {
                    let at = els.first().map_or(config.end_byte() - 1, |e| e.range.start);
                    let sep = if els.is_empty() { "" } else { ", " };
                    edits.push(Edit::insert(at, format!("{entry}{sep}"), 0));
                }
                Some(&first) => {
                    edits.push(Edit::new(els[first].range.clone(), entry, 0));
                    for &i in &oauth[1..] {
                        edits.push(Edit::new(element_with_separator(&els, i), "", 0));
                    }
                }
            }
        }
        Some(_) => {
            return Err("not migrated: the client's settings are not an array literal; add 'apikey' => the key to them and drop clientId and clientSecret".into());
        }
    }
    let mut removed = vec![whole_lines(text, statement_of(root, &site.call))];
    for call in set_urls(text, root, &site.receiver) {
        removed.push(whole_lines(text, call));
    }
    for r in &removed {
        edits.push(Edit::new(r.clone(), "", 0));
    }
    Ok(Rewrite { edits, removed })
}

/// Whether the key expression reads the same at the constructor as at `setToken`: none of its
/// variables is assigned in between.
fn hoistable(text: &str, root: Node, key: &str, from: usize, to: usize) -> bool {
    let vars: Vec<&str> = key
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| w.starts_with('$') && *w != "$this")
        .collect();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.end_byte() < from || n.start_byte() > to {
            continue;
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
        if n.kind() == "assignment_expression" && n.start_byte() >= from && n.end_byte() <= to {
            let left = n
                .child_by_field_name("left")
                .map_or("", |l| &text[l.byte_range()]);
            if vars.contains(&left) {
                return false;
            }
        }
    }
    true
}

/// `$client->setUrl(...)` statements whose URL is a legacy endpoint or carries a token.
fn set_urls(text: &str, root: Node, receiver: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
        let is_set_url = n.kind() == "member_call_expression"
            && n.child_by_field_name("name").map(|m| &text[m.byte_range()]) == Some("setUrl")
            && n.child_by_field_name("object")
                .map(|o| &text[o.byte_range()])
                == Some(receiver);
        if !is_set_url {
            continue;
        }
        let arg = arguments(n).first().map_or("", |a| &text[a.byte_range()]);
        if arg.contains("/api/xmlrpc") || arg.contains("access_token") {
            out.push(statement_of(root, &n.byte_range()));
        }
    }
    out
}

/// The expression statement holding a call.
fn statement_of(root: Node, call: &Range<usize>) -> Range<usize> {
    let mut n = root.descendant_for_byte_range(call.start, call.end);
    while let Some(node) = n {
        if node.kind() == "expression_statement" {
            return node.byte_range();
        }
        n = node.parent();
    }
    call.clone()
}

/// A statement with its indentation and line ending when it has its lines to itself.
fn whole_lines(text: &str, range: Range<usize>) -> Range<usize> {
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let after = &text[range.end..];
    let line_end = after.find('\n').map_or(text.len(), |i| range.end + i + 1);
    let alone = text[line_start..range.start].trim().is_empty()
        && text[range.end..line_end].trim().is_empty();
    if alone {
        line_start..line_end
    } else {
        range
    }
}

/// An array element with the separator that joins it to the next one (or, last, the previous).
fn element_with_separator(els: &[Element], i: usize) -> Range<usize> {
    match (els.get(i + 1), i.checked_sub(1).map(|p| &els[p])) {
        (Some(next), _) => els[i].range.start..next.range.start,
        (None, Some(prev)) => prev.range.end..els[i].range.end,
        (None, None) => els[i].range.clone(),
    }
}
