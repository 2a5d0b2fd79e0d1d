//! The Teamtailor flows, natively, against the in-memory platform with a
//! scripted Assessio and Teamtailor: the configuration endpoint, the stage
//! trigger (auth, signature, placement, progress), keeping an order while
//! Assessio is down and placing it with reconcile, and the result write-back.

mod support;

use assessio_gateway::config::Config;
use assessio_gateway::place::result_id;
use assessio_plugin::{HttpRequest, Method};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use support::{Memory, NOW, hex, reply, result_body, text};

const OPERATOR: &str = "operator-token-xyz";
const API_KEY: &str = "integrator-api-key-xyz";
const TT_API_KEY: &str = "teamtailor-api-key-xyz";
const SIG_SECRET: &str = "teamtailor-signature-secret-xyz";
const PROVIDER_KEY: &str = "tt-provider-key-c1-xyz";
const OTHER_PROVIDER_KEY: &str = "tt-provider-key-c2-xyz";
const UPDATE_URL: &str = "http://teamtailor.test/partner/v1/partner-results/pr-42";
const LENS: &str = "7922dd91-1b44-43e4-a740-7c4d9c2fba41";

fn vars(signature: bool) -> Vec<(&'static str, String)> {
    let tenants = json!({
        "c-1": {"teamtailor_provider_key": PROVIDER_KEY, "provider_key": "pk-org-1-xyz",
                "integrator_secret": "isecret-org-1-xyz", "default_locale": "sv-SE"},
        "c-2": {"teamtailor_provider_key": OTHER_PROVIDER_KEY, "provider_key": "pk-org-2-xyz"},
    });
    let mut v = vec![
        ("assessio_url", "http://assessio.test".to_string()),
        ("assessio_integrator_api_key", API_KEY.into()),
        ("public_url", "https://gw.example".into()),
        ("operator_token", OPERATOR.into()),
        ("teamtailor_url", "http://teamtailor.test".into()),
        ("teamtailor_api_key", TT_API_KEY.into()),
        ("teamtailor_tenants", tenants.to_string()),
    ];
    if signature {
        v.push(("teamtailor_signature_secret", SIG_SECRET.into()));
    }
    v
}

/// Teamtailor with signatures, Assessio and Teamtailor answering 2xx.
fn gateway() -> Memory {
    let p = Memory::new(vars(true));
    p.script(|r| if r.url.contains("assessio.test") { reply(201, "{}") } else { reply(200, "{}") });
    p
}

fn trigger(partner_result: &str, last_name: Option<&str>) -> Value {
    json!({
        "partner-event": {
            "id": format!("evt-{partner_result}"),
            "webhook-data": {"lens": LENS, "locale": "sv-SE"},
            "partner-result": {"id": partner_result, "status": "sending",
                               "update-url": format!("http://teamtailor.test/partner/v1/partner-results/{partner_result}")},
            "candidate": {"id": 991, "first-name": "Ada", "last-name": last_name, "email": "ada@example.com",
                          "phone": "+46 70 000 00 00", "job": {"id": "j-7", "title": "Engineer", "body": "the job ad"}}
        },
        "company": {"id": "c-1", "name": "Acme AB"}
    })
}

/// `Teamtailor-Signature` for an event id at time `t`, as Teamtailor makes it.
fn signature(event_id: &str, t: i64, secret: &str) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{event_id}").as_bytes());
    format!("t={t},v1={}", hex(&mac.finalize().into_bytes()))
}

/// Sends a trigger with the provider key and a fresh signature.
fn send(p: &Memory, body: &Value) -> assessio_gateway::reply::Outgoing {
    let event_id = body["partner-event"]["id"].as_str().unwrap();
    let auth = format!("Bearer {PROVIDER_KEY}");
    let sig = signature(event_id, NOW, SIG_SECRET);
    let headers = [("Authorization", auth.as_str()), ("Teamtailor-Signature", sig.as_str())];
    p.call("POST", "/teamtailor/webhook", &headers, body.to_string().as_bytes())
}

fn assessio_orders(p: &Memory) -> Vec<HttpRequest> {
    p.sent_to("/recruitment/v1/assessment-order")
}

fn teamtailor_puts(p: &Memory) -> Vec<HttpRequest> {
    p.sent_to("teamtailor.test")
}

fn body_text(r: &HttpRequest) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

fn operator(p: &Memory, method: &str, path: &str) -> assessio_gateway::reply::Outgoing {
    let auth = format!("Bearer {OPERATOR}");
    p.call(method, path, &[("authorization", &auth)], b"")
}

fn json_of(o: &assessio_gateway::reply::Outgoing) -> Value {
    serde_json::from_slice(&o.body).unwrap_or_else(|_| panic!("not JSON: {}", text(o)))
}

#[test]
fn a_trigger_places_the_order_reports_sent_and_the_result_goes_back_as_json_api() {
    let p = gateway();
    let out = send(&p, &trigger("pr-42", Some("Lovelace")));
    assert_eq!(out.status, 201, "{}", text(&out));
    assert_eq!(json_of(&out), json!({"status": "placed", "already": false}));

    let orders = assessio_orders(&p);
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(order.url, "http://assessio.test/recruitment/v1/assessment-order");
    assert_eq!(order.header("provider-key"), Some("pk-org-1-xyz"));
    assert!(
        assessio_plugin::verify_signature(order.header("Signature"), &order.body, "isecret-org-1-xyz", NOW, None)
            .is_ok()
    );
    let body: Value = serde_json::from_slice(&order.body).unwrap();
    assert_eq!(
        body["candidateDetails"],
        json!({"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"})
    );
    assert_eq!((body["lensId"].as_str(), body["locale"].as_str()), (Some(LENS), Some("sv-SE")));
    assert_eq!(body["recruitment"]["title"], "Engineer");
    let rid = result_id("teamtailor", "c-1", "pr-42");
    assert_eq!(body["resultId"], rid.as_str());
    assert_eq!(body["resultUpdateUrl"], format!("https://gw.example/assessio/results/{rid}"));
    for dropped in ["+46", "the job ad", "Acme", "991"] {
        assert!(!body_text(order).contains(dropped), "{dropped} sent to Assessio");
    }

    // Progress: `sent`, as JSON:API, with Teamtailor's headers.
    let puts = teamtailor_puts(&p);
    assert_eq!(puts.len(), 1);
    assert_eq!((puts[0].method, puts[0].url.as_str()), (Method::Put, UPDATE_URL));
    assert_eq!(puts[0].header("Authorization"), Some(format!("Token {TT_API_KEY}").as_str()));
    assert_eq!(puts[0].header("X-Api-Version"), Some("20180828"));
    assert_eq!(puts[0].header("Content-Type"), Some("application/vnd.api+json"));
    assert_eq!(
        body_text(&puts[0]),
        r#"{"data":{"type":"partner-results","id":"pr-42","attributes":{"status":"sent"}}}"#
    );

    // The result: PUT to the update URL, exactly this document.
    let auth = format!("Bearer {API_KEY}");
    let path = format!("/assessio/results/{rid}");
    let out = p.call("POST", &path, &[("authorization", &auth)], &result_body(&rid));
    assert_eq!(out.status, 200, "{}", text(&out));
    let puts = teamtailor_puts(&p);
    assert_eq!(puts.len(), 2);
    assert_eq!((puts[1].method, puts[1].url.as_str()), (Method::Put, UPDATE_URL));
    assert_eq!(puts[1].header("Authorization"), Some(format!("Token {TT_API_KEY}").as_str()));
    assert_eq!(
        body_text(&puts[1]),
        concat!(
            r#"{"data":{"type":"partner-results","id":"pr-42","attributes":{"status":"completed","#,
            r#""summary":"Assessio 71/100 — strongest: Driving Leadership","#,
            r#""url":"https://app.assessio.online/rep/2","assessment":{"score":71},"#,
            r#""details":{"Driving Leadership":73,"Influencing & Inspiring":68},"#,
            r#""attachments":[{"url":"https://app.assessio.online/rep/2","description":"Assessio report"},"#,
            r#"{"url":"https://app.assessio.online/r/1","description":"Recruitment in Assessio"}]}}}"#
        )
    );
    // Redelivered by Assessio: answered from the record, nothing written again.
    let again = p.call("POST", &path, &[("authorization", &auth)], &result_body(&rid));
    assert_eq!(json_of(&again), json!({"status": "written", "already": true}));
    assert_eq!(teamtailor_puts(&p).len(), 2);

    let status = operator(&p, "GET", "/orders/teamtailor/c-1/pr-42");
    let record = json_of(&status);
    assert_eq!((record["hub"].as_str(), record["state"].as_str()), (Some("teamtailor"), Some("written-back")));
    assert_eq!(record["update_url"], UPDATE_URL);
    // The record and the store hold no candidate data.
    let store = p.store_text();
    for personal in ["ada@example.com", "Lovelace", "Driving Leadership"] {
        assert!(!store.contains(personal), "{personal} stored: {store}");
    }
}

#[test]
fn a_trigger_without_a_last_name_is_refused_in_plain_text_and_the_partner_result_fails() {
    let p = gateway();
    let out = send(&p, &trigger("pr-42", None));
    assert_eq!(out.status, 422);
    assert!(out.content_type.starts_with("text/plain"), "{}", out.content_type);
    assert_eq!(
        text(&out),
        "Assessio could not be ordered: the candidate has no last name. \
         Assessio needs a first and a last name to invite the candidate."
    );
    assert!(assessio_orders(&p).is_empty(), "nothing sent to Assessio");
    let puts = teamtailor_puts(&p);
    assert_eq!(puts.len(), 1);
    let attributes = &serde_json::from_slice::<Value>(&puts[0].body).unwrap()["data"]["attributes"];
    assert_eq!(attributes["status"], "failed");
    assert!(attributes["summary"].as_str().unwrap().contains("no last name"), "{attributes}");

    // A repeated trigger: the same answer from the record, still nothing to Assessio.
    assert_eq!(send(&p, &trigger("pr-42", None)).status, 422);
    assert!(assessio_orders(&p).is_empty());

    // No lens chosen: unreadable as an order, yet still answered and reported.
    let mut no_lens = trigger("pr-43", Some("Lovelace"));
    no_lens["partner-event"]["webhook-data"] = json!({"locale": "sv-SE"});
    let out = send(&p, &no_lens);
    assert_eq!(out.status, 422);
    assert_eq!(text(&out), "Assessio could not be ordered: the chosen assessment package is not one Assessio offers.");
    let last = teamtailor_puts(&p).pop().unwrap();
    assert!(last.url.ends_with("/pr-43"));
    assert!(body_text(&last).contains(r#""status":"failed""#));
    assert!(assessio_orders(&p).is_empty());
}

#[test]
fn an_unknown_lens_refused_by_assessio_is_reported_failed() {
    let p = gateway();
    p.script(|r| {
        if r.url.contains("assessio.test") {
            reply(400, r#"{"message":"lensId is not a lens of this organisation"}"#)
        } else {
            reply(200, "{}")
        }
    });
    let out = send(&p, &trigger("pr-42", Some("Lovelace")));
    assert_eq!(out.status, 422);
    assert!(text(&out).starts_with("Assessio refused the order"), "{}", text(&out));
    let puts = teamtailor_puts(&p);
    assert_eq!(puts.len(), 1);
    assert!(body_text(&puts[0]).contains(r#""status":"failed""#));
}

#[test]
fn bad_credentials_and_bad_signatures_are_refused_and_nothing_is_sent() {
    let p = gateway();
    let body = trigger("pr-42", Some("Lovelace")).to_string();
    let good = format!("Bearer {PROVIDER_KEY}");
    let sig = |t: i64, secret: &str| signature("evt-pr-42", t, secret);
    let cases: Vec<(Vec<(&str, String)>, u16)> = vec![
        (vec![], 401),
        (vec![("authorization", "Bearer wrong".into()), ("teamtailor-signature", sig(NOW, SIG_SECRET))], 401),
        (vec![("authorization", format!("Token {PROVIDER_KEY}")), ("teamtailor-signature", sig(NOW, SIG_SECRET))], 401),
        (vec![("authorization", good.clone())], 401),
        (vec![("authorization", good.clone()), ("teamtailor-signature", sig(NOW, "other-secret"))], 401),
        (vec![("authorization", good.clone()), ("teamtailor-signature", sig(NOW - 301, SIG_SECRET))], 401),
        (vec![("authorization", good.clone()), ("teamtailor-signature", sig(NOW + 301, SIG_SECRET))], 401),
        (vec![("authorization", good.clone()), ("teamtailor-signature", signature("evt-other", NOW, SIG_SECRET))], 401),
        // The key of company c-2 with a body for company c-1.
        (
            vec![
                ("authorization", format!("Bearer {OTHER_PROVIDER_KEY}")),
                ("teamtailor-signature", sig(NOW, SIG_SECRET)),
            ],
            403,
        ),
    ];
    for (headers, status) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let out = p.call("POST", "/teamtailor/webhook", &headers, body.as_bytes());
        assert_eq!(out.status, status, "{headers:?}: {}", text(&out));
        assert!(out.content_type.starts_with("text/plain"));
    }
    // An update URL off Teamtailor's origin is never called.
    let mut foreign = trigger("pr-42", None);
    foreign["partner-event"]["partner-result"]["update-url"] =
        json!("http://teamtailor.test.evil.example/partner-results/pr-42");
    assert_eq!(send(&p, &foreign).status, 422);
    assert!(p.sent.borrow().is_empty(), "{:?}", p.sent.borrow());
    assert!(p.keys().iter().all(|k| !k.starts_with("order:")), "no record for refused calls: {:?}", p.keys());

    // Within the tolerance, either way, it passes.
    for t in [NOW - 300, NOW + 300] {
        let s = sig(t, SIG_SECRET);
        let out = p.call(
            "POST",
            "/teamtailor/webhook",
            &[("authorization", &good), ("teamtailor-signature", &s)],
            body.as_bytes(),
        );
        assert!(out.status == 201 || out.status == 200, "{}", text(&out));
    }
}

#[test]
fn without_a_signature_secret_the_provider_key_is_enough() {
    let p = Memory::new(vars(false));
    p.script(|_| reply(200, "{}"));
    let auth = format!("Bearer {PROVIDER_KEY}");
    let out = p.call(
        "POST",
        "/teamtailor/webhook",
        &[("authorization", &auth)],
        trigger("pr-1", Some("L")).to_string().as_bytes(),
    );
    assert_eq!(out.status, 201, "{}", text(&out));
}

#[test]
fn a_duplicate_trigger_places_one_order() {
    let p = gateway();
    let statuses: Vec<u16> = (0..3).map(|_| send(&p, &trigger("pr-42", Some("Lovelace"))).status).collect();
    assert_eq!(statuses, [201, 200, 200]);
    assert_eq!(assessio_orders(&p).len(), 1);
    assert_eq!(teamtailor_puts(&p).len(), 1, "`sent` once");
}

#[test]
fn assessio_down_keeps_the_order_and_reconcile_places_it_and_deletes_the_candidate_data() {
    let p = gateway();
    p.script(|r| if r.url.contains("assessio.test") { reply(503, "") } else { reply(200, "{}") });
    let out = send(&p, &trigger("pr-42", Some("Lovelace")));
    assert_eq!(out.status, 202, "{}", text(&out));
    assert_eq!(json_of(&out)["status"], "kept");
    assert!(teamtailor_puts(&p).is_empty(), "progress stays `sending`");
    let rid = result_id("teamtailor", "c-1", "pr-42");
    assert!(p.keys().contains(&format!("pending:{rid}")));
    assert!(p.store_text().contains("ada@example.com"), "kept while needed");

    // Reconcile while Assessio is still down: still kept.
    let out = operator(&p, "POST", "/reconcile");
    assert_eq!(out.status, 200, "{}", text(&out));
    assert_eq!(json_of(&out)["teamtailor"]["retry_later"], 1);
    assert!(json_of(&out).get("kombo").is_none(), "Kombo is not configured");

    p.script(|r| if r.url.contains("assessio.test") { reply(201, "{}") } else { reply(200, "{}") });
    let out = operator(&p, "POST", "/reconcile");
    assert_eq!(out.status, 200, "{}", text(&out));
    let report = json_of(&out);
    assert_eq!(report["complete"], true);
    assert_eq!(report["teamtailor"]["placed"], 1);
    assert_eq!(assessio_orders(&p).len(), 3, "two attempts while down, one that landed");
    let puts = teamtailor_puts(&p);
    assert_eq!(puts.len(), 1);
    assert!(body_text(&puts[0]).contains(r#""status":"sent""#));
    assert!(!p.keys().contains(&format!("pending:{rid}")), "the kept order is deleted once placed");
    let store = p.store_text();
    for personal in ["ada@example.com", "Lovelace", "Ada"] {
        assert!(!store.contains(personal), "{personal} still stored: {store}");
    }
    assert_eq!(json_of(&operator(&p, "GET", "/orders/teamtailor/c-1/pr-42"))["state"], "placed");

    // Nothing left to do; the trigger again answers from the record.
    let out = operator(&p, "POST", "/reconcile");
    assert_eq!(
        json_of(&out)["teamtailor"],
        json!({"placed": 0, "already_placed": 0, "rejected": 0, "retry_later": 0,
        "results_written": 0, "results_retry_later": 0, "given_up": 0})
    );
    assert_eq!(send(&p, &trigger("pr-42", Some("Lovelace"))).status, 200);
    assert_eq!(assessio_orders(&p).len(), 3);
    assert_eq!(p.kv.borrow().get("pending-index").map(Vec::as_slice), Some(&b"[]"[..]));
}

#[test]
fn an_order_kept_for_a_week_is_given_up_reported_failed_and_deleted() {
    let p = gateway();
    p.script(|r| if r.url.contains("assessio.test") { reply(503, "") } else { reply(200, "{}") });
    assert_eq!(send(&p, &trigger("pr-42", Some("Lovelace"))).status, 202);
    p.clock.set(NOW + assessio_gateway::records::KEEP_SECONDS);
    let out = operator(&p, "POST", "/reconcile");
    assert_eq!(json_of(&out)["teamtailor"]["given_up"], 1, "{}", text(&out));
    let puts = teamtailor_puts(&p);
    assert_eq!(puts.len(), 1);
    assert!(body_text(&puts[0]).contains(r#""status":"failed""#));
    assert!(!p.store_text().contains("ada@example.com"));
    assert_eq!(json_of(&operator(&p, "GET", "/orders/teamtailor/c-1/pr-42"))["state"], "rejected");
}

#[test]
fn a_result_teamtailor_refuses_is_kept_and_reconcile_writes_it_once() {
    let p = gateway();
    assert_eq!(send(&p, &trigger("pr-42", Some("Lovelace"))).status, 201);
    let rid = result_id("teamtailor", "c-1", "pr-42");
    let auth = format!("Bearer {API_KEY}");
    let path = format!("/assessio/results/{rid}");
    p.script(|r| if r.url.contains("teamtailor.test") { reply(503, "") } else { reply(200, "{}") });
    let out = p.call("POST", &path, &[("authorization", &auth)], &result_body(&rid));
    assert_eq!(out.status, 502, "Assessio retries: {}", text(&out));
    assert!(p.keys().contains(&format!("kept-result:{rid}")));

    p.script(|_| reply(200, "{}"));
    let out = operator(&p, "POST", "/reconcile");
    assert_eq!(json_of(&out)["teamtailor"]["results_written"], 1, "{}", text(&out));
    assert!(!p.keys().contains(&format!("kept-result:{rid}")), "deleted once written");
    // Assessio's retry arrives later: already written, nothing sent.
    let out = p.call("POST", &path, &[("authorization", &auth)], &result_body(&rid));
    assert_eq!(json_of(&out), json!({"status": "written", "already": true}));
    let completed: Vec<HttpRequest> =
        teamtailor_puts(&p).into_iter().filter(|r| body_text(r).contains("completed")).collect();
    assert_eq!(completed.len(), 2, "one refused, one that landed, none after");
}

#[test]
fn the_configuration_endpoint_lists_the_customers_lenses_and_locales() {
    let p = gateway();
    let catalog = json!({"availableLenses": [{"id": LENS, "name": "General Performance"}], "availableLocales": ["sv-SE", "en-US"]});
    let c = catalog.to_string();
    p.script(move |r| if r.url.ends_with("/recruitment/v1/config") { reply(200, &c) } else { reply(404, "") });
    let auth = format!("Bearer {OTHER_PROVIDER_KEY}");
    let out = p.call("GET", "/teamtailor/config", &[("authorization", &auth)], b"");
    assert_eq!(out.status, 200, "{}", text(&out));
    assert_eq!(out.content_type, "application/vnd.api+json");
    let expected = assessio_plugin::hubs::teamtailor::config_response(
        &assessio_plugin::list_lenses(catalog.to_string().as_bytes()).unwrap(),
    );
    assert_eq!(out.body, expected);
    let sent = p.sent.borrow().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header("provider-key"), Some("pk-org-2-xyz"), "the organisation of the key's company");

    assert_eq!(p.call("GET", "/teamtailor/config", &[("authorization", "Bearer nope")], b"").status, 401);
    assert_eq!(p.sent.borrow().len(), 1, "nothing sent for a bad key");
    p.script(|_| Err("connection refused".into()));
    let out = p.call("GET", "/teamtailor/config", &[("authorization", &auth)], b"");
    assert_eq!(out.status, 503);
    assert!(out.content_type.starts_with("text/plain"));
}

#[test]
fn half_configured_teamtailor_is_named_and_other_hubs_answer_not_configured() {
    let mut p = Memory::new(vars(true));
    p.vars.insert("teamtailor_tenants".into(), "{}".into());
    let health = p.call("GET", "/health", &[], b"");
    assert_eq!(health.status, 503);
    assert_eq!(json_of(&health)["setting"], "teamtailor_tenants");

    let p = gateway();
    let health = json_of(&p.call("GET", "/health", &[], b""));
    assert_eq!(health["hubs"]["teamtailor"], json!({"enabled": true, "tenants": 2}));
    assert_eq!(health["hubs"]["kombo"]["enabled"], false);
    let out = p.call("POST", "/kombo/webhook", &[], b"{}");
    assert_eq!(out.status, 404);
    assert!(text(&out).contains("hub not configured"), "{}", text(&out));
    assert_eq!(p.call("POST", "/stackone/webhook", &[], b"{}").status, 404);

    let mut shared = Memory::new(vars(true));
    let same = json!({"c-1": {"teamtailor_provider_key": "k", "provider_key": "a"},
                      "c-2": {"teamtailor_provider_key": "k", "provider_key": "b"}});
    shared.vars.insert("teamtailor_tenants".into(), same.to_string());
    let health = json_of(&shared.call("GET", "/health", &[], b""));
    assert_eq!(health["setting"], "teamtailor_tenants");
    assert!(!health.to_string().contains("\"k\""));
}

#[test]
fn no_secret_appears_in_any_answer_or_log_line() {
    let p = gateway();
    let mut answers = vec![
        send(&p, &trigger("pr-1", Some("Lovelace"))),
        send(&p, &trigger("pr-2", None)),
        p.call("POST", "/teamtailor/webhook", &[("authorization", "Bearer wrong")], b"{}"),
        p.call("GET", "/teamtailor/config", &[("authorization", "Bearer wrong")], b""),
        p.call("GET", "/health", &[], b""),
    ];
    p.script(|_| reply(401, r#"{"message":"bad signature"}"#));
    answers.push(send(&p, &trigger("pr-3", Some("Lovelace"))));
    answers.push(operator(&p, "POST", "/reconcile"));
    answers.push(operator(&p, "GET", "/orders/teamtailor/c-1/pr-3"));
    let rid = result_id("teamtailor", "c-1", "pr-1");
    let auth = format!("Bearer {API_KEY}");
    answers.push(p.call("POST", &format!("/assessio/results/{rid}"), &[("authorization", &auth)], &result_body(&rid)));
    let cfg = Config::load(&p).unwrap();
    let secrets = cfg.secrets();
    for s in [
        TT_API_KEY,
        SIG_SECRET,
        PROVIDER_KEY,
        OTHER_PROVIDER_KEY,
        "pk-org-1-xyz",
        "isecret-org-1-xyz",
        API_KEY,
        OPERATOR,
    ] {
        assert!(secrets.contains(&s), "Config::secrets() lists {s}");
    }
    let mut everything: Vec<String> = p.logs.borrow().clone();
    everything.extend(answers.iter().map(text));
    for secret in secrets {
        for line in &everything {
            assert!(!line.contains(secret), "{secret} leaked in {line}");
        }
    }
}
