//! Records as the client decodes them: every field a string (as on the wire), with
//! the display value beside it where the instance sent one. Every string is
//! sanitised here, where it enters, so nothing downstream can reach the terminal raw.
//! The types are the domain's ([`crate::domain::wire`]); decoding is the client's.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::{Error, Result, snippet};
pub use crate::domain::wire::{Field, Record};
use crate::sanitize::sanitize;

/// Decoding: the record types themselves are the domain's ([`crate::domain::wire`]).
impl Record {
    /// Decodes one record object; any field shape a real instance sends is accepted.
    pub fn from_json(v: &Value) -> Result<Record> {
        let Value::Object(m) = v else {
            return Err(Error::Decode {
                what: "record is not an object".into(),
                snippet: snippet(v.to_string().as_bytes(), 80),
            });
        };
        let mut fields = BTreeMap::new();
        for (k, v) in m {
            fields.insert(sanitize(k).into_owned(), field(v));
        }
        Ok(Record { fields })
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => sanitize(s).into_owned(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => sanitize(&other.to_string()).into_owned(),
    }
}

fn field(v: &Value) -> Field {
    match v {
        Value::Object(o) if o.contains_key("value") || o.contains_key("display_value") => {
            Field { value: o.get("value").map(scalar).unwrap_or_default(), display: o.get("display_value").map(scalar) }
        }
        other => Field { value: scalar(other), display: None },
    }
}

/// Decodes a `{"result": [...]}` list body.
pub fn decode_list(body: &[u8]) -> Result<Vec<Record>> {
    let v = decode_envelope(body)?;
    match v.get("result") {
        Some(Value::Array(items)) => items.iter().map(Record::from_json).collect(),
        _ => Err(Error::Decode { what: "expected {\"result\": [...]}".into(), snippet: snippet(body, 120) }),
    }
}

/// Decodes a `{"result": {...}}` single-record body.
pub fn decode_one(body: &[u8]) -> Result<Record> {
    let v = decode_envelope(body)?;
    match v.get("result") {
        Some(r @ Value::Object(_)) => Record::from_json(r),
        _ => Err(Error::Decode { what: "expected {\"result\": {...}}".into(), snippet: snippet(body, 120) }),
    }
}

/// Parses JSON, telling an HTML page (a hibernating instance, a login page) from garbage.
pub fn decode_envelope(body: &[u8]) -> Result<Value> {
    match super::lenient::parse(body) {
        Ok(v) => Ok(v),
        Err(e) => {
            let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
            let t = head.trim_start();
            if t.starts_with("<!doctype html") || t.starts_with("<html") || t.contains("<body") {
                Err(Error::NotAnInstance {
                    snippet: format!(
                        "an HTML page answered (a hibernating instance or a login page does): {}",
                        snippet(body, 80)
                    ),
                })
            } else {
                Err(Error::Decode { what: e.to_string(), snippet: snippet(body, 120) })
            }
        }
    }
}
