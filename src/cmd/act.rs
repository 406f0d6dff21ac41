//! The action commands: resolve the records named, then hand each to [`crate::ops`].
//! A signal (TERM, HUP, INT) stops sending; what was sent gets up to
//! [`crate::signals::GRACE`] to answer, the rest is recorded as "unknown".

use serde_json::{Map, Value};

use crate::cli::Command;
use crate::client::{Client, Error};
use crate::domain::{Entity, Operation, WorkOrderOp};
use crate::exit;
use crate::ops::{Ops, Outcome, Progress, Subject};

pub async fn act(ops: Ops, cmd: Command) -> u8 {
    let mut signals = crate::signals::Signals::install();
    let work = act_unsignalled(&ops, cmd);
    tokio::pin!(work);
    let signal = tokio::select! {
        code = &mut work => return code,
        s = signals.next() => s,
    };
    ops.flight.stop();
    let deadline = tokio::time::Instant::now() + crate::signals::GRACE;
    // The command stops sending by itself; what it sent may still answer. A second
    // signal ends the wait.
    tokio::select! {
        _ = tokio::time::timeout_at(deadline, &mut work) => {}
        _ = signals.next() => {}
    }
    let gone = ops.flight.abandon();
    if gone.labels.is_empty() {
        eprintln!("hubtop: stopped by {}; nothing was left in flight", signal.name());
    } else {
        eprintln!(
            "hubtop: stopped by {}: outcome unknown for {} (recorded in the audit log) — check before sending again",
            signal.name(),
            gone.labels.join(", ")
        );
    }
    signal.exit_code()
}

async fn act_unsignalled(ops: &Ops, cmd: Command) -> u8 {
    let ops = ops.clone();
    match cmd {
        Command::Retry { ids } => entries(&ops, &ids, Operation::Retry).await,
        Command::Skip { ids } => entries(&ops, &ids, Operation::Skip).await,
        Command::Rerun { execution } => match execution_target(&ops.client, &execution).await {
            Ok(t) => send(&ops, &Operation::Rerun, &t).await,
            Err(e) => fail(&e),
        },
        Command::Create { number } => work_order(&ops, &number, Operation::WorkOrder(WorkOrderOp::Create)).await,
        Command::Cancel { number } => work_order(&ops, &number, Operation::WorkOrder(WorkOrderOp::Cancel)).await,
        Command::Update { number, comment, set } => {
            let mut changed = Map::new();
            for kv in &set {
                let Some((k, v)) = kv.split_once('=') else {
                    eprintln!("hubtop: --set takes FIELD=VALUE (got `{kv}`)");
                    return exit::USAGE;
                };
                changed.insert(k.trim().to_string(), Value::String(v.to_string()));
            }
            if changed.is_empty() && comment.is_none() {
                eprintln!("hubtop: update needs --set FIELD=VALUE or --comment TEXT");
                return exit::USAGE;
            }
            work_order(&ops, &number, Operation::Update { changed, comment: comment.unwrap_or_default() }).await
        }
        _ => exit::USAGE,
    }
}

fn fail(e: &Error) -> u8 {
    eprintln!("hubtop: {e}");
    e.exit_code()
}

/// Sends one operation and prints its outcome; a refusal goes to stderr, like any error.
async fn send(ops: &Ops, op: &Operation, t: &Subject) -> u8 {
    let sent = ops
        .run(op, t, true, |p| match p {
            Progress::Started { execution } => println!("execution {execution} started"),
        })
        .await;
    match &sent.outcome {
        Outcome::Ok(s) | Outcome::Failed(s) => println!("{s}"),
        Outcome::Unknown(s) => eprintln!("hubtop: {}: outcome unknown — {s}", t.label),
        Outcome::NotSent(s) => eprintln!("hubtop: refused: {s}; nothing was sent"),
    }
    sent.exit
}

async fn entries(ops: &Ops, ids: &[String], op: Operation) -> u8 {
    if ids.is_empty() {
        eprintln!("hubtop: give at least one entry (sys_id or number)");
        return exit::USAGE;
    }
    let mut code = exit::OK;
    for (i, id) in ids.iter().enumerate() {
        if ops.flight.is_stopping() {
            eprintln!("hubtop: stopping: {} not sent: {}", ids.len() - i, ids[i..].join(" "));
            break;
        }
        let c = match ops.client.find_entry(id).await {
            // A retry is followed by the console; here it is sent and reported at once.
            Ok((e, r)) => send_unfollowed(ops, &op, &Subject::new(e, &r)).await,
            Err(e) => {
                eprintln!("hubtop: {id}: {e}");
                e.exit_code()
            }
        };
        code = code.max(c);
    }
    code
}

async fn send_unfollowed(ops: &Ops, op: &Operation, t: &Subject) -> u8 {
    let sent = ops.run(op, t, false, |_| {}).await;
    match &sent.outcome {
        Outcome::Ok(s) => println!("{}: {} → {}", t.label, t.record.get("state"), s.trim_start_matches("state → ")),
        Outcome::Failed(s) => eprintln!("hubtop: {}: {s}", t.label),
        Outcome::Unknown(s) => eprintln!("hubtop: {}: outcome unknown — {s}", t.label),
        Outcome::NotSent(s) => eprintln!("hubtop: refused: {s}; nothing was sent"),
    }
    sent.exit
}

async fn work_order(ops: &Ops, number: &str, op: Operation) -> u8 {
    match ops.client.work_order(number).await {
        Ok(wo) => send(ops, &op, &Subject::new(Entity::WorkOrders, &wo)).await,
        Err(e) => fail(&e),
    }
}

async fn execution_target(c: &Client, id: &str) -> Result<Subject, Error> {
    let fields = Entity::Executions.list_fields();
    let r = c.get_record(c.table(Entity::Executions), id, fields, false).await?;
    Ok(Subject::new(Entity::Executions, &r))
}
