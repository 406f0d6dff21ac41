//! Many instances in the real binary, in tmux: two profiles on two embedded instances
//! (`hubtop sim` twice; b seeded much larger, so its overview is told apart by its
//! counts), one whose instance is down and one that accepts and never answers.
//! `:profile b` shows b's overview and header; `:fleet` shows every row, the live ones
//! while the hung one is still waiting; Enter on a row switches back. Ignored (not run) where tmux is not installed.

use hubtop_tmux_gate::tmux_test;

use crate::common::TempDir;
use crate::common::proc::{Sim, bin};
use crate::common::stub::{closed_port, silent};
use crate::common::tmux::Tmux;
use crate::common::wait::T;

fn sim(extra: &[&str]) -> (Sim, String) {
    let s = Sim::start(extra);
    let url = s.url.clone();
    (s, url)
}

/// The total of the overview's Outbound line ("│Outbound      1234  …").
fn outbound_total(s: &str) -> Option<u64> {
    let line = s.lines().find(|l| l.trim_start_matches('│').starts_with("Outbound "))?;
    line.trim_start_matches('│').trim_start_matches("Outbound").split_whitespace().next()?.parse().ok()
}

/// The fleet row of a profile (its name, after the selection marker), if it is on screen
/// (inside the table's border: the header names the profile and its instance too).
fn row<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    s.lines().find(|l| l.starts_with('│') && l.split_whitespace().any(|w| w == name) && l.contains("http://"))
}

/// The row of `name`, which must be on screen.
fn must<'a>(s: &'a str, name: &str) -> &'a str {
    row(s, name).unwrap_or_else(|| panic!("no fleet row for {name}:\n{s}"))
}

/// Whether the row of `name` is on screen and contains `what`.
fn shows(s: &str, name: &str, what: &str) -> bool {
    row(s, name).is_some_and(|r| r.contains(what))
}

#[tmux_test]
fn switch_profiles_and_watch_the_fleet_with_one_instance_down_and_one_hung() {
    let (_a, a) = sim(&[]);
    let (_b, b) = sim(&["--rows", "3000"]);
    let down = format!("http://127.0.0.1:{}", closed_port());
    let hung = silent();
    let dir = TempDir::new("fleet-tmux");
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
        bin = bin()
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
        shows(s, "a", "● live") && shows(s, "b", "● live") && shows(s, "down", "✖ down")
    });
    assert!(!must(&s, "hung").contains('✖'), "the hung instance is still waiting; nobody waited for it:\n{s}");
    assert!(must(&s, "b").contains("PROD") && must(&s, "b").contains("RO"), "{s}");
    assert!(must(&s, "down").contains("unreachable"), "{s}");
    // b's queue and errors come from b, not from the instance the console is on.
    let nums = |r: &str| r.split_whitespace().filter_map(|w| w.parse::<u64>().ok()).collect::<Vec<_>>();
    assert_ne!(nums(must(&s, "a")), nums(must(&s, "b")), "{s}");
    let s = t.wait("the hung instance given up on", T, |s| shows(s, "hung", "✖ down"));
    assert!(must(&s, "a").contains("● live"), "{s}");

    // Enter on a row: that profile's overview (the first row is a).
    t.send(&["g"]);
    t.send(&["Enter"]);
    let s = t.wait("a's overview again", T, |s| s.contains("⎈ a") && outbound_total(s).is_some_and(|n| n < 1000));
    assert!(!s.lines().next().unwrap_or("").contains("[PRODUCTION]"), "{s}");
    t.send(&["q"]);
    let s = t.wait("hubtop to exit", T, |s| s.contains("HUBTOP-EXITED"));
    assert!(s.contains("HUBTOP-EXITED 0"), "{s}");
}

#[tmux_test]
fn default_view_fleet_opens_on_the_fleet_and_ctx_demo_comes_back_to_the_embedded_instance() {
    let (_a, a) = sim(&[]);
    let (_b, b) = sim(&["--rows", "3000"]);
    let dir = TempDir::new("fleet-tmux-default");
    let p = |name: &str, url: &str| {
        format!("[profiles.{name}]\ninstance = \"{url}\"\nuser = \"admin\"\nsecret = {{ env = \"FLEET_TEST_PW\" }}\n")
    };
    // No default profile: the console is on the embedded instance, showing the fleet.
    std::fs::write(dir.join("config.toml"), format!("default_view = \"fleet\"\n{}{}", p("a", &a), p("b", &b)))
        .expect("config");
    let cmd = format!(
        "HUBTOP_CONFIG_DIR={d} HUBTOP_DATA_DIR={d} FLEET_TEST_PW=admin {bin}; echo HUBTOP-EXITED $?; sleep 30",
        d = dir.display(),
        bin = bin()
    );
    let t = Tmux::new("fleet-default", &cmd, 120, 30);
    let s = t.wait("the fleet first", T, |s| shows(s, "a", "● live") && shows(s, "b", "● live"));
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
}
