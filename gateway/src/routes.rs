//! The gateway's HTTP surface: which route does what, and who may call it.
//!
//! | route | caller | auth |
//! | --- | --- | --- |
//! | `GET /health` | anyone | none; names bad settings, never values |
//! | `POST /kombo/webhook` | Kombo | `X-Kombo-Signature` |
//! | `GET /teamtailor/config` | Teamtailor | `Authorization: Bearer <teamtailor_provider_key>` |
//! | `POST /teamtailor/webhook` | Teamtailor | `Authorization: Bearer <teamtailor_provider_key>`, and `Teamtailor-Signature` when configured |
//! | `POST /stackone/webhook` | StackOne | `x-stackone-signature` |
//! | `POST /stackone/packages` | StackOne | `x-stackone-signature` |
//! | `POST /assessio/results/{result-id}` | Assessio | `Authorization: Bearer <integrator-api-key>` |
//! | `POST /kombo/packages/sync[?integration=ID]` | operator | `Authorization: Bearer <operator_token>` |
//! | `POST /kombo/reconcile` | operator, scheduler | operator token |
//! | `POST /reconcile` | operator, scheduler | operator token |
//! | `GET /orders/{hub}/{tenant-id}/{order-id}` | operator | operator token |
//! | `POST /orders/{hub}/{tenant-id}/{order-id}/settle` | operator | operator token |
//!
//! A hub that is not configured answers 404 `hub not configured` on its
//! routes; the others keep working. `GET /teamtailor/config` is the
//! exception: it always answers 200 with Teamtailor's documented config
//! body, whose `error` field carries any configuration problem.

use crate::config::Config;
use crate::hub::Hub;
use crate::platform::Platform;
use crate::reply::{Incoming, Outgoing, percent_decode};
use crate::{auth, kombo, place, reconcile, records, results, stackone, teamtailor};
use serde_json::json;

/// Largest body the gateway reads from a caller (hub events are a few KiB).
pub const MAX_BODY: usize = 1 << 20;

/// The answer to a body over [`MAX_BODY`]: here, and in the Spin glue,
/// which gives it before reading such a body at all.
pub fn too_large() -> Outgoing {
    Outgoing::error(413, "the request body is over 1 MiB")
}

/// Answers one request.
pub async fn handle(p: &impl Platform, req: &Incoming) -> Outgoing {
    // Checked here rather than in the Spin glue, so the answer has the
    // documented error shape and a native test can see it.
    if req.body.len() > MAX_BODY {
        return too_large();
    }
    let segments: Option<Vec<String>> = req.path.trim_matches('/').split('/').map(percent_decode).collect();
    let Some(segments) = segments else {
        return Outgoing::error(400, "the path is not valid percent-encoded UTF-8");
    };
    let path: Vec<&str> = segments.iter().map(String::as_str).collect();
    // A hub's own routes read that hub's settings only.
    let only = match path[..] {
        ["kombo", "webhook"] => Some(Hub::Kombo),
        ["teamtailor", "config" | "webhook"] => Some(Hub::Teamtailor),
        ["stackone", "webhook" | "packages"] => Some(Hub::StackOne),
        _ => None,
    };
    let config = Config::load_for(p, only);
    if let ["health"] = path[..] {
        return match (&req.method[..], config) {
            ("GET", Ok(c)) => health(p, &c),
            ("GET", Err(e)) => {
                Outgoing::json(503, &json!({ "status": "misconfigured", "setting": e.setting, "problem": e.problem }))
            }
            _ => Outgoing::method_not_allowed("GET"),
        };
    }
    let cfg = match config {
        Ok(c) => c,
        Err(e) => {
            // Teamtailor's dialog shows configuration problems only through
            // its documented config answer (see `teamtailor::config_endpoint`).
            if let ("GET", ["teamtailor", "config"]) = (&req.method[..], &path[..]) {
                p.log(&format!("misconfigured: {e}"));
                return teamtailor::config_misconfigured();
            }
            return Outgoing::misconfigured(p, &e);
        }
    };
    // Read only on the operator routes, which load every setting (so the
    // token is there): no hub's request needs it.
    let operator = || cfg.operator_token(p).is_ok_and(|token| auth::bearer_matches(req.header("authorization"), token));
    match (&req.method[..], &path[..]) {
        ("POST", ["kombo", "webhook"]) => kombo::order_webhook(p, &cfg, req).await,
        ("GET", ["teamtailor", "config"]) => teamtailor::config_endpoint(p, &cfg, req).await,
        ("POST", ["teamtailor", "webhook"]) => teamtailor::trigger_webhook(p, &cfg, req).await,
        ("POST", ["stackone", "webhook"]) => stackone::order_webhook(p, &cfg, req).await,
        ("POST", ["stackone", "packages"]) => stackone::packages_endpoint(p, &cfg, req).await,
        ("POST", ["assessio", "results", result_id]) => results::result_webhook(p, &cfg, req, result_id).await,
        // Operator routes: without the token, say nothing more than that.
        (_, ["kombo", "packages", "sync"] | ["kombo", "reconcile"] | ["reconcile"] | ["orders", ..]) if !operator() => {
            Outgoing::error(401, "this route needs the operator token as `Authorization: Bearer`")
        }
        ("POST", ["kombo", "packages", "sync"]) => {
            let only = req.query_param("integration").and_then(percent_decode);
            kombo::sync_packages(p, &cfg, only.as_deref()).await
        }
        ("POST", ["kombo", "reconcile"]) => kombo::reconcile(p, &cfg).await,
        ("POST", ["reconcile"]) => reconcile::reconcile(p, &cfg, &EveryHub).await,
        ("GET", ["orders", hub, tenant, order]) => order_status(p, &cfg, hub, tenant, order),
        ("POST", ["orders", hub, tenant, order, "settle"]) => settle(p, &cfg, req, hub, tenant, order),
        (
            _,
            ["kombo" | "teamtailor" | "stackone", "webhook"]
            | ["stackone", "packages"]
            | ["kombo", "reconcile"]
            | ["reconcile"]
            | ["kombo", "packages", "sync"]
            | ["assessio", "results", _]
            | ["orders", _, _, _, "settle"],
        ) => Outgoing::method_not_allowed("POST"),
        (_, ["orders", _, _, _] | ["teamtailor", "config"]) => Outgoing::method_not_allowed("GET"),
        _ => Outgoing::error(404, "no such route"),
    }
}

/// `GET /health`: which hubs are on, how many customers each serves, and
/// how many orders are uncertain.
fn health(p: &impl Platform, cfg: &Config) -> Outgoing {
    let hubs: serde_json::Map<String, serde_json::Value> = cfg
        .hubs()
        .into_iter()
        .map(|(hub, tenants)| {
            (hub.to_string(), json!({ "enabled": tenants.is_some(), "tenants": tenants.unwrap_or(0) }))
        })
        .collect();
    let total: usize = cfg.hubs().iter().filter_map(|(_, n)| *n).sum();
    // Orders sent with no telling whether Assessio took them: each waits for
    // its result, `order-link`'s 409, or an operator (`null`: the store
    // could not be read).
    let uncertain = records::uncertain_orders(p).ok();
    Outgoing::json(
        200,
        &json!({
            "status": "ok",
            "integrations": total,
            "hubs": hubs,
            "orders": { "uncertain": uncertain },
            "warnings": cfg.warnings(),
        }),
    )
}

/// The settle route's body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settle {
    /// Whether Assessio has the order.
    placed: bool,
}

/// `POST /orders/{hub}/{tenant}/{order}/settle` with `{"placed": bool}`:
/// an operator settles an uncertain order (see [`place::settle_uncertain`]).
fn settle(p: &impl Platform, cfg: &Config, req: &Incoming, hub: &str, tenant: &str, order_id: &str) -> Outgoing {
    let Some(hub) = Hub::parse(hub) else {
        return Outgoing::error(404, "no such hub: use kombo, teamtailor or stackone");
    };
    let Ok(Settle { placed }) = serde_json::from_slice::<Settle>(&req.body) else {
        return Outgoing::error(400, "the body must be {\"placed\": true} or {\"placed\": false}");
    };
    match place::settle_uncertain(p, &cfg.result_id(hub, tenant, order_id), placed) {
        Ok(record) => Outgoing::json(200, &serde_json::to_value(&record).unwrap_or_default()),
        Err(place::SettleError::Unknown) => Outgoing::error(404, "the gateway has not seen this order"),
        Err(place::SettleError::NotUncertain(state)) => {
            let state = serde_json::to_value(state).unwrap_or_default();
            Outgoing::error(
                409,
                &format!("the order is not uncertain (it is {}): nothing to settle", state.as_str().unwrap_or("?")),
            )
        }
        Err(place::SettleError::Store(e)) => Outgoing::error(503, &format!("order store unavailable: {e}")),
    }
}

/// What happened to one order of a hub, from its record.
fn order_status(p: &impl Platform, cfg: &Config, hub: &str, tenant: &str, order_id: &str) -> Outgoing {
    let Some(hub) = Hub::parse(hub) else {
        return Outgoing::error(404, "no such hub: use kombo, teamtailor or stackone");
    };
    match records::load(p, &cfg.result_id(hub, tenant, order_id)) {
        Ok(Some(record)) => Outgoing::json(200, &serde_json::to_value(&record).unwrap_or_default()),
        Ok(None) => Outgoing::error(404, "the gateway has not seen this order"),
        Err(e) => Outgoing::error(503, &format!("order store unavailable: {e}")),
    }
}

/// Every hub's own flows, for [`reconcile`]: with the routes above, the one
/// place that names each hub's module.
struct EveryHub;

impl reconcile::HubFlows for EveryHub {
    async fn retry_kept(
        &self,
        p: &impl Platform,
        cfg: &Config,
        result_id: &str,
        pending: &records::PendingOrder,
        give_up: bool,
    ) -> place::Placement {
        match pending.hub {
            Hub::Teamtailor => teamtailor::retry_kept(p, cfg, pending, give_up).await,
            Hub::StackOne => stackone::retry_kept(p, cfg, pending, give_up).await,
            // Kombo keeps its open orders itself; nothing of it is kept here.
            Hub::Kombo => {
                let later = place::Placement::RetryLater("Kombo orders are not kept".into());
                place::settle(p, result_id, later, give_up)
            }
        }
    }

    async fn reconcile_open_orders(&self, p: &impl Platform, cfg: &Config) -> Vec<(Hub, bool, serde_json::Value)> {
        let Some(hub) = &cfg.kombo else { return Vec::new() };
        let report = kombo::reconcile_report(p, hub, cfg).await;
        let complete = report.values().all(kombo::Tally::is_complete);
        vec![(kombo::HUB, complete, json!(report))]
    }
}
