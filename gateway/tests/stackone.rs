//! The StackOne flows, natively, against the in-memory platform with a
//! scripted Assessio and StackOne: the signed unified event, the look-ups
//! that complete it, placement, refusals written back as `cancelled`
//! results, keeping an order while Assessio is down and placing it with
//! reconcile, the packages list, and the result write-back (`PATCH`, scores
//! as strings).

// `StackOne` is the product's name, not code.

mod support;

use assessio_gateway::config::Config;
use assessio_gateway::hub::Hub;
use assessio_gateway::place::result_id;
use assessio_plugin::{HttpRequest, Method};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use support::{Memory, NOW, reply, result_body, text};

const OPERATOR: &str = "operator-token-xyz";
const API_KEY: &str = "integrator-api-key-xyz";
const SO_API_KEY: &str = "stackone-api-key-xyz";
const SO_SECRET: &str = "stackone-webhook-secret-xyz";

fn vars() -> Vec<(&'static str, String)> {
    let tenants = json!({
        "acc-1": {"provider_key": "pk-org-1-xyz", "integrator_secret": "isecret-org-1-xyz", "default_locale": "sv-SE"},
    });
    vec![
        ("assessio_url", "http://assessio.test".to_string()),
        ("assessio_integrator_api_key", API_KEY.into()),
        ("public_url", "https://gw.example".into()),
        ("operator_token", OPERATOR.into()),
        ("stackone_url", "http://stackone.test".into()),
        ("stackone_api_key", SO_API_KEY.into()),
        ("stackone_webhook_secret", SO_SECRET.into()),
        ("stackone_tenants", tenants.to_string()),
    ]
}

/// StackOne's unified API as the tests script it: the application `app-77`
/// (candidate `cand-1`, job `job-9`), the candidate (no last name for
/// `cand-nameless`) and the job; every result write accepted.
fn stackone(r: &HttpRequest) -> Result<assessio_gateway::platform::Reply, String> {
    let path = r.url.strip_prefix("http://stackone.test").unwrap_or_default();
    match path {
        "/unified/ats/applications/app-77" => {
            reply(200, r#"{"data":{"id":"app-77","candidate_id":"cand-1","job_id":"job-9"}}"#)
        }
        "/unified/ats/candidates/cand-1" => reply(
            200,
            r#"{"data":{"id":"cand-1","first_name":"Romain","last_name":"Sestier","phone_numbers":[{"phone":"+33 6"}],
               "emails":[{"type":"personal","value":"romain@example.com"}],"profile_url":"https://ats.example/c/1"}}"#,
        ),
        "/unified/ats/candidates/cand-nameless" => reply(
            200,
            r#"{"data":{"id":"cand-nameless","first_name":"Romain","last_name":null,"emails":[{"value":"r@example.com"}]}}"#,
        ),
        "/unified/ats/jobs/job-9" => reply(
            200,
            r#"{"data":{"id":"job-9","title":"Software Engineer","hiring_team":[{"email":"john.doe@example.com","role":"Hiring Manager"}]}}"#,
        ),
        p if p.starts_with("/unified/ats/assessments/orders/") => {
            reply(200, r#"{"statusCode":200,"message":"Record updated successfully."}"#)
        }
        _ => reply(404, r#"{"statusCode":404,"message":"Not found","timestamp":"2026-11-30T10:00:00.000Z"}"#),
    }
}

fn gateway() -> Memory {
    let p = Memory::new(vars());
    p.script(|r| if r.url.contains("assessio.test") { reply(201, "{}") } else { stackone(r) });
    p
}

fn envelope(order_id: &str, event_data: Option<Value>) -> Value {
    let mut e = json!({
        "project_id": "acme-27270", "account_id": "acc-1", "event": "ats_assessments.created",
        "event_date": "2026-11-30T10:00:00.000Z", "record_type": "ats_assessments", "record_id": order_id,
        "sent_at": "2026-11-30T10:00:01.000Z",
    });
    if let Some(data) = event_data {
        e["record_remote_id"] = json!("remote-1");
        e["event_data"] = data;
    }
    e
}

/// A native event whose `event_data` maps the whole order (no look-up needed
/// unless a name is missing).
fn event(order_id: &str, last_name: Option<&str>) -> Value {
    envelope(
        order_id,
        Some(json!({
            "id": order_id, "remote_id": "remote-1",
            "package": {"id": "lens-1:en-US", "name": "Assessio General Performance (English)"},
            "application": {"id": "app-77"},
            "candidate": {"id": "cand-nameless", "first_name": "Romain", "last_name": last_name,
                          "emails": [{"type": "personal", "value": "romain@example.com"}],
                          "profile_url": "https://ats.example/c/1"},
            "job": {"id": "job-9", "title": "Software Engineer",
                    "hiring_team": [{"first_name": "John", "email": "john.doe@example.com", "role": "Hiring Manager"}]}
        })),
    )
}

/// A native event with the package and references only.
fn references(order_id: &str) -> Value {
    let data = json!({"package": {"id": "lens-1:en-US"}, "application_id": "app-77", "candidate_id": "cand-1"});
    envelope(order_id, Some(data))
}

/// The result writes sent to StackOne for an order.
fn writes(p: &Memory, order_id: &str) -> Vec<Value> {
    p.sent_to(&format!("/unified/ats/assessments/orders/{order_id}/result"))
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

const NO_LAST_NAME: &str = "Assessio could not be ordered: the candidate has no last name. \
                            Assessio needs a first and a last name to invite the candidate.";

fn sign(body: &[u8], secret: &str) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn send(p: &Memory, body: &Value) -> assessio_gateway::reply::Outgoing {
    let bytes = body.to_string().into_bytes();
    let sig = sign(&bytes, SO_SECRET);
    p.call("POST", "/stackone/webhook", &[("x-stackone-signature", &sig)], &bytes)
}

fn assessio_orders(p: &Memory) -> Vec<HttpRequest> {
    p.sent_to("/recruitment/v1/assessment-order")
}

fn json_of(o: &assessio_gateway::reply::Outgoing) -> Value {
    serde_json::from_slice(&o.body).unwrap_or_else(|_| panic!("not JSON: {}", text(o)))
}

fn operator(p: &Memory, method: &str, path: &str) -> assessio_gateway::reply::Outgoing {
    let auth = format!("Bearer {OPERATOR}");
    p.call(method, path, &[("authorization", &auth)], b"")
}

#[test]
fn an_order_event_is_placed_and_the_result_is_patched_back_with_string_scores() {
    let p = gateway();
    let out = send(&p, &event("ord_1", Some("Sestier")));
    assert_eq!(out.status, 200, "{}", text(&out));
    assert_eq!(json_of(&out), json!({"status": "placed", "already": false}));
    let orders = assessio_orders(&p);
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].header("provider-key"), Some("pk-org-1-xyz"));
    let body: Value = serde_json::from_slice(&orders[0].body).unwrap();
    assert_eq!(
        body["candidateDetails"],
        json!({"email": "romain@example.com", "firstName": "Romain", "lastName": "Sestier"})
    );
    assert_eq!((body["lensId"].as_str(), body["locale"].as_str()), (Some("lens-1"), Some("en-US")));
    assert_eq!(body["recruitment"]["title"], "Software Engineer");
    assert_eq!(body["additionalRecruitmentCollaboratorsEmails"], json!(["john.doe@example.com"]));
    let rid = result_id(Hub::StackOne, "acc-1", "ord_1");
    assert_eq!(body["resultId"], rid.as_str());
    for dropped in ["ats.example", "app-77", "Hiring Manager", "remote-1"] {
        assert!(!String::from_utf8_lossy(&orders[0].body).contains(dropped), "{dropped} sent to Assessio");
    }

    let auth = format!("Bearer {API_KEY}");
    let out = p.call("POST", &format!("/assessio/results/{rid}"), &[("authorization", &auth)], &result_body(&rid));
    assert_eq!(out.status, 200, "{}", text(&out));
    let patches = p.sent_to("/result");
    assert_eq!(patches.len(), 1);
    let patch = &patches[0];
    assert_eq!(patch.method, Method::Patch);
    assert_eq!(patch.url, "http://stackone.test/unified/ats/assessments/orders/ord_1/result");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SO_API_KEY}:"));
    assert_eq!(patch.header("Authorization"), Some(format!("Basic {basic}").as_str()));
    assert_eq!(patch.header("x-account-id"), Some("acc-1"));
    let written: Value = serde_json::from_slice(&patch.body).unwrap();
    assert_eq!(
        written,
        json!({
            "score": {"label": "Assessio score", "value": "71", "min": "0", "max": "100"},
            "submission_date": "2023-11-14T22:13:20Z",
            "summary": "Assessio score 71 of 100. Driving Leadership 73, Influencing & Inspiring 68.",
            "result": {"value": "completed"},
            "result_url": "https://app.assessio.online/rep/2",
            "attachments": [{"url": "https://app.assessio.online/r/1", "content_type": {"value": "other"}}],
        })
    );
    assert_eq!(NOW, 1_700_000_000, "the submission date is the gateway's clock");
    let record = json_of(&operator(&p, "GET", "/orders/stackone/acc-1/ord_1"));
    assert_eq!((record["hub"].as_str(), record["state"].as_str()), (Some("stackone"), Some("written-back")));
}

#[test]
fn an_event_with_references_only_is_completed_by_look_ups_then_placed() {
    let p = gateway();
    let out = send(&p, &references("ord_9"));
    assert_eq!(json_of(&out), json!({"status": "placed", "already": false}), "{}", text(&out));
    let looked_up: Vec<String> = p.sent_to("/unified/ats/").iter().map(|r| r.url.clone()).collect();
    assert_eq!(
        looked_up,
        [
            "http://stackone.test/unified/ats/applications/app-77",
            "http://stackone.test/unified/ats/candidates/cand-1",
            "http://stackone.test/unified/ats/jobs/job-9",
        ]
    );
    for r in p.sent_to("/unified/ats/") {
        assert_eq!((r.method, r.header("x-account-id")), (Method::Get, Some("acc-1")));
        assert!(r.header("Authorization").is_some_and(|a| a.starts_with("Basic ")));
    }
    let orders = assessio_orders(&p);
    assert_eq!(orders.len(), 1);
    let body: Value = serde_json::from_slice(&orders[0].body).unwrap();
    assert_eq!(
        body["candidateDetails"],
        json!({"email": "romain@example.com", "firstName": "Romain", "lastName": "Sestier"})
    );
    assert_eq!(body["recruitment"]["title"], "Software Engineer");
    assert_eq!(body["additionalRecruitmentCollaboratorsEmails"], json!(["john.doe@example.com"]));
    let sent = String::from_utf8_lossy(&orders[0].body).to_string();
    for dropped in ["+33 6", "ats.example", "Hiring Manager"] {
        assert!(!sent.contains(dropped), "{dropped} sent to Assessio");
    }
}

#[test]
fn a_refused_order_is_written_back_cancelled_with_the_reason_and_nothing_is_placed() {
    let p = gateway();
    // The event has no last name; the candidate look-up has none either.
    let out = send(&p, &event("ord_1", None));
    assert_eq!(json_of(&out), json!({"status": "rejected", "reason": NO_LAST_NAME}), "{}", text(&out));
    assert_eq!(p.sent_to("/unified/ats/candidates/").len(), 1, "the candidate was looked up first");
    assert_eq!(writes(&p, "ord_1"), [json!({"summary": NO_LAST_NAME, "result": {"value": "cancelled"}})]);
    assert!(assessio_orders(&p).is_empty());
    // A redelivery finds the same refusal and writes it again (idempotent).
    assert_eq!(json_of(&send(&p, &event("ord_1", None)))["status"], "rejected");
    assert_eq!(writes(&p, "ord_1").len(), 2);
    assert!(assessio_orders(&p).is_empty());

    let mut unknown = event("ord_2", Some("Sestier"));
    unknown["account_id"] = json!("acc-unknown");
    let out = send(&p, &unknown);
    assert_eq!(json_of(&out)["status"], "rejected");
    let written = p.sent_to("/orders/ord_2/result");
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].header("x-account-id"), Some("acc-unknown"), "written to the account that asked");
    assert!(String::from_utf8_lossy(&written[0].body).contains("not connected to an Assessio organisation"));

    // A synthetic event carries no package: nothing says which lens to use.
    let out = send(&p, &envelope("ord_3", None));
    assert_eq!(json_of(&out)["status"], "rejected", "{}", text(&out));
    assert!(writes(&p, "ord_3")[0]["summary"].as_str().unwrap().contains("did not say which assessment package"));
    assert!(assessio_orders(&p).is_empty());
}

#[test]
fn look_up_failures_refuse_or_wait_and_nothing_is_placed_meanwhile() {
    let p = gateway();
    // StackOne does not know the application: the order cannot be completed.
    let mut gone = references("ord_1");
    gone["event_data"]["application_id"] = json!("app-gone");
    gone["event_data"]["candidate_id"] = Value::Null;
    let out = send(&p, &gone);
    assert_eq!(json_of(&out)["status"], "rejected", "{}", text(&out));
    let summary = writes(&p, "ord_1")[0]["summary"].as_str().unwrap().to_string();
    assert!(summary.contains("could not give the order's candidate or job"), "{summary}");

    // StackOne is down: 503, nothing decided, nothing written or placed.
    p.script(|r| if r.url.contains("stackone.test") { reply(503, "") } else { reply(201, "{}") });
    let out = send(&p, &references("ord_2"));
    assert_eq!(out.status, 503, "{}", text(&out));
    assert!(assessio_orders(&p).is_empty() && writes(&p, "ord_2").is_empty());
    // Back up: the redelivery places it.
    p.script(|r| if r.url.contains("assessio.test") { reply(201, "{}") } else { stackone(r) });
    assert_eq!(json_of(&send(&p, &references("ord_2")))["status"], "placed");
    assert_eq!(assessio_orders(&p).len(), 1);

    // A refusal StackOne cannot take yet is answered 503, so it comes again.
    p.script(|r| if r.url.ends_with("/result") { reply(500, "") } else { stackone(r) });
    assert_eq!(send(&p, &event("ord_3", None)).status, 503);
}

#[test]
fn the_packages_list_is_the_accounts_lenses_by_locale() {
    let p = gateway();
    p.script(|r| {
        if r.url.ends_with("/recruitment/v1/config") {
            reply(
                200,
                r#"{"availableLenses":[{"id":"lens-1","name":"General Performance"}],"availableLocales":["sv-SE","en-US"]}"#,
            )
        } else {
            reply(500, "")
        }
    });
    let query = br#"{"job_id":"49201091","account_id":"acc-1","provider":"teamtailor"}"#;
    let sig = sign(query, SO_SECRET);
    let out = p.call("POST", "/stackone/packages", &[("x-stackone-signature", &sig)], query);
    assert_eq!(out.status, 200, "{}", text(&out));
    let body = json_of(&out);
    let ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["lens-1:sv-SE", "lens-1:en-US"]);
    assert_eq!(body["data"][0]["name"], "Assessio General Performance (Swedish)");
    assert_eq!(p.sent_to("/recruitment/v1/config")[0].header("provider-key"), Some("pk-org-1-xyz"));
    assert_eq!(p.call("POST", "/stackone/packages", &[], query).status, 401);
    let stranger = br#"{"account_id":"acc-x"}"#;
    let sig = sign(stranger, SO_SECRET);
    assert_eq!(p.call("POST", "/stackone/packages", &[("x-stackone-signature", &sig)], stranger).status, 404);
}

#[test]
fn a_bad_or_missing_signature_is_refused_and_nothing_is_sent() {
    let p = gateway();
    let bytes = event("ord_1", Some("Sestier")).to_string().into_bytes();
    let wrong_secret = sign(&bytes, "other");
    let other_body = sign(b"{}", SO_SECRET);
    let right_but_elsewhere = sign(&bytes, SO_SECRET);
    for headers in [
        vec![],
        vec![("x-stackone-signature", wrong_secret.as_str())],
        vec![("x-stackone-signature", other_body.as_str())],
        vec![("x-stackone-signature", "not a signature")],
        vec![("x-other-signature", right_but_elsewhere.as_str())],
    ] {
        let out = p.call("POST", "/stackone/webhook", &headers, &bytes);
        assert_eq!(out.status, 401, "{headers:?}: {}", text(&out));
    }
    assert!(p.sent.borrow().is_empty());
    assert!(p.keys().is_empty(), "nothing stored: {:?}", p.keys());
}

#[test]
fn during_a_rotation_the_previous_secret_is_accepted_too() {
    let mut p = gateway();
    let bytes = event("ord_1", Some("Sestier")).to_string().into_bytes();
    let old = sign(&bytes, "the-old-secret");
    assert_eq!(p.call("POST", "/stackone/webhook", &[("x-stackone-signature", &old)], &bytes).status, 401);
    p.vars.insert("stackone_webhook_previous_secret".into(), "the-old-secret".into());
    let out = p.call("POST", "/stackone/webhook", &[("x-stackone-signature", &old)], &bytes);
    assert_eq!(out.status, 200, "{}", text(&out));
    let cfg = Config::load(&p).unwrap();
    assert!(cfg.secrets().contains(&"the-old-secret"), "the previous secret is a secret too");
}

#[test]
fn a_duplicate_event_places_one_order() {
    let p = gateway();
    let answers: Vec<Value> = (0..3).map(|_| json_of(&send(&p, &event("ord_1", Some("Sestier"))))).collect();
    assert_eq!(answers[0]["already"], false);
    assert_eq!((answers[1]["already"].as_bool(), answers[2]["already"].as_bool()), (Some(true), Some(true)));
    assert_eq!(assessio_orders(&p).len(), 1);
}

#[test]
fn other_events_are_acknowledged_and_ignored() {
    let p = gateway();
    let mut updated = event("ord_1", Some("Sestier"));
    updated["event"] = json!("ats_assessments.updated");
    let out = send(&p, &updated);
    assert_eq!((out.status, json_of(&out)["status"].as_str()), (200, Some("ignored")));
    assert!(p.sent.borrow().is_empty());
}

#[test]
fn assessio_down_keeps_the_order_and_reconcile_places_it_and_deletes_the_candidate_data() {
    let p = gateway();
    p.script(|r| if r.url.contains("assessio.test") { Err("connection refused".into()) } else { stackone(r) });
    let out = send(&p, &event("ord_1", Some("Sestier")));
    assert_eq!(out.status, 202, "{}", text(&out));
    assert_eq!(json_of(&out)["status"], "kept");
    let rid = result_id(Hub::StackOne, "acc-1", "ord_1");
    assert!(p.keys().contains(&format!("pending:{rid}")));

    p.script(|r| if r.url.contains("assessio.test") { reply(201, "{}") } else { stackone(r) });
    let out = operator(&p, "POST", "/reconcile");
    assert_eq!(out.status, 200, "{}", text(&out));
    assert_eq!(json_of(&out)["stackone"]["placed"], 1);
    assert_eq!(assessio_orders(&p).len(), 2, "one refused attempt, one placed");
    assert!(!p.keys().contains(&format!("pending:{rid}")));
    let store = p.store_text();
    for personal in ["romain@example.com", "Sestier", "john.doe@example.com"] {
        assert!(!store.contains(personal), "{personal} still stored: {store}");
    }
    // Redelivered by StackOne after all: already placed, nothing sent.
    assert_eq!(json_of(&send(&p, &event("ord_1", Some("Sestier"))))["already"], true);
    assert_eq!(assessio_orders(&p).len(), 2);
}

#[test]
fn a_result_stackone_refuses_is_kept_and_written_once_by_reconcile() {
    let p = gateway();
    send(&p, &event("ord_1", Some("Sestier")));
    let rid = result_id(Hub::StackOne, "acc-1", "ord_1");
    p.script(|r| {
        if r.url.contains("stackone.test") {
            reply(429, r#"{"message":"Too many requests"}"#)
        } else {
            reply(201, "{}")
        }
    });
    let auth = format!("Bearer {API_KEY}");
    let out = p.call("POST", &format!("/assessio/results/{rid}"), &[("authorization", &auth)], &result_body(&rid));
    assert_eq!(out.status, 502);
    assert!(text(&out).contains("Too many requests"));
    p.script(stackone);
    let out = operator(&p, "POST", "/reconcile");
    assert_eq!(json_of(&out)["stackone"]["results_written"], 1, "{}", text(&out));
    assert!(!p.store_text().contains("Driving Leadership"), "scores deleted once written");
    let out = p.call("POST", &format!("/assessio/results/{rid}"), &[("authorization", &auth)], &result_body(&rid));
    assert_eq!(json_of(&out)["already"], true);
    assert_eq!(p.sent_to("/result").len(), 2);
}

#[test]
fn no_secret_appears_in_any_answer_or_log_line() {
    let p = gateway();
    let mut answers = vec![
        send(&p, &event("ord_1", Some("Sestier"))),
        send(&p, &event("ord_2", None)),
        p.call("POST", "/stackone/webhook", &[("x-stackone-signature", "AAAA")], b"{}"),
        p.call("GET", "/health", &[], b""),
    ];
    p.script(
        |r| if r.url.contains("assessio.test") { reply(401, r#"{"message":"bad signature"}"#) } else { stackone(r) },
    );
    answers.push(send(&p, &event("ord_3", Some("Sestier"))));
    answers.push(operator(&p, "POST", "/reconcile"));
    let rid = result_id(Hub::StackOne, "acc-1", "ord_1");
    let auth = format!("Bearer {API_KEY}");
    answers.push(p.call("POST", &format!("/assessio/results/{rid}"), &[("authorization", &auth)], &result_body(&rid)));
    let cfg = Config::load(&p).unwrap();
    let secrets = cfg.secrets();
    for s in [SO_API_KEY, SO_SECRET, "pk-org-1-xyz", "isecret-org-1-xyz", API_KEY, OPERATOR] {
        assert!(secrets.contains(&s), "Config::secrets() lists {s}");
    }
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SO_API_KEY}:"));
    let mut everything: Vec<String> = p.logs.borrow().clone();
    everything.extend(answers.iter().map(text));
    for secret in secrets.into_iter().chain([basic.as_str()]) {
        for line in &everything {
            assert!(!line.contains(secret), "{secret} leaked in {line}");
        }
    }
}

/// The index of kept orders is updated under a short lock; a lock left held
/// (a crashed holder) does not lose the order: the update goes through
/// without it, read back, and reconcile finds the order.
#[test]
fn a_held_index_lock_does_not_lose_a_kept_order() {
    use assessio_gateway::records::{INDEX_KEY, claim_for, index};
    let p = gateway();
    assert_eq!(claim_for(&p, INDEX_KEY, 2), Ok(true), "someone else holds the lock");
    p.script(|r| if r.url.contains("assessio.test") { reply(503, "") } else { stackone(r) });
    assert_eq!(send(&p, &event("ord_1", Some("Sestier"))).status, 202);
    let rid = result_id(Hub::StackOne, "acc-1", "ord_1");
    assert_eq!(index(&p), Ok(vec![rid.clone()]));
    // An id whose kept order is gone is dropped by the next reconcile.
    assert_eq!(send(&p, &event("ord_2", Some("Sestier"))).status, 202);
    let stale = result_id(Hub::StackOne, "acc-1", "ord_2");
    p.kv.borrow_mut().remove(&format!("pending:{stale}"));
    p.script(|r| if r.url.contains("assessio.test") { reply(201, "{}") } else { stackone(r) });
    let out = operator(&p, "POST", "/reconcile");
    assert_eq!(json_of(&out)["stackone"]["placed"], 1, "{}", text(&out));
    assert_eq!(index(&p), Ok(Vec::new()));
}

/// An optional member as StackOne may send it: a value, `null`, or absent.
fn maybe(value: Value) -> impl proptest::strategy::Strategy<Value = Option<Value>> {
    use proptest::prelude::*;
    prop_oneof![Just(Some(value)), Just(Some(Value::Null)), Just(None)]
}

/// Puts `value` at `key` unless it is absent.
fn put(obj: &mut Value, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        obj[key] = v;
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Documented events with every optional member present, `null` or
    /// absent (the envelope's `event_data` and everything in it, and the
    /// unified answers' fields): each ends placed, or refused where the
    /// recruiter sees it (a `cancelled` result with a reason); never a 400
    /// or a 5xx, and nothing placed without a full candidate.
    #[test]
    fn every_documented_event_ends_placed_or_visibly_refused(
        with_data in proptest::bool::ANY,
        package in maybe(json!({"id": "lens-1:en-US", "name": "Assessio"})),
        application_id in maybe(json!("app-77")),
        candidate_id in maybe(json!("cand-1")),
        job in maybe(json!({"id": "job-9", "title": null})),
        first in maybe(json!("Romain")),
        last in maybe(json!("Sestier")),
        emails in maybe(json!([{"type": "personal", "value": "romain@example.com"}])),
        hiring_team in maybe(json!([{"email": null}, {"email": "hm@example.com"}])),
        requester in maybe(json!({"email": null})),
        looked_up_last in maybe(json!("Sestier")),
        looked_up_title in maybe(json!("Engineer")),
    ) {
        let p = Memory::new(vars());
        let (last_answer, title_answer) = (looked_up_last.clone(), looked_up_title.clone());
        p.script(move |r| {
            let path = r.url.strip_prefix("http://stackone.test").unwrap_or_default();
            if r.url.contains("assessio.test") {
                return reply(201, "{}");
            }
            let mut data = json!({});
            match path {
                "/unified/ats/applications/app-77" => {
                    data = json!({"id": "app-77", "candidate_id": "cand-1", "job_id": "job-9"});
                }
                "/unified/ats/candidates/cand-1" => {
                    data = json!({"id": "cand-1", "first_name": "Romain", "emails": [{"value": "romain@example.com"}]});
                    put(&mut data, "last_name", last_answer.clone());
                }
                "/unified/ats/jobs/job-9" => {
                    data = json!({"id": "job-9"});
                    put(&mut data, "title", title_answer.clone());
                }
                p if p.ends_with("/result") => return reply(200, r#"{"statusCode":200}"#),
                _ => return reply(404, r#"{"statusCode":404,"message":"Not found","timestamp":"t"}"#),
            }
            reply(200, &json!({ "data": data }).to_string())
        });
        let mut candidate = json!({});
        put(&mut candidate, "id", candidate_id.clone());
        put(&mut candidate, "first_name", first);
        put(&mut candidate, "last_name", last);
        put(&mut candidate, "emails", emails);
        let mut data = json!({});
        put(&mut data, "package", package);
        put(&mut data, "application_id", application_id);
        put(&mut data, "candidate", Some(candidate));
        let job = job.map(|mut j| {
            if let Some(team) = hiring_team.clone() {
                j["hiring_team"] = team;
            }
            j
        });
        put(&mut data, "job", job);
        put(&mut data, "requester", requester);
        let event = envelope("ord_p", with_data.then_some(data));
        let out = send(&p, &event);
        proptest::prop_assert_eq!(out.status, 200, "{}", text(&out));
        let answer = json_of(&out);
        let placed = assessio_orders(&p);
        match answer["status"].as_str() {
            Some("placed") => {
                proptest::prop_assert_eq!(placed.len(), 1);
                let body: Value = serde_json::from_slice(&placed[0].body).unwrap();
                for name in ["email", "firstName", "lastName"] {
                    let v = body["candidateDetails"][name].as_str().unwrap_or_default();
                    proptest::prop_assert!(!v.is_empty(), "{} missing in {}", name, body);
                }
                proptest::prop_assert!(writes(&p, "ord_p").is_empty());
            }
            Some("rejected") => {
                proptest::prop_assert!(placed.is_empty());
                let written = writes(&p, "ord_p");
                proptest::prop_assert_eq!(written.len(), 1);
                proptest::prop_assert_eq!(&written[0]["result"]["value"], "cancelled");
                let summary = written[0]["summary"].as_str().unwrap_or_default();
                proptest::prop_assert!(summary.starts_with("Assessio could not be ordered"), "{}", summary);
                proptest::prop_assert_eq!(answer["reason"].as_str(), Some(summary));
            }
            other => proptest::prop_assert!(false, "{:?}: {}", other, text(&out)),
        }
    }
}
