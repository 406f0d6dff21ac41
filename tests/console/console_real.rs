//! The console on an instance with only the documented APIs (`--without
//! flow-trigger,companion`), driven headless over real HTTP: update (a field and a
//! comment) and cancel go as a PATCH of the work order, IFM runs the subflow, and the
//! outcome is followed through integration state and sync history; a bulk action on a
//! list whose filter names a field the table does not have is refused, nothing sent.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crossterm::event::KeyCode;
use hubtop::app::Settings;
use hubtop::audit::Audit;
use hubtop::client::read::ListSpec;
use hubtop::client::{Client, Entity, Record};
use hubtop::harness::headless::Headless;
use hubtop::query::{Condition, Query};
use hubtop::sim::{self, SimConfig, Without};

use crate::common::app::status;
use crate::common::insim::{client, quiet};
use crate::common::wait::T;

async fn find(c: &Client, e: Entity, q: Query) -> Vec<Record> {
    let mut spec = ListSpec::new(c.table(e));
    spec.query = q;
    c.list(&spec).await.expect("list").records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_and_cancel_from_the_console_without_a_trigger_and_a_bulk_retry_on_an_unknown_field_is_refused() {
    let without = Without { flow_trigger: true, companion: true, ..Default::default() };
    let cfg = SimConfig { demo: true, without, ..quiet() };
    let h = sim::start(cfg).await.expect("sim starts");
    let client = Arc::new(client(&h.base_url));
    // A work order the healthy provider created (through the queue: no trigger needed).
    let acme = find(&client, Entity::Providers, Query::new().and(Condition::eq("title", "Acme Facilities"))).await;
    let created = Query::new()
        .and(Condition::eq("integration_state", "created"))
        .and(Condition::eq("fm_provider", acme[0].sys_id()));
    let end = tokio::time::Instant::now() + T;
    let wo = loop {
        if let Some(w) = find(&client, Entity::WorkOrders, created.clone()).await.into_iter().next() {
            break w;
        }
        assert!(tokio::time::Instant::now() < end, "a created work order");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (id, number) = (wo.sys_id().to_string(), wo.get("number").to_string());
    let history = |op: &'static str| {
        let c = Arc::clone(&client);
        let id = id.clone();
        async move {
            let q = Query::new().and(Condition::eq("task", &id)).and(Condition::eq("operation", op));
            find(&c, Entity::History, q).await
        }
    };

    let settings = Settings { instance: h.base_url.clone(), refresh: Duration::from_millis(500), ..Default::default() };
    let audit = Arc::new(Audit::open(None, &h.base_url, "admin").expect("audit"));
    let mut c = Headless::new(Arc::clone(&client), settings, audit, (140, 40));
    c.start();
    c.key(KeyCode::Char('3'));
    c.key(KeyCode::Char('/'));
    c.keys(&format!("number={number}"));
    c.key(KeyCode::Enter);
    assert!(c.until(T, |a| a.current_list().is_some_and(|l| l.loaded && l.rows.len() == 1)).await);

    // Update: priority → 1 and a comment, from the form.
    c.key(KeyCode::Char('u'));
    assert!(c.app.actions.form.is_some(), "the update form opens: {}", status(&c.app));
    c.key(KeyCode::Tab);
    c.key(KeyCode::Backspace);
    c.keys("1");
    for _ in 0..3 {
        c.key(KeyCode::Tab);
    }
    c.keys("Escalated by caller");
    // Enter previews what is sent; y sends it.
    c.key(KeyCode::Enter);
    assert!(c.app.actions.confirm.is_some(), "the update is previewed: {}", status(&c.app));
    c.key(KeyCode::Char('y'));
    assert!(
        c.until(T, |a| status(a).starts_with("update") && status(a).contains("success")).await,
        "{}",
        status(&c.app)
    );
    assert_eq!(history("update").await.len(), 1, "the update subflow ran once");
    let w = find(&client, Entity::WorkOrders, Query::new().and(Condition::eq("sys_id", &id))).await;
    assert_eq!((w[0].get("priority"), w[0].get("integration_state")), ("1", "created"));

    // Cancel: confirmed, then the work order's state set to canceled.
    assert!(c.until(T, |a| a.current_list().is_some_and(|l| l.loaded && l.pending.is_empty())).await);
    c.key(KeyCode::Char('c'));
    assert!(c.app.actions.confirm.is_some(), "cancel asks first: {}", status(&c.app));
    c.key(KeyCode::Char('y'));
    assert!(
        c.until(T, |a| status(a).starts_with("cancel") && status(a).contains("success")).await,
        "{}",
        status(&c.app)
    );
    assert_eq!(history("cancel").await.len(), 1);
    let w = find(&client, Entity::WorkOrders, Query::new().and(Condition::eq("sys_id", &id))).await;
    assert_eq!((w[0].get("state"), w[0].get("integration_state")), ("canceled", "cancelled"));
    assert_eq!(h.sim.counters.trigger_posts.load(Ordering::Relaxed), 0, "no trigger posted");

    // A filter naming a field the list does not have is refused before anything is
    // asked or sent (the instance would ignore the term and act on rows it does not mean).
    c.key(KeyCode::Char('4'));
    c.key(KeyCode::Char('/'));
    c.keys("state=error^nosuchfield=1");
    c.key(KeyCode::Enter);
    assert!(status(&c.app).contains("no field or column `nosuchfield`"), "refused: {}", status(&c.app));
    assert!(!c.app.current_list().is_some_and(|l| l.query.to_string().contains("nosuchfield")));
    assert!(c.until(T, |a| a.current_list().is_some_and(|l| l.loaded && !l.rows.is_empty())).await);
    let writes = h.sim.counters.writes.load(Ordering::Relaxed);
    let patched = h.sim.counters.patches_by_id.lock().len();
    c.pump(Duration::from_millis(300)).await;
    assert_eq!(h.sim.counters.writes.load(Ordering::Relaxed), writes, "nothing sent");
    assert_eq!(h.sim.counters.patches_by_id.lock().len(), patched, "the work order's two PATCHes only");
    h.shutdown().await;
}
