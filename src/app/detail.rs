//! A record's detail: every field, the execution behind it with its steps (the failing
//! step selected on open), and the related records one key away (outbound entries,
//! sync history, provider) — the trace from a failure to the provider's answer.

use crate::client::actions::ExecDetail;
use crate::client::{Entity, Record};

#[derive(Debug, Clone, PartialEq)]
pub enum ExecView {
    /// No execution behind this record.
    None,
    /// The companion API is not installed: what `sys_flow_context` holds, and the
    /// execution's `sys_flow_log` lines where they are readable (else none).
    NotInstalled(Record, Vec<Record>),
    Loaded(ExecDetail),
    /// The instance refused to read it (a table not readable, no access): the pane's
    /// error line; the record and the related panes stand.
    Failed(String),
}

/// Records related to the one shown, by kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub entity: Entity,
    pub label: String,
    pub rows: Vec<Record>,
    /// How many records match on the instance (`X-Total-Count`), when it said.
    pub total: Option<usize>,
    /// How many were asked for: a full answer without a total may have more behind it.
    pub limit: usize,
    /// The instance refused this pane's request: its error line (the rest stands).
    pub error: Option<String>,
}

impl Related {
    /// A pane of `rows` as loaded, all there is.
    pub fn of(entity: Entity, label: &str, rows: Vec<Record>) -> Related {
        let total = Some(rows.len());
        Related { entity, label: label.to_string(), limit: rows.len(), rows, total, error: None }
    }

    /// How many records match: the instance's total, else at least what came.
    pub fn matching(&self) -> usize {
        self.total.unwrap_or(0).max(self.rows.len())
    }

    /// The count a pane's title gives, never less than the truth: `30`, `20 of 30` when
    /// only some were loaded (the newest, in the pane's order), `20+` when the instance
    /// gave no total and the answer was full.
    pub fn count_words(&self) -> String {
        let n = self.rows.len();
        match self.total {
            Some(t) if t > n => format!("{n} of {t}"),
            Some(_) => n.to_string(),
            None if self.limit > 0 && n >= self.limit => format!("{n}+"),
            None => n.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DetailData {
    pub record: Record,
    pub exec: Option<ExecView>,
    pub related: Vec<Related>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The record's own fields, when an execution shares the screen with them (Tab
    /// reaches them; the page keys and ↑↓ scroll them).
    Fields,
    Steps,
    Related(usize),
}

#[derive(Debug, Clone)]
pub struct DetailState {
    pub entity: Entity,
    pub sys_id: String,
    pub title: String,
    /// What was known of the record when it was opened (its list row).
    pub seed: Record,
    pub data: Option<DetailData>,
    pub step: usize,
    pub focus: Focus,
    pub related_sel: Vec<usize>,
    /// How far the inspect pane (the selected step, or the fields when there are no
    /// steps) is scrolled: PageDown / PageUp.
    pub scroll: u16,
    /// The furthest it can scroll, as the last frame laid it out (set while drawing).
    pub scroll_max: std::cell::Cell<u16>,
    /// Lines the inspect pane showed in the last frame: a page key moves one less, so
    /// no line is skipped.
    pub scroll_page: std::cell::Cell<u16>,
    /// How far the fields pane is scrolled when it shares the screen with an execution
    /// (with its furthest and its page, as the last frame laid it out).
    pub fields_scroll: u16,
    pub fields_max: std::cell::Cell<u16>,
    pub fields_page: std::cell::Cell<u16>,
    pub seq: u64,
    pub in_flight: bool,
    pub error: Option<String>,
    pub last_refresh: Option<std::time::Instant>,
    /// The failing step has been selected once; later refreshes keep the operator's choice.
    step_chosen: bool,
}

impl DetailState {
    pub fn new(entity: Entity, sys_id: &str, title: &str) -> Self {
        DetailState {
            entity,
            sys_id: sys_id.to_string(),
            title: title.to_string(),
            seed: Record::default(),
            data: None,
            step: 0,
            focus: Focus::Steps,
            related_sel: Vec::new(),
            scroll: 0,
            scroll_max: std::cell::Cell::new(0),
            scroll_page: std::cell::Cell::new(1),
            fields_scroll: 0,
            fields_max: std::cell::Cell::new(0),
            fields_page: std::cell::Cell::new(1),
            seq: 0,
            in_flight: false,
            error: None,
            last_refresh: None,
            step_chosen: false,
        }
    }

    /// What the next load is planned from: the record as last loaded, else its seed.
    pub fn basis(&self) -> &Record {
        match &self.data {
            Some(d) if !d.record.sys_id().is_empty() => &d.record,
            _ => &self.seed,
        }
    }

    /// Selects the first step (from the current one on) that mentions `needle` (lower
    /// case) in its name, state, error, inputs or outputs.
    pub fn find_step(&mut self, needle: &str) -> bool {
        let n = self.steps().len();
        let hit = (0..n).map(|i| (self.step + 1 + i) % n.max(1)).find(|&i| {
            let s = &self.steps()[i];
            [s.name.as_str(), s.state.as_str(), s.error.as_str(), &s.inputs.to_string(), &s.outputs.to_string()]
                .iter()
                .any(|t| t.to_lowercase().contains(needle))
        });
        if let Some(i) = hit {
            self.step = i;
            self.step_chosen = true;
            self.focus = Focus::Steps;
            self.scroll = 0;
        }
        hit.is_some()
    }

    pub fn steps(&self) -> &[crate::client::actions::Step] {
        match self.data.as_ref().and_then(|d| d.exec.as_ref()) {
            Some(ExecView::Loaded(d)) => &d.steps,
            _ => &[],
        }
    }

    pub fn absorb(&mut self, d: DetailData) {
        if let Some(r) = d.record.fields.get("number").or_else(|| d.record.fields.get("name")) {
            let v = r.display.clone().unwrap_or_else(|| r.value.clone());
            if !v.is_empty() {
                self.title = v;
            }
        }
        self.related_sel.resize(d.related.len(), 0);
        for (i, r) in d.related.iter().enumerate() {
            self.related_sel[i] = self.related_sel[i].min(r.rows.len().saturating_sub(1));
        }
        self.data = Some(d);
        let n = self.steps().len();
        if !self.step_chosen && n > 0 {
            // The failing step, or the last one that ran.
            let failing = self.steps().iter().position(|s| s.state == crate::domain::state::StepState::Error.as_str());
            self.step = failing.unwrap_or(n - 1);
            self.step_chosen = failing.is_some() || self.exec_finished();
        }
        self.step = self.step.min(self.steps().len().saturating_sub(1));
        if self.steps().is_empty() && !self.related_sel.is_empty() {
            self.focus = match self.focus {
                Focus::Steps => Focus::Related(0),
                f => f,
            };
        }
        self.error = None;
    }

    pub fn exec_finished(&self) -> bool {
        match self.data.as_ref().and_then(|d| d.exec.as_ref()) {
            Some(ExecView::Loaded(d)) => {
                use crate::domain::state::ExecState;
                matches!(
                    ExecState::parse(d.execution.get("state")),
                    Some(ExecState::Complete | ExecState::Error | ExecState::Cancelled)
                )
            }
            _ => true,
        }
    }

    pub fn selected_step(&self) -> Option<&crate::client::actions::Step> {
        self.steps().get(self.step)
    }

    /// The related record under the cursor, when a related list has focus.
    pub fn selected_related(&self) -> Option<(Entity, &Record)> {
        let Focus::Related(i) = self.focus else { return None };
        let rel = self.data.as_ref()?.related.get(i)?;
        rel.rows.get(*self.related_sel.get(i)?).map(|r| (rel.entity, r))
    }

    pub fn move_by(&mut self, delta: isize) {
        match self.focus {
            Focus::Fields => {
                let max = self.fields_max.get() as isize;
                self.fields_scroll =
                    (self.fields_scroll.min(self.fields_max.get()) as isize + delta).clamp(0, max) as u16;
            }
            Focus::Steps => {
                let n = self.steps().len();
                if n > 0 {
                    let step = (self.step as isize + delta).clamp(0, n as isize - 1) as usize;
                    if step != self.step {
                        self.scroll = 0;
                    }
                    self.step = step;
                    self.step_chosen = true;
                }
            }
            Focus::Related(i) => {
                let n = self.data.as_ref().and_then(|d| d.related.get(i)).map(|r| r.rows.len()).unwrap_or(0);
                if let Some(sel) = self.related_sel.get_mut(i)
                    && n > 0
                {
                    *sel = (*sel as isize + delta).clamp(0, n as isize - 1) as usize;
                }
            }
        }
    }

    /// Scrolls the inspect pane by `pages` of what the last frame showed, within it.
    pub fn scroll_pages(&mut self, pages: isize) {
        if self.focus == Focus::Fields {
            return self.move_by(pages * (self.fields_page.get().saturating_sub(1).max(1) as isize));
        }
        let delta = pages * (self.scroll_page.get().saturating_sub(1).max(1) as isize);
        let max = self.scroll_max.get() as isize;
        self.scroll = (self.scroll.min(self.scroll_max.get()) as isize + delta).clamp(0, max) as u16;
    }

    /// Whether an execution shares the screen with the record's fields.
    pub fn has_exec(&self) -> bool {
        matches!(
            self.data.as_ref().and_then(|d| d.exec.as_ref()),
            Some(ExecView::Loaded(_) | ExecView::NotInstalled(..))
        )
    }

    /// Tab: steps → the fields (beside an execution: the first Tab from the steps
    /// reaches them) → each related list → steps.
    pub fn next_focus(&mut self) {
        let n_rel = self.data.as_ref().map(|d| d.related.len()).unwrap_or(0);
        let has_steps = !self.steps().is_empty();
        let order: Vec<Focus> = has_steps
            .then_some(Focus::Steps)
            .into_iter()
            .chain(self.has_exec().then_some(Focus::Fields))
            .chain((0..n_rel).map(Focus::Related))
            .collect();
        if order.is_empty() {
            return;
        }
        let cur = order.iter().position(|f| *f == self.focus).unwrap_or(order.len() - 1);
        self.focus = order[(cur + 1) % order.len()];
    }
}
