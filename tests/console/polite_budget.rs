//! The request budget, on tokio's paused clock (an hour costs nothing): with 120
//! requests an hour, an idle console on the overview sends at most 120 in the hour,
//! and a retry pressed while polling has used the budget up is sent at once.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crossterm::event::KeyCode;
use hubtop::app::{Msg, Settings};
use hubtop::audit::Audit;
use hubtop::client::{Auth, Client, ClientConfig};
use hubtop::harness::headless::Headless;
use hubtop::sim::{self, SimConfig};

const OUTBOUND: &str = "ih_sync_outbound_record";

fn console(url: &str, per_hour: u32) -> Headless {
    let mut c = ClientConfig::new(url, Auth::Basic { user: "admin".into(), password: "admin".into() });
    c.max_requests_per_hour = per_hour;
    let client = Arc::new(Client::new(c).unwrap());
    let settings = Settings { instance: url.into(), meter: Some(client.meter()), ..Default::default() };
    Headless::new(client, settings, Arc::new(Audit::open(None, url, "admin").unwrap()), (120, 40))
}

/// Runs the console for `d` of paused time, a tick of tokio's clock every 100 ms (the
/// harness's own `pump` ticks with the wall clock).
async fn run(h: &mut Headless, d: Duration) {
    for _ in 0..d.as_millis() / 100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        h.drain();
        h.send(Msg::Tick(tokio::time::Instant::now().into_std(), chrono::Utc::now()));
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn an_idle_hour_stays_within_the_budget_and_a_retry_goes_at_once() {
    let s = sim::start(SimConfig {
        demo: true,
        traffic: 0,
        retry_interval: Duration::from_secs(7200),
        ..Default::default()
    })
    .await
    .unwrap();
    let entry = s.sim.store.find(OUTBOUND, "operation", "create").expect("an outbound entry")[0].to_string();
    // Parked in error with its retries used up, so only the operator moves it.
    let park = [("state", "error"), ("attempts", "3"), ("next_attempt", "")];
    s.sim.store.update(OUTBOUND, &entry, &park).unwrap();
    let mut h = console(&s.base_url, 120);
    let seen = || s.sim.counters.requests.load(Ordering::Relaxed);
    let before = seen();
    h.start();
    run(&mut h, Duration::from_secs(3600)).await;
    let idle = seen() - before;
    assert!(idle <= 120, "an idle hour sent {idle} requests");
    assert!(idle >= 60, "and it kept polling: {idle}");
    let b = h.runner.client().budget.state();
    // The cadence plans polls within the budget (with the Batch API, one request each);
    // without it, polls would wait for room instead: either way within it.
    assert!(b.tight() && b.used <= b.configured, "polling keeps within the budget: {b:?}");

    // The operator opens the queue and retries the entry: navigation and the action go at once.
    h.key(KeyCode::Char('4'));
    run(&mut h, Duration::from_secs(1)).await;
    assert!(h.app.current_list().is_some_and(|l| !l.rows.is_empty()));
    let patches = || s.sim.counters.patches_by_id.lock().get(&entry).copied().unwrap_or(0);
    let row = h.app.current_list().unwrap().rows.iter().position(|r| r.sys_id() == entry).expect("the entry listed");
    for _ in 0..row {
        h.key(KeyCode::Down);
    }
    let t0 = tokio::time::Instant::now();
    h.key(KeyCode::Char('r'));
    if h.app.actions.confirm.is_some() {
        h.key(KeyCode::Char('y'));
    }
    while patches() == 0 && t0.elapsed() < Duration::from_secs(2) {
        run(&mut h, Duration::from_millis(100)).await;
    }
    assert_eq!(patches(), 1, "the retry was sent, once, at once");
    s.shutdown().await;
}
