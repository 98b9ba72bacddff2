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
        .route("/", get(admin::index))
        .route("/orders/{order_no}", get(admin::order))
        .route("/orders/{order_no}/cgi/{id}/resend", post(admin::resend))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            due_on_request,
        ))
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
