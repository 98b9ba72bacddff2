//! How domain values are written to and read from columns, the same on both
//! backends: instants as RFC 3339 text in Japan time (plus Unix
//! milliseconds where the store compares them), statuses as their
//! two-digit codes (D-1), dates as `YYYY-MM-DD`, carriers as their letter.

use chrono::{DateTime, NaiveDate, SecondsFormat};
use zeus_carrier_core::merchant::{InFlight, ReconcileReason, Withdrawal};
use zeus_carrier_core::time::to_jst;
use zeus_carrier_core::values::{ClientIp, Money, OrderNo, SendId};
use zeus_carrier_core::{Carrier, JstDateTime, Status};

use crate::error::StoreError;

/// An instant as stored: RFC 3339 with the `+09:00` offset (D-5).
pub(crate) fn time_text(t: &JstDateTime) -> String {
    to_jst(t).to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// An instant as Unix milliseconds, for comparisons.
pub(crate) fn time_ms(t: &JstDateTime) -> i64 {
    t.timestamp_millis()
}

/// Reads an instant written by [`time_text`].
pub(crate) fn parse_time(
    table: &'static str,
    column: &'static str,
    s: &str,
) -> Result<JstDateTime, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| to_jst(&t))
        .map_err(|e| StoreError::corrupt(table, column, format!("{s:?} is not RFC 3339: {e}")))
}

/// Reads an optional instant.
pub(crate) fn parse_opt_time(
    table: &'static str,
    column: &'static str,
    s: Option<String>,
) -> Result<Option<JstDateTime>, StoreError> {
    s.map(|s| parse_time(table, column, &s)).transpose()
}

/// Reads a status code.
pub(crate) fn parse_status(
    table: &'static str,
    column: &'static str,
    s: &str,
) -> Result<Status, StoreError> {
    Status::from_code(s).map_err(|e| StoreError::corrupt(table, column, e.to_string()))
}

/// Reads an optional status code.
pub(crate) fn parse_opt_status(
    table: &'static str,
    column: &'static str,
    s: Option<String>,
) -> Result<Option<Status>, StoreError> {
    s.map(|s| parse_status(table, column, &s)).transpose()
}

/// A date as stored.
pub(crate) fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Reads an optional date.
pub(crate) fn parse_opt_date(
    table: &'static str,
    column: &'static str,
    s: Option<String>,
) -> Result<Option<NaiveDate>, StoreError> {
    s.map(|s| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|e| StoreError::corrupt(table, column, format!("{s:?}: {e}")))
    })
    .transpose()
}

/// Reads a carrier letter.
pub(crate) fn parse_carrier(
    table: &'static str,
    column: &'static str,
    s: &str,
) -> Result<Carrier, StoreError> {
    Carrier::from_code(s).ok_or_else(|| {
        StoreError::corrupt(
            table,
            column,
            format!("{s:?} is not a carrier letter D/A/S"),
        )
    })
}

/// Reads an optional carrier letter.
pub(crate) fn parse_opt_carrier(
    table: &'static str,
    column: &'static str,
    s: Option<String>,
) -> Result<Option<Carrier>, StoreError> {
    s.map(|s| parse_carrier(table, column, &s)).transpose()
}

/// Reads an amount (stored as a 64-bit integer).
pub(crate) fn parse_money(
    table: &'static str,
    column: &'static str,
    v: i64,
) -> Result<Money, StoreError> {
    u32::try_from(v)
        .ok()
        .and_then(Money::new)
        .ok_or_else(|| StoreError::corrupt(table, column, format!("{v} is not an amount in yen")))
}

/// Reads an optional amount.
pub(crate) fn parse_opt_money(
    table: &'static str,
    column: &'static str,
    v: Option<i64>,
) -> Result<Option<Money>, StoreError> {
    v.map(|v| parse_money(table, column, v)).transpose()
}

/// Reads an order number.
pub(crate) fn parse_order_no(
    table: &'static str,
    column: &'static str,
    s: &str,
) -> Result<OrderNo, StoreError> {
    OrderNo::parse(s).map_err(|e| StoreError::corrupt(table, column, e.to_string()))
}

/// Reads a `sendid`.
pub(crate) fn parse_sendid(
    table: &'static str,
    column: &'static str,
    s: &str,
) -> Result<SendId, StoreError> {
    SendId::parse(s).map_err(|e| StoreError::corrupt(table, column, e.to_string()))
}

/// Reads an optional `sendid`.
pub(crate) fn parse_opt_sendid(
    table: &'static str,
    column: &'static str,
    s: Option<String>,
) -> Result<Option<SendId>, StoreError> {
    s.map(|s| parse_sendid(table, column, &s)).transpose()
}

/// Reads a merchant IP code.
pub(crate) fn parse_clientip(
    table: &'static str,
    column: &'static str,
    s: &str,
) -> Result<ClientIp, StoreError> {
    ClientIp::parse(s).map_err(|e| StoreError::corrupt(table, column, e.to_string()))
}

/// Reads an optional merchant IP code.
pub(crate) fn parse_opt_clientip(
    table: &'static str,
    column: &'static str,
    s: Option<String>,
) -> Result<Option<ClientIp>, StoreError> {
    s.map(|s| parse_clientip(table, column, &s)).transpose()
}

/// A pending withdrawal as stored: `none` or `requested`.
pub(crate) fn withdrawal_text(w: Withdrawal) -> &'static str {
    match w {
        Withdrawal::None => "none",
        Withdrawal::Requested => "requested",
    }
}

/// Reads [`withdrawal_text`].
pub(crate) fn parse_withdrawal(
    table: &'static str,
    column: &'static str,
    s: &str,
) -> Result<Withdrawal, StoreError> {
    match s {
        "none" => Ok(Withdrawal::None),
        "requested" => Ok(Withdrawal::Requested),
        other => Err(StoreError::corrupt(
            table,
            column,
            format!("{other:?} is not none/requested"),
        )),
    }
}

/// A counter as stored (saturating: no counter reaches 2^63).
pub(crate) fn count_value(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Reads a counter.
pub(crate) fn parse_count(
    table: &'static str,
    column: &'static str,
    v: i64,
) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::corrupt(table, column, format!("{v} is not a count")))
}

/// A stored reconciliation reason ([`ReconcileReason::code`]). A mark an
/// earlier version stored as free text reads as
/// [`ReconcileReason::Unspecified`]: the order stays marked, and the text
/// is not carried further.
pub(crate) fn parse_reason(code: &str) -> ReconcileReason {
    ReconcileReason::from_code(code).unwrap_or(ReconcileReason::Unspecified)
}

/// A stored in-flight mark ([`InFlight::code`]). A mark an earlier version
/// stored as free text (`settle sent at …`) is read as an operation of
/// that name sent at the time it names, when it does; otherwise the row is
/// corrupt.
pub(crate) fn parse_opt_in_flight(
    table: &'static str,
    column: &'static str,
    v: Option<String>,
) -> Result<Option<InFlight>, StoreError> {
    let Some(code) = v else { return Ok(None) };
    if let Some(mark) = InFlight::from_code(&code) {
        return Ok(Some(mark));
    }
    // Earlier versions: "{operation} sent at {rfc3339}; no outcome recorded yet".
    let legacy = code.split_once(" sent at ").and_then(|(op, rest)| {
        let at = rest.split(';').next()?;
        let since = chrono::DateTime::parse_from_rfc3339(at).ok()?;
        Some(InFlight::new(op.parse().ok()?, None, since))
    });
    legacy
        .map(Some)
        .ok_or_else(|| StoreError::corrupt(table, column, format!("{code:?} is no in-flight mark")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_stored_in_japan_time_and_read_back_equal() {
        let utc = DateTime::parse_from_rfc3339("2026-01-01T15:00:00.250Z").expect("instant");
        let text = time_text(&utc);
        assert_eq!(text, "2026-01-02T00:00:00.250+09:00");
        let back = parse_time("t", "c", &text).expect("parse");
        assert_eq!(back, utc);
        assert_eq!(back.offset().local_minus_utc(), 9 * 3600);
    }

    #[test]
    fn corrupt_values_name_table_and_column() {
        let e = parse_status("orders", "status", "12").expect_err("12 is no status");
        assert!(e.to_string().contains("orders.status"), "{e}");
        let e = parse_money("orders", "money", -1).expect_err("negative");
        assert!(e.to_string().contains("orders.money"), "{e}");
    }
}
