//! The Table API (`/api/now[/v1|/v2]/table/…`): list with paging headers, read, create,
//! update, delete. A PATCH/PUT of a synced work order starts IFM's subflows (`ifm`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::render::{Render, visible_col};
use super::{S, error, flag, store_error, table_def, version};
use crate::sim::Sim;
use crate::sim::schema::{self, Kind, TableDef};
use crate::sim::store::Row;

type P = Path<HashMap<String, String>>;
type Q = Query<HashMap<String, String>>;

/// `sysparm_limit` / `sysparm_offset`: a number, else the default. A negative offset
/// reads as 0 (a real `prev` link can carry -1).
fn num_param(p: &HashMap<String, String>, k: &str, default: usize) -> Result<usize, Response> {
    match p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) if s.starts_with('-') && s[1..].parse::<u64>().is_ok() => Ok(0),
        Some(s) => s.parse().map_err(|_| error(StatusCode::BAD_REQUEST, &format!("Invalid {k}: {s}"), None)),
    }
}

const DEFAULT_LIMIT: usize = 10_000;

pub async fn list(State(sim): S, Path(path): P, Query(p): Q) -> Response {
    list_inner(&sim, &path, &p).unwrap_or_else(|r| r)
}

fn list_inner(sim: &Sim, path: &HashMap<String, String>, p: &HashMap<String, String>) -> Result<Response, Response> {
    let ver = version(path)?;
    let table = path.get("table").map(String::as_str).unwrap_or("");
    let def = table_def(sim, table)?;
    let render = Render::from_params(sim, def, p)?;
    let q = super::bind::compile(sim, def, p);
    let limit = num_param(p, "sysparm_limit", DEFAULT_LIMIT)?.min(DEFAULT_LIMIT);
    let offset = num_param(p, "sysparm_offset", 0)?;
    let no_count = flag(p, "sysparm_no_count");
    let (total, rows) = sim.store.table(table).map_err(store_error)?.read().select(&q, offset, limit, !no_count);
    if ver == Some("v1") && rows.is_empty() {
        // Version 1 answers a valid query without results with 404 (Table API page).
        return Err(error(
            StatusCode::NOT_FOUND,
            "No Record found",
            Some("Records matching query not found. Check query parameter or offset parameter"),
        ));
    }
    let result: Vec<Value> = rows.iter().map(|r| render.row(sim, def, r)).collect();
    let mut headers = HeaderMap::new();
    if let (false, Some(t)) = (no_count, total) {
        headers.insert("X-Total-Count", HeaderValue::from(t));
    }
    if !flag(p, "sysparm_suppress_pagination_header") {
        let prefix = match ver {
            Some(v) => format!("{}/api/now/{v}/table/{table}", sim.base_url),
            None => format!("{}/api/now/table/{table}", sim.base_url),
        };
        let link = link_header(&prefix, p, offset, limit, total.filter(|_| !no_count), rows.len());
        if let Ok(v) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, v);
        }
    }
    Ok((headers, Json(json!({ "result": result }))).into_response())
}

fn link_header(
    prefix: &str,
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
        let mut s = format!("{prefix}?");
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

/// The table and record a path names (after checking its version).
fn target(sim: &Sim, path: &HashMap<String, String>) -> Result<(&'static TableDef, String), Response> {
    version(path)?;
    let def = table_def(sim, path.get("table").map(String::as_str).unwrap_or(""))?;
    Ok((def, path.get("sys_id").cloned().unwrap_or_default()))
}

pub async fn read(State(sim): S, Path(path): P, Query(p): Q) -> Response {
    let inner = || -> Result<Response, Response> {
        let (def, id) = target(&sim, &path)?;
        let render = Render::from_params(&sim, def, &p)?;
        let row = sim.store.get(def.name, &id).map_err(store_error)?;
        Ok(Json(json!({"result": render.row(&sim, def, &row)})).into_response())
    };
    inner().unwrap_or_else(|r| r)
}

/// A request body as field/value pairs: every JSON scalar becomes its string form;
/// fields the table does not show (`--break field:`) are dropped like unknown ones.
fn body_fields(sim: &Sim, def: &TableDef, body: &Bytes) -> Result<Vec<(String, String)>, Response> {
    let bad = |d: &str| error(StatusCode::BAD_REQUEST, "Exception while reading request", Some(d));
    let v: Value = serde_json::from_slice(body).map_err(|_| bad("The payload is not valid JSON."))?;
    let Value::Object(m) = v else { return Err(bad("The payload must be a JSON object.")) };
    let mut out = Vec::new();
    for (k, v) in m {
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
        if def.col(&k).is_none() || visible_col(sim, def, &k).is_some() {
            out.push((k, s));
        }
    }
    Ok(out)
}

/// `sysparm_input_display_value=true` (Table API page, POST / PUT / PATCH): the values
/// sent are display values, stored as the instance stores them. A reference's display
/// value becomes the referenced record's sys_id ("if you send the display name for a
/// reference field, the endpoint stores the sys_id"); a choice's label its value; a
/// date-time in the user's format (`yyyy-MM-dd HH:mm:ss`, the default: the embedded
/// instance keeps no per-user format) and time zone becomes UTC ("adjusted for the
/// current user's timezone"); an integer may carry grouping commas. Assumed where the
/// page is silent: a value that is already the stored form (a sys_id, a choice value)
/// is kept; a display value several records share picks the first of them in the
/// table's order; one no record has leaves the reference empty (logged, debug); an
/// unknown label is stored as sent (an unreadable date is refused, as any is).
fn from_display(
    sim: &Sim,
    def: &TableDef,
    before: Option<&Row>,
    fields: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let tz = crate::sim::user::user_tz(sim);
    let given = fields.clone();
    fields
        .into_iter()
        .map(|(k, v)| {
            let Some(c) = def.col(&k) else { return (k, v) };
            if v.is_empty() {
                return (k, v);
            }
            let stored = match def.fields[c].kind {
                Kind::Choice => {
                    let choices = schema::choices(def.name, &k);
                    if choices.contains(&v.as_str()) {
                        v
                    } else {
                        choices
                            .iter()
                            .find(|x| schema::choice_label(x).eq_ignore_ascii_case(v.trim()))
                            .map_or(v, |x| x.to_string())
                    }
                }
                Kind::Ref(t) => reference_by_display(sim, t, &v),
                Kind::DocumentId { table_field } => {
                    let table = given
                        .iter()
                        .find(|(f, _)| f == table_field)
                        .map(|(_, t)| t.clone())
                        .or_else(|| {
                            before.map(|r| crate::sim::store::Store::field(def.name, r, table_field).to_string())
                        })
                        .unwrap_or_default();
                    if schema::table(&table).is_some() { reference_by_display(sim, &table, &v) } else { v }
                }
                Kind::DateTime => {
                    let t = v.trim();
                    let full = if t.len() == 10 { format!("{t} 00:00:00") } else { t.to_string() };
                    if crate::time::parse(&full).is_some() { crate::sim::tz::from_local(&full, &tz) } else { v }
                }
                Kind::Int if v.contains(',') && v.replace(',', "").trim().parse::<i64>().is_ok() => v.replace(',', ""),
                Kind::Bool if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") => {
                    v.to_ascii_lowercase()
                }
                _ => v,
            };
            (k, stored)
        })
        .collect()
}

/// The sys_id of the record of `table` whose display value is `v` (see `from_display`).
fn reference_by_display(sim: &Sim, table: &str, v: &str) -> String {
    let (Some(tdef), Ok(lock)) = (schema::table(table), sim.store.table(table)) else { return v.to_string() };
    let t = lock.read();
    if t.get(v).is_some() {
        return v.to_string();
    }
    let Some(dc) = tdef.col(tdef.display) else { return v.to_string() };
    let mut hits = t.iter().filter(|r| &*r[dc] == v);
    match (hits.next(), hits.next()) {
        (Some(r), None) => r[0].to_string(),
        (Some(r), Some(_)) => {
            tracing::debug!(table, display = v, "input display value names several records: the first is taken");
            r[0].to_string()
        }
        (None, _) => {
            tracing::debug!(table, display = v, "input display value names no record: the reference is left empty");
            String::new()
        }
    }
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

pub async fn create(State(sim): S, Path(path): P, Query(p): Q, body: Bytes) -> Response {
    let inner = || -> Result<Response, Response> {
        let (def, _) = target(&sim, &path)?;
        let render = Render::from_params(&sim, def, &p)?;
        let mut fields = body_fields(&sim, def, &body)?;
        if flag(&p, "sysparm_input_display_value") {
            fields = from_display(&sim, def, None, fields);
        }
        sim.counters.writes.fetch_add(1, Ordering::Relaxed);
        let row = sim.store.insert(def.name, &pairs(&fields)).map_err(store_error)?;
        let mut res = (StatusCode::CREATED, Json(json!({"result": render.row(&sim, def, &row)}))).into_response();
        if let Ok(loc) = HeaderValue::from_str(&format!("{}/api/now/table/{}/{}", sim.base_url, def.name, &*row[0])) {
            res.headers_mut().insert(header::LOCATION, loc);
        }
        Ok(res)
    };
    inner().unwrap_or_else(|r| r)
}

pub async fn update(State(sim): S, Path(path): P, Query(p): Q, body: Bytes) -> Response {
    let inner = |sim: &Arc<Sim>| -> Result<Response, Response> {
        let (def, id) = target(sim, &path)?;
        let render = Render::from_params(sim, def, &p)?;
        let mut fields = body_fields(sim, def, &body)?;
        sim.counters.writes.fetch_add(1, Ordering::Relaxed);
        *sim.counters.patches_by_id.lock().entry(id.clone()).or_default() += 1;
        let before = sim.store.get(def.name, &id).ok();
        if flag(&p, "sysparm_input_display_value") {
            fields = from_display(sim, def, before.as_ref(), fields);
        }
        let row = sim.store.update(def.name, &id, &pairs(&fields)).map_err(store_error)?;
        if let Some(before) = before {
            crate::sim::ifm::after_update(sim, def.name, &before, &row);
        }
        Ok(Json(json!({"result": render.row(sim, def, &row)})).into_response())
    };
    inner(&sim).unwrap_or_else(|r| r)
}

pub async fn remove(State(sim): S, Path(path): P) -> Response {
    let (def, id) = match target(&sim, &path) {
        Ok(t) => t,
        Err(r) => return r,
    };
    sim.counters.writes.fetch_add(1, Ordering::Relaxed);
    match sim.store.delete(def.name, &id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => store_error(e),
    }
}
