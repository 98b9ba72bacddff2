//! `POST /checkout`: validate a Link Point order request through the core
//! and answer the auto-submitting form, or every violation (R-LP-1, R-LP-5).
//!
//! # Decisions
//! - The body is a urlencoded form (UTF-8, as browsers send a UTF-8 page's
//!   form) or JSON (`Content-Type: application/json`, the core's
//!   [`OrderRequest`] shape; `money` may be a number). Anything else → `415`.
//! - Everything else is one call of the merchant facade,
//!   [`zeus_carrier_merchant::Merchant::checkout`]: `clientip` replaced by
//!   the service's own, a missing `sendid` generated, `sendpoint` signed
//!   when a signing key is configured, the checkout saved before the form
//!   is rendered (its decisions are documented there). The answer carries
//!   the `sendid` in the `X-Zeus-Carrier-Sendid` header.
//! - Every violation → `422` `{"errors": [{"field", "rule"}]}`; a `sendid`
//!   already saved with another amount or carrier → `422` with
//!   `{"errors": [{"field": "sendid", "rule": …}]}`.
//! - The page is sent in the configured charset (`--charset`, D-3), which
//!   is also the charset the request is validated in.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;
use zeus_carrier_core::link_point::OrderRequest;
use zeus_carrier_merchant::CheckoutError;

use super::{ServeState, json_error, store_error};

/// The header carrying the checkout's `sendid`.
pub const SENDID_HEADER: &str = "x-zeus-carrier-sendid";

pub(super) async fn checkout(
    State(state): State<ServeState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = match read_request(&headers, &body) {
        Ok(r) => r,
        Err((status, message)) => return json_error(status, message),
    };
    let form = match state.merchant.checkout(request).await {
        Ok(form) => form,
        Err(CheckoutError::Invalid(violations)) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"errors": violations})),
            )
                .into_response();
        }
        Err(CheckoutError::SendIdInUse { sendid }) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"errors": [{
                    "field": "sendid",
                    "rule": format!("{:?} is already used by a checkout with another amount or carrier", sendid.as_str()),
                }]})),
            )
                .into_response();
        }
        Err(CheckoutError::AlreadyUsed(used)) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"errors": [{
                    "field": "sendid",
                    "rule": format!(
                        "{:?} was already used by order {}; a new payment needs a new checkout",
                        used.sendid.as_str(),
                        used.order_no
                    ),
                }]})),
            )
                .into_response();
        }
        Err(CheckoutError::Store(e)) => return store_error(&e),
        Err(e) => {
            tracing::error!(error = %e, "checkout not rendered");
            return json_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
        }
    };
    let content_type = format!("text/html; charset={}", form.charset.http_label());
    let sendid = form.checkout.sendid.as_str().to_owned();
    let mut response = (StatusCode::OK, [(CONTENT_TYPE, content_type)], form.body).into_response();
    if let Ok(v) = HeaderValue::from_str(&sendid) {
        response.headers_mut().insert(SENDID_HEADER, v);
    }
    response
}

/// The request from a form or JSON body.
fn read_request(headers: &HeaderMap, body: &[u8]) -> Result<OrderRequest, (StatusCode, String)> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => serde_json::from_slice::<OrderRequest>(body).map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                format!("body is not a checkout JSON object: {e}"),
            )
        }),
        "application/x-www-form-urlencoded" | "" => {
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
                .map(OrderRequest::from_pairs)
                .map_err(|e| {
                    (
                        StatusCode::BAD_REQUEST,
                        format!("body is not a UTF-8 urlencoded form: {e}"),
                    )
                })
        }
        other => Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "content type {other:?}: send application/x-www-form-urlencoded or application/json"
            ),
        )),
    }
}

/// `GET /checkout/done`: a neutral page a checkout's `success_url` can
/// point at. It claims nothing about the payment: the CGI call decides.
pub(super) async fn done() -> Html<&'static str> {
    Html(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <title>お手続きありがとうございました</title></head><body>\
         <p>お支払いのお手続きを受け付けました。結果は確認後に反映されます。</p>\
         <p>Thank you. The payment result is applied once the gateway confirms it.</p>\
         </body></html>\n",
    )
}
