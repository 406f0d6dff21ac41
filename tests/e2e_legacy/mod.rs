//! Helpers for the tests that run the real binary: tmux panes, `hubtop sim` as a child
//! process, a raw HTTP request to it, and the audit log read back.
#![allow(dead_code)]

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test; `HUBTOP_TEST_BIN` runs the same tests against another build
/// (to see them fail on an older one).
pub fn bin() -> String {
    std::env::var("HUBTOP_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_hubtop").to_string())
}

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn new(name: &str, cmd: &str, w: u16, h: u16) -> Tmux {
        let socket = format!("hubtop-test-{name}-{}", std::process::id());
        let ok = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-s", "t", "-x", &w.to_string(), "-y", &h.to_string(), cmd])
            .env_remove("TMUX")
            .status()
            .expect("tmux runs");
        assert!(ok.success(), "tmux session starts");
        Tmux { socket }
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["-L", &self.socket, "send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        Command::new("tmux").args(&args).status().expect("send-keys");
    }

    /// Types a `:` command and runs it.
    pub fn command(&self, text: &str) {
        self.send(&[":"]);
        self.send(&["-l", text]);
        self.send(&["Enter"]);
    }

    pub fn screen(&self) -> String {
        let out =
            Command::new("tmux").args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"]).output().expect("capture");
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
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

/// A child process killed when dropped, so a failing test leaves nothing running.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `hubtop sim` (no traffic, so nothing changes but what a test does) and its URL.
pub fn sim_child() -> (KillOnDrop, String) {
    let mut child =
        Command::new(bin()).args(["sim", "--port", "0", "--traffic", "0"]).stdout(Stdio::piped()).spawn().expect("sim");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
    (KillOnDrop(child), line.trim().trim_start_matches("listening on ").to_string())
}

/// One HTTP/1.1 request (admin's Basic auth); the status code and body.
pub fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let hostport = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(hostport).expect("connect to the sim");
    // admin:admin
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let code = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (code, body)
}

/// Sets the sim's faults (e.g. `latency=3s`).
pub fn faults(url: &str, spec: &str) {
    let (code, body) = http(url, "PUT", "/sim/faults", spec);
    assert_eq!(code, 204, "PUT /sim/faults {spec}: {body}");
}

/// A fresh data/config directory for one run.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hubtop-reliab-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// The audit log as (sent lines, done lines), ids compared as JSON (whatever their type).
pub fn audit(dir: &Path) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let text = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap_or_default();
    let mut sent = Vec::new();
    let mut done = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        match v["phase"].as_str() {
            Some("sent") => sent.push(v),
            Some("done") => done.push(v),
            _ => {}
        }
    }
    (sent, done)
}

/// Every "sent" line has exactly one "done" line; the outcomes of the sent ones, in order.
pub fn outcomes_paired(dir: &Path) -> Vec<String> {
    let (sent, done) = audit(dir);
    sent.iter()
        .map(|s| {
            let d: Vec<_> = done.iter().filter(|d| d["id"] == s["id"]).collect();
            assert_eq!(d.len(), 1, "one outcome for {s}; done lines: {done:?}");
            d[0]["outcome"].as_str().unwrap_or("?").to_string()
        })
        .collect()
}

/// Polls `cond` every 50 ms until it holds; panics with `what` after `timeout`.
pub fn until(what: &str, timeout: Duration, cond: impl Fn() -> bool) {
    let end = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The sys_ids of the outbound entries in error (through the CLI, before any fault).
pub fn error_entries(url: &str, dir: &Path) -> Vec<String> {
    let out = Command::new(bin())
        .args(["--instance", url, "--user", "admin", "get", "outbound", "--state", "error", "-o", "json"])
        .env("HUBTOP_PASSWORD", "admin")
        .env("HUBTOP_DATA_DIR", dir)
        .env("HUBTOP_CONFIG_DIR", dir)
        .output()
        .expect("get outbound");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v.as_array().expect("array").iter().filter_map(|r| r["sys_id"].as_str().map(str::to_string)).collect()
}

pub fn kill(pid: u32, signal: &str) {
    let ok = Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status().expect("kill");
    assert!(ok.success(), "kill -{signal} {pid}");
}
