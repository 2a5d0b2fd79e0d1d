//! A wasmtime host for the Assessio connector.
//!
//! It loads the plugin component under limits ([`sandbox`]), calls every
//! export with the `assessio_plugin` crate's own types ([`connector`]), finds
//! or builds the component ([`locate`]), and offers the JSON calling
//! convention of the `assessio call` command ([`call`]).

pub mod bench;
pub mod call;
pub mod connector;
mod convert;
pub mod demo;
pub mod dynamic;
pub mod load;
pub mod locate;
mod plugin_bindings;
pub mod real_spin;
pub mod sandbox;
pub mod sim;
pub mod spin;
pub mod stack;
pub mod up;
pub mod wit_print;

pub use connector::Connector;
pub use sandbox::{CallError, Limits};
