//! A new operator's walkthrough of the real binary, in tmux: quitting (q, q) while a bulk
//! retry is on its way records what happened — the operator quit — in the audit log, not
//! a signal that never came. Skipped (reported ignored) where tmux is not installed.
#![cfg(unix)]

use hubtop_tmux_gate::tmux_test;

use crate::common::TempDir;
use crate::common::audit::split;
use crate::common::proc::Sim;
use crate::common::tmux::Tmux;
use crate::common::wait::{T, until};

/// Three entries retried in bulk against a slow instance, then `q` (which warns) and `q`
/// again while the PATCHes are in flight. With 2.5 s latency the PATCHes answer within
/// the console's grace and the entries are left unfollowed; with 9 s they do not answer
/// at all. Either way each "sent" line has one outcome, "unknown", whose detail says the
/// operator quit hubtop (it used to say "stopped on a signal").
#[tmux_test]
fn quitting_during_a_bulk_retry_audits_the_operators_quit() {
    for latency in ["2500ms", "9s"] {
        let sim = Sim::start(&[]);
        let dir = TempDir::new(&format!("walk-quit-{latency}"));
        let t = Tmux::console(&format!("walk-quit-{latency}"), &sim.url, &dir, 140, 40);
        t.wait("the overview", T, |s| s.contains("Counts by state"));
        t.mark_errors(3);
        t.send(&["r"]);
        t.wait("the preview", T, |s| s.contains("Retry 3 records?"));
        sim.faults(&format!("latency={latency}"));
        t.send(&["y"]);
        until("the three PATCHes to be sent", T, || split(&dir).0.len() == 3);
        assert!(split(&dir).1.is_empty(), "latency {latency}: the PATCHes are in flight when the operator quits");
        t.send(&["q"]);
        t.wait("the warning", T, |s| s.contains("q again quits"));
        t.send(&["q"]);
        until("every outcome recorded", T, || split(&dir).1.len() == 3);
        for d in split(&dir).1 {
            assert_eq!(d["outcome"], "unknown", "latency {latency}: {d}");
            let detail = d["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("the operator quit hubtop"), "latency {latency}: {d}");
            assert!(!detail.contains("signal"), "latency {latency}: no signal was sent: {d}");
        }
    }
}
