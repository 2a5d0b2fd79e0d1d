//! The Assessio plugin's host: what a Rust hub embeds to run the connector.
//!
//! It loads the plugin component under limits ([`sandbox`], re-exported from
//! the `component-sandbox` crate), calls every export with the
//! `assessio_plugin` crate's own types ([`connector`]), lists and calls
//! exports by name for tools ([`dynamic`]), offers the JSON calling
//! convention of the `assessio call` command ([`call`]), prints the
//! contract ([`wit_print`]), and finds or builds the component ([`locate`]).
//!
//! It must never import an HTTP server, the Spin runtime or the simulators:
//! a hub that takes this crate takes wasmtime and the plugin's types, and
//! nothing else of this repository.

pub mod bindings;
pub mod call;
pub mod connector;
pub mod convert;
pub mod dynamic;
pub mod locate;
pub mod wit_print;

pub use component_sandbox as sandbox;
pub use component_sandbox::{CallError, Limits};
pub use connector::Connector;
