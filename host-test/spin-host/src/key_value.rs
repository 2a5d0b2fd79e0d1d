//! The `fermyon:spin/key-value@2.0.0` host: stores that outlive the host.
//!
//! `spin up` keeps its `default` store in `SQLite` under `.spin/`, so a restart
//! loses nothing. Here each store is an append-only log in the caller's
//! directory (`<dir>/key_value_<label>.kvlog`, beside its lock file), one
//! record per `set` or `delete`, each `fsync`ed before the guest is answered:
//! a write costs the same however much the store holds. Reads are served
//! from memory. A delete or an overwrite zeroes the old value in the file,
//! so deleted data does not stay on disk; the log is compacted as it grows.
//! [`store`] says how, with the bounds; `key_value/format.rs` has the bytes. A
//! `key_value_<label>.json` left by an earlier version is converted once.
//!
//! Access follows Spin: a store is *defined* by the host (`default`, plus any
//! label the caller adds, as a runtime-config file would), and a component
//! may open only the labels in its `key_value_stores`. Listing an undefined
//! label is a startup error; opening a label not granted answers
//! `access-denied`.

mod format;
pub mod store;
mod wasi;

use crate::bindings::fermyon::spin::key_value::{self, Error};
use anyhow::Context as _;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use wasmtime::component::{HasData, Resource, ResourceTable};

/// What the key-value interfaces (`fermyon:spin/key-value` and
/// `wasi:keyvalue`) may touch of one request: its resource table, the
/// labels its component may open, and the host's stores. The request's
/// state hands this view down; nothing here knows the state.
pub(crate) struct KeyValueHost<'a> {
    pub table: &'a mut ResourceTable,
    pub allowed: &'a BTreeSet<String>,
    pub stores: &'a Stores,
}

/// The key-value interfaces' data, for `add_to_linker`.
pub(crate) struct KeyValueData;

impl HasData for KeyValueData {
    type Data<'a> = KeyValueHost<'a>;
}

pub use store::{FileStore, StoreOptions};
/// A compare-and-swap in progress (`wasi:keyvalue/atomics`): the store, the
/// key, and the value it held when the handle was made.
pub struct CasHandle {
    store: Arc<FileStore>,
    key: String,
    seen: Option<Vec<u8>>,
}

/// An open store, as the guest holds it.
pub struct StoreHandle {
    store: Arc<FileStore>,
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
            let path = dir.join(format!("key_value_{}.kvlog", file_safe(label)));
            by_label.insert(label.to_string(), FileStore::open(path)?);
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

impl KeyValueHost<'_> {
    fn kv_store(&self, handle: &Resource<StoreHandle>) -> Result<Arc<FileStore>, Error> {
        self.table
            .get(handle)
            .map(|h| Arc::clone(&h.store))
            .map_err(|e| Error::Other(format!("invalid store handle: {e}")))
    }
}

impl key_value::Host for KeyValueHost<'_> {}

impl key_value::HostStore for KeyValueHost<'_> {
    fn open(&mut self, label: String) -> Result<Resource<StoreHandle>, Error> {
        if !self.allowed.contains(&label) {
            return Err(Error::AccessDenied);
        }
        let store = self.stores.get(&label).ok_or(Error::NoSuchStore)?;
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
    use std::path::PathBuf;

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
        drop(again);
        let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["key_value_default.kvlog", "key_value_default.lock"]);
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
        assert_eq!(std::fs::read(dir.join("key_value_default.json")).unwrap(), b"{\"a\": 1}");
        assert!(!dir.join("key_value_default.kvlog").exists());

        // The same at the log's own name.
        std::fs::remove_file(dir.join("key_value_default.json")).unwrap();
        std::fs::write(dir.join("key_value_default.kvlog"), "{\"a\": 1}").unwrap();
        let err = Stores::open(&dir, &[]).unwrap_err();
        assert!(format!("{err:#}").contains("not a key-value log of this host"), "{err:#}");
        assert_eq!(std::fs::read(dir.join("key_value_default.kvlog")).unwrap(), b"{\"a\": 1}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
