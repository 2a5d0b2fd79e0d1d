//! The Spin stand-in host (`spin_host`), driven over real HTTP on
//! loopback with the probe component (`host-test/fixtures/spin-probe`).
//!
//! Every test loads its own copy of the probe's `spin.toml` (with `source`
//! pointing at the component cargo built) into a fresh directory, serves it
//! on `127.0.0.1` at a port the OS picks, and shuts it down at the end, so
//! tests run in parallel and leave nothing running. Variables come from
//! explicit maps (the environment provider reads a map too, except in the
//! one test that checks the real process environment in a child process).

use assessio_harness::locate;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body, Frame};
use hyper_util::rt::TokioIo;
use spin_host::server::ServerHandle;
use spin_host::variables::EnvSource;
use spin_host::{LogSource, RequestLimits, SpinApp, SpinOptions};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// The API key every test app gets unless a test says otherwise.
const API_KEY: &str = "test-api-key-5f1c";

/// The probe component, built once per test run.
fn probe() -> &'static Path {
    static PROBE: OnceLock<PathBuf> = OnceLock::new();
    PROBE.get_or_init(|| locate::ensure_component_built("spin-probe", "release").expect("building spin-probe"))
}

/// A scratch directory for one app, removed when dropped.
struct AppDir(PathBuf);

impl AppDir {
    fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("assessio-spin-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Writes the probe's manifest, edited by `edit`, with `source` pointing
    /// at the built component.
    fn manifest(&self, edit: impl FnOnce(String) -> String) -> PathBuf {
        let fixture = locate::workspace_root().join("host-test/fixtures/spin-probe/spin.toml");
        let text = std::fs::read_to_string(fixture).unwrap();
        let text = text.replace(
            "source = \"../../../target/wasm32-wasip2/release/spin_probe.wasm\"",
            &format!("source = {:?}", probe().display().to_string()),
        );
        assert!(!text.contains("../target"), "the fixture's source line changed; update this test");
        let path = self.0.join("spin.toml");
        std::fs::write(&path, edit(text)).unwrap();
        path
    }

    fn options(&self) -> SpinOptions {
        let mut options = SpinOptions::new(self.0.join("kv"));
        options.variables.insert("api_key".into(), API_KEY.into());
        options.env = EnvSource::Map(BTreeMap::new());
        options
    }
}

impl Drop for AppDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn serve(manifest: &Path, options: SpinOptions) -> ServerHandle {
    SpinApp::load(manifest, options).expect("loading the probe app").serve_loopback().await.expect("serving")
}

/// What a test sees of a response.
struct Answer {
    status: u16,
    body: Bytes,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request on a fresh connection, with a 20 s safety net.
async fn send<B>(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: B) -> Answer
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let exchange = async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(conn);
        let mut request = http::Request::builder().method(method).uri(path).header("host", addr.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = sender.send_request(request.body(body).unwrap()).await.unwrap();
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer { status, body }
    };
    tokio::time::timeout(Duration::from_secs(20), exchange).await.expect("the request took more than 20 s")
}

async fn get(server: &ServerHandle, path: &str) -> Answer {
    send(server.addr(), "GET", path, &[], Full::new(Bytes::new())).await
}

async fn call(server: &ServerHandle, method: &str, path: &str, body: &'static [u8]) -> Answer {
    send(server.addr(), method, path, &[], Full::new(Bytes::from_static(body))).await
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_echo_log_and_unrouted_paths() {
    let dir = AppDir::new("routes");
    let server = serve(&dir.manifest(|m| m), dir.options()).await;

    let empty = get(&server, "/empty").await;
    assert_eq!((empty.status, empty.body.len()), (200, 0));

    let headers = [("x-probe", "yes"), ("content-type", "application/json")];
    let echo =
        send(server.addr(), "POST", "/echo?a=1&b=two", &headers, Full::new(Bytes::from_static(b"{\"k\":1}"))).await;
    assert_eq!(echo.status, 200);
    let text = echo.text();
    let port = server.addr().port();
    for expected in [
        "POST /echo\nquery: a=1&b=two\n",
        "x-probe: yes\n",
        "content-type: application/json\n",
        &format!("spin-full-url: http://127.0.0.1:{port}/echo?a=1&b=two\n"),
        "spin-path-info: /echo\n",
        "spin-matched-route: /...\n",
        "spin-component-route: \n",
        "spin-raw-component-route: /...\n",
        "spin-base-path: /\n",
        "spin-client-addr: 127.0.0.1:",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(text.ends_with("\n\n{\"k\":1}"), "{text}");

    let log = call(&server, "GET", "/log", b"").await;
    assert_eq!((log.status, log.text().as_str()), (200, "logged"));
    let lines = server.log().lines();
    assert!(lines.iter().any(|l| l.source == LogSource::Stdout && l.text == "probe stdout line"), "{lines:?}");
    assert!(lines.iter().any(|l| l.source == LogSource::Stderr && l.text == "probe stderr line"), "{lines:?}");
    assert!(lines.iter().all(|l| l.component == "spin-probe"));

    assert_eq!(get(&server, "/no-such-route").await.status, 404);
    let health = get(&server, "/.well-known/spin/health").await;
    assert_eq!((health.status, health.text().as_str()), (200, "OK"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn variables_come_from_the_map_then_the_environment_then_defaults() {
    let dir = AppDir::new("vars");
    let mut options = dir.options();
    options.env = EnvSource::Map(BTreeMap::from([
        ("SPIN_VARIABLE_GREETING".into(), "from-env".into()),
        ("SPIN_VARIABLE_API_KEY".into(), "env-key-loses".into()),
    ]));
    let server = serve(&dir.manifest(|m| m), options).await;
    assert_eq!(get(&server, "/var/greeting").await.text(), "from-env");
    assert_eq!(get(&server, "/var/api_key").await.text(), API_KEY);
    assert_eq!(get(&server, "/var/auth_header").await.text(), format!("Bearer {API_KEY}"));
    server.shutdown().await;

    let server = serve(&dir.manifest(|m| m), dir.options()).await;
    let greeting = get(&server, "/var/greeting").await;
    assert_eq!((greeting.status, greeting.text().as_str()), (200, "hello"));

    // Only the component's own variables are visible, with Spin's errors.
    let undeclared = get(&server, "/var/upstream_host").await;
    assert_eq!(undeclared.status, 404);
    assert!(
        undeclared.text().contains(r#"Undefined("no variable for \"spin-probe\".\"upstream_host\"")"#),
        "{}",
        undeclared.text()
    );
    let invalid = get(&server, "/var/Not_Valid").await;
    assert_eq!(invalid.status, 400);
    assert!(
        invalid.text().starts_with("Error::InvalidName(\"\\\"Not_Valid\\\": invalid character"),
        "{}",
        invalid.text()
    );
    server.shutdown().await;
}

#[test]
fn a_required_variable_without_a_value_stops_startup_naming_it() {
    let dir = AppDir::new("required");
    let mut options = dir.options();
    options.variables.clear();
    options.variables.insert("greeting".into(), "unrelated-value-7".into());
    let err = SpinApp::load(&dir.manifest(|m| m), options).expect_err("api_key has no value");
    let message = format!("{err:#}");
    assert!(message.contains("no provider resolved required variable \"api_key\""), "{message}");
    assert!(!message.contains("unrelated-value-7"), "{message}");
}

/// Runs [`variables_from_the_process_environment_child`] in a child process
/// with `SPIN_VARIABLE_*` set: the only way to test the real environment
/// provider without mutating this process's environment.
#[test]
fn variables_come_from_the_process_environment() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "variables_from_the_process_environment_child", "--nocapture", "--test-threads=1"])
        .env("ASSESSIO_SPIN_ENV_CHILD", "1")
        .env("SPIN_VARIABLE_API_KEY", "key-from-process-env")
        .env("SPIN_VARIABLE_GREETING", "hi-from-process-env")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("1 passed"), "the child test did not run:\n{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn variables_from_the_process_environment_child() {
    if std::env::var_os("ASSESSIO_SPIN_ENV_CHILD").is_none() {
        return; // Only meaningful when started by the test above.
    }
    let dir = AppDir::new("process-env");
    let mut options = dir.options();
    options.variables.clear();
    options.env = EnvSource::Process;
    let server = serve(&dir.manifest(|m| m), options).await;
    assert_eq!(get(&server, "/var/api_key").await.text(), "key-from-process-env");
    assert_eq!(get(&server, "/var/greeting").await.text(), "hi-from-process-env");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn key_value_survives_a_restart_and_only_granted_stores_open() {
    let dir = AppDir::new("kv");
    let manifest = dir.manifest(|m| m);
    let server = serve(&manifest, dir.options()).await;
    assert_eq!(get(&server, "/kv/order-1").await.status, 404);
    assert_eq!(call(&server, "PUT", "/kv/order-1", b"placed").await.text(), "stored");
    assert_eq!(call(&server, "PUT", "/kv/order-2", b"\x00binary\xff").await.status, 200);
    assert_eq!(call(&server, "PUT", "/kv/gone", b"x").await.status, 200);
    assert_eq!(call(&server, "DELETE", "/kv/gone", b"").await.text(), "deleted");
    let denied = get(&server, "/kv/order-1?store=other").await;
    assert_eq!((denied.status, denied.text().as_str()), (403, "Error::AccessDenied"));
    server.shutdown().await;

    // A new host on the same directory: nothing lost.
    let server = serve(&manifest, dir.options()).await;
    assert_eq!(get(&server, "/kv/order-1").await.text(), "placed");
    assert_eq!(&get(&server, "/kv/order-2").await.body[..], b"\x00binary\xff");
    assert_eq!(call(&server, "HEAD", "/kv/order-1", b"").await.status, 200);
    assert_eq!(call(&server, "HEAD", "/kv/gone", b"").await.status, 404);
    assert_eq!(get(&server, "/kv").await.text(), "order-1\norder-2");
    server.shutdown().await;

    // A label the host does not define stops startup, as in Spin; defined
    // (like a runtime-config store) and granted, it is a separate store.
    let both =
        dir.manifest(|m| m.replace("key_value_stores = [\"default\"]", "key_value_stores = [\"default\", \"other\"]"));
    let err = SpinApp::load(&both, dir.options()).expect_err("`other` is not defined");
    assert!(format!("{err:#}").contains("unknown key_value_stores label \"other\""), "{err:#}");
    let mut options = dir.options();
    options.kv_stores.push("other".into());
    let server = serve(&both, options).await;
    assert_eq!(get(&server, "/kv/order-1?store=other").await.status, 404);
    assert_eq!(call(&server, "PUT", "/kv/x?store=other", b"1").await.status, 200);
    assert_eq!(get(&server, "/kv").await.text(), "order-1\norder-2");
    server.shutdown().await;
}

/// A loopback server standing in for an API; counts what reaches it.
struct Upstream {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Upstream {
    /// Answers 201 `hello from upstream`, or never answers when `silent`.
    async fn start(silent: bool) -> Self {
        Self::answering_after(if silent { Duration::from_hours(1) } else { Duration::ZERO }).await
    }

    /// Answers 201 `hello from upstream` after `delay`.
    async fn answering_after(delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |_req| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        async move {
                            tokio::time::sleep(delay).await;
                            let mut response =
                                http::Response::new(Full::new(Bytes::from_static(b"hello from upstream")));
                            *response.status_mut() = http::StatusCode::CREATED;
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, hits, task }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn outbound_requests_follow_allowed_outbound_hosts() {
    let upstream = Upstream::start(false).await;
    let url = format!("http://{}/orders?token=sekrit-token", upstream.addr);
    let fetch = format!("/fetch?url={}", url.replace('?', "%3F").replace('=', "%3D"));
    let dir = AppDir::new("outbound");

    // `http://{{ upstream_host }}:*` with the default 127.0.0.1: allowed.
    let server = serve(&dir.manifest(|m| m), dir.options()).await;
    let allowed = get(&server, &fetch).await;
    assert_eq!((allowed.status, allowed.text().as_str()), (200, "status 201\nhello from upstream"));
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 1);
    server.shutdown().await;

    // The template now names another host: denied before anything is sent.
    let mut options = dir.options();
    options.variables.insert("upstream_host".into(), "api.example.invalid".into());
    let server = serve(&dir.manifest(|m| m), options).await;
    let denied = get(&server, &fetch).await;
    assert_eq!(denied.status, 502);
    assert!(denied.text().contains("HttpRequestDenied"), "{}", denied.text());
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 1, "a denied request reached the upstream");
    let log = server.log();
    let expected = format!("disallowed destination 'http://{}'", upstream.addr);
    assert!(log.contains(&expected), "{}", log.text());
    assert!(!log.contains("sekrit-token"), "the log repeated the URL's query:\n{}", log.text());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_to_self_need_the_self_grant() {
    let dir = AppDir::new("self");
    let server = serve(&dir.manifest(|m| m), dir.options()).await;
    let denied = get(&server, "/fetch?url=http://self.alt/var/greeting").await;
    assert_eq!(denied.status, 502);
    assert!(denied.text().contains("HttpRequestDenied"), "{}", denied.text());
    assert!(server.log().contains("its own app but it does not have permission"), "{}", server.log().text());
    server.shutdown().await;

    let granted = dir.manifest(|m| {
        m.replace(r#"["http://{{ upstream_host }}:*"]"#, r#"["http://{{ upstream_host }}:*", "http://self"]"#)
    });
    let server = serve(&granted, dir.options()).await;
    let answer = get(&server, "/fetch?url=http://self.alt/var/greeting").await;
    assert_eq!((answer.status, answer.text().as_str()), (200, "status 200\nhello"));
    // A relative URL is a request to the app itself too.
    let relative = get(&server, "/fetch?url=%2Fvar%2Fgreeting").await;
    assert_eq!((relative.status, relative.text().as_str()), (200, "status 200\nhello"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn outbound_requests_time_out_waiting_for_the_first_byte() {
    let upstream = Upstream::start(true).await;
    let dir = AppDir::new("outbound-timeout");
    let mut options = dir.options();
    options.limits.outbound_first_byte_timeout = Duration::from_millis(300);
    let server = serve(&dir.manifest(|m| m), options).await;
    let started = std::time::Instant::now();
    let answer = get(&server, &format!("/fetch?url=http://{}/slow", upstream.addr)).await;
    assert_eq!(answer.status, 502);
    assert!(answer.text().contains("ConnectionReadTimeout"), "{}", answer.text());
    assert!(started.elapsed() < Duration::from_secs(10));
    server.shutdown().await;
}

/// As under Spin, a caller that hangs up before the response does not stop
/// the guest: what it began (here, an outbound call whose answer it then
/// stores) is finished. The gateway relies on this: an order already sent to
/// Assessio is still recorded when the hub's webhook delivery times out.
#[tokio::test(flavor = "multi_thread")]
async fn a_caller_that_hangs_up_early_does_not_stop_the_guest() {
    use tokio::io::AsyncWriteExt as _;
    let upstream = Upstream::answering_after(Duration::from_millis(700)).await;
    let dir = AppDir::new("hang-up");
    let server = serve(&dir.manifest(|m| m), dir.options()).await;
    let path = format!("/fetch?url=http://{}/slow&record=after", upstream.addr);
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: {}\r\n\r\n", server.addr());
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    drop(stream); // the caller gives up long before the upstream answers
    let mut stored = None;
    for _ in 0..100 {
        let answer = get(&server, "/kv/after").await;
        if answer.status == 200 {
            stored = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = stored.expect("the guest finished its work after the caller left");
    assert!(stored.text().starts_with("status 201"), "{}", stored.text());
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 1);
    server.shutdown().await;
}

/// A body of `chunks` × 512 bytes with no length given: sent chunked.
struct Chunked {
    chunks: usize,
}

impl Body for Chunked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.chunks == 0 {
            return Poll::Ready(None);
        }
        self.chunks -= 1;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'x'; 512])))))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_body_is_refused_with_413_before_the_component_runs() {
    let dir = AppDir::new("body");
    let mut options = dir.options();
    options.limits.max_body_bytes = 2048;
    let server = serve(&dir.manifest(|m| m), options).await;

    let at_limit = send(server.addr(), "POST", "/echo", &[], Full::new(Bytes::from(vec![b'a'; 2048]))).await;
    assert_eq!(at_limit.status, 200);
    let declared = send(server.addr(), "POST", "/log", &[], Full::new(Bytes::from(vec![b'a'; 2049]))).await;
    assert_eq!(declared.status, 413);
    let streamed = send(server.addr(), "POST", "/log", &[], Chunked { chunks: 5 }).await;
    assert_eq!(streamed.status, 413);
    let small_stream = send(server.addr(), "POST", "/echo", &[], Chunked { chunks: 2 }).await;
    assert_eq!(small_stream.status, 200);
    assert!(small_stream.text().ends_with(&"x".repeat(1024)));
    assert!(!server.log().contains("probe stdout line"), "the component ran for a refused body");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_that_loops_is_stopped_at_the_deadline_and_the_server_goes_on() {
    let dir = AppDir::new("loop");
    let mut options = dir.options();
    options.limits.deadline = Duration::from_millis(500);
    let server = serve(&dir.manifest(|m| m), options).await;
    let started = std::time::Instant::now();
    let stopped = get(&server, "/loop").await;
    assert_eq!((stopped.status, stopped.body.len()), (500, 0));
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(server.log().contains("ran past its deadline"), "{}", server.log().text());
    assert_eq!(get(&server, "/empty").await.status, 200);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_that_allocates_without_end_hits_the_memory_cap_and_the_server_goes_on() {
    let dir = AppDir::new("alloc");
    let mut options = dir.options();
    options.limits.memory_bytes = 32 << 20;
    let server = serve(&dir.manifest(|m| m), options).await;
    let stopped = get(&server, "/alloc").await;
    assert_eq!(stopped.status, 500);
    assert!(server.log().contains("more than its memory limit"), "{}", server.log().text());
    assert_eq!(get(&server, "/empty").await.status, 200);
    assert_eq!(get(&server, "/var/greeting").await.text(), "hello");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_requests_all_get_their_own_answer() {
    let dir = AppDir::new("concurrent");
    let server = serve(&dir.manifest(|m| m), dir.options()).await;
    let addr = server.addr();
    let requests = (0..50).map(|i| {
        tokio::spawn(async move {
            let body = format!("request-{i}");
            let answer = send(addr, "POST", "/echo", &[], Full::new(Bytes::from(body.clone()))).await;
            (answer.status, answer.text().ends_with(&format!("\n\n{body}")))
        })
    });
    for request in requests.collect::<Vec<_>>() {
        assert_eq!(request.await.unwrap(), (200, true));
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_stops_the_server() {
    let dir = AppDir::new("shutdown");
    let server = serve(&dir.manifest(|m| m), dir.options()).await;
    let addr = server.addr();
    assert_eq!(get(&server, "/empty").await.status, 200);
    server.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting after shutdown");
}

/// A component built from spin-sdk's WIT (a `wit-component` dummy: every
/// function traps) that imports `imports` and exports the HTTP handler.
fn stand_in_component(imports: &[&str]) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    resolve.push_dir(spin_host::SPIN_SDK_WIT).unwrap();
    let imports: String = imports.iter().flat_map(|i| ["  import ", i, ";\n"]).collect();
    let world =
        format!("package test:stand-in;\nworld stand-in {{\n{imports}  export wasi:http/incoming-handler@0.2.0;\n}}\n");
    let package = resolve.push_str("stand-in.wit", &world).unwrap();
    let world = resolve.select_world(&[package], Some("stand-in")).unwrap();
    let mangling = wit_parser::ManglingAndAbi::Legacy(wit_parser::LiftLowerAbi::Sync);
    let mut module = wit_component::dummy_module(&resolve, world, mangling);
    wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8, false)
        .unwrap();
    wit_component::ComponentEncoder::default().module(&module).unwrap().validate(true).encode().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn components_importing_services_this_host_lacks_still_load() {
    let dir = AppDir::new("unsupported");
    let component = stand_in_component(&[
        "fermyon:spin/llm@2.0.0",
        "fermyon:spin/redis@2.0.0",
        "fermyon:spin/mqtt@2.0.0",
        "fermyon:spin/postgres@2.0.0",
        "fermyon:spin/mysql@2.0.0",
        "fermyon:spin/sqlite@2.0.0",
        "fermyon:spin/variables@2.0.0",
    ]);
    std::fs::write(dir.0.join("stand-in.wasm"), component).unwrap();
    let manifest = dir.manifest(|m| {
        m.replace(&format!("source = {:?}", probe().display().to_string()), "source = \"stand-in.wasm\"")
    });
    let server = serve(&manifest, dir.options()).await;
    // The dummy traps in its handler: a 500, and the server goes on.
    assert_eq!(get(&server, "/anything").await.status, 500);
    assert!(server.log().contains("the component trapped"), "{}", server.log().text());
    assert_eq!(get(&server, "/anything").await.status, 500);
    server.shutdown().await;

    // An interface Spin 3 has but this host does not: refused at load, by name.
    std::fs::write(dir.0.join("stand-in.wasm"), stand_in_component(&["wasi:config/store@0.2.0-draft-2024-09-27"]))
        .unwrap();
    let err = SpinApp::load(&manifest, dir.options()).expect_err("wasi:config is not provided");
    let message = format!("{err:?}");
    assert!(message.contains("does not provide") && message.contains("wasi:config/store"), "{message}");
}

#[test]
fn the_limits_have_sane_defaults() {
    let limits = RequestLimits::default();
    assert!(limits.memory_bytes >= 16 << 20);
    assert!(limits.deadline > limits.outbound_first_byte_timeout);
    assert!(limits.max_body_bytes >= 1 << 20);
}
