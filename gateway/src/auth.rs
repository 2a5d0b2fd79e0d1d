//! Bearer tokens, compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Whether `Authorization: Bearer <token>` carries `expected`. Both sides are
/// hashed first, so neither the comparison's time nor its length check says
/// anything about the expected token.
pub fn bearer_matches(header: Option<&str>, expected: &str) -> bool {
    let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer "))) else {
        return false;
    };
    let (given, wanted) = (Sha256::digest(token.trim().as_bytes()), Sha256::digest(expected.as_bytes()));
    !expected.is_empty() && bool::from(given.ct_eq(&wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_passes() {
        assert!(bearer_matches(Some("Bearer s3cret"), "s3cret"));
        assert!(bearer_matches(Some("bearer s3cret "), "s3cret"));
        for bad in
            [None, Some("s3cret"), Some("Bearer s3cre"), Some("Bearer s3cret2"), Some("Basic s3cret"), Some("Bearer ")]
        {
            assert!(!bearer_matches(bad, "s3cret"), "{bad:?}");
        }
        assert!(!bearer_matches(Some("Bearer "), ""));
    }
}
