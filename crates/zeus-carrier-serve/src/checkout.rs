//! `POST /checkout`: validate a Link Point order request through the core
//! and answer the auto-submitting form, or every violation (R-LP-1, R-LP-5).
//!
//! # Decisions
//! - The body is a urlencoded form (UTF-8, as browsers send a UTF-8 page's
//!   form) or JSON (`Content-Type: application/json`, the core's
//!   [`OrderRequest`] shape; `money` may be a number). Anything else → `415`.
//! - `clientip` is always the service's own; a value in the body is
//!   replaced.
//! - A missing `sendid` is generated (`zc-` + 16 hex digits from the OS's
//!   random source): the checkout is saved under it, so the CGI calls can
//!   be checked against it ([`zeus_carrier_http::integrity`]). The answer carries it in
//!   the `X-Zeus-Carrier-Sendid` header.
//! - With a signing key, `sendpoint` is the signature of the order
//!   ([`zeus_carrier_http::signing`]); a given value is replaced.
//! - A `sendid` already saved with another amount or carrier → `422` with
//!   `{"errors": [{"field": "sendid", "rule": …}]}`: reusing it would make
//!   the integrity check compare against the wrong order.
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
use zeus_carrier_core::merchant::Checkout;
use zeus_carrier_core::values::{Money, SendId};
use zeus_carrier_store::StoreError;

use super::{ServeState, json_error, store_error};
use zeus_carrier_http::signing::sign_sendpoint;

/// The header carrying the checkout's `sendid`.
pub const SENDID_HEADER: &str = "x-zeus-carrier-sendid";

pub(super) async fn checkout(
    State(state): State<ServeState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut request = match read_request(&headers, &body) {
        Ok(r) => r,
        Err((status, message)) => return json_error(status, message),
    };
    let settings = &state.settings;
    request.clientip = settings.clientip.clone();
    if request.sendid.is_empty() {
        match new_sendid() {
            Ok(id) => request.sendid = id,
            Err(e) => {
                tracing::error!(error = %e, "no random source for a sendid");
                return json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "cannot generate a sendid",
                );
            }
        }
    }
    if settings.signing_key.is_some() {
        request.sendpoint.clear();
    }
    let mut valid = match request.validate(settings.charset) {
        Ok(v) => v,
        Err(violations) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"errors": violations})),
            )
                .into_response();
        }
    };
    if let Some(key) = &settings.signing_key {
        let (money, carrier) = (valid.money(), valid.carrier());
        let mut signed = valid.into_request();
        signed.sendpoint = sign_sendpoint(key, &signed.clientip, &signed.sendid, money, carrier);
        valid = match signed.validate(settings.charset) {
            Ok(v) => v,
            Err(violations) => {
                tracing::error!(%violations, "signed request no longer valid");
                return json_error(StatusCode::INTERNAL_SERVER_ERROR, violations.to_string());
            }
        };
    }
    let sendid = valid.request().sendid.clone();
    let now = state.clock.now();
    // The validated request's sendid and money are within the manual's
    // rules, so these conversions only fail on a bug.
    let checkout = match (SendId::parse(&sendid), Money::from_yen(valid.money())) {
        (Ok(id), Ok(money)) => Checkout::new(id, money, valid.carrier(), now),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "validated checkout has an invalid value");
            return json_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
        }
    };
    match state.store.save_checkout(&checkout).await {
        Ok(_) => {}
        Err(StoreError::CheckoutConflict { .. }) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"errors": [{
                    "field": "sendid",
                    "rule": format!("{sendid:?} is already used by a checkout with another amount or carrier"),
                }]})),
            )
                .into_response();
        }
        Err(e) => return store_error(&e),
    }
    let page = valid.render_html_form(&settings.order_url);
    let bytes = match settings.charset.encode(&page) {
        Ok(b) => b.into_owned(),
        Err(e) => {
            tracing::error!(error = %e, "checkout page not encodable");
            return json_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
        }
    };
    tracing::info!(
        sendid = sendid.as_str(),
        money = valid.money(),
        carrier = valid.carrier().code(),
        "checkout rendered"
    );
    let content_type = format!("text/html; charset={}", settings.charset.http_label());
    let mut response = (StatusCode::OK, [(CONTENT_TYPE, content_type)], bytes).into_response();
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

/// `zc-` + 16 hex digits (19 bytes, inside sendid's 25).
fn new_sendid() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)?;
    let mut id = String::from("zc-");
    for b in bytes {
        id.push_str(&format!("{b:02x}"));
    }
    Ok(id)
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
