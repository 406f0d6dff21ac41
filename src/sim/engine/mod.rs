//! The flow engine: runs the providers' create / update / cancel subflows and the
//! inbound processing flow as executions with ordered steps, processes the outbound
//! and inbound queues, and keeps integration state, sync history and provider health.
//!
//! Every outbound step really calls the provider's simulated FM API over HTTP, so a
//! failure the console shows (401, 429, 5xx, malformed body, connection refused) is
//! one that actually happened on the wire.

mod inbound;
mod subflow;

use crate::domain::state::{ExecState, IntegrationState as I, QueueState, StepState, SyncStatus};
use subflow::Run;
pub use subflow::{map_value, unmap_value};

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::watch;

use super::Sim;
use super::schema::{EXECUTIONS, FLOWS, INBOUND, OUTBOUND, PROVIDERS, WORK_ORDERS};
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
            Op::Create => crate::domain::records::provider::CREATE_FLOW,
            Op::Update => crate::domain::records::provider::UPDATE_FLOW,
            Op::Cancel => crate::domain::records::provider::CANCEL_FLOW,
        }
    }
    fn states(self) -> (&'static str, &'static str, &'static str) {
        let (pending, done, failed) = match self {
            Op::Create => (I::CreatePending, I::Created, I::CreateFailed),
            Op::Update => (I::UpdatePending, I::Created, I::UpdateFailed),
            Op::Cancel => (I::CancelPending, I::Cancelled, I::CancelFailed),
        };
        (pending.as_str(), done.as_str(), failed.as_str())
    }
}

pub use crate::domain::wire::Step;

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
        self.http.get_or_init(|| super::loopback_http(Some(Duration::from_secs(10))))
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
                match QueueState::parse(f("state")) {
                    Some(QueueState::Ready) => {
                        due.insert(id, 0);
                    }
                    Some(QueueState::Error) if !f("next_attempt").is_empty() => {
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
                if f("state") == QueueState::Ready.as_str() {
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
                _ = tick.tick() => inbound::inbound_tick(&s).await,
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
    if !matches!(QueueState::parse(&f("state")), Some(QueueState::Ready | QueueState::Error)) {
        // Skipped or settled since it fell due.
        return;
    }
    if sim.store.update(OUTBOUND, id, &[("state", QueueState::Processing.as_str()), ("next_attempt", "")]).is_err() {
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
                ("state", QueueState::Processed.as_str()),
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
                ("state", QueueState::Error.as_str()),
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
            ("state", ExecState::Queued.as_str()),
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
    let _ = sim.store.update(EXECUTIONS, exec_id, &[("state", ExecState::InProgress.as_str()), ("started", &started)]);
    let mut run = Run { sim, exec_id, steps: Vec::new() };
    let provider = find_provider_of_flow(sim, &flow_id);
    let outcome = match provider {
        Some((p, op)) => run.subflow(op, &p, &inputs).await,
        None => run.fail_step("Resolve flow", json!({"flow": flow_id}), "flow is not a provider subflow").await,
    };
    let mut outputs = Map::new();
    outputs.insert(
        "status".into(),
        json!(if outcome.success { SyncStatus::Success } else { SyncStatus::Failed }.as_str()),
    );
    outputs.insert("response_code".into(), json!(outcome.response_code));
    outputs.insert("message".into(), json!(outcome.message));
    outputs.insert("fm_work_order_id".into(), json!(outcome.fm_work_order_id));
    let failing = run
        .steps
        .iter()
        .find(|s| s.state == StepState::Error.as_str())
        .map(|s| format!("Step {} ({}): {}", s.order, s.name, s.error));
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
            ("state", if failing.is_some() { ExecState::Error } else { ExecState::Complete }.as_str()),
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

/// What an execution holds: recorded for live runs, synthesised for bulk-seeded ones.
pub fn detail(sim: &Sim, exec: &Row) -> Detail {
    let id = &*exec[0];
    if let Some(d) = sim.engine.details.read().get(id) {
        return d.clone();
    }
    let f = |n| Store::field(EXECUTIONS, exec, n).to_string();
    let err = f("error_message");
    let failed = f("state") == ExecState::Error.as_str();
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
            state: if i == fail_at { StepState::Error } else { StepState::Complete }.as_str().into(),
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
    outputs.insert("status".into(), json!(if failed { SyncStatus::Failed } else { SyncStatus::Success }.as_str()));
    Detail { inputs, outputs, steps }
}
