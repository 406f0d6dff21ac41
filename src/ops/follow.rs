//! Following an operation to its end with what every instance has: the work order's
//! integration state, its new sync-history rows and the execution's `sys_flow_context`
//! row; a queue entry through its state. What cannot be read makes the outcome unknown
//! (never failed, never sent again), with what to check.

use std::collections::HashSet;
use std::time::Duration;

use super::{Ops, Outcome, Subject};
use crate::client::{Error, Record};
use crate::domain::state::{ExecState, IntegrationState, QueueState, SyncStatus};
use crate::domain::{Entity, WorkOrderOp};

/// What an operation is followed by.
#[derive(Debug, Clone)]
pub(super) struct Watch {
    /// The work order it is about.
    pub wo: Option<String>,
    pub op: Option<WorkOrderOp>,
    /// The execution the trigger answered with.
    pub exec: Option<String>,
    /// Sync-history rows that were there before (`None`: not readable).
    pub seen: Option<HashSet<String>>,
    /// The integration state before the action.
    pub before: String,
    /// The work order as the PATCH left it.
    pub after_patch: Option<Record>,
}

/// Integration states an operation ends in: (pending, done, failed).
fn states(op: WorkOrderOp) -> (IntegrationState, IntegrationState, IntegrationState) {
    use IntegrationState as I;
    match op {
        WorkOrderOp::Create => (I::CreatePending, I::Created, I::CreateFailed),
        WorkOrderOp::Update => (I::UpdatePending, I::Created, I::UpdateFailed),
        WorkOrderOp::Cancel => (I::CancelPending, I::Cancelled, I::CancelFailed),
    }
}

/// What a watch followed, for the operator.
fn what_started(w: &Watch) -> String {
    match (&w.exec, &w.wo) {
        (Some(x), _) => format!("execution {x}"),
        (None, Some(wo)) => format!("the operation on work order {wo}"),
        (None, None) => "the operation".to_string(),
    }
}

/// Why a followed operation's outcome is unknown after a signal.
const STOPPED: &str = "started; hubtop stopped following it on a signal — check the record before sending again";

impl Ops {
    /// Polls until the outcome is known or `follow_timeout` passes; a signal ends the
    /// watch at once with the outcome unknown.
    pub(super) async fn watch(&self, w: Watch) -> Outcome {
        tokio::select! {
            o = self.watch_to_end(&w) => o,
            _ = self.flight.stopped() => Outcome::Unknown(format!("{} {STOPPED}", what_started(&w))),
        }
    }

    async fn watch_to_end(&self, w: &Watch) -> Outcome {
        let w = w.clone();
        let deadline = tokio::time::Instant::now() + self.follow_timeout;
        let mut pending_seen =
            w.after_patch.as_ref().zip(w.op).is_some_and(|(r, op)| r.get("integration_state") == states(op).0.as_str());
        let mut complete_polls = 0;
        let mut integration = String::new();
        loop {
            tokio::time::sleep(Duration::from_millis(400)).await;
            match self.look(&w, &mut pending_seen, &mut complete_polls, &mut integration).await {
                Ok(Some(o)) => return o,
                Ok(None) if tokio::time::Instant::now() < deadline => continue,
                Ok(None) => {
                    let secs = self.follow_timeout.as_secs();
                    return Outcome::Unknown(format!("no outcome within {secs}s — {}", what_to_check(&w)));
                }
                Err(e) => return Outcome::Unknown(format!("{e} while following — {}", what_to_check(&w))),
            }
        }
    }

    async fn look(
        &self,
        w: &Watch,
        pending_seen: &mut bool,
        complete_polls: &mut u32,
        integration: &mut String,
    ) -> Result<Option<Outcome>, Error> {
        let c = &self.client;
        // 1. A new sync-history row for the operation: the subflow's own verdict.
        if let (Some(wo), Some(seen)) = (&w.wo, &w.seen) {
            let rows = self.recent_history(wo).await?;
            let new = rows
                .iter()
                .find(|r| !seen.contains(r.sys_id()) && w.op.is_none_or(|op| r.get("operation") == op.verb()));
            if let Some(r) = new {
                return Ok(Some(verdict(r, w)));
            }
        }
        // 2. The work order's integration state.
        if let Some(wo) = &w.wo {
            let r = c.get_record(c.table(Entity::WorkOrders), wo, &["integration_state"], false).await?;
            *integration = r.get("integration_state").to_string();
            if let Some(op) = w.op {
                let (pending, done, failed) = states(op);
                let moved = *pending_seen || *integration != w.before;
                if *integration == pending.as_str() {
                    *pending_seen = true;
                } else if moved && *integration == failed.as_str() && w.seen.is_none() {
                    return Ok(Some(Outcome::Failed(format!("failed: integration state {integration}"))));
                } else if moved && *integration == done.as_str() && w.seen.is_none() {
                    return Ok(Some(Outcome::Ok(format!("success: integration state {integration}"))));
                }
            }
        }
        // 3. The execution, by the id the trigger answered with.
        if let Some(x) = &w.exec {
            let r = c.get_record(c.table(Entity::Executions), x, &["state", "error_message"], false).await?;
            match ExecState::parse(r.get("state")) {
                Some(ExecState::Error | ExecState::Cancelled) => {
                    let msg = crate::client::actions::advise(&format!(
                        "failed: execution {x} {}: {}",
                        r.get("state"),
                        r.get("error_message")
                    ));
                    return Ok(Some(Outcome::Failed(msg)));
                }
                Some(ExecState::Complete) => {
                    *complete_polls += 1;
                    // Done; give the sync history a moment to show the subflow's verdict.
                    if w.wo.is_none() || w.seen.is_none() || *complete_polls > 3 {
                        let tail = if integration.is_empty() {
                            String::new()
                        } else {
                            format!("; integration state {integration}")
                        };
                        return Ok(Some(Outcome::Ok(format!("success: execution {x} complete{tail}"))));
                    }
                }
                _ => {}
            }
        }
        Ok(None)
    }
    /// After a retry, waits for the instance's flows to process the entry again.
    pub(super) async fn follow_entry(&self, t: &Subject) -> Result<Outcome, Error> {
        tokio::select! {
            r = self.follow_entry_to_end(t) => r,
            _ = self.flight.stopped() => Ok(Outcome::Unknown(format!("queued again; {STOPPED}"))),
        }
    }

    async fn follow_entry_to_end(&self, t: &Subject) -> Result<Outcome, Error> {
        let table = self.client.table(t.entity).to_string();
        let deadline = tokio::time::Instant::now() + self.follow_timeout;
        let fields = ["state", "last_error", "error", "response_code", "attempts"];
        loop {
            tokio::time::sleep(Duration::from_millis(700)).await;
            let r = self.client.get_record(&table, &t.sys_id, &fields, false).await?;
            match QueueState::parse(r.get("state")) {
                Some(QueueState::Ready | QueueState::Processing) if tokio::time::Instant::now() < deadline => continue,
                Some(QueueState::Ready | QueueState::Processing) => {
                    return Ok(Outcome::Ok("queued again; the instance has not processed it yet".into()));
                }
                Some(QueueState::Processed) => {
                    let code = r.get("response_code");
                    return Ok(Outcome::Ok(if code.is_empty() {
                        "processed".into()
                    } else {
                        format!("processed (HTTP {code})")
                    }));
                }
                _ => {
                    let err = if r.get("last_error").is_empty() { r.get("error") } else { r.get("last_error") };
                    let s = r.get("state");
                    return Ok(Outcome::Failed(crate::client::actions::advise(&format!("{s}: {err}"))));
                }
            }
        }
    }
}

/// The verdict a sync-history row gives, in one line an operator can act on.
fn verdict(r: &Record, w: &Watch) -> Outcome {
    let code = r.get("response_code");
    let msg = r.get("message");
    let ok = r.get("status") == SyncStatus::Success.as_str();
    let word = if ok { SyncStatus::Success } else { SyncStatus::Failed }.as_str();
    let mut line = match code {
        "" => format!("{word}: {msg}"),
        c => format!("{word} (HTTP {c}): {msg}"),
    };
    let exec = w.exec.as_deref().unwrap_or(r.get("flow_context"));
    if !exec.is_empty() {
        line.push_str(&format!(" [execution {exec}]"));
    }
    if ok { Outcome::Ok(line) } else { Outcome::Failed(crate::client::actions::advise(&line)) }
}

/// Where an operator looks when hubtop cannot tell how an operation ended.
fn what_to_check(w: &Watch) -> String {
    let mut s = String::from("check before sending again:");
    if let Some(wo) = &w.wo {
        s.push_str(&format!(
            " the work order's integration state and its sync history (`hubtop get history --query task={wo}`)"
        ));
    }
    if let Some(x) = &w.exec {
        s.push_str(&format!(" the execution (`hubtop get executions --query sys_id={x}`)"));
    }
    s
}
