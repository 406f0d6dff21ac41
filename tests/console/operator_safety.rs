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

/// Where an operator may be when the keys start: the overview, an outbound list of
/// entries in error (with or without marks), an entry's detail, a list of work orders.
fn start_state(which: u8) -> App {
    let mut a = console();
    match which {
        0 => {
            ch(&mut a, '1');
        }
        1 => {}
        2 => {
            for _ in 0..3 {
                ch(&mut a, ' ');
            }
        }
        3 => {
            key(&mut a, KeyCode::Enter);
        }
        4 => work_orders(&mut a, "create_failed"),
        _ => work_orders(&mut a, "not_synced"),
    }
    a
}

/// The keys that may send something, by where they are pressed, as the README's key
/// table documents them (written out here, not read from the app's keymap, so that a
/// key the keymap wrongly made an action is caught): in a list or a detail, retry/rerun
/// `r`, skip `x`, create `n`, update `u`, cancel `c`; in a confirmation the app opened,
/// `y` or Enter; in the update form, Enter.
fn documented_to_send(layer: Layer, asked: bool, code: KeyCode) -> bool {
    match layer {
        Layer::List | Layer::Detail => matches!(code, KeyCode::Char('r' | 'x' | 'n' | 'u' | 'c')),
        Layer::Dialog => asked && matches!(code, KeyCode::Char('y') | KeyCode::Enter),
        Layer::Input => asked && code == KeyCode::Enter,
        Layer::Overview => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Only an action key pressed in a list or detail, or the confirmation of a dialog
    /// that asked for one, sends anything; no typed text ever does. From every start.
    #[test]
    fn no_action_is_sent_unless_an_action_key_or_its_confirmation_was_pressed(
        which in 0u8..6,
        keys in prop::collection::vec(any_key(), 1..30),
    ) {
        let mut a = start_state(which);
        for code in keys {
            let ev = KeyEvent::new(code, KeyModifiers::NONE);
            let layer = a.layer();
            let asked = a.actions.confirm.is_some() || a.actions.form.is_some();
            let fx = a.update(Msg::Key(ev));
            let sent = !acts(&fx).is_empty();
            prop_assert!(!sent || documented_to_send(layer, asked, code), "{code:?} in {layer:?} (start {which}) sent {fx:?}");
            // Typing in a prompt never opens a browser or copies either.
            if layer == Layer::Input && matches!(code, KeyCode::Char(_)) {
                prop_assert!(!fx.iter().any(|e| matches!(e, Effect::OpenUrl(_) | Effect::Copy(_))), "{fx:?}");
            }
        }
    }
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
    let first = ch(&mut a, 'r');
    assert_eq!(acts(&first).len(), 1, "{first:?}");
    let second = ch(&mut a, 'r');
    assert!(acts(&second).is_empty(), "{second:?}");
    assert!(a.status.as_ref().unwrap().1.contains("already running"), "{:?}", a.status);
    // Once it ended, the operator may send it again.
    let job = acts(&first)[0].id;
    a.update(Msg::Action(ActionEvent::Done { job, sys_id: "wo1".into(), outcome: Outcome::Failed("HTTP 401".into()) }));
    a.update(Msg::Action(ActionEvent::Finished { job, cancelled: false }));
    assert_eq!(acts(&ch(&mut a, 'r')).len(), 1);
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
    let mut fx = Vec::new();
    for t in &job.targets {
        let done =
            ActionEvent::Done { job: job.id, sys_id: t.sys_id.clone(), outcome: Outcome::Ok("state → ready".into()) };
        fx.extend(a.update(Msg::Action(done)));
    }
    fx.extend(a.update(Msg::Action(ActionEvent::Finished { job: job.id, cancelled: false })));
    assert!(!a.status.as_ref().unwrap().1.contains("under way"), "{:?}", a.status);
    let s = a.actions.summary.as_ref().expect("a summary");
    assert_eq!((s.ok, s.following.len()), (3, 3));
    // The queue runs them again: two fail again, one is processed.
    // The refresh the outcomes asked for brings what changed since.
    let Some(Effect::Delta { seq, delta, .. }) = fx.into_iter().find(|e| matches!(e, Effect::Delta { .. })) else {
        panic!("a refresh after the bulk job")
    };
    let mut changed = vec![
        rec("id000", "ISO0000000", "error", "2026-11-24 11:00:01"),
        rec("id001", "ISO0000001", "processed", "2026-11-24 11:00:01"),
        rec("id002", "ISO0000002", "error", "2026-11-24 11:00:01"),
    ];
    changed[0].set("last_error", "HTTP 503: still down");
    a.update(Msg::Delta { entity: Entity::Outbound, seq, result: Ok((delta, changed)) });
    let s = a.actions.summary.as_ref().unwrap();
    assert_eq!((s.processed, s.failed_again, s.following.len()), (1, 2, 0));
    assert!(
        s.failed.iter().any(|(t, o)| t.sys_id == "id000" && o.text().contains("HTTP 503: still down")),
        "{:?}",
        s.failed
    );
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
