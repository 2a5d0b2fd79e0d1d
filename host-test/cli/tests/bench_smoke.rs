//! The benchmark suite's smoke run: `assessio bench --quick` through the
//! library. It checks that every row is produced with positive, finite
//! figures, that the load rows took the real path (every order placed, every
//! result written back), and that the JSON report parses; it never asserts a
//! timing.

use assessio_host::bench::{BenchOptions, run};

#[test]
fn quick_bench_produces_every_row_and_its_json() {
    let out = std::env::temp_dir().join(format!("assessio-bench-smoke-{}.json", std::process::id()));
    let options = BenchOptions { quick: true, out: out.clone(), ..BenchOptions::new() };
    let mut progress = Vec::new();
    let report = run(&options, &mut progress).expect("the quick bench runs");

    for row in 1..=6u8 {
        let produced = report.rows.iter().any(|r| r.row == row);
        let explained = report.not_measured.iter().any(|n| n.starts_with(&format!("row {row}:")));
        assert!(produced || explained, "row {row} is neither measured nor explained");
    }
    // Rows 4 and 6 run on real Spin only where it is installed; say so when not.
    let without_spin = |n: &&String| {
        (n.starts_with("row 4 on real Spin") || n.starts_with("row 6 on real Spin"))
            && spin_host::real_spin::find().is_none()
    };
    for skipped in report.not_measured.iter().filter(without_spin) {
        assert!(
            std::env::var("ASSESSIO_REQUIRE_SPIN").ok().as_deref() != Some("1"),
            "ASSESSIO_REQUIRE_SPIN=1 but {skipped}"
        );
        let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("SKIPPED: {skipped}\n").as_bytes());
    }
    // A quick run's figures mean nothing, and on a busy machine the floor
    // can time above the call it is the floor of: then the bench says so
    // instead of printing a negative figure. Shown, not hidden.
    let unsplit = |n: &&String| n.starts_with(assessio_host::bench::OWN_WORK_UNSPLIT);
    for n in report.not_measured.iter().filter(unsplit) {
        let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("NOTE (quick run): {n}\n").as_bytes());
    }
    let not_measured: Vec<&String> = report.not_measured.iter().filter(|n| !without_spin(n) && !unsplit(n)).collect();
    assert!(not_measured.is_empty(), "not measured: {not_measured:?}");
    assert!(report.notes.is_empty(), "notes: {:?}", report.notes);
    for row in 1..=6u8 {
        assert!(report.rows.iter().any(|r| r.row == row), "row {row} missing");
    }
    for r in &report.rows {
        assert!(r.measured.is_finite() && r.measured > 0.0, "{}: measured {}", r.what, r.measured);
        for x in [r.baseline, r.ratio].into_iter().flatten() {
            assert!(x.is_finite() && x > 0.0, "{}: baseline/ratio {x}", r.what);
        }
        assert_eq!(r.baseline.is_some(), r.ratio.is_some(), "{}: a baseline comes with its ratio", r.what);
    }
    let wanted = ["sign-request", "verify-signature", "parse-result", "build-order", "Kombo order event"];
    for w in wanted {
        assert!(report.rows.iter().any(|r| r.row == 1 && r.what.contains(w)), "row 1 lacks {w}");
    }
    // Every export twice: against native as built and against software SHA.
    for w in ["sign-request", "verify-signature", "parse-result", "build-order"] {
        let baselines: Vec<&str> = report
            .rows
            .iter()
            .filter(|r| r.row == 1 && r.what.starts_with(w) && r.what.contains("reused instance"))
            .filter_map(|r| r.baseline_what.as_deref())
            .collect();
        assert_eq!(baselines.len(), 2, "{w}: {baselines:?}");
        assert!(baselines[1].contains("software SHA"), "{w}: {baselines:?}");
    }
    // parse-result split at the boundary's floor: the two parts add up to
    // the call, and both are compared with native.
    let first_measured = |w: &str| report.rows.iter().find(|r| r.row == 1 && r.what.starts_with(w)).map(|r| r.measured);
    let call = first_measured("parse-result, seed payload").expect("parse-result's row");
    let floor = first_measured("parse-result, the floor").expect("parse-result's floor row");
    match first_measured("parse-result, the plugin's own work") {
        Some(own) => assert!((floor + own - call).abs() < 1e-6 * call, "{floor} + {own} != {call}"),
        None => assert!(
            report.not_measured.iter().any(|n| unsplit(&n) && n.contains(&format!("the call {call:.0} ns"))),
            "neither parse-result's own work nor why not: {:?}",
            report.not_measured
        ),
    }
    // Row 4: the ceiling, /health, orders placed and redelivered, results,
    // on keep-alive and new connections, each answered as the real path answers.
    for w in [
        "GET /empty (spin-probe, the ceiling), 4 keep-alive",
        "GET /empty (spin-probe, the ceiling), a new connection per request",
        "GET /health, keep-alive",
        "GET /health, a new connection per request",
        "POST /kombo/webhook, a new order placed each",
        "POST /kombo/webhook, placed orders redelivered",
        "POST /kombo/webhook, redelivered, a new connection per request",
        "POST /assessio/results",
    ] {
        let rows: Vec<_> = report.rows.iter().filter(|r| r.row == 4 && r.what.contains(w)).collect();
        assert!(rows.iter().any(|r| r.unit == "req/s"), "row 4 lacks {w}'s throughput");
        assert!(rows.iter().any(|r| r.what.ends_with("p90 latency")), "row 4 lacks {w}'s p90");
        for r in rows {
            assert!(r.requests.is_some_and(|n| n > 0), "{}: no requests", r.what);
            assert_eq!(r.failed, Some(0), "{}: failures", r.what);
        }
    }
    if report.rows.iter().any(|r| r.row == 4 && r.what.starts_with("real Spin: ")) {
        real_spin_bounds(&report);
    }
    assert!(report.rows.iter().any(|r| r.row == 5 && r.what.starts_with("peak RSS during row 4")));
    // Row 5's parts of the plugin add up to the whole.
    let whole = report.rows.iter().find(|r| r.what == "plugin component size").expect("the plugin's size").measured;
    let parts: f64 =
        report.rows.iter().filter(|r| r.row == 5 && r.what.starts_with("plugin: ")).map(|r| r.measured).sum();
    assert!((parts - whole).abs() < 0.5, "the plugin's parts add up to {parts}, not {whole}");

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("the JSON report is written")).expect("it parses");
    let rows = json["rows"].as_array().expect("rows is an array");
    assert_eq!(rows.len(), report.rows.len());
    let mut table = Vec::new();
    assessio_host::bench::print_table(&report, &mut table).expect("the table prints");
    let table = String::from_utf8(table).expect("UTF-8");
    assert!(table.contains("| row | what | measured | baseline | ratio | target |"));
    let _ = std::fs::remove_file(&out);
}

/// Row 4 on real Spin: the probe's bounds (one variable read, one store
/// read, with new connections, against Spin's own `/empty`) and the held
/// routes again with the settings from a file.
fn real_spin_bounds(report: &assessio_host::bench::Report) {
    for (bound, of) in [("one variable read", "a setting"), ("one key-value read", "the store")] {
        let row = report
            .rows
            .iter()
            .find(|r| r.what.contains(&format!("{bound}, a new connection per request")) && r.unit == "req/s")
            .unwrap_or_else(|| panic!("row 4 on real Spin lacks the probe's {bound} with new connections"));
        assert!(row.baseline_what.as_deref().is_some_and(|b| b.contains("new connections")), "{row:?}");
        assert!(row.requests.is_some_and(|n| n > 0) && row.failed == Some(0), "{row:?}");
        assert!(row.target.as_deref().is_some_and(|t| t.contains(of)), "{row:?}");
    }
    // The held routes again, the settings given as a file.
    let file: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.what.starts_with("real Spin, settings from a file") && r.unit == "req/s")
        .collect();
    for route in ["GET /health, a new connection", "redelivered, a new connection", "a new order placed"] {
        let r = file.iter().find(|r| r.what.contains(route)).unwrap_or_else(|| panic!("no {route} from a file"));
        assert!(r.requests.is_some_and(|n| n > 0) && r.failed == Some(0), "{r:?}");
    }
}
