//! Which plugin component the plugin commands load, and under which limits.

use super::failure::Failure;
use assessio_harness::{Connector, Limits, locate};
use std::path::PathBuf;

/// The `--plugin`, `--memory-mib` and `--deadline-ms` options.
pub struct PluginChoice {
    /// A component file; `None` builds this checkout's when missing or stale.
    pub path: Option<PathBuf>,
    /// What one call may use.
    pub limits: Limits,
}

impl PluginChoice {
    /// The component's file, built first when none was named.
    pub fn path(&self) -> anyhow::Result<PathBuf> {
        match &self.path {
            Some(p) => Ok(p.clone()),
            None => locate::ensure_plugin_built(),
        }
    }

    /// The component, loaded under the limits; a failure is the install's.
    pub fn load(&self) -> Result<Connector, Failure> {
        self.path().and_then(|path| Connector::load(&path, self.limits)).map_err(Failure::Setup)
    }
}
