//! Every view polls like the overview, counted at the embedded instance's own counters
//! (`/sim/counters`: a Batch API call is one request, its items apart) on tokio's paused
//! clock, so an hour costs seconds and the figures do not depend on the machine.
//!
//! The Batch API (api-reference/rest-apis/batch-api.md) carries a poll's requests in one
//! HTTP request; the Aggregate API (api-reference/rest-apis/aggregate-api.md) gives the
//! delta check's count and `sys_mod_count` sum and the list's count without rows.

use std::sync::atomic::Ordering;
use std::time::Duration;

use hubtop::app::refresh::IDLE;
use hubtop::client::Entity;
use hubtop::client::read::ListSpec;
use hubtop::harness::bench::views::{self, Driven, LATENCY, View};
use hubtop::query::{Condition, Query};

use crate::common::TempDir;
use crate::common::insim::client;

const OUTBOUND: &str = "ih_sync_outbound_record";

fn seen(s: &hubtop::sim::SimHandle) -> u64 {
    s.sim.counters.requests.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_list_on_a_changing_instance_for_an_hour_stays_within_900_requests_and_keeps_up() {
    let s = views::instance(views::CHANGES_PER_MIN).await.unwrap();
    let before = seen(&s);
    let mut d = Driven::new(views::console(&s.base_url, None));
    d.open(View::List(Entity::Outbound), &s.base_url).await.unwrap();
    views::run_all(std::slice::from_mut(&mut d), Duration::from_secs(3600)).await;
    let sent = seen(&s) - before;
    eprintln!("an hour on the outbound list at {} changes/min: {sent} requests", views::CHANGES_PER_MIN);
    assert!(sent <= 900, "an hour on the outbound list of a changing instance sent {sent} requests");
    assert!(sent >= 600, "and it kept polling (one poll every {IDLE:?}): {sent}");
    assert_eq!(d.h.runner.client().budget.held(), 0, "the cadence kept it there, not the request budget");
    assert!(d.h.app.conn.stale_since.is_none(), "live at the end");

    // It kept up: once the instance settles, the rows on screen are as the instance has
    // them, within one poll, and so is the list's count.
    s.sim.traffic_paused.store(true, Ordering::Relaxed);
    views::run_all(std::slice::from_mut(&mut d), Duration::from_secs(60)).await;
    let c = client(&s.base_url);
    let l = d.h.app.current_list().expect("still on the list");
    assert!(l.rows.len() >= 50, "a window of rows on screen: {}", l.rows.len());
    let ids: Vec<&str> = l.rows.iter().map(|r| r.sys_id()).collect();
    let mut spec = ListSpec::new(OUTBOUND);
    spec.query = Query::new().and(Condition::in_list("sys_id", ids.clone()).unwrap());
    spec.fields = vec!["sys_id".into(), "state".into(), "sys_mod_count".into()];
    spec.limit = ids.len();
    let now: Vec<_> = c.list(&spec).await.unwrap().records;
    assert_eq!(now.len(), ids.len());
    for r in &now {
        let shown = l.rows.iter().find(|x| x.sys_id() == r.sys_id()).unwrap();
        assert_eq!(
            (shown.get("state"), shown.get("sys_mod_count")),
            (r.get("state"), r.get("sys_mod_count")),
            "{} as the instance has it",
            r.sys_id()
        );
    }
    let mut all = ListSpec::new(OUTBOUND);
    all.limit = 1;
    assert_eq!(l.total, c.list(&all).await.unwrap().total, "the list's count is the instance's");
    s.shutdown().await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_change_on_a_quiet_list_shows_within_the_idle_interval_and_a_round_trip() {
    let s = views::instance(0).await.unwrap();
    let mut d = Driven::new(views::console(&s.base_url, None));
    d.open(View::List(Entity::Outbound), &s.base_url).await.unwrap();
    // Long enough for the cadence to settle on a quiet table.
    views::run_all(std::slice::from_mut(&mut d), Duration::from_secs(120)).await;
    let row = d.h.app.current_list().unwrap().rows[3].clone();
    let to = if row.get("state") == "skipped" { "error" } else { "skipped" };
    let r0 = seen(&s);
    s.sim.store.update(OUTBOUND, row.sys_id(), &[("state", to)]).unwrap();
    let t0 = tokio::time::Instant::now();
    let shown = |a: &hubtop::app::App| {
        a.current_list().is_some_and(|l| l.rows.iter().any(|r| r.sys_id() == row.sys_id() && r.get("state") == to))
    };
    assert!(d.until(Duration::from_secs(30), shown).await, "the change never showed");
    let took = t0.elapsed();
    // The harness ticks every 250 ms of paused time and steps by 50 ms: allow one tick.
    assert!(took <= IDLE + LATENCY + Duration::from_millis(300), "shown after {took:?}");
    assert!(seen(&s) - r0 <= 2, "one poll (a request) found and brought it: {}", seen(&s) - r0);
    s.shutdown().await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_detail_and_the_fleet_cost_one_request_a_poll_and_a_hidden_view_nothing() {
    let s = views::instance(0).await.unwrap();
    let (detail, held) = views::measure(&s, View::Detail(Entity::Outbound), 1, None).await.unwrap();
    assert!((6.0..=12.0).contains(&detail), "an idle outbound entry's detail: {detail} requests a minute");
    // A work order's newest execution is asked beside a check that it still is: one round.
    let (wo, _) = views::measure(&s, View::Detail(Entity::WorkOrders), 1, None).await.unwrap();
    assert!((6.0..=12.0).contains(&wo), "an idle work order's detail: {wo} requests a minute");
    let mut d = Driven::new(views::console(&s.base_url, None));
    d.open(View::Detail(Entity::WorkOrders), &s.base_url).await.unwrap();
    let shows = d.h.app.current_detail().and_then(|x| x.data.as_ref()).is_some_and(|x| x.exec.is_some());
    assert!(shows, "the work order measured shows its newest execution");
    drop(d);
    let (fleet, _) = views::measure(&s, View::Fleet, 1, None).await.unwrap();
    assert!((1.0..=2.0).contains(&fleet), "the fleet asks each instance once every 30 s: {fleet}");
    assert_eq!(held, 0);
    // The session log: nothing.
    let mut d = Driven::new(views::console(&s.base_url, None));
    d.open(View::Overview, &s.base_url).await.unwrap();
    views::run_all(std::slice::from_mut(&mut d), Duration::from_secs(10)).await;
    d.h.keys(":log");
    d.h.key(crossterm::event::KeyCode::Enter);
    let r0 = seen(&s);
    views::run_all(std::slice::from_mut(&mut d), Duration::from_secs(120)).await;
    assert!(matches!(d.h.app.screen(), hubtop::app::Screen::View(hubtop::app::ViewKind::Log)));
    assert_eq!(seen(&s) - r0, 0, "the session log polls nothing, and the overview behind it neither");
    s.shutdown().await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn ten_consoles_sharing_their_polls_cost_the_instance_a_fraction_of_ten() {
    let s = views::instance(views::CHANGES_PER_MIN).await.unwrap();
    let dir = TempDir::new("share-test");
    let (shared, held) =
        views::measure(&s, View::List(Entity::Outbound), 10, Some(&dir.path().to_path_buf())).await.unwrap();
    let (one, _) = views::measure(&s, View::List(Entity::Outbound), 1, None).await.unwrap();
    assert!(shared <= 3.0 * one, "ten sharing consoles: {shared} a minute; one alone: {one}");
    assert_eq!(held, 0);
    // A console that shares with nobody costs what it did.
    let dir = TempDir::new("share-alone");
    let (alone, _) =
        views::measure(&s, View::List(Entity::Outbound), 1, Some(&dir.path().to_path_buf())).await.unwrap();
    assert!(alone <= 12.0, "a console sharing with nobody: {alone} a minute");
    // An answer serves half the idle interval, and a console answered by the others
    // asks every half interval: what it shows is never older than the idle interval.
    assert_eq!(hubtop::client::share::MAX_AGE, IDLE / 2);
    s.shutdown().await;
}
