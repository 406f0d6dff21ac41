//! Politeness towards the instance: a cap on requests in flight and at most `rps`
//! requests in any one-second window. A screen's few independent requests go out
//! together (one round trip, not a paced trickle); a bulk job is held to the rate, so a
//! rate-limited instance is not answered with 429s.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// The window the rate is counted over, with a few milliseconds of margin so a request
/// released exactly as the oldest one leaves the window is not counted in the same
/// second by the instance.
const WINDOW: Duration = Duration::from_millis(1_005);

pub struct Limiter {
    in_flight: Semaphore,
    /// Requests allowed per window (`None`: unpaced).
    per_window: Option<usize>,
    /// When the last `per_window` requests were let through, oldest first.
    sent: Mutex<VecDeque<Instant>>,
}

impl Limiter {
    /// `rps` of 0 means unpaced.
    pub fn new(concurrency: usize, rps: f64) -> Self {
        let per_window = (rps > 0.0).then(|| (rps.floor() as usize).max(1));
        Limiter { in_flight: Semaphore::new(concurrency.max(1)), per_window, sent: Mutex::new(VecDeque::new()) }
    }

    /// Waits for a slot; the permit holds a place in flight until dropped.
    pub async fn acquire(&self) -> SemaphorePermit<'_> {
        let permit = self.in_flight.acquire().await.expect("limiter semaphore is never closed");
        if let Some(n) = self.per_window {
            let slot = {
                let mut sent = self.sent.lock().await;
                let now = Instant::now();
                // The n-th request back must have left the window before this one goes.
                let slot = match sent.len() >= n {
                    true => (sent[sent.len() - n] + WINDOW).max(now),
                    false => now,
                };
                sent.push_back(slot);
                while sent.len() > n {
                    sent.pop_front();
                }
                slot
            };
            tokio::time::sleep_until(slot).await;
        }
        permit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_screens_requests_go_together_and_a_bulk_job_keeps_to_the_rate() {
        let l = Limiter::new(8, 10.0);
        let t0 = Instant::now();
        for _ in 0..8 {
            drop(l.acquire().await);
        }
        assert_eq!(Instant::now() - t0, Duration::ZERO, "eight requests under the rate: at once");
        // 30 requests at 10/s: never more than 10 in any window.
        let mut times = Vec::new();
        for _ in 0..22 {
            drop(l.acquire().await);
            times.push(Instant::now());
        }
        let all: Vec<Instant> = std::iter::repeat_n(t0, 8).chain(times).collect();
        for (i, t) in all.iter().enumerate() {
            let in_window = all[i..].iter().take_while(|u| **u - *t < Duration::from_secs(1)).count();
            assert!(in_window <= 10, "{in_window} requests within a second of request {i}");
        }
        assert!(Instant::now() - t0 <= Duration::from_millis(2_100), "30 at 10/s take about 2 s");
    }
}
