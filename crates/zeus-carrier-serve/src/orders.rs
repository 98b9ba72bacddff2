//! `GET /orders/{order_no}`, `POST /orders/{order_no}/settle|cancel` and
//! `GET /deadlines` (INTERFACES §3): the operator face's endpoints, served
//! behind the bearer token by [`crate::operator::operator_router`].
//!
//! # Settle and cancel
//! The handler reads the request and answers; everything between is one
//! call of the merchant facade ([`zeus_carrier_merchant::Merchant::settle`],
//! [`zeus_carrier_merchant::Merchant::cancel`]), which a shop embedding the
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
//! windows by closing time.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use zeus_carrier_core::error_code::lookup;
use zeus_carrier_core::secure_link::{Autype, Field, Outcome, parse_money};
use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_core::time::parse_yyyymmdd;
use zeus_carrier_core::values::OrderNo;

use super::{ServeState, json_error, store_error};
use crate::metrics::Operation;
use zeus_carrier_http::CallError;
use zeus_carrier_merchant::{OperateError, Recording};
use zeus_carrier_store::StoreError;

/// The default `within_days` of `GET /deadlines`.
const DEFAULT_WITHIN_DAYS: u32 = 7;

/// The largest `within_days` accepted (ten years).
const MAX_WITHIN_DAYS: u32 = 3650;

/// The catalog's Japanese meaning of a code, if the code is known (R-EC-1).
fn meaning(code: &str) -> Option<&'static str> {
    lookup(code).known().map(|e| e.meaning_ja)
}

pub(super) async fn get_order(
    State(state): State<ServeState>,
    Path(order_no): Path<String>,
) -> Response {
    // An order number the manual does not allow was never recorded.
    let Ok(number) = OrderNo::parse(&order_no) else {
        return json_error(
            StatusCode::NOT_FOUND,
            format!("order {order_no:?} not found"),
        );
    };
    match state.merchant.order(&number).await {
        Ok(Some(order)) => Json(order).into_response(),
        Ok(None) => {
            // Flagged notifications are stored without creating the record:
            // say so instead of a bare "never seen".
            let stored = match state.merchant.store().notifications(&number).await {
                Ok(n) => n,
                Err(e) => return store_error(&e),
            };
            let flagged: Vec<Value> = stored
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
                body["flagged"] = json!(flagged.len());
                body["flagged_notifications"] = Value::Array(flagged);
                body["needs_reconciliation"] = json!(
                    "CGI calls for this order failed the integrity check and were not applied"
                );
            }
            (StatusCode::NOT_FOUND, Json(body)).into_response()
        }
        Err(e) => store_error(&e),
    }
}

/// The operation a request asks for.
enum Op {
    Settle(SettleParams),
    Cancel,
}

pub(super) async fn settle(
    State(state): State<ServeState>,
    Path(order_no): Path<String>,
    body: Bytes,
) -> Response {
    match parse_settle_body(&body) {
        Ok(params) => operate(&state, &order_no, Op::Settle(params)).await,
        Err(BodyError::NotJson(message)) => json_error(StatusCode::BAD_REQUEST, message),
        Err(BodyError::Invalid(field)) => invalid_field(field),
    }
}

pub(super) async fn cancel(
    State(state): State<ServeState>,
    Path(order_no): Path<String>,
) -> Response {
    operate(&state, &order_no, Op::Cancel).await
}

/// `422` for a malformed field: the gateway's `invalid` answer (SPEC §5).
fn invalid_field(field: Field) -> Response {
    let code = field.invalid_code();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "result": "invalid",
            "error_code": code,
            "meaning": meaning(code),
            "rule": "SPEC §5",
            "field": field.wire_name(),
            "detail": field.rule(),
            "sent": false,
        })),
    )
        .into_response()
}

/// A JSON string or number as text; `null` and `""` are absent.
fn text_of(v: Option<&Value>) -> Result<Option<String>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(()),
    }
}

/// Why a settle body was not read.
enum BodyError {
    /// Not a JSON object → 400.
    NotJson(String),
    /// A field of the wrong shape → 422 `invalid` (SPEC §5).
    Invalid(Field),
}

fn parse_settle_body(body: &[u8]) -> Result<SettleParams, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(SettleParams::default());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| BodyError::NotJson(format!("body is not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(BodyError::NotJson(
            "body must be a JSON object {\"money\"?, \"date\"?, \"autype\"?}".to_owned(),
        ));
    };
    let money = match text_of(map.get("money")) {
        Ok(None) => None,
        Ok(Some(t)) => Some(parse_money(&t).ok_or(BodyError::Invalid(Field::Money))?),
        Err(()) => return Err(BodyError::Invalid(Field::Money)),
    };
    let date = match text_of(map.get("date")) {
        Ok(None) => None,
        Ok(Some(t)) => Some(parse_yyyymmdd(&t).ok_or(BodyError::Invalid(Field::Date))?),
        Err(()) => return Err(BodyError::Invalid(Field::Date)),
    };
    let autype = match text_of(map.get("autype")) {
        Ok(None) => None,
        Ok(Some(t)) => Some(Autype::from_wire(&t).ok_or(BodyError::Invalid(Field::Autype))?),
        Err(()) => return Err(BodyError::Invalid(Field::Autype)),
    };
    Ok(SettleParams {
        money,
        autype,
        date,
    })
}

/// Settle or cancel through the merchant facade
/// ([`zeus_carrier_merchant::Merchant::settle`] / `cancel`), and its
/// answer as JSON.
async fn operate(state: &ServeState, order_no: &str, op: Op) -> Response {
    // An order number the manual does not allow was never recorded.
    let Ok(number) = OrderNo::parse(order_no) else {
        return json_error(
            StatusCode::NOT_FOUND,
            format!("order {order_no:?} not found"),
        );
    };
    let started = std::time::Instant::now();
    let (operation, result) = match op {
        Op::Settle(params) => (
            Operation::Settle,
            state.merchant.settle(&number, params).await,
        ),
        Op::Cancel => (Operation::Cancel, state.merchant.cancel(&number).await),
    };
    if let Ok(done) = &result {
        state
            .metrics
            .operated(operation, &done.outcome, done.elapsed, started.elapsed());
    }
    let done = match result {
        Ok(done) => done,
        Err(OperateError::NotFound(_)) => {
            return json_error(
                StatusCode::NOT_FOUND,
                format!("order {order_no:?} not found"),
            );
        }
        Err(OperateError::MissingFact(e)) => {
            return json_error(StatusCode::CONFLICT, e.to_string());
        }
        Err(OperateError::NotSent(e)) => return not_sent(order_no, operation.as_str(), &e),
        Err(OperateError::Store(e @ StoreError::OperationLocked { .. })) => {
            // Another settle or cancel of this order is in flight (maybe on
            // another instance): nothing was sent; try again once it ends.
            return json_error(StatusCode::CONFLICT, e.to_string());
        }
        Err(OperateError::Store(e)) => return store_error(&e),
        Err(e) => return json_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let (recorded, store_failure) = match &done.recording {
        Recording::Recorded { .. } => (true, None),
        Recording::NotRecorded { reason } => (false, Some(reason.clone())),
        _ => (false, None),
    };
    let mut body = json!({
        "outcome": done.outcome.wire_name(),
        "error_code": done.error_code(),
        "meaning": done.meaning(),
        "date": done.date(),
        "order_no": order_no,
        "sent": true,
        "reconcile": done.needs_reconciliation(),
        "recorded": recorded,
        "order": done.order,
    });
    if let Outcome::Unknown { reason } = &done.outcome {
        body["reason"] = json!(reason.to_string());
    }
    if let Some(why) = &done.reconcile {
        body["reconciliation"] = json!(why);
    }
    if let Some(err) = store_failure {
        body["store_error"] = json!(err);
    }
    (StatusCode::OK, Json(body)).into_response()
}

/// `422`: the pre-check predicts the gateway's refusal; nothing was sent.
fn not_sent(order_no: &str, op: &str, e: &CallError) -> Response {
    tracing::info!(
        order_no,
        op,
        error_code = e.error_code(),
        rule = e.rule(),
        "refused locally; nothing sent"
    );
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "result": e.result(),
            "error_code": e.error_code(),
            "meaning": meaning(e.error_code()),
            "rule": e.rule(),
            "sent": false,
        })),
    )
        .into_response()
}

pub(super) async fn deadlines(
    State(state): State<ServeState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let within_days = match query.get("within_days").map(String::as_str) {
        None | Some("") => DEFAULT_WITHIN_DAYS,
        Some(t) => match t.parse::<u32>() {
            Ok(n) if n <= MAX_WITHIN_DAYS => n,
            Ok(_) | Err(_) => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    format!("within_days must be a whole number from 0 to {MAX_WITHIN_DAYS}"),
                );
            }
        },
    };
    match state.merchant.deadlines(within_days).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => store_error(&e),
    }
}
