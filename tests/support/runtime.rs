//! The Python, Ruby, Node, Go, Perl and Java runtimes the end-to-end tests drive, with their XML-RPC client
//! libraries, and the policy when one is missing (as for PHP: a failure under CI).
use std::{
    io::{self, Write},
    path::Path,
    process::{Command, Stdio},
    sync::{Once, OnceLock},
};

use super::{
    mock_keap,
    php::in_ci,
    process::{self, Finished},
};

/// Where `scripts/test` installs the npm `xmlrpc` package (`npm install --prefix`).
pub const NODE_MODULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/e2e-node/node_modules");

/// Where Debian's golang-github-kolo-xmlrpc-dev installs its source: a GOPATH, so Go builds the
/// programs offline, without modules.
const GOPATH: &str = "/usr/share/gocode";
/// Go's build cache, which must be writable (the default is under `$HOME`).
const GOCACHE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/e2e-go/cache");

/// Where Debian's libaxmlrpc-java installs the library.
const AXMLRPC_JAR: &str = "/usr/share/java/axmlrpc.jar";
/// The JVM trusts the mock through a truststore made from its certificate at test time.
const TRUSTSTORE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/e2e-java");
const TRUSTSTORE_PASSWORD: &str = "keap-mock";

/// `java` and `javac` run, and the aXMLRPC jar is where Debian puts it.
fn java_check() -> Result<(), String> {
    for program in ["java", "javac"] {
        let ran = Command::new(program)
            .arg("-version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run `{program}` ({e})"))?;
        if !ran.status.success() {
            return Err(format!("`{program} -version` failed"));
        }
    }
    if !Path::new(AXMLRPC_JAR).is_file() {
        return Err(format!("no aXMLRPC at {AXMLRPC_JAR}"));
    }
    Ok(())
}

/// A PKCS#12 truststore holding the mock's certificate, made once per test process with
/// keytool (the mock's certificate is made per process too).
fn java_truststore() -> std::path::PathBuf {
    static STORE: OnceLock<std::path::PathBuf> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let dir = Path::new(TRUSTSTORE).join(std::process::id().to_string());
            std::fs::create_dir_all(&dir).expect("the truststore's directory");
            let store = dir.join("mock.p12");
            let _ = std::fs::remove_file(&store);
            let made = Command::new("keytool")
                .args([
                    "-importcert",
                    "-noprompt",
                    "-alias",
                    "keap-mock",
                    "-storetype",
                    "PKCS12",
                ])
                .arg("-file")
                .arg(mock_keap::ca_file())
                .arg("-keystore")
                .arg(&store)
                .args(["-storepass", TRUSTSTORE_PASSWORD])
                .stdin(Stdio::null())
                .output()
                .expect("keytool runs beside java");
            assert!(
                made.status.success(),
                "keytool could not make the truststore: {}",
                String::from_utf8_lossy(&made.stderr)
            );
            store
        })
        .clone()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// CPython 3 with its standard `xmlrpc.client`.
    Python,
    /// Ruby with the `xmlrpc` gem (Debian's ruby-xmlrpc).
    Ruby,
    /// Node.js with the npm `xmlrpc` package.
    Node,
    /// Go with kolo/xmlrpc (Debian's golang-github-kolo-xmlrpc-dev), built in GOPATH mode.
    Go,
    /// Perl with Frontier::Client and RPC::XML over LWP's HTTPS.
    Perl,
    /// Java 11+ running the program as a source file, with aXMLRPC (Debian's libaxmlrpc-java).
    Java,
}

impl Runtime {
    fn program(self) -> &'static str {
        match self {
            Runtime::Python => "python3",
            Runtime::Ruby => "ruby",
            Runtime::Node => "node",
            Runtime::Go => "go",
            Runtime::Perl => "perl",
            Runtime::Java => "java",
        }
    }

    /// A one-line program that fails unless the client library loads.
    fn probe(self) -> [&'static str; 2] {
        match self {
            Runtime::Python => ["-c", "import xmlrpc.client, ssl"],
            Runtime::Ruby => ["-e", "require 'xmlrpc/client'"],
            Runtime::Node => ["-e", "require('xmlrpc'); require('request')"],
            Runtime::Go => ["list", "github.com/kolo/xmlrpc"],
            Runtime::Perl => [
                "-e",
                "use Frontier::Client; use RPC::XML::Client; use LWP::Protocol::https;",
            ],
            // Not run: `java_check` looks for the JDK (running a source file needs its
            // compiler) and the jar instead.
            Runtime::Java => ["-cp", AXMLRPC_JAR],
        }
    }

    fn packages(self) -> &'static str {
        match self {
            Runtime::Python => "python3 (Debian)",
            Runtime::Ruby => "ruby ruby-xmlrpc (Debian)",
            Runtime::Node => {
                "nodejs (Debian) and the npm packages xmlrpc@1.3.2 and request@2.88.2 under target/e2e-node"
            }
            Runtime::Go => "golang-go golang-github-kolo-xmlrpc-dev (Debian)",
            Runtime::Perl => {
                "perl libfrontier-rpc-perl librpc-xml-perl liblwp-protocol-https-perl (Debian)"
            }
            Runtime::Java => "default-jdk-headless libaxmlrpc-java (Debian)",
        }
    }

    /// Whether the tests can run this runtime: with `CI=true` a missing one fails the test;
    /// elsewhere a loud note, once, and the caller returns.
    pub fn available(self) -> bool {
        static CHECKS: [OnceLock<Result<(), String>>; 6] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let result = CHECKS[self as usize].get_or_init(|| self.check());
        let Err(missing) = result else { return true };
        let message = format!(
            "{missing}: the {self:?} end-to-end tests need {} (scripts/test installs them)",
            self.packages()
        );
        assert!(!in_ci(), "{message}; CI=true makes this a failure");
        static NOTE: Once = Once::new();
        NOTE.call_once(|| {
            let _ = writeln!(
                io::stderr(),
                "\n!!! SKIPPED: {message}. Set CI=true to make this a failure. !!!\n"
            );
        });
        false
    }

    fn check(self) -> Result<(), String> {
        if self == Runtime::Java {
            return java_check();
        }
        let output = self
            .command()
            .args(self.probe())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run `{}` ({e})", self.program()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{}` cannot load its XML-RPC client: {}",
                self.program(),
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }

    /// The runtime, trusting the mock's certificate through the variables OpenSSL, Node, Go and
    /// LWP (`LWP::Protocol::https`) read, so the programs keep certificate checks on; no proxy;
    /// no key in the environment; Go without modules or network.
    fn command(self) -> Command {
        let ca_file = mock_keap::ca_file();
        let mut command = Command::new(self.program());
        command
            .env("SSL_CERT_FILE", ca_file)
            .env("NODE_EXTRA_CA_CERTS", ca_file)
            .env("PERL_LWP_SSL_CA_FILE", ca_file)
            .env("NODE_PATH", NODE_MODULES)
            .env("GO111MODULE", "off")
            .env("GOPATH", GOPATH)
            .env("GOCACHE", GOCACHE)
            .env("GOFLAGS", "")
            .env("GOPROXY", "off")
            .env_remove("KEAP_API_KEY")
            .env("NO_PROXY", "127.0.0.1")
            .env("no_proxy", "127.0.0.1");
        for name in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
        ] {
            command.env_remove(name);
        }
        command
    }

    /// Runs a program from its own directory with these extra environment variables.
    pub fn run(self, script: &Path, env: &[(&str, &str)]) -> Finished {
        let mut command = self.command();
        if self == Runtime::Go {
            command.arg("run");
        }
        if self == Runtime::Java {
            let store = java_truststore();
            command
                .arg(format!("-Djavax.net.ssl.trustStore={}", store.display()))
                .arg(format!(
                    "-Djavax.net.ssl.trustStorePassword={TRUSTSTORE_PASSWORD}"
                ))
                .args(["-cp", AXMLRPC_JAR]);
        }
        command
            .arg(script.file_name().expect("a script file"))
            .current_dir(script.parent().expect("the script's directory"))
            .envs(env.iter().copied());
        process::run(&mut command)
    }
}
