//! The fleet: one row per profile — its counts, whether its instance answers, and its
//! request budget. States read by symbol and word, not by colour alone.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::table::{Styled, fit_cells};
use super::{Column, Theme};
use crate::app::App;
use crate::app::fleet::{FleetRow, RowState};

/// The status cell of a row: symbol and words, and its style.
pub fn status(app: &App, r: &FleetRow, t: &Theme) -> (String, Style) {
    let silent = r.silent_for(app.instant).map(|d| format!(" · ⏳ no answer for {}s", d.as_secs()));
    match app.fleet_row_state(r) {
        RowState::Asking(d) if d >= crate::app::fleet::SILENT_AFTER => {
            (format!("⏳ no answer for {}s", d.as_secs()), t.warn)
        }
        RowState::Asking(_) => ("… asking".into(), t.muted),
        RowState::Live => {
            let ago = r.last_ok.map(|ok| crate::time::ago(&crate::time::format(ok), app.now)).unwrap_or_default();
            (format!("● live, {ago}{}", silent.unwrap_or_default()), t.ok)
        }
        RowState::Stale { since, reason } => (format!("⚠ stale since {} ({reason})", since.format("%H:%M:%S")), t.warn),
        RowState::Down(reason) => (format!("✖ down: {reason}"), t.error),
        RowState::RateLimited(until) => {
            let hm = chrono::DateTime::<chrono::Utc>::from(until).format("%H:%M UTC");
            (format!("⏸ rate limited until {hm}"), t.warn)
        }
    }
}

/// The request budget the instance announced: remaining / per hour, where known.
pub fn budget(r: &FleetRow) -> String {
    let rate = r.sample.as_ref().and_then(|s| s.rate.as_ref());
    match rate.map(|x| (x.remaining, x.limit)) {
        Some((Some(left), Some(limit))) => format!("{left}/{limit}"),
        Some((None, Some(limit))) => format!("{limit}/h"),
        Some((Some(left), None)) => format!("{left} left"),
        _ => "—".into(),
    }
}

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let fleet = &app.fleet;
    let title = vec![
        Span::styled(" Fleet ", t.title),
        Span::styled(format!("[{}] every 30s, Enter switches ", fleet.rows.len()), t.muted),
    ];
    let block =
        Block::default().borders(Borders::ALL).border_style(t.border).title(super::fit::title(title, area.width));
    if fleet.rows.is_empty() {
        let msg = "no profiles in the config file: add [profiles.NAME] sections (hubtop config path)";
        f.render_widget(Paragraph::new(Span::styled(msg, t.muted)).block(block), area);
        return;
    }
    let wide = area.width >= 100;
    // Sized to what the rows hold and cut with a sign, like every list.
    let c = |title: &'static str, width: Constraint, keep: u8| Column { field: "", title, width, keep };
    let mut all = vec![
        c("PROFILE", Constraint::Length(18), 3),
        c("QUEUE", Constraint::Length(6), 2),
        c("OUT ✖", Constraint::Length(6), 2),
        c("EXEC ✖", Constraint::Length(6), 1),
        c("PROV ✖", Constraint::Length(6), 1),
        c("BUDGET", Constraint::Length(10), 0),
        c("STATUS", Constraint::Min(24), 3),
    ];
    if wide {
        all.insert(1, c("INSTANCE", Constraint::Length(40), 0));
    }
    let current = app.settings.profile.as_deref();
    let mut cells: Vec<Vec<Styled>> = fleet
        .rows
        .iter()
        .map(|r| {
            let p = &r.profile;
            let mut name = format!("{}{}", if current == Some(p.name.as_str()) { "▶ " } else { "  " }, p.name);
            if p.production {
                name.push_str(" PROD");
            }
            if p.read_only {
                name.push_str(" RO");
            }
            let n = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
            let c = r.sample.as_ref().map(|s| &s.counts);
            let err = |v: Option<u64>| match v {
                Some(x) if x > 0 => t.error,
                _ => t.text,
            };
            let mut cells = vec![
                (name, if p.production { t.error } else { t.header }),
                (n(c.map(|c| c.queue)), t.text),
                (n(c.map(|c| c.out_errors)), err(c.map(|c| c.out_errors))),
                (n(c.map(|c| c.exec_errors)), err(c.map(|c| c.exec_errors))),
                (n(c.map(|c| c.failing_providers)), err(c.map(|c| c.failing_providers))),
                (budget(r), t.text),
                status(app, r, t),
            ];
            if wide {
                cells.insert(1, (p.instance.clone(), t.muted));
            }
            cells
        })
        .collect();
    let (cols, widths) = fit_cells(&all, cells.iter_mut().collect(), area.width.saturating_sub(2));
    let head: Vec<&str> = cols.iter().map(|c| c.title).collect();
    let rows: Vec<Row> = cells
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let row = Row::new(r.into_iter().map(|(v, s)| Cell::from(Span::styled(v, s))));
            if i == fleet.selected { row.style(t.selected) } else { row }
        })
        .collect();
    let table = Table::new(rows, widths).header(Row::new(head).style(t.header)).block(block).column_spacing(1);
    f.render_widget(table, area);
}
