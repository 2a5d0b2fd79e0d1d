//! [`Connector`] over the `assessio:connector` interfaces this component
//! imports (the `consumer` world of `wit/connector.wit`). Spin satisfies
//! them with the plugin component named in `spin.toml`; nothing of the
//! plugin is compiled in here. Arguments cross as the generated types, each
//! converted by the conversions the plugin crate defines once for both
//! sides of the boundary ([`assessio_plugin::wit_conversions`]).

// The generated import glue is unsafe by nature.
#![allow(unsafe_code)]

use super::api::Connector;
use assessio_plugin::hubs::kombo::{KomboApi, OpenOrders, OrderEvent as KomboEvent};
use assessio_plugin::hubs::stackone::{
    LookupKind, LookupOutcome, OrderEvent as StackOneEvent, PackagesQuery, StackOneApi,
};
use assessio_plugin::hubs::teamtailor::{PartnerStatus, TeamtailorTrigger};
use assessio_plugin::hubs::{HubOrder, WriteOutcome};
use assessio_plugin::{
    Account, AssessmentResult, Catalog, HttpRequest, InputError, OrderDetails, OrderEndpoint, OrderOutcome,
    SignatureError, Verified,
};

/// Import bindings generated from this repository's `wit/`.
mod bindings {
    #![allow(missing_docs, clippy::pedantic)]
    wit_bindgen::generate!({
        path: "../wit",
        world: "consumer",
    });
}

use bindings::assessio::connector::assessio as wit;
use bindings::assessio::connector::hubs as wh;
use bindings::assessio::connector::kombo as wk;
use bindings::assessio::connector::stackone as ws;
use bindings::assessio::connector::teamtailor as wtt;
use bindings::assessio::connector::types as wt;

assessio_plugin::wit_conversions!(
    bindings::assessio::connector::types,
    bindings::assessio::connector::assessio,
    bindings::assessio::connector::hubs,
    bindings::assessio::connector::kombo,
    bindings::assessio::connector::teamtailor,
    bindings::assessio::connector::stackone,
);

/// A borrowed value of the crate's, as the generated type an import takes.
fn own<A: Clone + Into<B>, B>(value: &A) -> B {
    value.clone().into()
}

/// The plugin component, through the imports.
#[derive(Debug, Clone, Copy)]
pub struct Imported;

impl Connector for Imported {
    fn config_request(account: &Account) -> Result<HttpRequest, InputError> {
        wit::config_request(&own(account)).map(Into::into).map_err(Into::into)
    }

    fn list_lenses(body: &[u8]) -> Result<Catalog, InputError> {
        wit::list_lenses(body).map(Into::into).map_err(Into::into)
    }

    fn build_order(
        account: &Account,
        order: &OrderDetails,
        endpoint: OrderEndpoint,
        now: i64,
    ) -> Result<HttpRequest, InputError> {
        wit::build_order(&own(account), &own(order), endpoint.into(), now).map(Into::into).map_err(Into::into)
    }

    fn parse_result(body: &[u8]) -> Result<AssessmentResult, InputError> {
        wit::parse_result(body).map(Into::into).map_err(Into::into)
    }

    fn interpret_order_response(endpoint: OrderEndpoint, status: u16, body: &[u8]) -> OrderOutcome {
        wit::interpret_order_response(endpoint.into(), status, body).into()
    }

    fn parse_package_id(package_id: &str) -> Result<(String, String), InputError> {
        wh::parse_package_id(package_id).map_err(Into::into)
    }

    fn to_order_details(
        hub: &str,
        order: &HubOrder,
        lens_id: &str,
        locale: &str,
        result_base_url: &str,
    ) -> OrderDetails {
        wh::to_order_details(hub, &own(order), lens_id, locale, result_base_url).into()
    }

    fn result_id(hub: &str, tenant: &str, order_id: &str, key: Option<&[u8]>) -> String {
        wh::result_id(hub, tenant, order_id, key)
    }

    fn recruiter_message(error: &InputError) -> String {
        wh::recruiter_message(&own(error))
    }

    fn kombo_verify_webhook(header: Option<&str>, body: &[u8], secret: &str) -> Result<(), SignatureError> {
        wk::verify_webhook(header, body, secret).map_err(Into::into)
    }

    fn kombo_parse_order_event(body: &[u8]) -> Result<KomboEvent, InputError> {
        wk::parse_order_event(body).map(Into::into).map_err(Into::into)
    }

    fn kombo_unreadable_order_message(error: &InputError) -> String {
        wk::unreadable_order_message(&own(error))
    }

    fn kombo_packages_request(api: &KomboApi, catalog: &Catalog) -> Result<HttpRequest, InputError> {
        wk::packages_request(&own(api), &own(catalog)).map(Into::into).map_err(Into::into)
    }

    fn kombo_open_orders_request(
        api: &KomboApi,
        cursor: Option<&str>,
        page_size: u8,
    ) -> Result<HttpRequest, InputError> {
        wk::open_orders_request(&own(api), cursor, page_size).map(Into::into).map_err(Into::into)
    }

    fn kombo_parse_open_orders(body: &[u8]) -> Result<OpenOrders, InputError> {
        wk::parse_open_orders(body).map(Into::into).map_err(Into::into)
    }

    fn kombo_result_request(
        api: &KomboApi,
        order_id: &str,
        result: &AssessmentResult,
        completed_at: i64,
    ) -> Result<HttpRequest, InputError> {
        wk::result_request(&own(api), order_id, &own(result), completed_at).map(Into::into).map_err(Into::into)
    }

    fn kombo_rejection_body(message: &str) -> Vec<u8> {
        wk::rejection_body(message)
    }

    fn kombo_interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome {
        wk::interpret_write_response(status, body).into()
    }

    fn teamtailor_verify_signature(
        header: Option<&str>,
        partner_event_id: &str,
        secret: &str,
        now: i64,
        tolerance: Option<u32>,
    ) -> Result<Verified, SignatureError> {
        wtt::verify_signature(header, partner_event_id, secret, now, tolerance).map(Into::into).map_err(Into::into)
    }

    fn teamtailor_verify_provider_key(authorization: Option<&str>, expected: &str) -> bool {
        wtt::verify_provider_key(authorization, expected)
    }

    fn teamtailor_parse_trigger(body: &[u8]) -> Result<TeamtailorTrigger, InputError> {
        wtt::parse_trigger(body).map(Into::into).map_err(Into::into)
    }

    fn teamtailor_config_response(catalog: &Catalog) -> Vec<u8> {
        wtt::config_response(&own(catalog))
    }

    fn teamtailor_config_error_response(message: &str) -> Vec<u8> {
        wtt::config_error_response(message)
    }

    fn teamtailor_result_request(
        update_url: &str,
        api_key: &str,
        result: &AssessmentResult,
    ) -> Result<HttpRequest, InputError> {
        wtt::result_request(update_url, api_key, &own(result)).map(Into::into).map_err(Into::into)
    }

    fn teamtailor_progress_request(
        update_url: &str,
        api_key: &str,
        status: PartnerStatus,
        reason: Option<&str>,
    ) -> Result<HttpRequest, InputError> {
        wtt::progress_request(update_url, api_key, status.into(), reason).map(Into::into).map_err(Into::into)
    }

    fn teamtailor_rejection_text(error: &InputError) -> String {
        wtt::rejection_text(&own(error))
    }

    fn teamtailor_interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome {
        wtt::interpret_write_response(status, body).into()
    }

    fn stackone_verify_webhook(headers: &[(&str, &str)], body: &[u8], secrets: &[&str]) -> Result<(), SignatureError> {
        let headers: Vec<wt::Header> =
            headers.iter().map(|(name, value)| wt::Header { name: (*name).into(), value: (*value).into() }).collect();
        let secrets: Vec<String> = secrets.iter().map(|s| (*s).into()).collect();
        ws::verify_webhook(&headers, body, &secrets).map_err(Into::into)
    }

    fn stackone_parse_event(body: &[u8]) -> Result<StackOneEvent, InputError> {
        ws::parse_event(body).map(Into::into).map_err(Into::into)
    }

    fn stackone_next_lookup(event: &StackOneEvent) -> Option<(LookupKind, String)> {
        ws::next_lookup(&own(event)).map(|(kind, id)| (kind.into(), id))
    }

    fn stackone_lookup_request(api: &StackOneApi, kind: LookupKind, id: &str) -> Result<HttpRequest, InputError> {
        ws::lookup_request(&own(api), kind.into(), id).map(Into::into).map_err(Into::into)
    }

    fn stackone_merge_lookup(event: &StackOneEvent, kind: LookupKind, status: u16, body: &[u8]) -> LookupOutcome {
        ws::merge_lookup(&own(event), kind.into(), status, body).into()
    }

    fn stackone_to_hub_order(event: &StackOneEvent) -> Result<HubOrder, InputError> {
        ws::to_hub_order(&own(event)).map(Into::into).map_err(Into::into)
    }

    fn stackone_result_request(
        api: &StackOneApi,
        order_id: &str,
        result: &AssessmentResult,
        submitted_at: i64,
    ) -> Result<HttpRequest, InputError> {
        ws::result_request(&own(api), order_id, &own(result), submitted_at).map(Into::into).map_err(Into::into)
    }

    fn stackone_rejection_request(api: &StackOneApi, order_id: &str, message: &str) -> Result<HttpRequest, InputError> {
        ws::rejection_request(&own(api), order_id, message).map(Into::into).map_err(Into::into)
    }

    fn stackone_parse_packages_query(body: &[u8]) -> Result<PackagesQuery, InputError> {
        ws::parse_packages_query(body).map(Into::into).map_err(Into::into)
    }

    fn stackone_packages_body(catalog: &Catalog) -> Vec<u8> {
        ws::packages_body(&own(catalog))
    }

    fn stackone_interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome {
        ws::interpret_write_response(status, body).into()
    }
}
