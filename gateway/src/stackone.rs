//! The StackOne flows: the `ats_assessments.created` event, the packages
//! list StackOne asks for, and retrying kept orders.
//!
//! StackOne signs the raw body (`x-stackone-signature`, base64url
//! HMAC-SHA256) and sends only ids: the order is `record_id`, the customer
//! `account_id`, and what StackOne could map travels in `event_data`. The
//! rest is read by id from StackOne's unified API (application, candidate,
//! job), the plugin saying which look-up comes next and reading each answer
//! (`assessio_plugin::hubs::stackone`); the gateway only sends.
//!
//! StackOne ignores the body of a webhook answer, so a refused order is
//! reported where the recruiter sees it: the order's result is written
//! `cancelled` with the reason. An order Assessio cannot take yet is kept
//! and placed by `POST /reconcile`; StackOne's own redelivery policy is not
//! documented, so a 503 is answered only when nothing could be kept.

// `StackOne` is the product's name, not code.

use crate::config::{Config, StackOneHub};
use crate::connector::{Connector as _, Plugin};
use crate::hub::Hub;
use crate::place::{self, Kept, Order, Placement, lens_and_locale};
use crate::platform::Platform;
use crate::records::PendingOrder;
use crate::reply::{Incoming, Outgoing};
use assessio_plugin::hubs::stackone::{LookupOutcome, ORDER_CREATED, OrderEvent, StackOneApi, WriteOutcome};
use serde_json::json;

/// The hub's name in records and ids.
pub const HUB: Hub = Hub::StackOne;

/// Checks the signature StackOne puts on webhooks and packages requests.
fn signed(p: &impl Platform, hub: &StackOneHub, req: &Incoming, what: &str) -> bool {
    let headers: Vec<(&str, &str)> = req.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    match Plugin::stackone_verify_webhook(&headers, &req.body, &hub.webhook_secrets()) {
        Ok(()) => true,
        Err(e) => {
            p.log(&format!("stackone {what} refused: {e}"));
            false
        }
    }
}

/// `POST /stackone/webhook`: a unified event. Only `ats_assessments.created`
/// is an order; every other event is acknowledged and ignored.
pub async fn order_webhook(p: &impl Platform, cfg: &Config, req: &Incoming) -> Outgoing {
    let Some(hub) = &cfg.stackone else {
        return Outgoing::hub_not_configured(HUB, crate::config::names::STACKONE_API_KEY);
    };
    if !signed(p, hub, req, "webhook") {
        return Outgoing::error(401, "missing or invalid x-stackone-signature");
    }
    let event = match Plugin::stackone_parse_event(&req.body) {
        Ok(e) => e,
        // Without the envelope's ids there is no order to report on.
        Err(e) => return Outgoing::error(400, &format!("unreadable StackOne event: {e}")),
    };
    if event.event != ORDER_CREATED {
        let kind: String = event.event.chars().take(100).collect();
        return Outgoing::json(200, &json!({ "status": "ignored", "reason": format!("event is {kind}") }));
    }
    let api = hub.api(&event.account_id);
    let Some(tenant) = hub.tenants.get(&event.account_id) else {
        p.log(&format!(
            "stackone order {}: account `{}` is not in `stackone_tenants`",
            event.record_id, event.account_id
        ));
        let message =
            "Assessio could not be ordered: this StackOne account is not connected to an Assessio organisation.";
        return refuse(p, &api, &event.record_id, message).await;
    };
    let event = match complete(p, &api, event).await {
        Completed::Event(e) => *e,
        Completed::RetryLater(reason) => return Outgoing::error(503, &reason),
        Completed::Failed(record_id, reason) => {
            p.log(&format!("stackone order {record_id}: {reason}"));
            let message = "Assessio could not be ordered: StackOne could not give the order's candidate or job.";
            return refuse(p, &api, &record_id, message).await;
        }
    };
    let order = match Plugin::stackone_to_hub_order(&event) {
        Ok(o) => o,
        Err(e) => {
            p.log(&format!("stackone order {} unusable: {e}", event.record_id));
            let message = if matches!(&e, assessio_plugin::InputError::Missing(f) if f == "package.id") {
                "Assessio could not be ordered: StackOne did not say which assessment package was chosen.".to_string()
            } else {
                Plugin::recruiter_message(&e)
            };
            return refuse(p, &api, &event.record_id, &message).await;
        }
    };
    let Some((lens_id, locale)) = lens_and_locale(&order.package_id, tenant) else {
        let message = "Assessio could not be ordered: the chosen assessment package is not one Assessio offers.";
        return refuse(p, &api, &order.order_id, message).await;
    };
    let o = Order { hub: HUB, tenant, order: &order, lens_id: &lens_id, locale: &locale, update_url: None };
    match place::place_or_keep(p, cfg, &o).await {
        Kept::Done(Placement::Placed { already }) => {
            Outgoing::json(200, &json!({ "status": "placed", "already": already }))
        }
        Kept::Done(Placement::Rejected(message)) => refuse(p, &api, &order.order_id, &message).await,
        Kept::Kept(reason) | Kept::Done(Placement::Uncertain(reason)) => {
            Outgoing::json(202, &json!({ "status": "kept", "reason": reason }))
        }
        Kept::Done(Placement::RetryLater(reason)) | Kept::Lost(reason) => Outgoing::error(503, &reason),
    }
}

/// An event completed by look-ups, or why it could not be.
enum Completed {
    Event(Box<OrderEvent>),
    /// StackOne was unavailable: nothing is decided, the event may come again.
    RetryLater(String),
    /// StackOne answered, but not with what the order needs: (order id, why).
    Failed(String, String),
}

/// Runs the look-ups the plugin asks for until it needs none. Each kind is
/// made at most once per event (the plugin records it), so this ends.
async fn complete(p: &impl Platform, api: &StackOneApi, mut event: OrderEvent) -> Completed {
    while let Some((kind, id)) = Plugin::stackone_next_lookup(&event) {
        let request = match Plugin::stackone_lookup_request(api, kind, &id) {
            Ok(r) => r,
            Err(e) => return Completed::Failed(event.record_id.clone(), format!("look-up not sent: {e}")),
        };
        let reply = match p.send(&request).await {
            Ok(reply) => reply,
            Err(e) => return Completed::RetryLater(format!("StackOne unreachable: {e}")),
        };
        match Plugin::stackone_merge_lookup(&event, kind, reply.status, &reply.body) {
            LookupOutcome::Merged(next) => event = *next,
            LookupOutcome::RetryLater(r) => return Completed::RetryLater(r.message),
            LookupOutcome::Failed(r) => return Completed::Failed(event.record_id.clone(), r.message),
        }
    }
    Completed::Event(Box::new(event))
}

/// Tells the recruiter why an order was refused, by writing its result
/// `cancelled` with `message`, and answers StackOne. If StackOne could not
/// take the write now, the answer is 503, so a redelivery (which finds the
/// same refusal) writes it again.
async fn refuse(p: &impl Platform, api: &StackOneApi, order_id: &str, message: &str) -> Outgoing {
    let body = json!({ "status": "rejected", "reason": message });
    match report_refusal(p, api, order_id, message).await {
        WriteOutcome::RetryLater(r) => {
            Outgoing::error(503, &format!("the refusal could not be written to StackOne yet: {}", r.message))
        }
        WriteOutcome::Written | WriteOutcome::Failed(_) => Outgoing::json(200, &body),
    }
}

/// `PATCH .../result` with `cancelled` and the reason; logs what became of it.
async fn report_refusal(p: &impl Platform, api: &StackOneApi, order_id: &str, message: &str) -> WriteOutcome {
    let line = |what: &str| format!("stackone order {order_id}: refusal {what}");
    let request = match Plugin::stackone_rejection_request(api, order_id, message) {
        Ok(r) => r,
        Err(e) => {
            p.log(&line(&format!("not sent: {e}")));
            return WriteOutcome::Failed(assessio_plugin::Rejection { status: 0, message: e.to_string() });
        }
    };
    let outcome = match p.send(&request).await {
        Ok(reply) => Plugin::stackone_interpret_write_response(reply.status, &reply.body),
        Err(e) => WriteOutcome::RetryLater(assessio_plugin::Rejection { status: 0, message: e.message }),
    };
    match &outcome {
        WriteOutcome::Written => p.log(&line("written to StackOne")),
        WriteOutcome::RetryLater(r) | WriteOutcome::Failed(r) => {
            p.log(&line(&format!("not taken (HTTP {}): {}", r.status, r.message)));
        }
    }
    outcome
}

/// `POST /stackone/packages`: the packages list StackOne fetches when a
/// recruiter is about to order (`{job_id, account_id, provider}`, signed like
/// webhooks). Answers one package per lens and locale of the account's
/// Assessio organisation, read live.
pub async fn packages_endpoint(p: &impl Platform, cfg: &Config, req: &Incoming) -> Outgoing {
    let Some(hub) = &cfg.stackone else {
        return Outgoing::hub_not_configured(HUB, crate::config::names::STACKONE_API_KEY);
    };
    if !signed(p, hub, req, "packages request") {
        return Outgoing::error(401, "missing or invalid x-stackone-signature");
    }
    let query = match Plugin::stackone_parse_packages_query(&req.body) {
        Ok(q) => q,
        Err(e) => return Outgoing::error(400, &format!("unreadable packages request: {e}")),
    };
    let Some(tenant) = hub.tenants.get(&query.account_id) else {
        p.log(&format!("stackone packages: account `{}` is not in `stackone_tenants`", query.account_id));
        return Outgoing::error(404, "this StackOne account is not connected to an Assessio organisation");
    };
    match place::catalog(p, cfg, tenant).await {
        Ok(catalog) => Outgoing::raw_json(200, Plugin::stackone_packages_body(&catalog)),
        Err(e) => {
            p.log(&format!("stackone packages for account {}: {e}", query.account_id));
            let status = if matches!(e, place::CatalogError::BadAnswer(_)) { 502 } else { 503 };
            Outgoing::error(status, &format!("Assessio's lenses could not be read right now: {e}"))
        }
    }
}

/// Retries a kept order (from `POST /reconcile`); `give_up` turns a further
/// "retry later" into a rejection once the order was kept too long, and a
/// rejection is written to StackOne for the recruiter.
pub async fn retry_kept(p: &impl Platform, cfg: &Config, pending: &PendingOrder, give_up: bool) -> Placement {
    let rid = cfg.result_id(HUB, &pending.order.tenant, &pending.order.order_id);
    let Some(hub) = &cfg.stackone else {
        let not_configured = Placement::RetryLater("hub not configured: stackone".into());
        return place::settle(p, &rid, not_configured, give_up);
    };
    let placement = match hub.tenants.get(&pending.order.tenant) {
        None => Placement::RetryLater(format!("account `{}` is not in `stackone_tenants`", pending.order.tenant)),
        Some(tenant) => {
            let order = Order {
                hub: HUB,
                tenant,
                order: &pending.order,
                lens_id: &pending.lens_id,
                locale: &pending.locale,
                update_url: None,
            };
            place::place(p, cfg, &order).await
        }
    };
    let placement = place::settle(p, &rid, placement, give_up);
    if let Placement::Rejected(message) = &placement {
        report_refusal(p, &hub.api(&pending.order.tenant), &pending.order.order_id, message).await;
    }
    placement
}
