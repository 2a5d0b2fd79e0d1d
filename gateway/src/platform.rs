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

/// Whether a request that failed may have reached the upstream. A send is
/// `NotSent` only when the failure proves the upstream never saw the
/// request (no route, no connection, refused by the manifest); anything
/// later (the connection dropped, no answer in time, a broken answer) may
/// have been acted on, and placing an order again after that could invite
/// the candidate twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The upstream cannot have seen the request.
    NotSent,
    /// The upstream may have received and acted on it.
    Maybe,
}

/// A request that got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Whether the upstream may have acted on it.
    pub sent: Sent,
    /// What happened, for logs and records; never a secret.
    pub message: String,
}

impl SendError {
    /// A failure before the upstream could see the request.
    pub fn not_sent(message: impl Into<String>) -> Self {
        Self { sent: Sent::NotSent, message: message.into() }
    }

    /// A failure after the upstream may have seen it.
    pub fn maybe_sent(message: impl Into<String>) -> Self {
        Self { sent: Sent::Maybe, message: message.into() }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// How long an outbound call may take, each phase on its own: connecting,
/// waiting for the first byte of the answer, and between two bytes of it.
/// Together they bound a send well under [`crate::records::IN_FLIGHT_SECONDS`],
/// so an order whose sender is still alive is never taken for abandoned.
pub const CONNECT_TIMEOUT_MS: u64 = 5_000;
/// See [`CONNECT_TIMEOUT_MS`].
pub const FIRST_BYTE_TIMEOUT_MS: u64 = 15_000;
/// See [`CONNECT_TIMEOUT_MS`].
pub const BETWEEN_BYTES_TIMEOUT_MS: u64 = 5_000;

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
    /// Adds `delta` to the counter under `key` and returns the new value, as
    /// one atomic step across every instance sharing the store
    /// (`wasi:keyvalue/atomics.increment`: Redis `INCRBY`, or one `SQLite`
    /// transaction). An absent key counts from 0. Counter keys are never
    /// read with [`Platform::kv_get`]: stores keep them in different forms.
    fn kv_increment(&self, key: &str, delta: i64) -> Result<i64, String>;
    /// Removes a key; removing an absent key is not an error.
    fn kv_delete(&self, key: &str) -> Result<(), String>;
    /// An identifier no other request will draw (random, for claims).
    fn unique_id(&self) -> String;
    /// Sends a request built by the connector, within the deadlines above;
    /// `Err` when no answer came, saying whether it may have arrived.
    fn send(&self, request: &HttpRequest) -> impl Future<Output = Result<Reply, SendError>>;
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
