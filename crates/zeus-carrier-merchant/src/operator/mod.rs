//! The operator face as a library (feature `axum`; INTERFACES §3): the
//! merchant's JSON API over the facade — `GET /orders/{order_no}`,
//! `POST /orders/{order_no}/settle|cancel`, `GET /deadlines` — behind a
//! bearer token, for the merchant's own staff and systems. `zeus-carrier
//! serve` mounts it as it is; a shop embedding the crates does the same,
//! and writes no JSON mapping of its own ([`json`] holds the shapes).
//!
//! # Rules, in the order they are checked
//! 1. **Bearer token.** Every request — any path, any method, also one
//!    for a path that does not exist — needs `Authorization: Bearer
//!    TOKEN` with the configured [`OperatorToken`], compared in constant
//!    time. Missing or wrong → `401` with `WWW-Authenticate: Bearer`, an
//!    empty body and no other header (INTERFACES v3 §3: not even `Allow`,
//!    which would enumerate the routes).
//! 2. **JSON only.** A `POST` whose `Content-Type` is not
//!    `application/json`, or that has a body but no `Content-Type`, → `415`.
//!    An empty `POST` with no `Content-Type` (cancel, or settle with no
//!    options) is fine. So a page on another site can neither send the
//!    token (a browser adds no `Authorization` header to a cross-site form
//!    or `text/plain` POST, and a JSON POST needs a preflight this face
//!    never grants) nor post a form that would be read.
//! 3. The endpoints of [`orders`].
//!
//! ```no_run
//! # async fn demo(merchant: zeus_carrier_merchant::Merchant) -> Result<(), Box<dyn std::error::Error>> {
//! use zeus_carrier_merchant::OperatorToken;
//! let token = OperatorToken::new(std::env::var("SHOP_OPERATOR_TOKEN")?)?;
//! let app = merchant.operator_router(token); // mount it on an internal listener
//! # let _ = app; Ok(()) }
//! ```
//!
//! A shop can put [`require_bearer`] in front of its own routes too.

pub mod json;
pub mod orders;
pub mod staff;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};

use subtle::ConstantTimeEq as _;
use zeus_carrier_core::merchant::OperationKind;

use crate::{Merchant, Operated};

/// The largest request body the operator face reads (settle requests are
/// far smaller).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The shortest operator token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// The longest operator token accepted.
pub const MAX_TOKEN_LEN: usize = 256;

/// The operator face's bearer token: 16–256 visible ASCII characters,
/// compared in constant time ([`OperatorToken::authorizes`]); `Debug`
/// shows `***`. Cheap to clone.
#[derive(Clone)]
pub struct OperatorToken(Arc<str>);

/// A token that breaks the rule (the value is never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("operator token: must be 16 to 256 visible ASCII characters (value not shown)")]
pub struct TokenError;

impl OperatorToken {
    /// A token, checked: 16 to 256 visible ASCII characters.
    pub fn new(token: impl Into<String>) -> Result<OperatorToken, TokenError> {
        let token = token.into();
        let ok = (MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&token.len())
            && token.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(OperatorToken(token.into()))
        } else {
            Err(TokenError)
        }
    }

    /// Whether an `Authorization` header value is `Bearer TOKEN` with this
    /// token (the comparison takes the same time wherever they differ).
    pub fn authorizes(&self, authorization: Option<&[u8]>) -> bool {
        let Some(value) = authorization else {
            return false;
        };
        let Some(given) = value.strip_prefix(b"Bearer ") else {
            return false;
        };
        let expected = self.0.as_bytes();
        given.len() == expected.len() && bool::from(given.ct_eq(expected))
    }

    /// The token, for writing it where it was asked to go (a token file).
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OperatorToken(***)")
    }
}

/// Told of every operation the operator face sends (for metrics); it must
/// not block.
pub trait OperatorObserver: Send + Sync + 'static {
    /// A settle or cancel that reached the gateway (`done.elapsed` is the
    /// gateway call), and the whole request's time.
    fn operated(&self, operation: OperationKind, done: &Operated, total: Duration);
    /// A request refused for a missing or wrong token.
    fn unauthorized(&self) {}
}

/// Observes nothing.
#[derive(Debug, Clone, Copy)]
pub struct NoObserver;

impl OperatorObserver for NoObserver {
    fn operated(&self, _: OperationKind, _: &Operated, _: Duration) {}
}

/// What the operator handlers share.
#[derive(Clone)]
pub(crate) struct OperatorState {
    pub(crate) merchant: Merchant,
    pub(crate) observer: Arc<dyn OperatorObserver>,
}

impl Merchant {
    /// The operator face's JSON API (see the module docs) behind `token`.
    pub fn operator_router(&self, token: OperatorToken) -> Router {
        self.operator_router_with(token, NoObserver, Router::new())
    }

    /// [`Merchant::operator_router`], telling `observer` of every
    /// operation sent and every request refused for its token, with
    /// `extra` routes of the embedding service (its metrics, its own admin
    /// pages) behind the same token and rules.
    pub fn operator_router_with(
        &self,
        token: OperatorToken,
        observer: impl OperatorObserver,
        extra: Router,
    ) -> Router {
        let observer: Arc<dyn OperatorObserver> = Arc::new(observer);
        let state = OperatorState {
            merchant: self.clone(),
            observer: observer.clone(),
        };
        let inner = Router::new()
            .route("/orders/{order_no}", get(orders::get_order))
            .route("/orders/{order_no}/settle", post(orders::settle))
            .route("/orders/{order_no}/cancel", post(orders::cancel))
            .route("/deadlines", get(orders::deadlines))
            .with_state(state)
            .merge(extra);
        protect(inner, token, observer)
    }
}

/// `inner` behind the operator rules: the bearer token (checked before
/// `inner` sees the request, so a request without it learns nothing —
/// not even which methods a path allows), JSON-only `POST`s and the body
/// bound.
pub fn protect(inner: Router, token: OperatorToken, observer: Arc<dyn OperatorObserver>) -> Router {
    // The outer router has no routes: every request goes to its fallback,
    // `inner`, through the layers. (Layers on `inner`'s own routes would
    // run inside axum's method routing, which adds `Allow` to the answer.)
    Router::new()
        .fallback_service(inner)
        .layer(axum::middleware::from_fn(require_json_posts))
        .layer(axum::middleware::from_fn(move |req, next| {
            let (token, observer) = (token.clone(), observer.clone());
            async move {
                let response = require_bearer(token, req, next).await;
                if response.status() == StatusCode::UNAUTHORIZED {
                    observer.unauthorized();
                }
                response
            }
        }))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// Middleware: `401` (empty body, `WWW-Authenticate: Bearer`) unless the
/// request carries `Authorization: Bearer TOKEN` with `token`.
pub async fn require_bearer(token: OperatorToken, request: Request, next: Next) -> Response {
    let authorization = request.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    if token.authorizes(authorization) {
        next.run(request).await
    } else {
        unauthorized()
    }
}

/// The `401` answer: `WWW-Authenticate: Bearer` and nothing else (no
/// body, no `Allow`, no content type).
pub fn unauthorized() -> Response {
    let mut r = Response::new(axum::body::Body::empty());
    *r.status_mut() = StatusCode::UNAUTHORIZED;
    r.headers_mut().insert(
        WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer"),
    );
    r
}

/// Middleware: `415` for a `POST` that is not JSON (see the module docs).
pub async fn require_json_posts(request: Request, next: Next) -> Response {
    if request.method() == Method::POST && !json_or_empty(request.headers()) {
        return json::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "operator requests with a body must be Content-Type: application/json",
        );
    }
    next.run(request).await
}

fn json_or_empty(headers: &HeaderMap) -> bool {
    match headers.get(CONTENT_TYPE) {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|t| t.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")),
        None => {
            let chunked = headers.contains_key(TRANSFER_ENCODING);
            let length = headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0);
            !chunked && length == 0
        }
    }
}
