//! The webhook-delivery state machine the three simulated hubs share.
//!
//! A hub event (Kombo's order, Teamtailor's partner result, StackOne's
//! order) is *created* and kept with nothing sent; *sent*, when its body is
//! built once and frozen; and *redelivered*, the same bytes again, as a hub
//! that repeats an event does. Each attempt is recorded by the hub, and a
//! hub that retries does so after a 5xx or no answer, with the same body.
//!
//! The hubs differ in their records, bodies, headers and retry rules, which
//! they pass in; this is the part each of them used to carry a copy of.

use crate::common::{WebhookAnswer, post_json};
use crate::http::HttpClient;
use bytes::Bytes;
use std::time::Duration;

/// What the outbox needs to know of a hub's record.
pub(crate) trait Event {
    /// The hub's id for the thing the event is about (order, partner result).
    fn id(&self) -> &str;
    /// The event's own id, the same on every delivery.
    fn event_id(&self) -> &str;
}

/// A kept event: the record and, once sent, the body it went out with.
#[derive(Debug)]
struct Kept<R> {
    record: R,
    body: Option<Bytes>,
}

/// Every event a simulated hub created, in order of creation.
#[derive(Debug)]
pub(crate) struct Outbox<R> {
    kept: Vec<Kept<R>>,
}

impl<R> Default for Outbox<R> {
    fn default() -> Self {
        Self { kept: Vec::new() }
    }
}

impl<R: Event> Outbox<R> {
    /// Keeps a new event; nothing is sent.
    pub(crate) fn create(&mut self, record: R) {
        self.kept.push(Kept { record, body: None });
    }

    /// The record with this id.
    pub(crate) fn get(&self, id: &str) -> Option<&R> {
        self.records().find(|r| r.id() == id)
    }

    /// The record with this id, to change (a status, the writes it got).
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut R> {
        self.kept.iter_mut().map(|k| &mut k.record).find(|r| r.id() == id)
    }

    /// Whether an event with this id was created.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// Every record, in order of creation.
    pub(crate) fn records(&self) -> impl Iterator<Item = &R> {
        self.kept.iter().map(|k| &k.record)
    }

    /// The event id and the body to send for `id`: built by `build` on the
    /// first send and the same bytes on every later one, so a redelivery is
    /// byte-identical. `None` for an unknown id.
    pub(crate) fn body(&mut self, id: &str, build: impl FnOnce(&R) -> Bytes) -> Option<(String, Bytes)> {
        let kept = self.kept.iter_mut().find(|k| k.record.id() == id)?;
        let body = kept.body.get_or_insert_with(|| build(&kept.record)).clone();
        Some((kept.record.event_id().to_owned(), body))
    }
}

/// Whether and how a delivery that failed with a 5xx or no answer is sent
/// again, the same body each time. [`Default`] never retries (Kombo's and
/// Teamtailor's documents describe no retries to a partner); StackOne's
/// simulator takes one as `StackOneRetry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retry {
    /// Extra attempts after the first.
    pub max_retries: u32,
    /// The wait before each extra attempt.
    pub delay: Duration,
}

impl Retry {
    /// No retries.
    pub fn none() -> Self {
        Self::default()
    }

    /// Up to `max_retries` extra attempts, `delay` apart.
    pub fn times(max_retries: u32, delay: Duration) -> Self {
        Self { max_retries, delay }
    }
}

/// POSTs `body` to `url` with `headers` (after `Content-Type:
/// application/json`) until an answer below 500 or the attempts run out;
/// `record(attempt, &answer)` sees every attempt, numbered from 1. Returns
/// the last answer and how many attempts were made.
pub(crate) async fn send(
    client: &HttpClient,
    url: &str,
    headers: &[(&str, &str)],
    body: &Bytes,
    retry: Retry,
    mut record: impl FnMut(u32, &WebhookAnswer),
) -> (WebhookAnswer, u32) {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let answer = post_json(client, url, headers, body.clone()).await;
        record(attempt, &answer);
        let failed = answer.status.is_none_or(|s| s >= 500);
        if !failed || attempt > retry.max_retries {
            return (answer, attempt);
        }
        tokio::time::sleep(retry.delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Server, SimRequest, SimResponse};
    use std::sync::{Arc, Mutex};

    #[derive(Debug)]
    struct Order {
        id: String,
        event: String,
        version: u32,
    }

    impl Event for Order {
        fn id(&self) -> &str {
            &self.id
        }
        fn event_id(&self) -> &str {
            &self.event
        }
    }

    #[test]
    fn the_body_is_built_once_and_resent_byte_for_byte() {
        let mut outbox = Outbox::default();
        outbox.create(Order { id: "o1".into(), event: "e1".into(), version: 1 });
        let first = outbox.body("o1", |o| Bytes::from(format!("v{}", o.version))).unwrap();
        outbox.get_mut("o1").unwrap().version = 2;
        let again = outbox.body("o1", |o| Bytes::from(format!("v{}", o.version))).unwrap();
        assert_eq!(first, ("e1".to_owned(), Bytes::from("v1")));
        assert_eq!(again, first, "a redelivery is the first body, not a rebuilt one");
        assert!(outbox.body("o2", |_| Bytes::new()).is_none());
        assert_eq!((outbox.records().count(), outbox.contains("o1"), outbox.contains("o2")), (1, true, false));
    }

    #[tokio::test]
    async fn a_5xx_is_retried_as_allowed_and_a_4xx_is_not() {
        let statuses = Arc::new(Mutex::new(vec![503, 500, 200, 409]));
        let seen = Arc::clone(&statuses);
        let server = Server::start_fn(move |_: SimRequest| {
            let status = seen.lock().unwrap().remove(0);
            SimResponse::empty(SimResponse::status_code(status))
        })
        .await
        .unwrap();
        let client = HttpClient::new(Duration::from_secs(5));
        let body = Bytes::from("{}");
        let mut recorded = Vec::new();
        let three = Retry::times(2, Duration::from_millis(1));
        let (answer, n) = send(&client, &server.url(), &[], &body, three, |a, r| recorded.push((a, r.status))).await;
        assert_eq!((answer.status, n), (Some(200), 3));
        assert_eq!(recorded, [(1, Some(503)), (2, Some(500)), (3, Some(200))]);
        let (answer, n) = send(&client, &server.url(), &[], &body, three, |_, _| {}).await;
        assert_eq!((answer.status, n), (Some(409), 1), "a 4xx is an answer, not a failure to retry");
        assert!(statuses.lock().unwrap().is_empty());
    }
}
