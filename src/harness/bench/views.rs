//! What the instance feels of a console on each view, counted at the embedded instance
//! (`/sim/counters`: a Batch API call is one request) on tokio's paused clock at 100 ms
//! latency: requests a minute on the overview, every list, a detail and the fleet, with
//! nothing changing and with 30 changes a minute (the traffic generator), each beside
//! the overview's figure; and ten consoles on one instance and user, with and without
//! sharing their polls. Each console settles for a minute, then is counted for one.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crossterm::event::KeyCode;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Figure, fig};
use crate::app::fleet::{FleetProfile, FleetSample};
use crate::app::{Effect, Msg, Settings, ViewKind};
use crate::audit::Audit;
use crate::client::share::{Origin, Share};
use crate::client::{Auth, Client, ClientConfig, Entity, Tables, budget};
use crate::harness::headless::Headless;
use crate::sim::{self, SimConfig, SimHandle};

/// The instance latency of these figures (as the issue measured them).
pub const LATENCY: Duration = Duration::from_millis(100);
/// Changes a minute of the busy instance.
pub const CHANGES_PER_MIN: u32 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Overview,
    List(Entity),
    /// A record's detail opened from its list: an outbound entry's (its execution, its
    /// work order, the record's sync history), a work order's (its newest execution, its
    /// outbound entries and sync history).
    Detail(Entity),
    /// The fleet, with one profile: this instance.
    Fleet,
}

/// The views measured, with the names of their figures (idle, changing).
pub const VIEWS: [(View, &str, &str); 8] = [
    (View::Overview, "idle_requests_per_min_overview", "changing_requests_per_min_overview"),
    (View::List(Entity::Outbound), "idle_requests_per_min_outbound", "changing_requests_per_min_outbound"),
    (View::List(Entity::Inbound), "idle_requests_per_min_inbound", "changing_requests_per_min_inbound"),
    (View::List(Entity::Executions), "idle_requests_per_min_executions", "changing_requests_per_min_executions"),
    (View::List(Entity::History), "idle_requests_per_min_history", "changing_requests_per_min_history"),
    (View::List(Entity::WorkOrders), "idle_requests_per_min_work_orders", "changing_requests_per_min_work_orders"),
    (View::Detail(Entity::Outbound), "idle_requests_per_min_detail", "changing_requests_per_min_detail"),
    (View::Fleet, "idle_requests_per_min_fleet", "changing_requests_per_min_fleet"),
];

/// The embedded instance, quiet or with `changes` traffic events a minute.
pub async fn instance(changes: u32) -> anyhow::Result<SimHandle> {
    let faults = sim::Faults { latency: LATENCY, ..Default::default() };
    sim::start(SimConfig { traffic: changes, faults, ..Default::default() }).await
}

/// A console as configured by default (adaptive polling, the default budget, the Batch
/// API where the instance has it), sharing polls under `share` when given.
pub fn console(url: &str, share: Option<(&PathBuf, Origin)>) -> Headless {
    let mut c = ClientConfig::new(url, Auth::Basic { user: "admin".into(), password: "admin".into() });
    c.max_requests_per_hour = budget::DEFAULT_PER_HOUR;
    if let Some((dir, origin)) = share {
        let s = Share::open(dir, url, "admin", crate::client::share::MAX_AGE, origin).expect("a share directory");
        c.share = Some(Arc::new(s));
    }
    let client = Arc::new(Client::new(c).expect("a valid client config"));
    let settings = Settings { instance: url.to_string(), meter: Some(client.meter()), ..Default::default() };
    let audit = Arc::new(Audit::open(None, url, "admin").expect("no audit file"));
    Headless::new(client, settings, audit, (160, 48))
}

/// A console with what the terminal loop would do for it: the fleet's polls.
pub struct Driven {
    pub h: Headless,
    fleet: Option<(Arc<Client>, mpsc::Sender<Msg>, mpsc::Receiver<Msg>)>,
}

impl Driven {
    pub fn new(h: Headless) -> Driven {
        Driven { h, fleet: None }
    }

    fn apply(&mut self, fx: Vec<Effect>) {
        for e in fx {
            self.effect(e);
        }
    }

    fn effect(&mut self, e: Effect) {
        match e {
            Effect::PollFleet { profile, seq, plan } => {
                let Some((c, tx, _)) = &self.fleet else { return };
                let (c, tx) = (Arc::clone(c), tx.clone());
                tokio::spawn(async move {
                    let result = crate::console::runner::poll(&c, &plan.requests)
                        .await
                        .map(|a| FleetSample { counts: plan.assemble(a), rate: c.rate_limit() });
                    let _ = tx.send(Msg::Fleet { profile, seq, result }).await;
                });
            }
            Effect::Copy(_) | Effect::OpenUrl(_) | Effect::Quit | Effect::SwitchProfile(_) => {}
            other => self.h.runner.spawn(other),
        }
    }

    /// One step of paused time: the answers that came, then a tick.
    pub async fn step(&mut self, d: Duration) {
        tokio::time::sleep(d).await;
        self.h.drain();
        if let Some((_, _, rx)) = &mut self.fleet {
            let mut got = Vec::new();
            while let Ok(m) = rx.try_recv() {
                got.push(m);
            }
            for m in got {
                self.h.send(m);
            }
        }
        self.h.send(Msg::Health(self.h.runner.client().health()));
        self.h.send(Msg::Tick(Instant::now().into_std(), chrono::Utc::now()));
        let side = std::mem::take(&mut self.h.side_effects);
        self.apply(side);
    }

    /// Steps until `cond` holds, for at most `limit` of paused time.
    pub async fn until(&mut self, limit: Duration, cond: impl Fn(&crate::app::App) -> bool) -> bool {
        let t0 = Instant::now();
        while !cond(&self.h.app) {
            if t0.elapsed() > limit {
                return false;
            }
            self.step(Duration::from_millis(50)).await;
        }
        true
    }

    /// Opens `view` as an operator would.
    pub async fn open(&mut self, view: View, url: &str) -> anyhow::Result<()> {
        match view {
            View::Overview => {
                let fx = self.h.app.start();
                self.apply(fx);
            }
            View::List(e) => {
                let fx = self.h.app.switch(ViewKind::List(e));
                self.apply(fx);
            }
            View::Detail(e) => {
                let fx = self.h.app.switch(ViewKind::List(e));
                self.apply(fx);
                let loaded = |a: &crate::app::App| a.current_list().is_some_and(|l| l.loaded && !l.rows.is_empty());
                anyhow::ensure!(self.until(Duration::from_secs(30), loaded).await, "the list never loaded");
                let rows = &self.h.app.current_list().expect("a list").rows;
                let at = rows
                    .iter()
                    .position(|r| match e {
                        Entity::Outbound => !r.get("flow_context").is_empty() && !r.get("document_id").is_empty(),
                        // One synced, so it has executions.
                        Entity::WorkOrders => !matches!(r.get("integration_state"), "" | "not_synced"),
                        _ => true,
                    })
                    .unwrap_or(0);
                for _ in 0..at {
                    self.h.key(KeyCode::Down);
                }
                self.h.key(KeyCode::Enter);
                let side = std::mem::take(&mut self.h.side_effects);
                self.apply(side);
                anyhow::ensure!(self.h.app.current_detail().is_some(), "no detail opened");
                let opened = |a: &crate::app::App| a.current_detail().is_some_and(|d| d.data.is_some());
                anyhow::ensure!(self.until(Duration::from_secs(30), opened).await, "the detail never loaded");
            }
            View::Fleet => {
                let c = ClientConfig::new(url, Auth::Basic { user: "admin".into(), password: "admin".into() });
                let c = Arc::new(Client::new(crate::console::profiles::fleet_client_config(c))?);
                let (tx, rx) = mpsc::channel(64);
                self.fleet = Some((c, tx, rx));
                let profile = FleetProfile {
                    name: "sim".into(),
                    instance: url.to_string(),
                    read_only: false,
                    production: false,
                    tables: Tables::default(),
                };
                self.h.app.fleet = crate::app::fleet::Fleet::new(vec![profile]);
                let fx = self.h.app.switch(ViewKind::Fleet);
                self.apply(fx);
            }
        }
        let side = std::mem::take(&mut self.h.side_effects);
        self.apply(side);
        Ok(())
    }
}

fn seen(s: &SimHandle) -> u64 {
    s.sim.counters.requests.load(Ordering::Relaxed)
}

/// Steps every console for `d`, a tick every 250 ms.
pub async fn run_all(cs: &mut [Driven], d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(250)).await;
        for c in cs.iter_mut() {
            c.step(Duration::ZERO).await;
        }
    }
}

/// Requests a minute the instance sees from `n` consoles on `view` (sharing their polls
/// under `share`), after a minute to settle; and the polls the request budget held back.
pub async fn measure(s: &SimHandle, view: View, n: usize, share: Option<&PathBuf>) -> anyhow::Result<(f64, u64)> {
    let origin = Origin::now();
    let mut cs: Vec<Driven> = Vec::with_capacity(n);
    for _ in 0..n {
        let mut d = Driven::new(console(&s.base_url, share.map(|p| (p, origin))));
        d.open(view, &s.base_url).await?;
        cs.push(d);
        // Operators do not start in the same instant (consoles in lockstep would all
        // find nothing shared yet, every time).
        if n > 1 {
            run_all(&mut cs, Duration::from_millis(700)).await;
        }
    }
    run_all(&mut cs, Duration::from_secs(60)).await;
    let r0 = seen(s);
    run_all(&mut cs, Duration::from_secs(60)).await;
    let per_min = (seen(s) - r0) as f64;
    let held = cs.iter().map(|c| c.h.runner.client().budget.held()).sum();
    // Still on the view it opened (nothing failed it back).
    for c in &cs {
        let on = match (view, c.h.app.screen()) {
            (View::Detail(_), crate::app::Screen::Detail(_)) => true,
            (View::Detail(_), _) => false,
            (v, crate::app::Screen::View(k)) => match v {
                View::Overview => *k == ViewKind::Overview,
                View::List(e) => *k == ViewKind::List(e),
                View::Fleet => *k == ViewKind::Fleet,
                View::Detail(_) => false,
            },
            _ => false,
        };
        anyhow::ensure!(on, "a console left {view:?}");
    }
    drop(cs);
    // Answers still in flight land before the next measurement counts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok((per_min, held))
}

fn share_dir() -> PathBuf {
    std::env::temp_dir().join(format!("hubtop-bench-share-{}-{:x}", std::process::id(), rand::random::<u32>()))
}

/// Every view idle and changing, and ten consoles with and without sharing.
pub async fn figures() -> anyhow::Result<Vec<Figure>> {
    let quiet = instance(0).await?;
    let busy = instance(CHANGES_PER_MIN).await?;
    let mut out = Vec::new();
    let mut held = 0;
    let mut base = (0.0, 0.0);
    for (view, idle_name, busy_name) in VIEWS {
        let (idle, h1) = measure(&quiet, view, 1, None).await?;
        let (changing, h2) = measure(&busy, view, 1, None).await?;
        held += h1 + h2;
        if view == View::Overview {
            base = (idle, changing);
        }
        out.push(fig(idle_name, idle, "requests", Some(base.0), "≤ 12, beside the overview"));
        out.push(fig(busy_name, changing, "requests", Some(base.1), "≤ 15 at 30 changes/min"));
    }
    out.push(fig("views_budget_held", held as f64, "polls", None, "= 0 (the cadence keeps it, not the budget)"));
    for (view, name, alone) in [
        (View::Overview, "team_requests_per_min_overview", "10 on the overview, 30 changes/min"),
        (View::List(Entity::Outbound), "team_requests_per_min", "10 on outbound, 30 changes/min"),
    ] {
        let (unshared, _) = measure(&busy, view, 10, None).await?;
        let dir = share_dir();
        let shared = measure(&busy, view, 10, Some(&dir)).await;
        let _ = std::fs::remove_dir_all(&dir);
        out.push(fig(name, shared?.0, "requests", Some(unshared), alone));
    }
    quiet.shutdown().await;
    busy.shutdown().await;
    Ok(out)
}

/// The figures, measured on a paused clock in a runtime of their own.
pub fn measured() -> anyhow::Result<Vec<Figure>> {
    std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build()?;
        rt.block_on(figures())
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the paused-clock run panicked"))?
}
