//! The gateway's configuration loader on arbitrary settings; inputs and
//! invariants are in `src/gateway.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: assessio_fuzz::gateway::ConfigInput| assessio_fuzz::gateway::config(&input));
