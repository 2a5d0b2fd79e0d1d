//! The hub adapters (`hubs`, `kombo`, `teamtailor`, `stackone` in the WIT),
//! called through wasmtime by name with JSON, against known answers and
//! against the same Rust code called natively.
//!
//! Every example in `examples/calls/hubs/` is run both ways and must agree;
//! generated mutations of each hub's order event must give the same answer
//! (or the same typed refusal) both ways; the signature checks meet vectors
//! computed outside this project (Python's `hmac`).

use assessio_harness::connector::ExportFailure;
use assessio_harness::{Connector, Limits, locate};
use assessio_plugin::hubs::{self, HubOrder, kombo, stackone, teamtailor};
use assessio_plugin::{self as native, AssessmentResult, Catalog, HttpRequest, InputError};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::OnceLock;

fn connector() -> &'static Connector {
    static C: OnceLock<Connector> = OnceLock::new();
    C.get_or_init(|| {
        let path = locate::ensure_plugin_built().expect("the plugin component builds");
        Connector::load(&path, Limits::default()).expect("the plugin component loads")
    })
}

fn call(name: &str, args: &Value) -> Result<Value, Value> {
    match connector().call_export(name, args, 1_700_000_000) {
        Ok(answer) => answer,
        Err(ExportFailure::Unknown(names)) => panic!("`{name}` is not exported; these are: {names:?}"),
        Err(ExportFailure::BadInput(m)) => panic!("`{name}` refused its JSON: {m}"),
        Err(ExportFailure::Stopped(e)) => panic!("`{name}` stopped: {e}"),
    }
}

fn root() -> std::path::PathBuf {
    locate::workspace_root()
}

fn example(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn native_json<T: serde::Serialize>(r: Result<T, InputError>) -> Result<Value, Value> {
    r.map(|v| serde_json::to_value(v).unwrap()).map_err(|e| serde_json::to_value(e).unwrap())
}

/// A request as the component's JSON shows it: the WIT's method case, the
/// body as text.
fn request_json(r: &HttpRequest) -> Value {
    json!({
        "method": r.method.as_str().to_ascii_lowercase(),
        "url": r.url,
        "headers": r.headers.iter().map(|h| json!({"name": h.name, "value": h.value})).collect::<Vec<_>>(),
        "body": String::from_utf8(r.body.clone()).expect("hub bodies are JSON text"),
    })
}

fn from<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).expect("the example's JSON fits the crate's type")
}

fn body(args: &Value) -> Vec<u8> {
    args["body"].as_str().expect("a body").as_bytes().to_vec()
}

/// The crate's own answer to the same call, as JSON in the component's shape.
fn native_answer(name: &str, a: &Value) -> Result<Value, Value> {
    let s = |k: &str| a[k].as_str().unwrap_or_default().to_string();
    let result = || -> AssessmentResult { from(&a["result"]) };
    let request = |r: Result<HttpRequest, InputError>| r.map(|r| request_json(&r)).map_err(|e| json!(e));
    match name {
        "hubs.to-order-details" => {
            let order: HubOrder = from(&a["order"]);
            Ok(json!(order.order_details(&s("hub"), &s("lens-id"), &s("locale"), &s("result-base-url"))))
        }
        "kombo.parse-order-event" => native_json(kombo::parse_order_event(&body(a))),
        "kombo.result-request" => request(kombo::result_request(
            &from(&a["api"]),
            &s("order-id"),
            &result(),
            a["completed-at"].as_i64().unwrap(),
        )),
        "teamtailor.parse-trigger" => native_json(teamtailor::parse_trigger(&body(a))),
        "teamtailor.result-request" => request(teamtailor::result_request(&s("update-url"), &s("api-key"), &result())),
        "teamtailor.progress-request" => request(teamtailor::progress_request(
            &s("update-url"),
            &s("api-key"),
            from(&a["status"]),
            a["reason"].as_str(),
        )),
        "stackone.parse-event" => native_json(stackone::parse_event(&body(a))),
        "stackone.result-request" => request(stackone::result_request(
            &from(&a["api"]),
            &s("order-id"),
            &result(),
            a["submitted-at"].as_i64().unwrap(),
        )),
        other => panic!("no native counterpart written for {other}"),
    }
}

#[test]
fn every_hub_example_call_answers_as_the_native_library_does() {
    let dir = root().join("examples/calls/hubs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("examples/calls/hubs exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "examples went missing: {names:?}");
    for file in names {
        let name = file.trim_end_matches(".json");
        let args = example(&format!("examples/calls/hubs/{file}"));
        let component = call(name, &args);
        assert!(component.is_ok(), "{name}: the example is refused: {component:?}");
        assert_eq!(component, native_answer(name, &args), "{name}: component and native differ");
        // The answer the Node and Python examples check against, frozen by
        // examples/calls/hubs/expected/regen.sh: all three runtimes agree.
        let frozen = example(&format!("examples/calls/hubs/expected/{file}"));
        assert_eq!(component, Ok(frozen), "{name}: examples/calls/hubs/expected/{file} is stale; run its regen.sh");
    }
}

#[test]
fn the_plugin_exports_the_same_adapters_for_every_hub() {
    let names: Vec<String> = connector().exported_functions().into_iter().map(|f| f.name).collect();
    for f in ["verify-webhook", "parse-order-event", "result-request", "rejection-body", "interpret-write-response"] {
        assert!(names.contains(&format!("kombo.{f}")), "kombo.{f} missing from {names:?}");
    }
    for f in [
        "verify-webhook",
        "parse-event",
        "next-lookup",
        "lookup-request",
        "merge-lookup",
        "to-hub-order",
        "result-request",
        "rejection-request",
        "parse-packages-query",
        "packages-body",
        "interpret-write-response",
    ] {
        assert!(names.contains(&format!("stackone.{f}")), "stackone.{f} missing from {names:?}");
    }
    for f in [
        "verify-signature",
        "verify-provider-key",
        "parse-trigger",
        "config-response",
        "config-error-response",
        "result-request",
        "progress-request",
        "rejection-text",
        "interpret-write-response",
    ] {
        assert!(names.contains(&format!("teamtailor.{f}")), "teamtailor.{f} missing");
    }
    for f in ["package-id", "parse-package-id", "to-order-details", "recruiter-message"] {
        assert!(names.contains(&format!("hubs.{f}")), "hubs.{f} missing");
    }
    // The core functions keep their own conventions and are not listed here.
    assert!(!names.iter().any(|n| n.starts_with("assessio.") || n.starts_with("types.")), "{names:?}");
}

/// Python: `hmac.new(b"tt-secret", b"1700000000.evt-1", hashlib.sha256).hexdigest()`.
const TT_V1: &str = "437fbc3cd6b6211d7c1d4bb1081fea96674e604bd4e88dd47cc2341f327d76ac";

#[test]
fn teamtailor_signatures_meet_an_outside_vector_both_ways_in_time() {
    let check = |header: Option<&str>, event: &str, now: i64| {
        call(
            "teamtailor.verify-signature",
            &json!({"header": header, "partner-event-id": event, "secret": "tt-secret", "now": now}),
        )
    };
    let good = format!("t=1700000000,v0=00,v1={TT_V1}");
    assert_eq!(check(Some(&good), "evt-1", 1_700_000_000), Ok(json!({"signed-at": 1_700_000_000})));
    // Any v1 may match (rotation).
    let rotated = format!("t=1700000000,v1={},v1={TT_V1}", "ab".repeat(32));
    assert_eq!(check(Some(&rotated), "evt-1", 1_700_000_299), Ok(json!({"signed-at": 1_700_000_000})));
    assert_eq!(check(Some(&good), "evt-2", 1_700_000_000), Err(json!("mismatch")));
    assert_eq!(check(Some(&good), "evt-1", 1_700_000_301), Err(json!({"expired": 301})));
    assert_eq!(check(Some(&good), "evt-1", 1_699_999_699), Err(json!({"from-future": 301})));
    assert_eq!(check(None, "evt-1", 1_700_000_000), Err(json!("missing")));
    // The component agrees with the crate on the same inputs.
    for (h, e, now) in [(Some(good.as_str()), "evt-1", 1_700_000_000), (Some("t=x"), "evt-1", 0), (None, "", 0)] {
        let native = teamtailor::verify_signature(h, e, "tt-secret", now, None)
            .map(|v| json!({"signed-at": v.signed_at}))
            .map_err(|e| json!(e));
        assert_eq!(check(h, e, now), native, "{h:?} {e}");
    }
}

#[test]
fn teamtailor_provider_keys_must_match_exactly() {
    let check = |auth: Option<&str>, expected: &str| {
        call("teamtailor.verify-provider-key", &json!({"authorization": auth, "expected": expected}))
    };
    assert_eq!(check(Some("Bearer pk-acme"), "pk-acme"), Ok(json!(true)));
    assert_eq!(check(Some("bearer  pk-acme "), "pk-acme"), Ok(json!(true)));
    assert_eq!(check(Some("Bearer pk-acm"), "pk-acme"), Ok(json!(false)));
    assert_eq!(check(Some("pk-acme"), "pk-acme"), Ok(json!(false)));
    assert_eq!(check(None, "pk-acme"), Ok(json!(false)));
    assert_eq!(check(Some("Bearer "), ""), Ok(json!(false)));
}

/// Python: HMAC-SHA256 under `so-secret` of `BODY`, in each encoding.
const SO_BODY: &str = r#"{"event":"ats_assessments.created","id":"evt_1"}"#;
const SO_B64URL: &str = "ovsvzap9QoJw8ILFtbiFJfns1zE5D9W-Cgmh9W9pOe0";
const SO_B64: &str = "ovsvzap9QoJw8ILFtbiFJfns1zE5D9W+Cgmh9W9pOe0=";
const SO_HEX: &str = "a2fb2fcdaa7d428270f082c5b5b88525f9ecd731390fd5be0a09a1f56f6939ed";

#[test]
fn stackone_signatures_are_base64url_under_any_current_secret() {
    let check = |header: &str, value: &str, secrets: &[&str]| {
        call(
            "stackone.verify-webhook",
            &json!({
                "headers": [{"name": "Content-Type", "value": "application/json"}, {"name": header, "value": value}],
                "body": SO_BODY,
                "secrets": secrets,
            }),
        )
    };
    assert_eq!(check("X-StackOne-Signature", SO_B64URL, &["so-secret"]), Ok(json!({"ok": true})));
    assert_eq!(check("x-stackone-signature", SO_B64URL, &["new-secret", "so-secret"]), Ok(json!({"ok": true})));
    assert_eq!(
        check("x-stackone-signature", SO_B64, &["so-secret"]),
        Err(json!({"malformed": "no signature is a base64url HMAC-SHA256"})),
        "standard base64 is not StackOne's encoding"
    );
    assert_eq!(
        check("x-stackone-signature", SO_HEX, &["so-secret"]),
        Err(json!({"malformed": "no signature is a base64url HMAC-SHA256"}))
    );
    assert_eq!(check("x-other", SO_B64URL, &["so-secret"]), Err(json!("missing")));
    assert_eq!(check("x-stackone-signature", SO_B64URL, &[]), Err(json!("no-secret")));
    let flipped = SO_B64URL.replacen('o', "p", 1);
    assert_eq!(check("x-stackone-signature", &flipped, &["so-secret"]), Err(json!("mismatch")));
}

#[test]
fn write_outcomes_and_rejections_agree_with_the_native_library() {
    for status in [200_u16, 204, 400, 401, 404, 409, 422, 429, 500, 502, 503] {
        for body in [
            r#"{"message":"Order not found"}"#,
            r#"{"status":"error","error":{"code":"PLATFORM.RATE_LIMIT_EXCEEDED","message":"slow down"}}"#,
            "not json",
        ] {
            let args = json!({"status": status, "body": body});
            let k = call("kombo.interpret-write-response", &args);
            assert_eq!(k, Ok(json!(kombo::interpret_write_response(status, body.as_bytes()))), "kombo {status} {body}");
            let s = call("stackone.interpret-write-response", &args);
            assert_eq!(s, Ok(json!(stackone::interpret_write_response(status, body.as_bytes()))), "stackone {status}");
            let t = call("teamtailor.interpret-write-response", &args);
            let native = teamtailor::interpret_write_response(status, body.as_bytes());
            assert_eq!(t, Ok(json!(native)), "teamtailor {status}");
        }
    }
    let message = "Assessio could not be ordered: the candidate has no last name.";
    let k = call("kombo.rejection-body", &json!({"message": message}));
    assert_eq!(k, Ok(json!(String::from_utf8(kombo::rejection_body(message)).unwrap())));
    let api = json!({"base-url": "https://api.stackone.com", "api-key": "k", "account-id": "acc-7"});
    let s = call("stackone.rejection-request", &json!({"api": api, "order-id": "ord_1", "message": message}));
    let native_api = stackone::StackOneApi {
        base_url: "https://api.stackone.com".into(),
        api_key: "k".into(),
        account_id: "acc-7".into(),
    };
    let expected = stackone::rejection_request(&native_api, "ord_1", message).unwrap();
    assert_eq!(s, Ok(request_json(&expected)));
    let error = json!({"missing": "candidate.last-name"});
    let expected = hubs::recruiter_message(&InputError::missing("candidate.last-name"));
    assert_eq!(call("hubs.recruiter-message", &json!({"error": error})), Ok(json!(expected)));
    assert_eq!(call("teamtailor.rejection-text", &json!({"error": error})), Ok(json!(expected)));
}

#[test]
fn packages_and_the_teamtailor_dialog_come_from_the_catalog() {
    let catalog: Catalog =
        native::list_lenses(&std::fs::read(root().join("examples/payloads/config-response.json")).unwrap()).unwrap();
    let cat = json!(catalog);
    let dialog = call("teamtailor.config-response", &json!({"catalog": cat})).unwrap();
    assert_eq!(dialog, json!(String::from_utf8(teamtailor::config_response(&catalog)).unwrap()));
    let message = "Assessio could not be reached.\nTry again.";
    let error = call("teamtailor.config-error-response", &json!({"message": message})).unwrap();
    assert_eq!(error, json!(String::from_utf8(teamtailor::config_error_response(message)).unwrap()));
    let api = json!({"base-url": "https://api.kombo.dev/v1", "api-key": "k", "integration-id": "int-1"});
    let packages = call("kombo.packages-request", &json!({"api": api, "catalog": cat})).unwrap();
    let native = kombo::packages_request(&from(&api), &catalog).unwrap();
    assert_eq!(packages, request_json(&native));
    let page = call("kombo.open-orders-request", &json!({"api": api, "cursor": "c/1", "page-size": 50})).unwrap();
    assert_eq!(
        page["url"],
        json!("https://api.kombo.dev/v1/assessment/orders?statuses=OPEN&page_size=50&cursor=c%2F1")
    );
    assert_eq!(call("hubs.package-id", &json!({"lens-id": "L1", "locale": "sv-SE"})), Ok(json!("L1:sv-SE")));
    assert_eq!(call("hubs.parse-package-id", &json!({"package-id": "a:b:sv-SE"})), Ok(json!(["a:b", "sv-SE"])));
    assert_eq!(
        call("hubs.parse-package-id", &json!({"package-id": "typescript_test"})),
        Err(json!({"invalid": {"field": "package_id", "problem": "is not a package this connector published"}}))
    );
}

#[test]
fn json_that_does_not_fit_the_parameters_is_named_without_its_value() {
    let bad = |name: &str, args: Value| match connector().call_export(name, &args, 0) {
        Err(ExportFailure::BadInput(m)) => m.0,
        other => panic!("{name}: expected a bad-input refusal, got {other:?}"),
    };
    let m = bad("kombo.result-request", json!({"api": {"base-url": "u", "api-key": 424_242, "integration-id": "i"}}));
    assert_eq!(m, "`api.api-key` must be a string, not a number");
    let m = bad("teamtailor.progress-request", json!({"update-url": "u", "api-key": "k", "status": "done"}));
    assert!(m.starts_with("`status` must be one of `sending`, `sent`"), "{m}");
    let m = bad("kombo.interpret-write-response", json!({"status": 70_000, "body": ""}));
    assert_eq!(m, "`status` must be a whole number from 0 to 65535; the number given is out of range");
    let m = bad("kombo.parse-order-event", json!({"body": "{}", "secret": "hunter2"}));
    assert!(m.starts_with("`secret` is not a field here"), "{m}");
    let m = bad("kombo.parse-order-event", json!({}));
    assert_eq!(m, "`body` is required");
    match connector().call_export("workday.parse-order-event", &json!({}), 0) {
        Err(ExportFailure::Unknown(names)) => assert!(names.contains(&"kombo.parse-order-event".to_string())),
        other => panic!("{other:?}"),
    }
}

/// Mutations of a payload: a key renamed, a value replaced by another JSON
/// kind, or a member removed, at any depth.
fn mutate(v: &Value, path: &[usize], how: u8) -> Value {
    let mut v = v.clone();
    mutate_at(&mut v, path, how);
    v
}

fn mutate_at(at: &mut Value, path: &[usize], how: u8) {
    if let Some((&i, rest)) = path.split_first() {
        match at {
            Value::Object(o) if !o.is_empty() => {
                let k = o.keys().nth(i % o.len()).unwrap().clone();
                return mutate_at(o.get_mut(&k).unwrap(), rest, how);
            }
            Value::Array(a) if !a.is_empty() => {
                let n = a.len();
                return mutate_at(&mut a[i % n], rest, how);
            }
            _ => {}
        }
    }
    match (how % 5, &mut *at) {
        (0, _) => *at = Value::Null,
        (1, _) => *at = json!(42),
        (2, _) => *at = json!(""),
        (3, Value::Object(o)) if !o.is_empty() => {
            let k = o.keys().next().unwrap().clone();
            o.remove(&k);
        }
        (_, _) => *at = json!({"unexpected": [1, "x"]}),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn mutated_order_events_get_the_same_answer_through_the_component(
        path in proptest::collection::vec(0_usize..12, 0..5),
        how in 0_u8..5,
        hub in 0_usize..3,
    ) {
        let (file, function) = [
            ("kombo-order-received.json", "kombo.parse-order-event"),
            ("teamtailor-trigger.json", "teamtailor.parse-trigger"),
            ("stackone-order-created.json", "stackone.parse-event"),
        ][hub];
        let payload = mutate(&example(&format!("examples/payloads/{file}")), &path, how);
        let text = payload.to_string();
        let args = json!({"body": text});
        prop_assert_eq!(call(function, &args), native_answer(function, &args));
    }
}
