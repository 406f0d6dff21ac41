//! Things drawn over the screen: help, confirmations, the update form, the bulk gauge
//! and its summary.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};

use super::Theme;
use crate::app::keys::Action;
use crate::app::{App, Mode};

fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height.saturating_sub(2));
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// Rows `lines` take when wrapped inside a panel `width` wide (its borders aside), so a
/// dialog is tall enough for its last line (the keys that answer it).
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    // Word wrapping breaks before a word that does not fit: allow for a short last word.
    let per_row = inner.saturating_sub(inner / 8).max(1);
    let rows = |w: usize| if w <= inner { 1 } else { w.div_ceil(per_row) };
    lines.iter().map(|l| rows(l.width())).sum::<usize>().min(usize::from(u16::MAX)) as u16
}

fn panel<'a>(t: &Theme, title: &'a str) -> Block<'a> {
    Block::default().borders(Borders::ALL).border_style(t.accent).title(Span::styled(format!(" {title} "), t.title))
}

/// The keys of the screen under the help, from the keymap (only the actions that work
/// there, and none a read-only console refuses), then the keys of dialogs and prompts.
pub fn help_lines(app: &App) -> Vec<(String, &'static str)> {
    let layer = app.screen_layer();
    use Action::*;
    let all = [
        Help,
        Quit,
        View(1),
        Command,
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
    let dialogs = [Confirm, Dismiss, Accept, Complete];
    all.iter()
        .filter(|a| a.works_in(layer) && !(app.settings.read_only && a.is_mutating()))
        .chain(dialogs.iter())
        .map(|a| {
            let keys = match a {
                View(_) => format!("1–{}", crate::app::keys::VIEW_COUNT),
                _ => app.keymap.keys_for(*a).join(" "),
            };
            (keys, a.describe())
        })
        .collect()
}

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    if matches!(app.mode, Mode::Help) {
        // As many columns as the height needs, so every key shows even at 80×24.
        let items = help_lines(app);
        let rows = usize::from(area.height.saturating_sub(4)).max(1);
        let ncols = items.len().div_ceil(rows).max(1);
        let per_col = items.len().div_ceil(ncols);
        let key_w = items.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0).min(16);
        let desc_w = items.iter().map(|(_, d)| d.chars().count()).max().unwrap_or(0);
        let col_w = key_w + 2 + desc_w + 2;
        let lines: Vec<Line> = (0..per_col)
            .map(|row| {
                let mut spans = Vec::new();
                for (k, d) in (0..ncols).filter_map(|c| items.get(c * per_col + row)) {
                    spans.push(Span::styled(format!("{k:>key_w$}  "), t.accent));
                    spans.push(Span::raw(format!("{d:<w$}", w = desc_w + 2)));
                }
                Line::from(spans)
            })
            .collect();
        let r = centred(area, (col_w * ncols) as u16 + 2, per_col as u16 + 2);
        f.render_widget(Clear, r);
        f.render_widget(Paragraph::new(lines).block(panel(t, "Keys (any key closes)")), r);
        return;
    }
    let a = &app.actions;
    if let Some(c) = &a.confirm {
        let mut lines: Vec<Line> = c.lines.iter().map(|l| Line::from(l.as_str())).collect();
        lines.push(Line::from(""));
        match &c.typed {
            Some(input) => lines.push(Line::from(vec![
                Span::styled(
                    format!("production: type {} and Enter to send, Esc to back out: ", c.job.targets.len()),
                    t.warn,
                ),
                Span::raw(input.value().to_string()),
            ])),
            None => {
                lines.push(Line::from(Span::styled("y / Enter: send    Esc / n: back out, nothing is sent", t.warn)))
            }
        }
        let r = centred(area, 90, wrapped_height(&lines, area.width.min(90)) + 2);
        f.render_widget(Clear, r);
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(panel(t, &c.title)), r);
        return;
    }
    if let Some(form) = &a.form {
        let mut lines = vec![
            Line::from(Span::styled(format!("Update {} at its provider", form.target.label), t.header)),
            Line::from(""),
        ];
        for (i, (name, orig, input)) in form.fields.iter().enumerate() {
            let style = if i == form.focus { t.selected } else { t.text };
            let changed = if input.value() != orig { " (changed)" } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{name:<18}"), t.muted),
                Span::styled(format!("{} ", input.value()), style),
                Span::styled(changed, t.warn),
            ]));
        }
        let style = if form.focus == form.fields.len() { t.selected } else { t.text };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<18}", "comment"), t.muted),
            Span::styled(format!("{} ", form.comment.value()), style),
        ]));
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Tab/↑↓ move  Enter send changed fields + comment  Esc back out", t.muted)));
        let r = centred(area, 80, lines.len() as u16 + 2);
        f.render_widget(Clear, r);
        f.render_widget(Paragraph::new(lines).block(panel(t, "Update work order")), r);
        return;
    }
    if let Some(run) = a.bulk_running() {
        let n = run.job.targets.len().max(1);
        let r = centred(area, 70, 7);
        f.render_widget(Clear, r);
        let title = format!("{} of {} records", run.job.op.verb(), n);
        let block = panel(t, &title);
        let inner = block.inner(r);
        f.render_widget(block, r);
        let [g, info] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
        let done = run.results.len();
        f.render_widget(
            Gauge::default().ratio(done as f64 / n as f64).gauge_style(t.accent).label(format!("{done}/{n}")),
            g,
        );
        let lines = vec![
            Line::from(vec![
                Span::styled(format!("✔ done {}  ", run.done), t.ok),
                Span::styled(format!("✖ failed {}  ", run.failed), t.error),
                Span::styled(format!("? unknown {}  ", run.unknown), t.warn),
                Span::raw(format!("remaining {}", run.remaining())),
            ]),
            Line::from(Span::styled(
                if run.cancelling {
                    "cancelling: waiting for requests in flight…"
                } else {
                    "Esc cancels: what was sent stays sent"
                },
                t.muted,
            )),
        ];
        f.render_widget(Paragraph::new(lines), info);
        return;
    }
    if let Some(s) = &a.summary {
        let mut lines = vec![Line::from(vec![
            // What the instance accepted; a retry is then followed to its outcome.
            Span::styled(
                match s.verb.as_str() {
                    "retry" => format!("✔ {} set back to ready   ", s.ok),
                    "skip" => format!("✔ {} skipped   ", s.ok),
                    _ => format!("✔ {} started   ", s.ok),
                },
                t.ok,
            ),
            Span::styled(format!("✖ {} failed or unknown   ", s.failed.len()), t.error),
            Span::raw(format!("not sent {}", s.not_sent)),
        ])];
        if s.verb == "retry" {
            lines.push(Line::from(vec![
                Span::styled("then: ", t.muted),
                Span::styled(format!("✔ {} processed   ", s.processed), t.ok),
                Span::styled(format!("✖ {} failed again   ", s.failed_again), t.error),
                Span::styled(
                    match s.following.len() {
                        0 => "nothing left to follow".to_string(),
                        n => format!("⟳ {n} waiting for the queue…"),
                    },
                    t.running,
                ),
            ]));
        }
        lines.push(Line::from(""));
        for (i, (tg, o)) in s.failed.iter().enumerate().take(12) {
            let style = if i == s.selected { t.selected } else { t.text };
            lines.push(Line::from(Span::styled(format!("{}: {}", tg.label, o.text()), style)));
        }
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Enter open the selected failure   Esc close", t.muted)));
        let r = centred(area, 90, wrapped_height(&lines, area.width.min(90)) + 2);
        f.render_widget(Clear, r);
        let title = format!("{} finished", s.verb);
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(panel(t, &title)), r);
    }
}
