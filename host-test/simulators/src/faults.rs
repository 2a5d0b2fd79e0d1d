//! Fault injection for the simulators: what a real network and a real vendor
//! do on a bad day, on demand and reproducibly.
//!
//! Each simulator names its routes (such as `POST /recruitment/v1/assessment-order`)
//! and asks [`Faults`] before it handles a request. A [`FaultPlan`] per route
//! (or one for [`ANY_ROUTE`]) may add latency, answer with an error status,
//! drop the connection without answering, or hang until the server shuts
//! down. Two more run the route's logic first and then lose the answer (the
//! connection is dropped, or left hanging): the simulator has done the work
//! (an order accepted, a result recorded) but the caller cannot know it,
//! which is how a crash or a cut connection between "done upstream" and
//! "recorded here" looks from the outside. Plans can be changed while the
//! server runs, and every injected fault is counted, so a test can assert
//! both that the client coped and that the fault actually happened.
//!
//! Randomness is a seeded xorshift: the same seed gives the same sequence of
//! faults on every run and every machine, which keeps "fails 30 % of the time"
//! tests deterministic.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The route name whose plan applies to every route that has none of its own.
pub const ANY_ROUTE: &str = "*";

/// Statuses a fractional plan picks from when none are given: the two a
/// struggling service answers most.
const DEFAULT_FRACTION_STATUSES: [u16; 2] = [500, 503];

/// A tiny deterministic generator (xorshift64*). Not for secrets: for
/// reproducible fault sequences and simulator ids without another crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XorShift64 {
    state: u64,
}

impl XorShift64 {
    /// A generator started from `seed`. Xorshift has a fixed point at zero, so
    /// a zero seed is replaced by a fixed non-zero constant.
    pub fn new(seed: u64) -> Self {
        Self { state: if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed } }
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `[0, 1)`, from the top 32 bits (plenty for probabilities).
    pub fn next_f64(&mut self) -> f64 {
        let top = u32::try_from(self.next_u64() >> 32).unwrap_or(u32::MAX);
        f64::from(top) / 4_294_967_296.0
    }

    /// A value in `0..n`; `0` when `n` is zero.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// What an injected fault does instead of the normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultAction {
    /// Answer with this status and a small error body, without running the
    /// route's logic (nothing is recorded as received by the simulator).
    Status(u16),
    /// Close the connection without writing any response.
    Drop,
    /// Never answer; the connection is closed when the server shuts down.
    Hang,
    /// Run the route's logic (so the simulator records the request as
    /// handled: an order accepted, a result written), then close the
    /// connection without answering: the caller sees a failure for work
    /// that was done, and must not do it twice when it tries again.
    DropAfterHandling,
    /// Run the route's logic, then never answer (until the server shuts
    /// down): the caller is left waiting on work that was done, which is the
    /// window in which a crash of the caller loses the answer.
    HangAfterHandling,
}

impl FaultAction {
    /// Whether the route's logic runs before the fault (the request is
    /// handled, only its answer is lost).
    pub fn handles_first(self) -> bool {
        matches!(self, Self::DropAfterHandling | Self::HangAfterHandling)
    }
}

/// A fraction of requests that fail, drawn from a seeded generator.
#[derive(Debug, Clone)]
struct Fraction {
    probability: f64,
    actions: Vec<FaultAction>,
    rng: XorShift64,
}

/// What to do to one route's requests. Built with the chained methods and
/// installed with [`Faults::set`]; the parts combine:
///
/// 1. the latency, if any, is added to every request first;
/// 2. then the scripted queue (`fail_next`, `drop_next`, `hang_next`,
///    `next_action`) is consumed, one entry per request, in the order the calls were made;
/// 3. once it is empty, an `always` action applies to every request;
/// 4. otherwise a fractional plan fails each request with its probability.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    latency: Duration,
    scripted: VecDeque<FaultAction>,
    always: Option<FaultAction>,
    fraction: Option<Fraction>,
}

impl FaultPlan {
    /// A plan that does nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `delay` before every request is handled (or faulted).
    #[must_use]
    pub fn latency(mut self, delay: Duration) -> Self {
        self.latency = delay;
        self
    }

    /// The next `n` requests answer `status` (after any earlier scripted entries).
    #[must_use]
    pub fn fail_next(mut self, n: u32, status: u16) -> Self {
        self.scripted.extend((0..n).map(|_| FaultAction::Status(status)));
        self
    }

    /// The next `n` requests have their connection dropped without an answer.
    #[must_use]
    pub fn drop_next(mut self, n: u32) -> Self {
        self.scripted.extend((0..n).map(|_| FaultAction::Drop));
        self
    }

    /// The next `n` requests are never answered.
    #[must_use]
    pub fn hang_next(mut self, n: u32) -> Self {
        self.scripted.extend((0..n).map(|_| FaultAction::Hang));
        self
    }

    /// The next `n` requests get `action` (after any earlier scripted entries),
    /// e.g. [`FaultAction::HangAfterHandling`] to hold a caller in the window
    /// between "done upstream" and "recorded by the caller".
    #[must_use]
    pub fn next_action(mut self, n: u32, action: FaultAction) -> Self {
        self.scripted.extend((0..n).map(|_| action));
        self
    }

    /// Every request (once the scripted queue is empty) gets `action`.
    #[must_use]
    pub fn always(mut self, action: FaultAction) -> Self {
        self.always = Some(action);
        self
    }

    /// Every request hangs until the server shuts down.
    #[must_use]
    pub fn hang(self) -> Self {
        self.always(FaultAction::Hang)
    }

    /// A fraction `probability` (0 to 1; clamped, NaN is 0) of requests fail
    /// with 500 or 503, chosen by a generator seeded with `seed`.
    #[must_use]
    pub fn fail_fraction(self, probability: f64, seed: u64) -> Self {
        self.fail_fraction_with(probability, seed, &DEFAULT_FRACTION_STATUSES)
    }

    /// As [`FaultPlan::fail_fraction`], choosing among `statuses` (500 if empty).
    #[must_use]
    pub fn fail_fraction_with(self, probability: f64, seed: u64, statuses: &[u16]) -> Self {
        let statuses = if statuses.is_empty() { vec![500] } else { statuses.to_vec() };
        let actions: Vec<FaultAction> = statuses.into_iter().map(FaultAction::Status).collect();
        self.fault_fraction(probability, seed, &actions)
    }

    /// A fraction `probability` (0 to 1; clamped, NaN is 0) of requests get
    /// one of `actions`, chosen uniformly by a generator seeded with `seed`:
    /// a mix of error statuses, dropped connections and lost answers, as a
    /// load test wants. An empty list means a 500.
    #[must_use]
    pub fn fault_fraction(mut self, probability: f64, seed: u64, actions: &[FaultAction]) -> Self {
        let probability = if probability.is_nan() { 0.0 } else { probability.clamp(0.0, 1.0) };
        let actions = if actions.is_empty() { vec![FaultAction::Status(500)] } else { actions.to_vec() };
        self.fraction = Some(Fraction { probability, actions, rng: XorShift64::new(seed) });
        self
    }

    /// Decides one request, consuming scripted entries and generator state.
    fn next(&mut self) -> Option<FaultAction> {
        if let Some(action) = self.scripted.pop_front() {
            return Some(action);
        }
        if let Some(action) = self.always {
            return Some(action);
        }
        let fraction = self.fraction.as_mut()?;
        // Draw for every request, failing or not, so the sequence depends
        // only on the seed and the request count.
        let roll = fraction.rng.next_f64();
        let pick = fraction.rng.below(fraction.actions.len() as u64);
        if roll < fraction.probability {
            let action = usize::try_from(pick).ok().and_then(|i| fraction.actions.get(i)).copied();
            Some(action.unwrap_or(FaultAction::Status(500)))
        } else {
            None
        }
    }
}

/// How many requests a route saw and which faults were injected into them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Every request that reached the fault layer on this route.
    pub requests: u64,
    /// Requests that were delayed by a plan's latency.
    pub delayed: u64,
    /// Requests answered with an injected status.
    pub failed: u64,
    /// Connections dropped without an answer.
    pub dropped: u64,
    /// Requests left hanging.
    pub hung: u64,
    /// Of the dropped and hung requests, those whose route logic ran first
    /// ([`FaultAction::DropAfterHandling`], [`FaultAction::HangAfterHandling`]).
    pub after_handling: u64,
}

impl FaultStats {
    /// Faults that replaced the normal answer (latency alone does not count).
    pub fn injected(&self) -> u64 {
        self.failed + self.dropped + self.hung
    }

    fn add(&mut self, other: &Self) {
        self.requests += other.requests;
        self.delayed += other.delayed;
        self.failed += other.failed;
        self.dropped += other.dropped;
        self.hung += other.hung;
        self.after_handling += other.after_handling;
    }
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) latency: Duration,
    pub(crate) action: Option<FaultAction>,
}

#[derive(Debug, Default)]
struct Inner {
    plans: HashMap<String, FaultPlan>,
    stats: HashMap<String, FaultStats>,
}

/// The fault plans of one simulator, shared with its server; cheap to clone,
/// and every clone sees the same plans and counts.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

impl Faults {
    /// No plans.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not turn every later request into one.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Installs `plan` for `route` (or [`ANY_ROUTE`]), replacing any earlier one.
    pub fn set(&self, route: &str, plan: FaultPlan) {
        self.lock().plans.insert(route.to_owned(), plan);
    }

    /// Removes the plan for `route`; counts are kept.
    pub fn clear(&self, route: &str) {
        self.lock().plans.remove(route);
    }

    /// Removes every plan; counts are kept.
    pub fn clear_all(&self) {
        self.lock().plans.clear();
    }

    /// Forgets the counts (plans stay).
    pub fn reset_stats(&self) {
        self.lock().stats.clear();
    }

    /// The counts for one route.
    pub fn stats(&self, route: &str) -> FaultStats {
        self.lock().stats.get(route).copied().unwrap_or_default()
    }

    /// The counts summed over every route.
    pub fn total(&self) -> FaultStats {
        let inner = self.lock();
        let mut sum = FaultStats::default();
        for s in inner.stats.values() {
            sum.add(s);
        }
        sum
    }

    /// Decides the fate of one request on `route`, counting it.
    pub(crate) fn decide(&self, route: &str) -> Decision {
        let mut inner = self.lock();
        let plan =
            if inner.plans.contains_key(route) { inner.plans.get_mut(route) } else { inner.plans.get_mut(ANY_ROUTE) };
        let (latency, action) = match plan {
            Some(plan) => (plan.latency, plan.next()),
            None => (Duration::ZERO, None),
        };
        let stats = inner.stats.entry(route.to_owned()).or_default();
        stats.requests += 1;
        if !latency.is_zero() {
            stats.delayed += 1;
        }
        match action {
            Some(FaultAction::Status(_)) => stats.failed += 1,
            Some(FaultAction::Drop) => stats.dropped += 1,
            Some(FaultAction::Hang) => stats.hung += 1,
            Some(FaultAction::DropAfterHandling) => {
                stats.dropped += 1;
                stats.after_handling += 1;
            }
            Some(FaultAction::HangAfterHandling) => {
                stats.hung += 1;
                stats.after_handling += 1;
            }
            None => {}
        }
        Decision { latency, action }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_entries_come_first_then_always() {
        let f = Faults::new();
        f.set("r", FaultPlan::new().fail_next(2, 503).drop_next(1).always(FaultAction::Status(418)));
        let actions: Vec<_> = (0..4).map(|_| f.decide("r").action).collect();
        assert_eq!(
            actions,
            [
                Some(FaultAction::Status(503)),
                Some(FaultAction::Status(503)),
                Some(FaultAction::Drop),
                Some(FaultAction::Status(418))
            ]
        );
        assert_eq!(
            f.stats("r"),
            FaultStats { requests: 4, delayed: 0, failed: 3, dropped: 1, hung: 0, after_handling: 0 }
        );
        assert_eq!(f.decide("other").action, None);
    }

    #[test]
    fn any_route_applies_where_no_plan_is_set() {
        let f = Faults::new();
        f.set(ANY_ROUTE, FaultPlan::new().always(FaultAction::Drop));
        f.set("quiet", FaultPlan::new());
        assert_eq!(f.decide("x").action, Some(FaultAction::Drop));
        assert_eq!(f.decide("quiet").action, None);
        assert_eq!(f.total().dropped, 1);
    }

    #[test]
    fn fractions_are_reproducible_and_roughly_right() {
        let count = |seed| {
            let f = Faults::new();
            f.set("r", FaultPlan::new().fail_fraction(0.3, seed));
            (0..1000).filter(|_| f.decide("r").action.is_some()).count()
        };
        assert_eq!(count(7), count(7));
        assert!((200..400).contains(&count(7)), "{}", count(7));
        let f = Faults::new();
        f.set("r", FaultPlan::new().fail_fraction(f64::NAN, 1));
        assert!((0..100).all(|_| f.decide("r").action.is_none()));
    }

    #[test]
    fn mixed_fractions_and_after_handling_faults_are_counted() {
        let f = Faults::new();
        let mix = [FaultAction::Status(503), FaultAction::Drop, FaultAction::DropAfterHandling];
        f.set("r", FaultPlan::new().next_action(1, FaultAction::HangAfterHandling).fault_fraction(1.0, 9, &mix));
        assert_eq!(f.decide("r").action, Some(FaultAction::HangAfterHandling));
        let seen: std::collections::HashSet<_> = (0..300).filter_map(|_| f.decide("r").action).collect();
        assert_eq!(seen.len(), 3, "{seen:?}");
        let s = f.stats("r");
        assert_eq!(s.requests, 301);
        assert_eq!(s.injected(), 301);
        assert_eq!(s.failed + s.dropped + s.hung, 301);
        assert!(s.after_handling > 1 && s.after_handling < s.dropped + 1);
        assert!(FaultAction::HangAfterHandling.handles_first() && !FaultAction::Hang.handles_first());
    }
}
