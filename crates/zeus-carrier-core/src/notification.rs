//! What a status notification (a CGI call) means for the merchant's copy of
//! an order: the merchant side is idempotent and never moves an order
//! backwards (R-CG-3, R-CG-4).
//!
//! The merchant learns an order's number from the gateway's first CGI call,
//! so the first notification it sees creates its record. After that, a
//! notification repeating the current status is a duplicate; one naming a
//! status ahead of the current one along the transition table advances the
//! order (possibly over steps the gateway does not notify, such as 04 and
//! 05); anything else is late or out of order and is recorded without
//! acting on it.

use serde::{Deserialize, Serialize};

use crate::carrier::Carrier;
use crate::status::Status;
use crate::transition::is_forward;

/// The effect a notification has on the merchant's record of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum NotificationEffect {
    /// The first notification for this order: the record is created in the
    /// reported status.
    Create {
        /// The reported status.
        status: Status,
    },
    /// The same status as the record already has: acknowledged, nothing
    /// changes (R-CG-3).
    Duplicate {
        /// The current (and reported) status.
        status: Status,
    },
    /// A status ahead of the current one: the record moves forward.
    Advance {
        /// The status before.
        from: Status,
        /// The reported status, after.
        to: Status,
    },
    /// A status that is behind or beside the current one (a late resend, or
    /// calls arriving out of order): recorded, the order does not move
    /// (R-CG-4).
    Stale {
        /// The record's status, unchanged.
        current: Status,
        /// The status the late call reported.
        reported: Status,
    },
}

impl NotificationEffect {
    /// The status the record has after the notification.
    pub const fn resulting_status(self) -> Status {
        match self {
            NotificationEffect::Create { status } | NotificationEffect::Duplicate { status } => {
                status
            }
            NotificationEffect::Advance { to, .. } => to,
            NotificationEffect::Stale { current, .. } => current,
        }
    }

    /// Whether the record's status changes (or is created).
    pub const fn changes_state(self) -> bool {
        matches!(
            self,
            NotificationEffect::Create { .. } | NotificationEffect::Advance { .. }
        )
    }
}

/// Decides what a notification reporting `reported` does to a record whose
/// status is `current` (`None`: no record yet) (R-CG-3, R-CG-4).
pub fn classify(current: Option<Status>, reported: Status) -> NotificationEffect {
    match current {
        None => NotificationEffect::Create { status: reported },
        Some(current) if current == reported => NotificationEffect::Duplicate { status: current },
        Some(current) if is_forward(current, reported) => NotificationEffect::Advance {
            from: current,
            to: reported,
        },
        Some(current) => NotificationEffect::Stale { current, reported },
    }
}

/// Whether a notification's amount agrees with the amount the shopper
/// ordered, given the status it reports: in the payment phase (01, 02, 03)
/// nothing can have changed the amount, so it must be equal; later, a settle
/// may have lowered it for carriers that allow a change (R-SL-5), so any
/// amount from 1 up to the ordered one agrees; a carrier that allows no
/// change must report the ordered amount.
pub fn amount_consistent(carrier: Carrier, ordered: u32, reported: Status, money: u32) -> bool {
    let payment_phase = match reported {
        Status::Accepting | Status::PaymentFailed | Status::Authorized => true,
        Status::SettleReserved
        | Status::Settling
        | Status::SettleFailed
        | Status::Completed
        | Status::Cancelled
        | Status::CompletedCancelFailed
        | Status::AuthorizationCancelled
        | Status::AuthorizationCancelFailed => false,
    };
    if payment_phase || !carrier.may_change_amount() {
        money == ordered
    } else {
        (Carrier::MIN_AMOUNT..=ordered).contains(&money)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn r_cg_3_same_status_twice_is_a_duplicate() {
        for s in Status::iter() {
            assert_eq!(
                classify(Some(s), s),
                NotificationEffect::Duplicate { status: s }
            );
            assert!(!classify(Some(s), s).changes_state());
        }
    }

    #[test]
    fn r_cg_3_only_create_and_advance_change_state() {
        assert!(classify(None, Status::Authorized).changes_state());
        assert!(classify(Some(Status::Authorized), Status::Completed).changes_state());
        assert!(!classify(Some(Status::Completed), Status::Authorized).changes_state());
        assert!(!classify(Some(Status::Completed), Status::Completed).changes_state());
    }

    #[test]
    fn r_sl_5_notified_amounts_agree_with_the_order_per_carrier() {
        use Status::*;
        for c in [Carrier::Docomo, Carrier::Au] {
            assert!(amount_consistent(c, 1000, Authorized, 1000));
            assert!(!amount_consistent(c, 1000, Authorized, 999));
            assert!(amount_consistent(c, 1000, Completed, 1));
            assert!(amount_consistent(c, 1000, Completed, 1000));
            assert!(!amount_consistent(c, 1000, Completed, 0));
            assert!(!amount_consistent(c, 1000, Completed, 1001));
        }
        assert!(amount_consistent(Carrier::SoftBank, 1000, Completed, 1000));
        assert!(!amount_consistent(Carrier::SoftBank, 1000, Completed, 999));
        assert!(!amount_consistent(
            Carrier::SoftBank,
            1000,
            PaymentFailed,
            1
        ));
    }

    #[test]
    fn r_cg_4_resend_of_03_after_07_is_stale() {
        assert_eq!(
            classify(Some(Status::Completed), Status::Authorized),
            NotificationEffect::Stale {
                current: Status::Completed,
                reported: Status::Authorized
            }
        );
    }

    #[test]
    fn r_cg_4_forward_skips_unnotified_steps() {
        assert_eq!(
            classify(Some(Status::Authorized), Status::Completed),
            NotificationEffect::Advance {
                from: Status::Authorized,
                to: Status::Completed
            }
        );
    }

    #[test]
    fn r_cg_4_never_moves_out_of_a_terminal_status() {
        for t in crate::transition::terminal_statuses() {
            for r in Status::iter() {
                assert_eq!(classify(Some(t), r).resulting_status(), t);
            }
        }
    }

    #[test]
    fn r_cg_4_a_sequence_applied_in_any_order_ends_in_the_latest_status() {
        // 03 then 07 then 09, delivered in every order, ends in 09.
        let seq = [
            Status::Authorized,
            Status::Completed,
            Status::CompletedCancelFailed,
        ];
        let perms = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        for p in perms {
            let mut cur = None;
            for i in p {
                cur = Some(classify(cur, seq[i]).resulting_status());
            }
            assert_eq!(cur, Some(Status::CompletedCancelFailed), "{p:?}");
        }
    }
}
