//! The JSON control endpoints under `/_sandbox` (INTERFACES.md §2).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::control::{ClockChange, OutcomeChange, SettingsChange};
use crate::engine;
use crate::state::SandboxState;
use crate::views::{CgiView, ClockView, MailView, OrderView, SettingsView, rfc3339};

/// A JSON error: `{"error": "..."}`.
pub(super) fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn clock_view(state: &SandboxState) -> ClockView {
    ClockView {
        now: rfc3339(&state.now()),
        frozen: state.clock().is_frozen(),
    }
}

/// `GET /_sandbox/clock`.
pub(super) async fn get_clock(State(state): State<SandboxState>) -> Json<ClockView> {
    Json(clock_view(&state))
}

/// `POST /_sandbox/clock`: freeze at `now` or move by `advance_secs`, then
/// settle the reservations that came due, mails and CGI included, before
/// answering.
pub(super) async fn set_clock(State(state): State<SandboxState>, body: Bytes) -> Response {
    let change = match ClockChange::parse(&body) {
        Ok(c) => c,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.0),
    };
    if let Err(e) = change_clock(&state, change).await {
        return json_error(StatusCode::BAD_REQUEST, e);
    }
    Json(clock_view(&state)).into_response()
}

/// `GET /_sandbox/orders`: every order, oldest first.
pub(super) async fn orders(State(state): State<SandboxState>) -> Json<Vec<OrderView>> {
    Json(
        state
            .orders()
            .iter()
            .map(|r| OrderView::of(&r.order))
            .collect(),
    )
}

/// `GET /_sandbox/orders/{order_no}`.
pub(super) async fn order(
    State(state): State<SandboxState>,
    Path(order_no): Path<String>,
) -> Response {
    match state.order(&order_no) {
        Some(rec) => Json(OrderView::of(&rec.order)).into_response(),
        None => json_error(StatusCode::NOT_FOUND, format!("no order {order_no:?}")),
    }
}

/// `POST /_sandbox/orders/{order_no}/carrier-outcome` → `204`.
pub(super) async fn carrier_outcome(
    State(state): State<SandboxState>,
    Path(order_no): Path<String>,
    body: Bytes,
) -> Response {
    let change = match OutcomeChange::parse(&body) {
        Ok(c) => c,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.0),
    };
    match state.set_carrier_outcome(&order_no, change.settle, change.cancel) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => json_error(StatusCode::NOT_FOUND, e.to_string()),
    }
}

/// `GET /_sandbox/mails`.
pub(super) async fn mails(State(state): State<SandboxState>) -> Json<Vec<MailView>> {
    Json(state.mails().iter().map(MailView::from).collect())
}

/// `GET /_sandbox/cgi`.
pub(super) async fn cgi(State(state): State<SandboxState>) -> Json<Vec<CgiView>> {
    Json(state.cgi_attempts().iter().map(CgiView::from).collect())
}

/// `POST /_sandbox/cgi/{id}/resend` → `202`, after the resend's attempt
/// finished or `--cgi-answer-wait-secs` passed.
pub(super) async fn resend(State(state): State<SandboxState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return json_error(StatusCode::NOT_FOUND, format!("no CGI attempt {id:?}"));
    };
    match engine::resend(&state, id) {
        Some(rx) => {
            crate::delivery::wait_first_attempts(vec![rx], state.config().cgi_answer_wait()).await;
            (StatusCode::ACCEPTED, Json(json!({ "resend_of": id }))).into_response()
        }
        None => json_error(StatusCode::NOT_FOUND, format!("no CGI attempt {id}")),
    }
}

/// `GET /_sandbox/settings`.
pub(super) async fn get_settings(State(state): State<SandboxState>) -> Json<SettingsView> {
    Json(SettingsView::from(&state.settings()))
}

/// `POST /_sandbox/settings` with any subset of the keys → `200` with the
/// whole settings; a bad body changes nothing (`400`).
pub(super) async fn post_settings(State(state): State<SandboxState>, body: Bytes) -> Response {
    let change = match SettingsChange::parse(&body) {
        Ok(c) => c,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.0),
    };
    match state.update_settings(&change) {
        Ok(s) => Json(SettingsView::from(&s)).into_response(),
        Err(e) => json_error(StatusCode::BAD_REQUEST, e.0),
    }
}

/// Applies a clock change and settles what came due: the JSON endpoint
/// and the settings page's form share it.
pub(super) async fn change_clock(state: &SandboxState, change: ClockChange) -> Result<(), String> {
    match change {
        ClockChange::SetNow(t) => {
            state.clock().set(t);
        }
        ClockChange::Advance(secs) => {
            if state.clock().advance(secs).is_none() {
                return Err(format!(
                    "clock: advance_secs {secs} leaves the representable range"
                ));
            }
        }
    }
    engine::run_due(state).await;
    Ok(())
}
