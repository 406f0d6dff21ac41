//! What can go wrong talking to an instance, in words an operator can act on.
//!
//! No variant carries a credential: the instance URL is stripped of any user info before
//! it reaches a message (see `ClientConfig::new`), and secrets never enter an error.

use std::time::{Duration, SystemTime};

use crate::exit;

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum Error {
    /// 401: the credentials were not accepted.
    #[error("authentication failed ({status}): {message}")]
    Auth { status: u16, message: String },
    /// 403: authenticated, but an ACL (or a data policy) refused the request; nothing was done.
    #[error("not permitted: {message}{}", detail_suffix(detail))]
    Forbidden { message: String, detail: Option<String> },
    /// 400/404 "Requested URI does not represent any resource": the API (a scripted REST
    /// API, a Flow trigger, a plugin) is not on this instance, so nothing was done.
    #[error("not installed or misconfigured: {path}")]
    NotInstalled { path: String },
    /// Too many requests (429). With `until`, the instance announced a long wait (an
    /// hourly rule): the client sends nothing to it before then.
    #[error("rate limited by the instance{}", rate_suffix(retry_after, until))]
    RateLimited { retry_after: Option<Duration>, until: Option<SystemTime> },
    #[error("instance answered {status}: {message}{}", detail_suffix(detail))]
    Server { status: u16, message: String, detail: Option<String> },
    #[error("could not decode the instance's answer ({what}): {snippet}")]
    Decode { what: String, snippet: String },
    #[error("not a ServiceNow instance: {snippet}")]
    NotAnInstance { snippet: String },
    #[error("network: {0}")]
    Network(String),
    /// The TLS handshake failed verification: retrying cannot help, trusting it is the
    /// operator's call.
    #[error(
        "TLS: {0} (the instance's certificate is not trusted; if you trust it, use --insecure or `insecure = true` in the profile)"
    )]
    Tls(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// A call given up on: how long it really waited (every attempt and pause), over how
    /// many attempts, and which deadline ended it.
    #[error("no answer after {}s ({attempts} attempt{}; {which})", elapsed.as_secs(), if *attempts == 1 { "" } else { "s" })]
    TimedOut { elapsed: Duration, attempts: u32, which: String },
    /// A write was sent and no readable answer came back: it may or may not have been
    /// applied. Never retried automatically.
    #[error("outcome unknown: {0}; check the instance before trying again")]
    OutcomeUnknown(String),
    #[error("answer larger than the {limit}-byte limit was refused")]
    TooLarge { limit: usize },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail.as_deref().filter(|d| !d.is_empty()).map(|d| format!(" ({d})")).unwrap_or_default()
}

/// `HH:MM:SS UTC` of a wall-clock time (the console shows instance times in UTC too).
pub fn clock(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).format("%H:%M:%S UTC").to_string()
}

fn rate_suffix(retry_after: &Option<Duration>, until: &Option<SystemTime>) -> String {
    match (until, retry_after) {
        (Some(t), _) => format!(" until {}; nothing is sent to it before then", clock(*t)),
        (None, Some(d)) => format!(" (retry after {}s)", d.as_secs()),
        (None, None) => String::new(),
    }
}

impl Error {
    /// The instance answered and refused this request (a bad filter, a missing record,
    /// no access, an API that is not installed): the request is at fault, not the connection.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Error::Server { status: 400..=499, .. }
                | Error::Forbidden { .. }
                | Error::NotInstalled { .. }
                | Error::NotFound(_)
                | Error::Invalid(_)
        )
    }

    /// Errors after which the same read may succeed soon. A long rate limit is not one:
    /// the client refuses to send until its time.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { until: None, .. }
                | Error::Network(_)
                | Error::Timeout(_)
                | Error::TimedOut { .. }
                | Error::Decode { .. }
                | Error::Server { status: 500..=599, .. }
        )
    }

    /// A write whose effect cannot be known: check the instance, never resend blindly.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown(_))
    }

    /// The CLI exit code: 1 failed (and outcome unknown, rate limited), 2 usage,
    /// 3 authentication, 4 unreachable, 5 not permitted.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Auth { .. } => exit::AUTH,
            Error::Forbidden { .. } => exit::FORBIDDEN,
            Error::Network(_)
            | Error::Tls(_)
            | Error::Timeout(_)
            | Error::TimedOut { .. }
            | Error::NotAnInstance { .. } => exit::UNREACHABLE,
            Error::Invalid(_) => exit::USAGE,
            Error::NotFound(_) => exit::NOT_FOUND,
            _ => exit::FAILED,
        }
    }

    /// A short label for the header's "stale since" line: one line, a few words.
    pub fn short(&self) -> String {
        match self {
            Error::Auth { status, .. } => format!("auth {status}"),
            Error::Forbidden { .. } => "not permitted".into(),
            Error::NotInstalled { .. } => "not installed".into(),
            Error::RateLimited { until: Some(t), .. } => {
                let hm = chrono::DateTime::<chrono::Utc>::from(*t).format("%H:%M UTC");
                format!("rate limited until {hm}")
            }
            Error::RateLimited { .. } => "rate limited".into(),
            Error::Server { status, .. } => format!("HTTP {status}"),
            Error::Decode { .. } => "bad answer".into(),
            Error::NotAnInstance { .. } => "not an instance".into(),
            Error::Network(_) => "unreachable".into(),
            Error::Tls(_) => "untrusted certificate".into(),
            Error::Timeout(_) | Error::TimedOut { .. } => "timeout".into(),
            Error::OutcomeUnknown(_) => "outcome unknown".into(),
            Error::TooLarge { .. } => "answer too large".into(),
            Error::NotFound(_) => "not found".into(),
            Error::Invalid(_) => "invalid".into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// At most `n` chars of `body`, sanitised, for error messages.
pub fn snippet(body: &[u8], n: usize) -> String {
    let s = String::from_utf8_lossy(body);
    let cut: String = s.chars().take(n).collect();
    let more = if s.chars().count() > n { "…" } else { "" };
    format!("{}{more}", crate::sanitize::sanitize(cut.trim()))
}
