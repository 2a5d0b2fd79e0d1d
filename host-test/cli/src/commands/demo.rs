//! `assessio demo`: one order through the plugin alone.

use super::failure::Failure;
use super::plugin::PluginChoice;
use std::process::ExitCode;

/// Walks the bundled example data through the exports.
pub fn run(plugin: &PluginChoice) -> Result<ExitCode, Failure> {
    let connector = plugin.load()?;
    assessio_host::demo::run(&connector, &mut std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}
