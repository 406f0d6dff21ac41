//! The keymap: what each key does, per context. The help overlay and the footer are
//! generated from it, so they cannot drift from the behaviour. Remapping in the config
//! adds bindings; navigation keys stay bound.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    Back,
    Enter,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextFocus,
    Filter,
    Command,
    Sort,
    Freeze,
    Refresh,
    Redraw,
    Copy,
    Open,
    Retry,
    Skip,
    CancelWorkOrder,
    CreateWorkOrder,
    UpdateWorkOrder,
    Mark,
    MarkAll,
    Provider,
    History,
    View(u8),
}

impl Action {
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Back => "back",
            Action::Enter => "open / drill down",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page up / scroll detail",
            Action::PageDown => "page down / scroll detail",
            Action::Top => "first row",
            Action::Bottom => "last row",
            Action::NextFocus => "next pane",
            Action::Filter => "filter",
            Action::Command => "command / view",
            Action::Sort => "sort by next column",
            Action::Freeze => "freeze live updates",
            Action::Refresh => "refresh now",
            Action::Redraw => "redraw screen",
            Action::Copy => "copy record as JSON",
            Action::Open => "open in browser",
            Action::Retry => "retry / rerun",
            Action::Skip => "skip entry",
            Action::CancelWorkOrder => "cancel work order",
            Action::CreateWorkOrder => "create at provider",
            Action::UpdateWorkOrder => "update work order",
            Action::Mark => "mark row",
            Action::MarkAll => "mark all matching",
            Action::Provider => "go to provider",
            Action::History => "sync history of record",
            Action::View(_) => "switch view",
        }
    }

    /// The name used in the config's `[keys]` table.
    pub fn config_name(self) -> String {
        match self {
            Action::View(n) => format!("view_{n}"),
            other => format!("{other:?}").chars().fold(String::new(), |mut s, c| {
                if c.is_uppercase() && !s.is_empty() {
                    s.push('_');
                }
                s.push(c.to_ascii_lowercase());
                s
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Keymap {
    map: HashMap<(KeyCode, KeyModifiers), Action>,
}

fn k(c: char) -> (KeyCode, KeyModifiers) {
    (KeyCode::Char(c), KeyModifiers::NONE)
}

impl Default for Keymap {
    fn default() -> Self {
        use Action::*;
        let mut map = HashMap::new();
        let mut bind = |key: (KeyCode, KeyModifiers), a: Action| {
            map.insert(key, a);
        };
        bind(k('q'), Quit);
        bind((KeyCode::Char('c'), KeyModifiers::CONTROL), Quit);
        bind(k('?'), Help);
        bind((KeyCode::Esc, KeyModifiers::NONE), Back);
        bind((KeyCode::Enter, KeyModifiers::NONE), Enter);
        bind(k('k'), Up);
        bind((KeyCode::Up, KeyModifiers::NONE), Up);
        bind(k('j'), Down);
        bind((KeyCode::Down, KeyModifiers::NONE), Down);
        bind((KeyCode::PageUp, KeyModifiers::NONE), PageUp);
        bind((KeyCode::Char('b'), KeyModifiers::CONTROL), PageUp);
        bind((KeyCode::PageDown, KeyModifiers::NONE), PageDown);
        bind((KeyCode::Char('f'), KeyModifiers::CONTROL), PageDown);
        bind(k('g'), Top);
        bind((KeyCode::Home, KeyModifiers::NONE), Top);
        bind(k('G'), Bottom);
        bind((KeyCode::Char('G'), KeyModifiers::SHIFT), Bottom);
        bind((KeyCode::End, KeyModifiers::NONE), Bottom);
        bind((KeyCode::Tab, KeyModifiers::NONE), NextFocus);
        bind(k('/'), Filter);
        bind(k(':'), Command);
        bind(k('s'), Sort);
        bind(k('f'), Freeze);
        bind((KeyCode::Char('r'), KeyModifiers::CONTROL), Refresh);
        bind((KeyCode::Char('l'), KeyModifiers::CONTROL), Redraw);
        bind(k('y'), Copy);
        bind(k('o'), Open);
        bind(k('r'), Retry);
        bind(k('x'), Skip);
        bind(k('c'), CancelWorkOrder);
        bind(k('n'), CreateWorkOrder);
        bind(k('u'), UpdateWorkOrder);
        bind(k(' '), Mark);
        bind(k('*'), MarkAll);
        bind(k('p'), Provider);
        bind(k('h'), History);
        for n in 1..=7u8 {
            bind(k((b'0' + n) as char), View(n));
        }
        Keymap { map }
    }
}

/// Parses a key name from the config: `r`, `ctrl-r`, `enter`, `esc`, `f5`, `space`, `tab`.
pub fn parse_key(s: &str) -> Option<(KeyCode, KeyModifiers)> {
    let s = s.trim();
    let (mods, name) = match s.to_ascii_lowercase().strip_prefix("ctrl-") {
        Some(rest) => (KeyModifiers::CONTROL, rest.to_string()),
        None => (KeyModifiers::NONE, s.to_string()),
    };
    let code = match name.to_ascii_lowercase().as_str() {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        f if f.len() > 1 && f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
        _ => {
            let mut chars = name.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            KeyCode::Char(c)
        }
    };
    Some((code, mods))
}

pub fn key_name(code: KeyCode, mods: KeyModifiers) -> String {
    let base = match code {
        KeyCode::Char(' ') => "space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "enter".into(),
        KeyCode::Esc => "esc".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::PageUp => "pgup".into(),
        KeyCode::PageDown => "pgdn".into(),
        KeyCode::Home => "home".into(),
        KeyCode::End => "end".into(),
        KeyCode::F(n) => format!("f{n}"),
        other => format!("{other:?}").to_lowercase(),
    };
    if mods.contains(KeyModifiers::CONTROL) { format!("ctrl-{base}") } else { base }
}

impl Keymap {
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        self.map.get(&(ev.code, mods)).or_else(|| self.map.get(&(ev.code, ev.modifiers))).copied()
    }

    /// Adds bindings from the config (`action = "key"` or a list); returns the conflicts found.
    pub fn extend(&mut self, bindings: &[(String, String)]) -> Result<(), Vec<String>> {
        let by_name: HashMap<String, Action> =
            self.map.values().copied().chain((1..=7).map(Action::View)).map(|a| (a.config_name(), a)).collect();
        let mut problems = Vec::new();
        let mut added: HashMap<(KeyCode, KeyModifiers), Action> = HashMap::new();
        for (action, key) in bindings {
            let Some(&a) = by_name.get(action.as_str()) else {
                problems.push(format!("unknown action `{action}`"));
                continue;
            };
            let Some(kc) = parse_key(key) else {
                problems.push(format!("`{key}` (for {action}) is not a key name"));
                continue;
            };
            let existing = added.get(&kc).copied().or_else(|| self.map.get(&kc).copied().filter(|b| *b != a));
            if let Some(other) = existing.filter(|b| *b != a) {
                problems.push(format!("`{key}` is bound to both {} and {action}", other.config_name()));
                continue;
            }
            added.insert(kc, a);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        self.map.extend(added);
        Ok(())
    }

    /// Every key bound to `a`, for help and footers.
    pub fn keys_for(&self, a: Action) -> Vec<String> {
        let mut ks: Vec<String> =
            self.map.iter().filter(|(_, v)| **v == a).map(|((c, m), _)| key_name(*c, *m)).collect();
        ks.sort_by_key(|s| (s.chars().count(), s.clone()));
        ks.dedup();
        ks
    }

    pub fn first_key(&self, a: Action) -> String {
        self.keys_for(a).into_iter().next().unwrap_or_else(|| "?".into())
    }
}
