//! The operator face's JSON shapes (INTERFACES §3), in one place: the
//! order, the deadlines, an operation's answer, a refusal, and the settle
//! request body. A shop serving its own API reuses them.
//!
//! Times are RFC 3339 with the `+09:00` offset; statuses are the
//! `{"code", "name", "label"}` object.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::ser::SerializeStruct as _;
use serde_json::{Value, json};
use zeus_carrier_core::merchant::{Deadline, DutyReason};
use zeus_carrier_core::secure_link::{Autype, Field, Outcome, parse_money};
use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_core::time::{format_yyyymmdd, parse_yyyymmdd};
use zeus_carrier_http::CallError;
use zeus_carrier_store::{HistoryRow, MerchantOrder, StoreError};

use crate::{OperateError, Operated, Recording};

/// A JSON error answer `{"error": message}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// A storage error as an answer: `503` when unavailable, `500` otherwise
/// (the detail goes to the log; the answer names the failure only).
pub fn store_error(e: &StoreError) -> Response {
    tracing::error!(error = %e, "storage error");
    if e.is_unavailable() {
        error(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
    } else {
        error(StatusCode::INTERNAL_SERVER_ERROR, "storage error")
    }
}

/// One history entry: `{"at", "from" (code or null), "to" (code),
/// "source": "cgi"|"settle"|"cancel"}`.
pub fn history_json(h: &HistoryRow) -> Value {
    json!({
        "at": h.at,
        "from": h.from.map(|s| s.code()),
        "to": h.to.code(),
        "source": h.source.as_str(),
    })
}

/// `GET /orders/{order_no}`: `order_no`, `status` (object), `money`,
/// `carrier`, `payout_eligible`, `sendid`, `history`, `notifications`,
/// `duplicates`, `stale`; plus `original_money`, `sendpoint`, `clientip`,
/// `first_seen_at`, `window_from`, `settle_date` (`YYYYMMDD`),
/// `settled_at`, `needs_reconciliation` (the reason in English, or null),
/// `reconciliation` (`{"code", "ja", "en", "check_ja"}` or null),
/// `flagged`, `in_flight` (English, or null), `windows`
/// (`{"settle_closes", "cancel_closes"}`).
pub fn order_json(order: &MerchantOrder) -> Value {
    let r = order.record();
    let c = r.counters();
    let w = r.windows();
    json!({
        "order_no": r.order_no(),
        "status": r.status(),
        "money": r.money(),
        "carrier": r.carrier(),
        "payout_eligible": r.payout_eligible(),
        "sendid": r.sendid(),
        "history": order.history().iter().map(history_json).collect::<Vec<_>>(),
        "notifications": c.notifications,
        "duplicates": c.duplicates,
        "stale": c.stale,
        "original_money": r.original_money(),
        "sendpoint": r.sendpoint(),
        "clientip": r.clientip(),
        "first_seen_at": r.first_seen_at(),
        "window_from": r.window_from(),
        "settle_date": r.settle_date().map(format_yyyymmdd),
        "settled_at": r.settled_at(),
        "needs_reconciliation": r.reconciliation().map(|x| x.text_en()),
        "reconciliation": r.reconciliation().map(|x| json!({
            "code": x.code(),
            "ja": x.text_ja(),
            "en": x.text_en(),
            "check_ja": x.check_ja(),
        })),
        "flagged": c.flagged,
        "in_flight": r.in_flight().map(|f| f.text_en()),
        "windows": {
            "settle_closes": w.settle_closes,
            "cancel_closes": w.cancel_closes,
        },
    })
}

/// One `/deadlines` entry: `{"order_no", "status" (object or null),
/// "kind", "closes_at", "reason" (English, or null)}`, plus `reason_code`
/// and `reason_ja`.
pub fn deadline_json(d: &Deadline) -> Value {
    json!({
        "order_no": d.order_no,
        "status": d.status,
        "kind": d.kind,
        "closes_at": d.closes_at,
        "reason": d.reason.as_ref().map(DutyReason::text_en),
        "reason_code": d.reason.as_ref().map(DutyReason::code),
        "reason_ja": d.reason.as_ref().map(DutyReason::text_ja),
    })
}

impl Serialize for Operated {
    /// The operator face's `200` answer to a settle or cancel that was
    /// sent: `{"outcome", "error_code", "meaning", "date", "sent": true,
    /// "reconcile": bool, "recorded": bool, "reconciliation" (English or
    /// null), "reconciliation_code", "reason" (why unknown, or null),
    /// "order" (the order's JSON or null)}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Operated", 11)?;
        st.serialize_field("outcome", self.outcome.wire_name())?;
        st.serialize_field("error_code", &self.error_code())?;
        st.serialize_field("meaning", &self.meaning())?;
        st.serialize_field("date", &self.date())?;
        st.serialize_field("sent", &true)?;
        st.serialize_field("reconcile", &self.needs_reconciliation())?;
        st.serialize_field(
            "recorded",
            &matches!(self.recording, Recording::Recorded { .. }),
        )?;
        st.serialize_field(
            "reconciliation",
            &self.reconcile.as_ref().map(|r| r.text_en()),
        )?;
        st.serialize_field(
            "reconciliation_code",
            &self.reconcile.as_ref().map(|r| r.code()),
        )?;
        let reason = match &self.outcome {
            Outcome::Unknown { reason } => Some(reason.to_string()),
            _ => None,
        };
        st.serialize_field("reason", &reason)?;
        st.serialize_field("order", &self.order.as_ref().map(order_json))?;
        st.end()
    }
}

/// A refusal by the local pre-check: `422 {"result", "error_code",
/// "meaning", "rule", "sent": false}`; nothing was sent.
pub fn not_sent_json(e: &CallError) -> Value {
    json!({
        "result": e.result(),
        "error_code": e.error_code(),
        "meaning": zeus_carrier_core::error_code::lookup(e.error_code()).known().map(|x| x.meaning_ja),
        "rule": e.rule(),
        "sent": false,
    })
}

impl OperateError {
    /// The operator face's answer to an operation that was not sent: its
    /// status ([`OperateError::http_status`]) and JSON.
    pub fn to_response(&self, order_no: &str) -> Response {
        let status =
            StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match self {
            OperateError::NotFound(_) => error(status, format!("order {order_no:?} not found")),
            OperateError::NotSent(e) => (status, Json(not_sent_json(e))).into_response(),
            OperateError::Store(e) if !matches!(e, StoreError::OperationLocked { .. }) => {
                store_error(e)
            }
            e => error(status, e.to_string()),
        }
    }
}

/// Why a settle request body was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettleBodyError {
    /// Not a JSON object → `400`.
    #[error("{0}")]
    NotJson(String),
    /// A field of the wrong shape → `422` with the gateway's `invalid`
    /// code for it (SPEC §5).
    #[error("{}: {}", .0.wire_name(), .0.rule())]
    Invalid(Field),
}

impl SettleBodyError {
    /// The answer: `400 {"error"}`, or `422 {"result": "invalid",
    /// "error_code", "meaning", "rule", "field", "detail", "sent": false}`.
    pub fn to_response(&self) -> Response {
        match self {
            SettleBodyError::NotJson(m) => error(StatusCode::BAD_REQUEST, m.clone()),
            SettleBodyError::Invalid(field) => {
                let code = field.invalid_code();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({
                        "result": "invalid",
                        "error_code": code,
                        "meaning": zeus_carrier_core::error_code::lookup(code).known().map(|e| e.meaning_ja),
                        "rule": "SPEC §5",
                        "field": field.wire_name(),
                        "detail": field.rule(),
                        "sent": false,
                    })),
                )
                    .into_response()
            }
        }
    }
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

/// The settle request body: `{"money"?, "date"?: "YYYYMMDD", "autype"?:
/// "sale"|"auth"}` (numbers or strings; an empty body means no options),
/// read with the gateway's own field rules (SPEC §5).
pub fn parse_settle_body(body: &[u8]) -> Result<SettleParams, SettleBodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(SettleParams::default());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| SettleBodyError::NotJson(format!("body is not JSON: {e}")))?;
    settle_params_from_value(&value)
}

/// [`parse_settle_body`] on a parsed JSON value.
pub fn settle_params_from_value(value: &Value) -> Result<SettleParams, SettleBodyError> {
    let Value::Object(map) = value else {
        return Err(SettleBodyError::NotJson(
            "body must be a JSON object {\"money\"?, \"date\"?, \"autype\"?}".to_owned(),
        ));
    };
    let read = |name: &str, field: Field| {
        text_of(map.get(name)).map_err(|()| SettleBodyError::Invalid(field))
    };
    let money = match read("money", Field::Money)? {
        None => None,
        Some(t) => Some(parse_money(&t).ok_or(SettleBodyError::Invalid(Field::Money))?),
    };
    let date = match read("date", Field::Date)? {
        None => None,
        Some(t) => Some(parse_yyyymmdd(&t).ok_or(SettleBodyError::Invalid(Field::Date))?),
    };
    let autype = match read("autype", Field::Autype)? {
        None => None,
        Some(t) => Some(Autype::from_wire(&t).ok_or(SettleBodyError::Invalid(Field::Autype))?),
    };
    Ok(SettleParams {
        money,
        autype,
        date,
    })
}

/// The settle parameters as a `serde` value: `{"money"?, "date"?:
/// "YYYYMMDD", "autype"?}` read by [`settle_params_from_value`], for a
/// shop whose own API takes them in a larger JSON body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettleRequest(pub SettleParams);

impl<'de> serde::Deserialize<'de> for SettleRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SettleRequest, D::Error> {
        let value = Value::deserialize(d)?;
        settle_params_from_value(&value)
            .map(SettleRequest)
            .map_err(serde::de::Error::custom)
    }
}

/// The `404` of an order this merchant has no record of (or whose number
/// the manual does not allow: it was never recorded).
pub fn order_not_found(raw: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("order {raw:?} not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settle_body_reads_numbers_strings_and_nothing() {
        assert_eq!(parse_settle_body(b"  "), Ok(SettleParams::default()));
        let p = parse_settle_body(br#"{"money": 800, "date": "20261210", "autype": "sale"}"#)
            .expect("valid");
        assert_eq!(p.money, Some(800));
        assert_eq!(p.date.map(format_yyyymmdd).as_deref(), Some("20261210"));
        assert_eq!(p.autype, Some(Autype::Sale));
        let p = parse_settle_body(br#"{"money": "800", "date": null}"#).expect("valid");
        assert_eq!((p.money, p.date), (Some(800), None));
    }

    #[test]
    fn each_bad_field_is_named_with_its_invalid_code() {
        for (body, field) in [
            (&br#"{"money": "12a"}"#[..], Field::Money),
            (br#"{"money": [1]}"#, Field::Money),
            (br#"{"date": "2026-12-10"}"#, Field::Date),
            (br#"{"autype": "refund"}"#, Field::Autype),
        ] {
            assert_eq!(
                parse_settle_body(body),
                Err(SettleBodyError::Invalid(field)),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(matches!(
            parse_settle_body(b"money=1"),
            Err(SettleBodyError::NotJson(_))
        ));
        assert!(matches!(
            parse_settle_body(b"[1]"),
            Err(SettleBodyError::NotJson(_))
        ));
    }

    #[test]
    fn settle_request_deserializes_with_the_same_rules() {
        let r: SettleRequest = serde_json::from_str(r#"{"money": 500}"#).expect("valid");
        assert_eq!(r.0.money, Some(500));
        let e =
            serde_json::from_str::<SettleRequest>(r#"{"date": "tomorrow"}"#).expect_err("invalid");
        assert!(e.to_string().contains("date"), "{e}");
    }
}
