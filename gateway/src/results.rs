//! The result webhook: Assessio's `resultUpdateUrl`.
//!
//! Assessio retries a delivery that was not answered 2xx, with backoff, for
//! up to 36 hours. The gateway leans on that: it answers 2xx only once the
//! result is written back to the hub, so a hub outage delays a result but
//! never loses it, and it stores no scores of its own.

use crate::auth;
use crate::config::Config;
use crate::platform::Platform;
use crate::records::{self, State};
use crate::reply::{Incoming, Outgoing};
use assessio_plugin::hubs::kombo::{self, WriteOutcome};
use serde_json::json;

/// `POST /assessio/results/{result_id}`.
pub async fn result_webhook(p: &impl Platform, cfg: &Config, req: &Incoming, result_id: &str) -> Outgoing {
    if !auth::bearer_matches(req.header("authorization"), &cfg.integrator_api_key) {
        p.log("result webhook refused: missing or wrong integrator-api-key");
        return Outgoing::error(401, "missing or wrong integrator-api-key");
    }
    let result = match assessio_plugin::parse_result(&req.body) {
        Ok(r) => r,
        Err(e) => return Outgoing::error(400, &format!("unreadable result: {e}")),
    };
    if result.result_id != result_id {
        return Outgoing::error(400, "the body's resultId is not the one in the URL");
    }
    let mut record = match records::load(p, result_id) {
        Ok(Some(r)) => r,
        Ok(None) => return Outgoing::error(404, "no order has this result id"),
        Err(e) => return Outgoing::error(503, &format!("order store unavailable: {e}")),
    };
    if record.state == State::WrittenBack {
        return Outgoing::json(200, &json!({ "status": "written", "already": true }));
    }
    record.state = State::ResultReceived;
    if let Err(e) = records::save(p, &mut record) {
        return Outgoing::error(503, &format!("order store unavailable: {e}"));
    }
    let prefix = format!("kombo order {} ({})", record.hub_order_id, record.tenant);
    let line = |what: &str| format!("{prefix}: {what}");
    let request = match kombo::result_request(&cfg.kombo(&record.tenant), &record.hub_order_id, &result, p.now()) {
        Ok(r) => r,
        Err(e) => {
            p.log(&line(&format!("result cannot be written back: {e}")));
            return Outgoing::error(422, &format!("the result cannot be written back: {e}"));
        }
    };
    let outcome = match p.send(&request).await {
        Ok(reply) => kombo::interpret_write_response(reply.status, &reply.body),
        Err(e) => WriteOutcome::RetryLater(assessio_plugin::Rejection { status: 0, message: e }),
    };
    match outcome {
        WriteOutcome::Written => {
            record.state = State::WrittenBack;
            record.reason = None;
            if let Err(e) = records::save(p, &mut record) {
                // Written, but not recorded: a redelivery would write again.
                // Say so, and still answer 2xx: the hub has the result.
                p.log(&line(&format!("written back, but the record could not be updated: {e}")));
            }
            p.log(&line("result written back"));
            Outgoing::json(200, &json!({ "status": "written", "already": false }))
        }
        WriteOutcome::RetryLater(r) | WriteOutcome::Failed(r) => {
            let reason = if r.status == 0 {
                format!("Kombo unreachable: {}", r.message)
            } else {
                format!("Kombo answered HTTP {}: {}", r.status, r.message)
            };
            p.log(&line(&format!("write-back failed, Assessio will retry: {reason}")));
            record.reason = Some(reason.clone());
            let _ = records::save(p, &mut record);
            Outgoing::error(502, &reason)
        }
    }
}
