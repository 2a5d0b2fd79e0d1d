//! Outbound HTTP with deadlines, on `wasi:http/outgoing-handler` directly.
//!
//! spin-sdk's `http::send` passes no request options, so a send could wait
//! as long as the runtime lets it (minutes), longer than an order may stay
//! "in flight" before it is taken for abandoned. Here every request carries
//! the connect, first-byte and between-bytes deadlines of
//! [`crate::platform`], which Spin and wasmtime-wasi-http both enforce, and
//! every failure says whether the upstream may have seen the request.
//!
//! The calls block: a Spin instance serves one request, and the gateway
//! awaits each send before doing anything else.

use crate::platform::{BETWEEN_BYTES_TIMEOUT_MS, CONNECT_TIMEOUT_MS, FIRST_BYTE_TIMEOUT_MS, Reply, SendError};
use assessio_plugin::HttpRequest;
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasi::io::streams::StreamError;

/// The largest answer read from an upstream: Assessio's and the hubs'
/// answers are a few kilobytes; anything past this is not one of them.
const MAX_REPLY_BYTES: usize = 4 << 20;

/// Bytes handed to the body stream per write (WASI 0.2 allows 4096 per
/// `blocking-write-and-flush`).
const WRITE_CHUNK: usize = 4096;

/// Sends `request` and reads the whole answer.
pub fn send(request: &HttpRequest) -> Result<Reply, SendError> {
    let outgoing = build(request)?;
    let body = outgoing.body().map_err(|()| SendError::not_sent("the request body could not be opened"))?;
    // A body that fits one write goes, finished, before the request is
    // handed over: the runtime's client then has head and body at once and
    // sends them together. Handed over first, the head left alone, and
    // Spin's client (no TCP_NODELAY) held the body until the upstream's
    // delayed ACK, about 40 ms later (docs/performance.md). A larger body
    // must follow the hand-over: the runtime reads it only while sending.
    let (pending, written) = if request.body.len() <= WRITE_CHUNK {
        let written = write_body(body, &request.body);
        (outgoing_handler::handle(outgoing, Some(options()?)).map_err(|e| classify(&e))?, written)
    } else {
        let pending = outgoing_handler::handle(outgoing, Some(options()?)).map_err(|e| classify(&e))?;
        // A write that fails is judged by the answer below.
        (pending, write_body(body, &request.body))
    };
    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(e))) => return Err(classify(&e)),
        Some(Err(())) | None => return Err(SendError::maybe_sent("the answer was lost by the runtime")),
    };
    if let Err(e) = written {
        // An answer came although the body did not go out whole: the
        // upstream answered without reading it (a refusal, a redirect).
        return Err(SendError::maybe_sent(format!(
            "the body was not sent whole ({e}), yet HTTP {} came back",
            response.status()
        )));
    }
    let status = response.status();
    let incoming = response.consume().map_err(|()| SendError::maybe_sent("the answer's body could not be opened"))?;
    let body = read_body(&incoming)?;
    drop(IncomingBody::finish(incoming));
    Ok(Reply { status, body })
}

/// The deadlines, in nanoseconds.
fn options() -> Result<RequestOptions, SendError> {
    let options = RequestOptions::new();
    let ms = |ms: u64| Some(ms * 1_000_000);
    let set = options
        .set_connect_timeout(ms(CONNECT_TIMEOUT_MS))
        .and_then(|()| options.set_first_byte_timeout(ms(FIRST_BYTE_TIMEOUT_MS)))
        .and_then(|()| options.set_between_bytes_timeout(ms(BETWEEN_BYTES_TIMEOUT_MS)));
    set.map_err(|()| SendError::not_sent("the runtime does not take outbound deadlines"))?;
    Ok(options)
}

/// The request for the runtime: method, URL parts, headers and
/// `Content-Length` (so the body goes out in one piece, not chunked).
fn build(request: &HttpRequest) -> Result<OutgoingRequest, SendError> {
    let (scheme, rest) = if let Some(rest) = request.url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else if let Some(rest) = request.url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else {
        return Err(SendError::not_sent("the URL is neither http nor https"));
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = match path {
        "" => "/".to_string(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_string(),
    };
    let mut headers: Vec<(String, Vec<u8>)> =
        request.headers.iter().map(|h| (h.name.clone(), h.value.as_bytes().to_vec())).collect();
    if !request.body.is_empty() || request.method != assessio_plugin::Method::Get {
        headers.push(("content-length".into(), request.body.len().to_string().into_bytes()));
    }
    let fields =
        Fields::from_list(&headers).map_err(|e| SendError::not_sent(format!("a header is not allowed: {e:?}")))?;
    let outgoing = OutgoingRequest::new(fields);
    let method = match request.method {
        assessio_plugin::Method::Get => Method::Get,
        assessio_plugin::Method::Post => Method::Post,
        assessio_plugin::Method::Put => Method::Put,
        assessio_plugin::Method::Patch => Method::Patch,
    };
    let bad = |what: &str| SendError::not_sent(format!("the URL's {what} is not valid"));
    outgoing.set_method(&method).map_err(|()| bad("method"))?;
    outgoing.set_scheme(Some(&scheme)).map_err(|()| bad("scheme"))?;
    outgoing.set_authority(Some(authority)).map_err(|()| bad("host"))?;
    outgoing.set_path_with_query(Some(&path)).map_err(|()| bad("path"))?;
    Ok(outgoing)
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), String> {
    let stream = body.write().map_err(|()| "the body stream could not be opened".to_string())?;
    for chunk in bytes.chunks(WRITE_CHUNK) {
        stream.blocking_write_and_flush(chunk).map_err(|e| stream_error(&e))?;
    }
    drop(stream);
    OutgoingBody::finish(body, None).map_err(|e| format!("{e:?}"))
}

fn read_body(incoming: &IncomingBody) -> Result<Vec<u8>, SendError> {
    let stream =
        incoming.stream().map_err(|()| SendError::maybe_sent("the answer's body stream could not be opened"))?;
    super::stream::read_capped(&stream, MAX_REPLY_BYTES).map_err(|e| match e {
        super::stream::ReadError::TooLarge => {
            SendError::maybe_sent(format!("the answer is over {MAX_REPLY_BYTES} bytes"))
        }
        super::stream::ReadError::Broken(e) => SendError::maybe_sent(format!("the answer broke off: {e}")),
    })
}

fn stream_error(e: &StreamError) -> String {
    match e {
        StreamError::Closed => "the stream closed".into(),
        StreamError::LastOperationFailed(e) => e.to_debug_string(),
    }
}

/// Whether a failure proves the upstream never saw the request: no address,
/// no connection, refused by the runtime's policy, or a TLS handshake that
/// failed (nothing is sent before it completes). Anything later may have
/// been read and acted on.
fn classify(e: &ErrorCode) -> SendError {
    let message = format!("{e:?}");
    match e {
        ErrorCode::DnsTimeout
        | ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionLimitReached
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_)
        | ErrorCode::HttpRequestDenied
        | ErrorCode::HttpRequestUriInvalid
        | ErrorCode::HttpRequestMethodInvalid
        | ErrorCode::HttpRequestHeaderSectionSize(_)
        | ErrorCode::HttpRequestHeaderSize(_) => SendError::not_sent(message),
        _ => SendError::maybe_sent(message),
    }
}
