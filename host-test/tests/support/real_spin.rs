//! Real Spin (`spin up`) as a child process, for tests that compare the
//! project's host with it or run the gateway on it.
//!
//! Spin is found through `SPIN_BIN` or as `spin` on `PATH`, never at a fixed
//! path, so the project does not depend on one machine's layout. Where it is
//! missing a test must not pass silently: [`RealSpin::start`] writes a line
//! starting `SKIPPED:` straight to the process's stderr (the harness
//! captures `eprintln!`, so that line would vanish with a passing test) and
//! returns `None`; with `ASSESSIO_REQUIRE_SPIN=1` (as CI sets where Spin is
//! installed) it fails the test instead.
//!
//! The child listens on `127.0.0.1` only, at a port picked here, keeps its
//! state in a directory of its own, and is killed when the handle drops, so
//! it never outlives the test, pass or fail.

use std::io::{Read, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long Spin may take to compile the app and answer its health check:
/// minutes, not seconds, on a loaded two-core machine.
const READY_WITHIN: Duration = Duration::from_mins(2);

/// A running `spin up`, killed on drop.
pub struct RealSpin {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<u8>>>,
    state_dir: PathBuf,
}

impl RealSpin {
    /// The Spin binary: `SPIN_BIN` if set, else `spin` on `PATH`.
    pub fn binary() -> Option<PathBuf> {
        if let Some(bin) = std::env::var_os("SPIN_BIN").filter(|b| !b.is_empty()) {
            return Some(PathBuf::from(bin));
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).map(|dir| dir.join("spin")).find(|candidate| candidate.is_file())
    }

    /// Whether a missing Spin must fail the test (`ASSESSIO_REQUIRE_SPIN=1`).
    pub fn required() -> bool {
        std::env::var("ASSESSIO_REQUIRE_SPIN").is_ok_and(|v| v == "1")
    }

    /// Starts `spin up --from manifest` on a free loopback port with `envs`
    /// added to the environment (`SPIN_VARIABLE_*` of the test's own process
    /// are removed first, so only what the test gives counts) and, if given,
    /// `--runtime-config-file`. Waits until `/.well-known/spin/health`
    /// answers. `None` (after a `SKIPPED:` line) where there is no Spin;
    /// panics, with Spin's output, if Spin is there but does not come up.
    pub fn start(manifest: &Path, envs: &[(&str, &str)], runtime_config: Option<&Path>) -> Option<Self> {
        let Some(bin) = Self::binary() else {
            let test = std::thread::current().name().unwrap_or("a test").to_string();
            let why = "real Spin not found (set SPIN_BIN or put `spin` on PATH)";
            assert!(!Self::required(), "ASSESSIO_REQUIRE_SPIN=1 but {why}");
            let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {why}");
            return None;
        };
        // The port is free when picked and Spin binds it a moment later;
        // another process may take it in between, so try a few.
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start(&bin, manifest, envs, runtime_config) {
                Ok(spin) => return Some(spin),
                Err(why) => last = why,
            }
        }
        panic!("real Spin ({}) did not start: {last}", bin.display());
    }

    fn try_start(
        bin: &Path,
        manifest: &Path,
        envs: &[(&str, &str)],
        runtime_config: Option<&Path>,
    ) -> Result<Self, String> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let port = free_port().map_err(|e| format!("finding a free port: {e}"))?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let n = N.fetch_add(1, Ordering::Relaxed);
        let state_dir = std::env::temp_dir().join(format!("assessio-real-spin-{}-{n}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state_dir);
        std::fs::create_dir_all(&state_dir).map_err(|e| format!("creating {}: {e}", state_dir.display()))?;

        let mut command = Command::new(bin);
        command
            .arg("up")
            .arg("--from")
            .arg(manifest)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--state-dir")
            .arg(&state_dir);
        if let Some(file) = runtime_config {
            command.arg("--runtime-config-file").arg(file);
        }
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SPIN_VARIABLE_") {
                command.env_remove(name);
            }
        }
        // Spin's errors carry a stack trace when these are set; the log is
        // for reading.
        command.env_remove("RUST_BACKTRACE").env_remove("RUST_LIB_BACKTRACE");
        command.envs(envs.iter().copied()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // A group of its own, so that dropping the handle can stop the
        // trigger process `spin up` starts, too.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().map_err(|e| format!("running {}: {e}", bin.display()))?;
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = child.stdout.take() {
            capture(out, Arc::clone(&log));
        }
        if let Some(err) = child.stderr.take() {
            capture(err, Arc::clone(&log));
        }
        let mut spin = Self { child, addr, log, state_dir };
        spin.wait_ready()?;
        Ok(spin)
    }

    /// Polls the health check until it answers 200, the child exits, or
    /// [`READY_WITHIN`] passes.
    fn wait_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if health_ok(self.addr) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Give the reader threads a moment to take the last words.
                std::thread::sleep(Duration::from_millis(200));
                return Err(format!("spin up exited ({status}); its output:\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("spin up was not ready within {READY_WITHIN:?}; its output:\n{}", self.log()))
    }

    /// The address Spin listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything Spin (and the app's guests) printed so far, stdout and
    /// stderr interleaved as they arrived.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
    }
}

impl Drop for RealSpin {
    /// Kills the whole process group: `spin up` runs the HTTP trigger as a
    /// child process (`spin trigger http`), which would outlive `spin up`
    /// alone, still serving, still holding its port.
    fn drop(&mut self) {
        if let Some(group) = rustix::process::Pid::from_raw(self.child.id().cast_signed()) {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

fn capture(mut from: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) {
    std::thread::spawn(move || {
        let mut buf = [0; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(&buf[..n]);
        }
    });
}

/// One `GET /.well-known/spin/health` on a fresh connection.
fn health_ok(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /.well-known/spin/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.1 200")
}
