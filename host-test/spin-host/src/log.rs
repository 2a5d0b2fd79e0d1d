//! Everything the app writes, kept where a test can read it.
//!
//! `spin up` prints a component's stdout and stderr on its own terminal and
//! its own warnings (a refused outbound host, a failed request) on stderr.
//! This host records all three as lines in an [`AppLog`] the caller holds, so
//! a test can check that no secret ever reaches any of them, and optionally
//! echoes each line to the host's stderr as well.
//!
//! Guest output is split into lines per request and per stream (a line is
//! never interleaved with another request's); a partial last line is kept
//! when the request ends. Very long lines are cut into pieces, and the log
//! keeps only the newest lines once it holds [`MAX_LOG_BYTES`].

use bytes::Bytes;
use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// How much text the log keeps before dropping its oldest lines.
pub const MAX_LOG_BYTES: usize = 16 << 20;
/// A guest line longer than this is recorded in pieces.
const MAX_LINE_BYTES: usize = 64 << 10;

/// Where a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    /// The component's stdout.
    Stdout,
    /// The component's stderr.
    Stderr,
    /// The host itself (what `spin up` prints about the app).
    Host,
}

impl fmt::Display for LogSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
            Self::Host => "host",
        })
    }
}

/// One recorded line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The component id the line is about.
    pub component: String,
    /// Who wrote it.
    pub source: LogSource,
    /// The line, without its newline (lossy UTF-8).
    pub text: String,
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} {}] {}", self.component, self.source, self.text)
    }
}

/// The app's shared log; clones see the same lines.
#[derive(Clone)]
pub struct AppLog {
    inner: Arc<LogInner>,
}

struct LogInner {
    echo: bool,
    state: Mutex<LogState>,
}

#[derive(Default)]
struct LogState {
    lines: VecDeque<LogLine>,
    bytes: usize,
    dropped: usize,
}

impl fmt::Debug for AppLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("AppLog").field("lines", &state.lines.len()).field("echo", &self.inner.echo).finish()
    }
}

impl AppLog {
    /// An empty log; with `echo`, each line also goes to the host's stderr.
    pub fn new(echo: bool) -> Self {
        Self { inner: Arc::new(LogInner { echo, state: Mutex::new(LogState::default()) }) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every line kept so far, oldest first.
    pub fn lines(&self) -> Vec<LogLine> {
        self.state().lines.iter().cloned().collect()
    }

    /// Every line kept so far as text, one per line, as `[component source] text`.
    pub fn text(&self) -> String {
        self.state().lines.iter().fold(String::new(), |mut text, line| {
            let _ = writeln!(text, "{line}");
            text
        })
    }

    /// Whether any kept line contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.state().lines.iter().any(|l| l.text.contains(needle))
    }

    /// How many old lines were dropped to stay under [`MAX_LOG_BYTES`].
    pub fn dropped(&self) -> usize {
        self.state().dropped
    }

    /// Forgets every line kept so far.
    pub fn clear(&self) {
        let mut state = self.state();
        state.lines.clear();
        state.bytes = 0;
    }

    /// Records a line.
    pub fn push(&self, component: &str, source: LogSource, text: String) {
        let line = LogLine { component: component.to_string(), source, text };
        if self.inner.echo {
            eprintln!("{line}");
        }
        let mut state = self.state();
        state.bytes += line.text.len();
        state.lines.push_back(line);
        while state.bytes > MAX_LOG_BYTES {
            let Some(old) = state.lines.pop_front() else { break };
            state.bytes -= old.text.len();
            state.dropped += 1;
        }
    }

    /// Records what the host has to say about a component.
    pub fn host(&self, component: &str, message: impl fmt::Display) {
        self.push(component, LogSource::Host, message.to_string());
    }

    /// A WASI stdout or stderr for one request of `component`.
    pub(crate) fn guest_output(&self, component: &Arc<str>, source: LogSource) -> GuestOutput {
        GuestOutput {
            sink: Arc::new(LineSink {
                log: self.clone(),
                component: Arc::clone(component),
                source,
                partial: Mutex::new(Vec::new()),
            }),
        }
    }
}

/// Collects bytes into lines for one stream of one request.
struct LineSink {
    log: AppLog,
    component: Arc<str>,
    source: LogSource,
    partial: Mutex<Vec<u8>>,
}

impl LineSink {
    fn write(&self, bytes: &[u8]) {
        let mut partial = self.partial.lock().unwrap_or_else(PoisonError::into_inner);
        partial.extend_from_slice(bytes);
        while let Some(end) = partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = partial.drain(..=end).collect();
            self.emit(&line[..end]);
        }
        while partial.len() >= MAX_LINE_BYTES {
            let piece: Vec<u8> = partial.drain(..MAX_LINE_BYTES).collect();
            self.emit(&piece);
        }
    }

    fn emit(&self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        self.log.push(&self.component, self.source, String::from_utf8_lossy(line).into_owned());
    }
}

impl Drop for LineSink {
    /// The request is over: keep a last line that had no newline.
    fn drop(&mut self) {
        let partial = std::mem::take(self.partial.get_mut().unwrap_or_else(PoisonError::into_inner));
        if !partial.is_empty() {
            self.emit(&partial);
        }
    }
}

/// The guest's stdout or stderr (what `WasiCtxBuilder::stdout` takes).
pub(crate) struct GuestOutput {
    sink: Arc<LineSink>,
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(GuestWriter(Arc::clone(&self.sink)))
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(GuestWriter(Arc::clone(&self.sink)))
    }
}

/// One handle on a guest stream; always ready, never blocks.
struct GuestWriter(Arc<LineSink>);

#[wasmtime_wasi::async_trait]
impl OutputStream for GuestWriter {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.0.write(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(1 << 20)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestWriter {
    async fn ready(&mut self) {}
}

impl AsyncWrite for GuestWriter {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.0.write(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_per_stream_and_flushed_at_the_end() {
        let log = AppLog::new(false);
        let id: Arc<str> = Arc::from("probe");
        let out = log.guest_output(&id, LogSource::Stdout);
        let mut w = out.p2_stream();
        w.write(Bytes::from_static(b"one\r\ntw")).unwrap();
        w.write(Bytes::from_static(b"o\nthree")).unwrap();
        drop(w);
        drop(out);
        let texts: Vec<_> = log.lines().into_iter().map(|l| l.text).collect();
        assert_eq!(texts, ["one", "two", "three"]);
        assert!(log.contains("thr"));
        assert_eq!(log.text(), "[probe stdout] one\n[probe stdout] two\n[probe stdout] three\n");
    }
}
