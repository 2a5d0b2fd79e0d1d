//! `docs/openapi.json` against the gateway: the document is well-formed
//! `OpenAPI` 3.1, it lists exactly the routes in `routes.rs`'s route table, its
//! examples are bodies the gateway reads or writes, and the router's real
//! answers have the statuses and shapes it documents.

mod support;

use assessio_gateway::records::{OrderRecord, State};
use assessio_gateway::reply::{Incoming, Outgoing};
use assessio_gateway::routes;
use assessio_plugin::hubs::kombo::{parse_order_event, rejection_body, result_body};
use assessio_plugin::parse_result;
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
    for bearer in ["integratorApiKey", "operatorToken"] {
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

    let mut record = OrderRecord::new("kombo", INTEGRATION, "B5KQKhAgTv6ZwzrfAbqbhipd", "r", 0);
    record.reason = Some("why".into());
    let serialised = serde_json::to_value(&record).expect("serialises");
    assert_eq!(keys(&serialised), keys(&schemas["OrderRecord"]["properties"]));
    record.reason = None;
    let serialised = serde_json::to_value(&record).expect("serialises");
    let required: BTreeSet<String> = schemas["OrderRecord"]["required"]
        .as_array()
        .expect("required")
        .iter()
        .map(|v| v.to_string().replace('"', ""))
        .collect();
    assert_eq!(keys(&serialised), required);
    let states: Vec<Value> =
        [State::Placing, State::Placed, State::Rejected, State::Retrying, State::ResultReceived, State::WrittenBack]
            .iter()
            .map(|s| serde_json::to_value(s).expect("serialises"))
            .collect();
    assert_eq!(Value::Array(states), schemas["OrderState"]["enum"]);

    let example = &operation(&spec, "/orders/kombo/{integrationId}/{orderId}", "get")["responses"]["200"]["content"]["application/json"]
        ["example"];
    let tenant = example["tenant"].as_str().expect("tenant");
    let order = example["hub_order_id"].as_str().expect("order");
    let derived = assessio_plugin::ids::stable_id("result", &[&format!("kombo:{tenant}"), order]);
    assert_eq!(example["result_id"], derived.as_str(), "the record's result id is the one the gateway derives");

    // `Tally` is private to kombo.rs: read its fields from the source.
    let kombo = source("gateway/src/kombo.rs");
    let body =
        kombo.split("struct Tally {").nth(1).and_then(|s| s.split('}').next()).expect("struct Tally in kombo.rs");
    let fields: BTreeSet<String> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && !l.starts_with("#["))
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim().to_string()))
        .collect();
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
    let tenants =
        json!({ INTEGRATION: { "provider_key": "pk", "integrator_secret": "is", "default_locale": "sv-SE" } });
    let vars = [
        ("assessio_url", "http://assessio.test".to_string()),
        ("assessio_integrator_api_key", API_KEY.into()),
        ("kombo_url", "http://kombo.test".into()),
        ("kombo_api_key", "kombo-api-key-xyz".into()),
        ("kombo_webhook_secret", KOMBO_SECRET.into()),
        ("public_url", "https://gw.example".into()),
        ("operator_token", OPERATOR.into()),
        ("tenants", tenants.to_string()),
    ];
    Memory::offline(if configured { vars.to_vec() } else { Vec::new() })
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

/// Asserts the answer is documented: its status is listed for the operation
/// and its body matches the schema given for that status.
fn documented(spec: &Value, path: &str, method: &str, answer: &Outgoing, status: u16) {
    let body: Value = serde_json::from_slice(&answer.body).expect("the gateway answers JSON");
    assert_eq!(answer.status, status, "{method} {path}: {body}");
    assert_eq!(answer.content_type, "application/json");
    let response = operation(spec, path, method)["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{method} {path} answers {status}, which the spec does not list"));
    let schema = &resolve(spec, response)["content"]["application/json"]["schema"];
    check(spec, schema, &body, &format!("{method} {path} {status}")).unwrap();
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
    let orders = "/orders/kombo/{integrationId}/{orderId}";
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
    documented(&spec, "/kombo/webhook", "post", &call(&p, "POST", "/kombo/webhook", &signed(b"[]"), b"[]"), 400);
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
    for (path, method, _) in operations(&spec).into_iter().filter(|(p, _, _)| p != "/health") {
        let concrete = path.replace("{resultId}", "r").replace("{integrationId}", "i").replace("{orderId}", "o");
        documented(&spec, &path, &method, &call(&bare, &method.to_uppercase(), &concrete, &[], b""), 503);
        let (status, body) = generic(call(&bare, &method.to_uppercase(), &concrete, &[], b""), "Misconfigured");
        assert_eq!(status, 503);
        assert!(body["error"].as_str().expect("a message").starts_with("the gateway is misconfigured: setting `"));
    }
}
