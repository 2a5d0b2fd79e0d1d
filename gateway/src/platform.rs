//! What the gateway needs from its runtime, and nothing more.
//!
//! The flows are written against this trait, not against Spin, so they run
//! natively in unit tests with an in-memory fake, and moving the gateway to
//! WASI 0.3 (spin-sdk 6+) only touches `spin.rs`.

use assessio_plugin::HttpRequest;
use std::borrow::Cow;
use std::future::Future;

/// An answer from an upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body, as received.
    pub body: Vec<u8>,
}

/// The runtime's services: clock, configuration, storage, network, log.
pub trait Platform {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
    /// A configuration variable; `Ok(None)` when it is not set.
    fn variable(&self, name: &str) -> Result<Option<String>, String>;
    /// A value from the key-value store.
    fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, String>;
    /// Stores a value, durably, before returning.
    fn kv_set(&self, key: &str, value: &[u8]) -> Result<(), String>;
    /// Removes a key; removing an absent key is not an error.
    fn kv_delete(&self, key: &str) -> Result<(), String>;
    /// An identifier no other request will draw (random, for claims).
    fn unique_id(&self) -> String;
    /// Sends a request built by the connector; `Err` when no answer came
    /// (refused, timed out, not allowed by the manifest).
    fn send(&self, request: &HttpRequest) -> impl Future<Output = Result<Reply, String>>;
    /// One line for the operator's log. Callers never pass secrets or
    /// candidate data; a runtime writes it through [`one_line`].
    fn log(&self, line: &str);
}

/// `line` with every control character (newlines included) escaped as Rust
/// does (`\n`, `\u{1b}`). Log lines quote what callers sent (order ids,
/// event types), and an id with a newline would otherwise start a log line
/// of its own that reads like the gateway's, or rewrite an operator's
/// terminal; the API fuzzer's ids did both (`docs/api-fuzzing.md`).
pub fn one_line(line: &str) -> Cow<'_, str> {
    if !line.chars().any(char::is_control) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}
