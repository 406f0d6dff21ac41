//! tmux panes for the end-to-end tests: a server per test (its own socket), killed on drop.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::proc::bin;
use super::wait::T;

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A `w`×`h` pane running `cmd` in `sh`, on a tmux server of its own (no user config).
    pub fn new(name: &str, cmd: &str, w: u16, h: u16) -> Tmux {
        let socket = format!("hubtop-test-{name}-{}", std::process::id());
        let _ = Command::new("tmux").args(["-L", &socket, "kill-server"]).output();
        let ok = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d", "-s", "t"])
            .args(["-x", &w.to_string(), "-y", &h.to_string(), cmd])
            .env_remove("TMUX")
            .status()
            .expect("tmux runs (.ci/run installs it)");
        assert!(ok.success(), "tmux session starts");
        Tmux { socket }
    }

    /// A `w`×`h` pane running the console against `url` as admin, with `dir` as its
    /// config and data directories; the pane stays a minute after the console ends.
    pub fn console(name: &str, url: &str, dir: &Path, w: u16, h: u16) -> Tmux {
        let cmd = format!(
            "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} HUBTOP_PASSWORD=admin {bin} --instance {url} --user admin; sleep 60",
            d = dir.display(),
            bin = bin()
        );
        Tmux::new(name, &cmd, w, h)
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["-L", &self.socket, "send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        let ok = Command::new("tmux").args(&args).status().expect("send-keys");
        assert!(ok.success(), "send-keys {keys:?}");
    }

    /// Types a `:` command and runs it.
    pub fn command(&self, text: &str) {
        self.send(&[":"]);
        self.send(&["-l", text]);
        self.send(&["Enter"]);
    }

    /// On a console: opens the outbound list filtered to `state=error`, waits for `n`
    /// entries in error and marks the first `n`.
    pub fn mark_errors(&self, n: usize) {
        self.send(&["4"]);
        self.wait("outbound", T, |s| s.contains("Outbound ["));
        self.send(&["/"]);
        self.send(&["-l", "state=error"]);
        self.send(&["Enter"]);
        self.wait("entries in error", T, |s| s.contains("filter: state=error") && s.matches("✖ Error").count() >= n);
        for _ in 0..n {
            self.send(&["Space"]);
        }
        let marked = format!("{n} marked");
        self.wait(&marked, T, |s| s.contains(&marked));
    }

    /// Resizes the window (and its pane) to `w`×`h`.
    pub fn resize(&self, w: u16, h: u16) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "resize-window", "-t", "t", "-x", &w.to_string(), "-y", &h.to_string()])
            .status()
            .expect("resize-window");
        assert!(ok.success(), "resize-window {w}x{h}");
    }

    /// The scrollback and the screen, oldest line first.
    pub fn screen_and_history(&self) -> String {
        self.capture(&["-S", "-"])
    }

    pub fn screen(&self) -> String {
        self.capture(&[])
    }

    /// The screen with wrapped lines joined.
    pub fn screen_joined(&self) -> String {
        self.capture(&["-J"])
    }

    fn capture(&self, extra: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
            .args(extra)
            .output()
            .expect("capture");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls the screen until `pred` holds; panics with the screen after `timeout`.
    pub fn wait(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
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
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
    }
}
