//! Keeping what is on screen live: one request in flight per view, the latest wins, and
//! answers from stale requests are dropped.
//!
//! Only the screen on top polls, never while frozen, and adaptively ([`Cadence`]): every
//! `refresh` right after an action or while answers bring changes, then twice as slow with
//! each answer that brings nothing new, up to [`IDLE`] for a poll that costs one request (the
//! Batch API) — an idle overview costs at most 12 requests a minute and a change shows
//! within [`IDLE`] plus one round trip. A poll that costs more requests (no Batch API) is
//! spaced so that it costs no more, and polling is never planned beyond the hourly
//! request budget (which the client enforces itself).

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

/// Where the screen on top is in its polling.
#[derive(Debug, Clone, Default)]
pub struct Cadence {
    /// The screen being polled (a new screen starts fast).
    screen: String,
    /// Answers in a row that brought nothing new.
    pub quiet: u32,
    /// Fast until then (an action ran).
    busy_until: Option<Instant>,
}

impl Cadence {
    /// An answer came: `changed` if it brought anything new.
    pub fn saw(&mut self, changed: bool) {
        self.quiet = if changed { 0 } else { self.quiet.saturating_add(1) };
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
        let idle = (IDLE * cost).max(fast);
        let wanted = if busy { fast } else { (fast * 2u32.pow(self.cadence.quiet.min(8))).min(idle) };
        wanted.max(floor)
    }

    fn poll_due(&self, last: Option<Instant>, requests: usize) -> bool {
        last.is_none_or(|t| self.instant.saturating_duration_since(t) >= self.poll_interval(requests))
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
                // Planned from what is known of the record: its row, or its last load.
                let plan = DetailPlan::new(&tables, d.entity, &d.sys_id, d.basis());
                let due = self.poll_due(d.last_refresh, plan.requests.len()) || self.following_fast(d);
                if d.in_flight || !(force || (live && due)) {
                    return Vec::new();
                }
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

    /// An execution still running refreshes every second, so its steps appear live.
    pub(super) fn following_fast(&self, d: &DetailState) -> bool {
        !d.exec_finished()
            && d.last_refresh.is_some_and(|t| self.instant.saturating_duration_since(t) >= Duration::from_secs(1))
    }

    pub(super) fn refresh_list(&mut self, e: Entity, force: bool, live: bool) -> Vec<Effect> {
        let table = self.settings.tables.name(e).to_string();
        let vp = self.viewport();
        let seq = self.seq();
        let instant = self.instant;
        let refresh = self.poll_interval(1);
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
}
