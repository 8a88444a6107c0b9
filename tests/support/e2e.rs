//! What every end-to-end test checks on the wire, whatever the language of the program.
use super::mock_keap::Request;

#[derive(Clone, Copy, Debug)]
pub enum Auth {
    Header,
    Bearer,
}

impl Auth {
    pub fn flag(self) -> &'static str {
        match self {
            Auth::Header => "header",
            Auth::Bearer => "bearer",
        }
    }

    /// Exactly the one header this mode sends, carrying the key.
    pub fn assert_sent(self, request: &Request, key: &str, context: &str) {
        let (name, value, other) = match self {
            Auth::Header => ("X-Keap-API-Key", key.to_string(), "Authorization"),
            Auth::Bearer => ("Authorization", format!("Bearer {key}"), "X-Keap-API-Key"),
        };
        assert_eq!(
            request.headers_named(name),
            vec![value],
            "{name}: {context}"
        );
        assert!(
            request.header(other).is_none(),
            "--auth {} also sent {other}: {context}",
            self.flag()
        );
    }
}

/// One `Content-Type`, and it is XML-RPC's: Keap rejects a form-encoded body.
pub fn assert_text_xml(request: &Request, context: &str) {
    let types = request.headers_named("Content-Type");
    assert_eq!(
        types.len(),
        1,
        "one Content-Type expected, got {types:?}: {context}"
    );
    let media_type = types[0].split(';').next().unwrap_or("").trim();
    assert!(
        media_type.eq_ignore_ascii_case("text/xml"),
        "Content-Type is {:?}: {context}",
        types[0]
    );
}
