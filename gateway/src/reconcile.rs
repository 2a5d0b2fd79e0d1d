//! `POST /reconcile`: finishes everything the gateway kept for later, then
//! runs Kombo's reconcile.
//!
//! Teamtailor does not retry a trigger and StackOne's retries are not
//! documented, so for them the gateway keeps an order Assessio could not take
//! and a result the hub could not take (see [`crate::records`]). This route
//! places every kept order and writes back every kept result, deletes what is
//! done, and gives up (deleting the candidate data) on what was kept longer
//! than [`records::KEEP_SECONDS`]. Kombo keeps its own open orders, so for
//! Kombo this runs Kombo's reconcile as `POST /kombo/reconcile` does. Safe
//! to run any number of times; meant for a scheduler.
//!
//! The hubs' own flows are reached through one interface, [`HubFlows`],
//! which [`crate::routes`] implements: a shared flow imports no hub module.

use crate::config::Config;
use crate::hub::Hub;
use crate::place::Placement;
use crate::platform::Platform;
use crate::records::{self, KEEP_SECONDS, PendingOrder};
use crate::reply::Outgoing;
use crate::results::{self, WriteBack};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::future::Future;

/// What reconcile needs of the hubs' own flows.
pub trait HubFlows {
    /// Places again an order a hub's flow kept for later (the one under
    /// `result_id`), or gives it up.
    fn retry_kept(
        &self,
        p: &impl Platform,
        cfg: &Config,
        result_id: &str,
        pending: &PendingOrder,
        give_up: bool,
    ) -> impl Future<Output = Placement>;

    /// Reconciles the hubs that keep their own open orders (Kombo): per hub,
    /// whether its run was complete, and its report.
    fn reconcile_open_orders(&self, p: &impl Platform, cfg: &Config) -> impl Future<Output = Vec<(Hub, bool, Value)>>;
}

/// Counts for one hub's kept orders and results.
#[derive(Debug, Default, serde::Serialize)]
pub struct KeptTally {
    placed: usize,
    already_placed: usize,
    rejected: usize,
    retry_later: usize,
    /// Kept orders sent before with no telling whether Assessio took them.
    uncertain: usize,
    results_written: usize,
    results_retry_later: usize,
    given_up: usize,
}

/// `POST /reconcile`. Answers 502 when the kept items could not be listed
/// or Kombo's open orders could not be listed completely.
pub async fn reconcile(p: &impl Platform, cfg: &Config, hubs: &impl HubFlows) -> Outgoing {
    let mut tallies: BTreeMap<Hub, KeptTally> =
        Hub::ALL.into_iter().filter(|h| h.keeps_results()).map(|h| (h, KeptTally::default())).collect();
    let mut body = json!({});
    let mut complete = true;
    match records::index(p) {
        Ok(ids) => {
            let mut done = Vec::new();
            for rid in ids {
                if reconcile_one(p, cfg, hubs, &rid, &mut tallies).await {
                    done.push(rid);
                }
            }
            if let Err(e) = records::index_remove(p, &done) {
                p.log(&format!("reconcile: finished ids stay listed until the next run: {e}"));
            }
        }
        Err(e) => {
            complete = false;
            body["error"] = json!(format!("kept orders could not be listed: {e}"));
        }
    }
    for (hub, tally) in tallies {
        body[hub.as_str()] = json!(tally);
    }
    for (hub, hub_complete, report) in hubs.reconcile_open_orders(p, cfg).await {
        complete &= hub_complete;
        body[hub.as_str()] = json!({ "complete": hub_complete, "integrations": report });
    }
    body["complete"] = json!(complete);
    Outgoing::json(if complete { 200 } else { 502 }, &body)
}

/// Works on what is kept for one result id; true when nothing is kept for
/// it any more (so it leaves the index).
async fn reconcile_one(
    p: &impl Platform,
    cfg: &Config,
    hubs: &impl HubFlows,
    rid: &str,
    tallies: &mut BTreeMap<Hub, KeptTally>,
) -> bool {
    let now = p.now();
    match records::pending_order(p, rid) {
        Err(e) => {
            p.log(&format!("reconcile: kept order {rid}: {e}"));
            return false;
        }
        Ok(Some(pending)) => {
            let give_up = now - pending.kept_at >= KEEP_SECONDS;
            let placement = hubs.retry_kept(p, cfg, rid, &pending, give_up).await;
            let tally = tallies.entry(pending.hub).or_default();
            match placement {
                Placement::Placed { already: true } => tally.already_placed += 1,
                Placement::Placed { already: false } => tally.placed += 1,
                Placement::Rejected(_) if give_up => tally.given_up += 1,
                Placement::Rejected(_) => tally.rejected += 1,
                Placement::RetryLater(_) => {
                    tally.retry_later += 1;
                    return false;
                }
                Placement::Uncertain(_) if !give_up => {
                    tally.uncertain += 1;
                    return false;
                }
                // A week on, still unsettled: its candidate data goes; the
                // record stays uncertain for the operator.
                Placement::Uncertain(_) => tally.given_up += 1,
            }
            if let Err(e) = records::forget_order(p, rid) {
                p.log(&format!("reconcile: kept order {rid} not deleted yet: {e}"));
                return false;
            }
        }
        Ok(None) => {}
    }
    let kept = match records::kept_result(p, rid) {
        Err(e) => {
            p.log(&format!("reconcile: kept result {rid}: {e}"));
            return false;
        }
        Ok(None) => return true,
        Ok(Some(kept)) => kept,
    };
    let record = match records::load(p, rid) {
        Err(e) => {
            p.log(&format!("reconcile: kept result {rid}: order store unavailable: {e}"));
            return false;
        }
        Ok(None) => {
            // No order to write it to: nothing can ever use it.
            return records::forget_result(p, rid).is_ok();
        }
        Ok(Some(record)) => record,
    };
    let hub = record.hub;
    let outcome = results::write_back(p, cfg, record, &kept.result).await;
    let tally = tallies.entry(hub).or_default();
    match outcome {
        WriteBack::Written { .. } => {
            tally.results_written += 1;
            true
        }
        WriteBack::Unwritable(_) | WriteBack::Failed(_) | WriteBack::Unavailable(_)
            if now - kept.kept_at >= KEEP_SECONDS =>
        {
            tally.given_up += 1;
            p.log(&format!("reconcile: result {rid} not written back within a week; deleted"));
            if let Ok(Some(mut record)) = records::load(p, rid) {
                record.reason = Some("the result could not be written back within a week and was deleted".into());
                let _ = records::save(p, &mut record);
            }
            records::forget_result(p, rid).is_ok()
        }
        WriteBack::Unwritable(_) | WriteBack::Failed(_) | WriteBack::Unavailable(_) => {
            tally.results_retry_later += 1;
            false
        }
    }
}
