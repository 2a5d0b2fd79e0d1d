//! Between the host's generated WIT types and the `assessio_plugin` crate's.
//!
//! Converting to the crate's types lets every caller (the CLI's JSON, the
//! tests comparing with native calls, the gateway later) use one set of types.

use crate::bindings::{wit, wt};
use assessio_plugin as core_api;

/// The plugin crate's account as the component takes it.
pub fn to_wit_account(a: &core_api::Account) -> wit::Account {
    wit::Account {
        environment: match &a.environment {
            core_api::Environment::Sandbox => wit::Environment::Sandbox,
            core_api::Environment::Production => wit::Environment::Production,
            core_api::Environment::Custom(url) => wit::Environment::Custom(url.clone()),
        },
        provider_key: a.provider_key.clone(),
        integrator_secret: a.integrator_secret.clone(),
    }
}

/// The plugin crate's order details as the component takes them.
pub fn to_wit_order(o: &core_api::OrderDetails) -> wit::OrderDetails {
    wit::OrderDetails {
        recruitment: wit::Recruitment {
            id: o.recruitment.id.clone(),
            title: o.recruitment.title.clone(),
            description: o.recruitment.description.clone(),
        },
        lens_id: o.lens_id.clone(),
        locale: o.locale.clone(),
        candidate: wit::Candidate {
            email: o.candidate.email.clone(),
            first_name: o.candidate.first_name.clone(),
            last_name: o.candidate.last_name.clone(),
        },
        collaborator_emails: o.collaborator_emails.clone(),
        result_id: o.result_id.clone(),
        result_update_url: o.result_update_url.clone(),
    }
}

/// The plugin crate's endpoint as the component takes it.
pub fn to_wit_endpoint(e: core_api::OrderEndpoint) -> wit::OrderEndpoint {
    match e {
        core_api::OrderEndpoint::Order => wit::OrderEndpoint::Order,
        core_api::OrderEndpoint::OrderLink => wit::OrderEndpoint::OrderLink,
    }
}

/// The component's refusal as the plugin crate's type.
pub fn from_wit_input_error(e: wt::InputError) -> core_api::InputError {
    match e {
        wt::InputError::Malformed(m) => core_api::InputError::Malformed(m),
        wt::InputError::Missing(f) => core_api::InputError::Missing(f),
        wt::InputError::Invalid(p) => core_api::InputError::invalid(p.field, p.problem),
    }
}

impl From<wt::HttpRequest> for core_api::HttpRequest {
    fn from(r: wt::HttpRequest) -> Self {
        Self {
            method: match r.method {
                wt::Method::Get => core_api::Method::Get,
                wt::Method::Post => core_api::Method::Post,
                wt::Method::Put => core_api::Method::Put,
                wt::Method::Patch => core_api::Method::Patch,
            },
            url: r.url,
            headers: r.headers.into_iter().map(Into::into).collect(),
            body: r.body,
        }
    }
}

impl From<wt::Header> for core_api::Header {
    fn from(h: wt::Header) -> Self {
        Self { name: h.name, value: h.value }
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

impl From<wit::SignatureError> for core_api::SignatureError {
    fn from(e: wit::SignatureError) -> Self {
        use wit::SignatureError as E;
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

impl From<wit::Rejection> for core_api::Rejection {
    fn from(r: wit::Rejection) -> Self {
        Self { status: r.status, message: r.message }
    }
}

impl From<wit::OrderOutcome> for core_api::OrderOutcome {
    fn from(o: wit::OrderOutcome) -> Self {
        use wit::OrderOutcome as O;
        match o {
            O::Accepted(link) => Self::Accepted(link),
            O::Duplicate => Self::Duplicate,
            O::Rejected(r) => Self::Rejected(r.into()),
            O::Unauthorized(r) => Self::Unauthorized(r.into()),
            O::RetryLater(r) => Self::RetryLater(r.into()),
        }
    }
}
