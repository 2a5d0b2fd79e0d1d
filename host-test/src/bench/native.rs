//! The timer and the native HMAC measurements, kept free of everything but
//! `std` and `assessio_plugin`.
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

/// The HMAC figures of one native build.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HmacTimes {
    /// `sign_request`, ns per call.
    pub sign_ns: f64,
    /// `verify_signature` of that signature, ns per call.
    pub verify_ns: f64,
    /// Whether this build was compiled with `--cfg sha2_backend="soft"`.
    pub soft: bool,
}

impl HmacTimes {
    /// One line of JSON, what the helper prints (no serde in the helper).
    pub fn to_json(self) -> String {
        format!(r#"{{"sign_ns":{},"verify_ns":{},"soft":{}}}"#, self.sign_ns, self.verify_ns, self.soft)
    }
}

/// Whether this build forced sha2's software backend. `RUSTFLAGS` reach every
/// crate, this one included, so the answer here is sha2's too.
#[allow(unexpected_cfgs)]
pub fn sha_is_soft() -> bool {
    cfg!(any(sha2_backend = "soft", sha2_256_backend = "soft"))
}

/// Times `sign_request` and `verify_signature` natively on `body`.
pub fn hmac_times(timer: &Timer, secret: &str, timestamp: i64, body: &[u8]) -> Result<HmacTimes, String> {
    let header = assessio_plugin::sign_request(secret, timestamp, body)
        .map_err(|e| format!("sign_request refused the bench input: {e}"))?
        .value;
    assessio_plugin::verify_signature(Some(&header), body, secret, timestamp, None)
        .map_err(|e| format!("verify_signature refused the bench input: {e}"))?;
    let sign_ns = timer.ns_per_op(|| {
        black_box(assessio_plugin::sign_request(secret, timestamp, black_box(body)).ok());
    });
    let verify_ns = timer.ns_per_op(|| {
        black_box(assessio_plugin::verify_signature(Some(&header), black_box(body), secret, timestamp, None).ok());
    });
    Ok(HmacTimes { sign_ns, verify_ns, soft: sha_is_soft() })
}

/// The helper binary's `main`: arguments `<secret> <timestamp> <budget ms>
/// <warm-up ms>`, the body on stdin, one JSON line on stdout.
#[allow(dead_code)] // Called only by the helper built from this file.
pub fn helper_main() -> std::process::ExitCode {
    use std::io::{Read as _, Write as _};
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [secret, timestamp, budget, warmup] => {
            match (timestamp.parse::<i64>(), budget.parse::<u64>(), warmup.parse::<u64>()) {
                (Ok(t), Ok(b), Ok(w)) => Some((secret.as_str(), t, b, w)),
                _ => None,
            }
        }
        _ => None,
    };
    let Some((secret, timestamp, budget, warmup)) = parsed else {
        eprintln!("usage: <secret> <timestamp> <budget ms> <warm-up ms>, body on stdin");
        return std::process::ExitCode::from(2);
    };
    let mut body = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut body) {
        eprintln!("reading the body: {e}");
        return std::process::ExitCode::from(2);
    }
    let timer = Timer { budget: Duration::from_millis(budget), warmup: Duration::from_millis(warmup) };
    match hmac_times(&timer, secret, timestamp, &body) {
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
