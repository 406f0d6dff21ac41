//! Executes the app's effects on tokio tasks and sends the results back as messages.
//! Everything here may wait on the network; nothing here decides what to fetch (the
//! app's plans do) or touches the terminal.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::FutureExt;
use futures::future::BoxFuture;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::app::actions::{ActionEvent, Job};
use crate::app::detail::ExecView;
use crate::app::plans::{Answer, DetailPlan, OverviewPlan, Request};
use crate::app::{Effect, Msg};
use crate::client::read::{Delta, ListSpec, Page};
use crate::client::{Client, Error, budget};
use crate::domain::Entity;
use crate::ops::{BulkEvent, Ops, Progress};
use crate::query::{Condition, Query};

/// What the runner shares with its tasks.
#[derive(Clone)]
pub struct Runner {
    pub ops: Ops,
    pub tx: mpsc::Sender<Msg>,
    cancels: Arc<Mutex<HashMap<u64, Arc<AtomicBool>>>>,
    /// The screen the last load was for: a load of the same screen again is a poll.
    last_load: Arc<Mutex<Option<String>>>,
}

impl Runner {
    pub fn new(ops: Ops, tx: mpsc::Sender<Msg>) -> Self {
        Runner { ops, tx, cancels: Arc::default(), last_load: Arc::default() }
    }

    pub fn client(&self) -> &Arc<Client> {
        &self.ops.client
    }

    /// Whether a load of `screen` is a poll (background: it waits for room in the
    /// request budget) rather than the operator opening something (never held back).
    fn polling(&self, screen: String) -> bool {
        self.last_load.lock().replace(screen.clone()).is_some_and(|last| last == screen)
    }

    /// Starts an effect; `Copy`, `OpenUrl` and `Quit` belong to the terminal loop.
    pub fn spawn(&self, e: Effect) {
        let r = self.clone();
        match e {
            Effect::LoadWindow { entity, seq, spec, prime } => {
                self.polling(format!("list {}", entity.name()));
                tokio::spawn(async move {
                    let result = load_window(r.client(), &spec, prime).await;
                    let _ = r.tx.send(Msg::Window { entity, seq, offset: spec.offset, result }).await;
                });
            }
            Effect::Delta { entity, seq, mut delta } => {
                self.polling(format!("list {}", entity.name()));
                tokio::spawn(async move {
                    let result = budget::background(delta.poll_once(r.client())).await.map(|changed| (delta, changed));
                    let _ = r.tx.send(Msg::Delta { entity, seq, result }).await;
                });
            }
            Effect::LoadOverview { seq, plan } => {
                let bg = self.polling("overview".into());
                tokio::spawn(async move {
                    let run = execute_degraded(r.client(), &plan.requests);
                    let result = in_background(bg, run).await.map(|a| plan.assemble(a));
                    let _ = r.tx.send(Msg::Overview { seq, result }).await;
                });
            }
            Effect::LoadDetail { seq, entity, plan, sys_id } => {
                let bg = self.polling(format!("detail {} {sys_id}", entity.name()));
                tokio::spawn(async move {
                    let result = in_background(bg, load_detail(r.client(), entity, *plan)).await;
                    let _ = r.tx.send(Msg::Detail { seq, result }).await;
                });
            }
            Effect::Act(job) => {
                let flag = Arc::new(AtomicBool::new(false));
                self.cancels.lock().insert(job.id, Arc::clone(&flag));
                tokio::spawn(async move {
                    let id = job.id;
                    let cancelled = r.run_job(job, &flag).await;
                    r.cancels.lock().remove(&id);
                    let _ = r.tx.send(Msg::Action(ActionEvent::Finished { job: id, cancelled })).await;
                });
            }
            Effect::Refused(refused, why) => {
                // A file append each: off the loop that draws.
                tokio::task::spawn_blocking(move || {
                    for (op, subject) in refused {
                        r.ops.refuse(&op, &subject, &why);
                    }
                });
            }
            Effect::CancelBulk(id) => {
                if let Some(f) = self.cancels.lock().get(&id) {
                    f.store(true, Ordering::SeqCst);
                }
            }
            // The terminal loop's own: copy, open, quit, and the profile switch and fleet polls.
            Effect::Copy(_) | Effect::OpenUrl(_) | Effect::Quit => {}
            Effect::PollFleet { .. } | Effect::SwitchProfile(_) => {}
        }
    }

    /// Runs every target of a job. A bulk job is the operations layer's (bounded
    /// concurrency, retries followed together, each record audited with its final
    /// outcome); its events are relayed in order. Returns whether it was cancelled.
    pub async fn run_job(&self, job: Job, cancel: &AtomicBool) -> bool {
        let id = job.id;
        if job.is_bulk() {
            let width = self.client().config.concurrency.max(1);
            let (etx, mut erx) = mpsc::unbounded_channel::<ActionEvent>();
            let tx = self.tx.clone();
            let relay = tokio::spawn(async move {
                while let Some(ev) = erx.recv().await {
                    let _ = tx.send(Msg::Action(ev)).await;
                }
            });
            let cancelled = self
                .ops
                .run_bulk(&job.op, job.targets.clone(), width, cancel, move |ev| {
                    let _ = etx.send(match ev {
                        BulkEvent::Queued { sys_id } => ActionEvent::Queued { job: id, sys_id },
                        BulkEvent::Done { sys_id, outcome } => ActionEvent::Done { job: id, sys_id, outcome },
                    });
                })
                .await;
            let _ = relay.await;
            return cancelled;
        }
        for t in job.targets.clone() {
            if cancel.load(Ordering::SeqCst) {
                break;
            }
            let tx = self.tx.clone();
            let sys_id = t.sys_id.clone();
            let progress = move |p: Progress| match p {
                Progress::Started { execution } => {
                    let ev = ActionEvent::Started { job: id, sys_id: sys_id.clone(), execution };
                    let _ = tx.try_send(Msg::Action(ev));
                }
                Progress::Waiting { .. } => {}
            };
            let sent = self.ops.run(&job.op, &t, true, progress).await;
            let done = ActionEvent::Done { job: id, sys_id: t.sys_id.clone(), outcome: sent.outcome };
            let _ = self.tx.send(Msg::Action(done)).await;
        }
        cancel.load(Ordering::SeqCst)
    }
}

/// Routes effects: the terminal's own (copy, open, quit) to `local`, the rest to the
/// runner. The console's loop and the headless harness share it.
pub fn dispatch(runner: &Runner, effects: Vec<Effect>, mut local: impl FnMut(Effect)) {
    for e in effects {
        match e {
            Effect::Copy(_) | Effect::OpenUrl(_) | Effect::Quit => local(e),
            Effect::PollFleet { .. } | Effect::SwitchProfile(_) => local(e),
            other => runner.spawn(other),
        }
    }
}

async fn in_background<F: std::future::Future>(bg: bool, f: F) -> F::Output {
    if bg { budget::background(f).await } else { f.await }
}

/// Executes every request of a plan at once; the answers come back in its order.
pub async fn execute(c: &Client, requests: &[Request]) -> Result<Vec<Answer>, Error> {
    together(c, requests.iter().map(|r| answer(c, r)).collect()).await
}

/// As [`execute`], but a request the instance refuses (a table it cannot read) answers
/// [`Answer::Failed`] instead of failing the plan: the overview shows that panel's error
/// and keeps the rest live. A connection failure still fails it all (the header says so).
pub async fn execute_degraded(c: &Client, requests: &[Request]) -> Result<Vec<Answer>, Error> {
    let each = requests.iter().map(|r| async move {
        match answer(c, r).await {
            Err(e) if e.is_refusal() => Ok(Answer::Failed(refused(r, &e))),
            other => other,
        }
    });
    together(c, each.collect()).await
}

/// As [`execute`], for a detail: only the record's own read fails it. The execution or a
/// related pane the instance refuses answers [`Answer::Failed`] with the reason ("not
/// readable (…)"); the detail shows it in that pane, beside the record and the panes
/// that loaded. A connection failure still fails it all.
pub async fn execute_detail(c: &Client, requests: &[Request]) -> Result<Vec<Answer>, Error> {
    let each = requests.iter().map(|r| async move {
        match answer(c, r).await {
            Err(e) if e.is_refusal() && !matches!(r, Request::Record { .. }) => {
                Ok(Answer::Failed(format!("not readable ({e})")))
            }
            other => other,
        }
    });
    together(c, each.collect()).await
}

/// A refused request in words: which table, and what the instance said.
fn refused(r: &Request, e: &Error) -> String {
    let table = match r {
        Request::Count { table, .. } | Request::CountRaw { table, .. } | Request::Record { table, .. } => {
            table.as_str()
        }
        Request::List(spec) => spec.table.as_str(),
        Request::Execution { table, .. } | Request::LatestExecution { table, .. } => table.as_str(),
    };
    format!("{table}: not readable ({e})")
}

/// Independent requests at once. A poll goes as one Batch API request where the
/// instance has it (it is what the request budget and the instance's rate limits
/// count); what the operator just opened goes as concurrent requests, because an
/// instance serves a batch's items one after another (Batch API page: "not intended for
/// parallel transaction processing") and the operator is waiting.
async fn together<T, F>(c: &Client, futs: Vec<F>) -> Result<Vec<T>, Error>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    if budget::is_background() { c.batched(futs).await } else { futures::future::try_join_all(futs).await }
}

async fn answer(c: &Client, r: &Request) -> Result<Answer, Error> {
    Ok(match r {
        Request::Count { table, query, group_by } => Answer::Counts(c.count(table, query, group_by).await?),
        Request::CountRaw { table, query, group_by } => Answer::RawCounts(
            c.count_raw(table, query, &[group_by])
                .await?
                .into_iter()
                .map(|(k, raw, n)| (k.concat(), raw.concat(), n))
                .collect(),
        ),
        // Asked with its count: the count comes in the same answer.
        Request::List(spec) if !spec.no_count => {
            let page = c.list(spec).await?;
            Answer::Page { rows: page.records, total: page.total }
        }
        Request::List(spec) => Answer::Rows(c.list(spec).await?.records),
        Request::Record { table, sys_id } => Answer::Record(c.get_record(table, sys_id, &[], true).await?),
        Request::Execution { table, id } => Answer::Execution(Some(execution(c, table, id).await?)),
        Request::LatestExecution { table, source_record } => {
            let q = Query::new().and(Condition::eq("source_record", source_record)).order_desc("sys_updated_on");
            match c.find_one(table, q, &["sys_id"]).await? {
                Some(x) => Answer::Execution(Some(execution(c, table, x.sys_id()).await?)),
                None => Answer::Execution(None),
            }
        }
    })
}

/// An execution's steps from the companion API; without it, what `sys_flow_context`
/// holds and the `sys_flow_log` lines the user may read (none when it may not).
async fn execution(c: &Client, table: &str, id: &str) -> Result<ExecView, Error> {
    Ok(match c.execution_detail(id).await? {
        Some(d) => ExecView::Loaded(d),
        None => {
            let context = c.get_record(table, id, &[], true).await?;
            let mut log = ListSpec::new("sys_flow_log");
            log.query = Query::new().and(Condition::eq("context", id)).order_by("sys_created_on");
            log.fields = ["sys_created_on", "level", "message"].iter().map(|s| s.to_string()).collect();
            log.limit = 50;
            log.no_count = true;
            let lines = c.list(&log).await.map(|p| p.records).unwrap_or_default();
            ExecView::NotInstalled(context, lines)
        }
    })
}

/// Loads a detail in one round of requests; when what it was planned from turns out
/// incomplete (opened by sys_id alone) or out of date (a newer execution than the one it
/// asked), once more with the record as loaded. A pane the instance refuses shows its
/// error; only the record's own read fails the load ([`execute_detail`]).
pub async fn load_detail(
    c: &Client,
    entity: Entity,
    plan: DetailPlan,
) -> Result<crate::app::detail::DetailData, Error> {
    let answers = execute_detail(c, &plan.requests).await?;
    let current = plan.current(&answers);
    let data = plan.assemble(answers);
    if current && plan.fits(&c.config.tables, entity, &data.record) {
        return Ok(data);
    }
    let again = DetailPlan::new(&c.config.tables, entity, data.record.sys_id(), &data.record);
    Ok(again.assemble(execute_detail(c, &again.requests).await?))
}

/// One poll of a plan (background: one Batch API request where the instance has it, and
/// waiting for room in the request budget). The fleet's polls go this way.
pub async fn poll(c: &Client, requests: &[Request]) -> Result<Vec<Answer>, Error> {
    budget::background(execute(c, requests)).await
}

enum Got {
    Page(Page),
    Mark(Option<Option<String>>),
}

async fn load_window(
    client: &Client,
    spec: &ListSpec,
    prime: Option<ListSpec>,
) -> Result<(Page, Option<Delta>), Error> {
    // The first load also asks where the live delta starts: both at once.
    let newest = async {
        let Some(p) = &prime else { return Ok(None) };
        let mut newest = ListSpec::new(&p.table);
        newest.query = Query::new().order_desc("sys_updated_on");
        newest.fields = vec!["sys_updated_on".into()];
        newest.limit = 1;
        newest.no_count = true;
        Ok::<_, Error>(Some(client.list(&newest).await?.records.first().map(|r| r.get("sys_updated_on").to_string())))
    };
    let both: Vec<BoxFuture<'_, Result<Got, Error>>> =
        vec![client.list(spec).map(|p| p.map(Got::Page)).boxed(), newest.map(|m| m.map(Got::Mark)).boxed()];
    let (mut page, mut mark) = (Page::default(), None);
    for g in together(client, both).await? {
        match g {
            Got::Page(p) => page = p,
            Got::Mark(m) => mark = m,
        }
    }
    let delta = match (prime, mark) {
        (Some(mut follow), Some(mark)) => {
            follow.display = true;
            follow.limit = 200;
            Some(Delta::starting_at(follow, mark))
        }
        _ => None,
    };
    Ok((page, delta))
}

/// Loads the overview (for the benchmark and the chaos run).
pub async fn load_overview(c: &Client) -> Result<crate::app::overview::OverviewData, Error> {
    let plan = OverviewPlan::new(&c.config.tables);
    Ok(plan.assemble(execute(c, &plan.requests).await?))
}

/// A channel of the size the console uses: bounded, so a slow UI slows the fetchers
/// down instead of growing memory. A runner answers on one; the fleet has its own.
pub fn channel() -> (mpsc::Sender<Msg>, mpsc::Receiver<Msg>) {
    mpsc::channel(256)
}
