//! StackOne's unified ATS assessments API, as StackOne documents it
//! (StackOneHQ/hub-docs: `snippets/common-guides/webhooks.mdx`,
//! `ats/use-cases/assessment-flow.mdx`, `ats/api-reference/ats.json`,
//! `integration-guides/ats/teamtailor-partner-api.mdx`; `docs/vendor-apis.md`
//! has the facts and what the documents leave open).
//!
//! An order arrives as the unified event `ats_assessments.created`: an
//! envelope `{project_id, account_id, event, event_date, record_type,
//! record_id, record_remote_id?, sent_at, raw_event?, event_data?}` with no
//! order body of its own. The order id is `record_id`; the linked account
//! (`account_id`) names the customer. StackOne says to read the details by id
//! through the unified API: `event_data` (native events only) holds what
//! StackOne could map, and the candidate, application and job are fetched
//! with `GET /unified/ats/{candidates,applications,jobs}/{id}`. This module
//! reads the envelope into an [`OrderEvent`], says which look-up is still
//! needed ([`next_lookup`]), builds its request and folds the answer in
//! ([`merge_lookup`]), then turns the event into a [`HubOrder`]
//! ([`to_hub_order`]): the host only sends.
//!
//! StackOne ignores the body of a webhook answer ("200 = processed, body
//! ignored"), so a refused order is reported to the recruiter as a result:
//! `PATCH .../result` with `result.value` `cancelled` and the reason as the
//! summary ([`rejection_request`]). A provider may also serve a packages list
//! endpoint that StackOne POSTs `{job_id, account_id, provider}` to, signed
//! like webhooks; [`packages_body`] answers it.
//!
//! Requests to StackOne carry `Authorization: Basic base64(api_key + ":")`
//! and `x-account-id`.

// `StackOne` is the product's name, not code: doc_markdown would want it in backticks.
#![allow(clippy::doc_markdown)]

use super::HubOrder;
pub use super::WriteOutcome;
use super::percent_encode;
use crate::error::{InputError, indexed};
use crate::http::{Header, HttpRequest, Method};
use crate::json::{self, Json, Object};
use crate::lenses::Catalog;
use crate::order::Candidate;
use crate::response::Rejection;
use crate::result::AssessmentResult;
use crate::signature::SignatureError;
use crate::{time, validate};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The event of a new order. `ats_assessments.updated` and `.deleted` are
/// not orders.
pub const ORDER_CREATED: &str = "ats_assessments.created";
/// The webhook signature header (webhooks.mdx): HMAC-SHA256 of the raw body
/// under the webhook's signing secret, base64url without padding.
pub const SIGNATURE_HEADER: &str = "x-stackone-signature";
/// The label StackOne shows beside the score.
pub const SCORE_LABEL: &str = "Assessio score";
/// A signature header longer than this is refused before any work.
const MAX_SIGNATURE_HEADER: usize = 4096;
/// Longest summary written back; StackOne documents no limit, ATSs show little.
const MAX_SUMMARY: usize = 300;

/// Where and as whom to call StackOne for one customer's linked account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct StackOneApi {
    /// `https://api.stackone.com`, or a simulator.
    pub base_url: String,
    /// Sent as `Authorization: Basic base64(api_key + ":")`.
    pub api_key: String,
    /// Sent as `x-account-id`: the customer's linked ATS account.
    pub account_id: String,
}

impl core::fmt::Debug for StackOneApi {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StackOneApi")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("account_id", &self.account_id)
            .finish()
    }
}

impl StackOneApi {
    fn request(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<HttpRequest, InputError> {
        let key = validate::header_token("stackone.api-key", &self.api_key)?;
        let account = validate::header_token("stackone.account-id", &self.account_id)?;
        let basic = STANDARD.encode(format!("{key}:"));
        let hub_headers =
            [Header::new("Authorization", format!("Basic {basic}")), Header::new("x-account-id", account)];
        super::api_request(method, ("stackone.base-url", &self.base_url), path, hub_headers, body)
    }
}

/// Checks `x-stackone-signature` over the raw body, before anything parses
/// it: base64url HMAC-SHA256 (padding tolerated), compared in constant time
/// on the raw MAC bytes. `secrets` are every secret in use: during a
/// rotation StackOne signs with the new one while the old is still valid, so
/// any match wins. A header may repeat or carry several signatures separated
/// by commas or spaces; those that do not decode are ignored, but a header
/// with none that decodes is `Malformed`. No timestamp is signed, so replays
/// are caught by idempotency, not here.
pub fn verify_webhook(headers: &[(&str, &str)], body: &[u8], secrets: &[&str]) -> Result<(), SignatureError> {
    let secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let values: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case(SIGNATURE_HEADER))
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(SignatureError::Missing);
    }
    if values.iter().map(|v| v.len()).sum::<usize>() > MAX_SIGNATURE_HEADER {
        return Err(SignatureError::Malformed("longer than 4 KiB".into()));
    }
    let expected: Vec<[u8; 32]> = secrets
        .iter()
        .map(|secret| {
            let mut mac =
                crate::never_fails(<Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()), "HMAC takes any key");
            mac.update(body);
            mac.finalize().into_bytes().into()
        })
        .collect();
    let mut matched = subtle::Choice::from(0);
    let mut readable = false;
    for candidate in values.iter().flat_map(|v| v.split([',', ' '])).filter(|s| !s.is_empty()) {
        let Ok(raw) = URL_SAFE_NO_PAD.decode(candidate.trim_end_matches('=')) else { continue };
        if raw.len() != 32 {
            continue;
        }
        readable = true;
        for mac in &expected {
            matched |= raw.ct_eq(mac);
        }
    }
    if !readable {
        return Err(SignatureError::Malformed("no signature is a base64url HMAC-SHA256".into()));
    }
    if bool::from(matched) { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// Which unified resource a look-up reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LookupKind {
    /// `GET /unified/ats/candidates/{id}`: names and email.
    Candidate,
    /// `GET /unified/ats/applications/{id}`: the candidate and job ids.
    Application,
    /// `GET /unified/ats/jobs/{id}`: title and hiring team.
    Job,
}

impl LookupKind {
    fn path(self) -> &'static str {
        match self {
            Self::Candidate => "/unified/ats/candidates/",
            Self::Application => "/unified/ats/applications/",
            Self::Job => "/unified/ats/jobs/",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Candidate => "candidate",
            Self::Application => "application",
            Self::Job => "job",
        }
    }
}

/// A StackOne webhook event, read, with what is known so far of the order it
/// announces. Every order field is optional: StackOne sends `event_data` only
/// with native events, and maps only what the ATS gave.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OrderEvent {
    /// `event`: `ats_assessments.created` for a new order.
    pub event: String,
    /// `account_id`: the linked account, which names the customer.
    pub account_id: String,
    /// `record_id`: for assessment events, the order's id (a number is
    /// read as its decimal text).
    pub record_id: String,
    /// The package chosen (`event_data.package.id`).
    pub package_id: Option<String>,
    /// The candidate's unified id, for a look-up.
    pub candidate_id: Option<String>,
    /// The application's unified id, for a look-up.
    pub application_id: Option<String>,
    /// The job's unified id: orders for one job share one Assessio recruitment.
    pub job_id: Option<String>,
    /// The job's title.
    pub job_title: Option<String>,
    /// The candidate's email and names as known so far (empty when not).
    pub candidate: Candidate,
    /// The hiring team's and the requester's emails.
    pub collaborator_emails: Vec<String>,
    /// The look-ups already made, so none is made twice.
    pub looked_up: Vec<LookupKind>,
}

/// An optional id: a non-empty string, or a number as its decimal text.
fn opt_id(obj: &Object, key: &str, path: &str) -> Result<Option<String>, InputError> {
    match obj.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Json::String(s)) => Ok(Some(validate::plain_text(path, s.trim())?.into())),
        Some(Json::Number(n)) => Ok(Some(format!("{n}"))),
        Some(other) => Err(InputError::invalid(path, format!("must be a string or a number, not {}", other.kind()))),
    }
}

/// An optional object member; `null` is absent.
fn opt_object<'a, 'b>(obj: &'a Object<'b>, key: &str, path: &str) -> Result<Option<&'a Object<'b>>, InputError> {
    match obj.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(o)) => Ok(Some(o)),
        Some(other) => Err(InputError::invalid(path, format!("must be an object, not {}", other.kind()))),
    }
}

/// An optional non-empty string, trimmed.
fn opt_text(obj: &Object, key: &str, path: &str) -> Result<Option<String>, InputError> {
    let v = json::nullable_str(obj, key, path)?;
    Ok((!v.trim().is_empty()).then(|| String::from(v.trim())))
}

/// `obj.<key>.id`, else the flat `obj.<key>_id` (assessment-flow.mdx speaks
/// of `application_id` and `candidate_id` references in the payload; the
/// order model nests them as `application.id`, `candidate.id`).
fn nested_or_flat_id(obj: &Object, key: &str, prefix: &str) -> Result<Option<String>, InputError> {
    if let Some(nested) = opt_object(obj, key, &format!("{prefix}{key}"))?
        && let Some(id) = opt_id(nested, "id", &format!("{prefix}{key}.id"))?
    {
        return Ok(Some(id));
    }
    opt_id(obj, &format!("{key}_id"), &format!("{prefix}{key}_id"))
}

/// The candidate's email: the first non-empty entry of StackOne's
/// `emails: [{"type", "value"}]`, else a flat `email` (both are in the
/// unified candidate model). Empty when neither is there.
fn candidate_email(c: &Object, prefix: &str) -> Result<String, InputError> {
    let path = format!("{prefix}emails");
    match c.get("emails") {
        None | Some(Json::Null) => {}
        Some(Json::Array(list)) => {
            for (i, item) in list.iter().enumerate() {
                let value = match item {
                    Json::String(s) => String::from(&**s),
                    Json::Object(e) => json::nullable_str(e, "value", &format!("{}.value", indexed(&path, i)))?,
                    Json::Null => String::new(),
                    other => {
                        return Err(InputError::invalid(
                            indexed(&path, i),
                            format!("must be an object or a string, not {}", other.kind()),
                        ));
                    }
                };
                if !value.trim().is_empty() {
                    return Ok(String::from(value.trim()));
                }
            }
        }
        Some(other) => return Err(InputError::invalid(path, format!("must be an array, not {}", other.kind()))),
    }
    Ok(String::from(json::nullable_str(c, "email", &format!("{prefix}email"))?.trim()))
}

/// Fills the candidate fields still empty from a candidate object
/// (`first_name`, `last_name`, `emails`/`email`), never overwriting.
fn fill_candidate(into: &mut Candidate, c: &Object, prefix: &str) -> Result<(), InputError> {
    if into.email.trim().is_empty() {
        into.email = candidate_email(c, prefix)?;
    }
    if into.first_name.trim().is_empty() {
        into.first_name = json::nullable_str(c, "first_name", &format!("{prefix}first_name"))?;
    }
    if into.last_name.trim().is_empty() {
        into.last_name = json::nullable_str(c, "last_name", &format!("{prefix}last_name"))?;
    }
    Ok(())
}

/// Adds the emails of a hiring team list (`[{email, ...}]`), skipping members without one.
fn add_hiring_team(into: &mut Vec<String>, job: &Object, prefix: &str) -> Result<(), InputError> {
    let path = format!("{prefix}hiring_team");
    match job.get("hiring_team") {
        None | Some(Json::Null) => {}
        Some(Json::Array(team)) => {
            for (i, member) in team.iter().enumerate() {
                let Json::Object(m) = member else {
                    return Err(InputError::invalid(indexed(&path, i), "must be an object"));
                };
                let email = json::nullable_str(m, "email", &format!("{}.email", indexed(&path, i)))?;
                let email = email.trim();
                if !email.is_empty() && !into.iter().any(|e| e.eq_ignore_ascii_case(email)) {
                    into.push(String::from(email));
                }
            }
        }
        Some(other) => return Err(InputError::invalid(path, format!("must be an array, not {}", other.kind()))),
    }
    Ok(())
}

/// Reads a StackOne unified webhook body.
///
/// Required: `event`, `account_id` and `record_id` (webhooks.mdx, "Unified
/// resource event payload"). `event_data`, when StackOne sent it, is read as
/// StackOne's assessment order model (`package {id}`, `candidate {id,
/// first_name, last_name, emails}`, `application {id}`, `job {id, title,
/// hiring_team[{email}]}`, `requester {email}`), every part optional; flat
/// `candidate_id`, `application_id`, `job_id` and `package_id` are read too.
/// Everything else (`raw_event`, phone numbers, profile URLs, passthrough,
/// remote ids) is dropped here. Events of any type are read, so the caller
/// can acknowledge those that are not orders.
pub fn parse_event(body: &[u8]) -> Result<OrderEvent, InputError> {
    let top = json::parse_object("the StackOne webhook body", body)?;
    let event = String::from(json::req_str(&top, "event", "event")?.trim());
    let account_id =
        String::from(validate::plain_text("account_id", json::req_str(&top, "account_id", "account_id")?.trim())?);
    let record_id = opt_id(&top, "record_id", "record_id")?.ok_or_else(|| InputError::missing("record_id"))?;
    let mut e = OrderEvent { event, account_id, record_id, ..OrderEvent::default() };
    let Some(data) = opt_object(&top, "event_data", "event_data")? else {
        return Ok(e);
    };
    let p = "event_data.";
    e.package_id = nested_or_flat_id(data, "package", p)?;
    e.candidate_id = nested_or_flat_id(data, "candidate", p)?;
    e.application_id = nested_or_flat_id(data, "application", p)?;
    e.job_id = nested_or_flat_id(data, "job", p)?;
    if let Some(c) = opt_object(data, "candidate", "event_data.candidate")? {
        fill_candidate(&mut e.candidate, c, "event_data.candidate.")?;
    }
    if let Some(job) = opt_object(data, "job", "event_data.job")? {
        e.job_title = opt_text(job, "title", "event_data.job.title")?;
        add_hiring_team(&mut e.collaborator_emails, job, "event_data.job.")?;
    }
    if let Some(r) = opt_object(data, "requester", "event_data.requester")?
        && let Some(email) = opt_text(r, "email", "event_data.requester.email")?
        && !e.collaborator_emails.iter().any(|x| x.eq_ignore_ascii_case(&email))
    {
        e.collaborator_emails.push(email);
    }
    Ok(e)
}

impl OrderEvent {
    fn candidate_incomplete(&self) -> bool {
        let c = &self.candidate;
        c.email.trim().is_empty() || c.first_name.trim().is_empty() || c.last_name.trim().is_empty()
    }

    fn tried(&self, kind: LookupKind) -> bool {
        self.looked_up.contains(&kind)
    }
}

/// The next look-up the order still needs, with its id, or `None` when
/// nothing more can be learnt. In order: the application (it names the job
/// and the candidate) when either is unknown; the candidate while a name or
/// the email is missing; the job while its title is unknown. Each at most
/// once per event.
pub fn next_lookup(e: &OrderEvent) -> Option<(LookupKind, String)> {
    let needs_ids = e.job_id.is_none() || (e.candidate_id.is_none() && e.candidate_incomplete());
    if needs_ids
        && !e.tried(LookupKind::Application)
        && let Some(id) = &e.application_id
    {
        return Some((LookupKind::Application, id.clone()));
    }
    if e.candidate_incomplete()
        && !e.tried(LookupKind::Candidate)
        && let Some(id) = &e.candidate_id
    {
        return Some((LookupKind::Candidate, id.clone()));
    }
    if e.job_title.is_none()
        && !e.tried(LookupKind::Job)
        && let Some(id) = &e.job_id
    {
        return Some((LookupKind::Job, id.clone()));
    }
    None
}

/// The `GET` for a look-up [`next_lookup`] named.
pub fn lookup_request(api: &StackOneApi, kind: LookupKind, id: &str) -> Result<HttpRequest, InputError> {
    let id = validate::required_text("id", id)?;
    api.request(Method::Get, &format!("{}{}", kind.path(), percent_encode(id)), None)
}

/// What StackOne's answer to a look-up did to the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LookupOutcome {
    /// Read; the event now carries what the answer said (boxed: an event is
    /// far larger than a rejection).
    Merged(alloc::boxed::Box<OrderEvent>),
    /// 408, 429 or 5xx: ask again later.
    RetryLater(Rejection),
    /// Anything else that is not 2xx, or a 2xx that cannot be read: the
    /// order cannot be completed from StackOne.
    Failed(Rejection),
}

/// Folds StackOne's answer to a look-up into the event. The unified answers
/// are `{"data": {...}}` (`CandidateResult`, `ApplicationResult`,
/// `AtsJobResult`); only fields still unknown are filled, so what the event
/// itself said wins.
pub fn merge_lookup(event: &OrderEvent, kind: LookupKind, status: u16, body: &[u8]) -> LookupOutcome {
    if !(200..300).contains(&status) {
        let Rejection { message, .. } = error_rejection(status, body);
        let r = Rejection { status, message: format!("StackOne's {} look-up: {message}", kind.name()) };
        return if is_transient(status) { LookupOutcome::RetryLater(r) } else { LookupOutcome::Failed(r) };
    }
    let mut e = event.clone();
    e.looked_up.push(kind);
    match merge_data(&mut e, kind, body) {
        Ok(()) => LookupOutcome::Merged(alloc::boxed::Box::new(e)),
        Err(err) => LookupOutcome::Failed(Rejection {
            status,
            message: validate::clip(&format!("StackOne's {} answer could not be read: {err}", kind.name()), 300),
        }),
    }
}

fn merge_data(e: &mut OrderEvent, kind: LookupKind, body: &[u8]) -> Result<(), InputError> {
    let top = json::parse_object("the StackOne answer", body)?;
    let data = json::req_object(&top, "data", "data")?;
    match kind {
        LookupKind::Candidate => fill_candidate(&mut e.candidate, data, "data.")?,
        LookupKind::Application => {
            if e.candidate_id.is_none() {
                e.candidate_id = opt_id(data, "candidate_id", "data.candidate_id")?;
            }
            if e.job_id.is_none() {
                e.job_id = opt_id(data, "job_id", "data.job_id")?;
            }
            if let Some(c) = opt_object(data, "candidate", "data.candidate")? {
                fill_candidate(&mut e.candidate, c, "data.candidate.")?;
            }
        }
        LookupKind::Job => {
            if e.job_title.is_none() {
                e.job_title = opt_text(data, "title", "data.title")?;
            }
            add_hiring_team(&mut e.collaborator_emails, data, "data.")?;
        }
    }
    Ok(())
}

/// The order for Assessio, once the look-ups are done. The package is
/// required (`missing("package.id")`: nothing says which lens to use). With
/// no job id anywhere, the order is its own recruitment (`order:<record_id>`),
/// so orders without a job never land in another job's recruitment; names
/// and email may be empty, for `build_order` to name.
pub fn to_hub_order(e: &OrderEvent) -> Result<HubOrder, InputError> {
    let package_id = e.package_id.clone().ok_or_else(|| InputError::missing("package.id"))?;
    Ok(HubOrder {
        order_id: e.record_id.clone(),
        tenant: e.account_id.clone(),
        package_id,
        job_id: e.job_id.clone().unwrap_or_else(|| format!("order:{}", e.record_id)),
        job_title: e.job_title.clone().unwrap_or_default(),
        candidate: e.candidate.clone(),
        collaborator_emails: e.collaborator_emails.clone(),
    })
}

/// A short line for the ATS: the score and the subscores, clipped.
fn summary(result: &AssessmentResult) -> String {
    let mut s = match result.score {
        Some(score) => format!("Assessio score {score} of 100."),
        None => String::from("Assessio assessment completed."),
    };
    if !result.subscores.is_empty() {
        let parts: Vec<String> = result.subscores.iter().map(|x| format!("{} {}", x.name, x.score)).collect();
        s.push(' ');
        s.push_str(&parts.join(", "));
        s.push('.');
    }
    validate::clip(&s, MAX_SUMMARY)
}

#[derive(Serialize)]
struct Value {
    value: &'static str,
}

/// `AtsUpdateCandidatesAssessmentsResultsRequestDto`: every field optional.
#[derive(Serialize)]
struct ResultBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<Score>,
    #[serde(skip_serializing_if = "Option::is_none")]
    submission_date: Option<String>,
    summary: String,
    result: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    result_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
}

#[derive(Serialize)]
struct Score {
    label: &'static str,
    value: String,
    min: &'static str,
    max: &'static str,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    content_type: Value,
}

/// The write-back body, in StackOne's shape (`ats.json`,
/// `AtsUpdateCandidatesAssessmentsResultsRequestDto`, no field required):
/// `score` with every number as a string (out of 100; left out when Assessio
/// gave no overall score), `submission_date` (RFC 3339, from the host's
/// clock), a short `summary`, `result.value` `completed` (Assessio does not
/// pass or fail anyone), the report as `result_url` (else the recruitment
/// page; left out when Assessio sent neither), and, when both links exist,
/// the recruitment page as an attachment of content type `other` (a web
/// page is none of `text`, `pdf`, `video`).
pub fn result_body(result: &AssessmentResult, submitted_at: i64) -> Vec<u8> {
    let url = result.report_url.as_deref().or(result.recruitment_url.as_deref());
    let mut attachments = Vec::new();
    if let (Some(_), Some(recruitment)) = (&result.report_url, &result.recruitment_url) {
        attachments.push(Attachment { url: recruitment, content_type: Value { value: "other" } });
    }
    let body = ResultBody {
        score: result.score.map(|score| Score { label: SCORE_LABEL, value: format!("{score}"), min: "0", max: "100" }),
        submission_date: Some(time::rfc3339(submitted_at)),
        summary: summary(result),
        result: Value { value: "completed" },
        result_url: url,
        attachments,
    };
    crate::never_fails(serde_json::to_vec(&body), "values serialise")
}

/// `PATCH /unified/ats/assessments/orders/{id}/result`.
pub fn result_request(
    api: &StackOneApi,
    order_id: &str,
    result: &AssessmentResult,
    submitted_at: i64,
) -> Result<HttpRequest, InputError> {
    let id = validate::required_text("order-id", order_id)?;
    if let Some(i) = result.subscores.iter().position(|s| !s.score.is_finite()) {
        return Err(InputError::invalid(indexed("subscores", i), "score is not a finite number"));
    }
    let body = result_body(result, submitted_at);
    api.request(Method::Patch, &format!("/unified/ats/assessments/orders/{}/result", percent_encode(id)), Some(body))
}

/// How a refused order reaches the recruiter: StackOne ignores webhook
/// answers, so the order's result is written as `cancelled` with the reason
/// as its summary (clipped to 300 characters), on the same
/// `PATCH /unified/ats/assessments/orders/{id}/result`.
pub fn rejection_request(api: &StackOneApi, order_id: &str, message: &str) -> Result<HttpRequest, InputError> {
    let id = validate::required_text("order-id", order_id)?;
    let body = ResultBody {
        score: None,
        submission_date: None,
        summary: validate::clip(message.trim(), MAX_SUMMARY),
        result: Value { value: "cancelled" },
        result_url: None,
        attachments: Vec::new(),
    };
    let body = crate::never_fails(serde_json::to_vec(&body), "values serialise");
    api.request(Method::Patch, &format!("/unified/ats/assessments/orders/{}/result", percent_encode(id)), Some(body))
}

/// A packages list request StackOne POSTs to the provider
/// (teamtailor-partner-api.mdx: `{job_id, account_id, provider}`), read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PackagesQuery {
    /// The linked account asking: it names the customer.
    pub account_id: String,
    /// The job the recruiter is on, when StackOne sent one.
    pub job_id: Option<String>,
    /// The ATS, e.g. `teamtailor`, when StackOne sent one.
    pub provider: Option<String>,
}

/// Reads the packages list request's body. Only `account_id` is required:
/// the packages offered do not depend on the job.
pub fn parse_packages_query(body: &[u8]) -> Result<PackagesQuery, InputError> {
    let top = json::parse_object("the StackOne packages request", body)?;
    Ok(PackagesQuery {
        account_id: opt_id(&top, "account_id", "account_id")?.ok_or_else(|| InputError::missing("account_id"))?,
        job_id: opt_id(&top, "job_id", "job_id")?,
        provider: opt_text(&top, "provider", "provider")?,
    })
}

/// The packages list answer, shaped as StackOne's list assessments packages
/// (`AssessmentPackagePaginated`: `{"data": [{"id", "name",
/// "description"}]}`, no `next`): one package per lens and locale, named as
/// every hub names them ([`super::packages`]).
pub fn packages_body(catalog: &Catalog) -> Vec<u8> {
    #[derive(Serialize)]
    struct Page {
        data: Vec<super::Package>,
    }
    crate::never_fails(serde_json::to_vec(&Page { data: super::packages(catalog) }), "values serialise")
}

fn is_transient(status: u16) -> bool {
    status == 408 || status == 429 || status >= 500
}

/// StackOne's error body `{"statusCode", "message"}` (`message` may be a
/// list of strings, as NestJS validation errors are), clipped; the status
/// where there is none.
fn error_rejection(status: u16, body: &[u8]) -> Rejection {
    let message = json::parse_object("body", body).ok().and_then(|o| match o.get("message") {
        Some(Json::String(m)) if !m.trim().is_empty() => Some(String::from(&**m)),
        Some(Json::Array(items)) => {
            let parts: Vec<&str> = items
                .iter()
                .filter_map(|i| if let Json::String(s) = i { Some(s.trim()) } else { None })
                .filter(|s| !s.is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    });
    let message = match message {
        Some(m) => validate::clip(&m, 300),
        None => format!("StackOne answered HTTP {status}"),
    };
    Rejection { status, message }
}

/// Classifies StackOne's answer to a write: 2xx written; 408, 429 and 5xx
/// retry later (StackOne documents 408 `RequestTimedOutResponse` on every
/// route, and a timeout says nothing about the write); other statuses failed.
pub fn interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome {
    if (200..300).contains(&status) {
        return WriteOutcome::Written;
    }
    let r = error_rejection(status, body);
    if is_transient(status) { WriteOutcome::RetryLater(r) } else { WriteOutcome::Failed(r) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A unified event envelope as webhooks.mdx shows one (no `event_data`:
    /// a synthetic event).
    const BODY: &[u8] = br#"{"project_id":"p-1","account_id":"acc-7","event":"ats_assessments.created","event_date":"2026-11-30T10:00:00.000Z","record_type":"ats_assessments","record_id":"ord_1","sent_at":"2026-11-30T10:00:01.000Z"}"#;
    /// `printf '%s' "$BODY" | openssl dgst -sha256 -hmac stackone_secret -binary | basenc --base64url | tr -d =`
    const SIG: &str = "jf784UjisLGPilKz0i09WyLTKHFLLRDjVxCDIg3VWP0";
    /// The same under `old_secret`.
    const SIG_OLD: &str = "HPOff-KMiBNjfBQh5hPdQBJbYv3iTTpjaRgB3HrRe24";

    /// `event_data` in StackOne's assessment order model, with fields
    /// Assessio must not receive.
    const EVENT_DATA: &str = r#"{
      "id": "ord_8187e5da", "remote_id": "remote-ord-1",
      "package": {"id": "L1:sv-SE", "remote_id": "pkg-r", "name": "Assessio GP (Swedish)", "description": "desc"},
      "application": {"id": "app-77", "remote_id": "app-remote-77",
                      "application_status": {"value": "hired", "source_value": "Hired"}},
      "candidate": {"id": "cand-1", "remote_id": "cand-remote-1", "first_name": "Romain", "last_name": "Sestier",
                    "emails": [{"type": "personal", "value": "romain@example.com"},
                               {"type": "work", "value": "r.sestier@work.example"}],
                    "profile_url": "https://ats.example/candidate?id=xyz",
                    "passthrough": {"other_known_names": "Secret Alias"}},
      "job": {"id": "job-9", "remote_id": "job-remote-9", "title": "Software Engineer",
              "hiring_team": [{"user_id": "u1", "remote_user_id": "ru1", "first_name": "John", "last_name": "Doe",
                               "email": "john.doe@example.com", "role": "Hiring Manager"}, {"first_name": "No Mail"}]},
      "requester": {"email": "requester@example.com", "first_name": "Req"},
      "results_update_url": "https://ats.example/results/1"
    }"#;

    fn native(event_data: &str) -> String {
        format!(
            r#"{{"project_id":"p-1","account_id":"acc-7","event":"ats_assessments.created","event_date":"2026-11-30T10:00:00.000Z","record_type":"ats_assessments","record_id":"ord_8187e5da","record_remote_id":"r-1","sent_at":"2026-11-30T10:00:01.000Z","raw_event":{{"secret":"Secret Alias"}},"event_data":{event_data}}}"#
        )
    }

    fn api() -> StackOneApi {
        StackOneApi {
            base_url: "https://api.stackone.com/".into(),
            api_key: "so_key".into(),
            account_id: "acc-1".into(),
        }
    }

    fn result() -> AssessmentResult {
        crate::hubs::sample_result()
    }

    fn verify(value: &str, body: &[u8], secrets: &[&str]) -> Result<(), SignatureError> {
        verify_webhook(&[("Content-Type", "application/json"), ("x-stackone-signature", value)], body, secrets)
    }

    #[test]
    fn the_signature_matches_openssl_accepts_either_rotated_secret_and_rejects_tampering() {
        assert_eq!(verify(SIG, BODY, &["stackone_secret"]), Ok(()));
        assert_eq!(verify(&format!("{SIG}="), BODY, &["stackone_secret"]), Ok(()), "padding tolerated");
        assert_eq!(verify(SIG_OLD, BODY, &["stackone_secret", "old_secret"]), Ok(()), "rotation");
        assert_eq!(verify(SIG, BODY, &["old_secret", "stackone_secret"]), Ok(()));
        assert_eq!(verify(SIG, BODY, &["", "stackone_secret"]), Ok(()), "blank secrets are skipped");
        let headers = [("X-StackOne-Signature", SIG)];
        assert_eq!(verify_webhook(&headers, BODY, &["stackone_secret"]), Ok(()), "header names ignore case");
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 1;
        assert_eq!(verify(SIG, &tampered, &["stackone_secret"]), Err(SignatureError::Mismatch));
        assert_eq!(verify(SIG, BODY, &["other"]), Err(SignatureError::Mismatch));
        let flipped = format!("AAAA{}", &SIG[4..]);
        assert_eq!(verify(&flipped, BODY, &["stackone_secret"]), Err(SignatureError::Mismatch));
        // Standard base64 (`+/`) is not StackOne's encoding.
        let b64_old = SIG_OLD.replace('-', "+");
        assert!(matches!(verify(&b64_old, BODY, &["old_secret"]), Err(SignatureError::Malformed(_))));
    }

    #[test]
    fn missing_and_malformed_signatures_are_typed() {
        assert_eq!(verify_webhook(&[], BODY, &["k"]), Err(SignatureError::Missing));
        assert_eq!(verify("  ", BODY, &["k"]), Err(SignatureError::Missing));
        assert_eq!(verify(SIG, BODY, &[]), Err(SignatureError::NoSecret));
        assert_eq!(verify(SIG, BODY, &[""]), Err(SignatureError::NoSecret));
        assert!(matches!(verify("not base64!", BODY, &["k"]), Err(SignatureError::Malformed(_))));
        assert!(matches!(verify("AAAA", BODY, &["k"]), Err(SignatureError::Malformed(_))), "too short");
        let long = "A".repeat(5000);
        assert!(matches!(verify(&long, BODY, &["k"]), Err(SignatureError::Malformed(_))));
    }

    #[test]
    fn a_synthetic_event_gives_the_ids_and_nothing_else() {
        let e = parse_event(BODY).unwrap();
        assert_eq!(
            e,
            OrderEvent {
                event: ORDER_CREATED.into(),
                account_id: "acc-7".into(),
                record_id: "ord_1".into(),
                ..OrderEvent::default()
            }
        );
        assert_eq!(next_lookup(&e), None, "no id to look anything up by");
        assert_eq!(to_hub_order(&e), Err(InputError::missing("package.id")));
        let numeric = br#"{"account_id":"a","event":"ats_assessments.created","record_id":12345}"#;
        assert_eq!(parse_event(numeric).unwrap().record_id, "12345");
        for (body, missing) in [
            (&br#"{"account_id":"a","record_id":"r"}"#[..], "event"),
            (br#"{"event":"x","record_id":"r"}"#, "account_id"),
            (br#"{"event":"x","account_id":"a","record_id":null}"#, "record_id"),
        ] {
            assert_eq!(parse_event(body), Err(InputError::missing(missing)));
        }
        assert!(matches!(parse_event(b"[]"), Err(InputError::Malformed(_))));
        let other = parse_event(br#"{"event":"ats_assessments.updated","account_id":"a","record_id":"r"}"#).unwrap();
        assert_eq!(other.event, "ats_assessments.updated", "read, for the caller to acknowledge and ignore");
    }

    #[test]
    fn a_native_event_reads_the_order_model_and_needs_no_look_up() {
        let e = parse_event(native(EVENT_DATA).as_bytes()).unwrap();
        assert_eq!(next_lookup(&e), None);
        let o = to_hub_order(&e).unwrap();
        assert_eq!((o.order_id.as_str(), o.tenant.as_str()), ("ord_8187e5da", "acc-7"));
        assert_eq!(o.package_id, "L1:sv-SE");
        assert_eq!((o.job_id.as_str(), o.job_title.as_str()), ("job-9", "Software Engineer"));
        assert_eq!(o.candidate.email, "romain@example.com");
        assert_eq!((o.candidate.first_name.as_str(), o.candidate.last_name.as_str()), ("Romain", "Sestier"));
        assert_eq!(o.collaborator_emails, ["john.doe@example.com", "requester@example.com"]);
    }

    #[test]
    fn nothing_beyond_what_assessio_needs_is_kept() {
        let o = to_hub_order(&parse_event(native(EVENT_DATA).as_bytes()).unwrap()).unwrap();
        let all = serde_json::to_string(&o).unwrap();
        for dropped in [
            "remote",
            "app-77",
            "hired",
            "cand-1",
            "r.sestier@work.example",
            "profile",
            "ats.example",
            "Secret Alias",
            "Assessio GP",
            "desc",
            "Hiring Manager",
            "John",
            "u1",
            "results",
            "p-1",
        ] {
            assert!(!all.contains(dropped), "{dropped} kept: {all}");
        }
    }

    /// The look-ups as assessment-flow.mdx describes them: the application
    /// names the job (and the candidate), the candidate gives names and
    /// email, the job its title and hiring team; each answer is the unified
    /// `{"data": {...}}`.
    #[test]
    fn ids_only_are_completed_by_application_candidate_then_job_look_ups() {
        let data = r#"{"package": {"id": "L1:sv-SE"}, "application_id": "app-77", "candidate_id": "cand-1"}"#;
        let mut e = parse_event(native(data).as_bytes()).unwrap();
        let mut sent = Vec::new();
        while let Some((kind, id)) = next_lookup(&e) {
            let request = lookup_request(&api(), kind, &id).unwrap();
            assert_eq!(request.method, Method::Get);
            assert_eq!(request.header("x-account-id"), Some("acc-1"));
            assert!(request.body.is_empty());
            sent.push(request.url.clone());
            let answer: &[u8] = match kind {
                LookupKind::Application => br#"{"data":{"id":"app-77","candidate_id":"cand-1","job_id":"job 9/x"}}"#,
                LookupKind::Candidate => {
                    br#"{"data":{"id":"cand-1","first_name":"Ada","last_name":"Lovelace","email":null,"emails":[{"type":"personal","value":"ada@example.com"}]}}"#
                }
                LookupKind::Job => {
                    br#"{"data":{"id":"job 9/x","title":"Engineer","hiring_team":[{"email":"hm@example.com","role":"hiring_manager"}]}}"#
                }
            };
            e = match merge_lookup(&e, kind, 200, answer) {
                LookupOutcome::Merged(e) => *e,
                other => panic!("{other:?}"),
            };
        }
        assert_eq!(
            sent,
            [
                "https://api.stackone.com/unified/ats/applications/app-77",
                "https://api.stackone.com/unified/ats/candidates/cand-1",
                "https://api.stackone.com/unified/ats/jobs/job%209%2Fx",
            ]
        );
        let o = to_hub_order(&e).unwrap();
        assert_eq!((o.job_id.as_str(), o.job_title.as_str()), ("job 9/x", "Engineer"));
        assert_eq!(
            (o.candidate.email.as_str(), o.candidate.first_name.as_str(), o.candidate.last_name.as_str()),
            ("ada@example.com", "Ada", "Lovelace")
        );
        assert_eq!(o.collaborator_emails, ["hm@example.com"]);
    }

    #[test]
    fn look_up_failures_are_classified_and_never_repeated() {
        let e = parse_event(native(r#"{"candidate": {"id": "c-1"}}"#).as_bytes()).unwrap();
        assert_eq!(next_lookup(&e), Some((LookupKind::Candidate, "c-1".into())));
        for status in [408, 429, 500, 503] {
            assert!(matches!(merge_lookup(&e, LookupKind::Candidate, status, b""), LookupOutcome::RetryLater(_)));
        }
        let gone = merge_lookup(
            &e,
            LookupKind::Candidate,
            404,
            br#"{"statusCode":404,"message":"Not found","timestamp":"t"}"#,
        );
        assert_eq!(
            gone,
            LookupOutcome::Failed(Rejection { status: 404, message: "StackOne's candidate look-up: Not found".into() })
        );
        assert!(matches!(merge_lookup(&e, LookupKind::Candidate, 200, b"<html>"), LookupOutcome::Failed(_)));
        assert!(matches!(merge_lookup(&e, LookupKind::Candidate, 200, b"{}"), LookupOutcome::Failed(_)));
        // An answer that adds nothing still counts: the look-up is not made again.
        let LookupOutcome::Merged(after) = merge_lookup(&e, LookupKind::Candidate, 200, br#"{"data":{}}"#) else {
            panic!("a 2xx with data merges")
        };
        assert_eq!(next_lookup(&after), None);
        let o = to_hub_order(&OrderEvent { package_id: Some("L1:sv-SE".into()), ..*after }).unwrap();
        assert_eq!(o.job_id, "order:ord_8187e5da", "no job anywhere: the order is its own recruitment");
        assert_eq!(o.candidate.last_name, "", "left for build_order to name");
    }

    #[test]
    fn what_the_event_said_wins_over_a_look_up() {
        let e = parse_event(native(EVENT_DATA).as_bytes()).unwrap();
        let LookupOutcome::Merged(after) = merge_lookup(
            &e,
            LookupKind::Candidate,
            200,
            br#"{"data":{"first_name":"Other","last_name":"Name","email":"other@example.com"}}"#,
        ) else {
            panic!()
        };
        assert_eq!(after.candidate, e.candidate);
    }

    #[test]
    fn the_result_write_back_is_stackones_shape_with_string_scores() {
        let r = result_request(&api(), "ord/1 ä", &result(), 1_700_000_000).unwrap();
        assert_eq!(r.method, Method::Patch);
        assert_eq!(r.url, "https://api.stackone.com/unified/ats/assessments/orders/ord%2F1%20%C3%A4/result");
        // base64("so_key:")
        assert_eq!(r.header("Authorization"), Some("Basic c29fa2V5Og=="));
        assert_eq!(r.header("x-account-id"), Some("acc-1"));
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            json!({
                "score": {"label": "Assessio score", "value": "71", "min": "0", "max": "100"},
                "submission_date": "2023-11-14T22:13:20Z",
                "summary": "Assessio score 71 of 100. Driving Leadership 73, Influencing & Inspiring 68.",
                "result": {"value": "completed"},
                "result_url": "https://app.assessio.online/rep/2",
                "attachments": [{"url": "https://app.assessio.online/r/1", "content_type": {"value": "other"}}],
            })
        );
    }

    #[test]
    fn a_result_without_score_or_links_is_still_written() {
        let bare = AssessmentResult { score: None, subscores: Vec::new(), report_url: None, ..result() };
        let body: serde_json::Value =
            serde_json::from_slice(&result_request(&api(), "o", &bare, 0).unwrap().body).unwrap();
        assert_eq!(
            body,
            json!({
                "submission_date": "1970-01-01T00:00:00Z",
                "summary": "Assessio assessment completed.",
                "result": {"value": "completed"},
                "result_url": "https://app.assessio.online/r/1",
            })
        );
        let none = AssessmentResult { recruitment_url: None, report_url: None, ..result() };
        let body: serde_json::Value =
            serde_json::from_slice(&result_request(&api(), "o", &none, 0).unwrap().body).unwrap();
        assert_eq!(body.get("result_url"), None, "StackOne requires no field; the score still arrives");
        assert_eq!(body["score"]["value"], "71");
        assert_eq!(result_request(&api(), " ", &result(), 0), Err(InputError::missing("order-id")));
        let bad_key = StackOneApi { api_key: "a b".into(), ..api() };
        assert!(result_request(&bad_key, "o", &result(), 0).is_err());
        assert!(!format!("{bad_key:?}").contains("a b"), "Debug redacts the key");
    }

    #[test]
    fn fractional_subscores_are_summarised_as_sent_and_non_finite_ones_refused() {
        use crate::result::{Subscore, SubscoreValue};
        let mut r = result();
        r.subscores = alloc::vec![
            Subscore { name: "Driving Leadership".into(), score: SubscoreValue::new(72.5) },
            Subscore { name: "Analytical Thinking".into(), score: 85.into() },
        ];
        let body: serde_json::Value =
            serde_json::from_slice(&result_request(&api(), "o", &r, 0).unwrap().body).unwrap();
        assert_eq!(body["summary"], "Assessio score 71 of 100. Driving Leadership 72.5, Analytical Thinking 85.");
        r.subscores[1].score = SubscoreValue::new(f64::NAN);
        assert_eq!(
            result_request(&api(), "o", &r, 0),
            Err(InputError::invalid("subscores[1]", "score is not a finite number"))
        );
    }

    #[test]
    fn a_refused_order_is_written_back_cancelled_with_the_reason() {
        let r = rejection_request(&api(), "ord_1", "Assessio could not be ordered: the candidate has no last name.")
            .unwrap();
        assert_eq!(r.method, Method::Patch);
        assert_eq!(r.url, "https://api.stackone.com/unified/ats/assessments/orders/ord_1/result");
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            json!({
                "summary": "Assessio could not be ordered: the candidate has no last name.",
                "result": {"value": "cancelled"},
            })
        );
        let long = rejection_request(&api(), "o", &"x".repeat(900)).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&long.body).unwrap();
        assert!(body["summary"].as_str().unwrap().chars().count() <= 301);
    }

    #[test]
    fn the_packages_endpoint_reads_stackones_request_and_lists_lens_by_locale() {
        let q =
            parse_packages_query(br#"{"job_id":"49201091","account_id":"456551489512493412","provider":"teamtailor"}"#)
                .unwrap();
        assert_eq!(
            q,
            PackagesQuery {
                account_id: "456551489512493412".into(),
                job_id: Some("49201091".into()),
                provider: Some("teamtailor".into())
            }
        );
        assert_eq!(parse_packages_query(br#"{"job_id":"1"}"#), Err(InputError::missing("account_id")));
        let catalog = Catalog {
            lenses: alloc::vec![crate::lenses::Lens { id: "L1".into(), name: "General Performance".into() }],
            locales: alloc::vec!["sv-SE".into(), "en-US".into()],
        };
        let body: serde_json::Value = serde_json::from_slice(&packages_body(&catalog)).unwrap();
        assert_eq!(body["data"][0]["id"], "L1:sv-SE");
        assert_eq!(body["data"][1]["id"], "L1:en-US");
        assert_eq!(body["data"][0]["name"], "Assessio General Performance (Swedish)");
        assert_eq!(body.as_object().unwrap().len(), 1, "no `next`: one page");
    }

    #[test]
    fn write_answers() {
        assert_eq!(interpret_write_response(200, b""), WriteOutcome::Written);
        assert_eq!(interpret_write_response(204, b"not json"), WriteOutcome::Written);
        assert_eq!(
            interpret_write_response(429, br#"{"statusCode":429,"message":"Too many requests"}"#),
            WriteOutcome::RetryLater(Rejection { status: 429, message: "Too many requests".into() })
        );
        assert_eq!(
            interpret_write_response(408, br#"{"statusCode":408,"message":"Request timed out"}"#),
            WriteOutcome::RetryLater(Rejection { status: 408, message: "Request timed out".into() })
        );
        assert_eq!(
            interpret_write_response(502, b"<html>"),
            WriteOutcome::RetryLater(Rejection { status: 502, message: "StackOne answered HTTP 502".into() })
        );
        assert_eq!(
            interpret_write_response(400, br#"{"statusCode":400,"message":["score.value must be a string","x"]}"#),
            WriteOutcome::Failed(Rejection { status: 400, message: "score.value must be a string; x".into() })
        );
        assert_eq!(
            interpret_write_response(404, br#"{"statusCode":404,"message":"Order not found"}"#),
            WriteOutcome::Failed(Rejection { status: 404, message: "Order not found".into() })
        );
        for body in [&br#"{"message":[""]}"#[..], br#"{"message":[" ", "\t"]}"#, br#"{"message":" "}"#] {
            assert_eq!(
                interpret_write_response(400, body),
                WriteOutcome::Failed(Rejection { status: 400, message: "StackOne answered HTTP 400".into() }),
                "{body:?}"
            );
        }
    }
}
