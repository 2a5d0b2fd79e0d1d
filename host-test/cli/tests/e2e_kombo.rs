//! End to end through wasmtime: the real gateway component (the root
//! `spin.toml`, served by the Spin-compatible host) between the Kombo and
//! Assessio simulators, over loopback HTTP. Each test starts its own
//! [`Stack`] with a fresh key-value directory.
//!
//! What the gateway promises (README, "The gateway (Spin)"): an order is
//! placed at Assessio once, however often it is delivered; an order that can
//! never succeed is rejected in Kombo with a reason and sends nothing; an
//! outage on either side delays, never loses or duplicates; and no secret
//! ever leaves in a log line or an answer.

use assessio_host::stack::{Engine, INTEGRATION, LENS_ID, SpinSettings, Stack, StackOptions, demo_package, secrets};
use assessio_plugin::hubs::package_id;
use assessio_simulators::assessio::route as assessio_route;
use assessio_simulators::kombo::route as kombo_route;
use assessio_simulators::{
    AttemptOutcome, CandidateDetails, ClientResponse, DeliveryState, FaultAction, FaultPlan, HttpClient, NewOrder,
    OrderStatus, PackageType, Scores, WebhookOutcome, WebhookSignature, kombo_signature,
};
use http::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::{KvDir, json_of, options, start};

mod support;

/// What Kombo shows the recruiter for a candidate without a last name.
const NO_LAST_NAME: &str = "Assessio could not be ordered: the candidate has no last name. \
                            Assessio needs a first and a last name to invite the candidate.";

fn client() -> HttpClient {
    HttpClient::new(Duration::from_secs(10))
}

/// The result id the gateway derives for a Kombo order (stable, from Kombo's ids).
fn result_id_of(order_id: &str) -> String {
    assessio_plugin::ids::stable_id("result", &[&format!("kombo:{INTEGRATION}"), order_id])
}

fn unix_now() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()).unwrap_or(i64::MAX)
}

/// `GET /orders/kombo/{integration}/{order}`.
async fn order_record(stack: &Stack, order_id: &str) -> ClientResponse {
    stack.operator("GET", &format!("/orders/kombo/{INTEGRATION}/{order_id}")).await.expect("the status route answers")
}

/// The order's record, asserting the route found it.
async fn record_of(stack: &Stack, order_id: &str) -> Value {
    let r = order_record(stack, order_id).await;
    assert_eq!(r.status, 200, "status route for {order_id}: {}", r.text());
    json_of(&r.body)
}

/// The tally of one reconcile run for the simulated integration.
async fn reconcile(stack: &Stack) -> (ClientResponse, Value) {
    let r = stack.operator("POST", "/kombo/reconcile").await.expect("reconcile answers");
    let tally = r.json().and_then(|v| v["integrations"].get(INTEGRATION).cloned()).unwrap_or(Value::Null);
    (r, tally)
}

/// A correctly signed webhook must be answered; this says what it was.
fn webhook_status(outcome: &WebhookOutcome) -> u16 {
    outcome.status.unwrap_or_else(|| panic!("the webhook got no answer: {:?}", outcome.error))
}

/// `POST /kombo/packages/sync`, and Kombo holds 1 lens × 4 locales as
/// BEHAVIORAL packages with ids `<lens>:<locale>`.
async fn sync_and_check_packages(stack: &Stack) {
    let sync = stack.operator("POST", "/kombo/packages/sync").await.unwrap();
    assert_eq!(sync.status, 200, "{}", sync.text());
    assert_eq!(json_of(&sync.body), json!({ "complete": true, "integrations": { INTEGRATION: { "packages": 4 } } }));
    let packages = stack.kombo.packages(INTEGRATION);
    let published: Vec<(&str, PackageType, &str)> =
        packages.iter().map(|p| (p.id.as_str(), p.package_type, p.name.as_str())).collect();
    let expected_ids: Vec<String> =
        ["en-US", "sv-SE", "nl-NL", "nn-NO"].iter().map(|l| format!("{LENS_ID}:{l}")).collect();
    assert_eq!(
        published,
        [
            (expected_ids[0].as_str(), PackageType::Behavioral, "Assessio General Performance (English (US))"),
            (expected_ids[1].as_str(), PackageType::Behavioral, "Assessio General Performance (Swedish)"),
            (expected_ids[2].as_str(), PackageType::Behavioral, "Assessio General Performance (Dutch)"),
            (expected_ids[3].as_str(), PackageType::Behavioral, "Assessio General Performance (Norwegian (Nynorsk))"),
        ]
    );
    assert_eq!(demo_package(), package_id(LENS_ID, "sv-SE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_publishes_places_and_writes_the_result_back() {
    happy_path(Engine::Embedded).await;
}

/// The same, with the root `spin.toml` on real Spin, which composes the gateway with the plugin component itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_publishes_places_and_writes_the_result_back_on_real_spin() {
    let Some(engine) = support::real_spin_engine() else { return };
    happy_path(engine).await;
}

async fn happy_path(engine: Engine) {
    let kv = KvDir::new("kombo", "happy");
    let stack = start(StackOptions { engine, ..options(&kv) }).await;

    sync_and_check_packages(&stack).await;

    // The recruiter orders the Swedish package for a candidate.
    let email = "john.doe@example.com";
    let outcome = stack.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), email)).await.unwrap();
    assert_eq!(webhook_status(&outcome), 200, "{:?}", outcome.body);
    assert_eq!(json_of(&outcome.body), json!({ "status": "placed", "already": false }));
    assert_eq!(outcome.order_status, OrderStatus::Open);
    let order_id = outcome.order_id.clone();
    let result_id = result_id_of(&order_id);

    // Assessio has exactly that order, and nothing else crossed.
    let orders = stack.assessio.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(stack.assessio.attempt_count(), 1);
    let order = &orders[0];
    assert_eq!(order.provider_key, secrets::PROVIDER_KEY);
    assert_eq!(order.result_id, result_id);
    assert_eq!(
        order.candidate,
        CandidateDetails { email: email.into(), first_name: "John".into(), last_name: "Doe".into() }
    );
    assert_eq!(order.recruitment_title, "Engineering Manager");
    assert_eq!(order.lens_id, LENS_ID);
    assert_eq!(order.locale, "sv-SE");
    assert_eq!(order.collaborators, ["jane.doe@example.com"]);
    let update_url = stack.gateway.url(&format!("/assessio/results/{result_id}"));
    assert_eq!(order.result_update_url, update_url);
    assert_eq!(
        order.body,
        json!({
            "recruitment": { "id": order.recruitment_id, "title": "Engineering Manager" },
            "additionalRecruitmentCollaboratorsEmails": ["jane.doe@example.com"],
            "resultUpdateUrl": update_url,
            "resultId": result_id,
            "lensId": LENS_ID,
            "locale": "sv-SE",
            "candidateDetails": { "email": email, "firstName": "John", "lastName": "Doe" },
        })
    );

    // The candidate finishes; Assessio delivers; the gateway writes to Kombo.
    let before = unix_now();
    assert!(stack.assessio.settled_within(Duration::from_secs(15)).await, "the result was not delivered in time");
    let after = unix_now();
    let deliveries = stack.assessio.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].state, DeliveryState::Delivered);
    assert_eq!(deliveries[0].attempts.len(), 1);
    assert_eq!(deliveries[0].attempts[0].outcome, AttemptOutcome::Status(200));

    let writes = stack.kombo.result_writes(&order_id);
    assert_eq!(writes.len(), 1, "{writes:?}");
    let mut write = writes[0].clone();
    let completed_at = write.as_object_mut().unwrap().remove("completed_at").expect("completed_at is written");
    let completed_at = completed_at.as_str().expect("completed_at is a string").to_owned();
    assert!(
        (before - 5..=after).any(|t| assessio_plugin::time::rfc3339(t) == completed_at),
        "completed_at {completed_at} is not the time of the write"
    );
    let scores = Scores::deterministic(&result_id);
    let report_url = format!("{}/reports/{}", stack.assessio.url(), order.number);
    let recruitment_url = stack.assessio.recruitments()[0].url.clone();
    let sub = |id: &str, label: &str, value: u8| json!({ "type": "SUB_RESULT", "id": id, "label": label, "score": { "value": value, "max": 100 }, "status": "COMPLETED" });
    assert_eq!(scores.subscores.len(), 3);
    assert_eq!(
        write,
        json!({
            "status": "COMPLETED",
            "result_url": report_url,
            "attributes": [
                sub("driving-leadership", "Driving Leadership", scores.subscores[0].1),
                sub("influencing-inspiring", "Influencing & Inspiring", scores.subscores[1].1),
                sub("analytical-thinking", "Analytical Thinking", scores.subscores[2].1),
                { "type": "TEXT", "label": "Recruitment in Assessio", "value": recruitment_url },
            ],
            "score": scores.score,
            "max_score": 100,
        })
    );
    assert_eq!(stack.kombo.order(&order_id).unwrap().status, OrderStatus::Completed);

    // The operator's view: written back, one attempt, no candidate data.
    let mut record = record_of(&stack, &order_id).await;
    for stamp in ["created_at", "updated_at"] {
        assert!(record.as_object_mut().unwrap().remove(stamp).is_some_and(|v| v.is_i64()), "{stamp}");
    }
    assert_eq!(
        record,
        json!({
            "hub": "kombo",
            "tenant": INTEGRATION,
            "hub_order_id": order_id,
            "result_id": result_id,
            "state": "written-back",
            "attempts": 1,
        })
    );
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_without_a_last_name_is_rejected_without_calling_assessio() {
    let kv = KvDir::new("kombo", "no-last-name");
    let stack = start(options(&kv)).await;
    let mut order = NewOrder::example(INTEGRATION, &demo_package(), "nameless@example.com");
    order.candidate.last_name = None;

    let outcome = stack.kombo.place_order(order).await.unwrap();
    assert_eq!(webhook_status(&outcome), 422, "{:?}", outcome.body);
    let body = json_of(&outcome.body);
    assert_eq!(body, json!({ "status": "ORDER_REJECTED", "message": NO_LAST_NAME }));
    assert!(body["message"].as_str().unwrap().contains("last name"));
    assert_eq!(outcome.order_status, OrderStatus::Rejected);
    let kombo_order = stack.kombo.order(&outcome.order_id).unwrap();
    assert_eq!(kombo_order.status, OrderStatus::Rejected);
    assert_eq!(kombo_order.rejection_message.as_deref(), Some(NO_LAST_NAME));
    assert_eq!(stack.assessio.attempt_count(), 0, "Assessio received a request");

    // Delivered again, it is answered from the record: same reason, still nothing sent.
    let again = stack.kombo.redeliver(&outcome.order_id).await.unwrap();
    assert_eq!(webhook_status(&again), 422);
    assert_eq!(json_of(&again.body), json!({ "status": "ORDER_REJECTED", "message": NO_LAST_NAME }));
    assert_eq!(stack.assessio.attempt_count(), 0);

    let record = record_of(&stack, &outcome.order_id).await;
    assert_eq!(record["state"], "rejected");
    assert_eq!(record["reason"], NO_LAST_NAME);
    assert_eq!(record["attempts"], 0);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_with_a_bad_or_missing_signature_are_refused() {
    let kv = KvDir::new("kombo", "signature");
    let stack = start(options(&kv)).await;
    let order_id =
        stack.kombo.create_order(NewOrder::example(INTEGRATION, &demo_package(), "sig@example.com")).unwrap();

    let forged = "A".repeat(43); // a well-formed base64url HMAC, of nothing
    for signature in
        [WebhookSignature::WrongSecret, WebhookSignature::Missing, WebhookSignature::Header(forged.clone())]
    {
        let outcome = stack.kombo.send_order_received(&order_id, signature.clone()).await.unwrap();
        assert_eq!(webhook_status(&outcome), 401, "{signature:?}");
        assert_eq!(json_of(&outcome.body), json!({ "error": "missing or invalid X-Kombo-Signature" }));
        assert_eq!(outcome.order_status, OrderStatus::Open, "{signature:?}");
    }
    assert_eq!(stack.assessio.attempt_count(), 0, "Assessio received a request");
    assert_eq!(stack.assessio.faults().stats(assessio_route::ORDER).requests, 0);
    // Nothing was recorded for a refused webhook.
    assert_eq!(order_record(&stack, &order_id).await.status, 404);
    assert_eq!(stack.gateway_log().matches("kombo webhook refused").count(), 3, "{}", stack.gateway_log());

    // The same order, correctly signed, goes through.
    let outcome = stack.kombo.redeliver(&order_id).await.unwrap();
    assert_eq!(webhook_status(&outcome), 200);
    assert_eq!(stack.assessio.order_count(), 1);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_delivered_three_times_places_one_order() {
    redelivered(Engine::Embedded, SpinSettings::Environment).await;
}

/// The same, with the root `spin.toml` on real Spin, which composes the gateway with the plugin component itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_delivered_three_times_places_one_order_on_real_spin() {
    let Some(engine) = support::real_spin_engine() else { return };
    redelivered(engine, SpinSettings::Environment).await;
}

/// The same on real Spin, given its settings as `spin up --variable @FILE`
/// (the way `docs/performance.md` recommends) instead of the environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_delivered_three_times_places_one_order_on_real_spin_with_settings_from_a_file() {
    let Some(engine) = support::real_spin_engine() else { return };
    redelivered(engine, SpinSettings::File).await;
}

async fn redelivered(engine: Engine, spin_settings: SpinSettings) {
    let kv = KvDir::new("kombo", "redeliver");
    let stack = start(StackOptions { engine, spin_settings, ..options(&kv) }).await;
    if spin_settings == SpinSettings::File {
        use std::os::unix::fs::PermissionsExt as _;
        let file = std::fs::metadata(kv.0.join("settings.json")).expect("the settings file was written");
        assert_eq!(file.permissions().mode() & 0o777, 0o600, "the settings file holds secrets");
        let health = stack.operator("GET", "/health").await.unwrap();
        assert_eq!(health.status, 200, "{}", health.text());
    }
    let first = stack.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), "thrice@example.com")).await;
    let first = first.unwrap();
    assert_eq!(webhook_status(&first), 200);
    assert_eq!(json_of(&first.body), json!({ "status": "placed", "already": false }));

    // Once right away, once after the result was written back.
    let second = stack.kombo.redeliver(&first.order_id).await.unwrap();
    assert!(stack.assessio.settled_within(Duration::from_secs(15)).await);
    assert_eq!(stack.kombo.order(&first.order_id).unwrap().status, OrderStatus::Completed);
    let third = stack.kombo.redeliver(&first.order_id).await.unwrap();
    for again in [&second, &third] {
        assert_eq!(webhook_status(again), 200);
        assert_eq!(json_of(&again.body), json!({ "status": "placed", "already": true }));
    }

    let sends = stack.kombo.webhook_sends();
    assert_eq!(sends.len(), 3);
    assert!(sends.iter().all(|s| s.body == sends[0].body && s.event_id == first.event_id), "not byte-identical");
    assert_eq!(stack.assessio.attempt_count(), 1);
    let orders = stack.assessio.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].result_id, result_id_of(&first.order_id));
    assert_eq!(stack.assessio.deliveries().len(), 1);
    assert_eq!(stack.kombo.result_write_count(&first.order_id), 1);
    assert_eq!(record_of(&stack, &first.order_id).await["attempts"], 1);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_that_arrive_while_assessio_is_down_are_placed_by_reconcile() {
    let kv = KvDir::new("kombo", "assessio-down");
    // No auto-completion: the orders stay OPEN in Kombo, so the second
    // reconcile sees them again and must not place them again.
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let faults = stack.assessio.faults();

    // Assessio answers 503 to the first order and 429 to the second: both
    // say the order was not taken. (A dropped connection or a 500 would not:
    // those orders are uncertain and never re-sent on this endpoint, see
    // gateway/tests/kombo_orders.rs and tests/spin_exactly_once.rs.)
    faults.set(assessio_route::ORDER, FaultPlan::new().always(FaultAction::Status(503)));
    let a = stack.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), "a@example.com")).await.unwrap();
    faults.set(assessio_route::ORDER, FaultPlan::new().always(FaultAction::Status(429)));
    let b = stack.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), "b@example.com")).await.unwrap();
    for (outcome, why) in [(&a, "Assessio answered HTTP 503"), (&b, "Assessio answered HTTP 429")] {
        assert_eq!(webhook_status(outcome), 503, "{:?}", outcome.body);
        let error = json_of(&outcome.body)["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.starts_with(why), "{error}");
        assert_eq!(outcome.order_status, OrderStatus::Open);
        assert_eq!(stack.kombo.order(&outcome.order_id).unwrap().status, OrderStatus::Open);
        let record = record_of(&stack, &outcome.order_id).await;
        assert_eq!((record["state"].as_str(), record["attempts"].as_u64()), (Some("retrying"), Some(1)));
    }
    let stats = faults.stats(assessio_route::ORDER);
    assert_eq!((stats.requests, stats.failed, stats.dropped), (2, 2, 0));
    assert_eq!(stack.assessio.attempt_count(), 0);

    // While Assessio is still down, reconcile places nothing and says so.
    let (r, tally) = reconcile(&stack).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((tally["placed"].as_u64(), tally["retry_later"].as_u64()), (Some(0), Some(2)), "{tally}");

    // Assessio is back.
    faults.clear_all();
    let (r, tally) = reconcile(&stack).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        tally,
        json!({ "pages": 1, "placed": 2, "already_placed": 0, "rejected": 0, "already_rejected": 0, "retry_later": 0, "uncertain": 0,
               "unreadable": 0, "unreadable_orders": [] })
    );
    let placed: BTreeSet<String> = stack.assessio.orders().into_iter().map(|o| o.result_id).collect();
    assert_eq!(placed, BTreeSet::from([result_id_of(&a.order_id), result_id_of(&b.order_id)]));
    assert_eq!(stack.assessio.attempt_count(), 2);
    for id in [&a.order_id, &b.order_id] {
        let record = record_of(&stack, id).await;
        assert_eq!((record["state"].as_str(), record["attempts"].as_u64()), (Some("placed"), Some(3)), "{record}");
    }

    // Again: nothing new.
    let (r, tally) = reconcile(&stack).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        tally,
        json!({ "pages": 1, "placed": 0, "already_placed": 2, "rejected": 0, "already_rejected": 0, "retry_later": 0, "uncertain": 0,
               "unreadable": 0, "unreadable_orders": [] })
    );
    assert_eq!(stack.assessio.attempt_count(), 2);
    assert_eq!(stack.assessio.order_count(), 2);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_that_arrives_while_kombo_is_down_lands_once_after_retries() {
    let kv = KvDir::new("kombo", "kombo-down");
    let stack = start(options(&kv)).await;
    stack.kombo.faults().set(kombo_route::RESULT, FaultPlan::new().fail_next(3, 503));

    let outcome =
        stack.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), "later@example.com")).await.unwrap();
    assert_eq!(webhook_status(&outcome), 200);
    assert!(stack.assessio.settled_within(Duration::from_secs(15)).await, "the delivery did not settle");

    let deliveries = stack.assessio.deliveries();
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(delivery.state, DeliveryState::Delivered);
    assert!(delivery.attempts.len() > 1);
    let outcomes: Vec<&AttemptOutcome> = delivery.attempts.iter().map(|a| &a.outcome).collect();
    assert_eq!(
        outcomes,
        [
            &AttemptOutcome::Status(502),
            &AttemptOutcome::Status(502),
            &AttemptOutcome::Status(502),
            &AttemptOutcome::Status(200)
        ]
    );
    // With backoff: 0, then base, doubling.
    let waits: Vec<Duration> = delivery.attempts.iter().map(|a| a.waited).collect();
    assert_eq!(waits, [0, 10, 20, 40].map(Duration::from_millis));

    let stats = stack.kombo.faults().stats(kombo_route::RESULT);
    assert_eq!((stats.requests, stats.failed), (4, 3));
    assert_eq!(stack.kombo.result_write_count(&outcome.order_id), 1);
    assert_eq!(stack.kombo.order(&outcome.order_id).unwrap().status, OrderStatus::Completed);
    assert_eq!(record_of(&stack, &outcome.order_id).await["state"], "written-back");
    assert_eq!(stack.gateway_log().matches("write-back failed, Assessio will retry").count(), 3);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_with_a_wrong_integrator_api_key_is_refused() {
    let kv = KvDir::new("kombo", "wrong-api-key");
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let outcome =
        stack.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), "key@example.com")).await.unwrap();
    assert_eq!(webhook_status(&outcome), 200);
    let result_id = result_id_of(&outcome.order_id);
    assert_eq!(stack.assessio.orders()[0].result_id, result_id);

    let url = stack.gateway.url(&format!("/assessio/results/{result_id}"));
    let body = json!({
        "resultId": result_id,
        "recruitmentUrl": format!("{}/recruitments/1", stack.assessio.url()),
        "assessmentReportUrl": format!("{}/reports/1", stack.assessio.url()),
        "score": 77,
        "subscores": { "Driving Leadership": 80 },
    })
    .to_string();
    let wrong = "Bearer wrong-integrator-api-key".to_owned();
    // Another real credential is still the wrong one.
    let other_secret = format!("Bearer {}", secrets::PROVIDER_KEY);
    let auths: [Option<&str>; 4] = [Some(&wrong), Some(&other_secret), Some(secrets::INTEGRATOR_API_KEY), None];
    for auth in auths {
        let mut headers = vec![("content-type", "application/json")];
        headers.extend(auth.map(|a| ("authorization", a)));
        let r = client().request(Method::POST, &url, &headers, body.clone()).await.unwrap();
        assert_eq!(r.status, 401, "{auth:?}: {}", r.text());
        assert_eq!(json_of(&r.body), json!({ "error": "missing or wrong integrator-api-key" }));
    }
    assert_eq!(stack.kombo.result_write_count(&outcome.order_id), 0);
    assert!(stack.kombo.calls().iter().all(|c| !c.target.ends_with("/result")), "{:?}", stack.kombo.calls());
    assert_eq!(stack.kombo.order(&outcome.order_id).unwrap().status, OrderStatus::Open);
    assert_eq!(record_of(&stack, &outcome.order_id).await["state"], "placed");

    // The right key, as Assessio sends it, writes the result.
    stack.assessio.complete(&result_id, &Scores::new(77, &[("Driving Leadership", 80)])).unwrap();
    assert!(stack.assessio.settled_within(Duration::from_secs(15)).await);
    let writes = stack.kombo.result_writes(&outcome.order_id);
    assert_eq!(writes.len(), 1);
    assert_eq!((writes[0]["score"].as_u64(), writes[0]["max_score"].as_u64()), (Some(77), Some(100)));
    stack.shutdown().await;
}

/// Order `i` of the load test: a distinct candidate, one of five jobs, and
/// every tenth without a last name.
fn load_order(i: usize) -> NewOrder {
    let mut order = NewOrder::example(INTEGRATION, &demo_package(), &format!("candidate-{i:03}@example.com"));
    order.candidate.remote_id = Some(format!("cand-{i:03}"));
    order.candidate.first_name = Some(format!("First{i}"));
    order.candidate.last_name = (i % 10 != 7).then(|| format!("Last{i}"));
    order.job.remote_id = Some(format!("job-{}", i % 5));
    order.job.name = Some(format!("Job {}", i % 5));
    order
}

/// Sends `orders` webhooks, `concurrency` at a time; the answers, counted by status.
async fn send_load_orders(stack: &Arc<Stack>, orders: usize, concurrency: usize) -> BTreeMap<u16, usize> {
    let next = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(Mutex::new(Vec::with_capacity(orders)));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (stack, next, outcomes) = (Arc::clone(stack), Arc::clone(&next), Arc::clone(&outcomes));
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= orders {
                    break;
                }
                let outcome = stack.kombo.place_order(load_order(i)).await.expect("the webhook is sent");
                outcomes.lock().unwrap().push((i, outcome));
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.expect("a worker panicked");
    }
    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    assert_eq!(outcomes.len(), orders);
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for (i, outcome) in &outcomes {
        let status = webhook_status(outcome);
        *by_status.entry(status).or_default() += 1;
        let expected: &[u16] = if i % 10 == 7 { &[422] } else { &[200, 503] };
        assert!(expected.contains(&status), "order {i}: {status} {:?}", outcome.body);
    }
    by_status
}

/// Reconciles until a run reports nothing left to place (at most 20 runs); each run's tally.
async fn reconcile_until_done(stack: &Stack) -> Vec<Value> {
    let mut rounds = Vec::new();
    for _ in 0..20 {
        let (r, tally) = reconcile(stack).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(tally["unreadable"], 0);
        assert_eq!(tally["rejected"], 0, "rejected orders are not OPEN in Kombo");
        let left = tally["retry_later"].as_u64().unwrap();
        rounds.push(tally);
        if left == 0 {
            break;
        }
    }
    assert_eq!(rounds.last().unwrap()["retry_later"], 0, "reconcile never finished: {rounds:?}");
    rounds
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_orders_with_faults_on_both_sides() {
    const ORDERS: usize = 200;
    const CONCURRENCY: usize = 8;
    let started = Instant::now();
    let kv = KvDir::new("kombo", "load");
    let stack = Arc::new(start(options(&kv)).await);
    // Faults that say the order was not taken (a 500 or a cut connection
    // leaves it uncertain instead, never re-sent: not this test's subject).
    stack
        .assessio
        .faults()
        .set(assessio_route::ORDER, FaultPlan::new().fail_fraction_with(0.2, 0xA55E_5510, &[503, 429]));
    stack.kombo.faults().set(kombo_route::RESULT, FaultPlan::new().fail_fraction(0.2, 0x0C0B_0000_0001));

    let by_status = send_load_orders(&stack, ORDERS, CONCURRENCY).await;
    let sent_later = by_status.get(&503).copied().unwrap_or(0);
    let webhook_time = started.elapsed();

    // Reconcile until nothing is left to place (Assessio still fails 20 %).
    let rounds = reconcile_until_done(&stack).await;
    let reconcile_placed: u64 = rounds.iter().map(|t| t["placed"].as_u64().unwrap()).sum();
    let reconcile_retries: u64 = rounds.iter().map(|t| t["retry_later"].as_u64().unwrap()).sum();
    assert!(stack.assessio.settled_within(Duration::from_secs(40)).await, "deliveries did not settle");

    // Every order placed once, or rejected with the reason.
    let kombo_orders = stack.kombo.orders();
    assert_eq!(kombo_orders.len(), ORDERS);
    let accepted = stack.assessio.orders();
    let mut per_result: BTreeMap<String, usize> = BTreeMap::new();
    for o in &accepted {
        *per_result.entry(o.result_id.clone()).or_default() += 1;
    }
    let duplicates: Vec<_> = per_result.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "duplicate Assessio orders: {duplicates:?}");
    let (mut placed, mut rejected) = (0, 0);
    for o in &kombo_orders {
        let result_id = result_id_of(&o.id);
        let record = record_of(&stack, &o.id).await;
        if o.order.candidate.last_name.is_none() {
            rejected += 1;
            assert_eq!(o.status, OrderStatus::Rejected, "{}", o.id);
            assert_eq!(o.rejection_message.as_deref(), Some(NO_LAST_NAME));
            assert!(!per_result.contains_key(&result_id), "a rejected order reached Assessio");
            assert_eq!(record["state"], "rejected");
        } else {
            placed += 1;
            assert_eq!(per_result.get(&result_id), Some(&1), "order {} is not at Assessio once", o.id);
            assert_eq!(o.status, OrderStatus::Completed, "{}", o.id);
            assert_eq!(o.result_writes.len(), 1, "order {}: {} result writes", o.id, o.result_writes.len());
            assert_eq!(record["state"], "written-back", "{record}");
        }
    }
    assert_eq!((placed, rejected), (180, 20));
    assert_eq!(accepted.len(), placed);
    // Faults answer before the simulator's logic: every request that reached it was accepted.
    assert!(stack.assessio.received().iter().all(|r| r.status == 200));
    assert_eq!(stack.assessio.attempt_count(), placed);

    let deliveries = stack.assessio.deliveries();
    assert_eq!(deliveries.len(), placed);
    assert!(deliveries.iter().all(|d| d.state == DeliveryState::Delivered));
    let delivery_retries: usize = deliveries.iter().map(|d| d.attempts.len() - 1).sum();
    let max_attempts = deliveries.iter().map(|d| d.attempts.len()).max().unwrap_or(0);

    let assessio_faults = stack.assessio.faults().stats(assessio_route::ORDER);
    let kombo_faults = stack.kombo.faults().stats(kombo_route::RESULT);
    println!(
        "load: {ORDERS} orders ({CONCURRENCY} at a time); webhooks {by_status:?} in {webhook_time:?}; \
         Assessio order faults {} of {} requests; Kombo result faults {} of {} requests; \
         reconcile: {} rounds, placed {reconcile_placed}, retry-later {reconcile_retries}; \
         placed {placed}, rejected {rejected}; delivery retries {delivery_retries} (max {max_attempts} attempts); \
         wall time {:?}",
        assessio_faults.injected(),
        assessio_faults.requests,
        kombo_faults.injected(),
        kombo_faults.requests,
        rounds.len(),
        started.elapsed(),
    );
    assert!(assessio_faults.injected() > 0 && kombo_faults.injected() > 0);
    // Each injected fault cost exactly one retry, and nothing else failed.
    assert_eq!(assessio_faults.injected(), sent_later as u64 + reconcile_retries);
    assert_eq!(kombo_faults.injected(), delivery_retries as u64);
    assert_eq!(reconcile_placed, sent_later as u64, "reconcile placed exactly the orders the webhook could not");
    assert!(started.elapsed() < Duration::from_mins(1), "took {:?}", started.elapsed());
    if let Ok(stack) = Arc::try_unwrap(stack) {
        stack.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_records_survive_a_restart_of_the_gateway() {
    let kv = KvDir::new("kombo", "restart");
    let first = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let outcome =
        first.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), "again@example.com")).await.unwrap();
    assert_eq!(webhook_status(&outcome), 200);
    let before = record_of(&first, &outcome.order_id).await;
    assert_eq!(before["state"], "placed");
    let send = first.kombo.webhook_sends().pop().unwrap();
    first.shutdown().await;

    // A new gateway (and new simulators) on the same store.
    let second = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let after = record_of(&second, &outcome.order_id).await;
    assert_eq!(after, before);
    assert_eq!(after["result_id"], result_id_of(&outcome.order_id));
    assert_eq!(after["attempts"], 1);

    // Kombo redelivers the same webhook to the restarted gateway: answered
    // from the record, nothing sent to Assessio again.
    let signature = kombo_signature(secrets::KOMBO_WEBHOOK_SECRET, &send.body);
    assert_eq!(send.signature_header.as_deref(), Some(signature.as_str()));
    let headers = [("content-type", "application/json"), ("x-kombo-signature", signature.as_str())];
    let r = client().request(Method::POST, &second.gateway.url("/kombo/webhook"), &headers, send.body).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(json_of(&r.body), json!({ "status": "placed", "already": true }));
    assert_eq!(second.assessio.attempt_count(), 0);
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_log_or_any_answer() {
    let kv = KvDir::new("kombo", "secrets");
    let stack = start(options(&kv)).await;
    let mut answers: Vec<(String, String)> = Vec::new();
    let mut keep =
        |what: &str, body: &[u8]| answers.push((what.to_owned(), String::from_utf8_lossy(body).into_owned()));

    let health = client().request(Method::GET, &stack.gateway.url("/health"), &[], Vec::new()).await.unwrap();
    assert_eq!(health.status, 200);
    keep("health", &health.body);
    let sync = stack.operator("POST", "/kombo/packages/sync").await.unwrap();
    assert_eq!(sync.status, 200);
    keep("sync", &sync.body);
    let wrong_operator = client()
        .request(
            Method::POST,
            &stack.gateway.url("/kombo/reconcile"),
            &[("authorization", &format!("Bearer {}", secrets::KOMBO_API_KEY))],
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(wrong_operator.status, 401);
    keep("reconcile with the wrong token", &wrong_operator.body);

    // The happy path, with one failed write-back to Kombo (a 401) on the way.
    stack.kombo.faults().set(kombo_route::RESULT, FaultPlan::new().fail_next(1, 401));
    let happy =
        stack.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), "happy@example.com")).await.unwrap();
    assert_eq!(webhook_status(&happy), 200);
    assert!(stack.assessio.settled_within(Duration::from_secs(15)).await);
    assert_eq!(stack.kombo.result_write_count(&happy.order_id), 1);
    let record = order_record(&stack, &happy.order_id).await;
    keep("order status", &record.body);

    // Bad signatures.
    let id = stack.kombo.create_order(NewOrder::example(INTEGRATION, &demo_package(), "sig@example.com")).unwrap();
    for signature in [WebhookSignature::WrongSecret, WebhookSignature::Missing] {
        assert_eq!(webhook_status(&stack.kombo.send_order_received(&id, signature).await.unwrap()), 401);
    }

    // A candidate without a last name.
    let mut nameless = NewOrder::example(INTEGRATION, &demo_package(), "nameless@example.com");
    nameless.candidate.last_name = None;
    assert_eq!(webhook_status(&stack.kombo.place_order(nameless).await.unwrap()), 422);

    // A result with the wrong integrator-api-key (another real secret).
    let result_id = result_id_of(&happy.order_id);
    let wrong_key = client()
        .request(
            Method::POST,
            &stack.gateway.url(&format!("/assessio/results/{result_id}")),
            &[("authorization", &format!("Bearer {}", secrets::INTEGRATOR_SECRET))],
            json!({ "resultId": result_id, "score": 1, "subscores": {} }).to_string(),
        )
        .await
        .unwrap();
    assert_eq!(wrong_key.status, 401);
    keep("result with the wrong key", &wrong_key.body);

    // Assessio refuses the organisation's credentials.
    stack.assessio.faults().set(assessio_route::ORDER, FaultPlan::new().always(FaultAction::Status(401)));
    let refused =
        stack.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), "refused@example.com")).await.unwrap();
    assert_eq!(webhook_status(&refused), 503);
    let (r, _) = reconcile(&stack).await;
    assert_eq!(r.status, 200);
    keep("reconcile while Assessio refuses", &r.body);
    let record = order_record(&stack, &refused.order_id).await;
    assert_eq!(json_of(&record.body)["state"], "retrying");
    keep("refused order status", &record.body);

    // Every webhook answer the gateway gave.
    for send in stack.kombo.webhook_sends() {
        keep("webhook answer", &send.response_body);
    }
    let log = stack.gateway_log();
    for expected in [
        "kombo webhook refused",
        "rejected before sending",
        "result webhook refused",
        "Assessio refused this organisation's credentials (HTTP 401)",
        "write-back failed, Assessio will retry: Kombo answered HTTP 401",
        "result written back",
    ] {
        assert!(log.contains(expected), "the log lacks {expected:?}:\n{log}");
    }
    assert!(answers.len() >= 12, "{answers:?}");
    for secret in secrets::ALL {
        assert!(!log.contains(secret), "a secret is in the gateway's log:\n{log}");
        for (what, body) in &answers {
            assert!(!body.contains(secret), "a secret is in the answer to {what}: {body}");
        }
    }
    stack.shutdown().await;
}

/// Deliveries of one order that arrive together (a redelivery racing the
/// first, a reconcile racing a webhook) never place it twice: the gateway
/// claims the order with a splitter over two keys (`records::claim`). At
/// most one delivery wins and sends; the others answer 503, so Kombo keeps
/// the order open. Rarely none wins; the order is then placed by a later
/// delivery or reconcile once the claim expires, which this test does not
/// wait for (60 s), so it counts those rounds apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_of_one_order_never_place_it_twice() {
    let kv = KvDir::new("kombo", "concurrent");
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let (mut placed, mut deferred) = (0, 0);
    for round in 0..20 {
        let email = format!("together-{round}@example.com");
        let id = stack.kombo.create_order(NewOrder::example(INTEGRATION, &demo_package(), &email)).unwrap();
        let before = stack.assessio.order_count();
        let send = || stack.kombo.send_order_received(&id, WebhookSignature::Valid);
        let burst = tokio::join!(send(), send(), send(), send());
        let statuses: Vec<u16> =
            [burst.0, burst.1, burst.2, burst.3].into_iter().map(|o| webhook_status(&o.unwrap())).collect();
        assert!(statuses.iter().all(|s| matches!(s, 200 | 503)), "round {round}: {statuses:?}");
        match stack.assessio.order_count() - before {
            1 => {
                assert!(statuses.contains(&200), "round {round}: placed, so one delivery said so: {statuses:?}");
                placed += 1;
            }
            0 => {
                assert!(statuses.iter().all(|s| *s == 503), "round {round}: not placed, so none may say it was");
                assert_eq!(stack.kombo.order(&id).unwrap().status, OrderStatus::Open, "round {round}: kept open");
                deferred += 1;
            }
            n => panic!("round {round}: the order reached Assessio {n} times"),
        }
    }
    println!("concurrent deliveries: {placed} rounds placed once, {deferred} deferred to a later delivery");
    assert!(placed > 0, "a burst must usually let one delivery through");
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_nested_past_the_json_limit_are_refused_not_trapped() {
    nested_bodies(Engine::Embedded).await;
}

/// The same on real Spin: the gateway's and the plugin's stacks are cut to
/// 256 and 128 KiB (their build.rs), so the deepest parse must still fit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_nested_past_the_json_limit_are_refused_not_trapped_on_real_spin() {
    let Some(engine) = support::real_spin_engine() else { return };
    nested_bodies(engine).await;
}

/// Signed Kombo webhooks and authorised result webhooks whose JSON nests
/// arrays or objects around `serde_json`'s limit (128) and far past it: each
/// is a 4xx naming the body, never a 500 from a guest that ran out of stack.
async fn nested_bodies(engine: Engine) {
    let kv = KvDir::new("kombo", "nested");
    let stack = start(StackOptions { engine, ..options(&kv) }).await;
    let results = stack.gateway.url("/assessio/results/nested");
    let webhook = stack.gateway.url("/kombo/webhook");
    for depth in [100, 127, 128, 129, 10_000] {
        let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        for (shape, inner) in [("arrays", arrays), ("objects", objects)] {
            let event = format!(r#"{{"id":"evt","type":"assessment:order-received","data":{inner}}}"#);
            let signature = kombo_signature(secrets::KOMBO_WEBHOOK_SECRET, event.as_bytes());
            let headers = [("content-type", "application/json"), ("x-kombo-signature", signature.as_str())];
            let r = client().request(Method::POST, &webhook, &headers, event).await.unwrap();
            assert!((400..500).contains(&r.status), "Kombo webhook, {shape} {depth} deep: {} {}", r.status, r.text());

            let result = format!(r#"{{"resultId":"nested","score":1,"x":{inner}}}"#);
            let auth = format!("Bearer {}", secrets::INTEGRATOR_API_KEY);
            let headers = [("content-type", "application/json"), ("authorization", auth.as_str())];
            let r = client().request(Method::POST, &results, &headers, result).await.unwrap();
            assert!((400..500).contains(&r.status), "result webhook, {shape} {depth} deep: {} {}", r.status, r.text());
        }
    }
    let health = client().request(Method::GET, &stack.gateway.url("/health"), &[], Vec::new()).await.unwrap();
    assert_eq!(health.status, 200, "{}", health.text());
    stack.shutdown().await;
}
