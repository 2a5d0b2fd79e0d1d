//! Link settings of the component build.
//!
//! - wasi-libc's `mem*` routines: without std nothing pulls in libc, yet
//!   `compiler_builtins` on wasm32-wasip2 still calls `memcmp`, `memcpy` and
//!   friends from it. Those are pure functions with no WASI imports, so
//!   linking the toolchain's own static `libc.a` (shipped with the target,
//!   "self-contained") adds them and nothing else.
//! - A 128 KiB stack instead of the toolchain's 1 MiB. The stack sits at the
//!   bottom of linear memory, so it sets the memory's initial size, and every
//!   fresh instance pays for that size: wasmtime's pooling allocator (Spin's
//!   default) zeroes up to 2 MiB of each memory when an instance ends. The
//!   deepest the plugin goes is `serde_json`'s nesting limit (128 levels),
//!   which needs between 16 and 32 KiB (`deeply_nested_json_is_a_typed_refusal_not_a_trap`
//!   in host-test/harness/tests/limits.rs fails at 16 KiB); 128 KiB is four
//!   times what it needs. An overflow would still be a trap, never a write
//!   into the data: the stack is placed first, below the data, and grows
//!   towards address 0.

/// The component's stack, in bytes (see the module docs).
const STACK_BYTES: u32 = 128 * 1024;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    let component = std::env::var_os("CARGO_FEATURE_COMPONENT").is_some();
    if wasm && component {
        println!("cargo::rustc-link-arg-cdylib=-lc");
        println!("cargo::rustc-link-arg-cdylib=-zstack-size={STACK_BYTES}");
    }
}
