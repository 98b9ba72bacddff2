//! Shared test helpers: the workspace's scripted gateway, test
//! databases, fixed instants, log capture and requests through a router
//! without a socket (`zeus-carrier-testkit`), and the checkouts a shop's
//! page makes.

pub(crate) use zeus_carrier_testkit::db::TestDb;
pub(crate) use zeus_carrier_testkit::gateway::{Behavior, FakeGateway, fake_gateway};
pub(crate) use zeus_carrier_testkit::router::{get, oneshot};
pub(crate) use zeus_carrier_testkit::{CLIENTIP, LogCapture, at, cgi_query};

/// A `sendid`.
pub(crate) fn sid(s: &str) -> zeus_carrier_core::values::SendId {
    zeus_carrier_core::values::SendId::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// The form a shop's page posts to `POST /checkout` for `yen` yen on
/// docomo under `sendid`: the checkout the gateway's CGI calls for this
/// order are then checked against (with `--unknown-sendid flag`, the
/// default, a call without one is flagged, not applied).
pub(crate) fn checkout_form(sendid: &str, yen: u32) -> String {
    serde_urlencoded::to_string([
        ("money", yen.to_string().as_str()),
        ("carrier_type", "D"),
        ("username", "ゼウステスト_12345678"),
        ("telno", "0312345678"),
        ("sendid", sendid),
    ])
    .expect("form")
}

/// Saves the checkout `sendid` for `yen` yen on docomo in `store`
/// (what `POST /checkout` saves).
pub(crate) async fn save_checkout(store: &zeus_carrier_store::Store, sendid: &str, yen: u32) {
    store
        .save_checkout(&zeus_carrier_core::merchant::Checkout::new(
            sid(sendid),
            zeus_carrier_core::values::Money::from_yen(yen).expect("money"),
            zeus_carrier_core::Carrier::Docomo,
            at("2026-01-10T09:55:00+09:00"),
        ))
        .await
        .expect("save checkout");
}
