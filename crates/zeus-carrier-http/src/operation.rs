//! Thin glue between the merchant's stored record and the core's settle
//! and cancel rules: the facts the pre-checks need, and the store input for
//! the events a Secure Link answer means.
//!
//! Nothing is decided here: the facts are read from the record (and its
//! checkout), and the events are applied with the core's own aggregate
//! ([`Order::apply`], checked against the one transition table), whose
//! resulting status steps, amount, settle date and settle time are handed to
//! [`Store::record_operation`](zeus_carrier_store::Store::record_operation).

use zeus_carrier_core::order::{Order, OrderDetails, OrderParts};
use zeus_carrier_core::settle::OrderFacts;
use zeus_carrier_core::time::JstDateTime;
use zeus_carrier_core::{Event, TransitionError};
use zeus_carrier_store::{
    Checkout, MerchantOrder, OperationInput, OperationSource, SettleDateUpdate,
};

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
/// merchant's record.
///
/// - carrier: the record's, else the checkout's;
/// - original amount: the checkout's (what the merchant asked the shopper
///   for), else the record's first amount;
/// - acceptance time: the record's `window_from` (the store's start of the
///   50-day windows, D-7);
/// - settle date and settle time: the record's.
pub fn order_facts(
    order: &MerchantOrder,
    checkout: Option<&Checkout>,
) -> Result<OrderFacts, MissingFact> {
    let carrier = order
        .carrier
        .or(checkout.map(|c| c.carrier))
        .ok_or(MissingFact::Carrier)?;
    let original_money = checkout
        .map(|c| c.money)
        .or(order.original_money)
        .ok_or(MissingFact::OriginalMoney)?;
    Ok(OrderFacts {
        status: order.status,
        carrier,
        original_money,
        accepted_at: order.window_from,
        settled_at: order.settled_at,
        settle_date: order.settle_date,
    })
}

/// The store input for `events` (from
/// [`zeus_carrier_core::settle::settle_events_for`] or
/// [`zeus_carrier_core::cancel::cancel_events_for`]) applied to the record at
/// `at`, or `None` when there are no events. The events are applied by the
/// core's [`Order::apply`]; an event the table refuses is an error (it
/// cannot happen for events the core produced from the same facts).
pub fn operation_input(
    order: &MerchantOrder,
    facts: &OrderFacts,
    source: OperationSource,
    events: &[Event],
    at: JstDateTime,
) -> Result<Option<OperationInput>, TransitionError> {
    if events.is_empty() {
        return Ok(None);
    }
    let mut model = Order::from_parts(OrderParts {
        order_no: order.order_no.clone(),
        details: OrderDetails {
            clientip: order.clientip.clone().unwrap_or_default(),
            carrier: facts.carrier,
            money: facts.original_money,
            username: String::new(),
            telno: String::new(),
            email: String::new(),
            sendid: order.sendid.clone().unwrap_or_default(),
            sendpoint: order.sendpoint.clone().unwrap_or_default(),
            test: false,
        },
        money: order.money.unwrap_or(facts.original_money),
        status: facts.status,
        accepted_at: facts.accepted_at,
        settle_date: facts.settle_date,
        settled_at: facts.settled_at,
        history: Vec::new(),
    })
    .expect("an empty history is always consistent");
    for event in events {
        model.apply(event, at)?;
    }
    let transitions = model
        .history()
        .iter()
        .filter_map(|h| h.from.map(|from| (from, h.to)))
        .collect();
    let settle_date = match (facts.settle_date, model.settle_date()) {
        (before, after) if before == after => SettleDateUpdate::Keep,
        (_, Some(d)) => SettleDateUpdate::Set(d),
        (_, None) => SettleDateUpdate::Clear,
    };
    let settled_at = model.settled_at().filter(|t| Some(*t) != facts.settled_at);
    Ok(Some(OperationInput {
        order_no: order.order_no.clone(),
        source,
        transitions,
        money: Some(model.money()),
        settle_date,
        settled_at,
        at,
    }))
}
