//! Cutting text to the room it has, always with a sign: every table cell, key-value
//! line and title that does not fit ends in `…` rather than stopping mid-word with
//! nothing to say that more was there.
//!
//! Widths are measured the way the renderer lays text out: by grapheme cluster (a
//! base with its combining marks, a ZWJ sequence), each as wide as the buffer counts it,
//! so a cut never splits a cluster and never leaves a wide character half drawn.

use std::borrow::Cow;

use ratatui::buffer::CellWidth;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// The sign that text was cut.
pub const MORE: &str = "…";

/// The clusters of `s` as the renderer draws them, with their widths (clusters the
/// renderer skips, zero wide or control, count 0).
fn clusters(s: &str) -> impl Iterator<Item = (&str, usize)> {
    use unicode_segmentation::UnicodeSegmentation;
    s.graphemes(true).map(|g| {
        let w = if g.contains(char::is_control) { 0 } else { usize::from(g.cell_width()) };
        (g, w)
    })
}

/// The columns `s` takes on screen.
pub fn width(s: &str) -> usize {
    clusters(s).map(|(_, w)| w).sum()
}

/// The longest start of `s` at most `w` columns wide, whole clusters only.
fn prefix(s: &str, w: usize) -> &str {
    let mut used = 0;
    let mut end = 0;
    for (g, gw) in clusters(s) {
        if used + gw > w {
            break;
        }
        used += gw;
        end += g.len();
    }
    &s[..end]
}

/// `s` cut to at most `w` columns, ending in `…` when anything was cut.
pub fn fit(s: &str, w: usize) -> Cow<'_, str> {
    if width(s) <= w {
        return Cow::Borrowed(s);
    }
    if w == 0 {
        return Cow::Borrowed("");
    }
    Cow::Owned(format!("{}{MORE}", prefix(s, w - 1)))
}

/// `s` cut from its start to at most `w` columns, beginning with `…` when anything was
/// cut: for text being typed, whose end (where the cursor is) matters most.
pub fn fit_end(s: &str, w: usize) -> Cow<'_, str> {
    if width(s) <= w {
        return Cow::Borrowed(s);
    }
    if w == 0 {
        return Cow::Borrowed("");
    }
    let all: Vec<(&str, usize)> = clusters(s).collect();
    let mut used = 0;
    let mut start = s.len();
    for (g, gw) in all.iter().rev() {
        if used + gw > w - 1 {
            break;
        }
        used += gw;
        start -= g.len();
    }
    Cow::Owned(format!("{MORE}{}", &s[start..]))
}

/// `s` cut to `w` columns and padded with spaces to exactly `w`.
pub fn pad(s: &str, w: usize) -> String {
    let f = fit(s, w);
    let n = w.saturating_sub(width(&f));
    format!("{f}{}", " ".repeat(n))
}

/// Spans cut to at most `w` columns in all: the span where the room runs out ends in
/// `…` (in its own style), the ones after it go.
pub fn fit_spans<'a>(spans: Vec<Span<'a>>, w: usize) -> Vec<Span<'a>> {
    let total: usize = spans.iter().map(|s| width(&s.content)).sum();
    if total <= w {
        return spans;
    }
    let mut out = Vec::new();
    if w == 0 {
        return out;
    }
    // The sign takes the last column.
    let mut left = w - 1;
    for s in spans {
        let sw = width(&s.content);
        if sw <= left {
            left -= sw;
            out.push(s);
            continue;
        }
        out.push(Span::styled(format!("{}{MORE}", prefix(&s.content, left)), s.style));
        break;
    }
    out
}

/// A line cut to `w` columns with a sign (its alignment and style kept).
pub fn fit_line(line: Line<'_>, w: usize) -> Line<'_> {
    let Line { spans, style, alignment, .. } = line;
    let mut l = Line::from(fit_spans(spans, w)).style(style);
    l.alignment = alignment;
    l
}

/// A block title for a block `outer` columns wide: what fits between its corners.
pub fn title<'a>(line: impl Into<Line<'a>>, outer: u16) -> Line<'a> {
    fit_line(line.into(), usize::from(outer.saturating_sub(2)))
}

/// One styled cell cut to `w`.
pub fn cell(text: &str, style: Style, w: usize) -> Span<'static> {
    Span::styled(fit(text, w).into_owned(), style)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn fits_with_a_sign_and_never_splits_a_cluster() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("exactly", 7), "exactly");
        assert_eq!(fit("one too long", 11), "one too lo…");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
        assert_eq!(fit("日本語テキスト", 6), "日本…", "a wide character never half drawn");
        // A base with its combining mark is one cluster, one column.
        assert_eq!(fit("e\u{301}e\u{301}e\u{301}e\u{301}", 3), "e\u{301}e\u{301}…");
        // A ZWJ sequence stays whole or goes whole.
        let family = "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}";
        let s = format!("ab{family}cd");
        let cut = fit(&s, 4);
        assert!(cut == "ab…" || cut == format!("ab{family}…"), "{cut:?}");
        assert!(width(&cut) <= 4);
        assert_eq!(fit("anything", 0), "");
        assert_eq!(fit("anything", 1), "…");
        assert_eq!(fit_end("typed a long way", 8), "…ong way");
        assert_eq!(fit_end("日本語テキスト", 5), "…スト");
        assert_eq!(fit_end("short", 8), "short");
    }

    #[test]
    fn every_cut_fits_and_says_so() {
        let samples = ["plain words here", "日本語テキストの長い説明", "e\u{301}tude\u{301} longue", "a🚀b🚀c🚀d"];
        for s in samples {
            for w in 0..=width(s) + 1 {
                let f = fit(s, w);
                assert!(width(&f) <= w, "{s:?} at {w}: {f:?}");
                assert_eq!(f.ends_with(MORE), width(s) > w && w > 0, "{s:?} at {w}: {f:?}");
            }
        }
    }

    #[test]
    fn spans_are_cut_where_the_room_runs_out() {
        let spans = vec![Span::raw(" Title "), Span::raw("(long explanation) "), Span::raw("+3 more ")];
        let cut = fit_spans(spans.clone(), 20);
        assert_eq!(text(&cut), " Title (long explan…");
        assert_eq!(width(&text(&cut)), 20);
        assert_eq!(text(&fit_spans(spans.clone(), 100)), " Title (long explanation) +3 more ");
        // The first span exactly fills the room but more follows: the sign replaces its end.
        let cut = fit_spans(spans, 7);
        assert_eq!(text(&cut), " Title…");
    }
}
