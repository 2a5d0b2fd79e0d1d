//! What the end-to-end tests share: a key-value directory per test, Assessio's
//! retries compressed to milliseconds, and reading JSON answers.

#![allow(dead_code)] // Each test file uses its own part of this.

use assessio_host::stack::{Stack, StackOptions};
use assessio_simulators::RetryPolicy;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub mod real_spin;
pub mod redis;
pub mod sim;

/// A key-value directory of its own, removed when the test ends (pass or fail).
pub struct KvDir(pub PathBuf);

impl KvDir {
    /// A fresh directory named after the suite and the test.
    pub fn new(suite: &str, test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("assessio-e2e-{suite}-{test}-{}-{nanos}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating the kv dir");
        Self(dir)
    }
}

impl Drop for KvDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Assessio's retries, compressed further: a test waits milliseconds.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(10),
        cap: Duration::from_millis(200),
        max_attempts: 12,
        max_elapsed: Duration::from_secs(30),
    }
}

/// The stack's options for a test: its own store, fast retries.
pub fn options(kv: &KvDir) -> StackOptions {
    StackOptions { retry: fast_retry(), ..StackOptions::new(&kv.0) }
}

/// Real Spin as the stack's engine, or `None` after a `SKIPPED:` line
/// (a failure under `ASSESSIO_REQUIRE_SPIN=1`) where there is none.
pub fn real_spin_engine() -> Option<assessio_host::stack::Engine> {
    real_spin::RealSpin::binary_or_skip().map(assessio_host::stack::Engine::Spin)
}

/// Starts the stack, or fails the test.
pub async fn start(options: StackOptions) -> Stack {
    Stack::start(options).await.expect("the stack starts")
}

/// A body that must be JSON.
pub fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(body)))
}

/// Waits until `done` holds, for at most `limit`.
pub async fn eventually(limit: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// Asserts no configured secret is in the gateway's log or in any of `answers`.
pub fn assert_no_secret(stack: &Stack, answers: &[(String, String)]) {
    let log = stack.gateway_log();
    for secret in assessio_host::stack::secrets::ALL {
        assert!(!log.contains(secret), "a secret is in the gateway's log:\n{log}");
        for (what, body) in answers {
            assert!(!body.contains(secret), "a secret is in the answer to {what}: {body}");
        }
    }
}
