//! What the operator sees, as snapshots of whole screens drawn with ratatui's
//! `TestBackend` from fixed data and a fixed clock (review changes with
//! `cargo insta review`).

use crate::common::app::{at_fixed_time as console, fixed_now as now, list_of as show_list};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hubtop::app::keys::Keymap;
use hubtop::app::{App, Effect, Msg, Settings};
use hubtop::client::{Entity, Record};
use hubtop::harness::headless::screen_text;
use hubtop::ui::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

/// An outbound entry as the instance answers with `sysparm_display_value=all`.
fn outbound(i: usize, state: &str, provider: &str, attempts: u32, next: &str, error: &str) -> Record {
    let dv = |v: &str, d: &str| json!({"value": v, "display_value": d});
    let label = |s: &str| {
        let mut c = s.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
    };
    Record::from_json(&json!({
        "sys_id": format!("{i:032x}"),
        "number": dv(&format!("ISO{:07}", 1000 + i), &format!("ISO{:07}", 1000 + i)),
        "state": dv(state, &label(state)),
        "operation": dv("create", "Create"),
        "document_id": dv(&format!("{:032x}", 500 + i), &format!("WPT{:07}", 1000 + i)),
        "provider": dv(&format!("{:032x}", provider.len()), provider),
        "attempts": dv(&attempts.to_string(), &attempts.to_string()),
        "max_attempts": dv("3", "3"),
        "next_attempt": dv(next, next),
        "last_error": dv(error, error),
        "sys_updated_on": dv(&format!("2026-11-24 09:{:02}:00", 59 - i), ""),
        "sys_mod_count": dv("1", "1"),
    }))
    .expect("decodes")
}

fn outbound_rows() -> Vec<Record> {
    vec![
        outbound(
            1,
            "error",
            "Keystone Property Services",
            1,
            "2026-11-24 10:01:00",
            "HTTP 401: credentials rejected by provider (client credentials rejected)",
        ),
        outbound(2, "processed", "Acme Facilities", 1, "", ""),
        outbound(
            3,
            "error",
            "RapidFix",
            2,
            "2026-11-24 10:00:30",
            "HTTP 429: rate limited by provider, retry after 3s",
        ),
        outbound(4, "processing", "SlowCo Maintenance", 0, "", ""),
        outbound(
            5,
            "skipped",
            "Northwind Remote Instance",
            3,
            "",
            "connection refused by http://10.0.0.7:8443/api/sn_fd/remote",
        ),
    ]
}

fn key(app: &mut App, c: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

fn outbound_screen(w: u16, h: u16) -> String {
    let mut app = console(w, h);
    show_list(&mut app, '4', Entity::Outbound, outbound_rows());
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    draw(&app, w, h)
}

#[test]
fn outbound_list_wide() {
    // Columns sized to what they hold: full provider names, the error takes the rest.
    insta::assert_snapshot!(outbound_screen(150, 16));
}

#[test]
fn outbound_list_narrow() {
    // At 80 columns the right-hand fixed columns go first; the error stays.
    insta::assert_snapshot!(outbound_screen(80, 16));
}

fn draw(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| hubtop::ui::draw(f, app, &Theme::default_theme())).unwrap();
    screen_text(term.backend())
}

/// An execution whose fourth step failed, opened from the executions list.
fn execution_detail(w: u16, h: u16) -> App {
    use hubtop::app::detail::{DetailData, ExecView};
    use hubtop::client::actions::{ExecDetail, Step};
    let mut app = console(w, h);
    let dv = |v: &str| json!({"value": v, "display_value": v});
    let exec = Record::from_json(&json!({
        "sys_id": "e1",
        "name": dv("BrightFM - Update Work Order"),
        "state": {"value": "ERROR", "display_value": "Error"},
        "started": dv("2026-11-24 09:59:58"),
        "run_time": dv("12"),
        "source_record": {"value": "w1", "display_value": "WPT0001004"},
        "error_message": dv("Step 4 (REST: PATCH update): HTTP 503: provider error (work order service temporarily unavailable)"),
    }))
    .unwrap();
    show_list(&mut app, '6', Entity::Executions, vec![exec.clone()]);
    let Some(Effect::LoadDetail { seq, .. }) = key(&mut app, KeyCode::Enter).into_iter().next() else {
        panic!("Enter opens the execution")
    };
    let step = |order: u32, name: &str, state: &str| Step {
        order,
        name: name.into(),
        state: state.into(),
        duration_ms: 1,
        ..Default::default()
    };
    let mut body = serde_json::Map::new();
    for i in 1..=12 {
        body.insert(format!("field_{i:02}"), json!(format!("value {i}")));
    }
    let failed = Step {
        error: "HTTP 503: provider error (work order service temporarily unavailable)".into(),
        outputs: json!({"response_code": "503", "response_body": "{\"error\":\"upstream_unavailable\"}"}),
        inputs: json!({"method": "PATCH", "url": "https://fm.example/workorders/FM-40002", "body": body}),
        ..step(4, "REST: PATCH update", "error")
    };
    let steps = vec![
        step(1, "Validate inputs", "complete"),
        step(2, "Look up Workplace Task", "complete"),
        step(3, "Build FM payload", "complete"),
        failed,
    ];
    let x = ExecDetail { execution: exec.clone(), steps, ..Default::default() };
    app.update(Msg::Detail {
        seq,
        result: Ok(DetailData { record: exec, exec: Some(ExecView::Loaded(x)), related: vec![] }),
    });
    app
}

#[test]
fn execution_detail_opens_on_the_failed_step() {
    insta::assert_snapshot!(draw(&execution_detail(140, 30), 140, 30));
}

#[test]
fn a_long_step_scrolls_with_the_page_keys_and_resets_on_another_step() {
    let (w, h) = (100, 24);
    let mut app = execution_detail(w, h);
    let top = draw(&app, w, h);
    assert!(top.contains("error") && top.contains("HTTP 503"), "the failing step's error first:\n{top}");
    assert!(top.contains("more below"), "{top}");
    assert!(!top.contains("in.url"), "{top}");
    for _ in 0..10 {
        key(&mut app, KeyCode::PageDown);
        draw(&app, w, h);
    }
    let bottom = draw(&app, w, h);
    assert!(bottom.contains("in.url") && bottom.contains("field_12"), "scrolled to the end:\n{bottom}");
    assert!(!bottom.contains("more below"), "{bottom}");
    // One PageUp from the end moves up at once (the scroll stops at the end, not past it).
    key(&mut app, KeyCode::PageUp);
    assert_ne!(draw(&app, w, h), bottom);
    // Another step starts at its top.
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::Up);
    let other = draw(&app, w, h);
    assert!(other.contains("Step 3 Build FM payload"), "{other}");
    key(&mut app, KeyCode::Down);
    assert!(draw(&app, w, h).contains("more below"), "back on step 4, at its top");
}

#[test]
fn help_shows_every_key_at_80x24() {
    let mut app = console(80, 24);
    key(&mut app, KeyCode::Char('?'));
    let screen = draw(&app, 80, 24);
    for (_, what) in hubtop::ui::overlay::help_lines(&app) {
        assert!(screen.contains(what), "{what:?} missing from the help at 80×24:\n{screen}");
    }
}

// ---------------------------------------------------------------- every view at 80×24

/// A record of `entity` as the instance answers it, every listed field filled: the
/// values that have meaning (states, numbers, times) realistic, the rest a label.
fn row(entity: Entity, i: usize) -> Record {
    let t = |m: usize| format!("2026-11-24 09:{:02}:00", 59 - m);
    let state = |all: &[&str]| all[i % all.len()].to_string();
    let mut m = serde_json::Map::new();
    for f in entity.list_fields() {
        let v = match (entity, *f) {
            (_, "sys_id") => format!("{:032x}", 100 * i + 7),
            (_, "sys_mod_count") => "1".into(),
            (_, "sys_updated_on" | "sys_created_on" | "started" | "ended") => t(i),
            (Entity::Providers, "title") => ["Acme Facilities", "Keystone Property Services", "RapidFix"][i % 3].into(),
            (Entity::Providers, "kind") => "fm_api".into(),
            (Entity::Providers, "active") => "true".into(),
            (Entity::Providers, "outbound_state" | "inbound_state") => state(&["ready", "error"]),
            (Entity::Providers, "auth_method") => "oauth_client".into(),
            (Entity::WorkOrders, "number") => format!("WPT{:07}", 1000 + i),
            (Entity::WorkOrders, "state") => state(&["new", "work_in_progress", "resolved"]),
            (Entity::WorkOrders, "priority") => ((i % 4) + 1).to_string(),
            (Entity::WorkOrders, "integration_state") => state(&["created", "create_failed", "not_synced"]),
            (Entity::WorkOrders, "fm_provider") => "Acme Facilities".into(),
            (Entity::Inbound, "number") => format!("ISI{:07}", 1000 + i),
            (Entity::Inbound, "state") => state(&["processed", "error", "ready"]),
            (Entity::Inbound, "sequence") => (10 + i).to_string(),
            (Entity::Inbound, "action_type") => "update".into(),
            (Entity::Executions, "state") => state(&["COMPLETE", "ERROR", "IN_PROGRESS"]),
            (Entity::Executions, "run_time") => (12 + i).to_string(),
            (Entity::History, "operation") => state(&["create", "update", "cancel"]),
            (Entity::History, "status") => state(&["success", "failed"]),
            (Entity::History, "response_code") => state(&["201", "401", "200"]),
            (Entity::History, "duration_ms") => (120 + 10 * i).to_string(),
            (_, "error" | "error_message" | "message" | "last_error") if i % 2 == 1 => {
                "HTTP 401: credentials rejected by provider".into()
            }
            (_, "error" | "error_message" | "message" | "last_error") => String::new(),
            (_, f) => format!("{f} {i}"),
        };
        m.insert(f.to_string(), json!(v));
    }
    Record::from_json(&serde_json::Value::Object(m)).expect("decodes")
}

/// The overview of a fixed instance: counts, three providers, recent syncs, error groups.
fn overview_data() -> hubtop::app::overview::OverviewData {
    let providers: Vec<Record> = (0..3).map(|i| row(Entity::Providers, i)).collect();
    let recent = (0..12)
        .map(|i| {
            let mut h = Record::default();
            h.set("provider", providers[i % 3].sys_id());
            h.set("status", if i % 3 == 1 { "failed" } else { "success" });
            h.set("duration_ms", &(100 + 20 * i).to_string());
            h
        })
        .collect();
    let pid = |i: usize| providers[i].sys_id().to_string();
    hubtop::app::overview::OverviewData {
        counts: vec![
            ("Outbound", vec![("processed".into(), 412), ("error".into(), 9), ("ready".into(), 3)]),
            ("Inbound", vec![("processed".into(), 120), ("error".into(), 1)]),
            ("Work orders", vec![("created".into(), 380), ("create_failed".into(), 7)]),
        ],
        by_provider: vec![(pid(1), "error".into(), 7), (pid(2), "error".into(), 2), (pid(0), "ready".into(), 3)],
        recent,
        error_messages: vec![
            ("HTTP 401: credentials rejected by provider (client credentials rejected)".into(), 7),
            ("HTTP 429: rate limited by provider, retry after 3s".into(), 2),
        ],
        providers,
        ..Default::default()
    }
}

/// A console at 80×24 with the overview answered.
fn small_console() -> App {
    let mut app = App::new(Settings::default(), Keymap::default());
    app.size = (80, 24);
    app.now = now();
    let fx = app.start();
    let Some(Effect::LoadOverview { seq, .. }) = fx.into_iter().next() else { panic!("the overview loads first") };
    app.update(Msg::Overview { seq, result: Ok(overview_data()) });
    app
}

#[test]
fn overview_at_80x24() {
    insta::assert_snapshot!(draw(&small_console(), 80, 24));
}

#[test]
fn every_list_at_80x24() {
    for (key, entity) in [
        ('2', Entity::Providers),
        ('3', Entity::WorkOrders),
        ('4', Entity::Outbound),
        ('5', Entity::Inbound),
        ('6', Entity::Executions),
        ('7', Entity::History),
    ] {
        let mut app = small_console();
        let rows = if entity == Entity::Outbound { outbound_rows() } else { (0..6).map(|i| row(entity, i)).collect() };
        show_list(&mut app, key, entity, rows);
        insta::assert_snapshot!(format!("list_{entity:?}_at_80x24"), draw(&app, 80, 24));
    }
}

#[test]
fn execution_detail_at_80x24() {
    insta::assert_snapshot!(draw(&execution_detail(80, 24), 80, 24));
}

#[test]
fn help_at_80x24() {
    let mut app = small_console();
    key(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn session_log_at_80x24() {
    let mut app = small_console();
    // Action outcomes: the session's, they stay on the status line whatever the view.
    let session = hubtop::app::Scope::Session;
    app.say(session, hubtop::app::Level::Error, "retry ISO0001001 failed: HTTP 503: provider error".to_string());
    app.say(session, hubtop::app::Level::Info, "skip ISO0001002: state → skipped".to_string());
    key(&mut app, KeyCode::Char(':'));
    for c in "log".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(draw(&app, 80, 24));
}

#[test]
fn fleet_at_80x24() {
    use hubtop::app::fleet::{Fleet, FleetProfile};
    let mut app = small_console();
    let profile = |name: &str, read_only: bool, production: bool| FleetProfile {
        name: name.into(),
        instance: format!("https://{name}.example.com"),
        read_only,
        production,
        tables: hubtop::client::Tables::default(),
    };
    app.fleet = Fleet::new(vec![profile("dev", false, false), profile("prod", true, true)]);
    key(&mut app, KeyCode::Char(':'));
    for c in "fleet".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(draw(&app, 80, 24));
}

/// At 80 columns the footer drops hints from the right to fit; what the operator has
/// marked must stay (the approved `outbound_list_narrow` once showed the footer cut at
/// "q" and no "1 marked"; the footer now drops its least needed keys instead).
#[test]
fn the_narrow_footer_keeps_the_mark_count() {
    let screen = outbound_screen(80, 16);
    let footer = screen.lines().last().unwrap_or("");
    assert!(footer.contains("1 marked"), "{screen}");
}
