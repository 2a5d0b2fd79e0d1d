//! The Kombo flows: order webhook, reconcile, package sync.
//!
//! Placing an order is one function, [`place_order`], shared by the webhook
//! and by reconcile, so both have the same idempotency: an order whose
//! record says placed (or rejected) is answered from the record and never
//! sent to Assessio again.

use crate::config::{Config, Tenant};
use crate::platform::Platform;
use crate::records::{self, OrderRecord, State};
use crate::reply::{Incoming, Outgoing};
use assessio_plugin::hubs::kombo::{self, WriteOutcome};
use assessio_plugin::hubs::{HubOrder, parse_package_id, recruiter_message};
use assessio_plugin::{OrderOutcome, interpret_order_response};
use serde_json::json;
use std::collections::BTreeMap;

/// The hub's name in records and ids.
pub const HUB: &str = "kombo";
/// A record in `Placing` younger than this is another delivery in flight:
/// answer "retry later" rather than send the order a second time.
const IN_FLIGHT_SECONDS: i64 = 60;
/// Open orders fetched per page.
const PAGE_SIZE: u8 = 100;
/// A bound on pages per integration, against a cursor that never ends.
const MAX_PAGES: usize = 10_000;

/// What became of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Placed at Assessio, now or (`already`) before.
    Placed {
        /// True when the record already said so and nothing was sent.
        already: bool,
    },
    /// Refused for good; the reason is for the recruiter.
    Rejected(String),
    /// Not placed; worth trying again later.
    RetryLater(String),
}

/// The lens and locale a package names; a bare lens id takes the tenant's
/// default locale.
fn lens_and_locale<'a>(package_id: &'a str, tenant: &'a Tenant) -> Option<(&'a str, &'a str)> {
    parse_package_id(package_id)
        .ok()
        .or_else(|| Some((package_id, tenant.default_locale.as_deref()?)).filter(|(l, _)| !l.trim().is_empty()))
}

/// Places `order` at Assessio unless its record says it is done.
pub async fn place_order(p: &impl Platform, cfg: &Config, order: &HubOrder) -> Placement {
    let Some(tenant) = cfg.tenants.get(&order.tenant) else {
        return Placement::RetryLater(format!("integration `{}` is not configured in `tenants`", order.tenant));
    };
    let Some((lens, locale)) = lens_and_locale(&order.package_id, tenant) else {
        return Placement::Rejected(
            "Assessio could not be ordered: the chosen assessment package is not one Assessio offers.".into(),
        );
    };
    let details = order.order_details(HUB, lens, locale, &cfg.results_base_url());
    let mut record = match records::load(p, &details.result_id) {
        Err(e) => return Placement::RetryLater(format!("order store unavailable: {e}")),
        Ok(Some(r)) => r,
        Ok(None) => OrderRecord::new(HUB, &order.tenant, &order.order_id, &details.result_id, p.now()),
    };
    match record.state {
        State::Placed | State::ResultReceived | State::WrittenBack => return Placement::Placed { already: true },
        State::Rejected => return Placement::Rejected(record.reason.clone().unwrap_or_default()),
        State::Placing if record.attempts > 0 && p.now() - record.updated_at < IN_FLIGHT_SECONDS => {
            return Placement::RetryLater("this order is being placed right now".into());
        }
        State::Placing | State::Retrying => {}
    }
    // Validation first: an order that can never succeed sends nothing.
    let request = match assessio_plugin::build_order(&cfg.account(tenant), &details, cfg.order_endpoint, p.now()) {
        Ok(r) => r,
        Err(e) => {
            let reason = recruiter_message(&e);
            p.log(&format!("kombo order {} ({}): rejected before sending: {e}", order.order_id, order.tenant));
            return finish(p, &mut record, State::Rejected, Some(reason.clone()), Placement::Rejected(reason));
        }
    };
    match records::claim(p, &details.result_id) {
        Ok(true) => {}
        Ok(false) => return Placement::RetryLater("this order is being placed right now".into()),
        Err(e) => return Placement::RetryLater(format!("order store unavailable: {e}")),
    }
    let placement = send_order(p, cfg, order, &request, record).await;
    records::release(p, &details.result_id);
    placement
}

/// Sends a claimed order and records the outcome.
async fn send_order(
    p: &impl Platform,
    cfg: &Config,
    order: &HubOrder,
    request: &assessio_plugin::HttpRequest,
    mut record: OrderRecord,
) -> Placement {
    // Between the first read and the claim, another request may have
    // placed it and let go: the record says so.
    match records::load(p, &record.result_id) {
        Ok(Some(r)) if matches!(r.state, State::Placed | State::ResultReceived | State::WrittenBack) => {
            return Placement::Placed { already: true };
        }
        Ok(Some(r)) if r.state == State::Rejected => return Placement::Rejected(r.reason.unwrap_or_default()),
        Ok(Some(r)) => record = r,
        Ok(None) => {}
        Err(e) => return Placement::RetryLater(format!("order store unavailable: {e}")),
    }
    record.state = State::Placing;
    record.attempts += 1;
    if let Err(e) = records::save(p, &mut record) {
        return Placement::RetryLater(format!("order store unavailable: {e}"));
    }
    let outcome = match p.send(request).await {
        Ok(reply) => interpret_order_response(cfg.order_endpoint, reply.status, &reply.body),
        Err(e) => OrderOutcome::RetryLater(assessio_plugin::Rejection { status: 0, message: e }),
    };
    let line = |what: &str| format!("kombo order {} ({}): {what}", order.order_id, order.tenant);
    match outcome {
        OrderOutcome::Accepted(_) | OrderOutcome::Duplicate => {
            p.log(&line("placed at Assessio"));
            finish(p, &mut record, State::Placed, None, Placement::Placed { already: false })
        }
        OrderOutcome::Rejected(r) => {
            let reason = format!("Assessio refused the order: {}", r.message);
            p.log(&line(&format!("refused by Assessio (HTTP {})", r.status)));
            finish(p, &mut record, State::Rejected, Some(reason.clone()), Placement::Rejected(reason))
        }
        OrderOutcome::Unauthorized(r) => {
            let reason = format!(
                "Assessio refused this organisation's credentials (HTTP {}); check the tenant's provider_key and integrator_secret",
                r.status
            );
            p.log(&line(&reason));
            finish(p, &mut record, State::Retrying, Some(reason.clone()), Placement::RetryLater(reason))
        }
        OrderOutcome::RetryLater(r) => {
            let reason = if r.status == 0 {
                format!("Assessio unreachable: {}", r.message)
            } else {
                format!("Assessio answered HTTP {}: {}", r.status, r.message)
            };
            p.log(&line(&reason));
            finish(p, &mut record, State::Retrying, Some(reason.clone()), Placement::RetryLater(reason))
        }
    }
}

/// Records the final state. If that write fails the outcome is still
/// returned: Assessio has the order, and the redelivery guard (`Placing`
/// with attempts) keeps a second send from happening within the minute.
///
/// A result can arrive while the order is still being sent (a candidate who
/// reuses earlier results finishes at once, seed 000): if the result webhook
/// has moved the record on meanwhile, `Placed` must not move it back.
fn finish(
    p: &impl Platform,
    record: &mut OrderRecord,
    state: State,
    reason: Option<String>,
    out: Placement,
) -> Placement {
    if state == State::Placed
        && let Ok(Some(current)) = records::load(p, &record.result_id)
        && matches!(current.state, State::ResultReceived | State::WrittenBack)
    {
        return out;
    }
    record.state = state;
    record.reason = reason;
    if let Err(e) = records::save(p, record) {
        p.log(&format!("order {}: could not record state {state:?}: {e}", record.result_id));
    }
    out
}

/// `POST /kombo/webhook`: an `assessment:order-received` event.
pub async fn order_webhook(p: &impl Platform, cfg: &Config, req: &Incoming) -> Outgoing {
    if let Err(e) = kombo::verify_webhook(req.header("x-kombo-signature"), &req.body, &cfg.kombo_webhook_secret) {
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
    match place_order(p, cfg, &event.order).await {
        Placement::Placed { already } => Outgoing::json(200, &json!({ "status": "placed", "already": already })),
        Placement::Rejected(message) => Outgoing::raw_json(422, kombo::rejection_body(&message)),
        Placement::RetryLater(message) => Outgoing::error(503, &message),
    }
}

/// Counts for one integration's reconcile run.
#[derive(Debug, Default, serde::Serialize)]
struct Tally {
    pages: usize,
    placed: usize,
    already_placed: usize,
    rejected: usize,
    retry_later: usize,
    unreadable: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `POST /kombo/reconcile`: places every open Kombo order not yet placed,
/// over all pages of every configured integration. Safe to run any number
/// of times. Answers 502 if any integration could not be listed completely.
pub async fn reconcile(p: &impl Platform, cfg: &Config) -> Outgoing {
    let mut report = BTreeMap::new();
    for integration in cfg.tenants.keys() {
        let api = cfg.kombo(integration);
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
                match place_order(p, cfg, order).await {
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
    let complete = report.values().all(|t| t.error.is_none());
    Outgoing::json(if complete { 200 } else { 502 }, &json!({ "complete": complete, "integrations": report }))
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
    let mut report = BTreeMap::new();
    for (integration, tenant) in &cfg.tenants {
        if only.is_some_and(|o| o != integration) {
            continue;
        }
        let outcome = sync_one(p, cfg, integration, tenant).await;
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

async fn sync_one(p: &impl Platform, cfg: &Config, integration: &str, tenant: &Tenant) -> Result<usize, String> {
    let request = assessio_plugin::config_request(&cfg.account(tenant)).map_err(|e| e.to_string())?;
    let reply = p.send(&request).await.map_err(|e| format!("Assessio unreachable: {e}"))?;
    if !(200..300).contains(&reply.status) {
        return Err(format!("Assessio answered HTTP {} to the catalog request", reply.status));
    }
    let catalog = assessio_plugin::list_lenses(&reply.body).map_err(|e| format!("Assessio's catalog: {e}"))?;
    let count = catalog.lenses.len() * catalog.locales.len();
    let request = kombo::packages_request(&cfg.kombo(integration), &catalog).map_err(|e| e.to_string())?;
    let reply = p.send(&request).await.map_err(|e| format!("Kombo unreachable: {e}"))?;
    match kombo::interpret_write_response(reply.status, &reply.body) {
        WriteOutcome::Written => Ok(count),
        WriteOutcome::RetryLater(r) | WriteOutcome::Failed(r) => {
            Err(format!("Kombo refused the packages (HTTP {}): {}", r.status, r.message))
        }
    }
}
