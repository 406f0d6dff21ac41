//! A list view: the rows of the window that fall in the viewport, with states as symbol
//! plus word, times relative, references by their display value.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use super::{Column, Theme, columns};
use crate::app::App;
use crate::client::{Entity, Record};

const TIME_FIELDS: [&str; 5] = ["sys_updated_on", "sys_created_on", "started", "next_attempt", "ended"];

/// The text and style of one cell.
pub fn cell(t: &Theme, e: Entity, field: &str, r: &Record, now: chrono::DateTime<chrono::Utc>) -> (String, Style) {
    let v = r.get(field);
    if Some(field) == e.state_field() || field == "state" || field == "status" || field == "integration_state" {
        let (sym, style) = t.state(v);
        return (format!("{sym} {}", r.show(field)), style);
    }
    if TIME_FIELDS.contains(&field) {
        return (crate::time::ago(v, now), t.muted);
    }
    if field == "run_time" {
        return (v.parse::<u64>().map(fmt_ms).unwrap_or_default(), t.text);
    }
    if field == "response_code" {
        let style = match v.chars().next() {
            Some('2') => t.ok,
            Some('4' | '5') => t.error,
            _ => t.text,
        };
        return (v.to_string(), style);
    }
    if field == "attempts" {
        let max = r.get("max_attempts");
        return (if max.is_empty() { v.to_string() } else { format!("{v}/{max}") }, t.text);
    }
    let style = if matches!(field, "last_error" | "error" | "error_message") { t.error } else { t.text };
    (r.show(field).to_string(), style)
}

pub fn fmt_ms(ms: u64) -> String {
    match ms {
        m if m < 1000 => format!("{m}ms"),
        m if m < 60_000 => format!("{:.1}s", m as f64 / 1000.0),
        m => format!("{}m{}s", m / 60_000, (m % 60_000) / 1000),
    }
}

/// Columns that fit `width`, dropping from the right (the last flexible one stays).
pub fn fitting(cols: Vec<Column>, width: u16) -> Vec<Column> {
    let min = |c: &Column| match c.width {
        Constraint::Length(n) | Constraint::Min(n) => n,
        _ => 8,
    };
    let mut out = cols;
    while out.len() > 2 && out.iter().map(|c| min(c) + 1).sum::<u16>() + 2 > width {
        // Drop the rightmost fixed column that is not the flexible one.
        let idx = out.iter().rposition(|c| matches!(c.width, Constraint::Length(_))).unwrap_or(out.len() - 1);
        out.remove(idx);
    }
    out
}

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect, e: Entity) {
    let Some(l) = app.lists.get(&e) else { return };
    let cols = fitting(columns(e), area.width.saturating_sub(2));
    let total = match (l.total, l.quick_filter.is_empty()) {
        (_, false) => format!("{} of {} loaded match \"{}\"", l.len(), l.rows.len(), l.quick_filter),
        (Some(n), true) => format!("{n}"),
        (None, true) => "…".into(),
    };
    let pos = if l.is_empty() { String::new() } else { format!(" · {}/{}", l.selected + 1, l.len()) };
    let sort =
        l.sort.as_ref().map(|o| format!(" · by {} {}", o.field, if o.desc { "↓" } else { "↑" })).unwrap_or_default();
    let mut title = vec![
        Span::styled(format!(" {} ", e.label()), t.title),
        Span::styled(format!("[{total}]{pos}{sort} "), t.muted),
    ];
    if l.in_flight {
        title.push(Span::styled("⟳ ", t.running));
    }
    let block = Block::default().borders(Borders::ALL).border_style(t.border).title(Line::from(title));
    let vp = crate::app::viewport_rows(app.size.1);
    let header = Row::new(cols.iter().map(|c| Cell::from(c.title))).style(t.header);
    let mut rows = Vec::new();
    for abs in l.scroll..(l.scroll + vp).min(l.len()) {
        let Some(r) = l.row_at(abs) else {
            rows.push(Row::new(vec![Cell::from(Span::styled("  loading…", t.muted))]));
            continue;
        };
        let marked = l.marks.contains_key(r.sys_id());
        let pending = l.pending.get(r.sys_id());
        let cells: Vec<Cell> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (mut text, mut style) = cell(t, e, c.field, r, app.now);
                if let Some(p) = pending.filter(|_| c.field == "state" || c.field == "integration_state") {
                    text = format!("⟳ {p}");
                    style = t.running;
                }
                if i == 0 {
                    text = format!("{}{text}", if marked { "▌" } else { " " });
                    if marked {
                        style = t.marked;
                    }
                }
                Cell::from(Span::styled(text, style))
            })
            .collect();
        let mut row = Row::new(cells);
        if abs == l.selected {
            row = row.style(t.selected);
        }
        rows.push(row);
    }
    let empty = rows.is_empty();
    let table = Table::new(rows, cols.iter().map(|c| c.width)).header(header).block(block).column_spacing(1);
    f.render_widget(table, area);
    if empty {
        let msg = match (&l.error, l.loaded) {
            (Some(err), _) => format!("could not load: {err}"),
            (None, false) => "loading…".to_string(),
            (None, true) if !l.query_label.is_empty() || !l.quick_filter.is_empty() => {
                "nothing matches the filter (Esc clears it)".into()
            }
            (None, true) => "no records".into(),
        };
        let inner = Rect { x: area.x + 2, y: area.y + 2, width: area.width.saturating_sub(4), height: 1 };
        f.render_widget(ratatui::widgets::Paragraph::new(Span::styled(msg, t.muted)), inner);
    }
}
