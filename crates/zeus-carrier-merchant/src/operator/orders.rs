//! `GET /orders/{order_no}`, `POST /orders/{order_no}/settle|cancel` and
//! `GET /deadlines` (INTERFACES §3): the operator face's endpoints, served
//! behind the bearer token by [`crate::Merchant::operator_router`].
//!
//! # Settle and cancel
//! The handler reads the request and answers; everything between is one
//! call of the merchant facade ([`crate::Merchant::settle`],
//! [`crate::Merchant::cancel`]), which a shop embedding the
//! crates calls the same way.
//! 1. The body (settle only) is JSON `{"money"?, "date"?: "YYYYMMDD",
//!    "autype"?: "sale"|"auth"}`; an empty body means no options. A value
//!    of the wrong shape is answered `422` with the `invalid` code the
//!    gateway would give for that field (SPEC §5); a body that is not JSON
//!    → `400`.
//! 2. The facade locks the order for operations across every instance
//!    sharing the database, reads the record (`404` when there is none) and
//!    the facts the pre-check needs (`409` when neither the CGI calls nor
//!    the saved checkout told the carrier or the original amount).
//!    Another settle or cancel of the same order still in flight after the
//!    lock's wait → `409`; nothing is sent.
//! 3. A request the gateway would refuse is answered `422` `{"result",
//!    "error_code", "meaning", "rule", "sent": false}`; nothing is sent.
//! 4. Otherwise the operation is marked in flight, sent once and answered
//!    `200` `{"outcome", "error_code", "meaning", "date", "order_no",
//!    "sent", "reconcile", "recorded", "order", …}`. `unknown` and the
//!    "reconcile first" codes change no status and mark the order for
//!    reconciliation (R-RS-3). If the store fails after the gateway
//!    answered, the answer is still `200` with `"recorded": false` (the
//!    gateway acted; a retry must not be invited).
//!
//! # Deadlines
//! `GET /deadlines?within_days=N` (default 7, at most 3650) answers the
//! JSON array of INTERFACES §3: reconciliations first (including flagged
//! notifications of orders never recorded, with `status` null), then the
//! windows by closing time. `?limit=N` (default 1000, at most 10000)
//! bounds the answer; when more remain it carries `Link:
//! </deadlines?…&after=CURSOR>; rel="next"` (INTERFACES v3 §3).
//!
//! Every shape is [`super::json`]'s.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LINK;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use zeus_carrier_core::merchant::OperationKind;
use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_core::values::OrderNo;
use zeus_carrier_store::{DEFAULT_DEADLINE_PAGE, DeadlineCursor, MAX_DEADLINE_PAGE};

use super::OperatorState;
use super::json::{
    deadline_json, error, order_json, order_not_found, parse_settle_body, store_error,
};

/// The default `within_days` of `GET /deadlines`.
pub const DEFAULT_WITHIN_DAYS: u32 = 7;

/// The largest `within_days` accepted (ten years).
pub const MAX_WITHIN_DAYS: u32 = 3650;

pub(super) async fn get_order(
    State(state): State<OperatorState>,
    Path(order_no): Path<String>,
) -> Response {
    let Ok(number) = OrderNo::parse(&order_no) else {
        return order_not_found(&order_no);
    };
    match state.merchant.order(&number).await {
        Ok(Some(order)) => Json(order_json(&order)).into_response(),
        Ok(None) => {
            // Flagged notifications are stored without creating the record:
            // say so instead of a bare "never seen".
            let stored = match state.merchant.store().notifications(&number).await {
                Ok(n) => n,
                Err(e) => return store_error(&e),
            };
            let flagged: Vec<_> = stored
                .iter()
                .filter(|n| n.integrity_flag.is_some())
                .map(|n| {
                    json!({
                        "id": n.id,
                        "reported": n.reported.code(),
                        "integrity_flag": n.integrity_flag,
                        "received_at": n.received_at,
                    })
                })
                .collect();
            let mut body =
                json!({"error": format!("order {order_no:?} not found"), "order_no": order_no});
            if !flagged.is_empty() {
                let duty = zeus_carrier_core::merchant::Deadline::unrecorded(number);
                body["flagged"] = json!(flagged.len());
                body["flagged_notifications"] = json!(flagged);
                body["needs_reconciliation"] = json!(duty.reason.as_ref().map(|r| r.text_en()));
            }
            (StatusCode::NOT_FOUND, Json(body)).into_response()
        }
        Err(e) => store_error(&e),
    }
}

pub(super) async fn settle(
    State(state): State<OperatorState>,
    Path(order_no): Path<String>,
    body: Bytes,
) -> Response {
    match parse_settle_body(&body) {
        Ok(params) => operate(&state, &order_no, Some(params)).await,
        Err(e) => e.to_response(),
    }
}

pub(super) async fn cancel(
    State(state): State<OperatorState>,
    Path(order_no): Path<String>,
) -> Response {
    operate(&state, &order_no, None).await
}

/// Settle (`Some(params)`) or cancel through the merchant facade
/// ([`crate::Merchant::settle`] / `cancel`), and its answer as JSON.
async fn operate(state: &OperatorState, order_no: &str, settle: Option<SettleParams>) -> Response {
    let Ok(number) = OrderNo::parse(order_no) else {
        return order_not_found(order_no);
    };
    let started = std::time::Instant::now();
    let (kind, result) = match settle {
        Some(params) => (
            OperationKind::Settle,
            state.merchant.settle(&number, params).await,
        ),
        None => (OperationKind::Cancel, state.merchant.cancel(&number).await),
    };
    match result {
        Ok(done) => {
            state.observer.operated(kind, &done, started.elapsed());
            let mut body = serde_json::to_value(&done).unwrap_or_default();
            body["order_no"] = json!(order_no);
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(e) => e.to_response(order_no),
    }
}

pub(super) async fn deadlines(
    State(state): State<OperatorState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let within_days = match query.get("within_days").map(String::as_str) {
        None | Some("") => DEFAULT_WITHIN_DAYS,
        Some(t) => match t.parse::<u32>() {
            Ok(n) if n <= MAX_WITHIN_DAYS => n,
            Ok(_) | Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("within_days must be a whole number from 0 to {MAX_WITHIN_DAYS}"),
                );
            }
        },
    };
    let limit = match query.get("limit").map(String::as_str) {
        None | Some("") => DEFAULT_DEADLINE_PAGE,
        Some(t) => match t.parse::<u32>() {
            Ok(n) if (1..=MAX_DEADLINE_PAGE).contains(&n) => n,
            Ok(_) | Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("limit must be a whole number from 1 to {MAX_DEADLINE_PAGE}"),
                );
            }
        },
    };
    let after = match query.get("after").map(String::as_str) {
        None | Some("") => None,
        Some(t) => match t.parse::<DeadlineCursor>() {
            Ok(c) => Some(c),
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "after must be the cursor of a previous page's Link header",
                );
            }
        },
    };
    match state
        .merchant
        .deadlines_page(within_days, limit, after.as_ref())
        .await
    {
        Ok(page) => {
            let body = Json(page.items.iter().map(deadline_json).collect::<Vec<_>>());
            match page.next {
                // The cursor is URL-safe (letters, digits, `.`, `-`).
                Some(next) => (
                    [(
                        LINK,
                        format!(
                            "</deadlines?within_days={within_days}&limit={limit}&after={next}>; rel=\"next\""
                        ),
                    )],
                    body,
                )
                    .into_response(),
                None => body.into_response(),
            }
        }
        Err(e) => store_error(&e),
    }
}
