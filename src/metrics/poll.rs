//! One poll of one instance: the overview's plan (the same Aggregate and Table requests
//! the console's overview makes, so provider health is rated exactly as the console
//! rates it) plus the few counts only monitoring needs, all sent together as one Batch
//! API request where the instance has it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::app::overview::Overview;
use crate::app::plans::{Answer, OverviewPlan, Request};
use crate::client::read::ListSpec;
use crate::client::{Client, Error, Record};
use crate::domain::Entity;
use crate::domain::state::{QueueState, SyncStatus};
use crate::query::{Condition, Query};

/// The two queues, by their label in the metrics.
pub const QUEUES: [(&str, Entity); 2] = [("outbound", Entity::Outbound), ("inbound", Entity::Inbound)];

/// The label of a record that names no provider.
pub const NO_PROVIDER: &str = "(none)";

/// What one successful poll saw. Provider labels are titles; states are choice values
/// as the instance stores them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// (queue, provider, state) → entries.
    pub entries: BTreeMap<(String, String, String), u64>,
    /// (queue, state) → age in seconds of the oldest entry, for the states in error and ready.
    pub oldest: BTreeMap<(String, String), f64>,
    /// (queue, provider) → entries in error that have used all their attempts.
    pub exhausted: BTreeMap<(String, String), u64>,
    /// Execution state → executions.
    pub executions: BTreeMap<String, u64>,
    /// (provider, integration state) → work orders.
    pub work_orders: BTreeMap<(String, String), u64>,
    /// Provider → its health value as the console rates it (`failing`, `degraded`, `ok`, `idle`).
    pub health: BTreeMap<String, String>,
    /// (provider, operation) → failed sync-history rows on the instance now (all time);
    /// the exposition turns it into a counter of rows seen since hubtop started.
    pub failed_syncs: BTreeMap<(String, String), u64>,
}

/// Requests that monitoring adds to the overview's, in the order [`assemble`] reads them.
fn extra_requests(c: &Client) -> Vec<Request> {
    let t = |e: Entity| c.config.tables.name(e).to_string();
    let count = |e: Entity, query: Query, group_by: Vec<&'static str>| Request::Count { table: t(e), query, group_by };
    let in_error = || Query::new().and(Condition::eq("state", QueueState::Error.as_str()));
    let mut out = vec![
        count(Entity::Inbound, Query::new(), vec!["provider", "state"]),
        // Attempts against the limit per entry in error: compared here rather than with a
        // field-to-field operator, so it works on any instance the Aggregate API serves.
        count(Entity::Outbound, in_error(), vec!["provider", "attempts", "max_attempts"]),
        count(Entity::WorkOrders, Query::new(), vec!["fm_provider", "integration_state"]),
        count(
            Entity::History,
            Query::new().and(Condition::eq("status", SyncStatus::Failed.as_str())),
            vec!["provider", "operation"],
        ),
    ];
    for (_, e) in QUEUES {
        for state in [QueueState::Error, QueueState::Ready] {
            let mut oldest = ListSpec::new(&t(e));
            oldest.query = Query::new().and(Condition::eq("state", state.as_str())).order_by("sys_created_on");
            oldest.fields = vec!["sys_created_on".into()];
            oldest.limit = 1;
            oldest.no_count = true;
            out.push(Request::List(oldest));
        }
    }
    out
}

/// Polls the instance once: every request at once (one Batch API call where the
/// instance has it), counted against the profile's request budget as a poll.
pub async fn poll(c: &Client, now: DateTime<Utc>) -> Result<Sample, Error> {
    let overview = OverviewPlan::new(&c.config.tables);
    let n = overview.requests.len();
    let mut requests = overview.requests.clone();
    requests.extend(extra_requests(c));
    let mut answers =
        crate::client::budget::background(crate::console::runner::execute(c, &requests)).await?.into_iter();
    let first: Vec<Answer> = answers.by_ref().take(n).collect();
    Ok(assemble(overview.assemble(first), answers.collect(), now))
}

fn counts(a: Option<Answer>) -> Vec<(Vec<String>, u64)> {
    match a {
        Some(Answer::Counts(c)) => c,
        _ => Vec::new(),
    }
}

fn rows(a: Option<Answer>) -> Vec<Record> {
    match a {
        Some(Answer::Rows(r)) => r,
        _ => Vec::new(),
    }
}

/// Builds the sample from the overview's data and the answers to [`extra_requests`].
fn assemble(data: crate::app::overview::OverviewData, extra: Vec<Answer>, now: DateTime<Utc>) -> Sample {
    let titles: HashMap<String, String> =
        data.providers.iter().map(|p| (p.sys_id().to_string(), p.show("title").to_string())).collect();
    let title = |id: &str| -> String {
        match titles.get(id) {
            Some(t) => t.clone(),
            None if id.is_empty() => NO_PROVIDER.to_string(),
            // A provider outside the first page of providers: its sys_id, still bounded.
            None => id.to_string(),
        }
    };
    let mut s = Sample::default();
    for (provider, state, n) in &data.by_provider {
        *s.entries.entry(("outbound".into(), title(provider), state.clone())).or_default() += n;
    }
    for (label, pairs) in &data.counts {
        if *label == "Executions" {
            s.executions = pairs.iter().map(|(k, n)| (k.clone(), *n)).collect();
        }
    }
    let mut overview = Overview::default();
    overview.absorb(data);
    s.health = overview.health.iter().map(|h| (h.title.clone(), h.health.as_str().to_string())).collect();

    let mut extra = extra.into_iter();
    for (keys, n) in counts(extra.next()) {
        let k = |i: usize| keys.get(i).cloned().unwrap_or_default();
        *s.entries.entry(("inbound".into(), title(&k(0)), k(1))).or_default() += n;
    }
    for (keys, n) in counts(extra.next()) {
        let num = |i: usize| keys.get(i).and_then(|v| v.trim().parse::<u64>().ok());
        let provider = title(keys.first().map(String::as_str).unwrap_or(""));
        let slot = s.exhausted.entry(("outbound".into(), provider)).or_default();
        if let (Some(attempts), Some(max)) = (num(1), num(2))
            && attempts >= max
        {
            *slot += n;
        }
    }
    for (keys, n) in counts(extra.next()) {
        let k = |i: usize| keys.get(i).cloned().unwrap_or_default();
        *s.work_orders.entry((title(&k(0)), k(1))).or_default() += n;
    }
    for (keys, n) in counts(extra.next()) {
        let k = |i: usize| keys.get(i).cloned().unwrap_or_default();
        *s.failed_syncs.entry((title(&k(0)), k(1))).or_default() += n;
    }
    for (queue, _) in QUEUES {
        for state in [QueueState::Error, QueueState::Ready] {
            let oldest = rows(extra.next());
            if let Some(t) = oldest.first().and_then(|r| crate::time::parse(r.get("sys_created_on"))) {
                let age = (now - t).num_milliseconds().max(0) as f64 / 1000.0;
                s.oldest.insert((queue.to_string(), state.as_str().to_string()), age);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::overview::OverviewData;

    fn record(pairs: &[(&str, &str)]) -> Record {
        Record::from_pairs(pairs)
    }

    #[test]
    fn a_sample_names_providers_by_title_and_counts_exhausted_attempts_only() {
        let data = OverviewData {
            providers: vec![record(&[("sys_id", "p1"), ("title", "Acme"), ("outbound_state", "ready")])],
            by_provider: vec![("p1".into(), "error".into(), 4), ("".into(), "ready".into(), 2)],
            counts: vec![("Executions", vec![("ERROR".into(), 3)])],
            ..Default::default()
        };
        let now = crate::time::parse("2026-12-06 12:00:00").unwrap();
        let extra = vec![
            Answer::Counts(vec![(vec!["p1".into(), "processed".into()], 7)]),
            Answer::Counts(vec![
                (vec!["p1".into(), "3".into(), "3".into()], 2),
                (vec!["p1".into(), "1".into(), "3".into()], 2),
            ]),
            Answer::Counts(vec![(vec!["p1".into(), "create_failed".into()], 1)]),
            Answer::Counts(vec![(vec!["p1".into(), "create".into()], 5)]),
            Answer::Rows(vec![record(&[("sys_created_on", "2026-12-06 11:00:00")])]),
            Answer::Rows(vec![]),
            Answer::Rows(vec![]),
            Answer::Rows(vec![record(&[("sys_created_on", "2026-12-06 11:59:30")])]),
        ];
        let s = assemble(data, extra, now);
        assert_eq!(s.entries.get(&("outbound".into(), "Acme".into(), "error".into())), Some(&4));
        assert_eq!(s.entries.get(&("outbound".into(), NO_PROVIDER.into(), "ready".into())), Some(&2));
        assert_eq!(s.entries.get(&("inbound".into(), "Acme".into(), "processed".into())), Some(&7));
        assert_eq!(s.exhausted.get(&("outbound".into(), "Acme".into())), Some(&2));
        assert_eq!(s.executions.get("ERROR"), Some(&3));
        assert_eq!(s.work_orders.get(&("Acme".into(), "create_failed".into())), Some(&1));
        assert_eq!(s.failed_syncs.get(&("Acme".into(), "create".into())), Some(&5));
        assert_eq!(s.oldest.get(&("outbound".into(), "error".into())), Some(&3600.0));
        assert_eq!(s.oldest.get(&("inbound".into(), "ready".into())), Some(&30.0));
        assert_eq!(s.oldest.len(), 2, "no entry, no age: {:?}", s.oldest);
        // Four errors and no recent outcome: the console calls that degraded.
        assert_eq!(s.health.get("Acme").map(String::as_str), Some("degraded"));
    }
}
