//! The console driven headless against the embedded instance over real HTTP: keys in,
//! screen text out.

use crossterm::event::KeyCode;
use hubtop::app::{Screen, ViewKind};
use hubtop::client::Entity;
use hubtop::sim::Faults;

use crate::common::insim::demo_console;
use crate::common::wait::T;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_an_error_group_to_its_failing_step_in_two_keys() {
    let (h, mut c) = demo_console((120, 40)).await;
    // The demo's first work orders fail at several providers within seconds.
    // Wait for the credential failure too: which provider fails first is a matter of timing.
    let ready =
        |a: &hubtop::app::App| a.overview.groups.len() >= 3 && a.overview.groups.iter().any(|g| g.key.contains("401"));
    assert!(c.until(T, ready).await, "error groups appear:\n{}", c.draw());
    let screen = c.draw();
    assert!(screen.contains("Top error groups"), "{screen}");
    assert!(screen.contains("Counts by state"), "{screen}");
    assert!(screen.contains("HTTP 401"), "{screen}");
    // The credential failure's group, wherever the demo's timing ranked it.
    let at = c.app.overview.groups.iter().position(|g| g.key.contains("401")).expect("the 401 group");
    c.app.overview.selected_group = at;
    // Key 1: Enter on the group → its failed entries. Key 2: Enter → the trace.
    c.key(KeyCode::Enter);
    assert!(c.until(T, |a| a.current_list().is_some_and(|l| l.loaded && !l.rows.is_empty())).await);
    c.key(KeyCode::Enter);
    assert!(c.until(T, |a| a.current_detail().is_some_and(|d| !d.steps().is_empty())).await);
    let d = c.app.current_detail().expect("detail");
    let step = d.selected_step().expect("a step is selected");
    assert_eq!(step.state, "error", "the failing step is selected on open");
    assert!(d.data.as_ref().is_some_and(|x| x.record.get("last_error").contains("401")), "an entry of that group");
    assert_eq!(step.outputs["response_code"], "401", "{step:?}");
    let screen = c.draw();
    assert!(screen.contains("error "), "{screen}");
    assert!(screen.contains("response code") && screen.contains("401"), "{screen}");
    assert!(screen.contains("Overview › Outbound › Outbound entry ISO"), "breadcrumbs: {screen}");
    // Esc walks the back stack.
    c.key(KeyCode::Esc);
    assert!(matches!(c.app.screen(), Screen::View(ViewKind::List(Entity::Outbound))));
    c.key(KeyCode::Esc);
    assert!(matches!(c.app.screen(), Screen::View(ViewKind::Overview)));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_renders_at_80x24_and_200x60() {
    for size in [(80, 24), (200, 60)] {
        let (h, mut c) = demo_console(size).await;
        assert!(c.until_screen(T, "Counts by state").await, "overview at {size:?}");
        for (key, title) in [
            ('2', "Providers ["),
            ('3', "Work orders ["),
            ('4', "Outbound ["),
            ('5', "Inbound ["),
            ('6', "Executions ["),
            ('7', "Sync history ["),
        ] {
            c.key(KeyCode::Char(key));
            assert!(c.until_screen(T, title).await, "{title} at {size:?}:\n{}", c.draw());
            let s = c.draw();
            assert!(s.lines().count() == size.1 as usize, "full screen");
            assert!(s.contains("? help"), "footer at {size:?}: {s}");
        }
        // A detail of each kind that has rows.
        for key in ['2', '3', '6', '7'] {
            c.key(KeyCode::Char(key));
            assert!(c.until(T, |a| a.current_list().is_some_and(|l| !l.rows.is_empty())).await);
            c.key(KeyCode::Enter);
            assert!(
                c.until(T, |a| a.current_detail().is_some_and(|d| d.data.is_some())).await,
                "detail {key} at {size:?}"
            );
            let s = c.draw();
            assert!(s.contains('›'), "breadcrumbs: {s}");
        }
        h.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_when_the_instance_stops_answering_and_recovers_by_itself() {
    let (h, mut c) = demo_console((120, 30)).await;
    assert!(c.until(T, |a| a.overview.data.is_some()).await);
    h.sim.set_faults(Faults::parse("error=1").expect("spec"));
    assert!(c.until(T, |a| a.conn.stale_since.is_some()).await, "goes stale");
    let s = c.draw();
    assert!(s.contains("STALE since"), "{s}");
    assert!(s.contains("HTTP 503"), "the reason is shown: {s}");
    h.sim.set_faults(Faults::default());
    assert!(c.until(T, |a| a.conn.stale_since.is_none()).await, "recovers");
    assert!(c.draw().contains("● live"));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_is_instant_then_pushed_to_the_instance() {
    let (h, mut c) = demo_console((120, 30)).await;
    c.key(KeyCode::Char('4'));
    assert!(c.until(T, |a| a.current_list().is_some_and(|l| l.loaded && l.rows.len() >= 10)).await);
    c.key(KeyCode::Char('/'));
    c.keys("keystone");
    // Instant: only loaded rows, no request needed.
    let n = c.app.current_list().map(|l| l.visible().len()).unwrap_or(0);
    let all = c.app.current_list().map(|l| l.rows.len()).unwrap_or(0);
    assert!(n < all, "quick filter narrows {n} < {all}");
    c.key(KeyCode::Esc);
    // An encoded query goes to the instance.
    c.key(KeyCode::Char('/'));
    c.keys("state=error^operation=create");
    c.key(KeyCode::Enter);
    assert!(
        c.until(T, |a| a.current_list().is_some_and(|l| l.loaded && l.query_label == "state=error^operation=create"))
            .await
    );
    let l = c.app.current_list().expect("list");
    assert!(l.rows.iter().all(|r| r.get("state") == "error" && r.get("operation") == "create"));
    assert!(c.draw().contains("filter: state=error^operation=create"));
    // `:` palette with completion.
    c.key(KeyCode::Char(':'));
    c.keys("exe");
    c.key(KeyCode::Tab);
    c.key(KeyCode::Enter);
    assert!(matches!(c.app.screen(), Screen::View(ViewKind::List(Entity::Executions))));
    h.shutdown().await;
}

/// An error message with a newline, a tab, a control character, or thousands of
/// characters still drills into its entries: the drill-down queries the message as the
/// instance stores it, not as the screen shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_group_with_control_characters_drills_into_its_entries() {
    let (h, mut c) = demo_console((120, 40)).await;
    let long = format!("HTTP 500: {}", "x".repeat(3000));
    let messages = ["HTTP 502: bad gateway\nretry later", "HTTP 503:\tprovider \u{7} busy", long.as_str()];
    for (i, m) in messages.iter().enumerate() {
        // Out of attempts: the instance's queue leaves them in error.
        let number = format!("ISO90000{i}");
        let fields = [
            ("number", number.as_str()),
            ("state", "error"),
            ("operation", "create"),
            ("last_error", m),
            ("attempts", "3"),
            ("max_attempts", "3"),
        ];
        h.sim.store.insert(hubtop::sim::schema::OUTBOUND, &fields).unwrap();
    }
    for m in messages {
        c.app.overview.selected_group = 0;
        let shown = hubtop::sanitize::sanitize(m).into_owned();
        let found = |a: &hubtop::app::App| a.overview.groups.iter().any(|g| g.messages.contains(&shown));
        assert!(c.until(T, found).await, "the group of {m:?} appears: {:?}", c.app.overview.groups);
        let i = c.app.overview.groups.iter().position(|g| g.messages.contains(&shown)).unwrap();
        let count = c.app.overview.groups[i].count as usize;
        c.app.overview.selected_group = i;
        c.key(KeyCode::Enter);
        let loaded = |a: &hubtop::app::App| a.current_list().is_some_and(|l| l.loaded);
        assert!(c.until(T, loaded).await);
        let l = c.app.current_list().unwrap();
        assert!(count > 0 && l.len() >= count, "{m:?}: the group counts {count}, its drill-down lists {}", l.len());
        assert!(l.rows.iter().all(|r| r.get("last_error") == shown), "only that message's entries");
        c.key(KeyCode::Esc);
        c.key(KeyCode::Esc);
        c.key(KeyCode::Char('1'));
    }
}
