//! Politeness towards the instance: a cap on requests in flight and a steady pace of
//! requests per second (each request gets the next free slot, so a burst is spread
//! evenly rather than sent at once and answered with 429s).

use std::time::Duration;

use tokio::sync::{Mutex, Semaphore, SemaphorePermit};
use tokio::time::Instant;

pub struct Limiter {
    in_flight: Semaphore,
    interval: Option<Duration>,
    next_slot: Mutex<Instant>,
}

impl Limiter {
    /// `rps` of 0 means unpaced.
    pub fn new(concurrency: usize, rps: f64) -> Self {
        let interval = (rps > 0.0).then(|| Duration::from_secs_f64(1.0 / rps));
        Limiter { in_flight: Semaphore::new(concurrency.max(1)), interval, next_slot: Mutex::new(Instant::now()) }
    }

    /// Waits for a slot; the permit holds a place in flight until dropped.
    pub async fn acquire(&self) -> SemaphorePermit<'_> {
        let permit = self.in_flight.acquire().await.expect("limiter semaphore is never closed");
        if let Some(iv) = self.interval {
            let slot = {
                let mut next = self.next_slot.lock().await;
                let now = Instant::now();
                let slot = (*next).max(now);
                *next = slot + iv;
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
    async fn paces_requests_evenly() {
        let l = Limiter::new(4, 10.0);
        let t0 = Instant::now();
        for _ in 0..11 {
            drop(l.acquire().await);
        }
        // 11 requests at 10/s: the 11th starts 1 s after the first.
        assert_eq!(Instant::now() - t0, Duration::from_secs(1));
    }
}
