//! The receiver's integrity check: does a CGI call agree with the checkout
//! the merchant saved for its `sendid`?
//!
//! The Link Point form travels through the shopper's browser, so the order
//! the gateway reports can differ from the one the merchant rendered. When
//! the merchant saved a checkout for the call's `sendid`
//! ([`zeus_carrier_store::Store::save_checkout`]), a call that disagrees is
//! **stored with a flag and not applied**: the order does not move, it is
//! marked for reconciliation, and `GET /orders/{order_no}` shows `flagged`
//! and `needs_reconciliation`.
//!
//! # What disagrees (decisions)
//! - `carrier_type` other than the checkout's.
//! - `money` that the core's
//!   [`zeus_carrier_core::notification::amount_consistent`] rejects: equal
//!   to the checkout's in the payment phase (01, 02, 03); later, 1 ..= the
//!   checkout's for carriers that may lower the amount on settle (R-SL-5),
//!   exactly the checkout's for the others.
//! - A parameter the merchant does not receive (not selected in the
//!   management screen) is not checked.

use zeus_carrier_core::merchant::Checkout;
use zeus_carrier_core::{Carrier, Status};

/// The reason a call disagrees with its checkout, or `None` when it agrees.
pub fn check_against_checkout(
    checkout: &Checkout,
    status: Status,
    money: Option<u32>,
    carrier: Option<Carrier>,
) -> Option<String> {
    if let Some(c) = carrier
        && c != checkout.carrier
    {
        return Some(format!(
            "carrier mismatch for sendid {:?}: checkout {} but call {}",
            checkout.sendid.as_str(),
            checkout.carrier.code(),
            c.code()
        ));
    }
    let money = money?;
    let consistent = zeus_carrier_core::notification::amount_consistent(
        checkout.carrier,
        checkout.money.yen(),
        status,
        money,
    );
    (!consistent).then(|| {
        format!(
            "money mismatch for sendid {:?}: checkout {} yen but call {} yen with status {}",
            checkout.sendid.as_str(),
            checkout.money,
            money,
            status.code()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkout(carrier: Carrier) -> Checkout {
        Checkout::new(
            zeus_carrier_core::values::SendId::parse("S-1").expect("sendid"),
            zeus_carrier_core::values::Money::from_yen(1000).expect("money"),
            carrier,
            chrono::DateTime::parse_from_rfc3339("2026-01-10T10:00:00+09:00").expect("instant"),
        )
    }

    #[test]
    fn agreeing_calls_pass() {
        let c = checkout(Carrier::Docomo);
        assert_eq!(
            check_against_checkout(&c, Status::Authorized, Some(1000), Some(Carrier::Docomo)),
            None
        );
        assert_eq!(
            check_against_checkout(&c, Status::Authorized, None, None),
            None
        );
        // R-SL-5: docomo may settle less than the original.
        assert_eq!(
            check_against_checkout(&c, Status::Completed, Some(800), Some(Carrier::Docomo)),
            None
        );
    }

    #[test]
    fn tampered_calls_are_flagged() {
        let c = checkout(Carrier::Docomo);
        assert!(check_against_checkout(&c, Status::Authorized, Some(1), None).is_some());
        assert!(check_against_checkout(&c, Status::Completed, Some(1001), None).is_some());
        assert!(
            check_against_checkout(&c, Status::Authorized, Some(1000), Some(Carrier::Au)).is_some()
        );
        // R-SL-5: SoftBank settles exactly the original.
        let s = checkout(Carrier::SoftBank);
        assert!(check_against_checkout(&s, Status::Completed, Some(800), None).is_some());
        assert_eq!(
            check_against_checkout(&s, Status::Completed, Some(1000), None),
            None
        );
    }
}
