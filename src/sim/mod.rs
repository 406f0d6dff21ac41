//! The embedded instance: the ServiceNow REST subset hubtop speaks (Table, Aggregate,
//! Batch, OAuth, Flow REST trigger, the console's companion API) and the metadata tables
//! a real instance describes itself with, served on loopback, with simulated FM
//! providers that the flow engine really calls over HTTP, live traffic and fault
//! injection. It answers the way a real instance does, quirks included: lenient where a
//! real instance is lenient (case-insensitive booleans, ignored unknown query terms,
//! versioned paths), strict where it is strict (403 ACL bodies, hourly rate limits,
//! 400 for an unknown REST resource). tests/sim/conformance.rs holds each behaviour with the
//! documentation page it comes from.
//!
//! Choices where a real instance's behaviour is not documented:
//! - Unknown fields in a POST/PATCH body are ignored, as a real instance does; a value
//!   that does not fit an integer/boolean/date-time field is a 400 and nothing is written.
//! - `sysparm_no_count=true` omits `X-Total-Count` and the `last` link.
//! - Every credential is the one user `admin`.

pub mod api;
pub mod auth;
pub mod engine;
pub mod faults;
pub mod fm;
mod ifm;
pub mod meta;
pub mod schema;
pub mod seed;
pub mod store;
pub mod traffic;
pub mod tz;
pub mod user;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::watch;

pub use faults::Faults;
use store::Store;

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub port: u16,
    pub seed: u64,
    /// Traffic events per minute; 0 turns the generator off.
    pub traffic: u32,
    pub faults: Faults,
    /// Extra outbound entries to seed (with proportional other records).
    pub rows: usize,
    pub token_ttl: Duration,
    pub retry_interval: Duration,
    /// Seed the demo providers' first work orders (set false for a quiet test bed).
    pub demo: bool,
    /// What `admin` authenticates with, and the OAuth client `hubtop`'s secret.
    pub admin_password: String,
    pub client_secret: String,
    /// What a query term on an unknown field does (glide.invalid_query.returns_no_rows).
    pub invalid_query: InvalidQuery,
    /// The admin user's `time_zone` at start (empty: the system's, UTC).
    pub user_tz: String,
    /// An hourly inbound REST rate-limit rule for every user: requests per hour.
    pub rate_limit: Option<u32>,
    /// What the instance is started without: fields, tables, roles.
    pub breaks: Breaks,
    /// APIs the instance does not have.
    pub without: Without,
}

/// `glide.invalid_query.returns_no_rows` off (ignore the term) or on (no rows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InvalidQuery {
    #[default]
    Ignore,
    NoRows,
}

/// `--break`: parts of the instance that are missing, for onboarding checks to find.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breaks {
    /// (table, field) pairs the dictionary, the data and queries do not have.
    pub fields: Vec<(String, String)>,
    pub tables: Vec<String>,
    /// Roles the admin user lacks.
    pub roles: Vec<String>,
}

impl Breaks {
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<Breaks, String> {
        let mut b = Breaks::default();
        for spec in specs {
            let spec = spec.as_ref();
            match spec.split_once(':') {
                Some(("field", tf)) => {
                    let (t, f) = tf.split_once('.').ok_or_else(|| format!("`{spec}`: say field:TABLE.FIELD"))?;
                    b.fields.push((t.to_string(), f.to_string()));
                }
                Some(("table", t)) if !t.is_empty() => b.tables.push(t.to_string()),
                Some(("role", r)) if !r.is_empty() => b.roles.push(r.to_string()),
                _ => return Err(format!("`{spec}` is not field:TABLE.FIELD, table:TABLE or role:ROLE")),
            }
        }
        Ok(b)
    }

    pub fn field(&self, table: &str, field: &str) -> bool {
        self.fields.iter().any(|(t, f)| t == table && f == field)
    }

    pub fn table(&self, table: &str) -> bool {
        self.tables.iter().any(|t| t == table)
    }
}

/// `--without`: APIs that answer as an instance that does not have them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Without {
    pub flow_trigger: bool,
    pub companion: bool,
    /// IFM's parent flow marks a changed task pending and never runs the subflow, so no
    /// outcome is ever reported (a stuck flow): following an action ends "unknown".
    pub ifm_report: bool,
    /// Flow reporting is off: the companion answers `step_detail: not_recorded`.
    pub flow_reporting: bool,
}

impl Without {
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Without, String> {
        let mut w = Without::default();
        for n in names {
            match n.as_ref().trim() {
                "flow-trigger" => w.flow_trigger = true,
                "companion" => w.companion = true,
                "ifm-report" => w.ifm_report = true,
                "flow-reporting" => w.flow_reporting = true,
                "" => {}
                other => return Err(format!("`{other}` (known: flow-trigger, companion, ifm-report, flow-reporting)")),
            }
        }
        Ok(w)
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            seed: 7,
            traffic: 0,
            faults: Faults::default(),
            rows: 0,
            token_ttl: Duration::from_secs(1800),
            retry_interval: Duration::from_secs(60),
            demo: true,
            admin_password: auth::PASSWORD.to_string(),
            client_secret: auth::CLIENT_SECRET.to_string(),
            invalid_query: InvalidQuery::Ignore,
            user_tz: String::new(),
            rate_limit: None,
            breaks: Breaks::default(),
            without: Without::default(),
        }
    }
}

/// Requests the instance saw, for tests that count "sent exactly once".
#[derive(Default)]
pub struct Counters {
    /// HTTP requests from clients (a Batch API call is one).
    pub requests: AtomicU64,
    /// Items served inside Batch API calls.
    pub batch_items: AtomicU64,
    pub trigger_posts: AtomicU64,
    pub writes: AtomicU64,
    /// Requests answered 429 by the `limit` fault.
    pub rate_limited: AtomicU64,
    /// Flow trigger POSTs per `inputs.record`.
    pub triggers_by_record: Mutex<HashMap<String, u64>>,
    /// PATCH/PUT per sys_id.
    pub patches_by_id: Mutex<HashMap<String, u64>>,
    /// Client requests (batch items aside) per HTTP method.
    pub by_method: Mutex<HashMap<String, u64>>,
    /// Client requests other than GET per "METHOD path" (a request log of what changes).
    pub writes_by_path: Mutex<HashMap<String, u64>>,
}

impl Counters {
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "batch_items": self.batch_items.load(Ordering::Relaxed),
            "trigger_posts": self.trigger_posts.load(Ordering::Relaxed),
            "writes": self.writes.load(Ordering::Relaxed),
            "rate_limited": self.rate_limited.load(Ordering::Relaxed),
            "triggers_by_record": *self.triggers_by_record.lock(),
            "patches_by_id": *self.patches_by_id.lock(),
            "by_method": *self.by_method.lock(),
            "writes_by_path": *self.writes_by_path.lock(),
        })
    }

    /// Counts one client request by its method, and a non-GET by its path.
    pub fn log(&self, method: &str, path: &str) {
        *self.by_method.lock().entry(method.to_string()).or_default() += 1;
        if method != "GET" {
            *self.writes_by_path.lock().entry(format!("{method} {path}")).or_default() += 1;
        }
    }
}

/// The shared state of one running instance.
pub struct Sim {
    pub config: SimConfig,
    pub store: Store,
    pub base_url: String,
    pub auth: auth::Tokens,
    pub faults: RwLock<Faults>,
    pub counters: Counters,
    pub fm: fm::FmState,
    pub engine: engine::Engine,
    rng: Mutex<ChaCha8Rng>,
    /// Pauses the traffic generator (chaos runs settle the instance before checking).
    pub traffic_paused: std::sync::atomic::AtomicBool,
    /// Token bucket of the `limit` fault: (tokens, last refill).
    bucket: Mutex<(f64, std::time::Instant)>,
    /// The hourly rate-limit rule's window: (hour start, unix seconds; requests in it).
    hourly: Mutex<(i64, u32)>,
}

impl Sim {
    /// A uniform draw in [0, 1) from the instance's seeded generator.
    pub fn roll(&self) -> f64 {
        self.rng.lock().gen_range(0.0..1.0)
    }

    /// Takes a token from the `limit` bucket; false when over the limit.
    pub fn within_limit(&self, limit: f64) -> bool {
        let mut b = self.bucket.lock();
        let now = std::time::Instant::now();
        b.0 = (b.0 + now.duration_since(b.1).as_secs_f64() * limit).min(limit.max(1.0));
        b.1 = now;
        if b.0 >= 1.0 {
            b.0 -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn set_faults(&self, f: Faults) {
        *self.faults.write() = f;
    }

    /// Counts a request against the hourly rule: Ok(remaining) or Err(seconds to the
    /// reset). The window is the clock hour, so `X-RateLimit-Reset` is its end.
    pub fn count_hourly(&self, limit: u32, now: i64) -> Result<u32, i64> {
        let mut h = self.hourly.lock();
        let start = now - now.rem_euclid(3600);
        if h.0 != start {
            *h = (start, 0);
        }
        if h.1 >= limit {
            return Err(start + 3600 - now);
        }
        h.1 += 1;
        Ok(limit - h.1)
    }
}

/// A running instance; dropping it does not stop it, [`SimHandle::shutdown`] does.
pub struct SimHandle {
    pub addr: SocketAddr,
    pub base_url: String,
    pub sim: Arc<Sim>,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

impl SimHandle {
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
    }
}

/// Resolves once the stop flag is set (or its sender is gone).
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// Starts the instance on 127.0.0.1:`config.port` (0 = any free port).
pub async fn start(config: SimConfig) -> anyhow::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let sim = Arc::new(Sim {
        store: Store::new(config.seed),
        base_url: base_url.clone(),
        auth: auth::Tokens::with_secrets(config.token_ttl, &config.admin_password, &config.client_secret),
        faults: RwLock::new(config.faults.clone()),
        counters: Counters::default(),
        fm: fm::FmState::new(config.seed),
        engine: engine::Engine::default(),
        rng: Mutex::new(ChaCha8Rng::seed_from_u64(config.seed)),
        bucket: Mutex::new((f64::MAX, std::time::Instant::now())),
        hourly: Mutex::new((0, 0)),
        traffic_paused: std::sync::atomic::AtomicBool::new(false),
        config,
    });
    seed::providers_and_flows(&sim).await?;
    meta::seed(&sim)?;
    engine::install_hooks(&sim);
    if sim.config.rows > 0 {
        seed::bulk(&sim, sim.config.rows)?;
    }
    if sim.config.demo {
        seed::demo_work_orders(&sim)?;
    }
    let (stop, stop_rx) = watch::channel(false);
    let app = api::router(Arc::clone(&sim));
    let mut rx = stop_rx.clone();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::error!("embedded instance stopped: {e}");
        }
    });
    engine::spawn_workers(&sim, stop_rx.clone());
    if sim.config.traffic > 0 {
        traffic::spawn(&sim, stop_rx);
    }
    Ok(SimHandle { addr, base_url, sim, stop, server })
}

/// An HTTP client for loopback only (the instance calling its providers and itself, the
/// benchmark calling the instance): no proxy and no TLS trust store, so it builds on a
/// machine whose OS certificate store is empty or missing.
pub fn loopback_http(timeout: Option<Duration>) -> reqwest::Client {
    let mut b = reqwest::Client::builder().no_proxy().tls_certs_only(Vec::<reqwest::Certificate>::new());
    if let Some(t) = timeout {
        b = b.timeout(t);
    }
    b.build().expect("a loopback HTTP client needs no system resources")
}
