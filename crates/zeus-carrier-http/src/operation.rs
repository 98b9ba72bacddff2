//! Thin glue between the merchant's stored record and the core's settle
//! and cancel rules: the facts the pre-checks need.
//!
//! Nothing is decided here: the facts are the core's
//! [`MerchantRecord::facts`](zeus_carrier_core::merchant::MerchantRecord::facts);
//! what an outcome does to the record is the core's
//! [`on_operation`](zeus_carrier_core::merchant::on_operation), run by
//! [`Store::record_operation`](zeus_carrier_store::Store::record_operation).

use zeus_carrier_core::merchant::Checkout;
use zeus_carrier_core::settle::OrderFacts;
use zeus_carrier_store::MerchantOrder;

/// A fact the pre-checks need that the merchant's record does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MissingFact {
    /// The carrier (R-SL-5): neither a CGI call (`carrier_type`) nor a saved
    /// checkout told it.
    #[error(
        "the order's carrier is unknown: receive carrier_type in CGI calls, or start orders through /checkout"
    )]
    Carrier,
    /// The original amount (R-SL-5): neither a CGI call (`money`) nor a saved
    /// checkout told it.
    #[error(
        "the order's original amount is unknown: receive money in CGI calls, or start orders through /checkout"
    )]
    OriginalMoney,
}

/// The facts the settle and cancel pre-checks reason about, from the
/// merchant's record: the core's [`MerchantRecord::facts`](zeus_carrier_core::merchant::MerchantRecord::facts)
/// (carrier: the record's, else the checkout's; original amount: the
/// checkout's, else the record's first amount; acceptance time: where the
/// record's windows count from, D-7; settle date and time: the record's).
pub fn order_facts(
    order: &MerchantOrder,
    checkout: Option<&Checkout>,
) -> Result<OrderFacts, MissingFact> {
    order.record().facts(checkout).map_err(|e| match e {
        zeus_carrier_core::merchant::MissingFact::Carrier => MissingFact::Carrier,
        _ => MissingFact::OriginalMoney,
    })
}
