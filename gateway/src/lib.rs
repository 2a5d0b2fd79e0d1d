//! The Assessio connector's gateway, hosted in Spin.
//!
//! It receives a hub's order webhooks, places Assessio orders, receives
//! Assessio's result webhooks and writes the results back to the hub, using
//! the `assessio-plugin` crate for every byte it builds or reads, so the
//! gateway and the plugin a hub loads can never disagree.
//!
//! Layout: [`routes`] (the HTTP surface); one module per hub: [`kombo`]
//! (order webhook, reconcile, package sync), [`teamtailor`] (partner
//! configuration, stage trigger, progress) and [`stackone`] (order event);
//! [`place`] (placing any hub's order at Assessio, or keeping it),
//! [`results`] (the result webhook and write-back to any hub), [`reconcile`]
//! (finishing what was kept), [`records`] (what is stored per order),
//! [`config`] (Spin variables), [`hub`] (the hubs, as a type),
//! [`platform`] (what the flows need from a runtime) and `spin.rs` (the Spin
//! glue). A new hub is one module, a variant of [`hub::Hub`], and the
//! `match`es the compiler then points at, plus its routes.

pub mod auth;
pub mod config;
pub mod connector;
pub mod hub;
pub mod kombo;
pub mod place;
pub mod platform;
pub mod reconcile;
pub mod records;
pub mod reply;
pub mod results;
pub mod routes;
pub mod stackone;
pub mod teamtailor;

#[cfg(target_arch = "wasm32")]
mod spin;
