//! The fuzz targets' shared code: the plugin harness (also replayed by the
//! default test run), the structured order input, and the gateway harness.
//!
//! The targets in `fuzz_targets/` are one line each, so what a target checks
//! is read here, in one place.

pub use assessio_fuzz_harness as harness;

pub mod gateway;
pub mod order;
