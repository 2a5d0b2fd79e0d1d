//! Host bindings for the `fermyon:spin` and `wasi:keyvalue` interfaces,
//! generated at build time (`build.rs`) from the WIT inside the spin-sdk
//! crate. A file of its own, at the bottom of the Spin runtime, so the
//! interfaces' hosts take their types from here and not from `spin`.

#![allow(missing_docs, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/spin_bindings.rs"));
