//! A 256 KiB stack for the Spin component instead of the toolchain's 1 MiB.
//!
//! Spin creates a fresh instance per request, and its pooling allocator
//! zeroes up to 2 MiB of each linear memory when the instance ends; the
//! stack sits at the bottom of memory and sets its initial size, so a
//! smaller stack is less to zero on every request (with the plugin's own
//! stack cut the same way, `GET /health` on real Spin went from 0.50 to 0.61
//! of the probe's `/empty` with new connections: docs/performance.md). The
//! deepest the gateway goes is `serde_json`'s nesting limit on a webhook
//! body (128 levels), which needs under 32 KiB; 256 KiB leaves eight times
//! that for spin-sdk's executor and the rest. The e2e tests send bodies
//! nested past the limit to each webhook, on this project's host and on
//! real Spin. An overflow is a trap (500), never a write into the data: the
//! stack is placed first and grows towards address 0.

/// The component's stack, in bytes (see the module docs).
const STACK_BYTES: u32 = 256 * 1024;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32") {
        println!("cargo::rustc-link-arg-cdylib=-zstack-size={STACK_BYTES}");
    }
}
