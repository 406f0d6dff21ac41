//! Configuration: parsing (with property tests), profile selection, secret sources, and that no secret ends
//! up in any file hubtop writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use hubtop::config::{self, Config, Keyring, SecretSource};
use proptest::prelude::*;

use crate::common::TempDir;
use crate::common::proc::Sim;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("/etc/hubtop/config.toml")).map_err(|e| e.0)
}

const GOOD: &str = r#"
default_profile = "dev"
theme = "light"
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
[profiles.pw]
instance = "https://pw.example.com"
auth = "oauth_password"
client_id = "abc"
user = "ops"
secret = { keyring = true }
client_secret = { env = "HUBTOP_TEST_CS" }
"#;

#[test]
fn a_good_config_parses_and_selects_profiles() {
    let c = parse(GOOD).expect("valid");
    assert_eq!(c.select(None).unwrap().unwrap().0, "dev");
    assert_eq!(c.select(Some("prod")).unwrap().unwrap().1.tables.outbound, "x_acme_outbound");
    let err = c.select(Some("nope")).unwrap_err().0;
    assert!(err.contains("no profile `nope`") && err.contains("dev, prod, pw"), "{err}");
    let none = parse("theme = \"none\"").unwrap();
    assert!(none.select(None).unwrap().is_none(), "no profile: the embedded instance");
}

#[test]
fn errors_name_the_file_the_line_and_the_problem() {
    let unknown = "theme = \"default\"\n[profiles.dev]\ninstance = \"https://x\"\nuser = \"u\"\nsecret = { env = \"X\" }\npasword = \"oops\"\n";
    let e = parse(unknown).unwrap_err();
    assert!(e.starts_with("/etc/hubtop/config.toml:6"), "{e}");
    assert!(e.contains("pasword"), "{e}");
    let syntax = parse("theme = \n").unwrap_err();
    assert!(syntax.contains("config.toml:1"), "{syntax}");
    let no_secret = parse("[profiles.a]\ninstance = \"https://x\"\nuser = \"u\"\n").unwrap_err();
    assert!(no_secret.contains("profile `a`") && no_secret.contains("secret"), "{no_secret}");
    let two =
        parse("[profiles.a]\ninstance = \"https://x\"\nuser = \"u\"\nsecret = { env = \"A\", command = \"b\" }\n")
            .unwrap_err();
    assert!(two.contains("exactly one"), "{two}");
    let url = parse("[profiles.a]\ninstance = \"acme\"\nuser = \"u\"\nsecret = { env = \"A\" }\n").unwrap_err();
    assert!(url.contains("https://"), "{url}");
    let theme = parse("theme = \"neon\"").unwrap_err();
    assert!(theme.contains("neon"), "{theme}");
    let default = parse("default_profile = \"x\"").unwrap_err();
    assert!(default.contains("`x` is not a profile"), "{default}");
}

struct FakeKeyring(std::sync::Mutex<std::collections::HashMap<String, String>>);

impl Keyring for FakeKeyring {
    fn get(&self, profile: &str, what: &str) -> Result<String, String> {
        self.0
            .lock()
            .unwrap()
            .get(&format!("{profile}/{what}"))
            .cloned()
            .ok_or(format!("no entry hubtop/{profile}/{what}"))
    }
    fn set(&self, profile: &str, what: &str, secret: &str) -> Result<(), String> {
        self.0.lock().unwrap().insert(format!("{profile}/{what}"), secret.to_string());
        Ok(())
    }
}

#[test]
fn secrets_come_from_env_command_or_keyring_and_say_what_was_tried() {
    let kr = FakeKeyring(Default::default());
    let env = SecretSource { env: Some("HUBTOP_TEST_SURELY_UNSET".into()), ..Default::default() };
    let e = config::fetch_secret("dev", "secret", &env, &kr).unwrap_err();
    assert!(e.contains("HUBTOP_TEST_SURELY_UNSET"), "{e}");
    let cmd = SecretSource { command: Some("printf 'from-command\\n'".into()), ..Default::default() };
    assert_eq!(config::fetch_secret("dev", "secret", &cmd, &kr).unwrap(), "from-command");
    let bad = SecretSource { command: Some("exit 3".into()), ..Default::default() };
    let e = config::fetch_secret("dev", "secret", &bad, &kr).unwrap_err();
    assert!(e.contains("`exit 3`") && e.contains("exit 3"), "{e}");
    let ring = SecretSource { keyring: true, ..Default::default() };
    let e = config::fetch_secret("pw", "secret", &ring, &kr).unwrap_err();
    assert!(e.contains("hubtop/pw/secret"), "{e}");
    kr.set("pw", "secret", "from-keyring").unwrap();
    assert_eq!(config::fetch_secret("pw", "secret", &ring, &kr).unwrap(), "from-keyring");
    // A whole profile resolves, and its Debug output hides the secret.
    let c = parse(GOOD).unwrap();
    let r = config::resolve("prod", &c.profiles["prod"], &kr).expect("resolves");
    assert!(r.read_only && r.production);
    assert_eq!(r.client.rps, 5.0);
    assert!(!format!("{:?}", r.client).contains("prod-secret"));
}

#[test]
fn init_writes_the_default_once() {
    let dir = TempDir::new("cfg-init");
    let p = dir.join("config.toml");
    config::init(&p).expect("first time");
    assert!(std::fs::read_to_string(&p).unwrap().contains("[profiles.dev]"));
    std::fs::write(&p, "theme = \"none\"\n").unwrap();
    assert!(config::init(&p).is_err(), "never overwrites");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "theme = \"none\"\n");
}

fn bin(dir: &Path) -> Command {
    crate::common::proc::command(dir)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn a_run_with_a_secret_leaves_it_in_no_file() {
    let secret = "Zq7-not-in-any-file-Kx91";
    let sim = Sim::start_with_env(&[], &[("HUBTOP_SIM_PASSWORD", secret)]);
    let url = sim.url.clone();
    let cfg = TempDir::new("leak-cfg");
    let data = TempDir::new("leak-data");
    std::fs::write(
        cfg.join("config.toml"),
        format!("default_profile = \"t\"\n[profiles.t]\ninstance = \"{url}\"\nuser = \"admin\"\nsecret = {{ env = \"HUBTOP_TEST_LEAK\" }}\n"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        bin(&cfg)
            .args(args)
            .args(["--log-level", "trace"])
            .env("HUBTOP_CONFIG_DIR", &cfg)
            .env("HUBTOP_DATA_DIR", &data)
            .env("HUBTOP_TEST_LEAK", secret)
            .output()
            .expect("runs")
    };
    // An entry the rules let one skip: one in error (the demo makes them within seconds).
    let number = crate::common::wait::until_some("an entry in error", crate::common::wait::T, || {
        let out = run(&["get", "outbound", "--state", "error", "-o", "json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        rows[0]["number"].as_str().map(str::to_string)
    });
    let out = run(&["skip", &number]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A wrong secret is an authentication failure, exit 3.
    let bad = bin(&cfg)
        .args(["get", "providers"])
        .env("HUBTOP_CONFIG_DIR", &cfg)
        .env("HUBTOP_DATA_DIR", &data)
        .env("HUBTOP_TEST_LEAK", "wrong")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(3), "{}", String::from_utf8_lossy(&bad.stderr));
    drop(sim);
    let mut files = Vec::new();
    files_under(&cfg, &mut files);
    files_under(&data, &mut files);
    assert!(files.iter().any(|f| f.to_string_lossy().contains("audit.jsonl")), "the audit log was written: {files:?}");
    assert!(files.iter().any(|f| f.to_string_lossy().contains("logs")), "a log was written: {files:?}");
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        assert!(!text.contains(secret), "the secret is in {}", f.display());
        assert!(!text.contains("Authorization"), "auth header logged in {}", f.display());
    }
    for o in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(o).contains(secret));
    }
}

#[test]
fn bad_config_exits_2_and_a_read_only_profile_cannot_be_overridden() {
    let cfg = TempDir::new("cfg-bad");
    std::fs::write(cfg.join("config.toml"), "theme = \"default\"\nbogus = 1\n").unwrap();
    let out = bin(&cfg)
        .args(["get", "providers"])
        .env("HUBTOP_CONFIG_DIR", &cfg)
        .env("HUBTOP_DATA_DIR", &cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml:2") && err.contains("bogus"), "{err}");
    std::fs::write(
        cfg.join("config.toml"),
        "[profiles.ro]\ninstance = \"http://127.0.0.1:1\"\nuser = \"admin\"\nsecret = { command = \"echo x\" }\nread_only = true\n",
    )
    .unwrap();
    let out = bin(&cfg)
        .args(["--profile", "ro", "retry", "ISO1"])
        .env("HUBTOP_CONFIG_DIR", &cfg)
        .env("HUBTOP_DATA_DIR", &cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("read-only"));
    let missing = bin(&cfg)
        .args(["--profile", "nope", "get", "providers"])
        .env("HUBTOP_CONFIG_DIR", &cfg)
        .env("HUBTOP_DATA_DIR", &cfg)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no profile `nope`"));
}

#[test]
fn config_path_init_completions_and_help() {
    let cfg = TempDir::new("cfg-cmds");
    let out = bin(&cfg).args(["config", "path"]).env("HUBTOP_CONFIG_DIR", &cfg).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), cfg.join("config.toml").display().to_string());
    let out = bin(&cfg).args(["config", "init"]).env("HUBTOP_CONFIG_DIR", &cfg).output().unwrap();
    assert!(out.status.success());
    let again = bin(&cfg).args(["config", "init"]).env("HUBTOP_CONFIG_DIR", &cfg).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    for shell in ["bash", "zsh", "fish"] {
        let out = bin(&cfg).args(["completions", shell]).output().unwrap();
        assert!(out.status.success() && out.stdout.len() > 500, "{shell}");
    }
    for cmd in ["get", "retry", "skip", "rerun", "create", "update", "cancel", "sim", "config", "login"] {
        let out = bin(&cfg).args([cmd, "--help"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{cmd} --help");
        if cmd != "sim" {
            assert!(text.contains("Example"), "{cmd} --help has examples: {text}");
        }
    }
    let v = bin(&cfg).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("hubtop "));
}

// Property tests of parsing: any text — garbage, or the good config with a line cut,
// doubled or mangled — gives a config or an error naming the file and a line inside
// it, never a panic.

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
    let n = GOOD.lines().count();
    (0..n, 0..4u8, any::<String>(), 0usize..40).prop_map(move |(i, how, junk, cut)| {
        let mut lines: Vec<String> = GOOD.lines().map(str::to_string).collect();
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

/// The mode bits of `p` (permissions only).
#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

/// What hubtop writes about the user — the config naming where secrets come from, the
/// audit log of who did what — is readable by the user alone: files 0600, the
/// directories it creates for them 0700.
#[cfg(unix)]
#[test]
fn the_config_and_the_audit_log_are_readable_by_the_user_alone() {
    let home = TempDir::new("modes");
    let cfg = home.join("config/hubtop");
    let out =
        crate::common::proc::command(&home).args(["config", "init"]).env("HUBTOP_CONFIG_DIR", &cfg).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mode(&cfg.join("config.toml")), 0o600, "config.toml");
    assert_eq!(mode(&cfg), 0o700, "the config directory it created");

    let sim = Sim::start(&["--retry-interval", "3600"]);
    let data = home.join("data/hubtop");
    let entry = sim.wait_rows("ih_sync_outbound_record", "state=error", "an entry in error")[0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let out = crate::common::proc::command(&home)
        .args(["--instance", &sim.url, "--user", "admin", "skip", &entry])
        .env("HUBTOP_PASSWORD", "admin")
        .env("HUBTOP_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(crate::common::audit::outcomes(&data.join("audit.jsonl")).len(), 1, "the skip was audited");
    assert_eq!(mode(&data.join("audit.jsonl")), 0o600, "audit.jsonl");
    assert_eq!(mode(&data.join("audit.jsonl.lock")), 0o600, "its lock");
}
