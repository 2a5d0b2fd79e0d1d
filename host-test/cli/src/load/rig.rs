//! Assessio's and Kombo's simulators, the gateway in its own process, and
//! the proxy that is the gateway's public address: what the load run and the
//! restart test share.
//!
//! The wiring is the stack's ([`crate::stack`]: the same simulated
//! organisation, integration and secrets, the root `spin.toml`), restricted
//! to Kombo, with three differences a crash or load test needs: the gateway
//! runs as a child process that can be killed and started again on the same
//! store; Kombo's webhooks and Assessio's results reach it through the proxy,
//! so its address survives a restart; and the simulators' timeouts are longer
//! than the gateway's own, because this host (unlike `spin up`) stops a
//! request's guest when its caller hangs up, and a caller that gave up after
//! two seconds would cut the gateway off mid-request, a crash the test did
//! not ask for.

use crate::load::child::{GatewayCommand, GatewayProcess, Memory};
use crate::load::proxy::Proxy;
use crate::stack::{INTEGRATION, secrets};
use anyhow::Context as _;
use assessio_simulators::assessio::{AssessioConfig, AssessioSim, Organisation, RetryPolicy};
use assessio_simulators::http::{ClientResponse, HttpClient};
use assessio_simulators::kombo::{KomboConfig, KomboSim};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How to start the rig.
#[derive(Debug, Clone)]
pub struct RigOptions {
    /// The `assessio` binary that serves the gateway.
    pub binary: PathBuf,
    /// The rig's directory: the gateway's key-value store (`kv/`, kept
    /// across restarts), its output (`gateway.log`), and the pinned copy of
    /// the gateway component with the manifest that loads it.
    pub dir: PathBuf,
    /// The simulated candidate finishes this long after the invitation;
    /// `None`: only when a test says so.
    pub auto_complete: Option<Duration>,
    /// How Assessio's simulator retries result deliveries.
    pub retry: RetryPolicy,
    /// `order` or `order-link`; `None` leaves the manifest's default (`order`).
    pub order_endpoint: Option<String>,
}

impl RigOptions {
    /// Defaults: candidates finish after 200 ms, and Assessio retries for up
    /// to two minutes (its real policy is 36 hours; a restart test must
    /// outlast the gateway's one-minute in-flight guard).
    pub fn new(binary: impl Into<PathBuf>, dir: impl Into<PathBuf>) -> Self {
        Self {
            binary: binary.into(),
            dir: dir.into(),
            auto_complete: Some(Duration::from_millis(200)),
            retry: RetryPolicy {
                base: Duration::from_millis(100),
                cap: Duration::from_secs(2),
                max_attempts: 200,
                max_elapsed: Duration::from_mins(2),
            },
            order_endpoint: None,
        }
    }
}

/// The running rig. Dropping it kills the gateway and stops the simulators.
pub struct Rig {
    /// Assessio's simulator.
    pub assessio: AssessioSim,
    /// Kombo's simulator; its webhooks go to the proxy.
    pub kombo: KomboSim,
    /// The gateway's public address.
    pub proxy: Proxy,
    /// Behind a lock so a test can kill it while a request through it is in
    /// flight (from another task holding the rig).
    gateway: Mutex<Option<GatewayProcess>>,
    command: GatewayCommand,
    client: HttpClient,
}

impl std::fmt::Debug for Rig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rig")
            .field("proxy", &self.proxy.url())
            .field("gateway", &self.gateway_url())
            .finish_non_exhaustive()
    }
}

impl Rig {
    /// Starts the simulators and the proxy, then the gateway process.
    pub async fn start(options: RigOptions) -> anyhow::Result<Self> {
        let kv_dir = options.dir.join("kv");
        std::fs::create_dir_all(&kv_dir).with_context(|| format!("creating {}", kv_dir.display()))?;
        let dir = options.dir.clone();
        let manifest =
            tokio::task::spawn_blocking(move || pinned_manifest(&dir)).await.context("building the gateway")??;
        let organisation =
            Organisation::example(secrets::PROVIDER_KEY, Some(secrets::INTEGRATOR_SECRET), secrets::INTEGRATOR_API_KEY);
        let assessio = AssessioSim::start(AssessioConfig {
            auto_complete: options.auto_complete,
            retry: options.retry,
            delivery_timeout: Duration::from_secs(45),
            ..AssessioConfig::new(vec![organisation])
        })
        .await
        .context("starting the Assessio simulator")?;
        let kombo = KomboSim::start(KomboConfig {
            webhook_timeout: Duration::from_secs(45),
            ..KomboConfig::new(secrets::KOMBO_API_KEY, &[INTEGRATION], secrets::KOMBO_WEBHOOK_SECRET)
        })
        .await
        .context("starting the Kombo simulator")?;
        let proxy = Proxy::start(Duration::from_mins(1)).await.context("starting the proxy")?;
        kombo.set_webhook_url(Some(format!("{}/kombo/webhook", proxy.url())));
        let tenants = json!({ INTEGRATION: {
            "provider_key": secrets::PROVIDER_KEY,
            "integrator_secret": secrets::INTEGRATOR_SECRET,
            "default_locale": "sv-SE",
        }});
        let mut variables: BTreeMap<String, String> = [
            ("assessio_url", assessio.url()),
            ("assessio_integrator_api_key", secrets::INTEGRATOR_API_KEY.into()),
            ("kombo_url", kombo.url()),
            ("kombo_api_key", secrets::KOMBO_API_KEY.into()),
            ("kombo_webhook_secret", secrets::KOMBO_WEBHOOK_SECRET.into()),
            ("tenants", tenants.to_string()),
            ("public_url", proxy.url()),
            ("operator_token", secrets::OPERATOR_TOKEN.into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if let Some(endpoint) = &options.order_endpoint {
            variables.insert("assessio_order_endpoint".into(), endpoint.clone());
        }
        let command = GatewayCommand {
            binary: options.binary,
            manifest: Some(manifest),
            kv_dir,
            variables,
            log_path: options.dir.join("gateway.log"),
        };
        let rig = Self {
            assessio,
            kombo,
            proxy,
            gateway: Mutex::new(None),
            command,
            client: HttpClient::new(Duration::from_mins(1)),
        };
        rig.start_gateway().await?;
        Ok(rig)
    }

    /// Starts the gateway process (after a kill: on the same store) and
    /// points the proxy at it.
    pub async fn start_gateway(&self) -> anyhow::Result<()> {
        self.kill_gateway();
        let command = self.command.clone();
        let process = tokio::task::spawn_blocking(move || command.spawn()).await.context("starting the gateway")??;
        self.proxy.set_upstream(Some(process.url().to_owned()));
        *self.process() = Some(process);
        Ok(())
    }

    fn process(&self) -> MutexGuard<'_, Option<GatewayProcess>> {
        self.gateway.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Kills the gateway process (`SIGKILL`); the proxy answers 502 until
    /// it is started again.
    pub fn kill_gateway(&self) {
        self.proxy.set_upstream(None);
        let process = self.process().take();
        if let Some(mut process) = process {
            process.kill();
        }
    }

    /// The running gateway's own address (not the proxy's).
    pub fn gateway_url(&self) -> Option<String> {
        self.process().as_ref().map(|p| p.url().to_owned())
    }

    /// The gateway process's id.
    pub fn gateway_pid(&self) -> Option<u32> {
        self.process().as_ref().map(GatewayProcess::pid)
    }

    /// The gateway process's memory now.
    pub fn gateway_memory(&self) -> Option<Memory> {
        self.process().as_ref().and_then(GatewayProcess::memory)
    }

    /// Where the gateway process's output goes.
    pub fn log_path(&self) -> &std::path::Path {
        &self.command.log_path
    }

    /// Calls an operator route of the running gateway with the operator token.
    pub async fn operator(&self, method: &str, path: &str) -> anyhow::Result<ClientResponse> {
        let base = self.gateway_url().context("no gateway is running")?;
        let auth = format!("Bearer {}", secrets::OPERATOR_TOKEN);
        let method: http::Method = method.parse().context("HTTP method")?;
        self.client
            .request(method, &format!("{base}{path}"), &[("authorization", auth.as_str())], Vec::new())
            .await
            .map_err(|e| anyhow::anyhow!("calling the gateway: {e}"))
    }

    /// One `POST /kombo/reconcile`: the simulated integration's tally
    /// (`placed`, `already_placed`, `rejected`, `retry_later`, ...).
    pub async fn reconcile(&self) -> anyhow::Result<Value> {
        let r = self.operator("POST", "/kombo/reconcile").await?;
        let body = r.json().with_context(|| format!("reconcile answered HTTP {}: {}", r.status, r.text()))?;
        body["integrations"]
            .get(INTEGRATION)
            .cloned()
            .with_context(|| format!("reconcile answered HTTP {} without the integration: {body}", r.status))
    }

    /// The gateway's record of a Kombo order (`GET /orders/kombo/…`), or
    /// `None` when it has none (404).
    pub async fn record(&self, order_id: &str) -> anyhow::Result<Option<Value>> {
        let r = self.operator("GET", &format!("/orders/kombo/{INTEGRATION}/{order_id}")).await?;
        match r.status {
            200 => r.json().map(Some).context("the order record is not JSON"),
            404 => Ok(None),
            other => anyhow::bail!("the order status route answered HTTP {other}: {}", r.text()),
        }
    }

    /// The gateway's `GET /health`, as JSON.
    pub async fn health(&self) -> anyhow::Result<Value> {
        let r = self.operator("GET", "/health").await?;
        r.json().with_context(|| format!("health answered HTTP {}: {}", r.status, r.text()))
    }

    /// Stops everything.
    pub fn shutdown(self) {
        self.kill_gateway();
        self.proxy.shutdown();
        self.assessio.shutdown();
        self.kombo.shutdown();
    }
}

/// Builds the gateway and plugin components, copies them into `dir`, and
/// writes there a copy of the root `spin.toml` that loads the copies. Every start of the
/// gateway process, restarts included, then serves the same build, and no
/// start waits on cargo: the root manifest would make `serve` ask cargo
/// first, and a rebuild (someone editing the gateway meanwhile) could take
/// longer than the window a crash test measures.
fn pinned_manifest(dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    let built = assessio_harness::locate::ensure_app_built()?;
    let root = assessio_harness::locate::workspace_root();
    let copy = dir.join("assessio_gateway.wasm");
    std::fs::copy(&built, &copy).with_context(|| format!("copying {}", built.display()))?;
    let text = std::fs::read_to_string(root.join("spin.toml")).context("reading spin.toml")?;
    let mut manifest: toml::Table = toml::from_str(&text).context("parsing spin.toml")?;
    let components =
        manifest.get_mut("component").and_then(toml::Value::as_table_mut).context("spin.toml has no components")?;
    for (_, component) in components.iter_mut() {
        let Some(source) = component.get_mut("source") else { continue };
        let Some(path) = source.as_str() else { continue };
        let absolute = if root.join(path) == built { copy.clone() } else { root.join(path) };
        *source = toml::Value::String(absolute.to_string_lossy().into_owned());
        let dependencies = component.get_mut("dependencies").and_then(toml::Value::as_table_mut);
        for (_, dependency) in dependencies.into_iter().flatten() {
            let Some(path) = dependency.get_mut("path") else { continue };
            let Some(file) = path.as_str().map(|p| root.join(p)) else { continue };
            let pinned = dir.join(file.file_name().context("a dependency path names no file")?);
            std::fs::copy(&file, &pinned).with_context(|| format!("copying {}", file.display()))?;
            *path = toml::Value::String(pinned.to_string_lossy().into_owned());
        }
    }
    let path = dir.join("spin.toml");
    std::fs::write(&path, toml::to_string(&manifest).context("writing the manifest")?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The result id the gateway derives for a Kombo order of the simulated
/// integration (stable, from Kombo's ids).
pub fn result_id_of(order_id: &str) -> String {
    assessio_plugin::ids::stable_id("result", &[&format!("kombo:{INTEGRATION}"), order_id])
}
