//! The cage a guest runs in: a memory cap, a wall-clock deadline, and a cap on
//! what the host will copy in.
//!
//! A hub loads the connector next to its own code, so the host must survive a
//! guest that loops forever or allocates without end, whatever the input. The
//! deadline uses epoch interruption (a ticker thread bumps the engine's epoch),
//! which costs far less per instruction than fuel metering; the memory cap is a
//! `ResourceLimiter` that also remembers that it refused, so the error can say
//! which limit fired.
//!
//! A crate of its own because two hosts use it, the plugin harness and the
//! Spin-compatible runtime, and neither should own the other's cage. It knows
//! nothing of what it runs: it must never import Assessio's plugin, the
//! harness, the Spin runtime or the simulators.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::{Config, Engine, ResourceLimiter, Store};

/// How often the epoch advances: the deadline's resolution.
const TICK: Duration = Duration::from_millis(5);

/// What a guest may use on one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory a guest instance may grow to.
    pub memory_bytes: usize,
    /// Wall-clock time one call may take.
    pub deadline: Duration,
    /// Largest total input (bodies, headers, strings) of one call the host
    /// copies in. The plugin needs about 2.5 times a body's size in memory to
    /// parse it, so keep `memory_bytes` above 2.5 × this plus ~1.1 MiB of base.
    pub max_input_bytes: usize,
}

impl Default for Limits {
    /// Generous for real payloads (a result body is under 1 KiB), small enough
    /// that a hub can run many guests at once.
    fn default() -> Self {
        Self { memory_bytes: 64 << 20, deadline: Duration::from_secs(2), max_input_bytes: 4 << 20 }
    }
}

/// Why a call did not return a value: the guest was stopped, not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The input was larger than `Limits::max_input_bytes`; not sent to the guest.
    InputTooLarge {
        /// What was offered.
        size: usize,
        /// What is allowed.
        limit: usize,
    },
    /// The guest tried to grow its memory past `Limits::memory_bytes`.
    OutOfMemory {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The call ran past `Limits::deadline`.
    Timeout {
        /// The deadline.
        limit: Duration,
    },
    /// The guest trapped for another reason (a bug in the guest).
    Trap(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InputTooLarge { size, limit } => {
                write!(f, "input of {size} bytes is over the limit of {limit} bytes; not passed to the plugin")
            }
            Self::OutOfMemory { limit } => {
                write!(f, "the plugin needed more than its memory limit of {} and was stopped", human_bytes(*limit))
            }
            Self::Timeout { limit } => {
                write!(f, "the plugin ran longer than its deadline of {} ms and was stopped", limit.as_millis())
            }
            Self::Trap(why) => write!(f, "the plugin trapped: {why}"),
        }
    }
}

impl std::error::Error for CallError {}

/// `64 MiB`, `1536 KiB`, `100 bytes`: exact, in the largest unit that divides.
fn human_bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Names the guests' functions for `perf` when `ASSESSIO_PERF_MAP=1`
/// (wasmtime writes `/tmp/perf-<pid>.map`; docs/performance.md, "Profiling").
/// Shared by every host here, so one variable profiles the plugin's sandbox
/// and the Spin runtime alike.
pub fn perf_map_from_env(config: &mut Config) {
    if std::env::var_os("ASSESSIO_PERF_MAP").is_some_and(|v| v == "1") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
}

/// Starts a thread that advances `engine`'s epoch every tick, until the
/// returned flag is set or the engine is dropped. Shared by every host here
/// that runs guests under a deadline: the plugin harness and the Spin runtime.
pub fn start_epoch_ticker(engine: &Engine, name: &str) -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let (weak, flag) = (engine.weak(), Arc::clone(&stop));
    std::thread::Builder::new().name(name.into()).spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            std::thread::sleep(TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        }
    })?;
    Ok(stop)
}

/// A deadline in epoch ticks, at least one.
pub fn deadline_ticks(deadline: Duration) -> u64 {
    u64::try_from(deadline.as_millis().div_ceil(TICK.as_millis()).max(1)).unwrap_or(u64::MAX)
}

/// Most table elements, summed over a store's tables.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Per-store state: enforces the caps over all of a guest's memories and
/// tables together (a component may hold several core instances, each with
/// its own memory), and remembers a refusal so the error can name it.
#[derive(Debug)]
pub struct Guard {
    memory_cap: usize,
    memory_used: usize,
    table_elements: usize,
    refused_memory: bool,
}

impl Guard {
    /// A fresh guard with nothing used yet, for stores built outside
    /// [`Sandbox::store`] (the Spin host keeps one in each request's state).
    pub fn new(memory_cap: usize) -> Self {
        Self { memory_cap, memory_used: 0, table_elements: 0, refused_memory: false }
    }

    /// Whether a memory growth was refused: a trap that follows is the cap.
    pub fn refused_memory(&self) -> bool {
        self.refused_memory
    }
}

impl ResourceLimiter for Guard {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = (self.memory_used - current.min(self.memory_used)).saturating_add(desired);
        let ok = total <= self.memory_cap;
        if ok {
            self.memory_used = total;
        } else {
            self.refused_memory = true;
        }
        Ok(ok)
    }

    fn table_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = (self.table_elements - current.min(self.table_elements)).saturating_add(desired);
        let ok = total <= MAX_TABLE_ELEMENTS;
        if ok {
            self.table_elements = total;
        }
        Ok(ok)
    }
}

/// An engine configured for untrusted guests, with its epoch ticker.
pub struct Sandbox {
    engine: Engine,
    limits: Limits,
    stop: Arc<AtomicBool>,
}

impl Sandbox {
    /// An engine with epoch interruption on and a ticker thread that stops
    /// when the sandbox is dropped.
    pub fn new(limits: Limits) -> anyhow::Result<Self> {
        let mut config = Config::new();
        perf_map_from_env(&mut config);
        config.epoch_interruption(true);
        config.max_wasm_stack(1 << 20);
        let engine = Engine::new(&config)?;
        let stop = start_epoch_ticker(&engine, "epoch-ticker")?;
        Ok(Self { engine, limits, stop })
    }

    /// The engine guests are compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A fresh store for one call, with the memory cap and the deadline armed.
    pub fn store(&self) -> Store<Guard> {
        let mut store = Store::new(&self.engine, Guard::new(self.limits.memory_bytes));
        store.limiter(|g| g);
        store.set_epoch_deadline(deadline_ticks(self.limits.deadline));
        store.epoch_deadline_trap();
        store
    }

    /// Refuses an input before it is copied into the guest.
    pub fn check_input(&self, size: usize) -> Result<(), CallError> {
        if size > self.limits.max_input_bytes {
            return Err(CallError::InputTooLarge { size, limit: self.limits.max_input_bytes });
        }
        Ok(())
    }

    /// Names the limit that stopped a failed call, or passes the trap on.
    /// An interrupt is the deadline whatever happened before it; otherwise a
    /// trap after a refused growth is the memory cap (the guest's allocator
    /// traps when it gets no memory).
    pub fn classify(&self, store: &Store<Guard>, err: &wasmtime::Error) -> CallError {
        if matches!(err.downcast_ref::<wasmtime::Trap>(), Some(wasmtime::Trap::Interrupt)) {
            return CallError::Timeout { limit: self.limits.deadline };
        }
        if store.data().refused_memory {
            return CallError::OutOfMemory { limit: self.limits.memory_bytes };
        }
        CallError::Trap(format!("{err:#}"))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_named_exactly() {
        assert_eq!(human_bytes(64 << 20), "64 MiB");
        assert_eq!(human_bytes(1536 << 10), "1536 KiB");
        assert_eq!(human_bytes(512 << 10), "512 KiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
        let e = CallError::OutOfMemory { limit: 1536 << 10 };
        assert_eq!(e.to_string(), "the plugin needed more than its memory limit of 1536 KiB and was stopped");
    }
}
