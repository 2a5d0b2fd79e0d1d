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

#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// The canonical ABI's allocator export, through which the host copies
/// strings and lists into the component. On wasm32-wasip2 it normally comes
/// from std; this build has none, so it is defined here over `alloc`.
/// Allocation failure traps: the host's memory cap is then what fired.
///
/// # Safety
/// Called only by the host's canonical ABI lowering, with `old_ptr` and
/// `old_len` from an earlier call and a power-of-two `align`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(old_ptr: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    use alloc::alloc::{Layout, alloc, realloc};
    if new_len == 0 {
        // A dangling, aligned pointer: nothing is read or written through it.
        return align as *mut u8;
    }
    let ptr = unsafe {
        if old_len == 0 {
            alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            realloc(old_ptr, Layout::from_size_align_unchecked(old_len, align), new_len)
        }
    };
    if ptr.is_null() {
        core::arch::wasm32::unreachable();
    }
    ptr
}

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
            .map(|v| wit::Verified { signed_at: v.signed_at })
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

    fn recruiter_message(error: wt::InputError) -> String {
        core_api::hubs::recruiter_message(&error.into())
    }
}

impl wk::Guest for Plugin {
    fn verify_webhook(header: Option<String>, body: Vec<u8>, secret: String) -> Result<(), wit::SignatureError> {
        kombo::verify_webhook(header.as_deref(), &body, &secret).map_err(Into::into)
    }

    fn parse_order_event(body: Vec<u8>) -> Result<wk::OrderEvent, wt::InputError> {
        kombo::parse_order_event(&body)
            .map(|e| wk::OrderEvent { event_id: e.event_id, status: e.status, order: e.order.into() })
            .map_err(Into::into)
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
        kombo::parse_open_orders(&body)
            .map(|p| wk::OpenOrders {
                orders: p.orders.into_iter().map(Into::into).collect(),
                unreadable: p.unreadable,
                next: p.next,
            })
            .map_err(Into::into)
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
            .map(|v| wit::Verified { signed_at: v.signed_at })
            .map_err(Into::into)
    }

    fn verify_provider_key(authorization: Option<String>, expected: String) -> bool {
        teamtailor::verify_provider_key(authorization.as_deref(), &expected)
    }

    fn parse_trigger(body: Vec<u8>) -> Result<wtt::Trigger, wt::InputError> {
        teamtailor::parse_trigger(&body)
            .map(|t| wtt::Trigger {
                event_id: t.event_id,
                update_url: t.update_url,
                lens_id: t.lens_id,
                locale: t.locale,
                order: t.order.into(),
            })
            .map_err(Into::into)
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
        let status = match status {
            wtt::PartnerStatus::Sending => teamtailor::PartnerStatus::Sending,
            wtt::PartnerStatus::Sent => teamtailor::PartnerStatus::Sent,
            wtt::PartnerStatus::Pending => teamtailor::PartnerStatus::Pending,
            wtt::PartnerStatus::Completed => teamtailor::PartnerStatus::Completed,
            wtt::PartnerStatus::Failed => teamtailor::PartnerStatus::Failed,
        };
        teamtailor::progress_request(&update_url, &api_key, status, reason.as_deref())
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
        match stackone::merge_lookup(&event.into(), kind.into(), status, &body) {
            stackone::LookupOutcome::Merged(e) => ws::LookupOutcome::Merged((*e).into()),
            stackone::LookupOutcome::RetryLater(r) => ws::LookupOutcome::RetryLater(r.into()),
            stackone::LookupOutcome::Failed(r) => ws::LookupOutcome::Failed(r.into()),
        }
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
        stackone::parse_packages_query(&body)
            .map(|q| ws::PackagesQuery { account_id: q.account_id, job_id: q.job_id, provider: q.provider })
            .map_err(Into::into)
    }

    fn packages_body(catalog: wit::Catalog) -> Vec<u8> {
        stackone::packages_body(&catalog.into())
    }

    fn interpret_write_response(status: u16, body: Vec<u8>) -> wh::WriteOutcome {
        stackone::interpret_write_response(status, &body).into()
    }
}

impl From<ws::StackoneApi> for stackone::StackOneApi {
    fn from(api: ws::StackoneApi) -> Self {
        Self { base_url: api.base_url, api_key: api.api_key, account_id: api.account_id }
    }
}

impl From<ws::LookupKind> for stackone::LookupKind {
    fn from(k: ws::LookupKind) -> Self {
        match k {
            ws::LookupKind::Candidate => Self::Candidate,
            ws::LookupKind::Application => Self::Application,
            ws::LookupKind::Job => Self::Job,
        }
    }
}

impl From<stackone::LookupKind> for ws::LookupKind {
    fn from(k: stackone::LookupKind) -> Self {
        match k {
            stackone::LookupKind::Candidate => Self::Candidate,
            stackone::LookupKind::Application => Self::Application,
            stackone::LookupKind::Job => Self::Job,
        }
    }
}

impl From<ws::OrderEvent> for stackone::OrderEvent {
    fn from(e: ws::OrderEvent) -> Self {
        Self {
            event: e.event,
            account_id: e.account_id,
            record_id: e.record_id,
            package_id: e.package_id,
            candidate_id: e.candidate_id,
            application_id: e.application_id,
            job_id: e.job_id,
            job_title: e.job_title,
            candidate: e.candidate.into(),
            collaborator_emails: e.collaborator_emails,
            looked_up: e.looked_up.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<stackone::OrderEvent> for ws::OrderEvent {
    fn from(e: stackone::OrderEvent) -> Self {
        Self {
            event: e.event,
            account_id: e.account_id,
            record_id: e.record_id,
            package_id: e.package_id,
            candidate_id: e.candidate_id,
            application_id: e.application_id,
            job_id: e.job_id,
            job_title: e.job_title,
            candidate: e.candidate.into(),
            collaborator_emails: e.collaborator_emails,
            looked_up: e.looked_up.into_iter().map(Into::into).collect(),
        }
    }
}

// ---- WIT -> crate ----

impl From<wit::Account> for core_api::Account {
    fn from(a: wit::Account) -> Self {
        Self {
            environment: match a.environment {
                wit::Environment::Sandbox => core_api::Environment::Sandbox,
                wit::Environment::Production => core_api::Environment::Production,
                wit::Environment::Custom(url) => core_api::Environment::Custom(url),
            },
            provider_key: a.provider_key,
            integrator_secret: a.integrator_secret,
        }
    }
}

impl From<wit::OrderDetails> for core_api::OrderDetails {
    fn from(o: wit::OrderDetails) -> Self {
        Self {
            recruitment: core_api::Recruitment {
                id: o.recruitment.id,
                title: o.recruitment.title,
                description: o.recruitment.description,
            },
            lens_id: o.lens_id,
            locale: o.locale,
            candidate: o.candidate.into(),
            collaborator_emails: o.collaborator_emails,
            result_id: o.result_id,
            result_update_url: o.result_update_url,
        }
    }
}

impl From<wit::Candidate> for core_api::Candidate {
    fn from(c: wit::Candidate) -> Self {
        Self { email: c.email, first_name: c.first_name, last_name: c.last_name }
    }
}

impl From<core_api::Candidate> for wit::Candidate {
    fn from(c: core_api::Candidate) -> Self {
        Self { email: c.email, first_name: c.first_name, last_name: c.last_name }
    }
}

impl From<wit::Catalog> for core_api::Catalog {
    fn from(c: wit::Catalog) -> Self {
        Self {
            lenses: c.lenses.into_iter().map(|l| core_api::Lens { id: l.id, name: l.name }).collect(),
            locales: c.locales,
        }
    }
}

impl From<wit::AssessmentResult> for core_api::AssessmentResult {
    fn from(r: wit::AssessmentResult) -> Self {
        Self {
            result_id: r.result_id,
            score: r.score,
            subscores: r
                .subscores
                .into_iter()
                .map(|s| core_api::Subscore { name: s.name, score: core_api::SubscoreValue::new(s.score) })
                .collect(),
            recruitment_url: r.recruitment_url,
            report_url: r.report_url,
        }
    }
}

impl From<wt::InputError> for core_api::InputError {
    fn from(e: wt::InputError) -> Self {
        match e {
            wt::InputError::Malformed(m) => Self::Malformed(m),
            wt::InputError::Missing(f) => Self::Missing(f),
            wt::InputError::Invalid(p) => Self::invalid(p.field, p.problem),
        }
    }
}

impl From<wh::HubOrder> for core_api::hubs::HubOrder {
    fn from(o: wh::HubOrder) -> Self {
        Self {
            order_id: o.order_id,
            tenant: o.tenant,
            package_id: o.package_id,
            job_id: o.job_id,
            job_title: o.job_title,
            candidate: o.candidate.into(),
            collaborator_emails: o.collaborator_emails,
        }
    }
}

impl From<wk::KomboApi> for kombo::KomboApi {
    fn from(a: wk::KomboApi) -> Self {
        Self { base_url: a.base_url, api_key: a.api_key, integration_id: a.integration_id }
    }
}

impl From<wit::OrderEndpoint> for core_api::OrderEndpoint {
    fn from(e: wit::OrderEndpoint) -> Self {
        match e {
            wit::OrderEndpoint::Order => Self::Order,
            wit::OrderEndpoint::OrderLink => Self::OrderLink,
        }
    }
}

// ---- crate -> WIT ----

impl From<core_api::Header> for wt::Header {
    fn from(h: core_api::Header) -> Self {
        Self { name: h.name, value: h.value }
    }
}

impl From<core_api::HttpRequest> for wt::HttpRequest {
    fn from(r: core_api::HttpRequest) -> Self {
        Self {
            method: match r.method {
                core_api::Method::Get => wt::Method::Get,
                core_api::Method::Post => wt::Method::Post,
                core_api::Method::Put => wt::Method::Put,
                core_api::Method::Patch => wt::Method::Patch,
            },
            url: r.url,
            headers: r.headers.into_iter().map(Into::into).collect(),
            body: r.body,
        }
    }
}

impl From<core_api::InputError> for wt::InputError {
    fn from(e: core_api::InputError) -> Self {
        match e {
            core_api::InputError::Malformed(m) => Self::Malformed(m),
            core_api::InputError::Missing(f) => Self::Missing(f),
            core_api::InputError::Invalid(p) => Self::Invalid(wt::FieldProblem { field: p.field, problem: p.problem }),
        }
    }
}

impl From<core_api::Catalog> for wit::Catalog {
    fn from(c: core_api::Catalog) -> Self {
        Self {
            lenses: c.lenses.into_iter().map(|l| wit::Lens { id: l.id, name: l.name }).collect(),
            locales: c.locales,
        }
    }
}

impl From<core_api::SignatureError> for wit::SignatureError {
    fn from(e: core_api::SignatureError) -> Self {
        use core_api::SignatureError as E;
        match e {
            E::Missing => Self::Missing,
            E::Malformed(m) => Self::Malformed(m),
            E::Mismatch => Self::Mismatch,
            E::Expired(s) => Self::Expired(s),
            E::FromFuture(s) => Self::FromFuture(s),
            E::NoSecret => Self::NoSecret,
        }
    }
}

impl From<core_api::AssessmentResult> for wit::AssessmentResult {
    fn from(r: core_api::AssessmentResult) -> Self {
        Self {
            result_id: r.result_id,
            score: r.score,
            subscores: r.subscores.into_iter().map(|s| wit::Subscore { name: s.name, score: s.score.get() }).collect(),
            recruitment_url: r.recruitment_url,
            report_url: r.report_url,
        }
    }
}

impl From<core_api::hubs::HubOrder> for wh::HubOrder {
    fn from(o: core_api::hubs::HubOrder) -> Self {
        Self {
            order_id: o.order_id,
            tenant: o.tenant,
            package_id: o.package_id,
            job_id: o.job_id,
            job_title: o.job_title,
            candidate: o.candidate.into(),
            collaborator_emails: o.collaborator_emails,
        }
    }
}

impl From<core_api::OrderDetails> for wit::OrderDetails {
    fn from(o: core_api::OrderDetails) -> Self {
        Self {
            recruitment: wit::Recruitment {
                id: o.recruitment.id,
                title: o.recruitment.title,
                description: o.recruitment.description,
            },
            lens_id: o.lens_id,
            locale: o.locale,
            candidate: o.candidate.into(),
            collaborator_emails: o.collaborator_emails,
            result_id: o.result_id,
            result_update_url: o.result_update_url,
        }
    }
}

impl From<core_api::hubs::WriteOutcome> for wh::WriteOutcome {
    fn from(o: core_api::hubs::WriteOutcome) -> Self {
        match o {
            core_api::hubs::WriteOutcome::Written => Self::Written,
            core_api::hubs::WriteOutcome::RetryLater(r) => Self::RetryLater(r.into()),
            core_api::hubs::WriteOutcome::Failed(r) => Self::Failed(r.into()),
        }
    }
}

impl From<core_api::Rejection> for wit::Rejection {
    fn from(r: core_api::Rejection) -> Self {
        Self { status: r.status, message: r.message }
    }
}

impl From<core_api::OrderOutcome> for wit::OrderOutcome {
    fn from(o: core_api::OrderOutcome) -> Self {
        use core_api::OrderOutcome as O;
        match o {
            O::Accepted(link) => Self::Accepted(link),
            O::Duplicate => Self::Duplicate,
            O::Rejected(r) => Self::Rejected(r.into()),
            O::Unauthorized(r) => Self::Unauthorized(r.into()),
            O::RetryLater(r) => Self::RetryLater(r.into()),
        }
    }
}
