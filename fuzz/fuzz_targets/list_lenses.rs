//! `list_lenses` on raw bytes; the body and its invariants are in `host-test/fuzz-harness/src/lib.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assessio_fuzz::harness::list_lenses(data));
