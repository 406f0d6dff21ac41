//! Starting the embedded instance from a snapshot (`hubtop sim --load`, `hubtop rehearse`).
//!
//! The instance starts empty of demo data (no traffic, no seeded work orders); its
//! seeded providers and flows are replaced by the snapshot's, and every record is loaded
//! under the embedded instance's table names (the names the console expects), with the
//! logical field names the snapshot stores. Loading fires no write hook: an entry that
//! was `ready` or waiting for an automatic retry in the snapshot stays as it is until
//! the rehearsal acts on it, so what changes in a rehearsal is what the operator did.
//!
//! The instance's clock starts at the snapshot's time and runs from there. Each provider
//! becomes a simulated provider under `/sim/fm/<sys_id>`, answering as `--providers`
//! says: `ok` (healthy), `down` (503 on every call), or `as-recorded` — as its latest
//! sync history row answered (success → healthy; 401/403 → credentials rejected; 429 →
//! rate limited; 5xx or no answer → down; a failed 2xx → malformed); a provider without
//! history is down when its outbound state is `error`, else healthy.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Fields, Snapshot};
use crate::domain::Entity;
use crate::sim::engine::INBOUND_FLOW;
use crate::sim::fm::{Behaviour, FmOrder};
use crate::sim::schema::{self, FLOWS, PROVIDERS, SYS_ID, SYS_MOD_COUNT};
use crate::sim::{Sim, SimConfig, SimHandle};

/// How the snapshot's providers answer in the rehearsal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Providers {
    /// Each as its latest sync history says it answered.
    #[default]
    AsRecorded,
    /// Every provider healthy.
    Ok,
    /// Every provider down (503).
    Down,
}

/// What a provider does in the rehearsal: `None` is down (an outage).
fn recorded(sim_history: &[&Fields], provider: &Fields) -> Option<Behaviour> {
    let latest = sim_history.iter().max_by(|a, b| {
        let k = |r: &Fields| (r.get("sys_created_on").cloned().unwrap_or_default(), r.get("sys_id").cloned());
        k(a).cmp(&k(b))
    });
    match latest {
        None if provider.get("outbound_state").map(String::as_str) == Some("error") => None,
        None => Some(Behaviour::Healthy),
        Some(h) if h.get("status").map(String::as_str) == Some("success") => Some(Behaviour::Healthy),
        Some(h) => match h.get("response_code").and_then(|c| c.trim().parse::<u16>().ok()) {
            Some(401 | 403) => Some(Behaviour::BrokenCredentials),
            Some(429) => Some(Behaviour::RateLimited),
            Some(200..=299) => Some(Behaviour::Malformed),
            _ => None,
        },
    }
}

/// A one-word name of what a provider does, for the start-up summary.
pub fn describe(b: Option<Behaviour>) -> &'static str {
    match b {
        None => "down (503)",
        Some(Behaviour::Healthy) => "healthy",
        Some(Behaviour::Flaky) => "flaky",
        Some(Behaviour::Slow) => "slow",
        Some(Behaviour::BrokenCredentials) => "credentials rejected (401)",
        Some(Behaviour::RateLimited) => "rate limited (429)",
        Some(Behaviour::Malformed) => "malformed answers",
    }
}

/// Starts the embedded instance (`base` for port, secrets, faults…) loaded from `snap`.
/// Returns the handle and, per provider, its title and what it does.
pub async fn start(
    snap: &Snapshot,
    mode: Providers,
    base: SimConfig,
) -> anyhow::Result<(SimHandle, Vec<(String, &'static str)>)> {
    let cfg = SimConfig { demo: false, traffic: 0, rows: 0, ..base };
    let handle = crate::sim::start(cfg).await?;
    let summary = apply(&handle.sim, snap, mode)?;
    Ok((handle, summary))
}

fn rows_of(table: &str, records: &[Fields]) -> Vec<Vec<Arc<str>>> {
    let def = schema::table(table).expect("a table the embedded instance serves");
    records
        .iter()
        .map(|r| {
            let mut row: Vec<Arc<str>> =
                def.fields.iter().map(|f| Arc::from(r.get(f.name).map_or("", |v| v))).collect();
            if row[SYS_MOD_COUNT].is_empty() {
                row[SYS_MOD_COUNT] = Arc::from("0");
            }
            row
        })
        .filter(|row| !row[SYS_ID].is_empty())
        .collect()
}

/// Replaces the instance's providers and flows with the snapshot's and loads the rest.
pub fn apply(sim: &Sim, snap: &Snapshot, mode: Providers) -> anyhow::Result<Vec<(String, &'static str)>> {
    let s = &sim.store;
    for table in [PROVIDERS, FLOWS] {
        let ids: Vec<String> = s.table(table)?.read().iter().map(|r| r[SYS_ID].to_string()).collect();
        for id in ids {
            s.delete(table, &id)?;
        }
    }
    if let Some(t) = crate::time::parse(&snap.header.taken_at) {
        s.set_offset(t - chrono::Utc::now());
    }
    let empty = Vec::new();
    let recs = |e: Entity| snap.records.get(&e).unwrap_or(&empty);
    // Providers answer at the embedded instance, as the chosen behaviour.
    let mut history: HashMap<&str, Vec<&Fields>> = HashMap::new();
    for h in recs(Entity::History) {
        history.entry(h.get("provider").map_or("", |v| v)).or_default().push(h);
    }
    let mut summary = Vec::new();
    let mut providers = Vec::new();
    for p in recs(Entity::Providers) {
        let id = p.get("sys_id").cloned().unwrap_or_default();
        let behaviour = match mode {
            Providers::Ok => Some(Behaviour::Healthy),
            Providers::Down => None,
            Providers::AsRecorded => recorded(history.get(id.as_str()).map_or(&[][..], |v| v), p),
        };
        sim.fm.set_behaviour(&id, behaviour.unwrap_or(Behaviour::Healthy));
        sim.fm.set_outage(&id, behaviour.is_none());
        summary.push((p.get("title").cloned().unwrap_or_else(|| id.clone()), describe(behaviour)));
        let mut p = p.clone();
        p.insert("base_url".into(), format!("{}/sim/fm/{id}", sim.base_url));
        providers.push(p);
    }
    let default_table = |e: Entity| e.desc().default_table;
    s.bulk_load(default_table(Entity::Providers), rows_of(default_table(Entity::Providers), &providers).into_iter())?;
    for e in [Entity::Flows, Entity::WorkOrders, Entity::Outbound, Entity::Inbound, Entity::Executions, Entity::History]
    {
        s.bulk_load(default_table(e), rows_of(default_table(e), recs(e)).into_iter())?;
    }
    // New records (an update queues an entry) are numbered after the loaded ones.
    for e in [Entity::WorkOrders, Entity::Outbound, Entity::Inbound] {
        let Some(prefix) = schema::table(default_table(e)).and_then(|d| d.number_prefix) else { continue };
        let max = recs(e)
            .iter()
            .filter_map(|r| r.get("number")?.strip_prefix(prefix)?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        s.number_after(default_table(e), max)?;
    }
    if s.find(FLOWS, "name", INBOUND_FLOW).is_none() {
        s.insert(FLOWS, &[("name", INBOUND_FLOW), ("type", "flow"), ("active", "true"), ("inputs", "inbound_record")])?;
    }
    // The work orders the providers hold, so an update or a cancel finds its order.
    let mut orders = sim.fm.orders.lock();
    for w in recs(Entity::WorkOrders) {
        let (Some(fm_id), Some(p)) = (w.get("fm_work_order_id"), w.get("fm_provider")) else { continue };
        if fm_id.is_empty() {
            continue;
        }
        let status =
            if w.get("integration_state").map(String::as_str) == Some("cancelled") { "cancelled" } else { "accepted" };
        orders.insert(fm_id.clone(), FmOrder { slug: p.clone(), status: status.into() });
    }
    Ok(summary)
}

/// The instance's state now, as a snapshot with `source`'s header (its time the
/// instance's clock): every record of the tables a snapshot holds.
pub fn dump(sim: &Sim, source: &super::Header) -> Snapshot {
    let mut records = std::collections::BTreeMap::new();
    for e in Entity::ALL {
        let table = e.desc().default_table;
        let Ok(t) = sim.store.table(table) else { continue };
        let t = t.read();
        let names: Vec<&str> = t.def.fields.iter().map(|f| f.name).collect();
        let rows: Vec<Fields> = t
            .iter()
            .map(|r| names.iter().zip(r.iter()).map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .collect();
        records.insert(e, rows);
    }
    let mut header = source.clone();
    header.taken_at = crate::time::format(sim.store.now());
    Snapshot { header, records, requests: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn as_recorded_follows_the_latest_history_row() {
        let p = f(&[("outbound_state", "ready")]);
        let h = |at: &str, status: &str, code: &str| {
            f(&[("sys_created_on", at), ("status", status), ("response_code", code), ("sys_id", at)])
        };
        let (old_ok, new_401) = (h("2026-12-01 10:00:00", "success", "201"), h("2026-12-01 11:00:00", "failed", "401"));
        assert_eq!(recorded(&[&old_ok, &new_401], &p), Some(Behaviour::BrokenCredentials));
        assert_eq!(recorded(&[&new_401, &h("2026-12-01 12:00:00", "success", "200")], &p), Some(Behaviour::Healthy));
        assert_eq!(recorded(&[&h("2026-12-01 12:00:00", "failed", "429")], &p), Some(Behaviour::RateLimited));
        assert_eq!(recorded(&[&h("2026-12-01 12:00:00", "failed", "503")], &p), None);
        assert_eq!(recorded(&[&h("2026-12-01 12:00:00", "failed", "")], &p), None);
        assert_eq!(recorded(&[&h("2026-12-01 12:00:00", "failed", "200")], &p), Some(Behaviour::Malformed));
        assert_eq!(recorded(&[], &p), Some(Behaviour::Healthy));
        assert_eq!(recorded(&[], &f(&[("outbound_state", "error")])), None);
    }
}
