//! `keap-migrate.toml`: the project's settings, found at the scanned root or above it. Flags win
//! over it (cli merges the two); an unknown key is an error that names the key.
use std::{
    fs,
    path::{Path, PathBuf},
};

use serde::Deserialize;

use crate::{
    cli::FailOn,
    error::{Error, Result},
    finding::redact,
    fix::{Auth, FixOptions},
};

pub const FILE_NAME: &str = "keap-migrate.toml";

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    pub fail_on: Option<FailOn>,
    /// Globs (gitignore syntax, relative to the scanned root) of paths to leave out.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Extra rule directories; relative ones are resolved against the config file's directory.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub migrate: Migrate,
}

/// The migration defaults, for the commands that rewrite code.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Migrate {
    /// The XML-RPC endpoint calls move to.
    pub endpoint: Option<String>,
    pub auth: Option<Auth>,
    /// The environment variable the rewritten code reads the key from.
    pub key_env: Option<String>,
}

impl Config {
    /// Reads and checks one config file; relative rule directories become relative to it.
    pub fn load(path: &Path) -> Result<Config> {
        let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        // toml's message quotes the offending line: a key pasted into the file is in it.
        let config = |message: String| Error::Config {
            path: path.to_path_buf(),
            message: redact(&message),
        };
        let mut parsed: Config = toml::from_str(&text).map_err(|e| config(e.to_string()))?;
        parsed.migrate.check().map_err(config)?;
        let dir = path.parent().unwrap_or(Path::new(""));
        for rules in &mut parsed.rules {
            *rules = dir.join(&*rules);
        }
        Ok(parsed)
    }

    /// The first `keap-migrate.toml` in `start` or a directory above it. The search stops at the
    /// repository's top (a directory holding `.git`): a file above it belongs to someone else.
    pub fn discover(start: &Path) -> Result<Option<PathBuf>> {
        let start = fs::canonicalize(start).map_err(|e| Error::io(start, e))?;
        let dir = if start.is_dir() {
            start.as_path()
        } else {
            start.parent().unwrap_or(&start)
        };
        for dir in dir.ancestors() {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Ok(Some(candidate));
            }
            if dir.join(".git").exists() {
                break;
            }
        }
        Ok(None)
    }
}

impl Migrate {
    fn check(&self) -> Result<(), String> {
        FixOptions::resolve(self.endpoint.clone(), self.auth, self.key_env.clone())
            .map(|_| ())
            .map_err(|e| format!("migrate.{e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, text).unwrap();
        Config::load(&path).map(|mut c| {
            // Make rule paths comparable across temp dirs.
            for r in &mut c.rules {
                *r = r.strip_prefix(dir.path()).unwrap().to_path_buf();
            }
            c
        })
    }

    #[test]
    fn reads_every_key() {
        let config = load(
            r#"
fail-on = "warning"
exclude = ["vendor/**"]
rules = ["ci/keap-rules"]
disable = ["mortgagepro-endpoint"]
[migrate]
endpoint = "https://api.infusionsoft.com/crm/xmlrpc/v1"
auth = "bearer"
key-env = "KEAP_SAK"
"#,
        )
        .unwrap();
        assert_eq!(
            config,
            Config {
                fail_on: Some(FailOn::Warning),
                exclude: vec!["vendor/**".into()],
                rules: vec![PathBuf::from("ci/keap-rules")],
                disable: vec!["mortgagepro-endpoint".into()],
                migrate: Migrate {
                    endpoint: Some("https://api.infusionsoft.com/crm/xmlrpc/v1".into()),
                    auth: Some(Auth::Bearer),
                    key_env: Some("KEAP_SAK".into()),
                },
            }
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = load("fail-on = \"error\"\nexclude-paths = []\n").unwrap_err();
        assert!(e.to_string().contains("exclude-paths"), "{e}");
        let e = load("[migrate]\nheader = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("header"), "{e}");
    }

    #[test]
    fn bad_values_are_refused() {
        for (text, word) in [
            ("fail-on = \"fatal\"", "fatal"),
            ("[migrate]\nauth = \"query\"", "query"),
            (
                "[migrate]\nendpoint = \"http://api.infusionsoft.com/crm/xmlrpc\"",
                "https",
            ),
            (
                "[migrate]\nendpoint = \"https://ab123.infusionsoft.com/api/xmlrpc\"",
                "legacy",
            ),
            ("[migrate]\nkey-env = \"KEAP-KEY\"", "KEAP-KEY"),
        ] {
            let e = load(text).unwrap_err().to_string();
            assert!(e.contains(word), "{text}: {e}");
        }
    }

    #[test]
    fn a_key_on_the_quoted_line_is_redacted() {
        let key = "KeapAK-deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef00";
        let e = load(&format!("fail-on = {key}\n")).unwrap_err().to_string();
        assert!(e.contains("fail-on = KeapAK-dead…(57 chars)"), "{e}");
        assert!(!e.contains(&key[11..]), "{e}");
    }

    #[test]
    fn discovery_looks_up_to_the_repository_top() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let sub = repo.join("src/deep");
        fs::create_dir_all(&sub).unwrap();
        fs::create_dir(repo.join(".git")).unwrap();
        assert_eq!(Config::discover(&sub).unwrap(), None);
        // Above the repository: not ours.
        fs::write(dir.path().join(FILE_NAME), "").unwrap();
        assert_eq!(Config::discover(&sub).unwrap(), None);
        fs::write(repo.join(FILE_NAME), "").unwrap();
        let found = Config::discover(&sub).unwrap().unwrap();
        assert_eq!(found, fs::canonicalize(&repo).unwrap().join(FILE_NAME));
    }
}
