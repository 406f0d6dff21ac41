//! Simulated FM providers: the HTTP APIs the flow engine calls, under `/sim/fm/{slug}`.
//!
//! Each provider has a behaviour (healthy, flaky, slow, broken credentials, rate
//! limited, malformed) chosen at seeding; an outage switch turns any of them into
//! 503s for chaos runs. Work orders they accept live here, keyed by FM id.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use axum::{Json, Router};
use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::Sim;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Healthy,
    /// A share of requests answer 503.
    Flaky,
    /// Seconds of latency per request.
    Slow,
    /// Every request answers 401.
    BrokenCredentials,
    /// One request per few seconds; the rest 429 with Retry-After.
    RateLimited,
    /// 200 with a body that is not the promised JSON.
    Malformed,
}

pub struct FmOrder {
    pub slug: String,
    pub status: String,
}

pub struct FmState {
    pub behaviours: Mutex<HashMap<String, Behaviour>>,
    pub outage: Mutex<HashSet<String>>,
    pub orders: Mutex<HashMap<String, FmOrder>>,
    next_id: Mutex<u64>,
    last_allowed: Mutex<HashMap<String, Instant>>,
    rng: Mutex<ChaCha8Rng>,
}

impl FmState {
    pub fn new(seed: u64) -> Self {
        FmState {
            behaviours: Mutex::default(),
            outage: Mutex::default(),
            orders: Mutex::default(),
            next_id: Mutex::new(40_000),
            last_allowed: Mutex::default(),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed ^ 0xF00D)),
        }
    }

    /// Puts a provider into (or out of) an outage: every call answers 503.
    pub fn set_outage(&self, slug: &str, down: bool) {
        let mut o = self.outage.lock();
        if down {
            o.insert(slug.to_string());
        } else {
            o.remove(slug);
        }
    }

    pub fn set_behaviour(&self, slug: &str, b: Behaviour) {
        self.behaviours.lock().insert(slug.to_string(), b);
    }
}

pub const RATE_WINDOW: Duration = Duration::from_secs(3);

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/sim/fm/{slug}/workorders", post(create))
        .route("/sim/fm/{slug}/workorders/{id}", patch(update))
        .route("/sim/fm/{slug}/workorders/{id}/cancel", post(cancel))
        .route("/sim/providers/{slug}", axum::routing::put(control))
}

impl Behaviour {
    pub fn parse(s: &str) -> Option<Behaviour> {
        match s {
            "healthy" => Some(Behaviour::Healthy),
            "flaky" => Some(Behaviour::Flaky),
            "slow" => Some(Behaviour::Slow),
            "broken_credentials" => Some(Behaviour::BrokenCredentials),
            "rate_limited" => Some(Behaviour::RateLimited),
            "malformed" => Some(Behaviour::Malformed),
            _ => None,
        }
    }
}

/// Test and demo control: `PUT /sim/providers/{slug}` with a behaviour name, or
/// `outage` / `up` to take the provider down or bring it back.
async fn control(State(sim): State<Arc<Sim>>, Path(slug): Path<String>, body: String) -> Response {
    let what = body.trim();
    match what {
        "outage" => sim.fm.set_outage(&slug, true),
        "up" => sim.fm.set_outage(&slug, false),
        other => match Behaviour::parse(other) {
            Some(b) => sim.fm.set_behaviour(&slug, b),
            None => {
                let msg = "healthy, flaky, slow, broken_credentials, rate_limited, malformed, outage, up";
                return (StatusCode::BAD_REQUEST, format!("unknown behaviour `{other}` (one of {msg})\n"))
                    .into_response();
            }
        },
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Applies the provider's behaviour; `Some` is the answer that replaces the real one.
async fn gate(sim: &Sim, slug: &str, headers: &HeaderMap) -> Option<Response> {
    if headers.get(header::AUTHORIZATION).is_none() {
        return Some(
            (StatusCode::UNAUTHORIZED, Json(json!({"error": "unauthorized", "error_description": "no credentials"})))
                .into_response(),
        );
    }
    if sim.fm.outage.lock().contains(slug) {
        return Some(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": "service_unavailable", "message": "provider outage"})),
            )
                .into_response(),
        );
    }
    let b = sim.fm.behaviours.lock().get(slug).copied();
    let roll: f64 = sim.fm.rng.lock().gen_range(0.0..1.0);
    match b? {
        Behaviour::Healthy | Behaviour::Malformed => {
            tokio::time::sleep(Duration::from_millis(15 + (roll * 60.0) as u64)).await;
            None
        }
        Behaviour::Flaky if roll < 0.4 => Some(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": "upstream_unavailable", "message": "work order service temporarily unavailable"})),
            )
                .into_response(),
        ),
        Behaviour::Flaky => None,
        Behaviour::Slow => {
            tokio::time::sleep(Duration::from_millis(1500 + (roll * 2500.0) as u64)).await;
            None
        }
        Behaviour::BrokenCredentials => Some(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "invalid_client", "error_description": "client credentials rejected"})),
            )
                .into_response(),
        ),
        Behaviour::RateLimited => {
            let mut last = sim.fm.last_allowed.lock();
            let now = Instant::now();
            match last.get(slug) {
                Some(t) if now.duration_since(*t) < RATE_WINDOW => Some(
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, RATE_WINDOW.as_secs().to_string())],
                        Json(json!({"error": "rate_limited", "message": "too many requests"})),
                    )
                        .into_response(),
                ),
                _ => {
                    last.insert(slug.to_string(), now);
                    None
                }
            }
        }
    }
}

fn malformed(sim: &Sim, slug: &str) -> Option<Response> {
    (sim.fm.behaviours.lock().get(slug) == Some(&Behaviour::Malformed))
        .then(|| (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{\"id\": \"FM-4").into_response())
}

async fn create(
    State(sim): State<Arc<Sim>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = gate(&sim, &slug, &headers).await {
        return r;
    }
    if serde_json::from_slice::<Value>(&body).is_err() {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "bad_request", "message": "body is not JSON"})))
            .into_response();
    }
    if let Some(r) = malformed(&sim, &slug) {
        return r;
    }
    let id = {
        let mut n = sim.fm.next_id.lock();
        *n += 1;
        format!("FM-{}", *n)
    };
    sim.fm.orders.lock().insert(id.clone(), FmOrder { slug: slug.clone(), status: "accepted".into() });
    (StatusCode::CREATED, Json(json!({"id": id, "status": "accepted"}))).into_response()
}

async fn update(State(sim): State<Arc<Sim>>, Path((slug, id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    if let Some(r) = gate(&sim, &slug, &headers).await {
        return r;
    }
    if let Some(r) = malformed(&sim, &slug) {
        return r;
    }
    match sim.fm.orders.lock().get(&id) {
        Some(o) if o.slug == slug => (StatusCode::OK, Json(json!({"id": id, "status": "updated"}))).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_found", "message": format!("work order {id} not found")})),
        )
            .into_response(),
    }
}

async fn cancel(State(sim): State<Arc<Sim>>, Path((slug, id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    if let Some(r) = gate(&sim, &slug, &headers).await {
        return r;
    }
    if let Some(r) = malformed(&sim, &slug) {
        return r;
    }
    let mut orders = sim.fm.orders.lock();
    match orders.get_mut(&id) {
        Some(o) if o.slug == slug => {
            o.status = "cancelled".into();
            (StatusCode::OK, Json(json!({"id": id, "status": "cancelled"}))).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_found", "message": format!("work order {id} not found")})),
        )
            .into_response(),
    }
}
