//! The connector, as the gateway reaches it: every byte the gateway sends
//! to Assessio or a hub, and every body it reads from them, goes through
//! [`Connector`], so the gateway holds no connector logic of its own.
//!
//! Two implementations, chosen at build time, behind one name, [`Plugin`]:
//! - in WebAssembly, `imported`: the `assessio:connector` interfaces the
//!   gateway component imports, which Spin satisfies with the plugin
//!   component (`[component.gateway.dependencies]` in `spin.toml`). The
//!   plugin's code then runs in an instance of its own, with none of the
//!   gateway's rights, and is the very file hubs load.
//! - natively (the gateway's unit tests and the fuzzer), [`linked`]: the
//!   `assessio-plugin` crate called directly, the same code the component is
//!   built from.
//!
//! The methods are the WIT functions the gateway uses, in the crate's types;
//! those of a hub's interface carry its name (`kombo_result_request` is
//! `assessio:connector/kombo.result-request`).

mod api;
#[cfg(all(target_arch = "wasm32", not(feature = "linked-connector")))]
mod imported;
#[cfg(any(not(target_arch = "wasm32"), feature = "linked-connector"))]
pub mod linked;

/// The connector this build talks to: the imported plugin component in
/// WebAssembly, the linked crate natively.
#[cfg(all(target_arch = "wasm32", not(feature = "linked-connector")))]
pub use imported::Imported as Plugin;
/// The connector this build talks to: the imported plugin component in
/// WebAssembly, the linked crate natively (and, with the feature
/// `linked-connector`, in a WebAssembly build made only for comparison).
#[cfg(any(not(target_arch = "wasm32"), feature = "linked-connector"))]
pub use linked::Linked as Plugin;

pub use api::Connector;
