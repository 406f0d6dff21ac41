//! Plain aligned tables for `hubtop get -o table`: columns sized to their content and
//! shrunk (widest first) to fit the terminal width; cells cut with an ellipsis.

use crate::client::Record;

/// Cuts `s` to at most `w` display columns, ending in `…` when cut (the console's own
/// cut, [`super::fit`]).
pub fn fit(s: &str, w: usize) -> String {
    super::fit::fit(s, w).into_owned()
}

fn pad(s: &str, w: usize) -> String {
    super::fit::pad(s, w)
}

pub fn render(cols: &[&str], rows: &[Record], width: usize) -> String {
    let header: Vec<String> = cols.iter().map(|c| c.to_uppercase()).collect();
    let cells: Vec<Vec<&str>> = rows.iter().map(|r| cols.iter().map(|c| r.show(c)).collect()).collect();
    let mut w: Vec<usize> = header.iter().map(|h| super::fit::width(h)).collect();
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            w[i] = w[i].max(super::fit::width(c)).min(60);
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
    use unicode_width::UnicodeWidthStr;

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
