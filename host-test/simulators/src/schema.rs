//! The vendors' published API shapes as JSON Schemas (draft 2020-12), the
//! oracle the simulators are checked against.
//!
//! The simulators were first written from the same guesses as the adapters,
//! so a test could only show that both agree. These schemas were written from
//! the vendors' own documents instead (each schema's `description` names the
//! document and section, and says where the document is silent), so a body
//! that fails one is wrong by the vendor's word, not by ours:
//! `docs/vendor-apis.md` lists the same facts.
//!
//! The files in `schemas/<vendor>/` are embedded at build time, so a test or
//! `assessio up` never depends on the working directory, and each is compiled
//! once, on first use. Every `$ref` in them is local (`#/$defs/…`), and the
//! validator is built without its resolvers: nothing is ever fetched. Formats
//! (`email`, `uri`, `date-time`) are checked, not just annotated, because the
//! documents state them as requirements.
//!
//! This module depends on nothing of the connector (plugin or gateway): an
//! oracle that shared code with what it judges could share its mistakes.

use jsonschema::Validator;
use serde_json::Value;
use std::fmt;
use std::sync::OnceLock;

/// Longest single error message kept; `jsonschema` quotes the offending value
/// in its messages, and a whole nested object quoted would bury the point.
const MAX_MESSAGE: usize = 300;

macro_rules! schemas {
    ($($variant:ident => $name:literal,)*) => {
        /// One of the vendor schemas in `src/sim/schemas/`, named after its file.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Schema {
            $(
                #[doc = concat!("`schemas/", $name, ".json`.")]
                $variant,
            )*
        }

        impl Schema {
            /// Every schema, in file order.
            pub const ALL: &[Schema] = &[$(Schema::$variant),*];

            /// `<vendor>/<file stem>`, e.g. `kombo/order-received-webhook`:
            /// how errors and the docs name it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Schema::$variant => $name,)*
                }
            }

            /// The schema file's text, as embedded at build time.
            pub fn source(self) -> &'static str {
                match self {
                    $(Schema::$variant => include_str!(concat!("schemas/", $name, ".json")),)*
                }
            }
        }
    };
}

schemas! {
    AssessioConfigResponse => "assessio/config-response",
    AssessioOrderLinkResponse => "assessio/order-link-response",
    AssessioOrderRequest => "assessio/order-request",
    AssessioResultWebhook => "assessio/result-webhook",
    KomboErrorResponse => "kombo/error-response",
    KomboOpenOrdersResponse => "kombo/open-orders-response",
    KomboOrderReceivedWebhook => "kombo/order-received-webhook",
    KomboOrderRejectionResponse => "kombo/order-rejection-response",
    KomboPutOrderResultRequest => "kombo/put-order-result-request",
    KomboPutPackagesRequest => "kombo/put-packages-request",
    StackOneApplicationResponse => "stackone/application-response",
    StackOneAssessmentOrderResponse => "stackone/assessment-order-response",
    StackOneAssessmentResultRequest => "stackone/assessment-result-request",
    StackOneCandidateResponse => "stackone/candidate-response",
    StackOneJobResponse => "stackone/job-response",
    StackOnePackagesRequest => "stackone/packages-request",
    StackOnePackagesResponse => "stackone/packages-response",
    StackOneWebhookEvent => "stackone/webhook-event",
    TeamtailorConfigResponse => "teamtailor/config-response",
    TeamtailorPartnerEvent => "teamtailor/partner-event",
    TeamtailorPartnerResultUpdate => "teamtailor/partner-result-update",
}

/// One compiled validator per schema, in [`Schema::ALL`] order. A schema that
/// does not compile keeps its error, so every later use reports it instead of
/// recompiling.
static COMPILED: [OnceLock<Result<Validator, String>>; Schema::ALL.len()] =
    [const { OnceLock::new() }; Schema::ALL.len()];

impl Schema {
    /// The schema, parsed.
    pub fn document(self) -> Result<Value, String> {
        serde_json::from_str(self.source()).map_err(|e| format!("{}: not JSON: {e}", self.name()))
    }

    /// The compiled validator: checked against the draft 2020-12 metaschema,
    /// with format checking on and no way to fetch anything. Compiled on
    /// first use and kept.
    pub fn compiled(self) -> Result<&'static Validator, String> {
        let slot = &COMPILED[self as usize];
        slot.get_or_init(|| {
            let document = self.document()?;
            jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&document)
                .map_err(|e| format!("{}: does not compile: {e}", self.name()))
        })
        .as_ref()
        .map_err(Clone::clone)
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Checks `body` (raw bytes, as sent on the wire) against `schema`.
///
/// Every error is one line, `<JSON pointer>: <message>` (the pointer is `/`
/// for the whole body), in the validator's order, so a refusal says exactly
/// which field the document forbids. A body that is not JSON, or a schema
/// that does not compile, is one error too: the caller needs no second path.
pub fn validate(schema: Schema, body: &[u8]) -> Result<(), Vec<String>> {
    let validator = schema.compiled().map_err(|e| vec![e])?;
    let instance: Value = serde_json::from_slice(body).map_err(|e| vec![format!("/: the body is not JSON: {e}")])?;
    validate_value(validator, &instance)
}

/// [`validate`] for a body already parsed, e.g. a test's hand-made negative case.
pub fn validate_json(schema: Schema, instance: &Value) -> Result<(), Vec<String>> {
    let validator = schema.compiled().map_err(|e| vec![e])?;
    validate_value(validator, instance)
}

fn validate_value(validator: &Validator, instance: &Value) -> Result<(), Vec<String>> {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| {
            let pointer = e.instance_path().to_string();
            let pointer = if pointer.is_empty() { "/".to_owned() } else { pointer };
            format!("{pointer}: {}", shorten(&e.to_string()))
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Cuts a message to [`MAX_MESSAGE`] characters (on a character boundary).
fn shorten(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_embedded_ids() {
        for &schema in Schema::ALL {
            let document = schema.document().expect("embedded schemas are JSON");
            let id = document["$id"].as_str().unwrap_or_default();
            assert!(id.ends_with(&format!("/schemas/{}.json", schema.name())), "{schema}: $id {id}");
        }
    }

    #[test]
    fn errors_name_the_pointer() {
        let errors = validate(Schema::AssessioResultWebhook, br#"{"resultId":"r","score":101}"#).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("/score: "), "{errors:?}");
        let errors = validate(Schema::AssessioResultWebhook, b"{}").unwrap_err();
        assert!(errors[0].starts_with("/: ") && errors[0].contains("resultId"), "{errors:?}");
        let errors = validate(Schema::AssessioResultWebhook, b"not json").unwrap_err();
        assert!(errors[0].contains("not JSON"), "{errors:?}");
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "é".repeat(MAX_MESSAGE + 10);
        assert_eq!(shorten(&long).chars().count(), MAX_MESSAGE + 1);
        assert_eq!(shorten("short"), "short");
    }
}
