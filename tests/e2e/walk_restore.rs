//! The terminal is restored after a resize: the console entered the alternate screen at
//! one size and leaves it at another. tmux (3.3) then copied the last frame's lines onto
//! the shell's screen (above the prompt, into the scrollback) unless the alternate screen
//! is cleared before it is left. Checked on quit and on a panic, over the whole pane
//! including its scrollback. Needs tmux (CI installs it): without it these are reported
//! as ignored, they do not pass unrun.

use hubtop_tmux_gate::tmux_test;

use crate::common::TempDir;
use crate::common::proc::bin;
use crate::common::tmux::Tmux;
use crate::common::wait::T;

/// A line the console drew (frame borders, the header's context mark, its tabs).
fn console_lines(s: &str) -> Vec<&str> {
    s.lines().filter(|l| ['│', '┌', '└', '─', '⎈'].iter().any(|c| l.contains(*c)) || l.contains("Overview")).collect()
}

/// Starts the console (demo instance) at 80×24 between two shell markers, waits for its
/// first frame, resizes the pane to 160×45 and returns the pane.
fn console_then_resize(name: &str, env: &str, dir: &TempDir) -> Tmux {
    let cmd = format!(
        "echo BEFORE; HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} {env} {bin}; echo EXIT=$?; sleep 60",
        d = dir.display(),
        bin = bin(),
    );
    let t = Tmux::new(name, &cmd, 80, 24);
    t.wait("the console at 80x24", T, |s| s.contains("Counts by state") && s.contains("q quit"));
    t.resize(160, 45);
    t
}

/// The pane after the console ended: nothing of the console on the shell's screen nor in
/// its scrollback; BEFORE is the first line.
fn assert_restored(t: &Tmux, exit: &str) {
    let screen = t.wait("the console to end", T, |s| s.contains("EXIT="));
    assert!(screen.contains(exit), "{exit}:\n{screen}");
    let all = t.screen_and_history();
    let leaked = console_lines(&all);
    assert!(leaked.is_empty(), "the console's lines stay on the shell's screen: {leaked:#?}\n{all}");
    let first = all.lines().find(|l| !l.trim().is_empty());
    assert_eq!(first, Some("BEFORE"), "nothing above the shell's own output:\n{all}");
}

#[tmux_test]
fn quitting_after_a_resize_leaves_no_console_line_on_the_shell_screen() {
    let dir = TempDir::new("walk-restore-quit");
    let t = console_then_resize("walk-restore-quit", "", &dir);
    // The frame at the new size: the counts box spans the 160 columns, the footer is on
    // the 45th row.
    t.wait("the console at 160x45", T, |s| {
        let lines: Vec<&str> = s.lines().collect();
        lines.iter().any(|l| l.contains("Counts by state") && l.trim_end().chars().count() == 160)
            && lines.get(44).is_some_and(|l| l.contains("q quit"))
    });
    t.send(&["q"]);
    assert_restored(&t, "EXIT=0");
}

#[tmux_test]
fn a_panic_after_a_resize_leaves_no_console_line_on_the_shell_screen() {
    let dir = TempDir::new("walk-restore-panic");
    // The hook panics right after the first frame drawn at a size other than the first.
    let t = console_then_resize("walk-restore-panic", "HUBTOP_TEST_PANIC=resize RUST_BACKTRACE=0", &dir);
    assert_restored(&t, "EXIT=101");
    let all = t.screen_joined();
    assert!(all.contains("HUBTOP_TEST_PANIC: a deliberate panic after a resize"), "the panic message shows:\n{all}");
}
