//! What Assessio's answer to an order means for the host.
//!
//! The classification is what keeps orders from being lost or doubled: only
//! `retry-later` answers may be sent again, because everything else is either
//! placed, already there, or refused for good.

use crate::json::{self, Json};
use crate::order::OrderEndpoint;
use crate::validate;
use alloc::format;
use alloc::string::String;
use serde::{Deserialize, Serialize};

/// Longest reason passed on to a recruiter's screen.
const MAX_MESSAGE: usize = 300;

/// A status and a reason fit to display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Assessio's HTTP status.
    pub status: u16,
    /// Assessio's reason where it gave one, else a plain description.
    pub message: String,
}

/// What to do after sending an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderOutcome {
    /// Placed; for the link endpoint, the link when readable.
    Accepted(Option<String>),
    /// 409: already in this recruitment; nothing new placed.
    Duplicate,
    /// Refused for good.
    Rejected(Rejection),
    /// Credentials or signature refused: fix configuration, then resend.
    Unauthorized(Rejection),
    /// Nothing known to be placed: send again later.
    RetryLater(Rejection),
}

/// Classifies Assessio's answer. Total: every status and body has an outcome.
pub fn interpret_order_response(endpoint: OrderEndpoint, status: u16, body: &[u8]) -> OrderOutcome {
    let rejection = || Rejection { status, message: reason(status, body) };
    match status {
        200..=299 => OrderOutcome::Accepted(match endpoint {
            OrderEndpoint::Order => None,
            OrderEndpoint::OrderLink => package_link(body),
        }),
        409 => OrderOutcome::Duplicate,
        401 | 403 => OrderOutcome::Unauthorized(rejection()),
        408 | 425 | 429 => OrderOutcome::RetryLater(rejection()),
        400..=499 => OrderOutcome::Rejected(rejection()),
        _ => OrderOutcome::RetryLater(rejection()),
    }
}

/// `{"assessmentPackageLink": "https://..."}`, or `None` if unreadable.
fn package_link(body: &[u8]) -> Option<String> {
    let obj = json::parse_object("the order-link response", body).ok()?;
    let link = json::opt_str(&obj, "assessmentPackageLink").ok()??;
    validate::http_url("assessmentPackageLink", link, true).ok().map(String::from)
}

/// Assessio's own reason when the body carries one (a JSON `message`,
/// `error`, `detail` or `title`, or short plain text), else the status.
fn reason(status: u16, body: &[u8]) -> String {
    let from_json = json::parse_object("body", body).ok().and_then(|obj| {
        ["message", "error", "detail", "title"].iter().find_map(|key| match obj.get(key) {
            Some(Json::String(s)) if !s.trim().is_empty() => Some(String::from(&**s)),
            Some(Json::Object(inner)) => json::opt_str(inner, "message").ok().flatten().map(String::from),
            _ => None,
        })
    });
    let text = from_json.or_else(|| {
        let t = core::str::from_utf8(body).ok()?.trim();
        let looks_like_text = !t.is_empty() && !t.starts_with('<') && !t.starts_with('{') && !t.starts_with('[');
        looks_like_text.then(|| String::from(t))
    });
    // Control characters become spaces first, so a reason that is blank once
    // cleaned (`" "`, `"\u{1}\u{2}"`) falls back to the status like no reason.
    let cleaned = text
        .map(|t| t.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>())
        .filter(|t| !t.trim().is_empty());
    match cleaned {
        Some(t) => validate::clip(t.trim(), MAX_MESSAGE),
        None => format!("Assessio answered HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderEndpoint::{Order, OrderLink};

    fn rej(status: u16, message: &str) -> Rejection {
        Rejection { status, message: message.into() }
    }

    #[test]
    fn each_status_class_has_its_outcome() {
        assert_eq!(interpret_order_response(Order, 200, b"\"string\""), OrderOutcome::Accepted(None));
        assert_eq!(interpret_order_response(Order, 204, b""), OrderOutcome::Accepted(None));
        assert_eq!(
            interpret_order_response(OrderLink, 200, br#"{"assessmentPackageLink":"https://app.assessio.online/p/1"}"#),
            OrderOutcome::Accepted(Some("https://app.assessio.online/p/1".into()))
        );
        assert_eq!(interpret_order_response(OrderLink, 201, b"oops"), OrderOutcome::Accepted(None));
        assert_eq!(interpret_order_response(OrderLink, 409, b""), OrderOutcome::Duplicate);
        assert_eq!(
            interpret_order_response(Order, 400, br#"{"message":"Candidate last name is required"}"#),
            OrderOutcome::Rejected(rej(400, "Candidate last name is required"))
        );
        assert_eq!(
            interpret_order_response(Order, 422, br#"{"error":{"message":"Unknown lens"}}"#),
            OrderOutcome::Rejected(rej(422, "Unknown lens"))
        );
        assert_eq!(
            interpret_order_response(Order, 401, b""),
            OrderOutcome::Unauthorized(rej(401, "Assessio answered HTTP 401"))
        );
        assert_eq!(
            interpret_order_response(Order, 403, b"Signature expired"),
            OrderOutcome::Unauthorized(rej(403, "Signature expired"))
        );
        assert_eq!(
            interpret_order_response(Order, 429, b""),
            OrderOutcome::RetryLater(rej(429, "Assessio answered HTTP 429"))
        );
        assert_eq!(
            interpret_order_response(Order, 503, b"<html>busy</html>"),
            OrderOutcome::RetryLater(rej(503, "Assessio answered HTTP 503"))
        );
        assert_eq!(
            interpret_order_response(Order, 302, b""),
            OrderOutcome::RetryLater(rej(302, "Assessio answered HTTP 302"))
        );
    }

    #[test]
    fn a_reason_that_is_blank_once_cleaned_falls_back_to_the_status() {
        for body in [&br#"{"error":{"message":" "}}"#[..], b"\x01\x02", br#"{"message":"\t"}"#] {
            let OrderOutcome::Rejected(r) = interpret_order_response(Order, 422, body) else { panic!() };
            assert_eq!(r.message, "Assessio answered HTTP 422", "{body:?}");
        }
    }

    #[test]
    fn reasons_are_single_line_and_bounded() {
        let long = "x".repeat(1000);
        let OrderOutcome::Rejected(r) = interpret_order_response(Order, 400, format!("bad\r\n{long}").as_bytes())
        else {
            panic!()
        };
        assert!(!r.message.contains('\n'));
        assert_eq!(r.message.chars().count(), MAX_MESSAGE + 1);
        assert!(r.message.ends_with('…'));
    }
}
