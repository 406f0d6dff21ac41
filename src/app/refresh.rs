//! Keeping what is on screen live: one request in flight per view, the latest wins, and
//! answers from stale requests are dropped.

use std::time::{Duration, Instant};

use super::detail::DetailState;
use super::plans::{DetailPlan, OverviewPlan};
use super::{App, Effect, Screen, ViewKind};
use crate::client::read::{Delta, ListSpec, Page};
use crate::client::{Error, Record};
use crate::domain::Entity;

impl App {
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
                    d.absorb(data);
                    Ok(())
                }
                Err(e) => {
                    d.error = Some(e.to_string());
                    Err(e)
                }
            }
        };
        self.dirty = true;
        match outcome {
            Ok(()) => self.ok(),
            Err(e) => self.failed(&e),
        }
        Vec::new()
    }

    pub(super) fn due(&self, last: Option<Instant>) -> bool {
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
                vec![Effect::LoadOverview { seq, plan: OverviewPlan::new(&self.settings.tables) }]
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
                let tables = self.settings.tables.clone();
                let d = self.current_detail_mut().expect("detail on top");
                d.seq = seq;
                d.in_flight = true;
                // Planned from what is known of the record: its row, or its last load.
                let plan = DetailPlan::new(&tables, d.entity, &d.sys_id, d.basis());
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
                l.delta = Some(delta);
                if let Some(s) = self.actions.summary.as_mut() {
                    s.observe(&changed);
                }
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
