//! The bodies of the plugin's fuzz targets, shared by the coverage-guided
//! fuzzer (`fuzz/fuzz_targets/`, nightly) and the corpus replay in the
//! default test run (`tests/fuzz_corpus.rs` here, stable), so the short and
//! the long runs check exactly the same things. One crate, one copy: both
//! depend on it.
//!
//! Each target takes bytes as they arrive from outside and checks more than
//! "no panic": what an `Ok` answer promises (bounds, shapes, a re-parse of
//! what it serialises to), that refusals never repeat a secret, and that a
//! signature this harness makes itself always verifies, wrapped in whatever
//! the fuzzer put around it. A violated invariant panics, which the fuzzer
//! reports as a crash like any other.
//!
//! Targets that need several inputs read them as lines: the first lines are
//! short fields (a header, a secret, a clock), the rest is the body. Text
//! keeps the seed corpus readable and lets the fuzzer find the separators.
//!
//! It depends on `assessio-plugin` and on `serde_json`, `hmac`, `sha2`,
//! `base64` and `hex` only: never on wasmtime, the gateway or the simulators,
//! so the fuzz workspace (nightly, libFuzzer) builds it without them.

// `StackOne` is the product's name, not code: doc_markdown would want it in backticks.
#![allow(clippy::doc_markdown)]

use assessio_plugin::hubs::kombo::WriteOutcome;
use assessio_plugin::hubs::{self, HubOrder, kombo, stackone, teamtailor};
use assessio_plugin::{
    Account, AssessmentResult, Catalog, Environment, InputError, OrderDetails, OrderEndpoint, OrderOutcome,
    SignatureError,
};
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::fmt::Write as _;

/// The clock used where an input does not carry one.
pub const NOW: i64 = 1_700_000_000;

/// A secret no error text can contain by chance: every secret this harness
/// chooses itself is this, so finding it in a refusal is a leak, not a
/// coincidence with the refusal's own words.
pub const CANARY: &str = "c4n4ry\u{2603}S3cr3t\u{1F511}";

/// Where the pipeline's orders send their results.
const RESULTS_URL: &str = "https://gateway.example/assessio/results";

/// Findings reported and not fixed yet, by name. The harness lets these pass,
/// so that the fuzzer looks past them instead of stopping at the same crash
/// every run. Each has an input in `fuzz/findings/<name>/`, and the test
/// `known_findings_still_fail_strictly` (`tests/fuzz_corpus.rs`)
/// replays the byte targets' ones: when a fix lands it says to remove the
/// name here and move the input to the corpus. Each pair is the finding and
/// the target that shows it.
pub const KNOWN_FINDINGS: &[(&str, &str)] = &[];

thread_local! {
    /// Set while [`strictly`] runs: no known finding is let pass.
    static STRICT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with the known findings checked too, as they will be once fixed.
pub fn strictly(f: impl FnOnce()) {
    /// Ends strict mode however `f` ends, panics included.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            STRICT.set(false);
        }
    }
    STRICT.set(true);
    let _reset = Reset;
    f();
}

/// Whether a violated invariant is a known finding to let pass: not under
/// [`strictly`], nor when the environment sets `FUZZ_STRICT` (to replay a
/// finding's input through a fuzz target binary).
pub fn tolerated(finding: &str) -> bool {
    !STRICT.get()
        && KNOWN_FINDINGS.iter().any(|(name, _)| *name == finding)
        && std::env::var_os("FUZZ_STRICT").is_none()
}

/// A target's body: any bytes in, a panic on a violated invariant.
pub type Target = fn(&[u8]);

/// The byte-level targets by name: the fuzz target of the same name calls
/// the function, and the replay test runs every file of
/// `fuzz/corpus/<name>/` through it.
pub const BYTE_TARGETS: &[(&str, Target)] = &[
    ("parse_result", parse_result),
    ("list_lenses", list_lenses),
    ("verify_signature", verify_signature),
    ("interpret_order_response", interpret_order_response),
    ("kombo_parse_order_event", kombo_parse_order_event),
    ("kombo_parse_open_orders", kombo_parse_open_orders),
    ("kombo_verify_webhook", kombo_verify_webhook),
    ("kombo_interpret_write_response", kombo_interpret_write_response),
    ("teamtailor_parse_trigger", teamtailor_parse_trigger),
    ("teamtailor_verify_signature", teamtailor_verify_signature),
    ("teamtailor_verify_provider_key", teamtailor_verify_provider_key),
    ("stackone_parse_event", stackone_parse_event),
    ("stackone_verify_webhook", stackone_verify_webhook),
    ("stackone_interpret_write_response", stackone_interpret_write_response),
    ("parse_package_id", parse_package_id),
];

// ---------------------------------------------------------------------------
// Reading the fuzzer's bytes.

/// The first `N - 1` lines of `data` as text, and the rest as raw bytes.
/// Missing lines are empty, so every input maps to some call.
fn lines<const N: usize>(data: &[u8]) -> ([String; N], &[u8]) {
    let mut fields: [String; N] = std::array::from_fn(|_| String::new());
    let mut rest = data;
    for field in fields.iter_mut().take(N - 1) {
        let (line, tail) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        *field = String::from_utf8_lossy(line).into_owned();
        rest = tail;
    }
    fields[N - 1] = String::from_utf8_lossy(rest).into_owned();
    (fields, rest)
}

/// A status and the rest: the first two bytes, little-endian, so the
/// fuzzer reaches every `u16`, including the ones no server sends.
fn status_and_body(data: &[u8]) -> (u16, &[u8]) {
    match data {
        [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]), rest),
        _ => (200, data),
    }
}

// ---------------------------------------------------------------------------
// Invariants shared by several targets.

/// A refusal's text says what is wrong and never repeats the [`CANARY`]
/// secret, unless an input that is not secret carried it (then the text may
/// be quoting that input). Fuzzed secrets are not checked this way: the
/// fuzzer learns the text from this very comparison and makes a secret of it.
fn assert_quiet(text: &str, public: &[&[u8]]) {
    assert!(!text.trim().is_empty(), "a refusal without words");
    let quoted = public.iter().any(|p| p.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
    assert!(quoted || !text.contains(CANARY), "a refusal repeats the canary secret: {text:?}");
}

/// `s` is a URL a later request may go to: http(s), nothing invisible.
fn assert_http_url(s: &str) {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    assert!(lower.starts_with("https://") || lower.starts_with("http://"), "not an http(s) URL: {s:?}");
    assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()), "URL with white space: {s:?}");
}

/// Text fit for a screen or a JSON string member: trimmed, no control characters.
fn assert_plain(s: &str) {
    assert!(!s.is_empty() && s == s.trim(), "untrimmed or empty text: {s:?}");
    assert!(!s.chars().any(char::is_control), "control character in {s:?}");
}

/// `bytes` is one JSON value, as every body the plugin builds must be.
fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("the plugin built a body that is not JSON ({e})"))
}

/// A typed answer survives serde both ways unchanged (the component and the
/// CLI pass every answer through JSON).
fn assert_serde_round_trip<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = serde_json::to_vec(value).expect("a typed answer serialises");
    let back: T = serde_json::from_slice(&text).expect("a typed answer deserialises");
    assert_eq!(&back, value, "serde round trip changed the answer");
}

/// The HMAC-SHA256 of `message` under `secret`, made here, not by the plugin.
fn hmac(secret: &str, message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// `Signature`-style header `t=<t>,<key>=<hex>` over `"<t>." + payload`.
fn timestamped(secret: &str, key: &str, t: i64, payload: &[u8]) -> String {
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(payload);
    format!("t={t},{key}={}", hex::encode(hmac(secret, &message)))
}

/// What a timestamped signature check answers.
type Verification = Result<assessio_plugin::Verified, SignatureError>;

/// Timestamps the header format can carry: it allows at most 18 digits, so
/// a signature made at or after 10^18 s (year 3·10^10) cannot be verified.
fn signable(t: i64) -> bool {
    (0..1_000_000_000_000_000_000).contains(&t)
}

// ---------------------------------------------------------------------------
// From a hub's order to Assessio's: the path every order event takes.

/// The account the pipeline orders with; it signs with [`CANARY`].
fn pipeline_account() -> Account {
    Account {
        environment: Environment::Custom("https://assessio.example/".into()),
        provider_key: "pk-pipeline".into(),
        integrator_secret: Some(CANARY.into()),
    }
}

/// What the gateway does with a hub order: its package names a lens and a
/// locale, its details become an Assessio order, and a refusal becomes a
/// message for the recruiter and each hub's rejection body.
fn order_pipeline(hub: &str, order: &HubOrder) {
    assert_serde_round_trip(order);
    let (lens, locale) = match hubs::parse_package_id(&order.package_id) {
        Ok(pair) => pair,
        Err(e) => return refusal(&e, &[order.package_id.as_bytes()]),
    };
    let details = order.order_details(hub, lens, locale, RESULTS_URL);
    assert_eq!(details, order.order_details(hub, lens, locale, RESULTS_URL), "derived ids are not stable");
    assert!(details.result_update_url.ends_with(&details.result_id), "the result URL does not name the result");
    check_build_order(&pipeline_account(), &details, OrderEndpoint::Order, NOW);
}

/// Every way a refusal reaches a recruiter: words, and each hub's body.
fn refusal(e: &InputError, public: &[&[u8]]) {
    assert_quiet(&e.to_string(), public);
    let message = hubs::recruiter_message(e);
    assert!(message.starts_with("Assessio could not be ordered"), "{message}");
    assert_eq!(teamtailor::rejection_text(e), message);
    let kombo_body = json(&kombo::rejection_body(&message));
    assert_eq!(kombo_body["status"], "ORDER_REJECTED");
    let api = stackone::StackOneApi {
        base_url: "https://api.stackone.com".into(),
        api_key: "k".into(),
        account_id: "a".into(),
    };
    let request = stackone::rejection_request(&api, "order-1", &message).expect("any message is written");
    assert_eq!(json(&request.body)["result"]["value"], "cancelled");
}

/// The fields a refusal of `build_order` may name: every input, by its path.
fn known_field(field: &str) -> bool {
    const FIELDS: &[&str] = &[
        "recruitment.id",
        "recruitment.title",
        "recruitment.description",
        "lens-id",
        "locale",
        "candidate.email",
        "candidate.first-name",
        "candidate.last-name",
        "result-update-url",
        "result-id",
        "account.environment.custom",
        "account.provider-key",
        "account.integrator-secret",
        "now",
    ];
    FIELDS.contains(&field)
        || field
            .strip_prefix("collaborator-emails[")
            .and_then(|r| r.strip_suffix(']'))
            .is_some_and(|i| i.parse::<usize>().is_ok())
}

/// `build_order` on any input: a refusal names a known field and no
/// credential; an order is the documented body, signed so that Assessio's
/// check accepts it, for `now` itself and for no other second beyond the
/// tolerance. Public so the replay test's property tests can call it.
pub fn check_build_order(account: &Account, order: &OrderDetails, endpoint: OrderEndpoint, now: i64) {
    let request = match assessio_plugin::build_order(account, order, endpoint, now) {
        Ok(request) => request,
        Err(e) => {
            let field = match &e {
                InputError::Missing(f) => f.as_str(),
                InputError::Invalid(p) => p.field.as_str(),
                InputError::Malformed(_) => panic!("build_order said malformed: {e}"),
            };
            assert!(known_field(field), "a refusal names an unknown field: {field:?}");
            let public = order_texts(order);
            let public: Vec<&[u8]> = public.iter().map(String::as_bytes).collect();
            return refusal(&e, &public);
        }
    };
    assert!(request.url.ends_with(endpoint.path()), "{}", request.url);
    assert_http_url(&request.url);
    assert_eq!(request.header("provider-key"), Some(account.provider_key.as_str()));
    for h in &request.headers {
        let visible = |s: &str| s.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
        assert!(visible(&h.name) && visible(&h.value), "a header that could split: {h:?}");
    }
    let body = assessio_plugin::order::order_body(order).expect("built once, so builds again");
    assert_eq!(request.body, body, "the signed body is not the order's body");
    check_order_body(order, &json(&body));
    match account.integrator_secret.as_deref() {
        None => assert_eq!(request.header("Signature"), None),
        Some(secret) if signable(now) => {
            let header = request.header("Signature");
            let verified = assessio_plugin::verify_signature(header, &body, secret, now, Some(0));
            assert_eq!(verified.map(|v| v.signed_at), Ok(now), "Assessio would refuse our own signature");
            let late = now.saturating_add(1);
            let r = assessio_plugin::verify_signature(header, &body, secret, late, Some(0));
            assert!(now == i64::MAX || r == Err(SignatureError::Expired(1)), "{r:?}");
        }
        Some(_) => {}
    }
}

/// The non-secret texts of an order, which a refusal may quote.
fn order_texts(order: &OrderDetails) -> Vec<String> {
    let r = &order.recruitment;
    let c = &order.candidate;
    let mut texts = vec![r.id.clone(), r.title.clone(), order.lens_id.clone(), order.locale.clone()];
    texts.extend([c.email.clone(), c.first_name.clone(), c.last_name.clone()]);
    texts.extend([order.result_id.clone(), order.result_update_url.clone()]);
    texts.extend(r.description.clone());
    texts.extend(order.collaborator_emails.iter().cloned());
    texts
}

/// The body carries exactly the documented members (data minimisation), with
/// the order's values, trimmed, and each collaborator once.
fn check_order_body(order: &OrderDetails, body: &Value) {
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    let expected = [
        "additionalRecruitmentCollaboratorsEmails",
        "candidateDetails",
        "lensId",
        "locale",
        "recruitment",
        "resultId",
        "resultUpdateUrl",
    ];
    assert_eq!(keys(body), expected, "the order body's members changed");
    assert_eq!(keys(&body["candidateDetails"]), ["email", "firstName", "lastName"]);
    let c = &order.candidate;
    assert_eq!(body["candidateDetails"]["email"], c.email.trim());
    assert_eq!(body["candidateDetails"]["firstName"], c.first_name.trim());
    assert_eq!(body["candidateDetails"]["lastName"], c.last_name.trim());
    assert_eq!(body["lensId"], order.lens_id.trim());
    assert_eq!(body["resultId"], order.result_id.trim());
    let emails = body["additionalRecruitmentCollaboratorsEmails"].as_array().expect("a list");
    for (i, a) in emails.iter().enumerate() {
        let a = a.as_str().expect("emails are strings");
        assert!(!emails[..i].iter().any(|b| b.as_str().is_some_and(|b| b.eq_ignore_ascii_case(a))), "{a} twice");
    }
}

// ---------------------------------------------------------------------------
// Assessio: results, catalog, signatures, answers.

/// The result webhook: bounds hold, the result writes back to every hub, and
/// Assessio's own shape of it reads back to the same result.
pub fn parse_result(data: &[u8]) {
    let result = match assessio_plugin::parse_result(data) {
        Ok(r) => r,
        Err(e) => return assert_quiet(&e.to_string(), &[data]),
    };
    assert_plain(&result.result_id);
    assert!(result.score.is_none_or(|s| s <= 100));
    for s in &result.subscores {
        assert!(s.score.is_finite(), "a subscore from JSON is a finite number");
        assert_plain(&s.name);
    }
    result.recruitment_url.iter().chain(&result.report_url).for_each(|u| assert_http_url(u));
    assert_serde_round_trip(&result);
    let names_collide =
        result.subscores.iter().enumerate().any(|(i, s)| result.subscores[..i].iter().any(|t| t.name == s.name));
    if !(names_collide && tolerated("result-subscore-names-collide")) {
        assert!(!names_collide, "two subscores have one name");
        // Subscores are any finite number: one with more significant digits
        // than a float keeps may read back one unit off in the last place
        // (serde_json without float_roundtrip), so they compare by text of
        // 12 significant digits; everything else must be exact.
        let again = assessio_plugin::parse_result(&result_wire(&result)).expect("its own wire form reads back");
        let digits = |r: &assessio_plugin::AssessmentResult| -> Vec<(String, String)> {
            r.subscores.iter().map(|s| (s.name.clone(), format!("{:.12e}", s.score.get()))).collect()
        };
        assert_eq!(digits(&again), digits(&result), "the subscores do not read back from their own wire form");
        assert_eq!(
            (&again.result_id, again.score, &again.recruitment_url, &again.report_url),
            (&result.result_id, result.score, &result.recruitment_url, &result.report_url),
            "the result does not read back from its own wire form"
        );
    }
    write_backs(&result, data.len());
}

/// A result in Assessio's wire shape, written by hand so the subscores keep
/// their order whatever `serde_json`'s features.
fn result_wire(r: &AssessmentResult) -> Vec<u8> {
    let s = |text: &str| serde_json::to_string(text).expect("strings serialise");
    let mut out = format!("{{\"resultId\":{}", s(&r.result_id));
    if let Some(score) = r.score {
        let _ = write!(out, ",\"score\":{score}");
    }
    let subs: Vec<String> = r.subscores.iter().map(|x| format!("{}:{}", s(&x.name), x.score)).collect();
    let _ = write!(out, ",\"subscores\":{{{}}}", subs.join(","));
    for (key, url) in [("recruitmentUrl", &r.recruitment_url), ("assessmentReportUrl", &r.report_url)] {
        if let Some(u) = url {
            let _ = write!(out, ",\"{key}\":{}", s(u));
        }
    }
    out.push('}');
    out.into_bytes()
}

/// Every hub's write-back of a result that parsed: each body is JSON, only
/// a result without any link is refused (Kombo and StackOne need one), and
/// Kombo's subscore attributes have distinct ids.
fn write_backs(result: &AssessmentResult, salt: usize) {
    // Dates from the clock's whole range: the first instants, today, the last.
    let t = [i64::MIN, -1, 0, NOW, i64::MAX][salt % 5];
    let linked = result.report_url.is_some() || result.recruitment_url.is_some();
    match kombo::result_body(result, t) {
        Ok(body) => {
            let body = json(&body);
            let attributes = body["attributes"].as_array().expect("Kombo attributes");
            let ids: Vec<&str> = attributes.iter().filter_map(|a| a["id"].as_str()).collect();
            assert_eq!(ids.len(), result.subscores.len());
            for (i, id) in ids.iter().enumerate() {
                let unique = !ids[..i].contains(id) || tolerated("kombo-attribute-ids-collide");
                assert!(unique, "two Kombo attributes share the id {id:?}");
            }
        }
        Err(e) => assert!(!linked, "Kombo refused a result with a link: {e}"),
    }
    let body = json(&stackone::result_body(result, t));
    assert_eq!(body.get("result_url").is_some(), linked, "StackOne's result_url is the report, else the recruitment");
    let url = "https://api.teamtailor.com/v1/partner-results/pr-1";
    let request = teamtailor::result_request(url, "tt-key", result).expect("Teamtailor takes any parsed result");
    json(&request.body);
}

/// The config answer: every lens and locale is plain text, the catalog reads
/// back from its own wire form, and the packages published from it are JSON.
pub fn list_lenses(data: &[u8]) {
    let catalog = match assessio_plugin::list_lenses(data) {
        Ok(c) => c,
        Err(e) => return assert_quiet(&e.to_string(), &[data]),
    };
    for lens in &catalog.lenses {
        assert_plain(&lens.id);
        assert_plain(&lens.name);
    }
    catalog.locales.iter().for_each(|l| assert_plain(l));
    assert_serde_round_trip(&catalog);
    let wire = serde_json::json!({
        "availableLenses": catalog.lenses.iter().map(|l| serde_json::json!({"id": l.id, "name": l.name})).collect::<Vec<_>>(),
        "availableLocales": catalog.locales,
    });
    let again = assessio_plugin::list_lenses(wire.to_string().as_bytes());
    assert_eq!(again.as_ref(), Ok(&catalog), "the catalog does not read back from its own wire form");
    check_packages(&catalog);
}

/// Kombo's packages (one per lens and locale, each id naming both) and
/// Teamtailor's dialog, from a catalog that parsed.
fn check_packages(catalog: &Catalog) {
    let packages = json(&kombo::packages_body(catalog));
    let list = packages["packages"].as_array().expect("a package list");
    assert_eq!(list.len(), catalog.lenses.len() * catalog.locales.len());
    for (p, (lens, locale)) in
        list.iter().zip(catalog.lenses.iter().flat_map(|l| catalog.locales.iter().map(move |c| (l, c))))
    {
        let id = p["id"].as_str().expect("a package id");
        if !locale.contains(':') {
            assert_eq!(hubs::parse_package_id(id), Ok((lens.id.as_str(), locale.as_str())), "{id}");
        }
    }
    json(&teamtailor::config_response(catalog));
}

/// `Signature` over a body: lines `header`, `secret`, `now`, `tolerance`,
/// then the body.
pub fn verify_signature(data: &[u8]) {
    let ([header, secret, now, tolerance, _], body) = lines::<5>(data);
    let now = now.trim().parse().unwrap_or(NOW);
    let tolerance: Option<u32> = tolerance.trim().parse().ok();
    let verify = |h: Option<&str>| assessio_plugin::verify_signature(h, body, &secret, now, tolerance);
    let public = [header.as_bytes(), body];
    check_verified(verify(Some(&header)), now, tolerance, &public);
    let canary = assessio_plugin::verify_signature(Some(&header), body, CANARY, now, tolerance);
    check_verified(canary, now, tolerance, &public);
    assert!(matches!(verify(None), Err(SignatureError::Missing | SignatureError::NoSecret)));
    if !secret.is_empty() && signable(now) {
        let ours = timestamped(&secret, "signature", now, body);
        check_own_signature(&header, &ours, now, verify);
        check_window(now, tolerance, |t| {
            assessio_plugin::verify_signature(
                Some(&timestamped(&secret, "signature", t, body)),
                body,
                &secret,
                now,
                tolerance,
            )
        });
    }
}

/// An answer to a header as received: a pass lies within the window, a
/// refusal says nothing of the secret.
fn check_verified(r: Verification, now: i64, tolerance: Option<u32>, public: &[&[u8]]) {
    match r {
        Ok(v) => {
            let drift = (i128::from(now) - i128::from(v.signed_at)).unsigned_abs();
            assert!(drift <= u128::from(tolerance.unwrap_or(assessio_plugin::DEFAULT_TOLERANCE)), "{drift}");
        }
        Err(e) => assert_quiet(&e.to_string(), public),
    }
}

/// Our signature alone passes at `now`; after whatever the fuzzer wrote in
/// front of it, it still passes unless that made the header unreadable.
fn check_own_signature(prefix: &str, ours: &str, now: i64, verify: impl Fn(Option<&str>) -> Verification) {
    let alone = verify(Some(ours));
    assert_eq!(alone.map(|v| v.signed_at), Ok(now), "our own signature failed");
    match verify(Some(&format!("{prefix},{ours}"))) {
        Ok(v) => assert_eq!(v.signed_at, now),
        Err(SignatureError::Malformed(_)) => {}
        Err(e) => panic!("a readable header with our signature was refused: {e:?}"),
    }
}

/// The window is exact: one second beyond the tolerance either way is
/// refused with that second, the edge itself passes.
fn check_window(now: i64, tolerance: Option<u32>, verify_at: impl Fn(i64) -> Verification) {
    let tol = i64::from(tolerance.unwrap_or(assessio_plugin::DEFAULT_TOLERANCE));
    let edge = now - tol;
    if signable(edge) {
        assert_eq!(verify_at(edge).map(|v| v.signed_at), Ok(edge));
    }
    if signable(edge - 1) {
        assert_eq!(verify_at(edge - 1), Err(SignatureError::Expired(tol.unsigned_abs() + 1)));
    }
    if let Some(ahead) = now.checked_add(tol + 1).filter(|t| signable(*t)) {
        assert_eq!(verify_at(ahead), Err(SignatureError::FromFuture(tol.unsigned_abs() + 1)));
    }
}

/// Assessio's answer to an order: lines are not used; the first two bytes
/// are the status, the third picks the endpoint, the rest is the body.
pub fn interpret_order_response(data: &[u8]) {
    let (status, rest) = status_and_body(data);
    let (endpoint, body) = match rest {
        [e, body @ ..] if e % 2 == 1 => (OrderEndpoint::OrderLink, body),
        [_, body @ ..] => (OrderEndpoint::Order, body),
        [] => (OrderEndpoint::Order, rest),
    };
    let outcome = assessio_plugin::interpret_order_response(endpoint, status, body);
    let rejection = match &outcome {
        OrderOutcome::Accepted(link) => {
            assert!((200..300).contains(&status), "{status} accepted");
            assert!(link.is_none() || endpoint == OrderEndpoint::OrderLink);
            if let Some(l) = link {
                assert_http_url(l);
            }
            None
        }
        OrderOutcome::Duplicate => {
            assert_eq!(status, 409);
            None
        }
        OrderOutcome::Unauthorized(r) => Some((r, [401, 403].contains(&status))),
        OrderOutcome::Rejected(r) => {
            Some((r, (400..500).contains(&status) && ![401, 403, 408, 409, 425, 429].contains(&status)))
        }
        OrderOutcome::RetryLater(r) => {
            let client_error = (400..500).contains(&status) && ![408, 425, 429].contains(&status);
            Some((r, !(200..300).contains(&status) && !client_error))
        }
    };
    if let Some((r, class_ok)) = rejection {
        assert!(class_ok, "status {status} classified as {outcome:?}");
        assert_eq!(r.status, status);
        assert!(!r.message.chars().any(char::is_control), "{:?}", r.message);
        assert!(!r.message.is_empty() || tolerated("order-response-empty-reason"), "an empty reason");
        assert!(r.message.chars().count() <= 301, "an unbounded reason");
    }
    assert_serde_round_trip(&outcome);
}

// ---------------------------------------------------------------------------
// Kombo.

/// Kombo's order webhook: the order, minimised, goes down the pipeline.
pub fn kombo_parse_order_event(data: &[u8]) {
    match kombo::parse_order_event(data) {
        Ok(event) => {
            assert_serde_round_trip(&event);
            order_pipeline("kombo", &event.order);
        }
        Err(e) => assert_quiet(&e.to_string(), &[data]),
    }
}

/// A page of Kombo's open orders: each readable order goes down the
/// pipeline, each unreadable one says where it sits.
pub fn kombo_parse_open_orders(data: &[u8]) {
    match kombo::parse_open_orders(data) {
        Ok(page) => {
            assert_serde_round_trip(&page);
            page.unreadable.iter().for_each(|u| assert!(u.starts_with("data.results["), "{u}"));
            assert!(page.next.as_ref().is_none_or(|n| !n.is_empty()));
            page.orders.iter().for_each(|o| order_pipeline("kombo", o));
        }
        Err(e) => assert_quiet(&e.to_string(), &[data]),
    }
}

/// `X-Kombo-Signature`: lines `header`, `secret`, then the body.
pub fn kombo_verify_webhook(data: &[u8]) {
    let ([header, secret, _], body) = lines::<3>(data);
    for key in [secret.as_str(), CANARY] {
        if let Err(e) = kombo::verify_webhook(Some(&header), body, key) {
            assert_quiet(&e.to_string(), &[header.as_bytes(), body]);
        }
    }
    assert!(kombo::verify_webhook(Some(&header), body, "").is_err_and(|e| e == SignatureError::NoSecret));
    if secret.is_empty() {
        return;
    }
    let ours = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hmac(&secret, body));
    assert_eq!(kombo::verify_webhook(Some(&ours), body, &secret), Ok(()), "our own signature failed");
    assert_eq!(kombo::verify_webhook(Some(&format!(" {ours}= ")), body, &secret), Ok(()), "padding refused");
    match kombo::verify_webhook(Some(&format!("{header},{ours}")), body, &secret) {
        Ok(()) | Err(SignatureError::Malformed(_)) => {}
        Err(e) => panic!("a readable header with our signature was refused: {e:?}"),
    }
}

/// Kombo's answer to a write: the first two bytes are the status.
pub fn kombo_interpret_write_response(data: &[u8]) {
    let (status, body) = status_and_body(data);
    check_write_outcome(status, &kombo::interpret_write_response(status, body), "kombo");
}

/// Written exactly for 2xx; retried for 429 and 5xx (and, for Kombo, its
/// transient error codes); the status passed on, a reason always given.
fn check_write_outcome(status: u16, outcome: &WriteOutcome, hub: &str) {
    match outcome {
        WriteOutcome::Written => assert!((200..300).contains(&status), "{status} written"),
        WriteOutcome::RetryLater(r) | WriteOutcome::Failed(r) => {
            assert!(!(200..300).contains(&status));
            assert_eq!(r.status, status);
            let finding = format!("{hub}-write-empty-reason");
            assert!(!r.message.trim().is_empty() || tolerated(&finding), "an empty reason");
            // StackOne also retries 408 (its timeout says nothing about the write).
            let transient = status == 429 || status >= 500 || (status == 408 && hub == "stackone");
            match outcome {
                WriteOutcome::RetryLater(_) => assert!(transient || hub == "kombo", "{status} retried"),
                _ => assert!(!transient, "{status} not retried"),
            }
        }
    }
    assert_serde_round_trip(outcome);
}

// ---------------------------------------------------------------------------
// Teamtailor.

/// Teamtailor's stage trigger: the chosen lens and locale survive the
/// package id, the update URL is http(s), and the order goes down the
/// pipeline and its write-backs are built.
pub fn teamtailor_parse_trigger(data: &[u8]) {
    let trigger = match teamtailor::parse_trigger(data) {
        Ok(t) => t,
        Err(e) => {
            assert_quiet(&e.to_string(), &[data]);
            return assert!(!teamtailor::rejection_text(&e).is_empty());
        }
    };
    assert_serde_round_trip(&trigger);
    assert_http_url(&trigger.update_url);
    assert_plain(&trigger.event_id);
    let chosen = (trigger.lens_id.as_str(), trigger.locale.as_str());
    assert_eq!(hubs::parse_package_id(&trigger.order.package_id), Ok(chosen), "the package id lost the choice");
    order_pipeline("teamtailor", &trigger.order);
    for status in [teamtailor::PartnerStatus::Sending, teamtailor::PartnerStatus::Failed] {
        if let Ok(request) = teamtailor::progress_request(&trigger.update_url, "tt-key", status, Some("why")) {
            json(&request.body);
        }
    }
}

/// `Teamtailor-Signature` over a partner-event id: lines `header`, `secret`,
/// `now`, `tolerance`, then the event id.
pub fn teamtailor_verify_signature(data: &[u8]) {
    let ([header, secret, now, tolerance, event_id], _) = lines::<5>(data);
    let now = now.trim().parse().unwrap_or(NOW);
    let tolerance: Option<u32> = tolerance.trim().parse().ok();
    let verify = |h: Option<&str>| teamtailor::verify_signature(h, &event_id, &secret, now, tolerance);
    let public = [header.as_bytes(), event_id.as_bytes()];
    check_verified(verify(Some(&header)), now, tolerance, &public);
    let canary = teamtailor::verify_signature(Some(&header), &event_id, CANARY, now, tolerance);
    check_verified(canary, now, tolerance, &public);
    if secret.is_empty() || !signable(now) {
        return;
    }
    let ours = timestamped(&secret, "v1", now, event_id.as_bytes());
    if event_id.trim().is_empty() {
        assert!(matches!(verify(Some(&ours)), Err(SignatureError::Malformed(_))), "signed over nothing");
        return;
    }
    check_own_signature(&header, &ours, now, verify);
    check_window(now, tolerance, |t| {
        let h = timestamped(&secret, "v1", t, event_id.as_bytes());
        teamtailor::verify_signature(Some(&h), &event_id, &secret, now, tolerance)
    });
    // Assessio's key is not Teamtailor's: the same MAC under `signature=` is ignored.
    let other = timestamped(&secret, "signature", now, event_id.as_bytes());
    assert!(verify(Some(&other)).is_err(), "Teamtailor accepted a `signature=` entry");
}

/// `Authorization: Bearer <provider key>`: lines `authorization`, then the
/// expected key.
pub fn teamtailor_verify_provider_key(data: &[u8]) {
    let ([authorization, expected], _) = lines::<2>(data);
    let passed = teamtailor::verify_provider_key(Some(&authorization), &expected);
    if passed {
        assert!(!expected.is_empty() && authorization.contains(expected.as_str()), "passed without the key");
    }
    assert!(!teamtailor::verify_provider_key(None, &expected));
    assert!(!teamtailor::verify_provider_key(Some(&authorization), ""), "an empty key passed");
    let key = expected.trim();
    if !key.is_empty() {
        for scheme in ["Bearer ", "bearer ", "BEARER "] {
            assert!(teamtailor::verify_provider_key(Some(&format!("{scheme}{key}")), key), "{scheme} refused");
        }
        let other = format!("Bearer {key}x");
        assert!(!teamtailor::verify_provider_key(Some(&other), key), "a longer key passed");
    }
}

// ---------------------------------------------------------------------------
// StackOne.

/// StackOne's unified event, then look-up answers: the input's first line
/// is the event, each further line (`<status> <body>`) answers the next
/// look-up the plugin asks for. However the answers go, the look-ups end
/// (each kind at most once), ids survive as they were read, and the order
/// that comes out goes down the pipeline.
pub fn stackone_parse_event(data: &[u8]) {
    let mut parts = data.split(|&b| b == b'\n');
    let event = parts.next().unwrap_or_default();
    let mut e = match stackone::parse_event(event) {
        Ok(e) => e,
        Err(err) => return assert_quiet(&err.to_string(), &[data]),
    };
    assert_serde_round_trip(&e);
    let (record, account) = (e.record_id.clone(), e.account_id.clone());
    let api = stackone::StackOneApi {
        base_url: "https://api.stackone.com".into(),
        api_key: "k".into(),
        account_id: account.clone(),
    };
    let mut lookups = 0;
    while let Some((kind, id)) = stackone::next_lookup(&e) {
        lookups += 1;
        assert!(lookups <= 3, "a look-up was asked for twice: {:?}", e.looked_up);
        let request = match stackone::lookup_request(&api, kind, &id) {
            Ok(r) => r,
            // An account id that cannot go in a header is refused by name.
            Err(err) => return assert_quiet(&err.to_string(), &[data]),
        };
        assert!(request.url.starts_with("https://api.stackone.com/unified/ats/"));
        let answer = parts.next().unwrap_or_default();
        let (status, body) = match answer.iter().position(|&b| b == b' ') {
            Some(i) => (String::from_utf8_lossy(&answer[..i]).parse().unwrap_or(200), &answer[i + 1..]),
            None => (200, answer),
        };
        match stackone::merge_lookup(&e, kind, status, body) {
            stackone::LookupOutcome::Merged(next) => {
                assert!(next.looked_up.contains(&kind));
                e = *next;
            }
            stackone::LookupOutcome::RetryLater(r) | stackone::LookupOutcome::Failed(r) => {
                return assert_quiet(&r.message, &[data]);
            }
        }
    }
    assert_eq!((e.record_id.as_str(), e.account_id.as_str()), (record.as_str(), account.as_str()));
    match stackone::to_hub_order(&e) {
        Ok(order) => order_pipeline("stackone", &order),
        Err(err) => assert_quiet(&err.to_string(), &[data]),
    }
}

/// StackOne's signature: lines `secret`, `previous secret`, two headers
/// as `name: value`, then the body.
pub fn stackone_verify_webhook(data: &[u8]) {
    let ([secret, previous, first, second, _], body) = lines::<5>(data);
    let split = |h: &str| h.split_once(':').map_or((h.to_string(), String::new()), |(n, v)| (n.into(), v.into()));
    let (first, second) = (split(&first), split(&second));
    let received = [(first.0.as_str(), first.1.as_str()), (second.0.as_str(), second.1.as_str())];
    let public = [first.0.as_bytes(), first.1.as_bytes(), second.0.as_bytes(), second.1.as_bytes(), body];
    for keys in [vec![secret.as_str(), previous.as_str()], vec![CANARY]] {
        if let Err(e) = stackone::verify_webhook(&received, body, &keys) {
            assert_quiet(&e.to_string(), &public);
        }
    }
    if secret.is_empty() {
        return;
    }
    let ours = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hmac(&secret, body));
    let alone = [(stackone::SIGNATURE_HEADER, ours.as_str())];
    assert_eq!(stackone::verify_webhook(&alone, body, &[&previous, &secret]), Ok(()), "our own signature failed");
    let all = [received[0], received[1], (stackone::SIGNATURE_HEADER, ours.as_str())];
    match stackone::verify_webhook(&all, body, &[&secret]) {
        Ok(()) | Err(SignatureError::Malformed(_)) => {}
        Err(e) => panic!("headers with our signature were refused: {e:?}"),
    }
}

/// StackOne's answer to a write: the first two bytes are the status.
pub fn stackone_interpret_write_response(data: &[u8]) {
    let (status, body) = status_and_body(data);
    check_write_outcome(status, &stackone::interpret_write_response(status, body), "stackone");
}

// ---------------------------------------------------------------------------
// Package ids.

/// A package id read gives back the lens and locale it was made of, and a
/// lens and locale (the input's first line and the rest) make an id that
/// reads back to them.
pub fn parse_package_id(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok((lens, locale)) = hubs::parse_package_id(&text) {
        assert!(!lens.trim().is_empty() && !locale.trim().is_empty() && !locale.contains(':'));
        assert_eq!(hubs::package_id(lens, locale), text, "the id does not rebuild");
    }
    let ([lens, locale], _) = lines::<2>(data);
    if !lens.trim().is_empty() && !locale.trim().is_empty() && !locale.contains(':') {
        let id = hubs::package_id(&lens, &locale);
        assert_eq!(hubs::parse_package_id(&id), Ok((lens.as_str(), locale.as_str())));
    }
}
