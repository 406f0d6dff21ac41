//! What the console sends: one operation over one or more records. Its own file so that
//! the dialogs that confirm a job, the bulk tally that counts one and the actions that
//! make one all depend on it and not on each other.

use crate::domain::Operation;
use crate::ops::Subject;

/// One operation over one or more records, as the console sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: u64,
    pub op: Operation,
    pub targets: Vec<Subject>,
}

impl Job {
    pub fn is_bulk(&self) -> bool {
        self.targets.len() > 1
    }
}
