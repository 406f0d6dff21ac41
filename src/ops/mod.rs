//! An operator's operation, from decision to outcome, in one place for the console and
//! the CLI: decide (the domain's rules) → audit "sent" → perform → follow → audit the
//! outcome. Neither caller can send what the other would refuse. Work-order operations
//! go the platform's way (`workorder`) and are followed by what every instance has
//! (`follow`).

mod bulk;
pub mod flight;
mod follow;
pub mod validate;
mod workorder;

pub use workorder::Planned;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::audit::Audit;
use crate::client::{Client, Error, Record};
use crate::domain::state::QueueState;
use crate::domain::{Entity, Operation, WorkOrderOp, rules, title_of};
pub use bulk::{BulkEvent, QUEUED_AGAIN, entry_outcome};

/// The record an operation is sent for: its subject (not to be confused with
/// [`crate::target::Target`], the instance a command talks to).
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub entity: Entity,
    pub sys_id: String,
    /// What the operator calls it (a number, a flow name).
    pub label: String,
    /// The record as last read: the rules decide on it.
    pub record: Record,
}

impl Subject {
    pub fn new(entity: Entity, record: &Record) -> Subject {
        Subject { entity, sys_id: record.sys_id().to_string(), label: title_of(entity, record), record: record.clone() }
    }
}

/// How an operation ended, as far as hubtop can tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Ok(String),
    Failed(String),
    /// The request may or may not have acted: never retried automatically.
    Unknown(String),
    /// Not sent (refused by the rules, or cancelled before its turn).
    NotSent(String),
}

impl Outcome {
    pub fn text(&self) -> &str {
        match self {
            Outcome::Ok(s) | Outcome::Failed(s) | Outcome::Unknown(s) | Outcome::NotSent(s) => s,
        }
    }

    /// The word the audit log records. A retried entry the queue had not processed when
    /// following ended is "unknown": it may yet fail.
    pub fn word(&self) -> &'static str {
        match self {
            o if o.is_waiting() => "unknown",
            Outcome::Ok(_) => "ok",
            Outcome::Failed(_) => "failed",
            Outcome::Unknown(_) => "unknown",
            Outcome::NotSent(_) => "not_sent",
        }
    }
}

/// An outcome and the exit code the CLI gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub outcome: Outcome,
    pub exit: u8,
}

/// Progress an operation reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A flow execution started for the target.
    Started { execution: String },
    /// Following: one look was taken and found no outcome yet.
    Waiting {
        /// What it waits for, in the operator's words.
        what: String,
        /// Since the action was sent, and the follow window.
        elapsed: Duration,
        window: Duration,
        /// Looks so far (each one request where the instance has the Batch API).
        looks: u32,
    },
}

/// Performs operations against one instance and records them.
#[derive(Clone)]
pub struct Ops {
    pub client: Arc<Client>,
    pub audit: Arc<Audit>,
    /// How long an operation is followed to its end.
    pub follow_timeout: Duration,
    /// What is in flight, for an orderly stop on a signal.
    pub flight: Arc<flight::Flight>,
}

impl Ops {
    pub fn new(client: Arc<Client>, audit: Arc<Audit>) -> Ops {
        Ops { client, audit, follow_timeout: Duration::from_secs(120), flight: Arc::default() }
    }

    /// Decides, audits, performs and (when `follow`) follows one operation.
    pub async fn run(&self, op: &Operation, t: &Subject, follow: bool, progress: impl Fn(Progress)) -> Sent {
        // Every field and value checked against the table before anything is sent.
        let op = &match self.checked(op, t) {
            Ok(op) => op,
            Err(why) => {
                self.refuse(op, t, &why);
                return Sent { outcome: Outcome::NotSent(why), exit: crate::exit::USAGE };
            }
        };
        let follow = follow && !self.follow_timeout.is_zero();
        let ticket = match self.begin(op, t) {
            Ok(ticket) => ticket,
            Err(sent) => return sent,
        };
        let sent = match self.perform(op, t, follow, &progress).await {
            Ok(outcome) => {
                let exit = match outcome {
                    // Queued again, not processed within the window: the outcome is unknown.
                    ref o if o.is_waiting() => crate::exit::UNKNOWN,
                    Outcome::Ok(_) => crate::exit::OK,
                    // Refused for want of configuration: nothing ran.
                    Outcome::NotSent(_) => crate::exit::USAGE,
                    Outcome::Unknown(_) => crate::exit::UNKNOWN,
                    Outcome::Failed(_) => crate::exit::FAILED,
                };
                Sent { outcome, exit }
            }
            Err(e) => {
                let outcome = outcome_of(&e);
                let exit = if matches!(outcome, Outcome::Unknown(_)) { crate::exit::UNKNOWN } else { e.exit_code() };
                Sent { outcome, exit }
            }
        };
        // Accepted but not followed: the audit says "sent", never "ok" (a skip is done
        // once accepted: skipped is where an entry stays).
        match &sent.outcome {
            Outcome::Ok(s) if !follow && *op != Operation::Skip => {
                self.flight.leave(ticket, NOT_FOLLOWED, &format!("{s}; {NOT_FOLLOWED_DETAIL}"))
            }
            o => self.flight.leave(ticket, o.word(), o.text()),
        }
        sent
    }

    /// Records in the audit log an operation refused before anything was sent, with the
    /// reason (one line, outcome "refused"). [`Ops::run`] calls it for what it refuses;
    /// a front end that refuses earlier (the console's read-only or a rule checked on a
    /// key) calls it too, so the log reads the same whichever refused.
    pub fn refuse(&self, op: &Operation, t: &Subject, why: &str) {
        let record = format!("{}:{}", self.client.table(t.entity), t.sys_id);
        self.audit.refused(op.verb(), &record, &sent_inputs(op, t), why);
    }

    /// The operation with its fields and values checked against the table (the profile's
    /// mapping, else the built-in description) and choice values as the instance stores
    /// them; `Err` says what is wrong and what is valid.
    pub fn checked(&self, op: &Operation, t: &Subject) -> Result<Operation, String> {
        match op {
            Operation::Update { changed, comment } => {
                let changed = validate::changes(t.entity, &self.client.config.mapping, changed)?;
                Ok(Operation::Update { changed, comment: comment.clone() })
            }
            other => Ok(other.clone()),
        }
    }

    /// Decides, then records "sent" in the audit log and in what is in flight; the
    /// ticket's holder writes the outcome ([`flight::Flight::leave`]).
    fn begin(&self, op: &Operation, t: &Subject) -> Result<flight::Ticket, Sent> {
        if let Err(why) = rules::applies(op, t.entity, &t.record) {
            let why = format!("{}: {why}", t.label);
            self.refuse(op, t, &why);
            return Err(Sent { outcome: Outcome::NotSent(why), exit: crate::exit::USAGE });
        }
        let record = format!("{}:{}", self.client.table(t.entity), t.sys_id);
        let audit = Arc::clone(&self.audit);
        let inputs = sent_inputs(op, t);
        let ticket = self.flight.enter(&t.label, || {
            let id = audit.begin(op.verb(), &record, &inputs);
            Box::new(move |word: &str, detail: &str| audit.complete(id, word, detail))
        });
        ticket.ok_or_else(|| {
            let why = match self.flight.stopped_by() {
                Some(stop) => format!("{}: not sent, hubtop is stopping ({})", t.label, stop.words()),
                None => format!("{}: not sent, hubtop is stopping", t.label),
            };
            Sent { outcome: Outcome::NotSent(why), exit: crate::exit::FAILED }
        })
    }

    async fn perform(
        &self,
        op: &Operation,
        t: &Subject,
        follow: bool,
        progress: &impl Fn(Progress),
    ) -> Result<Outcome, Error> {
        let c = &self.client;
        match op {
            Operation::Retry | Operation::Skip => {
                let state = if *op == Operation::Retry { QueueState::Ready } else { QueueState::Skipped };
                let after = c.set_entry_state(t.entity, &t.sys_id, state.as_str()).await?;
                if !follow || state == QueueState::Skipped {
                    return Ok(Outcome::Ok(format!("state → {}", after.get("state"))));
                }
                self.follow_entry(t, progress).await
            }
            Operation::Rerun => self.rerun(t, follow, progress).await,
            Operation::WorkOrder(WorkOrderOp::Cancel) => self.cancel(t, follow, progress).await,
            Operation::WorkOrder(WorkOrderOp::Update) => self.update(t, &Map::new(), "", follow, progress).await,
            Operation::WorkOrder(WorkOrderOp::Create) => {
                let inputs = Map::from_iter([("record".to_string(), Value::String(t.sys_id.clone()))]);
                self.via_trigger(t, WorkOrderOp::Create, "create", inputs, follow, progress).await
            }
            Operation::Update { changed, comment } => self.update(t, changed, comment, follow, progress).await,
        }
    }
}

/// The audit word for an operation the instance accepted whose outcome was not
/// followed (`--no-follow`, a follow window of 0): not "ok", which would claim the
/// outcome.
pub const NOT_FOLLOWED: &str = "sent";
/// What the audit adds to the detail of an operation not followed.
pub const NOT_FOLLOWED_DETAIL: &str = "not followed: outcome unknown";

/// What an operation sends, as the audit log records it: the PATCHed fields, or the
/// trigger's inputs.
pub fn sent_inputs(op: &Operation, t: &Subject) -> Value {
    use crate::domain::state::WorkOrderState;
    let record = || Map::from_iter([("record".to_string(), Value::String(t.sys_id.clone()))]);
    match op {
        Operation::WorkOrder(WorkOrderOp::Cancel) if t.record.get("state") != WorkOrderState::Canceled.as_str() => {
            serde_json::json!({"state": WorkOrderState::Canceled.as_str()})
        }
        Operation::WorkOrder(WorkOrderOp::Cancel | WorkOrderOp::Create) => Value::Object(record()),
        Operation::WorkOrder(WorkOrderOp::Update) => {
            let mut m = record();
            m.insert("changed_fields".into(), serde_json::json!([]));
            m.insert("comment".into(), serde_json::json!(""));
            Value::Object(m)
        }
        Operation::Update { changed, comment } if changed.is_empty() && comment.trim().is_empty() => {
            sent_inputs(&Operation::WorkOrder(WorkOrderOp::Update), t)
        }
        Operation::Rerun => serde_json::json!({"execution": t.sys_id}),
        other => other.inputs(),
    }
}

/// What an error means for an operation that was attempted.
pub(super) fn outcome_of(e: &Error) -> Outcome {
    match e {
        e if e.outcome_unknown() => Outcome::Unknown(format!("{e} — check the record before sending again")),
        // The client sent nothing: the instance asked for a pause until then.
        Error::RateLimited { until: Some(_), .. } => Outcome::NotSent(e.to_string()),
        Error::Auth { .. } => Outcome::Failed(format!("{e} — check the profile's credentials")),
        // Refused before anything was sent (no provider, no subflow, no trigger).
        Error::Invalid(_) => Outcome::NotSent(e.to_string()),
        e => Outcome::Failed(e.to_string()),
    }
}
