//! Checks shared by every input: emails, URLs, header-safe tokens, plain text.
//!
//! Written by hand on purpose: a full URL or email library would multiply the
//! component's size for checks this small, and the rules here are the ones a
//! receiving API actually enforces, not the whole of the RFCs.

use crate::error::InputError;
use crate::scan::scan;
use alloc::string::String;

/// Longest email address SMTP can carry (RFC 5321 path limit).
const MAX_EMAIL: usize = 254;
/// Longest URL accepted anywhere; browsers and proxies agree on far less.
const MAX_URL: usize = 2048;
/// Longest free-text field (titles, names, ids).
pub(crate) const MAX_TEXT: usize = 1024;

/// A required text field, trimmed. Empty after trimming is `missing`; control
/// characters and absurd lengths are `invalid`.
pub(crate) fn required_text<'a>(field: &str, value: &'a str) -> Result<&'a str, InputError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(InputError::missing(field));
    }
    plain_text(field, v)
}

/// Text that goes into a JSON body or onto a screen: no control characters
/// (tab and line breaks excepted in long text is not needed here), bounded.
pub(crate) fn plain_text<'a>(field: &str, v: &'a str) -> Result<&'a str, InputError> {
    if v.len() > MAX_TEXT {
        return Err(InputError::invalid(field, alloc::format!("is longer than {MAX_TEXT} bytes")));
    }
    if has_control(v) {
        return Err(InputError::invalid(field, "contains a control character"));
    }
    Ok(v)
}

/// An email address that mail systems will route: one `@`, a non-empty local
/// part without leading, trailing or doubled dots, and a domain of at least
/// two dot-separated labels of letters, digits and inner hyphens (non-ASCII
/// letters allowed for internationalised domains). Trimmed; never lowercased,
/// because the local part may be case-sensitive.
pub(crate) fn email<'a>(field: &str, value: &'a str) -> Result<&'a str, InputError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(InputError::missing(field));
    }
    let bad = |why: &str| Err(InputError::invalid(field, alloc::format!("is not an email address: {why}")));
    if v.len() > MAX_EMAIL {
        return bad("longer than 254 characters");
    }
    let Some((local, domain)) = v.split_once('@') else {
        return bad("no `@`");
    };
    if domain.contains('@') {
        return bad("more than one `@`");
    }
    if local.is_empty() || local.len() > 64 {
        return bad("the part before `@` must be 1 to 64 characters");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return bad("misplaced dot before `@`");
    }
    if local.chars().any(|c| c.is_whitespace() || c.is_control() || "\"(),:;<>[\\]".contains(c)) {
        return bad("a character not allowed before `@`");
    }
    if !domain.contains('.') {
        return bad("the domain has no dot");
    }
    for label in domain.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && if label.is_ascii() {
                label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            } else {
                label.chars().all(|c| c.is_alphanumeric() || c == '-')
            };
        if !ok {
            return bad("the domain is not a host name");
        }
    }
    Ok(v)
}

/// An absolute `http` or `https` URL with a host, no white space or control
/// characters. `allow_query` is false for base URLs, which get paths appended.
pub(crate) fn http_url<'a>(field: &str, value: &'a str, allow_query: bool) -> Result<&'a str, InputError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(InputError::missing(field));
    }
    let bad = |why: &str| Err(InputError::invalid(field, alloc::format!("is not a usable URL: {why}")));
    if v.len() > MAX_URL {
        return bad("longer than 2048 characters");
    }
    // One pass over the bytes answers every question below but the rare
    // non-ASCII one. In ASCII every white-space character but the space is
    // a control one.
    let found = scan(v.as_bytes());
    if found.space || found.control || (found.non_ascii && v.chars().any(|c| c.is_whitespace() || c.is_control())) {
        return bad("contains white space or a control character");
    }
    let rest = strip_prefix_ignore_case(v, "https://").or_else(|| strip_prefix_ignore_case(v, "http://"));
    let Some(rest) = rest else {
        return bad("must start with http:// or https://");
    };
    let authority_end = rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.contains('@') {
        return bad("must not carry a user name or password");
    }
    if authority.is_empty() || authority.starts_with(':') {
        return bad("has no host");
    }
    if !allow_query && found.query_or_fragment {
        return bad("a base URL takes no query or fragment");
    }
    Ok(v)
}

/// Whether `v` holds a control character (Unicode's `Cc`). Most text is
/// ASCII, and a byte scan of it is several times faster in WebAssembly than
/// decoding characters (measured in `assessio bench`, row 1); only text with
/// a non-ASCII byte is decoded, for the C1 controls (U+0080 to U+009F).
fn has_control(v: &str) -> bool {
    let found = scan(v.as_bytes());
    found.control || (found.non_ascii && v.chars().any(char::is_control))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// A value that goes into an HTTP header as it is: visible ASCII only, so it
/// can neither split the header nor smuggle another. The problem text never
/// repeats the value, which is often a credential.
pub(crate) fn header_token<'a>(field: &str, value: &'a str) -> Result<&'a str, InputError> {
    if value.is_empty() {
        return Err(InputError::missing(field));
    }
    if value.len() > MAX_TEXT {
        return Err(InputError::invalid(field, "is longer than 1024 bytes"));
    }
    let found = scan(value.as_bytes());
    if found.non_ascii || found.control || found.space {
        return Err(InputError::invalid(field, "must be visible ASCII characters without spaces"));
    }
    Ok(value)
}

/// Trims to at most `max` characters on a character boundary, marking the cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    let t = text.trim();
    match t.char_indices().nth(max) {
        None => String::from(t),
        Some((cut, _)) => {
            let mut s = String::from(t[..cut].trim_end());
            s.push('…');
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_that_route_pass_and_the_rest_name_the_field() {
        for ok in ["a@b.se", " jane.doe+tag@mail.example.com ", "ö@bücher.de", "x@a-b.io"] {
            assert_eq!(email("e", ok).unwrap(), ok.trim(), "{ok}");
        }
        assert_eq!(email("e", "  "), Err(InputError::missing("e")));
        for bad in [
            "plain",
            "a@b",
            "a@@b.se",
            "a@b@c.se",
            ".a@b.se",
            "a..b@c.se",
            "a b@c.se",
            "a@-b.se",
            "a@b..se",
            "a@b.se.",
            "<a@b.se>",
            "a@b_c.se",
            "a\n@b.se",
        ] {
            match email("candidate.email", bad) {
                Err(InputError::Invalid(p)) => assert_eq!(p.field, "candidate.email", "{bad}"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        let long = alloc::format!("{}@b.se", "a".repeat(65));
        assert!(email("e", &long).is_err());
    }

    #[test]
    fn urls_need_scheme_host_and_no_spaces() {
        for ok in ["https://x.io/a?b=1", "HTTP://127.0.0.1:8080/r", "https://h"] {
            assert!(http_url("u", ok, true).is_ok(), "{ok}");
        }
        for bad in ["ftp://x", "https://", "https:// x.io", "//x.io", "https://u:p@x.io", "https://:80/"] {
            assert!(http_url("u", bad, true).is_err(), "{bad}");
        }
        assert!(http_url("u", "https://x.io/?a", false).is_err());
        assert!(http_url("u", "https://x.io/#a", false).is_err());
    }

    /// The byte-level fast paths decide as the character-level rules they
    /// replaced, written out here the plain way, on any text.
    mod same_as_char_rules {
        use super::*;
        use proptest::prelude::*;

        fn url_by_chars(v: &str, allow_query: bool) -> bool {
            let v = v.trim();
            if v.is_empty() || v.len() > MAX_URL || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return false;
            }
            let lower = v.to_ascii_lowercase();
            let skip = if lower.starts_with("https://") {
                8
            } else if lower.starts_with("http://") {
                7
            } else {
                return false;
            };
            let rest = &v[skip..];
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            !authority.contains('@')
                && !authority.is_empty()
                && !authority.starts_with(':')
                && (allow_query || !(rest.contains('?') || rest.contains('#')))
        }

        proptest! {
            #[test]
            fn urls(tail in "[a-zA-Z0-9:/?#@. \t\u{a0}\u{85}\u{7f}é-]{0,24}", head in prop::sample::select(vec!["https://", "HTTP://", "ftp://", " http://", ""]), q: bool) {
                let v = alloc::format!("{head}{tail}");
                prop_assert_eq!(http_url("u", &v, q).is_ok(), url_by_chars(&v, q), "{:?}", v);
            }

            #[test]
            fn plain_text_refuses_exactly_control_characters(v in "[a-z \t\n\u{7f}\u{85}\u{9f}\u{a0}é]{0,16}") {
                prop_assert_eq!(plain_text("t", &v).is_ok(), !v.chars().any(char::is_control));
            }
        }
    }

    #[test]
    fn header_tokens_refuse_anything_that_could_split_a_header() {
        assert!(header_token("k", "abc-123_XYZ").is_ok());
        for bad in ["a b", "a\r\nX: y", "ключ", "tab\there"] {
            let err = header_token("k", bad).unwrap_err();
            assert!(!alloc::format!("{err}").contains(bad), "echoed {bad:?}");
        }
        assert_eq!(header_token("k", ""), Err(InputError::missing("k")));
    }

    #[test]
    fn clip_cuts_on_char_boundaries() {
        assert_eq!(clip("  åäö  ", 3), "åäö");
        assert_eq!(clip("åäöü", 3), "åäö…");
    }
}
