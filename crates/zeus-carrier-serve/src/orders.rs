//! `GET /orders/{order_no}`, `POST /orders/{order_no}/settle|cancel` and
//! `GET /deadlines` (INTERFACES §3).
//!
//! # Settle and cancel
//! 1. The body (settle only) is JSON `{"money"?, "date"?: "YYYYMMDD",
//!    "autype"?: "sale"|"auth"}`; an empty body means no options. A value
//!    of the wrong shape is answered `422` with the `invalid` code the
//!    gateway would give for that field (SPEC §5); a body that is not JSON
//!    → `400`.
//! 2. Per order, one operation at a time in this process (a second waits).
//! 3. The record must exist (`404` otherwise) and tell the carrier and the
//!    original amount (from CGI calls or the saved checkout; `409`
//!    otherwise: the pre-check cannot run without them).
//! 4. The Secure Link client runs the core's pre-check: a predicted refusal
//!    is answered `422` `{"result", "error_code", "meaning", "rule",
//!    "sent": false}` and nothing is sent.
//! 5. Otherwise the call is made once and answered `200` `{"outcome",
//!    "error_code", "meaning", "date", …}`. The events the outcome means are
//!    recorded with [`Store::record_operation`](zeus_carrier_store::Store::record_operation);
//!    `unknown` changes no status and marks the order for reconciliation
//!    (R-RS-3). If the store fails after the gateway answered, the answer is
//!    still `200` with `"recorded": false` (the gateway acted; a retry must
//!    not be invited) and the error is logged.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use zeus_carrier_core::error_code::lookup;
use zeus_carrier_core::merchant::{Operation, OperationReport};
use zeus_carrier_core::secure_link::{Autype, Field, Outcome};
use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_core::time::{format_yyyymmdd, parse_yyyymmdd};
use zeus_carrier_core::values::OrderNo;

use super::{ServeState, json_error, store_error};
use zeus_carrier_http::CallError;
use zeus_carrier_http::operation::order_facts;

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
    match state.store.get_order(&number).await {
        Ok(Some(order)) => Json(order).into_response(),
        Ok(None) => {
            // Flagged notifications are stored without creating the record:
            // say so instead of a bare "never seen".
            let stored = match state.store.notifications(&number).await {
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

impl Op {
    fn name(&self) -> &'static str {
        match self {
            Op::Settle(_) => "settle",
            Op::Cancel => "cancel",
        }
    }
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
        Ok(Some(t)) => Some(
            t.parse::<u32>()
                .ok()
                .filter(|_| (1..=6).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
                .ok_or(BodyError::Invalid(Field::Money))?,
        ),
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

async fn operate(state: &ServeState, order_no: &str, op: Op) -> Response {
    let _guard = state.locks.lock(order_no).await;
    let Ok(number) = OrderNo::parse(order_no) else {
        return json_error(
            StatusCode::NOT_FOUND,
            format!("order {order_no:?} not found"),
        );
    };
    let order = match state.store.get_order(&number).await {
        Ok(Some(o)) => o,
        Ok(None) => {
            return json_error(
                StatusCode::NOT_FOUND,
                format!("order {order_no:?} not found"),
            );
        }
        Err(e) => return store_error(&e),
    };
    let checkout = match order.sendid() {
        Some(sendid) => match state.store.find_checkout(sendid).await {
            Ok(c) => c,
            Err(e) => return store_error(&e),
        },
        None => None,
    };
    let facts = match order_facts(&order, checkout.as_ref()) {
        Ok(f) => f,
        Err(e) => return json_error(StatusCode::CONFLICT, e.to_string()),
    };
    let now = state.clock.now();
    let result: Result<(Operation, Outcome), CallError> = match &op {
        Op::Settle(params) => state
            .client
            .settle(&facts, order_no, *params, now)
            .await
            .map(|c| (Operation::Settle(c.plan), c.outcome)),
        Op::Cancel => state
            .client
            .cancel(&facts, order_no, now)
            .await
            .map(|c| (Operation::Cancel(c.plan), c.outcome)),
    };
    let (operation, outcome) = match result {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(
                order_no,
                op = op.name(),
                error_code = e.error_code(),
                rule = e.rule(),
                "refused locally; nothing sent"
            );
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({
                    "result": e.result(),
                    "error_code": e.error_code(),
                    "meaning": meaning(e.error_code()),
                    "rule": e.rule(),
                    "sent": false,
                })),
            )
                .into_response();
        }
    };
    let at = state.clock.now();
    let mut store_failure: Option<String> = None;
    let reason: Option<String> = match &outcome {
        Outcome::Unknown { reason: why } => Some(why.to_string()),
        Outcome::Success { .. }
        | Outcome::Failure { .. }
        | Outcome::Maintenance { .. }
        | Outcome::Invalid { .. } => None,
    };
    // The core's model decides what the outcome does (an unknown outcome
    // marks the order for reconciliation, R-RS-3); the store persists it.
    let report = OperationReport::new(operation, facts.status, outcome.clone(), at);
    if let Err(e) = state.store.record_operation(&number, report).await {
        let err = e.to_string();
        let mark = format!(
            "{} answered {} but recording it failed ({err})",
            op.name(),
            outcome.wire_name()
        );
        let _ = state.store.mark_reconciliation(&number, &mark).await;
        store_failure = Some(err);
    }
    if let Some(err) = &store_failure {
        tracing::error!(
            order_no,
            op = op.name(),
            outcome = outcome.wire_name(),
            error = err.as_str(),
            "gateway answered but the store failed"
        );
    }
    let current = state.store.get_order(&number).await.ok().flatten();
    let date = match &outcome {
        Outcome::Success { date } => date.map(format_yyyymmdd),
        Outcome::Failure { .. }
        | Outcome::Maintenance { .. }
        | Outcome::Invalid { .. }
        | Outcome::Unknown { .. } => None,
    };
    let error_code = outcome.error_code();
    let mut body = json!({
        "outcome": outcome.wire_name(),
        "error_code": error_code,
        "meaning": error_code.and_then(meaning),
        "date": date,
        "order_no": order_no,
        "sent": true,
        "reconcile": outcome.needs_reconciliation(),
        "recorded": store_failure.is_none(),
        "order": current,
    });
    if let Some(r) = reason {
        body["reason"] = json!(r);
    }
    if let Some(err) = store_failure {
        body["store_error"] = json!(err);
    }
    (StatusCode::OK, Json(body)).into_response()
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
    let now = state.clock.now();
    match state.store.list_deadlines(now, within_days).await {
        Ok(list) => Json(json!({
            "now": now,
            "within_days": within_days,
            "deadlines": list,
        }))
        .into_response(),
        Err(e) => store_error(&e),
    }
}
