//! [`Connector`] over the `assessio-plugin` crate, linked in: how the
//! gateway's flows run natively, in unit tests and under the fuzzer. Each
//! method is the crate function the plugin component exports under that
//! WIT name.

use super::api::Connector;
use assessio_plugin::hubs::kombo::{self, KomboApi, OpenOrders, OrderEvent as KomboEvent};
use assessio_plugin::hubs::stackone::{
    self, LookupKind, LookupOutcome, OrderEvent as StackOneEvent, PackagesQuery, StackOneApi,
};
use assessio_plugin::hubs::teamtailor::{self, PartnerStatus, TeamtailorTrigger};
use assessio_plugin::hubs::{self, HubOrder, WriteOutcome};
use assessio_plugin::{
    Account, AssessmentResult, Catalog, HttpRequest, InputError, OrderDetails, OrderEndpoint, OrderOutcome,
    SignatureError, Verified,
};

/// The plugin crate, called in-process.
#[derive(Debug, Clone, Copy)]
pub struct Linked;

impl Connector for Linked {
    fn config_request(account: &Account) -> Result<HttpRequest, InputError> {
        assessio_plugin::config_request(account)
    }

    fn list_lenses(body: &[u8]) -> Result<Catalog, InputError> {
        assessio_plugin::list_lenses(body)
    }

    fn build_order(
        account: &Account,
        order: &OrderDetails,
        endpoint: OrderEndpoint,
        now: i64,
    ) -> Result<HttpRequest, InputError> {
        assessio_plugin::build_order(account, order, endpoint, now)
    }

    fn parse_result(body: &[u8]) -> Result<AssessmentResult, InputError> {
        assessio_plugin::parse_result(body)
    }

    fn interpret_order_response(endpoint: OrderEndpoint, status: u16, body: &[u8]) -> OrderOutcome {
        assessio_plugin::interpret_order_response(endpoint, status, body)
    }

    fn parse_package_id(package_id: &str) -> Result<(String, String), InputError> {
        hubs::parse_package_id(package_id).map(|(lens, locale)| (lens.into(), locale.into()))
    }

    fn to_order_details(
        hub: &str,
        order: &HubOrder,
        lens_id: &str,
        locale: &str,
        result_base_url: &str,
    ) -> OrderDetails {
        order.order_details(hub, lens_id, locale, result_base_url)
    }

    fn result_id(hub: &str, tenant: &str, order_id: &str, key: Option<&[u8]>) -> String {
        hubs::result_id(hub, tenant, order_id, key)
    }

    fn recruiter_message(error: &InputError) -> String {
        hubs::recruiter_message(error)
    }

    fn kombo_verify_webhook(header: Option<&str>, body: &[u8], secret: &str) -> Result<(), SignatureError> {
        kombo::verify_webhook(header, body, secret)
    }

    fn kombo_parse_order_event(body: &[u8]) -> Result<KomboEvent, InputError> {
        kombo::parse_order_event(body)
    }

    fn kombo_unreadable_order_message(error: &InputError) -> String {
        kombo::unreadable_order_message(error)
    }

    fn kombo_packages_request(api: &KomboApi, catalog: &Catalog) -> Result<HttpRequest, InputError> {
        kombo::packages_request(api, catalog)
    }

    fn kombo_open_orders_request(
        api: &KomboApi,
        cursor: Option<&str>,
        page_size: u8,
    ) -> Result<HttpRequest, InputError> {
        kombo::open_orders_request(api, cursor, page_size)
    }

    fn kombo_parse_open_orders(body: &[u8]) -> Result<OpenOrders, InputError> {
        kombo::parse_open_orders(body)
    }

    fn kombo_result_request(
        api: &KomboApi,
        order_id: &str,
        result: &AssessmentResult,
        completed_at: i64,
    ) -> Result<HttpRequest, InputError> {
        kombo::result_request(api, order_id, result, completed_at)
    }

    fn kombo_rejection_body(message: &str) -> Vec<u8> {
        kombo::rejection_body(message)
    }

    fn kombo_interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome {
        kombo::interpret_write_response(status, body)
    }

    fn teamtailor_verify_signature(
        header: Option<&str>,
        partner_event_id: &str,
        secret: &str,
        now: i64,
        tolerance: Option<u32>,
    ) -> Result<Verified, SignatureError> {
        teamtailor::verify_signature(header, partner_event_id, secret, now, tolerance)
    }

    fn teamtailor_verify_provider_key(authorization: Option<&str>, expected: &str) -> bool {
        teamtailor::verify_provider_key(authorization, expected)
    }

    fn teamtailor_parse_trigger(body: &[u8]) -> Result<TeamtailorTrigger, InputError> {
        teamtailor::parse_trigger(body)
    }

    fn teamtailor_config_response(catalog: &Catalog) -> Vec<u8> {
        teamtailor::config_response(catalog)
    }

    fn teamtailor_config_error_response(message: &str) -> Vec<u8> {
        teamtailor::config_error_response(message)
    }

    fn teamtailor_result_request(
        update_url: &str,
        api_key: &str,
        result: &AssessmentResult,
    ) -> Result<HttpRequest, InputError> {
        teamtailor::result_request(update_url, api_key, result)
    }

    fn teamtailor_progress_request(
        update_url: &str,
        api_key: &str,
        status: PartnerStatus,
        reason: Option<&str>,
    ) -> Result<HttpRequest, InputError> {
        teamtailor::progress_request(update_url, api_key, status, reason)
    }

    fn teamtailor_rejection_text(error: &InputError) -> String {
        teamtailor::rejection_text(error)
    }

    fn teamtailor_interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome {
        teamtailor::interpret_write_response(status, body)
    }

    fn stackone_verify_webhook(headers: &[(&str, &str)], body: &[u8], secrets: &[&str]) -> Result<(), SignatureError> {
        stackone::verify_webhook(headers, body, secrets)
    }

    fn stackone_parse_event(body: &[u8]) -> Result<StackOneEvent, InputError> {
        stackone::parse_event(body)
    }

    fn stackone_next_lookup(event: &StackOneEvent) -> Option<(LookupKind, String)> {
        stackone::next_lookup(event)
    }

    fn stackone_lookup_request(api: &StackOneApi, kind: LookupKind, id: &str) -> Result<HttpRequest, InputError> {
        stackone::lookup_request(api, kind, id)
    }

    fn stackone_merge_lookup(event: &StackOneEvent, kind: LookupKind, status: u16, body: &[u8]) -> LookupOutcome {
        stackone::merge_lookup(event, kind, status, body)
    }

    fn stackone_to_hub_order(event: &StackOneEvent) -> Result<HubOrder, InputError> {
        stackone::to_hub_order(event)
    }

    fn stackone_result_request(
        api: &StackOneApi,
        order_id: &str,
        result: &AssessmentResult,
        submitted_at: i64,
    ) -> Result<HttpRequest, InputError> {
        stackone::result_request(api, order_id, result, submitted_at)
    }

    fn stackone_rejection_request(api: &StackOneApi, order_id: &str, message: &str) -> Result<HttpRequest, InputError> {
        stackone::rejection_request(api, order_id, message)
    }

    fn stackone_parse_packages_query(body: &[u8]) -> Result<PackagesQuery, InputError> {
        stackone::parse_packages_query(body)
    }

    fn stackone_packages_body(catalog: &Catalog) -> Vec<u8> {
        stackone::packages_body(catalog)
    }

    fn stackone_interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome {
        stackone::interpret_write_response(status, body)
    }
}
