//! Reading JSON we received, keeping the sender's key order.
//!
//! `serde_json::Value` without `std` sorts object keys, which would reorder
//! Assessio's subscores, and silently keeps the last of two equal keys, which
//! lets a sender show one value to one parser and another to the next. This
//! reader keeps order and refuses duplicate keys. `serde_json`'s nesting limit
//! (128) still applies, so a deeply nested body is an error, not a stack overflow.
//!
//! Keys and strings borrow from the body when they hold no escapes (nearly
//! always), so reading a body allocates little more than its lists: in
//! WebAssembly each allocation costs several times what it does natively,
//! and they were a fifth of `parse-result` there (`assessio bench`, row 1).

use crate::error::InputError;
use alloc::borrow::Cow;
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value with objects kept in the order received.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// A JSON object's members, in order, keys unique.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Object<'a>(pub(crate) Vec<(Cow<'a, str>, Json<'a>)>);

impl<'a> Object<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl Json<'_> {
    /// How a problem text names this value's type.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::String(_) => "a string",
            Self::Array(_) => "an array",
            Self::Object(_) => "an object",
        }
    }
}

/// Parses `bytes` as a JSON object; `what` names the body in the error.
pub(crate) fn parse_object<'a>(what: &str, bytes: &'a [u8]) -> Result<Object<'a>, InputError> {
    match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Object(o)) => Ok(o),
        Ok(other) => Err(InputError::Malformed(format!("{what} must be a JSON object, not {}", other.kind()))),
        Err(e) => Err(InputError::malformed(what, &e)),
    }
}

/// An optional string member: absent and `null` are `None`, other types are errors.
pub(crate) fn opt_str<'a>(obj: &'a Object<'_>, key: &str) -> Result<Option<&'a str>, InputError> {
    match obj.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(other) => Err(InputError::invalid(key, format!("must be a string, not {}", other.kind()))),
    }
}

/// A required, non-empty string member at `path`.
pub(crate) fn req_str<'a>(obj: &'a Object<'_>, key: &str, path: &str) -> Result<&'a str, InputError> {
    match obj.get(key) {
        None | Some(Json::Null) => Err(InputError::missing(path)),
        Some(Json::String(s)) if s.trim().is_empty() => Err(InputError::missing(path)),
        Some(Json::String(s)) => Ok(s),
        Some(other) => Err(InputError::invalid(path, format!("must be a string, not {}", other.kind()))),
    }
}

/// A required object member at `path`.
pub(crate) fn req_object<'a, 'b>(obj: &'a Object<'b>, key: &str, path: &str) -> Result<&'a Object<'b>, InputError> {
    match obj.get(key) {
        Some(Json::Object(o)) => Ok(o),
        None | Some(Json::Null) => Err(InputError::missing(path)),
        Some(other) => Err(InputError::invalid(path, format!("must be an object, not {}", other.kind()))),
    }
}

/// A nullable string member: absent or `null` is empty. For hub fields such
/// as names that may be missing in the ATS: `build_order` then names them.
pub(crate) fn nullable_str(obj: &Object<'_>, key: &str, path: &str) -> Result<String, InputError> {
    match obj.get(key) {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::String(s)) => Ok(String::from(&**s)),
        Some(other) => Err(InputError::invalid(path, format!("must be a string, not {}", other.kind()))),
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

/// A key, borrowed from the body unless it holds an escape. (serde's own
/// `Cow<str>` always copies.)
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.into())))
    }
    fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

struct JsonVisitor;

/// Up to this many keys an object is checked for duplicates by scanning.
pub(crate) const LINEAR_KEYS: usize = 16;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json<'de>, E> {
        serde_json::Number::from_f64(v).map(Json::Number).ok_or_else(|| E::custom("a number that is not finite"))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v.into())))
    }
    fn visit_string<E>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        // Room for the 5 to 8 members of a typical body up front: serde_json
        // gives no size hint, and growing from empty took two reallocations
        // (3 % of `parse-result` in WebAssembly, `assessio bench` row 1).
        let mut members: Vec<(Cow<'de, str>, Json<'de>)> = Vec::with_capacity(8);
        // Small objects (every body we expect) are checked for duplicates by
        // a scan of the keys so far, which allocates nothing; past
        // `LINEAR_KEYS` a set takes over, keeping the check O(n log n), so
        // a sender cannot burn the deadline with many keys.
        let mut seen: Option<BTreeSet<Cow<'de, str>>> = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let repeated = match &mut seen {
                Some(set) => !set.insert(key.clone()),
                None if members.len() < LINEAR_KEYS => members.iter().any(|(k, _)| *k == key),
                None => {
                    let mut set = BTreeSet::new();
                    for (k, _) in &members {
                        set.insert(k.clone());
                    }
                    let repeated = !set.insert(key.clone());
                    seen = Some(set);
                    repeated
                }
            };
            if repeated {
                return Err(de::Error::custom(format!("the key `{key}` appears twice")));
            }
            let value = map.next_value()?;
            members.push((key, value));
        }
        Ok(Json::Object(Object(members)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_refuses_duplicate_keys() {
        let o = parse_object("body", br#"{"b":1,"a":[true,null,"x",1.5]}"#).unwrap();
        assert_eq!(o.0.iter().map(|(k, _)| &**k).collect::<Vec<_>>(), ["b", "a"]);
        let e = parse_object("body", br#"{"a":1,"a":2}"#).unwrap_err();
        assert!(matches!(&e, InputError::Malformed(m) if m.contains("`a` appears twice")), "{e:?}");
    }

    /// Escaped keys and strings are read into owned text, and a key is the
    /// same key whether it was escaped or not.
    #[test]
    fn escaped_text_is_unescaped_and_compared_as_text() {
        let o = parse_object("body", br#"{"a\u0062":"x\ny","c":"plain"}"#).unwrap();
        assert_eq!(o.get("ab"), Some(&Json::String(Cow::Owned("x\ny".into()))));
        assert!(matches!(o.get("c"), Some(Json::String(Cow::Borrowed("plain")))));
        let e = parse_object("body", br#"{"ab":1,"a\u0062":2}"#).unwrap_err();
        assert!(matches!(&e, InputError::Malformed(m) if m.contains("`ab` appears twice")), "{e:?}");
    }

    /// A duplicate is caught wherever it falls: among the first keys, at
    /// the switch from scanning to the set, and after it.
    #[test]
    fn duplicates_are_caught_on_both_sides_of_the_scan_limit() {
        for n in [1, LINEAR_KEYS - 1, LINEAR_KEYS, LINEAR_KEYS + 1, 3 * LINEAR_KEYS] {
            for dup in [0, n / 2, n - 1] {
                let mut keys: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
                keys.push(format!("\"k{dup}\":0"));
                let body = format!("{{{}}}", keys.join(","));
                let e = parse_object("body", body.as_bytes()).unwrap_err();
                assert!(
                    matches!(&e, InputError::Malformed(m) if m.contains(&format!("`k{dup}` appears twice"))),
                    "{n} {dup}: {e:?}"
                );
                keys.pop();
                let body = format!("{{{}}}", keys.join(","));
                assert_eq!(parse_object("body", body.as_bytes()).unwrap().0.len(), n);
            }
        }
    }

    /// 200,000 distinct keys parse in a blink; the old linear duplicate scan
    /// took seconds at a tenth of this. Counted, not timed: the check is
    /// that every key survives and a late duplicate is still caught.
    #[test]
    fn many_keys_are_checked_for_duplicates_without_a_quadratic_scan() {
        let n = 200_000;
        let members: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{}", i % 101)).collect();
        let body = format!("{{{}}}", members.join(","));
        assert_eq!(parse_object("body", body.as_bytes()).unwrap().0.len(), n);
        let dup = format!("{{{},\"k7\":1}}", members.join(","));
        assert!(
            matches!(parse_object("body", dup.as_bytes()), Err(InputError::Malformed(m)) if m.contains("`k7` appears twice"))
        );
    }

    #[test]
    fn non_objects_and_deep_nesting_are_malformed_not_crashes() {
        assert!(matches!(parse_object("body", b"[1]"), Err(InputError::Malformed(m)) if m.contains("not an array")));
        assert!(matches!(parse_object("body", b""), Err(InputError::Malformed(_))));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(
            matches!(parse_object("body", deep.as_bytes()), Err(InputError::Malformed(m)) if m.contains("recursion"))
        );
    }
}
