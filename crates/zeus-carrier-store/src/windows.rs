//! When an order's settle and cancel windows close, from the core's date
//! rules (SPEC D-7, R-SL-1, R-SL-4, R-CN-1). Stored with every change of
//! the order so that [`crate::Store::list_deadlines`] finds the orders with
//! an index; recomputed from the same functions when read.

use zeus_carrier_core::cancel::cancel_plan;
use zeus_carrier_core::settle::settle_window_closes;
use zeus_carrier_core::{JstDateTime, Status};

/// The windows of an order in `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Windows {
    /// The last moment a settle is accepted; `None` when the status takes
    /// no settle that the merchant must still send.
    pub(crate) settle_closes: Option<JstDateTime>,
    /// The last moment a cancel is accepted; `None` when the status takes
    /// no cancel.
    pub(crate) cancel_closes: Option<JstDateTime>,
}

/// The windows of an order in `status` whose windows count from
/// `window_from` (the acceptance, or a conservative stand-in for it) and
/// whose sale was confirmed at `settled_at`.
///
/// - Authorized: settle until 23:55 (R-SL-4: from then on "today" is
///   refused and the default date is tomorrow) of the last allowed settle
///   date (acceptance date + 50, D-7); cancel until acceptance + 50 × 24 h.
/// - SettleReserved: the reservation settles by itself; cancel (or
///   withdraw) until acceptance + 50 × 24 h.
/// - Completed: cancel until the settle time + 50 × 24 h (R-CN-1).
/// - Every other status: no window.
pub(crate) fn windows(
    status: Status,
    window_from: &JstDateTime,
    settled_at: Option<&JstDateTime>,
) -> Windows {
    // Only an authorization still needs the merchant's settle; a
    // reservation settles by itself on its date.
    let settle_closes = (status == Status::Authorized).then(|| settle_window_closes(window_from));
    // A completed sale whose settle time is unknown counts from
    // `window_from`, the earliest it can have been settled.
    let settled_at = settled_at.or(Some(window_from));
    let cancel_closes =
        cancel_plan(status, window_from, settled_at).and_then(|plan| plan.deadline());
    Windows {
        settle_closes,
        cancel_closes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn at(s: &str) -> JstDateTime {
        DateTime::parse_from_rfc3339(s).expect("test instant")
    }

    #[test]
    fn d7_authorized_settle_closes_at_2355_of_acceptance_date_plus_50() {
        let w = windows(Status::Authorized, &at("2026-01-01T23:59:00+09:00"), None);
        assert_eq!(w.settle_closes, Some(at("2026-02-20T23:55:00+09:00")));
        assert_eq!(w.cancel_closes, Some(at("2026-02-20T23:59:00+09:00")));
    }

    #[test]
    fn r_cn_1_completed_cancel_window_counts_from_the_settle_time() {
        let w = windows(
            Status::Completed,
            &at("2026-01-01T10:00:00+09:00"),
            Some(&at("2026-01-10T12:00:00+09:00")),
        );
        assert_eq!(w.settle_closes, None);
        assert_eq!(w.cancel_closes, Some(at("2026-03-01T12:00:00+09:00")));
    }

    #[test]
    fn d2_terminal_statuses_have_no_window() {
        for s in zeus_carrier_core::transition::terminal_statuses() {
            let w = windows(s, &at("2026-01-01T10:00:00+09:00"), None);
            assert_eq!((w.settle_closes, w.cancel_closes), (None, None), "{s}");
        }
    }
}
