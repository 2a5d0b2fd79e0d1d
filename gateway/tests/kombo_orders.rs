//! Kombo orders as Kombo's published API schema defines them (`openapi.json`
//! on docs.kombo.dev: `AssessmentOrderReceivedWebhookPayload` and
//! `GetAssessmentOrdersPositiveResponse`), through the gateway natively:
//! every nullable field may be `null` (or, leniently, absent), the job may
//! have no ATS id, open-order pages carry no `integration_id`, and an event
//! that cannot become an order is rejected with Kombo's 422 and a message.
//! Also Assessio's 409 on `order-link`, which is "placed" only for an order
//! sent before.

mod support;

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use proptest::prelude::*;
use serde_json::{Value, json};
use support::{Memory, reply};

const KOMBO_SECRET: &str = "kombo-webhook-secret-xyz";
const OPERATOR: &str = "operator-token-xyz";

fn gateway(endpoint: &str) -> Memory {
    Memory::new([
        ("assessio_url", "http://assessio.test"),
        ("assessio_order_endpoint", endpoint),
        ("assessio_integrator_api_key", "integrator-api-key-xyz"),
        ("kombo_url", "http://kombo.test"),
        ("kombo_api_key", "kombo-api-key-xyz"),
        ("kombo_webhook_secret", KOMBO_SECRET),
        ("public_url", "https://gw.example"),
        ("operator_token", OPERATOR),
        (
            "tenants",
            r#"{"int-1":{"provider_key":"pk-org-1-xyz","integrator_secret":"isecret-org-1-xyz","default_locale":"sv-SE"}}"#,
        ),
    ])
}

/// The order object Kombo's API schema documents, with every nullable field
/// `null` but the candidate's names and the job's name and code, and no
/// `remote_data` (the schema has `additionalProperties: false`).
fn documented_order(id: &str, job_code: Option<&str>) -> Value {
    json!({
        "id": id, "package_id": "lens-1:sv-SE", "status": "OPEN", "integration_id": "int-1",
        "candidate": {"remote_id": null, "email": "ada@example.com", "first_name": "Ada",
                      "last_name": "Lovelace", "phone": null},
        "application": {"remote_id": null},
        "job": {"remote_id": null, "name": "Bottle Opener", "job_code": job_code, "description": null,
                "location": null, "hiring_team": []}
    })
}

fn envelope(order: &Value) -> Value {
    json!({"id": format!("evt-{}", order["id"].as_str().unwrap_or("x")), "type": "assessment:order-received", "data": order})
}

fn signed_webhook(p: &Memory, body: &[u8]) -> assessio_gateway::reply::Outgoing {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(KOMBO_SECRET.as_bytes()).unwrap();
    mac.update(body);
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    p.call("POST", "/kombo/webhook", &[("x-kombo-signature", &sig)], body)
}

fn webhook(p: &Memory, event: &Value) -> assessio_gateway::reply::Outgoing {
    signed_webhook(p, event.to_string().as_bytes())
}

fn body_of(o: &assessio_gateway::reply::Outgoing) -> Value {
    serde_json::from_slice(&o.body).unwrap_or(Value::Null)
}

fn assessio_bodies(p: &Memory) -> Vec<Value> {
    p.sent_to("/recruitment/v1/assessment-order").iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
}

/// Kombo's documented rejection: 422, `{"status":"ORDER_REJECTED","message"}`
/// with a message the recruiter can read.
fn assert_rejected(out: &assessio_gateway::reply::Outgoing) -> String {
    assert_eq!(out.status, 422, "{}", support::text(out));
    let body = body_of(out);
    assert_eq!(body["status"], "ORDER_REJECTED", "{body}");
    let message = body["message"].as_str().unwrap_or_default().to_string();
    assert!(message.starts_with("Assessio could not be ordered"), "{message}");
    message
}

/// Before: `400 unreadable order event: data.job.remote_id is required`, so
/// the order stayed open in the ATS and in every reconcile.
#[test]
fn a_documented_order_without_a_job_id_is_placed_in_one_recruitment_per_job() {
    let p = gateway("order");
    for id in ["ord-1", "ord-2"] {
        let out = webhook(&p, &envelope(&documented_order(id, Some("BO-2024-01"))));
        assert_eq!(out.status, 200, "{}", support::text(&out));
        assert_eq!(body_of(&out)["status"], "placed");
    }
    let other_job = webhook(&p, &envelope(&documented_order("ord-3", Some("BO-2024-02"))));
    assert_eq!(other_job.status, 200);
    let sent = assessio_bodies(&p);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0]["recruitment"]["id"], sent[1]["recruitment"]["id"], "one job code, one recruitment");
    assert_ne!(sent[0]["recruitment"]["id"], sent[2]["recruitment"]["id"]);
    assert_eq!(sent[0]["recruitment"]["title"], "Bottle Opener");
    assert_eq!(sent[0]["additionalRecruitmentCollaboratorsEmails"], json!([]));
    assert!(sent[0]["recruitment"].get("description").is_none(), "the job description stays in the ATS");
}

#[test]
fn an_event_that_verifies_but_cannot_become_an_order_gets_kombos_422_with_a_message() {
    let p = gateway("order");
    let mut no_email = documented_order("ord-1", None);
    no_email["candidate"]["email"] = json!(null);
    let message = assert_rejected(&webhook(&p, &envelope(&no_email)));
    assert!(message.contains("email address is missing"), "{message}");
    assert!(message.contains("data.candidate.email"), "{message}");

    let mut odd_name = documented_order("ord-2", None);
    odd_name["job"]["name"] = json!(42);
    assert!(assert_rejected(&webhook(&p, &envelope(&odd_name))).contains("data.job.name"));

    let mut no_id = documented_order("x", None);
    no_id.as_object_mut().unwrap().remove("id");
    assert_rejected(&webhook(&p, &envelope(&no_id)));
    assert_rejected(&webhook(&p, &json!({"id": "e", "type": "data-changed", "data": {"id": "d"}})));
    assert_rejected(&signed_webhook(&p, b"[1, 2]"));
    // Not JSON at all: not an event Kombo sends; the order (if any) stays open.
    assert_eq!(signed_webhook(&p, b"not json").status, 400);
    assert!(p.sent.borrow().is_empty(), "nothing reaches Assessio");
    // The log names the field and keeps the candidate's data out.
    assert!(!p.logs.borrow().join("\n").contains("ada@example.com"));
}

/// Kombo's `GET /assessment/orders` results have no `integration_id`: the
/// gateway takes the integration it listed. An order that can be read but not
/// placed is recorded rejected once and skipped after; one that cannot be
/// read is reported with where and why. Neither fails the run.
#[test]
fn reconcile_places_documented_open_orders_and_does_not_loop_on_those_it_cannot_place() {
    let p = gateway("order");
    let strip = |mut o: Value| {
        o.as_object_mut().unwrap().remove("integration_id");
        o
    };
    let mut no_last = documented_order("ord-2", Some("BO-1"));
    no_last["candidate"]["last_name"] = json!(null);
    let mut no_email = documented_order("ord-3", Some("BO-1"));
    no_email["candidate"].as_object_mut().unwrap().remove("email");
    let page = json!({"status": "success", "data": {"next": null, "results": [
        strip(documented_order("ord-1", None)), strip(no_last), strip(no_email),
    ]}});
    p.script(move |r| {
        if r.url.contains("/assessment/orders") {
            assert_eq!(r.header("X-Integration-Id"), Some("int-1"));
            reply(200, &page.to_string())
        } else {
            reply(200, "\"ok\"")
        }
    });
    let auth = format!("Bearer {OPERATOR}");
    let first = p.call("POST", "/kombo/reconcile", &[("authorization", &auth)], b"");
    assert_eq!(first.status, 200, "{}", support::text(&first));
    let tally = &body_of(&first)["integrations"]["int-1"];
    assert_eq!((tally["placed"].as_u64(), tally["rejected"].as_u64()), (Some(1), Some(1)), "{tally}");
    assert_eq!(tally["unreadable"], 1, "{tally}");
    let why = tally["unreadable_orders"][0].as_str().unwrap();
    assert!(why.contains("data.results[2]") && why.contains("candidate.email"), "{why}");
    assert_eq!(p.sent_to("/recruitment/v1/assessment-order")[0].header("provider-key"), Some("pk-org-1-xyz"));
    let logs_after_first = p.logs.borrow().len();

    let second = p.call("POST", "/kombo/reconcile", &[("authorization", &auth)], b"");
    assert_eq!(second.status, 200);
    let body = body_of(&second);
    assert_eq!(body["complete"], true);
    let tally = &body["integrations"]["int-1"];
    assert_eq!(tally["already_placed"], 1, "{tally}");
    assert_eq!(tally["already_rejected"], 1, "{tally}");
    assert_eq!(tally["rejected"], 0, "{tally}");
    assert_eq!(assessio_bodies(&p).len(), 1, "placed once, the rest never sent");
    // The second run logs only the unreadable order again, nothing about the rejected one.
    let new_logs: Vec<String> = p.logs.borrow()[logs_after_first..].to_vec();
    assert!(new_logs.iter().all(|l| !l.contains("ord-2")), "{new_logs:?}");
    let status = p.call("GET", "/orders/kombo/int-1/ord-2", &[("authorization", &auth)], b"");
    assert_eq!(body_of(&status)["state"], "rejected", "{}", support::text(&status));
}

/// Assessio's 409 on `assessment-order-link` means the candidate's email is
/// already in that recruitment. A second, different order for the same
/// candidate and job must not be taken as placed: Assessio would send the
/// result to the first order's result id, and this one would wait forever.
#[test]
fn a_409_for_an_order_never_sent_before_is_a_rejection_with_a_reason() {
    let p = gateway("order-link");
    p.script(|r| {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        if body["resultId"].is_string() && r.url.ends_with("/assessment-order-link") {
            let first = assessio_gateway::place::result_id(assessio_gateway::hub::Hub::Kombo, "int-1", "ord-1");
            if body["resultId"] == first.as_str() {
                return reply(200, r#"{"assessmentPackageLink":"https://app.assessio.online/p/1"}"#);
            }
            return reply(409, r#"{"message":"Candidate already exists in recruitment"}"#);
        }
        reply(200, "{}")
    });
    assert_eq!(webhook(&p, &envelope(&documented_order("ord-1", Some("BO-1")))).status, 200);
    let second = webhook(&p, &envelope(&documented_order("ord-2", Some("BO-1"))));
    let message = assert_rejected(&second);
    assert!(message.contains("already in this Assessio recruitment"), "{message}");
    // Redelivered: answered from the record, not sent again.
    assert_rejected(&webhook(&p, &envelope(&documented_order("ord-2", Some("BO-1")))));
    assert_eq!(assessio_bodies(&p).len(), 2);
}

/// The same order, sent before with no known outcome (Assessio unreachable),
/// answered 409 on its next attempt: its own earlier attempt landed.
#[test]
fn a_409_after_an_unknown_earlier_attempt_of_the_same_order_settles_as_placed() {
    let p = gateway("order-link");
    p.script(|_| Err(format!("{}connection reset after the body was sent", support::MAYBE_SENT)));
    let order = envelope(&documented_order("ord-1", Some("BO-1")));
    let out = webhook(&p, &order);
    assert_eq!(out.status, 202, "{}", support::text(&out));
    assert_eq!(body_of(&out)["status"], "uncertain");
    let health = p.call("GET", "/health", &[], b"");
    assert_eq!(body_of(&health)["orders"]["uncertain"], 1, "{}", support::text(&health));
    // On `order-link` a second send is safe: a 409 means the first landed.
    p.script(|_| reply(409, ""));
    let out = webhook(&p, &order);
    assert_eq!(out.status, 200, "{}", support::text(&out));
    assert_eq!(body_of(&out)["status"], "placed");
    assert_eq!(assessio_bodies(&p).len(), 2);
    let health = p.call("GET", "/health", &[], b"");
    assert_eq!(body_of(&health)["orders"]["uncertain"], 0, "settled: {}", support::text(&health));
}

/// On the plain `order` endpoint an uncertain send is never repeated: not
/// by a redelivery, not by reconcile; the result webhook settles it.
#[test]
fn an_uncertain_send_on_the_order_endpoint_is_never_sent_again() {
    let p = gateway("order");
    p.script(|_| Err(format!("{}no answer within the first-byte deadline", support::MAYBE_SENT)));
    let order = envelope(&documented_order("ord-1", Some("BO-1")));
    assert_eq!(webhook(&p, &order).status, 202);
    p.script(|_| reply(200, "{}"));
    for _ in 0..3 {
        let out = webhook(&p, &order);
        assert_eq!((out.status, body_of(&out)["status"].clone()), (202, json!("uncertain")), "{}", support::text(&out));
    }
    assert_eq!(assessio_bodies(&p).len(), 1, "sent once, whatever came after");
    // A proxy's 502 after the body went out is as unclear.
    let other = envelope(&documented_order("ord-2", Some("BO-1")));
    p.script(|_| reply(502, "<html>Bad Gateway</html>"));
    assert_eq!(webhook(&p, &other).status, 202);
    p.script(|_| reply(200, "{}"));
    assert_eq!(webhook(&p, &other).status, 202);
    assert_eq!(assessio_bodies(&p).len(), 2);
    let health = p.call("GET", "/health", &[], b"");
    assert_eq!(body_of(&health)["orders"]["uncertain"], 2, "{}", support::text(&health));

    // The operator looked at Assessio: ord-1 never arrived, ord-2 did.
    let auth = format!("Bearer {OPERATOR}");
    let settle = |order: &str, body: &str| {
        p.call("POST", &format!("/orders/kombo/int-1/{order}/settle"), &[("authorization", &auth)], body.as_bytes())
    };
    assert_eq!(settle("ord-1", r#"{"placed": "no"}"#).status, 400);
    assert_eq!(settle("ord-1", r#"{"placed": false}"#).status, 200);
    let out = settle("ord-2", r#"{"placed": true}"#);
    assert_eq!((out.status, body_of(&out)["state"].clone()), (200, json!("placed")), "{}", support::text(&out));
    assert_eq!(settle("ord-2", r#"{"placed": true}"#).status, 409, "settled once");
    assert_eq!(settle("ord-9", r#"{"placed": true}"#).status, 404);
    let health = p.call("GET", "/health", &[], b"");
    assert_eq!(body_of(&health)["orders"]["uncertain"], 0, "{}", support::text(&health));
    // Not placed: the next delivery sends it again, as attempt 2.
    let out = webhook(&p, &order);
    assert_eq!((out.status, body_of(&out)["status"].clone()), (200, json!("placed")), "{}", support::text(&out));
    assert_eq!(assessio_bodies(&p).len(), 3);
    assert_eq!(webhook(&p, &other).status, 200, "placed, as the operator said: nothing sent");
    assert_eq!(assessio_bodies(&p).len(), 3);
}

/// One documented nullable string, as an event may carry it.
#[derive(Debug, Clone, Copy)]
enum Field {
    /// Left out (the schema requires it; read leniently).
    Absent,
    /// `null`.
    Null,
    /// A string, possibly blank.
    Given(&'static str),
}

fn nullable(value: &'static str) -> impl Strategy<Value = Field> {
    prop_oneof![Just(Field::Null), Just(Field::Absent), Just(Field::Given(" ")), Just(Field::Given(value))]
}

fn put(obj: &mut Value, key: &str, v: Field) {
    match v {
        Field::Absent => {
            obj.as_object_mut().unwrap().remove(key);
        }
        Field::Null => obj[key] = Value::Null,
        Field::Given(s) => obj[key] = json!(s),
    }
}

prop_compose! {
    /// A documented order event: the required strings given, and each
    /// nullable field `null`, absent, blank or given (a hiring team email may
    /// be any string: Kombo's schema gives it no format).
    fn documented_event()(
        candidate in proptest::collection::vec(nullable("Ada"), 4),
        application in nullable("app-1"),
        job in proptest::collection::vec(nullable("J-1"), 4),
        location in prop_oneof![Just(json!(null)), Just(json!({})), Just(json!({"city": null, "country": "DE"}))],
        team in proptest::collection::vec(proptest::collection::vec(nullable("rec@example.com"), 4), 0..3),
        bad_team_email in any::<bool>(),
        envelope_it in any::<bool>(),
        id in "[A-Za-z0-9]{1,24}",
    ) -> Value {
        let mut order = documented_order(&id, None);
        for (key, v) in ["remote_id", "first_name", "last_name", "phone"].into_iter().zip(candidate) {
            put(&mut order["candidate"], key, v);
        }
        put(&mut order["application"], "remote_id", application);
        for (key, v) in ["remote_id", "name", "job_code", "description"].into_iter().zip(job) {
            put(&mut order["job"], key, v);
        }
        order["job"]["location"] = location;
        let members: Vec<Value> = team.into_iter().map(|fields| {
            let mut m = json!({"hiring_team_roles": ["RECRUITER"]});
            for (key, v) in ["remote_id", "email", "first_name", "last_name"].into_iter().zip(fields) {
                put(&mut m, key, v);
            }
            if bad_team_email && m.get("email").is_some_and(Value::is_string) {
                m["email"] = json!("not an address");
            }
            m
        }).collect();
        order["job"]["hiring_team"] = json!(members);
        if envelope_it { envelope(&order) } else { order }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every documented order, whatever its nullable fields hold, ends placed
    /// (200) or rejected with Kombo's 422 and a message: never 400 or 5xx,
    /// which would leave it open in the ATS without a word.
    #[test]
    fn every_documented_order_is_placed_or_rejected_with_a_message(event in documented_event()) {
        let p = gateway("order");
        let out = webhook(&p, &event);
        match out.status {
            200 => prop_assert_eq!(&body_of(&out)["status"], "placed"),
            422 => {
                let body = body_of(&out);
                prop_assert_eq!(&body["status"], "ORDER_REJECTED");
                let message = body["message"].as_str().unwrap_or_default();
                prop_assert!(message.starts_with("Assessio could not be ordered: "), "{}", message);
            }
            other => prop_assert!(false, "answered {}: {}", other, support::text(&out)),
        }
        // Placed exactly when Assessio got it.
        prop_assert_eq!(assessio_bodies(&p).len(), usize::from(out.status == 200));
    }
}
