//! The Batch API (`POST /api/now/v1/batch`, Batch API page): several REST requests in
//! one, bodies base64-encoded both ways. Each item goes through the instance's own
//! routing over loopback — authentication (the batch's credentials unless the item
//! sets its own), faults, ACLs and the rate-limit rule — exactly as if sent alone.
//! Assumed where the page is silent: the batch envelope itself does not count against
//! a rate-limit rule, each item does; items run in order.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use super::{S, error};

/// Items beyond this are returned unserviced (a processing limit, as the page allows).
const MAX_ITEMS: usize = 100;

pub async fn batch(State(sim): S, headers: HeaderMap, body: Bytes) -> Response {
    let bad = |d: &str| error(StatusCode::BAD_REQUEST, "Exception while reading request", Some(d));
    let Ok(v) = serde_json::from_slice::<Value>(&body) else { return bad("The payload is not valid JSON.") };
    let Some(items) = v.get("rest_requests").and_then(Value::as_array) else {
        return bad("rest_requests is required");
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let auth = headers.get(header::AUTHORIZATION).cloned();
    let http = crate::sim::loopback_http(None);
    let mut serviced = Vec::new();
    let mut unserviced = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let id = item.get("id").map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()));
        let id = id.unwrap_or_default();
        if i >= MAX_ITEMS {
            unserviced.push(json!(id));
            continue;
        }
        let url = item.get("url").and_then(Value::as_str).unwrap_or("");
        let method = item.get("method").and_then(Value::as_str).unwrap_or("GET").to_ascii_uppercase();
        let Ok(method) = reqwest::Method::from_bytes(method.as_bytes()) else {
            serviced.push(json!({"id": id, "status_code": 400, "status_text": "Bad Request",
                "error_message": "unknown method", "body": "", "headers": [], "execution_time": 0}));
            continue;
        };
        let t0 = Instant::now();
        let mut req = http.request(
            method,
            format!("{}{}", sim.base_url, if url.starts_with('/') { url.to_string() } else { format!("/{url}") }),
        );
        req = req.header(super::BATCH_ITEM_HEADER, super::batch_item_mark());
        let mut own_auth = false;
        for h in item.get("headers").and_then(Value::as_array).into_iter().flatten() {
            let (Some(n), Some(v)) = (h.get("name").and_then(Value::as_str), h.get("value").and_then(Value::as_str))
            else {
                continue;
            };
            own_auth |= n.eq_ignore_ascii_case("authorization");
            req = req.header(n, v);
        }
        if let (false, Some(a)) = (own_auth, &auth) {
            req = req.header(header::AUTHORIZATION, a.clone());
        }
        if let Some(b) = item.get("body").and_then(Value::as_str).filter(|b| !b.is_empty()) {
            let clean: String = b.chars().filter(|c| !c.is_whitespace()).collect();
            match b64.decode(clean) {
                Ok(bytes) => req = req.body(bytes),
                Err(_) => {
                    serviced.push(json!({"id": id, "status_code": 400, "status_text": "Bad Request",
                        "error_message": "body is not base64", "body": "", "headers": [], "execution_time": 0}));
                    continue;
                }
            }
        }
        let answer = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                serviced.push(json!({"id": id, "status_code": 500, "status_text": "Internal Server Error",
                    "error_message": e.to_string(), "body": "", "headers": [], "execution_time": t0.elapsed().as_millis() as u64}));
                continue;
            }
        };
        let status = answer.status();
        let exclude = item.get("exclude_response_headers").and_then(Value::as_bool).unwrap_or(false);
        let hs: Vec<Value> = if exclude {
            Vec::new()
        } else {
            answer
                .headers()
                .iter()
                .filter_map(|(n, v)| Some(json!({"name": n.as_str(), "value": v.to_str().ok()?})))
                .collect()
        };
        let bytes = answer.bytes().await.unwrap_or_default();
        serviced.push(json!({
            "id": id,
            "body": b64.encode(&bytes),
            "status_code": status.as_u16(),
            "status_text": status.canonical_reason().unwrap_or(""),
            "headers": hs,
            "execution_time": t0.elapsed().as_millis() as u64,
        }));
    }
    Json(json!({
        "batch_request_id": v.get("batch_request_id").cloned().unwrap_or(Value::Null),
        "serviced_requests": serviced,
        "unserviced_requests": unserviced,
    }))
    .into_response()
}
