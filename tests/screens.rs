//! What the operator sees, as snapshots of whole screens drawn with ratatui's
//! `TestBackend` from fixed data and a fixed clock (review changes with
//! `cargo insta review`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hubtop::app::keys::Keymap;
use hubtop::app::{App, Effect, Msg, Settings};
use hubtop::client::read::Page;
use hubtop::client::{Entity, Record};
use hubtop::harness::headless::screen_text;
use hubtop::ui::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z").unwrap().into()
}

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

/// A console of `w`×`h` on a fixed clock, its first screen loading.
fn console(w: u16, h: u16) -> App {
    let mut app = App::new(Settings::default(), Keymap::default());
    app.size = (w, h);
    app.now = now();
    app.start();
    app
}

/// Opens the list view on `view_key` and answers its window with `rows`.
fn show_list(app: &mut App, view_key: char, entity: Entity, rows: Vec<Record>) {
    let Some(Effect::LoadWindow { seq, .. }) = key(app, KeyCode::Char(view_key)).into_iter().next() else {
        panic!("the {entity:?} view asks for its window")
    };
    let n = rows.len();
    let page = Page { records: rows, total: Some(n), next_offset: None };
    app.update(Msg::Window { entity, seq, offset: 0, result: Ok((page, None)) });
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
