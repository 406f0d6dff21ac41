//! Reading an instance's answer: which error a status and body mean, what counts as a
//! decoded answer, and how a write whose answer is unreadable is reported.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{Answer, Error, Result, record};
use crate::sanitize::sanitize;

/// `error.message` and `error.detail` of the ServiceNow error envelope
/// (`{"error":{"message","detail"},"status":"failure"}`).
pub fn envelope_message(body: &[u8]) -> (String, Option<String>) {
    let v: Value = super::lenient::parse(body).unwrap_or(Value::Null);
    let err = v.get("error");
    let s = |k: &str| err.and_then(|e| e.get(k)).and_then(Value::as_str).map(|x| sanitize(x).into_owned());
    let message = s("message").or_else(|| err.and_then(Value::as_str).map(|x| sanitize(x).into_owned()));
    (message.unwrap_or_default(), s("detail").filter(|d| !d.is_empty()))
}

/// Whether a non-2xx body is the instance's own error envelope: a decoded refusal.
pub fn has_envelope(body: &[u8]) -> bool {
    super::lenient::parse(body).is_ok_and(|v| v.get("error").is_some_and(|e| e.is_object() || e.is_string()))
}

pub fn auth_error(ans: &Answer) -> Error {
    let (message, _) = envelope_message(&ans.body);
    Error::Auth {
        status: ans.status.as_u16(),
        message: if message.is_empty() { "credentials rejected".into() } else { message },
    }
}

/// The error a non-2xx answer to `path` means; `Ok` for a 2xx.
pub fn check_status(ans: &Answer, path: &str) -> Result<()> {
    let st = ans.status;
    if st.is_success() {
        return Ok(());
    }
    if let Err(e @ Error::NotAnInstance { .. }) = record::decode_envelope(&ans.body) {
        return Err(e);
    }
    // An instance answers a missing table or record with its error envelope; a 404
    // without it on the Table or Aggregate API means the URL is not an instance.
    let instance_api = path.starts_with("/api/now/");
    if st == StatusCode::NOT_FOUND && instance_api && !has_envelope(&ans.body) {
        let body = String::from_utf8_lossy(&ans.body[..ans.body.len().min(80)]).into_owned();
        let snippet = format!("HTTP 404 without ServiceNow's error answer at {}: {}", sanitize(path), sanitize(&body));
        return Err(Error::NotAnInstance { snippet });
    }
    let (message, detail) = envelope_message(&ans.body);
    // What a real instance answers for an API it does not have (a scripted REST API or
    // a trigger that is not installed): 400, sometimes 404, with this message.
    let no_resource = message.to_ascii_lowercase().contains("does not represent any resource");
    if no_resource && matches!(st, StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND) {
        return Err(Error::NotInstalled { path: sanitize(path).into_owned() });
    }
    let message = if message.is_empty() { st.canonical_reason().unwrap_or("error").to_string() } else { message };
    Err(match st.as_u16() {
        401 => Error::Auth { status: 401, message },
        403 => Error::Forbidden { message, detail },
        404 => Error::NotFound(format!("{message}{}", detail.map(|d| format!(": {d}")).unwrap_or_default())),
        429 => Error::RateLimited { retry_after: super::health::retry_after(&ans.headers), until: None },
        s => Error::Server { status: s, message, detail },
    })
}

/// A write was sent and `e` is all that came back: its outcome cannot be known.
pub fn unknown(method: &Method, path: &str, e: &Error) -> Error {
    let why = match e {
        Error::Timeout(d) => format!("no answer came within {}s", d.as_secs_f32()),
        Error::Network(m) => format!("the connection failed before the answer ({m})"),
        Error::Decode { snippet, .. } => format!("the answer could not be read: {snippet}"),
        Error::NotAnInstance { snippet } => format!("something other than the instance answered: {snippet}"),
        Error::TooLarge { limit } => format!("the answer was over the {limit}-byte limit"),
        Error::Server { status, .. } => format!("an unreadable HTTP {status} answered"),
        other => other.to_string(),
    };
    Error::OutcomeUnknown(format!("{method} {} was sent but {why}", sanitize(path)))
}

/// Exponential backoff with jitter; a short rate limit waits what it was told.
pub fn backoff(attempt: u32, last: &Error) -> Duration {
    if let Error::RateLimited { retry_after: Some(d), until: None } = last {
        return (*d).min(super::health::SHORT_RETRY_AFTER);
    }
    let base = 100u64 << attempt.min(6);
    let jitter =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
            as u64)
            % base;
    Duration::from_millis((base + jitter).min(5_000))
}
