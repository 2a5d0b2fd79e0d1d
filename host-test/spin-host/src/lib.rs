//! A Spin-compatible runtime for HTTP components, on wasmtime: what `spin up`
//! provides to a spin-sdk 5.2 component, and nothing more.
//!
//! The Spin CLI is not available where this project is built and tested, yet
//! the gateway is a Spin HTTP component. This crate stands in for `spin up`
//! so the gateway can be served and tested on loopback: [`SpinApp::load`]
//! reads a `spin.toml` ([`manifest`]), resolves variables as Spin does
//! ([`variables`]), opens the key-value stores ([`key_value`]), parses each
//! component's outbound grants ([`outbound`]), composes each component with
//! its `dependencies` as Spin does ([`compose`]) and compiles and links each
//! component once; [`SpinApp::serve`] then answers HTTP on a listener
//! ([`server`]) with a fresh store and instance per request, the model of
//! `wasmtime serve`, taken from a pool sized as Spin sizes its own
//! ([`engine`]).
//!
//! What the guest can import is exactly what a spin-sdk 5.2 component built
//! for `wasm32-wasip2` may use under Spin: WASI 0.2 (CLI, clocks, random, I/O,
//! filesystem and sockets with nothing preopened and no network granted),
//! `wasi:http/outgoing-handler` under `allowed_outbound_hosts`, and the
//! `fermyon:spin@2.0.0` interfaces, of which variables and key-value work and
//! the rest ([`unsupported`]) answer "not provided by this host". The Spin
//! bindings are generated from the WIT inside the spin-sdk crate (see
//! `build.rs`), so they cannot drift from what the guest was built against.
//!
//! Each request runs under [`RequestLimits`]: a memory cap, a deadline
//! (epoch interruption for guest code, a wall clock for waits on the host),
//! and a maximum request body, refused with 413 before the guest runs. A
//! guest that traps or hits a limit gets its request answered 500, and the
//! server goes on serving. Everything the app writes is kept in an
//! [`AppLog`] so tests can check what it printed.
//!
//! Where Spin itself is installed, [`real_spin`] runs it as a child process,
//! so the same app can be checked on the production engine.
//!
//! This crate knows nothing of Assessio or of any hub: it takes a manifest
//! and components and serves them. It must never import the connector's
//! plugin, its gateway, the plugin harness or the simulators; its only
//! in-house dependency is [`component_sandbox`], the limits every guest runs
//! under.

pub(crate) mod bindings;
pub mod compose;
pub mod engine;
pub mod key_value;
pub mod log;
pub mod manifest;
pub mod names;
pub mod outbound;
pub mod real_spin;
pub mod routes;
pub mod server;
mod state;
pub mod unsupported;
pub mod variables;

use anyhow::{Context as _, bail};
use key_value::Stores;
use manifest::Manifest;
use outbound::{AllowedHosts, OutboundPolicy};
use routes::Router;
use state::{ComponentRuntime, RequestState};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use variables::{AppVariables, ComponentVariables, EnvSource};
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

pub use log::{AppLog, LogLine, LogSource};

/// The directory of the spin-sdk WIT this runtime's Spin bindings were
/// generated from (see `build.rs`): tests that build stand-in guests use it
/// so host and guest agree on every interface.
pub const SPIN_SDK_WIT: &str = env!("SPIN_SDK_WIT");

/// What one request may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// Linear memory one instance may grow to (all its memories together).
    pub memory_bytes: usize,
    /// Wall-clock time for the whole request, guest code and host waits.
    pub deadline: Duration,
    /// Largest request body passed to the guest; a larger one is answered
    /// 413 without running the guest.
    pub max_body_bytes: usize,
    /// Time to connect for an outbound request that sets no timeout itself.
    pub outbound_connect_timeout: Duration,
    /// Time to the first byte of an outbound response (and between its body
    /// bytes) when the request sets no timeout itself.
    pub outbound_first_byte_timeout: Duration,
}

impl Default for RequestLimits {
    /// Room for a Rust spin-sdk component (a few MiB) handling webhook-sized
    /// bodies and calling slow partner APIs, bounded so one request cannot
    /// take the host down.
    fn default() -> Self {
        Self {
            memory_bytes: 128 << 20,
            deadline: Duration::from_secs(30),
            max_body_bytes: 4 << 20,
            outbound_connect_timeout: Duration::from_secs(10),
            outbound_first_byte_timeout: Duration::from_secs(20),
        }
    }
}

/// How to load an app: the equivalent of `spin up`'s options.
#[derive(Debug, Clone)]
pub struct SpinOptions {
    /// Variable values, like `spin up --variable name=value`; they win over
    /// the environment and the manifest's defaults.
    pub variables: BTreeMap<String, String>,
    /// Where `SPIN_VARIABLE_<NAME>` values are read from.
    pub env: EnvSource,
    /// The directory the key-value stores are kept in (Spin's `.spin/`).
    pub kv_dir: PathBuf,
    /// Store labels defined besides `default`, as a runtime-config file's
    /// `[key_value_store.<label>]` would define them.
    pub kv_stores: Vec<String>,
    /// Per-request limits.
    pub limits: RequestLimits,
    /// Also print every log line (guest stdout, stderr, host messages) on the
    /// host's stderr, as `spin up` shows them on its terminal.
    pub echo_logs: bool,
}

impl SpinOptions {
    /// Defaults with the key-value stores in `kv_dir`.
    pub fn new(kv_dir: impl Into<PathBuf>) -> Self {
        Self {
            variables: BTreeMap::new(),
            env: EnvSource::Process,
            kv_dir: kv_dir.into(),
            kv_stores: Vec::new(),
            limits: RequestLimits::default(),
            echo_logs: false,
        }
    }
}

/// A loaded app, ready to serve.
pub struct SpinApp {
    name: String,
    /// `application.version`, for `/.well-known/spin/info`.
    version: Option<String>,
    engine: Engine,
    ticker: Arc<AtomicBool>,
    router: Router,
    /// One per `[[trigger.http]]`, in the router's order.
    targets: Vec<Arc<ComponentRuntime>>,
    limits: RequestLimits,
    log: AppLog,
}

impl std::fmt::Debug for SpinApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpinApp")
            .field("name", &self.name)
            .field("router", &self.router)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl SpinApp {
    /// Reads the manifest, resolves variables (a required one without a
    /// value is an error naming it), opens the stores, and compiles and links
    /// every routed component. Errors never contain a variable's value.
    pub fn load(manifest_path: &Path, options: SpinOptions) -> anyhow::Result<Self> {
        let SpinOptions { variables, env, kv_dir, kv_stores, limits, echo_logs } = options;
        let manifest = Manifest::load(manifest_path)?;
        let log = AppLog::new(echo_logs);
        let (app_vars, unknown) = AppVariables::resolve(&manifest.variables, &variables, &env)?;
        for name in unknown {
            log.host(
                &manifest.name,
                format!("variable {name:?} was given a value but the manifest does not declare it"),
            );
        }
        let stores = Arc::new(Stores::open(&kv_dir, &kv_stores)?);
        let engine = engine::new_engine()?;
        let ticker = component_sandbox::start_epoch_ticker(&engine, "spin-epoch-ticker")?;

        let mut runtimes: BTreeMap<&str, Arc<ComponentRuntime>> = BTreeMap::new();
        for trigger in &manifest.http_triggers {
            if runtimes.contains_key(trigger.component.as_str()) {
                continue;
            }
            let decl = &manifest.components[&trigger.component];
            let runtime = load_component(&engine, decl, &app_vars, &stores, &limits)
                .with_context(|| format!("loading component {:?}", decl.id))?;
            runtimes.insert(&decl.id, Arc::new(runtime));
        }
        let router = Router::new(manifest.http_triggers.iter().map(|t| t.route.as_str()))?;
        // Spin's words when a route is written twice: the last one serves it.
        for (route, replaced, by) in router.duplicates() {
            log.host(
                &manifest.name,
                format!(
                    "The component route {route} of {:?} is a duplicate of {:?}'s and will never be used",
                    manifest.http_triggers[replaced].component, manifest.http_triggers[by].component
                ),
            );
        }
        let targets = manifest.http_triggers.iter().map(|t| Arc::clone(&runtimes[t.component.as_str()])).collect();
        Ok(Self { name: manifest.name, version: manifest.version, engine, ticker, router, targets, limits, log })
    }

    /// The app's name (`application.name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The log every request of this app writes to.
    pub fn log(&self) -> AppLog {
        self.log.clone()
    }

    /// The limits each request runs under.
    pub fn limits(&self) -> RequestLimits {
        self.limits
    }
}

impl Drop for SpinApp {
    fn drop(&mut self) {
        self.ticker.store(true, Ordering::Relaxed);
    }
}

fn load_component(
    engine: &Engine,
    decl: &manifest::ComponentDecl,
    app_vars: &AppVariables,
    stores: &Arc<Stores>,
    limits: &RequestLimits,
) -> anyhow::Result<ComponentRuntime> {
    for label in &decl.key_value_stores {
        if !stores.is_defined(label) {
            bail!("unknown key_value_stores label {label:?} for component {:?}", decl.id);
        }
    }
    let variables = ComponentVariables::new(&decl.id, &decl.variables, app_vars)?;
    let allowed = AllowedHosts::parse(&decl.allowed_outbound_hosts, app_vars)?;

    let bytes = std::fs::read(&decl.source).with_context(|| format!("reading {}", decl.source.display()))?;
    if !bytes.starts_with(b"\0asm") {
        bail!("{} is not a WebAssembly component (no `\\0asm` header)", decl.source.display());
    }
    let bytes =
        if decl.dependencies.is_empty() { bytes } else { compose::compose(&decl.id, bytes, &decl.dependencies)? };
    let component = Component::new(engine, &bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("compiling {}", decl.source.display()))?;
    let linker = linker_for(engine, &component)?;
    let pre = linker.instantiate_pre(&component).map_err(anyhow::Error::from).context(
        "the component imports something this host does not provide \
         (it provides WASI 0.2, wasi:http/outgoing-handler and fermyon:spin@2.0.0)",
    )?;
    let pre = ProxyPre::new(pre)
        .map_err(anyhow::Error::from)
        .context("the component does not export wasi:http/incoming-handler (is it an HTTP component?)")?;
    Ok(ComponentRuntime {
        id: Arc::from(decl.id.as_str()),
        pre,
        variables,
        key_value_stores: decl.key_value_stores.iter().cloned().collect(),
        stores: Arc::clone(stores),
        outbound: Arc::new(OutboundPolicy {
            allowed,
            connect_timeout: limits.outbound_connect_timeout,
            first_byte_timeout: limits.outbound_first_byte_timeout,
        }),
        environment: decl.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    })
}

/// WASI and `wasi:http` always; each `fermyon:spin` and `wasi:keyvalue`
/// interface only if the component imports it.
fn linker_for(engine: &Engine, component: &Component) -> anyhow::Result<Linker<RequestState>> {
    use self::key_value::KeyValueData;
    use bindings::fermyon::spin::{key_value, llm, mqtt, mysql, postgres, rdbms_types, redis, sqlite, variables};
    type D = HasSelf<RequestState>;
    fn this(state: &mut RequestState) -> &mut RequestState {
        state
    }
    let mut linker = Linker::<RequestState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    let imports: BTreeSet<String> =
        component.component_type().imports(engine).map(|(name, _)| name.to_string()).collect();
    let imported = |interface: &str| imports.contains(&format!("fermyon:spin/{interface}@2.0.0"));
    if imported("variables") {
        variables::add_to_linker::<_, self::variables::VariablesData>(&mut linker, RequestState::variables)?;
    }
    if imported("key-value") {
        key_value::add_to_linker::<_, KeyValueData>(&mut linker, RequestState::key_value)?;
    }
    if imported("llm") {
        llm::add_to_linker::<_, D>(&mut linker, this)?;
    }
    if imported("redis") {
        redis::add_to_linker::<_, D>(&mut linker, this)?;
    }
    if imported("mqtt") {
        mqtt::add_to_linker::<_, D>(&mut linker, this)?;
    }
    if imported("rdbms-types") {
        rdbms_types::add_to_linker::<_, D>(&mut linker, this)?;
    }
    if imported("postgres") {
        postgres::add_to_linker::<_, D>(&mut linker, this)?;
    }
    if imported("mysql") {
        mysql::add_to_linker::<_, D>(&mut linker, this)?;
    }
    if imported("sqlite") {
        sqlite::add_to_linker::<_, D>(&mut linker, this)?;
    }
    let wasi_keyvalue = |interface: &str| imports.contains(&format!("wasi:keyvalue/{interface}@0.2.0-draft2"));
    if wasi_keyvalue("store") {
        bindings::wasi::keyvalue::store::add_to_linker::<_, KeyValueData>(&mut linker, RequestState::key_value)?;
    }
    if wasi_keyvalue("atomics") {
        bindings::wasi::keyvalue::atomics::add_to_linker::<_, KeyValueData>(&mut linker, RequestState::key_value)?;
    }
    if wasi_keyvalue("batch") {
        bindings::wasi::keyvalue::batch::add_to_linker::<_, KeyValueData>(&mut linker, RequestState::key_value)?;
    }
    Ok(linker)
}
