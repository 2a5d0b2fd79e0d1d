//! The Spin glue: the only file that knows about spin-sdk.
//!
//! It maps Spin's request and response types to the gateway's own, and
//! implements [`Platform`] with Spin's variables, default key-value store,
//! outbound HTTP and stdout (Spin's component log).

// `#[http_component]` expands to the component's export, which is unsafe glue
// (and trips clippy's raw-parts lint inside spin-sdk's macro).
#![allow(unsafe_code, clippy::same_length_and_capacity)]

use crate::platform::{Platform, Reply, SendError};
use crate::reply::{Incoming, Outgoing};
use crate::routes::{MAX_BODY, too_large};
use assessio_plugin::HttpRequest;
use spin_sdk::http::{Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;
use std::cell::OnceCell;

mod outbound;
mod stream;

struct Spin {
    store: OnceCell<Result<Store, String>>,
    /// The same `default` store through `wasi:keyvalue`, for its atomics.
    bucket: OnceCell<Result<spin_sdk::wit::wasi::keyvalue::store::Bucket, String>>,
}

impl Spin {
    fn store(&self) -> Result<&Store, String> {
        self.store
            .get_or_init(|| Store::open_default().map_err(|e| format!("key-value store: {e}")))
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl Platform for Spin {
    fn now(&self) -> i64 {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
    }

    fn variable(&self, name: &str) -> Result<Option<String>, String> {
        match spin_sdk::variables::get(name) {
            Ok(v) => Ok(Some(v)),
            Err(spin_sdk::variables::Error::Undefined(_)) => Ok(None),
            Err(e) => Err(format!("variable `{name}`: {e}")),
        }
    }

    fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.store()?.get(key).map_err(|e| format!("key-value get: {e}"))
    }

    fn kv_set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.store()?.set(key, value).map_err(|e| format!("key-value set: {e}"))
    }

    fn kv_delete(&self, key: &str) -> Result<(), String> {
        self.store()?.delete(key).map_err(|e| format!("key-value delete: {e}"))
    }

    fn kv_increment(&self, key: &str, delta: i64) -> Result<i64, String> {
        use spin_sdk::wit::wasi::keyvalue::{atomics, store};
        let bucket = self
            .bucket
            .get_or_init(|| store::open("default").map_err(|e| format!("key-value store: {e:?}")))
            .as_ref()
            .map_err(Clone::clone)?;
        atomics::increment(bucket, key, delta).map_err(|e| format!("key-value increment: {e:?}"))
    }

    fn unique_id(&self) -> String {
        use std::hash::{BuildHasher as _, Hasher as _};
        // std seeds `RandomState` from `wasi:random`, which Spin provides.
        let a = std::collections::hash_map::RandomState::new().build_hasher().finish();
        let b = std::collections::hash_map::RandomState::new().build_hasher().finish();
        format!("{a:016x}{b:016x}")
    }

    async fn send(&self, request: &HttpRequest) -> Result<Reply, SendError> {
        outbound::send(request)
    }

    fn log(&self, line: &str) {
        println!("{}", crate::platform::one_line(line));
    }
}

/// Reads the request, refusing a body over [`MAX_BODY`] before it is
/// buffered: at once when `Content-Length` says so, else as soon as the
/// stream passes the limit. (spin-sdk's `Request` would buffer any body
/// whole first, and Spin itself sets no limit.)
fn read_request(req: &IncomingRequest) -> Result<Incoming, Outgoing> {
    let method = match req.method() {
        Method::Get => "GET".to_string(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other.to_uppercase(),
    };
    let target = req.path_with_query().unwrap_or_else(|| "/".into());
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let headers: Vec<(String, String)> = req
        .headers()
        .entries()
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), String::from_utf8(v).unwrap_or_default()))
        .collect();
    let declared = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let body = req.consume().map_err(|()| Outgoing::error(400, "the request body could not be read"))?;
    let stream = body.stream().map_err(|()| Outgoing::error(400, "the request body could not be read"))?;
    let bytes = match stream::read_capped(&stream, MAX_BODY) {
        Ok(bytes) => bytes,
        Err(stream::ReadError::TooLarge) => return Err(too_large()),
        Err(stream::ReadError::Broken(_)) => return Err(Outgoing::error(400, "the request body broke off")),
    };
    Ok(Incoming { method, path: path.to_string(), query: query.to_string(), headers, body: bytes })
}

/// Sends the answer in one piece, with its length up front (`Content-Length`,
/// not chunks).
fn respond(out: ResponseOutparam, answer: &Outgoing) {
    let mut headers = vec![
        ("content-type".to_string(), answer.content_type.as_bytes().to_vec()),
        ("content-length".to_string(), answer.body.len().to_string().into_bytes()),
    ];
    if let Some(methods) = answer.allow {
        headers.push(("allow".into(), methods.as_bytes().to_vec()));
    }
    let fields = match Fields::from_list(&headers) {
        Ok(f) => f,
        Err(e) => return eprintln!("the answer's headers were refused: {e:?}"),
    };
    let response = OutgoingResponse::new(fields);
    if response.set_status_code(answer.status).is_err() {
        return eprintln!("the answer's status {} was refused", answer.status);
    }
    // The body goes into the runtime's buffer before the response is handed
    // over, finished, so the server has head and body together and can send
    // them in one segment. Handed over first, the head left alone and the
    // body after it, and on a keep-alive connection without TCP_NODELAY
    // (Spin's HTTP server sets none) the body then waited for the client's
    // delayed ACK: about 40 ms a request (docs/performance.md).
    let Ok(body) = response.body() else {
        return eprintln!("the answer's body could not be opened");
    };
    let Ok(stream) = body.write() else {
        return eprintln!("the answer's body stream could not be opened");
    };
    let at_once = stream.check_write().is_ok_and(|budget| budget >= answer.body.len() as u64);
    if at_once && stream.write(&answer.body).is_ok() {
        drop(stream);
        if let Err(e) = OutgoingBody::finish(body, None) {
            return eprintln!("the answer's body could not be finished: {e:?}");
        }
        out.set(response);
        return;
    }
    // Larger than the runtime buffers at once: the head first, then the
    // body in the sizes a blocking write takes.
    out.set(response);
    for chunk in answer.body.chunks(4096) {
        if let Err(e) = stream.blocking_write_and_flush(chunk) {
            return eprintln!("the answer could not be sent: {e:?}");
        }
    }
    drop(stream);
    if let Err(e) = OutgoingBody::finish(body, None) {
        eprintln!("the answer's body could not be finished: {e:?}");
    }
}

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let spin = Spin { store: OnceCell::new(), bucket: OnceCell::new() };
    let answer = match read_request(&req) {
        Ok(incoming) => crate::routes::handle(&spin, &incoming).await,
        Err(refusal) => refusal,
    };
    respond(out, &answer);
}
