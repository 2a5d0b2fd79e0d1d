//! End to end through wasmtime for StackOne: the real gateway component (the
//! root `spin.toml`) between the StackOne and Assessio simulators.
//!
//! StackOne sends the unified event `ats_assessments.created` (ids only, and
//! in native events what it could map in `event_data`) signed
//! `x-stackone-signature` (base64url HMAC-SHA256 of the raw body); the
//! gateway reads the rest from StackOne's unified API, and takes the result
//! back with `PATCH /unified/ats/assessments/orders/{id}/result`, scores as
//! strings. StackOne ignores webhook answers, so a refusal is written back as
//! a `cancelled` result. Whether StackOne retries a failed webhook is not
//! documented, so the gateway keeps an order it could not place and places
//! it on reconcile.

use assessio_host::stack::{Engine, LENS_ID, STACKONE_ACCOUNT, Stack, StackOptions, secrets};
use assessio_plugin::hubs::package_id;
use assessio_simulators::assessio::route as assessio_route;
use assessio_simulators::stackone::{EventDetail, NewStackOneOrder, StackOneSignature, route as stackone_route};
use assessio_simulators::{FaultAction, FaultPlan, Scores};
use serde_json::json;
use std::time::Duration;
use support::{KvDir, assert_no_secret, eventually, json_of, options, start};

mod support;

const NO_LAST_NAME: &str = "Assessio could not be ordered: the candidate has no last name. \
                            Assessio needs a first and a last name to invite the candidate.";

fn order(email: &str) -> NewStackOneOrder {
    NewStackOneOrder::example(STACKONE_ACCOUNT, &package_id(LENS_ID, "en-US"), email)
}

/// Every answer the gateway gave to StackOne, for the secrets scan.
fn answers(stack: &Stack) -> Vec<(String, String)> {
    stack
        .stackone
        .webhook_sends()
        .into_iter()
        .map(|s| (format!("order event {}", s.order_id), String::from_utf8_lossy(&s.response_body).into_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_event_is_placed_and_the_result_patched_back_in_stackones_shape() {
    happy_path(Engine::Embedded).await;
}

/// The same, with the root `spin.toml` on real Spin, which composes the gateway with the plugin component itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_event_is_placed_and_the_result_patched_back_in_stackones_shape_on_real_spin() {
    let Some(engine) = support::real_spin_engine() else { return };
    happy_path(engine).await;
}

async fn happy_path(engine: Engine) {
    let kv = KvDir::new("stackone", "happy");
    let stack = start(StackOptions { auto_complete: None, engine, ..options(&kv) }).await;
    let sent = stack.stackone.place_order(order("romain@example.com")).await.unwrap();
    assert!(sent.is_success(), "{:?} {}", sent.status, String::from_utf8_lossy(&sent.body));

    let orders = stack.assessio.orders();
    assert_eq!(orders.len(), 1);
    let placed = &orders[0];
    assert_eq!(placed.provider_key, secrets::STACKONE_ORG_PROVIDER_KEY, "the account's own organisation");
    assert_eq!((placed.lens_id.as_str(), placed.locale.as_str()), (LENS_ID, "en-US"));
    assert_eq!(placed.candidate.email, "romain@example.com", "the first (personal) email");
    assert_eq!(placed.collaborators, ["john.doe@example.com"], "the hiring team");
    let body = placed.body.to_string();
    for private in ["+33", "r.sestier@work.example", "candidate?id=xyz", "app-77"] {
        assert!(!body.contains(private), "{private} reached Assessio: {body}");
    }

    let scores = Scores::new(62, &[("Driving Leadership", 22), ("Analytical Thinking", 85)]);
    stack.assessio.complete(&placed.result_id, &scores).unwrap();
    assert!(stack.assessio.settled_within(Duration::from_secs(15)).await);
    let id = sent.order_id.clone();
    assert!(eventually(Duration::from_secs(10), || stack.stackone.result_write_count(&id) > 0).await);
    let writes = stack.stackone.result_writes(&id);
    assert_eq!(writes.len(), 1, "written exactly once");
    let w = &writes[0];
    let submitted = w["submission_date"].as_str().unwrap_or_default().to_owned();
    assert!(submitted.ends_with('Z') && submitted.len() == 20, "{submitted}");
    assert_eq!(
        *w,
        json!({
            "score": {"label": "Assessio score", "value": "62", "min": "0", "max": "100"},
            "submission_date": submitted,
            "summary": "Assessio score 62 of 100. Driving Leadership 22, Analytical Thinking 85.",
            "result": {"value": "completed"},
            "result_url": format!("{}/reports/1", stack.assessio.url()),
            "attachments": [{"url": format!("{}/recruitments/1", stack.assessio.url()), "content_type": {"value": "other"}}],
        })
    );
    let status = stack.operator("GET", &format!("/orders/stackone/{STACKONE_ACCOUNT}/{id}")).await.unwrap();
    assert_eq!(status.status, 200, "{}", status.text());
    assert_eq!(json_of(&status.body)["state"], "written-back");
    let mut all = answers(&stack);
    all.push(("order status".into(), status.text()));
    assert_no_secret(&stack, &all);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_without_a_last_name_is_refused_with_the_reason() {
    let kv = KvDir::new("stackone", "nameless");
    let stack = start(options(&kv)).await;
    let mut nameless = order("nameless@example.com");
    nameless.candidate.last_name = None;
    let sent = stack.stackone.place_order(nameless).await.unwrap();
    assert_eq!(sent.status, Some(200), "StackOne ignores the body: {}", String::from_utf8_lossy(&sent.body));
    assert_eq!(stack.stackone.cancellation(&sent.order_id).as_deref(), Some(NO_LAST_NAME), "what the recruiter sees");
    assert_eq!(stack.stackone.result_writes(&sent.order_id)[0]["result"]["value"], "cancelled");
    assert_eq!(stack.assessio.attempt_count(), 0);
    assert_no_secret(&stack, &answers(&stack));
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_or_missing_signature_is_refused_and_nothing_is_sent() {
    let kv = KvDir::new("stackone", "signature");
    let stack = start(options(&kv)).await;
    let id = stack.stackone.create_order(order("sig@example.com")).unwrap();
    for signature in [
        StackOneSignature::Missing,
        StackOneSignature::WrongSecret,
        StackOneSignature::Header("not a signature".into()),
    ] {
        let sent = stack.stackone.send_order_created(&id, signature.clone()).await.unwrap();
        assert_eq!(sent.status, Some(401), "{signature:?}: {}", String::from_utf8_lossy(&sent.body));
    }
    assert_eq!(stack.assessio.attempt_count(), 0);
    let sent = stack.stackone.send_order_created(&id, StackOneSignature::Valid).await.unwrap();
    assert!(sent.is_success(), "{:?}", sent.status);
    assert_eq!(stack.assessio.order_count(), 1);
    assert_no_secret(&stack, &answers(&stack));
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_delivered_three_times_places_one_order_and_writes_once() {
    redelivered(Engine::Embedded).await;
}

/// The same, with the root `spin.toml` on real Spin, which composes the gateway with the plugin component itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_delivered_three_times_places_one_order_and_writes_once_on_real_spin() {
    let Some(engine) = support::real_spin_engine() else { return };
    redelivered(engine).await;
}

async fn redelivered(engine: Engine) {
    let kv = KvDir::new("stackone", "duplicate");
    let stack = start(StackOptions { engine, ..options(&kv) }).await;
    let sent = stack.stackone.place_order(order("thrice@example.com")).await.unwrap();
    assert!(sent.is_success());
    for _ in 0..2 {
        let again = stack.stackone.redeliver(&sent.order_id).await.unwrap();
        assert!(again.is_success(), "{:?}", again.status);
    }
    assert_eq!(stack.assessio.attempt_count(), 1);
    assert!(stack.assessio.settled_within(Duration::from_secs(15)).await);
    let id = sent.order_id.clone();
    assert!(eventually(Duration::from_secs(10), || stack.stackone.result_write_count(&id) > 0).await);
    // A redelivery after the result must not write it again either.
    let late = stack.stackone.redeliver(&id).await.unwrap();
    assert!(late.is_success());
    assert_eq!(stack.assessio.attempt_count(), 1);
    assert_eq!(stack.stackone.result_write_count(&id), 1);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_that_arrives_while_assessio_is_down_is_placed_by_reconcile() {
    let kv = KvDir::new("stackone", "assessio-down");
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let faults = stack.assessio.faults();
    // Down, and saying so (a cut connection would leave the order uncertain,
    // not re-sent: see tests/spin_exactly_once.rs).
    faults.set(assessio_route::ORDER, FaultPlan::new().always(FaultAction::Status(503)));
    let sent = stack.stackone.place_order(order("later@example.com")).await.unwrap();
    assert!(sent.is_success(), "kept, not lost: {:?} {}", sent.status, String::from_utf8_lossy(&sent.body));
    assert_eq!(stack.assessio.order_count(), 0);
    let record =
        stack.operator("GET", &format!("/orders/stackone/{STACKONE_ACCOUNT}/{}", sent.order_id)).await.unwrap();
    assert_eq!(record.status, 200, "{}", record.text());
    assert_eq!(json_of(&record.body)["state"], "retrying");

    faults.clear_all();
    let r = stack.operator("POST", "/reconcile").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(stack.assessio.order_count(), 1);
    let r2 = stack.operator("POST", "/reconcile").await.unwrap();
    assert_eq!(r2.status, 200);
    assert_eq!(stack.assessio.order_count(), 1, "placed once");
    let result_id = stack.assessio.orders()[0].result_id.clone();
    stack.assessio.complete(&result_id, &Scores::new(50, &[])).unwrap();
    assert!(stack.assessio.settled_within(Duration::from_secs(15)).await);
    let id = sent.order_id.clone();
    assert!(eventually(Duration::from_secs(10), || stack.stackone.result_write_count(&id) == 1).await);
    let mut all = answers(&stack);
    all.push(("reconcile".into(), r.text()));
    all.push(("order status".into(), record.text()));
    assert_no_secret(&stack, &all);
    stack.shutdown().await;
}

/// Each reading of `event_data` the documents allow ends as it should: the
/// package and references (look-ups fill the rest) and the whole mapped
/// order are placed; a synthetic event, which names no package, is refused
/// where the recruiter sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_event_shape_is_placed_or_refused_visibly() {
    let kv = KvDir::new("stackone", "shapes");
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let mut placed = 0;
    for (i, detail) in [EventDetail::References, EventDetail::Native, EventDetail::Synthetic].into_iter().enumerate() {
        stack.stackone.set_event_detail(detail);
        let mut o = order(&format!("shape{i}@example.com"));
        o.candidate.id = format!("cand-shape-{i}");
        let sent = stack.stackone.place_order(o).await.unwrap();
        assert_eq!(sent.status, Some(200), "{detail:?}: {}", String::from_utf8_lossy(&sent.body));
        if detail == EventDetail::Synthetic {
            let why = stack.stackone.cancellation(&sent.order_id).expect("a refusal written back");
            assert!(why.contains("did not say which assessment package"), "{why}");
        } else {
            placed += 1;
            assert_eq!(stack.assessio.order_count(), placed, "{detail:?}");
            let o = &stack.assessio.orders()[placed - 1];
            assert_eq!((o.candidate.first_name.as_str(), o.candidate.last_name.as_str()), ("Romain", "Sestier"));
            assert_eq!(o.candidate.email, format!("shape{i}@example.com"));
            assert_eq!(o.collaborators, ["john.doe@example.com"], "{detail:?}: the hiring team, from the job");
        }
    }
    let calls = stack.stackone.calls();
    let lookups = |route: &str| calls.iter().filter(|c| c.target.starts_with(route)).count();
    assert_eq!(lookups("/unified/ats/applications/"), 1, "only the references event needed the application");
    assert_eq!(lookups("/unified/ats/candidates/"), 1);
    assert_eq!(lookups("/unified/ats/jobs/"), 1);
    assert!(
        calls
            .iter()
            .filter(|c| c.target.starts_with("/unified/ats/") && !c.target.contains("/assessments/"))
            .all(|c| c.status == 200)
    );
    stack.shutdown().await;
}

/// A look-up StackOne cannot answer right now is not a refusal: nothing is
/// decided, and the same event placed later goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stackone_down_during_the_look_ups_decides_nothing_and_a_redelivery_places() {
    let kv = KvDir::new("stackone", "lookup-down");
    let stack = start(options(&kv)).await;
    stack.stackone.faults().set(stackone_route::CANDIDATE, FaultPlan::new().always(FaultAction::Drop));
    let sent = stack.stackone.place_order(order("wait@example.com")).await.unwrap();
    assert_eq!(sent.status, Some(503), "{}", String::from_utf8_lossy(&sent.body));
    assert_eq!(stack.assessio.attempt_count(), 0);
    assert!(stack.stackone.result_writes(&sent.order_id).is_empty(), "nothing written: nothing was decided");
    stack.stackone.faults().clear_all();
    let again = stack.stackone.redeliver(&sent.order_id).await.unwrap();
    assert!(again.is_success(), "{:?}", again.status);
    assert_eq!(stack.assessio.order_count(), 1);
    stack.shutdown().await;
}

/// StackOne's packages list request, signed as StackOne signs webhooks,
/// answered with the account's lenses by locale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packages_list_request_gets_the_accounts_packages() {
    let kv = KvDir::new("stackone", "packages");
    let stack = start(options(&kv)).await;
    let url = stack.gateway.url("/stackone/packages");
    let (status, body) = stack.stackone.list_packages(&url, STACKONE_ACCOUNT, "job-9", StackOneSignature::Valid).await;
    assert_eq!(status, Some(200), "{}", String::from_utf8_lossy(&body));
    let list = json_of(&body);
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().filter_map(|p| p["id"].as_str()).collect();
    assert!(ids.contains(&package_id(LENS_ID, "en-US").as_str()), "{ids:?}");
    let (status, _) =
        stack.stackone.list_packages(&url, STACKONE_ACCOUNT, "job-9", StackOneSignature::WrongSecret).await;
    assert_eq!(status, Some(401));
    stack.shutdown().await;
}
