//! The gateway in a process of its own: `assessio serve` on the root
//! `spin.toml`, started, killed (`SIGKILL`, nothing flushed, nothing said
//! goodbye) and started again on the same key-value directory.
//!
//! A crash test needs a host that can really die in the middle of a request,
//! and a load test wants the gateway's memory apart from the simulators' and
//! the load generator's; both get that from a child process. The child binds
//! `127.0.0.1:0` and says where it listens on stderr (`serving … on URL`),
//! so no port is guessed; its variables go through `SPIN_VARIABLE_<NAME>`
//! environment variables, as the README advises for secrets, so none is on
//! its command line. Everything it prints goes to a log file. The child is
//! killed when its handle is dropped, so a failing test leaves no server
//! behind.

use anyhow::{Context as _, bail};
use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a start may take: the child asks cargo whether the gateway
/// component is fresh and compiles it with Cranelift (seconds), and on a
/// busy two-core machine more.
const START_LIMIT: Duration = Duration::from_mins(3);

/// How to start the gateway process.
#[derive(Debug, Clone)]
pub struct GatewayCommand {
    /// The `assessio` binary (`std::env::current_exe()`, or a test's
    /// `CARGO_BIN_EXE_assessio`).
    pub binary: PathBuf,
    /// The manifest; `None` is the root `spin.toml`.
    pub manifest: Option<PathBuf>,
    /// The key-value directory, kept across restarts.
    pub kv_dir: PathBuf,
    /// The Spin variables, passed as `SPIN_VARIABLE_<NAME>`.
    pub variables: BTreeMap<String, String>,
    /// Where the child's stderr (its log) is appended.
    pub log_path: PathBuf,
}

/// A running gateway process. Dropping it kills the process.
#[derive(Debug)]
pub struct GatewayProcess {
    child: Child,
    url: String,
    pid: u32,
    drain: Option<std::thread::JoinHandle<()>>,
}

/// Resident memory of a process, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Memory {
    /// `VmRSS`: resident now, KiB.
    pub rss_kib: u64,
    /// `VmHWM`: the peak resident size so far, KiB.
    pub hwm_kib: u64,
}

impl GatewayCommand {
    /// Starts the gateway and waits until it listens.
    pub fn spawn(&self) -> anyhow::Result<GatewayProcess> {
        let mut command = Command::new(&self.binary);
        command.arg("serve").args(["--listen", "127.0.0.1:0", "--kv-dir"]).arg(&self.kv_dir);
        if let Some(manifest) = &self.manifest {
            command.arg("--manifest").arg(manifest);
        }
        for (name, value) in &self.variables {
            command.env(format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()), value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {} serve", self.binary.display()))?;
        let pid = child.id();
        let Some(stderr) = child.stderr.take() else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the gateway process has no stderr pipe");
        };
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .with_context(|| format!("opening {}", self.log_path.display()))?;
        let _ = writeln!(log, "--- gateway process {pid} started");
        let (found, listening) = mpsc::channel();
        // Keeps reading until the child exits, so it never blocks on a full
        // pipe; the first `serving … on URL` line says where it listens.
        let drain = std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(log, "{line}");
                if let Some(url) = serving_url(&line)
                    && let Some(tx) = found.take()
                {
                    let _ = tx.send(url);
                }
            }
            let _ = writeln!(log, "--- gateway process {pid} ended");
        });
        let mut process = GatewayProcess { child, url: String::new(), pid, drain: Some(drain) };
        if let Ok(url) = listening.recv_timeout(START_LIMIT) {
            process.url = url;
            return Ok(process);
        }
        let status = process.child.try_wait().ok().flatten();
        process.kill();
        bail!(
            "the gateway process did not start listening within {} s ({}); its log is {}",
            START_LIMIT.as_secs(),
            status.map_or_else(|| "still running".into(), |s| s.to_string()),
            self.log_path.display()
        )
    }
}

/// The URL in the `serving <manifest> on <url> (Ctrl-C stops)` line.
fn serving_url(line: &str) -> Option<String> {
    let rest = line.strip_prefix("serving ")?;
    let (_, after) = rest.rsplit_once(" on ")?;
    let url = after.split_whitespace().next()?;
    url.starts_with("http://").then(|| url.trim_end_matches('/').to_owned())
}

impl GatewayProcess {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its resident memory now, if it still runs (Linux only).
    pub fn memory(&self) -> Option<Memory> {
        memory_of(self.pid)
    }

    /// `SIGKILL`, then reaps it: a crash, with no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(drain) = self.drain.take() {
            let _ = drain.join();
        }
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `VmRSS` and `VmHWM` of process `pid`, in KiB.
pub fn memory_of(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(Memory { rss_kib: field("VmRSS:")?, hwm_kib: field("VmHWM:")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_serving_line_names_the_url() {
        assert_eq!(
            serving_url("serving /w/spin.toml on http://127.0.0.1:4321 (Ctrl-C stops)").as_deref(),
            Some("http://127.0.0.1:4321")
        );
        assert_eq!(serving_url("serving a on b on http://127.0.0.1:1/ (x)").as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(serving_url("[gateway stdout] serving nothing"), None);
        assert_eq!(serving_url("serving x on ftp://y"), None);
    }

    #[test]
    fn this_process_has_a_memory_reading() {
        let m = memory_of(std::process::id()).expect("Linux /proc");
        assert!(m.rss_kib > 0 && m.hwm_kib >= m.rss_kib);
    }
}
