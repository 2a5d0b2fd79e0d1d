//! The `assessio` command's library: everything that wires the plugin
//! harness, the Spin-compatible runtime and the simulators together.
//!
//! - [`demo`]: `assessio demo`, every export called once on example payloads.
//! - [`stack`]: the connector's whole app (gateway with the plugin composed
//!   in) served with all four simulators, on this crate's runtime or real Spin.
//! - [`up`]: `assessio up` and `assessio serve`, that stack for a person.
//! - [`load`]: `assessio load`, the load and crash rig.
//! - [`bench`]: `assessio bench`, the benchmark suite.
//!
//! This is the only crate that depends on `assessio-harness`, `spin-host`
//! and `assessio-simulators` together; none of them depends on it, and the
//! end-to-end tests that need all of them live here.

pub mod bench;
pub mod demo;
pub mod load;
pub mod stack;
pub mod up;
