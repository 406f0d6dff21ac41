//! Which deadline ended a call that got no answer, and how long it really waited: the
//! message a given-up call ends with (not one attempt's limit after minutes of retries).

use std::time::Duration;

use tokio::time::Instant;

use super::{ClientConfig, Error};

pub(super) struct Deadlines {
    started: Instant,
    first_byte: Duration,
    budget: Duration,
    /// The last timeout, in words.
    last: String,
    /// The call's budget ended it (no time left for another attempt, or it cut one short).
    pub(super) budget_out: bool,
}

impl Deadlines {
    pub(super) fn start(c: &ClientConfig) -> Deadlines {
        Deadlines {
            started: Instant::now(),
            first_byte: c.first_byte_timeout,
            budget: c.budget,
            last: String::new(),
            budget_out: false,
        }
    }

    /// An attempt timed out after `d`; it was given `first_byte` for its answer's first
    /// byte, with `left` of the call's budget.
    pub(super) fn timed_out(&mut self, d: Duration, first_byte: Duration, left: Duration) {
        // Cut short by what was left of the call's budget, the budget ended it.
        let cut = left < self.first_byte;
        self.budget_out |= cut;
        self.last = match d == first_byte || cut {
            true => format!("no first byte of an answer within {}s", self.first_byte.as_secs_f32()),
            false => format!("an attempt's {}s limit", d.as_secs_f32()),
        };
    }

    /// The error a call that timed out ends with, after `attempts`.
    pub(super) fn error(&self, attempts: u32) -> Error {
        let which = match self.budget_out {
            true => format!("the last: {}; the call's {}s budget ran out", self.last, self.budget.as_secs()),
            false => format!("each: {}; no attempts left", self.last),
        };
        Error::TimedOut { elapsed: self.started.elapsed(), attempts, which }
    }
}
