//! The management screen (売上管理画面): server-rendered HTML, every value
//! escaped by the templates.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::engine;
use crate::pages::{self, IndexPage, NotFoundPage, OrderPage, OrderRow};
use crate::state::SandboxState;
use crate::views::rfc3339;

/// `GET /`: every order, newest first.
pub(super) async fn index(State(state): State<SandboxState>) -> Response {
    let config = state.config();
    let page = IndexPage {
        clientip: config.clientip.clone(),
        mode: format!("{:?}", state.payment_mode()),
        now: rfc3339(&state.now()),
        frozen: state.clock().is_frozen(),
        cgi_url: config.cgi_url.clone().unwrap_or_else(|| "-".to_owned()),
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
            let page = OrderPage::of(&rec, &state.cgi_attempts(), &state.mails());
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
    let attempt = id.parse::<u64>().ok().filter(|id| {
        state
            .cgi_attempts()
            .iter()
            .any(|a| a.id == *id && a.order_no == order_no)
    });
    let Some(id) = attempt else {
        return not_found(format!("CGI送信 #{id} ({order_no}) はありません。"));
    };
    if let Some(rx) = engine::resend(&state, id) {
        crate::delivery::wait_first_attempts(vec![rx], state.config().cgi_answer_wait_secs).await;
    }
    Redirect::to(&format!("/orders/{order_no}")).into_response()
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

    /// `sendid` cannot carry `<` through order.cgi (SPEC §4), so the order
    /// is put in the store directly: the screen must escape whatever it
    /// holds.
    #[tokio::test]
    async fn management_screen_escapes_script_in_sendid() {
        let state = SandboxState::new(SandboxConfig::default()).expect("state");
        let details = OrderDetails {
            clientip: "1234567890".into(),
            carrier: Carrier::Au,
            money: 500,
            username: "テスト_12345678".into(),
            telno: "0312345678".into(),
            email: String::new(),
            sendid: "<script>alert(1)</script>".into(),
            sendpoint: "\"'&".into(),
            test: true,
        };
        let at = chrono::DateTime::parse_from_rfc3339("2026-01-10T10:00:00+09:00").expect("t");
        state.store().insert(OrderRecord {
            order: Order::accept("X-1", details, at),
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
}
