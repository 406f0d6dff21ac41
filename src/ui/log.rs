//! The session log (`:log`): every message and outcome of this session, in full, newest
//! at the bottom, wrapped to the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Theme;
use crate::app::keys::{Action, Layer};
use crate::app::{App, Level};

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let log = &app.log;
    let rows = usize::from(area.height.saturating_sub(2)).max(1);
    let width = usize::from(area.width.saturating_sub(2)).max(1);
    // The newest entries, `scroll` entries up from the end, wrapped here (so their height
    // is known) and anchored at the bottom: the newest line is always reachable. Only
    // whole entries are shown; older ones hidden above get a line that says so, never a
    // view that starts in the middle of an entry without a sign.
    let end = log.entries.len().saturating_sub(log.scroll);
    let mut shown: Vec<Vec<Line>> = Vec::new();
    let mut used = 0;
    // The first lines of the newest entry shown, when it alone is taller than the pane.
    let mut cut_lines = 0;
    for (i, e) in log.entries.range(..end).rev().enumerate() {
        let (sym, style) = match e.level {
            Level::Info => ("ℹ", t.text),
            Level::Success => ("✔", t.ok),
            Level::Warn => ("⚠", t.warn),
            Level::Error => ("✖", t.error),
        };
        let time = format!("{} ", e.at.format("%H:%M:%S"));
        let text = crate::sanitize::sanitize(&format!("{sym} {}", e.text)).into_owned();
        let mut wrapped: Vec<Line> = wrap(&text, width.saturating_sub(time.chars().count()).max(1))
            .into_iter()
            .enumerate()
            .map(|(i, part)| {
                let lead = if i == 0 { time.clone() } else { " ".repeat(time.chars().count()) };
                Line::from(vec![Span::styled(lead, t.muted), Span::styled(part, style)])
            })
            .collect();
        // Room for the line that names what is above, if anything is left above.
        let above = end - (i + 1);
        let reserve = usize::from(above > 0);
        if used + wrapped.len() + reserve > rows {
            if shown.is_empty() {
                // Its end (the newest words), after a line that says its start is above.
                let keep = rows.saturating_sub(1).max(1);
                cut_lines = wrapped.len().saturating_sub(keep);
                wrapped.drain(..cut_lines);
                shown.push(wrapped);
            }
            break;
        }
        used += wrapped.len();
        shown.push(wrapped);
    }
    let older = end - shown.len();
    let up = app.keymap.key_in(Layer::Log, Action::Up).map(|k| format!(" ({k} scrolls up)")).unwrap_or_default();
    let sign = match (cut_lines, older) {
        (0, 0) => None,
        (0, n) => Some(format!("↑ {n} older {} above{up}", if n == 1 { "entry" } else { "entries" })),
        (c, 0) => Some(format!("↑ this entry's first {c} lines are above")),
        (c, n) => Some(format!("↑ this entry's first {c} lines and {n} older above")),
    };
    let mut lines: Vec<Line> = Vec::new();
    if let Some(s) = sign {
        lines.push(Line::from(Span::styled(super::fit::fit(&s, width).into_owned(), t.warn)));
    }
    lines.extend(shown.into_iter().rev().flatten());
    lines.truncate(rows);
    let title = Line::from(vec![
        Span::styled(" Session log ", t.title),
        Span::styled(format!("[{}] {} ", log.entries.len(), if log.scroll > 0 { "↑ scrolled" } else { "" }), t.muted),
    ]);
    let mut block =
        Block::default().borders(Borders::ALL).border_style(t.border).title(super::fit::title(title, area.width));
    // Newer entries below (scrolled up): the bottom border says how many.
    if log.scroll > 0 {
        let down = app.keymap.key_in(Layer::Log, Action::Down).map(|k| format!(" ({k})")).unwrap_or_default();
        let n = log.scroll.min(log.entries.len());
        let text = format!(" ↓ {n} newer {} below{down} ", if n == 1 { "entry" } else { "entries" });
        block = block.title_bottom(super::fit::title(Span::styled(text, t.warn), area.width));
    }
    let body = match lines.is_empty() {
        true => Paragraph::new(Span::styled("nothing yet: messages and outcomes of this session appear here", t.muted)),
        false => Paragraph::new(lines),
    };
    f.render_widget(body.block(block), area);
}

/// Cuts `text` into pieces at most `width` columns wide, at a space where one is near.
fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut w = 0;
    for c in text.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width && !cur.is_empty() {
            // Break at the last space when it leaves a reasonable piece.
            match cur.rfind(' ').filter(|i| *i > cur.len() / 2) {
                Some(i) => {
                    let rest = cur[i + 1..].to_string();
                    cur.truncate(i);
                    out.push(std::mem::take(&mut cur));
                    w = rest.chars().map(|c| c.width().unwrap_or(0)).sum();
                    cur = rest;
                }
                None => {
                    out.push(std::mem::take(&mut cur));
                    w = 0;
                }
            }
        }
        cur.push(c);
        w += cw;
    }
    out.push(cur);
    out
}
