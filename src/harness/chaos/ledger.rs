//! "No action sent twice", compared like with like: each audited action is counted
//! under the record the instance counts its request under (a PATCH under the entry, a
//! flow trigger under its `record` input, which for a rerun is the execution's source
//! record, not the execution), then no record may have reached the instance more often
//! than the audit log sent something for it.

use std::collections::HashMap;
use std::path::Path;

use crate::client::{Client, Entity};
use crate::domain::state::QueueState;
use crate::sim::{self, schema};

/// One action as the audit log recorded it when it was sent.
#[derive(Debug, Clone, PartialEq)]
pub struct SentLine {
    pub action: String,
    /// The record's table and sys_id (the audit writes `table:sys_id`).
    pub table: String,
    pub sys_id: String,
}

pub fn sent_lines(audit: &Path) -> anyhow::Result<Vec<SentLine>> {
    let mut out = Vec::new();
    for line in std::fs::read_to_string(audit)?.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if v["phase"] == "sent" {
            let (table, sys_id) = v["record"].as_str().unwrap_or("").rsplit_once(':').unwrap_or_default();
            out.push(SentLine {
                action: v["action"].as_str().unwrap_or("").to_string(),
                table: table.to_string(),
                sys_id: sys_id.to_string(),
            });
        }
    }
    Ok(out)
}

/// The record the instance counts an action's request under.
fn counted_under(h: &sim::SimHandle, s: &SentLine) -> String {
    if s.action == "rerun"
        && let Ok(row) = h.sim.store.get(schema::EXECUTIONS, &s.sys_id)
    {
        return sim::store::Store::field(schema::EXECUTIONS, &row, "source_record").to_string();
    }
    s.sys_id.clone()
}

/// The records the instance received more writes for than the audit log sent, with
/// both counts (`sys_id: instance N > audit M`).
pub fn sent_twice(h: &sim::SimHandle, audit: &Path) -> anyhow::Result<Vec<String>> {
    let mut audited: HashMap<String, u64> = HashMap::new();
    for s in sent_lines(audit)? {
        *audited.entry(counted_under(h, &s)).or_default() += 1;
    }
    let mut received: HashMap<String, u64> = HashMap::new();
    for (id, n) in h.sim.counters.patches_by_id.lock().iter().chain(h.sim.counters.triggers_by_record.lock().iter()) {
        *received.entry(id.clone()).or_default() += n;
    }
    let mut over: Vec<String> = received
        .iter()
        .filter(|(id, n)| **n > audited.get(*id).copied().unwrap_or(0))
        .map(|(id, n)| format!("{id}: instance {n} > audit {}", audited.get(id).copied().unwrap_or(0)))
        .collect();
    over.sort();
    Ok(over)
}

/// The test-only duplicate: sends the last audited retry, skip or rerun once more,
/// past the audit log, as a bug that resent work would. Returns what it resent.
pub async fn send_duplicate(client: &Client, audit: &Path) -> anyhow::Result<String> {
    // An action the instance certainly received (its outcome was ok): a duplicate of one
    // a fault stopped on the way would not be over the audit's count, and prove nothing.
    let mut ok = std::collections::HashSet::new();
    let mut sent = Vec::new();
    for line in std::fs::read_to_string(audit)?.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        match v["phase"].as_str() {
            Some("done") if v["outcome"] == "ok" => {
                ok.insert(v["id"].to_string());
            }
            Some("sent") => {
                let (table, sys_id) = v["record"].as_str().unwrap_or("").rsplit_once(':').unwrap_or_default();
                let line = SentLine {
                    action: v["action"].as_str().unwrap_or("").to_string(),
                    table: table.to_string(),
                    sys_id: sys_id.to_string(),
                };
                sent.push((v["id"].to_string(), line));
            }
            _ => {}
        }
    }
    // Preferably one whose record has no other attempt that a fault stopped: such an
    // attempt is in the audit's count for the record but not the instance's. Where
    // every record has one, the duplicate is sent as many times as the audit sent
    // anything for the record, so that it shows over the audit's count all the same.
    let attempts = |sys_id: &str| sent.iter().filter(|(_, s)| s.sys_id == sys_id).count();
    let slack_free = |sys_id: &str| sent.iter().filter(|(_, s)| s.sys_id == sys_id).all(|(id, _)| ok.contains(id));
    let duplicable =
        |(id, s): &&(String, SentLine)| ok.contains(id) && matches!(s.action.as_str(), "retry" | "skip" | "rerun");
    let chosen = sent.iter().rev().filter(duplicable);
    let Some((_, s)) = chosen.clone().find(|(_, s)| slack_free(&s.sys_id)).or_else(|| chosen.clone().next()) else {
        anyhow::bail!("no retry, skip or rerun ended ok to duplicate");
    };
    for _ in 0..attempts(&s.sys_id) {
        match s.action.as_str() {
            "rerun" => {
                let (flow, inputs, _) = client.rerun_inputs(&s.sys_id).await?;
                client.start_flow("rerun", &flow, &inputs).await?;
            }
            verb => {
                let state = if verb == "retry" { QueueState::Ready } else { QueueState::Skipped };
                let entity = if s.table == client.table(Entity::Inbound) { Entity::Inbound } else { Entity::Outbound };
                client.set_entry_state(entity, &s.sys_id, state.as_str()).await?;
            }
        }
    }
    Ok(format!("{} {}", s.action, s.sys_id))
}

/// How many actions ended each way (ok, failed, unknown, not_sent).
pub fn outcome_counts(audit: &std::path::Path) -> anyhow::Result<HashMap<String, usize>> {
    let mut m = HashMap::new();
    for line in std::fs::read_to_string(audit)?.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if v["phase"] == "done" {
            *m.entry(v["outcome"].as_str().unwrap_or("?").to_string()).or_default() += 1;
        }
    }
    Ok(m)
}
