//! The real binary in tmux, as an operator runs it: the overview appears, a failure is
//! drilled into, the failing step's response code and message are on screen, `q` exits
//! and the terminal is restored. Reported as ignored where tmux is not installed.

mod e2e_common;

use e2e_common::*;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

#[test]
#[cfg_attr(not(has_tmux), ignore = "needs tmux (.ci/run installs it)")]
fn drill_from_the_overview_to_the_failing_step_then_quit_and_restore() {
    let bin = env!("CARGO_BIN_EXE_hubtop");
    let dir = std::env::temp_dir().join(format!("hubtop-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let stty = dir.join("stty.txt");
    // After hubtop exits, record the terminal modes and keep the pane open.
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} {bin}; stty -a > {s}; echo HUBTOP-EXITED $?; sleep 30",
        d = dir.display(),
        s = stty.display()
    );
    let t = Tmux::new("drill", &cmd, 120, 40);
    t.wait("the overview with error groups", T, |s| s.contains("Counts by state") && s.contains("HTTP 401"));
    // 1: the top error group's entries; 2: the first entry's trace.
    t.send(&["Enter"]);
    t.wait("the group's failed entries", T, |s| s.contains("filter: error group") && s.contains("ISO"));
    t.send(&["Enter"]);
    let s = t.wait("the failing step", T, |s| s.contains("✖ error") && s.contains("Step "));
    assert!(
        s.contains("response code") || s.contains("connection refused"),
        "the failing step's response code (or the connection error) is on screen:\n{s}"
    );
    assert!(s.contains("HTTP") || s.contains("connection refused"), "and its message:\n{s}");
    t.send(&["q"]);
    let s = t.wait("hubtop to exit", T, |s| s.contains("HUBTOP-EXITED"));
    assert!(s.contains("HUBTOP-EXITED 0"), "exit code 0:\n{s}");
    let modes = std::fs::read_to_string(&stty).expect("stty output");
    assert!(modes.contains(" echo ") || modes.contains(" echo\n"), "echo restored: {modes}");
    assert!(modes.contains(" icanon"), "canonical mode restored: {modes}");
    assert!(!modes.contains("-icanon"), "{modes}");
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "needs tmux (.ci/run installs it)")]
fn killed_console_leaves_a_usable_shell() {
    for signal in ["TERM", "HUP", "INT"] {
        let (t, dir) = console_in_tmux(&format!("kill-{signal}"), "");
        t.wait("the console", T, |s| s.contains("Counts by state"));
        let pid = std::fs::read_to_string(dir.join("pid")).expect("pid").trim().to_string();
        Command::new("kill").args([&format!("-{signal}"), &pid]).status().expect("kill");
        t.wait("the shell", T, |s| s.contains("HUBTOP-EXITED"));
        let modes = std::fs::read_to_string(dir.join("stty.txt")).expect("stty output");
        assert!(
            !modes.contains("-icanon") && !modes.contains("-echo "),
            "terminal restored after SIG{signal}: {modes}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "needs tmux (.ci/run installs it)")]
fn a_panic_restores_the_terminal_then_prints_its_message() {
    let (t, dir) = console_in_tmux("panic", "HUBTOP_TEST_PANIC=1 RUST_BACKTRACE=0");
    // The message is printed after the alternate screen is left, so it stays on the
    // shell's screen; printed before, it would vanish with the alternate screen.
    let s = t.wait("the shell", T, |s| s.contains("HUBTOP-EXITED"));
    assert!(s.contains("HUBTOP_TEST_PANIC: a deliberate panic"), "panic message on the restored screen:\n{s}");
    assert!(!s.contains("Counts by state"), "the console's screen is gone:\n{s}");
    let modes = std::fs::read_to_string(dir.join("stty.txt")).expect("stty output");
    assert!(!modes.contains("-icanon") && !modes.contains("-echo "), "terminal restored after a panic: {modes}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The console in a tmux pane; when it ends, the shell records `stty -a` and says so.
fn console_in_tmux(name: &str, env: &str) -> (Tmux, std::path::PathBuf) {
    let bin = env!("CARGO_BIN_EXE_hubtop");
    let dir = std::env::temp_dir().join(format!("hubtop-e2e-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} {env} {bin} & echo $! > {d}/pid; wait; stty -a > {d}/stty.txt; echo HUBTOP-EXITED; sleep 30",
        d = dir.display(),
    );
    (Tmux::new(name, &cmd, 100, 30), dir)
}

fn put(url: &str, body: &str) {
    let ok = Command::new("curl").args(["-s", "-X", "PUT", "--data", body, url]).status();
    assert!(ok.is_ok_and(|s| s.success()), "curl PUT {url}");
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "needs tmux (.ci/run installs it)")]
fn retry_a_failed_work_order_then_skip_three_entries_with_confirmation() {
    assert!(Command::new("curl").arg("--version").output().is_ok(), "this test needs curl (.ci/run installs it)");
    let (_sim, url) = sim_child();
    let dir = std::env::temp_dir().join(format!("hubtop-e2e-act-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} HUBTOP_PASSWORD=admin {bin} --instance {url} --user admin; sleep 30",
        d = dir.display(),
        bin = env!("CARGO_BIN_EXE_hubtop")
    );
    let t = Tmux::new("act", &cmd, 140, 40);
    t.wait("the overview", T, |s| s.contains("Counts by state") && s.contains("HTTP 401"));
    // The providers are fixed; now the failed work orders can be retried.
    for slug in ["keystone", "rapidfix", "mangled", "brightfm"] {
        put(&format!("{url}/sim/providers/{slug}"), "healthy");
    }
    // A work order that failed at Keystone (401), whose credentials are now fixed.
    let providers = Command::new(env!("CARGO_BIN_EXE_hubtop"))
        .args(["--instance", &url, "--user", "admin", "get", "providers", "-o", "json"])
        .env("HUBTOP_PASSWORD", "admin")
        .env("HUBTOP_DATA_DIR", &dir)
        .env("HUBTOP_CONFIG_DIR", &dir)
        .output()
        .expect("get providers");
    let providers: serde_json::Value = serde_json::from_slice(&providers.stdout).expect("json");
    let keystone = providers
        .as_array()
        .and_then(|a| a.iter().find(|p| p["title"] == "Keystone Property Services"))
        .and_then(|p| p["sys_id"].as_str())
        .expect("Keystone")
        .to_string();
    let filter = format!("integration_state=create_failed^fm_provider={keystone}");
    t.send(&["3"]);
    t.wait("work orders", T, |s| s.contains("Work orders ["));
    t.send(&["/"]);
    t.send(&["-l", &filter]);
    t.send(&["Enter"]);
    t.wait("failed work orders", T, |s| {
        s.contains("filter: integration_state=create_failed") && s.contains("Create failed")
    });
    t.send(&["r"]);
    // The execution it started is followed live, then its outcome is shown.
    let s = t
        .wait("the execution's outcome", T, |s| s.contains("Create Work Order") && s.contains("Work order created at"));
    assert!(s.contains("✔ COMPLETE") || s.contains("✔ complete"), "{s}");
    // Mark three entries in error and skip them, confirming.
    t.send(&["4"]);
    t.wait("outbound", T, |s| s.contains("Outbound ["));
    t.send(&["/"]);
    t.send(&["-l", "state=error"]);
    t.send(&["Enter"]);
    t.wait("entries in error", T, |s| s.contains("filter: state=error") && s.matches("✖ Error").count() >= 3);
    t.send(&["Space", "Space", "Space"]);
    t.wait("three marked", T, |s| s.contains("3 marked"));
    t.send(&["x"]);
    let s = t.wait("the confirmation", T, |s| s.contains("Skip 3 records?"));
    assert!(s.contains("3 × PATCH outbound state=skipped"), "{s}");
    t.send(&["y"]);
    // The outcome is in the status area (no dialog to dismiss).
    t.wait("the summary", T, |s| s.contains("skip of 3 finished") && s.contains("✔ 3 skipped"));
    t.send(&["Escape", "q"]);
}

fn audit_lines(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn counters(url: &str) -> serde_json::Value {
    let out = Command::new("curl").args(["-s", &format!("{url}/sim/counters")]).output().expect("curl");
    serde_json::from_slice(&out.stdout).expect("counters json")
}

/// Issue 12: typing a filter in a detail sends nothing (the letters are text, not keys),
/// and a create pressed twice goes to the provider once.
#[test]
#[cfg_attr(not(has_tmux), ignore = "needs tmux (.ci/run installs it)")]
fn typed_text_never_acts_and_a_create_pressed_twice_is_sent_once() {
    assert!(Command::new("curl").arg("--version").output().is_ok(), "this test needs curl (.ci/run installs it)");
    let (_sim, url) = sim_child();
    let dir = std::env::temp_dir().join(format!("hubtop-e2e-safety-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} HUBTOP_PASSWORD=admin {bin} --instance {url} --user admin; sleep 30",
        d = dir.display(),
        bin = env!("CARGO_BIN_EXE_hubtop")
    );
    let t = Tmux::new("safety", &cmd, 140, 40);
    t.wait("the overview", T, |s| s.contains("Counts by state") && s.contains("HTTP 401"));
    // An outbound entry in error, opened; then `/error` and Enter typed in its detail.
    t.send(&["4"]);
    t.wait("outbound", T, |s| s.contains("Outbound ["));
    t.send(&["/"]);
    t.send(&["-l", "state=error"]);
    t.send(&["Enter"]);
    t.wait("entries in error", T, |s| s.contains("filter: state=error") && s.contains("✖ Error"));
    t.send(&["Enter"]);
    t.wait("the entry's detail", T, |s| s.contains("Outbound entry ISO"));
    t.send(&["/"]);
    t.send(&["-l", "error"]);
    t.send(&["Enter"]);
    t.wait("the prompt closed", T, |s| s.contains("Outbound entry ISO") && !s.contains(" / error"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(audit_lines(&dir).is_empty(), "nothing was sent: {:?}", audit_lines(&dir));
    // A not-synced work order: `n`, confirm, and `n` `y` again at once.
    let before = counters(&url)["trigger_posts"].as_u64().unwrap_or(0);
    t.send(&["3"]);
    t.wait("work orders", T, |s| s.contains("Work orders ["));
    t.send(&["/"]);
    t.send(&["-l", "integration_state=not_synced"]);
    t.send(&["Enter"]);
    t.wait("the not-synced order", T, |s| {
        s.contains("filter: integration_state=not_synced") && s.contains("Not synced")
    });
    t.send(&["n"]);
    t.wait("the preview", T, |s| s.contains("Create 1 record?") && s.contains("create subflow"));
    t.send(&["y", "n", "y"]);
    t.wait("the create's outcome", T, |s| s.contains("Work order created at") || s.contains("create WPT"));
    std::thread::sleep(Duration::from_millis(1500));
    let creates: Vec<_> =
        audit_lines(&dir).into_iter().filter(|l| l["action"] == "create" && l["phase"] == "sent").collect();
    assert_eq!(creates.len(), 1, "one create sent: {creates:?}");
    assert_eq!(counters(&url)["trigger_posts"].as_u64().unwrap_or(0), before + 1, "one trigger at the instance");
    t.send(&["q"]);
}
