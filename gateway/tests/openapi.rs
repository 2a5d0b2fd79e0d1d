//! `docs/openapi.json` against the gateway: the document is well-formed
//! `OpenAPI` 3.1, it lists exactly the routes in `routes.rs`'s route table, its
//! examples are bodies the gateway reads or writes, and the router's real
//! answers have the statuses and shapes it documents.

mod support;

use assessio_gateway::records::{OrderRecord, State};
use assessio_gateway::reply::{Incoming, Outgoing};
use assessio_gateway::routes;
use assessio_plugin::hubs::kombo::{parse_order_event, rejection_body, result_body};
use assessio_plugin::hubs::{stackone, teamtailor};
use assessio_plugin::{Catalog, Lens, parse_result};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use support::{Memory, block_on};

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const KOMBO_SECRET: &str = "kombo-webhook-secret-xyz";
const OPERATOR: &str = "operator-token-xyz";
const API_KEY: &str = "integrator-api-key-xyz";
const INTEGRATION: &str = "workday:CBNMt7dSNCzBdnRTx87dev4E";
const ORDERS: &str = "/orders/{hub}/{tenantId}/{orderId}";
const TT_KEY: &str = "teamtailor-provider-key-xyz";
/// The Teamtailor company (its `uuid`) of the spec's trigger example.
const TT_COMPANY: &str = "Qm3rT8aZ1xP";
const STACKONE_SECRET: &str = "stackone-webhook-secret-xyz";

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec() -> Value {
    let text = std::fs::read_to_string(root().join("docs/openapi.json")).expect("docs/openapi.json exists");
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
}

fn source(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).expect("gateway source readable")
}

/// Follows a local `$ref` (JSON pointer within the document).
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(spec, spec.pointer(r.strip_prefix('#').expect("local ref")).expect("ref resolves")),
        None => v,
    }
}

/// Every operation: (path, lower-case method, operation object).
fn operations(spec: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths is an object") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((path.clone(), method.to_string(), op));
            }
        }
    }
    out
}

fn operation<'a>(spec: &'a Value, path: &str, method: &str) -> &'a Value {
    &spec["paths"][path][method]
}

/// `{name}` in a path template becomes `{}`, so `{result-id}` and `{resultId}` compare equal.
fn normalise(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// The route table in `routes.rs`'s module doc: (METHOD, normalised path, optional query parameters).
fn route_table() -> Vec<(String, String, Vec<String>)> {
    let text = source("gateway/src/routes.rs");
    let rows: Vec<_> = text
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .map(|row| {
            let route = row.split('`').next().expect("a route cell");
            let (method, rest) = route.split_once(' ').expect("METHOD /path");
            let (path, optional) = match rest.split_once('[') {
                Some((path, opt)) => (path, opt.trim_end_matches(']')),
                None => (rest, ""),
            };
            let query = optional
                .strip_prefix('?')
                .map(|q| q.split('&').map(|kv| kv.split('=').next().unwrap_or_default().to_string()).collect())
                .unwrap_or_default();
            (method.to_string(), normalise(path), query)
        })
        .collect();
    assert!(rows.len() >= 6, "route table not found in routes.rs: {rows:?}");
    rows
}

fn walk_refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r);
            }
            m.values().for_each(|v| walk_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| walk_refs(v, out)),
        _ => {}
    }
}

/// The subset of JSON Schema the document uses.
fn check(spec: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(spec, schema);
    if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = alternatives.iter().filter(|s| check(spec, s, v, at).is_ok()).count();
        if matching != 1 {
            return Err(format!("{at}: matches {matching} of oneOf, not exactly one: {v}"));
        }
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        return Err(format!("{at}: {v} is not {c}"));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        return Err(format!("{at}: {v} is not one of {e:?}"));
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => return Err(format!("{at}: schema type {t} is malformed")),
        };
        let is = |t: &str| match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            "number" => v.is_number(),
            "integer" => v.is_i64() || v.is_u64(),
            other => panic!("unknown schema type {other}"),
        };
        if !types.iter().any(|t| is(t)) {
            return Err(format!("{at}: {v} is not of type {types:?}"));
        }
    }
    if let Some(n) = v.as_f64() {
        if schema.get("minimum").and_then(Value::as_f64).is_some_and(|min| n < min) {
            return Err(format!("{at}: {n} is below the minimum"));
        }
        if schema.get("maximum").and_then(Value::as_f64).is_some_and(|max| n > max) {
            return Err(format!("{at}: {n} is above the maximum"));
        }
    }
    if let (Some(s), Some(max)) = (v.as_str(), schema.get("maxLength").and_then(Value::as_u64))
        && s.chars().count() as u64 > max
    {
        return Err(format!("{at}: longer than {max}"));
    }
    if let (Some(items), Some(item_schema)) = (v.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(spec, item_schema, item, &format!("{at}[{i}]"))?;
        }
    }
    if let Some(obj) = v.as_object() {
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let key = key.as_str().expect("required names are strings");
            if !obj.contains_key(key) {
                return Err(format!("{at}: `{key}` is required"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, value) in obj {
            match (properties.and_then(|p| p.get(key)), schema.get("additionalProperties")) {
                (Some(s), _) | (None, Some(s @ Value::Object(_))) => check(spec, s, value, &format!("{at}.{key}"))?,
                (None, Some(Value::Bool(false))) => return Err(format!("{at}: `{key}` is not allowed")),
                (None, _) => {}
            }
        }
    }
    Ok(())
}

/// The examples of one media type object.
fn examples(media: &Value) -> Vec<(String, &Value)> {
    let mut out: Vec<(String, &Value)> = media.get("example").map(|e| ("example".to_string(), e)).into_iter().collect();
    for (name, e) in media.get("examples").and_then(Value::as_object).into_iter().flatten() {
        out.push((name.clone(), e.get("value").expect("examples carry a value")));
    }
    out
}

#[test]
fn the_document_is_well_formed_openapi_3_1() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["info"]["title"].is_string() && spec["info"]["version"].is_string());

    let mut refs = Vec::new();
    walk_refs(&spec, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("`{r}` is not a local ref"));
        assert!(spec.pointer(pointer).is_some(), "`{r}` does not resolve");
    }

    let schemes = spec["components"]["securitySchemes"].as_object().expect("security schemes");
    let mut ids = BTreeSet::new();
    let ops = operations(&spec);
    for (path, method, op) in &ops {
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        assert!(ids.insert(id.to_string()), "operationId {id} is used twice");
        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{method} {path} has no responses"));
        assert!(!responses.is_empty(), "{method} {path} has no responses");
        for (status, response) in responses {
            assert!(status.len() == 3 && status.parse::<u16>().is_ok(), "{method} {path}: status {status}");
            assert!(resolve(&spec, response)["description"].is_string(), "{method} {path} {status}: no description");
        }
        let security = op.get("security").or(spec.get("security")).and_then(Value::as_array);
        let security = security.unwrap_or_else(|| panic!("{method} {path} says nothing about auth"));
        for requirement in security {
            for name in requirement.as_object().expect("a security requirement object").keys() {
                assert!(schemes.contains_key(name), "{method} {path}: security scheme {name} is not defined");
            }
        }
        // Every `{param}` in the path is a required path parameter, and no other.
        let params: Vec<&Value> =
            op["parameters"].as_array().into_iter().flatten().map(|p| resolve(&spec, p)).collect();
        let in_path: BTreeSet<&str> =
            params.iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().expect("named")).collect();
        let templated: BTreeSet<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        assert_eq!(in_path, templated, "{method} {path}: path parameters");
        assert!(params.iter().filter(|p| p["in"] == "path").all(|p| p["required"] == true));
    }
    assert_eq!(ids.len(), ops.len());
    assert_eq!(
        schemes["komboSignature"],
        json!({"type": "apiKey", "in": "header", "name": "X-Kombo-Signature", "description": schemes["komboSignature"]["description"]})
    );
    assert_eq!(schemes["teamtailorSignature"]["name"], "Teamtailor-Signature");
    assert_eq!(schemes["stackoneSignature"]["name"], stackone::SIGNATURE_HEADER);
    for bearer in ["integratorApiKey", "operatorToken", "teamtailorProviderKey"] {
        assert_eq!((&schemes[bearer]["type"], &schemes[bearer]["scheme"]), (&json!("http"), &json!("bearer")));
    }
}

#[test]
fn the_spec_and_the_route_table_list_the_same_routes() {
    let spec = spec();
    let table = route_table();
    let in_table: BTreeSet<(String, String)> = table.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
    let in_spec: BTreeSet<(String, String)> =
        operations(&spec).into_iter().map(|(p, m, _)| (m.to_uppercase(), normalise(&p))).collect();
    assert_eq!(in_table, in_spec, "routes.rs's table and docs/openapi.json disagree");

    for (method, path, query) in &table {
        let (spec_path, _, op) = operations(&spec)
            .into_iter()
            .find(|(p, m, _)| normalise(p) == *path && m.to_uppercase() == *method)
            .expect("matched above");
        let spec_query: Vec<(String, bool)> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| resolve(&spec, p))
            .filter(|p| p["in"] == "query")
            .map(|p| (p["name"].as_str().expect("named").to_string(), p["required"] == true))
            .collect();
        let expected: Vec<(String, bool)> = query.iter().map(|q| (q.clone(), false)).collect();
        assert_eq!(spec_query, expected, "{method} {spec_path}: optional query parameters");
    }
}

#[test]
fn every_example_matches_its_schema() {
    let spec = spec();
    let mut checked = 0;
    for (path, method, op) in operations(&spec) {
        let mut media: Vec<(String, &Value)> = Vec::new();
        if let Some(content) = op.pointer("/requestBody/content").and_then(Value::as_object) {
            media.extend(content.iter().map(|(t, m)| (format!("request {t}"), m)));
        }
        for (status, response) in op["responses"].as_object().expect("responses") {
            for (t, m) in resolve(&spec, response)["content"].as_object().into_iter().flatten() {
                media.push((format!("{status} {t}"), m));
            }
        }
        for (what, m) in media {
            let schema = m.get("schema").unwrap_or_else(|| panic!("{method} {path} {what}: no schema"));
            let all = examples(m);
            assert!(!all.is_empty(), "{method} {path} {what}: no example");
            for (name, example) in all {
                check(&spec, schema, example, &format!("{method} {path} {what} example {name}")).unwrap();
                checked += 1;
            }
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            let p = resolve(&spec, p);
            if let Some(e) = p.get("example") {
                check(&spec, &p["schema"], e, &format!("{method} {path} parameter {}", p["name"])).unwrap();
            }
        }
    }
    assert!(checked >= 25, "only {checked} examples");
}

#[test]
fn the_webhook_examples_are_orders_the_gateway_reads() {
    let spec = spec();
    let op = operation(&spec, "/kombo/webhook", "post");
    let all = examples(&op["requestBody"]["content"]["application/json"]);
    assert_eq!(all.len(), 2, "the envelope and the bare order");
    for (name, example) in all {
        let body = serde_json::to_vec(example).expect("serialises");
        let event = parse_order_event(&body).unwrap_or_else(|e| panic!("example {name}: {e}"));
        assert_eq!(event.status, "OPEN");
        assert_eq!(event.order.order_id, "B5KQKhAgTv6ZwzrfAbqbhipd");
        assert_eq!(event.order.tenant, INTEGRATION);
        assert_eq!(event.order.package_id, "typescript_test");
        assert_eq!(event.order.candidate.first_name, "John");
        assert_eq!(event.order.collaborator_emails, ["jane.doe@gmail.com"]);
        assert_eq!(event.event_id.is_some(), name == "envelope", "{name}");
    }

    let media = &op["responses"]["422"]["content"]["application/json"];
    let example = &media["example"];
    let message = example["message"].as_str().expect("a message");
    let expected: Value = serde_json::from_slice(&rejection_body(message)).expect("JSON");
    assert_eq!(*example, expected);
}

#[test]
fn the_result_examples_are_results_the_gateway_reads() {
    let spec = spec();
    let op = operation(&spec, "/assessio/results/{resultId}", "post");
    let all: BTreeMap<String, &Value> =
        examples(&op["requestBody"]["content"]["application/json"]).into_iter().collect();
    for (name, example) in &all {
        let result = parse_result(&serde_json::to_vec(example).expect("serialises"))
            .unwrap_or_else(|e| panic!("example {name}: {e}"));
        assert_eq!(result.result_id, example["resultId"].as_str().expect("resultId"));
        assert_eq!(result.score, Some(71));
        assert_eq!(result.subscores.len(), 2);
        // Seed 001's example has no link, which is why the 422 exists.
        assert_eq!(result_body(&result, 0).is_ok(), example.get("assessmentReportUrl").is_some(), "{name}");
    }
    assert_eq!(all["seed"]["resultId"], "6ef46985-9ca2-4c65-a184-47fa0d332246");
    let path_example = op["parameters"][0]["example"].as_str().expect("a path example");
    assert_eq!(all["withLinks"]["resultId"], path_example);
}

#[test]
fn records_and_tallies_have_the_documented_fields() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let keys = |v: &Value| v.as_object().expect("object").keys().cloned().collect::<BTreeSet<_>>();

    let mut record =
        OrderRecord::new(assessio_gateway::hub::Hub::Kombo, INTEGRATION, "B5KQKhAgTv6ZwzrfAbqbhipd", "r", 0);
    record.reason = Some("why".into());
    record.update_url = Some("https://api.teamtailor.com/partner/v1/partner-results/pr-1".into());
    let serialised = serde_json::to_value(&record).expect("serialises");
    assert_eq!(keys(&serialised), keys(&schemas["OrderRecord"]["properties"]));
    record.reason = None;
    record.update_url = None;
    let serialised = serde_json::to_value(&record).expect("serialises");
    let required: BTreeSet<String> = schemas["OrderRecord"]["required"]
        .as_array()
        .expect("required")
        .iter()
        .map(|v| v.to_string().replace('"', ""))
        .collect();
    assert_eq!(keys(&serialised), required);
    let states: Vec<Value> = [
        State::Placing,
        State::Placed,
        State::Rejected,
        State::Retrying,
        State::Uncertain,
        State::ResultReceived,
        State::WrittenBack,
    ]
    .iter()
    .map(|s| serde_json::to_value(s).expect("serialises"))
    .collect();
    assert_eq!(Value::Array(states), schemas["OrderState"]["enum"]);

    let example = &operation(&spec, ORDERS, "get")["responses"]["200"]["content"]["application/json"]["example"];
    let hub = example["hub"].as_str().expect("hub");
    let tenant = example["tenant"].as_str().expect("tenant");
    let order = example["hub_order_id"].as_str().expect("order");
    let derived = assessio_plugin::ids::stable_id("result", &[&format!("{hub}:{tenant}"), order]);
    assert_eq!(example["result_id"], derived.as_str(), "the record's result id is the one the gateway derives");

    // The tallies' fields are private: read them from the source.
    let fields_of = |file: &str, name: &str| -> BTreeSet<String> {
        let text = source(file);
        let body = text
            .split(&format!("struct {name} {{"))
            .nth(1)
            .and_then(|s| s.split('}').next())
            .unwrap_or_else(|| panic!("struct {name} in {file}"));
        body.lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("//") && !l.starts_with("#["))
            .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim().to_string()))
            .collect()
    };
    let kept = fields_of("gateway/src/reconcile.rs", "KeptTally");
    assert_eq!(kept, keys(&schemas["KeptTally"]["properties"]));
    let required: BTreeSet<String> = schemas["KeptTally"]["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    assert_eq!(kept, required, "every kept tally field is always present");
    let fields = fields_of("gateway/src/kombo.rs", "Tally");
    assert_eq!(fields, keys(&schemas["Tally"]["properties"]));
    let required: BTreeSet<String> = schemas["Tally"]["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    assert_eq!(fields.difference(&required).collect::<Vec<_>>(), ["error"], "only `error` is skipped when empty");
}

fn offline(configured: bool) -> Memory {
    let org = json!({ "provider_key": "pk", "integrator_secret": "is", "default_locale": "sv-SE" });
    let tenants = json!({ INTEGRATION: org });
    let mut tt_org = org.clone();
    tt_org["teamtailor_provider_key"] = json!(TT_KEY);
    let vars = [
        ("assessio_url", "http://assessio.test".to_string()),
        ("assessio_integrator_api_key", API_KEY.into()),
        ("kombo_url", "http://kombo.test".into()),
        ("kombo_api_key", "kombo-api-key-xyz".into()),
        ("kombo_webhook_secret", KOMBO_SECRET.into()),
        ("public_url", "https://gw.example".into()),
        ("operator_token", OPERATOR.into()),
        ("tenants", tenants.to_string()),
        ("teamtailor_api_key", "teamtailor-api-key-xyz".into()),
        ("teamtailor_allow_unsigned", "true".into()),
        ("teamtailor_tenants", json!({ TT_COMPANY: tt_org }).to_string()),
        ("stackone_api_key", "stackone-api-key-xyz".into()),
        ("stackone_webhook_secret", STACKONE_SECRET.into()),
        ("stackone_tenants", json!({ "acc-1": org }).to_string()),
    ];
    Memory::offline(if configured { vars.to_vec() } else { Vec::new() })
}

/// Only Teamtailor configured: the other hubs' routes answer "hub not configured".
fn teamtailor_only() -> Memory {
    let mut p = offline(true);
    for v in [
        "kombo_api_key",
        "kombo_webhook_secret",
        "tenants",
        "stackone_api_key",
        "stackone_webhook_secret",
        "stackone_tenants",
    ] {
        p.vars.remove(v);
    }
    p
}

fn call(p: &Memory, method: &str, target: &str, headers: &[(&str, String)], body: &[u8]) -> Outgoing {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let req = Incoming {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: headers.iter().map(|(n, v)| ((*n).to_string(), v.clone())).collect(),
        body: body.to_vec(),
    };
    block_on(routes::handle(p, &req))
}

/// Asserts the answer is documented: its status is listed for the operation,
/// its media type for that status, and its body matches that media type's schema.
fn documented(spec: &Value, path: &str, method: &str, answer: &Outgoing, status: u16) {
    let media = answer.content_type.split(';').next().expect("a media type").trim();
    let body: Value = if media == "text/plain" {
        Value::String(String::from_utf8(answer.body.clone()).expect("UTF-8 text"))
    } else {
        serde_json::from_slice(&answer.body).expect("the gateway answers JSON")
    };
    assert_eq!(answer.status, status, "{method} {path}: {body}");
    let response = operation(spec, path, method)["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{method} {path} answers {status}, which the spec does not list"));
    let content = &resolve(spec, response)["content"][media];
    assert!(content.is_object(), "{method} {path} {status} answers {media}, which the spec does not list");
    check(spec, &content["schema"], &body, &format!("{method} {path} {status}")).unwrap();
}

fn signed(body: &[u8]) -> Vec<(&'static str, String)> {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(KOMBO_SECRET.as_bytes()).expect("any key");
    mac.update(body);
    vec![("x-kombo-signature", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))]
}

#[test]
fn the_router_answers_as_documented() {
    let spec = spec();
    let p = offline(true);
    let op = vec![("authorization", format!("Bearer {OPERATOR}"))];
    let assessio = vec![("authorization", format!("Bearer {API_KEY}"))];
    let order_path = format!("/orders/kombo/{INTEGRATION}/B5KQKhAgTv6ZwzrfAbqbhipd");
    let orders = ORDERS;
    let results = "/assessio/results/{resultId}";

    documented(&spec, "/health", "get", &call(&p, "GET", "/health", &[], b""), 200);

    // Without credentials.
    documented(&spec, "/kombo/webhook", "post", &call(&p, "POST", "/kombo/webhook", &[], b"{}"), 401);
    documented(&spec, results, "post", &call(&p, "POST", "/assessio/results/x", &[], b"{}"), 401);
    documented(&spec, "/kombo/packages/sync", "post", &call(&p, "POST", "/kombo/packages/sync", &[], b""), 401);
    documented(&spec, "/kombo/reconcile", "post", &call(&p, "POST", "/kombo/reconcile", &[], b""), 401);
    documented(&spec, orders, "get", &call(&p, "GET", &order_path, &[], b""), 401);

    // The operator's view before Kombo sent anything.
    documented(&spec, orders, "get", &call(&p, "GET", &order_path, &op, b""), 404);
    documented(&spec, orders, "get", &call(&p, "GET", "/orders/kombo/%ZZ/x", &op, b""), 400);

    // The seed order, signed; Assessio is unreachable, so "retry later".
    let envelope = &operation(&spec, "/kombo/webhook", "post")["requestBody"]["content"]["application/json"]["examples"]
        ["envelope"]["value"];
    let body = serde_json::to_vec(envelope).expect("serialises");
    documented(&spec, "/kombo/webhook", "post", &call(&p, "POST", "/kombo/webhook", &signed(&body), &body), 503);
    // JSON that cannot become an order is Kombo's 422 with a message; only a
    // body that is not JSON at all is a 400.
    documented(&spec, "/kombo/webhook", "post", &call(&p, "POST", "/kombo/webhook", &signed(b"[]"), b"[]"), 422);
    documented(&spec, "/kombo/webhook", "post", &call(&p, "POST", "/kombo/webhook", &signed(b"[}"), b"[}"), 400);
    let mut nameless = envelope.clone();
    nameless["data"]["candidate"]["last_name"] = Value::Null;
    let body = serde_json::to_vec(&nameless).expect("serialises");
    documented(&spec, "/kombo/webhook", "post", &call(&p, "POST", "/kombo/webhook", &signed(&body), &body), 422);
    let mut cancelled = envelope.clone();
    cancelled["data"]["status"] = json!("CANCELLED");
    let body = serde_json::to_vec(&cancelled).expect("serialises");
    documented(&spec, "/kombo/webhook", "post", &call(&p, "POST", "/kombo/webhook", &signed(&body), &body), 200);

    // The order now has a record; an operator can read it.
    documented(&spec, orders, "get", &call(&p, "GET", &order_path, &op, b""), 200);

    // Results: unknown id, mismatched id, no link, Kombo unreachable.
    let result_examples = &operation(&spec, results, "post")["requestBody"]["content"]["application/json"]["examples"];
    let seed = serde_json::to_vec(&result_examples["seed"]["value"]).expect("serialises");
    let seed_path = "/assessio/results/6ef46985-9ca2-4c65-a184-47fa0d332246";
    documented(&spec, results, "post", &call(&p, "POST", seed_path, &assessio, &seed), 404);
    documented(&spec, results, "post", &call(&p, "POST", "/assessio/results/other", &assessio, &seed), 400);
    let linked = &result_examples["withLinks"]["value"];
    let record_path = format!("/assessio/results/{}", linked["resultId"].as_str().expect("resultId"));
    let mut unlinked = linked.clone();
    unlinked.as_object_mut().expect("object").retain(|k, _| !k.ends_with("Url"));
    let body = serde_json::to_vec(&unlinked).expect("serialises");
    documented(&spec, results, "post", &call(&p, "POST", &record_path, &assessio, &body), 422);
    let body = serde_json::to_vec(linked).expect("serialises");
    documented(&spec, results, "post", &call(&p, "POST", &record_path, &assessio, &body), 502);

    // Operator runs with Assessio and Kombo unreachable.
    documented(&spec, "/kombo/reconcile", "post", &call(&p, "POST", "/kombo/reconcile", &op, b""), 502);
    documented(&spec, "/kombo/packages/sync", "post", &call(&p, "POST", "/kombo/packages/sync", &op, b""), 502);
    let only = format!("/kombo/packages/sync?integration={INTEGRATION}");
    documented(&spec, "/kombo/packages/sync", "post", &call(&p, "POST", &only, &op, b""), 502);
    let none = "/kombo/packages/sync?integration=nope";
    documented(&spec, "/kombo/packages/sync", "post", &call(&p, "POST", none, &op, b""), 404);

    // The generic answers, in the generic shape.
    let generic = |answer: Outgoing, component: &str| {
        let expected = &spec["components"]["responses"][component]["content"]["application/json"]["example"];
        let body: Value = serde_json::from_slice(&answer.body).expect("JSON");
        assert_eq!(body.as_object().expect("object").keys().collect::<Vec<_>>(), ["error"], "{component}: {body}");
        assert!(expected["error"].is_string(), "{component}'s example is the generic shape");
        (answer.status, body)
    };
    assert_eq!(generic(call(&p, "GET", "/nowhere", &[], b""), "NotFound"), (404, json!({"error": "no such route"})));
    assert_eq!(
        generic(call(&p, "GET", "/kombo/webhook", &[], b""), "MethodNotAllowed"),
        (405, json!({"error": "use POST"}))
    );
    assert_eq!(generic(call(&p, "POST", "/health", &[], b""), "MethodNotAllowed"), (405, json!({"error": "use GET"})));
    assert_eq!(
        generic(call(&p, "POST", &order_path, &op, b""), "MethodNotAllowed"),
        (405, json!({"error": "use GET"}))
    );
    assert_eq!(generic(call(&p, "GET", "/orders/kombo/only-one", &op, b""), "NotFound").0, 404);
    assert_eq!(generic(call(&p, "GET", "/%FF", &[], b""), "BadPath").0, 400);
    let unauthorized = &spec["components"]["responses"]["Unauthorized"]["content"]["application/json"]["example"];
    let answer = call(&p, "POST", "/kombo/reconcile", &[], b"");
    assert_eq!(serde_json::from_slice::<Value>(&answer.body).expect("JSON"), *unauthorized);

    // Unconfigured: every route but /health answers the generic 503.
    let bare = offline(false);
    documented(&spec, "/health", "get", &call(&bare, "GET", "/health", &[], b""), 503);
    // Teamtailor's dialog says so in its documented config body instead.
    let dialog = call(&bare, "GET", "/teamtailor/config", &[], b"");
    documented(&spec, "/teamtailor/config", "get", &dialog, 200);
    assert!(String::from_utf8_lossy(&dialog.body).contains(r#""type":"error""#));
    for (path, method, _) in
        operations(&spec).into_iter().filter(|(p, _, _)| p != "/health" && p != "/teamtailor/config")
    {
        let concrete = path
            .replace("{resultId}", "r")
            .replace("{hub}", "kombo")
            .replace("{tenantId}", "i")
            .replace("{orderId}", "o");
        documented(&spec, &path, &method, &call(&bare, &method.to_uppercase(), &concrete, &[], b""), 503);
        let (status, body) = generic(call(&bare, &method.to_uppercase(), &concrete, &[], b""), "Misconfigured");
        assert_eq!(status, 503);
        assert!(body["error"].as_str().expect("a message").starts_with("the gateway is misconfigured: setting `"));
    }
}

fn stackone_signed(body: &[u8]) -> Vec<(&'static str, String)> {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(STACKONE_SECRET.as_bytes()).expect("any key");
    mac.update(body);
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    vec![("x-stackone-signature", signature)]
}

fn example_body(spec: &Value, path: &str, name: &str) -> Value {
    operation(spec, path, "post")["requestBody"]["content"]["application/json"]["examples"][name]["value"].clone()
}

#[test]
fn the_teamtailor_and_stackone_examples_are_what_the_plugin_reads_and_writes() {
    let spec = spec();
    let trigger = serde_json::to_vec(&example_body(&spec, "/teamtailor/webhook", "trigger")).expect("serialises");
    let t = teamtailor::parse_trigger(&trigger).expect("the trigger example parses");
    assert_eq!(
        (t.event_id.as_str(), t.order.order_id.as_str(), t.order.tenant.as_str()),
        ("evt-1", "pr-42", TT_COMPANY)
    );
    assert_eq!(t.order.candidate.last_name, "Lovelace");
    assert!(t.update_url.starts_with("https://api.teamtailor.com/"));

    for example in ["references", "native"] {
        let event = serde_json::to_vec(&example_body(&spec, "/stackone/webhook", example)).expect("serialises");
        let e = stackone::parse_event(&event).expect("the StackOne example parses");
        assert_eq!(
            (e.record_id.as_str(), e.account_id.as_str(), e.event.as_str()),
            ("ord_8187e5da", "acc-1", stackone::ORDER_CREATED)
        );
        let package = e.package_id.as_deref().expect("a package");
        assert!(assessio_plugin::hubs::parse_package_id(package).is_ok(), "a package the connector published");
    }
    let native = serde_json::to_vec(&example_body(&spec, "/stackone/webhook", "native")).expect("serialises");
    let e = stackone::parse_event(&native).expect("parses");
    assert_eq!(stackone::next_lookup(&e), None, "the native example needs no look-up");
    assert_eq!(stackone::to_hub_order(&e).expect("an order").candidate.last_name, "Sestier");

    // The configuration example is what the plugin builds for its own options.
    let examples =
        &operation(&spec, "/teamtailor/config", "get")["responses"]["200"]["content"]["application/json"]["examples"];
    let config = &examples["dialog"]["value"];
    let fields = config["config"]["fields"].as_array().expect("fields");
    let options = |i: usize| fields[i]["options"].as_array().expect("options").clone();
    let catalog = Catalog {
        lenses: options(0)
            .iter()
            .map(|o| Lens { id: o["id"].as_str().expect("id").into(), name: o["label"].as_str().expect("name").into() })
            .collect(),
        locales: options(1).iter().map(|o| o["id"].as_str().expect("tag").to_string()).collect(),
    };
    let built: Value = serde_json::from_slice(&teamtailor::config_response(&catalog)).expect("JSON");
    assert_eq!(*config, built);
    let error = &examples["error"]["value"];
    let message = error["config"]["fields"][0]["message"].as_str().expect("a message");
    let built: Value = serde_json::from_slice(&teamtailor::config_error_response(message)).expect("JSON");
    assert_eq!(*error, built);

    let packages =
        &operation(&spec, "/stackone/packages", "post")["responses"]["200"]["content"]["application/json"]["example"];
    let data = packages["data"].as_array().expect("data");
    let catalog = Catalog {
        lenses: vec![Lens { id: "7922dd91-1b44-43e4-a740-7c4d9c2fba41".into(), name: "General Performance".into() }],
        locales: vec!["sv-SE".into()],
    };
    assert_eq!(data.len(), 1);
    let built: Value = serde_json::from_slice(&stackone::packages_body(&catalog)).expect("JSON");
    assert_eq!(*packages, built);
}

#[test]
fn the_teamtailor_stackone_and_reconcile_routes_answer_as_documented() {
    let spec = spec();
    let p = offline(true);
    let op = vec![("authorization", format!("Bearer {OPERATOR}"))];
    let tt = vec![("authorization", format!("Bearer {TT_KEY}"))];
    let (tt_config, tt_hook, so_hook) = ("/teamtailor/config", "/teamtailor/webhook", "/stackone/webhook");

    // Teamtailor's configuration, without and with the key; Assessio is
    // unreachable: each an error field in the documented 200 body.
    documented(&spec, tt_config, "get", &call(&p, "GET", tt_config, &[], b""), 200);
    let wrong = vec![("authorization", "Bearer nope".to_string())];
    documented(&spec, tt_config, "get", &call(&p, "GET", tt_config, &wrong, b""), 200);
    documented(&spec, tt_config, "get", &call(&p, "GET", tt_config, &tt, b""), 200);

    // The trigger: refused without the key, for another company, for a foreign
    // update URL, for a missing name, for a non-object; kept while Assessio is down.
    let trigger = example_body(&spec, tt_hook, "trigger");
    let send = |headers: &[(&str, String)], body: &Value| {
        call(&p, "POST", tt_hook, headers, &serde_json::to_vec(body).expect("serialises"))
    };
    documented(&spec, tt_hook, "post", &send(&[], &trigger), 401);
    let mut other_company = trigger.clone();
    other_company["company"]["uuid"] = json!("Lk9wE2nB7cD");
    documented(&spec, tt_hook, "post", &send(&tt, &other_company), 403);
    let mut foreign = trigger.clone();
    foreign["partner-event"]["partner-result"]["update-url"] = json!("https://evil.example/partner-results/pr-42");
    documented(&spec, tt_hook, "post", &send(&tt, &foreign), 422);
    let mut nameless = trigger.clone();
    nameless["partner-event"]["partner-result"]["id"] = json!("pr-43");
    nameless["partner-event"]["partner-result"]["update-url"] =
        json!("https://api.teamtailor.com/partner/v1/partner-results/pr-43");
    nameless["partner-event"]["candidate"]["last-name"] = Value::Null;
    documented(&spec, tt_hook, "post", &send(&tt, &nameless), 422);
    documented(&spec, tt_hook, "post", &call(&p, "POST", tt_hook, &tt, b"[]"), 400);
    documented(&spec, tt_hook, "post", &send(&tt, &trigger), 202);
    let record = call(&p, "GET", &format!("/orders/teamtailor/{TT_COMPANY}/pr-42"), &op, b"");
    documented(&spec, ORDERS, "get", &record, 200);

    // StackOne's order event. Only StackOne answers: its result route (so
    // that a refusal can be written back) and candidates, who have no last
    // name; Assessio and the other look-ups are unreachable.
    p.script(|r| {
        if r.url.ends_with("/result") {
            support::reply(200, r#"{"statusCode":200}"#)
        } else if r.url.contains("/unified/ats/candidates/") {
            support::reply(200, r#"{"data":{"id":"cand-1","first_name":"Romain","last_name":null}}"#)
        } else {
            Err("connection refused".into())
        }
    });
    let event = example_body(&spec, so_hook, "native");
    let post = |body: &Value| {
        let bytes = serde_json::to_vec(body).expect("serialises");
        call(&p, "POST", so_hook, &stackone_signed(&bytes), &bytes)
    };
    documented(&spec, so_hook, "post", &call(&p, "POST", so_hook, &[], b"{}"), 401);
    documented(&spec, so_hook, "post", &call(&p, "POST", so_hook, &stackone_signed(b"{}"), b"{\"a\":1}"), 401);
    documented(&spec, so_hook, "post", &post(&event), 202);
    let mut nameless = event.clone();
    nameless["record_id"] = json!("ord_2");
    nameless["event_data"]["candidate"]["last_name"] = Value::Null;
    documented(&spec, so_hook, "post", &post(&nameless), 200);
    let mut unknown = event.clone();
    unknown["account_id"] = json!("acc-unknown");
    documented(&spec, so_hook, "post", &post(&unknown), 200);
    let mut updated = event.clone();
    updated["event"] = json!("ats_assessments.updated");
    documented(&spec, so_hook, "post", &post(&updated), 200);
    documented(&spec, so_hook, "post", &call(&p, "POST", so_hook, &stackone_signed(b"[]"), b"[]"), 400);
    let references = example_body(&spec, so_hook, "references");
    documented(&spec, so_hook, "post", &post(&references), 503);

    // StackOne's packages list: signed; Assessio unreachable.
    let packages = "/stackone/packages";
    let query = br#"{"job_id":"49201091","account_id":"acc-1","provider":"teamtailor"}"#;
    documented(&spec, packages, "post", &call(&p, "POST", packages, &[], query), 401);
    documented(&spec, packages, "post", &call(&p, "POST", packages, &stackone_signed(query), query), 503);
    let stranger = br#"{"account_id":"acc-unknown"}"#;
    documented(&spec, packages, "post", &call(&p, "POST", packages, &stackone_signed(stranger), stranger), 404);
    documented(&spec, packages, "post", &call(&p, "POST", packages, &stackone_signed(b"{}"), b"{}"), 400);
    p.script(|_| Err("connection refused".into()));

    // Reconcile: without the token; then with Assessio and Kombo unreachable.
    documented(&spec, "/reconcile", "post", &call(&p, "POST", "/reconcile", &[], b""), 401);
    let answer = call(&p, "POST", "/reconcile", &op, b"");
    documented(&spec, "/reconcile", "post", &answer, 502);
    let report: Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_eq!(
        (report["teamtailor"]["retry_later"].as_u64(), report["stackone"]["retry_later"].as_u64()),
        (Some(1), Some(1))
    );

    // Hubs switched off answer "hub not configured".
    let only_tt = teamtailor_only();
    documented(&spec, "/kombo/webhook", "post", &call(&only_tt, "POST", "/kombo/webhook", &[], b"{}"), 404);
    documented(&spec, so_hook, "post", &call(&only_tt, "POST", so_hook, &[], b"{}"), 404);
    documented(&spec, "/kombo/reconcile", "post", &call(&only_tt, "POST", "/kombo/reconcile", &op, b""), 404);
    documented(&spec, "/kombo/packages/sync", "post", &call(&only_tt, "POST", "/kombo/packages/sync", &op, b""), 404);
    documented(&spec, "/reconcile", "post", &call(&only_tt, "POST", "/reconcile", &op, b""), 200);
    let mut only_kombo = offline(true);
    for v in
        ["teamtailor_api_key", "teamtailor_tenants", "stackone_api_key", "stackone_webhook_secret", "stackone_tenants"]
    {
        only_kombo.vars.remove(v);
    }
    documented(&spec, tt_config, "get", &call(&only_kombo, "GET", tt_config, &tt, b""), 200);
    documented(&spec, tt_hook, "post", &call(&only_kombo, "POST", tt_hook, &tt, b"{}"), 404);
    let health = call(&only_kombo, "GET", "/health", &[], b"");
    documented(&spec, "/health", "get", &health, 200);
    let health: Value = serde_json::from_slice(&health.body).expect("JSON");
    assert_eq!(health["hubs"]["teamtailor"], json!({ "enabled": false, "tenants": 0 }));
    assert_eq!(health["hubs"]["kombo"], json!({ "enabled": true, "tenants": 1 }));
}

/// Found by the API fuzzer (`docs/api-fuzzing.md`): a 405 came without
/// `Allow`, which RFC 9110 requires. Every method a path does not take is
/// answered 405 with `Allow` naming the one it does, as the spec's
/// `MethodNotAllowed` response documents.
#[test]
fn every_other_method_is_answered_405_with_allow_naming_the_route_s_method() {
    let spec = spec();
    let p = offline(true);
    let op = vec![("authorization", format!("Bearer {OPERATOR}"))];
    let allow_enum = &spec["components"]["responses"]["MethodNotAllowed"]["headers"]["Allow"];
    assert_eq!(allow_enum["required"], true);
    let mut checked = 0;
    for (path, method, _) in operations(&spec) {
        let concrete = path
            .replace("{resultId}", "r")
            .replace("{hub}", "kombo")
            .replace("{tenantId}", "i")
            .replace("{orderId}", "o");
        let documented_method = method.to_uppercase();
        for other in METHODS.iter().map(|m| m.to_uppercase()).filter(|m| *m != documented_method) {
            let answer = call(&p, &other, &concrete, &op, b"");
            assert_eq!(answer.status, 405, "{other} {path}");
            assert_eq!(answer.allow, Some(documented_method.as_str()), "{other} {path}: Allow");
            let listed = allow_enum["schema"]["enum"].as_array().expect("an enum");
            assert!(listed.contains(&json!(documented_method)), "{documented_method} is a documented Allow value");
            checked += 1;
        }
        assert_eq!(call(&p, &documented_method, &concrete, &op, b"").allow, None, "{method} {path}");
    }
    assert!(checked >= 70, "only {checked} method/path pairs");
}

/// The API fuzzer may see a 5xx only where the spec marks it
/// `x-retry-later: true`; so every 5xx the spec lists says which it is, and
/// says so in words too. Only `/health`'s 503 (a setting an operator must
/// fix) is not a "retry later".
#[test]
fn every_documented_5xx_says_whether_it_means_retry_later() {
    let spec = spec();
    let mut retry_later = 0;
    for (path, method, op) in operations(&spec) {
        for (status, response) in op["responses"].as_object().expect("responses") {
            if !status.starts_with('5') {
                continue;
            }
            let response = resolve(&spec, response);
            let marked = response["x-retry-later"].as_bool();
            let description = response["description"].as_str().expect("a description");
            assert_eq!(marked, Some(path != "/health"), "{method} {path} {status}: x-retry-later");
            if marked == Some(true) {
                assert!(description.starts_with("Retry later:"), "{method} {path} {status}: {description}");
                retry_later += 1;
            }
        }
    }
    assert!(retry_later >= 10, "only {retry_later} retry-later answers");
}

/// Found while fuzzing (a request the fuzzer cannot make: it never sends a
/// body this large): the 1 MiB limit answered plain text without a
/// `Content-Type`, unlike every other error. Now every route answers it 413
/// in the documented error shape, before reading anything else.
#[test]
fn an_oversized_body_is_answered_413_in_the_documented_shape_on_every_route() {
    let spec = spec();
    let p = offline(true);
    let op = vec![("authorization", format!("Bearer {OPERATOR}"))];
    let big = vec![b' '; routes::MAX_BODY + 1];
    for (path, method, _) in operations(&spec).into_iter().filter(|(_, m, _)| m == "post") {
        let concrete = path.replace("{resultId}", "r");
        let answer = call(&p, "POST", &concrete, &op, &big);
        documented(&spec, &path, &method, &answer, 413);
        assert_eq!(
            serde_json::from_slice::<Value>(&answer.body).expect("JSON"),
            json!({"error": "the request body is over 1 MiB"})
        );
    }
    // The limit itself is not an error.
    let at_limit = call(&p, "POST", "/kombo/webhook", &[], &vec![b' '; routes::MAX_BODY]);
    assert_eq!(at_limit.status, 401);
}
