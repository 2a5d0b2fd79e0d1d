//! Links wasi-libc's `mem*` routines into the `no_std` component.
//!
//! Without std nothing pulls in libc, yet `compiler_builtins` on wasm32-wasip2
//! still calls `memcmp`, `memcpy` and friends from it. Those are pure
//! functions with no WASI imports, so linking the toolchain's own static
//! `libc.a` (shipped with the target, "self-contained") adds them and nothing else.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    let component = std::env::var_os("CARGO_FEATURE_COMPONENT").is_some();
    if wasm && component {
        println!("cargo::rustc-link-arg-cdylib=-lc");
    }
}
