//! One provider subflow run (create / update / cancel) as ordered steps: validate, look
//! up the task, build the FM payload, the real HTTP call, parse the answer; then the
//! integration state, the sync history row and the provider's health.

use crate::domain::state::{ProviderState, StepState, SyncStatus, WorkOrderState};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::{Op, Outcome, Step};
use crate::sim::Sim;
use crate::sim::schema::{HISTORY, PROVIDERS, WORK_ORDERS};
use crate::sim::store::{Row, Store};

/// The steps of one execution as they are recorded.
pub(super) struct Run<'a> {
    pub(super) sim: &'a Arc<Sim>,
    pub(super) exec_id: &'a str,
    pub(super) steps: Vec<Step>,
}

impl Run<'_> {
    fn publish(&self) {
        let mut details = self.sim.engine.details.write();
        details.entry(self.exec_id.to_string()).or_default().steps = self.steps.clone();
    }

    pub(super) fn step(
        &mut self,
        name: &str,
        inputs: Value,
        t0: Instant,
        started: String,
        outcome: Result<Value, String>,
    ) {
        let (state, outputs, error) = match outcome {
            Ok(o) => (StepState::Complete.as_str(), o, String::new()),
            Err(e) => (StepState::Error.as_str(), Value::Null, e),
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

    pub(super) fn ok(&mut self, name: &str, inputs: Value, outputs: Value) {
        self.step(name, inputs, Instant::now(), crate::time::now_string(), Ok(outputs));
    }

    pub(super) async fn fail_step(&mut self, name: &str, inputs: Value, err: &str) -> Outcome {
        self.step(name, inputs, Instant::now(), crate::time::now_string(), Err(err.to_string()));
        Outcome::failed("", err)
    }

    pub(super) async fn subflow(&mut self, op: Op, provider: &Row, inputs: &Map<String, Value>) -> Outcome {
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
                state: StepState::Error.as_str().into(),
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
                    // Cut with a sign: an excerpt, not the body.
                    if body.chars().count() > 80 {
                        format!("{}…", body.chars().take(80).collect::<String>())
                    } else {
                        body.clone()
                    }
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
            changes.push(("state", WorkOrderState::Canceled.as_str()));
        }
        let upd = sim.store.update(WORK_ORDERS, &task_id, &changes);
        let hist = sim.store.insert(
            HISTORY,
            &[
                ("task", &task_id),
                ("provider", &provider_id),
                ("operation", op.as_str()),
                ("status", if o.success { SyncStatus::Success } else { SyncStatus::Failed }.as_str()),
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
            json!({"integration_state": changes[0].1, "status": if o.success { SyncStatus::Success } else { SyncStatus::Failed }.as_str()}),
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
        let _ = sim.store.update(PROVIDERS, provider_id, &[("outbound_state", ProviderState::Ready.as_str())]);
        return;
    }
    if o.connection_error {
        *n += 1;
    }
    let state = if *n >= 3 { ProviderState::Error } else { ProviderState::Ready }.as_str();
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
