//! HTTP routes of the embedded instance and the JSON shapes a real instance answers
//! with. The layers, outermost first: request counting and transport faults (latency,
//! 5xx, 429, HTML, resets), authentication, the hourly rate-limit rule, ACL denials;
//! then the APIs, one module each. Any `/api/` path nobody serves answers 400
//! "Requested URI does not represent any resource", as a real instance does.

// Helpers return the finished error `Response` so handlers can `?` it out; it is built
// once per failed request, so its size does not matter.
#![allow(clippy::result_large_err)]

mod admin;
mod batch;
mod bind;
pub mod companion;
mod flow;
mod render;
mod stats;
mod table;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;

use super::Sim;
use super::faults::Fault;
use super::schema::{self, TableDef};
use super::store::StoreError;

pub use table::enc;

type S = State<Arc<Sim>>;

pub fn router(sim: Arc<Sim>) -> Router {
    let api = Router::new()
        .route("/api/now/table/{table}", get(table::list).post(table::create))
        .route("/api/now/{version}/table/{table}", get(table::list).post(table::create))
        .route(
            "/api/now/table/{table}/{sys_id}",
            get(table::read).patch(table::update).put(table::update).delete(table::remove),
        )
        .route(
            "/api/now/{version}/table/{table}/{sys_id}",
            get(table::read).patch(table::update).put(table::update).delete(table::remove),
        )
        .route("/api/now/stats/{table}", get(stats::stats))
        .route("/api/now/{version}/stats/{table}", get(stats::stats))
        .route("/api/now/batch", post(batch::batch))
        .route("/api/now/{version}/batch", post(batch::batch))
        .route("/api/sn_fd/flow/{flow}/run", post(flow::trigger))
        .route("/api/sn_fd/flow/execution/{id}/status", get(flow::status))
        .merge(companion::routes())
        .layer(middleware::from_fn_with_state(Arc::clone(&sim), guard));
    let faulty = Router::new()
        .merge(api)
        .route("/oauth_token.do", post(admin::oauth))
        .layer(middleware::from_fn_with_state(Arc::clone(&sim), inject_faults));
    Router::new()
        .merge(faulty)
        .merge(super::fm::router())
        .route("/sim/counters", get(admin::counters))
        .route("/sim/faults", put(admin::set_faults))
        .route("/", get(|| async { "hubtop embedded instance\n" }))
        .fallback(unknown_path)
        .with_state(sim)
}

/// The ServiceNow error envelope.
pub fn error(status: StatusCode, message: &str, detail: Option<&str>) -> Response {
    let body = json!({"error": {"message": message, "detail": detail}, "status": "failure"});
    (status, Json(body)).into_response()
}

/// What a real instance answers for a REST path it does not serve (an API or scripted
/// REST resource that is not installed).
pub fn no_resource() -> Response {
    error(StatusCode::BAD_REQUEST, "Requested URI does not represent any resource", None)
}

fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::NotFound => error(
            StatusCode::NOT_FOUND,
            "No Record found",
            Some("Record doesn't exist or ACL restricts the record retrieval"),
        ),
        StoreError::UnknownTable(t) => error(StatusCode::BAD_REQUEST, &format!("Invalid table {t}"), None),
        e @ StoreError::BadValue { .. } => error(StatusCode::BAD_REQUEST, "Invalid field value", Some(&e.to_string())),
    }
}

/// A table the API serves: known, and not removed by `--break table:`.
fn table_def(sim: &Sim, name: &str) -> Result<&'static TableDef, Response> {
    schema::table(name)
        .filter(|_| !sim.config.breaks.table(name))
        .ok_or_else(|| store_error(StoreError::UnknownTable(name.to_string())))
}

/// The `{version}` path segment: `v1` or `v2`, anything else is not a resource.
fn version(p: &HashMap<String, String>) -> Result<Option<&str>, Response> {
    match p.get("version").map(String::as_str) {
        None => Ok(None),
        Some(v @ ("v1" | "v2")) => Ok(Some(v)),
        Some(_) => Err(no_resource()),
    }
}

/// A boolean `sysparm_*` flag: case-insensitive, as a real instance reads them.
fn flag(p: &HashMap<String, String>, k: &str) -> bool {
    p.get(k).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

async fn unknown_path(State(sim): S, req: Request) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    // A request for a resource the instance does not have is a request all the same.
    sim.counters.requests.fetch_add(1, Ordering::Relaxed);
    sim.counters.log(req.method().as_str(), req.uri().path());
    // Assumed: credentials are checked before the resource is looked up.
    let h = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if !sim.auth.check(h) {
        return unauthenticated();
    }
    no_resource()
}

fn unauthenticated() -> Response {
    error(StatusCode::UNAUTHORIZED, "User Not Authenticated", Some("Required to provide Auth information"))
}

/// Authentication, the hourly rate-limit rule and ACL denials, in that order.
async fn guard(State(sim): S, req: Request, next: Next) -> Response {
    let h = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if !sim.auth.check(h) {
        return unauthenticated();
    }
    let batch_envelope = req.uri().path().ends_with("/batch");
    let limit = sim.config.rate_limit.filter(|_| !batch_envelope);
    let now = chrono::Utc::now().timestamp();
    let counted = limit.map(|l| (l, sim.count_hourly(l, now)));
    let rule_headers = |r: &mut Response, l: u32| {
        let reset = now - now.rem_euclid(3600) + 3600;
        let hs = r.headers_mut();
        hs.insert("X-RateLimit-Limit", HeaderValue::from(l));
        hs.insert("X-RateLimit-Reset", HeaderValue::from(reset));
        hs.insert("X-RateLimit-Rule", HeaderValue::from_static(RATE_RULE_ID));
    };
    if let Some((l, Err(wait))) = counted {
        sim.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
        let detail = format!("Rate limit of {l} requests per hour for {} exceeded", api_name(req.uri().path()));
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded", Some(&detail));
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
        rule_headers(&mut r, l);
        return r;
    }
    if let Some(denied) = acl_denial(&sim, req.method(), req.uri().path()) {
        return denied;
    }
    let mut res = next.run(req).await;
    if let Some((l, Ok(_))) = counted {
        rule_headers(&mut res, l);
    }
    res
}

/// The sys_id of the one rate-limit rule `--rate-limit` creates.
const RATE_RULE_ID: &str = "a8d2e5f1c3b74a1e9f0d6b2c4e8a1f37";

fn api_name(path: &str) -> &'static str {
    if path.contains("/table/") {
        "Table API"
    } else if path.contains("/stats/") {
        "Aggregate API"
    } else {
        "REST API"
    }
}

/// A read or write ACL denial (the `acl_read` / `acl_write` faults) with the bodies a
/// real instance sends.
fn acl_denial(sim: &Sim, method: &Method, path: &str) -> Option<Response> {
    let f = sim.faults.read().clone();
    if f.acl_read == 0.0 && f.acl_write == 0.0 || path.ends_with("/batch") {
        return None;
    }
    let read = *method == Method::GET;
    let p = if read { f.acl_read } else { f.acl_write };
    if p == 0.0 || sim.roll() >= p {
        return None;
    }
    Some(if read {
        error(
            StatusCode::FORBIDDEN,
            "Insufficient rights to query records",
            Some("Field(s) present in the query do not have permission to be read"),
        )
    } else {
        let what = match *method {
            Method::POST => "Insert",
            Method::DELETE => "Delete",
            _ => "Update",
        };
        error(
            StatusCode::FORBIDDEN,
            "Operation Failed",
            Some(&format!("ACL Exception {what} Failed due to security constraints")),
        )
    })
}

/// The header the Batch API marks its items with (a per-process secret): an item is
/// served inside the instance, so the network's latency applies to the batch once.
pub(crate) fn batch_item_mark() -> &'static str {
    static MARK: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    MARK.get_or_init(|| format!("{:032x}", rand::random::<u128>()))
}

pub(crate) const BATCH_ITEM_HEADER: &str = "x-hubtop-sim-batch-item";

async fn inject_faults(State(sim): S, req: Request, next: Next) -> Response {
    let faults = sim.faults.read().clone();
    let batch_item = req.headers().get(BATCH_ITEM_HEADER).is_some_and(|v| v.as_bytes() == batch_item_mark().as_bytes());
    // `requests` counts HTTP requests from clients; a batch's items are counted apart.
    let counter = if batch_item { &sim.counters.batch_items } else { &sim.counters.requests };
    counter.fetch_add(1, Ordering::Relaxed);
    if !batch_item {
        sim.counters.log(req.method().as_str(), req.uri().path());
    }
    if !faults.latency.is_zero() && !batch_item {
        tokio::time::sleep(faults.latency).await;
    }
    if faults.limit > 0.0 && !sim.within_limit(faults.limit) {
        sim.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded", Some("instance request rate limit"));
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    }
    match faults.pick(sim.roll()) {
        Fault::None => next.run(req).await,
        Fault::Error => error(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", Some("injected fault")),
        Fault::RateLimit => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded", Some("injected fault"));
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Fault::Unauthorized => unauthenticated(),
        Fault::Malformed => {
            ([(header::CONTENT_TYPE, "application/json")], "{\"result\":[{\"sys_id\":\"4f2a").into_response()
        }
        Fault::Html => (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><head><title>Instance Hibernating page</title></head><body>Your instance is hibernating. \
             Sign in to wake it up.</body></html>",
        )
            .into_response(),
        Fault::Reset => {
            // The work is done, then the answer is lost mid-flight.
            let res = next.run(req).await;
            let (parts, _) = res.into_parts();
            let stream = futures::stream::iter(vec![
                Ok::<Bytes, std::io::Error>(Bytes::from_static(b"{\"result\":")),
                Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected reset")),
            ]);
            Response::from_parts(parts, Body::from_stream(stream))
        }
    }
}
