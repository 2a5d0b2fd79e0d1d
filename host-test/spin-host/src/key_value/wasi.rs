//! The `wasi:keyvalue@0.2.0-draft2` host (store, atomics, batch) over the
//! same stores as `fermyon:spin/key-value`, as Spin serves both: a bucket
//! opened here under `default` is the store `Store::open_default()` opens.
//!
//! Access follows the same rule (only the labels in `key_value_stores`).
//! `increment` and `swap` are each one step under the store's write lock, so
//! they are atomic across every request of this host. Semantics follow
//! Spin's `SQLite` store, which this host stands in for: a counter is eight
//! bytes little-endian, an absent key counts from 0, and a swap succeeds
//! only if the key still holds what `cas.new` saw (absent included). Spin's
//! Redis store differs (counters are decimal text, and its swap is not a
//! compare-and-swap a caller can trust; `docs/reliability.md`), so the
//! gateway uses `increment` alone, and never reads a counter with `get`.

use super::{CasHandle, KeyValueHost, StoreHandle};
use crate::bindings::wasi::keyvalue::{atomics, batch, store};
use std::sync::Arc;
use wasmtime::component::Resource;

fn io_error(e: &std::io::Error) -> store::Error {
    store::Error::Other(format!("the key-value store could not be written: {e}"))
}

impl KeyValueHost<'_> {
    fn bucket(&self, handle: &Resource<StoreHandle>) -> Result<Arc<super::FileStore>, store::Error> {
        self.table
            .get(handle)
            .map(|h| Arc::clone(&h.store))
            .map_err(|e| store::Error::Other(format!("invalid bucket handle: {e}")))
    }
}

impl store::Host for KeyValueHost<'_> {
    fn open(&mut self, identifier: String) -> Result<Resource<StoreHandle>, store::Error> {
        if !self.allowed.contains(&identifier) {
            return Err(store::Error::AccessDenied);
        }
        let store = self.stores.get(&identifier).ok_or(store::Error::NoSuchStore)?;
        self.table.push(StoreHandle { store }).map_err(|e| store::Error::Other(format!("too many open buckets: {e}")))
    }
}

impl store::HostBucket for KeyValueHost<'_> {
    fn get(&mut self, bucket: Resource<StoreHandle>, key: String) -> Result<Option<Vec<u8>>, store::Error> {
        Ok(self.bucket(&bucket)?.get(&key))
    }

    fn set(&mut self, bucket: Resource<StoreHandle>, key: String, value: Vec<u8>) -> Result<(), store::Error> {
        self.bucket(&bucket)?.set(&key, &value).map_err(|e| io_error(&e))
    }

    fn delete(&mut self, bucket: Resource<StoreHandle>, key: String) -> Result<(), store::Error> {
        self.bucket(&bucket)?.delete(&key).map_err(|e| io_error(&e))
    }

    fn exists(&mut self, bucket: Resource<StoreHandle>, key: String) -> Result<bool, store::Error> {
        Ok(self.bucket(&bucket)?.exists(&key))
    }

    /// Every key in one page, as Spin's `SQLite` store answers (it ignores
    /// the cursor and never returns one).
    fn list_keys(
        &mut self,
        bucket: Resource<StoreHandle>,
        _cursor: Option<String>,
    ) -> Result<store::KeyResponse, store::Error> {
        Ok(store::KeyResponse { keys: self.bucket(&bucket)?.keys(), cursor: None })
    }

    fn drop(&mut self, bucket: Resource<StoreHandle>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for KeyValueHost<'_> {
    fn increment(&mut self, bucket: Resource<StoreHandle>, key: String, delta: i64) -> Result<i64, store::Error> {
        self.bucket(&bucket)?.increment(&key, delta).map_err(|e| store::Error::Other(format!("increment: {e}")))
    }

    fn swap(&mut self, cas: Resource<CasHandle>, value: Vec<u8>) -> Result<(), atomics::CasError> {
        let handle = self
            .table
            .delete(cas)
            .map_err(|e| atomics::CasError::StoreError(store::Error::Other(format!("invalid cas handle: {e}"))))?;
        match handle.store.swap(&handle.key, handle.seen.as_deref(), &value) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(now)) => {
                let again = CasHandle { store: handle.store, key: handle.key, seen: now };
                let again = self.table.push(again).map_err(|e| {
                    atomics::CasError::StoreError(store::Error::Other(format!("too many cas handles: {e}")))
                })?;
                Err(atomics::CasError::CasFailed(again))
            }
            Err(e) => Err(atomics::CasError::StoreError(io_error(&e))),
        }
    }
}

impl atomics::HostCas for KeyValueHost<'_> {
    fn new(&mut self, bucket: Resource<StoreHandle>, key: String) -> Result<Resource<CasHandle>, store::Error> {
        let store = self.bucket(&bucket)?;
        let seen = store.get(&key);
        self.table
            .push(CasHandle { store, key, seen })
            .map_err(|e| store::Error::Other(format!("too many cas handles: {e}")))
    }

    fn current(&mut self, cas: Resource<CasHandle>) -> Result<Option<Vec<u8>>, store::Error> {
        let handle = self.table.get(&cas).map_err(|e| store::Error::Other(format!("invalid cas handle: {e}")))?;
        Ok(handle.seen.clone())
    }

    fn drop(&mut self, cas: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl batch::Host for KeyValueHost<'_> {
    fn get_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, store::Error> {
        let store = self.bucket(&bucket)?;
        Ok(keys
            .into_iter()
            .map(|k| {
                let v = store.get(&k);
                (k, v)
            })
            .collect())
    }

    fn set_many(
        &mut self,
        bucket: Resource<StoreHandle>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Result<(), store::Error> {
        let store = self.bucket(&bucket)?;
        key_values.iter().try_for_each(|(k, v)| store.set(k, v)).map_err(|e| io_error(&e))
    }

    fn delete_many(&mut self, bucket: Resource<StoreHandle>, keys: Vec<String>) -> Result<(), store::Error> {
        let store = self.bucket(&bucket)?;
        keys.iter().try_for_each(|k| store.delete(k)).map_err(|e| io_error(&e))
    }
}
