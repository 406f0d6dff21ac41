//! User time zones for display values and input display values (Table API page,
//! `sysparm_display_value`, `sysparm_input_display_value`). The zone table lives with
//! the query module, which evaluates relative dates in the same zone.

pub use crate::query::tz::{from_local, offset_minutes, to_local};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_daylight_saving() {
        let t = |s: &str| crate::time::parse(s).unwrap();
        assert_eq!(to_local("2024-01-15 12:00:00", "Europe/Paris"), "2024-01-15 13:00:00");
        assert_eq!(to_local("2024-07-15 12:00:00", "Europe/Paris"), "2024-07-15 14:00:00");
        // EU switch: last Sunday of March 2024 is the 31st, at 01:00 UTC.
        assert_eq!(offset_minutes("Europe/London", t("2024-03-31 00:59:59")), Some(0));
        assert_eq!(offset_minutes("Europe/London", t("2024-03-31 01:00:00")), Some(60));
        assert_eq!(offset_minutes("Europe/London", t("2024-10-27 01:00:00")), Some(0));
        // US: 10 March 2024 02:00 EST = 07:00 UTC; 3 November 02:00 EDT = 06:00 UTC.
        assert_eq!(offset_minutes("America/New_York", t("2024-03-10 06:59:59")), Some(-300));
        assert_eq!(offset_minutes("America/New_York", t("2024-03-10 07:00:00")), Some(-240));
        assert_eq!(offset_minutes("America/New_York", t("2024-11-03 05:59:59")), Some(-240));
        assert_eq!(offset_minutes("America/New_York", t("2024-11-03 06:00:00")), Some(-300));
        assert_eq!(to_local("2024-07-15 12:00:00", "Asia/Kolkata"), "2024-07-15 17:30:00");
        assert_eq!(to_local("2024-07-15 12:00:00", "Mars/Olympus"), "2024-07-15 12:00:00");
        assert_eq!(to_local("", "Europe/Paris"), "");
    }

    #[test]
    fn local_input_reads_back_as_utc() {
        assert_eq!(from_local("2024-07-15 14:00:00", "Europe/Paris"), "2024-07-15 12:00:00");
        assert_eq!(from_local("2024-01-15 13:00:00", "Europe/Paris"), "2024-01-15 12:00:00");
        assert_eq!(from_local("2024-07-15 08:00:00", "America/New_York"), "2024-07-15 12:00:00");
        assert_eq!(from_local("2024-07-15 12:00:00", ""), "2024-07-15 12:00:00");
        assert_eq!(from_local("soon", "Europe/Paris"), "soon");
        // Every hour of a year round-trips, across both daylight-saving changes.
        let mut t = crate::time::parse("2024-01-01 00:30:00").unwrap();
        for _ in 0..(366 * 24) {
            let utc = crate::time::format(t);
            for zone in ["Europe/Paris", "America/New_York", "Asia/Kolkata"] {
                let local = to_local(&utc, zone);
                // A repeated local hour reads as its first occurrence.
                let back = from_local(&local, zone);
                assert!(back == utc || to_local(&back, zone) == local, "{zone} {utc} -> {local} -> {back}");
            }
            t += chrono::Duration::hours(1);
        }
    }
}
