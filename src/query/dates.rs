//! The date parts of encoded queries a real instance evaluates on its side: the
//! `javascript:gs.…()` date helpers (GlideSystem page: beginningOf…/endOf…, daysAgo…,
//! monthsAgo…, quartersAgo…, and the relative ranges the condition builder writes, such
//! as `beginningOfLast6Months`), `RELATIVE…` comparisons and `DATEPART` trends.
//!
//! Every helper is computed "in the user's session time zone as a UTC timestamp"
//! (GlideSystem page): calendar arithmetic on the user's wall clock, the answer in UTC.
//! Weeks of the helpers start on Monday (GlideSystem page, isFirstDayOfWeek: "the ISO
//! standard of Monday being the first day of the week").
//!
//! Assumed where the documentation names a helper without defining its range:
//! `Last N minutes|hours|days|months` run from the start of the unit N units ago to the
//! end of the current unit (rolling); `Last N quarters|years` are the N whole periods
//! before the current one and `Next N …` the N after it; `OneYearAgo` is the day one
//! year ago.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

use super::tz;

/// What relative dates are evaluated against: the instance's clock and the API user's
/// time zone and identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx {
    pub now: DateTime<Utc>,
    /// The user's time zone (`sys_user.time_zone`); empty = UTC.
    pub tz: String,
    /// The user's sys_id and user name (`gs.getUserID()`, `gs.getUserName()`, the
    /// `DYNAMIC` "Me" filter); unknown on the client side.
    pub user_id: Option<String>,
    pub user_name: Option<String>,
}

impl Ctx {
    /// Now, in UTC, for no one in particular.
    pub fn utc_now() -> Ctx {
        Ctx::at(Utc::now(), "")
    }

    pub fn at(now: DateTime<Utc>, tz: &str) -> Ctx {
        Ctx { now, tz: tz.to_string(), user_id: None, user_name: None }
    }

    /// `t` on the user's wall clock.
    pub fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        tz::local(t, &self.tz)
    }

    /// The instant the user's wall-clock time `l` names.
    pub fn utc(&self, l: NaiveDateTime) -> DateTime<Utc> {
        tz::utc_of(l, &self.tz)
    }

    fn start(&self, d: NaiveDate) -> DateTime<Utc> {
        self.utc(d.and_time(NaiveTime::MIN))
    }

    fn end(&self, d: NaiveDate) -> DateTime<Utc> {
        self.utc(d.and_hms_opt(23, 59, 59).unwrap_or_default())
    }
}

/// A calendar unit of the helpers and of `RELATIVE…` / `SAMEAS@…` / `MORETHAN@…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Unit {
    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s.trim().to_ascii_lowercase().trim_end_matches('s') {
            "minute" => Unit::Minute,
            "hour" => Unit::Hour,
            "day" | "dayofweek" => Unit::Day,
            "week" => Unit::Week,
            "month" => Unit::Month,
            "quarter" => Unit::Quarter,
            "year" => Unit::Year,
            _ => return None,
        })
    }
}

/// `l` moved by `n` units (calendar months and years; the day clamps to the month's end).
pub fn shift(l: NaiveDateTime, unit: Unit, n: i64) -> Option<NaiveDateTime> {
    let months = |m: i64| -> Option<NaiveDateTime> {
        let m32 = u32::try_from(m.unsigned_abs()).ok()?;
        if m >= 0 { l.checked_add_months(Months::new(m32)) } else { l.checked_sub_months(Months::new(m32)) }
    };
    match unit {
        Unit::Minute => l.checked_add_signed(Duration::try_minutes(n)?),
        Unit::Hour => l.checked_add_signed(Duration::try_hours(n)?),
        Unit::Day => l.checked_add_signed(Duration::try_days(n)?),
        Unit::Week => l.checked_add_signed(Duration::try_weeks(n)?),
        Unit::Month => months(n),
        Unit::Quarter => months(n.checked_mul(3)?),
        Unit::Year => months(n.checked_mul(12)?),
    }
}

/// The start of the calendar period of `unit` holding `l` (weeks from Monday).
pub fn period_start(l: NaiveDateTime, unit: Unit) -> NaiveDateTime {
    let d = l.date();
    let first = |m: u32| NaiveDate::from_ymd_opt(d.year(), m, 1).unwrap_or(d).and_time(NaiveTime::MIN);
    match unit {
        Unit::Minute => l.with_second(0).unwrap_or(l),
        Unit::Hour => l.with_second(0).and_then(|x| x.with_minute(0)).unwrap_or(l),
        Unit::Day => d.and_time(NaiveTime::MIN),
        Unit::Week => (d - Duration::days(i64::from(d.weekday().num_days_from_monday()))).and_time(NaiveTime::MIN),
        Unit::Month => first(d.month()),
        Unit::Quarter => first((d.month() - 1) / 3 * 3 + 1),
        Unit::Year => first(1),
    }
}

/// The last second of the calendar period of `unit` holding `l`.
pub fn period_end(l: NaiveDateTime, unit: Unit) -> NaiveDateTime {
    let next = shift(period_start(l, unit), unit, 1).unwrap_or(l);
    next - Duration::seconds(1)
}

/// Evaluates a date operand: `javascript:gs.helper(args)`, a `YYYY-MM-DD HH:MM:SS` or a
/// `YYYY-MM-DD` literal (a bare date is the start of that day for the user). `None`
/// for anything else.
pub fn eval_date(expr: &str, ctx: &Ctx) -> Option<String> {
    eval_instant(expr, ctx).map(crate::time::format)
}

fn eval_instant(expr: &str, ctx: &Ctx) -> Option<DateTime<Utc>> {
    let e = expr.trim();
    if let Some(t) = crate::time::parse(e) {
        return Some(t);
    }
    if let Ok(d) = NaiveDate::parse_from_str(e, "%Y-%m-%d") {
        return Some(ctx.start(d));
    }
    let call = e.strip_prefix("javascript:")?.trim().trim_end_matches(';').trim();
    let call = call.strip_prefix("gs.")?;
    let (name, args) = call.split_once('(')?;
    let args: Vec<String> = args
        .trim_end()
        .strip_suffix(')')?
        .split(',')
        .map(|a| a.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
        .filter(|a| !a.is_empty())
        .collect();
    helper(name.trim(), &args, ctx)
}

fn helper(name: &str, args: &[String], ctx: &Ctx) -> Option<DateTime<Utc>> {
    let n = |i: usize| args.get(i).and_then(|a| a.parse::<i64>().ok()).unwrap_or(0);
    let now = ctx.now;
    let l = ctx.local(now);
    let today = l.date();
    let at = |x: NaiveDateTime| Some(ctx.utc(x));
    // `unitsAgo(n)`, `unitsAgoStart(n)`, `unitsAgoEnd(n)`.
    for (prefix, unit) in [
        ("minutesAgo", Unit::Minute),
        ("hoursAgo", Unit::Hour),
        ("daysAgo", Unit::Day),
        ("monthsAgo", Unit::Month),
        ("quartersAgo", Unit::Quarter),
        ("yearsAgo", Unit::Year),
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            let then = shift(l, unit, -n(0))?;
            return match rest {
                "" => at(then),
                "Start" => at(period_start(then, unit)),
                "End" => at(period_end(then, unit)),
                _ => None,
            };
        }
    }
    match name {
        "nowDateTime" | "nowNoTZ" | "nowGlideDateTime" => return Some(now),
        "yesterday" => return Some(now - Duration::hours(24)),
        "lastWeek" => return Some(now - Duration::days(7)),
        "dateGenerate" => {
            let date = NaiveDate::parse_from_str(args.first()?, "%Y-%m-%d").ok()?;
            return match args.get(1).map(String::as_str) {
                Some("start") | None => Some(ctx.start(date)),
                Some("end") => Some(ctx.end(date)),
                Some(time) => {
                    let t = NaiveTime::parse_from_str(time, "%H:%M:%S").ok()?;
                    at(date.and_time(t))
                }
            };
        }
        _ => {}
    }
    let (end, range) = match (name.strip_prefix("beginningOf"), name.strip_prefix("endOf")) {
        (Some(r), _) => (false, r),
        (_, Some(r)) => (true, r),
        _ => return None,
    };
    let (lo, hi) = named_range(range, l, today)?;
    at(if end { hi } else { lo })
}

/// The range a `beginningOfX()` / `endOfX()` pair names, on the user's wall clock.
fn named_range(range: &str, l: NaiveDateTime, today: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let period = |unit: Unit, k: i64| -> Option<(NaiveDateTime, NaiveDateTime)> {
        let p = shift(period_start(l, unit), unit, k)?;
        Some((p, period_end(p, unit)))
    };
    let day = |d: NaiveDate| (d.and_time(NaiveTime::MIN), d.and_hms_opt(23, 59, 59).unwrap_or_default());
    let unit_of = |s: &str| match s {
        "Minute" | "Minutes" => Some(Unit::Minute),
        "Hour" | "Hours" => Some(Unit::Hour),
        "Day" | "Days" => Some(Unit::Day),
        "Week" | "Weeks" => Some(Unit::Week),
        "Month" | "Months" => Some(Unit::Month),
        "Quarter" | "Quarters" => Some(Unit::Quarter),
        "Year" | "Years" => Some(Unit::Year),
        _ => None,
    };
    match range {
        "Today" => return Some(day(today)),
        "Yesterday" => return Some(day(today.pred_opt()?)),
        "Tomorrow" => return Some(day(today.succ_opt()?)),
        "OneYearAgo" => return Some(day(shift(l, Unit::Year, -1)?.date())),
        _ => {}
    }
    if let Some(u) = range.strip_prefix("Current").or_else(|| range.strip_prefix("This")) {
        return period(unit_of(u)?, 0);
    }
    let (ahead, rest) = match (range.strip_prefix("Last"), range.strip_prefix("Next")) {
        (Some(r), _) => (false, r),
        (_, Some(r)) => (true, r),
        _ => return None,
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let (count, unit) = rest.split_at(digits);
    let unit = unit_of(unit)?;
    let Ok(count) = count.parse::<i64>() else {
        // Last / Next month, week, quarter, year, hour, minute: the whole period.
        return period(unit, if ahead { 1 } else { -1 });
    };
    match (ahead, unit) {
        // Rolling: from the start of the unit `count` units ago to the end of this one.
        (false, Unit::Minute | Unit::Hour | Unit::Day | Unit::Week | Unit::Month) => {
            Some((period_start(shift(l, unit, -count)?, unit), period_end(l, unit)))
        }
        // Whole periods before (or after) the current one.
        (false, _) => Some((period(unit, -count)?.0, period(unit, -1)?.1)),
        (true, _) => Some((period(unit, 1)?.0, period(unit, count)?.1)),
    }
}

/// A `RELATIVE{GT,GE,LT,LE,EE}@<unit>@{ago,ahead}@<n>` term: the operator and the
/// instant it compares with (for `EE`, the day of that instant: the lower and upper
/// bound).
pub fn relative(value: &str, ctx: &Ctx) -> Option<(String, DateTime<Utc>, DateTime<Utc>)> {
    let mut parts = value.split('@');
    let op = parts.next()?.to_string();
    let unit = Unit::parse(parts.next()?)?;
    let dir = parts.next()?;
    let n = parts.next()?.trim().parse::<i64>().ok()?;
    if parts.next().is_some() || !matches!(op.as_str(), "GT" | "GE" | "LT" | "LE" | "EE") {
        return None;
    }
    let l = ctx.local(ctx.now);
    let then = match dir {
        "ago" => shift(l, unit, -n)?,
        "ahead" => shift(l, unit, n)?,
        _ => return None,
    };
    if op == "EE" {
        return Some((op, ctx.utc(period_start(then, Unit::Day)), ctx.utc(period_end(then, Unit::Day))));
    }
    let t = ctx.utc(then);
    Some((op, t, t))
}

/// A part of a date (`DATEPART`, `SAMEAS@unit`), as the condition builder numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Sunday = 1 … Saturday = 7 (the page's trend examples: on or before Monday is
    /// "either a Sunday or a Monday").
    DayOfWeek,
    DayOfMonth,
    Hour,
    /// Week of the year, weeks Sunday through Saturday ("ServiceNow defines a week as
    /// Sunday through Saturday for the purposes of Field Comparison").
    Week,
    Month,
    Quarter,
    Year,
}

impl Part {
    pub fn of(self, l: NaiveDateTime) -> i64 {
        let d = l.date();
        i64::from(match self {
            Part::DayOfWeek => d.weekday().num_days_from_sunday() + 1,
            Part::DayOfMonth => d.day(),
            Part::Hour => l.hour(),
            Part::Week => {
                let jan1 = NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d);
                (d.ordinal0() + jan1.weekday().num_days_from_sunday()) / 7 + 1
            }
            Part::Month => d.month(),
            Part::Quarter => (d.month() - 1) / 3 + 1,
            Part::Year => return i64::from(d.year()),
        })
    }
}

/// A `DATEPART<label>@javascript:gs.datePart('<part>','<value>','<op>')` term: the part,
/// the value it is compared with, and the comparison (`EE`, `GT`, `GE`, `LT`, `LE`).
pub fn date_part(value: &str) -> Option<(Part, i64, String)> {
    let (_, expr) = value.split_once('@')?;
    let call = expr.trim().strip_prefix("javascript:")?.trim().strip_prefix("gs.datePart(")?;
    let args: Vec<String> = call
        .trim_end()
        .trim_end_matches(';')
        .strip_suffix(')')?
        .split(',')
        .map(|a| a.trim().trim_matches(|c| c == '\'' || c == '"').to_ascii_lowercase())
        .collect();
    let [part, v, op] = args.as_slice() else { return None };
    const DAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let named = |names: &[&str]| names.iter().position(|n| *n == v.as_str()).map(|i| i as i64 + 1);
    let (part, n) = match part.as_str() {
        "dayofweek" => (Part::DayOfWeek, named(&DAYS).or_else(|| v.parse().ok())?),
        "month" => (Part::Month, named(&MONTHS).or_else(|| v.parse().ok())?),
        "dayofmonth" => (Part::DayOfMonth, v.parse().ok()?),
        "hour" => (Part::Hour, hour_of(v)?),
        "week" => (Part::Week, v.parse().ok()?),
        "quarter" => (Part::Quarter, v.trim_start_matches('q').parse().ok()?),
        "year" => (Part::Year, v.parse().ok()?),
        _ => return None,
    };
    let op = op.to_ascii_uppercase();
    matches!(op.as_str(), "EE" | "GT" | "GE" | "LT" | "LE").then_some((part, n, op))
}

/// `14`, `2pm`, `12am` → the hour of the day.
fn hour_of(v: &str) -> Option<i64> {
    if let Ok(h) = v.parse::<i64>() {
        return (0..24).contains(&h).then_some(h);
    }
    let (num, pm) = match (v.strip_suffix("am"), v.strip_suffix("pm")) {
        (Some(n), _) => (n, false),
        (_, Some(n)) => (n, true),
        _ => return None,
    };
    let h: i64 = num.trim().parse().ok().filter(|h| (1..=12).contains(h))?;
    Some(h % 12 + if pm { 12 } else { 0 })
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
        let ctx = Ctx::at(at("2024-05-15 13:45:10"), "");
        let e = |x: &str| eval_date(&format!("javascript:gs.{x}"), &ctx).unwrap();
        assert_eq!(e("beginningOfToday()"), "2024-05-15 00:00:00");
        assert_eq!(e("endOfToday()"), "2024-05-15 23:59:59");
        assert_eq!(e("beginningOfThisWeek()"), "2024-05-13 00:00:00");
        assert_eq!(e("endOfThisWeek()"), "2024-05-19 23:59:59");
        assert_eq!(e("endOfLastMonth()"), "2024-04-30 23:59:59");
        assert_eq!(e("beginningOfLastMonth()"), "2024-04-01 00:00:00");
        assert_eq!(e("beginningOfThisQuarter()"), "2024-04-01 00:00:00");
        assert_eq!(e("endOfThisQuarter()"), "2024-06-30 23:59:59");
        assert_eq!(e("beginningOfLastQuarter()"), "2024-01-01 00:00:00");
        assert_eq!(e("endOfNextYear()"), "2025-12-31 23:59:59");
        assert_eq!(e("daysAgoStart(3)"), "2024-05-12 00:00:00");
        assert_eq!(e("daysAgo(1)"), "2024-05-14 13:45:10");
        assert_eq!(e("hoursAgoStart(2)"), "2024-05-15 11:00:00");
        assert_eq!(e("minutesAgoEnd(5)"), "2024-05-15 13:40:59");
        assert_eq!(e("monthsAgoStart(5)"), "2023-12-01 00:00:00");
        assert_eq!(e("monthsAgoEnd(3)"), "2024-02-29 23:59:59");
        assert_eq!(e("quartersAgoStart(1)"), "2024-01-01 00:00:00");
        assert_eq!(e("yearsAgo(1)"), "2023-05-15 13:45:10");
        assert_eq!(e("beginningOfLast6Months()"), "2023-11-01 00:00:00");
        assert_eq!(e("endOfLast6Months()"), "2024-05-31 23:59:59");
        assert_eq!(e("beginningOfLast7Days()"), "2024-05-08 00:00:00");
        assert_eq!(e("beginningOfLast15Minutes()"), "2024-05-15 13:30:00");
        assert_eq!(e("beginningOfLast2Quarters()"), "2023-10-01 00:00:00");
        assert_eq!(e("endOfLast2Quarters()"), "2024-03-31 23:59:59");
        assert_eq!(e("endOfNext2Quarters()"), "2024-12-31 23:59:59");
        assert_eq!(e("beginningOfLastHour()"), "2024-05-15 12:00:00");
        assert_eq!(e("dateGenerate('2024-01-02','end')"), "2024-01-02 23:59:59");
        assert_eq!(eval_date("javascript:gs.getUserID()", &ctx), None);
        assert_eq!(eval_date("javascript:gs.beginningOfLastFortnight()", &ctx), None);
    }

    #[test]
    fn helpers_follow_the_users_time_zone() {
        // 13:45 UTC on 15 May is 15:45 in Paris, 09:45 in New York; 23:30 UTC is already
        // the 16th in Paris.
        let paris = Ctx::at(at("2024-05-15 23:30:00"), "Europe/Paris");
        assert_eq!(eval_date("javascript:gs.beginningOfToday()", &paris).unwrap(), "2024-05-15 22:00:00");
        let ny = Ctx::at(at("2024-05-15 13:45:10"), "America/New_York");
        assert_eq!(eval_date("javascript:gs.beginningOfToday()", &ny).unwrap(), "2024-05-15 04:00:00");
        assert_eq!(eval_date("javascript:gs.endOfThisMonth()", &ny).unwrap(), "2024-06-01 03:59:59");
        assert_eq!(eval_date("2024-05-01", &ny).unwrap(), "2024-05-01 04:00:00");
    }

    #[test]
    fn relative_and_date_parts() {
        let ctx = Ctx::at(at("2024-05-15 13:45:10"), "");
        let (op, t, _) = relative("GT@hour@ago@3", &ctx).unwrap();
        assert_eq!((op.as_str(), crate::time::format(t)), ("GT", "2024-05-15 10:45:10".to_string()));
        let (_, t, _) = relative("LT@month@ahead@1", &ctx).unwrap();
        assert_eq!(crate::time::format(t), "2024-06-15 13:45:10");
        let (_, lo, hi) = relative("EE@day@ago@1", &ctx).unwrap();
        assert_eq!(
            (crate::time::format(lo), crate::time::format(hi)),
            ("2024-05-14 00:00:00".into(), "2024-05-14 23:59:59".into())
        );
        assert_eq!(relative("GT@fortnight@ago@1", &ctx), None);
        assert_eq!(
            date_part("Monday@javascript:gs.datePart('dayofweek','monday','EE')"),
            Some((Part::DayOfWeek, 2, "EE".into()))
        );
        assert_eq!(date_part("May@javascript:gs.datePart('month','may','GE')"), Some((Part::Month, 5, "GE".into())));
        assert_eq!(date_part("x@javascript:gs.datePart('hour','2pm','LT')"), Some((Part::Hour, 14, "LT".into())));
        assert_eq!(date_part("x@javascript:gs.datePart('era','x','EE')"), None);
        // 15 May 2024 is a Wednesday (4 counting from Sunday = 1).
        assert_eq!(Part::DayOfWeek.of(ctx.local(ctx.now)), 4);
    }
}
