//! Building an assessment order: validation, the body Assessio expects, and
//! the signed request.
//!
//! Data minimisation is enforced by construction: the body is serialised from
//! [`OrderBody`], which has no field for anything beyond what seed 000 lists
//! as crossing to Assessio (candidate first name, last name, email; job name;
//! lens; locale; collaborators), plus the ids that route the result back.

use crate::account::Account;
use crate::error::{InputError, indexed};
use crate::http::{Header, HttpRequest, Method};
use crate::signature::sign_request;
use crate::validate;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// The recruitment (job) the candidate is assessed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recruitment {
    /// Stable per ATS job, so one job's candidates share one recruitment.
    pub id: String,
    /// The job name.
    pub title: String,
    /// Omitted from the body when `None`.
    #[serde(default)]
    pub description: Option<String>,
}

/// The person invited; Assessio needs both names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Candidate {
    /// Where the invitation goes.
    pub email: String,
    /// Required by Assessio.
    pub first_name: String,
    /// Required by Assessio.
    pub last_name: String,
}

/// Everything needed to order one assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct OrderDetails {
    /// The job.
    pub recruitment: Recruitment,
    /// From the catalog.
    pub lens_id: String,
    /// From the catalog; the invitation's language.
    pub locale: String,
    /// Who is invited.
    pub candidate: Candidate,
    /// Added to the recruitment in Assessio; duplicates sent once.
    #[serde(default)]
    pub collaborator_emails: Vec<String>,
    /// The host's id for the order, echoed in the result.
    pub result_id: String,
    /// Where Assessio will send (POST) the result.
    pub result_update_url: String,
}

/// Which order endpoint to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderEndpoint {
    /// `/recruitment/v1/assessment-order`.
    #[default]
    Order,
    /// `/recruitment/v1/assessment-order-link`: answers with the link, 409 on a duplicate.
    OrderLink,
}

impl OrderEndpoint {
    /// The endpoint's path.
    pub fn path(self) -> &'static str {
        match self {
            Self::Order => "/recruitment/v1/assessment-order",
            Self::OrderLink => "/recruitment/v1/assessment-order-link",
        }
    }
}

/// The wire body, field for field as Assessio's reference lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderBody<'a> {
    recruitment: RecruitmentBody<'a>,
    additional_recruitment_collaborators_emails: Vec<&'a str>,
    result_update_url: &'a str,
    result_id: &'a str,
    lens_id: &'a str,
    locale: &'a str,
    candidate_details: CandidateBody<'a>,
}

#[derive(Serialize)]
struct RecruitmentBody<'a> {
    id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CandidateBody<'a> {
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
}

/// A locale as Assessio lists them: BCP 47 letters, digits and hyphens.
fn locale(value: &str) -> Result<&str, InputError> {
    let v = validate::required_text("locale", value)?;
    let shaped = v.len() <= 35
        && v.split('-')
            .all(|part| !part.is_empty() && part.len() <= 8 && part.bytes().all(|b| b.is_ascii_alphanumeric()));
    if shaped { Ok(v) } else { Err(InputError::invalid("locale", "is not a language tag such as `sv-SE`")) }
}

/// Validates `order` and serialises the exact body Assessio receives.
///
/// Checks run in the order of the fields, so the first problem reported is
/// the first one a person filling the record in would meet.
pub fn order_body(order: &OrderDetails) -> Result<Vec<u8>, InputError> {
    let r = &order.recruitment;
    let recruitment = RecruitmentBody {
        id: validate::required_text("recruitment.id", &r.id)?,
        title: validate::required_text("recruitment.title", &r.title)?,
        description: match r.description.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(validate::plain_text("recruitment.description", d)?),
        },
    };
    let lens_id = validate::required_text("lens-id", &order.lens_id)?;
    let locale = locale(&order.locale)?;
    let c = &order.candidate;
    let candidate_details = CandidateBody {
        email: validate::email("candidate.email", &c.email)?,
        first_name: validate::required_text("candidate.first-name", &c.first_name)?,
        last_name: validate::required_text("candidate.last-name", &c.last_name)?,
    };
    let mut collaborators: Vec<&str> = Vec::with_capacity(order.collaborator_emails.len());
    for (i, e) in order.collaborator_emails.iter().enumerate() {
        let e = validate::email(&indexed("collaborator-emails", i), e)?;
        if !collaborators.iter().any(|seen| seen.eq_ignore_ascii_case(e)) {
            collaborators.push(e);
        }
    }
    let body = OrderBody {
        recruitment,
        additional_recruitment_collaborators_emails: collaborators,
        result_update_url: validate::http_url("result-update-url", &order.result_update_url, true)?,
        result_id: validate::required_text("result-id", &order.result_id)?,
        lens_id,
        locale,
        candidate_details,
    };
    // Serialising plain strings into a Vec cannot fail.
    Ok(crate::never_fails(serde_json::to_vec(&body), "strings always serialise"))
}

/// The complete order request: URL, credentials, content type, and a
/// `Signature` made at `now` when the account signs.
pub fn build_order(
    account: &Account,
    order: &OrderDetails,
    endpoint: OrderEndpoint,
    now: i64,
) -> Result<HttpRequest, InputError> {
    let url = account.url(endpoint.path())?;
    let mut headers = alloc::vec![account.provider_key_header()?];
    let secret = account.signing_secret()?;
    let body = order_body(order)?;
    if let Some(secret) = secret {
        headers.push(sign_request(secret, now, &body).map_err(|e| match e {
            InputError::Invalid(p) if p.field == "timestamp" => InputError::invalid("now", p.problem),
            other => other,
        })?);
    }
    headers.push(Header::new("Content-Type", "application/json"));
    headers.push(Header::new("Accept", "application/json"));
    Ok(HttpRequest { method: Method::Post, url, headers, body })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::account::Environment;
    use crate::signature::verify_signature;

    /// The example order in Assessio's API reference (seed 001), with names.
    pub(crate) fn seed_order() -> OrderDetails {
        OrderDetails {
            recruitment: Recruitment {
                id: "82bd4452-bd16-4227-bce9-f1812a9db6ef".into(),
                title: "Developer".into(),
                description: None,
            },
            lens_id: "7922dd91-1b44-43e4-a740-7c4d9c2fba41".into(),
            locale: "sv-SE".into(),
            candidate: Candidate {
                email: "john.doe@gmail.com".into(),
                first_name: "John".into(),
                last_name: "Doe".into(),
            },
            collaborator_emails: alloc::vec!["recruiter@assessio.com".into()],
            result_id: "73273ca0-0253-4d5f-8f91-d39e298bd351".into(),
            result_update_url:
                "https://www.integrator.com/api/v1/candidate-results/73273ca0-0253-4d5f-8f91-d39e298bd351".into(),
        }
    }

    pub(crate) fn account() -> Account {
        Account {
            environment: Environment::Sandbox,
            provider_key: "pk_test".into(),
            integrator_secret: Some("whsec_test_secret".into()),
        }
    }

    /// Byte-exact: the field order and names of Assessio's reference.
    pub(crate) const SEED_BODY: &str = concat!(
        r#"{"recruitment":{"id":"82bd4452-bd16-4227-bce9-f1812a9db6ef","title":"Developer"},"#,
        r#""additionalRecruitmentCollaboratorsEmails":["recruiter@assessio.com"],"#,
        r#""resultUpdateUrl":"https://www.integrator.com/api/v1/candidate-results/73273ca0-0253-4d5f-8f91-d39e298bd351","#,
        r#""resultId":"73273ca0-0253-4d5f-8f91-d39e298bd351","lensId":"7922dd91-1b44-43e4-a740-7c4d9c2fba41","#,
        r#""locale":"sv-SE","candidateDetails":{"email":"john.doe@gmail.com","firstName":"John","lastName":"Doe"}}"#
    );

    #[test]
    fn the_seed_order_serialises_byte_for_byte() {
        assert_eq!(String::from_utf8(order_body(&seed_order()).unwrap()).unwrap(), SEED_BODY);
    }

    #[test]
    fn the_request_is_complete_and_its_signature_verifies() {
        let r = build_order(&account(), &seed_order(), OrderEndpoint::Order, 1_700_000_000).unwrap();
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.url, "https://sandbox.api.assessio.systems/recruitment/v1/assessment-order");
        let names: Vec<&str> = r.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["provider-key", "Signature", "Content-Type", "Accept"]);
        assert_eq!(r.header("provider-key"), Some("pk_test"));
        assert_eq!(r.body, SEED_BODY.as_bytes());
        assert!(verify_signature(r.header("signature"), &r.body, "whsec_test_secret", 1_700_000_000, None).is_ok());

        let link = build_order(&account(), &seed_order(), OrderEndpoint::OrderLink, 5).unwrap();
        assert!(link.url.ends_with("/recruitment/v1/assessment-order-link"));
        let mut unsigned = account();
        unsigned.integrator_secret = None;
        assert_eq!(build_order(&unsigned, &seed_order(), OrderEndpoint::Order, 5).unwrap().header("Signature"), None);
        unsigned.integrator_secret = Some(String::new());
        assert_eq!(
            build_order(&unsigned, &seed_order(), OrderEndpoint::Order, 5),
            Err(InputError::missing("account.integrator-secret"))
        );
    }

    #[test]
    fn each_missing_or_bad_field_is_named() {
        type Edit = fn(&mut OrderDetails);
        let cases: [(Edit, &str, bool); 12] = [
            (|o| o.candidate.first_name = "  ".into(), "candidate.first-name", true),
            (|o| o.candidate.last_name = String::new(), "candidate.last-name", true),
            (|o| o.candidate.email = String::new(), "candidate.email", true),
            (|o| o.candidate.email = "john.doe at gmail".into(), "candidate.email", false),
            (|o| o.lens_id = String::new(), "lens-id", true),
            (|o| o.locale = " ".into(), "locale", true),
            (|o| o.locale = "sv_SE".into(), "locale", false),
            (|o| o.recruitment.id = String::new(), "recruitment.id", true),
            (|o| o.recruitment.title = "\t".into(), "recruitment.title", true),
            (|o| o.collaborator_emails.push("nobody".into()), "collaborator-emails[1]", false),
            (|o| o.result_update_url = "ftp://x.io".into(), "result-update-url", false),
            (|o| o.result_id = String::new(), "result-id", true),
        ];
        for (edit, field, missing) in cases {
            let mut o = seed_order();
            edit(&mut o);
            match build_order(&account(), &o, OrderEndpoint::Order, 1) {
                Err(InputError::Missing(f)) if missing => assert_eq!(f, field),
                Err(InputError::Invalid(p)) if !missing => assert_eq!(p.field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn names_are_trimmed_descriptions_optional_and_collaborators_deduplicated() {
        let mut o = seed_order();
        o.candidate.first_name = "  John ".into();
        o.recruitment.description = Some("Backend, Rust".into());
        o.collaborator_emails = alloc::vec!["a@x.se".into(), "A@X.se".into(), "b@x.se".into()];
        let body: serde_json::Value = serde_json::from_slice(&order_body(&o).unwrap()).unwrap();
        assert_eq!(body["candidateDetails"]["firstName"], "John");
        assert_eq!(body["recruitment"]["description"], "Backend, Rust");
        assert_eq!(body["additionalRecruitmentCollaboratorsEmails"], serde_json::json!(["a@x.se", "b@x.se"]));
    }

    #[test]
    fn a_bad_clock_is_named_as_now() {
        assert!(matches!(
            build_order(&account(), &seed_order(), OrderEndpoint::Order, -5),
            Err(InputError::Invalid(p)) if p.field == "now"
        ));
    }
}
