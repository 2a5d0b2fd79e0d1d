//! Conversions between this crate's types and the Rust types wit-bindgen
//! generates for `wit/connector.wit`, in both directions, written once.
//!
//! Two components meet at the WIT boundary: the plugin exports the
//! interfaces (its generated types arrive as arguments and leave as
//! results) and the Spin gateway imports them (the other way round). Each
//! has its own generated types, in its own crate, so the conversions are a
//! macro each of them expands over its own bindings: [`wit_conversions!`].
//! A field added to the WIT then fails to compile in both places until it
//! is mapped here.

/// `Box`, for expansions in crates that do not name `alloc`.
#[doc(hidden)]
pub use alloc::boxed::Box;

/// Implements `From` both ways between this crate's types and a set of
/// wit-bindgen bindings of `assessio:connector`, given the paths of the
/// generated `types`, `assessio`, `hubs`, `kombo`, `teamtailor` and
/// `stackone` modules (relative to where the macro is called). Expand it
/// once per set of bindings; the impls live in an anonymous scope.
#[macro_export]
macro_rules! wit_conversions {
    ($types:path, $assessio:path, $hubs:path, $kombo:path, $teamtailor:path, $stackone:path $(,)?) => {
        const _: () = {
            use $assessio as wit;
            use $hubs as wh;
            use $kombo as wk;
            use $stackone as ws;
            use $teamtailor as wtt;
            use $types as wt;
            use $crate::hubs::{kombo as ck, stackone as cs, teamtailor as ctt};

            $crate::__wit_record!(wt::Header, $crate::Header { name, value });
            $crate::__wit_enum!(wt::Method, $crate::Method { Get, Post, Put, Patch });
            $crate::__wit_record!(wt::HttpRequest, $crate::HttpRequest { method: into, url, headers: vec, body });
            $crate::__wit_record!(wt::FieldProblem, $crate::FieldProblem { field, problem });
            $crate::__wit_variant!(wt::InputError, $crate::InputError { Malformed(same), Missing(same), Invalid(into) });

            $crate::__wit_variant!(wit::Environment, $crate::Environment { Sandbox, Production, Custom(same) });
            $crate::__wit_record!(wit::Account, $crate::Account { environment: into, provider_key, integrator_secret });
            $crate::__wit_record!(wit::Lens, $crate::Lens { id, name });
            $crate::__wit_record!(wit::Catalog, $crate::Catalog { lenses: vec, locales });
            $crate::__wit_record!(wit::Recruitment, $crate::Recruitment { id, title, description });
            $crate::__wit_record!(wit::Candidate, $crate::Candidate { email, first_name, last_name });
            $crate::__wit_record!(wit::OrderDetails, $crate::OrderDetails {
                recruitment: into, lens_id, locale, candidate: into, collaborator_emails, result_id, result_update_url
            });
            $crate::__wit_enum!(wit::OrderEndpoint, $crate::OrderEndpoint { Order, OrderLink });
            $crate::__wit_record!(wit::Verified, $crate::Verified { signed_at });
            $crate::__wit_variant!(wit::SignatureError, $crate::SignatureError {
                Missing, Malformed(same), Mismatch, Expired(same), FromFuture(same), NoSecret
            });
            $crate::__wit_record!(wit::Rejection, $crate::Rejection { status, message });
            $crate::__wit_variant!(wit::OrderOutcome, $crate::OrderOutcome {
                Accepted(same), Duplicate, Rejected(into), Unauthorized(into), RetryLater(into)
            });
            $crate::__wit_record!(wit::Subscore, $crate::Subscore { name, score: into });
            $crate::__wit_record!(wit::AssessmentResult, $crate::AssessmentResult {
                result_id, score, subscores: vec, recruitment_url, report_url
            });

            $crate::__wit_record!(wh::HubOrder, $crate::hubs::HubOrder {
                order_id, tenant, package_id, job_id, job_title, candidate: into, collaborator_emails
            });
            $crate::__wit_variant!(wh::WriteOutcome, $crate::hubs::WriteOutcome {
                Written, RetryLater(into), Failed(into)
            });

            $crate::__wit_record!(wk::KomboApi, ck::KomboApi { base_url, api_key, integration_id });
            $crate::__wit_record!(wk::OrderEvent, ck::OrderEvent { event_id, status, order: into });
            $crate::__wit_record!(wk::OpenOrders, ck::OpenOrders { orders: vec, unreadable, next });

            $crate::__wit_record!(wtt::Trigger, ctt::TeamtailorTrigger { event_id, update_url, lens_id, locale, order: into });
            $crate::__wit_enum!(wtt::PartnerStatus, ctt::PartnerStatus { Sending, Sent, Pending, Completed, Failed });

            $crate::__wit_record!(ws::StackoneApi, cs::StackOneApi { base_url, api_key, account_id });
            $crate::__wit_enum!(ws::LookupKind, cs::LookupKind { Candidate, Application, Job });
            $crate::__wit_record!(ws::OrderEvent, cs::OrderEvent {
                event, account_id, record_id, package_id, candidate_id, application_id, job_id, job_title,
                candidate: into, collaborator_emails, looked_up: vec
            });
            // The crate boxes the large case; the bindings cannot.
            impl ::core::convert::From<ws::LookupOutcome> for cs::LookupOutcome {
                fn from(v: ws::LookupOutcome) -> Self {
                    match v {
                        ws::LookupOutcome::Merged(e) => Self::Merged($crate::wit_convert::Box::new(e.into())),
                        ws::LookupOutcome::RetryLater(r) => Self::RetryLater(r.into()),
                        ws::LookupOutcome::Failed(r) => Self::Failed(r.into()),
                    }
                }
            }
            impl ::core::convert::From<cs::LookupOutcome> for ws::LookupOutcome {
                fn from(v: cs::LookupOutcome) -> Self {
                    match v {
                        cs::LookupOutcome::Merged(e) => Self::Merged((*e).into()),
                        cs::LookupOutcome::RetryLater(r) => Self::RetryLater(r.into()),
                        cs::LookupOutcome::Failed(r) => Self::Failed(r.into()),
                    }
                }
            }
            $crate::__wit_record!(ws::PackagesQuery, cs::PackagesQuery { account_id, job_id, provider });
        };
    };
}

/// One field's conversion: `same` moves it, `into` converts it, `vec`
/// converts each element.
#[doc(hidden)]
#[macro_export]
macro_rules! __wit_field {
    ($e:expr) => {
        $e
    };
    ($e:expr, same) => {
        $e
    };
    ($e:expr, into) => {
        ::core::convert::Into::into($e)
    };
    ($e:expr, vec) => {
        ::core::iter::Iterator::collect(::core::iter::Iterator::map(
            ::core::iter::IntoIterator::into_iter($e),
            ::core::convert::Into::into,
        ))
    };
}

/// A record: the same fields on both sides.
#[doc(hidden)]
#[macro_export]
macro_rules! __wit_record {
    ($a:path, $b:path { $($f:ident $(: $k:ident)?),* $(,)? }) => {
        impl ::core::convert::From<$a> for $b {
            fn from(v: $a) -> Self {
                Self { $($f: $crate::__wit_field!(v.$f $(, $k)?)),* }
            }
        }
        impl ::core::convert::From<$b> for $a {
            fn from(v: $b) -> Self {
                Self { $($f: $crate::__wit_field!(v.$f $(, $k)?)),* }
            }
        }
    };
}

/// An enum: the same cases on both sides, none with a payload.
#[doc(hidden)]
#[macro_export]
macro_rules! __wit_enum {
    ($a:path, $b:path { $($v:ident),* $(,)? }) => {
        $crate::__wit_variant!($a, $b { $($v),* });
    };
}

/// A variant: the same cases on both sides, each with no payload or one.
#[doc(hidden)]
#[macro_export]
macro_rules! __wit_variant {
    ($a:path, $b:path { $($v:ident $(($k:ident))?),* $(,)? }) => {
        $crate::__wit_variant!(@one $a => $b { $($v $(($k))?),* });
        $crate::__wit_variant!(@one $b => $a { $($v $(($k))?),* });
    };
    (@one $from:path => $to:path { $($v:ident $(($k:ident))?),* }) => {
        impl ::core::convert::From<$from> for $to {
            fn from(v: $from) -> Self {
                type Src = $from;
                match v {
                    $($crate::__wit_variant!(@pat Src, x, $v $(, $k)?) => $crate::__wit_variant!(@build x, $v $(, $k)?),)*
                }
            }
        }
    };
    (@pat $t:ident, $x:ident, $v:ident) => { $t::$v };
    (@pat $t:ident, $x:ident, $v:ident, $k:ident) => { $t::$v($x) };
    (@build $x:ident, $v:ident) => { Self::$v };
    (@build $x:ident, $v:ident, $k:ident) => { Self::$v($crate::__wit_field!($x, $k)) };
}
