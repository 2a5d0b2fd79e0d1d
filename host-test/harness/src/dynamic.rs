//! Calling any exported function by name, with JSON in and JSON out,
//! converted through the component's own type information.
//!
//! The core functions have hand-written conventions (`call.rs`); the hub
//! adapters (`kombo.*`, `teamtailor.*`, `stackone.*`, `hubs.*`) go through
//! here, so a fourth hub's interface is callable from the CLI the moment the
//! component exports it, with no code in the host.
//!
//! The JSON mirrors the WIT: parameters and record fields by their kebab-case
//! names; an `enum` case as a string; a `variant` case as a string when it
//! carries nothing, else `{"case": payload}`; `option` as the value or
//! `null` (an absent parameter or field is `none`); a tuple as an array. Bytes
//! (`list<u8>`) are UTF-8 text under the field's own name, or standard base64
//! under `<name>-base64`. A top-level `result` is the `ok` value; an `err` is
//! reported as a refusal. A missing `now` (`s64`) is this machine's clock.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use wasmtime::component::Val;
use wasmtime::component::types::Type;

/// Why a JSON value does not fit the parameter it was given for. Names the
/// path and the expected shape, never the value (it may be a misplaced secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(pub String);

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(path: &str, what: &str, found: &Value) -> Mismatch {
    Mismatch(format!("`{path}` must be {what}, not {}", kind(found)))
}

fn is_bytes(ty: &Type) -> bool {
    matches!(ty, Type::List(l) if l.ty() == Type::U8)
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
}

/// Reads the members of `obj` named after `fields` (parameters or record
/// fields), refusing members it does not know.
pub fn fields_from_json<'a>(
    path: &str,
    obj: &Map<String, Value>,
    fields: impl Iterator<Item = (&'a str, Type)>,
    now: i64,
) -> Result<Vec<(String, Val)>, Mismatch> {
    let mut known = Vec::new();
    let mut out = Vec::new();
    for (name, ty) in fields {
        let b64 = format!("{name}-base64");
        let here = join(path, name);
        let val = match (obj.get(name), obj.get(&b64)) {
            (Some(_), Some(_)) => return Err(Mismatch(format!("give `{here}` or `{here}-base64`, not both"))),
            (None, Some(v)) if is_bytes(&ty) => {
                let Value::String(s) = v else { return Err(expected(&format!("{here}-base64"), "a string", v)) };
                let bytes =
                    BASE64.decode(s.trim()).map_err(|_| Mismatch(format!("`{here}-base64` is not standard base64")))?;
                Val::List(bytes.into_iter().map(Val::U8).collect())
            }
            (Some(v), None) => from_json(&here, v, &ty)?,
            (None, _) => match ty {
                Type::Option(_) => Val::Option(None),
                Type::S64 if name == "now" && path.is_empty() => Val::S64(now),
                _ => return Err(Mismatch(format!("`{here}` is required"))),
            },
        };
        known.push(name.to_string());
        if is_bytes(&ty) {
            known.push(b64);
        }
        out.push((name.to_string(), val));
    }
    if let Some(extra) = obj.keys().find(|k| !known.contains(k)) {
        return Err(Mismatch(format!("`{}` is not a field here; the fields are: {}", join(path, extra), {
            let names: Vec<&str> = known.iter().map(String::as_str).filter(|k| !k.ends_with("-base64")).collect();
            names.join(", ")
        })));
    }
    Ok(out)
}

fn int<T: TryFrom<i128>>(path: &str, v: &Value, what: &str) -> Result<T, Mismatch> {
    let n = v.as_i64().map(i128::from).or_else(|| v.as_u64().map(i128::from));
    n.and_then(|n| T::try_from(n).ok()).ok_or_else(|| match v {
        Value::Number(_) => Mismatch(format!("`{path}` must be {what}; the number given is out of range")),
        _ => expected(path, what, v),
    })
}

/// One JSON value as a component value of type `ty`.
pub fn from_json(path: &str, v: &Value, ty: &Type) -> Result<Val, Mismatch> {
    Ok(match ty {
        Type::Bool => Val::Bool(v.as_bool().ok_or_else(|| expected(path, "true or false", v))?),
        Type::U8 => Val::U8(int(path, v, "a whole number from 0 to 255")?),
        Type::U16 => Val::U16(int(path, v, "a whole number from 0 to 65535")?),
        Type::U32 => Val::U32(int(path, v, "a whole number from 0 to 4294967295")?),
        Type::U64 => Val::U64(int(path, v, "a whole number from 0")?),
        Type::S8 => Val::S8(int(path, v, "a whole number from -128 to 127")?),
        Type::S16 => Val::S16(int(path, v, "a 16-bit whole number")?),
        Type::S32 => Val::S32(int(path, v, "a 32-bit whole number")?),
        Type::S64 => Val::S64(int(path, v, "a whole number (Unix seconds for a time)")?),
        // A subscore (`f64`): any JSON number, which is always finite.
        Type::Float64 => Val::Float64(v.as_f64().ok_or_else(|| expected(path, "a number", v))?),
        Type::String => Val::String(v.as_str().ok_or_else(|| expected(path, "a string", v))?.to_string()),
        Type::List(_) if is_bytes(ty) => match v {
            Value::String(s) => Val::List(s.bytes().map(Val::U8).collect()),
            Value::Array(items) => Val::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, b)| int(&format!("{path}[{i}]"), b, "a byte (0 to 255)").map(Val::U8))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(expected(path, "text (or an array of bytes)", v)),
        },
        Type::List(l) => {
            let Value::Array(items) = v else { return Err(expected(path, "an array", v)) };
            let inner = l.ty();
            Val::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| from_json(&format!("{path}[{i}]"), item, &inner))
                    .collect::<Result<_, _>>()?,
            )
        }
        Type::Record(r) => {
            let Value::Object(obj) = v else { return Err(expected(path, "an object", v)) };
            Val::Record(fields_from_json(path, obj, r.fields().map(|f| (f.name, f.ty)), 0)?)
        }
        Type::Tuple(t) => {
            let Value::Array(items) = v else { return Err(expected(path, "an array", v)) };
            let types: Vec<Type> = t.types().collect();
            if items.len() != types.len() {
                return Err(Mismatch(format!("`{path}` must be an array of {} items", types.len())));
            }
            Val::Tuple(
                items
                    .iter()
                    .zip(&types)
                    .enumerate()
                    .map(|(i, (item, ty))| from_json(&format!("{path}[{i}]"), item, ty))
                    .collect::<Result<_, _>>()?,
            )
        }
        Type::Enum(e) => {
            let names: Vec<&str> = e.names().collect();
            match v.as_str() {
                Some(s) if names.contains(&s) => Val::Enum(s.to_string()),
                _ => return Err(Mismatch(format!("`{path}` must be one of {}", quoted(&names)))),
            }
        }
        Type::Variant(var) => {
            let cases: Vec<(String, Option<Type>)> = var.cases().map(|c| (c.name.to_string(), c.ty)).collect();
            let names: Vec<&str> = cases.iter().map(|(n, _)| n.as_str()).collect();
            let bad = || {
                Mismatch(format!(
                    "`{path}` must be one of {} (a case with a value as {{\"case\": value}})",
                    quoted(&names)
                ))
            };
            let (name, payload) = match v {
                Value::String(s) => (s.as_str(), None),
                Value::Object(o) if o.len() == 1 => {
                    o.iter().next().map(|(k, p)| (k.as_str(), Some(p))).ok_or_else(bad)?
                }
                _ => return Err(bad()),
            };
            let (case, ty) = cases.iter().find(|(n, _)| n == name).ok_or_else(bad)?;
            let payload = match (ty, payload) {
                (None, None) => None,
                (Some(ty), Some(p)) => Some(Box::new(from_json(&join(path, case), p, ty)?)),
                (Some(_), None) => {
                    return Err(Mismatch(format!("`{path}` case `{case}` needs a value: {{\"{case}\": …}}")));
                }
                (None, Some(_)) => return Err(Mismatch(format!("`{path}` case `{case}` takes no value"))),
            };
            Val::Variant(case.clone(), payload)
        }
        Type::Option(o) => match v {
            Value::Null => Val::Option(None),
            other => Val::Option(Some(Box::new(from_json(path, other, &o.ty())?))),
        },
        other => return Err(Mismatch(format!("`{path}` has a type this host cannot take as JSON ({other:?})"))),
    })
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

fn bytes_of(items: &[Val]) -> Vec<u8> {
    items.iter().filter_map(|b| if let Val::U8(b) = b { Some(*b) } else { None }).collect()
}

/// Puts `val` into `obj` under `name`, bytes as text or as `<name>-base64`.
fn insert(obj: &mut Map<String, Value>, name: &str, val: &Val, ty: &Type) {
    if let (Val::List(items), true) = (val, is_bytes(ty)) {
        let bytes = bytes_of(items);
        match String::from_utf8(bytes) {
            Ok(text) => obj.insert(name.to_string(), Value::String(text)),
            Err(e) => obj.insert(format!("{name}-base64"), Value::String(BASE64.encode(e.as_bytes()))),
        };
    } else {
        obj.insert(name.to_string(), to_json(val, ty));
    }
}

/// One component value of type `ty` as JSON (the inverse of [`from_json`]).
pub fn to_json(val: &Val, ty: &Type) -> Value {
    match (val, ty) {
        (Val::Bool(b), _) => json!(b),
        (Val::U8(n), _) => json!(n),
        (Val::U16(n), _) => json!(n),
        (Val::U32(n), _) => json!(n),
        (Val::U64(n), _) => json!(n),
        (Val::S8(n), _) => json!(n),
        (Val::S16(n), _) => json!(n),
        (Val::S32(n), _) => json!(n),
        (Val::S64(n), _) => json!(n),
        (Val::Float32(n), _) => json!(n),
        // An integral value prints as an integer (`73`, not `73.0`), as the
        // plugin writes it to JSON itself.
        (Val::Float64(n), _) => float_json(*n),
        (Val::Char(c), _) => json!(c.to_string()),
        (Val::String(s), _) => json!(s),
        (Val::List(items), t) if is_bytes(t) => {
            let bytes = bytes_of(items);
            match String::from_utf8(bytes) {
                Ok(text) => Value::String(text),
                Err(e) => json!({ "base64": BASE64.encode(e.as_bytes()) }),
            }
        }
        (Val::List(items), Type::List(l)) => {
            let inner = l.ty();
            Value::Array(items.iter().map(|i| to_json(i, &inner)).collect())
        }
        (Val::Record(fields), Type::Record(r)) => {
            let mut obj = Map::new();
            for ((name, v), f) in fields.iter().zip(r.fields()) {
                insert(&mut obj, name, v, &f.ty);
            }
            Value::Object(obj)
        }
        (Val::Tuple(items), Type::Tuple(t)) => {
            Value::Array(items.iter().zip(t.types()).map(|(v, t)| to_json(v, &t)).collect())
        }
        (Val::Enum(name), _) => json!(name),
        (Val::Variant(name, payload), Type::Variant(v)) => match payload {
            None => json!(name),
            Some(p) => {
                let ty = v.cases().find(|c| c.name == name).and_then(|c| c.ty);
                let inner = ty.map_or(Value::Null, |t| to_json(p, &t));
                json!({ name.clone(): inner })
            }
        },
        (Val::Option(None), _) => Value::Null,
        (Val::Option(Some(v)), Type::Option(o)) => to_json(v, &o.ty()),
        (Val::Result(r), Type::Result(t)) => match r {
            Ok(v) => json!({ "ok": v.as_ref().zip(t.ok()).map_or(Value::Null, |(v, t)| to_json(v, &t)) }),
            Err(v) => json!({ "error": v.as_ref().zip(t.err()).map_or(Value::Null, |(v, t)| to_json(v, &t)) }),
        },
        (other, _) => json!(format!("{other:?}")),
    }
}

/// A float as JSON: an integer when it is one (and exactly representable),
/// so whole-number subscores print as they arrived; `null` when not finite,
/// as `serde_json` writes it.
fn float_json(n: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss, clippy::float_cmp)]
    let whole = (n.is_finite() && n.abs() <= EXACT && (n as i64) as f64 == n).then_some(n as i64);
    whole.map_or_else(|| json!(n), |i| json!(i))
}

/// A type as a reader would write its JSON, for `assessio functions`.
pub fn describe(ty: &Type, depth: usize) -> String {
    match ty {
        Type::Bool => "true|false".into(),
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => "N".into(),
        Type::S8 | Type::S16 | Type::S32 | Type::S64 => "INT".into(),
        Type::Float32 | Type::Float64 => "NUMBER".into(),
        Type::String => "\"...\"".into(),
        Type::List(_) if is_bytes(ty) => "\"text\"".into(),
        Type::List(l) => format!("[{}, ...]", describe(&l.ty(), depth)),
        Type::Option(o) => format!("{}|null", describe(&o.ty(), depth)),
        Type::Enum(e) => e.names().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join("|"),
        Type::Variant(v) => v
            .cases()
            .map(|c| match c.ty {
                None => format!("\"{}\"", c.name),
                Some(t) => format!("{{\"{}\": {}}}", c.name, describe(&t, depth + 1)),
            })
            .collect::<Vec<_>>()
            .join("|"),
        Type::Tuple(t) => format!("[{}]", t.types().map(|t| describe(&t, depth)).collect::<Vec<_>>().join(", ")),
        Type::Record(r) if depth > 2 => {
            let names: Vec<String> = r.fields().map(|f| format!("\"{}\"", f.name)).collect();
            format!("{{{}: ...}}", names.join(", "))
        }
        Type::Record(r) => {
            let mut s = String::from("{");
            for (i, f) in r.fields().enumerate() {
                let _ = write!(s, "{}\"{}\": {}", if i == 0 { "" } else { ", " }, f.name, describe(&f.ty, depth + 1));
            }
            s.push('}');
            s
        }
        Type::Result(r) => format!(
            "ok: {} / error: {}",
            r.ok().map_or("null".into(), |t| describe(&t, depth)),
            r.err().map_or("null".into(), |t| describe(&t, depth))
        ),
        other => format!("{other:?}"),
    }
}
