//! Operator safety (the console side): no key does what the operator did not mean, and
//! the screen shows what the instance holds. Each test is named after what it protects.

use crate::common::app::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hubtop::app::actions::ActionEvent;
use hubtop::app::keys::{Keymap, Layer};
use hubtop::app::{App, Effect, Msg, Settings};
use hubtop::client::read::Page;
use hubtop::domain::{Entity, Operation};
use hubtop::ops::Outcome;
use proptest::prelude::*;

fn acts(fx: &[Effect]) -> Vec<&hubtop::app::actions::Job> {
    fx.iter().filter_map(|e| if let Effect::Act(j) = e { Some(j) } else { None }).collect()
}

/// The keys an operator might hit, printable and not.
fn any_key() -> impl Strategy<Value = KeyCode> {
    prop_oneof![
        4 => prop::sample::select(vec!['r', 'x', 'c', 'n', 'u', 'y', 'o', '/', ':', ' ', '*', 'e', 'j', 'k', 'q', 'h', 'p', '4', '3', '1', 'f', 's', 'g', 'G', '?'])
            .prop_map(KeyCode::Char),
        1 => prop::sample::select(vec![KeyCode::Enter, KeyCode::Esc, KeyCode::Tab, KeyCode::Down, KeyCode::Up, KeyCode::Backspace]),
    ]
}

/// A console on the outbound list, entries in error, over a work-order list loaded too.
fn console() -> App {
    let mut a = app();
    a.start();
    outbound_with(&mut a, 30, "error");
    a
}

/// The start states the properties run from: a list of entries in error, a work-order
/// list, an entry's detail, the overview with error groups, a list of failed executions.
fn start(which: usize) -> App {
    let mut a = console();
    match which % 5 {
        0 => {}
        1 => work_orders(&mut a, "create_failed"),
        2 => {
            key(&mut a, KeyCode::Enter);
        }
        3 => {
            a.update(Msg::Key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::NONE)));
            let data = hubtop::app::overview::OverviewData {
                error_messages: vec![("HTTP 503: provider error".into(), 3), ("HTTP 401: no".into(), 2)],
                ..Default::default()
            };
            a.overview.absorb(data);
        }
        _ => executions(&mut a),
    }
    a
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Only the confirmation of a preview sends anything: an action key on a screen opens
    /// the preview (every operation is previewed), and no typed text ever sends. Judged by what the app shows
    /// (a dialog open or not) and the documented keys, from several start states.
    #[test]
    fn no_action_is_sent_unless_its_preview_was_confirmed(
        from in 0usize..5,
        keys in prop::collection::vec(any_key(), 1..30),
    ) {
        let mut a = start(from);
        for code in keys {
            let ev = KeyEvent::new(code, KeyModifiers::NONE);
            let confirm_open = a.actions.confirm.is_some();
            let typed_confirm = a.actions.confirm.as_ref().is_some_and(|c| c.typed.is_some());
            let prompt_open = !matches!(a.mode, hubtop::app::Mode::Normal);
            let form_open = a.actions.form.is_some();
            let fx = a.update(Msg::Key(ev));
            let sent = !acts(&fx).is_empty();
            let allowed = match code {
                // A confirmation answered.
                KeyCode::Char('y') | KeyCode::Enter if confirm_open && !typed_confirm => true,
                KeyCode::Enter if typed_confirm => true,
                _ => false,
            };
            prop_assert!(!sent || allowed, "{code:?} (confirm {confirm_open}, form {form_open}, prompt {prompt_open}) sent {fx:?}");
            // Typing in a prompt or a form never opens a browser or copies either.
            if (prompt_open || form_open || typed_confirm) && matches!(code, KeyCode::Char(_)) {
                prop_assert!(!fx.iter().any(|e| matches!(e, Effect::OpenUrl(_) | Effect::Copy(_))), "{fx:?}");
            }
        }
    }
}

/// A list of executions that failed (a rerun is previewed).
fn executions(a: &mut App) {
    let fx = ch(a, '6');
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().next() else { panic!("window load") };
    let mut x = rec("x1", "", "ERROR", "2026-11-24 10:00:00");
    x.set("name", "Create Work Order");
    x.set("error_message", "provider answered 200 with a body that is not the expected JSON");
    let page = Page { records: vec![x], total: Some(1), next_offset: None };
    a.update(Msg::Window { entity: Entity::Executions, seq, offset: 0, result: Ok((page, None)) });
}

#[test]
fn typing_a_filter_in_a_detail_sends_nothing() {
    let mut a = console();
    key(&mut a, KeyCode::Enter); // the entry's detail
    assert_eq!(a.layer(), Layer::Detail);
    let mut fx = Vec::new();
    for c in "/error".chars() {
        fx.extend(ch(&mut a, c));
    }
    fx.extend(key(&mut a, KeyCode::Enter));
    assert!(acts(&fx).is_empty(), "{fx:?}");
    assert!(!fx.iter().any(|e| matches!(e, Effect::OpenUrl(_))), "{fx:?}");
    assert_eq!(a.layer(), Layer::Detail, "the prompt closed, the detail stays");
}

/// A work-order list of one failed create, for the in-flight tests.
fn work_orders(a: &mut App, state: &str) {
    let fx = ch(a, '3');
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().next() else { panic!("window load") };
    let wo = rec("wo1", "WPT0001", state, "2026-11-24 10:00:00");
    let page = Page { records: vec![wo], total: Some(1), next_offset: None };
    a.update(Msg::Window { entity: Entity::WorkOrders, seq, offset: 0, result: Ok((page, None)) });
}

#[test]
fn a_second_press_while_the_same_action_is_in_flight_is_not_sent_again() {
    let mut a = console();
    work_orders(&mut a, "create_failed");
    // A failed create sent again is previewed (as `n` is): y sends it.
    assert!(acts(&ch(&mut a, 'r')).is_empty());
    let first = ch(&mut a, 'y');
    assert_eq!(acts(&first).len(), 1, "{first:?}");
    // Pressed again while the create is in flight: refused, not previewed again.
    let second = ch(&mut a, 'r');
    assert!(a.actions.confirm.is_none());
    assert!(acts(&second).is_empty(), "{second:?}");
    assert!(a.status.as_ref().unwrap().1.contains("already running"), "{:?}", a.status);
    // Once it ended, the operator may send it again.
    let job = acts(&first)[0].id;
    a.update(Msg::Action(ActionEvent::Done { job, sys_id: "wo1".into(), outcome: Outcome::Failed("HTTP 401".into()) }));
    a.update(Msg::Action(ActionEvent::Finished { job, cancelled: false }));
    ch(&mut a, 'r');
    assert_eq!(acts(&ch(&mut a, 'y')).len(), 1);
}

#[test]
fn create_at_a_provider_is_previewed_and_confirmed() {
    let mut a = console();
    work_orders(&mut a, "not_synced");
    let fx = ch(&mut a, 'n');
    assert!(acts(&fx).is_empty(), "nothing sent before the confirmation: {fx:?}");
    let c = a.actions.confirm.as_ref().expect("a preview");
    assert!(c.lines.iter().any(|l| l.contains("create subflow")), "{:?}", c.lines);
    // The keys that answer it show, even when its lines wrap on a small screen.
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    term.draw(|f| hubtop::ui::draw(f, &a, &hubtop::ui::Theme::none())).unwrap();
    let screen = hubtop::harness::headless::screen_text(term.backend());
    assert!(screen.contains("y / Enter: send"), "{screen}");
    let fx = ch(&mut a, 'y');
    let jobs = acts(&fx);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].op, Operation::WorkOrder(hubtop::domain::WorkOrderOp::Create));
    // `n` again while it runs: the preview says it is already running, nothing more.
    ch(&mut a, 'n');
    assert!(a.actions.confirm.is_none());
    assert!(a.status.as_ref().unwrap().1.contains("already running"), "{:?}", a.status);
}

#[test]
fn a_read_only_console_offers_no_action_it_would_refuse() {
    let mut a = App::new(Settings { read_only: true, ..Default::default() }, Keymap::default());
    a.size = (120, 40);
    a.start();
    outbound_with(&mut a, 3, "error");
    let footer: Vec<&str> = hubtop::ui::footer_keys(&a).into_iter().map(|(_, what)| what).collect();
    assert!(!footer.iter().any(|w| matches!(*w, "retry" | "skip" | "cancel" | "create" | "update")), "{footer:?}");
    let help = hubtop::ui::overlay::help_lines(&a);
    assert!(!help.iter().any(|(_, w)| w.contains("retry") || w.contains("skip")), "{help:?}");
}

#[test]
fn a_window_fills_its_pane_and_keeps_the_selection_visible() {
    let mut a = console(); // 30 rows, 120×40: a pane of 32 rows
    a.size = (120, 24); // 16 rows
    a.update(Msg::Resize(120, 24));
    ch(&mut a, 'G');
    let l = a.current_list().unwrap();
    assert_eq!((l.selected, l.scroll), (29, 14));
    // Ten entries leave the filter (retried by the instance): the pane stays full.
    let Some(Effect::Delta { seq, delta, .. }) = a.refresh_current(true).into_iter().next() else { panic!("delta") };
    let gone: Vec<_> =
        (0..10).map(|i| rec(&format!("id{i:03}"), &format!("ISO{i:07}"), "ready", "2026-11-24 11:00:00")).collect();
    let mut q = hubtop::query::Query::new();
    q = q.and(hubtop::query::Condition::eq("state", "error"));
    a.lists.get_mut(&Entity::Outbound).unwrap().query = q;
    a.update(Msg::Delta { entity: Entity::Outbound, seq, result: Ok((delta, gone)) });
    let l = a.current_list().unwrap();
    let vp = a.viewport();
    assert_eq!(l.len(), 20);
    assert_eq!(l.scroll + vp, l.len(), "no blank space below while rows hide above");
    assert!(l.selected >= l.scroll && l.selected < l.scroll + vp, "the selection is on screen");
    assert_eq!(l.selected_record().unwrap().sys_id(), "id029", "and on the same record");
}

fn typed(a: &mut App, text: &str) -> Vec<Effect> {
    ch(a, '/');
    // Clear whatever the prompt starts with.
    for _ in 0..40 {
        key(a, KeyCode::Backspace);
    }
    for c in text.chars() {
        ch(a, c);
    }
    key(a, KeyCode::Enter)
}

fn window_query(fx: &[Effect]) -> String {
    match fx {
        [Effect::LoadWindow { spec, .. }, ..] => spec.query.to_string(),
        other => panic!("a window load expected, got {other:?}"),
    }
}

#[test]
fn the_filter_preview_and_enter_agree() {
    let mut a = console();
    // Two entries point at WPT0001124 (a reference: its display value is the number).
    for id in ["id003", "id007"] {
        let l = a.lists.get_mut(&Entity::Outbound).unwrap();
        let r = l.rows.iter_mut().find(|r| r.sys_id() == id).unwrap();
        r.fields.insert(
            "document_id".into(),
            hubtop::client::Field {
                value: "0123456789abcdef0123456789abcdef".into(),
                display: Some("WPT0001124".into()),
            },
        );
    }
    ch(&mut a, '/');
    for c in "WPT0001124".chars() {
        ch(&mut a, c);
    }
    assert_eq!(a.current_list().unwrap().len(), 2, "the preview shows the two");
    let fx = key(&mut a, KeyCode::Enter);
    let q = window_query(&fx);
    assert!(q.contains("document_id.numberLIKEWPT0001124"), "the instance looks in the same place: {q}");

    // Comparisons are queries, not words.
    let q = window_query(&typed(&mut a, "attempts>2"));
    assert_eq!(q, "attempts>2^ORDERBYDESCsys_updated_on");
}

#[test]
fn a_provider_filter_by_title_sends_its_sys_id() {
    let mut a = console();
    let mut p = hubtop::client::Record::default();
    p.set("sys_id", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    p.set("title", "RapidFix Maintenance");
    a.overview.data = Some(hubtop::app::overview::OverviewData { providers: vec![p], ..Default::default() });
    let q = window_query(&typed(&mut a, "provider=rapidfix maintenance"));
    assert!(q.starts_with("provider=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "{q}");
    let fx = typed(&mut a, "provider=Nobody");
    assert!(fx.is_empty(), "nothing sent: {fx:?}");
    assert!(a.status.as_ref().unwrap().1.contains("no provider titled `Nobody`"), "{:?}", a.status);
}

#[test]
fn provider_health_comes_from_recent_outcomes_worst_first_in_a_stable_order() {
    use hubtop::app::overview::OverviewData;
    use hubtop::domain::state::ProviderHealth;
    let provider = |i: usize| {
        let mut p = hubtop::client::Record::default();
        p.set("sys_id", &format!("p{i}"));
        p.set("title", &format!("Provider {i}"));
        p.set("outbound_state", "ready");
        p
    };
    let sync = |p: &str, status: &str| {
        let mut h = hubtop::client::Record::default();
        h.set("provider", p);
        h.set("status", status);
        h.set("duration_ms", "120");
        h
    };
    // Provider 7 fails every sync while its connection still says "ready".
    let mut recent: Vec<_> = (0..7).map(|i| sync(&format!("p{i}"), "success")).collect();
    recent.extend((0..19).map(|_| sync("p7", "failed")));
    recent.push(sync("p3", "failed"));
    let data = OverviewData {
        providers: (0..8).map(provider).collect(),
        recent,
        by_provider: vec![("p7".into(), "error".into(), 19)],
        ..Default::default()
    };
    let mut a = app();
    a.size = (80, 24);
    a.overview.absorb(data.clone());
    let order: Vec<(&str, ProviderHealth)> = a.overview.health.iter().map(|h| (h.title.as_str(), h.health)).collect();
    assert_eq!(order[0], ("Provider 7", ProviderHealth::Failing), "{order:?}");
    assert_eq!(order[1], ("Provider 3", ProviderHealth::Degraded), "{order:?}");
    assert!(order[2..].iter().all(|(_, h)| *h == ProviderHealth::Healthy));
    let titles = |a: &App| a.overview.health.iter().map(|h| h.title.clone()).collect::<Vec<_>>();
    let before = titles(&a);
    a.overview.absorb(data);
    assert_eq!(titles(&a), before, "the same outcomes, the same order");
    // At 80×24 the failing provider is on screen, and says so.
    let backend = ratatui::backend::TestBackend::new(80, 24);
    let mut term = ratatui::Terminal::new(backend).unwrap();
    term.draw(|f| hubtop::ui::draw(f, &a, &hubtop::ui::Theme::none())).unwrap();
    let screen = hubtop::harness::headless::screen_text(term.backend());
    let line = screen.lines().find(|l| l.contains("Provider 7")).unwrap_or_else(|| panic!("{screen}"));
    assert!(line.contains("Failing"), "{line}");
}

#[test]
fn a_bulk_retry_is_followed_to_what_the_queue_did_with_it() {
    let mut a = console();
    for _ in 0..3 {
        ch(&mut a, ' ');
    }
    ch(&mut a, 'r');
    let fx = ch(&mut a, 'y');
    let job = acts(&fx)[0].clone();
    assert_eq!(job.targets.len(), 3);
    // Each is set back to ready, then followed (by the operations layer) to what the
    // queue did with it: two fail again, one is processed.
    for t in &job.targets {
        a.update(Msg::Action(ActionEvent::Queued { job: job.id, sys_id: t.sys_id.clone() }));
    }
    assert!(
        a.actions.bulk_running().unwrap().line().contains("⟳ 3 waiting"),
        "{}",
        a.actions.bulk_running().unwrap().line()
    );
    let outcomes = [
        Outcome::Failed("error: HTTP 503: still down".into()),
        Outcome::Ok("processed (HTTP 201)".into()),
        Outcome::Failed("error: HTTP 503: provider error".into()),
    ];
    for (t, o) in job.targets.iter().zip(outcomes) {
        a.update(Msg::Action(ActionEvent::Done { job: job.id, sys_id: t.sys_id.clone(), outcome: o }));
    }
    a.update(Msg::Action(ActionEvent::Finished { job: job.id, cancelled: false }));
    let r = a.actions.report.as_ref().expect("a report");
    let t = r.tally();
    assert_eq!((t.ok, t.failed, t.groups.len(), t.waiting + t.following), (1, 2, 2, 0));
    let screen = {
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        term.draw(|f| hubtop::ui::draw(f, &a, &hubtop::ui::Theme::none())).unwrap();
        hubtop::harness::headless::screen_text(term.backend())
    };
    assert!(screen.contains("1 processed") && screen.contains("2 failed again"), "{screen}");
}

#[test]
fn the_session_log_keeps_every_message_in_full() {
    let mut a = console();
    a.size = (80, 24);
    let long = format!("retry ISO0000001 failed: HTTP 503: {} end-of-message", "provider error ".repeat(8));
    a.flash(hubtop::app::Level::Error, long.clone());
    a.flash(hubtop::app::Level::Info, "a later message replaces it on the status line");
    ch(&mut a, ':');
    for c in "log".chars() {
        ch(&mut a, c);
    }
    key(&mut a, KeyCode::Enter);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    term.draw(|f| hubtop::ui::draw(f, &a, &hubtop::ui::Theme::none())).unwrap();
    let screen = hubtop::harness::headless::screen_text(term.backend());
    assert!(screen.contains("Session log"), "{screen}");
    assert!(screen.contains("end-of-message"), "the whole text, wrapped: {screen}");
    assert!(screen.contains("a later message replaces it"), "{screen}");
}
