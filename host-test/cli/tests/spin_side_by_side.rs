//! The project's Spin host and real Spin, side by side: the probe component
//! (`host-test/fixtures/spin-probe`) behind one manifest of many routes is
//! served by both, every request below goes byte for byte to each, and the
//! answers must be the same (issue 13, item 9). Where they differ, real Spin
//! is right and `spin_host` is what gets fixed.
//!
//! Requests are written as raw bytes on a fresh connection (`Connection:
//! close`, read to the end), so header case, repeated headers, obsolete
//! bytes and the framing of the answer (`content-length` or chunked) are
//! what the wire carries, not what a client library makes of them.
//!
//! Real Spin comes from `SPIN_BIN` or `PATH` (see `support/real_spin.rs`);
//! without it the test says `SKIPPED:` on stderr, or fails under
//! `ASSESSIO_REQUIRE_SPIN=1`.

mod support;

use assessio_harness::locate;
use spin_host::variables::EnvSource;
use spin_host::{SpinApp, SpinOptions};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::KvDir;
use support::real_spin::RealSpin;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One probe component behind every kind of route, and a second one (same
/// code, another `PROBE_ECHO_ALL`) to show which trigger won. No `/...`
/// catch-all, so unrouted paths reach the host's own 404.
fn manifest(probe: &Path) -> String {
    let source = format!("{:?}", probe.display().to_string());
    format!(
        r#"spin_manifest_version = 2

[application]
name = "side-by-side"
version = "0.1.0"

[[trigger.http]]
route = "/echo/..."
component = "main"

[[trigger.http]]
route = "/users/:id/items/:item"
component = "main"

[[trigger.http]]
route = "/users/:id/..."
component = "other"

[[trigger.http]]
route = "/users/me"
component = "main"

[[trigger.http]]
route = "/api/v1/..."
component = "main"

[[trigger.http]]
route = "/exact"
component = "main"

[[trigger.http]]
route = "/case/:UserId"
component = "main"

[[trigger.http]]
route = "/dup"
component = "main"

[[trigger.http]]
route = "/dup"
component = "other"

[component.main]
source = {source}
environment = {{ PROBE_ECHO_ALL = "main" }}

[component.other]
source = {source}
environment = {{ PROBE_ECHO_ALL = "other" }}
"#
    )
}

/// One request: a name for the report, the bytes (`{host}` becomes the
/// server's `127.0.0.1:<port>`), and the status real Spin must answer, so
/// the comparison is known to exercise what it means to (two identical
/// 404s would prove nothing about routing).
struct Case {
    name: &'static str,
    request: Vec<u8>,
    spin_status: Option<u16>,
}

fn get(name: &'static str, target: &str, status: u16) -> Case {
    raw(name, &format!("GET {target} HTTP/1.1\r\nHost: {{host}}\r\n\r\n"), Some(status))
}

fn raw(name: &'static str, head: &str, spin_status: Option<u16>) -> Case {
    Case { name, request: head.as_bytes().to_vec(), spin_status }
}

fn cases() -> Vec<Case> {
    let long = "v".repeat(16 * 1024);
    let mut latin = b"GET /echo/latin HTTP/1.1\r\nHost: {host}\r\nX-Latin: caf".to_vec();
    latin.extend_from_slice(b"\xe9\r\n\r\n");
    vec![
        // Routing: the trailing wildcard and its `spin-path-info`.
        get("wildcard with query", "/echo/a/b?x=1&y=%20z&x=2", 200),
        get("wildcard prefix alone", "/echo", 200),
        get("wildcard prefix and slash", "/echo/", 200),
        get("wildcard trailing slash", "/echo/a/b/", 200),
        get("wildcard double slash", "/echo//a", 200),
        get("wildcard percent-encoding", "/echo/a%2Fb/%C3%A9", 200),
        // Named segments, `spin-path-match-<name>`, and which route wins.
        get("named segments", "/users/42/items/7", 200),
        get("named segments percent-encoded", "/users/a%20b/items/x%2Fy", 200),
        get("named then wildcard", "/users/42/profile/x", 200),
        get("named then empty wildcard", "/users/42", 200),
        get("exact beats named", "/users/me", 200),
        get("named capture of mixed case", "/case/AbC", 200),
        get("duplicate route", "/dup", 200),
        // A component route under a prefix.
        get("prefixed route", "/api/v1/orders/9?expand=1", 200),
        get("prefixed route alone", "/api/v1", 200),
        get("exact route", "/exact", 200),
        get("exact route trailing slash", "/exact/", 200),
        get("exact route longer path", "/exact/x", 404),
        // Nothing routed there.
        get("unknown route", "/nope", 404),
        get("root without a catch-all", "/", 404),
        raw("unknown route POST", "POST /nope HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\n\r\nabc", Some(404)),
        get("well-known health", "/.well-known/spin/health", 200),
        get("well-known info", "/.well-known/spin/info", 200),
        get("well-known other", "/.well-known/spin/nothing", 404),
        // Methods and bodies.
        raw("HEAD", "HEAD /echo/head HTTP/1.1\r\nHost: {host}\r\n\r\n", Some(200)),
        raw(
            "POST with body",
            "POST /echo/post HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"k\":1}",
            Some(200),
        ),
        raw(
            "POST chunked",
            "POST /echo/chunked HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            Some(200),
        ),
        // What the guest's answer looks like on the wire.
        get("guest sets content-length", "/echo/sized?probe=sized", 200),
        get("guest answers 204", "/echo/none?probe=status-204", 204),
        raw(
            "HEAD, guest sets content-length",
            "HEAD /echo/sized?probe=sized HTTP/1.1\r\nHost: {host}\r\n\r\n",
            Some(200),
        ),
        // Odd headers.
        raw(
            "repeated and mixed-case headers",
            "GET /echo/headers HTTP/1.1\r\nHost: {host}\r\nX-Rep: a\r\nX-MiXeD-Case: Value Kept\r\nx-rep: b\r\nAccept: */*\r\nX-Empty:\r\n\r\n",
            Some(200),
        ),
        raw(
            "very long header",
            &format!("GET /echo/long HTTP/1.1\r\nHost: {{host}}\r\nX-Long: {long}\r\n\r\n"),
            Some(200),
        ),
        Case { name: "obsolete (non-ASCII) header bytes", request: latin, spin_status: Some(500) },
        raw("UTF-8 header value", "GET /echo/utf8 HTTP/1.1\r\nHost: {host}\r\nX-Utf8: café ✓\r\n\r\n", Some(200)),
        raw(
            "client-sent spin-* headers",
            "GET /echo/spoof HTTP/1.1\r\nHost: {host}\r\nSpin-Path-Info: /spoofed\r\nspin-client-addr: 10.0.0.1:1\r\n\r\n",
            Some(200),
        ),
        raw(
            "keep-alive connection header",
            "GET /echo/conn HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive, x-hop\r\nX-Hop: 1\r\n\r\n",
            Some(200),
        ),
        // The Host header and the request's authority.
        raw("other Host", "GET /echo/host HTTP/1.1\r\nHost: gateway.example:8443\r\n\r\n", Some(200)),
        raw("absolute-form target", "GET http://{host}/echo/abs?q=1 HTTP/1.1\r\nHost: {host}\r\n\r\n", Some(200)),
        raw(
            "absolute-form target, other Host",
            "GET http://elsewhere.example/echo/abs HTTP/1.1\r\nHost: {host}\r\n\r\n",
            None,
        ),
        raw("no Host, HTTP/1.0", "GET /echo/nohost HTTP/1.0\r\n\r\n", None),
        raw("no Host on an unknown route", "GET /nope HTTP/1.0\r\n\r\n", Some(404)),
        raw("invalid Host", "GET /echo/badhost HTTP/1.1\r\nHost: bad host\r\n\r\n", None),
        raw("empty Host", "GET /echo/emptyhost HTTP/1.1\r\nHost:\r\n\r\n", None),
        raw("upper-case Host", "GET /echo/upper HTTP/1.1\r\nHost: GATEWAY.Example\r\n\r\n", Some(200)),
        raw("absolute-form target, no Host", "GET http://{host}/echo/abs HTTP/1.0\r\n\r\n", Some(200)),
        raw("two Host headers", "GET /echo/twohosts HTTP/1.1\r\nHost: {host}\r\nHost: other.example\r\n\r\n", None),
        raw("custom method", "PURGE /echo/purge HTTP/1.1\r\nHost: {host}\r\n\r\n", Some(200)),
        raw("OPTIONS", "OPTIONS /echo/options HTTP/1.1\r\nHost: {host}\r\n\r\n", Some(200)),
    ]
}

/// What one server answered, normalised where the two must differ.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// The status line, or what happened instead of one.
    status: String,
    /// `name: value` lines, names lowercased, sorted.
    headers: Vec<String>,
    /// The body, de-chunked, lossily as text.
    body: String,
}

impl Seen {
    fn code(&self) -> Option<u16> {
        self.status.split(' ').nth(1)?.parse().ok()
    }
}

/// Sends `request` on a fresh connection and reads until the server closes.
async fn exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let host = addr.to_string();
    let mut bytes = Vec::new();
    let text = String::from_utf8_lossy(request);
    // Substitute `{host}` without touching non-UTF-8 bytes elsewhere.
    let mut rest = request;
    while let Some(at) = rest.windows(6).position(|w| w == b"{host}") {
        bytes.extend_from_slice(&rest[..at]);
        bytes.extend_from_slice(host.as_bytes());
        rest = &rest[at + 6..];
    }
    bytes.extend_from_slice(rest);
    // Every request closes its connection, so reading to the end is the
    // whole answer; the header goes after the request line's headers.
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("a request head") + 2;
    bytes.splice(end..end, b"Connection: close\r\n".iter().copied());
    let run = async {
        let mut stream = TcpStream::connect(addr).await.expect("connecting");
        stream.write_all(&bytes).await.expect("sending");
        let mut answer = Vec::new();
        // A reset after a refused request still leaves what was read.
        let _ = stream.read_to_end(&mut answer).await;
        answer
    };
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap_or_else(|_| panic!("no answer within 30 s to {text:?}"))
}

/// Parses an HTTP/1.1 answer and normalises what must differ between two
/// servers on two ports: the listen port wherever a URL or `Host` shows it
/// (`127.0.0.1:LISTEN`), the test's own ephemeral port in
/// `spin-client-addr` (`127.0.0.1:CLIENT`), and the `date` header's value
/// (the clock moves between the two requests).
fn parse(answer: &[u8], listen: SocketAddr) -> Seen {
    let Some(head_end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        let status = if answer.is_empty() {
            "closed without an answer".to_string()
        } else {
            format!("not HTTP: {:?}", String::from_utf8_lossy(answer))
        };
        return Seen { status, headers: Vec::new(), body: String::new() };
    };
    let normalise = |s: &str| s.replace(&listen.to_string(), "127.0.0.1:LISTEN");
    let head = String::from_utf8_lossy(&answer[..head_end]);
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default().to_string();
    let mut chunked = false;
    let mut headers: Vec<String> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            let (name, value) = (name.to_ascii_lowercase(), value.trim());
            chunked |= name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked");
            let value = if name == "date" { "DATE".to_string() } else { normalise(value) };
            format!("{name}: {value}")
        })
        .collect();
    headers.sort();
    let raw_body = &answer[head_end + 4..];
    let body = if chunked { dechunk(raw_body) } else { raw_body.to_vec() };
    let body = String::from_utf8_lossy(&body)
        .lines()
        .map(|line| match line.strip_prefix("spin-client-addr: 127.0.0.1:") {
            Some(_) => "spin-client-addr: 127.0.0.1:CLIENT".to_string(),
            None => normalise(line),
        })
        .collect::<Vec<_>>()
        .join("\n");
    Seen { status, headers, body }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") else { return out };
        let size = std::str::from_utf8(&body[..line_end]).ok().and_then(|s| {
            let hex = s.split(';').next().unwrap_or("").trim();
            usize::from_str_radix(hex, 16).ok()
        });
        let Some(size) = size.filter(|&n| n > 0 && body.len() >= line_end + 2 + n) else { return out };
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = body.get(line_end + 2 + size + 2..).unwrap_or_default();
    }
}

/// The scratch directory of one run: the manifest, the host's stores.
fn write_manifest(dir: &KvDir) -> PathBuf {
    let probe = locate::ensure_component_built("spin-probe", "release").expect("building spin-probe");
    let path = dir.0.join("spin.toml");
    std::fs::write(&path, manifest(&probe)).expect("writing the manifest");
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn the_host_answers_as_real_spin_does() {
    let dir = KvDir::new("side-by-side", "answers");
    let manifest = write_manifest(&dir);
    let Some(spin) = RealSpin::start(&manifest, &[], None) else { return };

    let mut options = SpinOptions::new(dir.0.join("kv"));
    options.env = EnvSource::Map(BTreeMap::new());
    let ours = SpinApp::load(&manifest, options).expect("loading the app").serve_loopback().await.expect("serving");

    // `SIDE_BY_SIDE_SHOW=1` prints every answer of real Spin, as evidence.
    let show = std::env::var("SIDE_BY_SIDE_SHOW").is_ok_and(|v| v == "1");
    let mut report = String::new();
    let mut differences = 0;
    let mut unexpected = 0;
    for case in cases() {
        let theirs = parse(&exchange(spin.addr(), &case.request).await, spin.addr());
        let mine = parse(&exchange(ours.addr(), &case.request).await, ours.addr());
        if let Some(expected) = case.spin_status.filter(|&code| theirs.code() != Some(code)) {
            unexpected += 1;
            let _ = writeln!(report, "--- {}: real Spin answered other than {expected}: {theirs:#?}", case.name);
        }
        if show {
            let _ = std::io::Write::write_fmt(&mut std::io::stderr(), format_args!("=== {}\n{theirs:#?}\n", case.name));
        }
        if theirs != mine {
            differences += 1;
            let _ = writeln!(report, "--- {}\nreal Spin: {theirs:#?}\nthis host: {mine:#?}", case.name);
        }
    }
    assert!(
        differences == 0 && unexpected == 0,
        "{differences} answers differ, {unexpected} cases do not test what they say:\n{report}\nreal Spin's log:\n{}",
        spin.log()
    );
    ours.shutdown().await;
}
