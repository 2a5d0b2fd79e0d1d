//! `assessio`: try the Assessio connector from a terminal.
//!
//! Loads the plugin component through wasmtime (building it first if needed)
//! and calls its exports with JSON, prints its WIT, or walks one order through
//! the whole connector. JSON answers go to stdout; progress and human
//! messages go to stderr.

use anyhow::Context as _;
use assessio_host::call::{CallFailure, FUNCTIONS};
use assessio_host::{Connector, Limits, demo, locate, wit_print};
use clap::{Parser, Subcommand};
use std::io::Read as _;
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
    /// Memory the plugin may use per call, in MiB.
    #[arg(long, global = true, default_value_t = 64, value_name = "MIB")]
    memory_mib: usize,
    /// Time one call may take, in milliseconds.
    #[arg(long, global = true, default_value_t = 2000, value_name = "MS")]
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
    /// could not be read or the function does not exist; 3 the plugin was
    /// stopped by a limit. `assessio functions` lists the input shapes.
    Call {
        /// One of the names `assessio functions` lists, e.g. `build-order`.
        function: String,
        /// Read the input from this file; `-` or nothing reads stdin.
        #[arg(long, short, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Print the answer on one line instead of indented.
        #[arg(long)]
        compact: bool,
    },
    /// List the functions and the JSON each takes.
    Functions,
    /// Print what the plugin component imports and exports, as WIT.
    Wit,
    /// Walk one order through the connector with the bundled example data:
    /// lenses, order, signature check, Assessio's answer, result.
    Demo,
}

fn load(cli: &Cli) -> anyhow::Result<Connector> {
    let limits = Limits {
        memory_bytes: cli.memory_mib.saturating_mul(1 << 20),
        deadline: Duration::from_millis(cli.deadline_ms),
        ..Limits::default()
    };
    let path = match &cli.plugin {
        Some(p) => p.clone(),
        None => locate::ensure_plugin_built()?,
    };
    Connector::load(&path, limits)
}

fn read_input(input: Option<&PathBuf>) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match input {
        Some(path) if path.as_os_str() != "-" => {
            bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        }
        _ => {
            std::io::stdin().read_to_end(&mut bytes).context("reading stdin")?;
        }
    }
    Ok(bytes)
}

fn print_json(v: &serde_json::Value, compact: bool) {
    let text = if compact { v.to_string() } else { serde_json::to_string_pretty(v).unwrap_or_default() };
    println!("{text}");
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Functions => {
            println!(
                "ACCOUNT = {{\"environment\": \"sandbox\"|\"production\"|{{\"custom\": URL}}, \"provider-key\": \"...\", \"integrator-secret\": \"...\"|null}}"
            );
            println!("ORDER   = see examples/calls/build-order.json and the README\n");
            for (name, input) in FUNCTIONS {
                println!("{name}\n    {input}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Wit => {
            let path = match &cli.plugin {
                Some(p) => p.clone(),
                None => locate::ensure_plugin_built()?,
            };
            let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            print!("{}", wit_print::component_wit(&bytes)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Call { function, input, compact } => {
            if !FUNCTIONS.iter().any(|(n, _)| n == function) {
                let names: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
                eprintln!("error: no function `{function}`; the functions are: {}", names.join(", "));
                return Ok(ExitCode::from(2));
            }
            let bytes = read_input(input.as_ref())?;
            let connector = load(cli)?;
            match assessio_host::call::call(&connector, function, &bytes) {
                Ok(v) => {
                    print_json(&v, *compact);
                    Ok(ExitCode::SUCCESS)
                }
                Err(failure) => {
                    if let CallFailure::Refused(v, _) = &failure {
                        print_json(v, *compact);
                    }
                    eprintln!("error: {failure}");
                    Ok(ExitCode::from(failure.exit_code()))
                }
            }
        }
        Command::Demo => {
            let connector = load(cli)?;
            demo::run(&connector, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
