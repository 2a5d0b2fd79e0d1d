//! `assessio serve`: a Spin app on the Spin-compatible runtime (`spin-host`), against whatever
//! its variables point at.

use super::failure::Failure;
use anyhow::Context as _;
use assessio_harness::locate;
use std::process::ExitCode;

/// `assessio serve`: the manifest's app on `listen` until Ctrl-C.
pub fn run(
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
    let values = spin_host::variables::command_line_values(variables)?;
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
