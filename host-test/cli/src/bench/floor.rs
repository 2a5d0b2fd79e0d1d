//! Row 1's floor for `parse-result`: the same call to a component that does
//! no work (`host-test/fixtures/abi-floor`), so the plugin's figure splits
//! into what crossing the component boundary costs with that answer and what
//! the plugin's own reading of the body costs.

use super::native::Timer;
use super::{Row, arm, check, row};
use assessio_harness::connector::{Connector, wit};
use assessio_harness::locate;
use component_sandbox::Guard;
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

    check("the floor's parse-result", guest.call_parse_result(&mut store, body))?;
    let answer = format!("{:?}", guest.call_parse_result(&mut store, body)?);
    anyhow::ensure!(
        answer == plugin_answer,
        "the floor component answers {answer}, the plugin {plugin_answer}: \
         host-test/fixtures/abi-floor must return the plugin's result for the bench's body"
    );
    Ok(timer.ns_per_op(|| {
        arm(&mut store, limits);
        black_box(guest.call_parse_result(&mut store, black_box(body)).ok());
    }))
}

/// Row 1's two lines that split `parse-result` (`call_ns`, the plugin's
/// figure) at the floor, each against native `parse_result` (`native_ns`,
/// software-SHA build when there is one: it uses no SHA either way); or why
/// the floor was not measured.
pub(super) fn push_rows(
    floor: anyhow::Result<f64>,
    call_ns: f64,
    native_ns: f64,
    rows: &mut Vec<Row>,
    not_measured: &mut Vec<String>,
) {
    let floor = match floor {
        Ok(ns) => ns,
        Err(e) => {
            not_measured.push(format!("row 1: parse-result's floor (host-test/fixtures/abi-floor): {e:#}"));
            return;
        }
    };
    let what = "parse-result, the floor: a component that returns the same result without reading the body \
                (host-test/fixtures/abi-floor)";
    let mut r = row(1, what, floor, "ns/op").against("native parse-result (no boundary)", native_ns);
    r.target = Some("n/a: the boundary's cost for this answer, part of the figure above".into());
    rows.push(r);
    let what = "parse-result, the plugin's own work: the call minus the floor";
    let mut r = row(1, what, call_ns - floor, "ns/op").against("native parse-result", native_ns);
    r.target = Some("n/a: the plugin's code in WebAssembly against the same code native".into());
    rows.push(r);
}
