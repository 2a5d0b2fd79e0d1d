//! The gateway under fuzzing: its router driven by arbitrary requests over
//! an in-memory runtime, and its configuration loader fed arbitrary
//! settings.
//!
//! The router target sends a short conversation (up to eight requests, the
//! store kept between them) with every hub enabled. Requests are built from
//! a route, a method, headers, a body and a choice of credentials, so that
//! the fuzzer gets past authentication and signatures and into the flows;
//! each upstream answer (Assessio, Kombo, Teamtailor, StackOne) and each
//! failure of the store is the fuzzer's choice too. Checked after every
//! request: the status is HTTP's, a JSON answer is JSON, no secret appears in
//! an answer or a log line unless the input itself carried it, operator
//! routes refuse without the token, nothing is sent outside the configured
//! origins, no order is sent to Assessio again once Assessio took it, and
//! none after a send of unknown outcome (a connection cut after sending, a
//! 5xx other than 503) unless an operator settled it.
//!
//! The configuration target checks that a setting's refusal and the loaded
//! configuration's `Debug` never carry a secret, and that they do not depend
//! on the secrets' values at all (the same settings with other secrets of
//! the same shape load to the same answer).

// `StackOne` is the product's name, not code: doc_markdown would want it in backticks.
#![allow(clippy::doc_markdown)]

use crate::harness::CANARY;
use arbitrary::Arbitrary;
use assessio_gateway::config::{Config, Tenant, names};
use assessio_gateway::platform::{Platform, Reply, SendError, Sent};
use assessio_gateway::reply::{Incoming, Outgoing};
use assessio_plugin::HttpRequest;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::task::{Context, Poll, Waker};

const ASSESSIO: &str = "https://assessio.example";
const KOMBO: &str = "https://kombo.example";
const TEAMTAILOR: &str = "https://api.teamtailor.com";
const STACKONE: &str = "https://stackone.example";
const PUBLIC: &str = "https://gateway.example";

const OPERATOR_TOKEN: &str = "op_fuzz_9kQ2vX7mL4tR8wZ1";
const INTEGRATOR_API_KEY: &str = "int_fuzz_3hJ6pN0cB5yS2dF9";
const KOMBO_SECRET: &str = "kombo_whsec_fuzz_7uA1eG4iK8oM";
const TEAMTAILOR_SECRET: &str = "tt_sig_fuzz_2qW5rT9yU3iO";
const STACKONE_SECRET: &str = "so_whsec_fuzz_6zX0cV4bN8mQ";
const TEAMTAILOR_KEY: &str = "tt_provider_fuzz_1aS5dF9gH3jK";
const KOMBO_API_KEY: &str = "kombo_api_fuzz_5tG7hY2uJ6kL";
const TEAMTAILOR_API_KEY: &str = "tt_api_fuzz_8iK3oL7pP1aZ";
const STACKONE_API_KEY: &str = "so_api_fuzz_4sX8dC2fV6gB";
const PROVIDER_KEY: &str = "pk_fuzz_0nM4bV8cX2zA";
const INTEGRATOR_SECRET: &str = "isec_fuzz_9lK5jH1gF7dS";

/// The settings of the router target: all three hubs on, one customer each,
/// the ids the example payloads use.
fn router_settings() -> BTreeMap<String, String> {
    let org = json!({"provider_key": PROVIDER_KEY, "integrator_secret": INTEGRATOR_SECRET});
    let mut teamtailor = org.clone();
    teamtailor["teamtailor_provider_key"] = json!(TEAMTAILOR_KEY);
    [
        (names::ASSESSIO_URL, ASSESSIO.to_string()),
        (names::ASSESSIO_INTEGRATOR_API_KEY, INTEGRATOR_API_KEY.into()),
        (names::PUBLIC_URL, PUBLIC.into()),
        (names::OPERATOR_TOKEN, OPERATOR_TOKEN.into()),
        (names::KOMBO_URL, KOMBO.into()),
        (names::KOMBO_API_KEY, KOMBO_API_KEY.into()),
        (names::KOMBO_WEBHOOK_SECRET, KOMBO_SECRET.into()),
        (names::TENANTS, json!({"workday:CBNMt7dSNCzBdnRTx87dev4E": org}).to_string()),
        (names::TEAMTAILOR_URL, TEAMTAILOR.into()),
        (names::TEAMTAILOR_API_KEY, TEAMTAILOR_API_KEY.into()),
        (names::TEAMTAILOR_SIGNATURE_SECRET, TEAMTAILOR_SECRET.into()),
        (names::TEAMTAILOR_TENANTS, json!({"Nx4q7TfR2bA": teamtailor}).to_string()),
        (names::STACKONE_URL, STACKONE.into()),
        (names::STACKONE_API_KEY, STACKONE_API_KEY.into()),
        (names::STACKONE_WEBHOOK_SECRET, STACKONE_SECRET.into()),
        (names::STACKONE_TENANTS, json!({"acc-7": org}).to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The example payloads, as hubs and Assessio send them.
const EXAMPLES: [&[u8]; 5] = [
    include_bytes!("../../examples/payloads/kombo-order-received.json"),
    include_bytes!("../../examples/payloads/teamtailor-trigger.json"),
    include_bytes!("../../examples/payloads/stackone-order-created.json"),
    include_bytes!("../../examples/payloads/result-webhook.json"),
    include_bytes!("../../examples/payloads/config-response.json"),
];

// ---------------------------------------------------------------------------
// The runtime.

/// An in-memory runtime whose upstreams answer from a script and whose store
/// fails where the script says.
struct Memory {
    vars: BTreeMap<String, String>,
    kv: RefCell<BTreeMap<String, Vec<u8>>>,
    kv_ops: Cell<u32>,
    kv_failures: BTreeSet<u32>,
    upstream: RefCell<Vec<Upstream>>,
    /// Every request sent, with the answer it got.
    sent: RefCell<Vec<(HttpRequest, Result<Reply, SendError>)>>,
    logs: RefCell<Vec<String>>,
    clock: Cell<i64>,
    ids: Cell<u64>,
}

impl Memory {
    fn new(vars: BTreeMap<String, String>) -> Self {
        Self {
            vars,
            kv: RefCell::default(),
            kv_ops: Cell::new(0),
            kv_failures: BTreeSet::new(),
            upstream: RefCell::default(),
            sent: RefCell::default(),
            logs: RefCell::default(),
            clock: Cell::new(crate::harness::NOW),
            ids: Cell::new(0),
        }
    }

    /// Counts a store operation; `Err` where the script makes it fail.
    fn kv_op(&self) -> Result<(), String> {
        let n = self.kv_ops.get();
        self.kv_ops.set(n.saturating_add(1));
        if self.kv_failures.contains(&n) { Err("store unavailable (scripted)".into()) } else { Ok(()) }
    }

    /// What an upstream answers when the script has nothing more to say: a
    /// success in the shape each endpoint gives.
    fn default_reply(request: &HttpRequest) -> Reply {
        let body: &[u8] = if request.url.ends_with("/recruitment/v1/config") {
            EXAMPLES[4]
        } else if request.url.contains("/assessment/orders?") {
            br#"{"status":"success","data":{"results":[],"next":null}}"#
        } else {
            b"{}"
        };
        Reply { status: 200, body: body.to_vec() }
    }
}

impl Platform for Memory {
    fn now(&self) -> i64 {
        self.clock.get()
    }
    fn variable(&self, name: &str) -> Result<Option<String>, String> {
        Ok(self.vars.get(name).cloned())
    }
    fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.kv_op()?;
        Ok(self.kv.borrow().get(key).cloned())
    }
    fn kv_set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.kv_op()?;
        self.kv.borrow_mut().insert(key.into(), value.to_vec());
        Ok(())
    }
    fn kv_delete(&self, key: &str) -> Result<(), String> {
        self.kv_op()?;
        self.kv.borrow_mut().remove(key);
        Ok(())
    }
    /// Eight bytes little-endian, as Spin's `SQLite` store keeps counters.
    fn kv_increment(&self, key: &str, delta: i64) -> Result<i64, String> {
        self.kv_op()?;
        let mut kv = self.kv.borrow_mut();
        let current = match kv.get(key) {
            None => 0,
            Some(v) => i64::from_le_bytes(<[u8; 8]>::try_from(v.as_slice()).map_err(|_| "not a counter".to_string())?),
        };
        let next = current.checked_add(delta).ok_or("the counter would overflow")?;
        kv.insert(key.into(), next.to_le_bytes().to_vec());
        Ok(next)
    }
    fn unique_id(&self) -> String {
        self.ids.set(self.ids.get() + 1);
        format!("id-{}", self.ids.get())
    }
    async fn send(&self, request: &HttpRequest) -> Result<Reply, SendError> {
        let next = {
            let mut script = self.upstream.borrow_mut();
            if script.is_empty() { Upstream::Default } else { script.remove(0) }
        };
        let reply = match next {
            Upstream::Default => Ok(Self::default_reply(request)),
            Upstream::Refused => Err(SendError::not_sent("connection refused (scripted)")),
            Upstream::CutOff => Err(SendError::maybe_sent("the connection dropped after sending (scripted)")),
            Upstream::Status(status, body) => Ok(Reply { status: 100 + status % 500, body }),
            Upstream::Example(status, i) => {
                Ok(Reply { status: 100 + status % 500, body: EXAMPLES[usize::from(i) % EXAMPLES.len()].to_vec() })
            }
        };
        self.sent.borrow_mut().push((request.clone(), reply.clone()));
        reply
    }
    fn log(&self, line: &str) {
        self.logs.borrow_mut().push(line.into());
    }
}

/// Runs a future that never waits: the in-memory runtime answers at once.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the in-memory runtime never waits"),
    }
}

// ---------------------------------------------------------------------------
// The router's input.

/// One upstream answer, in the order requests go out.
#[derive(Debug, Arbitrary)]
pub enum Upstream {
    /// The endpoint's usual success.
    Default,
    /// No connection: the request never left.
    Refused,
    /// The connection dropped once the request was out: it may have arrived.
    CutOff,
    /// This status (100 + n % 500) and body.
    Status(u16, Vec<u8>),
    /// This status with one of the example payloads.
    Example(u16, u8),
}

/// The request's method.
#[derive(Debug, Arbitrary)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// Anything else.
    Other(String),
}

/// Which route, by its segments.
#[derive(Debug, Arbitrary)]
pub enum Route {
    /// `/health`.
    Health,
    /// `/kombo/webhook`.
    KomboWebhook,
    /// `/teamtailor/config`.
    TeamtailorConfig,
    /// `/teamtailor/webhook`.
    TeamtailorWebhook,
    /// `/stackone/webhook`.
    StackOneWebhook,
    /// `/assessio/results/{id}`: the n-th result id sent to Assessio so far, if any.
    PlacedResult(u8),
    /// `/assessio/results/{id}` for any id.
    Result(String),
    /// `/kombo/packages/sync`.
    PackagesSync,
    /// `/kombo/reconcile`.
    KomboReconcile,
    /// `/reconcile`.
    Reconcile,
    /// `/orders/{hub}/{tenant}/{order}`.
    Orders(String, String, String),
    /// Any path.
    Raw(String),
}

/// The request's credentials.
#[derive(Debug, Arbitrary)]
pub enum Auth {
    /// None.
    Missing,
    /// The ones the route needs, and a valid signature for the body.
    Right,
    /// The right bearer token, but no signature.
    Unsigned,
    /// Whatever the fuzzer writes as `Authorization`.
    Wrong(String),
}

/// The request's body.
#[derive(Debug, Arbitrary)]
pub enum Body {
    /// An example payload.
    Example(u8),
    /// An example payload with bytes replaced at some point.
    Patched {
        /// Which example.
        example: u8,
        /// Where, modulo its length.
        at: u16,
        /// How many bytes to drop there.
        cut: u8,
        /// What to put in their place.
        insert: Vec<u8>,
    },
    /// A result for the id in the path (or the first order sent to Assessio).
    ResultFor {
        /// Its score.
        score: u8,
        /// Whether to add report and recruitment links.
        links: bool,
    },
    /// Anything.
    Raw(Vec<u8>),
}

/// One request and what the world does around it.
#[derive(Debug, Arbitrary)]
pub struct Exchange {
    method: Method,
    route: Route,
    query: String,
    auth: Auth,
    headers: Vec<(String, String)>,
    body: Body,
    /// Upstream answers to queue before the request.
    upstream: Vec<Upstream>,
    /// Seconds the clock moves before the request.
    wait: u16,
}

/// A conversation with the gateway.
#[derive(Debug, Arbitrary)]
pub struct RouterInput {
    exchanges: Vec<Exchange>,
    /// Store operations (by their number from the start) that fail.
    kv_failures: Vec<u8>,
}

/// The result ids of the orders sent to Assessio so far, in order.
fn placed_result_ids(p: &Memory) -> Vec<String> {
    let mut ids = Vec::new();
    for (request, _) in p.sent.borrow().iter() {
        if !is_assessio_order(request) {
            continue;
        }
        let id =
            serde_json::from_slice::<Value>(&request.body).ok().and_then(|b| b["resultId"].as_str().map(String::from));
        if let Some(id) = id.filter(|id| !ids.contains(id)) {
            ids.push(id);
        }
    }
    ids
}

fn is_assessio_order(request: &HttpRequest) -> bool {
    request.url.starts_with(ASSESSIO) && request.url.contains("/recruitment/v1/assessment-order")
}

fn pick<T: Clone>(list: &[T], n: u8) -> Option<T> {
    (!list.is_empty()).then(|| list[usize::from(n) % list.len()].clone())
}

fn hmac(secret: &str, message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl Exchange {
    fn body(&self, p: &Memory, path: &str) -> Vec<u8> {
        match &self.body {
            Body::Example(i) => EXAMPLES[usize::from(*i) % EXAMPLES.len()].to_vec(),
            Body::Patched { example, at, cut, insert } => {
                let mut b = EXAMPLES[usize::from(*example) % EXAMPLES.len()].to_vec();
                let at = usize::from(*at) % (b.len() + 1);
                let end = (at + usize::from(*cut)).min(b.len());
                b.splice(at..end, insert.iter().copied());
                b
            }
            Body::ResultFor { score, links } => {
                let id = match path.strip_prefix("/assessio/results/") {
                    Some(id) => id.to_string(),
                    None => pick(&placed_result_ids(p), 0).unwrap_or_else(|| "no-order-yet".into()),
                };
                let mut r = json!({"resultId": id, "score": score % 101, "subscores": {"Driving Leadership": 73}});
                if *links {
                    r["assessmentReportUrl"] = json!("https://app.assessio.online/reports/1");
                    r["recruitmentUrl"] = json!("https://app.assessio.online/recruitments/2");
                }
                r.to_string().into_bytes()
            }
            Body::Raw(b) => b.clone(),
        }
    }

    fn path(&self, p: &Memory) -> String {
        match &self.route {
            Route::Health => "/health".into(),
            Route::KomboWebhook => "/kombo/webhook".into(),
            Route::TeamtailorConfig => "/teamtailor/config".into(),
            Route::TeamtailorWebhook => "/teamtailor/webhook".into(),
            Route::StackOneWebhook => "/stackone/webhook".into(),
            Route::PlacedResult(n) => {
                format!("/assessio/results/{}", pick(&placed_result_ids(p), *n).unwrap_or_else(|| "none".into()))
            }
            Route::Result(id) => format!("/assessio/results/{id}"),
            Route::PackagesSync => "/kombo/packages/sync".into(),
            Route::KomboReconcile => "/kombo/reconcile".into(),
            Route::Reconcile => "/reconcile".into(),
            Route::Orders(hub, tenant, order) => format!("/orders/{hub}/{tenant}/{order}"),
            Route::Raw(path) => path.clone(),
        }
    }

    fn is_operator_route(&self) -> bool {
        matches!(self.route, Route::PackagesSync | Route::KomboReconcile | Route::Reconcile)
            || matches!(&self.route, Route::Orders(a, b, c) if ![a, b, c].iter().any(|s| s.contains(['/', '%', '?'])))
    }

    /// The headers: credentials first (the gateway reads the first of a name), then the fuzzer's.
    fn headers(&self, body: &[u8], now: i64) -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = Vec::new();
        let bearer = match self.route {
            Route::TeamtailorConfig | Route::TeamtailorWebhook => TEAMTAILOR_KEY,
            Route::PlacedResult(_) | Route::Result(_) => INTEGRATOR_API_KEY,
            _ => OPERATOR_TOKEN,
        };
        match &self.auth {
            Auth::Missing => {}
            Auth::Right | Auth::Unsigned => h.push(("authorization".into(), format!("Bearer {bearer}"))),
            Auth::Wrong(v) => h.push(("authorization".into(), v.clone())),
        }
        if matches!(self.auth, Auth::Right) {
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            match self.route {
                Route::KomboWebhook => h.push(("x-kombo-signature".into(), b64.encode(hmac(KOMBO_SECRET, body)))),
                Route::StackOneWebhook => {
                    h.push(("x-stackone-signature".into(), b64.encode(hmac(STACKONE_SECRET, body))));
                }
                Route::TeamtailorWebhook => {
                    let event = assessio_plugin::hubs::teamtailor::parse_trigger(body).map(|t| t.event_id);
                    let message = format!("{now}.{}", event.unwrap_or_default());
                    let v1 = hex::encode(hmac(TEAMTAILOR_SECRET, message.as_bytes()));
                    h.push(("teamtailor-signature".into(), format!("t={now},v1={v1}")));
                }
                _ => {}
            }
        }
        h.extend(self.headers.iter().take(8).map(|(n, v)| (n.to_ascii_lowercase(), v.clone())));
        h
    }

    fn method(&self) -> String {
        match &self.method {
            Method::Get => "GET".into(),
            Method::Post => "POST".into(),
            Method::Other(m) => m.to_ascii_uppercase(),
        }
    }
}

/// The router target: a conversation of up to eight requests.
pub fn router(input: &RouterInput) {
    let mut p = Memory::new(router_settings());
    p.kv_failures = input.kv_failures.iter().take(8).map(|&n| u32::from(n)).collect();
    let cfg = Config::load(&p).expect("the router target's settings load");
    let secrets: BTreeSet<String> = cfg.secrets().into_iter().map(String::from).collect();
    let mut inputs: Vec<u8> = Vec::new();
    for exchange in input.exchanges.iter().take(8) {
        p.clock.set(p.clock.get() + i64::from(exchange.wait));
        p.upstream.borrow_mut().extend(exchange.upstream.iter().take(16).map(|u| match u {
            Upstream::Default => Upstream::Default,
            Upstream::Refused => Upstream::Refused,
            Upstream::CutOff => Upstream::CutOff,
            Upstream::Status(s, b) => Upstream::Status(*s, b.clone()),
            Upstream::Example(s, i) => Upstream::Example(*s, *i),
        }));
        let path = exchange.path(&p);
        let body = exchange.body(&p, &path);
        let req = Incoming {
            method: exchange.method(),
            path,
            query: exchange.query.clone(),
            headers: exchange.headers(&body, p.clock.get()),
            body,
        };
        let (logs_before, sent_before) = (p.logs.borrow().len(), p.sent.borrow().len());
        let answer = block_on(assessio_gateway::routes::handle(&p, &req));
        inputs.extend_from_slice(format!("{req:?}").as_bytes());
        for (_, reply) in &p.sent.borrow()[sent_before..] {
            if let Ok(r) = reply {
                inputs.extend_from_slice(&r.body);
            }
        }
        check_answer(&answer, exchange, &req);
        let fresh_logs = p.logs.borrow()[logs_before..].join("\n");
        let shown = [answer.body.as_slice(), fresh_logs.as_bytes()].concat();
        assert_no_secret(&secrets, &shown, &inputs);
    }
    check_sent(&p);
}

/// One answer: an HTTP status, JSON when it says so, and the operator's
/// routes closed without the operator's token.
fn check_answer(answer: &Outgoing, exchange: &Exchange, req: &Incoming) {
    assert!((100..=599).contains(&answer.status), "status {}", answer.status);
    if answer.content_type.contains("json") {
        serde_json::from_slice::<Value>(&answer.body)
            .unwrap_or_else(|e| panic!("a {} answer that is not JSON ({e})", answer.content_type));
    }
    let carries_token = req.headers.iter().any(|(_, v)| v.contains(OPERATOR_TOKEN));
    if exchange.is_operator_route() && !carries_token {
        assert_eq!(answer.status, 401, "an operator route answered without the token: {req:?}");
    }
}

/// No credential shows in `shown` unless the fuzzer's own input held it.
fn assert_no_secret(secrets: &BTreeSet<String>, shown: &[u8], inputs: &[u8]) {
    let contains = |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    for secret in secrets {
        if contains(shown, secret) {
            assert!(contains(inputs, secret), "the secret {secret} leaked into an answer or the log");
        }
    }
}

/// Everything sent stays within the configured origins, and no order goes to
/// Assessio again after Assessio accepted it (or said it already had it),
/// nor, on the plain order endpoint these settings use, after a send whose
/// outcome was unknown (the connection dropped after sending, or a 5xx
/// other than 503), unless an operator settled it as not placed.
fn check_sent(p: &Memory) {
    let settled = p.logs.borrow().iter().any(|l| l.contains("settled by the operator"));
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut uncertain: BTreeSet<String> = BTreeSet::new();
    for (request, reply) in p.sent.borrow().iter() {
        let inside = [ASSESSIO, KOMBO, TEAMTAILOR, STACKONE]
            .iter()
            .any(|origin| request.url.strip_prefix(origin).is_some_and(|rest| rest.starts_with('/')));
        assert!(inside, "sent outside the configured origins: {}", request.url);
        if !is_assessio_order(request) {
            continue;
        }
        let body: Value = serde_json::from_slice(&request.body).expect("orders are JSON");
        let id = body["resultId"].as_str().expect("orders carry a result id").to_string();
        assert!(!taken.contains(&id), "result {id} ordered again after Assessio took it");
        assert!(settled || !uncertain.contains(&id), "result {id} ordered again after a send of unknown outcome");
        match reply {
            Ok(r) if (200..300).contains(&r.status) || r.status == 409 => {
                taken.insert(id);
            }
            Ok(r) if r.status >= 500 && r.status != 503 => {
                uncertain.insert(id);
            }
            Err(e) if e.sent == Sent::Maybe => {
                uncertain.insert(id);
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------
// The configuration loader.

/// A secret setting's value.
#[derive(Debug, Arbitrary)]
pub enum Secret {
    /// Not set.
    Unset,
    /// Set to white space only.
    Blank(u8),
    /// Set: a distinctive secret (see [`CANARY`]) with the fuzzer's text.
    Set(String),
}

impl Secret {
    /// The value, with secrets told apart by `variant`.
    fn value(&self, variant: char) -> Option<String> {
        match self {
            Self::Unset => None,
            Self::Blank(n) => Some(" \t".repeat(usize::from(*n % 3))),
            Self::Set(s) => Some(format!("{CANARY}{variant}{s}")),
        }
    }
}

/// A plain setting's value: a good one, or anything.
#[derive(Debug, Arbitrary)]
pub enum Plain {
    /// Not set.
    Unset,
    /// A known-good value for the setting.
    Good(u8),
    /// Anything.
    Raw(String),
}

/// One customer in a tenants setting.
#[derive(Debug, Arbitrary)]
pub struct TenantInput {
    id: Plain,
    provider_key: Secret,
    integrator_secret: Secret,
    default_locale: Plain,
    teamtailor_provider_key: Secret,
    /// A member the loader does not know.
    extra: bool,
}

/// A tenants setting: customers the loader should read, or any text.
#[derive(Debug, Arbitrary)]
pub enum Tenants {
    /// Not set.
    Unset,
    /// A JSON object of these customers.
    Listed(Vec<TenantInput>),
    /// Any text.
    Raw(String),
}

/// Every setting the gateway reads.
#[derive(Debug, Arbitrary)]
pub struct ConfigInput {
    assessio_url: Plain,
    order_endpoint: Plain,
    integrator_api_key: Secret,
    public_url: Plain,
    operator_token: Secret,
    kombo_url: Plain,
    kombo_api_key: Secret,
    kombo_webhook_secret: Secret,
    kombo_tenants: Tenants,
    teamtailor_url: Plain,
    teamtailor_api_key: Secret,
    teamtailor_signature_secret: Secret,
    teamtailor_tenants: Tenants,
    stackone_url: Plain,
    stackone_api_key: Secret,
    stackone_webhook_secret: Secret,
    stackone_webhook_previous_secret: Secret,
    stackone_tenants: Tenants,
}

const ORIGINS: &[&str] = &["https://api.example.com", "http://127.0.0.1:8080/", "https://a.b/path", "ftp://x"];
const ENDPOINTS: &[&str] = &["order", "order-link", "Order"];
const IDS: &[&str] = &["Nx4q7TfR2bA", "workday:CBNMt7dSNCzBdnRTx87dev4E", "acc-7", " ", ""];
const LOCALES: &[&str] = &["sv-SE", "en-US", ""];

impl Plain {
    fn value(&self, good: &[&str]) -> Option<String> {
        match self {
            Self::Unset => None,
            Self::Good(i) => Some(good[usize::from(*i) % good.len()].into()),
            Self::Raw(s) => Some(s.clone()),
        }
    }
}

impl Tenants {
    fn value(&self, variant: char, teamtailor: bool) -> Option<String> {
        match self {
            Self::Unset => None,
            Self::Raw(s) => Some(s.clone()),
            Self::Listed(list) => {
                let mut map = serde_json::Map::new();
                for t in list.iter().take(8) {
                    let mut o = serde_json::Map::new();
                    let mut put = |k: &str, v: Option<String>| {
                        if let Some(v) = v {
                            o.insert(k.into(), Value::String(v));
                        }
                    };
                    put("provider_key", t.provider_key.value(variant));
                    put("integrator_secret", t.integrator_secret.value(variant));
                    put("default_locale", t.default_locale.value(LOCALES));
                    if teamtailor {
                        put("teamtailor_provider_key", t.teamtailor_provider_key.value(variant));
                    }
                    if t.extra {
                        o.insert("note".into(), json!(1));
                    }
                    map.insert(t.id.value(IDS).unwrap_or_default(), Value::Object(o));
                }
                Some(Value::Object(map).to_string())
            }
        }
    }
}

impl ConfigInput {
    /// Everything in the settings that is not a secret.
    fn public_text(&self) -> String {
        let plain = [
            &self.assessio_url,
            &self.order_endpoint,
            &self.public_url,
            &self.kombo_url,
            &self.teamtailor_url,
            &self.stackone_url,
        ];
        let mut text: Vec<String> = plain.iter().filter_map(|p| p.value(&[""])).collect();
        for tenants in [&self.kombo_tenants, &self.teamtailor_tenants, &self.stackone_tenants] {
            match tenants {
                Tenants::Unset => {}
                Tenants::Raw(s) => text.push(s.clone()),
                Tenants::Listed(list) => {
                    text.extend(list.iter().flat_map(|t| [t.id.value(IDS), t.default_locale.value(LOCALES)]).flatten());
                }
            }
        }
        text.join("\n")
    }

    /// The settings, with every secret distinguished by `variant`.
    fn settings(&self, variant: char) -> BTreeMap<String, String> {
        let s = |x: &Secret| x.value(variant);
        [
            (names::ASSESSIO_URL, self.assessio_url.value(ORIGINS)),
            (names::ASSESSIO_ORDER_ENDPOINT, self.order_endpoint.value(ENDPOINTS)),
            (names::ASSESSIO_INTEGRATOR_API_KEY, s(&self.integrator_api_key)),
            (names::PUBLIC_URL, self.public_url.value(ORIGINS)),
            (names::OPERATOR_TOKEN, s(&self.operator_token)),
            (names::KOMBO_URL, self.kombo_url.value(ORIGINS)),
            (names::KOMBO_API_KEY, s(&self.kombo_api_key)),
            (names::KOMBO_WEBHOOK_SECRET, s(&self.kombo_webhook_secret)),
            (names::TENANTS, self.kombo_tenants.value(variant, false)),
            (names::TEAMTAILOR_URL, self.teamtailor_url.value(ORIGINS)),
            (names::TEAMTAILOR_API_KEY, s(&self.teamtailor_api_key)),
            (names::TEAMTAILOR_SIGNATURE_SECRET, s(&self.teamtailor_signature_secret)),
            (names::TEAMTAILOR_TENANTS, self.teamtailor_tenants.value(variant, true)),
            (names::STACKONE_URL, self.stackone_url.value(ORIGINS)),
            (names::STACKONE_API_KEY, s(&self.stackone_api_key)),
            (names::STACKONE_WEBHOOK_SECRET, s(&self.stackone_webhook_secret)),
            (names::STACKONE_WEBHOOK_PREVIOUS_SECRET, s(&self.stackone_webhook_previous_secret)),
            (names::STACKONE_TENANTS, self.stackone_tenants.value(variant, false)),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v?)))
        .collect()
    }
}

/// What a load shows an operator: the refusal's words, or the loaded
/// configuration's `Debug` and hub counts.
fn shown(p: &Memory) -> Result<String, String> {
    match Config::load(p) {
        Ok(cfg) => {
            assert!(cfg.hubs().iter().any(|(_, n)| n.is_some()), "loaded with no hub enabled");
            // `load` reads every setting, Assessio's too: this is no new read.
            let assessio = cfg.assessio(p).expect("a loaded configuration has Assessio's settings");
            for url in [&assessio.url, &assessio.public_url] {
                assert!(url.starts_with("http") && !url.ends_with('/'), "origin {url:?}");
            }
            let blank = |s: &str| s.trim().is_empty();
            let mut orgs: Vec<&Tenant> = Vec::new();
            orgs.extend(cfg.kombo.iter().flat_map(|k| k.tenants.values()));
            orgs.extend(cfg.teamtailor.iter().flat_map(|t| t.tenants.values().filter_map(|t| t.assessio.as_ref())));
            orgs.extend(cfg.stackone.iter().flat_map(|s| s.tenants.values()));
            let blank_signing = orgs.iter().filter(|t| t.integrator_secret.as_deref().is_some_and(blank)).count();
            assert_eq!(cfg.secrets().into_iter().filter(|s| blank(s)).count(), blank_signing, "a blank credential");
            let tolerated = crate::harness::tolerated("gateway-blank-integrator-secret");
            assert!(blank_signing == 0 || tolerated, "a blank integrator_secret loaded");
            Ok(format!("{cfg:?} {:?} {}", cfg.hubs(), assessio.results_base_url()))
        }
        Err(e) => {
            assert!(!e.problem.trim().is_empty());
            Err(e.to_string())
        }
    }
}

/// The configuration target: no secret in what a load shows, and what it
/// shows is the same whatever the secrets' values.
pub fn config(input: &ConfigInput) {
    let first = shown(&Memory::new(input.settings('a')));
    let text = first.as_ref().unwrap_or_else(|e| e);
    // Ids, origins and raw tenants text are not secret, and may be quoted:
    // when the fuzzer wrote the canary into one of them, only the second
    // check below applies.
    assert!(input.public_text().contains(CANARY) || !text.contains(CANARY), "a secret shows: {text}");
    let second = shown(&Memory::new(input.settings('b')));
    assert_eq!(first, second, "what a load shows depends on a secret's value");
}
