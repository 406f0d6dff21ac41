//! The console's companion Scripted REST API (scope `x_hubtop`, API `console`), exactly
//! as assets/servicenow/hubtop_companion_update_set.xml defines it for a real instance:
//! an execution with its steps, and starting a provider subflow (`sn_fd.FlowAPI` there,
//! the flow engine here) that answers the flow context's id. `--without companion`
//! makes it answer as an instance where it is not installed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::render::Render;
use super::{S, error, no_resource, store_error};
use crate::sim::Sim;
use crate::sim::schema::{self, EXECUTIONS};

/// The API's base path and its resources as (method, path relative to the base): what
/// the update set declares (a test compares the two).
pub const BASE: &str = "/api/x_hubtop/console";
pub const RESOURCES: &[(&str, &str)] = &[("GET", "/executions/{sys_id}"), ("POST", "/subflows/{flow_sys_id}/start")];

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route(&format!("{BASE}/executions/{{sys_id}}"), get(execution_detail))
        .route(&format!("{BASE}/subflows/{{flow_sys_id}}/start"), post(start_subflow))
}

async fn execution_detail(State(sim): S, Path(id): Path<String>) -> Response {
    if sim.config.without.companion {
        return no_resource();
    }
    let def = schema::table(EXECUTIONS).expect("executions table");
    let Ok(row) = sim.store.get(EXECUTIONS, &id) else {
        return error(StatusCode::NOT_FOUND, "No Record found", Some("Execution doesn't exist"));
    };
    let d = crate::sim::engine::detail(&sim, &row);
    Json(json!({"result": {
        "execution": Render::plain(&sim).row(&sim, def, &row),
        "inputs": d.inputs,
        "outputs": d.outputs,
        "steps": d.steps,
    }}))
    .into_response()
}

/// `{"inputs": {"record", "changed_fields": [names], "comment"}}` → 202
/// `{"result": {"context_id"}}`: the subflow runs in the background, as
/// `FlowAPI.getRunner().subflow(…).inBackground()` does.
async fn start_subflow(State(sim): S, Path(flow): Path<String>, body: Bytes) -> Response {
    if sim.config.without.companion {
        return no_resource();
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Exception while reading request",
            Some("The payload is not valid JSON."),
        );
    };
    let inputs = v.get("inputs").and_then(Value::as_object).cloned().unwrap_or_default();
    match crate::sim::engine::trigger(&sim, &flow, inputs) {
        Ok(id) => (StatusCode::ACCEPTED, Json(json!({"result": {"context_id": id}}))).into_response(),
        Err(e) => store_error(e),
    }
}
