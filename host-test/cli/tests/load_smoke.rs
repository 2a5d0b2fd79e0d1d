//! The short version of `assessio load`, in the default test run: a few
//! seconds of orders and results through the gateway process with faults
//! injected upstream, then the reconciled ledger. It checks the ledger and
//! that the figures are produced, never timings (the machine is shared).
//! With wrk installed the same run is made with wrk as well.

use assessio_host::load::{self, Generator, LoadOptions, LoadReport};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// A directory of its own, removed when the test ends.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        let dir = std::env::temp_dir().join(format!("assessio-load-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating the test directory");
        Self(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn quick_run(name: &str, generator: Generator) -> LoadReport {
    let dir = Dir::new(name);
    let mut options = LoadOptions::new(env!("CARGO_BIN_EXE_assessio")).quick();
    options.work_dir = dir.0.join("work");
    options.out = dir.0.join("load.json");
    options.generator = generator;
    let mut progress = Vec::new();
    let report = load::run(&options, &mut progress).expect("the load run completes");
    let mut table = Vec::new();
    load::print_table(&report, &mut table).unwrap();
    let table = String::from_utf8_lossy(&table);
    println!("{}{table}", String::from_utf8_lossy(&progress));

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&options.out).expect("the JSON report is written")).unwrap();
    for key in ["settings", "orders", "results", "faults", "ledger", "memory", "machine"] {
        assert!(json.get(key).is_some(), "the report has no {key}: {json}");
    }
    assert!(report.passed(), "the ledger does not balance:\n{table}");
    let l = &report.ledger;
    let o = &report.orders;
    assert_eq!(o.planned, l.prepared);
    assert_eq!(o.sent, u64::try_from(l.prepared).unwrap(), "every prepared order was sent");
    assert_eq!(o.answered, o.sent, "every order was answered");
    assert_eq!(l.never_sent, 0);
    // Every tenth order has no last name (orders 7, 17, 27 of 32).
    assert_eq!(l.rejected_with_reason, 3);
    assert_eq!(l.placed_and_written_once + l.rejected_with_reason + l.held_uncertain, l.prepared);
    // Only a fault at Assessio's order route can leave an order uncertain.
    assert!(l.held_uncertain as u64 <= report.faults["assessio_order"]["injected"].as_u64().unwrap_or(0));
    assert_eq!((l.duplicate_assessio_orders, l.double_writes, l.deliveries_given_up), (0, 0, 0));
    assert_eq!(l.assessio_accepted, l.placed_and_written_once);
    assert_eq!(report.results.answered as u64, l.delivery_attempts as u64, "every delivery attempt was answered");
    let injected = |route: &str| report.faults[route]["injected"].as_u64().unwrap_or(0);
    assert!(injected("assessio_order") + injected("kombo_result") > 0, "no fault was injected: {}", report.faults);
    assert!(report.memory.samples > 0 && report.memory.peak_kib > 0);
    report
}

#[test]
fn a_short_load_with_faults_balances_the_ledger() {
    let report = quick_run("builtin", Generator::BuiltIn);
    assert!(report.orders.tool.starts_with("built-in"));
}

#[test]
fn a_short_load_driven_by_wrk_balances_the_ledger() {
    if load::drive::wrk_version().is_none() {
        eprintln!("wrk is not installed (Debian: apt-get install wrk); the built-in generator's run covers the rest");
        return;
    }
    let report = quick_run("wrk", Generator::Wrk);
    assert!(report.orders.tool.starts_with("wrk"));
    assert_eq!(report.orders.filler, 0);
}
