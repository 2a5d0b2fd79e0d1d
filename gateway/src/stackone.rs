//! The StackOne flows: the `ats_assessments.created` order event, and
//! retrying kept orders.
//!
//! StackOne signs the raw body under the webhook secret; the header and
//! encoding are unconfirmed upstream, so both are settings. The linked
//! account (`account_id`) names the customer. StackOne's retry policy is not
//! documented, so an order Assessio cannot take yet is kept and placed by
//! `POST /reconcile` rather than left to a redelivery. Every byte to and
//! from StackOne is built and read by `assessio_plugin::hubs::stackone`.

// `StackOne` is the product's name, not code.

use crate::config::Config;
use crate::place::{self, Kept, Order, Placement, lens_and_locale};
use crate::platform::Platform;
use crate::records::PendingOrder;
use crate::reply::{Incoming, Outgoing};
use assessio_plugin::InputError;
use assessio_plugin::hubs::recruiter_message;
use assessio_plugin::hubs::stackone::{ORDER_CREATED, parse_order_event, rejection_body, verify_webhook};
use serde_json::{Value, json};

/// The hub's name in records and ids.
pub const HUB: &str = "stackone";

/// The event type of a body that is an event envelope of another type, to be
/// acknowledged and ignored rather than refused.
fn other_event_type(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if !v.get("data").is_some_and(Value::is_object) {
        return None;
    }
    ["event", "type"]
        .iter()
        .filter_map(|k| v.get(k).and_then(Value::as_str))
        .find(|t| *t != ORDER_CREATED)
        .map(|t| t.chars().take(100).collect())
}

/// `POST /stackone/webhook`: an `ats_assessments.created` event.
pub async fn order_webhook(p: &impl Platform, cfg: &Config, req: &Incoming) -> Outgoing {
    let Some(hub) = &cfg.stackone else {
        return Outgoing::hub_not_configured(HUB, crate::config::names::STACKONE_API_KEY);
    };
    let headers: Vec<(&str, &str)> = req.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    if let Err(e) = verify_webhook(&hub.scheme, &headers, &req.body, &hub.webhook_secret) {
        p.log(&format!("stackone webhook refused: {e}"));
        return Outgoing::error(401, &format!("missing or invalid {}", hub.scheme.header_name));
    }
    if let Some(kind) = other_event_type(&req.body) {
        return Outgoing::json(200, &json!({ "status": "ignored", "reason": format!("event is {kind}") }));
    }
    let event = match parse_order_event(&req.body) {
        Ok(e) => e,
        Err(e @ InputError::Malformed(_)) => return Outgoing::error(400, &format!("unreadable order event: {e}")),
        Err(e) => {
            p.log(&format!("stackone order event unusable: {e}"));
            return Outgoing::raw_json(422, rejection_body(&recruiter_message(&e)));
        }
    };
    let order = &event.order;
    let Some(tenant) = hub.tenants.get(&order.tenant) else {
        p.log(&format!("stackone order {}: account `{}` is not in `stackone_tenants`", order.order_id, order.tenant));
        let message =
            "Assessio could not be ordered: this StackOne account is not connected to an Assessio organisation.";
        return Outgoing::raw_json(422, rejection_body(message));
    };
    let Some((lens_id, locale)) = lens_and_locale(&order.package_id, tenant) else {
        let message = "Assessio could not be ordered: the chosen assessment package is not one Assessio offers.";
        return Outgoing::raw_json(422, rejection_body(message));
    };
    let o = Order { hub: HUB, tenant, order, lens_id, locale, update_url: None };
    match place::place_or_keep(p, cfg, &o).await {
        Kept::Done(Placement::Placed { already }) => {
            Outgoing::json(200, &json!({ "status": "placed", "already": already }))
        }
        Kept::Done(Placement::Rejected(message)) => Outgoing::raw_json(422, rejection_body(&message)),
        Kept::Kept(reason) => Outgoing::json(202, &json!({ "status": "kept", "reason": reason })),
        Kept::Done(Placement::RetryLater(reason)) | Kept::Lost(reason) => Outgoing::error(503, &reason),
    }
}

/// Retries a kept order (from `POST /reconcile`); `give_up` turns a further
/// "retry later" into a rejection once the order was kept too long.
pub async fn retry_kept(p: &impl Platform, cfg: &Config, pending: &PendingOrder, give_up: bool) -> Placement {
    let rid = place::result_id(HUB, &pending.order.tenant, &pending.order.order_id);
    let tenant = cfg.stackone.as_ref().and_then(|hub| hub.tenants.get(&pending.order.tenant));
    let placement = match tenant {
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
    place::settle(p, &rid, placement, give_up)
}
