//! Following an operation to its end: a flow execution through the Flow REST status
//! endpoint, a queue entry through its state.

use std::time::Duration;

use super::{Ops, Outcome, Progress, Target};
use crate::client::Error;
use crate::domain::state::QueueState;

/// Why a followed operation's outcome is unknown after a signal.
const STOPPED: &str = "started; hubtop stopped following it on a signal — check the record before sending again";

impl Ops {
    pub(super) async fn follow_exec(
        &self,
        exec: &str,
        follow: bool,
        progress: &impl Fn(Progress),
    ) -> Result<Outcome, Error> {
        progress(Progress::Started { execution: exec.to_string() });
        if !follow {
            return Ok(Outcome::Ok(format!("execution {exec} started")));
        }
        let st = tokio::select! {
            st = self.client.follow(exec, self.follow_timeout, |_| {}) => st?,
            _ = self.flight.stopped() => return Ok(Outcome::Unknown(format!("execution {exec} {STOPPED}"))),
        };
        let summary = st.summary();
        Ok(if st.succeeded() { Outcome::Ok(summary) } else { Outcome::Failed(summary) })
    }

    /// After a retry, waits for the instance's flows to process the entry again.
    pub(super) async fn follow_entry(&self, t: &Target) -> Result<Outcome, Error> {
        tokio::select! {
            r = self.follow_entry_to_end(t) => r,
            _ = self.flight.stopped() => Ok(Outcome::Unknown(format!("queued again; {STOPPED}"))),
        }
    }

    async fn follow_entry_to_end(&self, t: &Target) -> Result<Outcome, Error> {
        let table = self.client.table(t.entity).to_string();
        let deadline = tokio::time::Instant::now() + self.follow_timeout;
        let fields = ["state", "last_error", "error", "response_code", "attempts"];
        loop {
            tokio::time::sleep(Duration::from_millis(700)).await;
            let r = self.client.get_record(&table, &t.sys_id, &fields, false).await?;
            match QueueState::parse(r.get("state")) {
                Some(QueueState::Ready | QueueState::Processing) if tokio::time::Instant::now() < deadline => continue,
                Some(QueueState::Ready | QueueState::Processing) => {
                    return Ok(Outcome::Ok("queued again; the instance has not processed it yet".into()));
                }
                Some(QueueState::Processed) => {
                    let code = r.get("response_code");
                    return Ok(Outcome::Ok(if code.is_empty() {
                        "processed".into()
                    } else {
                        format!("processed (HTTP {code})")
                    }));
                }
                _ => {
                    let err = if r.get("last_error").is_empty() { r.get("error") } else { r.get("last_error") };
                    let s = r.get("state");
                    return Ok(Outcome::Failed(crate::client::actions::advise(&format!("{s}: {err}"))));
                }
            }
        }
    }
}
