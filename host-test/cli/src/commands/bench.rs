//! `assessio bench`: the benchmark table.

use super::failure::Failure;
use anyhow::Context as _;
use assessio_host::bench::{self, BenchOptions};
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs the rows asked for (`only`, empty: all), progress on stderr, the
/// table on stdout, the JSON report to `out` (default `target/bench.json`).
pub fn run(quick: bool, out: Option<&PathBuf>, only: &[u8], plugin: Option<&PathBuf>) -> Result<ExitCode, Failure> {
    let mut options = BenchOptions::new();
    options.quick = quick;
    options.only = only.to_vec();
    options.plugin = plugin.cloned();
    if let Some(out) = out {
        options.out.clone_from(out);
    }
    let report = bench::run(&options, &mut std::io::stderr())?;
    bench::print_table(&report, &mut std::io::stdout().lock()).context("printing the table")?;
    Ok(ExitCode::SUCCESS)
}
