//! The vendor schemas as oracles: that they compile, that every example
//! payload the project ships passes its vendor's schema, that each schema
//! really refuses what its document forbids, and that the simulators apply
//! them at their choke points (refusing what the connector sends off the
//! document, panicking when they would send off it themselves).
//!
//! The schemas are only worth something if they can say no: every schema has
//! negative cases here, each one a mistake the document rules out and an
//! adapter or simulator could plausibly make (most of them were made).

use assessio_simulators::{
    AssessioConfig, AssessioSim, ClientError, Direction, HttpClient, KomboConfig, KomboSim, Organisation,
    SCHEMA_ROUTES, Schema, Server, SimRequest, SimResponse, Simulator, StackOneConfig, StackOneSim, TeamtailorConfig,
    TeamtailorSim, schema, schema_for,
};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which schema each file in `examples/payloads/` must pass. A file missing
/// from this table fails [`every_example_payload_passes_its_schema`], so a
/// new example cannot slip in unchecked.
const PAYLOADS: &[(&str, Schema)] = &[
    ("config-response.json", Schema::AssessioConfigResponse),
    ("result-webhook.json", Schema::AssessioResultWebhook),
    ("kombo-order-received.json", Schema::KomboOrderReceivedWebhook),
    ("stackone-assessment-order.json", Schema::StackOneAssessmentOrderResponse),
    ("stackone-order-created.json", Schema::StackOneWebhookEvent),
    ("stackone-packages-response.json", Schema::StackOnePackagesResponse),
    ("teamtailor-config-response.json", Schema::TeamtailorConfigResponse),
    ("teamtailor-trigger.json", Schema::TeamtailorPartnerEvent),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("host-test/simulators sits in the workspace")
        .to_path_buf()
}

fn payload(file: &str) -> Value {
    let path = repo().join("examples/payloads").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Sets the value at JSON pointer `at` (the parent must exist), or removes
/// it when `to` is `None`: how each negative case is made from a valid body.
fn edit(mut body: Value, at: &str, to: Option<Value>) -> Value {
    let (parent, key) = at.rsplit_once('/').expect("a pointer");
    let target = body.pointer_mut(parent).unwrap_or_else(|| panic!("no {parent} in the base body"));
    match (target, to) {
        (Value::Object(map), Some(v)) => {
            map.insert(key.to_owned(), v);
        }
        (Value::Object(map), None) => {
            map.remove(key).unwrap_or_else(|| panic!("no {at} to remove"));
        }
        (Value::Array(items), Some(v)) => items[key.parse::<usize>().expect("an index")] = v,
        (Value::Array(items), None) => {
            items.remove(key.parse::<usize>().expect("an index"));
        }
        (other, _) => panic!("{parent} is {other}, not a container"),
    }
    body
}

/// Asserts `schema` refuses `body`, with an error at `pointer` whose text
/// contains `says`.
#[track_caller]
fn refuses(schema: Schema, body: &Value, pointer: &str, says: &str) {
    let errors = schema::validate_json(schema, body).expect_err(&format!("{schema} accepted {body}"));
    assert!(
        errors.iter().any(|e| e.starts_with(&format!("{pointer}: ")) && e.contains(says)),
        "{schema}: expected an error at {pointer} saying {says:?}, got {errors:#?}"
    );
}

#[track_caller]
fn accepts(schema: Schema, body: &Value) {
    if let Err(errors) = schema::validate_json(schema, body) {
        panic!("{schema} refused a valid body: {errors:#?}\n{body:#}");
    }
}

#[test]
fn every_schema_compiles_and_every_schema_file_is_named() {
    for &schema in Schema::ALL {
        schema.compiled().unwrap_or_else(|e| panic!("{e}"));
        let doc = schema.document().unwrap();
        assert_eq!(doc["$schema"], "https://json-schema.org/draft/2020-12/schema", "{schema}");
        let description = doc["description"].as_str().unwrap_or_default();
        assert!(description.to_lowercase().contains("source"), "{schema}: the description must cite its document");
    }
    // A schema file the enum does not name would be embedded nowhere and
    // checked by nothing.
    let dir = repo().join("host-test/simulators/src/schemas");
    let mut on_disk = BTreeSet::new();
    for vendor in std::fs::read_dir(&dir).unwrap() {
        let vendor = vendor.unwrap().path();
        for file in std::fs::read_dir(&vendor).unwrap() {
            let file = file.unwrap().path();
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            on_disk.insert(format!("{}/{stem}", vendor.file_name().unwrap().to_string_lossy()));
        }
    }
    let named: BTreeSet<String> = Schema::ALL.iter().map(|s| s.name().to_owned()).collect();
    assert_eq!(on_disk, named);
}

#[test]
fn every_example_payload_passes_its_schema() {
    let dir = repo().join("examples/payloads");
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    let mut failures = Vec::new();
    for file in &files {
        let Some(&(_, schema)) = PAYLOADS.iter().find(|(f, _)| f == file) else {
            failures.push(format!("{file}: no schema in PAYLOADS (add the row, and the schema if it is new)"));
            continue;
        };
        let bytes = std::fs::read(dir.join(file)).unwrap();
        if let Err(errors) = schema::validate(schema, &bytes) {
            failures.push(format!("{file} against {schema}:\n    {}", errors.join("\n    ")));
        }
    }
    for (file, _) in PAYLOADS {
        if !files.iter().any(|f| f == file) {
            failures.push(format!("{file}: in PAYLOADS but not in examples/payloads"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- Negative cases, vendor by vendor -------------------------------------

fn assessio_order() -> Value {
    json!({
        "recruitment": { "id": "job-1", "title": "Engineer", "description": "Builds things" },
        "additionalRecruitmentCollaboratorsEmails": ["grace@example.com"],
        "resultUpdateUrl": "https://connector.example/assessio/result",
        "resultId": "kombo-abc",
        "lensId": "7922dd91-1b44-43e4-a740-7c4d9c2fba41",
        "locale": "sv-SE",
        "candidateDetails": { "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace" },
    })
}

#[test]
fn assessio_schemas_refuse_what_seed_001_forbids() {
    let order = assessio_order();
    accepts(Schema::AssessioOrderRequest, &order);
    let s = Schema::AssessioOrderRequest;
    refuses(s, &edit(order.clone(), "/candidateDetails/email", None), "/candidateDetails", "\"email\" is a required");
    refuses(s, &edit(order.clone(), "/lensId", None), "/", "\"lensId\" is a required");
    // The body table has exactly seven fields: nothing else may cross.
    refuses(s, &edit(order.clone(), "/phone", Some(json!("+46"))), "/", "phone");
    refuses(
        s,
        &edit(order.clone(), "/candidateDetails/email", Some(json!("not an address"))),
        "/candidateDetails/email",
        "email",
    );
    refuses(
        s,
        &edit(order.clone(), "/additionalRecruitmentCollaboratorsEmails", Some(json!(null))),
        "/additionalRecruitmentCollaboratorsEmails",
        "array",
    );
    refuses(s, &edit(order, "/resultUpdateUrl", Some(json!("no scheme"))), "/resultUpdateUrl", "uri");

    let result = payload("result-webhook.json");
    let s = Schema::AssessioResultWebhook;
    refuses(s, &edit(result.clone(), "/score", Some(json!(101))), "/score", "101");
    refuses(s, &edit(result.clone(), "/score", Some(json!("57"))), "/score", "integer");
    refuses(s, &edit(result, "/resultId", None), "/", "\"resultId\" is a required");

    let config = payload("config-response.json");
    let s = Schema::AssessioConfigResponse;
    refuses(s, &edit(config.clone(), "/availableLenses/0/name", None), "/availableLenses/0", "\"name\" is a required");
    refuses(s, &edit(config, "/availableLocales", None), "/", "availableLocales");

    let s = Schema::AssessioOrderLinkResponse;
    accepts(s, &json!({ "assessmentPackageLink": "https://assessio.example/take/1" }));
    refuses(s, &json!({ "link": "https://assessio.example/take/1" }), "/", "assessmentPackageLink");
}

fn kombo_order_without_integration() -> Value {
    let mut order = payload("kombo-order-received.json")["data"].clone();
    order.as_object_mut().unwrap().remove("integration_id");
    order
}

#[test]
fn kombo_schemas_refuse_what_kombos_reference_forbids() {
    let event = payload("kombo-order-received.json");
    let s = Schema::KomboOrderReceivedWebhook;
    refuses(s, &edit(event.clone(), "/data/candidate/email", None), "/data/candidate", "\"email\" is a required");
    refuses(s, &edit(event.clone(), "/data/candidate/email", Some(json!(null))), "/data/candidate/email", "string");
    // Required though nullable: an absent job_code is not a null one.
    refuses(s, &edit(event.clone(), "/data/job/job_code", None), "/data/job", "\"job_code\" is a required");
    refuses(
        s,
        &edit(event.clone(), "/type", Some(json!("assessment:order-updated"))),
        "/type",
        "assessment:order-received",
    );
    refuses(s, &edit(event.clone(), "/data/status", Some(json!("PENDING"))), "/data/status", "PENDING");
    // The bare order of the how-it-works guide is not the webhook body.
    refuses(s, &event["data"], "/", "\"type\" is a required");
    // ... while every documented null passes.
    let mut nulls = event;
    for at in
        ["/data/job/remote_id", "/data/job/name", "/data/job/job_code", "/data/job/description", "/data/job/location"]
    {
        nulls = edit(nulls, at, Some(json!(null)));
    }
    for at in [
        "/data/candidate/remote_id",
        "/data/candidate/first_name",
        "/data/candidate/last_name",
        "/data/candidate/phone",
    ] {
        nulls = edit(nulls, at, Some(json!(null)));
    }
    accepts(s, &nulls);

    let s = Schema::KomboPutOrderResultRequest;
    let result = json!({
        "status": "COMPLETED",
        "result_url": "https://assessio.example/reports/1",
        "completed_at": "2026-08-01T10:00:00.000Z",
        "score": 57,
        "max_score": 100,
        "attributes": [
            { "type": "SUB_RESULT", "id": "driving", "label": "Driving Leadership", "score": { "value": 18, "max": 100 }, "status": "COMPLETED" },
            { "type": "TEXT", "label": "Lens", "value": "General Performance" },
        ],
    });
    accepts(s, &result);
    // Seed 004's older body: "COMPLETE" and {key, value} attributes.
    refuses(s, &edit(result.clone(), "/status", Some(json!("COMPLETE"))), "/status", "COMPLETE");
    refuses(
        s,
        &edit(result.clone(), "/attributes/1", Some(json!({ "key": "Lens", "value": "x" }))),
        "/attributes/1",
        "",
    );
    refuses(s, &edit(result.clone(), "/result_url", None), "/", "\"result_url\" is a required");
    refuses(s, &edit(result.clone(), "/score", Some(json!("57"))), "/score", "number");
    // No field is documented as nullable, and COMPLETED asks for completed_at.
    refuses(s, &edit(result.clone(), "/score", Some(json!(null))), "/score", "number");
    refuses(s, &edit(result, "/completed_at", None), "/", "\"completed_at\" is a required");

    let s = Schema::KomboPutPackagesRequest;
    let packages = json!({ "packages": [
        { "id": "7922dd91:sv-SE", "type": "BEHAVIORAL", "name": "Assessio General Performance (Swedish)", "description": "…" },
    ]});
    accepts(s, &packages);
    refuses(s, &edit(packages.clone(), "/packages/0/type", None), "/packages/0", "\"type\" is a required");
    refuses(s, &edit(packages, "/packages/0/type", Some(json!("PERSONALITY"))), "/packages/0/type", "PERSONALITY");

    let s = Schema::KomboOpenOrdersResponse;
    let list = json!({ "status": "success", "data": { "next": null, "results": [kombo_order_without_integration()] } });
    accepts(s, &list);
    refuses(s, &edit(list.clone(), "/data/results/0/candidate/email", None), "/data/results/0/candidate", "email");
    refuses(s, &edit(list, "/data/next", None), "/data", "\"next\" is a required");

    let s = Schema::KomboOrderRejectionResponse;
    let rejection = json!({ "status": "ORDER_REJECTED", "message": "The candidate has no last name." });
    accepts(s, &rejection);
    refuses(s, &edit(rejection.clone(), "/status", Some(json!("REJECTED"))), "/status", "ORDER_REJECTED");
    refuses(s, &edit(rejection, "/message", None), "/", "\"message\" is a required");

    let s = Schema::KomboErrorResponse;
    let error = json!({ "status": "error", "error": { "code": "ATS.JOB_CLOSED", "title": null, "message": "closed", "log_url": null } });
    accepts(s, &error);
    refuses(s, &edit(error.clone(), "/status", Some(json!("failed"))), "/status", "error");
    refuses(s, &edit(error, "/error/message", None), "/error", "\"message\" is a required");
}

#[test]
fn teamtailor_schemas_refuse_what_the_partner_docs_forbid() {
    let config = payload("teamtailor-config-response.json");
    let s = Schema::TeamtailorConfigResponse;
    refuses(
        s,
        &edit(config.clone(), "/config/fields/0/type", Some(json!("dropdown"))),
        "/config/fields/0/type",
        "dropdown",
    );
    refuses(s, &edit(config.clone(), "/config/fields/0/type", Some(json!(7))), "/config/fields/0/type", "7");
    refuses(s, &edit(config.clone(), "/config/fields/0/id", None), "/config/fields/0", "\"id\" is a required");
    refuses(
        s,
        &edit(config.clone(), "/config/fields/0/options/0/id", Some(json!({ "value": "x" }))),
        "/config/fields/0/options/0/id",
        "",
    );
    refuses(
        s,
        &edit(config.clone(), "/config/fields/0/refetch", Some(json!("yes"))),
        "/config/fields/0/refetch",
        "boolean",
    );
    // The JSON:API guess the gateway answered before (issue 13, item 1).
    let guess = json!({ "data": { "type": "partner-configs", "attributes": { "fields": [] } } });
    refuses(s, &guess, "/", "\"config\" is a required");
    // Problems are shown through the config itself: an error field needs its message.
    refuses(
        s,
        &json!({ "config": { "fields": [{ "type": "error" }] } }),
        "/config/fields/0",
        "\"message\" is a required",
    );
    accepts(s, &json!({ "config": { "fields": [{ "type": "error", "message": "Wrong authorization token" }] } }));

    let event = payload("teamtailor-trigger.json");
    let s = Schema::TeamtailorPartnerEvent;
    refuses(s, &edit(event.clone(), "/company/uuid", None), "/company", "\"uuid\" is a required");
    refuses(
        s,
        &edit(event.clone(), "/partner-event/candidate/id", Some(json!("42"))),
        "/partner-event/candidate/id",
        "integer",
    );
    refuses(
        s,
        &edit(event, "/partner-event/partner-result/update-url", Some(json!("not a url"))),
        "/partner-event/partner-result/update-url",
        "uri",
    );

    let s = Schema::TeamtailorPartnerResultUpdate;
    let update = json!({ "data": { "type": "partner-results", "id": "0b6a1c3e-0000-4000-8000-000000000001", "attributes": {
        "status": "completed",
        "summary": "Scored 57 of 100",
        "url": "https://assessio.example/reports/1",
        "assessment": { "score": 57 },
        "details": { "Driving Leadership": 18, "Lens": { "name": "General Performance" } },
        "attachments": [{ "url": "https://assessio.example/reports/1", "description": "Report" }],
    }}});
    accepts(s, &update);
    refuses(
        s,
        &edit(update.clone(), "/data/attributes/candidate-id", Some(json!(42))),
        "/data/attributes",
        "candidate-id",
    );
    refuses(
        s,
        &edit(update.clone(), "/data/attributes/status", Some(json!("done"))),
        "/data/attributes/status",
        "done",
    );
    refuses(
        s,
        &edit(update.clone(), "/data/attributes/assessment/score", Some(json!(101))),
        "/data/attributes/assessment/score",
        "101",
    );
    refuses(
        s,
        &edit(update.clone(), "/data/attributes/attachments/0/type", Some(json!("pdf"))),
        "/data/attributes/attachments/0",
        "type",
    );
    refuses(s, &edit(update.clone(), "/data/type", Some(json!("partner-result"))), "/data/type", "partner-results");
    refuses(
        s,
        &edit(update, "/data/attributes/details/Lens", Some(json!({ "deep": { "too": 1 } }))),
        "/data/attributes/details/Lens",
        "",
    );
}

#[test]
fn stackone_schemas_refuse_what_ats_json_and_webhooks_mdx_forbid() {
    let s = Schema::StackOneAssessmentResultRequest;
    let result = json!({
        "score": { "label": "Overall fit", "value": "57", "min": "0", "max": "100" },
        "submission_date": "2026-08-01T10:00:00.000Z",
        "summary": "Scored 57 of 100",
        "result": { "value": "completed" },
        "result_url": "https://assessio.example/reports/1",
        "attachments": [{ "url": "https://assessio.example/reports/1", "content_type": { "value": "other" } }],
    });
    accepts(s, &result);
    accepts(s, &json!({}));
    refuses(s, &edit(result.clone(), "/score/value", Some(json!(57))), "/score/value", "string");
    refuses(
        s,
        &edit(result.clone(), "/attachments/0/content_type", Some(json!("pdf"))),
        "/attachments/0/content_type",
        "object",
    );
    refuses(s, &edit(result.clone(), "/id", Some(json!("order-1"))), "/", "id");
    refuses(s, &edit(result.clone(), "/result/value", Some(json!("COMPLETED"))), "/result/value", "COMPLETED");
    refuses(s, &edit(result, "/submission_date", Some(json!("yesterday"))), "/submission_date", "date-time");

    let event = payload("stackone-order-created.json");
    let s = Schema::StackOneWebhookEvent;
    refuses(s, &edit(event.clone(), "/record_id", None), "/", "\"record_id\" is a required");
    refuses(s, &edit(event.clone(), "/event", Some(json!("assessment_order"))), "/event", "assessment_order");
    // The envelope the adapter used to read: an id and the order under data.
    let guess = json!({ "id": "evt-1", "event": "ats_assessments.created", "data": { "candidate": {} } });
    refuses(s, &guess, "/", "\"record_id\" is a required");

    let order = payload("stackone-assessment-order.json");
    let s = Schema::StackOneAssessmentOrderResponse;
    refuses(
        s,
        &edit(order.clone(), "/data/candidate/emails", Some(json!("ada@example.com"))),
        "/data/candidate/emails",
        "array",
    );
    refuses(s, &edit(order, "/data", None), "/", "\"data\" is a required");

    let s = Schema::StackOnePackagesResponse;
    let packages = payload("stackone-packages-response.json");
    refuses(s, &edit(packages.clone(), "/data", None), "/", "\"data\" is a required");
    refuses(s, &edit(packages, "/data/0/score", Some(json!(1))), "/data/0", "score");

    let s = Schema::StackOnePackagesRequest;
    let request = json!({ "job_id": "job-1", "account_id": "acc-1", "provider": "teamtailor" });
    accepts(s, &request);
    refuses(s, &edit(request, "/account_id", Some(json!(7))), "/account_id", "string");

    let s = Schema::StackOneCandidateResponse;
    accepts(s, &json!({ "data": { "id": null, "emails": [{ "type": "personal", "value": "ada@example.com" }] } }));
    refuses(s, &json!({ "data": { "emails": "ada@example.com" } }), "/data/emails", "array");
    refuses(s, &json!({ "id": "c-1" }), "/", "\"data\" is a required");

    let s = Schema::StackOneApplicationResponse;
    accepts(s, &json!({ "data": { "id": "a-1", "candidate_id": null, "job_id": "j-1" } }));
    refuses(s, &json!({ "data": { "candidate_id": 42 } }), "/data/candidate_id", "string");

    let s = Schema::StackOneJobResponse;
    accepts(s, &json!({ "data": { "id": "j-1", "title": "Engineer", "confidential": "false" } }));
    refuses(s, &json!({ "data": { "confidential": true } }), "/data/confidential", "true");
    refuses(s, &json!({ "data": { "hiring_team": {} } }), "/data/hiring_team", "array");
}

// ---- The table and the choke points ---------------------------------------

#[test]
fn the_routing_table_names_each_documented_exchange() {
    use Direction::{Reads, Receives, Sends};
    let cases: &[(Simulator, Direction, Method, &str, Option<Schema>)] = &[
        (
            Simulator::Assessio,
            Receives,
            Method::POST,
            "/recruitment/v1/assessment-order",
            Some(Schema::AssessioOrderRequest),
        ),
        (
            Simulator::Assessio,
            Receives,
            Method::POST,
            "/recruitment/v1/assessment-order-link",
            Some(Schema::AssessioOrderRequest),
        ),
        (Simulator::Assessio, Receives, Method::GET, "/recruitment/v1/config", None),
        (Simulator::Assessio, Sends, Method::POST, "/assessio/result", Some(Schema::AssessioResultWebhook)),
        (Simulator::Kombo, Receives, Method::PUT, "/v1/assessment/packages", Some(Schema::KomboPutPackagesRequest)),
        (
            Simulator::Kombo,
            Receives,
            Method::PUT,
            "/v1/assessment/orders/PZKt/result",
            Some(Schema::KomboPutOrderResultRequest),
        ),
        (Simulator::Kombo, Receives, Method::PUT, "/v1/assessment/orders//result", None),
        (Simulator::Kombo, Receives, Method::PUT, "/v1/assessment/orders/a/b/result", None),
        (Simulator::Kombo, Receives, Method::GET, "/v1/assessment/orders", None),
        (Simulator::Kombo, Sends, Method::POST, "/kombo/webhook", Some(Schema::KomboOrderReceivedWebhook)),
        (
            Simulator::Teamtailor,
            Receives,
            Method::PUT,
            "/partner/v1/partner-results/abc",
            Some(Schema::TeamtailorPartnerResultUpdate),
        ),
        (Simulator::Teamtailor, Sends, Method::POST, "/teamtailor/webhook", Some(Schema::TeamtailorPartnerEvent)),
        (Simulator::Teamtailor, Reads, Method::GET, "/teamtailor/config", Some(Schema::TeamtailorConfigResponse)),
        (Simulator::Teamtailor, Reads, Method::GET, "/teamtailor/configuration", None),
        (
            Simulator::StackOne,
            Receives,
            Method::PATCH,
            "/unified/ats/assessments/orders/o-1/result",
            Some(Schema::StackOneAssessmentResultRequest),
        ),
        (Simulator::StackOne, Receives, Method::PUT, "/unified/ats/assessments/orders/o-1/result", None),
        (Simulator::StackOne, Sends, Method::POST, "/stackone/webhook", Some(Schema::StackOneWebhookEvent)),
        // The table is per simulator: Kombo's path means nothing to StackOne.
        (Simulator::StackOne, Receives, Method::PUT, "/v1/assessment/packages", None),
    ];
    for (sim, direction, method, path, want) in cases {
        assert_eq!(schema_for(*sim, *direction, method, path), *want, "{sim} {direction:?} {method} {path}");
    }
    for route in SCHEMA_ROUTES {
        route.schema.compiled().unwrap();
    }
}

fn client() -> HttpClient {
    HttpClient::new(Duration::from_secs(10))
}

/// Sends `body` to `url` as the connector would, and asserts the simulator
/// refused it (400; Teamtailor's JSON:API answers 422), naming `schema` and
/// the field at `pointer` in its vendor's error shape.
async fn assert_refused(method: Method, url: &str, body: &Value, schema: Schema, pointer: &str) -> Value {
    let headers = [("Content-Type", "application/json")];
    let response = client().request(method, url, &headers, body.to_string()).await.unwrap();
    let expected = if schema.name().starts_with("teamtailor/") { 422 } else { 400 };
    assert_eq!(response.status, expected, "{}", response.text());
    let answer = response.json().expect("a JSON refusal");
    let text = answer.to_string();
    assert!(text.contains(schema.name()), "{answer}");
    assert!(text.contains(&format!("{pointer}: ")) || text.contains(&format!("\"pointer\":\"{pointer}\"")), "{answer}");
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn each_simulator_refuses_an_off_schema_body_before_its_handler_runs() {
    let assessio =
        AssessioSim::start(AssessioConfig::new(vec![Organisation::example("pk", Some("secret"), "api-key")]))
            .await
            .unwrap();
    let mut order = assessio_order();
    order["candidateDetails"].as_object_mut().unwrap().remove("email");
    let url = format!("{}/recruitment/v1/assessment-order", assessio.url());
    assert_refused(Method::POST, &url, &order, Schema::AssessioOrderRequest, "/candidateDetails").await;
    let refusals = assessio.schema_refusals();
    assert_eq!(refusals.len(), 1);
    assert_eq!((refusals[0].simulator, refusals[0].schema), (Simulator::Assessio, Schema::AssessioOrderRequest));
    // The handler never saw it.
    assert_eq!(assessio.attempt_count(), 0);

    let kombo = KomboSim::start(KomboConfig::new("kombo-key", &["int-1"], "whsec")).await.unwrap();
    let url = format!("{}/assessment/orders/PZKt/result", kombo.api_url());
    let outdated = json!({ "status": "COMPLETE", "result_url": "https://assessio.example/r/1" });
    let answer = assert_refused(Method::PUT, &url, &outdated, Schema::KomboPutOrderResultRequest, "/status").await;
    // In Kombo's own error shape, so the connector reads it as Kombo's.
    accepts(Schema::KomboErrorResponse, &answer);
    assert_eq!(answer["error"]["code"], "PLATFORM.INPUT_INVALID");
    let packages = json!({ "packages": [{ "id": "l:sv-SE", "name": "Lens", "description": "" }] });
    let url_packages = format!("{}/assessment/packages", kombo.api_url());
    assert_refused(Method::PUT, &url_packages, &packages, Schema::KomboPutPackagesRequest, "/packages/0").await;
    assert_eq!(kombo.schema_refusals().len(), 2);
    assert!(kombo.calls().is_empty(), "{:?}", kombo.calls());
    // A body the document allows goes on to the handler (which refuses the
    // missing credentials in Kombo's own way).
    let fine = json!({ "status": "COMPLETED", "result_url": "https://assessio.example/r/1", "completed_at": "2026-08-01T10:00:00Z" });
    let response =
        client().request(Method::PUT, &url, &[("Content-Type", "application/json")], fine.to_string()).await.unwrap();
    assert_eq!(response.status, 401, "{}", response.text());
    assert_eq!(kombo.calls().len(), 1);
    assert_eq!(kombo.schema_refusals().len(), 2);

    let teamtailor =
        TeamtailorSim::start(TeamtailorConfig::new("tt-key", None, &[("company-1", "provider-key")])).await.unwrap();
    let update = json!({ "data": { "type": "partner-results", "id": "pr-1", "attributes": { "candidate-id": 42, "status": "completed" } } });
    let url = format!("{}/partner/v1/partner-results/pr-1", teamtailor.url());
    let answer =
        assert_refused(Method::PUT, &url, &update, Schema::TeamtailorPartnerResultUpdate, "/data/attributes").await;
    assert_eq!(answer["errors"][0]["status"], "422", "JSON:API errors: {answer}");
    assert_eq!(teamtailor.schema_refusals().len(), 1);

    let stackone = StackOneSim::start(StackOneConfig::new("so-key", &["acc-1"], "whsec")).await.unwrap();
    let numeric = json!({ "score": { "value": 57, "max": "100" } });
    let url = format!("{}/unified/ats/assessments/orders/o-1/result", stackone.url());
    assert_refused(Method::PATCH, &url, &numeric, Schema::StackOneAssessmentResultRequest, "/score/value").await;
    let refusals = stackone.schema_refusals();
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].method, "PATCH");
    assert!(refusals[0].to_string().contains("stackone/assessment-result-request"), "{}", refusals[0]);
    assert!(stackone.calls().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
#[should_panic(expected = "the Kombo simulator was about to send POST")]
async fn a_simulator_that_would_send_an_off_schema_webhook_panics() {
    let receiver = Server::start_fn(|_: SimRequest| SimResponse::empty(StatusCode::OK)).await.unwrap();
    let drifted = json!({ "id": "evt", "type": "assessment:order-received", "data": { "id": "o-1" } });
    let kombo = client().for_simulator(Simulator::Kombo);
    let _ = kombo.request(Method::POST, &format!("{}/kombo/webhook", receiver.url()), &[], drifted.to_string()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_simulators_documented_webhook_goes_out_and_an_unchecked_client_sends_anything() {
    let receiver = Server::start_fn(|_: SimRequest| SimResponse::empty(StatusCode::OK)).await.unwrap();
    let url = format!("{}/kombo/webhook", receiver.url());
    let kombo = client().for_simulator(Simulator::Kombo);
    let event = payload("kombo-order-received.json").to_string();
    assert_eq!(kombo.request(Method::POST, &url, &[], event).await.unwrap().status, 200);
    let raw = kombo.unchecked().request(Method::POST, &url, &[], "not even JSON").await.unwrap();
    assert_eq!(raw.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn teamtailor_reads_the_config_answer_against_its_schema() {
    let documented = payload("teamtailor-config-response.json");
    let good = Server::start_fn(move |_: SimRequest| SimResponse::json(StatusCode::OK, &documented)).await.unwrap();
    let guess =
        json!({ "data": { "type": "partner-configs", "attributes": { "fields": [{ "value": "x", "label": "X" }] } } });
    let bad = Server::start_fn(move |_: SimRequest| SimResponse::json(StatusCode::OK, &guess)).await.unwrap();
    let teamtailor = client().for_simulator(Simulator::Teamtailor);

    let ok = teamtailor.request(Method::GET, &format!("{}/teamtailor/config", good.url()), &[], "").await.unwrap();
    assert_eq!(ok.status, 200);
    let err = teamtailor.request(Method::GET, &format!("{}/teamtailor/config", bad.url()), &[], "").await.unwrap_err();
    let ClientError::OffSchema { schema, errors } = &err else { panic!("{err}") };
    assert_eq!(*schema, Schema::TeamtailorConfigResponse);
    assert!(errors.iter().any(|e| e.contains("\"config\" is a required")), "{errors:?}");

    // Through the simulator: the off-schema answer is the simulator's error.
    let sim =
        TeamtailorSim::start(TeamtailorConfig::new("tt-key", None, &[("company-1", "provider-key")])).await.unwrap();
    let err = sim.fetch_config(&bad.url(), "provider-key").await.unwrap_err();
    assert!(err.to_string().contains("teamtailor/config-response"), "{err}");
}

/// The adapters' frozen write-back requests (`examples/calls/hubs/expected/`,
/// which the export tests hold the plugin to) routed through the same table
/// the simulators use: what the plugin builds must be what the vendor
/// documents, not only what our simulator accepts.
#[test]
fn the_adapters_frozen_write_backs_pass_the_vendors_schemas() {
    let cases = [
        ("kombo.result-request.json", Simulator::Kombo),
        ("stackone.result-request.json", Simulator::StackOne),
        ("teamtailor.result-request.json", Simulator::Teamtailor),
        ("teamtailor.progress-request.json", Simulator::Teamtailor),
    ];
    let mut failures = Vec::new();
    for (file, simulator) in cases {
        let path = repo().join("examples/calls/hubs/expected").join(file);
        let request: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let method = Method::from_bytes(request["method"].as_str().unwrap().to_ascii_uppercase().as_bytes()).unwrap();
        let url: http::Uri = request["url"].as_str().unwrap().parse().unwrap();
        let schema = schema_for(simulator, Direction::Receives, &method, url.path())
            .unwrap_or_else(|| panic!("{file}: {method} {} is no documented route of {simulator}", url.path()));
        let body = request["body"].as_str().expect("a text body");
        if let Err(errors) = schema::validate(schema, body.as_bytes()) {
            failures.push(format!("{file} against {schema}:\n    {}", errors.join("\n    ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
