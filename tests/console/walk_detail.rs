//! A new operator's walkthrough of a record's detail: a detail degrades per pane (one
//! table the instance cannot read blanks only its own pane, as the overview's panels do),
//! and a related pane's title gives the true count, with "+N more" for rows it cannot
//! show.

use std::sync::Arc;

use crossterm::event::KeyCode;
use hubtop::app::detail::{DetailData, Focus, Related};
use hubtop::app::plans::DetailPlan;
use hubtop::app::{Effect, Msg};
use hubtop::client::read::ListSpec;
use hubtop::client::{Entity, Record};
use hubtop::query::{Condition, Query};
use hubtop::sim::{self, SimConfig};

use crate::common::app::{app, key, list_of, screen};
use crate::common::insim::{basic, client_with, console_on, get, quiet};
use crate::common::wait::T;

const BROKEN: &str = "sn_wsd_case_task_sync_history";

/// The demo instance without its sync-history table (`hubtop sim --break table:…`) and a
/// headless console of `size` on it, started.
async fn broken_console(size: (u16, u16)) -> (sim::SimHandle, hubtop::harness::headless::Headless) {
    let breaks = sim::Breaks::parse(&[&format!("table:{BROKEN}")]).expect("break");
    console_on(SimConfig { demo: true, traffic: 0, breaks, ..Default::default() }, size).await
}

/// Opens the first row of view `view` and waits for its detail to load (or fail).
async fn open_first(c: &mut hubtop::harness::headless::Headless, view: char) {
    c.key(KeyCode::Char(view));
    assert!(c.until(T, |a| a.current_list().is_some_and(|l| l.loaded && !l.rows.is_empty())).await, "{}", c.draw());
    c.key(KeyCode::Enter);
    let done = |a: &hubtop::app::App| a.current_detail().is_some_and(|d| d.data.is_some() || d.error.is_some());
    assert!(c.until(T, done).await, "the detail loads:\n{}", c.draw());
}

/// Walkthrough: with the sync-history table broken, Enter on an outbound entry or a work
/// order showed only "could not load: instance answered 400: Invalid table …". Now the
/// record's fields and the panes that loaded are shown; the sync-history pane says why it
/// is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_sync_history_table_blanks_only_its_own_pane_of_a_detail() {
    let (h, mut c) = broken_console((160, 45)).await;
    for (view, kind) in [('4', Entity::Outbound), ('3', Entity::WorkOrders)] {
        open_first(&mut c, view).await;
        let d = c.app.current_detail().expect("a detail");
        assert_eq!(d.entity, kind);
        assert_eq!(d.error, None, "the record's own read did not fail: {:?}", d.error);
        let data = d.data.clone().expect("the detail has data");
        assert!(!data.record.sys_id().is_empty(), "the record is there");
        let history = data.related.iter().find(|r| r.entity == Entity::History).expect("a sync-history pane");
        let why = history.error.as_deref().expect("the pane has its error");
        assert!(why.starts_with("sync history") && why.contains("not readable"), "{why}");
        assert!(why.contains(&format!("Invalid table {BROKEN}")), "what the instance said: {why}");
        let s = c.draw();
        assert!(!s.contains("could not load"), "the detail is not blank:\n{s}");
        // The record's own fields (its number is the title; its state field is listed).
        let state = kind.state_field().expect("a state field");
        assert!(s.contains(state), "the record's fields are shown:\n{s}");
        assert!(s.contains(data.record.get("number")), "{s}");
        assert!(s.contains(&format!("✖ {why}")), "the pane's own error line, whole at 160 columns:\n{s}");
        // The panes that loaded keep their rows.
        let loaded: Vec<&Related> = data.related.iter().filter(|r| r.error.is_none()).collect();
        assert!(!loaded.is_empty(), "another pane loaded: {:?}", data.related);
        for r in loaded {
            assert!(s.contains(&format!("{} (", r.label)), "{} shown:\n{s}", r.label);
        }
        c.key(KeyCode::Esc);
    }
    // At 80×24 the error line wraps within its pane, and the fields still show.
    let mut narrow = hubtop::harness::headless::Headless::new(
        Arc::new(client_with(&h.base_url, basic(), |_| {})),
        hubtop::app::Settings { instance: h.base_url.clone(), ..Default::default() },
        Arc::new(hubtop::audit::Audit::open(None, &h.base_url, "admin").expect("audit")),
        (80, 24),
    );
    narrow.start();
    open_first(&mut narrow, '4').await;
    let s = narrow.draw();
    assert!(s.contains("✖ sync history of the record: not") && s.contains("Invalid table"), "{s}");
    assert!(s.contains("Work order (1)") && s.contains("last_error"), "{s}");
    assert!(narrow.app.current_detail().is_some_and(|d| d.error.is_none()), "{s}");
    h.shutdown().await;
}

/// Only the record's own read blanks the detail, with its error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_that_cannot_be_read_still_fails_the_detail() {
    let breaks = sim::Breaks::parse(&[&format!("table:{BROKEN}")]).expect("break");
    let h = sim::start(SimConfig { breaks, ..quiet() }).await.expect("sim");
    let c = client_with(&h.base_url, basic(), |_| {});
    let row = Record::from_pairs(&[("sys_id", "nope")]);
    let plan = DetailPlan::new(&c.config.tables, Entity::History, "nope", &row);
    let e = hubtop::console::runner::load_detail(&c, Entity::History, plan).await.expect_err("the record is refused");
    assert!(e.to_string().contains(BROKEN), "{e}");
    h.shutdown().await;
}

fn rows(prefix: &str, n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| {
            Record::from_pairs(&[
                ("sys_id", &format!("{prefix}{i:03}")),
                ("number", &format!("ISO{i:07}")),
                ("state", "error"),
                ("status", "failed"),
                ("last_error", "HTTP 503: provider error"),
                ("sys_updated_on", "2026-11-24 10:00:00"),
            ])
        })
        .collect()
}

fn count_of(s: &str, what: &str) -> usize {
    s.lines().filter(|l| l.contains(what)).count()
}

/// Walkthrough: Providers › Acme Facilities said "Outbound in error (20)" where the
/// instance had 30, and showed 5 rows (80×24) or 12 (160×45) with no sign of the rest.
#[test]
fn a_related_pane_gives_the_true_count_and_says_how_many_it_cannot_show() {
    for (w, h, shown) in [(80u16, 24u16, 5usize), (160, 45, 12)] {
        let mut a = app();
        a.size = (w, h);
        a.start();
        let provider = Record::from_pairs(&[("sys_id", "p1"), ("title", "Acme Facilities")]);
        list_of(&mut a, '2', Entity::Providers, vec![provider.clone()]);
        let Some(Effect::LoadDetail { seq, .. }) = key(&mut a, KeyCode::Enter).into_iter().next() else {
            panic!("Enter opens the provider")
        };
        // 20 of 30 in error (the instance's X-Total-Count); 20 history lines and no total.
        let mut errors = Related::of(Entity::Outbound, "Outbound in error", rows("o", 20));
        (errors.total, errors.limit) = (Some(30), 20);
        let mut history = Related::of(Entity::History, "Sync history", rows("h", 20));
        (history.total, history.limit) = (None, 20);
        let data = DetailData { record: provider, exec: None, related: vec![errors, history] };
        a.update(Msg::Detail { seq, result: Ok(data) });
        let s = screen(&a, w, h);
        assert!(s.contains("Outbound in error (20 of 30)"), "the true total at {w}x{h}:\n{s}");
        assert!(s.contains("Sync history (20+)"), "no total: at least what came at {w}x{h}:\n{s}");
        assert!(!s.contains("Outbound in error (20)"), "{s}");
        // As many rows as the pane shows, and the rest counted.
        assert_eq!(count_of(&s, "ISO0000000"), 1, "the first row at {w}x{h}:\n{s}");
        assert_eq!(count_of(&s, &format!("ISO{:07}", shown - 1)), 1, "row {shown} shown at {w}x{h}:\n{s}");
        assert_eq!(count_of(&s, &format!("ISO{shown:07}")), 0, "row {} not shown at {w}x{h}:\n{s}", shown + 1);
        assert!(s.contains(&format!("+{} more", 30 - shown)), "the rest of the 30 at {w}x{h}:\n{s}");
        assert!(s.contains(&format!("+{}+ more", 20 - shown)), "the rest of the history at {w}x{h}:\n{s}");
        // Scrolled to its last loaded row, the pane still counts what it does not show.
        assert_eq!(a.current_detail().expect("detail").focus, Focus::Related(0), "no steps: the first pane");
        for _ in 0..19 {
            key(&mut a, KeyCode::Down);
        }
        let s = screen(&a, w, h);
        assert_eq!(count_of(&s, "ISO0000019"), 1, "the cursor's row is shown at {w}x{h}:\n{s}");
        assert!(s.contains(&format!("+{} more", 30 - shown)), "above and never loaded at {w}x{h}:\n{s}");
    }
}

/// Too narrow for a long label and its count (80×24, two panes side by side): the label
/// gives way, with a sign, and the count stays.
#[test]
fn a_narrow_pane_keeps_its_count_and_cuts_its_label() {
    let mut a = app();
    a.size = (80, 24);
    a.start();
    let entry = Record::from_pairs(&[("sys_id", "e1"), ("number", "ISO0000001"), ("state", "error")]);
    list_of(&mut a, '4', Entity::Outbound, vec![entry.clone()]);
    let Some(Effect::LoadDetail { seq, .. }) = key(&mut a, KeyCode::Enter).into_iter().next() else {
        panic!("Enter opens the entry")
    };
    let mut history = Related::of(Entity::History, "Sync history of the record", rows("h", 20));
    (history.total, history.limit) = (Some(57), 20);
    let wo = Related::of(Entity::WorkOrders, "Work order", vec![Record::from_pairs(&[("sys_id", "w1")])]);
    let data = DetailData { record: entry, exec: None, related: vec![history, wo] };
    a.update(Msg::Detail { seq, result: Ok(data) });
    let s = screen(&a, 80, 24);
    let title = s.lines().find(|l| l.contains("(20 of 57)")).unwrap_or_else(|| panic!("the count stays:\n{s}"));
    assert!(title.contains("Sync history") && title.contains('…'), "{title}");
    assert!(s.contains("+52 more"), "57 less the 5 rows shown:\n{s}");
}

/// An execution the instance refuses to read has its own error pane; the fields stay.
#[test]
fn a_refused_execution_shows_its_error_beside_the_fields() {
    use hubtop::app::detail::ExecView;
    for (w, h) in [(80u16, 24u16), (160, 45)] {
        let mut a = app();
        a.size = (w, h);
        a.start();
        let entry = Record::from_pairs(&[
            ("sys_id", "e1"),
            ("number", "ISO0000001"),
            ("state", "error"),
            ("flow_context", "x1"),
            ("last_error", "HTTP 503: provider error"),
        ]);
        list_of(&mut a, '4', Entity::Outbound, vec![entry.clone()]);
        let Some(Effect::LoadDetail { seq, .. }) = key(&mut a, KeyCode::Enter).into_iter().next() else {
            panic!("Enter opens the entry")
        };
        let why = "execution: not readable (instance answered 403: no access)";
        let wo = Related::of(Entity::WorkOrders, "Work order", vec![Record::from_pairs(&[("sys_id", "w1")])]);
        let data = DetailData { record: entry, exec: Some(ExecView::Failed(why.into())), related: vec![wo] };
        a.update(Msg::Detail { seq, result: Ok(data) });
        let s = screen(&a, w, h);
        assert!(s.contains(&format!("✖ {why}")), "at {w}x{h}:\n{s}");
        assert!(s.contains("HTTP 503: provider error") && s.contains("Work order (1)"), "at {w}x{h}:\n{s}");
        assert!(!s.contains("could not load"), "{s}");
    }
}

/// A pane that shows everything says nothing more; a reference pane counts its one.
#[test]
fn a_pane_that_shows_all_it_has_adds_no_sign() {
    let mut a = app();
    a.size = (160, 45);
    a.start();
    let provider = Record::from_pairs(&[("sys_id", "p1"), ("title", "Acme Facilities")]);
    list_of(&mut a, '2', Entity::Providers, vec![provider.clone()]);
    let Some(Effect::LoadDetail { seq, .. }) = key(&mut a, KeyCode::Enter).into_iter().next() else {
        panic!("Enter opens the provider")
    };
    let mut errors = Related::of(Entity::Outbound, "Outbound in error", rows("o", 3));
    errors.limit = 20;
    let data = DetailData { record: provider, exec: None, related: vec![errors] };
    a.update(Msg::Detail { seq, result: Ok(data) });
    let s = screen(&a, 160, 45);
    assert!(s.contains("Outbound in error (3)") && !s.contains(" more"), "{s}");
}

/// The true count costs no request: a related pane of many asks for it in the same Table
/// API answer (`X-Total-Count`, "Total count of records returned by the query" — product
/// documentation, ServiceNow/ServiceNowDocs, markdown/api-reference/rest-apis/c_TableAPI.md,
/// Table - GET /now/table/{tableName}, response headers; sysparm_no_count false).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_true_count_comes_in_the_same_answer_without_another_request() {
    let h = sim::start(SimConfig { rows: 3000, ..quiet() }).await.expect("sim");
    let c = client_with(&h.base_url, basic(), |_| {});
    let t = |e: Entity| c.config.tables.name(e).to_string();
    // The provider with the most entries in error (Acme Facilities on the demo's seed).
    let mut providers = ListSpec::new(&t(Entity::Providers));
    providers.fields = vec!["sys_id".into(), "title".into()];
    let mut best = (String::new(), String::new(), 0usize);
    for p in c.list(&providers).await.expect("providers").records {
        let mut q = ListSpec::new(&t(Entity::Outbound));
        q.query = Query::new().and(Condition::eq("provider", p.sys_id())).and(Condition::eq("state", "error"));
        q.limit = 1;
        q.fields = vec!["sys_id".into()];
        let n = c.list(&q).await.expect("count").total.expect("X-Total-Count");
        if n > best.2 {
            best = (p.sys_id().to_string(), p.get("title").to_string(), n);
        }
    }
    let (id, title, in_error) = best;
    println!("{title}: {in_error} outbound entries in error");
    assert!(in_error > 20, "a provider with more entries in error than a pane loads: {in_error}");
    let counters = || async { get(&h, "/sim/counters").await.body["requests"].as_u64().expect("requests") };
    let before = counters().await;
    let plan = DetailPlan::new(&c.config.tables, Entity::Providers, &id, &Record::from_pairs(&[("sys_id", &id)]));
    let planned = plan.requests.len();
    let data = hubtop::console::runner::load_detail(&c, Entity::Providers, plan).await.expect("the detail loads");
    let used = counters().await - before;
    println!("provider detail: {used} requests ({planned} planned)");
    assert_eq!(used, planned as u64, "one request per pane, the count in the same answer");
    assert_eq!(planned, 3, "the record and its two related panes");
    let errors = &data.related[0];
    assert_eq!(errors.label, "Outbound in error");
    assert_eq!((errors.rows.len(), errors.total), (20, Some(in_error)), "20 loaded, the true total beside them");
    assert_eq!(errors.count_words(), format!("20 of {in_error}"));
    // A poll of the same detail goes as one Batch API request; the count rides along.
    let counters = || async {
        let b = get(&h, "/sim/counters").await.body;
        (b["requests"].as_u64().expect("requests"), b["batch_items"].as_u64().expect("batch items"))
    };
    let before = counters().await;
    let plan = DetailPlan::new(&c.config.tables, Entity::Providers, &id, &data.record);
    let polled = hubtop::client::budget::background(hubtop::console::runner::load_detail(&c, Entity::Providers, plan))
        .await
        .expect("the poll loads");
    let after = counters().await;
    println!("provider detail polled: {} request(s), {} batch items", after.0 - before.0, after.1 - before.1);
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, planned as u64), "one batch of the planned requests");
    assert_eq!(polled.related[0].total, Some(in_error), "X-Total-Count comes back inside the batch too");
    h.shutdown().await;
}
