//! The result webhook: Assessio's `resultUpdateUrl`, and the write-back to
//! whichever hub the order came from.
//!
//! Assessio retries a delivery that was not answered 2xx, with backoff, for
//! up to 36 hours. The gateway leans on that: it answers 2xx only once the
//! result is written back to the hub, so a hub outage delays a result but
//! never loses it. For Kombo it stores no scores of its own. For Teamtailor
//! and StackOne it also keeps a result whose write-back failed (until written
//! or [`records::KEEP_SECONDS`] pass), so that `POST /reconcile` can write it
//! back sooner than Assessio's next retry and after its last.
//!
//! Each result is written back once: the record says when it is done, and for
//! Teamtailor and StackOne (where reconcile writes too) a claim on the write
//! keeps a retry from Assessio and a reconcile from writing it at once.

use crate::auth;
use crate::config::Config;
use crate::connector::{Connector as _, Plugin};
use crate::hub::Hub;
use crate::platform::Platform;
use crate::records::{self, OrderRecord, State};
use crate::reply::{Incoming, Outgoing};
use assessio_plugin::hubs::kombo::WriteOutcome;
use assessio_plugin::{AssessmentResult, HttpRequest};
use serde_json::json;

/// What became of a write-back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteBack {
    /// The hub has the result, now or (`already`) before.
    Written {
        /// True when the record already said so and nothing was sent.
        already: bool,
    },
    /// The result cannot be written to this hub as it is.
    Unwritable(String),
    /// The hub refused or did not answer: try again later.
    Failed(String),
    /// Not tried: the store, the hub's settings, or another write in flight.
    Unavailable(String),
}

/// `POST /assessio/results/{result_id}`.
pub async fn result_webhook(p: &impl Platform, cfg: &Config, req: &Incoming, result_id: &str) -> Outgoing {
    // Any organisation's key gets past the door (so nobody learns which
    // result ids exist without one); the order's own organisation's key is
    // checked once the record names the order's customer.
    let presented = req.header("authorization");
    let assessio = match cfg.assessio(p) {
        Ok(a) => a,
        Err(e) => return Outgoing::misconfigured(p, &e),
    };
    if !cfg.integrator_api_keys(assessio).into_iter().any(|key| auth::bearer_matches(presented, key)) {
        p.log("result webhook refused: missing or wrong integrator-api-key");
        return Outgoing::error(401, "missing or wrong integrator-api-key");
    }
    let result = match Plugin::parse_result(&req.body) {
        Ok(r) => r,
        Err(e) => return Outgoing::error(400, &format!("unreadable result: {e}")),
    };
    if result.result_id != result_id {
        return Outgoing::error(400, "the body's resultId is not the one in the URL");
    }
    let record = match records::load(p, result_id) {
        Ok(Some(r)) => r,
        Ok(None) => return Outgoing::error(404, "no order has this result id"),
        Err(e) => return Outgoing::error(503, &format!("order store unavailable: {e}")),
    };
    if !auth::bearer_matches(presented, cfg.integrator_api_key_for(assessio, record.hub, &record.tenant)) {
        p.log(&format!(
            "result webhook for {} order {} ({}) refused: the integrator-api-key is another organisation's",
            record.hub, record.hub_order_id, record.tenant
        ));
        return Outgoing::error(403, "this integrator-api-key is not the one of the order's organisation");
    }
    match write_back(p, cfg, record, &result).await {
        WriteBack::Written { already } => Outgoing::json(200, &json!({ "status": "written", "already": already })),
        WriteBack::Unwritable(reason) => Outgoing::error(422, &format!("the result cannot be written back: {reason}")),
        WriteBack::Failed(reason) => Outgoing::error(502, &reason),
        WriteBack::Unavailable(reason) => Outgoing::error(503, &reason),
    }
}

/// The hub's write-back request for `record`, or why there is none.
fn request_for(
    cfg: &Config,
    record: &OrderRecord,
    result: &AssessmentResult,
    now: i64,
) -> Result<HttpRequest, WriteBack> {
    let unwritable = |e: assessio_plugin::InputError| WriteBack::Unwritable(e.to_string());
    let off = |hub: Hub, setting: &str| WriteBack::Unavailable(format!("hub not configured: {hub} needs `{setting}`"));
    match record.hub {
        Hub::Kombo => {
            let hub = cfg.kombo.as_ref().ok_or_else(|| off(Hub::Kombo, crate::config::names::KOMBO_API_KEY))?;
            Plugin::kombo_result_request(&hub.api(&record.tenant), &record.hub_order_id, result, now)
                .map_err(unwritable)
        }
        Hub::Teamtailor => {
            let hub = cfg
                .teamtailor
                .as_ref()
                .ok_or_else(|| off(Hub::Teamtailor, crate::config::names::TEAMTAILOR_API_KEY))?;
            let url = record.update_url.as_deref().unwrap_or_default();
            if !hub.allows_update_url(url) {
                return Err(WriteBack::Unwritable(format!(
                    "the order's update-url is not under `{}`",
                    crate::config::names::TEAMTAILOR_URL
                )));
            }
            Plugin::teamtailor_result_request(url, &hub.api_key, result).map_err(unwritable)
        }
        Hub::StackOne => {
            let hub =
                cfg.stackone.as_ref().ok_or_else(|| off(Hub::StackOne, crate::config::names::STACKONE_API_KEY))?;
            Plugin::stackone_result_request(&hub.api(&record.tenant), &record.hub_order_id, result, now)
                .map_err(unwritable)
        }
    }
}

/// The hub's answer to a write-back, classified.
fn interpret(hub: Hub, status: u16, body: &[u8]) -> WriteOutcome {
    match hub {
        Hub::Kombo => Plugin::kombo_interpret_write_response(status, body),
        Hub::Teamtailor => Plugin::teamtailor_interpret_write_response(status, body),
        Hub::StackOne => Plugin::stackone_interpret_write_response(status, body),
    }
}

/// Writes `result` back to the hub of `record`'s order, once. Used by the
/// result webhook and by `POST /reconcile` (for kept results).
pub async fn write_back(p: &impl Platform, cfg: &Config, record: OrderRecord, result: &AssessmentResult) -> WriteBack {
    let rid = record.result_id.clone();
    if record.state == State::WrittenBack {
        if record.hub.keeps_results() {
            let _ = records::forget_result(p, &rid);
        }
        return WriteBack::Written { already: true };
    }
    // Kombo's results have one writer, Assessio's delivery, whose retries
    // follow its answers: the record is enough, and Kombo's path costs no
    // extra store writes. Where reconcile writes kept results too, a claim
    // keeps it and a delivery from writing the same result at once.
    if !record.hub.keeps_results() {
        return write_claimed(p, cfg, record, result).await;
    }
    let claim = format!("write:{rid}");
    match records::claim(p, &claim) {
        Ok(true) => {}
        Ok(false) => return WriteBack::Unavailable("this result is being written back right now".into()),
        Err(e) => return WriteBack::Unavailable(format!("order store unavailable: {e}")),
    }
    let outcome = write_claimed(p, cfg, record, result).await;
    records::release(p, &claim);
    outcome
}

/// The write itself, once claimed where a claim is needed.
async fn write_claimed(p: &impl Platform, cfg: &Config, record: OrderRecord, result: &AssessmentResult) -> WriteBack {
    let mut record = record;
    if record.hub.keeps_results() {
        // Another write may have finished between the caller's read and the claim.
        record = match records::load(p, &record.result_id) {
            Ok(Some(r)) => r,
            Ok(None) => record,
            Err(e) => return WriteBack::Unavailable(format!("order store unavailable: {e}")),
        };
        if record.state == State::WrittenBack {
            let _ = records::forget_result(p, &record.result_id);
            return WriteBack::Written { already: true };
        }
    }
    let was_uncertain = record.state == State::Uncertain;
    record.state = State::ResultReceived;
    if let Err(e) = records::save(p, &mut record) {
        return WriteBack::Unavailable(format!("order store unavailable: {e}"));
    }
    // The result proves the uncertain send landed.
    if was_uncertain {
        records::count_uncertain(p, &record.result_id, record.attempts, -1);
    }
    let prefix = format!("{} order {} ({})", record.hub, record.hub_order_id, record.tenant);
    let line = |what: &str| format!("{prefix}: {what}");
    let request = match request_for(cfg, &record, result, p.now()) {
        Ok(r) => r,
        Err(why) => {
            if let WriteBack::Unwritable(e) | WriteBack::Unavailable(e) = &why {
                p.log(&line(&format!("result cannot be written back: {e}")));
            }
            return why;
        }
    };
    let outcome = match p.send(&request).await {
        Ok(reply) => interpret(record.hub, reply.status, &reply.body),
        Err(e) => WriteOutcome::RetryLater(assessio_plugin::Rejection { status: 0, message: e.message }),
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
            if record.hub.keeps_results() {
                let _ = records::forget_result(p, &record.result_id);
            }
            p.log(&line("result written back"));
            WriteBack::Written { already: false }
        }
        WriteOutcome::RetryLater(r) | WriteOutcome::Failed(r) => {
            let hub = record.hub.display_name();
            let reason = if r.status == 0 {
                format!("{hub} unreachable: {}", r.message)
            } else {
                format!("{hub} answered HTTP {}: {}", r.status, r.message)
            };
            p.log(&line(&format!("write-back failed, Assessio will retry: {reason}")));
            record.reason = Some(reason.clone());
            let _ = records::save(p, &mut record);
            if record.hub.keeps_results()
                && let Err(e) = records::keep_result(p, result)
            {
                p.log(&line(&format!("the result could not be kept for reconcile: {e}")));
            }
            WriteBack::Failed(reason)
        }
    }
}
