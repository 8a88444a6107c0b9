//! A loopback stand-in for Keap's XML-RPC API.
//!
//! It records every request (request line, headers, body, decoded `methodCall`) and answers with
//! a valid XML-RPC response, so the client program under test runs to the end and the test can
//! check afterwards what was really sent on the wire.
//!
//! One port speaks both HTTPS and plain HTTP: the first byte of a connection tells a TLS
//! handshake from a request line. Clients keep their `https://` URLs, so libraries take their
//! real TLS code paths (curl, PHP's openssl streams), and a client that ignores the scheme and
//! writes plain HTTP anyway (WordPress' `IXR_Client`) is still served, and recorded as such.
//! The certificate is a throw-away self-signed one made once per test process (see [`ca_file`]).
use std::{
    borrow::Cow,
    collections::{BTreeMap, BTreeSet},
    fmt::Write as _,
    fs,
    io::{self, BufRead, BufReader, Read, Write},
    net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, LazyLock, Mutex,
    },
    thread::{self, JoinHandle},
    time::Duration,
};

use rustls::{
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    ServerConfig, ServerConnection, StreamOwned,
};

/// The per-app path legacy integrations call.
pub const LEGACY_PATH: &str = "/api/xmlrpc";
/// The paths Keap serves XML-RPC on today.
pub const NEW_PATHS: [&str; 2] = ["/crm/xmlrpc", "/crm/xmlrpc/v1"];
/// What `ContactService.add` answers: the id of the "new" contact.
pub const NEW_CONTACT_ID: i64 = 4127;
/// Requests recorded before the mock answers 503: a runaway client cannot grow it without bound.
pub const DEFAULT_REQUEST_LIMIT: usize = 64;

/// No read or write waits longer than this, so a silent client cannot hang a test.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_HEAD_BYTES: u64 = 64 << 10;
const MAX_BODY_BYTES: usize = 4 << 20;
/// The first byte of a TLS record carrying a handshake (a ClientHello, from a new client).
const TLS_HANDSHAKE: u8 = 0x16;
/// The names the certificate is valid for: what [`MockKeap::base_url`] and clients may use.
pub const CERT_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// The mock's certificate and key, made once per test process.
struct Tls {
    config: Arc<ServerConfig>,
    /// The certificate in PEM, for clients to trust.
    ca_file: PathBuf,
}

static TLS: LazyLock<Tls> = LazyLock::new(|| {
    let names: Vec<String> = CERT_NAMES.iter().map(|n| n.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(names).expect("a self-signed certificate");
    let key = PrivateKeyDer::from_pem_slice(certified.signing_key.serialize_pem().as_bytes())
        .expect("the certificate's key");
    // ring, as in Cargo.toml: the process-wide default provider is not chosen here.
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::clone(certified.cert.der())], key)
            .expect("a server configuration");
    // One file per process: test binaries run side by side, each with its own certificate.
    // Those of runs long finished are cleared away.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|modified| {
                modified.elapsed().unwrap_or_default() > Duration::from_secs(3600)
            });
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if stale && name.starts_with("mock-keap-ca-") && name.ends_with(".pem") {
            let _ = fs::remove_file(entry.path());
        }
    }
    let ca_file = dir.join(format!("mock-keap-ca-{}.pem", std::process::id()));
    fs::write(&ca_file, certified.cert.pem()).expect("write the mock's certificate");
    Tls {
        config: Arc::new(config),
        ca_file,
    }
});

/// The PEM file of the certificate every mock serves: what a client must trust to reach it
/// over HTTPS (PHP: `-d openssl.cafile=… -d curl.cainfo=…`).
pub fn ca_file() -> &'static Path {
    &TLS.ca_file
}

/// An XML-RPC value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `<string>`, and a `<value>` holding bare text.
    String(String),
    /// `<int>`, `<i4>` (and the common `<i8>` extension).
    Int(i64),
    Bool(bool),
    Double(f64),
    /// `<dateTime.iso8601>`, as written (its format varies between clients).
    DateTime(String),
    /// `<base64>`, decoded.
    Base64(Vec<u8>),
    Struct(BTreeMap<String, Value>),
    Array(Vec<Value>),
    Nil,
}

/// A decoded `<methodCall>`.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodCall {
    pub name: String,
    pub params: Vec<Value>,
}

impl MethodCall {
    /// The calls this request makes: those boxed in a `system.multicall` (Python's
    /// `MultiCall`), or itself.
    pub fn calls(&self) -> Vec<MethodCall> {
        let boxed = match (self.name.as_str(), self.params.first()) {
            ("system.multicall", Some(Value::Array(boxed))) => boxed,
            _ => return vec![self.clone()],
        };
        boxed
            .iter()
            .map(|call| match call {
                Value::Struct(fields) => MethodCall {
                    name: match fields.get("methodName") {
                        Some(Value::String(name)) => name.clone(),
                        _ => String::new(),
                    },
                    params: match fields.get("params") {
                        Some(Value::Array(params)) => params.clone(),
                        _ => Vec::new(),
                    },
                },
                _ => MethodCall {
                    name: String::new(),
                    params: Vec::new(),
                },
            })
            .collect()
    }
}

/// One HTTP request as the mock received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub version: String,
    /// In the order received, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body decoded as a `methodCall`, or why it is not one.
    pub call: Result<MethodCall, String>,
    /// The status the mock answered with.
    pub status: u16,
    /// Whether it came over TLS (false: plain HTTP, whatever the client's URL said).
    pub tls: bool,
}

impl Request {
    /// The first header with this name, compared case-insensitively as HTTP wants.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers_named(name).into_iter().next()
    }

    /// Every header with this name: a duplicated `Content-Type` is a bug worth seeing.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The decoded call; panics with the body when it did not decode.
    pub fn call(&self) -> &MethodCall {
        match &self.call {
            Ok(call) => call,
            Err(e) => panic!(
                "{} {}: body is not a methodCall ({e}):\n{}",
                self.method,
                self.path,
                self.body_text()
            ),
        }
    }
}

/// A running mock; the server stops when this is dropped.
pub struct MockKeap {
    addr: SocketAddr,
    state: Arc<State>,
    acceptor: Option<JoinHandle<()>>,
}

struct State {
    requests: Mutex<Vec<Request>>,
    limit: usize,
    stop: AtomicBool,
    /// Connections accepted, whether or not a request followed.
    connections: AtomicUsize,
    /// The keys Keap would accept, when the mock checks them (`with_live_keys`).
    live_keys: Option<BTreeSet<String>>,
}

impl MockKeap {
    pub fn start() -> Self {
        Self::with_request_limit(DEFAULT_REQUEST_LIMIT)
    }

    pub fn with_request_limit(limit: usize) -> Self {
        Self::serve(limit, None)
    }

    /// A mock that accepts only these keys, as Keap does: a header key it does not know gets
    /// HTTP 401, a body key (the legacy endpoint) an `InvalidKey` fault.
    pub fn with_live_keys(keys: &[&str]) -> Self {
        let keys = keys.iter().map(|k| k.to_string()).collect();
        Self::serve(DEFAULT_REQUEST_LIMIT, Some(keys))
    }

    fn serve(limit: usize, live_keys: Option<BTreeSet<String>>) -> Self {
        // Made before the first connection arrives, outside any connection's time-outs.
        LazyLock::force(&TLS);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State {
            requests: Mutex::new(Vec::new()),
            limit,
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            live_keys,
        });
        let acceptor = {
            let state = Arc::clone(&state);
            thread::spawn(move || accept(listener, &state))
        };
        MockKeap {
            addr,
            state,
            acceptor: Some(acceptor),
        }
    }

    /// `https://127.0.0.1:PORT`, to put where a program's scheme and host were.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// `127.0.0.1:PORT`, to put where a program's host was (keeping its scheme).
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections reached the mock so far: what a test that expects none reads.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// A snapshot of what was received so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }
}

impl Drop for MockKeap {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // `accept` blocks: one last connection wakes it up to see the flag.
        let _ = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept(listener: TcpListener, state: &Arc<State>) {
    let mut workers = Vec::new();
    for stream in listener.incoming() {
        if state.stop.load(Ordering::SeqCst) {
            break;
        }
        state.connections.fetch_add(1, Ordering::SeqCst);
        // A connection per thread: a client may keep one connection idle while it opens another.
        // Each connection serves at least one request, so the request limit bounds them too.
        let Ok(stream) = stream else { continue };
        if workers.len() >= state.limit {
            continue;
        }
        let state = Arc::clone(state);
        workers.push(thread::spawn(move || {
            let _ = connection(stream, &state);
        }));
    }
    for worker in workers {
        let _ = worker.join();
    }
}

/// The request line and headers.
struct Head {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 (IXR, PHP's stream
    /// wrapper) closes it unless told otherwise, and reads the answer up to the close.
    fn keep_alive(&self) -> bool {
        if self.version == "HTTP/1.0" {
            self.has_token("Connection", "keep-alive")
        } else {
            !self.has_token("Connection", "close")
        }
    }
}

/// Serves one connection, over TLS when it opens with a handshake.
fn connection(stream: TcpStream, state: &State) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut first = [0; 1];
    if stream.peek(&mut first)? == 0 {
        return Ok(());
    }
    if first[0] != TLS_HANDSHAKE {
        return serve(&mut BufReader::new(stream), false, state);
    }
    let tls = ServerConnection::new(Arc::clone(&TLS.config)).map_err(io::Error::other)?;
    let mut reader = BufReader::new(StreamOwned::new(tls, stream));
    let served = serve(&mut reader, true, state);
    // A clean close: clients that read up to the end (HTTP/1.0) would call a bare one truncation.
    let stream = reader.get_mut();
    stream.conn.send_close_notify();
    let _ = stream.flush();
    served
}

/// Answers requests on one connection until it closes. Writes go around the reader's buffer.
fn serve<S: Read + Write>(reader: &mut BufReader<S>, tls: bool, state: &State) -> io::Result<()> {
    loop {
        let head = match read_head(reader) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(e) => return answer_bad_request(reader.get_mut(), e),
        };
        // curl waits (up to a second) for this before sending a large body.
        if head.has_token("Expect", "100-continue") {
            let writer = reader.get_mut();
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            writer.flush()?;
        }
        let body = match read_body(reader, &head) {
            Ok(body) => body,
            Err(e) => return answer_bad_request(reader.get_mut(), e),
        };
        let keep_alive = head.keep_alive();
        let (status, content_type, answer) = {
            let mut requests = state.requests.lock().unwrap();
            if requests.len() >= state.limit {
                (503, "text/plain", "request limit reached\n".to_string())
            } else {
                let request = record(head, body, tls);
                let response = match refused(&request, state.live_keys.as_ref()) {
                    Some(refusal) => refusal,
                    None => respond(&request),
                };
                requests.push(Request {
                    status: response.0,
                    ..request
                });
                response
            }
        };
        write_response(reader.get_mut(), status, content_type, &answer, keep_alive)?;
        if !keep_alive || status == 503 {
            return Ok(());
        }
    }
}

fn record(head: Head, body: Vec<u8>, tls: bool) -> Request {
    let (path, query) = match head.target.split_once('?') {
        Some((path, query)) => (path.to_string(), Some(query.to_string())),
        None => (head.target, None),
    };
    let call = parse_method_call(&String::from_utf8_lossy(&body));
    Request {
        method: head.method,
        path,
        query,
        version: head.version,
        headers: head.headers,
        body,
        call,
        status: 0,
        tls,
    }
}

/// Reads the request line and headers; `None` when the client closed between requests.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut limited = reader.take(MAX_HEAD_BYTES);
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        if limited.read_until(b'\n', &mut line)? == 0 {
            if lines.is_empty() {
                return Ok(None);
            }
            return Err(invalid("connection closed inside the request head"));
        }
        let line = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_string();
        if line.is_empty() {
            if lines.is_empty() {
                continue; // Stray CRLF between requests is allowed.
            }
            break;
        }
        lines.push(line);
    }
    let mut request_line = lines[0].split_whitespace();
    let (Some(method), Some(target), Some(version)) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(invalid("malformed request line"));
    };
    let headers = lines[1..]
        .iter()
        .map(|line| {
            let (name, value) = line.split_once(':').ok_or_else(|| invalid("bad header"))?;
            Ok((name.trim().to_string(), value.trim().to_string()))
        })
        .collect::<io::Result<_>>()?;
    Ok(Some(Head {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
    }))
}

fn read_body(reader: &mut impl BufRead, head: &Head) -> io::Result<Vec<u8>> {
    if head.has_token("Transfer-Encoding", "chunked") {
        return read_chunked(reader);
    }
    let Some(length) = head.header("Content-Length") else {
        return Ok(Vec::new());
    };
    let length: usize = length.parse().map_err(|_| invalid("bad Content-Length"))?;
    if length > MAX_BODY_BYTES {
        return Err(invalid("body too large"));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(body)
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY_BYTES {
            return Err(invalid("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

fn answer_bad_request(writer: &mut impl Write, e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::InvalidData {
        write_response(writer, 400, "text/plain", &format!("{e}\n"), false)?;
    }
    Err(e)
}

fn write_response(
    writer: &mut impl Write,
    status: u16,
    content_type: &str,
    body: &str,
    keep_alive: bool,
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Service Unavailable",
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: {connection}\r\n\r\n{body}",
        body.len()
    );
    writer.write_all(response.as_bytes())?;
    writer.flush()
}

/// Keap's answer to a key it does not accept, when the mock checks keys.
fn refused(
    request: &Request,
    live: Option<&BTreeSet<String>>,
) -> Option<(u16, &'static str, String)> {
    let live = live?;
    let header = request.header("X-Keap-API-Key").or_else(|| {
        request
            .header("Authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
    });
    match header {
        Some(key) if live.contains(key) => None,
        Some(_) => Some((
            401,
            "application/json",
            "{\"message\":\"Unauthorized\"}\n".to_string(),
        )),
        None => match request.call.as_ref().ok()?.params.first() {
            Some(Value::String(key)) if live.contains(key) => None,
            _ => Some((200, "text/xml", fault(2, "[InvalidKey]Invalid Key"))),
        },
    }
}

/// Status, content type and body for a recorded request.
fn respond(request: &Request) -> (u16, &'static str, String) {
    let path = request.path.trim_end_matches('/');
    if path != LEGACY_PATH && !NEW_PATHS.contains(&path) {
        return (404, "text/plain", "not found\n".to_string());
    }
    let body = match &request.call {
        Ok(call) => method_response(&result_of(call)),
        Err(e) => fault(-32700, &format!("parse error: {e}")),
    };
    (200, "text/xml", body)
}

/// A plausible answer, enough for client code to go on.
fn result_of(call: &MethodCall) -> Value {
    match call.name.as_str() {
        // Each boxed call's result, in a one-element array of its own.
        "system.multicall" => Value::Array(
            call.calls()
                .iter()
                .map(|c| Value::Array(vec![result_of(c)]))
                .collect(),
        ),
        "ContactService.add" => Value::Int(NEW_CONTACT_ID),
        "DataService.query" => {
            // One row per page slot, holding the fields that were asked for (param 5).
            let fields: Vec<&str> = match call.params.get(5) {
                Some(Value::Array(fields)) => fields
                    .iter()
                    .filter_map(|f| match f {
                        Value::String(f) => Some(f.as_str()),
                        _ => None,
                    })
                    .collect(),
                _ => vec!["Id"],
            };
            let row = |id: i64| {
                let row = fields.iter().map(|&field| {
                    // Keap answers its date fields (`DateCreated`, `LastUpdated`) as dates.
                    let value = if field == "Id" {
                        Value::Int(id)
                    } else if field.starts_with("Date") || field == "LastUpdated" {
                        Value::DateTime("20261207T09:30:00".to_string())
                    } else {
                        Value::String(format!("{field} {id}"))
                    };
                    (field.to_string(), value)
                });
                Value::Struct(row.collect())
            };
            Value::Array(vec![row(NEW_CONTACT_ID), row(NEW_CONTACT_ID + 1)])
        }
        // addToGroup and the many other calls that answer a boolean.
        _ => Value::Bool(true),
    }
}

fn method_response(value: &Value) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<methodResponse><params><param><value>",
    );
    value.write_xml(&mut xml);
    xml.push_str("</value></param></params></methodResponse>\n");
    xml
}

fn fault(code: i64, message: &str) -> String {
    let value = Value::Struct(BTreeMap::from([
        ("faultCode".to_string(), Value::Int(code)),
        (
            "faultString".to_string(),
            Value::String(message.to_string()),
        ),
    ]));
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<methodResponse><fault><value>");
    value.write_xml(&mut xml);
    xml.push_str("</value></fault></methodResponse>\n");
    xml
}

impl Value {
    /// The inside of a `<value>` element.
    pub fn write_xml(&self, xml: &mut String) {
        match self {
            Value::String(s) => {
                let _ = write!(xml, "<string>{}</string>", escape(s));
            }
            Value::Int(i) => {
                let _ = write!(xml, "<int>{i}</int>");
            }
            Value::Bool(b) => {
                let _ = write!(xml, "<boolean>{}</boolean>", u8::from(*b));
            }
            Value::Double(d) => {
                let _ = write!(xml, "<double>{d}</double>");
            }
            Value::DateTime(d) => {
                let _ = write!(xml, "<dateTime.iso8601>{}</dateTime.iso8601>", escape(d));
            }
            Value::Base64(bytes) => {
                let _ = write!(xml, "<base64>{}</base64>", encode_base64(bytes));
            }
            Value::Struct(members) => {
                xml.push_str("<struct>");
                for (name, value) in members {
                    let _ = write!(xml, "<member><name>{}</name><value>", escape(name));
                    value.write_xml(xml);
                    xml.push_str("</value></member>");
                }
                xml.push_str("</struct>");
            }
            Value::Array(values) => {
                xml.push_str("<array><data>");
                for value in values {
                    xml.push_str("<value>");
                    value.write_xml(xml);
                    xml.push_str("</value>");
                }
                xml.push_str("</data></array>");
            }
            Value::Nil => xml.push_str("<nil/>"),
        }
    }
}

fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>']) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
    )
}

/// Decodes a `<methodCall>` document. The encoding declaration is not trusted: PHP's
/// `xmlrpc_encode_request` declares iso-8859-1 but writes non-ASCII as character references.
pub fn parse_method_call(xml: &str) -> Result<MethodCall, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    if root.tag_name().name() != "methodCall" {
        return Err(format!("root is <{}>", root.tag_name().name()));
    }
    let name = child(root, "methodName")
        .ok_or("no <methodName>")?
        .text()
        .unwrap_or("")
        .trim()
        .to_string();
    let params = match child(root, "params") {
        None => Vec::new(),
        Some(params) => elements(params)
            .filter(|p| p.has_tag_name("param"))
            .map(|p| parse_value(child(p, "value").ok_or("<param> without <value>")?))
            .collect::<Result<_, _>>()?,
    };
    Ok(MethodCall { name, params })
}

fn elements<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children().filter(|n| n.is_element())
}

fn child<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    elements(node).find(|n| n.has_tag_name(name))
}

/// All the text directly inside a node (CDATA included).
fn text_of(node: roxmltree::Node) -> String {
    node.children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

fn parse_value(value: roxmltree::Node) -> Result<Value, String> {
    let Some(typed) = elements(value).next() else {
        return Ok(Value::String(text_of(value)));
    };
    let text = text_of(typed);
    let kind = typed.tag_name().name();
    let bad = |e: &dyn std::fmt::Display| format!("<{kind}>{text}</{kind}>: {e}");
    Ok(match kind {
        "string" => Value::String(text),
        "int" | "i4" | "i8" => Value::Int(text.trim().parse().map_err(|e| bad(&e))?),
        "boolean" => match text.trim() {
            "1" => Value::Bool(true),
            "0" => Value::Bool(false),
            _ => return Err(bad(&"not 0 or 1")),
        },
        "double" => Value::Double(text.trim().parse().map_err(|e| bad(&e))?),
        "dateTime.iso8601" => Value::DateTime(text.trim().to_string()),
        "base64" => Value::Base64(decode_base64(&text).map_err(|e| bad(&e))?),
        "struct" => Value::Struct(
            elements(typed)
                .filter(|m| m.has_tag_name("member"))
                .map(|member| {
                    let name = child(member, "name").ok_or("<member> without <name>")?;
                    let value = child(member, "value").ok_or("<member> without <value>")?;
                    Ok((text_of(name), parse_value(value)?))
                })
                .collect::<Result<_, String>>()?,
        ),
        "array" => Value::Array(match child(typed, "data") {
            Some(data) => elements(data)
                .filter(|v| v.has_tag_name("value"))
                .map(parse_value)
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        }),
        "nil" => Value::Nil,
        other => return Err(format!("unknown value type <{other}>")),
    })
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let sextet = BASE64
            .iter()
            .position(|&b| b == c)
            .ok_or_else(|| format!("`{}` is not base64", c as char))?;
        acc = (acc << 6) | sextet as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
