//! A rehearsal in tmux, as an operator runs it: the header's `REHEARSAL of … @ …` mark,
//! a bulk action on the copy, its audit in the rehearsal's own file, and the report.

// The pre-grouping tmux helpers, until this file joins tests/e2e (common::tmux).
#[path = "e2e_legacy/mod.rs"]
mod e2e_common;

use e2e_common::*;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(60);

fn error_count(url: &str) -> u64 {
    let (_, body) =
        http(url, "GET", "/api/now/stats/ih_sync_outbound_record?sysparm_query=state%3Derror&sysparm_count=true", "");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["result"]["stats"]["count"].as_str().and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[hubtop_tmux_gate::tmux_test]
fn a_rehearsal_is_marked_acts_on_the_copy_and_reports() {
    let (_sim, url) = sim_child();
    let dir = temp_dir("rehearse-tmux");
    until("entries in error at the source", T, || error_count(&url) >= 3);
    let file = dir.join("src.snap");
    let out = Command::new(bin())
        .args(["snapshot", "--instance", &url, "--user", "admin", "-o"])
        .arg(&file)
        .env("HUBTOP_PASSWORD", "admin")
        .env("HUBTOP_DATA_DIR", &dir)
        .env("HUBTOP_CONFIG_DIR", &dir)
        .output()
        .expect("hubtop snapshot");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cmd = format!(
        "HUBTOP_DATA_DIR={d} HUBTOP_CONFIG_DIR={d} {bin} rehearse {f} --providers ok; echo HUBTOP-EXITED $?; sleep 30",
        d = dir.display(),
        f = file.display(),
        bin = bin()
    );
    let t = Tmux::new("rehearse", &cmd, 170, 40);
    let s = t.wait("the rehearsal's mark", T, |s| s.contains(&format!("REHEARSAL of {url} @ ")));
    assert!(!s.contains("[DEMO]"), "{s}");
    // Skip three entries in error, confirming.
    t.send(&["4"]);
    t.wait("outbound", T, |s| s.contains("Outbound ["));
    t.send(&["/"]);
    t.send(&["-l", "state=error"]);
    t.send(&["Enter"]);
    t.wait("entries in error", T, |s| s.contains("filter: state=error") && s.matches("✖ Error").count() >= 3);
    t.send(&["Space", "Space", "Space"]);
    t.wait("three marked", T, |s| s.contains("3 marked"));
    t.send(&["x"]);
    t.wait("the confirmation", T, |s| s.contains("Skip 3 records?"));
    t.send(&["y"]);
    // The bulk job's result is a status line, never a dialog (issue 21).
    t.wait("the summary", T, |s| s.contains("skip of 3 finished") && s.contains("✔ 3 skipped"));
    t.send(&["q"]);
    let s = t.wait("hubtop to exit", T, |s| s.contains("HUBTOP-EXITED"));
    assert!(s.contains("HUBTOP-EXITED 0"), "{s}");
    // The audit went to the rehearsal's file, marked; none to the ordinary audit log.
    let audit = std::fs::read_to_string(format!("{}.rehearsal-audit.jsonl", file.display())).expect("rehearsal audit");
    assert!(audit.lines().count() >= 6, "{audit}");
    assert!(audit.lines().all(|l| l.contains(&format!("\"profile\":\"REHEARSAL of {url}\""))), "{audit}");
    assert!(!dir.join("audit.jsonl").exists(), "the rehearsal wrote to the ordinary audit log");
    // The source still has its errors (a real retry interval may retry them, never skip).
    let report = Command::new(bin())
        .args(["rehearse", "--report"])
        .arg(&file)
        .env("HUBTOP_DATA_DIR", &dir)
        .env("HUBTOP_CONFIG_DIR", &dir)
        .output()
        .expect("hubtop rehearse --report");
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{text}{}", String::from_utf8_lossy(&report.stderr));
    assert!(text.contains("Actions taken in the rehearsal: 3"), "{text}");
    assert_eq!(text.matches(" skip ").count(), 3, "{text}");
    let outbound = text.lines().find(|l| l.trim_start().starts_with("Outbound")).expect("outbound line");
    assert!(outbound.contains("skipped") && outbound.contains("->"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
