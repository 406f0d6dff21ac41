//! The ServiceNow client against the embedded instance with faults on: listings and
//! delta sync converge to exactly what the instance holds, tokens survive expiry,
//! writes whose answer is lost are reported as such and never re-sent, the rate limiter
//! paces, and a delta poll with nothing changed costs a fraction of a full re-list.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hubtop::client::read::{Delta, ListSpec};
use hubtop::client::{Auth, Client, ClientConfig, Entity, Error};

use crate::common::{
    self,
    insim::{basic, quiet},
    wait::{T, wait_for},
};
use hubtop::query::{Condition, Query};
use hubtop::sim::schema::{OUTBOUND, PROVIDERS, WORK_ORDERS};
use hubtop::sim::store::Store;
use hubtop::sim::{self, Faults, SimConfig, SimHandle};
use serde_json::{Map, json};

const FAULTS: &str = "error=0.3,rate_limit=0.1,reset=0.05";

/// A client of the embedded instance that retries reads many times (faults are on).
fn client_with(h: &SimHandle, auth: Auth, f: impl FnOnce(&mut ClientConfig)) -> Client {
    common::insim::client_with(&h.base_url, auth, |c| {
        c.read_attempts = 12;
        c.timeout = Duration::from_secs(10);
        f(c);
    })
}

fn seed_outbound(h: &SimHandle, n: usize) {
    let p = h.sim.store.find(PROVIDERS, "title", "Acme Facilities").unwrap()[0].to_string();
    for i in 0..n {
        h.sim
            .store
            .insert(
                OUTBOUND,
                &[
                    ("state", "processed"),
                    ("operation", "create"),
                    ("provider", &p),
                    ("attempts", "1"),
                    ("max_attempts", "3"),
                    ("payload", &format!("{{\"n\":{i}}}")),
                ],
            )
            .unwrap();
    }
}

/// sys_id → sys_mod_count of every row of a table, straight from the store.
fn instance_rows(h: &SimHandle, table: &str) -> BTreeMap<String, String> {
    let t = h.sim.store.table(table).unwrap().read();
    t.iter().map(|r| (r[0].to_string(), Store::field(table, r, "sys_mod_count").to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_all_and_count_converge_under_faults() {
    let h = sim::start(quiet()).await.unwrap();
    seed_outbound(&h, 230);
    let c = client_with(&h, basic(), |_| {});
    let mut spec = ListSpec::new(OUTBOUND);
    spec.limit = 40;
    spec.fields = vec!["sys_id".into(), "state".into()];
    let clean: BTreeSet<String> = c.list_all(&spec).await.unwrap().iter().map(|r| r.sys_id().to_string()).collect();
    assert_eq!(clean.len(), 230);

    h.sim.set_faults(Faults::parse(FAULTS).unwrap());
    let faulty = c.list_all(&spec).await.expect("list_all converges under faults");
    let ids: Vec<String> = faulty.iter().map(|r| r.sys_id().to_string()).collect();
    assert_eq!(ids.len(), 230, "no row doubled");
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), clean);

    let q = Query::new().and(Condition::eq("state", "processed"));
    let n = c.count(OUTBOUND, &q, &[]).await.expect("count under faults");
    assert_eq!(n, vec![(vec![], 230)]);
    let grouped = c.count(OUTBOUND, &Query::new(), &["state"]).await.unwrap();
    assert_eq!(grouped, vec![(vec!["processed".to_string()], 230)]);
    h.sim.set_faults(Faults::default());
    assert!(h.sim.counters.requests.load(Ordering::Relaxed) > 10);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_converges_while_rows_change_nothing_missed_nothing_doubled() {
    let h = sim::start(quiet()).await.unwrap();
    seed_outbound(&h, 120);
    let c = client_with(&h, basic(), |_| {});
    h.sim.set_faults(Faults::parse(FAULTS).unwrap());

    // Writers on the instance: inserts, and bursts of updates to the same records
    // within one second.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let sim = Arc::clone(&h.sim);
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut k = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let ids: Vec<String> = {
                    let t = sim.store.table(OUTBOUND).unwrap().read();
                    t.iter().map(|r| r[0].to_string()).collect()
                };
                for j in 0..5 {
                    let id = &ids[((k * 7 + j * 13) as usize) % ids.len()];
                    for _ in 0..3 {
                        sim.store.update(OUTBOUND, id, &[("last_error", &format!("burst {k}"))]).unwrap();
                    }
                }
                sim.store.insert(OUTBOUND, &[("state", "skipped"), ("operation", "update")]).unwrap();
                k += 1;
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
        })
    };

    let mut spec = ListSpec::new(OUTBOUND);
    spec.limit = 25; // small pages: polls span several pages while rows move
    spec.fields = vec!["state".into(), "last_error".into()];
    let mut delta = Delta::new(spec);
    let mut local: BTreeMap<String, String> = BTreeMap::new();
    let mut delivered: HashSet<(String, String)> = HashSet::new();
    let mut apply = |changed: Vec<hubtop::client::Record>| {
        let mut in_poll = HashSet::new();
        for r in changed {
            let key = (r.sys_id().to_string(), r.get("sys_mod_count").to_string());
            assert!(in_poll.insert(r.sys_id().to_string()), "{} twice in one poll", r.sys_id());
            assert!(delivered.insert(key.clone()), "{key:?} delivered twice");
            local.insert(key.0, key.1);
        }
    };
    // Four seconds of churn (the workload's length, not a bound on anything), and at
    // least one poll and one inserted row however slow the machine.
    let churn_until = Instant::now() + Duration::from_secs(4);
    let mut polls = 0;
    let mut failed = 0;
    while Instant::now() < churn_until || polls == 0 || h.sim.store.table(OUTBOUND).unwrap().read().len() <= 120 {
        match delta.poll(&c).await {
            Ok(changed) => apply(changed),
            Err(e) => {
                assert!(e.is_transient(), "{e}");
                failed += 1;
            }
        }
        polls += 1;
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    h.sim.set_faults(Faults::default());
    // Settled: polls catch up with everything, then report nothing.
    let end = Instant::now() + T;
    loop {
        let changed = delta.poll(&c).await.unwrap();
        let done = changed.is_empty();
        apply(changed);
        if done {
            break;
        }
        assert!(Instant::now() < end, "the delta never caught up");
    }
    let want = instance_rows(&h, OUTBOUND);
    let missing: Vec<_> = want.iter().filter(|(id, m)| local.get(*id) != Some(*m)).take(5).collect();
    assert!(missing.is_empty(), "after {polls} polls ({failed} failed): stale or missed {missing:?}");
    assert_eq!(local, want);
    assert!(want.len() > 120, "rows were inserted during the run");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_survives_token_expiry_mid_run() {
    let h = sim::start(SimConfig { token_ttl: Duration::from_secs(2), ..quiet() }).await.unwrap();
    for auth in [
        Auth::OAuthClient { client_id: "hubtop".into(), client_secret: "hubtop".into() },
        Auth::OAuthPassword {
            client_id: "hubtop".into(),
            client_secret: "hubtop".into(),
            user: "admin".into(),
            password: "admin".into(),
        },
    ] {
        let c = client_with(&h, auth, |c| c.read_attempts = 1);
        // Past the 2 s lifespan, and enough requests to cross it (however slow each is).
        let end = Instant::now() + Duration::from_millis(2600);
        let mut n = 0;
        while Instant::now() < end || n <= 5 {
            let page = c.list(&ListSpec::new(PROVIDERS)).await.expect("every request succeeds across expiry");
            assert_eq!(page.records.len(), 8);
            n += 1;
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        assert!(n > 5, "requests ran across the expiry: {n}");
        // An expired token mid-run (the instance forgets every token): refreshed once, then fine.
        h.sim.auth.expire_all();
        assert_eq!(c.list(&ListSpec::new(PROVIDERS)).await.unwrap().records.len(), 8);
    }
    // Wrong secret: an authentication error, not a retry loop.
    let c = client_with(&h, Auth::OAuthClient { client_id: "hubtop".into(), client_secret: "x".into() }, |_| {});
    let e = c.list(&ListSpec::new(PROVIDERS)).await.unwrap_err();
    assert!(matches!(e, Error::Auth { status: 401, .. }), "{e:?}");
    assert_eq!(e.exit_code(), 3);
    let c = client_with(&h, Auth::Basic { user: "admin".into(), password: "nope".into() }, |_| {});
    let e = c.list(&ListSpec::new(PROVIDERS)).await.unwrap_err();
    assert!(matches!(e, Error::Auth { status: 401, .. }), "{e:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn an_html_page_is_not_an_instance() {
    let h = sim::start(quiet()).await.unwrap();
    h.sim.set_faults(Faults::parse("html=1").unwrap());
    let c = client_with(&h, basic(), |_| {});
    let e = c.list(&ListSpec::new(PROVIDERS)).await.unwrap_err();
    assert!(matches!(e, Error::NotAnInstance { .. }), "{e:?}");
    assert_eq!(e.exit_code(), 4);
    let c = client_with(&h, Auth::OAuthClient { client_id: "hubtop".into(), client_secret: "hubtop".into() }, |_| {});
    let e = c.list(&ListSpec::new(PROVIDERS)).await.unwrap_err();
    assert!(matches!(e, Error::NotAnInstance { .. }), "{e:?}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_to_writes_are_outcome_unknown_and_sent_once() {
    let h = sim::start(quiet()).await.unwrap();
    let c = client_with(&h, basic(), |_| {});
    let acme = h.sim.store.find(PROVIDERS, "title", "Acme Facilities").unwrap()[0].to_string();
    let wo = h
        .sim
        .store
        .insert(WORK_ORDERS, &[("number", "WPT9"), ("fm_provider", &acme), ("integration_state", "not_synced")])
        .unwrap()[0]
        .to_string();
    let record = c.work_order("WPT9").await.unwrap();
    assert_eq!(record.sys_id(), wo);

    // The trigger POST's answer is lost: unknown, and never re-sent.
    let create =
        Store::field(PROVIDERS, &h.sim.store.get(PROVIDERS, &acme).unwrap(), "create_work_order_flow").to_string();
    let mut inputs = Map::new();
    inputs.insert("record".into(), json!(wo));
    h.sim.set_faults(Faults::parse("reset=1").unwrap());
    let e = c.trigger_flow(&create, &inputs).await.unwrap_err();
    assert!(matches!(e, Error::OutcomeUnknown(_)), "{e:?}");
    h.sim.set_faults(Faults::default());
    assert_eq!(h.sim.counters.trigger_posts.load(Ordering::Relaxed), 1, "the trigger was sent once");
    assert_eq!(h.sim.counters.triggers_by_record.lock().get(&wo), Some(&1));
    // ...but it ran: the work order gets created.
    wait_for("the lost trigger's flow to complete", T, || {
        Store::field(WORK_ORDERS, &h.sim.store.get(WORK_ORDERS, &wo).unwrap(), "integration_state") == "created"
    })
    .await;

    // A direct trigger too.
    h.sim.set_faults(Faults::parse("reset=1").unwrap());
    let flow =
        Store::field(PROVIDERS, &h.sim.store.get(PROVIDERS, &acme).unwrap(), "update_work_order_flow").to_string();
    let mut inputs = Map::new();
    inputs.insert("record".into(), json!(wo));
    assert!(matches!(c.trigger_flow(&flow, &inputs).await, Err(Error::OutcomeUnknown(_))));
    h.sim.set_faults(Faults::default());
    assert_eq!(h.sim.counters.trigger_posts.load(Ordering::Relaxed), 2);

    // set_entry_state under reset: unknown, one PATCH, and the PATCH landed.
    let entry = h.sim.store.insert(OUTBOUND, &[("state", "skipped"), ("provider", &acme)]).unwrap()[0].to_string();
    h.sim.set_faults(Faults::parse("reset=1").unwrap());
    let e = c.set_entry_state(Entity::Outbound, &entry, "skipped").await.unwrap_err();
    assert!(matches!(e, Error::OutcomeUnknown(_)), "{e:?}");
    h.sim.set_faults(Faults::default());
    assert_eq!(h.sim.counters.patches_by_id.lock().get(&entry), Some(&1));
    let row = h.sim.store.get(OUTBOUND, &entry).unwrap();
    assert_eq!(Store::field(OUTBOUND, &row, "sys_mod_count"), "1", "the write happened once");

    // A 429 on a write is retried (the instance did not act), and lands once: the
    // faults are cleared once the first attempt has been refused (the client waits the
    // 429's Retry-After of 1 s before the next).
    h.sim.set_faults(Faults { rate_limit: 1.0, ..Default::default() });
    let c2 = Arc::new(client_with(&h, basic(), |c| c.read_attempts = 12));
    let before = h.sim.counters.requests.load(Ordering::Relaxed);
    let task = {
        let c2 = Arc::clone(&c2);
        let entry = entry.clone();
        tokio::spawn(async move { c2.set_entry_state(Entity::Outbound, &entry, "skipped").await })
    };
    wait_for("the first attempt's 429", T, || h.sim.counters.requests.load(Ordering::Relaxed) > before).await;
    h.sim.set_faults(Faults::default());
    let r = task.await.unwrap();
    assert!(r.is_ok(), "retried after the 429: {r:?}");
    let patches = *h.sim.counters.patches_by_id.lock().get(&entry).unwrap();
    assert_eq!(patches, 2, "the earlier PATCH and this one, once");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limiter_paces_requests() {
    let h = sim::start(quiet()).await.unwrap();
    let c = Arc::new(client_with(&h, basic(), |c| {
        c.rps = 20.0;
        c.concurrency = 8;
    }));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let c = Arc::clone(&c);
        tasks.push(tokio::spawn(async move {
            let mut s = ListSpec::new(PROVIDERS);
            s.limit = 1;
            c.list(&s).await.map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let took = t0.elapsed();
    println!("40 requests at 20/s took {took:?}");
    // 40 requests, never more than 20 in any second: the second twenty wait a second.
    // (A lower bound only: a loaded machine is slower, never faster.)
    assert!(took >= Duration::from_millis(1000), "{took:?}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delta_poll_with_no_change_costs_a_fraction_of_a_full_relist() {
    let h = sim::start(quiet()).await.unwrap();
    seed_outbound(&h, 1000);
    let c = client_with(&h, basic(), |_| {});
    let fields: Vec<String> = Entity::Outbound.list_fields().iter().map(|s| s.to_string()).collect();

    let mut spec = ListSpec::new(OUTBOUND);
    spec.fields = fields.clone();
    spec.limit = 1000;
    let mut delta = Delta::new(spec.clone());
    assert_eq!(delta.poll(&c).await.unwrap().len(), 1000);
    let (r0, b0) = (c.traffic.requests.load(Ordering::Relaxed), c.traffic.bytes.load(Ordering::Relaxed));
    assert!(delta.poll(&c).await.unwrap().is_empty());
    let (r1, b1) = (c.traffic.requests.load(Ordering::Relaxed), c.traffic.bytes.load(Ordering::Relaxed));
    let full = c.list_all(&spec).await.unwrap();
    assert_eq!(full.len(), 1000);
    let (r2, b2) = (c.traffic.requests.load(Ordering::Relaxed), c.traffic.bytes.load(Ordering::Relaxed));
    let (delta_req, delta_bytes, full_req, full_bytes) = (r1 - r0, b1 - b0, r2 - r1, b2 - b1);
    println!(
        "refresh of 1,000 outbound rows, nothing changed: delta poll {delta_req} request(s), {delta_bytes} bytes; \
         full re-list {full_req} request(s), {full_bytes} bytes ({:.2}%)",
        100.0 * delta_bytes as f64 / full_bytes as f64
    );
    assert!((delta_bytes as f64) < 0.02 * full_bytes as f64, "{delta_bytes} vs {full_bytes}");

    // And a change is seen by the next poll.
    let one = full[17].sys_id().to_string();
    h.sim.store.update(OUTBOUND, &one, &[("last_error", "changed")]).unwrap();
    let changed = delta.poll(&c).await.unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].sys_id(), one);
    assert_eq!(changed[0].get("last_error"), "changed");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_over_the_size_limit_is_refused_with_a_clear_error() {
    let h = sim::start(quiet()).await.expect("sim");
    seed_outbound(&h, 300);
    let small = client_with(&h, basic(), |c| c.max_body = 4 * 1024);
    let mut spec = ListSpec::new(OUTBOUND);
    spec.limit = 200;
    spec.fields = vec!["sys_id".into(), "state".into(), "payload".into()];
    let err = small.list(&spec).await.expect_err("a 200-row page is over 4 KiB");
    assert_eq!(err, Error::TooLarge { limit: 4096 });
    assert!(err.to_string().contains("4096-byte limit"), "{err}");
    // The same client still reads what fits.
    spec.limit = 2;
    assert_eq!(small.list(&spec).await.expect("a small page fits").records.len(), 2);
    h.shutdown().await;
}
