//! The host contains a misbehaving or overloaded guest.
//!
//! The real plugin is driven past each limit (input size, memory, nesting,
//! garbage, many calls in a row), and small hostile components written in the
//! component text format loop forever or allocate without end. Every case must
//! end in a typed answer or a `CallError` naming the limit, never in a host
//! panic or a hang, and the host must keep serving afterwards.

use assessio_harness::{CallError, Connector, Limits};
use assessio_plugin::InputError;
use component_sandbox::{Guard, Sandbox};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use wasmtime::component::{Component, Linker};

/// The example result webhook in Assessio's API reference (seed 001).
const SEED_RESULT: &[u8] = br#"{"resultId":"6ef46985-9ca2-4c65-a184-47fa0d332246","score":71,"subscores":{"Driving Leadership":73,"Influencing & Inspiring":68}}"#;

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

/// The plugin component, built at most once per test binary.
fn plugin() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| assessio_harness::locate::ensure_plugin_built().expect("building the plugin component"))
}

fn connector(limits: Limits) -> Connector {
    Connector::load(plugin(), limits).expect("loading the plugin component")
}

/// Parses the seed body and checks the answer is the seed's, field by field
/// that matters here.
#[track_caller]
fn assert_seed_parses(c: &Connector) {
    let r =
        c.parse_result(SEED_RESULT).expect("a normal call is not stopped").expect("the seed body is a valid result");
    assert_eq!(r.result_id, "6ef46985-9ca2-4c65-a184-47fa0d332246");
    assert_eq!(r.score, Some(71));
    assert_eq!(r.subscores.len(), 2);
}

/// A valid result body of at least `size` bytes, padded with a member the
/// parser ignores.
fn padded_result(size: usize) -> Vec<u8> {
    let mut body = br#"{"resultId":"padded","score":42,"pad":""#.to_vec();
    body.resize(body.len() + size, b'x');
    body.extend_from_slice(b"\"}");
    body
}

// ---------------------------------------------------------------- input size

#[test]
fn input_over_the_limit_is_refused_before_the_guest_and_the_connector_goes_on() {
    let limit = 64 * KIB;
    let c = connector(Limits { max_input_bytes: limit, ..Limits::default() });
    assert_eq!(c.limits().max_input_bytes, limit);

    // One byte over is refused, with the numbers.
    let body = padded_result(limit);
    assert!(body.len() > limit);
    assert_eq!(c.parse_result(&body), Err(CallError::InputTooLarge { size: body.len(), limit }));
    let over = vec![b' '; limit + 1];
    assert_eq!(c.parse_result(&over), Err(CallError::InputTooLarge { size: limit + 1, limit }));

    // Exactly at the limit is let through to the guest (it is whitespace, so
    // the guest answers that it is not JSON).
    let at = vec![b' '; limit];
    assert!(matches!(c.parse_result(&at), Ok(Err(InputError::Malformed(_)))));

    // The same check guards the other exports.
    assert_eq!(c.list_lenses(&over), Err(CallError::InputTooLarge { size: limit + 1, limit }));

    let text = CallError::InputTooLarge { size: limit + 1, limit }.to_string();
    assert!(text.contains(&(limit + 1).to_string()) && text.contains(&limit.to_string()), "{text}");

    assert_seed_parses(&c);
}

// -------------------------------------------------------------------- memory

/// 4 MiB of linear memory is ample for a real call (the component starts with
/// about 1 MiB: its stack and data), but cannot hold an 8 MiB body, which the
/// host must copy into guest memory before the guest even starts parsing.
const SMALL_MEMORY: Limits =
    Limits { memory_bytes: 4 * MIB, deadline: Duration::from_secs(2), max_input_bytes: 16 * MIB };

#[test]
fn a_guest_that_runs_out_of_memory_is_stopped_with_the_limit_named() {
    let c = connector(SMALL_MEMORY);
    assert_seed_parses(&c);

    let body = padded_result(8 * MIB);
    assert!(body.len() <= SMALL_MEMORY.max_input_bytes, "the input check must not be what fires");
    let err = c.parse_result(&body).expect_err("an 8 MiB body cannot fit in 4 MiB");
    assert_eq!(err, CallError::OutOfMemory { limit: 4 * MIB });

    let text = err.to_string();
    assert!(text.contains("memory limit of 4 MiB"), "{text}");
    for word in ["panic", "unreachable", "trap"] {
        assert!(!text.contains(word), "{text:?} reads like a crash, not a limit");
    }

    // The next call gets a fresh instance and works.
    assert_seed_parses(&c);
    // A body that fits but needs a copy of its large member also works, so
    // the cap is not simply refusing everything above the seed.
    let fits = padded_result(512 * KIB);
    let r = c.parse_result(&fits).expect("512 KiB fits in 4 MiB").expect("a valid result");
    assert_eq!((r.result_id.as_str(), r.score), ("padded", Some(42)));
}

// ------------------------------------------------------------- hostile input

#[test]
fn deeply_nested_json_is_a_typed_refusal_not_a_trap() {
    let c = connector(Limits::default());
    let depth = 100_000;

    let mut arrays = "[".repeat(depth);
    arrays.push_str(&"]".repeat(depth));
    match c.parse_result(arrays.as_bytes()) {
        Ok(Err(InputError::Malformed(m))) => assert!(m.contains("recursion"), "{m}"),
        other => panic!("nested arrays gave {other:?}"),
    }

    // Nested objects under a valid start, so the parser is inside the body
    // when it meets the depth.
    let mut objects = String::from(r#"{"resultId":"r","x":"#);
    objects.push_str(&r#"{"a":"#.repeat(depth));
    objects.push_str(&"}".repeat(depth + 1));
    match c.parse_result(objects.as_bytes()) {
        Ok(Err(InputError::Malformed(m))) => assert!(m.contains("recursion"), "{m}"),
        other => panic!("nested objects gave {other:?}"),
    }

    // The same body through another export.
    assert!(matches!(c.list_lenses(arrays.as_bytes()), Ok(Err(InputError::Malformed(_)))));
    assert_seed_parses(&c);
}

#[test]
fn huge_but_allowed_garbage_is_a_typed_refusal_not_a_trap() {
    let limits = Limits::default();
    let c = connector(limits);
    let size = limits.max_input_bytes;

    // Deterministic noise over every byte value (invalid UTF-8 included).
    let mut state = 0x2545_f491_u32;
    let noise: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect();
    // A string that never ends, so the parser reads all of it.
    let mut unterminated = br#"{"resultId":""#.to_vec();
    unterminated.resize(size, b'a');
    // Invalid UTF-8 deep inside an otherwise valid string.
    let mut bad_utf8 = padded_result(size - 64);
    let middle = bad_utf8.len() / 2;
    bad_utf8[middle] = 0xFF;
    // A valid object followed by megabytes of trailing junk.
    let mut trailing = SEED_RESULT.to_vec();
    trailing.resize(size, b'}');

    for (name, body) in
        [("noise", noise), ("unterminated", unterminated), ("bad utf-8", bad_utf8), ("trailing", trailing)]
    {
        assert!(body.len() <= size, "{name} must pass the input check");
        match c.parse_result(&body) {
            Ok(Err(InputError::Malformed(_))) => {}
            other => panic!("{name} gave {other:?}"),
        }
    }
    assert_seed_parses(&c);
}

// ----------------------------------------------------------- hostile guests

/// Spins forever; `ok` returns 42 without touching memory.
const LOOPS_FOREVER: &str = r#"
(component
  (core module $m
    (func (export "run") (loop $spin (br $spin)))
    (func (export "ok") (result i32) (i32.const 42)))
  (core instance $i (instantiate $m))
  (func (export "run") (canon lift (core func $i "run")))
  (func (export "ok") (result u32) (canon lift (core func $i "ok"))))
"#;

/// Grows its memory 1 MiB at a time until `memory.grow` fails, then traps.
/// `ok` stores and loads a value in the one page it starts with.
const EATS_MEMORY: &str = r#"
(component
  (core module $m
    (memory 1)
    (func (export "run")
      (loop $more
        (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
      unreachable)
    (func (export "ok") (result i32)
      (i32.store (i32.const 16) (i32.const 42))
      (i32.load (i32.const 16))))
  (core instance $i (instantiate $m))
  (func (export "run") (canon lift (core func $i "run")))
  (func (export "ok") (result u32) (canon lift (core func $i "ok"))))
"#;

/// Three core instances, each with its own memory, each growing by 3 MiB:
/// under a 4 MiB cap the second growth must be refused, because the cap
/// counts the guest's memories together, not each one alone.
const SPREADS_MEMORY: &str = r#"
(component
  (core module $m
    (memory 1)
    (func (export "grow") (if (i32.eq (memory.grow (i32.const 48)) (i32.const -1)) (then unreachable)))
    (func (export "ok") (result i32) (i32.const 42)))
  (core instance $a (instantiate $m))
  (core instance $b (instantiate $m))
  (core instance $c (instantiate $m))
  (core module $driver
    (import "a" "grow" (func $ga))
    (import "b" "grow" (func $gb))
    (import "c" "grow" (func $gc))
    (func (export "run") (call $ga) (call $gb) (call $gc)))
  (core instance $d (instantiate $driver (with "a" (instance $a)) (with "b" (instance $b)) (with "c" (instance $c))))
  (func (export "run") (canon lift (core func $d "run")))
  (func (export "ok") (result u32) (canon lift (core func $a "ok"))))
"#;

/// Traps at once, for a reason that is no limit.
const TRAPS: &str = r#"
(component
  (core module $m
    (func (export "run") unreachable)
    (func (export "ok") (result i32) (i32.const 42)))
  (core instance $i (instantiate $m))
  (func (export "run") (canon lift (core func $i "run")))
  (func (export "ok") (result u32) (canon lift (core func $i "ok"))))
"#;

/// Short enough to keep the test quick, long enough (40 ticks of 5 ms) that
/// the epoch ticker's resolution does not dominate it.
const HOSTILE: Limits =
    Limits { memory_bytes: 4 * MIB, deadline: Duration::from_millis(200), max_input_bytes: 64 * KIB };

/// A hostile component, compiled for the sandbox and linked with no imports.
struct Guest {
    sandbox: Sandbox,
    component: Component,
    linker: Linker<Guard>,
}

impl Guest {
    fn new(wat: &str) -> Self {
        let sandbox = Sandbox::new(HOSTILE).expect("a sandbox");
        let component = Component::new(sandbox.engine(), wat).expect("the component text compiles");
        let linker = Linker::<Guard>::new(sandbox.engine());
        Self { sandbox, component, linker }
    }

    /// Calls `run` in a fresh store; how the sandbox classifies the failure.
    fn run(&self) -> Result<(), CallError> {
        let mut store = self.sandbox.store();
        let instance = self.linker.instantiate(&mut store, &self.component).expect("instantiates");
        let run = instance.get_typed_func::<(), ()>(&mut store, "run").expect("exports run");
        run.call(&mut store, ()).map_err(|e| self.sandbox.classify(&store, &e))
    }

    /// Calls the well-behaved `ok` in a fresh store.
    fn ok(&self) -> u32 {
        let mut store = self.sandbox.store();
        let instance = self.linker.instantiate(&mut store, &self.component).expect("instantiates");
        let ok = instance.get_typed_func::<(), (u32,)>(&mut store, "ok").expect("exports ok");
        let (value,) = ok.call(&mut store, ()).expect("ok runs");
        value
    }
}

#[test]
fn a_guest_that_loops_forever_is_stopped_at_its_deadline() {
    let guest = Guest::new(LOOPS_FOREVER);
    assert_eq!(guest.ok(), 42, "the well-behaved export runs before");

    let started = Instant::now();
    assert_eq!(guest.run(), Err(CallError::Timeout { limit: HOSTILE.deadline }));
    let took = started.elapsed();
    // At least 39 ticks of at least 5 ms each pass before the deadline, and
    // it must not take many times the deadline to fire.
    assert!(took >= Duration::from_millis(150), "stopped after {took:?}, before the deadline");
    assert!(took < Duration::from_secs(5), "stopped only after {took:?}");

    let text = CallError::Timeout { limit: HOSTILE.deadline }.to_string();
    assert!(text.contains("deadline of 200 ms"), "{text}");

    // The sandbox goes on: a fresh store gets a fresh deadline, twice over.
    assert_eq!(guest.ok(), 42);
    assert_eq!(guest.run(), Err(CallError::Timeout { limit: HOSTILE.deadline }));
    assert_eq!(guest.ok(), 42);
}

#[test]
fn a_guest_that_allocates_without_end_is_stopped_at_its_memory_cap() {
    let guest = Guest::new(EATS_MEMORY);
    assert_eq!(guest.ok(), 42, "the well-behaved export runs before");

    let started = Instant::now();
    assert_eq!(guest.run(), Err(CallError::OutOfMemory { limit: HOSTILE.memory_bytes }));
    assert!(started.elapsed() < Duration::from_secs(5), "the cap fires at once, not at the deadline");

    // A fresh store has its own cap and its own (un-refused) guard.
    assert_eq!(guest.ok(), 42);
    assert_eq!(guest.run(), Err(CallError::OutOfMemory { limit: HOSTILE.memory_bytes }));
    assert_eq!(guest.ok(), 42);
}

#[test]
fn the_memory_cap_counts_all_of_a_guests_memories_together() {
    let guest = Guest::new(SPREADS_MEMORY);
    assert_eq!(guest.ok(), 42);
    assert_eq!(guest.run(), Err(CallError::OutOfMemory { limit: HOSTILE.memory_bytes }));
    assert_eq!(guest.ok(), 42, "a fresh store starts from zero again");
}

#[test]
fn a_guest_that_simply_traps_is_not_blamed_on_a_limit() {
    let guest = Guest::new(TRAPS);
    match guest.run() {
        Err(CallError::Trap(why)) => assert!(why.contains("unreachable"), "{why}"),
        other => panic!("a plain trap gave {other:?}"),
    }
    assert_eq!(guest.ok(), 42);

    // After a memory refusal in one store, a plain trap in the next store is
    // still a plain trap: the refusal does not leak between stores.
    let eater = Guest::new(EATS_MEMORY);
    let mut store = eater.sandbox.store();
    let instance = eater.linker.instantiate(&mut store, &eater.component).expect("instantiates");
    let run = instance.get_typed_func::<(), ()>(&mut store, "run").expect("exports run");
    let err = run.call(&mut store, ()).expect_err("runs out of memory");
    assert_eq!(eater.sandbox.classify(&store, &err), CallError::OutOfMemory { limit: HOSTILE.memory_bytes });
    let trapper = Component::new(eater.sandbox.engine(), TRAPS).expect("compiles");
    let mut fresh = eater.sandbox.store();
    let instance = eater.linker.instantiate(&mut fresh, &trapper).expect("instantiates");
    let run = instance.get_typed_func::<(), ()>(&mut fresh, "run").expect("exports run");
    let err = run.call(&mut fresh, ()).expect_err("traps");
    assert!(matches!(eater.sandbox.classify(&fresh, &err), CallError::Trap(_)));
}

// ------------------------------------------------------------- many calls

#[test]
fn many_calls_in_a_row_each_get_fresh_limits() {
    // A short deadline, and a pause between calls: the 200 calls together
    // take several deadlines, so a deadline carried from one call to the next
    // would stop the later ones. Every tenth call also moves 512 KiB through a
    // 4 MiB memory and every fiftieth is refused for memory: the calls after
    // a refusal must work as if it never happened.
    let limits = Limits { memory_bytes: 4 * MIB, deadline: Duration::from_millis(100), max_input_bytes: 16 * MIB };
    let c = connector(limits);
    let medium = padded_result(512 * KIB);
    let huge = padded_result(8 * MIB);

    let started = Instant::now();
    let (mut parsed, mut refused) = (0, 0);
    for i in 0..200 {
        if i % 50 == 49 {
            assert_eq!(c.parse_result(&huge), Err(CallError::OutOfMemory { limit: 4 * MIB }), "call {i}");
            refused += 1;
            continue;
        }
        let body = if i % 10 == 0 { medium.as_slice() } else { SEED_RESULT };
        let r = c.parse_result(body).unwrap_or_else(|e| panic!("call {i} was stopped: {e}")).expect("valid result");
        assert_eq!(r.score, Some(if i % 10 == 0 { 42 } else { 71 }), "call {i}");
        parsed += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!((parsed, refused), (196, 4));
    let took = started.elapsed();
    assert!(took > 3 * limits.deadline, "the calls took {took:?}, too little to show the deadline is per call");
}
