//! The requests operations make: PATCH a record (cancel, update, retry, skip), find
//! what a provider subflow or a rerun needs, an execution's detail from the companion;
//! the Flow REST trigger and status calls (see `trigger` for how a profile starts flows).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::record::{self, Record};
use super::{Client, Entity, Error, Idempotence, Result};
use crate::query::{Condition, Query};

pub use crate::domain::WorkOrderOp;
use crate::domain::state::{FlowStatus, SyncStatus};

/// Where an execution stands, from the Flow REST status endpoint.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecStatus {
    pub id: String,
    /// RUNNING, COMPLETE, ERROR, CANCELLED, WAITING, QUEUED.
    pub status: String,
    pub outputs: Map<String, Value>,
    pub error: String,
}

impl ExecStatus {
    pub fn finished(&self) -> bool {
        FlowStatus::parse(&self.status).is_some_and(FlowStatus::finished)
    }
    pub fn output(&self, k: &str) -> String {
        match self.outputs.get(k) {
            Some(Value::String(s)) => crate::sanitize::sanitize(s).into_owned(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        }
    }
    /// The subflow contract's verdict: success only when the flow completed and said so.
    pub fn succeeded(&self) -> bool {
        self.status == FlowStatus::Complete.as_str() && self.output("status") != SyncStatus::Failed.as_str()
    }
    /// One line an operator can act on.
    pub fn summary(&self) -> String {
        let code = self.output("response_code");
        let msg = self.output("message");
        let msg = if msg.is_empty() { self.error.clone() } else { msg };
        let verdict = if self.succeeded() { SyncStatus::Success } else { SyncStatus::Failed }.as_str();
        let line = match code.as_str() {
            "" => format!("{verdict}: {msg}"),
            c => format!("{verdict} (HTTP {c}): {msg}"),
        };
        if self.succeeded() { line } else { advise(&line) }
    }
}

/// Adds what an operator can do about a failure, from its response code or message.
pub fn advise(line: &str) -> String {
    let l = line.to_ascii_lowercase();
    let hint = if l.contains("401") || l.contains("403") || l.contains("credentials") {
        "credentials rejected — check the provider's connection alias"
    } else if l.contains("429") || l.contains("rate limit") {
        "the provider is rate limiting — retry later or in smaller batches"
    } else if l.contains("connection refused") || l.contains("not reachable") || l.contains("timed out") {
        "the provider endpoint is unreachable — check its base URL and that it is up"
    } else if l.contains("not the expected json") || l.contains("malformed") {
        "the provider's answer is not what the subflow expects — raise it with the provider"
    } else if l.contains(" 5") && (l.contains("http 5") || l.contains("(http 5")) {
        "provider-side error — retry when the provider recovers"
    } else if l.contains("create it first") {
        "create the work order at the provider first (n)"
    } else {
        return line.to_string();
    };
    format!("{line} → {hint}")
}

/// An execution's steps, from the companion API (`None` if it is not installed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecDetail {
    pub execution: Record,
    pub inputs: Map<String, Value>,
    pub outputs: Map<String, Value>,
    pub steps: Vec<Step>,
    /// Whether the instance records step detail for this execution (the companion's
    /// `step_detail`): with flow reporting off there are no steps to show, and hubtop
    /// says so instead of showing an empty list.
    pub step_detail: StepDetail,
}

/// The companion's `step_detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepDetail {
    /// Recorded (flow reporting on). The steps are in `steps` where the companion could
    /// read them; where it sends none, they are in Workflow Studio's execution details.
    #[default]
    Recorded,
    /// Not recorded on this instance: flow reporting is off.
    NotRecorded,
}

impl StepDetail {
    /// What the console shows in place of the steps, if anything.
    pub fn notice(self, steps: usize) -> Option<&'static str> {
        match self {
            StepDetail::NotRecorded => Some("step detail not recorded on this instance (flow reporting is off)"),
            StepDetail::Recorded if steps == 0 => {
                Some("step detail is recorded on the instance: open the execution's details in Workflow Studio")
            }
            StepDetail::Recorded => None,
        }
    }
}

pub use crate::domain::wire::Step;

/// Every string inside a JSON value, sanitised.
fn clean(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(crate::sanitize::sanitize(s).into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(clean).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (crate::sanitize::sanitize(k).into_owned(), clean(v))).collect())
        }
        other => other.clone(),
    }
}

fn clean_map(v: Option<&Value>) -> Map<String, Value> {
    match v.map(clean) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

impl Client {
    /// Starts a flow over the Flow REST trigger. Sent once: a lost answer is `OutcomeUnknown`;
    /// a trigger the instance does not have is `NotInstalled` (nothing ran).
    pub async fn trigger_flow(&self, flow_id: &str, inputs: &Map<String, Value>) -> Result<String> {
        let body = json!({ "inputs": inputs });
        let ans = self
            .send(Method::POST, &format!("/api/sn_fd/flow/{flow_id}/run"), &[], Some(&body), Idempotence::Write)
            .await?;
        let v = record::decode_envelope(&ans.body)
            .map_err(|e| Error::OutcomeUnknown(format!("the trigger's answer could not be read ({e})")))?;
        let v = v.get("result").unwrap_or(&v);
        match v.get("executionId").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => Ok(crate::sanitize::sanitize(id).into_owned()),
            _ => Err(Error::OutcomeUnknown("the trigger's answer has no executionId".into())),
        }
    }

    pub async fn execution_status(&self, id: &str) -> Result<ExecStatus> {
        let v = self.get_json(&format!("/api/sn_fd/flow/execution/{id}/status"), &[]).await?;
        let v = v.get("result").unwrap_or(&v);
        let s = |k: &str| crate::sanitize::sanitize(v.get(k).and_then(Value::as_str).unwrap_or("")).into_owned();
        Ok(ExecStatus {
            id: id.to_string(),
            status: s("status"),
            outputs: clean_map(v.get("outputs")),
            error: s("error"),
        })
    }

    /// Polls an execution with backoff until it ends or `timeout` passes; `on_poll` sees each status.
    pub async fn follow(
        &self,
        id: &str,
        timeout: Duration,
        mut on_poll: impl FnMut(&ExecStatus),
    ) -> Result<ExecStatus> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut wait = Duration::from_millis(150);
        loop {
            let st = self.execution_status(id).await?;
            on_poll(&st);
            if st.finished() {
                return Ok(st);
            }
            if tokio::time::Instant::now() + wait > deadline {
                return Err(Error::Timeout(timeout));
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 3 / 2).min(Duration::from_secs(2));
        }
    }

    /// The steps of an execution from the companion API (in the profile's companion
    /// scope); `Ok(None)` when it is not installed (400 "Requested URI does not represent
    /// any resource"). A 404 is the companion saying the execution does not exist or the
    /// caller may not read it: an error, not an absent companion.
    pub async fn execution_detail(&self, id: &str) -> Result<Option<ExecDetail>> {
        let path = super::trigger::companion_detail(&self.config.companion, id);
        let v = match self.get_json(&path, &[]).await {
            Ok(v) => v,
            Err(Error::NotInstalled { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let r = v.get("result").unwrap_or(&v);
        let execution = r.get("execution").map(Record::from_json).transpose()?.unwrap_or_default();
        let steps = r
            .get("steps")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|s| {
                        let st = |k: &str| {
                            crate::sanitize::sanitize(s.get(k).and_then(Value::as_str).unwrap_or("")).into_owned()
                        };
                        let num = |k: &str| {
                            s.get(k).and_then(|x| x.as_u64().or_else(|| x.as_str()?.parse().ok())).unwrap_or(0)
                        };
                        Step {
                            order: num("order") as u32,
                            name: st("name"),
                            state: st("state"),
                            started: st("started"),
                            duration_ms: num("duration_ms"),
                            inputs: clean(s.get("inputs").unwrap_or(&Value::Null)),
                            outputs: clean(s.get("outputs").unwrap_or(&Value::Null)),
                            error: st("error"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let step_detail = match r.get("step_detail").and_then(Value::as_str) {
            Some("not_recorded") => StepDetail::NotRecorded,
            _ => StepDetail::Recorded,
        };
        Ok(Some(ExecDetail {
            execution,
            inputs: clean_map(r.get("inputs")),
            outputs: clean_map(r.get("outputs")),
            steps: if step_detail == StepDetail::NotRecorded { Vec::new() } else { steps },
            step_detail,
        }))
    }

    /// A work order by number (or sys_id), with the fields actions need.
    pub async fn work_order(&self, number_or_id: &str) -> Result<Record> {
        let t = self.table(Entity::WorkOrders).to_string();
        let fields = Entity::WorkOrders.list_fields();
        let q = Query::new()
            .and(Condition::eq("number", number_or_id))
            .new_query()
            .and(Condition::eq("sys_id", number_or_id));
        self.find_one(&t, q, fields)
            .await?
            .ok_or_else(|| Error::NotFound(format!("work order {number_or_id} not found")))
    }

    /// The provider subflow that runs `op` for a work order (a flow sys_id).
    pub async fn provider_flow(&self, wo: &Record, op: WorkOrderOp) -> Result<String> {
        let provider_id = wo.get("fm_provider");
        if provider_id.is_empty() {
            return Err(Error::Invalid(format!("work order {} has no FM provider", wo.get("number"))));
        }
        let provider =
            self.get_record(self.table(Entity::Providers), provider_id, &[op.flow_field(), "title"], false).await?;
        let flow = provider.get(op.flow_field());
        if flow.is_empty() {
            return Err(Error::Invalid(format!("provider {} has no {} subflow", provider.get("title"), op.verb())));
        }
        Ok(flow.to_string())
    }

    /// A PATCH of some fields of a record, by logical names and values (the client maps
    /// them); the record as the instance wrote it. Sent once: an answer that cannot be
    /// read is `OutcomeUnknown`.
    pub async fn patch_record(&self, e: Entity, sys_id: &str, body: &Map<String, Value>) -> Result<Record> {
        let table = self.table(e).to_string();
        let body = Value::Object(self.body_out(e, body));
        let q = [("sysparm_exclude_reference_link", "true".to_string())];
        let path = format!("/api/now/table/{table}/{sys_id}");
        let ans = self.send(Method::PATCH, &path, &q, Some(&body), Idempotence::Write).await?;
        // Sent and answered 2xx, but not with the record: it may have been applied.
        let r = record::decode_one(&ans.body).map_err(|e| super::status::unknown(&Method::PATCH, &path, &e))?;
        Ok(self.record_in(&table, r))
    }

    /// Sets a queue entry's state (ready = retry, skipped = skip): the instance's flows pick it up.
    pub async fn set_entry_state(&self, e: Entity, sys_id: &str, state: &str) -> Result<Record> {
        let mut body = Map::new();
        body.insert("state".into(), json!(state));
        self.patch_record(e, sys_id, &body).await
    }

    /// What a rerun of a failed execution sends: its flow, its recorded inputs (from the
    /// companion, else the source record) and the record it ran for.
    pub async fn rerun_inputs(&self, exec_id: &str) -> Result<(String, Map<String, Value>, String)> {
        let exec = self
            .get_record(self.table(Entity::Executions), exec_id, &["flow", "source_record", "state"], false)
            .await?;
        let flow = exec.get("flow").to_string();
        if flow.is_empty() {
            return Err(Error::Invalid(format!("execution {exec_id} has no flow to run again")));
        }
        let source = exec.get("source_record").to_string();
        let mut inputs = match self.execution_detail(exec_id).await? {
            Some(d) if !d.inputs.is_empty() => d.inputs,
            _ => {
                let mut m = Map::new();
                m.insert("record".into(), json!(source));
                m
            }
        };
        // The subflow's Changed fields input is a list of names (recorded as an object once).
        if let Some(Value::Object(o)) = inputs.get("changed_fields") {
            let names: Vec<Value> = o.keys().map(|k| json!(k)).collect();
            inputs.insert("changed_fields".into(), Value::Array(names));
        }
        Ok((flow, inputs, source))
    }

    /// Resolves a queue entry given by sys_id or number, in the outbound then inbound queue.
    pub async fn find_entry(&self, id: &str) -> Result<(Entity, Record)> {
        for e in Entity::ALL.into_iter().filter(|e| e.is_queue()) {
            let q = Query::new().and(Condition::eq("sys_id", id)).new_query().and(Condition::eq("number", id));
            if let Some(r) = self.find_one(self.table(e), q, &["sys_id", "number", "state"]).await? {
                return Ok((e, r));
            }
        }
        Err(Error::NotFound(format!("no outbound or inbound entry {id}")))
    }
}
