//! Outcomes an operator can trust, against the embedded instance over real HTTP: a
//! bulk retry's audit records each record's final outcome, an overview whose table is
//! missing degrades one panel, a call that times out says how long it really waited,
//! and answers being read at once share one memory allowance.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use hubtop::app::Msg;
use hubtop::app::actions::{ActionEvent, Job};
use hubtop::app::plans::{Answer, OverviewPlan};
use hubtop::audit::Audit;
use hubtop::client::read::ListSpec;
use hubtop::client::{Entity, Error, Record};
use hubtop::console::runner::{Runner, execute_degraded};
use hubtop::domain::Operation;
use hubtop::ops::{Ops, Outcome, Subject};
use hubtop::sim::schema::{OUTBOUND, PROVIDERS};
use hubtop::sim::store::Store;
use hubtop::sim::{self, SimConfig};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::common::TempDir;
use crate::common::audit::split;
use crate::common::insim::{basic, client_with, quiet};
use crate::common::stub::raw;
use crate::common::wait::wait_for;

/// Reproduction 3: a bulk retry of 11 entries that fail again records 11 final "failed"
/// outcomes in the audit log (one outcome line per "sent" line), as a single retry does;
/// the console hears each once, after it was set back to ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_retry_that_fails_again_is_audited_as_failed() {
    let h = sim::start(quiet()).await.expect("sim");
    // Keystone answers 401 to everything: every retry fails again, with the same error.
    let keystone = h.sim.store.find(PROVIDERS, "title", "Keystone Property Services").expect("provider")[0].to_string();
    let mut ids = Vec::new();
    for i in 0..11 {
        let task = sim::seed::new_work_order(&h.sim, &keystone, &format!("again {i}"), 3).expect("work order");
        ids.push(h.sim.store.find(OUTBOUND, "document_id", &task).expect("queued")[0].to_string());
    }
    let state = |id: &str| Store::field(OUTBOUND, &h.sim.store.get(OUTBOUND, id).expect("entry"), "state").to_string();
    wait_for("11 entries in error", Duration::from_secs(30), || ids.iter().all(|id| state(id) == "error")).await;
    let dir = TempDir::new("trust-bulk");
    let path = dir.join("audit.jsonl");
    let audit = Arc::new(Audit::open(Some(&path), &h.base_url, "admin").unwrap());
    let (tx, mut rx) = mpsc::channel(1024);
    let runner = Runner::new(Ops::new(Arc::new(client_with(&h.base_url, basic(), |_| {})), audit), tx);
    let targets = ids
        .iter()
        .map(|id| {
            let r = Record::from_pairs(&[("sys_id", id.as_str()), ("state", "error")]);
            Subject { entity: Entity::Outbound, sys_id: id.clone(), label: id.clone(), record: r }
        })
        .collect();
    let count = || h.sim.counters.requests.load(Ordering::Relaxed) - h.sim.counters.writes.load(Ordering::Relaxed);
    let reads_before = count();
    runner.run_job(Job { id: 3, op: Operation::Retry, targets }, &AtomicBool::new(false)).await;
    let reads = count() - reads_before;
    drop(runner);
    let mut queued = 0;
    let mut done = Vec::new();
    while let Some(m) = rx.recv().await {
        match m {
            Msg::Action(ActionEvent::Queued { .. }) => queued += 1,
            Msg::Action(ActionEvent::Done { outcome, .. }) => done.push(outcome),
            _ => {}
        }
    }
    assert_eq!(queued, 11, "each set back to ready once");
    assert_eq!(done.len(), 11, "each final outcome once: {done:?}");
    assert!(done.iter().all(|o| matches!(o, Outcome::Failed(s) if s.contains("401"))), "{done:?}");
    // The audit: 11 sent, 11 outcomes, each "failed", one per id.
    let (sent, outcomes) = split(&dir);
    assert_eq!((sent.len(), outcomes.len()), (11, 11), "sent {sent:?}; done {outcomes:?}");
    for s in &sent {
        let mine: Vec<_> = outcomes.iter().filter(|d| d["id"] == s["id"]).collect();
        assert_eq!(mine.len(), 1, "one outcome for {s}");
        assert_eq!(mine[0]["outcome"], "failed", "{}", mine[0]);
        assert!(mine[0]["detail"].as_str().unwrap_or("").contains("401"), "{}", mine[0]);
    }
    // Followed together: a read per poll for all of them, not one per entry and poll.
    println!("reads while following 11 entries: {reads}");
    assert!(reads < 11 * 3, "{reads} reads");
    h.shutdown().await;
}

/// Reproduction 7: with a table missing (`--break table:…`), the overview's plan still
/// answers: that request says it could not be read, the others carry their data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_fails_only_its_own_overview_request() {
    let breaks = hubtop::sim::Breaks::parse(&["table:sn_wsd_case_task_sync_history"]).expect("break");
    let h = sim::start(SimConfig { traffic: 0, breaks, ..Default::default() }).await.expect("sim");
    let c = client_with(&h.base_url, basic(), |_| {});
    let plan = OverviewPlan::new(&c.config.tables);
    let answers = execute_degraded(&c, &plan.requests).await.expect("the plan answers");
    let failed: Vec<usize> =
        answers.iter().enumerate().filter(|(_, a)| matches!(a, Answer::Failed(_))).map(|(i, _)| i).collect();
    assert_eq!(failed.len(), 1, "{answers:?}");
    assert_eq!(OverviewPlan::PANELS[failed[0]], "sync history");
    let data = plan.assemble(answers);
    assert!(data.counts.iter().any(|(_, c)| !c.is_empty()), "the counts are there: {:?}", data.counts);
    assert!(!data.providers.is_empty(), "the providers are there");
    let why = data.errors_of("sync history");
    assert!(why[0].contains("sn_wsd_case_task_sync_history") && why[0].contains("not readable"), "{why:?}");
    h.shutdown().await;
}

/// A listener on the test's runtime that accepts connections and never answers.
async fn silent() -> String {
    raw(|sock| async move {
        std::future::pending::<()>().await;
        drop(sock)
    })
    .await
    .0
}

/// Reproduction 8 (the CLI's message): a call given up on says how long it really
/// waited, over how many attempts, and which deadline ended it.
#[tokio::test(start_paused = true)]
async fn a_timeout_names_the_real_wait_and_the_deadline() {
    let url = silent().await;
    let c = client_with(&url, basic(), |c| {
        c.first_byte_timeout = Duration::from_secs(20);
        c.budget = Duration::from_secs(45);
    });
    let t0 = tokio::time::Instant::now();
    let e = c.list(&ListSpec::new("x")).await.unwrap_err();
    let waited = t0.elapsed().as_secs();
    let msg = e.to_string();
    assert!(matches!(e, Error::TimedOut { .. }), "{e:?}");
    assert!(msg.contains(&format!("no answer after {waited}s")), "{msg} (waited {waited}s)");
    assert!(msg.contains("attempts") && msg.contains("first byte") && msg.contains("45s budget"), "{msg}");
    assert!(!msg.contains("timed out after 20s"), "{msg}");
}

/// Memory when the instance misbehaves: a server that answers every request with an
/// endless body; twelve requests at once hold at most 64 MB together, and each is
/// refused as too large rather than the process growing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_read_at_once_share_one_allowance() {
    let served = Arc::new(AtomicUsize::new(0));
    let s2 = Arc::clone(&served);
    let (url, _) = raw(move |mut s| {
        let served = Arc::clone(&s2);
        async move {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if s.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            served.fetch_add(1, Ordering::Relaxed);
            let chunk = vec![b' '; 256 * 1024];
            let framed = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk, b"\r\n".to_vec()].concat();
            while s.write_all(&framed).await.is_ok() {}
        }
    })
    .await;
    let c = Arc::new(client_with(&url, basic(), |c| {
        c.concurrency = 12;
        c.read_attempts = 1;
        c.timeout = Duration::from_secs(60);
    }));
    let calls = (0..12).map(|_| {
        let c = Arc::clone(&c);
        async move { c.list(&ListSpec::new("x")).await }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|r| matches!(r, Err(Error::TooLarge { .. }))), "{results:?}");
    let peak = c.held.peak();
    println!("12 endless answers at once: peak held {} MB (per-answer cap 32 MB)", peak / (1024 * 1024));
    assert!(peak <= hubtop::client::MAX_HELD, "peak {peak}");
    assert!(peak > 32 * 1024 * 1024, "more than one answer was being read at once: {peak}");
    assert_eq!(c.held.now(), 0, "everything given back");
    assert!(served.load(Ordering::Relaxed) >= 2);
}
