//! What one request's store holds, and what each component shares.
//!
//! Every request gets a fresh store and instance (as `spin up` gives every
//! request a fresh instance by default): WASI with the component's
//! environment and captured stdio, `wasi:http` with the outbound policy, the
//! Spin interfaces, and the memory cap. Nothing a guest does in one request
//! is visible to the next except through the key-value stores.

use crate::key_value::{KeyValueHost, Stores};
use crate::log::{AppLog, LogSource};
use crate::outbound::{OutboundHooks, OutboundPolicy};
use crate::variables::{ComponentVariables, VariablesHost};
use component_sandbox::Guard;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// A loaded component and everything its requests share.
pub(crate) struct ComponentRuntime {
    pub id: Arc<str>,
    pub pre: ProxyPre<RequestState>,
    pub variables: ComponentVariables,
    /// The labels of `key_value_stores`.
    pub key_value_stores: BTreeSet<String>,
    pub stores: Arc<Stores>,
    pub outbound: Arc<OutboundPolicy>,
    pub environment: Vec<(String, String)>,
}

/// The data of one request's store.
pub(crate) struct RequestState {
    pub table: ResourceTable,
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub hooks: OutboundHooks,
    pub guard: Guard,
    pub component: Arc<ComponentRuntime>,
}

impl RequestState {
    /// A fresh state for one request of `component`.
    pub fn new(component: &Arc<ComponentRuntime>, log: &AppLog, memory_cap: usize, self_addr: SocketAddr) -> Self {
        let mut wasi = WasiCtx::builder();
        wasi.stdout(log.guest_output(&component.id, LogSource::Stdout));
        wasi.stderr(log.guest_output(&component.id, LogSource::Stderr));
        for (key, value) in &component.environment {
            wasi.env(key, value);
        }
        Self {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            hooks: OutboundHooks {
                policy: Arc::clone(&component.outbound),
                self_addr: Some(self_addr),
                log: log.clone(),
                component: Arc::clone(&component.id),
            },
            guard: Guard::new(memory_cap),
            component: Arc::clone(component),
        }
    }
}

impl RequestState {
    /// The key-value interfaces' view of this request.
    pub fn key_value(&mut self) -> KeyValueHost<'_> {
        KeyValueHost {
            table: &mut self.table,
            allowed: &self.component.key_value_stores,
            stores: &self.component.stores,
        }
    }

    /// The variables interface's view of this request.
    pub fn variables(&mut self) -> VariablesHost<'_> {
        VariablesHost(&self.component.variables)
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}
