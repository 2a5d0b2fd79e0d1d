//! End to end through wasmtime for Teamtailor: the real gateway component
//! (the root `spin.toml`) between the Teamtailor and Assessio simulators.
//!
//! Teamtailor builds the trigger's dialog from the gateway's partner
//! configuration (the documented `{"config":{"fields":[…]}}`, whose `error`
//! field blocks the dialog), POSTs the documented stage trigger (integer ids,
//! the company by `uuid`) with the customer's provider key and a
//! `Teamtailor-Signature`, never retries, shows a >= 400 plain-text answer to
//! the recruiter, and takes progress and the result as JSON:API `PUT`s on
//! the partner result. The simulator follows tt-partner-docs and checks every
//! body it receives.

use assessio_host::stack::{Engine, LENS_ID, Stack, StackOptions, TEAMTAILOR_COMPANY, secrets};
use assessio_simulators::assessio::route as assessio_route;
use assessio_simulators::teamtailor::{
    DialogError, NewTrigger, PartnerStatus, TriggerAuth, TriggerOptions, TriggerSignature,
};
use assessio_simulators::{FaultAction, FaultPlan, Scores};
use serde_json::{Value, json};
use std::time::Duration;
use support::{KvDir, assert_no_secret, eventually, json_of, options, start};

mod support;

/// What Teamtailor shows the recruiter for a candidate without a last name.
const NO_LAST_NAME: &str = "Assessio could not be ordered: the candidate has no last name. \
                            Assessio needs a first and a last name to invite the candidate.";

fn trigger(email: &str) -> NewTrigger {
    NewTrigger::example(TEAMTAILOR_COMPANY, LENS_ID, "sv-SE", email)
}

fn history(stack: &Stack, id: &str) -> Vec<PartnerStatus> {
    stack.teamtailor.status_history(id)
}

/// Every answer the gateway gave to Teamtailor, for the secrets scan.
fn answers(stack: &Stack) -> Vec<(String, String)> {
    stack
        .teamtailor
        .trigger_deliveries()
        .into_iter()
        .map(|d| (format!("trigger {}", d.partner_result_id), String::from_utf8_lossy(&d.response_body).into_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dialog_the_trigger_and_the_result_land_in_teamtailor_exactly() {
    happy_path(Engine::Embedded).await;
}

/// The same, with the root `spin.toml` on real Spin, which composes the gateway with the plugin component itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dialog_the_trigger_and_the_result_land_in_teamtailor_exactly_on_real_spin() {
    let Some(engine) = support::real_spin_engine() else { return };
    happy_path(engine).await;
}

async fn happy_path(engine: Engine) {
    let kv = KvDir::new("teamtailor", "happy");
    let stack = start(StackOptions { auto_complete: None, engine, ..options(&kv) }).await;

    // The dialog: the customer's organisation's lenses and locales.
    let dialog = stack.teamtailor.fetch_config(&stack.gateway.url(""), secrets::TEAMTAILOR_PROVIDER_KEY).await.unwrap();
    assert_eq!(dialog.error(), None);
    assert_eq!(dialog.select_ids(), ["lens", "locale"]);
    let lenses: Vec<(&str, &str)> = dialog.options("lens").iter().map(|o| (o.id.as_str(), o.label.as_str())).collect();
    assert_eq!(lenses, [(LENS_ID, "General Performance")]);
    let locales: Vec<&str> = dialog.options("locale").iter().map(|o| o.id.as_str()).collect();
    assert_eq!(locales, ["en-US", "sv-SE", "nl-NL", "nn-NO"]);
    // Anyone else gets a dialog that says why, and cannot set up a trigger.
    let refused = stack.teamtailor.fetch_config(&stack.gateway.url(""), secrets::TEAMTAILOR_API_KEY).await.unwrap();
    assert!(refused.error().is_some_and(|m| m.contains("not connected")), "{refused:?}");
    assert!(matches!(refused.choose(&[("lens", LENS_ID)]), Err(DialogError::Blocked(_))));
    assert!(refused.options("lens").is_empty(), "no lens offered to a wrong key");

    // The recruiter chooses in the dialog; the choices are the trigger's webhook-data.
    let choices = dialog.choose(&[("lens", LENS_ID), ("locale", "sv-SE")]).unwrap();
    let sent = stack.teamtailor.place_trigger(trigger("ada@example.com").with_choices(choices)).await.unwrap();
    assert!(sent.is_success(), "{:?} {}", sent.status, sent.text());
    assert_eq!(sent.shown_to_recruiter(), None);
    let id = sent.partner_result_id.clone();
    assert_eq!(history(&stack, &id), [PartnerStatus::Sending, PartnerStatus::Sent]);

    // Assessio got the order for the Teamtailor customer's own organisation,
    // with only what seed 000 lets cross: no phone, no résumé.
    let orders = stack.assessio.orders();
    assert_eq!(orders.len(), 1);
    let order = &orders[0];
    assert_eq!(order.provider_key, secrets::TEAMTAILOR_ORG_PROVIDER_KEY);
    assert_eq!((order.lens_id.as_str(), order.locale.as_str()), (LENS_ID, "sv-SE"));
    assert_eq!((order.candidate.first_name.as_str(), order.candidate.last_name.as_str()), ("Ada", "Lovelace"));
    assert_eq!(order.recruitment_title, "Backend Developer");
    // Scanned without `resultUpdateUrl`: the gateway's own URL, whose
    // loopback port is picked at random and may hold the digits `991`.
    let mut body = order.body.clone();
    let update_url = body.as_object_mut().and_then(|o| o.remove("resultUpdateUrl"));
    let update_url = update_url.as_ref().and_then(|u| u.as_str()).expect("the order names its resultUpdateUrl");
    assert!(update_url.starts_with(&stack.gateway.url("/assessio/results/")), "{update_url}");
    let body = body.to_string();
    for private in ["+46", "resumes", "991", TEAMTAILOR_COMPANY] {
        assert!(!body.contains(private), "{private} reached Assessio: {body}");
    }

    // The candidate finishes; the partner result is completed, in JSON:API.
    let scores = Scores::new(71, &[("Driving Leadership", 73), ("Influencing & Inspiring", 68)]);
    stack.assessio.complete(&order.result_id, &scores).unwrap();
    assert!(stack.assessio.settled_within(Duration::from_secs(15)).await);
    assert!(
        eventually(Duration::from_secs(10), || history(&stack, &id).last() == Some(&PartnerStatus::Completed)).await
    );
    let writes = stack.teamtailor.writes(&id);
    let last = writes.last().unwrap();
    let report = format!("{}/reports/1", stack.assessio.url());
    let recruitment = format!("{}/recruitments/1", stack.assessio.url());
    assert_eq!(
        *last,
        json!({"data": {"type": "partner-results", "id": id, "attributes": {
            "status": "completed",
            "summary": "Assessio 71/100 — strongest: Driving Leadership",
            "url": report,
            "assessment": {"score": 71},
            "details": {"Driving Leadership": 73, "Influencing & Inspiring": 68},
            "attachments": [
                {"url": report, "description": "Assessio report"},
                {"url": recruitment, "description": "Recruitment in Assessio"},
            ],
        }}})
    );
    assert_eq!(history(&stack, &id), [PartnerStatus::Sending, PartnerStatus::Sent, PartnerStatus::Completed]);
    assert_no_secret(&stack, &answers(&stack));
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_without_a_last_name_is_refused_with_a_reason_teamtailor_shows() {
    let kv = KvDir::new("teamtailor", "nameless");
    let stack = start(options(&kv)).await;
    let mut nameless = trigger("nameless@example.com");
    nameless.candidate.last_name = None;
    let sent = stack.teamtailor.place_trigger(nameless).await.unwrap();
    let status = sent.status.expect("an answer");
    assert!((400..500).contains(&status), "{status}");
    assert!(sent.is_plain_text(), "{:?}", sent.content_type);
    assert_eq!(sent.shown_to_recruiter().as_deref(), Some(NO_LAST_NAME));
    assert_eq!(stack.assessio.attempt_count(), 0, "nothing reached Assessio");
    // The partner result says so too.
    let id = &sent.partner_result_id;
    assert_eq!(history(&stack, id), [PartnerStatus::Sending, PartnerStatus::Failed]);
    assert_eq!(stack.teamtailor.last_attributes(id).unwrap()["summary"], json!(NO_LAST_NAME));

    // An unknown lens: also refused, in words.
    let unknown = trigger("lens@example.com").with_choice("lens", "not-a-lens");
    let sent = stack.teamtailor.place_trigger(unknown).await.unwrap();
    assert!(sent.status.is_some_and(|s| s >= 400), "{:?}", sent.status);
    let shown = sent.shown_to_recruiter().unwrap();
    assert!(shown.contains("package") || shown.contains("lens"), "{shown}");
    assert_eq!(stack.assessio.order_count(), 0);
    assert_no_secret(&stack, &answers(&stack));
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_provider_key_or_signature_is_refused_and_nothing_is_sent() {
    let kv = KvDir::new("teamtailor", "auth");
    let stack = start(options(&kv)).await;
    let id = stack.teamtailor.create_trigger(trigger("auth@example.com")).unwrap();
    let cases = [
        TriggerOptions::valid().with_auth(TriggerAuth::Missing),
        TriggerOptions::valid().with_auth(TriggerAuth::WrongKey),
        TriggerOptions::valid().with_auth(TriggerAuth::Header(format!("Bearer {}", secrets::TEAMTAILOR_API_KEY))),
        TriggerOptions::valid().with_signature(TriggerSignature::Missing),
        TriggerOptions::valid().with_signature(TriggerSignature::WrongSecret),
        // Older than the tolerance, and from the future: a replay or a stuck clock.
        TriggerOptions::valid().with_signature(TriggerSignature::Expired),
        TriggerOptions::valid().with_signature(TriggerSignature::At(assessio_harness::call::unix_now() + 3600)),
    ];
    for case in cases {
        let sent = stack.teamtailor.send_trigger(&id, case.clone()).await.unwrap();
        assert_eq!(sent.status, Some(401), "{case:?}: {}", sent.text());
        assert!(!sent.text().contains("Ada"), "{case:?}: {}", sent.text());
    }
    assert_eq!(stack.assessio.attempt_count(), 0);
    assert_eq!(stack.teamtailor.write_count(&id), 0, "no progress was written for a refused trigger");
    assert_eq!(history(&stack, &id), [PartnerStatus::Sending]);
    // The same trigger, signed properly, goes through.
    let sent = stack.teamtailor.send_trigger(&id, TriggerOptions::valid()).await.unwrap();
    assert!(sent.is_success(), "{:?} {}", sent.status, sent.text());
    assert_eq!(stack.assessio.order_count(), 1);
    assert_no_secret(&stack, &answers(&stack));
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_delivered_three_times_places_one_order() {
    redelivered(Engine::Embedded).await;
}

/// The same, with the root `spin.toml` on real Spin, which composes the gateway with the plugin component itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_delivered_three_times_places_one_order_on_real_spin() {
    let Some(engine) = support::real_spin_engine() else { return };
    redelivered(engine).await;
}

async fn redelivered(engine: Engine) {
    let kv = KvDir::new("teamtailor", "duplicate");
    let stack = start(StackOptions { auto_complete: None, engine, ..options(&kv) }).await;
    let sent = stack.teamtailor.place_trigger(trigger("twice@example.com")).await.unwrap();
    assert!(sent.is_success());
    for _ in 0..2 {
        let again = stack.teamtailor.redeliver(&sent.partner_result_id).await.unwrap();
        assert!(again.is_success(), "a redelivery is not an error for the recruiter: {:?}", again.status);
    }
    assert_eq!(stack.assessio.attempt_count(), 1);
    assert_eq!(stack.assessio.order_count(), 1);
    let sent_writes = history(&stack, &sent.partner_result_id).iter().filter(|s| **s == PartnerStatus::Sent).count();
    assert!(sent_writes >= 1, "{:?}", history(&stack, &sent.partner_result_id));
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_that_arrives_while_assessio_is_down_is_kept_and_placed_by_reconcile() {
    let kv = KvDir::new("teamtailor", "assessio-down");
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let faults = stack.assessio.faults();
    faults.set(assessio_route::ORDER, FaultPlan::new().always(FaultAction::Status(503)));

    // Teamtailor does not retry: the gateway keeps the order and says nothing
    // to the recruiter (2xx), the partner result stays `sending`.
    let sent = stack.teamtailor.place_trigger(trigger("later@example.com")).await.unwrap();
    assert!(sent.is_success(), "{:?} {}", sent.status, sent.text());
    let id = sent.partner_result_id.clone();
    assert_eq!(history(&stack, &id), [PartnerStatus::Sending]);
    assert_eq!(stack.assessio.order_count(), 0);

    // Reconcile while Assessio is still down: still kept, nothing lost.
    let r = stack.operator("POST", "/reconcile").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(stack.assessio.order_count(), 0);

    // Assessio is back: reconcile places it once and reports progress.
    faults.clear_all();
    let r = stack.operator("POST", "/reconcile").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let tally: Value = json_of(&r.body);
    assert_eq!(stack.assessio.order_count(), 1, "{tally}");
    assert_eq!(history(&stack, &id), [PartnerStatus::Sending, PartnerStatus::Sent]);
    let again = stack.operator("POST", "/reconcile").await.unwrap();
    assert_eq!(again.status, 200);
    assert_eq!(stack.assessio.order_count(), 1, "a second reconcile placed it again");

    // And the result still finds its way.
    let result_id = stack.assessio.orders()[0].result_id.clone();
    stack.assessio.complete(&result_id, &Scores::new(64, &[("Analytical Thinking", 80)])).unwrap();
    assert!(stack.assessio.settled_within(Duration::from_secs(15)).await);
    assert!(
        eventually(Duration::from_secs(10), || history(&stack, &id).last() == Some(&PartnerStatus::Completed)).await
    );
    let status = stack.operator("GET", &format!("/orders/teamtailor/{TEAMTAILOR_COMPANY}/{id}")).await.unwrap();
    assert_eq!(status.status, 200, "{}", status.text());
    let record = json_of(&status.body);
    assert_eq!(record["state"], "written-back", "{record}");
    let text = status.text();
    assert!(
        !text.contains("later@example.com") && !text.contains("Lovelace"),
        "the record keeps candidate data: {text}"
    );
    let mut all = answers(&stack);
    all.push(("order status".into(), text));
    all.push(("reconcile".into(), r.text()));
    assert_no_secret(&stack, &all);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dialog_shows_why_no_trigger_can_be_set_up_when_assessio_cannot_list_lenses() {
    let kv = KvDir::new("teamtailor", "dialog-errors");
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let faults = stack.assessio.faults();
    for (action, says) in [
        (FaultAction::Status(503), "did not list"),
        (FaultAction::Status(401), "did not list"),
        (FaultAction::Drop, "could not be reached"),
    ] {
        faults.set(assessio_route::CONFIG, FaultPlan::new().always(action));
        let dialog =
            stack.teamtailor.fetch_config(&stack.gateway.url(""), secrets::TEAMTAILOR_PROVIDER_KEY).await.unwrap();
        let shown = dialog.error().unwrap_or_else(|| panic!("{action:?}: no error in {dialog:?}"));
        assert!(shown.contains(says), "{action:?}: {shown}");
        assert!(matches!(dialog.choose(&[("lens", LENS_ID), ("locale", "sv-SE")]), Err(DialogError::Blocked(_))));
    }
    faults.clear_all();
    let dialog = stack.teamtailor.fetch_config(&stack.gateway.url(""), secrets::TEAMTAILOR_PROVIDER_KEY).await.unwrap();
    assert!(dialog.choose(&[("lens", LENS_ID), ("locale", "sv-SE")]).is_ok(), "{dialog:?}");
    assert_no_secret(&stack, &answers(&stack));
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_trigger_is_read_by_company_uuid_with_integer_ids_and_optional_members_missing() {
    let kv = KvDir::new("teamtailor", "documented");
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    // No phone, no résumé: members Teamtailor leaves out when it has no value.
    let mut bare = trigger("bare@example.com");
    bare.candidate.phone = None;
    bare.candidate.resume_url = None;
    let sent = stack.teamtailor.place_trigger(bare).await.unwrap();
    assert!(sent.is_success(), "{:?} {}", sent.status, sent.text());
    let delivery = stack.teamtailor.trigger_deliveries().pop().unwrap();
    let event: Value = json_of(&delivery.body);
    assert!(event["partner-event"]["candidate"]["id"].is_u64(), "{event}");
    assert!(event["partner-event"]["candidate"]["job"]["id"].is_u64(), "{event}");
    assert_eq!(event["company"]["uuid"], TEAMTAILOR_COMPANY);
    let id = &sent.partner_result_id;
    assert_eq!(history(&stack, id), [PartnerStatus::Sending, PartnerStatus::Sent]);
    let record = stack.operator("GET", &format!("/orders/teamtailor/{TEAMTAILOR_COMPANY}/{id}")).await.unwrap();
    assert_eq!(record.status, 200, "{}", record.text());
    // The candidate's first name missing too: refused in words, and the partner result says so.
    let mut nameless = trigger("nameless.too@example.com");
    nameless.candidate.first_name = None;
    let sent = stack.teamtailor.place_trigger(nameless).await.unwrap();
    assert_eq!(sent.status, Some(422));
    let shown = sent.shown_to_recruiter().unwrap();
    assert!(shown.contains("no first name"), "{shown}");
    let summary = stack.teamtailor.last_attributes(&sent.partner_result_id).unwrap()["summary"].clone();
    assert_eq!(summary, json!(shown));
    assert_eq!(stack.assessio.order_count(), 1);
    stack.shutdown().await;
}
