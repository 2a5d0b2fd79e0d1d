//! `assessio up`: the main job, one order through the whole connector.

use super::failure::Failure;
use anyhow::Context as _;
use assessio_harness::locate;
use assessio_host::stack::StackOptions;
use assessio_host::up::{self, Hub};
use std::path::PathBuf;
use std::process::ExitCode;

/// Starts the stack, walks `hub`'s flow, and stays up unless `once`.
pub fn run(hub: &str, once: bool, kv_dir: Option<&PathBuf>, logs: bool) -> Result<ExitCode, Failure> {
    let hub: Hub = hub.parse().map_err(|e: String| Failure::Other(anyhow::anyhow!(e)))?;
    let kv_dir = if let Some(dir) = kv_dir {
        dir.clone()
    } else {
        // A fresh store each run, so the walk-through starts clean.
        let dir = locate::workspace_root().join("target/assessio-up");
        let _ = std::fs::remove_dir_all(&dir);
        dir
    };
    std::fs::create_dir_all(&kv_dir).with_context(|| format!("creating {}", kv_dir.display()))?;
    let options = StackOptions { echo_logs: logs, ..StackOptions::new(kv_dir) };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(up::run(options, hub, !once, &mut std::io::stdout()))?;
    Ok(ExitCode::SUCCESS)
}
