//! The real binary in tmux, as an operator runs it: the overview appears, a failure is
//! drilled into, the failing step's response code and message are on screen, `q` exits
//! and the terminal is restored. Reported as ignored where tmux is not installed.

use hubtop_tmux_gate::tmux_test;

use crate::common::TempDir;
use crate::common::proc::{Sim, bin, command, kill};
use crate::common::tmux::Tmux;
use crate::common::wait::{T, until};

#[tmux_test]
fn drill_from_the_overview_to_the_failing_step_then_quit_and_restore() {
    let dir = TempDir::new("e2e-drill");
    let stty = dir.join("stty.txt");
    // After hubtop exits, record the terminal modes and keep the pane open.
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} {bin}; stty -a > {s}; echo HUBTOP-EXITED $?; sleep 30",
        d = dir.display(),
        s = stty.display(),
        bin = bin(),
    );
    let t = Tmux::new("drill", &cmd, 120, 40);
    t.wait("the overview with error groups", T, |s| s.contains("Counts by state") && s.contains("HTTP 401"));
    // 1: the top error group's entries; 2: the first entry's trace.
    t.send(&["Enter"]);
    let list = t.wait("the group's failed entries", T, |s| s.contains("filter: error group") && s.contains("ISO"));
    // Which group is on top is the demo's timing; the entries say which one was opened,
    // and the failing step must then show that failure.
    let first = list.lines().find(|l| l.contains("ISO")).expect("an entry");
    // What the failing step must show, by how the entry failed: the provider's status
    // and message, its unreadable answer, or the connection error.
    let code_after = |p: &str| {
        first
            .split(p)
            .nth(1)
            .map(|r| r.chars().take(3).collect::<String>())
            .filter(|c| c.len() == 3 && c.chars().all(|d| d.is_ascii_digit()))
    };
    let want: Vec<String> = if let Some(code) = code_after("HTTP ") {
        vec!["response code".into(), format!("HTTP {code}")]
    } else if let Some(code) = code_after("provider answered ") {
        vec![format!("provider answered {code}")]
    } else if first.contains("connection refused") {
        vec!["connection refused".into()]
    } else {
        panic!("an entry failed in a way this test does not know: {first}")
    };
    t.send(&["Enter"]);
    let s = t.wait("the failing step", T, |s| s.contains("✖ error") && s.contains("Step "));
    for w in &want {
        assert!(s.contains(w.as_str()), "the entry failed with {first:?}: `{w}` is on the step's screen:\n{s}");
    }
    t.send(&["q"]);
    let s = t.wait("hubtop to exit", T, |s| s.contains("HUBTOP-EXITED"));
    assert!(s.contains("HUBTOP-EXITED 0"), "exit code 0:\n{s}");
    let modes = std::fs::read_to_string(&stty).expect("stty output");
    assert!(modes.contains(" echo ") || modes.contains(" echo\n"), "echo restored: {modes}");
    assert!(modes.contains(" icanon"), "canonical mode restored: {modes}");
    assert!(!modes.contains("-icanon"), "{modes}");
}

#[tmux_test]
fn killed_console_leaves_a_usable_shell() {
    for signal in ["TERM", "HUP", "INT"] {
        let (t, dir) = console_in_tmux(&format!("kill-{signal}"), "");
        t.wait("the console", T, |s| s.contains("Counts by state"));
        let pid = std::fs::read_to_string(dir.join("pid")).expect("pid").trim().parse().expect("pid");
        kill(pid, signal);
        t.wait("the shell", T, |s| s.contains("HUBTOP-EXITED"));
        let modes = std::fs::read_to_string(dir.join("stty.txt")).expect("stty output");
        assert!(
            !modes.contains("-icanon") && !modes.contains("-echo "),
            "terminal restored after SIG{signal}: {modes}"
        );
    }
}

#[tmux_test]
fn a_panic_restores_the_terminal_then_prints_its_message() {
    let (t, dir) = console_in_tmux("panic", "HUBTOP_TEST_PANIC=1 RUST_BACKTRACE=0");
    // The message is printed after the alternate screen is left, so it stays on the
    // shell's screen; printed before, it would vanish with the alternate screen.
    let s = t.wait("the shell", T, |s| s.contains("HUBTOP-EXITED"));
    assert!(s.contains("HUBTOP_TEST_PANIC: a deliberate panic"), "panic message on the restored screen:\n{s}");
    assert!(!s.contains("Counts by state"), "the console's screen is gone:\n{s}");
    let modes = std::fs::read_to_string(dir.join("stty.txt")).expect("stty output");
    assert!(!modes.contains("-icanon") && !modes.contains("-echo "), "terminal restored after a panic: {modes}");
}

/// The console in a tmux pane; when it ends, the shell records `stty -a` and says so.
fn console_in_tmux(name: &str, env: &str) -> (Tmux, TempDir) {
    let dir = TempDir::new(&format!("e2e-{name}"));
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} {env} {bin} & echo $! > {d}/pid; wait; stty -a > {d}/stty.txt; echo HUBTOP-EXITED; sleep 30",
        d = dir.display(),
        bin = bin(),
    );
    (Tmux::new(name, &cmd, 100, 30), dir)
}

/// The console against the sim in a pane, with its directories in `dir`.
fn console_on(name: &str, sim: &Sim, dir: &TempDir) -> Tmux {
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} HUBTOP_PASSWORD=admin {bin} --instance {url} --user admin; sleep 30",
        d = dir.display(),
        bin = bin(),
        url = sim.url,
    );
    Tmux::new(name, &cmd, 140, 40)
}

#[tmux_test]
fn retry_a_failed_work_order_then_skip_three_entries_with_confirmation() {
    let sim = Sim::start(&[]);
    let dir = TempDir::new("e2e-act");
    let t = console_on("act", &sim, &dir);
    t.wait("the overview", T, |s| s.contains("Counts by state") && s.contains("HTTP 401"));
    // The providers are fixed; now the failed work orders can be retried.
    for slug in ["keystone", "rapidfix", "mangled", "brightfm"] {
        let (code, body) = crate::common::proc::http(&sim.url, "PUT", &format!("/sim/providers/{slug}"), "healthy");
        assert!((200..300).contains(&code), "PUT /sim/providers/{slug}: {code} {body}");
    }
    // A work order that failed at Keystone (401), whose credentials are now fixed.
    let providers = command(&dir)
        .args(["--instance", &sim.url, "--user", "admin", "get", "providers", "-o", "json"])
        .env("HUBTOP_PASSWORD", "admin")
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
    // A failed create sent again is previewed first, as `n` is; y sends it.
    t.send(&["r"]);
    t.wait("the preview", T, |s| s.contains("Create 1 record?") && s.contains("create subflow"));
    t.send(&["y"]);
    // The execution it started is followed live, then its outcome is shown.
    let s = t
        .wait("the execution's outcome", T, |s| s.contains("Create Work Order") && s.contains("Work order created at"));
    assert!(s.contains("✔ COMPLETE") || s.contains("✔ complete"), "{s}");
    // Mark three entries in error and skip them, confirming.
    t.mark_errors(3);
    t.send(&["x"]);
    let s = t.wait("the confirmation", T, |s| s.contains("Skip 3 records?"));
    assert!(s.contains("3 × PATCH outbound state=skipped"), "{s}");
    t.send(&["y"]);
    // The outcome is in the status area (no dialog to dismiss).
    t.wait("the summary", T, |s| s.contains("skip of 3 finished") && s.contains("✔ 3 skipped"));
    t.send(&["Escape", "q"]);
}

/// Issue 12: typing a filter in a detail sends nothing (the letters are text, not keys),
/// and a create pressed twice goes to the provider once.
#[tmux_test]
fn typed_text_never_acts_and_a_create_pressed_twice_is_sent_once() {
    let sim = Sim::start(&[]);
    let dir = TempDir::new("e2e-safety");
    let t = console_on("safety", &sim, &dir);
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
    // (Whether the typed text sent anything is read from the audit log at the end: by
    // then anything it had sent would be there, before the create that followed it.)
    // A not-synced work order: `n`, confirm, and `n` `y` again at once.
    let before = sim.counter("trigger_posts");
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
    until("the create's outcome in the audit log", T, || !crate::common::audit::split(&dir).1.is_empty());
    let (sent, done) = crate::common::audit::split(&dir);
    let actions: Vec<&str> = sent.iter().map(|l| l["action"].as_str().unwrap_or("?")).collect();
    assert_eq!(actions, ["create"], "the typed text sent nothing, and one create was sent: {sent:?}");
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(sim.counter("trigger_posts"), before + 1, "one trigger at the instance");
    t.send(&["q"]);
}
