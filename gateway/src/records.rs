//! What the gateway remembers about each order, in the key-value store.
//!
//! One record per order, keyed by the stable result id (derived from the
//! hub's own ids, so a redelivered webhook finds its record). The record holds
//! what an operator needs to recognise and follow an order, and no candidate
//! data: not the name, not the email, not the scores.

use crate::platform::Platform;
use serde::{Deserialize, Serialize};

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Being sent to Assessio right now (or the sender died mid-way).
    Placing,
    /// Assessio accepted it; the candidate is invited.
    Placed,
    /// Refused for good, with the reason shown to the recruiter.
    Rejected,
    /// Not placed yet for a reason that may pass (Assessio down, credentials).
    Retrying,
    /// Assessio sent the result; writing it back to the hub failed so far.
    ResultReceived,
    /// The result is in the hub. Done.
    WrittenBack,
}

/// One order's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// `kombo`.
    pub hub: String,
    /// The hub's customer (Kombo integration id).
    pub tenant: String,
    /// The hub's order id.
    pub hub_order_id: String,
    /// The id Assessio echoes with the result.
    pub result_id: String,
    /// Where it is.
    pub state: State,
    /// Why it was rejected, or the last transient failure. Never a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How many times the order was sent to Assessio.
    pub attempts: u32,
    /// When the gateway first saw the order (Unix seconds).
    pub created_at: i64,
    /// When the record last changed.
    pub updated_at: i64,
}

impl OrderRecord {
    /// A record for an order seen for the first time.
    pub fn new(hub: &str, tenant: &str, hub_order_id: &str, result_id: &str, now: i64) -> Self {
        Self {
            hub: hub.into(),
            tenant: tenant.into(),
            hub_order_id: hub_order_id.into(),
            result_id: result_id.into(),
            state: State::Placing,
            reason: None,
            attempts: 0,
            created_at: now,
            updated_at: now,
        }
    }
}

fn key(result_id: &str) -> String {
    format!("order:{result_id}")
}

/// The record for `result_id`, if any.
pub fn load(p: &impl Platform, result_id: &str) -> Result<Option<OrderRecord>, String> {
    match p.kv_get(&key(result_id))? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| format!("order record unreadable: {e}")),
    }
}

/// Writes `record` with a fresh `updated_at`.
pub fn save(p: &impl Platform, record: &mut OrderRecord) -> Result<(), String> {
    record.updated_at = p.now();
    let bytes = serde_json::to_vec(record).map_err(|e| e.to_string())?;
    p.kv_set(&key(&record.result_id), &bytes)
}

/// A claim on an order is younger than this: another request is placing it.
pub const CLAIM_SECONDS: i64 = 60;

/// Claims the right to send one order, so that concurrent deliveries of it
/// (a redelivery racing the first, a reconcile racing a webhook) send it at
/// most once, with nothing but a key-value store's get and set.
///
/// This is Moir and Anderson's splitter over two keys: write my id to `x`;
/// if `y` holds a fresh claim, lose; else stamp `y`; win only if `x` still
/// holds my id. Of any set of concurrent claimants at most one wins (if two
/// did, the later writer of `x` would have read the earlier one's `y`), and
/// a lone claimant always wins. Losers answer "retry later"; the hub or
/// reconcile comes back. The winner calls [`release`] when done, and a claim
/// left by a crashed request expires after [`CLAIM_SECONDS`].
pub fn claim(p: &impl Platform, result_id: &str) -> Result<bool, String> {
    let (x, y) = (format!("claim-x:{result_id}"), format!("claim-y:{result_id}"));
    let me = p.unique_id();
    p.kv_set(&x, me.as_bytes())?;
    let fresh = p
        .kv_get(&y)?
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|t| p.now() - t < CLAIM_SECONDS);
    if fresh {
        return Ok(false);
    }
    p.kv_set(&y, p.now().to_string().as_bytes())?;
    Ok(p.kv_get(&x)?.as_deref() == Some(me.as_bytes()))
}

/// Gives a won claim back, so the next delivery may try at once.
pub fn release(p: &impl Platform, result_id: &str) {
    let _ = p.kv_delete(&format!("claim-y:{result_id}"));
}
