//! The console's state machine: `update(msg) -> effects`, pure — no I/O, no terminal,
//! no clock reads except the `now` carried by messages. Every behaviour of the console
//! can be driven from a test by feeding it keys and messages.

pub mod actions;
pub mod detail;
pub mod keys;
pub mod list;
pub mod overview;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::client::read::{Delta, ListSpec, Page};
use crate::client::{Entity, Error, Record, Tables};
use crate::query::{Condition, Query};
use actions::{ActionEvent, Actions};
use detail::{DetailData, DetailState};
use keys::{Action, Keymap};
use list::ListState;
use overview::{Overview, OverviewData};

/// The views `1`–`7` switch between, in that order.
pub const VIEWS: [ViewKind; 7] = [
    ViewKind::Overview,
    ViewKind::List(Entity::Providers),
    ViewKind::List(Entity::WorkOrders),
    ViewKind::List(Entity::Outbound),
    ViewKind::List(Entity::Inbound),
    ViewKind::List(Entity::Executions),
    ViewKind::List(Entity::History),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    Overview,
    List(Entity),
}

impl ViewKind {
    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Overview => "overview",
            ViewKind::List(Entity::Providers) => "providers",
            ViewKind::List(Entity::WorkOrders) => "workorders",
            ViewKind::List(Entity::Outbound) => "outbound",
            ViewKind::List(Entity::Inbound) => "inbound",
            ViewKind::List(Entity::Executions) => "executions",
            ViewKind::List(Entity::History) => "history",
            ViewKind::List(Entity::Flows) => "flows",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            ViewKind::Overview => "Overview",
            ViewKind::List(e) => e.label(),
        }
    }
}

/// One entry of the back stack.
#[derive(Debug, Clone)]
pub enum Screen {
    View(ViewKind),
    Detail(Box<DetailState>),
}

#[derive(Debug, Clone)]
pub enum Mode {
    Normal,
    Filter(Input),
    Command(Input),
    Help,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub instance: String,
    pub user: String,
    pub demo: bool,
    pub read_only: bool,
    pub refresh: Duration,
    pub tables: Tables,
    /// A profile marked production: bulk work needs a typed confirmation.
    pub production: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            instance: "http://127.0.0.1".into(),
            user: "admin".into(),
            demo: true,
            read_only: false,
            refresh: Duration::from_secs(3),
            tables: Tables::default(),
            production: false,
        }
    }
}

/// Connection health as the header shows it.
#[derive(Debug, Clone, Default)]
pub struct Conn {
    pub last_ok: Option<chrono::DateTime<chrono::Utc>>,
    pub stale_since: Option<chrono::DateTime<chrono::Utc>>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warn,
    Error,
}

/// What the runner must do; results come back as [`Msg`]s.
#[derive(Debug, Clone)]
pub enum Effect {
    LoadWindow { entity: Entity, seq: u64, spec: ListSpec, prime: Option<ListSpec> },
    Delta { entity: Entity, seq: u64, delta: Delta },
    LoadOverview { seq: u64 },
    LoadDetail { seq: u64, entity: Entity, sys_id: String },
    Act(actions::Job),
    CancelBulk(u64),
    Copy(String),
    OpenUrl(String),
    Quit,
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// A clock tick: drives refreshes and relative times.
    Tick(Instant, chrono::DateTime<chrono::Utc>),
    Window {
        entity: Entity,
        seq: u64,
        offset: usize,
        result: Result<(Page, Option<Delta>), Error>,
    },
    Delta {
        entity: Entity,
        seq: u64,
        result: Result<(Delta, Vec<Record>), Error>,
    },
    Overview {
        seq: u64,
        result: Result<OverviewData, Error>,
    },
    Detail {
        seq: u64,
        result: Result<DetailData, Error>,
    },
    Action(ActionEvent),
}

pub struct App {
    pub settings: Settings,
    pub keymap: Keymap,
    pub stack: Vec<Screen>,
    pub lists: BTreeMap<Entity, ListState>,
    pub overview: Overview,
    pub mode: Mode,
    pub actions: Actions,
    pub status: Option<(Level, String)>,
    pub conn: Conn,
    pub frozen: bool,
    pub size: (u16, u16),
    pub now: chrono::DateTime<chrono::Utc>,
    pub instant: Instant,
    pub quit: bool,
    /// Set when something changed; the runner draws and clears it.
    pub dirty: bool,
    /// Force a full redraw (ctrl-l).
    pub clear: bool,
    next_seq: u64,
}

/// Rows of the table area for a terminal of `height` rows (header 3, footer 2, table header 1).
pub fn viewport_rows(height: u16) -> usize {
    height.saturating_sub(7).max(1) as usize
}

impl App {
    pub fn new(settings: Settings, keymap: Keymap) -> Self {
        let lists = Entity::ALL.iter().map(|e| (*e, ListState::new(*e))).collect();
        App {
            settings,
            keymap,
            stack: vec![Screen::View(ViewKind::Overview)],
            lists,
            overview: Overview::default(),
            mode: Mode::Normal,
            actions: Actions::default(),
            status: None,
            conn: Conn::default(),
            frozen: false,
            size: (80, 24),
            now: chrono::Utc::now(),
            instant: Instant::now(),
            quit: false,
            dirty: true,
            clear: false,
            next_seq: 1,
        }
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn screen(&self) -> &Screen {
        self.stack.last().expect("the stack is never empty")
    }

    pub fn viewport(&self) -> usize {
        viewport_rows(self.size.1)
    }

    pub fn current_list(&self) -> Option<&ListState> {
        match self.screen() {
            Screen::View(ViewKind::List(e)) => self.lists.get(e),
            _ => None,
        }
    }

    fn current_list_mut(&mut self) -> Option<&mut ListState> {
        match self.stack.last() {
            Some(Screen::View(ViewKind::List(e))) => {
                let e = *e;
                self.lists.get_mut(&e)
            }
            _ => None,
        }
    }

    pub fn current_detail(&self) -> Option<&DetailState> {
        match self.screen() {
            Screen::Detail(d) => Some(d),
            _ => None,
        }
    }

    fn current_detail_mut(&mut self) -> Option<&mut DetailState> {
        match self.stack.last_mut() {
            Some(Screen::Detail(d)) => Some(d),
            _ => None,
        }
    }

    pub fn flash(&mut self, level: Level, msg: impl Into<String>) {
        self.status = Some((level, msg.into()));
    }

    /// Breadcrumbs of the back stack.
    pub fn breadcrumbs(&self) -> Vec<String> {
        self.stack
            .iter()
            .map(|s| match s {
                Screen::View(v) => v.title().to_string(),
                Screen::Detail(d) => format!("{} {}", d.entity.label_one(), d.title),
            })
            .collect()
    }

    /// The first effects: load what the first screen shows.
    pub fn start(&mut self) -> Vec<Effect> {
        self.refresh_current(true)
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        self.dirty = true;
        match msg {
            Msg::Key(k) => self.on_key(k),
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                let vp = self.viewport();
                if let Some(l) = self.current_list_mut() {
                    let sel = l.selected;
                    l.select(sel, vp);
                }
                self.refresh_current(false)
            }
            Msg::Tick(at, now) => {
                self.instant = at;
                self.now = now;
                let mut fx = self.refresh_current(false);
                fx.extend(self.actions.tick(at));
                fx
            }
            Msg::Window { entity, seq, offset, result } => self.on_window(entity, seq, offset, result),
            Msg::Delta { entity, seq, result } => self.on_delta(entity, seq, result),
            Msg::Overview { seq, result } => {
                if seq != self.overview.seq {
                    return Vec::new();
                }
                self.overview.in_flight = false;
                self.overview.last_refresh = Some(self.instant);
                match result {
                    Ok(d) => {
                        self.ok();
                        self.overview.absorb(d);
                    }
                    Err(e) => self.failed(&e),
                }
                Vec::new()
            }
            Msg::Detail { seq, result } => {
                let instant = self.instant;
                let outcome = {
                    let Some(d) = self.current_detail_mut().filter(|d| d.seq == seq) else { return Vec::new() };
                    d.in_flight = false;
                    d.last_refresh = Some(instant);
                    match result {
                        Ok(data) => {
                            d.absorb(data);
                            Ok(())
                        }
                        Err(e) => {
                            d.error = Some(e.to_string());
                            Err(e)
                        }
                    }
                };
                match outcome {
                    Ok(()) => self.ok(),
                    Err(e) => self.failed(&e),
                }
                Vec::new()
            }
            Msg::Action(ev) => self.on_action_event(ev),
        }
    }

    fn ok(&mut self) {
        self.conn.last_ok = Some(self.now);
        if self.conn.stale_since.take().is_some() {
            self.flash(Level::Success, "instance answering again");
        }
    }

    fn failed(&mut self, e: &Error) {
        if e.is_refusal() {
            // The instance is there and answering: say what it refused, stay live.
            self.ok();
            self.flash(Level::Warn, e.to_string());
            return;
        }
        if self.conn.stale_since.is_none() {
            self.conn.stale_since = Some(self.conn.last_ok.unwrap_or(self.now));
        }
        self.conn.reason = e.short();
        self.flash(Level::Error, e.to_string());
    }

    fn due(&self, last: Option<Instant>) -> bool {
        match last {
            None => true,
            Some(t) => self.instant.saturating_duration_since(t) >= self.settings.refresh,
        }
    }

    /// Loads or refreshes what is on screen; one request in flight per view.
    pub fn refresh_current(&mut self, force: bool) -> Vec<Effect> {
        let live = !self.frozen || force;
        match self.stack.last() {
            Some(Screen::View(ViewKind::Overview)) => {
                if self.overview.in_flight || !(force || (live && self.due(self.overview.last_refresh))) {
                    return Vec::new();
                }
                let seq = self.seq();
                self.overview.seq = seq;
                self.overview.in_flight = true;
                vec![Effect::LoadOverview { seq }]
            }
            Some(Screen::View(ViewKind::List(e))) => {
                let e = *e;
                self.refresh_list(e, force, live)
            }
            Some(Screen::Detail(_)) => {
                let instant_due = {
                    let d = self.current_detail().expect("detail on top");
                    !d.in_flight && (force || (live && (self.due(d.last_refresh) || self.following_fast(d))))
                };
                if !instant_due {
                    return Vec::new();
                }
                let seq = self.seq();
                let d = self.current_detail_mut().expect("detail on top");
                d.seq = seq;
                d.in_flight = true;
                vec![Effect::LoadDetail { seq, entity: d.entity, sys_id: d.sys_id.clone() }]
            }
            None => Vec::new(),
        }
    }

    /// An execution still running refreshes every second, so its steps appear live.
    fn following_fast(&self, d: &DetailState) -> bool {
        !d.exec_finished()
            && d.last_refresh.is_some_and(|t| self.instant.saturating_duration_since(t) >= Duration::from_secs(1))
    }

    fn refresh_list(&mut self, e: Entity, force: bool, live: bool) -> Vec<Effect> {
        let table = self.settings.tables.name(e).to_string();
        let vp = self.viewport();
        let seq = self.seq();
        let instant = self.instant;
        let refresh = self.settings.refresh;
        let l = self.lists.get_mut(&e).expect("every entity has a list");
        if l.in_flight {
            return Vec::new();
        }
        if l.needs_window || !l.loaded {
            let offset = if l.loaded { l.wanted_offset(vp) } else { 0 };
            l.seq = seq;
            l.in_flight = true;
            l.last_refresh = Some(instant);
            let spec = l.window_spec(&table, offset);
            // The first load also finds where the live delta starts.
            let prime = l.delta.is_none().then(|| {
                let mut p = ListSpec::new(&table);
                p.fields = l.entity.list_fields().iter().map(|s| s.to_string()).collect();
                p
            });
            return vec![Effect::LoadWindow { entity: e, seq, spec, prime }];
        }
        let due = l.last_refresh.is_none_or(|t| instant.saturating_duration_since(t) >= refresh);
        if !(force || (live && due)) {
            return Vec::new();
        }
        let Some(delta) = l.delta.clone() else { return Vec::new() };
        l.seq = seq;
        l.in_flight = true;
        l.last_refresh = Some(instant);
        vec![Effect::Delta { entity: e, seq, delta }]
    }

    fn on_window(
        &mut self,
        e: Entity,
        seq: u64,
        offset: usize,
        result: Result<(Page, Option<Delta>), Error>,
    ) -> Vec<Effect> {
        let Some(l) = self.lists.get_mut(&e) else { return Vec::new() };
        if l.seq != seq {
            return Vec::new();
        }
        l.in_flight = false;
        match result {
            Ok((page, delta)) => {
                l.set_window(offset, page.records, page.total);
                if delta.is_some() {
                    l.delta = delta;
                }
                self.ok();
                // The viewport may have moved on while this window was loading.
                let vp = self.viewport();
                let l = self.lists.get_mut(&e).expect("present");
                let sel = l.selected;
                if l.select(sel, vp) {
                    return self.refresh_current(false);
                }
            }
            Err(err) => {
                l.error = Some(err.to_string());
                self.failed(&err);
            }
        }
        Vec::new()
    }

    fn on_delta(&mut self, e: Entity, seq: u64, result: Result<(Delta, Vec<Record>), Error>) -> Vec<Effect> {
        let Some(l) = self.lists.get_mut(&e) else { return Vec::new() };
        if l.seq != seq {
            return Vec::new();
        }
        l.in_flight = false;
        match result {
            Ok((delta, changed)) => {
                l.delta = Some(delta);
                self.actions.observe(&changed);
                let l = self.lists.get_mut(&e).expect("present");
                l.merge(changed);
                self.ok();
                if self.lists.get(&e).is_some_and(|l| l.needs_window) {
                    return self.refresh_current(true);
                }
            }
            Err(err) => self.failed(&err),
        }
        Vec::new()
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        match m.kind {
            MouseEventKind::ScrollDown => self.act(Action::Down),
            MouseEventKind::ScrollUp => self.act(Action::Up),
            MouseEventKind::Down(_) => {
                // Rows start below the header (3 rows) and the table header (1 row + border).
                let row = m.row as usize;
                if let Some(l) = self.current_list() {
                    let first = 5;
                    if row >= first {
                        let abs = l.scroll + row - first;
                        let vp = self.viewport();
                        if abs < l.len() {
                            let l = self.current_list_mut().expect("list on top");
                            if l.select(abs, vp) {
                                return self.refresh_current(true);
                            }
                        }
                    }
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if k.kind == crossterm::event::KeyEventKind::Release {
            return Vec::new();
        }
        let (min_w, min_h) = crate::ui::MIN_SIZE;
        if self.size.0 < min_w || self.size.1 < min_h {
            // Nothing of the state shows on the "too small" screen: only quitting acts.
            return match self.keymap.action(&k) {
                Some(Action::Quit) => self.act(Action::Quit),
                _ => Vec::new(),
            };
        }
        if self.actions.modal_open() {
            return self.actions_key(k);
        }
        match &mut self.mode {
            Mode::Help => {
                self.mode = Mode::Normal;
                return Vec::new();
            }
            Mode::Filter(input) => match k.code {
                KeyCode::Esc => {
                    self.mode = Mode::Normal;
                    if let Some(l) = self.current_list_mut() {
                        l.quick_filter.clear();
                    }
                    return Vec::new();
                }
                KeyCode::Enter => {
                    let text = input.value().to_string();
                    self.mode = Mode::Normal;
                    return self.apply_filter(&text);
                }
                _ => {
                    input.handle_event(&crossterm::event::Event::Key(k));
                    let text = input.value().to_string();
                    let vp = self.viewport();
                    if let Some(l) = self.current_list_mut() {
                        l.quick_filter = text;
                        l.select(0, vp);
                    }
                    return Vec::new();
                }
            },
            Mode::Command(input) => match k.code {
                KeyCode::Esc => {
                    self.mode = Mode::Normal;
                    return Vec::new();
                }
                KeyCode::Tab => {
                    if let Some(c) = complete(input.value()).first() {
                        *input = Input::new(c.to_string());
                    }
                    return Vec::new();
                }
                KeyCode::Enter => {
                    let text = input.value().trim().to_string();
                    self.mode = Mode::Normal;
                    return self.run_command(&text);
                }
                _ => {
                    input.handle_event(&crossterm::event::Event::Key(k));
                    return Vec::new();
                }
            },
            Mode::Normal => {}
        }
        match self.keymap.action(&k) {
            Some(a) => self.act(a),
            None => Vec::new(),
        }
    }

    /// Commands typed after `:` — view names, `q`, `help`, `freeze`.
    fn run_command(&mut self, cmd: &str) -> Vec<Effect> {
        let name = cmd.trim_start_matches(':');
        match name {
            "q" | "quit" => self.act(Action::Quit),
            "help" => self.act(Action::Help),
            "freeze" => self.act(Action::Freeze),
            _ => match VIEWS.iter().find(|v| v.name() == name || v.name().starts_with(name) && !name.is_empty()) {
                Some(v) => self.switch(*v),
                None => {
                    self.flash(Level::Warn, format!("unknown command `{name}` (views: {})", view_names().join(", ")));
                    Vec::new()
                }
            },
        }
    }

    fn apply_filter(&mut self, text: &str) -> Vec<Effect> {
        let providers: Vec<Record> = self.overview.data.as_ref().map(|d| d.providers.clone()).unwrap_or_default();
        let Some(l) = self.current_list_mut() else { return Vec::new() };
        let t = text.trim();
        let result = if l.is_drill_down() && !list::looks_encoded(t) {
            // Inside a drill-down: words narrow it; nothing typed keeps it as it was.
            if t.is_empty() {
                l.quick_filter.clear();
                return Vec::new();
            }
            let label = format!("{} + \"{t}\"", l.query_label);
            Ok((list::refine(l.query.clone(), l.entity, t, &providers), label, false))
        } else {
            list::filter_query(l.entity, t, &providers).map(|q| (q, t.to_string(), true))
        };
        match result {
            Ok((q, label, typed)) => {
                if typed {
                    l.set_typed_query(q, label);
                } else {
                    l.set_query(q, label);
                }
                self.refresh_current(true)
            }
            Err(e) => {
                self.flash(Level::Warn, format!("filter: {e}"));
                Vec::new()
            }
        }
    }

    /// A drill-down's filter belongs to the drill-down: leaving it shows the whole list
    /// again (a filter the operator typed stays).
    fn leave_drill_down(&mut self, e: Entity) {
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

    fn push_detail(&mut self, entity: Entity, sys_id: &str, title: &str) -> Vec<Effect> {
        if sys_id.is_empty() {
            self.flash(Level::Warn, "nothing to open here");
            return Vec::new();
        }
        self.stack.push(Screen::Detail(Box::new(DetailState::new(entity, sys_id, title))));
        self.refresh_current(true)
    }

    /// Opens a list filtered by `q` on top of the stack (a drill-down).
    fn push_list(&mut self, entity: Entity, q: Query, label: String) -> Vec<Effect> {
        if let Some(l) = self.lists.get_mut(&entity) {
            l.set_query(q, label);
        }
        self.stack.push(Screen::View(ViewKind::List(entity)));
        self.refresh_current(true)
    }

    pub fn act(&mut self, a: Action) -> Vec<Effect> {
        let vp = self.viewport();
        match a {
            Action::Quit => {
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
                if let Some(l) = self.current_list() {
                    // A typed filter comes back to edit; a drill-down's label is no filter.
                    let text = if l.is_drill_down() { String::new() } else { l.query_label.clone() };
                    self.mode = Mode::Filter(Input::new(text));
                } else {
                    self.flash(Level::Info, "filter works in list views (2–7)");
                }
                Vec::new()
            }
            Action::Command => {
                self.mode = Mode::Command(Input::default());
                Vec::new()
            }
            Action::Freeze => {
                self.frozen = !self.frozen;
                self.flash(
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
            Action::Back => {
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
                } else if let Some(l) =
                    self.current_list_mut().filter(|l| !l.query.is_empty() || !l.quick_filter.is_empty())
                {
                    l.set_query(Query::new(), String::new());
                    self.refresh_current(true)
                } else {
                    Vec::new()
                }
            }
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
            Action::Sort => {
                let Some(l) = self.current_list_mut() else { return Vec::new() };
                let cols = crate::ui::columns(l.entity);
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
                let label =
                    l.sort.as_ref().map(|o| format!("sorted by {} {}", o.field, if o.desc { "↓" } else { "↑" }));
                l.reset_window();
                self.flash(Level::Info, label.unwrap_or_else(|| "sorted newest first".into()));
                self.refresh_current(true)
            }
            Action::Copy => match self.selected_record() {
                Some((_, r)) => {
                    let json = serde_json::to_string_pretty(&r.to_json()).unwrap_or_default();
                    self.flash(Level::Success, "copied the record as JSON (OSC 52)");
                    vec![Effect::Copy(json)]
                }
                None => Vec::new(),
            },
            Action::Open => match self.selected_record() {
                Some((e, r)) => {
                    let table = self.settings.tables.name(e).to_string();
                    let url = format!(
                        "{}/nav_to.do?uri={table}.do?sys_id={}",
                        self.settings.instance.trim_end_matches('/'),
                        r.sys_id()
                    );
                    self.flash(Level::Info, format!("opening {url}"));
                    vec![Effect::OpenUrl(url)]
                }
                None => Vec::new(),
            },
            Action::Provider => {
                let target = self.selected_record().and_then(|(e, r)| {
                    let f = e.provider_field()?;
                    Some((r.get(f).to_string(), r.show(f).to_string()))
                });
                match target {
                    Some((id, title)) if !id.is_empty() => self.push_detail(Entity::Providers, &id, &title),
                    _ => {
                        self.flash(Level::Info, "no provider on this record");
                        Vec::new()
                    }
                }
            }
            Action::History => {
                let target = self.selected_record().and_then(|(e, r)| match e {
                    Entity::WorkOrders => Some((Condition::eq("task", r.sys_id()), r.show("number").to_string())),
                    Entity::Outbound | Entity::Inbound if !r.get("document_id").is_empty() => {
                        Some((Condition::eq("task", r.get("document_id")), r.show("document_id").to_string()))
                    }
                    Entity::Providers => Some((Condition::eq("provider", r.sys_id()), r.show("title").to_string())),
                    _ => None,
                });
                match target {
                    Some((c, label)) => self.push_list(Entity::History, Query::new().and(c), format!("record {label}")),
                    None => {
                        self.flash(Level::Info, "no sync history for this record");
                        Vec::new()
                    }
                }
            }
            Action::Retry
            | Action::Skip
            | Action::CancelWorkOrder
            | Action::CreateWorkOrder
            | Action::UpdateWorkOrder
            | Action::Mark
            | Action::MarkAll => self.action_key(a),
        }
    }

    /// The record under the cursor: a list row, a detail's related row, or the detail's record.
    pub fn selected_record(&self) -> Option<(Entity, &Record)> {
        match self.screen() {
            Screen::View(ViewKind::List(e)) => self.lists.get(e)?.selected_record().map(|r| (*e, r)),
            Screen::Detail(d) => d.selected_related().or_else(|| d.data.as_ref().map(|x| (d.entity, &x.record))),
            Screen::View(ViewKind::Overview) => None,
        }
    }

    fn navigate(&mut self, a: Action, vp: usize) -> Vec<Effect> {
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
    fn enter(&mut self) -> Vec<Effect> {
        match self.screen().clone() {
            Screen::View(ViewKind::Overview) => {
                let Some(g) = self.overview.groups.get(self.overview.selected_group).cloned() else {
                    return self.switch(ViewKind::List(Entity::Outbound));
                };
                // The group's failed entries, newest first.
                let mut q = Query::new().and(Condition::eq("state", "error"));
                if let Ok(c) = Condition::in_list("last_error", g.messages.iter().filter(|m| !m.contains(','))) {
                    if g.messages.iter().any(|m| m.contains(',')) {
                        q = q.and(Condition::new("last_error", crate::query::Op::Like, common_prefix(&g.messages)));
                    } else {
                        q = q.and(c);
                    }
                }
                self.push_list(Entity::Outbound, q, format!("error group: {}", g.label()))
            }
            Screen::View(ViewKind::List(e)) => {
                let Some(r) = self.lists.get(&e).and_then(|l| l.selected_record()).cloned() else { return Vec::new() };
                let title = title_of(e, &r);
                self.push_detail(e, r.sys_id(), &title)
            }
            Screen::Detail(d) => {
                if let Some((e, r)) = d.selected_related() {
                    let title = title_of(e, r);
                    let id = r.sys_id().to_string();
                    return self.push_detail(e, &id, &title);
                }
                // On a step: open the execution itself (when this is not already it).
                match (d.entity, d.data.as_ref()) {
                    (Entity::Executions, _) | (_, None) => Vec::new(),
                    (_, Some(data)) => match &data.exec {
                        Some(detail::ExecView::Loaded(x)) => {
                            let id = x.execution.sys_id().to_string();
                            let name = x.execution.get("name").to_string();
                            self.push_detail(Entity::Executions, &id, &name)
                        }
                        _ => Vec::new(),
                    },
                }
            }
        }
    }
}

fn common_prefix(msgs: &[String]) -> &str {
    let first = msgs.first().map(String::as_str).unwrap_or("");
    let mut end = first.len();
    for m in msgs.iter().skip(1) {
        end = end.min(first.bytes().zip(m.bytes()).take_while(|(a, b)| a == b).count());
    }
    while !first.is_char_boundary(end) {
        end -= 1;
    }
    first[..end].split(',').next().unwrap_or("")
}

/// What a record is called in breadcrumbs.
pub fn title_of(e: Entity, r: &Record) -> String {
    let f = match e {
        Entity::Providers => "title",
        Entity::Executions | Entity::Flows => "name",
        Entity::History => "operation",
        _ => "number",
    };
    let t = r.show(f);
    if t.is_empty() { r.sys_id().chars().take(8).collect() } else { t.to_string() }
}

pub fn view_names() -> Vec<&'static str> {
    VIEWS.iter().map(|v| v.name()).chain(["quit", "help", "freeze"]).collect()
}

/// Completions for the command palette.
pub fn complete(prefix: &str) -> Vec<&'static str> {
    let p = prefix.trim_start_matches(':');
    view_names().into_iter().filter(|n| n.starts_with(p)).collect()
}

/// Keys an operator may press in a text field without it being an action.
pub fn is_plain(k: &KeyEvent) -> bool {
    !k.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}
