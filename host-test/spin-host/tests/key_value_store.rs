//! The Spin host's key-value store on disk (`spin::key_value`): an
//! append-only log per store. What a restart keeps, what a crash may leave
//! and how it is read back, compaction, the JSON files of earlier versions,
//! many writers at once, and that deleted values leave the file.

use spin_host::key_value::{FileStore, StoreOptions, Stores};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A fresh directory, removed when the test ends.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("assessio-kvlog-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn log(&self) -> PathBuf {
        self.0.join("key_value_default.kvlog")
    }

    fn open(&self) -> Arc<FileStore> {
        FileStore::open(self.log()).unwrap()
    }

    fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.log()).unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Everything a store holds.
fn contents(store: &FileStore) -> BTreeMap<String, Vec<u8>> {
    store.keys().into_iter().map(|k| (k.clone(), store.get(&k).unwrap())).collect()
}

/// The log's size when it holds exactly `entries`: the file header and one
/// record (25-byte header, key, value) each.
fn compacted_len(entries: &BTreeMap<String, Vec<u8>>) -> u64 {
    24 + entries.iter().map(|(k, v)| 25 + k.len() as u64 + v.len() as u64).sum::<u64>()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn sets_and_deletes_survive_a_restart() {
    let dir = Dir::new("restart");
    let store = dir.open();
    store.set("order:1", b"placed").unwrap();
    store.set("order:2", b"\x00binary\xff").unwrap();
    store.set("order:1", b"written").unwrap();
    store.set("claim:1", b"x").unwrap();
    store.delete("claim:1").unwrap();
    store.delete("never-there").unwrap();
    drop(store);

    let store = dir.open();
    assert_eq!(store.get("order:1").as_deref(), Some(&b"written"[..]));
    assert_eq!(store.get("order:2").as_deref(), Some(&b"\x00binary\xff"[..]));
    assert!(!store.exists("claim:1"));
    assert_eq!(store.keys(), ["order:1", "order:2"]);
    assert!(store.warnings().is_empty(), "{:?}", store.warnings());

    // A deleted key set again, and deleted again, across more restarts.
    store.set("claim:1", b"again").unwrap();
    drop(store);
    let store = dir.open();
    assert_eq!(store.get("claim:1").as_deref(), Some(&b"again"[..]));
    store.delete("claim:1").unwrap();
    drop(store);
    assert!(!dir.open().exists("claim:1"));
}

#[test]
fn a_torn_last_record_is_cut_away_with_a_warning() {
    let dir = Dir::new("torn");
    let store = dir.open();
    store.set("a", b"acknowledged").unwrap();
    let good = dir.bytes();
    store.set("b", b"the write a crash cut short").unwrap();
    drop(store);
    let whole = dir.bytes();

    // Every way the last append can be cut: mid-header, mid-key, mid-value.
    for cut in good.len() + 1..whole.len() {
        std::fs::write(dir.log(), &whole[..cut]).unwrap();
        let store = dir.open();
        assert_eq!(contents(&store), BTreeMap::from([("a".to_string(), b"acknowledged".to_vec())]), "cut at {cut}");
        assert!(store.warnings().iter().any(|w| w.contains("crash")), "cut at {cut}: {:?}", store.warnings());
        drop(store);
        assert_eq!(dir.bytes(), good, "the torn end is cut off the file (cut at {cut})");
    }

    // The last record whole but damaged (a sector that never made it).
    let mut damaged = whole.clone();
    let at = whole.len() - 3;
    damaged[at] ^= 0xFF;
    std::fs::write(dir.log(), &damaged).unwrap();
    let store = dir.open();
    assert_eq!(store.keys(), ["a"]);
    assert_eq!(store.warnings().len(), 1);

    // Garbage after a good log (a crash after the file grew, before the
    // bytes landed): zeros, then random-looking bytes.
    drop(store);
    let mut zeros = good.clone();
    zeros.extend_from_slice(&[0; 300]);
    std::fs::write(dir.log(), &zeros).unwrap();
    assert_eq!(dir.open().keys(), ["a"]);
    let mut noise = good.clone();
    noise.extend((0..300_u32).map(|i| u8::try_from(i.wrapping_mul(2_654_435_761) >> 24).unwrap_or(0)));
    std::fs::write(dir.log(), &noise).unwrap();
    let store = dir.open();
    assert_eq!(store.keys(), ["a"]);

    // And the store goes on: a new write lands where the torn one was.
    store.set("c", b"after the crash").unwrap();
    drop(store);
    assert_eq!(dir.open().keys(), ["a", "c"]);
}

#[test]
fn damage_before_the_end_is_an_error_naming_the_file_and_offset() {
    let dir = Dir::new("corrupt");
    let store = dir.open();
    store.set("a", b"first").unwrap();
    store.set("b", b"second").unwrap();
    drop(store);
    let whole = dir.bytes();

    // A flipped bit in the first record's value (24-byte file header, 25-byte
    // record header, the key "a"): that write was acknowledged, and a later
    // one follows, so this is not a torn end.
    let mut bad = whole.clone();
    bad[24 + 25 + 1 + 2] ^= 0x01;
    std::fs::write(dir.log(), &bad).unwrap();
    let err = FileStore::open(dir.log()).expect_err("damage in the middle must not open");
    let message = format!("{err:#}");
    assert!(message.contains(&dir.log().display().to_string()), "{message}");
    assert!(message.contains("corrupt at byte 24"), "{message}");
    assert_eq!(dir.bytes(), bad, "a store that does not open is left as it was");

    // The same in a record's header.
    let mut bad = whole;
    bad[24 + 6] ^= 0x80;
    std::fs::write(dir.log(), &bad).unwrap();
    let message = format!("{:#}", FileStore::open(dir.log()).unwrap_err());
    assert!(message.contains("corrupt at byte 24") && message.contains("header"), "{message}");
}

#[test]
fn compaction_keeps_exactly_the_live_data_and_shrinks_the_file() {
    let dir = Dir::new("compact");
    let store = dir.open();
    for round in 0..200 {
        for key in 0..10 {
            store.set(&format!("order:{key}"), format!("round {round} of order {key}").as_bytes()).unwrap();
        }
        store.set(&format!("claim:{round}"), b"x").unwrap();
        store.delete(&format!("claim:{round}")).unwrap();
    }
    store.delete("order:3").unwrap();
    store.set("empty", b"").unwrap();
    let live = contents(&store);
    assert_eq!(live.len(), 10);
    let before = dir.bytes().len() as u64;
    assert!(before > 10 * compacted_len(&live), "{before} bytes of log");

    store.compact().unwrap();
    assert_eq!(contents(&store), live);
    assert_eq!(dir.bytes().len() as u64, compacted_len(&live), "only the live entries are left");
    // Writes go on in the new file, and a restart reads it back.
    store.set("order:3", b"back").unwrap();
    store.delete("order:4").unwrap();
    drop(store);
    let store = dir.open();
    let mut expected = live;
    expected.insert("order:3".into(), b"back".to_vec());
    expected.remove("order:4");
    assert_eq!(contents(&store), expected);
    let names: Vec<String> =
        std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!names.iter().any(|n| Path::new(n).extension().is_some_and(|e| e == "tmp")), "{names:?}");
}

#[test]
fn compaction_runs_by_itself_and_bounds_the_file() {
    let dir = Dir::new("auto-compact");
    let floor = 4096;
    let store =
        FileStore::open_with(dir.log(), StoreOptions { compact_floor: floor, ..StoreOptions::default() }).unwrap();
    let value = vec![b'v'; 100];
    for i in 0..2000 {
        store.set(&format!("key:{}", i % 7), &value).unwrap();
        if i % 3 == 0 {
            store.delete(&format!("key:{}", (i + 1) % 7)).unwrap();
        }
        let len = dir.bytes().len() as u64;
        // Twice the live data plus the floor, and the write that crossed it.
        let bound = 2 * compacted_len(&contents(&store)) + floor + 25 + 5 + 100;
        assert!(len <= bound, "after write {i}: {len} bytes, bound {bound}");
    }
    let live = contents(&store);
    drop(store);
    assert_eq!(contents(&dir.open()), live);
}

#[test]
fn the_json_file_of_earlier_versions_is_converted() {
    use base64::Engine as _;
    let dir = Dir::new("migrate");
    let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);
    let old = serde_json::json!({
        "format": "assessio-spin-kv/1",
        "entries": {
            "order:PZKt": b64(b"{\"status\":\"placed\"}"),
            "pending-index": b64(b"[]"),
            "binary": b64(b"\x00\xff"),
        }
    });
    let json = dir.0.join("key_value_default.json");
    std::fs::write(&json, serde_json::to_vec(&old).unwrap()).unwrap();
    // A temporary file the old format's crash could leave (a whole copy).
    std::fs::write(dir.0.join(".key_value_default.json.123.0.tmp"), b"{}").unwrap();

    // Through `Stores`, as `SpinApp::load` opens an existing `.spin` or
    // `target/assessio-up` directory.
    let stores = Stores::open(&dir.0, &[]).unwrap();
    let store = stores.get("default").unwrap();
    let expected = BTreeMap::from([
        ("binary".to_string(), b"\x00\xff".to_vec()),
        ("order:PZKt".to_string(), b"{\"status\":\"placed\"}".to_vec()),
        ("pending-index".to_string(), b"[]".to_vec()),
    ]);
    assert_eq!(contents(&store), expected);
    assert!(store.warnings().iter().any(|w| w.contains("converted")), "{:?}", store.warnings());
    assert!(!json.exists(), "the JSON file is gone once converted");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["key_value_default.kvlog", "key_value_default.lock"]);

    store.set("order:new", b"after").unwrap();
    drop((store, stores));
    let store = Stores::open(&dir.0, &[]).unwrap().get("default").unwrap();
    assert_eq!(store.keys(), ["binary", "order:PZKt", "order:new", "pending-index"]);
    assert!(store.warnings().is_empty(), "converted once: {:?}", store.warnings());
}

#[test]
fn concurrent_writers_from_many_threads_all_land() {
    let dir = Dir::new("concurrent");
    let store = dir.open();
    let threads = 12;
    let per_thread = 60;
    std::thread::scope(|s| {
        for t in 0..threads {
            let store = &store;
            s.spawn(move || {
                for i in 0..per_thread {
                    store.set(&format!("t{t}:k{i}"), format!("value {t}/{i}").as_bytes()).unwrap();
                    // A key every thread writes, and one it deletes again.
                    store.set("shared", format!("{t}/{i}").as_bytes()).unwrap();
                    store.set(&format!("t{t}:tmp"), b"tmp").unwrap();
                    store.delete(&format!("t{t}:tmp")).unwrap();
                    // Each thread reads its own writes.
                    assert_eq!(store.get(&format!("t{t}:k{i}")), Some(format!("value {t}/{i}").into_bytes()));
                }
            });
        }
    });
    let check = |store: &FileStore| {
        for t in 0..threads {
            for i in 0..per_thread {
                assert_eq!(store.get(&format!("t{t}:k{i}")), Some(format!("value {t}/{i}").into_bytes()));
            }
            assert!(!store.exists(&format!("t{t}:tmp")));
        }
        assert_eq!(store.keys().len(), threads * per_thread + 1);
    };
    check(&store);
    let shared = store.get("shared");
    drop(store);
    let store = dir.open();
    check(&store);
    assert_eq!(store.get("shared"), shared, "the last write in memory is the last in the log");
}

#[test]
fn deleted_and_overwritten_values_leave_the_file() {
    let dir = Dir::new("forget");
    let store = dir.open();
    store.set("pending:1", b"{\"email\":\"ada@example.com\"}").unwrap();
    store.set("order:1", b"{\"candidate\":\"Lovelace\"}").unwrap();
    assert!(contains(&dir.bytes(), b"ada@example.com"), "values are in the file verbatim");
    store.delete("pending:1").unwrap();
    store.set("order:1", b"{\"status\":\"placed\"}").unwrap();
    let bytes = dir.bytes();
    assert!(!contains(&bytes, b"ada@example.com"), "a deleted value is zeroed before the delete returns");
    assert!(!contains(&bytes, b"Lovelace"), "an overwritten value is zeroed before the set returns");
    // A deleted key's name stays in its tombstone until it is set again.
    assert!(contains(&bytes, b"pending:1"));
    store.set("pending:1", b"again").unwrap();
    store.delete("pending:1").unwrap();
    drop(store);
    let store = dir.open();
    assert_eq!(store.keys(), ["order:1"]);
    assert_eq!(dir.bytes().windows(9).filter(|w| w == b"pending:1").count(), 1, "only the latest tombstone");
}

#[test]
fn zeroing_a_crash_kept_from_the_disk_is_redone_on_open() {
    let dir = Dir::new("rezero");
    let store = dir.open();
    store.set("keep", b"kept").unwrap();
    store.set("pending:1", b"grace@example.com").unwrap();
    let before = dir.bytes();
    store.delete("pending:1").unwrap();
    drop(store);
    let after = dir.bytes();

    // The tombstone reached the disk, the zeros did not.
    let mut crashed = before.clone();
    crashed.extend_from_slice(&after[before.len()..]);
    assert!(contains(&crashed, b"grace@example.com"));
    std::fs::write(dir.log(), &crashed).unwrap();
    let store = dir.open();
    assert_eq!(store.keys(), ["keep"]);
    drop(store);
    assert!(!contains(&dir.bytes(), b"grace@example.com"), "opening zeroes it again");

    // Half the zeros reached the disk: the record is superseded, so its
    // failing checksum is expected, not damage.
    let mut half = crashed;
    let value_at = before.len() - b"grace@example.com".len();
    half[value_at..value_at + 8].fill(0);
    std::fs::write(dir.log(), &half).unwrap();
    assert_eq!(dir.open().keys(), ["keep"]);
}

#[test]
fn one_store_per_path_and_process() {
    let dir = Dir::new("lock");
    let first = dir.open();
    let again = dir.open();
    assert!(Arc::ptr_eq(&first, &again), "a second open in this process shares the store");
    drop((first, again));

    // Another process (here: a lock taken on its behalf) keeps it out.
    let other = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.0.join("key_value_default.lock"))
        .unwrap();
    other.lock().unwrap();
    let options = StoreOptions { lock_wait: Duration::from_millis(100), ..StoreOptions::default() };
    let err = FileStore::open_with(dir.log(), options).expect_err("the store is held elsewhere");
    assert!(format!("{err:#}").contains("in use by another process"), "{err:#}");
    other.unlock().unwrap();
    assert!(FileStore::open_with(dir.log(), options).is_ok());
}

#[test]
fn labels_have_their_own_logs() {
    let dir = Dir::new("labels");
    let stores = Stores::open(&dir.0, &["other".to_string(), "../escape".to_string()]).unwrap();
    stores.get("default").unwrap().set("k", b"default").unwrap();
    stores.get("other").unwrap().set("k", b"other").unwrap();
    drop(stores);
    let stores = Stores::open(&dir.0, &["other".to_string(), "../escape".to_string()]).unwrap();
    assert_eq!(stores.get("default").unwrap().get("k").as_deref(), Some(&b"default"[..]));
    assert_eq!(stores.get("other").unwrap().get("k").as_deref(), Some(&b"other"[..]));
    assert!(Path::new(&dir.0).join("key_value_%2E%2E%2Fescape.kvlog").exists());
}
