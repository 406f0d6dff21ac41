//! What the client knows about the instance's condition, for the console: since when
//! the oldest request has been waiting (so a silent instance shows within seconds,
//! while retries go on), when it last answered well, and the rate limit it announced.
//!
//! A long `Retry-After` (an hourly rate-limit rule) closes a gate: until it reopens,
//! no request at all goes to the instance.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// A request waiting longer than this makes the instance "slow".
pub const SLOW_AFTER: Duration = Duration::from_secs(2);

/// A `Retry-After` up to this long is waited out and the request retried; longer ones
/// close the gate.
pub const SHORT_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The rate-limit figures the instance sends (documented headers: X-RateLimit-Limit,
/// X-RateLimit-Reset, X-RateLimit-Rule; see the inbound REST API rate limiting page
/// in api-reference/rest-api-explorer).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateLimitInfo {
    /// Requests allowed per hour by the rule that applies.
    pub limit: Option<u64>,
    /// Requests left, where an instance (or a proxy) sends `X-RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// When the rule's count resets.
    pub reset: Option<SystemTime>,
    /// The sys_id of the rule being enforced.
    pub rule: Option<String>,
    /// No request is sent before this time (after a long 429).
    pub until: Option<SystemTime>,
}

/// A snapshot for the header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Health {
    /// The oldest request in flight, once it has waited longer than [`SLOW_AFTER`].
    pub slow_since: Option<std::time::Instant>,
    /// The last answer from the instance itself (a success, or a refusal in its own words).
    pub last_ok: Option<std::time::Instant>,
    /// The last error's short label, cleared by the next good answer.
    pub reason: Option<String>,
    pub rate_limited_until: Option<SystemTime>,
}

#[derive(Default)]
struct State {
    in_flight: BTreeMap<u64, Instant>,
    next_id: u64,
    last_ok: Option<Instant>,
    reason: Option<String>,
    /// The gate: (monotonic time it opens, the same as wall-clock time for messages).
    gate: Option<(Instant, SystemTime)>,
    rate: Option<RateLimitInfo>,
}

#[derive(Default)]
pub struct Monitor {
    state: Mutex<State>,
}

/// Keeps one call counted as in flight until dropped (also when its future is dropped).
pub struct InFlight<'a> {
    monitor: &'a Monitor,
    id: u64,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.monitor.state.lock().in_flight.remove(&self.id);
    }
}

impl Monitor {
    pub fn begin(&self) -> InFlight<'_> {
        let mut s = self.state.lock();
        let id = s.next_id;
        s.next_id += 1;
        s.in_flight.insert(id, Instant::now());
        InFlight { monitor: self, id }
    }

    pub fn in_flight_since(&self) -> Option<Instant> {
        self.state.lock().in_flight.values().min().copied()
    }

    pub fn ok(&self) {
        let mut s = self.state.lock();
        s.last_ok = Some(Instant::now());
        s.reason = None;
    }

    pub fn failed(&self, reason: String) {
        self.state.lock().reason = Some(reason);
    }

    /// When the gate is closed: how long until it opens, and its wall-clock time.
    pub fn gate(&self) -> Option<(Instant, SystemTime)> {
        let mut s = self.state.lock();
        match s.gate {
            Some((t, _)) if Instant::now() >= t => {
                s.gate = None;
                None
            }
            g => g,
        }
    }

    /// Closes the gate for `d` (never shortens one already closed for longer).
    pub fn close_gate(&self, d: Duration) -> (Instant, SystemTime) {
        let mut s = self.state.lock();
        let new = (Instant::now() + d, SystemTime::now() + d);
        let g = match s.gate {
            Some(old) if old.0 >= new.0 => old,
            _ => new,
        };
        s.gate = Some(g);
        g
    }

    /// Records the rate-limit headers of an answer, when it has any.
    pub fn observe(&self, h: &HeaderMap) {
        let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
        let num = |k: &str| get(k).and_then(|v| v.parse::<u64>().ok());
        let (limit, remaining, rule) =
            (num("x-ratelimit-limit"), num("x-ratelimit-remaining"), get("x-ratelimit-rule"));
        let reset = num("x-ratelimit-reset").map(|t| SystemTime::UNIX_EPOCH + Duration::from_secs(t));
        if limit.is_none() && remaining.is_none() && reset.is_none() && rule.is_none() {
            return;
        }
        self.state.lock().rate =
            Some(RateLimitInfo { limit, remaining, reset, rule: rule.map(str::to_string), until: None });
    }

    pub fn rate_limit(&self) -> Option<RateLimitInfo> {
        let until = self.gate().map(|g| g.1);
        let s = self.state.lock();
        match (&s.rate, until) {
            (None, None) => None,
            (r, until) => Some(RateLimitInfo { until, ..r.clone().unwrap_or_default() }),
        }
    }

    pub fn health(&self) -> Health {
        let rate_limited_until = self.gate().map(|g| g.1);
        let s = self.state.lock();
        let now = Instant::now();
        let oldest = s.in_flight.values().min().copied();
        Health {
            slow_since: oldest.filter(|t| now.saturating_duration_since(*t) >= SLOW_AFTER).map(Instant::into_std),
            last_ok: s.last_ok.map(Instant::into_std),
            reason: s.reason.clone(),
            rate_limited_until,
        }
    }
}

/// How long a 429 asks to wait: `Retry-After` in seconds or as an HTTP date, else the
/// documented `X-RateLimit-Reset` (Unix time).
pub fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let get = |k| h.get(k).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok()).map(str::trim);
    let until = |t: SystemTime| t.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
    if let Some(v) = get(reqwest::header::RETRY_AFTER.as_str()) {
        if let Ok(s) = v.parse::<u64>() {
            return Some(Duration::from_secs(s));
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc2822(v) {
            return Some(until(t.into()));
        }
    }
    let reset = get("x-ratelimit-reset")?.parse::<u64>().ok()?;
    Some(until(SystemTime::UNIX_EPOCH + Duration::from_secs(reset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_waiting_call_shows_as_slow_after_the_threshold_and_clears_when_it_ends() {
        let m = Monitor::default();
        let call = m.begin();
        assert_eq!(m.health().slow_since, None, "not slow yet");
        tokio::time::advance(SLOW_AFTER).await;
        let since = m.health().slow_since.expect("slow");
        assert_eq!(Instant::now().into_std() - since, SLOW_AFTER);
        // A newer call does not hide the oldest one.
        let newer = m.begin();
        assert_eq!(m.health().slow_since, Some(since));
        drop(call);
        assert_eq!(m.health().slow_since, None, "the newer call has waited 0 s");
        drop(newer);
        assert_eq!(m.in_flight_since(), None);
        m.failed("timeout".into());
        m.ok();
        assert_eq!((m.health().reason, m.health().last_ok.is_some()), (None, true));
    }

    #[tokio::test(start_paused = true)]
    async fn the_gate_opens_at_its_time_and_is_never_shortened() {
        let m = Monitor::default();
        let (open, _) = m.close_gate(Duration::from_secs(3540));
        assert_eq!(m.close_gate(Duration::from_secs(10)).0, open, "a shorter wait keeps the longer gate");
        tokio::time::advance(Duration::from_secs(3539)).await;
        assert!(m.gate().is_some());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(m.gate(), None);
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_the_documented_reset_header() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3540".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3540)));
        let later = chrono::Utc::now() + chrono::Duration::seconds(600);
        h.insert("retry-after", later.to_rfc2822().parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(590) && d <= Duration::from_secs(600), "{d:?}");
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset", (later.timestamp() as u64).to_string().parse().unwrap());
        assert!(retry_after(&h).unwrap() > Duration::from_secs(590));
    }
}
