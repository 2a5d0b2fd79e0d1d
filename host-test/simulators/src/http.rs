//! The plumbing the simulators share: a small HTTP/1 server on an OS-chosen
//! loopback port that stops by itself, and a plain-HTTP client with a timeout
//! for what the simulated vendors send out (result deliveries, webhooks).
//!
//! The server reads each request's body completely before the handler sees
//! it, because both vendors' logic needs the raw bytes (Assessio verifies a
//! signature over them). Handlers are synchronous: everything a simulator does
//! to answer is bookkeeping under a lock; slow or broken behaviour comes from
//! the [`Faults`] layer, which runs before the handler (and, for the faults
//! that lose an answer after the work was done, after it too).
//!
//! It is also where bodies meet the vendors' published schemas
//! ([`SCHEMA_ROUTES`]): one choke point each way, so no simulator's own logic
//! has to remember to check. A body the connector sends to a documented route
//! is checked before the handler runs and refused with 400 if the document
//! forbids it ([`SchemaRefusal`]); a body a simulator sends is checked before
//! it leaves, and one that fails is a panic, because then the simulator
//! itself has drifted from the document and every test built on it is moot.

use crate::faults::{FaultAction, Faults};
use crate::schema::{self, Schema};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Largest request or response body either side reads; a simulator has no
/// business with more, and a bug that sends more should fail loudly.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Which vendor a [`Server`] or an [`HttpClient`] plays: what decides which
/// rows of [`SCHEMA_ROUTES`] apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Simulator {
    /// Assessio's Recruitment API ([`crate::assessio`]).
    Assessio,
    /// Kombo's unified ATS-assessment API ([`crate::kombo`]).
    Kombo,
    /// Teamtailor's partner API ([`crate::teamtailor`]).
    Teamtailor,
    /// `StackOne`'s unified ATS API ([`crate::stackone`]).
    StackOne,
}

impl fmt::Display for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Assessio => "Assessio",
            Self::Kombo => "Kombo",
            Self::Teamtailor => "Teamtailor",
            Self::StackOne => "StackOne",
        })
    }
}

/// Which body of an exchange a [`SchemaRoute`] checks, seen from the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The body of a request the simulator's server receives: what the
    /// connector wrote. One that fails is refused with 400.
    Receives,
    /// The body of a request the simulator's client sends (its webhooks):
    /// what the vendor writes. One that fails is the simulator's bug: a panic.
    Sends,
    /// The body of a 2xx answer the simulator's client reads: what the
    /// connector answered. One that fails is [`ClientError::OffSchema`].
    Reads,
}

/// One row of [`SCHEMA_ROUTES`].
#[derive(Debug, Clone, Copy)]
pub struct SchemaRoute {
    /// Whose route.
    pub simulator: Simulator,
    /// Which body.
    pub direction: Direction,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path: `/`-separated literal segments, `{name}` for any one
    /// non-empty segment, and a leading `**` for any prefix (an outbound
    /// call's path is the connector's, configured by the test, so only its
    /// end, if anything, is the vendor's).
    pub path: &'static str,
    /// The schema the body must match.
    pub schema: Schema,
}

const fn row(
    simulator: Simulator,
    direction: Direction,
    method: &'static str,
    path: &'static str,
    schema: Schema,
) -> SchemaRoute {
    SchemaRoute { simulator, direction, method, path, schema }
}

/// Which vendor schema each documented exchange's body must match. The first
/// matching row wins, so a new outbound call of a simulator (whose URL the
/// test chooses) goes above that simulator's `**` row.
///
/// Only the routes whose bodies the documents describe are listed: bodiless
/// GETs have nothing to check, and the answers the simulators themselves give
/// are built by the handlers, which tests compare with the schemas directly.
pub const SCHEMA_ROUTES: &[SchemaRoute] = {
    use Direction::{Reads, Receives, Sends};
    use Simulator::{Assessio, Kombo, StackOne, Teamtailor};
    &[
        row(Assessio, Receives, "POST", "/recruitment/v1/assessment-order", Schema::AssessioOrderRequest),
        row(Assessio, Receives, "POST", "/recruitment/v1/assessment-order-link", Schema::AssessioOrderRequest),
        row(Assessio, Sends, "POST", "**", Schema::AssessioResultWebhook),
        row(Kombo, Receives, "PUT", "/v1/assessment/packages", Schema::KomboPutPackagesRequest),
        row(Kombo, Receives, "PUT", "/v1/assessment/orders/{id}/result", Schema::KomboPutOrderResultRequest),
        row(Kombo, Sends, "POST", "**", Schema::KomboOrderReceivedWebhook),
        row(Teamtailor, Receives, "PUT", "/partner/v1/partner-results/{id}", Schema::TeamtailorPartnerResultUpdate),
        row(Teamtailor, Sends, "POST", "**", Schema::TeamtailorPartnerEvent),
        row(Teamtailor, Reads, "GET", "**/config", Schema::TeamtailorConfigResponse),
        row(
            StackOne,
            Receives,
            "PATCH",
            "/unified/ats/assessments/orders/{id}/result",
            Schema::StackOneAssessmentResultRequest,
        ),
        row(StackOne, Sends, "POST", "**/packages", Schema::StackOnePackagesRequest),
        row(StackOne, Reads, "POST", "**/packages", Schema::StackOnePackagesResponse),
        row(StackOne, Sends, "POST", "**", Schema::StackOneWebhookEvent),
    ]
};

/// The schema a body of `simulator`'s exchange `method path` must match, if
/// the table has one.
pub fn schema_for(simulator: Simulator, direction: Direction, method: &Method, path: &str) -> Option<Schema> {
    SCHEMA_ROUTES
        .iter()
        .find(|r| {
            r.simulator == simulator
                && r.direction == direction
                && r.method == method.as_str()
                && path_matches(r.path, path)
        })
        .map(|r| r.schema)
}

/// Whether `path` matches `pattern` (see [`SchemaRoute::path`]).
fn path_matches(pattern: &str, path: &str) -> bool {
    let path: Vec<&str> = path.split('/').collect();
    let (pattern, anchored) = match pattern.strip_prefix("**") {
        Some(rest) => (rest.trim_start_matches('/'), false),
        None => (pattern, true),
    };
    if pattern.is_empty() {
        return !anchored || path.is_empty();
    }
    let pattern: Vec<&str> = pattern.split('/').collect();
    if path.len() < pattern.len() || (anchored && path.len() != pattern.len()) {
        return false;
    }
    let tail = &path[path.len() - pattern.len()..];
    pattern
        .iter()
        .zip(tail)
        .all(|(want, got)| if want.starts_with('{') && want.ends_with('}') { !got.is_empty() } else { want == got })
}

/// A body a simulator refused because the vendor's schema forbids it: kept
/// (see [`Server::schema_refusals`]) so a test can say which field of what
/// the connector sent the document does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRefusal {
    /// The simulator that refused it.
    pub simulator: Simulator,
    /// The request's method.
    pub method: String,
    /// The request's path and query.
    pub target: String,
    /// The schema it failed.
    pub schema: Schema,
    /// One `<JSON pointer>: <message>` per violation.
    pub errors: Vec<String>,
    /// The body as received.
    pub body: Bytes,
}

impl fmt::Display for SchemaRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} simulator refused {} {}: the body does not match {}: {}",
            self.simulator,
            self.method,
            self.target,
            self.schema,
            self.errors.join("; ")
        )
    }
}

/// The refusals a server made, shared with its connections.
type RefusalLog = Arc<Mutex<Vec<SchemaRefusal>>>;

/// Checks a received request against [`SCHEMA_ROUTES`]; `Some` is the
/// refusal to record and answer.
fn check_received(simulator: Option<Simulator>, request: &SimRequest) -> Option<SchemaRefusal> {
    let simulator = simulator?;
    let schema = schema_for(simulator, Direction::Receives, &request.method, &request.path)?;
    let errors = schema::validate(schema, &request.body).err()?;
    Some(SchemaRefusal {
        simulator,
        method: request.method.to_string(),
        target: request.target(),
        schema,
        errors,
        body: request.body.clone(),
    })
}

/// The 400 for a refused body, in the refusing vendor's own error shape (the
/// one its handler uses), so the connector reads it as it would read that
/// vendor's answer; the message names the schema and every error, so the
/// connector's log (and a failing test) shows what to fix.
///
/// - Assessio: `{"message"}`, the simulator's assumption (seed 001 is silent
///   on error bodies).
/// - Kombo: `{"status":"error","error":{code,title,message,log_url}}` with
///   `PLATFORM.INPUT_INVALID` (`kombo/error-response`); `log_url` points at
///   the simulator, as its handler's do.
/// - Teamtailor: JSON:API `errors`, one per violation, each with its
///   `source.pointer`, answered 422 as JSON:API does for a document it
///   understands but cannot accept (and as the simulator's own checks do, so
///   a body gets one status whichever check sees it first).
/// - `StackOne`: `{statusCode, message}`; `ats.json`'s error bodies also
///   carry a `timestamp`, left out here because the choke point has no
///   simulator clock and the connector reads only the status.
fn refusal_response(refusal: &SchemaRefusal, host: Option<&str>) -> SimResponse {
    use serde_json::json;
    let message = format!("The body does not match {}: {}", refusal.schema, refusal.errors.join("; "));
    let status = StatusCode::BAD_REQUEST;
    match refusal.simulator {
        Simulator::Assessio => SimResponse::json(status, &json!({ "message": message })),
        Simulator::Kombo => {
            let log_url = host.map(|h| format!("http://{h}/logs?schemaRefusal={}", refusal.schema));
            let error = json!({
                "code": "PLATFORM.INPUT_INVALID",
                "title": "The request body is invalid.",
                "message": message,
                "log_url": log_url,
            });
            SimResponse::json(status, &json!({ "status": "error", "error": error }))
        }
        Simulator::Teamtailor => {
            let errors: Vec<_> = refusal
                .errors
                .iter()
                .map(|e| {
                    let (pointer, detail) = e.split_once(": ").unwrap_or(("/", e));
                    let pointer = if pointer == "/" { "" } else { pointer };
                    json!({
                        "status": if e.starts_with("/: the body is not JSON") { "400" } else { "422" },
                        "title": format!("The body does not match {}", refusal.schema),
                        "detail": detail,
                        "source": { "pointer": pointer },
                    })
                })
                .collect();
            // Not JSON at all is a bad request; JSON the document forbids, 422.
            let malformed = refusal.errors.iter().any(|e| e.starts_with("/: the body is not JSON"));
            let status = if malformed { StatusCode::BAD_REQUEST } else { StatusCode::UNPROCESSABLE_ENTITY };
            let mut response = SimResponse::json(status, &json!({ "errors": errors }));
            response.headers = vec![(CONTENT_TYPE, HeaderValue::from_static("application/vnd.api+json"))];
            response
        }
        Simulator::StackOne => SimResponse::json(status, &json!({ "statusCode": 400, "message": message })),
    }
}

/// A request as a simulator's handler sees it: fully read.
#[derive(Debug, Clone)]
pub struct SimRequest {
    /// The method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The headers as received.
    pub headers: HeaderMap,
    /// The raw body bytes.
    pub body: Bytes,
}

impl SimRequest {
    /// The first value of header `name`, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The query's parameters, percent-decoded, in order; repeated names repeat.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }

    /// The path and the query as received (`/a?b=c`): what the simulators
    /// record of each call, so a test sees exactly what was asked.
    pub fn target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// Whether the `Content-Type` is JSON (`application/json`, any parameters).
    pub fn is_json(&self) -> bool {
        self.header("content-type").is_some_and(|ct| {
            ct.split(';').next().is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
        })
    }
}

/// Decodes `%XX` escapes and `+` (form encoding's space); malformed escapes
/// are kept as they are, and invalid UTF-8 is replaced, never a panic.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..=i + 2]).ok();
                if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(b);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A response a handler returns.
#[derive(Debug, Clone)]
pub struct SimResponse {
    /// The status.
    pub status: StatusCode,
    /// Extra headers (a JSON or text body sets its own `Content-Type`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: Bytes,
}

impl SimResponse {
    /// A JSON body, serialised compactly.
    pub fn json(status: StatusCode, value: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body: Bytes::from(value.to_string()),
        }
    }

    /// A plain-text body.
    pub fn text(status: StatusCode, text: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))],
            body: Bytes::from(text.into()),
        }
    }

    /// A status with no body.
    pub fn empty(status: StatusCode) -> Self {
        Self { status, headers: Vec::new(), body: Bytes::new() }
    }

    /// A status given as a number; an impossible one becomes 500 rather than a panic.
    pub fn status_code(status: u16) -> StatusCode {
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn into_hyper(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(self.body));
        *response.status_mut() = self.status;
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

/// What a simulator plugs into [`Server`].
pub trait Handler: Send + Sync + 'static {
    /// The route's name, under which fault plans and counts are kept. The
    /// default puts every request under one name, `"other"`.
    fn route(&self, method: &Method, path: &str) -> &'static str {
        let _ = (method, path);
        "other"
    }

    /// Which vendor this handler plays, so the server checks received bodies
    /// against that vendor's rows of [`SCHEMA_ROUTES`]. The default (a test's
    /// closure, a proxy) is none: no checks.
    fn simulator(&self) -> Option<Simulator> {
        None
    }

    /// Answers one request.
    fn handle(&self, request: SimRequest) -> SimResponse;
}

/// Any closure can serve, e.g. a test's receiver of webhooks.
impl<F> Handler for F
where
    F: Fn(SimRequest) -> SimResponse + Send + Sync + 'static,
{
    fn handle(&self, request: SimRequest) -> SimResponse {
        self(request)
    }
}

/// Why a connection was closed without an answer (an injected fault or
/// shutdown); hyper closes the connection when the service fails.
#[derive(Debug)]
struct NoAnswer;

impl fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection closed without an answer")
    }
}

impl std::error::Error for NoAnswer {}

/// Lets background work (deliveries, timers) stop when its server stops.
#[derive(Debug, Clone)]
pub struct ShutdownSignal(watch::Receiver<bool>);

impl ShutdownSignal {
    /// Whether shutdown has begun.
    pub fn is_shutdown(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once shutdown has begun (or the server is gone).
    pub async fn wait(&mut self) {
        // An error means the sender is gone: that is a shutdown too.
        let _ = self.0.wait_for(|stopped| *stopped).await;
    }
}

/// A running server: loopback only, on a port the OS chose. Dropping it
/// shuts it down, closing every open connection.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    refusals: RefusalLog,
}

impl Server {
    /// Starts serving `handler` behind `faults` on `127.0.0.1:0`.
    pub async fn start(handler: Arc<dyn Handler>, faults: Faults) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let refusals = RefusalLog::default();
        let served = Served { handler, faults, refusals: Arc::clone(&refusals) };
        tokio::spawn(accept_loop(listener, served, ShutdownSignal(stopped)));
        Ok(Self { addr, stop, refusals })
    }

    /// Starts serving a closure with no faults: the quickest test receiver.
    pub async fn start_fn<F>(handler: F) -> std::io::Result<Self>
    where
        F: Fn(SimRequest) -> SimResponse + Send + Sync + 'static,
    {
        Self::start(Arc::new(handler), Faults::new()).await
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and closes every connection, hanging ones included.
    /// Idempotent; also done on drop.
    pub fn shutdown(&self) {
        self.stop.send_replace(true);
    }

    /// A signal that fires when this server shuts down.
    pub fn signal(&self) -> ShutdownSignal {
        ShutdownSignal(self.stop.subscribe())
    }

    /// Every body this server refused because its vendor's schema forbids
    /// it, oldest first.
    pub fn schema_refusals(&self) -> Vec<SchemaRefusal> {
        self.refusals.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// What every connection of a server shares.
#[derive(Clone)]
struct Served {
    handler: Arc<dyn Handler>,
    faults: Faults,
    refusals: RefusalLog,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn accept_loop(listener: TcpListener, served: Served, mut stop: ShutdownSignal) {
    loop {
        let accepted = tokio::select! {
            () = stop.wait() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _peer)) = accepted else {
            // A failed accept (e.g. too many open files) is transient: back
            // off briefly rather than spin.
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        let served = served.clone();
        let mut conn_stop = stop.clone();
        tokio::spawn(async move {
            let service_stop = conn_stop.clone();
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                serve_one(served.clone(), service_stop.clone(), req)
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                // Errors here are the client's or an injected drop: nothing to report.
                _ = conn => {}
                () = conn_stop.wait() => {}
            }
        });
    }
}

async fn serve_one(
    Served { handler, faults, refusals }: Served,
    mut stop: ShutdownSignal,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, NoAnswer> {
    let route = handler.route(req.method(), req.uri().path());
    let decision = faults.decide(route);
    if !decision.latency.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(decision.latency) => {}
            () = stop.wait() => return Err(NoAnswer),
        }
    }
    match decision.action {
        // Like a load balancer's answer: not in the vendor's error shape.
        Some(FaultAction::Status(status)) => {
            let code = SimResponse::status_code(status);
            let body = serde_json::json!({ "message": format!("injected fault: {status}") });
            return Ok(SimResponse::json(code, &body).into_hyper());
        }
        Some(FaultAction::Drop) => return Err(NoAnswer),
        Some(FaultAction::Hang) => {
            stop.wait().await;
            return Err(NoAnswer);
        }
        // These run the route's logic first; the answer is lost below.
        Some(FaultAction::DropAfterHandling | FaultAction::HangAfterHandling) | None => {}
    }
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let too_large = e.downcast_ref::<http_body_util::LengthLimitError>().is_some();
            let status = if too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
            return Ok(SimResponse::text(status, "the request body could not be read").into_hyper());
        }
    };
    let request = SimRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    };
    // The schema check runs before the handler, so a body the document
    // forbids never reaches the simulator's logic (which would otherwise
    // answer with its own, vendor-shaped guess at an error).
    let response = match check_received(handler.simulator(), &request) {
        Some(refusal) => {
            // Loud on purpose: a test that fails because of this shows why.
            eprintln!("{refusal}");
            let response = refusal_response(&refusal, request.header("host"));
            refusals.lock().unwrap_or_else(PoisonError::into_inner).push(refusal);
            response
        }
        None => handler.handle(request),
    };
    match decision.action {
        Some(FaultAction::DropAfterHandling) => Err(NoAnswer),
        Some(FaultAction::HangAfterHandling) => {
            stop.wait().await;
            Err(NoAnswer)
        }
        _ => Ok(response.into_hyper()),
    }
}

/// Why an outbound request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL, method or a header could not make a request.
    InvalidRequest(String),
    /// No connection, or it broke before a complete response.
    Transport(String),
    /// No complete response within the client's timeout.
    Timeout(Duration),
    /// A 2xx answer whose body the vendor's schema forbids (see
    /// [`Direction::Reads`]): the connector answered, but not in the shape
    /// the vendor documents, so the vendor could not use it.
    OffSchema {
        /// The schema the answer failed.
        schema: Schema,
        /// One `<JSON pointer>: <message>` per violation.
        errors: Vec<String>,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRequest(why) => write!(f, "invalid request: {why}"),
            Self::Transport(why) => write!(f, "transport error: {why}"),
            Self::Timeout(after) => write!(f, "no response within {} ms", after.as_millis()),
            Self::OffSchema { schema, errors } => {
                write!(f, "the answer does not match {schema}: {}", errors.join("; "))
            }
        }
    }
}

impl std::error::Error for ClientError {}

/// A complete response.
#[derive(Debug, Clone)]
pub struct ClientResponse {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl ClientResponse {
    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A plain-HTTP client with one timeout over connect, send and reading the
/// whole response. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
    /// Whose client this is, for [`SCHEMA_ROUTES`]; none checks nothing.
    simulator: Option<Simulator>,
}

impl HttpClient {
    /// A client whose every request must complete within `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let inner = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(5))
            .build_http();
        Self { inner, timeout, simulator: None }
    }

    /// A client that opens a new connection for every request and closes
    /// it after the answer (no pool), as a fleet of one-off senders does.
    pub fn fresh_connections(timeout: Duration) -> Self {
        let inner = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(0).build_http();
        Self { inner, timeout, simulator: None }
    }

    /// This client, as `simulator`'s: what it sends and reads is checked
    /// against that vendor's rows of [`SCHEMA_ROUTES`].
    #[must_use]
    pub fn for_simulator(mut self, simulator: Simulator) -> Self {
        self.simulator = Some(simulator);
        self
    }

    /// A copy that checks nothing: for a test's deliberately off-document
    /// body (e.g. Assessio's `deliver_raw`), which is the point, not drift.
    #[must_use]
    pub fn unchecked(&self) -> Self {
        Self { simulator: None, ..self.clone() }
    }

    /// The timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one request and reads the whole response.
    ///
    /// A simulator's client checks the body against its vendor's schema
    /// first and panics if the schema forbids it: the simulator has drifted
    /// from the vendor's document, and a test built on it would prove
    /// nothing. A 2xx answer the table lists is checked too
    /// ([`ClientError::OffSchema`]).
    pub async fn request(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<ClientResponse, ClientError> {
        let body = body.into();
        let uri: http::Uri =
            url.parse().map_err(|e: http::uri::InvalidUri| ClientError::InvalidRequest(e.to_string()))?;
        let check =
            |direction| self.simulator.and_then(|sim| Some((sim, schema_for(sim, direction, &method, uri.path())?)));
        if let Some((simulator, schema)) = check(Direction::Sends)
            && let Err(errors) = schema::validate(schema, &body)
        {
            panic!(
                "the {simulator} simulator was about to send {method} {url} with a body that does not match {schema} \
                 (the simulator has drifted from the vendor's document; fix the simulator): {}",
                errors.join("; ")
            );
        }
        let reads = check(Direction::Reads);
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(Full::new(body)).map_err(|e| ClientError::InvalidRequest(e.to_string()))?;
        let exchange = async {
            let response = self.inner.request(request).await.map_err(|e| ClientError::Transport(describe(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| ClientError::Transport(format!("reading the body: {e}")))?
                .to_bytes();
            Ok(ClientResponse { status: parts.status.as_u16(), headers: parts.headers, body })
        };
        let response =
            tokio::time::timeout(self.timeout, exchange).await.unwrap_or(Err(ClientError::Timeout(self.timeout)))?;
        if let Some((_, schema)) = reads
            && response.is_success()
            && let Err(errors) = schema::validate(schema, &response.body)
        {
            return Err(ClientError::OffSchema { schema, errors });
        }
        Ok(response)
    }
}

/// The error and its causes on one line: hyper's top-level messages alone
/// (`client error (SendRequest)`) do not say what happened.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("%zz%"), "%zz%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%C3%A5"), "å");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }
}
