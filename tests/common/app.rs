//! The state machine without I/O: an app at a fixed size, keys, records and
//! a first window of outbound rows.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hubtop::app::keys::Keymap;
use hubtop::app::{App, Effect, Msg, Settings};
use hubtop::client::Record;
use hubtop::client::read::{Delta, ListSpec, Page};
use hubtop::domain::Entity;

pub fn app() -> App {
    let mut a = App::new(Settings { refresh: Duration::from_secs(3), ..Default::default() }, Keymap::default());
    a.size = (120, 40);
    a
}

pub fn key(a: &mut App, c: KeyCode) -> Vec<Effect> {
    a.update(Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

pub fn ch(a: &mut App, c: char) -> Vec<Effect> {
    key(a, KeyCode::Char(c))
}

pub fn rec(id: &str, number: &str, state: &str, updated: &str) -> Record {
    let mut r = Record::default();
    r.set("sys_id", id);
    r.set("number", number);
    r.set("state", state);
    r.set("sys_updated_on", updated);
    r.set("sys_mod_count", "1");
    r.set("last_error", if state == "error" { "HTTP 503: provider error" } else { "" });
    r.set("operation", "create");
    r.set("integration_state", state);
    r.set("fm_work_order_id", "FM-1");
    r
}

/// What the app draws at `w`×`h`, without colours.
pub fn screen(a: &App, w: u16, h: u16) -> String {
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("backend");
    term.draw(|f| hubtop::ui::draw(f, a, &hubtop::ui::Theme::none())).expect("draw");
    hubtop::harness::headless::screen_text(term.backend())
}

/// The status line's message (empty without one).
pub fn status(a: &App) -> String {
    a.status.as_ref().map(|(_, m)| m.clone()).unwrap_or_default()
}

/// Types `text` key by key; the effects of every key.
pub fn typed(a: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| ch(a, c)).collect()
}

/// Replaces the list's filter with `text` (`/`, the old text erased, Enter).
pub fn filter(a: &mut App, text: &str) -> Vec<Effect> {
    ch(a, '/');
    for _ in 0..60 {
        key(a, KeyCode::Backspace);
    }
    typed(a, text);
    key(a, KeyCode::Enter)
}

/// Types `text` as a `:` command and runs it.
pub fn command(a: &mut App, text: &str) -> Vec<Effect> {
    ch(a, ':');
    for c in text.chars() {
        ch(a, c);
    }
    key(a, KeyCode::Enter)
}

/// Opens view `view` (its key) and answers its first window with `rows`.
pub fn list_of(a: &mut App, view: char, e: Entity, rows: Vec<Record>) {
    let fx = ch(a, view);
    let Some(Effect::LoadWindow { seq, .. }) = fx.into_iter().next() else { panic!("window load") };
    let n = rows.len();
    let page = Page { records: rows, total: Some(n), next_offset: None };
    a.update(Msg::Window { entity: e, seq, offset: 0, result: Ok((page, None)) });
}

/// Opens the outbound list and answers its first window with `n` rows (newest first).
pub fn outbound_with(a: &mut App, n: usize, state: &str) {
    let fx = ch(a, '4');
    let seq = match fx.as_slice() {
        [Effect::LoadWindow { entity: Entity::Outbound, seq, spec, prime: Some(_) }] => {
            assert_eq!(spec.table, "ih_sync_outbound_record");
            assert_eq!(spec.query.to_string(), "ORDERBYDESCsys_updated_on");
            assert!(spec.fields.iter().any(|f| f == "last_error"), "asks only for the fields it shows");
            *seq
        }
        other => panic!("expected a window load, got {other:?}"),
    };
    let rows = (0..n)
        .map(|i| {
            rec(&format!("id{i:03}"), &format!("ISO{i:07}"), state, &format!("2026-11-24 10:{:02}:00", 59 - i % 60))
        })
        .collect();
    let page = Page { records: rows, total: Some(n), next_offset: None };
    let delta = Delta::starting_at(ListSpec::new("ih_sync_outbound_record"), Some("2026-11-24 10:59:00".into()));
    a.update(Msg::Window { entity: Entity::Outbound, seq, offset: 0, result: Ok((page, Some(delta))) });
}

/// The fixed "now" of the screen tests (ages drawn against it never drift).
pub fn fixed_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z").unwrap().into()
}

/// An app of `w`×`h` at [`fixed_now`], started.
pub fn at_fixed_time(w: u16, h: u16) -> App {
    let mut app = App::new(Settings::default(), Keymap::default());
    app.size = (w, h);
    app.now = fixed_now();
    app.start();
    app
}

/// A record as the instance answers with `sysparm_display_value=all` (value = display).
pub fn displayed(fields: &[(&str, &str)]) -> Record {
    let m: serde_json::Map<String, serde_json::Value> =
        fields.iter().map(|(k, v)| (k.to_string(), serde_json::json!({"value": v, "display_value": v}))).collect();
    Record::from_json(&serde_json::Value::Object(m)).expect("decodes")
}
