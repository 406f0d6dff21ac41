//! Rendering: reads `&App`, writes a `Frame`. Nothing here awaits or does I/O.

pub mod detail;
pub mod fleet;
pub mod kv;
pub mod log;
pub mod overlay;
pub mod overview;
pub mod table;
pub mod text_table;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::keys::Action;
use crate::app::layout::{self, FOOTER_ROWS, HEADER_ROWS, MIN_SIZE};
use crate::app::{App, Level, Mode, Screen, VIEWS, ViewKind};
use crate::domain::{Entity, Width};
pub use theme::Theme;

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
    let [header, main, footer] =
        Layout::vertical([Constraint::Length(HEADER_ROWS), Constraint::Min(1), Constraint::Length(FOOTER_ROWS)])
            .areas(area);
    draw_header(f, app, theme, header);
    match app.screen() {
        Screen::View(ViewKind::Overview) => overview::draw(f, app, theme, main),
        Screen::View(ViewKind::Log) => log::draw(f, app, theme, main),
        Screen::View(ViewKind::Fleet) => fleet::draw(f, app, theme, main),
        Screen::View(ViewKind::List(e)) => table::draw(f, app, theme, main, *e),
        Screen::Detail(d) => detail::draw(f, app, theme, main, d),
    }
    draw_footer(f, app, theme, footer);
    overlay::draw(f, app, theme, area);
}

fn draw_header(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let s = &app.settings;
    let mut l1 = vec![Span::styled(" hubtop ", t.title.patch(t.selected)), Span::raw(" ")];
    if let Some(p) = &s.profile {
        // The profile first: several instances look alike by URL.
        let style = if s.production { t.error } else { t.header };
        l1.push(Span::styled(format!("⎈ {p}  "), style));
    }
    l1.extend([Span::styled(s.instance.clone(), t.accent), Span::styled(format!("  {}", s.user), t.muted)]);
    if s.demo {
        l1.push(Span::styled("  [DEMO]", t.warn));
    }
    if let Some(r) = &s.rehearsal {
        // A colour no other mode uses: black on light magenta (reversed without colour).
        use ratatui::style::{Color, Modifier, Style};
        let style = if t.name == "none" {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new().fg(Color::Black).bg(Color::LightMagenta).add_modifier(Modifier::BOLD)
        };
        l1.extend([Span::raw("  "), Span::styled(format!(" {r} "), style)]);
    }
    if s.read_only {
        l1.push(Span::styled("  [READ-ONLY]", t.warn));
    }
    if s.production {
        l1.push(Span::styled("  [PRODUCTION]", t.error));
    }
    if app.frozen {
        l1.push(Span::styled("  [FROZEN]", t.warn));
    }
    let waited = app.conn.waiting_since.map(|t| app.instant.saturating_duration_since(t).as_secs());
    let live = match (&app.conn.stale_since, &app.conn.last_ok) {
        _ if app.conn.rate_limited_until.is_some() => {
            let until = chrono::DateTime::<chrono::Utc>::from(app.conn.rate_limited_until.expect("set"));
            Span::styled(format!("  ⏸ rate limited until {} (nothing is sent)", until.format("%H:%M")), t.warn)
        }
        (None, _) if waited.is_some() => {
            Span::styled(format!("  ⏳ instance silent for {}s (still trying)", waited.unwrap_or(0)), t.warn)
        }
        (None, Some(ok)) if app.frozen => Span::styled(
            format!("  ❚❚ paused, last refreshed {}", crate::time::ago(&crate::time::format(*ok), app.now)),
            t.muted,
        ),
        (Some(since), _) => {
            Span::styled(format!("  ⚠ STALE since {} ({})", since.format("%H:%M:%S"), app.conn.reason), t.error)
        }
        (None, Some(ok)) => {
            Span::styled(format!("  ● live, refreshed {}", crate::time::ago(&crate::time::format(*ok), app.now)), t.ok)
        }
        (None, None) => Span::styled("  ○ connecting…", t.muted),
    };
    l1.push(live);
    // The hourly request budget, once it is tight (polls then wait for room).
    if let Some(b) = s.meter.as_ref().map(|m| m.budget.state()).filter(|b| b.tight()) {
        let held = if b.waiting > 0 { ", polling paused" } else { "" };
        l1.push(Span::styled(format!("  budget {}/{} per hour{held}", b.used, b.limit), t.warn));
    }
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
    let tabs: Vec<Span> = VIEWS
        .iter()
        .enumerate()
        .flat_map(|(i, v)| {
            let style = if Some(*v) == current { t.selected } else { t.muted };
            [Span::styled(format!(" {} {} ", i + 1, v.title()), style), Span::raw(" ")]
        })
        .collect();
    let p = Paragraph::new(vec![Line::from(l1), Line::from(l2), Line::from(tabs)]);
    f.render_widget(p, area);
}

/// The keys that work on this screen, generated from the keymap.
pub fn footer_keys(app: &App) -> Vec<(String, &'static str)> {
    let mut acts: Vec<(Action, &'static str)> = vec![(Action::Help, "help")];
    match app.screen() {
        Screen::View(ViewKind::Log) => {
            acts.extend([(Action::Up, "older"), (Action::Down, "newer"), (Action::Back, "back")])
        }
        Screen::View(ViewKind::Overview) => {
            acts.extend([(Action::Enter, "drill into group"), (Action::View(4), "outbound")]);
        }
        Screen::View(ViewKind::Fleet) => acts.extend([(Action::Enter, "switch to"), (Action::Refresh, "refresh")]),
        Screen::View(ViewKind::List(e)) => {
            acts.extend([(Action::Enter, "open"), (Action::Filter, "filter"), (Action::Sort, "sort")]);
            match e {
                Entity::Outbound | Entity::Inbound => {
                    acts.extend([(Action::Retry, "retry"), (Action::Skip, "skip"), (Action::Mark, "mark")])
                }
                Entity::WorkOrders => acts.extend([
                    (Action::Retry, "retry"),
                    (Action::CreateWorkOrder, "create"),
                    (Action::UpdateWorkOrder, "update"),
                    (Action::CancelWorkOrder, "cancel"),
                ]),
                Entity::Executions => acts.push((Action::Retry, "rerun")),
                _ => {}
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
                acts.push((Action::Retry, if d.entity == Entity::Executions { "rerun" } else { "retry" }));
            }
        }
    }
    acts.extend([(Action::Freeze, if app.frozen { "resume" } else { "freeze" }), (Action::Quit, "quit")]);
    // A read-only console offers no action that it would refuse.
    acts.retain(|(a, _)| !(app.settings.read_only && a.is_mutating()));
    acts.into_iter().map(|(a, label)| (app.keymap.first_key(a), label)).collect()
}

fn draw_footer(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let status = match (&app.mode, &app.status) {
        (Mode::Filter(i), _) => Line::from(vec![Span::styled(" / ", t.accent), Span::raw(i.value().to_string())]),
        (Mode::Command(i), _) => {
            // After `profile ` the hint is the names alone.
            let all = app.complete_command(i.value());
            let hint = all.iter().map(|c| c.rsplit(' ').next().unwrap_or(c)).collect::<Vec<_>>().join(" ");
            Line::from(vec![
                Span::styled(" : ", t.accent),
                Span::raw(i.value().to_string()),
                Span::styled(format!("   {hint}"), t.muted),
            ])
        }
        (_, Some((level, msg))) => {
            let (sym, style) = match level {
                Level::Info => ("ℹ", t.text),
                Level::Success => ("✔", t.ok),
                Level::Warn => ("⚠", t.warn),
                Level::Error => ("✖", t.error),
            };
            Line::from(Span::styled(format!(" {sym} {msg}"), style))
        }
        _ => Line::from(""),
    };
    let mut keys: Vec<Span> = Vec::new();
    for (k, label) in footer_keys(app) {
        keys.push(Span::styled(format!(" {k}"), t.accent));
        keys.push(Span::styled(format!(" {label} "), t.muted));
    }
    if let Some(l) = app.current_list()
        && !l.marks.is_empty()
    {
        keys.push(Span::styled(format!("  {} marked", l.marks.len()), t.marked));
    }
    f.render_widget(Paragraph::new(vec![status, Line::from(keys)]), area);
}
