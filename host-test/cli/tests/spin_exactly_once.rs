//! Exactly-once placing on the production engine: the root `spin.toml` on
//! real Spin, two instances sharing one Redis (as
//! `examples/runtime-config.toml` describes), Kombo delivering each order
//! webhook four times at once, two deliveries to each instance.
//!
//! First the primitive the claim stands on is checked on real Spin and
//! Redis: `wasi:keyvalue/atomics.increment` hands every concurrent caller a
//! different value (Spin's Redis compare-and-swap is not relied on). Then:
//! 1. 30 orders, 4 deliveries each at once: every order placed at Assessio
//!    exactly once, by the end of the burst or by one redelivery 2 s later;
//! 2. the same with the connection to Assessio dropped right after it
//!    accepted the first orders: none doubled, each of those `uncertain`
//!    (a 202, counted in `/health`), and a redelivery sends nothing.
//!
//! 3. an instance killed (`SIGKILL`) while Assessio holds the answer to an
//!    order it accepted, and started again on the same Redis: the order is
//!    "being placed" on every instance for the in-flight window, then
//!    `uncertain`, and never sent twice; an Assessio that never answers at
//!    all is given up on at the first-byte deadline, with the order
//!    uncertain, not waited on for minutes.
//!
//! And on one instance: a body over the gateway's 1 MiB limit is refused
//! before it is read (Spin itself sets no limit): a `Content-Length` of
//! 1 GiB is answered 413 with no body sent, a chunked body as soon as it
//! passes the limit.
//!
//! Each run prints one row of the table in `docs/reliability.md`. Spin is
//! found through `SPIN_BIN` or `PATH` and Redis through `PATH`
//! (`redis-server`, which `.ci/run` installs); without them the test says
//! `SKIPPED:` and why (a failure under `ASSESSIO_REQUIRE_SPIN=1`).

mod support;

use assessio_harness::locate;
use assessio_host::stack::{INTEGRATION, demo_package, secrets};
use assessio_simulators::assessio::route as assessio_route;
use assessio_simulators::assessio::{AssessioConfig, AssessioSim, Organisation};
use assessio_simulators::kombo::{KomboConfig, KomboSim};
use assessio_simulators::{FaultAction, FaultPlan, NewOrder};
use serde_json::{Value, json};
use std::io::Write as _;
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::KvDir;
use support::real_spin::RealSpin;
use support::redis::{Redis, runtime_config};

const ORDERS: usize = 30;
const DELIVERIES: usize = 4;

struct Upstreams {
    assessio: AssessioSim,
    kombo: KomboSim,
}

async fn upstreams() -> Upstreams {
    let organisation =
        Organisation::example(secrets::PROVIDER_KEY, Some(secrets::INTEGRATOR_SECRET), secrets::INTEGRATOR_API_KEY);
    let assessio =
        AssessioSim::start(AssessioConfig { auto_complete: None, ..AssessioConfig::new(vec![organisation]) })
            .await
            .expect("the Assessio simulator starts");
    // Kombo waits long enough for the gateway's own deadlines to show.
    let kombo = KomboConfig {
        webhook_timeout: Duration::from_secs(30),
        ..KomboConfig::new(secrets::KOMBO_API_KEY, &[INTEGRATION], secrets::KOMBO_WEBHOOK_SECRET)
    };
    let kombo = KomboSim::start(kombo).await.expect("the Kombo simulator starts");
    Upstreams { assessio, kombo }
}

fn variables(up: &Upstreams) -> Vec<(String, String)> {
    let tenants = json!({ INTEGRATION: {
        "provider_key": secrets::PROVIDER_KEY,
        "integrator_secret": secrets::INTEGRATOR_SECRET,
        "default_locale": "sv-SE",
    }});
    [
        ("ASSESSIO_URL", up.assessio.url()),
        ("ASSESSIO_INTEGRATOR_API_KEY", secrets::INTEGRATOR_API_KEY.into()),
        ("KOMBO_URL", up.kombo.url()),
        ("KOMBO_API_KEY", secrets::KOMBO_API_KEY.into()),
        ("KOMBO_WEBHOOK_SECRET", secrets::KOMBO_WEBHOOK_SECRET.into()),
        ("TENANTS", tenants.to_string()),
        // Results are not part of these runs.
        ("PUBLIC_URL", "http://127.0.0.1:9".into()),
        ("OPERATOR_TOKEN", secrets::OPERATOR_TOKEN.into()),
    ]
    .into_iter()
    .map(|(k, v)| (format!("SPIN_VARIABLE_{k}"), v))
    .collect()
}

/// An instance of the root `spin.toml` on real Spin with its store on `redis`.
fn instance(up: &Upstreams, redis: &Redis, dir: &Path) -> Option<RealSpin> {
    locate::ensure_app_built().expect("building the gateway and the plugin");
    let manifest = locate::workspace_root().join("spin.toml");
    let config = runtime_config(dir, redis);
    let vars = variables(up);
    let envs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    RealSpin::start(&manifest, &envs, Some(&config))
}

/// Two instances sharing `redis`.
fn instances(up: &Upstreams, redis: &Redis, dir: &Path) -> Option<[RealSpin; 2]> {
    Some([instance(up, redis, dir)?, instance(up, redis, dir)?])
}

/// A Redis, the upstreams, and two instances sharing that Redis; `None`
/// (after a `SKIPPED:` line) where Spin or Redis is missing.
async fn two_instances(test: &str) -> Option<(Redis, KvDir, Arc<Upstreams>, [RealSpin; 2])> {
    let redis = Redis::start()?;
    let dir = KvDir::new("spin-exactly-once", test);
    let up = Arc::new(upstreams().await);
    let spins = instances(&up, &redis, &dir.0)?;
    Some((redis, dir, up, spins))
}

/// What one run found, as a row of `docs/reliability.md`.
#[derive(Debug, Default)]
struct Row {
    orders: usize,
    deliveries: usize,
    placed: usize,
    doubled: usize,
    stalled: usize,
    uncertain: usize,
    times: Vec<Duration>,
}

impl Row {
    fn print(&self, run: &str) {
        let mut t = self.times.clone();
        t.sort();
        // The nearest rank: index ⌈n·p/100⌉ - 1, in whole numbers.
        let at = |percent: usize| {
            let rank = (t.len() * percent).div_ceil(100).max(1);
            t.get(rank - 1).map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        println!(
            "| {run} | {} | {} | {} | {} | {} | {} | {:.0} ms | {:.0} ms |",
            self.orders,
            self.deliveries,
            self.placed,
            self.doubled,
            self.stalled,
            self.uncertain,
            at(50),
            at(99)
        );
    }
}

/// Creates the orders, delivers each `DELIVERIES` times at once (half to
/// each instance), then once more 2 s later to whichever instance where
/// the burst left it unplaced, and counts.
async fn burst(up: &Arc<Upstreams>, urls: [String; 2], prefix: &str) -> (Row, Vec<(String, Vec<Option<u16>>)>) {
    let ids: Vec<String> = (0..ORDERS)
        .map(|i| {
            let order = NewOrder::example(INTEGRATION, &demo_package(), &format!("{prefix}.{i}@example.com"));
            up.kombo.create_order(order).expect("the order is created")
        })
        .collect();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for id in &ids {
        for d in 0..DELIVERIES {
            let (up, id, url) = (Arc::clone(up), id.clone(), format!("{}/kombo/webhook", urls[d % 2]));
            tasks.spawn(async move {
                let outcome = up.kombo.deliver_to(&id, &url).await.expect("delivered");
                (id, outcome.status, started.elapsed())
            });
        }
    }
    let mut answers: Vec<(String, Vec<Option<u16>>)> = ids.iter().map(|id| (id.clone(), Vec::new())).collect();
    let mut placed_at: Vec<Option<Duration>> = vec![None; ids.len()];
    while let Some(done) = tasks.join_next().await {
        let (id, status, at) = done.expect("the delivery task ends");
        let i = ids.iter().position(|x| *x == id).expect("one of ours");
        answers[i].1.push(status);
        if status == Some(200) {
            placed_at[i] = Some(placed_at[i].map_or(at, |t: Duration| t.min(at)));
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (i, id) in ids.iter().enumerate() {
        if placed_at[i].is_none() {
            let outcome = up.kombo.deliver_to(id, &format!("{}/kombo/webhook", urls[i % 2])).await.expect("delivered");
            answers[i].1.push(outcome.status);
            if outcome.status == Some(200) {
                placed_at[i] = Some(started.elapsed());
            }
        }
    }
    let accepted = up.assessio.orders();
    let mut row = Row { orders: ids.len(), deliveries: ids.len() * DELIVERIES, ..Row::default() };
    for (i, (_, statuses)) in answers.iter().enumerate() {
        let email = format!("{prefix}.{i}@example.com");
        let at_assessio = accepted.iter().filter(|o| o.candidate.email == email).count();
        row.placed += usize::from(at_assessio >= 1);
        row.doubled += usize::from(at_assessio > 1);
        let uncertain = statuses.contains(&Some(202));
        row.uncertain += usize::from(uncertain);
        row.stalled += usize::from(at_assessio == 0 || (placed_at[i].is_none() && !uncertain));
        row.times.extend(placed_at[i]);
    }
    (row, answers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_spin_instances_sharing_redis_place_each_order_exactly_once() {
    // Redis and the directory live as long as the instances.
    let Some((_redis, _dir, up, [a, b])) = two_instances("burst").await else { return };
    let urls = [a.url(""), b.url("")];
    let logs = || format!("--- instance A:\n{}\n--- instance B:\n{}", a.log(), b.log());

    // The claim is one `increment` per attempt, from four deliveries on two
    // instances at once: a second send of any order would show a broken
    // increment on Spin's Redis store.
    println!("| run | orders | deliveries | placed | doubled | stalled | uncertain | time to placed p50 | p99 |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");

    // 1. Plain bursts.
    let (row, answers) = burst(&up, urls.clone(), "burst").await;
    row.print("real Spin, 2 instances, Redis: 4 deliveries at once");
    assert_eq!(row.doubled, 0, "{answers:?}\n{}", logs());
    assert_eq!((row.placed, row.stalled, row.uncertain), (ORDERS, 0, 0), "{answers:?}\n{}", logs());

    // 2. Assessio takes the first 10 orders and the connection drops before
    // its answer: those are uncertain, none doubled, none sent again.
    let before = up.assessio.attempt_count();
    up.assessio.faults().set(assessio_route::ORDER, FaultPlan::new().next_action(10, FaultAction::DropAfterHandling));
    let (row, answers) = burst(&up, urls.clone(), "dropped").await;
    row.print("real Spin, 2 instances, Redis: connection dropped after Assessio accepted 10");
    assert_eq!(row.doubled, 0, "{answers:?}\n{}", logs());
    assert_eq!(row.placed, ORDERS, "{answers:?}\n{}", logs());
    assert_eq!(row.uncertain, 10, "{answers:?}\n{}", logs());
    assert_eq!(up.assessio.attempt_count() - before, ORDERS, "one send per order, whatever the deliveries");
    for url in &urls {
        let health = get_json(&format!("{url}/health")).await;
        assert_eq!(health["orders"]["uncertain"], 10, "both instances count them: {health}");
    }
    drop((a, b));
}

/// `GET url`, as JSON.
async fn get_json(url: &str) -> Value {
    let client = assessio_simulators::http::HttpClient::new(Duration::from_secs(10));
    let r = client.request(http::Method::GET, url, &[], Vec::new()).await.expect("the gateway answers");
    r.json().expect("JSON")
}

/// Writes `head` and then `chunks` (each a chunk of a chunked body, if any)
/// to `addr`, and reads the status line of the answer, within 20 s.
fn status_after(addr: std::net::SocketAddr, head: &str, chunks: usize) -> String {
    use std::io::{BufRead as _, BufReader};
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("a timeout");
    stream.set_write_timeout(Some(Duration::from_secs(20))).expect("a timeout");
    stream.write_all(head.as_bytes()).expect("the head is sent");
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
    for _ in 0..chunks {
        // The gateway may answer and close before every chunk is written.
        if stream.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).expect("an answer within 20 s");
    line.trim_end().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_before_it_is_read() {
    let up = upstreams().await;
    locate::ensure_app_built().expect("building the gateway and the plugin");
    let manifest = locate::workspace_root().join("spin.toml");
    let vars = variables(&up);
    let envs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let Some(spin) = RealSpin::start(&manifest, &envs, None) else { return };
    let addr = spin.addr();
    let declared = "POST /kombo/webhook HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n\
                    Content-Length: 1073741824\r\n\r\n";
    let answer = tokio::task::spawn_blocking(move || status_after(addr, declared, 0)).await.expect("joined");
    assert!(answer.starts_with("HTTP/1.1 413"), "a declared 1 GiB, nothing sent: {answer}\n{}", spin.log());
    let chunked = "POST /kombo/webhook HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n\
                   Transfer-Encoding: chunked\r\n\r\n";
    // 32 chunks of 64 KiB: 2 MiB, never terminated.
    let answer = tokio::task::spawn_blocking(move || status_after(addr, chunked, 32)).await.expect("joined");
    assert!(answer.starts_with("HTTP/1.1 413"), "a chunked 2 MiB: {answer}\n{}", spin.log());
    // This instance keeps its store in Spin's default SQLite: the atomics
    // work there too (`/health` reads the uncertain count with one).
    let health = get_json(&spin.url("/health")).await;
    assert_eq!(health["orders"]["uncertain"], 0, "{health}\n{}", spin.log());
    let id = up.kombo.create_order(NewOrder::example(INTEGRATION, &demo_package(), "sqlite@example.com")).unwrap();
    let placed = up.kombo.deliver_to(&id, &spin.url("/kombo/webhook")).await.expect("delivered");
    assert_eq!(placed.status, Some(200), "{:?}\n{}", String::from_utf8_lossy(&placed.body), spin.log());
}

/// The gateway's in-flight window (`records::IN_FLIGHT_SECONDS`) plus a
/// margin for its one-second clock.
const IN_FLIGHT: Duration = Duration::from_secs(32);

/// The gateway's first-byte deadline (`platform::FIRST_BYTE_TIMEOUT_MS`),
/// plus the rest of a request's work and a loaded machine's slack.
const FIRST_BYTE: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_instance_and_a_silent_assessio_block_nobody_past_the_deadlines() {
    let Some((redis, dir, up, [a, b])) = two_instances("killed").await else { return };
    let hook = |spin: &RealSpin| format!("{}/kombo/webhook", spin.url(""));

    // Assessio accepts the order and holds its answer; the instance
    // sending it is killed meanwhile, and started again.
    up.assessio.faults().set(assessio_route::ORDER, FaultPlan::new().next_action(1, FaultAction::HangAfterHandling));
    let order = NewOrder::example(INTEGRATION, &demo_package(), "killed@example.com");
    let id = up.kombo.create_order(order).expect("the order is created");
    let sending = {
        let (up, id, url) = (Arc::clone(&up), id.clone(), hook(&a));
        tokio::spawn(async move { up.kombo.deliver_to(&id, &url).await })
    };
    let started = Instant::now();
    while up.assessio.order_count() == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "Assessio never got the order\n{}", a.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed = Instant::now();
    drop(a);
    let cut = sending.await.expect("joined").expect("delivered");
    assert_eq!(cut.status, None, "the killed instance never answered: {cut:?}");
    let a2 = instance(&up, &redis, &dir.0).expect("Spin starts again");

    let during = up.kombo.deliver_to(&id, &hook(&b)).await.expect("delivered");
    assert_eq!(during.status, Some(503), "being placed: {:?}", String::from_utf8_lossy(&during.body));
    tokio::time::sleep(IN_FLIGHT.saturating_sub(killed.elapsed())).await;
    for spin in [&a2, &b] {
        let after = up.kombo.deliver_to(&id, &hook(spin)).await.expect("delivered");
        assert_eq!(after.status, Some(202), "uncertain: {:?}\n{}", String::from_utf8_lossy(&after.body), spin.log());
    }
    assert_eq!(up.assessio.attempt_count(), 1, "sent once, by the killed instance");
    println!("killed mid-order: uncertain {:.0} s after the kill, sent once", killed.elapsed().as_secs_f64());

    // Assessio takes the request and never answers: the first-byte
    // deadline ends the wait, and the order is uncertain.
    up.assessio.faults().set(assessio_route::ORDER, FaultPlan::new().next_action(1, FaultAction::Hang));
    let order = NewOrder::example(INTEGRATION, &demo_package(), "silent@example.com");
    let id = up.kombo.create_order(order).expect("the order is created");
    let asked = Instant::now();
    let answer = up.kombo.deliver_to(&id, &hook(&b)).await.expect("delivered");
    let waited = asked.elapsed();
    assert_eq!(answer.status, Some(202), "{:?}\n{}", String::from_utf8_lossy(&answer.body), b.log());
    assert!(String::from_utf8_lossy(&answer.body).contains("uncertain"));
    assert!(waited + Duration::from_secs(1) >= FIRST_BYTE, "answered in {waited:?}, before the deadline?");
    println!("silent Assessio: answered after {:.1} s (first-byte deadline 15 s)", waited.as_secs_f64());
    drop((a2, b));
}
