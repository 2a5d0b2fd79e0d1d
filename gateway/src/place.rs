//! Placing a hub's order at Assessio, the same way for every hub.
//!
//! [`place`] is shared by every webhook and every reconcile, so all have the
//! same idempotency: an order whose record says placed (or rejected) is
//! answered from the record and never sent to Assessio again, and a claim
//! keeps concurrent deliveries from sending it twice. [`place_or_keep`] adds,
//! for hubs that do not retry, keeping the order for reconcile when Assessio
//! cannot take it yet.

use crate::config::{Config, ConfigError, Tenant};
use crate::connector::{Connector as _, Plugin};
use crate::hub::Hub;
use crate::platform::{Platform, Sent};
use crate::records::{self, OrderRecord, PendingOrder, State};
use assessio_plugin::OrderOutcome;
use assessio_plugin::hubs::HubOrder;

/// Why an order answered 409 by Assessio, and not sent before, is refused.
pub const ALREADY_IN_RECRUITMENT: &str = "Assessio could not be ordered: the candidate is already in this \
Assessio recruitment (the same email address was invited for this job and assessment by an earlier order). \
Their invitation and result stay with that order.";

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
    /// Sent, with no telling whether Assessio took it; never sent again
    /// blindly (see [`State::Uncertain`]). The reason is for the operator.
    Uncertain(String),
}

/// One order, ready to place: the hub's order, whose organisation, and the
/// lens and locale chosen for it.
#[derive(Debug, Clone, Copy)]
pub struct Order<'a> {
    /// The hub the order came from.
    pub hub: Hub,
    /// The customer's Assessio organisation.
    pub tenant: &'a Tenant,
    /// The order, minimised.
    pub order: &'a HubOrder,
    /// The lens to order.
    pub lens_id: &'a str,
    /// The invitation language.
    pub locale: &'a str,
    /// Teamtailor's update URL, recorded for progress and the result.
    pub update_url: Option<&'a str>,
}

/// The lens and locale a package names (`<lens>:<locale>`); a bare lens id
/// takes the tenant's default locale. `None` when it names neither.
pub fn lens_and_locale(package_id: &str, tenant: &Tenant) -> Option<(String, String)> {
    Plugin::parse_package_id(package_id).ok().or_else(|| {
        let locale = tenant.default_locale.as_deref()?;
        (!package_id.trim().is_empty()).then(|| (package_id.to_owned(), locale.to_owned()))
    })
}

/// The result id of a hub's order when no `result_id_key` is set (see
/// [`Config::result_id`], which every flow uses).
pub fn result_id(hub: Hub, tenant: &str, order_id: &str) -> String {
    Plugin::result_id(hub.as_str(), tenant, order_id, None)
}

/// What an order's record says, when that settles the answer without
/// sending anything. Only an uncertain order needs Assessio's settings (to
/// know the order endpoint), so a redelivery of a placed one reads none.
fn answered_by(p: &impl Platform, cfg: &Config, record: &OrderRecord, now: i64) -> Option<Placement> {
    match record.state {
        State::Placed | State::ResultReceived | State::WrittenBack => Some(Placement::Placed { already: true }),
        State::Rejected => Some(Placement::Rejected(record.reason.clone().unwrap_or_default())),
        State::Placing if record.attempts > 0 && now - record.updated_at < records::IN_FLIGHT_SECONDS => {
            Some(Placement::RetryLater(BEING_PLACED.into()))
        }
        // `order-link` answers a second send of a landed order with 409,
        // which settles it; the plain endpoint would invite twice.
        State::Uncertain => match cfg.assessio(p) {
            Err(e) => Some(misconfigured(p, &e)),
            Ok(a) if a.order_endpoint != assessio_plugin::OrderEndpoint::OrderLink => {
                Some(Placement::Uncertain(record.reason.clone().unwrap_or_default()))
            }
            Ok(_) => None,
        },
        State::Placing | State::Retrying => None,
    }
}

/// A setting the order needs is missing or malformed: nothing is sent, and
/// the order is worth trying again once the operator fixes it.
fn misconfigured(p: &impl Platform, e: &ConfigError) -> Placement {
    p.log(&format!("misconfigured: {e}"));
    Placement::RetryLater(format!("the gateway is misconfigured: {e}"))
}

/// The answer while another request sends the order.
const BEING_PLACED: &str = "this order is being placed right now";

/// Places `o` at Assessio unless its record says it is done.
///
/// Every send is one numbered attempt of the order, claimed with
/// [`records::claim_attempt`]: one caller wins each attempt across every
/// instance, and a new attempt is only made once the record says the last
/// one sent nothing (`Retrying`). A sender that died mid-send leaves its
/// attempt `Placing`; after [`records::IN_FLIGHT_SECONDS`] the order is
/// `Uncertain`, never sent again blindly.
pub async fn place(p: &impl Platform, cfg: &Config, o: &Order<'_>) -> Placement {
    let result_id = cfg.result_id(o.hub, &o.order.tenant, &o.order.order_id);
    let mut record = match records::load(p, &result_id) {
        Err(e) => return Placement::RetryLater(format!("order store unavailable: {e}")),
        Ok(Some(r)) => r,
        Ok(None) => match records::tombstone(p, &result_id) {
            Err(e) => return Placement::RetryLater(format!("order store unavailable: {e}")),
            // Finished long ago, its record expired: a replay, not an order.
            Ok(Some(gone)) if gone.state == State::Rejected => {
                return Placement::Rejected(gone.reason.unwrap_or_default());
            }
            Ok(Some(_)) => return Placement::Placed { already: true },
            Ok(None) => {
                let mut r = OrderRecord::new(o.hub, &o.order.tenant, &o.order.order_id, &result_id, p.now());
                r.update_url = o.update_url.map(String::from);
                r
            }
        },
    };
    if let Some(answer) = answered_by(p, cfg, &record, p.now()) {
        return answer;
    }
    // From here on the order may be sent: Assessio's settings are read now.
    let assessio = match cfg.assessio(p) {
        Ok(a) => a,
        Err(e) => return misconfigured(p, &e),
    };
    if record.state == State::Placing && record.attempts > 0 {
        let answer = mark_uncertain(p, &mut record, "its sender stopped while sending it");
        // `order-link` settles it now: a second send is answered 409 if the
        // first landed.
        if assessio.order_endpoint != assessio_plugin::OrderEndpoint::OrderLink {
            return answer;
        }
    }
    let base_url = assessio.results_base_url();
    let mut details = Plugin::to_order_details(o.hub.as_str(), o.order, o.lens_id, o.locale, &base_url);
    if details.result_id != result_id {
        // Keyed ids (`result_id_key`): the plugin derives the unkeyed one.
        details.result_update_url = format!("{base_url}/{result_id}");
        details.result_id = result_id;
    }
    // Validation first: an order that can never succeed sends nothing.
    let request = match Plugin::build_order(&assessio.account(o.tenant), &details, assessio.order_endpoint, p.now()) {
        Ok(r) => r,
        Err(e) => {
            let reason = Plugin::recruiter_message(&e);
            p.log(&format!("{} order {} ({}): rejected before sending: {e}", o.hub, o.order.order_id, o.order.tenant));
            return finish(p, &mut record, State::Rejected, Some(reason.clone()), Placement::Rejected(reason));
        }
    };
    // At most two attempts here: the next one, and, if its winner was found
    // dead before it recorded anything, the one after.
    for _ in 0..2 {
        let attempt = record.attempts + 1;
        match records::claim_attempt(p, &details.result_id, attempt) {
            Err(e) => return Placement::RetryLater(format!("order store unavailable: {e}")),
            Ok(true) => return send_attempt(p, assessio.order_endpoint, o, &request, record, attempt).await,
            Ok(false) => match lost(p, cfg, &record, attempt) {
                Ok(answer) => return answer,
                Err(abandoned) => record = *abandoned,
            },
        }
    }
    Placement::RetryLater(BEING_PLACED.into())
}

/// Another caller won attempt `attempt`. The answer, from its record; or,
/// when that winner stopped before recording anything and
/// [`records::IN_FLIGHT_SECONDS`] have passed, the attempt abandoned (`Err`,
/// with the record moved past it) so that the caller may claim the next.
fn lost(p: &impl Platform, cfg: &Config, mine: &OrderRecord, attempt: u32) -> Result<Placement, Box<OrderRecord>> {
    let rid = &mine.result_id;
    let store_down = |e: String| Ok(Placement::RetryLater(format!("order store unavailable: {e}")));
    let stored = match records::load(p, rid) {
        Err(e) => return store_down(e),
        Ok(r) => r,
    };
    if let Some(record) = &stored
        && record.attempts >= attempt
    {
        return Ok(match answered_by(p, cfg, record, p.now()) {
            Some(answer) => answer,
            None if record.state == State::Placing => {
                mark_uncertain(p, &mut record.clone(), "its sender stopped while sending it")
            }
            // It sent nothing (`Retrying`), or `order-link` may try again.
            None => Placement::RetryLater(record.reason.clone().unwrap_or_else(|| BEING_PLACED.into())),
        });
    }
    let since = match records::unrecorded_since(p, rid, attempt) {
        Err(e) => return store_down(e),
        Ok(t) => t,
    };
    if p.now() - since < records::IN_FLIGHT_SECONDS {
        return Ok(Placement::RetryLater(BEING_PLACED.into()));
    }
    // No record at all when the winner died before its first write.
    let mut record = stored.unwrap_or_else(|| mine.clone());
    match records::decide_attempt(p, rid, attempt) {
        Err(e) => store_down(e),
        Ok(true) => {
            p.log(&format!("order {rid}: attempt {attempt} abandoned: its sender stopped before sending"));
            record.attempts = attempt;
            record.state = State::Retrying;
            record.reason = Some(format!("attempt {attempt} was abandoned before it was sent"));
            match records::save(p, &mut record) {
                Ok(()) => Err(Box::new(record)),
                Err(e) => store_down(e),
            }
        }
        // The winner went ahead and its record never said so.
        Ok(false) => {
            record.attempts = attempt;
            Ok(mark_uncertain(p, &mut record, "its sender stopped without recording the outcome"))
        }
    }
}

/// Records `record` as uncertain (once per attempt in the `/health` count).
fn mark_uncertain(p: &impl Platform, record: &mut OrderRecord, why: &str) -> Placement {
    let reason = format!("sent to Assessio, outcome unknown: {why}");
    p.log(&format!("order {}: attempt {}: {reason}", record.result_id, record.attempts));
    records::count_uncertain(p, &record.result_id, record.attempts, 1);
    finish(p, record, State::Uncertain, Some(reason.clone()), Placement::Uncertain(reason))
}

/// Sends attempt `attempt` of an order, won by this caller, and records
/// the outcome.
async fn send_attempt(
    p: &impl Platform,
    endpoint: assessio_plugin::OrderEndpoint,
    o: &Order<'_>,
    request: &assessio_plugin::HttpRequest,
    mut record: OrderRecord,
    attempt: u32,
) -> Placement {
    // Whether an earlier attempt may have landed: only then may a 409 be
    // this very order.
    let sent_before = record.state == State::Uncertain;
    let settles_uncertain = sent_before.then_some(record.attempts);
    record.state = State::Placing;
    record.attempts = attempt;
    if let Err(e) = records::save(p, &mut record) {
        return Placement::RetryLater(format!("order store unavailable: {e}"));
    }
    match records::decide_attempt(p, &record.result_id, attempt) {
        Ok(true) => {}
        // Given up by another caller that found this one silent.
        Ok(false) => return Placement::RetryLater(BEING_PLACED.into()),
        Err(e) => return Placement::RetryLater(format!("order store unavailable: {e}")),
    }
    let line = |what: &str| format!("{} order {} ({}): {what}", o.hub, o.order.order_id, o.order.tenant);
    let outcome = match p.send(request).await {
        Ok(reply) => Plugin::interpret_order_response(endpoint, reply.status, &reply.body),
        Err(e) if e.sent == Sent::NotSent => {
            OrderOutcome::RetryLater(assessio_plugin::Rejection { status: 0, message: e.message })
        }
        Err(e) => {
            p.log(&line(&format!("Assessio's answer did not arrive: {e}")));
            return mark_uncertain(p, &mut record, &format!("no answer ({e})"));
        }
    };
    let placement = match outcome {
        OrderOutcome::Accepted(_) => {
            p.log(&line("placed at Assessio"));
            finish(p, &mut record, State::Placed, None, Placement::Placed { already: false })
        }
        // Assessio's 409 (seed 001, `assessment-order-link`): the candidate's
        // email is already in this recruitment. That is this order only if
        // an earlier attempt of it may have landed; otherwise another order
        // (another application, a re-order) put the candidate there, and
        // calling this one placed would leave it waiting for a result that
        // Assessio sends to the other order's result id.
        OrderOutcome::Duplicate if sent_before => {
            p.log(&line("placed at Assessio (an earlier attempt of this order had landed: 409)"));
            finish(p, &mut record, State::Placed, None, Placement::Placed { already: false })
        }
        OrderOutcome::Duplicate => {
            let reason = String::from(ALREADY_IN_RECRUITMENT);
            p.log(&line("refused by Assessio (HTTP 409): the candidate is already in this recruitment"));
            finish(p, &mut record, State::Rejected, Some(reason.clone()), Placement::Rejected(reason))
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
        // A 5xx may come after Assessio took the order (its own failure
        // mid-way, or a proxy's 502/504 after forwarding it); 503 says the
        // service would not take requests at all (RFC 9110, 15.6.4), as an
        // outage answers, so it stays a plain retry.
        OrderOutcome::RetryLater(r) if r.status >= 500 && r.status != 503 => {
            p.log(&line(&format!("Assessio answered HTTP {}: {}", r.status, r.message)));
            return mark_uncertain(p, &mut record, &format!("HTTP {} ({})", r.status, r.message));
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
    };
    // An uncertain attempt this one settled (placed, or refused for good).
    if let Some(earlier) = settles_uncertain
        && matches!(placement, Placement::Placed { .. } | Placement::Rejected(_))
    {
        records::count_uncertain(p, &record.result_id, earlier, -1);
    }
    placement
}

/// Records the final state. If that write fails the outcome is still
/// returned: the record stays `Placing`, which turns `Uncertain` after
/// [`records::IN_FLIGHT_SECONDS`], so nothing is sent twice.
///
/// A result can arrive while the order is still being sent (a candidate who
/// reuses earlier results finishes at once, seed 000): if the result webhook
/// has moved the record on meanwhile, or a later attempt has begun, this
/// attempt's outcome must not move it back.
fn finish(
    p: &impl Platform,
    record: &mut OrderRecord,
    state: State,
    reason: Option<String>,
    out: Placement,
) -> Placement {
    if let Ok(Some(current)) = records::load(p, &record.result_id)
        && (matches!(current.state, State::ResultReceived | State::WrittenBack) || current.attempts > record.attempts)
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

/// Why an operator's settling of an order was not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettleError {
    /// No record for this order.
    Unknown,
    /// The order is not uncertain (its state, in kebab-case, as recorded).
    NotUncertain(State),
    /// The store could not be read or written.
    Store(String),
}

/// Settles an uncertain order as an operator found it at Assessio:
/// `placed` (the candidate was invited: the result will come) or not (the
/// record says `retrying`, and the next delivery or reconcile sends it
/// again, as a new attempt). Anything but an uncertain order is refused:
/// this route decides only what the gateway could not.
pub fn settle_uncertain(p: &impl Platform, result_id: &str, placed: bool) -> Result<OrderRecord, SettleError> {
    let mut record = match records::load(p, result_id) {
        Err(e) => return Err(SettleError::Store(e)),
        Ok(None) => return Err(SettleError::Unknown),
        Ok(Some(r)) => r,
    };
    if record.state != State::Uncertain {
        return Err(SettleError::NotUncertain(record.state));
    }
    let attempt = record.attempts;
    if placed {
        record.state = State::Placed;
        record.reason = None;
    } else {
        record.state = State::Retrying;
        record.reason = Some("settled by the operator: not placed at Assessio; it is sent again".into());
    }
    records::save(p, &mut record).map_err(SettleError::Store)?;
    records::count_uncertain(p, result_id, attempt, -1);
    p.log(&format!(
        "{} order {} ({}): settled by the operator as {}",
        record.hub,
        record.hub_order_id,
        record.tenant,
        if placed { "placed" } else { "not placed" }
    ));
    Ok(record)
}

/// What became of an order from a hub that does not retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// Placed or refused: as [`Placement`]; nothing is kept.
    Done(Placement),
    /// Not placed yet; kept, and `POST /reconcile` will place it.
    Kept(String),
    /// Not placed, and it could not be kept either: the hub must be told.
    Lost(String),
}

/// Places `o`, and when Assessio cannot take it yet, keeps it for reconcile
/// instead of relying on the hub to deliver it again. Once placed or refused,
/// a previously kept copy (and its candidate data) is deleted.
pub async fn place_or_keep(p: &impl Platform, cfg: &Config, o: &Order<'_>) -> Kept {
    let rid = cfg.result_id(o.hub, &o.order.tenant, &o.order.order_id);
    match place(p, cfg, o).await {
        // An uncertain order is kept too: `order-link` sends it again from
        // reconcile, and an operator who settles it as not placed needs it.
        Placement::RetryLater(reason) | Placement::Uncertain(reason) => {
            let kept_at = records::pending_order(p, &rid).ok().flatten().map_or_else(|| p.now(), |k| k.kept_at);
            let pending = PendingOrder {
                hub: o.hub,
                order: o.order.clone(),
                lens_id: o.lens_id.into(),
                locale: o.locale.into(),
                update_url: o.update_url.map(String::from),
                kept_at,
            };
            match records::keep_order(p, &rid, &pending) {
                Ok(()) => Kept::Kept(reason),
                Err(e) => {
                    p.log(&format!(
                        "{} order {} ({}): could not be kept: {e}",
                        o.hub, o.order.order_id, o.order.tenant
                    ));
                    Kept::Lost(format!("{reason}; and the order could not be kept for a retry: {e}"))
                }
            }
        }
        done => {
            if let Err(e) = records::forget_order(p, &rid) {
                p.log(&format!("order {rid}: kept copy not deleted yet: {e}"));
            }
            Kept::Done(done)
        }
    }
}

/// A kept order's outcome, given up on once it was kept for
/// [`records::KEEP_SECONDS`] (`give_up`) and still could not be placed: then
/// the record says rejected, with why, and the caller deletes the order.
pub fn settle(p: &impl Platform, result_id: &str, placement: Placement, give_up: bool) -> Placement {
    let Placement::RetryLater(last) = placement else {
        return placement;
    };
    if !give_up {
        return Placement::RetryLater(last);
    }
    let reason = format!("Assessio could not be ordered: it could not take the order for a week ({last}).");
    match records::load(p, result_id) {
        Ok(Some(mut record)) => {
            record.state = State::Rejected;
            record.reason = Some(reason.clone());
            if let Err(e) = records::save(p, &mut record) {
                p.log(&format!("order {result_id}: could not record giving up: {e}"));
            }
        }
        Ok(None) => {}
        Err(e) => p.log(&format!("order {result_id}: could not record giving up: {e}")),
    }
    p.log(&format!("order {result_id}: given up after a week: {last}"));
    Placement::Rejected(reason)
}

/// Why a customer's catalog could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogError {
    /// No answer from Assessio: try again later.
    Unreachable(String),
    /// Assessio answered, but not with a catalog.
    BadAnswer(String),
    /// Assessio's settings are missing or malformed; nothing was sent.
    Misconfigured(ConfigError),
}

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(e) | Self::BadAnswer(e) => f.write_str(e),
            Self::Misconfigured(e) => write!(f, "the gateway is misconfigured: {e}"),
        }
    }
}

/// The organisation's lenses and locales, live from Assessio
/// (`GET /recruitment/v1/config`), for package sync and Teamtailor's dialog.
pub async fn catalog(
    p: &impl Platform,
    cfg: &Config,
    tenant: &Tenant,
) -> Result<assessio_plugin::Catalog, CatalogError> {
    let assessio = cfg.assessio(p).map_err(CatalogError::Misconfigured)?;
    let request =
        Plugin::config_request(&assessio.account(tenant)).map_err(|e| CatalogError::BadAnswer(e.to_string()))?;
    let reply = p.send(&request).await.map_err(|e| CatalogError::Unreachable(format!("Assessio unreachable: {e}")))?;
    if !(200..300).contains(&reply.status) {
        return Err(CatalogError::BadAnswer(format!("Assessio answered HTTP {} to the catalog request", reply.status)));
    }
    Plugin::list_lenses(&reply.body).map_err(|e| CatalogError::BadAnswer(format!("Assessio's catalog: {e}")))
}
