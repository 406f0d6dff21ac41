//! The keymaps, one per layer of the console (lists, details, the overview, dialogs,
//! text entry). A key means an action only in the layers that action works in; text-entry
//! layers own every printable key. The help overlay and the footer are generated from
//! the keymap, so they cannot drift from the behaviour. Remapping in the config adds
//! bindings; navigation keys stay bound.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The views the number keys switch to: the overview, then each kind with a list of its
/// own (`super::VIEWS`).
pub const VIEW_COUNT: u8 = 1 + crate::domain::Entity::LISTED.len() as u8;

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
    /// In a dialog: send / yes.
    Confirm,
    /// In a dialog: do not send / no / close.
    Dismiss,
    /// In a text field: accept what was typed.
    Accept,
    /// In a text field: complete the word / next field.
    Complete,
    /// In a form: the previous field.
    PrevField,
}

/// Where the console is, for what a key means there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    Overview,
    List,
    Detail,
    /// A confirmation, a bulk job's gauge, a summary, the help.
    Dialog,
    /// The filter and command prompts, and the update form: printable keys are text.
    Input,
}

impl Layer {
    /// Whether printable keys are text here, never actions.
    pub fn takes_text(self) -> bool {
        self == Layer::Input
    }
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
            Action::Confirm => "confirm / send",
            Action::Dismiss => "close / do not send",
            Action::Accept => "accept",
            Action::Complete => "complete / next field",
            Action::PrevField => "previous field",
        }
    }

    /// Whether the action sends something that changes the instance.
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Action::Retry | Action::Skip | Action::CancelWorkOrder | Action::CreateWorkOrder | Action::UpdateWorkOrder
        )
    }

    /// The layers this action works in.
    pub fn works_in(self, layer: Layer) -> bool {
        use Action::*;
        use Layer::*;
        match self {
            Confirm => layer == Dialog,
            Dismiss => matches!(layer, Dialog | Input),
            Accept | Complete | PrevField => layer == Input,
            Up | Down => matches!(layer, Overview | List | Detail | Dialog | Input),
            Quit | Help | Command | Refresh | Redraw | Freeze | View(_) => matches!(layer, Overview | List | Detail),
            Back | Enter => matches!(layer, Overview | List | Detail),
            PageUp | PageDown | Top | Bottom => matches!(layer, Overview | List | Detail),
            NextFocus => layer == Detail,
            Filter => matches!(layer, Overview | List | Detail),
            Sort | Mark | MarkAll => layer == List,
            Retry | Skip => matches!(layer, Overview | List | Detail),
            Copy | Open | Provider | History | CancelWorkOrder | CreateWorkOrder | UpdateWorkOrder => {
                matches!(layer, List | Detail)
            }
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
    /// The browsing layers' bindings (overview, lists, details); remappable.
    map: HashMap<(KeyCode, KeyModifiers), Action>,
    /// Bindings of one layer only (dialogs, text entry).
    layered: HashMap<(Layer, (KeyCode, KeyModifiers)), Action>,
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
        for n in 1..=VIEW_COUNT {
            bind(k((b'0' + n) as char), View(n));
        }
        let mut layered = HashMap::new();
        let mut bind_in = |layer: Layer, key: (KeyCode, KeyModifiers), a: Action| {
            layered.insert((layer, key), a);
        };
        let none = KeyModifiers::NONE;
        bind_in(Layer::Dialog, k('y'), Confirm);
        bind_in(Layer::Dialog, (KeyCode::Enter, none), Confirm);
        bind_in(Layer::Dialog, k('n'), Dismiss);
        bind_in(Layer::Dialog, k('q'), Dismiss);
        bind_in(Layer::Dialog, (KeyCode::Esc, none), Dismiss);
        bind_in(Layer::Dialog, k('j'), Down);
        bind_in(Layer::Dialog, (KeyCode::Down, none), Down);
        bind_in(Layer::Dialog, k('k'), Up);
        bind_in(Layer::Dialog, (KeyCode::Up, none), Up);
        bind_in(Layer::Input, (KeyCode::Enter, none), Accept);
        bind_in(Layer::Input, (KeyCode::Esc, none), Dismiss);
        bind_in(Layer::Input, (KeyCode::Tab, none), Complete);
        bind_in(Layer::Input, (KeyCode::BackTab, KeyModifiers::SHIFT), PrevField);
        bind_in(Layer::Input, (KeyCode::BackTab, none), PrevField);
        bind_in(Layer::Input, (KeyCode::Down, none), Down);
        bind_in(Layer::Input, (KeyCode::Up, none), Up);
        Keymap { map, layered }
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
    /// What `ev` means in `layer`, if anything. In a text-entry layer a printable key is
    /// text, whatever it is bound to elsewhere.
    pub fn action_in(&self, layer: Layer, ev: &KeyEvent) -> Option<Action> {
        let mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let printable = matches!(ev.code, KeyCode::Char(_)) && mods.is_empty();
        let lookup = |m: &HashMap<(KeyCode, KeyModifiers), Action>| {
            m.get(&(ev.code, mods)).or_else(|| m.get(&(ev.code, ev.modifiers))).copied()
        };
        let own =
            self.layered.get(&(layer, (ev.code, mods))).or_else(|| self.layered.get(&(layer, (ev.code, ev.modifiers))));
        if let Some(a) = own {
            return Some(*a);
        }
        if layer.takes_text() && printable {
            return None;
        }
        lookup(&self.map).filter(|a| a.works_in(layer))
    }

    /// What `ev` means while browsing (lists, details, the overview).
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        self.map.get(&(ev.code, mods)).or_else(|| self.map.get(&(ev.code, ev.modifiers))).copied()
    }

    /// Adds bindings from the config (`action = "key"` or a list); returns the conflicts found.
    pub fn extend(&mut self, bindings: &[(String, String)]) -> Result<(), Vec<String>> {
        let by_name: HashMap<String, Action> = self
            .map
            .values()
            .copied()
            .chain((1..=VIEW_COUNT).map(Action::View))
            .map(|a| (a.config_name(), a))
            .collect();
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
        let browsing = self.map.iter().filter(|(_, v)| **v == a).map(|(k, _)| k);
        let layered = self.layered.iter().filter(|(_, v)| **v == a).map(|((_, k), _)| k);
        let mut ks: Vec<String> = browsing.chain(layered).map(|(c, m)| key_name(*c, *m)).collect();
        ks.sort_by_key(|s| (s.chars().count(), s.clone()));
        ks.dedup();
        ks
    }

    pub fn first_key(&self, a: Action) -> String {
        self.keys_for(a).into_iter().next().unwrap_or_else(|| "?".into())
    }
}
