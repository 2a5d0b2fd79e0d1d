//! `assessio`: try the Assessio connector from a terminal.
//!
//! Loads the plugin component through wasmtime (building it first if needed)
//! and calls its exports with JSON, prints its WIT, or walks one order through
//! the whole connector. JSON answers go to stdout; progress and human
//! messages go to stderr.

mod commands;

use assessio_harness::Limits;
use clap::{Parser, Subcommand};
use commands::failure::Failure;
use commands::plugin::PluginChoice;
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
    /// `--variable` in `spin up`'s forms (better for secrets: a file,
    /// `@settings.json` or `name=@file`, out of the shell's history) or from
    /// `SPIN_VARIABLE_<NAME>` environment variables. Stops on Ctrl-C.
    Serve {
        /// The app's manifest.
        #[arg(long, value_name = "SPIN.TOML")]
        manifest: Option<PathBuf>,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:3000", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// Variables, as `spin up --variable` takes them: `NAME=VALUE`,
        /// `NAME=@FILE` (the file's content), or `@FILE.json` / `@FILE.toml`
        /// (a table of names to strings); repeatable, the last value wins.
        #[arg(long = "variable", value_name = "NAME=VALUE | NAME=@FILE | @FILE.json | @FILE.toml")]
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

impl Cli {
    /// The plugin and its limits, as `--plugin`, `--memory-mib` and `--deadline-ms` say.
    fn plugin(&self) -> PluginChoice {
        let limits = Limits {
            memory_bytes: usize::from(self.memory_mib) << 20,
            deadline: Duration::from_millis(self.deadline_ms),
            ..Limits::default()
        };
        PluginChoice { path: self.plugin.clone(), limits }
    }
}

/// Runs the command's own module (see `commands`).
fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    match &cli.command {
        Command::Functions => commands::functions::run(&cli.plugin()),
        Command::Wit => commands::wit::run(&cli.plugin()),
        Command::Call { function, input, compact } => {
            commands::call::run(&cli.plugin(), function, input.as_ref(), *compact)
        }
        Command::Demo => commands::demo::run(&cli.plugin()),
        Command::Up { hub, once, kv_dir, logs } => commands::up::run(hub, *once, kv_dir.as_ref(), *logs),
        Command::Load { duration, rate, connections, orders, generator, quick, out } => {
            commands::load::run(*duration, *rate, *connections, *orders, generator, *quick, out.as_ref())
        }
        Command::Serve { manifest, listen, variables, kv_dir } => {
            commands::serve::run(manifest.as_deref(), *listen, variables, kv_dir.as_deref())
        }
        Command::Bench { quick, out, only } => commands::bench::run(*quick, out.as_ref(), only, cli.plugin.as_ref()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    run(&cli).unwrap_or_else(Failure::report)
}
