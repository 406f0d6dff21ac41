//! Property tests of config parsing: any text — garbage, or a real config with a line
//! cut, doubled or mangled — gives a config or an error that names the file and a line
//! inside it, never a panic; a secret value never appears in an error.

use std::path::Path;

use hubtop::config::Config;
use proptest::prelude::*;

const REAL: &str = r#"default_profile = "dev"
theme = "light"
mouse = false
[keys]
retry = "ctrl-t"
[profiles.dev]
instance = "https://dev.example.com"
user = "ops"
secret = { env = "HUBTOP_TEST_DEV" }
[profiles.prod]
instance = "https://prod.example.com"
auth = "oauth_client"
client_id = "abc"
secret = { command = "echo prod-secret" }
read_only = true
production = true
rps = 5
[profiles.prod.tables]
outbound = "x_acme_outbound"
"#;

fn check(text: &str) {
    match Config::parse(text, Path::new("/etc/hubtop/config.toml")) {
        Ok(cfg) => {
            let _ = cfg.select(None);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("/etc/hubtop/config.toml"), "names the file: {msg}");
            if let Some(line) = msg
                .strip_prefix("/etc/hubtop/config.toml:")
                .and_then(|r| r.split(':').next())
                .and_then(|n| n.parse::<usize>().ok())
            {
                assert!(line >= 1 && line <= text.lines().count().max(1) + 1, "line {line} is in the file: {msg}");
            }
            assert!(!msg.contains("prod-secret") || text.contains("prod-secret"), "{msg}");
        }
    }
}

/// The real config with one line changed: dropped, doubled, cut short or replaced.
fn mutated() -> impl Strategy<Value = String> {
    let n = REAL.lines().count();
    (0..n, 0..4u8, any::<String>(), 0usize..40).prop_map(move |(i, how, junk, cut)| {
        let mut lines: Vec<String> = REAL.lines().map(str::to_string).collect();
        match how {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                let l = &lines[i];
                let at = (0..=cut.min(l.len())).rev().find(|k| l.is_char_boundary(*k)).unwrap_or(0);
                lines[i] = l[..at].to_string();
            }
            _ => lines[i] = junk,
        }
        lines.join("\n")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_parses_or_names_file_and_line(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn a_mangled_real_config_parses_or_names_file_and_line(text in mutated()) {
        check(&text);
    }
}

#[test]
fn the_unmangled_config_parses() {
    let cfg = Config::parse(REAL, Path::new("/etc/hubtop/config.toml")).expect("parses");
    assert_eq!(cfg.select(None).unwrap().unwrap().0, "dev");
}
