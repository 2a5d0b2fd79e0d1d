//! The Assessio connector's gateway, hosted in Spin.
//!
//! It receives a hub's order webhooks, places Assessio orders, receives
//! Assessio's result webhooks and writes the results back to the hub, using
//! the `assessio-plugin` crate for every byte it builds or reads, so the
//! gateway and the plugin a hub loads can never disagree.
//!
//! Layout: [`routes`] (the HTTP surface), [`kombo`] (order webhook,
//! reconcile, package sync), [`results`] (the result webhook), [`records`]
//! (what is stored per order), [`config`] (Spin variables), [`platform`]
//! (what the flows need from a runtime) and `spin.rs` (the Spin glue).

pub mod auth;
pub mod config;
pub mod kombo;
pub mod platform;
pub mod records;
pub mod reply;
pub mod results;
pub mod routes;

#[cfg(target_arch = "wasm32")]
mod spin;
