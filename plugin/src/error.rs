//! Why the connector refuses an input.
//!
//! One error type for every input, so a host handles refusals in one place.
//! Every case names the field at fault: a host can point a person at what to
//! fix. No case ever carries a secret's value.

use alloc::string::String;
use core::fmt;
use serde::{Deserialize, Serialize};

/// A field the caller supplied that the connector cannot use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// Dotted path: this crate's kebab-case names for records the host built
    /// (`candidate.email`), the wire's names for JSON the host received
    /// (`subscores.Driving Leadership`).
    pub field: String,
    /// What is wrong, in words a person can act on.
    pub problem: String,
}

/// Why an input was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputError {
    /// Not JSON, or not the JSON object expected: where and why.
    Malformed(String),
    /// A required field is absent, null, or empty after trimming.
    Missing(String),
    /// A field is present but unusable.
    Invalid(FieldProblem),
}

impl InputError {
    /// A present-but-unusable field.
    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Invalid(FieldProblem { field: field.into(), problem: problem.into() })
    }

    /// A required field that is absent or empty.
    pub fn missing(field: impl Into<String>) -> Self {
        Self::Missing(field.into())
    }

    /// Bytes that are not the JSON expected; keeps `serde_json`'s line and column.
    pub(crate) fn malformed(what: &str, err: &serde_json::Error) -> Self {
        Self::Malformed(alloc::format!("{what} is not valid JSON: {err}"))
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => f.write_str(why),
            Self::Missing(field) => write!(f, "`{field}` is required but missing or empty"),
            Self::Invalid(p) => write!(f, "`{}` {}", p.field, p.problem),
        }
    }
}

impl core::error::Error for InputError {}

impl From<FieldProblem> for InputError {
    fn from(p: FieldProblem) -> Self {
        Self::Invalid(p)
    }
}

/// Shorthand for building a path such as `collaborator-emails[2]`.
pub(crate) fn indexed(field: &str, index: usize) -> String {
    alloc::format!("{field}[{index}]")
}
