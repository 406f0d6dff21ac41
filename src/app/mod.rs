//! The console's state machine: `update(msg) -> effects`, pure — no I/O, no terminal,
//! no clock reads except the `now` carried by messages. Every behaviour of the console
//! can be driven from a test by feeding it keys and messages.

pub mod actions;
pub mod bulk;
pub mod detail;
mod dialogs;
pub mod filter;
pub mod fleet;
mod input;
mod job;
pub mod keys;
pub mod layout;
pub mod list;
pub mod log;
mod navigation;
pub mod overview;
pub mod plans;
pub mod refresh;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, MouseEvent};
use tui_input::Input;

use crate::client::read::{Delta, ListSpec, Page};
use crate::client::{Error, Record, Tables};
use crate::domain::{Entity, Operation};
use crate::ops::Subject;
use actions::{ActionEvent, Actions};
use detail::{DetailData, DetailState};
use keys::Keymap;
use list::ListState;
use overview::{Overview, OverviewData};
use plans::{DetailPlan, OverviewPlan};

/// The views the number keys switch between, in that order: the overview, then each
/// kind with a list of its own (the domain's registry, [`Entity::LISTED`]).
pub const VIEWS: [ViewKind; keys::VIEW_COUNT as usize] = {
    let mut views = [ViewKind::Overview; keys::VIEW_COUNT as usize];
    let mut i = 0;
    while i < Entity::LISTED.len() {
        views[i + 1] = ViewKind::List(Entity::LISTED[i]);
        i += 1;
    }
    views
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    Overview,
    List(Entity),
    /// This session's messages and actions, in full (`:log`).
    Log,
    /// One row per profile (`:fleet`).
    Fleet,
}

impl ViewKind {
    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Overview => "overview",
            ViewKind::Log => "log",
            ViewKind::Fleet => "fleet",
            ViewKind::List(e) => e.name(),
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            ViewKind::Overview => "Overview",
            ViewKind::Log => "Session log",
            ViewKind::Fleet => "Fleet",
            ViewKind::List(e) => e.label(),
        }
    }
}

/// `r` / `x` on an error group, waiting for the group's rows (see `actions`).
#[derive(Debug, Clone)]
struct GroupIntent {
    action: keys::Action,
    key: Option<(crossterm::event::KeyCode, crossterm::event::KeyModifiers)>,
    keys_seen: u64,
    context: String,
    /// The group's label, for saying what became of the intent.
    label: String,
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
    /// The instance's fields (and names) as the profile maps them: filters are checked against it.
    pub mapping: crate::domain::Mapping,
    /// A profile marked production: bulk work needs a typed confirmation.
    pub production: bool,
    /// Poll slower while nothing changes (false: every `refresh`, as before).
    pub adaptive: bool,
    /// The client's request budget and Batch API support, read between requests.
    pub meter: Option<crate::client::meter::Meter>,
    /// The profile connected to (`demo`: the embedded instance; `None`: `--instance`).
    pub profile: Option<String>,
    /// `REHEARSAL of <source> @ <time>`: the console runs on a snapshot's copy.
    pub rehearsal: Option<String>,
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
            mapping: crate::domain::Mapping::default(),
            production: false,
            adaptive: true,
            meter: None,
            profile: None,
            rehearsal: None,
        }
    }
}

/// Connection health as the header shows it.
#[derive(Debug, Clone, Default)]
pub struct Conn {
    pub last_ok: Option<chrono::DateTime<chrono::Utc>>,
    pub stale_since: Option<chrono::DateTime<chrono::Utc>>,
    pub reason: String,
    /// A request has waited for an answer since then (the client's retries go on).
    pub waiting_since: Option<Instant>,
    /// The instance asked for no requests before then (a long Retry-After).
    pub rate_limited_until: Option<std::time::SystemTime>,
}

/// How fresh what the header says of the connected instance is (the header's word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The screen on top polls it and it answered within a few polls: "live".
    Live,
    /// Nothing polls it now (frozen, or `:log` and `:fleet`, which do not ask it):
    /// "paused", with the age of the last answer.
    Paused,
    /// Polled, but its last answer is older than a few polls: "stale", with the age.
    Old,
}

/// What a status line is about, and so how long it holds (`:log` keeps every line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The screen it was said on, as it was then (a list with its filter): a reply to a
    /// key there, a filter's or sort's word. It goes when another screen comes on top or
    /// the list's filter changes.
    Screen,
    /// A key just pressed (a double tap swallowed): it goes with the next key.
    Key,
    /// A request the instance refused or did not answer: it goes when the instance
    /// answers again.
    Connection,
    /// The session's work, wherever the operator goes: an action sent and its outcome,
    /// a bulk job's result, a profile switch, freezing. It stays until something else
    /// is said.
    Session,
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
    LoadWindow {
        entity: Entity,
        seq: u64,
        spec: ListSpec,
        prime: Option<ListSpec>,
    },
    Delta {
        entity: Entity,
        seq: u64,
        delta: Delta,
    },
    LoadOverview {
        seq: u64,
        plan: OverviewPlan,
    },
    LoadDetail {
        seq: u64,
        entity: Entity,
        sys_id: String,
        plan: Box<DetailPlan>,
    },
    Act(actions::Job),
    /// Operations the console refused before sending (read-only, a rule, a field or
    /// value the table does not have): recorded in the audit log as the CLI records its
    /// own (`Ops::refuse`), one line per record, with the reason.
    Refused(Vec<(Operation, Subject)>, String),
    CancelBulk(u64),
    /// One fleet poll of a profile (the console holds a client per profile).
    PollFleet {
        profile: String,
        seq: u64,
        plan: fleet::FleetPlan,
    },
    /// Connect to another profile: a new client and runner; the console answers with
    /// [`App::switched`] or a notice saying why not.
    SwitchProfile(String),
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
    /// Something the terminal side did (a copy, opening the browser), told to the operator.
    Notice(Level, String),
    /// How the client sees the instance now (read on each tick): waiting, rate limited.
    Health(crate::client::Health),
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
    Fleet {
        profile: String,
        seq: u64,
        result: Result<fleet::FleetSample, Error>,
    },
}

pub struct App {
    pub settings: Settings,
    pub keymap: Keymap,
    pub stack: Vec<Screen>,
    pub lists: BTreeMap<Entity, ListState>,
    pub overview: Overview,
    pub fleet: fleet::Fleet,
    pub mode: Mode,
    pub actions: Actions,
    pub status: Option<(Level, String)>,
    /// What the status line is about (how long it holds), and the screen it was said on
    /// (`None`: not yet stamped, said outside an update).
    pub status_scope: Scope,
    status_context: Option<String>,
    /// Lines said so far (to tell whether an update said anything).
    said: u64,
    /// Everything said on the status line this session, in full.
    pub log: log::SessionLog,
    pub conn: Conn,
    pub frozen: bool,
    pub size: (u16, u16),
    pub now: chrono::DateTime<chrono::Utc>,
    pub instant: Instant,
    pub quit: bool,
    /// `q` was pressed while work was under way: the next `q` quits anyway.
    pub quit_armed: bool,
    /// Set when something changed; the runner draws and clears it.
    pub dirty: bool,
    /// Force a full redraw (ctrl-l).
    pub clear: bool,
    /// How often what is on screen is polled now.
    pub cadence: refresh::Cadence,
    /// The key that opened a dialog (kept while the dialog is open and only it comes) or
    /// answered one (once): pressed again at once, it is swallowed.
    guard: Option<((crossterm::event::KeyCode, crossterm::event::KeyModifiers), bool)>,
    /// The profile switched away from (and when), until the new one answers.
    switch_from: Option<(String, Instant)>,
    /// Keys pressed so far (a preview opens by itself only if none came meanwhile), and
    /// the last one.
    keys_seen: u64,
    last_key: Option<(crossterm::event::KeyCode, crossterm::event::KeyModifiers)>,
    /// `r` / `x` on an error group: the action, its key, the keys seen then, and the
    /// group's list (its context) whose rows are previewed when they arrive.
    group_intent: Option<GroupIntent>,
    next_seq: u64,
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
            fleet: fleet::Fleet::default(),
            mode: Mode::Normal,
            actions: Actions::default(),
            status: None,
            status_scope: Scope::Session,
            status_context: None,
            said: 0,
            log: log::SessionLog::default(),
            conn: Conn::default(),
            frozen: false,
            size: (80, 24),
            now: chrono::Utc::now(),
            instant: Instant::now(),
            quit: false,
            quit_armed: false,
            dirty: true,
            clear: false,
            cadence: refresh::Cadence::default(),
            guard: None,
            switch_from: None,
            keys_seen: 0,
            last_key: None,
            group_intent: None,
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

    /// Rows a list shows now (the status area takes one while a bulk job's line shows).
    pub fn viewport(&self) -> usize {
        layout::list_rows(self.size.1).saturating_sub(usize::from(self.job_rows())).max(1)
    }

    /// Rows the status area's bulk-job line takes (0 or 1).
    pub fn job_rows(&self) -> u16 {
        u16::from(self.job_line().is_some())
    }

    /// The bulk job's line in the status area: the job under way, or the last one for a
    /// while after it finished (unless the status line says the same just now).
    pub fn job_line(&self) -> Option<String> {
        let line = self.actions.bulk_line(self.instant)?;
        let repeated = self.actions.bulk_running().is_none()
            && self.status.as_ref().is_some_and(|(_, m)| m.starts_with(line.as_str()));
        (!repeated).then_some(line)
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

    /// Tells the operator something about the screen on top on the status line (it goes
    /// when another screen comes on top: [`Scope::Screen`]), and keeps it in the session
    /// log (the status line cuts at the screen's width; `:log` keeps the full text).
    pub fn flash(&mut self, level: Level, msg: impl Into<String>) {
        self.say(Scope::Screen, level, msg);
    }

    /// Tells the operator something that holds as long as `scope` says.
    pub fn say(&mut self, scope: Scope, level: Level, msg: impl Into<String>) {
        let msg = msg.into();
        self.log.push(self.now, level.clone(), &msg);
        self.status = Some((level, msg));
        self.status_scope = scope;
        self.status_context = None;
        self.said += 1;
    }

    /// What a [`Scope::Screen`] line is about: the screen on top (a list with its filter).
    fn context(&self) -> String {
        match self.stack.last() {
            Some(Screen::View(ViewKind::List(e))) => {
                format!("{} {} {}", self.stack.len(), e.name(), self.lists[e].query)
            }
            Some(Screen::View(v)) => format!("{} {}", self.stack.len(), v.name()),
            Some(Screen::Detail(d)) => format!("{} {} {}", self.stack.len(), d.entity.name(), d.sys_id),
            None => String::new(),
        }
    }

    /// After an update: a status line said in it is stamped with the screen it is about;
    /// an older one whose context has ended goes (a filter's word after the view
    /// changed, a double tap's after the next key).
    fn expire_status(&mut self, key: bool, said_before: u64) {
        let now = self.context();
        if self.said != said_before || self.status.is_none() {
            self.status_context = Some(now);
            return;
        }
        let stale = match (self.status_scope, &self.status_context) {
            (Scope::Screen, Some(was)) => *was != now,
            (Scope::Key, _) => key,
            _ => false,
        };
        if stale {
            self.status = None;
        } else if self.status_context.is_none() {
            self.status_context = Some(now);
        }
    }

    /// Whether the screen on top polls the connected instance: not while frozen, and not
    /// on `:log` (nothing to ask) or `:fleet` (it asks each profile's own client).
    pub fn polling(&self) -> bool {
        !self.frozen
            && matches!(self.screen(), Screen::View(ViewKind::Overview | ViewKind::List(_)) | Screen::Detail(_))
    }

    /// How the header may call the connected instance's last answer: "live" only while
    /// something polls it and it answered within [`App::live_for`].
    pub fn freshness(&self) -> Freshness {
        if !self.polling() {
            return Freshness::Paused;
        }
        let age = self.conn.last_ok.map(|ok| (self.now - ok).to_std().unwrap_or_default());
        match age {
            Some(age) if age >= self.live_for() => Freshness::Old,
            _ => Freshness::Live,
        }
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

    /// Handles one message. The screen is marked dirty only where something it shows
    /// may have changed: not for key releases, nor for answers to requests superseded.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let said = self.said;
        let key = matches!(&msg, Msg::Key(k) if k.kind != crossterm::event::KeyEventKind::Release);
        let fx = self.handle(msg);
        self.drop_left_group_intent();
        self.say_marks_cleared(said);
        self.expire_status(key, said);
        fx
    }

    fn handle(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(k) => self.on_key(k),
            Msg::Mouse(m) => {
                self.dirty = true;
                self.on_mouse(m)
            }
            Msg::Resize(w, h) => {
                self.dirty = true;
                self.size = (w, h);
                let vp = self.viewport();
                if let Some(l) = self.current_list_mut() {
                    let sel = l.selected;
                    l.select(sel, vp);
                }
                self.refresh_current(false)
            }
            Msg::Tick(at, now) => {
                // Relative times ("3s ago") move once a second.
                self.dirty |= now.timestamp() != self.now.timestamp();
                self.instant = at;
                self.now = now;
                self.check_switch(None);
                self.refresh_current(false)
            }
            Msg::Notice(level, text) => {
                self.dirty = true;
                self.flash(level, text);
                Vec::new()
            }
            Msg::Health(h) => {
                let (slow, limited) = (h.slow_since, h.rate_limited_until);
                self.dirty |=
                    slow != self.conn.waiting_since || limited != self.conn.rate_limited_until || slow.is_some();
                self.conn.waiting_since = slow;
                self.conn.rate_limited_until = limited;
                Vec::new()
            }
            Msg::Window { entity, seq, offset, result } => self.on_window(entity, seq, offset, result),
            Msg::Delta { entity, seq, result } => self.on_delta(entity, seq, result),
            Msg::Overview { seq, result } => self.on_overview(seq, result),
            Msg::Detail { seq, result } => self.on_detail(seq, result),
            Msg::Action(ev) => {
                self.dirty = true;
                self.on_action_event(ev)
            }
            Msg::Fleet { profile, seq, result } => self.on_fleet(&profile, seq, result),
        }
    }

    fn ok(&mut self) {
        self.conn.last_ok = Some(self.now);
        // What a refused or unanswered request said no longer holds.
        if self.status_scope == Scope::Connection {
            self.status = None;
        }
        if self.conn.stale_since.take().is_some() {
            self.say(Scope::Session, Level::Success, "instance answering again");
        }
        self.check_switch(Some(true));
    }

    fn failed(&mut self, e: &Error) {
        if e.is_refusal() {
            // The instance is there and answering: say what it refused, stay live.
            self.ok();
            self.say(Scope::Connection, Level::Warn, e.to_string());
            return;
        }
        if self.conn.stale_since.is_none() {
            self.conn.stale_since = Some(self.conn.last_ok.unwrap_or(self.now));
        }
        self.conn.reason = e.short();
        self.say(Scope::Connection, Level::Error, e.to_string());
        self.check_switch(Some(false));
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

pub use crate::domain::title_of;

/// The `:` commands besides the views' names, each with what may follow it and what it
/// does: the completion and the help are drawn from this table; `input::run_command` runs
/// them.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("log", "", "the session log"),
    ("fleet", "", "every profile's instance"),
    ("profile", "NAME", "switch profile"),
    ("ctx", "NAME", "the same as :profile"),
    ("sort", "[COLUMN [asc|desc]]", "sort the list (alone: newest first)"),
    ("cancel", "", "stop the bulk job"),
    ("quit", "", "quit"),
    ("help", "", "this help"),
    ("freeze", "", "freeze or resume live updates"),
];

pub fn view_names() -> Vec<&'static str> {
    VIEWS.iter().map(|v| v.name()).chain(COMMANDS.iter().map(|c| c.0)).collect()
}

/// Completions for the command palette.
pub fn complete(prefix: &str) -> Vec<&'static str> {
    let p = prefix.trim_start_matches(':');
    view_names().into_iter().filter(|n| n.starts_with(p)).collect()
}
