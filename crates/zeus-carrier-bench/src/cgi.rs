//! The receiver rows' HTTP handler: the receiver's path through the core
//! and the store, without the crate that hosts the receiver.
//!
//! The CGI receiver is moving from `zeus-carrier-http` to
//! `zeus-carrier-merchant` (which does not build on this branch yet), so
//! the bench serves this stand-in, which does for a valid call what the
//! receiver does (steps 4, 5, 8, 9 of `zeus_carrier_merchant::receiver`):
//! parse the query with the core (`Callback::parse_query`, Shift_JIS), refuse
//! a foreign `clientip`, build the core's `Notice`, record it with
//! `Store::record_notification` and answer `successok` only after it
//! returned `Ok` (503 when the store is unavailable). It leaves out the
//! allowlist check (one CIDR match per call) and the signature (off by
//! default). Once the receiver builds again, serve
//! `zeus_carrier_merchant::receiver::callback_router` here instead.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use chrono::Utc;
use zeus_carrier_core::Charset;
use zeus_carrier_core::callback::Callback;
use zeus_carrier_core::merchant::{Notice, UnknownSendId};
use zeus_carrier_core::time::to_jst;
use zeus_carrier_store::Store;

use crate::{CLIENTIP, PATH};

/// The stand-in receiver on [`PATH`].
pub(crate) fn router(store: Store) -> Router {
    Router::new().route(PATH, get(handle)).with_state(store)
}

async fn handle(State(store): State<Store>, RawQuery(q): RawQuery) -> (StatusCode, &'static str) {
    let raw = q.unwrap_or_default().into_bytes();
    let Ok(cb) = Callback::parse_query(&raw, Charset::ShiftJis) else {
        return (StatusCode::BAD_REQUEST, "malformed");
    };
    if cb.clientip.as_ref().map(|c| c.as_str()) != Some(CLIENTIP) {
        return (StatusCode::BAD_REQUEST, "foreign");
    }
    let Ok(notice) = Notice::from_callback(&cb, to_jst(&Utc::now())) else {
        return (StatusCode::BAD_REQUEST, "malformed");
    };
    match store
        .record_notification(notice, raw, UnknownSendId::Apply)
        .await
    {
        Ok(_) => (StatusCode::OK, "successok"),
        Err(e) if e.is_unavailable() => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error"),
    }
}
