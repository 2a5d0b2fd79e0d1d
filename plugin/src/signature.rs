//! Assessio's request signature: `Signature: t=<unix>,signature=<hex>`.
//!
//! The signed bytes are the decimal timestamp, a dot, then the raw body:
//! `"<t>." + body`, HMAC-SHA256 keyed with the UTF-8 bytes of the
//! integrator-secret, written as lowercase hex. Signing is what an integrator
//! does; verifying is what Assessio (and so every faithful simulator of it)
//! does, and it follows the practice of Stripe and Standard Webhooks: raw bytes,
//! several signatures per header for key rotation, unknown keys ignored,
//! constant-time comparison, a tolerance on both sides of an injected clock.

use crate::error::InputError;
use crate::http::Header;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Assessio's documented clock skew allowance, in seconds, each way.
pub const DEFAULT_TOLERANCE: u32 = 300;
/// The header's name on the wire.
pub const HEADER_NAME: &str = "Signature";
/// A header longer than this is refused before any work (it would take a few
/// hundred rotated keys to need more).
const MAX_HEADER_LEN: usize = 8 * 1024;
/// Digits in a SHA-256 HMAC written as hex.
const HEX_LEN: usize = 64;

/// A header that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Verified {
    /// The header's `t`, in Unix seconds.
    pub signed_at: i64,
}

/// Why a header was refused. Says nothing about which signature came close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureError {
    /// No header, or an empty one.
    Missing,
    /// Unreadable: which part, and why.
    Malformed(String),
    /// No signature matches.
    Mismatch,
    /// A signature matches but is older than the tolerance, by this many seconds of age.
    Expired(u64),
    /// A signature matches but is ahead of `now` by more than the tolerance, by this many seconds.
    FromFuture(u64),
    /// Nothing to verify with.
    NoSecret,
}

impl core::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Missing => f.write_str("the Signature header is missing"),
            Self::Malformed(why) => write!(f, "the Signature header is malformed: {why}"),
            Self::Mismatch => f.write_str("no signature in the Signature header matches the body"),
            Self::Expired(age) => write!(f, "the signature was made {age} s ago, beyond the tolerance"),
            Self::FromFuture(ahead) => write!(f, "the signature is dated {ahead} s ahead, beyond the tolerance"),
            Self::NoSecret => f.write_str("no secret to verify the signature with"),
        }
    }
}

impl core::error::Error for SignatureError {}

/// HMAC-SHA256 of `"<t>." + body` under `secret`, where `t` is given as the
/// exact digits that appear (or will appear) in the header.
fn mac(secret: &[u8], t_digits: &str, body: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so this cannot fail.
    let mut m = crate::never_fails(<Hmac<Sha256> as KeyInit>::new_from_slice(secret), "HMAC accepts any key length");
    m.update(t_digits.as_bytes());
    m.update(b".");
    m.update(body);
    m.finalize().into_bytes().into()
}

/// The `Signature` header for `body` signed at `timestamp` (Unix seconds).
pub fn sign_request(secret: &str, timestamp: i64, body: &[u8]) -> Result<Header, InputError> {
    if secret.is_empty() {
        return Err(InputError::missing("secret"));
    }
    if timestamp < 0 {
        return Err(InputError::invalid("timestamp", "must not be before 1970 (negative)"));
    }
    // `verify_signature` reads at most 18 digits of `t`; a signature it could
    // never check is refused here rather than sent.
    if timestamp >= 1_000_000_000_000_000_000 {
        return Err(InputError::invalid("timestamp", "must be Unix seconds below 10^18"));
    }
    let t = format!("{timestamp}");
    // Hex through a fixed buffer: `hex::encode` builds its string a
    // character at a time, a visible share of build-order in WebAssembly.
    let mut sig = [0u8; HEX_LEN];
    crate::never_fails(hex::encode_to_slice(mac(secret.as_bytes(), &t, body), &mut sig), "32 bytes are 64 hex digits");
    let sig = crate::never_fails(core::str::from_utf8(&sig), "hex digits are ASCII");
    Ok(Header::new(HEADER_NAME, format!("t={t},signature={sig}")))
}

/// A header's parts: the timestamp digits as sent, and every well-formed signature.
struct Parsed<'a> {
    t_digits: &'a str,
    t: i64,
    signatures: Vec<[u8; 32]>,
}

/// Parses `t=<unix>,<sig_key>=<hex>[,...]`; `sig_key` is `signature` for
/// Assessio's header and `v1` for Teamtailor's, which share this layout.
fn parse_header<'a>(header: &'a str, sig_key: &str) -> Result<Parsed<'a>, SignatureError> {
    let malformed = |why: &str| Err(SignatureError::Malformed(String::from(why)));
    if header.len() > MAX_HEADER_LEN {
        return malformed("longer than 8 KiB");
    }
    let mut t: Option<(&str, i64)> = None;
    let mut signatures = Vec::new();
    for element in header.split(',') {
        let element = element.trim_matches(|c| c == ' ' || c == '\t');
        if element.is_empty() {
            return malformed("an empty element between commas");
        }
        let Some((key, value)) = element.split_once('=') else {
            return malformed("an element without `=`");
        };
        match key {
            "t" => {
                if t.is_some() {
                    return malformed("`t` appears more than once");
                }
                let digits_ok = !value.is_empty() && value.len() <= 18 && value.bytes().all(|b| b.is_ascii_digit());
                let Some(n) = digits_ok.then(|| value.parse::<i64>().ok()).flatten() else {
                    return malformed("`t` is not a whole number of seconds");
                };
                t = Some((value, n));
            }
            k if k == sig_key => {
                let mut raw = [0u8; 32];
                if value.len() != HEX_LEN || hex::decode_to_slice(value, &mut raw).is_err() {
                    return malformed(&format!("a `{sig_key}` is not 64 hex digits"));
                }
                signatures.push(raw);
            }
            // Other schemes (or future versions) are not ours to judge.
            _ => {}
        }
    }
    let Some((t_digits, t)) = t else {
        return malformed("no `t=` timestamp");
    };
    if signatures.is_empty() {
        return malformed(&format!("no `{sig_key}=` entry"));
    }
    Ok(Parsed { t_digits, t, signatures })
}

/// Checks `header` over the raw `body`: any matching signature wins, and its
/// `t` must lie within `tolerance` seconds of `now`, either way.
///
/// The signature is checked before the time, so a sender without the secret
/// learns nothing about the window, while an operator can still tell a replay
/// (`Expired`) from a forgery (`Mismatch`).
pub fn verify_signature(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: i64,
    tolerance: Option<u32>,
) -> Result<Verified, SignatureError> {
    verify_timestamped(header, "signature", body, secret, now, tolerance)
}

/// The check shared by every `t=<unix>,<sig_key>=<hex>` scheme: HMAC-SHA256
/// of `"<t>." + payload` under `secret`, any `sig_key` entry may match, and
/// `t` within `tolerance` (default [`DEFAULT_TOLERANCE`]) of `now`, either way.
/// Assessio signs the body (`sig_key` `signature`); Teamtailor signs the
/// partner-event id (`sig_key` `v1`, see [`crate::hubs::teamtailor`]).
pub(crate) fn verify_timestamped(
    header: Option<&str>,
    sig_key: &str,
    payload: &[u8],
    secret: &str,
    now: i64,
    tolerance: Option<u32>,
) -> Result<Verified, SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.map(str::trim).unwrap_or_default();
    if header.is_empty() {
        return Err(SignatureError::Missing);
    }
    let parsed = parse_header(header, sig_key)?;
    let expected = mac(secret.as_bytes(), parsed.t_digits, payload);
    // Compare against every candidate without stopping early.
    let matched = parsed.signatures.iter().fold(subtle::Choice::from(0), |acc, sig| acc | sig.ct_eq(&expected));
    if !bool::from(matched) {
        return Err(SignatureError::Mismatch);
    }
    let tolerance = i128::from(tolerance.unwrap_or(DEFAULT_TOLERANCE));
    let drift = i128::from(now) - i128::from(parsed.t);
    let seconds = |d: i128| u64::try_from(d.unsigned_abs()).unwrap_or(u64::MAX);
    if drift > tolerance {
        return Err(SignatureError::Expired(seconds(drift)));
    }
    if -drift > tolerance {
        return Err(SignatureError::FromFuture(seconds(drift)));
    }
    Ok(Verified { signed_at: parsed.t })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_timestamp_sign_request_accepts_verifies() {
        for t in [0, 1_700_000_000, 999_999_999_999_999_999] {
            let h = sign_request("k", t, b"x").unwrap();
            assert_eq!(verify_signature(Some(&h.value), b"x", "k", t, None), Ok(Verified { signed_at: t }), "{t}");
        }
        assert!(sign_request("k", 1_000_000_000_000_000_000, b"x").is_err());
        assert!(sign_request("k", i64::MAX, b"x").is_err());
    }
    use proptest::prelude::*;

    fn header(secret: &str, t: i64, body: &[u8]) -> String {
        sign_request(secret, t, body).unwrap().value
    }

    /// Computed independently of this crate, and agreed by both:
    /// Python: `hmac.new(b"whsec_test_secret", b'1700000000.{"resultId":"r-1"}', "sha256").hexdigest()`;
    /// OpenSSL: `printf '1700000000.{"resultId":"r-1"}' | openssl dgst -sha256 -hmac whsec_test_secret`.
    #[test]
    fn known_answer_from_python_and_openssl() {
        let h = sign_request("whsec_test_secret", 1_700_000_000, br#"{"resultId":"r-1"}"#).unwrap();
        assert_eq!(h.name, "Signature");
        assert_eq!(h.value, "t=1700000000,signature=8bdab4ad04314db8fc9e387d0feab32f99622b30742885a0a2f5b13292a923b8");
    }

    /// The Standard Webhooks published vector signs `"<id>.<ts>.<body>"`, which
    /// is our `"<t>." + body` with `t` = `"<id>.<ts>"`: a check of the HMAC
    /// plumbing against a vector nobody here computed.
    #[test]
    fn standard_webhooks_vector_through_our_mac() {
        let key = hex::decode("0b6155b0140886bb1c0a195020c57e6f9b1262ca686fba03").unwrap();
        let got = mac(
            &key,
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk.1649367553",
            br#"{"email":"test@example.com","username":"test_user"}"#,
        );
        // base64 `tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=` as hex.
        assert_eq!(hex::encode(got), "b59d48e3f843ca000980ee5363189277a49dd240d6ea13de9c37be6d36b72a4c");
    }

    #[test]
    fn a_signed_header_verifies_at_its_own_time() {
        let h = header("s3cret", 1_700_000_000, b"{}");
        assert!(h.starts_with("t=1700000000,signature="));
        assert_eq!(
            verify_signature(Some(&h), b"{}", "s3cret", 1_700_000_000, None),
            Ok(Verified { signed_at: 1_700_000_000 })
        );
    }

    #[test]
    fn tolerance_applies_both_ways_and_is_inclusive() {
        let t = 1_700_000_000;
        let h = header("k", t, b"x");
        let at = |now| verify_signature(Some(&h), b"x", "k", now, None);
        assert!(at(t + 300).is_ok());
        assert!(at(t - 300).is_ok());
        assert_eq!(at(t + 301), Err(SignatureError::Expired(301)));
        assert_eq!(at(t - 301), Err(SignatureError::FromFuture(301)));
        assert!(verify_signature(Some(&h), b"x", "k", t + 1000, Some(1000)).is_ok());
        assert_eq!(verify_signature(Some(&h), b"x", "k", t + 1, Some(0)), Err(SignatureError::Expired(1)));
    }

    #[test]
    fn any_of_several_signatures_may_match_and_unknown_keys_are_ignored() {
        let good = header("new", 1000, b"b");
        let sig = good.split_once("signature=").unwrap().1;
        let other = "0".repeat(64);
        let h = format!("t=1000, v0=whatever,signature={other}, signature={sig},scheme=x");
        assert!(verify_signature(Some(&h), b"b", "new", 1000, None).is_ok());
        let upper = format!("t=1000,signature={}", sig.to_uppercase());
        assert!(verify_signature(Some(&upper), b"b", "new", 1000, None).is_ok());
    }

    #[test]
    fn a_changed_body_secret_or_timestamp_is_a_mismatch() {
        let h = header("k", 1000, b"body");
        assert_eq!(verify_signature(Some(&h), b"body ", "k", 1000, None), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(Some(&h), b"body", "K", 1000, None), Err(SignatureError::Mismatch));
        let moved = h.replace("t=1000", "t=1001");
        assert_eq!(verify_signature(Some(&moved), b"body", "k", 1000, None), Err(SignatureError::Mismatch));
        // The digits are signed as sent: leading zeros change the signed bytes.
        let padded = h.replace("t=1000", "t=01000");
        assert_eq!(verify_signature(Some(&padded), b"body", "k", 1000, None), Err(SignatureError::Mismatch));
    }

    #[test]
    fn malformed_headers_are_typed_errors() {
        let sig = "a".repeat(64);
        let cases = [
            ("t=1", "no `signature=` entry"),
            (&*format!("signature={sig}"), "no `t=` timestamp"),
            (&*format!("t=1,t=2,signature={sig}"), "`t` appears more than once"),
            (&*format!("t=-1,signature={sig}"), "`t` is not a whole number of seconds"),
            (&*format!("t=1x,signature={sig}"), "`t` is not a whole number of seconds"),
            (&*format!("t=99999999999999999999,signature={sig}"), "`t` is not a whole number of seconds"),
            ("t=1,signature=abc", "a `signature` is not 64 hex digits"),
            (&*format!("t=1,signature={}", "g".repeat(64)), "a `signature` is not 64 hex digits"),
            (&*format!("t=1,,signature={sig}"), "an empty element between commas"),
            (&*format!("t=1,junk,signature={sig}"), "an element without `=`"),
        ];
        for (h, why) in cases {
            assert_eq!(verify_signature(Some(h), b"", "k", 1, None), Err(SignatureError::Malformed(why.into())), "{h}");
        }
        let huge = format!("t=1,{}", "x=y,".repeat(3000));
        assert!(matches!(verify_signature(Some(&huge), b"", "k", 1, None), Err(SignatureError::Malformed(_))));
        assert_eq!(verify_signature(None, b"", "k", 1, None), Err(SignatureError::Missing));
        assert_eq!(verify_signature(Some("  "), b"", "k", 1, None), Err(SignatureError::Missing));
        assert_eq!(verify_signature(Some("t=1"), b"", "", 1, None), Err(SignatureError::NoSecret));
    }

    #[test]
    fn signing_refuses_what_it_cannot_sign() {
        assert_eq!(sign_request("", 1, b""), Err(InputError::missing("secret")));
        assert!(matches!(sign_request("k", -1, b""), Err(InputError::Invalid(_))));
    }

    proptest! {
        #[test]
        fn sign_then_verify_round_trips(
            secret in "[ -~]{1,64}",
            t in 0i64..=4_102_444_800,
            body in proptest::collection::vec(any::<u8>(), 0..2048),
            skew in -300i64..=300,
        ) {
            let h = header(&secret, t, &body);
            prop_assert_eq!(verify_signature(Some(&h), &body, &secret, t + skew, None), Ok(Verified { signed_at: t }));
        }

        #[test]
        fn any_flipped_body_bit_is_caught(
            body in proptest::collection::vec(any::<u8>(), 1..512),
            bit in 0usize..4096,
        ) {
            let h = header("k", 5, &body);
            let mut tampered = body.clone();
            let i = bit % (tampered.len() * 8);
            tampered[i / 8] ^= 1 << (i % 8);
            prop_assert_eq!(verify_signature(Some(&h), &tampered, "k", 5, None), Err(SignatureError::Mismatch));
        }

        #[test]
        fn arbitrary_headers_never_panic(h in ".{0,300}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = verify_signature(Some(&h), &body, "k", 0, None);
        }
    }
}
