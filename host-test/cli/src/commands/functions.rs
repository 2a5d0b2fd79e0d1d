//! `assessio functions`: the functions and the JSON each takes.

use super::failure::Failure;
use super::plugin::PluginChoice;
use assessio_harness::call::{FUNCTIONS, hub_functions};
use std::process::ExitCode;

/// Lists the core functions, then the hub adapters as the built plugin's own
/// types describe them.
pub fn run(plugin: &PluginChoice) -> Result<ExitCode, Failure> {
    println!(
        "ACCOUNT = {{\"environment\": \"sandbox\"|\"production\"|{{\"custom\": URL}}, \"provider-key\": \"...\", \"integrator-secret\": \"...\"|null}}"
    );
    println!("ORDER   = see examples/calls/build-order.json and the README\n");
    for (name, input) in FUNCTIONS {
        println!("{name}\n    {input}");
    }
    let connector = plugin.load()?;
    println!("\nHub adapters (JSON named as in the WIT; bytes as text or `<name>-base64`):\n");
    for (name, input) in hub_functions(&connector) {
        println!("{name}\n    {input}");
    }
    Ok(ExitCode::SUCCESS)
}
