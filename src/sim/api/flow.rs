//! The Flow REST trigger the providers' subflows are started with, and the status of an
//! execution. `--without flow-trigger` makes both answer as an instance without them.

use crate::domain::state::{ExecState, FlowStatus};
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{S, error, no_resource, store_error};
use crate::sim::schema::EXECUTIONS;
use crate::sim::store::Store;

pub async fn trigger(State(sim): S, Path(flow): Path<String>, body: Bytes) -> Response {
    if sim.config.without.flow_trigger {
        return no_resource();
    }
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
    match crate::sim::engine::trigger(&sim, &flow, inputs) {
        Ok(id) => (StatusCode::ACCEPTED, Json(json!({"executionId": id, "status": FlowStatus::Running.as_str()})))
            .into_response(),
        Err(e) => store_error(e),
    }
}

pub async fn status(State(sim): S, Path(id): Path<String>) -> Response {
    if sim.config.without.flow_trigger {
        return no_resource();
    }
    let Ok(row) = sim.store.get(EXECUTIONS, &id) else {
        return error(StatusCode::NOT_FOUND, "Execution not found", Some(&id));
    };
    let detail = crate::sim::engine::detail(&sim, &row);
    let state = Store::field(EXECUTIONS, &row, "state");
    Json(json!({
        "executionId": id,
        "status": match ExecState::parse(state) {
            Some(ExecState::InProgress | ExecState::Queued) => FlowStatus::Running.as_str(),
            _ => state,
        },
        "outputs": detail.outputs,
        "error": Store::field(EXECUTIONS, &row, "error_message"),
    }))
    .into_response()
}
