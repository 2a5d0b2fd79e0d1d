//! The plugin component, loaded once and called through wasmtime.
//!
//! `Connector` compiles the component and links it against an empty linker:
//! the host provides no imports at all, so a component that wanted the
//! network, a clock or a file would fail to load rather than run. Each call
//! gets a fresh instance from the `InstancePre` (isolation between calls, as
//! a hub wants), under the sandbox's limits. Results come back as the
//! `assessio_plugin` crate's own types, so native and component results can be
//! compared field for field.

use crate::convert::{from_wit_input_error, to_wit_account, to_wit_endpoint, to_wit_order};
use crate::sandbox::{CallError, Guard, Limits, Sandbox};
use anyhow::Context as _;
use assessio_plugin as core_api;
use std::path::Path;
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

/// Host bindings generated from this repository's own `wit/`.
mod bindings {
    #![allow(missing_docs, clippy::pedantic)]
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "plugin",
    });
}

use bindings::PluginPre;
pub(crate) use bindings::exports::assessio::connector::assessio as wit;
pub(crate) use bindings::exports::assessio::connector::types as wt;

/// What a call gives back: the connector's own answer (which may be a typed
/// refusal), or the reason the guest was stopped.
pub type Answer<T, E = core_api::InputError> = Result<Result<T, E>, CallError>;

/// The loaded plugin.
pub struct Connector {
    sandbox: Sandbox,
    pre: PluginPre<Guard>,
}

impl Connector {
    /// Loads a component file (a `.wasm` built by `cargo build --features component`).
    pub fn load(path: &Path, limits: Limits) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading the plugin component {}", path.display()))?;
        // Binary only: the engine also accepts the text format, which would
        // turn a wrong file into a baffling parse error.
        if !bytes.starts_with(b"\0asm") {
            anyhow::bail!("{} is not a WebAssembly component (no `\\0asm` header)", path.display());
        }
        Self::from_bytes(&bytes, limits).with_context(|| format!("loading {}", path.display()))
    }

    /// Loads a component from its bytes (binary, or text format for tests).
    pub fn from_bytes(bytes: &[u8], limits: Limits) -> anyhow::Result<Self> {
        let sandbox = Sandbox::new(limits)?;
        let component = Component::new(sandbox.engine(), bytes)?;
        let linker = Linker::<Guard>::new(sandbox.engine());
        let pre = linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the plugin imports something; this host provides no imports at all")?;
        let pre = PluginPre::new(pre)
            .map_err(anyhow::Error::from)
            .context("the component does not implement the `plugin` world")?;
        Ok(Self { sandbox, pre })
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> Limits {
        self.sandbox.limits()
    }

    /// Instantiates, calls `f`, and names the limit if the guest was stopped.
    fn call<R>(
        &self,
        input_bytes: usize,
        f: impl FnOnce(&wit::Guest, &mut Store<Guard>) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        self.sandbox.check_input(input_bytes)?;
        let mut store = self.sandbox.store();
        let outcome =
            self.pre.instantiate(&mut store).and_then(|plugin| f(plugin.assessio_connector_assessio(), &mut store));
        outcome.map_err(|e| self.sandbox.classify(&store, &e))
    }

    /// See `config-request` in the WIT.
    pub fn config_request(&self, account: &core_api::Account) -> Answer<core_api::HttpRequest> {
        let a = to_wit_account(account);
        self.call(account_bytes(account), |g, s| g.call_config_request(s, &a))
            .map(|r| r.map(Into::into).map_err(from_wit_input_error))
    }

    /// See `list-lenses` in the WIT.
    pub fn list_lenses(&self, body: &[u8]) -> Answer<core_api::Catalog> {
        self.call(body.len(), |g, s| g.call_list_lenses(s, body))
            .map(|r| r.map(Into::into).map_err(from_wit_input_error))
    }

    /// See `build-order` in the WIT.
    pub fn build_order(
        &self,
        account: &core_api::Account,
        order: &core_api::OrderDetails,
        endpoint: core_api::OrderEndpoint,
        now: i64,
    ) -> Answer<core_api::HttpRequest> {
        let (a, o) = (to_wit_account(account), to_wit_order(order));
        let size = account_bytes(account) + order_bytes(order);
        self.call(size, |g, s| g.call_build_order(s, &a, &o, to_wit_endpoint(endpoint), now))
            .map(|r| r.map(Into::into).map_err(from_wit_input_error))
    }

    /// See `sign-request` in the WIT.
    pub fn sign_request(&self, secret: &str, timestamp: i64, body: &[u8]) -> Answer<core_api::Header> {
        self.call(secret.len() + body.len(), |g, s| g.call_sign_request(s, secret, timestamp, body))
            .map(|r| r.map(Into::into).map_err(from_wit_input_error))
    }

    /// See `verify-signature` in the WIT.
    pub fn verify_signature(
        &self,
        header: Option<&str>,
        body: &[u8],
        secret: &str,
        now: i64,
        tolerance: Option<u32>,
    ) -> Answer<core_api::Verified, core_api::SignatureError> {
        let size = header.map_or(0, str::len) + body.len() + secret.len();
        self.call(size, |g, s| g.call_verify_signature(s, header, body, secret, now, tolerance))
            .map(|r| r.map(|v| core_api::Verified { signed_at: v.signed_at }).map_err(Into::into))
    }

    /// See `parse-result` in the WIT.
    pub fn parse_result(&self, body: &[u8]) -> Answer<core_api::AssessmentResult> {
        self.call(body.len(), |g, s| g.call_parse_result(s, body))
            .map(|r| r.map(Into::into).map_err(from_wit_input_error))
    }

    /// See `interpret-order-response` in the WIT.
    pub fn interpret_order_response(
        &self,
        endpoint: core_api::OrderEndpoint,
        status: u16,
        body: &[u8],
    ) -> Result<core_api::OrderOutcome, CallError> {
        self.call(body.len(), |g, s| g.call_interpret_order_response(s, to_wit_endpoint(endpoint), status, body))
            .map(Into::into)
    }
}

fn account_bytes(a: &core_api::Account) -> usize {
    let env = match &a.environment {
        core_api::Environment::Custom(url) => url.len(),
        _ => 0,
    };
    env + a.provider_key.len() + a.integrator_secret.as_ref().map_or(0, String::len)
}

fn order_bytes(o: &core_api::OrderDetails) -> usize {
    let r = &o.recruitment;
    let c = &o.candidate;
    [&r.id, &r.title, &o.lens_id, &o.locale, &c.email, &c.first_name, &c.last_name, &o.result_id, &o.result_update_url]
        .iter()
        .map(|s| s.len())
        .sum::<usize>()
        + r.description.as_ref().map_or(0, String::len)
        + o.collaborator_emails.iter().map(String::len).sum::<usize>()
}

/// The pre-instantiated plugin, as the benchmark (`bench.rs`) names it.
pub(crate) type PluginPreGuard = PluginPre<Guard>;

/// For the benchmark only: the parts a caller needs to reuse one instance
/// across calls, which `Connector`'s own methods never do.
impl Connector {
    /// The sandbox (engine, limits) every call runs in.
    pub(crate) fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The component, linked and ready to instantiate.
    pub(crate) fn pre(&self) -> &PluginPreGuard {
        &self.pre
    }
}
