//! The sanitiser on any text: nothing that can drive a terminal survives (C0/C1
//! controls, ESC, bidi overrides, zero-width characters), it is idempotent, and it caps
//! the length.
#![no_main]
use hubtop::sanitize::{sanitize, sanitize_with_limit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let out = sanitize(s);
    for c in out.chars() {
        assert!(!c.is_control(), "control {c:?} survived in {out:?}");
        assert!(
            !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200d}' | '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{e0000}'..='\u{e007f}')
        );
    }
    assert_eq!(sanitize(&out), out, "idempotent");
    let capped = sanitize_with_limit(s, 16);
    assert!(capped.chars().count() <= 16 + "…[+ bytes]".len() + 20, "capped: {capped:?}");
});
