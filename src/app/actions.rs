//! Operations the operator sends from the console, single or bulk: which records a key
//! targets, the preview and confirmation, one in flight per record and operation, the
//! live count of outcomes of a bulk job and its summary. Sending, auditing and following
//! are [`crate::ops`]'s, through the runner; this module only keeps the state.

use std::collections::BTreeMap;

pub use super::bulk::{REPORT_SHOWN, Running, Tally};
use super::dialogs::{Confirm, UpdateForm};
pub use super::job::Job;
use super::keys::Action;
use super::{App, Effect, Level, Scope, Screen, ViewKind};
use crate::client::Record;
use crate::domain::rules::{applies, retry_op};
use crate::domain::{Entity, Operation, WorkOrderOp};
use crate::ops::{Outcome, Subject};
use tui_input::Input;

#[derive(Debug, Clone, PartialEq)]
pub enum ActionEvent {
    /// A flow execution started for a target.
    Started { job: u64, sys_id: String, execution: String },
    /// A bulk retry set the entry back to ready; it is followed to what the queue does.
    Queued { job: u64, sys_id: String },
    /// A target's final outcome.
    Done { job: u64, sys_id: String, outcome: Outcome },
    /// All targets are done (or the job was cancelled).
    Finished { job: u64, cancelled: bool },
}

#[derive(Debug, Clone, Default)]
pub struct Actions {
    pub confirm: Option<Confirm>,
    pub form: Option<UpdateForm>,
    pub running: BTreeMap<u64, Running>,
    /// The last bulk job, once finished: its line stays in the status area a while.
    pub report: Option<Running>,
    next_id: u64,
}

impl Actions {
    /// A dialog or form is open (it takes every key). A bulk job is never modal.
    pub fn modal_open(&self) -> bool {
        self.confirm.is_some() || self.form.is_some()
    }

    /// The bulk job in progress (its line is in the status area; `:cancel` stops it).
    pub fn bulk_running(&self) -> Option<&Running> {
        self.running.values().find(|r| r.job.is_bulk())
    }

    /// The bulk job the status area shows: the one under way, else the last one for a
    /// while after it finished.
    pub fn bulk_line(&self, now: std::time::Instant) -> Option<String> {
        if let Some(r) = self.bulk_running() {
            return Some(r.line());
        }
        let r = self.report.as_ref()?;
        let (at, _) = r.finished?;
        (now.saturating_duration_since(at) < REPORT_SHOWN).then(|| r.line())
    }

    /// Whether `op` is already in flight for this record.
    pub fn in_flight(&self, op: &Operation, sys_id: &str) -> bool {
        self.running.values().any(|r| {
            r.job.op.verb() == op.verb()
                && r.job.targets.iter().any(|t| t.sys_id == sys_id)
                && !r.results.iter().any(|(t, _)| t.sys_id == sys_id)
        })
    }

    pub(super) fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

impl App {
    /// Targets of an action: the marked rows of the current list, else the selected record.
    pub(super) fn targets(&self) -> Vec<(Entity, Record)> {
        self.target_refs().into_iter().map(|(e, r)| (e, r.clone())).collect()
    }

    fn target_refs(&self) -> Vec<(Entity, &Record)> {
        if let Some(l) = self.current_list()
            && !l.marks.is_empty()
        {
            return l.marks.values().map(|r| (l.entity, r)).collect();
        }
        self.selected_record().into_iter().collect()
    }

    /// Whether the footer offers action `a` where the console is: an operation only where
    /// the rules ([`retry_op`], [`applies`]) let it apply to what it would act on (the
    /// marked rows, else the selected record; on the overview, a selected error group),
    /// and neither an operation nor a mark on a read-only console, which refuses them all.
    /// Every other key is offered as its screen's table lists it.
    pub fn offers(&self, a: Action) -> bool {
        let marking = matches!(a, Action::Mark | Action::MarkAll);
        if !a.is_mutating() && !marking {
            return true;
        }
        if self.settings.read_only {
            return false;
        }
        if marking {
            return true;
        }
        if matches!(self.screen(), Screen::View(ViewKind::Overview)) {
            return matches!(a, Action::Retry | Action::Skip) && !self.overview.groups.is_empty();
        }
        let targets = self.target_refs();
        // The update form edits one work order: with several marked it is not offered.
        if a == Action::UpdateWorkOrder && targets.len() > 1 {
            return false;
        }
        targets.into_iter().any(|(e, r)| match a {
            Action::Retry => retry_op(e, r).is_ok(),
            Action::UpdateWorkOrder => applies(&Operation::WorkOrder(WorkOrderOp::Update), e, r).is_ok(),
            _ => nominal_op(a, e, r).is_some_and(|op| applies(&op, e, r).is_ok()),
        })
    }

    pub(super) fn action_key(&mut self, a: Action) -> Vec<Effect> {
        match a {
            // Marks gather records to act on; read-only acts on none (the footer offers none).
            Action::Mark | Action::MarkAll if self.settings.read_only => {
                self.flash(Level::Warn, "read-only: nothing can be sent, so nothing is marked");
                Vec::new()
            }
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
                    let why = format!("read-only: {} refused, nothing sent", a.describe());
                    self.flash(Level::Warn, why.clone());
                    return self.refused(a, why);
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
                let op = match a {
                    Action::Retry => match retry_op(e0, &r0) {
                        Ok(k) => k,
                        Err(why) => {
                            self.flash(Level::Warn, why.clone());
                            return self.refused(a, why);
                        }
                    },
                    Action::Skip => Operation::Skip,
                    Action::CancelWorkOrder => Operation::WorkOrder(WorkOrderOp::Cancel),
                    Action::CreateWorkOrder => Operation::WorkOrder(WorkOrderOp::Create),
                    Action::UpdateWorkOrder => {
                        // The form edits one work order's fields: marks would be ignored.
                        if targets.len() > 1 {
                            self.flash(
                                Level::Warn,
                                format!(
                                    "update edits one work order at a time: {} are marked — unmark them (space) \
                                     and select the one to update",
                                    targets.len()
                                ),
                            );
                            return Vec::new();
                        }
                        if let Err(why) = applies(&Operation::WorkOrder(WorkOrderOp::Update), e0, &r0) {
                            self.flash(Level::Warn, why.clone());
                            return self.refused(a, why);
                        }
                        self.actions.form = Some(UpdateForm::new(Subject::new(e0, &r0), self.settings.mapping.clone()));
                        return Vec::new();
                    }
                    _ => return Vec::new(),
                };
                // Previewed or not by the operation, whichever key asked for it (a
                // create by `n` or by `r` on a failed create alike).
                self.propose(op, targets, false)
            }
        }
    }

    /// `r` / `x` on the overview: a bulk retry (skip) of the selected error group's
    /// entries, previewed. The overview only counts them, so the group's list opens first
    /// (the operator sees exactly what is sent); when its rows arrive they are marked and
    /// the preview opens ([`App::group_rows_arrived`]). Nothing is sent before the answer.
    pub(super) fn group_action(&mut self, a: Action) -> Vec<Effect> {
        let Some(g) = self.overview.groups.get(self.overview.selected_group).cloned() else {
            self.flash(Level::Info, "no error group selected");
            return Vec::new();
        };
        let fx = self.act(Action::Enter);
        self.group_intent = Some(super::GroupIntent {
            action: a,
            key: self.last_key,
            keys_seen: self.keys_seen,
            context: self.context(),
            label: g.label().to_string(),
        });
        let verb = group_verb(a);
        self.flash(
            Level::Info,
            format!("error group \"{}\": listing its {} entries to preview the {verb}…", g.label(), g.count),
        );
        fx
    }

    /// The rows of an error group's list arrived after `r` / `x` on the overview: they
    /// are marked and the bulk operation previewed — unless a key came meanwhile (a dialog
    /// never opens under typing): then they are only marked, and the status line says
    /// which key previews them.
    pub(super) fn group_rows_arrived(&mut self) -> Vec<Effect> {
        let Some(intent) = self.group_intent.take() else { return Vec::new() };
        if self.context() != intent.context {
            self.group_intent_dropped(&intent, "you left its list");
            return Vec::new();
        }
        let a = intent.action;
        let Some(l) = self.current_list_mut() else { return Vec::new() };
        let rows: Vec<Record> = l.visible().into_iter().filter_map(|i| l.rows.get(i).cloned()).collect();
        let (n, total) = (rows.len(), l.total.unwrap_or(rows.len()).max(rows.len()));
        for r in rows {
            l.marks.insert(r.sys_id().to_string(), r);
        }
        let verb = group_verb(a);
        if n == 0 {
            self.flash(Level::Info, format!("the error group has no entries in error now: nothing to {verb}"));
            return Vec::new();
        }
        if self.keys_seen != intent.keys_seen || !self.layer().is_screen() {
            let key = self.keymap.first_key(a);
            self.flash(Level::Info, format!("{n} entries of the error group marked — {key} previews the {verb}"));
            return Vec::new();
        }
        let op = if a == Action::Skip { Operation::Skip } else { Operation::Retry };
        let targets = self.targets();
        let fx = self.propose(op, targets, true);
        if let Some(c) = self.actions.confirm.as_mut() {
            if total > n {
                c.lines
                    .insert(1, format!("  the group has {total} entries: the {n} loaded are included, the rest not"));
            }
            // The key that asked for it, pressed again, is not typed into the preview.
            self.guard = intent.key.map(|k| (k, true));
        }
        fx
    }

    /// `r` / `x` on an error group waits for the group's rows on its list; when the
    /// operator leaves that list (or changes its filter) first, the intent goes — and the
    /// session says so, rather than leaving "listing … to preview" unanswered.
    pub(super) fn drop_left_group_intent(&mut self) {
        let Some(intent) = self.group_intent.as_ref() else { return };
        if intent.context == self.context() {
            return;
        }
        let Some(intent) = self.group_intent.take() else { return };
        let why = match (self.current_list(), intent.context.split(' ').nth(1)) {
            (Some(l), Some(name)) if l.entity.name() == name => "its list's filter changed",
            _ => "you left its list",
        };
        self.group_intent_dropped(&intent, why);
    }

    /// Says that an error group's `r` / `x` was not previewed, and why.
    pub(super) fn group_intent_dropped(&mut self, intent: &super::GroupIntent, why: &str) {
        let verb = group_verb(intent.action);
        self.say(
            Scope::Session,
            Level::Warn,
            format!("{verb} of error group \"{}\" not previewed: {why}; nothing sent", intent.label),
        );
    }

    /// Marks a new filter cleared ([`super::list::ListState::set_query`]) are said, with
    /// what the update said itself (the filter's word) when it said something.
    pub(super) fn say_marks_cleared(&mut self, said_before: u64) {
        let n: usize = self.lists.values_mut().map(|l| std::mem::take(&mut l.marks_cleared)).sum();
        if n == 0 {
            return;
        }
        let note = format!("{n} mark{} cleared by the new filter", if n == 1 { "" } else { "s" });
        match self.status.clone() {
            Some((level, msg)) if self.said != said_before => {
                self.log.push(self.now, Level::Info, &note);
                self.status = Some((level, format!("{msg} — {note}")));
            }
            _ => self.flash(Level::Info, note),
        }
    }

    /// Checks each target, then previews and confirms: whichever key asked, by the one rule
    /// [`Operation::needs_preview`] (true for every operation now; `preview` forces it
    /// whatever the rule says).
    pub(super) fn propose(&mut self, op: Operation, targets: Vec<(Entity, Record)>, preview: bool) -> Vec<Effect> {
        // Rows listed by a filter the instance partly ignored are not the rows it means.
        if let Some(l) = self.current_list()
            && targets.iter().any(|(e, _)| *e == l.entity)
            && let Some(why) =
                crate::domain::mapping::refusal(l.entity, &self.settings.mapping.unknown_fields(l.entity, &l.query))
        {
            self.flash(Level::Warn, format!("{} refused: {why}; nothing sent", op.verb()));
            let all = targets.iter().map(|(e, r)| (op.clone(), Subject::new(*e, r))).collect();
            return vec![Effect::Refused(all, why)];
        }
        let mut ok = Vec::new();
        let mut skipped = Vec::new();
        let mut refused = Vec::new();
        for (e, r) in &targets {
            // One operation per job; a record already being worked on is not sent again.
            let label = crate::domain::title_of(*e, r);
            match applies(&op, *e, r) {
                Ok(()) if self.actions.in_flight(&op, r.sys_id()) => {
                    skipped.push(format!("{label}: {} already running", op.verb()))
                }
                Ok(()) => ok.push(Subject::new(*e, r)),
                Err(why) => {
                    skipped.push(format!("{label}: {why}"));
                    refused.push(Effect::Refused(vec![(op.clone(), Subject::new(*e, r))], why));
                }
            }
        }
        if ok.is_empty() {
            self.flash(Level::Warn, skipped.first().cloned().unwrap_or_else(|| "nothing to do".into()));
            return refused;
        }
        let id = self.actions.id();
        let job = Job { id, op, targets: ok };
        if !preview && !job.op.needs_preview() {
            let mut fx = self.send(job);
            fx.extend(refused);
            return fx;
        }
        let n = job.targets.len();
        let e = job.targets[0].entity;
        let mut lines = vec![format!("{} × {}", n, job.op.wire(e))];
        for t in job.targets.iter().take(8) {
            let state = t.record.show(e.state_field().unwrap_or("state"));
            // Which provider a work-order operation goes to.
            match e.provider_field().map(|f| t.record.show(f)).filter(|p| !p.is_empty()) {
                Some(p) => lines.push(format!("  {}  {state}  → {p}", t.label)),
                None => lines.push(format!("  {}  {state}", t.label)),
            }
        }
        if n > 8 {
            lines.push(format!("  … and {} more", n - 8));
        }
        if let Operation::Update { changed, comment } = &job.op {
            for (f, v) in changed {
                let was = job.targets[0].record.get(f).to_string();
                lines.push(format!(
                    "  {f}: {was:?} → {}",
                    v.as_str().map_or_else(|| v.to_string(), |s| format!("{s:?}"))
                ));
            }
            if !comment.is_empty() {
                lines.push(format!("  comment: {comment:?}"));
            }
        }
        let mut word = None;
        if job.op == Operation::Rerun {
            for t in job.targets.iter().take(3) {
                let why = t.record.get("error_message");
                let why = if why.is_empty() { "no error recorded" } else { why };
                lines.push(format!("  first run: {} — {why}", t.record.show("state")));
            }
            if job.targets.iter().any(|t| rerun_may_duplicate(&t.record)) {
                lines.push(
                    "⚠ the provider answered 2xx (or its answer is unknown): it may already have the work order, \
                     and a rerun may create a duplicate there — check at the provider first"
                        .into(),
                );
                word = Some("rerun".to_string());
            }
        }
        for s in skipped.iter().take(3) {
            lines.push(format!("not included: {s}"));
        }
        if skipped.len() > 3 {
            lines.push(format!("not included: {} more", skipped.len() - 3));
        }
        if self.settings.production && job.is_bulk() {
            word = Some(n.to_string());
        }
        let typed = word.is_some().then(Input::default);
        let word = word.unwrap_or_default();
        // A work order's failed update sent again is a resync: it changes nothing itself.
        let verb = match &job.op {
            Operation::Update { changed, comment } if changed.is_empty() && comment.is_empty() => "resync",
            op => op.verb(),
        };
        let title = format!("{} {} {}?", capitalise(verb), n, if n == 1 { "record" } else { "records" });
        self.actions.confirm = Some(Confirm { job, title, lines, typed, word });
        // The preview speaks for itself: a word about the screen said before it (a form's
        // refusal since corrected, "listing … to preview") no longer holds under it.
        if matches!(self.status_scope, Scope::Screen | Scope::Key) {
            self.status = None;
        }
        refused
    }

    /// The records an action key was for, refused before anything was sent (read-only, a
    /// rule): one audit line each, as the CLI records its refusals.
    fn refused(&self, a: Action, why: String) -> Vec<Effect> {
        let subjects: Vec<(Operation, Subject)> = self
            .targets()
            .into_iter()
            .filter_map(|(e, r)| Some((nominal_op(a, e, &r)?, Subject::new(e, &r))))
            .collect();
        if subjects.is_empty() { Vec::new() } else { vec![Effect::Refused(subjects, why)] }
    }

    pub(super) fn send(&mut self, job: Job) -> Vec<Effect> {
        let verb = job.op.verb();
        for t in &job.targets {
            if let Some(l) = self.lists.get_mut(&t.entity) {
                l.pending.insert(t.sys_id.clone(), format!("{verb}…"));
            }
        }
        if let Some(l) = self.current_list_mut() {
            l.marks.clear();
        }
        let n = job.targets.len();
        self.say(
            Scope::Session,
            Level::Info,
            if n == 1 {
                format!("{verb} {} sent…", job.targets[0].label)
            } else {
                format!("{verb} of {n} records under way…")
            },
        );
        self.actions.running.insert(job.id, Running::new(job.clone()));
        vec![Effect::Act(job)]
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
                    return self.push_detail(Entity::Executions, &execution, "(running)", None);
                }
                Vec::new()
            }
            ActionEvent::Queued { job, sys_id } => {
                let Some(r) = self.actions.running.get_mut(&job) else { return Vec::new() };
                if !r.results.iter().any(|(t, _)| t.sys_id == sys_id) {
                    r.queued.insert(sys_id.clone());
                }
                for l in self.lists.values_mut() {
                    if let Some(p) = l.pending.get_mut(&sys_id) {
                        *p = "queued again…".into();
                    }
                }
                Vec::new()
            }
            ActionEvent::Done { job, sys_id, outcome } => {
                for l in self.lists.values_mut() {
                    l.pending.remove(&sys_id);
                }
                let Some(r) = self.actions.running.get_mut(&job) else { return Vec::new() };
                let Some(t) = r.job.targets.iter().find(|t| t.sys_id == sys_id).cloned() else { return Vec::new() };
                if r.results.iter().any(|(x, _)| x.sys_id == sys_id) {
                    // Counted once, by its final state.
                    return Vec::new();
                }
                match &outcome {
                    Outcome::Ok(_) => r.done += 1,
                    Outcome::Failed(_) => r.failed += 1,
                    Outcome::Unknown(_) => r.unknown += 1,
                    Outcome::NotSent(_) => {}
                }
                r.queued.remove(&sys_id);
                let bulk = r.job.is_bulk();
                let verb = r.job.op.verb();
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
                    self.say(Scope::Session, level, text);
                }
                self.refresh_current(true)
            }
            ActionEvent::Finished { job, cancelled } => {
                let Some(mut r) = self.actions.running.remove(&job) else { return Vec::new() };
                if r.job.is_bulk() {
                    for t in &r.job.targets {
                        for l in self.lists.values_mut() {
                            l.pending.remove(&t.sys_id);
                        }
                    }
                    r.finished = Some((self.instant, cancelled));
                    // The whole report goes to the session log; its first line (the
                    // counts) also to the status line, which it replaces.
                    let mut lines = r.report().into_iter();
                    let t = r.tally();
                    let level = match (t.failed + t.unknown, cancelled) {
                        (0, false) => Level::Success,
                        (0, true) => Level::Warn,
                        _ => Level::Error,
                    };
                    if let Some(head) = lines.next() {
                        self.say(Scope::Session, level.clone(), format!("{head} (:log lists each)"));
                    }
                    for l in lines {
                        self.log.push(self.now, level.clone(), &l);
                    }
                    self.actions.report = Some(r);
                }
                self.refresh_current(true)
            }
        }
    }

    /// `:cancel`: stops the bulk job under way (what was sent stays sent, and is followed).
    pub(super) fn cancel_bulk(&mut self) -> Vec<Effect> {
        let Some(id) = self.actions.bulk_running().map(|r| r.job.id) else {
            self.flash(Level::Info, "no bulk job under way");
            return Vec::new();
        };
        if let Some(r) = self.actions.running.get_mut(&id) {
            r.cancelling = true;
        }
        self.say(Scope::Session, Level::Warn, "cancelling: what was sent stays sent, the rest is not sent");
        vec![Effect::CancelBulk(id)]
    }
}

/// Whether a rerun of this execution may do at the provider what the first run already
/// did: a create whose provider answered 2xx (its answer was not understood), or whose
/// outcome is unknown (no answer recorded, a timeout).
pub fn rerun_may_duplicate(exec: &Record) -> bool {
    let name = format!("{} {}", exec.get("name"), exec.show("flow")).to_lowercase();
    if !name.contains("create") {
        return false;
    }
    let why = exec.get("error_message").to_lowercase();
    let answered_2xx = why
        .split(|c: char| !c.is_ascii_alphanumeric())
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| matches!(w[0], "answered" | "http" | "status") && w[1].len() == 3 && w[1].starts_with('2'));
    answered_2xx || why.is_empty() || why.contains("timed out") || why.contains("unknown") || why.contains("no answer")
}

/// What `r` / `x` do to an error group, in words.
fn group_verb(a: Action) -> &'static str {
    if a == Action::Skip { "skip" } else { "retry" }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The operation an action key asks of a record, for the audit line of a refusal (the
/// rules may have refused it: a queue entry's key still asked for a retry).
fn nominal_op(a: Action, e: Entity, r: &Record) -> Option<Operation> {
    match a {
        Action::Retry => retry_op(e, r).ok().or(match e {
            e if e.is_queue() => Some(Operation::Retry),
            Entity::Executions => Some(Operation::Rerun),
            _ => None,
        }),
        Action::Skip => Some(Operation::Skip),
        Action::CancelWorkOrder => Some(Operation::WorkOrder(WorkOrderOp::Cancel)),
        Action::CreateWorkOrder => Some(Operation::WorkOrder(WorkOrderOp::Create)),
        Action::UpdateWorkOrder => Some(Operation::Update { changed: Default::default(), comment: String::new() }),
        _ => None,
    }
}
