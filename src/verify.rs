//! `--verify`: one cheap authenticated request to Keap per distinct key, to tell a live leak
//! from a revoked one. The only network call the tool can make, off unless asked, and only to
//! Keap's own API host (a loopback address stands in for it in tests).
use std::{
    collections::HashMap,
    thread,
    time::{Duration, Instant},
};

use crate::{
    error::{Error, Result},
    finding::{redact, Finding},
};

/// Where the request goes: Keap's XML-RPC endpoint, which checks the header before anything.
pub const KEAP_ENDPOINT: &str = "https://api.infusionsoft.com/crm/xmlrpc";
const KEAP_HOST: &str = "api.infusionsoft.com";
/// Hosts a test may point `--verify` at instead: none of them leaves the machine.
const LOOPBACK: &[&str] = &["127.0.0.1", "localhost", "[::1]"];
/// Keap's quota for a key is 10 calls a second: never start two requests closer than this.
const SPACING: Duration = Duration::from_millis(110);
const TIMEOUT: Duration = Duration::from_secs(10);

/// `DataService.echo` takes no key parameter and answers what it is sent: the cheapest call that
/// still passes Keap's authentication.
const ECHO: &str = "<?xml version=\"1.0\"?>\n<methodCall><methodName>DataService.echo</methodName><params><param><value><string>keap-migrate verify</string></value></param></params></methodCall>\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liveness {
    /// Keap accepted the key.
    Live,
    /// Keap refused it (401/403, or an invalid-key fault).
    Revoked,
    /// No clear answer: a rate limit, a server error, no connection, or a secret the header
    /// cannot carry (an OAuth client secret).
    Unknown,
}

impl Liveness {
    pub fn as_str(self) -> &'static str {
        match self {
            Liveness::Live => "live",
            Liveness::Revoked => "revoked",
            Liveness::Unknown => "unknown",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Liveness::Live => "live: Keap accepted it, revoke it now",
            Liveness::Revoked => "revoked: Keap refused it",
            Liveness::Unknown => "unknown: Keap gave no clear answer",
        }
    }
}

/// What Keap said of each finding's secret, by fingerprint.
#[derive(Default)]
pub struct Verified(HashMap<String, Liveness>);

impl Verified {
    pub fn of(&self, finding: &Finding) -> Option<Liveness> {
        self.0.get(&finding.fingerprint).copied()
    }

    /// What stderr says after verifying: counts only.
    pub fn summary(&self) -> String {
        let n = |l: Liveness| self.0.values().filter(|v| **v == l).count();
        format!(
            "--verify: {} live, {} revoked, {} unknown (findings with a secret)",
            n(Liveness::Live),
            n(Liveness::Revoked),
            n(Liveness::Unknown)
        )
    }

    pub fn any_live<'f>(&self, findings: impl IntoIterator<Item = &'f Finding>) -> bool {
        findings
            .into_iter()
            .any(|f| self.of(f) == Some(Liveness::Live))
    }
}

pub struct Verifier {
    url: String,
    agent: ureq::Agent,
}

impl Verifier {
    /// Keap's endpoint, or `url` when it names a loopback host (tests' mock); any other host is
    /// refused, so no setting can send a key anywhere else.
    pub fn new(url: Option<&str>) -> Result<Verifier> {
        let url = url.unwrap_or(KEAP_ENDPOINT);
        let host = host_of(url);
        let ok = match host {
            Some(h) if h == KEAP_HOST => url.starts_with("https://"),
            Some(h) => LOOPBACK.contains(&h),
            None => false,
        };
        if !ok {
            return Err(Error::Usage(format!(
                "--verify talks only to {KEAP_ENDPOINT} (or a loopback address in tests), not {}",
                redact(url)
            )));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect could lead the key to another host; a proxy would see it.
            .max_redirects(0)
            .proxy(None)
            .timeout_global(Some(TIMEOUT))
            .user_agent(concat!("keap-migrate/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Verifier {
            url: url.to_string(),
            agent,
        })
    }

    /// Asks once per distinct secret and marks every finding that holds it; each finding's
    /// message says the answer. Requests are spaced to stay within Keap's quota.
    pub fn verify(&self, findings: &mut [Finding]) -> Verified {
        let mut answers: HashMap<String, Liveness> = HashMap::new();
        let mut last: Option<Instant> = None;
        let mut verified = Verified::default();
        for f in findings.iter_mut() {
            let Some(secret) = &f.secret else { continue };
            let key = secret.expose();
            let liveness = match answers.get(key) {
                Some(l) => *l,
                None => {
                    let l = if verifiable(key) {
                        if let Some(wait) = last.and_then(|t| SPACING.checked_sub(t.elapsed())) {
                            thread::sleep(wait);
                        }
                        last = Some(Instant::now());
                        self.ask(key)
                    } else {
                        Liveness::Unknown
                    };
                    answers.insert(key.to_string(), l);
                    l
                }
            };
            f.message = format!("{} [{}]", f.message, liveness.detail());
            verified.0.insert(f.fingerprint.clone(), liveness);
        }
        verified
    }

    fn ask(&self, key: &str) -> Liveness {
        let sent = self
            .agent
            .post(&self.url)
            .header("Content-Type", "text/xml")
            .header("X-Keap-API-Key", key)
            .send(ECHO);
        let Ok(mut response) = sent else {
            return Liveness::Unknown;
        };
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap_or_default();
        judge(status, &body)
    }
}

/// A legacy key or a Service Account Key: what the header carries.
fn verifiable(secret: &str) -> bool {
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    match secret.strip_prefix("KeapAK-") {
        Some(rest) => hex(rest),
        None => (secret.len() == 32 || secret.len() == 64) && hex(secret),
    }
}

/// What an answer says of the key.
fn judge(status: u16, body: &str) -> Liveness {
    let lower = body.to_ascii_lowercase();
    match status {
        401 | 403 => Liveness::Revoked,
        200 if lower.contains("<fault>") => {
            if lower.contains("invalidkey") || lower.contains("invalid key") {
                Liveness::Revoked
            } else {
                Liveness::Unknown
            }
        }
        200 if lower.contains("<methodresponse>") => Liveness::Live,
        _ => Liveness::Unknown,
    }
}

/// The host of an `http(s)://host[:port]/…` URL.
fn host_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') {
        return None;
    }
    Some(match authority.strip_prefix('[') {
        Some(_) => &authority[..authority.find(']')? + 1],
        None => authority.split(':').next()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keap_and_loopback_hosts_are_accepted() {
        assert!(Verifier::new(None).is_ok());
        assert!(Verifier::new(Some("http://127.0.0.1:4000/crm/xmlrpc")).is_ok());
        assert!(Verifier::new(Some("https://[::1]:4000/crm/xmlrpc")).is_ok());
        for bad in [
            "http://api.infusionsoft.com/crm/xmlrpc",
            "https://api.infusionsoft.com.evil.example/crm/xmlrpc",
            "https://127.0.0.1@evil.example/",
            "https://10.0.0.1/crm/xmlrpc",
            "ftp://127.0.0.1/",
        ] {
            assert!(Verifier::new(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers_are_judged_by_status_and_fault() {
        let ok =
            "<methodResponse><params><param><value>x</value></param></params></methodResponse>";
        let fault = "<methodResponse><fault><value><struct><member><name>faultString</name><value>[InvalidKey]Invalid Key</value></member></struct></value></fault></methodResponse>";
        assert_eq!(judge(200, ok), Liveness::Live);
        assert_eq!(judge(200, fault), Liveness::Revoked);
        assert_eq!(judge(401, ""), Liveness::Revoked);
        assert_eq!(judge(429, ""), Liveness::Unknown);
        assert_eq!(judge(503, ok), Liveness::Unknown);
        assert!(verifiable("0362152e588205244154eb05265d45a4"));
        assert!(!verifiable("1Kniy247NhaJgain"));
    }
}
