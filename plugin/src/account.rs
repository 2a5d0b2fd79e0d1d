//! Which Assessio organisation, in which environment, with which credentials.

use crate::error::InputError;
use crate::http::Header;
use crate::validate;
use alloc::string::String;
use serde::{Deserialize, Serialize};

/// Base URL of Assessio's sandbox.
pub const SANDBOX_URL: &str = "https://sandbox.api.assessio.systems";
/// Base URL of Assessio's production API.
pub const PRODUCTION_URL: &str = "https://api.assessio.online";

/// Which Assessio deployment to talk to: configuration, never code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Environment {
    /// Integration testing without live data.
    Sandbox,
    /// Live.
    Production,
    /// Any other base URL, such as a local simulator.
    Custom(String),
}

/// One Assessio organisation's credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Account {
    /// Where the organisation lives.
    pub environment: Environment,
    /// Sent as the `provider-key` header on every call.
    pub provider_key: String,
    /// Signs orders; `None` where Assessio has switched signing off.
    #[serde(default)]
    pub integrator_secret: Option<String>,
}

/// Credentials never reach a log through `{:?}`.
impl core::fmt::Debug for Account {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Account")
            .field("environment", &self.environment)
            .field("provider_key", &"<redacted>")
            .field("integrator_secret", &self.integrator_secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Account {
    /// The base URL without a trailing slash, checked.
    pub(crate) fn base_url(&self) -> Result<&str, InputError> {
        match &self.environment {
            Environment::Sandbox => Ok(SANDBOX_URL),
            Environment::Production => Ok(PRODUCTION_URL),
            Environment::Custom(url) => {
                validate::http_url("account.environment.custom", url, false).map(|u| u.trim_end_matches('/'))
            }
        }
    }

    /// `base + path`, for a path that starts with `/`.
    pub(crate) fn url(&self, path: &str) -> Result<String, InputError> {
        let mut url = String::from(self.base_url()?);
        url.push_str(path);
        Ok(url)
    }

    /// The `provider-key` header, refusing a key that could break the header.
    pub(crate) fn provider_key_header(&self) -> Result<Header, InputError> {
        validate::header_token("account.provider-key", &self.provider_key).map(|k| Header::new("provider-key", k))
    }

    /// The signing secret, if signing is on; an empty one is a mistake, not "off".
    pub(crate) fn signing_secret(&self) -> Result<Option<&str>, InputError> {
        match self.integrator_secret.as_deref() {
            Some("") => Err(InputError::missing("account.integrator-secret")),
            other => Ok(other),
        }
    }
}
