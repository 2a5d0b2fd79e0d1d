//! `assessio bench`: what the plugin costs through wasmtime, each figure
//! measured in this process beside its baseline (issue 6).
//!
//! Timing is plain `std::time::Instant`: a warm-up that also sizes a batch
//! (enough calls to take about 50 µs), then batches until the row's time
//! budget is spent; the figure is the 10th percentile over batches of the
//! time per call ([`native::Timer`] says why). Nothing here asserts a
//! timing; the targets are printed with ✓ or ✗.
//!
//! Rows: (1) each export on one reused instance against the same
//! `assessio_plugin` function called natively; (2) a fresh instance per call,
//! with the default and the pooling allocator (copy-on-write memory init);
//! (3) cold start, compiling against loading a serialized component;
//! (4) the gateway under load on loopback against an empty handler served by
//! the same host ([`load`]); (5) component sizes and the process's peak RSS
//! during row 4; (6) what the component boundary costs the gateway, composed
//! against linked, on this host and on real Spin ([`boundary`]). The HMAC rows are compared twice: with native code as built
//! (SHA-NI when the CPU has it) and with native code built with software
//! SHA-256 ([`soft_sha`]), the like-for-like baseline.

#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod boundary;
mod floor;
pub mod load;
mod native;
mod size;
mod soft_sha;

use anyhow::Context as _;
use assessio_harness::connector::{Connector, PluginPreGuard, wit};
use assessio_harness::locate;
use assessio_plugin as core_api;
use component_sandbox::{Guard, Limits, Sandbox, deadline_ticks};
use native::Timer;
use serde::Serialize;
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// A smoke run: tiny time budgets, a few calls per row.
    pub quick: bool,
    /// Where the JSON report goes.
    pub out: PathBuf,
    /// The plugin component; default: build it from this checkout.
    pub plugin: Option<PathBuf>,
    /// Only these rows (1 to 6); empty: all. For profiling one row.
    pub only: Vec<u8>,
}

impl BenchOptions {
    /// Defaults: full run, report in `target/bench.json`.
    pub fn new() -> Self {
        Self { quick: false, out: locate::workspace_root().join("target/bench.json"), plugin: None, only: Vec::new() }
    }
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The row number (1 to 5).
    pub row: u8,
    /// What was measured.
    pub what: String,
    /// The figure, in `unit`.
    pub measured: f64,
    /// `ns/op`, `µs/op`, `ms/op`, `bytes` or `KiB`.
    pub unit: String,
    /// What the figure is compared with, when it has a baseline.
    pub baseline_what: Option<String>,
    /// The baseline, in `unit`.
    pub baseline: Option<f64>,
    /// `measured / baseline`.
    pub ratio: Option<f64>,
    /// The target, in words.
    pub target: Option<String>,
    /// Whether the target is met.
    pub target_met: Option<bool>,
    /// Row 4: answers in the measured window.
    pub requests: Option<u64>,
    /// Row 4: answers that were not the expected one (or none came).
    pub failed: Option<u64>,
}

/// The whole report, as written to JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `quick` or `full`.
    pub mode: String,
    /// CPU model and count, as the machine reports them.
    pub machine: String,
    /// Whether the CPU has SHA instructions (native HMAC uses them if so).
    pub cpu_has_sha: bool,
    /// Whether this build forced sha2's software backend.
    pub native_sha_soft: bool,
    /// The rows, in order.
    pub rows: Vec<Row>,
    /// What was not measured, and why.
    pub not_measured: Vec<String>,
    /// What else the run saw (row 4's failed requests, with the first reason).
    pub notes: Vec<String>,
}

/// The median; the slice is sorted in place. Zero for no samples.
fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => samples[n / 2],
        _ => f64::midpoint(samples[n / 2 - 1], samples[n / 2]),
    }
}

fn row(row: u8, what: impl Into<String>, measured: f64, unit: &str) -> Row {
    Row {
        row,
        what: what.into(),
        measured,
        unit: unit.into(),
        baseline_what: None,
        baseline: None,
        ratio: None,
        target: None,
        target_met: None,
        requests: None,
        failed: None,
    }
}

impl Row {
    fn against(mut self, what: impl Into<String>, baseline: f64) -> Self {
        self.baseline_what = Some(what.into());
        self.baseline = Some(baseline);
        self.ratio = Some(self.measured / baseline);
        self
    }

    /// A target on the ratio.
    fn ratio_at_most(mut self, max: f64, words: &str) -> Self {
        self.target_met = self.ratio.map(|r| r <= max);
        self.target = Some(words.into());
        self
    }

    /// A target on the ratio, from below.
    fn ratio_at_least(mut self, min: f64, words: &str) -> Self {
        self.target_met = self.ratio.map(|r| r >= min);
        self.target = Some(words.into());
        self
    }

    /// A target on the measured value.
    fn at_most(mut self, max: f64, words: &str) -> Self {
        self.target_met = Some(self.measured <= max);
        self.target = Some(words.into());
        self
    }
}

/// The inputs every row uses, read from `examples/`: what the native side
/// times too, and what only the component rows need.
struct Inputs {
    native: native::Inputs,
    header: String,
    kombo_event: Vec<u8>,
    /// The files the native side reads them from.
    build_order_call: PathBuf,
    result_file: PathBuf,
}

impl Inputs {
    fn load() -> anyhow::Result<Self> {
        let root = locate::workspace_root();
        let build_order_call = root.join("examples/calls/build-order.json");
        let result_file = root.join("examples/payloads/result-webhook.json");
        let native = native::Inputs::read(&build_order_call, &result_file).map_err(anyhow::Error::msg)?;
        let header = core_api::sign_request(&native.secret, native.timestamp, &native.body)
            .map_err(|e| anyhow::anyhow!("signing the bench body: {e:?}"))?
            .value;
        let kombo_event = load::kombo_event(
            "3bTsTcVk2YyXDqC5VPbDq5s8",
            "PZKtnH1fUJmWyHqBmsPQnZ6P",
            &crate::stack::demo_package(),
            "john.doe@example.com",
        )
        .into_bytes();
        Ok(Self { native, header, kombo_event, build_order_call, result_file })
    }
}

/// Re-arms the deadline of a reused store before each call, as a host that
/// keeps an instance would.
fn arm(store: &mut Store<Guard>, limits: Limits) {
    store.set_epoch_deadline(deadline_ticks(limits.deadline));
}

fn check<T, E: std::fmt::Debug>(what: &str, r: wasmtime::Result<Result<T, E>>) -> anyhow::Result<()> {
    match r {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => anyhow::bail!("{what} refused the bench input: {e:?}"),
        Err(e) => anyhow::bail!("{what} trapped: {e:#}"),
    }
}

/// Runs the suite, printing progress on `progress`, and writes the JSON.
pub fn run(options: &BenchOptions, progress: &mut dyn Write) -> anyhow::Result<Report> {
    let timer = if options.quick {
        Timer { budget: Duration::from_millis(20), warmup: Duration::from_millis(5) }
    } else {
        Timer { budget: Duration::from_millis(1500), warmup: Duration::from_millis(200) }
    };
    let inputs = Inputs::load()?;
    let plugin_path = match &options.plugin {
        Some(p) => p.clone(),
        None => locate::ensure_plugin_built()?,
    };
    let limits = Limits::default();
    let connector = Connector::load(&plugin_path, limits)?;
    let mut rows = Vec::new();

    let mut not_measured = Vec::new();
    let mut notes = Vec::new();
    let wanted = |r: u8| options.only.is_empty() || options.only.contains(&r);

    if wanted(1) {
        let _ = writeln!(progress, "[1/6] plugin exports on a reused instance vs native (hardware and software SHA)");
        let soft = match soft_sha::measure(&timer, &inputs.build_order_call, &inputs.result_file) {
            Ok(t) => Some(t),
            Err(e) => {
                not_measured.push(format!("row 1: native with software SHA-256: {e:#}"));
                None
            }
        };
        reused_rows(&connector, &inputs, &timer, soft, &mut rows, &mut not_measured)?;
    }
    if wanted(2) {
        let _ = writeln!(progress, "[2/6] a fresh instance per call (default and pooling allocators)");
        fresh_rows(&connector, &plugin_path, &inputs, &timer, &mut rows)?;
    }
    if wanted(3) {
        let _ = writeln!(progress, "[3/6] cold start: compile vs load a serialized component");
        cold_rows(&plugin_path, options.quick, &mut rows)?;
    }
    let load_options = if options.quick {
        load::LoadOptions { concurrency: 4, warmup: Duration::ZERO, duration: Duration::from_millis(300) }
    } else {
        load::LoadOptions {
            concurrency: LOAD_CONCURRENCY,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
        }
    };
    let mut gateway_load = None;
    if wanted(4) {
        let _ = writeln!(
            progress,
            "[4/6] gateway on loopback, {} connections: /empty, /health, orders placed and redelivered, results, keep-alive and new connections (store on tmpfs; orders and results again on disk)",
            load_options.concurrency
        );
        match load::run(&load_options) {
            Ok(g) => {
                load_rows(&g, &mut rows);
                notes.extend(g.failures().into_iter().map(|f| format!("row 4: {f}")));
                gateway_load = Some(g);
            }
            Err(e) => not_measured.push(format!("row 4: the gateway under load: {e:#}")),
        }
        match spin_host::real_spin::find() {
            Some(bin) => {
                let _ =
                    writeln!(progress, "[4/6] the same on real Spin ({}), and what its host calls cost", bin.display());
                match load::run_on_spin(&load_options, &bin) {
                    Ok(s) => {
                        spin_load_rows(&s, load_options.concurrency, &mut rows);
                        notes.extend(s.failures().into_iter().map(|f| format!("row 4: {f}")));
                    }
                    Err(e) => not_measured.push(format!("row 4 on real Spin: {e:#}")),
                }
            }
            None => not_measured.push("row 4 on real Spin: no Spin found (set SPIN_BIN or put `spin` on PATH)".into()),
        }
    }
    if wanted(5) {
        let _ = writeln!(progress, "[5/6] component sizes and peak memory");
        size_rows(&plugin_path, gateway_load.as_ref(), &mut rows)?;
    }
    if wanted(6) {
        let _ = writeln!(progress, "[6/6] the component boundary: the gateway composed with the plugin vs linked");
        if let Err(e) = boundary_rows(if options.quick { 3 } else { 60 }, &mut rows, &mut not_measured) {
            not_measured.push(format!("row 6: the component boundary: {e:#}"));
        }
    }

    let report = Report {
        mode: if options.quick { "quick" } else { "full" }.into(),
        machine: machine(),
        cpu_has_sha: cpu_has_sha(),
        native_sha_soft: native::sha_is_soft(),
        rows,
        not_measured,
        notes,
    };
    if let Some(dir) = options.out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&options.out, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("writing {}", options.out.display()))?;
    let _ = writeln!(progress, "wrote {}", options.out.display());
    Ok(report)
}

fn reused_rows(
    connector: &Connector,
    i: &Inputs,
    timer: &Timer,
    soft: Option<native::NativeTimes>,
    rows: &mut Vec<Row>,
    not_measured: &mut Vec<String>,
) -> anyhow::Result<()> {
    let n = &i.native;
    let limits = connector.limits();
    let mut store = connector.sandbox().store();
    let plugin = connector.pre().instantiate(&mut store).map_err(anyhow::Error::from)?;
    let guest: &wit::Guest = plugin.assessio_connector_assessio();

    check("sign-request", guest.call_sign_request(&mut store, &n.secret, n.timestamp, &n.body))?;
    let sign_wasm = timer.ns_per_op(|| {
        arm(&mut store, limits);
        black_box(guest.call_sign_request(&mut store, &n.secret, n.timestamp, black_box(&n.body)).ok());
    });
    arm(&mut store, limits);
    check(
        "verify-signature",
        guest.call_verify_signature(&mut store, Some(&i.header), &n.body, &n.secret, n.timestamp, None),
    )?;
    let verify_wasm = timer.ns_per_op(|| {
        arm(&mut store, limits);
        black_box(
            guest
                .call_verify_signature(&mut store, Some(&i.header), black_box(&n.body), &n.secret, n.timestamp, None)
                .ok(),
        );
    });
    // Native as built, with the same calls and timer the software-SHA helper uses.
    arm(&mut store, limits);
    check("parse-result", guest.call_parse_result(&mut store, &n.result_body))?;
    let parse_wasm = timer.ns_per_op(|| {
        arm(&mut store, limits);
        black_box(guest.call_parse_result(&mut store, black_box(&n.result_body)).ok());
    });
    let parse_answer = format!("{:?}", guest.call_parse_result(&mut store, &n.result_body)?);
    let parse_floor = floor::parse_result_ns(connector, timer, &n.result_body, &parse_answer);

    let (wit_account, wit_order) =
        (assessio_harness::convert::to_wit_account(&n.account), assessio_harness::convert::to_wit_order(&n.order));
    let endpoint = assessio_harness::convert::to_wit_endpoint(core_api::OrderEndpoint::Order);
    arm(&mut store, limits);
    check("build-order", guest.call_build_order(&mut store, &wit_account, &wit_order, endpoint, n.now))?;
    let build_wasm = timer.ns_per_op(|| {
        arm(&mut store, limits);
        black_box(guest.call_build_order(&mut store, &wit_account, &wit_order, endpoint, n.now).ok());
    });

    // Native as built, with the same calls and timer the software-SHA helper uses.
    let built = native::native_times(timer, n).map_err(anyhow::Error::msg)?;
    let built_what = if built.soft {
        "native, software SHA (this build forces it)"
    } else if cpu_has_sha() {
        "native, hardware SHA (SHA-NI)"
    } else {
        "native, software SHA (the CPU has no SHA instructions)"
    };
    // Each export against native as built, then against native with
    // software SHA-256 (like for like: the component has no SHA
    // instructions; parse-result uses no SHA, so its two lines agree).
    let exports = [
        ("sign-request, 1 KiB body, reused instance", sign_wasm, built.sign_ns, soft.map(|s| s.sign_ns), 1.5),
        ("verify-signature, 1 KiB body, reused instance", verify_wasm, built.verify_ns, soft.map(|s| s.verify_ns), 1.5),
        (
            "parse-result, seed payload, reused instance",
            parse_wasm,
            built.parse_result_ns,
            soft.map(|s| s.parse_result_ns),
            2.5,
        ),
        (
            "build-order, examples/calls order, reused instance",
            build_wasm,
            built.build_order_ns,
            soft.map(|s| s.build_order_ns),
            2.5,
        ),
    ];
    for (what, wasm, native_built, native_soft, at_most) in exports {
        let mut r = row(1, what, wasm, "ns/op").against(built_what, native_built);
        r.target = Some("the target is against software SHA (next line)".into());
        rows.push(r);
        let target = format!("≤ {at_most}× native with software SHA");
        if let Some(ns) = native_soft {
            rows.push(
                row(1, what, wasm, "ns/op")
                    .against("native, software SHA (separate build, like for like)", ns)
                    .ratio_at_most(at_most, &target),
            );
        } else {
            let mut r = row(1, what, wasm, "ns/op");
            r.target = Some(format!("? {target}: not measured, see notes"));
            rows.push(r);
        }
    }

    let native_parse = soft.map_or(built.parse_result_ns, |s| s.parse_result_ns);
    floor_rows(parse_floor, parse_wasm, native_parse, rows, not_measured);

    anyhow::ensure!(
        core_api::hubs::kombo::parse_order_event(&i.kombo_event).is_ok(),
        "the bench's Kombo event does not parse"
    );
    let native = timer.ns_per_op(|| {
        black_box(core_api::hubs::kombo::parse_order_event(black_box(&i.kombo_event)).ok());
    });
    let mut r = row(1, "Kombo order event parse, NATIVE ONLY (the plugin does not export it)", native, "ns/op");
    r.target = Some("n/a: no export to compare".into());
    rows.push(r);
    Ok(())
}

/// How `not_measured` begins when parse-result's own work could not be
/// split from the floor (the floor timed above the call).
pub const OWN_WORK_UNSPLIT: &str = "row 1: parse-result's own work:";

/// Row 1's two lines that split `parse-result` (`call_ns`, the plugin's
/// figure) at the floor, each against native `parse_result` (`native_ns`,
/// software-SHA build when there is one: it uses no SHA either way); or why
/// the floor was not measured.
fn floor_rows(
    floor: anyhow::Result<f64>,
    call_ns: f64,
    native_ns: f64,
    rows: &mut Vec<Row>,
    not_measured: &mut Vec<String>,
) {
    let floor = match floor {
        Ok(ns) => ns,
        Err(e) => {
            not_measured.push(format!("row 1: parse-result's floor (host-test/fixtures/abi-floor): {e:#}"));
            return;
        }
    };
    let what = "parse-result, the floor: a component that returns the same result without reading the body \
                (host-test/fixtures/abi-floor)";
    let mut r = row(1, what, floor, "ns/op").against("native parse-result (no boundary)", native_ns);
    r.target = Some("n/a: the boundary's cost for this answer, part of the figure above".into());
    rows.push(r);
    // The two are timed one after the other; on a busy machine (the quick
    // run beside other tests) the floor can come out above the call, and
    // then there is no split to show.
    if floor >= call_ns {
        not_measured.push(format!(
            "{OWN_WORK_UNSPLIT} the floor took {floor:.0} ns and the call {call_ns:.0} ns: too noisy to split"
        ));
        return;
    }
    let what = "parse-result, the plugin's own work: the call minus the floor";
    let mut r = row(1, what, call_ns - floor, "ns/op").against("native parse-result", native_ns);
    r.target = Some("n/a: the plugin's code in WebAssembly against the same code native".into());
    rows.push(r);
}

/// An engine like the sandbox's, with the pooling allocator and
/// copy-on-write memory initialisation.
fn pooling_engine(limits: Limits) -> anyhow::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(8)
        .total_core_instances(64)
        .total_memories(16)
        .total_tables(64)
        .max_memory_size(limits.memory_bytes);
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.max_wasm_stack(1 << 20);
    config.memory_init_cow(true);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Ok(Engine::new(&config)?)
}

fn fresh_rows(
    connector: &Connector,
    plugin_path: &Path,
    i: &Inputs,
    timer: &Timer,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let limits = connector.limits();
    let sandbox = connector.sandbox();

    // The baseline for the totals: parse-result on a reused instance.
    let mut store = sandbox.store();
    let plugin = connector.pre().instantiate(&mut store).map_err(anyhow::Error::from)?;
    let reused = timer.ns_per_op(|| {
        arm(&mut store, limits);
        black_box(
            plugin.assessio_connector_assessio().call_parse_result(&mut store, black_box(&i.native.result_body)).ok(),
        );
    });
    drop(store);

    // Default allocator: the Connector's own engine and InstancePre.
    let inst_default = measure_instantiate(timer, || sandbox.store(), connector.pre())?;
    let total_default = measure_total(timer, || sandbox.store(), connector.pre(), &i.native.result_body)?;

    // Pooling allocator with copy-on-write init: a separate engine, its own
    // ticker (a Sandbox's stops when it drops), the same component and limits.
    let engine = pooling_engine(limits)?;
    let stop = component_sandbox::start_epoch_ticker(&engine, "bench-epoch-ticker")?;
    let bytes = std::fs::read(plugin_path)?;
    let component = Component::new(&engine, &bytes).map_err(anyhow::Error::from)?;
    let pre = Linker::<Guard>::new(&engine).instantiate_pre(&component).map_err(anyhow::Error::from)?;
    let pre = PluginPreGuard::new(pre).map_err(anyhow::Error::from)?;
    let pooled_store = || {
        let mut store = Store::new(&engine, Guard::new(limits.memory_bytes));
        store.limiter(|g| g);
        store.set_epoch_deadline(deadline_ticks(limits.deadline));
        store.epoch_deadline_trap();
        store
    };
    let inst_pool = measure_instantiate(timer, pooled_store, &pre)?;
    let total_pool = measure_total(timer, pooled_store, &pre, &i.native.result_body)?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);

    let us = |ns: f64| ns / 1000.0;
    rows.push(
        row(2, "instantiate alone (new store + instantiate + drop), default allocator", us(inst_default), "µs/op")
            .at_most(10.0, "≤ 10 µs"),
    );
    rows.push(
        row(2, "instantiate alone, pooling allocator + copy-on-write init", us(inst_pool), "µs/op")
            .against("default allocator", us(inst_default))
            .at_most(10.0, "≤ 10 µs"),
    );
    rows.push(
        row(2, "parse-result, fresh instance per call, default allocator", us(total_default), "µs/op")
            .against("reused instance", us(reused)),
    );
    rows.push(
        row(2, "parse-result, fresh instance per call, pooling + CoW", us(total_pool), "µs/op")
            .against("reused instance", us(reused)),
    );
    Ok(())
}

fn measure_instantiate(timer: &Timer, store: impl Fn() -> Store<Guard>, pre: &PluginPreGuard) -> anyhow::Result<f64> {
    let mut s = store();
    pre.instantiate(&mut s).map_err(anyhow::Error::from)?;
    drop(s);
    Ok(timer.ns_per_op(|| {
        let mut s = store();
        black_box(pre.instantiate(&mut s).is_ok());
    }))
}

fn measure_total(
    timer: &Timer,
    store: impl Fn() -> Store<Guard>,
    pre: &PluginPreGuard,
    body: &[u8],
) -> anyhow::Result<f64> {
    let mut s = store();
    let p = pre.instantiate(&mut s).map_err(anyhow::Error::from)?;
    check("parse-result (fresh instance)", p.assessio_connector_assessio().call_parse_result(&mut s, body))?;
    drop(s);
    Ok(timer.ns_per_op(|| {
        let mut s = store();
        if let Ok(p) = pre.instantiate(&mut s) {
            black_box(p.assessio_connector_assessio().call_parse_result(&mut s, black_box(body)).ok());
        }
    }))
}

/// Loads a component that this same engine serialized moments ago.
#[allow(unsafe_code)]
fn load_serialized(engine: &Engine, bytes: &[u8]) -> anyhow::Result<Component> {
    // SAFETY: `bytes` come from `Component::serialize` on this same engine,
    // in this process, and are never modified or read from disk: exactly
    // what `Component::deserialize` requires to be trusted.
    unsafe { Component::deserialize(engine, bytes) }.map_err(anyhow::Error::from)
}

fn cold_rows(plugin_path: &Path, quick: bool, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let sandbox = Sandbox::new(Limits::default())?;
    let engine = sandbox.engine();
    let bytes = std::fs::read(plugin_path)?;
    let (compiles, loads) = if quick { (1, 3) } else { (5, 200) };
    let mut compile = Vec::new();
    let mut component = Component::new(engine, &bytes).map_err(anyhow::Error::from)?; // warm-up
    for _ in 0..compiles {
        let t = Instant::now();
        component = Component::new(engine, &bytes).map_err(anyhow::Error::from)?;
        compile.push(t.elapsed().as_nanos() as f64);
    }
    let serialized = component.serialize().map_err(anyhow::Error::from)?;
    black_box(load_serialized(engine, &serialized)?);
    let mut load = Vec::new();
    for _ in 0..loads {
        let t = Instant::now();
        black_box(load_serialized(engine, &serialized)?);
        load.push(t.elapsed().as_nanos() as f64);
    }
    let ms = |ns: f64| ns / 1e6;
    let compile = ms(median(&mut compile));
    rows.push(row(3, "cold start: Component::new (compile with Cranelift)", compile, "ms/op"));
    rows.push(
        row(3, "cold start: Component::deserialize of serialized bytes", ms(median(&mut load)), "ms/op")
            .against("compile", compile)
            .at_most(1.0, "≤ 1 ms"),
    );
    Ok(())
}

/// Row 4's connections: enough to keep both cores busy with the host's
/// fresh-instance-per-request model and the upstream waits of the gateway.
pub const LOAD_CONCURRENCY: usize = 8;

/// Throughput, p50 and p99 of one load scenario, each against `base` when
/// given, with the answers counted; `target` shapes the throughput row.
fn scenario_rows(
    rows: &mut Vec<Row>,
    name: &str,
    f: &load::LoadFigures,
    base: Option<(&str, &load::LoadFigures)>,
    targets: Option<Targets>,
) {
    let counted = |mut r: Row| {
        r.requests = Some(f.requests);
        r.failed = Some(f.failed);
        r
    };
    let vs = |r: Row, pick: fn(&load::LoadFigures) -> f64| match base {
        Some((what, b)) => r.against(what, pick(b)),
        None => r,
    };
    let mut rps = vs(row(4, format!("{name}: throughput"), f.rps, "req/s"), |x| x.rps);
    let mut p90 = vs(row(4, format!("{name}: p90 latency"), f.p90_ms, "ms"), |x| x.p90_ms);
    match targets {
        None => rps.target = Some("the baseline of the lines below".into()),
        Some(t) => {
            if t.share {
                rps = rps.ratio_at_least(0.7, "≥ 70 % of /empty");
            }
            if let Some(ms) = t.p90_ms {
                p90 = p90.at_most(ms, &format!("p90 ≤ {ms} ms"));
            }
            if let Some(note) = t.note {
                rps.target = Some(note.into());
            }
        }
    }
    rows.push(counted(rps));
    rows.push(counted(vs(row(4, format!("{name}: p50 latency"), f.p50_ms, "ms"), |x| x.p50_ms)));
    rows.push(counted(p90));
    rows.push(counted(vs(row(4, format!("{name}: p99 latency"), f.p99_ms, "ms"), |x| x.p99_ms)));
}

fn load_rows(g: &load::GatewayLoad, rows: &mut Vec<Row>) {
    let mem = format!(", store on {}", g.memory_store.fs);
    engine_rows("", &mem, &g.host, g.concurrency, true, rows);
    let disk = format!("store on {}, fsync per write", g.disk_store.fs);
    for (name, f) in [
        (format!("POST /kombo/webhook, {disk}"), &g.order_disk),
        (format!("POST /assessio/results/{{id}}, {disk}"), &g.result_disk),
    ] {
        let informative =
            Targets { share: false, p90_ms: None, note: Some("informative: the store's fsync, see notes") };
        scenario_rows(rows, &name, f, Some(("/empty", &g.host.empty)), Some(informative));
    }
}

/// Row 4 on real Spin: each scenario against Spin's own `/empty`.
fn spin_load_rows(s: &load::SpinLoad, c: usize, rows: &mut Vec<Row>) {
    engine_rows("real Spin: ", "", &s.gateway, c, false, rows);
    let base = Some(("/empty, keep-alive", &s.gateway.empty));
    for (name, f) in &s.host_calls {
        let note = Targets { share: false, p90_ms: None, note: Some("informative: what one host call costs") };
        scenario_rows(rows, &format!("real Spin, probe: {name}, keep-alive"), f, base, Some(note));
    }
    let bound =
        Targets { share: false, p90_ms: None, note: Some("informative: the bound of any route that reads a setting") };
    scenario_rows(
        rows,
        &format!("real Spin, probe: GET /var/greeting: one variable read, a new connection per request, {c} at once"),
        &s.variable_fresh,
        Some(("/empty, new connections", &s.gateway.empty_fresh)),
        Some(bound),
    );
    let bound = Targets {
        share: false,
        p90_ms: None,
        note: Some("informative: the bound of a route that calls the store once (/health, redelivery)"),
    };
    scenario_rows(
        rows,
        &format!("real Spin, probe: GET /kv/<key>: one key-value read, a new connection per request, {c} at once"),
        &s.store_read_fresh,
        Some(("/empty, new connections", &s.gateway.empty_fresh)),
        Some(bound),
    );
    // The same two held routes, the settings given as an operator may give
    // them instead: `spin up --variable @FILE`.
    let file = "real Spin, settings from a file (--variable @FILE): ";
    let fresh = format!("a new connection per request, {c} at once");
    let on_fresh = Some(("/empty, new connections", &s.gateway.empty_fresh));
    let held = Targets { share: true, p90_ms: None, note: None };
    let feeder = Targets { share: false, p90_ms: None, note: Some("informative: places the orders redelivered below") };
    let on_keep = Some(("/empty, keep-alive", &s.gateway.empty));
    scenario_rows(rows, &format!("{file}GET /health, {fresh}"), &s.settings_file.health_fresh, on_fresh, Some(held));
    let placed = format!("{file}POST /kombo/webhook, a new order placed each");
    scenario_rows(rows, &placed, &s.settings_file.order, on_keep, Some(feeder));
    let redelivered = format!("{file}POST /kombo/webhook, redelivered, {fresh}");
    scenario_rows(rows, &redelivered, &s.settings_file.redelivery_fresh, on_fresh, Some(held));
}

/// One engine's scenarios, each against that engine's `/empty` over the
/// same kind of connection. The targets (issue 16): with a new connection
/// per request, `/health` and redelivery at ≥ 70 % of `/empty`; on
/// keep-alive, no p90 above 5 ms for a route that waits on no upstream.
/// `upstream_targets`: also hold orders and results to ≥ 70 % of `/empty`
/// (this host's target; on Spin they are measured, not held).
fn engine_rows(engine: &str, store: &str, e: &load::EngineLoad, c: usize, upstream_targets: bool, rows: &mut Vec<Row>) {
    let keep = format!("{c} keep-alive connections");
    let fresh = format!("a new connection per request, {c} at once");
    for (name, f) in [(&keep, &e.empty), (&fresh, &e.empty_fresh)] {
        let name = format!("{engine}GET /empty (spin-probe, the ceiling), {name}");
        scenario_rows(rows, &name, f, None, None);
    }
    let on_keep = ("/empty, keep-alive", &e.empty);
    let on_fresh = ("/empty, new connections", &e.empty_fresh);
    let no_upstream = Targets { share: false, p90_ms: Some(5.0), note: None };
    let upstream = Targets { share: upstream_targets, p90_ms: None, note: None };
    let held = Targets { share: true, p90_ms: None, note: None };
    for (name, f, base, targets) in [
        ("GET /health, keep-alive".to_string(), &e.health, on_keep, no_upstream),
        (format!("POST /kombo/webhook, a new order placed each{store}"), &e.order, on_keep, upstream),
        (format!("POST /kombo/webhook, placed orders redelivered{store}"), &e.redelivery, on_keep, no_upstream),
        (format!("POST /assessio/results/{{id}}, each written back to Kombo{store}"), &e.result, on_keep, upstream),
        (format!("GET /health, {fresh}"), &e.health_fresh, on_fresh, held),
        (format!("POST /kombo/webhook, redelivered, {fresh}"), &e.redelivery_fresh, on_fresh, held),
    ] {
        scenario_rows(rows, &format!("{engine}{name}"), f, Some(base), Some(targets));
    }
}

/// What a scenario's lines are held to.
#[derive(Clone, Copy)]
struct Targets {
    /// Throughput at ≥ 70 % of the baseline's.
    share: bool,
    /// The p90 at most this, in ms.
    p90_ms: Option<f64>,
    /// What the throughput line says instead of a target.
    note: Option<&'static str>,
}

/// Row 6: order and result webhooks, one at a time, through the composed
/// gateway and the linked one, on each engine there is.
fn boundary_rows(orders: usize, rows: &mut Vec<Row>, not_measured: &mut Vec<String>) -> anyhow::Result<()> {
    locate::ensure_app_built()?;
    let linked = boundary::build_linked_gateway()?;
    let work = std::env::temp_dir().join(format!("assessio-bench-boundary-{}", std::process::id()));
    let linked_manifest = boundary::linked_manifest(&work.join("linked"), &linked)?;
    let mut engines = vec![("this host", crate::stack::Engine::Embedded)];
    match spin_host::real_spin::find() {
        Some(bin) => engines.push(("real Spin", crate::stack::Engine::Spin(bin))),
        None => not_measured.push("row 6 on real Spin: no Spin found (set SPIN_BIN or put `spin` on PATH)".into()),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    for (name, engine) in engines {
        let kv = work.join("kv");
        let composed = runtime.block_on(boundary::measure(&engine, None, &kv, orders))?;
        let linked = runtime.block_on(boundary::measure(&engine, Some(linked_manifest.clone()), &kv, orders))?;
        for (path, c, l) in [("order webhook", composed.0, linked.0), ("result webhook", composed.1, linked.1)] {
            let what = |q: &str| format!("{path} on {name}, {q}, composed (plugin imported), {orders} one at a time");
            rows.push(row(6, what("p50"), c.0, "ms").against("linked (plugin crate in the gateway)", l.0));
            rows.push(row(6, what("p99"), c.1, "ms").against("linked (plugin crate in the gateway)", l.1));
        }
    }
    let linked_size = std::fs::metadata(&linked)?.len() as f64;
    let composed_size = std::fs::metadata(locate::component_path("assessio-gateway", "release"))?.len() as f64;
    rows.push(
        row(6, "gateway component size, importing the connector", composed_size, "bytes")
            .against("the same gateway with the plugin crate linked in", linked_size),
    );
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

fn size_rows(plugin_path: &Path, gateway_load: Option<&load::GatewayLoad>, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let bytes = std::fs::read(plugin_path).with_context(|| format!("reading {}", plugin_path.display()))?;
    let plugin = bytes.len() as f64;
    rows.push(row(5, "plugin component size", plugin, "bytes").at_most(150_000.0, "≤ 150 KB"));
    let parts = size::parts(&bytes)?;
    for (what, part) in [
        (format!("plugin: code ({} function bodies)", parts.functions), parts.code),
        ("plugin: data (strings, tables, constants)".to_string(), parts.data),
        ("plugin: the core module's other sections".to_string(), parts.module_rest),
        ("plugin: the component wrapper (WIT types, canonical-ABI glue)".to_string(), parts.wrapper),
    ] {
        let mut r = row(5, what, part as f64, "bytes").against("the whole plugin", plugin);
        r.target = Some("a share, see docs/performance.md".into());
        rows.push(r);
    }
    let gateway = locate::ensure_component_built("assessio-gateway", "release")?;
    let gateway = std::fs::metadata(&gateway)?.len() as f64;
    rows.push(row(5, "gateway component size", gateway, "bytes").at_most(1_500_000.0, "≤ 1.5 MB"));
    let peak = gateway_load.and_then(|g| g.peak_rss_kib.map(|p| (p, g.peak_reset, g.rss_before_kib)));
    match peak {
        Some((kib, true, before)) => {
            let mut r = row(5, "peak RSS during row 4 (one process: host, gateway, simulators, load)", kib, "KiB");
            if let Some(before) = before {
                r = r.against("RSS before row 4", before);
            }
            r.target = Some("none set".into());
            rows.push(r);
        }
        _ => {
            if let Some(kib) = load::proc_status_kib("VmHWM:") {
                let mut r =
                    row(5, "peak RSS of this process since it started (VmHWM; not resettable here)", kib, "KiB");
                r.target = Some("none set".into());
                rows.push(r);
            }
        }
    }
    Ok(())
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU", str::trim)
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!("{model}, {cores} cores available")
}

fn cpu_has_sha() -> bool {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        std::arch::is_x86_feature_detected!("sha")
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        false
    }
}

fn fmt_num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The report as a Markdown table (the README carries one), then the notes.
pub fn print_table(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "machine: {} ({} run); CPU SHA instructions: {}; native sha2 forced to software: {}",
        report.machine, report.mode, report.cpu_has_sha, report.native_sha_soft
    )?;
    writeln!(out)?;
    writeln!(out, "| row | what | measured | baseline | ratio | target |")?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
    for r in &report.rows {
        let baseline = match (&r.baseline_what, r.baseline) {
            (Some(w), Some(b)) => format!("{} {} ({w})", fmt_num(b), r.unit),
            _ => "—".into(),
        };
        let ratio =
            r.ratio.map_or_else(|| "—".into(), |x| if x < 0.01 { format!("{x:.4}×") } else { format!("{x:.2}×") });
        let target = match (&r.target, r.target_met) {
            (Some(t), Some(true)) => format!("✓ {t}"),
            (Some(t), Some(false)) => format!("✗ {t}"),
            (Some(t), None) => t.clone(),
            (None, _) => "—".into(),
        };
        let what = match (r.requests, r.failed) {
            (Some(n), Some(f)) if r.unit == "req/s" => format!("{} ({n} answers, {f} failed)", r.what),
            _ => r.what.clone(),
        };
        writeln!(out, "| {} | {what} | {} {} | {baseline} | {ratio} | {target} |", r.row, fmt_num(r.measured), r.unit)?;
    }
    writeln!(out)?;
    for note in report.not_measured.iter().chain(&report.notes) {
        writeln!(out, "- {note}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_result_splits_at_the_floor_or_says_why_not() {
        let (mut rows, mut not_measured) = (Vec::new(), Vec::new());
        floor_rows(Ok(300.0), 800.0, 600.0, &mut rows, &mut not_measured);
        assert_eq!(rows.iter().map(|r| r.measured).collect::<Vec<_>>(), [300.0, 500.0]);
        assert_eq!(rows.iter().map(|r| r.ratio).collect::<Vec<_>>(), [Some(0.5), Some(500.0 / 600.0)]);
        assert!(not_measured.is_empty());

        let (mut rows, mut not_measured) = (Vec::new(), Vec::new());
        floor_rows(Ok(900.0), 800.0, 600.0, &mut rows, &mut not_measured);
        assert_eq!(rows.len(), 1, "the floor, and no negative own work");
        assert!(not_measured[0].starts_with(OWN_WORK_UNSPLIT) && not_measured[0].contains("the call 800 ns"));

        let (mut rows, mut not_measured) = (Vec::new(), Vec::new());
        floor_rows(Err(anyhow::anyhow!("no cargo")), 800.0, 600.0, &mut rows, &mut not_measured);
        assert!(rows.is_empty() && not_measured[0].contains("no cargo"), "{not_measured:?}");
    }
}
