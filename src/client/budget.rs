//! The profile's hourly request budget (`max_requests_per_hour`): every request counts,
//! but only background reads (polling) wait for room — actions and what the operator
//! just asked to see are never held back nor dropped. A 429 halves the limit, and the
//! instance's own rate-limit figures (X-RateLimit-Limit / -Remaining) cap it, at once,
//! for one window.
//!
//! A read is background when it runs inside [`background`] (the runner marks polls).

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use parking_lot::Mutex;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// The budget's sliding window.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// `max_requests_per_hour` when a profile does not say.
pub const DEFAULT_PER_HOUR: u32 = 1800;

tokio::task_local! {
    static BACKGROUND: bool;
}

/// Runs `f` with its reads marked as background (they wait for room in the budget).
pub async fn background<F: Future>(f: F) -> F::Output {
    BACKGROUND.scope(true, f).await
}

/// Whether the current task's reads are background.
pub fn is_background() -> bool {
    BACKGROUND.try_with(|b| *b).unwrap_or(false)
}

/// The budget as the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetState {
    /// Requests sent in the last window.
    pub used: u32,
    /// What polling may use now (lowered after a 429 or by the instance's figures).
    pub limit: u32,
    /// The profile's setting.
    pub configured: u32,
    pub window: Duration,
    /// Background requests waiting for room now.
    pub waiting: u32,
}

impl BudgetState {
    /// Worth showing: lowered, nearly used up, or holding polls back.
    pub fn tight(&self) -> bool {
        self.limit < self.configured || self.used.saturating_mul(5) >= self.limit.saturating_mul(4) || self.waiting > 0
    }
}

struct State {
    sent: VecDeque<Instant>,
    limit: u32,
    lowered_at: Option<Instant>,
    waiting: u32,
}

pub struct Budget {
    configured: u32,
    state: Mutex<State>,
    /// Background requests that ever had to wait for room (what the benchmark checks
    /// stays 0: the cadence, not the budget, keeps polling polite).
    held: std::sync::atomic::AtomicU64,
}

impl Budget {
    /// `per_hour` of 0 means unlimited.
    pub fn new(per_hour: u32) -> Budget {
        let configured = if per_hour == 0 { u32::MAX } else { per_hour };
        let state = State { sent: VecDeque::new(), limit: configured, lowered_at: None, waiting: 0 };
        Budget { configured, state: Mutex::new(state), held: Default::default() }
    }

    fn settle(&self, s: &mut State, now: Instant) {
        while s.sent.front().is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW) {
            s.sent.pop_front();
        }
        // A lowered limit holds for one window after the last reason to lower it.
        if s.lowered_at.is_some_and(|t| now.saturating_duration_since(t) >= WINDOW) {
            s.lowered_at = None;
            s.limit = self.configured;
        }
    }

    /// Counts one request about to be sent; a background one first waits until the
    /// window has room. Returns whether it waited.
    pub async fn admit(&self, background: bool) -> bool {
        let mut waited = false;
        loop {
            let wake = {
                let mut s = self.state.lock();
                let now = Instant::now();
                self.settle(&mut s, now);
                let full = s.sent.len() >= s.limit as usize;
                if !background || !full {
                    if background && waited {
                        s.waiting -= 1;
                    }
                    s.sent.push_back(now);
                    return waited;
                }
                if !waited {
                    s.waiting += 1;
                    self.held.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                // Room comes when enough of the oldest requests leave the window.
                let excess = s.sent.len() - s.limit as usize;
                s.sent[excess] + WINDOW
            };
            waited = true;
            // Woken early too when the limit is restored (settle on the next pass).
            tokio::time::sleep_until(wake.min(Instant::now() + WINDOW)).await;
        }
    }

    /// Lowers the limit to `to` (never raises it) for one window.
    pub fn lower(&self, to: u32) {
        let mut s = self.state.lock();
        let now = Instant::now();
        self.settle(&mut s, now);
        if to < s.limit || s.lowered_at.is_some() {
            s.limit = s.limit.min(to.max(1));
            s.lowered_at = Some(now);
        }
    }

    /// A 429: halves the limit at once (down to a sixteenth of the setting; a long
    /// Retry-After stops every request anyway, and an hourly figure lowers it further).
    pub fn rate_limited(&self) {
        let limit = self.state().limit;
        self.lower((limit / 2).max(self.configured / 16));
    }

    /// The instance's figures: never plan beyond its hourly limit, and leave half of
    /// what it says remains to the other users of the same account.
    pub fn observe(&self, h: &HeaderMap) {
        let num = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        if let Some(l) = num("x-ratelimit-limit")
            && clamp(l) < self.configured
        {
            self.lower(clamp(l));
        }
        if let Some(r) = num("x-ratelimit-remaining") {
            let used = self.state().used;
            let room = used.saturating_add(clamp(r / 2));
            if room < self.state().limit {
                self.lower(room);
            }
        }
    }

    /// Background requests that had to wait for room, ever.
    pub fn held(&self) -> u64 {
        self.held.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn state(&self) -> BudgetState {
        let mut s = self.state.lock();
        self.settle(&mut s, Instant::now());
        BudgetState {
            used: s.sent.len() as u32,
            limit: s.limit,
            configured: self.configured,
            window: WINDOW,
            waiting: s.waiting,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn background_waits_for_room_foreground_never_does() {
        let b = Budget::new(3);
        for _ in 0..3 {
            assert!(!b.admit(true).await);
        }
        // Full: an action still goes at once, and counts.
        let t0 = Instant::now();
        assert!(!b.admit(false).await);
        assert_eq!(t0.elapsed(), Duration::ZERO);
        assert_eq!(b.state().used, 4);
        // A poll waits until two of the four have left the window.
        tokio::time::advance(Duration::from_secs(10)).await;
        let t0 = Instant::now();
        assert!(b.admit(true).await);
        assert_eq!(t0.elapsed(), WINDOW - Duration::from_secs(10));
        assert_eq!(b.state().waiting, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_and_the_instance_figures_lower_the_limit_for_one_window() {
        let b = Budget::new(1800);
        for _ in 0..100 {
            b.admit(false).await;
        }
        b.rate_limited();
        assert_eq!(b.state().limit, 900);
        for _ in 0..10 {
            b.rate_limited();
        }
        assert_eq!(b.state().limit, 112, "never below a sixteenth");
        assert!(b.state().tight());
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", "40".parse().unwrap());
        b.observe(&h);
        assert_eq!(b.state().limit, 40);
        tokio::time::advance(WINDOW).await;
        assert_eq!(b.state(), BudgetState { used: 0, limit: 1800, configured: 1800, window: WINDOW, waiting: 0 });
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", "20".parse().unwrap());
        b.observe(&h);
        assert_eq!(b.state().limit, 10, "half of what remains");
    }
}
