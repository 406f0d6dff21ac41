//! Plain aligned tables for `hubtop get -o table`: columns sized to their content and
//! shrunk (widest first) to fit the terminal width; cells cut with an ellipsis.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::client::Record;

/// Cuts `s` to at most `w` display columns, ending in `…` when cut.
pub fn fit(s: &str, w: usize) -> String {
    if s.width() <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw > w - 1 {
            break;
        }
        used += cw;
        out.push(c);
    }
    out.push('…');
    out
}

fn pad(s: &str, w: usize) -> String {
    let f = fit(s, w);
    let n = w.saturating_sub(f.width());
    format!("{f}{}", " ".repeat(n))
}

pub fn render(cols: &[&str], rows: &[Record], width: usize) -> String {
    let header: Vec<String> = cols.iter().map(|c| c.to_uppercase()).collect();
    let cells: Vec<Vec<&str>> = rows.iter().map(|r| cols.iter().map(|c| r.show(c)).collect()).collect();
    let mut w: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            w[i] = w[i].max(c.width()).min(60);
        }
    }
    let gaps = 2 * cols.len().saturating_sub(1);
    while w.iter().sum::<usize>() + gaps > width.max(20) {
        let (i, max) = w.iter().enumerate().max_by_key(|(_, v)| **v).map(|(i, v)| (i, *v)).unwrap_or((0, 0));
        if max <= 6 {
            break;
        }
        w[i] -= 1;
    }
    let line = |vals: Vec<&str>| -> String {
        let parts: Vec<String> = vals.iter().zip(&w).map(|(v, w)| pad(v, *w)).collect();
        format!("{}\n", parts.join("  ").trim_end())
    };
    let mut out = line(header.iter().map(String::as_str).collect());
    for row in cells {
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_the_width() {
        let mut r = Record::default();
        r.set("a", &"x".repeat(100));
        r.set("b", "short");
        let out = render(&["a", "b"], &[r], 40);
        assert!(out.lines().all(|l| l.width() <= 40), "{out}");
        assert!(out.contains('…'));
        assert_eq!(fit("日本語テキスト", 5), "日本…");
    }
}
