//! The real console panicking in a terminal (tmux): the terminal is restored, the
//! panic message shows, then the path of the log that holds its message and
//! backtrace; the log has them. Needs tmux (CI installs it): without it this fails,
//! it does not pass unrun.

use std::process::Command;
use std::time::{Duration, Instant};

struct Server(String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.0, "kill-server"]).output();
    }
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "needs tmux (.ci/run installs it)")]
fn a_console_panic_prints_the_log_path_and_the_log_holds_the_backtrace() {
    let socket = format!("hubtop-conv-panic-{}", std::process::id());
    let dir = std::env::temp_dir().join(&socket);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} HUBTOP_TEST_PANIC=1 RUST_BACKTRACE=0 {bin}; echo HUBTOP-EXITED $?; sleep 30",
        d = dir.display(),
        bin = env!("CARGO_BIN_EXE_hubtop"),
    );
    let started = Command::new("tmux")
        .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d", "-s", "p", "-x", "120", "-y", "40", &cmd])
        .status()
        .expect("tmux is installed (CI installs it)");
    assert!(started.success());
    let _server = Server(socket.clone());
    let deadline = Instant::now() + Duration::from_secs(60);
    let screen = loop {
        let out = Command::new("tmux").args(["-L", &socket, "capture-pane", "-p", "-J", "-t", "p"]).output().unwrap();
        let s = String::from_utf8_lossy(&out.stdout).to_string();
        if s.contains("HUBTOP-EXITED") {
            break s;
        }
        assert!(Instant::now() < deadline, "the console did not end:\n{s}");
        std::thread::sleep(Duration::from_millis(100));
    };
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
    let _ = std::fs::remove_dir_all(&dir);
}
