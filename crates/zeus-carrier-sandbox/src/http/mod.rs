//! The sandbox's HTTP interface (INTERFACES.md §2): the gateway's own
//! paths, the JSON control endpoints and the management screen.

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::engine;
use crate::state::SandboxState;

mod admin;
mod control;
mod gateway;
mod guard;

/// The sandbox's router, with `state`. Serve it with `axum::serve`, or drive
/// it with `tower::ServiceExt::oneshot` in tests.
pub fn router(state: SandboxState) -> Router {
    Router::new()
        .route("/cgi-bin/carrier/order.cgi", post(gateway::order_cgi))
        .route(
            "/sandbox/carrier/{order_no}",
            get(gateway::test_page).post(gateway::decide),
        )
        .route("/cgi-bin/carrier/secure.cgi", post(gateway::secure_cgi))
        .route(
            "/_sandbox/clock",
            get(control::get_clock).post(control::set_clock),
        )
        .route("/_sandbox/orders", get(control::orders))
        .route("/_sandbox/orders/{order_no}", get(control::order))
        .route(
            "/_sandbox/orders/{order_no}/carrier-outcome",
            post(control::carrier_outcome),
        )
        .route("/_sandbox/mails", get(control::mails))
        .route("/_sandbox/cgi", get(control::cgi))
        .route("/_sandbox/cgi/{id}/resend", post(control::resend))
        .route(
            "/_sandbox/settings",
            get(control::get_settings).post(control::post_settings),
        )
        .route("/", get(admin::index))
        .route("/orders/{order_no}", get(admin::order))
        .route("/orders/{order_no}/cgi/{id}/resend", post(admin::resend))
        .route(
            "/orders/{order_no}/cancel",
            get(admin::confirm_cancel).post(admin::cancel),
        )
        .route(
            "/orders/{order_no}/settle",
            get(admin::confirm_settle).post(admin::settle),
        )
        .route("/test-ids", get(admin::test_ids))
        .route(
            "/orders/{order_no}/carrier-outcome",
            post(admin::carrier_outcome),
        )
        .route(
            "/settings",
            get(admin::settings_page).post(admin::save_settings),
        )
        .route("/settings/clock", post(admin::clock))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            due_on_request,
        ))
        // Outermost: a cross-site request is refused before anything runs.
        .layer(middleware::from_fn(guard::same_site_only))
        .with_state(state)
}

/// While the clock is real, every request first settles the reservations
/// whose date has come (a frozen clock does it when it is moved).
async fn due_on_request(
    State(state): State<SandboxState>,
    request: Request,
    next: Next,
) -> Response {
    if !state.clock().is_frozen() {
        engine::run_due(&state).await;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    use zeus_carrier_core::order::OrderDetails;
    use zeus_carrier_core::time::jst_date;
    use zeus_carrier_core::{Carrier, Event, Order, PaymentMode, Status};

    use crate::config::SandboxConfig;
    use crate::state::{OrderRecord, SandboxState};

    /// R-SL-2 with a real clock: a reservation whose date has come is
    /// settled before any request is handled.
    #[tokio::test]
    async fn r_sl_2_real_clock_settles_due_reservations_on_any_request() {
        let state = SandboxState::new(SandboxConfig::default()).expect("state");
        assert!(!state.clock().is_frozen());
        let now = state.now();
        let accepted = now - chrono::TimeDelta::days(2);
        let details = OrderDetails {
            clientip: "1234567890".into(),
            carrier: Carrier::Docomo,
            money: 1000,
            username: "テスト_12345678".into(),
            telno: "0312345678".into(),
            email: String::new(),
            sendid: String::new(),
            sendpoint: String::new(),
            test: true,
        };
        let mut order = Order::accept("R-1", details, accepted);
        let mode = PaymentMode::Authorization;
        order
            .apply(&Event::Approve { mode }, accepted)
            .expect("approve");
        // Reserved (two days ago) for today: due since 00:00.
        let date = jst_date(&now);
        order
            .apply(&Event::SettleFuture { date, money: 1000 }, accepted)
            .expect("reserve");
        state.store().insert(OrderRecord {
            order,
            success_link: None,
            failure_link: None,
            next_settle: None,
            next_cancel: None,
        });
        let res = crate::http::router(state.clone())
            .oneshot(
                Request::builder()
                    .uri("/")
                    .body(Body::empty())
                    .expect("req"),
            )
            .await
            .expect("infallible");
        assert!(res.status().is_success());
        assert_eq!(
            state.order("R-1").expect("order").order.status(),
            Status::Completed
        );
        assert!(
            !state.clock().is_frozen(),
            "a request does not freeze the clock"
        );
    }
}
