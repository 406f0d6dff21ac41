//! Operations an operator sends, and which apply to a record in which state. The console
//! and the CLI both ask here, so they refuse the same things with the same words.

use serde_json::{Map, Value};

use super::Entity;
use super::state::{ExecState, IntegrationState, QueueState, WorkOrderState};
use super::wire::Record;

/// A work-order operation at the provider (the IFM create / update / cancel subflows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkOrderOp {
    Create,
    Update,
    Cancel,
}

impl WorkOrderOp {
    /// The provider field that names this operation's subflow.
    pub fn flow_field(self) -> &'static str {
        use super::records::provider;
        match self {
            WorkOrderOp::Create => provider::CREATE_FLOW,
            WorkOrderOp::Update => provider::UPDATE_FLOW,
            WorkOrderOp::Cancel => provider::CANCEL_FLOW,
        }
    }
    pub fn verb(self) -> &'static str {
        match self {
            WorkOrderOp::Create => "create",
            WorkOrderOp::Update => "update",
            WorkOrderOp::Cancel => "cancel",
        }
    }
}

/// One operation an operator can send.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// Queue entry → state ready.
    Retry,
    /// Queue entry → state skipped.
    Skip,
    /// A failed execution: its flow again with the recorded inputs.
    Rerun,
    /// A provider subflow for a work order.
    WorkOrder(WorkOrderOp),
    /// The update subflow with changed fields and a comment.
    Update { changed: Map<String, Value>, comment: String },
}

impl Operation {
    pub fn verb(&self) -> &'static str {
        match self {
            Operation::Retry => "retry",
            Operation::Skip => "skip",
            Operation::Rerun => "rerun",
            Operation::WorkOrder(op) => op.verb(),
            Operation::Update { .. } => "update",
        }
    }

    /// Whether the operator must confirm it even for one record.
    pub fn is_destructive(&self) -> bool {
        matches!(self, Operation::Skip | Operation::WorkOrder(WorkOrderOp::Cancel))
    }

    /// Whether the console shows what is sent and has the operator confirm it before it
    /// goes, whichever key asked for it: every operation, single or bulk, on every
    /// profile — a single queue entry's retry too (it used to go at once off production,
    /// the one key that did not ask first). The CLI does not ask: a typed command is its
    /// own confirmation.
    pub fn needs_preview(&self) -> bool {
        true
    }

    /// The inputs recorded in the audit log.
    pub fn inputs(&self) -> Value {
        match self {
            Operation::Update { changed, comment } => {
                let names: Vec<&String> = changed.keys().collect();
                serde_json::json!({"fields": changed, "changed_fields": names, "comment": comment})
            }
            Operation::Retry => serde_json::json!({"state": QueueState::Ready.as_str()}),
            Operation::Skip => serde_json::json!({"state": QueueState::Skipped.as_str()}),
            _ => serde_json::json!({}),
        }
    }

    /// What is sent, in one line, for the preview.
    pub fn wire(&self, e: Entity) -> String {
        match self {
            Operation::Retry => format!("PATCH {} state={}", e.label().to_lowercase(), QueueState::Ready),
            Operation::Skip => format!("PATCH {} state={}", e.label().to_lowercase(), QueueState::Skipped),
            Operation::Rerun => "POST the rerun trigger with the execution's recorded inputs".into(),
            Operation::WorkOrder(WorkOrderOp::Cancel) => {
                format!("PATCH work order state={} (IFM runs the provider's cancel subflow)", WorkOrderState::Canceled)
            }
            Operation::WorkOrder(op) => {
                format!("POST the provider's {0} subflow through the profile's {0} trigger, inputs: record", op.verb())
            }
            Operation::Update { changed, comment } => {
                let mut parts: Vec<String> = changed
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                    .collect();
                if !comment.is_empty() {
                    parts.push(format!("comments={comment:?}"));
                }
                if parts.is_empty() {
                    return "POST the provider's update subflow through the profile's create trigger (resync)".into();
                }
                format!("PATCH work order {} (IFM runs the provider's update subflow)", parts.join(", "))
            }
        }
    }
}

/// What `retry` means for a record of this kind, or why it does not apply.
pub fn retry_op(e: Entity, r: &Record) -> Result<Operation, String> {
    match e {
        e if e.is_queue() => match QueueState::parse(r.get("state")) {
            Some(QueueState::Error | QueueState::Skipped) => Ok(Operation::Retry),
            _ => Err(format!("only entries in error or skipped are retried (this one is {})", r.get("state"))),
        },
        Entity::Executions => match ExecState::parse(r.get("state")) {
            Some(ExecState::Error | ExecState::Cancelled) => Ok(Operation::Rerun),
            _ => Err(format!("only failed executions are rerun (this one is {})", r.get("state"))),
        },
        Entity::WorkOrders => match IntegrationState::parse(r.get("integration_state")) {
            Some(IntegrationState::CreateFailed) => Ok(Operation::WorkOrder(WorkOrderOp::Create)),
            Some(IntegrationState::UpdateFailed) => {
                Ok(Operation::Update { changed: Map::new(), comment: String::new() })
            }
            Some(IntegrationState::CancelFailed) => Ok(Operation::WorkOrder(WorkOrderOp::Cancel)),
            _ => Err(format!("nothing failed to retry (integration state {})", r.get("integration_state"))),
        },
        _ => Err(format!("{} cannot be retried", e.label().to_lowercase())),
    }
}

/// Whether `op` makes sense for this record now.
pub fn applies(op: &Operation, e: Entity, r: &Record) -> Result<(), String> {
    use IntegrationState as I;
    let integration = || I::parse(r.get("integration_state"));
    match op {
        Operation::Retry | Operation::Rerun => retry_op(e, r).map(|_| ()),
        Operation::Skip if e.is_queue() => match QueueState::parse(r.get("state")) {
            Some(QueueState::Error | QueueState::Ready) => Ok(()),
            _ => Err(format!("only entries in error or ready are skipped (this one is {})", r.get("state"))),
        },
        Operation::Skip => Err("only queue entries are skipped".into()),
        Operation::WorkOrder(WorkOrderOp::Cancel) if e != Entity::WorkOrders => {
            Err("only work orders are cancelled".into())
        }
        Operation::WorkOrder(WorkOrderOp::Create) if e != Entity::WorkOrders => {
            Err("only work orders are created at a provider".into())
        }
        Operation::WorkOrder(WorkOrderOp::Update) | Operation::Update { .. } if e != Entity::WorkOrders => {
            Err("only work orders are updated".into())
        }
        Operation::WorkOrder(WorkOrderOp::Cancel) => match integration() {
            Some(I::Cancelled) => Err("already cancelled".into()),
            Some(I::NotSynced | I::CreatePending | I::CreateFailed) => {
                Err("not created at the provider yet: nothing to cancel there".into())
            }
            _ => Ok(()),
        },
        Operation::WorkOrder(WorkOrderOp::Create) => match integration() {
            Some(I::NotSynced | I::CreateFailed) => Ok(()),
            None if r.get("integration_state").is_empty() => Ok(()),
            // Why not, by what the work order's integration state says.
            Some(I::CreatePending) => Err("its create is already under way at the provider (Create pending)".into()),
            Some(I::Created) => Err("already created at the provider (Created): an update sends changes".into()),
            Some(I::UpdatePending) => {
                Err("already created at the provider; an update is under way (Update pending)".into())
            }
            Some(I::UpdateFailed) => Err(
                "already created at the provider; its last update failed (Update failed): a retry sends the update again"
                    .into(),
            ),
            Some(I::CancelPending) => Err("already created at the provider; a cancel is under way (Cancel pending)".into()),
            Some(I::CancelFailed) => Err(
                "already created at the provider; its cancel failed (Cancel failed): a retry sends the cancel again"
                    .into(),
            ),
            Some(I::Cancelled) => Err("cancelled at the provider: not created again".into()),
            None => Err(format!("integration state {} is not one a create starts from", r.get("integration_state"))),
        },
        Operation::WorkOrder(WorkOrderOp::Update) | Operation::Update { .. } => match r.get("fm_work_order_id") {
            "" => Err("not synced to the provider yet: create it first".into()),
            _ if integration() == Some(I::Cancelled) => Err("cancelled at the provider: nothing to update".into()),
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(pairs: &[(&str, &str)]) -> Record {
        Record::from_pairs(pairs)
    }

    #[test]
    fn processed_entries_are_not_retried() {
        let r = rec(&[("state", "processed")]);
        assert_eq!(
            applies(&Operation::Retry, Entity::Outbound, &r),
            Err("only entries in error or skipped are retried (this one is processed)".into())
        );
        assert!(applies(&Operation::Retry, Entity::Outbound, &rec(&[("state", "error")])).is_ok());
    }

    #[test]
    fn cancelled_work_orders_are_not_created_cancelled_or_updated_again() {
        let r = rec(&[("integration_state", "cancelled"), ("fm_work_order_id", "FM-1")]);
        for op in [WorkOrderOp::Create, WorkOrderOp::Cancel, WorkOrderOp::Update] {
            assert!(applies(&Operation::WorkOrder(op), Entity::WorkOrders, &r).is_err(), "{op:?}");
        }
    }

    #[test]
    fn operations_name_their_kind_of_record() {
        let r = rec(&[("state", "error")]);
        assert_eq!(
            applies(&Operation::WorkOrder(WorkOrderOp::Cancel), Entity::Outbound, &r).unwrap_err(),
            "only work orders are cancelled"
        );
        assert_eq!(
            applies(&Operation::WorkOrder(WorkOrderOp::Create), Entity::Outbound, &r).unwrap_err(),
            "only work orders are created at a provider"
        );
        assert_eq!(
            applies(&Operation::Update { changed: Map::new(), comment: String::new() }, Entity::Outbound, &r)
                .unwrap_err(),
            "only work orders are updated"
        );
    }
}
