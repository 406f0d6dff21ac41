//! Test-only switches of the shipped binary, never set in use. The end-to-end tests drive
//! the real binary (in tmux, in a pseudo-terminal), so the switches cannot be compiled
//! out; they are read once, here, and the event loop's only contact with them is
//! [`TestHooks::after_draw`], a no-op unless one is set.
//!
//! - `HUBTOP_TEST_PANIC`: a deliberate panic 2 s after start, to test that the terminal
//!   is restored and the panic logged (`tests/e2e_tmux.rs`, `tests/conv_panic_tmux.rs`).
//! - `HUBTOP_TEST_STALL`: once, 2 s after start, the loop blocks its thread for 2.5 s, to
//!   test that the chaos run's frame check catches a stalled loop (`tests/chaos.rs`).

use std::time::{Duration, Instant};

/// The switches that are set, with when each fires.
#[derive(Debug, Default)]
pub struct TestHooks {
    panic_at: Option<Instant>,
    stall_at: Option<Instant>,
}

impl TestHooks {
    pub fn from_env() -> TestHooks {
        let at = |var: &str| std::env::var_os(var).is_some().then(|| Instant::now() + Duration::from_secs(2));
        TestHooks { panic_at: at("HUBTOP_TEST_PANIC"), stall_at: at("HUBTOP_TEST_STALL") }
    }

    /// Called after each frame drawn at `now`.
    pub fn after_draw(&mut self, now: Instant) {
        if self.panic_at.is_some_and(|at| now > at) {
            panic!("HUBTOP_TEST_PANIC: a deliberate panic, to test that the terminal is restored");
        }
        if self.stall_at.is_some_and(|at| now > at) {
            self.stall_at = None;
            std::thread::sleep(Duration::from_millis(2500));
        }
    }
}
