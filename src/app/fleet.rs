//! The fleet (`:fleet`): one row per configured profile with the health of its instance,
//! and switching the console to another profile (`:profile NAME`, `:ctx`, Enter on a row).
//!
//! Polled politely: only while the fleet is on screen, every [`POLL_EVERY`], one small
//! round of Aggregate counts per profile ([`FleetPlan`]), each profile on its own so a
//! silent instance delays nobody; a profile still waiting is not asked again.

use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};

use super::keys::Action;
use super::plans::{Answer, Request};
use super::{App, Effect, Level, Scope, Screen, Settings, ViewKind};
use crate::client::{Error, RateLimitInfo, Tables};
use crate::domain::Entity;
use crate::domain::state::{ExecState, QueueState};
use crate::query::{Condition, Query};
use crate::time::short_duration;

/// How often each profile is asked while the fleet is on screen.
pub const POLL_EVERY: Duration = Duration::from_secs(30);
/// A forced refresh (`r`, opening the fleet) still leaves a profile this long alone.
pub const MIN_GAP: Duration = Duration::from_secs(5);
/// A poll unanswered this long shows as such (the others go on regardless).
pub const SILENT_AFTER: Duration = Duration::from_secs(3);
/// How long a profile just switched to may stay silent before the console says so.
pub const SWITCH_SILENT: Duration = Duration::from_secs(10);
/// Counts older than this (a few polls missed) are not called live, whatever the reason.
pub const LIVE_FOR: Duration = Duration::from_secs(3 * POLL_EVERY.as_secs());
/// What the embedded instance is called when no profile is named `demo`.
pub const DEMO: &str = "demo";

/// A profile as the fleet lists it (nothing secret).
#[derive(Debug, Clone, PartialEq)]
pub struct FleetProfile {
    pub name: String,
    pub instance: String,
    pub read_only: bool,
    pub production: bool,
    pub tables: Tables,
}

/// What one poll learns of an instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetCounts {
    /// Outbound entries not yet worked off (ready, processing).
    pub queue: u64,
    pub out_errors: u64,
    pub exec_errors: u64,
    /// Providers with outbound entries in error.
    pub failing_providers: u64,
}

/// A poll's answer: the counts, and the rate limit the instance announced (if any).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetSample {
    pub counts: FleetCounts,
    pub rate: Option<RateLimitInfo>,
}

/// The requests of one poll: outbound counts by provider and state (queue depth, errors,
/// failing providers) and the count of executions in error. Both Aggregate API, no rows.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetPlan {
    pub requests: Vec<Request>,
}

impl FleetPlan {
    pub fn new(tables: &Tables) -> FleetPlan {
        let t = |e: Entity| tables.name(e).to_string();
        FleetPlan {
            requests: vec![
                Request::Count { table: t(Entity::Outbound), query: Query::new(), group_by: vec!["provider", "state"] },
                Request::Count {
                    table: t(Entity::Executions),
                    query: Query::new().and(Condition::eq("state", ExecState::Error.as_str())),
                    group_by: Vec::new(),
                },
            ],
        }
    }

    pub fn assemble(&self, answers: Vec<Answer>) -> FleetCounts {
        let mut a = answers.into_iter().map(|x| match x {
            Answer::Counts(c) => c,
            _ => Vec::new(),
        });
        let (outbound, executions) = (a.next().unwrap_or_default(), a.next().unwrap_or_default());
        let mut c = FleetCounts::default();
        let mut failing = std::collections::BTreeSet::new();
        for (keys, n) in outbound {
            let (provider, state) = (keys.first().map(String::as_str).unwrap_or(""), keys.get(1));
            match state.map(String::as_str).and_then(QueueState::parse) {
                Some(QueueState::Error) => {
                    c.out_errors += n;
                    if n > 0 {
                        failing.insert(provider.to_string());
                    }
                }
                Some(s) if QueueState::WAITING.contains(&s) => c.queue += n,
                _ => {}
            }
        }
        c.failing_providers = failing.len() as u64;
        c.exec_errors = executions.iter().map(|(_, n)| n).sum();
        c
    }
}

/// One profile's row.
#[derive(Debug, Clone)]
pub struct FleetRow {
    pub profile: FleetProfile,
    pub seq: u64,
    /// When the poll in flight was sent.
    pub asked: Option<Instant>,
    pub in_flight: bool,
    /// The last good answer.
    pub sample: Option<FleetSample>,
    pub last_ok: Option<DateTime<Utc>>,
    /// Since when the polls fail, and the last failure's short reason.
    pub failing: Option<(DateTime<Utc>, String)>,
    /// A long rate limit announced with a failure: nothing is sent before then.
    pub limited_until: Option<SystemTime>,
}

/// How a row reads at a glance.
#[derive(Debug, Clone, PartialEq)]
pub enum RowState {
    /// Never answered yet; asking (for this long).
    Asking(Duration),
    /// Answered within [`LIVE_FOR`], polled, not failing.
    Live,
    /// Answered before, fails now, has not answered for [`LIVE_FOR`], or is not polled
    /// (frozen): the counts shown are from `since`.
    Stale {
        since: DateTime<Utc>,
        reason: String,
    },
    /// Never answered: down, and why.
    Down(String),
    RateLimited(SystemTime),
}

impl FleetRow {
    pub fn state(&self, now: Instant, wall: SystemTime) -> RowState {
        let limited = self.limited_until.or_else(|| self.sample.as_ref()?.rate.as_ref()?.until);
        if let Some(t) = limited.filter(|t| *t > wall) {
            return RowState::RateLimited(t);
        }
        match (&self.failing, &self.sample) {
            (Some((since, reason)), Some(_)) => RowState::Stale { since: *since, reason: reason.clone() },
            (Some((_, reason)), None) => RowState::Down(reason.clone()),
            (None, Some(_)) => {
                // Counts a few polls old are not live, even before a poll fails: a
                // silent instance's client may still be retrying.
                let age = self.last_ok.map(|ok| (DateTime::<Utc>::from(wall) - ok).num_seconds().max(0));
                match (self.last_ok, age) {
                    (Some(since), Some(age)) if age >= LIVE_FOR.as_secs() as i64 => {
                        let reason = match self.silent_for(now) {
                            Some(d) => format!("no answer for {}", short_duration(d.as_secs() as i64)),
                            None => format!("last answer {} ago", short_duration(age)),
                        };
                        RowState::Stale { since, reason }
                    }
                    _ => RowState::Live,
                }
            }
            (None, None) => RowState::Asking(self.asked.map(|t| now.saturating_duration_since(t)).unwrap_or_default()),
        }
    }

    /// A poll in flight unanswered for a while (the row says so; the others go on).
    pub fn silent_for(&self, now: Instant) -> Option<Duration> {
        let waited = now.saturating_duration_since(self.asked?);
        (self.in_flight && waited >= SILENT_AFTER).then_some(waited)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Fleet {
    pub rows: Vec<FleetRow>,
    pub selected: usize,
}

impl Fleet {
    pub fn new(profiles: Vec<FleetProfile>) -> Fleet {
        let rows = profiles
            .into_iter()
            .map(|profile| FleetRow {
                profile,
                seq: 0,
                asked: None,
                in_flight: false,
                sample: None,
                last_ok: None,
                failing: None,
                limited_until: None,
            })
            .collect();
        Fleet { rows, selected: 0 }
    }

    /// The names `:profile` takes: every profile, and `demo` unless a profile has that name.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.rows.iter().map(|r| r.profile.name.as_str()).collect();
        if !v.contains(&DEMO) {
            v.push(DEMO);
        }
        v
    }
}

impl App {
    /// How a fleet row reads now: [`FleetRow::state`], and while the console is frozen
    /// (nothing is polled) counts that would read live read as paused, with their time.
    pub fn fleet_row_state(&self, r: &FleetRow) -> RowState {
        match r.state(self.instant, SystemTime::from(self.now)) {
            RowState::Live if self.frozen => match r.last_ok {
                Some(since) => RowState::Stale { since, reason: "polling paused: f resumes".into() },
                None => RowState::Live,
            },
            s => s,
        }
    }

    /// Polls the profiles that are due: not waiting for an answer, asked long enough ago.
    pub(super) fn poll_fleet(&mut self, force: bool) -> Vec<Effect> {
        if self.frozen && !force {
            return Vec::new();
        }
        let now = self.instant;
        let gap = if force { MIN_GAP } else { POLL_EVERY };
        let due: Vec<usize> = (0..self.fleet.rows.len())
            .filter(|i| {
                let r = &self.fleet.rows[*i];
                !r.in_flight && r.asked.is_none_or(|t| now.saturating_duration_since(t) >= gap)
            })
            .collect();
        let mut fx = Vec::new();
        for i in due {
            let seq = self.seq();
            let r = &mut self.fleet.rows[i];
            r.seq = seq;
            r.in_flight = true;
            r.asked = Some(now);
            let plan = FleetPlan::new(&r.profile.tables);
            fx.push(Effect::PollFleet { profile: r.profile.name.clone(), seq, plan });
        }
        fx
    }

    pub(super) fn on_fleet(&mut self, profile: &str, seq: u64, result: Result<FleetSample, Error>) -> Vec<Effect> {
        let now = self.now;
        let Some(r) = self.fleet.rows.iter_mut().find(|r| r.profile.name == profile && r.seq == seq) else {
            return Vec::new();
        };
        r.in_flight = false;
        match result {
            Ok(s) => {
                r.sample = Some(s);
                r.last_ok = Some(now);
                r.failing = None;
                r.limited_until = None;
            }
            Err(e) => {
                if let Error::RateLimited { until: Some(t), .. } = &e {
                    r.limited_until = Some(*t);
                }
                let since = r.failing.as_ref().map(|(s, _)| *s).or(r.last_ok).unwrap_or(now);
                // A profile that cannot be polled at all (its secret, its ca_file) says why.
                let reason = match e {
                    Error::Invalid(why) => why,
                    e => e.short(),
                };
                r.failing = Some((since, reason));
            }
        }
        self.dirty |= matches!(self.screen(), Screen::View(ViewKind::Fleet));
        Vec::new()
    }

    pub(super) fn fleet_navigate(&mut self, a: Action) {
        let last = self.fleet.rows.len().saturating_sub(1);
        let cur = self.fleet.selected;
        self.fleet.selected = match a {
            Action::Up | Action::PageUp => cur.saturating_sub(1),
            Action::Down | Action::PageDown => (cur + 1).min(last),
            Action::Top => 0,
            _ => last,
        };
    }

    /// Enter on a fleet row: that profile's overview (a switch, as `:profile NAME`; the
    /// profile connected to now: its overview at once).
    pub(super) fn fleet_enter(&mut self) -> Vec<Effect> {
        match self.fleet.rows.get(self.fleet.selected).map(|r| r.profile.name.clone()) {
            Some(name) if self.settings.profile.as_deref() == Some(name.as_str()) => self.switch(ViewKind::Overview),
            Some(name) => self.request_profile(&name),
            None => Vec::new(),
        }
    }

    /// `:profile NAME`: asks the console to connect to another profile. Refused while
    /// work is under way (its outcome would arrive on the old connection, and be lost).
    pub fn request_profile(&mut self, name: &str) -> Vec<Effect> {
        let name = name.trim();
        let names = self.fleet.names();
        if name.is_empty() {
            let current = self.settings.profile.as_deref().unwrap_or("(none)");
            self.flash(
                Level::Info,
                format!("profile: {current}; :profile NAME switches to one of {}", names.join(", ")),
            );
            return Vec::new();
        }
        if !names.contains(&name) {
            self.flash(Level::Warn, format!("no profile `{name}` (have: {})", names.join(", ")));
            return Vec::new();
        }
        if let Some(job) = self.actions.bulk_running() {
            let verb = job.job.op.verb();
            self.flash(
                Level::Warn,
                format!(
                    "refused: a bulk {verb} is under way on this instance; switch when it has finished (:cancel stops it)"
                ),
            );
            return Vec::new();
        }
        if !self.actions.running.is_empty() {
            self.flash(Level::Warn, "refused: an action is under way on this instance; switch when its outcome is in");
            return Vec::new();
        }
        if self.settings.profile.as_deref() == Some(name) {
            // Nothing to switch: the operator stays where they are.
            self.flash(Level::Info, format!("already on profile {name}: nothing to switch"));
            return Vec::new();
        }
        self.say(Scope::Session, Level::Info, format!("connecting to profile {name}…"));
        // Where to offer to go back to, until the new profile answers.
        self.switch_from = self.settings.profile.clone().map(|p| (p, self.instant));
        vec![Effect::SwitchProfile(name.to_string())]
    }

    /// After a switch: the new profile's first answer ends the offer to go back; a
    /// failure, or silence past [`SWITCH_SILENT`], says so and offers it again.
    pub(super) fn check_switch(&mut self, answered: Option<bool>) {
        let Some((back, since)) = self.switch_from.clone() else { return };
        let name = self.settings.profile.clone().unwrap_or_default();
        match answered {
            Some(true) => {
                self.switch_from = None;
                self.say(Scope::Session, Level::Success, format!("profile {name} answers: live"));
            }
            Some(false) => {
                self.switch_from = None;
                let why = self.status.as_ref().map(|(_, m)| m.clone()).unwrap_or_default();
                let msg = format!("profile {name} does not answer ({why}) — :profile {back} goes back");
                self.say(Scope::Session, Level::Error, msg);
            }
            None if self.instant.saturating_duration_since(since) >= SWITCH_SILENT => {
                self.switch_from = None;
                let secs = SWITCH_SILENT.as_secs();
                self.say(
                    Scope::Session,
                    Level::Error,
                    format!("profile {name} has not answered in {secs}s (still trying) — :profile {back} goes back"),
                );
            }
            None => {}
        }
    }

    /// The console connected to another instance: everything loaded from the old one
    /// goes, and the new one's overview loads. Answers to the old connection's requests
    /// can no longer match (sequence numbers only grow), and the console drops its channel.
    pub fn switched(&mut self, settings: Settings) -> Vec<Effect> {
        let name = settings.profile.clone().unwrap_or_default();
        let instance = settings.instance.clone();
        self.settings = settings;
        self.lists = Entity::ALL.iter().map(|e| (*e, super::list::ListState::new(*e))).collect();
        self.overview = super::overview::Overview::default();
        self.conn = super::Conn::default();
        self.actions.confirm = None;
        self.actions.form = None;
        self.actions.report = None;
        self.frozen = false;
        let back = self.switch_from.as_ref().map(|(p, _)| p.clone()).filter(|p| *p != name);
        self.switch_from = back.clone().map(|p| (p, self.instant));
        // Connected means configured, not answering: the first answer says it is live.
        let down = self.fleet.rows.iter().find(|r| r.profile.name == name).and_then(|r| r.failing.clone());
        let go_back = back.map(|p| format!(" — :profile {p} goes back")).unwrap_or_default();
        match down {
            Some((_, why)) => self.say(
                Scope::Session,
                Level::Warn,
                format!("profile {name} ({instance}) was down at the last fleet poll ({why}); trying it{go_back}"),
            ),
            None => {
                self.say(Scope::Session, Level::Info, format!("connecting to profile {name} ({instance})…{go_back}"))
            }
        }
        self.switch(ViewKind::Overview)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(v: &[(&[&str], u64)]) -> Answer {
        Answer::Counts(v.iter().map(|(k, n)| (k.iter().map(|s| s.to_string()).collect(), *n)).collect())
    }

    #[test]
    fn a_poll_is_two_aggregate_counts_and_reads_depth_errors_and_failing_providers() {
        let plan = FleetPlan::new(&Tables::default());
        assert_eq!(plan.requests.len(), 2);
        assert!(plan.requests.iter().all(|r| matches!(r, Request::Count { .. })), "{plan:?}");
        let c = plan.assemble(vec![
            counts(&[
                (&["p1", "ready"], 4),
                (&["p1", "processing"], 1),
                (&["p1", "error"], 2),
                (&["p2", "error"], 3),
                (&["p2", "processed"], 50),
                (&["p3", "skipped"], 1),
            ]),
            counts(&[(&[], 7)]),
        ]);
        assert_eq!(c, FleetCounts { queue: 5, out_errors: 5, exec_errors: 7, failing_providers: 2 });
    }
}
