//! What answers being read at once hold together: one allowance shared by every request
//! of a client, so a server that answers each request with an endless body costs at most
//! [`MAX_HELD`], not the per-answer limit times the requests in flight.

use std::sync::atomic::{AtomicUsize, Ordering};

/// What all answers being read at once may hold together (a single answer may still be
/// up to `max_body`, when that is larger): a server that answers every request of a
/// screen with an endless body costs this much memory, not `max_body` times the requests.
pub const MAX_HELD: usize = 64 * 1024 * 1024;

/// Bytes held by answers being read now, and the most ever held at once.
#[derive(Debug, Default)]
pub struct Held {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Held {
    /// Takes `n` more bytes if the total stays within `cap`.
    fn take(&self, n: usize, cap: usize) -> bool {
        let mut cur = self.now.load(Ordering::Relaxed);
        loop {
            if cur + n > cap {
                return false;
            }
            match self.now.compare_exchange_weak(cur, cur + n, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => {
                    self.peak.fetch_max(cur + n, Ordering::Relaxed);
                    return true;
                }
                Err(x) => cur = x,
            }
        }
    }

    fn give(&self, n: usize) {
        self.now.fetch_sub(n, Ordering::AcqRel);
    }

    /// The most answer bytes held at once so far.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    pub fn now(&self) -> usize {
        self.now.load(Ordering::Relaxed)
    }
}

/// What one answer has taken from [`Held`], given back when its reading ends, however
/// it ends.
pub(super) struct Taken<'a> {
    held: &'a Held,
    n: usize,
    cap: usize,
}

impl Held {
    /// A reader of one answer, within `cap` for all of them together.
    pub(super) fn taker(&self, cap: usize) -> Taken<'_> {
        Taken { held: self, n: 0, cap }
    }
}

impl Taken<'_> {
    /// Takes `n` more bytes, or refuses the answer as too large.
    pub(super) fn more(&mut self, n: usize) -> Result<(), super::Error> {
        if !self.held.take(n, self.cap) {
            return Err(super::Error::TooLarge { limit: self.cap });
        }
        self.n += n;
        Ok(())
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        self.held.give(self.n);
    }
}
