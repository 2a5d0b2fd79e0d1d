//! The gateway's settings, read from Spin variables and checked.
//!
//! A missing or malformed setting is an error that names the setting and
//! never its value: several of them are credentials.
//!
//! Each hub (Kombo, Teamtailor, StackOne) is optional: it is enabled by its
//! API key, and an enabled hub must be configured completely, so that a
//! deployment never half-serves a hub. At least one hub must be enabled.

use crate::connector::{Connector as _, Plugin};
use crate::hub::Hub;
use crate::platform::Platform;
use assessio_plugin::hubs::stackone::StackOneApi;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt;

/// Where Assessio sends results; a result id follows.
pub const RESULTS_PREFIX: &str = "/assessio/results/";

/// How long a finished order's record is kept when `record_retention_days`
/// is not set: long enough for any hub to stop redelivering the order (Kombo
/// and StackOne close it; Teamtailor never retries), short enough that the
/// store does not grow without end.
pub const DEFAULT_RETENTION_DAYS: i64 = 90;

/// The retention of finished records, in seconds, from the
/// `record_retention_days` setting; `None` keeps them forever (`0`). The
/// error says what is wrong with the setting, never its value.
pub fn retention(p: &impl Platform) -> Result<Option<i64>, String> {
    let days = match p.variable(names::RECORD_RETENTION_DAYS) {
        Ok(Some(v)) if !v.trim().is_empty() => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (0..=36_500).contains(d))
            .ok_or("must be a whole number of days from 0 (keep forever) to 36500")?,
        Ok(_) => DEFAULT_RETENTION_DAYS,
        Err(_) => return Err("could not be read from the runtime".into()),
    };
    Ok((days > 0).then_some(days * 24 * 3600))
}

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
    /// Kombo's API key; empty turns Kombo off.
    pub const KOMBO_API_KEY: &str = "kombo_api_key";
    /// The secret Kombo signs webhooks with.
    pub const KOMBO_WEBHOOK_SECRET: &str = "kombo_webhook_secret";
    /// This gateway's public origin, for the `resultUpdateUrl` Assessio calls.
    pub const PUBLIC_URL: &str = "public_url";
    /// Bearer token for the operator routes.
    pub const OPERATOR_TOKEN: &str = "operator_token";
    /// JSON: Kombo integration id → that customer's Assessio organisation.
    pub const TENANTS: &str = "tenants";
    /// Days a finished order's record is kept (default 90; `0` keeps it forever).
    pub const RECORD_RETENTION_DAYS: &str = "record_retention_days";
    /// Teamtailor's origin, e.g. `https://api.teamtailor.com`. Update URLs
    /// from triggers must lie under it.
    pub const TEAMTAILOR_URL: &str = "teamtailor_url";
    /// Teamtailor's partner API key; empty turns Teamtailor off.
    pub const TEAMTAILOR_API_KEY: &str = "teamtailor_api_key";
    /// The secret of `Teamtailor-Signature`; empty skips the signature check.
    pub const TEAMTAILOR_SIGNATURE_SECRET: &str = "teamtailor_signature_secret";
    /// JSON: Teamtailor company `uuid` (the partner event's `company.uuid`)
    /// → provider key and Assessio organisation.
    pub const TEAMTAILOR_TENANTS: &str = "teamtailor_tenants";
    /// StackOne's origin, e.g. `https://api.stackone.com`.
    pub const STACKONE_URL: &str = "stackone_url";
    /// StackOne's API key; empty turns StackOne off.
    pub const STACKONE_API_KEY: &str = "stackone_api_key";
    /// The secret StackOne signs webhooks (and packages requests) with.
    pub const STACKONE_WEBHOOK_SECRET: &str = "stackone_webhook_secret";
    /// During a rotation of that secret, the one being replaced; empty otherwise.
    pub const STACKONE_WEBHOOK_PREVIOUS_SECRET: &str = "stackone_webhook_previous_secret";
    /// JSON: StackOne account id → that customer's Assessio organisation.
    pub const STACKONE_TENANTS: &str = "stackone_tenants";
    /// The key result ids are derived with (HMAC-SHA256 of the hub's ids),
    /// so nobody can compute another customer's result id from public ids.
    /// Empty: unkeyed ids, and `/health` warns. Set it before the first
    /// order and keep it: a new key gives every order a new id.
    pub const RESULT_ID_KEY: &str = "result_id_key";
    /// `true` lets Teamtailor run without `teamtailor_signature_secret`
    /// (the provider key alone identifies the company); `/health` warns.
    pub const TEAMTAILOR_ALLOW_UNSIGNED: &str = "teamtailor_allow_unsigned";
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
    /// The integrator-api-key Assessio issued this organisation, which its
    /// result webhooks carry; absent: `assessio_integrator_api_key`. A result
    /// for this tenant's order with any other key is refused.
    #[serde(default)]
    pub integrator_api_key: Option<String>,
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant").field("default_locale", &self.default_locale).finish_non_exhaustive()
    }
}

/// One Teamtailor customer: the provider key Teamtailor presents for it, and
/// its Assessio organisation. Kept apart from [`Tenant`] so that a Kombo or
/// StackOne tenant cannot carry a Teamtailor key by mistake.
#[derive(Clone, PartialEq, Eq)]
pub struct TeamtailorTenant {
    /// What Teamtailor sends as `Authorization: Bearer` for this company.
    pub teamtailor_provider_key: String,
    /// The company's Assessio organisation; `None` while the company has
    /// activated the integration in Teamtailor but no Assessio organisation
    /// is linked yet (no `provider_key`). Teamtailor's dialog then says so,
    /// rather than the whole gateway refusing to start.
    pub assessio: Option<Tenant>,
}

impl fmt::Debug for TeamtailorTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamtailorTenant").field("assessio", &self.assessio).finish_non_exhaustive()
    }
}

/// The wire shape of a Teamtailor tenant in `teamtailor_tenants`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeamtailorTenant {
    teamtailor_provider_key: String,
    #[serde(default)]
    provider_key: Option<String>,
    #[serde(default)]
    integrator_secret: Option<String>,
    #[serde(default)]
    default_locale: Option<String>,
    #[serde(default)]
    integrator_api_key: Option<String>,
}

/// Kombo, when enabled.
#[derive(Clone)]
pub struct KomboHub {
    /// Kombo's API base (origin + `/v1`).
    pub base_url: String,
    /// Kombo's API key.
    pub api_key: String,
    /// Kombo's webhook signing secret.
    pub webhook_secret: String,
    /// Kombo integration id → organisation.
    pub tenants: BTreeMap<String, Tenant>,
}

impl KomboHub {
    /// How to call Kombo for one integration.
    pub fn api(&self, integration_id: &str) -> assessio_plugin::hubs::kombo::KomboApi {
        assessio_plugin::hubs::kombo::KomboApi {
            base_url: self.base_url.clone(),
            api_key: self.api_key.clone(),
            integration_id: integration_id.to_string(),
        }
    }
}

/// Teamtailor, when enabled.
#[derive(Clone)]
pub struct TeamtailorHub {
    /// Teamtailor's origin, no trailing slash. An update URL is only ever
    /// called when it starts with this plus `/`.
    pub base_url: String,
    /// The partner API key, for progress and result `PUT`s.
    pub api_key: String,
    /// The `Teamtailor-Signature` secret, when signatures are checked.
    pub signature_secret: Option<String>,
    /// Teamtailor company `uuid` → provider key and organisation.
    pub tenants: BTreeMap<String, TeamtailorTenant>,
}

impl TeamtailorHub {
    /// Whether the gateway may send to `url`: only under the configured
    /// `teamtailor_url` (origin plus `/`), so a stored URL can never make the
    /// gateway call another host with Teamtailor's API key.
    pub fn allows_update_url(&self, url: &str) -> bool {
        url.strip_prefix(self.base_url.as_str()).is_some_and(|rest| rest.starts_with('/'))
    }

    /// Whether `url` is exactly the update URL of partner result `result_id`
    /// as Teamtailor documents it (`<teamtailor_url>/partner/v1/partner-results/<id>`,
    /// `docs/vendor-apis.md`), and nothing else: not another result's, not a
    /// path with dot segments, percent-escapes, a query or a fragment. The
    /// gateway writes there with the partner-wide key, so a URL merely under
    /// the origin would let one company's trigger name another company's
    /// partner result.
    pub fn is_update_url_of(&self, url: &str, result_id: &str) -> bool {
        let plain = !result_id.is_empty()
            && result_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && result_id != "."
            && result_id != "..";
        plain && url == format!("{}/partner/v1/partner-results/{result_id}", self.base_url)
    }
}

/// StackOne, when enabled.
#[derive(Clone)]
pub struct StackOneHub {
    /// StackOne's origin, no trailing slash.
    pub base_url: String,
    /// StackOne's API key.
    pub api_key: String,
    /// The webhook signing secret.
    pub webhook_secret: String,
    /// The secret being rotated out, accepted alongside until it is removed.
    pub previous_webhook_secret: Option<String>,
    /// StackOne account id → organisation.
    pub tenants: BTreeMap<String, Tenant>,
}

impl StackOneHub {
    /// Every secret a webhook may be signed with now.
    pub fn webhook_secrets(&self) -> Vec<&str> {
        core::iter::once(self.webhook_secret.as_str()).chain(self.previous_webhook_secret.as_deref()).collect()
    }

    /// How to call StackOne for one linked account.
    pub fn api(&self, account_id: &str) -> StackOneApi {
        StackOneApi { base_url: self.base_url.clone(), api_key: self.api_key.clone(), account_id: account_id.into() }
    }
}

/// Assessio's side of the gateway, and this gateway's own origin: what a
/// request needs only once it sends to Assessio. A redelivered order is
/// answered from its record, so these are read when a request first asks
/// for them ([`Config::assessio`]), not with the hub's settings.
#[derive(Clone)]
pub struct AssessioSettings {
    /// Assessio's origin, no trailing slash.
    pub url: String,
    /// Which order endpoint to use.
    pub order_endpoint: assessio_plugin::OrderEndpoint,
    /// What Assessio presents on result webhooks.
    pub integrator_api_key: String,
    /// This gateway's public origin, no trailing slash.
    pub public_url: String,
}

impl AssessioSettings {
    fn load(p: &impl Platform) -> Result<Self, ConfigError> {
        use names::{ASSESSIO_INTEGRATOR_API_KEY, ASSESSIO_ORDER_ENDPOINT, ASSESSIO_URL, PUBLIC_URL};
        let order_endpoint = match optional(p, ASSESSIO_ORDER_ENDPOINT)?.as_deref() {
            None | Some("order") => assessio_plugin::OrderEndpoint::Order,
            Some("order-link") => assessio_plugin::OrderEndpoint::OrderLink,
            Some(_) => return Err(err(ASSESSIO_ORDER_ENDPOINT, "must be `order` or `order-link`")),
        };
        Ok(Self {
            url: origin(p, ASSESSIO_URL)?,
            order_endpoint,
            integrator_api_key: required(p, ASSESSIO_INTEGRATOR_API_KEY)?,
            public_url: origin(p, PUBLIC_URL)?,
        })
    }

    /// The Assessio account of one customer's organisation.
    pub fn account(&self, tenant: &Tenant) -> assessio_plugin::Account {
        assessio_plugin::Account {
            environment: assessio_plugin::Environment::Custom(self.url.clone()),
            provider_key: tenant.provider_key.clone(),
            integrator_secret: tenant.integrator_secret.clone(),
        }
    }

    /// Where Assessio sends results: `resultUpdateUrl` = this + `/<result id>`.
    pub fn results_base_url(&self) -> String {
        format!("{}{}", self.public_url, RESULTS_PREFIX.trim_end_matches('/'))
    }
}

impl fmt::Debug for AssessioSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssessioSettings")
            .field("url", &self.url)
            .field("order_endpoint", &self.order_endpoint)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// Everything the gateway is configured with.
///
/// The hubs' settings and `result_id_key` are read when the configuration
/// is loaded; Assessio's ([`Config::assessio`]) and the operator token
/// ([`Config::operator_token`]) when a request first needs them, since
/// every read is a host call (on Spin, from the environment, a thread
/// hand-off each) and a hub's redelivery needs neither. [`Config::load`]
/// reads them at once, so that `/health` checks every setting.
#[derive(Clone)]
pub struct Config {
    /// Kombo, when `kombo_api_key` is set.
    pub kombo: Option<KomboHub>,
    /// Teamtailor, when `teamtailor_api_key` is set.
    pub teamtailor: Option<TeamtailorHub>,
    /// StackOne, when `stackone_api_key` is set.
    pub stackone: Option<StackOneHub>,
    /// The key of result ids, when set.
    pub result_id_key: Option<String>,
    /// Assessio's settings, once read.
    assessio: OnceCell<AssessioSettings>,
    /// The operator token, once read.
    operator_token: OnceCell<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("assessio", &self.assessio.get())
            .field("kombo", &self.kombo.as_ref().map(|k| k.tenants.keys().collect::<Vec<_>>()))
            .field("teamtailor", &self.teamtailor.as_ref().map(|t| t.tenants.keys().collect::<Vec<_>>()))
            .field("stackone", &self.stackone.as_ref().map(|s| s.tenants.keys().collect::<Vec<_>>()))
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

/// A setting's trimmed value; `None` when absent or empty (Spin's manifest
/// gives optional settings an empty default).
fn optional(p: &impl Platform, setting: &'static str) -> Result<Option<String>, ConfigError> {
    match p.variable(setting) {
        Ok(Some(v)) if !v.trim().is_empty() => Ok(Some(v.trim().to_string())),
        Ok(_) => Ok(None),
        Err(_) => Err(err(setting, "could not be read from the runtime")),
    }
}

fn required(p: &impl Platform, setting: &'static str) -> Result<String, ConfigError> {
    optional(p, setting)?.ok_or_else(|| err(setting, "is not set"))
}

/// An origin: `http(s)://host[:port]`, nothing after it.
fn origin(p: &impl Platform, setting: &'static str) -> Result<String, ConfigError> {
    checked_origin(setting, &required(p, setting)?)
}

/// An origin with a default, the same as `spin.toml` declares (for a runtime
/// that does not pass the variable at all).
fn origin_or(p: &impl Platform, setting: &'static str, default: &str) -> Result<String, ConfigError> {
    checked_origin(setting, &optional(p, setting)?.unwrap_or_else(|| default.into()))
}

fn checked_origin(setting: &'static str, v: &str) -> Result<String, ConfigError> {
    let v = v.trim_end_matches('/');
    let rest = v.strip_prefix("https://").or_else(|| v.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ', '\\']) => Ok(v.to_string()),
        _ => Err(err(setting, "must be an origin such as https://api.example.com (scheme and host, no path)")),
    }
}

/// A JSON object of tenants; serde's message may quote a value, so only
/// where it broke is kept.
fn tenant_map<T: serde::de::DeserializeOwned>(
    p: &impl Platform,
    setting: &'static str,
    shape: &str,
) -> Result<BTreeMap<String, T>, ConfigError> {
    let text = optional(p, setting)?.unwrap_or_else(|| "{}".into());
    serde_json::from_str(&text).map_err(|e| {
        err(setting, format!("is not a JSON object of {shape} (line {}, column {})", e.line(), e.column()))
    })
}

/// Checks one organisation's credentials.
fn check_tenant(setting: &'static str, id: &str, t: &Tenant) -> Result<(), ConfigError> {
    if id.trim().is_empty() {
        return Err(err(setting, "has an empty id"));
    }
    if t.provider_key.trim().is_empty() {
        return Err(err(setting, format!("has no provider_key for `{id}`")));
    }
    if t.integrator_secret.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return Err(err(setting, format!("has an empty or blank integrator_secret for `{id}`")));
    }
    if t.integrator_api_key.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return Err(err(setting, format!("has an empty or blank integrator_api_key for `{id}`")));
    }
    Ok(())
}

/// A hub's key, secret and tenants must be set together: `key` decides
/// whether the hub is on (`Some(key's value)`), and the others may not be
/// set without it. The key is read once and handed back, since every read
/// of a setting is a host call (on Spin, a thread hand-off each).
fn hub_key(
    p: &impl Platform,
    key: &'static str,
    tenants_empty: bool,
    others: &[&'static str],
) -> Result<Option<String>, ConfigError> {
    if let Some(value) = optional(p, key)? {
        return Ok(Some(value));
    }
    for other in others {
        if optional(p, other)?.is_some() {
            return Err(err(key, format!("is not set, but `{other}` is: set both, or neither")));
        }
    }
    if !tenants_empty {
        return Err(err(key, "is not set, but the hub's tenants are: set both, or neither"));
    }
    Ok(None)
}

fn load_kombo(p: &impl Platform) -> Result<Option<KomboHub>, ConfigError> {
    use names::{KOMBO_API_KEY, KOMBO_URL, KOMBO_WEBHOOK_SECRET, TENANTS};
    let tenants: BTreeMap<String, Tenant> =
        tenant_map(p, TENANTS, "integration id → {provider_key, integrator_secret, default_locale}")?;
    for (id, t) in &tenants {
        check_tenant(TENANTS, id, t)?;
    }
    let Some(api_key) = hub_key(p, KOMBO_API_KEY, tenants.is_empty(), &[KOMBO_WEBHOOK_SECRET])? else {
        return Ok(None);
    };
    if tenants.is_empty() {
        return Err(err(TENANTS, "lists no integration"));
    }
    Ok(Some(KomboHub {
        base_url: format!("{}/v1", origin(p, KOMBO_URL)?),
        api_key,
        webhook_secret: required(p, KOMBO_WEBHOOK_SECRET)?,
        tenants,
    }))
}

fn load_teamtailor(p: &impl Platform) -> Result<Option<TeamtailorHub>, ConfigError> {
    use names::{TEAMTAILOR_API_KEY, TEAMTAILOR_SIGNATURE_SECRET, TEAMTAILOR_TENANTS, TEAMTAILOR_URL};
    let raw: BTreeMap<String, RawTeamtailorTenant> = tenant_map(
        p,
        TEAMTAILOR_TENANTS,
        "company uuid → {teamtailor_provider_key, provider_key, integrator_secret, default_locale}",
    )?;
    let mut tenants = BTreeMap::new();
    for (id, r) in raw {
        let assessio = match r.provider_key {
            Some(provider_key) => {
                let t = Tenant {
                    provider_key,
                    integrator_secret: r.integrator_secret,
                    default_locale: r.default_locale,
                    integrator_api_key: r.integrator_api_key,
                };
                check_tenant(TEAMTAILOR_TENANTS, &id, &t)?;
                Some(t)
            }
            None if r.integrator_secret.is_some() || r.default_locale.is_some() || r.integrator_api_key.is_some() => {
                return Err(err(TEAMTAILOR_TENANTS, format!("has settings but no provider_key for company `{id}`")));
            }
            None if id.trim().is_empty() => return Err(err(TEAMTAILOR_TENANTS, "has an empty id")),
            None => None,
        };
        let key = r.teamtailor_provider_key.trim().to_string();
        if key.is_empty() {
            return Err(err(TEAMTAILOR_TENANTS, format!("has no teamtailor_provider_key for company `{id}`")));
        }
        let shared = tenants.iter().find(|(_, t): &(&String, &TeamtailorTenant)| t.teamtailor_provider_key == key);
        if let Some((other, _)) = shared {
            return Err(err(
                TEAMTAILOR_TENANTS,
                format!("gives companies `{other}` and `{id}` the same teamtailor_provider_key"),
            ));
        }
        tenants.insert(id, TeamtailorTenant { teamtailor_provider_key: key, assessio });
    }
    let Some(api_key) = hub_key(p, TEAMTAILOR_API_KEY, tenants.is_empty(), &[TEAMTAILOR_SIGNATURE_SECRET])? else {
        return Ok(None);
    };
    if tenants.is_empty() {
        return Err(err(TEAMTAILOR_TENANTS, "lists no company"));
    }
    let signature_secret = optional(p, TEAMTAILOR_SIGNATURE_SECRET)?;
    let allow_unsigned = match optional(p, names::TEAMTAILOR_ALLOW_UNSIGNED)?.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(err(names::TEAMTAILOR_ALLOW_UNSIGNED, "must be `true` or `false`")),
    };
    if signature_secret.is_none() && !allow_unsigned {
        return Err(err(
            TEAMTAILOR_SIGNATURE_SECRET,
            "is not set: triggers would be taken on the provider key alone; set it, or set \
             `teamtailor_allow_unsigned` to `true` to accept that",
        ));
    }
    Ok(Some(TeamtailorHub {
        base_url: origin_or(p, TEAMTAILOR_URL, "https://api.teamtailor.com")?,
        api_key,
        signature_secret,
        tenants,
    }))
}

fn load_stackone(p: &impl Platform) -> Result<Option<StackOneHub>, ConfigError> {
    use names::{
        STACKONE_API_KEY, STACKONE_TENANTS, STACKONE_URL, STACKONE_WEBHOOK_PREVIOUS_SECRET, STACKONE_WEBHOOK_SECRET,
    };
    let tenants: BTreeMap<String, Tenant> =
        tenant_map(p, STACKONE_TENANTS, "account id → {provider_key, integrator_secret, default_locale}")?;
    for (id, t) in &tenants {
        check_tenant(STACKONE_TENANTS, id, t)?;
    }
    let Some(api_key) = hub_key(p, STACKONE_API_KEY, tenants.is_empty(), &[STACKONE_WEBHOOK_SECRET])? else {
        return Ok(None);
    };
    let webhook_secret = required(p, STACKONE_WEBHOOK_SECRET)?;
    if tenants.is_empty() {
        return Err(err(STACKONE_TENANTS, "lists no account"));
    }
    Ok(Some(StackOneHub {
        base_url: origin_or(p, STACKONE_URL, "https://api.stackone.com")?,
        api_key,
        webhook_secret,
        previous_webhook_secret: optional(p, STACKONE_WEBHOOK_PREVIOUS_SECRET)?,
        tenants,
    }))
}

impl Config {
    /// Reads and checks every setting, reporting the first problem.
    pub fn load(p: &impl Platform) -> Result<Self, ConfigError> {
        Self::load_for(p, None)
    }

    /// As [`Config::load`], but with `Some(hub)` only that hub's settings
    /// and `result_id_key`: the other hubs read as off, and Assessio's
    /// settings and the operator token wait until asked for. A hub's own
    /// routes load this way, so a request reads the settings it uses and
    /// parses one tenant table, not three, and one hub's broken setting does
    /// not stop another hub's orders (`/health` still checks every setting).
    pub fn load_for(p: &impl Platform, only: Option<Hub>) -> Result<Self, ConfigError> {
        let wanted = |hub: Hub| only.is_none_or(|o| o == hub);
        let kombo = if wanted(Hub::Kombo) { load_kombo(p)? } else { None };
        let teamtailor = if wanted(Hub::Teamtailor) { load_teamtailor(p)? } else { None };
        let stackone = if wanted(Hub::StackOne) { load_stackone(p)? } else { None };
        let Some(hub) = only else {
            if kombo.is_none() && teamtailor.is_none() && stackone.is_none() {
                return Err(err(
                    names::KOMBO_API_KEY,
                    "is not set, and neither is `teamtailor_api_key` nor `stackone_api_key`: enable at least one hub",
                ));
            }
            retention(p).map_err(|problem| err(names::RECORD_RETENTION_DAYS, problem))?;
            let all = Self::assemble(p, kombo, teamtailor, stackone)?;
            all.assessio(p)?;
            all.operator_token(p)?;
            return Ok(all);
        };
        let on = match hub {
            Hub::Kombo => kombo.is_some(),
            Hub::Teamtailor => teamtailor.is_some(),
            Hub::StackOne => stackone.is_some(),
        };
        if !on {
            // The route's hub is off. Check the rest too, so that a gateway
            // with nothing set says it is misconfigured on every route; a
            // rare answer, so the whole check is affordable.
            return Self::load(p);
        }
        Self::assemble(p, kombo, teamtailor, stackone)
    }

    fn assemble(
        p: &impl Platform,
        kombo: Option<KomboHub>,
        teamtailor: Option<TeamtailorHub>,
        stackone: Option<StackOneHub>,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            kombo,
            teamtailor,
            stackone,
            result_id_key: optional(p, names::RESULT_ID_KEY)?,
            assessio: OnceCell::new(),
            operator_token: OnceCell::new(),
        })
    }

    /// Assessio's settings, read on first use and kept for the rest of the
    /// request.
    pub fn assessio(&self, p: &impl Platform) -> Result<&AssessioSettings, ConfigError> {
        if let Some(settings) = self.assessio.get() {
            return Ok(settings);
        }
        let settings = AssessioSettings::load(p)?;
        Ok(self.assessio.get_or_init(|| settings))
    }

    /// The operator routes' bearer token, read on first use.
    pub fn operator_token(&self, p: &impl Platform) -> Result<&str, ConfigError> {
        if let Some(token) = self.operator_token.get() {
            return Ok(token);
        }
        let token = required(p, names::OPERATOR_TOKEN)?;
        Ok(self.operator_token.get_or_init(|| token))
    }

    /// The result id of a hub's order: the key of its record, and the id
    /// Assessio echoes with the result. Keyed with `result_id_key` when set.
    pub fn result_id(&self, hub: Hub, tenant: &str, order_id: &str) -> String {
        Plugin::result_id(hub.as_str(), tenant, order_id, self.result_id_key.as_deref().map(str::as_bytes))
    }

    /// The organisation of a hub's customer, if configured.
    pub fn tenant(&self, hub: Hub, tenant: &str) -> Option<&Tenant> {
        match hub {
            Hub::Kombo => self.kombo.as_ref()?.tenants.get(tenant),
            Hub::Teamtailor => self.teamtailor.as_ref()?.tenants.get(tenant)?.assessio.as_ref(),
            Hub::StackOne => self.stackone.as_ref()?.tenants.get(tenant),
        }
    }

    /// The integrator-api-key a result for this customer's order must carry.
    pub fn integrator_api_key_for<'a>(&'a self, assessio: &'a AssessioSettings, hub: Hub, tenant: &str) -> &'a str {
        self.tenant(hub, tenant).and_then(|t| t.integrator_api_key.as_deref()).unwrap_or(&assessio.integrator_api_key)
    }

    /// Every integrator-api-key a result may carry (the shared one and each
    /// organisation's own), to refuse a caller with none before any lookup.
    pub fn integrator_api_keys<'a>(&'a self, assessio: &'a AssessioSettings) -> Vec<&'a str> {
        let mut keys = vec![assessio.integrator_api_key.as_str()];
        let tenants = self.kombo.iter().flat_map(|k| k.tenants.values());
        let tenants =
            tenants.chain(self.teamtailor.iter().flat_map(|t| t.tenants.values().filter_map(|t| t.assessio.as_ref())));
        let tenants = tenants.chain(self.stackone.iter().flat_map(|s| s.tenants.values()));
        keys.extend(tenants.filter_map(|t| t.integrator_api_key.as_deref()));
        keys
    }

    /// What an operator should know is weaker than it could be, for
    /// `/health`: names settings, never values.
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut w = Vec::new();
        if self.result_id_key.is_none() {
            w.push("`result_id_key` is not set: result ids are derived from the hubs' public ids without a key");
        }
        if self.teamtailor.as_ref().is_some_and(|t| t.signature_secret.is_none()) {
            w.push("`teamtailor_allow_unsigned` is true: Teamtailor triggers are taken without a signature");
        }
        w
    }

    /// Which hubs are on, with how many customers each, for `/health`.
    pub fn hubs(&self) -> [(Hub, Option<usize>); 3] {
        Hub::ALL.map(|hub| {
            let tenants = match hub {
                Hub::Kombo => self.kombo.as_ref().map(|k| k.tenants.len()),
                Hub::Teamtailor => self.teamtailor.as_ref().map(|t| t.tenants.len()),
                Hub::StackOne => self.stackone.as_ref().map(|s| s.tenants.len()),
            };
            (hub, tenants)
        })
    }

    /// Every secret in the configuration, so tests can scan output for them
    /// (of Assessio's settings and the operator token, those read so far:
    /// all of them after [`Config::load`]).
    pub fn secrets(&self) -> Vec<&str> {
        fn org<'a>(s: &mut Vec<&'a str>, t: &'a Tenant) {
            s.push(&t.provider_key);
            s.extend(t.integrator_secret.as_deref());
            s.extend(t.integrator_api_key.as_deref());
        }
        let mut s: Vec<&str> = self.assessio.get().map(|a| a.integrator_api_key.as_str()).into_iter().collect();
        s.extend(self.operator_token.get().map(String::as_str));
        s.extend(self.result_id_key.as_deref());
        if let Some(k) = &self.kombo {
            s.extend([k.api_key.as_str(), k.webhook_secret.as_str()]);
            k.tenants.values().for_each(|t| org(&mut s, t));
        }
        if let Some(t) = &self.teamtailor {
            s.push(&t.api_key);
            s.extend(t.signature_secret.as_deref());
            for tenant in t.tenants.values() {
                s.push(&tenant.teamtailor_provider_key);
                if let Some(assessio) = &tenant.assessio {
                    org(&mut s, assessio);
                }
            }
        }
        if let Some(so) = &self.stackone {
            s.extend([so.api_key.as_str(), so.webhook_secret.as_str()]);
            s.extend(so.previous_webhook_secret.as_deref());
            so.tenants.values().for_each(|t| org(&mut s, t));
        }
        s
    }
}
