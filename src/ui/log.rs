//! The session log (`:log`): every message and outcome of this session, in full, newest
//! at the bottom, wrapped to the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Theme;
use crate::app::{App, Level};

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let log = &app.log;
    let rows = usize::from(area.height.saturating_sub(2)).max(1);
    let width = usize::from(area.width.saturating_sub(2)).max(1);
    // The newest entries, `scroll` entries up from the end, wrapped here (so their height
    // is known) and anchored at the bottom: the newest line is always reachable.
    let end = log.entries.len().saturating_sub(log.scroll);
    let mut lines: Vec<Line> = Vec::new();
    for e in log.entries.range(..end).rev() {
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
        wrapped.reverse();
        lines.extend(wrapped);
        if lines.len() >= rows {
            break;
        }
    }
    lines.truncate(rows);
    lines.reverse();
    let title = Line::from(vec![
        Span::styled(" Session log ", t.title),
        Span::styled(format!("[{}] {} ", log.entries.len(), if log.scroll > 0 { "↑ scrolled" } else { "" }), t.muted),
    ]);
    let block = Block::default().borders(Borders::ALL).border_style(t.border).title(title);
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
