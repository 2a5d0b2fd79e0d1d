//! A local StackOne unified ATS API (legacy unified APIs), as StackOne
//! documents it in StackOneHQ/hub-docs (`docs/vendor-apis.md` has the facts
//! and the silences; the JSON Schemas under `sim/schemas/stackone/` the
//! shapes). Written from those documents, never from the connector.
//!
//! Served, behind `Authorization: Basic base64("<api key>:")` and a known
//! `x-account-id`, refusing with StackOne's error body
//! `{"statusCode","message","timestamp"}` (`ats.json`, e.g. `NotFoundResponse`):
//! - `GET /unified/ats/candidates/{id}`, `/applications/{id}`, `/jobs/{id}`:
//!   `{"data": {...}}` (`CandidateResult`, `ApplicationResult`,
//!   `AtsJobResult`) for the resources of the account's orders;
//! - `PATCH /unified/ats/assessments/orders/{id}/result`
//!   (`AtsUpdateCandidatesAssessmentsResultsRequestDto`: no member required,
//!   every member typed, no unknown member; `ats.json` has no `id` in it).
//!   Every accepted write is recorded per order.
//!
//! It also plays the ATS side: a test creates an order and the simulator
//! POSTs the unified event `ats_assessments.created` (`{project_id,
//! account_id, event, event_date, record_type, record_id, sent_at,
//! event_data?}`, webhooks.mdx "Unified resource event payload") to the
//! connector, signed `x-stackone-signature: base64url(HMAC-SHA256(secret,
//! raw body))` without padding (webhooks.mdx "Sample consumer"), computed
//! here with `hmac`, `sha2` and `base64` directly. What `event_data` holds
//! for an assessment order is not documented: [`EventDetail`] offers the
//! readings the documents allow. It can also POST the packages list request
//! StackOne sends a provider (`{job_id, account_id, provider}`, signed like
//! webhooks; integration-guides/ats/teamtailor-partner-api.mdx). Whether
//! StackOne retries a failed webhook is not documented: [`StackOneRetry`]
//! makes it a choice, none by default.

use crate::assessio::{SimClock, http_url};
use crate::common::{WebhookAnswer, WebhookSignature, hmac_sha256, is_2xx, is_rfc3339, lock, post_json, uuid_shaped};
use crate::delivery::{self, Event, Outbox};
use crate::faults::{Faults, XorShift64};
use crate::http::{Handler, HttpClient, Server, SimRequest, SimResponse};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The simulator's route names, for fault plans and counts.
pub mod route {
    /// `PATCH /unified/ats/assessments/orders/{id}/result`.
    pub const RESULT: &str = "PATCH /unified/ats/assessments/orders/{id}/result";
    /// `GET /unified/ats/candidates/{id}`.
    pub const CANDIDATE: &str = "GET /unified/ats/candidates/{id}";
    /// `GET /unified/ats/applications/{id}`.
    pub const APPLICATION: &str = "GET /unified/ats/applications/{id}";
    /// `GET /unified/ats/jobs/{id}`.
    pub const JOB: &str = "GET /unified/ats/jobs/{id}";
    /// Anything else (answered 404 or 405).
    pub const OTHER: &str = "other";
}

/// The webhook event this simulator sends.
pub const ORDER_CREATED: &str = "ats_assessments.created";
/// The signature header (webhooks.mdx).
pub const SIGNATURE_HEADER: &str = "x-stackone-signature";
/// Where orders live; the id and `/result` follow.
pub const ORDERS_PATH: &str = "/unified/ats/assessments/orders/";
/// `result.value`'s documented values (`ats.json`, `ResultEnum`).
pub const RESULT_VALUES: [&str; 8] =
    ["initiated", "in_progress", "cancelled", "completed", "expired", "failed", "passed", "unmapped_value"];
/// `attachments[].content_type.value`'s documented values (`AttachmentContentType`).
pub const CONTENT_TYPE_VALUES: [&str; 5] = ["text", "pdf", "video", "other", "unmapped_value"];

/// What an `ats_assessments.created` event carries in `event_data`. The
/// documents say the payload identifies the resource and that native events
/// carry `event_data` "as much of that payload as we could map", synthetic
/// ones none; assessment-flow.mdx says the payload "contains `application_id`
/// and `candidate_id` references" for look-ups. Which keys `event_data` uses
/// for an assessment is not documented, so each reading is a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventDetail {
    /// The package (`package {id, name}`) and the flat references
    /// `application_id` and `candidate_id`; everything else by look-up.
    #[default]
    References,
    /// The whole order as StackOne's assessment order model maps it
    /// (`AtsCreateCandidatesAssessmentsRequestDto`: package, application,
    /// job with hiring team, candidate with emails, requester).
    Native,
    /// No `event_data` (a synthetic event): only `record_id`.
    Synthetic,
}

/// Whether and how a webhook that failed with a 5xx or no answer is sent
/// again. Unconfirmed for StackOne, so a choice; [`Default`] never retries.
pub use crate::delivery::Retry as StackOneRetry;

/// Everything the simulator is started with.
#[derive(Clone)]
pub struct StackOneConfig {
    /// The API key every call must present as Basic auth's user name.
    pub api_key: String,
    /// The linked account ids it knows (`x-account-id`).
    pub accounts: Vec<String>,
    /// Where order webhooks go; settable later with [`StackOneSim::set_webhook_url`].
    pub webhook_url: Option<String>,
    /// Keys the webhook signature.
    pub webhook_secret: String,
    /// What order events carry in `event_data`.
    pub event_detail: EventDetail,
    /// How long one webhook attempt may take.
    pub webhook_timeout: Duration,
    /// Retries of failed webhooks (none by default).
    pub retry: StackOneRetry,
    /// The clock of error timestamps.
    pub clock: SimClock,
}

/// Credentials never reach a log through `{:?}`.
impl fmt::Debug for StackOneConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StackOneConfig")
            .field("api_key", &"<redacted>")
            .field("accounts", &self.accounts)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &"<redacted>")
            .field("event_detail", &self.event_detail)
            .field("webhook_timeout", &self.webhook_timeout)
            .field("retry", &self.retry)
            .field("clock", &self.clock)
            .finish()
    }
}

impl StackOneConfig {
    /// One API key, these accounts, this webhook secret; events with
    /// references ([`EventDetail::References`]), no webhook URL yet, a 2 s timeout, no retries and
    /// the system clock.
    pub fn new(api_key: &str, accounts: &[&str], webhook_secret: &str) -> Self {
        Self {
            api_key: api_key.to_owned(),
            accounts: accounts.iter().map(|s| (*s).to_owned()).collect(),
            webhook_url: None,
            webhook_secret: webhook_secret.to_owned(),
            event_detail: EventDetail::default(),
            webhook_timeout: Duration::from_secs(2),
            retry: StackOneRetry::none(),
            clock: SimClock::system(),
        }
    }
}

/// The candidate of an order. Carries more than the connector may pass on
/// (a second email, phone numbers, a profile URL), so privacy tests can prove
/// it stays behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackOneCandidate {
    /// StackOne's candidate id.
    pub id: String,
    /// May be missing in the ATS.
    pub first_name: Option<String>,
    /// May be missing in the ATS.
    pub last_name: Option<String>,
    /// The first is sent as `personal`, the rest as `work`.
    pub emails: Vec<String>,
    /// Sent as `phone_numbers[{"type":"personal","phone"}]`.
    pub phone_numbers: Vec<String>,
    /// The candidate's page in the ATS.
    pub profile_url: Option<String>,
}

/// One person of the job's hiring team.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackOneHiringTeamMember {
    /// StackOne's user id.
    pub user_id: String,
    /// Their email.
    pub email: Option<String>,
    /// Their first name.
    pub first_name: Option<String>,
    /// Their last name.
    pub last_name: Option<String>,
    /// Free text, as the ATS has it.
    pub role: Option<String>,
}

/// The job of an order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackOneJob {
    /// StackOne's job id.
    pub id: String,
    /// The job title.
    pub title: Option<String>,
    /// Who hires.
    pub hiring_team: Vec<StackOneHiringTeamMember>,
}

/// What a test orders, as if a recruiter sent the assessment in the ATS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStackOneOrder {
    /// A configured linked account.
    pub account_id: String,
    /// The package chosen (not checked: the ATS may lag behind).
    pub package_id: String,
    /// The package's name as the ATS shows it.
    pub package_name: Option<String>,
    /// Who is assessed.
    pub candidate: StackOneCandidate,
    /// For which job.
    pub job: StackOneJob,
    /// The application's id.
    pub application_id: Option<String>,
    /// The event's id; `None` generates one.
    pub event_id: Option<String>,
}

impl NewStackOneOrder {
    /// A complete, plausible order (the shape of StackOne's SDK example):
    /// names, two emails, a phone, a job with one hiring manager.
    pub fn example(account_id: &str, package_id: &str, email: &str) -> Self {
        Self {
            account_id: account_id.to_owned(),
            package_id: package_id.to_owned(),
            package_name: Some("Assessio assessment".into()),
            candidate: StackOneCandidate {
                id: "cand-8187e5da".into(),
                first_name: Some("Romain".into()),
                last_name: Some("Sestier".into()),
                emails: vec![email.to_owned(), "r.sestier@work.example".into()],
                phone_numbers: vec!["+33 6 12 34 56 78".into()],
                profile_url: Some("https://ats.example/candidate?id=xyz".into()),
            },
            job: StackOneJob {
                id: "job-9".into(),
                title: Some("Software Engineer".into()),
                hiring_team: vec![StackOneHiringTeamMember {
                    user_id: "u-123456".into(),
                    email: Some("john.doe@example.com".into()),
                    first_name: Some("John".into()),
                    last_name: Some("Doe".into()),
                    role: Some("Hiring Manager".into()),
                }],
            },
            application_id: Some("app-77".into()),
            event_id: None,
        }
    }
}

/// How a webhook is signed: the same choices as Kombo's.
pub type StackOneSignature = WebhookSignature;

/// An order as the simulator holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StackOneOrder {
    /// StackOne's id.
    pub id: String,
    /// The id of its `ats_assessments.created` event (same on redelivery).
    pub event_id: String,
    /// Which linked account.
    pub account_id: String,
    /// Which package.
    pub package_id: String,
    /// Every accepted result write's whole body, in order.
    pub result_writes: Vec<Value>,
    /// What was ordered.
    pub order: NewStackOneOrder,
}

/// One webhook attempt.
#[derive(Debug, Clone)]
pub struct StackOneWebhookSend {
    /// The order.
    pub order_id: String,
    /// The event id.
    pub event_id: String,
    /// 1 for the first attempt of a send, 2 for its first retry, ….
    pub attempt: u32,
    /// How it was signed.
    pub signature: StackOneSignature,
    /// The signature header's value, if one was sent.
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

/// What sending a webhook led to (after any retries).
#[derive(Debug, Clone)]
pub struct StackOneWebhookOutcome {
    /// The order.
    pub order_id: String,
    /// The event id.
    pub event_id: String,
    /// The last attempt's status, if it answered.
    pub status: Option<u16>,
    /// The last attempt's body.
    pub body: Bytes,
    /// Why the last attempt got no answer.
    pub error: Option<String>,
    /// How many attempts were made.
    pub attempts: u32,
}

impl StackOneWebhookOutcome {
    /// Whether the last attempt was answered 2xx.
    pub fn is_success(&self) -> bool {
        is_2xx(self.status)
    }
}

/// One call to the API that reached the simulator's logic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackOneCall {
    /// The method.
    pub method: String,
    /// The path and query.
    pub target: String,
    /// The `x-account-id` sent.
    pub account_id: Option<String>,
    /// What the simulator answered.
    pub status: u16,
}

/// What the simulator's own methods refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StackOneSimError {
    /// The account is not configured.
    UnknownAccount(String),
    /// No such order.
    UnknownOrder(String),
    /// No webhook URL is configured.
    NoWebhookUrl,
}

impl fmt::Display for StackOneSimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownAccount(id) => write!(f, "unknown account {id:?}"),
            Self::UnknownOrder(id) => write!(f, "unknown order {id:?}"),
            Self::NoWebhookUrl => f.write_str("no webhook URL is configured"),
        }
    }
}

impl std::error::Error for StackOneSimError {}

impl Event for StackOneOrder {
    fn id(&self) -> &str {
        &self.id
    }
    fn event_id(&self) -> &str {
        &self.event_id
    }
}

#[derive(Debug)]
struct State {
    orders: Outbox<StackOneOrder>,
    sends: Vec<StackOneWebhookSend>,
    calls: Vec<StackOneCall>,
    rng: XorShift64,
    webhook_url: Option<String>,
    event_detail: EventDetail,
}

struct Shared {
    api_key: String,
    accounts: Vec<String>,
    webhook_secret: String,
    retry: StackOneRetry,
    clock: SimClock,
    client: HttpClient,
    state: Mutex<State>,
}

/// A running StackOne simulator. Dropping it shuts it down.
pub struct StackOneSim {
    shared: Arc<Shared>,
    faults: Faults,
    server: Server,
}

impl fmt::Debug for StackOneSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StackOneSim").field("addr", &self.server.addr()).finish_non_exhaustive()
    }
}

/// The webhook signature: HMAC-SHA256 of `body` under `secret`, base64url
/// without padding.
pub fn stackone_signature(secret: &str, body: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(secret, body))
}

/// A StackOne-style id: a UUID shape from the simulator's generator.
fn stackone_id(rng: &mut XorShift64) -> String {
    uuid_shaped(rng, '8')
}

impl StackOneSim {
    /// Starts a simulator on `127.0.0.1` with an OS-chosen port.
    pub async fn start(config: StackOneConfig) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            api_key: config.api_key,
            accounts: config.accounts,
            webhook_secret: config.webhook_secret,
            retry: config.retry,
            clock: config.clock,
            client: HttpClient::new(config.webhook_timeout).for_simulator(crate::http::Simulator::StackOne),
            state: Mutex::new(State {
                orders: Outbox::default(),
                sends: Vec::new(),
                calls: Vec::new(),
                // Fixed seed: the same test run gives the same ids.
                rng: XorShift64::new(0x5374_6163_6B4F_6E65),
                webhook_url: config.webhook_url,
                event_detail: config.event_detail,
            }),
        });
        let faults = Faults::new();
        let server = Server::start(Arc::new(StackOneHandler(Arc::clone(&shared))), faults.clone()).await?;
        Ok(Self { shared, faults, server })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:<port>`: what replaces `https://api.stackone.com`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Stops serving. Also done on drop.
    pub fn shutdown(&self) {
        self.server.shutdown();
    }

    /// The fault plans, by [`route`].
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Every body refused because `StackOne`'s published schema forbids it
    /// (see [`crate::http::SCHEMA_ROUTES`]), oldest first.
    pub fn schema_refusals(&self) -> Vec<crate::http::SchemaRefusal> {
        self.server.schema_refusals()
    }

    /// What order events carry in `event_data` from now on.
    pub fn set_event_detail(&self, detail: EventDetail) {
        lock(&self.shared.state).event_detail = detail;
    }

    /// Where order webhooks go from now on.
    pub fn set_webhook_url(&self, url: Option<String>) {
        lock(&self.shared.state).webhook_url = url;
    }

    /// Creates an order without sending its webhook; returns its id.
    pub fn create_order(&self, order: NewStackOneOrder) -> Result<String, StackOneSimError> {
        if !self.shared.accounts.contains(&order.account_id) {
            return Err(StackOneSimError::UnknownAccount(order.account_id));
        }
        let mut state = lock(&self.shared.state);
        let id = stackone_id(&mut state.rng);
        let event_id = match &order.event_id {
            Some(given) => given.clone(),
            None => format!("evt_{}", stackone_id(&mut state.rng)),
        };
        state.orders.create(StackOneOrder {
            id: id.clone(),
            event_id,
            account_id: order.account_id.clone(),
            package_id: order.package_id.clone(),
            result_writes: Vec::new(),
            order,
        });
        Ok(id)
    }

    /// Creates an order and sends its webhook, correctly signed.
    pub async fn place_order(&self, order: NewStackOneOrder) -> Result<StackOneWebhookOutcome, StackOneSimError> {
        let id = self.create_order(order)?;
        self.send_order_created(&id, StackOneSignature::Valid).await
    }

    /// Sends the order's webhook again, byte for byte, correctly signed.
    pub async fn redeliver(&self, order_id: &str) -> Result<StackOneWebhookOutcome, StackOneSimError> {
        self.send_order_created(order_id, StackOneSignature::Valid).await
    }

    /// Sends (or re-sends) the order's `ats_assessments.created` webhook,
    /// signed as asked, retrying a 5xx or a missing answer as the
    /// configured [`StackOneRetry`] allows (every attempt byte-identical).
    pub async fn send_order_created(
        &self,
        order_id: &str,
        signature: StackOneSignature,
    ) -> Result<StackOneWebhookOutcome, StackOneSimError> {
        let (url, event_id, body) = {
            let mut state = lock(&self.shared.state);
            let url = state.webhook_url.clone().ok_or(StackOneSimError::NoWebhookUrl)?;
            let detail = state.event_detail;
            let now = self.shared.clock.now();
            let (event_id, body) = state
                .orders
                .body(order_id, |order| webhook_body(order, detail, now))
                .ok_or_else(|| StackOneSimError::UnknownOrder(order_id.to_owned()))?;
            (url, event_id, body)
        };
        let header = signature.header_value(&self.shared.webhook_secret, |secret| stackone_signature(secret, &body));
        let extra: Vec<_> = header.iter().map(|h| (SIGNATURE_HEADER, h.as_str())).collect();
        let record = |attempt, answer: &WebhookAnswer| {
            lock(&self.shared.state).sends.push(StackOneWebhookSend {
                order_id: order_id.to_owned(),
                event_id: event_id.clone(),
                attempt,
                signature: signature.clone(),
                signature_header: header.clone(),
                body: body.clone(),
                status: answer.status,
                response_body: answer.body.clone(),
                error: answer.error.clone(),
            });
        };
        let (WebhookAnswer { status, body: response_body, error, .. }, attempts) =
            delivery::send(&self.shared.client, &url, &extra, &body, self.shared.retry, record).await;
        Ok(StackOneWebhookOutcome {
            order_id: order_id.to_owned(),
            event_id,
            status,
            body: response_body,
            error,
            attempts,
        })
    }

    /// One order.
    pub fn order(&self, order_id: &str) -> Option<StackOneOrder> {
        lock(&self.shared.state).orders.get(order_id).cloned()
    }

    /// Every order, in order of creation.
    pub fn orders(&self) -> Vec<StackOneOrder> {
        lock(&self.shared.state).orders.records().cloned().collect()
    }

    /// The accepted result writes of one order (empty for an unknown one).
    pub fn result_writes(&self, order_id: &str) -> Vec<Value> {
        self.order(order_id).map(|o| o.result_writes).unwrap_or_default()
    }

    /// POSTs StackOne's packages list request to a provider's packages
    /// endpoint `url`, as StackOne does when a recruiter is about to order:
    /// `{"job_id", "account_id", "provider"}`, signed like webhooks, with
    /// `Authorization: Basic` (which key StackOne puts there is not
    /// documented; the simulator sends its API key). Returns the status
    /// (`None` without an answer) and the body. Packages answers are
    /// `{"data": [{"id", "name", "description"}], "next"?}`
    /// (`AssessmentPackagePaginated`).
    pub async fn list_packages(
        &self,
        url: &str,
        account_id: &str,
        job_id: &str,
        signature: StackOneSignature,
    ) -> (Option<u16>, Bytes) {
        let body =
            Bytes::from(json!({ "job_id": job_id, "account_id": account_id, "provider": "teamtailor" }).to_string());
        let header = signature.header_value(&self.shared.webhook_secret, |secret| stackone_signature(secret, &body));
        let basic = format!("Basic {}", STANDARD.encode(format!("{}:", self.shared.api_key)));
        let mut extra = vec![("Authorization", basic.as_str())];
        extra.extend(header.iter().map(|h| (SIGNATURE_HEADER, h.as_str())));
        let answer = post_json(&self.shared.client, url, &extra, body).await;
        (answer.status, answer.body)
    }

    /// The summary of the last result write that marked the order
    /// `cancelled`: how a refusal reaches the recruiter through StackOne.
    pub fn cancellation(&self, order_id: &str) -> Option<String> {
        self.result_writes(order_id)
            .iter()
            .rev()
            .find(|w| w["result"]["value"] == "cancelled")
            .map(|w| w["summary"].as_str().unwrap_or_default().to_owned())
    }

    /// How many result writes one order accepted.
    pub fn result_write_count(&self, order_id: &str) -> usize {
        self.result_writes(order_id).len()
    }

    /// Every webhook attempt, in order.
    pub fn webhook_sends(&self) -> Vec<StackOneWebhookSend> {
        lock(&self.shared.state).sends.clone()
    }

    /// Every API call that reached the simulator's logic.
    pub fn calls(&self) -> Vec<StackOneCall> {
        lock(&self.shared.state).calls.clone()
    }
}

/// The candidate as StackOne's unified model has it (`Candidate`,
/// `OrderCandidateApiModel`): more than the connector may pass on.
fn candidate_json(c: &StackOneCandidate) -> Value {
    let emails: Vec<Value> = c
        .emails
        .iter()
        .enumerate()
        .map(|(i, e)| json!({ "type": if i == 0 { "personal" } else { "work" }, "value": e }))
        .collect();
    let phones: Vec<Value> = c.phone_numbers.iter().map(|p| json!({ "type": "personal", "phone": p })).collect();
    json!({
        "id": c.id,
        "remote_id": format!("remote-{}", c.id),
        "first_name": c.first_name,
        "last_name": c.last_name,
        "emails": emails,
        "phone_numbers": phones,
        "profile_url": c.profile_url,
    })
}

/// The job as StackOne's unified model has it (`AtsJob`, `OrderJobApiModel`).
fn job_json(job: &StackOneJob) -> Value {
    let team: Vec<Value> = job
        .hiring_team
        .iter()
        .map(|m| {
            json!({
                "user_id": m.user_id,
                "email": m.email,
                "first_name": m.first_name,
                "last_name": m.last_name,
                "role": m.role,
            })
        })
        .collect();
    json!({ "id": job.id, "remote_id": format!("remote-{}", job.id), "title": job.title, "hiring_team": team })
}

/// The `ats_assessments.created` event: the unified envelope, with
/// `event_data` as [`EventDetail`] says. `record_type` is
/// `ats_assessments`, by analogy with the documented examples
/// (`ats_job_postings` for `ats_job_postings.*`): the documents do not give
/// it for assessments.
fn webhook_body(record: &StackOneOrder, detail: EventDetail, now: i64) -> Bytes {
    let o = &record.order;
    let date = rfc3339_millis(now);
    let mut body = json!({
        "project_id": "assessio-sim",
        "account_id": record.account_id,
        "event": ORDER_CREATED,
        "event_date": date,
        "record_type": "ats_assessments",
        "record_id": record.id,
        "sent_at": date,
    });
    let package = json!({ "id": record.package_id, "name": o.package_name });
    let event_data = match detail {
        EventDetail::Synthetic => None,
        EventDetail::References => {
            let mut references = json!({ "package": package, "candidate_id": o.candidate.id });
            if let Some(app) = &o.application_id {
                references["application_id"] = json!(app);
            }
            Some(references)
        }
        EventDetail::Native => Some(json!({
            "id": record.id,
            "package": package,
            "application": { "id": o.application_id },
            "candidate": candidate_json(&o.candidate),
            "job": job_json(&o.job),
            "requester": null,
            "results_update_url": null,
        })),
    };
    if let Some(data) = event_data {
        body["record_remote_id"] = json!(format!("remote-{}", record.id));
        body["raw_event"] = json!({ "source": "ats" });
        body["event_data"] = data;
    }
    Bytes::from(body.to_string())
}

/// A refusal in StackOne's error shape.
struct StackOneError {
    status: StatusCode,
    message: String,
}

impl StackOneError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

struct StackOneHandler(Arc<Shared>);

/// The order id a path names (percent-decoded), if it names one.
fn order_id(path: &str) -> Option<String> {
    let raw = path.strip_prefix(ORDERS_PATH)?.strip_suffix("/result")?;
    if raw.is_empty() || raw.contains('/') {
        return None;
    }
    percent_decode_path(raw)
}

/// Decodes `%XX` escapes of a path segment (`+` stays `+`); `None` for a
/// malformed escape or invalid UTF-8, which no order id can be.
fn percent_decode_path(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok())?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Handler for StackOneHandler {
    fn simulator(&self) -> Option<crate::http::Simulator> {
        Some(crate::http::Simulator::StackOne)
    }

    fn route(&self, method: &Method, path: &str) -> &'static str {
        if method == Method::PATCH && order_id(path).is_some() {
            return route::RESULT;
        }
        match (method, resource(path)) {
            (&Method::GET, Some((Resource::Candidate, _))) => route::CANDIDATE,
            (&Method::GET, Some((Resource::Application, _))) => route::APPLICATION,
            (&Method::GET, Some((Resource::Job, _))) => route::JOB,
            _ => route::OTHER,
        }
    }

    fn handle(&self, request: SimRequest) -> SimResponse {
        let now = rfc3339_millis(self.0.clock.now());
        let answer = if resource(&request.path).is_some() { self.lookup(&request) } else { self.dispatch(&request) };
        let response = match answer {
            Ok(Answer::Message(message)) => {
                SimResponse::json(StatusCode::OK, &json!({ "statusCode": 200, "message": message, "timestamp": now }))
            }
            Ok(Answer::Data(data)) => SimResponse::json(StatusCode::OK, &json!({ "data": data })),
            Err(e) => SimResponse::json(
                e.status,
                &json!({ "statusCode": e.status.as_u16(), "message": e.message, "timestamp": now }),
            ),
        };
        lock(&self.0.state).calls.push(StackOneCall {
            method: request.method.to_string(),
            target: request.target(),
            account_id: request.header("x-account-id").map(str::to_owned),
            status: response.status.as_u16(),
        });
        response
    }
}

/// A successful answer: StackOne's `UpdateResult` message, or a resource.
enum Answer {
    Message(&'static str),
    Data(Value),
}

/// The unified resources the simulator serves by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Candidate,
    Application,
    Job,
}

/// The resource and (percent-decoded) id a `GET` path names.
fn resource(path: &str) -> Option<(Resource, String)> {
    let (kind, raw) = [
        ("/unified/ats/candidates/", Resource::Candidate),
        ("/unified/ats/applications/", Resource::Application),
        ("/unified/ats/jobs/", Resource::Job),
    ]
    .into_iter()
    .find_map(|(prefix, kind)| Some((kind, path.strip_prefix(prefix)?)))?;
    if raw.is_empty() || raw.contains('/') {
        return None;
    }
    Some((kind, percent_decode_path(raw)?))
}

impl StackOneHandler {
    /// `GET /unified/ats/{candidates,applications,jobs}/{id}`: credentials,
    /// account, then the resource of one of the account's orders, or 404.
    fn lookup(&self, request: &SimRequest) -> Result<Answer, StackOneError> {
        if request.method != Method::GET {
            return Err(StackOneError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{} takes GET, not {}", request.path, request.method),
            ));
        }
        self.authenticate(request)?;
        let account = self.account(request)?;
        let Some((kind, id)) = resource(&request.path) else {
            return Err(StackOneError::new(StatusCode::NOT_FOUND, "Not found"));
        };
        let state = lock(&self.0.state);
        let orders = state.orders.records().filter(|r| r.account_id == account);
        let found = orders.into_iter().find_map(|r| {
            let o = &r.order;
            match kind {
                Resource::Candidate => (o.candidate.id == id).then(|| candidate_json(&o.candidate)),
                Resource::Application => (o.application_id.as_deref() == Some(id.as_str())).then(|| {
                    json!({
                        "id": id,
                        "remote_id": format!("remote-{id}"),
                        "candidate_id": o.candidate.id,
                        "job_id": o.job.id,
                        "application_status": { "value": "active", "source_value": "Active" },
                    })
                }),
                Resource::Job => (o.job.id == id).then(|| job_json(&o.job)),
            }
        });
        found
            .map(Answer::Data)
            .ok_or_else(|| StackOneError::new(StatusCode::NOT_FOUND, format!("Record {id:?} not found.")))
    }

    /// Route, credentials, account, media type, order, body. Answers the
    /// success message (StackOne's `UpdateResult`).
    fn dispatch(&self, request: &SimRequest) -> Result<Answer, StackOneError> {
        let Some(id) = order_id(&request.path) else {
            return Err(StackOneError::new(
                StatusCode::NOT_FOUND,
                format!("Cannot {} {}", request.method, request.path),
            ));
        };
        if request.method != Method::PATCH {
            return Err(StackOneError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{} takes PATCH, not {}", request.path, request.method),
            ));
        }
        self.authenticate(request)?;
        let account = self.account(request)?;
        if !request.is_json() {
            return Err(StackOneError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type must be application/json.",
            ));
        }
        let known = lock(&self.0.state).orders.get(&id).is_some_and(|o| o.account_id == account);
        if !known {
            return Err(StackOneError::new(StatusCode::NOT_FOUND, format!("Assessment order {id:?} not found.")));
        }
        let body = match serde_json::from_slice::<Value>(&request.body) {
            Ok(Value::Object(obj)) => obj,
            Ok(_) => return Err(StackOneError::bad_request("The body must be a JSON object.")),
            Err(e) => return Err(StackOneError::bad_request(format!("The body is not valid JSON: {e}"))),
        };
        validate_result(&body).map_err(StackOneError::bad_request)?;
        let mut state = lock(&self.0.state);
        let order = state
            .orders
            .get_mut(&id)
            .ok_or_else(|| StackOneError::new(StatusCode::NOT_FOUND, format!("Assessment order {id:?} not found.")))?;
        order.result_writes.push(Value::Object(body));
        Ok(Answer::Message("Record updated successfully."))
    }

    /// `Authorization: Basic base64("<api key>:")`. Assumed: the password
    /// part is ignored (StackOne documents it as empty).
    fn authenticate(&self, request: &SimRequest) -> Result<(), StackOneError> {
        let user = request.header("authorization").and_then(|h| {
            let (scheme, encoded) = h.trim().split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("basic") {
                return None;
            }
            let raw = STANDARD.decode(encoded.trim()).ok()?;
            let text = String::from_utf8(raw).ok()?;
            let (user, _password) = text.split_once(':')?;
            Some(user.to_owned())
        });
        if user.as_deref() == Some(self.0.api_key.as_str()) && !self.0.api_key.is_empty() {
            Ok(())
        } else {
            Err(StackOneError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized: send the API key as `Authorization: Basic base64(\"<api key>:\")`.",
            ))
        }
    }

    /// Assumed: a missing `x-account-id` is 400, an unknown one 403 (the
    /// account does not belong to this project).
    fn account(&self, request: &SimRequest) -> Result<String, StackOneError> {
        let Some(account) = request.header("x-account-id").map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(StackOneError::bad_request("The x-account-id header is required."));
        };
        if self.0.accounts.iter().any(|a| a == account) {
            Ok(account.to_owned())
        } else {
            Err(StackOneError::new(
                StatusCode::FORBIDDEN,
                format!("The account {account:?} is not linked to this project."),
            ))
        }
    }
}

fn only_keys(obj: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("property {path}{k} should not exist")),
        None => Ok(()),
    }
}

fn string_member<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, String> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(format!("{path}{key} is required")),
        Some(_) => Err(format!("{path}{key} must be a string")),
    }
}

fn url_member(obj: &Map<String, Value>, key: &str, path: &str) -> Result<(), String> {
    if http_url(string_member(obj, key, path)?) { Ok(()) } else { Err(format!("{path}{key} must be an http(s) URL")) }
}

fn date_member(obj: &Map<String, Value>, key: &str, path: &str) -> Result<(), String> {
    if is_rfc3339(string_member(obj, key, path)?) {
        Ok(())
    } else {
        Err(format!("{path}{key} must be an RFC 3339 date-time such as 2021-01-01T01:01:01.000Z"))
    }
}

/// `{"value": <enum>, "source_value"?: string}`.
fn enum_member(obj: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<(), String> {
    only_keys(obj, &["value", "source_value"], path)?;
    let value = string_member(obj, "value", path)?;
    if !allowed.contains(&value) {
        return Err(format!("{path}value must be one of: {}", allowed.join(", ")));
    }
    if obj.get("source_value").is_some_and(|v| !v.is_string() && !v.is_null()) {
        return Err(format!("{path}source_value must be a string"));
    }
    Ok(())
}

/// The write-back body (`ats.json`,
/// `AtsUpdateCandidatesAssessmentsResultsRequestDto`): `score`,
/// `start_date`, `submission_date`, `summary`, `result`, `result_url`,
/// `attachments`, `candidate {id, profile_url}`, `passthrough`; no member is
/// required and each may be `null`. Unknown members (an `id`, say) are
/// refused, as a whitelisting validator does: the document lists every
/// member. The dates' format is written only as "date-time" examples
/// (`2021-01-01T01:01:01.000Z`), checked as RFC 3339.
fn validate_result(body: &Map<String, Value>) -> Result<(), String> {
    only_keys(
        body,
        &[
            "score",
            "start_date",
            "submission_date",
            "summary",
            "result",
            "result_url",
            "attachments",
            "candidate",
            "passthrough",
        ],
        "",
    )?;
    let present = |key: &str| body.get(key).filter(|v| !v.is_null());
    if let Some(v) = present("score") {
        let Value::Object(score) = v else { return Err("score must be an object".into()) };
        validate_score(score)?;
    }
    for date in ["start_date", "submission_date"] {
        if present(date).is_some() {
            date_member(body, date, "")?;
        }
    }
    if present("summary").is_some() {
        string_member(body, "summary", "")?;
    }
    match present("result") {
        Some(Value::Object(result)) => enum_member(result, "result.", &RESULT_VALUES)?,
        None => {}
        Some(_) => return Err("result must be an object".into()),
    }
    if present("result_url").is_some() {
        url_member(body, "result_url", "")?;
    }
    if let Some(v) = present("attachments") {
        let Value::Array(items) = v else { return Err("attachments must be an array".into()) };
        for (i, item) in items.iter().enumerate() {
            let path = format!("attachments[{i}].");
            let Value::Object(a) = item else { return Err(format!("attachments[{i}] must be an object")) };
            only_keys(a, &["url", "content_type"], &path)?;
            url_member(a, "url", &path)?;
            match a.get("content_type") {
                None | Some(Value::Null) => {}
                Some(Value::Object(ct)) => enum_member(ct, &format!("{path}content_type."), &CONTENT_TYPE_VALUES)?,
                Some(_) => return Err(format!("{path}content_type must be an object")),
            }
        }
    }
    if let Some(v) = present("candidate") {
        let Value::Object(c) = v else { return Err("candidate must be an object".into()) };
        only_keys(c, &["id", "profile_url"], "candidate.")?;
        if c.get("id").is_some_and(|v| !v.is_null()) {
            string_member(c, "id", "candidate.")?;
        }
        if c.get("profile_url").is_some_and(|v| !v.is_null()) {
            url_member(c, "profile_url", "candidate.")?;
        }
    }
    if present("passthrough").is_some_and(|v| !v.is_object()) {
        return Err("passthrough must be an object".into());
    }
    Ok(())
}

/// `{"label","value","min","max"}` (`ScoreApiModel`): every member optional
/// and, when present, a string; value, min and max finite numbers, and
/// `min <= value <= max` where all three are given (the document calls
/// `value` "the actual score" between the bounds, and requires none of them).
fn validate_score(score: &Map<String, Value>) -> Result<(), String> {
    only_keys(score, &["label", "value", "min", "max"], "score.")?;
    if score.get("label").is_some_and(|v| !v.is_null()) {
        string_member(score, "label", "score.")?;
    }
    let number = |key: &str| -> Result<Option<f64>, String> {
        if score.get(key).is_none_or(Value::is_null) {
            return Ok(None);
        }
        let s = string_member(score, key, "score.")?;
        s.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| format!("score.{key} {s:?} is not a number"))
    };
    let (value, min, max) = (number("value")?, number("min")?, number("max")?);
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        return Err(format!("score.min {min} is greater than score.max {max}"));
    }
    if let (Some(value), Some(min), Some(max)) = (value, min, max)
        && (value < min || value > max)
    {
        return Err(format!("score.value {value} is not between score.min {min} and score.max {max}"));
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a Unix time, as StackOne's error
/// timestamps are written (days from the civil-from-days algorithm).
fn rfc3339_millis(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unified event envelope (webhooks.mdx's shape).
    const BODY: &[u8] = br#"{"project_id":"p-1","account_id":"acc-7","event":"ats_assessments.created","event_date":"2026-11-30T10:00:00.000Z","record_type":"ats_assessments","record_id":"ord_1","sent_at":"2026-11-30T10:00:01.000Z"}"#;

    #[test]
    fn signatures_match_openssl() {
        // `printf '%s' "$BODY" | openssl dgst -sha256 -hmac stackone_secret -binary | basenc --base64url | tr -d =`
        assert_eq!(stackone_signature("stackone_secret", BODY), "jf784UjisLGPilKz0i09WyLTKHFLLRDjVxCDIg3VWP0");
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(1_700_000_000), "2023-11-14T22:13:20.000Z");
        assert_eq!(rfc3339_millis(951_782_400), "2000-02-29T00:00:00.000Z");
        assert!(is_rfc3339(&rfc3339_millis(1_700_000_000)));
    }

    #[test]
    fn resources_are_named_by_their_path() {
        assert_eq!(resource("/unified/ats/candidates/c%201"), Some((Resource::Candidate, "c 1".into())));
        assert_eq!(resource("/unified/ats/applications/a"), Some((Resource::Application, "a".into())));
        assert_eq!(resource("/unified/ats/jobs/j"), Some((Resource::Job, "j".into())));
        assert_eq!(resource("/unified/ats/jobs/"), None);
        assert_eq!(resource("/unified/ats/jobs/a/b"), None);
        assert_eq!(resource("/unified/ats/users/u"), None);
    }

    #[test]
    fn path_ids_are_percent_decoded() {
        assert_eq!(order_id("/unified/ats/assessments/orders/ord%2F1%20%C3%A4/result").as_deref(), Some("ord/1 ä"));
        assert_eq!(order_id("/unified/ats/assessments/orders/a+b/result").as_deref(), Some("a+b"));
        assert_eq!(order_id("/unified/ats/assessments/orders/%zz/result"), None);
        assert_eq!(order_id("/unified/ats/assessments/orders/%FF/result"), None);
        assert_eq!(order_id("/unified/ats/assessments/orders//result"), None);
        assert_eq!(order_id("/unified/ats/assessments/orders/a/b/result"), None);
    }
}
