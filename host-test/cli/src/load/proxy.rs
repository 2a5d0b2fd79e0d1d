//! The gateway's public address: a small forwarding proxy on loopback, as a
//! load balancer would stand in front of a real deployment.
//!
//! Two reasons to have it. The gateway's `public_url` (where Assessio sends
//! results) and Kombo's webhook URL must stay the same while the gateway
//! process is killed and started again on a new port; the proxy keeps the
//! address and forwards to whichever process runs now, answering 502 while
//! none does (what a load balancer answers with no healthy backend). And it
//! times every result webhook Assessio's simulator delivers, so the load
//! report has latencies for results as well as orders.

#![allow(clippy::cast_precision_loss)]

use assessio_simulators::http::HttpClient;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Largest body forwarded (the gateway's own limit is 4 MiB).
const MAX_BODY: usize = 4 << 20;

/// What the proxy saw for one kind of request.
#[derive(Debug, Clone, Default)]
pub struct Traffic {
    /// Answers by status (502 for "no gateway reachable").
    pub statuses: BTreeMap<u16, u64>,
    /// Latency of every forwarded request, in milliseconds, in order.
    pub latencies_ms: Vec<f64>,
}

#[derive(Debug, Default)]
struct State {
    upstream: Option<String>,
    traffic: BTreeMap<&'static str, Traffic>,
}

#[derive(Debug)]
struct Shared {
    client: HttpClient,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running proxy. Stops when dropped.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

/// The kind of request, by path: results, Kombo webhooks, the rest.
pub fn kind_of(path: &str) -> &'static str {
    if path.starts_with("/assessio/results/") {
        "results"
    } else if path == "/kombo/webhook" {
        "orders"
    } else {
        "other"
    }
}

impl Proxy {
    /// Listens on `127.0.0.1:0`, forwarding nowhere yet (502).
    pub async fn start(timeout: Duration) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared { client: HttpClient::new(timeout), state: Mutex::new(State::default()) });
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopped));
        Ok(Self { addr, shared, stop })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Forwards to `upstream` (`http://127.0.0.1:<port>`) from now on, or
    /// nowhere (502) with `None`.
    pub fn set_upstream(&self, upstream: Option<String>) {
        self.shared.lock().upstream = upstream;
    }

    /// What was seen so far for one kind (`results`, `orders`, `other`).
    pub fn traffic(&self, kind: &str) -> Traffic {
        self.shared.lock().traffic.get(kind).cloned().unwrap_or_default()
    }

    /// Stops accepting and closes every connection. Also done on drop.
    pub fn shutdown(&self) {
        self.stop.send_replace(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stopped: watch::Receiver<bool>) {
    loop {
        let mut stop = stopped.clone();
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        let shared = Arc::clone(&shared);
        let mut conn_stop = stopped.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| forward(Arc::clone(&shared), req));
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = conn_stop.wait_for(|s| *s) => {}
            }
        });
    }
}

fn answer(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

async fn forward(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let started = Instant::now();
    let kind = kind_of(req.uri().path());
    let target = req.uri().path_and_query().map_or_else(|| "/".to_owned(), ToString::to_string);
    let (parts, body) = req.into_parts();
    let Ok(body) = Limited::new(body, MAX_BODY).collect().await.map(http_body_util::Collected::to_bytes) else {
        return Ok(answer(StatusCode::BAD_REQUEST, "the request body could not be read"));
    };
    let upstream = shared.lock().upstream.clone();
    let response = match upstream {
        None => answer(StatusCode::BAD_GATEWAY, "no gateway is running"),
        Some(base) => {
            let headers: Vec<(String, String)> = parts
                .headers
                .iter()
                .filter(|(name, _)| !matches!(name.as_str(), "host" | "connection" | "content-length"))
                .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
                .collect();
            let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            match shared.client.request(parts.method, &format!("{base}{target}"), &headers, body).await {
                Ok(r) => {
                    let mut response =
                        answer(StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY), r.body);
                    if let Some(ct) = r.headers.get(http::header::CONTENT_TYPE) {
                        response.headers_mut().insert(http::header::CONTENT_TYPE, ct.clone());
                    }
                    response
                }
                Err(e) => answer(StatusCode::BAD_GATEWAY, format!("the gateway did not answer: {e}")),
            }
        }
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut state = shared.lock();
    let traffic = state.traffic.entry(kind).or_default();
    *traffic.statuses.entry(response.status().as_u16()).or_default() += 1;
    traffic.latencies_ms.push(ms);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_path() {
        assert_eq!(kind_of("/assessio/results/r-1"), "results");
        assert_eq!(kind_of("/kombo/webhook"), "orders");
        assert_eq!(kind_of("/kombo/reconcile"), "other");
    }
}
