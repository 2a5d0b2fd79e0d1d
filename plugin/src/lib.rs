//! The Assessio connector's logic, sans-IO.
//!
//! Every function here is pure: the caller passes the time, the secrets and the
//! bytes it received, and gets back the request to send or a typed answer. The
//! same code runs natively (the Spin gateway and the host link it as a Rust
//! library) and inside the WebAssembly component a hub loads (`--features
//! component`, see `component.rs`), so the two can never drift apart.
//!
//! Where to look:
//! - an order is built and validated in [`order`];
//! - a `Signature` header is made and checked in [`signature`];
//! - lenses and locales are fetched and read in [`lenses`];
//! - a result webhook is read in [`result`];
//! - Assessio's answer to an order is classified in [`response`];
//! - each hub's events and write-backs are in [`hubs`] (Kombo: [`hubs::kombo`]).
//!
//! The code uses only `core` and `alloc`, and the component build is `no_std`:
//! it links no part of the WASI standard library, so the component imports
//! nothing at all from its host.

#![cfg_attr(all(feature = "component", target_arch = "wasm32"), no_std)]

extern crate alloc;

pub mod account;
pub mod error;
pub mod http;
pub mod hubs;
pub mod ids;
mod json;
pub mod lenses;
pub mod order;
pub mod response;
pub mod result;
mod scan;
pub mod signature;
pub mod time;
mod validate;
#[doc(hidden)]
pub mod wit_convert;

#[cfg(all(feature = "component", target_arch = "wasm32"))]
mod component;

/// `Result::expect` for results that cannot be errors (HMAC takes any key,
/// plain structs always serialise), minus the error's `Debug`: `expect`
/// formats the error, which links `core::fmt`'s debug printing and its
/// Unicode tables into the component for a branch that never runs.
#[inline]
pub(crate) fn never_fails<T, E>(result: Result<T, E>, why: &'static str) -> T {
    let Ok(value) = result else { panic!("{why}") };
    value
}

pub use account::{Account, Environment};
pub use error::{FieldProblem, InputError};
pub use http::{Header, HttpRequest, Method};
pub use lenses::{Catalog, Lens, config_request, list_lenses};
pub use order::{Candidate, OrderDetails, OrderEndpoint, Recruitment, build_order};
pub use response::{OrderOutcome, Rejection, interpret_order_response};
pub use result::{AssessmentResult, Subscore, SubscoreValue, parse_result};
pub use signature::{DEFAULT_TOLERANCE, SignatureError, Verified, sign_request, verify_signature};
