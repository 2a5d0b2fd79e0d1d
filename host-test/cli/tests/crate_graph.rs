//! The host-test crates depend on each other one way, and each takes only
//! what its job needs, as `cargo tree` shows it (dev-dependencies included):
//!
//! - `component-sandbox` takes wasmtime and no crate of this repository;
//! - `assessio-harness` (the plugin's host) takes no HTTP server, no Spin
//!   runtime and no simulator;
//! - `spin-host` names no Assessio or hub crate;
//! - `assessio-simulators`, the oracles, take neither the plugin nor the
//!   gateway (nor wasmtime);
//! - `assessio-fuzz-harness` takes the plugin and no engine;
//! - only the `assessio` command (`assessio-host`) takes them all, and no
//!   crate takes it.

use std::collections::BTreeSet;
use std::process::Command;

/// The packages in `cargo tree -p package`, every edge kind, by name.
fn tree(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("the workspace root");
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["tree", "--locked", "--edges", "normal,build,dev", "--prefix", "none", "--format", "{p}", "-p"])
        .arg(package)
        .output()
        .expect("running cargo tree");
    assert!(output.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The names in `tree` that `forbidden` matches.
fn offending(tree: &BTreeSet<String>, forbidden: impl Fn(&str) -> bool) -> Vec<&str> {
    tree.iter().map(String::as_str).filter(|name| forbidden(name)).collect()
}

/// This repository's crates that are not the package itself.
fn in_house(name: &str) -> bool {
    name.starts_with("assessio") || matches!(name, "spin-host" | "component-sandbox" | "spin-probe" | "abi-floor")
}

/// The HTTP stack a server or a client is built on.
fn http_stack(name: &str) -> bool {
    name.starts_with("hyper") || name.starts_with("wasmtime-wasi-http") || name == "tokio"
}

#[test]
fn the_sandbox_takes_no_crate_of_this_repository() {
    let tree = tree("component-sandbox");
    assert!(tree.contains("wasmtime"), "the check sees the tree: {tree:?}");
    assert_eq!(offending(&tree, |n| n != "component-sandbox" && in_house(n)), Vec::<&str>::new());
}

#[test]
fn the_harness_holds_no_http_server_no_spin_runtime_and_no_simulator() {
    let tree = tree("assessio-harness");
    assert!(tree.contains("assessio-plugin") && tree.contains("component-sandbox"), "{tree:?}");
    assert_eq!(offending(&tree, http_stack), Vec::<&str>::new());
    assert_eq!(
        offending(&tree, |n| matches!(n, "spin-host" | "assessio-simulators" | "assessio-gateway" | "jsonschema")),
        Vec::<&str>::new()
    );
}

#[test]
fn the_spin_runtime_names_no_assessio_or_hub_crate() {
    let tree = tree("spin-host");
    assert!(tree.contains("component-sandbox") && tree.contains("wasmtime-wasi-http"), "{tree:?}");
    let hub = |n: &str| ["assessio", "kombo", "teamtailor", "stackone"].iter().any(|h| n.contains(h));
    assert_eq!(offending(&tree, hub), Vec::<&str>::new());
}

#[test]
fn the_simulators_take_neither_the_plugin_nor_the_gateway() {
    let tree = tree("assessio-simulators");
    assert!(tree.contains("hyper") && tree.contains("hmac"), "{tree:?}");
    assert_eq!(offending(&tree, |n| n != "assessio-simulators" && in_house(n)), Vec::<&str>::new());
    assert_eq!(offending(&tree, |n| n.starts_with("wasmtime")), Vec::<&str>::new());
}

#[test]
fn the_fuzz_harness_takes_the_plugin_and_no_engine() {
    let tree = tree("assessio-fuzz-harness");
    assert!(tree.contains("assessio-plugin"), "{tree:?}");
    assert_eq!(offending(&tree, |n| n.starts_with("wasmtime") || http_stack(n)), Vec::<&str>::new());
    assert_eq!(offending(&tree, |n| n == "assessio-gateway" || n == "assessio-harness"), Vec::<&str>::new());
}

#[test]
fn only_the_command_takes_them_all_and_nothing_takes_the_command() {
    let cli = tree("assessio-host");
    for part in ["assessio-harness", "spin-host", "assessio-simulators", "component-sandbox"] {
        assert!(cli.contains(part), "assessio-host should depend on {part}");
    }
    for package in
        ["component-sandbox", "assessio-harness", "spin-host", "assessio-simulators", "assessio-fuzz-harness"]
    {
        assert!(!tree(package).contains("assessio-host"), "{package} depends on the command");
    }
}
