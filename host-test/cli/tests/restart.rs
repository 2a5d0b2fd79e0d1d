//! Restart safety: the gateway process is killed (`SIGKILL`) in the two
//! windows where a crash could lose or double something, started again on
//! the same key-value store, and reconciled; then nothing is lost, and what
//! is doubled is exactly what the design leaves to the upstreams.
//!
//! 1. Between placing an order and recording it: Assessio accepts the order
//!    and its answer never comes back ([`FaultAction::HangAfterHandling`]);
//!    the gateway is killed while it waits. Its record says `placing`. For
//!    the in-flight window (`IN_FLIGHT_SECONDS` in the gateway, longer than
//!    any send may take) neither reconcile nor a redelivery sends the order
//!    again; after it the order is `uncertain`. On the link endpoint
//!    reconcile sends it again and Assessio's 409 settles it as placed (one
//!    order); on the plain endpoint nothing is ever sent again (the
//!    candidate is invited once) and the result settles it. Either way the
//!    result is written back once.
//! 2. Between receiving a result and writing it back: Kombo's result route
//!    hangs, the gateway is killed while it waits, Assessio's delivery fails
//!    and is retried until the restarted gateway takes it and writes the
//!    result back (a gateway that guards the write with a claim answers 503
//!    until the killed process's claim expires, a minute at most). If
//!    Kombo had not recorded the write before the kill, it is written once;
//!    if it had ([`FaultAction::HangAfterHandling`]), it is written twice,
//!    the same result both times, which Kombo's write-back accepts as a
//!    rewrite of a COMPLETED order.
//! 3. Kills at jittered points while orders and results are in flight, three
//!    rounds, on the link endpoint: every order ends COMPLETED with its
//!    result, placed at Assessio once.
//!
//! The gateway runs as `assessio serve` in a child process; the simulators
//! and a proxy (its stable public address) run here. Each test waits out the
//! in-flight window once, so the scenarios of a test run side by side.

use assessio_host::load::rig::{Rig, RigOptions, result_id_of};
use assessio_host::stack::{INTEGRATION, demo_package};
use assessio_simulators::assessio::route as assessio_route;
use assessio_simulators::kombo::route as kombo_route;
use assessio_simulators::{
    AttemptOutcome, DeliveryState, FaultAction, FaultPlan, NewOrder, OrderStatus, Scores, WebhookSignature, XorShift64,
};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The gateway's in-flight window (`IN_FLIGHT_SECONDS`), plus a margin for
/// its one-second clock.
const GUARD: Duration = Duration::from_secs(32);

/// The gateway's write-back claim (`CLAIM_SECONDS`), plus the same margin.
const WRITE_GUARD: Duration = Duration::from_secs(62);

/// A directory of its own, removed when the test ends.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        let dir = std::env::temp_dir().join(format!("assessio-restart-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating the test directory");
        Self(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn rig(dir: &Dir, endpoint: Option<&str>, auto_complete: Option<Duration>) -> Arc<Rig> {
    let mut options = RigOptions::new(env!("CARGO_BIN_EXE_assessio"), &dir.0);
    options.order_endpoint = endpoint.map(str::to_owned);
    options.auto_complete = auto_complete;
    Arc::new(Rig::start(options).await.expect("the rig starts"))
}

async fn eventually(limit: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

async fn record(rig: &Rig, order_id: &str) -> Value {
    rig.record(order_id).await.expect("the status route answers").expect("the gateway has a record")
}

fn log_of(rig: &Rig) -> String {
    std::fs::read_to_string(rig.log_path()).unwrap_or_default()
}

/// Reconciles every two seconds until an order is placed (or found placed).
async fn reconcile_until_placed(rig: &Rig, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let tally = rig.reconcile().await.expect("reconcile answers");
        if tally["retry_later"] == 0 {
            return tally;
        }
        assert!(Instant::now() < deadline, "reconcile never placed the order: {tally}\n{}", log_of(rig));
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The writes of one order are the same result, but for `completed_at`
/// (the time of the write).
fn same_result(writes: &[Value]) -> bool {
    let strip = |w: &Value| {
        let mut w = w.clone();
        if let Some(o) = w.as_object_mut() {
            o.remove("completed_at");
        }
        w
    };
    writes.windows(2).all(|p| strip(&p[0]) == strip(&p[1]))
}

/// Scenario 1 on `endpoint`: killed after Assessio accepted the order,
/// before the gateway recorded it.
async fn killed_after_assessio_accepted(endpoint: &'static str) {
    let dir = Dir::new(&format!("placing-{endpoint}"));
    let rig = rig(&dir, Some(endpoint), None).await;
    let route = if endpoint == "order-link" { assessio_route::ORDER_LINK } else { assessio_route::ORDER };
    rig.assessio.faults().set(route, FaultPlan::new().next_action(1, FaultAction::HangAfterHandling));
    let email = format!("crash.placing.{endpoint}@example.com");
    let order_id = rig.kombo.create_order(NewOrder::example(INTEGRATION, &demo_package(), &email)).unwrap();
    let result_id = result_id_of(&order_id);

    let sending = {
        let (rig, order_id) = (Arc::clone(&rig), order_id.clone());
        tokio::spawn(async move { rig.kombo.send_order_received(&order_id, WebhookSignature::Valid).await })
    };
    assert!(eventually(Duration::from_secs(30), || rig.assessio.order_count() == 1).await, "{}", log_of(&rig));
    // Assessio has the order; its answer is held back. Crash now.
    rig.kill_gateway();
    let killed = Instant::now();
    let outcome = sending.await.unwrap().unwrap();
    assert_eq!(outcome.status, Some(502), "Kombo's webhook saw the gateway go: {outcome:?}");
    assert_eq!(rig.kombo.order(&order_id).unwrap().status, OrderStatus::Open, "Kombo keeps the order open");

    rig.start_gateway().await.expect("the gateway starts again");
    let before = record(&rig, &order_id).await;
    assert_eq!((before["state"].as_str(), before["attempts"].as_u64()), (Some("placing"), Some(1)), "{before}");

    // Within the guard: reconcile and a redelivery both wait; nothing is sent.
    let tally = rig.reconcile().await.unwrap();
    assert_eq!((tally["placed"].as_u64(), tally["retry_later"].as_u64()), (Some(0), Some(1)), "{tally}");
    let redelivered = rig.kombo.redeliver(&order_id).await.unwrap();
    assert_eq!(redelivered.status, Some(503), "{:?}", String::from_utf8_lossy(&redelivered.body));
    assert_eq!(rig.assessio.attempt_count(), 1, "nothing was sent again within the guard");

    // After it, the order is uncertain: Assessio may have it. On
    // `order-link` reconcile sends it again and Assessio's 409 settles it;
    // on the plain endpoint nothing is sent again, and the result will
    // settle it.
    tokio::time::sleep(GUARD.saturating_sub(killed.elapsed())).await;
    let tally = reconcile_until_placed(&rig, Duration::from_secs(40)).await;
    let after = record(&rig, &order_id).await;
    let received: Vec<u16> = rig.assessio.received().iter().map(|r| r.status).collect();
    let accepted = rig.assessio.orders();
    assert!(accepted.iter().all(|o| o.result_id == result_id));
    assert_eq!(accepted.len(), 1, "one Assessio order: {received:?}");
    if endpoint == "order-link" {
        assert_eq!(tally["placed"], 1, "{tally}");
        assert_eq!((after["state"].as_str(), after["attempts"].as_u64()), (Some("placed"), Some(2)), "{after}");
        assert_eq!(received, [200, 409]);
    } else {
        assert_eq!((tally["placed"].as_u64(), tally["uncertain"].as_u64()), (Some(0), Some(1)), "{tally}");
        assert_eq!((after["state"].as_str(), after["attempts"].as_u64()), (Some("uncertain"), Some(1)), "{after}");
        let redelivered = rig.kombo.redeliver(&order_id).await.unwrap();
        assert_eq!(redelivered.status, Some(202), "{:?}", String::from_utf8_lossy(&redelivered.body));
        assert_eq!(received, [200], "never sent again");
        assert_eq!(rig.health().await.unwrap()["orders"]["uncertain"], 1);
    }

    // The candidate finishes; the result is written back once.
    rig.assessio.complete(&result_id, &Scores::deterministic(&result_id)).unwrap();
    assert!(rig.assessio.settled_within(Duration::from_secs(30)).await);
    let kombo = rig.kombo.order(&order_id).unwrap();
    assert_eq!((kombo.status, kombo.result_writes.len()), (OrderStatus::Completed, 1));
    assert_eq!(record(&rig, &order_id).await["state"], "written-back");
    println!(
        "placing window, {endpoint}: Assessio answered {received:?}; {} Assessio order(s); placed after {:.0} s; one write-back",
        accepted.len(),
        killed.elapsed().as_secs_f64()
    );
}

/// Scenario 2: killed while writing the result back to Kombo, which had
/// (`after_handling`) or had not recorded the write.
async fn killed_while_writing_back(after_handling: bool) {
    let dir = Dir::new(if after_handling { "writing-recorded" } else { "writing" });
    let rig = rig(&dir, None, Some(Duration::from_millis(100))).await;
    let action = if after_handling { FaultAction::HangAfterHandling } else { FaultAction::Hang };
    rig.kombo.faults().set(kombo_route::RESULT, FaultPlan::new().next_action(1, action));
    let email = format!("crash.writing.{after_handling}@example.com");
    let outcome = rig.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), &email)).await.unwrap();
    assert_eq!(outcome.status, Some(200), "{:?}", String::from_utf8_lossy(&outcome.body));
    let order_id = outcome.order_id;

    // Kombo has the write request (and, after handling, has recorded it).
    let hung = || {
        rig.kombo.faults().stats(kombo_route::RESULT).hung == 1
            && rig.kombo.result_write_count(&order_id) == usize::from(after_handling)
    };
    assert!(eventually(Duration::from_secs(30), hung).await, "{}", log_of(&rig));
    // The gateway has the result and waits on Kombo. Crash now.
    rig.kill_gateway();
    let killed = Instant::now();
    let writes_at_kill = rig.kombo.result_write_count(&order_id);
    assert_eq!(writes_at_kill, usize::from(after_handling));

    rig.start_gateway().await.expect("the gateway starts again");
    assert_eq!(record(&rig, &order_id).await["state"], "result-received");
    // Assessio retries; the restarted gateway answers 503 while the killed
    // process's write claim lasts, then writes the result back.
    assert!(rig.assessio.settled_within(WRITE_GUARD + Duration::from_mins(1)).await, "{}", log_of(&rig));
    let deliveries = rig.assessio.deliveries();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(d.state, DeliveryState::Delivered, "{:?}", d.attempts);
    let outcomes: Vec<&AttemptOutcome> = d.attempts.iter().map(|a| &a.outcome).collect();
    assert_eq!(outcomes[0], &AttemptOutcome::Status(502), "the first attempt died with the gateway: {outcomes:?}");
    assert_eq!(outcomes.last(), Some(&&AttemptOutcome::Status(200)));
    // Every failed attempt was a 502 (no gateway) or, if the gateway guards
    // the write with a claim, a 503 (the killed process's claim).
    assert!(outcomes.iter().rev().skip(1).all(|o| matches!(o, AttemptOutcome::Status(502 | 503))), "{outcomes:?}");

    let kombo = rig.kombo.order(&order_id).unwrap();
    assert_eq!(kombo.status, OrderStatus::Completed);
    assert_eq!(kombo.result_writes.len(), 1 + usize::from(after_handling), "{:?}", kombo.result_writes);
    assert!(same_result(&kombo.result_writes), "{:?}", kombo.result_writes);
    assert_eq!(record(&rig, &order_id).await["state"], "written-back");
    assert_eq!(rig.assessio.order_count(), 1, "no second order");
    println!(
        "write-back window, Kombo {} the write before the kill: {} delivery attempts ({} answered 503), \
         written back {:.0} s after the kill; {} write(s) in Kombo",
        if after_handling { "had recorded" } else { "had not recorded" },
        d.attempts.len(),
        outcomes.iter().filter(|o| ***o == AttemptOutcome::Status(503)).count(),
        killed.elapsed().as_secs_f64(),
        kombo.result_writes.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_placing_and_recording_and_between_receiving_and_writing_back() {
    tokio::join!(
        killed_after_assessio_accepted("order-link"),
        killed_after_assessio_accepted("order"),
        killed_while_writing_back(false),
        killed_while_writing_back(true),
    );
}

/// Order `n` of the random rounds: its own candidate.
fn random_order(n: usize) -> NewOrder {
    let mut order = NewOrder::example(INTEGRATION, &demo_package(), &format!("random-{n:03}@example.com"));
    order.candidate.remote_id = Some(format!("random-{n:03}"));
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_three_times_with_orders_and_results_in_flight_nothing_is_lost() {
    const ROUNDS: usize = 3;
    const PER_ROUND: usize = 6;
    let dir = Dir::new("random");
    let rig = rig(&dir, Some("order-link"), Some(Duration::from_millis(300))).await;
    // Slow upstreams, so that requests are in flight when the kill comes.
    rig.assessio.faults().set(assessio_route::ORDER_LINK, FaultPlan::new().latency(Duration::from_millis(500)));
    rig.kombo.faults().set(kombo_route::RESULT, FaultPlan::new().latency(Duration::from_millis(200)));
    let mut rng = XorShift64::new(0x0C2A_5111);
    let mut last_kill = Instant::now();
    let mut webhook_statuses = Vec::new();
    for round in 0..ROUNDS {
        let mut sending = tokio::task::JoinSet::new();
        for i in 0..PER_ROUND {
            let rig = Arc::clone(&rig);
            sending.spawn(async move { rig.kombo.place_order(random_order(round * PER_ROUND + i)).await });
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Orders still being placed (Assessio takes 500 ms), then later
        // results being written back (300 ms after placing, Kombo takes
        // 200 ms), with some jitter.
        let at = [150, 450, 900][round] + rng.below(200);
        tokio::time::sleep(Duration::from_millis(at)).await;
        rig.kill_gateway();
        last_kill = Instant::now();
        while let Some(sent) = sending.join_next().await {
            webhook_statuses.push(sent.unwrap().unwrap().status);
        }
        rig.start_gateway().await.expect("the gateway starts again");
    }

    tokio::time::sleep(GUARD.saturating_sub(last_kill.elapsed())).await;
    let tally = reconcile_until_placed(&rig, Duration::from_secs(40)).await;
    assert!(rig.assessio.settled_within(Duration::from_secs(90)).await, "{}", log_of(&rig));

    let orders = rig.kombo.orders();
    assert_eq!(orders.len(), ROUNDS * PER_ROUND);
    let accepted = rig.assessio.orders();
    let mut double_writes = 0;
    for o in &orders {
        let result_id = result_id_of(&o.id);
        let at_assessio = accepted.iter().filter(|a| a.result_id == result_id).count();
        assert_eq!(at_assessio, 1, "order {}: {at_assessio} Assessio orders", o.id);
        assert_eq!(o.status, OrderStatus::Completed, "order {} is {:?}\n{}", o.id, o.status, log_of(&rig));
        assert!(!o.result_writes.is_empty() && same_result(&o.result_writes), "{:?}", o.result_writes);
        double_writes += usize::from(o.result_writes.len() > 1);
        assert_eq!(record(&rig, &o.id).await["state"], "written-back");
    }
    let conflicts = rig.assessio.received().iter().filter(|r| r.status == 409).count();
    let deliveries = rig.assessio.deliveries();
    assert!(deliveries.iter().all(|d| d.state == DeliveryState::Delivered));
    let retries: usize = deliveries.iter().map(|d| d.attempts.len() - 1).sum();
    println!(
        "random kills: {ROUNDS} kills, {} orders; webhook answers {webhook_statuses:?}; last reconcile {tally}; \
         {} Assessio orders ({conflicts} re-sends answered 409); {retries} delivery retries; \
         {double_writes} orders written back twice (same result)",
        orders.len(),
        accepted.len()
    );
}
