//! The real binary in tmux, as an operator runs it: the overview appears, a failure is
//! drilled into, the failing step's response code and message are on screen, `q` exits
//! and the terminal is restored. Skipped (with a note) where tmux is not installed.

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
    }

    fn new(name: &str, cmd: &str, w: u16, h: u16) -> Tmux {
        let socket = format!("hubtop-test-{name}-{}", std::process::id());
        let ok = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-s", "t", "-x", &w.to_string(), "-y", &h.to_string(), cmd])
            .env_remove("TMUX")
            .status()
            .expect("tmux runs");
        assert!(ok.success(), "tmux session starts");
        Tmux { socket }
    }

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["-L", &self.socket, "send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        Command::new("tmux").args(&args).status().expect("send-keys");
    }

    fn screen(&self) -> String {
        let out =
            Command::new("tmux").args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"]).output().expect("capture");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls the screen until `pred` holds; panics with the screen after `timeout`.
    fn wait(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(Instant::now() < end, "timed out waiting for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

const T: Duration = Duration::from_secs(30);

#[test]
fn drill_from_the_overview_to_the_failing_step_then_quit_and_restore() {
    if !Tmux::available() {
        eprintln!("skipped: tmux is not installed (.ci/run installs it)");
        return;
    }
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
fn killed_console_leaves_a_usable_shell() {
    if !Tmux::available() {
        eprintln!("skipped: tmux is not installed (.ci/run installs it)");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_hubtop");
    let dir = std::env::temp_dir().join(format!("hubtop-e2e-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let stty = dir.join("stty.txt");
    let pidfile = dir.join("pid");
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} {bin} & echo $! > {p}; wait; stty -a > {s}; echo HUBTOP-EXITED; sleep 30",
        d = dir.display(),
        p = pidfile.display(),
        s = stty.display()
    );
    let t = Tmux::new("kill", &cmd, 100, 30);
    t.wait("the console", T, |s| s.contains("Counts by state"));
    let pid = std::fs::read_to_string(&pidfile).expect("pid").trim().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    t.wait("the shell", T, |s| s.contains("HUBTOP-EXITED"));
    let modes = std::fs::read_to_string(&stty).expect("stty output");
    assert!(!modes.contains("-icanon") && !modes.contains("-echo "), "terminal restored after SIGTERM: {modes}");
}
