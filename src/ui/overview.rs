//! The overview: counts by state, sparklines, provider health, top error groups.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table};

use super::table::{Styled, fit_cells, fmt_ms};
use super::{Column, Theme, fit};
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
    // Counts by state: every state (a table may take a second line when the screen is
    // tall enough), or the ones that fit and a count of the rest.
    let room = usize::from(area.width.saturating_sub(2));
    let max_lines = if area.height >= 18 { 2 } else { 1 };
    let table_lines: Vec<Vec<Line>> =
        d.counts.iter().map(|(label, states)| count_lines(t, label, states, room, max_lines)).collect();
    let counts_h = table_lines.iter().map(Vec::len).sum::<usize>() as u16 + 2;
    let [counts, sparks, rest] =
        Layout::vertical([Constraint::Length(counts_h), Constraint::Length(3), Constraint::Min(4)]).areas(area);
    // A count the instance refused says so on its own line (the others stay).
    let mut table_lines = table_lines;
    for (panel, i, why) in &d.failed {
        if *panel == "counts" {
            let label = d.counts.get(*i).map(|(l, _)| *l).unwrap_or("counts");
            if let Some(lines) = table_lines.get_mut(*i) {
                *lines = vec![fit::fit_line(
                    Line::from(vec![
                        Span::styled(format!("{label:<12}"), t.header),
                        Span::styled(format!("{:>8}  ✖ {why}", "?"), t.error),
                    ]),
                    room,
                )];
            }
        }
    }
    let lines: Vec<Line> = table_lines.into_iter().flatten().collect();
    let title = fit::title(
        vec![Span::styled(" Counts by state ", t.title), Span::styled("(Aggregate API) ", t.muted)],
        counts.width,
    );
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).border_style(t.border).title(title)),
        counts,
    );
    // Sparklines: one sample per poll (the overview keeps the last ones), titled with how
    // many polls they span and their range, so a flat line reads as a steady trend.
    let [s1, s2] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(sparks);
    let spark = |f: &mut Frame, name: &str, all: &std::collections::VecDeque<u64>, style, area: Rect| {
        let data: Vec<u64> = all.iter().copied().collect();
        let shown = tail(&data, area.width.saturating_sub(2));
        let last = shown.last().copied().unwrap_or(0);
        let mut title = vec![Span::styled(format!(" {name} {last} "), t.title)];
        if let (Some(lo), Some(hi)) = (shown.iter().min(), shown.iter().max()) {
            let text = match (shown.len(), lo == hi) {
                (1, _) => "· 1 poll so far ".to_string(),
                (n, true) => format!("· last {n} polls, {lo} "),
                (n, false) => format!("· last {n} polls, {lo}–{hi} "),
            };
            title.push(Span::styled(text, t.muted));
        }
        let block = Block::default().borders(Borders::ALL).border_style(t.border).title(fit::title(title, area.width));
        f.render_widget(Sparkline::default().block(block).data(shown).style(style), area);
    };
    spark(f, "Queue depth", &o.depth, t.accent, s1);
    spark(f, "In error", &o.failures, t.error, s2);
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
                // The label the Providers view shows for the same value (`Ready`, not `ready`).
                (format!("{sym} {}", crate::domain::entity::choice_label(&h.outbound_state)), style),
                (rate, rate_style),
                (h.p50_ms.map(fmt_ms).unwrap_or_else(|| "–".into()), t.text),
                (h.p95_ms.map(fmt_ms).unwrap_or_else(|| "–".into()), t.text),
                (h.queued.to_string(), t.text),
                (h.errors.to_string(), if h.errors > 0 { t.error } else { t.muted }),
                (h.last_error.clone(), t.error),
            ]
        })
        .collect();
    let broken: Vec<&str> = d.errors_of("providers").into_iter().chain(d.errors_of("sync history")).collect();
    // When the panel has rows to spare (a tall screen), the last errors go beneath the
    // table, each on a line of the panel's whole width, rather than in a narrow column.
    let errors: Vec<(&str, &str)> = o
        .health
        .iter()
        .filter(|h| !h.last_error.is_empty())
        .map(|h| (h.title.as_str(), h.last_error.as_str()))
        .collect();
    let broken_rows = if broken.is_empty() { 0 } else { broken.len() + usize::from(!o.health.is_empty()) };
    let table_rows = 1 + o.health.len();
    let beneath =
        !errors.is_empty() && usize::from(prov.height.saturating_sub(2)) >= broken_rows + table_rows + 2 + errors.len();
    let all: Vec<Column> = all.into_iter().filter(|c| !(beneath && c.title == "LAST ERROR")).collect();
    if beneath {
        for r in &mut cells {
            r.pop();
        }
    }
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
    // And which columns the width leaves out.
    let hidden: Vec<&str> = all.iter().filter(|c| !cols.iter().any(|k| k.title == c.title)).map(|c| c.title).collect();
    if !hidden.is_empty() {
        title.push(Span::styled(format!("· not shown: {} ", hidden.join(", ")), t.muted));
    }
    let block = Block::default().borders(Borders::ALL).border_style(t.border).title(fit::title(title, prov.width));
    if broken.is_empty() && !beneath {
        f.render_widget(Table::new(rows, widths).header(header).block(block), prov);
    } else {
        let mut lines: Vec<Line> = broken.iter().map(|w| Line::from(Span::styled(format!("✖ {w}"), t.error))).collect();
        if !broken.is_empty() && !o.health.is_empty() {
            lines.push(Line::from(Span::styled("(health below is from what could be read)", t.muted)));
        }
        let inner = block.inner(prov);
        f.render_widget(block, prov);
        let n = (lines.len() as u16).min(inner.height);
        let [top, rest] = Layout::vertical([Constraint::Length(n), Constraint::Min(0)]).areas(inner);
        f.render_widget(Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }), top);
        let [table, under] =
            Layout::vertical([Constraint::Length(table_rows as u16 + 1), Constraint::Min(0)]).areas(rest);
        f.render_widget(Table::new(rows, widths).header(header), table);
        if beneath {
            let w = usize::from(under.width);
            let name_w = errors.iter().map(|(n, _)| fit::width(n)).max().unwrap_or(0).min(22);
            let mut lines = vec![Line::from(Span::styled("LAST ERROR", t.header))];
            lines.extend(errors.iter().map(|(name, err)| {
                let name = fit::pad(name, name_w);
                let err = fit::fit(err, w.saturating_sub(name_w + 2)).into_owned();
                Line::from(vec![Span::styled(format!("{name}  "), t.text), Span::styled(err, t.error)])
            }));
            f.render_widget(Paragraph::new(lines), under);
        }
    }
    // Top error groups.
    // The message takes what the count (6) and the gap (1) leave inside the borders.
    let label_w = usize::from(groups.width.saturating_sub(2 + 6 + 1));
    let rows: Vec<Row> = o
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let row = Row::new(vec![
                Cell::from(Span::styled(format!("{:>5}", g.count), t.error)),
                Cell::from(fit::fit(g.label(), label_w).into_owned()),
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
    let block = Block::default().borders(Borders::ALL).border_style(t.border).title(fit::title(title, groups.width));
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

/// One table's counts in `room` columns, on at most `max_lines` lines: its total, then
/// each state with its count. When they do not all fit, the line first loses spacing,
/// then wraps (up to `max_lines`), then drops the states that matter least (never one in
/// error before the others; the smallest first) and counts them as "+N more (n)", so the
/// numbers on screen always add up to the total.
fn count_lines<'a>(t: &Theme, label: &str, states: &[(String, u64)], room: usize, max_lines: usize) -> Vec<Line<'a>> {
    use crate::domain::state::{Tone, tone_of};
    let total: u64 = states.iter().map(|(_, n)| n).sum();
    let items: Vec<Span<'a>> = states
        .iter()
        .map(|(s, n)| {
            let (sym, style) = t.state(s);
            Span::styled(format!("{sym} {} {n}", choice_label(s)), style)
        })
        .collect();
    let w = |s: &Span| fit::width(&s.content);
    // Packs the kept items after `head` with `gap` between them, a new line (indented
    // under the first item) where one would run past the edge; `None` if that takes more
    // than `lines` lines.
    let pack = |head: &str, gap: &str, keep: &[bool], more: Option<String>, lines: usize| -> Option<Vec<Line<'a>>> {
        let indent = " ".repeat(fit::width(head));
        let mut out: Vec<Vec<Span<'a>>> = vec![vec![Span::styled(head.to_string(), t.header)]];
        let mut used = fit::width(head);
        let mut first = true;
        let tail = more.map(|m| Span::styled(m, t.warn));
        let kept = items.iter().zip(keep).filter(|(_, k)| **k).map(|(i, _)| i.clone());
        for item in kept.chain(tail) {
            let need = w(&item) + if first { 0 } else { gap.len() };
            if used + need > room && !first {
                out.push(vec![Span::raw(indent.clone())]);
                used = indent.len();
            } else if !first {
                out.last_mut().expect("a line").push(Span::raw(gap.to_string()));
                used += gap.len();
            }
            used += w(&item);
            out.last_mut().expect("a line").push(item);
            first = false;
        }
        let fits = out.len() <= lines && out.iter().all(|l| l.iter().map(w).sum::<usize>() <= room);
        fits.then(|| out.into_iter().map(Line::from).collect())
    };
    let roomy = format!("{label:<12}{total:>8}  ");
    let tight = format!("{label} {total}  ");
    let all = vec![true; items.len()];
    for lines in 1..=max_lines.max(1) {
        for (head, gap) in [(&roomy, "   "), (&roomy, "  "), (&tight, "  "), (&tight, " ")] {
            if let Some(out) = pack(head, gap, &all, None, lines) {
                return out;
            }
        }
    }
    // Drop the least needed first: not in error before in error, the smallest first.
    let mut order: Vec<usize> = (0..states.len()).collect();
    order.sort_by_key(|&i| (tone_of(&states[i].0) == Tone::Failed, states[i].1));
    let mut keep = all;
    let mut hidden = (0usize, 0u64);
    for i in order {
        keep[i] = false;
        hidden = (hidden.0 + 1, hidden.1 + states[i].1);
        let more = Some(format!("+{} more ({})", hidden.0, hidden.1));
        if let Some(out) = pack(&tight, " ", &keep, more, max_lines.max(1)) {
            return out;
        }
    }
    vec![fit::fit_line(
        Line::from(vec![
            Span::styled(tight, t.header),
            Span::styled(format!("+{} more ({total})", states.len()), t.warn),
        ]),
        room,
    )]
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
