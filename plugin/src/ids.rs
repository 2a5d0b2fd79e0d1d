//! Stable identifiers derived from a hub's own ids.
//!
//! Deterministic, so a webhook delivered twice maps to the same Assessio
//! order and result (idempotency without a lookup), and opaque, so no
//! customer's ids or names appear in Assessio or in URLs.

use alloc::string::String;
use sha2::{Digest, Sha256};

/// A UUID-shaped id (version 8, RFC 9562 "custom") from SHA-256 of the parts,
/// each length-prefixed so that `("ab","c")` and `("a","bc")` differ.
pub fn stable_id(namespace: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in core::iter::once(&namespace).chain(parts) {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    uuid_shaped(&h.finalize())
}

/// As [`stable_id`], but HMAC-SHA256 under `key`: the same parts give the
/// same id (a redelivered webhook finds its order), yet nobody without the
/// key can compute the id of another customer's order from its public ids,
/// so a result cannot be aimed at an order by guessing.
pub fn keyed_id(key: &[u8], namespace: &str, parts: &[&str]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut m = crate::never_fails(<Hmac<Sha256> as KeyInit>::new_from_slice(key), "HMAC takes any key");
    for part in core::iter::once(&namespace).chain(parts) {
        m.update(&(part.len() as u64).to_be_bytes());
        m.update(part.as_bytes());
    }
    uuid_shaped(&m.finalize().into_bytes())
}

fn uuid_shaped(digest: &[u8]) -> String {
    let mut b: [u8; 16] = crate::never_fails(digest[..16].try_into(), "SHA-256 has 32 bytes");
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 9562 variant
    let mut x = [0u8; 32];
    crate::never_fails(hex::encode_to_slice(b, &mut x), "16 bytes are 32 hex digits");
    let x = crate::never_fails(core::str::from_utf8(&x), "hex digits are ASCII");
    alloc::format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_distinct_and_uuid_shaped() {
        let a = stable_id("result", &["kombo:int-1", "order-1"]);
        assert_eq!(a, stable_id("result", &["kombo:int-1", "order-1"]));
        assert_ne!(a, stable_id("result", &["kombo:int-1", "order-2"]));
        assert_ne!(stable_id("r", &["ab", "c"]), stable_id("r", &["a", "bc"]));
        assert_ne!(a, stable_id("recruitment", &["kombo:int-1", "order-1"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    /// Known answer: HMAC-SHA256 as RFC 4231 defines it, over the same
    /// length-prefixed parts, computed by Python's `hmac` module:
    /// `hmac.new(b"k", b"".join(len(p).to_bytes(8,"big")+p for p in
    /// [b"result", b"kombo:int-1", b"order-1"]), "sha256").hexdigest()[:32]`
    /// is `KNOWN`, before the version and variant bits are set.
    #[test]
    fn keyed_ids_are_hmac_and_differ_by_key() {
        const KNOWN: &str = "aabd46ed964c07f262c1d8cc331d2191";
        let a = keyed_id(b"k", "result", &["kombo:int-1", "order-1"]);
        let mut b = hex::decode(KNOWN).unwrap();
        b[6] = (b[6] & 0x0f) | 0x80;
        b[8] = (b[8] & 0x3f) | 0x80;
        let x = hex::encode(b);
        assert_eq!(a, alloc::format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..]));
        assert_eq!(a, keyed_id(b"k", "result", &["kombo:int-1", "order-1"]));
        assert_ne!(a, keyed_id(b"other", "result", &["kombo:int-1", "order-1"]));
        assert_ne!(a, stable_id("result", &["kombo:int-1", "order-1"]));
    }
}
