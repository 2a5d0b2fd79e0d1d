//! Kombo's unified ATS-assessment API (seed 004, `shared/docs/hub-apis.md`).
//!
//! Kombo sends `assessment:order-received` webhooks signed with
//! `X-Kombo-Signature` (HMAC-SHA256 of the raw body, base64url without
//! padding), takes the published packages, lists open orders, and takes the
//! result write-back. All of it is built and read here; the host only sends.
//!
//! Orders are read as Kombo's published API schema (`openapi.json` on
//! docs.kombo.dev, version 3.1.0) defines them, not as one example shows them: the
//! webhook is `{"id", "type", "data"}`; in `data` only `id`, `package_id`,
//! `status`, `integration_id` and the candidate's `email` are non-null
//! strings, and the candidate's names and phone, `application.remote_id`,
//! every job field but `hiring_team` (`remote_id`, `name`, `job_code`,
//! `description`, `location`) and every hiring team field but its roles may
//! be `null`. So a job without an ATS id is normal, and its Assessio
//! recruitment is keyed by what the ATS does give (see `job_key`: job id,
//! else job code, else job name within the integration, else the order).
//! An event that verifies but cannot become an order at all (it breaks that
//! schema) gets a message for the recruiter ([`unreadable_order_message`]),
//! which the host sends as Kombo's 422 rejection ([`rejection_body`]).

pub use super::WriteOutcome;
use super::{HubOrder, percent_encode};
use crate::error::{InputError, indexed};
use crate::http::{Header, HttpRequest, Method};
use crate::json::{self, Json, Object};
use crate::lenses::Catalog;
use crate::response::Rejection;
use crate::result::{AssessmentResult, SubscoreValue};
use crate::signature::SignatureError;
use crate::{time, validate};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The webhook signature header.
pub const SIGNATURE_HEADER: &str = "X-Kombo-Signature";
/// The event type of an order.
pub const ORDER_RECEIVED: &str = "assessment:order-received";
/// Kombo's largest page.
pub const MAX_PAGE_SIZE: u8 = 250;

/// Where and as whom to call Kombo for one customer's integration.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct KomboApi {
    /// `https://api.kombo.dev/v1`, the US one, or a simulator.
    pub base_url: String,
    /// Sent as `Authorization: Bearer`.
    pub api_key: String,
    /// Sent as `X-Integration-Id`.
    pub integration_id: String,
}

impl core::fmt::Debug for KomboApi {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KomboApi")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("integration_id", &self.integration_id)
            .finish()
    }
}

impl KomboApi {
    fn request(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<HttpRequest, InputError> {
        let key = validate::header_token("kombo.api-key", &self.api_key)?;
        let integration = validate::header_token("kombo.integration-id", &self.integration_id)?;
        let hub_headers =
            [Header::new("Authorization", format!("Bearer {key}")), Header::new("X-Integration-Id", integration)];
        super::api_request(method, ("kombo.base-url", &self.base_url), path, hub_headers, body)
    }
}

/// Checks `X-Kombo-Signature` over the raw body. Several signatures,
/// separated by commas or spaces, are accepted (any match wins), for secret
/// rotation. Kombo signs no timestamp, so replays are caught by idempotency,
/// not here.
pub fn verify_webhook(header: Option<&str>, body: &[u8], secret: &str) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.map(str::trim).unwrap_or_default();
    if header.is_empty() {
        return Err(SignatureError::Missing);
    }
    if header.len() > 4096 {
        return Err(SignatureError::Malformed("longer than 4 KiB".into()));
    }
    let mut mac =
        crate::never_fails(<Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()), "HMAC takes any key");
    mac.update(body);
    let expected: [u8; 32] = mac.finalize().into_bytes().into();
    let mut matched = subtle::Choice::from(0);
    for candidate in header.split([',', ' ']).filter(|s| !s.is_empty()) {
        let decoded = URL_SAFE_NO_PAD.decode(candidate.trim_end_matches('='));
        match decoded {
            Ok(raw) if raw.len() == 32 => matched |= raw.ct_eq(&expected),
            _ => return Err(SignatureError::Malformed("a signature is not a base64url HMAC-SHA256".into())),
        }
    }
    if bool::from(matched) { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// A Kombo order event, read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OrderEvent {
    /// The envelope's event id, when the envelope was sent.
    pub event_id: Option<String>,
    /// `OPEN`, `COMPLETED`, `CANCELLED` or `REJECTED`.
    pub status: String,
    /// The order, minimised.
    pub order: HubOrder,
}

/// Reads a JSON member that Kombo documents as a nullable string: absent,
/// `null` or blank all mean "not given".
fn given<'a>(o: &'a Object, key: &str, path: &str) -> Result<Option<&'a str>, InputError> {
    match o.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.trim()).filter(|t| !t.is_empty())),
        Some(other) => Err(InputError::invalid(path, format!("must be a string or null, not {}", other.kind()))),
    }
}

/// The key of an order's job, from which the Assessio recruitment id is
/// derived (`ids::stable_id("recruitment", ["kombo:<integration>", key])`),
/// so that every candidate ordered for one job lands in one Assessio
/// recruitment. Kombo's API schema makes every job field nullable, so the key
/// falls back in this order:
///
/// 1. `job.remote_id`, as it is: the ATS's id for the job. Unchanged from
///    before, so recruitments created earlier keep their ids.
/// 2. `job-code:<job.job_code>`: the human-readable requisition code, which
///    ATSs keep per job.
/// 3. `job-name:<job.name>`: the job title, within the integration. Two
///    different jobs with the same title then share one Assessio
///    recruitment; that is the price of an ATS that names no job otherwise.
/// 4. `order:<order id>`: the order alone, a recruitment of its own (such an
///    order also has no job name, so `build-order` refuses it for
///    `recruitment.title`, with a reason the recruiter sees).
///
/// The prefixes keep a job code or title from colliding with another job's
/// remote id in practice (an ATS id would have to start with `job-code:`).
fn job_key(job: &Object, order_id: &str, p: &dyn Fn(&str) -> String) -> Result<String, InputError> {
    if let Some(id) = given(job, "remote_id", &p("job.remote_id"))? {
        return Ok(String::from(id));
    }
    if let Some(code) = given(job, "job_code", &p("job.job_code"))? {
        return Ok(format!("job-code:{code}"));
    }
    if let Some(name) = given(job, "name", &p("job.name"))? {
        return Ok(format!("job-name:{name}"));
    }
    Ok(format!("order:{order_id}"))
}

/// Where an order object comes from: the webhook's `data` (which carries
/// `integration_id`) or a page of `GET /assessment/orders` (whose results do
/// not: the page belongs to the integration named in `X-Integration-Id`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Webhook,
    OpenOrders,
}

/// Reads one order object. Follows Kombo's published API schema
/// (`components.schemas.AssessmentOrderReceivedWebhookPayload` and
/// `GetAssessmentOrdersPositiveResponse`): `id`, `package_id`, `status` and
/// the candidate's `email` are strings; the candidate's names, every job
/// field but `hiring_team`, and every hiring team field but its roles are
/// nullable. A nullable field that is `null`, absent or blank is "not given";
/// a name that is not given stays empty here, so `build-order` names it.
fn read_order(o: &Object, prefix: &str, source: Source) -> Result<(String, HubOrder), InputError> {
    let p = |k: &str| format!("{prefix}{k}");
    let order_id = json::req_str(o, "id", &p("id"))?;
    let tenant = match source {
        Source::Webhook => json::req_str(o, "integration_id", &p("integration_id"))?,
        Source::OpenOrders => given(o, "integration_id", &p("integration_id"))?.unwrap_or_default(),
    };
    let package_id = json::req_str(o, "package_id", &p("package_id"))?;
    let status = given(o, "status", &p("status"))?.unwrap_or("OPEN");
    let candidate = json::req_object(o, "candidate", &p("candidate"))?;
    let email = json::req_str(candidate, "email", &p("candidate.email"))?;
    // The job is documented as required; an absent or null one reads as a
    // job with nothing given, so the order is refused for its missing name.
    let empty = Object::default();
    let job = match o.get("job") {
        None | Some(Json::Null) => &empty,
        Some(Json::Object(j)) => j,
        Some(other) => {
            return Err(InputError::invalid(p("job"), format!("must be an object, not {}", other.kind())));
        }
    };
    let mut collaborators = Vec::new();
    match job.get("hiring_team") {
        None | Some(Json::Null) => {}
        Some(Json::Array(team)) => {
            for (i, member) in team.iter().enumerate() {
                let at = indexed(&p("job.hiring_team"), i);
                let Json::Object(m) = member else {
                    return Err(InputError::invalid(at, "must be an object"));
                };
                if let Some(email) = given(m, "email", &format!("{at}.email"))? {
                    collaborators.push(String::from(email));
                }
            }
        }
        Some(other) => {
            return Err(InputError::invalid(p("job.hiring_team"), format!("must be an array, not {}", other.kind())));
        }
    }
    let name = |obj: &Object, key: &str, path: &str| given(obj, key, &p(path)).map(|v| String::from(v.unwrap_or("")));
    let order = HubOrder {
        job_id: job_key(job, order_id, &p)?,
        order_id: order_id.into(),
        tenant: tenant.into(),
        package_id: package_id.into(),
        job_title: name(job, "name", "job.name")?,
        candidate: crate::order::Candidate {
            email: email.into(),
            first_name: name(candidate, "first_name", "candidate.first_name")?,
            last_name: name(candidate, "last_name", "candidate.last_name")?,
        },
        collaborator_emails: collaborators,
    };
    Ok((status.into(), order))
}

/// Reads an `assessment:order-received` webhook body: the envelope Kombo's
/// API schema documents (`{"id", "type", "data": {order}}`), or the bare order
/// object as seed 004's guide shows it. Everything not needed for Assessio
/// (phone, location, description, application, remote data) is dropped here.
pub fn parse_order_event(body: &[u8]) -> Result<OrderEvent, InputError> {
    let top = json::parse_object("the Kombo webhook body", body)?;
    let (event_id, order, prefix) = if let Some(Json::Object(data)) = top.get("data") {
        match json::opt_str(&top, "type")? {
            None | Some(ORDER_RECEIVED) => {}
            Some(_) => return Err(InputError::invalid("type", format!("must be `{ORDER_RECEIVED}`"))),
        }
        (json::opt_str(&top, "id")?.map(String::from), data, "data.")
    } else {
        (None, &top, "")
    };
    let (status, order) = read_order(order, prefix, Source::Webhook)?;
    Ok(OrderEvent { event_id, status, order })
}

/// What Kombo shows in the ATS when an event that verified cannot become an
/// order (it breaks Kombo's own schema: no order id, no candidate email, a
/// number where a name belongs). Kombo rejects the order with this message
/// when the webhook answers 422 with [`rejection_body`], so the recruiter
/// learns why instead of the order staying open and silent. Names the field
/// (Kombo's own path) and never repeats a value.
pub fn unreadable_order_message(e: &InputError) -> String {
    const HEAD: &str = "Assessio could not be ordered";
    let field = match e {
        InputError::Missing(f) | InputError::Invalid(crate::error::FieldProblem { field: f, .. }) => f.as_str(),
        InputError::Malformed(_) => {
            return format!("{HEAD}: the order Kombo sent could not be read. Please order the assessment again.");
        }
    };
    let plain = field.strip_prefix("data.").unwrap_or(field);
    let what = match plain {
        "candidate" | "candidate.email" => "the candidate's email address is missing",
        "package_id" => "no assessment package was chosen",
        p if p.starts_with("job.hiring_team") => "a member of the job's hiring team could not be read",
        p if p.starts_with("candidate.") => "the candidate's name could not be read",
        p if p.starts_with("job") => "the job could not be read",
        _ => "the order Kombo sent is incomplete",
    };
    format!("{HEAD}: {what} (Kombo's field `{field}`: {}).", problem(e))
}

/// The problem of an input error without its field (already named).
fn problem(e: &InputError) -> &str {
    match e {
        InputError::Missing(_) => "missing",
        InputError::Invalid(p) => &p.problem,
        InputError::Malformed(m) => m,
    }
}

/// The packages to publish: one per lens and locale, so that choosing a
/// package in the ATS chooses both (as Teamtailor's dialog does, seed 000).
pub fn packages_body(catalog: &Catalog) -> Vec<u8> {
    #[derive(Serialize)]
    struct Package {
        id: String,
        r#type: &'static str,
        name: String,
        description: String,
    }
    #[derive(Serialize)]
    struct Packages {
        packages: Vec<Package>,
    }
    let packages = super::packages(catalog)
        .into_iter()
        .map(|p| Package { id: p.id, r#type: "BEHAVIORAL", name: p.name, description: p.description })
        .collect();
    crate::never_fails(serde_json::to_vec(&Packages { packages }), "values serialise")
}

/// `PUT /assessment/packages`, replacing the integration's whole list.
pub fn packages_request(api: &KomboApi, catalog: &Catalog) -> Result<HttpRequest, InputError> {
    if catalog.lenses.is_empty() || catalog.locales.is_empty() {
        return Err(InputError::missing("catalog.lenses"));
    }
    api.request(Method::Put, "/assessment/packages", Some(packages_body(catalog)))
}

/// `GET /assessment/orders?statuses=OPEN`, one page.
pub fn open_orders_request(api: &KomboApi, cursor: Option<&str>, page_size: u8) -> Result<HttpRequest, InputError> {
    let size = page_size.clamp(1, MAX_PAGE_SIZE);
    let mut path = format!("/assessment/orders?statuses=OPEN&page_size={size}");
    if let Some(c) = cursor {
        path.push_str("&cursor=");
        path.push_str(&percent_encode(c));
    }
    api.request(Method::Get, &path, None)
}

/// One page of open orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct OpenOrders {
    /// The orders that could be read.
    pub orders: Vec<HubOrder>,
    /// Orders that could not be read: position in the page and why.
    pub unreadable: Vec<String>,
    /// The cursor of the next page, `None` on the last.
    pub next: Option<String>,
}

/// Reads a page of `GET /assessment/orders`. One unreadable order does not
/// hide the others: it is reported in `unreadable`. Kombo's results carry no
/// `integration_id` (the page is the `X-Integration-Id`'s), so each order's
/// `tenant` is empty unless the page names one: the caller sets it to the
/// integration it listed.
pub fn parse_open_orders(body: &[u8]) -> Result<OpenOrders, InputError> {
    let top = json::parse_object("the Kombo orders page", body)?;
    let data = json::req_object(&top, "data", "data")?;
    let Some(Json::Array(results)) = data.get("results") else {
        return Err(InputError::missing("data.results"));
    };
    let mut page = OpenOrders { orders: Vec::new(), unreadable: Vec::new(), next: None };
    for (i, item) in results.iter().enumerate() {
        let read = match item {
            Json::Object(o) => read_order(o, "", Source::OpenOrders),
            other => Err(InputError::invalid("order", format!("must be an object, not {}", other.kind()))),
        };
        match read {
            Ok((_, order)) => page.orders.push(order),
            Err(e) => page.unreadable.push(format!("data.results[{i}]: {e}")),
        }
    }
    page.next = json::opt_str(data, "next")?.filter(|n| !n.is_empty()).map(String::from);
    Ok(page)
}

/// A stable `id` for a subscore attribute: its name, lowercased, with runs
/// of other characters as single hyphens.
fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    String::from(s.trim_end_matches('-'))
}

/// The write-back body: `COMPLETED`, the score out of 100, the report as
/// `result_url`, each subscore as a `SUB_RESULT`, the recruitment page as a
/// `TEXT` attribute, and `completed_at` from the host's clock.
pub fn result_body(result: &AssessmentResult, completed_at: i64) -> Result<Vec<u8>, InputError> {
    /// Kombo's `score.value` is a `number` (double) in its API schema, so a
    /// fractional or out-of-range subscore goes as it came; an integral one is
    /// written as an integer, as before ([`SubscoreValue`]'s `Serialize`).
    #[derive(Serialize)]
    struct Score {
        value: SubscoreValue,
        max: u8,
    }
    #[derive(Serialize)]
    #[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
    enum Attribute<'a> {
        SubResult { id: String, label: &'a str, score: Score, status: &'static str },
        Text { label: &'static str, value: &'a str },
    }
    #[derive(Serialize)]
    struct Body<'a> {
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        score: Option<u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        max_score: Option<u8>,
        result_url: &'a str,
        completed_at: String,
        attributes: Vec<Attribute<'a>>,
    }
    let url = result
        .report_url
        .as_deref()
        .or(result.recruitment_url.as_deref())
        .ok_or_else(|| InputError::missing("assessmentReportUrl"))?;
    let mut attributes = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for (i, s) in result.subscores.iter().enumerate() {
        // JSON has no NaN or infinity; only a host can hand one in.
        if !s.score.is_finite() {
            return Err(InputError::invalid(indexed("subscores", i), "score is not a finite number"));
        }
        // A slug already taken (or empty) gets the first free `-n` suffix,
        // checked against every id so far, so ids stay unique whatever the names.
        let base = slug(&s.name);
        let mut id = base.clone();
        let mut n = ids.len() + 1;
        while id.is_empty() || ids.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        ids.push(id.clone());
        attributes.push(Attribute::SubResult {
            id,
            label: &s.name,
            score: Score { value: s.score, max: 100 },
            status: "COMPLETED",
        });
    }
    if let Some(recruitment) = &result.recruitment_url {
        attributes.push(Attribute::Text { label: "Recruitment in Assessio", value: recruitment });
    }
    let body = Body {
        status: "COMPLETED",
        score: result.score,
        max_score: result.score.map(|_| 100),
        result_url: url,
        completed_at: time::rfc3339(completed_at),
        attributes,
    };
    Ok(crate::never_fails(serde_json::to_vec(&body), "values serialise"))
}

/// `PUT /assessment/orders/{id}/result`.
pub fn result_request(
    api: &KomboApi,
    order_id: &str,
    result: &AssessmentResult,
    completed_at: i64,
) -> Result<HttpRequest, InputError> {
    let id = validate::required_text("order-id", order_id)?;
    let body = result_body(result, completed_at)?;
    api.request(Method::Put, &format!("/assessment/orders/{}/result", percent_encode(id)), Some(body))
}

/// The answer that rejects an order, which Kombo shows in the ATS: status
/// 422 with exactly this shape, or Kombo keeps the order open.
pub fn rejection_body(message: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct Rejection {
        status: &'static str,
        message: String,
    }
    let body = Rejection { status: "ORDER_REJECTED", message: validate::clip(message, 500) };
    crate::never_fails(serde_json::to_vec(&body), "values serialise")
}

/// Classifies Kombo's answer, with its error code and message when given.
pub fn interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome {
    if (200..300).contains(&status) {
        return WriteOutcome::Written;
    }
    let error = json::parse_object("body", body).ok().and_then(|o| match o.get("error") {
        Some(Json::Object(e)) => Some((
            json::opt_str(e, "code").ok().flatten().map(String::from),
            json::opt_str(e, "message").ok().flatten().or(json::opt_str(e, "title").ok().flatten()).map(String::from),
        )),
        _ => None,
    });
    let (code, message) = error.unwrap_or_default();
    // A blank code or message says nothing: treat it as absent.
    let blank = |v: Option<String>| v.map(|t| String::from(t.trim())).filter(|t| !t.is_empty());
    let (code, message) = (blank(code), blank(message));
    let transient = status == 429
        || status >= 500
        || code.as_deref().is_some_and(|c| c.ends_with("RATE_LIMIT_EXCEEDED") || c == "REMOTE.SERVICE_UNAVAILABLE");
    let message = match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {}", validate::clip(&m, 300)),
        (None, Some(m)) => validate::clip(&m, 300),
        (Some(c), None) => c,
        (None, None) => format!("Kombo answered HTTP {status}"),
    };
    let r = Rejection { status, message };
    if transient { WriteOutcome::RetryLater(r) } else { WriteOutcome::Failed(r) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lenses::Lens;
    use serde_json::json;

    #[test]
    fn blank_codes_and_messages_fall_back_to_the_status() {
        let out = interpret_write_response(400, br#"{"error":{"code":"","message":" "}}"#);
        assert_eq!(out, WriteOutcome::Failed(Rejection { status: 400, message: "Kombo answered HTTP 400".into() }));
    }

    #[test]
    fn subscore_attribute_ids_stay_unique_whatever_the_names() {
        let mut result = crate::hubs::sample_result();
        result.subscores = ["a-3", "a", "A", "", "?", "a"]
            .iter()
            .map(|n| crate::result::Subscore { name: (*n).into(), score: 1.into() })
            .collect();
        let body: serde_json::Value = serde_json::from_slice(&result_body(&result, 0).unwrap()).unwrap();
        let ids: Vec<&str> = body["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["type"] == "SUB_RESULT")
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        assert!(ids.iter().all(|i| !i.is_empty()), "{ids:?}");
    }

    /// Seed 004's example order, bare, as Kombo's guide prints it.
    pub(crate) const SEED_ORDER: &str = r#"{
      "id": "B5KQKhAgTv6ZwzrfAbqbhipd", "integration_id": "workday:CBNMt7dSNCzBdnRTx87dev4E",
      "package_id": "typescript_test", "status": "OPEN",
      "candidate": {"email": "john.doe@gmail.com", "first_name": "John", "last_name": "Doe",
                    "phone": "+1 123 456 7890", "remote_id": "26vafvWSRmbhNcxJYqjCzuJg"},
      "application": {"remote_id": "HAQ9uCfC1zi3TLbB1n5cyHgP"},
      "job": {"remote_id": "A1KQKhAgTv6ZwzrfAbqbhcde", "name": "Engineering Manager",
              "location": {"city": "San Francisco", "country": "United States"},
              "hiring_team": [{"first_name": "Jane", "last_name": "Doe", "remote_id": "26vafvWSRmbhNcxJYqjCzuJr",
                               "email": "jane.doe@gmail.com", "hiring_team_roles": ["RECRUITER"]}]},
      "remote_data": {"upstream_webhook_body": {}, "/assessment-orders": {}}
    }"#;

    fn api() -> KomboApi {
        KomboApi {
            base_url: "https://api.kombo.dev/v1/".into(),
            api_key: "kombo_key".into(),
            integration_id: "int-1".into(),
        }
    }

    /// `printf '%s' "$body" | openssl dgst -sha256 -hmac kombo_secret -binary | basenc --base64url | tr -d =`
    #[test]
    fn webhook_signature_matches_openssl_and_rejects_tampering() {
        let body = br#"{"id":"evt_1"}"#;
        let sig = "OegHINjJLD66U4yHiZS_vM0peOn9ia6QhBz2FnQYSNA";
        assert_eq!(verify_webhook(Some(sig), body, "kombo_secret"), Ok(()));
        assert_eq!(verify_webhook(Some(&format!("{sig}=")), body, "kombo_secret"), Ok(()));
        assert_eq!(verify_webhook(Some(&format!("AAAA{}, {sig}", &sig[4..])), body, "kombo_secret"), Ok(()));
        assert_eq!(verify_webhook(Some(sig), br#"{"id":"evt_2"}"#, "kombo_secret"), Err(SignatureError::Mismatch));
        assert_eq!(verify_webhook(Some(sig), body, "other"), Err(SignatureError::Mismatch));
        assert_eq!(verify_webhook(None, body, "kombo_secret"), Err(SignatureError::Missing));
        assert_eq!(verify_webhook(Some(sig), body, ""), Err(SignatureError::NoSecret));
        assert!(matches!(verify_webhook(Some("not base64!"), body, "k"), Err(SignatureError::Malformed(_))));
        assert!(matches!(verify_webhook(Some("AAAA"), body, "k"), Err(SignatureError::Malformed(_))));
    }

    #[test]
    fn the_seed_order_reads_bare_and_in_its_envelope_keeping_only_what_assessio_may_get() {
        let bare = parse_order_event(SEED_ORDER.as_bytes()).unwrap();
        let wrapped = format!(r#"{{"id":"evt_9","type":"assessment:order-received","data":{SEED_ORDER}}}"#);
        let event = parse_order_event(wrapped.as_bytes()).unwrap();
        assert_eq!(event.event_id.as_deref(), Some("evt_9"));
        assert_eq!(event.order, bare.order);
        let o = bare.order;
        assert_eq!(
            (o.order_id.as_str(), o.tenant.as_str()),
            ("B5KQKhAgTv6ZwzrfAbqbhipd", "workday:CBNMt7dSNCzBdnRTx87dev4E")
        );
        assert_eq!((o.job_id.as_str(), o.job_title.as_str()), ("A1KQKhAgTv6ZwzrfAbqbhcde", "Engineering Manager"));
        assert_eq!(o.candidate.first_name, "John");
        assert_eq!(o.collaborator_emails, ["jane.doe@gmail.com"]);
        let all = serde_json::to_string(&o).unwrap();
        for dropped in ["+1 123", "San Francisco", "HAQ9uCfC", "26vafvWSRmbhNcxJYqjCzuJg"] {
            assert!(!all.contains(dropped), "{dropped} kept: {all}");
        }
    }

    #[test]
    fn a_missing_last_name_survives_parsing_for_build_order_to_name() {
        let no_last = SEED_ORDER.replace(
            r#""last_name": "Doe",
                    "phone""#,
            r#""last_name": null, "phone""#,
        );
        let o = parse_order_event(no_last.as_bytes()).unwrap().order;
        assert_eq!(o.candidate.last_name, "");
        let details = o.order_details("kombo", "lens", "sv-SE", "https://gw.example/assessio/results");
        let err = crate::order::order_body(&details).unwrap_err();
        assert_eq!(err, InputError::missing("candidate.last-name"));
        assert!(matches!(parse_order_event(br#"{"id":"x"}"#), Err(InputError::Missing(_))));
        assert!(matches!(
            parse_order_event(br#"{"type":"other","data":{}}"#),
            Err(InputError::Invalid(p)) if p.field == "type"
        ));
    }

    /// An order in the shape of Kombo's published API schema
    /// (`AssessmentOrderReceivedWebhookPayload`): the envelope, `job_code` and
    /// `description`, no `remote_data`, and every nullable field `null` but
    /// the names. Refused before ("`data.job.remote_id` is required").
    fn documented(job: &serde_json::Value) -> serde_json::Value {
        json!({
            "id": "evt-doc-1", "type": "assessment:order-received",
            "data": {
                "id": "ord-doc-1", "package_id": "lens-1:sv-SE", "status": "OPEN", "integration_id": "int-1",
                "candidate": {"remote_id": null, "email": "ada@example.com", "first_name": "Ada",
                              "last_name": "Lovelace", "phone": null},
                "application": {"remote_id": null},
                "job": job,
            }
        })
    }

    fn job(remote_id: Option<&str>, job_code: Option<&str>, name: Option<&str>) -> serde_json::Value {
        json!({"remote_id": remote_id, "name": name, "job_code": job_code, "description": null,
               "location": null, "hiring_team": []})
    }

    fn read(event: &serde_json::Value) -> HubOrder {
        parse_order_event(event.to_string().as_bytes()).unwrap().order
    }

    #[test]
    fn a_documented_order_with_a_null_job_id_is_read() {
        let o = read(&documented(&job(None, Some("BO-2024-01"), Some("Bottle Opener"))));
        assert_eq!((o.order_id.as_str(), o.tenant.as_str()), ("ord-doc-1", "int-1"));
        assert_eq!(o.job_id, "job-code:BO-2024-01");
        assert_eq!(o.job_title, "Bottle Opener");
        assert!(o.collaborator_emails.is_empty());
        // Hiring team members with every field null are skipped, not refused.
        let mut team = job(None, None, Some("Bottle Opener"));
        team["hiring_team"] = json!([
            {"remote_id": null, "email": null, "first_name": null, "last_name": null, "hiring_team_roles": []},
            {"remote_id": null, "email": "rec@example.com", "first_name": null, "last_name": null,
             "hiring_team_roles": ["RECRUITER", "HIRING_MANAGER"]},
        ]);
        assert_eq!(read(&documented(&team)).collaborator_emails, ["rec@example.com"]);
    }

    /// Every candidate of one job lands in one Assessio recruitment, whichever
    /// of the job's fields the ATS fills; a job id keeps the recruitment id
    /// it had before this fallback existed.
    #[test]
    fn the_recruitment_id_is_stable_per_job_whatever_the_ats_gives() {
        let recruitment = |job: &serde_json::Value, order_id: &str| {
            let mut event = documented(job);
            event["data"]["id"] = json!(order_id);
            read(&event).order_details("kombo", "lens-1", "sv-SE", "https://gw.example/r").recruitment.id
        };
        let cases = [
            (job(Some("67890"), Some("BO-1"), Some("Bottle Opener")), "67890"),
            (job(None, Some("BO-1"), Some("Bottle Opener")), "job-code:BO-1"),
            (job(Some(" "), Some("BO-1"), None), "job-code:BO-1"),
            (job(None, None, Some("Bottle Opener")), "job-name:Bottle Opener"),
            (job(None, Some(""), None), "order:ord-a"),
        ];
        for (j, key) in &cases {
            let mut event = documented(j);
            event["data"]["id"] = json!("ord-a");
            assert_eq!(read(&event).job_id, *key, "{j}");
            if !key.starts_with("order:") {
                assert_eq!(recruitment(j, "ord-a"), recruitment(j, "ord-b"), "two orders, one job: {j}");
            }
        }
        // The job id alone decides, as before: the same id as the seed's key.
        let before = crate::ids::stable_id("recruitment", &["kombo:int-1", "67890"]);
        assert_eq!(recruitment(&cases[0].0, "ord-a"), before);
        // Different codes or names are different recruitments; so is a code
        // that happens to equal another job's name.
        let by_code = recruitment(&job(None, Some("Bottle Opener"), None), "ord-a");
        let by_name = recruitment(&job(None, None, Some("Bottle Opener")), "ord-a");
        assert_ne!(by_code, by_name);
        // With nothing to name the job, each order is its own recruitment.
        let bare = job(None, None, None);
        assert_ne!(recruitment(&bare, "ord-a"), recruitment(&bare, "ord-b"));
    }

    /// Kombo's `GET /assessment/orders` results carry no `integration_id`
    /// (the page belongs to the `X-Integration-Id` asked for): each is read,
    /// with an empty tenant for the caller to fill. Before, every documented
    /// open order was "unreadable".
    #[test]
    fn documented_open_orders_without_integration_id_are_read() {
        let mut order = documented(&job(None, Some("BO-1"), Some("Bottle Opener")))["data"].clone();
        order.as_object_mut().unwrap().remove("integration_id");
        let page = json!({"status": "success", "data": {"next": null, "results": [order]}});
        let p = parse_open_orders(page.to_string().as_bytes()).unwrap();
        assert_eq!(p.unreadable, Vec::<String>::new());
        assert_eq!(p.orders[0].tenant, "");
        assert_eq!(p.orders[0].job_id, "job-code:BO-1");
    }

    #[test]
    fn an_event_that_cannot_become_an_order_gets_a_message_naming_the_field() {
        let mut no_email = documented(&job(Some("j"), None, Some("Bottle Opener")));
        no_email["data"]["candidate"]["email"] = json!(null);
        let e = parse_order_event(no_email.to_string().as_bytes()).unwrap_err();
        assert_eq!(e, InputError::missing("data.candidate.email"));
        let m = unreadable_order_message(&e);
        assert_eq!(
            m,
            "Assessio could not be ordered: the candidate's email address is missing \
             (Kombo's field `data.candidate.email`: missing)."
        );
        let mut odd = documented(&job(Some("j"), None, Some("Bottle Opener")));
        odd["data"]["job"]["name"] = json!(42);
        let e = parse_order_event(odd.to_string().as_bytes()).unwrap_err();
        assert_eq!(e, InputError::invalid("data.job.name", "must be a string or null, not a number"));
        assert!(unreadable_order_message(&e).contains("the job could not be read"));
        let m = unreadable_order_message(&InputError::Malformed("expected value at line 1".into()));
        assert!(m.starts_with("Assessio could not be ordered: the order Kombo sent could not be read"), "{m}");
    }

    /// Whatever the file holds today (seed 004's shape, or Kombo's schema
    /// once rewritten), the example payload reads; and so does its documented
    /// form: `job_code` and `description` in the job, no `remote_data`.
    #[test]
    fn the_example_payload_reads_as_it_is_and_in_its_documented_form() {
        let text = include_str!("../../../examples/payloads/kombo-order-received.json");
        let event = parse_order_event(text.as_bytes()).unwrap();
        assert_eq!(event.status, "OPEN");
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        let data = v["data"].as_object_mut().unwrap();
        data.remove("remote_data");
        data.insert("application".into(), json!({"remote_id": null}));
        let job = data["job"].as_object_mut().unwrap();
        job.entry("job_code").or_insert(json!("EM-1"));
        job.entry("description").or_insert(json!("<p>Leads a team.</p>"));
        let documented = parse_order_event(v.to_string().as_bytes()).unwrap();
        assert_eq!(documented.order, event.order);
    }

    proptest::proptest! {
        /// Any documented order, with each nullable field null, absent or
        /// given, is read; its job key is never empty.
        #[test]
        fn documented_orders_with_any_nullable_field_null_or_absent_are_read(
            fields in proptest::collection::vec(0_u8..3, 13),
            team in 0_usize..3,
        ) {
            let mut event = documented(&json!({}));
            let set = |at: &mut serde_json::Value, key: &str, how: u8, value: &str| match how {
                0 => { at[key] = json!(null); }
                1 => { at.as_object_mut().unwrap().remove(key); }
                _ => { at[key] = json!(value); }
            };
            let c = &mut event["data"]["candidate"];
            for (i, key) in ["remote_id", "first_name", "last_name", "phone"].iter().enumerate() {
                set(c, key, fields[i], "X");
            }
            set(&mut event["data"]["application"], "remote_id", fields[4], "app-1");
            let j = &mut event["data"]["job"];
            for (i, key) in ["remote_id", "name", "job_code", "description"].iter().enumerate() {
                set(j, key, fields[5 + i], "J");
            }
            j["hiring_team"] = json!((0..team).map(|_| json!({"hiring_team_roles": []})).collect::<Vec<_>>());
            for (i, key) in ["remote_id", "email", "first_name", "last_name"].iter().enumerate() {
                if let Some(first) = j["hiring_team"].get_mut(0) {
                    set(first, key, fields[9 + i], "rec@example.com");
                }
            }
            let o = parse_order_event(event.to_string().as_bytes()).unwrap().order;
            proptest::prop_assert!(!o.job_id.is_empty());
        }
    }

    #[test]
    fn a_lens_already_named_assessio_is_not_prefixed_twice() {
        let catalog = Catalog {
            lenses: alloc::vec![
                Lens { id: "L1".into(), name: "Assessio Sales Lens".into() },
                Lens { id: "L2".into(), name: "ASSESSIO: Grit".into() },
                Lens { id: "L3".into(), name: "Assessiomatic".into() },
                Lens { id: "L4".into(), name: "Assessio".into() },
            ],
            locales: alloc::vec!["sv-SE".into()],
        };
        let body: serde_json::Value = serde_json::from_slice(&packages_body(&catalog)).unwrap();
        let names: Vec<&str> =
            body["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "Assessio Sales Lens (Swedish)",
                "ASSESSIO: Grit (Swedish)",
                "Assessio Assessiomatic (Swedish)",
                "Assessio (Swedish)"
            ]
        );
    }

    /// Kombo's `SUB_RESULT` `score.value` is a `number` (double) in its API
    /// schema: a fractional or out-of-range subscore goes as Assessio sent it,
    /// a whole one as an integer (today's bytes), a non-finite one (only a
    /// host can hand one in) is refused by name.
    #[test]
    fn fractional_subscores_are_written_back_as_numbers() {
        use crate::result::{Subscore, SubscoreValue};
        let mut result = crate::hubs::sample_result();
        result.subscores = alloc::vec![
            Subscore { name: "A".into(), score: SubscoreValue::new(72.5) },
            Subscore { name: "B".into(), score: SubscoreValue::new(130.0) },
            Subscore { name: "C".into(), score: 7.into() },
        ];
        let bytes = result_body(&result, 0).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(r#""score":{"value":72.5,"max":100}"#), "{text}");
        assert!(text.contains(r#""score":{"value":130,"max":100}"#), "{text}");
        assert!(text.contains(r#""score":{"value":7,"max":100}"#), "{text}");
        result.subscores[1].score = SubscoreValue::new(f64::NAN);
        assert_eq!(result_body(&result, 0), Err(InputError::invalid("subscores[1]", "score is not a finite number")));
    }

    #[test]
    fn packages_cover_every_lens_and_locale() {
        let catalog = Catalog {
            lenses: alloc::vec![Lens { id: "L1".into(), name: "General Performance".into() }],
            locales: alloc::vec!["sv-SE".into(), "xx-YY".into()],
        };
        let r = packages_request(&api(), &catalog).unwrap();
        assert_eq!(r.method, Method::Put);
        assert_eq!(r.url, "https://api.kombo.dev/v1/assessment/packages");
        assert_eq!(r.header("Authorization"), Some("Bearer kombo_key"));
        assert_eq!(r.header("X-Integration-Id"), Some("int-1"));
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["packages"][0]["id"], "L1:sv-SE");
        assert_eq!(body["packages"][0]["type"], "BEHAVIORAL");
        assert_eq!(body["packages"][0]["name"], "Assessio General Performance (Swedish)");
        assert_eq!(body["packages"][1]["name"], "Assessio General Performance (xx-YY)");
        assert!(packages_request(&api(), &Catalog::default()).is_err());
    }

    #[test]
    fn open_orders_pages_and_unreadable_orders_are_reported_not_fatal() {
        let r = open_orders_request(&api(), Some("c/1+2"), 255).unwrap();
        assert_eq!(r.url, "https://api.kombo.dev/v1/assessment/orders?statuses=OPEN&page_size=250&cursor=c%2F1%2B2");
        let page = format!(r#"{{"status":"success","data":{{"next":"n2","results":[{SEED_ORDER},{{"id":"bad"}}]}}}}"#);
        let p = parse_open_orders(page.as_bytes()).unwrap();
        assert_eq!(p.orders.len(), 1);
        assert_eq!(p.unreadable.len(), 1);
        assert!(p.unreadable[0].starts_with("data.results[1]"), "{:?}", p.unreadable);
        assert_eq!(p.next.as_deref(), Some("n2"));
        let last = parse_open_orders(br#"{"data":{"next":null,"results":[]}}"#).unwrap();
        assert_eq!(last.next, None);
    }

    #[test]
    fn the_result_write_back_has_every_documented_field() {
        let result = crate::hubs::sample_result();

        let r = result_request(&api(), "B5KQ/1", &result, 1_700_000_000).unwrap();
        assert_eq!(r.url, "https://api.kombo.dev/v1/assessment/orders/B5KQ%2F1/result");
        assert_eq!(r.method, Method::Put);
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            json!({
                "status": "COMPLETED",
                "result_url": "https://app.assessio.online/rep/2",
                "completed_at": "2023-11-14T22:13:20Z",
                "score": 71,
                "max_score": 100,
                "attributes": [
                    {"type": "SUB_RESULT", "id": "driving-leadership", "label": "Driving Leadership",
                     "score": {"value": 73, "max": 100}, "status": "COMPLETED"},
                    {"type": "SUB_RESULT", "id": "influencing-inspiring", "label": "Influencing & Inspiring",
                     "score": {"value": 68, "max": 100}, "status": "COMPLETED"},
                    {"type": "TEXT", "label": "Recruitment in Assessio", "value": "https://app.assessio.online/r/1"},
                ],
            })
        );
        let no_urls = AssessmentResult { recruitment_url: None, report_url: None, ..result };
        assert_eq!(result_request(&api(), "x", &no_urls, 0), Err(InputError::missing("assessmentReportUrl")));
    }

    #[test]
    fn rejections_and_write_answers() {
        let b: serde_json::Value = serde_json::from_slice(&rejection_body("No last name")).unwrap();
        assert_eq!(b, json!({"status": "ORDER_REJECTED", "message": "No last name"}));
        assert_eq!(interpret_write_response(200, b""), WriteOutcome::Written);
        let rate = br#"{"status":"error","error":{"code":"PLATFORM.RATE_LIMIT_EXCEEDED","title":"Slow down"}}"#;
        assert!(
            matches!(interpret_write_response(400, rate), WriteOutcome::RetryLater(r) if r.message.contains("RATE_LIMIT"))
        );
        assert!(matches!(interpret_write_response(503, b""), WriteOutcome::RetryLater(_)));
        let bad = br#"{"status":"error","error":{"code":"INPUT.INVALID","message":"result_url missing"}}"#;
        assert_eq!(
            interpret_write_response(400, bad),
            WriteOutcome::Failed(Rejection { status: 400, message: "INPUT.INVALID: result_url missing".into() })
        );
    }
}
