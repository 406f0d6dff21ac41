//! The conventions a CLI user expects: a man page, completions and help that touch no
//! directory, a validated `--log-level`, `HUBTOP_LOG` / `RUST_LOG`, `HUBTOP_PROFILE`,
//! and the exit codes in `--help`.

use std::process::Output;

use crate::common::TempDir;

/// A directory that does not exist yet, inside a temporary one: the commands that must
/// create nothing are pointed at it.
fn tempdir(tag: &str) -> (TempDir, std::path::PathBuf) {
    let parent = TempDir::new(&format!("conv-cli-{tag}"));
    let dir = parent.join("home");
    (parent, dir)
}

/// Runs hubtop with its config and data directories at `dir/config` and `dir/data`.
fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = crate::common::proc::command(dir);
    c.args(args).env("HUBTOP_CONFIG_DIR", dir.join("config")).env("HUBTOP_DATA_DIR", dir.join("data"));
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("hubtop runs")
}

#[test]
fn hubtop_man_prints_a_roff_page() {
    let (_parent, dir) = tempdir("man");
    let out = run(&dir, &["man"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = String::from_utf8_lossy(&out.stdout);
    let head: Vec<&str> = page.lines().take(10).collect();
    assert!(page.starts_with(".TH") || page.starts_with(".ie"), "roff: {head:?}");
    assert!(page.contains(".TH hubtop 1"), "a section-1 page named hubtop: {head:?}");
    assert!(page.contains("Exit codes"), "the exit codes are in the page too");
}

#[test]
fn completions_man_and_help_create_nothing_in_the_data_directory() {
    let (_parent, dir) = tempdir("nodata");
    for args in [
        &["completions", "bash"][..],
        &["completions", "zsh"],
        &["completions", "fish"],
        &["man"],
        &["--help"],
        &["get", "--help"],
        &["--version"],
    ] {
        let out = run(&dir, args, &[]);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stdout.is_empty(), "{args:?} printed something");
        assert!(!dir.exists(), "{args:?} created {}", dir.display());
    }
}

#[test]
fn a_bogus_log_level_is_a_usage_error() {
    let (_parent, dir) = tempdir("loglevel");
    let out = run(&dir, &["--log-level", "bogus", "config", "path"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bogus") && err.contains("error, warn, info, debug, trace"), "{err}");
    assert!(!dir.exists(), "nothing was created");
    for level in ["error", "warn", "info", "debug", "trace"] {
        let ok = run(&dir, &["--log-level", level, "config", "path"], &[]);
        assert!(ok.status.success(), "{level}");
    }
}

#[test]
fn hubtop_log_and_rust_log_are_read_in_that_order() {
    let (_parent, dir) = tempdir("envlog");
    let bad = run(&dir, &["config", "path"], &[("HUBTOP_LOG", "hubtop=loud"), ("RUST_LOG", "also=bad")]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("HUBTOP_LOG") && err.contains("hubtop=loud"), "HUBTOP_LOG is read first: {err}");
    assert!(bad.status.success(), "a bad filter falls back to info, it does not stop the command");
    let rust = run(&dir, &["config", "path"], &[("RUST_LOG", "also=bad")]);
    let err = String::from_utf8_lossy(&rust.stderr);
    assert!(err.contains("RUST_LOG") && err.contains("also=bad"), "then RUST_LOG: {err}");
    let good = run(&dir, &["config", "path"], &[("HUBTOP_LOG", "hubtop=debug,warn")]);
    assert!(good.stderr.is_empty(), "{}", String::from_utf8_lossy(&good.stderr));
}

#[test]
fn help_lists_the_exit_codes() {
    let (_parent, dir) = tempdir("help");
    let out = run(&dir, &["--help"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    for line in
        ["Exit codes:", "0  done", "1  failed", "2  usage", "3  authentication", "4  unreachable", "5  not permitted"]
    {
        assert!(text.contains(line), "`{line}` in --help:\n{text}");
    }
}

#[test]
fn hubtop_profile_selects_the_profile() {
    let (_parent, dir) = tempdir("profile");
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(
        dir.join("config/config.toml"),
        "[profiles.ro]\ninstance = \"http://127.0.0.1:1\"\nuser = \"admin\"\nsecret = { command = \"echo x\" }\nread_only = true\n",
    )
    .unwrap();
    let missing = run(&dir, &["get", "providers"], &[("HUBTOP_PROFILE", "nope")]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no profile `nope`"));
    // The read-only profile, chosen through the environment, refuses a write.
    let refused = run(&dir, &["retry", "ISO1"], &[("HUBTOP_PROFILE", "ro")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("read-only"));
}
