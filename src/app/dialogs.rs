//! The console's dialogs: the confirmation of what will be sent and the update form. Each
//! takes every key while open (its own layer of the keymap), decides what it means
//! ([`Step`]), and the app applies that. A bulk job's progress and result are no dialog:
//! they live in the status area (see `actions`).

use crossterm::event::KeyEvent;
use serde_json::{Map, Value};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::job::Job;
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
    /// What must be typed to send (the count, for bulk work on a production profile; a
    /// word, for a rerun that may duplicate work at the provider), and what was typed.
    pub typed: Option<Input>,
    pub word: String,
}

#[derive(Debug, Clone)]
pub struct UpdateForm {
    pub target: Subject,
    /// (field, original, input).
    pub fields: Vec<(String, String, Input)>,
    pub comment: Input,
    /// 0..fields.len() = a field, fields.len() = the comment.
    pub focus: usize,
    /// The instance's names, to check fields and choices as the CLI checks `--set`.
    pub mapping: crate::domain::Mapping,
}

/// What a key in a dialog comes to: the dialog decides, the app applies it.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The dialog stays open (with something to say, perhaps).
    Stay(Option<(Level, String)>),
    /// The dialog closes; nothing is sent.
    Close(Option<(Level, String)>),
    /// Send the job (the dialog closes).
    Send(Job),
    /// The form closes into the preview of what it would send.
    Preview(Operation, Subject),
    /// The form stays open: what it would send is refused (recorded in the audit log).
    Refused(Operation, Subject, String),
}

impl Confirm {
    /// A key while the confirmation is open; `action` is what it means in its layer.
    pub fn key(&mut self, k: KeyEvent, action: Option<Action>) -> Step {
        match (action, self.typed.as_mut()) {
            (Some(Action::Dismiss), _) => Step::Close(Some((Level::Info, "cancelled: nothing sent".into()))),
            (Some(Action::Accept), Some(input)) => {
                if input.value().trim() == self.word {
                    return Step::Send(self.job.clone());
                }
                Step::Stay(Some((Level::Warn, format!("type {} to confirm, or Esc", self.word))))
            }
            (_, Some(input)) => {
                input.handle_event(&crossterm::event::Event::Key(k));
                Step::Stay(None)
            }
            (Some(Action::Confirm), None) => Step::Send(self.job.clone()),
            _ => Step::Stay(None),
        }
    }
}

impl App {
    /// A key while a confirmation is open: it alone decides what the key does.
    pub(super) fn confirm_key(&mut self, k: KeyEvent, action: Option<Action>) -> Vec<Effect> {
        let Some(c) = self.actions.confirm.as_mut() else { return Vec::new() };
        let step = c.key(k, action);
        self.apply_step(step)
    }

    /// A key while the update form is open: it alone decides what the key does.
    pub(super) fn form_key(&mut self, k: KeyEvent, action: Option<Action>) -> Vec<Effect> {
        let Some(f) = self.actions.form.as_mut() else { return Vec::new() };
        let step = f.key(k, action);
        self.apply_step(step)
    }

    fn apply_step(&mut self, step: Step) -> Vec<Effect> {
        match step {
            Step::Stay(say) => {
                if let Some((level, text)) = say {
                    self.flash(level, text);
                }
                Vec::new()
            }
            Step::Close(say) => {
                self.actions.confirm = None;
                self.actions.form = None;
                if let Some((level, text)) = say {
                    self.flash(level, text);
                }
                Vec::new()
            }
            Step::Send(job) => {
                self.actions.confirm = None;
                self.actions.form = None;
                self.send(job)
            }
            Step::Refused(op, target, why) => {
                self.flash(Level::Error, format!("refused: {why}; nothing was sent"));
                vec![Effect::Refused(vec![(op, target)], why)]
            }
            Step::Preview(op, target) => {
                self.actions.form = None;
                let e = target.entity;
                let r = target.record.clone();
                self.propose(op, vec![(e, r)], true)
            }
        }
    }
}

impl UpdateForm {
    /// A key while the form is open: Tab / ↓ the next field, Shift-Tab / ↑ the previous,
    /// Enter the preview of what it sends, Esc closes; anything else edits the field.
    pub fn key(&mut self, k: KeyEvent, action: Option<Action>) -> Step {
        let n = self.fields.len() + 1;
        match action {
            Some(Action::Dismiss) => Step::Close(Some((Level::Info, "update cancelled: nothing sent".into()))),
            Some(Action::Complete | Action::Down) => {
                self.focus = (self.focus + 1) % n;
                Step::Stay(None)
            }
            Some(Action::PrevField | Action::Up) => {
                self.focus = (self.focus + n - 1) % n;
                Step::Stay(None)
            }
            Some(Action::Accept) => {
                let (changed, comment) = self.changes();
                if changed.is_empty() && comment.is_empty() {
                    return Step::Stay(Some((Level::Warn, "nothing changed and no comment: nothing sent".into())));
                }
                // Checked as the CLI checks `--set` (one place, the same words).
                let checked = check_update(changed)
                    .and_then(|c| crate::ops::validate::changes(self.target.entity, &self.mapping, &c));
                let changed = match checked {
                    Ok(c) => c,
                    Err(why) => {
                        let op = Operation::Update { changed: self.changes().0, comment };
                        return Step::Refused(op, self.target.clone(), why);
                    }
                };
                Step::Preview(Operation::Update { changed, comment }, self.target.clone())
            }
            _ => {
                let ev = crossterm::event::Event::Key(k);
                match self.fields.get_mut(self.focus) {
                    Some(f) => f.2.handle_event(&ev),
                    None => self.comment.handle_event(&ev),
                };
                Step::Stay(None)
            }
        }
    }

    pub fn new(target: Subject, mapping: crate::domain::Mapping) -> Self {
        let fields = UPDATE_FIELDS
            .iter()
            .map(|f| {
                let v = target.record.get(f).to_string();
                (f.to_string(), v.clone(), Input::new(v))
            })
            .collect();
        UpdateForm { target, fields, comment: Input::default(), focus: 0, mapping }
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

/// What the form adds to the operations layer's check of an update (fields and choices,
/// [`crate::ops::validate::changes`], the CLI's words): the short description may not be
/// emptied.
pub fn check_update(changed: Map<String, Value>) -> Result<Map<String, Value>, String> {
    if changed.get("short_description").is_some_and(|v| v.as_str().unwrap_or_default().trim().is_empty()) {
        return Err("short_description may not be empty".into());
    }
    Ok(changed)
}
