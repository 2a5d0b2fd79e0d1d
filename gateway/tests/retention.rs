//! Order records expire: a finished record (rejected, or its result written
//! back) older than `record_retention_days` is forgotten the next time it is
//! read, an unfinished one never is, and a malformed setting is named.

mod support;

use assessio_gateway::config::DEFAULT_RETENTION_DAYS;
use assessio_gateway::records::{self, OrderRecord, State};
use assessio_gateway::reply::Incoming;
use assessio_gateway::routes;
use support::{Memory, NOW, block_on};

const DAY: i64 = 24 * 3600;

fn vars(retention: Option<&str>) -> Vec<(&'static str, String)> {
    let tenants = r#"{"int-1": {"provider_key": "pk-xyz"}}"#;
    let mut v = vec![
        ("assessio_url", "http://assessio.test".to_string()),
        ("assessio_integrator_api_key", "integrator-api-key-xyz".into()),
        ("public_url", "https://gw.example".into()),
        ("operator_token", "operator-token-xyz".into()),
        ("kombo_url", "http://kombo.test".into()),
        ("kombo_api_key", "kombo-api-key-xyz".into()),
        ("kombo_webhook_secret", "kombo-secret-xyz".into()),
        ("tenants", tenants.into()),
    ];
    if let Some(r) = retention {
        v.push(("record_retention_days", r.into()));
    }
    v
}

fn record(p: &Memory, id: &str, state: State) {
    let mut r = OrderRecord::new(assessio_gateway::hub::Hub::Kombo, "int-1", id, id, NOW);
    r.state = state;
    records::save(p, &mut r).unwrap();
}

#[test]
fn finished_records_are_forgotten_after_the_retention_and_unfinished_ones_are_kept() {
    let p = Memory::new(vars(Some("30")));
    record(&p, "done", State::WrittenBack);
    record(&p, "refused", State::Rejected);
    record(&p, "waiting", State::Retrying);
    record(&p, "placed", State::Placed);

    p.clock.set(NOW + 30 * DAY);
    for id in ["done", "refused", "waiting", "placed"] {
        assert!(records::load(&p, id).unwrap().is_some(), "{id} is kept for 30 days");
    }
    p.clock.set(NOW + 30 * DAY + 1);
    assert_eq!(records::load(&p, "done").unwrap(), None);
    assert_eq!(records::load(&p, "refused").unwrap(), None);
    // Only the tombstones stay: the end state (and a refusal's reason), so
    // a replayed webhook places nothing.
    let left: Vec<String> =
        p.kv.borrow().keys().filter(|k| k.ends_with(":done") || k.ends_with(":refused")).cloned().collect();
    assert_eq!(left, ["gone:done", "gone:refused"], "records deleted from the store");
    // Orders something may still happen to are never forgotten.
    p.clock.set(NOW + 3650 * DAY);
    assert_eq!(records::load(&p, "waiting").unwrap().map(|r| r.state), Some(State::Retrying));
    assert_eq!(records::load(&p, "placed").unwrap().map(|r| r.state), Some(State::Placed));
}

#[test]
fn the_default_is_ninety_days_and_zero_keeps_records_forever() {
    assert_eq!(DEFAULT_RETENTION_DAYS, 90);
    let p = Memory::new(vars(None));
    record(&p, "done", State::WrittenBack);
    p.clock.set(NOW + 90 * DAY);
    assert!(records::load(&p, "done").unwrap().is_some());
    p.clock.set(NOW + 90 * DAY + 1);
    assert_eq!(records::load(&p, "done").unwrap(), None);

    let forever = Memory::new(vars(Some("0")));
    record(&forever, "done", State::WrittenBack);
    forever.clock.set(NOW + 36_500 * DAY);
    assert!(records::load(&forever, "done").unwrap().is_some());
}

#[test]
fn a_malformed_retention_is_named_on_health() {
    for bad in ["-1", "ninety", "1.5", "99999999"] {
        let p = Memory::new(vars(Some(bad)));
        let req = Incoming { method: "GET".into(), path: "/health".into(), ..Incoming::default() };
        let out = block_on(routes::handle(&p, &req));
        assert_eq!(out.status, 503, "{bad}");
        let body = String::from_utf8_lossy(&out.body).into_owned();
        assert!(body.contains("record_retention_days"), "{body}");
        assert!(!body.contains(bad), "the value is echoed: {body}");
    }
}

/// A blank integrator secret would sign every order with a whitespace key:
/// refused at load, like an empty one (found by fuzzing the configuration).
#[test]
fn a_blank_integrator_secret_is_refused_naming_the_integration() {
    let mut v = vars(None);
    v.retain(|(k, _)| *k != "tenants");
    v.push(("tenants", r#"{"int-1": {"provider_key": "pk-xyz", "integrator_secret": " \t \t"}}"#.into()));
    let p = Memory::new(v);
    let e = assessio_gateway::config::Config::load(&p).unwrap_err();
    assert_eq!(e.setting, "tenants");
    assert!(e.problem.contains("blank integrator_secret") && e.problem.contains("int-1"), "{}", e.problem);
}
