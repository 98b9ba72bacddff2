//! The axum adapter (feature `axum`): a router answering the callback path
//! by calling [`Receiver::receive`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::response::Response;
use axum::routing::any;

use super::adapter::{call_from_http, response_to_http};
use super::{Ack, CallbackRejection, Receiver};

/// Told the result of every call [`callback_router_observed`] answers, and
/// how long [`Receiver::receive`] took (for an acknowledged call: reading,
/// checking and the store's commit). For metrics; it must not block.
///
/// ```
/// use std::time::Duration;
/// use zeus_carrier_merchant::{Ack, CallbackObserver, CallbackRejection};
///
/// struct LogIt;
/// impl CallbackObserver for LogIt {
///     fn observe(&self, result: &Result<Ack, CallbackRejection>, elapsed: Duration) {
///         match result {
///             Ok(ack) => println!("{:?} in {elapsed:?}", ack.effect()),
///             Err(e) => println!("rejected: {}", e.reason().as_str()),
///         }
///     }
/// }
/// ```
pub trait CallbackObserver: Send + Sync + 'static {
    /// One call's result and the time [`Receiver::receive`] took.
    fn observe(&self, result: &Result<Ack, CallbackRejection>, elapsed: Duration);
}

/// Observes nothing.
struct NoObserver;

impl CallbackObserver for NoObserver {
    fn observe(&self, _: &Result<Ack, CallbackRejection>, _: Duration) {}
}

#[derive(Clone)]
struct Observed {
    receiver: Receiver,
    observer: Arc<dyn CallbackObserver>,
}

/// The receiver as an axum router answering `GET`, `POST` and `HEAD` on
/// [`Receiver::path`] (any other method → `405` with
/// `Allow: GET, POST, HEAD`).
///
/// The source address is the socket peer, so serve the router (or the app
/// it is merged into) with
/// `into_make_service_with_connect_info::<SocketAddr>()`: without
/// `ConnectInfo` every call is refused with `403`. Tests can add
/// `axum::extract::connect_info::MockConnectInfo` instead.
pub fn callback_router(receiver: Receiver) -> Router {
    callback_router_observed(receiver, NoObserver)
}

/// [`callback_router`], telling `observer` the result of every call that
/// reached the receiver (not the `405` of another method): what a service
/// needs for metrics of CGI calls by effect and by rejection reason.
pub fn callback_router_observed(receiver: Receiver, observer: impl CallbackObserver) -> Router {
    let path = receiver.path().to_owned();
    Router::new()
        .route(&path, any(handle_callback))
        .with_state(Observed {
            receiver,
            observer: Arc::new(observer),
        })
}

async fn handle_callback(State(observed): State<Observed>, request: Request) -> Response {
    let Observed { receiver, observer } = observed;
    let (mut parts, body) = request.into_parts();
    // The socket peer, or a test's `MockConnectInfo`; absent when the app
    // was not served with connect info.
    let peer = ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, &receiver)
        .await
        .ok()
        .map(|c| c.0.ip());
    // One byte over the bound tells "too large" apart; a client that went
    // away mid-body is treated the same (nothing is recorded).
    let limit = receiver.max_body_bytes().saturating_add(1);
    let bytes = if parts.method == axum::http::Method::POST {
        match axum::body::to_bytes(Body::new(body), limit).await {
            Ok(bytes) => bytes,
            Err(_) => axum::body::Bytes::from(vec![0; limit]),
        }
    } else {
        axum::body::Bytes::new()
    };
    let request = axum::http::Request::from_parts(parts, bytes);
    let answer = match call_from_http(
        peer,
        &request,
        request.uri().path(),
        receiver.max_body_bytes(),
    ) {
        Ok(call) => {
            let started = Instant::now();
            let result = receiver.receive(call).await;
            observer.observe(&result, started.elapsed());
            response_to_http(&result)
        }
        Err(not_a_call) => not_a_call.to_http(),
    };
    answer.map(Body::from)
}
