//! Any bytes an instance (or a proxy, or a login page) sends decode to records or a
//! typed error, never a panic; errors carry a short, sanitised snippet.
#![no_main]
use hubtop::client::record::{decode_envelope, decode_list, decode_one};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(rows) = decode_list(body) {
        for r in &rows {
            let _ = r.sys_id();
            let _ = r.to_json();
        }
    } else if let Err(e) = decode_list(body) {
        let msg = e.to_string();
        assert!(msg.len() < 4096, "error messages stay short");
        assert!(!msg.chars().any(|c| c.is_control() && c != '\n'), "no control characters in an error: {msg:?}");
    }
    let _ = decode_one(body);
    let _ = decode_envelope(body);
});
