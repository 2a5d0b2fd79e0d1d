//! Real Spin for tests: [`spin_host::real_spin`] on a free loopback
//! port, with a state directory of its own, and the rule for a machine
//! without Spin.
//!
//! Where Spin is missing a test must not pass silently: [`RealSpin::start`]
//! writes a line starting `SKIPPED:` straight to the process's stderr (the
//! harness captures `eprintln!`, so that line would vanish with a passing
//! test) and returns `None`; with `ASSESSIO_REQUIRE_SPIN=1` (as CI sets where
//! Spin is installed) it fails the test instead.

use spin_host::real_spin::{SpinLaunch, SpinProcess};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running `spin up`, killed on drop, its state directory removed.
pub struct RealSpin {
    /// `Some` until dropped: taken first, so Spin has stopped before its
    /// state directory goes.
    process: Option<SpinProcess>,
    state_dir: PathBuf,
}

impl RealSpin {
    /// The Spin binary, or `None` after the `SKIPPED:` line (or a panic
    /// under `ASSESSIO_REQUIRE_SPIN=1`).
    pub fn binary_or_skip() -> Option<PathBuf> {
        if let Some(bin) = spin_host::real_spin::find() {
            return Some(bin);
        }
        let test = std::thread::current().name().unwrap_or("a test").to_string();
        let why = "real Spin not found (set SPIN_BIN or put `spin` on PATH)";
        assert!(!Self::required(), "ASSESSIO_REQUIRE_SPIN=1 but {why}");
        let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {why}");
        None
    }

    /// Whether a missing Spin must fail the test (`ASSESSIO_REQUIRE_SPIN=1`).
    pub fn required() -> bool {
        std::env::var("ASSESSIO_REQUIRE_SPIN").is_ok_and(|v| v == "1")
    }

    /// Starts `spin up --from manifest` on a free loopback port with `envs`
    /// added to the environment and, if given, `--runtime-config-file`.
    /// `None` (after a `SKIPPED:` line) where there is no Spin; panics, with
    /// Spin's output, if Spin is there but does not come up.
    pub fn start(manifest: &Path, envs: &[(&str, &str)], runtime_config: Option<&Path>) -> Option<Self> {
        let envs: Vec<(String, String)> = envs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        Self::start_at(manifest, |_| envs.clone(), runtime_config)
    }

    /// As [`RealSpin::start`], with the environment made from the address
    /// Spin will listen on (for variables such as the app's public URL).
    pub fn start_at(
        manifest: &Path,
        envs: impl Fn(SocketAddr) -> Vec<(String, String)>,
        runtime_config: Option<&Path>,
    ) -> Option<Self> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let bin = Self::binary_or_skip()?;
        // The port is free when picked and Spin binds it a moment later;
        // another process may take it in between, so try a few.
        let mut last = String::new();
        for _ in 0..3 {
            let port =
                TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free port").port();
            let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let n = N.fetch_add(1, Ordering::Relaxed);
            let state_dir = std::env::temp_dir().join(format!("assessio-real-spin-{}-{n}-{port}", std::process::id()));
            let _ = std::fs::remove_dir_all(&state_dir);
            let envs = envs(listen);
            let launch = SpinLaunch {
                bin: &bin,
                manifest,
                listen,
                state_dir: &state_dir,
                envs: &envs,
                runtime_config,
                variables_file: None,
            };
            match SpinProcess::start(&launch) {
                Ok(process) => return Some(Self { process: Some(process), state_dir }),
                Err(why) => last = format!("{why:#}"),
            }
            let _ = std::fs::remove_dir_all(&state_dir);
        }
        panic!("real Spin ({}) did not start: {last}", bin.display());
    }

    /// The address Spin listens on.
    pub fn addr(&self) -> SocketAddr {
        self.process().addr()
    }

    fn process(&self) -> &SpinProcess {
        self.process.as_ref().expect("present until dropped")
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        self.process().url(path)
    }

    /// Everything Spin (and the app's guests) printed so far.
    pub fn log(&self) -> String {
        self.process().log()
    }
}

impl Drop for RealSpin {
    fn drop(&mut self) {
        drop(self.process.take());
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}
