//! One module per subcommand of `assessio`: each turns its command-line
//! options into a call of the library (the harness, the stack, the bench, the
//! load rig) and prints the answer. `main.rs` holds the options and picks the
//! module.
//!
//! - [`call`], [`functions`], [`wit`], [`demo`]: the plugin alone, loaded as
//!   [`plugin`] says.
//! - [`up`], [`serve`]: the gateway with simulators, or against real settings.
//! - [`load`], [`bench`]: the load rig and the benchmarks.
//!
//! [`failure`] is how any of them fails, with its exit code.

pub mod bench;
pub mod call;
pub mod demo;
pub mod failure;
pub mod functions;
pub mod load;
pub mod plugin;
pub mod serve;
pub mod up;
pub mod wit;
