//! Test-only switches of the shipped binary, never set in use. The end-to-end tests drive
//! the real binary (in tmux, in a pseudo-terminal), so the switches cannot be compiled
//! out; they are read once, here, and the event loop's only contact with them is
//! [`TestHooks::after_draw`], a no-op unless one is set.
//!
//! - `HUBTOP_TEST_PANIC`: a deliberate panic 2 s after start, to test that the terminal
//!   is restored and the panic logged (`tests/e2e_tmux.rs`, `tests/conv_panic_tmux.rs`).
//!   Set to `resize`, the panic comes instead right after the first frame drawn at a size
//!   other than the first frame's, to test the restore after a resize
//!   (`tests/e2e/walk_restore.rs`).
//! - `HUBTOP_TEST_STALL`: once, 2 s after start, the loop blocks its thread for 2.5 s, to
//!   test that the chaos run's frame check catches a stalled loop (`tests/chaos.rs`).

use std::time::{Duration, Instant};

/// The switches that are set, with when each fires.
#[derive(Debug, Default)]
pub struct TestHooks {
    panic_at: Option<Instant>,
    /// `HUBTOP_TEST_PANIC=resize`: set, with the first frame's size once drawn.
    panic_on_resize: Option<Option<(u16, u16)>>,
    stall_at: Option<Instant>,
}

impl TestHooks {
    pub fn from_env() -> TestHooks {
        let at = |var: &str| std::env::var_os(var).is_some().then(|| Instant::now() + Duration::from_secs(2));
        let on_resize = std::env::var_os("HUBTOP_TEST_PANIC").is_some_and(|v| v == "resize");
        TestHooks {
            panic_at: at("HUBTOP_TEST_PANIC").filter(|_| !on_resize),
            panic_on_resize: on_resize.then_some(None),
            stall_at: at("HUBTOP_TEST_STALL"),
        }
    }

    /// Called after each frame drawn at `now`, `size` (columns, rows).
    pub fn after_draw(&mut self, now: Instant, size: (u16, u16)) {
        if let Some(first) = &mut self.panic_on_resize {
            if first.is_some_and(|f| f != size) {
                panic!("HUBTOP_TEST_PANIC: a deliberate panic after a resize, to test that the terminal is restored");
            }
            first.get_or_insert(size);
        }
        if self.panic_at.is_some_and(|at| now > at) {
            panic!("HUBTOP_TEST_PANIC: a deliberate panic, to test that the terminal is restored");
        }
        if self.stall_at.is_some_and(|at| now > at) {
            self.stall_at = None;
            std::thread::sleep(Duration::from_millis(2500));
        }
    }
}
