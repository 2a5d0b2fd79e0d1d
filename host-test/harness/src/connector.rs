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
use anyhow::Context as _;
use assessio_plugin as core_api;
use component_sandbox::{CallError, Guard, Limits, Sandbox};
use std::path::Path;
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

use crate::bindings::PluginPre;
pub use crate::bindings::wit;

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

/// The pre-instantiated plugin, as a caller that drives instances itself
/// (the benchmark) names it.
pub type PluginPreGuard = PluginPre<Guard>;

/// The parts a caller needs to reuse one instance across calls, which
/// `Connector`'s own methods never do: the benchmark measures the boundary
/// with them. A hub should call the methods above.
impl Connector {
    /// The sandbox (engine, limits) every call runs in.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The component, linked and ready to instantiate.
    pub fn pre(&self) -> &PluginPreGuard {
        &self.pre
    }
}

/// The interfaces called by name through [`Connector::call_export`]: every
/// exported interface but the two with hand-written conventions.
const TYPED_INTERFACES: [&str; 2] = ["types", "assessio"];

/// A function of the plugin's hub interfaces, as the component declares it.
pub struct ExportedFunction {
    /// `<interface>.<function>`, e.g. `teamtailor.parse-trigger`.
    pub name: String,
    /// Parameter names and types.
    pub params: Vec<(String, wasmtime::component::types::Type)>,
    /// The result type, if any.
    pub result: Option<wasmtime::component::types::Type>,
    /// The full export name of its interface, e.g. `assessio:connector/kombo@0.1.0`.
    interface: String,
    /// The function's own name.
    function: String,
}

/// Why [`Connector::call_export`] produced no answer from the plugin.
#[derive(Debug)]
pub enum ExportFailure {
    /// No such function: the names that exist.
    Unknown(Vec<String>),
    /// The JSON does not fit the parameters.
    BadInput(crate::dynamic::Mismatch),
    /// The guest was stopped.
    Stopped(CallError),
}

impl Connector {
    /// Every function of the hub interfaces, in export order.
    pub fn exported_functions(&self) -> Vec<ExportedFunction> {
        use wasmtime::component::types::ComponentItem;
        let engine = self.sandbox.engine();
        let component = self.pre.instance_pre().component();
        let mut out = Vec::new();
        for (export, item) in component.component_type().exports(engine) {
            let ComponentItem::ComponentInstance(instance) = item.ty else { continue };
            let short = export.split_once('/').map_or(export, |(_, rest)| rest);
            let short = short.split_once('@').map_or(short, |(name, _)| name);
            if TYPED_INTERFACES.contains(&short) {
                continue;
            }
            for (name, item) in instance.exports(engine) {
                if let ComponentItem::ComponentFunc(f) = item.ty {
                    out.push(ExportedFunction {
                        name: format!("{short}.{name}"),
                        params: f.params().map(|(n, t)| (n.to_string(), t)).collect(),
                        result: f.results().next(),
                        interface: export.to_string(),
                        function: name.to_string(),
                    });
                }
            }
        }
        out
    }

    /// Calls a hub function by its `<interface>.<function>` name with JSON
    /// arguments (see `dynamic.rs` for the convention), in a fresh instance
    /// under the sandbox's limits. The answer is the function's result as
    /// JSON: `Ok` with the value, or `Err` with the `err` case of a
    /// `result`, which is the connector's typed refusal.
    pub fn call_export(
        &self,
        name: &str,
        args: &serde_json::Value,
        now: i64,
    ) -> Result<Result<serde_json::Value, serde_json::Value>, ExportFailure> {
        use crate::dynamic::{Mismatch, fields_from_json, to_json};
        use wasmtime::component::Val;
        use wasmtime::component::types::Type;
        let functions = self.exported_functions();
        let Some(f) = functions.iter().find(|f| f.name == name) else {
            return Err(ExportFailure::Unknown(functions.into_iter().map(|f| f.name).collect()));
        };
        let serde_json::Value::Object(obj) = args else {
            return Err(ExportFailure::BadInput(Mismatch("the input must be a JSON object of the parameters".into())));
        };
        let params = fields_from_json("", obj, f.params.iter().map(|(n, t)| (n.as_str(), t.clone())), now)
            .map_err(ExportFailure::BadInput)?;
        let params: Vec<Val> = params.into_iter().map(|(_, v)| v).collect();
        let size = args.to_string().len();
        self.sandbox.check_input(size).map_err(ExportFailure::Stopped)?;
        let mut store = self.sandbox.store();
        let mut results = vec![Val::Bool(false); usize::from(f.result.is_some())];
        let outcome = (|| -> wasmtime::Result<()> {
            let instance = self.pre.instance_pre().instantiate(&mut store)?;
            let iface = instance
                .get_export_index(&mut store, None, &f.interface)
                .ok_or_else(|| wasmtime::format_err!("the component lost its export `{}`", f.interface))?;
            let func = instance
                .get_export_index(&mut store, Some(&iface), &f.function)
                .and_then(|i| instance.get_func(&mut store, i))
                .ok_or_else(|| wasmtime::format_err!("the component lost its export `{}`", f.name))?;
            func.call(&mut store, &params, &mut results)
        })();
        outcome.map_err(|e| ExportFailure::Stopped(self.sandbox.classify(&store, &e)))?;
        Ok(match (results.first(), &f.result) {
            (None, _) | (_, None) => Ok(serde_json::Value::Null),
            (Some(Val::Result(r)), Some(Type::Result(t))) => match r {
                Ok(v) => Ok(v.as_ref().zip(t.ok()).map_or(serde_json::json!({ "ok": true }), |(v, t)| to_json(v, &t))),
                Err(v) => Err(v.as_ref().zip(t.err()).map_or(serde_json::Value::Null, |(v, t)| to_json(v, &t))),
            },
            (Some(v), Some(t)) => Ok(to_json(v, t)),
        })
    }
}
