//! Serving the app over HTTP/1.1, the way `spin up` and `wasmtime serve` do.
//!
//! One accept loop on the caller's listener; one task per connection (hyper
//! http1, keep-alive); per request: answer `/.well-known/spin/` (`health`,
//! `info`), route (404 with an empty body), settle the authority from `Host`
//! as Spin does, refuse an oversized body with 413, add Spin's `spin-*`
//! headers, then a fresh store and instance from the
//! component's `ProxyPre` run `wasi:http/incoming-handler` in a task of
//! their own, so the guest can keep streaming the body after the head is
//! sent. A guest that traps, runs past the deadline, hits the memory cap, or
//! returns without a response gets a 500 with an empty body, as in Spin, and
//! the reason goes to the host log; nothing a guest does stops the server.
//! [`ServerHandle::shutdown`] (or dropping the handle) stops the accept loop
//! and every connection.
//!
//! Where a request's authority cannot be settled (no `Host` and no
//! absolute-form target, a `Host` that is no authority, or one that
//! contradicts the target's), Spin's handler fails before any response
//! exists and hyper closes the connection without answering; this host does
//! the same ([`Refused`]), since a client or hub that retries on a dropped
//! connection but not on a 400 would behave differently otherwise. A header
//! value that is not UTF-8 makes Spin fail the request while preparing it
//! for the guest: a 500 with an empty body, here too.

use crate::SpinApp;
use crate::log::AppLog;
use crate::routes::RouteMatch;
use crate::state::{ComponentRuntime, RequestState};
use bytes::Bytes;
use component_sandbox::deadline_ticks;
use http::uri::Authority;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::{AbortHandle, JoinHandle, JoinSet};
use wasmtime::Store;
use wasmtime_wasi_http::WasiHttpView as _;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// Spin's reserved path prefix; `health` answers `OK`.
const WELL_KNOWN: &str = "/.well-known/spin/";

/// Why a request was dropped without an answer: the connection is closed,
/// as Spin's hyper server does when its handler fails before a response.
#[derive(Debug)]
pub struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request refused without an answer: {}", self.0)
    }
}

impl std::error::Error for Refused {}

/// Why a request got a 500 instead of the guest's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestFailure {
    /// The request ran past `RequestLimits::deadline`.
    Timeout,
    /// The guest tried to grow its memory past `RequestLimits::memory_bytes`.
    OutOfMemory,
    /// The guest trapped for another reason, or could not be instantiated.
    Trap(String),
    /// The guest returned (or set an error) without a response.
    NoResponse(String),
    /// The request could not be handed to the guest (a header value that is
    /// not UTF-8); the guest did not run.
    Unprepared(String),
}

impl fmt::Display for RequestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("the component ran past its deadline and was stopped"),
            Self::OutOfMemory => f.write_str("the component needed more than its memory limit and was stopped"),
            Self::Trap(why) => write!(f, "the component trapped: {why}"),
            Self::NoResponse(why) => write!(f, "the component produced no response: {why}"),
            Self::Unprepared(why) => write!(f, "the request could not be given to the component: {why}"),
        }
    }
}

impl std::error::Error for RequestFailure {}

/// A running server.
pub struct ServerHandle {
    addr: SocketAddr,
    log: AppLog,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The app's log (guest stdout and stderr, host messages).
    pub fn log(&self) -> AppLog {
        self.log.clone()
    }

    /// Stops accepting, closes every connection (aborting requests in
    /// flight), and waits until the accept loop has ended.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    /// A forgotten handle still stops the server.
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl SpinApp {
    /// Serves the app on `listener` until the handle is shut down or
    /// dropped. Must be called within a tokio runtime.
    pub fn serve(self, listener: TcpListener) -> anyhow::Result<ServerHandle> {
        let addr = listener.local_addr()?;
        let log = self.log();
        let (stop, stopped) = watch::channel(false);
        let server = Arc::new(Server { app: self, addr });
        let task = tokio::spawn(accept_loop(server, listener, stopped));
        Ok(ServerHandle { addr, log, stop, task: Some(task) })
    }

    /// Serves the app on `127.0.0.1` at a port the OS chooses.
    pub async fn serve_loopback(self) -> anyhow::Result<ServerHandle> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        self.serve(listener)
    }
}

struct Server {
    app: SpinApp,
    addr: SocketAddr,
}

async fn accept_loop(server: Arc<Server>, listener: TcpListener, mut stopped: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, client)) => {
                    // An answer written in more than one segment must not wait
                    // for the client's delayed ACK (Nagle): on a keep-alive
                    // connection that wait is tens of milliseconds per request.
                    let _ = stream.set_nodelay(true);
                    let server = Arc::clone(&server);
                    connections.spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let server = Arc::clone(&server);
                            async move {
                                let answer = Arc::clone(&server).handle(req, client).await;
                                if let Err(refused) = &answer {
                                    server.app.log.host(&server.app.name, refused.to_string());
                                }
                                answer
                            }
                        });
                        // A client that hangs up mid-request is not the app's problem.
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                Err(e) => {
                    server.app.log.host(&server.app.name, format!("accepting a connection failed: {e}"));
                    // E.g. out of file descriptors: do not spin on the error.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
        }
    }
    connections.shutdown().await;
}

/// A response the host makes itself.
fn plain(status: StatusCode, body: &'static str) -> Response<HyperOutgoingBody> {
    let mut response =
        Response::new(Full::new(Bytes::from_static(body.as_bytes())).map_err(|e| match e {}).boxed_unsync());
    *response.status_mut() = status;
    response
}

fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers.get(http::header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

impl Server {
    async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        client: SocketAddr,
    ) -> Result<Response<HyperOutgoingBody>, Refused> {
        let path = req.uri().path().to_string();
        if let Some(rest) = path.strip_prefix(WELL_KNOWN) {
            return Ok(match rest {
                "health" => plain(StatusCode::OK, "OK"),
                "info" => self.app_info(),
                _ => plain(StatusCode::NOT_FOUND, ""),
            });
        }
        let Some(route) = self.app.router.route(&path) else {
            return Ok(plain(StatusCode::NOT_FOUND, ""));
        };
        let authority = request_authority(&req)?;
        let component = Arc::clone(&self.app.targets[route.index]);

        let max = self.app.limits.max_body_bytes;
        let (mut parts, body) = req.into_parts();
        if content_length(&parts.headers).is_some_and(|n| n > max as u64) {
            return Ok(self.too_large(&component));
        }
        let body = match Limited::new(body, max).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return Ok(self.too_large(&component)),
            Err(_) => return Ok(plain(StatusCode::BAD_REQUEST, "the request body could not be read\n")),
        };
        if let Err(why) = prepare_request(&mut parts, &route, client, authority) {
            log_failure(&self.app.log, &component.id, &RequestFailure::Unprepared(why));
            return Ok(plain(StatusCode::INTERNAL_SERVER_ERROR, ""));
        }
        Ok(self.run_guest(component, Request::from_parts(parts, Full::new(body))).await)
    }

    /// `/.well-known/spin/info`: the app's name and version, as Spin's
    /// pretty-printed JSON.
    fn app_info(&self) -> Response<HyperOutgoingBody> {
        let mut info = serde_json::Map::new();
        info.insert("name".into(), self.app.name.clone().into());
        if let Some(version) = &self.app.version {
            info.insert("version".into(), version.clone().into());
        }
        let body = serde_json::to_vec_pretty(&info).unwrap_or_default();
        let mut response = Response::new(Full::new(Bytes::from(body)).map_err(|e| match e {}).boxed_unsync());
        response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }

    fn too_large(&self, component: &ComponentRuntime) -> Response<HyperOutgoingBody> {
        let max = self.app.limits.max_body_bytes;
        self.app.log.host(&component.id, format!("request body over the limit of {max} bytes; answered 413"));
        plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n")
    }

    async fn run_guest(
        &self,
        component: Arc<ComponentRuntime>,
        req: Request<Full<Bytes>>,
    ) -> Response<HyperOutgoingBody> {
        let limits = self.app.limits;
        let log = self.app.log.clone();
        let mut store =
            Store::new(&self.app.engine, RequestState::new(&component, &log, limits.memory_bytes, self.addr));
        store.limiter(|state| &mut state.guard);
        store.set_epoch_deadline(deadline_ticks(limits.deadline));
        store.epoch_deadline_trap();

        let (sender, receiver) = oneshot::channel();
        let prepared = store.data_mut().http().new_incoming_request(Scheme::Http, req).and_then(|req| {
            let out = store.data_mut().http().new_response_outparam(sender)?;
            Ok((req, out))
        });
        let (req, out) = match prepared {
            Ok(prepared) => prepared,
            Err(e) => {
                log_failure(&log, &component.id, &RequestFailure::Trap(format!("{e:#}")));
                return plain(StatusCode::INTERNAL_SERVER_ERROR, "");
            }
        };

        let outer_id = Arc::clone(&component.id);
        let id = Arc::clone(&component.id);
        let task = tokio::spawn(async move {
            let outcome = tokio::time::timeout(limits.deadline, async {
                let proxy = component.pre.instantiate_async(&mut store).await?;
                proxy.wasi_http_incoming_handler().call_handle(&mut store, req, out).await
            })
            .await;
            let failure = match outcome {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(classify(&store, &e)),
                Err(_) => Some(RequestFailure::Timeout),
            };
            if let Some(failure) = &failure {
                log_failure(&log, &id, failure);
            }
            failure
        });
        // As Spin does: a client that leaves before the response is set does
        // not stop the guest (its task is detached and runs to completion or
        // its deadline, so work it began, such as an order already sent
        // upstream, is recorded); once a response is out, the guest lives as
        // long as hyper holds its body, and is aborted when the body is
        // dropped (sent, or the client went away).
        let abort = task.abort_handle();

        match receiver.await {
            Ok(Ok(response)) => {
                let guard = AbortOnDrop(abort);
                response.map(|body| GuestBody { body, _task: guard }.boxed_unsync())
            }
            Ok(Err(code)) => {
                log_failure(
                    &self.app.log,
                    &outer_id,
                    &RequestFailure::NoResponse(format!("it set the error {code:?}")),
                );
                plain(StatusCode::INTERNAL_SERVER_ERROR, "")
            }
            Err(_) => {
                // No response was set: wait for the guest so its failure is
                // logged before the 500 goes out.
                match task.await {
                    Ok(Some(_)) => {}
                    Ok(None) => log_failure(
                        &self.app.log,
                        &outer_id,
                        &RequestFailure::NoResponse("it returned without setting one".into()),
                    ),
                    Err(e) => {
                        log_failure(&self.app.log, &outer_id, &RequestFailure::Trap(format!("the task failed: {e}")));
                    }
                }
                plain(StatusCode::INTERNAL_SERVER_ERROR, "")
            }
        }
    }
}

/// Spin's words for a request that got a 500.
fn log_failure(log: &AppLog, component: &str, failure: &RequestFailure) {
    log.host(component, format!("Error processing request: {failure}"));
}

/// Names the limit that stopped a guest, or passes the trap on: an
/// interrupt is the deadline; a trap after a refused growth is the memory
/// cap (the guest's allocator aborts when it gets no memory).
fn classify(store: &Store<RequestState>, err: &wasmtime::Error) -> RequestFailure {
    if matches!(err.downcast_ref::<wasmtime::Trap>(), Some(wasmtime::Trap::Interrupt)) {
        return RequestFailure::Timeout;
    }
    if store.data().guard.refused_memory() {
        return RequestFailure::OutOfMemory;
    }
    RequestFailure::Trap(format!("{err:#}"))
}

/// The request's authority as Spin settles it: the `Host` header's, or the
/// absolute-form target's when there is no `Host`; both present and
/// different, or neither, or a `Host` that is not an authority, and Spin
/// drops the request without an answer.
fn request_authority(req: &Request<Incoming>) -> Result<Authority, Refused> {
    let from_header = req
        .headers()
        .get(http::header::HOST)
        .map(|h| {
            h.to_str()
                .ok()
                .and_then(|h| h.parse::<Authority>().ok())
                .ok_or_else(|| Refused("the 'Host' header is not a valid authority".into()))
        })
        .transpose()?;
    match (from_header, req.uri().authority()) {
        (None, None) => Err(Refused("no 'Host' header and no authority in the request target".into())),
        (None, Some(target)) => Ok(target.clone()),
        (Some(host), None) => Ok(host),
        (Some(host), Some(target)) if &host == target => Ok(host),
        (Some(_), Some(_)) => Err(Refused("the 'Host' header does not match the request target's authority".into())),
    }
}

/// Prepares the request as Spin's WASI HTTP executor does: the URI becomes
/// `http://<authority><path>`; `Connection` goes; every header value must
/// be UTF-8 (else the request fails with a 500, as in Spin); and Spin's
/// `spin-*` headers are appended after the client's, so a client that sends
/// its own `spin-path-info` leaves both values for the guest to see, as
/// Spin does. `spin-full-url` names the `Host` header's value, or
/// `localhost` without one (an absolute-form target and no `Host`).
fn prepare_request(
    parts: &mut http::request::Parts,
    route: &RouteMatch,
    client: SocketAddr,
    authority: Authority,
) -> Result<(), String> {
    parts.headers.remove(http::header::CONNECTION);
    for (name, value) in &parts.headers {
        if let Err(e) = std::str::from_utf8(value.as_bytes()) {
            return Err(format!("the value of the header {name:?} is not UTF-8 ({e})"));
        }
    }
    let path_and_query = parts.uri.path_and_query().map_or("/", http::uri::PathAndQuery::as_str).to_string();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| std::str::from_utf8(h.as_bytes()).ok())
        .unwrap_or("localhost")
        .to_string();
    parts.uri = http::Uri::builder()
        .scheme("http")
        .authority(authority)
        .path_and_query(path_and_query.as_str())
        .build()
        .map_err(|e| format!("the request's URI could not be rebuilt: {e}"))?;
    let mut spin_headers = vec![
        ("spin-path-info", route.path_info.clone()),
        ("spin-full-url", format!("http://{host}{path_and_query}")),
        ("spin-matched-route", route.raw_route.clone()),
        ("spin-base-path", "/".to_string()),
        ("spin-raw-component-route", route.raw_route.clone()),
        ("spin-component-route", route.component_route.clone()),
        ("spin-client-addr", client.to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect::<Vec<_>>();
    for (name, value) in &route.named {
        spin_headers.push((format!("spin-path-match-{}", name.to_ascii_lowercase()), value.clone()));
    }
    for (name, value) in spin_headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            parts.headers.append(name, value);
        }
    }
    Ok(())
}

/// Aborts the guest's task when hyper is done with the response body (sent,
/// or the client went away), as Spin does.
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct GuestBody {
    body: HyperOutgoingBody,
    _task: AbortOnDrop,
}

impl Body for GuestBody {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
