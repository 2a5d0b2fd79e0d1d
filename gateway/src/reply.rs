//! The gateway's own answers, runtime-neutral.

use serde_json::{Value, json};

/// An HTTP request as the gateway's routes see it.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// Upper-case method.
    pub method: String,
    /// The path, without query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The raw body bytes.
    pub body: Vec<u8>,
}

impl Incoming {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A query parameter, undecoded (the gateway's parameters are plain ids).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.split('&').find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v))
    }
}

/// Decodes `%XX` escapes (a path segment, a query value); `None` if the
/// escapes are broken or do not give UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The gateway's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body bytes.
    pub body: Vec<u8>,
    /// `Allow`, on a 405: RFC 9110 requires it there, and clients (and API
    /// fuzzers) read it to learn the route's method.
    pub allow: Option<&'static str>,
}

impl Outgoing {
    /// A JSON answer.
    pub fn json(status: u16, v: &Value) -> Self {
        Self { status, content_type: "application/json", body: v.to_string().into_bytes(), allow: None }
    }

    /// A JSON body already serialised (Kombo's rejection shape).
    pub fn raw_json(status: u16, body: Vec<u8>) -> Self {
        Self { status, content_type: "application/json", body, allow: None }
    }

    /// `{"error": message}` with a status.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(status, &json!({ "error": message }))
    }

    /// A plain-text answer: what Teamtailor shows a recruiter when a partner
    /// answers >= 400.
    pub fn text(status: u16, message: &str) -> Self {
        Self { status, content_type: "text/plain; charset=utf-8", body: message.as_bytes().to_vec(), allow: None }
    }

    /// A body already serialised, with its media type.
    pub fn raw(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Self { status, content_type, body, allow: None }
    }

    /// 405 `{"error": "use <method>"}` with `Allow: <method>`: the path
    /// exists, but only with `method` (each route has one).
    pub fn method_not_allowed(method: &'static str) -> Self {
        Self { allow: Some(method), ..Self::error(405, &format!("use {method}")) }
    }

    /// 503 for a request that needs a setting that is missing or malformed,
    /// logged for the operator; `problem` names the setting, never its value.
    pub fn misconfigured(p: &impl crate::platform::Platform, problem: &impl std::fmt::Display) -> Self {
        p.log(&format!("misconfigured: {problem}"));
        Self::error(503, &format!("the gateway is misconfigured: {problem}"))
    }

    /// The answer for a hub's route when that hub is switched off.
    pub fn hub_not_configured(hub: crate::hub::Hub, setting: &str) -> Self {
        Self::error(404, &format!("hub not configured: {hub} is off until `{setting}` is set"))
    }
}
