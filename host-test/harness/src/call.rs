//! The JSON calling convention of `assessio call <function>`.
//!
//! Each function reads one JSON document and answers one. Names are the WIT's
//! kebab-case names, so the JSON reads like the contract. Request and webhook
//! bodies travel as text (`"body"`) or, for arbitrary bytes, as standard
//! base64 (`"body-base64"`). Two functions whose only input is a body Assessio
//! sent (`list-lenses`, `parse-result`) take that body itself as input.
//! Where `now` is left out, the host's clock supplies it (the plugin has none).

use crate::connector::Connector;
use assessio_plugin as core_api;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use component_sandbox::CallError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::fmt;

/// Every callable function: its name and the JSON it takes.
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("config-request", r#"{"account": ACCOUNT}"#),
    ("list-lenses", "the body of Assessio's /recruitment/v1/config answer, as it came"),
    (
        "build-order",
        r#"{"account": ACCOUNT, "order": ORDER, "endpoint": "order"|"order-link" (default "order"), "now": UNIX-SECONDS (default: this machine's clock)}"#,
    ),
    ("sign-request", r#"{"secret": "...", "timestamp": UNIX-SECONDS, "body": "text" | "body-base64": "..."}"#),
    (
        "verify-signature",
        r#"{"header": "t=...,signature=..." | null, "body": "text" | "body-base64": "...", "secret": "...", "now": UNIX-SECONDS (default: clock), "tolerance": SECONDS (default 300)}"#,
    ),
    ("parse-result", "the body of Assessio's result webhook, as it came"),
    (
        "interpret-order-response",
        r#"{"endpoint": "order"|"order-link" (default "order"), "status": 409, "body": "text" | "body-base64": "..." (default empty)}"#,
    ),
];

/// Why `call` produced no answer.
#[derive(Debug)]
pub enum CallFailure {
    /// The input JSON could not be read (exit code 2).
    BadInput(String),
    /// The connector refused the input with a typed error (exit code 1): the
    /// error as JSON, and in words.
    Refused(Value, String),
    /// The guest was stopped by a limit or trapped (exit code 3).
    Stopped(CallError),
}

impl CallFailure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused(..) => 1,
            Self::BadInput(_) => 2,
            Self::Stopped(_) => 3,
        }
    }
}

impl fmt::Display for CallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadInput(why) => write!(f, "cannot read the input: {why}"),
            Self::Refused(_, why) => write!(f, "the connector refused the input: {why}"),
            Self::Stopped(e) => write!(f, "{e}"),
        }
    }
}

/// A body given as text or as base64, never both.
#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct Body {
    body: Option<String>,
    body_base64: Option<String>,
}

impl Body {
    fn bytes(self, required: bool) -> Result<Vec<u8>, CallFailure> {
        match (self.body, self.body_base64) {
            (Some(_), Some(_)) => Err(CallFailure::BadInput("give `body` or `body-base64`, not both".into())),
            (Some(text), None) => Ok(text.into_bytes()),
            (None, Some(b64)) => BASE64
                .decode(b64.trim())
                .map_err(|e| CallFailure::BadInput(format!("`body-base64` is not standard base64: {e}"))),
            (None, None) if required => Err(CallFailure::BadInput("`body` (or `body-base64`) is required".into())),
            (None, None) => Ok(Vec::new()),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ConfigRequestIn {
    account: core_api::Account,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct BuildOrderIn {
    account: core_api::Account,
    order: core_api::OrderDetails,
    #[serde(default)]
    endpoint: core_api::OrderEndpoint,
    now: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct SignRequestIn {
    secret: String,
    timestamp: i64,
    body: Option<String>,
    body_base64: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct VerifySignatureIn {
    header: Option<String>,
    secret: String,
    now: Option<i64>,
    tolerance: Option<u32>,
    body: Option<String>,
    body_base64: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct InterpretIn {
    #[serde(default)]
    endpoint: core_api::OrderEndpoint,
    status: u16,
    body: Option<String>,
    body_base64: Option<String>,
}

fn read<T: DeserializeOwned>(input: &[u8]) -> Result<T, CallFailure> {
    serde_json::from_slice(input).map_err(|e| CallFailure::BadInput(redact_values(&e.to_string())))
}

/// serde quotes the offending value in type errors (``invalid type: integer
/// `987654321012`, expected a string``); that value may be a secret put in
/// the wrong place. Keep the kind and the position, drop the value.
pub fn redact_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(expected) = rest.find(", expected")
        {
            let found = &rest[..expected];
            let kind = found.split([' ', '`', '"']).next().unwrap_or(found);
            return format!("{prefix}{kind}{}", &rest[expected..]);
        }
    }
    message.to_string()
}

/// Seconds since the Unix epoch by this machine's clock.
pub fn unix_now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

/// A request as JSON: the body as text when it is UTF-8, else as base64.
pub fn request_json(r: &core_api::HttpRequest) -> Value {
    let mut v = json!({
        "method": r.method.as_str(),
        "url": r.url,
        "headers": r.headers,
    });
    match std::str::from_utf8(&r.body) {
        Ok(text) => v["body"] = json!(text),
        Err(_) => v["body-base64"] = json!(BASE64.encode(&r.body)),
    }
    v
}

fn answer<T, E>(r: Result<Result<T, E>, CallError>, ok: impl FnOnce(T) -> Value) -> Result<Value, CallFailure>
where
    E: serde::Serialize + fmt::Display,
{
    match r {
        Err(stopped) => Err(CallFailure::Stopped(stopped)),
        Ok(Err(refused)) => Err(CallFailure::Refused(json!({ "error": refused }), refused.to_string())),
        Ok(Ok(value)) => Ok(ok(value)),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("plain data always serialises")
}

/// One call, read and checked, not yet made: reading comes first, so a typo
/// in the input is reported before the plugin is compiled and loaded.
pub enum Request {
    /// `config-request`.
    ConfigRequest(core_api::Account),
    /// `list-lenses` on this body.
    ListLenses(Vec<u8>),
    /// `build-order`.
    BuildOrder(Box<(core_api::Account, core_api::OrderDetails)>, core_api::OrderEndpoint, i64),
    /// `sign-request`: secret, timestamp, body.
    SignRequest(String, i64, Vec<u8>),
    /// `verify-signature`: header, body, secret, now, tolerance.
    VerifySignature(Option<String>, Vec<u8>, String, i64, Option<u32>),
    /// `parse-result` on this body.
    ParseResult(Vec<u8>),
    /// `interpret-order-response`: endpoint, status, body.
    InterpretOrderResponse(core_api::OrderEndpoint, u16, Vec<u8>),
}

impl Request {
    /// Reads the JSON `input` for `function`.
    pub fn parse(function: &str, input: &[u8]) -> Result<Self, CallFailure> {
        Ok(match function {
            "config-request" => Self::ConfigRequest(read::<ConfigRequestIn>(input)?.account),
            "list-lenses" => Self::ListLenses(input.to_vec()),
            "build-order" => {
                let i: BuildOrderIn = read(input)?;
                Self::BuildOrder(Box::new((i.account, i.order)), i.endpoint, i.now.unwrap_or_else(unix_now))
            }
            "sign-request" => {
                let i: SignRequestIn = read(input)?;
                let body = Body { body: i.body, body_base64: i.body_base64 }.bytes(true)?;
                Self::SignRequest(i.secret, i.timestamp, body)
            }
            "verify-signature" => {
                let i: VerifySignatureIn = read(input)?;
                let body = Body { body: i.body, body_base64: i.body_base64 }.bytes(true)?;
                Self::VerifySignature(i.header, body, i.secret, i.now.unwrap_or_else(unix_now), i.tolerance)
            }
            "parse-result" => Self::ParseResult(input.to_vec()),
            "interpret-order-response" => {
                let i: InterpretIn = read(input)?;
                let body = Body { body: i.body, body_base64: i.body_base64 }.bytes(false)?;
                Self::InterpretOrderResponse(i.endpoint, i.status, body)
            }
            other => {
                let names: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
                return Err(CallFailure::BadInput(format!(
                    "no function `{other}`; the functions are: {}",
                    names.join(", ")
                )));
            }
        })
    }

    /// Makes the call through the plugin and returns its JSON answer.
    pub fn run(self, c: &Connector) -> Result<Value, CallFailure> {
        match self {
            Self::ConfigRequest(account) => answer(c.config_request(&account), |r| request_json(&r)),
            Self::ListLenses(body) => answer(c.list_lenses(&body), |v| to_json(&v)),
            Self::BuildOrder(parts, endpoint, now) => {
                answer(c.build_order(&parts.0, &parts.1, endpoint, now), |r| request_json(&r))
            }
            Self::SignRequest(secret, timestamp, body) => {
                answer(c.sign_request(&secret, timestamp, &body), |h| to_json(&h))
            }
            Self::VerifySignature(header, body, secret, now, tolerance) => {
                answer(c.verify_signature(header.as_deref(), &body, &secret, now, tolerance), |v| to_json(&v))
            }
            Self::ParseResult(body) => answer(c.parse_result(&body), |v| to_json(&v)),
            Self::InterpretOrderResponse(endpoint, status, body) => {
                c.interpret_order_response(endpoint, status, &body).map(|o| to_json(&o)).map_err(CallFailure::Stopped)
            }
        }
    }
}

/// Calls `function` with the JSON `input` and returns its JSON answer.
pub fn call(c: &Connector, function: &str, input: &[u8]) -> Result<Value, CallFailure> {
    Request::parse(function, input)?.run(c)
}

/// Calls a hub adapter (`kombo.parse-order-event`, `teamtailor.result-request`, …)
/// with JSON arguments named as in the WIT; see `dynamic.rs` for the convention.
/// The JSON is read before anything is called, and a refusal is reported as
/// `{"error": …}` like the core functions' refusals.
pub fn call_hub(c: &Connector, function: &str, input: &[u8]) -> Result<Value, CallFailure> {
    use crate::connector::ExportFailure;
    let args: Value =
        serde_json::from_slice(input).map_err(|e| CallFailure::BadInput(redact_values(&e.to_string())))?;
    match c.call_export(function, &args, unix_now()) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(error)) => {
            let words = serde_json::from_value::<core_api::InputError>(error.clone())
                .map(|e| e.to_string())
                .or_else(|_| serde_json::from_value::<core_api::SignatureError>(error.clone()).map(|e| e.to_string()))
                .unwrap_or_else(|_| error.to_string());
            Err(CallFailure::Refused(json!({ "error": error }), words))
        }
        Err(ExportFailure::Unknown(names)) => {
            let core: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
            Err(CallFailure::BadInput(format!(
                "no function `{function}`; the functions are: {}, {}",
                core.join(", "),
                names.join(", ")
            )))
        }
        Err(ExportFailure::BadInput(m)) => Err(CallFailure::BadInput(m.0)),
        Err(ExportFailure::Stopped(e)) => Err(CallFailure::Stopped(e)),
    }
}

/// Every hub adapter the loaded plugin exports, with the JSON it takes.
pub fn hub_functions(c: &Connector) -> Vec<(String, String)> {
    c.exported_functions()
        .into_iter()
        .map(|f| {
            let params: Vec<String> =
                f.params.iter().map(|(n, t)| format!("\"{n}\": {}", crate::dynamic::describe(t, 0))).collect();
            (f.name, format!("{{{}}}", params.join(", ")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_keep_kind_and_position_but_not_the_value() {
        let e = serde_json::from_str::<ConfigRequestIn>(
            r#"{"account":{"environment":"sandbox","provider-key":987654321012}}"#,
        )
        .err()
        .unwrap();
        let shown = redact_values(&e.to_string());
        assert!(!shown.contains("987654321012"), "{shown}");
        assert!(shown.starts_with("invalid type: integer, expected a string at line 1"), "{shown}");
        assert_eq!(
            redact_values(r#"invalid value: string "hunter2", expected u16 at line 1 column 9"#),
            "invalid value: string, expected u16 at line 1 column 9"
        );
        assert_eq!(redact_values("unknown field `phone`"), "unknown field `phone`");
    }
}
