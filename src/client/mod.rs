//! The async ServiceNow client: one code path for a real instance and the embedded one.
//!
//! - Reads (GET) are retried with exponential backoff and jitter on 5xx, timeouts,
//!   dropped connections and garbled bodies, within a time budget per call.
//! - Writes (PATCH, POST) are retried only where the instance provably did not act:
//!   a 429, or a request that was never sent (no connection). Once a write is sent,
//!   anything but a decoded answer is [`Error::OutcomeUnknown`], never re-sent.
//! - 403 is [`Error::Forbidden`] with the instance's message and detail; "Requested URI
//!   does not represent any resource" is [`Error::NotInstalled`].
//! - 429: a short `Retry-After` is waited out; a long one (an hourly rule) stops every
//!   request to the instance until then ([`health`]), or is slept through once with
//!   `wait_for_rate_limit`.
//! - A 401 refreshes the OAuth token once and repeats the request; a second 401 is reported.
//! - Every request passes the [`limit::Limiter`]: a cap in flight and a pace per second.
//! - [`Client::health`] tells the console within seconds that the instance is slow or silent.

pub mod actions;
pub mod auth;
pub mod batch;
pub mod budget;
mod deadline;
pub mod error;
pub mod health;
pub mod held;
pub mod lenient;
pub mod limit;
pub mod map;
pub mod meter;
pub mod read;
pub mod record;
pub mod share;
pub mod status;
pub mod tables;
pub mod trigger;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::time::Instant;

pub use auth::Auth;
pub use error::{Error, Result};
pub use health::{Health, RateLimitInfo};
pub use held::{Held, MAX_HELD};
pub use record::{Field, Record};
pub use tables::{Entity, Tables};

use auth::Token;
use status::{auth_error, backoff, check_status, has_envelope, unknown};

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The instance URL, without user info (see [`ClientConfig::new`]).
    pub base_url: String,
    pub auth: Auth,
    pub insecure: bool,
    /// One attempt, from sending to the answer's last byte (a trickling answer ends here).
    pub timeout: Duration,
    /// Establishing a connection: a request that never connected was never sent.
    pub connect_timeout: Duration,
    /// From sending to the answer's headers: a silent instance is given up on after this.
    pub first_byte_timeout: Duration,
    /// One call: all its attempts and the pauses between them.
    pub budget: Duration,
    /// After a long 429, sleep until the instance allows requests again (CLI `--wait`)
    /// instead of failing at once.
    pub wait_for_rate_limit: bool,
    pub concurrency: usize,
    /// Requests per second; 0 = unpaced.
    pub rps: f64,
    /// Answers larger than this are refused.
    pub max_body: usize,
    /// Attempts for a read before its error is reported.
    pub read_attempts: u32,
    pub tables: Tables,
    /// Field names and choice values of this instance (identity by default).
    pub mapping: crate::domain::Mapping,
    /// How create and rerun start a flow.
    pub triggers: trigger::Triggers,
    /// The companion's application scope (`/api/{companion}/console/…`): `x_hubtop` as
    /// shipped, `x_<vendor prefix>_…` where it was generated for another scope.
    pub companion: String,
    /// The hourly request budget polling keeps within (0 = none); see [`budget`].
    pub max_requests_per_hour: u32,
    /// The URL as given carried user info; `Client::new` refuses it.
    url_had_credentials: bool,
    /// A PEM file of extra trusted roots (a private CA), added to the OS store and the
    /// bundled roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// Polls shared with the other consoles on the same instance and user (see [`share`]).
    pub share: Option<std::sync::Arc<share::Share>>,
}

/// The URL without `user:password@`, and whether there was any: use it wherever a URL
/// given by the operator is shown before a client exists.
pub fn strip_credentials(url: &str) -> (String, bool) {
    let start = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[start..].find(['/', '?', '#']).map(|i| start + i).unwrap_or(url.len());
    match url[start..end].rfind('@') {
        Some(at) => (format!("{}{}", &url[..start], &url[start + at + 1..]), true),
        None => (url.to_string(), false),
    }
}

impl ClientConfig {
    /// Any `user:password@` in `base_url` is dropped here, so no message, log or
    /// `Debug` can show it; `Client::new` then refuses the config.
    pub fn new(base_url: &str, auth: Auth) -> Self {
        let (url, url_had_credentials) = strip_credentials(base_url.trim());
        ClientConfig {
            base_url: url.trim_end_matches('/').to_string(),
            auth,
            insecure: false,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            first_byte_timeout: Duration::from_secs(20),
            budget: Duration::from_secs(45),
            wait_for_rate_limit: false,
            concurrency: 8,
            rps: 20.0,
            max_body: 32 * 1024 * 1024,
            read_attempts: 5,
            tables: Tables::default(),
            mapping: crate::domain::Mapping::default(),
            triggers: trigger::Triggers::default(),
            companion: trigger::DEFAULT_COMPANION.into(),
            max_requests_per_hour: budget::DEFAULT_PER_HOUR,
            url_had_credentials,
            ca_file: None,
            share: None,
        }
    }

    /// What `Client::new` checks before building a client.
    pub fn validate(&self) -> Result<()> {
        if self.url_had_credentials {
            return Err(Error::Invalid(
                "the instance URL carries credentials; give the user with --user and the password in HUBTOP_PASSWORD"
                    .into(),
            ));
        }
        if !trigger::valid_scope(&self.companion) {
            return Err(Error::Invalid(format!(
                "companion = \"{}\": an application scope is lowercase letters, digits and _ (e.g. x_acme_hubtop)",
                crate::sanitize::sanitize(&self.companion)
            )));
        }
        if !self.base_url.starts_with("http://") && !self.base_url.starts_with("https://") {
            return Err(Error::Invalid(format!("instance URL must start with https:// (got {})", self.base_url)));
        }
        Ok(())
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
    monitor: health::Monitor,
    pub traffic: Arc<Traffic>,
    pub budget: Arc<budget::Budget>,
    pub batch: Arc<batch::Support>,
    /// Answer bytes all requests in flight hold together (see [`MAX_HELD`]).
    pub held: Arc<Held>,
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

/// A failed exchange, and whether the request had left (a write then may have acted).
struct Failed {
    error: Error,
    sent: bool,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client> {
        config.validate()?;
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
            .connect_timeout(config.connect_timeout)
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
            budget: Arc::new(budget::Budget::new(config.max_requests_per_hour)),
            config,
            token: tokio::sync::Mutex::new(None),
            monitor: health::Monitor::default(),
            traffic: Arc::new(Traffic::default()),
            batch: Arc::default(),
            held: Arc::default(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url, path)
    }

    /// Since when the oldest call in flight has been waiting for the instance (its
    /// retries included): the console shows "slow/silent for Ns" from this.
    pub fn in_flight_since(&self) -> Option<std::time::Instant> {
        self.monitor.in_flight_since().map(Instant::into_std)
    }

    /// Slow since, last good answer, last error, rate-limited until: for the header.
    pub fn health(&self) -> Health {
        self.monitor.health()
    }

    /// The instance's rate-limit figures, and the time before which nothing is sent.
    pub fn rate_limit(&self) -> Option<RateLimitInfo> {
        self.monitor.rate_limit()
    }

    /// Refuses at once, without touching the network, while a long rate limit lasts.
    fn gate_closed(&self) -> Option<Error> {
        self.monitor.gate().map(|(open, wall)| Error::RateLimited {
            retry_after: Some(open.saturating_duration_since(Instant::now())),
            until: Some(wall),
        })
    }

    /// A 429 answer: a long wait closes the gate and is returned; a short one is `None`.
    fn long_rate_limit(&self, ans: &Answer) -> Option<Error> {
        let d = health::retry_after(&ans.headers).filter(|d| *d > health::SHORT_RETRY_AFTER)?;
        let (_, wall) = self.monitor.close_gate(d);
        Some(Error::RateLimited { retry_after: Some(d), until: Some(wall) })
    }

    /// Sends `req` and reads the whole answer, refusing more than `max_body` bytes. The
    /// answer's headers must come within `first_byte`.
    async fn exchange(
        &self,
        req: reqwest::RequestBuilder,
        first_byte: Duration,
    ) -> std::result::Result<Answer, Failed> {
        let mut res = match tokio::time::timeout(first_byte, req.send()).await {
            Err(_) => return Err(Failed { error: Error::Timeout(first_byte), sent: true }),
            // Not connected (refused, DNS, connect timeout) or not built: nothing left.
            Ok(Err(e)) => return Err(Failed { sent: !e.is_connect() && !e.is_builder(), error: self.net_error(e) }),
            Ok(Ok(r)) => r,
        };
        let sent = |error| Failed { error, sent: true };
        let max = self.config.max_body;
        if res.content_length().is_some_and(|n| n as usize > max) {
            return Err(sent(Error::TooLarge { limit: max }));
        }
        let status = res.status();
        let headers = res.headers().clone();
        let mut body = Vec::new();
        let mut taken = self.held.taker(MAX_HELD.max(max));
        while let Some(chunk) = res.chunk().await.map_err(|e| sent(self.net_error(e)))? {
            if body.len() + chunk.len() > max {
                return Err(sent(Error::TooLarge { limit: max }));
            }
            // All answers being read share one allowance.
            taken.more(chunk.len()).map_err(sent)?;
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
        if e.is_timeout() && !e.is_connect() {
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
        if let Some(a) = self.shared_answer(&method, path, query).await {
            return Ok(a);
        }
        if let Some(r) = self.gathered(&method, path, query).await {
            if let Ok(a) = &r {
                self.leave_shared(&method, path, query, a);
            }
            return r;
        }
        let mut flight = None;
        let r = self.send_inner(&method, path, query, body, kind, &mut flight).await;
        if let Ok(a) = &r {
            self.leave_shared(&method, path, query, a);
        }
        match &r {
            // A refusal in the instance's own words: it is there and answering.
            Ok(_) => self.monitor.ok(),
            Err(e) if e.is_refusal() => self.monitor.ok(),
            Err(e) => self.monitor.failed(e.short()),
        }
        r
    }

    async fn send_inner<'a>(
        &'a self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        kind: Idempotence,
        flight: &mut Option<health::InFlight<'a>>,
    ) -> Result<Answer> {
        let mut last = Error::Network("no attempt".into());
        let mut deadlines = deadline::Deadlines::start(&self.config);
        let mut reauthed = false;
        let mut waited = false;
        let mut deadline = Instant::now() + self.config.budget;
        let attempts = self.config.read_attempts.max(1);
        let mut attempt = 0;
        while attempt < attempts {
            if attempt > 0 {
                let pause = backoff(attempt, &last);
                if Instant::now() + pause >= deadline {
                    deadlines.budget_out = true;
                    break;
                }
                tokio::time::sleep(pause).await;
            }
            if let Some(e) = self.gate_closed() {
                let Error::RateLimited { retry_after: Some(d), .. } = e else { return Err(e) };
                if !self.config.wait_for_rate_limit || waited {
                    return Err(e);
                }
                // Once per call: sleep until the instance takes requests again.
                waited = true;
                tokio::time::sleep(d).await;
                deadline = Instant::now() + self.config.budget;
            }
            attempt += 1;
            // Polling waits for room in the hourly budget; actions and navigation never do.
            if self.budget.admit(kind == Idempotence::Read && budget::is_background()).await {
                deadline = Instant::now() + self.config.budget;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let mut req = self
                .http
                .request(method.clone(), self.url(path))
                .query(query)
                .header("Accept", "application/json")
                .timeout(self.config.timeout.min(left));
            req = match &self.config.auth {
                Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
                _ => req.bearer_auth(self.bearer(false).await?),
            };
            if let Some(b) = body {
                req = req.json(b);
            }
            let permit = self.limiter.acquire().await;
            flight.get_or_insert_with(|| self.monitor.begin());
            let first_byte = self.config.first_byte_timeout.min(left);
            let got = self.exchange(req, first_byte).await;
            drop(permit);
            if let Err(Failed { error: Error::Timeout(d), .. }) = &got {
                deadlines.timed_out(*d, first_byte, left);
            }
            let ans = match got {
                Ok(a) => a,
                Err(Failed { error, sent }) => {
                    let retry = match kind {
                        Idempotence::Read => error.is_transient(),
                        Idempotence::Write => !sent && !matches!(error, Error::Tls(_)),
                    };
                    if retry {
                        last = error;
                        continue;
                    }
                    if kind == Idempotence::Write && sent {
                        return Err(unknown(method, path, &error));
                    }
                    return Err(error);
                }
            };
            self.monitor.observe(&ans.headers);
            self.budget.observe(&ans.headers);
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
                // An hourly rule (a long Retry-After, or the rule's own headers) lowers the
                // hourly budget; a short pause is waited out below and says nothing of it.
                let short = health::retry_after(&ans.headers).is_some_and(|d| d <= health::SHORT_RETRY_AFTER);
                if !short || ans.headers.contains_key("x-ratelimit-limit") {
                    self.budget.rate_limited();
                }
                // The instance did not act: a write may go again too.
                match self.long_rate_limit(&ans) {
                    Some(e) if !self.config.wait_for_rate_limit || waited => return Err(e),
                    Some(e) => {
                        attempt -= 1;
                        last = e;
                    }
                    None => last = Error::RateLimited { retry_after: health::retry_after(&ans.headers), until: None },
                }
                continue;
            }
            if let Err(e) = check_status(&ans, path) {
                if kind == Idempotence::Read && e.is_transient() {
                    last = e;
                    continue;
                }
                // A write refused in the instance's own words did not act; anything
                // else (a proxy's page, garbage) may have come after it did.
                let decoded = has_envelope(&ans.body) || ans.status == StatusCode::UNAUTHORIZED;
                if kind == Idempotence::Write && !decoded {
                    return Err(unknown(method, path, &e));
                }
                return Err(e);
            }
            // A 2xx that is an HTML page or garbage: transient for reads, unknown for writes.
            if !ans.body.is_empty()
                && let Err(e) = record::decode_envelope(&ans.body)
            {
                if kind == Idempotence::Write {
                    return Err(unknown(method, path, &e));
                }
                // Reads retry garbage, and an HTML page once (a hibernating instance stays HTML).
                let html = matches!(e, Error::NotAnInstance { .. });
                if !html || attempt < 2 {
                    last = e;
                    continue;
                }
                return Err(e);
            }
            return Ok(ans);
        }
        // A call that timed out says how long it really took and which deadline ended it.
        Err(if let Error::Timeout(_) = last { deadlines.error(attempt) } else { last })
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
