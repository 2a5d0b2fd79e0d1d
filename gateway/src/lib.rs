//! The Assessio connector's gateway, hosted in Spin.
//!
//! It receives a hub's order webhooks, places Assessio orders, receives
//! Assessio's result webhooks and writes the results back to the hub. Every
//! byte it builds or reads goes through the connector ([`connector`]): in
//! Spin, the plugin component itself, composed in through the gateway's
//! `assessio:connector` imports, so the gateway and the plugin a hub loads
//! can never disagree.
//!
//! Layout, in layers that import only downwards (`tests/layers.rs` holds
//! the table):
//! - `spin.rs`: the Spin glue, the only spin-sdk file;
//! - [`routes`]: the HTTP surface, and the one place that names every hub's
//!   module (it implements [`reconcile::HubFlows`]);
//! - the hubs' flows, one module each: [`kombo`] (order webhook, reconcile,
//!   package sync), [`teamtailor`] (partner configuration, stage trigger,
//!   progress), [`stackone`] (order event);
//! - the shared flows: [`reconcile`] (finishing what was kept), [`place`]
//!   (placing any hub's order at Assessio, or keeping it), [`results`] (the
//!   result webhook and write-back to any hub);
//! - [`records`]: what is stored per order;
//! - [`config`] (Spin variables) and [`reply`] (HTTP values);
//! - [`connector`] (the plugin, imported or linked), [`hub`] (the hubs, as a
//!   type), [`platform`] (what the flows need from a runtime) and [`auth`].
//!
//! A new hub is one module, a variant of [`hub::Hub`], and the `match`es the
//! compiler then points at, plus its routes.

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
