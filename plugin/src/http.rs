//! The requests the connector hands to its host.
//!
//! The connector decides every byte of a request (URL, headers, body) and the
//! host only sends it. That keeps signing correct: a host that re-encoded the
//! body would break the signature made over it.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// One HTTP header, exactly as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// In the case the receiver documents.
    pub name: String,
    /// Never contains a line break.
    pub value: String,
}

impl Header {
    pub(crate) fn new(name: &str, value: impl Into<String>) -> Self {
        Self { name: name.into(), value: value.into() }
    }
}

/// The methods the connector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// Reads, such as the lens catalog.
    Get,
    /// Orders.
    Post,
    /// Hub write-backs that replace a result.
    Put,
    /// Hub write-backs that amend a result.
    Patch,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
        }
    }
}

/// A complete request, ready to send as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// What to do.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// In the order they should be sent.
    pub headers: Vec<Header>,
    /// Raw body bytes; empty when there is none.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The value of the first header with this name, ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    }
}
