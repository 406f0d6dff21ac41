//! What the console reads of its client between requests: the request budget, whether
//! the instance takes several requests in one (the Batch API), and whether polls are
//! shared with other consoles. Its own file: the budget and the batch path each stay
//! ignorant of the other.

use std::sync::Arc;

use super::Client;
use super::batch::Support;
use super::budget::Budget;
use super::share::Share;

/// What the console reads of its client between requests: the budget, and whether the
/// instance takes several requests in one (the Batch API).
#[derive(Clone)]
pub struct Meter {
    pub budget: Arc<Budget>,
    pub batch: Arc<Support>,
    /// Polls shared with the other consoles on the instance and user, if they are.
    pub share: Option<Arc<Share>>,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter").field("budget", &self.budget.state()).field("batch", &self.batch.get()).finish()
    }
}

impl Client {
    pub fn meter(&self) -> Meter {
        Meter { budget: Arc::clone(&self.budget), batch: Arc::clone(&self.batch), share: self.config.share.clone() }
    }
}

impl Meter {
    /// HTTP requests one poll of `n` independent requests costs. Until the first poll
    /// has found out whether the instance has the Batch API, it is assumed to (the first
    /// poll then comes as soon as on an instance that has it, not `n` times later).
    pub fn cost(&self, n: usize) -> usize {
        if n > 1 && self.batch.get() != Some(false) { 1 } else { n }
    }

    /// Whether the last poll was answered wholly by the other consoles sharing polls.
    pub fn served_by_others(&self) -> bool {
        self.share.as_ref().is_some_and(|s| s.served_last())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_costs_one_request_unless_the_instance_lacks_the_batch_api() {
        let m = Meter { budget: Arc::new(Budget::new(1800)), batch: Arc::default(), share: None };
        assert_eq!(m.cost(8), 1, "not known yet: assumed, so the first poll is not eight times later");
        m.batch.set(true);
        assert_eq!(m.cost(8), 1);
        m.batch.set(false);
        assert_eq!(m.cost(8), 8);
        assert_eq!(m.cost(1), 1);
    }
}
