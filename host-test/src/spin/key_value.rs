//! The `fermyon:spin/key-value@2.0.0` host: stores that outlive the host.
//!
//! `spin up` keeps its `default` store in `SQLite` under `.spin/`, so a restart
//! loses nothing. Here each store is one JSON file in the caller's directory
//! (`<dir>/key_value_<label>.json`), rewritten whole on every `set` and
//! `delete` through a temporary file and a rename: a crash leaves either the
//! old or the new file, never half of one. Reads are served from memory.
//!
//! Access follows Spin: a store is *defined* by the host (`default`, plus any
//! label the caller adds, as a runtime-config file would), and a component
//! may open only the labels in its `key_value_stores`. Listing an undefined
//! label is a startup error; opening a label not granted answers
//! `access-denied`.

use crate::spin::bindings::fermyon::spin::key_value::{self, Error};
use crate::spin::state::RequestState;
use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use wasmtime::component::Resource;

/// What the file says it is, so another JSON file is not taken for a store.
const FORMAT: &str = "assessio-spin-kv/1";

/// An open store, as the guest holds it.
pub struct StoreHandle {
    store: Arc<FileStore>,
}

/// One persisted store.
pub struct FileStore {
    path: PathBuf,
    entries: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Distinguishes temporary files of concurrent writers in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FileStore {
    /// Opens (reading the file if it exists) the store at `path`.
    pub fn open(path: PathBuf) -> anyhow::Result<Self> {
        let entries = match std::fs::read(&path) {
            Ok(bytes) => decode(&bytes).with_context(|| format!("reading the key-value store {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e).with_context(|| format!("reading the key-value store {}", path.display())),
        };
        Ok(Self { path, entries: Mutex::new(entries) })
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.entries().get(key).cloned()
    }

    /// Whether `key` has a value.
    pub fn exists(&self, key: &str) -> bool {
        self.entries().contains_key(key)
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.entries().keys().cloned().collect()
    }

    /// Sets `key` and persists; on a write error the store is unchanged.
    pub fn set(&self, key: &str, value: &[u8]) -> std::io::Result<()> {
        let mut entries = self.entries();
        let previous = entries.insert(key.to_string(), value.to_vec());
        let written = self.persist(&entries);
        if written.is_err() {
            match previous {
                Some(old) => entries.insert(key.to_string(), old),
                None => entries.remove(key),
            };
        }
        written
    }

    /// Deletes `key` (nothing to do if absent) and persists.
    pub fn delete(&self, key: &str) -> std::io::Result<()> {
        let mut entries = self.entries();
        let Some(previous) = entries.remove(key) else { return Ok(()) };
        let written = self.persist(&entries);
        if written.is_err() {
            entries.insert(key.to_string(), previous);
        }
        written
    }

    /// Writes the whole map beside the file, flushes it, and renames it over
    /// the file. Called with the lock held, so writes are serialised.
    fn persist(&self, entries: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
        use std::io::Write as _;
        let encoded: serde_json::Map<String, serde_json::Value> =
            entries.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(BASE64.encode(v)))).collect();
        let doc = serde_json::json!({ "format": FORMAT, "entries": encoded });
        let bytes = serde_json::to_vec(&doc).map_err(std::io::Error::other)?;
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let file_name = self.path.file_name().map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
        let temp = self.path.with_file_name(format!(".{file_name}.{}.{n}.tmp", std::process::id()));
        let result = (|| {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&temp, &self.path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }
}

fn decode(bytes: &[u8]) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    let doc: serde_json::Value = serde_json::from_slice(bytes).context("not JSON")?;
    anyhow::ensure!(doc["format"] == FORMAT, "not a store file of this host (no \"format\": {FORMAT:?})");
    let entries = doc["entries"].as_object().context("no \"entries\" object")?;
    entries
        .iter()
        .map(|(k, v)| {
            let value = v.as_str().and_then(|s| BASE64.decode(s).ok());
            value.map(|v| (k.clone(), v)).with_context(|| format!("the value of key {k:?} is not base64"))
        })
        .collect()
}

/// The stores the host defines, shared by every request.
#[derive(Debug, Default)]
pub struct Stores {
    by_label: BTreeMap<String, Arc<FileStore>>,
}

impl Stores {
    /// Opens `default` and each extra label in `dir`, creating `dir` if needed.
    pub fn open(dir: &Path, extra_labels: &[String]) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating the key-value directory {}", dir.display()))?;
        let mut by_label = BTreeMap::new();
        for label in std::iter::once("default").chain(extra_labels.iter().map(String::as_str)) {
            let path = dir.join(format!("key_value_{}.json", file_safe(label)));
            by_label.insert(label.to_string(), Arc::new(FileStore::open(path)?));
        }
        Ok(Self { by_label })
    }

    /// Whether the host defines `label`.
    pub fn is_defined(&self, label: &str) -> bool {
        self.by_label.contains_key(label)
    }

    /// The store behind `label`, if defined.
    pub fn get(&self, label: &str) -> Option<Arc<FileStore>> {
        self.by_label.get(label).cloned()
    }
}

/// A label as a file name: letters, digits, `-` and `_` kept, anything else
/// as `%XX`, so no label can leave the directory or collide with another.
fn file_safe(label: &str) -> String {
    label
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Maps a failed write to the WIT's catch-all error, without the value.
fn io_error(e: &std::io::Error) -> Error {
    Error::Other(format!("the key-value store could not be written: {e}"))
}

impl RequestState {
    fn kv_store(&self, handle: &Resource<StoreHandle>) -> Result<Arc<FileStore>, Error> {
        self.table
            .get(handle)
            .map(|h| Arc::clone(&h.store))
            .map_err(|e| Error::Other(format!("invalid store handle: {e}")))
    }
}

impl key_value::Host for RequestState {}

impl key_value::HostStore for RequestState {
    fn open(&mut self, label: String) -> Result<Resource<StoreHandle>, Error> {
        if !self.component.key_value_stores.contains(&label) {
            return Err(Error::AccessDenied);
        }
        let store = self.component.stores.get(&label).ok_or(Error::NoSuchStore)?;
        self.table.push(StoreHandle { store }).map_err(|_| Error::StoreTableFull)
    }

    fn get(&mut self, store: Resource<StoreHandle>, key: String) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.kv_store(&store)?.get(&key))
    }

    fn set(&mut self, store: Resource<StoreHandle>, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.kv_store(&store)?.set(&key, &value).map_err(|e| io_error(&e))
    }

    fn delete(&mut self, store: Resource<StoreHandle>, key: String) -> Result<(), Error> {
        self.kv_store(&store)?.delete(&key).map_err(|e| io_error(&e))
    }

    fn exists(&mut self, store: Resource<StoreHandle>, key: String) -> Result<bool, Error> {
        Ok(self.kv_store(&store)?.exists(&key))
    }

    fn get_keys(&mut self, store: Resource<StoreHandle>) -> Result<Vec<String>, Error> {
        Ok(self.kv_store(&store)?.keys())
    }

    fn drop(&mut self, store: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("assessio-kv-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn survives_a_reopen_and_leaves_no_temporary_files() {
        let dir = temp_dir("reopen");
        let stores = Stores::open(&dir, &[]).unwrap();
        let store = stores.get("default").unwrap();
        store.set("a", b"\x00\xffbinary").unwrap();
        store.set("b", b"2").unwrap();
        store.delete("b").unwrap();
        store.delete("never-there").unwrap();
        drop(stores);
        let again = Stores::open(&dir, &[]).unwrap().get("default").unwrap();
        assert_eq!(again.get("a").as_deref(), Some(&b"\x00\xffbinary"[..]));
        assert_eq!(again.keys(), ["a"]);
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["key_value_default.json"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn labels_cannot_escape_the_directory() {
        assert_eq!(file_safe("../etc/passwd"), "%2E%2E%2Fetc%2Fpasswd");
        assert_eq!(file_safe("my-store_1"), "my-store_1");
    }

    #[test]
    fn a_foreign_file_is_refused_not_overwritten() {
        let dir = temp_dir("foreign");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("key_value_default.json"), "{\"a\": 1}").unwrap();
        let err = Stores::open(&dir, &[]).unwrap_err();
        assert!(format!("{err:#}").contains("not a store file"), "{err:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
