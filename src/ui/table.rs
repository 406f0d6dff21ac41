//! A list view: the rows of the window that fall in the viewport, with states as symbol
//! plus word, times relative, references by their display value.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};
use unicode_width::UnicodeWidthStr;

use super::{Column, Theme, columns};
use crate::app::App;
use crate::client::Record;
use crate::domain::Entity;
use crate::domain::state::QueueState;

/// A cell's text and style.
pub type Styled = (String, Style);

/// The text and style of one cell.
pub fn cell(t: &Theme, e: Entity, field: &str, r: &Record, now: chrono::DateTime<chrono::Utc>) -> Styled {
    let v = r.get(field);
    if Some(field) == e.state_field()
        || matches!(field, "state" | "status" | "integration_state" | "outbound_state" | "inbound_state")
    {
        let (sym, style) = t.state(v);
        return (format!("{sym} {}", r.show(field)), style);
    }
    // Only an entry in error waits for a next attempt; a skipped or processed one does not.
    if field == "next_attempt" && e.is_queue() && r.get("state") != QueueState::Error.as_str() {
        return (String::new(), t.muted);
    }
    if e.desc().time_fields.contains(&field) {
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
        return (attempts(v, r.get("max_attempts")), t.text);
    }
    let style = if matches!(field, "last_error" | "error" | "error_message") { t.error } else { t.text };
    (r.show(field).to_string(), style)
}

/// Tries of a queue entry as the record counts them, with the queue's limit beside them:
/// "7 (limit 3)". The record keeps one counter for every pass the queue made, whoever set
/// it going, so nothing here says who made them. (The limit is how many times the queue
/// processes an entry on its own before leaving it in error: Remote Process Sync's
/// `glide.hub.process.sync.retry.times`,
/// integration-hub-remote-process-sync/remote-process-sync-system-properties.md.)
pub fn attempts(n: &str, max: &str) -> String {
    match max.is_empty() || n.is_empty() {
        true => n.to_string(),
        false => format!("{n} (limit {max})"),
    }
}

/// The same in words, for where there is room (a detail): "7 tries so far; the queue's
/// automatic limit is 3".
pub fn attempts_words(n: &str, max: &str) -> String {
    let n = if n.is_empty() { "0" } else { n };
    let tries = if n == "1" { "try" } else { "tries" };
    match max.is_empty() {
        true => format!("{n} {tries} so far"),
        false => format!("{n} {tries} so far; the queue's automatic limit is {max}"),
    }
}

/// What the TRIES column means, beneath a list that shows it: the limit of the rows on
/// screen (one, or the range when they differ).
fn tries_legend(limits: &[u32]) -> Option<String> {
    let (lo, hi) = (limits.iter().min()?, limits.iter().max()?);
    let limit = match lo == hi {
        true => format!("the queue's automatic limit is {lo}"),
        false => format!("the queue's automatic limits are {lo}–{hi}"),
    };
    Some(format!(" TRIES = tries so far; {limit} "))
}

pub fn fmt_ms(ms: u64) -> String {
    match ms {
        m if m < 1000 => format!("{m}ms"),
        m if m < 60_000 => format!("{:.1}s", m as f64 / 1000.0),
        m => format!("{}m{}s", m / 60_000, (m % 60_000) / 1000),
    }
}

/// The indexes of the columns that fit `avail`, each fixed column counted at its
/// nominal width or its widest value if narrower: the lowest `keep` goes first (the
/// rightmost among equals), never the flexible column nor the last two.
pub fn choose(cols: &[Column], need: &[u16], avail: u16) -> Vec<usize> {
    let width = |i: usize| match cols[i].width {
        Constraint::Length(n) => n.min(need[i].max(cols[i].title.width() as u16)),
        Constraint::Min(n) => n,
        _ => 8,
    };
    let mut kept: Vec<usize> = (0..cols.len()).collect();
    while kept.len() > 2 && kept.iter().map(|&i| width(i) + 1).sum::<u16>() > avail + 1 {
        let fixed = kept.iter().enumerate().filter(|(_, i)| matches!(cols[**i].width, Constraint::Length(_)));
        let Some((pos, _)) = fixed.min_by_key(|(pos, i)| (cols[**i].keep, std::cmp::Reverse(*pos))) else { break };
        kept.remove(pos);
    }
    kept
}

/// The display width of the widest value of each of `n` columns.
fn widest<'a>(n: usize, rows: impl Iterator<Item = &'a [Styled]>) -> Vec<u16> {
    let mut w = vec![0u16; n];
    for r in rows {
        for (w, (text, _)) in w.iter_mut().zip(r) {
            *w = (*w).max(super::fit::width(text).min(usize::from(u16::MAX)) as u16);
        }
    }
    w
}

/// Fits rows of cells (one per column of `all`) to `avail`: chooses the columns,
/// keeps only their cells, and sizes them to what they hold.
pub fn fit_cells(all: &[Column], mut rows: Vec<&mut Vec<Styled>>, avail: u16) -> (Vec<Column>, Vec<Constraint>) {
    let widest = widest(all.len(), rows.iter().map(|r| r.as_slice()));
    let kept = choose(all, &widest, avail);
    for c in &mut rows {
        **c = kept.iter().map(|&k| std::mem::take(&mut c[k])).collect();
    }
    let cols: Vec<Column> = kept.iter().map(|&i| all[i]).collect();
    let widths = content_widths(&cols, &kept.iter().map(|&i| widest[i]).collect::<Vec<_>>(), avail);
    // What does not fit its column says so (`…`), never stops mid-word.
    for c in &mut rows {
        for ((text, _), w) in c.iter_mut().zip(&widths) {
            if let Constraint::Length(w) = w {
                *text = super::fit::fit(text, usize::from(*w)).into_owned();
            }
        }
    }
    (cols, widths)
}

/// The widest a fixed column grows to show its longest visible value.
const GROW_CAP: u16 = 40;

/// Column widths for the visible rows, as k9s does: each fixed column shrinks to its
/// widest value (never below its title), then, while room is left, grows up to
/// [`GROW_CAP`] to show values its nominal width would cut; the flexible column (the
/// error or message) takes the rest.
pub fn content_widths(cols: &[Column], widest: &[u16], avail: u16) -> Vec<Constraint> {
    let need: Vec<u16> = cols.iter().zip(widest).map(|(c, &w)| w.max(c.title.width() as u16)).collect();
    let nominal = |c: &Column| match c.width {
        Constraint::Length(n) => Some(n),
        _ => None,
    };
    let flex = cols.iter().position(|c| nominal(c).is_none());
    let flex_min = flex.map_or(0, |i| match cols[i].width {
        Constraint::Min(n) => n,
        _ => 8,
    });
    let mut w: Vec<u16> = cols.iter().zip(&need).map(|(c, &n)| nominal(c).map_or(0, |len| n.min(len))).collect();
    let spacing = cols.len().saturating_sub(1) as u16;
    let used = |w: &[u16]| w.iter().sum::<u16>() + spacing + flex_min;
    for i in 0..cols.len() {
        let Some(len) = nominal(&cols[i]) else { continue };
        let spare = avail.saturating_sub(used(&w));
        let want = need[i].min(GROW_CAP.max(len));
        w[i] += want.saturating_sub(w[i]).min(spare);
    }
    if let Some(i) = flex {
        w[i] = avail.saturating_sub(used(&w) - flex_min).max(flex_min);
    }
    w.into_iter().map(Constraint::Length).collect()
}

/// The Providers list's columns computed from the recent sync history, as the overview
/// shows them: health, share of syncs that succeeded, entries in error (described in
/// `domain::records::provider::COMPUTED`, where the filter and sort prompts read them).
use crate::domain::records::provider::{COMPUTED, COMPUTED_AT, HEALTH, OK_RATE};

fn computed(app: &App, t: &Theme, field: &str, r: &Record) -> Option<Styled> {
    if !field.starts_with('~') {
        return None;
    }
    let Some(h) = app.overview.health.iter().find(|h| h.provider_id == r.sys_id()) else {
        return Some(("–".into(), t.muted));
    };
    Some(match field {
        HEALTH => (format!("{} {}", h.health.tone().symbol(), h.health.label()), t.tone(h.health.tone())),
        OK_RATE => match h.success_rate() {
            Some(x) => (
                format!("{:.0}%", x * 100.0),
                if x < 0.5 {
                    t.error
                } else if x < 0.9 {
                    t.warn
                } else {
                    t.ok
                },
            ),
            None => ("–".into(), t.muted),
        },
        _ => (h.errors.to_string(), if h.errors > 0 { t.error } else { t.muted }),
    })
}

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect, e: Entity) {
    let Some(l) = app.lists.get(&e) else { return };
    let mut all = columns(e);
    if e == Entity::Providers {
        let at = all.len().min(COMPUTED_AT);
        let n = |w| match w {
            crate::domain::Width::Fixed(n) => Constraint::Length(n),
            crate::domain::Width::Fill(n) => Constraint::Min(n),
        };
        let computed =
            COMPUTED.iter().map(|k| Column { field: k.field, title: k.title, width: n(k.width), keep: k.keep });
        all.splice(at..at, computed);
    }
    let avail = area.width.saturating_sub(2);
    let total = match (l.total, l.quick_filter.is_empty()) {
        (_, false) => format!("{} of {} loaded match \"{}\"", l.len(), l.rows.len(), l.quick_filter),
        (Some(n), true) => format!("{n}"),
        (None, true) => "…".into(),
    };
    let pos = if l.is_empty() { String::new() } else { format!(" · {}/{}", l.selected + 1, l.len()) };
    // The sort named as its column is headed.
    let sort = l
        .sort
        .as_ref()
        .map(|o| {
            let title = all.iter().find(|c| c.field == o.field).map_or(o.field.as_str(), |c| c.title);
            format!(" · by {title} {}", if o.desc { "↓" } else { "↑" })
        })
        .unwrap_or_default();
    let mut title = vec![
        Span::styled(format!(" {} ", e.label()), t.title),
        Span::styled(format!("[{total}]{pos}{sort} "), t.muted),
    ];
    if l.in_flight {
        title.push(Span::styled("⟳ ", t.running));
    }
    let vp = app.viewport();
    // The cells of the visible rows first, so the columns can be sized to them.
    let mut lines: Vec<(usize, Option<Vec<Styled>>)> = Vec::new();
    for abs in l.scroll..(l.scroll + vp).min(l.len()) {
        let Some(r) = l.row_at(abs) else {
            lines.push((abs, None));
            continue;
        };
        let marked = l.marks.contains_key(r.sys_id());
        let pending = l.pending.get(r.sys_id());
        let cells = all
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (mut text, mut style) =
                    computed(app, t, c.field, r).unwrap_or_else(|| cell(t, e, c.field, r, app.now));
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
                (text, style)
            })
            .collect();
        lines.push((abs, Some(cells)));
    }
    let (cols, widths) = fit_cells(&all, lines.iter_mut().filter_map(|(_, c)| c.as_mut()).collect(), avail);
    // TRIES too narrow for "7 (limit 3)": the count alone in every row, never a cut
    // "7 (l…" (the legend beneath names the limit).
    if let Some(at) = cols.iter().position(|c| c.field == "attempts") {
        let cut = lines.iter().filter_map(|(_, c)| c.as_ref()).any(|c| c[at].0.ends_with(super::fit::MORE));
        let w = match widths.get(at) {
            Some(Constraint::Length(w)) => usize::from(*w),
            _ => usize::MAX,
        };
        if cut {
            for (abs, cells) in &mut lines {
                if let (Some(c), Some(r)) = (cells.as_mut(), l.row_at(*abs)) {
                    c[at].0 = super::fit::fit(r.get("attempts"), w).into_owned();
                }
            }
        }
    }
    // Columns a narrow screen leaves out are named in the title (the detail has them).
    let hidden: Vec<&str> = all.iter().filter(|c| !cols.iter().any(|k| k.field == c.field)).map(|c| c.title).collect();
    if !hidden.is_empty() {
        title.push(Span::styled(format!("· not shown: {} ", hidden.join(", ")), t.muted));
    }
    // Rows beyond the viewport are counted on its borders: newer/older in the default
    // order (newest first), above/below in any other.
    let shown_to = (l.scroll + vp).min(l.len());
    let (up, down) = if l.default_order() { ("newer", "older") } else { ("above", "below") };
    let above = (l.scroll > 0).then(|| Span::styled(format!(" ↑ {} {up} ", l.scroll), t.warn));
    let below = (l.len() > shown_to).then(|| Span::styled(format!(" ↓ {} {down} ", l.len() - shown_to), t.warn));
    // The left title takes what the count on the right leaves, so it never covers it.
    let room = |right: &Option<Span>| area.width.saturating_sub(right.as_ref().map_or(0, |s| s.width() as u16 + 1));
    let mut block =
        Block::default().borders(Borders::ALL).border_style(t.border).title(super::fit::title(title, room(&above)));
    if let Some(a) = above {
        block = block.title(Line::from(a).right_aligned());
    }
    let header = Row::new(cols.iter().map(|c| Cell::from(c.title))).style(t.header);
    let rows: Vec<Row> = lines
        .into_iter()
        .map(|(abs, cells)| {
            let Some(cells) = cells else {
                return Row::new(vec![Cell::from(Span::styled("  loading…", t.muted))]);
            };
            let row = Row::new(cells.into_iter().map(|(text, style)| Cell::from(Span::styled(text, style))));
            if abs == l.selected { row.style(t.selected) } else { row }
        })
        .collect();
    // What TRIES counts, beneath the list whenever it shows (the limits of the rows on
    // screen), after the count of rows below.
    let limits: Vec<u32> = match cols.iter().any(|c| c.field == "attempts") {
        true => (l.scroll..shown_to).filter_map(|i| l.row_at(i)?.get("max_attempts").parse().ok()).collect(),
        false => Vec::new(),
    };
    let below_w = below.as_ref().map_or(0, |s| s.width() as u16 + 1);
    if let Some(b) = below {
        block = block.title_bottom(Line::from(b));
    }
    if let Some(text) = tries_legend(&limits) {
        let legend = super::fit::title(Span::styled(text, t.muted), area.width.saturating_sub(below_w));
        block = block.title_bottom(legend.right_aligned());
    }
    let empty = rows.is_empty();
    let table = Table::new(rows, widths).header(header).block(block).column_spacing(1);
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
        let msg = super::fit::fit(&msg, usize::from(inner.width)).into_owned();
        f.render_widget(ratatui::widgets::Paragraph::new(Span::styled(msg, t.muted)), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_are_the_count_beside_the_limit_and_name_no_one() {
        assert_eq!(attempts("2", "3"), "2 (limit 3)");
        assert_eq!(attempts("7", "3"), "7 (limit 3)");
        assert_eq!(attempts("1", ""), "1");
        assert_eq!(attempts_words("7", "3"), "7 tries so far; the queue's automatic limit is 3");
        assert_eq!(attempts_words("1", ""), "1 try so far");
        assert_eq!(tries_legend(&[3, 3]).unwrap(), " TRIES = tries so far; the queue's automatic limit is 3 ");
        assert_eq!(tries_legend(&[3, 5]).unwrap(), " TRIES = tries so far; the queue's automatic limits are 3–5 ");
        assert_eq!(tries_legend(&[]), None);
    }
    use crate::client::Entity;

    #[test]
    fn chosen_columns_always_fit_and_the_flexible_one_stays() {
        for e in [Entity::Providers, Entity::WorkOrders, Entity::Outbound, Entity::Inbound, Entity::Executions] {
            let cols = columns(e);
            for widest in
                [vec![0u16; cols.len()], vec![5; cols.len()], vec![60; cols.len()], vec![u16::MAX; cols.len()]]
            {
                for avail in 58..=240u16 {
                    let kept = choose(&cols, &widest, avail);
                    assert!(kept.iter().any(|&i| !matches!(cols[i].width, Constraint::Length(_))), "{e:?} {avail}");
                    let sub: Vec<Column> = kept.iter().map(|&i| cols[i]).collect();
                    let w = content_widths(&sub, &kept.iter().map(|&i| widest[i]).collect::<Vec<_>>(), avail);
                    let total: u16 = w.iter().map(|c| if let Constraint::Length(n) = c { *n } else { 0 }).sum();
                    assert!(total + sub.len() as u16 - 1 <= avail, "{e:?} at {avail}: {total}");
                }
            }
        }
    }

    #[test]
    fn fixed_columns_shrink_to_their_values_and_grow_to_show_them() {
        let cols = columns(Entity::Outbound);
        let mut widest = vec![4u16; cols.len()];
        let provider = cols.iter().position(|c| c.field == "provider").unwrap();
        widest[provider] = 26;
        let w = content_widths(&cols, &widest, 200);
        assert_eq!(w[provider], Constraint::Length(26), "grows past its nominal 18");
        assert_eq!(w[0], Constraint::Length(6), "NUMBER shrinks to its title");
    }
}
