//! The Spin glue: the only file that knows about spin-sdk.
//!
//! It maps Spin's request and response types to the gateway's own, and
//! implements [`Platform`] with Spin's variables, default key-value store,
//! outbound HTTP and stdout (Spin's component log).

// `#[http_component]` expands to the component's export, which is unsafe glue
// (and trips clippy's raw-parts lint inside spin-sdk's macro).
#![allow(unsafe_code, clippy::same_length_and_capacity)]

use crate::platform::{Platform, Reply, SendError};
use crate::reply::Incoming;
use assessio_plugin::HttpRequest;
use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;
use std::cell::OnceCell;

mod outbound;

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

#[http_component]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let spin = Spin { store: OnceCell::new(), bucket: OnceCell::new() };
    let incoming = Incoming {
        method: req.method().to_string().to_uppercase(),
        path: req.path().to_string(),
        query: req.query().to_string(),
        headers: req
            .headers()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        body: req.into_body(),
    };
    let out = crate::routes::handle(&spin, &incoming).await;
    let mut response = Response::builder();
    // The length up front: the answer leaves in one write with
    // `Content-Length`, not as chunks.
    response
        .status(out.status)
        .header("content-type", out.content_type)
        .header("content-length", out.body.len().to_string());
    if let Some(methods) = out.allow {
        response.header("allow", methods);
    }
    Ok(response.body(out.body).build())
}
