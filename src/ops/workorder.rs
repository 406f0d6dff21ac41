//! Work-order operations the way the platform does them (DESIGN §3b): cancel = the work
//! order's state set to canceled, update = a PATCH of the changed fields and/or a comment
//! — IFM's parent flow then runs the provider's subflow itself, so nothing else is sent;
//! create, a resync with nothing changed, and rerun = the trigger the profile names.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::follow::Watch;
use super::{Ops, Outcome, Progress, Subject};
use crate::client::trigger::what_to_configure;
use crate::client::{Error, Record};
use crate::domain::state::WorkOrderState;
use crate::domain::{Entity, Operation, WorkOrderOp};
use crate::query::Query;

impl Ops {
    /// The sync-history rows of a work order as they are before an action, so that
    /// following it can tell the new ones. `None` when they cannot be read.
    pub(super) async fn history_seen(&self, wo: &str) -> Option<HashSet<String>> {
        let rows = self.recent_history(wo).await.ok()?;
        Some(rows.iter().map(|r| r.sys_id().to_string()).collect())
    }

    pub(super) async fn recent_history(&self, wo: &str) -> Result<Vec<Record>, Error> {
        let c = &self.client;
        let mut spec = crate::client::read::ListSpec::new(c.table(Entity::History));
        spec.query = Query::new().and(crate::query::Condition::eq("task", wo)).order_desc("sys_created_on");
        spec.fields = ["sys_id", "operation", "status", "response_code", "message", "flow_context"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        spec.limit = 50;
        spec.no_count = true;
        Ok(c.list(&spec).await?.records)
    }

    /// Cancel and update: one PATCH of the work order; IFM does the rest.
    pub(super) async fn patch_work_order(
        &self,
        t: &Subject,
        op: WorkOrderOp,
        body: Map<String, Value>,
        follow: bool,
        progress: &impl Fn(Progress),
    ) -> Result<Outcome, Error> {
        let seen = if follow { self.history_seen(&t.sys_id).await } else { None };
        let sent: Vec<String> = body.keys().cloned().collect();
        let after = self.client.patch_record(Entity::WorkOrders, &t.sys_id, &body).await?;
        let what = format!("{} set; IFM runs the provider's {} subflow", sent.join(", "), op.verb());
        if !follow {
            return Ok(Outcome::Ok(what));
        }
        let before = t.record.get("integration_state").to_string();
        let w = Watch {
            wo: Some(t.sys_id.clone()),
            op: Some(op),
            exec: None,
            seen,
            before,
            after_patch: Some(after),
            label: t.label.clone(),
        };
        Ok(self.watch(w, progress).await)
    }

    pub(super) async fn cancel(
        &self,
        t: &Subject,
        follow: bool,
        progress: &impl Fn(Progress),
    ) -> Result<Outcome, Error> {
        let canceled = WorkOrderState::Canceled.as_str();
        if t.record.get("state") == canceled {
            // Nothing to change, so IFM would not run: a resync through the trigger.
            let inputs = record_inputs(t);
            return self.via_trigger(t, WorkOrderOp::Cancel, "create", inputs, follow, progress).await;
        }
        let mut body = Map::new();
        body.insert("state".into(), json!(canceled));
        self.patch_work_order(t, WorkOrderOp::Cancel, body, follow, progress).await
    }

    pub(super) async fn update(
        &self,
        t: &Subject,
        changed: &Map<String, Value>,
        comment: &str,
        follow: bool,
        progress: &impl Fn(Progress),
    ) -> Result<Outcome, Error> {
        let mut body = changed.clone();
        if !comment.trim().is_empty() {
            body.insert("comments".into(), json!(comment));
        }
        if body.is_empty() {
            // A failed update sent again with nothing new: the subflow through the trigger.
            let mut inputs = record_inputs(t);
            inputs.insert("changed_fields".into(), json!([]));
            inputs.insert("comment".into(), json!(""));
            return self.via_trigger(t, WorkOrderOp::Update, "create", inputs, follow, progress).await;
        }
        self.patch_work_order(t, WorkOrderOp::Update, body, follow, progress).await
    }

    /// Create (or a resync): the provider's subflow through the profile's trigger.
    pub(super) async fn via_trigger(
        &self,
        t: &Subject,
        op: WorkOrderOp,
        purpose: &str,
        inputs: Map<String, Value>,
        follow: bool,
        progress: &impl Fn(Progress),
    ) -> Result<Outcome, Error> {
        let flow = self.client.provider_flow(&t.record, op).await?;
        let seen = if follow { self.history_seen(&t.sys_id).await } else { None };
        let before = t.record.get("integration_state").to_string();
        let w = Watch {
            wo: Some(t.sys_id.clone()),
            op: Some(op),
            exec: None,
            seen,
            before,
            after_patch: None,
            label: t.label.clone(),
        };
        self.trigger(purpose, &flow, &inputs, w, follow, progress).await
    }

    /// A failed execution's flow again, with its recorded inputs, through the rerun trigger.
    pub(super) async fn rerun(
        &self,
        t: &Subject,
        follow: bool,
        progress: &impl Fn(Progress),
    ) -> Result<Outcome, Error> {
        let (flow, inputs, source) = self.client.rerun_inputs(&t.sys_id).await?;
        let wo = (!source.is_empty()).then_some(source);
        let seen = match (&wo, follow) {
            (Some(wo), true) => self.history_seen(wo).await,
            _ => None,
        };
        let w =
            Watch { wo, op: None, exec: None, seen, before: String::new(), after_patch: None, label: t.label.clone() };
        self.trigger("rerun", &flow, &inputs, w, follow, progress).await
    }

    async fn trigger(
        &self,
        purpose: &str,
        flow: &str,
        inputs: &Map<String, Value>,
        mut w: Watch,
        follow: bool,
        progress: &impl Fn(Progress),
    ) -> Result<Outcome, Error> {
        let exec = match self.client.start_flow(purpose, flow, inputs).await {
            Ok(x) => x,
            // The instance has no such resource: nothing ran.
            Err(Error::NotInstalled { path }) => {
                let why = format!("POST {path} answered 400 Requested URI does not represent any resource");
                return Ok(Outcome::NotSent(what_to_configure(purpose, &why)));
            }
            Err(e) => return Err(e),
        };
        if let Some(x) = &exec {
            progress(Progress::Started { execution: x.clone() });
        }
        if !follow {
            return Ok(Outcome::Ok(match &exec {
                Some(x) => format!("execution {x} started"),
                None => "started".into(),
            }));
        }
        w.exec = exec;
        Ok(self.watch(w, progress).await)
    }
}

fn record_inputs(t: &Subject) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("record".into(), json!(t.sys_id));
    m
}

/// One request an operation would send: method, path and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub method: &'static str,
    pub path: String,
    pub body: Value,
}

impl std::fmt::Display for Planned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.method, self.path, self.body)
    }
}

impl Ops {
    /// What [`Ops::run`] would send for `op` (`--dry-run`): decided by the same rules and
    /// checks, found with reads only (the provider's subflow, a rerun's recorded inputs);
    /// nothing is sent and nothing is audited. `Err`: refused, with the exit code.
    pub async fn preview(&self, op: &Operation, t: &Subject) -> Result<Vec<Planned>, (u8, String)> {
        use crate::exit::USAGE;
        crate::domain::rules::applies(op, t.entity, &t.record).map_err(|why| (USAGE, format!("{}: {why}", t.label)))?;
        let op = self.checked(op, t).map_err(|why| (USAGE, why))?;
        let c = &self.client;
        let patch = |e: Entity, body: Map<String, Value>| Planned {
            method: "PATCH",
            path: format!("/api/now/table/{}/{}", c.table(e), t.sys_id),
            body: Value::Object(c.body_out(e, &body)),
        };
        let state = |s: &str| Map::from_iter([("state".to_string(), json!(s))]);
        let plan = match &op {
            Operation::Retry => patch(t.entity, state(crate::domain::state::QueueState::Ready.as_str())),
            Operation::Skip => patch(t.entity, state(crate::domain::state::QueueState::Skipped.as_str())),
            Operation::WorkOrder(WorkOrderOp::Cancel) if t.record.get("state") != WorkOrderState::Canceled.as_str() => {
                patch(Entity::WorkOrders, state(WorkOrderState::Canceled.as_str()))
            }
            Operation::WorkOrder(WorkOrderOp::Cancel) => {
                self.planned_trigger(t, WorkOrderOp::Cancel, "create", record_inputs(t)).await?
            }
            Operation::WorkOrder(WorkOrderOp::Create) => {
                self.planned_trigger(t, WorkOrderOp::Create, "create", record_inputs(t)).await?
            }
            Operation::WorkOrder(WorkOrderOp::Update) | Operation::Update { .. } => {
                let (mut body, comment) = match &op {
                    Operation::Update { changed, comment } => (changed.clone(), comment.clone()),
                    _ => (Map::new(), String::new()),
                };
                if !comment.trim().is_empty() {
                    body.insert("comments".into(), json!(comment));
                }
                if body.is_empty() {
                    let mut inputs = record_inputs(t);
                    inputs.insert("changed_fields".into(), json!([]));
                    inputs.insert("comment".into(), json!(""));
                    self.planned_trigger(t, WorkOrderOp::Update, "create", inputs).await?
                } else {
                    patch(Entity::WorkOrders, body)
                }
            }
            Operation::Rerun => {
                let (flow, inputs, _) = c.rerun_inputs(&t.sys_id).await.map_err(|e| (e.exit_code(), e.to_string()))?;
                planned_path(c, "rerun", &flow, inputs)?
            }
        };
        Ok(vec![plan])
    }

    async fn planned_trigger(
        &self,
        t: &Subject,
        op: WorkOrderOp,
        purpose: &str,
        inputs: Map<String, Value>,
    ) -> Result<Planned, (u8, String)> {
        let flow = self.client.provider_flow(&t.record, op).await.map_err(|e| (e.exit_code(), e.to_string()))?;
        planned_path(&self.client, purpose, &flow, inputs)
    }
}

fn planned_path(
    c: &crate::client::Client,
    purpose: &str,
    flow: &str,
    inputs: Map<String, Value>,
) -> Result<Planned, (u8, String)> {
    let setting = c.config.triggers.of(purpose);
    let Some(path) = crate::client::trigger::path_of(setting, flow, &c.config.companion) else {
        return Err((crate::exit::USAGE, what_to_configure(purpose, "none is configured")));
    };
    Ok(Planned { method: "POST", path, body: json!({ "inputs": inputs }) })
}
