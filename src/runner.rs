//! Executes the app's effects on tokio tasks and sends the results back as messages.
//! Everything here may wait on the network; nothing here touches the terminal.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::app::actions::{ActionEvent, Job, Kind, Outcome, Target};
use crate::app::detail::{DetailData, ExecView, Related};
use crate::app::overview::OverviewData;
use crate::app::{Effect, Msg};
use crate::audit::Audit;
use crate::client::actions::WorkOrderOp;
use crate::client::read::{Delta, ListSpec};
use crate::client::{Client, Entity, Error, Record};
use crate::query::{Condition, Query};

/// What the runner shares with its tasks.
#[derive(Clone)]
pub struct Runner {
    pub client: Arc<Client>,
    pub tx: mpsc::Sender<Msg>,
    pub audit: Arc<Audit>,
    cancels: Arc<Mutex<HashMap<u64, Arc<AtomicBool>>>>,
    /// How long a single action follows its execution or entry.
    pub follow_timeout: Duration,
}

impl Runner {
    pub fn new(client: Arc<Client>, tx: mpsc::Sender<Msg>, audit: Arc<Audit>) -> Self {
        Runner { client, tx, audit, cancels: Arc::default(), follow_timeout: Duration::from_secs(120) }
    }

    /// Starts an effect; `Copy`, `OpenUrl` and `Quit` belong to the terminal loop.
    pub fn spawn(&self, e: Effect) {
        let r = self.clone();
        match e {
            Effect::LoadWindow { entity, seq, spec, prime } => {
                tokio::spawn(async move {
                    let result = load_window(&r.client, &spec, prime).await;
                    let _ = r.tx.send(Msg::Window { entity, seq, offset: spec.offset, result }).await;
                });
            }
            Effect::Delta { entity, seq, mut delta } => {
                tokio::spawn(async move {
                    let result = delta.poll(&r.client).await.map(|changed| (delta, changed));
                    let _ = r.tx.send(Msg::Delta { entity, seq, result }).await;
                });
            }
            Effect::LoadOverview { seq } => {
                tokio::spawn(async move {
                    let result = load_overview(&r.client).await;
                    let _ = r.tx.send(Msg::Overview { seq, result }).await;
                });
            }
            Effect::LoadDetail { seq, entity, sys_id } => {
                tokio::spawn(async move {
                    let result = load_detail(&r.client, entity, &sys_id).await;
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
            Effect::CancelBulk(id) => {
                if let Some(f) = self.cancels.lock().get(&id) {
                    f.store(true, Ordering::SeqCst);
                }
            }
            Effect::Copy(_) | Effect::OpenUrl(_) | Effect::Quit => {}
        }
    }

    /// Runs every target of a job; bulk jobs keep up to the client's concurrency in
    /// flight (the client paces them). Returns whether it was cancelled.
    pub async fn run_job(&self, job: Job, cancel: &AtomicBool) -> bool {
        let bulk = job.is_bulk();
        let width = if bulk { self.client.config.concurrency.max(1) } else { 1 };
        let sem = Arc::new(tokio::sync::Semaphore::new(width));
        let mut tasks = tokio::task::JoinSet::new();
        for t in job.targets.clone() {
            let permit = Arc::clone(&sem).acquire_owned().await.expect("semaphore open");
            if cancel.load(Ordering::SeqCst) {
                break;
            }
            let r = self.clone();
            let kind = job.kind.clone();
            let id = job.id;
            tasks.spawn(async move {
                let outcome = r.run_target(id, &kind, &t, !bulk).await;
                drop(permit);
                let _ = r.tx.send(Msg::Action(ActionEvent::Done { job: id, sys_id: t.sys_id.clone(), outcome })).await;
            });
        }
        while tasks.join_next().await.is_some() {}
        cancel.load(Ordering::SeqCst)
    }

    async fn run_target(&self, job: u64, kind: &Kind, t: &Target, follow: bool) -> Outcome {
        let inputs = match kind {
            Kind::Update { changed, comment } => json!({"changed_fields": changed, "comment": comment}),
            Kind::Retry => json!({"state": "ready"}),
            Kind::Skip => json!({"state": "skipped"}),
            _ => json!({}),
        };
        let audit_id = self.audit.begin(kind.verb(), &format!("{}:{}", self.client.table(t.entity), t.sys_id), &inputs);
        let outcome = self.perform(job, kind, t, follow).await;
        let (word, text) = match &outcome {
            Outcome::Ok(s) => ("ok", s),
            Outcome::Failed(s) => ("failed", s),
            Outcome::Unknown(s) => ("unknown", s),
            Outcome::NotSent(s) => ("not_sent", s),
        };
        self.audit.complete(audit_id, word, text);
        outcome
    }

    async fn perform(&self, job: u64, kind: &Kind, t: &Target, follow: bool) -> Outcome {
        let c = &self.client;
        let result: Result<Outcome, Error> = async {
            match kind {
                Kind::Retry | Kind::Skip => {
                    let state = if *kind == Kind::Retry { "ready" } else { "skipped" };
                    let after = c.set_entry_state(t.entity, &t.sys_id, state).await?;
                    if !follow || state == "skipped" {
                        return Ok(Outcome::Ok(format!("state → {}", after.get("state"))));
                    }
                    self.follow_entry(t).await
                }
                Kind::Rerun => {
                    let exec = c.rerun(&t.sys_id).await?;
                    self.follow_exec(job, t, &exec, follow).await
                }
                Kind::WorkOrder(op) => {
                    let exec = c.start_work_order_op(&t.record, *op, &serde_json::Map::new(), None).await?;
                    self.follow_exec(job, t, &exec, follow).await
                }
                Kind::Update { changed, comment } => {
                    let exec = c.start_work_order_op(&t.record, WorkOrderOp::Update, changed, Some(comment)).await?;
                    self.follow_exec(job, t, &exec, follow).await
                }
            }
        }
        .await;
        match result {
            Ok(o) => o,
            Err(Error::OutcomeUnknown(m)) => Outcome::Unknown(format!("{m} — check the record before sending again")),
            Err(e @ Error::Auth { .. }) => Outcome::Failed(format!("{e} — check the profile's credentials")),
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    async fn follow_exec(&self, job: u64, t: &Target, exec: &str, follow: bool) -> Result<Outcome, Error> {
        let _ = self
            .tx
            .send(Msg::Action(ActionEvent::Started { job, sys_id: t.sys_id.clone(), execution: exec.to_string() }))
            .await;
        if !follow {
            return Ok(Outcome::Ok(format!("execution {exec} started")));
        }
        let st = self.client.follow(exec, self.follow_timeout, |_| {}).await?;
        let summary = st.summary();
        Ok(if st.succeeded() { Outcome::Ok(summary) } else { Outcome::Failed(summary) })
    }

    /// After a retry, waits for the instance's flows to process the entry again.
    async fn follow_entry(&self, t: &Target) -> Result<Outcome, Error> {
        let table = self.client.table(t.entity).to_string();
        let deadline = tokio::time::Instant::now() + self.follow_timeout;
        let fields = ["state", "last_error", "error", "response_code", "attempts"];
        loop {
            tokio::time::sleep(Duration::from_millis(700)).await;
            let r = self.client.get_record(&table, &t.sys_id, &fields, false).await?;
            match r.get("state") {
                "ready" | "processing" if tokio::time::Instant::now() < deadline => continue,
                "ready" | "processing" => {
                    return Ok(Outcome::Ok("queued again; the instance has not processed it yet".into()));
                }
                "processed" => {
                    let code = r.get("response_code");
                    return Ok(Outcome::Ok(if code.is_empty() {
                        "processed".into()
                    } else {
                        format!("processed (HTTP {code})")
                    }));
                }
                s => {
                    let err = if r.get("last_error").is_empty() { r.get("error") } else { r.get("last_error") };
                    return Ok(Outcome::Failed(crate::client::actions::advise(&format!("{s}: {err}"))));
                }
            }
        }
    }
}

async fn load_window(
    client: &Client,
    spec: &ListSpec,
    prime: Option<ListSpec>,
) -> Result<(crate::client::read::Page, Option<Delta>), Error> {
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
    let (page, mark) = tokio::try_join!(client.list(spec), newest)?;
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

fn pairs(groups: Vec<(Vec<String>, u64)>) -> Vec<(String, u64)> {
    groups.into_iter().map(|(k, n)| (k.into_iter().next().unwrap_or_default(), n)).collect()
}

pub async fn load_overview(c: &Client) -> Result<OverviewData, Error> {
    let t = |e| c.table(e);
    let none = Query::new();
    let errors = Query::new().and(Condition::eq("state", "error"));
    let mut providers = ListSpec::new(t(Entity::Providers));
    providers.fields = Entity::Providers.list_fields().iter().map(|s| s.to_string()).collect();
    providers.limit = 100;
    providers.display = true;
    providers.query = Query::new().order_by("title");
    let mut recent = ListSpec::new(t(Entity::History));
    recent.fields =
        ["sys_id", "provider", "status", "duration_ms", "response_code"].iter().map(|s| s.to_string()).collect();
    recent.limit = 300;
    recent.no_count = true;
    recent.query = Query::new().order_desc("sys_created_on");
    let (ob, ib, ex, wo, byp, prov, rec, msgs) = tokio::try_join!(
        c.count(t(Entity::Outbound), &none, &["state"]),
        c.count(t(Entity::Inbound), &none, &["state"]),
        c.count(t(Entity::Executions), &none, &["state"]),
        c.count(t(Entity::WorkOrders), &none, &["integration_state"]),
        c.count(t(Entity::Outbound), &none, &["provider", "state"]),
        c.list(&providers),
        c.list(&recent),
        c.count(t(Entity::Outbound), &errors, &["last_error"]),
    )?;
    Ok(OverviewData {
        counts: vec![
            ("Outbound", pairs(ob)),
            ("Inbound", pairs(ib)),
            ("Executions", pairs(ex)),
            ("Work orders", pairs(wo)),
        ],
        providers: prov.records,
        by_provider: byp
            .into_iter()
            .map(|(k, n)| (k.first().cloned().unwrap_or_default(), k.get(1).cloned().unwrap_or_default(), n))
            .collect(),
        recent: rec.records,
        error_messages: pairs(msgs),
    })
}

async fn related(c: &Client, e: Entity, label: &str, q: Query, limit: usize) -> Result<Related, Error> {
    let mut spec = ListSpec::new(c.table(e));
    spec.query = q;
    spec.fields = e.list_fields().iter().map(|s| s.to_string()).collect();
    spec.limit = limit;
    spec.no_count = true;
    spec.display = true;
    Ok(Related { entity: e, label: label.to_string(), rows: c.list(&spec).await?.records })
}

pub async fn load_detail(c: &Client, entity: Entity, sys_id: &str) -> Result<DetailData, Error> {
    let record = c.get_record(c.table(entity), sys_id, &[], true).await?;
    let newest = |q: Query| q.order_desc("sys_updated_on");
    // The execution behind the record.
    let exec_id: Option<String> = match entity {
        Entity::Executions => Some(sys_id.to_string()),
        Entity::Outbound | Entity::Inbound | Entity::History => {
            Some(record.get("flow_context").to_string()).filter(|s| !s.is_empty())
        }
        Entity::WorkOrders => {
            let q = newest(Query::new().and(Condition::eq("source_record", sys_id)));
            c.find_one(c.table(Entity::Executions), q, &["sys_id"]).await?.map(|r| r.sys_id().to_string())
        }
        _ => None,
    };
    let exec = match exec_id {
        None => None,
        Some(id) => Some(match c.execution_detail(&id).await? {
            Some(d) => ExecView::Loaded(d),
            None => ExecView::NotInstalled(c.get_record(c.table(Entity::Executions), &id, &[], true).await?),
        }),
    };
    let mut rel = Vec::new();
    match entity {
        Entity::WorkOrders => {
            rel.push(
                related(
                    c,
                    Entity::Outbound,
                    "Outbound",
                    newest(Query::new().and(Condition::eq("document_id", sys_id))),
                    20,
                )
                .await?,
            );
            rel.push(
                related(
                    c,
                    Entity::History,
                    "Sync history",
                    newest(Query::new().and(Condition::eq("task", sys_id))),
                    20,
                )
                .await?,
            );
        }
        Entity::Outbound | Entity::Inbound => {
            let doc = record.get("document_id");
            if !doc.is_empty() {
                rel.push(
                    related(
                        c,
                        Entity::History,
                        "Sync history of the record",
                        newest(Query::new().and(Condition::eq("task", doc))),
                        20,
                    )
                    .await?,
                );
                rel.push(
                    related(c, Entity::WorkOrders, "Work order", Query::new().and(Condition::eq("sys_id", doc)), 1)
                        .await?,
                );
            }
        }
        Entity::History => {
            let task = record.get("task");
            if !task.is_empty() {
                rel.push(
                    related(
                        c,
                        Entity::History,
                        "Sync history of the record",
                        newest(Query::new().and(Condition::eq("task", task))),
                        20,
                    )
                    .await?,
                );
            }
        }
        Entity::Executions => {
            let src = record.get("source_record");
            if !src.is_empty() {
                rel.push(
                    related(c, Entity::WorkOrders, "Source record", Query::new().and(Condition::eq("sys_id", src)), 1)
                        .await?,
                );
            }
        }
        Entity::Providers => {
            let q = newest(Query::new().and(Condition::eq("provider", sys_id)).and(Condition::eq("state", "error")));
            rel.push(related(c, Entity::Outbound, "Outbound in error", q, 20).await?);
            rel.push(
                related(
                    c,
                    Entity::History,
                    "Sync history",
                    newest(Query::new().and(Condition::eq("provider", sys_id))),
                    20,
                )
                .await?,
            );
        }
        Entity::Flows => {}
    }
    if let Some(ExecView::Loaded(x)) = &exec
        && x.execution.fields.is_empty()
    {
        tracing::debug!("execution detail without execution record");
    }
    Ok(DetailData { record, exec, related: rel })
}

/// Record helper for tests and the chaos run.
pub fn record_of(v: &Value) -> Record {
    Record::from_json(v).unwrap_or_default()
}
