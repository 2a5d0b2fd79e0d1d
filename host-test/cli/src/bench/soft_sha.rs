//! The native baseline with software SHA-256, for row 1.
//!
//! The component has no SHA instructions to use, so comparing it with a
//! native build that uses SHA-NI mostly measures the CPU's SHA unit. sha2
//! 0.11 fixes its backend at compile time (`--cfg sha2_backend="soft"`, a
//! rustc flag that only `RUSTFLAGS` can pass, and then to every crate), so
//! the like-for-like baseline needs a build of its own. Rebuilding this
//! crate that way would recompile wasmtime for minutes; instead a helper
//! crate is written under `target/bench-soft-sha/` that depends on
//! `assessio-plugin` alone and compiles [`super::native`] (the same timer
//! and calls the bench uses) into a binary, built with that flag in a
//! target dir of its own. The first build takes a minute or so; later runs
//! reuse it.

use super::native::{NativeTimes, Timer};
use anyhow::{Context as _, bail};
use assessio_harness::locate;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The rustc flag that selects sha2's portable backend.
pub const SOFT_FLAG: &str = "--cfg sha2_backend=\"soft\"";

/// Where the helper crate is written.
fn helper_dir() -> PathBuf {
    let root = locate::workspace_root();
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from).join("bench-soft-sha")
}

/// A TOML basic string (the paths are the only values that vary).
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes `path` only when its content changes, so cargo's freshness check
/// sees nothing new on later runs.
fn write_if_changed(path: &Path, content: &str) -> anyhow::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(content) {
        std::fs::write(path, content).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Writes the helper crate and builds it; returns the binary's path.
fn build_helper() -> anyhow::Result<PathBuf> {
    let root = locate::workspace_root();
    let dir = helper_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let plugin = root.join("plugin");
    let native = root.join("host-test/cli/src/bench/native.rs");
    // Its own `[workspace]`: it lives under the workspace's target/ but is
    // no member of it. Profile: cargo's release defaults, as the bench's own.
    let manifest = format!(
        "# Written by `assessio bench` (host-test/cli/src/bench/soft_sha.rs); rewritten on each run.\n\
         [package]\nname = \"assessio-bench-soft-sha\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [[bin]]\nname = \"soft-sha\"\npath = \"main.rs\"\n\n\
         [dependencies]\nassessio-plugin = {{ path = {} }}\nserde_json = \"1\"\n\n[workspace]\n",
        toml_str(&plugin.to_string_lossy())
    );
    let main = format!(
        "//! Written by `assessio bench`: row 1's native timings with software SHA-256.\n\
         #[path = {}]\nmod native;\n\nfn main() -> std::process::ExitCode {{\n    native::helper_main()\n}}\n",
        toml_str(&native.to_string_lossy())
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
    write_if_changed(&dir.join("main.rs"), &main)?;
    // The workspace's lock file pins the same sha2, hmac and serde versions
    // the bench links; cargo prunes what the helper does not use.
    if !dir.join("Cargo.lock").exists() {
        let _ = std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = |offline: bool| {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&dir)
            .args(["build", "--quiet", "--release", "--manifest-path"])
            .arg(dir.join("Cargo.toml"))
            .env("RUSTFLAGS", SOFT_FLAG)
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS");
        if offline {
            cmd.arg("--offline");
        }
        cmd.status()
    };
    // Everything it needs is in cargo's cache once the workspace has built;
    // only a cache that lacks something needs the registry.
    let status = match build(true) {
        Ok(s) if s.success() => s,
        _ => build(false).context("running cargo to build the software-SHA helper")?,
    };
    if !status.success() {
        bail!("building the software-SHA helper in {} failed ({status})", dir.display());
    }
    let exe = dir.join("target/release").join(format!("soft-sha{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(exe.is_file(), "cargo finished but {} is not there", exe.display());
    Ok(exe)
}

/// Builds the helper if needed and runs it on row 1's input files.
pub fn measure(timer: &Timer, build_order_call: &Path, result_body: &Path) -> anyhow::Result<NativeTimes> {
    let exe = build_helper()?;
    let out = Command::new(&exe)
        .arg(timer.budget.as_millis().to_string())
        .arg(timer.warmup.as_millis().to_string())
        .arg(build_order_call)
        .arg(result_body)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", exe.display()))?;
    if !out.status.success() {
        bail!("the software-SHA helper failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).context("the helper's JSON")?;
    let field = |name: &str| v[name].as_f64().with_context(|| format!("the helper's `{name}`"));
    let figures = NativeTimes {
        sign_ns: field("sign_ns")?,
        verify_ns: field("verify_ns")?,
        parse_result_ns: field("parse_result_ns")?,
        build_order_ns: field("build_order_ns")?,
        soft: v["soft"].as_bool().context("the helper's `soft`")?,
    };
    anyhow::ensure!(figures.soft, "the helper was not built with {SOFT_FLAG}");
    Ok(figures)
}
