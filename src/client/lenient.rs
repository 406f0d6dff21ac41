//! Lenient JSON: one bad value must not blank a whole list.
//!
//! serde_json rightly refuses a lone surrogate escape (`\ud800`), an unknown escape,
//! invalid UTF-8 and raw control characters inside strings; a real instance can still
//! send them (a field written by a broken integration). When strict parsing fails, the
//! body is repaired in one pass and parsed again: each bad value becomes U+FFFD, raw
//! control characters become escapes (the sanitiser then shows them as symbols), and
//! everything else is untouched. Structural damage (a truncated body) still fails.

use std::borrow::Cow;

use serde_json::Value;

/// Parses `body`, repairing string-level damage if strict parsing fails.
pub fn parse(body: &[u8]) -> serde_json::Result<Value> {
    match serde_json::from_slice(body) {
        Ok(v) => Ok(v),
        Err(e) => match repair(body) {
            Some(fixed) => serde_json::from_str(&fixed).map_err(|_| e),
            None => Err(e),
        },
    }
}

const REPLACEMENT: &str = "\\ufffd";

fn hex4(s: &[u8]) -> Option<u16> {
    let h = s.get(..4)?;
    if !h.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
}

/// The repaired text, or `None` when there was nothing to repair.
pub fn repair(body: &[u8]) -> Option<String> {
    // Invalid UTF-8 anywhere becomes U+FFFD first.
    let text: Cow<str> = String::from_utf8_lossy(body);
    let b = text.as_bytes();
    let mut out = String::with_capacity(b.len() + 16);
    let mut changed = matches!(text, Cow::Owned(_));
    let mut in_string = false;
    let mut i = 0;
    // Copy verbatim runs between the bytes that matter; every split is at an ASCII byte.
    let mut run = 0;
    while i < b.len() {
        let c = b[i];
        if !in_string {
            if c == b'"' {
                in_string = true;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_string = false;
                i += 1;
            }
            b'\\' => {
                let next = b.get(i + 1).copied();
                match next {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u') => match hex4(&b[i + 2..]) {
                        Some(0xD800..=0xDBFF) => {
                            let low = (b.get(i + 6..i + 8) == Some(b"\\u".as_slice()))
                                .then(|| hex4(&b[i + 8..]))
                                .flatten()
                                .filter(|lo| (0xDC00..=0xDFFF).contains(lo));
                            if low.is_some() {
                                i += 12;
                            } else {
                                out.push_str(&text[run..i]);
                                out.push_str(REPLACEMENT);
                                i += 6;
                                run = i;
                                changed = true;
                            }
                        }
                        Some(0xDC00..=0xDFFF) => {
                            out.push_str(&text[run..i]);
                            out.push_str(REPLACEMENT);
                            i += 6;
                            run = i;
                            changed = true;
                        }
                        Some(_) => i += 6,
                        None => {
                            // `\u` without four hex digits: the escape goes, the text stays.
                            out.push_str(&text[run..i]);
                            out.push_str(REPLACEMENT);
                            i += 2;
                            run = i;
                            changed = true;
                        }
                    },
                    Some(x) if x.is_ascii() => {
                        out.push_str(&text[run..i]);
                        out.push_str(REPLACEMENT);
                        i += 2;
                        run = i;
                        changed = true;
                    }
                    // A backslash before a multi-byte char, or at the very end.
                    _ => {
                        out.push_str(&text[run..i]);
                        out.push_str(REPLACEMENT);
                        i += 1;
                        run = i;
                        changed = true;
                    }
                }
            }
            0x00..=0x1f => {
                out.push_str(&text[run..i]);
                out.push_str(&format!("\\u{c:04x}"));
                i += 1;
                run = i;
                changed = true;
            }
            _ => i += 1,
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&text[run..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(body: &str) -> Value {
        parse(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"))
    }

    #[test]
    fn lone_surrogates_and_bad_escapes_become_replacement_characters() {
        let v = value(r#"{"a":"x\ud800y","b":"\udc00","c":"\uZZ","d":"\q","e":"ok \ud83d\ude80"}"#);
        assert_eq!(v["a"], "x\u{fffd}y");
        assert_eq!(v["b"], "\u{fffd}");
        assert_eq!(v["c"], "\u{fffd}ZZ");
        assert_eq!(v["d"], "\u{fffd}");
        assert_eq!(v["e"], "ok 🚀", "a valid pair is kept");
    }

    #[test]
    fn a_high_surrogate_before_a_non_low_escape_is_replaced_alone() {
        let v = value(r#"{"a":"\ud800\u0041"}"#);
        assert_eq!(v["a"], "\u{fffd}A");
    }

    #[test]
    fn invalid_utf8_and_raw_controls_are_repaired() {
        let mut body = br#"{"a":"bad "#.to_vec();
        body.extend_from_slice(&[0xff, 0xfe]);
        body.extend_from_slice(b" \x1b[31m\ttab\"}");
        let v = parse(&body).unwrap();
        assert_eq!(v["a"], "bad \u{fffd}\u{fffd} \u{1b}[31m\ttab");
    }

    #[test]
    fn clean_bodies_are_not_rewritten_and_truncated_ones_still_fail() {
        assert_eq!(repair(br#"{"a":"\"quoted\" \\ \u00e9"}"#), None);
        assert!(parse(br#"{"result":[{"a":"x\ud800"#).is_err());
        assert!(parse(b"<html>").is_err());
    }
}
