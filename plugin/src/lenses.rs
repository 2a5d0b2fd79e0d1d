//! The organisation's catalog: which lenses and locales it may order.

use crate::account::Account;
use crate::error::{InputError, indexed};
use crate::http::{Header, HttpRequest, Method};
use crate::json::{self, Json};
use crate::validate;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Path of Assessio's catalog endpoint.
pub const CONFIG_PATH: &str = "/recruitment/v1/config";

/// A predefined test profile for a kind of role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lens {
    /// Passed back as an order's `lens-id`.
    pub id: String,
    /// What a recruiter recognises.
    pub name: String,
}

/// Lenses and locales, in Assessio's order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Catalog {
    /// Orderable lenses.
    pub lenses: Vec<Lens>,
    /// Invitation languages, as BCP 47 tags.
    pub locales: Vec<String>,
}

/// `GET /recruitment/v1/config` for this organisation.
pub fn config_request(account: &Account) -> Result<HttpRequest, InputError> {
    Ok(HttpRequest {
        method: Method::Get,
        url: account.url(CONFIG_PATH)?,
        headers: alloc::vec![account.provider_key_header()?, Header::new("Accept", "application/json"),],
        body: Vec::new(),
    })
}

/// Reads Assessio's answer to [`config_request`].
///
/// Both lists are required (an organisation with nothing to order is worth
/// an error, not an empty menu); a lens needs an id and a name.
pub fn list_lenses(body: &[u8]) -> Result<Catalog, InputError> {
    let obj = json::parse_object("the config response", body)?;
    let array = |key: &str| match obj.get(key) {
        None | Some(Json::Null) => Err(InputError::missing(key)),
        Some(Json::Array(items)) => Ok(items),
        Some(other) => Err(InputError::invalid(key, alloc::format!("must be an array, not {}", other.kind()))),
    };
    let lenses = array("availableLenses")?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = indexed("availableLenses", i);
            let Json::Object(lens) = item else {
                return Err(InputError::invalid(path, alloc::format!("must be an object, not {}", item.kind())));
            };
            let field = |key: &str| -> Result<String, InputError> {
                let p = alloc::format!("{path}.{key}");
                let v = json::req_str(lens, key, &p)?;
                validate::plain_text(&p, v.trim()).map(String::from)
            };
            Ok(Lens { id: field("id")?, name: field("name")? })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let locales = array("availableLocales")?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = indexed("availableLocales", i);
            match item {
                Json::String(s) if !s.trim().is_empty() => validate::plain_text(&path, s.trim()).map(String::from),
                Json::String(_) | Json::Null => Err(InputError::missing(path)),
                other => Err(InputError::invalid(path, alloc::format!("must be a string, not {}", other.kind()))),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Catalog { lenses, locales })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Environment;

    /// The example response in Assessio's API reference (seed 001).
    const SEED_CONFIG: &str = r#"{"availableLenses":[{"id":"7922dd91-1b44-43e4-a740-7c4d9c2fba41","name":"General Performance"}],"availableLocales":["en-US","sv-SE","nl-NL","nn-NO"]}"#;

    #[test]
    fn reads_the_seed_example() {
        let c = list_lenses(SEED_CONFIG.as_bytes()).unwrap();
        assert_eq!(
            c.lenses,
            [Lens { id: "7922dd91-1b44-43e4-a740-7c4d9c2fba41".into(), name: "General Performance".into() }]
        );
        assert_eq!(c.locales, ["en-US", "sv-SE", "nl-NL", "nn-NO"]);
    }

    #[test]
    fn names_the_field_at_fault() {
        let cases: [(&str, InputError); 5] = [
            (r#"{"availableLocales":[]}"#, InputError::missing("availableLenses")),
            (
                r#"{"availableLenses":[{"name":"x"}],"availableLocales":[]}"#,
                InputError::missing("availableLenses[0].id"),
            ),
            (
                r#"{"availableLenses":[],"availableLocales":["en-US",7]}"#,
                InputError::invalid("availableLocales[1]", "must be a string, not a number"),
            ),
            (
                r#"{"availableLenses":{},"availableLocales":[]}"#,
                InputError::invalid("availableLenses", "must be an array, not an object"),
            ),
            (
                r#"{"availableLenses":["x"],"availableLocales":[]}"#,
                InputError::invalid("availableLenses[0]", "must be an object, not a string"),
            ),
        ];
        for (body, want) in cases {
            assert_eq!(list_lenses(body.as_bytes()), Err(want), "{body}");
        }
    }

    #[test]
    fn the_request_goes_to_the_chosen_environment_with_the_key() {
        let mut account =
            Account { environment: Environment::Sandbox, provider_key: "pk_1".into(), integrator_secret: None };
        let r = config_request(&account).unwrap();
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.url, "https://sandbox.api.assessio.systems/recruitment/v1/config");
        assert_eq!(r.header("provider-key"), Some("pk_1"));
        account.environment = Environment::Custom("http://127.0.0.1:9/base/".into());
        assert_eq!(config_request(&account).unwrap().url, "http://127.0.0.1:9/base/recruitment/v1/config");
        account.environment = Environment::Production;
        assert_eq!(config_request(&account).unwrap().url, "https://api.assessio.online/recruitment/v1/config");
        account.provider_key = "has space".into();
        assert!(matches!(config_request(&account), Err(InputError::Invalid(p)) if p.field == "account.provider-key"));
    }
}
