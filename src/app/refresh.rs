//! Keeping what is on screen live: one request in flight per view, the latest wins, and
//! answers from stale requests are dropped.
//!
//! Only the screen on top polls, never while frozen, and each poll of any view costs one
//! request where the instance has the Batch API (the overview's and a detail's plan, a
//! list's delta check with its header's count and, while its table changes fast, the
//! changed rows). Polls come every [`IDLE`] per request a poll costs — whatever the
//! instance does: a busy instance has its changes fetched in the same round, never
//! polled faster — so a change shows within [`IDLE`] plus one round trip and a console
//! costs at most 12 requests a minute. Faster only right after the operator acted
//! (every `refresh` for [`AFTER_ACTION`]) and while a running execution is followed,
//! and then out of a small allowance ([`BURST`] polls, earned back at one per [`IDLE`]):
//! at most 15 polls in any minute. Polling is never planned beyond the hourly request
//! budget (which the client enforces itself).

use std::time::{Duration, Instant};

use super::detail::DetailState;
use super::plans::{DetailPlan, OverviewPlan};
use super::{App, Effect, Screen, ViewKind};
use crate::client::budget;
use crate::client::read::{Delta, ListSpec, Page};
use crate::client::{Error, Record};
use crate::domain::Entity;

/// The slowest an unchanged screen is polled, per request a poll costs.
pub const IDLE: Duration = Duration::from_secs(5);
/// How long polling stays fast after an action.
pub const AFTER_ACTION: Duration = Duration::from_secs(30);

/// Polls beyond the steady one per [`IDLE`] that may go in a burst: 12 + 3 in any minute.
pub const BURST: f64 = 3.0;

/// How often a scrolled list's window is loaded again only to place the rows the live
/// changes brought above it (the rows on screen are kept current by the delta meanwhile;
/// only their positions may lag).
pub const PLACE_EVERY: Duration = Duration::from_secs(60);

/// Where the screen on top is in its polling.
#[derive(Debug, Clone, Default)]
pub struct Cadence {
    /// The screen being polled.
    screen: String,
    /// Answers in a row that brought nothing new.
    pub quiet: u32,
    /// Fast until then (an action ran).
    busy_until: Option<Instant>,
    /// Polls that may still go sooner than [`IDLE`] (up to [`BURST`]), as of `credit_at`.
    credit: f64,
    credit_at: Option<Instant>,
    /// When each list last loaded its window.
    windows: std::collections::HashMap<Entity, Instant>,
}

impl Cadence {
    /// An answer came: `changed` if it brought anything new.
    pub fn saw(&mut self, changed: bool) {
        self.quiet = if changed { 0 } else { self.quiet.saturating_add(1) };
    }

    /// The allowance at `now`, earned back at one poll per `every`.
    fn credit(&self, now: Instant, every: Duration) -> f64 {
        match self.credit_at {
            None => BURST,
            Some(t) => {
                let earned = now.saturating_duration_since(t).as_secs_f64() / every.as_secs_f64().max(0.001);
                (self.credit + earned).min(BURST)
            }
        }
    }

    /// One poll goes (a forced one is the operator's and spends nothing).
    fn spend(&mut self, now: Instant, every: Duration, forced: bool) {
        let c = self.credit(now, every);
        self.credit = if forced { c } else { (c - 1.0).max(0.0) };
        self.credit_at = Some(now);
    }
}

impl App {
    /// The interval between polls of the screen on top, for a poll of `requests`
    /// independent requests.
    pub fn poll_interval(&self, requests: usize) -> Duration {
        let fast = self.settings.refresh;
        if !self.settings.adaptive {
            return fast;
        }
        let (cost, limit) = match &self.settings.meter {
            Some(m) => (m.cost(requests), m.budget.state().limit),
            // No client to ask (the state machine's own tests): one request a poll.
            None => (1, budget::DEFAULT_PER_HOUR),
        };
        let cost = cost.max(1) as u32;
        // Never planned beyond the budget (the operator's requests come first anyway).
        let floor = budget::WINDOW.mul_f64(f64::from(cost) / f64::from(limit.max(1)));
        let busy = !self.actions.running.is_empty() || self.cadence.busy_until.is_some_and(|t| self.instant < t);
        let wanted = if busy { fast } else { self.steady_interval(cost) };
        wanted.max(floor)
    }

    /// How old an answer may be and still be called live: three polls of the costliest
    /// screen (the overview), at the steady pace (or slower, when the budget says so) —
    /// not the hurried one after an action, so the word does not flicker when the
    /// operator acts.
    pub fn live_for(&self) -> Duration {
        let requests = OverviewPlan::new(&self.settings.tables).requests.len();
        let steady = self.steady_interval(self.poll_cost(requests));
        self.poll_interval(requests).max(steady).max(self.settings.refresh) * 3
    }

    /// The interval of polls that cost `cost` requests each when nothing hurries them.
    fn steady_interval(&self, cost: u32) -> Duration {
        if self.settings.meter.as_ref().is_some_and(|m| m.served_by_others()) {
            // Answered from what the other consoles fetched (younger than half of IDLE):
            // asking that often keeps what shows no older than IDLE, at no request.
            return IDLE / 2 * cost.max(1);
        }
        (IDLE * cost.max(1)).max(self.settings.refresh)
    }

    /// What one poll of `requests` costs, in requests.
    fn poll_cost(&self, requests: usize) -> u32 {
        self.settings.meter.as_ref().map_or(1, |m| m.cost(requests)).max(1) as u32
    }

    /// Whether a poll of the screen on top may go sooner than the steady interval.
    fn may_hurry(&self, requests: usize) -> bool {
        !self.settings.adaptive
            || self.cadence.credit(self.instant, self.steady_interval(self.poll_cost(requests))) >= 1.0
    }

    fn poll_due(&self, last: Option<Instant>, requests: usize) -> bool {
        let Some(t) = last else { return true };
        let since = self.instant.saturating_duration_since(t);
        let steady = !self.settings.adaptive || since >= self.steady_interval(self.poll_cost(requests));
        since >= self.poll_interval(requests) && (steady || self.may_hurry(requests))
    }

    /// Books a poll of `requests` going now.
    fn spend(&mut self, requests: usize, forced: bool) {
        let every = self.steady_interval(self.poll_cost(requests));
        self.cadence.spend(self.instant, every, forced);
    }

    /// Notes which screen is on top and whether the operator just acted.
    fn track(&mut self, force: bool) {
        let screen = match self.stack.last() {
            Some(Screen::View(v)) => v.name().to_string(),
            Some(Screen::Detail(d)) => format!("{} {}", d.entity.name(), d.sys_id),
            None => String::new(),
        };
        if screen != self.cadence.screen || force {
            self.cadence.screen = screen;
            self.cadence.quiet = 0;
        }
        if !self.actions.running.is_empty() {
            self.cadence.busy_until = Some(self.instant + AFTER_ACTION);
        }
    }

    pub(super) fn on_overview(
        &mut self,
        seq: u64,
        result: Result<super::overview::OverviewData, Error>,
    ) -> Vec<Effect> {
        if seq != self.overview.seq {
            return Vec::new();
        }
        self.dirty = true;
        self.overview.in_flight = false;
        self.overview.last_refresh = Some(self.instant);
        match result {
            Ok(d) => {
                self.ok();
                self.cadence.saw(self.overview.data.as_ref() != Some(&d));
                self.overview.absorb(d);
            }
            Err(e) => self.failed(&e),
        }
        Vec::new()
    }

    pub(super) fn on_detail(&mut self, seq: u64, result: Result<super::detail::DetailData, Error>) -> Vec<Effect> {
        let instant = self.instant;
        let outcome = {
            let Some(d) = self.current_detail_mut().filter(|d| d.seq == seq) else { return Vec::new() };
            d.in_flight = false;
            d.last_refresh = Some(instant);
            match result {
                Ok(data) => {
                    let changed = d.data.as_ref() != Some(&data);
                    d.absorb(data);
                    Ok(changed)
                }
                Err(e) => {
                    d.error = Some(e.to_string());
                    Err(e)
                }
            }
        };
        self.dirty = true;
        match outcome {
            Ok(changed) => {
                self.cadence.saw(changed);
                self.ok()
            }
            Err(e) => self.failed(&e),
        }
        Vec::new()
    }

    /// Loads or refreshes what is on screen; one request in flight per view.
    pub fn refresh_current(&mut self, force: bool) -> Vec<Effect> {
        let live = !self.frozen || force;
        self.track(force);
        match self.stack.last() {
            Some(Screen::View(ViewKind::Overview)) => {
                let plan = OverviewPlan::new(&self.settings.tables);
                let due = self.poll_due(self.overview.last_refresh, plan.requests.len());
                if self.overview.in_flight || !(force || (live && due)) {
                    return Vec::new();
                }
                self.spend(plan.requests.len(), force);
                let seq = self.seq();
                self.overview.seq = seq;
                self.overview.in_flight = true;
                vec![Effect::LoadOverview { seq, plan }]
            }
            Some(Screen::View(ViewKind::List(e))) => {
                let e = *e;
                self.refresh_list(e, force, live)
            }
            Some(Screen::Detail(_)) => {
                let tables = self.settings.tables.clone();
                let d = self.current_detail().expect("detail on top");
                // Planned from what is known of the record: its row, or its last load (and
                // the execution it last showed, so a poll is one round).
                let plan = DetailPlan::new(&tables, d.entity, &d.sys_id, d.basis()).knowing(shown_execution(d));
                let n = plan.requests.len();
                let due = self.poll_due(d.last_refresh, n) || (self.following_fast(d) && self.may_hurry(n));
                if d.in_flight || !(force || (live && due)) {
                    return Vec::new();
                }
                self.spend(n, force);
                let seq = self.seq();
                let d = self.current_detail_mut().expect("detail on top");
                d.seq = seq;
                d.in_flight = true;
                vec![Effect::LoadDetail { seq, entity: d.entity, sys_id: d.sys_id.clone(), plan: Box::new(plan) }]
            }
            Some(Screen::View(ViewKind::Fleet)) => self.poll_fleet(force),
            Some(Screen::View(ViewKind::Log)) | None => Vec::new(),
        }
    }

    /// An execution still running refreshes every second (out of the allowance for hurried
    /// polls), so its steps appear live.
    pub(super) fn following_fast(&self, d: &DetailState) -> bool {
        !d.exec_finished()
            && d.last_refresh.is_some_and(|t| self.instant.saturating_duration_since(t) >= Duration::from_secs(1))
    }

    pub(super) fn refresh_list(&mut self, e: Entity, force: bool, live: bool) -> Vec<Effect> {
        let table = self.settings.tables.name(e).to_string();
        let vp = self.viewport();
        let seq = self.seq();
        let instant = self.instant;
        let (due, waits, lazy) = {
            let l = &self.lists[&e];
            // A window the live changes asked for while what the operator sees is still
            // loaded waits for a poll's turn rather than costing one more request: rows
            // they brought that belong somewhere in a sorted window, or a filter only the
            // instance evaluates, at the next poll; rows that belong above a scrolled
            // newest-first window (the rows in view are kept current by the delta, only
            // their positions lag) every PLACE_EVERY.
            let hi = l.window_offset + l.rows.len();
            let in_view = l.scroll >= l.window_offset && (l.scroll + vp).min(l.len()) <= hi;
            let waits = l.loaded && l.needs_window && in_view && l.quick_filter.is_empty();
            let fields = l.entity.list_fields();
            let lazy = l.default_order() && l.query.compile(|f| fields.iter().position(|x| *x == f)).is_ok();
            (!l.in_flight && l.loaded && self.poll_due(l.last_refresh, 1), waits, lazy)
        };
        if due && !force && live {
            self.spend(1, false);
        }
        if self.lists[&e].in_flight || (waits && !(force || (live && due))) {
            return Vec::new();
        }
        let placed = self.cadence.windows.get(&e).copied();
        let place = force || !lazy || placed.is_none_or(|t| instant.saturating_duration_since(t) >= PLACE_EVERY);
        let l = self.lists.get_mut(&e).expect("every entity has a list");
        if (l.needs_window || !l.loaded) && (!waits || place) {
            self.cadence.windows.insert(e, instant);
            let l = self.lists.get_mut(&e).expect("every entity has a list");
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
        if !(force || (live && due)) {
            return Vec::new();
        }
        let Some(mut delta) = l.delta.clone() else { return Vec::new() };
        // The header's count of the list, asked in the same round.
        delta.count = Some(l.query.clone());
        l.seq = seq;
        l.in_flight = true;
        l.last_refresh = Some(instant);
        vec![Effect::Delta { entity: e, seq, delta }]
    }

    pub(super) fn on_window(
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
        self.dirty = true;
        let l = self.lists.get_mut(&e).expect("present");
        l.in_flight = false;
        match result {
            Ok((page, delta)) => {
                l.set_window(offset, page.records, page.total);
                if delta.is_some() {
                    l.delta = delta;
                }
                self.ok();
                // The rows an error group's `r` / `x` waited for.
                let mut fx = self.group_rows_arrived();
                // The viewport may have moved on while this window was loading.
                let vp = self.viewport();
                let l = self.lists.get_mut(&e).expect("present");
                let sel = l.selected;
                if l.select(sel, vp) {
                    fx.extend(self.refresh_current(false));
                }
                return fx;
            }
            Err(err) => {
                l.error = Some(err.to_string());
                if let Some(intent) = self.group_intent.take() {
                    self.group_intent_dropped(&intent, &format!("its entries could not be listed ({})", err.short()));
                }
                self.failed(&err);
            }
        }
        Vec::new()
    }

    pub(super) fn on_delta(&mut self, e: Entity, seq: u64, result: Result<(Delta, Vec<Record>), Error>) -> Vec<Effect> {
        let Some(l) = self.lists.get_mut(&e) else { return Vec::new() };
        if l.seq != seq {
            return Vec::new();
        }
        self.dirty = true;
        let l = self.lists.get_mut(&e).expect("present");
        l.in_flight = false;
        match result {
            Ok((delta, changed)) => {
                self.cadence.saw(!changed.is_empty());
                let l = self.lists.get_mut(&e).expect("present");
                l.delta = Some(delta);
                let vp = self.viewport();
                let l = self.lists.get_mut(&e).expect("present");
                let total = l.delta.as_ref().and_then(|d| d.total);
                l.merge(changed);
                // The instance's count of the list's filter, from the same round.
                if let Some(n) = total {
                    l.total = Some(n as usize);
                    let sel = l.selected;
                    l.select(sel, vp);
                }
                self.ok();
                if self.lists.get(&e).is_some_and(|l| l.needs_window) {
                    return self.refresh_current(false);
                }
            }
            Err(err) => self.failed(&err),
        }
        Vec::new()
    }
}

/// The execution a detail shows, once loaded (a work order's newest: its next poll
/// checks that it still is, in the same round).
fn shown_execution(d: &DetailState) -> Option<String> {
    match d.data.as_ref()?.exec.as_ref()? {
        super::detail::ExecView::Loaded(x) => Some(x.execution.sys_id().to_string()).filter(|s| !s.is_empty()),
        super::detail::ExecView::NotInstalled(r, _) => Some(r.sys_id().to_string()).filter(|s| !s.is_empty()),
        super::detail::ExecView::None | super::detail::ExecView::Failed(_) => None,
    }
}
