//! Small pieces every simulator needs the same way, kept once so that a fix
//! (a poisoned lock, a date rule, how an unanswered webhook is recorded)
//! reaches all of them: the vendors differ in their shapes and messages, not
//! in these.

use crate::faults::XorShift64;
use crate::http::HttpClient;
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http::Method;
use http::header::CONTENT_TYPE;
use sha2::Sha256;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a simulator's state, ignoring poisoning: a panicking test thread
/// must not make the simulator panic in turn.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// HMAC-SHA256 of `data` under `secret`, computed here with `hmac` and `sha2`
/// directly, independently of the connector, so a shared mistake cannot make
/// both sides agree; each vendor only writes the bytes differently.
pub(crate) fn hmac_sha256(secret: &str, data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; the error branch cannot happen.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return [0; 32];
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// What a webhook a simulator sent got back: the receiver's answer, or why
/// there was none (then no status, an empty body). Recorded as it is, so a
/// test can see a refusal as well as a dropped connection.
#[derive(Debug, Clone)]
pub(crate) struct WebhookAnswer {
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// The receiver's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The receiver's body.
    pub body: Bytes,
    /// Why there was no answer.
    pub error: Option<String>,
}

/// POSTs a JSON webhook `body` to `url` with `Content-Type:
/// application/json` first and then `extra` headers, once; an error is an
/// answer too (see [`WebhookAnswer`]), because the vendors record it rather
/// than fail.
pub(crate) async fn post_json(client: &HttpClient, url: &str, extra: &[(&str, &str)], body: Bytes) -> WebhookAnswer {
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    match client.request(Method::POST, url, &headers, body).await {
        Ok(r) => WebhookAnswer {
            status: Some(r.status),
            content_type: r.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned),
            body: r.body,
            error: None,
        },
        Err(e) => WebhookAnswer { status: None, content_type: None, body: Bytes::new(), error: Some(e.to_string()) },
    }
}

/// How a simulated hub signs a webhook it sends (Kombo's and `StackOne`'s
/// alike: an HMAC of the body under the webhook secret), so a test can send
/// the wrong ones the connector must refuse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum WebhookSignature {
    /// Correctly, with the configured secret (and scheme, where the hub has one).
    #[default]
    Valid,
    /// No signature header at all.
    Missing,
    /// With a different secret: well-formed, but wrong.
    WrongSecret,
    /// This exact header value.
    Header(String),
}

impl WebhookSignature {
    /// The signature header's value, if one is sent: `sign` under the
    /// configured `secret` or under another one, or the value as given.
    pub(crate) fn header_value(&self, secret: &str, sign: impl Fn(&str) -> String) -> Option<String> {
        match self {
            Self::Valid => Some(sign(secret)),
            Self::Missing => None,
            Self::WrongSecret => Some(sign("not-the-webhook-secret")),
            Self::Header(value) => Some(value.clone()),
        }
    }
}

/// A UUID-shaped id (version 4 layout) from a simulator's seeded generator,
/// so a run gives the same ids; `variant` is the fourth group's first digit,
/// which each simulator keeps as it always wrote it.
pub(crate) fn uuid_shaped(rng: &mut XorShift64, variant: char) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    let hex = format!("{a:016x}{b:016x}");
    format!("{}-{}-4{}-{variant}{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

/// Whether a webhook's receiver answered 2xx.
pub(crate) fn is_2xx(status: Option<u16>) -> bool {
    status.is_some_and(|s| (200..300).contains(&s))
}

/// An RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with
/// real calendar dates (leap years included) and a leap second allowed.
/// Kombo and `StackOne` both document their dates as RFC 3339.
pub(crate) fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, len: usize| -> Option<u32> {
        let part = s.get(from..from + len)?;
        if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let at = |i: usize, c: u8| b.get(i).is_some_and(|x| x.eq_ignore_ascii_case(&c));
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (digits(0, 4), digits(5, 2), digits(8, 2), digits(11, 2), digits(14, 2), digits(17, 2))
    else {
        return false;
    };
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && at(i + 3, b':')
                && digits(i + 1, 2).is_some_and(|h| h <= 23)
                && digits(i + 4, 2).is_some_and(|m| m <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        for ok in [
            "2023-04-04T00:00:00.000Z",
            "2024-02-29T23:59:60Z",
            "2023-04-04t10:00:00+02:00",
            "2023-01-01T00:00:00.1-00:30",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2023-04-04",
            "2023-02-29T00:00:00Z",
            "2023-04-04T24:00:00Z",
            "2023-04-04T00:00:00",
            "2023-04-04T00:00:00.Z",
            "2023-04-04T00:00:00+0200",
            "2023-13-01T00:00:00Z",
            "２０２３-04-04T00:00:00Z",
            "2023-04-04T00:00:00Zx",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn uuid_shaped_ids_keep_the_layout_and_the_variant() {
        let mut rng = XorShift64::new(7);
        let id = uuid_shaped(&mut rng, '8');
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!((&id[14..15], &id[19..20]), ("4", "8"));
        assert_ne!(id, uuid_shaped(&mut rng, '8'));
    }

    #[test]
    fn hmac_matches_openssl() {
        // `printf '%s' data | openssl dgst -sha256 -hmac key`
        assert_eq!(
            hex::encode(hmac_sha256("key", b"data")),
            "5031fe3d989c6d1537a013fa6e739da23463fdaec3b70137d828e36ace221bd0"
        );
    }
}
