//! A record's detail: its fields, the execution behind it (steps in order, the
//! selected step's error, response code, message, request and response), and the
//! related records one Enter away.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use serde_json::Value;

use super::table::{Styled, cell, fit_cells, fmt_ms};
use super::{Theme, columns, kv};
use crate::app::App;
use crate::app::detail::{DetailState, ExecView, Focus, Related};
use crate::app::keys::{Action, Layer};
use crate::client::actions::Step;
use crate::domain::Entity;
use crate::domain::state::StepState;

/// A pane's frame `outer` columns wide, its title cut to fit with a sign.
fn block<'a>(t: &Theme, title: impl Into<Line<'a>>, focused: bool, outer: u16) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { t.accent } else { t.border })
        .title(super::fit::title(title, outer))
}

/// `key: value` lines for a JSON value, nested keys joined with dots.
pub fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, x, out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect, d: &DetailState) {
    let Some(data) = &d.data else {
        let msg = match &d.error {
            Some(e) => format!("could not load: {e}"),
            None => "loading…".into(),
        };
        f.render_widget(
            Paragraph::new(Span::styled(msg, t.muted)).block(block(t, format!(" {} ", d.title), false, area.width)),
            area,
        );
        return;
    };
    let has_exec = matches!(data.exec, Some(ExecView::Loaded(_)) | Some(ExecView::NotInstalled(..)));
    // An execution the instance refused: its error line in a pane of its own, the fields
    // keep the rest.
    let exec_failed = match &data.exec {
        Some(ExecView::Failed(why)) => Some(why.as_str()),
        _ => None,
    };
    // Related panes as tall as their longest list (plus borders), within limits.
    // Side by side, each pane takes an equal share of the width.
    let share = area.width / (data.related.len().max(1) as u16);
    let longest = data.related.iter().map(|r| pane_rows(r, share)).max();
    let related_h = |cap: usize| longest.map_or(0, |n| (n.max(1) + 2).min(cap) as u16);
    let wide = area.width >= 120;
    if wide {
        // The related lists across the whole width below (each as wide as it can be),
        // the record and its execution side by side above.
        // One above the other, each the whole width, when they take no more than a third
        // of the height so; else side by side.
        let each: Vec<u16> = data.related.iter().map(|r| (pane_rows(r, area.width) + 2).min(10) as u16).collect();
        let stacked = each.iter().sum::<u16>() <= area.height / 3;
        let h = if stacked { each.iter().sum() } else { related_h(14) };
        let [top, related] = Layout::vertical([Constraint::Min(8), Constraint::Length(h)]).areas(area);
        let [left, right] = Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)]).areas(top);
        draw_fields(f, app, t, left, d, !has_exec);
        draw_related(f, app, t, related, d, stacked.then_some(each.as_slice()));
        if has_exec {
            draw_exec(f, app, t, right, d);
        } else if let Some(why) = exec_failed {
            let [err, rest] =
                Layout::vertical([Constraint::Length(failed_h(why, right.width)), Constraint::Min(0)]).areas(right);
            draw_failed(f, t, err, " Execution ".into(), why);
            draw_json_fields(f, t, rest, d);
        } else {
            draw_json_fields(f, t, right, d);
        }
    } else {
        let related_h = related_h(7);
        let failed_h = exec_failed.map_or(0, |why| failed_h(why, area.width));
        let fields_h = if has_exec { 5 } else { area.height.saturating_sub(related_h + failed_h) };
        let [fields, exec, related] = Layout::vertical([
            Constraint::Length(fields_h),
            Constraint::Min(if has_exec { 8 } else { failed_h }),
            Constraint::Length(related_h),
        ])
        .areas(area);
        draw_fields(f, app, t, fields, d, !has_exec);
        if has_exec {
            draw_exec(f, app, t, exec, d);
        } else if let Some(why) = exec_failed {
            draw_failed(f, t, exec, " Execution ".into(), why);
        }
        draw_related(f, app, t, related, d, None);
    }
}

/// Lines a related pane `outer` columns wide asks for: its rows, or its error line
/// (wrapped in a narrow pane).
fn pane_rows(r: &Related, outer: u16) -> usize {
    match &r.error {
        Some(why) => usize::from(failed_h(why, outer) - 2),
        None => r.rows.len().max(1),
    }
}

/// The height of a pane showing `why` wrapped in `outer` columns (borders included).
fn failed_h(why: &str, outer: u16) -> u16 {
    let room = usize::from(outer.saturating_sub(2)).max(1);
    (super::fit::width(why) + 2).div_ceil(room).clamp(1, 3) as u16 + 2
}

/// A pane whose request the instance refused: its title and its error line, wrapped (cut
/// with a sign where the pane is too small), while the rest of the detail stands.
fn draw_failed(f: &mut Frame, t: &Theme, area: Rect, title: Line, why: &str) {
    let room = usize::from(area.width.saturating_sub(2)).max(1);
    let rows = usize::from(area.height.saturating_sub(2)).max(1);
    let mut lines = kv::wrap(&format!("✖ {why}"), room);
    if lines.len() > rows {
        let cut = format!("{} {}", lines[rows - 1], lines[rows]);
        lines.truncate(rows);
        lines[rows - 1] = super::fit::fit(&cut, room).into_owned();
    }
    let lines: Vec<Line> = lines.into_iter().map(|l| Line::from(Span::styled(l, t.error))).collect();
    f.render_widget(Paragraph::new(lines).block(block(t, title, false, area.width)), area);
}

fn draw_fields(f: &mut Frame, app: &App, t: &Theme, area: Rect, d: &DetailState, inspect: bool) {
    let Some(data) = &d.data else { return };
    let r = &data.record;
    // What matters first: the state, an error if there is one, the tries; then the
    // list's columns (less the one the title already names), then everything else.
    let title_field = d.entity.title_field();
    let mut first: Vec<&str> = d.entity.state_field().into_iter().collect();
    first.extend(["last_error", "error_message", "error"].into_iter().filter(|k| !r.get(k).is_empty()));
    first.extend(["attempts", "next_attempt"].into_iter().filter(|k| r.fields.contains_key(*k)));
    for c in columns(d.entity) {
        if c.field != title_field && !first.contains(&c.field) {
            first.push(c.field);
        }
    }
    let mut names: Vec<&str> = first.clone();
    names.extend(r.fields.keys().map(String::as_str).filter(|k| !first.contains(k)));
    let fields: Vec<kv::Field> = names
        .iter()
        .map(|k| {
            let (mut v, style) = cell(t, d.entity, k, r, app.now);
            if *k == "attempts" && !r.get("max_attempts").is_empty() {
                // In words: "3/3+1" is for the narrow list column.
                v = super::table::attempts_words(r.get(k), r.get("max_attempts"));
            }
            if matches!(*k, "sys_updated_on" | "sys_created_on" | "started" | "ended" | "next_attempt")
                && !r.get(k).is_empty()
            {
                // The time as stored, and its age beside it (never the date twice).
                v = format!("{} ({})", r.get(k), crate::time::ago(r.get(k), app.now));
            }
            (k.to_string(), v, style)
        })
        .collect();
    let title = Line::from(vec![Span::styled(format!(" {} {} ", d.entity.label_one(), d.title), t.title)]);
    let lines = kv::lines(&fields, t.muted, area.width.saturating_sub(2));
    let total = lines.len() as u16;
    let shown = area.height.saturating_sub(2);
    // Alone, the fields are the inspect pane; beside an execution they scroll on their
    // own once Tab has reached them.
    let (scroll, focused) = if inspect {
        (scrolled(d, &lines, area), false)
    } else {
        let max = total.saturating_sub(shown);
        d.fields_max.set(max);
        d.fields_page.set(shown);
        (d.fields_scroll.min(max), d.focus == Focus::Fields)
    };
    // What is below the fold says so, with the keys that reach it (from the keymap).
    let below = total.saturating_sub(scroll + shown);
    let key = |a: Action| app.keymap.key_in(Layer::Detail, a).unwrap_or_default();
    let more = match below {
        0 => String::new(),
        n if inspect || focused => format!("↓ {n} more lines, {} ", key(Action::PageDown)),
        n => format!("↓ {n} more lines, {} then {} ", key(Action::NextFocus), key(Action::PageDown)),
    };
    let block = block(t, title, focused, area.width)
        .title_bottom(super::fit::title(Span::styled(more, t.warn), area.width).right_aligned());
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(block), area);
}

/// The inspect pane's scroll for this frame, clamped to its content; records how far
/// it can go so the page keys stop at the end.
fn scrolled(d: &DetailState, lines: &[Line], area: Rect) -> u16 {
    let shown = area.height.saturating_sub(2);
    let max = (lines.len() as u16).saturating_sub(shown);
    d.scroll_max.set(max);
    d.scroll_page.set(shown);
    d.scroll.min(max)
}

fn draw_json_fields(f: &mut Frame, t: &Theme, area: Rect, d: &DetailState) {
    let Some(data) = &d.data else { return };
    // JSON-valued fields (mappings, payloads) pretty-printed.
    let mut lines = Vec::new();
    for (k, v) in &data.record.fields {
        if let Ok(j @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str::<Value>(&v.value) {
            lines.push(Line::from(Span::styled(k.clone(), t.header)));
            let mut kv = Vec::new();
            flatten("", &j, &mut kv);
            for (a, b) in kv {
                lines.push(Line::from(vec![Span::styled(format!("  {a:<20}"), t.muted), Span::raw(b)]));
            }
        }
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled("no execution behind this record", t.muted)));
    }
    f.render_widget(
        Paragraph::new(lines).block(block(t, " Mappings and payloads ", false, area.width)).wrap(Wrap { trim: false }),
        area,
    );
}

/// A title whose `head` (a name) gives way, cut with a sign, to the `tail` that says
/// how it stands (state, time, what is not shown), in a frame `outer` columns wide.
fn title_with_tail<'a>(head: String, head_style: Style, tail: Vec<Span<'a>>, outer: u16) -> Line<'a> {
    let room = usize::from(outer.saturating_sub(2));
    let tail_w: usize = tail.iter().map(|s| super::fit::width(&s.content)).sum();
    let head = super::fit::fit(&head, room.saturating_sub(tail_w).max(2)).into_owned();
    let mut spans = vec![Span::styled(head, head_style)];
    spans.extend(tail);
    super::fit::fit_line(Line::from(spans), room)
}

fn step_line<'a>(t: &Theme, s: &'a Step, selected: bool, name_w: usize) -> Row<'a> {
    let (sym, style) = t.state(&s.state);
    let row = Row::new(vec![
        Cell::from(format!("{:>2}", s.order)),
        Cell::from(Span::styled(format!("{sym} {}", s.state), style)),
        Cell::from(super::fit::fit(&s.name, name_w)),
        Cell::from(fmt_ms(s.duration_ms)),
    ]);
    if selected { row.style(t.selected) } else { row }
}

fn draw_exec(f: &mut Frame, app: &App, t: &Theme, area: Rect, d: &DetailState) {
    let Some(data) = &d.data else { return };
    match &data.exec {
        Some(ExecView::NotInstalled(exec, log)) => {
            let (sym, style) = t.state(exec.get("state"));
            let mut lines = vec![
                Line::from(vec![
                    Span::styled("Execution ", t.header),
                    Span::raw(exec.show("name").to_string()),
                    Span::raw("  "),
                    Span::styled(format!("{sym} {}", super::overview::choice_label(exec.get("state"))), style),
                ]),
                Line::from(format!(
                    "started {}   ended {}   run time {} ms",
                    exec.get("started"),
                    exec.get("ended"),
                    exec.get("run_time")
                )),
                Line::from(format!("flow {}   record {}", exec.show("flow"), exec.show("source_record"))),
            ];
            if !exec.get("error_message").is_empty() {
                lines.push(Line::from(Span::styled(format!("error {}", exec.get("error_message")), t.warn)));
            }
            lines.push(Line::from(""));
            if log.is_empty() {
                lines.push(Line::from("No flow log lines readable (sys_flow_log)."));
            } else {
                lines.push(Line::from(Span::styled("Flow log", t.header)));
                for l in log {
                    lines.push(Line::from(format!(
                        "{} {:<5} {}",
                        l.get("sys_created_on"),
                        l.get("level"),
                        l.get("message")
                    )));
                }
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Step detail needs the hubtop companion Scripted REST API (<scope>/console, x_hubtop as \
                 shipped): see assets/servicenow/README.md to install it.",
                t.warn,
            )));
            f.render_widget(
                Paragraph::new(lines).block(block(t, " Execution ", false, area.width)).wrap(Wrap { trim: true }),
                area,
            );
        }
        Some(ExecView::Loaded(x)) => {
            let e = &x.execution;
            let (sym, style) = t.state(e.get("state"));
            let n = x.steps.len() as u16;
            let steps_h = (n + 3).min(area.height / 2).max(3);
            // Steps that do not fit are counted in the title (↑↓ reach them).
            let shown = steps_h.saturating_sub(3);
            let more = match n.saturating_sub(shown) {
                0 => String::new(),
                k => format!("{n} steps, {k} not shown (↑↓) "),
            };
            let title = title_with_tail(
                format!(" {} ", e.get("name")),
                t.title,
                vec![
                    Span::styled(format!("{sym} {} ", super::overview::choice_label(e.get("state"))), style),
                    Span::styled(more, t.warn),
                ],
                area.width,
            );
            let [steps, detail] = Layout::vertical([Constraint::Length(steps_h), Constraint::Min(3)]).areas(area);
            // The step's name takes what the borders, #, state, time and gaps leave.
            let name_w = usize::from(steps.width.saturating_sub(2 + 3 + 12 + 8 + 3));
            let rows: Vec<Row> =
                x.steps.iter().enumerate().map(|(i, s)| step_line(t, s, i == d.step, name_w)).collect();
            let widths = [Constraint::Length(3), Constraint::Length(12), Constraint::Min(20), Constraint::Length(8)];
            let table = Table::new(rows, widths)
                .header(Row::new(["#", "STATE", "STEP", "TIME"]).style(t.header))
                .block(block(t, title, d.focus == Focus::Steps, steps.width));
            let mut st = ratatui::widgets::TableState::default().with_selected(Some(d.step));
            f.render_stateful_widget(table, steps, &mut st);
            draw_step(f, app, t, detail, d, x);
        }
        _ => {}
    }
}

fn draw_step(f: &mut Frame, app: &App, t: &Theme, area: Rect, d: &DetailState, x: &crate::client::actions::ExecDetail) {
    let s = d.selected_step();
    let mut lines: Vec<kv::Field> = Vec::new();
    let kv = |k: &str, v: String, style: Style| (k.to_string(), v, style);
    let Some(s) = s else {
        // The companion says why there are no steps (flow reporting off), if it does.
        let text = x.step_detail.notice(x.steps.len()).unwrap_or("no steps yet");
        f.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(block(t, " Step ", false, area.width)),
            area,
        );
        return;
    };
    if !s.error.is_empty() {
        lines.push(kv("error", s.error.clone(), t.error));
    }
    let out = |k: &str| s.outputs.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let code = out("response_code");
    if !code.is_empty() {
        let style = if code.starts_with('2') { t.ok } else { t.error };
        lines.push(kv("response code", code, style));
    }
    // The flow's message belongs to the step that ended it: the failing one, or the last.
    let ended_here = s.state == StepState::Error.as_str() || x.steps.last().is_some_and(|l| l.order == s.order);
    let msg = x.outputs.get("message").and_then(Value::as_str).unwrap_or("");
    if !msg.is_empty() && ended_here {
        lines.push(kv("message", msg.to_string(), t.text));
    }
    let body = out("response_body");
    if !body.is_empty() {
        lines.push(kv("response", body, t.text));
    }
    let mut io = Vec::new();
    flatten("", &s.outputs, &mut io);
    for (k, v) in io.into_iter().filter(|(k, _)| k != "response_code" && k != "response_body") {
        lines.push(kv(&format!("out.{k}"), v, t.text));
    }
    let mut io = Vec::new();
    flatten("", &s.inputs, &mut io);
    for (k, v) in io {
        lines.push(kv(&format!("in.{k}"), v, t.muted));
    }
    let (sym, style) = t.state(&s.state);
    let title = title_with_tail(
        format!(" Step {} {} ", s.order, s.name),
        t.title,
        vec![Span::styled(format!("{sym} {} {} ", s.state, fmt_ms(s.duration_ms)), style)],
        area.width,
    );
    let lines = kv::lines(&lines, t.muted, area.width.saturating_sub(2));
    let scroll = scrolled(d, &lines, area);
    // While the fields have the page keys, the way back here is named.
    let more = match (scroll < d.scroll_max.get(), d.focus == Focus::Fields) {
        (false, _) => String::new(),
        (true, false) => "more below, PgDn ".to_string(),
        (true, true) => {
            let key = |a: Action| app.keymap.key_in(Layer::Detail, a).unwrap_or_default();
            format!("more below, {} then {} ", key(Action::NextFocus), key(Action::PageDown))
        }
    };
    let block =
        block(t, title, false, area.width).title_bottom(Line::from(Span::styled(more, t.muted)).right_aligned());
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(block), area);
}

/// Compact columns for the related panes: what identifies a row and how it ended.
fn related_columns(e: Entity) -> Vec<super::Column> {
    let all = columns(e);
    match e.desc().compact {
        [] => all,
        want => want.iter().filter_map(|f| all.iter().find(|c| c.field == *f).copied()).collect(),
    }
}

/// The related lists side by side, or one above the other (`stacked`: their heights).
fn draw_related(f: &mut Frame, app: &App, t: &Theme, area: Rect, d: &DetailState, stacked: Option<&[u16]>) {
    let Some(data) = &d.data else { return };
    if data.related.is_empty() || area.height < 3 {
        return;
    }
    let n = data.related.len() as u32;
    let parts = match stacked {
        Some(hs) => Layout::vertical(hs.iter().map(|h| Constraint::Length(*h))).split(area),
        None => Layout::horizontal((0..n).map(|_| Constraint::Ratio(1, n))).split(area),
    };
    for (i, rel) in data.related.iter().enumerate() {
        let focused = d.focus == Focus::Related(i);
        if let Some(why) = &rel.error {
            let title = Line::from(Span::styled(format!(" {} ", rel.label), t.title));
            draw_failed(f, t, parts[i], title, why);
            continue;
        }
        let all = related_columns(rel.entity);
        let sel = d.related_sel.get(i).copied().unwrap_or(0);
        let mut cells: Vec<Vec<Styled>> =
            rel.rows.iter().map(|r| all.iter().map(|c| cell(t, rel.entity, c.field, r, app.now)).collect()).collect();
        let (kept, widths) = fit_cells(&all, cells.iter_mut().collect(), parts[i].width.saturating_sub(2));
        let rows: Vec<Row> = cells
            .into_iter()
            .enumerate()
            .map(|(ri, c)| {
                let row = Row::new(c.into_iter().map(|(v, s)| Cell::from(Span::styled(v, s))));
                if focused && ri == sel { row.style(t.selected) } else { row }
            })
            .collect();
        // The title counts what matches on the instance, not what came ("20 of 30").
        let count = rel.count_words();
        let mut title = vec![Span::styled(format!(" {} ({count}) ", rel.label), t.title)];
        // Columns the width leaves out are counted (Enter opens the record whole).
        let hidden = all.len() - kept.len();
        if hidden > 0 {
            let s = if hidden == 1 { "" } else { "s" };
            title.push(Span::styled(format!("+{hidden} column{s} hidden "), t.muted));
        }
        // Too narrow for the label and its count: the label gives way, the count stays.
        if super::fit::width(&title[0].content) > usize::from(parts[i].width.saturating_sub(2)) {
            let tail = vec![Span::styled(format!(" ({count}) "), t.title)];
            title = title_with_tail(format!(" {}", rel.label), t.title, tail, parts[i].width).spans;
        }
        // Rows the pane cannot show say so: the list scrolls to keep the cursor in view
        // (as the table does), the rest — below, above, or never loaded — are counted.
        let inner = usize::from(parts[i].height.saturating_sub(2));
        let offset = if focused { sel.saturating_sub(inner.saturating_sub(1)) } else { 0 };
        let shown = rel.rows.len().saturating_sub(offset).min(inner);
        let unknown = if rel.total.is_none() && rel.limit > 1 && rel.rows.len() >= rel.limit { "+" } else { "" };
        let more = match rel.matching().saturating_sub(shown) {
            0 => String::new(),
            n => format!("+{n}{unknown} more "),
        };
        let table = Table::new(rows, widths).block(
            block(t, title, focused, parts[i].width)
                .title_bottom(super::fit::title(Span::styled(more, t.warn), parts[i].width).right_aligned()),
        );
        let mut st = ratatui::widgets::TableState::default().with_selected(focused.then_some(sel));
        f.render_stateful_widget(table, parts[i], &mut st);
    }
}
