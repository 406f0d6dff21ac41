//! Makes untrusted server strings safe for a terminal. Applied where text enters (the
//! client's decoding), so no widget ever sees a raw control character.
//!
//! Controls become visible symbols (ESC → ␛), so nothing can move the cursor, change
//! colours, set the clipboard (OSC 52) or make hyperlinks (OSC 8); bidi overrides and
//! invisible formatting characters become �, so an operator sees something was there;
//! newlines become ⏎ so a record stays one line; very long values are cut.

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
        _ => None,
    }
}

pub fn sanitize(s: &str) -> Cow<'_, str> {
    sanitize_with_limit(s, MAX_CHARS)
}

pub fn sanitize_with_limit(s: &str, max_chars: usize) -> Cow<'_, str> {
    // Fast path: one scan, no allocation for clean, short text.
    let mut n = 0;
    let clean = s.chars().all(|c| {
        n += 1;
        n <= max_chars && replacement(c).is_none()
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

    #[test]
    fn long_values_are_cut() {
        let big = "x".repeat(1_000_000);
        let out = sanitize(&big);
        assert!(out.chars().count() < MAX_CHARS + 40);
        assert!(out.ends_with(&format!("…[+{} bytes]", 1_000_000 - MAX_CHARS)));
    }
}
