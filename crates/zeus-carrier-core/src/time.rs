//! Japan time and the date rules that depend on it (SPEC D-5, D-6, D-7,
//! R-SL-1, R-SL-3, R-SL-4, R-CN-1).
//!
//! The core never reads a clock: every function here takes the instant it
//! reasons about as an argument.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeDelta, TimeZone};

/// An instant expressed in Japan time (UTC+09:00), the zone every date rule
/// of the gateway uses (D-5).
pub type JstDateTime = DateTime<FixedOffset>;

/// Japan's UTC offset in seconds. Japan has no daylight saving (D-5).
pub const JST_OFFSET_SECS: i32 = 9 * 3600;

/// How many days after the shopper's acceptance date a settle date may lie,
/// inclusive (D-7, R-SL-1, R-SL-7).
pub const SETTLE_DATE_WINDOW_DAYS: i64 = 50;

/// How long after acceptance (for Authorized and SettleReserved) or after the
/// settle time (for Completed) a cancel is accepted: 50 × 24 hours (D-7,
/// R-CN-1).
pub const CANCEL_WINDOW: TimeDelta = TimeDelta::days(50);

/// From this time of day (Japan time) on, a settle without a date means
/// tomorrow, and a settle dated today is refused (R-SL-3, R-SL-4).
pub const SETTLE_CUTOFF: NaiveTime = match NaiveTime::from_hms_opt(23, 55, 0) {
    Some(t) => t,
    None => panic!("23:55:00 is a valid time"),
};

/// The fixed +09:00 offset.
pub fn jst() -> FixedOffset {
    // 9 hours is always within chrono's ±24h bound.
    FixedOffset::east_opt(JST_OFFSET_SECS).unwrap_or_else(|| unreachable!())
}

/// Converts any instant to Japan time.
pub fn to_jst<Tz: TimeZone>(t: &DateTime<Tz>) -> JstDateTime {
    t.with_timezone(&jst())
}

/// The Japan-time calendar date of an instant: "today" (D-6).
pub fn jst_date<Tz: TimeZone>(t: &DateTime<Tz>) -> NaiveDate {
    to_jst(t).date_naive()
}

/// 00:00:00 Japan time at the start of `date`: the instant a reservation for
/// that date settles (R-SL-2).
pub fn start_of_jst_day(date: NaiveDate) -> JstDateTime {
    jst()
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .single()
        .unwrap_or_else(|| unreachable!("a fixed offset has no gaps"))
}

/// True from 23:55:00 to 23:59:59 Japan time (R-SL-3, R-SL-4).
pub fn after_settle_cutoff<Tz: TimeZone>(now: &DateTime<Tz>) -> bool {
    to_jst(now).time() >= SETTLE_CUTOFF
}

/// The settle date used when a settle request carries none: today until
/// 23:54:59, tomorrow from 23:55:00 (R-SL-3).
pub fn default_settle_date<Tz: TimeZone>(now: &DateTime<Tz>) -> NaiveDate {
    let today = jst_date(now);
    if after_settle_cutoff(now) {
        today.succ_opt().unwrap_or(today)
    } else {
        today
    }
}

/// The last date a settle may be dated for an order accepted at
/// `accepted_at`: acceptance date + 50 days, inclusive (D-7, R-SL-1).
pub fn last_settle_date<Tz: TimeZone>(accepted_at: &DateTime<Tz>) -> NaiveDate {
    let accepted = jst_date(accepted_at);
    accepted
        .checked_add_signed(TimeDelta::days(SETTLE_DATE_WINDOW_DAYS))
        .unwrap_or(NaiveDate::MAX)
}

/// The last instant a cancel is accepted, counted from `from` (the
/// acceptance or the settle time): `from` + 50 × 24 h, inclusive (D-7, R-CN-1).
pub fn cancel_deadline<Tz: TimeZone>(from: &DateTime<Tz>) -> JstDateTime {
    let from = to_jst(from);
    from.checked_add_signed(CANCEL_WINDOW).unwrap_or(from)
}

/// Formats a date as the gateway's `YYYYMMDD`.
pub fn format_yyyymmdd(date: NaiveDate) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}

/// Parses the gateway's `YYYYMMDD`: exactly eight ASCII digits naming a real
/// calendar date.
pub fn parse_yyyymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y = s[0..4].parse().ok()?;
    let m = s[4..6].parse().ok()?;
    let d = s[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> JstDateTime {
        DateTime::parse_from_rfc3339(s).expect("test instant")
    }

    #[test]
    fn d6_today_is_the_japan_calendar_date() {
        // 15:00 UTC on the 1st is 00:00 JST on the 2nd.
        let t = at("2026-01-01T15:00:00Z");
        assert_eq!(
            jst_date(&t),
            NaiveDate::from_ymd_opt(2026, 1, 2).expect("date")
        );
        let t = at("2026-01-01T14:59:59Z");
        assert_eq!(
            jst_date(&t),
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
        );
    }

    #[test]
    fn r_sl_3_default_date_switches_at_23_55_exactly() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 31).expect("date");
        assert_eq!(default_settle_date(&at("2026-03-31T23:54:59+09:00")), d);
        assert_eq!(
            default_settle_date(&at("2026-03-31T23:55:00+09:00")),
            NaiveDate::from_ymd_opt(2026, 4, 1).expect("date")
        );
        assert_eq!(default_settle_date(&at("2026-03-31T00:00:00+09:00")), d);
        assert!(after_settle_cutoff(&at("2026-03-31T23:59:59+09:00")));
        assert!(!after_settle_cutoff(&at("2026-03-31T23:54:59+09:00")));
    }

    #[test]
    fn d7_settle_window_is_fifty_days_inclusive() {
        let accepted = at("2026-01-01T23:59:00+09:00");
        assert_eq!(
            last_settle_date(&accepted),
            NaiveDate::from_ymd_opt(2026, 2, 20).expect("date")
        );
    }

    #[test]
    fn d7_cancel_window_is_fifty_times_24_hours() {
        let from = at("2026-01-01T10:00:00+09:00");
        assert_eq!(cancel_deadline(&from), at("2026-02-20T10:00:00+09:00"));
    }

    #[test]
    fn yyyymmdd_round_trips_and_rejects_non_dates() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 28).expect("date");
        assert_eq!(parse_yyyymmdd(&format_yyyymmdd(d)), Some(d));
        assert_eq!(parse_yyyymmdd("20260230"), None);
        assert_eq!(parse_yyyymmdd("2026022"), None);
        assert_eq!(parse_yyyymmdd("2026-2-28"), None);
        assert_eq!(parse_yyyymmdd("２０２６０２２８"), None);
    }

    #[test]
    fn start_of_day_is_midnight_japan_time() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 5).expect("date");
        assert_eq!(start_of_jst_day(d), at("2026-05-05T00:00:00+09:00"));
    }
}
