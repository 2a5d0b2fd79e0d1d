//! What the simulator suites (`simulators`, `simulators_hubs`) share: a
//! client, a recording receiver standing in for the connector, and the
//! test side's own HMAC, computed here and not taken from the simulators so
//! a shared mistake cannot make both sides agree.

use assessio_plugin::{Account, Environment, HttpRequest};
use assessio_simulators::{AssessioSim, ClientError, ClientResponse, HttpClient, Server, SimRequest, SimResponse};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A client with a timeout long enough for a loaded machine.
pub fn client() -> HttpClient {
    HttpClient::new(Duration::from_secs(5))
}

/// Sends a request exactly as the connector built it (URL, headers in
/// order, body bytes untouched). Here and not in the simulators' client,
/// which knows nothing of the connector's types.
pub async fn send(request: &HttpRequest) -> Result<ClientResponse, ClientError> {
    let method = http::Method::from_bytes(request.method.as_str().as_bytes())
        .map_err(|e| ClientError::InvalidRequest(e.to_string()))?;
    let headers: Vec<(&str, &str)> = request.headers.iter().map(|h| (h.name.as_str(), h.value.as_str())).collect();
    client().request(method, &request.url, &headers, request.body.clone()).await
}

/// The connector's account for an organisation the simulator holds, pointing
/// at the simulator.
pub fn account(sim: &AssessioSim, provider_key: &str) -> Option<Account> {
    let org = sim.organisation(provider_key)?;
    Some(Account {
        environment: Environment::Custom(sim.url()),
        provider_key: org.provider_key,
        integrator_secret: org.integrator_secret,
    })
}

/// A receiver that records every request and answers with `answer(n)` for
/// the n-th (from 1).
pub async fn receiver(
    answer: impl Fn(usize) -> SimResponse + Send + Sync + 'static,
) -> (Server, Arc<Mutex<Vec<SimRequest>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let server = Server::start_fn(move |req: SimRequest| {
        let n = {
            let mut log = log.lock().unwrap();
            log.push(req);
            log.len()
        };
        answer(n)
    })
    .await
    .unwrap();
    (server, seen)
}

/// A receiver that answers each request with the first answer a test pushed
/// onto the returned queue (one per request it expects), recording them all.
pub async fn queued_receiver() -> (Server, Arc<Mutex<Vec<SimRequest>>>, Arc<Mutex<Vec<SimResponse>>>) {
    let answers = Arc::new(Mutex::new(Vec::<SimResponse>::new()));
    let queue = Arc::clone(&answers);
    let (server, seen) = receiver(move |_| queue.lock().unwrap().remove(0)).await;
    (server, seen, answers)
}

/// HMAC-SHA256 of `data` under `secret`, the raw bytes: each hub's expected
/// signature writes them its own way.
pub fn hmac_sha256(secret: &str, data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}
