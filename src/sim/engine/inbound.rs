//! The inbound queue: messages a provider pushed, applied in sequence order by the
//! inbound processing flow (correlate, map the state, update the task, log).

use crate::domain::state::{ExecState, QueueState, StepState, SyncStatus};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::subflow::{Run, unmap_value};
use super::{INBOUND_FLOW, start_execution};
use crate::sim::Sim;
use crate::sim::schema::{EXECUTIONS, FLOWS, HISTORY, INBOUND, PROVIDERS, WORK_ORDERS};
use crate::sim::store::Store;

pub(super) async fn inbound_tick(sim: &Arc<Sim>) {
    let batch: Vec<(String, u64, String)> = sim.engine.inbound_ready.lock().iter().take(50).cloned().collect();
    for (_, _, id) in batch {
        process_inbound(sim, &id).await;
    }
}

/// Applies one message a provider pushed: correlate, map, update, log.
async fn process_inbound(sim: &Arc<Sim>, id: &str) {
    let Ok(entry) = sim.store.get(INBOUND, id) else { return };
    let ef = |n| Store::field(INBOUND, &entry, n).to_string();
    let _ = sim.store.update(INBOUND, id, &[("state", QueueState::Processing.as_str())]);
    let Some(flow) = sim.store.find(FLOWS, "name", INBOUND_FLOW) else { return };
    let mut inputs = Map::new();
    inputs.insert("inbound_record".into(), json!(id));
    let Ok(exec_id) = start_execution(sim, &flow[0], &inputs) else { return };
    let _ = sim.store.update(
        EXECUTIONS,
        &exec_id,
        &[("state", ExecState::InProgress.as_str()), ("started", &crate::time::now_string())],
    );
    let mut run = Run { sim, exec_id: &exec_id, steps: Vec::new() };
    let provider = sim.store.get(PROVIDERS, &ef("provider")).ok();
    let result: Result<(String, String), String> = async {
        let payload: Value =
            serde_json::from_str(&ef("payload")).map_err(|e| format!("payload is not valid JSON: {e}"))?;
        run.ok("Parse payload", json!({"payload": ef("payload")}), payload.clone());
        let corr = ef("correlation_id");
        let task = sim
            .store
            .find(WORK_ORDERS, "fm_work_order_id", &corr)
            .ok_or_else(|| format!("No Workplace Task correlates to FM Work Order Id '{corr}'"))?;
        let task_id = task[0].to_string();
        run.ok(
            "Correlate",
            json!({"correlation_id": corr}),
            json!({"task": Store::field(WORK_ORDERS, &task, "number")}),
        );
        let remote = payload.get("status").and_then(Value::as_str).unwrap_or("").to_string();
        let mapping =
            provider.as_ref().map(|p| Store::field(PROVIDERS, p, "state_mapping").to_string()).unwrap_or_default();
        let local =
            unmap_value(&mapping, &remote).ok_or_else(|| format!("No state mapping for remote status '{remote}'"))?;
        run.ok("Map state", json!({"remote_status": remote}), json!({"state": local}));
        let mut changes = vec![("state", local.as_str())];
        let note;
        if let Some(c) = payload.get("note").and_then(Value::as_str) {
            note = c.to_string();
            changes.push(("comments", &note));
        }
        sim.store.update(WORK_ORDERS, &task_id, &changes).map_err(|e| e.to_string())?;
        run.ok("Update Workplace Task", json!({"state": local}), json!({"updated": true}));
        Ok((task_id, corr))
    }
    .await;
    let provider_id = ef("provider");
    let (task_id, status, message) = match &result {
        Ok((t, corr)) => (t.clone(), SyncStatus::Success.as_str(), format!("Applied status from provider for {corr}")),
        Err(e) => {
            run.step("Apply inbound message", json!({}), Instant::now(), crate::time::now_string(), Err(e.clone()));
            (String::new(), SyncStatus::Failed.as_str(), e.clone())
        }
    };
    let _ = sim.store.insert(
        HISTORY,
        &[
            ("task", &task_id),
            ("provider", &provider_id),
            ("operation", "inbound"),
            ("status", status),
            ("response_code", if result.is_ok() { "200" } else { "" }),
            ("message", &message),
            ("fm_work_order_id", &ef("correlation_id")),
            ("flow_context", &exec_id),
        ],
    );
    let failing = run
        .steps
        .iter()
        .find(|s| s.state == StepState::Error.as_str())
        .map(|s| format!("Step {} ({}): {}", s.order, s.name, s.error));
    {
        let mut details = sim.engine.details.write();
        let d = details.entry(exec_id.clone()).or_default();
        d.steps = run.steps;
        d.outputs.insert("status".into(), json!(status));
        d.outputs.insert("message".into(), json!(message));
    }
    let _ = sim.store.update(
        EXECUTIONS,
        &exec_id,
        &[
            ("state", if result.is_ok() { ExecState::Complete } else { ExecState::Error }.as_str()),
            ("ended", &crate::time::now_string()),
            ("run_time", "5"),
            ("error_message", failing.as_deref().unwrap_or("")),
        ],
    );
    let changes: Vec<(&str, &str)> = match &result {
        Ok(_) => vec![
            ("state", QueueState::Processed.as_str()),
            ("document_id", &task_id),
            ("error", ""),
            ("flow_context", &exec_id),
        ],
        Err(e) => vec![("state", QueueState::Error.as_str()), ("error", e), ("flow_context", &exec_id)],
    };
    let _ = sim.store.update(INBOUND, id, &changes);
}
