//! The loopback Keap mock itself: what it decodes, records and answers.
mod support;

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    sync::Arc,
    time::Duration,
};

use rustls::{
    pki_types::{pem::PemObject, CertificateDer, ServerName},
    ClientConfig, ClientConnection, RootCertStore, StreamOwned,
};
use support::mock_keap::{self, parse_method_call, MockKeap, Value, CERT_NAMES, NEW_CONTACT_ID};

/// A status line, headers and body as a client sees them.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn connect(mock: &MockKeap) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(mock.addr()).expect("connect to the mock");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    BufReader::new(stream)
}

type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// A TLS connection that trusts only the mock's certificate, checked against `name`.
fn connect_tls(mock: &MockKeap, name: &str) -> BufReader<TlsStream> {
    let mut roots = RootCertStore::empty();
    let cert = CertificateDer::from_pem_file(mock_keap::ca_file()).expect("the mock's certificate");
    roots.add(cert).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(name.to_string()).unwrap();
    let tls = ClientConnection::new(Arc::new(config), name).unwrap();
    BufReader::new(StreamOwned::new(tls, connect(mock).into_inner()))
}

fn read_response<S: Read>(conn: &mut BufReader<S>) -> Response {
    let mut status_line = String::new();
    conn.read_line(&mut status_line).unwrap();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        conn.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let response = Response {
        status,
        headers,
        body: String::new(),
    };
    let length: usize = response
        .header("Content-Length")
        .map_or(0, |l| l.parse().unwrap());
    let mut body = vec![0; length];
    conn.read_exact(&mut body).unwrap();
    Response {
        body: String::from_utf8(body).unwrap(),
        ..response
    }
}

fn post<S: Read + Write>(
    conn: &mut BufReader<S>,
    target: &str,
    extra_headers: &str,
    body: &str,
) -> Response {
    let request = format!(
        "POST {target} HTTP/1.1\r\nHost: mock\r\nContent-Type: text/xml\r\n{extra_headers}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.get_mut().write_all(request.as_bytes()).unwrap();
    read_response(conn)
}

const ADD_CALL: &str = "<?xml version=\"1.0\"?><methodCall><methodName>ContactService.add</methodName>\
    <params><param><value><string>k</string></value></param>\
    <param><value><struct><member><name>FirstName</name><value>Ada</value></member></struct></value></param>\
    </params></methodCall>";

fn string(s: &str) -> Value {
    Value::String(s.to_string())
}

#[test]
fn decodes_every_xmlrpc_value_type() {
    // The declaration and layout PHP's xmlrpc_encode_request writes, around every type.
    let xml = r#"<?xml version="1.0" encoding="iso-8859-1"?>
<methodCall>
<methodName> DataService.query </methodName>
<params>
 <param><value>
   <string>caf&#233; &amp; co</string>
 </value></param>
 <param><value>bare text</value></param>
 <param><value></value></param>
 <param><value><string/></value></param>
 <param><value><int>-7</int></value></param>
 <param><value><i4> 42 </i4></value></param>
 <param><value><boolean>1</boolean></value></param>
 <param><value><boolean>0</boolean></value></param>
 <param><value><double>1.500000</double></value></param>
 <param><value><dateTime.iso8601>20240731T09:30:00</dateTime.iso8601></value></param>
 <param><value><base64>aGVs
bG8=</base64></value></param>
 <param><value><struct>
   <member><name>Email</name><value><string>ada@example.com</string></value></member>
   <member><name>Tags</name><value><array><data>
     <value><int>1</int></value><value>two</value>
   </data></array></value></member>
 </struct></value></param>
 <param><value><array><data/></array></value></param>
 <param><value><nil/></value></param>
</params>
</methodCall>"#;
    let call = parse_method_call(xml).unwrap();
    assert_eq!(call.name, "DataService.query");
    assert_eq!(
        call.params,
        vec![
            string("café & co"),
            string("bare text"),
            string(""),
            string(""),
            Value::Int(-7),
            Value::Int(42),
            Value::Bool(true),
            Value::Bool(false),
            Value::Double(1.5),
            Value::DateTime("20240731T09:30:00".into()),
            Value::Base64(b"hello".to_vec()),
            Value::Struct(BTreeMap::from([
                ("Email".into(), string("ada@example.com")),
                (
                    "Tags".into(),
                    Value::Array(vec![Value::Int(1), string("two")])
                ),
            ])),
            Value::Array(vec![]),
            Value::Nil,
        ]
    );
}

#[test]
fn rejects_what_is_not_a_method_call() {
    assert!(parse_method_call("not xml").is_err());
    assert!(parse_method_call("<methodResponse/>").is_err());
    let bad_int = "<methodCall><methodName>m</methodName><params>\
                   <param><value><int>x</int></value></param></params></methodCall>";
    assert!(parse_method_call(bad_int)
        .unwrap_err()
        .contains("<int>x</int>"));
}

#[test]
fn values_survive_writing_and_decoding() {
    let values = vec![
        string("a < b & c"),
        Value::Int(i64::from(i32::MIN)),
        Value::Bool(false),
        Value::Double(-0.25),
        Value::DateTime("20250101T00:00:00".into()),
        Value::Base64(b"\x00\xffab".to_vec()),
        Value::Base64(b"abc".to_vec()),
        Value::Array(vec![Value::Nil, Value::Struct(BTreeMap::new())]),
    ];
    let mut xml = String::from("<methodCall><methodName>m</methodName><params>");
    for value in &values {
        xml.push_str("<param><value>");
        value.write_xml(&mut xml);
        xml.push_str("</value></param>");
    }
    xml.push_str("</params></methodCall>");
    assert_eq!(parse_method_call(&xml).unwrap().params, values);
}

#[test]
fn records_the_request_and_answers_a_method_response() {
    let mock = MockKeap::start();
    let mut conn = connect(&mock);
    let response = post(
        &mut conn,
        "/crm/xmlrpc?trace=1",
        "x-keap-api-key: k1\r\nAuthorization: Bearer t\r\n",
        ADD_CALL,
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/xml"));
    assert!(
        response.body.contains(&format!(
            "<params><param><value><int>{NEW_CONTACT_ID}</int>"
        )),
        "{}",
        response.body
    );

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/crm/xmlrpc");
    assert_eq!(request.query.as_deref(), Some("trace=1"));
    assert_eq!(request.status, 200);
    assert_eq!(request.header("X-Keap-API-Key"), Some("k1"));
    assert_eq!(request.header("AUTHORIZATION"), Some("Bearer t"));
    assert_eq!(request.headers_named("content-type"), vec!["text/xml"]);
    assert_eq!(request.header("Cookie"), None);
    assert_eq!(request.body_text(), ADD_CALL);
    let call = request.call();
    assert_eq!(call.name, "ContactService.add");
    assert_eq!(call.params[0], string("k"));
}

#[test]
fn serves_https_and_plain_http_on_one_port() {
    let mock = MockKeap::start();
    assert_eq!(mock.base_url(), format!("https://{}", mock.host_port()));
    for name in CERT_NAMES {
        let response = post(&mut connect_tls(&mock, name), "/crm/xmlrpc", "", ADD_CALL);
        assert_eq!(response.status, 200, "over TLS to {name}");
    }
    // IXR_Client writes plain HTTP whatever its URL says: served, and recorded as such.
    assert_eq!(
        post(&mut connect(&mock), "/api/xmlrpc", "", ADD_CALL).status,
        200
    );
    let tls: Vec<bool> = mock.requests().iter().map(|r| r.tls).collect();
    assert_eq!(tls, [true, true, false]);
    assert_eq!(mock.requests()[0].call().name, "ContactService.add");
}

#[test]
fn ends_an_http_1_0_answer_over_tls_with_a_clean_close() {
    // PHP's https stream wrapper reads up to the close; without close_notify it is a truncation.
    let mock = MockKeap::start();
    let mut conn = connect_tls(&mock, "127.0.0.1");
    let request = format!(
        "POST /api/xmlrpc HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{ADD_CALL}",
        ADD_CALL.len()
    );
    conn.get_mut().write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    conn.read_to_string(&mut raw)
        .expect("a close_notify, not a bare close");
    assert!(raw.ends_with("</methodResponse>\n"), "{raw}");
    assert!(mock.requests()[0].tls);
}

#[test]
fn answers_a_query_with_the_fields_asked_for() {
    let mock = MockKeap::start();
    let query = "<methodCall><methodName>DataService.query</methodName><params>\
        <param><value>k</value></param><param><value>Contact</value></param>\
        <param><value><int>10</int></value></param><param><value><int>0</int></value></param>\
        <param><value><struct/></value></param>\
        <param><value><array><data><value>Id</value><value>Email</value></data></array></value></param>\
        </params></methodCall>";
    let response = post(&mut connect(&mock), "/api/xmlrpc", "", query);
    assert_eq!(response.status, 200);
    let rows = response.body.matches("<struct>").count();
    assert_eq!(rows, 2, "{}", response.body);
    assert!(
        response.body.contains("<name>Email</name>"),
        "{}",
        response.body
    );
    assert!(response
        .body
        .contains(&format!("<int>{NEW_CONTACT_ID}</int>")));
}

#[test]
fn unknown_path_is_404_and_still_recorded() {
    let mock = MockKeap::start();
    let response = post(&mut connect(&mock), "/xmlrpc.php", "", ADD_CALL);
    assert_eq!(response.status, 404);
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/xmlrpc.php");
    assert_eq!(requests[0].status, 404);
}

#[test]
fn serves_the_legacy_and_new_paths_with_or_without_a_trailing_slash() {
    let mock = MockKeap::start();
    let mut conn = connect(&mock);
    for path in [
        "/api/xmlrpc",
        "/crm/xmlrpc",
        "/crm/xmlrpc/",
        "/crm/xmlrpc/v1",
    ] {
        assert_eq!(post(&mut conn, path, "", ADD_CALL).status, 200, "{path}");
    }
    assert_eq!(mock.requests().len(), 4);
}

#[test]
fn a_body_that_is_not_xml_rpc_gets_a_fault() {
    let mock = MockKeap::start();
    let response = post(&mut connect(&mock), "/crm/xmlrpc", "", "key=abc");
    assert_eq!(response.status, 200);
    assert!(response.body.contains("<fault>"), "{}", response.body);
    assert!(mock.requests()[0].call.is_err());
}

#[test]
fn answers_expect_100_continue_then_reads_a_chunked_body() {
    let mock = MockKeap::start();
    let mut conn = connect(&mock);
    conn.get_mut()
        .write_all(
            b"POST /crm/xmlrpc HTTP/1.1\r\nHost: mock\r\nExpect: 100-continue\r\n\
              Transfer-Encoding: chunked\r\n\r\n",
        )
        .unwrap();
    let mut interim = String::new();
    conn.read_line(&mut interim).unwrap();
    assert_eq!(interim, "HTTP/1.1 100 Continue\r\n");
    conn.read_line(&mut interim).unwrap();
    let (first, rest) = ADD_CALL.split_at(40);
    let chunked = format!(
        "{:x}\r\n{first}\r\n{:x};ext=1\r\n{rest}\r\n0\r\nX-Trailer: t\r\n\r\n",
        first.len(),
        rest.len()
    );
    conn.get_mut().write_all(chunked.as_bytes()).unwrap();
    assert_eq!(read_response(&mut conn).status, 200);
    assert_eq!(mock.requests()[0].call().name, "ContactService.add");
}

#[test]
fn keeps_the_connection_open_until_told_to_close() {
    let mock = MockKeap::start();
    let mut conn = connect(&mock);
    assert_eq!(post(&mut conn, "/crm/xmlrpc", "", ADD_CALL).status, 200);
    let last = post(&mut conn, "/crm/xmlrpc", "Connection: close\r\n", ADD_CALL);
    assert_eq!(last.header("Connection"), Some("close"));
    let mut after = Vec::new();
    conn.read_to_end(&mut after).unwrap();
    assert!(after.is_empty(), "the mock closed the connection");
    assert_eq!(mock.requests().len(), 2);
}

#[test]
fn closes_an_http_1_0_connection_after_the_answer() {
    // IXR and PHP's stream wrapper speak HTTP/1.0 and read the answer up to the close.
    let mock = MockKeap::start();
    let mut conn = connect(&mock);
    let request = format!(
        "POST /api/xmlrpc HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{ADD_CALL}",
        ADD_CALL.len()
    );
    conn.get_mut().write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    conn.read_to_string(&mut raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    assert!(raw.ends_with("</methodResponse>\n"), "{raw}");
}

#[test]
fn refuses_requests_past_its_limit() {
    let mock = MockKeap::with_request_limit(2);
    let mut conn = connect(&mock);
    assert_eq!(post(&mut conn, "/crm/xmlrpc", "", ADD_CALL).status, 200);
    assert_eq!(post(&mut conn, "/crm/xmlrpc", "", ADD_CALL).status, 200);
    assert_eq!(post(&mut conn, "/crm/xmlrpc", "", ADD_CALL).status, 503);
    assert_eq!(mock.requests().len(), 2);
}

#[test]
fn answers_400_to_a_malformed_request() {
    let mock = MockKeap::start();
    let mut conn = connect(&mock);
    conn.get_mut()
        .write_all(b"POST /crm/xmlrpc HTTP/1.1\r\nContent-Length: lots\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut conn).status, 400);
    assert!(mock.requests().is_empty());
}

#[test]
fn stops_listening_when_dropped() {
    let mock = MockKeap::start();
    let addr = mock.addr();
    drop(mock);
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens on {addr} any more"
    );
}
