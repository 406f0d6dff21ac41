//! What a rehearsal changed against its snapshot, as text for a change request.
//!
//! A rehearsal leaves two files beside the snapshot `FILE`: `FILE.rehearsal-audit.jsonl`
//! (its audit log, every line marked with the profile `REHEARSAL of <source>`) and,
//! when it ends, `FILE.rehearsal-end` (the instance's end state, in the snapshot
//! format). The report compares the snapshot with the end state and lists the audit's
//! actions; it needs no instance. A new rehearsal sets the previous one's files aside
//! (renamed with a time suffix), so a report never mixes two rehearsals.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Fields, Snapshot};
use crate::domain::Entity;

/// The rehearsal's audit log beside the snapshot.
pub fn audit_path(snapshot: &Path) -> PathBuf {
    suffixed(snapshot, ".rehearsal-audit.jsonl")
}

/// The rehearsal's end state beside the snapshot.
pub fn end_path(snapshot: &Path) -> PathBuf {
    suffixed(snapshot, ".rehearsal-end")
}

fn suffixed(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// The profile name a rehearsal's audit lines carry.
pub fn audit_mark(source: &str) -> String {
    format!("REHEARSAL of {source}")
}

fn by_state(rows: &[Fields], field: &str) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in rows {
        *m.entry(r.get(field).cloned().unwrap_or_default()).or_insert(0) += 1;
    }
    m
}

/// One action from the audit log: when, what, on which record, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub time: String,
    pub action: String,
    pub record: String,
    pub outcome: String,
}

/// The actions of an audit log, in the order they were sent.
pub fn actions(audit: &str) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for line in audit.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        match s("phase").as_str() {
            "sent" => {
                index.insert(s("id"), out.len());
                out.push(Action {
                    time: s("time"),
                    action: s("action"),
                    record: s("record"),
                    outcome: "no outcome recorded".into(),
                });
            }
            "done" => {
                if let Some(&i) = index.get(&s("id")) {
                    let d = s("detail");
                    out[i].outcome = if d.is_empty() { s("outcome") } else { format!("{}: {d}", s("outcome")) };
                }
            }
            _ => {}
        }
    }
    out
}

/// The report: entries by state before and after, work orders whose integration state
/// changed, and the actions taken.
pub fn render(before: &Snapshot, after: &Snapshot, audit: &str) -> String {
    let h = &before.header;
    let mut o = String::new();
    let _ = writeln!(o, "Rehearsal report: {} @ {} UTC", h.source_name(), h.taken_at);
    let _ = writeln!(o, "  snapshot of {} (window from {} UTC, payloads {})", h.instance, h.since, h.payloads);
    let _ = writeln!(o, "  rehearsal ended at {} UTC (the rehearsal's clock)", after.header.taken_at);
    let _ = writeln!(o, "  nothing was sent to {}: the rehearsal ran on a copy", h.instance);
    let _ = writeln!(o);
    let _ = writeln!(o, "Entries by state (before -> after):");
    let empty = Vec::new();
    let rows = |s: &'_ Snapshot, e: Entity| s.records.get(&e).unwrap_or(&empty).clone();
    for (e, field) in
        [(Entity::Outbound, "state"), (Entity::Inbound, "state"), (Entity::WorkOrders, "integration_state")]
    {
        let (b, a) = (by_state(&rows(before, e), field), by_state(&rows(after, e), field));
        let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
        keys.sort();
        keys.dedup();
        let cells: Vec<String> = keys
            .iter()
            .map(|k| {
                let (x, y) = (b.get(*k).copied().unwrap_or(0), a.get(*k).copied().unwrap_or(0));
                let name = if k.is_empty() { "(none)" } else { k.as_str() };
                if x == y { format!("{name} {x}") } else { format!("{name} {x} -> {y}") }
            })
            .collect();
        let _ = writeln!(o, "  {:<12} {}", e.label(), if cells.is_empty() { "none".into() } else { cells.join(", ") });
    }
    let _ = writeln!(o);
    let before_wo: HashMap<String, &Fields> = before
        .records
        .get(&Entity::WorkOrders)
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r.get("sys_id")?.clone(), r)))
        .collect();
    let mut changed: Vec<(String, String, String)> = Vec::new();
    for r in after.records.get(&Entity::WorkOrders).into_iter().flatten() {
        let id = r.get("sys_id").cloned().unwrap_or_default();
        let now = r.get("integration_state").cloned().unwrap_or_default();
        let was = before_wo.get(&id).and_then(|b| b.get("integration_state")).cloned();
        if was.as_deref() != Some(now.as_str()) {
            let number = r.get("number").cloned().unwrap_or(id);
            changed.push((number, was.unwrap_or_else(|| "(new)".into()), now));
        }
    }
    changed.sort();
    let _ = writeln!(o, "Work orders whose integration state changed: {}", changed.len());
    const SHOWN: usize = 200;
    for (n, was, now) in changed.iter().take(SHOWN) {
        let _ = writeln!(o, "  {n:<12} {was} -> {now}");
    }
    if changed.len() > SHOWN {
        let _ = writeln!(o, "  … and {} more", changed.len() - SHOWN);
    }
    let _ = writeln!(o);
    let acts = actions(audit);
    // Records by their numbers where they have one (the audit names `table:sys_id`).
    let numbers: HashMap<&str, &str> = after
        .records
        .values()
        .chain(before.records.values())
        .flatten()
        .filter_map(|r| Some((r.get("sys_id")?.as_str(), r.get("number").filter(|n| !n.is_empty())?.as_str())))
        .collect();
    let _ = writeln!(o, "Actions taken in the rehearsal: {}", acts.len());
    for a in &acts {
        let id = a.record.rsplit(':').next().unwrap_or(&a.record);
        let record = numbers.get(id).copied().unwrap_or(&a.record);
        let _ = writeln!(o, "  {} UTC  {:<8} {:<14} {}", a.time, a.action, record, a.outcome);
    }
    o
}
