//! The gateway's own paths: Link Point `order.cgi`, the payment test page
//! and Secure Link `secure.cgi` (INTERFACES.md §2, SPEC §4–§7, §10).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use zeus_carrier_core::charset::parse_form;
use zeus_carrier_core::link_point::{Field, OrderRequest, ParseError};
use zeus_carrier_core::{Charset, Status};

use crate::engine::{self, DecideError, Decision, NewOrder};
use crate::pages::{
    self, ConflictPage, ResultPage, TestPage, ViolationLine, ViolationsPage, status_text,
};
use crate::state::{BackLink, SandboxState};

use super::admin::not_found;

/// `POST /cgi-bin/carrier/order.cgi`: a Link Point order request in the
/// `--charset` (SPEC §4). Valid → order in 01, `303` to the test page;
/// invalid → `400` listing every violation (R-LP-1), no order.
pub(super) async fn order_cgi(State(state): State<SandboxState>, body: Bytes) -> Response {
    let charset = state.charset();
    let request = match OrderRequest::parse_urlencoded(&body, charset) {
        Ok(r) => r,
        Err(e) => return violations_page(vec![parse_error_line(&e, charset)], None),
    };
    let valid = match request.validate(charset) {
        Ok(v) => v,
        Err(violations) => {
            // The failure link serves "受付・決済失敗後" (the manual), so the
            // 400 page carries it — only when both halves were given and
            // neither breaks a rule (a URL that failed the core's check,
            // e.g. `javascript:`, is never put in an href).
            let usable = !request.failure_url.is_empty()
                && !request.failure_str.is_empty()
                && !violations
                    .iter()
                    .any(|v| matches!(v.field, Field::FailureUrl | Field::FailureStr));
            let failure_link = usable.then(|| BackLink {
                url: request.failure_url.clone(),
                text: request.failure_str.clone(),
            });
            return violations_page(
                violations
                    .iter()
                    .map(|v| ViolationLine {
                        field: v.field.wire_name().to_owned(),
                        rule: v.rule.to_string(),
                        spec: v.rule.spec_id().to_owned(),
                    })
                    .collect(),
                failure_link,
            );
        }
    };
    // One merchant per process: a form for another IP code is refused.
    if valid.clientip() != state.config().clientip() {
        let failure_link = valid.failure_link().map(|l| BackLink {
            url: l.url.to_owned(),
            text: l.text.to_owned(),
        });
        return violations_page(
            vec![ViolationLine {
                field: "clientip".to_owned(),
                rule: format!(
                    "{} is not this sandbox's IP code (--clientip {})",
                    valid.clientip(),
                    state.config().clientip()
                ),
                spec: "INTERFACES §2".to_owned(),
            }],
            failure_link,
        );
    }
    let payment = valid.payment_kind(state.config().test_ids());
    let test = payment.is_test();
    let link = |l: Option<zeus_carrier_core::link_point::BackLink<'_>>| {
        l.map(|l| BackLink {
            url: l.url.to_owned(),
            text: l.text.to_owned(),
        })
    };
    let rec = engine::create_order(
        &state,
        NewOrder {
            details: valid.details(payment),
            success_link: link(valid.success_link()),
            failure_link: link(valid.failure_link()),
        },
    );
    let order_no = rec.order.order_no();
    tracing::info!(%order_no, test, "order accepted (01)");
    let location = format!("/sandbox/carrier/{order_no}");
    match (
        HeaderValue::from_str(&location),
        HeaderValue::from_str(order_no),
    ) {
        (Ok(location), Ok(no)) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, location),
                (header::HeaderName::from_static(crate::ORDER_NO_HEADER), no),
            ],
        )
            .into_response(),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "order number is not a header value",
        )
            .into_response(),
    }
}

fn parse_error_line(e: &ParseError, charset: Charset) -> ViolationLine {
    ViolationLine {
        field: e.field().wire_name().to_owned(),
        rule: format!("{e} (form charset {})", charset.http_label()),
        spec: "D-3".to_owned(),
    }
}

fn violations_page(violations: Vec<ViolationLine>, failure_link: Option<BackLink>) -> Response {
    pages::render(
        StatusCode::BAD_REQUEST,
        &ViolationsPage {
            violations,
            failure_link,
        },
    )
}

/// `GET /sandbox/carrier/{order_no}`: the payment test page with
/// 支払完了テスト / 支払失敗テスト (R-TM-1).
pub(super) async fn test_page(
    State(state): State<SandboxState>,
    Path(order_no): Path<String>,
) -> Response {
    match state.order(&order_no) {
        Some(rec) => pages::render(StatusCode::OK, &TestPage::of(&rec)),
        None => not_found(format!("オーダNo {order_no} はありません。")),
    }
}

/// `POST /sandbox/carrier/{order_no}` with `decision=complete|fail`:
/// 01 → 03/07 (by mode) or → 02, mails and CGI, then the completion or
/// failure page. A second decision → `409`.
pub(super) async fn decide(
    State(state): State<SandboxState>,
    Path(order_no): Path<String>,
    body: Bytes,
) -> Response {
    // The test page is UTF-8 (and `decision` is ASCII in any charset).
    let decision = parse_form(&body, Charset::Utf8)
        .ok()
        .and_then(|pairs| {
            pairs
                .into_iter()
                .rev()
                .find(|(k, _)| k == "decision")
                .map(|(_, v)| v)
        })
        .and_then(|v| Decision::from_form(&v));
    let Some(decision) = decision else {
        return (
            StatusCode::BAD_REQUEST,
            "decision: expected decision=complete or decision=fail",
        )
            .into_response();
    };
    let (rec, entered) = match engine::decide(&state, &order_no, decision) {
        Ok(r) => r,
        Err(DecideError::Unknown) => {
            return not_found(format!("オーダNo {order_no} はありません。"));
        }
        Err(DecideError::AlreadyDecided(rec)) => {
            return pages::render(
                StatusCode::CONFLICT,
                &ConflictPage {
                    order_no: rec.order.order_no().to_owned(),
                    status: status_text(rec.order.status()),
                },
            );
        }
    };
    engine::dispatch_and_wait(&state, &entered).await;
    let page = match rec.order.status() {
        Status::PaymentFailed => ResultPage::failed(&rec),
        _ => ResultPage::completed(&rec),
    };
    pages::render(StatusCode::OK, &page)
}

/// `POST /cgi-bin/carrier/secure.cgi`: settle (`act=settled`) and cancel
/// (`act=return`), `200 text/plain` (SPEC §5–§7).
pub(super) async fn secure_cgi(State(state): State<SandboxState>, body: Bytes) -> Response {
    let (text, entered) = engine::secure(&state, &body);
    engine::dispatch_and_wait(&state, &entered).await;
    let content_type = format!("text/plain; charset={}", state.charset().http_label());
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("text/plain")),
        )],
        text,
    )
        .into_response()
}
