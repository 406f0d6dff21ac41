//! `hubtop metrics`: integration health for Prometheus. Each profile's instance is
//! polled on hubtop's own schedule (one Batch API request per poll where the instance
//! has it, within the profile's request budget); `/metrics` serves the last poll of
//! each, so however often Prometheus scrapes, the instances see the same requests.

mod expose;
mod poll;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::get;
use parking_lot::RwLock;
use tokio::sync::watch;

pub use expose::{OPENMETRICS, PROMETHEUS_TEXT, ProfileState, render};
pub use poll::{Sample, poll};

use crate::cli::args::MetricsArgs;
use crate::cli::global::Global;
use crate::client::{Client, Error};
use crate::config::{Config, OsKeyring};
use crate::exit;
use crate::target::Target;

/// The poll interval when neither `--interval` nor the profile says.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

type Shared = Arc<RwLock<Vec<ProfileState>>>;

/// Runs until SIGTERM, SIGINT or SIGHUP; then stops polling and serving and exits 0.
pub async fn run(g: &Global, config: &Config, args: MetricsArgs) -> u8 {
    let mut signals = crate::signals::Signals::install();
    let every = match args.interval.as_deref().map(crate::time::parse_duration) {
        None => None,
        Some(Ok(d)) if d >= Duration::from_secs(1) => Some(d),
        Some(_) => return refuse(exit::USAGE, "--interval takes a duration of at least 1s, like 60s or 5m"),
    };
    let names = match profile_names(g, config, &args) {
        Ok(n) => n,
        Err(why) => return refuse(exit::USAGE, &why),
    };
    let mut clients = Vec::new();
    for name in &names {
        match connect(g, config, name.as_deref()).await {
            Ok(c) => clients.push(c),
            Err((code, why)) => return refuse(code, &format!("{}: {why}", name.as_deref().unwrap_or("--instance"))),
        }
    }
    let listener = match tokio::net::TcpListener::bind(&args.listen).await {
        Ok(l) => l,
        Err(e) => return refuse(exit::USAGE, &format!("cannot listen on {}: {e}", args.listen)),
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| args.listen.clone());
    let shared: Shared = Arc::new(RwLock::new(
        names
            .iter()
            .map(|n| {
                let label = n.clone().unwrap_or_else(|| "instance".to_string());
                ProfileState::new(&label, every.unwrap_or_else(|| interval_of(config, n.as_deref())))
            })
            .collect(),
    ));
    let (stop, stopped) = watch::channel(false);
    let pollers: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, c)| tokio::spawn(poll_loop(Arc::new(c), i, Arc::clone(&shared), stopped.clone())))
        .collect();
    println!("listening on http://{addr}");
    let listed: Vec<String> = shared
        .read()
        .iter()
        .map(|p| format!("profile=\"{}\" (a poll every {}s)", p.name, p.interval.as_secs()))
        .collect();
    eprintln!("hubtop metrics: serving /metrics and /healthz for {}", listed.join(", "));
    if !listener.local_addr().is_ok_and(|a: SocketAddr| a.ip().is_loopback()) {
        eprintln!("hubtop metrics: {addr} is not a loopback address: whoever reaches it reads these figures");
    }
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(Arc::clone(&shared));
    let served = axum::serve(listener, app).with_graceful_shutdown(async move {
        signals.next().await;
    });
    let code = match served.await {
        Ok(()) => exit::OK,
        Err(e) => refuse(exit::FAILED, &format!("serving {addr}: {e}")),
    };
    let _ = stop.send(true);
    for p in pollers {
        let _ = p.await;
    }
    code
}

/// The profiles to poll: `--all-profiles`, `--profile a,b`, the default profile, or
/// `None` for `--instance`.
fn profile_names(g: &Global, config: &Config, args: &MetricsArgs) -> Result<Vec<Option<String>>, String> {
    if args.all_profiles {
        if config.profiles.is_empty() {
            return Err("--all-profiles: the config has no profile (hubtop config init)".into());
        }
        return Ok(config.profiles.keys().map(|k| Some(k.clone())).collect());
    }
    if g.instance.is_some() {
        return Ok(vec![None]);
    }
    let listed = g.profile.as_deref().or(config.default_profile.as_deref()).unwrap_or("");
    let mut names: Vec<Option<String>> = Vec::new();
    for n in listed.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !config.profiles.contains_key(n) {
            return Err(format!("no profile `{n}` (have: {})", config.names()));
        }
        if !names.iter().any(|m| m.as_deref() == Some(n)) {
            names.push(Some(n.to_string()));
        }
    }
    if names.is_empty() {
        return Err("metrics of which instance? --profile a,b, --all-profiles or --instance URL".into());
    }
    Ok(names)
}

fn interval_of(config: &Config, name: Option<&str>) -> Duration {
    name.and_then(|n| config.profiles.get(n))
        .and_then(|p| p.metrics_interval_secs)
        .filter(|s| *s >= 1)
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_INTERVAL)
}

/// A client for one profile (its own instance and credentials), or for `--instance`.
async fn connect(g: &Global, config: &Config, name: Option<&str>) -> Result<Client, (u8, String)> {
    let target = match name {
        Some(n) => Target::resolve_profile(g, config, n).await?,
        None => {
            let (g, config) = (Global { profile: None, ..g.clone() }, config.clone());
            tokio::task::spawn_blocking(move || Target::resolve(&g, &config, &OsKeyring))
                .await
                .map_err(|e| (exit::FAILED, e.to_string()))??
        }
    };
    if target.client.is_none() {
        return Err((exit::USAGE, "names no instance".into()));
    }
    Ok(target.connect(false).await?.0)
}

/// Whether an error is the instance's own answer (it is up, and refusing): a refusal as
/// the client classes it, a failed sign-in, or a rate limit.
fn answered(e: &Error) -> bool {
    e.is_refusal() || matches!(e, Error::Auth { .. } | Error::RateLimited { .. })
}

async fn poll_loop(client: Arc<Client>, i: usize, shared: Shared, mut stop: watch::Receiver<bool>) {
    let (name, every) = {
        let s = shared.read();
        (s[i].name.clone(), s[i].interval)
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let started = tokio::time::Instant::now();
        let outcome = tokio::select! {
            r = poll(&client, chrono::Utc::now()) => r,
            _ = stop.changed() => return,
        };
        let outcome = outcome.map_err(|e| {
            tracing::warn!(profile = %name, "metrics poll failed: {e}");
            answered(&e)
        });
        let budget = client.budget.state();
        let mut s = shared.write();
        let p = &mut s[i];
        p.record(outcome, started.elapsed(), SystemTime::now());
        p.requests = client.traffic.requests.load(Ordering::Relaxed);
        p.budget_limit = budget.limit;
        p.budget_left = budget.limit.saturating_sub(budget.used);
        p.rate_limited_until = client.health().rate_limited_until;
    }
}

/// `/metrics`: OpenMetrics when the scraper accepts it (Prometheus asks for it first),
/// else the Prometheus text format.
async fn metrics(State(shared): State<Shared>, headers: HeaderMap) -> impl IntoResponse {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let openmetrics = accept.contains("application/openmetrics-text");
    let body = render(&shared.read(), SystemTime::now(), openmetrics);
    ([(header::CONTENT_TYPE, if openmetrics { OPENMETRICS } else { PROMETHEUS_TEXT })], body)
}

fn refuse(code: u8, msg: &str) -> u8 {
    eprintln!("hubtop metrics: {msg}");
    code
}
