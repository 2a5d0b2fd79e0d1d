//! `build_order` on structured order details and accounts (`src/order.rs`);
//! the invariants are `check_build_order` in `host-test/fuzz-harness/src/lib.rs`.
#![no_main]

use assessio_fuzz::harness::check_build_order;
use assessio_fuzz::order::OrderInput;

libfuzzer_sys::fuzz_target!(|input: OrderInput| {
    let (account, order, endpoint, now) = input.build();
    check_build_order(&account, &order, endpoint, now);
});
