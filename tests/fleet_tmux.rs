//! Many instances in the real binary, in tmux: two profiles on two embedded instances
//! (`hubtop sim` twice; b seeded much larger, so its overview is told apart by its
//! counts), one whose instance is down and one that accepts and never answers.
//! `:profile b` shows b's overview and header; `:fleet` shows every row, the live ones
//! while the hung one is still waiting; Enter on a row switches back. Ignored (not run) where tmux is not installed.

mod e2e_common;

use e2e_common::{KillOnDrop, Tmux};
use std::io::BufRead;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

fn sim(extra: &[&str]) -> (KillOnDrop, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hubtop"))
        .args(["sim", "--port", "0", "--traffic", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("sim");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
    (KillOnDrop(child), line.trim().trim_start_matches("listening on ").to_string())
}

/// Accepts connections and never answers.
fn hung() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    url
}

/// The total of the overview's Outbound line ("│Outbound      1234  …").
fn outbound_total(s: &str) -> Option<u64> {
    let line = s.lines().find(|l| l.trim_start_matches('│').starts_with("Outbound "))?;
    line.trim_start_matches('│').trim_start_matches("Outbound").split_whitespace().next()?.parse().ok()
}

/// The fleet row of a profile (its name, after the selection marker).
fn row<'a>(s: &'a str, name: &str) -> &'a str {
    s.lines().find(|l| l.split_whitespace().any(|w| w == name) && l.contains("http://")).unwrap_or("")
}

const T: Duration = Duration::from_secs(30);

#[test]
#[cfg_attr(not(has_tmux), ignore = "needs tmux (.ci/run installs it)")]
fn switch_profiles_and_watch_the_fleet_with_one_instance_down_and_one_hung() {
    let (_a, a) = sim(&[]);
    let (_b, b) = sim(&["--rows", "3000"]);
    let down = format!("http://127.0.0.1:{}", TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
    let hung = hung();
    let dir = std::env::temp_dir().join(format!("hubtop-fleet-tmux-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = |name: &str, url: &str, extra: &str| {
        format!(
            "[profiles.{name}]\ninstance = \"{url}\"\nuser = \"admin\"\nsecret = {{ env = \"FLEET_TEST_PW\" }}\n{extra}\n"
        )
    };
    let config = format!(
        "default_profile = \"a\"\n{}{}{}{}",
        p("a", &a, ""),
        p("b", &b, "read_only = true\nproduction = true"),
        p("down", &down, ""),
        p("hung", &hung, "")
    );
    std::fs::write(dir.join("config.toml"), config).expect("config");
    let cmd = format!(
        "HUBTOP_CONFIG_DIR={d} HUBTOP_DATA_DIR={d} FLEET_TEST_PW=admin {bin}; echo HUBTOP-EXITED $?; sleep 30",
        d = dir.display(),
        bin = env!("CARGO_BIN_EXE_hubtop")
    );
    let t = Tmux::new("fleet", &cmd, 140, 40);
    let s = t.wait("a's overview", T, |s| s.contains("⎈ a") && outbound_total(s).is_some());
    let header = s.lines().next().unwrap_or("");
    assert!(header.contains(&a) && !header.contains("[PRODUCTION]"), "{header}");
    assert!(outbound_total(&s) < Some(1000), "a is the small instance:\n{s}");

    // :profile b — b's header, marks and overview.
    t.command("profile b");
    let s = t.wait("b's overview", T, |s| s.contains("⎈ b") && outbound_total(s).is_some_and(|n| n >= 1000));
    let header = s.lines().next().unwrap_or("");
    assert!(header.contains(&b) && !header.contains(&a), "b's instance in the header: {header}");
    assert!(header.contains("[READ-ONLY]") && header.contains("[PRODUCTION]"), "b's marks: {header}");

    // :fleet — every row; the live ones answer while the hung one is still waiting.
    t.command("fleet");
    let s = t.wait("the fleet's live rows", T, |s| {
        row(s, "a").contains("● live") && row(s, "b").contains("● live") && row(s, "down").contains("✖ down")
    });
    assert!(!row(&s, "hung").contains('✖'), "the hung instance is still waiting; nobody waited for it:\n{s}");
    assert!(row(&s, "b").contains("PROD") && row(&s, "b").contains("RO"), "{s}");
    assert!(row(&s, "down").contains("unreachable"), "{s}");
    // b's queue and errors come from b, not from the instance the console is on.
    let nums = |r: &str| r.split_whitespace().filter_map(|w| w.parse::<u64>().ok()).collect::<Vec<_>>();
    assert_ne!(nums(row(&s, "a")), nums(row(&s, "b")), "{s}");
    let s = t.wait("the hung instance given up on", T, |s| row(s, "hung").contains("✖ down"));
    assert!(row(&s, "a").contains("● live"), "{s}");

    // Enter on a row: that profile's overview (the first row is a).
    t.send(&["g"]);
    t.send(&["Enter"]);
    let s = t.wait("a's overview again", T, |s| s.contains("⎈ a") && outbound_total(s).is_some_and(|n| n < 1000));
    assert!(!s.lines().next().unwrap_or("").contains("[PRODUCTION]"), "{s}");
    t.send(&["q"]);
    let s = t.wait("hubtop to exit", T, |s| s.contains("HUBTOP-EXITED"));
    assert!(s.contains("HUBTOP-EXITED 0"), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "needs tmux (.ci/run installs it)")]
fn default_view_fleet_opens_on_the_fleet_and_ctx_demo_comes_back_to_the_embedded_instance() {
    let (_a, a) = sim(&[]);
    let (_b, b) = sim(&["--rows", "3000"]);
    let dir = std::env::temp_dir().join(format!("hubtop-fleet-tmux-default-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = |name: &str, url: &str| {
        format!("[profiles.{name}]\ninstance = \"{url}\"\nuser = \"admin\"\nsecret = {{ env = \"FLEET_TEST_PW\" }}\n")
    };
    // No default profile: the console is on the embedded instance, showing the fleet.
    std::fs::write(dir.join("config.toml"), format!("default_view = \"fleet\"\n{}{}", p("a", &a), p("b", &b)))
        .expect("config");
    let cmd = format!(
        "HUBTOP_CONFIG_DIR={d} HUBTOP_DATA_DIR={d} FLEET_TEST_PW=admin {bin}; echo HUBTOP-EXITED $?; sleep 30",
        d = dir.display(),
        bin = env!("CARGO_BIN_EXE_hubtop")
    );
    let t = Tmux::new("fleet-default", &cmd, 120, 30);
    let s = t.wait("the fleet first", T, |s| row(s, "a").contains("● live") && row(s, "b").contains("● live"));
    assert!(s.lines().next().unwrap_or("").contains("⎈ demo"), "the embedded instance is called demo:\n{s}");
    // Down, Enter: b's overview.
    t.send(&["Down"]);
    t.send(&["Enter"]);
    t.wait("b's overview", T, |s| s.contains("⎈ b") && outbound_total(s).is_some_and(|n| n >= 1000));
    // :ctx with Tab completion, back to the embedded instance.
    t.send(&[":"]);
    t.send(&["-l", "ctx de"]);
    t.send(&["Tab", "Enter"]);
    let s = t.wait("the embedded instance again", T, |s| s.contains("⎈ demo") && outbound_total(s).is_some());
    assert!(s.lines().next().unwrap_or("").contains("[DEMO]"), "{s}");
    t.send(&["q"]);
    let s = t.wait("hubtop to exit", T, |s| s.contains("HUBTOP-EXITED"));
    assert!(s.contains("HUBTOP-EXITED 0"), "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}
