//! A short `hubtop chaos` run through the library: faults, token expiry and outages
//! against a scripted operator, then the run's own checks (no panic, nothing sent twice,
//! every action has an outcome, a frame every second, the view recovers).

use std::time::Duration;

use hubtop::harness::chaos::{ChaosOptions, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_survives_ten_seconds_of_chaos() {
    let report = run(&ChaosOptions { duration: Duration::from_secs(10), seed: 7 }).await.expect("chaos runs");
    let summary = report.summary();
    assert!(report.operator_steps > 10, "the operator did something:\n{summary}");
    assert!(report.actions_sent > 0, "actions were sent under faults:\n{summary}");
    assert!(report.token_expiries > 0, "tokens expired during the run:\n{summary}");
    assert!(report.passed(), "{summary}");
}
