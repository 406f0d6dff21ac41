//! What is in flight, so that a signal or the operator quitting can end the process
//! without losing an outcome: stop sending, wait a bounded time for what was sent, then
//! record "unknown" in the audit log for whatever did not answer, with what stopped it.
//! Every audit "sent" line gets exactly one outcome line: whoever takes an operation out
//! of the table writes it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{Notify, watch};

/// Writes an operation's outcome line (word, detail) to the audit log.
type Complete = Box<dyn FnOnce(&str, &str) + Send>;

/// What stopped sending: the audit detail of what was left without an answer says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A signal arrived (`kill`, a closed terminal).
    Signal(crate::signals::Signal),
    /// The operator quit the console (`q` with work under way).
    Quit,
}

impl Stop {
    /// What happened, in words ("hubtop stopped on SIGTERM", "the operator quit hubtop").
    pub fn words(self) -> String {
        match self {
            Stop::Signal(s) => format!("hubtop stopped on {}", s.name()),
            Stop::Quit => "the operator quit hubtop".into(),
        }
    }

    /// The detail recorded for an operation still in flight when sending stopped.
    pub fn abandoned(self) -> String {
        format!("sent, but no answer before {} — check the record before sending again", self.words())
    }
}

/// Operations sent and not yet answered.
pub struct Flight {
    pending: Mutex<Table>,
    next: AtomicU64,
    idle: Notify,
    stop_tx: watch::Sender<bool>,
}

#[derive(Default)]
struct Table {
    /// Set once sending stops, with what stopped it.
    stopping: Option<Stop>,
    ops: HashMap<u64, (String, Complete)>,
}

/// An operation's place in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

/// What a stop left behind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Abandoned {
    /// The labels of the operations recorded as "unknown".
    pub labels: Vec<String>,
}

impl Default for Flight {
    fn default() -> Self {
        Flight {
            pending: Mutex::default(),
            next: AtomicU64::new(1),
            idle: Notify::new(),
            stop_tx: watch::channel(false).0,
        }
    }
}

impl Flight {
    /// Registers an operation about to be sent. `begin` writes its "sent" line and returns
    /// what writes its outcome; it runs under the table's lock, so a stop cannot slip in
    /// between the "sent" line and the registration. `None` (nothing written) once stopping.
    pub fn enter(&self, label: &str, begin: impl FnOnce() -> Complete) -> Option<Ticket> {
        let mut t = self.pending.lock();
        if t.stopping.is_some() {
            return None;
        }
        let ticket = Ticket(self.next.fetch_add(1, Ordering::Relaxed));
        t.ops.insert(ticket.0, (label.to_string(), begin()));
        Some(ticket)
    }

    /// Records an operation's outcome, unless a stop already recorded it as unknown.
    pub fn leave(&self, ticket: Ticket, word: &str, detail: &str) {
        let (entry, empty) = {
            let mut t = self.pending.lock();
            let e = t.ops.remove(&ticket.0);
            (e, t.ops.is_empty())
        };
        if let Some((_, complete)) = entry {
            complete(word, detail);
        }
        if empty {
            self.idle.notify_waiters();
        }
    }

    /// Stops sending because of `why`: every later [`Flight::enter`] is refused. The
    /// first reason holds (a signal after `q` does not rewrite what the operator did).
    pub fn stop(&self, why: Stop) {
        self.pending.lock().stopping.get_or_insert(why);
        self.stop_tx.send_replace(true);
    }

    pub fn is_stopping(&self) -> bool {
        self.pending.lock().stopping.is_some()
    }

    /// What stopped sending, once it stopped.
    pub fn stopped_by(&self) -> Option<Stop> {
        self.pending.lock().stopping
    }

    pub fn in_flight(&self) -> usize {
        self.pending.lock().ops.len()
    }

    /// Resolves once stopping (at once if already).
    pub async fn stopped(&self) {
        let mut rx = self.stop_tx.subscribe();
        let _ = rx.wait_for(|s| *s).await;
    }

    /// Waits until nothing is in flight or `deadline` passes; true when nothing is.
    pub async fn settle(&self, deadline: tokio::time::Instant) -> bool {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.in_flight() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.in_flight() == 0;
            }
        }
    }

    /// Records "unknown" for everything still in flight and forgets it; the detail says
    /// what stopped sending (`why` if it had not stopped yet).
    pub fn abandon(&self, why: Stop) -> Abandoned {
        let (ops, why): (Vec<_>, Stop) = {
            let mut t = self.pending.lock();
            let why = *t.stopping.get_or_insert(why);
            (t.ops.drain().map(|(_, v)| v).collect(), why)
        };
        let detail = why.abandoned();
        let mut labels = Vec::new();
        for (label, complete) in ops {
            complete("unknown", &detail);
            labels.push(label);
        }
        self.idle.notify_waiters();
        Abandoned { labels }
    }

    /// Stop (because of `why`), wait up to `grace` for what is in flight, record the rest
    /// as unknown.
    pub async fn shutdown(&self, grace: Duration, why: Stop) -> Abandoned {
        self.stop(why);
        self.settle(tokio::time::Instant::now() + grace).await;
        self.abandon(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn recorder() -> (Arc<Mutex<Vec<String>>>, impl Fn(&str) -> Complete) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = Arc::clone(&log);
        let make = move |name: &str| -> Complete {
            let l = Arc::clone(&l);
            let name = name.to_string();
            Box::new(move |w: &str, _d: &str| l.lock().push(format!("{name} {w}")))
        };
        (log, make)
    }

    #[tokio::test]
    async fn one_outcome_per_operation_and_none_sent_after_a_stop() {
        let f = Arc::new(Flight::default());
        let (log, make) = recorder();
        let a = f.enter("a", || make("a")).expect("a");
        let b = f.enter("b", || make("b")).expect("b");
        f.leave(a, "ok", "");
        let f2 = Arc::clone(&f);
        let waiter = tokio::spawn(async move { f2.shutdown(Duration::from_millis(200), Stop::Quit).await });
        f.stopped().await;
        assert!(f.enter("c", || make("c")).is_none(), "nothing enters once stopping");
        let gone = waiter.await.expect("shutdown");
        assert_eq!(gone.labels, vec!["b".to_string()]);
        // The late answer of b does not write a second outcome.
        f.leave(b, "ok", "");
        assert_eq!(*log.lock(), vec!["a ok".to_string(), "b unknown".to_string()]);
    }

    #[tokio::test]
    async fn settle_returns_when_the_last_answer_arrives() {
        let f = Arc::new(Flight::default());
        let (log, make) = recorder();
        let a = f.enter("a", || make("a")).expect("a");
        let f2 = Arc::clone(&f);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            f2.leave(a, "ok", "");
        });
        let t0 = std::time::Instant::now();
        let gone = f.shutdown(Duration::from_secs(10), Stop::Quit).await;
        assert!(t0.elapsed() < Duration::from_secs(5), "did not wait out the grace");
        assert!(gone.labels.is_empty());
        assert_eq!(*log.lock(), vec!["a ok".to_string()]);
    }

    /// What the audit detail says names what stopped sending: the operator's quit is not
    /// called a signal, and a signal after `q` does not rewrite it.
    #[tokio::test]
    async fn the_abandoned_detail_says_what_stopped_sending() {
        use crate::signals::Signal;
        for (why, later, said) in [
            (Stop::Quit, Some(Stop::Signal(Signal::Term)), "before the operator quit hubtop"),
            (Stop::Signal(Signal::Hup), None, "before hubtop stopped on SIGHUP"),
        ] {
            let f = Flight::default();
            let details = Arc::new(Mutex::new(Vec::new()));
            let d = Arc::clone(&details);
            f.enter("a", move || Box::new(move |w: &str, detail: &str| d.lock().push(format!("{w}: {detail}"))))
                .expect("a");
            f.stop(why);
            if let Some(later) = later {
                f.stop(later);
            }
            let gone = f.abandon(Stop::Quit);
            assert_eq!(gone.labels, vec!["a".to_string()]);
            let details = details.lock();
            assert_eq!(details.len(), 1);
            assert!(
                details[0].starts_with("unknown: sent, but no answer ") && details[0].contains(said),
                "{details:?}"
            );
            assert!(!details[0].contains("signal") || matches!(why, Stop::Signal(_)), "{details:?}");
        }
    }
}
