//! A `redis-server` of a test's own, for the tests that run real Spin on
//! a shared Redis store. Found on `PATH` (Debian's `redis-server`, which
//! `.ci/run` installs); where it is missing the test says `SKIPPED:` (a
//! failure under `ASSESSIO_REQUIRE_SPIN=1`, as for Spin itself).

use super::real_spin::RealSpin;
use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` of the test's own on a free loopback port, without
/// persistence, killed on drop.
pub struct Redis {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Redis {
    /// Starts one, or says why not (`None`).
    pub fn start() -> Option<Self> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let Some(bin) = std::env::split_paths(&path).map(|d| d.join("redis-server")).find(|c| c.is_file()) else {
            let why = "redis-server not found on PATH (Debian: apt-get install redis-server)";
            assert!(!RealSpin::required(), "ASSESSIO_REQUIRE_SPIN=1 but {why}");
            let _ = writeln!(std::io::stderr(), "SKIPPED: {}: {why}", std::thread::current().name().unwrap_or("test"));
            return None;
        };
        let port =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs");
        let started = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "redis-server did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { child, port })
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A runtime config file in `dir` that puts an app's `default` store on
/// `redis`.
pub fn runtime_config(dir: &Path, redis: &Redis) -> PathBuf {
    let path = dir.join("runtime-config.toml");
    let text = format!("[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{}\"\n", redis.port);
    std::fs::write(&path, text).expect("writing the runtime config");
    path
}
