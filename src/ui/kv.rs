//! `key  value` lines for the detail panes: keys in one column sized to them, long
//! values wrapped with a hanging indent so a continuation never runs under the keys,
//! and an exact line count so a pane knows how far it can scroll.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Keys wider than this get a line of their own, the value below them.
const MAX_KEY: usize = 28;

/// One field: its key, its value and the value's style.
pub type Field = (String, String, Style);

/// The lines of `fields` laid out in `width` columns.
pub fn lines(fields: &[Field], key_style: Style, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width).max(8);
    let key_w = fields.iter().map(|(k, _, _)| k.width()).filter(|w| *w <= MAX_KEY).max().unwrap_or(0).min(width / 2);
    let val_w = width.saturating_sub(key_w + 1).max(1);
    let indent = " ".repeat(key_w + 1);
    let mut out = Vec::new();
    for (k, v, style) in fields {
        let mut parts = wrap(v, val_w).into_iter();
        let first = parts.next().unwrap_or_default();
        if k.width() > key_w {
            out.push(Line::from(Span::styled(k.clone(), key_style)));
            out.push(Line::from(vec![Span::raw(indent.clone()), Span::styled(first, *style)]));
        } else {
            let pad = " ".repeat(key_w + 1 - k.width());
            out.push(Line::from(vec![Span::styled(format!("{k}{pad}"), key_style), Span::styled(first, *style)]));
        }
        out.extend(parts.map(|p| Line::from(vec![Span::raw(indent.clone()), Span::styled(p, *style)])));
    }
    out
}

/// Splits `s` into pieces of at most `w` display columns, at a space when one falls in
/// the second half of the piece, else mid-word.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    let mut last_space: Option<usize> = None;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if cur_w + cw > w && !cur.is_empty() {
            match last_space.filter(|&i| i * 2 >= cur.len()) {
                Some(i) => {
                    let rest = cur.split_off(i + 1);
                    out.push(cur.trim_end().to_string());
                    cur = rest;
                }
                None => out.push(std::mem::take(&mut cur)),
            }
            cur_w = cur.width();
            last_space = None;
        }
        if c == ' ' {
            last_space = Some(cur.len());
        }
        cur.push(c);
        cur_w += cw;
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn wraps_with_a_hanging_indent_inside_the_width() {
        let f = vec![
            (
                "error".to_string(),
                "HTTP 503: provider error (work order service temporarily unavailable)".to_string(),
                Style::default(),
            ),
            ("in.body.description".to_string(), "x".repeat(50), Style::default()),
        ];
        let ls: Vec<String> = lines(&f, Style::default(), 40).iter().map(text).collect();
        assert!(ls.iter().all(|l| l.width() <= 40), "{ls:#?}");
        assert!(ls[0].starts_with("error               HTTP 503"), "{ls:#?}");
        assert!(ls[1].starts_with(&" ".repeat(20)), "continuation under the value: {ls:#?}");
        let joined: String =
            ls.iter().take_while(|l| !l.starts_with("in.")).map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        assert!(joined.contains("temporarily unavailable)"), "nothing lost: {joined}");
    }

    #[test]
    fn wrap_keeps_every_character_and_fits_wide_ones() {
        for s in ["", "a", "日本語テキストの長い説明", "one two three four five six", &"y".repeat(100)] {
            for w in 1..12 {
                let parts = wrap(s, w);
                assert!(parts.iter().all(|p| p.width() <= w.max(2)), "{s:?} {w} {parts:?}");
                let back: String = parts.concat();
                assert_eq!(back.replace(' ', ""), s.replace(' ', ""), "{w}");
            }
        }
    }
}
