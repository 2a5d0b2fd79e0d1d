//! `wit_conversions!` over the types wit-bindgen generates for the
//! `consumer` world (the gateway's side of the boundary), natively: every
//! value of the crate's types crosses to the generated types and back
//! unchanged, and crosses to the generated case or field of its own name.

#![allow(missing_docs)]

mod bindings {
    #![allow(missing_docs, clippy::pedantic, unsafe_code)]
    wit_bindgen::generate!({ path: "../wit", world: "consumer" });
}

use assessio_plugin::hubs::stackone::{LookupKind, LookupOutcome, OrderEvent as StackOneEvent};
use assessio_plugin::hubs::{HubOrder, WriteOutcome};
use assessio_plugin::{
    Account, AssessmentResult, Candidate, Environment, FieldProblem, Header, HttpRequest, InputError, Method,
    OrderDetails, OrderOutcome, Recruitment, Rejection, SignatureError, Subscore, SubscoreValue,
};
use bindings::assessio::connector::{assessio as wit, hubs as wh, stackone as ws, types as wt};
use proptest::prelude::*;

assessio_plugin::wit_conversions!(
    bindings::assessio::connector::types,
    bindings::assessio::connector::assessio,
    bindings::assessio::connector::hubs,
    bindings::assessio::connector::kombo,
    bindings::assessio::connector::teamtailor,
    bindings::assessio::connector::stackone,
);

/// `value` to the generated type `W` and back is `value`.
fn round_trip<C, W>(value: &C)
where
    C: Clone + PartialEq + std::fmt::Debug + From<W>,
    W: From<C>,
{
    let there = W::from(value.clone());
    assert_eq!(&C::from(there), value);
}

fn candidate(email: &str) -> Candidate {
    Candidate { email: email.into(), first_name: "Ada".into(), last_name: "Lovelace".into() }
}

#[test]
fn requests_and_errors_cross_to_the_cases_and_fields_they_name() {
    let request = HttpRequest {
        method: Method::Patch,
        url: "https://api.example/x".into(),
        headers: vec![Header { name: "Signature".into(), value: "t=1,signature=ab".into() }],
        body: b"{}".to_vec(),
    };
    let w = wt::HttpRequest::from(request.clone());
    assert_eq!(w.method, wt::Method::Patch);
    assert_eq!((w.headers[0].name.as_str(), w.headers[0].value.as_str()), ("Signature", "t=1,signature=ab"));
    round_trip::<_, wt::HttpRequest>(&request);

    let invalid = InputError::Invalid(FieldProblem { field: "candidate.email".into(), problem: "not an email".into() });
    assert!(matches!(wt::InputError::from(invalid.clone()),
        wt::InputError::Invalid(wt::FieldProblem { field, problem }) if field == "candidate.email" && problem == "not an email"));
    for e in [invalid, InputError::Missing("lens-id".into()), InputError::Malformed("line 1".into())] {
        round_trip::<_, wt::InputError>(&e);
    }

    for e in [
        SignatureError::Missing,
        SignatureError::Malformed("no t".into()),
        SignatureError::Mismatch,
        SignatureError::Expired(301),
        SignatureError::FromFuture(7),
        SignatureError::NoSecret,
    ] {
        round_trip::<_, wit::SignatureError>(&e);
    }
    assert!(matches!(wit::SignatureError::from(SignatureError::Expired(301)), wit::SignatureError::Expired(301)));
}

#[test]
fn outcomes_cross_case_for_case() {
    let rejection = Rejection { status: 409, message: "duplicate".into() };
    for o in [
        OrderOutcome::Accepted(Some("https://link".into())),
        OrderOutcome::Accepted(None),
        OrderOutcome::Duplicate,
        OrderOutcome::Rejected(rejection.clone()),
        OrderOutcome::Unauthorized(rejection.clone()),
        OrderOutcome::RetryLater(rejection.clone()),
    ] {
        round_trip::<_, wit::OrderOutcome>(&o);
    }
    assert!(matches!(
        wit::OrderOutcome::from(OrderOutcome::Unauthorized(rejection.clone())),
        wit::OrderOutcome::Unauthorized(wit::Rejection { status: 409, .. })
    ));
    for o in [WriteOutcome::Written, WriteOutcome::RetryLater(rejection.clone()), WriteOutcome::Failed(rejection)] {
        round_trip::<_, wh::WriteOutcome>(&o);
    }
}

#[test]
fn orders_and_events_cross_unchanged() {
    for environment in [Environment::Sandbox, Environment::Production, Environment::Custom("http://127.0.0.1:1".into())]
    {
        let account = Account { environment, provider_key: "pk".into(), integrator_secret: Some("s".into()) };
        round_trip::<_, wit::Account>(&account);
    }

    let details = OrderDetails {
        recruitment: Recruitment { id: "r".into(), title: "Backend".into(), description: None },
        lens_id: "lens".into(),
        locale: "sv-SE".into(),
        candidate: candidate("ada@example.com"),
        collaborator_emails: vec!["a@example.com".into(), "b@example.com".into()],
        result_id: "id".into(),
        result_update_url: "https://gw/results/id".into(),
    };
    let w = wit::OrderDetails::from(details.clone());
    assert_eq!((w.candidate.first_name.as_str(), w.candidate.last_name.as_str()), ("Ada", "Lovelace"));
    round_trip::<_, wit::OrderDetails>(&details);

    let order = HubOrder {
        order_id: "o".into(),
        tenant: "t".into(),
        package_id: "p".into(),
        job_id: "j".into(),
        job_title: "Job".into(),
        candidate: candidate("c@example.com"),
        collaborator_emails: vec![],
    };
    round_trip::<_, wh::HubOrder>(&order);

    let event = StackOneEvent {
        event: "ats_assessments.created".into(),
        account_id: "acc".into(),
        record_id: "rec".into(),
        package_id: Some("p".into()),
        candidate_id: None,
        application_id: Some("app".into()),
        job_id: None,
        job_title: Some("Job".into()),
        candidate: candidate("c@example.com"),
        collaborator_emails: vec!["h@example.com".into()],
        looked_up: vec![LookupKind::Candidate, LookupKind::Job],
    };
    round_trip::<_, ws::OrderEvent>(&event);
    let merged = LookupOutcome::Merged(Box::new(event));
    assert!(matches!(ws::LookupOutcome::from(merged.clone()), ws::LookupOutcome::Merged(e) if e.record_id == "rec"));
    round_trip::<_, ws::LookupOutcome>(&merged);
}

proptest! {
    /// Any result, subscores of any finite value included, crosses and
    /// comes back unchanged.
    #[test]
    fn results_cross_unchanged(
        result_id in ".{0,12}",
        score in proptest::option::of(any::<u8>()),
        subscores in proptest::collection::vec((".{0,8}", -1e12f64..1e12), 0..5),
        report_url in proptest::option::of(".{0,12}"),
    ) {
        let result = AssessmentResult {
            result_id,
            score,
            subscores: subscores.into_iter().map(|(name, v)| Subscore { name, score: SubscoreValue::new(v) }).collect(),
            recruitment_url: None,
            report_url,
        };
        let w = wit::AssessmentResult::from(result.clone());
        prop_assert_eq!(w.subscores.len(), result.subscores.len());
        prop_assert_eq!(AssessmentResult::from(w), result);
    }
}
