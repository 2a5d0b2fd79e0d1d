//! The WebAssembly component: wit-bindgen exports over the plain Rust API.
//!
//! This file only converts between the generated WIT types and the crate's
//! own; all logic lives in the modules it calls. Built with
//! `--features component --target wasm32-wasip2`, the crate is `no_std`, so
//! this module also supplies the allocator and the panic handler (a panic
//! becomes a trap the host reports; none is expected, and the fuzzers hunt them).

// The generated export glue and `export_name` attributes are unsafe by nature.
#![allow(unsafe_code, missing_docs, clippy::pedantic)]

use crate as core_api;
use alloc::string::String;
use alloc::vec::Vec;

wit_bindgen::generate!({
    path: "../wit",
    world: "plugin",
});

use core_api::hubs::{kombo, stackone, teamtailor};
use exports::assessio::connector::assessio as wit;
use exports::assessio::connector::hubs as wh;
use exports::assessio::connector::kombo as wk;
use exports::assessio::connector::stackone as ws;
use exports::assessio::connector::teamtailor as wtt;
use exports::assessio::connector::types as wt;

mod runtime;

struct Plugin;

export!(Plugin);

impl wit::Guest for Plugin {
    fn config_request(account: wit::Account) -> Result<wt::HttpRequest, wt::InputError> {
        core_api::config_request(&account.into()).map(Into::into).map_err(Into::into)
    }

    fn list_lenses(body: Vec<u8>) -> Result<wit::Catalog, wt::InputError> {
        core_api::list_lenses(&body).map(Into::into).map_err(Into::into)
    }

    fn build_order(
        account: wit::Account,
        order: wit::OrderDetails,
        endpoint: wit::OrderEndpoint,
        now: i64,
    ) -> Result<wt::HttpRequest, wt::InputError> {
        core_api::build_order(&account.into(), &order.into(), endpoint.into(), now).map(Into::into).map_err(Into::into)
    }

    fn sign_request(secret: String, timestamp: i64, body: Vec<u8>) -> Result<wt::Header, wt::InputError> {
        core_api::sign_request(&secret, timestamp, &body).map(Into::into).map_err(Into::into)
    }

    fn verify_signature(
        header: Option<String>,
        body: Vec<u8>,
        secret: String,
        now: i64,
        tolerance: Option<u32>,
    ) -> Result<wit::Verified, wit::SignatureError> {
        core_api::verify_signature(header.as_deref(), &body, &secret, now, tolerance)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn parse_result(body: Vec<u8>) -> Result<wit::AssessmentResult, wt::InputError> {
        core_api::parse_result(&body).map(Into::into).map_err(Into::into)
    }

    fn interpret_order_response(endpoint: wit::OrderEndpoint, status: u16, body: Vec<u8>) -> wit::OrderOutcome {
        core_api::interpret_order_response(endpoint.into(), status, &body).into()
    }
}

impl wh::Guest for Plugin {
    fn package_id(lens_id: String, locale: String) -> String {
        core_api::hubs::package_id(&lens_id, &locale)
    }

    fn parse_package_id(package_id: String) -> Result<(String, String), wt::InputError> {
        core_api::hubs::parse_package_id(&package_id).map(|(l, c)| (l.into(), c.into())).map_err(Into::into)
    }

    fn to_order_details(
        hub: String,
        order: wh::HubOrder,
        lens_id: String,
        locale: String,
        result_base_url: String,
    ) -> wit::OrderDetails {
        core_api::hubs::HubOrder::from(order).order_details(&hub, &lens_id, &locale, &result_base_url).into()
    }

    fn result_id(hub: String, tenant: String, order_id: String, key: Option<Vec<u8>>) -> String {
        core_api::hubs::result_id(&hub, &tenant, &order_id, key.as_deref())
    }

    fn recruiter_message(error: wt::InputError) -> String {
        core_api::hubs::recruiter_message(&error.into())
    }
}

impl wk::Guest for Plugin {
    fn verify_webhook(header: Option<String>, body: Vec<u8>, secret: String) -> Result<(), wit::SignatureError> {
        kombo::verify_webhook(header.as_deref(), &body, &secret).map_err(Into::into)
    }

    fn parse_order_event(body: Vec<u8>) -> Result<wk::OrderEvent, wt::InputError> {
        kombo::parse_order_event(&body).map(Into::into).map_err(Into::into)
    }

    fn unreadable_order_message(error: wt::InputError) -> String {
        kombo::unreadable_order_message(&error.into())
    }

    fn packages_request(api: wk::KomboApi, catalog: wit::Catalog) -> Result<wt::HttpRequest, wt::InputError> {
        kombo::packages_request(&api.into(), &catalog.into()).map(Into::into).map_err(Into::into)
    }

    fn open_orders_request(
        api: wk::KomboApi,
        cursor: Option<String>,
        page_size: u8,
    ) -> Result<wt::HttpRequest, wt::InputError> {
        kombo::open_orders_request(&api.into(), cursor.as_deref(), page_size).map(Into::into).map_err(Into::into)
    }

    fn parse_open_orders(body: Vec<u8>) -> Result<wk::OpenOrders, wt::InputError> {
        kombo::parse_open_orders(&body).map(Into::into).map_err(Into::into)
    }

    fn result_request(
        api: wk::KomboApi,
        order_id: String,
        result: wit::AssessmentResult,
        completed_at: i64,
    ) -> Result<wt::HttpRequest, wt::InputError> {
        kombo::result_request(&api.into(), &order_id, &result.into(), completed_at).map(Into::into).map_err(Into::into)
    }

    fn rejection_body(message: String) -> Vec<u8> {
        kombo::rejection_body(&message)
    }

    fn interpret_write_response(status: u16, body: Vec<u8>) -> wh::WriteOutcome {
        kombo::interpret_write_response(status, &body).into()
    }
}

impl wtt::Guest for Plugin {
    fn verify_signature(
        header: Option<String>,
        partner_event_id: String,
        secret: String,
        now: i64,
        tolerance: Option<u32>,
    ) -> Result<wit::Verified, wit::SignatureError> {
        teamtailor::verify_signature(header.as_deref(), &partner_event_id, &secret, now, tolerance)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn verify_provider_key(authorization: Option<String>, expected: String) -> bool {
        teamtailor::verify_provider_key(authorization.as_deref(), &expected)
    }

    fn parse_trigger(body: Vec<u8>) -> Result<wtt::Trigger, wt::InputError> {
        teamtailor::parse_trigger(&body).map(Into::into).map_err(Into::into)
    }

    fn config_response(catalog: wit::Catalog) -> Vec<u8> {
        teamtailor::config_response(&catalog.into())
    }

    fn config_error_response(message: String) -> Vec<u8> {
        teamtailor::config_error_response(&message)
    }

    fn result_request(
        update_url: String,
        api_key: String,
        result: wit::AssessmentResult,
    ) -> Result<wt::HttpRequest, wt::InputError> {
        teamtailor::result_request(&update_url, &api_key, &result.into()).map(Into::into).map_err(Into::into)
    }

    fn progress_request(
        update_url: String,
        api_key: String,
        status: wtt::PartnerStatus,
        reason: Option<String>,
    ) -> Result<wt::HttpRequest, wt::InputError> {
        teamtailor::progress_request(&update_url, &api_key, status.into(), reason.as_deref())
            .map(Into::into)
            .map_err(Into::into)
    }

    fn rejection_text(error: wt::InputError) -> String {
        teamtailor::rejection_text(&error.into())
    }

    fn interpret_write_response(status: u16, body: Vec<u8>) -> wh::WriteOutcome {
        teamtailor::interpret_write_response(status, &body).into()
    }
}

impl ws::Guest for Plugin {
    fn verify_webhook(
        headers: Vec<wt::Header>,
        body: Vec<u8>,
        secrets: Vec<String>,
    ) -> Result<(), wit::SignatureError> {
        let headers: Vec<(&str, &str)> = headers.iter().map(|h| (h.name.as_str(), h.value.as_str())).collect();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        stackone::verify_webhook(&headers, &body, &secrets).map_err(Into::into)
    }

    fn parse_event(body: Vec<u8>) -> Result<ws::OrderEvent, wt::InputError> {
        stackone::parse_event(&body).map(Into::into).map_err(Into::into)
    }

    fn next_lookup(event: ws::OrderEvent) -> Option<(ws::LookupKind, String)> {
        stackone::next_lookup(&event.into()).map(|(kind, id)| (kind.into(), id))
    }

    fn lookup_request(
        api: ws::StackoneApi,
        kind: ws::LookupKind,
        id: String,
    ) -> Result<wt::HttpRequest, wt::InputError> {
        stackone::lookup_request(&api.into(), kind.into(), &id).map(Into::into).map_err(Into::into)
    }

    fn merge_lookup(event: ws::OrderEvent, kind: ws::LookupKind, status: u16, body: Vec<u8>) -> ws::LookupOutcome {
        stackone::merge_lookup(&event.into(), kind.into(), status, &body).into()
    }

    fn to_hub_order(event: ws::OrderEvent) -> Result<wh::HubOrder, wt::InputError> {
        stackone::to_hub_order(&event.into()).map(Into::into).map_err(Into::into)
    }

    fn result_request(
        api: ws::StackoneApi,
        order_id: String,
        result: wit::AssessmentResult,
        submitted_at: i64,
    ) -> Result<wt::HttpRequest, wt::InputError> {
        stackone::result_request(&api.into(), &order_id, &result.into(), submitted_at)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn rejection_request(
        api: ws::StackoneApi,
        order_id: String,
        message: String,
    ) -> Result<wt::HttpRequest, wt::InputError> {
        stackone::rejection_request(&api.into(), &order_id, &message).map(Into::into).map_err(Into::into)
    }

    fn parse_packages_query(body: Vec<u8>) -> Result<ws::PackagesQuery, wt::InputError> {
        stackone::parse_packages_query(&body).map(Into::into).map_err(Into::into)
    }

    fn packages_body(catalog: wit::Catalog) -> Vec<u8> {
        stackone::packages_body(&catalog.into())
    }

    fn interpret_write_response(status: u16, body: Vec<u8>) -> wh::WriteOutcome {
        stackone::interpret_write_response(status, &body).into()
    }
}

crate::wit_conversions!(
    exports::assessio::connector::types,
    exports::assessio::connector::assessio,
    exports::assessio::connector::hubs,
    exports::assessio::connector::kombo,
    exports::assessio::connector::teamtailor,
    exports::assessio::connector::stackone,
);
