//! Time zones: a real instance shows date-times in the user's time zone (the `time_zone`
//! field of `sys_user`; empty = the system time zone) while values stay UTC (Table API
//! page, `sysparm_display_value`), and evaluates the relative date helpers of encoded
//! queries in it (GlideSystem page: "in the user's session time zone as a UTC timestamp").
//!
//! No tz database here (chrono-tz would add a generated table of every zone to the
//! build): a small table of common zones with their standard offset and the EU or US
//! daylight-saving rule. An unknown zone shows UTC, as a real instance falls back to the
//! system zone.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};

#[derive(Clone, Copy)]
enum Dst {
    None,
    /// Last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC.
    Eu,
    /// Second Sunday of March 02:00 local to first Sunday of November 02:00 local.
    Us,
}

/// (name, standard offset in minutes, daylight-saving rule).
const ZONES: &[(&str, i32, Dst)] = &[
    ("UTC", 0, Dst::None),
    ("GMT", 0, Dst::None),
    ("Etc/UTC", 0, Dst::None),
    ("Europe/London", 0, Dst::Eu),
    ("Europe/Dublin", 0, Dst::Eu),
    ("Europe/Lisbon", 0, Dst::Eu),
    ("Europe/Paris", 60, Dst::Eu),
    ("Europe/Berlin", 60, Dst::Eu),
    ("Europe/Amsterdam", 60, Dst::Eu),
    ("Europe/Brussels", 60, Dst::Eu),
    ("Europe/Madrid", 60, Dst::Eu),
    ("Europe/Rome", 60, Dst::Eu),
    ("Europe/Zurich", 60, Dst::Eu),
    ("Europe/Stockholm", 60, Dst::Eu),
    ("Europe/Warsaw", 60, Dst::Eu),
    ("Europe/Helsinki", 120, Dst::Eu),
    ("Europe/Athens", 120, Dst::Eu),
    ("America/New_York", -300, Dst::Us),
    ("US/Eastern", -300, Dst::Us),
    ("America/Chicago", -360, Dst::Us),
    ("US/Central", -360, Dst::Us),
    ("America/Denver", -420, Dst::Us),
    ("US/Mountain", -420, Dst::Us),
    ("America/Phoenix", -420, Dst::None),
    ("America/Los_Angeles", -480, Dst::Us),
    ("US/Pacific", -480, Dst::Us),
    ("Asia/Kolkata", 330, Dst::None),
    ("Asia/Singapore", 480, Dst::None),
    ("Asia/Shanghai", 480, Dst::None),
    ("Asia/Tokyo", 540, Dst::None),
];

fn nth_sunday(y: i32, m: u32, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(y, m, Weekday::Sun, n).unwrap_or_default()
}

fn last_sunday(y: i32, m: u32) -> NaiveDate {
    // March and October have 31 days.
    let last = NaiveDate::from_ymd_opt(y, m, 31).unwrap_or_default();
    last - Duration::days(i64::from(last.weekday().num_days_from_sunday()))
}

fn utc_at(d: NaiveDate, h: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(h, 0, 0).unwrap_or_default())
}

/// Minutes east of UTC in `zone` at instant `t`; `None` for a zone we do not know.
pub fn offset_minutes(zone: &str, t: DateTime<Utc>) -> Option<i32> {
    let &(_, std, dst) = ZONES.iter().find(|(n, _, _)| *n == zone)?;
    let y = t.year();
    let summer = match dst {
        Dst::None => false,
        Dst::Eu => t >= utc_at(last_sunday(y, 3), 1) && t < utc_at(last_sunday(y, 10), 1),
        Dst::Us => {
            // 02:00 local standard time, then 02:00 local daylight time.
            let start = utc_at(nth_sunday(y, 3, 2), 2) - Duration::minutes(i64::from(std));
            let end = utc_at(nth_sunday(y, 11, 1), 2) - Duration::minutes(i64::from(std) + 60);
            t >= start && t < end
        }
    };
    Some(std + if summer { 60 } else { 0 })
}

/// A UTC `YYYY-MM-DD HH:MM:SS` as local time in `zone` (unchanged for UTC, an unknown
/// zone or a value that is not a date-time).
pub fn to_local(utc: &str, zone: &str) -> String {
    let Some(t) = crate::time::parse(utc) else { return utc.to_string() };
    match offset_minutes(zone, t) {
        Some(m) if m != 0 => crate::time::format(t + Duration::minutes(i64::from(m))),
        _ => utc.to_string(),
    }
}

/// `t` as the wall-clock time of `zone` (UTC for an unknown or empty zone).
pub fn local(t: DateTime<Utc>, zone: &str) -> NaiveDateTime {
    let m = offset_minutes(zone, t).unwrap_or(0);
    t.naive_utc() + Duration::minutes(i64::from(m))
}

/// The instant a wall-clock time of `zone` names. A time a daylight-saving change
/// repeats is taken at its first occurrence; one it skips, with the offset before the
/// change (assumed; the documentation is silent).
pub fn utc_of(local_time: NaiveDateTime, zone: &str) -> DateTime<Utc> {
    let guess = Utc.from_utc_datetime(&local_time);
    let before = offset_minutes(zone, guess - Duration::days(1)).unwrap_or(0);
    let after = offset_minutes(zone, guess + Duration::days(1)).unwrap_or(0);
    let mut offsets = [before, after];
    offsets.sort_unstable_by(|a, b| b.cmp(a)); // the larger offset is the earlier instant
    for m in offsets {
        let t = guess - Duration::minutes(i64::from(m));
        if local(t, zone) == local_time {
            return t;
        }
    }
    guess - Duration::minutes(i64::from(before))
}

/// A local `YYYY-MM-DD HH:MM:SS` of `zone` as UTC (unchanged for UTC, an unknown zone or
/// a value that is not a date-time).
pub fn from_local(local_text: &str, zone: &str) -> String {
    let Some(t) = crate::time::parse(local_text) else { return local_text.to_string() };
    crate::time::format(utc_of(t.naive_utc(), zone))
}
