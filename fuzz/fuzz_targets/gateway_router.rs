//! The gateway's router over an in-memory runtime, a conversation of
//! arbitrary requests; inputs and invariants are in `src/gateway.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: assessio_fuzz::gateway::RouterInput| assessio_fuzz::gateway::router(&input));
