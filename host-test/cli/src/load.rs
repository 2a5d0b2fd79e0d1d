//! `assessio load`: the gateway under a sustained stream of orders and
//! results while the upstreams misbehave, then a reconciled ledger.
//!
//! The gateway (root `spin.toml`) runs in its own process ([`child`]) behind
//! the proxy that is its public address ([`proxy`]), with Assessio's and
//! Kombo's simulators as its upstreams ([`rig`]). The run:
//!
//! 1. prepares N distinct Kombo orders (every tenth without a last name, to
//!    be rejected with a reason) and captures each `assessment:order-received`
//!    event exactly as Kombo's simulator signs it;
//! 2. injects faults upstream: on Assessio's order route a fixed latency and
//!    a fraction of 500/503 answers and dropped connections, on Kombo's result
//!    route a fraction of 502/503 answers and dropped connections (seeded, so
//!    a run is repeatable);
//! 3. sends the events to `/kombo/webhook` at the target rate over a few
//!    keep-alive connections, with wrk when it is installed and a built-in
//!    generator otherwise ([`drive`]); Assessio's simulator completes each
//!    order 300 ms after it is placed and delivers the result to the gateway,
//!    retrying failed deliveries: the results traffic;
//! 4. samples the gateway process's resident memory every second;
//! 5. clears the faults, cancels in Kombo the orders that were never sent (so
//!    reconcile does not place a backlog the run did not ask for), lets
//!    Kombo redeliver the rejected ones (their 422 went to the generator, not
//!    to Kombo's simulator), calls
//!    `POST /kombo/reconcile` until nothing is left, waits for every delivery
//!    to settle, and checks the ledger: each sent order placed at Assessio
//!    exactly once and its result written back to Kombo exactly once, or
//!    rejected with a reason and never sent to Assessio.
//!
//! It prints a table and writes the figures as JSON; a ledger that does not
//! balance is an error (non-zero exit). `tests/load_smoke.rs` runs a few
//! seconds of it in the default test run.

#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]

pub mod child;
pub mod drive;
pub mod proxy;
pub mod rig;

use crate::stack::{INTEGRATION, demo_package};
use anyhow::{Context as _, bail};
use assessio_simulators::assessio::route as assessio_route;
use assessio_simulators::faults::{FaultAction, FaultPlan, FaultStats};
use assessio_simulators::http::{Server, SimResponse};
use assessio_simulators::kombo::{NewOrder, OrderStatus, route as kombo_route};
use assessio_simulators::{DeliveryState, WebhookSignature};
use child::Memory;
use drive::{DriveOptions, Driven, Latency, Prepared};
use rig::{Rig, RigOptions, result_id_of};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Which load generator to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    /// wrk if installed, else the built-in one.
    Auto,
    /// wrk, or an error if it is not installed.
    Wrk,
    /// The built-in one.
    BuiltIn,
}

/// How hard, how long and how badly.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The `assessio` binary that serves the gateway.
    pub binary: PathBuf,
    /// Where the store, logs and wrk's files go (emptied first).
    pub work_dir: PathBuf,
    /// How long orders are sent for.
    pub duration: Duration,
    /// Orders per second to send.
    pub rate: f64,
    /// Keep-alive connections to the gateway.
    pub connections: usize,
    /// Orders to prepare; default `rate × duration`.
    pub orders: Option<usize>,
    /// Which generator.
    pub generator: Generator,
    /// Latency added to every order request at Assessio.
    pub assessio_latency: Duration,
    /// Fraction of Assessio order requests that fail (500, 503 or a dropped
    /// connection, in equal parts).
    pub assessio_faults: f64,
    /// Fraction of Kombo result writes that fail (502, 503 or a dropped
    /// connection, in equal parts).
    pub kombo_faults: f64,
    /// Seeds the fault sequences.
    pub seed: u64,
    /// Where the JSON report goes.
    pub out: PathBuf,
}

impl LoadOptions {
    /// The full run: 60 s at 10 orders/s over 4 connections, 25 ms of
    /// latency and 6 % faults at Assessio, 6 % at Kombo.
    pub fn new(binary: impl Into<PathBuf>) -> Self {
        let target = assessio_harness::locate::workspace_root().join("target");
        Self {
            binary: binary.into(),
            work_dir: target.join("load"),
            duration: Duration::from_mins(1),
            rate: 10.0,
            connections: 4,
            orders: None,
            generator: Generator::Auto,
            assessio_latency: Duration::from_millis(25),
            assessio_faults: 0.06,
            kombo_faults: 0.06,
            seed: 0x10AD_5EED,
            out: target.join("load.json"),
        }
    }

    /// The smoke run: 4 s at 8 orders/s, faults twice as often so that a
    /// few happen.
    #[must_use]
    pub fn quick(mut self) -> Self {
        self.duration = Duration::from_secs(4);
        self.rate = 8.0;
        self.assessio_faults = 0.15;
        self.kombo_faults = 0.15;
        self
    }

    fn planned_orders(&self) -> usize {
        self.orders.unwrap_or_else(|| (self.rate * self.duration.as_secs_f64()).ceil().max(1.0) as usize)
    }
}

/// Memory of the gateway process over the run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MemoryFigures {
    /// Before the first order, KiB.
    pub before_kib: u64,
    /// Once warmed up (a fifth into the sending), KiB.
    pub warm_kib: u64,
    /// When the sending ended, KiB.
    pub end_of_sending_kib: u64,
    /// After reconcile and every delivery, KiB.
    pub settled_kib: u64,
    /// The highest resident size sampled, KiB.
    pub peak_kib: u64,
    /// The kernel's peak (`VmHWM`) at the end, KiB.
    pub hwm_kib: u64,
    /// Samples taken (one a second).
    pub samples: usize,
    /// Every sample: seconds since the sending started, KiB (negative:
    /// before it).
    pub series: Vec<(f64, u64)>,
}

/// What the ledger check found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Ledger {
    /// Orders prepared in Kombo.
    pub prepared: usize,
    /// Of those, the gateway never saw (not sent in time); cancelled in Kombo.
    pub never_sent: usize,
    /// Orders placed at Assessio once, completed, and written back once.
    pub placed_and_written_once: usize,
    /// Orders rejected with the reason in Kombo, never sent to Assessio.
    pub rejected_with_reason: usize,
    /// Orders sent once into a fault that hid the outcome (a 500, a cut
    /// connection) and not taken by Assessio: the gateway records them
    /// `uncertain` and never sends them again on the plain endpoint; Kombo
    /// keeps them open for an operator to settle. Never doubled, never lost.
    pub held_uncertain: usize,
    /// Result ids Assessio accepted more than once.
    pub duplicate_assessio_orders: usize,
    /// Kombo orders with more than one result write.
    pub double_writes: usize,
    /// Orders accepted by Assessio in all.
    pub assessio_accepted: usize,
    /// Order requests that reached Assessio's logic (faulted ones did not).
    pub assessio_requests_handled: usize,
    /// Result deliveries and their attempts in all.
    pub deliveries: usize,
    /// Delivery attempts, the first ones included.
    pub delivery_attempts: usize,
    /// Deliveries that gave up.
    pub deliveries_given_up: usize,
    /// Reconcile runs until nothing was left, and what they did.
    pub reconcile_runs: usize,
    /// Orders reconcile placed (those the webhook could not).
    pub reconcile_placed: u64,
    /// Every problem, one line each (empty: the ledger balances).
    pub problems: Vec<String>,
}

/// The result webhooks Assessio's simulator delivered, through the proxy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResultTraffic {
    /// Deliveries answered (any status; 502 when no gateway answered).
    pub answered: usize,
    /// Answers by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Latency through the proxy.
    pub latency_ms: Latency,
}

/// Everything a run measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadReport {
    /// The options, as run.
    pub settings: Value,
    /// The sending.
    pub orders: Driven,
    /// Result webhooks, as the proxy in front of the gateway timed them.
    pub results: ResultTraffic,
    /// Faults injected, per route.
    pub faults: Value,
    /// The reconciled ledger.
    pub ledger: Ledger,
    /// The gateway process's memory.
    pub memory: MemoryFigures,
    /// The whole run, seconds.
    pub wall_seconds: f64,
    /// The machine (CPU model and count).
    pub machine: String,
}

impl LoadReport {
    /// Whether the ledger balances.
    pub fn passed(&self) -> bool {
        self.ledger.problems.is_empty()
    }
}

/// Runs the load, prints progress on `progress`, writes the JSON report.
pub fn run(options: &LoadOptions, progress: &mut (dyn Write + Send)) -> anyhow::Result<LoadReport> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(run_async(options, progress))?;
    if let Some(dir) = options.out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&report).context("serialising the report")?;
    std::fs::write(&options.out, text).with_context(|| format!("writing {}", options.out.display()))?;
    Ok(report)
}

/// Order `i`: a distinct candidate and application, one of five jobs, and
/// every tenth without a last name.
fn order(i: usize) -> NewOrder {
    let mut order = NewOrder::example(INTEGRATION, &demo_package(), &format!("load-{i:06}@example.com"));
    order.candidate.remote_id = Some(format!("load-cand-{i:06}"));
    order.application_remote_id = Some(format!("load-app-{i:06}"));
    order.candidate.first_name = Some(format!("First{i}"));
    order.candidate.last_name = (i % 10 != 7).then(|| format!("Last{i}"));
    order.job.remote_id = Some(format!("load-job-{}", i % 5));
    order.job.name = Some(format!("Job {}", i % 5));
    order
}

/// Creates `n` orders in Kombo and captures each signed event, by pointing
/// Kombo's webhooks at a receiver that takes them without placing anything.
async fn prepare(rig: &Rig, n: usize) -> anyhow::Result<Vec<Prepared>> {
    let receiver = Server::start_fn(|_| SimResponse::empty(http::StatusCode::ACCEPTED)).await?;
    rig.kombo.set_webhook_url(Some(format!("{}/capture", receiver.url())));
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = rig.kombo.create_order(order(i)).map_err(|e| anyhow::anyhow!("creating a Kombo order: {e}"))?;
        rig.kombo.send_order_received(&id, WebhookSignature::Valid).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        ids.push(id);
    }
    rig.kombo.set_webhook_url(Some(format!("{}/kombo/webhook", rig.proxy.url())));
    receiver.shutdown();
    let sends: HashMap<String, (bytes::Bytes, Option<String>)> =
        rig.kombo.webhook_sends().into_iter().map(|s| (s.order_id, (s.body, s.signature_header))).collect();
    ids.into_iter()
        .map(|order_id| {
            let (body, signature) = sends.get(&order_id).cloned().context("an order's event was not captured")?;
            let signature = signature.context("an event was sent unsigned")?;
            Ok(Prepared { order_id, signature, body })
        })
        .collect()
}

/// The fault plans of the run.
fn install_faults(rig: &Rig, options: &LoadOptions) {
    rig.assessio.faults().reset_stats();
    rig.kombo.faults().reset_stats();
    rig.assessio.faults().set(
        assessio_route::ORDER,
        FaultPlan::new().latency(options.assessio_latency).fault_fraction(
            options.assessio_faults,
            options.seed,
            &[FaultAction::Status(500), FaultAction::Status(503), FaultAction::Drop],
        ),
    );
    rig.kombo.faults().set(
        kombo_route::RESULT,
        FaultPlan::new().fault_fraction(
            options.kombo_faults,
            options.seed ^ 0x00C0_FFEE,
            &[FaultAction::Status(502), FaultAction::Status(503), FaultAction::Drop],
        ),
    );
}

fn fault_json(stats: &FaultStats) -> Value {
    json!({
        "requests": stats.requests,
        "delayed": stats.delayed,
        "error_status": stats.failed,
        "dropped_connections": stats.dropped,
        "injected": stats.injected(),
    })
}

/// Samples the gateway's memory every second until `stop`.
fn sample_memory(
    pid: u32,
    origin: Instant,
    stop: Arc<AtomicBool>,
    into: Arc<Mutex<Vec<(f64, Memory)>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            if let Some(m) = child::memory_of(pid) {
                let t = origin.elapsed().as_secs_f64();
                into.lock().unwrap_or_else(PoisonError::into_inner).push((t, m));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

#[allow(clippy::too_many_lines)] // One run, in the order the module doc lists.
async fn run_async(options: &LoadOptions, progress: &mut (dyn Write + Send)) -> anyhow::Result<LoadReport> {
    let wall = Instant::now();
    let _ = std::fs::remove_dir_all(&options.work_dir);
    std::fs::create_dir_all(&options.work_dir).with_context(|| format!("creating {}", options.work_dir.display()))?;
    let wrk = drive::wrk_version();
    let use_wrk = match options.generator {
        Generator::BuiltIn => false,
        Generator::Wrk if wrk.is_none() => bail!("wrk is not installed (Debian: apt-get install wrk)"),
        Generator::Wrk => true,
        Generator::Auto => {
            if wrk.is_none() {
                writeln!(progress, "wrk is not installed; using the built-in load generator")?;
            }
            wrk.is_some()
        }
    };
    writeln!(progress, "starting the simulators and the gateway process…")?;
    let mut rig_options = RigOptions::new(&options.binary, &options.work_dir);
    rig_options.auto_complete = Some(Duration::from_millis(300));
    let rig = Rig::start(rig_options).await?;
    let sync = rig.operator("POST", "/kombo/packages/sync").await?;
    if sync.status != 200 {
        bail!("package sync answered HTTP {}: {}", sync.status, sync.text());
    }
    let n = options.planned_orders();
    writeln!(progress, "preparing {n} Kombo orders…")?;
    let prepared = prepare(&rig, n).await?;
    install_faults(&rig, options);

    let pid = rig.gateway_pid().context("the gateway is not running")?;
    let before = rig.gateway_memory().unwrap_or(Memory { rss_kib: 0, hwm_kib: 0 });
    let samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let origin = Instant::now();
    let memory_task = sample_memory(pid, origin, Arc::clone(&stop), Arc::clone(&samples));
    let base_url = rig.gateway_url().context("the gateway is not running")?;
    let grace = (options.duration / 4).clamp(Duration::from_secs(3), Duration::from_secs(15));
    let drive_options = DriveOptions {
        base_url,
        rate: options.rate,
        connections: options.connections,
        wrk_duration: options.duration + grace,
    };
    writeln!(
        progress,
        "sending {n} orders at {} per second over {} connections with {}…",
        options.rate,
        options.connections,
        if use_wrk { wrk.as_deref().unwrap_or("wrk") } else { "the built-in generator" }
    )?;
    let orders = if use_wrk {
        let (prepared, drive_options, dir) = (prepared.clone(), drive_options.clone(), options.work_dir.clone());
        tokio::task::spawn_blocking(move || drive::with_wrk(&prepared, &drive_options, &dir)).await??
    } else {
        drive::built_in(&prepared, &drive_options).await
    };
    let sending_ended = origin.elapsed().as_secs_f64();
    rig.assessio.faults().clear_all();
    rig.kombo.faults().clear_all();
    let assessio_faults = rig.assessio.faults().stats(assessio_route::ORDER);
    let kombo_faults = rig.kombo.faults().stats(kombo_route::RESULT);

    writeln!(progress, "reconciling and waiting for every result…")?;
    let mut ledger = Ledger { prepared: n, ..Ledger::default() };
    let mut records: HashMap<String, Option<Value>> = HashMap::new();
    for p in &prepared {
        let record = rig.record(&p.order_id).await?;
        if record.is_none() {
            ledger.never_sent += 1;
            rig.kombo.set_order_status(&p.order_id, OrderStatus::Cancelled).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        records.insert(p.order_id.clone(), record);
    }
    // A rejection reaches Kombo only as the webhook's 422, and those went
    // to the load generator: Kombo's simulator redelivers each such event
    // once, which the gateway answers from its record without calling
    // Assessio, as it would a real redelivery.
    for p in &prepared {
        let rejected = records.get(&p.order_id).and_then(Option::as_ref).is_some_and(|r| r["state"] == "rejected");
        if rejected {
            let outcome = rig.kombo.redeliver(&p.order_id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if outcome.status != Some(422) {
                ledger.problems.push(format!(
                    "order {}: a redelivered rejected order was answered {:?}, not 422",
                    p.order_id, outcome.status
                ));
            }
        }
    }
    reconcile_until_done(&rig, &mut ledger).await?;
    if !rig.assessio.settled_within(Duration::from_mins(3)).await {
        ledger.problems.push("result deliveries were still in progress after 180 s".into());
    }
    stop.store(true, Ordering::Relaxed);
    let _ = memory_task.await;
    let after = rig.gateway_memory().unwrap_or(before);
    for p in &prepared {
        if records.get(&p.order_id).is_some_and(Option::is_some) {
            let record = rig.record(&p.order_id).await?;
            records.insert(p.order_id.clone(), record);
        }
    }
    check_ledger(&rig, &prepared, &records, &mut ledger);

    let results = rig.proxy.traffic("results");
    let memory =
        memory_figures(before, after, &samples.lock().unwrap_or_else(PoisonError::into_inner), options, sending_ended);
    let report = LoadReport {
        settings: json!({
            "duration_s": options.duration.as_secs_f64(),
            "target_rate_per_s": options.rate,
            "connections": options.connections,
            "orders": n,
            "generator": orders.tool,
            "assessio_order_latency_ms": options.assessio_latency.as_millis(),
            "assessio_order_fault_fraction": options.assessio_faults,
            "kombo_result_fault_fraction": options.kombo_faults,
            "seed": options.seed,
            "candidate_completes_after_ms": 300,
        }),
        orders,
        results: ResultTraffic {
            answered: results.latencies_ms.len(),
            latency_ms: Latency::of(&results.latencies_ms),
            statuses: results.statuses,
        },
        faults: json!({
            "assessio_order": fault_json(&assessio_faults),
            "kombo_result": fault_json(&kombo_faults),
        }),
        ledger,
        memory,
        wall_seconds: wall.elapsed().as_secs_f64(),
        machine: machine(),
    };
    let log = rig.log_path().to_path_buf();
    rig.shutdown();
    writeln!(progress, "done; the gateway's log is {}", log.display())?;
    Ok(report)
}

/// Reconcile until a run has nothing left to place; an order cut off
/// mid-request keeps the gateway's one-minute in-flight guard, so this may
/// take a minute more.
async fn reconcile_until_done(rig: &Rig, ledger: &mut Ledger) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let tally = rig.reconcile().await?;
        ledger.reconcile_runs += 1;
        ledger.reconcile_placed += tally["placed"].as_u64().unwrap_or(0);
        let left = tally["retry_later"].as_u64().unwrap_or(0);
        if left == 0 && tally.get("error").is_none() {
            return Ok(());
        }
        if Instant::now() > deadline {
            ledger.problems.push(format!("reconcile still had {left} orders to place after 150 s: {tally}"));
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Every sent order placed once and written back once, or rejected with a
/// reason; no duplicate at Assessio; every delivery delivered.
fn check_ledger(rig: &Rig, prepared: &[Prepared], records: &HashMap<String, Option<Value>>, ledger: &mut Ledger) {
    let accepted = rig.assessio.orders();
    ledger.assessio_accepted = accepted.len();
    ledger.assessio_requests_handled = rig.assessio.attempt_count();
    let mut per_result: BTreeMap<String, usize> = BTreeMap::new();
    for o in &accepted {
        *per_result.entry(o.result_id.clone()).or_default() += 1;
    }
    ledger.duplicate_assessio_orders = per_result.values().filter(|n| **n > 1).count();
    let deliveries = rig.assessio.deliveries();
    ledger.deliveries = deliveries.len();
    ledger.delivery_attempts = deliveries.iter().map(|d| d.attempts.len()).sum();
    ledger.deliveries_given_up = deliveries.iter().filter(|d| d.state != DeliveryState::Delivered).count();
    if ledger.deliveries_given_up > 0 {
        ledger.problems.push(format!("{} result deliveries were not delivered", ledger.deliveries_given_up));
    }
    let mut problem = |p: String| {
        if ledger.problems.len() < 50 {
            ledger.problems.push(p);
        }
    };
    let kombo: HashMap<String, _> = rig.kombo.orders().into_iter().map(|o| (o.id.clone(), o)).collect();
    let (mut placed, mut rejected, mut doubles, mut uncertain) = (0, 0, 0, 0);
    for p in prepared {
        let Some(Some(record)) = records.get(&p.order_id) else { continue };
        let Some(o) = kombo.get(&p.order_id) else {
            problem(format!("order {}: not in Kombo", p.order_id));
            continue;
        };
        let at_assessio = per_result.get(&result_id_of(&p.order_id)).copied().unwrap_or(0);
        let state = record["state"].as_str().unwrap_or_default();
        if o.order.candidate.last_name.is_none() {
            let reason = o.rejection_message.as_deref().unwrap_or_default();
            if o.status == OrderStatus::Rejected && !reason.is_empty() && at_assessio == 0 && state == "rejected" {
                rejected += 1;
            } else {
                problem(format!(
                    "order {} (no last name): Kombo {:?} {reason:?}, {at_assessio} at Assessio, record {state}",
                    p.order_id, o.status
                ));
            }
            continue;
        }
        if o.result_writes.len() > 1 {
            doubles += 1;
        }
        if state == "uncertain" && at_assessio == 0 && o.status == OrderStatus::Open && o.result_writes.is_empty() {
            uncertain += 1;
            continue;
        }
        if o.status == OrderStatus::Completed
            && o.result_writes.len() == 1
            && at_assessio == 1
            && state == "written-back"
        {
            placed += 1;
        } else {
            problem(format!(
                "order {}: Kombo {:?} with {} result writes, {at_assessio} at Assessio, record {state}",
                p.order_id,
                o.status,
                o.result_writes.len()
            ));
        }
    }
    ledger.placed_and_written_once = placed;
    ledger.rejected_with_reason = rejected;
    ledger.held_uncertain = uncertain;
    ledger.double_writes = doubles;
    if ledger.duplicate_assessio_orders > 0 {
        ledger
            .problems
            .push(format!("{} result ids were ordered at Assessio more than once", ledger.duplicate_assessio_orders));
    }
}

fn memory_figures(
    before: Memory,
    after: Memory,
    samples: &[(f64, Memory)],
    options: &LoadOptions,
    sending_ended: f64,
) -> MemoryFigures {
    let warm_at = options.duration.as_secs_f64() / 5.0;
    let at_or_after = |t: f64| samples.iter().find(|(s, _)| *s >= t).or(samples.last()).map_or(0, |(_, m)| m.rss_kib);
    let last_before = |t: f64| samples.iter().rev().find(|(s, _)| *s <= t).map_or(0, |(_, m)| m.rss_kib);
    MemoryFigures {
        before_kib: before.rss_kib,
        warm_kib: at_or_after(warm_at),
        end_of_sending_kib: last_before(sending_ended),
        settled_kib: after.rss_kib,
        peak_kib: samples.iter().map(|(_, m)| m.rss_kib).max().unwrap_or(0).max(after.rss_kib),
        hwm_kib: after.hwm_kib,
        samples: samples.len(),
        series: samples.iter().map(|(t, m)| ((t * 10.0).round() / 10.0, m.rss_kib)).collect(),
    }
}

/// CPU model and count, from `/proc/cpuinfo`.
fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!("{model}, {cores} cores available")
}

/// The report as a table.
pub fn print_table(r: &LoadReport, out: &mut dyn Write) -> std::io::Result<()> {
    let o = &r.orders;
    let l = &r.ledger;
    let m = &r.memory;
    let statuses = |s: &BTreeMap<u16, u64>| s.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ");
    let lat =
        |x: &Latency| format!("p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms", x.p50, x.p90, x.p99, x.max);
    let fault = |v: &Value| {
        format!(
            "{} of {} requests ({} error statuses, {} dropped connections)",
            v["injected"], v["requests"], v["error_status"], v["dropped_connections"]
        )
    };
    writeln!(out, "\n| what | measured |")?;
    writeln!(out, "| --- | --- |")?;
    writeln!(out, "| generator | {} |", o.tool)?;
    writeln!(
        out,
        "| orders sent | {} of {} prepared, target {} per second over {} connections |",
        o.sent, o.planned, r.settings["target_rate_per_s"], r.settings["connections"]
    )?;
    writeln!(out, "| order rate held | {:.1} per second over {:.1} s |", o.rate, o.seconds)?;
    writeln!(out, "| order webhook answers | {} (no answer: {}) |", statuses(&o.statuses), o.errors)?;
    writeln!(out, "| order webhook latency | {} |", lat(&o.latency_ms))?;
    writeln!(
        out,
        "| result webhooks (Assessio → proxy → gateway) | {} answered ({}) |",
        r.results.answered,
        statuses(&r.results.statuses)
    )?;
    writeln!(out, "| result webhook latency | {} |", lat(&r.results.latency_ms))?;
    writeln!(
        out,
        "| faults at Assessio (orders, +{} ms each) | {} |",
        r.settings["assessio_order_latency_ms"],
        fault(&r.faults["assessio_order"])
    )?;
    writeln!(out, "| faults at Kombo (result writes) | {} |", fault(&r.faults["kombo_result"]))?;
    writeln!(
        out,
        "| reconcile | {} runs, {} orders placed that the webhook could not |",
        l.reconcile_runs, l.reconcile_placed
    )?;
    writeln!(
        out,
        "| ledger | {} placed once and written back once; {} rejected with a reason; {} uncertain, held for the \
         operator (sent once into a fault that hid the outcome); {} never sent (cancelled) |",
        l.placed_and_written_once, l.rejected_with_reason, l.held_uncertain, l.never_sent
    )?;
    writeln!(
        out,
        "| duplicates | {} Assessio orders, {} double write-backs |",
        l.duplicate_assessio_orders, l.double_writes
    )?;
    writeln!(
        out,
        "| deliveries | {} results, {} attempts ({} retries), {} not delivered |",
        l.deliveries,
        l.delivery_attempts,
        l.delivery_attempts.saturating_sub(l.deliveries),
        l.deliveries_given_up
    )?;
    writeln!(
        out,
        "| gateway RSS (MiB) | before {:.1}, warm {:.1}, end of sending {:.1}, settled {:.1}, peak {:.1} (VmHWM {:.1}) |",
        kib(m.before_kib),
        kib(m.warm_kib),
        kib(m.end_of_sending_kib),
        kib(m.settled_kib),
        kib(m.peak_kib),
        kib(m.hwm_kib)
    )?;
    writeln!(out, "| wall time | {:.0} s on {} |", r.wall_seconds, r.machine)?;
    if l.problems.is_empty() {
        writeln!(out, "\nThe ledger balances.")?;
    } else {
        writeln!(out, "\nThe ledger does NOT balance:")?;
        for p in &l.problems {
            writeln!(out, "  - {p}")?;
        }
    }
    Ok(())
}

fn kib(k: u64) -> f64 {
    k as f64 / 1024.0
}
