//! A local Assessio Recruitment API, as seeds 001 and 000 describe it.
//!
//! It serves `GET /recruitment/v1/config`, `POST /recruitment/v1/assessment-order`
//! and `POST /recruitment/v1/assessment-order-link` for any number of
//! organisations, checks what the real API checks (the `provider-key`, the
//! `Signature` within 300 s of its own clock, the body's required fields, the
//! organisation's lenses and locales, both candidate names), keeps
//! recruitments keyed by `recruitment.id` + `lensId`, and answers 409 on the
//! link endpoint for a candidate already in the recruitment.
//!
//! It also plays Assessio's outbound side: when an assessment is completed
//! (by a test, or automatically after a delay) it POSTs the result to the
//! order's `resultUpdateUrl` with the organisation's integrator-api-key, and
//! retries with exponential backoff, compressed from Assessio's 36 hours into
//! milliseconds.
//!
//! Everything is recorded, including refused requests and every field name a
//! body carried, so tests can assert "exactly one order" and "nothing but the
//! listed fields left the ATS side".

use crate::common::lock;
use crate::faults::{Faults, XorShift64};
use crate::http::{Handler, HttpClient, Server, ShutdownSignal, SimRequest, SimResponse};
use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// The simulator's route names, for fault plans and counts.
pub mod route {
    /// `GET /recruitment/v1/config`.
    pub const CONFIG: &str = "GET /recruitment/v1/config";
    /// `POST /recruitment/v1/assessment-order`.
    pub const ORDER: &str = "POST /recruitment/v1/assessment-order";
    /// `POST /recruitment/v1/assessment-order-link`.
    pub const ORDER_LINK: &str = "POST /recruitment/v1/assessment-order-link";
    /// The pages behind the links the simulator hands out (`/take/..`,
    /// `/recruitments/..`, `/reports/..`).
    pub const PAGES: &str = "GET pages";
    /// Anything else (answered 404 or 405).
    pub const OTHER: &str = "other";
}

const CONFIG_PATH: &str = "/recruitment/v1/config";
const ORDER_PATH: &str = "/recruitment/v1/assessment-order";
const ORDER_LINK_PATH: &str = "/recruitment/v1/assessment-order-link";

/// Competencies the deterministic auto-completion scores, named as in
/// Assessio's reference example.
const COMPETENCIES: [&str; 3] = ["Driving Leadership", "Influencing & Inspiring", "Analytical Thinking"];

/// One lens as Assessio's `config` lists it (seed 001: `{"id", "name"}`).
/// The simulator's own type: it never borrows the connector's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lens {
    /// The id an order's `lensId` names.
    pub id: String,
    /// The lens's display name.
    pub name: String,
}

/// Which of Assessio's two order endpoints a request reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEndpoint {
    /// `POST /order`: Assessio sends the invitation itself.
    Order,
    /// `POST /order-link`: Assessio answers with a link the integrator hands out.
    OrderLink,
}

/// One Assessio organisation and its three credentials.
#[derive(Clone)]
pub struct Organisation {
    /// Identifies the organisation on every call to Assessio.
    pub provider_key: String,
    /// Signs orders; `None` is Assessio's "signing switched off" (sandbox only).
    pub integrator_secret: Option<String>,
    /// What `config` lists and orders may use.
    pub lenses: Vec<Lens>,
    /// BCP 47 tags the invitations may be sent in.
    pub locales: Vec<String>,
    /// Presented as `Authorization: Bearer <key>` when results are delivered.
    pub integrator_api_key: String,
}

/// Credentials never reach a log through `{:?}`.
impl fmt::Debug for Organisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Organisation")
            .field("provider_key", &"<redacted>")
            .field("integrator_secret", &self.integrator_secret.as_ref().map(|_| "<redacted>"))
            .field("lenses", &self.lenses)
            .field("locales", &self.locales)
            .field("integrator_api_key", &"<redacted>")
            .finish()
    }
}

impl Organisation {
    /// An organisation with the lens and locales of Assessio's reference
    /// example (seed 001), signing with `integrator_secret`.
    pub fn example(provider_key: &str, integrator_secret: Option<&str>, integrator_api_key: &str) -> Self {
        Self {
            provider_key: provider_key.to_owned(),
            integrator_secret: integrator_secret.map(str::to_owned),
            lenses: vec![Lens {
                id: "7922dd91-1b44-43e4-a740-7c4d9c2fba41".into(),
                name: "General Performance".into(),
            }],
            locales: ["en-US", "sv-SE", "nl-NL", "nn-NO"].map(String::from).to_vec(),
            integrator_api_key: integrator_api_key.to_owned(),
        }
    }
}

/// The simulator's clock, in Unix seconds: the system clock plus an offset,
/// or a fixed time. Shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct SimClock {
    inner: Arc<Mutex<ClockState>>,
}

#[derive(Debug, Default)]
struct ClockState {
    fixed: Option<i64>,
    offset: i64,
}

impl SimClock {
    /// Follows the system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Stands still at `unix_seconds` until moved.
    pub fn fixed(unix_seconds: i64) -> Self {
        let clock = Self::default();
        clock.set(unix_seconds);
        clock
    }

    /// The current time, in Unix seconds.
    pub fn now(&self) -> i64 {
        let state = lock(&self.inner);
        state.fixed.unwrap_or_else(|| {
            let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX).saturating_add(state.offset)
        })
    }

    /// Stops the clock at `unix_seconds`.
    pub fn set(&self, unix_seconds: i64) {
        lock(&self.inner).fixed = Some(unix_seconds);
    }

    /// Moves the clock by `seconds` (negative for back), fixed or not.
    pub fn advance(&self, seconds: i64) {
        let mut state = lock(&self.inner);
        match state.fixed.as_mut() {
            Some(t) => *t = t.saturating_add(seconds),
            None => state.offset = state.offset.saturating_add(seconds),
        }
    }
}

/// How result deliveries are retried: `base`, doubling per attempt, at most
/// `cap` between attempts; stop after `max_attempts` or when the next attempt
/// would start later than `max_elapsed` after the first (Assessio: 36 h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait before the second attempt.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub cap: Duration,
    /// Attempts in all, the first included (0 counts as 1).
    pub max_attempts: u32,
    /// No attempt starts later than this after the first.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(20),
            cap: Duration::from_secs(1),
            max_attempts: 8,
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt` (1-based): zero for the first, then
    /// `base * 2^(attempt - 2)`, capped.
    pub fn delay_before(&self, attempt: u32) -> Duration {
        if attempt <= 1 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(attempt - 2).unwrap_or(u32::MAX);
        self.base.checked_mul(factor).unwrap_or(Duration::MAX).min(self.cap)
    }
}

/// Everything the simulator is started with.
#[derive(Debug, Clone)]
pub struct AssessioConfig {
    /// The organisations it knows, by provider-key.
    pub organisations: Vec<Organisation>,
    /// The clock signatures are checked against.
    pub clock: SimClock,
    /// Allowed skew, seconds each way (Assessio: 300).
    pub tolerance: u32,
    /// When set, every accepted order is completed after this delay with
    /// [`Scores::deterministic`] scores.
    pub auto_complete: Option<Duration>,
    /// How failed deliveries are retried.
    pub retry: RetryPolicy,
    /// How long one delivery attempt may take.
    pub delivery_timeout: Duration,
}

impl Default for AssessioConfig {
    fn default() -> Self {
        Self {
            organisations: Vec::new(),
            clock: SimClock::system(),
            tolerance: SIGNATURE_TOLERANCE,
            auto_complete: None,
            retry: RetryPolicy::default(),
            delivery_timeout: Duration::from_secs(2),
        }
    }
}

impl AssessioConfig {
    /// These organisations, everything else as Assessio does it.
    pub fn new(organisations: Vec<Organisation>) -> Self {
        Self { organisations, ..Self::default() }
    }
}

/// A request to either order endpoint, accepted or not.
#[derive(Debug, Clone)]
pub struct ReceivedOrder {
    /// Which endpoint.
    pub endpoint: OrderEndpoint,
    /// The `provider-key` sent, if any.
    pub provider_key: Option<String>,
    /// What the simulator answered.
    pub status: u16,
    /// Why it refused, when it did.
    pub message: Option<String>,
    /// The raw body.
    pub body: Bytes,
    /// The body as JSON, if it was.
    pub json: Option<Value>,
    /// Every field name in the body, nested ones as dotted paths and array
    /// elements as `[]` (`candidateDetails.firstName`, `a[].b`).
    pub field_names: BTreeSet<String>,
}

/// The candidate as an accepted order named them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateDetails {
    /// Where the invitation went.
    pub email: String,
    /// As sent.
    pub first_name: String,
    /// As sent.
    pub last_name: String,
}

/// An order Assessio accepted.
#[derive(Debug, Clone)]
pub struct AcceptedOrder {
    /// Order of acceptance, from 1; also names its report page.
    pub number: u64,
    /// Which endpoint.
    pub endpoint: OrderEndpoint,
    /// The organisation.
    pub provider_key: String,
    /// The integrator's id, echoed in the result.
    pub result_id: String,
    /// Where the result goes.
    pub result_update_url: String,
    /// `recruitment.id`.
    pub recruitment_id: String,
    /// `recruitment.title`.
    pub recruitment_title: String,
    /// The lens.
    pub lens_id: String,
    /// The invitation's language.
    pub locale: String,
    /// Who was invited.
    pub candidate: CandidateDetails,
    /// `additionalRecruitmentCollaboratorsEmails`.
    pub collaborators: Vec<String>,
    /// Whether this order created its recruitment.
    pub created_recruitment: bool,
    /// The assessment link, for the link endpoint.
    pub link: Option<String>,
    /// The body as received.
    pub body: Value,
}

/// A recruitment: one per organisation, `recruitment.id` and `lensId`.
#[derive(Debug, Clone)]
pub struct RecruitmentRecord {
    /// From 1, in order of creation; names its page.
    pub number: u64,
    /// The organisation.
    pub provider_key: String,
    /// `recruitment.id`.
    pub id: String,
    /// `lensId`.
    pub lens_id: String,
    /// The title of the order that created it.
    pub title: String,
    /// The locale of the order that created it.
    pub locale: String,
    /// Candidate emails, in order of arrival, each once.
    pub candidates: Vec<String>,
    /// Its page in the simulator (the result's `recruitmentUrl`).
    pub url: String,
}

/// Scores to deliver: overall, and per competency in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scores {
    /// Overall fit, 0 to 100.
    pub score: u8,
    /// Per-competency scores, 0 to 100.
    pub subscores: Vec<(String, u8)>,
}

impl Scores {
    /// These scores.
    pub fn new(score: u8, subscores: &[(&str, u8)]) -> Self {
        Self { score, subscores: subscores.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect() }
    }

    /// Scores that depend only on `result_id`, so a test can predict what an
    /// auto-completed order delivers.
    pub fn deterministic(result_id: &str) -> Self {
        // FNV-1a: a stable hash that needs no crate and no randomness.
        let seed =
            result_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        let mut rng = XorShift64::new(seed);
        let mut draw = || u8::try_from(rng.below(101)).unwrap_or(100);
        let score = draw();
        Self { score, subscores: COMPETENCIES.iter().map(|c| ((*c).to_owned(), draw())).collect() }
    }
}

/// The fate of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered with this status.
    Status(u16),
    /// No answer: connection refused or broken, or a timeout.
    Failed(String),
}

impl AttemptOutcome {
    /// A 2xx answer.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Status(s) if (200..300).contains(s))
    }
}

/// One POST to a `resultUpdateUrl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// 1-based.
    pub number: u32,
    /// The backoff waited before it (zero for the first).
    pub waited: Duration,
    /// When it was sent, after the first attempt was.
    pub at: Duration,
    /// What happened.
    pub outcome: AttemptOutcome,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Still trying.
    Pending,
    /// A 2xx was received.
    Delivered,
    /// Retries exhausted.
    GaveUp,
    /// The simulator shut down first.
    Stopped,
}

/// One result's delivery, with all its attempts.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The order's result id.
    pub result_id: String,
    /// The order's `resultUpdateUrl`.
    pub url: String,
    /// The exact bytes sent on every attempt.
    pub body: Bytes,
    /// Every attempt so far.
    pub attempts: Vec<DeliveryAttempt>,
    /// Where it stands.
    pub state: DeliveryState,
}

/// What the simulator's own methods refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssessioSimError {
    /// No accepted order carries this result id.
    UnknownResult(String),
    /// A score outside 0 to 100; the name is `score` or the competency's.
    ScoreOutOfRange {
        /// Which score.
        name: String,
        /// Its value.
        value: u8,
    },
}

impl fmt::Display for AssessioSimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownResult(id) => write!(f, "no accepted order has result id {id:?}"),
            Self::ScoreOutOfRange { name, value } => write!(f, "{name} is {value}, above 100"),
        }
    }
}

impl std::error::Error for AssessioSimError {}

#[derive(Debug, Default)]
struct State {
    received: Vec<ReceivedOrder>,
    orders: Vec<AcceptedOrder>,
    recruitments: Vec<RecruitmentRecord>,
    deliveries: Vec<Delivery>,
}

struct Shared {
    organisations: Vec<Organisation>,
    clock: SimClock,
    tolerance: u32,
    retry: RetryPolicy,
    auto_complete: Mutex<Option<Duration>>,
    client: HttpClient,
    runtime: tokio::runtime::Handle,
    base_url: OnceLock<String>,
    stop: OnceLock<ShutdownSignal>,
    state: Mutex<State>,
    /// Deliveries and scheduled completions not yet settled.
    pending: watch::Sender<usize>,
}

impl Shared {
    fn base_url(&self) -> &str {
        self.base_url.get().map_or("http://127.0.0.1", String::as_str)
    }

    fn organisation(&self, provider_key: Option<&str>) -> Option<&Organisation> {
        let key = provider_key?;
        self.organisations.iter().find(|o| o.provider_key == key)
    }
}

/// Counts one unit of outstanding work until dropped, so "settled" also
/// covers tasks that were cancelled or panicked.
struct Pending(Arc<Shared>);

impl Pending {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.pending.send_modify(|n| *n += 1);
        Self(Arc::clone(shared))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.pending.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A running Assessio simulator. Dropping it shuts it down.
pub struct AssessioSim {
    shared: Arc<Shared>,
    faults: Faults,
    server: Server,
}

impl fmt::Debug for AssessioSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssessioSim").field("addr", &self.server.addr()).finish_non_exhaustive()
    }
}

impl AssessioSim {
    /// Starts a simulator on `127.0.0.1` with an OS-chosen port.
    pub async fn start(config: AssessioConfig) -> std::io::Result<Self> {
        let (pending, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            organisations: config.organisations,
            clock: config.clock,
            tolerance: config.tolerance,
            retry: config.retry,
            auto_complete: Mutex::new(config.auto_complete),
            client: HttpClient::new(config.delivery_timeout).for_simulator(crate::http::Simulator::Assessio),
            runtime: tokio::runtime::Handle::current(),
            base_url: OnceLock::new(),
            stop: OnceLock::new(),
            state: Mutex::new(State::default()),
            pending,
        });
        let faults = Faults::new();
        let server = Server::start(Arc::new(AssessioHandler(Arc::clone(&shared))), faults.clone()).await?;
        // Set once, right after binding: nothing knows the port before this.
        let _ = shared.base_url.set(server.url());
        let _ = shared.stop.set(server.signal());
        Ok(Self { shared, faults, server })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:<port>`: the base URL an `Environment::Custom` takes.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Stops serving and stops every delivery in flight. Also done on drop.
    pub fn shutdown(&self) {
        self.server.shutdown();
    }

    /// The fault plans, by [`route`].
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Every body refused because Assessio's published schema forbids it
    /// (see [`crate::http::SCHEMA_ROUTES`]), oldest first.
    pub fn schema_refusals(&self) -> Vec<crate::http::SchemaRefusal> {
        self.server.schema_refusals()
    }

    /// The clock signatures are checked against.
    pub fn clock(&self) -> &SimClock {
        &self.shared.clock
    }

    /// A configured organisation (credentials included: tests build the
    /// connector's account from it and [`Self::url`]).
    pub fn organisation(&self, provider_key: &str) -> Option<Organisation> {
        self.shared.organisation(Some(provider_key)).cloned()
    }

    /// Turns automatic completion on (after `delay`) or off, for orders accepted from now on.
    pub fn set_auto_complete(&self, delay: Option<Duration>) {
        *lock(&self.shared.auto_complete) = delay;
    }

    /// Every accepted order, in order.
    pub fn orders(&self) -> Vec<AcceptedOrder> {
        lock(&self.shared.state).orders.clone()
    }

    /// How many orders were accepted.
    pub fn order_count(&self) -> usize {
        lock(&self.shared.state).orders.len()
    }

    /// Every request to an order endpoint that reached the simulator's logic
    /// (injected faults answer before it), accepted or refused.
    pub fn received(&self) -> Vec<ReceivedOrder> {
        lock(&self.shared.state).received.clone()
    }

    /// How many order requests reached the simulator's logic.
    pub fn attempt_count(&self) -> usize {
        lock(&self.shared.state).received.len()
    }

    /// The union of the field names of every order body received.
    pub fn field_names(&self) -> BTreeSet<String> {
        lock(&self.shared.state).received.iter().flat_map(|r| r.field_names.iter().cloned()).collect()
    }

    /// Every recruitment, in order of creation.
    pub fn recruitments(&self) -> Vec<RecruitmentRecord> {
        lock(&self.shared.state).recruitments.clone()
    }

    /// Every delivery started, in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.shared.state).deliveries.clone()
    }

    /// Completes the latest accepted order with `result_id` and starts
    /// delivering its result (in the background; see [`AssessioSim::settled`]).
    pub fn complete(&self, result_id: &str, scores: &Scores) -> Result<(), AssessioSimError> {
        check_scores(scores)?;
        let (order, recruitment_url) = self.find_order(result_id)?;
        let body = result_body(&order, &recruitment_url, self.shared.base_url(), scores);
        start_delivery(&self.shared, &order, body, Pending::new(&self.shared), Body::Built);
        Ok(())
    }

    /// Delivers `body` verbatim to the `resultUpdateUrl` of the latest order
    /// with `result_id`, with the usual credentials and retries: for tests of
    /// how a receiver copes with what Assessio should never send.
    pub fn deliver_raw(&self, result_id: &str, body: impl Into<Bytes>) -> Result<(), AssessioSimError> {
        let (order, _) = self.find_order(result_id)?;
        start_delivery(&self.shared, &order, body.into(), Pending::new(&self.shared), Body::Raw);
        Ok(())
    }

    fn find_order(&self, result_id: &str) -> Result<(AcceptedOrder, String), AssessioSimError> {
        let state = lock(&self.shared.state);
        let order = state
            .orders
            .iter()
            .rev()
            .find(|o| o.result_id == result_id)
            .cloned()
            .ok_or_else(|| AssessioSimError::UnknownResult(result_id.to_owned()))?;
        let url = recruitment_of(&state, &order).map(|r| r.url.clone()).unwrap_or_default();
        Ok((order, url))
    }

    /// Resolves when no delivery is in flight and no completion is scheduled.
    pub async fn settled(&self) {
        let mut rx = self.shared.pending.subscribe();
        // The sender lives in `shared`, which `self` keeps alive.
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    /// [`AssessioSim::settled`] with a limit; `false` if it was reached first.
    pub async fn settled_within(&self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.settled()).await.is_ok()
    }
}

fn check_scores(scores: &Scores) -> Result<(), AssessioSimError> {
    let all = std::iter::once(("score", scores.score)).chain(scores.subscores.iter().map(|(n, s)| (n.as_str(), *s)));
    for (name, value) in all {
        if value > 100 {
            return Err(AssessioSimError::ScoreOutOfRange { name: name.to_owned(), value });
        }
    }
    Ok(())
}

fn recruitment_of<'a>(state: &'a State, order: &AcceptedOrder) -> Option<&'a RecruitmentRecord> {
    state
        .recruitments
        .iter()
        .find(|r| r.provider_key == order.provider_key && r.id == order.recruitment_id && r.lens_id == order.lens_id)
}

/// The result webhook body, field for field as Assessio's reference shows it.
fn result_body(order: &AcceptedOrder, recruitment_url: &str, base: &str, scores: &Scores) -> Bytes {
    let subscores: Map<String, Value> = scores.subscores.iter().map(|(n, s)| (n.clone(), json!(s))).collect();
    let body = json!({
        "resultId": order.result_id,
        "recruitmentUrl": recruitment_url,
        "assessmentReportUrl": format!("{base}/reports/{}", order.number),
        "score": scores.score,
        "subscores": subscores,
    });
    Bytes::from(body.to_string())
}

/// Where a delivered body came from, which decides whether it is checked
/// against `assessio/result-webhook` on the way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Built by this simulator from the reference: must match the schema.
    Built,
    /// A test's own bytes ([`AssessioSim::deliver_raw`]), off-document on
    /// purpose: not checked.
    Raw,
}

/// Records a pending delivery and spawns its task.
fn start_delivery(shared: &Arc<Shared>, order: &AcceptedOrder, body: Bytes, pending: Pending, source: Body) {
    let org_key = shared.organisation(Some(&order.provider_key)).map(|o| o.integrator_api_key.clone());
    let index = {
        let mut state = lock(&shared.state);
        state.deliveries.push(Delivery {
            result_id: order.result_id.clone(),
            url: order.result_update_url.clone(),
            body: body.clone(),
            attempts: Vec::new(),
            state: DeliveryState::Pending,
        });
        state.deliveries.len() - 1
    };
    let client = match source {
        Body::Built => shared.client.clone(),
        Body::Raw => shared.client.unchecked(),
    };
    let task =
        deliver(Arc::clone(shared), client, index, order.result_update_url.clone(), org_key.unwrap_or_default(), body);
    shared.runtime.spawn(async move {
        task.await;
        drop(pending);
    });
}

/// POSTs until a 2xx, retrying per the policy; every attempt is recorded.
async fn deliver(shared: Arc<Shared>, client: HttpClient, index: usize, url: String, api_key: String, body: Bytes) {
    let Some(mut stop) = shared.stop.get().cloned() else { return };
    let policy = shared.retry;
    let max_attempts = policy.max_attempts.max(1);
    let first = Instant::now();
    let bearer = format!("Bearer {api_key}");
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
    let mut attempt = 0u32;
    let outcome = loop {
        attempt += 1;
        let waited = policy.delay_before(attempt);
        if attempt > 1 {
            if attempt > max_attempts || first.elapsed().saturating_add(waited) > policy.max_elapsed {
                break DeliveryState::GaveUp;
            }
            tokio::select! {
                () = tokio::time::sleep(waited) => {}
                () = stop.wait() => break DeliveryState::Stopped,
            }
        }
        let at = first.elapsed();
        let sent = tokio::select! {
            sent = client.request(Method::POST, &url, &headers, body.clone()) => sent,
            () = stop.wait() => break DeliveryState::Stopped,
        };
        let outcome = match sent {
            Ok(response) => AttemptOutcome::Status(response.status),
            Err(e) => AttemptOutcome::Failed(e.to_string()),
        };
        let success = outcome.is_success();
        if let Some(d) = lock(&shared.state).deliveries.get_mut(index) {
            d.attempts.push(DeliveryAttempt { number: attempt, waited, at, outcome });
        }
        if success {
            break DeliveryState::Delivered;
        }
    };
    if let Some(d) = lock(&shared.state).deliveries.get_mut(index) {
        d.state = outcome;
    }
}

/// Every field name in `value`: `a`, `a.b`, `list[].c`.
fn field_names(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                field_names(inner, &path, out);
                out.insert(path);
            }
        }
        Value::Array(items) => {
            let path = format!("{prefix}[]");
            for item in items {
                field_names(item, &path, out);
            }
        }
        _ => {}
    }
}

/// An order body that passed every check.
struct ValidOrder {
    recruitment_id: String,
    recruitment_title: String,
    collaborators: Vec<String>,
    result_update_url: String,
    result_id: String,
    lens_id: String,
    locale: String,
    candidate: CandidateDetails,
}

fn plausible_email(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && !s.chars().any(char::is_whitespace)
}

/// An absolute `http:` or `https:` URL with a host (scheme in any case).
pub(crate) fn http_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let skip = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return false;
    };
    let rest = s.get(skip..).unwrap_or_default();
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !host.starts_with(':') && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A required, non-blank string member.
fn required_text(obj: &Map<String, Value>, key: &str, path: &str) -> Result<String, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(format!("{path} is required")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(format!("{path} must not be empty")),
        Some(Value::String(s)) => Ok(s.trim().to_owned()),
        Some(_) => Err(format!("{path} must be a string")),
    }
}

fn required_object<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(format!("{key} is required")),
        Some(Value::Object(inner)) => Ok(inner),
        Some(_) => Err(format!("{key} must be an object")),
    }
}

/// The body checks, in the order of the reference's field list. Unknown
/// members are ignored, as a lenient JSON binding does.
fn validate_order(org: &Organisation, body: &Value) -> Result<ValidOrder, String> {
    let Value::Object(obj) = body else { return Err("the body must be a JSON object".into()) };
    let recruitment = required_object(obj, "recruitment")?;
    let recruitment_id = required_text(recruitment, "id", "recruitment.id")?;
    let recruitment_title = required_text(recruitment, "title", "recruitment.title")?;
    if let Some(d) = recruitment.get("description").filter(|d| !d.is_null() && !d.is_string()) {
        return Err(format!("recruitment.description must be a string, not {d}"));
    }
    let collaborators = match obj.get("additionalRecruitmentCollaboratorsEmails") {
        None | Some(Value::Null) => return Err("additionalRecruitmentCollaboratorsEmails is required".into()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, e)| match e {
                Value::String(s) if plausible_email(s) => Ok(s.clone()),
                _ => Err(format!("additionalRecruitmentCollaboratorsEmails[{i}] is not an email address")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err("additionalRecruitmentCollaboratorsEmails must be an array".into()),
    };
    let result_update_url = required_text(obj, "resultUpdateUrl", "resultUpdateUrl")?;
    if !http_url(&result_update_url) {
        return Err("resultUpdateUrl must be an http(s) URL".into());
    }
    let result_id = required_text(obj, "resultId", "resultId")?;
    let lens_id = required_text(obj, "lensId", "lensId")?;
    if !org.lenses.iter().any(|l| l.id == lens_id) {
        return Err(format!("Unknown lens: {lens_id} is not available to this organisation"));
    }
    let locale = required_text(obj, "locale", "locale")?;
    if !org.locales.contains(&locale) {
        return Err(format!("Unknown locale: {locale} is not available to this organisation"));
    }
    let details = required_object(obj, "candidateDetails")?;
    let email = required_text(details, "email", "candidateDetails.email")?;
    if !plausible_email(&email) {
        return Err("candidateDetails.email is not an email address".into());
    }
    // Seed 000: without a first and last name the tests cannot be sent.
    let name = |key: &str| {
        required_text(details, key, &format!("candidateDetails.{key}"))
            .map_err(|e| format!("{e}: Assessio needs the candidate's first and last name to send the assessment"))
    };
    let first_name = name("firstName")?;
    let last_name = name("lastName")?;
    Ok(ValidOrder {
        recruitment_id,
        recruitment_title,
        collaborators,
        result_update_url,
        result_id,
        lens_id,
        locale,
        candidate: CandidateDetails { email, first_name, last_name },
    })
}

fn message(status: StatusCode, text: &str) -> SimResponse {
    SimResponse::json(status, &json!({ "message": text }))
}

struct AssessioHandler(Arc<Shared>);

impl Handler for AssessioHandler {
    fn simulator(&self) -> Option<crate::http::Simulator> {
        Some(crate::http::Simulator::Assessio)
    }

    fn route(&self, method: &Method, path: &str) -> &'static str {
        match (method, path) {
            (&Method::GET, CONFIG_PATH) => route::CONFIG,
            (&Method::POST, ORDER_PATH) => route::ORDER,
            (&Method::POST, ORDER_LINK_PATH) => route::ORDER_LINK,
            (&Method::GET, p) if ["/take/", "/recruitments/", "/reports/"].iter().any(|pre| p.starts_with(pre)) => {
                route::PAGES
            }
            _ => route::OTHER,
        }
    }

    fn handle(&self, request: SimRequest) -> SimResponse {
        let method = request.method.clone();
        match (request.path.as_str(), method) {
            (CONFIG_PATH, Method::GET) => self.config(&request),
            (ORDER_PATH, Method::POST) => self.order(OrderEndpoint::Order, &request),
            (ORDER_LINK_PATH, Method::POST) => self.order(OrderEndpoint::OrderLink, &request),
            (CONFIG_PATH | ORDER_PATH | ORDER_LINK_PATH, _) => {
                message(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
            }
            (path, Method::GET) => self.page(path),
            _ => message(StatusCode::NOT_FOUND, "Not found"),
        }
    }
}

impl AssessioHandler {
    fn config(&self, request: &SimRequest) -> SimResponse {
        let Some(org) = self.0.organisation(request.header("provider-key")) else {
            return message(StatusCode::UNAUTHORIZED, "Unknown or missing provider-key");
        };
        let lenses: Vec<Value> = org.lenses.iter().map(|l| json!({ "id": l.id, "name": l.name })).collect();
        SimResponse::json(StatusCode::OK, &json!({ "availableLenses": lenses, "availableLocales": org.locales }))
    }

    fn order(&self, endpoint: OrderEndpoint, request: &SimRequest) -> SimResponse {
        let json: Option<Value> = serde_json::from_slice(&request.body).ok();
        let mut names = BTreeSet::new();
        if let Some(v) = &json {
            field_names(v, "", &mut names);
        }
        let provider_key = request.header("provider-key").map(str::to_owned);
        let mut record = ReceivedOrder {
            endpoint,
            provider_key,
            status: 0,
            message: None,
            body: request.body.clone(),
            json: json.clone(),
            field_names: names,
        };
        let response = self.place(endpoint, request, json.as_ref());
        record.status = response.status.as_u16();
        if !response.status.is_success() {
            record.message = serde_json::from_slice::<Value>(&response.body)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned));
        }
        lock(&self.0.state).received.push(record);
        response
    }

    /// The checks in the order Assessio's gateway would run them: who, then
    /// whether the bytes are authentic, then what they say.
    ///
    /// Assumed where the reference is silent: a wrong `Content-Type` is 415;
    /// refusals carry `{"message": ...}`; `/assessment-order` answers the JSON
    /// string `"order-<n>"` (the reference shows only `"string"`); and a
    /// candidate already in the recruitment is accepted again there (only
    /// the link endpoint is documented to answer 409), as a new order with
    /// its own result id, without adding the candidate twice.
    fn place(&self, endpoint: OrderEndpoint, request: &SimRequest, json: Option<&Value>) -> SimResponse {
        let shared = &self.0;
        let Some(org) = shared.organisation(request.header("provider-key")) else {
            return message(StatusCode::UNAUTHORIZED, "Unknown or missing provider-key");
        };
        if let Some(secret) = org.integrator_secret.as_deref() {
            let header = request.headers.get("signature").map(|v| v.to_str().unwrap_or("\u{0}"));
            if let Err(e) = check_signature(header, &request.body, secret, shared.clock.now(), shared.tolerance) {
                return message(StatusCode::UNAUTHORIZED, &format!("Invalid signature: {e}"));
            }
        }
        if !request.is_json() {
            return message(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
        }
        let Some(body) = json else {
            return message(StatusCode::BAD_REQUEST, "The body is not valid JSON");
        };
        let valid = match validate_order(org, body) {
            Ok(v) => v,
            Err(why) => return message(StatusCode::BAD_REQUEST, &why),
        };
        let base = shared.base_url().to_owned();
        let mut state = lock(&shared.state);
        let existing = state.recruitments.iter().position(|r| {
            r.provider_key == org.provider_key && r.id == valid.recruitment_id && r.lens_id == valid.lens_id
        });
        let already_in = existing.is_some_and(|i| {
            state.recruitments[i].candidates.iter().any(|c| c.eq_ignore_ascii_case(&valid.candidate.email))
        });
        if already_in && endpoint == OrderEndpoint::OrderLink {
            return message(StatusCode::CONFLICT, "The candidate's email already exists in this recruitment");
        }
        let created_recruitment = existing.is_none();
        let recruitment = if let Some(i) = existing {
            i
        } else {
            let number = state.recruitments.len() as u64 + 1;
            state.recruitments.push(RecruitmentRecord {
                number,
                provider_key: org.provider_key.clone(),
                id: valid.recruitment_id.clone(),
                lens_id: valid.lens_id.clone(),
                title: valid.recruitment_title.clone(),
                locale: valid.locale.clone(),
                candidates: Vec::new(),
                url: format!("{base}/recruitments/{number}"),
            });
            state.recruitments.len() - 1
        };
        if !already_in {
            state.recruitments[recruitment].candidates.push(valid.candidate.email.clone());
        }
        let number = state.orders.len() as u64 + 1;
        let link = (endpoint == OrderEndpoint::OrderLink).then(|| format!("{base}/take/{}", link_token(number)));
        let order = AcceptedOrder {
            number,
            endpoint,
            provider_key: org.provider_key.clone(),
            result_id: valid.result_id,
            result_update_url: valid.result_update_url,
            recruitment_id: valid.recruitment_id,
            recruitment_title: valid.recruitment_title,
            lens_id: valid.lens_id,
            locale: valid.locale,
            candidate: valid.candidate,
            collaborators: valid.collaborators,
            created_recruitment,
            link: link.clone(),
            body: body.clone(),
        };
        let recruitment_url = state.recruitments[recruitment].url.clone();
        state.orders.push(order.clone());
        drop(state);
        if let Some(delay) = *lock(&shared.auto_complete) {
            schedule_completion(shared, order.clone(), recruitment_url, delay);
        }
        match link {
            Some(link) => SimResponse::json(StatusCode::OK, &json!({ "assessmentPackageLink": link })),
            // The reference's answer is a bare JSON string.
            None => SimResponse::json(StatusCode::OK, &json!(format!("order-{number}"))),
        }
    }

    /// The pages behind the links handed out, so following one works.
    fn page(&self, path: &str) -> SimResponse {
        let state = lock(&self.0.state);
        let found = if let Some(token) = path.strip_prefix("/take/") {
            state
                .orders
                .iter()
                .find(|o| o.link.as_deref().is_some_and(|l| l.ends_with(&format!("/take/{token}"))))
                .map(|o| format!("Assessment package for {} {}", o.candidate.first_name, o.candidate.last_name))
        } else if let Some(n) = path.strip_prefix("/recruitments/") {
            state.recruitments.iter().find(|r| r.number.to_string() == n).map(|r| format!("Recruitment {}", r.title))
        } else if let Some(n) = path.strip_prefix("/reports/") {
            state.orders.iter().find(|o| o.number.to_string() == n).map(|o| format!("Report for {}", o.result_id))
        } else {
            None
        };
        match found {
            Some(text) => SimResponse::text(StatusCode::OK, text),
            None => message(StatusCode::NOT_FOUND, "Not found"),
        }
    }
}

/// An unguessable-looking but deterministic token for an order's link.
fn link_token(number: u64) -> String {
    let mut rng = XorShift64::new(number.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64())
}

/// Completes `order` after `delay` with deterministic scores.
fn schedule_completion(shared: &Arc<Shared>, order: AcceptedOrder, recruitment_url: String, delay: Duration) {
    let pending = Pending::new(shared);
    let shared2 = Arc::clone(shared);
    shared.runtime.spawn(async move {
        let Some(mut stop) = shared2.stop.get().cloned() else { return };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stop.wait() => return,
        }
        let scores = Scores::deterministic(&order.result_id);
        let body = result_body(&order, &recruitment_url, shared2.base_url(), &scores);
        // The pending unit moves on to the delivery.
        start_delivery(&shared2, &order, body, pending, Body::Built);
    });
}

/// Assessio's clock-skew allowance: "Assessio rejects timestamps more than
/// 300 s away from its clock" (`docs/hub-apis.md`), on both sides.
pub const SIGNATURE_TOLERANCE: u32 = 300;

/// Assessio's check of a `Signature: t=<unix>,signature=<hex>` header, as
/// its reference describes it: HMAC-SHA256 keyed with the integrator-secret's
/// UTF-8 bytes over `"<t>." + body`, lowercase hex, the timestamp within the
/// tolerance of Assessio's clock. Written here from that description with
/// `hmac` and `sha2` directly, never with the connector's verifier, so the
/// connector's signing is checked against an oracle and not against itself.
///
/// Where the reference is silent, assumed: elements are separated by
/// commas with optional spaces; unknown keys are ignored; more than one
/// `signature=` is accepted if any one matches (key rotation, as Stripe
/// does); hex in either case is read. The answer says which check failed,
/// never the expected signature.
pub fn check_signature(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: i64,
    tolerance: u32,
) -> Result<(), String> {
    use hmac::{Hmac, KeyInit, Mac};
    let header = header.filter(|h| !h.trim().is_empty()).ok_or("the Signature header is missing")?;
    let mut t: Option<&str> = None;
    let mut signatures = Vec::new();
    for element in header.split(',') {
        let Some((key, value)) = element.trim().split_once('=') else {
            return Err(format!("`{}` is not key=value", element.trim()));
        };
        match key {
            "t" if t.is_some() => return Err("more than one `t`".into()),
            "t" => t = Some(value),
            "signature" => signatures.push(value),
            _ => {}
        }
    }
    let t_digits = t.ok_or("no `t=` timestamp")?;
    let signed_at: i64 = t_digits
        .parse()
        .ok()
        .filter(|_| !t_digits.is_empty() && t_digits.bytes().all(|b| b.is_ascii_digit()))
        .ok_or("`t` is not Unix seconds")?;
    if signatures.is_empty() {
        return Err("no `signature=`".into());
    }
    let mut data = Vec::with_capacity(t_digits.len() + 1 + body.len());
    data.extend_from_slice(t_digits.as_bytes());
    data.push(b'.');
    data.extend_from_slice(body);
    let matches = signatures.iter().any(|sig| {
        let Ok(raw) = hex::decode(sig) else { return false };
        let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else { return false };
        mac.update(&data);
        // `verify_slice` compares in constant time.
        mac.verify_slice(&raw).is_ok()
    });
    if !matches {
        return Err("no signature matches the body".into());
    }
    let skew = now.abs_diff(signed_at);
    if skew > u64::from(tolerance) {
        let when = if signed_at < now { "ago" } else { "ahead of Assessio's clock" };
        return Err(format!("signed {skew} s {when}, more than the {tolerance} s allowed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac example-integrator-secret`
    const OPENSSL_SIG: &str = "3058f38a49d2651418917b7cf6a0f29c628974be240887538bc889c05906f2a4";

    #[test]
    fn the_signature_check_accepts_openssls_hmac_and_refuses_the_rest() {
        let (body, secret, t) = (br#"{"a":1}"#.as_slice(), "example-integrator-secret", 1_700_000_000);
        let good = format!("t={t},signature={OPENSSL_SIG}");
        assert_eq!(check_signature(Some(&good), body, secret, t, 300), Ok(()));
        let upper = format!("t={t}, signature={}", OPENSSL_SIG.to_uppercase());
        assert_eq!(check_signature(Some(&upper), body, secret, t + 300, 300), Ok(()));
        let rotated = format!("t={t},signature={},signature={OPENSSL_SIG}", "0".repeat(64));
        assert_eq!(check_signature(Some(&rotated), body, secret, t - 300, 300), Ok(()));
        for (header, now, why) in [
            (None, t, "missing"),
            (Some(good.as_str()), t + 301, "signed 301 s ago"),
            (Some(good.as_str()), t - 301, "signed 301 s ahead"),
            (Some(&format!("signature={OPENSSL_SIG}")), t, "no `t=`"),
            (Some(&format!("t=1x,signature={OPENSSL_SIG}")), t, "Unix seconds"),
            (Some(&format!("t={t}")), t, "no `signature=`"),
            (Some(&format!("t={t},signature={}", &OPENSSL_SIG[1..])), t, "no signature matches"),
        ] {
            let e = check_signature(header, body, secret, now, 300).unwrap_err();
            assert!(e.contains(why), "{header:?} at {now}: {e}");
            assert!(!e.contains(OPENSSL_SIG), "{e}");
        }
        assert!(check_signature(Some(&good), br#"{"a":2}"#, secret, t, 300).is_err());
        assert!(check_signature(Some(&good), body, "another-secret", t, 300).is_err());
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p =
            RetryPolicy { base: Duration::from_millis(20), cap: Duration::from_millis(100), ..RetryPolicy::default() };
        let delays: Vec<u128> = (1..=6).map(|a| p.delay_before(a).as_millis()).collect();
        assert_eq!(delays, [0, 20, 40, 80, 100, 100]);
        assert_eq!(p.delay_before(200), Duration::from_millis(100));
    }

    #[test]
    fn field_names_cover_nesting_and_arrays() {
        let mut out = BTreeSet::new();
        field_names(&json!({"a": {"b": 1}, "l": [{"c": 2}, "x"], "s": ["e"]}), "", &mut out);
        let got: Vec<&str> = out.iter().map(String::as_str).collect();
        assert_eq!(got, ["a", "a.b", "l", "l[].c", "s"]);
    }

    #[test]
    fn deterministic_scores_are_stable_and_in_range() {
        let a = Scores::deterministic("r-1");
        assert_eq!(a, Scores::deterministic("r-1"));
        assert!(a.score <= 100 && a.subscores.iter().all(|(_, s)| *s <= 100));
        assert_eq!(a.subscores.len(), COMPETENCIES.len());
    }

    #[test]
    fn emails_and_urls() {
        assert!(plausible_email("a.b@x.se"));
        assert!(!plausible_email("a@b@c.se") && !plausible_email("@x.se") && !plausible_email("a @x.se"));
        assert!(http_url("http://127.0.0.1:9/r") && http_url("https://x.io"));
        assert!(!http_url("ftp://x") && !http_url("http://") && !http_url("https:// x"));
    }
}
