//! The real console panicking in a terminal (tmux): the terminal is restored, the
//! panic message shows, then the path of the log that holds its message and
//! backtrace; the log has them. Needs tmux (CI installs it): without it this is
//! reported as ignored, it does not pass unrun.

use hubtop_tmux_gate::tmux_test;

use crate::common::TempDir;
use crate::common::proc::bin;
use crate::common::tmux::Tmux;
use crate::common::wait::T;

#[tmux_test]
fn a_console_panic_prints_the_log_path_and_the_log_holds_the_backtrace() {
    let dir = TempDir::new("conv-panic-tmux");
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} HUBTOP_TEST_PANIC=1 RUST_BACKTRACE=0 {bin}; echo HUBTOP-EXITED $?; sleep 30",
        d = dir.display(),
        bin = bin(),
    );
    let t = Tmux::new("conv-panic", &cmd, 120, 40);
    t.wait("the console to end", T, |s| s.contains("HUBTOP-EXITED"));
    let screen = t.screen_joined();
    let log_dir = dir.join("logs");
    let said = screen
        .lines()
        .find_map(|l| l.split_once("the message and backtrace are in ").map(|(_, p)| p.trim().to_string()))
        .unwrap_or_else(|| panic!("the log path is printed:\n{screen}"));
    assert!(said.starts_with(&log_dir.display().to_string()), "{said}");
    let msg_at = screen.find("HUBTOP_TEST_PANIC: a deliberate panic").expect("the panic message shows");
    assert!(msg_at < screen.find("backtrace are in").unwrap(), "message first, then the path:\n{screen}");
    let log = std::fs::read_to_string(&said).expect("the printed path is the log");
    assert!(log.contains("PANIC") && log.contains("HUBTOP_TEST_PANIC: a deliberate panic"), "{log}");
    assert!(log.contains("backtrace:\n") && log.contains("hubtop::console::terminal"), "a symbolised backtrace: {log}");
}
