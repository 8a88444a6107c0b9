//! The migration written once against the neutral view: each XML-RPC client is one transaction
//! (its endpoint, its key header, the placeholder of every call through it), or it is left
//! whole for a person with the reason. What is particular to a client library (how a client is
//! made, where its header goes) is a small recipe in `libraries`.
mod libraries;

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    ops::Range,
    path::{Path, PathBuf},
    sync::LazyLock,
};

use regex::Regex;

use super::{edit::Edit, php::Outcome, Auth, FixOptions, PLACEHOLDER};
use crate::{
    detect::{
        is_key_slot_literal, key_like,
        php::SERVICE_METHOD,
        view::{
            imports_official_library, is_client, official_library, official_library_import,
            proxied_service, DATA_CONTEXT_DETAIL, ISDK_PORT_DETAIL,
        },
    },
    finding::Finding,
    lang::{self, Call, Expr, Kind, ScopeKind, Syntax, View},
    rules::{
        HARDCODED_KEY, KEY_IN_BODY, LEGACY_ENDPOINT, MISSING_AUTH, MORTGAGEPRO_ENDPOINT,
        TOKEN_IN_URL, VENDOR_LOGIN,
    },
};

pub use super::php::EnvNamer;

pub fn fix(
    syntax: Syntax,
    text: &str,
    findings: &[Finding],
    opts: &FixOptions,
    env_for: &mut EnvNamer,
    remote: &Remote,
    path: &Path,
) -> Outcome {
    let Some(view) = lang::view(syntax, text) else {
        return Outcome {
            edits: Vec::new(),
            manual: (0..findings.len())
                .map(|i| (i, "the file could not be parsed".to_string()))
                .collect(),
            notes: Vec::new(),
        };
    };
    let mut r = Recipe {
        text,
        view: &view,
        findings,
        opts,
        env_for,
        out: Outcome::default(),
        done: vec![false; findings.len()],
        remote,
        path,
        headed: Vec::new(),
        library_objects: Vec::new(),
        old_python: std::cell::OnceCell::new(),
    };
    r.run();
    r.out
}

/// Clients made in one file and called from others: an SDK's `connection` getter, whose models
/// call `@client.connection.call("X.y", @client.api_key, …)`. The client's file is migrated
/// first, with the header reading the attribute its callers send; the callers' placeholders
/// follow once that file's change stands.
#[derive(Default)]
pub struct Remote {
    /// By client file: (getter, attribute) pairs its callers elsewhere send.
    wanted: HashMap<PathBuf, Vec<(String, String)>>,
    /// Pairs whose client a recipe migrated, by file, until that file's change stands.
    offered: RefCell<Vec<(PathBuf, String, String)>>,
    migrated: RefCell<HashSet<(String, String)>>,
    /// By client file: (class, attribute) pairs of instances other files make and call through
    /// with a key of their own (`tcon = treadstone.ISServer(…)` then
    /// `tcon.connection.X.y(settings['apikey'], …)`). Once the class's client sends its key as
    /// a header, theirs can be a placeholder: a legacy key only ever worked with its own app's
    /// client, so what they sent was that key.
    classes: HashMap<PathBuf, Vec<(String, String)>>,
    classes_offered: RefCell<Vec<(PathBuf, String, String)>>,
    classes_migrated: RefCell<HashSet<(String, String)>>,
}

impl Remote {
    /// Reads the views of the files that have key-in-body or endpoint findings.
    pub fn build(files: &[(PathBuf, Syntax, &str, Vec<Range<usize>>)]) -> Remote {
        let mut demands: HashSet<(String, String)> = HashSet::new();
        let mut instances: HashSet<(String, String)> = HashSet::new();
        let mut views = Vec::new();
        for (path, syntax, text, sites) in files {
            let Some(view) = lang::view(*syntax, text) else {
                continue;
            };
            if !view
                .calls
                .iter()
                .any(|c| is_client(c) || libraries::is_request(c))
            {
                for site in sites {
                    match remote_pair(&view, text, site) {
                        Some(pair) => {
                            demands.insert(pair);
                        }
                        None => instances.extend(remote_instance(&view, site)),
                    }
                }
            }
            views.push((path, view));
        }
        let mut wanted: HashMap<PathBuf, Vec<(String, String)>> = HashMap::new();
        let mut classes: HashMap<(String, String), Vec<PathBuf>> = HashMap::new();
        for (path, view) in &views {
            for (index, call) in view.calls.iter().enumerate().filter(|(_, c)| is_client(c)) {
                let scope = &view.scopes[call.scope];
                if scope.kind != ScopeKind::Function {
                    continue;
                }
                // The getter that returns the client (Ruby), or the attribute the constructor
                // keeps it in (Python's `self.connection = ServerProxy(…)`).
                let mut getters = vec![scope.name.clone()];
                if view.syntax == Syntax::Python && scope.name == "__init__" {
                    let kept: Vec<String> = view
                        .bindings
                        .iter()
                        .filter_map(|b| match b.value.kind {
                            Kind::Call(i) if i == index => {
                                b.target.strip_prefix("self.").map(str::to_string)
                            }
                            _ => None,
                        })
                        .collect();
                    let class = scope
                        .parent
                        .map(|p| &view.scopes[p])
                        .filter(|c| c.kind == ScopeKind::Class);
                    if let Some(class) = class {
                        for attr in &kept {
                            let pair = (class.name.clone(), attr.clone());
                            if instances.contains(&pair) {
                                classes.entry(pair).or_default().push((*path).clone());
                            }
                        }
                    }
                    getters.extend(kept);
                }
                for getter in getters {
                    let attrs: Vec<&String> = demands
                        .iter()
                        .filter(|(g, _)| *g == getter)
                        .map(|(_, a)| a)
                        .collect();
                    if let [attr] = attrs[..] {
                        wanted
                            .entry((*path).clone())
                            .or_default()
                            .push((getter, attr.clone()));
                    }
                }
            }
        }
        // A class of that name in two files: which one the callers make is not known.
        let mut by_file: HashMap<PathBuf, Vec<(String, String)>> = HashMap::new();
        for (pair, mut files) in classes {
            files.sort();
            files.dedup();
            if let [file] = &files[..] {
                by_file.entry(file.clone()).or_default().push(pair);
            }
        }
        Remote {
            wanted,
            classes: by_file,
            ..Remote::default()
        }
    }

    /// Whether a file makes a client that other files call: it is planned first.
    pub fn serves(&self, path: &Path) -> bool {
        self.wanted.contains_key(path) || self.classes.contains_key(path)
    }

    /// The client a recipe migrated with its key header is kept in `target`: the instances
    /// other files make of its class may send placeholders through it once the file's change
    /// stands.
    fn offer_class(&self, path: &Path, class: &str, target: &str) {
        let Some(pairs) = self.classes.get(path) else {
            return;
        };
        let attr = target.strip_prefix("self.").unwrap_or(target);
        for (c, a) in pairs.iter().filter(|(c, a)| c == class && a == attr) {
            self.classes_offered
                .borrow_mut()
                .push((path.to_path_buf(), c.clone(), a.clone()));
        }
    }

    /// A file's change stands: its clients' callers may now send placeholders.
    pub fn commit(&self, path: &Path) {
        for (offered, migrated) in [
            (&self.offered, &self.migrated),
            (&self.classes_offered, &self.classes_migrated),
        ] {
            let mut migrated = migrated.borrow_mut();
            offered.borrow_mut().retain(|(p, a, b)| {
                if p == path {
                    migrated.insert((a.clone(), b.clone()));
                }
                p != path
            });
        }
    }
}

/// `tcon.connection.X.y(key, …)` where this file made `tcon = treadstone.ISServer(…)` before
/// the call, in its scope or the module's (or `self.api = ISServer(…)` in a method of the
/// call's class) → (`ISServer`, `connection`): the class of the instance a call goes through and
/// the attribute that holds its client.
fn remote_instance(view: &View, site: &Range<usize>) -> Option<(String, String)> {
    let call = key_call(view, site)?;
    let (object, attr) = object_and_member(call)?;
    let made = view
        .bindings
        .iter()
        .filter(|b| {
            let here = b.stmt.end <= call.span.start
                && (b.scope == call.scope || view.scopes[b.scope].kind == ScopeKind::Module);
            // `self.api = ISServer(…)` in any method of the class the call is in.
            let attribute = object.starts_with("self.")
                && view.class_of(b.scope).is_some()
                && view.class_of(b.scope) == view.class_of(call.scope);
            b.target == object && (here || attribute)
        })
        .max_by_key(|b| b.stmt.start)?;
    let Kind::Call(i) = made.value.kind else {
        return None;
    };
    let class = &view.calls[i].name;
    (!class.is_empty() && !attr.is_empty()).then(|| (class.clone(), attr))
}

/// The call whose key position holds a key-in-body site.
fn key_call<'v>(view: &'v View, site: &Range<usize>) -> Option<&'v Call> {
    view.calls
        .iter()
        .filter(|c| c.args.iter().any(|a| in_key_position(&a.value, site)))
        .min_by_key(|c| c.span.len())
}

/// `tcon.connection.ContactService.add(…)` → (`tcon`, `connection`): the object a call goes
/// through and the member of it that holds the client.
fn object_and_member(call: &Call) -> Option<(String, String)> {
    let Kind::Name(receiver) = &call.receiver.as_deref()?.kind else {
        return None;
    };
    let receiver = strip_service(receiver);
    let (object, member) = receiver.rsplit_once('.')?;
    Some((object.to_string(), member.to_string()))
}

/// `@client.connection.call("X.y", @client.api_key, …)` → (`connection`, `api_key`): the getter
/// a call goes through and the attribute of the same object it sends as the key.
fn remote_pair(view: &View, text: &str, site: &Range<usize>) -> Option<(String, String)> {
    let (object, getter) = object_and_member(key_call(view, site)?)?;
    let (key_object, attr) = text[site.clone()].rsplit_once('.')?;
    (key_object == object && !getter.is_empty() && !attr.is_empty())
        .then(|| (getter, attr.to_string()))
}

/// The header's value as the target language writes it, from the key expression.
pub(super) fn header(syntax: Syntax, auth: Auth, key: &str) -> (&'static str, String) {
    match auth {
        Auth::Header => ("X-Keap-API-Key", key.to_string()),
        Auth::Bearer => (
            "Authorization",
            match syntax {
                Syntax::Ruby => format!("\"Bearer #{{{key}}}\""),
                Syntax::Perl => format!("'Bearer ' . {key}"),
                Syntax::Java => format!("\"Bearer \" + {key}"),
                _ => format!("'Bearer ' + {key}"),
            },
        ),
    }
}

/// What only Python 2 runs: a `print` statement (`print "…"`, `print x`), `except E, e:`, the
/// `urllib` functions Python 3 moved to `urllib.parse` and `urllib.request`, `urllib2`. Such a
/// file's `ServerProxy` takes no `headers`.
static PYTHON2_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)^[ \t]*print[ \t]+[\w"']|^[ \t]*except[ \t]+[\w.]+[ \t]*,[ \t]*\w+[ \t]*:|\burllib\.(?:urlencode|quote|unquote|urlopen)\b|\burllib2\b"#,
    )
    .unwrap()
});

/// Whether a Python file is Python 2's (or imports its `xmlrpclib`, alone or beside Python 3's).
pub(super) fn python2(text: &str) -> bool {
    text.contains("xmlrpclib") || PYTHON2_ONLY.is_match(text)
}

/// What says which Python a project runs on, and a version before 3.8 there (whose
/// `ServerProxy` takes no `headers`): Heroku's `runtime.txt`, pyenv's `.python-version`, a
/// Pipfile's `python_version`, `python_requires` / `requires-python` lower bounds, classifiers.
const PYTHON_VERSION_FILES: [&str; 6] = [
    "runtime.txt",
    ".python-version",
    "Pipfile",
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
];
static OLD_PYTHON3: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)(?:python-|^|python_version\s*=\s*["']|(?:python_requires|requires-python)\s*=\s*["']\s*(?:>=|~=|==)?\s*|Python :: )3\.[0-7](?:\.\d+)?\b"#,
    )
    .unwrap()
});

/// Whether the project a Python file belongs to (the nearest folder up to the repository's
/// root holding one of `PYTHON_VERSION_FILES`) says it runs on a Python 3 before 3.8.
fn project_python_before_3_8(path: &Path) -> bool {
    for dir in path.ancestors().skip(1) {
        let found: Vec<String> = PYTHON_VERSION_FILES
            .iter()
            .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
            .collect();
        if !found.is_empty() {
            return found.iter().any(|t| OLD_PYTHON3.is_match(t));
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    false
}

/// One client and what goes through it.
struct Client<'v> {
    call: &'v Call,
    /// The names it is kept in (`server`, `self.server`, `@server`, `this.client`), and the
    /// getter that returns it (`def connection; @connection ||= …; end`).
    targets: Vec<String>,
    /// Instances of its class, where it is an attribute.
    instances: Vec<Instance>,
    /// Key-in-body findings of calls through it.
    sites: Vec<usize>,
}

/// `api = Api(app, key)` of a class that keeps its client as `self.conn`.
#[derive(Clone)]
struct Instance {
    /// `api`, and the client through it, `api.conn`.
    name: String,
    client: String,
    /// The scope the name is bound in: a call elsewhere may name something else.
    scope: usize,
    /// What the constructor was handed, as the attribute it is kept in: (`key`, `self.key`).
    given: Vec<(String, String)>,
}

impl Instance {
    /// The attribute of the instance a key sent through it is: `api.key`, or what the
    /// constructor was handed for it.
    fn member(&self, key: &str) -> Option<String> {
        if let Some(attr) = key
            .strip_prefix(self.name.as_str())
            .and_then(|k| k.strip_prefix('.'))
        {
            return Some(format!("self.{attr}"));
        }
        self.given
            .iter()
            .find(|(arg, _)| arg == key)
            .map(|(_, m)| m.clone())
    }
}

struct Recipe<'a, 'e> {
    text: &'a str,
    view: &'a View,
    findings: &'a [Finding],
    opts: &'a FixOptions,
    env_for: &'a mut EnvNamer<'e>,
    out: Outcome,
    /// Findings an edit already answers.
    done: Vec<bool>,
    remote: &'a Remote,
    path: &'a Path,
    /// (class, attribute) of the clients this file's classes keep that were given the header.
    headed: Vec<(String, String)>,
    /// Names of the official library's objects given a new client and the placeholder key.
    library_objects: Vec<String>,
    /// `old_python`, read from the project's files once.
    old_python: std::cell::OnceCell<bool>,
}

/// What an app that configures the infusionsoft gem is told. Read from the gem's code: every
/// release up to 1.4.1 (the last) makes its client from `api_url` with the path `/api/xmlrpc`
/// and sends `api_key` first in the body; with `use_oauth` it sends it in the URL instead
/// (`/crm/xmlrpc/v1?access_token=…`, what its 2025 README suggests for a Service Account
/// Key). None sends a key header, so the host alone cannot be changed here.
const GEM_SETTING: &str = "the infusionsoft gem makes its client from this host: no release of it (up to 1.4.1) sends the key as a header (with `config.use_oauth = true` it puts the key in the URL, `?access_token=`, where it gets logged). Keep the host until the gem's `Infusionsoft::Connection#connection` (vendored, or patched from this initializer) makes its client with host `api.infusionsoft.com`, path `/crm/xmlrpc` and `'X-Keap-API-Key' => api_key` in its `http_header_extra`, and sends `\"placeholder\"` first";

/// bvalosek's npm infusionsoft-api builds its client inside `node_modules`: no release of it sends
/// a key header.
const ISDK_PORT: &str = "the npm infusionsoft package (0.3.8, its last release) makes its client for the per-app URL and puts the key first in every call: no release sends the key as a header. Patch its `index.js` (vendored) to make its client with `xmlrpc.createSecureClient({ url: 'https://api.infusionsoft.com/crm/xmlrpc', headers: { 'X-Keap-API-Key': apikey } })` and to put `'placeholder'` where it puts `this.apiKey`";
const DATA_CONTEXT: &str = "the npm infusionsoft-api package makes its client for the per-app URL and prepends the key to every call: no release of it (up to 0.6.0) sends the key as a header. Patch its `DataContext` (vendored) to make its npm `xmlrpc` client for `https://api.infusionsoft.com/crm/xmlrpc` with `headers: { 'X-Keap-API-Key': key }` and to prepend `'placeholder'`";

/// The same setting in a test helper: the gem's requests its VCR cassettes replay were made
/// with it, so it changes with them, not before.
const GEM_TEST_SETTING: &str = "a test setting of the infusionsoft gem: the requests the tests' VCR cassettes replay were recorded against this host and path. Change it to `api.infusionsoft.com` once the gem's connection uses that host, the path `/crm/xmlrpc` and the key header (apply does so where the connection is in this repository), then re-record the cassettes (or have VCR match on the method and body only): until then the replayed tests do not match the requests";

impl<'a> Recipe<'a, '_> {
    fn src(&self, span: &Range<usize>) -> &'a str {
        &self.text[span.clone()]
    }

    fn manual(&mut self, i: usize, hint: impl Into<String>) {
        if !self.done[i] {
            self.done[i] = true;
            self.out.manual.push((i, hint.into()));
        }
    }

    fn run(&mut self) {
        // Its calls are in the library, not here: before the clients whose calls are here.
        self.library_subclass();
        let mut clients: Vec<Client> = self
            .view
            .calls
            .iter()
            .filter(|c| {
                is_client(c)
                    || libraries::is_request(c)
                    || (self.view.syntax.is_js() && libraries::sdk_options(c).is_some())
            })
            .map(|c| {
                let targets = self.targets_of(c);
                Client {
                    call: c,
                    instances: self.instances_of(c, &targets),
                    targets,
                    sites: Vec::new(),
                }
            })
            .collect();
        // Each call site to the client it goes through.
        let mut orphans = Vec::new();
        for (i, f) in self.findings.iter().enumerate() {
            if f.rule != KEY_IN_BODY {
                continue;
            }
            let span = f.span.clone();
            // A hand-written body goes through the request that sends it.
            let request = clients.iter().position(|c| {
                libraries::body_of(self.view, c.call)
                    .is_some_and(|body| self.flows_into(&span, body, c.call))
            });
            if let Some(c) = request {
                clients[c].sites.push(i);
                continue;
            }
            let receiver = self.receiver_of(&span);
            let at = match receiver.as_deref() {
                // `self.client` of the site's own class first: a subclass may make its own.
                Some(r) => {
                    let kept = |c: &&Client| c.targets.iter().any(|t| t == r);
                    let class = self.view.class_at(span.start);
                    // `@server = XMLRPC::Client.new2(…)` again in each action: the one made
                    // last before the call in its own method.
                    let scope = self.view.scope_at(span.start);
                    clients
                        .iter()
                        .rposition(|c| {
                            kept(&c) && c.call.scope == scope && c.call.span.end <= span.start
                        })
                        .or_else(|| {
                            clients.iter().position(|c| {
                                kept(&c) && self.view.class_at(c.call.span.start) == class
                            })
                        })
                        .or_else(|| clients.iter().position(|c| kept(&c)))
                        // `api.conn.X.y(api.key, …)`: through an instance of the client's
                        // class, in the scope that makes it, sending that instance's key.
                        .or_else(|| {
                            let key = self.src(&span);
                            clients.iter().position(|c| {
                                c.instances.iter().any(|inst| {
                                    inst.client == r
                                        && self.view.within(scope, inst.scope)
                                        && inst.member(key).is_some()
                                })
                            })
                        })
                }
                // A wrapper's list (`[key].concat(args)`) kept before the call: the file's one
                // client. Not a hand-written XML body: what sends it is not that client.
                None if clients.len() == 1 && !self.in_xml(&span) => Some(0),
                None => None,
            };
            match at {
                Some(c) => clients[c].sites.push(i),
                None => orphans.push(i),
            }
        }
        for client in &clients {
            if let Some(target) = client.targets.first() {
                // An attribute (`self.client`) is one per class.
                let class = self.view.class_at(client.call.span.start);
                let same: Vec<&Client> = clients
                    .iter()
                    .filter(|c| c.targets.first() == Some(target))
                    .filter(|c| {
                        !target.starts_with("self.")
                            || self.view.class_at(c.call.span.start) == class
                    })
                    .collect();
                // Each made in the method its calls are in: one client per method, not one
                // name shared between them.
                let per_method = same.iter().all(|c| {
                    self.view.scopes[c.call.scope].kind == ScopeKind::Function
                        && c.sites.iter().all(|&i| {
                            self.view.scope_at(self.findings[i].span.start) == c.call.scope
                        })
                });
                if same.len() > 1 && !per_method {
                    for &i in &client.sites {
                        self.manual(
                            i,
                            format!("`{target}` holds more than one client: migrate them by hand"),
                        );
                    }
                    continue;
                }
            }
            self.client(client);
        }
        self.official_library();
        self.drop_env_fallbacks();
        self.move_bound_keys();
        if self.view.syntax == Syntax::Go {
            self.go_imports();
        }
        for i in orphans {
            let span = self.findings[i].span.clone();
            let pair = remote_pair(self.view, self.text, &span);
            if pair.is_some_and(|p| self.remote.migrated.borrow().contains(&p)) {
                self.write_placeholder(i);
                continue;
            }
            // `ifs.server().ContactService.add(ifs.key, …)`: the library's own client, which its
            // object's migration replaced (and `ifs.key` is the placeholder now).
            let library = self.library_objects.iter().any(|o| {
                self.src(&span) == format!("{o}.key")
                    && self
                        .site_receiver(&span)
                        .is_some_and(|r| r.starts_with(&format!("{o}.server()")))
            });
            if library {
                self.write_placeholder(i);
                continue;
            }
            let instance = remote_instance(self.view, &span);
            let headed = |p: &(String, String)| {
                self.remote.classes_migrated.borrow().contains(p) || self.headed.contains(p)
            };
            if instance.is_some_and(|p| headed(&p)) {
                self.write_placeholder(i);
                continue;
            }
            if self.in_xml(&span) {
                self.manual(i, "this XML body is posted by something other than fetch, axios.post, npm request or requests.post: write `placeholder` here, and add the key header to the request that sends it");
                continue;
            }
            let through = self.receiver_of(&span).and_then(|r| {
                clients
                    .iter()
                    .find(|c| c.instances.iter().any(|inst| inst.client == r))
                    .map(|_| r)
            });
            match through {
                Some(r) => self.manual(i, format!("this call goes through `{r}`, as the calls of a client this file's class makes do, but that object is not made in this function, or with the key this call sends: send it the key the object was made with (then `placeholder` here), or give this call its own client")),
                None => self.manual(i, "no XML-RPC client this file makes receives this call: send the key as a header where the client is made, and a placeholder here"),
            }
        }
        for (i, f) in self.findings.iter().enumerate() {
            let hint = match f.rule.as_str() {
                LEGACY_ENDPOINT if self.request_object(&f.span) => "a request object (`url`, a POST `type` or `method`, `data`) whose XML body is made elsewhere (a template, another function): point `url` at the new endpoint, add `headers: { 'X-Keap-API-Key': key }` to it, and write `placeholder` where the body's first parameter is",
                LEGACY_ENDPOINT if self.gem_setting(&f.span) && self.test_helper() => GEM_TEST_SETTING,
                LEGACY_ENDPOINT if self.gem_setting(&f.span) => GEM_SETTING,
                LEGACY_ENDPOINT if f.message.contains(DATA_CONTEXT_DETAIL) => DATA_CONTEXT,
                LEGACY_ENDPOINT if f.message.contains(ISDK_PORT_DETAIL) => ISDK_PORT,
                HARDCODED_KEY if self.commented(&f.span) => "this key sits in a comment: delete it, and rotate it",
                _ if self.commented(&f.span) => "in a comment, which nothing runs: update it or delete it",
                LEGACY_ENDPOINT => "this endpoint reaches no client that could be migrated whole: point the client at the new endpoint and send the key as a header",
                HARDCODED_KEY => "move the key out of this file (an environment variable), and rotate it",
                KEY_IN_BODY => "send the key as a header and a placeholder as the first parameter",
                MORTGAGEPRO_ENDPOINT => "Mortgage Pro is a different service: left as it is",
                VENDOR_LOGIN => "replace the vendor-key login (getTemporaryKey) with OAuth or a Service Account Key",
                TOKEN_IN_URL => "send the token as an Authorization: Bearer header instead",
                MISSING_AUTH => "this client calls the new endpoint without a key header: add X-Keap-API-Key (or Authorization: Bearer) to it",
                _ => "no automatic rewrite for this finding",
            };
            self.manual(i, hint);
        }
    }

    /// A Python file of a project that runs on a Python 3 before 3.8, or on Python 2: its
    /// `ServerProxy` takes no `headers`, a transport sends them.
    fn old_python(&self) -> bool {
        *self.old_python.get_or_init(|| {
            self.view.syntax == Syntax::Python
                && (python2(self.text) || project_python_before_3_8(self.path))
        })
    }

    /// Whether a span sits in a comment.
    fn commented(&self, span: &Range<usize>) -> bool {
        self.view
            .comments
            .iter()
            .any(|c| c.start <= span.start && span.end <= c.end)
    }

    /// `config.api_url = 'app.infusionsoft.com'` in `Infusionsoft.configure`: the host the
    /// infusionsoft gem makes its client with.
    fn gem_setting(&self, span: &Range<usize>) -> bool {
        let line = self.text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        self.view.syntax == Syntax::Ruby
            && self.text.contains("Infusionsoft.configure")
            && self.text[line..span.start].contains("api_url")
    }

    /// A test's or spec's helper (`test/test_helper.rb`, `spec/spec_helper.rb`): its settings
    /// are what the recorded requests were made with.
    fn test_helper(&self) -> bool {
        let dir = self.path.parent().and_then(|d| d.file_name());
        matches!(
            dir.and_then(|d| d.to_str()),
            Some("test" | "tests" | "spec")
        ) || self
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with("_helper.rb"))
    }

    /// Whether an endpoint is the `url` of an object that describes a POST with a body (jQuery's
    /// `$.ajax` settings, a Zendesk app's `requests`): the object, not a client, sends it.
    fn request_object(&self, span: &Range<usize>) -> bool {
        let line = self.text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        if !self.text[line..span.start].trim_start().starts_with("url") {
            return false;
        }
        // A window of the text around the line, cut at character boundaries.
        let near = |mut from: usize, to: usize| {
            let mut to = to.min(self.text.len());
            while !self.text.is_char_boundary(from) {
                from -= 1;
            }
            while !self.text.is_char_boundary(to) {
                to += 1;
            }
            &self.text[from..to]
        };
        static POST_BODY: LazyLock<(Regex, Regex)> = LazyLock::new(|| {
            (
                Regex::new(r#"\b(?:type|method)\s*:\s*['"](?i:post)['"]"#).unwrap(),
                Regex::new(r"\b(?:data|body)\s*:").unwrap(),
            )
        });
        let around = near(line.saturating_sub(300), span.end + 300);
        POST_BODY.0.is_match(around) && POST_BODY.1.is_match(around)
    }

    /// `uri = self.base_uri % name` then `ServerProxy(uri, …)`, the class attribute being the
    /// legacy endpoint with a `%s` for the app (the PyPI `infusionsoft` library). The client
    /// now gets the new endpoint written in its place; the attribute gets it too and the `%`
    /// goes, so no legacy string is left and `uri` still computes. Only where nothing else
    /// reads the attribute but classes that set their own (an OAuth subclass).
    fn formatted_class_url(&mut self, call: &Call) -> bool {
        let view = self.view;
        let Some(arg) = call
            .positional()
            .next()
            .filter(|_| view.syntax == Syntax::Python)
        else {
            return false;
        };
        // The `%` expression: the argument itself (which the client's own edit replaces), or
        // the value of the name it is (which stays, so it loses its `%`).
        let (expr, kept_apart) = match &arg.value.kind {
            Kind::Name(url) => match view.bindings.iter().rfind(|b| {
                b.target == *url && b.scope == call.scope && b.stmt.end <= call.span.start
            }) {
                Some(set) => (set.value.span.clone(), true),
                None => return false,
            },
            _ => (arg.value.span.clone(), false),
        };
        let Some((attr_expr, _)) = self.src(&expr).split_once('%') else {
            return false;
        };
        let attr_expr = attr_expr.trim();
        let attr = attr_expr.strip_prefix("self.").unwrap_or(attr_expr);
        if attr.is_empty() || !attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return false;
        }
        let Some(class) = view.class_of(call.scope) else {
            return false;
        };
        let own = |class: Option<usize>| {
            view.bindings
                .iter()
                .find(|b| b.target == attr && Some(b.scope) == class)
        };
        let Some(kept) = own(Some(class)) else {
            return false;
        };
        if !matches!(kept.value.kind, Kind::Str(_)) {
            return false;
        }
        let Some(found) = self.findings.iter().position(|f| {
            f.rule == LEGACY_ENDPOINT
                && kept.value.span.start <= f.span.start
                && f.span.end <= kept.value.span.end
        }) else {
            return false;
        };
        let word = Regex::new(&format!(r"\b{attr}\b")).expect("an identifier");
        let read_elsewhere = word.find_iter(self.text).any(|m| {
            let at = m.start();
            let inside = |r: &Range<usize>| r.start <= at && at < r.end;
            if inside(&kept.target_span) || inside(&expr) {
                return false;
            }
            let there = self.view.class_at(at);
            there == Some(class) || own(there).is_none()
        });
        if read_elsewhere {
            return false;
        }
        let q = quote_of(self.text, &kept.value);
        let endpoint = self.opts.endpoint.clone();
        self.out.edits.push(Edit::new(
            kept.value.span.clone(),
            format!("{q}{endpoint}{q}"),
            found,
        ));
        if kept_apart {
            self.out
                .edits
                .push(Edit::new(expr, attr_expr.to_string(), found));
        }
        self.done[found] = true;
        true
    }

    /// Whether a site is the key in a hand-written `<methodCall>` body (its line holds the
    /// XML around it).
    fn in_xml(&self, span: &Range<usize>) -> bool {
        let start = self.text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let end = self.text[span.end..]
            .find('\n')
            .map_or(self.text.len(), |i| span.end + i);
        let line = &self.text[start..end];
        line.contains("<value>") || line.contains("<param>")
    }

    /// Whether the text at `span` is part of `body`, directly or through the name it was
    /// built in, in the scope of the request that sends it or one around it.
    fn flows_into(&self, span: &Range<usize>, body: &Expr, request: &Call) -> bool {
        let inside = |e: &Expr| e.span.start <= span.start && span.end <= e.span.end;
        match &body.kind {
            Kind::Name(n) => self
                .view
                .bindings
                .iter()
                // Built in the request's scope or one around it (`new Promise((resolve) =>
                // request.post({ body: xml }, …))`).
                .any(|b| {
                    b.target == *n && self.view.within(request.scope, b.scope) && inside(&b.value)
                }),
            _ => inside(body),
        }
    }

    /// `self.conn` of class `Api` is `api.conn` where the file makes `api = Api(…)`, for the
    /// targets that are attributes; with what the constructor's parameters are kept as
    /// (`self.key = key` in the client's own function).
    fn instances_of(&self, call: &Call, targets: &[String]) -> Vec<Instance> {
        let Some(class) = self.view.class_at(call.span.start) else {
            return Vec::new();
        };
        let class_name = &self.view.scopes[class].name;
        let init = &self.view.scopes[call.scope];
        let kept: Vec<(usize, String)> = self
            .view
            .bindings
            .iter()
            .filter(|b| b.scope == call.scope && b.target.starts_with("self."))
            .filter_map(|b| match &b.value.kind {
                Kind::Name(p) => {
                    let at = init
                        .params
                        .iter()
                        .filter(|q| *q != "self")
                        .position(|q| q == p)?;
                    Some((at, b.target.clone()))
                }
                _ => None,
            })
            .collect();
        let mut instances = Vec::new();
        for b in &self.view.bindings {
            let Kind::Call(i) = b.value.kind else {
                continue;
            };
            let made = &self.view.calls[i];
            if made.name != *class_name || b.target.contains('.') {
                continue;
            }
            let args: Vec<&str> = made.positional().map(|a| self.src(&a.span)).collect();
            let given: Vec<(String, String)> = kept
                .iter()
                .filter_map(|(at, member)| Some((args.get(*at)?.to_string(), member.clone())))
                .collect();
            for attr in targets.iter().filter_map(|t| t.strip_prefix("self.")) {
                instances.push(Instance {
                    name: b.target.clone(),
                    client: format!("{}.{attr}", b.target),
                    scope: b.scope,
                    given: given.clone(),
                });
            }
        }
        instances
    }

    /// The names a client is kept in: the binding of the call, and the method that returns it.
    fn targets_of(&self, call: &Call) -> Vec<String> {
        let Some(index) = self.view.calls.iter().position(|c| std::ptr::eq(c, call)) else {
            return Vec::new();
        };
        let tap = self.view.tap_of(call).map(|t| &t.span);
        let mut targets: Vec<String> = self
            .view
            .bindings
            .iter()
            .filter(|b| match b.value.kind {
                Kind::Call(i) => i == index || Some(&self.view.calls[i].span) == tap,
                _ => false,
            })
            .flat_map(|b| {
                // A Python class attribute (`server = ServerProxy(url)` in the class body) is
                // read through the instance, `self.server`: one per class, as an attribute
                // set in a method is.
                let class_attribute = self.view.syntax == Syntax::Python
                    && self.view.scopes[b.scope].kind == ScopeKind::Class;
                let through_self = class_attribute.then(|| format!("self.{}", b.target));
                through_self
                    .into_iter()
                    .chain(std::iter::once(b.target.clone()))
            })
            .collect();
        // `def client; @client ||= XMLRPC::Client.new2(url); end`: the method that ends with
        // the client stands for it (Ruby calls it without parentheses).
        let scope = &self.view.scopes[call.scope];
        let last = self.text[call.stmt.end..scope.span.end].trim() == "end";
        if self.view.syntax == Syntax::Ruby && scope.kind == ScopeKind::Function && last {
            targets.push(scope.name.clone());
        }
        // `def get_server(): return ServerProxy(url)`: a name bound to what the function returns
        // (`server = get_server()`, `self.get_server()`) holds the client.
        let returned = self.text[call.stmt.start..call.span.start].trim() == "return";
        if returned && scope.kind == ScopeKind::Function && !scope.name.is_empty() {
            let factory = |c: &Call| {
                c.name == scope.name
                    && c.receiver.as_deref().is_none_or(
                        |r| matches!(&r.kind, Kind::Name(n) if n == "self" || n == "this"),
                    )
            };
            targets.extend(
                self.view
                    .bindings
                    .iter()
                    .filter(
                        |b| matches!(b.value.kind, Kind::Call(i) if factory(&self.view.calls[i])),
                    )
                    .map(|b| b.target.clone()),
            );
            // A Python `@property` is read as an attribute: `self.server`.
            let head = self.text[..scope.span.start].trim_end();
            let decorator = head.rsplit('\n').next().unwrap_or_default().trim();
            if self.view.syntax == Syntax::Python && decorator == "@property" {
                targets.push(format!("self.{}", scope.name));
            }
        }
        targets
    }

    /// The text of what a key-in-body site's call is called on.
    fn site_receiver(&self, key: &Range<usize>) -> Option<&'a str> {
        let call = key_call(self.view, key)?;
        Some(self.src(&call.receiver.as_deref()?.span))
    }

    /// The client name a key-in-body site's call goes through.
    fn receiver_of(&self, key: &Range<usize>) -> Option<String> {
        let call = key_call(self.view, key)?;
        // getattr(self.client, service + "." + method)(self.key, …), directly or by name.
        let getattr = match &call.callee.kind {
            Kind::Call(i) => Some(&self.view.calls[*i]),
            Kind::Name(n) => self.view.call_bound(n, call),
            _ => None,
        }
        .filter(|g| g.name == "getattr");
        // Ruby's `client.proxy('ContactService').add(…)`, or a name kept for that proxy.
        let client = getattr
            .and_then(|g| g.positional().next().map(|a| &a.value))
            .or_else(|| proxied_service(self.view, call).map(|(client, _)| client));
        if let Some(client) = client {
            return match &client.kind {
                Kind::Name(n) => Some(strip_service(n)),
                _ => None,
            };
        }
        let Kind::Name(n) = &call.receiver.as_deref()?.kind else {
            return None;
        };
        let name = strip_service(n);
        // `batch = xmlrpc.client.MultiCall(server)`: `batch()` sends the calls through `server`.
        let multicall = self
            .view
            .call_bound(&name, call)
            .filter(|m| m.name == "MultiCall")
            .and_then(|m| match &m.positional().next()?.value.kind {
                Kind::Name(client) => Some(client.clone()),
                _ => None,
            });
        Some(multicall.unwrap_or(name))
    }

    /// Migrates one client whole, or leaves all of it with the reason.
    fn client(&mut self, client: &Client) {
        // A call that sends a name this file never defines (`key` where the others send
        // `$key`) fails as it did before: it is left, and the client goes on without it.
        let (undefined, defined): (Vec<usize>, Vec<usize>) =
            client.sites.iter().partition(|&&i| self.undefined_key(i));
        if !undefined.is_empty() && !defined.is_empty() {
            for i in undefined {
                let name = self.src(&self.findings[i].span);
                self.manual(i, format!("`{name}` is not defined in this file, so this call fails as it did before: send the placeholder here once it is meant to work"));
            }
            return self.client(&Client {
                call: client.call,
                targets: client.targets.clone(),
                instances: client.instances.clone(),
                sites: defined,
            });
        }
        let endpoints = self.endpoints_of(client.call);
        if client.sites.is_empty() && endpoints.is_empty() {
            return self.token_client(client.call);
        }
        let all: Vec<usize> = client
            .sites
            .iter()
            .chain(endpoints.iter())
            .copied()
            .collect();
        let leave = |r: &mut Self, why: &str| {
            for &i in &all {
                r.manual(i, why.to_string());
            }
        };
        // A URL read from settings, given to a client whose calls are Keap's with the key in
        // the body: Keap's own endpoint, which is now the same for every app.
        let settings =
            endpoints.is_empty() && !client.sites.is_empty() && self.url_from_settings(client.call);
        // An OAuth client (`…/crm/xmlrpc/v1?access_token=TOKEN`) whose calls still send a key
        // first: once the token travels as a Bearer header, that parameter is ignored.
        if endpoints.is_empty() && !settings && !client.sites.is_empty() {
            let before = self.out.edits.len();
            self.token_client(client.call);
            if self.out.edits.len() > before {
                for &i in &client.sites {
                    self.write_placeholder(i);
                }
                return;
            }
        }
        // Migrated by hand but for the body: the client sends the key header already, so
        // the first parameter needs only the placeholder.
        if endpoints.is_empty()
            && !settings
            && libraries::sends_key_header(self.view, self.text, client.call)
        {
            for &i in &client.sites {
                // Only code that runs (not a commented-out copy of a call); a name defined
                // nowhere stays, as on the first run (it raised before too).
                if !self.commented(&self.findings[i].span) && !self.undefined_key(i) {
                    self.write_placeholder(i);
                }
            }
            return;
        }
        if endpoints.is_empty() && !settings {
            return leave(self, "this client's URL is not a legacy endpoint written in this file: point it at the new endpoint and send the key as a header");
        }
        // What the client's own edits answer: its first endpoint, or its first call.
        let anchor = endpoints
            .first()
            .or(client.sites.first())
            .copied()
            .expect("checked");
        // The key: the same expression at every call. `api.key` sent through `api.conn`, an
        // instance of the client's class, is that class's `self.key`.
        let as_member = |i: usize, key: &'a str| -> std::borrow::Cow<'a, str> {
            let receiver = self.receiver_of(&self.findings[i].span);
            let mut through = client
                .instances
                .iter()
                .filter(|inst| receiver.as_deref() == Some(inst.client.as_str()));
            match through.find_map(|inst| inst.member(key)) {
                Some(member) => member.into(),
                None => key.into(),
            }
        };
        let owned: Vec<std::borrow::Cow<str>> = client
            .sites
            .iter()
            .map(|&i| {
                as_member(
                    i,
                    interpolated(self.src(&self.findings[i].span))
                        .unwrap_or_else(|| self.src(&self.findings[i].span)),
                )
            })
            .collect();
        let mut keys: Vec<&str> = owned.iter().map(|k| k.as_ref()).collect();
        keys.sort_unstable();
        keys.dedup();
        let wanted = self.remote.wanted.get(self.path).and_then(|w| {
            w.iter().find(|(getter, _)| {
                client
                    .targets
                    .iter()
                    .any(|t| t == getter || t.strip_prefix("self.") == Some(getter.as_str()))
            })
        });
        let member = wanted.map(|(_, attr)| match self.view.syntax {
            Syntax::Ruby => format!("@{attr}"),
            Syntax::Python => format!("self.{attr}"),
            _ => format!("this.{attr}"),
        });
        if let (None, Some(member), Some((getter, attr))) = (keys.first(), &member, wanted) {
            // Called from other files only: the attribute they send, set in the constructor.
            let site = Finding {
                span: client.call.span.clone(),
                secret: None,
                ..self.findings[endpoints[0]].clone()
            };
            if self
                .key_at_client(
                    member,
                    &site,
                    client.call,
                    client.targets.first().map(String::as_str),
                )
                .is_err()
            {
                return leave(self, &format!("other files call this client with `{attr}` as the key, which is not set in the constructor: add the key header by hand"));
            }
            self.remote.offered.borrow_mut().push((
                self.path.to_path_buf(),
                getter.clone(),
                attr.clone(),
            ));
            keys.push(member.as_str());
        }
        let Some(first) = keys.first() else {
            return leave(self, "no call through this client sends a key in its body here: add the key header where the client is made");
        };
        if keys.len() > 1 {
            return leave(
                self,
                "calls through this client send different keys: migrate it by hand",
            );
        }
        // The first call through the client, or the client itself when its calls are elsewhere.
        let site = match client.sites.first() {
            Some(&i) => self.findings[i].clone(),
            None => Finding {
                span: client.call.span.clone(),
                secret: None,
                ..self.findings[endpoints[0]].clone()
            },
        };
        let site = &site;
        let key = match self.key_at_client(
            first,
            site,
            client.call,
            client.targets.first().map(String::as_str),
        ) {
            Ok(k) => k,
            Err(why) => return leave(self, &why),
        };
        let edits = match libraries::migrate(
            self.view,
            self.text,
            client.call,
            &self.opts.endpoint,
            &libraries::Given {
                auth: self.opts.auth,
                key: &key.expr,
                late: key.late.as_ref(),
                kept: client.targets.first().map(String::as_str),
                settings,
                old_python: self.old_python(),
            },
        ) {
            Ok(e) => e,
            Err(why) => return leave(self, &why),
        };
        let class = self.view.scopes[client.call.scope]
            .parent
            .map(|p| &self.view.scopes[p])
            .filter(|c| c.kind == ScopeKind::Class);
        for (class, target) in class
            .iter()
            .flat_map(|c| client.targets.iter().map(move |t| (c, t)))
        {
            self.remote.offer_class(self.path, &class.name, target);
            let attr = target.strip_prefix("self.").unwrap_or(target);
            self.headed.push((class.name.clone(), attr.to_string()));
        }
        // Each edit serves the finding it rewrites; the header, the client's first endpoint.
        let tag = |range: &Range<usize>| {
            endpoints
                .iter()
                .copied()
                .find(|&i| {
                    let f = &self.findings[i].span;
                    f.start < range.end.max(range.start + 1) && range.start < f.end
                })
                .unwrap_or(anchor)
        };
        // A URL or host read from settings, overwritten by the new one: say so, since a
        // deliberate override there (a test mock, a staging host) is gone with it.
        let host = self
            .opts
            .endpoint
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_default();
        // Not a setting after all: the PyPI library's `base_uri % name` class attribute.
        let class_url = settings && self.formatted_class_url(client.call);
        let overwritten = |was: &str| {
            format!("`{was}` was read from elsewhere (a setting, a parameter): it is now the literal new endpoint, so an override there (a test mock, a staging host) no longer applies")
        };
        let notes = self.out.notes.len();
        for e in edits.iter().filter(|_| !class_url) {
            let was = self.src(&e.range).trim();
            let now = e.text.trim_matches(|c| matches!(c, '\'' | '"' | '`'));
            let quoted = was.starts_with(['\'', '"', '`', ':', '%']);
            if !was.is_empty() && !quoted && (now == self.opts.endpoint || now == host) {
                self.out.notes.push((tag(&e.range), overwritten(was)));
            }
        }
        // npm's URL argument becomes an options object: the URL it held is the argument.
        if settings && !class_url && self.out.notes.len() == notes {
            let url = client.call.positional().next().map(|a| self.src(&a.span));
            if let Some(was) = url.filter(|u| !u.contains('\n')) {
                self.out.notes.push((anchor, overwritten(was)));
            }
        }
        // A token URL the client's edits replace whole (the gem's `use_oauth ? … : …` path)
        // is answered by them.
        for (i, f) in self.findings.iter().enumerate() {
            if f.rule == TOKEN_IN_URL
                && edits
                    .iter()
                    .any(|e| e.range.start <= f.span.start && f.span.end <= e.range.end)
            {
                self.done[i] = true;
            }
        }
        let tagged: Vec<Edit> = edits
            .into_iter()
            .map(|e| Edit::new(e.range.clone(), e.text, tag(&e.range)))
            .collect();
        self.out.edits.extend(tagged);
        let tag = anchor;
        for e in key.edits {
            self.out.edits.push(Edit::new(e.0, e.1, tag));
        }
        for &i in &client.sites {
            self.write_placeholder(i);
        }
        for i in all.into_iter().chain(key.fixed) {
            self.done[i] = true;
        }
        if settings {
            self.constructor_urls(client.call);
            self.format_template_urls(client.call);
        }
    }

    /// `url_fmt = 'https://{app_name}.infusionsoft.com/api/xmlrpc'` then
    /// `api_url = url_fmt.format(app_name=app)` in the function whose client now gets the new
    /// endpoint literally (theY4Kman's infusionsoft-client): the template becomes the new
    /// endpoint too, so no legacy string is left; `.format` ignores the keywords it no longer
    /// uses. Only where every other read of the name is a `.format` call.
    fn format_template_urls(&mut self, call: &Call) {
        let (view, text) = (self.view, self.text);
        if view.syntax != Syntax::Python || view.scopes[call.scope].kind != ScopeKind::Function {
            return;
        }
        let scope = view.scopes[call.scope].span.clone();
        for i in 0..self.findings.len() {
            let f = &self.findings[i];
            if self.done[i] || f.rule != LEGACY_ENDPOINT {
                continue;
            }
            let Some(kept) = view.bindings.iter().find(|b| {
                b.scope == call.scope
                    && matches!(b.value.kind, Kind::Str(_))
                    && b.value.span.start <= f.span.start
                    && f.span.end <= b.value.span.end
            }) else {
                continue;
            };
            let name = Regex::new(&format!(r"\b{}\b", regex::escape(&kept.target)))
                .expect("an escaped name");
            let only_formatted = name
                .find_iter(&text[scope.clone()])
                .map(|m| scope.start + m.start())
                .filter(|&at| at != kept.target_span.start)
                .all(|at| text[at + kept.target.len()..].starts_with(".format("));
            if !only_formatted {
                continue;
            }
            let q = quote_of(text, &kept.value);
            let endpoint = &self.opts.endpoint;
            self.out.edits.push(Edit::new(
                kept.value.span.clone(),
                format!("{q}{endpoint}{q}"),
                i,
            ));
            self.done[i] = true;
        }
    }

    /// `Console(endpoint, key)` with `def __init__(self, endpoint, key): … ServerProxy(endpoint)`,
    /// or `connect(url)` with `function connect(url) { return createSecureClient(url) }`: the
    /// legacy URLs this file hands the constructor or function that makes a client from its
    /// parameter become the new endpoint too, once that client is migrated.
    fn constructor_urls(&mut self, call: &Call) {
        let (view, findings, text) = (self.view, self.findings, self.text);
        let scope = &view.scopes[call.scope];
        if scope.kind != ScopeKind::Function || scope.name.is_empty() {
            return;
        }
        let constructor = matches!(
            scope.name.as_str(),
            "__init__" | "initialize" | "constructor"
        );
        let class = view
            .class_of(call.scope)
            .map(|c| view.scopes[c].name.as_str());
        if constructor && class.is_none() {
            return;
        }
        let Some(Kind::Name(url)) = call.positional().next().map(|a| &a.value.kind) else {
            return;
        };
        // The parameter itself, or the attribute the constructor sets from it first.
        let param = if scope.params.contains(url) {
            url.clone()
        } else {
            let set = view.bindings.iter().find(|b| {
                b.target == *url && b.scope == call.scope && b.stmt.end <= call.span.start
            });
            match set.map(|b| &b.value.kind) {
                Some(Kind::Name(p)) if scope.params.contains(p) => p.clone(),
                _ => return,
            }
        };
        let Some(mut index) = scope.params.iter().position(|p| *p == param) else {
            return;
        };
        if view.syntax == Syntax::Python && scope.params.first().is_some_and(|p| p == "self") {
            let Some(i) = index.checked_sub(1) else {
                return;
            };
            index = i;
        }
        let own = |r: &str| matches!(r, "self" | "this") || r.is_empty();
        let makes = |c: &Call| match (constructor, view.syntax) {
            (true, Syntax::Ruby) => {
                c.name == "new"
                    && matches!(c.receiver.as_deref().map(|r| &r.kind), Some(Kind::Name(r)) if Some(r.as_str()) == class)
            }
            (true, Syntax::Python) => Some(c.name.as_str()) == class && c.receiver.is_none(),
            (true, _) => c.new && Some(c.name.as_str()) == class,
            // A function or a method of the same object, called by its name.
            (false, _) => {
                c.name == scope.name
                    && !c.new
                    && match c.receiver.as_deref().map(|r| &r.kind) {
                        None => true,
                        Some(Kind::Name(r)) => own(r),
                        Some(_) => false,
                    }
            }
        };
        let mut spans = Vec::new();
        for made in view.calls.iter().filter(|c| makes(c)) {
            let Some(arg) = made.positional().nth(index) else {
                continue;
            };
            spans.push(arg.value.span.clone());
            if let Kind::Name(n) = &arg.value.kind {
                spans.extend(
                    view.bindings
                        .iter()
                        .filter(|b| b.target == *n && b.scope == made.scope)
                        .map(|b| b.value.span.clone()),
                );
            }
        }
        let endpoint = self.opts.endpoint.clone();
        for (i, f) in findings.iter().enumerate() {
            if f.rule != LEGACY_ENDPOINT || self.done[i] {
                continue;
            }
            if !spans
                .iter()
                .any(|s| s.start <= f.span.start && f.span.end <= s.end)
            {
                continue;
            }
            let Some(string) = self
                .view
                .strings
                .iter()
                .find(|s| s.span.start <= f.span.start && f.span.end <= s.span.end)
            else {
                continue;
            };
            let q = quote_of(text, string);
            self.out.edits.push(Edit::new(
                string.span.clone(),
                format!("{q}{endpoint}{q}"),
                i,
            ));
            self.done[i] = true;
        }
    }

    /// `…/crm/xmlrpc/v1?access_token=${token}`: the token moves to `Authorization: Bearer`
    /// and out of the URL, whatever `--auth` says (an OAuth token is not an API key).
    fn token_client(&mut self, call: &Call) {
        // The URL: the first argument, npm options' `url`, or the string a name given to the
        // client was set to just before, in the same scope.
        let url = libraries::options_of(call).and_then(|u| match &u.kind {
            // npm options' `url`; Ruby's `new3` hash carries the query on its `path`.
            Kind::Map(entries) => entries
                .iter()
                .find(|e| matches!(e.key.as_deref(), Some("url" | "path")))
                .map(|e| &e.value),
            _ => Some(u),
        });
        let url = url.map(|u| match &u.kind {
            Kind::Name(n) => self
                .view
                .bindings
                .iter()
                .rfind(|b| b.target == *n && b.scope == call.scope && b.stmt.end <= call.span.start)
                // A module's `let apiURL = …` read in each handler.
                .or_else(|| {
                    self.view.bindings.iter().rfind(|b| {
                        b.target == *n
                            && b.scope != call.scope
                            && self.view.within(call.scope, b.scope)
                    })
                })
                .map_or(u, |b| &b.value),
            _ => u,
        });
        let mut spans: Vec<Range<usize>> = call.args.iter().map(|a| a.span.clone()).collect();
        spans.extend(url.map(|u| u.span.clone()));
        let findings: Vec<usize> = self
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.rule == TOKEN_IN_URL)
            .filter(|(_, f)| {
                spans
                    .iter()
                    .any(|s| s.start <= f.span.start && f.span.end <= s.end)
            })
            .map(|(i, _)| i)
            .collect();
        let Some(&first) = findings.first() else {
            return;
        };
        let token = url.and_then(|u| match &u.kind {
            Kind::Str(t) => {
                let at = t.text.find("access_token=")? + "access_token=".len();
                let rest = &t.text[at..];
                (rest == lang::HOLE)
                    .then(|| t.holes_in(at..t.text.len()).next())
                    .flatten()
            }
            _ => None,
        });
        let Some(token) = token else {
            return self.manual(first, "the token is not the URL's last part: send it as an Authorization: Bearer header by hand");
        };
        let token_end = token.end;
        let token = self.src(&token);
        let token = interpolated(token).unwrap_or(token).to_string();
        // A base read from settings (`config.apiHost + config.apiEndpoint + '?access_token=' +
        // token`) keeps it: only the query after it goes, up to the token's end (a template's
        // closing quote stays).
        let settings_base = url.and_then(|u| match &u.kind {
            Kind::Str(t) if !t.text.to_ascii_lowercase().contains("infusionsoft") => {
                let at = t.text.find("?access_token=")?;
                let base = t.holes_in(0..at).last()?;
                // Not a name kept with Keap's endpoint (`f"{self.xmlrpc_url}?access_token=…"`):
                // that one becomes the new endpoint written out.
                let first = t.holes_in(0..at).next()?;
                let name = self.src(&first);
                let name = interpolated(name).unwrap_or(name).trim();
                let keap = self.view.only_binding(name).is_some_and(|b| {
                    matches!(&b.value.kind, Kind::Str(u) if u.text.contains("infusionsoft.com"))
                });
                if keap {
                    return None;
                }
                t.text[..at]
                    .ends_with(lang::HOLE)
                    .then(|| (u.span.clone(), base.end..token_end))
            }
            _ => None,
        });
        let endpoint = self.opts.endpoint.clone();
        match libraries::migrate(
            self.view,
            self.text,
            call,
            &endpoint,
            &libraries::Given {
                auth: Auth::Bearer,
                key: &token,
                late: None,
                kept: None,
                settings: false,
                old_python: self.old_python(),
            },
        ) {
            Ok(edits) => {
                for e in edits {
                    let (range, text) = match &settings_base {
                        Some((whole, query)) if e.range == *whole => (query.clone(), String::new()),
                        _ => (e.range, e.text),
                    };
                    self.out.edits.push(Edit::new(range, text, first));
                }
                for i in findings {
                    self.done[i] = true;
                }
            }
            Err(why) => self.manual(first, why),
        }
    }

    /// A key-in-body site rewritten to the placeholder.
    fn write_placeholder(&mut self, i: usize) {
        let span = self.findings[i].span.clone();
        let text = self.placeholder(&span);
        self.out.edits.push(Edit::new(span, text, i));
        self.done[i] = true;
    }

    /// What replaces the key at `span`: a string literal, or text inside a string (`${key}`,
    /// `#{key}`, `{key}`).
    fn placeholder(&self, span: &Range<usize>) -> String {
        // Go's and Java's single quotes make a character.
        let quote = if matches!(self.view.syntax, Syntax::Ruby | Syntax::Go | Syntax::Java) {
            '"'
        } else {
            '\''
        };
        // The inside of a literal (`"5f40…"`, the key written at the call) keeps its quotes.
        let bytes = self.text.as_bytes();
        let inside = span.start > 0
            && matches!(bytes[span.start - 1], b'\'' | b'"' | b'`')
            && bytes.get(span.end) == Some(&bytes[span.start - 1]);
        match interpolated(self.src(span)) {
            Some(_) => PLACEHOLDER.to_string(),
            None if inside => PLACEHOLDER.to_string(),
            None => format!("{quote}{PLACEHOLDER}{quote}"),
        }
    }

    /// Whether a key-in-body site sends a bare name that nothing in the file defines: no
    /// binding, parameter or import, and in Ruby no method or attribute of that name.
    fn undefined_key(&self, i: usize) -> bool {
        let name = self.src(&self.findings[i].span);
        let plain = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain || self.view.bindings.iter().any(|b| b.target == name) {
            return false;
        }
        if self
            .view
            .scopes
            .iter()
            .any(|s| s.params.iter().any(|p| p == name))
        {
            return false;
        }
        let ruby_method = self.view.syntax == Syntax::Ruby
            && (self.text.contains(&format!("def {name}"))
                || self.text.contains(&format!(":{name}")));
        !ruby_method
    }

    /// Whether a client's URL is read from elsewhere (a setting, an environment variable, a
    /// parameter), not written as a string here, in a file that never names Mortgage Pro (a
    /// setting there could be its URL).
    fn url_from_settings(&self, call: &Call) -> bool {
        let Some(first) = call.positional().next().or_else(|| call.keyword("uri")) else {
            return false;
        };
        let url = match &first.value.kind {
            Kind::Map(entries) => match entries.iter().find(|e| e.key.as_deref() == Some("url")) {
                Some(e) => &e.value,
                None => return false,
            },
            _ => &first.value,
        };
        let literal = |e: &Expr| matches!(e.kind, Kind::Str(_));
        let bound_literal = url_name(self.view, url)
            .and_then(|n| self.view.only_binding(n))
            .is_some_and(|b| literal(&b.value));
        !literal(url)
            && !bound_literal
            && !matches!(url.kind, Kind::Map(_) | Kind::List(_))
            && !self.text.to_ascii_lowercase().contains("mortgageprocrm")
    }

    /// The legacy endpoint findings in a client's arguments, or in the string a name in them
    /// holds (`self.url = "https://…"; ServerProxy(self.url)`).
    fn endpoints_of(&self, call: &Call) -> Vec<usize> {
        let mut spans: Vec<Range<usize>> = call.args.iter().map(|a| a.span.clone()).collect();
        // A URL or host kept in a name, given directly or as a settings entry (`host: HOST`).
        let values = call.args.iter().flat_map(|a| match &a.value.kind {
            Kind::Map(entries) => entries.iter().map(|e| &e.value).collect(),
            _ => vec![&a.value],
        });
        for v in values {
            let kept = url_name(self.view, v).and_then(|n| {
                self.view
                    .only_binding(n)
                    .or_else(|| self.view.string_before(n, v.span.start))
            });
            if let Some(b) = kept {
                spans.push(b.value.span.clone());
            }
        }
        self.findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.rule == LEGACY_ENDPOINT)
            .filter(|(_, f)| {
                spans
                    .iter()
                    .any(|s| s.start <= f.span.start && f.span.end <= s.end)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// How the header reads the key where the client is made, and the edits that takes (a
    /// hardcoded key moved to the environment).
    fn key_at_client(
        &mut self,
        key: &str,
        site: &Finding,
        client: &Call,
        target: Option<&str>,
    ) -> Result<Key, String> {
        let syntax = self.view.syntax;
        // A literal key: read from the environment instead, everywhere. The key-in-body
        // finding of a literal written at the call carries no secret; its hardcoded-key does.
        let secret = site.secret.clone().or_else(|| {
            self.findings
                .iter()
                .find(|f| f.rule == HARDCODED_KEY && f.span == site.span)
                .and_then(|f| f.secret.clone())
        });
        if let Some(secret) = secret {
            let name = (self.env_for)(&secret);
            let fixed = self.secret_findings(site.span.clone());
            return Ok(Key {
                expr: syntax.env_read(&name),
                late: None,
                edits: self.env_import(),
                fixed,
            });
        }
        // The innermost scope around the site.
        let site_call_scope = (0..self.view.scopes.len())
            .filter(|&i| {
                let span = &self.view.scopes[i].span;
                span.start <= site.span.start && site.span.end <= span.end
            })
            .max_by_key(|&i| self.view.scopes[i].span.start)
            .unwrap_or(0);
        // `var that = this; … that.apiKey`: the object's own attribute.
        let aliased = key.split_once('.').and_then(|(root, rest)| {
            let alias = self.view.bindings.iter().find(|b| {
                b.target == root
                    && self.view.within(site_call_scope, b.scope)
                    && matches!(&b.value.kind, Kind::Name(n) if n == "this" || n == "self")
            })?;
            let Kind::Name(this) = &alias.value.kind else {
                return None;
            };
            Some(format!("{this}.{rest}"))
        });
        let key = aliased.as_deref().unwrap_or(key);
        // A Python client made in a class body (a class attribute) has no `self` there: the
        // class attribute `self.key` reads is its value, when that is a name the module reads,
        // or a literal key, which becomes the environment variable it is read from.
        let class_attribute = (syntax == Syntax::Python
            && self.view.scopes[client.scope].kind == ScopeKind::Class)
            .then(|| key.strip_prefix("self."))
            .flatten()
            .and_then(|attr| {
                self.view
                    .bindings
                    .iter()
                    .find(|b| b.target == attr && b.scope == client.scope)
            })
            .and_then(|b| match &b.value.kind {
                Kind::Name(n) if !n.starts_with("self.") => Some((b, None)),
                Kind::Str(_) => self
                    .secret_findings(b.value.span.clone())
                    .first()
                    .and_then(|&i| self.findings[i].secret.clone())
                    .map(|secret| (b, Some(secret))),
                _ => None,
            });
        if let Some((b, secret)) = class_attribute {
            let Some(secret) = secret else {
                return self.key_at_client(self.src(&b.value.span), site, client, target);
            };
            // The literal is still its own hardcoded-key finding: the class attribute reads
            // the same variable.
            let name = (self.env_for)(&secret);
            return Ok(Key {
                expr: syntax.env_read(&name),
                late: None,
                edits: self.env_import(),
                fixed: Vec::new(),
            });
        }
        if syntax == Syntax::Python
            && self.view.scopes[client.scope].kind == ScopeKind::Class
            && key.starts_with("self.")
        {
            return Err(format!("the client is a class attribute, made before any instance has `{key}`: make it in `__init__` after the key is set, with the header"));
        }
        let member =
            ["self.", "@", "this."].iter().any(|p| key.starts_with(p)) && !key.starts_with("@@");
        if member {
            // The same object: both in one class, the key set before the client in the method
            // that makes it, or set from what that method can read.
            match (
                self.view.class_of(client.scope),
                self.view.class_of(site_call_scope),
            ) {
                (Some(class), Some(site_class)) if class != site_class => {
                    return Err(format!("`{key}` belongs to another class than the client"));
                }
                (Some(_), Some(_)) => {}
                // Prototype methods (`Sdk.prototype.init = function () { this.client = … }`):
                // the same object when the client is kept on it too.
                (None, None)
                    if target.is_some_and(|t| {
                        ["self.", "@", "this."].iter().any(|p| t.starts_with(p))
                    }) => {}
                _ => {
                    return Err(format!(
                        "`{key}` is read where the client is not made: add the header by hand"
                    ))
                }
            }
            let in_method = |b: &&lang::Binding| b.target == key && b.scope == client.scope;
            if self
                .view
                .bindings
                .iter()
                .filter(in_method)
                .any(|b| b.stmt.end <= client.span.start)
            {
                return Ok(Key::plain(key));
            }
            // Set in the constructor, which runs before any other method of the object.
            let in_constructor = |b: &lang::Binding| {
                let scope = &self.view.scopes[b.scope];
                b.target == key
                    && matches!(
                        scope.name.as_str(),
                        "initialize" | "__init__" | "constructor"
                    )
                    && scope.kind == ScopeKind::Function
                    && b.scope != client.scope
                    && self.view.class_of(b.scope).is_some()
                    && self.view.class_of(b.scope) == self.view.class_of(client.scope)
            };
            if self.view.bindings.iter().any(in_constructor) {
                return Ok(Key::plain(key));
            }
            // Set after the client in the same method: the value it is set from, when that is
            // a parameter of the method.
            if let Some(b) = self
                .view
                .bindings
                .iter()
                .filter(in_method)
                .find(|b| b.stmt.start >= client.span.end)
            {
                if let Kind::Name(n) = &b.value.kind {
                    if self.view.scopes[client.scope].params.contains(n) {
                        return Ok(Key::plain(n));
                    }
                }
                // Python's transport reads the key at each request, after the method is done.
                if syntax == Syntax::Python {
                    return Ok(Key {
                        late: Some(b.stmt.clone()),
                        ..Key::plain(key)
                    });
                }
            }
            return Err(format!(
                "`{key}` is not set before the client is made: set it first, then add the header"
            ));
        }
        // Perl's `$self->{key}`, `$ENV{KEY}`: the variable the key is read from.
        let root = match syntax {
            Syntax::Perl => key.split(['-', '{', '[']).next().unwrap_or(key),
            _ => key.split(['.', '[', '(', ':']).next().unwrap_or(key),
        };
        // A name of the function that makes the client, or of the module.
        let params = &self.view.scopes[client.scope].params;
        let local_before = self.view.bindings.iter().any(|b| {
            b.target == root
                && self.view.within(client.scope, b.scope)
                && (b.scope != client.scope || b.stmt.end <= client.span.start)
        });
        let module = self
            .view
            .bindings
            .iter()
            .any(|b| b.target == root && b.scope == 0);
        let env = matches!(
            root,
            "os" | "ENV" | "process" | "settings" | "config" | "Rails" | "django"
        ) || (key.starts_with('$') && syntax != Syntax::Perl)
            || (root == "$ENV" && syntax == Syntax::Perl)
            || key.starts_with("@@");
        let constant =
            root.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && syntax == Syntax::Ruby;
        let local_at_site = site_call_scope != client.scope
            && self.view.scopes[site_call_scope].kind == ScopeKind::Function
            && (self.view.scopes[site_call_scope]
                .params
                .iter()
                .any(|p| p == root)
                || self
                    .view
                    .bindings
                    .iter()
                    .any(|b| b.target == root && b.scope == site_call_scope));
        if local_at_site {
            return Err(format!("`{key}` is local to the call: make the client where the key is known, with the header"));
        }
        // Set after the client, in the scope that makes it (Keap's own samples: the client
        // first, `key = …` after): read when a request is sent, not when the client is made.
        let bound_here = |before: bool| {
            self.view.bindings.iter().any(|b| {
                b.target == root
                    && b.scope == client.scope
                    && if before {
                        b.stmt.end <= client.span.start
                    } else {
                        b.stmt.start >= client.span.end
                    }
            })
        };
        if !params.iter().any(|p| p == root) && !bound_here(true) && bound_here(false) {
            return match syntax {
                Syntax::Python => Ok(Key {
                    late: Some(client.span.clone()),
                    ..Key::plain(key)
                }),
                Syntax::Perl => self.set_once_after(key, root, target),
                _ => Err(format!(
                    "`{key}` is set after the client is made: set it first, then run again"
                )),
            };
        }
        // Ruby: a bare name the method never assigns is a call of a method of the same object
        // (the infusionsoft gem's `api_key`, a setting its configuration module defines), read
        // at the client as well as at the call in the same method.
        // So is one the class defines (`private def api_key`), from any of its methods (a
        // service object's memoized `def client; @client ||= XMLRPC::Client.new2(…); end`).
        let class = self.view.class_of(client.scope);
        let defined_in_class = class.is_some()
            && self.view.scopes.iter().enumerate().any(|(i, s)| {
                s.kind == ScopeKind::Function && s.name == root && self.view.class_of(i) == class
            });
        let own_method = syntax == Syntax::Ruby
            && key == root
            && root.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && (site_call_scope == client.scope || defined_in_class)
            && self.view.scopes[client.scope].kind == ScopeKind::Function
            && !bound_here(true)
            && !bound_here(false);
        if params.iter().any(|p| p == root)
            || local_before
            || module
            || env
            || constant
            || own_method
        {
            return Ok(Key::plain(key));
        }
        Err(format!(
            "`{key}` cannot be read where the client is made: add the header by hand"
        ))
    }

    /// Perl's `$key = …` once, after the client, in the scope that makes it (Keap's own
    /// sample): the header can be set on the client right after that statement, so long as
    /// nothing calls through the client before it (that call would go without the header).
    fn set_once_after(&self, key: &str, root: &str, target: Option<&str>) -> Result<Key, String> {
        let sets: Vec<&lang::Binding> = self
            .view
            .bindings
            .iter()
            .filter(|b| b.target == root)
            .collect();
        let [set] = sets[..] else {
            return Err(format!("`{key}` is set more than once, after the client is made: set it once, before the client, then run again"));
        };
        let Some(client) = target else {
            return Err(format!("`{key}` is set after the client is made, and the client is kept in no name: set the key first, then run again"));
        };
        let early = self.view.calls.iter().any(|c| {
            c.span.start < set.stmt.end
                && matches!(c.receiver.as_deref().map(|r| &r.kind), Some(Kind::Name(n)) if n == client)
        });
        if early {
            return Err(format!(
                "`{client}` is called before `{key}` is set: set the key first, then run again"
            ));
        }
        Ok(Key {
            late: Some(set.stmt.clone()),
            ..Key::plain(key)
        })
    }

    /// `API_KEY = "…"`: the literal a name is bound to becomes a read of the environment.
    /// A key written as the fallback of an environment read (`os.environ.get("IS_KEY", "…")`,
    /// `ENV.fetch('IS_KEY', '…')`, `process.env.IS_KEY || '…'`): the fallback goes and the app's
    /// own variable stays. Put in another variable's read instead, it would be read first and
    /// fail wherever only the app's variable is set.
    fn drop_env_fallbacks(&mut self) {
        static FALLBACK: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r#"(?:(?:\bos\.environ\.get|\bos\.getenv|\bgetenv|\bENV\.fetch)\s*\(\s*['"](?P<var>[\w.-]+)['"](?:(?P<arg>\s*,\s*)|\s*\))|(?:\bprocess\.env|\bENV)\[\s*['"](?P<key>[\w.-]+)['"]\s*\]|\bprocess\.env\.(?P<prop>\w+))(?P<or>\s*(?:\|\||\?\?|\bor\b)\s*)?$"#,
            )
            .unwrap()
        });
        for i in 0..self.findings.len() {
            let f = &self.findings[i];
            if f.rule != HARDCODED_KEY || self.done[i] || f.span.start == 0 {
                continue;
            }
            let quote = self.text.as_bytes()[f.span.start - 1];
            if !matches!(quote, b'\'' | b'"')
                || self.text.as_bytes().get(f.span.end) != Some(&quote)
            {
                continue;
            }
            let line = self.text[..f.span.start - 1]
                .rfind('\n')
                .map_or(0, |n| n + 1);
            let Some(caps) = FALLBACK.captures(&self.text[line..f.span.start - 1]) else {
                continue;
            };
            let Some(cut) = caps.name("arg").or(caps.name("or")) else {
                continue;
            };
            let var = ["var", "key", "prop"]
                .iter()
                .find_map(|n| caps.name(n))
                .map_or("", |v| v.as_str());
            self.out
                .edits
                .push(Edit::new(line + cut.start()..f.span.end + 1, "", i));
            self.out.notes.push((i, format!("the hardcoded key this environment read fell back to is gone: set `{var}` wherever the code runs, and rotate the key")));
            self.done[i] = true;
        }
    }

    fn move_bound_keys(&mut self) {
        let mut import = false;
        // Bound to a name (`API_KEY = "…"`), a key-named entry of a call's options
        // (`Client.new(api_key: "…")`), or handed to a call as it is (`new ISDK("…")`,
        // `Infusionsoft(app, api_key="…")`).
        let handed = self
            .view
            .calls
            .iter()
            .flat_map(|c| &c.args)
            .map(|a| (&a.value, None));
        // Key-named entries of a call's options, and of settings objects however deep
        // (`module.exports = { infusionsoft: { APIKey: '…' } }`, a list of apps' settings).
        let mut entries = Vec::new();
        for value in self
            .view
            .calls
            .iter()
            .flat_map(|c| &c.args)
            .map(|a| &a.value)
            .chain(self.view.bindings.iter().map(|b| &b.value))
        {
            key_entries(value, &mut entries);
        }
        // With the statement of a binding: a Go `const` cannot hold what a function returns.
        let values: Vec<(&Expr, Option<&Range<usize>>)> = self
            .view
            .bindings
            .iter()
            .map(|b| (&b.value, Some(&b.stmt)))
            .chain(entries.into_iter().map(|e| (&e.value, None)))
            .chain(handed)
            .collect();
        for (value, stmt) in values {
            let Kind::Str(t) = &value.kind else {
                continue;
            };
            // The API key only: an OAuth client secret is not what the key variable holds. A
            // 64-hex value only where the scan took it for a key (in a call's key slot).
            if !t.is_plain() || !is_key_slot_literal(&t.text) {
                continue;
            }
            let inside = self.secret_findings(value.span.clone());
            let [i] = inside[..] else { continue };
            if self.done[i] {
                continue;
            }
            let Some(secret) = self.findings[i].secret.clone() else {
                continue;
            };
            let constant = match stmt {
                Some(stmt) if self.view.syntax == Syntax::Go => go_const(self.text, stmt),
                _ => Ok(None),
            };
            let Ok(constant) = constant else { continue };
            let name = (self.env_for)(&secret);
            self.out.edits.push(Edit::new(
                value.span.clone(),
                self.view.syntax.env_read(&name),
                i,
            ));
            if let Some(keyword) = constant {
                self.out.edits.push(Edit::new(keyword, "var", i));
            }
            self.done[i] = true;
            import = true;
        }
        if import {
            for (range, text) in self.env_import() {
                let tag = self.out.edits.last().map_or(0, |e| e.finding);
                self.out.edits.push(Edit::new(range, text, tag));
            }
        }
    }

    /// The packages Go code written by the edits uses (`os.Getenv`, `net/http` for the key's
    /// transport), added to the file's imports in one edit: two insertions at one point would
    /// overlap.
    fn go_imports(&mut self) {
        let uses = |pkg: &str| {
            self.out
                .edits
                .iter()
                .find(|e| e.text.contains(pkg))
                .map(|e| e.finding)
        };
        let mut wanted = Vec::new();
        let mut tag = None;
        for (path, pkg) in [("net/http", "http."), ("os", "os.Getenv(")] {
            if let Some(finding) = uses(pkg) {
                wanted.push(path);
                tag = tag.or(Some(finding));
            }
        }
        if let (Some(tag), Some((range, text))) = (tag, libraries::go_imports(self.text, &wanted)) {
            self.out.edits.push(Edit::new(range, text, tag));
        }
    }

    /// The hardcoded-key findings inside a span.
    fn secret_findings(&self, span: Range<usize>) -> Vec<usize> {
        self.findings
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.rule == HARDCODED_KEY && span.start <= f.span.start && f.span.end <= span.end
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Apps of Keap's official Python library (`Infusionsoft(app, key)`, `InfusionsoftOAuth(token)`
    /// from `infusionsoft.library`): the library keeps its `ServerProxy` in `client`, and every
    /// call goes through it (`getattr(self.client, "X.y")(self.key, *args)`, its `except` reads
    /// `client.error`, and sends its `key` first). Right after the object is made it gets a
    /// client on the new endpoint with the key header, and a placeholder as its `key`.
    fn official_library(&mut self) {
        let text = self.text;
        let module = if python2(text) {
            "xmlrpclib"
        } else {
            "xmlrpc.client"
        };
        let mut imported = text.lines().any(|l| l.trim() == format!("import {module}"));
        // A ServerProxy that takes no headers (Python 2's, or before 3.8): a transport sends
        // the header there.
        let via_transport = self.old_python();
        let mut transport =
            !via_transport || text.contains(&format!("class {}(", libraries::TRANSPORT));
        for i in 0..self.findings.len() {
            let f = &self.findings[i];
            if self.done[i] || !(f.rule == LEGACY_ENDPOINT || f.rule == TOKEN_IN_URL) {
                continue;
            }
            let Some(call) = self
                .view
                .calls
                .iter()
                .find(|c| c.span == f.span && official_library(self.view, text, c).is_some())
            else {
                continue;
            };
            let edits = self
                .library_client(call, module, via_transport)
                .and_then(|mut edits| {
                    let mut head = Vec::new();
                    if !imported {
                        head.push(self.after_library_import(module)?);
                    }
                    if !transport {
                        let at = libraries::top_level_start(self.view, text, call);
                        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
                        let class = libraries::transport_class(eol);
                        // Both where the statement follows the import at once: one insertion.
                        match head.first_mut() {
                            Some((range, import)) if range.start == at => import.push_str(&class),
                            _ => head.push((at..at, class)),
                        }
                    }
                    edits.extend(head);
                    Ok(edits)
                });
            match edits {
                Ok(edits) => {
                    imported = true;
                    transport = true;
                    self.done[i] = true;
                    let object = self.view.bindings.iter().find(|b| {
                        matches!(b.value.kind, Kind::Call(c) if std::ptr::eq(&self.view.calls[c], call))
                    });
                    self.library_objects
                        .extend(object.map(|b| b.target.clone()));
                    self.out
                        .edits
                        .extend(edits.into_iter().map(|(r, t)| Edit::new(r, t, i)));
                }
                Err(reason) => self.manual(i, reason),
            }
        }
    }

    /// A subclass of the official library's `Infusionsoft` that makes its own `self.client =
    /// ServerProxy(url)` in `__init__`, after `Infusionsoft.__init__(self, name, api_key)` (or
    /// `super().__init__(name, api_key)`): the library's dispatcher sends every call through it,
    /// `self.key` first. The client gets the new endpoint and the header with the key the
    /// library is given, and `self.key` a placeholder right after.
    fn library_subclass(&mut self) {
        let (view, text) = (self.view, self.text);
        if view.syntax != Syntax::Python || !imports_official_library(text) {
            return;
        }
        for call in view.calls.iter().filter(|c| c.name == "ServerProxy") {
            let scope = &view.scopes[call.scope];
            let Some(class) = view.class_of(call.scope) else {
                continue;
            };
            let header = &text[view.scopes[class].span.clone()];
            let header = header.split(':').next().unwrap_or_default();
            let subclass =
                header.contains("(Infusionsoft)") || header.contains("(library.Infusionsoft)");
            if scope.name != "__init__" || !subclass {
                continue;
            }
            let Some(kept) = view
                .bindings
                .iter()
                .find(|b| b.value.span == call.span && b.target == "self.client")
            else {
                continue;
            };
            let endpoints: Vec<usize> = (0..self.findings.len())
                .filter(|&i| {
                    let f = &self.findings[i];
                    !self.done[i]
                        && f.rule == LEGACY_ENDPOINT
                        && call.span.start <= f.span.start
                        && f.span.end <= call.span.end
                })
                .collect();
            let Some(&first) = endpoints.first() else {
                continue;
            };
            // The key the parent constructor is given, before the client is made.
            let key = view.calls.iter().find_map(|c| {
                let parent =
                    c.name == "__init__" && c.scope == call.scope && c.span.end <= call.span.start;
                let receiver = c.receiver.as_deref().map(|r| self.src(&r.span));
                let skip = match receiver {
                    Some("Infusionsoft") => 2,
                    Some(r) if r.starts_with("super(") => 1,
                    _ => return None,
                };
                parent
                    .then(|| c.positional().nth(skip))
                    .flatten()
                    .map(|a| self.src(&a.value.span))
            });
            let Some(key) = key else {
                self.manual(first, "a subclass of the official library whose parent is given no key before the client: send the key as a header on this client by hand");
                continue;
            };
            let given = libraries::Given {
                auth: self.opts.auth,
                key,
                late: None,
                kept: Some("self.client"),
                settings: false,
                old_python: self.old_python(),
            };
            let edits = libraries::migrate(view, text, call, &self.opts.endpoint, &given)
                .and_then(|edits| {
                    let line_end = text[kept.stmt.end..]
                        .find('\n')
                        .map_or(text.len(), |n| kept.stmt.end + n);
                    let at = line_end - usize::from(text[..line_end].ends_with('\r'));
                    let eol = if text[..line_end].ends_with('\r') { "\r\n" } else { "\n" };
                    let start = text[..kept.stmt.start].rfind('\n').map_or(0, |n| n + 1);
                    let indent = &text[start..kept.stmt.start];
                    if !indent.trim().is_empty() || !text[kept.stmt.end..line_end].trim().is_empty() {
                        return Err("the client is made inside a larger statement: set `self.key` to a placeholder after it by hand".to_string());
                    }
                    // What the library's dispatcher sends first is no longer the key.
                    let placeholder = format!("{eol}{indent}self.key = \"{PLACEHOLDER}\"");
                    Ok(edits
                        .into_iter()
                        .map(|c| (c.range, c.text))
                        .chain(std::iter::once((at..at, placeholder)))
                        .collect::<Vec<_>>())
                });
            match edits {
                Ok(edits) => {
                    for i in &endpoints {
                        self.done[*i] = true;
                    }
                    self.out
                        .edits
                        .extend(edits.into_iter().map(|(r, t)| Edit::new(r, t, first)));
                }
                Err(why) => {
                    for i in endpoints {
                        self.manual(i, why.clone());
                    }
                }
            }
        }
    }

    /// The lines that give the library's object its new client, after the statement that keeps
    /// it in a name.
    fn library_client(
        &mut self,
        call: &Call,
        module: &str,
        via_transport: bool,
    ) -> Result<Vec<(Range<usize>, String)>, String> {
        let text = self.text;
        let kept = self
            .view
            .bindings
            .iter()
            .find(|b| b.value.span == call.span)
            .ok_or("the library's object is kept in no name: keep it (`ifs = Infusionsoft(app, key)`), then run again")?;
        let start = text[..kept.stmt.start].rfind('\n').map_or(0, |n| n + 1);
        let indent = &text[start..kept.stmt.start];
        let line_end = text[kept.stmt.end..]
            .find('\n')
            .map_or(text.len(), |n| kept.stmt.end + n);
        let tail = text[kept.stmt.end..line_end].trim();
        if !indent.trim().is_empty() || !(tail.is_empty() || tail.starts_with('#')) {
            return Err("the library's object is made inside a larger statement: give its `client` the new endpoint and the key header by hand".into());
        }
        let oauth = call.name == "InfusionsoftOAuth";
        // A hardcoded key, which moves to the environment: the header reads it from there.
        let key_span = call
            .keyword(if oauth { "access_token" } else { "api_key" })
            .or_else(|| call.positional().nth(usize::from(!oauth)))
            .map(|a| a.value.span.clone())
            .expect("the key was read from an argument");
        let moved = self
            .findings
            .iter()
            .find(|f| {
                f.rule == HARDCODED_KEY
                    && key_span.start <= f.span.start
                    && f.span.end <= key_span.end
            })
            .and_then(|f| f.secret.clone());
        let moved = moved.map(|secret| self.view.syntax.env_read(&(self.env_for)(&secret)));
        let arg = |n: usize, name: &str| {
            call.keyword(name)
                .or_else(|| call.positional().nth(n))
                .map(|a| self.src(&a.value.span))
        };
        let (auth, key) = if oauth {
            (Auth::Bearer, arg(0, "access_token"))
        } else {
            (self.opts.auth, arg(1, "api_key"))
        };
        let key = key.ok_or("the library is given no key here")?;
        let key = moved.as_deref().unwrap_or(key);
        let datetime = arg(if oauth { 1 } else { 2 }, "use_datetime")
            .map(|d| format!(", use_datetime={d}"))
            .unwrap_or_default();
        let (name, value) = header(Syntax::Python, auth, key);
        let sends = match via_transport {
            true => format!("transport={}", libraries::transport(auth, key, &datetime)),
            false => format!("headers=[(\"{name}\", {value})]{datetime}"),
        };
        let target = &kept.target;
        let what = if oauth { "token" } else { "key" };
        let eol = if text[line_end..].starts_with("\r\n") || text[..line_end].ends_with('\r') {
            "\r\n"
        } else {
            "\n"
        };
        let at = line_end - usize::from(text[..line_end].ends_with('\r'));
        let endpoint = &self.opts.endpoint;
        Ok(vec![(
            at..at,
            format!(
                "{eol}{indent}# The library's client on Keap's shared endpoint, the {what} in a header (first, a placeholder).\
                 {eol}{indent}{target}.client = {module}.ServerProxy(\"{endpoint}\", {sends})\
                 {eol}{indent}{target}.client.error = {module}.Error\
                 {eol}{indent}{target}.key = \"{PLACEHOLDER}\""
            ),
        )])
    }

    /// `import xmlrpc.client` (Python 2: `xmlrpclib`) on the line after the library's import.
    fn after_library_import(&self, module: &str) -> Result<(Range<usize>, String), String> {
        let text = self.text;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let t = line.trim();
            offset += line.len();
            let from_package =
                t.starts_with("from infusionsoft import ") && t.contains("Infusionsoft");
            if official_library_import(line) || from_package {
                if t.ends_with('(') || t.ends_with('\\') {
                    break;
                }
                let eol = if line.ends_with("\r\n") { "\r\n" } else { "\n" };
                // Imported inside a function (maybe in several): the module imports it once,
                // for every client written.
                if line.starts_with(char::is_whitespace) {
                    // After the module's first import where it has one: `import os`, when a
                    // key moves to the environment, goes before it, and two insertions at one
                    // point would overlap.
                    let at = self.module_import_at();
                    let end = text[at..].find('\n').map_or(text.len(), |n| at + n + 1);
                    let first = text[at..end].trim();
                    let import = (first.starts_with("import ") || first.starts_with("from "))
                        && !first.ends_with('(')
                        && !first.ends_with('\\');
                    return Ok(match import {
                        true if text[..end].ends_with('\n') => {
                            (end..end, format!("import {module}{eol}"))
                        }
                        true => (end..end, format!("{eol}import {module}")),
                        false => (at..at, format!("import {module}{eol}")),
                    });
                }
                let (at, lead) = if line.ends_with('\n') {
                    (offset, "")
                } else {
                    (offset, eol)
                };
                return Ok((at..at, format!("{lead}import {module}{eol}")));
            }
        }
        Err(format!(
            "the library is imported over several lines: add `import {module}` beside it"
        ))
    }

    /// Python reads the environment through `os`: imported first when the file does not. (Go's
    /// imports are added once for all edits, by `go_imports`.)
    fn env_import(&self) -> Vec<(Range<usize>, String)> {
        if self.view.syntax != Syntax::Python {
            return Vec::new();
        }
        let imported = self.text.lines().any(|l| {
            let l = l.trim();
            l == "import os" || l.starts_with("import os,") || l.starts_with("import os ")
        });
        if imported {
            return Vec::new();
        }
        let eol = if self.text.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        let at = self.module_import_at();
        vec![(at..at, format!("import os{eol}"))]
    }

    /// Where a module-level import goes: after a shebang, comments, the module's docstring and
    /// `from __future__` imports, which must come first.
    fn module_import_at(&self) -> usize {
        let text = self.text;
        let mut offset = 0;
        while offset < text.len() {
            let end = text[offset..]
                .find('\n')
                .map_or(text.len(), |n| offset + n + 1);
            let line = &text[offset..end];
            let t = line.trim_start();
            let start = offset + line.len() - t.len();
            if t.trim().is_empty() || t.starts_with('#') || t.starts_with("from __future__") {
                offset = end;
            } else if let Some(doc) = self.view.strings.iter().find(|s| s.span.start == start) {
                offset = text[doc.span.end..]
                    .find('\n')
                    .map_or(text.len(), |n| doc.span.end + n + 1);
            } else {
                break;
            }
        }
        offset
    }
}

/// The `const` keyword of a Go constant declaration of one name (`const apiKey = "…"`), to
/// become `var`; `None` for any other statement; an error for a constant in a group
/// (`const ( … )`), which a person splits.
fn go_const(text: &str, stmt: &Range<usize>) -> Result<Option<Range<usize>>, ()> {
    let decl = &text[stmt.clone()];
    let Some(rest) = decl.strip_prefix("const") else {
        return Ok(None);
    };
    if rest.trim_start().starts_with('(') {
        return Err(());
    }
    Ok(Some(stmt.start..stmt.start + "const".len()))
}

/// The key the header reads, and the edits that make it readable.
struct Key {
    expr: String,
    /// Only set once the client exists: by this statement (Perl: the header follows it), or
    /// after the client itself (Python: its transport reads the key at each request).
    late: Option<Range<usize>>,
    edits: Vec<(Range<usize>, String)>,
    fixed: Vec<usize>,
}

impl Key {
    fn plain(expr: &str) -> Self {
        Key {
            expr: expr.to_string(),
            late: None,
            edits: Vec::new(),
            fixed: Vec::new(),
        }
    }
}

/// The name a client's URL is kept in: `url`, or the format string of `self.base_uri.format(app)`
/// (once pointed at the new endpoint, it has no placeholder and `format` changes nothing).
pub(super) fn url_name<'v>(view: &'v View, e: &'v Expr) -> Option<&'v str> {
    match &e.kind {
        Kind::Name(n) => Some(n),
        Kind::Call(i) if view.calls[*i].name == "format" => {
            match &view.calls[*i].receiver.as_deref()?.kind {
                Kind::Name(n) => Some(n),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The key-named entries of a map, and of the maps and lists inside it.
fn key_entries<'e>(value: &'e Expr, out: &mut Vec<&'e lang::Entry>) {
    match &value.kind {
        Kind::Map(entries) => {
            for e in entries {
                if e.key.as_deref().is_some_and(key_like) {
                    out.push(e);
                } else {
                    key_entries(&e.value, out);
                }
            }
        }
        Kind::List(items) => items.iter().for_each(|i| key_entries(i, out)),
        _ => {}
    }
}

/// Whether `key` is an argument itself, or first in the list an argument is (`[key, …]`,
/// `[key].concat(args)`), rather than somewhere inside it (a callback's body).
fn in_key_position(arg: &Expr, key: &Range<usize>) -> bool {
    match &arg.kind {
        _ if arg.span == *key => true,
        // Ruby's `multicall(['X.y', key, …], …)`: the key follows the boxed call's method.
        Kind::List(items) => match items.first().map(|i| &i.kind) {
            Some(Kind::Str(t)) if t.is_plain() && SERVICE_METHOD.is_match(&t.text) => {
                items.get(1).is_some_and(|i| i.span == *key)
            }
            _ => items.first().is_some_and(|i| i.span == *key),
        },
        Kind::Join(parts) => parts.first().is_some_and(|p| in_key_position(p, key)),
        Kind::Splat(inner) => in_key_position(inner, key),
        _ => false,
    }
}

/// The expression an interpolation holds: `${key}`, `#{key}`, `{key}` → `key`.
fn interpolated(src: &str) -> Option<&str> {
    let inner = src
        .strip_prefix("${")
        .or_else(|| src.strip_prefix("#{"))
        .or_else(|| src.strip_prefix('{'))?
        .strip_suffix('}')?;
    Some(inner.trim())
}

/// `self.server.ContactService` → `self.server`: the client an attribute-style call goes through.
fn strip_service(receiver: &str) -> String {
    match receiver.rsplit_once('.') {
        Some((client, service)) if service.ends_with("Service") => client.to_string(),
        _ => receiver.to_string(),
    }
}

/// A template's quote, to write a new literal the way the file writes its own.
pub(super) fn quote_of(text: &str, e: &Expr) -> char {
    match text[e.span.clone()]
        .chars()
        .find(|c| matches!(c, '\'' | '"' | '`'))
    {
        Some('`') | None => '\'',
        Some(q) => q,
    }
}
