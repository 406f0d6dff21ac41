//! The keymaps: one table per layer of the console — each screen (overview, lists,
//! details, fleet, session log) and each dialog (confirmation, typed confirmation, update
//! form, prompt, help). A screen or dialog handles the keys of its own layer only; while
//! a dialog is open nothing behind it sees a key. Text-entry layers own every printable
//! key. The help overlay and the footer are generated from these tables, so they cannot
//! drift from the behaviour. Remapping in the config adds bindings to the screens'
//! layers; navigation keys stay bound.

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

/// Where the console is, for what a key means there: each screen and each dialog has a
/// layer of its own with its own table of keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Overview,
    List,
    Detail,
    Fleet,
    Log,
    /// A confirmation answered by a key (y / n).
    Confirm,
    /// A confirmation that needs a count or a word typed: printable keys are text.
    TypedConfirm,
    /// The update form: printable keys are text.
    Form,
    /// The filter and command prompts: printable keys are text.
    Prompt,
    /// The help overlay: any key closes it.
    Help,
}

impl Layer {
    /// The screens, in the order help lists them.
    pub const SCREENS: [Layer; 5] = [Layer::Overview, Layer::List, Layer::Detail, Layer::Fleet, Layer::Log];
    /// The layers drawn over a screen, which take every key while open.
    pub const DIALOGS: [Layer; 5] = [Layer::Confirm, Layer::TypedConfirm, Layer::Form, Layer::Prompt, Layer::Help];

    /// Whether printable keys are text here, never actions.
    pub fn takes_text(self) -> bool {
        matches!(self, Layer::TypedConfirm | Layer::Form | Layer::Prompt)
    }

    pub fn is_screen(self) -> bool {
        Layer::SCREENS.contains(&self)
    }

    pub fn name(self) -> &'static str {
        match self {
            Layer::Overview => "overview",
            Layer::List => "list",
            Layer::Detail => "detail",
            Layer::Fleet => "fleet",
            Layer::Log => "session log",
            Layer::Confirm => "confirmation",
            Layer::TypedConfirm => "typed confirmation",
            Layer::Form => "update form",
            Layer::Prompt => "filter / command prompt",
            Layer::Help => "help",
        }
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

    /// What the action does on the screen of `layer`, where that says more than
    /// [`Action::describe`] (the help lists it so).
    pub fn describe_in(self, layer: Layer) -> &'static str {
        match (self, layer) {
            // On the overview they act on the selected error group, previewed first.
            (Action::Retry, Layer::Overview) => "retry error group",
            (Action::Skip, Layer::Overview) => "skip error group",
            _ => self.describe(),
        }
    }

    /// Whether the action sends something that changes the instance.
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Action::Retry | Action::Skip | Action::CancelWorkOrder | Action::CreateWorkOrder | Action::UpdateWorkOrder
        )
    }

    /// The screens this action works in (dialog layers have tables of their own).
    pub fn works_in(self, layer: Layer) -> bool {
        use Action::*;
        use Layer::{Detail, List, Log, Overview};
        if !layer.is_screen() {
            return false;
        }
        match self {
            Confirm | Dismiss | Accept | Complete | PrevField => false,
            Quit | Help | Command | Refresh | Redraw | Freeze | View(_) | Back => true,
            Up | Down | PageUp | PageDown | Top | Bottom => true,
            Enter => layer != Log,
            Filter => matches!(layer, Overview | List | Detail),
            NextFocus => layer == Detail,
            Sort | Mark | MarkAll => layer == List,
            Retry | Skip => matches!(layer, Overview | List | Detail),
            Copy | Open | Provider | History | CancelWorkOrder | CreateWorkOrder | UpdateWorkOrder => {
                matches!(layer, List | Detail)
            }
        }
    }

    /// Where an action comes in the help and the footers.
    fn rank(self) -> usize {
        use Action::*;
        const ORDER: [Action; 34] = [
            Help,
            Quit,
            View(1),
            Command,
            Confirm,
            Accept,
            Dismiss,
            Complete,
            PrevField,
            Enter,
            Back,
            NextFocus,
            Up,
            Down,
            PageUp,
            PageDown,
            Top,
            Bottom,
            Filter,
            Sort,
            Freeze,
            Refresh,
            Redraw,
            Copy,
            Open,
            Provider,
            History,
            Retry,
            Skip,
            CancelWorkOrder,
            CreateWorkOrder,
            UpdateWorkOrder,
            Mark,
            MarkAll,
        ];
        let a = if let View(_) = self { View(1) } else { self };
        ORDER.iter().position(|x| *x == a).unwrap_or(ORDER.len())
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

type Chord = (KeyCode, KeyModifiers);

#[derive(Debug, Clone)]
pub struct Keymap {
    /// The screens' bindings before they are split by layer; remappable (conflicts are
    /// checked here).
    browse: HashMap<Chord, Action>,
    /// Each layer's own table: the screens' from `browse` (the actions that work there),
    /// the dialogs' fixed.
    tables: HashMap<Layer, HashMap<Chord, Action>>,
}

fn k(c: char) -> Chord {
    (KeyCode::Char(c), KeyModifiers::NONE)
}

impl Default for Keymap {
    fn default() -> Self {
        use Action::*;
        let mut map = HashMap::new();
        let mut bind = |key: Chord, a: Action| {
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
        let mut km = Keymap { browse: map, tables: HashMap::new() };
        km.build();
        km
    }
}

/// The dialogs' tables: fixed, not remappable.
fn dialog_table(layer: Layer) -> HashMap<Chord, Action> {
    use Action::*;
    let none = KeyModifiers::NONE;
    let keys: &[(Chord, Action)] = match layer {
        Layer::Confirm => &[
            (k('y'), Confirm),
            ((KeyCode::Enter, none), Confirm),
            (k('n'), Dismiss),
            (k('q'), Dismiss),
            ((KeyCode::Esc, none), Dismiss),
        ],
        Layer::TypedConfirm | Layer::Prompt => {
            &[((KeyCode::Enter, none), Accept), ((KeyCode::Esc, none), Dismiss), ((KeyCode::Tab, none), Complete)]
        }
        Layer::Form => &[
            ((KeyCode::Enter, none), Accept),
            ((KeyCode::Esc, none), Dismiss),
            ((KeyCode::Tab, none), Complete),
            ((KeyCode::Down, none), Complete),
            ((KeyCode::BackTab, KeyModifiers::SHIFT), PrevField),
            ((KeyCode::BackTab, none), PrevField),
            ((KeyCode::Up, none), PrevField),
        ],
        // Any key closes the help; these are the ones it names.
        Layer::Help => &[((KeyCode::Esc, none), Dismiss), (k('q'), Dismiss), (k('?'), Dismiss)],
        _ => &[],
    };
    keys.iter().copied().collect()
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
    /// Splits the screens' bindings into their layers' tables.
    fn build(&mut self) {
        self.tables.clear();
        for layer in Layer::SCREENS {
            let t = self.browse.iter().filter(|(_, a)| a.works_in(layer)).map(|(c, a)| (*c, *a)).collect();
            self.tables.insert(layer, t);
        }
        for layer in Layer::DIALOGS {
            self.tables.insert(layer, dialog_table(layer));
        }
    }

    /// What `ev` means in `layer`, if anything: that layer's table alone decides. In a
    /// text-entry layer a printable key is text, whatever it is bound to elsewhere.
    pub fn action_in(&self, layer: Layer, ev: &KeyEvent) -> Option<Action> {
        let mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let printable = matches!(ev.code, KeyCode::Char(_)) && mods.is_empty();
        if layer.takes_text() && printable {
            return None;
        }
        let t = self.tables.get(&layer)?;
        t.get(&(ev.code, mods)).or_else(|| t.get(&(ev.code, ev.modifiers))).copied()
    }

    /// What `ev` means on the screens (before a layer is known: the "too small" screen).
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        self.browse.get(&(ev.code, mods)).or_else(|| self.browse.get(&(ev.code, ev.modifiers))).copied()
    }

    /// Adds bindings from the config (`action = "key"` or a list); returns the conflicts found.
    pub fn extend(&mut self, bindings: &[(String, String)]) -> Result<(), Vec<String>> {
        let by_name: HashMap<String, Action> = self
            .browse
            .values()
            .copied()
            .chain((1..=VIEW_COUNT).map(Action::View))
            .map(|a| (a.config_name(), a))
            .collect();
        let mut problems = Vec::new();
        let mut added: HashMap<Chord, Action> = HashMap::new();
        for (action, key) in bindings {
            let Some(&a) = by_name.get(action.as_str()) else {
                problems.push(format!("unknown action `{action}`"));
                continue;
            };
            let Some(kc) = parse_key(key) else {
                problems.push(format!("`{key}` (for {action}) is not a key name"));
                continue;
            };
            let existing = added.get(&kc).copied().or_else(|| self.browse.get(&kc).copied().filter(|b| *b != a));
            if let Some(other) = existing.filter(|b| *b != a) {
                problems.push(format!("`{key}` is bound to both {} and {action}", other.config_name()));
                continue;
            }
            added.insert(kc, a);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        self.browse.extend(added);
        self.build();
        Ok(())
    }

    /// The keys bound to `a` in `layer`, shortest first.
    pub fn keys_in(&self, layer: Layer, a: Action) -> Vec<String> {
        let t = self.tables.get(&layer).into_iter().flatten();
        let mut ks: Vec<String> = t.filter(|(_, v)| **v == a).map(|((c, m), _)| key_name(*c, *m)).collect();
        ks.sort_by_key(|s| (s.chars().count(), s.clone()));
        ks.dedup();
        ks
    }

    /// The first key bound to `a` in `layer` (`None`: it does not work there).
    pub fn key_in(&self, layer: Layer, a: Action) -> Option<String> {
        self.keys_in(layer, a).into_iter().next()
    }

    /// A layer's table, for help: each action with its keys, in a stable order; the
    /// view keys as one entry.
    pub fn table(&self, layer: Layer) -> Vec<(String, Action)> {
        let mut acts: Vec<Action> = self.tables.get(&layer).into_iter().flatten().map(|(_, a)| *a).collect();
        acts.sort_by_key(|a| (a.rank(), *a));
        acts.dedup_by_key(|a| if let Action::View(_) = a { Action::View(1) } else { *a });
        acts.into_iter()
            .map(|a| match a {
                Action::View(_) => {
                    let mut views: Vec<u8> = self.tables[&layer]
                        .values()
                        .filter_map(|x| if let Action::View(n) = x { Some(*n) } else { None })
                        .collect();
                    views.sort_unstable();
                    let keys = match (views.first(), views.last()) {
                        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
                        _ => self.keys_in(layer, a).join(" "),
                    };
                    (keys, a)
                }
                _ => (self.keys_in(layer, a).join(" "), a),
            })
            .collect()
    }

    /// Every key bound to `a` in any layer, for messages.
    pub fn keys_for(&self, a: Action) -> Vec<String> {
        let mut ks: Vec<String> =
            Layer::SCREENS.iter().chain(&Layer::DIALOGS).flat_map(|l| self.keys_in(*l, a)).collect();
        ks.sort_by_key(|s| (s.chars().count(), s.clone()));
        ks.dedup();
        ks
    }

    pub fn first_key(&self, a: Action) -> String {
        self.keys_for(a).into_iter().next().unwrap_or_else(|| "?".into())
    }
}
