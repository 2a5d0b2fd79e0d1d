//! Reading Assessio's result webhook: what a candidate scored.

use crate::error::InputError;
use crate::json::{self, Json, Object};
use crate::validate;
use alloc::borrow::Cow;
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// One competency's score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscore {
    /// The competency.
    pub name: String,
    /// As Assessio sent it: any finite number (see [`SubscoreValue`]).
    pub score: SubscoreValue,
}

/// A subscore's value. Seed 001 bounds only the overall `score` (an integer
/// from 0 to 100); `subscores` is an object whose values it does not bound,
/// so a fractional or out-of-range subscore is Assessio's to send and ours to
/// pass on. Refusing one would refuse the whole result, and Assessio would
/// retry it for 36 hours and then drop it.
///
/// A newtype rather than a bare `f64` for three reasons:
/// - it serialises an integral value as a JSON integer (`73`, not `73.0`)
///   and [`Display`](core::fmt::Display)s it without a fraction, so every
///   write-back of a whole-number result keeps today's bytes;
/// - it is `Eq` and `Ord` honestly, by [`f64::total_cmp`] (with `-0.0` read
///   as `0.0`), so results stay comparable and sortable;
/// - a non-finite value (only a host can hand one in, through the WIT's
///   `f64`) is representable but reported by [`SubscoreValue::is_finite`],
///   for each write-back to refuse by name; it serialises as `null`, as
///   `serde_json` writes a non-finite float, so serialising never fails.
#[derive(Debug, Clone, Copy)]
pub struct SubscoreValue(f64);

impl From<f64> for SubscoreValue {
    fn from(value: f64) -> Self {
        Self::new(value)
    }
}

impl From<SubscoreValue> for f64 {
    fn from(value: SubscoreValue) -> Self {
        value.get()
    }
}

impl SubscoreValue {
    /// The largest magnitude below which every integer is an exact `f64`
    /// (2^53): integral values up to it are written as JSON integers.
    const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

    /// Wraps `value`; `-0.0` becomes `0.0`, so equal numbers compare equal.
    pub fn new(value: f64) -> Self {
        Self(if value == 0.0 { 0.0 } else { value })
    }

    /// The number.
    pub fn get(self) -> f64 {
        self.0
    }

    /// Whether the value is a number JSON can carry (not NaN or infinite).
    pub fn is_finite(self) -> bool {
        self.0.is_finite()
    }

    /// The value as an integer when it is one (and exactly representable).
    // The casts are the integrality test itself: within ±2^53 an `f64` is
    // whole exactly when it survives the round trip through `i64`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss, clippy::float_cmp)]
    pub fn as_integer(self) -> Option<i64> {
        let f = self.0;
        let whole = f as i64;
        (f.is_finite() && f.abs() <= Self::EXACT_INTEGERS && whole as f64 == f).then_some(whole)
    }
}

impl From<u8> for SubscoreValue {
    fn from(value: u8) -> Self {
        Self(f64::from(value))
    }
}

impl PartialEq for SubscoreValue {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq()
    }
}

impl Eq for SubscoreValue {}

impl PartialOrd for SubscoreValue {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SubscoreValue {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl core::fmt::Display for SubscoreValue {
    /// `73` for an integral value, `72.5` otherwise (Rust's shortest
    /// round-trip form, which never uses an exponent).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Through the numbers' own `Display`, so width and alignment apply.
        match self.as_integer() {
            Some(i) => core::fmt::Display::fmt(&i, f),
            None => core::fmt::Display::fmt(&self.0, f),
        }
    }
}

impl Serialize for SubscoreValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.as_integer() {
            Some(i) => serializer.serialize_i64(i),
            None => serializer.serialize_f64(self.0),
        }
    }
}

impl<'de> Deserialize<'de> for SubscoreValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(Self::new)
    }
}

/// A result as Assessio delivers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AssessmentResult {
    /// The id the host gave with the order.
    pub result_id: String,
    /// Overall fit, 0 to 100, when sent.
    pub score: Option<u8>,
    /// In Assessio's order.
    pub subscores: Vec<Subscore>,
    /// The recruitment page in Assessio.
    pub recruitment_url: Option<String>,
    /// The candidate's report in Assessio.
    pub report_url: Option<String>,
}

/// A score must be a whole number from 0 to 100. JSON Schema counts `71.0` as
/// an integer, and so does this; `71.5`, `-1`, `101` and `"71"` are errors.
fn score_value(path: &str, value: &Json) -> Result<u8, InputError> {
    let Json::Number(n) = value else {
        return Err(InputError::invalid(path, format!("must be a number from 0 to 100, not {}", value.kind())));
    };
    // `f64::fract` is std-only; a round trip through u64 is the no_std test.
    // The exact float comparison is the point: 71.0 is whole, 70.5 is not.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss, clippy::float_cmp)]
    let whole = n.as_u64().or_else(|| {
        let f = n.as_f64()?;
        let w = f as u64;
        ((0.0..=100.0).contains(&f) && w as f64 == f).then_some(w)
    });
    match whole {
        Some(w) if w <= 100 => Ok(crate::never_fails(u8::try_from(w), "at most 100")),
        Some(_) => Err(InputError::invalid(path, format!("is {n}, above the maximum of 100"))),
        None if n.as_f64().is_some_and(|f| f < 0.0) => {
            Err(InputError::invalid(path, format!("is {n}, below the minimum of 0")))
        }
        None => Err(InputError::invalid(path, format!("is {n}, not a whole number"))),
    }
}

/// A subscore is any finite JSON number (see [`SubscoreValue`]); anything
/// else (a string, a boolean, `null`) is refused, naming the competency.
fn subscore_value(path: &str, value: &Json) -> Result<SubscoreValue, InputError> {
    match value {
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => Ok(SubscoreValue::new(f)),
            _ => Err(InputError::invalid(path, format!("is {n}, not a finite number"))),
        },
        other => Err(InputError::invalid(path, format!("must be a number, not {}", other.kind()))),
    }
}

fn url(obj: &Object, key: &str) -> Result<Option<String>, InputError> {
    json::opt_str(obj, key)?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| validate::http_url(key, s, true).map(String::from))
        .transpose()
}

/// The `subscores` object, in Assessio's order. Competencies whose names
/// differ only in surrounding spaces are the same competency, refused as a
/// duplicate: the JSON reader has refused keys repeated as sent. Like the
/// reader, a scan of the names so far checks small objects (nothing to
/// allocate), and past [`json::LINEAR_KEYS`] a set takes over, so a body of
/// many thousand competencies cannot burn the deadline on the check.
fn subscores(members: &Object<'_>) -> Result<Vec<Subscore>, InputError> {
    let mut out: Vec<Subscore> = Vec::with_capacity(members.0.len());
    // `Cow` keys inserted one by one, as the JSON reader builds its set, so
    // the component carries one copy of `BTreeSet`'s code: a set of `&str`,
    // or one built by `collect`, added 9 to 12 KB.
    let mut set: Option<BTreeSet<Cow<'_, str>>> = None;
    for (sent, v) in &members.0 {
        // The path `subscores.<name as sent>` is written only when there is
        // an error to name it in.
        let at = |e: InputError| match e {
            InputError::Invalid(p) => InputError::invalid(format!("subscores.{sent}"), p.problem),
            other => other,
        };
        let name = sent.trim();
        if name.is_empty() {
            return Err(InputError::invalid("subscores", "has a competency with an empty name"));
        }
        let repeated = match &mut set {
            Some(set) => !set.insert(Cow::Borrowed(name)),
            None if out.len() < json::LINEAR_KEYS => out.iter().any(|s| s.name == name),
            None => {
                let mut names = BTreeSet::new();
                for (k, _) in &members.0[..out.len()] {
                    names.insert(Cow::Borrowed(k.trim()));
                }
                let repeated = !names.insert(Cow::Borrowed(name));
                set = Some(names);
                repeated
            }
        };
        if repeated {
            return Err(at(InputError::invalid("", "names a competency twice (ignoring spaces)")));
        }
        let name = validate::plain_text("", name).map_err(at)?;
        out.push(Subscore { name: name.into(), score: subscore_value("", v).map_err(at)? });
    }
    Ok(out)
}

/// Reads a result webhook body. Unknown members are ignored (Assessio may add
/// some); members it documents are checked strictly.
pub fn parse_result(body: &[u8]) -> Result<AssessmentResult, InputError> {
    let obj = json::parse_object("the result body", body)?;
    let result_id = validate::plain_text("resultId", json::req_str(&obj, "resultId", "resultId")?.trim())?;
    let score = match obj.get("score") {
        None | Some(Json::Null) => None,
        Some(v) => Some(score_value("score", v)?),
    };
    let subscores = match obj.get("subscores") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Object(members)) => subscores(members)?,
        Some(other) => {
            return Err(InputError::invalid("subscores", format!("must be an object, not {}", other.kind())));
        }
    };
    Ok(AssessmentResult {
        result_id: result_id.into(),
        score,
        subscores,
        recruitment_url: url(&obj, "recruitmentUrl")?,
        report_url: url(&obj, "assessmentReportUrl")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscore_names_that_differ_only_in_spaces_are_refused() {
        let e = parse_result(br#"{"resultId":"r","subscores":{"A":1," A":2}}"#).unwrap_err();
        assert_eq!(e, InputError::invalid("subscores. A", "names a competency twice (ignoring spaces)"));
    }
    use proptest::prelude::*;

    /// A space-padded repeat is caught wherever it falls: among the first
    /// names, at the switch from scanning to the set, and after it; and a
    /// body of 100,000 competencies is read whole (counted, not timed: a
    /// quadratic check would run into the host's deadline instead).
    #[test]
    fn repeated_names_are_caught_on_both_sides_of_the_scan_limit() {
        let body = |names: &[String]| {
            let members: Vec<String> = names.iter().map(|n| format!("\"{n}\":1")).collect();
            format!(r#"{{"resultId":"r","subscores":{{{}}}}}"#, members.join(","))
        };
        let limit = json::LINEAR_KEYS;
        for n in [1, limit - 1, limit, limit + 1, 3 * limit] {
            for dup in [0, n / 2, n - 1] {
                let mut names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
                assert_eq!(parse_result(body(&names).as_bytes()).unwrap().subscores.len(), n);
                names.push(format!(" c{dup} "));
                let e = parse_result(body(&names).as_bytes()).unwrap_err();
                assert_eq!(
                    e,
                    InputError::invalid(format!("subscores. c{dup} "), "names a competency twice (ignoring spaces)"),
                    "{n} {dup}"
                );
            }
        }
        let many: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
        assert_eq!(parse_result(body(&many).as_bytes()).unwrap().subscores.len(), 100_000);
    }

    /// The example in Assessio's API reference (seed 001).
    const SEED_RESULT: &str = r#"{"resultId":"6ef46985-9ca2-4c65-a184-47fa0d332246","score":71,"subscores":{"Driving Leadership":73,"Influencing & Inspiring":68}}"#;

    #[test]
    fn reads_the_seed_example_keeping_subscore_order() {
        let r = parse_result(SEED_RESULT.as_bytes()).unwrap();
        assert_eq!(r.result_id, "6ef46985-9ca2-4c65-a184-47fa0d332246");
        assert_eq!(r.score, Some(71));
        assert_eq!(
            r.subscores,
            [
                Subscore { name: "Driving Leadership".into(), score: 73.into() },
                Subscore { name: "Influencing & Inspiring".into(), score: 68.into() },
            ]
        );
        assert_eq!((r.recruitment_url, r.report_url), (None, None));
    }

    #[test]
    fn urls_and_integral_floats_are_read() {
        let r = parse_result(
            br#"{"resultId":"r","score":100.0,"subscores":{"B":0,"A":1},"recruitmentUrl":"https://app.assessio.online/r/1","assessmentReportUrl":"https://app.assessio.online/rep/2","extra":true}"#,
        )
        .unwrap();
        assert_eq!(r.score, Some(100));
        assert_eq!(r.subscores[0].name, "B");
        assert_eq!(r.recruitment_url.as_deref(), Some("https://app.assessio.online/r/1"));
        assert_eq!(r.report_url.as_deref(), Some("https://app.assessio.online/rep/2"));
    }

    #[test]
    fn every_bad_field_is_a_typed_error_naming_it() {
        let invalid = |f: &str, p: &str| InputError::invalid(f, p);
        let cases = [
            (r#"{"score":7}"#, InputError::missing("resultId")),
            (r#"{"resultId":""}"#, InputError::missing("resultId")),
            (r#"{"resultId":null}"#, InputError::missing("resultId")),
            (r#"{"resultId":5}"#, invalid("resultId", "must be a string, not a number")),
            (r#"{"resultId":"r","score":101}"#, invalid("score", "is 101, above the maximum of 100")),
            (r#"{"resultId":"r","score":-1}"#, invalid("score", "is -1, below the minimum of 0")),
            (r#"{"resultId":"r","score":70.5}"#, invalid("score", "is 70.5, not a whole number")),
            (r#"{"resultId":"r","score":"71"}"#, invalid("score", "must be a number from 0 to 100, not a string")),
            (r#"{"resultId":"r","subscores":[1]}"#, invalid("subscores", "must be an object, not an array")),
            (
                r#"{"resultId":"r","subscores":{"Grit":true}}"#,
                invalid("subscores.Grit", "must be a number, not a boolean"),
            ),
            (r#"{"resultId":"r","subscores":{"Grit":null}}"#, invalid("subscores.Grit", "must be a number, not null")),
            (
                r#"{"resultId":"r","subscores":{"Grit":"71"}}"#,
                invalid("subscores.Grit", "must be a number, not a string"),
            ),
            (r#"{"resultId":"r","subscores":{" ":1}}"#, invalid("subscores", "has a competency with an empty name")),
            (
                r#"{"resultId":"r","assessmentReportUrl":"javascript:alert(1)"}"#,
                invalid("assessmentReportUrl", "is not a usable URL: must start with http:// or https://"),
            ),
            (r#"{"resultId":"r","recruitmentUrl":3}"#, invalid("recruitmentUrl", "must be a string, not a number")),
        ];
        for (body, want) in cases {
            assert_eq!(parse_result(body.as_bytes()), Err(want), "{body}");
        }
        assert!(matches!(parse_result(b"not json"), Err(InputError::Malformed(m)) if m.contains("line 1")));
        assert!(matches!(parse_result(br#"{"resultId":"a","resultId":"b"}"#), Err(InputError::Malformed(_))));
    }

    /// Seed 001 bounds only `score`; subscores are whatever numbers Assessio
    /// sends. Before, one of these refused the whole result, and Assessio
    /// retried it for 36 hours and dropped it.
    #[test]
    fn fractional_and_out_of_range_subscores_are_kept_as_sent() {
        let r = parse_result(
            br#"{"resultId":"r","score":71,"subscores":{"A":72.5,"B":-3,"C":250,"D":1e2,"E":0.1,"F":-0.0}}"#,
        )
        .unwrap();
        let got: Vec<f64> = r.subscores.iter().map(|s| s.score.get()).collect();
        assert_eq!(got, [72.5, -3.0, 250.0, 100.0, 0.1, 0.0]);
        // Integral values are written back as JSON integers, so a whole-number
        // result keeps today's bytes; fractions stay fractions.
        let written: Vec<String> = r.subscores.iter().map(|s| serde_json::to_string(&s.score).unwrap()).collect();
        assert_eq!(written, ["72.5", "-3", "250", "100", "0.1", "0"]);
        let shown: Vec<String> = r.subscores.iter().map(|s| alloc::format!("{}", s.score)).collect();
        assert_eq!(shown, ["72.5", "-3", "250", "100", "0.1", "0"]);
        // The overall score keeps its documented bounds.
        assert!(parse_result(br#"{"resultId":"r","score":70.5}"#).is_err());
    }

    #[test]
    fn subscore_values_compare_totally_and_flag_what_json_cannot_carry() {
        assert_eq!(SubscoreValue::new(-0.0), SubscoreValue::from(0));
        assert!(SubscoreValue::new(72.5) > SubscoreValue::from(72));
        assert_eq!(SubscoreValue::new(f64::NAN), SubscoreValue::new(f64::NAN), "Eq is reflexive, even for NaN");
        assert!(!SubscoreValue::new(f64::INFINITY).is_finite());
        assert_eq!(serde_json::to_string(&SubscoreValue::new(f64::NAN)).unwrap(), "null");
        assert_eq!(SubscoreValue::new(1e300).as_integer(), None, "beyond 2^53 it stays a float");
        let back: SubscoreValue = serde_json::from_str("73").unwrap();
        assert_eq!(back, SubscoreValue::from(73));
    }

    proptest! {
        /// Any number as a scorer writes one (an integer, or a decimal with
        /// up to two places, far outside 0..100 too) is read as sent and
        /// written back as the same JSON text (an integer when it is one).
        #[test]
        fn any_subscore_round_trips_to_the_same_text(hundredths in -10_000_000_i64..10_000_000) {
            #[allow(clippy::cast_precision_loss)]
            let value = hundredths as f64 / 100.0;
            let text = serde_json::to_string(&SubscoreValue::new(value)).unwrap();
            let body = format!(r#"{{"resultId":"r","subscores":{{"A":{text}}}}}"#);
            let r = parse_result(body.as_bytes()).unwrap();
            prop_assert_eq!(r.subscores[0].score, SubscoreValue::new(value));
            prop_assert_eq!(serde_json::to_string(&r.subscores[0].score).unwrap(), text.clone());
            prop_assert_eq!(text.contains('.'), hundredths % 100 != 0, "integral values are written as integers");
        }

        #[test]
        fn scores_in_range_round_trip(score in 0u8..=100, subs in proptest::collection::vec(("[A-Za-z &]{1,20}", 0u8..=100), 0..8)) {
            let mut seen = alloc::collections::BTreeSet::new();
            let subs: Vec<(String, u8)> = subs.into_iter().filter(|(n, _)| !n.trim().is_empty() && seen.insert(n.trim().to_string())).collect();
            let members: Vec<String> = subs.iter().map(|(n, s)| format!("{}:{s}", serde_json::to_string(n).unwrap())).collect();
            let body = format!(r#"{{"resultId":"id","score":{score},"subscores":{{{}}}}}"#, members.join(","));
            let r = parse_result(body.as_bytes()).unwrap();
            prop_assert_eq!(r.score, Some(score));
            let got: Vec<(String, SubscoreValue)> = r.subscores.into_iter().map(|s| (s.name, s.score)).collect();
            let want: Vec<(String, SubscoreValue)> = subs.into_iter().map(|(n, s)| (n.trim().into(), s.into())).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_result(&body);
        }
    }
}
