//! What can go wrong talking to an instance, in words an operator can act on.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum Error {
    #[error("authentication failed ({status}): {message}")]
    Auth { status: u16, message: String },
    #[error("rate limited by the instance{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("instance answered {status}: {message}{}", detail.as_deref().filter(|d| !d.is_empty()).map(|d| format!(" ({d})")).unwrap_or_default())]
    Server { status: u16, message: String, detail: Option<String> },
    #[error("could not decode the instance's answer ({what}): {snippet}")]
    Decode { what: String, snippet: String },
    #[error("not a ServiceNow instance (an HTML page answered, e.g. a hibernating instance): {snippet}")]
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
    #[error("outcome unknown: {0}; check the instance before trying again")]
    OutcomeUnknown(String),
    #[error("answer larger than the {limit}-byte limit was refused")]
    TooLarge { limit: usize },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// The instance answered and refused this request (a bad filter, a missing record,
    /// no access): the request is at fault, not the connection.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Error::Server { status: 400..=499, .. } | Error::NotFound(_) | Error::Invalid(_))
    }

    /// Errors after which the same read may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. }
                | Error::Network(_)
                | Error::Timeout(_)
                | Error::Decode { .. }
                | Error::Server { status: 500..=599, .. }
        )
    }

    /// The CLI exit code for this error: 1 failed, 2 usage, 3 authentication, 4 unreachable.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Auth { .. } => 3,
            Error::Network(_) | Error::Tls(_) | Error::Timeout(_) | Error::NotAnInstance { .. } => 4,
            Error::Invalid(_) => 2,
            _ => 1,
        }
    }

    /// A short label for the header's "stale since" line.
    pub fn short(&self) -> String {
        match self {
            Error::Auth { status, .. } => format!("auth {status}"),
            Error::RateLimited { .. } => "rate limited".into(),
            Error::Server { status, .. } => format!("HTTP {status}"),
            Error::Decode { .. } => "bad answer".into(),
            Error::NotAnInstance { .. } => "not an instance".into(),
            Error::Network(_) => "unreachable".into(),
            Error::Tls(_) => "untrusted certificate".into(),
            Error::Timeout(_) => "timeout".into(),
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
