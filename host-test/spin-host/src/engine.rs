//! The engine every app's components run on, configured as `spin up`
//! configures its own: epoch interruption for deadlines, and the pooling
//! instance allocator with copy-on-write memory images.
//!
//! The pool is the part that shows in a profile. This host, like Spin,
//! makes a fresh instance for every request; with wasmtime's default
//! on-demand allocator each one maps its linear memories and its async
//! stack and unmaps them afterwards, and every unmap flushes the TLB on the
//! other cores. The pool reserves the slots once and reuses them: after a
//! request it zeroes the first [`KEEP_RESIDENT`] of each memory in place and
//! gives the rest back to the kernel, as Spin does.
//!
//! The sizes are Spin's defaults (`crates/core/src/lib.rs` in
//! spinframework/spin, read for the values only), so the two engines fail in
//! the same place: the request past [`MAX_INSTANCES`] at once cannot be
//! instantiated and is answered 500. What one instance may use is still
//! bounded by [`crate::RequestLimits`], through the store's limiter.

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Instances alive at once (Spin's `SPIN_MAX_INSTANCE_COUNT` default): at
/// most this many requests run their guests concurrently.
pub const MAX_INSTANCES: u32 = 1_000;

/// How much of each linear memory stays mapped between requests, zeroed by
/// `memset` rather than unmapped (Spin's 2 MiB).
pub const KEEP_RESIDENT: usize = 2 << 20;

/// The pool as Spin sizes it from [`MAX_INSTANCES`].
fn pool() -> PoolingAllocationConfig {
    let n = MAX_INSTANCES;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        .total_memories(n)
        .total_tables(2 * n)
        .total_stacks(n)
        .total_core_instances(4 * n)
        .max_component_instance_size(10 << 20)
        .max_core_instance_size(10 << 20)
        .max_core_instances_per_component(200)
        .max_tables_per_component(64)
        .max_memories_per_component(32)
        .max_tables_per_module(2)
        .max_memories_per_module(2)
        // The cap per request is the store's limiter (`RequestLimits`); a
        // slot only has to be able to hold any memory a guest may declare.
        .max_memory_size(4 << 30)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(512 << 10);
    pool
}

/// A new engine; `ASSESSIO_PERF_MAP=1` names the guests' functions for
/// `perf`, as in the plugin's sandbox.
pub fn new_engine() -> anyhow::Result<Engine> {
    let mut config = Config::new();
    component_sandbox::perf_map_from_env(&mut config);
    config.epoch_interruption(true);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool()));
    config.memory_init_cow(true);
    Ok(Engine::new(&config)?)
}
