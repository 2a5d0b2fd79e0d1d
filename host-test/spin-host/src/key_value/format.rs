//! The bytes of a store's log, and reading them back after a restart.
//!
//! A log is a file header (magic and a random salt) and then records, each a
//! fixed header and a payload (the key, then the value):
//!
//! | bytes | field |
//! | --- | --- |
//! | 4 | CRC-32 of the rest of this header (salted) |
//! | 1 | kind: 1 set, 2 delete |
//! | 4 | key length (little-endian) |
//! | 4 | value length (0 for a delete) |
//! | 8 | offset of the record this one supersedes (the key's previous set or delete), or all ones |
//! | 4 | CRC-32 of the payload (salted) |
//!
//! Why two checksums: a header is written once and never touched again, but
//! a payload is zeroed in place once a later record supersedes it (so a
//! deleted or overwritten value does not stay on disk, see `store.rs`), and a
//! crash can leave that zeroing half done. The header's own checksum keeps the
//! log walkable whatever happened to payloads, and the superseding record's
//! pointer tells a payload that was zeroed apart from one that rotted: a
//! payload that fails its checksum is fine if and only if a later record
//! points at it.
//!
//! Why a salt: a torn write can leave garbage where a record should start,
//! and telling a torn end of the log from damage in its middle means looking
//! for a readable header after the bad bytes. Values come from guests, which
//! could plant header-shaped bytes in them; with a random per-file salt in
//! every checksum they cannot make one that passes (they never see the file).
//!
//! Everything here works on bytes in memory and never panics on bad input:
//! [`replay`] answers a [`Corrupt`] naming the offset instead.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

/// What a log file starts with, so another file is not taken for one.
pub(super) const MAGIC: &[u8; 16] = b"assessio-kvlog/2";
/// Random bytes mixed into every checksum of one file.
pub(super) type Salt = [u8; 8];
/// The file header: magic, then salt.
pub(super) const FILE_HEADER_LEN: u64 = 24;
/// A record's fixed header.
pub(super) const RECORD_HEADER_LEN: u64 = 25;
/// "Supersedes nothing".
pub(super) const NO_PREV: u64 = u64::MAX;

/// What a record does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The key now has the record's value.
    Set,
    /// The key has no value (a tombstone: the payload is the key alone).
    Delete,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Self::Set => 1,
            Self::Delete => 2,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::Set),
            2 => Some(Self::Delete),
            _ => None,
        }
    }
}

/// Where a record sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Loc {
    /// Offset of the record's header.
    pub offset: u64,
    /// Header and payload together.
    pub len: u64,
}

impl Loc {
    /// The payload's bytes: what zeroing a superseded record overwrites.
    pub fn payload(self) -> (u64, u64) {
        (self.offset + RECORD_HEADER_LEN, self.len.saturating_sub(RECORD_HEADER_LEN))
    }
}

/// The file header for `salt`.
pub(super) fn file_header(salt: Salt) -> [u8; 24] {
    let mut out = [0; 24];
    out[..16].copy_from_slice(MAGIC);
    out[16..].copy_from_slice(&salt);
    out
}

/// A key or value longer than a record can say (4 GiB).
#[derive(Debug)]
pub(super) struct TooLarge;

/// Writes one record to `out`; answers its length.
pub(super) fn write_record(
    out: &mut impl Write,
    salt: Salt,
    kind: Kind,
    key: &str,
    value: &[u8],
    prev: u64,
) -> std::io::Result<u64> {
    let header = record_header(salt, kind, key.as_bytes(), value, prev)
        .map_err(|TooLarge| std::io::Error::new(std::io::ErrorKind::InvalidInput, "key or value over 4 GiB"))?;
    out.write_all(&header)?;
    out.write_all(key.as_bytes())?;
    out.write_all(value)?;
    Ok(RECORD_HEADER_LEN + key.len() as u64 + value.len() as u64)
}

/// One record as bytes (for an append, which is one write).
pub(super) fn encode(salt: Salt, kind: Kind, key: &str, value: &[u8], prev: u64) -> Result<Vec<u8>, TooLarge> {
    let header = record_header(salt, kind, key.as_bytes(), value, prev)?;
    let mut out = Vec::with_capacity(header.len() + key.len() + value.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(value);
    Ok(out)
}

fn record_header(salt: Salt, kind: Kind, key: &[u8], value: &[u8], prev: u64) -> Result<[u8; 25], TooLarge> {
    let key_len = u32::try_from(key.len()).map_err(|_| TooLarge)?;
    let value_len = u32::try_from(value.len()).map_err(|_| TooLarge)?;
    let mut h = [0; 25];
    h[4] = kind.byte();
    h[5..9].copy_from_slice(&key_len.to_le_bytes());
    h[9..13].copy_from_slice(&value_len.to_le_bytes());
    h[13..21].copy_from_slice(&prev.to_le_bytes());
    h[21..25].copy_from_slice(&crc32(salt, &[key, value]).to_le_bytes());
    let own = crc32(salt, &[&h[4..]]);
    h[..4].copy_from_slice(&own.to_le_bytes());
    Ok(h)
}

/// A record header that checked out.
#[derive(Debug, Clone, Copy)]
struct Header {
    kind: Kind,
    key_len: u64,
    value_len: u64,
    prev: u64,
    payload_crc: u32,
}

/// The header at `pos`, if the bytes there are one (whole, checksum right).
fn read_header(bytes: &[u8], pos: usize, salt: Salt) -> Option<Header> {
    let h = bytes.get(pos..pos.checked_add(25)?)?;
    let u32_at = |i: usize| h.get(i..i + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    if u32_at(0)? != crc32(salt, &[&h[4..]]) {
        return None;
    }
    Some(Header {
        kind: Kind::from_byte(h[4])?,
        key_len: u64::from(u32_at(5)?),
        value_len: u64::from(u32_at(9)?),
        prev: u64::from_le_bytes(h.get(13..21)?.try_into().ok()?),
        payload_crc: u32_at(21)?,
    })
}

/// Why a log cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Corrupt {
    /// Byte offset in the file.
    pub offset: u64,
    /// What is wrong there.
    pub what: String,
}

/// A live key's value and record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Live {
    pub value: Vec<u8>,
    pub loc: Loc,
}

/// What a log says, once read.
#[derive(Debug, Default)]
pub(super) struct Replayed {
    /// The file's salt.
    pub salt: Salt,
    /// Every key with a value.
    pub live: BTreeMap<String, Live>,
    /// Deleted keys whose tombstone is the key's latest record.
    pub tombstones: HashMap<String, Loc>,
    /// Superseded records whose payload is still readable: the zeroing after
    /// the write that superseded them did not reach the disk (a crash).
    pub unscrubbed: Vec<Loc>,
    /// Where the readable log ends: the file's length, unless the last
    /// record was cut short.
    pub end: u64,
    /// A last record cut short by a crash, and why it was taken for one.
    pub torn: Torn,
}

/// Where a torn last record starts, and why it was taken for one.
pub(super) type Torn = Option<(u64, &'static str)>;

/// One record found while walking the log.
struct Found {
    loc: Loc,
    header: Header,
    payload_ok: bool,
}

/// Reads a whole log.
///
/// A bad *last* record (its header or its payload unreadable, or the file
/// ending inside it) is what a crash during an append leaves: it was never
/// acknowledged, so it is left out and reported in [`Replayed::torn`] for the
/// caller to cut away. Anything else that does not check out is a
/// [`Corrupt`] at the first offset concerned: there is no way to know which
/// acknowledged writes it held.
pub(super) fn replay(bytes: &[u8]) -> Result<Replayed, Corrupt> {
    let corrupt = |offset: u64, what: String| Corrupt { offset, what };
    if bytes.len() < 24 || &bytes[..16] != MAGIC {
        return Err(corrupt(
            0,
            format!("not a key-value log of this host (it does not start with {:?})", "assessio-kvlog/2"),
        ));
    }
    let mut salt = Salt::default();
    salt.copy_from_slice(&bytes[16..24]);

    let (found, torn) = walk(bytes, salt)?;

    let mut out = Replayed { salt, end: torn.map_or(bytes.len() as u64, |(at, _)| at), torn, ..Replayed::default() };
    let mut index_of: HashMap<u64, usize> = HashMap::with_capacity(found.len());
    let mut keys: Vec<Option<String>> = Vec::with_capacity(found.len());
    let mut superseded = vec![false; found.len()];
    for (i, f) in found.iter().enumerate() {
        let (start, end) = (f.loc.offset + RECORD_HEADER_LEN, f.loc.offset + f.loc.len);
        let payload = usize::try_from(start)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(start, end)| bytes.get(start..end))
            .unwrap_or_default();
        let (key_bytes, value) = payload.split_at(usize::try_from(f.header.key_len).unwrap_or(0).min(payload.len()));
        let key = if f.payload_ok {
            let key = std::str::from_utf8(key_bytes)
                .map_err(|_| corrupt(f.loc.offset, "a record's key is not UTF-8".to_string()))?;
            Some(key.to_string())
        } else {
            None
        };
        if f.header.prev != NO_PREV {
            let Some(&j) = index_of.get(&f.header.prev) else {
                return Err(corrupt(
                    f.loc.offset,
                    format!("the record supersedes byte {}, where no earlier record starts", f.header.prev),
                ));
            };
            if std::mem::replace(&mut superseded[j], true) {
                return Err(corrupt(
                    f.loc.offset,
                    format!("the record supersedes the record at byte {}, which was already superseded", f.header.prev),
                ));
            }
            if let (Some(mine), Some(theirs)) = (&key, &keys[j])
                && mine != theirs
            {
                return Err(corrupt(
                    f.loc.offset,
                    format!("the record supersedes the record at byte {}, which has another key", f.header.prev),
                ));
            }
            if found[j].payload_ok {
                out.unscrubbed.push(found[j].loc);
            }
        }
        if let Some(key) = &key {
            match f.header.kind {
                Kind::Set => {
                    out.tombstones.remove(key);
                    out.live.insert(key.clone(), Live { value: value.to_vec(), loc: f.loc });
                }
                Kind::Delete => {
                    out.live.remove(key);
                    out.tombstones.insert(key.clone(), f.loc);
                }
            }
        }
        index_of.insert(f.loc.offset, i);
        keys.push(key);
    }
    // A payload that fails its checksum was zeroed after a later record
    // superseded it, or it is damage.
    if let Some(f) = found.iter().zip(&superseded).find_map(|(f, &s)| (!f.payload_ok && !s).then_some(f)) {
        return Err(corrupt(f.loc.offset, "a record's key or value does not match its checksum".to_string()));
    }
    Ok(out)
}

/// The records of a log after its file header, in order, with their
/// payloads checked, and a torn end if the last one is bad.
fn walk(bytes: &[u8], salt: Salt) -> Result<(Vec<Found>, Torn), Corrupt> {
    let mut found: Vec<Found> = Vec::new();
    let mut torn = None;
    let mut pos = 24_usize;
    while pos < bytes.len() {
        let Some(header) = read_header(bytes, pos, salt) else {
            if let Some(next) = next_header(bytes, pos + 1, salt) {
                return Err(Corrupt {
                    offset: pos as u64,
                    what: format!("unreadable record header, with a readable record after it at byte {next}"),
                });
            }
            torn = Some((pos as u64, "the last record's header is unreadable"));
            break;
        };
        let len = RECORD_HEADER_LEN + header.key_len + header.value_len;
        let Some(end) = usize::try_from(len).ok().and_then(|len| pos.checked_add(len)).filter(|&e| e <= bytes.len())
        else {
            torn = Some((pos as u64, "the file ends inside the last record"));
            break;
        };
        let key_start = pos + 25;
        let value_start = key_start + usize::try_from(header.key_len).unwrap_or(usize::MAX).min(end - key_start);
        let payload_ok = crc32(salt, &[&bytes[key_start..value_start], &bytes[value_start..end]]) == header.payload_crc;
        found.push(Found { loc: Loc { offset: pos as u64, len }, header, payload_ok });
        pos = end;
    }
    // A last record whose payload does not check out, and that nothing can
    // supersede (nothing follows it), is a torn append too.
    if torn.is_none()
        && found.last().is_some_and(|f| !f.payload_ok)
        && let Some(last) = found.pop()
    {
        torn = Some((last.loc.offset, "the last record's key or value does not match its checksum"));
    }
    Ok((found, torn))
}

/// The first offset at or after `from` where a whole record with a readable
/// header starts: proof that bad bytes before it are not the log's end.
fn next_header(bytes: &[u8], from: usize, salt: Salt) -> Option<usize> {
    (from..bytes.len().saturating_sub(24)).find(|&p| {
        read_header(bytes, p, salt).is_some_and(|h| {
            usize::try_from(RECORD_HEADER_LEN + h.key_len + h.value_len)
                .ok()
                .and_then(|len| p.checked_add(len))
                .is_some_and(|end| end <= bytes.len())
        })
    })
}

/// CRC-32 (IEEE 802.3, the zlib one) of `salt` followed by `parts`.
pub(super) fn crc32(salt: Salt, parts: &[&[u8]]) -> u32 {
    let mut crc = crc_update(!0, &salt);
    for part in parts {
        crc = crc_update(crc, part);
    }
    !crc
}

fn crc_update(mut crc: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        crc = CRC_TABLE[usize::from(crc.to_le_bytes()[0] ^ b)] ^ (crc >> 8);
    }
    crc
}

/// The byte-at-a-time table of the reflected polynomial 0xEDB88320.
static CRC_TABLE: [u32; 256] = {
    let mut table = [0_u32; 256];
    let mut i = 0_u32;
    while i < 256 {
        let mut c = i;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            bit += 1;
        }
        table[i as usize] = c;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: Salt = *b"saltsalt";

    fn log(records: &[(Kind, &str, &[u8], u64)]) -> Vec<u8> {
        let mut out = file_header(SALT).to_vec();
        for (kind, key, value, prev) in records {
            write_record(&mut out, SALT, *kind, key, value, *prev).unwrap();
        }
        out
    }

    #[test]
    fn crc32_is_the_standard_one() {
        // The check value of CRC-32/ISO-HDLC, computed without the salt.
        assert_eq!(!crc_update(!0, b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn a_log_reads_back_with_sets_deletes_and_tombstones() {
        let a = 24;
        let a_len = RECORD_HEADER_LEN + 1 + 2;
        let bytes =
            log(&[(Kind::Set, "k", b"v1", NO_PREV), (Kind::Set, "k", b"v2", a), (Kind::Delete, "k", b"", a + a_len)]);
        let r = replay(&bytes).unwrap();
        assert!(r.live.is_empty());
        assert_eq!(r.tombstones["k"].offset, a + 2 * a_len);
        // Nothing zeroed the superseded payloads: both are reported.
        assert_eq!(r.unscrubbed.len(), 2);
        assert_eq!((r.end, r.torn), (bytes.len() as u64, None));
    }

    #[test]
    fn a_zeroed_payload_is_accepted_only_when_superseded() {
        let mut bytes = log(&[(Kind::Set, "k", b"secret", NO_PREV), (Kind::Set, "k", b"new", 24)]);
        let payload = 24 + 25..24 + 25 + 7;
        bytes[payload.clone()].fill(0);
        let r = replay(&bytes).unwrap();
        assert_eq!(r.live["k"].value, b"new");
        assert!(r.unscrubbed.is_empty());

        // The same zeroing without the superseding record: damage.
        let mut alone = log(&[(Kind::Set, "k", b"secret", NO_PREV), (Kind::Set, "j", b"x", NO_PREV)]);
        alone[payload].fill(0);
        assert_eq!(replay(&alone).unwrap_err().offset, 24);
    }

    #[test]
    fn every_cut_of_the_last_record_is_a_torn_end_never_an_error() {
        let whole = log(&[(Kind::Set, "a", b"1", NO_PREV), (Kind::Set, "b", b"22", NO_PREV)]);
        let second = 24 + 25 + 2;
        for cut in second..whole.len() {
            let r = replay(&whole[..cut]).unwrap_or_else(|e| panic!("cut at {cut}: {e:?}"));
            assert_eq!(r.live.keys().collect::<Vec<_>>(), ["a"], "cut at {cut}");
            assert_eq!(r.end, second as u64, "cut at {cut}");
            assert_eq!(r.torn.is_some(), cut > second, "cut at {cut}");
        }
    }

    #[test]
    fn damage_before_the_last_record_is_an_error_naming_the_offset() {
        let whole = log(&[(Kind::Set, "a", b"1", NO_PREV), (Kind::Set, "b", b"22", NO_PREV)]);
        for at in 24..24 + 25 + 2 {
            let mut bad = whole.clone();
            bad[at] ^= 0x40;
            let err = replay(&bad).unwrap_err();
            assert_eq!(err.offset, 24, "flipped byte {at}: {err:?}");
        }
    }

    #[test]
    fn pointers_must_name_an_earlier_record_once() {
        let bad_target = log(&[(Kind::Set, "a", b"1", NO_PREV), (Kind::Set, "a", b"2", 25)]);
        assert!(replay(&bad_target).unwrap_err().what.contains("no earlier record"));
        let twice = log(&[(Kind::Set, "a", b"1", NO_PREV), (Kind::Set, "a", b"2", 24), (Kind::Set, "a", b"3", 24)]);
        assert!(replay(&twice).unwrap_err().what.contains("already superseded"));
        let other_key = log(&[(Kind::Set, "a", b"1", NO_PREV), (Kind::Set, "b", b"2", 24)]);
        assert!(replay(&other_key).unwrap_err().what.contains("another key"));
    }

    #[test]
    fn foreign_bytes_are_refused_and_nothing_panics() {
        assert!(replay(b"{\"format\":1}").unwrap_err().what.contains("not a key-value log"));
        assert!(replay(b"").is_err());
        let whole = log(&[(Kind::Set, "a", b"1", NO_PREV), (Kind::Delete, "a", b"", 24)]);
        for len in 0..whole.len() {
            let _ = replay(&whole[..len]);
            for bit in 0..8 {
                let mut bad = whole.clone();
                bad[len] ^= 1 << bit;
                let _ = replay(&bad);
            }
        }
    }
}
