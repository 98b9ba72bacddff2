//! The operator face (INTERFACES §3, `--operator-listen`): `/orders/…`,
//! settle, cancel, `/deadlines` and `/metrics`, for the merchant's own
//! staff and systems, behind a bearer token.
//!
//! # Rules, in the order they are checked
//! 1. **Bearer token.** Every request — any path, any method, also one
//!    for a path that does not exist — needs `Authorization: Bearer
//!    TOKEN` with the configured [`OperatorToken`], compared in constant
//!    time. Missing or wrong → `401` with `WWW-Authenticate: Bearer` and an
//!    empty body: nothing about the service, the path or the token is said.
//! 2. **JSON only.** A `POST` whose `Content-Type` is not
//!    `application/json`, or that has a body but no `Content-Type`, → `415`.
//!    An empty `POST` with no `Content-Type` (cancel, or settle with no
//!    options) is fine. So a page on another site can neither send the
//!    token (a browser adds no `Authorization` header to a cross-site form
//!    or `text/plain` POST, and a JSON POST needs a preflight this face
//!    never grants) nor post a form that would be read.
//! 3. The endpoints of [`crate::orders`] and `GET /metrics`
//!    ([`crate::metrics`]).
//!
//! A shop embedding the crates can put [`require_bearer`] in front of its
//! own routes:
//!
//! ```
//! use zeus_carrier_serve::operator::require_bearer;
//! use zeus_carrier_serve::secrets::OperatorToken;
//! let token = OperatorToken::new(std::env::var("SHOP_ADMIN_TOKEN").unwrap_or_else(|_| "x".repeat(32)))
//!     .expect("a well-formed token");
//! let admin: axum::Router = axum::Router::new()
//!     .route("/refunds", axum::routing::get(|| async { "[]" }))
//!     .layer(axum::middleware::from_fn(move |req, next| {
//!         require_bearer(token.clone(), req, next)
//!     }));
//! ```

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::ServeState;
use crate::orders;
use crate::secrets::OperatorToken;

/// The operator face as a router: the operator endpoints behind the bearer
/// token and the JSON-only rule (see the module docs).
pub fn operator_router(state: ServeState, token: OperatorToken) -> Router {
    let metrics = state.metrics().clone();
    Router::new()
        .route("/orders/{order_no}", get(orders::get_order))
        .route("/orders/{order_no}/settle", post(orders::settle))
        .route("/orders/{order_no}/cancel", post(orders::cancel))
        .route("/deadlines", get(orders::deadlines))
        .route("/metrics", get(metrics_page))
        .with_state(state)
        .layer(axum::middleware::from_fn(require_json_posts))
        .layer(axum::middleware::from_fn(move |req, next| {
            let (token, metrics) = (token.clone(), metrics.clone());
            async move {
                let response = require_bearer(token, req, next).await;
                if response.status() == StatusCode::UNAUTHORIZED {
                    metrics.unauthorized();
                }
                response
            }
        }))
        .layer(axum::extract::DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
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

/// The `401` answer: it says nothing else.
fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, [(WWW_AUTHENTICATE, "Bearer")], "").into_response()
}

/// Middleware: `415` for a `POST` that is not JSON (see the module docs).
pub async fn require_json_posts(request: Request, next: Next) -> Response {
    if request.method() == Method::POST && !json_or_empty(request.headers()) {
        return crate::json_error(
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

/// `GET /metrics`.
async fn metrics_page(State(state): State<ServeState>) -> Response {
    (
        [(CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics().render(),
    )
        .into_response()
}
