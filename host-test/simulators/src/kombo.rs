//! A local Kombo unified ATS-assessment API, as Kombo documents it: its
//! published API schema (`openapi.json` on docs.kombo.dev, version 3.1.0: the
//! webhook `assessment:order-received` with the schema
//! `AssessmentOrderReceivedWebhookPayload`, and the operations
//! `PUT /assessment/packages`, `GET /assessment/orders` and
//! `PUT /assessment/orders/{assessment_order_id}/result`), seed 004 (the
//! assessment guide: the 422 rejection) and the hub notes
//! (`shared/docs/hub-apis.md`).
//!
//! It is an oracle: it sends what those documents allow and checks what it
//! receives against them, never against the connector. In particular:
//! - the webhook is the documented envelope `{"id", "type", "data"}`; in
//!   `data` every field the schema lists is sent (its `required` lists them
//!   all), and every nullable one can be `null`: the candidate's `remote_id`,
//!   names and phone, `application.remote_id`, the job's `remote_id`, `name`,
//!   `job_code`, `description` and `location`, and each hiring team member's
//!   `remote_id`, `email` and names ([`NewOrder::sparse`] sends them all
//!   `null`). `remote_data` is not in the schema (`additionalProperties:
//!   false`); it is sent only when a test asks for seed 004's older shape;
//! - `GET /assessment/orders` results carry no `integration_id` (the schema
//!   of `GetAssessmentOrdersPositiveResponse` has none: the page is the
//!   integration of `X-Integration-Id`);
//! - result writes are checked against
//!   `PutAssessmentOrdersAssessmentOrderIdResultRequestBody`: `score`,
//!   `max_score` and a `SUB_RESULT`'s `score.value` are any numbers
//!   (doubles), `score.max` at least 1.
//!
//! Where the documents are silent the simulator says so at the spot
//! ("assumed"), rather than inventing a rule silently.
//!
//! Served under `/v1`: `PUT /assessment/packages`, `GET /assessment/orders`
//! and `PUT /assessment/orders/{id}/result`, each behind `Authorization:
//! Bearer <api key>` and a known `X-Integration-Id`, refusing with Kombo's
//! error body. Bodies are validated strictly against the documented shapes.
//!
//! It also plays the ATS side that Kombo relays: a test creates an order and
//! the simulator sends the `assessment:order-received` webhook, signed with
//! `X-Kombo-Signature` (HMAC-SHA256 of the raw body, base64url without
//! padding). The signature is computed here with `hmac`, `sha2` and `base64`
//! directly, independently of the connector, so a shared mistake cannot make
//! both sides agree. A 422 answer shaped `{"status":"ORDER_REJECTED","message"}`
//! rejects the order; any other answer leaves it open, as Kombo does.

use crate::assessio::http_url;
pub use crate::common::WebhookSignature;
use crate::common::{WebhookAnswer, hmac_sha256, is_rfc3339, lock};
use crate::delivery::{self, Event, Outbox, Retry};
use crate::faults::{Faults, XorShift64};
use crate::http::{Handler, HttpClient, Server, SimRequest, SimResponse};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The simulator's route names, for fault plans and counts.
pub mod route {
    /// `PUT /v1/assessment/packages`.
    pub const PACKAGES: &str = "PUT /v1/assessment/packages";
    /// `GET /v1/assessment/orders`.
    pub const ORDERS: &str = "GET /v1/assessment/orders";
    /// `PUT /v1/assessment/orders/{id}/result`.
    pub const RESULT: &str = "PUT /v1/assessment/orders/{id}/result";
    /// Anything else (answered 404 or 405).
    pub const OTHER: &str = "other";
}

const PACKAGES_PATH: &str = "/v1/assessment/packages";
const ORDERS_PATH: &str = "/v1/assessment/orders";
/// Kombo's documented maximum page size.
pub const MAX_PAGE_SIZE: u32 = 250;
/// The webhook event this simulator sends.
pub const ORDER_RECEIVED: &str = "assessment:order-received";
/// The webhook's signature header.
pub const SIGNATURE_HEADER: &str = "X-Kombo-Signature";

/// Everything the simulator is started with.
#[derive(Clone)]
pub struct KomboConfig {
    /// The bearer token every call must present.
    pub api_key: String,
    /// The integration ids it knows (`workday:CBNMt7dSNCzBdnRTx87dev4E` style).
    pub integrations: Vec<String>,
    /// Where order webhooks go; settable later with [`KomboSim::set_webhook_url`].
    pub webhook_url: Option<String>,
    /// Keys the `X-Kombo-Signature` HMAC.
    pub webhook_secret: String,
    /// How long a webhook delivery may take.
    pub webhook_timeout: Duration,
    /// Page size when the caller gives none.
    pub default_page_size: u32,
}

/// Credentials never reach a log through `{:?}`.
impl fmt::Debug for KomboConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KomboConfig")
            .field("api_key", &"<redacted>")
            .field("integrations", &self.integrations)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &"<redacted>")
            .field("webhook_timeout", &self.webhook_timeout)
            .field("default_page_size", &self.default_page_size)
            .finish()
    }
}

impl KomboConfig {
    /// One API key, these integrations, this webhook secret; no webhook URL
    /// yet, a 2 s webhook timeout and pages of 100.
    pub fn new(api_key: &str, integrations: &[&str], webhook_secret: &str) -> Self {
        Self {
            api_key: api_key.to_owned(),
            integrations: integrations.iter().map(|s| (*s).to_owned()).collect(),
            webhook_url: None,
            webhook_secret: webhook_secret.to_owned(),
            webhook_timeout: Duration::from_secs(2),
            default_page_size: 100,
        }
    }
}

/// What kind of assessment a package is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageType {
    /// `BEHAVIORAL`: what an Assessio lens is.
    Behavioral,
    /// `VIDEO_INTERVIEW`.
    VideoInterview,
    /// `SKILLS_TEST`.
    SkillsTest,
    /// `BACKGROUND_CHECK`.
    BackgroundCheck,
    /// `REFERENCE_CHECK`.
    ReferenceCheck,
}

impl PackageType {
    const ALL: [Self; 5] =
        [Self::Behavioral, Self::VideoInterview, Self::SkillsTest, Self::BackgroundCheck, Self::ReferenceCheck];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Behavioral => "BEHAVIORAL",
            Self::VideoInterview => "VIDEO_INTERVIEW",
            Self::SkillsTest => "SKILLS_TEST",
            Self::BackgroundCheck => "BACKGROUND_CHECK",
            Self::ReferenceCheck => "REFERENCE_CHECK",
        }
    }

    /// From the wire name, exactly.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A package as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The provider's id; orders carry it as `package_id`.
    pub id: String,
    /// Its kind.
    pub package_type: PackageType,
    /// Shown in the ATS.
    pub name: String,
    /// Shown in the ATS.
    pub description: String,
}

/// An order's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Waiting for a result.
    Open,
    /// A result was written.
    Completed,
    /// Cancelled.
    Cancelled,
    /// The provider refused it with a 422.
    Rejected,
}

impl OrderStatus {
    const ALL: [Self; 4] = [Self::Open, Self::Completed, Self::Cancelled, Self::Rejected];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::Rejected => "REJECTED",
        }
    }

    /// From the wire name, exactly.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A hiring team member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiringTeamRole {
    /// `RECRUITER`.
    Recruiter,
    /// `HIRING_MANAGER`.
    HiringManager,
}

impl HiringTeamRole {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recruiter => "RECRUITER",
            Self::HiringManager => "HIRING_MANAGER",
        }
    }
}

/// The candidate of an order; everything but the email may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KomboCandidate {
    /// The ATS's id.
    pub remote_id: Option<String>,
    /// Always present.
    pub email: String,
    /// May be missing in the ATS.
    pub first_name: Option<String>,
    /// May be missing in the ATS.
    pub last_name: Option<String>,
    /// May be missing in the ATS.
    pub phone: Option<String>,
}

/// One person of the job's hiring team. Every field but the roles is
/// nullable in Kombo's schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HiringTeamMember {
    /// The ATS's id.
    pub remote_id: Option<String>,
    /// Their email.
    pub email: Option<String>,
    /// Their first name.
    pub first_name: Option<String>,
    /// Their last name.
    pub last_name: Option<String>,
    /// What they do for this job.
    pub hiring_team_roles: Vec<HiringTeamRole>,
}

/// The job of an order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KomboJob {
    /// The ATS's id.
    pub remote_id: Option<String>,
    /// The job title.
    pub name: Option<String>,
    /// The ATS's requisition code.
    pub job_code: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Kombo's location object (`city`, `country`, ...), as given.
    pub location: Option<Value>,
    /// Who hires.
    pub hiring_team: Vec<HiringTeamMember>,
}

/// What a test orders, as if from the customer's ATS.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// The integration the order comes through.
    pub integration_id: String,
    /// A published package's id (not checked: the ATS may lag behind).
    pub package_id: String,
    /// Who is assessed.
    pub candidate: KomboCandidate,
    /// The application's ATS id.
    pub application_remote_id: Option<String>,
    /// For which job.
    pub job: KomboJob,
    /// Seed 004's guide shows a `remote_data` member in the order; Kombo's
    /// schema has none (`additionalProperties: false`). `None` (the default)
    /// sends the documented shape; `Some` adds it, as that older guide shows.
    pub remote_data: Option<Value>,
}

impl NewOrder {
    /// A complete, plausible order: names, phone, a job with a location and
    /// one recruiter (the shape of seed 004's example).
    pub fn example(integration_id: &str, package_id: &str, email: &str) -> Self {
        Self {
            integration_id: integration_id.to_owned(),
            package_id: package_id.to_owned(),
            candidate: KomboCandidate {
                remote_id: Some("26vafvWSRmbhNcxJYqjCzuJg".into()),
                email: email.to_owned(),
                first_name: Some("John".into()),
                last_name: Some("Doe".into()),
                phone: Some("+1 123 456 7890".into()),
            },
            application_remote_id: Some("HAQ9uCfC1zi3TLbB1n5cyHgP".into()),
            job: KomboJob {
                remote_id: Some("A1KQKhAgTv6ZwzrfAbqbhcde".into()),
                name: Some("Engineering Manager".into()),
                job_code: Some("EM-1".into()),
                description: Some("Leads a team of engineers.".into()),
                location: Some(json!({ "city": "San Francisco", "country": "United States" })),
                hiring_team: vec![HiringTeamMember {
                    remote_id: Some("26vafvWSRmbhNcxJYqjCzuJr".into()),
                    email: Some("jane.doe@example.com".into()),
                    first_name: Some("Jane".into()),
                    last_name: Some("Doe".into()),
                    hiring_team_roles: vec![HiringTeamRole::Recruiter],
                }],
            },
            remote_data: None,
        }
    }

    /// The sparsest order Kombo's schema allows: the required strings (ids,
    /// package, the candidate's email) and every nullable field `null`, with
    /// an empty hiring team. Tests fill in what they need on top.
    pub fn sparse(integration_id: &str, package_id: &str, email: &str) -> Self {
        Self {
            integration_id: integration_id.to_owned(),
            package_id: package_id.to_owned(),
            candidate: KomboCandidate { email: email.to_owned(), ..KomboCandidate::default() },
            application_remote_id: None,
            job: KomboJob::default(),
            remote_data: None,
        }
    }
}

/// An order as the simulator holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct KomboOrder {
    /// Kombo's id.
    pub id: String,
    /// The id of its `assessment:order-received` event (same on redelivery).
    pub event_id: String,
    /// Which integration.
    pub integration_id: String,
    /// Which package.
    pub package_id: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// The provider's message when it rejected the order.
    pub rejection_message: Option<String>,
    /// Accepted result writes.
    pub result_writes: Vec<Value>,
    /// What was ordered.
    pub order: NewOrder,
}

/// One webhook sent.
#[derive(Debug, Clone)]
pub struct WebhookSend {
    /// The order.
    pub order_id: String,
    /// The event id.
    pub event_id: String,
    /// How it was signed.
    pub signature: WebhookSignature,
    /// The header value sent, if any.
    pub signature_header: Option<String>,
    /// The exact body bytes.
    pub body: Bytes,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// The receiver's body.
    pub response_body: Bytes,
    /// Why there was no answer.
    pub error: Option<String>,
}

/// What sending a webhook led to.
#[derive(Debug, Clone)]
pub struct WebhookOutcome {
    /// The order.
    pub order_id: String,
    /// The event id.
    pub event_id: String,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// The receiver's body.
    pub body: Bytes,
    /// Why there was no answer.
    pub error: Option<String>,
    /// The order's status afterwards.
    pub order_status: OrderStatus,
}

/// One call to the API that reached the simulator's logic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCall {
    /// The method.
    pub method: String,
    /// The path and query.
    pub target: String,
    /// The `X-Integration-Id` sent.
    pub integration_id: Option<String>,
    /// What the simulator answered.
    pub status: u16,
}

/// What the simulator's own methods refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KomboSimError {
    /// The integration is not configured.
    UnknownIntegration(String),
    /// No such order.
    UnknownOrder(String),
    /// No webhook URL is configured.
    NoWebhookUrl,
}

impl fmt::Display for KomboSimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownIntegration(id) => write!(f, "unknown integration {id:?}"),
            Self::UnknownOrder(id) => write!(f, "unknown order {id:?}"),
            Self::NoWebhookUrl => f.write_str("no webhook URL is configured"),
        }
    }
}

impl std::error::Error for KomboSimError {}

impl Event for KomboOrder {
    fn id(&self) -> &str {
        &self.id
    }
    fn event_id(&self) -> &str {
        &self.event_id
    }
}

#[derive(Debug)]
struct State {
    packages: HashMap<String, Vec<Package>>,
    package_puts: usize,
    /// The orders, in order of creation; an order's cursor position is its
    /// place in it, from 1.
    orders: Outbox<KomboOrder>,
    sends: Vec<WebhookSend>,
    calls: Vec<ApiCall>,
    rng: XorShift64,
    webhook_url: Option<String>,
}

struct Shared {
    api_key: String,
    integrations: Vec<String>,
    webhook_secret: String,
    default_page_size: u32,
    client: HttpClient,
    base_url: OnceLock<String>,
    state: Mutex<State>,
}

/// A running Kombo simulator. Dropping it shuts it down.
pub struct KomboSim {
    shared: Arc<Shared>,
    faults: Faults,
    server: Server,
}

impl fmt::Debug for KomboSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KomboSim").field("addr", &self.server.addr()).finish_non_exhaustive()
    }
}

/// Kombo-style ids: 24 characters of an unambiguous alphabet.
fn kombo_id(rng: &mut XorShift64) -> String {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    (0..24)
        .map(|_| {
            let i = usize::try_from(rng.below(ALPHABET.len() as u64)).unwrap_or(0);
            char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
        })
        .collect()
}

/// `X-Kombo-Signature`: HMAC-SHA256 of the raw body under `secret`, base64url
/// without padding.
pub fn kombo_signature(secret: &str, body: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(secret, body))
}

impl KomboSim {
    /// Starts a simulator on `127.0.0.1` with an OS-chosen port.
    pub async fn start(config: KomboConfig) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            api_key: config.api_key,
            integrations: config.integrations,
            webhook_secret: config.webhook_secret,
            default_page_size: config.default_page_size.clamp(1, MAX_PAGE_SIZE),
            client: HttpClient::new(config.webhook_timeout).for_simulator(crate::http::Simulator::Kombo),
            base_url: OnceLock::new(),
            state: Mutex::new(State {
                packages: HashMap::new(),
                package_puts: 0,
                orders: Outbox::default(),
                sends: Vec::new(),
                calls: Vec::new(),
                // Fixed seed: the same test run gives the same ids.
                rng: XorShift64::new(0x4B6F_6D62_6F53_696D),
                webhook_url: config.webhook_url,
            }),
        });
        let faults = Faults::new();
        let server = Server::start(Arc::new(KomboHandler(Arc::clone(&shared))), faults.clone()).await?;
        let _ = shared.base_url.set(server.url());
        Ok(Self { shared, faults, server })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `http://127.0.0.1:<port>/v1`: what replaces `https://api.kombo.dev/v1`.
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.server.url())
    }

    /// Stops serving. Also done on drop.
    pub fn shutdown(&self) {
        self.server.shutdown();
    }

    /// The fault plans, by [`route`].
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Every body refused because Kombo's published schema forbids it
    /// (see [`crate::http::SCHEMA_ROUTES`]), oldest first.
    pub fn schema_refusals(&self) -> Vec<crate::http::SchemaRefusal> {
        self.server.schema_refusals()
    }

    /// Where order webhooks go from now on.
    pub fn set_webhook_url(&self, url: Option<String>) {
        lock(&self.shared.state).webhook_url = url;
    }

    /// The packages last published for `integration_id` (empty if none).
    pub fn packages(&self, integration_id: &str) -> Vec<Package> {
        lock(&self.shared.state).packages.get(integration_id).cloned().unwrap_or_default()
    }

    /// How many package lists were accepted.
    pub fn package_puts(&self) -> usize {
        lock(&self.shared.state).package_puts
    }

    /// Creates an OPEN order without sending its webhook; returns its id.
    pub fn create_order(&self, order: NewOrder) -> Result<String, KomboSimError> {
        if !self.shared.integrations.contains(&order.integration_id) {
            return Err(KomboSimError::UnknownIntegration(order.integration_id));
        }
        let mut state = lock(&self.shared.state);
        let id = kombo_id(&mut state.rng);
        let event_id = kombo_id(&mut state.rng);
        state.orders.create(KomboOrder {
            id: id.clone(),
            event_id,
            integration_id: order.integration_id.clone(),
            package_id: order.package_id.clone(),
            status: OrderStatus::Open,
            rejection_message: None,
            result_writes: Vec::new(),
            order,
        });
        Ok(id)
    }

    /// Creates an order and sends its webhook, correctly signed.
    pub async fn place_order(&self, order: NewOrder) -> Result<WebhookOutcome, KomboSimError> {
        let id = self.create_order(order)?;
        self.send_order_received(&id, WebhookSignature::Valid).await
    }

    /// Sends the order's webhook again, byte for byte, correctly signed.
    pub async fn redeliver(&self, order_id: &str) -> Result<WebhookOutcome, KomboSimError> {
        self.send_order_received(order_id, WebhookSignature::Valid).await
    }

    /// Sends (or re-sends) the order's `assessment:order-received` webhook,
    /// signed as asked, and applies a rejection if the answer is one.
    pub async fn send_order_received(
        &self,
        order_id: &str,
        signature: WebhookSignature,
    ) -> Result<WebhookOutcome, KomboSimError> {
        self.deliver(order_id, signature, None).await
    }

    /// Delivers the order's webhook, correctly signed, to `url` instead of
    /// the configured one: a delivery reaching one of several gateway
    /// instances behind a load balancer.
    pub async fn deliver_to(&self, order_id: &str, url: &str) -> Result<WebhookOutcome, KomboSimError> {
        self.deliver(order_id, WebhookSignature::Valid, Some(url)).await
    }

    async fn deliver(
        &self,
        order_id: &str,
        signature: WebhookSignature,
        to: Option<&str>,
    ) -> Result<WebhookOutcome, KomboSimError> {
        let (url, event_id, body) = {
            let mut state = lock(&self.shared.state);
            let url = match to {
                Some(url) => url.to_owned(),
                None => state.webhook_url.clone().ok_or(KomboSimError::NoWebhookUrl)?,
            };
            let (event_id, body) = state
                .orders
                .body(order_id, |order| {
                    let envelope = json!({
                        "id": order.event_id,
                        "type": ORDER_RECEIVED,
                        "data": order_json(order, Shape::Webhook),
                    });
                    Bytes::from(envelope.to_string())
                })
                .ok_or_else(|| KomboSimError::UnknownOrder(order_id.to_owned()))?;
            (url, event_id, body)
        };
        let header = signature.header_value(&self.shared.webhook_secret, |secret| kombo_signature(secret, &body));
        let extra: Vec<_> = header.iter().map(|h| (SIGNATURE_HEADER, h.as_str())).collect();
        let record = |_, answer: &WebhookAnswer| {
            lock(&self.shared.state).sends.push(WebhookSend {
                order_id: order_id.to_owned(),
                event_id: event_id.clone(),
                signature: signature.clone(),
                signature_header: header.clone(),
                body: body.clone(),
                status: answer.status,
                response_body: answer.body.clone(),
                error: answer.error.clone(),
            });
        };
        let (WebhookAnswer { status, body: response_body, error, .. }, _) =
            delivery::send(&self.shared.client, &url, &extra, &body, Retry::none(), record).await;
        let rejection = status.and_then(|s| rejection_message(s, &response_body));
        let mut state = lock(&self.shared.state);
        let order_status = match state.orders.get_mut(order_id) {
            Some(order) => {
                if let (Some(message), OrderStatus::Open) = (rejection, order.status) {
                    order.status = OrderStatus::Rejected;
                    order.rejection_message = Some(message);
                }
                order.status
            }
            None => OrderStatus::Open,
        };
        Ok(WebhookOutcome { order_id: order_id.to_owned(), event_id, status, body: response_body, error, order_status })
    }

    /// Sets an order's status, as if the ATS changed it (e.g. cancelled it).
    pub fn set_order_status(&self, order_id: &str, status: OrderStatus) -> Result<(), KomboSimError> {
        let mut state = lock(&self.shared.state);
        let order = state.orders.get_mut(order_id).ok_or_else(|| KomboSimError::UnknownOrder(order_id.to_owned()))?;
        order.status = status;
        Ok(())
    }

    /// One order.
    pub fn order(&self, order_id: &str) -> Option<KomboOrder> {
        lock(&self.shared.state).orders.get(order_id).cloned()
    }

    /// Every order, in order of creation.
    pub fn orders(&self) -> Vec<KomboOrder> {
        lock(&self.shared.state).orders.records().cloned().collect()
    }

    /// The accepted result writes of one order (empty for an unknown one).
    pub fn result_writes(&self, order_id: &str) -> Vec<Value> {
        self.order(order_id).map(|o| o.result_writes).unwrap_or_default()
    }

    /// How many result writes one order accepted.
    pub fn result_write_count(&self, order_id: &str) -> usize {
        self.result_writes(order_id).len()
    }

    /// Every webhook sent, in order.
    pub fn webhook_sends(&self) -> Vec<WebhookSend> {
        lock(&self.shared.state).sends.clone()
    }

    /// Every API call that reached the simulator's logic.
    pub fn calls(&self) -> Vec<ApiCall> {
        lock(&self.shared.state).calls.clone()
    }
}

/// `Some(message)` when the answer is Kombo's documented rejection: status
/// 422 and a JSON body with `"status": "ORDER_REJECTED"` and a string `message`.
fn rejection_message(status: u16, body: &[u8]) -> Option<String> {
    if status != 422 {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    if value.get("status").and_then(Value::as_str) != Some("ORDER_REJECTED") {
        return None;
    }
    value.get("message").and_then(Value::as_str).map(str::to_owned)
}

/// Where an order object goes: the two schemas differ in one member.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `AssessmentOrderReceivedWebhookPayload.data`: with `integration_id`.
    Webhook,
    /// `GetAssessmentOrdersPositiveResponse.data.results[]`: without it.
    Listed,
}

/// The order object, field for field as Kombo's schema lists it (every
/// member present, nullable ones possibly `null`).
fn order_json(order: &KomboOrder, shape: Shape) -> Value {
    let o = &order.order;
    let c = &o.candidate;
    let team: Vec<Value> = o
        .job
        .hiring_team
        .iter()
        .map(|m| {
            let roles: Vec<&str> = m.hiring_team_roles.iter().map(|r| r.as_str()).collect();
            json!({
                "remote_id": m.remote_id,
                "email": m.email,
                "first_name": m.first_name,
                "last_name": m.last_name,
                "hiring_team_roles": roles,
            })
        })
        .collect();
    let mut data = json!({
        "id": order.id,
        "package_id": order.package_id,
        "status": order.status.as_str(),
        "integration_id": order.integration_id,
        "candidate": {
            "remote_id": c.remote_id,
            "email": c.email,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "phone": c.phone,
        },
        "application": { "remote_id": o.application_remote_id },
        "job": {
            "remote_id": o.job.remote_id,
            "name": o.job.name,
            "job_code": o.job.job_code,
            "description": o.job.description,
            "location": o.job.location,
            "hiring_team": team,
        },
    });
    if let Some(obj) = data.as_object_mut() {
        if shape == Shape::Listed {
            obj.remove("integration_id");
        }
        if let (Shape::Webhook, Some(remote)) = (shape, &o.remote_data) {
            obj.insert("remote_data".into(), remote.clone());
        }
    }
    data
}

/// A refusal in Kombo's error shape.
struct KomboError {
    status: StatusCode,
    code: Option<&'static str>,
    title: &'static str,
    message: String,
}

impl KomboError {
    fn input(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: Some("PLATFORM.INPUT_INVALID"),
            title: "The input is invalid.",
            message: message.into(),
        }
    }
}

fn success(data: &Value) -> SimResponse {
    SimResponse::json(StatusCode::OK, &json!({ "status": "success", "data": data, "warnings": [] }))
}

struct KomboHandler(Arc<Shared>);

/// The endpoint a path names, if any.
enum Endpoint {
    Packages,
    Orders,
    Result(String),
}

fn endpoint(path: &str) -> Option<Endpoint> {
    match path {
        PACKAGES_PATH => Some(Endpoint::Packages),
        ORDERS_PATH => Some(Endpoint::Orders),
        _ => {
            let id = path.strip_prefix("/v1/assessment/orders/")?.strip_suffix("/result")?;
            (!id.is_empty() && !id.contains('/')).then(|| Endpoint::Result(id.to_owned()))
        }
    }
}

impl Handler for KomboHandler {
    fn simulator(&self) -> Option<crate::http::Simulator> {
        Some(crate::http::Simulator::Kombo)
    }

    fn route(&self, method: &Method, path: &str) -> &'static str {
        match (method, endpoint(path)) {
            (&Method::PUT, Some(Endpoint::Packages)) => route::PACKAGES,
            (&Method::GET, Some(Endpoint::Orders)) => route::ORDERS,
            (&Method::PUT, Some(Endpoint::Result(_))) => route::RESULT,
            _ => route::OTHER,
        }
    }

    fn handle(&self, request: SimRequest) -> SimResponse {
        let outcome = self.dispatch(&request);
        let mut state = lock(&self.0.state);
        let interaction = state.calls.len() + 1;
        let response = match outcome {
            Ok(response) => response,
            Err(e) => {
                let log_url =
                    format!("{}/logs?interactionId={interaction}", self.0.base_url.get().map_or("", String::as_str));
                SimResponse::json(
                    e.status,
                    &json!({
                        "status": "error",
                        "error": { "code": e.code, "title": e.title, "message": e.message, "log_url": log_url },
                    }),
                )
            }
        };
        state.calls.push(ApiCall {
            method: request.method.to_string(),
            target: request.target(),
            integration_id: request.header("x-integration-id").map(str::to_owned),
            status: response.status.as_u16(),
        });
        response
    }
}

impl KomboHandler {
    /// Route, then credentials, then integration, then the body.
    fn dispatch(&self, request: &SimRequest) -> Result<SimResponse, KomboError> {
        let Some(endpoint) = endpoint(&request.path) else {
            return Err(KomboError {
                status: StatusCode::NOT_FOUND,
                code: None,
                title: "Not found.",
                message: format!("No endpoint at {}", request.path),
            });
        };
        let allowed = match endpoint {
            Endpoint::Packages | Endpoint::Result(_) => Method::PUT,
            Endpoint::Orders => Method::GET,
        };
        if request.method != allowed {
            return Err(KomboError {
                status: StatusCode::METHOD_NOT_ALLOWED,
                code: None,
                title: "Method not allowed.",
                message: format!("{} does not accept {}", request.path, request.method),
            });
        }
        let integration = self.authenticate(request)?;
        match endpoint {
            Endpoint::Packages => self.put_packages(&integration, request),
            Endpoint::Orders => self.list_orders(&integration, request),
            Endpoint::Result(id) => self.put_result(&integration, &id, request),
        }
    }

    /// Assumed: a missing `X-Integration-Id` is a 400 `PLATFORM.INPUT_INVALID`
    /// (an unknown one is the documented 404 `PLATFORM.INTEGRATION_NOT_FOUND`).
    fn authenticate(&self, request: &SimRequest) -> Result<String, KomboError> {
        let token = request.header("authorization").and_then(|h| {
            let (scheme, token) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        if token != Some(self.0.api_key.as_str()) {
            return Err(KomboError {
                status: StatusCode::UNAUTHORIZED,
                code: Some("PLATFORM.AUTHENTICATION_INVALID"),
                title: "The API key is invalid.",
                message: "Send your Kombo API key as `Authorization: Bearer <key>`.".into(),
            });
        }
        let Some(integration) = request.header("x-integration-id").map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(KomboError::input("The X-Integration-Id header is required."));
        };
        if !self.0.integrations.iter().any(|i| i == integration) {
            return Err(KomboError {
                status: StatusCode::NOT_FOUND,
                code: Some("PLATFORM.INTEGRATION_NOT_FOUND"),
                title: "The integration was not found.",
                message: format!("No integration with the ID {integration:?} exists in this environment."),
            });
        }
        Ok(integration.to_owned())
    }

    fn json_body(request: &SimRequest) -> Result<Map<String, Value>, KomboError> {
        if !request.is_json() {
            return Err(KomboError::input("The Content-Type must be application/json."));
        }
        match serde_json::from_slice(&request.body) {
            Ok(Value::Object(obj)) => Ok(obj),
            Ok(_) => Err(KomboError::input("The body must be a JSON object.")),
            Err(e) => Err(KomboError::input(format!("The body is not valid JSON: {e}"))),
        }
    }

    fn put_packages(&self, integration: &str, request: &SimRequest) -> Result<SimResponse, KomboError> {
        let body = Self::json_body(request)?;
        let packages = validate_packages(&body).map_err(KomboError::input)?;
        let mut state = lock(&self.0.state);
        state.packages.insert(integration.to_owned(), packages);
        state.package_puts += 1;
        Ok(success(&json!({})))
    }

    fn list_orders(&self, integration: &str, request: &SimRequest) -> Result<SimResponse, KomboError> {
        let mut statuses: Option<BTreeSet<&'static str>> = None;
        let mut cursor: Option<u64> = None;
        let mut page_size = self.0.default_page_size;
        for (key, value) in request.query_pairs() {
            match key.as_str() {
                "statuses" => {
                    let set = statuses.get_or_insert_with(BTreeSet::new);
                    for s in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        let status = OrderStatus::parse(s).ok_or_else(|| {
                            KomboError::input(format!(
                                "statuses: {s:?} is not one of OPEN, COMPLETED, CANCELLED, REJECTED."
                            ))
                        })?;
                        set.insert(status.as_str());
                    }
                }
                "cursor" => {
                    cursor = Some(decode_cursor(&value).ok_or_else(|| KomboError::input("cursor is invalid."))?);
                }
                "page_size" => {
                    page_size = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                        .ok_or_else(|| KomboError::input("page_size must be a whole number from 1 to 250."))?;
                }
                // Other parameters (filters this simulator does not model) are ignored.
                _ => {}
            }
        }
        let state = lock(&self.0.state);
        let mut matching = (1..).zip(state.orders.records()).filter(|(seq, o)| {
            o.integration_id == integration
                && statuses.as_ref().is_none_or(|s| s.contains(o.status.as_str()))
                && cursor.is_none_or(|after| *seq > after)
        });
        let page: Vec<(u64, &KomboOrder)> = matching.by_ref().take(page_size as usize).collect();
        let more = matching.next().is_some();
        let next = match page.last() {
            Some((seq, _)) if more => Value::String(encode_cursor(*seq)),
            _ => Value::Null,
        };
        let results: Vec<Value> = page.iter().map(|(_, o)| order_json(o, Shape::Listed)).collect();
        Ok(success(&json!({ "next": next, "results": results })))
    }

    /// The order takes the written status. Kombo documents that the status
    /// "can only be updated to a different value if its current value is
    /// OPEN", so a REJECTED, COMPLETED or CANCELLED order refuses any other
    /// status (400) and accepts a rewrite of the same one. An unknown order,
    /// or another integration's, is a 404 with a `null` code (assumed).
    fn put_result(&self, integration: &str, order_id: &str, request: &SimRequest) -> Result<SimResponse, KomboError> {
        let not_found = || KomboError {
            status: StatusCode::NOT_FOUND,
            code: None,
            title: "The assessment order was not found.",
            message: format!("No assessment order with the ID {order_id:?} exists for this integration."),
        };
        let known = lock(&self.0.state).orders.get(order_id).is_some_and(|o| o.integration_id == integration);
        if !known {
            return Err(not_found());
        }
        let body = Self::json_body(request)?;
        let status = validate_result(&body).map_err(KomboError::input)?;
        let mut state = lock(&self.0.state);
        let order = state.orders.get_mut(order_id).filter(|o| o.integration_id == integration).ok_or_else(not_found)?;
        let current = order.status;
        if current != OrderStatus::Open && current != status {
            return Err(KomboError::input(format!(
                "status can only be changed while the order is OPEN; it is {}.",
                current.as_str()
            )));
        }
        order.status = status;
        order.result_writes.push(Value::Object(body));
        Ok(success(&json!({})))
    }
}

fn encode_cursor(seq: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{seq}"))
}

fn decode_cursor(cursor: &str) -> Option<u64> {
    let raw = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    std::str::from_utf8(&raw).ok()?.strip_prefix("after:")?.parse().ok()
}

/// Keys of `obj` outside `allowed`, if any, as an error naming the first.
fn only_keys(obj: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("{path}{k}: unknown field.")),
        None => Ok(()),
    }
}

fn string_member<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, String> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        None => Err(format!("{path}{key}: required.")),
        Some(_) => Err(format!("{path}{key}: must be a string.")),
    }
}

fn non_empty<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, String> {
    let s = string_member(obj, key, path)?;
    if s.trim().is_empty() { Err(format!("{path}{key}: must not be empty.")) } else { Ok(s) }
}

fn number_member(obj: &Map<String, Value>, key: &str, path: &str) -> Result<f64, String> {
    match obj.get(key) {
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| format!("{path}{key}: must be a number.")),
        None => Err(format!("{path}{key}: required.")),
        Some(_) => Err(format!("{path}{key}: must be a number.")),
    }
}

/// `{"packages":[{"id","type","name","description"}]}`, nothing more.
fn validate_packages(body: &Map<String, Value>) -> Result<Vec<Package>, String> {
    only_keys(body, &["packages"], "")?;
    let Some(items) = body.get("packages") else { return Err("packages: required.".into()) };
    let Value::Array(items) = items else { return Err("packages: must be an array.".into()) };
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("packages[{i}].");
        let Value::Object(p) = item else { return Err(format!("packages[{i}]: must be an object.")) };
        only_keys(p, &["id", "type", "name", "description"], &path)?;
        let id = non_empty(p, "id", &path)?;
        let type_name = string_member(p, "type", &path)?;
        let package_type = PackageType::parse(type_name).ok_or_else(|| {
            format!(
                "{path}type: {type_name:?} is not one of BEHAVIORAL, VIDEO_INTERVIEW, SKILLS_TEST, BACKGROUND_CHECK, REFERENCE_CHECK."
            )
        })?;
        let name = non_empty(p, "name", &path)?;
        let description = string_member(p, "description", &path)?;
        if !ids.insert(id.to_owned()) {
            return Err(format!("{path}id: {id:?} appears more than once."));
        }
        // Assumed: Kombo's schema says ids are unique ("A unique identifier
        // for the assessment package") but is silent on names; a repeated
        // name would show two identical choices in the ATS, so it is refused.
        if !names.insert(name.to_owned()) {
            return Err(format!("{path}name: {name:?} appears more than once."));
        }
        out.push(Package {
            id: id.to_owned(),
            package_type,
            name: name.to_owned(),
            description: description.to_owned(),
        });
    }
    Ok(out)
}

/// The documented result body
/// (`PutAssessmentOrdersAssessmentOrderIdResultRequestBody`); returns the
/// status it sets. Optional members may also be `null` (assumed: the schema
/// is silent, and generated SDKs send nulls); `completed_at` is not required
/// for COMPLETED although Kombo asks for it ("please make sure").
fn validate_result(body: &Map<String, Value>) -> Result<OrderStatus, String> {
    only_keys(
        body,
        &["status", "result_url", "completed_at", "score", "max_score", "attributes", "attachments", "remote_fields"],
        "",
    )?;
    let status_name = string_member(body, "status", "")?;
    let Some(status @ (OrderStatus::Open | OrderStatus::Completed | OrderStatus::Cancelled)) =
        OrderStatus::parse(status_name)
    else {
        return Err(format!("status: {status_name:?} is not one of COMPLETED, CANCELLED, OPEN."));
    };
    let url = string_member(body, "result_url", "")?;
    if !http_url(url) {
        return Err("result_url: must be an http(s) URL.".into());
    }
    // Optional members may be absent or null.
    let present = |key: &str| body.get(key).filter(|v| !v.is_null());
    if let Some(v) = present("completed_at") {
        match v.as_str() {
            Some(s) if is_rfc3339(s) => {}
            _ => return Err("completed_at: must be an ISO 8601 date-time such as 2023-04-04T00:00:00.000Z.".into()),
        }
    }
    for key in ["score", "max_score"] {
        if present(key).is_some_and(|v| !v.is_number()) {
            return Err(format!("{key}: must be a number."));
        }
    }
    if let Some(v) = present("attributes") {
        let Value::Array(items) = v else { return Err("attributes: must be an array.".into()) };
        for (i, item) in items.iter().enumerate() {
            validate_attribute(item, &format!("attributes[{i}]"))?;
        }
    }
    if let Some(v) = present("attachments") {
        let Value::Array(items) = v else { return Err("attachments: must be an array.".into()) };
        for (i, item) in items.iter().enumerate() {
            let path = format!("attachments[{i}].");
            let Value::Object(a) = item else { return Err(format!("attachments[{i}]: must be an object.")) };
            // `name` required; `data` (base64) or `data_url` (a URI), one of
            // them ("you must provide either"); `content_type` optional
            // (required with `data`, the description says).
            only_keys(a, &["name", "data", "data_url", "content_type"], &path)?;
            non_empty(a, "name", &path)?;
            match (a.get("data"), a.get("data_url")) {
                (Some(_), None) => {
                    non_empty(a, "content_type", &path)?;
                    if STANDARD.decode(string_member(a, "data", &path)?).is_err() {
                        return Err(format!("{path}data: must be base64."));
                    }
                }
                (None, Some(_)) => {
                    if !http_url(string_member(a, "data_url", &path)?) {
                        return Err(format!("{path}data_url: must be an http(s) URL."));
                    }
                }
                _ => return Err(format!("{path}: exactly one of data and data_url is required.")),
            }
        }
    }
    Ok(status)
}

/// `{"type":"TEXT","label","value"}` or
/// `{"type":"SUB_RESULT","id","label","score":{"value","max"},"status"}`.
fn validate_attribute(item: &Value, at: &str) -> Result<(), String> {
    let Value::Object(a) = item else { return Err(format!("{at}: must be an object.")) };
    let path = format!("{at}.");
    match string_member(a, "type", &path)? {
        "TEXT" => {
            only_keys(a, &["type", "label", "value"], &path)?;
            non_empty(a, "label", &path)?;
            string_member(a, "value", &path)?;
        }
        "SUB_RESULT" => {
            only_keys(a, &["type", "id", "label", "score", "status"], &path)?;
            non_empty(a, "id", &path)?;
            non_empty(a, "label", &path)?;
            let Some(Value::Object(score)) = a.get("score") else {
                return Err(format!("{path}score: must be an object with value and max."));
            };
            let score_path = format!("{path}score.");
            only_keys(score, &["value", "max"], &score_path)?;
            // Both doubles; `max` has `minimum: 1`. The value is not bounded
            // by `max` in the schema, so a subscore above it is accepted.
            number_member(score, "value", &score_path)?;
            if number_member(score, "max", &score_path)? < 1.0 {
                return Err(format!("{score_path}max: must be at least 1."));
            }
            let status = string_member(a, "status", &path)?;
            if !matches!(status, "COMPLETED" | "CANCELLED") {
                return Err(format!("{path}status: {status:?} is not one of COMPLETED, CANCELLED."));
            }
        }
        other => return Err(format!("{path}type: {other:?} is not one of TEXT, SUB_RESULT.")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("not a cursor"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("before:1")), None);
    }

    #[test]
    fn rejection_needs_the_documented_shape() {
        let body = br#"{"status":"ORDER_REJECTED","message":"no"}"#;
        assert_eq!(rejection_message(422, body).as_deref(), Some("no"));
        assert_eq!(rejection_message(400, body), None);
        assert_eq!(rejection_message(422, br#"{"message":"no"}"#), None);
        assert_eq!(rejection_message(422, br#"{"status":"ORDER_REJECTED"}"#), None);
        assert_eq!(rejection_message(422, b"ORDER_REJECTED"), None);
    }

    #[test]
    fn ids_look_like_kombo_ids() {
        let mut rng = XorShift64::new(1);
        let id = kombo_id(&mut rng);
        assert_eq!(id.len(), 24);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, kombo_id(&mut rng));
    }
}
