//! The console's dialogs: the confirmation of what will be sent, the update form, the
//! bulk job's gauge and its summary. Their keys come from the dialog and input layers of
//! the keymap, never hard-coded.

use crossterm::event::KeyEvent;
use serde_json::{Map, Value};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::actions::Job;
use super::keys::Action;
use super::{App, Effect, Level};
use crate::domain::Operation;
use crate::domain::records::work_order::UPDATE_FIELDS;
use crate::ops::Subject;

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
    pub target: Subject,
    /// (field, original, input).
    pub fields: Vec<(String, String, Input)>,
    pub comment: Input,
    /// 0..fields.len() = a field, fields.len() = the comment.
    pub focus: usize,
}

impl App {
    /// A key while a confirmation, form, bulk gauge or summary is open: `action` is what
    /// it means in the dialog (or text-entry) layer.
    pub(super) fn dialog_key(&mut self, k: KeyEvent, action: Option<Action>) -> Vec<Effect> {
        let ev = crossterm::event::Event::Key(k);
        if let Some(c) = self.actions.confirm.as_mut() {
            match (action, c.typed.as_mut()) {
                (Some(Action::Dismiss), _) => {
                    self.actions.confirm = None;
                    self.flash(Level::Info, "cancelled: nothing sent");
                }
                (Some(Action::Accept), Some(input)) => {
                    if input.value().trim() == c.job.targets.len().to_string() {
                        let job = self.actions.confirm.take().expect("open").job;
                        return self.send(job);
                    }
                    let n = c.job.targets.len();
                    self.flash(Level::Warn, format!("type {n} to confirm, or Esc"));
                }
                (_, Some(input)) => {
                    input.handle_event(&ev);
                }
                (Some(Action::Confirm), None) => {
                    let job = self.actions.confirm.take().expect("open").job;
                    return self.send(job);
                }
                _ => {}
            }
            return Vec::new();
        }
        if let Some(f) = self.actions.form.as_mut() {
            let n = f.fields.len() + 1;
            match action {
                Some(Action::Dismiss) => {
                    self.actions.form = None;
                    self.flash(Level::Info, "update cancelled: nothing sent");
                }
                Some(Action::Complete | Action::Down) => f.focus = (f.focus + 1) % n,
                Some(Action::PrevField | Action::Up) => f.focus = (f.focus + n - 1) % n,
                Some(Action::Accept) => {
                    // Checked as the CLI checks `--set`, in the same words; the form stays open.
                    let (changed, _) = f.changes();
                    let e = f.target.entity;
                    if let Err(why) = crate::ops::validate::changes(e, &self.settings.mapping, &changed) {
                        self.flash(Level::Error, format!("refused: {why}; nothing was sent"));
                        return Vec::new();
                    }
                    let f = self.actions.form.take().expect("open");
                    let (changed, comment) = f.changes();
                    if changed.is_empty() && comment.is_empty() {
                        self.flash(Level::Warn, "nothing changed and no comment: nothing sent");
                        return Vec::new();
                    }
                    let id = self.actions.id();
                    return self.send(Job { id, op: Operation::Update { changed, comment }, targets: vec![f.target] });
                }
                _ => {
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
            match action {
                Some(Action::Dismiss) => self.actions.summary = None,
                Some(Action::Down) => s.selected = (s.selected + 1).min(s.failed.len().saturating_sub(1)),
                Some(Action::Up) => s.selected = s.selected.saturating_sub(1),
                Some(Action::Confirm) => {
                    let t = s.failed.get(s.selected).map(|(t, _)| t.clone());
                    self.actions.summary = None;
                    if let Some(t) = t {
                        return self.push_detail(t.entity, &t.sys_id, &t.label, Some(t.record));
                    }
                }
                _ => {}
            }
            return Vec::new();
        }
        if let Some(id) = self.actions.bulk_running().map(|r| r.job.id)
            && action == Some(Action::Dismiss)
        {
            if let Some(r) = self.actions.running.get_mut(&id) {
                r.cancelling = true;
            }
            self.flash(Level::Warn, "cancelling: what was sent stays sent, the rest is not sent");
            return vec![Effect::CancelBulk(id)];
        }
        Vec::new()
    }
}

impl UpdateForm {
    pub fn new(target: Subject) -> Self {
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
