//! StackOne's unified ATS assessments API (seed 002, `shared/docs/hub-apis.md`).
//!
//! StackOne sends an `ats_assessments.created` webhook when a recruiter orders
//! an assessment, and takes the result back with
//! `PATCH /unified/ats/assessments/orders/{id}/result`. Requests carry
//! `Authorization: Basic base64(api_key + ":")` and `x-account-id`. All of it
//! is built and read here; the host only sends.
//!
//! The webhook signature scheme is **unconfirmed** in StackOne's public docs,
//! so it is a [`SignatureScheme`] the host configures; the default is the one
//! `hub-apis.md` records (`x-stackone-signature`, HMAC-SHA256 of the raw body,
//! base64url).
//!
//! Field names of the order follow StackOne's unified `AssessmentOrder` model
//! (snake_case on the wire, as its SDKs map it): `id`, `package {id, name}`,
//! `candidate {id, first_name, last_name, emails[{type, value}]}`,
//! `application {id}`, `job {id, title, hiring_team[{email}]}`. Where the event
//! itself is not documented (envelope keys, where the account id sits), the
//! guesses are named on the functions that make them.

// `StackOne` is the product's name, not code: doc_markdown would want it in backticks.
#![allow(clippy::doc_markdown)]

use super::HubOrder;
pub use super::WriteOutcome;
use super::percent_encode;
use crate::error::{InputError, indexed};
use crate::http::{Header, HttpRequest, Method};
use crate::json::{self, Json, Object};
use crate::response::Rejection;
use crate::result::AssessmentResult;
use crate::signature::SignatureError;
use crate::{time, validate};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The event type of an order.
pub const ORDER_CREATED: &str = "ats_assessments.created";
/// The default (unconfirmed) webhook signature header.
pub const DEFAULT_SIGNATURE_HEADER: &str = "x-stackone-signature";
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

/// How a signature is written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureEncoding {
    /// RFC 4648 §5 (`-_`), padding optional.
    #[default]
    Base64Url,
    /// RFC 4648 §4 (`+/`), padding optional.
    Base64,
    /// Hexadecimal, either case.
    Hex,
}

/// StackOne's webhook signature scheme: HMAC-SHA256 of the raw body under the
/// webhook secret, in the header `header_name`, written in `encoding`.
///
/// **Unconfirmed**: StackOne's public docs do not pin the header or the
/// encoding down, so both are configurable. [`Default`] is what
/// `hub-apis.md` records: `x-stackone-signature`, base64url (padding
/// optional). A `sha256=` prefix on a signature is tolerated in every
/// encoding, as some senders write one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SignatureScheme {
    /// Matched case-insensitively.
    pub header_name: String,
    /// How the 32 MAC bytes are written.
    pub encoding: SignatureEncoding,
}

impl Default for SignatureScheme {
    fn default() -> Self {
        Self { header_name: DEFAULT_SIGNATURE_HEADER.into(), encoding: SignatureEncoding::Base64Url }
    }
}

impl SignatureEncoding {
    /// The MAC bytes a signature names, or `None` if it is not 32 bytes in this encoding.
    fn decode(self, sig: &str) -> Option<Vec<u8>> {
        let sig = match sig.get(..7) {
            Some(p) if p.eq_ignore_ascii_case("sha256=") => &sig[7..],
            _ => sig,
        };
        let raw = match self {
            Self::Base64Url => URL_SAFE_NO_PAD.decode(sig.trim_end_matches('=')).ok()?,
            Self::Base64 => STANDARD_NO_PAD.decode(sig.trim_end_matches('=')).ok()?,
            Self::Hex => hex::decode(sig).ok()?,
        };
        (raw.len() == 32).then_some(raw)
    }
}

/// Checks the webhook signature over the raw body, before anything parses it.
///
/// The scheme is **unconfirmed** (see [`SignatureScheme`]). Every header named
/// `scheme.header_name` is read; each may carry several signatures separated
/// by commas or spaces (secret rotation), and any match wins. Signatures that
/// do not decode are ignored, but a header with no decodable signature is
/// `Malformed`. The comparison is constant-time on the raw MAC bytes. No
/// timestamp is signed, so replays are caught by idempotency, not here.
pub fn verify_webhook(
    scheme: &SignatureScheme,
    headers: &[(&str, &str)],
    body: &[u8],
    secret: &str,
) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let values: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case(scheme.header_name.trim()))
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(SignatureError::Missing);
    }
    if values.iter().map(|v| v.len()).sum::<usize>() > MAX_SIGNATURE_HEADER {
        return Err(SignatureError::Malformed("longer than 4 KiB".into()));
    }
    let mut mac =
        crate::never_fails(<Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()), "HMAC takes any key");
    mac.update(body);
    let expected: [u8; 32] = mac.finalize().into_bytes().into();
    let mut matched = subtle::Choice::from(0);
    let mut readable = false;
    for candidate in values.iter().flat_map(|v| v.split([',', ' '])).filter(|s| !s.is_empty()) {
        if let Some(raw) = scheme.encoding.decode(candidate) {
            readable = true;
            matched |= raw.ct_eq(&expected);
        }
    }
    if !readable {
        return Err(SignatureError::Malformed(format!(
            "no signature is an HMAC-SHA256 in {}",
            match scheme.encoding {
                SignatureEncoding::Base64Url => "base64url",
                SignatureEncoding::Base64 => "base64",
                SignatureEncoding::Hex => "hex",
            }
        )));
    }
    if bool::from(matched) { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// A StackOne order event, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OrderEvent {
    /// The envelope's event id, when the envelope carried one.
    pub event_id: Option<String>,
    /// The order, minimised. `tenant` is the event's account id, or empty
    /// when the event carries none: the caller fills it from the webhook's
    /// configuration.
    pub order: HubOrder,
}

/// A required string at `path`.
fn required(obj: &Object, key: &str, path: &str) -> Result<String, InputError> {
    match obj.get(key) {
        None | Some(Json::Null) => Err(InputError::missing(path)),
        Some(Json::String(s)) if s.trim().is_empty() => Err(InputError::missing(path)),
        Some(Json::String(s)) => Ok(s.clone()),
        Some(other) => Err(InputError::invalid(path, format!("must be a string, not {}", other.kind()))),
    }
}

/// The candidate's email: the first non-empty entry of StackOne's
/// `emails: [{"type", "value"}]` (plain strings in the list are accepted
/// too), else a flat `email` string (a guess, for ATSs that map one address).
/// Empty when neither is there, so `build_order` names `candidate.email`.
fn candidate_email(c: &Object, prefix: &str) -> Result<String, InputError> {
    let path = format!("{prefix}candidate.emails");
    match c.get("emails") {
        None | Some(Json::Null) => {}
        Some(Json::Array(list)) => {
            for (i, item) in list.iter().enumerate() {
                let value = match item {
                    Json::String(s) => s.clone(),
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
    Ok(String::from(json::nullable_str(c, "email", &format!("{prefix}candidate.email"))?.trim()))
}

/// The hiring team's emails (members without one are skipped).
fn hiring_team(job: &Object, prefix: &str) -> Result<Vec<String>, InputError> {
    let path = format!("{prefix}job.hiring_team");
    let mut emails = Vec::new();
    match job.get("hiring_team") {
        None | Some(Json::Null) => {}
        Some(Json::Array(team)) => {
            for (i, member) in team.iter().enumerate() {
                let Json::Object(m) = member else {
                    return Err(InputError::invalid(indexed(&path, i), "must be an object"));
                };
                let email = json::nullable_str(m, "email", &format!("{}.email", indexed(&path, i)))?;
                if !email.trim().is_empty() {
                    emails.push(String::from(email.trim()));
                }
            }
        }
        Some(other) => return Err(InputError::invalid(path, format!("must be an array, not {}", other.kind()))),
    }
    Ok(emails)
}

/// Reads one StackOne `AssessmentOrder` object into a [`HubOrder`].
fn read_order(o: &Object, prefix: &str, tenant: String) -> Result<HubOrder, InputError> {
    let p = |k: &str| format!("{prefix}{k}");
    let package = json::req_object(o, "package", &p("package"))?;
    let candidate = json::req_object(o, "candidate", &p("candidate"))?;
    let job = json::req_object(o, "job", &p("job"))?;
    Ok(HubOrder {
        order_id: required(o, "id", &p("id"))?,
        tenant,
        // The package id is the one this connector published (`<lens>:<locale>`).
        package_id: required(package, "id", &p("package.id"))?,
        job_id: required(job, "id", &p("job.id"))?,
        job_title: json::nullable_str(job, "title", &p("job.title"))?,
        candidate: crate::order::Candidate {
            email: candidate_email(candidate, prefix)?,
            first_name: json::nullable_str(candidate, "first_name", &p("candidate.first_name"))?,
            last_name: json::nullable_str(candidate, "last_name", &p("candidate.last_name"))?,
        },
        collaborator_emails: hiring_team(job, prefix)?,
    })
}

/// Reads an `ats_assessments.created` webhook body.
///
/// Accepts the envelope `{"id"?, "event"|"type": "ats_assessments.created",
/// "account_id"?, "data": {order}}` or the bare order. Guesses, since StackOne
/// does not publish the event's envelope: the type sits in `event` or `type`;
/// the linked account's id in `account_id` on the envelope, else on the
/// order; the event id in `id`. A missing account id leaves `tenant` empty for
/// the caller to fill. Everything not needed for Assessio (application,
/// requester, profile URLs, package name, passthrough, remote ids) is dropped
/// here.
pub fn parse_order_event(body: &[u8]) -> Result<OrderEvent, InputError> {
    let top = json::parse_object("the StackOne webhook body", body)?;
    let (event_id, order, prefix) = if let Some(Json::Object(data)) = top.get("data") {
        for key in ["event", "type"] {
            match json::opt_str(&top, key)? {
                None | Some(ORDER_CREATED) => {}
                Some(_) => return Err(InputError::invalid(key, format!("must be `{ORDER_CREATED}`"))),
            }
        }
        (json::opt_str(&top, "id")?.map(String::from), data, "data.")
    } else {
        (None, &top, "")
    };
    let tenant = match json::opt_str(&top, "account_id")? {
        Some(a) if !a.trim().is_empty() => String::from(a.trim()),
        _ if prefix.is_empty() => String::new(),
        _ => String::from(json::opt_str(order, "account_id")?.unwrap_or_default().trim()),
    };
    let order = read_order(order, prefix, tenant)?;
    Ok(OrderEvent { event_id, order })
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

/// The write-back body, in StackOne's shape: `score` with every number as a
/// string (out of 100; left out when Assessio gave no overall score),
/// `submission_date` (RFC 3339, from the host's clock), a short `summary`,
/// `result.value` `completed` (Assessio does not pass or fail anyone), the
/// report as `result_url` (else the recruitment page), and, when both links
/// exist, the recruitment page as an attachment. Attachments use StackOne's
/// unified attachment shape, `{"url", "content_type": {"value": "text"}}`
/// (from its SDK models; `hub-apis.md` lists only `attachments: [...]`).
pub fn result_body(order_id: &str, result: &AssessmentResult, submitted_at: i64) -> Result<Vec<u8>, InputError> {
    #[derive(Serialize)]
    struct Score {
        label: &'static str,
        value: String,
        min: &'static str,
        max: &'static str,
    }
    #[derive(Serialize)]
    struct Value {
        value: &'static str,
    }
    #[derive(Serialize)]
    struct Attachment<'a> {
        url: &'a str,
        content_type: Value,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        score: Option<Score>,
        submission_date: String,
        summary: String,
        result: Value,
        result_url: &'a str,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<Attachment<'a>>,
    }
    let url = result
        .report_url
        .as_deref()
        .or(result.recruitment_url.as_deref())
        .ok_or_else(|| InputError::missing("assessmentReportUrl"))?;
    let mut attachments = Vec::new();
    if let (Some(_), Some(recruitment)) = (&result.report_url, &result.recruitment_url) {
        attachments.push(Attachment { url: recruitment, content_type: Value { value: "text" } });
    }
    let body = Body {
        id: order_id,
        score: result.score.map(|score| Score { label: SCORE_LABEL, value: format!("{score}"), min: "0", max: "100" }),
        submission_date: time::rfc3339(submitted_at),
        summary: summary(result),
        result: Value { value: "completed" },
        result_url: url,
        attachments,
    };
    Ok(crate::never_fails(serde_json::to_vec(&body), "values serialise"))
}

/// `PATCH /unified/ats/assessments/orders/{id}/result`.
pub fn result_request(
    api: &StackOneApi,
    order_id: &str,
    result: &AssessmentResult,
    submitted_at: i64,
) -> Result<HttpRequest, InputError> {
    let id = validate::required_text("order-id", order_id)?;
    let body = result_body(id, result, submitted_at)?;
    api.request(Method::Patch, &format!("/unified/ats/assessments/orders/{}/result", percent_encode(id)), Some(body))
}

/// The body of a >= 400 answer to StackOne's webhook: `{"message": ...}`,
/// clipped to 500 characters.
pub fn rejection_body(message: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct Rejection {
        message: String,
    }
    crate::never_fails(serde_json::to_vec(&Rejection { message: validate::clip(message, 500) }), "values serialise")
}

/// Classifies StackOne's answer to a write: 2xx written; 429 and 5xx retry
/// later; other statuses failed. The message is StackOne's error body
/// `{"statusCode", "message"}` when given (`message` may be a list of
/// strings, as NestJS validation errors are).
pub fn interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome {
    if (200..300).contains(&status) {
        return WriteOutcome::Written;
    }
    let message = json::parse_object("body", body).ok().and_then(|o| match o.get("message") {
        Some(Json::String(m)) if !m.trim().is_empty() => Some(m.clone()),
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
    let r = Rejection { status, message };
    if status == 429 || status >= 500 { WriteOutcome::RetryLater(r) } else { WriteOutcome::Failed(r) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blank_messages_fall_back_to_the_status() {
        for body in [&br#"{"message":[""]}"#[..], br#"{"message":[" ", "\t"]}"#, br#"{"message":" "}"#] {
            assert_eq!(
                interpret_write_response(400, body),
                WriteOutcome::Failed(Rejection { status: 400, message: "StackOne answered HTTP 400".into() }),
                "{body:?}"
            );
        }
    }

    /// A StackOne `AssessmentOrder`, shaped after its SDK's example, with
    /// fields Assessio must not receive.
    const ORDER: &str = r#"{
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

    const BODY: &[u8] = br#"{"event":"ats_assessments.created","data":{"id":"ord_1"}}"#;
    /// `printf '%s' "$BODY" | openssl dgst -sha256 -hmac stackone_secret -binary | basenc --base64url | tr -d =`
    const SIG_B64URL: &str = "rT9uBQRc_DlyvkYIho6vrbFrysxEDhbe1IxYFIqZJN0";
    /// `... -binary | base64`
    const SIG_B64: &str = "rT9uBQRc/DlyvkYIho6vrbFrysxEDhbe1IxYFIqZJN0=";
    /// `... -hex`
    const SIG_HEX: &str = "ad3f6e05045cfc3972be4608868eafadb16bcacc440e16ded48c58148a9924dd";

    fn verify(scheme: &SignatureScheme, value: &str, body: &[u8], secret: &str) -> Result<(), SignatureError> {
        verify_webhook(scheme, &[("Content-Type", "application/json"), (&scheme.header_name, value)], body, secret)
    }

    #[test]
    fn the_default_signature_matches_openssl_and_rejects_tampering() {
        let s = SignatureScheme::default();
        assert_eq!(s.header_name, "x-stackone-signature");
        assert_eq!(verify(&s, SIG_B64URL, BODY, "stackone_secret"), Ok(()));
        assert_eq!(verify(&s, &format!("{SIG_B64URL}="), BODY, "stackone_secret"), Ok(()));
        assert_eq!(verify(&s, &format!("sha256={SIG_B64URL}"), BODY, "stackone_secret"), Ok(()));
        let headers = [("X-StackOne-Signature", SIG_B64URL)];
        assert_eq!(verify_webhook(&s, &headers, BODY, "stackone_secret"), Ok(()), "header names ignore case");
        // Rotation: any of several may match, garbage among them is ignored.
        let rotated = format!("AAAA{}, junk! {SIG_B64URL}", &SIG_B64URL[4..]);
        assert_eq!(verify(&s, &rotated, BODY, "stackone_secret"), Ok(()));
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 1;
        assert_eq!(verify(&s, SIG_B64URL, &tampered, "stackone_secret"), Err(SignatureError::Mismatch));
        assert_eq!(verify(&s, SIG_B64URL, BODY, "other"), Err(SignatureError::Mismatch));
        let flipped = format!("AAAA{}", &SIG_B64URL[4..]);
        assert_eq!(verify(&s, &flipped, BODY, "stackone_secret"), Err(SignatureError::Mismatch));
    }

    #[test]
    fn other_encodings_and_headers_are_configurable() {
        let b64 = SignatureScheme { header_name: "X-Signature".into(), encoding: SignatureEncoding::Base64 };
        assert_eq!(verify(&b64, SIG_B64, BODY, "stackone_secret"), Ok(()));
        assert_eq!(verify(&b64, SIG_B64.trim_end_matches('='), BODY, "stackone_secret"), Ok(()));
        assert!(matches!(verify(&b64, SIG_B64URL, BODY, "stackone_secret"), Err(SignatureError::Malformed(_))));
        let hex = SignatureScheme { header_name: "X-Signature".into(), encoding: SignatureEncoding::Hex };
        assert_eq!(verify(&hex, SIG_HEX, BODY, "stackone_secret"), Ok(()));
        assert_eq!(verify(&hex, &SIG_HEX.to_uppercase(), BODY, "stackone_secret"), Ok(()));
        assert_eq!(verify(&hex, &format!("sha256={SIG_HEX}"), BODY, "stackone_secret"), Ok(()));
        // The default header is not read when another is configured.
        let headers = [("x-stackone-signature", SIG_HEX)];
        assert_eq!(verify_webhook(&hex, &headers, BODY, "stackone_secret"), Err(SignatureError::Missing));
        let cfg: SignatureScheme = serde_json::from_str(r#"{"header-name":"X-Sig","encoding":"hex"}"#).unwrap();
        assert_eq!(cfg.encoding, SignatureEncoding::Hex);
    }

    #[test]
    fn missing_and_malformed_signatures_are_typed() {
        let s = SignatureScheme::default();
        assert_eq!(verify_webhook(&s, &[], BODY, "k"), Err(SignatureError::Missing));
        assert_eq!(verify(&s, "  ", BODY, "k"), Err(SignatureError::Missing));
        assert_eq!(verify(&s, SIG_B64URL, BODY, ""), Err(SignatureError::NoSecret));
        assert!(matches!(verify(&s, "not base64!", BODY, "k"), Err(SignatureError::Malformed(_))));
        assert!(matches!(verify(&s, "AAAA", BODY, "k"), Err(SignatureError::Malformed(_))), "too short");
        let long = "A".repeat(5000);
        assert!(matches!(verify(&s, &long, BODY, "k"), Err(SignatureError::Malformed(_))));
    }

    #[test]
    fn the_order_reads_bare_and_in_either_envelope() {
        let bare = parse_order_event(ORDER.as_bytes()).unwrap();
        assert_eq!(bare.event_id, None);
        let o = &bare.order;
        assert_eq!((o.order_id.as_str(), o.tenant.as_str()), ("ord_8187e5da", ""));
        assert_eq!(o.package_id, "L1:sv-SE");
        assert_eq!((o.job_id.as_str(), o.job_title.as_str()), ("job-9", "Software Engineer"));
        assert_eq!(o.candidate.email, "romain@example.com");
        assert_eq!((o.candidate.first_name.as_str(), o.candidate.last_name.as_str()), ("Romain", "Sestier"));
        assert_eq!(o.collaborator_emails, ["john.doe@example.com"]);

        let wrapped =
            format!(r#"{{"id":"evt_1","event":"ats_assessments.created","account_id":"acc-7","data":{ORDER}}}"#);
        let e = parse_order_event(wrapped.as_bytes()).unwrap();
        assert_eq!(e.event_id.as_deref(), Some("evt_1"));
        assert_eq!(e.order.tenant, "acc-7");
        assert_eq!(HubOrder { tenant: String::new(), ..e.order }, bare.order);

        let typed = format!(r#"{{"type":"ats_assessments.created","data":{ORDER}}}"#);
        assert_eq!(parse_order_event(typed.as_bytes()).unwrap().order, bare.order);
        let inner = ORDER.replacen('{', r#"{"account_id": "acc-inner","#, 1);
        let wrapped_inner = format!(r#"{{"event":"ats_assessments.created","data":{inner}}}"#);
        assert_eq!(parse_order_event(wrapped_inner.as_bytes()).unwrap().order.tenant, "acc-inner");

        for other in [r#"{"event":"ats_assessments.updated","data":{}}"#, r#"{"type":"x","data":{}}"#] {
            assert!(matches!(parse_order_event(other.as_bytes()), Err(InputError::Invalid(_))), "{other}");
        }
        assert!(matches!(parse_order_event(b"[]"), Err(InputError::Malformed(_))));
        assert_eq!(
            parse_order_event(br#"{"event":"ats_assessments.created","data":{"id":"x"}}"#),
            Err(InputError::missing("data.package"))
        );
    }

    #[test]
    fn missing_names_and_email_survive_parsing_for_build_order_to_name() {
        let no_last = ORDER.replace(r#""last_name": "Sestier","#, r#""last_name": null,"#);
        let o = parse_order_event(no_last.as_bytes()).unwrap().order;
        assert_eq!(o.candidate.last_name, "");
        let details = o.order_details("stackone", "L1", "sv-SE", "https://gw.example/assessio/results");
        assert_eq!(crate::order::order_body(&details).unwrap_err(), InputError::missing("candidate.last-name"));

        let no_first = ORDER.replace(r#""first_name": "Romain", "#, "");
        assert_eq!(parse_order_event(no_first.as_bytes()).unwrap().order.candidate.first_name, "");

        let no_email = ORDER.replace(r#""type": "personal", "value": "romain@example.com""#, r#""type": "personal""#);
        let no_email = no_email.replace(r#""value": "r.sestier@work.example""#, r#""value": "  ""#);
        assert_eq!(parse_order_event(no_email.as_bytes()).unwrap().order.candidate.email, "");
    }

    #[test]
    fn the_candidate_email_comes_from_emails_or_email() {
        let flat = ORDER.replace(
            r#""emails": [{"type": "personal", "value": "romain@example.com"},
                               {"type": "work", "value": "r.sestier@work.example"}]"#,
            r#""email": "flat@example.com""#,
        );
        assert_eq!(parse_order_event(flat.as_bytes()).unwrap().order.candidate.email, "flat@example.com");
        let strings = ORDER.replace(
            r#"[{"type": "personal", "value": "romain@example.com"},"#,
            r#"["", "plain@example.com", {"type": "personal", "value": "romain@example.com"},"#,
        );
        assert_eq!(parse_order_event(strings.as_bytes()).unwrap().order.candidate.email, "plain@example.com");
        let empty_list = flat.replace(r#""email": "flat@example.com""#, r#""emails": [], "email": "f@example.com""#);
        assert_eq!(parse_order_event(empty_list.as_bytes()).unwrap().order.candidate.email, "f@example.com");
        let bad = ORDER.replace(r#""emails": ["#, r#""emails": [1, "#);
        assert!(
            matches!(parse_order_event(bad.as_bytes()), Err(InputError::Invalid(p)) if p.field == "candidate.emails[0]")
        );
    }

    #[test]
    fn nothing_beyond_what_assessio_needs_is_kept() {
        let wrapped =
            format!(r#"{{"id":"evt_1","event":"ats_assessments.created","account_id":"acc-7","data":{ORDER}}}"#);
        let all = serde_json::to_string(&parse_order_event(wrapped.as_bytes()).unwrap()).unwrap();
        for dropped in [
            "remote",
            "app-77",
            "hired",
            "cand-1",
            "r.sestier@work.example",
            "profile_url",
            "ats.example",
            "Secret Alias",
            "Assessio GP",
            "desc",
            "Hiring Manager",
            "John",
            "u1",
            "requester",
            "results",
        ] {
            assert!(!all.contains(dropped), "{dropped} kept: {all}");
        }
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
                "id": "ord/1 ä",
                "score": {"label": "Assessio score", "value": "71", "min": "0", "max": "100"},
                "submission_date": "2023-11-14T22:13:20Z",
                "summary": "Assessio score 71 of 100. Driving Leadership 73, Influencing & Inspiring 68.",
                "result": {"value": "completed"},
                "result_url": "https://app.assessio.online/rep/2",
                "attachments": [{"url": "https://app.assessio.online/r/1", "content_type": {"value": "text"}}],
            })
        );
    }

    #[test]
    fn write_backs_without_score_or_report_and_without_any_link() {
        let bare = AssessmentResult { score: None, subscores: Vec::new(), report_url: None, ..result() };
        let body: serde_json::Value =
            serde_json::from_slice(&result_request(&api(), "o", &bare, 0).unwrap().body).unwrap();
        assert_eq!(
            body,
            json!({
                "id": "o",
                "submission_date": "1970-01-01T00:00:00Z",
                "summary": "Assessio assessment completed.",
                "result": {"value": "completed"},
                "result_url": "https://app.assessio.online/r/1",
            })
        );
        let none = AssessmentResult { recruitment_url: None, report_url: None, ..result() };
        assert_eq!(result_request(&api(), "o", &none, 0), Err(InputError::missing("assessmentReportUrl")));
        assert_eq!(result_request(&api(), " ", &result(), 0), Err(InputError::missing("order-id")));
        let bad_key = StackOneApi { api_key: "a b".into(), ..api() };
        assert!(result_request(&bad_key, "o", &result(), 0).is_err());
        assert!(!format!("{bad_key:?}").contains("a b"), "Debug redacts the key");
    }

    #[test]
    fn rejections_and_write_answers() {
        let b: serde_json::Value = serde_json::from_slice(&rejection_body("No last name")).unwrap();
        assert_eq!(b, json!({"message": "No last name"}));
        let long: serde_json::Value = serde_json::from_slice(&rejection_body(&"x".repeat(900))).unwrap();
        assert_eq!(long["message"].as_str().unwrap().chars().count(), 501);

        assert_eq!(interpret_write_response(200, b""), WriteOutcome::Written);
        assert_eq!(interpret_write_response(204, b"not json"), WriteOutcome::Written);
        assert_eq!(
            interpret_write_response(429, br#"{"statusCode":429,"message":"Too many requests"}"#),
            WriteOutcome::RetryLater(Rejection { status: 429, message: "Too many requests".into() })
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
    }
}
