//! The `assessio:connector` functions the gateway calls, as one trait both
//! implementations satisfy. A file below `connector` and its two
//! implementations, so that each takes the trait from here and the parent
//! only chooses between them.

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

/// The `assessio:connector` functions the gateway calls (see
/// `wit/connector.wit` for what each one promises).
pub trait Connector {
    /// `assessio.config-request`.
    fn config_request(account: &Account) -> Result<HttpRequest, InputError>;
    /// `assessio.list-lenses`.
    fn list_lenses(body: &[u8]) -> Result<Catalog, InputError>;
    /// `assessio.build-order`.
    fn build_order(
        account: &Account,
        order: &OrderDetails,
        endpoint: OrderEndpoint,
        now: i64,
    ) -> Result<HttpRequest, InputError>;
    /// `assessio.parse-result`.
    fn parse_result(body: &[u8]) -> Result<AssessmentResult, InputError>;
    /// `assessio.interpret-order-response`.
    fn interpret_order_response(endpoint: OrderEndpoint, status: u16, body: &[u8]) -> OrderOutcome;

    /// `hubs.parse-package-id`: the lens id and locale.
    fn parse_package_id(package_id: &str) -> Result<(String, String), InputError>;
    /// `hubs.to-order-details`.
    fn to_order_details(
        hub: &str,
        order: &HubOrder,
        lens_id: &str,
        locale: &str,
        result_base_url: &str,
    ) -> OrderDetails;
    /// `hubs.result-id`.
    fn result_id(hub: &str, tenant: &str, order_id: &str, key: Option<&[u8]>) -> String;
    /// `hubs.recruiter-message`.
    fn recruiter_message(error: &InputError) -> String;

    /// `kombo.verify-webhook`.
    fn kombo_verify_webhook(header: Option<&str>, body: &[u8], secret: &str) -> Result<(), SignatureError>;
    /// `kombo.parse-order-event`.
    fn kombo_parse_order_event(body: &[u8]) -> Result<KomboEvent, InputError>;
    /// `kombo.unreadable-order-message`.
    fn kombo_unreadable_order_message(error: &InputError) -> String;
    /// `kombo.packages-request`.
    fn kombo_packages_request(api: &KomboApi, catalog: &Catalog) -> Result<HttpRequest, InputError>;
    /// `kombo.open-orders-request`.
    fn kombo_open_orders_request(
        api: &KomboApi,
        cursor: Option<&str>,
        page_size: u8,
    ) -> Result<HttpRequest, InputError>;
    /// `kombo.parse-open-orders`.
    fn kombo_parse_open_orders(body: &[u8]) -> Result<OpenOrders, InputError>;
    /// `kombo.result-request`.
    fn kombo_result_request(
        api: &KomboApi,
        order_id: &str,
        result: &AssessmentResult,
        completed_at: i64,
    ) -> Result<HttpRequest, InputError>;
    /// `kombo.rejection-body`.
    fn kombo_rejection_body(message: &str) -> Vec<u8>;
    /// `kombo.interpret-write-response`.
    fn kombo_interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome;

    /// `teamtailor.verify-signature`.
    fn teamtailor_verify_signature(
        header: Option<&str>,
        partner_event_id: &str,
        secret: &str,
        now: i64,
        tolerance: Option<u32>,
    ) -> Result<Verified, SignatureError>;
    /// `teamtailor.verify-provider-key`.
    fn teamtailor_verify_provider_key(authorization: Option<&str>, expected: &str) -> bool;
    /// `teamtailor.parse-trigger`.
    fn teamtailor_parse_trigger(body: &[u8]) -> Result<TeamtailorTrigger, InputError>;
    /// `teamtailor.config-response`.
    fn teamtailor_config_response(catalog: &Catalog) -> Vec<u8>;
    /// `teamtailor.config-error-response`.
    fn teamtailor_config_error_response(message: &str) -> Vec<u8>;
    /// `teamtailor.result-request`.
    fn teamtailor_result_request(
        update_url: &str,
        api_key: &str,
        result: &AssessmentResult,
    ) -> Result<HttpRequest, InputError>;
    /// `teamtailor.progress-request`.
    fn teamtailor_progress_request(
        update_url: &str,
        api_key: &str,
        status: PartnerStatus,
        reason: Option<&str>,
    ) -> Result<HttpRequest, InputError>;
    /// `teamtailor.rejection-text`.
    fn teamtailor_rejection_text(error: &InputError) -> String;
    /// `teamtailor.interpret-write-response`.
    fn teamtailor_interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome;

    /// `stackone.verify-webhook`: `headers` as (name, value) pairs.
    fn stackone_verify_webhook(headers: &[(&str, &str)], body: &[u8], secrets: &[&str]) -> Result<(), SignatureError>;
    /// `stackone.parse-event`.
    fn stackone_parse_event(body: &[u8]) -> Result<StackOneEvent, InputError>;
    /// `stackone.next-lookup`.
    fn stackone_next_lookup(event: &StackOneEvent) -> Option<(LookupKind, String)>;
    /// `stackone.lookup-request`.
    fn stackone_lookup_request(api: &StackOneApi, kind: LookupKind, id: &str) -> Result<HttpRequest, InputError>;
    /// `stackone.merge-lookup`.
    fn stackone_merge_lookup(event: &StackOneEvent, kind: LookupKind, status: u16, body: &[u8]) -> LookupOutcome;
    /// `stackone.to-hub-order`.
    fn stackone_to_hub_order(event: &StackOneEvent) -> Result<HubOrder, InputError>;
    /// `stackone.result-request`.
    fn stackone_result_request(
        api: &StackOneApi,
        order_id: &str,
        result: &AssessmentResult,
        submitted_at: i64,
    ) -> Result<HttpRequest, InputError>;
    /// `stackone.rejection-request`.
    fn stackone_rejection_request(api: &StackOneApi, order_id: &str, message: &str) -> Result<HttpRequest, InputError>;
    /// `stackone.parse-packages-query`.
    fn stackone_parse_packages_query(body: &[u8]) -> Result<PackagesQuery, InputError>;
    /// `stackone.packages-body`.
    fn stackone_packages_body(catalog: &Catalog) -> Vec<u8>;
    /// `stackone.interpret-write-response`.
    fn stackone_interpret_write_response(status: u16, body: &[u8]) -> WriteOutcome;
}
