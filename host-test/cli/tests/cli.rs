//! The `assessio` command as a hub engineer uses it.
//!
//! Every test runs the real binary (`CARGO_BIN_EXE_assessio`) in a child
//! process, feeds it a file or stdin, and checks its exit code, its stdout
//! and its stderr: the bundled example calls give known answers (HMACs
//! computed outside this project), refusals are typed JSON with exit code 1,
//! unreadable input is exit code 2 with nothing on stdout, secrets never
//! reach the terminal, and a call that runs into the memory cap is stopped
//! with exit code 3 and a sentence, not a crash.
//!
//! The plugin component is built (at most) once per test binary and passed
//! with `--plugin`, so no invocation rebuilds it or races another.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{KeyInit, Mac as _};
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The seven functions `assessio call` offers, in `assessio functions` order.
const FUNCTIONS: [&str; 7] = [
    "config-request",
    "list-lenses",
    "build-order",
    "sign-request",
    "verify-signature",
    "parse-result",
    "interpret-order-response",
];

/// `sign-request.json`'s header, computed outside this project with
/// Python's `hmac` and with
/// `printf '1700000000.{"resultId":"r-1"}' | openssl dgst -sha256 -hmac whsec_test_secret`.
const EXAMPLE_SIGNATURE: &str =
    "t=1700000000,signature=8bdab4ad04314db8fc9e387d0feab32f99622b30742885a0a2f5b13292a923b8";

/// The wire body `build-order.json` must produce, byte for byte: Assessio's
/// field names, in the order of Assessio's reference, and nothing else.
const EXAMPLE_ORDER_BODY: &str = concat!(
    r#"{"recruitment":{"id":"82bd4452-bd16-4227-bce9-f1812a9db6ef","title":"Developer"},"#,
    r#""additionalRecruitmentCollaboratorsEmails":["recruiter@example.com"],"#,
    r#""resultUpdateUrl":"https://connector.example.com/results/73273ca0-0253-4d5f-8f91-d39e298bd351","#,
    r#""resultId":"73273ca0-0253-4d5f-8f91-d39e298bd351","#,
    r#""lensId":"7922dd91-1b44-43e4-a740-7c4d9c2fba41","#,
    r#""locale":"sv-SE","#,
    r#""candidateDetails":{"email":"john.doe@example.com","firstName":"John","lastName":"Doe"}}"#,
);

// ------------------------------------------------------------------ harness

/// The plugin component, built at most once per test binary.
fn plugin() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| assessio_harness::locate::ensure_plugin_built().expect("building the plugin component"))
}

/// A file under the workspace root, such as `examples/calls/build-order.json`.
fn workspace_file(relative: &str) -> PathBuf {
    assessio_harness::locate::workspace_root().join(relative)
}

fn read_example(relative: &str) -> String {
    let path = workspace_file(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// An example call's JSON, to modify before feeding it on stdin.
fn example_json(name: &str) -> Value {
    serde_json::from_str(&read_example(&format!("examples/calls/{name}.json"))).expect("the example is JSON")
}

/// What one run of `assessio` did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Stdout as JSON, or a failure that shows both streams.
    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }

    #[track_caller]
    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Neither stream shows a Rust panic or a backtrace hint.
    #[track_caller]
    fn expect_no_panic(&self) -> &Self {
        for text in [&self.stdout, &self.stderr] {
            assert!(!text.contains("panicked"), "a panic was printed:\n{text}");
            assert!(!text.contains("RUST_BACKTRACE"), "a backtrace hint was printed:\n{text}");
        }
        self
    }
}

/// Runs `assessio --plugin <built component> <args…>`, with `stdin` (or an
/// empty stdin) as its standard input.
fn assessio(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let plugin = plugin().to_str().expect("the plugin path is UTF-8");
    run_binary(&[&["--plugin", plugin], args].concat(), stdin)
}

/// Runs the binary with exactly `args` (no `--plugin`).
fn run_binary(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_assessio"))
        .args(args)
        .env_remove("ASSESSIO_PLUGIN")
        .env_remove("RUST_BACKTRACE")
        .current_dir(assessio_harness::locate::workspace_root())
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the assessio binary");
    // Write from a thread so a large body cannot deadlock against the
    // child's output; a child that exits without reading (an unknown
    // function) closes the pipe, which is not this harness's failure.
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let out = child.wait_with_output().expect("waiting for the assessio binary");
    if let Some(writer) = writer {
        writer.join().expect("the stdin writer thread");
    }
    Run {
        code: out.status.code().unwrap_or_else(|| panic!("assessio was killed by a signal: {}", out.status)),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// `assessio call <function> --input examples/calls/<function>.json`.
fn call_example(function: &str) -> Run {
    let input = workspace_file(&format!("examples/calls/{function}.json"));
    assessio(&["call", function, "--input", input.to_str().expect("UTF-8 path")], None)
}

/// `assessio call <function>` with `input` on stdin.
fn call_stdin(function: &str, input: &[u8], extra: &[&str]) -> Run {
    assessio(&[&["call", function], extra].concat(), Some(input))
}

/// HMAC-SHA256 of `"<timestamp>." + body` under `secret`, as lowercase hex.
fn hmac_hex(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A request's headers as (name, value) pairs, in order.
fn header_pairs(request: &Value) -> Vec<(String, String)> {
    request["headers"]
        .as_array()
        .expect("headers is an array")
        .iter()
        .map(|h| {
            let field = |k: &str| h[k].as_str().unwrap_or_else(|| panic!("header {k} is a string: {h}")).to_string();
            (field("name"), field("value"))
        })
        .collect()
}

/// The object's keys, in the order they were written.
fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect()
}

// ------------------------------------------------- the bundled example calls

/// A new file in `examples/calls/` must get a known answer here too.
#[test]
fn every_example_call_is_a_function_and_is_checked_here() {
    let covered = ["build-order", "config-request", "interpret-order-response", "sign-request", "verify-signature"];
    // Files only: `examples/calls/hubs/` is checked by tests/exports_hubs.rs.
    let mut found: Vec<String> = std::fs::read_dir(workspace_file("examples/calls"))
        .expect("examples/calls exists")
        .map(|e| e.expect("a directory entry"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().into_string().expect("UTF-8 file name"))
        .collect();
    found.sort();
    let expected: Vec<String> = covered.iter().map(|n| format!("{n}.json")).collect();
    assert_eq!(found, expected, "examples/calls changed: give each new example a known-answer test in cli.rs");
    for name in covered {
        assert!(FUNCTIONS.contains(&name), "{name}.json is not named after a function");
    }
    let library: Vec<&str> = assessio_harness::call::FUNCTIONS.iter().map(|(n, _)| *n).collect();
    assert_eq!(library, FUNCTIONS, "the CLI's function table changed");
}

#[test]
fn sign_request_example_gives_the_independently_computed_header() {
    let run = call_example("sign-request");
    run.expect_code(0);
    assert_eq!(run.json(), json!({ "name": "Signature", "value": EXAMPLE_SIGNATURE }));
    assert!(run.stderr.is_empty(), "nothing on stderr for an answer: {}", run.stderr);
    // The same HMAC once more, with this test's own implementation.
    assert_eq!(
        EXAMPLE_SIGNATURE,
        format!("t=1700000000,signature={}", hmac_hex("whsec_test_secret", 1_700_000_000, br#"{"resultId":"r-1"}"#))
    );
}

#[test]
fn sign_request_compact_is_one_line_and_the_same_answer() {
    let input = read_example("examples/calls/sign-request.json");
    let run = call_stdin("sign-request", input.as_bytes(), &["--compact"]);
    run.expect_code(0);
    assert_eq!(run.stdout, format!("{{\"name\":\"Signature\",\"value\":\"{EXAMPLE_SIGNATURE}\"}}\n"));
    // The same input as `body-base64` signs the same bytes.
    let mut v = example_json("sign-request");
    let body = v.as_object_mut().unwrap().remove("body").unwrap();
    v["body-base64"] = json!(BASE64.encode(body.as_str().unwrap()));
    let run = call_stdin("sign-request", v.to_string().as_bytes(), &["--compact"]);
    run.expect_code(0);
    assert_eq!(run.json()["value"], EXAMPLE_SIGNATURE);
}

#[test]
fn verify_signature_example_accepts_the_header() {
    let run = call_example("verify-signature");
    run.expect_code(0);
    assert_eq!(run.json(), json!({ "signed-at": 1_700_000_000 }));
}

#[test]
fn build_order_example_is_the_signed_assessio_request() {
    let run = call_example("build-order");
    run.expect_code(0);
    let request = run.json();
    assert_eq!(keys(&request), ["method", "url", "headers", "body"]);
    assert_eq!(request["method"], "POST");
    assert_eq!(request["url"], "https://sandbox.api.assessio.systems/recruitment/v1/assessment-order");

    let headers = header_pairs(&request);
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["provider-key", "Signature", "Content-Type", "Accept"]);
    assert_eq!(headers[0].1, "pk_example_organisation");
    assert_eq!(headers[2].1, "application/json");
    assert_eq!(headers[3].1, "application/json");

    // The body: byte for byte, and as JSON with Assessio's field names in order.
    let body = request["body"].as_str().expect("a UTF-8 body comes as text");
    assert_eq!(body, EXAMPLE_ORDER_BODY);
    let parsed: Value = serde_json::from_str(body).expect("the body is JSON");
    assert_eq!(
        keys(&parsed),
        [
            "recruitment",
            "additionalRecruitmentCollaboratorsEmails",
            "resultUpdateUrl",
            "resultId",
            "lensId",
            "locale",
            "candidateDetails"
        ]
    );
    assert_eq!(
        parsed,
        json!({
            "recruitment": { "id": "82bd4452-bd16-4227-bce9-f1812a9db6ef", "title": "Developer" },
            "additionalRecruitmentCollaboratorsEmails": ["recruiter@example.com"],
            "resultUpdateUrl": "https://connector.example.com/results/73273ca0-0253-4d5f-8f91-d39e298bd351",
            "resultId": "73273ca0-0253-4d5f-8f91-d39e298bd351",
            "lensId": "7922dd91-1b44-43e4-a740-7c4d9c2fba41",
            "locale": "sv-SE",
            "candidateDetails": { "email": "john.doe@example.com", "firstName": "John", "lastName": "Doe" }
        })
    );
    assert_eq!(keys(&parsed["candidateDetails"]), ["email", "firstName", "lastName"]);

    // The signature, checked with this test's own HMAC over the exact body.
    let expected =
        format!("t=1700000000,signature={}", hmac_hex("example-integrator-secret", 1_700_000_000, body.as_bytes()));
    assert_eq!(headers[1].1, expected);
    assert_eq!(
        expected, "t=1700000000,signature=a37e353cc6d5b7ae0cd9fb0280bd21d9ad6427daf7ccc795a4ed40d906ec7bac",
        "the known answer (Python's hmac agrees)"
    );
}

#[test]
fn build_order_without_now_signs_with_this_machines_clock() {
    let mut input = example_json("build-order");
    input.as_object_mut().unwrap().remove("now");
    input.as_object_mut().unwrap().remove("endpoint");
    let before = assessio_harness::call::unix_now();
    let run = call_stdin("build-order", input.to_string().as_bytes(), &[]);
    let after = assessio_harness::call::unix_now();
    run.expect_code(0);
    let request = run.json();
    assert_eq!(request["url"], "https://sandbox.api.assessio.systems/recruitment/v1/assessment-order");
    let signature = &header_pairs(&request)[1];
    assert_eq!(signature.0, "Signature");
    let t: i64 =
        signature.1["t=".len()..signature.1.find(',').expect("t=…,signature=…")].parse().expect("t is a number");
    assert!((before..=after).contains(&t), "t={t} is not between {before} and {after}");
    let body = request["body"].as_str().unwrap();
    assert_eq!(signature.1, format!("t={t},signature={}", hmac_hex("example-integrator-secret", t, body.as_bytes())));
}

#[test]
fn config_request_example_is_the_get_with_the_provider_key() {
    let run = call_example("config-request");
    run.expect_code(0);
    assert_eq!(
        run.json(),
        json!({
            "method": "GET",
            "url": "https://sandbox.api.assessio.systems/recruitment/v1/config",
            "headers": [
                { "name": "provider-key", "value": "pk_example_organisation" },
                { "name": "Accept", "value": "application/json" }
            ],
            "body": ""
        })
    );
    // The config request is not signed: the integrator secret goes nowhere.
    assert!(!run.stdout.contains("example-integrator-secret"));
}

#[test]
fn interpret_order_response_example_is_a_duplicate() {
    let run = call_example("interpret-order-response");
    run.expect_code(0);
    assert_eq!(run.json(), json!("duplicate"));
}

#[test]
fn interpret_order_response_names_each_kind_of_answer() {
    let link_body = BASE64.encode(r#"{"assessmentPackageLink":"https://app.assessio.online/p/abc123"}"#);
    let cases = [
        (json!({"endpoint": "order", "status": 201}), json!({ "accepted": null })),
        (
            json!({"endpoint": "order-link", "status": 201, "body-base64": link_body}),
            json!({ "accepted": "https://app.assessio.online/p/abc123" }),
        ),
        (
            json!({"status": 400, "body": r#"{"message":"Unknown lens"}"#}),
            json!({ "rejected": { "status": 400, "message": "Unknown lens" } }),
        ),
        (json!({"status": 503}), json!({ "retry-later": { "status": 503, "message": "Assessio answered HTTP 503" } })),
    ];
    for (input, expected) in cases {
        let run = call_stdin("interpret-order-response", input.to_string().as_bytes(), &["--compact"]);
        run.expect_code(0);
        assert_eq!(run.json(), expected, "for {input}");
    }
    let run = call_stdin("interpret-order-response", br#"{"status": 401, "body": "bad key"}"#, &[]);
    run.expect_code(0);
    assert_eq!(run.json()["unauthorized"]["status"], 401);
}

// ----------------------------------------------------- bodies read from stdin

#[test]
fn parse_result_reads_the_webhook_body_from_stdin() {
    let body = read_example("examples/payloads/result-webhook.json");
    let run = call_stdin("parse-result", body.as_bytes(), &[]);
    run.expect_code(0);
    let result = run.json();
    assert_eq!(
        result,
        json!({
            "result-id": "73273ca0-0253-4d5f-8f91-d39e298bd351",
            "score": 71,
            "subscores": [
                { "name": "Driving Leadership", "score": 73 },
                { "name": "Influencing & Inspiring", "score": 68 }
            ],
            "recruitment-url": "https://app.assessio.online/recruitments/82bd4452-bd16-4227-bce9-f1812a9db6ef",
            "report-url": "https://app.assessio.online/reports/6ef46985-9ca2-4c65-a184-47fa0d332246"
        })
    );
    // `--input -` is stdin too, and gives the same answer.
    let dash = call_stdin("parse-result", body.as_bytes(), &["--input", "-"]);
    dash.expect_code(0);
    assert_eq!(dash.json(), result);
}

#[test]
fn list_lenses_reads_the_config_body_from_stdin() {
    let body = read_example("examples/payloads/config-response.json");
    let run = call_stdin("list-lenses", body.as_bytes(), &["--compact"]);
    run.expect_code(0);
    assert_eq!(
        run.json(),
        json!({
            "lenses": [
                { "id": "7922dd91-1b44-43e4-a740-7c4d9c2fba41", "name": "General Performance" },
                { "id": "3f0c8a52-6d1e-4b7a-9a43-0f2d5e8c1b77", "name": "Sales & Customer Relations" }
            ],
            "locales": ["en-US", "sv-SE", "nl-NL", "nn-NO"]
        })
    );
}

// --------------------------------------------- typed refusals: exit code 1

#[test]
fn build_order_without_a_last_name_is_refused_naming_the_field() {
    let mut input = example_json("build-order");
    input["order"]["candidate"]["last-name"] = json!("");
    let run = call_stdin("build-order", input.to_string().as_bytes(), &[]);
    run.expect_code(1).expect_no_panic();
    assert_eq!(run.json(), json!({ "error": { "missing": "candidate.last-name" } }));
    assert!(run.stderr.contains("candidate.last-name"), "stderr names the field: {}", run.stderr);
    // White space only counts as empty, and `--compact` prints the error on one line.
    input["order"]["candidate"]["last-name"] = json!("  ");
    let run = call_stdin("build-order", input.to_string().as_bytes(), &["--compact"]);
    run.expect_code(1);
    assert_eq!(run.stdout, "{\"error\":{\"missing\":\"candidate.last-name\"}}\n");
}

#[test]
fn a_score_above_100_is_refused_as_invalid() {
    let body = read_example("examples/payloads/result-webhook.json").replace("\"score\": 71", "\"score\": 101");
    assert!(body.contains("101"), "the example's score line changed");
    let run = call_stdin("parse-result", body.as_bytes(), &[]);
    run.expect_code(1).expect_no_panic();
    let error = run.json();
    assert_eq!(keys(&error), ["error"]);
    assert_eq!(keys(&error["error"]), ["invalid"]);
    assert_eq!(error["error"]["invalid"]["field"], "score");
    let problem = error["error"]["invalid"]["problem"].as_str().expect("a problem in words");
    assert!(problem.contains("101") && problem.contains("100"), "the problem says why: {problem}");
    assert!(run.stderr.contains("score"), "stderr names the field: {}", run.stderr);
}

#[test]
fn a_body_that_is_not_json_is_a_refusal_of_the_body_not_of_the_call() {
    // For the two functions whose input is Assessio's body itself, a broken
    // body is the connector's typed `malformed`, with line and column.
    let run = call_stdin("parse-result", b"not json", &["--compact"]);
    run.expect_code(1);
    let message = run.json()["error"]["malformed"].as_str().expect("a malformed error").to_string();
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn verify_signature_with_the_wrong_secret_is_a_mismatch_that_reveals_nothing() {
    let mut input = example_json("verify-signature");
    input["secret"] = json!("not-the-secret");
    let run = call_stdin("verify-signature", input.to_string().as_bytes(), &["--compact"]);
    run.expect_code(1).expect_no_panic();
    assert_eq!(run.stdout, "{\"error\":\"mismatch\"}\n");
    assert!(!run.stderr.is_empty(), "the refusal is also in words on stderr");
    // Neither the secret nor the signature that secret would have made shows.
    let would_be = hmac_hex("not-the-secret", 1_700_000_000, br#"{"resultId":"r-1"}"#);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains("not-the-secret") && !all.contains(&would_be), "{all}");
}

#[test]
fn verify_signature_outside_the_tolerance_is_expired_with_the_age() {
    let mut input = example_json("verify-signature");
    input["now"] = json!(1_700_000_301);
    let run = call_stdin("verify-signature", input.to_string().as_bytes(), &[]);
    run.expect_code(1);
    assert_eq!(run.json(), json!({ "error": { "expired": 301 } }));
    input["tolerance"] = json!(301);
    let run = call_stdin("verify-signature", input.to_string().as_bytes(), &[]);
    run.expect_code(0);
    assert_eq!(run.json(), json!({ "signed-at": 1_700_000_000 }));
}

// ------------------------------------------ unreadable input: exit code 2

#[test]
fn unreadable_input_exits_2_with_a_message_and_nothing_on_stdout() {
    let mut unknown_candidate_field = example_json("build-order");
    unknown_candidate_field["order"]["candidate"]["phone"] = json!("+46 70 000 00 00");
    let mut both_bodies = example_json("sign-request");
    both_bodies["body-base64"] = json!(BASE64.encode("x"));
    let cases: [(&str, Vec<u8>, &[&str]); 7] = [
        ("build-order", b"{\"account\": ".to_vec(), &["EOF"]),
        ("build-order", b"{not json}".to_vec(), &["line 1"]),
        ("build-order", unknown_candidate_field.to_string().into_bytes(), &["unknown field", "phone"]),
        ("sign-request", br#"{"secret":"s","timestamp":1,"body":"x","extra":1}"#.to_vec(), &["unknown field", "extra"]),
        ("sign-request", br#"{"secret":"s","body":"x"}"#.to_vec(), &["missing field", "timestamp"]),
        ("sign-request", both_bodies.to_string().into_bytes(), &["body", "body-base64", "not both"]),
        ("verify-signature", br#"{"header":null,"secret":"s"}"#.to_vec(), &["body", "required"]),
    ];
    for (function, input, words) in cases {
        let shown = String::from_utf8_lossy(&input).to_string();
        let run = call_stdin(function, &input, &[]);
        assert_eq!(run.code, 2, "{function} with {shown}\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
        run.expect_no_panic();
        assert!(run.stdout.is_empty(), "{function} with {shown}: stdout is empty, got {}", run.stdout);
        assert!(run.stderr.starts_with("error: "), "{function} with {shown}: {}", run.stderr);
        for word in words {
            assert!(run.stderr.contains(word), "{function} with {shown}: stderr should say {word:?}: {}", run.stderr);
        }
    }
}

#[test]
fn an_input_file_that_does_not_exist_exits_2_naming_it() {
    let run = assessio(&["call", "build-order", "--input", "no/such/input.json"], None);
    run.expect_code(2).expect_no_panic();
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("no/such/input.json"), "{}", run.stderr);
}

#[test]
fn an_unknown_function_exits_2_listing_the_functions() {
    let run = assessio(&["call", "place-order"], Some(b"{}"));
    run.expect_code(2).expect_no_panic();
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert!(run.stderr.contains("place-order"), "names what was asked for: {}", run.stderr);
    for name in FUNCTIONS {
        assert!(run.stderr.contains(name), "stderr lists `{name}`: {}", run.stderr);
    }
}

// ------------------------------------------------ secrets stay out of errors

#[test]
fn a_refused_account_never_echoes_its_key_or_secret() {
    let key = "pk live SEKRET-KEY-9f3a";
    let secret = "TOP-SECRET-hmac-4b2e";
    for function in ["build-order", "config-request"] {
        let mut input = example_json(function);
        input["account"]["provider-key"] = json!(key);
        input["account"]["integrator-secret"] = json!(secret);
        let run = call_stdin(function, input.to_string().as_bytes(), &[]);
        run.expect_code(1).expect_no_panic();
        assert_eq!(run.json()["error"]["invalid"]["field"], "account.provider-key", "{function}");
        let all = format!("{}{}", run.stdout, run.stderr);
        for leak in [key, "SEKRET-KEY-9f3a", secret, "hmac-4b2e"] {
            assert!(!all.contains(leak), "{function} printed {leak:?}:\n{all}");
        }
    }
}

#[test]
fn a_provider_key_that_would_inject_a_header_is_refused_without_echo() {
    let mut input = example_json("config-request");
    input["account"]["provider-key"] = json!("pk_ok\r\nX-Injected: SEKRET-9d1c");
    let run = call_stdin("config-request", input.to_string().as_bytes(), &[]);
    run.expect_code(1);
    assert_eq!(run.json()["error"]["invalid"]["field"], "account.provider-key");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains("X-Injected") && !all.contains("SEKRET-9d1c"), "{all}");
}

#[test]
fn an_empty_integrator_secret_is_missing_not_signing_off() {
    let mut input = example_json("build-order");
    input["account"]["integrator-secret"] = json!("");
    let run = call_stdin("build-order", input.to_string().as_bytes(), &["--compact"]);
    run.expect_code(1);
    assert_eq!(run.stdout, "{\"error\":{\"missing\":\"account.integrator-secret\"}}\n");
    // `null` is signing switched off: the order goes without a Signature.
    input["account"]["integrator-secret"] = Value::Null;
    let run = call_stdin("build-order", input.to_string().as_bytes(), &[]);
    run.expect_code(0);
    let names: Vec<String> = header_pairs(&run.json()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["provider-key", "Content-Type", "Accept"]);
}

/// A secret or key of the wrong JSON type (a number, as some configuration
/// templating produces) must not come back in serde's "invalid type" message.
#[test]
fn a_secret_of_the_wrong_type_is_not_echoed() {
    for (field, value) in [("integrator-secret", json!(987_654_321_012_u64)), ("provider-key", json!(-987_654_321.5))] {
        let mut input = example_json("build-order");
        input["account"][field] = value;
        let run = call_stdin("build-order", input.to_string().as_bytes(), &[]);
        run.expect_code(2);
        assert!(!run.stderr.contains("987654321"), "{}", run.stderr);
        assert!(run.stderr.contains("expected a string"), "{}", run.stderr);
    }
}

// ------------------------------------------------------------ setup errors

#[test]
fn a_missing_or_wrong_plugin_file_is_a_setup_error_with_exit_4() {
    let input = read_example("examples/calls/sign-request.json");
    let run = run_binary(&["--plugin", "/nonexistent/plugin.wasm", "call", "sign-request"], Some(input.as_bytes()));
    run.expect_code(4);
    assert!(run.stderr.contains("/nonexistent/plugin.wasm"), "{}", run.stderr);
    let not_wasm = workspace_file("examples/calls/sign-request.json");
    let run = run_binary(&["--plugin", not_wasm.to_str().unwrap(), "call", "sign-request"], Some(input.as_bytes()));
    run.expect_code(4);
    assert!(run.stderr.contains("is not a WebAssembly component"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

/// Bad input is reported before the plugin is even looked for: a missing
/// plugin file does not hide the input's own error.
#[test]
fn the_input_is_read_before_the_plugin_is_loaded() {
    let run = run_binary(&["--plugin", "/nonexistent/plugin.wasm", "call", "sign-request"], Some(b"{not json"));
    run.expect_code(2);
    assert!(run.stderr.contains("cannot read the input"), "{}", run.stderr);
}

#[test]
fn limits_too_small_to_run_are_refused_on_the_command_line() {
    for args in [["--memory-mib", "1"], ["--memory-mib", "0"], ["--deadline-ms", "0"]] {
        let run = assessio(&[&args[..], &["functions"]].concat(), None);
        run.expect_code(2);
        assert!(run.stderr.contains(args[0]), "{args:?}: {}", run.stderr);
    }
}

// ------------------------------------------------ help, functions, wit, demo

#[test]
fn help_and_version_say_something_useful() {
    let run = run_binary(&["--help"], None);
    run.expect_code(0);
    assert!(run.stdout.contains("Usage: assessio"), "{}", run.stdout);
    for word in ["call", "functions", "wit", "demo", "--plugin", "--memory-mib", "--deadline-ms"] {
        assert!(run.stdout.contains(word), "--help mentions {word}: {}", run.stdout);
    }

    let run = run_binary(&["call", "--help"], None);
    run.expect_code(0);
    for word in ["Usage: assessio call", "<FUNCTION>", "--input", "--compact", "Exit codes", "0 answered", "stdin"] {
        assert!(run.stdout.contains(word), "call --help mentions {word:?}: {}", run.stdout);
    }

    let run = run_binary(&["--version"], None);
    run.expect_code(0);
    assert_eq!(run.stdout, format!("assessio {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn functions_lists_all_seven_with_their_input() {
    let run = run_binary(&["functions"], None);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let listed: Vec<&str> = lines.iter().copied().filter(|l| FUNCTIONS.contains(l)).collect();
    assert_eq!(listed, FUNCTIONS, "{}", run.stdout);
    // Each name is followed by the JSON it takes, indented.
    for name in FUNCTIONS {
        let at = lines.iter().position(|l| *l == name).unwrap();
        assert!(lines.get(at + 1).is_some_and(|l| l.starts_with("    ")), "{name} has its input: {}", run.stdout);
    }
    assert!(run.stdout.contains("ACCOUNT"));
}

#[test]
fn wit_shows_the_exports_and_no_imports() {
    let run = assessio(&["wit"], None);
    run.expect_code(0);
    assert!(run.stdout.contains("export assessio:connector/assessio@0.1.0;"), "{}", run.stdout);
    assert!(run.stdout.contains("export assessio:connector/types@0.1.0;"), "{}", run.stdout);
    let imports: Vec<&str> = run.stdout.lines().filter(|l| l.trim_start().starts_with("import ")).collect();
    assert!(imports.is_empty(), "the plugin imports nothing, yet: {imports:?}");
    // Every function the built component exports is declared exactly so in
    // the repository's contract.
    let contract = read_example("wit/connector.wit");
    let funcs: Vec<&str> = run.stdout.lines().map(str::trim).filter(|l| l.contains(": func(")).collect();
    // The core functions first, then the hub adapters': as many as the
    // contract declares.
    let declared = contract.lines().filter(|l| l.contains(": func(")).count();
    assert_eq!(funcs.len(), declared, "{funcs:?}");
    for (line, name) in funcs.iter().zip(FUNCTIONS) {
        assert!(line.starts_with(&format!("{name}: func(")), "{line}");
    }
    for line in &funcs {
        assert!(contract.lines().any(|c| c.trim() == *line), "{line} is not in wit/connector.wit");
    }
    for hub in ["hubs", "kombo", "teamtailor", "stackone"] {
        let export = format!("export assessio:connector/{hub}@0.1.0;");
        assert!(run.stdout.contains(&export), "{export} missing:\n{}", run.stdout);
    }
}

// ------------------------------------------------------------ hub adapters

#[test]
fn hub_adapters_are_called_by_name_with_json() {
    let input = std::fs::read(workspace_file("examples/calls/hubs/teamtailor.parse-trigger.json")).unwrap();
    let run = assessio(&["call", "teamtailor.parse-trigger", "--compact"], Some(&input));
    run.expect_code(0).expect_no_panic();
    let v: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(v["order"]["candidate"]["last-name"], "Lovelace");
    assert_eq!(v["order"]["package-id"], "7922dd91-1b44-43e4-a740-7c4d9c2fba41:sv-SE");
    assert!(!run.stdout.contains("+46"), "the phone number left the adapter: {}", run.stdout);
}

#[test]
fn a_hub_adapter_refusal_is_typed_json_and_exit_code_1() {
    let run =
        assessio(&["call", "stackone.parse-event"], Some(br#"{"body": "{\"event\": \"x\", \"account_id\": \"a\"}"}"#));
    run.expect_code(1).expect_no_panic();
    let v: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(v, serde_json::json!({"error": {"missing": "record_id"}}));
    assert!(run.stderr.contains("record_id"), "{}", run.stderr);
}

#[test]
fn bad_json_for_a_hub_adapter_is_exit_code_2_and_names_the_field_not_the_value() {
    let args = br#"{"update-url": "https://api.teamtailor.com/partner/v1/partner-results/1", "api-key": 1234567890987, "result": {}}"#;
    let run = assessio(&["call", "teamtailor.result-request"], Some(args));
    run.expect_code(2).expect_no_panic();
    assert!(run.stderr.contains("`api-key` must be a string"), "{}", run.stderr);
    assert!(!run.stderr.contains("1234567890987"), "{}", run.stderr);
    let run = assessio(&["call", "workday.parse-order-event"], Some(b"{}"));
    run.expect_code(2);
    assert!(run.stderr.contains("kombo.parse-order-event"), "the names are listed: {}", run.stderr);
    let run = assessio(&["call", "kombo.parse-order-event"], Some(b"{not json"));
    run.expect_code(2);
    assert!(run.stderr.contains("cannot read the input"), "{}", run.stderr);
}

#[test]
fn functions_lists_the_hub_adapters_with_their_json() {
    let run = assessio(&["functions"], None);
    run.expect_code(0);
    for name in
        ["hubs.to-order-details", "kombo.result-request", "teamtailor.progress-request", "stackone.verify-webhook"]
    {
        let lines: Vec<&str> = run.stdout.lines().collect();
        let at = lines.iter().position(|l| *l == name).unwrap_or_else(|| panic!("{name} missing:\n{}", run.stdout));
        assert!(lines[at + 1].trim_start().starts_with('{'), "{name}: {}", lines[at + 1]);
    }
    assert!(run.stdout.contains(r#""status": "sending"|"sent"|"pending"|"completed"|"failed""#), "{}", run.stdout);
}

#[test]
fn demo_walks_all_six_steps_and_its_order_is_signed() {
    let run = assessio(&["demo"], None);
    run.expect_code(0).expect_no_panic();
    let out = &run.stdout;
    let mut from = 0;
    for n in 1..=6 {
        let marker = format!("[{n}/6]");
        let at = out[from..].find(&marker).unwrap_or_else(|| panic!("{marker} after the previous step:\n{out}"));
        from += at + marker.len();
    }
    assert!(out.contains("score 71"), "{out}");
    assert!(out.contains("Driving Leadership") && out.contains("73"), "{out}");
    assert!(out.contains("HTTP 409: duplicate"), "{out}");
    assert!(out.contains("valid, signed at 1700000000"), "{out}");

    // Step 3 prints the order request: its signature checks out under the
    // demo's secret with this test's own HMAC.
    let step3 = &out[out.find("[3/6]").unwrap()..out.find("[4/6]").unwrap()];
    let json_start = step3.find('{').expect("step 3 shows a JSON request");
    let request: Value = serde_json::from_str(step3[json_start..].trim()).expect("step 3's request is JSON");
    let body = request["body"].as_str().unwrap();
    let (name, value) = header_pairs(&request).into_iter().find(|(n, _)| n == "Signature").expect("signed");
    assert_eq!(name, "Signature");
    assert_eq!(
        value,
        format!("t=1700000000,signature={}", hmac_hex("demo-integrator-secret", 1_700_000_000, body.as_bytes()))
    );
}

// ------------------------------------------------------- limits: exit code 3

#[test]
fn a_body_over_the_memory_cap_stops_the_plugin_with_exit_3() {
    // 3 MiB is enough for the example body, so the cap itself is fine ...
    let small = read_example("examples/payloads/result-webhook.json");
    let run = assessio(&["--memory-mib", "3", "call", "parse-result"], Some(small.as_bytes()));
    run.expect_code(0);
    assert_eq!(run.json()["score"], 71);
    // ... but a 3.5 MB body (under the 4 MiB input cap) cannot fit in it.
    let mut big = br#"{"resultId":"big","score":50,"pad":""#.to_vec();
    big.resize(big.len() + 3_500_000, b'x');
    big.extend_from_slice(b"\"}");
    for mib in ["3", "2"] {
        let run = assessio(&["--memory-mib", mib, "call", "parse-result"], Some(&big));
        run.expect_code(3).expect_no_panic();
        assert!(run.stdout.is_empty(), "no answer: {}", run.stdout);
        assert!(
            run.stderr.contains(&format!("memory limit of {mib} MiB")) && run.stderr.contains("stopped"),
            "stderr names the memory limit: {}",
            run.stderr
        );
    }
}

#[test]
fn a_body_over_the_input_cap_is_refused_before_the_plugin_with_exit_3() {
    let mut big = br#"{"resultId":"big","pad":""#.to_vec();
    big.resize(big.len() + (4 << 20), b'x');
    big.extend_from_slice(b"\"}");
    let run = assessio(&["call", "parse-result"], Some(&big));
    run.expect_code(3).expect_no_panic();
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains(&format!("input of {} bytes", big.len())), "{}", run.stderr);
    assert!(run.stderr.contains("not passed to the plugin"), "{}", run.stderr);
}

// ------------------------------------------------------------ the main job

/// `assessio up --once`, the README's main job: simulators and gateway up,
/// packages published, one order walked through to the ATS and back.
#[test]
fn up_once_walks_an_order_from_the_ats_to_assessio_and_back() {
    let kv = std::env::temp_dir().join(format!("assessio-cli-up-{}", std::process::id()));
    let run = run_binary(&["up", "--once", "--kv-dir", kv.to_str().unwrap()], None);
    let _ = std::fs::remove_dir_all(&kv);
    run.expect_code(0).expect_no_panic();
    let steps: Vec<usize> = (1..=6).map(|n| run.stdout.find(&format!("[{n}/6]")).expect("every step")).collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{}", run.stdout);
    for expected in [
        "Assessio General Performance (Swedish)",
        "the gateway answered HTTP 200",
        "\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"",
        "COMPLETED",
        "Done: Ada Lovelace: placed, scored",
        "written back to the ATS",
    ] {
        assert!(run.stdout.contains(expected), "missing {expected:?} in:\n{}", run.stdout);
    }
    for secret in assessio_host::stack::secrets::ALL {
        assert!(!run.stderr.contains(secret), "{secret} on stderr");
    }
}

#[test]
fn up_once_walks_a_teamtailor_trigger_and_a_stackone_order() {
    for (hub, expected) in [
        (
            "teamtailor",
            &[
                "Recruitment Lens   General Performance",
                "status so far: sending → sent",
                "sending → sent → completed",
                "written to the Teamtailor partner result",
            ][..],
        ),
        (
            "stackone",
            &["ats_assessments.created", "(strings, as StackOne takes them)", "written back through StackOne"][..],
        ),
    ] {
        let kv = std::env::temp_dir().join(format!("assessio-cli-up-{hub}-{}", std::process::id()));
        let run = run_binary(&["up", "--once", "--hub", hub, "--kv-dir", kv.to_str().unwrap()], None);
        let _ = std::fs::remove_dir_all(&kv);
        run.expect_code(0).expect_no_panic();
        let steps: Vec<usize> = (1..=6).map(|n| run.stdout.find(&format!("[{n}/6]")).expect("every step")).collect();
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "{}", run.stdout);
        for e in expected {
            assert!(run.stdout.contains(e), "{hub}: missing {e:?} in:\n{}", run.stdout);
        }
        for secret in assessio_host::stack::secrets::ALL {
            assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "{secret} printed");
        }
    }
    let run = run_binary(&["up", "--once", "--hub", "workday"], None);
    run.expect_code(2);
    assert!(run.stderr.contains("kombo") && run.stderr.contains("teamtailor"), "{}", run.stderr);
}
