//! ServiceNow date-times: `YYYY-MM-DD HH:MM:SS`, always UTC on the wire.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

pub fn format(t: DateTime<Utc>) -> String {
    t.format(FORMAT).to_string()
}

pub fn now_string() -> String {
    format(Utc::now())
}

pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s.trim(), FORMAT).ok().map(|n| Utc.from_utc_datetime(&n))
}

/// "12s ago", "3m ago", "2h ago", "4d ago" relative to `now`; empty for an unparsable value.
pub fn ago(s: &str, now: DateTime<Utc>) -> String {
    let Some(t) = parse(s) else {
        return String::new();
    };
    let secs = (now - t).num_seconds();
    if secs < 0 {
        return format!("in {}", short_duration(-secs));
    }
    format!("{} ago", short_duration(secs))
}

pub fn short_duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// A duration as the command line and the fault spec take it: `50ms`, `2s`, `1.5m`; a
/// bare number is milliseconds.
pub fn parse_duration(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    let (num, unit) = v.find(|c: char| !c.is_ascii_digit() && c != '.').map(|i| v.split_at(i)).unwrap_or((v, "ms"));
    let n: f64 = num.parse().map_err(|_| format!("`{v}` is not a duration like 50ms or 2s"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("`{v}`: unknown unit `{unit}` (ms, s, m)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{v}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_relative() {
        let t = parse("2026-11-24 10:00:00").unwrap();
        assert_eq!(format(t), "2026-11-24 10:00:00");
        assert_eq!(ago("2026-11-24 09:59:00", t), "1m ago");
        assert_eq!(ago("2026-11-24 10:00:30", t), "in 30s");
        assert_eq!(ago("garbage", t), "");
    }
}
