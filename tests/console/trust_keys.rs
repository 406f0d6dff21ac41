//! Screens own their keys: while a dialog or form is open it takes every key and nothing
//! behind it sees one; the key that opened a form never lands in it. Judged by what the
//! app holds (the screen behind, the form's fields) against the documented keys, never
//! by the app's own keymap, from several start states.

use crate::common::app::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hubtop::app::{App, Effect, Mode, Msg, Screen, Settings};
use hubtop::domain::Entity;
use proptest::prelude::*;

/// Every key an operator might hit in a dialog, printable and not.
fn any_key() -> impl Strategy<Value = KeyCode> {
    prop_oneof![
        6 => prop::sample::select(vec![
            'r', 'x', 'c', 'n', 'u', 'y', 'o', '/', ':', ' ', '*', 'j', 'k', 'q', 'h', 'p', '1', '4', '6', 'f', 's',
            'g', 'G', '?', 'a', '5', 'e',
        ])
        .prop_map(KeyCode::Char),
        2 => prop::sample::select(vec![
            KeyCode::Enter, KeyCode::Esc, KeyCode::Tab, KeyCode::BackTab, KeyCode::Down, KeyCode::Up,
            KeyCode::Backspace, KeyCode::PageDown, KeyCode::Home, KeyCode::End, KeyCode::Left,
        ]),
    ]
}

fn press(a: &mut App, code: KeyCode) -> Vec<Effect> {
    a.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn work_order(id: &str, integration: &str) -> hubtop::client::Record {
    let mut r = rec(id, &format!("WPT{id}"), "in_progress", "2026-11-24 10:00:00");
    r.set("integration_state", integration);
    r.set("short_description", "Parking barrier stuck open");
    r.set("priority", "3");
    r
}

/// A start state and the documented key that opens a dialog there.
fn opened(which: usize) -> (App, char) {
    let mut a = match which % 6 {
        5 => App::new(Settings { production: true, ..Default::default() }, hubtop::app::keys::Keymap::default()),
        _ => app(),
    };
    a.size = (120, 40);
    a.start();
    let key = match which % 6 {
        // Skip on an outbound list: a confirmation.
        0 => {
            outbound_with(&mut a, 12, "error");
            ch(&mut a, 'j');
            'x'
        }
        // Update a synced work order: the form.
        1 => {
            list_of(&mut a, '3', Entity::WorkOrders, vec![work_order("w1", "created"), work_order("w2", "created")]);
            'u'
        }
        // Create at the provider: a preview.
        2 => {
            list_of(&mut a, '3', Entity::WorkOrders, vec![work_order("w1", "not_synced")]);
            'n'
        }
        // Rerun a failed execution: a preview.
        3 => {
            let mut x = rec("x1", "", "ERROR", "2026-11-24 10:00:00");
            x.set("name", "Create Work Order");
            x.set("error_message", "provider answered 200 with a body that is not the expected JSON");
            list_of(&mut a, '6', Entity::Executions, vec![x]);
            'r'
        }
        // Skip from an entry's detail.
        4 => {
            outbound_with(&mut a, 5, "error");
            let fx = press(&mut a, KeyCode::Enter);
            let Some(Effect::LoadDetail { seq, .. }) = fx.into_iter().next() else { panic!("a detail load") };
            let record = rec("id000", "ISO0000000", "error", "2026-11-24 10:59:00");
            let data = hubtop::app::detail::DetailData { record, exec: None, related: Vec::new() };
            a.update(Msg::Detail { seq, result: Ok(data) });
            'x'
        }
        // A bulk retry on a production profile: the count typed.
        _ => {
            outbound_with(&mut a, 5, "error");
            ch(&mut a, '*');
            'r'
        }
    };
    let fx = ch(&mut a, key);
    assert!(fx.iter().all(|e| !matches!(e, Effect::Act(_))), "opening sends nothing: {fx:?}");
    assert!(a.actions.confirm.is_some() || a.actions.form.is_some(), "{key} opened a dialog in state {which}");
    (a, key)
}

/// What the screen behind a dialog shows and where the operator is on it.
fn behind(a: &App) -> String {
    let mut s = format!("stack {:?} mode {} frozen {} quit {}", a.breadcrumbs(), mode(&a.mode), a.frozen, a.quit);
    for (e, l) in &a.lists {
        s += &format!(
            " | {e:?} sel {} scroll {} query {} quick {:?} sort {:?}",
            l.selected, l.scroll, l.query, l.quick_filter, l.sort
        );
    }
    if let Some(Screen::Detail(d)) = a.stack.last() {
        s += &format!(" | detail step {} focus {:?} scroll {}", d.step, d.focus, d.scroll);
    }
    s += &format!(" | group {} log {}", a.overview.selected_group, a.log.scroll);
    s
}

fn mode(m: &Mode) -> &'static str {
    match m {
        Mode::Normal => "normal",
        Mode::Filter(_) => "filter",
        Mode::Command(_) => "command",
        Mode::Help => "help",
    }
}

fn fields(a: &App) -> Option<Vec<String>> {
    a.actions.form.as_ref().map(|f| {
        f.fields.iter().map(|(_, _, i)| i.value().to_string()).chain([f.comment.value().to_string()]).collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// With a dialog or form open, no key reaches the screen behind it: the screen, the
    /// selection, the prompts and the frozen state stay as they were, and the only
    /// effects a key can have are the operation the dialog was opened for, or the audit
    /// record of the dialog refusing what was typed into it.
    #[test]
    fn with_a_dialog_open_no_key_reaches_the_screen_behind(
        which in 0usize..6,
        keys in prop::collection::vec(any_key(), 1..25),
    ) {
        let (mut a, _) = opened(which);
        for code in keys {
            let open = a.actions.confirm.is_some() || a.actions.form.is_some();
            if !open {
                break;
            }
            let before = behind(&a);
            let fx = press(&mut a, code);
            prop_assert!(
                fx.iter().all(|e| matches!(e, Effect::Act(_) | Effect::Refused(..))),
                "{code:?} with a dialog open (state {which}) had effects behind it: {fx:?}"
            );
            prop_assert_eq!(before, behind(&a), "{:?} reached the screen behind (state {})", code, which);
        }
    }

    /// No key sequence puts the key that opened the form into one of its fields: pressed
    /// again at once (a double tap), it is swallowed; the form after any sequence is the
    /// form after the same sequence without its leading repeats of that key.
    #[test]
    fn no_key_sequence_makes_a_form_field_contain_the_key_that_opened_it(
        repeats in 0usize..4,
        keys in prop::collection::vec(any_key(), 0..20),
    ) {
        let (mut with, key) = opened(1);
        let (mut without, _) = opened(1);
        let original = fields(&with).expect("the form");
        for _ in 0..repeats {
            press(&mut with, KeyCode::Char(key));
            prop_assert_eq!(fields(&with), Some(original.clone()), "a repeat of `{}` landed in the form", key);
        }
        for code in keys {
            press(&mut with, code);
            press(&mut without, code);
        }
        prop_assert_eq!(fields(&with), fields(&without));
        prop_assert_eq!(with.actions.confirm.is_some(), without.actions.confirm.is_some());
    }
}

/// The issue's `u u`: the second `u` is not typed into the form, and Enter shows the
/// preview rather than sending.
#[test]
fn u_u_then_enter_types_nothing_and_previews() {
    let (mut a, _) = opened(1);
    ch(&mut a, 'u');
    let f = fields(&a).unwrap();
    assert_eq!(f[0], "Parking barrier stuck open", "{f:?}");
    assert!(a.status.as_ref().unwrap().1.contains("again ignored"), "{:?}", a.status);
    // A changed field, then Enter: the preview, nothing sent.
    press(&mut a, KeyCode::End);
    ch(&mut a, '!');
    let fx = press(&mut a, KeyCode::Enter);
    assert!(fx.is_empty(), "{fx:?}");
    let c = a.actions.confirm.as_ref().expect("the preview");
    assert!(c.lines.iter().any(|l| l.contains("stuck open!")), "{:?}", c.lines);
}

/// The issue's `y y`: the first `y` answers the dialog; the second does not copy the
/// row behind it.
#[test]
fn y_y_answers_the_dialog_and_does_not_copy_the_row_behind() {
    let (mut a, _) = opened(0);
    let fx = ch(&mut a, 'y');
    assert!(fx.iter().any(|e| matches!(e, Effect::Act(_))), "{fx:?}");
    let fx = ch(&mut a, 'y');
    assert!(!fx.iter().any(|e| matches!(e, Effect::Copy(_))), "the second y copied: {fx:?}");
    // Once more, on purpose: it copies.
    let fx = ch(&mut a, 'y');
    assert!(fx.iter().any(|e| matches!(e, Effect::Copy(_))), "{fx:?}");
}

/// The help lists the keys of the dialogs too (the previous field of the form was missing).
#[test]
fn help_names_the_dialog_keys_from_their_tables() {
    let (mut a, _) = opened(0);
    press(&mut a, KeyCode::Esc);
    ch(&mut a, 'j');
    ch(&mut a, '?');
    let help = hubtop::ui::overlay::help_lines(&a);
    assert!(help.iter().any(|(k, w)| *w == "previous field" && k.contains("backtab")), "{help:?}");
    assert!(help.iter().any(|(_, w)| *w == "confirm / send"), "{help:?}");
    // The footer in a dialog is the dialog's own keys.
    press(&mut a, KeyCode::Esc);
    ch(&mut a, 'x');
    let footer: Vec<(String, &str)> = hubtop::ui::footer_keys(&a);
    assert!(footer.iter().any(|(k, w)| k == "y" && *w == "send"), "{footer:?}");
    assert!(!footer.iter().any(|(_, w)| *w == "sort"), "no key of the list behind: {footer:?}");
}

/// The update form checks its fields before the preview: a state or priority must be
/// one of its choices (by value or label, any case); nothing is previewed otherwise.
#[test]
fn the_update_form_checks_choices_before_the_preview() {
    let (mut a, _) = opened(1);
    // priority is the second field.
    press(&mut a, KeyCode::Tab);
    press(&mut a, KeyCode::Backspace);
    for c in "urgent".chars() {
        ch(&mut a, c);
    }
    // Nothing is sent; the refusal is recorded in the audit log, as the CLI records it.
    let fx = press(&mut a, KeyCode::Enter);
    assert!(matches!(fx.as_slice(), [Effect::Refused(..)]), "{fx:?}");
    assert!(a.actions.confirm.is_none() && a.actions.form.is_some(), "the form stays open");
    let st = a.status.as_ref().unwrap().1.clone();
    // The CLI's words for `--set priority=urgent` (one check, ops::validate).
    assert_eq!(st, "refused: `urgent` is not a priority of work orders; valid values: 1, 2, 3, 4; nothing was sent");
    for _ in 0..6 {
        press(&mut a, KeyCode::Backspace);
    }
    ch(&mut a, '2');
    press(&mut a, KeyCode::Enter);
    let c = a.actions.confirm.as_ref().expect("the preview");
    assert!(c.lines.iter().any(|l| l.contains("priority") && l.contains("\"2\"")), "{:?}", c.lines);
}
