//! Keys and the mouse: which layer receives an event (the open dialog, form, prompt or
//! help, else the screen on top), and the prompts' own keys. Text-entry layers (the
//! prompts, the update form, a typed confirmation) own every printable key.

use crossterm::event::{KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::keys::{self, Action, Layer};
use super::{App, Effect, Level, Mode, Scope, Screen, VIEWS, ViewKind, complete, layout, list, view_names};
use crate::client::Record;

impl App {
    /// The layer the console is in, for what a key means: an open dialog, form, prompt or
    /// help takes every key; otherwise the screen on top of the stack.
    pub fn layer(&self) -> Layer {
        if matches!(self.mode, Mode::Help) {
            Layer::Help
        } else if let Some(c) = &self.actions.confirm {
            if c.typed.is_some() { Layer::TypedConfirm } else { Layer::Confirm }
        } else if self.actions.form.is_some() {
            Layer::Form
        } else if matches!(self.mode, Mode::Filter(_) | Mode::Command(_)) {
            Layer::Prompt
        } else {
            self.screen_layer()
        }
    }

    /// The layer of the screen on top of the stack, whatever is open over it.
    pub fn screen_layer(&self) -> Layer {
        match self.screen() {
            Screen::View(ViewKind::Overview) => Layer::Overview,
            Screen::View(ViewKind::Log) => Layer::Log,
            Screen::View(ViewKind::Fleet) => Layer::Fleet,
            Screen::View(ViewKind::List(_)) => Layer::List,
            Screen::Detail(_) => Layer::Detail,
        }
    }

    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        // A dialog, form or prompt open: the screen behind it takes no clicks or wheel.
        if !self.layer().is_screen() {
            return Vec::new();
        }
        match m.kind {
            MouseEventKind::ScrollDown => self.act(Action::Down),
            MouseEventKind::ScrollUp => self.act(Action::Up),
            MouseEventKind::Down(_) => {
                let first = usize::from(layout::list_first_row());
                let row = m.row as usize;
                let Some(l) = self.current_list() else { return Vec::new() };
                let abs = l.scroll + row.wrapping_sub(first);
                if row < first || abs >= l.len() {
                    return Vec::new();
                }
                let vp = self.viewport();
                let l = self.current_list_mut().expect("list on top");
                if l.select(abs, vp) { self.refresh_current(true) } else { Vec::new() }
            }
            _ => Vec::new(),
        }
    }

    /// Routes a key to the layer on top: the open dialog, form, prompt or help, else the
    /// screen. Each handles its own keys and says what to do; nothing else sees the key.
    pub(super) fn on_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if k.kind == KeyEventKind::Release {
            return Vec::new();
        }
        self.dirty = true;
        self.keys_seen += 1;
        self.last_key = Some((k.code, k.modifiers));
        if layout::too_small(self.size) {
            // Nothing of the state shows on the "too small" screen: only quitting acts.
            return match self.keymap.action(&k) {
                Some(Action::Quit) => self.act(Action::Quit),
                _ => Vec::new(),
            };
        }
        let layer = self.layer();
        let chord = (k.code, k.modifiers);
        // The key that opened a dialog, or answered one, pressed again at once (a double
        // tap) never lands in a form's field nor acts on the screen behind: it is
        // swallowed — unless the dialog it opened has a meaning of its own for it (`n`
        // opened a preview and `n` backs out of it), which it then has.
        if let Some((g, keep)) = self.guard.take()
            && g == chord
            && !(keep && self.keymap.action_in(layer, &k).is_some())
        {
            if keep {
                self.guard = Some((g, keep));
            }
            let name = keys::key_name(k.code, k.modifiers);
            let msg = match keep {
                true => format!("`{name}` again ignored (pressed twice?) — the dialog it opened waits for its answer"),
                false => format!("`{name}` again ignored (pressed twice?) — press it once more if meant"),
            };
            self.say(Scope::Key, Level::Info, msg);
            return Vec::new();
        }
        let action = self.keymap.action_in(layer, &k);
        let fx = match layer {
            Layer::Help => {
                // Any key closes the help.
                self.mode = Mode::Normal;
                Vec::new()
            }
            Layer::Confirm | Layer::TypedConfirm => self.confirm_key(k, action),
            Layer::Form => self.form_key(k, action),
            Layer::Prompt => self.prompt_key(k, action),
            screen => action.map(|a| self.screen_key(screen, a)).unwrap_or_default(),
        };
        let now = self.layer();
        let opened_dialog = matches!(now, Layer::Confirm | Layer::TypedConfirm | Layer::Form);
        if layer.is_screen() && opened_dialog {
            // Kept while the dialog is open and only this key comes.
            self.guard = Some((chord, true));
        } else if matches!(layer, Layer::Confirm | Layer::TypedConfirm | Layer::Form) && now.is_screen() {
            // Once: the next key, if it is this one again.
            self.guard = Some((chord, false));
        }
        fx
    }

    /// A key in the filter or command prompt: editing keys edit, Enter accepts, Esc closes.
    pub(super) fn prompt_key(&mut self, k: KeyEvent, action: Option<Action>) -> Vec<Effect> {
        let vp = self.viewport();
        let filtering = matches!(self.mode, Mode::Filter(_));
        match action {
            Some(Action::Dismiss) => {
                self.mode = Mode::Normal;
                if filtering && let Some(l) = self.current_list_mut() {
                    l.drop_typing(vp);
                }
                Vec::new()
            }
            Some(Action::Accept) => {
                let text = match std::mem::replace(&mut self.mode, Mode::Normal) {
                    Mode::Filter(i) | Mode::Command(i) => i.value().trim().to_string(),
                    _ => String::new(),
                };
                if filtering { self.apply_filter(&text) } else { self.run_command(&text) }
            }
            Some(Action::Complete) => {
                let first = match &self.mode {
                    Mode::Command(input) => self.complete_command(input.value()).into_iter().next(),
                    _ => None,
                };
                if let (Mode::Command(input), Some(c)) = (&mut self.mode, first) {
                    *input = Input::new(c);
                }
                Vec::new()
            }
            _ => {
                let (Mode::Filter(input) | Mode::Command(input)) = &mut self.mode else { return Vec::new() };
                input.handle_event(&crossterm::event::Event::Key(k));
                let text = input.value().to_string();
                let providers = self.providers();
                if filtering && let Some(l) = self.current_list_mut() {
                    l.set_quick_filter(&text, &providers);
                    l.select(0, vp);
                }
                Vec::new()
            }
        }
    }

    /// Finds `text` in the overview's error groups or the detail's steps and selects it.
    pub(super) fn find(&mut self, text: &str) {
        let needle = text.trim().to_lowercase();
        if needle.is_empty() {
            return;
        }
        let found = match self.stack.last_mut() {
            Some(Screen::View(ViewKind::Overview)) => {
                let i = self.overview.groups.iter().position(|g| g.label().to_lowercase().contains(&needle));
                if let Some(i) = i {
                    self.overview.selected_group = i;
                }
                i.is_some()
            }
            Some(Screen::Detail(d)) => d.find_step(&needle),
            _ => false,
        };
        if !found {
            self.flash(Level::Info, format!("nothing here mentions \"{}\"", text.trim()));
        }
    }

    /// The providers the overview loaded (titles for filters by provider).
    fn providers(&self) -> Vec<Record> {
        self.overview.data.as_ref().map(|d| d.providers.clone()).unwrap_or_default()
    }

    /// What a typed filter may need from what the console holds: the numbers of the
    /// records it has loaded (a Document ID column shows one) and the providers' computed
    /// columns as the Providers list shows them (once the overview has worked them out).
    fn seen(&self) -> super::filter::Seen {
        use crate::domain::records::provider::{ERRORS, HEALTH, OK_RATE};
        let mut seen = super::filter::Seen::default();
        for (e, l) in &self.lists {
            seen.numbers_from(*e, &l.rows);
        }
        if self.overview.data.is_some() || !self.overview.health.is_empty() {
            // Every provider the overview rated, and those the list holds: not only the rows
            // an earlier HEALTH filter left, or a second one would filter the first's result.
            let rows = self.lists.get(&crate::domain::Entity::Providers).map(|l| l.rows.as_slice()).unwrap_or_default();
            let mut ids: Vec<String> = self.overview.health.iter().map(|h| h.provider_id.clone()).collect();
            ids.extend(rows.iter().map(|r| r.sys_id().to_string()));
            let mut seen_ids = std::collections::HashSet::new();
            ids.retain(|id| seen_ids.insert(id.clone()));
            let values = ids
                .into_iter()
                .map(|id| {
                    let h = self.overview.health.iter().find(|h| h.provider_id == id);
                    let vals = match h {
                        Some(h) => vec![
                            (HEALTH, h.health.label().to_string()),
                            (OK_RATE, h.success_rate().map(|x| format!("{:.0}", x * 100.0)).unwrap_or_default()),
                            (ERRORS, h.errors.to_string()),
                        ],
                        None => Vec::new(),
                    };
                    (id, vals)
                })
                .collect();
            seen.computed = Some(values);
        }
        seen
    }

    /// Completions of what is typed after `:`: commands and views, and after `profile `
    /// or `ctx ` the profiles' names (each as the whole command).
    pub fn complete_command(&self, text: &str) -> Vec<String> {
        let t = text.trim_start_matches(':').trim_start();
        match t.split_once(' ') {
            Some((verb @ ("profile" | "ctx"), arg)) => {
                let arg = arg.trim_start();
                self.fleet.names().into_iter().filter(|n| n.starts_with(arg)).map(|n| format!("{verb} {n}")).collect()
            }
            Some(_) => Vec::new(),
            None => complete(t).into_iter().map(str::to_string).collect(),
        }
    }

    /// Commands typed after `:` — view names, `q`, `help`, `freeze`, `fleet`,
    /// `profile NAME` (or `ctx NAME`).
    pub(super) fn run_command(&mut self, cmd: &str) -> Vec<Effect> {
        let name = cmd.trim_start_matches(':').trim();
        if let Some(("profile" | "ctx", arg)) = name.split_once(' ').or(Some((name, ""))) {
            return self.request_profile(arg);
        }
        if let Some(("sort", arg)) = name.split_once(' ').or(Some((name, ""))) {
            return self.sort_by(arg);
        }
        match name {
            "fleet" => self.switch(ViewKind::Fleet),
            "q" | "quit" => self.act(Action::Quit),
            "help" => self.act(Action::Help),
            "freeze" => self.act(Action::Freeze),
            "log" => self.push_view(ViewKind::Log),
            "cancel" => self.cancel_bulk(),
            _ => match VIEWS.iter().find(|v| v.name() == name || v.name().starts_with(name) && !name.is_empty()) {
                Some(v) => self.switch(*v),
                None => {
                    self.flash(Level::Warn, format!("unknown command `{name}` (views: {})", view_names().join(", ")));
                    Vec::new()
                }
            },
        }
    }

    /// `:sort COLUMN [asc|desc]`: a list sorted by a column, named by its heading
    /// (`RECORD`) or its field (`document_id`); `:sort` alone: newest first again.
    pub(super) fn sort_by(&mut self, arg: &str) -> Vec<Effect> {
        let Some(l) = self.current_list_mut() else {
            self.flash(Level::Info, "sort: only a list is sorted");
            return Vec::new();
        };
        if arg.trim().is_empty() {
            l.sort = None;
            l.reset_window();
            self.flash(Level::Info, "sorted newest first");
            return self.refresh_current(true);
        }
        // A heading (any spelling, `LAST ERROR` too) or a field; a column hubtop works
        // out is refused with why (the instance cannot sort by it).
        let (c, desc) = match super::filter::sort_column(l.entity, arg) {
            Ok(found) => found,
            Err(e) => {
                self.flash(Level::Warn, e);
                return Vec::new();
            }
        };
        l.sort = Some(crate::query::OrderBy { field: c.field.to_string(), desc });
        l.reset_window();
        let title = c.title;
        self.flash(Level::Info, format!("sorted by {title} {}", if desc { "↓" } else { "↑" }));
        self.refresh_current(true)
    }

    /// `/` and Enter: a list is filtered; in the overview and a detail, `/` finds (the
    /// first error group, the first step that mentions the text).
    pub(super) fn apply_filter(&mut self, text: &str) -> Vec<Effect> {
        let providers = self.providers();
        if self.current_list().is_none() {
            self.find(text);
            return Vec::new();
        }
        let vp = self.viewport();
        let seen = self.seen();
        let mut notes: Vec<String> = Vec::new();
        let Some(l) = self.current_list_mut() else { return Vec::new() };
        let entity = l.entity;
        let t = text.trim();
        let result = if l.is_drill_down() && !list::looks_encoded(t) {
            // Inside a drill-down: words narrow it; nothing typed keeps it as it was.
            if t.is_empty() {
                l.drop_typing(vp);
                return Vec::new();
            }
            let label = format!("{} + \"{t}\"", l.query_label);
            Ok((list::refine(l.query.clone(), l.entity, t, &providers), label, false))
        } else {
            list::filter_query(l.entity, t, &providers)
                .and_then(|q| super::filter::validate_in(entity, q, &self.settings.mapping, &seen))
                .map(|(q, n)| {
                    notes = n;
                    (q, t.to_string(), true)
                })
        };
        match result {
            Ok((q, label, typed)) => {
                let unknown = self.settings.mapping.unknown_fields(entity, &q);
                // What the status line said of an earlier filter no longer holds: say
                // what this one is.
                if !unknown.is_empty() {
                    let msg = format!(
                        "filter: {} has no field {} — the instance ignores such a term; actions on this list are refused",
                        entity.label().to_lowercase(),
                        unknown.join(", ")
                    );
                    self.flash(Level::Warn, msg);
                } else if q.is_empty() {
                    self.flash(Level::Info, "filter cleared");
                } else if !notes.is_empty() {
                    self.flash(Level::Info, format!("filter: {label} — {}", notes.join("; ")));
                } else {
                    self.flash(Level::Info, format!("filter: {label}"));
                }
                let Some(l) = self.current_list_mut() else { return Vec::new() };
                if typed {
                    l.set_typed_query(q, label);
                } else {
                    l.set_query(q, label);
                }
                self.refresh_current(true)
            }
            Err(e) => {
                // Refused: nothing is asked, and the list stays as it was — its rows, its
                // selection, its filter (the breadcrumb's) — and says why.
                let Some(l) = self.current_list_mut() else { return Vec::new() };
                l.drop_typing(vp);
                let kept = match l.query_label.as_str() {
                    "" => "the list is unfiltered, as it was".to_string(),
                    label => format!("the list keeps its filter ({label})"),
                };
                self.flash(Level::Warn, format!("filter refused: {e} — {kept}"));
                Vec::new()
            }
        }
    }
}
