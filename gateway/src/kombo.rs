//! The Kombo flows: order webhook, reconcile, package sync.
//!
//! Placing an order is one function, [`place_order`] (over the shared
//! [`crate::place::place`]), used by the webhook and by reconcile, so both
//! have the same idempotency: an order whose record says placed (or
//! rejected) is answered from the record and never sent to Assessio again.
//! Kombo keeps an order open until it is placed or rejected, so the gateway
//! keeps nothing itself: reconcile lists Kombo's open orders.
//!
//! What reconcile does with an open order it cannot place: Kombo takes a
//! rejection only as the answer to its webhook (422), and its API can only
//! complete or cancel an order with a `result_url`, which such an order does
//! not have. So reconcile never writes to Kombo for it, and never fails on
//! it:
//! - an order refused for good (no last name, unknown package, a candidate
//!   already in the recruitment) is recorded as rejected with its reason on
//!   the first run and counted under `rejected`; later runs find the record,
//!   send nothing, log nothing, and count it under `already_rejected`;
//! - an order that cannot be read at all (it breaks Kombo's schema: no id, no
//!   email) is counted under `unreadable` and listed in `unreadable_orders`
//!   with where and why (field names, never values); nothing is sent.
//!
//! Both stay open in Kombo until the recruiter cancels them in the ATS; the
//! run's answer stays 200 and `complete`. An order that only Kombo's older
//! guide would refuse (a job without `remote_id`, any nullable field `null`)
//! is readable and placed (see `assessio_plugin::hubs::kombo`).

use crate::config::{Config, KomboHub, Tenant};
use crate::connector::{Connector as _, Plugin};
use crate::hub::Hub;
use crate::place::{Order, lens_and_locale, place};
use crate::platform::Platform;
use crate::reply::{Incoming, Outgoing};
use assessio_plugin::hubs::HubOrder;
use assessio_plugin::hubs::kombo::{self, WriteOutcome};
use serde_json::json;
use std::collections::BTreeMap;

pub use crate::place::Placement;

/// The hub's name in records and ids.
pub const HUB: Hub = Hub::Kombo;
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
    place(p, cfg, &Order { hub: HUB, tenant, order, lens_id: &lens_id, locale: &locale, update_url: None }).await
}

/// `POST /kombo/webhook`: an `assessment:order-received` event.
pub async fn order_webhook(p: &impl Platform, cfg: &Config, req: &Incoming) -> Outgoing {
    let Some(hub) = &cfg.kombo else {
        return Outgoing::hub_not_configured(HUB, crate::config::names::KOMBO_API_KEY);
    };
    if let Err(e) = Plugin::kombo_verify_webhook(req.header("x-kombo-signature"), &req.body, &hub.webhook_secret) {
        p.log(&format!("kombo webhook refused: {e}"));
        return Outgoing::error(401, "missing or invalid X-Kombo-Signature");
    }
    let event = match Plugin::kombo_parse_order_event(&req.body) {
        Ok(e) => e,
        // Signed by Kombo and JSON, but not an order (it breaks Kombo's own
        // schema): it never will be one, so reject it with Kombo's 422 and a
        // reason the recruiter sees. Any other answer would leave the order
        // open in the ATS and in every reconcile, silently.
        Err(e) if serde_json::from_slice::<serde_json::Value>(&req.body).is_ok() => {
            p.log(&format!("kombo webhook: an event that cannot become an order was rejected: {e}"));
            return Outgoing::raw_json(422, Plugin::kombo_rejection_body(&Plugin::kombo_unreadable_order_message(&e)));
        }
        Err(e) => return Outgoing::error(400, &format!("unreadable order event: {e}")),
    };
    if event.status != "OPEN" {
        return Outgoing::json(200, &json!({ "status": "ignored", "reason": format!("order is {}", event.status) }));
    }
    match place_order(p, hub, cfg, &event.order).await {
        Placement::Placed { already } => Outgoing::json(200, &json!({ "status": "placed", "already": already })),
        Placement::Rejected(message) => Outgoing::raw_json(422, Plugin::kombo_rejection_body(&message)),
        Placement::RetryLater(message) => Outgoing::error(503, &message),
        // Sent, outcome unknown: a redelivery cannot settle it (nothing is
        // sent again blindly), Assessio's result or an operator will.
        Placement::Uncertain(reason) => Outgoing::json(202, &json!({ "status": "uncertain", "reason": reason })),
    }
}

/// Counts for one integration's reconcile run.
#[derive(Debug, Default, serde::Serialize)]
pub struct Tally {
    pages: usize,
    placed: usize,
    already_placed: usize,
    rejected: usize,
    /// Orders answered from a rejected record: nothing sent, nothing logged.
    already_rejected: usize,
    retry_later: usize,
    /// Orders sent before with no telling whether Assessio took them.
    uncertain: usize,
    unreadable: usize,
    /// Where and why, for each order that could not be read (page, position,
    /// the field at fault); field names only, never values.
    unreadable_orders: Vec<String>,
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
            for why in &page.unreadable {
                p.log(&format!(
                    "kombo reconcile {integration}: page {}: an open order cannot be read: {why}",
                    tally.pages
                ));
                tally.unreadable_orders.push(format!("page {}: {why}", tally.pages));
            }
            for order in page.orders {
                // Kombo's list does not repeat the integration: the page is
                // the one asked for with `X-Integration-Id`.
                let order = HubOrder { tenant: integration.clone(), ..order };
                if already_rejected(p, cfg, &order) {
                    tally.already_rejected += 1;
                    continue;
                }
                match place_order(p, hub, cfg, &order).await {
                    Placement::Placed { already: true } => tally.already_placed += 1,
                    Placement::Placed { already: false } => tally.placed += 1,
                    Placement::Rejected(_) => tally.rejected += 1,
                    Placement::RetryLater(_) => tally.retry_later += 1,
                    Placement::Uncertain(_) => tally.uncertain += 1,
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

/// Whether the order's record already says rejected, so reconcile can skip
/// it without a word: Kombo keeps such an order open (see the module docs).
/// A store that cannot be read says no, and `place_order` answers as usual.
fn already_rejected(p: &impl Platform, cfg: &Config, order: &HubOrder) -> bool {
    let rid = cfg.result_id(HUB, &order.tenant, &order.order_id);
    matches!(crate::records::load(p, &rid), Ok(Some(r)) if r.state == crate::records::State::Rejected)
}

async fn list_page(
    p: &impl Platform,
    api: &kombo::KomboApi,
    cursor: Option<&str>,
) -> Result<kombo::OpenOrders, String> {
    let request = Plugin::kombo_open_orders_request(api, cursor, PAGE_SIZE).map_err(|e| e.to_string())?;
    let reply = p.send(&request).await.map_err(|e| format!("Kombo unreachable: {e}"))?;
    if !(200..300).contains(&reply.status) {
        let why = match Plugin::kombo_interpret_write_response(reply.status, &reply.body) {
            WriteOutcome::RetryLater(r) | WriteOutcome::Failed(r) => r.message,
            WriteOutcome::Written => String::new(),
        };
        return Err(format!("listing open orders failed: HTTP {}: {why}", reply.status));
    }
    Plugin::kombo_parse_open_orders(&reply.body).map_err(|e| format!("unreadable open-orders page: {e}"))
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
    let request = Plugin::kombo_packages_request(&hub.api(integration), &catalog).map_err(|e| e.to_string())?;
    let reply = p.send(&request).await.map_err(|e| format!("Kombo unreachable: {e}"))?;
    match Plugin::kombo_interpret_write_response(reply.status, &reply.body) {
        WriteOutcome::Written => Ok(count),
        WriteOutcome::RetryLater(r) | WriteOutcome::Failed(r) => {
            Err(format!("Kombo refused the packages (HTTP {}): {}", r.status, r.message))
        }
    }
}
