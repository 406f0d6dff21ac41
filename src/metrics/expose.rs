//! What a scrape reads: each profile's last poll, turned into metric families with the
//! official client crate's encoders (OpenMetrics when the scraper asks for it, else the
//! Prometheus text format). A scrape never asks an instance anything.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use super::poll::Sample;
use crate::domain::state::ProviderHealth;

type Labels = Vec<(String, String)>;
type GaugeF = Gauge<f64, AtomicU64>;

/// A counter of failed sync-history rows for one (provider, operation), counted from
/// the first successful poll on.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// Rows there were when counting began (not counted).
    baseline: u64,
    pub total: u64,
    pub created: SystemTime,
}

/// What hubtop knows of one profile's instance between polls.
#[derive(Debug, Clone)]
pub struct ProfileState {
    pub name: String,
    pub interval: Duration,
    /// The last successful poll and when it ended.
    pub last_ok: Option<(Sample, SystemTime)>,
    /// Whether the instance answered the last poll (its data, or a refusal in its own
    /// words: 401, 403, 429), as opposed to no answer or not an instance's.
    pub up: bool,
    pub polls: u64,
    pub poll_failures: u64,
    pub last_duration: Option<Duration>,
    pub failed_syncs: BTreeMap<(String, String), Seen>,
    /// From the client: requests sent, the budget left and its limit, the end of a long 429.
    pub requests: u64,
    pub budget_left: u32,
    pub budget_limit: u32,
    pub rate_limited_until: Option<SystemTime>,
}

impl ProfileState {
    pub fn new(name: &str, interval: Duration) -> ProfileState {
        ProfileState {
            name: name.to_string(),
            interval,
            last_ok: None,
            up: false,
            polls: 0,
            poll_failures: 0,
            last_duration: None,
            failed_syncs: BTreeMap::new(),
            requests: 0,
            budget_left: 0,
            budget_limit: 0,
            rate_limited_until: None,
        }
    }

    /// Records a poll's outcome: its sample, or whether the instance answered at all.
    pub fn record(&mut self, outcome: Result<Sample, bool>, took: Duration, at: SystemTime) {
        self.polls += 1;
        self.last_duration = Some(took);
        self.up = outcome.as_ref().map_or_else(|answered| *answered, |_| true);
        let outcome = outcome.ok();
        let Some(sample) = outcome else {
            self.poll_failures += 1;
            return;
        };
        let first = self.last_ok.is_none();
        for (key, &now) in &sample.failed_syncs {
            let seen = self.failed_syncs.entry(key.clone()).or_insert(Seen {
                // Rows already there when counting began are history, not news; a pair
                // that appears later is new with all its rows.
                baseline: if first { now } else { 0 },
                total: 0,
                created: at,
            });
            // Monotonic: rows that the instance's clean-up removes do not count back.
            seen.total = seen.total.max(now.saturating_sub(seen.baseline));
        }
        self.last_ok = Some((sample, at));
    }

    /// The last sample while it is recent (three poll intervals): older figures would
    /// read as the present, so a profile that stopped answering exposes none.
    fn fresh(&self, now: SystemTime) -> Option<&Sample> {
        let (sample, at) = self.last_ok.as_ref()?;
        let age = now.duration_since(*at).unwrap_or_default();
        (age <= self.interval * 3).then_some(sample)
    }
}

fn secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The metric families, registered on a fresh registry per scrape (so a provider or a
/// state that disappeared leaves no stale series behind).
struct Families {
    entries: Family<Labels, GaugeF>,
    oldest: Family<Labels, GaugeF>,
    exhausted: Family<Labels, GaugeF>,
    executions: Family<Labels, GaugeF>,
    work_orders: Family<Labels, GaugeF>,
    health: Family<Labels, GaugeF>,
    failed_syncs: Family<Labels, Counter>,
    up: Family<Labels, GaugeF>,
    rate_limited: Family<Labels, GaugeF>,
    rate_limited_until: Family<Labels, GaugeF>,
    last_poll: Family<Labels, GaugeF>,
    poll_duration: Family<Labels, GaugeF>,
    polls: Family<Labels, Counter>,
    poll_failures: Family<Labels, Counter>,
    requests: Family<Labels, Counter>,
    budget_left: Family<Labels, GaugeF>,
    budget_limit: Family<Labels, GaugeF>,
}

impl Families {
    fn registry() -> (Registry, Families) {
        let f = Families {
            entries: Family::default(),
            oldest: Family::default(),
            exhausted: Family::default(),
            executions: Family::default(),
            work_orders: Family::default(),
            health: Family::default(),
            failed_syncs: Family::default(),
            up: Family::default(),
            rate_limited: Family::default(),
            rate_limited_until: Family::default(),
            last_poll: Family::default(),
            poll_duration: Family::default(),
            polls: Family::default(),
            poll_failures: Family::default(),
            requests: Family::default(),
            budget_left: Family::default(),
            budget_limit: Family::default(),
        };
        let mut r = Registry::default();
        r.register(
            "hubtop_queue_entries",
            "Queue entries by queue (outbound, inbound), provider and state (choice value)",
            f.entries.clone(),
        );
        r.register_with_unit(
            "hubtop_queue_oldest_entry_age",
            "Age of the oldest queue entry in error or ready, by queue and state",
            Unit::Seconds,
            f.oldest.clone(),
        );
        r.register(
            "hubtop_queue_attempts_exhausted",
            "Queue entries in error that have used all their attempts, by queue and provider",
            f.exhausted.clone(),
        );
        r.register("hubtop_executions", "Flow executions by state (choice value)", f.executions.clone());
        r.register("hubtop_work_orders", "Work orders by provider and integration state", f.work_orders.clone());
        r.register(
            "hubtop_provider_health",
            "Provider health as hubtop rates it from recent outcomes: 1 for the current value of health, 0 for the others",
            f.health.clone(),
        );
        r.register(
            "hubtop_sync_failures",
            "Failed sync-history rows seen since hubtop started, by provider and operation",
            f.failed_syncs.clone(),
        );
        r.register(
            "hubtop_instance_up",
            "1 when the instance answered the last poll (with data, or refusing in its own words), else 0",
            f.up.clone(),
        );
        r.register(
            "hubtop_instance_rate_limited",
            "1 while the instance has told hubtop to stop sending (a long 429), else 0",
            f.rate_limited.clone(),
        );
        r.register_with_unit(
            "hubtop_instance_rate_limited_until_timestamp",
            "When the instance allows requests again after a long 429 (Unix time)",
            Unit::Seconds,
            f.rate_limited_until.clone(),
        );
        r.register_with_unit(
            "hubtop_last_successful_poll_timestamp",
            "When the last successful poll of the instance ended (Unix time)",
            Unit::Seconds,
            f.last_poll.clone(),
        );
        r.register_with_unit(
            "hubtop_poll_duration",
            "How long the last poll of the instance took",
            Unit::Seconds,
            f.poll_duration.clone(),
        );
        r.register("hubtop_polls", "Polls of the instance", f.polls.clone());
        r.register("hubtop_poll_failures", "Polls of the instance that failed", f.poll_failures.clone());
        r.register("hubtop_requests", "HTTP requests hubtop sent to the instance", f.requests.clone());
        r.register(
            "hubtop_request_budget_remaining",
            "Requests left in the profile's hourly request budget",
            f.budget_left.clone(),
        );
        r.register(
            "hubtop_request_budget_limit",
            "The profile's hourly request budget (requests per hour)",
            f.budget_limit.clone(),
        );
        (r, f)
    }

    fn fill(&self, p: &ProfileState, now: SystemTime) {
        let name = p.name.as_str();
        let one = labels(&[("profile", name)]);
        self.up.get_or_create(&one).set(if p.up { 1.0 } else { 0.0 });
        let limited = p.rate_limited_until.filter(|u| *u > now);
        self.rate_limited.get_or_create(&one).set(if limited.is_some() { 1.0 } else { 0.0 });
        if let Some(until) = limited {
            self.rate_limited_until.get_or_create(&one).set(secs(until));
        }
        if let Some((_, at)) = &p.last_ok {
            self.last_poll.get_or_create(&one).set(secs(*at));
        }
        if let Some(d) = p.last_duration {
            self.poll_duration.get_or_create(&one).set(d.as_secs_f64());
        }
        self.polls.get_or_create(&one).inc_by(p.polls);
        self.poll_failures.get_or_create(&one).inc_by(p.poll_failures);
        self.requests.get_or_create(&one).inc_by(p.requests);
        if p.budget_limit > 0 {
            self.budget_left.get_or_create(&one).set(p.budget_left as f64);
            self.budget_limit.get_or_create(&one).set(p.budget_limit as f64);
        }
        for ((provider, op), seen) in &p.failed_syncs {
            self.failed_syncs
                .get_or_create(&labels(&[("profile", name), ("provider", provider), ("operation", op)]))
                .inc_by(seen.total);
        }
        let Some(s) = p.fresh(now) else { return };
        for ((queue, provider, state), n) in &s.entries {
            let l = labels(&[("profile", name), ("queue", queue), ("provider", provider), ("state", state)]);
            self.entries.get_or_create(&l).set(*n as f64);
        }
        for ((queue, state), age) in &s.oldest {
            self.oldest.get_or_create(&labels(&[("profile", name), ("queue", queue), ("state", state)])).set(*age);
        }
        for ((queue, provider), n) in &s.exhausted {
            let l = labels(&[("profile", name), ("queue", queue), ("provider", provider)]);
            self.exhausted.get_or_create(&l).set(*n as f64);
        }
        for (state, n) in &s.executions {
            self.executions.get_or_create(&labels(&[("profile", name), ("state", state)])).set(*n as f64);
        }
        for ((provider, state), n) in &s.work_orders {
            let l = labels(&[("profile", name), ("provider", provider), ("integration_state", state)]);
            self.work_orders.get_or_create(&l).set(*n as f64);
        }
        for (provider, current) in &s.health {
            for h in ProviderHealth::values() {
                let l = labels(&[("profile", name), ("provider", provider), ("health", h)]);
                self.health.get_or_create(&l).set(if h == current { 1.0 } else { 0.0 });
            }
        }
    }
}

/// The content types a scrape can get.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const PROMETHEUS_TEXT: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Every profile's metrics, in OpenMetrics (with `_created` for the counter of failed
/// syncs) or in the Prometheus text format.
pub fn render(profiles: &[ProfileState], now: SystemTime, openmetrics: bool) -> String {
    let (registry, families) = Families::registry();
    for p in profiles {
        families.fill(p, now);
    }
    let mut out = String::new();
    if openmetrics {
        // Writing into a String cannot fail.
        let _ = text::encode(&mut out, &registry);
        with_created(&out, profiles)
    } else {
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry);
        out
    }
}

/// The client crate does not write a counter's `_created` sample (prometheus/client_rust
/// issue 126 and PR 129, open), which OpenMetrics defines for counters: it goes right
/// after each `hubtop_sync_failures_total` sample, with the same labels.
fn with_created(text: &str, profiles: &[ProfileState]) -> String {
    let created: BTreeMap<Labels, SystemTime> = profiles
        .iter()
        .flat_map(|p| {
            p.failed_syncs.iter().map(|((provider, op), seen)| {
                (labels(&[("profile", &p.name), ("provider", provider), ("operation", op)]), seen.created)
            })
        })
        .collect();
    let mut out = String::with_capacity(text.len() + created.len() * 96);
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
        let Some(rest) = line.strip_prefix("hubtop_sync_failures_total") else { continue };
        let Some(label_text) = rest.rsplit_once(' ').map(|(l, _)| l) else { continue };
        let when = created.iter().find(|(l, _)| encoded(l) == label_text).map(|(_, t)| *t);
        if let Some(t) = when {
            out.push_str(&format!("hubtop_sync_failures_created{label_text} {:.3}\n", secs(t)));
        }
    }
    out
}

/// A label set as the text encoder writes it (`{a="x",b="y"}`), values escaped alike.
fn encoded(l: &Labels) -> String {
    let esc = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    let inner: Vec<String> = l.iter().map(|(k, v)| format!("{k}=\"{}\"", esc(v))).collect();
    format!("{{{}}}", inner.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sample {
        let mut s = Sample::default();
        s.entries.insert(("outbound".into(), "Acme \"North\"".into(), "error".into()), 4);
        s.health.insert("Acme \"North\"".into(), "failing".into());
        s.oldest.insert(("outbound".into(), "error".into()), 90.5);
        s.failed_syncs.insert(("Acme \"North\"".into(), "create".into()), 10);
        s
    }

    #[test]
    fn failed_syncs_count_from_the_first_poll_and_never_go_back() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut p = ProfileState::new("prod", Duration::from_secs(60));
        p.record(Ok(sample()), Duration::from_millis(200), t0);
        let key = ("Acme \"North\"".to_string(), "create".to_string());
        assert_eq!(p.failed_syncs[&key].total, 0, "rows before the start are not news");
        let mut s = sample();
        s.failed_syncs.insert(key.clone(), 13);
        s.failed_syncs.insert(("Acme \"North\"".into(), "cancel".into()), 2);
        p.record(Ok(s.clone()), Duration::from_millis(200), t0 + Duration::from_secs(60));
        assert_eq!(p.failed_syncs[&key].total, 3);
        assert_eq!(p.failed_syncs[&("Acme \"North\"".to_string(), "cancel".to_string())].total, 2);
        s.failed_syncs.insert(key.clone(), 11);
        p.record(Ok(s), Duration::from_millis(200), t0 + Duration::from_secs(120));
        assert_eq!(p.failed_syncs[&key].total, 3, "a clean-up does not count back");
    }

    #[test]
    fn a_down_instance_is_down_not_zero_and_old_figures_are_withdrawn() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut p = ProfileState::new("prod", Duration::from_secs(60));
        p.record(Ok(sample()), Duration::from_millis(200), t0);
        p.record(Err(false), Duration::from_secs(20), t0 + Duration::from_secs(60));
        let text = render(std::slice::from_ref(&p), t0 + Duration::from_secs(61), true);
        assert!(text.contains("hubtop_instance_up{profile=\"prod\"} 0.0\n"), "{text}");
        assert!(text.contains("hubtop_queue_entries{"), "one failed poll keeps the last figures: {text}");
        let later = render(std::slice::from_ref(&p), t0 + Duration::from_secs(181), true);
        assert!(!later.contains("hubtop_queue_entries{"), "{later}");
        assert!(later.contains("hubtop_poll_failures_total{profile=\"prod\"} 1"), "{later}");
        assert!(!later.contains("hubtop_queue_entries{profile=\"prod\"} 0"));
    }

    #[test]
    fn openmetrics_has_created_for_the_counter_and_escaped_labels() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut p = ProfileState::new("prod", Duration::from_secs(60));
        p.record(Ok(sample()), Duration::from_millis(200), t0);
        let text = render(std::slice::from_ref(&p), t0, true);
        let want = "hubtop_sync_failures_total{profile=\"prod\",provider=\"Acme \\\"North\\\"\",operation=\"create\"} 0\n\
                    hubtop_sync_failures_created{profile=\"prod\",provider=\"Acme \\\"North\\\"\",operation=\"create\"} 1000000.000\n";
        assert!(text.contains(want), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(text.contains("# UNIT hubtop_queue_oldest_entry_age_seconds seconds"), "{text}");
        assert!(
            text.contains(
                "hubtop_queue_oldest_entry_age_seconds{profile=\"prod\",queue=\"outbound\",state=\"error\"} 90.5"
            ),
            "{text}"
        );
        for h in ["failing", "degraded", "ok", "idle"] {
            let v = if h == "failing" { "1.0" } else { "0.0" };
            assert!(
                text.contains(&format!(
                    "hubtop_provider_health{{profile=\"prod\",provider=\"Acme \\\"North\\\"\",health=\"{h}\"}} {v}"
                )),
                "{h}: {text}"
            );
        }
        let plain = render(std::slice::from_ref(&p), t0, false);
        assert!(!plain.contains("_created") && !plain.contains("# EOF"), "{plain}");
    }
}
