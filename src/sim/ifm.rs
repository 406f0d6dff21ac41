//! What IFM's parent flow does on a real instance when a synced Workplace Task changes
//! (integrated-facilities-management-integration-framework, outbound-flows): a task set
//! to cancelled runs the provider's cancel subflow; any other change — a comment above
//! all, the one edit the platform allows after sync — runs the update subflow with the
//! list of changed field names and the comment. Both go through the outbound queue, so
//! integration state, sync history and `sys_flow_context` move as for any other run.

use crate::domain::state::{IntegrationState as I, WorkOrderState};
use serde_json::json;

use super::Sim;
use super::schema::WORK_ORDERS;
use super::store::{Row, Store};

/// Integration states in which the provider owns the work order.
const SYNCED: &[&str] = &[I::Created.as_str(), I::UpdateFailed.as_str(), I::CancelFailed.as_str()];

/// Fields a change of which is not the operator's (IFM's own bookkeeping).
const OWN: &[&str] = &["integration_state", "fm_work_order_id", "fm_provider"];

/// Called after a Table API write to a record: starts IFM's subflows where due.
pub fn after_update(sim: &Sim, table: &str, before: &Row, after: &Row) {
    if table != WORK_ORDERS {
        return;
    }
    let old = |f| Store::field(WORK_ORDERS, before, f);
    let new = |f| Store::field(WORK_ORDERS, after, f);
    if old("fm_work_order_id").is_empty() || !SYNCED.contains(&old("integration_state")) {
        return;
    }
    let def = super::schema::table(WORK_ORDERS).expect("work orders table");
    let changed: Vec<&str> = def
        .fields
        .iter()
        .enumerate()
        .skip(super::schema::SYS_MOD_COUNT + 1)
        .filter(|(c, f)| !OWN.contains(&f.name) && before[*c] != after[*c])
        .map(|(_, f)| f.name)
        .collect();
    if changed.is_empty() {
        return;
    }
    let id = new("sys_id");
    let provider = new("fm_provider");
    let (op, pending, payload) = if changed.contains(&"state") && new("state") == WorkOrderState::Canceled.as_str() {
        ("cancel", I::CancelPending.as_str(), json!({}))
    } else {
        let comment = if changed.contains(&"comments") { new("comments") } else { "" };
        ("update", I::UpdatePending.as_str(), json!({"changed_fields": changed, "comment": comment}))
    };
    let _ = sim.store.update(WORK_ORDERS, id, &[("integration_state", pending)]);
    if sim.config.without.ifm_report {
        return; // `--without ifm-report`: the subflow never runs, nothing is reported.
    }
    if let Err(e) = super::seed::enqueue(sim, provider, id, op, &payload) {
        tracing::warn!("IFM {op} of {id}: {e}");
    }
}
