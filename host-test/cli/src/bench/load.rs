//! Row 4: the gateway under load on loopback, against the host's ceiling.
//!
//! The gateway (root `spin.toml`) is served by this crate's Spin host with
//! Assessio's and Kombo's simulators as its upstreams ([`Stack`], the same
//! wiring as `assessio up`), and the probe component's `/empty` route is
//! served by the same host beside it: a handler that does nothing, so its
//! throughput is what the host itself allows at that concurrency.
//!
//! No load tool is assumed on the machine (wrk is not on a new one), so the
//! load comes from here: a fixed number of workers on one pooled keep-alive
//! HTTP client, each sending its next request as soon as the last one is
//! answered, first for a warm-up and then for the measured window. Each
//! request's latency is recorded; throughput is answers per second over the
//! window. Every scenario takes the real path, and an answer that says
//! otherwise counts as a failure:
//!
//! - `/health`: the gateway's own check of its settings, no upstream;
//! - orders: each request is a new Kombo order (its own id and candidate
//!   email, created in Kombo's simulator first so the later write-back finds
//!   it), correctly signed; the gateway must answer `placed`, not `already`;
//! - redeliveries: the webhooks of orders already placed, sent again as Kombo
//!   retries them; the gateway must answer `placed` with `already`, from its
//!   store, without calling Assessio;
//! - results: one result per order the order scenario placed, with Assessio's
//!   credentials; the gateway must answer `written`, not `already`. The
//!   window also ends when the placed orders run out.
//!
//! `/empty`, `/health` and redelivery run twice: on keep-alive connections,
//! and with a new connection per request (a client without a pool, each
//! connection closed after its answer), each against `/empty` the same way.
//!
//! Where real Spin is installed ([`spin_host::real_spin::find`]), the same
//! scenarios run again on it ([`run_on_spin`]):
//! the probe's `/empty` and the root `spin.toml` each under `spin up`, the
//! store Spin's default (`SQLite`, in a tmpfs state directory), the same
//! client and concurrency.
//!
//! The host's key-value store appends and syncs one record on every write
//! (see `spin::key_value`), so where that file lives still weighs on the
//! gateway's figure. Orders and results therefore run again with the store
//! on the disk under `target/`, where `assessio up` keeps it, beside the
//! run with it on tmpfs (`/dev/shm`), which measures the host and the gateway.

#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use crate::stack::{INTEGRATION, Stack, StackOptions, demo_package, secrets};
use anyhow::Context as _;
use assessio_harness::locate;
use assessio_simulators::{ClientResponse, HttpClient, NewOrder, kombo_signature};
use bytes::Bytes;
use http::Method;
use spin_host::server::ServerHandle;
use spin_host::variables::EnvSource;
use spin_host::{SpinApp, SpinOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How hard and how long to push.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Requests in flight at once (one connection each).
    pub concurrency: usize,
    /// Load before the measured window, not recorded.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
}

/// One scenario's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadFigures {
    /// Answers in the measured window, failures included.
    pub requests: u64,
    /// Answers that were not the expected one, and requests that got none.
    pub failed: u64,
    /// The first failure, for the report.
    pub first_failure: Option<String>,
    /// The window's length, in seconds.
    pub seconds: f64,
    /// Answers per second over the window.
    pub rps: f64,
    /// Median latency, in ms.
    pub p50_ms: f64,
    /// 90th-percentile latency, in ms.
    pub p90_ms: f64,
    /// 99th-percentile latency, in ms.
    pub p99_ms: f64,
}

/// Row 4's scenarios on one engine.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineLoad {
    /// The probe's `/empty` on keep-alive connections: the ceiling.
    pub empty: LoadFigures,
    /// `/empty` with a new connection per request.
    pub empty_fresh: LoadFigures,
    /// The gateway's `GET /health`, keep-alive.
    pub health: LoadFigures,
    /// `GET /health`, a new connection per request.
    pub health_fresh: LoadFigures,
    /// `POST /kombo/webhook`, each a new order placed at Assessio.
    pub order: LoadFigures,
    /// `POST /kombo/webhook` again for placed orders, keep-alive.
    pub redelivery: LoadFigures,
    /// Redeliveries, a new connection per request.
    pub redelivery_fresh: LoadFigures,
    /// `POST /assessio/results/{id}`, each written back to Kombo.
    pub result: LoadFigures,
}

impl EngineLoad {
    /// Every scenario with its name.
    pub fn named(&self) -> [(&'static str, &LoadFigures); 8] {
        [
            ("/empty", &self.empty),
            ("/empty, new connections", &self.empty_fresh),
            ("/health", &self.health),
            ("/health, new connections", &self.health_fresh),
            ("order webhook", &self.order),
            ("order redelivery", &self.redelivery),
            ("order redelivery, new connections", &self.redelivery_fresh),
            ("result webhook", &self.result),
        ]
    }

    /// One line per scenario that had failures, with the first.
    pub fn failures(&self, engine: &str) -> Vec<String> {
        failure_lines(engine, &self.named())
    }
}

fn failure_lines(engine: &str, scenarios: &[(&str, &LoadFigures)]) -> Vec<String> {
    scenarios
        .iter()
        .filter(|(_, f)| f.failed > 0)
        .map(|(name, f)| {
            format!(
                "{engine}, {name}: {} of {} answers were not the real path's; first: {}",
                f.failed,
                f.requests,
                f.first_failure.as_deref().unwrap_or("?")
            )
        })
        .collect()
}

/// Everything row 4 measured on this crate's host.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayLoad {
    /// Every scenario, the store on `memory_store`.
    pub host: EngineLoad,
    /// Where the gateway's key-value store was for those.
    pub memory_store: Store,
    /// The order scenario again, with the store on disk, where `assessio
    /// up` keeps it (under `target/`).
    pub order_disk: LoadFigures,
    /// The result scenario again, with the store on disk.
    pub result_disk: LoadFigures,
    /// Where that store was.
    pub disk_store: Store,
    /// The concurrency all of them ran at.
    pub concurrency: usize,
    /// This process's resident memory before row 4, in KiB.
    pub rss_before_kib: Option<f64>,
    /// This process's peak resident memory during row 4 (or, if the peak
    /// could not be reset, since it started), in KiB.
    pub peak_rss_kib: Option<f64>,
    /// Whether the peak was reset at the start of row 4.
    pub peak_reset: bool,
}

impl GatewayLoad {
    /// One line per scenario that had failures, with the first.
    pub fn failures(&self) -> Vec<String> {
        let mut lines = self.host.failures("this host");
        let disk = [
            ("order webhook (store on disk)", &self.order_disk),
            ("result webhook (store on disk)", &self.result_disk),
        ];
        lines.extend(failure_lines("this host", &disk));
        lines
    }
}

/// Where a scenario's key-value store lived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    /// The directory (removed after the run).
    pub dir: PathBuf,
    /// Its file system (`tmpfs`, `ext4`, ...), from `/proc/mounts`.
    pub fs: String,
}

/// One request, ready to send.
struct Prepared {
    method: Method,
    url: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
    /// What the scenario keeps of a success (the order it placed).
    tag: Option<Placed>,
}

/// An order the order scenario placed: what the redelivery and result
/// scenarios send about it.
#[derive(Clone)]
struct Placed {
    order_id: String,
    body: Bytes,
    signature: String,
}

type PlacedList = Arc<Mutex<Vec<Placed>>>;

type Next = Arc<dyn Fn() -> anyhow::Result<Option<Prepared>> + Send + Sync>;
type Check = fn(&ClientResponse) -> Result<(), String>;

/// Row 4 on real Spin (the binary `bin`), on a runtime of its own.
pub fn run_on_spin(options: &LoadOptions, bin: &Path) -> anyhow::Result<SpinLoad> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    runtime.block_on(async {
        let clients = Clients::new();
        let probe_dir = TempDir::in_dir(&memory_dir(), "spin-probe")?;
        let manifest = probe_manifest(&probe_dir.0)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let envs = [("SPIN_VARIABLE_API_KEY".to_string(), "bench-probe-key".to_string())];
        let launch = spin_host::real_spin::SpinLaunch {
            bin,
            manifest: &manifest,
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            state_dir: &probe_dir.0.join("state"),
            envs: &envs,
            runtime_config: None,
            variables_file: None,
        };
        let probe = tokio::task::block_in_place(|| spin_host::real_spin::SpinProcess::start(&launch))?;
        let empty = both_ways(&clients, options, get_requests(probe.url("/empty")), check_empty).await?;
        let host_calls = host_calls(&clients.keep, options, &probe).await?;
        let greeting = get_requests(probe.url("/var/greeting"));
        let variable_fresh = drive(&clients.fresh, options, greeting, check_ok, None).await?;
        // `host_calls` stored the key.
        let stored = get_requests(probe.url("/kv/bench-key"));
        let store_read_fresh = drive(&clients.fresh, options, stored, check_ok, None).await?;
        drop(probe);

        let kv = TempDir::in_dir(&memory_dir(), "spin-gateway")?;
        let engine = crate::stack::Engine::Spin(bin.to_path_buf());
        let stack = Stack::start(StackOptions { auto_complete: None, engine, ..StackOptions::new(&kv.0) })
            .await
            .context("starting the simulators and the gateway on real Spin")?;
        let gateway = every_scenario(&clients, options, empty, stack).await?;

        let kv = TempDir::in_dir(&memory_dir(), "spin-gateway-file")?;
        let engine = crate::stack::Engine::Spin(bin.to_path_buf());
        let spin_settings = crate::stack::SpinSettings::File;
        let stack =
            Stack::start(StackOptions { auto_complete: None, engine, spin_settings, ..StackOptions::new(&kv.0) })
                .await
                .context("starting the gateway on real Spin with its settings from a file")?;
        let settings_file = fresh_scenarios(&clients, options, stack).await?;
        Ok(SpinLoad { gateway, host_calls, variable_fresh, store_read_fresh, settings_file })
    })
}

/// Row 4 on real Spin: the gateway's scenarios, and what Spin's host calls
/// cost on their own.
#[derive(Debug, Clone, PartialEq)]
pub struct SpinLoad {
    /// The same scenarios as on this crate's host.
    pub gateway: EngineLoad,
    /// The probe's routes that each make one host call, keep-alive, named;
    /// compared with `gateway.empty` they say what a request pays per call.
    pub host_calls: Vec<(&'static str, LoadFigures)>,
    /// The probe's one variable read with a new connection per request:
    /// the most a gateway route can reach on Spin with new connections,
    /// since every route reads at least one setting, and Spin's variable
    /// provider hands its worker thread over (`block_in_place`) on each
    /// request's first read.
    pub variable_fresh: LoadFigures,
    /// The probe's one key-value read with a new connection per request:
    /// the most a route that reads or writes the store once can reach
    /// (`/health` reads the uncertain-order count, a redelivery the order's
    /// record), since Spin's `SQLite` store also hands the thread over per
    /// call.
    pub store_read_fresh: LoadFigures,
    /// The gateway again, given its settings as `spin up --variable @FILE`
    /// (Spin's static provider) rather than the environment.
    pub settings_file: FreshLoad,
}

/// The two gateway routes held to a share of `/empty` with a new connection
/// per request, and the orders that feed the second.
#[derive(Debug, Clone, PartialEq)]
pub struct FreshLoad {
    /// `GET /health`, a new connection each.
    pub health_fresh: LoadFigures,
    /// New orders placed, keep-alive: what `redelivery_fresh` redelivers.
    pub order: LoadFigures,
    /// Placed orders redelivered, a new connection each.
    pub redelivery_fresh: LoadFigures,
}

impl SpinLoad {
    /// One line per scenario that had failures, with the first.
    pub fn failures(&self) -> Vec<String> {
        let mut lines = self.gateway.failures("real Spin");
        let calls: Vec<(&str, &LoadFigures)> = self.host_calls.iter().map(|(n, f)| (*n, f)).collect();
        lines.extend(failure_lines("real Spin, probe", &calls));
        lines.extend(failure_lines(
            "real Spin, probe, new connections",
            &[("GET /var/greeting", &self.variable_fresh), ("GET /kv/<key>", &self.store_read_fresh)],
        ));
        let file = &self.settings_file;
        lines.extend(failure_lines(
            "real Spin, settings from a file",
            &[
                ("GET /health, new connections", &file.health_fresh),
                ("order webhook", &file.order),
                ("order redelivery, new connections", &file.redelivery_fresh),
            ],
        ));
        lines
    }
}

/// The probe's one-call routes under load: a variable read, a key-value
/// read, write and increment (Spin's `SQLite` store: the increment and the
/// write are each a transaction), and an outbound request (to the probe's
/// own `/empty`, so it also serves that request).
async fn host_calls(
    client: &HttpClient,
    options: &LoadOptions,
    probe: &spin_host::real_spin::SpinProcess,
) -> anyhow::Result<Vec<(&'static str, LoadFigures)>> {
    let key = probe.url("/kv/bench-key");
    let answer = client.request(Method::PUT, &key, &[], Bytes::from_static(b"0123456789abcdef")).await;
    anyhow::ensure!(answer.is_ok_and(|r| r.status == 200), "the probe did not store its key");
    let fetch = probe.url(&format!("/fetch?url={}", probe.url("/empty")));
    let put = {
        let key = key.clone();
        Arc::new(move || {
            let body = Bytes::from_static(b"0123456789abcdef");
            Ok(Some(Prepared { method: Method::PUT, url: key.clone(), headers: Vec::new(), body, tag: None }))
        }) as Next
    };
    let incr = {
        let url = probe.url("/incr/bench-counter?by=0");
        Arc::new(move || {
            Ok(Some(Prepared {
                method: Method::POST,
                url: url.clone(),
                headers: Vec::new(),
                body: Bytes::new(),
                tag: None,
            }))
        }) as Next
    };
    let mut figures = Vec::new();
    for (name, next) in [
        ("GET /var/greeting: one variable read", get_requests(probe.url("/var/greeting"))),
        ("GET /kv/<key>: one key-value read", get_requests(key.clone())),
        ("PUT /kv/<key>: one key-value write", put),
        ("POST /incr/<key>?by=0: one atomic increment", incr),
        ("GET /fetch?url=<its /empty>: one outbound request", get_requests(fetch.clone())),
    ] {
        figures.push((name, drive(client, options, next, check_ok, None).await?));
    }
    Ok(figures)
}

fn check_ok(r: &ClientResponse) -> Result<(), String> {
    if r.status == 200 { Ok(()) } else { Err(format!("HTTP {}: {}", r.status, r.text())) }
}

/// The two clients: one pooling keep-alive connections, one opening a new
/// connection per request.
struct Clients {
    keep: HttpClient,
    fresh: HttpClient,
}

impl Clients {
    fn new() -> Self {
        Self {
            keep: HttpClient::new(Duration::from_mins(1)),
            fresh: HttpClient::fresh_connections(Duration::from_mins(1)),
        }
    }
}

/// A scenario on keep-alive connections, then with new ones.
async fn both_ways(
    clients: &Clients,
    options: &LoadOptions,
    next: Next,
    check: Check,
) -> anyhow::Result<(LoadFigures, LoadFigures)> {
    let keep = drive(&clients.keep, options, Arc::clone(&next), check, None).await?;
    let fresh = drive(&clients.fresh, options, next, check, None).await?;
    Ok((keep, fresh))
}

/// The gateway's scenarios on `stack`, in the order that feeds them:
/// `/health`, orders placed, those orders redelivered, their results.
async fn every_scenario(
    clients: &Clients,
    options: &LoadOptions,
    (empty, empty_fresh): (LoadFigures, LoadFigures),
    stack: Stack,
) -> anyhow::Result<EngineLoad> {
    let stack = Arc::new(stack);
    let (health, health_fresh) =
        both_ways(clients, options, get_requests(stack.gateway.url("/health")), check_health).await?;
    let (order, placed) = place_orders(clients, options, &stack).await?;
    let snapshot = placed.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let (redelivery, redelivery_fresh) =
        both_ways(clients, options, redelivery_requests(&stack, snapshot)?, check_redelivery).await?;
    let result = drive(&clients.keep, options, result_requests(&stack, &placed), check_result, None).await?;
    // The request makers held the stack; they are gone once `drive` returns.
    if let Ok(stack) = Arc::try_unwrap(stack) {
        stack.shutdown().await;
    }
    Ok(EngineLoad { empty, empty_fresh, health, health_fresh, order, redelivery, redelivery_fresh, result })
}

/// New Kombo orders on keep-alive connections, each checked placed; the
/// list of those placed is what redelivery and result scenarios send about.
async fn place_orders(
    clients: &Clients,
    options: &LoadOptions,
    stack: &Arc<Stack>,
) -> anyhow::Result<(LoadFigures, PlacedList)> {
    let placed: PlacedList = Arc::new(Mutex::new(Vec::new()));
    let order = drive(&clients.keep, options, order_requests(stack), check_order, Some(Arc::clone(&placed))).await?;
    Ok((order, placed))
}

/// `/health` and redelivery with a new connection per request on `stack`,
/// with the orders placed (keep-alive) that the redeliveries send again.
async fn fresh_scenarios(clients: &Clients, options: &LoadOptions, stack: Stack) -> anyhow::Result<FreshLoad> {
    let stack = Arc::new(stack);
    let health = get_requests(stack.gateway.url("/health"));
    let health_fresh = drive(&clients.fresh, options, health, check_health, None).await?;
    let (order, placed) = place_orders(clients, options, &stack).await?;
    let snapshot = placed.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let redeliveries = redelivery_requests(&stack, snapshot)?;
    let redelivery_fresh = drive(&clients.fresh, options, redeliveries, check_redelivery, None).await?;
    if let Ok(stack) = Arc::try_unwrap(stack) {
        stack.shutdown().await;
    }
    Ok(FreshLoad { health_fresh, order, redelivery_fresh })
}

fn check_health(r: &ClientResponse) -> Result<(), String> {
    if r.status == 200 { Ok(()) } else { Err(format!("/health answered {}: {}", r.status, r.text())) }
}

/// Runs row 4 on a runtime of its own.
pub fn run(options: &LoadOptions) -> anyhow::Result<GatewayLoad> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    runtime.block_on(run_async(options))
}

/// A directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> anyhow::Result<Self> {
        Self::in_dir(&std::env::temp_dir(), what)
    }

    fn in_dir(parent: &Path, what: &str) -> anyhow::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("assessio-bench-{what}-{}-{nanos}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn run_async(options: &LoadOptions) -> anyhow::Result<GatewayLoad> {
    let rss_before_kib = proc_status_kib("VmRSS:");
    let peak_reset = reset_peak_rss();
    let clients = Clients::new();

    let probe_dir = TempDir::new("probe")?;
    let probe = serve_probe(&probe_dir.0).await.context("serving the probe component")?;
    let empty = both_ways(&clients, options, empty_requests(&probe), check_empty).await?;
    probe.shutdown().await;

    let memory = TempDir::in_dir(&memory_dir(), "gateway-kv")?;
    let host = every_scenario(&clients, options, empty, start_stack(&memory.0).await?).await?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| locate::workspace_root().join("target"), PathBuf::from);
    let disk = TempDir::in_dir(&target, "gateway-kv")?;
    let (order_disk, result_disk) = orders_and_results(&clients.keep, options, &disk.0).await?;

    let peak_rss_kib = proc_status_kib("VmHWM:");
    Ok(GatewayLoad {
        host,
        memory_store: Store { fs: fs_type(&memory.0), dir: memory.0.clone() },
        order_disk,
        result_disk,
        disk_store: Store { fs: fs_type(&disk.0), dir: disk.0.clone() },
        concurrency: options.concurrency,
        rss_before_kib,
        peak_rss_kib,
        peak_reset,
    })
}

/// The simulators and the gateway on this crate's host, the gateway's
/// store in `kv_dir`. Upstreams answer at once: no simulated candidate
/// completing (the results are this bench's to send), no faults.
async fn start_stack(kv_dir: &Path) -> anyhow::Result<Stack> {
    Stack::start(StackOptions { auto_complete: None, ..StackOptions::new(kv_dir) })
        .await
        .context("starting the simulators and the gateway")
}

/// The order scenario, then the result scenario on the orders it placed,
/// against a gateway whose key-value store is in `kv_dir`.
async fn orders_and_results(
    client: &HttpClient,
    options: &LoadOptions,
    kv_dir: &Path,
) -> anyhow::Result<(LoadFigures, LoadFigures)> {
    let stack = Arc::new(start_stack(kv_dir).await?);
    let placed: PlacedList = Arc::new(Mutex::new(Vec::new()));
    let order = drive(client, options, order_requests(&stack), check_order, Some(Arc::clone(&placed))).await?;
    let result = drive(client, options, result_requests(&stack, &placed), check_result, None).await?;
    if let Ok(stack) = Arc::try_unwrap(stack) {
        stack.shutdown().await;
    }
    Ok((order, result))
}

/// Where the "memory" store goes: `/dev/shm` (tmpfs on Linux, where a
/// file's `fsync` costs nothing) when there is one, else the temp dir.
fn memory_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() }
}

/// The file system `path` is on, from `/proc/mounts` (the longest mount
/// point that prefixes it); `unknown` elsewhere.
fn fs_type(path: &Path) -> String {
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, point, fs) = (f.next()?, f.next()?, f.next()?);
            path.starts_with(point).then(|| (point.len(), fs.to_string()))
        })
        .max()
        .map_or_else(|| "unknown".into(), |(_, fs)| fs)
}

/// Serves the probe's own manifest, its `source` pointed at the build.
async fn serve_probe(dir: &Path) -> anyhow::Result<ServerHandle> {
    let path = probe_manifest(dir)?;
    let variables = BTreeMap::from([("api_key".to_string(), "bench-probe-key".to_string())]);
    let options = SpinOptions { variables, env: EnvSource::Map(BTreeMap::new()), ..SpinOptions::new(dir.join("kv")) };
    SpinApp::load(&path, options)?.serve_loopback().await
}

/// The probe's own manifest, written to `dir` with its `source` pointed at
/// the build.
fn probe_manifest(dir: &Path) -> anyhow::Result<PathBuf> {
    let built = locate::ensure_component_built("spin-probe", "release")?;
    let fixture = locate::workspace_root().join("host-test/fixtures/spin-probe/spin.toml");
    let text = std::fs::read_to_string(&fixture).with_context(|| format!("reading {}", fixture.display()))?;
    let mut manifest: toml::Table = text.parse().context("parsing the probe's spin.toml")?;
    let component = manifest
        .get_mut("component")
        .and_then(|c| c.get_mut("spin-probe"))
        .and_then(toml::Value::as_table_mut)
        .context("the probe's spin.toml has no [component.spin-probe]")?;
    component.insert("source".into(), toml::Value::String(built.to_string_lossy().into_owned()));
    let path = dir.join("spin.toml");
    std::fs::write(&path, toml::to_string(&manifest)?)?;
    Ok(path)
}

fn empty_requests(probe: &ServerHandle) -> Next {
    get_requests(probe.url("/empty"))
}

/// The same `GET` every time.
fn get_requests(url: String) -> Next {
    Arc::new(move || {
        Ok(Some(Prepared { method: Method::GET, url: url.clone(), headers: Vec::new(), body: Bytes::new(), tag: None }))
    })
}

fn check_empty(r: &ClientResponse) -> Result<(), String> {
    if r.status == 200 { Ok(()) } else { Err(format!("/empty answered {}: {}", r.status, r.text())) }
}

/// A new order in Kombo's simulator per request, and its signed webhook.
fn order_requests(stack: &Arc<Stack>) -> Next {
    let url = stack.gateway.url("/kombo/webhook");
    let stack = Arc::clone(stack);
    let package = demo_package();
    let counter = AtomicU64::new(0);
    Arc::new(move || {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let email = format!("candidate.{n}@bench.example.com");
        let order_id = stack
            .kombo
            .create_order(NewOrder::example(INTEGRATION, &package, &email))
            .map_err(|e| anyhow::anyhow!("creating a Kombo order: {e}"))?;
        let body = Bytes::from(kombo_event(&format!("bench-event-{n:012}"), &order_id, &package, &email));
        let signature = kombo_signature(secrets::KOMBO_WEBHOOK_SECRET, &body);
        Ok(Some(Prepared {
            method: Method::POST,
            url: url.clone(),
            headers: vec![("content-type", "application/json".into()), ("x-kombo-signature", signature.clone())],
            body: body.clone(),
            tag: Some(Placed { order_id, body, signature }),
        }))
    })
}

/// The webhooks of `placed`, sent again in turn, byte for byte.
fn redelivery_requests(stack: &Stack, placed: Vec<Placed>) -> anyhow::Result<Next> {
    anyhow::ensure!(!placed.is_empty(), "the order scenario placed no order to redeliver");
    let url = stack.gateway.url("/kombo/webhook");
    let counter = AtomicU64::new(0);
    Ok(Arc::new(move || {
        let n = counter.fetch_add(1, Ordering::Relaxed) as usize;
        let p = &placed[n % placed.len()];
        Ok(Some(Prepared {
            method: Method::POST,
            url: url.clone(),
            headers: vec![("content-type", "application/json".into()), ("x-kombo-signature", p.signature.clone())],
            body: p.body.clone(),
            tag: None,
        }))
    }))
}

/// A full `assessment:order-received` event, in the shape Kombo's simulator
/// sends (seed 004's example), for the simulated integration.
pub(super) fn kombo_event(event_id: &str, order_id: &str, package_id: &str, email: &str) -> String {
    serde_json::json!({
        "id": event_id,
        "type": "assessment:order-received",
        "data": {
            "id": order_id,
            "package_id": package_id,
            "status": "OPEN",
            "integration_id": crate::stack::INTEGRATION,
            "candidate": {
                "remote_id": "26vafvWSRmbhNcxJYqjCzuJg", "email": email,
                "first_name": "John", "last_name": "Doe", "phone": "+1 123 456 7890",
            },
            "application": { "remote_id": "HAQ9uCfC1zi3TLbB1n5cyHgP" },
            "job": {
                "remote_id": "A1KQKhAgTv6ZwzrfAbqbhcde", "name": "Engineering Manager", "job_code": "EM-1",
                "description": "Leads a team of engineers.",
                "location": { "city": "San Francisco", "country": "United States" },
                "hiring_team": [{
                    "remote_id": "26vafvWSRmbhNcxJYqjCzuJr", "email": "jane.doe@example.com",
                    "first_name": "Jane", "last_name": "Doe", "hiring_team_roles": ["RECRUITER"],
                }],
            },
            "remote_data": { "upstream_webhook_body": {}, "/assessment-orders": {} },
        },
    })
    .to_string()
}

fn json_answer(r: &ClientResponse, status: &str, already: bool) -> Result<(), String> {
    let expected = serde_json::json!({ "status": status, "already": already });
    match r.json() {
        Some(v) if r.status == 200 && v == expected => Ok(()),
        _ => Err(format!("HTTP {}: {}", r.status, r.text())),
    }
}

fn check_order(r: &ClientResponse) -> Result<(), String> {
    json_answer(r, "placed", false)
}

fn check_redelivery(r: &ClientResponse) -> Result<(), String> {
    json_answer(r, "placed", true)
}

fn check_result(r: &ClientResponse) -> Result<(), String> {
    json_answer(r, "written", false)
}

/// One result per placed order, as Assessio delivers it.
fn result_requests(stack: &Stack, placed: &PlacedList) -> Next {
    let base = stack.gateway.url("/assessio/results/");
    let placed = Arc::clone(placed);
    let bearer = format!("Bearer {}", secrets::INTEGRATOR_API_KEY);
    Arc::new(move || {
        let Some(Placed { order_id, .. }) = placed.lock().unwrap_or_else(PoisonError::into_inner).pop() else {
            return Ok(None);
        };
        let result_id = assessio_plugin::ids::stable_id("result", &[&format!("kombo:{INTEGRATION}"), &order_id]);
        let body = serde_json::json!({
            "resultId": result_id,
            "recruitmentUrl": "https://app.assessio.online/recruitments/82bd4452-bd16-4227-bce9-f1812a9db6ef",
            "assessmentReportUrl": "https://app.assessio.online/reports/6ef46985-9ca2-4c65-a184-47fa0d332246",
            "score": 71,
            "subscores": { "Driving Leadership": 73, "Influencing & Inspiring": 68 },
        });
        Ok(Some(Prepared {
            method: Method::POST,
            url: format!("{base}{result_id}"),
            headers: vec![("authorization", bearer.clone()), ("content-type", "application/json".into())],
            body: Bytes::from(body.to_string()),
            tag: None,
        }))
    })
}

/// What the workers share.
struct Tally {
    latencies_us: Vec<f64>,
    requests: u64,
    failed: u64,
    first_failure: Option<String>,
    last_end: Option<Instant>,
}

/// Runs `concurrency` workers through the warm-up and the window.
async fn drive(
    client: &HttpClient,
    options: &LoadOptions,
    next: Next,
    check: Check,
    keep: Option<PlacedList>,
) -> anyhow::Result<LoadFigures> {
    let start = Instant::now();
    let window_start = start + options.warmup;
    let end = window_start + options.duration;
    let tally = Arc::new(Mutex::new(Tally {
        latencies_us: Vec::new(),
        requests: 0,
        failed: 0,
        first_failure: None,
        last_end: None,
    }));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..options.concurrency.max(1) {
        let (client, next, tally, keep) = (client.clone(), Arc::clone(&next), Arc::clone(&tally), keep.clone());
        workers.spawn(async move {
            while Instant::now() < end {
                let Some(p) = next()? else { break };
                let headers: Vec<(&str, &str)> = p.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                let sent = Instant::now();
                let answer = client.request(p.method, &p.url, &headers, p.body).await;
                let done = Instant::now();
                let outcome = match &answer {
                    Ok(r) => check(r),
                    Err(e) => Err(format!("no answer: {e}")),
                };
                if let (Ok(()), Some(keep), Some(tag)) = (&outcome, &keep, p.tag) {
                    keep.lock().unwrap_or_else(PoisonError::into_inner).push(tag);
                }
                if sent < window_start {
                    continue;
                }
                let mut t = tally.lock().unwrap_or_else(PoisonError::into_inner);
                t.requests += 1;
                t.latencies_us.push(done.duration_since(sent).as_secs_f64() * 1e6);
                t.last_end = t.last_end.max(Some(done));
                if let Err(why) = outcome {
                    t.failed += 1;
                    t.first_failure.get_or_insert(why);
                }
            }
            anyhow::Ok(())
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.context("a load worker panicked")??;
    }
    let mut t = std::mem::replace(
        &mut *tally.lock().unwrap_or_else(PoisonError::into_inner),
        Tally { latencies_us: Vec::new(), requests: 0, failed: 0, first_failure: None, last_end: None },
    );
    let seconds = t.last_end.map_or(0.0, |e| e.saturating_duration_since(window_start).as_secs_f64());
    anyhow::ensure!(t.requests > 0 && seconds > 0.0, "no request was answered in the measured window");
    t.latencies_us.sort_by(f64::total_cmp);
    Ok(LoadFigures {
        requests: t.requests,
        failed: t.failed,
        first_failure: t.first_failure,
        seconds,
        rps: t.requests as f64 / seconds,
        p50_ms: percentile(&t.latencies_us, 0.50) / 1000.0,
        p90_ms: percentile(&t.latencies_us, 0.90) / 1000.0,
        p99_ms: percentile(&t.latencies_us, 0.99) / 1000.0,
    })
}

/// The nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A `/proc/self/status` line's value in KiB (Linux only).
pub fn proc_status_kib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets this process's peak RSS (`VmHWM`) to the current RSS, so that the
/// peak read later is row 4's own and not row 3's compiler (Linux's
/// `clear_refs` value 5).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
