//! Waiting for a condition, never for a fixed time. The timeouts only bound a test that
//! would otherwise hang; nothing is asserted about how long a condition took.

use std::time::{Duration, Instant};

/// Generous: a loaded 2-core machine is slow, and a timeout here means a hang.
pub const T: Duration = Duration::from_secs(60);

/// Polls `cond` every 25 ms (on the test's runtime) until it holds; panics with `what`
/// after `timeout`.
pub async fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < end, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Polls `cond` every 50 ms (blocking the thread) until it holds; panics with `what`
/// after `timeout`.
pub fn until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < end, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `get` until it returns something; panics with `what` after `timeout`.
pub fn until_some<V>(what: &str, timeout: Duration, mut get: impl FnMut() -> Option<V>) -> V {
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = get() {
            return v;
        }
        assert!(Instant::now() < end, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
