//! The Assessio and Kombo simulators, driven directly: requests built by the
//! connector's own native functions where they should be accepted, and
//! hand-made where they should not; receivers written here to see what the
//! simulators send out; and every kind of injected fault.

use assessio_plugin::{
    Account, Candidate, HttpRequest, OrderDetails, OrderEndpoint, OrderOutcome, Recruitment, build_order,
    config_request, interpret_order_response, list_lenses, parse_result, sign_request,
};
use assessio_simulators::assessio::route as assessio_route;
use assessio_simulators::kombo::route as kombo_route;
use assessio_simulators::{
    ANY_ROUTE, AssessioConfig, AssessioSim, AssessioSimError, AttemptOutcome, ClientError, ClientResponse,
    DeliveryState, FaultPlan, HttpClient, KomboConfig, KomboSim, Lens, NewOrder, OrderStatus, Organisation,
    PackageType, RetryPolicy, Scores, SimClock, SimResponse, WebhookSignature,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::sim::{account, client, hmac_sha256, queued_receiver, receiver, send};

mod support;

const PROVIDER_KEY: &str = "pk_sim_org";
const SECRET: &str = "sim-integrator-secret";
const API_KEY: &str = "sim-integrator-api-key";
const LENS: &str = "7922dd91-1b44-43e4-a740-7c4d9c2fba41";
const OTHER_LENS: &str = "b1f0c7a2-sales";
const NOW: i64 = 1_700_000_000;

const KOMBO_KEY: &str = "kombo_test_key";
const INTEGRATION: &str = "workday:CBNMt7dSNCzBdnRTx87dev4E";
const OTHER_INTEGRATION: &str = "greenhouse:Q2nW8kDfs1aXv7LmPz3Rt9Yb";
const WEBHOOK_SECRET: &str = "kombo-webhook-secret";

fn organisation() -> Organisation {
    let mut org = Organisation::example(PROVIDER_KEY, Some(SECRET), API_KEY);
    org.lenses.push(Lens { id: OTHER_LENS.into(), name: "Sales".into() });
    org
}

/// A simulator with one signing organisation and a clock fixed at [`NOW`].
async fn assessio_with(edit: impl FnOnce(&mut AssessioConfig)) -> (AssessioSim, Account) {
    let mut config = AssessioConfig::new(vec![organisation()]);
    config.clock = SimClock::fixed(NOW);
    edit(&mut config);
    let sim = AssessioSim::start(config).await.expect("the simulator starts");
    let account = account(&sim, PROVIDER_KEY).expect("the organisation is configured");
    (sim, account)
}

fn order(result_id: &str, email: &str, result_update_url: &str) -> OrderDetails {
    OrderDetails {
        recruitment: Recruitment { id: "job-4711".into(), title: "Backend Developer".into(), description: None },
        lens_id: LENS.into(),
        locale: "sv-SE".into(),
        candidate: Candidate { email: email.into(), first_name: "Ada".into(), last_name: "Lovelace".into() },
        collaborator_emails: vec!["recruiter@example.com".into()],
        result_id: result_id.into(),
        result_update_url: result_update_url.into(),
    }
}

fn unused_url(result_id: &str) -> String {
    format!("http://127.0.0.1:9/results/{result_id}")
}

/// Replaces a built request's body with `body`, re-signed at `now`: for
/// bodies the connector itself would refuse to build.
fn resigned(mut request: HttpRequest, body: &Value, now: i64) -> HttpRequest {
    request.body = serde_json::to_vec(body).unwrap();
    let signature = sign_request(SECRET, now, &request.body).unwrap();
    for h in &mut request.headers {
        if h.name.eq_ignore_ascii_case("signature") {
            h.value.clone_from(&signature.value);
        }
    }
    request
}

fn message(response: &ClientResponse) -> String {
    response.json().and_then(|v| v["message"].as_str().map(str::to_owned)).unwrap_or_default()
}

async fn send_order(
    sim: &AssessioSim,
    account: &Account,
    details: &OrderDetails,
    endpoint: OrderEndpoint,
) -> ClientResponse {
    let request = build_order(account, details, endpoint, sim.clock().now()).unwrap();
    send(&request).await.unwrap()
}

// ---------------------------------------------------------------- Assessio

#[tokio::test(flavor = "multi_thread")]
async fn config_answers_a_known_provider_key_and_refuses_others() {
    let (sim, account) = assessio_with(|_| {}).await;
    let response = send(&config_request(&account).unwrap()).await.unwrap();
    assert_eq!(response.status, 200);
    let catalog = list_lenses(&response.body).unwrap();
    let got: Vec<(&str, &str)> = catalog.lenses.iter().map(|l| (l.id.as_str(), l.name.as_str())).collect();
    let org = organisation();
    let listed: Vec<(&str, &str)> = org.lenses.iter().map(|l| (l.id.as_str(), l.name.as_str())).collect();
    assert_eq!(got, listed);
    assert_eq!(catalog.locales, ["en-US", "sv-SE", "nl-NL", "nn-NO"]);

    let mut stranger = account.clone();
    stranger.provider_key = "pk_somebody_else".into();
    let response = send(&config_request(&stranger).unwrap()).await.unwrap();
    assert_eq!(response.status, 401);
    assert!(message(&response).contains("provider-key"));

    let url = format!("{}/recruitment/v1/config", sim.url());
    let response = client().request(Method::GET, &url, &[], "").await.unwrap();
    assert_eq!(response.status, 401, "no key at all");
    let response = client().request(Method::DELETE, &url, &[("provider-key", PROVIDER_KEY)], "").await.unwrap();
    assert_eq!(response.status, 405);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_order_is_accepted_and_recorded_field_by_field() {
    let (sim, account) = assessio_with(|_| {}).await;
    let details = order("r-1", "ada@example.com", &unused_url("r-1"));
    let response = send_order(&sim, &account, &details, OrderEndpoint::Order).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.json().is_some_and(|v| v.is_string()), "a bare JSON string: {}", response.text());
    assert_eq!(
        interpret_order_response(OrderEndpoint::Order, response.status, &response.body),
        OrderOutcome::Accepted(None)
    );

    assert_eq!((sim.order_count(), sim.attempt_count()), (1, 1));
    let accepted = &sim.orders()[0];
    assert_eq!(accepted.result_id, "r-1");
    assert_eq!(accepted.lens_id, LENS);
    assert_eq!(accepted.candidate.last_name, "Lovelace");
    assert_eq!(accepted.collaborators, ["recruiter@example.com"]);
    assert!(accepted.created_recruitment);

    let names: Vec<String> = sim.field_names().into_iter().collect();
    assert_eq!(
        names,
        [
            "additionalRecruitmentCollaboratorsEmails",
            "candidateDetails",
            "candidateDetails.email",
            "candidateDetails.firstName",
            "candidateDetails.lastName",
            "lensId",
            "locale",
            "recruitment",
            "recruitment.id",
            "recruitment.title",
            "resultId",
            "resultUpdateUrl",
        ]
    );

    // The same recruitment and lens: the candidate joins the recruitment.
    let second = order("r-2", "grace@example.com", &unused_url("r-2"));
    assert_eq!(send_order(&sim, &account, &second, OrderEndpoint::Order).await.status, 200);
    // Another lens: a new recruitment.
    let mut third = order("r-3", "grace@example.com", &unused_url("r-3"));
    third.lens_id = OTHER_LENS.into();
    assert_eq!(send_order(&sim, &account, &third, OrderEndpoint::Order).await.status, 200);
    let recruitments = sim.recruitments();
    assert_eq!(recruitments.len(), 2);
    assert_eq!(recruitments[0].candidates, ["ada@example.com", "grace@example.com"]);
    assert_eq!(recruitments[1].lens_id, OTHER_LENS);
    assert!(!sim.orders()[1].created_recruitment);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_missing_and_stale_signatures_are_401() {
    let (sim, account) = assessio_with(|_| {}).await;
    let details = order("r-1", "ada@example.com", &unused_url("r-1"));

    let mut wrong = account.clone();
    wrong.integrator_secret = Some("not-the-secret".into());
    let mut missing = build_order(&account, &details, OrderEndpoint::Order, NOW).unwrap();
    missing.headers.retain(|h| !h.name.eq_ignore_ascii_case("signature"));
    let mut tampered = build_order(&account, &details, OrderEndpoint::Order, NOW).unwrap();
    tampered.body.push(b' ');
    let cases = [
        ("wrong secret", build_order(&wrong, &details, OrderEndpoint::Order, NOW).unwrap(), "no signature"),
        ("missing", missing, "missing"),
        ("tampered body", tampered, "no signature"),
        ("expired", build_order(&account, &details, OrderEndpoint::Order, NOW - 301).unwrap(), "301 s ago"),
        ("from the future", build_order(&account, &details, OrderEndpoint::Order, NOW + 301).unwrap(), "301 s ahead"),
    ];
    for (what, request, why) in cases {
        let response = send(&request).await.unwrap();
        assert_eq!(response.status, 401, "{what}");
        assert!(message(&response).contains(why), "{what}: {}", message(&response));
        assert!(matches!(
            interpret_order_response(OrderEndpoint::Order, response.status, &response.body),
            OrderOutcome::Unauthorized(_)
        ));
    }
    assert_eq!(sim.order_count(), 0);
    assert_eq!(sim.attempt_count(), 5, "refused attempts are counted too");
    assert!(sim.received().iter().all(|r| r.status == 401 && r.message.is_some()));

    // Inside the window, either way, is fine.
    for now in [NOW - 300, NOW + 300] {
        let request = build_order(&account, &details, OrderEndpoint::Order, now).unwrap();
        assert_eq!(send(&request).await.unwrap().status, 200);
    }
    // And the clock can be moved.
    sim.clock().advance(1000);
    let response = send(&build_order(&account, &details, OrderEndpoint::Order, NOW).unwrap()).await.unwrap();
    assert_eq!(response.status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organisation_without_signing_takes_unsigned_orders() {
    let mut config = AssessioConfig::new(vec![Organisation::example("pk_unsigned", None, API_KEY)]);
    config.clock = SimClock::fixed(NOW);
    let sim = AssessioSim::start(config).await.unwrap();
    let account = account(&sim, "pk_unsigned").unwrap();
    let details = order("r-1", "ada@example.com", &unused_url("r-1"));
    let request = build_order(&account, &details, OrderEndpoint::Order, NOW).unwrap();
    assert_eq!(request.header("Signature"), None);
    assert_eq!(send(&request).await.unwrap().status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_name_unknown_lens_or_locale_or_bad_body_is_400() {
    let (sim, account) = assessio_with(|_| {}).await;
    let base =
        build_order(&account, &order("r-1", "ada@example.com", &unused_url("r-1")), OrderEndpoint::Order, NOW).unwrap();
    let body: Value = serde_json::from_slice(&base.body).unwrap();
    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut b = body.clone();
        edit(&mut b);
        resigned(base.clone(), &b, NOW)
    };
    let cases: Vec<(&str, HttpRequest, &str)> = vec![
        (
            "no last name",
            edited(&|b| {
                b["candidateDetails"].as_object_mut().unwrap().remove("lastName");
            }),
            "candidateDetails.lastName is required",
        ),
        ("empty first name", edited(&|b| b["candidateDetails"]["firstName"] = json!("  ")), "firstName"),
        (
            "no collaborators array",
            edited(&|b| b["additionalRecruitmentCollaboratorsEmails"] = json!("x@y.se")),
            // Refused by the schema gate (assessio/order-request) before the handler.
            "/additionalRecruitmentCollaboratorsEmails",
        ),
        ("no recruitment title", edited(&|b| b["recruitment"]["title"] = json!(null)), "/recruitment/title"),
        ("bad result url", edited(&|b| b["resultUpdateUrl"] = json!("ftp://x.se/r")), "resultUpdateUrl"),
        ("not JSON", resigned(base.clone(), &json!(null), NOW), "is not of type \"object\""),
    ];
    for (what, request, why) in cases {
        let response = send(&request).await.unwrap();
        assert_eq!(response.status, 400, "{what}: {}", response.text());
        assert!(message(&response).contains(why), "{what}: {}", message(&response));
        assert!(matches!(
            interpret_order_response(OrderEndpoint::Order, response.status, &response.body),
            OrderOutcome::Rejected(_)
        ));
    }

    let mut unknown_lens = order("r-2", "ada@example.com", &unused_url("r-2"));
    unknown_lens.lens_id = "no-such-lens".into();
    let response = send_order(&sim, &account, &unknown_lens, OrderEndpoint::Order).await;
    assert_eq!((response.status, message(&response).starts_with("Unknown lens")), (400, true));
    let mut unknown_locale = order("r-3", "ada@example.com", &unused_url("r-3"));
    unknown_locale.locale = "de-DE".into();
    let response = send_order(&sim, &account, &unknown_locale, OrderEndpoint::Order).await;
    assert_eq!((response.status, message(&response).starts_with("Unknown locale")), (400, true));

    let mut text = base.clone();
    for h in &mut text.headers {
        if h.name.eq_ignore_ascii_case("content-type") {
            h.value = "text/plain".into();
        }
    }
    assert_eq!(send(&text).await.unwrap().status, 415);
    assert_eq!(sim.order_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_link_endpoint_answers_a_link_and_409_for_a_candidate_already_in() {
    let (sim, account) = assessio_with(|_| {}).await;
    let first = order("r-1", "ada@example.com", &unused_url("r-1"));
    let response = send_order(&sim, &account, &first, OrderEndpoint::OrderLink).await;
    assert_eq!(response.status, 200);
    let OrderOutcome::Accepted(Some(link)) =
        interpret_order_response(OrderEndpoint::OrderLink, response.status, &response.body)
    else {
        panic!("no link in {}", response.text());
    };
    assert!(link.starts_with(&format!("{}/take/", sim.url())), "{link}");
    let page = client().request(Method::GET, &link, &[], "").await.unwrap();
    assert_eq!((page.status, page.text()), (200, "Assessment package for Ada Lovelace".to_owned()));

    let again = order("r-2", "ADA@example.com", &unused_url("r-2"));
    let response = send_order(&sim, &account, &again, OrderEndpoint::OrderLink).await;
    assert_eq!(response.status, 409);
    assert_eq!(
        interpret_order_response(OrderEndpoint::OrderLink, response.status, &response.body),
        OrderOutcome::Duplicate
    );

    let other = order("r-3", "grace@example.com", &unused_url("r-3"));
    assert_eq!(send_order(&sim, &account, &other, OrderEndpoint::OrderLink).await.status, 200);
    assert_eq!(sim.order_count(), 2);
    assert_eq!(sim.attempt_count(), 3);
    assert_eq!(sim.recruitments()[0].candidates, ["ada@example.com", "grace@example.com"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn results_are_delivered_with_growing_backoff_until_accepted() {
    let base = Duration::from_millis(40);
    let (sim, account) = assessio_with(|c| {
        c.retry =
            RetryPolicy { base, cap: Duration::from_secs(1), max_attempts: 6, max_elapsed: Duration::from_secs(10) };
    })
    .await;
    let (rx, seen) = receiver(|n| {
        if n <= 2 { SimResponse::empty(StatusCode::SERVICE_UNAVAILABLE) } else { SimResponse::empty(StatusCode::OK) }
    })
    .await;
    let url = format!("{}/results/r-9", rx.url());
    assert_eq!(
        send_order(&sim, &account, &order("r-9", "ada@example.com", &url), OrderEndpoint::Order).await.status,
        200
    );

    assert_eq!(sim.complete("nope", &Scores::new(1, &[])), Err(AssessioSimError::UnknownResult("nope".into())));
    assert!(matches!(sim.complete("r-9", &Scores::new(101, &[])), Err(AssessioSimError::ScoreOutOfRange { .. })));
    sim.complete("r-9", &Scores::new(71, &[("Driving Leadership", 73), ("Influencing & Inspiring", 68)])).unwrap();
    assert!(sim.settled_within(Duration::from_secs(10)).await);

    let deliveries = sim.deliveries();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(d.state, DeliveryState::Delivered);
    let outcomes: Vec<&AttemptOutcome> = d.attempts.iter().map(|a| &a.outcome).collect();
    assert_eq!(outcomes, [&AttemptOutcome::Status(503), &AttemptOutcome::Status(503), &AttemptOutcome::Status(200)]);
    let waited: Vec<Duration> = d.attempts.iter().map(|a| a.waited).collect();
    assert_eq!(waited, [Duration::ZERO, base, base * 2]);
    let gap1 = d.attempts[1].at.saturating_sub(d.attempts[0].at);
    let gap2 = d.attempts[2].at.saturating_sub(d.attempts[1].at);
    assert!(gap1 >= base && gap2 >= base * 2, "{gap1:?} {gap2:?}");
    assert!(gap2 > gap1, "the backoff grows: {gap1:?} then {gap2:?}");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.path, "/results/r-9");
        assert_eq!(request.header("authorization"), Some("Bearer sim-integrator-api-key"));
        assert!(request.is_json());
        assert_eq!(request.body, d.body, "every attempt carries the same bytes");
    }
    let result = parse_result(&seen[2].body).unwrap();
    assert_eq!(result.result_id, "r-9");
    assert_eq!(result.score, Some(71));
    let names: Vec<&str> = result.subscores.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Driving Leadership", "Influencing & Inspiring"]);
    let report = result.report_url.unwrap();
    assert!(result.recruitment_url.unwrap().starts_with(&sim.url()));
    assert_eq!(client().request(Method::GET, &report, &[], "").await.unwrap().status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_nobody_takes_gives_up_after_the_last_attempt() {
    let (sim, account) = assessio_with(|c| {
        c.retry = RetryPolicy {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(20),
            max_attempts: 4,
            max_elapsed: Duration::from_secs(10),
        };
    })
    .await;
    // A port that was just free: nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = format!("http://{dead}/results/r-1");
    assert_eq!(
        send_order(&sim, &account, &order("r-1", "ada@example.com", &url), OrderEndpoint::Order).await.status,
        200
    );
    sim.complete("r-1", &Scores::new(50, &[])).unwrap();
    assert!(sim.settled_within(Duration::from_secs(10)).await);
    let d = &sim.deliveries()[0];
    assert_eq!(d.state, DeliveryState::GaveUp);
    assert_eq!(d.attempts.len(), 4);
    assert!(d.attempts.iter().all(|a| matches!(a.outcome, AttemptOutcome::Failed(_))));
    let waited: Vec<u128> = d.attempts.iter().map(|a| a.waited.as_millis()).collect();
    assert_eq!(waited, [0, 5, 10, 20]);
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_completion_delivers_deterministic_scores() {
    let (sim, account) = assessio_with(|c| c.auto_complete = Some(Duration::from_millis(20))).await;
    let (rx, seen) = receiver(|_| SimResponse::empty(StatusCode::NO_CONTENT)).await;
    for id in ["auto-1", "auto-2"] {
        let url = format!("{}/results/{id}", rx.url());
        let details = order(id, &format!("{id}@example.com"), &url);
        assert_eq!(send_order(&sim, &account, &details, OrderEndpoint::Order).await.status, 200);
    }
    assert!(sim.settled_within(Duration::from_secs(10)).await);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for request in seen.iter() {
        let result = parse_result(&request.body).unwrap();
        let expected = Scores::deterministic(&result.result_id);
        assert_eq!(result.score, Some(expected.score));
        let got: Vec<(String, f64)> = result.subscores.into_iter().map(|s| (s.name, s.score.get())).collect();
        let want: Vec<(String, f64)> = expected.subscores.iter().map(|(n, s)| (n.clone(), f64::from(*s))).collect();
        assert_eq!(got, want);
    }
    assert!(sim.deliveries().iter().all(|d| d.state == DeliveryState::Delivered && d.attempts.len() == 1));
}

// ---------------------------------------------------------------- Kombo

async fn kombo() -> KomboSim {
    KomboSim::start(KomboConfig::new(KOMBO_KEY, &[INTEGRATION, OTHER_INTEGRATION], WEBHOOK_SECRET)).await.unwrap()
}

async fn kombo_call(sim: &KomboSim, method: Method, path: &str, body: Option<&Value>) -> ClientResponse {
    let bearer = format!("Bearer {KOMBO_KEY}");
    let headers =
        [("Authorization", bearer.as_str()), ("X-Integration-Id", INTEGRATION), ("Content-Type", "application/json")];
    let body = body.map(Value::to_string).unwrap_or_default();
    client().request(method, &format!("{}{path}", sim.api_url()), &headers, body).await.unwrap()
}

fn error_code(response: &ClientResponse) -> Option<String> {
    let v = response.json()?;
    assert_eq!(v["status"], "error", "{v}");
    assert!(v["error"]["message"].is_string() && v["error"]["log_url"].is_string(), "{v}");
    v["error"]["code"].as_str().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn packages_are_validated_strictly_and_replace_the_list() {
    let sim = kombo().await;
    let good = json!({ "packages": [
        { "id": LENS, "type": "BEHAVIORAL", "name": "General Performance", "description": "Assessio lens" },
        { "id": OTHER_LENS, "type": "BEHAVIORAL", "name": "Sales", "description": "" },
    ]});
    let response = kombo_call(&sim, Method::PUT, "/assessment/packages", Some(&good)).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json().unwrap(), json!({ "status": "success", "data": {}, "warnings": [] }));
    let packages = sim.packages(INTEGRATION);
    assert_eq!(packages.len(), 2);
    assert_eq!(packages[0].package_type, PackageType::Behavioral);
    assert!(sim.packages(OTHER_INTEGRATION).is_empty());

    let one = json!({ "packages": [{ "id": "p", "type": "SKILLS_TEST", "name": "P", "description": "d" }] });
    assert_eq!(kombo_call(&sim, Method::PUT, "/assessment/packages", Some(&one)).await.status, 200);
    assert_eq!(sim.packages(INTEGRATION).len(), 1, "a PUT replaces the list");

    let package = |edit: &dyn Fn(&mut Value)| {
        let mut p = json!({ "id": "x", "type": "BEHAVIORAL", "name": "X", "description": "d" });
        edit(&mut p);
        json!({ "packages": [p] })
    };
    let invalid = [
        (
            "no type (seed 004's example)",
            package(&|p| {
                p.as_object_mut().unwrap().remove("type");
            }),
        ),
        ("unknown type", package(&|p| p["type"] = json!("PERSONALITY"))),
        ("empty id", package(&|p| p["id"] = json!(""))),
        ("blank name", package(&|p| p["name"] = json!(" "))),
        (
            "no description",
            package(&|p| {
                p.as_object_mut().unwrap().remove("description");
            }),
        ),
        ("numeric id", package(&|p| p["id"] = json!(7))),
        ("unknown package field", package(&|p| p["price"] = json!(1))),
        ("unknown top-level field", json!({ "packages": [], "extra": true })),
        ("no packages", json!({})),
        ("packages not an array", json!({ "packages": {} })),
        (
            "duplicate id",
            json!({ "packages": [
                { "id": "a", "type": "BEHAVIORAL", "name": "A", "description": "" },
                { "id": "a", "type": "BEHAVIORAL", "name": "B", "description": "" },
            ]}),
        ),
        (
            "duplicate name",
            json!({ "packages": [
                { "id": "a", "type": "BEHAVIORAL", "name": "A", "description": "" },
                { "id": "b", "type": "VIDEO_INTERVIEW", "name": "A", "description": "" },
            ]}),
        ),
    ];
    for (what, body) in invalid {
        let response = kombo_call(&sim, Method::PUT, "/assessment/packages", Some(&body)).await;
        assert_eq!(response.status, 400, "{what}: {}", response.text());
        assert_eq!(error_code(&response).as_deref(), Some("PLATFORM.INPUT_INVALID"), "{what}");
    }
    assert_eq!(sim.package_puts(), 2);
    assert_eq!(sim.packages(INTEGRATION)[0].id, "p", "a refused PUT changes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_call_needs_the_api_key_and_a_known_integration() {
    /// Headers sent, status expected, Kombo error code expected.
    type Case<'a> = (&'a [(&'a str, &'a str)], u16, Option<&'a str>);
    let sim = kombo().await;
    let url = format!("{}/assessment/orders", sim.api_url());
    let bearer = format!("Bearer {KOMBO_KEY}");
    let cases: [Case; 5] = [
        (&[("X-Integration-Id", INTEGRATION)], 401, Some("PLATFORM.AUTHENTICATION_INVALID")),
        (
            &[("Authorization", "Bearer wrong"), ("X-Integration-Id", INTEGRATION)],
            401,
            Some("PLATFORM.AUTHENTICATION_INVALID"),
        ),
        (
            &[("Authorization", KOMBO_KEY), ("X-Integration-Id", INTEGRATION)],
            401,
            Some("PLATFORM.AUTHENTICATION_INVALID"),
        ),
        (
            &[("Authorization", &bearer), ("X-Integration-Id", "personio:nobody")],
            404,
            Some("PLATFORM.INTEGRATION_NOT_FOUND"),
        ),
        (&[("Authorization", &bearer)], 400, Some("PLATFORM.INPUT_INVALID")),
    ];
    for (headers, status, code) in cases {
        let response = client().request(Method::GET, &url, headers, "").await.unwrap();
        assert_eq!(response.status, status, "{headers:?}");
        assert_eq!(error_code(&response).as_deref(), code);
    }
    let response = kombo_call(&sim, Method::POST, "/assessment/orders", None).await;
    assert_eq!(response.status, 405);
    let response = kombo_call(&sim, Method::GET, "/assessment/nothing", None).await;
    assert_eq!((response.status, error_code(&response)), (404, None));
    assert_eq!(sim.calls().len(), 7);
}

/// `X-Kombo-Signature` as a provider computes it: written here from the
/// documentation, not taken from the simulator.
fn expected_signature(body: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(WEBHOOK_SECRET, body))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_order_webhook_is_signed_verifiably_and_can_be_redelivered() {
    let sim = kombo().await;
    let (rx, seen) = receiver(|_| SimResponse::empty(StatusCode::OK)).await;
    let new = NewOrder::example(INTEGRATION, LENS, "john.doe@example.com");
    assert_eq!(sim.place_order(new.clone()).await.unwrap_err().to_string(), "no webhook URL is configured");
    sim.set_webhook_url(Some(format!("{}/kombo/webhook", rx.url())));
    let outcome = sim.place_order(new).await.unwrap();
    assert_eq!((outcome.status, outcome.order_status), (Some(200), OrderStatus::Open));

    let first = seen.lock().unwrap()[0].clone();
    assert_eq!(first.path, "/kombo/webhook");
    assert!(first.is_json());
    let header = first.header("x-kombo-signature").unwrap().to_owned();
    assert_eq!(header, expected_signature(&first.body));
    assert!(!header.contains('=') && !header.contains('+') && !header.contains('/'), "base64url, no padding");

    let envelope: Value = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(envelope["id"], outcome.event_id.as_str());
    assert_eq!(envelope["type"], "assessment:order-received");
    let data = &envelope["data"];
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(data),
        ["id", "package_id", "status", "integration_id", "candidate", "application", "job"],
        "Kombo's schema: every member present, no `remote_data` (additionalProperties: false)"
    );
    assert_eq!(keys(&data["candidate"]), ["remote_id", "email", "first_name", "last_name", "phone"]);
    assert_eq!(keys(&data["job"]), ["remote_id", "name", "job_code", "description", "location", "hiring_team"]);
    assert_eq!(
        keys(&data["job"]["hiring_team"][0]),
        ["remote_id", "email", "first_name", "last_name", "hiring_team_roles"]
    );
    assert_eq!(data["id"], outcome.order_id.as_str());
    assert_eq!((data["status"].as_str(), data["package_id"].as_str()), (Some("OPEN"), Some(LENS)));
    assert_eq!(data["integration_id"], INTEGRATION);
    assert_eq!(data["candidate"]["email"], "john.doe@example.com");
    assert_eq!(data["job"]["hiring_team"][0]["hiring_team_roles"], json!(["RECRUITER"]));

    let again = sim.redeliver(&outcome.order_id).await.unwrap();
    assert_eq!(again.event_id, outcome.event_id);
    let unsigned = sim.send_order_received(&outcome.order_id, WebhookSignature::Missing).await.unwrap();
    assert_eq!(unsigned.status, Some(200));
    sim.send_order_received(&outcome.order_id, WebhookSignature::WrongSecret).await.unwrap();
    sim.send_order_received(&outcome.order_id, WebhookSignature::Header("garbage".into())).await.unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[1].body, first.body, "a redelivery is byte-identical");
    assert_eq!(seen[1].header("x-kombo-signature"), Some(header.as_str()));
    assert_eq!(seen[2].header("x-kombo-signature"), None);
    let wrong = seen[3].header("x-kombo-signature").unwrap();
    assert_ne!(wrong, header);
    assert_eq!(wrong.len(), header.len(), "well-formed, just wrong");
    assert_eq!(seen[4].header("x-kombo-signature"), Some("garbage"));
    assert_eq!(sim.webhook_sends().len(), 5);
    assert!(matches!(
        sim.send_order_received("no-such-order", WebhookSignature::Valid).await,
        Err(assessio_simulators::KomboSimError::UnknownOrder(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_422_order_rejected_body_rejects_the_order() {
    let sim = kombo().await;
    let (rx, _, answers) = queued_receiver().await;
    sim.set_webhook_url(Some(rx.url()));
    let reply = |status: u16, body: Value| SimResponse::json(SimResponse::status_code(status), &body);
    let cases = [
        (reply(422, json!({ "message": "no status" })), OrderStatus::Open),
        (reply(422, json!({ "status": "REJECTED", "message": "wrong status" })), OrderStatus::Open),
        (SimResponse::text(StatusCode::UNPROCESSABLE_ENTITY, "ORDER_REJECTED"), OrderStatus::Open),
        (reply(500, json!({ "status": "ORDER_REJECTED", "message": "a 500" })), OrderStatus::Open),
        (
            reply(
                422,
                json!({ "status": "ORDER_REJECTED", "message": "There is an existing order for this candidate" }),
            ),
            OrderStatus::Rejected,
        ),
    ];
    for (answer, want) in cases {
        answers.lock().unwrap().push(answer);
        let id = sim.create_order(NewOrder::example(INTEGRATION, LENS, "john.doe@example.com")).unwrap();
        let outcome = sim.send_order_received(&id, WebhookSignature::Valid).await.unwrap();
        assert_eq!(outcome.order_status, want, "{:?}", String::from_utf8_lossy(&outcome.body));
        assert_eq!(sim.order(&id).unwrap().status, want);
    }
    let rejected = sim.orders().into_iter().filter(|o| o.status == OrderStatus::Rejected).collect::<Vec<_>>();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].rejection_message.as_deref(), Some("There is an existing order for this candidate"));

    // No receiver at all: the order stays open, the failure is reported.
    rx.shutdown();
    let id = sim.create_order(NewOrder::example(INTEGRATION, LENS, "x@example.com")).unwrap();
    let outcome = sim.send_order_received(&id, WebhookSignature::Valid).await.unwrap();
    assert_eq!((outcome.status, outcome.order_status), (None, OrderStatus::Open));
    assert!(outcome.error.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn open_orders_page_through_every_order_exactly_once() {
    let sim = kombo().await;
    let mut created = BTreeSet::new();
    for i in 0..7 {
        created.insert(sim.create_order(NewOrder::example(INTEGRATION, LENS, &format!("c{i}@example.com"))).unwrap());
    }
    sim.create_order(NewOrder::example(OTHER_INTEGRATION, LENS, "other@example.com")).unwrap();

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/assessment/orders?statuses=OPEN&page_size=3&cursor={c}"),
            None => "/assessment/orders?statuses=OPEN&page_size=3".to_owned(),
        };
        let response = kombo_call(&sim, Method::GET, &path, None).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let v = response.json().unwrap();
        assert_eq!(v["status"], "success");
        let results = v["data"]["results"].as_array().unwrap();
        sizes.push(results.len());
        seen.extend(results.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        match v["data"]["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(seen.len(), 7);
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), created);

    sim.set_order_status(&seen[0], OrderStatus::Completed).unwrap();
    let open = kombo_call(&sim, Method::GET, "/assessment/orders?statuses=OPEN", None).await.json().unwrap();
    assert_eq!(open["data"]["results"].as_array().unwrap().len(), 6);
    assert_eq!(open["data"]["next"], Value::Null);
    let all = kombo_call(&sim, Method::GET, "/assessment/orders?statuses=OPEN,COMPLETED", None).await.json().unwrap();
    assert_eq!(all["data"]["results"].as_array().unwrap().len(), 7);
    let all = kombo_call(&sim, Method::GET, "/assessment/orders", None).await.json().unwrap();
    assert_eq!(all["data"]["results"].as_array().unwrap().len(), 7);

    for bad in ["page_size=0", "page_size=251", "page_size=x", "cursor=garbage", "statuses=PENDING"] {
        let response = kombo_call(&sim, Method::GET, &format!("/assessment/orders?{bad}"), None).await;
        assert_eq!(response.status, 400, "{bad}");
        assert_eq!(error_code(&response).as_deref(), Some("PLATFORM.INPUT_INVALID"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn result_writes_are_validated_strictly_and_counted() {
    let sim = kombo().await;
    let id = sim.create_order(NewOrder::example(INTEGRATION, LENS, "john.doe@example.com")).unwrap();
    let path = format!("/assessment/orders/{id}/result");
    let good = json!({
        "status": "COMPLETED",
        "result_url": "https://app.assessio.online/reports/1",
        "completed_at": "2023-04-04T00:00:00.000Z",
        "score": 71,
        "max_score": 100,
        "attributes": [
            { "type": "TEXT", "label": "Lens", "value": "General Performance" },
            { "type": "SUB_RESULT", "id": "driving-leadership", "label": "Driving Leadership",
              "score": { "value": 73, "max": 100 }, "status": "COMPLETED" },
        ],
        "attachments": [{ "name": "Report.pdf", "data": "SGVsbG8=", "content_type": "application/pdf" }],
    });
    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        edit(&mut b);
        b
    };
    let remove = |key: &'static str| {
        edited(&move |b| {
            b.as_object_mut().unwrap().remove(key);
        })
    };
    let invalid = [
        ("missing result_url", remove("result_url")),
        ("missing status", remove("status")),
        ("seed 004's COMPLETE", edited(&|b| b["status"] = json!("COMPLETE"))),
        ("REJECTED is not writable", edited(&|b| b["status"] = json!("REJECTED"))),
        ("result_url not http", edited(&|b| b["result_url"] = json!("ftp://example.com/r"))),
        ("completed_at not a date", edited(&|b| b["completed_at"] = json!("yesterday"))),
        ("score as text", edited(&|b| b["score"] = json!("71"))),
        (
            "seed 004's key/value attribute",
            edited(&|b| b["attributes"] = json!([{ "key": "Role fit", "value": "HIGH" }])),
        ),
        ("TEXT without label", edited(&|b| b["attributes"] = json!([{ "type": "TEXT", "value": "x" }]))),
        ("SUB_RESULT without max", edited(&|b| b["attributes"][1]["score"] = json!({ "value": 73 }))),
        ("SUB_RESULT status OPEN", edited(&|b| b["attributes"][1]["status"] = json!("OPEN"))),
        ("unknown attribute type", edited(&|b| b["attributes"][0]["type"] = json!("NUMBER"))),
        ("extra attribute field", edited(&|b| b["attributes"][0]["extra"] = json!(1))),
        ("attachment not base64", edited(&|b| b["attachments"][0]["data"] = json!("not base64!"))),
        ("unknown top-level field", edited(&|b| b["summary"] = json!("x"))),
        ("not an object", json!([])),
    ];
    for (what, body) in invalid {
        let response = kombo_call(&sim, Method::PUT, &path, Some(&body)).await;
        assert_eq!(response.status, 400, "{what}: {}", response.text());
        assert_eq!(error_code(&response).as_deref(), Some("PLATFORM.INPUT_INVALID"), "{what}");
    }
    assert_eq!(sim.result_write_count(&id), 0);

    let response = kombo_call(&sim, Method::PUT, &path, Some(&good)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(sim.result_write_count(&id), 1);
    assert_eq!(sim.result_writes(&id)[0], good);
    assert_eq!(sim.order(&id).unwrap().status, OrderStatus::Completed);

    let cancel = edited(&|b| b["status"] = json!("CANCELLED"));
    assert_eq!(
        kombo_call(&sim, Method::PUT, &path, Some(&cancel)).await.status,
        400,
        "only an OPEN order changes status"
    );
    // Kombo documents no nulls and asks for completed_at with COMPLETED
    // (kombo/put-order-result-request): the smallest documented write.
    let minimal = json!({ "status": "COMPLETED", "result_url": "http://example.com/r", "completed_at": "2023-04-05T00:00:00.000Z" });
    assert_eq!(kombo_call(&sim, Method::PUT, &path, Some(&minimal)).await.status, 200);
    assert_eq!(sim.result_write_count(&id), 2);

    let response = kombo_call(&sim, Method::PUT, "/assessment/orders/NoSuchOrder/result", Some(&good)).await;
    assert_eq!(response.status, 404);
    let other = sim.create_order(NewOrder::example(OTHER_INTEGRATION, LENS, "o@example.com")).unwrap();
    let response = kombo_call(&sim, Method::PUT, &format!("/assessment/orders/{other}/result"), Some(&good)).await;
    assert_eq!(response.status, 404, "another integration's order is not found");
}

// ---------------------------------------------------------------- faults

#[tokio::test(flavor = "multi_thread")]
async fn fail_next_n_then_recover() {
    let (sim, account) = assessio_with(|_| {}).await;
    sim.faults().set(assessio_route::CONFIG, FaultPlan::new().fail_next(2, 503));
    let request = config_request(&account).unwrap();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(send(&request).await.unwrap().status);
    }
    assert_eq!(statuses, [503, 503, 200]);
    let stats = sim.faults().stats(assessio_route::CONFIG);
    assert_eq!((stats.requests, stats.failed, stats.injected()), (3, 2, 2));

    // Faults answer before the simulator's logic: nothing is recorded.
    sim.faults().set(assessio_route::ORDER, FaultPlan::new().fail_next(1, 500));
    let details = order("r-1", "ada@example.com", &unused_url("r-1"));
    assert_eq!(send_order(&sim, &account, &details, OrderEndpoint::Order).await.status, 500);
    assert_eq!(send_order(&sim, &account, &details, OrderEndpoint::Order).await.status, 200);
    assert_eq!((sim.attempt_count(), sim.order_count()), (1, 1));
    assert_eq!(sim.faults().total().injected(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seeded_fraction_fails_the_same_requests_every_time() {
    let (sim, account) = assessio_with(|_| {}).await;
    let request = config_request(&account).unwrap();
    let mut runs = Vec::new();
    for _ in 0..2 {
        sim.faults().set(assessio_route::CONFIG, FaultPlan::new().fail_fraction(0.3, 42));
        let mut failed = Vec::new();
        for i in 0..40 {
            let status = send(&request).await.unwrap().status;
            assert!([200, 500, 503].contains(&status));
            if status != 200 {
                failed.push(i);
            }
        }
        runs.push(failed);
    }
    assert_eq!(runs[0], runs[1], "same seed, same failures");
    assert!((1..40).contains(&runs[0].len()), "{}", runs[0].len());
    assert_eq!(sim.faults().stats(assessio_route::CONFIG).failed, 2 * runs[0].len() as u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_connection_gets_no_answer() {
    let sim = kombo().await;
    sim.faults().set(kombo_route::ORDERS, FaultPlan::new().drop_next(1));
    let bearer = format!("Bearer {KOMBO_KEY}");
    let headers = [("Authorization", bearer.as_str()), ("X-Integration-Id", INTEGRATION)];
    let url = format!("{}/assessment/orders", sim.api_url());
    let err = client().request(Method::GET, &url, &headers, "").await.unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err}");
    assert_eq!(client().request(Method::GET, &url, &headers, "").await.unwrap().status, 200);
    assert_eq!(sim.faults().stats(kombo_route::ORDERS).dropped, 1);
    assert_eq!(sim.calls().len(), 1, "the dropped request never reached the API");
}

#[tokio::test(flavor = "multi_thread")]
async fn latency_delays_and_a_hang_lasts_until_shutdown() {
    let sim = kombo().await;
    sim.faults().set(ANY_ROUTE, FaultPlan::new().latency(Duration::from_millis(150)));
    let started = Instant::now();
    assert_eq!(kombo_call(&sim, Method::GET, "/assessment/orders", None).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150), "{:?}", started.elapsed());
    assert_eq!(sim.faults().stats(kombo_route::ORDERS).delayed, 1);

    sim.faults().clear_all();
    sim.faults().set(kombo_route::PACKAGES, FaultPlan::new().hang());
    let impatient = HttpClient::new(Duration::from_millis(200));
    let url = format!("{}/assessment/packages", sim.api_url());
    let err = impatient.request(Method::PUT, &url, &[], "{}").await.unwrap_err();
    assert_eq!(err, ClientError::Timeout(Duration::from_millis(200)));
    assert_eq!(sim.faults().stats(kombo_route::PACKAGES).hung, 1);

    // A hanging request ends when the simulator shuts down, and nothing more is served.
    let slow = HttpClient::new(Duration::from_secs(5));
    let pending = tokio::spawn(async move { slow.request(Method::PUT, &url, &[], "{}").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    sim.shutdown();
    let ended = pending.await.unwrap();
    assert!(matches!(ended, Err(ClientError::Transport(_))), "{ended:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let after = client().request(Method::GET, &format!("{}/assessment/orders", sim.api_url()), &[], "").await;
    assert!(after.is_err(), "{after:?}");
}

/// The connector's signing, checked by the simulator's own reading of
/// Assessio's scheme (hmac and sha2, not the plugin's verifier).
#[test]
fn the_connectors_signature_passes_the_oracle() {
    let body = br#"{"recruitment":{"id":"r"}}"#;
    let header = sign_request("s3cret", 1_700_000_123, body).unwrap().value;
    assert_eq!(
        assessio_simulators::assessio::check_signature(Some(&header), body, "s3cret", 1_700_000_000, 300),
        Ok(())
    );
}
