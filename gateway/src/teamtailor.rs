//! The Teamtailor flows: the partner configuration endpoint (the trigger
//! dialog's lenses and locales), the stage trigger, progress on the partner
//! result, and retrying kept orders.
//!
//! Teamtailor authenticates each call with the customer's provider key
//! (`Authorization: Bearer`), optionally signs the partner-event id
//! (`Teamtailor-Signature`), shows the plain-text body of any answer >= 400
//! to the recruiter, and never retries. So an order Assessio cannot take yet
//! is kept and placed by `POST /reconcile`, and the recruiter follows it on
//! the partner result: `sending` → `sent` → `completed`, or `failed` with the
//! reason. Every byte to and from Teamtailor is built and read by
//! `assessio_plugin::hubs::teamtailor`.

use crate::config::{Config, TeamtailorHub, TeamtailorTenant};
use crate::connector::{Connector as _, Plugin};
use crate::hub::Hub;
use crate::place::{self, Kept, Order, Placement};
use crate::platform::Platform;
use crate::records::{self, PendingOrder, State};
use crate::reply::{Incoming, Outgoing};
use assessio_plugin::InputError;
use assessio_plugin::hubs::kombo::WriteOutcome;
use assessio_plugin::hubs::teamtailor::PartnerStatus;
use serde_json::{Value, json};

/// The hub's name in records and ids.
pub const HUB: Hub = Hub::Teamtailor;
/// How far `Teamtailor-Signature`'s `t` may lie from now, either way.
const SIGNATURE_TOLERANCE: u32 = 300;

/// The company whose provider key `Authorization: Bearer` carries. Every
/// configured key is compared (hashed, in constant time) whatever matches,
/// so the time taken says nothing about any key.
fn tenant_by_key<'a>(hub: &'a TeamtailorHub, authorization: Option<&str>) -> Option<(&'a str, &'a TeamtailorTenant)> {
    let mut found = None;
    for (company, tenant) in &hub.tenants {
        let matches = Plugin::teamtailor_verify_provider_key(authorization, &tenant.teamtailor_provider_key);
        if matches && found.is_none() {
            found = Some((company.as_str(), tenant));
        }
    }
    found
}

/// What the configuration endpoint answers: always 200 with a body in the
/// shape Teamtailor documents, so that the dialog either offers the choices
/// or shows the recruiter, in its red alert, why it cannot. Teamtailor
/// documents no other answer to this call, so a 401 or 5xx would leave the
/// recruiter with an empty or broken dialog and no reason.
fn config_answer(body: Vec<u8>) -> Outgoing {
    Outgoing::raw(200, CONFIG_MEDIA_TYPE, body)
}

/// The configuration answer's media type: the documented answer is plain
/// JSON, not JSON:API.
pub const CONFIG_MEDIA_TYPE: &str = "application/json";

/// The sentences a recruiter sees in the dialog when it cannot be built.
/// None of them carries a setting's value or an upstream's words, which
/// could hold a secret; the log says more.
pub mod config_messages {
    /// The gateway's settings are incomplete or malformed.
    pub const MISCONFIGURED: &str = "The Assessio connector is not set up correctly. \
        Ask your Assessio contact to check the connector's settings.";
    /// Teamtailor is switched off on this gateway.
    pub const HUB_OFF: &str = "The Assessio connector is not set up for Teamtailor yet. \
        Ask your Assessio contact to enable it.";
    /// The provider key is missing or no configured company's.
    pub const UNKNOWN_KEY: &str = "This Teamtailor account is not connected to Assessio: \
        its provider key is not one the Assessio connector knows. Ask your Assessio contact to connect it.";
    /// The company is known, but no Assessio organisation is linked to it.
    pub const NO_ORGANISATION: &str = "Your company is not linked to an Assessio organisation yet. \
        Ask your Assessio contact to link it, then set up this trigger again.";
    /// Assessio did not answer the catalog request.
    pub const UNREACHABLE: &str = "Assessio could not be reached to list your assessments. \
        Close this dialog and try again in a few minutes.";
    /// Assessio answered the catalog request, but not with a catalog.
    pub const REFUSED: &str = "Assessio did not list the assessments of your organisation. \
        Ask your Assessio contact to check that your organisation's connection is valid.";
}

/// The configuration endpoint's answer when the gateway's settings cannot
/// be loaded: the dialog says so (the log names the setting).
pub fn config_misconfigured() -> Outgoing {
    config_answer(Plugin::teamtailor_config_error_response(config_messages::MISCONFIGURED))
}

/// `GET /teamtailor/config`: the trigger dialog's choices, from the
/// customer's Assessio catalog, fetched live; or, when that is impossible,
/// the reason as the dialog's error field.
pub async fn config_endpoint(p: &impl Platform, cfg: &Config, req: &Incoming) -> Outgoing {
    use config_messages::{HUB_OFF, NO_ORGANISATION, REFUSED, UNKNOWN_KEY, UNREACHABLE};
    let Some(hub) = &cfg.teamtailor else {
        p.log("teamtailor config: the hub is not configured");
        return config_answer(Plugin::teamtailor_config_error_response(HUB_OFF));
    };
    let Some((company, tenant)) = tenant_by_key(hub, req.header("authorization")) else {
        p.log("teamtailor config refused: missing or unknown provider key");
        return config_answer(Plugin::teamtailor_config_error_response(UNKNOWN_KEY));
    };
    let Some(assessio) = &tenant.assessio else {
        p.log(&format!("teamtailor config for company {company}: no Assessio organisation (provider_key) linked"));
        return config_answer(Plugin::teamtailor_config_error_response(NO_ORGANISATION));
    };
    match place::catalog(p, cfg, assessio).await {
        Ok(catalog) => config_answer(Plugin::teamtailor_config_response(&catalog)),
        Err(e) => {
            p.log(&format!("teamtailor config for company {company}: {e}"));
            let message = match e {
                place::CatalogError::Unreachable(_) => UNREACHABLE,
                place::CatalogError::BadAnswer(_) => REFUSED,
                place::CatalogError::Misconfigured(_) => config_messages::MISCONFIGURED,
            };
            config_answer(Plugin::teamtailor_config_error_response(message))
        }
    }
}

/// Checks `Teamtailor-Signature` over the partner-event id, when a secret is
/// configured.
fn signature_ok(p: &impl Platform, hub: &TeamtailorHub, req: &Incoming, event_id: &str) -> bool {
    let Some(secret) = hub.signature_secret.as_deref() else {
        return true;
    };
    let header = req.header("teamtailor-signature");
    match Plugin::teamtailor_verify_signature(header, event_id, secret, p.now(), Some(SIGNATURE_TOLERANCE)) {
        Ok(_) => true,
        Err(e) => {
            p.log(&format!("teamtailor trigger refused: {e}"));
            false
        }
    }
}

/// `POST /teamtailor/webhook`: a stage trigger. Authenticates, places the
/// order (or keeps it for reconcile), and reports progress.
pub async fn trigger_webhook(p: &impl Platform, cfg: &Config, req: &Incoming) -> Outgoing {
    let Some(hub) = &cfg.teamtailor else {
        return Outgoing::hub_not_configured(HUB, crate::config::names::TEAMTAILOR_API_KEY);
    };
    let Some((company, tenant)) = tenant_by_key(hub, req.header("authorization")) else {
        p.log("teamtailor trigger refused: missing or unknown provider key");
        return Outgoing::text(401, "Missing or unknown provider key (Authorization: Bearer).");
    };
    let trigger = match Plugin::teamtailor_parse_trigger(&req.body) {
        Ok(t) => t,
        Err(e) => return unusable(p, hub, company, req, &e).await,
    };
    if !signature_ok(p, hub, req, &trigger.event_id) {
        return Outgoing::text(401, "Missing or invalid Teamtailor-Signature.");
    }
    if trigger.order.tenant != company {
        p.log(&format!(
            "teamtailor trigger refused: company {} sent with the provider key of company {company}",
            trigger.order.tenant
        ));
        return Outgoing::text(403, "This provider key belongs to another Teamtailor company.");
    }
    if !hub.is_update_url_of(&trigger.update_url, &trigger.order.order_id) {
        p.log(&format!(
            "teamtailor trigger refused: the update-url of partner result {} is not that result's under teamtailor_url",
            trigger.order.order_id
        ));
        return Outgoing::text(
            422,
            "The partner result's update-url is not a Teamtailor address this gateway may call.",
        );
    }
    let Some(assessio) = &tenant.assessio else {
        let why = "Assessio could not be ordered: your company is not linked to an Assessio organisation yet.";
        p.log(&format!("teamtailor trigger for company {company} refused: no Assessio organisation linked"));
        progress(p, hub, &trigger.update_url, PartnerStatus::Failed, Some(why)).await;
        return Outgoing::text(422, why);
    };
    let order = Order {
        hub: HUB,
        tenant: assessio,
        order: &trigger.order,
        lens_id: &trigger.lens_id,
        locale: &trigger.locale,
        update_url: Some(&trigger.update_url),
    };
    let rid = cfg.result_id(HUB, company, &trigger.order.order_id);
    match place::place_or_keep(p, cfg, &order).await {
        Kept::Done(placement) => {
            report(p, hub, &trigger.update_url, &rid, &placement).await;
            match placement {
                Placement::Placed { already } => {
                    Outgoing::json(if already { 200 } else { 201 }, &json!({ "status": "placed", "already": already }))
                }
                Placement::Rejected(reason) => Outgoing::text(422, &reason),
                Placement::RetryLater(reason) => Outgoing::text(503, &reason),
                Placement::Uncertain(reason) => Outgoing::json(202, &json!({ "status": "kept", "reason": reason })),
            }
        }
        Kept::Kept(reason) => Outgoing::json(202, &json!({ "status": "kept", "reason": reason })),
        Kept::Lost(reason) => {
            let why = "Assessio is unavailable right now; move the candidate to this stage again later.";
            progress(p, hub, &trigger.update_url, PartnerStatus::Failed, Some(why)).await;
            p.log(&format!("teamtailor order {} ({company}): {reason}", trigger.order.order_id));
            Outgoing::text(503, why)
        }
    }
}

/// The answer to a trigger that cannot be read as an order. When enough of it
/// is readable to trust (its event id verifies, its company and update URL
/// are this customer's), the partner result is also marked `failed` with the
/// reason, so it does not stay `sending`.
async fn unusable(p: &impl Platform, hub: &TeamtailorHub, company: &str, req: &Incoming, e: &InputError) -> Outgoing {
    let text = Plugin::teamtailor_rejection_text(e);
    p.log(&format!("teamtailor trigger for company {company} unusable: {e}"));
    let status = if matches!(e, InputError::Malformed(_)) { 400 } else { 422 };
    let body: Option<Value> = serde_json::from_slice(&req.body).ok();
    let id = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let salvaged = body.as_ref().and_then(|b| {
        let event_id = id(b.pointer("/partner-event/id"))?;
        let update_url = b.pointer("/partner-event/partner-result/update-url")?.as_str()?.trim().to_string();
        let result_id = id(b.pointer("/partner-event/partner-result/id"))?;
        let sent_company = id(b.pointer("/company/uuid"))?;
        Some((event_id, update_url, result_id, sent_company))
    });
    if let Some((event_id, update_url, result_id, sent_company)) = salvaged
        && !event_id.is_empty()
        && sent_company == company
        && hub.is_update_url_of(&update_url, &result_id)
        && signature_ok(p, hub, req, &event_id)
    {
        progress(p, hub, &update_url, PartnerStatus::Failed, Some(&text)).await;
    }
    Outgoing::text(status, &text)
}

/// Tells Teamtailor what became of an order: `sent` once placed (unless the
/// result already arrived, which must not be overwritten), `failed` with the
/// reason once refused. Nothing for a duplicate or a kept order.
async fn report(p: &impl Platform, hub: &TeamtailorHub, update_url: &str, result_id: &str, placement: &Placement) {
    match placement {
        Placement::Placed { already: false } => {
            let arrived = records::load(p, result_id)
                .ok()
                .flatten()
                .is_some_and(|r| matches!(r.state, State::ResultReceived | State::WrittenBack));
            if !arrived {
                progress(p, hub, update_url, PartnerStatus::Sent, None).await;
            }
        }
        Placement::Rejected(reason) => progress(p, hub, update_url, PartnerStatus::Failed, Some(reason)).await,
        Placement::Placed { already: true } | Placement::RetryLater(_) | Placement::Uncertain(_) => {}
    }
}

/// `PUT <update-url>` with a status. Best effort: a lost progress update
/// is logged; the result's own `PUT` (retried until written) still lands.
async fn progress(
    p: &impl Platform,
    hub: &TeamtailorHub,
    update_url: &str,
    status: PartnerStatus,
    reason: Option<&str>,
) {
    if !hub.allows_update_url(update_url) {
        return;
    }
    let line = |what: &str| format!("teamtailor progress `{}`: {what}", status.as_str());
    let request = match Plugin::teamtailor_progress_request(update_url, &hub.api_key, status, reason) {
        Ok(r) => r,
        Err(e) => return p.log(&line(&format!("not sent: {e}"))),
    };
    match p.send(&request).await {
        Ok(reply) => match Plugin::teamtailor_interpret_write_response(reply.status, &reply.body) {
            WriteOutcome::Written => {}
            WriteOutcome::RetryLater(r) | WriteOutcome::Failed(r) => {
                p.log(&line(&format!("not taken (HTTP {}): {}", r.status, r.message)));
            }
        },
        Err(e) => p.log(&line(&format!("Teamtailor unreachable: {e}"))),
    }
}

/// Retries a kept order (from `POST /reconcile`) and reports the outcome on
/// the partner result; `give_up` turns a further "retry later" into a
/// rejection once the order was kept too long.
pub async fn retry_kept(p: &impl Platform, cfg: &Config, pending: &PendingOrder, give_up: bool) -> Placement {
    let rid = cfg.result_id(HUB, &pending.order.tenant, &pending.order.order_id);
    let Some(hub) = &cfg.teamtailor else {
        let not_configured = Placement::RetryLater("hub not configured: teamtailor".into());
        return place::settle(p, &rid, not_configured, give_up);
    };
    let placement = match hub.tenants.get(&pending.order.tenant).map(|t| t.assessio.as_ref()) {
        None => Placement::RetryLater(format!("company `{}` is not in `teamtailor_tenants`", pending.order.tenant)),
        Some(None) => Placement::RetryLater(format!("company `{}` has no Assessio provider_key", pending.order.tenant)),
        Some(Some(assessio)) => {
            let order = Order {
                hub: HUB,
                tenant: assessio,
                order: &pending.order,
                lens_id: &pending.lens_id,
                locale: &pending.locale,
                update_url: pending.update_url.as_deref(),
            };
            place::place(p, cfg, &order).await
        }
    };
    let placement = place::settle(p, &rid, placement, give_up);
    if let Some(url) = pending.update_url.as_deref() {
        report(p, hub, url, &rid, &placement).await;
    }
    placement
}
