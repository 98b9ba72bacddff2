//! The receiver rows' HTTP handler: the merchant crate's real CGI receiver
//! (`zeus_carrier_merchant::callback_router`), every check included —
//! source allowlist, parse, foreign `clientip`, the core's model inside the
//! store's transaction, `successok` only after commit.
//!
//! The bench's calls carry no `sendid` of a saved checkout, so the
//! receiver applies them as a shop rendering its own Link Point forms would
//! (`UnknownSendId::Apply`); with the default policy they would be stored
//! and flagged, which measures the same writes but not the same outcome
//! checks.

use axum::Router;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::ClientIp;
use zeus_carrier_merchant::{MerchantConfig, Receiver, UnknownSendId, callback_router};
use zeus_carrier_store::Store;

use crate::{CLIENTIP, PATH};

/// The receiver on [`PATH`], for the merchant [`CLIENTIP`], accepting
/// loopback callers (a loopback gateway's default allowlist).
pub(crate) fn router(store: Store) -> Router {
    let clientip = ClientIp::parse(CLIENTIP).unwrap_or_else(|e| panic!("{CLIENTIP}: {e}"));
    let config = MerchantConfig::builder(clientip, Zkey::new("bench-zkey"))
        .gateway_url("http://127.0.0.1:9")
        .callback_path(PATH)
        .unknown_sendid(UnknownSendId::Apply)
        .build()
        .unwrap_or_else(|e| panic!("the bench's configuration: {e}"));
    callback_router(Receiver::new(store, config))
}
