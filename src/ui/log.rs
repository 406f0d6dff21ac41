//! The session log (`:log`): every message and outcome of this session, in full, newest
//! at the bottom, wrapped to the screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use crate::app::{App, Level};

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let log = &app.log;
    let rows = usize::from(area.height.saturating_sub(2)).max(1);
    // The newest entries that fit, `scroll` entries up from the end.
    let end = log.entries.len().saturating_sub(log.scroll);
    let start = end.saturating_sub(rows);
    let lines: Vec<Line> = log
        .entries
        .range(start..end)
        .map(|e| {
            let (sym, style) = match e.level {
                Level::Info => ("ℹ", t.text),
                Level::Success => ("✔", t.ok),
                Level::Warn => ("⚠", t.warn),
                Level::Error => ("✖", t.error),
            };
            Line::from(vec![
                Span::styled(format!("{} ", e.at.format("%H:%M:%S")), t.muted),
                Span::styled(format!("{sym} {}", e.text), style),
            ])
        })
        .collect();
    let title = Line::from(vec![
        Span::styled(" Session log ", t.title),
        Span::styled(format!("[{}] {} ", log.entries.len(), if log.scroll > 0 { "↑ scrolled" } else { "" }), t.muted),
    ]);
    let block = Block::default().borders(Borders::ALL).border_style(t.border).title(title);
    let body = match lines.is_empty() {
        true => Paragraph::new(Span::styled("nothing yet: messages and outcomes of this session appear here", t.muted)),
        false => Paragraph::new(lines).wrap(Wrap { trim: false }),
    };
    f.render_widget(body.block(block), area);
}
