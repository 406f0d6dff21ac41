//! The flow engine: runs the providers' create / update / cancel subflows and the
//! inbound processing flow as executions with ordered steps, processes the outbound
//! and inbound queues, and keeps integration state, sync history and provider health.
//!
//! Every outbound step really calls the provider's simulated FM API over HTTP, so a
//! failure the console shows (401, 429, 5xx, malformed body, connection refused) is
//! one that actually happened on the wire.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::watch;

use super::Sim;
use super::schema::{EXECUTIONS, FLOWS, HISTORY, INBOUND, OUTBOUND, PROVIDERS, WORK_ORDERS};
use super::store::{Row, Store, StoreError};

/// Outbound operations, which pick the provider's subflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Update,
    Cancel,
}

impl Op {
    pub fn parse(s: &str) -> Option<Op> {
        match s {
            "create" => Some(Op::Create),
            "update" => Some(Op::Update),
            "cancel" => Some(Op::Cancel),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Cancel => "cancel",
        }
    }
    fn flow_field(self) -> &'static str {
        match self {
            Op::Create => "create_work_order_flow",
            Op::Update => "update_work_order_flow",
            Op::Cancel => "cancel_work_order_flow",
        }
    }
    fn states(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Op::Create => ("create_pending", "created", "create_failed"),
            Op::Update => ("update_pending", "created", "update_failed"),
            Op::Cancel => ("cancel_pending", "cancelled", "cancel_failed"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Step {
    pub order: u32,
    pub name: String,
    pub state: String,
    pub started: String,
    pub duration_ms: u64,
    pub inputs: Value,
    pub outputs: Value,
    pub error: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Detail {
    pub inputs: Map<String, Value>,
    pub outputs: Map<String, Value>,
    pub steps: Vec<Step>,
}

/// The name of the flow that processes inbound messages.
pub const INBOUND_FLOW: &str = "Process Inbound FM Message";

#[derive(Default)]
pub struct Engine {
    /// Outbound entries due for processing: sys_id → due (unix seconds).
    outbound_due: Mutex<HashMap<String, i64>>,
    in_flight: Mutex<HashSet<String>>,
    /// Ready inbound entries, in processing order.
    inbound_ready: Mutex<BTreeSet<(String, u64, String)>>,
    details: RwLock<HashMap<String, Detail>>,
    conn_failures: Mutex<HashMap<String, u32>>,
    http: std::sync::OnceLock<reqwest::Client>,
}

impl Engine {
    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder().timeout(Duration::from_secs(10)).no_proxy().build().unwrap_or_default()
        })
    }

    /// Outbound entries waiting to be processed (for tests and the demo's health).
    pub fn pending_outbound(&self) -> usize {
        self.outbound_due.lock().len() + self.in_flight.lock().len()
    }
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Keeps the queues' work sets in step with every write to the queue tables.
pub fn install_hooks(sim: &Arc<Sim>) {
    let weak: Weak<Sim> = Arc::downgrade(sim);
    sim.store.set_hook(Box::new(move |table, row| {
        let Some(sim) = weak.upgrade() else { return };
        let id = row[0].to_string();
        match table {
            OUTBOUND => {
                let f = |n| Store::field(OUTBOUND, row, n);
                let mut due = sim.engine.outbound_due.lock();
                match f("state") {
                    "ready" => {
                        due.insert(id, 0);
                    }
                    "error" if !f("next_attempt").is_empty() => {
                        let at = crate::time::parse(f("next_attempt")).map(|t| t.timestamp()).unwrap_or(0);
                        due.insert(id, at);
                    }
                    _ => {
                        due.remove(&id);
                    }
                }
            }
            INBOUND => {
                let f = |n| Store::field(INBOUND, row, n);
                let key = (f("provider").to_string(), f("sequence").parse().unwrap_or(0), id);
                let mut ready = sim.engine.inbound_ready.lock();
                if f("state") == "ready" {
                    ready.insert(key);
                } else {
                    ready.remove(&key);
                }
            }
            _ => {}
        }
    }));
}

pub fn spawn_workers(sim: &Arc<Sim>, stop: watch::Receiver<bool>) {
    let s = Arc::clone(sim);
    let mut st = stop.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                _ = tick.tick() => outbound_tick(&s),
                _ = super::stopped(&mut st) => break,
            }
        }
    });
    let s = Arc::clone(sim);
    let mut st = stop;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(300));
        loop {
            tokio::select! {
                _ = tick.tick() => inbound_tick(&s).await,
                _ = super::stopped(&mut st) => break,
            }
        }
    });
}

const MAX_CONCURRENT: usize = 16;

fn outbound_tick(sim: &Arc<Sim>) {
    let now = now_unix();
    let mut in_flight = sim.engine.in_flight.lock();
    let room = MAX_CONCURRENT.saturating_sub(in_flight.len());
    let due: Vec<String> = {
        let map = sim.engine.outbound_due.lock();
        map.iter()
            .filter(|(id, at)| **at <= now && !in_flight.contains(*id))
            .map(|(id, _)| id.clone())
            .take(room)
            .collect()
    };
    for id in due {
        in_flight.insert(id.clone());
        let s = Arc::clone(sim);
        tokio::spawn(async move {
            process_outbound(&s, &id).await;
            s.engine.in_flight.lock().remove(&id);
        });
    }
}

/// One pass of an outbound entry: run the provider's subflow, then record the outcome.
async fn process_outbound(sim: &Arc<Sim>, id: &str) {
    let Ok(entry) = sim.store.get(OUTBOUND, id) else { return };
    let f = |n| Store::field(OUTBOUND, &entry, n).to_string();
    if !matches!(f("state").as_str(), "ready" | "error") {
        // Skipped or settled since it fell due.
        return;
    }
    if sim.store.update(OUTBOUND, id, &[("state", "processing"), ("next_attempt", "")]).is_err() {
        return;
    }
    let attempts = f("attempts").parse::<u32>().unwrap_or(0) + 1;
    let max = f("max_attempts").parse::<u32>().unwrap_or(3).max(1);
    let op = Op::parse(&f("operation"));
    let provider = sim.store.get(PROVIDERS, &f("provider")).ok();
    let (outcome, exec_id) = match (op, provider) {
        (Some(op), Some(p)) => {
            let flow = Store::field(PROVIDERS, &p, op.flow_field()).to_string();
            let mut inputs = Map::new();
            inputs.insert("record".into(), json!(f("document_id")));
            if let Ok(Value::Object(payload)) = serde_json::from_str::<Value>(&f("payload")) {
                for k in ["changed_fields", "comment"] {
                    if let Some(v) = payload.get(k) {
                        inputs.insert(k.into(), v.clone());
                    }
                }
            }
            match start_execution(sim, &flow, &inputs) {
                Ok(exec) => (run_flow(sim, &exec, inputs).await, exec),
                Err(_) => (Outcome::failed("", &format!("provider has no {} flow", op.as_str())), String::new()),
            }
        }
        (None, _) => (Outcome::failed("", &format!("unknown operation '{}'", f("operation"))), String::new()),
        (_, None) => (Outcome::failed("", "provider not found"), String::new()),
    };
    let attempts_s = attempts.to_string();
    let result = if outcome.success {
        sim.store.update(
            OUTBOUND,
            id,
            &[
                ("state", "processed"),
                ("attempts", &attempts_s),
                ("last_error", ""),
                ("response_code", &outcome.response_code),
                ("flow_context", &exec_id),
            ],
        )
    } else {
        let next = if attempts < max {
            crate::time::format(chrono::Utc::now() + sim.config.retry_interval)
        } else {
            String::new()
        };
        sim.store.update(
            OUTBOUND,
            id,
            &[
                ("state", "error"),
                ("attempts", &attempts_s),
                ("next_attempt", &next),
                ("last_error", &outcome.message),
                ("response_code", &outcome.response_code),
                ("flow_context", &exec_id),
            ],
        )
    };
    if let Err(e) = result {
        tracing::warn!("outbound {id}: {e}");
    }
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub success: bool,
    pub response_code: String,
    pub message: String,
    pub fm_work_order_id: String,
    /// The provider could not be reached or answered 5xx: counts towards its health.
    pub connection_error: bool,
    /// Settled without calling the provider: says nothing of its health.
    pub no_call: bool,
}

impl Outcome {
    fn failed(code: &str, msg: &str) -> Outcome {
        Outcome { success: false, response_code: code.into(), message: msg.into(), ..Default::default() }
    }
}

/// Creates a queued execution of `flow_id` (the REST trigger's synchronous part).
pub fn start_execution(sim: &Sim, flow_id: &str, inputs: &Map<String, Value>) -> Result<String, StoreError> {
    let flow = sim.store.get(FLOWS, flow_id)?;
    let record = inputs.get("record").and_then(Value::as_str).unwrap_or("");
    let row = sim.store.insert(
        EXECUTIONS,
        &[
            ("name", Store::field(FLOWS, &flow, "name")),
            ("flow", flow_id),
            ("state", "QUEUED"),
            ("source_table", if record.is_empty() { "" } else { WORK_ORDERS }),
            ("source_record", record),
        ],
    )?;
    let id = row[0].to_string();
    sim.engine.details.write().insert(id.clone(), Detail { inputs: inputs.clone(), ..Default::default() });
    Ok(id)
}

/// The Flow REST trigger: queue the execution, run it in the background.
pub fn trigger(sim: &Arc<Sim>, flow_id: &str, inputs: Map<String, Value>) -> Result<String, StoreError> {
    let id = start_execution(sim, flow_id, &inputs)?;
    let s = Arc::clone(sim);
    let exec = id.clone();
    tokio::spawn(async move {
        run_flow(&s, &exec, inputs).await;
    });
    Ok(id)
}

/// Runs a queued execution to its end and returns the subflow's outcome.
pub async fn run_flow(sim: &Arc<Sim>, exec_id: &str, inputs: Map<String, Value>) -> Outcome {
    let Ok(exec) = sim.store.get(EXECUTIONS, exec_id) else { return Outcome::failed("", "execution vanished") };
    let flow_id = Store::field(EXECUTIONS, &exec, "flow").to_string();
    let started = crate::time::now_string();
    let t0 = Instant::now();
    let _ = sim.store.update(EXECUTIONS, exec_id, &[("state", "IN_PROGRESS"), ("started", &started)]);
    let mut run = Run { sim, exec_id, steps: Vec::new() };
    let provider = find_provider_of_flow(sim, &flow_id);
    let outcome = match provider {
        Some((p, op)) => run.subflow(op, &p, &inputs).await,
        None => run.fail_step("Resolve flow", json!({"flow": flow_id}), "flow is not a provider subflow").await,
    };
    let mut outputs = Map::new();
    outputs.insert("status".into(), json!(if outcome.success { "success" } else { "failed" }));
    outputs.insert("response_code".into(), json!(outcome.response_code));
    outputs.insert("message".into(), json!(outcome.message));
    outputs.insert("fm_work_order_id".into(), json!(outcome.fm_work_order_id));
    let failing =
        run.steps.iter().find(|s| s.state == "error").map(|s| format!("Step {} ({}): {}", s.order, s.name, s.error));
    {
        let mut details = sim.engine.details.write();
        let d = details.entry(exec_id.to_string()).or_default();
        d.outputs = outputs;
        d.steps = run.steps;
    }
    let run_time = t0.elapsed().as_millis().to_string();
    let _ = sim.store.update(
        EXECUTIONS,
        exec_id,
        &[
            ("state", if failing.is_some() { "ERROR" } else { "COMPLETE" }),
            ("ended", &crate::time::now_string()),
            ("run_time", &run_time),
            ("error_message", failing.as_deref().unwrap_or("")),
        ],
    );
    outcome
}

fn find_provider_of_flow(sim: &Sim, flow_id: &str) -> Option<(Row, Op)> {
    let t = sim.store.table(PROVIDERS).ok()?.read();
    for p in t.iter() {
        for op in [Op::Create, Op::Update, Op::Cancel] {
            if Store::field(PROVIDERS, p, op.flow_field()) == flow_id {
                return Some((p.clone(), op));
            }
        }
    }
    None
}

/// The steps of one execution as they are recorded.
struct Run<'a> {
    sim: &'a Arc<Sim>,
    exec_id: &'a str,
    steps: Vec<Step>,
}

impl Run<'_> {
    fn publish(&self) {
        let mut details = self.sim.engine.details.write();
        details.entry(self.exec_id.to_string()).or_default().steps = self.steps.clone();
    }

    fn step(&mut self, name: &str, inputs: Value, t0: Instant, started: String, outcome: Result<Value, String>) {
        let (state, outputs, error) = match outcome {
            Ok(o) => ("complete", o, String::new()),
            Err(e) => ("error", Value::Null, e),
        };
        self.steps.push(Step {
            order: self.steps.len() as u32 + 1,
            name: name.to_string(),
            state: state.to_string(),
            started,
            duration_ms: t0.elapsed().as_millis() as u64,
            inputs,
            outputs,
            error,
        });
        self.publish();
    }

    fn ok(&mut self, name: &str, inputs: Value, outputs: Value) {
        self.step(name, inputs, Instant::now(), crate::time::now_string(), Ok(outputs));
    }

    async fn fail_step(&mut self, name: &str, inputs: Value, err: &str) -> Outcome {
        self.step(name, inputs, Instant::now(), crate::time::now_string(), Err(err.to_string()));
        Outcome::failed("", err)
    }

    async fn subflow(&mut self, op: Op, provider: &Row, inputs: &Map<String, Value>) -> Outcome {
        let sim = self.sim;
        let pf = |n| Store::field(PROVIDERS, provider, n).to_string();
        let in_json = Value::Object(inputs.clone());
        // 1. The contract's inputs.
        let record = inputs.get("record").and_then(Value::as_str).unwrap_or("").to_string();
        if record.is_empty() {
            return self.fail_step("Validate inputs", in_json, "Missing required input 'record'").await;
        }
        self.ok("Validate inputs", in_json, json!({"record": record}));
        // 2. The work order.
        let task = sim.store.get(WORK_ORDERS, &record).ok().or_else(|| sim.store.find(WORK_ORDERS, "number", &record));
        let Some(task) = task else {
            return self
                .fail_step(
                    "Look up Workplace Task",
                    json!({"record": record}),
                    &format!("Workplace Task {record} not found"),
                )
                .await;
        };
        let tf = |n| Store::field(WORK_ORDERS, &task, n).to_string();
        let task_id = tf("sys_id");
        let fm_id = tf("fm_work_order_id");
        if op == Op::Create && !fm_id.is_empty() {
            // Idempotent create: a retry after a create that did land (a rerun, a lost
            // answer) must not create twice nor mark a created order failed.
            self.ok(
                "Look up Workplace Task",
                json!({"record": record}),
                json!({"number": tf("number"), "fm_work_order_id": fm_id}),
            );
            let o = Outcome {
                success: true,
                message: format!("already created at {} as {fm_id}: nothing sent", pf("title")),
                fm_work_order_id: fm_id,
                no_call: true,
                ..Default::default()
            };
            self.finish(op, &task, provider, &o);
            return o;
        }
        let precondition = match op {
            Op::Update | Op::Cancel if fm_id.is_empty() => {
                Some("not synced to the provider yet (no FM Work Order Id): create it first".to_string())
            }
            _ => None,
        };
        if let Some(why) = precondition {
            let o = self.fail_step("Look up Workplace Task", json!({"record": record}), &why).await;
            self.finish(op, &task, provider, &o);
            return o;
        }
        self.ok(
            "Look up Workplace Task",
            json!({"record": record}),
            json!({"number": tf("number"), "state": tf("state"), "fm_work_order_id": fm_id}),
        );
        let (pending, _, _) = op.states();
        let _ = sim.store.update(WORK_ORDERS, &task_id, &[("integration_state", pending)]);
        // 3. The provider's payload, with mapped state and priority.
        let mapped_state = map_value(&pf("state_mapping"), &tf("state"));
        let mapped_priority = map_value(&pf("priority_mapping"), &tf("priority"));
        let mut payload = json!({
            "external_ref": tf("number"),
            "title": tf("short_description"),
            "description": tf("description"),
            "state": mapped_state,
            "priority": mapped_priority,
        });
        // The documented contract: a list of field names (outbound-flows page); an
        // object's keys or a comma-separated text are read as that list too.
        if let Some(ch) = inputs.get("changed_fields") {
            let names: Vec<String> = match ch {
                Value::Array(a) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                Value::Object(o) => o.keys().cloned().collect(),
                Value::String(s) => s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
                _ => Vec::new(),
            };
            let values: Map<String, Value> =
                names.iter().map(|n| (n.clone(), json!(Store::field(WORK_ORDERS, &task, n)))).collect();
            payload["changed_fields"] = json!(names);
            payload["changes"] = Value::Object(values);
        }
        if let Some(c) = inputs.get("comment") {
            payload["comment"] = c.clone();
        }
        self.ok("Build FM payload", json!({"state": tf("state"), "priority": tf("priority")}), payload.clone());
        // 4. The real HTTP call.
        let base = pf("base_url");
        let (method, url) = match op {
            Op::Create => ("POST", format!("{base}/workorders")),
            Op::Update => ("PATCH", format!("{base}/workorders/{fm_id}")),
            Op::Cancel => ("POST", format!("{base}/workorders/{fm_id}/cancel")),
        };
        let step_name = format!("REST: {method} {}", op.as_str());
        let req_json = json!({"method": method, "url": url, "body": payload});
        let t0 = Instant::now();
        let started = crate::time::now_string();
        let req = match op {
            Op::Update => sim.engine.http().patch(&url),
            _ => sim.engine.http().post(&url),
        };
        let sent = req.basic_auth("svc_hubtop", Some("fm-secret")).json(&payload).send().await;
        let (code, body, retry_after) = match sent {
            Ok(r) => {
                let code = r.status().as_u16();
                let ra = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
                let body = r.text().await.unwrap_or_default();
                (code, body, ra)
            }
            Err(e) => {
                let msg = connection_message(&e, &base);
                self.step(&step_name, req_json, t0, started, Err(msg.clone()));
                let mut o = Outcome::failed("", &msg);
                o.connection_error = true;
                self.finish(op, &task, provider, &o);
                return o;
            }
        };
        let snippet: String = body.chars().take(600).collect();
        let step_out = json!({"response_code": code.to_string(), "response_body": snippet, "retry_after": retry_after});
        if !(200..300).contains(&code) {
            let msg = http_failure_message(code, &body, retry_after.as_deref());
            let t_out = step_out.clone();
            self.steps.push(Step {
                order: self.steps.len() as u32 + 1,
                name: step_name,
                state: "error".into(),
                started,
                duration_ms: t0.elapsed().as_millis() as u64,
                inputs: req_json,
                outputs: t_out,
                error: msg.clone(),
            });
            self.publish();
            let mut o = Outcome::failed(&code.to_string(), &msg);
            o.connection_error = code >= 500;
            self.finish(op, &task, provider, &o);
            return o;
        }
        self.step(&step_name, req_json, t0, started, Ok(step_out));
        // 5. The provider's answer.
        let parsed: Option<Value> = serde_json::from_str(&body).ok();
        let new_id = parsed.as_ref().and_then(|v| v.get("id")).and_then(Value::as_str).map(str::to_string);
        let new_id = match (op, new_id) {
            (_, Some(id)) => id,
            (Op::Create, None) | (_, None) if parsed.is_none() || op == Op::Create => {
                let msg = format!(
                    "provider answered {code} with a body that is not the expected JSON: {}",
                    body.chars().take(80).collect::<String>()
                );
                let o_step = self.fail_step("Parse response", json!({"body": snippet}), &msg).await;
                let o = Outcome { response_code: code.to_string(), ..o_step };
                self.finish(op, &task, provider, &o);
                return o;
            }
            (_, None) => fm_id.clone(),
        };
        self.ok("Parse response", json!({"body": snippet}), json!({"fm_work_order_id": new_id}));
        let message = match op {
            Op::Create => format!("Work order created at {} as {new_id}", pf("title")),
            Op::Update => format!("Work order {new_id} updated at {}", pf("title")),
            Op::Cancel => format!("Work order {new_id} cancelled at {}", pf("title")),
        };
        let o = Outcome {
            success: true,
            response_code: code.to_string(),
            message,
            fm_work_order_id: new_id,
            ..Default::default()
        };
        self.finish(op, &task, provider, &o);
        o
    }

    /// Moves integration state, writes sync history, keeps provider health.
    fn finish(&mut self, op: Op, task: &Row, provider: &Row, o: &Outcome) {
        let sim = self.sim;
        let task_id = task[0].to_string();
        let provider_id = provider[0].to_string();
        let (_, ok_state, failed_state) = op.states();
        let mut changes: Vec<(&str, &str)> =
            vec![("integration_state", if o.success { ok_state } else { failed_state })];
        if o.success && op == Op::Create {
            changes.push(("fm_work_order_id", &o.fm_work_order_id));
        }
        if o.success && op == Op::Cancel {
            changes.push(("state", "canceled"));
        }
        let upd = sim.store.update(WORK_ORDERS, &task_id, &changes);
        let hist = sim.store.insert(
            HISTORY,
            &[
                ("task", &task_id),
                ("provider", &provider_id),
                ("operation", op.as_str()),
                ("status", if o.success { "success" } else { "failed" }),
                ("response_code", &o.response_code),
                ("message", &o.message),
                (
                    "fm_work_order_id",
                    if o.fm_work_order_id.is_empty() {
                        Store::field(WORK_ORDERS, task, "fm_work_order_id")
                    } else {
                        &o.fm_work_order_id
                    },
                ),
                ("duration_ms", &self.steps.iter().map(|s| s.duration_ms).sum::<u64>().to_string()),
                ("flow_context", self.exec_id),
            ],
        );
        self.ok(
            "Update Workplace Task and log sync history",
            json!({"integration_state": changes[0].1, "status": if o.success { "success" } else { "failed" }}),
            json!({"updated": upd.is_ok(), "sync_history": hist.map(|r| r[0].to_string()).unwrap_or_default()}),
        );
        if !o.no_call {
            provider_health(sim, &provider_id, o);
        }
    }
}

fn provider_health(sim: &Sim, provider_id: &str, o: &Outcome) {
    let mut fails = sim.engine.conn_failures.lock();
    let n = fails.entry(provider_id.to_string()).or_default();
    if o.success {
        *n = 0;
        let _ = sim.store.update(PROVIDERS, provider_id, &[("outbound_state", "ready")]);
        return;
    }
    if o.connection_error {
        *n += 1;
    }
    let state = if *n >= 3 { "error" } else { "ready" };
    let current = sim.store.get(PROVIDERS, provider_id).ok();
    let keep = current.as_ref().is_some_and(|p| {
        Store::field(PROVIDERS, p, "outbound_state") == state && Store::field(PROVIDERS, p, "last_error") == o.message
    });
    if !keep {
        let _ = sim.store.update(PROVIDERS, provider_id, &[("outbound_state", state), ("last_error", &o.message)]);
    }
}

/// Looks a value up in a JSON mapping text (`{"new":"Trigger",…}`); unmapped values pass through.
pub fn map_value(mapping: &str, v: &str) -> String {
    serde_json::from_str::<Map<String, Value>>(mapping)
        .ok()
        .and_then(|m| m.get(v).and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| v.to_string())
}

/// The reverse lookup, for inbound messages: remote value → local value.
pub fn unmap_value(mapping: &str, remote: &str) -> Option<String> {
    let m = serde_json::from_str::<Map<String, Value>>(mapping).ok()?;
    if m.is_empty() {
        return Some(remote.to_string());
    }
    m.iter().find(|(_, r)| r.as_str().is_some_and(|r| r.eq_ignore_ascii_case(remote))).map(|(k, _)| k.clone())
}

fn connection_message(e: &reqwest::Error, base: &str) -> String {
    if e.is_timeout() {
        format!("timed out calling {base} after 10s")
    } else if e.is_connect() {
        format!("connection refused by {base}: the provider endpoint is not reachable")
    } else {
        format!("request to {base} failed: {e}")
    }
}

fn http_failure_message(code: u16, body: &str, retry_after: Option<&str>) -> String {
    let detail = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error_description")
                .or_else(|| v.get("message"))
                .or_else(|| v.get("error"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(80).collect());
    match code {
        401 | 403 => format!("HTTP {code}: credentials rejected by provider ({detail})"),
        429 => format!("HTTP 429: rate limited by provider, retry after {}s", retry_after.unwrap_or("?")),
        500..=599 => format!("HTTP {code}: provider error ({detail})"),
        _ => format!("HTTP {code}: {detail}"),
    }
}

async fn inbound_tick(sim: &Arc<Sim>) {
    let batch: Vec<(String, u64, String)> = sim.engine.inbound_ready.lock().iter().take(50).cloned().collect();
    for (_, _, id) in batch {
        process_inbound(sim, &id).await;
    }
}

/// Applies one message a provider pushed: correlate, map, update, log.
async fn process_inbound(sim: &Arc<Sim>, id: &str) {
    let Ok(entry) = sim.store.get(INBOUND, id) else { return };
    let ef = |n| Store::field(INBOUND, &entry, n).to_string();
    let _ = sim.store.update(INBOUND, id, &[("state", "processing")]);
    let Some(flow) = sim.store.find(FLOWS, "name", INBOUND_FLOW) else { return };
    let mut inputs = Map::new();
    inputs.insert("inbound_record".into(), json!(id));
    let Ok(exec_id) = start_execution(sim, &flow[0], &inputs) else { return };
    let _ =
        sim.store.update(EXECUTIONS, &exec_id, &[("state", "IN_PROGRESS"), ("started", &crate::time::now_string())]);
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
        Ok((t, corr)) => (t.clone(), "success", format!("Applied status from provider for {corr}")),
        Err(e) => {
            run.step("Apply inbound message", json!({}), Instant::now(), crate::time::now_string(), Err(e.clone()));
            (String::new(), "failed", e.clone())
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
    let failing =
        run.steps.iter().find(|s| s.state == "error").map(|s| format!("Step {} ({}): {}", s.order, s.name, s.error));
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
            ("state", if result.is_ok() { "COMPLETE" } else { "ERROR" }),
            ("ended", &crate::time::now_string()),
            ("run_time", "5"),
            ("error_message", failing.as_deref().unwrap_or("")),
        ],
    );
    let changes: Vec<(&str, &str)> = match &result {
        Ok(_) => vec![("state", "processed"), ("document_id", &task_id), ("error", ""), ("flow_context", &exec_id)],
        Err(e) => vec![("state", "error"), ("error", e), ("flow_context", &exec_id)],
    };
    let _ = sim.store.update(INBOUND, id, &changes);
}

/// What an execution holds: recorded for live runs, synthesised for bulk-seeded ones.
pub fn detail(sim: &Sim, exec: &Row) -> Detail {
    let id = &*exec[0];
    if let Some(d) = sim.engine.details.read().get(id) {
        return d.clone();
    }
    let f = |n| Store::field(EXECUTIONS, exec, n).to_string();
    let err = f("error_message");
    let failed = f("state") == "ERROR";
    let names =
        ["Validate inputs", "Look up Workplace Task", "Build FM payload", "REST: POST create", "Parse response"];
    let fail_at = if failed { 3 } else { usize::MAX };
    let steps = names
        .iter()
        .enumerate()
        .take(if failed { 4 } else { 5 })
        .map(|(i, n)| Step {
            order: i as u32 + 1,
            name: n.to_string(),
            state: if i == fail_at { "error" } else { "complete" }.into(),
            started: f("started"),
            duration_ms: 3,
            inputs: json!({"record": f("source_record")}),
            outputs: if i == fail_at { json!({"response_code": "503"}) } else { json!({}) },
            error: if i == fail_at { err.clone() } else { String::new() },
        })
        .collect();
    let mut inputs = Map::new();
    inputs.insert("record".into(), json!(f("source_record")));
    let mut outputs = Map::new();
    outputs.insert("status".into(), json!(if failed { "failed" } else { "success" }));
    Detail { inputs, outputs, steps }
}
