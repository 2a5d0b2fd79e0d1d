//! The gateway's settings, read from Spin variables and checked.
//!
//! A missing or malformed setting is an error that names the setting and
//! never its value: several of them are credentials.

use crate::platform::Platform;
use std::collections::BTreeMap;
use std::fmt;

/// Spin variable names, as declared in `spin.toml`.
pub mod names {
    /// Assessio's origin, e.g. `https://sandbox.api.assessio.systems`.
    pub const ASSESSIO_URL: &str = "assessio_url";
    /// `order` (default) or `order-link`.
    pub const ASSESSIO_ORDER_ENDPOINT: &str = "assessio_order_endpoint";
    /// The token Assessio presents on result webhooks.
    pub const ASSESSIO_INTEGRATOR_API_KEY: &str = "assessio_integrator_api_key";
    /// Kombo's origin, e.g. `https://api.kombo.dev`; the API lives under `/v1`.
    pub const KOMBO_URL: &str = "kombo_url";
    /// Kombo's API key.
    pub const KOMBO_API_KEY: &str = "kombo_api_key";
    /// The secret Kombo signs webhooks with.
    pub const KOMBO_WEBHOOK_SECRET: &str = "kombo_webhook_secret";
    /// This gateway's public origin, for the `resultUpdateUrl` Assessio calls.
    pub const PUBLIC_URL: &str = "public_url";
    /// Bearer token for the operator routes.
    pub const OPERATOR_TOKEN: &str = "operator_token";
    /// JSON: Kombo integration id → that customer's Assessio organisation.
    pub const TENANTS: &str = "tenants";
}

/// One customer's Assessio organisation.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// Identifies the organisation at Assessio.
    pub provider_key: String,
    /// Signs orders; absent where Assessio switched signing off.
    #[serde(default)]
    pub integrator_secret: Option<String>,
    /// The invitation language for a package that names no locale.
    #[serde(default)]
    pub default_locale: Option<String>,
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant").field("default_locale", &self.default_locale).finish_non_exhaustive()
    }
}

/// Everything the gateway is configured with.
#[derive(Clone)]
pub struct Config {
    /// Assessio's origin, no trailing slash.
    pub assessio_url: String,
    /// Which order endpoint to use.
    pub order_endpoint: assessio_plugin::OrderEndpoint,
    /// What Assessio presents on result webhooks.
    pub integrator_api_key: String,
    /// Kombo's API base (origin + `/v1`).
    pub kombo_base_url: String,
    /// Kombo's API key.
    pub kombo_api_key: String,
    /// Kombo's webhook signing secret.
    pub kombo_webhook_secret: String,
    /// This gateway's public origin, no trailing slash.
    pub public_url: String,
    /// The operator routes' bearer token.
    pub operator_token: String,
    /// Kombo integration id → organisation.
    pub tenants: BTreeMap<String, Tenant>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("assessio_url", &self.assessio_url)
            .field("kombo_base_url", &self.kombo_base_url)
            .field("public_url", &self.public_url)
            .field("tenants", &self.tenants.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A setting that is missing or unusable. Names the setting only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The Spin variable.
    pub setting: &'static str,
    /// What is wrong, without the value.
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "setting `{}` {}", self.setting, self.problem)
    }
}

fn err(setting: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { setting, problem: problem.into() }
}

fn required(p: &impl Platform, setting: &'static str) -> Result<String, ConfigError> {
    match p.variable(setting) {
        Ok(Some(v)) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        Ok(_) => Err(err(setting, "is not set")),
        Err(_) => Err(err(setting, "could not be read from the runtime")),
    }
}

/// An origin: `http(s)://host[:port]`, nothing after it.
fn origin(p: &impl Platform, setting: &'static str) -> Result<String, ConfigError> {
    let v = required(p, setting)?;
    let v = v.trim_end_matches('/');
    let rest = v.strip_prefix("https://").or_else(|| v.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) => Ok(v.to_string()),
        _ => Err(err(setting, "must be an origin such as https://api.example.com (scheme and host, no path)")),
    }
}

impl Config {
    /// Reads and checks every setting, reporting the first problem.
    pub fn load(p: &impl Platform) -> Result<Self, ConfigError> {
        use names::{
            ASSESSIO_INTEGRATOR_API_KEY, ASSESSIO_ORDER_ENDPOINT, ASSESSIO_URL, KOMBO_API_KEY, KOMBO_URL,
            KOMBO_WEBHOOK_SECRET, OPERATOR_TOKEN, PUBLIC_URL, TENANTS,
        };
        let tenants_json = required(p, TENANTS)?;
        let tenants: BTreeMap<String, Tenant> = serde_json::from_str(&tenants_json).map_err(|e| {
            // serde's message may quote a value; keep only where it broke.
            err(TENANTS, format!("is not a JSON object of integration id → {{provider_key, integrator_secret, default_locale}} (line {}, column {})", e.line(), e.column()))
        })?;
        if tenants.is_empty() {
            return Err(err(TENANTS, "lists no integration"));
        }
        for (id, t) in &tenants {
            if t.provider_key.trim().is_empty() {
                return Err(err(TENANTS, format!("has no provider_key for integration `{id}`")));
            }
            if t.integrator_secret.as_deref().is_some_and(str::is_empty) {
                return Err(err(TENANTS, format!("has an empty integrator_secret for integration `{id}`")));
            }
        }
        let order_endpoint = match p.variable(ASSESSIO_ORDER_ENDPOINT).ok().flatten().as_deref().map(str::trim) {
            None | Some("" | "order") => assessio_plugin::OrderEndpoint::Order,
            Some("order-link") => assessio_plugin::OrderEndpoint::OrderLink,
            Some(_) => return Err(err(ASSESSIO_ORDER_ENDPOINT, "must be `order` or `order-link`")),
        };
        Ok(Self {
            assessio_url: origin(p, ASSESSIO_URL)?,
            order_endpoint,
            integrator_api_key: required(p, ASSESSIO_INTEGRATOR_API_KEY)?,
            kombo_base_url: format!("{}/v1", origin(p, KOMBO_URL)?),
            kombo_api_key: required(p, KOMBO_API_KEY)?,
            kombo_webhook_secret: required(p, KOMBO_WEBHOOK_SECRET)?,
            public_url: origin(p, PUBLIC_URL)?,
            operator_token: required(p, OPERATOR_TOKEN)?,
            tenants,
        })
    }

    /// The Assessio account of a Kombo integration.
    pub fn account(&self, tenant: &Tenant) -> assessio_plugin::Account {
        assessio_plugin::Account {
            environment: assessio_plugin::Environment::Custom(self.assessio_url.clone()),
            provider_key: tenant.provider_key.clone(),
            integrator_secret: tenant.integrator_secret.clone(),
        }
    }

    /// How to call Kombo for one integration.
    pub fn kombo(&self, integration_id: &str) -> assessio_plugin::hubs::kombo::KomboApi {
        assessio_plugin::hubs::kombo::KomboApi {
            base_url: self.kombo_base_url.clone(),
            api_key: self.kombo_api_key.clone(),
            integration_id: integration_id.to_string(),
        }
    }

    /// Where Assessio sends results: `resultUpdateUrl` = this + `/<result id>`.
    pub fn results_base_url(&self) -> String {
        format!("{}{}", self.public_url, crate::routes::RESULTS_PREFIX.trim_end_matches('/'))
    }

    /// Every secret in the configuration, so tests can scan output for them.
    pub fn secrets(&self) -> Vec<&str> {
        let mut s = vec![
            self.integrator_api_key.as_str(),
            self.kombo_api_key.as_str(),
            self.kombo_webhook_secret.as_str(),
            self.operator_token.as_str(),
        ];
        for t in self.tenants.values() {
            s.push(&t.provider_key);
            s.extend(t.integrator_secret.as_deref());
        }
        s
    }
}
