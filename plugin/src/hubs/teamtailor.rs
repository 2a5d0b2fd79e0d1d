//! Teamtailor's partner API, as Teamtailor's partner documentation
//! (repository `Teamtailor/tt-partner-docs`) describes it.
//!
//! A stage trigger in Teamtailor POSTs a partner event to the connector,
//! authenticated with the customer's provider key (`Authorization: Bearer`)
//! and, when configured, a `Teamtailor-Signature` header. The recruiter picks
//! lens and locale in the trigger's dialog, which Teamtailor builds from the
//! partner's configuration answer ([`config_response`], or
//! [`config_error_response`] when no dialog can be offered). Progress and the
//! result go back with `PUT <update-url>` as JSON:API. All of it is built and
//! read here; the host only sends.
//!
//! Where the documentation is silent, the guess is said in the doc comment of
//! the function that makes it.

pub use super::WriteOutcome;
use super::{HubOrder, locale_name, package_id, recruiter_message};
use crate::error::InputError;
use crate::http::{Header, HttpRequest, Method};
use crate::json::{self, Json, Object};
use crate::lenses::Catalog;
use crate::order::Candidate;
use crate::result::AssessmentResult;
use crate::signature::{SignatureError, Verified, verify_timestamped};
use crate::validate;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The optional signature header.
pub const SIGNATURE_HEADER: &str = "Teamtailor-Signature";
/// The partner API version every request names.
pub const API_VERSION: &str = "20180828";
/// The JSON:API media type, for `Content-Type` and `Accept`.
pub const MEDIA_TYPE: &str = "application/vnd.api+json";
/// Characters of a partner result's `summary` that Teamtailor shows.
pub const MAX_SUMMARY: usize = 150;

/// Checks `Teamtailor-Signature: t=<unix>,v1=<hex>[,v0=...]`: HMAC-SHA256 of
/// `"<t>.<partner-event id>"` (the event id, not the body) under the
/// integration's secret. Any `v1` may match (secret rotation); other keys
/// (`v0`) are ignored; the comparison is constant-time on the decoded bytes;
/// `t` must lie within `tolerance` seconds (default 300) of `now`, either way.
///
/// The event id comes from the parsed body ([`TeamtailorTrigger::event_id`]):
/// parse first, then verify, then act.
pub fn verify_signature(
    header: Option<&str>,
    partner_event_id: &str,
    secret: &str,
    now: i64,
    tolerance: Option<u32>,
) -> Result<Verified, SignatureError> {
    if !secret.is_empty() && partner_event_id.trim().is_empty() {
        return Err(SignatureError::Malformed("no partner-event id to verify the signature over".into()));
    }
    verify_timestamped(header, "v1", partner_event_id.as_bytes(), secret, now, tolerance)
}

/// Whether `Authorization: Bearer <provider-key>` carries `expected`. Both
/// sides are hashed with SHA-256 before the constant-time comparison, so
/// neither the time nor a length check says anything about the key. The
/// scheme is matched without regard to case; an empty `expected` never passes.
pub fn verify_provider_key(authorization: Option<&str>, expected: &str) -> bool {
    let Some(header) = authorization.map(str::trim) else {
        return false;
    };
    let token = match header.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer ") => header[7..].trim(),
        _ => return false,
    };
    let (given, wanted) = (Sha256::digest(token.as_bytes()), Sha256::digest(expected.as_bytes()));
    !expected.is_empty() && bool::from(given.ct_eq(&wanted))
}

/// A stage trigger, read and minimised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct TeamtailorTrigger {
    /// `partner-event.id`: what the signature covers, and a replay key.
    pub event_id: String,
    /// `partner-event.partner-result.update-url`, checked to be http(s).
    pub update_url: String,
    /// The lens chosen in the dialog, as sent.
    pub lens_id: String,
    /// The locale chosen in the dialog, as sent.
    pub locale: String,
    /// The order: `order_id` is the partner-result id, `tenant` the company's `uuid`.
    pub order: HubOrder,
}

/// The dialog field whose choice names the lens. Teamtailor sends a field's
/// choice back in `webhook-data` under the field's id, with `_` turned into
/// `-` (tt-partner-docs, "Webhook config", Serialization); this id has
/// neither, so it comes back as it is.
pub const LENS_FIELD: &str = "lens";
/// The dialog field whose choice names the invitation locale.
pub const LOCALE_FIELD: &str = "locale";
/// Characters of a dialog error message kept: the dialog shows one line of
/// text, and a runaway message must not bloat the answer.
pub const MAX_CONFIG_MESSAGE: usize = 300;

/// An id: a non-empty string, or a whole number. Teamtailor's partner event
/// sends candidate and job ids as integers (`"id": 12345`) and event and
/// partner-result ids as strings, so both are read, and a number is kept in
/// its decimal form so a redelivery maps to the same order.
fn id(obj: &Object, key: &str, path: &str) -> Result<String, InputError> {
    let v = match obj.get(key) {
        Some(Json::Number(n)) if n.is_u64() || n.is_i64() => format!("{n}"),
        Some(Json::Number(n)) => return Err(InputError::invalid(path, format!("is {n}, not a whole number"))),
        _ => String::from(json::req_str(obj, key, path)?.trim()),
    };
    validate::plain_text(path, &v)?;
    Ok(v)
}

/// A dialog choice from `webhook-data`, reported as `path` when absent. The
/// documented config lets option ids be numbers or strings, and the
/// documented trigger shows choices as strings (`"test": "1"`), so both are
/// read, as for [`id`].
fn choice(data: Option<&Object>, key: &str, path: &str) -> Result<String, InputError> {
    match data {
        Some(data) if !matches!(data.get(key), None | Some(Json::Null)) => id(data, key, path),
        _ => Err(InputError::missing(path)),
    }
}

/// Reads the stage trigger's POST body, as tt-partner-docs ("Webhooks")
/// documents it:
///
/// ```json
/// {"partner-event": {"id": "f3d7e8e2-…",
///    "webhook-data": {"lens": "<lens id>", "locale": "sv-SE"},
///    "partner-result": {"id": "1a6d5a41-…", "status": "sending",
///                       "update-url": "https://api.teamtailor.com/partner/v1/partner-results/1a6d5a41-…"},
///    "candidate": {"id": 54321, "first-name": "…", "last-name": "…", "email": "…",
///                  "job": {"id": 12345, "title": "…", …}, "resume": {"file-name", "url"}, …}},
///  "company": {"uuid": "vAXspNm0J2Y", "name": "…", "url": "…", "logotype": "…"}}
/// ```
///
/// - The tenant is `company.uuid`: the only identifier Teamtailor's company
///   object has, so it is required (`missing("company.uuid")`).
/// - `webhook-data` holds the dialog's choices under the field ids
///   [`config_response`] publishes ([`LENS_FIELD`], [`LOCALE_FIELD`]).
/// - Ids may be strings or whole numbers, wherever they appear.
///
/// Problems are named relative to `partner-event` where that is the wire's
/// own name (`candidate.email`, `partner-result.update-url`), so that
/// [`rejection_text`] can tell the recruiter what to fix; a missing lens is
/// `lens-id`, a missing locale `locale`. Missing names stay empty for
/// [`crate::order::build_order`] to name. Everything else (phone, résumé,
/// answers, status, the rest of `company`) is dropped here, whatever its
/// type or `null`: it is never read.
pub fn parse_trigger(body: &[u8]) -> Result<TeamtailorTrigger, InputError> {
    let top = json::parse_object("the Teamtailor trigger body", body)?;
    let event = json::req_object(&top, "partner-event", "partner-event")?;
    let event_id = id(event, "id", "partner-event.id")?;
    let result = json::req_object(event, "partner-result", "partner-result")?;
    let order_id = id(result, "id", "partner-result.id")?;
    let update_url = validate::http_url(
        "partner-result.update-url",
        json::req_str(result, "update-url", "partner-result.update-url")?,
        true,
    )?;
    let data = match event.get("webhook-data") {
        None | Some(Json::Null) => None,
        Some(Json::Object(o)) => Some(o),
        Some(other) => {
            return Err(InputError::invalid("webhook-data", format!("must be an object, not {}", other.kind())));
        }
    };
    let lens_id = choice(data, LENS_FIELD, "lens-id")?;
    let locale = choice(data, LOCALE_FIELD, "locale")?;
    if locale.contains(':') {
        return Err(InputError::invalid("locale", "is not a locale tag"));
    }
    let candidate = json::req_object(event, "candidate", "candidate")?;
    let job = json::req_object(candidate, "job", "candidate.job")?;
    let tenant = match top.get("company") {
        None | Some(Json::Null) => return Err(InputError::missing("company.uuid")),
        Some(Json::Object(company)) => id(company, "uuid", "company.uuid")?,
        Some(other) => return Err(InputError::invalid("company", format!("must be an object, not {}", other.kind()))),
    };
    let order = HubOrder {
        order_id,
        tenant,
        package_id: package_id(&lens_id, &locale),
        job_id: id(job, "id", "candidate.job.id")?,
        job_title: json::nullable_str(job, "title", "candidate.job.title")?,
        candidate: Candidate {
            email: json::req_str(candidate, "email", "candidate.email")?.into(),
            first_name: json::nullable_str(candidate, "first-name", "candidate.first-name")?,
            last_name: json::nullable_str(candidate, "last-name", "candidate.last-name")?,
        },
        collaborator_emails: Vec::new(),
    };
    Ok(TeamtailorTrigger { event_id, update_url: update_url.into(), lens_id, locale, order })
}

/// One option of a select: `id` comes back in `webhook-data`, `label` is shown.
#[derive(Serialize)]
struct ConfigOption<'a> {
    id: &'a str,
    label: &'a str,
}

/// One field of the dialog. Only the members tt-partner-docs lists for a
/// select (`id`, `label`, `placeholder`, `type`, `options`), or for an
/// `error` field (`type`, `message`, `required`), are written.
#[derive(Serialize)]
#[serde(untagged)]
enum ConfigField<'a> {
    Select {
        id: &'static str,
        label: &'static str,
        placeholder: &'static str,
        r#type: &'static str,
        options: Vec<ConfigOption<'a>>,
    },
    Error {
        r#type: &'static str,
        message: String,
        required: &'static str,
    },
}

#[derive(Serialize)]
struct ConfigFields<'a> {
    fields: Vec<ConfigField<'a>>,
}

#[derive(Serialize)]
struct ConfigDocument<'a> {
    config: ConfigFields<'a>,
}

fn config_body(fields: Vec<ConfigField<'_>>) -> Vec<u8> {
    crate::never_fails(serde_json::to_vec(&ConfigDocument { config: ConfigFields { fields } }), "values serialise")
}

/// The answer to Teamtailor's `GET <partner>/config`, from which it builds
/// the trigger's dialog (tt-partner-docs, "Webhook config"): plain JSON, not
/// JSON:API,
///
/// ```json
/// {"config":{"fields":[
///   {"id":"lens","label":"…","placeholder":"…","type":"select","options":[{"id":"<lens id>","label":"<lens name>"}]},
///   {"id":"locale","label":"…","placeholder":"…","type":"select","options":[{"id":"sv-SE","label":"Swedish"}]}]}}
/// ```
///
/// The option ids are what [`parse_trigger`] reads back from `webhook-data`.
/// A catalog without a lens or without a locale would give a select nobody
/// can answer, so it becomes [`config_error_response`] saying so instead.
pub fn config_response(catalog: &Catalog) -> Vec<u8> {
    if catalog.lenses.is_empty() || catalog.locales.is_empty() {
        return config_error_response(
            "Assessio lists no assessment or no language for your organisation yet. \
             Ask your Assessio contact to set up your lenses, then set up this trigger again.",
        );
    }
    let select =
        |id, label, placeholder, options| ConfigField::Select { id, label, placeholder, r#type: "select", options };
    let lenses = catalog.lenses.iter().map(|l| ConfigOption { id: &l.id, label: &l.name }).collect();
    let locales = catalog.locales.iter().map(|l| ConfigOption { id: l, label: locale_name(l) }).collect();
    config_body(alloc::vec![
        select(LENS_FIELD, "Recruitment Lens", "Select a lens", lenses),
        select(LOCALE_FIELD, "Language Locale", "Select the candidate's language", locales),
    ])
}

/// The configuration answer when no dialog can be offered: one documented
/// `error` field (tt-partner-docs, "Webhook config", Error:
/// `{"type":"error","message":…,"required":"true"}`, `required` written as
/// the documented example writes it), which Teamtailor renders as a red
/// alert in place of the form. That is how a recruiter learns why the
/// trigger cannot be set up; a non-200 answer would show nothing useful.
///
/// `message` should be a sentence for a recruiter, never a secret; control
/// characters become spaces and it is clipped to [`MAX_CONFIG_MESSAGE`]
/// characters. An empty message gets a generic one.
pub fn config_error_response(message: &str) -> Vec<u8> {
    let cleaned: String = message.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let message = match validate::clip(&cleaned, MAX_CONFIG_MESSAGE) {
        m if m.is_empty() => String::from("Assessio cannot be set up for this trigger right now."),
        m => m,
    };
    config_body(alloc::vec![ConfigField::Error { r#type: "error", message, required: "true" }])
}

/// A partner result's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartnerStatus {
    /// Being sent to Assessio.
    Sending,
    /// Placed in Assessio; the candidate is invited.
    Sent,
    /// Waiting on the candidate.
    Pending,
    /// The result is in.
    Completed,
    /// Could not be placed; the summary says why.
    Failed,
}

impl PartnerStatus {
    /// The status on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

/// Subscores as a JSON object, in Assessio's order (a `serde_json` map
/// without `std` would sort them). A name seen before gets ` (2)`, ` (3)`….
struct Details<'a>(&'a AssessmentResult);

impl Serialize for Details<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seen: Vec<String> = Vec::new();
        let mut map = serializer.serialize_map(Some(self.0.subscores.len()))?;
        for s in &self.0.subscores {
            let mut key = s.name.clone();
            let mut n = 1;
            while seen.contains(&key) {
                n += 1;
                key = format!("{} ({n})", s.name);
            }
            map.serialize_entry(&key, &s.score)?;
            seen.push(key);
        }
        map.end()
    }
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct Score {
    score: u8,
}

#[derive(Serialize)]
struct Attributes<'a> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assessment: Option<Score>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Details<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attachments: Option<Vec<Attachment<'a>>>,
}

#[derive(Serialize)]
struct Resource<'a> {
    r#type: &'static str,
    id: &'a str,
    attributes: Attributes<'a>,
}

#[derive(Serialize)]
struct Document<'a> {
    data: Resource<'a>,
}

/// The partner-result id: the update URL's last path segment (query and
/// fragment ignored), as in `…/partner/v1/partner-results/{id}`.
fn result_id(update_url: &str) -> Result<&str, InputError> {
    let url = validate::http_url("update-url", update_url, true)?;
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let after_scheme = path.split_once("://").map_or(path, |(_, rest)| rest);
    let segment = after_scheme.split_once('/').and_then(|(_, p)| p.trim_end_matches('/').rsplit('/').next());
    match segment {
        Some(s) if !s.is_empty() => validate::header_token("update-url", s),
        _ => Err(InputError::invalid("update-url", "does not end in a partner-result id")),
    }
}

fn write_request<'a>(
    update_url: &str,
    api_key: &str,
    id: &'a str,
    attributes: Attributes<'a>,
) -> Result<HttpRequest, InputError> {
    let key = validate::header_token("teamtailor.api-key", api_key)?;
    let body = Document { data: Resource { r#type: "partner-results", id, attributes } };
    Ok(HttpRequest {
        method: Method::Put,
        url: String::from(update_url.trim()),
        headers: alloc::vec![
            // hub-apis.md: `Authorization: Token <key>`. Teamtailor's public
            // API writes `Token token=<key>`; change here if the partner API does.
            Header::new("Authorization", format!("Token {key}")),
            Header::new("X-Api-Version", API_VERSION),
            Header::new("Content-Type", MEDIA_TYPE),
            Header::new("Accept", MEDIA_TYPE),
        ],
        body: crate::never_fails(serde_json::to_vec(&body), "values serialise"),
    })
}

/// `Assessio <score>/100 — strongest: <top subscore>`, clipped to
/// [`MAX_SUMMARY`] characters. The top subscore is the highest, the first on
/// a tie.
fn summary(result: &AssessmentResult) -> String {
    let mut s = match result.score {
        Some(score) => format!("Assessio {score}/100"),
        None => String::from("Assessio assessment completed"),
    };
    let top = result.subscores.iter().fold(None, |best: Option<&crate::result::Subscore>, s| match best {
        Some(b) if b.score >= s.score => Some(b),
        _ => Some(s),
    });
    if let Some(top) = top {
        s.push_str(" — strongest: ");
        s.push_str(&top.name);
    }
    // `clip` adds an ellipsis after `max` characters.
    validate::clip(&s, MAX_SUMMARY - 1)
}

/// `PUT <update-url>` with the result: status `completed`, the summary, the
/// report as `url` (the recruitment page when there is no report), the score
/// as `assessment.score`, subscores in `details` (one level: name → score),
/// and the report and recruitment page as `attachments`. Members without a
/// value are left out.
pub fn result_request(update_url: &str, api_key: &str, result: &AssessmentResult) -> Result<HttpRequest, InputError> {
    let id = result_id(update_url)?;
    let report = result.report_url.as_deref();
    let recruitment = result.recruitment_url.as_deref();
    let mut attachments = Vec::new();
    if let Some(url) = report {
        attachments.push(Attachment { url, description: "Assessio report" });
    }
    if let Some(url) = recruitment {
        attachments.push(Attachment { url, description: "Recruitment in Assessio" });
    }
    let attributes = Attributes {
        status: PartnerStatus::Completed.as_str(),
        summary: Some(summary(result)),
        url: report.or(recruitment),
        assessment: result.score.map(|score| Score { score }),
        details: (!result.subscores.is_empty()).then_some(Details(result)),
        attachments: (!attachments.is_empty()).then_some(attachments),
    };
    write_request(update_url, api_key, id, attributes)
}

/// `PUT <update-url>` with a status only. `reason` becomes the `summary`
/// (clipped to [`MAX_SUMMARY`] characters) whatever the status; `failed`
/// without a reason gets a generic one, since Teamtailor shows it.
pub fn progress_request(
    update_url: &str,
    api_key: &str,
    status: PartnerStatus,
    reason: Option<&str>,
) -> Result<HttpRequest, InputError> {
    let id = result_id(update_url)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let reason = match (status, reason) {
        (_, Some(r)) => Some(r),
        (PartnerStatus::Failed, None) => Some("The Assessio assessment could not be sent."),
        _ => None,
    };
    let attributes = Attributes {
        status: status.as_str(),
        summary: reason.map(|r| validate::clip(r, MAX_SUMMARY - 1)),
        url: None,
        assessment: None,
        details: None,
        attachments: None,
    };
    write_request(update_url, api_key, id, attributes)
}

/// What Teamtailor's answer to a `PUT` on a partner result means: 2xx
/// written; 408, 429 and 5xx worth retrying; anything else refused for good.
/// A JSON:API error body (`{"errors": [{"detail"|"title"}]}`) gives the
/// message, clipped; otherwise the status names it.
pub fn interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome {
    if (200..300).contains(&status) {
        return WriteOutcome::Written;
    }
    let detail = json::parse_object("body", body).ok().and_then(|top| match top.get("errors") {
        Some(Json::Array(errors)) => errors.iter().find_map(|e| match e {
            Json::Object(e) => ["detail", "title"].iter().find_map(|k| match e.get(k) {
                Some(Json::String(m)) if !m.trim().is_empty() => Some(validate::clip(m.trim(), 300)),
                _ => None,
            }),
            _ => None,
        }),
        _ => None,
    });
    let message = detail.unwrap_or_else(|| format!("Teamtailor answered HTTP {status}"));
    let r = crate::response::Rejection { status, message };
    if matches!(status, 408 | 429) || status >= 500 { WriteOutcome::RetryLater(r) } else { WriteOutcome::Failed(r) }
}

/// The plain-text body of a >= 400 answer to a trigger, which Teamtailor
/// shows to the recruiter (it does not retry).
pub fn rejection_text(e: &InputError) -> String {
    recruiter_message(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lenses::Lens;
    use crate::result::Subscore;
    use serde_json::json;

    #[test]
    fn teamtailors_answers_to_a_write_are_classified_with_its_message() {
        use crate::response::Rejection;
        assert_eq!(interpret_write_response(200, b""), WriteOutcome::Written);
        let body = br#"{"errors":[{"status":"422","title":"Invalid","detail":"summary is too long"}]}"#;
        assert_eq!(
            interpret_write_response(422, body),
            WriteOutcome::Failed(Rejection { status: 422, message: "summary is too long".into() })
        );
        let title_only = br#"{"errors":[{"title":"Not Found"}]}"#;
        assert_eq!(
            interpret_write_response(404, title_only),
            WriteOutcome::Failed(Rejection { status: 404, message: "Not Found".into() })
        );
        for transient in [408, 429, 500, 503] {
            assert!(
                matches!(interpret_write_response(transient, b"<html>"), WriteOutcome::RetryLater(_)),
                "{transient}"
            );
        }
        assert_eq!(
            interpret_write_response(401, b"not json"),
            WriteOutcome::Failed(Rejection { status: 401, message: "Teamtailor answered HTTP 401".into() })
        );
    }

    /// Computed independently of this crate, and agreed by both:
    /// Python: `hmac.new(b"secret", b"1700000000.evt-1", hashlib.sha256).hexdigest()`;
    /// OpenSSL: `printf '1700000000.evt-1' | openssl dgst -sha256 -hmac secret`.
    const KNOWN: &str = "8d9526719828c5e3f672b16eeef6c063000ad2e61f971d828036fa579ed93d45";
    const T: i64 = 1_700_000_000;

    /// A full trigger, shaped as tt-partner-docs ("Webhooks") documents it:
    /// integer candidate and job ids, the company by `uuid`, the résumé as an
    /// object; with extras a minimiser must drop.
    const FULL: &str = r#"{
      "partner-event": {
        "id": "evt-1",
        "webhook-data": {"lens": "7922dd91-1b44-43e4-a740-7c4d9c2fba41", "locale": "sv-SE"},
        "partner-result": {"id": "pr-42", "status": "sending",
                           "update-url": "https://api.teamtailor.com/partner/v1/partner-results/pr-42"},
        "candidate": {"id": 991, "uuid": "092fba68-496c-4d44-9821-3496be2631ea",
                      "first-name": "Ada", "last-name": "Lovelace", "email": "ada@example.com",
                      "phone": "+46 70 000 00 00", "resume": {"file-name": "cv.pdf", "url": "https://x.example/cv.pdf"},
                      "job": {"id": 12345, "title": "Engineer", "stage-id": 1, "stage": "Interview",
                              "trigger-id": 7, "triggered-by": {"id": 31, "email": "r@x.io", "name": "Rec"}}}
      },
      "company": {"uuid": "vAXspNm0J2Y", "name": "Acme AB", "url": "https://career.acme.example",
                  "logotype": "https://img.example/acme.png"}
    }"#;

    fn result() -> AssessmentResult {
        crate::hubs::sample_result()
    }

    const URL: &str = "https://api.teamtailor.com/partner/v1/partner-results/pr-42";

    #[test]
    fn known_answer_verifies_with_tolerance_both_ways() {
        let h = format!("t={T},v1={KNOWN}");
        let at = |now| verify_signature(Some(&h), "evt-1", "secret", now, None);
        assert_eq!(at(T), Ok(Verified { signed_at: T }));
        assert!(at(T + 300).is_ok());
        assert!(at(T - 300).is_ok());
        assert_eq!(at(T + 301), Err(SignatureError::Expired(301)));
        assert_eq!(at(T - 301), Err(SignatureError::FromFuture(301)));
        assert!(verify_signature(Some(&h), "evt-1", "secret", T + 1000, Some(1000)).is_ok());
        // The event id is what is signed, not the body.
        assert_eq!(verify_signature(Some(&h), "evt-2", "secret", T, None), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(Some(&h), "evt-1", "Secret", T, None), Err(SignatureError::Mismatch));
    }

    #[test]
    fn any_v1_may_match_and_v0_is_ignored() {
        let other = "0".repeat(64);
        let h = format!("t={T}, v0=old-scheme, v1={other},v1={}", KNOWN.to_uppercase());
        assert!(verify_signature(Some(&h), "evt-1", "secret", T, None).is_ok());
        let only_v0 = format!("t={T},v0={KNOWN}");
        assert_eq!(
            verify_signature(Some(&only_v0), "evt-1", "secret", T, None),
            Err(SignatureError::Malformed("no `v1=` entry".into()))
        );
        let only_other = format!("t={T},v1={other}");
        assert_eq!(verify_signature(Some(&only_other), "evt-1", "secret", T, None), Err(SignatureError::Mismatch));
    }

    #[test]
    fn malformed_signature_headers_are_typed_errors() {
        let m = |why: &str| Err(SignatureError::Malformed(why.into()));
        let v = |h: &str| verify_signature(Some(h), "evt-1", "secret", T, None);
        assert_eq!(v(&format!("v1={KNOWN}")), m("no `t=` timestamp"));
        assert_eq!(v(&format!("t={T},v1=abc")), m("a `v1` is not 64 hex digits"));
        assert_eq!(v(&format!("t={T},v1={}", "z".repeat(64))), m("a `v1` is not 64 hex digits"));
        assert_eq!(v(&format!("t=x,v1={KNOWN}")), m("`t` is not a whole number of seconds"));
        assert_eq!(v(&format!("t={T},,v1={KNOWN}")), m("an empty element between commas"));
        assert_eq!(v(&format!("t={T},junk,v1={KNOWN}")), m("an element without `=`"));
        assert_eq!(verify_signature(None, "evt-1", "secret", T, None), Err(SignatureError::Missing));
        assert_eq!(verify_signature(Some(" "), "evt-1", "secret", T, None), Err(SignatureError::Missing));
        assert_eq!(verify_signature(Some("t=1"), "evt-1", "", T, None), Err(SignatureError::NoSecret));
        assert!(matches!(
            verify_signature(Some(&format!("t={T},v1={KNOWN}")), " ", "secret", T, None),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn provider_key_is_a_bearer_token() {
        assert!(verify_provider_key(Some("Bearer pk_1"), "pk_1"));
        assert!(verify_provider_key(Some("bearer  pk_1 "), "pk_1"));
        assert!(!verify_provider_key(Some("Bearer pk_2"), "pk_1"));
        assert!(!verify_provider_key(Some("Token pk_1"), "pk_1"));
        assert!(!verify_provider_key(Some("pk_1"), "pk_1"));
        assert!(!verify_provider_key(None, "pk_1"));
        assert!(!verify_provider_key(Some("Bearer "), ""));
    }

    #[test]
    fn reads_a_full_trigger() {
        let t = parse_trigger(FULL.as_bytes()).unwrap();
        assert_eq!(t.event_id, "evt-1");
        assert_eq!(t.update_url, URL);
        assert_eq!(t.lens_id, "7922dd91-1b44-43e4-a740-7c4d9c2fba41");
        assert_eq!(t.locale, "sv-SE");
        assert_eq!(
            t.order,
            HubOrder {
                order_id: "pr-42".into(),
                tenant: "vAXspNm0J2Y".into(),
                package_id: "7922dd91-1b44-43e4-a740-7c4d9c2fba41:sv-SE".into(),
                job_id: "12345".into(),
                job_title: "Engineer".into(),
                candidate: Candidate {
                    email: "ada@example.com".into(),
                    first_name: "Ada".into(),
                    last_name: "Lovelace".into(),
                },
                collaborator_emails: Vec::new(),
            }
        );
    }

    #[test]
    fn nothing_beyond_the_order_is_kept() {
        let t = parse_trigger(FULL.as_bytes()).unwrap();
        let kept = serde_json::to_string(&t).unwrap();
        for dropped in ["+46", "cv.pdf", "092fba68", "r@x.io", "Acme", "career", "991", "sending", "Interview"] {
            assert!(!kept.contains(dropped), "{dropped} kept in {kept}");
        }
    }

    #[test]
    fn missing_names_stay_empty_for_the_order_to_name() {
        let body = FULL.replace(r#""first-name": "Ada", "last-name": "Lovelace","#, r#""first-name": null,"#);
        let t = parse_trigger(body.as_bytes()).unwrap();
        assert_eq!((t.order.candidate.first_name.as_str(), t.order.candidate.last_name.as_str()), ("", ""));
        let e = crate::order::build_order(
            &crate::Account {
                environment: crate::Environment::Sandbox,
                provider_key: "pk".into(),
                integrator_secret: None,
            },
            &t.order.order_details("teamtailor", &t.lens_id, &t.locale, "https://gw.example/results"),
            crate::OrderEndpoint::Order,
            T,
        )
        .unwrap_err();
        assert!(rejection_text(&e).contains("no first name"), "{}", rejection_text(&e));
    }

    #[test]
    fn integer_ids_are_read_wherever_ids_appear() {
        let body = FULL
            .replace(r#""id": "evt-1""#, r#""id": 77"#)
            .replace(r#""id": "pr-42""#, r#""id": 42"#)
            .replace(r#""lens": "7922dd91-1b44-43e4-a740-7c4d9c2fba41""#, r#""lens": 3"#)
            .replace(r#""uuid": "vAXspNm0J2Y""#, r#""uuid": 5"#);
        let t = parse_trigger(body.as_bytes()).unwrap();
        assert_eq!((t.event_id.as_str(), t.order.order_id.as_str()), ("77", "42"));
        assert_eq!((t.lens_id.as_str(), t.order.package_id.as_str()), ("3", "3:sv-SE"));
        assert_eq!((t.order.job_id.as_str(), t.order.tenant.as_str()), ("12345", "5"));
        let fraction = FULL.replace(r#""id": 12345"#, r#""id": 1.5"#);
        assert!(
            matches!(parse_trigger(fraction.as_bytes()), Err(InputError::Invalid(p)) if p.field == "candidate.job.id")
        );
    }

    #[test]
    fn the_tenant_is_the_company_uuid_and_nothing_else() {
        let company = r#""company": {"uuid": "vAXspNm0J2Y", "name": "Acme AB", "url": "https://career.acme.example",
                  "logotype": "https://img.example/acme.png"}"#;
        assert!(FULL.contains(company));
        let missing = InputError::missing("company.uuid");
        for replaced in [
            r#""company": {}"#,
            r#""company": {"id": "c-1", "name": "Acme AB"}"#,
            r#""company": {"uuid": null, "name": null, "url": null, "logotype": null}"#,
            r#""company": {"uuid": "  "}"#,
            r#""company": null"#,
        ] {
            assert_eq!(parse_trigger(FULL.replace(company, replaced).as_bytes()), Err(missing.clone()), "{replaced}");
        }
        let without = FULL.replace(&format!(",\n      {company}"), "");
        assert_eq!(parse_trigger(without.as_bytes()), Err(missing));
        let odd = FULL.replace(company, r#""company": "Acme""#);
        assert!(matches!(parse_trigger(odd.as_bytes()), Err(InputError::Invalid(p)) if p.field == "company"));
        // The rest of the company may be null: it is never read.
        let bare = FULL.replace(company, r#""company": {"uuid": "u-9", "name": null, "url": null, "logotype": null}"#);
        assert_eq!(parse_trigger(bare.as_bytes()).unwrap().order.tenant, "u-9");
    }

    #[test]
    fn missing_or_bad_fields_are_named() {
        let no_lens = FULL.replace(r#""lens": "7922dd91-1b44-43e4-a740-7c4d9c2fba41", "#, "");
        let e = parse_trigger(no_lens.as_bytes()).unwrap_err();
        assert_eq!(e, InputError::missing("lens-id"));
        assert_eq!(
            rejection_text(&e),
            "Assessio could not be ordered: the chosen assessment package is not one Assessio offers."
        );
        let no_data =
            FULL.replace(r#""webhook-data": {"lens": "7922dd91-1b44-43e4-a740-7c4d9c2fba41", "locale": "sv-SE"},"#, "");
        assert_eq!(parse_trigger(no_data.as_bytes()), Err(InputError::missing("lens-id")));
        let no_locale = FULL.replace(r#", "locale": "sv-SE""#, "");
        assert_eq!(parse_trigger(no_locale.as_bytes()), Err(InputError::missing("locale")));
        let no_email = FULL.replace(r#""email": "ada@example.com","#, "");
        let e = parse_trigger(no_email.as_bytes()).unwrap_err();
        assert_eq!(e, InputError::missing("candidate.email"));
        assert!(rejection_text(&e).contains("email address"));
        let bad_url = FULL.replace("https://api.teamtailor.com", "ftp://api.teamtailor.com");
        assert!(
            matches!(parse_trigger(bad_url.as_bytes()), Err(InputError::Invalid(p)) if p.field == "partner-result.update-url")
        );
        assert!(matches!(parse_trigger(b"[]"), Err(InputError::Malformed(_))));
        assert_eq!(parse_trigger(b"{}"), Err(InputError::missing("partner-event")));
    }

    #[test]
    fn config_is_the_documented_dialog_with_lens_and_locale_selects() {
        let catalog = Catalog {
            lenses: alloc::vec![
                Lens { id: "l1".into(), name: "General Performance".into() },
                Lens { id: "l2".into(), name: "Sales".into() },
            ],
            locales: alloc::vec!["sv-SE".into(), "xx-YY".into()],
        };
        let body = config_response(&catalog);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            json!({"config": {"fields": [
                {"id": "lens", "label": "Recruitment Lens", "placeholder": "Select a lens", "type": "select",
                 "options": [{"id": "l1", "label": "General Performance"}, {"id": "l2", "label": "Sales"}]},
                {"id": "locale", "label": "Language Locale", "placeholder": "Select the candidate's language",
                 "type": "select", "options": [{"id": "sv-SE", "label": "Swedish"}, {"id": "xx-YY", "label": "xx-YY"}]},
            ]}})
        );
        // The option ids come back in `webhook-data` under the field ids, and are read.
        let chosen = FULL.replace("7922dd91-1b44-43e4-a740-7c4d9c2fba41", "l2").replace("sv-SE", "xx-YY");
        let t = parse_trigger(chosen.as_bytes()).unwrap();
        assert_eq!((t.lens_id.as_str(), t.locale.as_str()), ("l2", "xx-YY"));
    }

    #[test]
    fn config_errors_are_one_documented_error_field() {
        let v = |b: Vec<u8>| serde_json::from_slice::<serde_json::Value>(&b).unwrap();
        assert_eq!(
            v(config_error_response("Assessio could not be reached.")),
            json!({"config": {"fields": [{"type": "error", "message": "Assessio could not be reached.", "required": "true"}]}})
        );
        let long = v(config_error_response(&format!("a\r\nb {}", "x".repeat(1000))));
        let message = long["config"]["fields"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("a  b x") && message.ends_with('…'), "{message}");
        assert_eq!(message.chars().count(), MAX_CONFIG_MESSAGE + 1);
        assert!(!v(config_error_response(" ")).to_string().contains(r#""message":"""#));
        // A catalog nobody can choose from is an error, not an empty select.
        for catalog in [
            Catalog { lenses: alloc::vec![], locales: alloc::vec!["sv-SE".into()] },
            Catalog { lenses: alloc::vec![Lens { id: "l".into(), name: "L".into() }], locales: alloc::vec![] },
        ] {
            let fields = &v(config_response(&catalog))["config"]["fields"];
            assert_eq!((fields.as_array().unwrap().len(), fields[0]["type"].as_str()), (1, Some("error")));
        }
    }

    #[test]
    fn result_request_is_exact() {
        let r = result_request(URL, "tt_key", &result()).unwrap();
        assert_eq!(r.method, Method::Put);
        assert_eq!(r.url, URL);
        assert_eq!(r.header("Authorization"), Some("Token tt_key"));
        assert_eq!(r.header("X-Api-Version"), Some("20180828"));
        assert_eq!(r.header("Content-Type"), Some("application/vnd.api+json"));
        assert_eq!(r.header("Accept"), Some("application/vnd.api+json"));
        assert_eq!(
            core::str::from_utf8(&r.body).unwrap(),
            concat!(
                r#"{"data":{"type":"partner-results","id":"pr-42","attributes":{"status":"completed","#,
                r#""summary":"Assessio 71/100 — strongest: Driving Leadership","#,
                r#""url":"https://app.assessio.online/rep/2","assessment":{"score":71},"#,
                r#""details":{"Driving Leadership":73,"Influencing & Inspiring":68},"#,
                r#""attachments":[{"url":"https://app.assessio.online/rep/2","description":"Assessio report"},"#,
                r#"{"url":"https://app.assessio.online/r/1","description":"Recruitment in Assessio"}]}}}"#
            )
        );
    }

    fn depth(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
            serde_json::Value::Array(a) => a.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    #[test]
    fn summary_is_clipped_and_details_stay_shallow() {
        let mut r = result();
        r.subscores.push(Subscore { name: "Ö".repeat(400), score: 99.into() });
        r.subscores.push(Subscore { name: "Driving Leadership".into(), score: 1.into() });
        let req = result_request(URL, "k", &r).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        let attrs = &v["data"]["attributes"];
        let summary = attrs["summary"].as_str().unwrap();
        assert!(summary.chars().count() <= MAX_SUMMARY, "{}", summary.chars().count());
        assert!(summary.starts_with("Assessio 71/100 — strongest: ÖÖ") && summary.ends_with('…'));
        assert!(depth(&attrs["details"]) <= 2);
        assert_eq!(attrs["details"]["Driving Leadership (2)"], 1);
        r.score = None;
        r.subscores.clear();
        r.report_url = None;
        let v: serde_json::Value = serde_json::from_slice(&result_request(URL, "k", &r).unwrap().body).unwrap();
        assert_eq!(
            v["data"]["attributes"],
            json!({
                "status": "completed",
                "summary": "Assessio assessment completed",
                "url": "https://app.assessio.online/r/1",
                "attachments": [{ "url": "https://app.assessio.online/r/1", "description": "Recruitment in Assessio" }],
            })
        );
    }

    #[test]
    fn progress_requests_carry_status_and_reason() {
        let r = progress_request(&format!("{URL}/?x=1"), "k", PartnerStatus::Sent, None).unwrap();
        assert_eq!(
            core::str::from_utf8(&r.body).unwrap(),
            r#"{"data":{"type":"partner-results","id":"pr-42","attributes":{"status":"sent"}}}"#
        );
        let long = "x".repeat(500);
        let r = progress_request(URL, "k", PartnerStatus::Failed, Some(&long)).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["data"]["attributes"]["status"], "failed");
        assert_eq!(v["data"]["attributes"]["summary"].as_str().unwrap().chars().count(), MAX_SUMMARY);
        let r = progress_request(URL, "k", PartnerStatus::Failed, None).unwrap();
        assert!(
            core::str::from_utf8(&r.body)
                .unwrap()
                .contains(r#""summary":"The Assessio assessment could not be sent.""#)
        );
        for s in [PartnerStatus::Sending, PartnerStatus::Pending, PartnerStatus::Completed] {
            let r = progress_request(URL, "k", s, None).unwrap();
            assert!(core::str::from_utf8(&r.body).unwrap().contains(&format!(r#""status":"{}""#, s.as_str())));
        }
    }

    #[test]
    fn bad_urls_and_keys_are_refused() {
        let r = result();
        assert!(
            matches!(result_request("https://api.teamtailor.com", "k", &r), Err(InputError::Invalid(p)) if p.field == "update-url")
        );
        assert!(matches!(result_request("https://api.teamtailor.com/", "k", &r), Err(InputError::Invalid(_))));
        assert!(matches!(result_request("javascript:x", "k", &r), Err(InputError::Invalid(_))));
        assert_eq!(result_request(URL, "", &r), Err(InputError::missing("teamtailor.api-key")));
        assert!(matches!(progress_request(URL, "a\r\nX: y", PartnerStatus::Sent, None), Err(InputError::Invalid(_))));
    }
}
