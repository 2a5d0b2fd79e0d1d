//! Property-based API fuzzing: schemathesis generates requests from
//! `docs/openapi.json`, sends them to the real gateway (the root `spin.toml`
//! on this project's wasmtime host, the simulators as upstreams, all on
//! loopback) and checks every answer against the same file: documented
//! status, content type, body schema and headers; no 5xx but the "retry
//! later" answers the file marks `x-retry-later`; 401 whenever credentials
//! are removed; 405 with `Allow` for undocumented methods.
//!
//! `scripts/api-fuzz.sh` installs the pinned schemathesis and runs this test
//! with `SCHEMATHESIS` pointing at it; `cargo test` skips it, because the
//! fuzzer is a Python tool cargo cannot install. `docs/api-fuzzing.md` has
//! the figures and what the fuzzer found.

use assessio_host::stack::{
    INTEGRATION, LENS_ID, STACKONE_ACCOUNT, Stack, StackOptions, TEAMTAILOR_COMPANY, demo_package, secrets,
};
use assessio_plugin::hubs::package_id;
use assessio_simulators::kombo::NewOrder;
use assessio_simulators::stackone::NewStackOneOrder;
use assessio_simulators::teamtailor::NewTrigger;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::{KvDir, options, start};

mod support;

/// Test cases per operation and phase: enough to find the shapes that break
/// a route, bounded so the run stays within a few minutes on two cores.
const MAX_EXAMPLES: &str = "100";
/// Fixed, so every run generates the same cases and a failure reproduces by
/// running the test again (the stack, and so its ports, lives only as long
/// as the test).
const SEED: &str = "20250101";
/// What the hooks put where a signature goes; they sign the bytes on the wire
/// in its place. Anything else there (the fuzzer's own values, or nothing
/// when it removed the credentials on purpose) is sent as is.
const SIGN_ME: &str = "sign-me";
/// Every check schemathesis has, but three that test what this API does not
/// promise: `negative_data_rejection` and `positive_data_acceptance` (the
/// request schemas say what the gateway reads, not everything it refuses: a
/// webhook receiver ignores what it does not know, and refuses schema-valid
/// orders for business reasons with a documented 422), and
/// `object_level_authorization` (there is one identity per route).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance,response_headers_conformance,missing_required_header,\
                      ignored_auth,unsupported_method,allow_header_conformance,use_after_free,\
                      ensure_resource_availability";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("host-test/cli lies in the workspace").to_path_buf()
}

fn spec() -> Value {
    let text = std::fs::read_to_string(root().join("docs/openapi.json")).expect("docs/openapi.json exists");
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
}

/// Follows a local `$ref`.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(spec, spec.pointer(r.trim_start_matches('#')).expect("the ref resolves")),
        None => v,
    }
}

/// Each operation's id and the 5xx statuses the spec marks "retry later"
/// (`x-retry-later: true`): the only server errors the fuzzer may see.
fn retry_later(spec: &Value) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for item in spec["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("a path item").values() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else { continue };
            let statuses = op["responses"]
                .as_object()
                .expect("responses")
                .iter()
                .filter(|(status, r)| status.starts_with('5') && resolve(spec, r)["x-retry-later"] == true)
                .map(|(status, _)| status.clone())
                .collect();
            out.push((id.to_string(), statuses));
        }
    }
    out
}

/// The schemathesis configuration: the hooks, a credential for every
/// security scheme (a placeholder for signatures, which the hooks compute),
/// and, per operation, which statuses `not_a_server_error` accepts.
fn config(spec: &Value) -> String {
    let bearer = |token: &str| json!({ "bearer": token });
    let sign = json!({ "api_key": SIGN_ME });
    let operations: Vec<Value> = retry_later(spec)
        .into_iter()
        .map(|(id, statuses)| {
            let expected: Vec<String> = ["2xx", "3xx", "4xx"].into_iter().map(String::from).chain(statuses).collect();
            json!({
                "include-operation-id": id,
                "checks": { "not_a_server_error": { "expected-statuses": expected } },
            })
        })
        .collect();
    let config = json!({
        "hooks": root().join("scripts/api_fuzz_hooks.py").to_string_lossy(),
        "auth": { "openapi": {
            "operatorToken": bearer(secrets::OPERATOR_TOKEN),
            "integratorApiKey": bearer(secrets::INTEGRATOR_API_KEY),
            "teamtailorProviderKey": bearer(secrets::TEAMTAILOR_PROVIDER_KEY),
            "komboSignature": sign,
            "stackoneSignature": sign,
            "teamtailorSignature": sign,
        }},
        "operations": operations,
    });
    toml::to_string(&toml::Value::try_from(config).expect("TOML-shaped")).expect("serialises")
}

/// One order per hub, placed through its simulator before the fuzzer starts,
/// so that a share of the generated cases can name orders that exist
/// (`GET /orders/...` answering 200, results with a record to write to).
async fn seed(stack: &Stack) -> Map<String, Value> {
    let kombo = stack.kombo.place_order(NewOrder::example(INTEGRATION, &demo_package(), "k@example.com")).await;
    let kombo = kombo.expect("the Kombo order is sent");
    let trigger = NewTrigger::example(TEAMTAILOR_COMPANY, LENS_ID, "sv-SE", "t@example.com");
    let teamtailor = stack.teamtailor.place_trigger(trigger).await.expect("the trigger is sent");
    let order = NewStackOneOrder::example(STACKONE_ACCOUNT, &package_id(LENS_ID, "en-US"), "s@example.com");
    let stackone = stack.stackone.place_order(order).await.expect("the StackOne order is sent");
    let placed = stack.assessio.orders();
    let result_id = |email: &str| {
        let order = placed.iter().find(|o| o.candidate.email == email);
        order.unwrap_or_else(|| panic!("the seed order for {email} was placed")).result_id.clone()
    };
    let seeded = json!({
        "orders": [
            { "hub": "kombo", "tenant": INTEGRATION, "order": kombo.order_id, "result": result_id("k@example.com") },
            { "hub": "teamtailor", "tenant": TEAMTAILOR_COMPANY, "order": teamtailor.partner_result_id,
              "result": result_id("t@example.com") },
            { "hub": "stackone", "tenant": STACKONE_ACCOUNT, "order": stackone.order_id,
              "result": result_id("s@example.com") },
        ],
        "kombo_integration": INTEGRATION,
        "kombo_package": demo_package(),
        "teamtailor_company": TEAMTAILOR_COMPANY,
        "teamtailor_update_url": stack.teamtailor.update_url(""),
        "stackone_account": STACKONE_ACCOUNT,
        "stackone_package": package_id(LENS_ID, "en-US"),
        "lens": LENS_ID,
    });
    seeded.as_object().expect("an object").clone()
}

/// What the run did, read back from schemathesis's NDJSON report: requests
/// and failed checks per documented operation, by status, and per phase.
#[derive(Default)]
struct Figures {
    /// `METHOD /path` (documented operations only) → status → requests.
    statuses: BTreeMap<String, BTreeMap<u16, usize>>,
    /// Requests with a method the path does not document (405 probes).
    other_methods: usize,
    /// Phase → test cases.
    phases: BTreeMap<String, usize>,
    /// Failed checks, by check name.
    failures: BTreeMap<String, usize>,
}

impl Figures {
    fn read(ndjson: &Path, spec: &Value) -> Self {
        let text = std::fs::read_to_string(ndjson).expect("the NDJSON report is readable");
        let mut figures = Self::default();
        for line in text.lines() {
            let event: Value = serde_json::from_str(line).expect("each NDJSON line is JSON");
            let Some(scenario) = event.get("ScenarioFinished") else { continue };
            let phase = scenario["phase"].as_str().unwrap_or("?").to_string();
            let recorder = &scenario["recorder"];
            for (id, case) in recorder["cases"].as_object().into_iter().flatten() {
                *figures.phases.entry(phase.clone()).or_default() += 1;
                let (method, path) = (case["value"]["method"].as_str(), case["value"]["path"].as_str());
                let (method, path) = (method.unwrap_or("?"), path.unwrap_or("?"));
                for check in recorder["checks"][id].as_array().into_iter().flatten() {
                    if check["status"] == "failure" {
                        *figures.failures.entry(check["name"].as_str().unwrap_or("?").to_string()).or_default() += 1;
                    }
                }
                let Some(status) = recorder["interactions"][id]["response"]["status_code"].as_u64() else { continue };
                if spec["paths"][path].get(method.to_lowercase()).is_some() {
                    let by_status = figures.statuses.entry(format!("{method} {path}")).or_default();
                    *by_status.entry(u16::try_from(status).expect("an HTTP status")).or_default() += 1;
                } else {
                    figures.other_methods += 1;
                }
            }
        }
        figures
    }

    fn requests(&self) -> usize {
        self.statuses.values().flat_map(BTreeMap::values).sum::<usize>() + self.other_methods
    }

    fn print(&self) {
        println!("\napi-fuzz: responses per operation, by status");
        for (operation, by_status) in &self.statuses {
            let cells: Vec<String> = by_status.iter().map(|(status, n)| format!("{status}×{n}")).collect();
            println!("  {operation:<40} {}", cells.join(" "));
        }
        println!("  {:<40} 405×{}", "undocumented methods", self.other_methods);
        let phases: Vec<String> = self.phases.iter().map(|(phase, n)| format!("{phase} {n}")).collect();
        println!("api-fuzz: test cases per phase: {}", phases.join(", "));
        let failures: Vec<String> = self.failures.iter().map(|(check, n)| format!("{check} {n}")).collect();
        println!(
            "api-fuzz: {} operations, {} requests, {} failed checks{}",
            self.statuses.len(),
            self.requests(),
            self.failures.values().sum::<usize>(),
            if failures.is_empty() { String::new() } else { format!(" ({})", failures.join(", ")) }
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis; scripts/api-fuzz.sh runs it"]
async fn schemathesis_finds_no_answer_that_contradicts_the_openapi_file() {
    let st = std::env::var("SCHEMATHESIS").expect("SCHEMATHESIS names the schemathesis binary");
    // For exploring: other checks (`all`), or a longer run.
    let checks = std::env::var("API_FUZZ_CHECKS").unwrap_or_else(|_| CHECKS.into());
    let max_examples = std::env::var("API_FUZZ_MAX_EXAMPLES").unwrap_or_else(|_| MAX_EXAMPLES.into());
    let kv = KvDir::new("api-fuzz", "schemathesis");
    let stack = start(StackOptions { auto_complete: None, ..options(&kv) }).await;
    let seeded = seed(&stack).await;

    // The fuzzer's working directory: its config, reports and nothing else.
    let work = root().join("target/api-fuzz");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("creating target/api-fuzz");
    let spec = spec();
    let config_path = work.join("schemathesis.toml");
    std::fs::write(&config_path, config(&spec)).expect("writing the config");

    let mut command = Command::new(&st);
    command
        .current_dir(&work)
        .arg("--config-file")
        .arg(&config_path)
        .arg("run")
        .arg(root().join("docs/openapi.json"))
        .args(["--url", &stack.gateway.url("")])
        .args(["--checks", &checks])
        .args(["--mode", "all", "--max-examples", &max_examples, "--seed", SEED, "--workers", "2"])
        .args(["--generation-database", "none", "--no-color"])
        .args(["--report", "junit,ndjson", "--report-dir"])
        .arg(&work)
        // No `__pycache__` next to the hooks in scripts/.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("API_FUZZ_SEEDED", Value::Object(seeded).to_string())
        .env("API_FUZZ_SIGN_ME", SIGN_ME)
        .env("API_FUZZ_KOMBO_WEBHOOK_SECRET", secrets::KOMBO_WEBHOOK_SECRET)
        .env("API_FUZZ_STACKONE_WEBHOOK_SECRET", secrets::STACKONE_WEBHOOK_SECRET)
        .env("API_FUZZ_TEAMTAILOR_SIGNATURE_SECRET", secrets::TEAMTAILOR_SIGNATURE_SECRET);
    let started = Instant::now();
    let status =
        tokio::task::spawn_blocking(move || command.status()).await.expect("joined").expect("schemathesis runs");
    let elapsed = started.elapsed();

    // Kept next to the reports: which refusals the generated cases met.
    let log = stack.gateway_log();
    std::fs::write(work.join("gateway.log"), &log).expect("writing the gateway's log");
    let ndjson = std::fs::read_dir(&work)
        .expect("the report directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "ndjson"))
        .expect("schemathesis wrote its NDJSON report");
    let figures = Figures::read(&ndjson, &spec);
    figures.print();
    println!(
        "api-fuzz: schemathesis exited {status} after {:.0} s; reports in {}",
        elapsed.as_secs_f64(),
        work.display()
    );

    let trapped: Vec<&str> = log.lines().filter(|l| l.contains("Error processing request")).collect();
    assert!(trapped.is_empty(), "the gateway failed requests:\n{}", trapped.join("\n"));
    // The fuzzer's ids are full of control characters: none reaches the log,
    // where a newline would start a line that reads like the gateway's own.
    let raw: Vec<String> = stack
        .gateway
        .app_log()
        .expect("the API fuzz serves the gateway on this host")
        .lines()
        .into_iter()
        .filter(|l| l.text.chars().any(char::is_control))
        .map(|l| l.text)
        .collect();
    assert!(raw.is_empty(), "log lines with control characters: {raw:?}");
    for secret in secrets::ALL {
        assert!(!log.contains(secret), "a secret is in the gateway's log");
    }
    assert_eq!(figures.statuses.len(), retry_later(&spec).len(), "every operation was exercised");
    assert!(status.success(), "schemathesis found answers that contradict docs/openapi.json (see above)");
}
