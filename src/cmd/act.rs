//! The action commands: resolve the records named, then hand each to [`crate::ops`].
//! A signal (TERM, HUP, INT) stops sending; what was sent gets up to
//! [`crate::signals::GRACE`] to answer, the rest is recorded as "unknown".
//!
//! Every action — retry and skip too — is followed for the follow window (`--follow`,
//! else the profile's `follow_secs`, else 120 s; `--no-follow` sends and reports at once,
//! and the audit records "sent", not "ok"), with progress on
//! stderr: a spinner on a terminal, a plain line per look otherwise. `--dry-run` shows
//! what would be sent and sends nothing.
//!
//! A command over several records exits with the most severe of their outcomes
//! ([`exit::SEVERITY`]), and says how many ended each way.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::cli::{ActArgs, Command};
use crate::client::{Client, Error};
use crate::domain::{Entity, Operation, WorkOrderOp};
use crate::exit;
use crate::ops::{Ops, Outcome, Progress, Subject};

/// The follow window when neither the flag nor the profile says.
pub const DEFAULT_FOLLOW: Duration = Duration::from_secs(120);

/// What a refused command was for, as the audit log records it: the verb, each record as
/// named on the command line, and the inputs that would have been sent (an update's
/// fields and comment).
pub fn refused_lines(cmd: &Command) -> Vec<(&'static str, String, Value)> {
    let one = |verb: &'static str, id: &str, inputs: Value| vec![(verb, id.to_string(), inputs)];
    match cmd {
        Command::Retry { ids, .. } => ids.iter().map(|i| ("retry", i.clone(), Operation::Retry.inputs())).collect(),
        Command::Skip { ids, .. } => ids.iter().map(|i| ("skip", i.clone(), Operation::Skip.inputs())).collect(),
        Command::Rerun { execution, .. } => one("rerun", execution, serde_json::json!({"execution": execution})),
        Command::Create { number, .. } => one("create", number, serde_json::json!({})),
        Command::Cancel { number, .. } => one("cancel", number, serde_json::json!({})),
        Command::Update { number, comment, set, .. } => {
            let fields: Map<String, Value> = set
                .iter()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), Value::String(v.to_string())))
                .collect();
            let op = Operation::Update { changed: fields, comment: comment.clone().unwrap_or_default() };
            one("update", number, op.inputs())
        }
        _ => Vec::new(),
    }
}

/// Whether `cmd` acts on more than one record without `--yes` (nor `--dry-run`): on a
/// production profile it is refused, as the console asks for the count typed.
pub fn unconfirmed_bulk(cmd: &Command) -> bool {
    let a = act_args(cmd);
    !a.yes && !a.dry_run && refused_lines(cmd).len() > 1
}

/// A dry run whose command, sent, would be refused as [`unconfirmed_bulk`].
pub fn unconfirmed_bulk_if_sent(cmd: &Command) -> bool {
    let a = act_args(cmd);
    a.dry_run && !a.yes && refused_lines(cmd).len() > 1
}

/// The acting flags of a command.
fn act_args(cmd: &Command) -> ActArgs {
    match cmd {
        Command::Retry { act, .. }
        | Command::Skip { act, .. }
        | Command::Rerun { act, .. }
        | Command::Create { act, .. }
        | Command::Update { act, .. }
        | Command::Cancel { act, .. } => act.clone(),
        _ => ActArgs::default(),
    }
}

/// `profile_follow`: the profile's `follow_secs`.
pub async fn act(mut ops: Ops, cmd: Command, profile_follow: Option<Duration>) -> u8 {
    let a = act_args(&cmd);
    ops.follow_timeout = match (a.no_follow, a.follow) {
        (true, _) => Duration::ZERO,
        (false, Some(d)) => d,
        (false, None) => profile_follow.unwrap_or(DEFAULT_FOLLOW),
    };
    // Every action is followed to its outcome (a retry: until the queue processed the
    // entry or it failed again) unless --no-follow.
    let no_follow = a.no_follow || ops.follow_timeout.is_zero();
    let run = Run { ops, dry_run: a.dry_run, no_follow };
    let ops = run.ops.clone();
    let mut signals = crate::signals::Signals::install();
    let dry = run.dry_run;
    let work = act_unsignalled(&run, cmd);
    tokio::pin!(work);
    let signal = tokio::select! {
        code = &mut work => {
            // Once for the whole command, however many records it named.
            if dry {
                eprintln!("hubtop: dry run: nothing was sent");
            }
            return code;
        }
        s = signals.next() => s,
    };
    ops.flight.stop(crate::ops::flight::Stop::Signal(signal));
    let deadline = tokio::time::Instant::now() + crate::signals::GRACE;
    // The command stops sending by itself; what it sent may still answer. A second
    // signal ends the wait.
    tokio::select! {
        _ = tokio::time::timeout_at(deadline, &mut work) => {}
        _ = signals.next() => {}
    }
    let gone = ops.flight.abandon(crate::ops::flight::Stop::Signal(signal));
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

/// One command's operations and how they are sent.
struct Run {
    ops: Ops,
    dry_run: bool,
    /// `--no-follow`: sent and reported at once; the audit records "sent".
    no_follow: bool,
}

async fn act_unsignalled(run: &Run, cmd: Command) -> u8 {
    let ops = &run.ops;
    match cmd {
        Command::Retry { ids, .. } => entries(run, &ids, Operation::Retry).await,
        Command::Skip { ids, .. } => entries(run, &ids, Operation::Skip).await,
        Command::Rerun { execution, .. } => match execution_target(&ops.client, &execution).await {
            Ok(t) => send(run, &Operation::Rerun, &t).await,
            // The instance's own words for a missing record (`No Record found: Record
            // doesn't exist or ACL restricts…`) say what `get` says.
            Err(Error::NotFound(_)) => {
                eprintln!(
                    "hubtop: no execution {execution} (by sys_id), or an ACL hides it from this user; list them with: \
                     hubtop get executions --state ERROR"
                );
                exit::NOT_FOUND
            }
            Err(e) => fail(&e),
        },
        Command::Create { number, .. } => work_order(run, &number, Operation::WorkOrder(WorkOrderOp::Create)).await,
        Command::Cancel { number, .. } => work_order(run, &number, Operation::WorkOrder(WorkOrderOp::Cancel)).await,
        Command::Update { number, comment, set, .. } => {
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
            work_order(run, &number, Operation::Update { changed, comment: comment.unwrap_or_default() }).await
        }
        _ => exit::USAGE,
    }
}

/// `--dry-run`: what would be sent, on stdout, or the refusal the real command would
/// give (its reason and exit code); nothing is sent. The command says "dry run: nothing
/// was sent" once, at its end.
async fn dry_run(ops: &Ops, op: &Operation, t: &Subject) -> u8 {
    match ops.preview(op, t).await {
        Ok(plan) => {
            for p in plan {
                println!("would send: {p}");
            }
            exit::OK
        }
        Err((code, why)) => {
            eprintln!("hubtop: refused: {why}");
            code
        }
    }
}

/// Progress on stderr while an action is followed: a spinner redrawn in place on a
/// terminal, one plain line per look otherwise.
struct Reporter {
    tty: bool,
    /// What is waited for, the window, and when the follow began.
    now: Arc<Mutex<Option<(String, Duration, tokio::time::Instant)>>>,
    spinner: Option<tokio::task::JoinHandle<()>>,
}

impl Reporter {
    fn new() -> Reporter {
        let tty = std::io::stderr().is_terminal();
        let now: Arc<Mutex<Option<(String, Duration, tokio::time::Instant)>>> = Arc::default();
        let spinner = tty.then(|| {
            let now = Arc::clone(&now);
            tokio::spawn(async move {
                const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
                let mut i = 0;
                loop {
                    tokio::time::sleep(Duration::from_millis(120)).await;
                    if let Some((what, window, since)) = now.lock().clone() {
                        let secs = since.elapsed().as_secs();
                        let line =
                            format!("{} waiting for {what} — {secs} s of {} s", FRAMES[i % 10], window.as_secs());
                        // One terminal line, so that it is redrawn in place.
                        let width = crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w.max(2)));
                        let line: String = line.chars().take(width - 1).collect();
                        eprint!("\r\x1b[2K{line}");
                        let _ = std::io::stderr().flush();
                        i += 1;
                    }
                }
            })
        });
        Reporter { tty, now, spinner }
    }

    fn progress(&self, p: Progress) {
        match p {
            Progress::Started { execution } => {
                self.clear();
                println!("execution {execution} started");
            }
            Progress::Waiting { what, elapsed, window, looks } => {
                if self.tty {
                    let since = tokio::time::Instant::now() - elapsed;
                    *self.now.lock() = Some((what, window, since));
                } else {
                    eprintln!(
                        "hubtop: waiting for {what}: {:.1} s of {} s, {looks} look{}",
                        elapsed.as_secs_f64(),
                        window.as_secs(),
                        if looks == 1 { "" } else { "s" }
                    );
                }
            }
        }
    }

    fn clear(&self) {
        if self.tty && self.now.lock().take().is_some() {
            eprint!("\r\x1b[2K");
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if let Some(s) = self.spinner.take() {
            s.abort();
        }
        self.clear();
    }
}

fn fail(e: &Error) -> u8 {
    eprintln!("hubtop: {e}");
    e.exit_code()
}

/// Sends one operation and prints its outcome; a refusal goes to stderr, like any error.
async fn send(run: &Run, op: &Operation, t: &Subject) -> u8 {
    let ops = &run.ops;
    if run.dry_run {
        return dry_run(ops, op, t).await;
    }
    if run.no_follow {
        return send_unfollowed(ops, op, t).await;
    }
    let reporter = Reporter::new();
    let sent = ops.run(op, t, true, |p| reporter.progress(p)).await;
    drop(reporter);
    match &sent.outcome {
        // Named, so a line of several (`retry A B C`) says whose it is.
        // Queued again and not processed within the window: exit 6, like any unknown.
        o if o.is_waiting() => eprintln!("hubtop: {}: outcome unknown — {}", t.label, o.text()),
        // A skip is done once accepted: the state it left and the one it is in.
        Outcome::Ok(s) if *op == Operation::Skip => {
            println!("{}: {} → {}", t.label, t.record.get("state"), s.trim_start_matches("state → "))
        }
        Outcome::Ok(s) | Outcome::Failed(s) if s.contains(&t.label) => println!("{s}"),
        Outcome::Ok(s) | Outcome::Failed(s) => println!("{}: {s}", t.label),
        Outcome::Unknown(s) => eprintln!("hubtop: {}: outcome unknown — {s}", t.label),
        Outcome::NotSent(s) => eprintln!("hubtop: refused: {s}; nothing was sent"),
    }
    sent.exit
}

async fn entries(run: &Run, ids: &[String], op: Operation) -> u8 {
    let ops = &run.ops;
    if ids.is_empty() {
        eprintln!("hubtop: give at least one entry (sys_id or number)");
        return exit::USAGE;
    }
    let mut code = exit::OK;
    let ok = match (run.dry_run, run.no_follow) {
        (true, _) => "would be sent",
        (false, true) => "sent (not followed)",
        (false, false) => "done",
    };
    let mut tally = Tally { ok, counts: Default::default() };
    for (i, id) in ids.iter().enumerate() {
        if ops.flight.is_stopping() {
            eprintln!("hubtop: stopping: {} not sent: {}", ids.len() - i, ids[i..].join(" "));
            break;
        }
        let c = match ops.client.find_entry(id).await {
            Ok((e, r)) if run.dry_run => dry_run(ops, &op, &Subject::new(e, &r)).await,
            Ok((e, r)) => send(run, &op, &Subject::new(e, &r)).await,
            Err(Error::NotFound(_)) => {
                eprintln!("hubtop: no outbound or inbound entry {id} (by number or sys_id); nothing was sent for it");
                exit::NOT_FOUND
            }
            Err(e) => {
                eprintln!("hubtop: {id}: {e}");
                e.exit_code()
            }
        };
        tally.add(c);
        code = exit::worst(code, c);
    }
    if ids.len() > 1 {
        eprintln!("hubtop: {} of {} entries: {}; exit {code} (the most severe)", op.verb(), ids.len(), tally.words());
    }
    code
}

/// How many records of a command ended each way, by exit code, in the order of severity.
struct Tally {
    /// What exit 0 means for this command: done, sent (not followed), would be sent.
    ok: &'static str,
    counts: std::collections::BTreeMap<u8, usize>,
}

impl Tally {
    fn add(&mut self, code: u8) {
        *self.counts.entry(code).or_default() += 1;
    }

    /// "1 failed, 1 not found, 1 done".
    fn words(&self) -> String {
        let word = |c: u8| match c {
            exit::OK => self.ok,
            exit::FAILED => "failed",
            exit::USAGE => "refused",
            exit::AUTH => "authentication failed",
            exit::UNREACHABLE => "unreachable",
            exit::FORBIDDEN => "not permitted",
            exit::UNKNOWN => "outcome unknown",
            exit::NOT_FOUND => "not found",
            _ => "stopped",
        };
        let mut codes: Vec<u8> = self.counts.keys().copied().collect();
        codes.sort_by_key(|c| exit::SEVERITY.iter().position(|s| s == c).unwrap_or(0));
        codes.iter().map(|c| format!("{} {}", self.counts[c], word(*c))).collect::<Vec<_>>().join(", ")
    }
}

/// `--no-follow`: sent, and reported as soon as the instance accepted it; what came of
/// it is not known (the audit records "sent", never "ok").
async fn send_unfollowed(ops: &Ops, op: &Operation, t: &Subject) -> u8 {
    let sent = ops.run(op, t, false, |_| {}).await;
    match &sent.outcome {
        // A skip is done once accepted: skipped is where the entry stays.
        Outcome::Ok(s) if *op == Operation::Skip => {
            println!("{}: {} → {}", t.label, t.record.get("state"), s.trim_start_matches("state → "))
        }
        Outcome::Ok(s) if matches!(op, Operation::Retry) => println!(
            "{}: {} → {} (sent, not followed: outcome unknown; see it with `hubtop get {} {}`)",
            t.label,
            t.record.get("state"),
            s.trim_start_matches("state → "),
            t.entity.name(),
            t.label
        ),
        Outcome::Ok(s) => println!("{}: {s} (sent, not followed: outcome unknown)", t.label),
        Outcome::Failed(s) => eprintln!("hubtop: {}: {s}", t.label),
        Outcome::Unknown(s) => eprintln!("hubtop: {}: outcome unknown — {s}", t.label),
        Outcome::NotSent(s) => eprintln!("hubtop: refused: {s}; nothing was sent"),
    }
    sent.exit
}

async fn work_order(run: &Run, number: &str, op: Operation) -> u8 {
    match run.ops.client.work_order(number).await {
        Ok(wo) => send(run, &op, &Subject::new(Entity::WorkOrders, &wo)).await,
        Err(e) => fail(&e),
    }
}

async fn execution_target(c: &Client, id: &str) -> Result<Subject, Error> {
    let fields = Entity::Executions.list_fields();
    let r = c.get_record(c.table(Entity::Executions), id, fields, false).await?;
    Ok(Subject::new(Entity::Executions, &r))
}
