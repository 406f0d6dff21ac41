//! Following an operation to its end with what every instance has: the work order's
//! integration state, its new sync-history rows and the execution's `sys_flow_context`
//! row; a queue entry through its state. What cannot be read makes the outcome unknown
//! (never failed, never sent again), with what to check.
//!
//! Politely: looks come after 0.5 s, 1, 2, 4 and 8 s, then every 10 s until the follow
//! window ends ([`pause`]), and each look is one request: the sync history alone for a
//! PATCHed work order, else its reads gathered into one Batch API request where the
//! instance has it ([`Client::batched`](crate::client::Client::batched)). Every
//! request goes through the client, so it counts against the profile's request budget.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::{Ops, Outcome, Progress, Subject};
use crate::client::{Error, Record};
use crate::domain::state::{ExecState, IntegrationState, QueueState, SyncStatus};
use crate::domain::{Entity, WorkOrderOp};

/// The pause before look `n` (0-based): 0.5 s, 1, 2, 4, 8, then 10 s each.
pub fn pause(n: u32) -> Duration {
    match n {
        0 => Duration::from_millis(500),
        1..=4 => Duration::from_secs(1 << (n - 1)),
        _ => Duration::from_secs(10),
    }
}

/// How many looks a follow window of `window` takes at most: the scheduled ones, and one
/// at the window's end.
#[cfg(test)]
pub fn looks_within(window: Duration) -> u32 {
    let (mut at, mut n) = (Duration::ZERO, 0);
    while at + pause(n) < window {
        at += pause(n);
        n += 1;
    }
    n + 1
}

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
    /// What the operator calls the record.
    pub label: String,
}

/// One part of a look.
enum Part {
    History(Vec<Record>),
    WorkOrder(Record),
    Execution(Record),
}

type Fetch<'a> = Pin<Box<dyn Future<Output = Result<Part, Error>> + Send + 'a>>;

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

/// What a watch waits for, in progress lines.
fn what_waited(w: &Watch) -> String {
    let op = w.op.map(|o| o.verb()).unwrap_or("rerun");
    match &w.exec {
        Some(x) => format!("the {op} of {} (execution {x}) to finish", w.label),
        None => format!("IFM to report the {op} of {} (integration state, sync history)", w.label),
    }
}

/// Why a followed operation's outcome is unknown after sending stopped (a signal, the
/// operator quitting).
fn stopped(why: Option<super::flight::Stop>) -> String {
    let why = why.map_or_else(|| "hubtop stopped".to_string(), |w| w.words());
    format!("started; not followed further: {why} — check the record before sending again")
}

impl Ops {
    /// Polls until the outcome is known or `follow_timeout` passes; a signal ends the
    /// watch at once with the outcome unknown.
    pub(super) async fn watch(&self, w: Watch, progress: &impl Fn(Progress)) -> Outcome {
        tokio::select! {
            o = self.watch_to_end(&w, progress) => o,
            _ = self.flight.stopped() => {
                Outcome::Unknown(format!("{} {}", what_started(&w), stopped(self.flight.stopped_by())))
            }
        }
    }

    async fn watch_to_end(&self, w: &Watch, progress: &impl Fn(Progress)) -> Outcome {
        let w = w.clone();
        let start = tokio::time::Instant::now();
        let window = self.follow_timeout;
        let deadline = start + window;
        let mut pending_seen =
            w.after_patch.as_ref().zip(w.op).is_some_and(|(r, op)| r.get("integration_state") == states(op).0.as_str());
        let mut complete_polls = 0;
        let mut integration = String::new();
        let mut n = 0;
        loop {
            tokio::time::sleep_until((tokio::time::Instant::now() + pause(n)).min(deadline)).await;
            n += 1;
            match self.look(&w, &mut pending_seen, &mut complete_polls, &mut integration).await {
                Ok(Some(o)) => return o,
                Ok(None) if tokio::time::Instant::now() < deadline => {
                    progress(Progress::Waiting { what: what_waited(&w), elapsed: start.elapsed(), window, looks: n });
                }
                Ok(None) => {
                    let secs = window.as_secs();
                    return Outcome::Unknown(format!("no outcome within {secs}s — {}", what_to_check(&w)));
                }
                Err(e) => return Outcome::Unknown(format!("{e} while following — {}", what_to_check(&w))),
            }
        }
    }

    /// One look: the new sync-history rows, the integration state and the execution, as
    /// far as each is needed, fetched together (one Batch API request where the instance
    /// has it).
    async fn look(
        &self,
        w: &Watch,
        pending_seen: &mut bool,
        complete_polls: &mut u32,
        integration: &mut String,
    ) -> Result<Option<Outcome>, Error> {
        let c = &self.client;
        let mut fetches: Vec<Fetch<'_>> = Vec::new();
        if let (Some(wo), Some(_)) = (&w.wo, &w.seen) {
            fetches.push(Box::pin(async move { Ok(Part::History(self.recent_history(wo).await?)) }));
        }
        // The integration state decides only where the sync history cannot be read (or
        // adds to an execution's verdict): otherwise a look is the one history request.
        if let Some(wo) = w.wo.as_ref().filter(|_| w.seen.is_none() || w.exec.is_some()) {
            fetches.push(Box::pin(async move {
                let r = c.get_record(c.table(Entity::WorkOrders), wo, &["integration_state"], false).await?;
                Ok(Part::WorkOrder(r))
            }));
        }
        if let Some(x) = &w.exec {
            fetches.push(Box::pin(async move {
                let r = c.get_record(c.table(Entity::Executions), x, &["state", "error_message"], false).await?;
                Ok(Part::Execution(r))
            }));
        }
        let parts = c.batched(fetches).await?;
        // 1. A new sync-history row for the operation: the subflow's own verdict.
        for p in &parts {
            if let (Part::History(rows), Some(seen)) = (p, &w.seen) {
                let new = rows
                    .iter()
                    .find(|r| !seen.contains(r.sys_id()) && w.op.is_none_or(|op| r.get("operation") == op.verb()));
                if let Some(r) = new {
                    return Ok(Some(verdict(r, w)));
                }
            }
        }
        // 2. The work order's integration state.
        for p in &parts {
            let Part::WorkOrder(r) = p else { continue };
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
        for p in &parts {
            let (Part::Execution(r), Some(x)) = (p, &w.exec) else { continue };
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
    pub(super) async fn follow_entry(&self, t: &Subject, progress: &impl Fn(Progress)) -> Result<Outcome, Error> {
        tokio::select! {
            r = self.follow_entry_to_end(t, progress) => r,
            _ = self.flight.stopped() => {
                Ok(Outcome::Unknown(format!("queued again; {}", stopped(self.flight.stopped_by()))))
            }
        }
    }

    async fn follow_entry_to_end(&self, t: &Subject, progress: &impl Fn(Progress)) -> Result<Outcome, Error> {
        let table = self.client.table(t.entity).to_string();
        let start = tokio::time::Instant::now();
        let window = self.follow_timeout;
        let deadline = start + window;
        let fields = ["state", "last_error", "error", "response_code", "attempts"];
        let mut n = 0;
        loop {
            tokio::time::sleep_until((tokio::time::Instant::now() + pause(n)).min(deadline)).await;
            n += 1;
            let r = self.client.get_record(&table, &t.sys_id, &fields, false).await?;
            match QueueState::parse(r.get("state")) {
                Some(QueueState::Ready | QueueState::Processing) if tokio::time::Instant::now() < deadline => {
                    let what = format!("the instance to process {} again", t.label);
                    progress(Progress::Waiting { what, elapsed: start.elapsed(), window, looks: n });
                }
                Some(QueueState::Ready | QueueState::Processing) => {
                    let secs = window.as_secs();
                    return Ok(Outcome::Ok(format!(
                        "{} (within {secs}s) — see what it comes to with `hubtop get {} {}`",
                        super::QUEUED_AGAIN,
                        t.entity.name(),
                        t.label
                    )));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_back_off_to_every_ten_seconds() {
        let pauses: Vec<f64> = (0..8).map(|n| pause(n).as_secs_f64()).collect();
        assert_eq!(pauses, vec![0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]);
        // 0.5, 1.5, 3.5, 7.5, 15.5, 25.5 … 115.5, and one at 120 s: 16 looks in two minutes
        // (the loop without backoff took about 300, at two requests each).
        assert_eq!(looks_within(Duration::from_secs(120)), 16);
        assert_eq!(looks_within(Duration::from_secs(3)), 3);
    }
}
