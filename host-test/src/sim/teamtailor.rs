//! A local Teamtailor partner API, as seeds 000 and 002 and the hub notes
//! (`docs/hub-apis.md`, "Teamtailor partner API") describe it.
//!
//! Served: `PUT /partner/v1/partner-results/{id}`, the `update-url` a partner
//! writes progress and results to, behind `Authorization: Token <partner API
//! key>`, `X-Api-Version: 20180828` and `Content-Type:
//! application/vnd.api+json`. Bodies are JSON:API documents, validated
//! strictly against the documented shape; refusals are JSON:API error
//! documents. Every accepted write is recorded per partner result, so a test
//! can assert the status history (`sending -> sent -> completed`) and the
//! exact attributes.
//!
//! It also plays the ATS: a test creates a trigger (a candidate moved into a
//! stage with the partner's trigger) and the simulator POSTs the partner
//! event to the connector with the customer's provider key as a bearer token
//! and, when a secret is configured, `Teamtailor-Signature: t=<unix>,v1=<hex>`
//! (HMAC-SHA256 of `"<t>.<partner-event id>"`). The signature is computed
//! here with `hmac`, `sha2` and `hex` directly, independently of the
//! connector, so a shared mistake cannot make both sides agree. Teamtailor
//! does not retry a failed trigger; it shows the recruiter the plain-text
//! body of a >= 400 answer ([`TriggerOutcome::shown_to_recruiter`]).
//!
//! Finally it reads the connector's partner configuration, the source of the
//! trigger's dialog ([`TeamtailorSim::fetch_config`]), in the shape the
//! connector documents as its guess.
//!
//! Where the documentation is silent (error statuses, which members may be
//! `null`), the item's doc comment says what was assumed.

use crate::sim::assessio::{SimClock, http_url};
use crate::sim::common::{WebhookAnswer, hmac_sha256, is_2xx, lock, post_json, uuid_shaped};
use crate::sim::faults::{Faults, XorShift64};
use crate::sim::http::{Handler, HttpClient, Server, SimRequest, SimResponse};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The simulator's route names, for fault plans and counts.
pub mod route {
    /// `PUT /partner/v1/partner-results/{id}`.
    pub const PARTNER_RESULT: &str = "PUT /partner/v1/partner-results/{id}";
    /// Anything else (answered 404 or 405).
    pub const OTHER: &str = "other";
}

/// The partner API version every request must name in `X-Api-Version`.
pub const API_VERSION: &str = "20180828";
/// The JSON:API media type requests must be sent as.
pub const MEDIA_TYPE: &str = "application/vnd.api+json";
/// The trigger's optional signature header.
pub const SIGNATURE_HEADER: &str = "Teamtailor-Signature";
/// The longest `summary` Teamtailor takes, in characters.
pub const MAX_SUMMARY: usize = 150;
/// How deeply `details` may nest (the object itself is the first level).
pub const MAX_DETAILS_DEPTH: usize = 2;
/// Where partner results live; the id follows.
pub const PARTNER_RESULTS_PATH: &str = "/partner/v1/partner-results/";
/// The connector's partner configuration endpoint, under the gateway's URL.
pub const CONFIG_PATH: &str = "/teamtailor/config";
/// How old [`TriggerSignature::Expired`] makes a signature: far past the
/// 300 s tolerance webhook receivers allow.
pub const EXPIRED_BY_SECONDS: i64 = 3600;

/// One Teamtailor customer (company) that has activated the partner
/// integration with a provider key.
#[derive(Clone, PartialEq, Eq)]
pub struct TeamtailorCustomer {
    /// The company's id, sent as `company.id` in every trigger.
    pub company_id: String,
    /// The company's name, sent as `company.name` (which the connector must drop).
    pub company_name: String,
    /// The provider key, sent as `Authorization: Bearer <provider key>`.
    pub provider_key: String,
}

/// The provider key never reaches a log through `{:?}`.
impl fmt::Debug for TeamtailorCustomer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamtailorCustomer")
            .field("company_id", &self.company_id)
            .field("company_name", &self.company_name)
            .field("provider_key", &"<redacted>")
            .finish()
    }
}

impl TeamtailorCustomer {
    /// A customer named `Company <id>`.
    pub fn new(company_id: &str, provider_key: &str) -> Self {
        Self {
            company_id: company_id.to_owned(),
            company_name: format!("Company {company_id}"),
            provider_key: provider_key.to_owned(),
        }
    }
}

/// Everything the simulator is started with.
#[derive(Clone)]
pub struct TeamtailorConfig {
    /// The partner API key every write must present as `Authorization: Token <key>`.
    pub api_key: String,
    /// Keys `Teamtailor-Signature`; `None` sends triggers unsigned (the
    /// signature is optional in Teamtailor).
    pub signature_secret: Option<String>,
    /// The companies that activated the integration.
    pub customers: Vec<TeamtailorCustomer>,
    /// Where triggers go; settable later with [`TeamtailorSim::set_webhook_url`].
    pub webhook_url: Option<String>,
    /// How long a trigger delivery (and a configuration fetch) may take.
    pub webhook_timeout: Duration,
    /// The clock signatures are timestamped with.
    pub clock: SimClock,
}

/// Credentials never reach a log through `{:?}`.
impl fmt::Debug for TeamtailorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamtailorConfig")
            .field("api_key", &"<redacted>")
            .field("signature_secret", &self.signature_secret.as_ref().map(|_| "<redacted>"))
            .field("customers", &self.customers)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_timeout", &self.webhook_timeout)
            .field("clock", &self.clock)
            .finish()
    }
}

impl TeamtailorConfig {
    /// This partner API key, this signature secret (if any), and customers
    /// given as `(company id, provider key)`; no webhook URL yet, a 2 s
    /// timeout and the system clock.
    pub fn new(api_key: &str, signature_secret: Option<&str>, customers: &[(&str, &str)]) -> Self {
        Self {
            api_key: api_key.to_owned(),
            signature_secret: signature_secret.map(str::to_owned),
            customers: customers.iter().map(|(company, key)| TeamtailorCustomer::new(company, key)).collect(),
            webhook_url: None,
            webhook_timeout: Duration::from_secs(2),
            clock: SimClock::system(),
        }
    }
}

/// A partner result's status, as Teamtailor documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartnerStatus {
    /// `sending`: what Teamtailor sets when the trigger fires.
    Sending,
    /// `sent`.
    Sent,
    /// `pending`.
    Pending,
    /// `completed`.
    Completed,
    /// `failed`.
    Failed,
}

impl PartnerStatus {
    const ALL: [Self; 5] = [Self::Sending, Self::Sent, Self::Pending, Self::Completed, Self::Failed];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// From the wire name, exactly.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The candidate of a trigger. Teamtailor sends more than the connector may
/// pass on (phone, résumé), so privacy tests can prove it stays behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerCandidate {
    /// Teamtailor's candidate id.
    pub id: String,
    /// May be missing in Teamtailor (seed 000: Assessio then refuses).
    pub first_name: Option<String>,
    /// May be missing in Teamtailor.
    pub last_name: Option<String>,
    /// Always present.
    pub email: String,
    /// Personal data the connector must not forward.
    pub phone: Option<String>,
    /// The résumé's URL: personal data the connector must not forward.
    pub resume_url: Option<String>,
}

/// The job of a trigger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerJob {
    /// Teamtailor's job id.
    pub id: String,
    /// The job title.
    pub title: String,
}

/// What a test triggers, as if a recruiter moved a candidate into a stage
/// with the partner's trigger and chose lens and locale in its dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTrigger {
    /// A configured customer's company id.
    pub company_id: String,
    /// Who is assessed.
    pub candidate: TriggerCandidate,
    /// For which job.
    pub job: TriggerJob,
    /// The lens chosen in the dialog (`webhook-data.lens`).
    pub lens: String,
    /// The locale chosen in the dialog (`webhook-data.locale`).
    pub locale: String,
    /// The partner event's id; `None` generates one. Set it to sign a
    /// known-answer vector end to end.
    pub event_id: Option<String>,
}

impl NewTrigger {
    /// A complete, plausible trigger: names, phone, résumé and a job.
    pub fn example(company_id: &str, lens: &str, locale: &str, email: &str) -> Self {
        Self {
            company_id: company_id.to_owned(),
            candidate: TriggerCandidate {
                id: "991".into(),
                first_name: Some("Ada".into()),
                last_name: Some("Lovelace".into()),
                email: email.to_owned(),
                phone: Some("+46 70 123 45 67".into()),
                resume_url: Some("https://teamtailor.example/resumes/991.pdf".into()),
            },
            job: TriggerJob { id: "4711".into(), title: "Backend Developer".into() },
            lens: lens.to_owned(),
            locale: locale.to_owned(),
            event_id: None,
        }
    }
}

/// How a trigger presents the customer's provider key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TriggerAuth {
    /// `Authorization: Bearer <the customer's provider key>`.
    #[default]
    Valid,
    /// No `Authorization` header.
    Missing,
    /// A well-formed bearer with a key nobody issued.
    WrongKey,
    /// This exact `Authorization` value.
    Header(String),
}

/// How a trigger is signed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TriggerSignature {
    /// With the configured secret at the clock's now; no header when no
    /// secret is configured (the signature is optional in Teamtailor).
    #[default]
    Valid,
    /// No `Teamtailor-Signature` header at all.
    Missing,
    /// Well-formed and current, but with another secret.
    WrongSecret,
    /// With the right secret, [`EXPIRED_BY_SECONDS`] in the past (without
    /// a configured secret, with a placeholder one).
    Expired,
    /// With the right secret (or the placeholder), timestamped `t` (Unix seconds).
    At(i64),
    /// This exact header value.
    Header(String),
}

/// The knobs of one trigger delivery; the default is what Teamtailor does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerOptions {
    /// The bearer token.
    pub auth: TriggerAuth,
    /// The signature.
    pub signature: TriggerSignature,
}

impl TriggerOptions {
    /// A correct bearer and signature.
    pub fn valid() -> Self {
        Self::default()
    }

    /// These options with another bearer.
    #[must_use]
    pub fn with_auth(mut self, auth: TriggerAuth) -> Self {
        self.auth = auth;
        self
    }

    /// These options with another signature.
    #[must_use]
    pub fn with_signature(mut self, signature: TriggerSignature) -> Self {
        self.signature = signature;
        self
    }
}

/// A partner result as the simulator holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerResult {
    /// Teamtailor's id (the last segment of the update URL).
    pub id: String,
    /// The partner event's id (same on redelivery).
    pub event_id: String,
    /// The company.
    pub company_id: String,
    /// Where the partner writes: `<sim url>/partner/v1/partner-results/<id>`.
    pub update_url: String,
    /// The current status.
    pub status: PartnerStatus,
    /// Every status it had, in order: `sending` from the trigger, then one
    /// entry per accepted write (repeats included).
    pub status_history: Vec<PartnerStatus>,
    /// The `attributes` of the last accepted write.
    pub attributes: Option<Value>,
    /// Every accepted write's whole body, in order.
    pub writes: Vec<Value>,
    /// What was triggered.
    pub trigger: NewTrigger,
}

/// One trigger delivery.
#[derive(Debug, Clone)]
pub struct TriggerDelivery {
    /// The partner result.
    pub partner_result_id: String,
    /// The partner event.
    pub event_id: String,
    /// The knobs it was sent with.
    pub options: TriggerOptions,
    /// The `Authorization` value sent, if any.
    pub authorization: Option<String>,
    /// The `Teamtailor-Signature` value sent, if any.
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

/// What a trigger delivery led to.
#[derive(Debug, Clone)]
pub struct TriggerOutcome {
    /// The partner result.
    pub partner_result_id: String,
    /// The partner event.
    pub event_id: String,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// The receiver's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The receiver's body.
    pub body: Bytes,
    /// Why there was no answer.
    pub error: Option<String>,
}

impl TriggerOutcome {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the connector took the trigger (2xx).
    pub fn is_success(&self) -> bool {
        is_2xx(self.status)
    }

    /// Whether the answer is `text/plain`, the only kind Teamtailor shows as is.
    pub fn is_plain_text(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|ct| ct.split(';').next().is_some_and(|mime| mime.trim().eq_ignore_ascii_case("text/plain")))
    }

    /// What Teamtailor shows the recruiter: nothing after a 2xx; the body of
    /// a >= 400 plain-text answer (the documented behaviour). Assumed for the
    /// rest: a generic line naming the status for any other non-2xx answer
    /// (or an empty body), and another when nothing answered.
    pub fn shown_to_recruiter(&self) -> Option<String> {
        let Some(status) = self.status else {
            return Some("The partner could not be reached.".into());
        };
        if (200..300).contains(&status) {
            return None;
        }
        let text = self.text();
        if status >= 400 && self.is_plain_text() && !text.trim().is_empty() {
            Some(text)
        } else {
            Some(format!("The partner answered HTTP {status}."))
        }
    }
}

/// One call to the partner API that reached the simulator's logic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamtailorCall {
    /// The method.
    pub method: String,
    /// The path and query.
    pub target: String,
    /// What the simulator answered.
    pub status: u16,
}

/// One option of a dialog select: what is sent, and what the recruiter sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigOption {
    /// Sent back in `webhook-data` under the field's id.
    pub value: String,
    /// Shown in the dialog.
    pub label: String,
}

/// One field of the trigger's dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigField {
    /// The `webhook-data` key the choice is sent under.
    pub id: String,
    /// Shown above the field.
    pub label: String,
    /// Whether the trigger can be saved without a choice.
    pub required: bool,
    /// The choices, in order.
    pub options: Vec<ConfigOption>,
}

/// The connector's partner configuration, validated as a dialog source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerConfig {
    /// The dialog's fields, in order.
    pub fields: Vec<ConfigField>,
}

impl PartnerConfig {
    /// The field with this id.
    pub fn field(&self, id: &str) -> Option<&ConfigField> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The lens choices (empty if there is no `lens` field).
    pub fn lenses(&self) -> &[ConfigOption] {
        self.field("lens").map_or(&[], |f| f.options.as_slice())
    }

    /// The locale choices (empty if there is no `locale` field).
    pub fn locales(&self) -> &[ConfigOption] {
        self.field("locale").map_or(&[], |f| f.options.as_slice())
    }
}

/// What the simulator's own methods refuse or could not do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TeamtailorSimError {
    /// The company is not a configured customer.
    UnknownCompany(String),
    /// No such partner result.
    UnknownPartnerResult(String),
    /// No webhook URL is configured.
    NoWebhookUrl,
    /// The configuration request got no answer.
    Transport(String),
    /// The configuration endpoint answered, but not with a usable dialog
    /// source: the status, and what is wrong.
    BadConfig {
        /// The HTTP status.
        status: u16,
        /// What is wrong, naming the member.
        problem: String,
    },
}

impl fmt::Display for TeamtailorSimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownCompany(id) => write!(f, "unknown company {id:?}"),
            Self::UnknownPartnerResult(id) => write!(f, "unknown partner result {id:?}"),
            Self::NoWebhookUrl => f.write_str("no webhook URL is configured"),
            Self::Transport(why) => write!(f, "the partner configuration could not be fetched: {why}"),
            Self::BadConfig { status, problem } => {
                write!(f, "the partner configuration (HTTP {status}) is not usable: {problem}")
            }
        }
    }
}

impl std::error::Error for TeamtailorSimError {}

#[derive(Debug)]
struct StoredResult {
    record: PartnerResult,
    /// The trigger body as first sent, so redeliveries are byte-identical.
    trigger_body: Option<Bytes>,
}

#[derive(Debug)]
struct State {
    results: Vec<StoredResult>,
    deliveries: Vec<TriggerDelivery>,
    calls: Vec<TeamtailorCall>,
    rng: XorShift64,
    webhook_url: Option<String>,
}

struct Shared {
    api_key: String,
    signature_secret: Option<String>,
    customers: Vec<TeamtailorCustomer>,
    clock: SimClock,
    client: HttpClient,
    base_url: OnceLock<String>,
    state: Mutex<State>,
}

/// A running Teamtailor simulator. Dropping it shuts it down.
pub struct TeamtailorSim {
    shared: Arc<Shared>,
    faults: Faults,
    server: Server,
}

impl fmt::Debug for TeamtailorSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamtailorSim").field("addr", &self.server.addr()).finish_non_exhaustive()
    }
}

/// `Teamtailor-Signature`'s `v1`: lowercase hex of HMAC-SHA256 over
/// `"<t>.<partner-event id>"` under `secret`.
pub fn teamtailor_signature(secret: &str, t: i64, partner_event_id: &str) -> String {
    hex::encode(hmac_sha256(secret, format!("{t}.{partner_event_id}").as_bytes()))
}

/// The whole header value: `t=<t>,v1=<hex>`.
pub fn teamtailor_signature_header(secret: &str, t: i64, partner_event_id: &str) -> String {
    format!("t={t},v1={}", teamtailor_signature(secret, t, partner_event_id))
}

/// A UUID-shaped id (version 4 layout) from the simulator's generator.
fn uuid_like(rng: &mut XorShift64) -> String {
    uuid_shaped(rng, 'a')
}

impl TeamtailorSim {
    /// Starts a simulator on `127.0.0.1` with an OS-chosen port.
    pub async fn start(config: TeamtailorConfig) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            api_key: config.api_key,
            signature_secret: config.signature_secret,
            customers: config.customers,
            clock: config.clock,
            client: HttpClient::new(config.webhook_timeout).for_simulator(crate::sim::http::Simulator::Teamtailor),
            base_url: OnceLock::new(),
            state: Mutex::new(State {
                results: Vec::new(),
                deliveries: Vec::new(),
                calls: Vec::new(),
                // Fixed seed: the same test run gives the same ids.
                rng: XorShift64::new(0x5465_616D_7461_696C),
                webhook_url: config.webhook_url,
            }),
        });
        let faults = Faults::new();
        let server = Server::start(Arc::new(TeamtailorHandler(Arc::clone(&shared))), faults.clone()).await?;
        let _ = shared.base_url.set(server.url());
        Ok(Self { shared, faults, server })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:<port>`: what replaces `https://api.teamtailor.com`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `http://127.0.0.1:<port>/partner/v1`.
    pub fn api_url(&self) -> String {
        format!("{}/partner/v1", self.server.url())
    }

    /// The update URL of partner result `id`.
    pub fn update_url(&self, id: &str) -> String {
        format!("{}{PARTNER_RESULTS_PATH}{id}", self.server.url())
    }

    /// Stops serving. Also done on drop.
    pub fn shutdown(&self) {
        self.server.shutdown();
    }

    /// The fault plans, by [`route`].
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Every body refused because Teamtailor's published schema forbids it
    /// (see [`crate::sim::http::SCHEMA_ROUTES`]), oldest first.
    pub fn schema_refusals(&self) -> Vec<crate::sim::http::SchemaRefusal> {
        self.server.schema_refusals()
    }

    /// The clock signatures are timestamped with.
    pub fn clock(&self) -> &SimClock {
        &self.shared.clock
    }

    /// The configured customers.
    pub fn customers(&self) -> &[TeamtailorCustomer] {
        &self.shared.customers
    }

    /// Where triggers go from now on.
    pub fn set_webhook_url(&self, url: Option<String>) {
        lock(&self.shared.state).webhook_url = url;
    }

    /// Registers a partner result (status `sending`) and its partner event
    /// without sending anything; returns the partner result's id.
    pub fn create_trigger(&self, trigger: NewTrigger) -> Result<String, TeamtailorSimError> {
        if !self.shared.customers.iter().any(|c| c.company_id == trigger.company_id) {
            return Err(TeamtailorSimError::UnknownCompany(trigger.company_id));
        }
        let mut state = lock(&self.shared.state);
        // Teamtailor's ids are numbers written as strings; six digits leave
        // room enough that the loop ends at once.
        let id = loop {
            let candidate = format!("{}", 100_000 + state.rng.below(900_000));
            if !state.results.iter().any(|r| r.record.id == candidate) {
                break candidate;
            }
        };
        let event_id = match &trigger.event_id {
            Some(given) => given.clone(),
            None => uuid_like(&mut state.rng),
        };
        state.results.push(StoredResult {
            record: PartnerResult {
                id: id.clone(),
                event_id,
                company_id: trigger.company_id.clone(),
                update_url: self.update_url(&id),
                status: PartnerStatus::Sending,
                status_history: vec![PartnerStatus::Sending],
                attributes: None,
                writes: Vec::new(),
                trigger,
            },
            trigger_body: None,
        });
        Ok(id)
    }

    /// Creates a trigger and sends it, correctly authenticated and signed.
    pub async fn place_trigger(&self, trigger: NewTrigger) -> Result<TriggerOutcome, TeamtailorSimError> {
        let id = self.create_trigger(trigger)?;
        self.send_trigger(&id, TriggerOptions::valid()).await
    }

    /// Sends the same partner event again, byte for byte, correctly
    /// authenticated and freshly signed: a duplicate delivery.
    pub async fn redeliver(&self, partner_result_id: &str) -> Result<TriggerOutcome, TeamtailorSimError> {
        self.send_trigger(partner_result_id, TriggerOptions::valid()).await
    }

    /// POSTs (or re-POSTs) the partner event to the webhook URL once, as
    /// `options` say; Teamtailor does not retry. The partner result's status
    /// is left as it is: only the partner's writes change it.
    pub async fn send_trigger(
        &self,
        partner_result_id: &str,
        options: TriggerOptions,
    ) -> Result<TriggerOutcome, TeamtailorSimError> {
        let (url, event_id, company_id, body) = {
            let mut state = lock(&self.shared.state);
            let url = state.webhook_url.clone().ok_or(TeamtailorSimError::NoWebhookUrl)?;
            let stored = state
                .results
                .iter_mut()
                .find(|r| r.record.id == partner_result_id)
                .ok_or_else(|| TeamtailorSimError::UnknownPartnerResult(partner_result_id.to_owned()))?;
            let customers = &self.shared.customers;
            let body = stored.trigger_body.get_or_insert_with(|| trigger_body(&stored.record, customers)).clone();
            (url, stored.record.event_id.clone(), stored.record.company_id.clone(), body)
        };
        let provider_key =
            self.shared.customers.iter().find(|c| c.company_id == company_id).map(|c| c.provider_key.clone());
        let authorization = match &options.auth {
            TriggerAuth::Valid => provider_key.map(|k| format!("Bearer {k}")),
            TriggerAuth::Missing => None,
            TriggerAuth::WrongKey => Some("Bearer pk_nobody_issued_this".to_owned()),
            TriggerAuth::Header(value) => Some(value.clone()),
        };
        let now = self.shared.clock.now();
        let secret = self.shared.signature_secret.as_deref();
        let right = secret.unwrap_or("no-signature-secret-configured");
        let signature_header = match &options.signature {
            TriggerSignature::Valid => secret.map(|s| teamtailor_signature_header(s, now, &event_id)),
            TriggerSignature::Missing => None,
            TriggerSignature::WrongSecret => {
                Some(teamtailor_signature_header("not-the-signature-secret", now, &event_id))
            }
            TriggerSignature::Expired => {
                Some(teamtailor_signature_header(right, now.saturating_sub(EXPIRED_BY_SECONDS), &event_id))
            }
            TriggerSignature::At(t) => Some(teamtailor_signature_header(right, *t, &event_id)),
            TriggerSignature::Header(value) => Some(value.clone()),
        };
        let mut extra = Vec::new();
        if let Some(a) = &authorization {
            extra.push(("Authorization", a.as_str()));
        }
        if let Some(s) = &signature_header {
            extra.push((SIGNATURE_HEADER, s.as_str()));
        }
        let WebhookAnswer { status, content_type, body: response_body, error } =
            post_json(&self.shared.client, &url, &extra, body.clone()).await;
        lock(&self.shared.state).deliveries.push(TriggerDelivery {
            partner_result_id: partner_result_id.to_owned(),
            event_id: event_id.clone(),
            options,
            authorization,
            signature_header,
            body,
            status,
            response_body: response_body.clone(),
            error: error.clone(),
        });
        Ok(TriggerOutcome {
            partner_result_id: partner_result_id.to_owned(),
            event_id,
            status,
            content_type,
            body: response_body,
            error,
        })
    }

    /// Reads the connector's partner configuration, as Teamtailor does to
    /// build the trigger's dialog: `GET <gateway_url>/teamtailor/config`
    /// with `Authorization: Bearer <provider key>`, then
    /// [`parse_partner_config`]. A non-200 answer is [`TeamtailorSimError::BadConfig`].
    pub async fn fetch_config(
        &self,
        gateway_url: &str,
        provider_key: &str,
    ) -> Result<PartnerConfig, TeamtailorSimError> {
        let url = format!("{}{CONFIG_PATH}", gateway_url.trim_end_matches('/'));
        let bearer = format!("Bearer {provider_key}");
        let headers = [("Authorization", bearer.as_str()), ("Accept", MEDIA_TYPE)];
        let response = self
            .shared
            .client
            .request(Method::GET, &url, &headers, Bytes::new())
            .await
            .map_err(|e| TeamtailorSimError::Transport(e.to_string()))?;
        let bad = |problem: String| TeamtailorSimError::BadConfig { status: response.status, problem };
        if response.status != 200 {
            return Err(bad(format!("expected HTTP 200; the body was {:?}", response.text())));
        }
        let content_type = response.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if mime != "application/json" && mime != MEDIA_TYPE {
            return Err(bad(format!("Content-Type {content_type:?} is neither {MEDIA_TYPE} nor application/json")));
        }
        parse_partner_config(&response.body).map_err(bad)
    }

    /// One partner result.
    pub fn partner_result(&self, id: &str) -> Option<PartnerResult> {
        lock(&self.shared.state).results.iter().find(|r| r.record.id == id).map(|r| r.record.clone())
    }

    /// Every partner result, in order of creation.
    pub fn partner_results(&self) -> Vec<PartnerResult> {
        lock(&self.shared.state).results.iter().map(|r| r.record.clone()).collect()
    }

    /// The statuses a partner result had, `sending` first (empty for an unknown one).
    pub fn status_history(&self, id: &str) -> Vec<PartnerStatus> {
        self.partner_result(id).map(|r| r.status_history).unwrap_or_default()
    }

    /// The accepted writes' whole bodies (empty for an unknown one).
    pub fn writes(&self, id: &str) -> Vec<Value> {
        self.partner_result(id).map(|r| r.writes).unwrap_or_default()
    }

    /// How many writes a partner result accepted.
    pub fn write_count(&self, id: &str) -> usize {
        self.writes(id).len()
    }

    /// The attributes of the last accepted write.
    pub fn last_attributes(&self, id: &str) -> Option<Value> {
        self.partner_result(id).and_then(|r| r.attributes)
    }

    /// Every trigger delivery, in order.
    pub fn trigger_deliveries(&self) -> Vec<TriggerDelivery> {
        lock(&self.shared.state).deliveries.clone()
    }

    /// Every call to the partner API that reached the simulator's logic.
    pub fn calls(&self) -> Vec<TeamtailorCall> {
        lock(&self.shared.state).calls.clone()
    }
}

/// The partner event, as the hub notes describe it, with personal data the
/// connector must drop (phone, résumé, company name).
fn trigger_body(record: &PartnerResult, customers: &[TeamtailorCustomer]) -> Bytes {
    let t = &record.trigger;
    let c = &t.candidate;
    let company_name = customers.iter().find(|x| x.company_id == record.company_id).map(|x| x.company_name.clone());
    let body = json!({
        "partner-event": {
            "id": record.event_id,
            "webhook-data": { "lens": t.lens, "locale": t.locale },
            "partner-result": { "id": record.id, "status": PartnerStatus::Sending.as_str(), "update-url": record.update_url },
            "candidate": {
                "id": c.id,
                "first-name": c.first_name,
                "last-name": c.last_name,
                "email": c.email,
                "phone": c.phone,
                "resume": c.resume_url,
                "job": { "id": t.job.id, "title": t.job.title },
            },
        },
        "company": { "id": record.company_id, "name": company_name },
    });
    Bytes::from(body.to_string())
}

/// Validates the partner configuration as a dialog source. The shape is the
/// connector's documented guess:
///
/// ```json
/// {"data":{"type":"partner-configs","attributes":{"fields":[
///   {"id":"lens","type":"select","label":"…","required":true,"options":[{"value":"…","label":"…"}]},
///   {"id":"locale",…}]}}}
/// ```
///
/// Strict, so drift shows: no unknown members (a `data.id` string is
/// allowed, as JSON:API resources have one); every field a non-empty
/// `select` with a label, a boolean `required` and distinct non-empty
/// options; distinct field ids; `lens` and `locale` present and required
/// (a trigger cannot be placed without them).
pub fn parse_partner_config(body: &[u8]) -> Result<PartnerConfig, String> {
    let top: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let Value::Object(top) = top else { return Err("the body must be a JSON object".into()) };
    only_keys(&top, &["data"], "")?;
    let data = object_member(&top, "data", "")?;
    only_keys(data, &["type", "id", "attributes"], "data.")?;
    match data.get("type") {
        Some(Value::String(t)) if t == "partner-configs" => {}
        Some(other) => return Err(format!("data.type: must be \"partner-configs\", not {other}")),
        None => return Err("data.type: required".into()),
    }
    if data.get("id").is_some_and(|v| !v.is_string()) {
        return Err("data.id: must be a string".into());
    }
    let attributes = object_member(data, "attributes", "data.")?;
    only_keys(attributes, &["fields"], "data.attributes.")?;
    let Some(Value::Array(items)) = attributes.get("fields") else {
        return Err("data.attributes.fields: required, an array".into());
    };
    let mut fields = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("data.attributes.fields[{i}].");
        let Value::Object(f) = item else { return Err(format!("data.attributes.fields[{i}]: must be an object")) };
        only_keys(f, &["id", "type", "label", "required", "options"], &path)?;
        let id = text_member(f, "id", &path)?;
        if fields.iter().any(|x: &ConfigField| x.id == id) {
            return Err(format!("{path}id: {id:?} appears more than once"));
        }
        let kind = text_member(f, "type", &path)?;
        if kind != "select" {
            return Err(format!("{path}type: must be \"select\", not {kind:?}"));
        }
        let label = text_member(f, "label", &path)?;
        let Some(Value::Bool(required)) = f.get("required") else {
            return Err(format!("{path}required: required, a boolean"));
        };
        let Some(Value::Array(raw_options)) = f.get("options") else {
            return Err(format!("{path}options: required, an array"));
        };
        if raw_options.is_empty() {
            return Err(format!("{path}options: must not be empty (the dialog would offer nothing)"));
        }
        let mut options = Vec::with_capacity(raw_options.len());
        let mut values = BTreeSet::new();
        for (j, o) in raw_options.iter().enumerate() {
            let opath = format!("{path}options[{j}].");
            let Value::Object(o) = o else { return Err(format!("{path}options[{j}]: must be an object")) };
            only_keys(o, &["value", "label"], &opath)?;
            let value = text_member(o, "value", &opath)?;
            if !values.insert(value.clone()) {
                return Err(format!("{opath}value: {value:?} appears more than once"));
            }
            options.push(ConfigOption { value, label: text_member(o, "label", &opath)? });
        }
        fields.push(ConfigField { id, label, required: *required, options });
    }
    for needed in ["lens", "locale"] {
        match fields.iter().find(|f| f.id == needed) {
            None => return Err(format!("data.attributes.fields: no {needed:?} field")),
            Some(f) if !f.required => return Err(format!("data.attributes.fields: {needed:?} must be required")),
            Some(_) => {}
        }
    }
    Ok(PartnerConfig { fields })
}

fn only_keys(obj: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("{path}{k}: unknown member")),
        None => Ok(()),
    }
}

fn object_member<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Map<String, Value>, String> {
    match obj.get(key) {
        Some(Value::Object(o)) => Ok(o),
        None => Err(format!("{path}{key}: required")),
        Some(_) => Err(format!("{path}{key}: must be an object")),
    }
}

fn text_member(obj: &Map<String, Value>, key: &str, path: &str) -> Result<String, String> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(format!("{path}{key}: must not be empty")),
        None => Err(format!("{path}{key}: required")),
        Some(_) => Err(format!("{path}{key}: must be a string")),
    }
}

/// A refusal, as a JSON:API error object.
struct TtError {
    status: StatusCode,
    title: &'static str,
    detail: String,
    /// A JSON pointer into the request document, when one member is at fault.
    pointer: Option<String>,
}

impl TtError {
    fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, title, detail: detail.into(), pointer: None }
    }

    /// A malformed document: 400.
    fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad Request", detail)
    }

    fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    fn response(&self) -> SimResponse {
        let mut error = json!({
            "status": self.status.as_u16().to_string(),
            "title": self.title,
            "detail": self.detail,
        });
        if let Some(pointer) = &self.pointer {
            error["source"] = json!({ "pointer": pointer });
        }
        jsonapi(self.status, &json!({ "errors": [error] }))
    }
}

/// A value invalid for its attribute: 422, pointing at it.
fn invalid(attribute: &str, detail: impl Into<String>) -> TtError {
    TtError::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid Attribute", detail)
        .at(format!("/data/attributes/{attribute}"))
}

fn jsonapi(status: StatusCode, value: &Value) -> SimResponse {
    SimResponse {
        status,
        headers: vec![(CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE))],
        body: Bytes::from(value.to_string()),
    }
}

struct TeamtailorHandler(Arc<Shared>);

/// The partner result id a path names, if it names one.
fn partner_result_id(path: &str) -> Option<&str> {
    let id = path.strip_prefix(PARTNER_RESULTS_PATH)?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

impl Handler for TeamtailorHandler {
    fn simulator(&self) -> Option<crate::sim::http::Simulator> {
        Some(crate::sim::http::Simulator::Teamtailor)
    }

    fn route(&self, method: &Method, path: &str) -> &'static str {
        if method == Method::PUT && partner_result_id(path).is_some() { route::PARTNER_RESULT } else { route::OTHER }
    }

    fn handle(&self, request: SimRequest) -> SimResponse {
        let response = match self.dispatch(&request) {
            Ok(response) => response,
            Err(e) => e.response(),
        };
        lock(&self.0.state).calls.push(TeamtailorCall {
            method: request.method.to_string(),
            target: request.target(),
            status: response.status.as_u16(),
        });
        response
    }
}

impl TeamtailorHandler {
    /// Route, then credentials, API version and media type, then the
    /// partner result, then the document. Status transitions are not
    /// enforced (Teamtailor documents none): the history records whatever
    /// order the partner wrote in, for tests to assert.
    fn dispatch(&self, request: &SimRequest) -> Result<SimResponse, TtError> {
        let Some(id) = partner_result_id(&request.path) else {
            return Err(TtError::new(StatusCode::NOT_FOUND, "Not Found", format!("No route for {}", request.path)));
        };
        if request.method != Method::PUT {
            return Err(TtError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                format!("{} takes PUT, not {}", request.path, request.method),
            ));
        }
        self.authenticate(request)?;
        check_headers(request)?;
        let known = lock(&self.0.state).results.iter().any(|r| r.record.id == id);
        if !known {
            return Err(TtError::new(
                StatusCode::NOT_FOUND,
                "Record not found",
                format!("The partner result with id {id:?} was not found."),
            ));
        }
        let body = parse_document(&request.body)?;
        let status = validate_document(&body, id)?;
        let attributes = body.get("data").and_then(|d| d.get("attributes")).cloned().unwrap_or_else(|| json!({}));
        let mut state = lock(&self.0.state);
        let stored = state.results.iter_mut().find(|r| r.record.id == id).ok_or_else(|| {
            TtError::new(StatusCode::NOT_FOUND, "Record not found", format!("The partner result {id:?} is gone."))
        })?;
        stored.record.status = status;
        stored.record.status_history.push(status);
        stored.record.attributes = Some(attributes.clone());
        stored.record.writes.push(body);
        Ok(jsonapi(
            StatusCode::OK,
            &json!({ "data": { "type": "partner-results", "id": id, "attributes": attributes } }),
        ))
    }

    /// `Authorization: Token <key>` (hub notes). Assumed: the scheme's case
    /// is free and Rails' `Token token=<key>` / `Token token="<key>"` forms
    /// are the same thing; `Bearer` is refused, so the connector keeps to the
    /// documented scheme.
    fn authenticate(&self, request: &SimRequest) -> Result<(), TtError> {
        let token = request.header("authorization").and_then(|h| {
            let (scheme, rest) = h.trim().split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("token") {
                return None;
            }
            let rest = rest.trim();
            let token = match rest.strip_prefix("token=") {
                Some(quoted) => quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')).unwrap_or(quoted),
                None => rest,
            };
            Some(token)
        });
        if token == Some(self.0.api_key.as_str()) && !self.0.api_key.is_empty() {
            Ok(())
        } else {
            Err(TtError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "Send the partner API key as `Authorization: Token <key>`.",
            ))
        }
    }
}

/// `X-Api-Version` and `Content-Type`. Assumed statuses: 406 for a missing
/// or other API version; 415 for any media type but exactly
/// `application/vnd.api+json` (JSON:API 1.0 refuses media type parameters).
fn check_headers(request: &SimRequest) -> Result<(), TtError> {
    match request.header("x-api-version").map(str::trim) {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(TtError::new(
                StatusCode::NOT_ACCEPTABLE,
                "Not Acceptable",
                format!("X-Api-Version {other:?} is not supported; send {API_VERSION}."),
            ));
        }
        None => {
            return Err(TtError::new(
                StatusCode::NOT_ACCEPTABLE,
                "Not Acceptable",
                format!("The X-Api-Version header is required; send {API_VERSION}."),
            ));
        }
    }
    let content_type = request.header("content-type").unwrap_or_default();
    if !content_type.trim().eq_ignore_ascii_case(MEDIA_TYPE) {
        return Err(TtError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            format!("Content-Type {content_type:?} is not supported; send {MEDIA_TYPE} without parameters."),
        ));
    }
    Ok(())
}

fn parse_document(body: &[u8]) -> Result<Value, TtError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(TtError::bad_request("The document must be a JSON object.")),
        Err(e) => Err(TtError::bad_request(format!("The document is not valid JSON: {e}"))),
    }
}

/// The documented write: `{"data":{"type":"partner-results","id":<path id>,
/// "attributes":{…}}}`; returns the status it sets.
///
/// Statuses (assumed, JSON:API-style): a structural problem (missing
/// `data`, unknown members or attributes) is 400; a `type` or `id` that does
/// not match the endpoint is 409, as JSON:API requires; a bad attribute
/// value is 422 with a pointer to it. `status` is required; the optional
/// attributes may also be `null` (clearing them).
fn validate_document(body: &Value, path_id: &str) -> Result<PartnerStatus, TtError> {
    let Some(top) = body.as_object() else { return Err(TtError::bad_request("The document must be an object.")) };
    if let Some(k) = top.keys().find(|k| k.as_str() != "data") {
        return Err(TtError::bad_request(format!("{k} is not allowed at the top level.")).at(format!("/{k}")));
    }
    let Some(Value::Object(data)) = top.get("data") else {
        return Err(TtError::bad_request("data is required and must be a resource object.").at("/data"));
    };
    if let Some(k) = data.keys().find(|k| !["type", "id", "attributes"].contains(&k.as_str())) {
        return Err(TtError::bad_request(format!("data.{k} is not allowed.")).at(format!("/data/{k}")));
    }
    match data.get("type") {
        Some(Value::String(t)) if t == "partner-results" => {}
        Some(Value::String(t)) => {
            return Err(TtError::new(
                StatusCode::CONFLICT,
                "Conflict",
                format!("data.type {t:?} does not match this endpoint's partner-results."),
            )
            .at("/data/type"));
        }
        Some(_) => return Err(TtError::bad_request("data.type must be a string.").at("/data/type")),
        None => return Err(TtError::bad_request("data.type is required.").at("/data/type")),
    }
    match data.get("id") {
        Some(Value::String(id)) if id == path_id => {}
        Some(Value::String(id)) => {
            return Err(TtError::new(
                StatusCode::CONFLICT,
                "Conflict",
                format!("data.id {id:?} does not match the partner result {path_id:?} in the URL."),
            )
            .at("/data/id"));
        }
        Some(_) => return Err(TtError::bad_request("data.id must be a string.").at("/data/id")),
        None => return Err(TtError::bad_request("data.id is required.").at("/data/id")),
    }
    let Some(Value::Object(attributes)) = data.get("attributes") else {
        return Err(TtError::bad_request("data.attributes is required and must be an object.").at("/data/attributes"));
    };
    validate_attributes(attributes)
}

fn validate_attributes(attributes: &Map<String, Value>) -> Result<PartnerStatus, TtError> {
    const KNOWN: [&str; 6] = ["status", "summary", "url", "assessment", "details", "attachments"];
    if let Some(k) = attributes.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(TtError::bad_request(format!("{k} is not an allowed attribute of partner-results."))
            .at(format!("/data/attributes/{k}")));
    }
    let status = match attributes.get("status") {
        Some(Value::String(s)) => PartnerStatus::parse(s).ok_or_else(|| {
            invalid("status", format!("{s:?} is not one of sending, sent, pending, completed, failed."))
        })?,
        None | Some(Value::Null) => return Err(invalid("status", "status is required.")),
        Some(_) => return Err(invalid("status", "status must be a string.")),
    };
    let present = |key: &str| attributes.get(key).filter(|v| !v.is_null());
    if let Some(v) = present("summary") {
        let Some(s) = v.as_str() else { return Err(invalid("summary", "summary must be a string.")) };
        let chars = s.chars().count();
        if chars > MAX_SUMMARY {
            return Err(invalid("summary", format!("summary is {chars} characters; at most {MAX_SUMMARY}.")));
        }
    }
    if let Some(v) = present("url")
        && !v.as_str().is_some_and(http_url)
    {
        return Err(invalid("url", "url must be an http(s) URL."));
    }
    if let Some(v) = present("assessment") {
        let Some(a) = v.as_object() else { return Err(invalid("assessment", "assessment must be an object.")) };
        if let Some(k) = a.keys().find(|k| k.as_str() != "score") {
            return Err(invalid("assessment", format!("assessment.{k} is not allowed; only score.")));
        }
        match a.get("score") {
            Some(Value::Number(n)) if n.as_u64().is_some_and(|s| s <= 100) => {}
            Some(other) => {
                return Err(invalid(
                    "assessment",
                    format!("assessment.score must be a whole number 0..100, not {other}."),
                ));
            }
            None => return Err(invalid("assessment", "assessment.score is required.")),
        }
    }
    if let Some(v) = present("details") {
        if !v.is_object() {
            return Err(invalid("details", "details must be an object."));
        }
        let depth = depth(v);
        if depth > MAX_DETAILS_DEPTH {
            return Err(invalid(
                "details",
                format!("details is nested {depth} levels deep; at most {MAX_DETAILS_DEPTH}."),
            ));
        }
    }
    if let Some(v) = present("attachments") {
        validate_attachments(v)?;
    }
    Ok(status)
}

/// `[{"url": http(s), "description": string}]`, nothing more.
fn validate_attachments(v: &Value) -> Result<(), TtError> {
    let Some(items) = v.as_array() else { return Err(invalid("attachments", "attachments must be an array.")) };
    for (i, item) in items.iter().enumerate() {
        let Some(a) = item.as_object() else {
            return Err(invalid("attachments", format!("attachments[{i}] must be an object.")));
        };
        if let Some(k) = a.keys().find(|k| !["url", "description"].contains(&k.as_str())) {
            return Err(invalid("attachments", format!("attachments[{i}].{k} is not allowed.")));
        }
        if !a.get("url").and_then(Value::as_str).is_some_and(http_url) {
            return Err(invalid("attachments", format!("attachments[{i}].url must be an http(s) URL.")));
        }
        if !a.get("description").is_some_and(Value::is_string) {
            return Err(invalid("attachments", format!("attachments[{i}].description must be a string.")));
        }
    }
    Ok(())
}

/// Nesting depth: every object or array is a level (`{"a":1}` is 1).
fn depth(v: &Value) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_known_answer() {
        // `printf '1700000000.evt-1' | openssl dgst -sha256 -hmac secret`
        assert_eq!(
            teamtailor_signature("secret", 1_700_000_000, "evt-1"),
            "8d9526719828c5e3f672b16eeef6c063000ad2e61f971d828036fa579ed93d45"
        );
    }

    #[test]
    fn depth_counts_objects_and_arrays() {
        assert_eq!(depth(&json!({ "a": 1 })), 1);
        assert_eq!(depth(&json!({ "a": { "b": 1 } })), 2);
        assert_eq!(depth(&json!({ "a": [1] })), 2);
        assert_eq!(depth(&json!({ "a": { "b": { "c": 1 } } })), 3);
    }

    #[test]
    fn ids_are_uuid_shaped() {
        let mut rng = XorShift64::new(1);
        let id = uuid_like(&mut rng);
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_ne!(id, uuid_like(&mut rng));
    }

    #[test]
    fn recruiter_sees_plain_text_only() {
        let outcome = |status, ct: Option<&str>, body: &'static str| TriggerOutcome {
            partner_result_id: "1".into(),
            event_id: "e".into(),
            status,
            content_type: ct.map(str::to_owned),
            body: Bytes::from_static(body.as_bytes()),
            error: None,
        };
        assert_eq!(outcome(Some(200), None, "ok").shown_to_recruiter(), None);
        assert_eq!(
            outcome(Some(422), Some("text/plain; charset=utf-8"), "No last name").shown_to_recruiter().as_deref(),
            Some("No last name")
        );
        assert_eq!(
            outcome(Some(422), Some("application/json"), "{}").shown_to_recruiter().as_deref(),
            Some("The partner answered HTTP 422.")
        );
        assert!(outcome(None, None, "").shown_to_recruiter().is_some());
    }
}
