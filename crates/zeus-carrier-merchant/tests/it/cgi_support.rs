//! Helpers of the receiver's tests: the workspace's test databases, CGI
//! queries, requests through a router without a socket and fixed instants
//! (`zeus-carrier-testkit`), and typed values.

pub(crate) use zeus_carrier_testkit::db::TestDb;
pub(crate) use zeus_carrier_testkit::router::{get, oneshot};
pub(crate) use zeus_carrier_testkit::{CLIENTIP, at, cgi_query};

/// An order number.
pub(crate) fn ono(s: &str) -> zeus_carrier_core::values::OrderNo {
    zeus_carrier_core::values::OrderNo::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// A `sendid`.
pub(crate) fn sid(s: &str) -> zeus_carrier_core::values::SendId {
    zeus_carrier_core::values::SendId::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// The order `order_no` as `store` holds it; panics when there is none.
pub(crate) async fn stored(
    store: &zeus_carrier_store::Store,
    order_no: &str,
) -> zeus_carrier_store::MerchantOrder {
    store
        .get_order(&ono(order_no))
        .await
        .expect("read")
        .unwrap_or_else(|| panic!("order {order_no} is stored"))
}
