//! Row 1's floor for `parse-result`: the same call to a component that does
//! no work (`host-test/fixtures/abi-floor`), so the plugin's figure splits
//! into what crossing the component boundary costs with that answer and what
//! the plugin's own reading of the body costs.

use super::native::Timer;
use assessio_harness::connector::{Connector, wit};
use assessio_harness::locate;
use component_sandbox::{Guard, deadline_ticks};
use std::hint::black_box;
use wasmtime::component::{Component, Linker};

/// ns per `parse-result` call to the floor component with `body`, on a reused
/// instance, after checking that its answer is the plugin's (`plugin_answer`,
/// the `Debug` form of the plugin's result for the same body): the floor must
/// hand the host the same strings to lift, or it measures something else.
pub(super) fn parse_result_ns(
    connector: &Connector,
    timer: &Timer,
    body: &[u8],
    plugin_answer: &str,
) -> anyhow::Result<f64> {
    let path = locate::ensure_component_built("abi-floor", "plugin")?;
    let sandbox = connector.sandbox();
    let component = Component::from_file(sandbox.engine(), &path)?;
    let pre = Linker::<Guard>::new(sandbox.engine()).instantiate_pre(&component)?;
    let indices = wit::GuestIndices::new(&pre)?;
    let mut store = sandbox.store();
    let instance = pre.instantiate(&mut store)?;
    let guest = indices.load(&mut store, &instance)?;
    let limits = connector.limits();

    let answer = format!("{:?}", guest.call_parse_result(&mut store, body)?);
    anyhow::ensure!(
        answer == plugin_answer,
        "the floor component answers {answer}, the plugin {plugin_answer}: \
         host-test/fixtures/abi-floor must return the plugin's result for the bench's body"
    );
    Ok(timer.ns_per_op(|| {
        store.set_epoch_deadline(deadline_ticks(limits.deadline));
        black_box(guest.call_parse_result(&mut store, black_box(body)).ok());
    }))
}
