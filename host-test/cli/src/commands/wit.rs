//! `assessio wit`: what the plugin component imports and exports.

use super::failure::Failure;
use super::plugin::PluginChoice;
use anyhow::Context as _;
use assessio_harness::wit_print;
use std::process::ExitCode;

/// Prints the component's world as WIT, read from the file itself.
pub fn run(plugin: &PluginChoice) -> Result<ExitCode, Failure> {
    let wit = plugin
        .path()
        .and_then(|path| std::fs::read(&path).with_context(|| format!("reading {}", path.display())))
        .and_then(|bytes| wit_print::component_wit(&bytes))
        .map_err(Failure::Setup)?;
    print!("{wit}");
    Ok(ExitCode::SUCCESS)
}
