//! Generates the host bindings for the Spin interfaces from the WIT that ships
//! inside the spin-sdk crate, so the stand-in Spin host speaks exactly the
//! interfaces the gateway's SDK was built against, and no WIT is copied here.
//!
//! spin-sdk is a dependency of the workspace member `spin-probe`, so it is in
//! the lock file; `cargo metadata` names its source directory (downloading it
//! first on a fresh machine, as any build of the workspace would). The
//! `bindgen!` call written to `$OUT_DIR/spin_bindings.rs` uses that absolute
//! path, which the macro joins to `CARGO_MANIFEST_DIR` unchanged.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The SDK the gateway is written against (the workspace pins it with `=`).
const SPIN_SDK: (&str, &str) = ("spin-sdk", "5.2.0");

/// The host world: every `fermyon:spin@2.0.0` interface a spin-sdk 5.2
/// component may import, and `wasi:keyvalue@0.2.0-draft2` (the same stores,
/// with atomics). WASI itself comes from wasmtime-wasi and
/// wasmtime-wasi-http, so it is not part of this world.
const WORLD: &str = "package assessio:spin-host;

world host {
  import fermyon:spin/variables@2.0.0;
  import fermyon:spin/key-value@2.0.0;
  import fermyon:spin/llm@2.0.0;
  import fermyon:spin/redis@2.0.0;
  import fermyon:spin/mqtt@2.0.0;
  import fermyon:spin/postgres@2.0.0;
  import fermyon:spin/mysql@2.0.0;
  import fermyon:spin/sqlite@2.0.0;
  import wasi:keyvalue/store@0.2.0-draft2;
  import wasi:keyvalue/atomics@0.2.0-draft2;
  import wasi:keyvalue/batch@0.2.0-draft2;
}
";

/// The SDK's WIT packages the host world needs, dependencies first.
const PACKAGES: [&str; 16] = [
    "io@0.2.0",
    "clocks@0.2.0",
    "random@0.2.0",
    "filesystem@0.2.0",
    "sockets@0.2.0",
    "cli@0.2.0",
    "http@0.2.0",
    "io-2023-10-18",
    "clocks-2023-10-18",
    "random-2023-10-18",
    "filesystem-2023-10-18",
    "sockets-2023-10-18",
    "cli-2023-10-18",
    "http-2023-10-18",
    "spin@2.0.0",
    "keyvalue-2024-10-17",
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace =
        manifest_dir.ancestors().nth(2).expect("host-test/spin-host sits inside the workspace").to_path_buf();
    // The lock file decides which spin-sdk the metadata names.
    println!("cargo::rerun-if-changed={}", workspace.join("Cargo.lock").display());

    let wit = match spin_sdk_wit(&workspace) {
        Ok(wit) => wit,
        Err(why) => panic!("cannot find the WIT of {} {}: {why}", SPIN_SDK.0, SPIN_SDK.1),
    };
    println!("cargo::rerun-if-changed={}", wit.display());
    // For tests that build components against the same WIT (`SPIN_SDK_WIT`).
    println!("cargo::rustc-env=SPIN_SDK_WIT={}", wit.display());

    // Only the packages the `fermyon:spin@2.0.0` package stands on, each
    // after its own dependencies: the SDK's root also holds the WASI 0.3
    // release candidates, whose `stream`/`future` types this wasmtime build
    // (no `component-model-async`) refuses to generate.
    let paths: Vec<String> = PACKAGES.iter().map(|p| wit.join("deps").join(p).display().to_string()).collect();

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("spin_bindings.rs");
    let code = format!(
        r#"wasmtime::component::bindgen!({{
    path: {paths:?},
    inline: {WORLD:?},
    with: {{
        "fermyon:spin/key-value.store": crate::key_value::StoreHandle,
        "wasi:keyvalue/store.bucket": crate::key_value::StoreHandle,
        "wasi:keyvalue/atomics.cas": crate::key_value::CasHandle,
    }},
}});
"#
    );
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}

/// `<spin-sdk source>/wit`, from `cargo metadata` over the workspace.
fn spin_sdk_wit(workspace: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(workspace.join("Cargo.toml"))
        .output()
        .map_err(|e| format!("running cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("reading cargo metadata: {e}"))?;
    let packages = metadata["packages"].as_array().ok_or("cargo metadata has no packages")?;
    let manifest = packages
        .iter()
        .find(|p| p["name"] == SPIN_SDK.0 && p["version"] == SPIN_SDK.1)
        .and_then(|p| p["manifest_path"].as_str())
        .ok_or("it is not in the workspace's dependency graph (spin-probe depends on it)")?;
    let wit = Path::new(manifest).parent().ok_or("its manifest path has no parent")?.join("wit");
    if !wit.join("deps").join("spin@2.0.0").is_dir() {
        return Err(format!("{} has no deps/spin@2.0.0", wit.display()));
    }
    Ok(wit)
}
