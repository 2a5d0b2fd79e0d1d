//! One store on disk: an append-only log, its index in memory, compaction,
//! and the move from the JSON file of earlier versions.
//!
//! Why a log: the store used to rewrite one JSON file of the whole map on
//! every write, so a write cost O(entries) and the gateway slowed down as
//! orders piled up. Now a write appends one record (see `format.rs`) and
//! `fsync`s it (`sync_data`, like Spin's `SQLite` store, whose default
//! commits are durable): O(size of the record), whatever the store holds.
//!
//! Why zero in place: a log keeps every value it was ever given, and the
//! gateway deletes a kept order precisely so that the candidate's data is
//! gone. So once a write that supersedes a record (a set of the same key, or
//! its delete) is durable, the superseded record's key and value are
//! overwritten with zeros in the file before the write is acknowledged. The
//! zeros reach the disk with the next write's `sync_data`, when the store
//! closes, or by the kernel's writeback (about 30 s by default), whichever comes
//! first; if a crash loses them, opening the log zeroes again every
//! superseded record it can still read. A delete's tombstone keeps the key's
//! name (not its value) until the key is set again or the log is compacted.
//! What this cannot reach: copies the file system or the device keep
//! elsewhere (snapshots, copy-on-write file systems, an SSD's remapped
//! blocks), which no file-level deletion reaches either.
//!
//! Why compact: zeroed records and tombstones still take room. When the log
//! is over twice the live data plus [`StoreOptions::compact_floor`], the live
//! entries are written to a new file, which is `fsync`ed and renamed over the
//! log, and the directory is `fsync`ed. That costs O(live data), but the
//! next one waits for at least the live data plus the floor in new records,
//! so per byte written it is O(1) amortised. Before the old file is unlinked
//! it is synced, so the values zeroed in it are zeros on disk too.
//!
//! Concurrency: writes are serialised by one lock (append, `sync_data`, then
//! update the index, so the index follows the log's order); reads take a
//! separate read lock on the index and never wait for a disk. One process at
//! a time: a lock file (`flock`) keeps a second process from appending to the
//! same log, and within a process, opening a path already open shares it.
//!
//! Group commit (writers that arrive during an `fsync` share the next one) is
//! not done: the key-value host calls are synchronous and block the async
//! runtime's worker threads (as many as cores: two where this is
//! benchmarked), so while one writer syncs at most one other can be waiting,
//! and a shared `fsync` would hold one record. It pays once the host calls
//! are asynchronous (`spawn_blocking`), with many requests writing at once.

use super::format::{self, FILE_HEADER_LEN, Kind, Live, Loc, NO_PREV, Salt};
use anyhow::{Context as _, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
use std::time::{Duration, Instant};

/// What the JSON file of earlier versions says it is.
const JSON_FORMAT: &str = "assessio-spin-kv/1";

/// How a store is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Compaction runs once the log is over twice the live data plus this
    /// many bytes: the floor keeps a small store from compacting all the
    /// time, and bounds the room zeroed records and tombstones take.
    pub compact_floor: u64,
    /// How long opening waits for another process to let go of the store
    /// (one that is shutting down) before giving up.
    pub lock_wait: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { compact_floor: 1 << 20, lock_wait: Duration::from_secs(5) }
    }
}

/// One persisted store.
pub struct FileStore {
    path: PathBuf,
    options: StoreOptions,
    /// What reads see: every live key, its value and its record.
    index: RwLock<BTreeMap<String, Live>>,
    /// What only writers touch; holding it serialises writes.
    writer: Mutex<Writer>,
    /// What opening found worth telling the operator.
    warnings: Vec<String>,
    /// Held (locked) for the store's life.
    _lock: File,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore").field("path", &self.path).finish_non_exhaustive()
    }
}

struct Writer {
    file: File,
    dir: PathBuf,
    salt: Salt,
    /// Where the next record goes.
    end: u64,
    /// File header plus every live record: what a compaction would keep.
    live_len: u64,
    /// Deleted keys whose tombstone is their latest record, so that setting
    /// the key again can zero the tombstone's copy of the key.
    tombstones: HashMap<String, Loc>,
    /// Whether the directory entry of the current file is known durable.
    dir_synced: bool,
    /// Set when a failed write could not be taken back: the file's end is
    /// unknown, so nothing more may be appended.
    broken: Option<String>,
    /// After a failed compaction, the next one waits for the log to reach this.
    compact_retry_at: u64,
    /// Zeroing a record failed: compact at once so the value does not stay.
    compact_now: bool,
}

/// Stores open in this process, by canonical path: a second open shares the
/// first (and its lock) instead of appending to the same file on its own.
static OPEN: Mutex<BTreeMap<PathBuf, Weak<FileStore>>> = Mutex::new(BTreeMap::new());

impl FileStore {
    /// Opens the store whose log is at `path` (see [`FileStore::open_with`]).
    pub fn open(path: impl Into<PathBuf>) -> anyhow::Result<Arc<Self>> {
        Self::open_with(path, StoreOptions::default())
    }

    /// Opens the store whose log is at `path`, in a directory that exists:
    /// replays the log, converting the JSON file of earlier versions (the
    /// same name ending `.json`) if there is no log yet, or starts an empty
    /// one. If this process has the path open already, answers that store
    /// (with the options it was opened with).
    pub fn open_with(path: impl Into<PathBuf>, options: StoreOptions) -> anyhow::Result<Arc<Self>> {
        let path = path.into();
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            bail!("{} is not a file path", path.display());
        };
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir.to_path_buf() };
        let canonical = dir
            .canonicalize()
            .with_context(|| format!("finding the key-value directory {}", dir.display()))?
            .join(name);
        let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
        open.retain(|_, store| store.strong_count() > 0);
        if let Some(store) = open.get(&canonical).and_then(Weak::upgrade) {
            return Ok(store);
        }
        let store = Arc::new(Self::load(path, &dir, options)?);
        for warning in &store.warnings {
            eprintln!("warning: {warning}");
        }
        open.insert(canonical, Arc::downgrade(&store));
        Ok(store)
    }

    fn load(path: PathBuf, dir: &Path, options: StoreOptions) -> anyhow::Result<Self> {
        let lock = lock_store(&path.with_extension("lock"), options.lock_wait)?;
        remove_temporaries(dir, &path);
        let mut warnings = Vec::new();
        let (file, replayed) = match std::fs::read(&path) {
            Ok(bytes) => open_log(&path, dir, &bytes, &mut warnings)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => new_log(&path, dir, &mut warnings)?,
            Err(e) => return Err(e).with_context(|| format!("reading the key-value store {}", path.display())),
        };

        let live_len = FILE_HEADER_LEN + replayed.live.values().map(|l| l.loc.len).sum::<u64>();
        let writer = Writer {
            file,
            dir: dir.to_path_buf(),
            salt: replayed.salt,
            end: replayed.end,
            live_len,
            tombstones: replayed.tombstones,
            dir_synced: true,
            broken: None,
            compact_retry_at: 0,
            compact_now: false,
        };
        // Superseded values a crash kept from being zeroed: zero them now.
        for loc in &replayed.unscrubbed {
            writer.zero(*loc).with_context(|| format!("zeroing superseded values in {}", path.display()))?;
        }
        if !replayed.unscrubbed.is_empty() {
            writer.file.sync_data().with_context(|| format!("syncing {}", path.display()))?;
        }
        let store = Self {
            path,
            options,
            index: RwLock::new(replayed.live),
            writer: Mutex::new(writer),
            warnings,
            _lock: lock,
        };
        store.maybe_compact(&mut store.writer());
        Ok(store)
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening the store found worth telling the operator (a torn last
    /// record cut away, a conversion from JSON); also printed on stderr.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn index(&self) -> RwLockReadGuard<'_, BTreeMap<String, Live>> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn index_mut(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Live>> {
        self.index.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.index().get(key).map(|l| l.value.clone())
    }

    /// Whether `key` has a value.
    pub fn exists(&self, key: &str) -> bool {
        self.index().contains_key(key)
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.index().keys().cloned().collect()
    }

    /// Sets `key`, durably, then zeroes the value it replaces in the file.
    /// On an error the store is unchanged.
    pub fn set(&self, key: &str, value: &[u8]) -> io::Result<()> {
        let mut w = self.writer();
        self.set_locked(&mut w, key, value)
    }

    /// Adds `delta` to the counter under `key` and returns the new value, in
    /// one step no other write can come between (`wasi:keyvalue/atomics`'s
    /// `increment`). An absent key counts from 0. The counter is stored as
    /// Spin's `SQLite` store keeps it, eight bytes little-endian, so a value
    /// set by other means that is not eight bytes is refused, not guessed
    /// at (Spin's store would panic there). Overflow is refused too.
    pub fn increment(&self, key: &str, delta: i64) -> io::Result<i64> {
        let mut w = self.writer();
        let current = match self.index().get(key) {
            None => 0,
            Some(l) => <[u8; 8]>::try_from(l.value.as_slice()).map(i64::from_le_bytes).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, "the value under this key is not a counter (8 bytes)")
            })?,
        };
        let next = current
            .checked_add(delta)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the counter would overflow"))?;
        self.set_locked(&mut w, key, &next.to_le_bytes())?;
        Ok(next)
    }

    /// Sets `key` to `value` if it still holds `expected` (`None`: absent),
    /// in one step under the write lock; otherwise changes nothing and
    /// answers what it holds now.
    pub fn swap(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> io::Result<Result<(), Option<Vec<u8>>>> {
        let mut w = self.writer();
        let now = self.get(key);
        if now.as_deref() != expected {
            return Ok(Err(now));
        }
        self.set_locked(&mut w, key, value).map(Ok)
    }

    fn set_locked(&self, w: &mut Writer, key: &str, value: &[u8]) -> io::Result<()> {
        let prev = self.index().get(key).map(|l| l.loc).or_else(|| w.tombstones.get(key).copied());
        let record = format::encode(w.salt, Kind::Set, key, value, prev.map_or(NO_PREV, |l| l.offset))
            .map_err(|format::TooLarge| io::Error::new(io::ErrorKind::InvalidInput, "key or value over 4 GiB"))?;
        let loc = w.append(&record)?;
        let replaced = self.index_mut().insert(key.to_string(), Live { value: value.to_vec(), loc });
        w.live_len = w.live_len.saturating_add(loc.len);
        match replaced {
            Some(old) => w.live_len = w.live_len.saturating_sub(old.loc.len),
            None => {
                w.tombstones.remove(key);
            }
        }
        if let Some(prev) = prev {
            w.zero_or_compact(prev, &self.path);
        }
        self.maybe_compact(w);
        Ok(())
    }

    /// Deletes `key` (nothing to do if absent), durably, then zeroes its
    /// value in the file.
    pub fn delete(&self, key: &str) -> io::Result<()> {
        let mut w = self.writer();
        let Some(prev) = self.index().get(key).map(|l| l.loc) else { return Ok(()) };
        let record = format::encode(w.salt, Kind::Delete, key, b"", prev.offset)
            .map_err(|format::TooLarge| io::Error::new(io::ErrorKind::InvalidInput, "key over 4 GiB"))?;
        let loc = w.append(&record)?;
        self.index_mut().remove(key);
        w.live_len = w.live_len.saturating_sub(prev.len);
        w.tombstones.insert(key.to_string(), loc);
        w.zero_or_compact(prev, &self.path);
        self.maybe_compact(&mut w);
        Ok(())
    }

    /// Rewrites the log with the live entries only (see the module docs);
    /// runs by itself when the log has grown enough.
    pub fn compact(&self) -> io::Result<()> {
        let mut w = self.writer();
        self.compact_locked(&mut w)
    }

    fn maybe_compact(&self, w: &mut Writer) {
        let grown = w.end > w.live_len.saturating_mul(2).saturating_add(self.options.compact_floor);
        if !(w.compact_now || grown && w.end >= w.compact_retry_at) {
            return;
        }
        if let Err(e) = self.compact_locked(w) {
            w.compact_now = false;
            w.compact_retry_at = w.end.saturating_add(self.options.compact_floor);
            eprintln!("warning: compacting the key-value store {} failed: {e}", self.path.display());
        }
    }

    fn compact_locked(&self, w: &mut Writer) -> io::Result<()> {
        if let Some(why) = &w.broken {
            return Err(io::Error::other(why.clone()));
        }
        // The old file's zeroed values must reach the disk before it is
        // unlinked, or its freed blocks would keep them.
        w.file.sync_data()?;
        let salt = new_salt();
        let snapshot = {
            let index = self.index();
            write_snapshot(&self.path, &w.dir, salt, index.iter().map(|(k, l)| (k.as_str(), l.value.as_slice())))?
        };
        // The rename is done: from here on the new file is the store.
        w.file = snapshot.file;
        w.salt = salt;
        w.end = snapshot.end;
        w.live_len = snapshot.end;
        w.tombstones.clear();
        w.dir_synced = snapshot.dir_synced;
        w.compact_now = false;
        w.compact_retry_at = 0;
        for (live, loc) in self.index_mut().values_mut().zip(snapshot.locs) {
            live.loc = loc;
        }
        Ok(())
    }
}

impl Drop for FileStore {
    /// Makes the last zeroing durable on a clean shutdown.
    fn drop(&mut self) {
        let w = self.writer.get_mut().unwrap_or_else(PoisonError::into_inner);
        let _ = w.file.sync_data();
    }
}

impl Writer {
    /// Appends `record` and waits until it is on disk. On an error the
    /// record is taken back (the file cut to where it was), so the log ends
    /// where the store's state does; if even that fails, the store takes no
    /// more writes (its end is unknown) until the host restarts.
    fn append(&mut self, record: &[u8]) -> io::Result<Loc> {
        if let Some(why) = &self.broken {
            return Err(io::Error::other(why.clone()));
        }
        if !self.dir_synced {
            sync_dir(&self.dir)?;
            self.dir_synced = true;
        }
        let at = self.end;
        let written = (|| {
            (&self.file).seek(SeekFrom::Start(at))?;
            (&self.file).write_all(record)?;
            self.file.sync_data()
        })();
        if let Err(e) = written {
            if let Err(undo) = self.file.set_len(at).and_then(|()| self.file.sync_data()) {
                self.broken = Some(format!(
                    "the key-value store stopped taking writes: a failed write ({e}) could not be taken back \
                     ({undo}); restart the host"
                ));
            }
            return Err(e);
        }
        let len = record.len() as u64;
        self.end = at + len;
        Ok(Loc { offset: at, len })
    }

    /// Overwrites the payload (key and value) of the record at `loc` with
    /// zeros. Not synced here: the next append's `sync_data` covers it.
    fn zero(&self, loc: Loc) -> io::Result<()> {
        const ZEROS: [u8; 4096] = [0; 4096];
        let (start, mut left) = loc.payload();
        (&self.file).seek(SeekFrom::Start(start))?;
        while left > 0 {
            let n = usize::try_from(left).map_or(ZEROS.len(), |l| l.min(ZEROS.len()));
            (&self.file).write_all(&ZEROS[..n])?;
            left -= n as u64;
        }
        Ok(())
    }

    /// [`Writer::zero`], and if that fails, a compaction at once instead (it
    /// drops the record with the whole old file).
    fn zero_or_compact(&mut self, loc: Loc, path: &Path) {
        if let Err(e) = self.zero(loc) {
            eprintln!(
                "warning: zeroing a superseded value in the key-value store {} failed ({e}); compacting instead",
                path.display()
            );
            self.compact_now = true;
        }
    }
}

/// Replays the log at `path` (its `bytes`), cutting a torn end off the file
/// and removing a JSON file it was already converted from.
fn open_log(
    path: &Path,
    dir: &Path,
    bytes: &[u8],
    warnings: &mut Vec<String>,
) -> anyhow::Result<(File, format::Replayed)> {
    let replayed = format::replay(bytes)
        .map_err(|c| anyhow!("the key-value store {} is corrupt at byte {}: {}", path.display(), c.offset, c.what))?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("opening the key-value store {}", path.display()))?;
    if let Some((at, why)) = replayed.torn {
        file.set_len(at)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cutting the torn end off the key-value store {}", path.display()))?;
        warnings.push(format!(
            "key-value store {}: {why} (at byte {at}): a write cut short by a crash, never \
             acknowledged; dropped it and cut the file there",
            path.display()
        ));
    }
    let json = path.with_extension("json");
    if let Ok(old) = std::fs::read(&json)
        && decode_json(&old).is_ok()
    {
        // A conversion that stopped after its rename: the log has it all.
        std::fs::remove_file(&json)
            .and_then(|()| sync_dir(dir))
            .with_context(|| format!("removing the converted {}", json.display()))?;
        warnings.push(format!("removed {}, already converted to {}", json.display(), path.display()));
    }
    Ok((file, replayed))
}

/// Starts the log at `path`: with the entries of the JSON file of earlier
/// versions beside it, which is then removed, or empty.
fn new_log(path: &Path, dir: &Path, warnings: &mut Vec<String>) -> anyhow::Result<(File, format::Replayed)> {
    let json = path.with_extension("json");
    let old = match std::fs::read(&json) {
        Ok(bytes) => {
            Some(decode_json(&bytes).with_context(|| format!("reading the key-value store {}", json.display()))?)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading the key-value store {}", json.display())),
    };
    let salt = new_salt();
    let entries = old.iter().flatten().map(|(k, v)| (k.as_str(), v.as_slice()));
    let snapshot = write_snapshot(path, dir, salt, entries)
        .with_context(|| format!("creating the key-value store {}", path.display()))?;
    if !snapshot.dir_synced {
        sync_dir(dir).with_context(|| format!("syncing the key-value directory {}", dir.display()))?;
    }
    let mut replayed = format::Replayed { salt, end: snapshot.end, ..format::Replayed::default() };
    if let Some(old) = old {
        // Only once the log is durable: until then the JSON file is the store.
        std::fs::remove_file(&json)
            .and_then(|()| sync_dir(dir))
            .with_context(|| format!("removing the converted {}", json.display()))?;
        warnings.push(format!(
            "converted the key-value store {} ({} keys) to the log {}",
            json.display(),
            old.len(),
            path.display()
        ));
        replayed.live =
            old.into_iter().zip(snapshot.locs).map(|((key, value), loc)| (key, Live { value, loc })).collect();
    }
    Ok((snapshot.file, replayed))
}

/// A log written whole: the file, where each entry's record is, its length.
struct Snapshot {
    file: File,
    locs: Vec<Loc>,
    end: u64,
    dir_synced: bool,
}

/// Writes `entries` as a new log beside `path`, `fsync`s it and renames it
/// over `path`, then `fsync`s the directory (`dir_synced` says whether that
/// worked: the rename is done either way). Before the rename, a failure
/// leaves `path` untouched and removes the temporary file.
fn write_snapshot<'a>(
    path: &Path,
    dir: &Path,
    salt: Salt,
    entries: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> io::Result<Snapshot> {
    let temp = temporary_path(path);
    let written = (|| {
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&temp)?;
        let mut out = BufWriter::with_capacity(64 << 10, &file);
        out.write_all(&format::file_header(salt))?;
        let mut end = FILE_HEADER_LEN;
        let mut locs = Vec::new();
        for (key, value) in entries {
            let len = format::write_record(&mut out, salt, Kind::Set, key, value, NO_PREV)?;
            locs.push(Loc { offset: end, len });
            end += len;
        }
        out.flush()?;
        drop(out);
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        Ok((file, locs, end))
    })();
    match written {
        Ok((file, locs, end)) => Ok(Snapshot { file, locs, end, dir_synced: sync_dir(dir).is_ok() }),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// `.<log name>.tmp` beside the log (one writer per store, so one name).
fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp"))
}

/// Removes what a crash mid-compaction (or mid-rewrite, in the JSON format
/// of earlier versions) left: whole copies of the store that nothing reads.
fn remove_temporaries(dir: &Path, path: &Path) {
    let _ = std::fs::remove_file(temporary_path(path));
    let Some(json) = path.with_extension("json").file_name().map(|n| format!(".{}.", n.to_string_lossy())) else {
        return;
    };
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&json) && Path::new(&name).extension().is_some_and(|e| e == "tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Takes the store's lock file, waiting up to `wait` for another process.
fn lock_store(path: &Path, wait: Duration) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("opening the key-value lock file {}", path.display()))?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "the key-value store is in use by another process (it holds the lock {}); \
                 two hosts cannot share a store directory",
                path.display()
            ),
            Err(std::fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {
                eprintln!("warning: {} cannot be locked here ({e}); do not share the directory", path.display());
                return Ok(file);
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", path.display()));
            }
        }
    }
}

/// Makes renames and new files in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Eight bytes no guest can guess (std seeds `RandomState` from the OS).
fn new_salt() -> Salt {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    hasher.write_u128(now.as_nanos());
    hasher.finish().to_le_bytes()
}

/// The JSON file of earlier versions: `{"format": ..., "entries": {key: base64}}`.
fn decode_json(bytes: &[u8]) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    let doc: serde_json::Value = serde_json::from_slice(bytes).context("not JSON")?;
    anyhow::ensure!(doc["format"] == JSON_FORMAT, "not a store file of this host (no \"format\": {JSON_FORMAT:?})");
    let entries = doc["entries"].as_object().context("no \"entries\" object")?;
    entries
        .iter()
        .map(|(k, v)| {
            let value = v.as_str().and_then(|s| BASE64.decode(s).ok());
            value.map(|v| (k.clone(), v)).with_context(|| format!("the value of key {k:?} is not base64"))
        })
        .collect()
}
