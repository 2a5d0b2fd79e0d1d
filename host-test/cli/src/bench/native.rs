//! The timer, row 1's inputs and its native measurements, kept free of
//! everything but `std`, `serde_json` and `assessio_plugin`.
//!
//! Why so bare: sha2 0.11 picks its SHA-256 backend when it is compiled
//! (`--cfg sha2_backend="soft"` forces the portable one; otherwise SHA-NI is
//! used when the CPU has it), and never per call. The like-for-like baseline
//! for the component, which runs without SHA instructions, is therefore a
//! second native build. `bench::soft_sha` compiles this very file into a tiny
//! helper binary with that flag and runs it; the bench itself includes it as
//! a module. Both sides time the same calls with the same [`Timer`], so the
//! two native columns differ only in the SHA-256 backend.

#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How long to measure one figure.
#[derive(Debug, Clone, Copy)]
pub struct Timer {
    /// Time spent in timed batches.
    pub budget: Duration,
    /// Time spent warming up (and sizing a batch) first.
    pub warmup: Duration,
}

impl Timer {
    /// Nanoseconds per call of `f`: a warm-up that also sizes a batch to
    /// take about 50 µs, then batches until the budget is spent (at least
    /// five), each giving one sample of the time per call; the figure is the
    /// samples' 10th percentile. Not the median: on a shared machine other
    /// work only ever adds time to a batch, so a low percentile is the
    /// repeatable figure, and every column of a ratio is taken the same way.
    pub fn ns_per_op(&self, mut f: impl FnMut()) -> f64 {
        let start = Instant::now();
        let mut calls = 0u64;
        while calls < 3 || start.elapsed() < self.warmup {
            f();
            calls += 1;
        }
        let per_call = start.elapsed().as_nanos() as f64 / calls as f64;
        let batch = ((50_000.0 / per_call.max(1.0)) as u64).clamp(1, 100_000);
        let mut samples = Vec::new();
        let start = Instant::now();
        while samples.len() < 5 || (start.elapsed() < self.budget && samples.len() < 100_000) {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            samples.push(t.elapsed().as_nanos() as f64 / batch as f64);
        }
        low_percentile(&mut samples)
    }
}

/// The 10th percentile (nearest rank); the slice is sorted in place. Zero
/// for no samples.
pub fn low_percentile(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    match samples.len() {
        0 => 0.0,
        n => samples[(n / 10).min(n - 1)],
    }
}

/// The native figures of one build: every export row 1 compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NativeTimes {
    /// `sign_request`, ns per call.
    pub sign_ns: f64,
    /// `verify_signature` of that signature, ns per call.
    pub verify_ns: f64,
    /// `parse_result` of the seed payload, ns per call.
    pub parse_result_ns: f64,
    /// `build_order` of the `examples/calls` order (it signs the body it
    /// builds, so it too depends on the SHA-256 backend), ns per call.
    pub build_order_ns: f64,
    /// Whether this build was compiled with `--cfg sha2_backend="soft"`.
    pub soft: bool,
}

impl NativeTimes {
    /// One line of JSON, what the helper prints (no serde in the helper).
    pub fn to_json(self) -> String {
        format!(
            r#"{{"sign_ns":{},"verify_ns":{},"parse_result_ns":{},"build_order_ns":{},"soft":{}}}"#,
            self.sign_ns, self.verify_ns, self.parse_result_ns, self.build_order_ns, self.soft
        )
    }
}

/// What row 1 calls, natively and in the component alike.
pub struct Inputs {
    /// The HMAC secret.
    pub secret: String,
    /// The signed timestamp.
    pub timestamp: i64,
    /// The 1 KiB body that is signed and verified.
    pub body: Vec<u8>,
    /// Assessio's result webhook body (`examples/payloads/result-webhook.json`).
    pub result_body: Vec<u8>,
    /// The order call (`examples/calls/build-order.json`): account, order, now.
    pub account: assessio_plugin::Account,
    /// The order to build.
    pub order: assessio_plugin::OrderDetails,
    /// The order call's clock.
    pub now: i64,
}

impl Inputs {
    /// Reads the two example files; the signed body is the result payload
    /// repeated and cut to 1 KiB, so it looks like JSON bytes.
    pub fn read(build_order_call: &std::path::Path, result_body: &std::path::Path) -> Result<Self, String> {
        let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("reading {}: {e}", p.display()));
        let result_body = read(result_body)?;
        let call: serde_json::Value = serde_json::from_slice(&read(build_order_call)?)
            .map_err(|e| format!("{}: {e}", build_order_call.display()))?;
        let account = serde_json::from_value(call["account"].clone()).map_err(|e| format!("its account: {e}"))?;
        let order = serde_json::from_value(call["order"].clone()).map_err(|e| format!("its order: {e}"))?;
        let now = call["now"].as_i64().ok_or("its `now` is not a whole number")?;
        Ok(Self {
            secret: "whsec_bench_secret_0123456789abcdef".to_string(),
            timestamp: 1_700_000_000,
            body: result_body.iter().copied().cycle().take(1024).collect(),
            result_body,
            account,
            order,
            now,
        })
    }
}

/// Whether this build forced sha2's software backend. `RUSTFLAGS` reach every
/// crate, this one included, so the answer here is sha2's too.
#[allow(unexpected_cfgs)]
pub fn sha_is_soft() -> bool {
    cfg!(any(sha2_backend = "soft", sha2_256_backend = "soft"))
}

/// Times the four calls natively, each checked once first.
pub fn native_times(timer: &Timer, i: &Inputs) -> Result<NativeTimes, String> {
    use assessio_plugin as p;
    let (secret, t, body) = (i.secret.as_str(), i.timestamp, i.body.as_slice());
    let header =
        p::sign_request(secret, t, body).map_err(|e| format!("sign_request refused the bench input: {e}"))?.value;
    p::verify_signature(Some(&header), body, secret, t, None)
        .map_err(|e| format!("verify_signature refused the bench input: {e}"))?;
    p::parse_result(&i.result_body).map_err(|e| format!("parse_result refused the bench input: {e}"))?;
    let endpoint = p::OrderEndpoint::Order;
    p::build_order(&i.account, &i.order, endpoint, i.now)
        .map_err(|e| format!("build_order refused the bench input: {e}"))?;
    Ok(NativeTimes {
        sign_ns: timer.ns_per_op(|| {
            black_box(p::sign_request(secret, t, black_box(body)).ok());
        }),
        verify_ns: timer.ns_per_op(|| {
            black_box(p::verify_signature(Some(&header), black_box(body), secret, t, None).ok());
        }),
        parse_result_ns: timer.ns_per_op(|| {
            black_box(p::parse_result(black_box(&i.result_body)).ok());
        }),
        build_order_ns: timer.ns_per_op(|| {
            black_box(p::build_order(&i.account, black_box(&i.order), endpoint, i.now).ok());
        }),
        soft: sha_is_soft(),
    })
}

/// The helper binary's `main`: arguments `<budget ms> <warm-up ms>
/// <build-order call file> <result body file>`, one JSON line on stdout.
#[allow(dead_code)] // Called only by the helper built from this file.
pub fn helper_main() -> std::process::ExitCode {
    use std::io::Write as _;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [budget, warmup, call, result] => match (budget.parse::<u64>(), warmup.parse::<u64>()) {
            (Ok(b), Ok(w)) => Some((b, w, call, result)),
            _ => None,
        },
        _ => None,
    };
    let Some((budget, warmup, call, result)) = parsed else {
        eprintln!("usage: <budget ms> <warm-up ms> <build-order call file> <result body file>");
        return std::process::ExitCode::from(2);
    };
    let timer = Timer { budget: Duration::from_millis(budget), warmup: Duration::from_millis(warmup) };
    match Inputs::read(call.as_ref(), result.as_ref()).and_then(|inputs| native_times(&timer, &inputs)) {
        Ok(figures) => {
            let _ = writeln!(std::io::stdout().lock(), "{}", figures.to_json());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
