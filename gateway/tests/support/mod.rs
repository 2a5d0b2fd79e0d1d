//! An in-memory platform for the gateway's native tests: variables, a
//! key-value map, a settable clock, a scripted upstream, captured requests
//! and log lines. Shared by `flows.rs` and `openapi.rs`.

#![allow(dead_code)] // Each test file uses its own part of this.

use assessio_gateway::platform::{Platform, Reply, SendError};
use assessio_plugin::HttpRequest;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// The fixed "now" of every test, unless a test moves the clock.
pub const NOW: i64 = 1_700_000_000;

/// How a scripted upstream error says the request may have arrived (the
/// connection dropped after sending, no answer in time).
pub const MAYBE_SENT: &str = "maybe sent: ";

/// What the scripted upstream answers a request with.
pub type Upstream = Box<dyn Fn(&HttpRequest) -> Result<Reply, String>>;

/// The platform.
pub struct Memory {
    pub vars: BTreeMap<String, String>,
    pub kv: Rc<RefCell<BTreeMap<String, Vec<u8>>>>,
    pub sent: RefCell<Vec<HttpRequest>>,
    pub logs: RefCell<Vec<String>>,
    pub upstream: RefCell<Upstream>,
    pub clock: Cell<i64>,
    /// Every setting read, in order: each read is a host call.
    pub reads: RefCell<Vec<String>>,
    ids: Cell<u64>,
}

impl Memory {
    /// These variables; every upstream answers 200 `"ok"` until scripted.
    pub fn new<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        Self {
            vars: vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
            kv: Rc::default(),
            sent: RefCell::default(),
            logs: RefCell::default(),
            upstream: RefCell::new(Box::new(|_| Ok(Reply { status: 200, body: b"\"ok\"".to_vec() }))),
            clock: Cell::new(NOW),
            reads: RefCell::default(),
            ids: Cell::new(0),
        }
    }

    /// These variables, and no network: every send is refused.
    pub fn offline<K: Into<String>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        let m = Self::new(vars);
        *m.upstream.borrow_mut() = Box::new(|_| Err("connection refused".to_string()));
        m
    }
}

impl Platform for Memory {
    fn now(&self) -> i64 {
        self.clock.get()
    }
    fn variable(&self, name: &str) -> Result<Option<String>, String> {
        self.reads.borrow_mut().push(name.to_string());
        Ok(self.vars.get(name).cloned())
    }
    fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.kv.borrow().get(key).cloned())
    }
    fn kv_set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.kv.borrow_mut().insert(key.into(), value.to_vec());
        Ok(())
    }
    fn kv_delete(&self, key: &str) -> Result<(), String> {
        self.kv.borrow_mut().remove(key);
        Ok(())
    }
    /// Kept as Spin's `SQLite` store keeps counters: eight bytes, little-endian.
    fn kv_increment(&self, key: &str, delta: i64) -> Result<i64, String> {
        let mut kv = self.kv.borrow_mut();
        let current = match kv.get(key) {
            None => 0,
            Some(v) => {
                i64::from_le_bytes(<[u8; 8]>::try_from(v.as_slice()).map_err(|_| format!("`{key}` is not a counter"))?)
            }
        };
        let next = current + delta;
        kv.insert(key.into(), next.to_le_bytes().to_vec());
        Ok(next)
    }
    fn unique_id(&self) -> String {
        self.ids.set(self.ids.get() + 1);
        format!("id-{}", self.ids.get())
    }
    /// An upstream error starting with [`MAYBE_SENT`] stands for a failure
    /// after the request may have arrived; any other, one before.
    async fn send(&self, request: &HttpRequest) -> Result<Reply, SendError> {
        self.sent.borrow_mut().push(request.clone());
        (self.upstream.borrow())(request)
            .map_err(|e| if e.starts_with(MAYBE_SENT) { SendError::maybe_sent(e) } else { SendError::not_sent(e) })
    }
    fn log(&self, line: &str) {
        self.logs.borrow_mut().push(line.into());
    }
}

/// Runs a future that never waits (the platform answers at once).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the in-memory platform never waits"),
    }
}

/// A request as the router sees it; `target` may carry a query.
pub fn incoming(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> assessio_gateway::reply::Incoming {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    assessio_gateway::reply::Incoming {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_string())).collect(),
        body: body.to_vec(),
    }
}

/// An answer's body as text.
pub fn text(o: &assessio_gateway::reply::Outgoing) -> String {
    String::from_utf8_lossy(&o.body).into_owned()
}

impl Memory {
    /// Answers one request through the router.
    pub fn call(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> assessio_gateway::reply::Outgoing {
        block_on(assessio_gateway::routes::handle(self, &incoming(method, target, headers, body)))
    }

    /// Scripts the upstream.
    pub fn script(&self, f: impl Fn(&HttpRequest) -> Result<Reply, String> + 'static) {
        *self.upstream.borrow_mut() = Box::new(f);
    }

    /// The requests sent so far whose URL contains `part`.
    pub fn sent_to(&self, part: &str) -> Vec<HttpRequest> {
        self.sent.borrow().iter().filter(|r| r.url.contains(part)).cloned().collect()
    }

    /// Everything in the key-value store, keys and values, as one text.
    pub fn store_text(&self) -> String {
        self.kv.borrow().iter().fold(String::new(), |mut out, (k, v)| {
            let _ = writeln!(out, "{k}={}", String::from_utf8_lossy(v));
            out
        })
    }

    /// The store's keys.
    pub fn keys(&self) -> Vec<String> {
        self.kv.borrow().keys().cloned().collect()
    }
}

/// A reply with this status and body, as a scripted upstream returns it.
#[allow(clippy::unnecessary_wraps)] // The upstream's type: `Err` is "no answer".
pub fn reply(status: u16, body: &str) -> Result<Reply, String> {
    Ok(Reply { status, body: body.as_bytes().to_vec() })
}

/// Assessio's result webhook body for `result_id`: the seed's scores and both links.
pub fn result_body(result_id: &str) -> Vec<u8> {
    serde_json::json!({
        "resultId": result_id, "score": 71,
        "subscores": {"Driving Leadership": 73, "Influencing & Inspiring": 68},
        "recruitmentUrl": "https://app.assessio.online/r/1",
        "assessmentReportUrl": "https://app.assessio.online/rep/2",
    })
    .to_string()
    .into_bytes()
}

/// Lower-case hex, as Teamtailor writes a signature.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
