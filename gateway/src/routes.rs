//! The gateway's HTTP surface: which route does what, and who may call it.
//!
//! | route | caller | auth |
//! | --- | --- | --- |
//! | `GET /health` | anyone | none; names bad settings, never values |
//! | `POST /kombo/webhook` | Kombo | `X-Kombo-Signature` |
//! | `POST /assessio/results/{result-id}` | Assessio | `Authorization: Bearer <integrator-api-key>` |
//! | `POST /kombo/packages/sync[?integration=ID]` | operator | `Authorization: Bearer <operator_token>` |
//! | `POST /kombo/reconcile` | operator, scheduler | operator token |
//! | `GET /orders/kombo/{integration-id}/{order-id}` | operator | operator token |

use crate::config::Config;
use crate::platform::Platform;
use crate::reply::{Incoming, Outgoing, percent_decode};
use crate::{auth, kombo, records, results};
use serde_json::json;

/// Where Assessio sends results; a result id follows.
pub const RESULTS_PREFIX: &str = "/assessio/results/";

/// Answers one request.
pub async fn handle(p: &impl Platform, req: &Incoming) -> Outgoing {
    let segments: Option<Vec<String>> = req.path.trim_matches('/').split('/').map(percent_decode).collect();
    let Some(segments) = segments else {
        return Outgoing::error(400, "the path is not valid percent-encoded UTF-8");
    };
    let path: Vec<&str> = segments.iter().map(String::as_str).collect();
    let config = Config::load(p);
    if let ["health"] = path[..] {
        return match (&req.method[..], config) {
            ("GET", Ok(c)) => Outgoing::json(200, &json!({ "status": "ok", "integrations": c.tenants.len() })),
            ("GET", Err(e)) => {
                Outgoing::json(503, &json!({ "status": "misconfigured", "setting": e.setting, "problem": e.problem }))
            }
            _ => Outgoing::error(405, "use GET"),
        };
    }
    let cfg = match config {
        Ok(c) => c,
        Err(e) => {
            p.log(&format!("misconfigured: {e}"));
            return Outgoing::error(503, &format!("the gateway is misconfigured: {e}"));
        }
    };
    let operator = || auth::bearer_matches(req.header("authorization"), &cfg.operator_token);
    match (&req.method[..], &path[..]) {
        ("POST", ["kombo", "webhook"]) => kombo::order_webhook(p, &cfg, req).await,
        ("POST", ["assessio", "results", result_id]) => results::result_webhook(p, &cfg, req, result_id).await,
        // Operator routes: without the token, say nothing more than that.
        (_, ["kombo", "packages", "sync"] | ["kombo", "reconcile"] | ["orders", ..]) if !operator() => {
            Outgoing::error(401, "this route needs the operator token as `Authorization: Bearer`")
        }
        ("POST", ["kombo", "packages", "sync"]) => {
            let only = req.query_param("integration").and_then(percent_decode);
            kombo::sync_packages(p, &cfg, only.as_deref()).await
        }
        ("POST", ["kombo", "reconcile"]) => kombo::reconcile(p, &cfg).await,
        ("GET", ["orders", "kombo", integration, order]) => order_status(p, integration, order),
        (_, ["kombo", "webhook" | "reconcile"] | ["kombo", "packages", "sync"] | ["assessio", "results", _]) => {
            Outgoing::error(405, "use POST")
        }
        (_, ["orders", "kombo", _, _]) => Outgoing::error(405, "use GET"),
        _ => Outgoing::error(404, "no such route"),
    }
}

/// What happened to one Kombo order, from its record.
fn order_status(p: &impl Platform, integration: &str, order_id: &str) -> Outgoing {
    let result_id = assessio_plugin::ids::stable_id("result", &[&format!("{}:{integration}", kombo::HUB), order_id]);
    match records::load(p, &result_id) {
        Ok(Some(record)) => Outgoing::json(200, &serde_json::to_value(&record).unwrap_or_default()),
        Ok(None) => Outgoing::error(404, "the gateway has not seen this order"),
        Err(e) => Outgoing::error(503, &format!("order store unavailable: {e}")),
    }
}
