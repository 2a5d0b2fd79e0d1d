//! The benchmark suite's smoke run: `assessio bench --quick` through the
//! library. It checks that every row is produced with positive, finite
//! figures and that the JSON report parses; it never asserts a timing.

use assessio_host::bench::{BenchOptions, run};

#[test]
fn quick_bench_produces_every_row_and_its_json() {
    let out = std::env::temp_dir().join(format!("assessio-bench-smoke-{}.json", std::process::id()));
    let options = BenchOptions { quick: true, out: out.clone(), plugin: None };
    let mut progress = Vec::new();
    let report = run(&options, &mut progress).expect("the quick bench runs");

    for row in 1..=5u8 {
        let produced = report.rows.iter().any(|r| r.row == row);
        let explained = report.not_measured.iter().any(|n| n.starts_with(&format!("row {row}:")));
        assert!(produced || explained, "row {row} is neither measured nor explained");
    }
    // Rows 1, 2, 3 and 5 are always measured.
    for row in [1u8, 2, 3, 5] {
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
