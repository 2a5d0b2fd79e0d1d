//! The Kombo flows: order webhook, reconcile, package sync.
//!
//! Placing an order is one function, [`place_order`] (over the shared
//! [`crate::place::place`]), used by the webhook and by reconcile, so both
//! have the same idempotency: an order whose record says placed (or
//! rejected) is answered from the record and never sent to Assessio again.
//! Kombo keeps an order open until it is placed or rejected, so the gateway
//! keeps nothing itself: reconcile lists Kombo's open orders.

use crate::config::{Config, KomboHub, Tenant};
use crate::place::{Order, lens_and_locale, place};
use crate::platform::Platform;
use crate::reply::{Incoming, Outgoing};
use assessio_plugin::hubs::HubOrder;
use assessio_plugin::hubs::kombo::{self, WriteOutcome};
use serde_json::json;
use std::collections::BTreeMap;

pub use crate::place::Placement;

/// The hub's name in records and ids.
pub const HUB: &str = "kombo";
/// Open orders fetched per page.
const PAGE_SIZE: u8 = 100;
/// A bound on pages per integration, against a cursor that never ends.
const MAX_PAGES: usize = 10_000;

/// Places a Kombo order at Assessio unless its record says it is done.
pub async fn place_order(p: &impl Platform, kombo: &KomboHub, cfg: &Config, order: &HubOrder) -> Placement {
    let Some(tenant) = kombo.tenants.get(&order.tenant) else {
        return Placement::RetryLater(format!("integration `{}` is not configured in `tenants`", order.tenant));
    };
    let Some((lens_id, locale)) = lens_and_locale(&order.package_id, tenant) else {
        return Placement::Rejected(
            "Assessio could not be ordered: the chosen assessment package is not one Assessio offers.".into(),
        );
    };
    place(p, cfg, &Order { hub: HUB, tenant, order, lens_id, locale, update_url: None }).await
}

/// `POST /kombo/webhook`: an `assessment:order-received` event.
pub async fn order_webhook(p: &impl Platform, cfg: &Config, req: &Incoming) -> Outgoing {
    let Some(hub) = &cfg.kombo else {
        return Outgoing::hub_not_configured(HUB, crate::config::names::KOMBO_API_KEY);
    };
    if let Err(e) = kombo::verify_webhook(req.header("x-kombo-signature"), &req.body, &hub.webhook_secret) {
        p.log(&format!("kombo webhook refused: {e}"));
        return Outgoing::error(401, "missing or invalid X-Kombo-Signature");
    }
    let event = match kombo::parse_order_event(&req.body) {
        Ok(e) => e,
        Err(e) => return Outgoing::error(400, &format!("unreadable order event: {e}")),
    };
    if event.status != "OPEN" {
        return Outgoing::json(200, &json!({ "status": "ignored", "reason": format!("order is {}", event.status) }));
    }
    match place_order(p, hub, cfg, &event.order).await {
        Placement::Placed { already } => Outgoing::json(200, &json!({ "status": "placed", "already": already })),
        Placement::Rejected(message) => Outgoing::raw_json(422, kombo::rejection_body(&message)),
        Placement::RetryLater(message) => Outgoing::error(503, &message),
    }
}

/// Counts for one integration's reconcile run.
#[derive(Debug, Default, serde::Serialize)]
pub struct Tally {
    pages: usize,
    placed: usize,
    already_placed: usize,
    rejected: usize,
    retry_later: usize,
    unreadable: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Tally {
    /// Whether the integration's open orders were listed to the end.
    pub fn is_complete(&self) -> bool {
        self.error.is_none()
    }
}

/// `POST /kombo/reconcile`: places every open Kombo order not yet placed,
/// over all pages of every configured integration. Safe to run any number
/// of times. Answers 502 if any integration could not be listed completely.
pub async fn reconcile(p: &impl Platform, cfg: &Config) -> Outgoing {
    let Some(hub) = &cfg.kombo else {
        return Outgoing::hub_not_configured(HUB, crate::config::names::KOMBO_API_KEY);
    };
    let report = reconcile_report(p, hub, cfg).await;
    let complete = report.values().all(Tally::is_complete);
    Outgoing::json(if complete { 200 } else { 502 }, &json!({ "complete": complete, "integrations": report }))
}

/// One reconcile run over every integration: the tally of each, for
/// `POST /kombo/reconcile` and `POST /reconcile`.
pub async fn reconcile_report(p: &impl Platform, hub: &KomboHub, cfg: &Config) -> BTreeMap<String, Tally> {
    let mut report = BTreeMap::new();
    for integration in hub.tenants.keys() {
        let api = hub.api(integration);
        let mut tally = Tally::default();
        let mut cursor: Option<String> = None;
        loop {
            if tally.pages >= MAX_PAGES {
                tally.error = Some(format!("stopped after {MAX_PAGES} pages"));
                break;
            }
            tally.pages += 1;
            let page = match list_page(p, &api, cursor.as_deref()).await {
                Ok(page) => page,
                Err(e) => {
                    tally.error = Some(e);
                    break;
                }
            };
            tally.unreadable += page.unreadable.len();
            for order in &page.orders {
                match place_order(p, hub, cfg, order).await {
                    Placement::Placed { already: true } => tally.already_placed += 1,
                    Placement::Placed { already: false } => tally.placed += 1,
                    Placement::Rejected(_) => tally.rejected += 1,
                    Placement::RetryLater(_) => tally.retry_later += 1,
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        report.insert(integration.clone(), tally);
    }
    report
}

async fn list_page(
    p: &impl Platform,
    api: &kombo::KomboApi,
    cursor: Option<&str>,
) -> Result<kombo::OpenOrders, String> {
    let request = kombo::open_orders_request(api, cursor, PAGE_SIZE).map_err(|e| e.to_string())?;
    let reply = p.send(&request).await.map_err(|e| format!("Kombo unreachable: {e}"))?;
    if !(200..300).contains(&reply.status) {
        let why = match kombo::interpret_write_response(reply.status, &reply.body) {
            WriteOutcome::RetryLater(r) | WriteOutcome::Failed(r) => r.message,
            WriteOutcome::Written => String::new(),
        };
        return Err(format!("listing open orders failed: HTTP {}: {why}", reply.status));
    }
    kombo::parse_open_orders(&reply.body).map_err(|e| format!("unreadable open-orders page: {e}"))
}

/// `POST /kombo/packages/sync[?integration=ID]`: publishes each tenant's
/// lenses × locales to Kombo as `BEHAVIORAL` packages.
pub async fn sync_packages(p: &impl Platform, cfg: &Config, only: Option<&str>) -> Outgoing {
    let Some(hub) = &cfg.kombo else {
        return Outgoing::hub_not_configured(HUB, crate::config::names::KOMBO_API_KEY);
    };
    let mut report = BTreeMap::new();
    for (integration, tenant) in &hub.tenants {
        if only.is_some_and(|o| o != integration) {
            continue;
        }
        let outcome = sync_one(p, hub, cfg, integration, tenant).await;
        if let Err(e) = &outcome {
            p.log(&format!("package sync for {integration}: {e}"));
        }
        report.insert(
            integration.clone(),
            match outcome {
                Ok(n) => json!({ "packages": n }),
                Err(e) => json!({ "error": e }),
            },
        );
    }
    if report.is_empty() {
        return Outgoing::error(404, "no such integration in `tenants`");
    }
    let ok = report.values().all(|v| v.get("error").is_none());
    Outgoing::json(if ok { 200 } else { 502 }, &json!({ "complete": ok, "integrations": report }))
}

async fn sync_one(
    p: &impl Platform,
    hub: &KomboHub,
    cfg: &Config,
    integration: &str,
    tenant: &Tenant,
) -> Result<usize, String> {
    let catalog = crate::place::catalog(p, cfg, tenant).await.map_err(|e| e.to_string())?;
    let count = catalog.lenses.len() * catalog.locales.len();
    let request = kombo::packages_request(&hub.api(integration), &catalog).map_err(|e| e.to_string())?;
    let reply = p.send(&request).await.map_err(|e| format!("Kombo unreachable: {e}"))?;
    match kombo::interpret_write_response(reply.status, &reply.body) {
        WriteOutcome::Written => Ok(count),
        WriteOutcome::RetryLater(r) | WriteOutcome::Failed(r) => {
            Err(format!("Kombo refused the packages (HTTP {}): {}", r.status, r.message))
        }
    }
}
