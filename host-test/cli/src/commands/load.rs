//! `assessio load`: the load and crash rig.

use super::failure::Failure;
use anyhow::Context as _;
use assessio_host::load::{self, Generator, LoadOptions};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `assessio load`: the options from the command line, the run, the table.
pub fn run(
    duration: u64,
    rate: f64,
    connections: u16,
    orders: Option<usize>,
    generator: &str,
    quick: bool,
    out: Option<&PathBuf>,
) -> Result<ExitCode, Failure> {
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
