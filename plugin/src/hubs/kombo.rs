//! Kombo's unified ATS-assessment API (seed 004, `shared/docs/hub-apis.md`).
//!
//! Kombo sends `assessment:order-received` webhooks signed with
//! `X-Kombo-Signature` (HMAC-SHA256 of the raw body, base64url without
//! padding), takes the published packages, lists open orders, and takes the
//! result write-back. All of it is built and read here; the host only sends.

pub use super::WriteOutcome;
use super::{HubOrder, locale_name, package_id, percent_encode};
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

/// Reads one order object (as in the webhook's `data` or the open-orders list).
fn read_order(o: &Object, prefix: &str) -> Result<(String, HubOrder), InputError> {
    let p = |k: &str| format!("{prefix}{k}");
    let candidate = json::req_object(o, "candidate", &p("candidate"))?;
    let job = json::req_object(o, "job", &p("job"))?;
    let mut collaborators = Vec::new();
    match job.get("hiring_team") {
        None | Some(Json::Null) => {}
        Some(Json::Array(team)) => {
            for (i, member) in team.iter().enumerate() {
                let Json::Object(m) = member else {
                    return Err(InputError::invalid(indexed(&p("job.hiring_team"), i), "must be an object"));
                };
                if let Some(email) = json::opt_str(m, "email")?.map(str::trim).filter(|e| !e.is_empty()) {
                    collaborators.push(String::from(email));
                }
            }
        }
        Some(other) => {
            return Err(InputError::invalid(p("job.hiring_team"), format!("must be an array, not {}", other.kind())));
        }
    }
    let status = json::opt_str(o, "status")?.unwrap_or("OPEN");
    let order = HubOrder {
        order_id: json::req_str(o, "id", &p("id"))?.into(),
        tenant: json::req_str(o, "integration_id", &p("integration_id"))?.into(),
        package_id: json::req_str(o, "package_id", &p("package_id"))?.into(),
        job_id: json::req_str(job, "remote_id", &p("job.remote_id"))?.into(),
        job_title: json::nullable_str(job, "name", &p("job.name"))?,
        candidate: crate::order::Candidate {
            email: json::req_str(candidate, "email", &p("candidate.email"))?.into(),
            first_name: json::nullable_str(candidate, "first_name", &p("candidate.first_name"))?,
            last_name: json::nullable_str(candidate, "last_name", &p("candidate.last_name"))?,
        },
        collaborator_emails: collaborators,
    };
    Ok((status.into(), order))
}

/// Reads an `assessment:order-received` webhook body: the documented
/// envelope, or the bare order object as seed 004 shows it. Everything not
/// needed for Assessio (phone, location, remote data) is dropped here.
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
    let (status, order) = read_order(order, prefix)?;
    Ok(OrderEvent { event_id, status, order })
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
    let packages = catalog
        .lenses
        .iter()
        .flat_map(|lens| {
            catalog.locales.iter().map(move |locale| {
                let language = locale_name(locale);
                Package {
                    id: package_id(&lens.id, locale),
                    r#type: "BEHAVIORAL",
                    name: format!("Assessio {} ({language})", lens.name),
                    description: format!(
                        "Assessio personality assessment scored for the {} lens; the candidate is invited in {language}.",
                        lens.name
                    ),
                }
            })
        })
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
/// hide the others: it is reported in `unreadable`.
pub fn parse_open_orders(body: &[u8]) -> Result<OpenOrders, InputError> {
    let top = json::parse_object("the Kombo orders page", body)?;
    let data = json::req_object(&top, "data", "data")?;
    let Some(Json::Array(results)) = data.get("results") else {
        return Err(InputError::missing("data.results"));
    };
    let mut page = OpenOrders { orders: Vec::new(), unreadable: Vec::new(), next: None };
    for (i, item) in results.iter().enumerate() {
        let read = match item {
            Json::Object(o) => read_order(o, ""),
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
    /// Kombo's `score.value` is a `number` (double) in its OpenAPI, so a
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

    /// Kombo's `SUB_RESULT` `score.value` is a `number` (double) in its
    /// OpenAPI: a fractional or out-of-range subscore goes as Assessio sent it,
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
