//! Makes untrusted server strings safe for a terminal. Applied where text enters (the
//! client's decoding), so no widget ever sees a raw control character.
//!
//! Controls become visible symbols (ESC → ␛), so nothing can move the cursor, change
//! colours, set the clipboard (OSC 52) or make hyperlinks (OSC 8); bidi overrides and
//! invisible formatting characters become �, so an operator sees something was there;
//! newlines become ⏎ so a record stays one line; very long values are cut.
//!
//! Grapheme clusters whose width terminals disagree on are rendered safely: the
//! renderer puts a cluster in one cell of its computed width and, when that cell later
//! changes, rewrites only it, so a terminal that laid the cluster out as several cells
//! keeps a stale glyph in the others (tmux 3.3a: a flag is two one-cell regional
//! indicators, a skin-toned emoji two wide cells, `❤️` one cell). So regional
//! indicators become their letters (🇺🇸 → US), skin-tone modifiers after a character
//! and emoji/text variation selectors are dropped (👍🏽 → 👍, ❤️ → ❤), and zero-width
//! joiners are already �, which splits a ZWJ sequence into emoji each one wide glyph.
//! Combining marks stay: every terminal puts them in their base's cell.

use std::borrow::Cow;

/// Longest value kept, in chars.
pub const MAX_CHARS: usize = 16 * 1024;

fn replacement(c: char) -> Option<char> {
    match c {
        '\t' => Some(' '),
        // U+2028/2029 are line breaks to some renderers: a record stays one line.
        '\n' | '\r' | '\u{2028}' | '\u{2029}' => Some('⏎'),
        '\u{7f}' => Some('␡'),
        '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{80}'..='\u{9f}' => Some('�'),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}' => Some('�'),
        '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{ad}' | '\u{180e}' => Some('�'),
        // Tag characters: invisible, and used to smuggle text past a reader.
        '\u{e0000}'..='\u{e007f}' => Some('�'),
        // Regional indicators: one cell each in some terminals, a two-cell flag in others.
        '\u{1f1e6}'..='\u{1f1ff}' => char::from_u32('A' as u32 + (c as u32 - 0x1f1e6)),
        _ => None,
    }
}

/// Emoji and text variation selectors: they change a character's width in some
/// terminals and not in others.
fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{fe0e}' | '\u{fe0f}')
}

/// Skin-tone modifiers: after a base they make one wide glyph in some terminals and two
/// wide cells in others; alone they are an ordinary wide emoji.
fn is_skin_tone(c: char) -> bool {
    matches!(c, '\u{1f3fb}'..='\u{1f3ff}')
}

pub fn sanitize(s: &str) -> Cow<'_, str> {
    sanitize_with_limit(s, MAX_CHARS)
}

pub fn sanitize_with_limit(s: &str, max_chars: usize) -> Cow<'_, str> {
    // Fast path: one scan, no allocation for clean, short text.
    let mut n = 0;
    let clean = s.chars().all(|c| {
        n += 1;
        n <= max_chars && replacement(c).is_none() && !is_variation_selector(c) && !is_skin_tone(c)
    });
    if clean {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(max_chars * 4));
    let mut chars = s.char_indices().peekable();
    let mut count = 0;
    while let Some((i, c)) = chars.next() {
        if count == max_chars {
            out.push_str(&format!("…[+{} bytes]", s.len() - i));
            break;
        }
        count += 1;
        if c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n') {
            chars.next();
        }
        if is_variation_selector(c) || (is_skin_tone(c) && out.chars().next_back().is_some_and(|p| !p.is_whitespace()))
        {
            continue;
        }
        out.push(replacement(c).unwrap_or(c));
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(c: char) -> bool {
        matches!(c, '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}')
    }

    #[test]
    fn escapes_become_visible() {
        let evil = "a\x1b[31mred\x1b]52;c;aGVsbG8=\x07\x1b]8;;http://x\x1b\\link\u{202e}rev\u{200d}\r\nz";
        let out = sanitize(evil);
        assert!(!out.chars().any(forbidden), "{out:?}");
        assert!(out.contains('␛'));
        assert!(out.ends_with("⏎z"));
    }

    #[test]
    fn clean_text_is_borrowed_and_wide_text_passes() {
        assert!(matches!(sanitize("plain 日本語 🚀"), Cow::Borrowed(_)));
    }

    /// Each cluster kind that tmux 3.3a lays out differently from its one-cell width,
    /// and what is drawn instead: one glyph per cell, the same width everywhere.
    #[test]
    fn clusters_terminals_disagree_on_become_single_cell_glyphs() {
        use unicode_width::UnicodeWidthStr;
        let cases = [
            ("\u{1f1fa}\u{1f1f8} flag", "US flag"),
            ("\u{1f44d}\u{1f3fd}", "\u{1f44d}"),
            ("\u{2764}\u{fe0f}", "\u{2764}"),
            ("#\u{fe0f}\u{20e3}", "#\u{20e3}"),
            ("\u{1f468}\u{200d}\u{1f469}", "\u{1f468}�\u{1f469}"),
            // A modifier on its own is an ordinary wide emoji; a combining mark stays.
            ("\u{1f3fd} e\u{301}", "\u{1f3fd} e\u{301}"),
        ];
        for (raw, want) in cases {
            let got = sanitize(raw);
            assert_eq!(got, want, "{raw:?}");
            // One glyph per cell: the width of the whole is the sum of its characters'.
            let per_char: usize = got.chars().map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)).sum();
            assert_eq!(got.width(), per_char, "{got:?}");
        }
    }

    #[test]
    fn long_values_are_cut() {
        let big = "x".repeat(1_000_000);
        let out = sanitize(&big);
        assert!(out.chars().count() < MAX_CHARS + 40);
        assert!(out.ends_with(&format!("…[+{} bytes]", 1_000_000 - MAX_CHARS)));
    }
}
