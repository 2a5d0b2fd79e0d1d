//! The short version of the fuzzing (`scripts/fuzz.sh`, `docs/fuzzing.md`),
//! in the default test run, on stable.
//!
//! Every file of `fuzz/corpus/<target>/` goes through the same harness the
//! fuzzer runs (this crate, which `fuzz/` depends on), so a crash the
//! fuzzer found, once fixed and added to the corpus, stays fixed. Property
//! tests add random and mutated inputs on top, and `build_order`, whose
//! fuzz target is structured, gets its inputs from proptest here.
//!
//! The known findings (`harness::KNOWN_FINDINGS`, inputs in
//! `fuzz/findings/`) are checked to still fail strictly, so a fix that
//! lands is noticed and its exemption removed.
//!
//! The gateway's targets need `assessio-gateway`, which this crate does not
//! depend on: their corpus is replayed by `scripts/fuzz.sh` only.

use assessio_fuzz_harness as harness;
use assessio_plugin::{Account, Candidate, Environment, OrderDetails, OrderEndpoint, Recruitment};
use proptest::prelude::*;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The fuzz targets whose inputs are not plain bytes (`arbitrary`): their
/// corpus is for the fuzzer alone.
const STRUCTURED_TARGETS: &[&str] = &["build_order", "gateway_router", "gateway_config"];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of a directory, by name, sorted so failures read the same every run.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|entry| {
            let path = entry.expect("a readable directory entry").path();
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.file_name().expect("a file name").to_string_lossy().into_owned(), data)
        })
        .collect();
    out.sort();
    out
}

fn target(name: &str) -> harness::Target {
    harness::BYTE_TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).expect("a byte target")
}

thread_local! {
    /// Set while [`panic_of`] runs: the panic is an answer, not news for stderr.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The panic message of `f`, if it panicked, without printing it.
fn panic_of(f: impl FnOnce()) -> Option<String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                default(info);
            }
        }));
    });
    QUIET.set(true);
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.set(false);
    outcome.err().map(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn every_target_has_a_seed_corpus_and_every_corpus_a_target() {
    let corpus = fuzz_dir().join("corpus");
    for (name, _) in harness::BYTE_TARGETS {
        let seeds = files(&corpus.join(name));
        assert!(seeds.len() >= 2, "fuzz/corpus/{name} has {} seeds", seeds.len());
    }
    for entry in std::fs::read_dir(&corpus).expect("fuzz/corpus") {
        let name = entry.expect("an entry").file_name().to_string_lossy().into_owned();
        let known = harness::BYTE_TARGETS.iter().any(|(n, _)| *n == name) || STRUCTURED_TARGETS.contains(&&*name);
        assert!(known, "fuzz/corpus/{name} belongs to no target");
        assert!(fuzz_dir().join("fuzz_targets").join(format!("{name}.rs")).is_file(), "no fuzz target {name}");
    }
}

#[test]
fn the_corpus_replays_without_a_finding() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, run) in harness::BYTE_TARGETS {
        for (file, data) in files(&fuzz_dir().join("corpus").join(name)) {
            replayed += 1;
            if let Some(message) = panic_of(|| run(&data)) {
                failures.push(format!("fuzz/corpus/{name}/{file}: {message}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {replayed} inputs failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn known_findings_still_fail_strictly() {
    let dir = fuzz_dir().join("findings");
    for (finding, name) in harness::KNOWN_FINDINGS {
        let inputs = files(&dir.join(finding));
        assert!(!inputs.is_empty(), "fuzz/findings/{finding} has no input");
        if STRUCTURED_TARGETS.contains(name) {
            continue; // Replayed by its fuzz target binary with FUZZ_STRICT set (docs/fuzzing.md).
        }
        for (file, data) in inputs {
            let run = target(name);
            assert_eq!(panic_of(|| run(&data)), None, "{finding}/{file} fails even when tolerated");
            assert!(
                panic_of(|| harness::strictly(|| run(&data))).is_some(),
                "{finding} looks fixed: remove it from KNOWN_FINDINGS in host-test/fuzz-harness/src/lib.rs and move \
                 fuzz/findings/{finding}/{file} to fuzz/corpus/{name}/"
            );
        }
    }
    for name in files_in(&dir) {
        assert!(harness::KNOWN_FINDINGS.iter().any(|(f, _)| *f == name), "fuzz/findings/{name} is not listed");
    }
}

/// The names of the entries of `dir`.
fn files_in(dir: &Path) -> Vec<String> {
    if !dir.exists() {
        return Vec::new(); // no open finding: every one was fixed and moved to the corpus
    }
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Text for one order field: usually a good value, sometimes padded, and
/// sometimes anything at all (control characters and non-ASCII included).
fn text(good: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(good).prop_map(String::from),
        1 => proptest::sample::select(good).prop_map(|g| format!(" \t{g}\n")),
        1 => any::<String>(),
        1 => "[ -~]{0,12}",
    ]
}

fn order() -> impl Strategy<Value = OrderDetails> {
    let ids: &[&str] = &["job-7", "6ef46985-9ca2-4c65-a184-47fa0d332246", "a:b"];
    let emails: &[&str] = &["ada@example.com", "Ada.Lovelace+x@mail.example.co.uk", "anna@bücher.example"];
    let names: &[&str] = &["Ada", "Lovelace", "Åsa-Britt"];
    (
        (text(ids), text(&["Backend Engineer", "Säljare"]), proptest::option::of(text(&["About the job"]))),
        (text(ids), text(&["sv-SE", "en-US", "x-private-1234"])),
        (text(emails), text(names), text(names)),
        proptest::collection::vec(text(emails), 0..4),
        (text(ids), text(&["https://gateway.example/assessio/results/r1", "http://127.0.0.1:3000/r?x=1"])),
    )
        .prop_map(
            |((id, title, description), (lens_id, locale), (email, first, last), collaborators, (rid, url))| {
                OrderDetails {
                    recruitment: Recruitment { id, title, description },
                    lens_id,
                    locale,
                    candidate: Candidate { email, first_name: first, last_name: last },
                    collaborator_emails: collaborators,
                    result_id: rid,
                    result_update_url: url,
                }
            },
        )
}

fn account() -> impl Strategy<Value = Account> {
    let environment = prop_oneof![
        Just(Environment::Sandbox),
        Just(Environment::Production),
        text(&["https://assessio.example", "http://127.0.0.1:8080/"]).prop_map(Environment::Custom),
    ];
    let key = text(&["pk-live-0123456789abcdef", harness::CANARY]);
    let secret = proptest::option::of(text(&[harness::CANARY, "s"]));
    (environment, key, secret).prop_map(|(environment, provider_key, integrator_secret)| Account {
        environment,
        provider_key,
        integrator_secret,
    })
}

/// The seeds of every byte target, each with the target's name, read once.
fn seeds() -> &'static [(&'static str, Vec<u8>)] {
    static SEEDS: std::sync::OnceLock<Vec<(&'static str, Vec<u8>)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut all = Vec::new();
        for (name, _) in harness::BYTE_TARGETS {
            for (_, data) in files(&fuzz_dir().join("corpus").join(name)) {
                all.push((*name, data));
            }
        }
        all
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn build_order_keeps_its_promises_on_any_order(
        account in account(),
        order in order(),
        link in any::<bool>(),
        now in prop_oneof![Just(harness::NOW), 0..2_000_000_000i64, any::<i64>()],
    ) {
        let endpoint = if link { OrderEndpoint::OrderLink } else { OrderEndpoint::Order };
        harness::check_build_order(&account, &order, endpoint, now);
    }

    #[test]
    fn every_byte_target_holds_on_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        for (_, run) in harness::BYTE_TARGETS {
            run(&data);
        }
    }

    #[test]
    fn every_byte_target_holds_on_mutated_seeds(
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        cut in 0..8usize,
        insert in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let seeds = seeds();
        let (name, mut data) = seeds[pick.index(seeds.len())].clone();
        let start = at.index(data.len() + 1);
        let end = (start + cut).min(data.len());
        data.splice(start..end, insert);
        target(name)(&data);
    }
}
