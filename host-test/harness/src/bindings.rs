//! The plugin world's host bindings, generated from this repository's own
//! `wit/`. A module of their own so that the calls (`connector`) and the
//! type conversions (`convert`) both take them from below, neither from the
//! other.

#![allow(missing_docs, clippy::pedantic)]

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "plugin",
});

/// The Assessio interface's exported functions and types.
pub use exports::assessio::connector::assessio as wit;
/// The shared `types` interface.
pub use exports::assessio::connector::types as wt;
