//! Hostile strings from the instance — escape sequences (CSI, OSC 52, OSC 8), bidi
//! overrides, zero-width and very wide characters, megabyte-long fields — render as
//! visible, width-correct text that cannot move the cursor, recolour, set the
//! clipboard or break the layout.

use hubtop::app::detail::{DetailData, ExecView};
use hubtop::app::keys::Keymap;
use hubtop::app::{App, Effect, Msg, Settings};
use hubtop::client::actions::{ExecDetail, Step};
use hubtop::client::read::Page;
use hubtop::client::{Entity, Record};
use hubtop::harness::headless::screen_text;
use hubtop::ui::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

fn hostile() -> Vec<String> {
    vec![
        "\u{1b}[31mred\u{1b}[0m \u{1b}[2J\u{1b}[H cleared".into(),
        "copy \u{1b}]52;c;aGVsbG8gd29ybGQ=\u{7} me".into(),
        "\u{1b}]8;;http://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\".into(),
        "abc\u{202e}fed\u{2066}x\u{2069}".into(),
        "zero\u{200b}width\u{200d}joiner\u{feff}".into(),
        "漢字テキストの長い説明 🚀🔥 ｗｉｄｅ".into(),
        "line\nbreak\r\ncarriage\rreturn\ttab\u{7}bell\u{8}backspace".into(),
        "\u{9b}31mC1 CSI\u{9d}0;title\u{9c}".into(),
        "x".repeat(1 << 20),
    ]
}

fn record(i: usize, s: &str) -> Record {
    let v = json!({
        "sys_id": format!("{i:032x}"),
        "number": s,
        "state": "error",
        "operation": s,
        "provider": {"value": format!("{i:032x}"), "display_value": s},
        "document_id": {"value": "x", "display_value": s},
        "attempts": "3",
        "max_attempts": "3",
        "last_error": s,
        "sys_updated_on": "2026-11-24 10:00:00",
        "sys_mod_count": "1",
    });
    Record::from_json(&v).expect("decodes")
}

fn assert_clean(screen: &TestBackend, width: u16) {
    let buf = screen.buffer();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            for ch in sym.chars() {
                assert!(
                    !(ch.is_control() || ('\u{80}'..='\u{9f}').contains(&ch)),
                    "control char {:?} at ({x},{y})",
                    ch
                );
                assert!(
                    !matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}'),
                    "{ch:?} at ({x},{y})"
                );
            }
        }
        // Boxes stay closed: a row that starts with a border ends with one.
        let first = buf[(0, y)].symbol();
        if matches!(first, "│" | "┌" | "└") {
            let last = buf[(width - 1, y)].symbol();
            assert!(matches!(last, "│" | "┐" | "┘"), "row {y} lost its right border: {last:?}");
        }
    }
}

#[test]
fn a_list_and_a_detail_of_hostile_strings_stay_inert() {
    let mut app = App::new(Settings::default(), Keymap::default());
    app.size = (120, 30);
    app.start();
    let fx = app.update(Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('4'),
        crossterm::event::KeyModifiers::NONE,
    )));
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().next() else { panic!("window load") };
    let rows: Vec<Record> = hostile().iter().enumerate().map(|(i, s)| record(i, s)).collect();
    // Sanitised where it entered: no record holds a control character.
    for r in &rows {
        for f in r.fields.values() {
            assert!(!f.value.chars().any(|c| c.is_control()), "{:?}", &f.value[..f.value.len().min(40)]);
            assert!(f.value.chars().count() <= hubtop::sanitize::MAX_CHARS + 32, "capped");
        }
    }
    let n = rows.len();
    app.update(Msg::Window {
        entity: Entity::Outbound,
        seq,
        offset: 0,
        result: Ok((Page { records: rows.clone(), total: Some(n), next_offset: None }, None)),
    });
    let theme = Theme::default_theme();
    let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
    term.draw(|f| hubtop::ui::draw(f, &app, &theme)).unwrap();
    assert_clean(term.backend(), 120);
    let text = screen_text(term.backend());
    assert!(text.contains('␛'), "escapes are visible:\n{text}");
    for line in text.lines().filter(|l| l.starts_with('│')) {
        assert!(line.ends_with('│'), "the right border stays in place: {line}");
    }
    // The detail of the same record, with a step made of hostile strings.
    let fx = app.update(Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Enter,
        crossterm::event::KeyModifiers::NONE,
    )));
    let Some(Effect::LoadDetail { seq, .. }) = fx.into_iter().next() else { panic!("detail load") };
    let h = hostile();
    let step = Step {
        order: 1,
        name: h[0].clone(),
        state: "error".into(),
        error: h[1].clone(),
        outputs: json!({"response_code": "401", "response_body": h[2].clone()}),
        inputs: json!({"url": h[3].clone(), "body": h[8].clone()}),
        ..Default::default()
    };
    // Steps arrive through the client's decoding; mimic it by sanitising as it does.
    let clean = |s: &str| hubtop::sanitize::sanitize(s).into_owned();
    let step = Step {
        name: clean(&step.name),
        error: clean(&step.error),
        outputs: json!({"response_code": "401", "response_body": clean(&h[2])}),
        inputs: json!({"url": clean(&h[3]), "body": clean(&h[8])}),
        ..step
    };
    let exec = ExecDetail { execution: rows[1].clone(), steps: vec![step], ..Default::default() };
    app.update(Msg::Detail {
        seq,
        result: Ok(DetailData { record: rows[0].clone(), exec: Some(ExecView::Loaded(exec)), related: vec![] }),
    });
    for (w, hgt) in [(120, 30), (80, 24), (200, 60)] {
        app.size = (w, hgt);
        let mut term = Terminal::new(TestBackend::new(w, hgt)).unwrap();
        term.draw(|f| hubtop::ui::draw(f, &app, &theme)).unwrap();
        assert_clean(term.backend(), w);
    }
}
