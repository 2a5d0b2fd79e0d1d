//! Reading a WASI input stream whole, but never past a limit: request
//! bodies from callers and answers from upstreams alike.

use wasi::io::streams::{InputStream, StreamError};

/// Why a stream was not read whole.
pub enum ReadError {
    /// It went on past the limit.
    TooLarge,
    /// It broke off (the runtime's error, as text).
    Broken(String),
}

/// Everything `stream` yields until it closes; [`ReadError::TooLarge`] as
/// soon as that passes `limit` bytes, so no more than one read's worth past
/// the limit is ever held.
pub fn read_capped(stream: &InputStream, limit: usize) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > limit {
                    return Err(ReadError::TooLarge);
                }
            }
            Err(StreamError::Closed) => return Ok(bytes),
            Err(StreamError::LastOperationFailed(e)) => return Err(ReadError::Broken(e.to_debug_string())),
        }
    }
}
