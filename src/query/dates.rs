//! The date parts of encoded queries a real instance evaluates on its side: the
//! `javascript:gs.…()` date helpers (GlideSystem's beginningOf…/endOf…, daysAgo…,
//! hoursAgo…, …), `ON` / `NOTON` / `BETWEEN` ranges and `RELATIVE…` comparisons.
//! Times are UTC and weeks start on Monday (assumed: the documentation leaves both to
//! instance settings).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};

use super::Op;

/// What a raw date term asks of its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawDate {
    /// Inclusive range; `negate` for `NOTON`.
    Range { lo: String, hi: String, negate: bool },
    /// A comparison with a computed time (`RELATIVEGT@hour@ago@3`).
    Cmp(Op, String),
}

fn fmt(t: DateTime<Utc>) -> String {
    crate::time::format(t)
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
}

fn day_end(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(23, 59, 59).unwrap_or_default())
}

fn month_start(y: i32, m: u32) -> NaiveDate {
    // Normalise month overflow both ways (m is 1-based, may be 0 or 13 after arithmetic).
    let total = y * 12 + m as i32 - 1;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1).unwrap_or_default()
}

fn months_back(now: DateTime<Utc>, n: i32) -> NaiveDate {
    let d = now.date_naive();
    let total = d.year() * 12 + d.month() as i32 - 1 - n;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    let last = month_start(y, m + 1).pred_opt().map(|x| x.day()).unwrap_or(28);
    NaiveDate::from_ymd_opt(y, m, d.day().min(last)).unwrap_or_default()
}

/// Evaluates a date operand: `javascript:gs.helper(args)`, a `YYYY-MM-DD HH:MM:SS` or a
/// `YYYY-MM-DD` literal. `None` for anything else.
pub fn eval_date(expr: &str, now: DateTime<Utc>) -> Option<String> {
    let e = expr.trim();
    if let Some(t) = crate::time::parse(e) {
        return Some(fmt(t));
    }
    if let Ok(d) = NaiveDate::parse_from_str(e, "%Y-%m-%d") {
        return Some(fmt(day_start(d)));
    }
    let call = e.strip_prefix("javascript:")?.trim().trim_end_matches(';');
    let call = call.strip_prefix("gs.")?;
    let (name, args) = call.split_once('(')?;
    let args: Vec<String> = args
        .strip_suffix(')')?
        .split(',')
        .map(|a| a.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
        .filter(|a| !a.is_empty())
        .collect();
    let n = |i: usize| args.get(i).and_then(|a| a.parse::<i64>().ok()).unwrap_or(0);
    let today = now.date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let this_month = month_start(today.year(), today.month());
    let year_start = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or_default();
    let t = match name {
        "nowDateTime" | "nowNoTZ" => now,
        "beginningOfToday" => day_start(today),
        "endOfToday" => day_end(today),
        "beginningOfYesterday" => day_start(today - Duration::days(1)),
        "endOfYesterday" => day_end(today - Duration::days(1)),
        "beginningOfTomorrow" => day_start(today + Duration::days(1)),
        "endOfTomorrow" => day_end(today + Duration::days(1)),
        "beginningOfThisWeek" => day_start(monday),
        "endOfThisWeek" => day_end(monday + Duration::days(6)),
        "beginningOfLastWeek" => day_start(monday - Duration::days(7)),
        "endOfLastWeek" => day_end(monday - Duration::days(1)),
        "beginningOfNextWeek" => day_start(monday + Duration::days(7)),
        "endOfNextWeek" => day_end(monday + Duration::days(13)),
        "beginningOfThisMonth" => day_start(this_month),
        "endOfThisMonth" => day_end(month_start(today.year(), today.month() + 1).pred_opt()?),
        "beginningOfLastMonth" => day_start(month_start(today.year(), today.month() - 1)),
        "endOfLastMonth" => day_end(this_month.pred_opt()?),
        "beginningOfNextMonth" => day_start(month_start(today.year(), today.month() + 1)),
        "endOfNextMonth" => day_end(month_start(today.year(), today.month() + 2).pred_opt()?),
        "beginningOfThisYear" => day_start(year_start(today.year())),
        "endOfThisYear" => day_end(year_start(today.year() + 1).pred_opt()?),
        "beginningOfLastYear" => day_start(year_start(today.year() - 1)),
        "endOfLastYear" => day_end(year_start(today.year()).pred_opt()?),
        "daysAgo" => now - Duration::days(n(0)),
        "daysAgoStart" => day_start(today - Duration::days(n(0))),
        "daysAgoEnd" => day_end(today - Duration::days(n(0))),
        "hoursAgo" => now - Duration::hours(n(0)),
        "hoursAgoStart" => trunc_hour(now - Duration::hours(n(0))),
        "hoursAgoEnd" => trunc_hour(now - Duration::hours(n(0))) + Duration::seconds(3599),
        "minutesAgo" => now - Duration::minutes(n(0)),
        "minutesAgoStart" => trunc_minute(now - Duration::minutes(n(0))),
        "minutesAgoEnd" => trunc_minute(now - Duration::minutes(n(0))) + Duration::seconds(59),
        "monthsAgo" => {
            let d = months_back(now, n(0) as i32);
            Utc.from_utc_datetime(&d.and_time(now.time()))
        }
        "monthsAgoStart" => {
            let d = months_back(now, n(0) as i32);
            day_start(month_start(d.year(), d.month()))
        }
        "monthsAgoEnd" => {
            let d = months_back(now, n(0) as i32);
            day_end(month_start(d.year(), d.month() + 1).pred_opt()?)
        }
        "yearsAgo" => {
            let d = months_back(now, 12 * n(0) as i32);
            Utc.from_utc_datetime(&d.and_time(now.time()))
        }
        "dateGenerate" => {
            let date = NaiveDate::parse_from_str(args.first()?, "%Y-%m-%d").ok()?;
            match args.get(1).map(String::as_str) {
                Some("start") | None => day_start(date),
                Some("end") => day_end(date),
                Some(time) => crate::time::parse(&format!("{} {time}", args.first()?))?,
            }
        }
        _ => return None,
    };
    Some(fmt(t))
}

fn trunc_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.from_utc_datetime(&t.date_naive().and_hms_opt(t.hour(), 0, 0).unwrap_or_default())
}

fn trunc_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.from_utc_datetime(&t.date_naive().and_hms_opt(t.hour(), t.minute(), 0).unwrap_or_default())
}

/// Reads the value part of a raw date term (what follows the field name):
/// `ON<label>@<start>@<end>`, `NOTON…`, `BETWEEN<start>@<end>`,
/// `RELATIVE{GT,GE,LT,LE,EE}@<unit>@{ago,ahead}@<n>`. `None` for anything else.
pub fn raw_date(value: &str, now: DateTime<Utc>) -> Option<RawDate> {
    if let Some(rest) = value.strip_prefix("RELATIVE") {
        let mut parts = rest.split('@');
        let op = parts.next()?;
        let (unit, dir, n) = (parts.next()?, parts.next()?, parts.next()?.trim().parse::<i64>().ok()?);
        let step = match unit {
            "minute" => Duration::minutes(n),
            "hour" => Duration::hours(n),
            "dayofweek" | "day" => Duration::days(n),
            "week" => Duration::weeks(n),
            "month" => Duration::days(30 * n),
            "quarter" => Duration::days(91 * n),
            "year" => Duration::days(365 * n),
            _ => return None,
        };
        let at = match dir {
            "ago" => now - step,
            "ahead" => now + step,
            _ => return None,
        };
        let op = match op {
            "GT" => Op::Gt,
            "GE" => Op::Ge,
            "LT" => Op::Lt,
            "LE" => Op::Le,
            "EE" => {
                let d = at.date_naive();
                return Some(RawDate::Range { lo: fmt(day_start(d)), hi: fmt(day_end(d)), negate: false });
            }
            _ => return None,
        };
        return Some(RawDate::Cmp(op, fmt(at)));
    }
    let (negate, rest) = match value.strip_prefix("NOTON") {
        Some(r) => (true, Some(r)),
        None => (false, value.strip_prefix("ON")),
    };
    if let Some(rest) = rest {
        // The label (`Today`) comes first; the two bounds are the last two parts.
        let parts: Vec<&str> = rest.split('@').collect();
        let [.., lo, hi] = parts.as_slice() else { return None };
        if parts.len() < 3 {
            return None;
        }
        return Some(RawDate::Range { lo: eval_date(lo, now)?, hi: eval_date(hi, now)?, negate });
    }
    if let Some(rest) = value.strip_prefix("BETWEEN") {
        let (lo, hi) = rest.split_once('@')?;
        return Some(RawDate::Range { lo: eval_date(lo, now)?, hi: eval_date(hi, now)?, negate: false });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        crate::time::parse(s).unwrap()
    }

    #[test]
    fn helpers_relative_to_now() {
        // A Wednesday.
        let now = at("2024-05-15 13:45:10");
        let e = |x: &str| eval_date(&format!("javascript:gs.{x}"), now).unwrap();
        assert_eq!(e("beginningOfToday()"), "2024-05-15 00:00:00");
        assert_eq!(e("endOfToday()"), "2024-05-15 23:59:59");
        assert_eq!(e("beginningOfThisWeek()"), "2024-05-13 00:00:00");
        assert_eq!(e("endOfLastMonth()"), "2024-04-30 23:59:59");
        assert_eq!(e("beginningOfLastMonth()"), "2024-04-01 00:00:00");
        assert_eq!(e("daysAgoStart(3)"), "2024-05-12 00:00:00");
        assert_eq!(e("daysAgo(1)"), "2024-05-14 13:45:10");
        assert_eq!(e("hoursAgoStart(2)"), "2024-05-15 11:00:00");
        assert_eq!(e("minutesAgoEnd(5)"), "2024-05-15 13:40:59");
        assert_eq!(e("monthsAgoStart(5)"), "2023-12-01 00:00:00");
        assert_eq!(e("dateGenerate('2024-01-02','end')"), "2024-01-02 23:59:59");
        assert_eq!(eval_date("javascript:gs.getUserID()", now), None);
    }

    #[test]
    fn raw_terms() {
        let now = at("2024-05-15 13:45:10");
        assert_eq!(
            raw_date("ONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()", now),
            Some(RawDate::Range { lo: "2024-05-15 00:00:00".into(), hi: "2024-05-15 23:59:59".into(), negate: false })
        );
        assert!(matches!(
            raw_date("NOTONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()", now),
            Some(RawDate::Range { negate: true, .. })
        ));
        assert_eq!(raw_date("RELATIVEGT@hour@ago@3", now), Some(RawDate::Cmp(Op::Gt, "2024-05-15 10:45:10".into())));
        assert_eq!(
            raw_date("BETWEEN2024-01-01@2024-01-31 23:59:59", now),
            Some(RawDate::Range { lo: "2024-01-01 00:00:00".into(), hi: "2024-01-31 23:59:59".into(), negate: false })
        );
        assert_eq!(raw_date("DATEPARTMonday@javascript:gs.datePart('dayofweek','monday','EE')", now), None);
    }
}
