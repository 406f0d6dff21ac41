//! A bulk job reports each record's outcome as known, never better: a bulk create (or
//! cancel, update, rerun) is sent and not followed, so the console counts it unknown —
//! not "ok" — and the audit records "sent"; the same failure with other ids is one group.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use hubtop::app::Msg;
use hubtop::app::actions::{ActionEvent, Job};
use hubtop::app::bulk::Running;
use hubtop::audit::Audit;
use hubtop::client::{Entity, Record};
use hubtop::console::runner::Runner;
use hubtop::domain::{Operation, WorkOrderOp};
use hubtop::ops::{Ops, Outcome, Subject};
use hubtop::sim::schema::{PROVIDERS, WORK_ORDERS};
use hubtop::sim::store::Store;
use hubtop::sim::{self};
use tokio::sync::mpsc;

use crate::common::TempDir;
use crate::common::audit::split;
use crate::common::insim::{basic, client_with, quiet};
use crate::common::wait::wait_for;

/// The second walkthrough: "✔ create of 2 finished: ✔ 2 ok" while both work orders were
/// still "Create failed" (Keystone answers 401). Each is now unknown, with why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_create_is_unknown_not_ok() {
    let h = sim::start(quiet()).await.expect("sim");
    let keystone = h.sim.store.find(PROVIDERS, "title", "Keystone Property Services").expect("provider")[0].to_string();
    let ids: Vec<String> = (0..2)
        .map(|i| sim::seed::new_work_order(&h.sim, &keystone, &format!("bulk create {i}"), 3).expect("work order"))
        .collect();
    let state = |id: &str| {
        Store::field(WORK_ORDERS, &h.sim.store.get(WORK_ORDERS, id).expect("work order"), "integration_state")
            .to_string()
    };
    wait_for("two failed creates", Duration::from_secs(30), || ids.iter().all(|id| state(id) == "create_failed")).await;
    let dir = TempDir::new("bulk-outcomes");
    let audit = Arc::new(Audit::open(Some(&dir.join("audit.jsonl")), &h.base_url, "admin").unwrap());
    let (tx, mut rx) = mpsc::channel(64);
    let runner = Runner::new(Ops::new(Arc::new(client_with(&h.base_url, basic(), |_| {})), audit), tx);
    let targets: Vec<Subject> = ids
        .iter()
        .map(|id| {
            let r = Record::from_pairs(&[
                ("sys_id", id.as_str()),
                ("integration_state", "create_failed"),
                ("fm_provider", keystone.as_str()),
            ]);
            Subject { entity: Entity::WorkOrders, sys_id: id.clone(), label: id.clone(), record: r }
        })
        .collect();
    let job = Job { id: 1, op: Operation::WorkOrder(WorkOrderOp::Create), targets };
    runner.run_job(job.clone(), &AtomicBool::new(false)).await;
    drop(runner);
    let mut done = Vec::new();
    while let Some(m) = rx.recv().await {
        if let Msg::Action(ActionEvent::Done { outcome, .. }) = m {
            done.push(outcome);
        }
    }
    assert_eq!(done.len(), 2, "{done:?}");
    assert!(
        done.iter().all(|o| matches!(o, Outcome::Unknown(s) if s.contains("not followed"))),
        "sent and not followed: unknown, never ok: {done:?}"
    );
    let (sent, outcomes) = split(&dir);
    assert_eq!(sent.len(), 2);
    assert!(outcomes.iter().all(|d| d["outcome"] == "sent"), "{outcomes:?}");
    // What the console's status line says of it.
    let mut run = Running::new(job.clone());
    for (t, o) in job.targets.iter().zip(done) {
        run.results.push((t.clone(), o));
    }
    let line = run.line();
    assert!(line.contains("✔ 0 ok") && line.contains("? 2 unknown"), "{line}");
}

/// The second walkthrough: "174 failed again with 61 different errors", each a "work
/// order FM-1002xx not found": one failure with other ids is one group, as the overview
/// groups it.
#[test]
fn one_failure_with_other_ids_is_one_group() {
    let targets: Vec<Subject> = (0..3)
        .map(|i| {
            let id = format!("e{i}");
            let r = Record::from_pairs(&[("sys_id", id.as_str()), ("state", "error")]);
            Subject { entity: Entity::Outbound, sys_id: id.clone(), label: format!("ISO000100{i}"), record: r }
        })
        .collect();
    let mut run = Running::new(Job { id: 1, op: Operation::Retry, targets: targets.clone() });
    for (i, t) in targets.iter().enumerate() {
        run.results.push((t.clone(), Outcome::Failed(format!("error: HTTP 404: work order FM-10020{i} not found"))));
    }
    let t = run.tally();
    assert_eq!(t.groups.len(), 1, "{:?}", t.groups);
    assert_eq!(t.groups[0].1.len(), 3);
    assert!(run.line().contains("✖ 3 failed again") && !run.line().contains("different"), "{}", run.line());
}
