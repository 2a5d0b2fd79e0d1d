//! A local Teamtailor, as Teamtailor's partner documentation describes it
//! (repository `Teamtailor/tt-partner-docs`, `source/includes/partners/`:
//! "Webhook config", "Webhooks", "Webhook signatures", "Partner Results").
//! It is an oracle: it is written from those documents, never from the
//! connector's code, and refuses whatever the documents do not allow.
//!
//! Served: `PUT /partner/v1/partner-results/{id}`, the `update-url` a partner
//! writes progress and results to, behind `Authorization: Token <partner API
//! key>`, `X-Api-Version: 20180828` and `Content-Type:
//! application/vnd.api+json`. Bodies are JSON:API documents, validated
//! strictly against the documented attributes; refusals are JSON:API error
//! documents. Every accepted write is recorded per partner result, so a test
//! can assert the status history (`sending -> sent -> completed`) and the
//! exact attributes.
//!
//! It also plays the ATS. Setting up a trigger, it fetches the partner's
//! configuration (`GET <partner>/config?job_id=&stage_id=&user_id=` with the
//! customer's provider key as a bearer) and builds the trigger's dialog from
//! the documented answer ([`TeamtailorSim::fetch_config`], [`TriggerDialog`]):
//! selects with `options` or `optgroups`, and `error` fields, which the
//! dialog shows instead of letting a trigger be saved. The recruiter's choices
//! become the trigger's `webhook-data` ([`TriggerDialog::choose`]). When a
//! candidate reaches the stage, the simulator POSTs the documented partner
//! event (integer candidate and job ids, `resume` as `{file-name, url}`, the
//! company as `{uuid, name, url, logotype}`) with the provider key as a
//! bearer and, when a secret is configured, `Teamtailor-Signature:
//! t=<unix>,v1=<hex>` (HMAC-SHA256 of `"<t>.<partner-event id>"`), computed
//! here with `hmac`, `sha2` and `hex` directly. Teamtailor does not retry a
//! failed trigger; it shows the recruiter the plain-text body of a >= 400
//! answer ([`TriggerOutcome::shown_to_recruiter`]).
//!
//! Where the documentation is silent, the item's doc comment or a
//! `// tt-partner-docs is silent on …` comment says what is assumed.

use crate::assessio::{SimClock, http_url};
use crate::common::{WebhookAnswer, hmac_sha256, is_2xx, lock, uuid_shaped};
use crate::delivery::{self, Event, Outbox, Retry};
use crate::faults::{Faults, XorShift64};
use crate::http::{Handler, HttpClient, Server, SimRequest, SimResponse};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
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
/// How many characters of `summary` Teamtailor shows in the candidate modal
/// ("Partner Results": the field "does not have character limit"; the rest
/// is shown under "view details"). Not a limit: longer summaries are taken.
pub const MAX_SUMMARY: usize = 150;
/// How deeply `details` may nest (the object itself is the first level).
pub const MAX_DETAILS_DEPTH: usize = 2;
/// Where partner results live; the id follows.
pub const PARTNER_RESULTS_PATH: &str = "/partner/v1/partner-results/";
/// The connector's partner configuration endpoint, under the gateway's URL.
pub const CONFIG_PATH: &str = "/teamtailor/config";
/// The field types "Webhook config" lists as supported.
pub const FIELD_TYPES: [&str; 23] = [
    "checkbox",
    "color",
    "date",
    "datetime",
    "datetime-local",
    "email",
    "file",
    "infobox",
    "error",
    "hidden",
    "month",
    "number",
    "password",
    "radio",
    "range",
    "reset",
    "search",
    "select",
    "multiselect",
    "tel",
    "text",
    "url",
    "week",
];
/// How old [`TriggerSignature::Expired`] makes a signature: far past the
/// 300 s tolerance webhook receivers allow.
pub const EXPIRED_BY_SECONDS: i64 = 3600;

/// One Teamtailor customer (company) that has activated the partner
/// integration with a provider key. Teamtailor's company object, as the
/// partner event carries it, is `{uuid, name, url, logotype}`: it has no
/// other id.
#[derive(Clone, PartialEq, Eq)]
pub struct TeamtailorCustomer {
    /// The company's `uuid`, sent as `company.uuid` in every trigger.
    pub uuid: String,
    /// `company.name`.
    pub name: String,
    /// `company.url`, the career site.
    pub url: String,
    /// `company.logotype`, a URL to the logo.
    pub logotype: String,
    /// The provider key, sent as `Authorization: Bearer <provider key>`.
    pub provider_key: String,
}

/// The provider key never reaches a log through `{:?}`.
impl fmt::Debug for TeamtailorCustomer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamtailorCustomer")
            .field("uuid", &self.uuid)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("logotype", &self.logotype)
            .field("provider_key", &"<redacted>")
            .finish()
    }
}

impl TeamtailorCustomer {
    /// A customer named `Company <uuid>`, with a career site and a logo.
    pub fn new(uuid: &str, provider_key: &str) -> Self {
        Self {
            uuid: uuid.to_owned(),
            name: format!("Company {uuid}"),
            url: format!("https://career.teamtailor.example/{uuid}"),
            logotype: format!("https://images.teamtailor.example/{uuid}/logo.png"),
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
    /// given as `(company uuid, provider key)`; no webhook URL yet, a 2 s
    /// timeout and the system clock.
    pub fn new(api_key: &str, signature_secret: Option<&str>, customers: &[(&str, &str)]) -> Self {
        Self {
            api_key: api_key.to_owned(),
            signature_secret: signature_secret.map(str::to_owned),
            customers: customers.iter().map(|(uuid, key)| TeamtailorCustomer::new(uuid, key)).collect(),
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
    /// Teamtailor's candidate id: an integer in the documented event.
    pub id: u64,
    /// May be missing in Teamtailor (seed 000: Assessio then refuses).
    pub first_name: Option<String>,
    /// May be missing in Teamtailor.
    pub last_name: Option<String>,
    /// Always present.
    pub email: String,
    /// Personal data the connector must not forward.
    pub phone: Option<String>,
    /// The résumé's URL, sent as `resume: {file-name, url}`: personal data
    /// the connector must not forward.
    pub resume_url: Option<String>,
}

/// The job of a trigger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerJob {
    /// Teamtailor's job id: an integer in the documented event.
    pub id: u64,
    /// The job title.
    pub title: String,
}

/// The recruiter's choices in the trigger's dialog, as Teamtailor sends them
/// in `webhook-data`: the field's id (with `_` turned into `-`, as "Webhook
/// config", Serialization, says) → the chosen option's id.
pub type WebhookData = BTreeMap<String, String>;

/// What a test triggers, as if a recruiter had set up the partner's trigger
/// on a stage (choosing in its dialog) and moved a candidate into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTrigger {
    /// A configured customer's company `uuid`.
    pub company_uuid: String,
    /// Who is assessed.
    pub candidate: TriggerCandidate,
    /// For which job.
    pub job: TriggerJob,
    /// The dialog's choices; [`TriggerDialog::choose`] makes them from the
    /// partner's own configuration.
    pub webhook_data: WebhookData,
    /// The partner event's id; `None` generates one. Set it to sign a
    /// known-answer vector end to end.
    pub event_id: Option<String>,
}

impl NewTrigger {
    /// A complete, plausible trigger: names, phone, résumé and a job, with
    /// `lens` and `locale` chosen (the connector's dialog field ids; a test
    /// that wants them checked against the dialog uses [`Self::with_choices`]).
    pub fn example(company_uuid: &str, lens: &str, locale: &str, email: &str) -> Self {
        let choices = [("lens".to_owned(), lens.to_owned()), ("locale".to_owned(), locale.to_owned())];
        Self {
            company_uuid: company_uuid.to_owned(),
            candidate: TriggerCandidate {
                id: 991,
                first_name: Some("Ada".into()),
                last_name: Some("Lovelace".into()),
                email: email.to_owned(),
                phone: Some("+46 70 123 45 67".into()),
                resume_url: Some("https://teamtailor.example/resumes/991.pdf".into()),
            },
            job: TriggerJob { id: 4711, title: "Backend Developer".into() },
            webhook_data: choices.into_iter().collect(),
            event_id: None,
        }
    }

    /// This trigger with these dialog choices instead.
    #[must_use]
    pub fn with_choices(mut self, webhook_data: WebhookData) -> Self {
        self.webhook_data = webhook_data;
        self
    }

    /// This trigger with one choice set (`field` as the dialog's field id).
    #[must_use]
    pub fn with_choice(mut self, field: &str, value: &str) -> Self {
        self.webhook_data.insert(field.replace('_', "-"), value.to_owned());
        self
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
    /// The company's `uuid`.
    pub company_uuid: String,
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
    /// The option's `id` ("may be numbers or strings"), as text: what
    /// `webhook-data` carries when it is chosen.
    pub id: String,
    /// Shown in the dialog.
    pub label: String,
    /// The `optgroups` label it sits under, if any.
    pub group: Option<String>,
}

/// One field of the trigger's dialog, as "Webhook config" documents fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogField {
    /// A `select` (or `multiselect`), from `options` or `optgroups`.
    Select {
        /// The field's `id`, sent back in `webhook-data` (with `_` → `-`).
        id: String,
        /// Shown above the field.
        label: String,
        /// Shown before a choice is made.
        placeholder: Option<String>,
        /// Every option, in order, groups flattened.
        options: Vec<ConfigOption>,
    },
    /// An `error` field: the dialog shows `message` as a red alert.
    Error {
        /// What the recruiter reads.
        message: String,
    },
    /// Any other documented type (`text`, `number`, `infobox`, …): rendered,
    /// not interpreted by this simulator.
    Other {
        /// The field's `id`, if it has one.
        id: Option<String>,
        /// The documented type.
        kind: String,
    },
}

/// The trigger's dialog, built from the partner's configuration answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerDialog {
    /// The fields, in order.
    pub fields: Vec<DialogField>,
}

/// Why the recruiter could not save the trigger with these choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogError {
    /// The dialog shows an `error` field: no trigger can be set up.
    Blocked(String),
    /// No select with this id.
    NoSuchField(String),
    /// The select offers no option with this id.
    NoSuchOption {
        /// The field.
        field: String,
        /// The option id asked for.
        option: String,
    },
}

impl TriggerDialog {
    /// The message of the first `error` field: what the dialog shows instead
    /// of a usable form.
    pub fn error(&self) -> Option<&str> {
        self.fields.iter().find_map(|f| match f {
            DialogField::Error { message } => Some(message.as_str()),
            _ => None,
        })
    }

    /// The options of the select with this id (empty when there is none).
    pub fn options(&self, field: &str) -> &[ConfigOption] {
        self.fields
            .iter()
            .find_map(|f| match f {
                DialogField::Select { id, options, .. } if id == field => Some(options.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }

    /// The select fields' ids, in order.
    pub fn select_ids(&self) -> Vec<&str> {
        self.fields
            .iter()
            .filter_map(|f| match f {
                DialogField::Select { id, .. } => Some(id.as_str()),
                _ => None,
            })
            .collect()
    }

    /// What saving the trigger with these `(field id, option id)` choices
    /// sends as `webhook-data`: each field's id with `_` turned into `-`
    /// ("Webhook config", Serialization), each option's id as a string (the
    /// documented trigger shows choices as strings, `"test": "1"`, though its
    /// config shows numeric option ids). An `error` field blocks the dialog.
    // tt-partner-docs is silent on whether every select must be answered; we
    // send only what was chosen.
    pub fn choose(&self, choices: &[(&str, &str)]) -> Result<WebhookData, DialogError> {
        if let Some(message) = self.error() {
            return Err(DialogError::Blocked(message.to_owned()));
        }
        let mut data = WebhookData::new();
        for (field, option) in choices {
            let Some(DialogField::Select { options, .. }) =
                self.fields.iter().find(|f| matches!(f, DialogField::Select { id, .. } if id == field))
            else {
                return Err(DialogError::NoSuchField((*field).to_owned()));
            };
            if !options.iter().any(|o| o.id == *option) {
                return Err(DialogError::NoSuchOption { field: (*field).to_owned(), option: (*option).to_owned() });
            }
            data.insert(field.replace('_', "-"), (*option).to_owned());
        }
        Ok(data)
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

impl Event for PartnerResult {
    fn id(&self) -> &str {
        &self.id
    }
    fn event_id(&self) -> &str {
        &self.event_id
    }
}

#[derive(Debug)]
struct State {
    results: Outbox<PartnerResult>,
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
            client: HttpClient::new(config.webhook_timeout).for_simulator(crate::http::Simulator::Teamtailor),
            base_url: OnceLock::new(),
            state: Mutex::new(State {
                results: Outbox::default(),
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
    /// (see [`crate::http::SCHEMA_ROUTES`]), oldest first.
    pub fn schema_refusals(&self) -> Vec<crate::http::SchemaRefusal> {
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
        if !self.shared.customers.iter().any(|c| c.uuid == trigger.company_uuid) {
            return Err(TeamtailorSimError::UnknownCompany(trigger.company_uuid));
        }
        let mut state = lock(&self.shared.state);
        // The documented partner-result ids are UUIDs, as strings.
        let id = loop {
            let candidate = uuid_like(&mut state.rng);
            if !state.results.contains(&candidate) {
                break candidate;
            }
        };
        let event_id = match &trigger.event_id {
            Some(given) => given.clone(),
            None => uuid_like(&mut state.rng),
        };
        state.results.create(PartnerResult {
            id: id.clone(),
            event_id,
            company_uuid: trigger.company_uuid.clone(),
            update_url: self.update_url(&id),
            status: PartnerStatus::Sending,
            status_history: vec![PartnerStatus::Sending],
            attributes: None,
            writes: Vec::new(),
            trigger,
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
        let (url, event_id, company_uuid, body) = {
            let mut state = lock(&self.shared.state);
            let url = state.webhook_url.clone().ok_or(TeamtailorSimError::NoWebhookUrl)?;
            let unknown = || TeamtailorSimError::UnknownPartnerResult(partner_result_id.to_owned());
            let company_uuid = state.results.get(partner_result_id).ok_or_else(unknown)?.company_uuid.clone();
            let customers = &self.shared.customers;
            let (event_id, body) =
                state.results.body(partner_result_id, |r| trigger_body(r, customers)).ok_or_else(unknown)?;
            (url, event_id, company_uuid, body)
        };
        let provider_key =
            self.shared.customers.iter().find(|c| c.uuid == company_uuid).map(|c| c.provider_key.clone());
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
        let record = |_, answer: &WebhookAnswer| {
            lock(&self.shared.state).deliveries.push(TriggerDelivery {
                partner_result_id: partner_result_id.to_owned(),
                event_id: event_id.clone(),
                options: options.clone(),
                authorization: authorization.clone(),
                signature_header: signature_header.clone(),
                body: body.clone(),
                status: answer.status,
                response_body: answer.body.clone(),
                error: answer.error.clone(),
            });
        };
        let (WebhookAnswer { status, content_type, body: response_body, error }, _) =
            delivery::send(&self.shared.client, &url, &extra, &body, Retry::none(), record).await;
        Ok(TriggerOutcome {
            partner_result_id: partner_result_id.to_owned(),
            event_id,
            status,
            content_type,
            body: response_body,
            error,
        })
    }

    /// Builds the trigger's dialog as Teamtailor does when a recruiter sets
    /// up a trigger on a job's stage ("Webhook config"): `GET
    /// <gateway_url>/teamtailor/config?job_id=…&stage_id=…&user_id=…` with
    /// `Authorization: Bearer <provider key>`, then [`parse_partner_config`].
    /// A dialog with an `error` field is still a dialog (it shows the error):
    /// see [`TriggerDialog::error`]. An answer that is not the documented
    /// one is [`TeamtailorSimError::BadConfig`].
    // tt-partner-docs is silent on the answer's status and media type; it
    // documents one JSON body (and configuration problems as an `error`
    // field in it), so we take only a 200 with `application/json`.
    pub async fn fetch_config(
        &self,
        gateway_url: &str,
        provider_key: &str,
    ) -> Result<TriggerDialog, TeamtailorSimError> {
        let url = format!("{}{CONFIG_PATH}?job_id=4711&stage_id=3&user_id=31", gateway_url.trim_end_matches('/'));
        let bearer = format!("Bearer {provider_key}");
        let headers = [("Authorization", bearer.as_str())];
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
        if mime != "application/json" {
            return Err(bad(format!("Content-Type {content_type:?} is not application/json")));
        }
        parse_partner_config(&response.body).map_err(bad)
    }

    /// One partner result.
    pub fn partner_result(&self, id: &str) -> Option<PartnerResult> {
        lock(&self.shared.state).results.get(id).cloned()
    }

    /// Every partner result, in order of creation.
    pub fn partner_results(&self) -> Vec<PartnerResult> {
        lock(&self.shared.state).results.records().cloned().collect()
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

/// The partner event, as "Webhooks" documents it: the event id, the
/// dialog's choices, the partner result, the candidate (integer ids, the
/// résumé as `{file-name, url}`, phone; personal data the connector must
/// drop) with the job, and the company `{uuid, name, url, logotype}`.
// tt-partner-docs is silent on which candidate members may be null; a name
// the ATS does not have is sent as `null`, and members without a value are
// left out rather than sent as `null`.
fn trigger_body(record: &PartnerResult, customers: &[TeamtailorCustomer]) -> Bytes {
    let t = &record.trigger;
    let c = &t.candidate;
    let mut candidate = json!({
        "id": c.id,
        "first-name": c.first_name,
        "last-name": c.last_name,
        "email": c.email,
    });
    if let Some(phone) = &c.phone {
        candidate["phone"] = json!(phone);
    }
    if let Some(url) = &c.resume_url {
        let file_name = url.rsplit('/').next().unwrap_or("resume.pdf");
        candidate["resume"] = json!({ "file-name": file_name, "url": url });
    }
    candidate["job"] =
        json!({ "id": t.job.id, "title": t.job.title, "stage-id": 3, "stage": "Assessment", "trigger-id": 1 });
    let company = customers.iter().find(|x| x.uuid == record.company_uuid).map_or_else(
        || json!({ "uuid": record.company_uuid }),
        |x| json!({ "uuid": x.uuid, "name": x.name, "url": x.url, "logotype": x.logotype }),
    );
    let body = json!({
        "partner-event": {
            "id": record.event_id,
            "webhook-data": t.webhook_data,
            "partner-result": { "id": record.id, "status": PartnerStatus::Sending.as_str(), "update-url": record.update_url },
            "candidate": candidate,
        },
        "company": company,
    });
    Bytes::from(body.to_string())
}

/// The members a field object may have: those "Webhook config" lists
/// (`id`, `label`, `placeholder`, `type`, `optgroups`, `refetch`, and
/// `options` for a select), those its examples show (`message` and
/// `required` for `error`, `content` and `icon` for `infobox`), and the HTML
/// attributes it names (`disabled`, `step`, `min`, `max`).
// tt-partner-docs says fields "follow the HTML form standard" without listing
// every attribute; we accept those it names and refuse the rest, so drift shows.
const FIELD_MEMBERS: [&str; 15] = [
    "id",
    "label",
    "placeholder",
    "type",
    "options",
    "optgroups",
    "refetch",
    "message",
    "required",
    "content",
    "icon",
    "disabled",
    "step",
    "min",
    "max",
];

/// Reads the partner's configuration answer into the trigger's dialog, as
/// "Webhook config" documents it:
///
/// ```json
/// {"config":{"fields":[{"id","label","placeholder","type":"select",
///   "options":[{"id":1,"label":"…"}]  or  "optgroups":[{"label","options":[…]}]}],
///  "assessment-criteria":[{"id","label"}]}}
/// ```
///
/// Strict, so drift shows: no member the document does not name; a field's
/// `type` one of [`FIELD_TYPES`]; a select with `options` or `optgroups`
/// (not both), each option `{id: string or number, label: string}`, ids
/// distinct within the select; an `error` field with a non-empty `message`;
/// every other field with an `id`; field ids distinct.
// tt-partner-docs is silent on an empty select and on `required`'s type; we
// refuse an empty select (the recruiter could choose nothing) and take
// `required` as the example writes it (`"true"`) or as a boolean.
pub fn parse_partner_config(body: &[u8]) -> Result<TriggerDialog, String> {
    let top: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let Value::Object(top) = top else { return Err("the body must be a JSON object".into()) };
    only_keys(&top, &["config"], "")?;
    let config = object_member(&top, "config", "")?;
    only_keys(config, &["fields", "assessment-criteria"], "config.")?;
    let Some(Value::Array(items)) = config.get("fields") else {
        return Err("config.fields: required, an array".into());
    };
    if let Some(criteria) = config.get("assessment-criteria") {
        let Value::Array(criteria) = criteria else { return Err("config.assessment-criteria: an array".into()) };
        for (i, c) in criteria.iter().enumerate() {
            let path = format!("config.assessment-criteria[{i}].");
            let Value::Object(c) = c else { return Err(format!("{path} must be an object")) };
            only_keys(c, &["id", "label"], &path)?;
            text_member(c, "id", &path)?;
            text_member(c, "label", &path)?;
        }
    }
    let mut fields = Vec::with_capacity(items.len());
    let mut ids = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("config.fields[{i}].");
        let Value::Object(f) = item else { return Err(format!("config.fields[{i}]: must be an object")) };
        only_keys(f, &FIELD_MEMBERS, &path)?;
        let kind = text_member(f, "type", &path)?;
        if !FIELD_TYPES.contains(&kind.as_str()) {
            return Err(format!("{path}type: {kind:?} is not a documented field type"));
        }
        match f.get("required") {
            None | Some(Value::Bool(_)) => {}
            Some(Value::String(r)) if r == "true" || r == "false" => {}
            Some(other) => return Err(format!("{path}required: {other} is neither a boolean nor \"true\"/\"false\"")),
        }
        if kind == "error" {
            fields.push(DialogField::Error { message: text_member(f, "message", &path)? });
            continue;
        }
        let id = match (kind.as_str(), f.get("id")) {
            ("infobox", None) => None,
            _ => Some(text_member(f, "id", &path)?),
        };
        if let Some(id) = &id
            && !ids.insert(id.clone())
        {
            return Err(format!("{path}id: {id:?} appears more than once"));
        }
        if kind != "select" && kind != "multiselect" {
            fields.push(DialogField::Other { id, kind });
            continue;
        }
        let options = select_options(f, &path)?;
        let placeholder = match f.get("placeholder") {
            None => None,
            Some(_) => Some(text_member(f, "placeholder", &path)?),
        };
        fields.push(DialogField::Select {
            id: id.unwrap_or_default(),
            label: text_member(f, "label", &path)?,
            placeholder,
            options,
        });
    }
    Ok(TriggerDialog { fields })
}

/// A select's options, from `options` or from `optgroups`' options.
fn select_options(f: &Map<String, Value>, path: &str) -> Result<Vec<ConfigOption>, String> {
    let mut out = Vec::new();
    let mut read = |raw: &Value, opath: &str, group: Option<&str>| -> Result<(), String> {
        let Value::Array(raw) = raw else { return Err(format!("{opath}: must be an array")) };
        for (j, o) in raw.iter().enumerate() {
            let at = format!("{opath}[{j}].");
            let Value::Object(o) = o else { return Err(format!("{opath}[{j}]: must be an object")) };
            only_keys(o, &["id", "label"], &at)?;
            let id = match o.get("id") {
                Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
                Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                Some(other) => return Err(format!("{at}id: {other} is neither a whole number nor a string")),
                None => return Err(format!("{at}id: required")),
            };
            if out.iter().any(|x: &ConfigOption| x.id == id) {
                return Err(format!("{at}id: {id:?} appears more than once"));
            }
            out.push(ConfigOption { id, label: text_member(o, "label", &at)?, group: group.map(str::to_owned) });
        }
        Ok(())
    };
    match (f.get("options"), f.get("optgroups")) {
        (Some(options), None) => read(options, &format!("{path}options"), None)?,
        (None, Some(Value::Array(groups))) => {
            for (g, group) in groups.iter().enumerate() {
                let gpath = format!("{path}optgroups[{g}].");
                let Value::Object(group) = group else { return Err(format!("{path}optgroups[{g}]: an object")) };
                only_keys(group, &["label", "options"], &gpath)?;
                let label = text_member(group, "label", &gpath)?;
                let options = group.get("options").ok_or_else(|| format!("{gpath}options: required"))?;
                read(options, &format!("{gpath}options"), Some(&label))?;
            }
        }
        (None, Some(_)) => return Err(format!("{path}optgroups: must be an array")),
        (Some(_), Some(_)) => return Err(format!("{path}options and optgroups: one or the other, not both")),
        (None, None) => return Err(format!("{path}options: a select needs options or optgroups")),
    }
    if out.is_empty() {
        return Err(format!("{path}options: must not be empty (the dialog would offer nothing)"));
    }
    Ok(out)
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
    fn simulator(&self) -> Option<crate::http::Simulator> {
        Some(crate::http::Simulator::Teamtailor)
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
        let known = lock(&self.0.state).results.contains(id);
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
        let result = state.results.get_mut(id).ok_or_else(|| {
            TtError::new(StatusCode::NOT_FOUND, "Record not found", format!("The partner result {id:?} is gone."))
        })?;
        result.status = status;
        result.status_history.push(status);
        result.attributes = Some(attributes.clone());
        result.writes.push(body);
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
    // "Update a result": every attribute but `candidate-id`, which "should
    // not be sent in update requests".
    const KNOWN: [&str; 9] = [
        "status",
        "summary",
        "url",
        "assessment",
        "details",
        "attachments",
        "job-id",
        "actions",
        "assessment-criteria",
    ];
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
    if present("summary").is_some_and(|v| !v.is_string()) {
        return Err(invalid("summary", "summary must be a string."));
    }
    if let Some(v) = present("url")
        && !v.as_str().is_some_and(http_url)
    {
        return Err(invalid("url", "url must be an http(s) URL."));
    }
    if let Some(v) = present("assessment") {
        let Some(a) = v.as_object() else { return Err(invalid("assessment", "assessment must be an object.")) };
        if let Some(k) = a.keys().find(|k| !["score", "grade", "duration"].contains(&k.as_str())) {
            return Err(invalid("assessment", format!("assessment.{k} is not allowed; only score, grade, duration.")));
        }
        // tt-partner-docs: `score` "must be between 0 and 100" and optional;
        // it is silent on fractions, which we refuse.
        match a.get("score") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.as_u64().is_some_and(|s| s <= 100) => {}
            Some(other) => {
                return Err(invalid(
                    "assessment",
                    format!("assessment.score must be a whole number 0..100, not {other}."),
                ));
            }
        }
        match a.get("grade") {
            None | Some(Value::Null) => {}
            Some(Value::String(g))
                if ["top_fit", "might_be_fit", "might_not_be_fit", "unknown"].contains(&g.as_str()) => {}
            Some(other) => return Err(invalid("assessment", format!("assessment.grade {other} is not documented."))),
        }
        match a.get("duration") {
            None | Some(Value::Number(_) | Value::String(_)) => {}
            Some(other) => return Err(invalid("assessment", format!("assessment.duration {other} is not seconds."))),
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
