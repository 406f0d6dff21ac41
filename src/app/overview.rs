//! The overview: counts by state (Aggregate API, never rows), provider health from the
//! recent sync history, queue depth and failure sparklines, and the top error groups.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::client::Record;
use crate::domain::state::{ProviderHealth, ProviderState, QueueState, SyncStatus};

/// How many samples the sparklines keep (one per refresh).
pub const HISTORY: usize = 120;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OverviewData {
    /// Per table (label): (state, count), in a stable order.
    pub counts: Vec<(&'static str, Vec<(String, u64)>)>,
    pub providers: Vec<Record>,
    /// Outbound counts per (provider sys_id, state).
    pub by_provider: Vec<(String, String, u64)>,
    /// Recent sync history, newest first.
    pub recent: Vec<Record>,
    /// Outbound errors grouped by exact message: (message, count).
    pub error_messages: Vec<(String, u64)>,
    /// Each shown message → the messages as the instance stores them (to query by only).
    pub raw_messages: Vec<(String, String)>,
    /// Requests the instance refused: (panel, request index, why). That panel shows the
    /// error; the others stay live.
    pub failed: Vec<(&'static str, usize, String)>,
}

impl OverviewData {
    /// The errors of one panel (`counts`, `providers`, `sync history`, `error groups`).
    pub fn errors_of(&self, panel: &str) -> Vec<&str> {
        self.failed.iter().filter(|(p, _, _)| *p == panel).map(|(_, _, w)| w.as_str()).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub provider_id: String,
    pub title: String,
    /// Derived from the recent outcomes: what the list is ordered by, worst first.
    pub health: ProviderHealth,
    pub outbound_state: String,
    pub ok: u32,
    pub failed: u32,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub last_error: String,
    pub queued: u64,
    pub errors: u64,
}

impl Health {
    pub fn success_rate(&self) -> Option<f64> {
        let n = self.ok + self.failed;
        (n > 0).then(|| f64::from(self.ok) / f64::from(n))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorGroup {
    /// The message with ids, numbers and times replaced by `#`.
    pub key: String,
    pub count: u64,
    /// The messages in the group, as shown.
    pub messages: Vec<String>,
    /// The same messages as the instance stores them, for the drill-down's query (never
    /// shown: they may hold control characters).
    pub raw: Vec<String>,
}

impl ErrorGroup {
    /// What the operator reads: the message itself when the group holds one, the
    /// normalised form (with `#`) only when it stands for several.
    pub fn label(&self) -> &str {
        match self.messages.as_slice() {
            [one] => one,
            _ => &self.key,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub data: Option<OverviewData>,
    pub health: Vec<Health>,
    pub groups: Vec<ErrorGroup>,
    pub depth: VecDeque<u64>,
    pub failures: VecDeque<u64>,
    pub selected_group: usize,
    pub seq: u64,
    pub in_flight: bool,
    pub last_refresh: Option<std::time::Instant>,
}

/// Normalises an error message so that the same failure groups together: ids, numbers,
/// addresses and times become `#`; HTTP status codes (a whole word of 3 digits, 100–599)
/// carry meaning and stay.
pub fn normalise(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let chars: Vec<char> = msg.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphanumeric() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '-') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let digits = word.chars().filter(char::is_ascii_digit).count();
            let dotted = |j: Option<&char>| matches!(j, Some('.') | Some(':'));
            let status = word.len() == 3
                && word.parse::<u16>().is_ok_and(|n| (100..600).contains(&n))
                && !dotted(start.checked_sub(1).and_then(|j| chars.get(j)))
                && chars.get(i) != Some(&'.')
                && !(chars.get(i) == Some(&':') && chars.get(i + 1).is_some_and(char::is_ascii_digit));
            if status || digits == 0 {
                out.push_str(&word);
            } else if word.len() >= 16 && word.chars().all(|c| c.is_ascii_hexdigit()) || digits * 2 >= word.len() {
                out.push('#');
            } else {
                // Words with a few digits (FM-40012, 3s): keep the letters, fold the digits.
                let mut prev_digit = false;
                for ch in word.chars() {
                    if ch.is_ascii_digit() {
                        if !prev_digit {
                            out.push('#');
                        }
                        prev_digit = true;
                    } else {
                        out.push(ch);
                        prev_digit = false;
                    }
                }
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted.get(i).copied()
}

impl Overview {
    pub fn absorb(&mut self, d: OverviewData) {
        // Provider health from the recent sync history.
        let mut per: HashMap<&str, (u32, u32, Vec<u64>)> = HashMap::new();
        for h in &d.recent {
            let e = per.entry(h.get("provider")).or_default();
            if h.get("status") == SyncStatus::Success.as_str() {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
            if let Ok(ms) = h.get("duration_ms").parse::<u64>() {
                e.2.push(ms);
            }
        }
        let mut queued: HashMap<&str, u64> = HashMap::new();
        let mut errors: HashMap<&str, u64> = HashMap::new();
        for (p, s, n) in &d.by_provider {
            match s.as_str() {
                s if s == QueueState::Error.as_str() => *errors.entry(p).or_default() += n,
                s if QueueState::WAITING.iter().any(|w| w.as_str() == s) => *queued.entry(p).or_default() += n,
                _ => {}
            }
        }
        self.health = d
            .providers
            .iter()
            .map(|p| {
                let id = p.sys_id();
                let (ok, failed, mut times) = per.remove(id).unwrap_or_default();
                times.sort_unstable();
                let errors = errors.get(id).copied().unwrap_or(0);
                let connection_error = p.get("outbound_state") == ProviderState::Error.as_str();
                Health {
                    provider_id: id.to_string(),
                    title: p.show("title").to_string(),
                    health: ProviderHealth::derive(ok, failed, errors, connection_error),
                    outbound_state: p.get("outbound_state").to_string(),
                    ok,
                    failed,
                    p50_ms: percentile(&times, 0.5),
                    p95_ms: percentile(&times, 0.95),
                    last_error: p.get("last_error").to_string(),
                    queued: queued.get(id).copied().unwrap_or(0),
                    errors,
                }
            })
            .collect();
        // Worst first; among equals by title, so the order holds still between refreshes.
        self.health.sort_by(|a, b| a.health.cmp(&b.health).then_with(|| a.title.cmp(&b.title)));
        // Error groups.
        let mut groups: BTreeMap<String, ErrorGroup> = BTreeMap::new();
        for (msg, n) in &d.error_messages {
            let key = normalise(msg);
            let g = groups.entry(key.clone()).or_insert(ErrorGroup {
                key,
                count: 0,
                messages: Vec::new(),
                raw: Vec::new(),
            });
            g.count += n;
            g.messages.push(msg.clone());
            g.raw.extend(d.raw_messages.iter().filter(|(shown, _)| shown == msg).map(|(_, raw)| raw.clone()));
        }
        let mut groups: Vec<ErrorGroup> = groups.into_values().collect();
        groups.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        let keep = self.groups.get(self.selected_group).map(|g| g.key.clone());
        self.groups = groups;
        self.selected_group = keep.and_then(|k| self.groups.iter().position(|g| g.key == k)).unwrap_or(0);
        // Sparklines: queue depth (not yet processed) and entries in error.
        let outbound = d.counts.iter().find(|(t, _)| *t == "Outbound").map(|(_, c)| c.as_slice()).unwrap_or(&[]);
        let count = |states: &[&str]| -> u64 {
            outbound.iter().filter(|(s, _)| states.contains(&s.as_str())).map(|(_, n)| n).sum()
        };
        push_capped(&mut self.depth, count(&QueueState::WAITING.map(QueueState::as_str)));
        push_capped(&mut self.failures, count(&[QueueState::Error.as_str()]));
        self.data = Some(d);
    }
}

fn push_capped(q: &mut VecDeque<u64>, v: u64) {
    if q.len() == HISTORY {
        q.pop_front();
    }
    q.push_back(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_ids_and_numbers_but_keeps_status() {
        assert_eq!(
            normalise("HTTP 429: rate limited by provider, retry after 3s"),
            normalise("HTTP 429: rate limited by provider, retry after 30s")
        );
        assert!(normalise("HTTP 503: x").starts_with("HTTP 503"));
        assert_eq!(normalise("provider answered 200 with FM-4"), "provider answered 200 with FM-#");
        assert_eq!(normalise("refused by http://127.0.0.1:4242/x"), "refused by http://#.#.#.#:#/x");
        assert_eq!(normalise("record 0123456789abcdef0123456789abcdef missing"), "record # missing");
    }

    #[test]
    fn a_group_of_one_message_reads_as_that_message() {
        let mut o = Overview::default();
        o.absorb(OverviewData {
            error_messages: vec![
                ("refused by http://127.0.0.1:4242/x".into(), 3),
                ("retry after 3s".into(), 1),
                ("retry after 30s".into(), 2),
            ],
            ..Default::default()
        });
        let labels: Vec<(&str, u64)> = o.groups.iter().map(|g| (g.label(), g.count)).collect();
        assert_eq!(labels, vec![("refused by http://127.0.0.1:4242/x", 3), ("retry after #", 3)]);
    }
}
