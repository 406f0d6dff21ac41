//! Config conventions: top-level settings come first in the generated file, and one
//! appended after a table gets an error that says how to fix it (issue 12 item 14);
//! the new fields (`ca_file`, `max_requests_per_hour`, `default_view`, audit rotation)
//! parse and validate; credentials in an instance URL are refused without echoing them.

use std::path::Path;

use hubtop::config::{self, Config, DefaultView, fields::TOP_LEVEL};

use crate::common::TempDir;
use crate::common::keyring::NoKeyring;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("/etc/hubtop/config.toml")).map_err(|e| e.0)
}

fn tempdir(tag: &str) -> TempDir {
    TempDir::new(&format!("conv-cfg-{tag}"))
}

const PROFILE: &str = "[profiles.a]\ninstance = \"https://a.example.com\"\nuser = \"u\"\nsecret = { env = \"A\" }\n";

#[test]
fn the_generated_file_lists_every_top_level_setting_before_any_table() {
    let text = config::DEFAULT_CONFIG;
    let first_table =
        text.lines().position(|l| l.trim_start_matches(['#', ' ']).starts_with('[')).expect("the default has tables");
    for name in TOP_LEVEL {
        let at = text
            .lines()
            .position(|l| l.trim_start_matches(['#', ' ']).starts_with(&format!("{name} =")))
            .unwrap_or_else(|| panic!("`{name}` is documented in the default config"));
        assert!(at < first_table, "`{name}` (line {}) comes before the first table (line {})", at + 1, first_table + 1);
    }
}

#[test]
fn a_top_level_setting_appended_after_config_init_gets_the_fix() {
    let dir = tempdir("init");
    let path = dir.join("config.toml");
    config::init(&path).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(PROFILE);
    text.push_str("\ndefault_profile = \"a\"\n");
    std::fs::write(&path, &text).unwrap();
    let e = Config::load(&path).unwrap_err().0;
    assert!(e.contains("`default_profile` is a top-level setting: move it above the first [table]"), "{e}");
    // Under [keys], the shape issue 12 reported.
    let keys = "[keys]\nretry = \"ctrl-t\"\ndefault_profile = \"x\"\n";
    let e = parse(keys).unwrap_err();
    assert!(e.contains("[keys]") && e.contains("move it above the first [table]"), "{e}");
    let mut fixed = String::from("default_profile = \"a\"\n");
    fixed.push_str(&std::fs::read_to_string(&path).unwrap().replace("\ndefault_profile = \"a\"\n", "\n"));
    assert_eq!(parse(&fixed).expect("moved up, it parses").default_profile.as_deref(), Some("a"));
    // A key binding that is not a string says what it takes.
    let e = parse("[keys]\nretry = 5\n").unwrap_err();
    assert!(e.contains("`retry` takes a key in quotes"), "{e}");
}

#[test]
fn new_fields_have_defaults_and_parse() {
    let c = parse(PROFILE).unwrap();
    assert_eq!(c.default_view, DefaultView::Overview);
    assert_eq!((c.audit_max_mb, c.audit_keep), (10, 5));
    let p = &c.profiles["a"];
    assert_eq!(p.max_requests_per_hour, 1800);
    assert_eq!(p.ca_file, None);

    let text = format!(
        "default_view = \"fleet\"\naudit_max_mb = 2\naudit_keep = 9\n{PROFILE}ca_file = \"ca/root.pem\"\nmax_requests_per_hour = 600\n"
    );
    let c = parse(&text).unwrap();
    assert_eq!(c.default_view, DefaultView::Fleet);
    assert_eq!((c.audit_max_mb, c.audit_keep), (2, 9));
    let p = &c.profiles["a"];
    assert_eq!(p.max_requests_per_hour, 600);
    assert_eq!(p.ca_file.as_deref(), Some(Path::new("/etc/hubtop/ca/root.pem")), "relative to the config file");
    assert_eq!(hubtop::audit::Rotation::from_config(&c), hubtop::audit::Rotation { max_bytes: 2 << 20, keep: 9 });

    let e = parse("default_view = \"flet\"\n").unwrap_err();
    assert!(e.contains("flet") && e.contains("fleet") && e.contains("overview"), "lists the values: {e}");
    for v in DefaultView::ALL {
        assert_eq!(parse(&format!("default_view = \"{}\"\n", v.name())).unwrap().default_view, *v);
    }
    assert!(parse("audit_keep = 0\n").unwrap_err().contains("audit_keep"));
}

#[test]
fn credentials_in_an_instance_url_are_refused_without_echoing_them() {
    let text = "[profiles.a]\ninstance = \"https://admin:Hunter2secret@acme.service-now.com\"\nuser = \"u\"\nsecret = { env = \"A\" }\n";
    let e = parse(text).unwrap_err();
    assert!(e.contains("profile `a`") && e.contains("credentials"), "{e}");
    assert!(!e.contains("Hunter2secret"), "the password is not echoed: {e}");
    assert!(e.contains("acme.service-now.com"), "says which instance: {e}");
}

#[test]
fn a_profile_ca_file_reaches_the_client_config_and_must_exist() {
    let dir = tempdir("ca");
    let cfg = dir.join("config.toml");
    let text = format!("{PROFILE}ca_file = \"root.pem\"\nsecret = {{ command = \"echo pw\" }}\n")
        .replace("secret = { env = \"A\" }\n", "");
    std::fs::write(&cfg, &text).unwrap();
    let c = Config::load(&cfg).unwrap();
    let e = config::resolve("a", &c.profiles["a"], &NoKeyring).err().expect("a missing ca_file is an error");
    assert!(e.contains("ca_file") && e.contains("root.pem"), "{e}");
    std::fs::write(dir.join("root.pem"), "-----BEGIN CERTIFICATE-----\n").unwrap();
    let r = config::resolve("a", &c.profiles["a"], &NoKeyring).unwrap();
    assert_eq!(r.client.ca_file.as_deref(), Some(dir.join("root.pem").as_path()));
    assert_eq!(r.max_requests_per_hour, 1800);
}
