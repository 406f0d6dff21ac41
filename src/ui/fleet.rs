//! The fleet: one row per profile — its counts, whether its instance answers, and its
//! request budget. States read by symbol and word, not by colour alone.

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::Theme;
use crate::app::App;
use crate::app::fleet::{FleetRow, RowState};

/// The status cell of a row: symbol and words, and its style.
pub fn status(app: &App, r: &FleetRow, t: &Theme) -> (String, Style) {
    let wall = SystemTime::from(app.now);
    let silent = r.silent_for(app.instant).map(|d| format!(" · ⏳ no answer for {}s", d.as_secs()));
    match r.state(app.instant, wall) {
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
    let title = Line::from(vec![
        Span::styled(" Fleet ", t.title),
        Span::styled(format!("[{}] every 30s, Enter switches ", fleet.rows.len()), t.muted),
    ]);
    let block = Block::default().borders(Borders::ALL).border_style(t.border).title(title);
    if fleet.rows.is_empty() {
        let msg = "no profiles in the config file: add [profiles.NAME] sections (hubtop config path)";
        f.render_widget(Paragraph::new(Span::styled(msg, t.muted)).block(block), area);
        return;
    }
    let wide = area.width >= 100;
    let mut head = vec!["PROFILE", "QUEUE", "OUT ✖", "EXEC ✖", "PROV ✖", "BUDGET", "STATUS"];
    let mut widths = vec![
        Constraint::Length(18),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(10),
        Constraint::Min(34),
    ];
    if wide {
        head.insert(1, "INSTANCE");
        // What is left after the status: the status says more than the URL.
        widths.insert(1, Constraint::Fill(1));
    }
    let current = app.settings.profile.as_deref();
    let rows: Vec<Row> = fleet
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
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
            let (st, st_style) = status(app, r, t);
            let err = |v: Option<u64>| match v {
                Some(x) if x > 0 => t.error,
                _ => t.text,
            };
            let mut cells = vec![
                Cell::from(Span::styled(name, if p.production { t.error } else { t.header })),
                Cell::from(n(c.map(|c| c.queue))),
                Cell::from(Span::styled(n(c.map(|c| c.out_errors)), err(c.map(|c| c.out_errors)))),
                Cell::from(Span::styled(n(c.map(|c| c.exec_errors)), err(c.map(|c| c.exec_errors)))),
                Cell::from(Span::styled(n(c.map(|c| c.failing_providers)), err(c.map(|c| c.failing_providers)))),
                Cell::from(budget(r)),
                Cell::from(Span::styled(st, st_style)),
            ];
            if wide {
                cells.insert(1, Cell::from(Span::styled(p.instance.clone(), t.muted)));
            }
            let row = Row::new(cells);
            if i == fleet.selected { row.style(t.selected) } else { row }
        })
        .collect();
    let table = Table::new(rows, widths).header(Row::new(head).style(t.header)).block(block).column_spacing(1);
    f.render_widget(table, area);
}
