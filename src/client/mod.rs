//! The async ServiceNow client: one code path for a real instance and the embedded one.
//!
//! - Reads (GET) are retried with exponential backoff and jitter on 5xx, timeouts,
//!   dropped connections and garbled bodies; 429 waits for `Retry-After`.
//! - Writes (PATCH, POST) are retried only where the instance provably did not act:
//!   a 429, or a connection that was never established. A flow trigger whose answer
//!   is lost is reported as [`Error::OutcomeUnknown`], never re-sent.
//! - A 401 refreshes the OAuth token once and repeats the request; a second 401 is reported.
//! - Every request passes the [`limit::Limiter`]: a cap in flight and a pace per second.

pub mod actions;
pub mod auth;
pub mod error;
pub mod limit;
pub mod read;
pub mod record;
pub mod tables;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

pub use auth::Auth;
pub use error::{Error, Result};
pub use record::{Field, Record};
pub use tables::{Entity, Tables};

use auth::Token;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: String,
    pub auth: Auth,
    pub insecure: bool,
    pub timeout: Duration,
    pub concurrency: usize,
    /// Requests per second; 0 = unpaced.
    pub rps: f64,
    /// Answers larger than this are refused.
    pub max_body: usize,
    /// Attempts for a read before its error is reported.
    pub read_attempts: u32,
    pub tables: Tables,
    /// A PEM file of extra trusted roots (a private CA), added to the OS store and the
    /// bundled roots.
    pub ca_file: Option<std::path::PathBuf>,
}

impl ClientConfig {
    pub fn new(base_url: &str, auth: Auth) -> Self {
        ClientConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            auth,
            insecure: false,
            timeout: Duration::from_secs(20),
            concurrency: 8,
            rps: 20.0,
            max_body: 32 * 1024 * 1024,
            read_attempts: 5,
            tables: Tables::default(),
            ca_file: None,
        }
    }
}

/// Request/byte counters, for the benchmark and the header.
#[derive(Default, Debug)]
pub struct Traffic {
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
}

pub struct Client {
    http: reqwest::Client,
    pub config: ClientConfig,
    token: tokio::sync::Mutex<Option<Token>>,
    limiter: limit::Limiter,
    pub traffic: Arc<Traffic>,
}

/// What came back from one HTTP exchange.
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// Whether a request may be sent again automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotence {
    /// A read: retry on anything transient.
    Read,
    /// A write: retry only when the instance provably did not act.
    Write,
}

fn is_loopback(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    host == "127.0.0.1" || host == "localhost" || host == "[::1]"
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client> {
        if !config.base_url.starts_with("http://") && !config.base_url.starts_with("https://") {
            return Err(Error::Invalid(format!("instance URL must start with https:// (got {})", config.base_url)));
        }
        // Trust: the platform verifier (reqwest's `rustls` feature) checks against the OS
        // store (Keychain, the Windows store, /etc/ssl on Linux), where an enterprise's
        // CAs are installed; Mozilla's roots are merged in so a machine with an empty or
        // missing store still connects; a profile's `ca_file` adds a private CA.
        let mut roots: Vec<reqwest::Certificate> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter_map(|c| reqwest::Certificate::from_der(c).ok())
            .collect();
        if let Some(path) = &config.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| Error::Invalid(format!("ca_file {}: cannot read: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::Invalid(format!("ca_file {}: not PEM certificates: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(Error::Invalid(format!("ca_file {}: no PEM certificate in it", path.display())));
            }
            roots.extend(certs);
        }
        let mut b = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("hubtop/", env!("CARGO_PKG_VERSION")))
            .tls_certs_merge(roots)
            .tls_danger_accept_invalid_certs(config.insecure);
        if is_loopback(&config.base_url) {
            b = b.no_proxy();
        }
        let http = b.build().map_err(|e| Error::Invalid(format!("HTTP client: {e}")))?;
        Ok(Client {
            http,
            limiter: limit::Limiter::new(config.concurrency, config.rps),
            config,
            token: tokio::sync::Mutex::new(None),
            traffic: Arc::new(Traffic::default()),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url, path)
    }

    /// A bearer token that is fresh, fetching or refreshing one if needed.
    async fn bearer(&self, force: bool) -> Result<String> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref().filter(|t| !force && t.fresh()) {
            return Ok(t.access.clone());
        }
        let refresh = slot.as_ref().and_then(|t| t.refresh.clone());
        let token = match refresh {
            Some(rt) => match self.fetch_token(Some(&rt)).await {
                Ok(t) => t,
                Err(_) => self.fetch_token(None).await?,
            },
            None => self.fetch_token(None).await?,
        };
        let access = token.access.clone();
        *slot = Some(token);
        Ok(access)
    }

    async fn fetch_token(&self, refresh: Option<&str>) -> Result<Token> {
        let form = self.config.auth.token_form(refresh);
        let mut last = Error::Network("no attempt".into());
        for attempt in 0..self.config.read_attempts {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt, &last)).await;
            }
            let _permit = self.limiter.acquire().await;
            let sent = self.http.post(self.url("/oauth_token.do")).form(&form).send().await;
            let ans = match self.collect(sent).await {
                Ok(a) => a,
                Err(e) if e.is_transient() => {
                    last = e;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if ans.status == StatusCode::UNAUTHORIZED || ans.status == StatusCode::BAD_REQUEST {
                let v = record::decode_envelope(&ans.body).unwrap_or(Value::Null);
                let why = v.get("error_description").and_then(Value::as_str).unwrap_or("token request refused");
                return Err(Error::Auth {
                    status: ans.status.as_u16(),
                    message: format!("OAuth: {}", crate::sanitize::sanitize(why)),
                });
            }
            match check_status(&ans).and_then(|_| record::decode_envelope(&ans.body)) {
                Ok(v) => {
                    let access = v.get("access_token").and_then(Value::as_str).unwrap_or("");
                    if access.is_empty() {
                        return Err(Error::Decode {
                            what: "token answer has no access_token".into(),
                            snippet: String::new(),
                        });
                    }
                    let expires = v
                        .get("expires_in")
                        .and_then(|e| e.as_u64().or_else(|| e.as_str()?.parse().ok()))
                        .unwrap_or(1800);
                    let refresh = v.get("refresh_token").and_then(Value::as_str).map(str::to_string);
                    return Ok(Token::new(access.to_string(), refresh, Duration::from_secs(expires)));
                }
                Err(e) if e.is_transient() => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Reads the body, refusing more than `max_body` bytes.
    async fn collect(&self, sent: reqwest::Result<reqwest::Response>) -> Result<Answer> {
        let mut res = sent.map_err(|e| self.net_error(e))?;
        let max = self.config.max_body;
        if res.content_length().is_some_and(|n| n as usize > max) {
            return Err(Error::TooLarge { limit: max });
        }
        let status = res.status();
        let headers = res.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| self.net_error(e))? {
            if body.len() + chunk.len() > max {
                return Err(Error::TooLarge { limit: max });
            }
            body.extend_from_slice(&chunk);
        }
        self.traffic.requests.fetch_add(1, Ordering::Relaxed);
        self.traffic.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
        Ok(Answer { status, headers, body })
    }

    fn net_error(&self, e: reqwest::Error) -> Error {
        let cause = root_cause(&e);
        if cause.contains("certificate") || cause.contains("CertificateRequired") {
            return Error::Tls(format!("cannot connect to {}: {cause}", self.config.base_url));
        }
        if e.is_timeout() {
            Error::Timeout(self.config.timeout)
        } else if e.is_connect() {
            Error::Network(format!("cannot connect to {}: {cause}", self.config.base_url))
        } else {
            Error::Network(format!("connection to {} failed: {cause}", self.config.base_url))
        }
    }

    /// One request with auth, limits, retries and typed errors.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        kind: Idempotence,
    ) -> Result<Answer> {
        let mut last = Error::Network("no attempt".into());
        let mut reauthed = false;
        let attempts = self.config.read_attempts.max(1);
        let mut attempt = 0;
        while attempt < attempts {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt, &last)).await;
            }
            attempt += 1;
            let mut req =
                self.http.request(method.clone(), self.url(path)).query(query).header("Accept", "application/json");
            req = match &self.config.auth {
                Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
                _ => req.bearer_auth(self.bearer(false).await?),
            };
            if let Some(b) = body {
                req = req.json(b);
            }
            let permit = self.limiter.acquire().await;
            let sent = req.send().await;
            let never_connected = matches!(&sent, Err(e) if e.is_connect());
            let got = self.collect(sent).await;
            drop(permit);
            let ans = match got {
                Ok(a) => a,
                Err(e) => {
                    let retry = match kind {
                        Idempotence::Read => e.is_transient(),
                        Idempotence::Write => never_connected && !matches!(e, Error::Tls(_)),
                    };
                    if retry {
                        last = e;
                        continue;
                    }
                    return Err(match (kind, e) {
                        (Idempotence::Write, Error::Network(m))
                        | (Idempotence::Write, Error::Decode { what: m, .. }) => {
                            Error::OutcomeUnknown(format!("the answer to {method} {path} was lost ({m})"))
                        }
                        (Idempotence::Write, Error::Timeout(d)) => {
                            Error::OutcomeUnknown(format!("no answer to {method} {path} within {d:?}"))
                        }
                        (_, e) => e,
                    });
                }
            };
            if ans.status == StatusCode::UNAUTHORIZED && !reauthed {
                // Once: a fresh token (or, with Basic, one more try) before reporting.
                reauthed = true;
                if self.config.auth.is_oauth() {
                    self.bearer(true).await?;
                }
                attempt -= 1;
                last = auth_error(&ans);
                continue;
            }
            if ans.status == StatusCode::TOO_MANY_REQUESTS {
                last = Error::RateLimited { retry_after: retry_after(&ans.headers) };
                continue;
            }
            match check_status(&ans) {
                Ok(()) => {}
                Err(e) if kind == Idempotence::Read && e.is_transient() => {
                    last = e;
                    continue;
                }
                Err(e) => return Err(e),
            }
            // A 2xx that is an HTML page or garbage: transient for reads, unknown for writes.
            if !ans.body.is_empty()
                && let Err(e) = record::decode_envelope(&ans.body)
            {
                // Reads retry garbage, and an HTML page once (a hibernating instance stays HTML).
                let html = matches!(e, Error::NotAnInstance { .. });
                if kind == Idempotence::Read && (!html || attempt < 2) {
                    last = e;
                    continue;
                }
                return Err(match (kind, e) {
                    (Idempotence::Write, Error::Decode { snippet, .. }) => {
                        Error::OutcomeUnknown(format!("the answer to {method} {path} was garbled: {snippet}"))
                    }
                    (_, e) => e,
                });
            }
            return Ok(ans);
        }
        Err(last)
    }

    pub async fn get_json(&self, path: &str, query: &[(&str, String)]) -> Result<Value> {
        let a = self.send(Method::GET, path, query, None, Idempotence::Read).await?;
        record::decode_envelope(&a.body)
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    h.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Exponential backoff with jitter; a rate limit waits what it was told (capped).
fn backoff(attempt: u32, last: &Error) -> Duration {
    if let Error::RateLimited { retry_after: Some(d) } = last {
        return (*d).min(Duration::from_secs(30));
    }
    let base = 100u64 << attempt.min(6);
    let jitter =
        (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
            as u64)
            % base;
    Duration::from_millis((base + jitter).min(5_000))
}

fn auth_error(ans: &Answer) -> Error {
    let (message, _) = envelope_message(&ans.body);
    Error::Auth {
        status: ans.status.as_u16(),
        message: if message.is_empty() { "credentials rejected".into() } else { message },
    }
}

/// `error.message` and `error.detail` of the ServiceNow error envelope.
fn envelope_message(body: &[u8]) -> (String, Option<String>) {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let err = v.get("error");
    let s =
        |k: &str| err.and_then(|e| e.get(k)).and_then(Value::as_str).map(|x| crate::sanitize::sanitize(x).into_owned());
    (s("message").unwrap_or_default(), s("detail"))
}

fn check_status(ans: &Answer) -> Result<()> {
    let st = ans.status;
    if st.is_success() {
        return Ok(());
    }
    if let Err(e @ Error::NotAnInstance { .. }) = record::decode_envelope(&ans.body) {
        return Err(e);
    }
    let (message, detail) = envelope_message(&ans.body);
    let message = if message.is_empty() { st.canonical_reason().unwrap_or("error").to_string() } else { message };
    Err(match st.as_u16() {
        401 | 403 => Error::Auth { status: st.as_u16(), message },
        404 => Error::NotFound(format!("{message}{}", detail.map(|d| format!(": {d}")).unwrap_or_default())),
        429 => Error::RateLimited { retry_after: retry_after(&ans.headers) },
        s => Error::Server { status: s, message, detail },
    })
}
