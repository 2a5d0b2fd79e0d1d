//! The gateway's flows, natively, against an in-memory platform: a scripted
//! Assessio and Kombo, a key-value map, a fixed clock and a captured log.
//! The same flows run in Spin; the wasmtime end-to-end tests show that.

mod support;

use assessio_gateway::platform::Reply;
use support::{Memory, NOW, block_on};

type Fake = Memory;
use assessio_gateway::reply::{Incoming, Outgoing};
use assessio_gateway::routes;
use assessio_plugin::{HttpRequest, Method};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use std::rc::Rc;

const KOMBO_SECRET: &str = "kombo-webhook-secret-xyz";
const OPERATOR: &str = "operator-token-xyz";
const API_KEY: &str = "integrator-api-key-xyz";

fn fake() -> Fake {
    let vars = [
        ("assessio_url", "http://assessio.test"),
        ("assessio_integrator_api_key", API_KEY),
        ("kombo_url", "http://kombo.test"),
        ("kombo_api_key", "kombo-api-key-xyz"),
        ("kombo_webhook_secret", KOMBO_SECRET),
        ("public_url", "https://gw.example"),
        ("operator_token", OPERATOR),
        (
            "tenants",
            r#"{"int-1":{"provider_key":"pk-org-1-xyz","integrator_secret":"isecret-org-1-xyz","default_locale":"sv-SE"}}"#,
        ),
    ];
    Memory::new(vars)
}

fn order(id: &str, last_name: Option<&str>) -> Value {
    json!({
        "id": "evt-1", "type": "assessment:order-received",
        "data": {
            "id": id, "integration_id": "int-1", "package_id": "lens-1:sv-SE", "status": "OPEN",
            "candidate": {"email": "ada@example.com", "first_name": "Ada", "last_name": last_name, "phone": "+46 70 000"},
            "application": {"remote_id": "app-1"},
            "job": {"remote_id": "job-1", "name": "Backend Developer",
                    "hiring_team": [{"email": "rec@example.com", "first_name": "R", "last_name": "C", "hiring_team_roles": ["RECRUITER"]}]}
        }
    })
}

fn kombo_signature(body: &[u8]) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(KOMBO_SECRET.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Incoming {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    Incoming {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: headers.iter().map(|(n, v)| ((*n).into(), (*v).into())).collect(),
        body: body.to_vec(),
    }
}

fn webhook(p: &Fake, event: &Value) -> Outgoing {
    let body = event.to_string().into_bytes();
    let sig = kombo_signature(&body);
    block_on(routes::handle(p, &request("POST", "/kombo/webhook", &[("x-kombo-signature", &sig)], &body)))
}

fn json_of(o: &Outgoing) -> Value {
    serde_json::from_slice(&o.body).unwrap()
}

fn assessio_orders(p: &Fake) -> Vec<HttpRequest> {
    p.sent.borrow().iter().filter(|r| r.url.contains("/recruitment/v1/assessment-order")).cloned().collect()
}

fn result_id_of(p: &Fake) -> String {
    let body: Value = serde_json::from_slice(&assessio_orders(p)[0].body).unwrap();
    body["resultId"].as_str().unwrap().to_string()
}

#[test]
fn an_order_is_placed_once_however_often_it_is_delivered() {
    let p = fake();
    for _ in 0..3 {
        let out = webhook(&p, &order("ord-1", Some("Lovelace")));
        assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body));
    }
    let sent = assessio_orders(&p);
    assert_eq!(sent.len(), 1);
    let r = &sent[0];
    assert_eq!(r.url, "http://assessio.test/recruitment/v1/assessment-order");
    assert_eq!(r.header("provider-key"), Some("pk-org-1-xyz"));
    let signed = assessio_plugin::verify_signature(r.header("Signature"), &r.body, "isecret-org-1-xyz", NOW, None);
    assert!(signed.is_ok());
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body["candidateDetails"],
        json!({"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"})
    );
    assert_eq!(body["lensId"], "lens-1");
    assert_eq!(body["locale"], "sv-SE");
    assert_eq!(body["recruitment"]["title"], "Backend Developer");
    assert_eq!(body["additionalRecruitmentCollaboratorsEmails"], json!(["rec@example.com"]));
    let rid = body["resultId"].as_str().unwrap();
    assert_eq!(body["resultUpdateUrl"], format!("https://gw.example/assessio/results/{rid}"));
    assert!(!String::from_utf8_lossy(&r.body).contains("+46"), "the phone number must not leave");
    // Another candidate for the same job shares the recruitment, not the result id.
    webhook(&p, &order("ord-2", Some("Byron")));
    let second: Value = serde_json::from_slice(&assessio_orders(&p)[1].body).unwrap();
    assert_eq!(second["recruitment"]["id"], body["recruitment"]["id"]);
    assert_ne!(second["resultId"], body["resultId"]);
}

#[test]
fn a_candidate_without_a_last_name_is_rejected_with_a_reason_and_nothing_is_sent() {
    let p = fake();
    let out = webhook(&p, &order("ord-1", None));
    assert_eq!(out.status, 422);
    let body = json_of(&out);
    assert_eq!(body["status"], "ORDER_REJECTED");
    assert!(body["message"].as_str().unwrap().contains("no last name"), "{body}");
    assert!(p.sent.borrow().is_empty());
    // Redelivered: the same answer from the record, still nothing sent.
    assert_eq!(webhook(&p, &order("ord-1", None)).status, 422);
    assert!(p.sent.borrow().is_empty());
}

#[test]
fn a_bad_or_missing_kombo_signature_is_refused_and_nothing_is_sent() {
    let p = fake();
    let body = order("ord-1", Some("L")).to_string().into_bytes();
    let bad = kombo_signature(b"something else");
    for headers in [vec![], vec![("x-kombo-signature", bad.as_str())]] {
        let out = block_on(routes::handle(&p, &request("POST", "/kombo/webhook", &headers, &body)));
        assert_eq!(out.status, 401);
    }
    assert!(p.sent.borrow().is_empty());
}

#[test]
fn assessio_down_answers_5xx_then_reconcile_places_the_order_exactly_once() {
    let p = fake();
    *p.upstream.borrow_mut() = Box::new(|_| Ok(Reply { status: 503, body: vec![] }));
    assert_eq!(webhook(&p, &order("ord-1", Some("L"))).status, 503);
    let open = json!({"status": "success", "data": {"next": null, "results": [order("ord-1", Some("L"))["data"]]}});
    *p.upstream.borrow_mut() = Box::new(move |r| {
        Ok(if r.method == Method::Get && r.url.contains("/assessment/orders") {
            Reply { status: 200, body: open.to_string().into_bytes() }
        } else {
            Reply { status: 200, body: b"\"ok\"".to_vec() }
        })
    });
    let auth = format!("Bearer {OPERATOR}");
    let out = block_on(routes::handle(&p, &request("POST", "/kombo/reconcile", &[("authorization", &auth)], b"")));
    assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body));
    assert_eq!(json_of(&out)["integrations"]["int-1"]["placed"], 1);
    let out = block_on(routes::handle(&p, &request("POST", "/kombo/reconcile", &[("authorization", &auth)], b"")));
    assert_eq!(json_of(&out)["integrations"]["int-1"]["already_placed"], 1);
    // One failed attempt, then one success: two sends, one order placed.
    assert_eq!(assessio_orders(&p).len(), 2);
    let no_auth = block_on(routes::handle(&p, &request("POST", "/kombo/reconcile", &[], b"")));
    assert_eq!(no_auth.status, 401);
}

#[test]
fn a_result_is_written_back_once_and_a_failed_write_asks_assessio_to_retry() {
    let p = fake();
    webhook(&p, &order("ord-1", Some("L")));
    let rid = result_id_of(&p);
    let result = json!({"resultId": rid, "score": 71, "subscores": {"Grit": 60},
                        "assessmentReportUrl": "https://app.assessio.online/rep/1"})
    .to_string();
    let path = format!("/assessio/results/{rid}");
    let good = format!("Bearer {API_KEY}");
    let post = |auth: &str| {
        block_on(routes::handle(&p, &request("POST", &path, &[("authorization", auth)], result.as_bytes())))
    };
    assert_eq!(post("Bearer wrong").status, 401);
    *p.upstream.borrow_mut() = Box::new(|_| Ok(Reply { status: 503, body: vec![] }));
    assert_eq!(post(&good).status, 502);
    *p.upstream.borrow_mut() = Box::new(|_| Ok(Reply { status: 200, body: b"{}".to_vec() }));
    assert_eq!(post(&good).status, 200);
    assert_eq!(json_of(&post(&good))["already"], true);
    let writes: Vec<HttpRequest> = p.sent.borrow().iter().filter(|r| r.url.ends_with("/result")).cloned().collect();
    assert_eq!(writes.len(), 2, "one failed write, one that landed, none after");
    assert_eq!(writes[1].url, "http://kombo.test/v1/assessment/orders/ord-1/result");
    let body: Value = serde_json::from_slice(&writes[1].body).unwrap();
    assert_eq!(body["status"], "COMPLETED");
    assert_eq!(body["score"], 71);
    assert_eq!(body["completed_at"], "2023-11-14T22:13:20Z");
    let status = block_on(routes::handle(
        &p,
        &request("GET", "/orders/kombo/int-1/ord-1", &[("authorization", &format!("Bearer {OPERATOR}"))], b""),
    ));
    assert_eq!(json_of(&status)["state"], "written-back");
}

/// Two customers, each with the integrator-api-key Assessio issued its own
/// organisation, and keyed result ids: a result for one customer's order
/// carrying the other's key is refused (403) and nothing is written; and
/// the result id is not the one anybody can compute from the public ids.
#[test]
fn a_result_is_taken_only_with_the_key_of_the_orders_own_organisation() {
    let mut p = fake();
    p.vars.insert(
        "tenants".into(),
        json!({
            "int-1": {"provider_key": "pk-org-1-xyz", "integrator_secret": "isecret-org-1-xyz",
                      "default_locale": "sv-SE", "integrator_api_key": "org-1-api-key-xyz"},
            "int-2": {"provider_key": "pk-org-2-xyz", "default_locale": "sv-SE",
                      "integrator_api_key": "org-2-api-key-xyz"},
        })
        .to_string(),
    );
    p.vars.insert("result_id_key".into(), "result-id-key-xyz".into());
    webhook(&p, &order("ord-1", Some("L")));
    let rid = result_id_of(&p);
    assert_ne!(
        rid,
        assessio_gateway::place::result_id(assessio_gateway::hub::Hub::Kombo, "int-1", "ord-1"),
        "not computable from public ids"
    );
    assert_eq!(
        rid,
        assessio_plugin::hubs::result_id("kombo", "int-1", "ord-1", Some(b"result-id-key-xyz".as_slice())),
        "the plugin's keyed id (its known answer is Python's hmac)"
    );
    let result = json!({"resultId": rid, "score": 71, "subscores": {"Grit": 60},
                        "assessmentReportUrl": "https://app.assessio.online/rep/1"})
    .to_string();
    let path = format!("/assessio/results/{rid}");
    let post = |key: &str| {
        let auth = format!("Bearer {key}");
        block_on(routes::handle(&p, &request("POST", &path, &[("authorization", &auth)], result.as_bytes())))
    };
    assert_eq!(post("org-2-api-key-xyz").status, 403, "the other organisation's key");
    assert_eq!(post(API_KEY).status, 403, "the shared key, where the organisation has its own");
    assert_eq!(post("nobody's").status, 401);
    assert!(p.sent.borrow().iter().all(|r| !r.url.ends_with("/result")), "nothing written");
    assert_eq!(post("org-1-api-key-xyz").status, 200);
    assert_eq!(p.sent.borrow().iter().filter(|r| r.url.ends_with("/result")).count(), 1);
    // The keys and the id key are settings: never in an answer or the log.
    let logs = p.logs.borrow().join("\n");
    for secret in ["org-1-api-key-xyz", "org-2-api-key-xyz", "result-id-key-xyz"] {
        assert!(!logs.contains(secret), "{secret} in the log");
    }
    let health = block_on(routes::handle(&p, &request("GET", "/health", &[], b"")));
    assert_eq!(json_of(&health)["warnings"], json!([]), "keyed ids, nothing to warn of");
}

#[test]
fn packages_are_synced_from_the_catalog() {
    let p = fake();
    *p.upstream.borrow_mut() = Box::new(|r| {
        Ok(if r.url.ends_with("/recruitment/v1/config") {
            let c = json!({"availableLenses": [{"id": "lens-1", "name": "General Performance"}], "availableLocales": ["sv-SE", "en-US"]});
            Reply { status: 200, body: c.to_string().into_bytes() }
        } else {
            Reply { status: 200, body: b"{}".to_vec() }
        })
    });
    let auth = format!("Bearer {OPERATOR}");
    let out = block_on(routes::handle(&p, &request("POST", "/kombo/packages/sync", &[("authorization", &auth)], b"")));
    assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body));
    assert_eq!(json_of(&out)["integrations"]["int-1"]["packages"], 2);
    // The integration may be named, percent-encoded (Kombo ids carry `:`).
    let one = block_on(routes::handle(
        &p,
        &request("POST", "/kombo/packages/sync?integration=%69nt%2D1", &[("authorization", &auth)], b""),
    ));
    assert_eq!(json_of(&one)["integrations"]["int-1"]["packages"], 2, "{}", String::from_utf8_lossy(&one.body));
    let unknown = block_on(routes::handle(
        &p,
        &request("POST", "/kombo/packages/sync?integration=nope", &[("authorization", &auth)], b""),
    ));
    assert_eq!(unknown.status, 404);
    let put = p.sent.borrow().iter().find(|r| r.method == Method::Put).cloned().unwrap();
    assert_eq!(put.url, "http://kombo.test/v1/assessment/packages");
    let body: Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(body["packages"][1]["id"], "lens-1:en-US");
}

#[test]
fn a_missing_setting_is_named_on_health_and_on_every_route_but_its_value_never_appears() {
    let mut p = fake();
    p.vars.remove("kombo_webhook_secret");
    let health = block_on(routes::handle(&p, &request("GET", "/health", &[], b"")));
    assert_eq!(health.status, 503);
    assert_eq!(json_of(&health)["setting"], "kombo_webhook_secret");
    let out = webhook(&p, &order("ord-1", Some("L")));
    assert_eq!(out.status, 503);
    p.vars.insert("tenants".into(), r#"{"int-1": {"provider_key": 12345678}}"#.into());
    p.vars.insert("kombo_webhook_secret".into(), KOMBO_SECRET.into());
    let health = block_on(routes::handle(&p, &request("GET", "/health", &[], b"")));
    assert_eq!(json_of(&health)["setting"], "tenants");
    assert!(!String::from_utf8_lossy(&health.body).contains("12345678"));
}

/// A hub's routes read that hub's settings only: another hub's broken
/// setting leaves its orders flowing, while `/health` and the routes that
/// read every setting still name it.
#[test]
fn another_hubs_broken_setting_stops_no_order_of_this_hub_and_health_names_it() {
    let mut p = fake();
    p.vars.insert("stackone_api_key".into(), "so-api-key-xyz".into());
    p.vars.insert("stackone_tenants".into(), "not json".into());
    let health = block_on(routes::handle(&p, &request("GET", "/health", &[], b"")));
    assert_eq!(health.status, 503);
    assert_eq!(json_of(&health)["setting"], "stackone_tenants");
    let out = webhook(&p, &order("ord-1", Some("Lovelace")));
    assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body));
    assert_eq!(assessio_orders(&p).len(), 1);
    let auth = format!("Bearer {OPERATOR}");
    let reconcile = block_on(routes::handle(&p, &request("POST", "/reconcile", &[("authorization", &auth)], b"")));
    assert_eq!(reconcile.status, 503, "{}", String::from_utf8_lossy(&reconcile.body));
}

/// Every setting read is a host call, and on Spin with settings in the
/// environment a costly one (its provider hands the worker thread over on
/// each, `docs/performance.md`): a request reads each setting at most once,
/// and a hub's own routes none of another hub's.
#[test]
fn a_request_reads_each_setting_at_most_once_and_a_hub_route_no_other_hubs() {
    let mut p = fake();
    for (name, value) in [
        ("teamtailor_api_key", "tt-api-key-xyz"),
        ("teamtailor_signature_secret", "tt-signature-secret-xyz"),
        ("teamtailor_tenants", r#"{"co-1":{"teamtailor_provider_key":"tt-pk-xyz"}}"#),
        ("stackone_api_key", "so-api-key-xyz"),
        ("stackone_webhook_secret", "so-webhook-secret-xyz"),
        ("stackone_tenants", r#"{"acc-1":{"provider_key":"pk-org-2-xyz"}}"#),
    ] {
        p.vars.insert(name.into(), value.into());
    }
    let taken = |p: &Fake| std::mem::take(&mut *p.reads.borrow_mut());
    let twice = |reads: &[String]| -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        reads.iter().filter(|r| !seen.insert(r.as_str())).cloned().collect()
    };
    let health = block_on(routes::handle(&p, &request("GET", "/health", &[], b"")));
    assert_eq!(health.status, 200, "{}", String::from_utf8_lossy(&health.body));
    let reads = taken(&p);
    assert_eq!(twice(&reads), Vec::<String>::new(), "/health read these more than once: {reads:?}");
    for setting in p.vars.keys() {
        assert!(reads.contains(setting), "/health checks every setting, but did not read `{setting}`");
    }
    for delivery in ["placed", "redelivered"] {
        let out = webhook(&p, &order("ord-1", Some("Lovelace")));
        assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body));
        let reads = taken(&p);
        assert_eq!(
            twice(&reads),
            Vec::<String>::new(),
            "a Kombo order {delivery} read these more than once: {reads:?}"
        );
        let foreign: Vec<_> =
            reads.iter().filter(|r| r.starts_with("teamtailor_") || r.starts_with("stackone_")).collect();
        assert!(foreign.is_empty(), "a Kombo order {delivery} read another hub's settings: {foreign:?}");
        assert!(!reads.iter().any(|r| r == "operator_token"), "a Kombo order {delivery} read the operator token");
        // Assessio's settings are read only when the order may be sent.
        let sending = ["assessio_url", "assessio_order_endpoint", "assessio_integrator_api_key", "public_url"];
        let read: Vec<_> = sending.iter().filter(|s| reads.iter().any(|r| r == *s)).collect();
        match delivery {
            "placed" => assert_eq!(read.len(), sending.len(), "placing an order read only {read:?} of {sending:?}"),
            _ => assert!(read.is_empty(), "a redelivery, answered from its record, read {read:?}"),
        }
    }
}

/// Assessio's settings are read only when an order may be sent, so a broken
/// one stops new orders (503, naming the setting, nothing sent) but not the
/// answer to a redelivery, which its record settles.
#[test]
fn a_broken_assessio_setting_stops_new_orders_but_not_redeliveries() {
    let mut p = fake();
    let placed = webhook(&p, &order("ord-1", Some("Lovelace")));
    assert_eq!(json_of(&placed), json!({"status": "placed", "already": false}));
    p.vars.insert("assessio_url".into(), "assessio.test/not-an-origin".into());
    let again = webhook(&p, &order("ord-1", Some("Lovelace")));
    assert_eq!(json_of(&again), json!({"status": "placed", "already": true}));
    let new = webhook(&p, &order("ord-2", Some("Hopper")));
    assert_eq!(new.status, 503, "{}", String::from_utf8_lossy(&new.body));
    assert!(json_of(&new)["error"].as_str().unwrap().contains("misconfigured: setting `assessio_url`"));
    assert!(!String::from_utf8_lossy(&new.body).contains("not-an-origin"), "the answer quoted the value");
    assert_eq!(assessio_orders(&p).len(), 1, "only the first order reached Assessio");
    let health = block_on(routes::handle(&p, &request("GET", "/health", &[], b"")));
    assert_eq!((health.status, json_of(&health)["setting"].clone()), (503, json!("assessio_url")));
}

#[test]
fn no_secret_appears_in_any_answer_or_log_line() {
    let p = fake();
    webhook(&p, &order("ord-1", Some("L")));
    webhook(&p, &order("ord-2", None));
    *p.upstream.borrow_mut() =
        Box::new(|_| Ok(Reply { status: 401, body: b"{\"message\":\"bad signature\"}".to_vec() }));
    let out3 = webhook(&p, &order("ord-3", Some("L")));
    let bodies = [out3.body.clone(), block_on(routes::handle(&p, &request("GET", "/health", &[], b""))).body];
    let mut everything: Vec<String> = p.logs.borrow().clone();
    everything.extend(bodies.iter().map(|b| String::from_utf8_lossy(b).into_owned()));
    for secret in [KOMBO_SECRET, OPERATOR, API_KEY, "kombo-api-key-xyz", "pk-org-1-xyz", "isecret-org-1-xyz"] {
        for line in &everything {
            assert!(!line.contains(secret), "{secret} leaked in {line}");
        }
    }
    assert!(p.logs.borrow().iter().any(|l| l.contains("credentials")), "{:?}", p.logs.borrow());
}

/// A result that arrives while the order is still being sent (a candidate
/// who reuses earlier results finishes at once, seed 000) moves the record
/// to `written-back`; the order step's own final save must not move it back.
#[test]
fn a_result_arriving_while_the_order_is_sent_is_not_undone() {
    let p = fake();
    let kv = Rc::clone(&p.kv);
    // While Assessio "handles" the order, the result webhook runs and
    // records the write-back, as a concurrent request would.
    *p.upstream.borrow_mut() = Box::new(move |r| {
        if r.url.contains("/assessment-order") {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let key = format!("order:{}", body["resultId"].as_str().unwrap());
            let mut record: Value = serde_json::from_slice(&kv.borrow()[&key]).unwrap();
            record["state"] = json!("written-back");
            kv.borrow_mut().insert(key, serde_json::to_vec(&record).unwrap());
        }
        Ok(Reply { status: 200, body: b"\"ok\"".to_vec() })
    });
    assert_eq!(webhook(&p, &order("ord-1", Some("L"))).status, 200);
    let key = format!("order:{}", result_id_of(&p));
    let record: Value = serde_json::from_slice(&p.kv.borrow()[&key]).unwrap();
    assert_eq!(record["state"], "written-back");
}

/// The claim that keeps concurrent deliveries from sending an order twice:
/// of any number of callers exactly one wins each attempt, attempts and
/// orders are independent, and an attempt is decided once (sent by its
/// winner, or abandoned by whoever found it silent), never both.
#[test]
fn each_attempt_has_exactly_one_winner_and_is_decided_once() {
    use assessio_gateway::records::{claim_attempt, decide_attempt};
    let p = fake();
    let wins = (0..8).filter(|_| claim_attempt(&p, "r1", 1) == Ok(true)).count();
    assert_eq!(wins, 1, "one of eight callers wins attempt 1");
    assert_eq!(claim_attempt(&p, "r1", 2), Ok(true), "attempt 2 is a claim of its own");
    assert_eq!(claim_attempt(&p, "r2", 1), Ok(true), "claims are per order");
    assert_eq!(decide_attempt(&p, "r1", 1), Ok(true), "the first to decide decides");
    assert_eq!(decide_attempt(&p, "r1", 1), Ok(false), "the loser of the decision does nothing");
}

/// A delivery that finds the order's attempt claimed answers "retry later"
/// and sends nothing. A winner that never recorded its attempt (it died
/// right after claiming) is abandoned once it has been silent for
/// `IN_FLIGHT_SECONDS`, and the next delivery places the order, once.
#[test]
fn a_delivery_that_finds_the_order_claimed_sends_nothing() {
    use assessio_gateway::records::{IN_FLIGHT_SECONDS, claim_attempt};
    let p = fake();
    let event = order("ord-1", Some("L"));
    webhook(&p, &order("warm-up", Some("L")));
    let rid = assessio_gateway::place::result_id(assessio_gateway::hub::Hub::Kombo, "int-1", "ord-1");
    assert_eq!(claim_attempt(&p, &rid, 1), Ok(true), "a sender that dies before its first write");
    let before = assessio_orders(&p).len();
    let out = webhook(&p, &event);
    assert_eq!(out.status, 503, "{}", String::from_utf8_lossy(&out.body));
    p.clock.set(NOW + IN_FLIGHT_SECONDS - 1);
    assert_eq!(webhook(&p, &event).status, 503, "still within the in-flight window");
    assert_eq!(assessio_orders(&p).len(), before);
    p.clock.set(NOW + IN_FLIGHT_SECONDS);
    assert_eq!(webhook(&p, &event).status, 200);
    assert_eq!(webhook(&p, &event).status, 200);
    assert_eq!(assessio_orders(&p).len(), before + 1, "placed once");
}

/// A sender that died mid-send (its record says `placing`) may have placed
/// the order: after the in-flight window it is uncertain, and never re-sent
/// on the plain endpoint.
#[test]
fn a_sender_that_died_mid_send_leaves_the_order_uncertain_and_unsent() {
    use assessio_gateway::records::{IN_FLIGHT_SECONDS, OrderRecord, State, save};
    let p = fake();
    let rid = assessio_gateway::place::result_id(assessio_gateway::hub::Hub::Kombo, "int-1", "ord-1");
    let mut record = OrderRecord::new(assessio_gateway::hub::Hub::Kombo, "int-1", "ord-1", &rid, NOW);
    record.attempts = 1;
    save(&p, &mut record).unwrap();
    assert_eq!(assessio_gateway::records::claim_attempt(&p, &rid, 1), Ok(true));
    let event = order("ord-1", Some("L"));
    assert_eq!(webhook(&p, &event).status, 503, "in flight");
    p.clock.set(NOW + IN_FLIGHT_SECONDS);
    let out = webhook(&p, &event);
    assert_eq!(out.status, 202, "{}", String::from_utf8_lossy(&out.body));
    assert_eq!(json_of(&out)["status"], "uncertain");
    assert!(assessio_orders(&p).is_empty(), "nothing re-sent");
    assert_eq!(assessio_gateway::records::load(&p, &rid).unwrap().unwrap().state, State::Uncertain);
}

/// A finished order's record expires, but a tombstone stays: the same
/// signed webhook replayed after the retention places nothing.
#[test]
fn a_webhook_replayed_after_the_record_expired_places_nothing() {
    use assessio_gateway::config::DEFAULT_RETENTION_DAYS;
    let p = fake();
    let rid = assessio_gateway::place::result_id(assessio_gateway::hub::Hub::Kombo, "int-1", "ord-1");
    let event = order("ord-1", Some("L"));
    assert_eq!(webhook(&p, &event).status, 200);
    let mut record = assessio_gateway::records::load(&p, &rid).unwrap().unwrap();
    record.state = assessio_gateway::records::State::WrittenBack;
    assessio_gateway::records::save(&p, &mut record).unwrap();
    p.clock.set(NOW + DEFAULT_RETENTION_DAYS * 24 * 3600 + 1);
    assert_eq!(assessio_gateway::records::load(&p, &rid), Ok(None), "the record is gone");
    let out = webhook(&p, &event);
    assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body));
    assert_eq!(json_of(&out)["already"], true);
    assert_eq!(assessio_orders(&p).len(), 1, "the replay placed nothing");
    let tombstone = String::from_utf8(p.kv.borrow()[&format!("gone:{rid}")].clone()).unwrap();
    assert_eq!(tombstone, r#"{"state":"written-back"}"#, "no candidate data, no ids");
}

/// Found by the API fuzzer (`docs/api-fuzzing.md`): order ids with newlines
/// and escape sequences reached the log as they were, so one log call could
/// print a second line that reads like the gateway's own. The Spin runtime
/// writes every line through `one_line`, which escapes control characters
/// and leaves other text (any script, emoji) as it is.
#[test]
fn a_log_line_stays_one_line_whatever_the_caller_sent() {
    use assessio_gateway::platform::one_line;
    use std::borrow::Cow;

    let forged = "stackone order a\n[gateway stdout] kombo order b: placed at Assessio\u{1b}[2J\r\t";
    let line = one_line(forged);
    assert_eq!(line, "stackone order a\\n[gateway stdout] kombo order b: placed at Assessio\\u{1b}[2J\\r\\t");
    assert!(!line.chars().any(char::is_control));
    assert!(matches!(one_line("kombo order Åsa-😍 (int-1): placed"), Cow::Borrowed(_)), "clean lines are not copied");
    assert_eq!(one_line("\u{85}\u{7f}"), "\\u{85}\\u{7f}");
}
