//! The management screen (売上管理画面): server-rendered HTML, every value
//! escaped by the templates.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use zeus_carrier_core::Charset;
use zeus_carrier_core::charset::parse_form;

use crate::control::{ClockChange, SettingsChange, mailed_status};
use crate::engine::{self, ScreenOperation, SettleForm};
use crate::pages::{
    self, ConfirmPage, IndexPage, NotFoundPage, OrderPage, OrderRow, SettingsPage, TestIdsPage,
};
use crate::state::{CarrierOutcome, SandboxState};

/// `GET /`: every order, newest first.
pub(super) async fn index(State(state): State<SandboxState>) -> Response {
    let config = state.config();
    let page = IndexPage {
        clientip: config.clientip().to_owned(),
        mode: pages::mode_ja(state.payment_mode()).to_owned(),
        now: pages::screen_time(&state.now()),
        frozen: state.clock().is_frozen(),
        cgi_url: config
            .cgi()
            .map_or_else(|| "なし (CGIを送信しません)".to_owned(), |c| c.url.clone()),
        orders: state.orders().iter().rev().map(OrderRow::of).collect(),
    };
    pages::render(StatusCode::OK, &page)
}

/// `GET /orders/{order_no}`: history, CGI deliveries (with resend buttons)
/// and mails of one order.
pub(super) async fn order(
    State(state): State<SandboxState>,
    Path(order_no): Path<String>,
) -> Response {
    match state.order(&order_no) {
        Some(rec) => {
            let page = OrderPage::of(
                &rec,
                &state.cgi_attempts(),
                &state.mails(),
                state.screen_result(&order_no).as_ref(),
                state.now(),
                &state.delivery_policy(),
            );
            pages::render(StatusCode::OK, &page)
        }
        None => not_found(format!("オーダNo {order_no} はありません。")),
    }
}

/// `POST /orders/{order_no}/cgi/{id}/resend`: the resend button; redirects
/// back to the order once the attempt finished (bounded wait).
pub(super) async fn resend(
    State(state): State<SandboxState>,
    Path((order_no, id)): Path<(String, String)>,
) -> Response {
    let attempt = id.parse::<u64>().ok().and_then(|id| {
        state
            .cgi_attempts()
            .into_iter()
            .find(|a| a.id == id && a.order_no == order_no)
    });
    let Some(attempt) = attempt else {
        return not_found(format!("CGI送信 #{id} ({order_no}) はありません。"));
    };
    // The screen offers a hand resend only where the manual does (R-CG-2).
    if !state.delivery_policy().hand_resend_offered(attempt.outcome) {
        return pages::render(
            StatusCode::CONFLICT,
            &NotFoundPage {
                what: format!(
                    "CGI送信 #{} は「{}」でした。売上管理画面からの再送信は、200 OK 以外の応答・タイムアウト・接続できなかった送信 (と、ご希望の場合は successok 以外の応答) だけです。",
                    attempt.id,
                    attempt.outcome.label_ja()
                ),
            },
        );
    }
    let id = attempt.id;
    if let Some(rx) = engine::resend(&state, id) {
        crate::delivery::wait_first_attempts(vec![rx], state.config().cgi_answer_wait()).await;
    }
    Redirect::to(&format!("/orders/{order_no}")).into_response()
}

/// The fields of a screen form (the pages are UTF-8); the last value of a
/// repeated field wins. An undecodable body reads as no fields.
fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    parse_form(body, Charset::Utf8).unwrap_or_default()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Carries out a screen operation, sends its mails and CGI calls (waiting
/// for their first attempts like secure.cgi), and goes back to the order.
async fn operate(state: &SandboxState, order_no: &str, operation: ScreenOperation) -> Response {
    let Some((_, entered)) = engine::screen(state, order_no, &operation) else {
        return not_found(format!("オーダNo {order_no} はありません。"));
    };
    engine::dispatch_and_wait(state, &entered).await;
    Redirect::to(&format!("/orders/{order_no}")).into_response()
}

/// `GET /orders/{order_no}/cancel`: the confirmation step before 取消.
pub(super) async fn confirm_cancel(
    State(state): State<SandboxState>,
    Path(order_no): Path<String>,
) -> Response {
    confirm(&state, &order_no, "取消", "cancel", Vec::new())
}

/// `GET /orders/{order_no}/settle?date=…&money=…`: the confirmation step
/// before 売上, with the values as typed.
pub(super) async fn confirm_settle(
    State(state): State<SandboxState>,
    Path(order_no): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let fields = form_fields(query.unwrap_or_default().as_bytes());
    let value = |name| field(&fields, name).unwrap_or_default().to_owned();
    confirm(
        &state,
        &order_no,
        "売上",
        "settle",
        vec![
            ("date", "売上指定日", value("date")),
            ("money", "売上金額", value("money")),
        ],
    )
}

fn confirm(
    state: &SandboxState,
    order_no: &str,
    operation: &'static str,
    action: &'static str,
    fields: Vec<(&'static str, &'static str, String)>,
) -> Response {
    match state.order(order_no) {
        Some(rec) => pages::render(
            StatusCode::OK,
            &ConfirmPage {
                o: OrderRow::of(&rec),
                operation,
                action,
                fields,
            },
        ),
        None => not_found(format!("オーダNo {order_no} はありません。")),
    }
}

/// `GET /test-ids`: テストカード番号管理, the test IDs in force and the
/// `username` a tester types (the manual: 「氏名」+「_」+「テストID」).
pub(super) async fn test_ids(State(state): State<SandboxState>) -> Response {
    let ids = state
        .config()
        .test_ids()
        .iter()
        .map(|id| {
            (
                id.clone(),
                format!(
                    "ゼウステスト{}{id}",
                    zeus_carrier_core::test_mode::TEST_ID_SEPARATOR
                ),
            )
        })
        .collect();
    pages::render(StatusCode::OK, &TestIdsPage { ids })
}

/// `POST /orders/{order_no}/cancel`: the screen's 取消 (no fields) → `303`
/// to the order, which shows the answer.
pub(super) async fn cancel(
    State(state): State<SandboxState>,
    Path(order_no): Path<String>,
) -> Response {
    operate(&state, &order_no, ScreenOperation::Cancel).await
}

/// `POST /orders/{order_no}/settle` with `date` (YYYYMMDD) and `money`:
/// the screen's 売上 → `303` to the order.
pub(super) async fn settle(
    State(state): State<SandboxState>,
    Path(order_no): Path<String>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let form = SettleForm {
        date: field(&fields, "date").unwrap_or_default().to_owned(),
        money: field(&fields, "money").unwrap_or_default().to_owned(),
    };
    operate(&state, &order_no, ScreenOperation::Settle(form)).await
}

/// `POST /orders/{order_no}/carrier-outcome` (form: `settle`, `cancel`, each
/// `ok`, `fail` or empty): the carrier's next answers, as the JSON control
/// endpoint → `303` to the order.
pub(super) async fn carrier_outcome(
    State(state): State<SandboxState>,
    Path(order_no): Path<String>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let outcome = |name| match field(&fields, name) {
        Some("ok") => Some(CarrierOutcome::Ok),
        Some("fail") => Some(CarrierOutcome::Fail),
        _ => None,
    };
    match state.set_carrier_outcome(&order_no, outcome("settle"), outcome("cancel")) {
        Ok(()) => Redirect::to(&format!("/orders/{order_no}")).into_response(),
        Err(_) => not_found(format!("オーダNo {order_no} はありません。")),
    }
}

/// `GET /settings`: the settings page (mail address, mails on/off, test
/// payments' mail and CGI, the test clock).
pub(super) async fn settings_page(State(state): State<SandboxState>) -> Response {
    pages::render(
        StatusCode::OK,
        &SettingsPage::of(&state.settings(), &state, None),
    )
}

fn settings_error(state: &SandboxState, message: String) -> Response {
    pages::render(
        StatusCode::BAD_REQUEST,
        &SettingsPage::of(&state.settings(), state, Some(message)),
    )
}

/// `POST /settings`: the whole settings form (`mail_to`, a `mail_on` per
/// mailed status that stays on, `test_mail`, `test_cgi` checkboxes) →
/// `303` back; a bad value changes nothing and shows the error (`400`).
pub(super) async fn save_settings(State(state): State<SandboxState>, body: Bytes) -> Response {
    let fields = form_fields(&body);
    let on: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "mail_on")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut off = Vec::new();
    for s in pages::mailed_statuses() {
        if !on.contains(&s.code()) {
            off.push(s);
        }
    }
    for code in &on {
        if let Err(e) = mailed_status(code) {
            return settings_error(&state, e.0);
        }
    }
    let change = SettingsChange {
        mail_to: field(&fields, "mail_to").map(str::to_owned),
        mail_off: Some(off),
        test_mail: Some(field(&fields, "test_mail").is_some()),
        test_cgi: Some(field(&fields, "test_cgi").is_some()),
    };
    match state.update_settings(&change) {
        Ok(_) => Redirect::to("/settings").into_response(),
        Err(e) => settings_error(&state, e.0),
    }
}

/// `POST /settings/clock` (form: `now` RFC 3339, or `advance_secs`): the
/// test clock, with the effects of `POST /_sandbox/clock` → `303` back.
pub(super) async fn clock(State(state): State<SandboxState>, body: Bytes) -> Response {
    let fields = form_fields(&body);
    let now = field(&fields, "now")
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let advance = field(&fields, "advance_secs")
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let change = match (now, advance) {
        (Some(now), None) => chrono::DateTime::parse_from_rfc3339(now)
            .map(ClockChange::SetNow)
            .map_err(|e| format!("clock: now {now:?} is not RFC 3339: {e}")),
        (None, Some(secs)) => secs
            .parse::<i64>()
            .map(ClockChange::Advance)
            .map_err(|_| format!("clock: advance_secs {secs:?} is not an integer")),
        _ => Err("clock: give exactly one of now and advance_secs".to_owned()),
    };
    let result = match change {
        Ok(change) => super::control::change_clock(&state, change).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to("/settings").into_response(),
        Err(e) => settings_error(&state, e),
    }
}

pub(super) fn not_found(what: String) -> Response {
    pages::render(StatusCode::NOT_FOUND, &NotFoundPage { what })
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;
    use zeus_carrier_core::order::OrderDetails;
    use zeus_carrier_core::{Carrier, Order};

    use crate::config::SandboxConfig;
    use crate::state::{OrderRecord, SandboxState};

    /// A test payment of 500 yen with these free parameters.
    fn details(sendid: &str, sendpoint: &str) -> OrderDetails {
        OrderDetails {
            clientip: "1234567890".into(),
            carrier: Carrier::Au,
            money: 500,
            username: "テスト_12345678".into(),
            telno: "0312345678".into(),
            email: String::new(),
            sendid: sendid.into(),
            sendpoint: sendpoint.into(),
            test: true,
        }
    }

    fn at() -> zeus_carrier_core::JstDateTime {
        chrono::DateTime::parse_from_rfc3339("2026-01-10T10:00:00+09:00").expect("t")
    }

    /// `sendid` cannot carry `<` through order.cgi (SPEC §4), so the order
    /// is put in the store directly: the screen must escape whatever it
    /// holds.
    #[tokio::test]
    async fn management_screen_escapes_script_in_sendid() {
        let state = SandboxState::new(SandboxConfig::default()).expect("state");
        let details = details("<script>alert(1)</script>", "\"'&");
        state.store().insert(OrderRecord {
            order: Order::accept("X-1", details, at()),
            success_link: None,
            failure_link: None,
            next_settle: None,
            next_cancel: None,
        });
        let app = crate::http::router(state);
        for uri in ["/", "/orders/X-1"] {
            let res = app
                .clone()
                .oneshot(
                    Request::builder()
                        .uri(uri)
                        .body(Body::empty())
                        .expect("req"),
                )
                .await
                .expect("infallible");
            assert_eq!(res.status(), StatusCode::OK);
            let body = axum::body::to_bytes(res.into_body(), 1 << 20)
                .await
                .expect("body");
            let html = String::from_utf8_lossy(&body);
            assert!(!html.contains("<script>"), "{uri}: {html}");
            assert!(html.contains("&#60;script&#62;alert(1)"), "{uri}: {html}");
        }
    }

    /// The back-link texts cannot carry `<` through order.cgi (the manual's
    /// classes, L71/L73), so the record is stored directly: the result
    /// pages must escape whatever a link holds (R-LP-5).
    #[tokio::test]
    async fn result_pages_escape_a_stored_back_link() {
        let state = SandboxState::new(SandboxConfig::default()).expect("state");
        let details = details("", "");
        for (no, decision) in [("X-1", "complete"), ("X-2", "fail")] {
            let link = crate::state::BackLink {
                url: "https://shop.example/?a='1'&b=\"2\"".into(),
                text: "<script>alert(1)</script>".into(),
            };
            state.store().insert(OrderRecord {
                order: Order::accept(no, details.clone(), at()),
                success_link: Some(link.clone()),
                failure_link: Some(link),
                next_settle: None,
                next_cancel: None,
            });
            let res = crate::http::router(state.clone())
                .oneshot(
                    Request::builder()
                        .method("POST")
                        .uri(format!("/sandbox/carrier/{no}"))
                        .body(Body::from(format!("decision={decision}")))
                        .expect("req"),
                )
                .await
                .expect("infallible");
            assert_eq!(res.status(), StatusCode::OK);
            let body = axum::body::to_bytes(res.into_body(), 1 << 20)
                .await
                .expect("body");
            let html = String::from_utf8_lossy(&body);
            assert!(!html.contains("<script>"), "{decision}: {html}");
            assert!(!html.contains("'1'&b="), "{decision}: {html}");
            assert!(
                html.contains("&#60;script&#62;alert(1)"),
                "{decision}: {html}"
            );
        }
    }
}
