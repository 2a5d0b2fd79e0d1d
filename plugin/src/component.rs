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

use exports::assessio::connector::assessio as wit;
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
            candidate: core_api::Candidate {
                email: o.candidate.email,
                first_name: o.candidate.first_name,
                last_name: o.candidate.last_name,
            },
            collaborator_emails: o.collaborator_emails,
            result_id: o.result_id,
            result_update_url: o.result_update_url,
        }
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
            subscores: r.subscores.into_iter().map(|s| wit::Subscore { name: s.name, score: s.score }).collect(),
            recruitment_url: r.recruitment_url,
            report_url: r.report_url,
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
