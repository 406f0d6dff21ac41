//! The overview: counts by state, sparklines, provider health, top error groups.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table};

use super::table::{Styled, fit_cells, fmt_ms};
use super::{Column, Theme};
use crate::app::App;

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    let o = &app.overview;
    let Some(d) = &o.data else {
        // Never a bare "no data yet" when the instance said why (the status line and
        // `:log` have it whole).
        let why = match (&app.status, o.last_refresh) {
            (Some((crate::app::Level::Warn | crate::app::Level::Error, m)), Some(_)) => {
                format!("the overview could not be loaded: {m}")
            }
            _ => "no data yet".to_string(),
        };
        let msg = if o.in_flight { "loading the overview…".to_string() } else { why };
        f.render_widget(
            Paragraph::new(Span::styled(msg, t.muted))
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(Block::bordered().title(" Overview ")),
            area,
        );
        return;
    };
    let wide = area.width >= 120;
    let counts_h = d.counts.len() as u16 + 2;
    let [counts, sparks, rest] =
        Layout::vertical([Constraint::Length(counts_h), Constraint::Length(3), Constraint::Min(4)]).areas(area);
    // Counts by state.
    let lines: Vec<Line> = d
        .counts
        .iter()
        .map(|(label, states)| {
            let mut spans = vec![Span::styled(format!("{label:<12}"), t.header)];
            let total: u64 = states.iter().map(|(_, n)| n).sum();
            spans.push(Span::styled(format!("{total:>8}  "), t.muted));
            for (s, n) in states {
                let (sym, style) = t.state(s);
                spans.push(Span::styled(format!("{sym} {} {n}   ", choice_label(s)), style));
            }
            Line::from(spans)
        })
        .collect();
    // A count the instance refused says so on its own line (the others stay).
    let mut lines = lines;
    for (panel, i, why) in &d.failed {
        if *panel == "counts" {
            let label = d.counts.get(*i).map(|(l, _)| *l).unwrap_or("counts");
            if let Some(line) = lines.get_mut(*i) {
                *line = Line::from(vec![
                    Span::styled(format!("{label:<12}"), t.header),
                    Span::styled(format!("{:>8}  ✖ {why}", "?"), t.error),
                ]);
            }
        }
    }
    let title = Line::from(vec![Span::styled(" Counts by state ", t.title), Span::styled("(Aggregate API) ", t.muted)]);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).border_style(t.border).title(title)),
        counts,
    );
    // Sparklines.
    let [s1, s2] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(sparks);
    let depth: Vec<u64> = o.depth.iter().copied().collect();
    let fails: Vec<u64> = o.failures.iter().copied().collect();
    let last = |v: &[u64]| v.last().copied().unwrap_or(0);
    f.render_widget(
        Sparkline::default()
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.border)
                    .title(format!(" Queue depth {} ", last(&depth))),
            )
            .data(tail(&depth, s1.width.saturating_sub(2)))
            .style(t.accent),
        s1,
    );
    f.render_widget(
        Sparkline::default()
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.border)
                    .title(format!(" In error {} ", last(&fails))),
            )
            .data(tail(&fails, s2.width.saturating_sub(2)))
            .style(t.error),
        s2,
    );
    let (prov, groups) = if wide {
        let [a, b] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(rest);
        (a, b)
    } else {
        let n = (app.overview.health.len() as u16 + 3).min(rest.height / 2 + 1);
        let [a, b] = Layout::vertical([Constraint::Length(n), Constraint::Min(3)]).areas(rest);
        (a, b)
    };
    // Provider health.
    let c = |title: &'static str, width: Constraint, keep: u8| Column { field: "", title, width, keep };
    let all = [
        c("PROVIDER", Constraint::Length(22), 3),
        c("HEALTH", Constraint::Length(10), 3),
        c("OUTBOUND", Constraint::Length(9), 0),
        c("OK%", Constraint::Length(4), 2),
        c("P50", Constraint::Length(6), 1),
        c("P95", Constraint::Length(6), 0),
        c("QUEUED", Constraint::Length(6), 2),
        c("ERR", Constraint::Length(5), 2),
        c("LAST ERROR", Constraint::Min(10), 1),
    ];
    let mut cells: Vec<Vec<Styled>> = o
        .health
        .iter()
        .map(|h| {
            let (sym, style) = t.state(&h.outbound_state);
            let health = (format!("{} {}", h.health.tone().symbol(), h.health.label()), t.tone(h.health.tone()));
            let rate = h.success_rate().map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "–".into());
            let rate_style = match h.success_rate() {
                Some(r) if r < 0.5 => t.error,
                Some(r) if r < 0.9 => t.warn,
                Some(_) => t.ok,
                None => t.muted,
            };
            vec![
                (h.title.clone(), t.text),
                health,
                (format!("{sym} {}", h.outbound_state), style),
                (rate, rate_style),
                (h.p50_ms.map(fmt_ms).unwrap_or_else(|| "–".into()), t.text),
                (h.p95_ms.map(fmt_ms).unwrap_or_else(|| "–".into()), t.text),
                (h.queued.to_string(), t.text),
                (h.errors.to_string(), if h.errors > 0 { t.error } else { t.muted }),
                (h.last_error.clone(), t.error),
            ]
        })
        .collect();
    let (cols, widths) = fit_cells(&all, cells.iter_mut().collect(), prov.width.saturating_sub(2));
    let header = Row::new(cols.iter().map(|c| c.title)).style(t.header);
    let rows: Vec<Row> =
        cells.into_iter().map(|r| Row::new(r.into_iter().map(|(v, s)| Cell::from(Span::styled(v, s))))).collect();
    let mut title = vec![Span::styled(" Providers ", t.title), Span::styled("(recent sync history) ", t.muted)];
    // What does not fit says how much more there is.
    let room = usize::from(prov.height.saturating_sub(3));
    if o.health.len() > room {
        title.push(Span::styled(format!("+{} more (2 lists all) ", o.health.len() - room), t.warn));
    }
    let broken: Vec<&str> = d.errors_of("providers").into_iter().chain(d.errors_of("sync history")).collect();
    let block = Block::default().borders(Borders::ALL).border_style(t.border).title(Line::from(title));
    if broken.is_empty() {
        f.render_widget(Table::new(rows, widths).header(header).block(block), prov);
    } else {
        let mut lines: Vec<Line> = broken.iter().map(|w| Line::from(Span::styled(format!("✖ {w}"), t.error))).collect();
        if !o.health.is_empty() {
            lines.push(Line::from(Span::styled("(health below is from what could be read)", t.muted)));
        }
        let inner = block.inner(prov);
        f.render_widget(block, prov);
        let n = (lines.len() as u16).min(inner.height);
        let [top, rest] = Layout::vertical([Constraint::Length(n), Constraint::Min(0)]).areas(inner);
        f.render_widget(Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }), top);
        f.render_widget(Table::new(rows, widths).header(header), rest);
    }
    // Top error groups.
    let rows: Vec<Row> = o
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let row = Row::new(vec![
                Cell::from(Span::styled(format!("{:>5}", g.count), t.error)),
                Cell::from(g.label().to_string()),
            ]);
            if i == o.selected_group { row.style(t.selected) } else { row }
        })
        .collect();
    let empty = rows.is_empty();
    let mut title = vec![
        Span::styled(" Top error groups ", t.title),
        Span::styled(format!("(outbound in error, Enter to drill) {} ", o.groups.len()), t.muted),
    ];
    let room = usize::from(groups.height.saturating_sub(2));
    if o.groups.len() > room {
        title.push(Span::styled(format!("+{} more ", o.groups.len() - room), t.warn));
    }
    let block = Block::default().borders(Borders::ALL).border_style(t.border).title(Line::from(title));
    let refused = d.errors_of("error groups");
    if !refused.is_empty() {
        // Never "no entries in error" when they could not be counted.
        let lines: Vec<Line> = refused.iter().map(|w| Line::from(Span::styled(format!("✖ {w}"), t.error))).collect();
        f.render_widget(Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }).block(block), groups);
    } else if empty {
        f.render_widget(Paragraph::new(Span::styled("✔ no outbound entries in error", t.ok)).block(block), groups);
    } else {
        let table = Table::new(rows, [Constraint::Length(6), Constraint::Min(10)]).block(block);
        let mut state = ratatui::widgets::TableState::default().with_selected(Some(o.selected_group));
        f.render_stateful_widget(table, groups, &mut state);
    }
}

/// A stored choice value as the operator reads it elsewhere (`COMPLETE` → Complete,
/// `create_failed` → Create failed); a value no choice list has, as it is.
pub fn choice_label(v: &str) -> String {
    use crate::domain::state::*;
    let up = v.to_ascii_uppercase();
    QueueState::parse(v)
        .map(QueueState::label)
        .or_else(|| IntegrationState::parse(v).map(IntegrationState::label))
        .or_else(|| ExecState::parse(v).or_else(|| ExecState::parse(&up)).map(ExecState::label))
        .or_else(|| WorkOrderState::parse(v).map(WorkOrderState::label))
        .or_else(|| SyncStatus::parse(v).map(SyncStatus::label))
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

fn tail(v: &[u64], n: u16) -> &[u64] {
    &v[v.len().saturating_sub(n as usize)..]
}
