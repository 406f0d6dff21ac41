//! The embedded instance in the test's own process, and clients for it or for a stub.

use std::time::Duration;

use hubtop::client::{Auth, Client, ClientConfig};
use hubtop::sim::{SimConfig, SimHandle};
use reqwest::StatusCode;
use serde_json::Value;

/// No demo data beyond the seed, no traffic, no automatic retries: nothing changes on
/// the instance but what the test does.
pub fn quiet() -> SimConfig {
    SimConfig { demo: false, traffic: 0, retry_interval: Duration::from_secs(3600), ..Default::default() }
}

pub fn basic() -> Auth {
    Auth::Basic { user: "admin".into(), password: "admin".into() }
}

/// A client of `url` without a rate limit, with `f` applied to its configuration.
pub fn client_with(url: &str, auth: Auth, f: impl FnOnce(&mut ClientConfig)) -> Client {
    let mut c = ClientConfig::new(url, auth);
    c.rps = 0.0;
    f(&mut c);
    Client::new(c).expect("client")
}

/// A client of `url` as admin, without a rate limit.
pub fn client(url: &str) -> Client {
    client_with(url, basic(), |_| {})
}

/// An HTTP client for raw requests to the embedded instance (no proxy, 20 s timeout).
pub fn http() -> reqwest::Client {
    hubtop::sim::loopback_http(Some(Duration::from_secs(20)))
}

/// An answer of the embedded instance: its status, headers and body (JSON; a body that
/// is not JSON as a string, an empty one as null).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }

    pub fn result(&self) -> &Value {
        &self.body["result"]
    }

    /// The rows of a list answer; panics when it is not one.
    pub fn rows(&self) -> &Vec<Value> {
        self.body["result"].as_array().unwrap_or_else(|| panic!("{} not a list: {}", self.status, self.body))
    }

    /// Its `X-Total-Count`.
    pub fn total(&self) -> Option<usize> {
        self.header("x-total-count").map(|v| v.parse().expect("numeric X-Total-Count"))
    }
}

/// One request to the embedded instance as admin, `body` (if any) sent as is with
/// `Content-Type: application/json`.
pub async fn request(h: &SimHandle, method: reqwest::Method, path: &str, body: Option<&str>) -> Answer {
    let mut req = http().request(method, format!("{}{path}", h.base_url)).basic_auth("admin", Some("admin"));
    if let Some(b) = body {
        req = req.header("Content-Type", "application/json").body(b.to_string());
    }
    let res = req.send().await.expect("request sent");
    let (status, headers) = (res.status(), res.headers().clone());
    let text = res.text().await.expect("body");
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    Answer { status, headers, body }
}

/// [`request`] with a JSON value as the body.
pub async fn request_json(h: &SimHandle, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
    request(h, method, path, body.map(|b| b.to_string()).as_deref()).await
}

/// A GET as admin.
pub async fn get(h: &SimHandle, path: &str) -> Answer {
    request(h, reqwest::Method::GET, path, None).await
}

/// The demo instance (seeded, no traffic) and a headless console of `size` on it, started.
pub async fn demo_console(size: (u16, u16)) -> (SimHandle, hubtop::harness::headless::Headless) {
    console_on(SimConfig { demo: true, traffic: 0, ..Default::default() }, size).await
}

/// An embedded instance of `config` and a headless console of `size` on it, started.
pub async fn console_on(config: SimConfig, size: (u16, u16)) -> (SimHandle, hubtop::harness::headless::Headless) {
    use std::sync::Arc;
    let h = hubtop::sim::start(config).await.expect("sim starts");
    let client = Arc::new(client_with(&h.base_url, basic(), |c| c.read_attempts = 2));
    let settings = hubtop::app::Settings {
        instance: h.base_url.clone(),
        refresh: Duration::from_millis(500),
        ..Default::default()
    };
    let audit = Arc::new(hubtop::audit::Audit::open(None, &h.base_url, "admin").expect("audit"));
    let mut hl = hubtop::harness::headless::Headless::new(client, settings, audit, size);
    hl.start();
    (h, hl)
}
