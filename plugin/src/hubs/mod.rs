//! Hub adapters: each hub's order events, write-backs and signatures,
//! translated to and from the connector's own types.
//!
//! Every adapter reads its hub's order event into a [`HubOrder`], so the
//! rest (validation, data minimisation, the Assessio order) is shared: a new
//! hub is one new module here, not a change to the core.

pub mod kombo;
pub mod stackone;
pub mod teamtailor;

use crate::error::InputError;
use crate::order::{Candidate, OrderDetails, Recruitment};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// An order as any hub describes it, reduced to what Assessio may receive.
/// Missing names stay empty here, so that [`crate::order::build_order`]
/// names the missing field and the hub can show that to the recruiter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct HubOrder {
    /// The hub's id for the order (Kombo order id, Teamtailor partner result id).
    pub order_id: String,
    /// Which customer: the hub's integration, account or company id.
    pub tenant: String,
    /// What the recruiter chose: a package id the connector published.
    pub package_id: String,
    /// The hub's id for the job, for a stable Assessio recruitment per job.
    pub job_id: String,
    /// The job name.
    pub job_title: String,
    /// The candidate's email and names, nothing else.
    pub candidate: Candidate,
    /// The hiring team's emails.
    pub collaborator_emails: Vec<String>,
}

impl HubOrder {
    /// The Assessio order for this hub order, with ids derived from the hub's
    /// own (see [`crate::ids`]) and the result routed to `result_base_url`.
    pub fn order_details(&self, hub: &str, lens_id: &str, locale: &str, result_base_url: &str) -> OrderDetails {
        let tenant = format!("{hub}:{}", self.tenant);
        let result_id = result_id(hub, &self.tenant, &self.order_id, None);
        OrderDetails {
            recruitment: Recruitment {
                id: crate::ids::stable_id("recruitment", &[&tenant, &self.job_id]),
                title: self.job_title.clone(),
                description: None,
            },
            lens_id: lens_id.into(),
            locale: locale.into(),
            candidate: self.candidate.clone(),
            collaborator_emails: self.collaborator_emails.clone(),
            result_update_url: format!("{}/{result_id}", result_base_url.trim_end_matches('/')),
            result_id,
        }
    }
}

/// The result id [`HubOrder::order_details`] gives `order_id` of `tenant` at
/// `hub`, or with `key` the keyed form of it ([`crate::ids::keyed_id`]): a
/// gateway that holds a secret key hands out result ids nobody can compute
/// from the hub's public ids.
pub fn result_id(hub: &str, tenant: &str, order_id: &str, key: Option<&[u8]>) -> String {
    let tenant = format!("{hub}:{tenant}");
    match key {
        Some(key) => crate::ids::keyed_id(key, "result", &[&tenant, order_id]),
        None => crate::ids::stable_id("result", &[&tenant, order_id]),
    }
}

/// What a hub's answer to a write (a result, packages, progress) means.
/// Every adapter classifies its hub's answers into this, so a host retries
/// or gives up the same way whichever hub it writes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WriteOutcome {
    /// Stored.
    Written,
    /// Rate limit, remote service unavailable, 5xx: try the same write later.
    RetryLater(crate::response::Rejection),
    /// Refused for good (bad body, unknown order, credentials).
    Failed(crate::response::Rejection),
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for an
/// id put into a hub's URL path or query.
pub(crate) fn percent_encode(s: &str) -> String {
    use core::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A JSON request to a hub's API: `base` (checked, as `base_field`) plus
/// `path`, the hub's own auth and tenant headers, then `Accept` and, with a
/// body, `Content-Type`. Each adapter supplies only what differs.
pub(crate) fn api_request(
    method: crate::http::Method,
    (base_field, base): (&str, &str),
    path: &str,
    hub_headers: [crate::http::Header; 2],
    body: Option<Vec<u8>>,
) -> Result<crate::http::HttpRequest, InputError> {
    use crate::http::Header;
    let base = crate::validate::http_url(base_field, base, false)?.trim_end_matches('/');
    let mut headers: Vec<Header> = hub_headers.into();
    headers.push(Header::new("Accept", "application/json"));
    if body.is_some() {
        headers.push(Header::new("Content-Type", "application/json"));
    }
    Ok(crate::http::HttpRequest { method, url: format!("{base}{path}"), headers, body: body.unwrap_or_default() })
}

/// The lens name as a recruiter should see it in the ATS: prefixed with
/// "Assessio" so the vendor is clear among other providers' packages, unless
/// the name already starts with the word (any case), which would read
/// "Assessio Assessio Sales Lens".
fn branded(lens_name: &str) -> String {
    let name = lens_name.trim();
    let head = name.get(..BRAND.len());
    let rest = name.get(BRAND.len()..);
    let starts_with_brand = head.is_some_and(|h| h.eq_ignore_ascii_case(BRAND))
        && rest.is_some_and(|r| r.chars().next().is_none_or(|c| !c.is_alphanumeric()));
    if starts_with_brand { String::from(name) } else { format!("{BRAND} {name}") }
}

/// The vendor's name, as packages are prefixed with it.
const BRAND: &str = "Assessio";

/// One orderable package as every hub lists it: a lens in a locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// [`package_id`]: `<lens id>:<locale>`.
    pub id: String,
    /// `Assessio <lens> (<language>)`; a lens whose name already starts with
    /// "Assessio" is not prefixed again.
    pub name: String,
    /// One sentence for the ATS's package list.
    pub description: String,
}

/// The packages to offer: one per lens and locale, so that choosing a
/// package chooses both (as Teamtailor's dialog does, seed 000), in the
/// catalog's order, lenses first.
pub fn packages(catalog: &crate::lenses::Catalog) -> Vec<Package> {
    catalog
        .lenses
        .iter()
        .flat_map(|lens| {
            catalog.locales.iter().map(move |locale| {
                let language = locale_name(locale);
                let lens_name = lens.name.trim();
                let name = format!("{} ({language})", branded(lens_name));
                Package {
                    id: package_id(&lens.id, locale),
                    name,
                    description: format!(
                        "Assessio personality assessment scored for the {lens_name} lens; the candidate is invited in {language}."
                    ),
                }
            })
        })
        .collect()
}

/// A package id that names a lens and a locale: `<lens id>:<locale>`.
/// Choosing a package is choosing both, as in Teamtailor's dialog (seed 000).
pub fn package_id(lens_id: &str, locale: &str) -> String {
    format!("{lens_id}:{locale}")
}

/// The lens and locale a package id names.
pub fn parse_package_id(package_id: &str) -> Result<(&str, &str), InputError> {
    match package_id.rsplit_once(':') {
        Some((lens, locale)) if !lens.trim().is_empty() && !locale.trim().is_empty() => Ok((lens, locale)),
        _ => Err(InputError::invalid("package_id", "is not a package this connector published")),
    }
}

/// A sentence a recruiter can act on, for an order refused before it reached
/// Assessio. Names the field in the recruiter's words; never echoes values.
pub fn recruiter_message(e: &InputError) -> String {
    let what = |field: &str| match field {
        "candidate.first-name" => "the candidate has no first name",
        "candidate.last-name" => "the candidate has no last name",
        "candidate.email" => "the candidate's email address is missing or not valid",
        "recruitment.title" => "the job has no name",
        "recruitment.id" => "the job has no id",
        "lens-id" | "locale" | "package_id" => "the chosen assessment package is not one Assessio offers",
        f if f.starts_with("collaborator-emails") => "a hiring team member's email address is not valid",
        _ => "the order is incomplete",
    };
    match e {
        InputError::Missing(f) | InputError::Invalid(crate::error::FieldProblem { field: f, .. }) => {
            let mut s = format!("Assessio could not be ordered: {}.", what(f));
            if f.starts_with("candidate.") && f.ends_with("name") {
                s.push_str(" Assessio needs a first and a last name to invite the candidate.");
            }
            s
        }
        InputError::Malformed(_) => String::from("Assessio could not be ordered: the order could not be read."),
    }
}

/// Display names for the locales Assessio lists, so packages read well in
/// an ATS. Unknown tags are shown as they are.
pub fn locale_name(tag: &str) -> &str {
    match tag {
        "en-US" => "English (US)",
        "en-GB" => "English (UK)",
        "sv-SE" => "Swedish",
        "nb-NO" => "Norwegian (Bokmål)",
        "nn-NO" => "Norwegian (Nynorsk)",
        "no-NO" => "Norwegian",
        "da-DK" => "Danish",
        "fi-FI" => "Finnish",
        "nl-NL" => "Dutch",
        "de-DE" => "German",
        "fr-FR" => "French",
        "es-ES" => "Spanish",
        "pl-PL" => "Polish",
        other => other,
    }
}

/// The result every adapter's tests write back: the seed's scores with
/// both Assessio links.
#[cfg(test)]
pub(crate) fn sample_result() -> crate::result::AssessmentResult {
    use crate::result::{AssessmentResult, Subscore};
    AssessmentResult {
        result_id: "r".into(),
        score: Some(71),
        subscores: alloc::vec![
            Subscore { name: "Driving Leadership".into(), score: 73.into() },
            Subscore { name: "Influencing & Inspiring".into(), score: 68.into() },
        ],
        recruitment_url: Some("https://app.assessio.online/r/1".into()),
        report_url: Some("https://app.assessio.online/rep/2".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_carry_the_brand_once() {
        let catalog = crate::lenses::Catalog {
            lenses: alloc::vec![
                crate::lenses::Lens { id: "a".into(), name: "Sales Lens".into() },
                crate::lenses::Lens { id: "b".into(), name: "Assessio Sales Lens".into() },
                crate::lenses::Lens { id: "c".into(), name: "ASSESSIO: Leadership".into() },
                crate::lenses::Lens { id: "d".into(), name: "Assessiometric".into() },
            ],
            locales: alloc::vec!["sv-SE".into()],
        };
        let names: Vec<String> = packages(&catalog).into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "Assessio Sales Lens (Swedish)",
                "Assessio Sales Lens (Swedish)",
                "ASSESSIO: Leadership (Swedish)",
                "Assessio Assessiometric (Swedish)",
            ]
        );
    }

    #[test]
    fn package_ids_round_trip_even_with_colons_in_the_lens() {
        assert_eq!(parse_package_id(&package_id("7922dd91", "sv-SE")), Ok(("7922dd91", "sv-SE")));
        assert_eq!(parse_package_id(&package_id("a:b", "en-US")), Ok(("a:b", "en-US")));
        assert!(parse_package_id("typescript_test").is_err());
        assert!(parse_package_id("x:").is_err());
    }

    #[test]
    fn recruiter_messages_say_what_to_fix_without_values() {
        let m = recruiter_message(&InputError::missing("candidate.last-name"));
        assert_eq!(
            m,
            "Assessio could not be ordered: the candidate has no last name. \
             Assessio needs a first and a last name to invite the candidate."
        );
        let m = recruiter_message(&InputError::invalid("candidate.email", "is not an email address: no `@`"));
        assert!(m.contains("email address"), "{m}");
    }
}
