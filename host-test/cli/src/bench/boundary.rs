//! Row 6: what the component boundary costs the gateway. The root
//! `spin.toml` (the gateway importing the connector, composed with the
//! plugin component) against the same gateway built with the plugin crate
//! linked in (`--features linked-connector`, no dependency), each served by
//! this host and, where it is installed, by real Spin, in one run.
//!
//! The order path is a signed Kombo order webhook up to the gateway's
//! answer (the gateway places the order at the Assessio simulator before it
//! answers); the result path is Assessio's result webhook up to the
//! gateway's answer (it writes the result to the Kombo simulator first).
//! Requests go one at a time, so the figures are latencies, not throughput;
//! the simulators' share is the same in both variants, so the difference is
//! the boundary: instantiating the plugin beside the gateway on every
//! request and copying each call's arguments and results across.

use crate::stack::{Engine, INTEGRATION, Stack, StackOptions, demo_package, secrets};
use anyhow::{Context as _, bail};
use assessio_harness::locate;
use assessio_simulators::NewOrder;
use assessio_simulators::http::HttpClient;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The linked gateway's path, built in a target directory of its own so
/// that the composed build in `target/` is left as it is.
pub fn build_linked_gateway() -> anyhow::Result<PathBuf> {
    let root = locate::workspace_root();
    let target_dir = root.join("target/bench-linked");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--quiet", "--package", "assessio-gateway", "--release", "--target", locate::TARGET])
        .args(["--features", "linked-connector", "--target-dir"])
        .arg(&target_dir)
        .status()
        .context("running cargo to build the linked gateway")?;
    if !status.success() {
        bail!("building the gateway with --features linked-connector failed ({status})");
    }
    Ok(target_dir.join(locate::TARGET).join("release/assessio_gateway.wasm"))
}

/// A copy of the root `spin.toml` in `dir` that serves `gateway` with no
/// dependency.
pub fn linked_manifest(dir: &Path, gateway: &Path) -> anyhow::Result<PathBuf> {
    let root = locate::workspace_root();
    let text = std::fs::read_to_string(root.join("spin.toml")).context("reading spin.toml")?;
    let mut manifest: toml::Table = toml::from_str(&text).context("parsing spin.toml")?;
    let component = manifest
        .get_mut("component")
        .and_then(|c| c.get_mut("gateway"))
        .and_then(toml::Value::as_table_mut)
        .context("spin.toml has no [component.gateway]")?;
    component.insert("source".into(), toml::Value::String(gateway.to_string_lossy().into_owned()));
    component.remove("dependencies");
    component.remove("build");
    std::fs::create_dir_all(dir)?;
    let path = dir.join("spin.toml");
    std::fs::write(&path, toml::to_string(&manifest)?).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

/// Serves `manifest` on `engine` and times `orders` order webhooks, then as
/// many result webhooks, one at a time.
pub async fn measure(
    engine: &Engine,
    manifest: Option<PathBuf>,
    kv_dir: &Path,
    orders: usize,
) -> anyhow::Result<((f64, f64), (f64, f64))> {
    let _ = std::fs::remove_dir_all(kv_dir);
    std::fs::create_dir_all(kv_dir)?;
    let options = StackOptions { engine: engine.clone(), manifest, auto_complete: None, ..StackOptions::new(kv_dir) };
    let stack = Stack::start(options).await?;
    let client = HttpClient::new(Duration::from_secs(30));
    let warmup = 5;
    let mut order_ms = Vec::new();
    let mut placed = Vec::new();
    for i in 0..warmup + orders {
        let email = format!("boundary-{i}@example.com");
        let started = Instant::now();
        let outcome = stack.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), &email)).await?;
        let took = started.elapsed().as_secs_f64() * 1e3;
        if outcome.status != Some(200) {
            bail!("order webhook {i} answered {:?}: {:?}", outcome.status, outcome.error);
        }
        if i >= warmup {
            order_ms.push(took);
        }
        placed.push(outcome.order_id);
    }
    let auth = format!("Bearer {}", secrets::INTEGRATOR_API_KEY);
    let mut result_ms = Vec::new();
    for (i, order_id) in placed.iter().enumerate() {
        let result_id = assessio_plugin::hubs::result_id("kombo", INTEGRATION, order_id, None);
        let body = serde_json::json!({
            "resultId": result_id, "score": 71, "subscores": { "Grit": 60 },
            "assessmentReportUrl": "https://app.assessio.online/report/1",
        });
        let url = stack.gateway.url(&format!("/assessio/results/{result_id}"));
        let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
        let started = Instant::now();
        let answer = client.request(http::Method::POST, &url, &headers, body.to_string().into_bytes()).await;
        let took = started.elapsed().as_secs_f64() * 1e3;
        let answer = answer.map_err(|e| anyhow::anyhow!("result webhook {i}: {e}"))?;
        if !(200..300).contains(&answer.status) {
            bail!("result webhook {i} answered {}: {}", answer.status, answer.text());
        }
        if i >= warmup {
            result_ms.push(took);
        }
    }
    stack.shutdown().await;
    let _ = std::fs::remove_dir_all(kv_dir);
    Ok((percentiles(order_ms), percentiles(result_ms)))
}
