//! HTTP routes of the embedded instance and the JSON shapes a real instance answers with.

// Helpers return the finished error `Response` so handlers can `?` it out; it is built
// once per failed request, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use serde_json::{Map, Value, json};

use super::Sim;
use super::auth::Grant;
use super::faults::Fault;
use super::schema::{self, Kind, TableDef};
use super::store::{Row, StoreError};
use crate::query;

type S = State<Arc<Sim>>;

pub fn router(sim: Arc<Sim>) -> Router {
    let api = Router::new()
        .route("/api/now/table/{table}", get(list).post(create))
        .route("/api/now/table/{table}/{sys_id}", get(read).patch(update).put(update).delete(remove))
        .route("/api/now/stats/{table}", get(stats))
        .route("/api/sn_fd/flow/{flow}/run", post(trigger))
        .route("/api/sn_fd/flow/execution/{id}/status", get(status))
        .route("/api/x_hubtop/console/executions/{id}", get(execution_detail))
        .layer(middleware::from_fn_with_state(Arc::clone(&sim), require_auth));
    let faulty = Router::new()
        .merge(api)
        .route("/oauth_token.do", post(oauth))
        .layer(middleware::from_fn_with_state(Arc::clone(&sim), inject_faults));
    Router::new()
        .merge(faulty)
        .merge(super::fm::router())
        .route("/sim/counters", get(counters))
        .route("/sim/faults", put(set_faults))
        .route("/", get(|| async { "hubtop embedded instance\n" }))
        .with_state(sim)
}

/// The ServiceNow error envelope.
pub fn error(status: StatusCode, message: &str, detail: Option<&str>) -> Response {
    let body = json!({"error": {"message": message, "detail": detail}, "status": "failure"});
    (status, Json(body)).into_response()
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

async fn require_auth(State(sim): S, req: Request, next: Next) -> Response {
    let h = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if !sim.auth.check(h) {
        return error(StatusCode::UNAUTHORIZED, "User Not Authenticated", Some("Required to provide Auth information"));
    }
    next.run(req).await
}

async fn inject_faults(State(sim): S, req: Request, next: Next) -> Response {
    sim.counters.requests.fetch_add(1, Ordering::Relaxed);
    let faults = sim.faults.read().clone();
    if !faults.latency.is_zero() {
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
        Fault::Unauthorized => {
            error(StatusCode::UNAUTHORIZED, "User Not Authenticated", Some("Required to provide Auth information"))
        }
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

async fn oauth(State(sim): S, Form(f): Form<HashMap<String, String>>) -> Response {
    let g = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let grant = match g("grant_type") {
        "client_credentials" => {
            Grant::ClientCredentials { client_id: g("client_id"), client_secret: g("client_secret") }
        }
        "password" => Grant::Password {
            client_id: g("client_id"),
            client_secret: g("client_secret"),
            username: g("username"),
            password: g("password"),
        },
        "refresh_token" => Grant::Refresh {
            client_id: g("client_id"),
            client_secret: g("client_secret"),
            refresh_token: g("refresh_token"),
        },
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "unsupported_grant_type", "error_description": "unsupported grant type"})),
            )
                .into_response();
        }
    };
    match sim.auth.grant(grant) {
        Ok(t) => Json(json!({
            "access_token": t.access_token,
            "refresh_token": t.refresh_token,
            "scope": "useraccount",
            "token_type": "Bearer",
            "expires_in": t.expires_in,
        }))
        .into_response(),
        Err(why) => (StatusCode::UNAUTHORIZED, Json(json!({"error": "access_denied", "error_description": why})))
            .into_response(),
    }
}

/// How a list or record is rendered, from the `sysparm_*` parameters.
pub struct Render {
    display: Display,
    exclude_links: bool,
    fields: Option<Vec<usize>>,
    base: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Display {
    Value,
    Label,
    All,
}

impl Render {
    fn from_params(sim: &Sim, def: &TableDef, p: &HashMap<String, String>) -> Result<Render, Response> {
        let display = match p.get("sysparm_display_value").map(String::as_str) {
            None | Some("false") | Some("") => Display::Value,
            Some("true") => Display::Label,
            Some("all") => Display::All,
            Some(other) => {
                return Err(error(StatusCode::BAD_REQUEST, &format!("Invalid sysparm_display_value: {other}"), None));
            }
        };
        let fields = p.get("sysparm_fields").filter(|s| !s.trim().is_empty()).map(|s| {
            // Unknown fields are left out, as a real instance does.
            s.split(',').filter_map(|f| def.col(f.trim())).collect::<Vec<_>>()
        });
        Ok(Render {
            display,
            exclude_links: p.get("sysparm_exclude_reference_link").is_some_and(|v| v == "true"),
            fields,
            base: sim.base_url.clone(),
        })
    }

    fn row(&self, sim: &Sim, def: &TableDef, row: &Row) -> Value {
        let mut m = Map::new();
        let all: Vec<usize>;
        let cols = match &self.fields {
            Some(f) => f.as_slice(),
            None => {
                all = (0..def.fields.len()).collect();
                &all
            }
        };
        for &c in cols {
            let fd = &def.fields[c];
            let v: &str = &row[c];
            let label = || -> String {
                match fd.kind {
                    Kind::Choice if !v.is_empty() => schema::choice_label(v),
                    Kind::Ref(t) if !v.is_empty() => display_of(sim, t, v),
                    Kind::DocumentId { table_field } if !v.is_empty() => match def.col(table_field) {
                        Some(tc) => display_of(sim, &row[tc], v),
                        None => v.to_string(),
                    },
                    _ => v.to_string(),
                }
            };
            let link = |t: &str| format!("{}/api/now/table/{t}/{v}", self.base);
            let out = match (self.display, fd.kind) {
                (Display::Value, Kind::Ref(t)) if !v.is_empty() && !self.exclude_links => {
                    json!({"link": link(t), "value": v})
                }
                (Display::Value, _) => json!(v),
                (Display::Label, Kind::Ref(t)) if !v.is_empty() && !self.exclude_links => {
                    json!({"link": link(t), "display_value": label()})
                }
                (Display::Label, _) => json!(label()),
                (Display::All, Kind::Ref(t)) if !v.is_empty() && !self.exclude_links => {
                    json!({"display_value": label(), "value": v, "link": link(t)})
                }
                (Display::All, _) => json!({"display_value": label(), "value": v}),
            };
            m.insert(fd.name.to_string(), out);
        }
        Value::Object(m)
    }
}

fn display_of(sim: &Sim, table: &str, id: &str) -> String {
    let Some(def) = schema::table(table) else { return id.to_string() };
    match (sim.store.get(table, id), def.col(def.display)) {
        (Ok(r), Some(c)) => r[c].to_string(),
        _ => id.to_string(),
    }
}

fn table_def(name: &str) -> Result<&'static TableDef, Response> {
    schema::table(name).ok_or_else(|| store_error(StoreError::UnknownTable(name.to_string())))
}

fn compile(def: &TableDef, q: Option<&String>) -> Result<query::Compiled, Response> {
    let parsed = query::parse(q.map(String::as_str).unwrap_or(""))
        .map_err(|e| error(StatusCode::BAD_REQUEST, "Invalid query", Some(&e.to_string())))?;
    parsed
        .compile(|f| def.col(f))
        .map_err(|e| error(StatusCode::BAD_REQUEST, "Invalid query", Some(&format!("unknown field in query: {e}"))))
}

fn num_param(p: &HashMap<String, String>, k: &str, default: usize) -> Result<usize, Response> {
    match p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse().map_err(|_| error(StatusCode::BAD_REQUEST, &format!("Invalid {k}: {s}"), None)),
    }
}

const DEFAULT_LIMIT: usize = 10_000;

async fn list(State(sim): S, Path(table): Path<String>, Query(p): Query<HashMap<String, String>>) -> Response {
    list_inner(&sim, &table, &p).unwrap_or_else(|r| r)
}

fn list_inner(sim: &Sim, table: &str, p: &HashMap<String, String>) -> Result<Response, Response> {
    let def = table_def(table)?;
    let render = Render::from_params(sim, def, p)?;
    let q = compile(def, p.get("sysparm_query"))?;
    let limit = num_param(p, "sysparm_limit", DEFAULT_LIMIT)?.min(DEFAULT_LIMIT);
    let offset = num_param(p, "sysparm_offset", 0)?;
    let no_count = p.get("sysparm_no_count").is_some_and(|v| v == "true");
    let (total, rows) = sim.store.table(table).map_err(store_error)?.read().select(&q, offset, limit, !no_count);
    let result: Vec<Value> = rows.iter().map(|r| render.row(sim, def, r)).collect();
    let mut headers = HeaderMap::new();
    if let (false, Some(t)) = (no_count, total) {
        headers.insert("X-Total-Count", HeaderValue::from(t));
    }
    let link = link_header(&sim.base_url, table, p, offset, limit, total.filter(|_| !no_count), rows.len());
    if let Ok(v) = HeaderValue::from_str(&link) {
        headers.insert(header::LINK, v);
    }
    Ok((headers, Json(json!({ "result": result }))).into_response())
}

#[allow(clippy::too_many_arguments)]
fn link_header(
    base: &str,
    table: &str,
    p: &HashMap<String, String>,
    offset: usize,
    limit: usize,
    total: Option<usize>,
    got: usize,
) -> String {
    let mut params: Vec<(&String, &String)> =
        p.iter().filter(|(k, _)| *k != "sysparm_offset" && *k != "sysparm_limit").collect();
    params.sort();
    let url = |off: usize| {
        let mut s = format!("{base}/api/now/table/{table}?");
        for (k, v) in &params {
            s.push_str(&format!("{}={}&", enc(k), enc(v)));
        }
        s.push_str(&format!("sysparm_limit={limit}&sysparm_offset={off}"));
        s
    };
    let limit = limit.max(1);
    let mut links = vec![format!("<{}>;rel=\"first\"", url(0))];
    if offset > 0 {
        links.push(format!("<{}>;rel=\"prev\"", url(offset.saturating_sub(limit))));
    }
    let has_next = match total {
        Some(total) => offset + limit < total,
        None => got == limit,
    };
    if has_next {
        links.push(format!("<{}>;rel=\"next\"", url(offset + limit)));
    }
    if let Some(total) = total {
        let last = if total == 0 { 0 } else { (total - 1) / limit * limit };
        links.push(format!("<{}>;rel=\"last\"", url(last)));
    }
    links.join(",")
}

/// Percent-encoding for query values in links (RFC 3986 unreserved kept).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn read(
    State(sim): S,
    Path((table, id)): Path<(String, String)>,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let inner = || -> Result<Response, Response> {
        let def = table_def(&table)?;
        let render = Render::from_params(&sim, def, &p)?;
        let row = sim.store.get(&table, &id).map_err(store_error)?;
        Ok(Json(json!({"result": render.row(&sim, def, &row)})).into_response())
    };
    inner().unwrap_or_else(|r| r)
}

/// A request body as field/value pairs: every JSON scalar becomes its string form.
fn body_fields(body: &Bytes) -> Result<Vec<(String, String)>, Response> {
    let bad = |d: &str| error(StatusCode::BAD_REQUEST, "Exception while reading request", Some(d));
    let v: Value = serde_json::from_slice(body).map_err(|_| bad("The payload is not valid JSON."))?;
    let Value::Object(m) = v else { return Err(bad("The payload must be a JSON object.")) };
    m.into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Object(ref o) if o.contains_key("value") => {
                    o.get("value").and_then(Value::as_str).unwrap_or("").to_string()
                }
                _ => return Err(bad(&format!("Field {k} must be a string"))),
            };
            Ok((k, s))
        })
        .collect()
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

async fn create(
    State(sim): S,
    Path(table): Path<String>,
    Query(p): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let inner = || -> Result<Response, Response> {
        let def = table_def(&table)?;
        let render = Render::from_params(&sim, def, &p)?;
        let fields = body_fields(&body)?;
        sim.counters.writes.fetch_add(1, Ordering::Relaxed);
        let row = sim.store.insert(&table, &pairs(&fields)).map_err(store_error)?;
        let mut res = (StatusCode::CREATED, Json(json!({"result": render.row(&sim, def, &row)}))).into_response();
        if let Ok(loc) = HeaderValue::from_str(&format!("{}/api/now/table/{table}/{}", sim.base_url, &*row[0])) {
            res.headers_mut().insert(header::LOCATION, loc);
        }
        Ok(res)
    };
    inner().unwrap_or_else(|r| r)
}

async fn update(
    State(sim): S,
    Path((table, id)): Path<(String, String)>,
    Query(p): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let inner = || -> Result<Response, Response> {
        let def = table_def(&table)?;
        let render = Render::from_params(&sim, def, &p)?;
        let fields = body_fields(&body)?;
        sim.counters.writes.fetch_add(1, Ordering::Relaxed);
        *sim.counters.patches_by_id.lock().entry(id.clone()).or_default() += 1;
        let row = sim.store.update(&table, &id, &pairs(&fields)).map_err(store_error)?;
        Ok(Json(json!({"result": render.row(&sim, def, &row)})).into_response())
    };
    inner().unwrap_or_else(|r| r)
}

async fn remove(State(sim): S, Path((table, id)): Path<(String, String)>) -> Response {
    if let Err(r) = table_def(&table) {
        return r;
    }
    sim.counters.writes.fetch_add(1, Ordering::Relaxed);
    match sim.store.delete(&table, &id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => store_error(e),
    }
}

async fn stats(State(sim): S, Path(table): Path<String>, Query(p): Query<HashMap<String, String>>) -> Response {
    let inner = || -> Result<Response, Response> {
        let def = table_def(&table)?;
        let q = compile(def, p.get("sysparm_query"))?;
        let group: Vec<&str> = p
            .get("sysparm_group_by")
            .map(|g| g.split(',').map(str::trim).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let mut cols = Vec::new();
        for g in &group {
            cols.push(def.col(g).ok_or_else(|| {
                error(StatusCode::BAD_REQUEST, "Invalid group by", Some(&format!("unknown field {g}")))
            })?);
        }
        // sum / min / max / avg fields, as the Aggregate API takes them.
        let list = |k: &str| -> Result<Vec<(String, usize)>, Response> {
            p.get(k)
                .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .map(|f| {
                    def.col(f).map(|c| (f.to_string(), c)).ok_or_else(|| {
                        error(StatusCode::BAD_REQUEST, "Invalid aggregate field", Some(&format!("unknown field {f}")))
                    })
                })
                .collect()
        };
        let (sums, mins, maxs, avgs) = (
            list("sysparm_sum_fields")?,
            list("sysparm_min_fields")?,
            list("sysparm_max_fields")?,
            list("sysparm_avg_fields")?,
        );
        let value_cols: Vec<usize> = sums.iter().chain(&mins).chain(&maxs).chain(&avgs).map(|(_, c)| *c).collect();
        let groups = sim.store.table(&table).map_err(store_error)?.read().aggregate(&q, &cols, &value_cols);
        let num = |x: f64| if x.fract() == 0.0 { format!("{x:.0}") } else { x.to_string() };
        let stats_of = |a: &super::store::Agg| -> Value {
            let mut st = serde_json::Map::new();
            st.insert("count".into(), json!(a.count.to_string()));
            let mut i = 0;
            let mut section = |name: &str, fields: &[(String, usize)], f: &dyn Fn(usize) -> String| {
                if fields.is_empty() {
                    return;
                }
                let m: serde_json::Map<String, Value> = fields
                    .iter()
                    .map(|(n, _)| {
                        let v = f(i);
                        i += 1;
                        (n.clone(), json!(v))
                    })
                    .collect();
                st.insert(name.into(), Value::Object(m));
            };
            section("sum", &sums, &|i| num(a.sum[i]));
            section("min", &mins, &|i| a.min[i].as_deref().unwrap_or("").to_string());
            section("max", &maxs, &|i| a.max[i].as_deref().unwrap_or("").to_string());
            section("avg", &avgs, &|i| if a.count == 0 { String::new() } else { num(a.sum[i] / a.count as f64) });
            Value::Object(st)
        };
        if group.is_empty() {
            let total = groups.into_iter().next().map(|(_, a)| a).unwrap_or_else(|| super::store::Agg {
                count: 0,
                sum: vec![0.0; value_cols.len()],
                min: vec![None; value_cols.len()],
                max: vec![None; value_cols.len()],
            });
            return Ok(Json(json!({"result": {"stats": stats_of(&total)}})).into_response());
        }
        let result: Vec<Value> = groups
            .into_iter()
            .map(|(key, a)| {
                let fields: Vec<Value> = group
                    .iter()
                    .zip(key.iter())
                    .map(|(f, v)| {
                        let label = match def.col(f).map(|c| def.fields[c].kind) {
                            Some(Kind::Choice) if !v.is_empty() => schema::choice_label(v),
                            Some(Kind::Ref(t)) if !v.is_empty() => display_of(&sim, t, v),
                            _ => v.to_string(),
                        };
                        json!({"field": f, "value": &**v, "display_value": label})
                    })
                    .collect();
                json!({"stats": stats_of(&a), "groupby_fields": fields})
            })
            .collect();
        Ok(Json(json!({ "result": result })).into_response())
    };
    inner().unwrap_or_else(|r| r)
}

async fn trigger(State(sim): S, Path(flow): Path<String>, body: Bytes) -> Response {
    sim.counters.trigger_posts.fetch_add(1, Ordering::Relaxed);
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "Exception while reading request",
                Some("The payload is not valid JSON."),
            );
        }
    };
    let inputs = v.get("inputs").and_then(Value::as_object).cloned().unwrap_or_default();
    if let Some(rec) = inputs.get("record").and_then(Value::as_str) {
        *sim.counters.triggers_by_record.lock().entry(rec.to_string()).or_default() += 1;
    }
    match super::engine::trigger(&sim, &flow, inputs) {
        Ok(id) => (StatusCode::ACCEPTED, Json(json!({"executionId": id, "status": "RUNNING"}))).into_response(),
        Err(e) => store_error(e),
    }
}

async fn status(State(sim): S, Path(id): Path<String>) -> Response {
    let Ok(row) = sim.store.get(schema::EXECUTIONS, &id) else {
        return error(StatusCode::NOT_FOUND, "Execution not found", Some(&id));
    };
    let detail = super::engine::detail(&sim, &row);
    let state = Sim::exec_field(&row, "state");
    Json(json!({
        "executionId": id,
        "status": if state == "IN_PROGRESS" || state == "QUEUED" { "RUNNING" } else { state },
        "outputs": detail.outputs,
        "error": Sim::exec_field(&row, "error_message"),
    }))
    .into_response()
}

async fn execution_detail(State(sim): S, Path(id): Path<String>) -> Response {
    let def = schema::table(schema::EXECUTIONS).expect("executions table");
    let Ok(row) = sim.store.get(schema::EXECUTIONS, &id) else {
        return error(StatusCode::NOT_FOUND, "No Record found", Some("Execution doesn't exist"));
    };
    let render = Render { display: Display::Value, exclude_links: true, fields: None, base: sim.base_url.clone() };
    let d = super::engine::detail(&sim, &row);
    Json(json!({"result": {
        "execution": render.row(&sim, def, &row),
        "inputs": d.inputs,
        "outputs": d.outputs,
        "steps": d.steps,
    }}))
    .into_response()
}

async fn counters(State(sim): S) -> Response {
    Json(sim.counters.snapshot()).into_response()
}

async fn set_faults(State(sim): S, body: String) -> Response {
    match super::Faults::parse(&body) {
        Ok(f) => {
            sim.set_faults(f);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, "Invalid fault spec", Some(&e)),
    }
}

impl Sim {
    pub fn exec_field<'r>(row: &'r Row, f: &str) -> &'r str {
        super::store::Store::field(schema::EXECUTIONS, row, f)
    }
}
