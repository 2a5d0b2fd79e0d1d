//! The whole connector on one machine: the simulators of Assessio and of the
//! three hubs (Kombo, Teamtailor, StackOne) and the Spin gateway (the root
//! `spin.toml`, unmodified) served by the Spin-compatible host, wired to each
//! other on loopback. Each hub's simulated customer has its own Assessio
//! organisation, as real customers do.
//!
//! `assessio up` (the README's main job) and the end-to-end tests start the
//! same stack, so what a newcomer sees is what the tests check.

use anyhow::Context as _;
use assessio_harness::locate;
use assessio_plugin::hubs::package_id;
use assessio_simulators::assessio::{AssessioConfig, AssessioSim, Organisation, RetryPolicy};
use assessio_simulators::http::{ClientResponse, HttpClient};
use assessio_simulators::kombo::{KomboConfig, KomboSim};
use assessio_simulators::stackone::{StackOneConfig, StackOneSim};
use assessio_simulators::teamtailor::{TeamtailorConfig, TeamtailorSim};
use serde_json::json;
use spin_host::server::ServerHandle;
use spin_host::variables::EnvSource;
use spin_host::{RequestLimits, SpinApp, SpinOptions};
use std::collections::BTreeMap;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::time::Duration;

/// The simulated customer's Kombo integration.
pub const INTEGRATION: &str = "greenhouse:acme-recruiting";
/// The simulated Teamtailor customer's company `uuid` (Teamtailor's company
/// object has no other id): the key of `teamtailor_tenants`.
pub const TEAMTAILOR_COMPANY: &str = "Tn7wQ4kR9sB";
/// The simulated StackOne customer's linked account.
pub const STACKONE_ACCOUNT: &str = "acc-fjord-hr";
/// The lens of Assessio's reference example, which the simulator offers.
pub const LENS_ID: &str = "7922dd91-1b44-43e4-a740-7c4d9c2fba41";
/// The package a recruiter picks in the demo: that lens, invitations in Swedish.
pub fn demo_package() -> String {
    package_id(LENS_ID, "sv-SE")
}

/// Simulated credentials. Distinct, recognisable strings, so a test can scan
/// every byte the gateway emitted for each of them.
pub mod secrets {
    /// Identifies the Kombo customer's Assessio organisation.
    pub const PROVIDER_KEY: &str = "sim-provider-key-7Qx2";
    /// Signs that organisation's orders.
    pub const INTEGRATOR_SECRET: &str = "sim-integrator-secret-Lk9v";
    /// The Teamtailor customer's Assessio organisation.
    pub const TEAMTAILOR_ORG_PROVIDER_KEY: &str = "sim-provider-key-tt-3Fh8";
    /// Signs its orders.
    pub const TEAMTAILOR_ORG_INTEGRATOR_SECRET: &str = "sim-integrator-secret-tt-Qm2w";
    /// The StackOne customer's Assessio organisation.
    pub const STACKONE_ORG_PROVIDER_KEY: &str = "sim-provider-key-so-Vb5k";
    /// Signs its orders.
    pub const STACKONE_ORG_INTEGRATOR_SECRET: &str = "sim-integrator-secret-so-Xe7p";
    /// What Assessio presents on result webhooks.
    pub const INTEGRATOR_API_KEY: &str = "sim-integrator-api-key-Rt4m";
    /// The gateway's Kombo API key.
    pub const KOMBO_API_KEY: &str = "sim-kombo-api-key-Wp8s";
    /// Signs Kombo's webhooks.
    pub const KOMBO_WEBHOOK_SECRET: &str = "sim-kombo-webhook-secret-Hd3z";
    /// The gateway's Teamtailor partner API key.
    pub const TEAMTAILOR_API_KEY: &str = "sim-teamtailor-api-key-Jn6r";
    /// The key Teamtailor sends for the customer (`Authorization: Bearer`).
    pub const TEAMTAILOR_PROVIDER_KEY: &str = "sim-teamtailor-provider-key-Gu1c";
    /// Signs Teamtailor's triggers.
    pub const TEAMTAILOR_SIGNATURE_SECRET: &str = "sim-teamtailor-signature-secret-Wz4d";
    /// The gateway's StackOne API key.
    pub const STACKONE_API_KEY: &str = "sim-stackone-api-key-Ps9t";
    /// Signs StackOne's webhooks.
    pub const STACKONE_WEBHOOK_SECRET: &str = "sim-stackone-webhook-secret-Ky2b";
    /// The operator routes' token.
    pub const OPERATOR_TOKEN: &str = "sim-operator-token-Zc6n";

    /// All of them.
    pub const ALL: [&str; 15] = [
        PROVIDER_KEY,
        INTEGRATOR_SECRET,
        TEAMTAILOR_ORG_PROVIDER_KEY,
        TEAMTAILOR_ORG_INTEGRATOR_SECRET,
        STACKONE_ORG_PROVIDER_KEY,
        STACKONE_ORG_INTEGRATOR_SECRET,
        INTEGRATOR_API_KEY,
        KOMBO_API_KEY,
        KOMBO_WEBHOOK_SECRET,
        TEAMTAILOR_API_KEY,
        TEAMTAILOR_PROVIDER_KEY,
        TEAMTAILOR_SIGNATURE_SECRET,
        STACKONE_API_KEY,
        STACKONE_WEBHOOK_SECRET,
        OPERATOR_TOKEN,
    ];
}

/// How to start the stack.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Where the gateway's key-value store lives; reuse it to restart
    /// without losing anything.
    pub kv_dir: PathBuf,
    /// Print the gateway's log lines on stderr as they come.
    pub echo_logs: bool,
    /// The simulated candidate finishes this long after the invitation.
    pub auto_complete: Option<Duration>,
    /// How Assessio's simulator retries result deliveries (time-compressed).
    pub retry: RetryPolicy,
    /// Per-request limits of the gateway.
    pub limits: RequestLimits,
    /// The engine that serves the gateway.
    pub engine: Engine,
    /// Another manifest than the root `spin.toml` (a variant of it, built
    /// by the caller), with the same variables.
    pub manifest: Option<PathBuf>,
    /// How real Spin is given the settings (this crate's host takes them
    /// in memory either way).
    pub spin_settings: SpinSettings,
}

/// How real Spin is given the gateway's settings, as an operator would.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SpinSettings {
    /// `SPIN_VARIABLE_<NAME>` environment variables.
    #[default]
    Environment,
    /// One JSON file, `spin up --variable @FILE` (readable by its owner
    /// only), listing every variable the manifest declares, defaults
    /// included: Spin then resolves each from memory, where from the
    /// environment each read costs a thread hand-off (`docs/performance.md`).
    File,
}

/// Which engine serves the root `spin.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Engine {
    /// This crate's Spin-compatible host, in this process: needs no Spin.
    #[default]
    Embedded,
    /// Real Spin, the binary at this path (see [`spin_host::real_spin::find`]),
    /// as a child process with its state in the stack's key-value
    /// directory. Its own limits apply, not [`StackOptions::limits`].
    Spin(PathBuf),
}

/// The gateway, served by one engine or the other.
pub enum Gateway {
    /// Served in this process.
    Embedded(ServerHandle),
    /// `spin up`, a child process.
    Spin(spin_host::real_spin::SpinProcess),
}

impl Gateway {
    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        match self {
            Self::Embedded(server) => server.url(path),
            Self::Spin(spin) => spin.url(path),
        }
    }

    /// Everything the gateway (and, on Spin, Spin itself) logged so far.
    pub fn log_text(&self) -> String {
        match self {
            Self::Embedded(server) => server.log().text(),
            Self::Spin(spin) => spin.log(),
        }
    }

    /// The embedded host's log, line by line with its sources; `None` on
    /// Spin, whose log is only text ([`Gateway::log_text`]).
    pub fn app_log(&self) -> Option<spin_host::AppLog> {
        match self {
            Self::Embedded(server) => Some(server.log()),
            Self::Spin(_) => None,
        }
    }

    async fn shutdown(self) {
        match self {
            Self::Embedded(server) => server.shutdown().await,
            Self::Spin(spin) => drop(spin),
        }
    }
}

impl StackOptions {
    /// Defaults, with the store in `kv_dir`.
    pub fn new(kv_dir: impl Into<PathBuf>) -> Self {
        Self {
            kv_dir: kv_dir.into(),
            echo_logs: false,
            auto_complete: Some(Duration::from_millis(300)),
            retry: RetryPolicy::default(),
            limits: RequestLimits::default(),
            engine: Engine::Embedded,
            manifest: None,
            spin_settings: SpinSettings::Environment,
        }
    }
}

/// The running stack. Everything stops when it is dropped.
pub struct Stack {
    /// Assessio's simulator.
    pub assessio: AssessioSim,
    /// Kombo's simulator; its webhooks go to the gateway.
    pub kombo: KomboSim,
    /// Teamtailor's simulator; its stage triggers go to the gateway.
    pub teamtailor: TeamtailorSim,
    /// StackOne's simulator; its order events go to the gateway.
    pub stackone: StackOneSim,
    /// The gateway, served on loopback.
    pub gateway: Gateway,
    client: HttpClient,
}

impl Stack {
    /// Builds the gateway component if needed, starts both simulators, and
    /// serves `spin.toml` with variables that point the gateway at them.
    pub async fn start(options: StackOptions) -> anyhow::Result<Self> {
        let manifest = if let Some(manifest) = &options.manifest {
            manifest.clone()
        } else {
            let built = locate::ensure_app_built()?;
            anyhow::ensure!(
                built == locate::workspace_root().join("target/wasm32-wasip2/release/assessio_gateway.wasm"),
                "spin.toml loads the gateway from target/; unset CARGO_TARGET_DIR to run the stack"
            );
            locate::workspace_root().join("spin.toml")
        };
        let api_key = secrets::INTEGRATOR_API_KEY;
        let organisations = vec![
            Organisation::example(secrets::PROVIDER_KEY, Some(secrets::INTEGRATOR_SECRET), api_key),
            Organisation::example(
                secrets::TEAMTAILOR_ORG_PROVIDER_KEY,
                Some(secrets::TEAMTAILOR_ORG_INTEGRATOR_SECRET),
                api_key,
            ),
            Organisation::example(
                secrets::STACKONE_ORG_PROVIDER_KEY,
                Some(secrets::STACKONE_ORG_INTEGRATOR_SECRET),
                api_key,
            ),
        ];
        let assessio = AssessioSim::start(AssessioConfig {
            auto_complete: options.auto_complete,
            retry: options.retry,
            ..AssessioConfig::new(organisations)
        })
        .await
        .context("starting the Assessio simulator")?;
        let kombo =
            KomboSim::start(KomboConfig::new(secrets::KOMBO_API_KEY, &[INTEGRATION], secrets::KOMBO_WEBHOOK_SECRET))
                .await
                .context("starting the Kombo simulator")?;
        let teamtailor = TeamtailorSim::start(TeamtailorConfig::new(
            secrets::TEAMTAILOR_API_KEY,
            Some(secrets::TEAMTAILOR_SIGNATURE_SECRET),
            &[(TEAMTAILOR_COMPANY, secrets::TEAMTAILOR_PROVIDER_KEY)],
        ))
        .await
        .context("starting the Teamtailor simulator")?;
        let stackone = StackOneSim::start(StackOneConfig::new(
            secrets::STACKONE_API_KEY,
            &[STACKONE_ACCOUNT],
            secrets::STACKONE_WEBHOOK_SECRET,
        ))
        .await
        .context("starting the StackOne simulator")?;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the gateway's port")?;
        let public_url = format!("http://{}", listener.local_addr()?);
        kombo.set_webhook_url(Some(format!("{public_url}/kombo/webhook")));
        teamtailor.set_webhook_url(Some(format!("{public_url}/teamtailor/webhook")));
        stackone.set_webhook_url(Some(format!("{public_url}/stackone/webhook")));
        let tenants = json!({ INTEGRATION: {
            "provider_key": secrets::PROVIDER_KEY,
            "integrator_secret": secrets::INTEGRATOR_SECRET,
            "default_locale": "sv-SE",
        }});
        let teamtailor_tenants = json!({ TEAMTAILOR_COMPANY: {
            "teamtailor_provider_key": secrets::TEAMTAILOR_PROVIDER_KEY,
            "provider_key": secrets::TEAMTAILOR_ORG_PROVIDER_KEY,
            "integrator_secret": secrets::TEAMTAILOR_ORG_INTEGRATOR_SECRET,
            "default_locale": "sv-SE",
        }});
        let stackone_tenants = json!({ STACKONE_ACCOUNT: {
            "provider_key": secrets::STACKONE_ORG_PROVIDER_KEY,
            "integrator_secret": secrets::STACKONE_ORG_INTEGRATOR_SECRET,
            "default_locale": "en-US",
        }});
        let variables: BTreeMap<String, String> = [
            ("assessio_url", assessio.url()),
            ("assessio_integrator_api_key", secrets::INTEGRATOR_API_KEY.into()),
            ("kombo_url", kombo.url()),
            ("kombo_api_key", secrets::KOMBO_API_KEY.into()),
            ("kombo_webhook_secret", secrets::KOMBO_WEBHOOK_SECRET.into()),
            ("tenants", tenants.to_string()),
            ("teamtailor_url", teamtailor.url()),
            ("teamtailor_api_key", secrets::TEAMTAILOR_API_KEY.into()),
            ("teamtailor_signature_secret", secrets::TEAMTAILOR_SIGNATURE_SECRET.into()),
            ("teamtailor_tenants", teamtailor_tenants.to_string()),
            ("stackone_url", stackone.url()),
            ("stackone_api_key", secrets::STACKONE_API_KEY.into()),
            ("stackone_webhook_secret", secrets::STACKONE_WEBHOOK_SECRET.into()),
            ("stackone_tenants", stackone_tenants.to_string()),
            ("public_url", public_url),
            ("operator_token", secrets::OPERATOR_TOKEN.into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let gateway = serve_gateway(&options, &manifest, listener, variables)?;
        Ok(Self { assessio, kombo, teamtailor, stackone, gateway, client: HttpClient::new(Duration::from_secs(30)) })
    }
    /// Calls an operator route of the gateway with the operator token.
    pub async fn operator(&self, method: &str, path: &str) -> anyhow::Result<ClientResponse> {
        let auth = format!("Bearer {}", secrets::OPERATOR_TOKEN);
        let method: http::Method = method.parse().context("HTTP method")?;
        self.client
            .request(method, &self.gateway.url(path), &[("authorization", auth.as_str())], Vec::new())
            .await
            .map_err(|e| anyhow::anyhow!("calling the gateway: {e}"))
    }

    /// Everything the gateway logged so far, as one text.
    pub fn gateway_log(&self) -> String {
        self.gateway.log_text()
    }

    /// Stops the gateway and every simulator.
    pub async fn shutdown(self) {
        self.gateway.shutdown().await;
        self.assessio.shutdown();
        self.kombo.shutdown();
        self.teamtailor.shutdown();
        self.stackone.shutdown();
    }
}

/// Writes `variables`, and the default of every other variable `manifest`
/// declares, to `settings.json` in `dir`, readable by its owner only (it
/// holds secrets), for `spin up --variable @FILE`.
fn settings_file(
    manifest: &std::path::Path,
    mut variables: BTreeMap<String, String>,
    dir: &std::path::Path,
) -> anyhow::Result<PathBuf> {
    for (name, declaration) in spin_host::manifest::Manifest::load(manifest)?.variables {
        if let Some(default) = declaration.default {
            variables.entry(name).or_insert(default);
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("settings.json");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut file, &serde_json::to_vec(&variables)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Serves `manifest` with `variables` on the engine `options` names: in
/// this process on `listener`, or `spin up` on its address.
fn serve_gateway(
    options: &StackOptions,
    manifest: &std::path::Path,
    listener: tokio::net::TcpListener,
    variables: BTreeMap<String, String>,
) -> anyhow::Result<Gateway> {
    let addr = listener.local_addr()?;
    Ok(match &options.engine {
        Engine::Embedded => {
            let spin_options = SpinOptions {
                variables,
                env: EnvSource::Map(BTreeMap::new()),
                echo_logs: options.echo_logs,
                limits: options.limits,
                ..SpinOptions::new(&options.kv_dir)
            };
            let app = SpinApp::load(manifest, spin_options).context("loading spin.toml")?;
            Gateway::Embedded(app.serve(listener)?)
        }
        Engine::Spin(bin) => {
            drop(listener); // Spin binds the port itself.
            let (envs, file): (Vec<(String, String)>, _) = match options.spin_settings {
                SpinSettings::Environment => {
                    let envs = variables
                        .into_iter()
                        .map(|(name, value)| (format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()), value))
                        .collect();
                    (envs, None)
                }
                SpinSettings::File => (Vec::new(), Some(settings_file(manifest, variables, &options.kv_dir)?)),
            };
            let launch = spin_host::real_spin::SpinLaunch {
                bin,
                manifest,
                listen: addr,
                state_dir: &options.kv_dir,
                envs: &envs,
                runtime_config: None,
                variables_file: file.as_deref(),
            };
            let spin = tokio::task::block_in_place(|| spin_host::real_spin::SpinProcess::start(&launch))
                .context("starting spin.toml on real Spin")?;
            Gateway::Spin(spin)
        }
    })
}
