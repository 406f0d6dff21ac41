//! A short `hubtop chaos` run through the library: faults, token expiry and outages
//! against a scripted operator and the real console in a pseudo-terminal, then the run's
//! own checks (no panic, nothing sent twice, every action has an outcome, the real
//! console drew and quit cleanly, the view recovers). And each check can fail: a
//! deliberate duplicate fails "sent twice", a stalled event loop fails the frame check.
//!
//! The run's real-time checks (a frame every second, recovery within a refresh and a
//! second) are wall-clock figures: on a loaded machine they measure the machine. They
//! are `hubtop chaos`'s verdict, not these tests': here only a stall far longer than a
//! second is asserted to be seen.

use std::time::Duration;

use hubtop::harness::chaos::{ChaosOptions, ChaosRun, Inject, run_with};

fn with(inject: Inject) -> ChaosRun {
    ChaosRun { console_bin: Some(env!("CARGO_BIN_EXE_hubtop").into()), inject }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_survives_ten_seconds_of_chaos() {
    let opts = ChaosOptions { duration: Duration::from_secs(10), seed: 7 };
    let report = run_with(&opts, &with(Inject::None)).await.expect("chaos runs");
    let summary = report.summary();
    assert!(report.operator_steps > 10, "the operator did something:\n{summary}");
    assert!(report.actions_sent > 0, "actions were sent under faults:\n{summary}");
    assert!(report.token_expiries > 0, "tokens expired during the run:\n{summary}");
    let pty = report.pty.as_ref().expect("the real console ran");
    assert!(pty.seconds >= 5, "the real console was probed for most of the run:\n{summary}");
    assert_clean(&report);
}

/// Every check of the run but the wall-clock ones.
fn assert_clean(report: &hubtop::harness::chaos::Report) {
    let summary = report.summary();
    assert_eq!(report.panics, 0, "{summary}");
    assert!(report.sent_twice.is_empty(), "{summary}");
    assert_eq!(report.without_outcome, 0, "{summary}");
    assert!(report.recovered_ms.is_some(), "the view came back to what the instance holds:\n{summary}");
    let pty = report.pty.as_ref().expect("the real console ran");
    assert!(pty.frames > 0 && !pty.panicked, "{summary}");
    assert_eq!(pty.exit, "exit 0", "{summary}");
}

/// The test-only switch resends one audited action past the audit log: the run fails,
/// on that check alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deliberate_duplicate_fails_the_run() {
    let opts = ChaosOptions { duration: Duration::from_secs(8), seed: 7 };
    let report = run_with(&opts, &with(Inject::Duplicate)).await.expect("chaos runs");
    let summary = report.summary();
    let injected = report.injected.as_deref().expect("a duplicate was sent");
    let id = injected.rsplit(' ').next().expect("its record");
    assert!(!report.passed(), "{summary}");
    assert!(report.sent_twice.iter().any(|s| s.contains(id)), "the duplicate of {id} is named:\n{summary}");
    assert_eq!(report.without_outcome, 0, "{summary}");
    assert_eq!(report.panics, 0, "{summary}");
    assert!(report.pty.as_ref().is_some_and(|p| p.frames > 0 && !p.panicked && p.exit == "exit 0"), "{summary}");
}

/// The real console's event loop blocked for 2.5 s (a test-only switch in the binary):
/// the frame check fails, and names the seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_event_loop_fails_the_frame_check() {
    let opts = ChaosOptions { duration: Duration::from_secs(8), seed: 11 };
    let report = run_with(&opts, &with(Inject::StallConsole)).await.expect("chaos runs");
    let summary = report.summary();
    let pty = report.pty.as_ref().expect("the real console ran");
    assert!(!pty.seconds_without_frame.is_empty(), "{summary}");
    assert!(!report.passed(), "{summary}");
}
