//! Java's Apache XML-RPC (`org.apache.xmlrpc.client.XmlRpcClient`, what Keap's Java sample
//! uses): left to a person, with the exact code to add. No package registry here serves it, so
//! no rewrite could be proven by running it against the mock. Its HTTP transport sets its
//! headers in `initHttpHeaders`; a subclass of `XmlRpcSunHttpTransport` that adds the key
//! there, handed out by the client's transport factory, sends it with every call.
use crate::{
    finding::Finding,
    lang::{self, Kind, Syntax, View},
    rules,
};

use super::{other_language_hint, Auth, FixOptions, PLACEHOLDER};

/// Whether a Java file makes an Apache XML-RPC client (`new XmlRpcClient()`), or sends
/// through one made elsewhere (`execute("X.y", …)` without an aXMLRPC client).
pub fn apache(text: &str) -> bool {
    let Some(view) = lang::view(Syntax::Java, text) else {
        return false;
    };
    let made = |name: &str| view.calls.iter().any(|c| c.new && c.name == name);
    made("XmlRpcClient")
        || (!made("XMLRPCClient") && view.calls.iter().any(|c| c.name == "execute"))
}

/// One hint per finding, in order.
pub fn hints(text: &str, found: &[&Finding], opts: &FixOptions) -> Vec<String> {
    let view = lang::view(Syntax::Java, text);
    found
        .iter()
        .map(|f| {
            let hint = view.as_ref().and_then(|v| match f.rule.as_str() {
                rules::KEY_IN_BODY => Some(call_hint(v, text, f, opts)),
                rules::LEGACY_ENDPOINT => Some(format!(
                    "point the client's config at the new endpoint ({}) and give the client the key header ({})",
                    code(&server_url(&opts.endpoint)),
                    code(&transport(&client_name(v), "key", opts.auth)),
                )),
                rules::HARDCODED_KEY => Some(format!(
                    "read the key from the environment ({}) and rotate it",
                    code(&Syntax::Java.env_read(&opts.key_env))
                )),
                _ => None,
            });
            hint.unwrap_or_else(|| other_language_hint(&f.rule).to_string())
        })
        .collect()
}

fn code(s: &str) -> String {
    format!("`{s}`")
}

fn server_url(endpoint: &str) -> String {
    format!("config.setServerURL(new URL(\"{endpoint}\"));")
}

/// The statement that gives `client` a transport adding the key header to every request.
/// The key must be readable there (a field, or an effectively final local).
fn transport(client: &str, key: &str, auth: Auth) -> String {
    let (name, value) = match auth {
        Auth::Header => ("X-Keap-API-Key", key.to_string()),
        Auth::Bearer => ("Authorization", format!("\"Bearer \" + {key}")),
    };
    format!(
        "{client}.setTransportFactory(new XmlRpcSunHttpTransportFactory({client}) {{ \
         public XmlRpcTransport getTransport() {{ return new XmlRpcSunHttpTransport({client}) {{ \
         protected void initHttpHeaders(XmlRpcRequest request) throws XmlRpcClientException {{ \
         super.initHttpHeaders(request); setRequestHeader(\"{name}\", {value}); }} }}; }} }});"
    )
}

/// The name the file's Apache client is kept in, when it makes exactly one.
fn client_name(view: &View) -> String {
    let mut made = view.bindings.iter().filter(|b| {
        matches!(b.value.kind, Kind::Call(i) if view.calls[i].new && view.calls[i].name == "XmlRpcClient")
    });
    match (made.next(), made.next()) {
        (Some(b), None) => b.target.clone(),
        _ => "client".to_string(),
    }
}

/// A call site (`client.execute("X.y", new Object[]{key, …})`, or the `add(key)` of the list
/// it sends): the transport to add where the client is made, the endpoint, the placeholder.
fn call_hint(view: &View, text: &str, f: &Finding, opts: &FixOptions) -> String {
    let site = &text[f.span.clone()];
    let key = if f.secret.is_some() {
        Syntax::Java.env_read(&opts.key_env)
    } else {
        site.to_string()
    };
    let client = client_name(view);
    let made = view
        .bindings
        .iter()
        .find(|b| b.target == client && matches!(b.value.kind, Kind::Call(_)))
        .map(|b| {
            format!(
                " (made at line {})",
                text[..b.stmt.start].matches('\n').count() + 1
            )
        })
        .unwrap_or_default();
    format!(
        "Apache XML-RPC: after the client `{client}`{made} is made, add {} and {}; then pass \"{PLACEHOLDER}\" instead of `{site}` as the first parameter of each call through it (imports: org.apache.xmlrpc.XmlRpcRequest, org.apache.xmlrpc.client.*)",
        code(&transport(&client, &key, opts.auth)),
        code(&server_url(&opts.endpoint)),
    )
}
