//! Operator actions against the embedded instance over real HTTP: retries that succeed
//! once the provider recovers, bulk work sent exactly once within the rate limit, and
//! read-only consoles that send nothing.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use hubtop::app::actions::Job;
use hubtop::app::{Msg, Settings};
use hubtop::audit::Audit;
use hubtop::client::{Client, Entity, Record};
use hubtop::console::runner::Runner;
use hubtop::domain::Operation;
use hubtop::harness::headless::Headless;
use hubtop::ops::{Ops, Outcome, Subject};
use hubtop::sim::fm::Behaviour;
use hubtop::sim::schema::{OUTBOUND, PROVIDERS};
use hubtop::sim::store::Store;
use hubtop::sim::{self, SimConfig};
use tokio::sync::mpsc;

use crate::common::audit::outcomes_by_record;
use crate::common::insim::{basic, client_with, quiet};
use crate::common::wait::wait_for;
use crate::common::{TempDir, wait::T};

async fn quiet_sim() -> sim::SimHandle {
    sim::start(quiet()).await.expect("sim")
}

fn client(url: &str, rps: f64) -> Arc<Client> {
    Arc::new(client_with(url, basic(), |c| {
        c.rps = rps;
        c.concurrency = 8;
    }))
}

fn provider(h: &sim::SimHandle, title: &str) -> String {
    h.sim.store.find(PROVIDERS, "title", title).map(|r| r[0].to_string()).expect("provider")
}

fn outbound(h: &sim::SimHandle, id: &str) -> hubtop::sim::store::Row {
    h.sim.store.get(OUTBOUND, id).expect("entry")
}

/// A queue entry in error, as the console's list row holds it (the rules decide on it).
fn target(e: Entity, id: &str) -> Subject {
    let mut r = Record::default();
    r.set("sys_id", id);
    r.set("state", "error");
    Subject { entity: e, sys_id: id.to_string(), label: id.to_string(), record: r }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_succeeds_once_the_provider_recovers() {
    let h = quiet_sim().await;
    let keystone = provider(&h, "Keystone Property Services");
    let task = sim::seed::new_work_order(&h.sim, &keystone, "Door stuck", 2).expect("work order");
    let entry = h.sim.store.find(OUTBOUND, "document_id", &task).expect("queued")[0].to_string();
    wait_for("the 401 failure", T, || Store::field(OUTBOUND, &outbound(&h, &entry), "state") == "error").await;
    assert!(Store::field(OUTBOUND, &outbound(&h, &entry), "last_error").contains("401"));
    // The credentials are fixed at the provider; the operator retries.
    h.sim.fm.set_behaviour("keystone", Behaviour::Healthy);
    let (tx, mut rx) = mpsc::channel(64);
    let audit = Arc::new(Audit::open(None, &h.base_url, "admin").unwrap());
    let runner = Runner::new(Ops::new(client(&h.base_url, 20.0), audit), tx);
    let job = Job { id: 1, op: Operation::Retry, targets: vec![target(Entity::Outbound, &entry)] };
    let cancelled = runner.run_job(job, &AtomicBool::new(false)).await;
    assert!(!cancelled);
    let mut outcome = None;
    while let Ok(m) = rx.try_recv() {
        if let Msg::Action(hubtop::app::actions::ActionEvent::Done { outcome: o, .. }) = m {
            outcome = Some(o);
        }
    }
    assert_eq!(outcome, Some(Outcome::Ok("processed (HTTP 201)".into())));
    assert_eq!(Store::field(OUTBOUND, &outbound(&h, &entry), "state"), "processed");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_retry_of_200_sends_each_once_within_20_per_second() {
    let h = quiet_sim().await;
    let acme = provider(&h, "Acme Facilities");
    let mut ids = Vec::new();
    for i in 0..200 {
        let task = sim::seed::new_work_order(&h.sim, &acme, &format!("bulk {i}"), 3).unwrap();
        let row = h.sim.store.find(OUTBOUND, "document_id", &task).unwrap();
        // Park it in error, as a failed entry with its retries used up.
        h.sim.store.update(OUTBOUND, &row[0], &[("state", "error"), ("attempts", "3"), ("next_attempt", "")]).unwrap();
        ids.push(row[0].to_string());
    }
    let (tx, mut rx) = mpsc::channel(1024);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let dir = TempDir::new("bulk-audit");
    let audit_path = dir.join("audit.jsonl");
    let audit = Arc::new(Audit::open(Some(&audit_path), &h.base_url, "admin").unwrap());
    let runner = Runner::new(Ops::new(client(&h.base_url, 20.0), audit), tx);
    let job = Job { id: 7, op: Operation::Retry, targets: ids.iter().map(|id| target(Entity::Outbound, id)).collect() };
    let t0 = Instant::now();
    runner.run_job(job, &AtomicBool::new(false)).await;
    let secs = t0.elapsed().as_secs_f64();
    let patches = h.sim.counters.patches_by_id.lock().clone();
    assert_eq!(patches.len(), 200, "every entry was sent");
    assert!(patches.values().all(|n| *n == 1), "none twice: {patches:?}");
    // 200 requests, never more than 20 in any second: the last leaves at least nine
    // seconds after the first (src/client/limit.rs counts the rate over a window).
    let rate = 200.0 / secs;
    assert!(secs >= 9.0, "the limit is respected: {secs:.2}s");
    println!("bulk retry: 200 in {secs:.2}s = {rate:.1}/s = {:.3} of the 20/s limit", rate / 20.0);
    let (sent, done) = hubtop::audit::read_ids(&audit_path).unwrap();
    assert_eq!((sent.len(), done.len()), (200, 200), "every action audited before and after");
    // Each record's own outcome, as the audit tells it: one action per record, and it
    // says what became of that record (today: the PATCH's outcome; once the audit
    // records the queue's final outcome, tighten "ok" to what the queue did).
    let by_record = outcomes_by_record(&audit_path);
    let want: std::collections::BTreeMap<String, Vec<String>> =
        ids.iter().map(|id| (format!("{OUTBOUND}:{id}"), vec!["ok".to_string()])).collect();
    assert_eq!(by_record, want, "one audited action per record, each with its outcome");
    drop(runner);
    let _ = drain.await;
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_bulk_sends_nothing_more() {
    let h = quiet_sim().await;
    let acme = provider(&h, "Acme Facilities");
    let mut ids = Vec::new();
    for i in 0..40 {
        let task = sim::seed::new_work_order(&h.sim, &acme, &format!("c {i}"), 3).unwrap();
        let row = h.sim.store.find(OUTBOUND, "document_id", &task).unwrap();
        h.sim.store.update(OUTBOUND, &row[0], &[("state", "error"), ("next_attempt", "")]).unwrap();
        ids.push(row[0].to_string());
    }
    let (tx, mut rx) = mpsc::channel(1024);
    let runner = Runner::new(Ops::new(client(&h.base_url, 10.0), Arc::new(Audit::open(None, "x", "y").unwrap())), tx);
    let flag = Arc::new(AtomicBool::new(false));
    // Cancelled once the fifth outcome is in: what was sent by then stays sent, nothing
    // after the cancel is (10 a second: the other 35 would take seconds more).
    let f2 = Arc::clone(&flag);
    let drain = tokio::spawn(async move {
        let mut done = 0;
        while let Some(m) = rx.recv().await {
            if matches!(m, Msg::Action(hubtop::app::actions::ActionEvent::Done { .. })) {
                done += 1;
                if done == 5 {
                    f2.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            }
        }
        done
    });
    let job = Job { id: 9, op: Operation::Skip, targets: ids.iter().map(|id| target(Entity::Outbound, id)).collect() };
    assert!(runner.run_job(job, &flag).await, "reports the cancel");
    let sent = h.sim.counters.patches_by_id.lock().len();
    assert!(
        (5..40).contains(&sent),
        "the five before the cancel (and those in flight) were sent, not the rest: {sent}"
    );
    drop(runner);
    let outcomes = drain.await.unwrap();
    assert_eq!(outcomes, sent, "every request sent has its outcome, none more");
    // Nothing leaves after the job has returned.
    let _ = client(&h.base_url, 0.0).list(&hubtop::client::read::ListSpec::new(OUTBOUND)).await;
    assert_eq!(h.sim.counters.patches_by_id.lock().len(), sent);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_console_sends_nothing() {
    let h = sim::start(SimConfig { demo: true, traffic: 0, ..Default::default() }).await.unwrap();
    let settings = Settings {
        instance: h.base_url.clone(),
        read_only: true,
        refresh: Duration::from_millis(300),
        ..Default::default()
    };
    let mut c =
        Headless::new(client(&h.base_url, 0.0), settings, Arc::new(Audit::open(None, "x", "y").unwrap()), (120, 40));
    c.start();
    assert!(c.until(T, |a| a.overview.groups.len() >= 2).await);
    let writes_before = h.sim.counters.writes.load(std::sync::atomic::Ordering::Relaxed);
    for view in ['3', '4', '6'] {
        c.key(KeyCode::Char(view));
        assert!(c.until(T, |a| a.current_list().is_some_and(|l| !l.rows.is_empty())).await);
        for k in ['r', 'x', 'c', 'n', 'u', ' ', '*', 'r', 'x'] {
            c.key(KeyCode::Char(k));
            c.key(KeyCode::Char('y'));
            c.key(KeyCode::Enter);
            c.key(KeyCode::Esc);
        }
    }
    c.pump(Duration::from_millis(500)).await;
    assert!(c.draw().contains("READ-ONLY"));
    assert_eq!(h.sim.counters.trigger_posts.load(std::sync::atomic::Ordering::Relaxed), 0);
    assert_eq!(h.sim.counters.writes.load(std::sync::atomic::Ordering::Relaxed), writes_before);
    assert!(h.sim.counters.patches_by_id.lock().is_empty());
    h.shutdown().await;
}
