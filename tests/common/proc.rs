//! The real binary as a process: a command with its own directories, and `hubtop sim`
//! as a child process killed on drop, with a data directory of its own.

use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::dirs::TempDir;
use super::wait::until_some;

/// The binary under test; `HUBTOP_TEST_BIN` runs the same tests against another build
/// (to see them fail on an older one).
pub fn bin() -> String {
    std::env::var("HUBTOP_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_hubtop").to_string())
}

/// `hubtop` with its config and data directories in `dir`, stdin closed, and none of
/// the caller's HUBTOP_* settings.
pub fn command(dir: &Path) -> Command {
    let mut c = Command::new(bin());
    c.env("HUBTOP_CONFIG_DIR", dir)
        .env("HUBTOP_DATA_DIR", dir)
        .env_remove("HUBTOP_PROFILE")
        .env_remove("HUBTOP_INSTANCE")
        .env_remove("HUBTOP_USER")
        .env_remove("HUBTOP_PASSWORD")
        .env_remove("HUBTOP_LOG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

/// Exit code, stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A child process killed (and reaped) when dropped, so a failing test leaves nothing running.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `hubtop sim --port 0 --traffic 0` (plus `args`, which may name a `--traffic` of their
/// own) as a child process, its config and data directory (logs) in a temporary
/// directory of its own; killed on drop.
pub struct Sim {
    child: KillOnDrop,
    pub url: String,
    /// The sim's directories; also handy as the directories of the commands run against it.
    pub dir: TempDir,
}

impl Sim {
    pub fn start(args: &[&str]) -> Sim {
        Sim::start_with_env(args, &[])
    }

    /// With `env` set for the sim (e.g. `HUBTOP_SIM_PASSWORD`).
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Sim {
        let dir = TempDir::new("sim");
        let traffic: &[&str] = if args.contains(&"--traffic") { &[] } else { &["--traffic", "0"] };
        let child = command(&dir)
            .args(["sim", "--port", "0"])
            .args(traffic)
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn hubtop sim");
        let mut child = KillOnDrop(child);
        let url = listening_url(&mut child.0);
        Sim { child, url, dir }
    }

    /// With `--retry-interval 3600` too: nothing changes on the instance but what the
    /// test does (once the seeded entries it is sending at its start are done).
    pub fn quiet(args: &[&str]) -> Sim {
        let mut all = vec!["--retry-interval", "3600"];
        all.extend_from_slice(args);
        Sim::start(&all)
    }

    pub fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// The process, to wait for it.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child.0
    }

    /// `hubtop` with the sim's directories, admin's password in `HUBTOP_PASSWORD` and 200
    /// columns; no target named (add `--instance` or `--profile`).
    pub fn command(&self) -> Command {
        let mut c = command(&self.dir);
        c.env("HUBTOP_PASSWORD", "admin").env("COLUMNS", "200");
        c
    }

    /// `hubtop --instance URL --user admin ARGS` with the password `password`.
    pub fn run_as(&self, password: &str, args: &[&str]) -> Output {
        self.command()
            .args(["--instance", &self.url, "--user", "admin"])
            .args(args)
            .env("HUBTOP_PASSWORD", password)
            .output()
            .expect("run hubtop")
    }

    /// `hubtop --instance URL --user admin ARGS` as admin.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_as("admin", args)
    }

    /// A GET on the instance as admin; the JSON body.
    pub fn api(&self, path: &str) -> Value {
        let (code, body) = http(&self.url, "GET", path, "");
        assert_eq!(code, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"))
    }

    /// The instance's request counters (`/sim/counters`).
    pub fn counters(&self) -> Value {
        self.api("/sim/counters")
    }

    pub fn counter(&self, name: &str) -> u64 {
        self.counters()[name].as_u64().unwrap_or(0)
    }

    /// Sets the instance's faults (e.g. `latency=3s`).
    pub fn faults(&self, spec: &str) {
        let (code, body) = http(&self.url, "PUT", "/sim/faults", spec);
        assert_eq!(code, 204, "PUT /sim/faults {spec}: {body}");
    }

    /// The rows of `table` matching the encoded query.
    pub fn rows(&self, table: &str, query: &str) -> Vec<Value> {
        let q: String = query
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let v = self.api(&format!("/api/now/table/{table}?sysparm_exclude_reference_link=true&sysparm_query={q}"));
        v["result"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the query matches some rows; those rows.
    pub fn wait_rows(&self, table: &str, query: &str, what: &str) -> Vec<Value> {
        until_some(what, Duration::from_secs(60), || Some(self.rows(table, query)).filter(|r| !r.is_empty()))
    }

    /// The sys_id of the provider titled `title`.
    pub fn provider(&self, title: &str) -> String {
        let r = self.rows("sn_wsd_case_fm_provider", &format!("title={title}"));
        r.first().and_then(|p| p["sys_id"].as_str()).unwrap_or_else(|| panic!("no provider {title}")).to_string()
    }
}

/// The URL of the `listening on URL` line a server child (`hubtop sim`, `hubtop metrics`)
/// prints first; its stdout must be piped.
pub fn listening_url(child: &mut Child) -> String {
    let out = child.stdout.take().expect("a piped stdout");
    let mut line = String::new();
    std::io::BufReader::new(out).read_line(&mut line).expect("the server's first line");
    line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {line:?}")).to_string()
}

/// One HTTP/1.0 request as admin (no chunked answer to decode); the status and body.
pub fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let hostport = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(hostport).expect("connect to the sim");
    // admin:admin
    let req = format!(
        "{method} {path} HTTP/1.0\r\nHost: {hostport}\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read");
    let out = String::from_utf8_lossy(&out);
    let code = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (code, body)
}

/// Sends `signal` (TERM, HUP, INT…) to `pid`.
pub fn kill(pid: u32, signal: &str) {
    let ok = Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status().expect("kill");
    assert!(ok.success(), "kill -{signal} {pid}");
}
