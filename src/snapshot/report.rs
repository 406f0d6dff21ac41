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
            // Refused before anything was sent: one line, with the reason.
            "refused" => out.push(Action {
                time: s("time"),
                action: s("action"),
                record: s("record"),
                outcome: format!("refused: {}", s("detail")),
            }),
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
    for (e, field) in [
        (Entity::Outbound, "state"),
        (Entity::Inbound, "state"),
        (Entity::WorkOrders, "integration_state"),
        (Entity::Executions, "state"),
    ] {
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
    // Executions the rehearsal ran (a retry's flow, a rerun, a create), and those whose
    // state changed.
    let before_ex: HashMap<String, &Fields> = before
        .records
        .get(&Entity::Executions)
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r.get("sys_id")?.clone(), r)))
        .collect();
    let mut runs: Vec<(String, String, String, String)> = Vec::new();
    for r in after.records.get(&Entity::Executions).into_iter().flatten() {
        let f = |k: &str| r.get(k).cloned().unwrap_or_default();
        let id = f("sys_id");
        let now = f("state");
        let was = before_ex.get(&id).map(|b| b.get("state").cloned().unwrap_or_default());
        if was.as_deref() != Some(now.as_str()) {
            let started = f("started");
            let when = if started.is_empty() { f("sys_created_on") } else { started };
            runs.push((when, f("name"), was.unwrap_or_else(|| "(new)".into()), now));
        }
    }
    runs.sort();
    let _ = writeln!(o, "Executions run or changed in the rehearsal: {}", runs.len());
    for (when, name, was, now) in runs.iter().take(SHOWN) {
        let name = if name.is_empty() { "(unnamed flow)" } else { name.as_str() };
        let _ = writeln!(o, "  {when:<19}  {name}  {was} -> {now}");
    }
    if runs.len() > SHOWN {
        let _ = writeln!(o, "  … and {} more", runs.len() - SHOWN);
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
        let _ =
            writeln!(o, "  {} UTC  {:<8} {:<14} {}", crate::audit::display_time(&a.time), a.action, record, a.outcome);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Header;

    fn snap(execs: &[(&str, &str, &str)]) -> Snapshot {
        let header = Header {
            format: crate::snapshot::FORMAT.into(),
            version: crate::snapshot::VERSION,
            hubtop: "0".into(),
            profile: Some("prod".into()),
            instance: "https://acme.example".into(),
            taken_at: "2026-12-06 22:40:00".into(),
            since: "2026-11-29 22:40:00".into(),
            payloads: "redacted".into(),
            tables: Default::default(),
            mapping: Default::default(),
            choices: Default::default(),
            choices_from: "built-in".into(),
        };
        let rows = execs
            .iter()
            .map(|(id, name, state)| {
                [("sys_id", *id), ("name", *name), ("state", *state), ("started", "2026-12-06 23:00:00")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect();
        Snapshot { header, records: [(Entity::Executions, rows)].into_iter().collect(), requests: 0 }
    }

    /// A walkthrough found the report silent about executions: the flows a rehearsal ran
    /// (a rerun, a retry's flow) are what a change request needs to read.
    #[test]
    fn the_report_lists_executions_by_state_and_those_the_rehearsal_ran() {
        let before = snap(&[("e1", "Acme create", "ERROR"), ("e2", "Acme update", "COMPLETE")]);
        let after = snap(&[
            ("e1", "Acme create", "ERROR"),
            ("e2", "Acme update", "COMPLETE"),
            ("e3", "Acme create", "COMPLETE"),
        ]);
        let audit = r#"{"id":"a","time":"2026-12-06 23:00:00","phase":"refused","action":"retry","record":"x:1","outcome":"refused","detail":"read-only"}"#;
        let text = render(&before, &after, audit);
        assert!(text.contains("Executions") && text.contains("COMPLETE 1 -> 2"), "{text}");
        assert!(text.contains("Executions run or changed in the rehearsal: 1"), "{text}");
        assert!(text.contains("Acme create  (new) -> COMPLETE"), "{text}");
        assert!(text.contains("refused: read-only"), "a refusal is an action of the log: {text}");
    }
}
