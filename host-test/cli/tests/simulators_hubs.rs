//! The Teamtailor and `StackOne` simulators, driven directly: bodies built by
//! hand from the hub notes where they should be accepted or refused, and by
//! the connector's own adapters to prove both sides agree; receivers written
//! here to see what the simulators send out; signatures checked against
//! known-answer vectors and with the connector's verifiers as the
//! independent side; and injected faults.

use assessio_plugin::hubs::{kombo, stackone, teamtailor};
use assessio_plugin::signature::SignatureError;
use assessio_plugin::{AssessmentResult, Subscore};
use assessio_simulators::stackone::route as stackone_route;
use assessio_simulators::teamtailor::route as teamtailor_route;
use assessio_simulators::{
    ClientError, ClientResponse, DialogError, FaultPlan, NewStackOneOrder, NewTrigger, PartnerStatus, Server, SimClock,
    SimRequest, SimResponse, StackOneConfig, StackOneRetry, StackOneSignature, StackOneSim, StackOneSimError,
    TeamtailorConfig, TeamtailorSim, TeamtailorSimError, TriggerAuth, TriggerOptions, TriggerSignature,
    parse_partner_config, stackone_signature, teamtailor_signature,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use support::sim::{client, hmac_sha256, queued_receiver, receiver, send};

mod support;

const T: i64 = 1_700_000_000;
const LENS: &str = "7922dd91-1b44-43e4-a740-7c4d9c2fba41";

const TT_KEY: &str = "tt_partner_key";
const TT_SECRET: &str = "secret";
/// A company `uuid`, as Teamtailor's company object has it.
const COMPANY: &str = "Hq2mV8xL4pN";
const PROVIDER_KEY: &str = "pk_company_1";
/// `printf '1700000000.evt-1' | openssl dgst -sha256 -hmac secret`
const TT_KNOWN: &str = "8d9526719828c5e3f672b16eeef6c063000ad2e61f971d828036fa579ed93d45";

const SO_KEY: &str = "so_api_key";
const ACCOUNT: &str = "acc-1";
const OTHER_ACCOUNT: &str = "acc-2";
const SO_SECRET: &str = "stackone_secret";

fn sample_result() -> AssessmentResult {
    AssessmentResult {
        result_id: "r".into(),
        score: Some(71),
        subscores: vec![
            Subscore { name: "Driving Leadership".into(), score: 73.into() },
            Subscore { name: "Influencing & Inspiring".into(), score: 68.into() },
        ],
        recruitment_url: Some("https://app.assessio.online/r/1".into()),
        report_url: Some("https://app.assessio.online/rep/2".into()),
    }
}

fn edited(base: &Value, edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = base.clone();
    edit(&mut v);
    v
}

// ---------------------------------------------------------------- Teamtailor

async fn teamtailor() -> TeamtailorSim {
    let mut config = TeamtailorConfig::new(TT_KEY, Some(TT_SECRET), &[(COMPANY, PROVIDER_KEY), ("c-2", "pk_2")]);
    config.clock = SimClock::fixed(T);
    TeamtailorSim::start(config).await.unwrap()
}

fn trigger() -> NewTrigger {
    NewTrigger::example(COMPANY, LENS, "sv-SE", "ada@example.com")
}

const TOKEN: &str = "Token tt_partner_key";

async fn tt_raw(
    sim: &TeamtailorSim,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> ClientResponse {
    client().request(method, &format!("{}{path}", sim.url()), headers, body.to_owned()).await.unwrap()
}

async fn tt_write(sim: &TeamtailorSim, id: &str, body: &Value) -> ClientResponse {
    let headers =
        [("Authorization", TOKEN), ("X-Api-Version", "20180828"), ("Content-Type", "application/vnd.api+json")];
    tt_raw(sim, Method::PUT, &format!("/partner/v1/partner-results/{id}"), &headers, &body.to_string()).await
}

/// The JSON:API error's `detail` and `source.pointer`, after checking the
/// error document's shape and media type.
fn jsonapi_error(response: &ClientResponse) -> (String, Option<String>) {
    assert_eq!(
        response.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/vnd.api+json"),
        "{}",
        response.text()
    );
    let v = response.json().unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    let e = &errors[0];
    assert_eq!(e["status"], response.status.to_string(), "{v}");
    assert!(e["title"].as_str().is_some_and(|t| !t.is_empty()), "{v}");
    (e["detail"].as_str().unwrap().to_owned(), e["source"]["pointer"].as_str().map(str::to_owned))
}

/// A complete write, built by hand from the hub notes.
fn completed(id: &str) -> Value {
    json!({ "data": { "type": "partner-results", "id": id, "attributes": {
        "status": "completed",
        "summary": "Assessio 71/100 — strongest: Driving Leadership",
        "url": "https://app.assessio.online/rep/2",
        "assessment": { "score": 71 },
        "details": { "Driving Leadership": 73, "Competencies": { "Influencing": 68 } },
        "attachments": [{ "url": "https://app.assessio.online/r/1", "description": "Recruitment in Assessio" }],
    }}})
}

#[tokio::test(flavor = "multi_thread")]
async fn partner_result_writes_need_the_token_the_version_and_the_media_type() {
    /// Headers sent, status expected, a word the detail must contain.
    type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);
    let sim = teamtailor().await;
    let id = sim.create_trigger(trigger()).unwrap();
    let path = format!("/partner/v1/partner-results/{id}");
    let body = completed(&id).to_string();
    let (v, ct) = (("X-Api-Version", "20180828"), ("Content-Type", "application/vnd.api+json"));
    let cases: [Case; 9] = [
        (&[v, ct], 401, "Token"),
        (&[("Authorization", "Token wrong"), v, ct], 401, "Token"),
        (&[("Authorization", "Bearer tt_partner_key"), v, ct], 401, "Token"),
        (&[("Authorization", "tt_partner_key"), v, ct], 401, "Token"),
        (&[("Authorization", TOKEN), ct], 406, "X-Api-Version"),
        (&[("Authorization", TOKEN), ("X-Api-Version", "20240404"), ct], 406, "20240404"),
        (&[("Authorization", TOKEN), v, ("Content-Type", "application/json")], 415, "application/vnd.api+json"),
        (
            &[("Authorization", TOKEN), v, ("Content-Type", "application/vnd.api+json; charset=utf-8")],
            415,
            "Content-Type",
        ),
        (&[("Authorization", TOKEN), v], 415, "Content-Type"),
    ];
    for (headers, status, word) in cases {
        let response = tt_raw(&sim, Method::PUT, &path, headers, &body).await;
        assert_eq!(response.status, status, "{headers:?}: {}", response.text());
        let (detail, _) = jsonapi_error(&response);
        assert!(detail.contains(word), "{headers:?}: {detail}");
    }
    // Rails' `Token token=` form is the same credential.
    let headers = [("Authorization", "Token token=\"tt_partner_key\""), v, ct];
    assert_eq!(tt_raw(&sim, Method::PUT, &path, &headers, &body).await.status, 200);

    let unknown = tt_write(&sim, "424242", &completed("424242")).await;
    assert_eq!(unknown.status, 404);
    assert!(jsonapi_error(&unknown).0.contains("424242"));
    let wrong_method = tt_raw(&sim, Method::PATCH, &path, &[("Authorization", TOKEN), v, ct], &body).await;
    assert_eq!(wrong_method.status, 405);
    jsonapi_error(&wrong_method);
    let nowhere =
        tt_raw(&sim, Method::PUT, "/partner/v1/partner-results", &[("Authorization", TOKEN), v, ct], &body).await;
    assert_eq!(nowhere.status, 404);

    assert_eq!(sim.write_count(&id), 1, "only the accepted write is recorded");
    assert_eq!(sim.calls().len(), 13);
    assert_eq!(sim.calls().iter().filter(|c| c.status == 200).count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn partner_result_documents_are_validated_strictly() {
    let sim = teamtailor().await;
    let id = sim.create_trigger(trigger()).unwrap();
    let good = completed(&id);
    let attr = |key: &'static str, value: Value| edited(&good, move |b| b["data"]["attributes"][key] = value);
    let remove_attr = |key: &'static str| {
        edited(&good, move |b| {
            b["data"]["attributes"].as_object_mut().unwrap().remove(key);
        })
    };
    // What, body, status, pointer.
    let invalid: Vec<(&str, Value, u16, Option<&str>)> = vec![
        ("summary not a string", attr("summary", json!(7)), 422, Some("/data/attributes/summary")),
        (
            "details 3 levels deep",
            attr("details", json!({ "a": { "b": { "c": 1 } } })),
            422,
            Some("/data/attributes/details"),
        ),
        ("details an array", attr("details", json!([1])), 422, Some("/data/attributes/details")),
        ("score 101", attr("assessment", json!({ "score": 101 })), 422, Some("/data/attributes/assessment")),
        ("score -1", attr("assessment", json!({ "score": -1 })), 422, Some("/data/attributes/assessment")),
        ("score 71.5", attr("assessment", json!({ "score": 71.5 })), 422, Some("/data/attributes/assessment")),
        ("score as text", attr("assessment", json!({ "score": "71" })), 422, Some("/data/attributes/assessment")),
        ("assessment extra", attr("assessment", json!({ "score": 1, "max": 100 })), 422, None),
        ("an undocumented grade", attr("assessment", json!({ "grade": "great" })), 422, None),
        ("candidate-id on update", attr("candidate-id", json!(333)), 400, Some("/data/attributes/candidate-id")),
        ("unknown status", attr("status", json!("done")), 422, Some("/data/attributes/status")),
        ("missing status", remove_attr("status"), 422, Some("/data/attributes/status")),
        ("url not http", attr("url", json!("ftp://example.com/r")), 422, Some("/data/attributes/url")),
        ("attachment without description", attr("attachments", json!([{ "url": "https://x.example/a" }])), 422, None),
        (
            "attachment with a bad url",
            attr("attachments", json!([{ "url": "javascript:x", "description": "d" }])),
            422,
            None,
        ),
        (
            "attachment extra member",
            attr("attachments", json!([{ "url": "https://x.example/a", "description": "d", "size": 1 }])),
            422,
            None,
        ),
        ("unknown attribute", attr("score", json!(71)), 400, Some("/data/attributes/score")),
        ("unknown data member", edited(&good, |b| b["data"]["relationships"] = json!({})), 400, None),
        ("unknown top-level member", edited(&good, |b| b["meta"] = json!({})), 400, Some("/meta")),
        ("no data", json!({}), 400, Some("/data")),
        ("no attributes", edited(&good, |b| b["data"] = json!({ "type": "partner-results", "id": id })), 400, None),
        ("id mismatch", edited(&good, |b| b["data"]["id"] = json!("999999")), 409, Some("/data/id")),
        ("type mismatch", edited(&good, |b| b["data"]["type"] = json!("partner-result")), 409, Some("/data/type")),
        ("numeric id", edited(&good, |b| b["data"]["id"] = json!(12345)), 400, Some("/data/id")),
        ("not an object", json!([]), 400, None),
    ];
    for (what, body, status, pointer) in invalid {
        let response = tt_write(&sim, &id, &body).await;
        // The schema check (sim/http.rs) sees a body before the simulator's
        // own checks and answers 422 for anything the document forbids, so a
        // 400 or 409 expected from the simulator may come as that 422.
        let refused_as_invalid = response.status == 422;
        assert!(response.status == status || refused_as_invalid, "{what}: {} {}", response.status, response.text());
        let (_, got) = jsonapi_error(&response);
        if let Some(pointer) = pointer {
            let got = got.unwrap_or_default();
            // A member missing or not allowed is named on its parent.
            let member = pointer.rsplit('/').next().unwrap_or_default();
            let text = response.text();
            let named = text.contains(&format!("'{member}'")) || text.contains(&format!("\\\"{member}\\\""));
            let near = got.starts_with(pointer) || (pointer.starts_with(&got) && named);
            assert!(near, "{what}: the error points at {got:?}, not at {pointer}");
        }
    }
    let headers =
        [("Authorization", TOKEN), ("X-Api-Version", "20180828"), ("Content-Type", "application/vnd.api+json")];
    let path = format!("/partner/v1/partner-results/{id}");
    assert_eq!(tt_raw(&sim, Method::PUT, &path, &headers, "{not json").await.status, 400);
    assert_eq!(sim.write_count(&id), 0, "nothing refused is recorded");
    assert_eq!(sim.status_history(&id), [PartnerStatus::Sending]);

    let response = tt_write(&sim, &id, &good).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json().unwrap()["data"]["attributes"], good["data"]["attributes"]);
    // A summary past the 150 characters shown ("does not have character
    // limit"), the documented grade and duration, nulls for optional members.
    let edge = json!({ "data": { "type": "partner-results", "id": id, "attributes": {
        "status": "failed", "summary": "é".repeat(400), "url": null, "details": null,
        "assessment": { "score": 82, "grade": "top_fit", "duration": "0:32:14" }, "job-id": 444,
    }}});
    assert_eq!(tt_write(&sim, &id, &edge).await.status, 200);
    let minimal = json!({ "data": { "type": "partner-results", "id": id, "attributes": { "status": "pending" } } });
    assert_eq!(tt_write(&sim, &id, &minimal).await.status, 200);
    assert_eq!(sim.writes(&id), [good, edge, minimal.clone()]);
    assert_eq!(sim.last_attributes(&id), Some(minimal["data"]["attributes"].clone()));
    assert_eq!(
        sim.status_history(&id),
        [PartnerStatus::Sending, PartnerStatus::Completed, PartnerStatus::Failed, PartnerStatus::Pending]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connectors_own_writes_are_accepted_as_sending_sent_completed() {
    let sim = teamtailor().await;
    let id = sim.create_trigger(trigger()).unwrap();
    let url = sim.update_url(&id);
    assert_eq!(sim.partner_result(&id).unwrap().update_url, url);

    let sent = teamtailor::progress_request(&url, TT_KEY, teamtailor::PartnerStatus::Sent, None).unwrap();
    let response = send(&sent).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let done = teamtailor::result_request(&url, TT_KEY, &sample_result()).unwrap();
    let response = send(&done).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());

    assert_eq!(sim.status_history(&id), [PartnerStatus::Sending, PartnerStatus::Sent, PartnerStatus::Completed]);
    assert_eq!(sim.partner_result(&id).unwrap().status, PartnerStatus::Completed);
    let writes = sim.writes(&id);
    assert_eq!(writes.len(), 2);
    assert_eq!(writes[0], serde_json::from_slice::<Value>(&sent.body).unwrap());
    assert_eq!(writes[1], serde_json::from_slice::<Value>(&done.body).unwrap());
    assert_eq!(
        sim.last_attributes(&id).unwrap(),
        json!({
            "status": "completed",
            "summary": "Assessio 71/100 — strongest: Driving Leadership",
            "url": "https://app.assessio.online/rep/2",
            "assessment": { "score": 71 },
            "details": { "Driving Leadership": 73, "Influencing & Inspiring": 68 },
            "attachments": [
                { "url": "https://app.assessio.online/rep/2", "description": "Assessio report" },
                { "url": "https://app.assessio.online/r/1", "description": "Recruitment in Assessio" },
            ],
        })
    );
    // A failure with a long reason is clipped by the adapter to what the sim takes.
    let long = "x".repeat(400);
    let failed = teamtailor::progress_request(&url, TT_KEY, teamtailor::PartnerStatus::Failed, Some(&long)).unwrap();
    assert_eq!(send(&failed).await.unwrap().status, 200);
    // With another key, the adapter's request is refused.
    let stranger = teamtailor::progress_request(&url, "someone-else", teamtailor::PartnerStatus::Sent, None).unwrap();
    assert_eq!(send(&stranger).await.unwrap().status, 401);
}

/// `v1` as a partner computes it: written here from the hub notes.
fn expected_tt_signature(secret: &str, t: i64, event_id: &str) -> String {
    hex::encode(hmac_sha256(secret, format!("{t}.{event_id}").as_bytes()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trigger_is_the_documented_event_with_bearer_and_a_known_answer_signature() {
    assert_eq!(teamtailor_signature("secret", T, "evt-1"), TT_KNOWN);
    assert_eq!(expected_tt_signature("secret", T, "evt-1"), TT_KNOWN, "the test's own route agrees");

    let sim = teamtailor().await;
    let (rx, seen) = receiver(|_| SimResponse::empty(StatusCode::OK)).await;
    let new = NewTrigger { event_id: Some("evt-1".into()), ..trigger() };
    assert_eq!(sim.place_trigger(new.clone()).await.unwrap_err(), TeamtailorSimError::NoWebhookUrl);
    sim.set_webhook_url(Some(format!("{}/teamtailor/webhook", rx.url())));
    let outcome = sim.place_trigger(new).await.unwrap();
    assert_eq!(outcome.status, Some(200));
    assert!(outcome.is_success() && outcome.shown_to_recruiter().is_none());

    let first = seen.lock().unwrap()[0].clone();
    assert_eq!(first.path, "/teamtailor/webhook");
    assert!(first.is_json());
    assert_eq!(first.header("authorization"), Some("Bearer pk_company_1"));
    let header = first.header("teamtailor-signature").unwrap().to_owned();
    assert_eq!(header, format!("t=1700000000,v1={TT_KNOWN}"));
    assert_eq!(teamtailor::verify_signature(Some(&header), "evt-1", TT_SECRET, T, None).unwrap().signed_at, T);
    assert!(teamtailor::verify_provider_key(first.header("authorization"), PROVIDER_KEY));

    let event: Value = serde_json::from_slice(&first.body).unwrap();
    let id = outcome.partner_result_id.clone();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&event), ["partner-event", "company"]);
    let e = &event["partner-event"];
    assert_eq!(keys(e), ["id", "webhook-data", "partner-result", "candidate"]);
    assert_eq!(e["id"], "evt-1");
    assert_eq!(e["webhook-data"], json!({ "lens": LENS, "locale": "sv-SE" }));
    assert_eq!(
        e["partner-result"],
        json!({ "id": id, "status": "sending", "update-url": format!("{}/partner/v1/partner-results/{id}", sim.url()) })
    );
    assert_eq!(keys(&e["candidate"]), ["id", "first-name", "last-name", "email", "phone", "resume", "job"]);
    assert_eq!(e["candidate"]["id"], json!(991), "an integer, as documented");
    assert_eq!(
        e["candidate"]["resume"],
        json!({ "file-name": "991.pdf", "url": "https://teamtailor.example/resumes/991.pdf" })
    );
    assert_eq!(
        e["candidate"]["job"],
        json!({ "id": 4711, "title": "Backend Developer", "stage-id": 3, "stage": "Assessment", "trigger-id": 1 })
    );
    let company = format!("Company {COMPANY}");
    assert_eq!(
        event["company"],
        json!({ "uuid": COMPANY, "name": company, "url": format!("https://career.teamtailor.example/{COMPANY}"),
                "logotype": format!("https://images.teamtailor.example/{COMPANY}/logo.png") })
    );

    // The connector reads it, and keeps none of the extra personal data.
    let read = teamtailor::parse_trigger(&first.body).unwrap();
    assert_eq!((read.event_id.as_str(), read.order.order_id.as_str()), ("evt-1", id.as_str()));
    assert_eq!((read.order.tenant.as_str(), read.lens_id.as_str(), read.locale.as_str()), (COMPANY, LENS, "sv-SE"));
    assert_eq!(read.update_url, sim.update_url(&id));
    // Without the update URL (checked above): the simulator's loopback port
    // is picked at random and may hold the digits `991`.
    let kept = serde_json::to_string(&read).unwrap().replace(&read.update_url, "");
    for personal in ["+46", "resumes", company.as_str(), "991"] {
        assert!(String::from_utf8_lossy(&first.body).contains(personal), "{personal} is sent");
        assert!(!kept.contains(personal), "{personal} kept: {kept}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn trigger_knobs_send_wrong_bearers_bad_signatures_and_duplicates() {
    let sim = teamtailor().await;
    let (rx, seen) = receiver(|_| SimResponse::empty(StatusCode::OK)).await;
    sim.set_webhook_url(Some(rx.url()));
    let id = sim.create_trigger(trigger()).unwrap();
    let event_id = sim.partner_result(&id).unwrap().event_id;
    let options = [
        TriggerOptions::valid(),
        TriggerOptions::valid().with_auth(TriggerAuth::WrongKey),
        TriggerOptions::valid().with_auth(TriggerAuth::Missing),
        TriggerOptions::valid().with_auth(TriggerAuth::Header("Token pk_company_1".into())),
        TriggerOptions::valid().with_signature(TriggerSignature::WrongSecret),
        TriggerOptions::valid().with_signature(TriggerSignature::Expired),
        TriggerOptions::valid().with_signature(TriggerSignature::At(T + 301)),
        TriggerOptions::valid().with_signature(TriggerSignature::Missing),
        TriggerOptions::valid().with_signature(TriggerSignature::Header("garbage".into())),
    ];
    for o in options {
        assert_eq!(sim.send_trigger(&id, o).await.unwrap().status, Some(200));
    }
    assert_eq!(sim.redeliver(&id).await.unwrap().event_id, event_id);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 10);
    assert!(seen.iter().all(|r| r.body == seen[0].body), "every delivery is byte-identical");
    let bearer = |i: usize| seen[i].header("authorization").map(str::to_owned);
    assert_eq!(bearer(0).as_deref(), Some("Bearer pk_company_1"));
    assert!(!teamtailor::verify_provider_key(bearer(1).as_deref(), PROVIDER_KEY));
    assert!(bearer(1).unwrap().starts_with("Bearer "), "well-formed, wrong");
    assert_eq!(bearer(2), None);
    assert!(!teamtailor::verify_provider_key(bearer(3).as_deref(), PROVIDER_KEY));

    let verify =
        |i: usize| teamtailor::verify_signature(seen[i].header("teamtailor-signature"), &event_id, TT_SECRET, T, None);
    assert!(verify(0).is_ok());
    assert_eq!(verify(4), Err(SignatureError::Mismatch));
    assert_eq!(verify(5), Err(SignatureError::Expired(3600)));
    assert_eq!(verify(6), Err(SignatureError::FromFuture(301)));
    assert_eq!(verify(7), Err(SignatureError::Missing));
    assert!(matches!(verify(8), Err(SignatureError::Malformed(_))));
    assert!(verify(9).is_ok(), "a redelivery is freshly and correctly signed");
    let expired = seen[5].header("teamtailor-signature").unwrap();
    assert_eq!(expired, format!("t={},v1={}", T - 3600, expected_tt_signature(TT_SECRET, T - 3600, &event_id)));
    assert_eq!(sim.trigger_deliveries().len(), 10);
    assert_eq!(sim.status_history(&id), [PartnerStatus::Sending], "triggers do not change the status");

    // Without a secret, a valid trigger carries no signature.
    let unsigned = TeamtailorSim::start(TeamtailorConfig::new(TT_KEY, None, &[(COMPANY, PROVIDER_KEY)])).await.unwrap();
    let (rx2, seen2) = receiver(|_| SimResponse::empty(StatusCode::NO_CONTENT)).await;
    unsigned.set_webhook_url(Some(rx2.url()));
    assert_eq!(unsigned.place_trigger(trigger()).await.unwrap().status, Some(204));
    assert_eq!(seen2.lock().unwrap()[0].header("teamtailor-signature"), None);

    assert_eq!(
        sim.create_trigger(NewTrigger::example("c-404", LENS, "sv-SE", "x@example.com")).unwrap_err(),
        TeamtailorSimError::UnknownCompany("c-404".into())
    );
    assert!(matches!(
        sim.send_trigger("nope", TriggerOptions::valid()).await,
        Err(TeamtailorSimError::UnknownPartnerResult(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_trigger_shows_its_plain_text_and_is_never_retried() {
    let sim = teamtailor().await;
    let (rx, seen, answers) = queued_receiver().await;
    sim.set_webhook_url(Some(rx.url()));
    let no_name = "Assessio could not be ordered: the candidate has no last name.";
    let cases = [
        (SimResponse::text(StatusCode::UNPROCESSABLE_ENTITY, no_name), Some(no_name.to_owned())),
        (
            SimResponse::json(StatusCode::BAD_REQUEST, &json!({ "message": "x" })),
            Some("The partner answered HTTP 400.".to_owned()),
        ),
        (SimResponse::text(StatusCode::SERVICE_UNAVAILABLE, "busy"), Some("busy".to_owned())),
        (SimResponse::text(StatusCode::ACCEPTED, "queued"), None),
    ];
    for (i, (answer, shown)) in cases.into_iter().enumerate() {
        answers.lock().unwrap().push(answer);
        let outcome = sim.place_trigger(trigger()).await.unwrap();
        assert_eq!(outcome.shown_to_recruiter(), shown, "case {i}: {}", outcome.text());
        assert_eq!(seen.lock().unwrap().len(), i + 1, "one delivery, no retry");
    }
    rx.shutdown();
    let outcome = sim.place_trigger(trigger()).await.unwrap();
    assert_eq!(outcome.status, None);
    assert!(outcome.error.is_some() && outcome.shown_to_recruiter().is_some());
    assert_eq!(sim.trigger_deliveries().len(), 5);
}

/// The documented configuration answer, written here from "Webhook config":
/// a grouped select and a plain one, numeric option ids.
fn documented_config() -> Value {
    json!({ "config": {
        "fields": [
            { "id": "test_type", "label": "Test", "placeholder": "Select test", "type": "select",
              "optgroups": [
                  { "label": "Logical", "options": [{ "id": 1, "label": "Algorithms" }, { "id": 2, "label": "Data" }] },
                  { "label": "Programming", "options": [{ "id": 3, "label": "Rust" }] },
              ] },
            { "id": "persona", "label": "Persona", "placeholder": "Select persona", "type": "select",
              "options": [{ "id": "senior", "label": "Senior developer" }] },
            { "type": "infobox", "content": "Read the guide", "icon": "info" },
        ],
        "assessment-criteria": [{ "id": "recursion-1", "label": "Recursive thinking" }],
    }})
}

#[tokio::test(flavor = "multi_thread")]
async fn the_partner_configuration_is_fetched_with_the_bearer_and_read_as_documented() {
    let sim = teamtailor().await;
    let body = documented_config().to_string();
    let (error_key, error_body) =
        ("pk_error", r#"{"config":{"fields":[{"type":"error","message":"Not connected","required":"true"}]}}"#);
    let gateway = Server::start_fn(move |req: SimRequest| {
        if req.path != "/teamtailor/config" || req.method != Method::GET {
            return SimResponse::text(StatusCode::NOT_FOUND, "no");
        }
        let query = req.query_pairs();
        let names: Vec<&str> = query.iter().map(|(n, _)| n.as_str()).collect();
        if names != ["job_id", "stage_id", "user_id"] {
            return SimResponse::text(StatusCode::BAD_REQUEST, "the documented query is missing");
        }
        let mut r = SimResponse::json(StatusCode::OK, &json!(null));
        r.body = match req.header("authorization") {
            Some(a) if a == format!("Bearer {PROVIDER_KEY}") => body.clone().into(),
            Some(a) if a == format!("Bearer {error_key}") => error_body.into(),
            _ => return SimResponse::text(StatusCode::UNAUTHORIZED, "unknown provider key"),
        };
        r
    })
    .await
    .unwrap();

    let dialog = sim.fetch_config(&format!("{}/", gateway.url()), PROVIDER_KEY).await.unwrap();
    assert_eq!(dialog.error(), None);
    assert_eq!(dialog.select_ids(), ["test_type", "persona"]);
    let ids = |field: &str| dialog.options(field).iter().map(|o| o.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids("test_type"), ["1", "2", "3"], "numeric ids, groups flattened");
    assert_eq!(dialog.options("test_type")[2].group.as_deref(), Some("Programming"));
    assert_eq!(ids("persona"), ["senior"]);
    // Choices are sent under the field id with `_` turned into `-`, as strings.
    let chosen = dialog.choose(&[("test_type", "3"), ("persona", "senior")]).unwrap();
    assert_eq!(
        chosen.into_iter().collect::<Vec<_>>(),
        [("persona".into(), "senior".into()), ("test-type".into(), "3".into())]
    );
    assert_eq!(dialog.choose(&[("nope", "1")]), Err(DialogError::NoSuchField("nope".into())));
    assert!(matches!(dialog.choose(&[("persona", "junior")]), Err(DialogError::NoSuchOption { .. })));

    // An error field: the dialog shows it, and no trigger can be set up.
    let blocked = sim.fetch_config(&gateway.url(), error_key).await.unwrap();
    assert_eq!(blocked.error(), Some("Not connected"));
    assert_eq!(blocked.choose(&[]), Err(DialogError::Blocked("Not connected".into())));

    // Anything but the documented 200 is no dialog at all.
    match sim.fetch_config(&gateway.url(), "pk_wrong").await {
        Err(TeamtailorSimError::BadConfig { status: 401, problem }) => assert!(problem.contains("provider key")),
        other => panic!("{other:?}"),
    }
    gateway.shutdown();
    // Nothing listens on a port just given back: the fetch fails in transport,
    // not as a bad configuration. (The stopped gateway's own address is no
    // test of that: a pooled keep-alive connection may still be served.)
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let unreachable = sim.fetch_config(&format!("http://{closed}"), PROVIDER_KEY).await;
    assert!(matches!(unreachable, Err(TeamtailorSimError::Transport(_))), "{unreachable:?}");

    let good = documented_config();
    assert!(parse_partner_config(good.to_string().as_bytes()).is_ok());
    let fields = |edit: &dyn Fn(&mut Value)| edited(&good, |v| edit(&mut v["config"]["fields"]));
    let bad = [
        ("JSON:API instead", json!({ "data": { "type": "partner-configs", "attributes": { "fields": [] } } }), "data"),
        ("no fields", json!({ "config": {} }), "config.fields"),
        ("an undocumented type", fields(&|f| f[1]["type"] = json!("dropdown")), "fields[1].type"),
        ("no options", fields(&|f| drop(f[1].as_object_mut().unwrap().remove("options"))), "options or optgroups"),
        ("empty options", fields(&|f| f[1]["options"] = json!([])), "fields[1].options"),
        ("options and optgroups", fields(&|f| f[0]["options"] = json!([])), "not both"),
        ("value instead of id", fields(&|f| f[1]["options"][0] = json!({ "value": "x", "label": "X" })), "value"),
        ("a fractional id", fields(&|f| f[1]["options"][0]["id"] = json!(1.5)), "options[0].id"),
        (
            "a duplicate option",
            fields(&|f| f[0]["optgroups"][1]["options"][0]["id"] = json!(1)),
            "appears more than once",
        ),
        ("an option without label", fields(&|f| f[1]["options"][0] = json!({ "id": "x" })), "options[0].label"),
        ("an unknown field member", fields(&|f| f[1]["hint"] = json!("x")), "fields[1].hint"),
        ("required as a word", fields(&|f| f[1]["required"] = json!("yes")), "fields[1].required"),
        ("a duplicate field", fields(&|f| f[1]["id"] = json!("test_type")), "fields[1].id"),
        ("an error without message", fields(&|f| f[1] = json!({ "type": "error" })), "fields[1].message"),
        ("an unknown top-level member", edited(&good, |v| v["meta"] = json!({})), "meta"),
    ];
    for (what, body, word) in bad {
        let problem = parse_partner_config(body.to_string().as_bytes()).unwrap_err();
        assert!(problem.contains(word), "{what}: {problem}");
    }
    assert!(parse_partner_config(b"<html>").unwrap_err().contains("not JSON"));
}

// ---------------------------------------------------------------- StackOne

async fn stackone_with(edit: impl FnOnce(&mut StackOneConfig)) -> StackOneSim {
    let mut config = StackOneConfig::new(SO_KEY, &[ACCOUNT, OTHER_ACCOUNT], SO_SECRET);
    config.clock = SimClock::fixed(T);
    edit(&mut config);
    StackOneSim::start(config).await.unwrap()
}

fn basic(key: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{key}:")))
}

async fn so_raw(sim: &StackOneSim, method: Method, path: &str, headers: &[(&str, &str)], body: &str) -> ClientResponse {
    client().request(method, &format!("{}{path}", sim.url()), headers, body.to_owned()).await.unwrap()
}

async fn so_write(sim: &StackOneSim, order_id: &str, body: &Value) -> ClientResponse {
    let auth = basic(SO_KEY);
    let headers = [("Authorization", auth.as_str()), ("x-account-id", ACCOUNT), ("Content-Type", "application/json")];
    let path = format!("/unified/ats/assessments/orders/{order_id}/result");
    so_raw(sim, Method::PATCH, &path, &headers, &body.to_string()).await
}

/// The message of `StackOne`'s error body, after checking the body's shape.
fn so_error(response: &ClientResponse) -> String {
    let v = response.json().unwrap();
    assert_eq!(v["statusCode"], response.status, "{v}");
    // The schema check (sim/http.rs) answers before the simulator's clock is
    // at hand, so its refusals carry no timestamp; the simulator's own do.
    if let Some(t) = v.get("timestamp") {
        assert_eq!(t, "2023-11-14T22:13:20.000Z", "{v}");
    }
    v["message"].as_str().unwrap().to_owned()
}

/// A complete write, built by hand from `StackOne`'s `ats.json`
/// (`AtsUpdateCandidatesAssessmentsResultsRequestDto`, every member).
fn so_result(_id: &str) -> Value {
    json!({
        "score": { "label": "Assessio score", "value": "71", "min": "0", "max": "100" },
        "start_date": "2023-11-14T20:00:00.000Z",
        "submission_date": "2023-11-14T22:13:20Z",
        "summary": "Assessio score 71 of 100.",
        "result": { "value": "completed", "source_value": "Completed" },
        "result_url": "https://app.assessio.online/rep/2",
        "attachments": [{ "url": "https://app.assessio.online/r/1", "content_type": { "value": "text" } }],
        "candidate": { "id": "cand-1", "profile_url": "https://ats.example/c/1" },
        "passthrough": { "anything": true },
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn result_writes_need_basic_auth_a_known_account_and_json() {
    /// Headers sent, status expected.
    type Case<'a> = (&'a [(&'a str, &'a str)], u16);
    let sim = stackone_with(|_| {}).await;
    let id = sim.create_order(NewStackOneOrder::example(ACCOUNT, "L1:sv-SE", "r@example.com")).unwrap();
    let other = sim.create_order(NewStackOneOrder::example(OTHER_ACCOUNT, "L1:sv-SE", "o@example.com")).unwrap();
    let path = format!("/unified/ats/assessments/orders/{id}/result");
    let body = so_result(&id).to_string();
    let (good, wrong, bearer) = (basic(SO_KEY), basic("not-the-key"), format!("Bearer {SO_KEY}"));
    let json_ct = ("Content-Type", "application/json");
    let cases: [Case; 8] = [
        (&[("x-account-id", ACCOUNT), json_ct], 401),
        (&[("Authorization", &wrong), ("x-account-id", ACCOUNT), json_ct], 401),
        (&[("Authorization", &bearer), ("x-account-id", ACCOUNT), json_ct], 401),
        (&[("Authorization", "Basic not-base64!"), ("x-account-id", ACCOUNT), json_ct], 401),
        (&[("Authorization", &good), json_ct], 400),
        (&[("Authorization", &good), ("x-account-id", "acc-unknown"), json_ct], 403),
        (&[("Authorization", &good), ("x-account-id", ACCOUNT), ("Content-Type", "text/plain")], 415),
        (&[("Authorization", &good), ("x-account-id", ACCOUNT)], 415),
    ];
    for (headers, status) in cases {
        let response = so_raw(&sim, Method::PATCH, &path, headers, &body).await;
        assert_eq!(response.status, status, "{headers:?}: {}", response.text());
        assert!(!so_error(&response).is_empty());
    }
    let unknown = so_write(&sim, "no-such-order", &so_result("no-such-order")).await;
    assert_eq!(unknown.status, 404);
    assert!(so_error(&unknown).contains("no-such-order"));
    let theirs = so_write(&sim, &other, &so_result(&other)).await;
    assert_eq!(theirs.status, 404, "another account's order is not found");
    let headers = [("Authorization", good.as_str()), ("x-account-id", ACCOUNT), json_ct];
    assert_eq!(so_raw(&sim, Method::PUT, &path, &headers, &body).await.status, 405);
    assert_eq!(so_raw(&sim, Method::PATCH, "/unified/ats/orders", &headers, &body).await.status, 404);

    let accepted = so_write(&sim, &id, &so_result(&id)).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(accepted.json().unwrap()["statusCode"], 200);
    assert_eq!(sim.result_write_count(&id), 1);
    assert_eq!(sim.result_write_count(&other), 0);
    let calls = sim.calls();
    assert_eq!(calls.len(), 13);
    assert_eq!(calls[4].account_id, None);
    assert_eq!(calls[5].account_id.as_deref(), Some("acc-unknown"));
}

#[tokio::test(flavor = "multi_thread")]
async fn result_bodies_are_validated_strictly_with_string_scores() {
    let sim = stackone_with(|_| {}).await;
    let id = sim.create_order(NewStackOneOrder::example(ACCOUNT, "L1:sv-SE", "r@example.com")).unwrap();
    let good = so_result(&id);
    let set = |key: &'static str, value: Value| edited(&good, move |b| b[key] = value);
    let remove = |key: &'static str| {
        edited(&good, move |b| {
            b.as_object_mut().unwrap().remove(key);
        })
    };
    let score = |edit: &dyn Fn(&mut Value)| edited(&good, |b| edit(&mut b["score"]));
    // What, body, a word the message must contain.
    let invalid = [
        ("score as a number", score(&|s| s["value"] = json!(71)), "score.value"),
        ("max as a number", score(&|s| s["max"] = json!(100)), "score.max"),
        ("score above max", score(&|s| s["value"] = json!("101")), "not between"),
        ("score below min", score(&|s| s["value"] = json!("-1")), "not between"),
        ("score not numeric", score(&|s| s["value"] = json!("high")), "not a number"),
        ("min above max", score(&|s| s["min"] = json!("200")), "greater than"),
        ("label a number", score(&|s| s["label"] = json!(1)), "score.label"),
        ("unknown score member", score(&|s| s["weight"] = json!("1")), "'weight'"),
        ("an id, which the current schema no longer has", set("id", json!("ord-1")), "'id'"),
        ("submission_date not a date", set("submission_date", json!("yesterday")), "submission_date"),
        ("submission_date a number", set("submission_date", json!(T)), "submission_date"),
        ("start_date not a date", set("start_date", json!("2023-02-30T00:00:00Z")), "start_date"),
        ("summary a number", set("summary", json!(71)), "summary"),
        ("unknown result value", set("result", json!({ "value": "done" })), "result.value"),
        ("result a string", set("result", json!("completed")), "result"),
        ("result_url not http", set("result_url", json!("ftp://example.com/r")), "result_url"),
        (
            "unknown content type",
            set("attachments", json!([{ "url": "https://x.example/a", "content_type": { "value": "docx" } }])),
            "content_type.value",
        ),
        ("attachment url missing", set("attachments", json!([{ "content_type": { "value": "pdf" } }])), "url"),
        ("attachments an object", set("attachments", json!({})), "attachments"),
        ("unknown field", set("status", json!("COMPLETED")), "'status'"),
        ("candidate extra", set("candidate", json!({ "email": "x@example.com" })), "'email'"),
        ("passthrough a string", set("passthrough", json!("x")), "passthrough"),
        ("not an object", json!([]), "object"),
    ];
    for (what, body, word) in invalid {
        let response = so_write(&sim, &id, &body).await;
        assert_eq!(response.status, 400, "{what}: {}", response.text());
        let message = so_error(&response);
        // The schema check names a field by its JSON pointer, the
        // simulator's own checks by its dotted path: either names it.
        let pointer = format!("/{}", word.replace('.', "/"));
        assert!(message.contains(word) || message.contains(&pointer), "{what}: {message}");
    }
    assert_eq!(sim.result_write_count(&id), 0, "nothing refused is recorded");

    for value in stackone_result_values() {
        let body = set("result", json!({ "value": value }));
        assert_eq!(so_write(&sim, &id, &body).await.status, 200, "{value}");
    }
    let minimal = json!({
        "submission_date": "2023-11-14T22:13:20+01:00", "summary": "",
        "result": { "value": "passed" }, "result_url": "http://example.com/r",
        "score": null, "attachments": [{ "url": "https://x.example/a" }],
    });
    assert_eq!(so_write(&sim, &id, &minimal).await.status, 200);
    // No member is required: each may be left out, the score's too.
    for key in ["label", "value", "min", "max"] {
        let without = score(&|s| {
            s.as_object_mut().unwrap().remove(key);
        });
        assert_eq!(so_write(&sim, &id, &without).await.status, 200, "score without {key}");
    }
    for key in ["score", "submission_date", "summary", "result", "result_url", "attachments"] {
        assert_eq!(so_write(&sim, &id, &remove(key)).await.status, 200, "without {key}");
    }
    assert_eq!(so_write(&sim, &id, &json!({})).await.status, 200, "an empty write");
    let fractional = score(&|s| {
        s["value"] = json!("3.5");
        s["min"] = json!("1");
        s["max"] = json!("5");
    });
    assert_eq!(so_write(&sim, &id, &fractional).await.status, 200);
    assert_eq!(so_write(&sim, &id, &good).await.status, 200);
    let writes = sim.result_writes(&id);
    assert_eq!(writes.len(), 22);
    assert_eq!(writes[8], minimal);
    assert_eq!(writes[21], good);
}

fn stackone_result_values() -> [&'static str; 8] {
    ["initiated", "in_progress", "cancelled", "completed", "expired", "failed", "passed", "unmapped_value"]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connectors_own_write_is_accepted_exactly_once_and_exactly_as_built() {
    let sim = stackone_with(|_| {}).await;
    let id = sim.create_order(NewStackOneOrder::example(ACCOUNT, "L1:sv-SE", "r@example.com")).unwrap();
    let api = stackone::StackOneApi { base_url: sim.url(), api_key: SO_KEY.into(), account_id: ACCOUNT.into() };
    let request = stackone::result_request(&api, &id, &sample_result(), T).unwrap();
    let response = send(&request).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(stackone::interpret_write_response(response.status, &response.body), kombo::WriteOutcome::Written);
    assert_eq!(sim.result_write_count(&id), 1);
    assert_eq!(
        sim.result_writes(&id)[0],
        json!({
            "score": { "label": "Assessio score", "value": "71", "min": "0", "max": "100" },
            "submission_date": "2023-11-14T22:13:20Z",
            "summary": "Assessio score 71 of 100. Driving Leadership 73, Influencing & Inspiring 68.",
            "result": { "value": "completed" },
            "result_url": "https://app.assessio.online/rep/2",
            "attachments": [{ "url": "https://app.assessio.online/r/1", "content_type": { "value": "other" } }],
        })
    );
    assert_eq!(sim.result_writes(&id)[0], serde_json::from_slice::<Value>(&request.body).unwrap());

    // The adapter reads the simulator's refusals as failures.
    let other = stackone::StackOneApi { account_id: "acc-unknown".into(), ..api.clone() };
    let refused = send(&stackone::result_request(&other, &id, &sample_result(), T).unwrap()).await.unwrap();
    assert!(matches!(
        stackone::interpret_write_response(refused.status, &refused.body),
        kombo::WriteOutcome::Failed(r) if r.status == 403 && r.message.contains("acc-unknown")
    ));
    let missing = send(&stackone::result_request(&api, "ord/1 ä", &sample_result(), T).unwrap()).await.unwrap();
    assert_eq!(missing.status, 404, "a percent-encoded id is decoded: {}", missing.text());
    assert!(so_error(&missing).contains("ord/1 ä"));
    assert_eq!(sim.result_write_count(&id), 1);
}

#[test]
fn stackone_signatures_match_openssl() {
    // `printf '%s' "$BODY" | openssl dgst -sha256 -hmac stackone_secret -binary | basenc --base64url | tr -d =`
    let body = br#"{"project_id":"p-1","account_id":"acc-7","event":"ats_assessments.created","event_date":"2026-11-30T10:00:00.000Z","record_type":"ats_assessments","record_id":"ord_1","sent_at":"2026-11-30T10:00:01.000Z"}"#;
    assert_eq!(stackone_signature(SO_SECRET, body), "jf784UjisLGPilKz0i09WyLTKHFLLRDjVxCDIg3VWP0");
}

/// The signature as a receiver computes it: written here from StackOne's
/// webhooks guide ("Sample consumer").
fn expected_so_signature(body: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(SO_SECRET, body))
}

fn headers_of(r: &SimRequest) -> Vec<(String, String)> {
    r.headers.iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned())).collect()
}

fn plugin_verify(r: &SimRequest) -> Result<(), SignatureError> {
    let owned = headers_of(r);
    let headers: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    stackone::verify_webhook(&headers, &r.body, &[SO_SECRET])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_order_event_is_signed_verifiably_read_by_the_connector_and_redeliverable() {
    let sim = stackone_with(|_| {}).await;
    let (rx, seen) = receiver(|_| SimResponse::empty(StatusCode::OK)).await;
    let new = NewStackOneOrder::example(ACCOUNT, "L1:sv-SE", "romain@example.com");
    assert_eq!(sim.place_order(new.clone()).await.unwrap_err(), StackOneSimError::NoWebhookUrl);
    sim.set_webhook_url(Some(format!("{}/stackone/webhook", rx.url())));
    let outcome = sim.place_order(new).await.unwrap();
    assert_eq!((outcome.status, outcome.attempts), (Some(200), 1));

    let first = seen.lock().unwrap()[0].clone();
    assert_eq!(first.path, "/stackone/webhook");
    assert!(first.is_json());
    let header = first.header("x-stackone-signature").unwrap().to_owned();
    assert_eq!(header, expected_so_signature(&first.body));
    assert!(!header.contains(['=', '+', '/']), "base64url without padding");
    assert_eq!(plugin_verify(&first), Ok(()));

    // The unified envelope (webhooks.mdx), with the default reading of
    // `event_data`: the package and the application and candidate references.
    let event: Value = serde_json::from_slice(&first.body).unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&event),
        [
            "project_id",
            "account_id",
            "event",
            "event_date",
            "record_type",
            "record_id",
            "sent_at",
            "record_remote_id",
            "raw_event",
            "event_data",
        ]
    );
    assert_eq!(
        (event["event"].as_str(), event["account_id"].as_str(), event["record_id"].as_str()),
        (Some("ats_assessments.created"), Some(ACCOUNT), Some(outcome.order_id.as_str()))
    );
    assert!(event.get("id").is_none() && event.get("data").is_none(), "neither is in the documented envelope");
    let data = &event["event_data"];
    assert_eq!(keys(data), ["package", "candidate_id", "application_id"]);
    assert_eq!(data["package"]["id"], "L1:sv-SE");

    let read = stackone::parse_event(&first.body).unwrap();
    assert_eq!((read.record_id.as_str(), read.account_id.as_str()), (outcome.order_id.as_str(), ACCOUNT));
    assert_eq!(read.package_id.as_deref(), Some("L1:sv-SE"));
    assert_eq!(stackone::next_lookup(&read), Some((stackone::LookupKind::Application, "app-77".into())));

    let again = sim.redeliver(&outcome.order_id).await.unwrap();
    assert_eq!(again.event_id, outcome.event_id);
    sim.send_order_created(&outcome.order_id, StackOneSignature::Missing).await.unwrap();
    sim.send_order_created(&outcome.order_id, StackOneSignature::WrongSecret).await.unwrap();
    sim.send_order_created(&outcome.order_id, StackOneSignature::Header("garbage!".into())).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().all(|r| r.body == first.body), "every delivery is byte-identical");
    assert_eq!(plugin_verify(&seen[1]), Ok(()));
    assert_eq!(plugin_verify(&seen[2]), Err(SignatureError::Missing));
    assert_eq!(plugin_verify(&seen[3]), Err(SignatureError::Mismatch));
    assert!(matches!(plugin_verify(&seen[4]), Err(SignatureError::Malformed(_))));
    assert_eq!(sim.webhook_sends().len(), 5);
    assert!(matches!(
        sim.send_order_created("nope", StackOneSignature::Valid).await,
        Err(StackOneSimError::UnknownOrder(_))
    ));
    assert_eq!(
        sim.create_order(NewStackOneOrder::example("acc-x", "p", "x@example.com")).unwrap_err(),
        StackOneSimError::UnknownAccount("acc-x".into())
    );
}

/// The look-ups StackOne's guide tells a provider to make, served for the
/// account's own orders only, in the unified `{"data": {...}}` shape; and
/// the connector, reading each answer, completes the order from them.
#[tokio::test(flavor = "multi_thread")]
async fn the_unified_look_ups_serve_the_accounts_records_and_complete_the_order() {
    let sim = stackone_with(|_| {}).await;
    let id = sim.create_order(NewStackOneOrder::example(ACCOUNT, "L1:sv-SE", "romain@example.com")).unwrap();
    let auth = basic(SO_KEY);
    let get = |path: &'static str, account: &'static str| {
        let auth = auth.clone();
        let sim = &sim;
        async move {
            let headers = [("Authorization", auth.as_str()), ("x-account-id", account)];
            so_raw(sim, Method::GET, path, &headers, "").await
        }
    };
    let candidate = get("/unified/ats/candidates/cand-8187e5da", ACCOUNT).await;
    assert_eq!(candidate.status, 200, "{}", candidate.text());
    let c = candidate.json().unwrap();
    assert_eq!((c["data"]["first_name"].as_str(), c["data"]["last_name"].as_str()), (Some("Romain"), Some("Sestier")));
    assert_eq!(c["data"]["emails"][0], json!({ "type": "personal", "value": "romain@example.com" }));
    let application = get("/unified/ats/applications/app-77", ACCOUNT).await.json().unwrap();
    assert_eq!(
        (application["data"]["candidate_id"].as_str(), application["data"]["job_id"].as_str()),
        (Some("cand-8187e5da"), Some("job-9"))
    );
    let job = get("/unified/ats/jobs/job-9", ACCOUNT).await.json().unwrap();
    assert_eq!(job["data"]["title"], "Software Engineer");
    assert_eq!(get("/unified/ats/jobs/job-9", OTHER_ACCOUNT).await.status, 404, "another account's job");
    assert_eq!(get("/unified/ats/candidates/nobody", ACCOUNT).await.status, 404);
    let anonymous = so_raw(&sim, Method::GET, "/unified/ats/jobs/job-9", &[("x-account-id", ACCOUNT)], "").await;
    assert_eq!(anonymous.status, 401);

    // The connector's own look-ups, answered by the simulator.
    let api = stackone::StackOneApi { base_url: sim.url(), api_key: SO_KEY.into(), account_id: ACCOUNT.into() };
    let event = format!(
        r#"{{"account_id":"{ACCOUNT}","event":"ats_assessments.created","record_id":"{id}","event_data":{{"package":{{"id":"L1:sv-SE"}},"application_id":"app-77"}}}}"#
    );
    let mut e = stackone::parse_event(event.as_bytes()).unwrap();
    while let Some((kind, lookup_id)) = stackone::next_lookup(&e) {
        let answer = send(&stackone::lookup_request(&api, kind, &lookup_id).unwrap()).await.unwrap();
        e = match stackone::merge_lookup(&e, kind, answer.status, &answer.body) {
            stackone::LookupOutcome::Merged(next) => *next,
            other => panic!("{kind:?}: {other:?}"),
        };
    }
    let order = stackone::to_hub_order(&e).unwrap();
    assert_eq!((order.candidate.email.as_str(), order.candidate.last_name.as_str()), ("romain@example.com", "Sestier"));
    assert_eq!((order.job_id.as_str(), order.job_title.as_str()), ("job-9", "Software Engineer"));
    assert_eq!(order.collaborator_emails, ["john.doe@example.com"]);
    let lookups: Vec<String> = sim.calls().iter().map(|c| c.target.clone()).rev().take(3).collect();
    assert_eq!(
        lookups,
        ["/unified/ats/jobs/job-9", "/unified/ats/candidates/cand-8187e5da", "/unified/ats/applications/app-77"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_are_not_retried_by_default_and_retried_on_5xx_when_asked() {
    let answers = |statuses: &'static [u16]| {
        move |n: usize| SimResponse::text(SimResponse::status_code(statuses[(n - 1).min(statuses.len() - 1)]), "x")
    };
    let sim = stackone_with(|_| {}).await;
    let (rx, seen) = receiver(answers(&[503, 200])).await;
    sim.set_webhook_url(Some(rx.url()));
    let outcome = sim.place_order(NewStackOneOrder::example(ACCOUNT, "p", "x@example.com")).await.unwrap();
    assert_eq!((outcome.status, outcome.attempts, seen.lock().unwrap().len()), (Some(503), 1, 1));

    let retrying = stackone_with(|c| c.retry = StackOneRetry::times(3, Duration::from_millis(10))).await;
    let (rx, seen) = receiver(answers(&[503, 500, 200])).await;
    retrying.set_webhook_url(Some(rx.url()));
    let outcome = retrying.place_order(NewStackOneOrder::example(ACCOUNT, "p", "x@example.com")).await.unwrap();
    assert_eq!((outcome.status, outcome.attempts), (Some(200), 3));
    let seen = seen.lock().unwrap().clone();
    assert!(seen.iter().all(|r| r.body == seen[0].body && r.headers == seen[0].headers), "identical attempts");
    let attempts: Vec<u32> = retrying.webhook_sends().iter().map(|s| s.attempt).collect();
    assert_eq!(attempts, [1, 2, 3]);

    let (rx, seen) = receiver(answers(&[422])).await;
    retrying.set_webhook_url(Some(rx.url()));
    let outcome = retrying.place_order(NewStackOneOrder::example(ACCOUNT, "p", "x@example.com")).await.unwrap();
    assert_eq!((outcome.status, outcome.attempts, seen.lock().unwrap().len()), (Some(422), 1, 1), "a 4xx is final");

    rx.shutdown();
    let outcome = retrying.place_order(NewStackOneOrder::example(ACCOUNT, "p", "x@example.com")).await.unwrap();
    assert_eq!((outcome.status, outcome.attempts), (None, 4), "no answer: retried up to the bound");
    assert!(outcome.error.is_some());
}

// ---------------------------------------------------------------- faults

#[tokio::test(flavor = "multi_thread")]
async fn teamtailor_writes_fail_on_demand_then_recover() {
    let sim = teamtailor().await;
    let id = sim.create_trigger(trigger()).unwrap();
    sim.faults().set(teamtailor_route::PARTNER_RESULT, FaultPlan::new().fail_next(2, 503));
    let statuses = [
        tt_write(&sim, &id, &completed(&id)).await.status,
        tt_write(&sim, &id, &completed(&id)).await.status,
        tt_write(&sim, &id, &completed(&id)).await.status,
    ];
    assert_eq!(statuses, [503, 503, 200]);
    let stats = sim.faults().stats(teamtailor_route::PARTNER_RESULT);
    assert_eq!((stats.requests, stats.failed), (3, 2));
    assert_eq!(sim.write_count(&id), 1, "faulted requests never reach the simulator");
    assert_eq!(sim.calls().len(), 1);
    // Other routes are not the partner-result route.
    tt_raw(&sim, Method::GET, "/x", &[], "").await;
    assert_eq!(sim.faults().stats(teamtailor_route::OTHER).requests, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn stackone_writes_drop_on_demand_then_recover() {
    let sim = stackone_with(|_| {}).await;
    let id = sim.create_order(NewStackOneOrder::example(ACCOUNT, "p", "x@example.com")).unwrap();
    sim.faults().set(stackone_route::RESULT, FaultPlan::new().drop_next(1).fail_next(1, 429));
    let auth = basic(SO_KEY);
    let headers = [("Authorization", auth.as_str()), ("x-account-id", ACCOUNT), ("Content-Type", "application/json")];
    let url = format!("{}/unified/ats/assessments/orders/{id}/result", sim.url());
    let body = so_result(&id).to_string();
    let err = client().request(Method::PATCH, &url, &headers, body.clone()).await.unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err}");
    let throttled = client().request(Method::PATCH, &url, &headers, body.clone()).await.unwrap();
    assert_eq!(throttled.status, 429);
    assert!(matches!(
        stackone::interpret_write_response(throttled.status, &throttled.body),
        kombo::WriteOutcome::RetryLater(_)
    ));
    assert_eq!(client().request(Method::PATCH, &url, &headers, body).await.unwrap().status, 200);
    let stats = sim.faults().stats(stackone_route::RESULT);
    assert_eq!((stats.requests, stats.dropped, stats.failed), (3, 1, 1));
    assert_eq!((sim.result_write_count(&id), sim.calls().len()), (1, 1));
}
