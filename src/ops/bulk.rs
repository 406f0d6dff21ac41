//! An operation over many records, as the console sends it: each record is decided,
//! audited and sent like a single one (bounded concurrency, cancellable between records);
//! entries set back to ready are then followed *together* (one list request per poll for
//! all of them, not one per entry) until the queue processed them or they failed again,
//! and only then is each record's audit line written — with its final outcome, as for a
//! single retry. Every "sent" line still gets exactly one outcome line.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::flight::{Stop, Ticket};
use super::{Ops, Outcome, Subject};
use crate::client::read::ListSpec;
use crate::client::{Error, Record};
use crate::domain::Operation;
use crate::domain::state::QueueState;
use crate::query::{Condition, Query};

/// What a bulk job reports as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkEvent {
    /// The entry was set back to ready; it is followed to what the queue does with it.
    Queued { sys_id: String },
    /// The record's final outcome (recorded in the audit log as such).
    Done { sys_id: String, outcome: Outcome },
}

/// How an entry that was queued again and never processed within the follow time reads
/// (the console counts it "still waiting"; the audit records "unknown": it may yet fail).
pub const QUEUED_AGAIN: &str = "queued again; the instance has not processed it yet";

/// How often the followed entries are read (one request for all of them).
const POLL: Duration = Duration::from_secs(1);
/// Entries per read (an encoded query has its limits).
const CHUNK: usize = 100;

impl Outcome {
    /// A retried entry still waiting for the queue when following ended.
    pub fn is_waiting(&self) -> bool {
        matches!(self, Outcome::Ok(s) if s.starts_with(QUEUED_AGAIN))
    }
}

/// The final outcome a queue entry's state gives, once it has one.
pub fn entry_outcome(r: &Record) -> Option<Outcome> {
    match QueueState::parse(r.get("state")) {
        Some(QueueState::Ready | QueueState::Processing) => None,
        Some(QueueState::Processed) => {
            let code = r.get("response_code");
            Some(Outcome::Ok(if code.is_empty() { "processed".into() } else { format!("processed (HTTP {code})") }))
        }
        _ => {
            let err = if r.get("last_error").is_empty() { r.get("error") } else { r.get("last_error") };
            let s = r.get("state");
            Some(Outcome::Failed(crate::client::actions::advise(&format!("{s}: {err}"))))
        }
    }
}

impl Ops {
    /// Runs `op` over `targets`, `width` at a time; returns whether it was cancelled
    /// (what was sent stays sent and is still followed; the rest is not sent).
    pub async fn run_bulk(
        &self,
        op: &Operation,
        targets: Vec<Subject>,
        width: usize,
        cancel: &AtomicBool,
        event: impl Fn(BulkEvent) + Send + Sync + 'static,
    ) -> bool {
        let event = Arc::new(event);
        let sem = Arc::new(tokio::sync::Semaphore::new(width.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for t in targets {
            let permit = Arc::clone(&sem).acquire_owned().await.expect("semaphore open");
            if cancel.load(Ordering::SeqCst) {
                break;
            }
            let (ops, op, event) = (self.clone(), op.clone(), Arc::clone(&event));
            tasks.spawn(async move {
                let held = ops.send_one(&op, &t).await;
                drop(permit);
                match held {
                    Held::Follow(ticket) => {
                        event(BulkEvent::Queued { sys_id: t.sys_id.clone() });
                        Some((t, ticket))
                    }
                    Held::Done(outcome) => {
                        event(BulkEvent::Done { sys_id: t.sys_id.clone(), outcome });
                        None
                    }
                }
            });
        }
        let mut follow = Vec::new();
        while let Some(r) = tasks.join_next().await {
            if let Ok(Some(x)) = r {
                follow.push(x);
            }
        }
        if !follow.is_empty() {
            self.follow_entries(follow, &*event).await;
        }
        cancel.load(Ordering::SeqCst)
    }

    /// Decides, audits and sends one record's operation without following it; a retry
    /// the instance accepted stays open in the audit (its outcome is what the queue does).
    async fn send_one(&self, op: &Operation, t: &Subject) -> Held {
        let ticket = match self.begin(op, t) {
            Ok(ticket) => ticket,
            Err(sent) => return Held::Done(sent.outcome),
        };
        let outcome = match self.perform(op, t, false, &|_| {}).await {
            Ok(o) => o,
            Err(e) => super::outcome_of(&e),
        };
        if *op == Operation::Retry && matches!(outcome, Outcome::Ok(_)) {
            return Held::Follow(ticket);
        }
        // Accepted, not followed (a bulk cancel, create, update or rerun): "sent" in the
        // audit, and unknown to the console — the instance took it; what the flow did with
        // it is not known, so it is never counted ok.
        match outcome {
            Outcome::Ok(s) if *op != Operation::Skip => {
                self.flight.leave(ticket, super::NOT_FOLLOWED, &format!("{s}; {}", super::NOT_FOLLOWED_DETAIL));
                Held::Done(Outcome::Unknown(format!(
                    "{s}; a bulk {} is not followed: check the record (or its execution) before sending again",
                    op.verb()
                )))
            }
            o => {
                self.flight.leave(ticket, o.word(), o.text());
                Held::Done(o)
            }
        }
    }

    /// Follows entries set back to ready, all together, until each has its outcome or
    /// the follow time passes; writes each one's audit outcome as it comes.
    async fn follow_entries(&self, entries: Vec<(Subject, Ticket)>, event: &(dyn Fn(BulkEvent) + Send + Sync)) {
        let stopped = self.flight.stopped();
        tokio::pin!(stopped);
        let deadline = tokio::time::Instant::now() + self.follow_timeout;
        let mut open: Vec<(Subject, Ticket)> = entries;
        let mut last_error: Option<Error> = None;
        while !open.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = &mut stopped => break,
            }
            match self.read_entries(&open).await {
                Ok(rows) => {
                    last_error = None;
                    let mut still = Vec::new();
                    for (t, ticket) in open {
                        match rows.iter().find(|r| r.sys_id() == t.sys_id).and_then(entry_outcome) {
                            Some(o) => {
                                self.flight.leave(ticket, o.word(), o.text());
                                event(BulkEvent::Done { sys_id: t.sys_id.clone(), outcome: o });
                            }
                            None => still.push((t, ticket)),
                        }
                    }
                    open = still;
                }
                Err(e) => last_error = Some(e),
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
        }
        for (t, ticket) in open {
            let o = match (&last_error, self.flight.is_stopping()) {
                (_, true) => Outcome::Unknown(self.flight.stopped_by().unwrap_or(Stop::Quit).abandoned()),
                (Some(e), _) => Outcome::Unknown(format!(
                    "queued again; {e} while following — check the entry before sending again"
                )),
                (None, _) => Outcome::Ok(QUEUED_AGAIN.to_string()),
            };
            self.flight.leave(ticket, o.word(), o.text());
            event(BulkEvent::Done { sys_id: t.sys_id.clone(), outcome: o });
        }
    }

    /// The followed entries' states, a chunk per request.
    async fn read_entries(&self, open: &[(Subject, Ticket)]) -> Result<Vec<Record>, Error> {
        let mut rows = Vec::new();
        for chunk in open.chunks(CHUNK) {
            let entity = chunk[0].0.entity;
            let mut spec = ListSpec::new(self.client.table(entity));
            let ids = chunk.iter().map(|(t, _)| t.sys_id.as_str());
            let c = Condition::in_list("sys_id", ids).map_err(Error::Invalid)?;
            spec.query = Query::new().and(c);
            spec.fields = ["sys_id", "state", "last_error", "error", "response_code"].map(String::from).to_vec();
            spec.limit = CHUNK;
            spec.no_count = true;
            rows.extend(self.client.list(&spec).await?.records);
        }
        Ok(rows)
    }
}

enum Held {
    Follow(Ticket),
    Done(Outcome),
}
