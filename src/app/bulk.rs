//! A job's state while it runs, and a bulk job's report: each record counted once by its
//! final state, failures grouped by message. Shown in the status area and, whole, in
//! `:log`; never in a dialog.

use std::collections::{BTreeMap, BTreeSet};

use super::job::Job;
use crate::ops::{Outcome, Subject};

/// A job under way (or, for a bulk job, finished: its report stays in the status area).
#[derive(Debug, Clone)]
pub struct Running {
    pub job: Job,
    pub done: usize,
    pub failed: usize,
    pub unknown: usize,
    /// Each target's final outcome, once (in the order they came).
    pub results: Vec<(Subject, Outcome)>,
    /// Entries set back to ready and followed now.
    pub queued: BTreeSet<String>,
    pub cancelling: bool,
    /// When it finished (`None`: under way), and whether it was cancelled.
    pub finished: Option<(std::time::Instant, bool)>,
}

impl Running {
    pub fn new(job: Job) -> Running {
        Running {
            job,
            done: 0,
            failed: 0,
            unknown: 0,
            results: Vec::new(),
            queued: BTreeSet::new(),
            cancelling: false,
            finished: None,
        }
    }

    pub fn remaining(&self) -> usize {
        self.job.targets.len().saturating_sub(self.results.len())
    }

    /// Each record counted once, by its final state.
    pub fn tally(&self) -> Tally {
        let mut t = Tally { total: self.job.targets.len(), ..Tally::default() };
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (tg, o) in &self.results {
            match o {
                o if o.is_waiting() => t.waiting += 1,
                Outcome::Ok(_) => t.ok += 1,
                // The same failure with another id or number is one group, as on the
                // overview (`work order # not found`).
                Outcome::Failed(why) => {
                    groups.entry(super::overview::normalise(why)).or_default().push(tg.label.clone())
                }
                Outcome::Unknown(why) => {
                    t.unknown += 1;
                    t.unknown_why.push((tg.label.clone(), why.clone()));
                }
                Outcome::NotSent(_) => t.not_sent += 1,
            }
        }
        let seen: std::collections::HashSet<&str> = self.results.iter().map(|(t, _)| t.sys_id.as_str()).collect();
        let open: Vec<&Subject> = self.job.targets.iter().filter(|t| !seen.contains(t.sys_id.as_str())).collect();
        t.following = open.iter().filter(|x| self.queued.contains(&x.sys_id)).count();
        let unsent = open.len() - t.following;
        match self.finished {
            // Never sent: cancelled before its turn.
            Some(_) => t.not_sent += unsent,
            None => t.to_send = unsent,
        }
        let mut groups: Vec<(String, Vec<String>)> = groups.into_iter().collect();
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        t.failed = groups.iter().map(|(_, v)| v.len()).sum();
        t.groups = groups;
        t
    }

    /// The status area's line: what became of the records so far, each counted once.
    pub fn line(&self) -> String {
        let t = self.tally();
        let verb = self.job.op.verb();
        let ok_word = match verb {
            "retry" => "processed",
            "skip" => "skipped",
            _ => "ok",
        };
        let mut parts = vec![format!("✔ {} {ok_word}", t.ok)];
        let again = if verb == "retry" { "failed again" } else { "failed" };
        match t.groups.len() {
            0 => parts.push(format!("✖ 0 {again}")),
            1 => parts.push(format!("✖ {} {again}", t.failed)),
            // The number of different messages, not of records (`:log` lists each).
            g => parts.push(format!("✖ {} {again} with {g} different errors", t.failed)),
        }
        if t.waiting + t.following > 0 {
            parts.push(format!("⟳ {} waiting", t.waiting + t.following));
        }
        if t.unknown > 0 {
            parts.push(format!("? {} unknown", t.unknown));
        }
        if t.not_sent > 0 {
            parts.push(format!("– {} not sent", t.not_sent));
        }
        if t.to_send > 0 {
            parts.push(format!("{} to send", t.to_send));
        }
        let head = match self.finished {
            None if self.cancelling => format!("{verb} of {}: cancelling —", t.total),
            None => format!("{verb} of {} under way:", t.total),
            Some((_, true)) => format!("{verb} of {} cancelled:", t.total),
            Some(_) => format!("{verb} of {} finished:", t.total),
        };
        format!("{head} {}", parts.join("  "))
    }

    /// The full report for the session log: the counts, then each error with a count and
    /// the entries behind it, then each unknown outcome.
    pub fn report(&self) -> Vec<String> {
        let t = self.tally();
        let mut lines = vec![self.line()];
        for (why, labels) in &t.groups {
            lines.push(format!("  {} × {why}: {}", labels.len(), labels.join(", ")));
        }
        for (label, why) in &t.unknown_why {
            lines.push(format!("  unknown: {label}: {why}"));
        }
        lines
    }
}

/// A bulk job's records by final state (see [`Running::tally`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub total: usize,
    pub ok: usize,
    /// Failed (again), grouped by the error message, most first: (message, labels).
    pub failed: usize,
    pub groups: Vec<(String, Vec<String>)>,
    /// Set back to ready, the queue has not got to them (followed, or no longer).
    pub waiting: usize,
    pub following: usize,
    pub unknown: usize,
    pub unknown_why: Vec<(String, String)>,
    pub not_sent: usize,
    pub to_send: usize,
}

/// How long a finished bulk job's line stays in the status area (`:log` keeps it).
pub const REPORT_SHOWN: std::time::Duration = std::time::Duration::from_secs(60);
