//! `assessio`: try the Assessio connector from a terminal.
//!
//! Loads the plugin component through wasmtime (building it first if needed)
//! and calls its exports with JSON, prints its WIT, or walks one order through
//! the whole connector. JSON answers go to stdout; progress and human
//! messages go to stderr.

use anyhow::Context as _;
use assessio_harness::call::{CallFailure, FUNCTIONS, Request};
use assessio_harness::{Connector, Limits, locate, wit_print};
use assessio_host::demo;
use clap::{Parser, Subcommand};
use std::io::{IsTerminal as _, Read as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Try the Assessio connector: call its functions with JSON, print its
/// contract, or walk an order through it. The plugin runs in wasmtime with no
/// imports, a memory cap and a deadline.
#[derive(Parser)]
#[command(name = "assessio", version, propagate_version = true)]
struct Cli {
    /// The plugin component to load. Default: build it from this checkout
    /// (cargo, wasm32-wasip2, release) if missing or stale, then load it.
    #[arg(long, global = true, env = "ASSESSIO_PLUGIN", value_name = "WASM")]
    plugin: Option<PathBuf>,
    /// Memory the plugin may use per call, in MiB (it needs about 2 to start).
    #[arg(long, global = true, default_value_t = 64, value_name = "MIB",
          value_parser = clap::value_parser!(u16).range(2..=4096))]
    memory_mib: u16,
    /// Time one call may take, in milliseconds (resolution 5 ms).
    #[arg(long, global = true, default_value_t = 2000, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(5..=600_000))]
    deadline_ms: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Call one function with JSON input; print its JSON answer.
    ///
    /// Exit codes: 0 answered; 1 the connector refused the input (a typed
    /// error is printed as JSON, and in words on stderr); 2 the input JSON
    /// could not be read, the function does not exist, or the command line
    /// is wrong; 3 the plugin was stopped by a limit; 4 the plugin could not
    /// be built or loaded. `assessio functions` lists the input shapes.
    Call {
        /// One of the names `assessio functions` lists: a core function such
        /// as `build-order`, or a hub adapter as `<hub>.<function>`, such as
        /// `teamtailor.parse-trigger` or `stackone.result-request`.
        function: String,
        /// Read the input from this file; `-` or nothing reads stdin.
        #[arg(long, short, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Print the answer on one line instead of indented.
        #[arg(long)]
        compact: bool,
    },
    /// List the functions and the JSON each takes (the hub adapters' shapes
    /// are read from the built plugin's own types).
    Functions,
    /// Print what the plugin component imports and exports, as WIT.
    Wit,
    /// Walk one order through the plugin alone with the bundled example data:
    /// lenses, order, signature check, Assessio's answer, result.
    Demo,
    /// Start the simulators of Assessio and the three hubs and the gateway
    /// (spin.toml, served by this wasmtime host), and walk one order through
    /// the chosen hub (`--hub`), from the ATS to Assessio and its result back,
    /// step by step. Then stay up and send another order on each Enter, until
    /// Ctrl-D or Ctrl-C.
    Up {
        /// Which hub's flow to walk: `kombo` (packages, signed webhook,
        /// write-back), `teamtailor` (trigger dialog, stage trigger, partner
        /// result) or `stackone` (order event, result PATCH). All three are
        /// simulated and served either way.
        #[arg(long, default_value = "kombo", value_name = "HUB",
              value_parser = clap::builder::PossibleValuesParser::new(assessio_host::up::Hub::NAMES))]
        hub: String,
        /// Exit after the walk-through instead of staying up.
        #[arg(long)]
        once: bool,
        /// Where the gateway keeps its key-value store; reuse it to restart
        /// without losing anything. Default: target/assessio-up/ (emptied first).
        #[arg(long, value_name = "DIR")]
        kv_dir: Option<PathBuf>,
        /// Also print the gateway's own log lines (stderr).
        #[arg(long)]
        logs: bool,
    },
    /// Load test: the gateway in its own process, Assessio's and Kombo's
    /// simulators as upstreams with faults injected (errors, latency,
    /// dropped connections); sends Kombo orders at a steady rate (with wrk
    /// when installed, else a built-in generator) while Assessio sends the
    /// results back, then reconciles and checks the ledger. Prints a table,
    /// writes JSON; exits 1 if the ledger does not balance.
    Load {
        /// How long to send orders, in seconds.
        #[arg(long, default_value_t = 60, value_name = "SECS",
              value_parser = clap::value_parser!(u64).range(1..=3600))]
        duration: u64,
        /// Orders per second to send.
        #[arg(long, default_value_t = 10.0, value_name = "PER_SECOND")]
        rate: f64,
        /// Keep-alive connections to the gateway.
        #[arg(long, default_value_t = 4, value_name = "N",
              value_parser = clap::value_parser!(u16).range(1..=256))]
        connections: u16,
        /// Orders to prepare (default: rate × duration).
        #[arg(long, value_name = "N")]
        orders: Option<usize>,
        /// `auto` (wrk if installed), `wrk` or `builtin`.
        #[arg(long, default_value = "auto", value_name = "TOOL",
              value_parser = clap::builder::PossibleValuesParser::new(["auto", "wrk", "builtin"]))]
        generator: String,
        /// A smoke run of a few seconds (overrides duration and rate).
        #[arg(long)]
        quick: bool,
        /// Where to write the JSON report. Default: target/load.json.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Serve a Spin app (default: this repository's spin.toml, the gateway)
    /// as `spin up` would, against whatever its variables point at: the real
    /// Assessio and Kombo when given real settings. Variables come from
    /// `--variable name=value` or, better for secrets, `SPIN_VARIABLE_<NAME>`
    /// environment variables. Stops on Ctrl-C.
    Serve {
        /// The app's manifest.
        #[arg(long, value_name = "SPIN.TOML")]
        manifest: Option<PathBuf>,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:3000", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// A variable's value, like `spin up --variable`; repeatable.
        #[arg(long = "variable", value_name = "NAME=VALUE")]
        variables: Vec<String>,
        /// Where the key-value store lives (Spin's `.spin/`). Default: `.spin`
        /// beside the manifest.
        #[arg(long, value_name = "DIR")]
        kv_dir: Option<PathBuf>,
    },
    /// Measure the plugin through wasmtime against native calls, a fresh
    /// instance per call, cold start, the gateway under load on loopback,
    /// and sizes; print a table (progress on stderr) and write it as JSON.
    Bench {
        /// A smoke run: a few calls per row, seconds instead of minutes.
        #[arg(long)]
        quick: bool,
        /// Where to write the JSON report. Default: target/bench.json.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Only these rows, e.g. `--only 1,4` (to profile one). Default: all.
        #[arg(long, value_name = "ROWS", value_delimiter = ',', value_parser = clap::value_parser!(u8).range(1..=6))]
        only: Vec<u8>,
    },
}

/// Exit code for a plugin that could not be built or loaded: the install,
/// not the input, is at fault.
const EXIT_SETUP: u8 = 4;

/// A command's failure, sorted by exit code.
enum Failure {
    /// The plugin could not be built or loaded: the install is at fault.
    Setup(anyhow::Error),
    /// Anything else that stopped the command (exit 2).
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Self::Other(e)
    }
}

fn load(cli: &Cli) -> Result<Connector, Failure> {
    load_plugin(cli).map_err(Failure::Setup)
}

fn plugin_path(cli: &Cli) -> anyhow::Result<PathBuf> {
    match &cli.plugin {
        Some(p) => Ok(p.clone()),
        None => locate::ensure_plugin_built(),
    }
}

fn load_plugin(cli: &Cli) -> anyhow::Result<Connector> {
    let limits = Limits {
        memory_bytes: usize::from(cli.memory_mib) << 20,
        deadline: Duration::from_millis(cli.deadline_ms),
        ..Limits::default()
    };
    Connector::load(&plugin_path(cli)?, limits)
}

fn read_input(input: Option<&PathBuf>) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match input {
        Some(path) if path.as_os_str() != "-" => {
            bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("reading the JSON input from the terminal; end it with Ctrl-D (or use --input FILE)");
            }
            stdin.lock().read_to_end(&mut bytes).context("reading stdin")?;
        }
    }
    Ok(bytes)
}

fn print_json(v: &serde_json::Value, compact: bool) {
    let text = if compact { v.to_string() } else { serde_json::to_string_pretty(v).unwrap_or_default() };
    println!("{text}");
}

/// Prints a call's answer (JSON on stdout, words on stderr) and gives its exit code.
fn finish(outcome: Result<serde_json::Value, CallFailure>, compact: bool) -> ExitCode {
    match outcome {
        Ok(v) => {
            print_json(&v, compact);
            ExitCode::SUCCESS
        }
        Err(failure) => {
            if let CallFailure::Refused(v, _) = &failure {
                print_json(v, compact);
            }
            eprintln!("error: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    match &cli.command {
        Command::Functions => {
            println!(
                "ACCOUNT = {{\"environment\": \"sandbox\"|\"production\"|{{\"custom\": URL}}, \"provider-key\": \"...\", \"integrator-secret\": \"...\"|null}}"
            );
            println!("ORDER   = see examples/calls/build-order.json and the README\n");
            for (name, input) in FUNCTIONS {
                println!("{name}\n    {input}");
            }
            // The hub adapters are listed from the component's own types.
            let connector = load(cli)?;
            println!("\nHub adapters (JSON named as in the WIT; bytes as text or `<name>-base64`):\n");
            for (name, input) in assessio_harness::call::hub_functions(&connector) {
                println!("{name}\n    {input}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Wit => {
            let wit = plugin_path(cli)
                .and_then(|path| std::fs::read(&path).with_context(|| format!("reading {}", path.display())))
                .and_then(|bytes| wit_print::component_wit(&bytes))
                .map_err(Failure::Setup)?;
            print!("{wit}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Call { function, input, compact } => {
            if function.contains('.') {
                let bytes = read_input(input.as_ref())?;
                if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                    eprintln!(
                        "error: cannot read the input: {}",
                        assessio_harness::call::redact_values(&e.to_string())
                    );
                    return Ok(ExitCode::from(2));
                }
                let connector = load(cli)?;
                return Ok(finish(assessio_harness::call::call_hub(&connector, function, &bytes), *compact));
            }
            if !FUNCTIONS.iter().any(|(n, _)| n == function) {
                let names: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
                eprintln!("error: no function `{function}`; the functions are: {}", names.join(", "));
                return Ok(ExitCode::from(2));
            }
            let bytes = read_input(input.as_ref())?;
            let request = match Request::parse(function, &bytes) {
                Ok(r) => r,
                Err(failure) => {
                    eprintln!("error: {failure}");
                    return Ok(ExitCode::from(failure.exit_code()));
                }
            };
            let connector = load(cli)?;
            Ok(finish(request.run(&connector), *compact))
        }
        Command::Up { hub, once, kv_dir, logs } => {
            let hub: assessio_host::up::Hub = hub.parse().map_err(|e: String| Failure::Other(anyhow::anyhow!(e)))?;
            let kv_dir = if let Some(dir) = kv_dir {
                dir.clone()
            } else {
                // A fresh store each run, so the walk-through starts clean.
                let dir = locate::workspace_root().join("target/assessio-up");
                let _ = std::fs::remove_dir_all(&dir);
                dir
            };
            std::fs::create_dir_all(&kv_dir).with_context(|| format!("creating {}", kv_dir.display()))?;
            let options = assessio_host::stack::StackOptions {
                echo_logs: *logs,
                ..assessio_host::stack::StackOptions::new(kv_dir)
            };
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(assessio_host::up::run(options, hub, !once, &mut std::io::stdout()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Load { duration, rate, connections, orders, generator, quick, out } => {
            load_test(*duration, *rate, *connections, *orders, generator, *quick, out.as_ref())
        }
        Command::Serve { manifest, listen, variables, kv_dir } => {
            serve(manifest.as_deref(), *listen, variables, kv_dir.as_deref())
        }
        Command::Bench { quick, out, only } => {
            let mut options = assessio_host::bench::BenchOptions::new();
            options.quick = *quick;
            options.only.clone_from(only);
            options.plugin.clone_from(&cli.plugin);
            if let Some(out) = out {
                options.out.clone_from(out);
            }
            let report = assessio_host::bench::run(&options, &mut std::io::stderr())?;
            assessio_host::bench::print_table(&report, &mut std::io::stdout().lock()).context("printing the table")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let connector = load(cli)?;
            demo::run(&connector, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `assessio load`: the options from the command line, the run, the table.
fn load_test(
    duration: u64,
    rate: f64,
    connections: u16,
    orders: Option<usize>,
    generator: &str,
    quick: bool,
    out: Option<&PathBuf>,
) -> Result<ExitCode, Failure> {
    use assessio_host::load::{self, Generator, LoadOptions};
    let binary = std::env::current_exe().context("finding this program")?;
    let mut options = LoadOptions::new(binary);
    if quick {
        options = options.quick();
    } else {
        options.duration = Duration::from_secs(duration);
        options.rate = rate;
    }
    if !(options.rate.is_finite() && options.rate > 0.0) {
        return Err(anyhow::anyhow!("--rate must be a positive number").into());
    }
    options.connections = usize::from(connections);
    options.orders = orders;
    options.generator = match generator {
        "wrk" => Generator::Wrk,
        "builtin" => Generator::BuiltIn,
        _ => Generator::Auto,
    };
    if let Some(out) = out {
        options.out.clone_from(out);
    }
    let report = load::run(&options, &mut std::io::stderr())?;
    load::print_table(&report, &mut std::io::stdout().lock()).context("printing the table")?;
    eprintln!("JSON report: {}", options.out.display());
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `assessio serve`: the manifest's app on `listen` until Ctrl-C.
fn serve(
    manifest: Option<&std::path::Path>,
    listen: std::net::SocketAddr,
    variables: &[String],
    kv_dir: Option<&std::path::Path>,
) -> Result<ExitCode, Failure> {
    let root = locate::workspace_root();
    let manifest = manifest.map_or_else(|| root.join("spin.toml"), std::path::Path::to_path_buf);
    if manifest == root.join("spin.toml") {
        locate::ensure_app_built().map_err(Failure::Setup)?;
    }
    let mut values = std::collections::BTreeMap::new();
    for v in variables {
        let Some((name, value)) = v.split_once('=') else {
            return Err(anyhow::anyhow!("--variable takes NAME=VALUE; one has no `=`").into());
        };
        values.insert(name.trim().to_string(), value.to_string());
    }
    let kv_dir = kv_dir.map_or_else(|| manifest.parent().unwrap_or(&root).join(".spin"), std::path::Path::to_path_buf);
    std::fs::create_dir_all(&kv_dir).with_context(|| format!("creating {}", kv_dir.display()))?;
    let options = spin_host::SpinOptions { variables: values, echo_logs: true, ..spin_host::SpinOptions::new(&kv_dir) };
    let app = spin_host::SpinApp::load(&manifest, options).map_err(Failure::Setup)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
        let server = app.serve(listener)?;
        eprintln!("serving {} on {} (Ctrl-C stops)", manifest.display(), server.url(""));
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        server.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(Failure::Setup(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_SETUP)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
