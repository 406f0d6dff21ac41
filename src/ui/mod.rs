//! Rendering: reads `&App`, writes a `Frame`. Nothing here awaits or does I/O.

pub mod detail;
pub mod fit;
pub mod fleet;
pub mod kv;
pub mod log;
pub mod overlay;
pub mod overview;
pub mod table;
pub mod text_table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::keys::{Action, Layer};
use crate::app::layout::{self, FOOTER_ROWS, HEADER_ROWS, MIN_SIZE};
use crate::app::{App, Freshness, Level, Mode, Screen, VIEWS, ViewKind};
use crate::domain::{Entity, Verb, Width};
/// The theme lives below the renderer (configuration checks its names); re-exported
/// here, where every drawing function takes it.
pub use crate::theme::{self, Theme};

/// A list column as the renderer lays it out: the domain's column with a constraint.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub field: &'static str,
    pub title: &'static str,
    pub width: Constraint,
    /// Narrow terminals drop the lowest first (the rightmost among equals).
    pub keep: u8,
}

/// The columns each list shows (the domain's description of the record kind).
pub fn columns(e: Entity) -> Vec<Column> {
    e.columns()
        .iter()
        .map(|c| Column {
            field: c.field,
            title: c.title,
            width: match c.width {
                Width::Fixed(n) => Constraint::Length(n),
                Width::Fill(n) => Constraint::Min(n),
            },
            keep: c.keep,
        })
        .collect()
}

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    if layout::too_small((area.width, area.height)) {
        let msg = format!(
            "hubtop needs at least {}×{} (this is {}×{}).\nEnlarge the terminal, or press q to quit.",
            MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
        );
        f.render_widget(Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }), area);
        return;
    }
    let [header, main, job, footer] = Layout::vertical([
        Constraint::Length(HEADER_ROWS),
        Constraint::Min(1),
        Constraint::Length(app.job_rows()),
        Constraint::Length(FOOTER_ROWS),
    ])
    .areas(area);
    draw_header(f, app, theme, header);
    match app.screen() {
        Screen::View(ViewKind::Overview) => overview::draw(f, app, theme, main),
        Screen::View(ViewKind::Log) => log::draw(f, app, theme, main),
        Screen::View(ViewKind::Fleet) => fleet::draw(f, app, theme, main),
        Screen::View(ViewKind::List(e)) => table::draw(f, app, theme, main, *e),
        Screen::Detail(d) => detail::draw(f, app, theme, main, d),
    }
    draw_job(f, app, theme, job);
    draw_footer(f, app, theme, footer);
    overlay::draw(f, app, theme, area);
}

fn draw_header(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    // Narrow terminals get the same facts in fewer words, never a cut-off word.
    let width = usize::from(area.width);
    let mut l1 = header_line(app, t, false, true);
    if line_width(&l1) > width {
        l1 = header_line(app, t, true, true);
    }
    if line_width(&l1) > width {
        l1 = header_line(app, t, true, false);
    }
    let l1 = fit::fit_spans(l1, width);
    let crumbs = app.breadcrumbs().join(" › ");
    let mut l2 = vec![Span::styled(format!(" {crumbs}"), t.header)];
    if let Some(l) = app.current_list()
        && !l.query_label.is_empty()
    {
        l2.push(Span::styled(format!("  filter: {}", l.query_label), t.accent));
    }
    let current = match app.stack.first() {
        Some(Screen::View(v)) => Some(*v),
        _ => None,
    };
    // The tab bar shortens its labels to fit (every view keeps its number): the first
    // word, then its first letters, then the numbers alone.
    let tabs_at = |short: u8| -> Vec<Span> {
        VIEWS
            .iter()
            .enumerate()
            .flat_map(|(i, v)| {
                let style = if Some(*v) == current { t.selected } else { t.muted };
                let full = v.title();
                let word = full.split(' ').next().unwrap_or(full);
                let title = match short {
                    0 => format!(" {full}"),
                    1 => format!(" {word}"),
                    2 if word.chars().count() > 5 => format!(" {}.", word.chars().take(4).collect::<String>()),
                    2 => format!(" {word}"),
                    _ => String::new(),
                };
                // Narrow bars drop the gap between tabs before they cut a word.
                let gap = if short == 0 { " " } else { "" };
                [Span::styled(format!(" {}{title} ", i + 1), style), Span::raw(gap)]
            })
            .collect()
    };
    let mut tabs = tabs_at(0);
    for short in 1..=3 {
        if line_width(&tabs) <= width {
            break;
        }
        tabs = tabs_at(short);
    }
    // The breadcrumbs and the filter are cut with a sign when they run past the edge.
    let l2 = fit::fit_spans(l2, width);
    let p = Paragraph::new(vec![Line::from(l1), Line::from(l2), Line::from(tabs)]);
    f.render_widget(p, area);
}

fn line_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.width()).sum()
}

/// The header's first line: profile, instance, flags, and how live the data is;
/// `compact` says it in fewer words, `user` names the user.
fn header_line<'a>(app: &App, t: &Theme, compact: bool, user: bool) -> Vec<Span<'a>> {
    let s = &app.settings;
    let mut l1 = vec![Span::styled(" hubtop ", t.title.patch(t.selected)), Span::raw(" ")];
    if let Some(p) = &s.profile {
        // The profile first: several instances look alike by URL.
        let style = if s.production { t.error } else { t.header };
        l1.push(Span::styled(format!("⎈ {p}  "), style));
    }
    let instance = match compact {
        true => s.instance.trim_start_matches("https://").trim_start_matches("http://").to_string(),
        false => s.instance.clone(),
    };
    l1.push(Span::styled(instance, t.accent));
    if user {
        l1.push(Span::styled(format!("  {}", s.user), t.muted));
    }
    let flag = |full: &'static str, short: &'static str| if compact { short } else { full };
    if s.demo {
        l1.push(Span::styled(flag("  [DEMO]", " DEMO"), t.warn));
    }
    if let Some(r) = &s.rehearsal {
        // A colour no other mode uses: black on light magenta (reversed without colour).
        // Never shortened: an operator must not mistake a rehearsal for the instance.
        use ratatui::style::{Color, Modifier, Style};
        let style = if t.name == "none" {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new().fg(Color::Black).bg(Color::LightMagenta).add_modifier(Modifier::BOLD)
        };
        l1.extend([Span::raw(" "), Span::styled(format!(" {r} "), style)]);
    }
    if s.read_only {
        l1.push(Span::styled(flag("  [READ-ONLY]", " RO"), t.warn));
    }
    if s.production {
        l1.push(Span::styled(flag("  [PRODUCTION]", " PROD"), t.error));
    }
    if app.frozen {
        l1.push(Span::styled(flag("  [FROZEN]", " FROZEN"), t.warn));
    }
    let waited = app.conn.waiting_since.map(|t| app.instant.saturating_duration_since(t).as_secs());
    let ago = |at: &chrono::DateTime<chrono::Utc>| crate::time::ago(&crate::time::format(*at), app.now);
    let live = match (&app.conn.stale_since, &app.conn.last_ok) {
        _ if app.conn.rate_limited_until.is_some() => {
            let until = chrono::DateTime::<chrono::Utc>::from(app.conn.rate_limited_until.expect("set"));
            let text = match compact {
                false => format!("  ⏸ rate limited until {} (nothing is sent)", until.format("%H:%M")),
                true => format!("  ⏸ limited until {}", until.format("%H:%M")),
            };
            Span::styled(text, t.warn)
        }
        (None, _) if waited.is_some() => {
            let w = waited.unwrap_or(0);
            let text = match compact {
                false => format!("  ⏳ instance silent for {w}s (still trying)"),
                true => format!("  ⏳ silent {w}s"),
            };
            Span::styled(text, t.warn)
        }
        (None, Some(ok)) if app.freshness() == Freshness::Paused => {
            let text = match compact {
                false => format!("  ❚❚ paused, last refreshed {}", ago(ok)),
                true => format!("  ❚❚ paused {}", ago(ok)),
            };
            Span::styled(text, t.muted)
        }
        // Stale data needs data: an instance that never answered says so.
        (Some(since), None) => {
            let text = match compact {
                false => format!("  ⚠ never answered, trying since {} ({})", since.format("%H:%M:%S"), app.conn.reason),
                true => format!("  ⚠ never answered ({})", app.conn.reason),
            };
            Span::styled(text, t.error)
        }
        (Some(since), _) => {
            let text = match compact {
                false => format!("  ⚠ STALE since {} ({})", since.format("%H:%M:%S"), app.conn.reason),
                true => format!("  ⚠ STALE {} ({})", since.format("%H:%M"), app.conn.reason),
            };
            Span::styled(text, t.error)
        }
        (None, Some(ok)) if app.freshness() == Freshness::Old => {
            let text = match compact {
                false => format!("  ⚠ stale, last answer {}", ago(ok)),
                true => format!("  ⚠ stale {}", ago(ok)),
            };
            Span::styled(text, t.warn)
        }
        (None, Some(ok)) => {
            let text = match compact {
                false => format!("  ● live, refreshed {}", ago(ok)),
                true => format!("  ● live {}", ago(ok)),
            };
            Span::styled(text, t.ok)
        }
        (None, None) => Span::styled("  ○ connecting…", t.muted),
    };
    l1.push(live);
    // The hourly request budget, once it is tight (polls then wait for room).
    if let Some(b) = s.meter.as_ref().map(|m| m.budget.state()).filter(|b| b.tight()) {
        let held = if b.waiting > 0 { ", polling paused" } else { "" };
        l1.push(Span::styled(format!("  budget {}/{} per hour{held}", b.used, b.limit), t.warn));
    }
    l1
}

/// The bulk job's line in the status area: never a dialog, never in the way of typing.
fn draw_job(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let Some(line) = app.job_line() else { return };
    let (sym, style) = match app.actions.bulk_running() {
        Some(_) => ("⟳", t.running),
        None if line.contains("✖ 0 ") && !line.contains("unknown") => ("✔", t.ok),
        None => ("■", t.warn),
    };
    // Cut to the screen with a sign (`:log` has the whole result once the job ends).
    let text = fit::fit(&format!(" {sym} {line}"), usize::from(area.width)).into_owned();
    f.render_widget(Paragraph::new(Line::from(Span::styled(text, style))), area);
}

/// The keys that work where the console is, from that layer's table of the keymap: the
/// open dialog's, else the screen's (its verbs named for the screen).
pub fn footer_keys(app: &App) -> Vec<(String, &'static str)> {
    let layer = app.layer();
    let mut acts: Vec<(Action, &'static str)> = Vec::new();
    match layer {
        Layer::Confirm => acts.extend([(Action::Confirm, "send"), (Action::Dismiss, "back out")]),
        Layer::TypedConfirm => acts.extend([(Action::Accept, "send"), (Action::Dismiss, "back out")]),
        Layer::Form => acts.extend([
            (Action::Complete, "next field"),
            (Action::PrevField, "previous"),
            (Action::Accept, "preview"),
            (Action::Dismiss, "back out"),
        ]),
        Layer::Prompt => {
            acts.extend([(Action::Accept, "apply"), (Action::Complete, "complete"), (Action::Dismiss, "close")])
        }
        Layer::Help => acts.push((Action::Dismiss, "close")),
        _ => {}
    }
    if !layer.is_screen() {
        return acts.into_iter().filter_map(|(a, label)| Some((app.keymap.key_in(layer, a)?, label))).collect();
    }
    acts.push((Action::Help, "help"));
    match app.screen() {
        Screen::View(ViewKind::Log) => {
            acts.extend([(Action::Up, "older"), (Action::Down, "newer"), (Action::Back, "back")])
        }
        Screen::View(ViewKind::Overview) => {
            acts.extend([
                (Action::Enter, "drill into group"),
                (Action::View(4), "outbound"),
                (Action::Retry, "retry group"),
            ]);
        }
        Screen::View(ViewKind::Fleet) => acts.extend([(Action::Enter, "switch to"), (Action::Refresh, "refresh")]),
        Screen::View(ViewKind::List(e)) => {
            acts.extend([(Action::Enter, "open"), (Action::Filter, "filter"), (Action::Sort, "sort")]);
            // The operations the kind's description offers.
            acts.extend(e.desc().verbs.iter().map(|v| (verb_action(*v), v.word())));
            if e.is_queue() {
                acts.push((Action::Mark, "mark"));
            }
        }
        Screen::Detail(d) => {
            acts.extend([
                (Action::Back, "back"),
                (Action::NextFocus, "pane"),
                (Action::PageDown, "scroll"),
                (Action::Enter, "open"),
            ]);
            if d.entity != Entity::Providers {
                acts.push((Action::Retry, d.entity.retry_word()));
            }
        }
    }
    acts.extend([(Action::Freeze, if app.frozen { "resume" } else { "freeze" }), (Action::Quit, "quit")]);
    // Only what applies to what is selected (the rules decide, in `App::offers`); a
    // read-only console offers no action or mark that it would refuse.
    acts.retain(|(a, _)| app.offers(*a));
    acts.into_iter().filter_map(|(a, label)| Some((app.keymap.key_in(layer, a)?, label))).collect()
}

/// The key action that sends a verb.
fn verb_action(v: Verb) -> Action {
    match v {
        Verb::Retry | Verb::Rerun => Action::Retry,
        Verb::Skip => Action::Skip,
        Verb::Create => Action::CreateWorkOrder,
        Verb::Update => Action::UpdateWorkOrder,
        Verb::Cancel => Action::CancelWorkOrder,
    }
}

fn draw_footer(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let status = match (&app.mode, &app.status) {
        // What is typed shows its end (where the cursor is), after a sign if it is long.
        (Mode::Filter(i), _) => Line::from(vec![
            Span::styled(" / ", t.accent),
            Span::raw(fit::fit_end(i.value(), usize::from(area.width.saturating_sub(4))).into_owned()),
        ]),
        (Mode::Command(i), _) => {
            // After `profile ` the hint is the names alone.
            let all = app.complete_command(i.value());
            let hint = all.iter().map(|c| c.rsplit(' ').next().unwrap_or(c)).collect::<Vec<_>>().join(" ");
            Line::from(fit::fit_spans(
                vec![
                    Span::styled(" : ", t.accent),
                    Span::raw(i.value().to_string()),
                    Span::styled(format!("   {hint}"), t.muted),
                ],
                usize::from(area.width),
            ))
        }
        (_, Some((level, msg))) => {
            let (sym, style) = match level {
                Level::Info => ("ℹ", t.text),
                Level::Success => ("✔", t.ok),
                Level::Warn => ("⚠", t.warn),
                Level::Error => ("✖", t.error),
            };
            // Cut to the screen with a sign that there is more (`:log` has it whole).
            let text = fit::fit(&format!(" {sym} {msg}"), usize::from(area.width).max(2)).into_owned();
            Line::from(Span::styled(text, style))
        }
        _ => Line::from(""),
    };
    let marked = app.current_list().map(|l| l.marks.len()).filter(|n| *n > 0).map(|n| format!("  {n} marked"));
    // What does not fit goes, least needed first (help lists every key); never cut.
    let mut items = footer_keys(app);
    let all = items.len();
    let mut room = usize::from(area.width).saturating_sub(marked.as_ref().map_or(0, |m| m.chars().count()));
    let width =
        |items: &[(String, &str)]| items.iter().map(|(k, l)| k.chars().count() + l.chars().count() + 3).sum::<usize>();
    // Something goes: keep room for the sign that it did (`?` lists them all).
    if width(&items) > room {
        room = room.saturating_sub(2);
    }
    for drop in ["freeze", "resume", "sort", "filter", "open", "pane", "scroll", "mark", "refresh"] {
        if width(&items) <= room {
            break;
        }
        items.retain(|(_, l)| *l != drop);
    }
    while width(&items) > room && items.len() > 1 {
        items.remove(items.len() - 2);
    }
    let dropped = items.len() < all;
    let mut keys: Vec<Span> = Vec::new();
    for (k, label) in items {
        keys.push(Span::styled(format!(" {k}"), t.accent));
        keys.push(Span::styled(format!(" {label} "), t.muted));
    }
    if dropped {
        keys.push(Span::styled(" …", t.muted));
    }
    if let Some(m) = marked {
        keys.push(Span::styled(m, t.marked));
    }
    f.render_widget(Paragraph::new(vec![status, Line::from(keys)]), area);
}
