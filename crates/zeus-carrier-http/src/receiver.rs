//! The CGI receiver: the gateway's status notifications, received durably
//! and idempotently (SPEC §9, R-CG-1 … R-CG-5; INTERFACES §3).
//!
//! [`callback_router`] answers `GET {path}` and can be merged into any axum
//! app, which must be served with
//! `into_make_service_with_connect_info::<SocketAddr>()` (the source
//! address is the socket peer; without it every call is refused with 403).
//!
//! # Checks, in order, and their answers
//! 1. **Source** (R-CG-5): the socket peer; `X-Forwarded-For` only when the
//!    peer is a trusted proxy ([`crate::source`]). Not in the allowlist, or
//!    unknown → `403`.
//! 2. **Size**: a query above [`ReceiverConfig::max_query_bytes`] → `414`.
//! 3. **Parse** through the core ([`Callback::parse_query`], in the
//!    configured charset); `order_no`, `status` and `clientip` are required
//!    → otherwise `400`.
//! 4. **Foreign**: `clientip` not this merchant's → `400`.
//! 5. **Checkout lookup** by `sendid` (for 6 and 7); storage unavailable →
//!    `503`.
//! 6. **Signature** (when a signing key is configured, [`crate::signing`]):
//!    `sendpoint`, `sendid` and `carrier_type` (and `money` when no checkout
//!    was saved) are required, and the signature must verify → otherwise
//!    `400`.
//! 7. **Integrity** (the core's [`zeus_carrier_core::merchant::on_notification`],
//!    run by the store): a call disagreeing with the checkout is recorded
//!    with a flag and **not applied**; it is still
//!    answered `successok` (decision: the call was received and stored; a
//!    resend would carry the same values, so a non-success answer would
//!    only make the gateway retry and then mail an error; the flag shows in
//!    `GET /orders/{order_no}` (`flagged`, `needs_reconciliation`), in
//!    `GET /deadlines`, and as a `warn` log line).
//! 8. **Record** ([`Store::record_notification`]): `200 successok` only
//!    after it returned `Ok`, i.e. after the commit (R-CG-1). Duplicates are
//!    answered `successok` and change nothing (R-CG-3); late calls are
//!    stored without moving the order (R-CG-4). Storage unavailable → `503`;
//!    any other storage error → `500`.
//!
//! No error answer starts with `successok`, so the gateway reports the
//! failure and can resend (R-CG-1, R-CG-2).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use zeus_carrier_core::callback::Callback;
use zeus_carrier_core::merchant::{Checkout, Notice, NoticeEffect};
use zeus_carrier_store::{Store, StoreError};

use crate::clock::Clock;
use crate::config::{ConfigError, ReceiverConfig};
use crate::signing::{SignatureError, verify_sendpoint};
use crate::source::{SourceError, contains, resolve_source};

/// The acknowledgement body (R-CG-1).
pub const SUCCESS_BODY: &str = "successok";

/// What the receiver needs: the store, its configuration and a clock.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct ReceiverState {
    store: Store,
    config: Arc<ReceiverConfig>,
    clock: Clock,
}

impl ReceiverState {
    /// Checks the configuration ([`ReceiverConfig::check`]); uses the system
    /// clock.
    pub fn new(store: Store, config: ReceiverConfig) -> Result<ReceiverState, ConfigError> {
        config.check()?;
        Ok(ReceiverState {
            store,
            config: Arc::new(config),
            clock: Clock::system(),
        })
    }

    /// The same state reading `clock` for the receipt time.
    pub fn with_clock(mut self, clock: Clock) -> ReceiverState {
        self.clock = clock;
        self
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &ReceiverConfig {
        &self.config
    }
}

/// Why a CGI call was not acknowledged. Each maps to one HTTP status
/// ([`CallbackRejection::status`]); none answers `successok`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackRejection {
    /// The source is not in the allowlist (R-CG-5) → 403.
    #[error("source {0} is not in the CGI source allowlist (R-CG-5)")]
    Forbidden(IpAddr),
    /// The source could not be determined → 403.
    #[error("source address unknown: {0}")]
    UnknownSource(String),
    /// The query is larger than the bound → 414.
    #[error("query of {len} bytes is larger than the {max}-byte limit")]
    TooLarge {
        /// The query's length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The call cannot be read or lacks a required parameter → 400.
    #[error("malformed CGI call: {0}")]
    Malformed(String),
    /// The call is for another merchant's IP code → 400.
    #[error("clientip {0:?} is not this merchant's IP code")]
    Foreign(String),
    /// The signed sendpoint does not verify → 400.
    #[error("{0}")]
    BadSignature(SignatureError),
    /// The signed sendpoint cannot be checked: a parameter it covers is
    /// missing → 400.
    #[error(
        "signed sendpoint configured but the call lacks {0} (select it in the management screen)"
    )]
    SignatureInputMissing(&'static str),
    /// The storage is unavailable → 503; the gateway can resend.
    #[error("storage unavailable, not recorded; please resend: {0}")]
    Unavailable(String),
    /// Another storage error → 500.
    #[error("storage error, not recorded: {0}")]
    Storage(String),
}

impl CallbackRejection {
    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            CallbackRejection::Forbidden(_) | CallbackRejection::UnknownSource(_) => {
                StatusCode::FORBIDDEN
            }
            CallbackRejection::TooLarge { .. } => StatusCode::URI_TOO_LONG,
            CallbackRejection::Malformed(_)
            | CallbackRejection::Foreign(_)
            | CallbackRejection::BadSignature(_)
            | CallbackRejection::SignatureInputMissing(_) => StatusCode::BAD_REQUEST,
            CallbackRejection::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            CallbackRejection::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn from_store(e: &StoreError) -> CallbackRejection {
        if e.is_unavailable() {
            CallbackRejection::Unavailable(e.to_string())
        } else {
            CallbackRejection::Storage(e.to_string())
        }
    }
}

impl IntoResponse for CallbackRejection {
    fn into_response(self) -> Response {
        let body = format!("error: {self}\n");
        (
            self.status(),
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            body,
        )
            .into_response()
    }
}

/// The receiver as a router answering `GET {config.path}`. Serve it (or
/// the app it is merged into) with
/// `into_make_service_with_connect_info::<SocketAddr>()`.
pub fn callback_router(state: ReceiverState) -> Router {
    let path = state.config.path.clone();
    Router::new()
        .route(&path, get(handle_callback))
        .with_state(state)
}

async fn handle_callback(State(state): State<ReceiverState>, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    // The socket peer, or a test's `MockConnectInfo`; absent when the app
    // was not served with connect info.
    let peer = ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, &state)
        .await
        .ok()
        .map(|c| c.0);
    match receive(&state, peer, &parts.headers, &parts.uri).await {
        Ok(()) => (
            StatusCode::OK,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            SUCCESS_BODY,
        )
            .into_response(),
        Err(rejection) => {
            match rejection.status() {
                StatusCode::SERVICE_UNAVAILABLE | StatusCode::INTERNAL_SERVER_ERROR => {
                    tracing::error!(%rejection, "CGI call not recorded");
                }
                _ => tracing::warn!(%rejection, "CGI call refused"),
            }
            rejection.into_response()
        }
    }
}

/// Checks 1–8 of the module docs; `Ok` only after the store committed.
async fn receive(
    state: &ReceiverState,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<(), CallbackRejection> {
    let config = &state.config;
    // 1. Source (R-CG-5).
    let Some(peer) = peer else {
        return Err(CallbackRejection::UnknownSource(
            "no socket peer (serve with into_make_service_with_connect_info)".to_owned(),
        ));
    };
    let forwarded: Vec<&[u8]> = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let source = resolve_source(peer.ip(), &forwarded, &config.trusted_proxies)
        .map_err(|e: SourceError| CallbackRejection::UnknownSource(e.to_string()))?;
    if !contains(&config.allow, source) {
        return Err(CallbackRejection::Forbidden(source));
    }
    // 2. Size.
    let raw = uri.query().unwrap_or("");
    if raw.len() > config.max_query_bytes {
        return Err(CallbackRejection::TooLarge {
            len: raw.len(),
            max: config.max_query_bytes,
        });
    }
    // 3. Parse through the core.
    let cb = Callback::parse_query(raw.as_bytes(), config.charset)
        .map_err(|e| CallbackRejection::Malformed(e.to_string()))?;
    let missing = |name: &str| CallbackRejection::Malformed(format!("{name}: missing"));
    let order_no = cb.order_no.clone().ok_or_else(|| missing("order_no"))?;
    let status = cb.status.ok_or_else(|| missing("status"))?;
    let notice = Notice::from_callback(&cb, state.clock.now())
        .map_err(|e| CallbackRejection::Malformed(e.to_string()))?;
    let clientip = cb.clientip.clone().ok_or_else(|| missing("clientip"))?;
    // 4. Foreign.
    if clientip.as_str() != config.clientip {
        return Err(CallbackRejection::Foreign(clientip.as_str().to_owned()));
    }
    // 5. The checkout, for the signature and the integrity check.
    let checkout = match &notice.sendid {
        Some(sendid) => state
            .store
            .find_checkout(sendid)
            .await
            .map_err(|e| CallbackRejection::from_store(&e))?,
        None => None,
    };
    // 6. Signature.
    if let Some(key) = &config.signing_key {
        verify_signature(key, &cb, checkout.as_ref())?;
    }
    // 7–8. Integrity (the core's model, inside the store's transaction)
    // and record, then (and only then) acknowledge.
    let recorded = state
        .store
        .record_notification(notice, raw.as_bytes().to_vec())
        .await
        .map_err(|e| CallbackRejection::from_store(&e))?;
    match &recorded.effect {
        NoticeEffect::Flagged { flag, .. } => tracing::warn!(
            order_no = order_no.as_str(),
            status = status.code(),
            %source,
            reason = %flag,
            "CGI call stored but NOT applied: integrity check failed; order marked for reconciliation"
        ),
        effect => tracing::info!(
            order_no = order_no.as_str(),
            status = status.code(),
            %source,
            effect = effect.kind().as_str(),
            now = recorded.order.as_ref().map(|o| o.status().code()),
            "CGI call recorded"
        ),
    }
    Ok(())
}

/// Check 6: the signed sendpoint (see [`crate::signing`]).
fn verify_signature(
    key: &crate::secret::SigningKey,
    cb: &Callback,
    checkout: Option<&Checkout>,
) -> Result<(), CallbackRejection> {
    let sendpoint = cb
        .sendpoint
        .as_deref()
        .ok_or(CallbackRejection::BadSignature(SignatureError::Missing))?;
    let sendid = cb
        .sendid
        .as_deref()
        .ok_or(CallbackRejection::SignatureInputMissing("sendid"))?;
    let carrier = cb
        .carrier
        .ok_or(CallbackRejection::SignatureInputMissing("carrier_type"))?;
    let clientip = cb
        .clientip
        .as_ref()
        .ok_or(CallbackRejection::SignatureInputMissing("clientip"))?;
    // The signature covers the checkout's (original) amount; a settle may
    // have lowered the amount the call reports since (R-SL-5).
    let money = match (checkout, cb.money) {
        (Some(c), _) => c.money.yen(),
        (None, Some(m)) => m,
        (None, None) => return Err(CallbackRejection::SignatureInputMissing("money")),
    };
    verify_sendpoint(key, sendpoint, clientip.as_str(), sendid, money, carrier)
        .map_err(CallbackRejection::BadSignature)
}
