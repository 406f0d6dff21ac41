//! Operator actions: retry, skip, cancel, create, update, rerun — single or bulk.
//!
//! An action is a [`Job`] over one or more targets. Destructive or bulk work is
//! previewed first (exactly what will be sent, to how many records); a production
//! profile asks for the count to be typed. The runner executes jobs, writes the audit
//! log, and reports [`ActionEvent`]s; this module only keeps the state.

use std::collections::BTreeMap;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::{Map, Value};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::keys::Action;
use super::{App, Effect, Level, Screen, ViewKind};
use crate::client::actions::WorkOrderOp;
use crate::client::{Entity, Record};

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Queue entry → state ready.
    Retry,
    /// Queue entry → state skipped.
    Skip,
    /// A failed execution: its flow again with the recorded inputs.
    Rerun,
    /// A provider subflow for a work order.
    WorkOrder(WorkOrderOp),
    /// The update subflow with changed fields and a comment.
    Update { changed: Map<String, Value>, comment: String },
}

impl Kind {
    pub fn verb(&self) -> &'static str {
        match self {
            Kind::Retry => "retry",
            Kind::Skip => "skip",
            Kind::Rerun => "rerun",
            Kind::WorkOrder(op) => op.verb(),
            Kind::Update { .. } => "update",
        }
    }

    /// What is sent, in one line, for the preview.
    pub fn wire(&self, e: Entity) -> String {
        match self {
            Kind::Retry => format!("PATCH {} state=ready", e.label().to_lowercase()),
            Kind::Skip => format!("PATCH {} state=skipped", e.label().to_lowercase()),
            Kind::Rerun => "POST flow run with the execution's recorded inputs".into(),
            Kind::WorkOrder(op) => format!("POST the provider's {} subflow, inputs: record", op.verb()),
            Kind::Update { changed, comment } => {
                format!(
                    "POST the provider's update subflow, changed fields {}, comment {:?}",
                    Value::Object(changed.clone()),
                    comment
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub entity: Entity,
    pub sys_id: String,
    pub label: String,
    pub record: Record,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: u64,
    pub kind: Kind,
    pub targets: Vec<Target>,
}

impl Job {
    pub fn is_bulk(&self) -> bool {
        self.targets.len() > 1
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Ok(String),
    Failed(String),
    /// The request may or may not have acted: never retried automatically.
    Unknown(String),
    /// Not sent (cancelled before its turn, or refused locally).
    NotSent(String),
}

impl Outcome {
    pub fn text(&self) -> &str {
        match self {
            Outcome::Ok(s) | Outcome::Failed(s) | Outcome::Unknown(s) | Outcome::NotSent(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActionEvent {
    /// A flow execution started for a target.
    Started {
        job: u64,
        sys_id: String,
        execution: String,
    },
    Done {
        job: u64,
        sys_id: String,
        outcome: Outcome,
    },
    /// All targets are done (or the job was cancelled).
    Finished {
        job: u64,
        cancelled: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Confirm {
    pub job: Job,
    pub title: String,
    pub lines: Vec<String>,
    /// For bulk work on a production profile: the count must be typed.
    pub typed: Option<Input>,
}

#[derive(Debug, Clone)]
pub struct UpdateForm {
    pub target: Target,
    /// (field, original, input).
    pub fields: Vec<(String, String, Input)>,
    pub comment: Input,
    /// 0..fields.len() = a field, fields.len() = the comment.
    pub focus: usize,
}

pub const UPDATE_FIELDS: [&str; 4] = ["short_description", "priority", "state", "description"];

#[derive(Debug, Clone)]
pub struct Running {
    pub job: Job,
    pub done: usize,
    pub failed: usize,
    pub unknown: usize,
    pub results: Vec<(Target, Outcome)>,
    pub started: Instant,
    pub cancelling: bool,
}

impl Running {
    pub fn remaining(&self) -> usize {
        self.job.targets.len().saturating_sub(self.results.len())
    }
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub verb: String,
    pub ok: usize,
    pub failed: Vec<(Target, Outcome)>,
    pub not_sent: usize,
    pub selected: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Actions {
    pub confirm: Option<Confirm>,
    pub form: Option<UpdateForm>,
    pub running: BTreeMap<u64, Running>,
    pub summary: Option<Summary>,
    next_id: u64,
}

impl Actions {
    pub fn modal_open(&self) -> bool {
        self.confirm.is_some() || self.form.is_some() || self.summary.is_some() || self.bulk_running().is_some()
    }

    /// The bulk job in progress (its gauge is modal: Esc cancels it).
    pub fn bulk_running(&self) -> Option<&Running> {
        self.running.values().find(|r| r.job.is_bulk())
    }

    pub fn tick(&mut self, _at: Instant) -> Vec<Effect> {
        Vec::new()
    }

    /// Rows seen changing in a delta (nothing to do yet: outcomes come from the runner).
    pub fn observe(&mut self, _changed: &[Record]) {}

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

fn target(e: Entity, r: &Record) -> Target {
    Target { entity: e, sys_id: r.sys_id().to_string(), label: super::title_of(e, r), record: r.clone() }
}

/// What `r` means for a record of this kind, or why it does not apply.
fn retry_kind(e: Entity, r: &Record) -> Result<Kind, String> {
    match e {
        Entity::Outbound | Entity::Inbound => match r.get("state") {
            "error" | "skipped" => Ok(Kind::Retry),
            s => Err(format!("only entries in error or skipped are retried (this one is {s})")),
        },
        Entity::Executions => match r.get("state") {
            "ERROR" | "CANCELLED" => Ok(Kind::Rerun),
            s => Err(format!("only failed executions are rerun (this one is {s})")),
        },
        Entity::WorkOrders => match r.get("integration_state") {
            "create_failed" => Ok(Kind::WorkOrder(WorkOrderOp::Create)),
            "update_failed" => Ok(Kind::Update { changed: Map::new(), comment: String::new() }),
            "cancel_failed" => Ok(Kind::WorkOrder(WorkOrderOp::Cancel)),
            s => Err(format!("nothing failed to retry (integration state {s})")),
        },
        _ => Err(format!("{} cannot be retried", e.label().to_lowercase())),
    }
}

/// Whether `kind` makes sense for this record now (the console and the CLI refuse the
/// same things with the same words).
pub fn applies(kind: &Kind, e: Entity, r: &Record) -> Result<(), String> {
    match kind {
        Kind::Retry | Kind::Rerun => retry_kind(e, r).map(|_| ()),
        Kind::Skip => match (e, r.get("state")) {
            (Entity::Outbound | Entity::Inbound, "error" | "ready") => Ok(()),
            (Entity::Outbound | Entity::Inbound, s) => {
                Err(format!("only entries in error or ready are skipped (this one is {s})"))
            }
            _ => Err("only queue entries are skipped".into()),
        },
        Kind::WorkOrder(WorkOrderOp::Cancel) => match (e, r.get("integration_state")) {
            (Entity::WorkOrders, "cancelled") => Err("already cancelled".into()),
            (Entity::WorkOrders, "not_synced" | "create_pending" | "create_failed") => {
                Err("not created at the provider yet: nothing to cancel there".into())
            }
            (Entity::WorkOrders, _) => Ok(()),
            _ => Err("only work orders are cancelled".into()),
        },
        Kind::WorkOrder(WorkOrderOp::Create) => match (e, r.get("integration_state")) {
            (Entity::WorkOrders, "not_synced" | "create_failed" | "") => Ok(()),
            (Entity::WorkOrders, s) => Err(format!("already synced (integration state {s})")),
            _ => Err("only work orders are created at a provider".into()),
        },
        Kind::WorkOrder(WorkOrderOp::Update) | Kind::Update { .. } => match e {
            Entity::WorkOrders if !r.get("fm_work_order_id").is_empty() => Ok(()),
            Entity::WorkOrders => Err("not synced to the provider yet: create it first".into()),
            _ => Err("only work orders are updated".into()),
        },
    }
}

impl App {
    /// Targets of an action: the marked rows of the current list, else the selected record.
    fn targets(&self) -> Vec<(Entity, Record)> {
        if let Some(l) = self.current_list()
            && !l.marks.is_empty()
        {
            return l.marks.values().map(|r| (l.entity, r.clone())).collect();
        }
        self.selected_record().map(|(e, r)| vec![(e, r.clone())]).unwrap_or_default()
    }

    pub(super) fn action_key(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Mark => {
                let vp = self.viewport();
                let Some(l) = self.current_list_mut() else { return Vec::new() };
                if let Some(r) = l.selected_record().cloned() {
                    if l.marks.remove(r.sys_id()).is_none() {
                        l.marks.insert(r.sys_id().to_string(), r);
                    }
                    let next = l.selected + 1;
                    l.select(next, vp);
                }
                Vec::new()
            }
            Action::MarkAll => {
                let Some(l) = self.current_list_mut() else { return Vec::new() };
                let all: Vec<Record> = l.visible().into_iter().filter_map(|i| l.rows.get(i).cloned()).collect();
                let n = all.len();
                let partial = l.total.is_some_and(|t| t > l.rows.len()) && l.quick_filter.is_empty();
                for r in all {
                    l.marks.insert(r.sys_id().to_string(), r);
                }
                let msg = if partial {
                    format!(
                        "marked {n} loaded rows (of {} matching; filter further to mark the rest)",
                        l.total.unwrap_or(n)
                    )
                } else {
                    format!("marked {n} rows")
                };
                self.flash(Level::Info, msg);
                Vec::new()
            }
            _ => {
                if self.settings.read_only {
                    self.flash(Level::Warn, format!("read-only: {} refused, nothing sent", a.describe()));
                    return Vec::new();
                }
                if matches!(self.screen(), Screen::View(ViewKind::Overview))
                    && matches!(a, Action::Retry | Action::Skip)
                {
                    return self.group_action(a);
                }
                let targets = self.targets();
                let Some((e0, r0)) = targets.first().cloned() else {
                    self.flash(Level::Info, "select a record first");
                    return Vec::new();
                };
                let kind = match a {
                    Action::Retry => match retry_kind(e0, &r0) {
                        Ok(k) => k,
                        Err(why) => {
                            self.flash(Level::Warn, why);
                            return Vec::new();
                        }
                    },
                    Action::Skip => Kind::Skip,
                    Action::CancelWorkOrder => Kind::WorkOrder(WorkOrderOp::Cancel),
                    Action::CreateWorkOrder => Kind::WorkOrder(WorkOrderOp::Create),
                    Action::UpdateWorkOrder => {
                        if let Err(why) = applies(&Kind::WorkOrder(WorkOrderOp::Update), e0, &r0) {
                            self.flash(Level::Warn, why);
                            return Vec::new();
                        }
                        self.actions.form = Some(UpdateForm::new(target(e0, &r0)));
                        return Vec::new();
                    }
                    _ => return Vec::new(),
                };
                self.propose(kind, targets)
            }
        }
    }

    /// Retry or skip every entry of the selected error group (loaded by the runner? no: the
    /// group's rows are listed first, then marked: the operator sees exactly what is sent).
    fn group_action(&mut self, a: Action) -> Vec<Effect> {
        let Some(g) = self.overview.groups.get(self.overview.selected_group).cloned() else {
            self.flash(Level::Info, "no error group selected");
            return Vec::new();
        };
        let fx = self.act(Action::Enter);
        self.flash(
            Level::Info,
            format!(
                "error group \"{}\": {} entries — * marks them all, then {} to {}",
                g.label(),
                g.count,
                self.keymap.first_key(a),
                a.describe()
            ),
        );
        fx
    }

    /// Checks each target, then confirms (destructive or bulk) or sends at once.
    fn propose(&mut self, kind: Kind, targets: Vec<(Entity, Record)>) -> Vec<Effect> {
        let mut ok = Vec::new();
        let mut skipped = Vec::new();
        for (e, r) in &targets {
            // In bulk, a failed execution in a retry is a rerun; keep one kind per job.
            match applies(&kind, *e, r) {
                Ok(()) => ok.push(target(*e, r)),
                Err(why) => skipped.push(format!("{}: {why}", super::title_of(*e, r))),
            }
        }
        if ok.is_empty() {
            self.flash(Level::Warn, skipped.first().cloned().unwrap_or_else(|| "nothing to do".into()));
            return Vec::new();
        }
        let id = self.actions.id();
        let job = Job { id, kind, targets: ok };
        let destructive = matches!(job.kind, Kind::Skip | Kind::WorkOrder(WorkOrderOp::Cancel));
        if !destructive && !job.is_bulk() {
            return self.send(job);
        }
        let n = job.targets.len();
        let e = job.targets[0].entity;
        let mut lines = vec![format!("{} × {}", n, job.kind.wire(e))];
        for t in job.targets.iter().take(8) {
            lines.push(format!("  {}  {}", t.label, t.record.show(e.state_field().unwrap_or("state"))));
        }
        if n > 8 {
            lines.push(format!("  … and {} more", n - 8));
        }
        for s in skipped.iter().take(3) {
            lines.push(format!("not included: {s}"));
        }
        if skipped.len() > 3 {
            lines.push(format!("not included: {} more", skipped.len() - 3));
        }
        let typed = (self.settings.production && job.is_bulk()).then(Input::default);
        let title = format!("{} {} {}?", capitalise(job.kind.verb()), n, if n == 1 { "record" } else { "records" });
        self.actions.confirm = Some(Confirm { job, title, lines, typed });
        Vec::new()
    }

    fn send(&mut self, job: Job) -> Vec<Effect> {
        let verb = job.kind.verb();
        for t in &job.targets {
            if let Some(l) = self.lists.get_mut(&t.entity) {
                l.pending.insert(t.sys_id.clone(), format!("{verb}…"));
            }
        }
        if let Some(l) = self.current_list_mut() {
            l.marks.clear();
        }
        let n = job.targets.len();
        self.flash(
            Level::Info,
            if n == 1 {
                format!("{verb} {} sent…", job.targets[0].label)
            } else {
                format!("{verb} of {n} records under way…")
            },
        );
        self.actions.running.insert(
            job.id,
            Running {
                job: job.clone(),
                done: 0,
                failed: 0,
                unknown: 0,
                results: Vec::new(),
                started: self.instant,
                cancelling: false,
            },
        );
        vec![Effect::Act(job)]
    }

    /// Keys while a confirmation, form, bulk gauge or summary is open.
    pub(super) fn actions_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if let Some(c) = self.actions.confirm.as_mut() {
            match (k.code, c.typed.as_mut()) {
                (KeyCode::Esc, _) => {
                    self.actions.confirm = None;
                    self.flash(Level::Info, "cancelled: nothing sent");
                }
                (KeyCode::Enter, Some(input)) => {
                    if input.value().trim() == c.job.targets.len().to_string() {
                        let job = self.actions.confirm.take().expect("open").job;
                        return self.send(job);
                    }
                    let n = c.job.targets.len();
                    self.flash(Level::Warn, format!("type {n} to confirm, or Esc"));
                }
                (_, Some(input)) => {
                    input.handle_event(&crossterm::event::Event::Key(k));
                }
                (KeyCode::Enter | KeyCode::Char('y'), None) => {
                    let job = self.actions.confirm.take().expect("open").job;
                    return self.send(job);
                }
                (KeyCode::Char('n'), None) => {
                    self.actions.confirm = None;
                    self.flash(Level::Info, "cancelled: nothing sent");
                }
                _ => {}
            }
            return Vec::new();
        }
        if let Some(f) = self.actions.form.as_mut() {
            match k.code {
                KeyCode::Esc => {
                    self.actions.form = None;
                    self.flash(Level::Info, "update cancelled: nothing sent");
                }
                KeyCode::Tab | KeyCode::Down => f.focus = (f.focus + 1) % (f.fields.len() + 1),
                KeyCode::BackTab | KeyCode::Up => f.focus = (f.focus + f.fields.len()) % (f.fields.len() + 1),
                KeyCode::Enter => {
                    let f = self.actions.form.take().expect("open");
                    let (changed, comment) = f.changes();
                    if changed.is_empty() && comment.is_empty() {
                        self.flash(Level::Warn, "nothing changed and no comment: nothing sent");
                        return Vec::new();
                    }
                    let id = self.actions.id();
                    return self.send(Job { id, kind: Kind::Update { changed, comment }, targets: vec![f.target] });
                }
                _ => {
                    let ev = crossterm::event::Event::Key(k);
                    if f.focus < f.fields.len() {
                        f.fields[f.focus].2.handle_event(&ev);
                    } else {
                        f.comment.handle_event(&ev);
                    }
                }
            }
            return Vec::new();
        }
        if let Some(s) = self.actions.summary.as_mut() {
            match k.code {
                KeyCode::Esc | KeyCode::Char('q') => self.actions.summary = None,
                KeyCode::Down | KeyCode::Char('j') => {
                    s.selected = (s.selected + 1).min(s.failed.len().saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => s.selected = s.selected.saturating_sub(1),
                KeyCode::Enter => {
                    let t = s.failed.get(s.selected).map(|(t, _)| t.clone());
                    self.actions.summary = None;
                    if let Some(t) = t {
                        return self.push_detail(t.entity, &t.sys_id, &t.label);
                    }
                }
                _ => {}
            }
            return Vec::new();
        }
        if let Some(id) = self.actions.bulk_running().map(|r| r.job.id)
            && k.code == KeyCode::Esc
        {
            if let Some(r) = self.actions.running.get_mut(&id) {
                r.cancelling = true;
            }
            self.flash(Level::Warn, "cancelling: what was sent stays sent, the rest is not sent");
            return vec![Effect::CancelBulk(id)];
        }
        Vec::new()
    }

    pub(super) fn on_action_event(&mut self, ev: ActionEvent) -> Vec<Effect> {
        match ev {
            ActionEvent::Started { job, sys_id, execution } => {
                let single = self.actions.running.get(&job).is_some_and(|r| !r.job.is_bulk());
                for l in self.lists.values_mut() {
                    if let Some(p) = l.pending.get_mut(&sys_id) {
                        *p = "running…".into();
                    }
                }
                if single {
                    // Follow the execution live: its steps appear as they run.
                    return self.push_detail(Entity::Executions, &execution, "(running)");
                }
                Vec::new()
            }
            ActionEvent::Done { job, sys_id, outcome } => {
                for l in self.lists.values_mut() {
                    l.pending.remove(&sys_id);
                }
                let Some(r) = self.actions.running.get_mut(&job) else { return Vec::new() };
                let Some(t) = r.job.targets.iter().find(|t| t.sys_id == sys_id).cloned() else { return Vec::new() };
                match &outcome {
                    Outcome::Ok(_) => r.done += 1,
                    Outcome::Failed(_) => r.failed += 1,
                    Outcome::Unknown(_) => r.unknown += 1,
                    Outcome::NotSent(_) => {}
                }
                let bulk = r.job.is_bulk();
                let verb = r.job.kind.verb();
                r.results.push((t.clone(), outcome.clone()));
                if !bulk {
                    let (level, text) = match &outcome {
                        Outcome::Ok(s) => (Level::Success, format!("{verb} {}: {s}", t.label)),
                        Outcome::Failed(s) => {
                            // A flow's summary already leads with its verdict.
                            let s =
                                s.strip_prefix("failed").map(|r| r.trim_start_matches(':').trim_start()).unwrap_or(s);
                            (Level::Error, format!("{verb} {} failed: {s}", t.label))
                        }
                        Outcome::Unknown(s) => (Level::Warn, format!("{verb} {}: outcome unknown — {s}", t.label)),
                        Outcome::NotSent(s) => (Level::Info, format!("{verb} {}: not sent — {s}", t.label)),
                    };
                    self.flash(level, text);
                }
                self.refresh_current(true)
            }
            ActionEvent::Finished { job, cancelled } => {
                let Some(r) = self.actions.running.remove(&job) else { return Vec::new() };
                if r.job.is_bulk() {
                    let mut failed: Vec<(Target, Outcome)> = r
                        .results
                        .iter()
                        .filter(|(_, o)| matches!(o, Outcome::Failed(_) | Outcome::Unknown(_)))
                        .cloned()
                        .collect();
                    let sent: std::collections::HashSet<&str> =
                        r.results.iter().map(|(t, _)| t.sys_id.as_str()).collect();
                    let not_sent = r.job.targets.iter().filter(|t| !sent.contains(t.sys_id.as_str())).count()
                        + r.results.iter().filter(|(_, o)| matches!(o, Outcome::NotSent(_))).count();
                    failed.truncate(500);
                    for t in &r.job.targets {
                        for l in self.lists.values_mut() {
                            l.pending.remove(&t.sys_id);
                        }
                    }
                    self.actions.summary = Some(Summary {
                        verb: r.job.kind.verb().to_string(),
                        ok: r.done,
                        failed,
                        not_sent,
                        selected: 0,
                    });
                    if cancelled {
                        self.flash(
                            Level::Warn,
                            format!("{} cancelled after {} sent", r.job.kind.verb(), r.results.len()),
                        );
                    }
                }
                self.refresh_current(true)
            }
        }
    }
}

impl UpdateForm {
    pub fn new(target: Target) -> Self {
        let fields = UPDATE_FIELDS
            .iter()
            .map(|f| {
                let v = target.record.get(f).to_string();
                (f.to_string(), v.clone(), Input::new(v))
            })
            .collect();
        UpdateForm { target, fields, comment: Input::default(), focus: 0 }
    }

    /// The changed fields (only those that differ) and the comment.
    pub fn changes(&self) -> (Map<String, Value>, String) {
        let changed = self
            .fields
            .iter()
            .filter(|(_, orig, input)| input.value() != orig)
            .map(|(f, _, input)| (f.clone(), Value::String(input.value().to_string())))
            .collect();
        (changed, self.comment.value().trim().to_string())
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
