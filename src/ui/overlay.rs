//! Things drawn over the screen: help, confirmations and the update form. A bulk job's
//! progress and result are not drawn here: they are in the status area (see `super`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Theme;
use crate::app::keys::{Action, Layer};
use crate::app::{App, Mode};

fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height.saturating_sub(2));
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// Rows `lines` take when wrapped inside a panel `width` wide (its borders aside), so a
/// dialog is tall enough for its last line (the keys that answer it).
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    // Word wrapping breaks before a word that does not fit: allow for a short last word.
    let per_row = inner.saturating_sub(inner / 8).max(1);
    let rows = |w: usize| if w <= inner { 1 } else { w.div_ceil(per_row) };
    lines.iter().map(|l| rows(l.width())).sum::<usize>().min(usize::from(u16::MAX)) as u16
}

fn panel<'a>(t: &Theme, title: &'a str) -> Block<'a> {
    Block::default().borders(Borders::ALL).border_style(t.accent).title(Span::styled(format!(" {title} "), t.title))
}

/// The help: the keys of the screen under it, then the keys of the dialogs, the update
/// form and the prompts, all from the keymap's layer tables (only what works there, and
/// nothing a read-only console refuses). A section starts with its name.
pub fn help_lines(app: &App) -> Vec<(String, &'static str)> {
    let screen = app.screen_layer();
    let mut out = vec![(String::new(), layer_title(screen))];
    for (keys, a) in app.keymap.table(screen) {
        if !(app.settings.read_only && a.is_mutating()) {
            out.push((keys, a.describe_in(screen)));
        }
    }
    // The dialogs' tables, each action once with every key that means it in any of them.
    let dialogs = [Layer::Confirm, Layer::TypedConfirm, Layer::Form, Layer::Prompt];
    let mut acts: Vec<(String, Action)> = Vec::new();
    for layer in dialogs {
        for (keys, a) in app.keymap.table(layer) {
            match acts.iter_mut().find(|(_, x)| *x == a) {
                Some((k, _)) => {
                    for key in keys.split(' ') {
                        if !k.split(' ').any(|x| x == key) {
                            k.push(' ');
                            k.push_str(key);
                        }
                    }
                }
                None => acts.push((keys, a)),
            }
        }
    }
    out.push((String::new(), "── dialogs, prompts"));
    out.extend(acts.into_iter().map(|(k, a)| (k, a.describe())));
    out
}

fn layer_title(l: Layer) -> &'static str {
    match l {
        Layer::Overview => "── overview",
        Layer::List => "── list",
        Layer::Detail => "── detail",
        Layer::Fleet => "── fleet",
        Layer::Log => "── session log",
        _ => "── dialog",
    }
}

/// The filter's syntax as the help shows it: what is typed, a few words, more words.
const FILTER_HELP: [(&str, &str, &str); 2] = [
    ("/words", "finds them", "finds them in the list (state labels and provider names too)"),
    ("/state=error^TRIES>1", "a query", "a query: ^ and, ^OR or; headings name fields"),
];

/// The help's part beneath the keys: the `:` commands (from the app's table of them, and
/// the views by name) and the filter's syntax, each said in words when `words`, else by
/// name alone; wrapped to `width` between items, never inside one that fits a line.
fn help_sections<'a>(t: &Theme, width: usize, words: bool) -> Vec<Line<'a>> {
    let said = |what: &str| if words { format!(" {what}") } else { String::new() };
    let mut commands: Vec<Vec<Span<'a>>> = crate::app::COMMANDS
        .iter()
        .map(|(name, args, what)| {
            let args = if args.is_empty() { String::new() } else { format!(" {args}") };
            vec![Span::styled(format!(":{name}{args}"), t.accent), Span::raw(said(what))]
        })
        .collect();
    let example = crate::app::VIEWS.iter().find(|v| matches!(v, crate::app::ViewKind::List(_))).map(|v| v.name());
    let view = example.map_or("a view by its name".to_string(), |e| format!("a view by its name (:{e})"));
    commands.push(vec![Span::styled(":VIEW", t.accent), Span::raw(said(&view))]);
    let filter: Vec<Vec<Span<'a>>> = FILTER_HELP
        .iter()
        .map(|(typed, short, long)| {
            vec![Span::styled(*typed, t.accent), Span::raw(format!(" {}", if words { *long } else { *short }))]
        })
        .collect();
    let mut out = Vec::new();
    for (lead, items) in [("commands ", commands), ("filter   ", filter)] {
        let indent = super::fit::width(lead);
        let mut line: Vec<Span<'a>> = vec![Span::styled(lead, t.muted)];
        let mut used = indent;
        for item in items {
            let w: usize = item.iter().map(|s| super::fit::width(&s.content)).sum();
            if used > indent && used + 2 + w > width {
                out.push(Line::from(std::mem::take(&mut line)));
                line.push(Span::raw(" ".repeat(indent)));
                used = indent;
            }
            if used > indent {
                line.push(Span::raw("  "));
                used += 2;
            }
            used += w;
            line.extend(item);
        }
        out.push(super::fit::fit_line(Line::from(line), width));
    }
    out.into_iter().map(|l| super::fit::fit_line(l, width)).collect()
}

/// The help's panel and lines: the keys in as few columns as the height needs, the
/// commands and filter beneath them in words if the screen has room, else by name. The
/// panel may take the whole screen, so every key shows even at 80×24.
fn help_panel<'a>(app: &App, t: &Theme, area: Rect) -> (Rect, Vec<Line<'a>>) {
    let items = help_lines(app);
    let key_w = items.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0).min(16);
    let desc_w = items.iter().map(|(_, d)| d.chars().count()).max().unwrap_or(0);
    let col_w = key_w + 2 + desc_w + 2;
    let max_w = usize::from(area.width.saturating_sub(2)).max(1);
    let max_h = usize::from(area.height.saturating_sub(2)).max(1);
    // The fewest columns that fit the height with the commands beneath; in words first.
    // The last column needs no gap after it.
    let need = |ncols: usize| (col_w * ncols).saturating_sub(2);
    let fits = |ncols: usize, words: bool| {
        let inner = need(ncols).max(76).min(max_w);
        let per_col = items.len().div_ceil(ncols);
        let below = help_sections(t, inner, words);
        (need(ncols) <= max_w && per_col + 1 + below.len() <= max_h).then_some((ncols, inner, words))
    };
    let most = ((max_w + 2) / col_w.max(1)).max(1);
    let chosen = [true, false].into_iter().find_map(|words| (1..=most).find_map(|n| fits(n, words)));
    let (ncols, inner, words, cut) = match chosen {
        Some((n, inner, words)) => (n, inner, words, false),
        None => (most, need(most).max(76).min(max_w), false, true),
    };
    let per_col = items.len().div_ceil(ncols);
    let mut lines: Vec<Line> = (0..per_col)
        .map(|row| {
            let mut spans = Vec::new();
            for (k, d) in (0..ncols).filter_map(|c| items.get(c * per_col + row)) {
                spans.push(Span::styled(format!("{k:>key_w$}  "), t.accent));
                spans.push(Span::raw(format!("{d:<w$}", w = desc_w + 2)));
            }
            // The last column's padding is not drawn (the panel ends there).
            if let Some(last) = spans.last_mut() {
                *last = Span::raw(last.content.trim_end().to_string());
            }
            Line::from(spans)
        })
        .collect();
    lines.push(Line::from(""));
    lines.extend(help_sections(t, inner, words));
    if cut && lines.len() > max_h {
        // A screen too small for all of it says so on its last line.
        lines.truncate(max_h.saturating_sub(1));
        lines.push(Line::from(Span::styled("… more than fits: enlarge the terminal", t.warn)));
    }
    let w = (inner + 2).min(usize::from(area.width)) as u16;
    let h = (lines.len() + 2).min(usize::from(area.height)) as u16;
    let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    (r, lines)
}

pub fn draw(f: &mut Frame, app: &App, t: &Theme, area: Rect) {
    if matches!(app.mode, Mode::Help) {
        let (r, lines) = help_panel(app, t, area);
        f.render_widget(Clear, r);
        f.render_widget(Paragraph::new(lines).block(panel(t, "Keys (any key closes)")), r);
        return;
    }
    let a = &app.actions;
    if let Some(c) = &a.confirm {
        let mut lines: Vec<Line> = c.lines.iter().map(|l| Line::from(l.as_str())).collect();
        lines.push(Line::from(""));
        match &c.typed {
            Some(input) => lines.push(Line::from(vec![
                Span::styled(format!("type {} and Enter to send, Esc to back out: ", c.word), t.warn),
                Span::raw(input.value().to_string()),
            ])),
            None => {
                lines.push(Line::from(Span::styled("y / Enter: send    Esc / n: back out, nothing is sent", t.warn)))
            }
        }
        let r = centred(area, 90, wrapped_height(&lines, area.width.min(90)) + 2);
        f.render_widget(Clear, r);
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(panel(t, &c.title)), r);
        return;
    }
    if let Some(form) = &a.form {
        let mut lines = vec![
            Line::from(Span::styled(format!("Update {} at its provider", form.target.label), t.header)),
            Line::from(""),
        ];
        // A value longer than the form shows its end (where typing goes), after a sign.
        let inner = usize::from(area.width.saturating_sub(2).min(80).saturating_sub(2));
        let room = |extra: usize| inner.saturating_sub(18 + 1 + extra);
        for (i, (name, orig, input)) in form.fields.iter().enumerate() {
            let style = if i == form.focus { t.selected } else { t.text };
            let changed = if input.value() != orig { " (changed)" } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{name:<18}"), t.muted),
                Span::styled(format!("{} ", super::fit::fit_end(input.value(), room(changed.len()))), style),
                Span::styled(changed, t.warn),
            ]));
        }
        let style = if form.focus == form.fields.len() { t.selected } else { t.text };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<18}", "comment"), t.muted),
            Span::styled(format!("{} ", super::fit::fit_end(form.comment.value(), room(0))), style),
        ]));
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Tab/↑↓ move  Enter preview what is sent  Esc back out", t.muted)));
        let r = centred(area, 80, lines.len() as u16 + 2);
        f.render_widget(Clear, r);
        f.render_widget(Paragraph::new(lines).block(panel(t, "Update work order")), r);
    }
}
