//! The embedded instance: the ServiceNow REST subset hubtop speaks (Table, Aggregate,
//! OAuth, Flow REST trigger, the console's companion API), served on loopback, with
//! simulated FM providers that the flow engine really calls over HTTP, live traffic
//! and fault injection.
//!
//! Choices where a real instance's behaviour is unknown or unhelpful for a console:
//! - An unknown field in `sysparm_query` answers 400 "Invalid query" (a real instance
//!   may silently drop the condition and return every row; we never do that).
//! - Unknown fields in a POST/PATCH body are ignored, as a real instance does; a value
//!   that does not fit an integer/boolean/date-time field is a 400 and nothing is written.
//! - The default page size without `sysparm_limit` is 10 000, the instance default.
//! - `sysparm_no_count=true` omits `X-Total-Count` and the `last` link.

pub mod api;
pub mod auth;
pub mod engine;
pub mod faults;
pub mod fm;
pub mod schema;
pub mod seed;
pub mod store;
pub mod traffic;

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
        }
    }
}

/// Requests the instance saw, for tests that count "sent exactly once".
#[derive(Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub trigger_posts: AtomicU64,
    pub writes: AtomicU64,
    /// Requests answered 429 by the `limit` fault.
    pub rate_limited: AtomicU64,
    /// Flow trigger POSTs per `inputs.record`.
    pub triggers_by_record: Mutex<HashMap<String, u64>>,
    /// PATCH/PUT per sys_id.
    pub patches_by_id: Mutex<HashMap<String, u64>>,
}

impl Counters {
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "trigger_posts": self.trigger_posts.load(Ordering::Relaxed),
            "writes": self.writes.load(Ordering::Relaxed),
            "rate_limited": self.rate_limited.load(Ordering::Relaxed),
            "triggers_by_record": *self.triggers_by_record.lock(),
            "patches_by_id": *self.patches_by_id.lock(),
        })
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

    /// A receiver that turns true when the instance is stopping (for its background tasks).
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }
}

/// Resolves once the stop flag is set (or its sender is gone).
pub async fn stopped(rx: &mut watch::Receiver<bool>) {
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
        traffic_paused: std::sync::atomic::AtomicBool::new(false),
        config,
    });
    seed::providers_and_flows(&sim).await?;
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
