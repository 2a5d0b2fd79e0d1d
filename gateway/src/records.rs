//! What the gateway remembers about each order, in the key-value store.
//!
//! One record per order, keyed by the stable result id (derived from the
//! hub's own ids, so a redelivered webhook finds its record). The record holds
//! what an operator needs to recognise and follow an order, and no candidate
//! data: not the name, not the email, not the scores.
//!
//! Two hubs do not retry a delivery (Teamtailor never does; StackOne's
//! retries are undocumented), so for them the gateway keeps what it could not
//! finish and retries it itself (`POST /reconcile`):
//! - an order Assessio could not take yet, as a [`PendingOrder`] under
//!   `pending:<result id>`, deleted as soon as it is placed or refused;
//! - a result the hub could not take yet, under `kept-result:<result id>`,
//!   deleted as soon as it is written back.
//!
//! Those two hold candidate data (names and email, or scores), only while
//! needed and never longer than [`KEEP_SECONDS`]. The store cannot list keys,
//! so the ids of kept items are listed under [`INDEX_KEY`]: added under a
//! lock, removed by reconcile once nothing is kept for them. An id in the
//! index with nothing kept is harmless (reconcile drops it).

use crate::hub::Hub;
use crate::platform::Platform;
use assessio_plugin::AssessmentResult;
use assessio_plugin::hubs::HubOrder;
use serde::{Deserialize, Serialize};
use std::fmt;

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
    /// Sent, but whether Assessio took it is unknown (the connection
    /// dropped, no answer in time, a proxy's 5xx, or the sender died
    /// mid-send). Never sent again blindly: the result webhook settles it
    /// (proof of placement), as does `order-link`'s 409 where that endpoint
    /// is configured (reconcile sends it again there), or an operator
    /// (`POST /orders/{hub}/{tenant}/{order}/settle`).
    Uncertain,
    /// Assessio sent the result; writing it back to the hub failed so far.
    ResultReceived,
    /// The result is in the hub. Done.
    WrittenBack,
}

/// One order's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// Which hub the order came from.
    pub hub: Hub,
    /// The hub's customer: Kombo integration, Teamtailor company, StackOne account.
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
    /// Teamtailor: the partner result's `update-url`, where progress and the
    /// result go. An API address, not candidate data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_url: Option<String>,
}

impl OrderRecord {
    /// A record for an order seen for the first time.
    pub fn new(hub: Hub, tenant: &str, hub_order_id: &str, result_id: &str, now: i64) -> Self {
        Self {
            hub,
            tenant: tenant.into(),
            hub_order_id: hub_order_id.into(),
            result_id: result_id.into(),
            state: State::Placing,
            reason: None,
            attempts: 0,
            created_at: now,
            updated_at: now,
            update_url: None,
        }
    }
}

fn key(result_id: &str) -> String {
    format!("order:{result_id}")
}

/// Whether `record` is finished (nothing more will happen to it) and older
/// than `retention` seconds at `now`.
pub fn expired(record: &OrderRecord, now: i64, retention: Option<i64>) -> bool {
    matches!(record.state, State::Rejected | State::WrittenBack)
        && retention.is_some_and(|r| now.saturating_sub(record.updated_at) > r)
}

/// The record for `result_id`, if any. A finished record past the retention
/// is deleted here, leaving a [`Tombstone`], and reported absent: the store forgets orders nobody will
/// ask about again, without a sweep (Spin's key-value store cannot list
/// cheaply on every platform).
pub fn load(p: &impl Platform, result_id: &str) -> Result<Option<OrderRecord>, String> {
    let Some(bytes) = p.kv_get(&key(result_id))? else {
        return Ok(None);
    };
    let record: OrderRecord = serde_json::from_slice(&bytes).map_err(|e| format!("order record unreadable: {e}"))?;
    if expired(
        &record,
        p.now(),
        crate::config::retention(p).unwrap_or(Some(crate::config::DEFAULT_RETENTION_DAYS * 24 * 3600)),
    ) {
        let gone = Tombstone { state: record.state, reason: record.reason };
        p.kv_set(&tombstone_key(result_id), &serde_json::to_vec(&gone).map_err(|e| e.to_string())?)?;
        p.kv_delete(&key(result_id))?;
        return Ok(None);
    }
    Ok(Some(record))
}

/// Writes `record` with a fresh `updated_at`.
pub fn save(p: &impl Platform, record: &mut OrderRecord) -> Result<(), String> {
    record.updated_at = p.now();
    let bytes = serde_json::to_vec(record).map_err(|e| e.to_string())?;
    p.kv_set(&key(&record.result_id), &bytes)
}

/// A send recorded as in flight for longer than this has no live sender:
/// the outbound deadlines ([`crate::platform::CONNECT_TIMEOUT_MS`] and the
/// others) end every send well before it.
pub const IN_FLIGHT_SECONDS: i64 = 30;

/// A claim on a write-back (not an order) is younger than this.
pub const CLAIM_SECONDS: i64 = 60;

/// Claims attempt `attempt` of sending order `result_id`: of every caller,
/// on every instance sharing the store, exactly one gets `true`, because
/// each increments the same counter once and only the first sees 1. No
/// clock, no round in which everybody loses: whoever comes later sees the
/// winner's record.
pub fn claim_attempt(p: &impl Platform, result_id: &str, attempt: u32) -> Result<bool, String> {
    Ok(p.kv_increment(&format!("send:{result_id}:{attempt}"), 1)? == 1)
}

/// Decides attempt `attempt` once: its winner calls this right before
/// sending (`true`: send), and a caller that found the winner silent for
/// [`IN_FLIGHT_SECONDS`] calls it to abandon the attempt (`true`: abandoned,
/// nothing was or will be sent for it). The first increment decides, so a
/// winner that was only slow never sends an attempt someone else gave up.
pub fn decide_attempt(p: &impl Platform, result_id: &str, attempt: u32) -> Result<bool, String> {
    Ok(p.kv_increment(&format!("go:{result_id}:{attempt}"), 1)? == 1)
}

/// When a caller first found attempt `attempt` claimed but not recorded
/// (its winner between the claim and its first write, or dead there): the
/// first caller to look stamps it. The winner's silence is measured from
/// here.
pub fn unrecorded_since(p: &impl Platform, result_id: &str, attempt: u32) -> Result<i64, String> {
    let key = format!("unrecorded:{result_id}:{attempt}");
    if let Some(t) = p.kv_get(&key)?.and_then(|v| String::from_utf8(v).ok()).and_then(|t| t.parse().ok()) {
        return Ok(t);
    }
    let now = p.now();
    p.kv_set(&key, now.to_string().as_bytes())?;
    Ok(now)
}

/// Counts orders whose send is uncertain, for `/health`: `+1` when attempt
/// `attempt` becomes uncertain, `-1` when it is settled, each at most once
/// per attempt however many requests see it happen.
pub fn count_uncertain(p: &impl Platform, result_id: &str, attempt: u32, delta: i64) {
    let once = if delta > 0 { "uncertain" } else { "settled" };
    let first = p.kv_increment(&format!("{once}:{result_id}:{attempt}"), 1).is_ok_and(|n| n == 1);
    if first && let Err(e) = p.kv_increment(UNCERTAIN_COUNT, delta) {
        p.log(&format!("order {result_id}: the uncertain count was not updated: {e}"));
    }
}

/// The counter of uncertain orders.
const UNCERTAIN_COUNT: &str = "uncertain-orders";

/// How many orders are uncertain now, across every instance.
pub fn uncertain_orders(p: &impl Platform) -> Result<i64, String> {
    p.kv_increment(UNCERTAIN_COUNT, 0)
}

/// What is left of a finished order once its record expired: its end
/// state and, for a refusal, why. Small, and no candidate data; it keeps a
/// signed webhook replayed after the retention from placing the order again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// `rejected` or `written-back`.
    pub state: State,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn tombstone_key(result_id: &str) -> String {
    format!("gone:{result_id}")
}

/// The tombstone of an order whose record expired, if any.
pub fn tombstone(p: &impl Platform, result_id: &str) -> Result<Option<Tombstone>, String> {
    match p.kv_get(&tombstone_key(result_id))? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| format!("tombstone unreadable: {e}")),
    }
}

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
    claim_for(p, result_id, CLAIM_SECONDS)
}

/// [`claim`] with its own expiry, for claims held only for a few store
/// operations (the index lock), so that a crashed holder, or the splitter's
/// rare round in which every contender loses, blocks others only briefly.
pub fn claim_for(p: &impl Platform, result_id: &str, seconds: i64) -> Result<bool, String> {
    let (x, y) = (format!("claim-x:{result_id}"), format!("claim-y:{result_id}"));
    let me = p.unique_id();
    p.kv_set(&x, me.as_bytes())?;
    let fresh = p
        .kv_get(&y)?
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|t| p.now() - t < seconds);
    if fresh {
        return Ok(false);
    }
    p.kv_set(&y, p.now().to_string().as_bytes())?;
    Ok(p.kv_get(&x)?.as_deref() == Some(me.as_bytes()))
}

/// Gives a won claim back, so the next delivery may try at once, and leaves
/// nothing of it in the store. `x` goes first: a claimant that wrote `x`
/// meanwhile then merely loses this round (it still sees a fresh `y`, or
/// finds its `x` gone) and retries later; it never wins alongside another.
pub fn release(p: &impl Platform, result_id: &str) {
    let _ = p.kv_delete(&format!("claim-x:{result_id}"));
    let _ = p.kv_delete(&format!("claim-y:{result_id}"));
}

/// The longest the gateway keeps an order it could not place, or a result it
/// could not write back, before giving up on it and deleting it: a week.
pub const KEEP_SECONDS: i64 = 7 * 24 * 3600;

/// Lists the result ids with something kept (a JSON array of strings).
pub const INDEX_KEY: &str = "pending-index";

/// Attempts at the index lock before updating without it.
const INDEX_ATTEMPTS: usize = 64;

/// The index lock's expiry: it guards one read and one write.
const INDEX_LOCK_SECONDS: i64 = 2;

/// An order kept for reconcile: everything needed to place it later, and
/// nothing more (the minimised [`HubOrder`], the chosen lens and locale, and
/// Teamtailor's update URL).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOrder {
    /// Teamtailor or StackOne (Kombo keeps open orders itself).
    pub hub: Hub,
    /// The order as the hub described it, minimised.
    pub order: HubOrder,
    /// The lens to order.
    pub lens_id: String,
    /// The invitation language.
    pub locale: String,
    /// Teamtailor's partner-result update URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_url: Option<String>,
    /// When it was first kept (Unix seconds).
    pub kept_at: i64,
}

impl fmt::Debug for PendingOrder {
    /// Names the order, never the candidate.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingOrder")
            .field("hub", &self.hub)
            .field("tenant", &self.order.tenant)
            .field("order_id", &self.order.order_id)
            .field("kept_at", &self.kept_at)
            .finish_non_exhaustive()
    }
}

fn pending_key(result_id: &str) -> String {
    format!("pending:{result_id}")
}

fn kept_result_key(result_id: &str) -> String {
    format!("kept-result:{result_id}")
}

/// The ids in the index; an absent index is empty.
pub fn index(p: &impl Platform) -> Result<Vec<String>, String> {
    match p.kv_get(INDEX_KEY)? {
        None => Ok(Vec::new()),
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("the pending index is unreadable: {e}")),
    }
}

/// Changes the index with `change`, under the index lock. If the lock stays
/// taken (a crashed holder, or contenders that all lost one round), the
/// update is made without it and read back, so a concurrent writer's lost
/// update is at least noticed and repaired for this writer's own entries.
fn update_index(p: &impl Platform, change: &dyn Fn(&mut Vec<String>)) -> Result<(), String> {
    let mut locked = false;
    for _ in 0..INDEX_ATTEMPTS {
        if claim_for(p, INDEX_KEY, INDEX_LOCK_SECONDS)? {
            locked = true;
            break;
        }
    }
    let outcome = (|| {
        for _ in 0..3 {
            let mut ids = index(p)?;
            change(&mut ids);
            p.kv_set(INDEX_KEY, &serde_json::to_vec(&ids).map_err(|e| e.to_string())?)?;
            // Read back: the change holds if making it again changes nothing.
            let after = index(p)?;
            let mut again = after.clone();
            change(&mut again);
            if again == after {
                return Ok(());
            }
        }
        Err("the pending index keeps changing under this update".to_string())
    })();
    if locked {
        release(p, INDEX_KEY);
    }
    outcome
}

fn index_add(p: &impl Platform, result_id: &str) -> Result<(), String> {
    if index(p)?.iter().any(|id| id == result_id) {
        return Ok(());
    }
    update_index(p, &|ids| {
        if !ids.iter().any(|id| id == result_id) {
            ids.push(result_id.to_string());
        }
    })
}

/// Removes ids from the index (reconcile, once nothing is kept for them).
pub fn index_remove(p: &impl Platform, done: &[String]) -> Result<(), String> {
    if done.is_empty() {
        return Ok(());
    }
    update_index(p, &|ids| ids.retain(|id| !done.contains(id)))
}

/// Keeps an order for reconcile. On failure nothing is left behind: the
/// caller must tell the hub the order was not taken.
pub fn keep_order(p: &impl Platform, result_id: &str, order: &PendingOrder) -> Result<(), String> {
    let bytes = serde_json::to_vec(order).map_err(|e| e.to_string())?;
    p.kv_set(&pending_key(result_id), &bytes)?;
    index_add(p, result_id).inspect_err(|_| {
        let _ = p.kv_delete(&pending_key(result_id));
    })
}

/// The kept order for `result_id`, if any.
pub fn pending_order(p: &impl Platform, result_id: &str) -> Result<Option<PendingOrder>, String> {
    match p.kv_get(&pending_key(result_id))? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| format!("kept order unreadable: {e}")),
    }
}

/// Deletes a kept order's candidate data (placed, refused or given up).
pub fn forget_order(p: &impl Platform, result_id: &str) -> Result<(), String> {
    p.kv_delete(&pending_key(result_id))
}

/// A result the hub could not take yet, with when it was first kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptResult {
    /// The result as Assessio sent it.
    pub result: AssessmentResult,
    /// When it was first kept (Unix seconds).
    pub kept_at: i64,
}

/// Keeps a result for reconcile to write back; a result kept before keeps
/// its first `kept_at`.
pub fn keep_result(p: &impl Platform, result: &AssessmentResult) -> Result<(), String> {
    let kept_at = kept_result(p, &result.result_id)?.map_or_else(|| p.now(), |k| k.kept_at);
    let kept = KeptResult { result: result.clone(), kept_at };
    let bytes = serde_json::to_vec(&kept).map_err(|e| e.to_string())?;
    p.kv_set(&kept_result_key(&result.result_id), &bytes)?;
    index_add(p, &result.result_id)
}

/// The kept result for `result_id`, if any.
pub fn kept_result(p: &impl Platform, result_id: &str) -> Result<Option<KeptResult>, String> {
    match p.kv_get(&kept_result_key(result_id))? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| format!("kept result unreadable: {e}")),
    }
}

/// Deletes a kept result (written back, or given up).
pub fn forget_result(p: &impl Platform, result_id: &str) -> Result<(), String> {
    p.kv_delete(&kept_result_key(result_id))
}
