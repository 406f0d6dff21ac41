//! A rehearsal in tmux, as an operator runs it: the header's `REHEARSAL of … @ …` mark,
//! a bulk action on the copy, its audit in the rehearsal's own file, and the report.

use hubtop_tmux_gate::tmux_test;

use crate::common::TempDir;
use crate::common::audit::lines;
use crate::common::proc::{Sim, bin, command};
use crate::common::tmux::Tmux;
use crate::common::wait::{T, until};

fn error_count(sim: &Sim) -> u64 {
    let v = sim.api("/api/now/stats/ih_sync_outbound_record?sysparm_query=state%3Derror&sysparm_count=true");
    v["result"]["stats"]["count"].as_str().and_then(|c| c.parse().ok()).expect("a count")
}

#[tmux_test]
fn a_rehearsal_is_marked_acts_on_the_copy_and_reports() {
    let sim = Sim::start(&[]);
    let url = &sim.url;
    let dir = TempDir::new("rehearse-tmux");
    until("entries in error at the source", T, || error_count(&sim) >= 3);
    let file = dir.join("src.snap");
    let out = command(&dir)
        .args(["snapshot", "--instance", url, "--user", "admin", "-o"])
        .arg(&file)
        .env("HUBTOP_PASSWORD", "admin")
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
    t.mark_errors(3);
    t.send(&["x"]);
    t.wait("the confirmation", T, |s| s.contains("Skip 3 records?"));
    t.send(&["y"]);
    // The bulk job's result is a status line, never a dialog (issue 21).
    t.wait("the summary", T, |s| s.contains("skip of 3 finished") && s.contains("✔ 3 skipped"));
    t.send(&["q"]);
    let s = t.wait("hubtop to exit", T, |s| s.contains("HUBTOP-EXITED"));
    assert!(s.contains("HUBTOP-EXITED 0"), "{s}");
    // The audit went to the rehearsal's file, marked; none to the ordinary audit log.
    let audit = lines(&dir.join("src.snap.rehearsal-audit.jsonl"));
    assert!(audit.len() >= 6, "{audit:?}");
    assert!(audit.iter().all(|l| l["profile"] == format!("REHEARSAL of {url}")), "{audit:?}");
    assert!(!dir.join("audit.jsonl").exists(), "the rehearsal wrote to the ordinary audit log");
    // The source still has its errors (a real retry interval may retry them, never skip).
    let report = command(&dir).args(["rehearse", "--report"]).arg(&file).output().expect("hubtop rehearse --report");
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{text}{}", String::from_utf8_lossy(&report.stderr));
    assert!(text.contains("Actions taken in the rehearsal: 3"), "{text}");
    assert_eq!(text.matches(" skip ").count(), 3, "{text}");
    let outbound = text.lines().find(|l| l.trim_start().starts_with("Outbound")).expect("outbound line");
    assert!(outbound.contains("skipped") && outbound.contains("->"), "{text}");
}
