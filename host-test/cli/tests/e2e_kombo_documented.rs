//! End to end through wasmtime on the order shape Kombo's published API schema
//! documents (`AssessmentOrderReceivedWebhookPayload`): the real gateway
//! component served from `spin.toml`, the Kombo simulator sending documented
//! events with nullable fields `null` (it checks what it receives against
//! Kombo's schema, not against the connector), and the Assessio simulator.
//!
//! Before, an order whose job had `remote_id: null` was answered 400, stayed
//! open in the ATS, and was "unreadable" in every reconcile.

use assessio_host::stack::{INTEGRATION, Stack, StackOptions, demo_package, secrets};
use assessio_simulators::{HttpClient, KomboCandidate, KomboJob, NewOrder, OrderStatus, WebhookOutcome};
use http::Method;
use serde_json::{Value, json};
use std::time::Duration;
use support::{KvDir, json_of, options, start};

mod support;

/// A documented order with the job's `remote_id` `null`: the ATS gives only
/// a job code and a title. Names given, everything else nullable `null`.
fn without_job_id(email: &str, job_code: &str) -> NewOrder {
    let mut order = NewOrder::sparse(INTEGRATION, &demo_package(), email);
    order.candidate.first_name = Some("Ada".into());
    order.candidate.last_name = Some("Lovelace".into());
    order.job = KomboJob {
        name: Some("Bottle Opener".into()),
        job_code: Some(job_code.into()),
        description: Some("<p>Opens bottles.</p>".into()),
        ..KomboJob::default()
    };
    order
}

fn status_of(outcome: &WebhookOutcome) -> u16 {
    outcome.status.unwrap_or_else(|| panic!("the webhook got no answer: {:?}", outcome.error))
}

fn result_id_of(order_id: &str) -> String {
    assessio_plugin::ids::stable_id("result", &[&format!("kombo:{INTEGRATION}"), order_id])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_documented_order_without_a_job_id_is_placed_and_a_fractional_result_written_back() {
    let kv = KvDir::new("kombo-documented", "no-job-id");
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;

    let first = stack.kombo.place_order(without_job_id("ada@example.com", "BO-2024-01")).await.unwrap();
    assert_eq!(status_of(&first), 200, "{}", String::from_utf8_lossy(&first.body));
    assert_eq!(json_of(&first.body)["status"], "placed");
    let second = stack.kombo.place_order(without_job_id("grace@example.com", "BO-2024-01")).await.unwrap();
    assert_eq!(status_of(&second), 200);
    let orders = stack.assessio.orders();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].recruitment_id, orders[1].recruitment_id, "one job code, one Assessio recruitment");
    assert_eq!(orders[0].recruitment_title, "Bottle Opener");
    assert!(orders[0].collaborators.is_empty());

    // Assessio sends a fractional and an out-of-range subscore: seed 001
    // bounds only `score`. Kombo's schema takes any number as a SUB_RESULT's
    // value, and the simulator checks the write against that schema.
    let result_id = result_id_of(&first.order_id);
    let url = stack.gateway.url(&format!("/assessio/results/{result_id}"));
    let body = json!({
        "resultId": result_id,
        "assessmentReportUrl": format!("{}/reports/1", stack.assessio.url()),
        "score": 71,
        "subscores": { "Driving Leadership": 72.5, "Grit": 130, "Influencing & Inspiring": 68 },
    })
    .to_string();
    let auth = format!("Bearer {}", secrets::INTEGRATOR_API_KEY);
    let headers = [("content-type", "application/json"), ("authorization", auth.as_str())];
    let r = HttpClient::new(Duration::from_secs(10)).request(Method::POST, &url, &headers, body).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let writes = stack.kombo.result_writes(&first.order_id);
    assert_eq!(writes.len(), 1, "{writes:?}");
    let values: Vec<Value> = writes[0]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "SUB_RESULT")
        .map(|a| a["score"]["value"].clone())
        .collect();
    assert_eq!(values, [json!(72.5), json!(130), json!(68)]);
    assert_eq!(stack.kombo.order(&first.order_id).unwrap().status, OrderStatus::Completed);
    stack.shutdown().await;
}

/// Kombo's sparsest documented order (every nullable field `null`) cannot
/// be placed (no names): Kombo rejects it with the gateway's message, as its
/// guide says a 422 `{"status":"ORDER_REJECTED","message"}` does. Then a few
/// more documented variants, each placed or rejected with a message, never
/// left open by a 400 or 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_orders_with_nullable_fields_null_end_placed_or_rejected_with_a_message() {
    let kv = KvDir::new("kombo-documented", "nulls");
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;

    let sparse = stack.kombo.place_order(NewOrder::sparse(INTEGRATION, &demo_package(), "x@example.com")).await;
    let sparse = sparse.unwrap();
    assert_eq!(status_of(&sparse), 422, "{}", String::from_utf8_lossy(&sparse.body));
    let order = stack.kombo.order(&sparse.order_id).unwrap();
    assert_eq!(order.status, OrderStatus::Rejected);
    let message = order.rejection_message.unwrap_or_default();
    assert!(message.starts_with("Assessio could not be ordered"), "{message}");

    let named = |first: Option<&str>, last: Option<&str>| KomboCandidate {
        email: "cand@example.com".into(),
        first_name: first.map(Into::into),
        last_name: last.map(Into::into),
        ..KomboCandidate::default()
    };
    let variants: Vec<(NewOrder, u16)> = vec![
        // A job with a name only: keyed by name within the integration.
        (
            NewOrder {
                candidate: named(Some("Ada"), Some("L")),
                job: KomboJob { name: Some("Bottle Opener".into()), ..KomboJob::default() },
                ..NewOrder::sparse(INTEGRATION, &demo_package(), "")
            },
            200,
        ),
        // No last name.
        (
            NewOrder {
                candidate: named(Some("Ada"), None),
                job: KomboJob { remote_id: Some("J-9".into()), name: Some("Opener".into()), ..KomboJob::default() },
                ..NewOrder::sparse(INTEGRATION, &demo_package(), "")
            },
            422,
        ),
        // No job name.
        (
            NewOrder {
                candidate: named(Some("Ada"), Some("L")),
                job: KomboJob { job_code: Some("C-1".into()), ..KomboJob::default() },
                ..NewOrder::sparse(INTEGRATION, &demo_package(), "")
            },
            422,
        ),
    ];
    for (i, (mut order, want)) in variants.into_iter().enumerate() {
        order.candidate.email = format!("cand-{i}@example.com");
        let out = stack.kombo.place_order(order).await.unwrap();
        assert_eq!(status_of(&out), want, "variant {i}: {}", String::from_utf8_lossy(&out.body));
        let kombo_order = stack.kombo.order(&out.order_id).unwrap();
        if want == 422 {
            assert_eq!(kombo_order.status, OrderStatus::Rejected, "variant {i}");
            assert!(kombo_order.rejection_message.is_some_and(|m| !m.is_empty()), "variant {i}");
        }
    }
    assert_eq!(stack.assessio.orders().len(), 1);
    stack.shutdown().await;
}

/// An order whose webhook was missed is found by reconcile in Kombo's list,
/// which carries no `integration_id`, and placed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_places_a_documented_open_order_without_a_job_id() {
    let kv = KvDir::new("kombo-documented", "reconcile");
    let stack: Stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let order_id = stack.kombo.create_order(without_job_id("ada@example.com", "BO-7")).unwrap();
    let mut no_name = without_job_id("nameless@example.com", "BO-7");
    no_name.candidate.last_name = None;
    stack.kombo.create_order(no_name).unwrap();
    for (run, (placed, already_placed, rejected, already_rejected)) in
        [(1, 0, 1, 0), (0, 1, 0, 1)].into_iter().enumerate()
    {
        let r = stack.operator("POST", "/kombo/reconcile").await.unwrap();
        assert_eq!(r.status, 200, "run {run}: {}", r.text());
        let tally = json_of(&r.body)["integrations"][INTEGRATION].clone();
        assert_eq!(
            (&tally["placed"], &tally["already_placed"], &tally["rejected"], &tally["already_rejected"]),
            (&json!(placed), &json!(already_placed), &json!(rejected), &json!(already_rejected)),
            "run {run}: {tally}"
        );
        assert_eq!(tally["unreadable"], 0, "run {run}: {tally}");
    }
    let orders = stack.assessio.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].result_id, result_id_of(&order_id));
    stack.shutdown().await;
}
