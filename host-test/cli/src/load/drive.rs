//! Sending the prepared orders to the gateway: with wrk (Debian's `wrk`,
//! driven by `wrk.lua`) when it is installed, or with a built-in generator
//! of the same shape. Both send every prepared order exactly once over a
//! fixed number of keep-alive connections, paced to a target rate (request
//! `k` is due `k / rate` seconds after the start, and waits for a free
//! connection when the gateway is slower), and both report the same figures.

#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use anyhow::{Context as _, bail};
use assessio_simulators::http::HttpClient;
use bytes::Bytes;
use http::Method;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The wrk script, written next to the prepared requests at run time.
const WRK_SCRIPT: &str = include_str!("wrk.lua");

/// One prepared order event, as Kombo signed it.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Kombo's order id.
    pub order_id: String,
    /// `X-Kombo-Signature`.
    pub signature: String,
    /// The exact body.
    pub body: Bytes,
}

/// How to send.
#[derive(Debug, Clone)]
pub struct DriveOptions {
    /// `http://127.0.0.1:<port>`: the gateway itself.
    pub base_url: String,
    /// Target orders per second; 0 sends as fast as the connections allow.
    pub rate: f64,
    /// Keep-alive connections (requests in flight at most).
    pub connections: usize,
    /// How long wrk runs in all: the pacing window plus a grace period for
    /// the last answers (wrk always runs this long).
    pub wrk_duration: Duration,
}

/// Latency figures, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// The slowest.
    pub max: f64,
    /// The mean.
    pub mean: f64,
}

impl Latency {
    /// From raw samples (any order); zeros when there are none.
    pub fn of(samples: &[f64]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let rank = (q * sorted.len() as f64).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1]
        };
        Self {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: sorted[sorted.len() - 1],
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
        }
    }
}

/// What the sending did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Driven {
    /// `wrk …` (its version line) or `built-in`.
    pub tool: String,
    /// Orders prepared for sending.
    pub planned: usize,
    /// Orders sent.
    pub sent: u64,
    /// Orders answered (any status).
    pub answered: u64,
    /// Answers by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection errors, timeouts, cut off).
    pub errors: u64,
    /// From the first request to the last answer, seconds.
    pub seconds: f64,
    /// Answers per second over that window: the rate held.
    pub rate: f64,
    /// Per-request latency.
    pub latency_ms: Latency,
    /// Requests wrk sent that were not orders (health checks; should be 0).
    pub filler: u64,
}

/// Whether `wrk` is on the `PATH` (its version line, if so).
pub fn wrk_version() -> Option<String> {
    // `wrk -v` prints its version and usage and exits 1.
    let out = Command::new("wrk").arg("-v").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.lines().find(|l| l.starts_with("wrk ")).map(|l| l.split(" Copyright").next().unwrap_or(l).trim().to_owned())
}

/// Sends every prepared order with wrk; `dir` holds the request file and script.
pub fn with_wrk(prepared: &[Prepared], options: &DriveOptions, dir: &Path) -> anyhow::Result<Driven> {
    let version = wrk_version().context("wrk is not installed")?;
    let connections = options.connections.max(1);
    let threads = connections.min(2);
    let file = dir.join("orders.tsv");
    let mut lines = String::new();
    for p in prepared {
        let body = std::str::from_utf8(&p.body).context("an order event is not UTF-8")?;
        if body.contains(['\n', '\t']) || p.signature.contains(['\n', '\t']) {
            bail!("order {} cannot be written on one line", p.order_id);
        }
        let _ = writeln!(lines, "{}\t{body}", p.signature);
    }
    std::fs::write(&file, lines).with_context(|| format!("writing {}", file.display()))?;
    let script = dir.join("wrk.lua");
    std::fs::write(&script, WRK_SCRIPT).with_context(|| format!("writing {}", script.display()))?;
    let seconds = options.wrk_duration.as_secs().max(1);
    let out = Command::new("wrk")
        .arg(format!("--threads={threads}"))
        .arg(format!("--connections={connections}"))
        .arg(format!("--duration={seconds}s"))
        .args(["--timeout=30s", "--latency", "--script"])
        .arg(&script)
        .arg(format!("{}/kombo/webhook", options.base_url))
        .arg("--")
        .arg(&file)
        .arg(threads.to_string())
        .arg(format!("{}", options.rate.max(0.0)))
        .output()
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    std::fs::write(dir.join("wrk.out"), stdout.as_bytes()).ok();
    if !out.status.success() {
        bail!("wrk failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    let mut driven = parse_wrk(&stdout).with_context(|| format!("reading wrk's output:\n{stdout}"))?;
    driven.tool = version;
    driven.planned = prepared.len();
    Ok(driven)
}

/// `key=value` pairs of one `LOAD …` line.
fn pairs(line: &str) -> BTreeMap<&str, &str> {
    line.split_whitespace().filter_map(|w| w.split_once('=')).collect()
}

fn number(map: &BTreeMap<&str, &str>, key: &str) -> anyhow::Result<f64> {
    map.get(key).and_then(|v| v.parse::<f64>().ok()).with_context(|| format!("no number `{key}`"))
}

/// Reads the `LOAD` lines `wrk.lua` prints.
fn parse_wrk(stdout: &str) -> anyhow::Result<Driven> {
    let (mut summary, mut latency) = (None, None);
    let mut driven = Driven {
        tool: String::new(),
        planned: 0,
        sent: 0,
        answered: 0,
        statuses: BTreeMap::new(),
        errors: 0,
        seconds: 0.0,
        rate: 0.0,
        latency_ms: Latency::default(),
        filler: 0,
    };
    let (mut first, mut last) = (f64::INFINITY, 0.0_f64);
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("LOAD ") else { continue };
        let map = pairs(rest);
        if rest.starts_with("summary ") {
            let errors =
                ["connect", "read", "write", "timeout"].iter().map(|k| number(&map, k)).sum::<Result<f64, _>>()?;
            summary = Some(errors);
        } else if rest.starts_with("latency ") {
            let ms = |k: &str| number(&map, k).map(|us| us / 1000.0);
            latency =
                Some(Latency { p50: ms("p50")?, p90: ms("p90")?, p99: ms("p99")?, max: ms("max")?, mean: ms("mean")? });
        } else if rest.starts_with("thread ") {
            driven.sent += number(&map, "sent")? as u64;
            driven.answered += number(&map, "answered")? as u64;
            driven.filler += number(&map, "filler")? as u64;
            let (f, l) = (number(&map, "first_ms")?, number(&map, "last_ms")?);
            if f > 0.0 {
                first = first.min(f);
            }
            last = last.max(l);
            for (key, value) in &map {
                if let (Some(status), Ok(n)) =
                    (key.strip_prefix('s').and_then(|s| s.parse::<u16>().ok()), value.parse::<u64>())
                {
                    *driven.statuses.entry(status).or_default() += n;
                }
            }
        }
    }
    let errors = summary.context("no summary line")?;
    driven.latency_ms = latency.context("no latency line")?;
    driven.errors = (errors as u64).max(driven.sent.saturating_sub(driven.answered));
    if last > first {
        driven.seconds = (last - first) / 1000.0;
        driven.rate = driven.answered as f64 / driven.seconds;
    }
    Ok(driven)
}

/// One request of the built-in generator: when it was sent, how long it
/// took (ms), and the status, if it was answered.
type Sent = (Instant, f64, Option<u16>);

/// Sends every prepared order from this process: `connections` workers on
/// one pooled keep-alive client, each taking the next order when it is due.
pub async fn built_in(prepared: &[Prepared], options: &DriveOptions) -> Driven {
    let client = HttpClient::new(Duration::from_secs(30));
    let url = format!("{}/kombo/webhook", options.base_url);
    let prepared: Arc<Vec<Prepared>> = Arc::new(prepared.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let results: Arc<Mutex<Vec<Sent>>> = Arc::new(Mutex::new(Vec::new()));
    let interval = if options.rate > 0.0 { Duration::from_secs_f64(1.0 / options.rate) } else { Duration::ZERO };
    let start = tokio::time::Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..options.connections.max(1) {
        let (client, url, prepared, next, results) =
            (client.clone(), url.clone(), Arc::clone(&prepared), Arc::clone(&next), Arc::clone(&results));
        workers.spawn(async move {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = prepared.get(k) else { break };
                tokio::time::sleep_until(start + interval.saturating_mul(u32::try_from(k).unwrap_or(u32::MAX))).await;
                let headers = [("content-type", "application/json"), ("x-kombo-signature", p.signature.as_str())];
                let sent = Instant::now();
                let status = client.request(Method::POST, &url, &headers, p.body.clone()).await.ok().map(|r| r.status);
                let ms = sent.elapsed().as_secs_f64() * 1000.0;
                results.lock().unwrap_or_else(PoisonError::into_inner).push((sent, ms, status));
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let results = std::mem::take(&mut *results.lock().unwrap_or_else(PoisonError::into_inner));
    let mut statuses = BTreeMap::new();
    let mut latencies = Vec::with_capacity(results.len());
    let mut errors = 0;
    let first = results.iter().map(|r| r.0).min();
    let last = results.iter().map(|r| r.0 + Duration::from_secs_f64(r.1 / 1000.0)).max();
    for (_, ms, status) in &results {
        match status {
            Some(s) => {
                *statuses.entry(*s).or_default() += 1;
                latencies.push(*ms);
            }
            None => errors += 1,
        }
    }
    let seconds = match (first, last) {
        (Some(f), Some(l)) => l.duration_since(f).as_secs_f64(),
        _ => 0.0,
    };
    let answered = latencies.len() as u64;
    Driven {
        tool: "built-in (tokio + hyper)".into(),
        planned: prepared.len(),
        sent: results.len() as u64,
        answered,
        statuses,
        errors,
        seconds,
        rate: if seconds > 0.0 { answered as f64 / seconds } else { 0.0 },
        latency_ms: Latency::of(&latencies),
        filler: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_samples() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        let l = Latency::of(&samples);
        assert_eq!((l.p50, l.p90, l.p99, l.max), (50.0, 90.0, 99.0, 100.0));
        assert_eq!(Latency::of(&[]), Latency::default());
    }

    #[test]
    fn reads_the_script_output() {
        let out = "Running 5s test\nLOAD summary requests=10 duration_us=5000000 connect=0 read=1 write=0 status=2 timeout=0\n\
                   LOAD latency p50=2000 p90=4000 p99=9000 max=12000 mean=2500\n\
                   LOAD thread id=0 planned=6 sent=6 answered=5 filler=0 first_ms=1000.000 last_ms=3000.000 s200=3 s503=2\n\
                   LOAD thread id=1 planned=5 sent=5 answered=5 filler=0 first_ms=1100.000 last_ms=3500.000 s200=4 s422=1\n";
        let d = parse_wrk(out).unwrap();
        assert_eq!((d.sent, d.answered, d.errors), (11, 10, 1));
        assert_eq!(d.statuses, BTreeMap::from([(200, 7), (422, 1), (503, 2)]));
        assert!((d.seconds - 2.5).abs() < 1e-9 && (d.rate - 4.0).abs() < 1e-9);
        assert!((d.latency_ms.p99 - 9.0).abs() < 1e-9);
        assert!(parse_wrk("nothing").is_err());
    }
}
