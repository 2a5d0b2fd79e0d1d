//! Real Spin (`spin up`) as a child process: the production engine, where a
//! machine has it, beside this crate's own Spin-compatible host.
//!
//! Spin is found through `SPIN_BIN` or as `spin` on `PATH`, never at a fixed
//! path. The child listens where it is told (loopback, in tests), keeps its
//! state where it is told, and its whole process group is killed when the
//! handle drops: `spin up` runs its HTTP trigger as a child process of its
//! own, which would otherwise outlive it, still serving.

use anyhow::{Context as _, bail};
use std::io::{Read, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long Spin may take to compile the app and answer its health check:
/// minutes, not seconds, on a loaded two-core machine.
pub const READY_WITHIN: Duration = Duration::from_mins(2);

/// The Spin binary: `SPIN_BIN` if set, else `spin` on `PATH`.
pub fn find() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("SPIN_BIN").filter(|b| !b.is_empty()) {
        return Some(PathBuf::from(bin));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("spin")).find(|candidate| candidate.is_file())
}

/// What to start.
#[derive(Debug, Clone)]
pub struct SpinLaunch<'a> {
    /// The Spin binary ([`find`]).
    pub bin: &'a Path,
    /// The app's manifest.
    pub manifest: &'a Path,
    /// `--listen`.
    pub listen: SocketAddr,
    /// `--state-dir`: Spin's default key-value store and logs live here.
    pub state_dir: &'a Path,
    /// Added to the environment (`SPIN_VARIABLE_<NAME>`, for variables);
    /// the caller's own `SPIN_VARIABLE_*` are removed first.
    pub envs: &'a [(String, String)],
    /// `--runtime-config-file`, if any.
    pub runtime_config: Option<&'a Path>,
    /// `--variable @FILE`: a JSON or TOML file of variable names and
    /// values, which Spin serves from memory (its static provider, consulted
    /// before the environment) rather than from the environment.
    pub variables_file: Option<&'a Path>,
}

/// A running `spin up`, killed with its process group on drop.
pub struct SpinProcess {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<u8>>>,
    state_dir: PathBuf,
}

impl SpinProcess {
    /// Starts `spin up` and waits until `/.well-known/spin/health` answers
    /// (at most [`READY_WITHIN`]). The error carries Spin's output.
    pub fn start(launch: &SpinLaunch<'_>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(launch.state_dir)
            .with_context(|| format!("creating {}", launch.state_dir.display()))?;
        let mut command = Command::new(launch.bin);
        command
            .arg("up")
            .arg("--from")
            .arg(launch.manifest)
            .arg("--listen")
            .arg(launch.listen.to_string())
            .arg("--state-dir")
            .arg(launch.state_dir);
        if let Some(file) = launch.runtime_config {
            command.arg("--runtime-config-file").arg(file);
        }
        if let Some(file) = launch.variables_file {
            let mut arg = std::ffi::OsString::from("@");
            arg.push(file);
            command.arg("--variable").arg(arg);
        }
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SPIN_VARIABLE_") {
                command.env_remove(name);
            }
        }
        // Spin's errors carry a stack trace when these are set; the log is
        // for reading.
        command.env_remove("RUST_BACKTRACE").env_remove("RUST_LIB_BACKTRACE");
        command
            .envs(launch.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().with_context(|| format!("running {}", launch.bin.display()))?;
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = child.stdout.take() {
            capture(out, Arc::clone(&log));
        }
        if let Some(err) = child.stderr.take() {
            capture(err, Arc::clone(&log));
        }
        let mut spin = Self { child, addr: launch.listen, log, state_dir: launch.state_dir.to_path_buf() };
        spin.wait_ready()?;
        Ok(spin)
    }

    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if health_ok(self.addr) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Give the reader threads a moment to take the last words.
                std::thread::sleep(Duration::from_millis(200));
                bail!("spin up exited ({status}); its output:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("spin up was not ready within {READY_WITHIN:?}; its output:\n{}", self.log())
    }

    /// The address Spin listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything Spin printed so far, stdout and stderr interleaved as they
    /// arrived, then what each component wrote (Spin keeps components'
    /// stdio in `<state dir>/logs/<component>_std{out,err}.txt`).
    pub fn log(&self) -> String {
        let mut text =
            String::from_utf8_lossy(&self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned();
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.state_dir.join("logs"))
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for file in files {
            if let Ok(bytes) = std::fs::read(&file) {
                text.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        text
    }

    /// The process id of `spin up`.
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SpinProcess {
    /// Kills the whole process group: `spin up` and the `spin trigger http`
    /// it started.
    fn drop(&mut self) {
        if let Some(group) = rustix::process::Pid::from_raw(self.child.id().cast_signed()) {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
