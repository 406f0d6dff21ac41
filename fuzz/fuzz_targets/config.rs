//! Any config file text gives a config or an error naming the file and line, never a
//! panic.
#![no_main]
use std::path::Path;

use hubtop::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Config::parse(text, Path::new("config.toml")) {
        Ok(cfg) => {
            let _ = cfg.names();
            let _ = cfg.select(None);
        }
        Err(e) => assert!(e.to_string().starts_with("config.toml"), "errors name the file: {e}"),
    }
});
