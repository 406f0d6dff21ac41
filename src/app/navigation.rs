//! Moving around: views, the back stack, drill-downs from an error group to the failing
//! step, and the browsing actions (sort, copy, open, provider, history).

use tui_input::Input;

use super::detail::{self, DetailState};
use super::keys::{Action, Layer};
use super::{App, Effect, Level, Mode, Scope, Screen, VIEWS, ViewKind, common_prefix, title_of};
use crate::client::Record;
use crate::domain::Entity;
use crate::domain::entity::Source;
use crate::domain::state::QueueState;
use crate::query::{Condition, Query};

impl App {
    /// A drill-down's filter belongs to the drill-down: leaving it shows the whole list
    /// again (a filter the operator typed stays).
    pub(super) fn leave_drill_down(&mut self, e: Entity) {
        if let Some(l) = self.lists.get_mut(&e).filter(|l| l.is_drill_down()) {
            l.set_query(Query::new(), String::new());
        }
    }

    /// Switches to a top-level view (the back stack starts again there).
    pub fn switch(&mut self, v: ViewKind) -> Vec<Effect> {
        if let ViewKind::List(e) = v {
            self.leave_drill_down(e);
        }
        self.stack = vec![Screen::View(v)];
        self.mode = Mode::Normal;
        self.refresh_current(true)
    }

    /// Opens a record's detail; `seed` is what is known of it already (its list row), so
    /// the detail's requests can all go out at once.
    pub(super) fn push_detail(
        &mut self,
        entity: Entity,
        sys_id: &str,
        title: &str,
        seed: Option<Record>,
    ) -> Vec<Effect> {
        if sys_id.is_empty() {
            self.flash(Level::Warn, "nothing to open here");
            return Vec::new();
        }
        let mut d = DetailState::new(entity, sys_id, title);
        if let Some(r) = seed.filter(|r| r.sys_id() == sys_id) {
            d.seed = r;
        }
        self.stack.push(Screen::Detail(Box::new(d)));
        self.refresh_current(true)
    }

    /// Opens a list filtered by `q` on top of the stack (a drill-down).
    pub(super) fn push_list(&mut self, entity: Entity, q: Query, label: String) -> Vec<Effect> {
        if let Some(l) = self.lists.get_mut(&entity) {
            l.set_query(q, label);
        }
        self.stack.push(Screen::View(ViewKind::List(entity)));
        self.refresh_current(true)
    }

    /// Opens the session log (or another view) over what is on screen: Esc comes back.
    pub(super) fn push_view(&mut self, v: ViewKind) -> Vec<Effect> {
        if self.stack.last().is_some_and(|s| matches!(s, Screen::View(x) if *x == v)) {
            return Vec::new();
        }
        self.stack.push(Screen::View(v));
        self.mode = Mode::Normal;
        self.refresh_current(true)
    }

    /// An action on the screen on top, as if its key was pressed there (the mouse, the
    /// command prompt).
    pub fn act(&mut self, a: Action) -> Vec<Effect> {
        let layer = self.screen_layer();
        if a.works_in(layer) { self.screen_key(layer, a) } else { Vec::new() }
    }

    /// A key's action on a screen: each screen handles its own, then what all share.
    pub(super) fn screen_key(&mut self, layer: Layer, a: Action) -> Vec<Effect> {
        match layer {
            Layer::Overview => self.overview_key(a),
            Layer::List => self.list_key(a),
            Layer::Detail => self.detail_key(a),
            Layer::Fleet => self.fleet_key(a),
            Layer::Log => self.log_key(a),
            // Dialog layers are handled where they are drawn from.
            _ => Vec::new(),
        }
    }

    fn overview_key(&mut self, a: Action) -> Vec<Effect> {
        let vp = self.viewport();
        match a {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                self.navigate(a, vp)
            }
            Action::Enter => self.enter(),
            Action::Back => self.back(),
            Action::Retry | Action::Skip => self.action_key(a),
            other => self.global(other),
        }
    }

    fn list_key(&mut self, a: Action) -> Vec<Effect> {
        let vp = self.viewport();
        match a {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                self.navigate(a, vp)
            }
            Action::Enter => self.enter(),
            Action::Back => self.back(),
            Action::Sort => self.sort_next(),
            Action::Copy | Action::Open | Action::Provider | Action::History => self.record_action(a),
            Action::Retry
            | Action::Skip
            | Action::CancelWorkOrder
            | Action::CreateWorkOrder
            | Action::UpdateWorkOrder
            | Action::Mark
            | Action::MarkAll => self.action_key(a),
            other => self.global(other),
        }
    }

    fn detail_key(&mut self, a: Action) -> Vec<Effect> {
        let vp = self.viewport();
        match a {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                self.navigate(a, vp)
            }
            Action::NextFocus => {
                if let Some(d) = self.current_detail_mut() {
                    d.next_focus();
                }
                Vec::new()
            }
            Action::Enter => self.enter(),
            Action::Back => self.back(),
            Action::Copy | Action::Open | Action::Provider | Action::History => self.record_action(a),
            Action::Retry
            | Action::Skip
            | Action::CancelWorkOrder
            | Action::CreateWorkOrder
            | Action::UpdateWorkOrder => self.action_key(a),
            other => self.global(other),
        }
    }

    fn fleet_key(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                self.fleet_navigate(a);
                Vec::new()
            }
            Action::Enter => self.fleet_enter(),
            Action::Back => self.back(),
            other => self.global(other),
        }
    }

    fn log_key(&mut self, a: Action) -> Vec<Effect> {
        let vp = self.viewport();
        match a {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                self.navigate(a, vp)
            }
            Action::Back => self.back(),
            other => self.global(other),
        }
    }

    /// What every screen shares: quitting, help, views, the prompts, freezing, refreshing.
    fn global(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Quit => {
                // Work under way is not left half done by one key: say what quitting
                // leaves, and quit on a second `q`.
                let under_way = self.actions.running.len();
                if under_way > 0 && !self.quit_armed {
                    self.quit_armed = true;
                    let what = match self.actions.bulk_running() {
                        Some(r) => r.line(),
                        None => format!("{under_way} action(s) under way"),
                    };
                    self.flash(
                        Level::Warn,
                        // What the keys do first: at 80 columns the job's counts are cut, not this.
                        format!(
                            "q again quits (nothing more is sent; what was sent is recorded unknown) · \
                             :cancel stops the job and stays — {what}"
                        ),
                    );
                    return Vec::new();
                }
                self.quit = true;
                vec![Effect::Quit]
            }
            Action::Help => {
                self.mode = Mode::Help;
                Vec::new()
            }
            Action::Redraw => {
                self.clear = true;
                Vec::new()
            }
            Action::Filter => {
                if let Some(l) = self.current_list_mut() {
                    // A typed filter comes back to edit; a drill-down's label is no filter.
                    let text = if l.is_drill_down() { String::new() } else { l.query_label.clone() };
                    l.start_typing();
                    self.mode = Mode::Filter(Input::new(text));
                } else {
                    // Outside a list, `/` finds; the prompt takes the typing either way.
                    self.mode = Mode::Filter(Input::default());
                }
                Vec::new()
            }
            Action::Command => {
                self.mode = Mode::Command(Input::default());
                Vec::new()
            }
            Action::Freeze => {
                self.frozen = !self.frozen;
                self.say(
                    Scope::Session,
                    Level::Info,
                    if self.frozen { "frozen: live updates paused (f to resume)" } else { "live updates resumed" },
                );
                if self.frozen { Vec::new() } else { self.refresh_current(true) }
            }
            Action::Refresh => self.refresh_current(true),
            Action::View(n) => match VIEWS.get(n.saturating_sub(1) as usize) {
                Some(v) => self.switch(*v),
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// Esc: clears a list's marks, else leaves what was opened over the first screen, else
    /// clears a list's filter.
    fn back(&mut self) -> Vec<Effect> {
        if let Some(l) = self.current_list_mut().filter(|l| !l.marks.is_empty()) {
            let n = l.marks.len();
            l.marks.clear();
            self.flash(Level::Info, format!("{n} marks cleared"));
            Vec::new()
        } else if self.stack.len() > 1 {
            if let Some(Screen::View(ViewKind::List(e))) = self.stack.pop() {
                self.leave_drill_down(e);
            }
            self.refresh_current(true)
        } else if let Some(l) = self.current_list_mut().filter(|l| !l.query.is_empty() || !l.quick_filter.is_empty()) {
            l.set_query(Query::new(), String::new());
            self.refresh_current(true)
        } else {
            Vec::new()
        }
    }

    /// `s`: the next column to sort by.
    fn sort_next(&mut self) -> Vec<Effect> {
        let Some(l) = self.current_list_mut() else { return Vec::new() };
        let cols = l.entity.columns();
        let cur = l.sort.as_ref().map(|o| (o.field.clone(), o.desc));
        // Cycle: each column descending, then ascending, then back to newest first.
        let next = match cur {
            None => Some((cols[0].field.to_string(), true)),
            Some((f, true)) => Some((f, false)),
            Some((f, false)) => {
                let i = cols.iter().position(|c| c.field == f).map(|i| i + 1).unwrap_or(0);
                cols.get(i).map(|c| (c.field.to_string(), true))
            }
        };
        l.sort = next.map(|(field, desc)| crate::query::OrderBy { field, desc });
        // Named as the column is headed (RECORD, not document_id).
        let label = l.sort.as_ref().map(|o| {
            let title = cols.iter().find(|c| c.field == o.field).map_or(o.field.as_str(), |c| c.title);
            format!("sorted by {title} {}", if o.desc { "↓" } else { "↑" })
        });
        l.reset_window();
        self.flash(Level::Info, label.unwrap_or_else(|| "sorted newest first".into()));
        self.refresh_current(true)
    }

    /// Copy, open in the browser, the provider, the sync history: on the selected record.
    fn record_action(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Copy => match self.selected_record() {
                Some((_, r)) => {
                    // What became of it (copied, sent unconfirmed, failed) comes back as a notice.
                    let json = serde_json::to_string_pretty(&r.to_json()).unwrap_or_default();
                    vec![Effect::Copy(json)]
                }
                None => Vec::new(),
            },
            Action::Open => match self.selected_record() {
                Some((e, r)) => {
                    let table = self.settings.tables.name(e);
                    match crate::platform::browser::record_url(&self.settings.instance, table, r.sys_id()) {
                        Ok(url) => {
                            self.flash(Level::Info, format!("opening {url}"));
                            vec![Effect::OpenUrl(url)]
                        }
                        Err(e) => {
                            self.flash(Level::Warn, e);
                            Vec::new()
                        }
                    }
                }
                None => Vec::new(),
            },
            Action::Provider => {
                let target = self.selected_record().and_then(|(e, r)| {
                    let f = e.provider_field()?;
                    Some((r.get(f).to_string(), r.show(f).to_string()))
                });
                match target {
                    Some((id, title)) if !id.is_empty() => self.push_detail(Entity::Providers, &id, &title, None),
                    _ => {
                        self.flash(Level::Info, "no provider on this record");
                        Vec::new()
                    }
                }
            }
            Action::History => {
                // The sync history its description relates it to (a history line's own: none).
                let target = self.selected_record().and_then(|(e, r)| {
                    let rel = e.desc().related.iter().find(|x| x.kind == Entity::History && e != Entity::History)?;
                    let (value, label) = match rel.source {
                        Source::SysId => (r.sys_id(), title_of(e, r)),
                        Source::Field(f) => (r.get(f), r.show(f).to_string()),
                    };
                    (!value.is_empty()).then(|| (Condition::eq(rel.by, value), label))
                });
                match target {
                    Some((c, label)) => self.push_list(Entity::History, Query::new().and(c), format!("record {label}")),
                    None => {
                        self.flash(Level::Info, "no sync history for this record");
                        Vec::new()
                    }
                }
            }
            _ => Vec::new(),
        }
    }

    /// The record under the cursor: a list row, a detail's related row, or the detail's record.
    pub fn selected_record(&self) -> Option<(Entity, &Record)> {
        match self.screen() {
            Screen::View(ViewKind::List(e)) => self.lists.get(e)?.selected_record().map(|r| (*e, r)),
            Screen::Detail(d) => d.selected_related().or_else(|| d.data.as_ref().map(|x| (d.entity, &x.record))),
            Screen::View(ViewKind::Overview | ViewKind::Log | ViewKind::Fleet) => None,
        }
    }

    pub(super) fn navigate(&mut self, a: Action, vp: usize) -> Vec<Effect> {
        let step = |cur: usize, len: usize| -> usize {
            match a {
                Action::Up => cur.saturating_sub(1),
                Action::Down => (cur + 1).min(len.saturating_sub(1)),
                Action::PageUp => cur.saturating_sub(vp),
                Action::PageDown => (cur + vp).min(len.saturating_sub(1)),
                Action::Top => 0,
                _ => len.saturating_sub(1),
            }
        };
        match self.stack.last_mut() {
            Some(Screen::View(ViewKind::Log)) => {
                let delta = match a {
                    Action::Up => 1,
                    Action::Down => -1,
                    Action::PageUp => vp as isize,
                    Action::PageDown => -(vp as isize),
                    Action::Top => isize::MAX / 2,
                    _ => -(isize::MAX / 2),
                };
                self.log.scroll_by(delta);
                Vec::new()
            }
            Some(Screen::View(ViewKind::Fleet)) => {
                self.fleet_navigate(a);
                Vec::new()
            }
            Some(Screen::View(ViewKind::Overview)) => {
                let len = self.overview.groups.len();
                self.overview.selected_group = step(self.overview.selected_group, len);
                Vec::new()
            }
            Some(Screen::View(ViewKind::List(_))) => {
                let l = self.current_list_mut().expect("list on top");
                let target = step(l.selected, l.len());
                if l.select(target, vp) { self.refresh_current(true) } else { Vec::new() }
            }
            Some(Screen::Detail(d)) => {
                // Up/Down pick a step or related row; the page keys scroll what it shows.
                match a {
                    Action::PageUp => d.scroll_pages(-1),
                    Action::PageDown => d.scroll_pages(1),
                    Action::Up => d.move_by(-1),
                    Action::Down => d.move_by(1),
                    Action::Top => d.move_by(-100_000),
                    _ => d.move_by(100_000),
                }
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// Enter: drill down one level.
    pub(super) fn enter(&mut self) -> Vec<Effect> {
        match self.screen().clone() {
            Screen::View(ViewKind::Log) => Vec::new(),
            Screen::View(ViewKind::Fleet) => self.fleet_enter(),
            Screen::View(ViewKind::Overview) => {
                let Some(g) = self.overview.groups.get(self.overview.selected_group).cloned() else {
                    return self.switch(ViewKind::List(Entity::Outbound));
                };
                let q = error_group_query(&g);
                self.push_list(Entity::Outbound, q, format!("error group: {}", g.label()))
            }
            Screen::View(ViewKind::List(e)) => {
                let Some(r) = self.lists.get(&e).and_then(|l| l.selected_record()).cloned() else { return Vec::new() };
                let title = title_of(e, &r);
                self.push_detail(e, r.sys_id(), &title, Some(r.clone()))
            }
            Screen::Detail(d) => {
                if let Some((e, r)) = d.selected_related() {
                    let title = title_of(e, r);
                    let id = r.sys_id().to_string();
                    let seed = r.clone();
                    return self.push_detail(e, &id, &title, Some(seed));
                }
                // On a step: open the execution itself (when this is not already it).
                match (d.entity, d.data.as_ref()) {
                    (Entity::Executions, _) | (_, None) => Vec::new(),
                    (_, Some(data)) => match &data.exec {
                        Some(detail::ExecView::Loaded(x)) => {
                            let id = x.execution.sys_id().to_string();
                            let name = x.execution.get("name").to_string();
                            let seed = x.execution.clone();
                            self.push_detail(Entity::Executions, &id, &name, Some(seed))
                        }
                        _ => Vec::new(),
                    },
                }
            }
        }
    }
}

/// The failed entries of an error group: by each message exactly as the
/// instance stores it (one alternative each, so no character of it needs escaping but
/// `^`), a message the encoding cannot carry whole by the part before it.
pub fn error_group_query(g: &super::overview::ErrorGroup) -> Query {
    use crate::query::Op;
    /// Longer messages are matched by their start (a URL has its limits).
    const MAX: usize = 500;
    let error = || Query::new().and(Condition::eq("state", QueueState::Error.as_str()));
    if g.raw.is_empty() {
        // Counts from an instance without raw values: the shown messages.
        let mut q = error();
        if let Ok(c) = Condition::in_list("last_error", g.messages.iter().filter(|m| !m.contains(','))) {
            q = match g.messages.iter().any(|m| m.contains(',')) {
                true => q.and(Condition::new("last_error", Op::Like, common_prefix(&g.messages))),
                false => q.and(c),
            };
        }
        return q;
    }
    let mut q = Query::new();
    for (i, m) in g.raw.iter().enumerate() {
        let cut = m.find('^').unwrap_or(m.len());
        let mut end = cut.min(MAX);
        while !m.is_char_boundary(end) {
            end -= 1;
        }
        let c = match end == m.len() {
            true => Condition::eq("last_error", m),
            false => Condition::new("last_error", Op::StartsWith, &m[..end]),
        };
        if i > 0 {
            q = q.new_query();
        }
        q = q.and(Condition::eq("state", QueueState::Error.as_str())).and(c);
    }
    q
}
