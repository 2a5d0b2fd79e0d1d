//! The Teamtailor flows, natively, against the in-memory platform with a
//! scripted Assessio and Teamtailor: the configuration endpoint, the stage
//! trigger (auth, signature, placement, progress), keeping an order while
//! Assessio is down and placing it with reconcile, and the result write-back.

mod support;

use assessio_gateway::config::Config;
use assessio_gateway::hub::Hub;
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
/// Teamtailor's company `uuid`s (its company object has no other id).
const COMPANY: &str = "Qm3rT8aZ1xP";
const OTHER_COMPANY: &str = "Lk9wE2nB7cD";

fn vars(signature: bool) -> Vec<(&'static str, String)> {
    let tenants = json!({
        COMPANY: {"teamtailor_provider_key": PROVIDER_KEY, "provider_key": "pk-org-1-xyz",
                  "integrator_secret": "isecret-org-1-xyz", "default_locale": "sv-SE"},
        OTHER_COMPANY: {"teamtailor_provider_key": OTHER_PROVIDER_KEY, "provider_key": "pk-org-2-xyz"},
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

/// A trigger as tt-partner-docs ("Webhooks") shows one: integer candidate
/// and job ids, the résumé as `{file-name, url}`, the company by `uuid`.
fn trigger(partner_result: &str, last_name: Option<&str>) -> Value {
    json!({
        "partner-event": {
            "id": format!("evt-{partner_result}"),
            "webhook-data": {"lens": LENS, "locale": "sv-SE"},
            "partner-result": {"id": partner_result, "status": "sending",
                               "update-url": format!("http://teamtailor.test/partner/v1/partner-results/{partner_result}")},
            "candidate": {"id": 991, "uuid": "5b1d7c1e-0d0e-4c59-9a43-1f7e3c2b9a10", "first-name": "Ada",
                          "last-name": last_name, "email": "ada@example.com", "phone": "+46 70 000 00 00",
                          "resume": {"file-name": "ada-cv.pdf", "url": "https://files.example/ada-cv.pdf"},
                          "job": {"id": 4711, "title": "Engineer", "stage-id": 3, "stage": "Assessment",
                                  "trigger-id": 12, "triggered-by": {"id": 31, "email": "rec@acme.example", "name": "Rec"}}}
        },
        "company": {"uuid": COMPANY, "name": "Acme AB", "url": "https://career.acme.example",
                    "logotype": "https://images.example/acme.png"}
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
    // Teamtailor signs the event id as it appears, a string or an integer.
    let event_id = match &body["partner-event"]["id"] {
        Value::Number(n) => n.to_string(),
        other => other.as_str().expect("an event id").to_string(),
    };
    let auth = format!("Bearer {PROVIDER_KEY}");
    let sig = signature(&event_id, NOW, SIG_SECRET);
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
    let rid = result_id(Hub::Teamtailor, COMPANY, "pr-42");
    assert_eq!(body["resultId"], rid.as_str());
    assert_eq!(body["resultUpdateUrl"], format!("https://gw.example/assessio/results/{rid}"));
    for dropped in ["+46", "ada-cv", "rec@acme", "Acme", "991", COMPANY] {
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

    let status = operator(&p, "GET", &format!("/orders/teamtailor/{COMPANY}/pr-42"));
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
        // The key of the other company with a body for this one.
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
    // Under the origin is not enough: the URL must be the named partner
    // result's own, or one customer's trigger could aim the gateway's
    // partner-wide key at another customer's result.
    for url in [
        "http://teamtailor.test/partner/v1/partner-results/someone-elses",
        "http://teamtailor.test/partner/v1/partner-results/pr-42/../someone-elses",
        "http://teamtailor.test/partner/v1/partner-results/%70r-42",
        "http://teamtailor.test/partner/v1/partner-results/pr-42?x=1",
        "http://teamtailor.test/partner/v1/partner-results/pr-42/",
        "http://teamtailor.test/other/pr-42",
    ] {
        let mut other = trigger("pr-42", Some("L"));
        other["partner-event"]["partner-result"]["update-url"] = json!(url);
        assert_eq!(send(&p, &other).status, 422, "{url}");
    }
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
fn without_a_signature_secret_teamtailor_is_off_unless_unsigned_is_allowed_and_health_says_so() {
    // Refused as a setting: the provider key alone is not taken silently.
    let p = Memory::new(vars(false));
    let health = p.call("GET", "/health", &[], b"");
    assert_eq!(health.status, 503, "{}", text(&health));
    assert_eq!(json_of(&health)["setting"], "teamtailor_signature_secret");
    let mut unsigned = vars(false);
    unsigned.push(("teamtailor_allow_unsigned", "true".into()));
    let p = Memory::new(unsigned);
    let health = p.call("GET", "/health", &[], b"");
    assert_eq!(health.status, 200, "{}", text(&health));
    let warnings = json_of(&health)["warnings"].to_string();
    assert!(warnings.contains("teamtailor_allow_unsigned"), "{warnings}");
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
    let rid = result_id(Hub::Teamtailor, COMPANY, "pr-42");
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
    assert_eq!(json_of(&operator(&p, "GET", &format!("/orders/teamtailor/{COMPANY}/pr-42")))["state"], "placed");

    // Nothing left to do; the trigger again answers from the record.
    let out = operator(&p, "POST", "/reconcile");
    assert_eq!(
        json_of(&out)["teamtailor"],
        json!({"placed": 0, "already_placed": 0, "rejected": 0, "retry_later": 0, "uncertain": 0,
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
    assert_eq!(json_of(&operator(&p, "GET", &format!("/orders/teamtailor/{COMPANY}/pr-42")))["state"], "rejected");
}

#[test]
fn a_result_teamtailor_refuses_is_kept_and_reconcile_writes_it_once() {
    let p = gateway();
    assert_eq!(send(&p, &trigger("pr-42", Some("Lovelace"))).status, 201);
    let rid = result_id(Hub::Teamtailor, COMPANY, "pr-42");
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

/// The dialog Teamtailor builds from `GET /teamtailor/config`: the fields
/// of the documented answer, or the message of its `error` field.
fn config_fields(out: &assessio_gateway::reply::Outgoing) -> Value {
    assert_eq!(out.status, 200, "Teamtailor documents only a 200 config answer: {}", text(out));
    assert_eq!(out.content_type, "application/json");
    let v = json_of(out);
    assert_eq!(v.as_object().map(|o| o.keys().collect::<Vec<_>>()), Some(vec![&"config".to_string()]), "{v}");
    v["config"]["fields"].clone()
}

/// The recruiter-visible message of a config answer with one `error` field.
fn config_error(out: &assessio_gateway::reply::Outgoing) -> String {
    let fields = config_fields(out);
    assert_eq!(fields.as_array().map(Vec::len), Some(1), "{fields}");
    assert_eq!(fields[0]["type"], "error", "{fields}");
    fields[0]["message"].as_str().expect("an error field has a message").to_string()
}

#[test]
fn the_configuration_endpoint_answers_the_documented_dialog_with_the_customers_lenses_and_locales() {
    let p = gateway();
    let catalog = json!({"availableLenses": [{"id": LENS, "name": "General Performance"}], "availableLocales": ["sv-SE", "en-US"]});
    let c = catalog.to_string();
    p.script(move |r| if r.url.ends_with("/recruitment/v1/config") { reply(200, &c) } else { reply(404, "") });
    let auth = format!("Bearer {OTHER_PROVIDER_KEY}");
    let out = p.call("GET", "/teamtailor/config?job_id=123&stage_id=456&user_id=789", &[("authorization", &auth)], b"");
    assert_eq!(
        config_fields(&out),
        json!([
            {"id": "lens", "label": "Recruitment Lens", "placeholder": "Select a lens", "type": "select",
             "options": [{"id": LENS, "label": "General Performance"}]},
            {"id": "locale", "label": "Language Locale", "placeholder": "Select the candidate's language", "type": "select",
             "options": [{"id": "sv-SE", "label": "Swedish"}, {"id": "en-US", "label": "English (US)"}]},
        ])
    );
    let sent = p.sent.borrow().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].header("provider-key"), Some("pk-org-2-xyz"), "the organisation of the key's company");
}

#[test]
fn configuration_problems_are_shown_in_the_dialog_as_its_error_field() {
    use assessio_gateway::teamtailor::config_messages as m;
    let p = gateway();
    let auth = format!("Bearer {PROVIDER_KEY}");
    let get = |p: &Memory, auth: &[(&str, &str)]| p.call("GET", "/teamtailor/config", auth, b"");

    // An unknown or missing provider key: nothing is fetched.
    assert_eq!(config_error(&get(&p, &[("authorization", "Bearer nope")])), m::UNKNOWN_KEY);
    assert_eq!(config_error(&get(&p, &[])), m::UNKNOWN_KEY);
    assert!(p.sent.borrow().is_empty(), "nothing sent for a bad key");

    // Assessio unreachable, or answering without a catalog.
    p.script(|_| Err("connection refused".into()));
    assert_eq!(config_error(&get(&p, &[("authorization", &auth)])), m::UNREACHABLE);
    for (status, body) in [(401, r#"{"message":"bad provider-key pk-org-1-xyz"}"#), (500, ""), (200, "<html>")] {
        p.script(move |_| reply(status, body));
        let out = get(&p, &[("authorization", &auth)]);
        assert_eq!(config_error(&out), m::REFUSED, "{status}");
        assert!(!text(&out).contains("pk-org"), "{}", text(&out));
    }
    // An organisation with nothing to offer.
    p.script(|_| reply(200, r#"{"availableLenses": [], "availableLocales": ["sv-SE"]}"#));
    assert!(config_error(&get(&p, &[("authorization", &auth)])).contains("no assessment"));

    // A company Teamtailor knows, with no Assessio organisation linked yet.
    let mut unlinked = vars(true);
    unlinked.retain(|(k, _)| *k != "teamtailor_tenants");
    let tenants = json!({COMPANY: {"teamtailor_provider_key": PROVIDER_KEY}});
    unlinked.push(("teamtailor_tenants", tenants.to_string()));
    let p = Memory::new(unlinked);
    assert_eq!(config_error(&get(&p, &[("authorization", &auth)])), m::NO_ORGANISATION);
    assert!(p.sent.borrow().is_empty());

    // Teamtailor switched off, but another hub on.
    let mut off: Vec<(&str, String)> = vars(false).into_iter().filter(|(k, _)| !k.starts_with("teamtailor")).collect();
    off.push(("stackone_api_key", "so-key".into()));
    off.push(("stackone_webhook_secret", "so-secret".into()));
    off.push(("stackone_tenants", json!({"acc-1": {"provider_key": "pk-so"}}).to_string()));
    let p = Memory::new(off);
    assert_eq!(p.call("GET", "/health", &[], b"").status, 200, "{}", text(&p.call("GET", "/health", &[], b"")));
    assert_eq!(config_error(&get(&p, &[("authorization", &auth)])), m::HUB_OFF);

    // The gateway's settings broken: said in the dialog, the setting only in the log.
    let mut broken = Memory::new(vars(true));
    broken.vars.insert("teamtailor_tenants".into(), "not json".into());
    let out = get(&broken, &[("authorization", &auth)]);
    assert_eq!(config_error(&out), m::MISCONFIGURED);
    assert!(broken.logs.borrow().iter().any(|l| l.contains("teamtailor_tenants")), "{:?}", broken.logs.borrow());
    // Other routes keep their documented 503.
    assert_eq!(broken.call("POST", "/teamtailor/webhook", &[], b"{}").status, 503);

    // Assessio's settings broken (read only when the catalog is asked for):
    // the same, and nothing is sent.
    let mut broken = Memory::new(vars(true));
    broken.vars.insert("public_url".into(), "gw.example/no-scheme".into());
    let out = get(&broken, &[("authorization", &auth)]);
    assert_eq!(config_error(&out), m::MISCONFIGURED);
    assert!(broken.logs.borrow().iter().any(|l| l.contains("`public_url`")), "{:?}", broken.logs.borrow());
    assert!(broken.sent.borrow().is_empty());
}

/// A trigger that arrives while Assessio's settings are broken is kept, not
/// lost (Teamtailor does not send it again), and reconcile places it once
/// they are fixed.
#[test]
fn a_trigger_while_assessio_settings_are_broken_is_kept_and_placed_once_fixed() {
    let mut p = gateway();
    p.vars.insert("assessio_order_endpoint".into(), "orders-please".into());
    let out = send(&p, &trigger("pr-7", Some("Lovelace")));
    assert_eq!((out.status, json_of(&out)["status"].clone()), (202, json!("kept")), "{}", text(&out));
    assert!(json_of(&out)["reason"].as_str().unwrap().contains("setting `assessio_order_endpoint`"));
    assert!(!text(&out).contains("orders-please"), "the answer quoted the value");
    assert!(assessio_orders(&p).is_empty());
    p.vars.insert("assessio_order_endpoint".into(), "order".into());
    let report = json_of(&operator(&p, "POST", "/reconcile"));
    assert_eq!(report["teamtailor"]["placed"], 1, "{report}");
    assert_eq!(assessio_orders(&p).len(), 1);
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
    let same = json!({COMPANY: {"teamtailor_provider_key": "k", "provider_key": "a"},
                      OTHER_COMPANY: {"teamtailor_provider_key": "k", "provider_key": "b"}});
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
    answers.push(operator(&p, "GET", &format!("/orders/teamtailor/{COMPANY}/pr-3")));
    let rid = result_id(Hub::Teamtailor, COMPANY, "pr-1");
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

#[test]
fn the_company_is_its_uuid_and_integer_ids_are_read() {
    let p = gateway();
    // The documented trigger: integer ids, the company by uuid.
    let mut t = trigger("pr-50", Some("Lovelace"));
    t["partner-event"]["id"] = json!(8_123_456);
    assert_eq!(send(&p, &t).status, 201, "the event id signed as its decimal form");
    // The key of the other company with this company's uuid: refused.
    let mut other = trigger("pr-51", Some("Lovelace"));
    other["company"]["uuid"] = json!(OTHER_COMPANY);
    let out = send(&p, &other);
    assert_eq!(out.status, 403, "{}", text(&out));
    // A company without uuid (an `id` is not Teamtailor's) cannot be matched to a customer.
    let mut no_uuid = trigger("pr-52", Some("Lovelace"));
    no_uuid["company"] = json!({"id": COMPANY, "name": "Acme AB"});
    let out = send(&p, &no_uuid);
    assert_eq!(out.status, 422, "{}", text(&out));
    assert!(out.content_type.starts_with("text/plain"));
    assert!(text(&out).starts_with("Assessio could not be ordered"), "{}", text(&out));
    assert_eq!(assessio_orders(&p).len(), 1, "only the documented trigger was placed");
    // Nothing is written to a partner result the body cannot prove is this company's.
    assert!(teamtailor_puts(&p).iter().all(|r| !r.url.ends_with("/pr-52")));
}

#[test]
fn a_trigger_for_a_company_without_an_assessio_organisation_is_refused_and_reported() {
    let mut v = vars(true);
    v.retain(|(k, _)| *k != "teamtailor_tenants");
    v.push(("teamtailor_tenants", json!({COMPANY: {"teamtailor_provider_key": PROVIDER_KEY}}).to_string()));
    let p = Memory::new(v);
    p.script(|_| reply(200, "{}"));
    let out = send(&p, &trigger("pr-60", Some("Lovelace")));
    assert_eq!(out.status, 422, "{}", text(&out));
    assert!(out.content_type.starts_with("text/plain"));
    assert!(text(&out).contains("not linked to an Assessio organisation"), "{}", text(&out));
    assert!(assessio_orders(&p).is_empty());
    let puts = teamtailor_puts(&p);
    assert_eq!(puts.len(), 1);
    let attributes = &serde_json::from_slice::<Value>(&puts[0].body).unwrap()["data"]["attributes"];
    assert_eq!(
        (attributes["status"].as_str(), attributes["summary"].as_str()),
        (Some("failed"), Some(text(&out).as_str()))
    );
}

mod documented_triggers {
    //! Triggers built from tt-partner-docs' "Webhooks" section, with every
    //! member the document shows as optional or that may be empty in
    //! Teamtailor (names, phone, résumé, the job's and company's extras, the
    //! candidate's lists) present, `null` or absent; their `webhook-data` is
    //! what a recruiter picks in the dialog Teamtailor builds from the
    //! gateway's own config answer, read as "Webhook config" documents it.

    use super::*;
    use proptest::prelude::*;

    /// How one optional member appears.
    #[derive(Debug, Clone, Copy)]
    enum Presence {
        Given,
        Null,
        Absent,
    }

    fn presence() -> impl Strategy<Value = Presence> {
        prop_oneof![Just(Presence::Given), Just(Presence::Null), Just(Presence::Absent)]
    }

    fn put(obj: &mut Value, key: &str, how: Presence, value: Value) {
        match how {
            Presence::Given => obj[key] = value,
            Presence::Null => obj[key] = Value::Null,
            Presence::Absent => {
                obj.as_object_mut().expect("an object").remove(key);
            }
        }
    }

    const CANDIDATE_OPTIONAL: [&str; 16] = [
        "uuid",
        "first-name",
        "last-name",
        "phone",
        "picture-url",
        "tags",
        "department",
        "role",
        "referrals",
        "recruiter",
        "locations",
        "questions",
        "custom-fields",
        "uploads",
        "resume",
        "onboardings",
    ];
    const JOB_OPTIONAL: [&str; 8] =
        ["title", "stage-id", "stage", "tags", "trigger-id", "custom-fields", "status", "triggered-by"];
    const COMPANY_OPTIONAL: [&str; 3] = ["name", "url", "logotype"];

    fn sample(key: &str) -> Value {
        match key {
            "uuid" => json!("0f5e2b7a-3c4d-4e8f-9a1b-2c3d4e5f6a7b"),
            "first-name" => json!("Grace"),
            "last-name" => json!("Hopper"),
            "phone" => json!("+46 70 111 22 33"),
            "picture-url" | "logotype" => json!("https://images.example/p.png"),
            "tags" => json!(["developer"]),
            "department" => json!("Engineering"),
            "role" => json!("Backend"),
            "referrals" => json!([{"id": 3, "name": "Ref", "email": "ref@example.com"}]),
            "recruiter" => json!({"name": "Rec", "email": "rec@example.com", "phone": "+461"}),
            "locations" => json!([{"name": "Stockholm", "address": "Street 1"}]),
            "questions" => json!([{"question": "Years?", "answer": "10 years"}]),
            "custom-fields" => json!([{"is-remote": {"value": true, "type": "boolean"}}]),
            "uploads" => json!([{"file-name": "a.pdf", "url": "https://files.example/a.pdf"}]),
            "resume" => json!({"file-name": "cv.pdf", "url": "https://files.example/cv.pdf"}),
            "onboardings" => json!([{"id": 177, "status": "active", "progress": 33}]),
            "title" => json!("Full-stack developer"),
            "stage-id" | "trigger-id" => json!(7),
            "stage" => json!("After Interview"),
            "status" => json!({"rejected": false}),
            "triggered-by" => json!({"id": 31, "email": "u@example.com", "name": "User"}),
            "name" => json!("Acme AB"),
            "url" => json!("https://career.acme.example"),
            other => panic!("no sample for {other}"),
        }
    }

    /// The organisation's catalog: three lenses, three locales.
    const CATALOG: &str = r#"{"availableLenses": [
        {"id": "7922dd91-1b44-43e4-a740-7c4d9c2fba41", "name": "General Performance"},
        {"id": "5d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a", "name": "Sales"},
        {"id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "name": "Leadership"}],
        "availableLocales": ["sv-SE", "en-US", "nb-NO"]}"#;

    /// The gateway, with Assessio answering the catalog and taking orders.
    fn platform() -> Memory {
        let p = Memory::new(vars(true));
        p.script(|r| {
            if r.url.ends_with("/recruitment/v1/config") {
                reply(200, CATALOG)
            } else if r.url.contains("assessio.test") {
                reply(201, "{}")
            } else {
                reply(200, "{}")
            }
        });
        p
    }

    /// What Teamtailor sends as `webhook-data` after a recruiter picked, in
    /// each select of the dialog built from `GET /teamtailor/config`, the
    /// option `picks[i]` (modulo the number of options): the field's `id`
    /// with `_` turned into `-`, the option's `id` as a string. Read from the
    /// documented shape only: `{"config":{"fields":[{"id","type":"select",
    /// "options":[{"id","label"}]} | {"optgroups":[{"options":[…]}]}]}}`.
    fn dialog_choices(p: &Memory, picks: &[usize]) -> Value {
        let auth = format!("Bearer {PROVIDER_KEY}");
        let out = p.call("GET", "/teamtailor/config?job_id=1&stage_id=2&user_id=3", &[("authorization", &auth)], b"");
        assert_eq!((out.status, out.content_type), (200, "application/json"));
        let config = json_of(&out);
        let fields = config["config"]["fields"].as_array().expect("the documented config.fields");
        let mut data = serde_json::Map::new();
        for (i, field) in fields.iter().filter(|f| f["type"] == "select").enumerate() {
            let options: Vec<&Value> = match field["optgroups"].as_array() {
                Some(groups) => groups.iter().flat_map(|g| g["options"].as_array().into_iter().flatten()).collect(),
                None => field["options"].as_array().expect("a select's options").iter().collect(),
            };
            let option = &options[picks[i % picks.len()] % options.len()]["id"];
            let id = option.as_str().map_or_else(|| option.to_string(), str::to_string);
            let key = field["id"].as_str().expect("a field id").replace('_', "-");
            data.insert(key, json!(id));
        }
        Value::Object(data)
    }

    fn documented_trigger() -> impl Strategy<Value = (Value, Vec<usize>)> {
        (
            1_u64..1_000_000_000,
            proptest::collection::vec(presence(), CANDIDATE_OPTIONAL.len() + JOB_OPTIONAL.len() + COMPANY_OPTIONAL.len()),
            any::<bool>(),
            proptest::collection::vec(0_usize..8, 2),
        )
            .prop_map(|(n, how, integer_event_id, picks)| {
                let pr = format!("{n:08x}-7d0c-4b8e-9f1a-3e5d7c9b1a2f");
                let mut t = json!({
                    "partner-event": {
                        "id": if integer_event_id { json!(n) } else { json!(format!("evt-{n}")) },
                        "webhook-data": null,
                        "partner-result": {"id": pr, "status": "sending",
                                           "update-url": format!("http://teamtailor.test/partner/v1/partner-results/{pr}")},
                        "candidate": {"id": n, "email": format!("c{n}@example.com"), "job": {"id": n % 10_000}},
                    },
                    "company": {"uuid": COMPANY},
                });
                let mut it = how.iter().copied();
                for key in CANDIDATE_OPTIONAL {
                    put(&mut t["partner-event"]["candidate"], key, it.next().unwrap(), sample(key));
                }
                for key in JOB_OPTIONAL {
                    put(&mut t["partner-event"]["candidate"]["job"], key, it.next().unwrap(), sample(key));
                }
                for key in COMPANY_OPTIONAL {
                    put(&mut t["company"], key, it.next().unwrap(), sample(key));
                }
                (t, picks)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Each documented trigger is placed, or refused in a way Teamtailor
        /// shows the recruiter: a plain-text answer >= 400 (422 here) and the
        /// partner result `failed` with that text as its summary. Never a
        /// 400 or 5xx, which would say nothing useful. Assessio needs both
        /// names and a job title, so only those may refuse an order.
        #[test]
        fn ends_placed_or_in_a_recruiter_visible_rejection((mut t, picks) in documented_trigger()) {
            let p = platform();
            t["partner-event"]["webhook-data"] = dialog_choices(&p, &picks);
            let out = send(&p, &t);
            let candidate = &t["partner-event"]["candidate"];
            let named = |k: &str| candidate[k].as_str().is_some_and(|s| !s.is_empty());
            let pr = t["partner-event"]["partner-result"]["id"].as_str().unwrap();
            let puts = teamtailor_puts(&p);
            prop_assert!(puts.iter().all(|r| r.url.ends_with(pr)), "wrote to another partner result");
            let last: Option<Value> = puts.last().map(|r| serde_json::from_slice(&r.body).unwrap());
            let titled = candidate["job"]["title"].as_str().is_some_and(|s| !s.is_empty());
            if named("first-name") && named("last-name") && titled {
                prop_assert_eq!(out.status, 201, "{}", text(&out));
                prop_assert_eq!(assessio_orders(&p).len(), 1);
                // The order is for what the recruiter picked in the dialog.
                let order: Value = serde_json::from_slice(&assessio_orders(&p)[0].body).unwrap();
                let picked: Vec<&Value> = t["partner-event"]["webhook-data"].as_object().unwrap().values().collect();
                prop_assert!(picked.contains(&&order["lensId"]) && picked.contains(&&order["locale"]), "{}", order);
                let written = last.expect("progress is reported");
                prop_assert_eq!(written["data"]["attributes"]["status"].as_str(), Some("sent"));
            } else {
                prop_assert_eq!(out.status, 422, "{}", text(&out));
                prop_assert!(out.content_type.starts_with("text/plain"));
                let shown = text(&out);
                // Any one of the missing members may be the one named.
                let missing = [
                    (!named("first-name"), "no first name"),
                    (!named("last-name"), "no last name"),
                    (!titled, "the job has no name"),
                ];
                prop_assert!(missing.iter().any(|(m, why)| *m && shown.contains(why)), "{} for {}", shown, t);
                prop_assert!(assessio_orders(&p).is_empty());
                let attributes = last.expect("the partner result is reported")["data"]["attributes"].clone();
                prop_assert_eq!(attributes["status"].as_str(), Some("failed"));
                prop_assert_eq!(attributes["summary"].as_str(), Some(shown.as_str()));
            }
        }
    }
}
