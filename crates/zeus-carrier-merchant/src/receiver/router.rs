//! The axum adapter (feature `axum`): a router answering the callback path
//! by calling [`Receiver::receive`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use super::{ANSWER_CONTENT_TYPE, Ack, CallbackRejection, CgiCall, Method, Receiver};

/// Told the result of every call [`callback_router_observed`] answers, and
/// how long [`Receiver::receive`] took (for an acknowledged call: reading,
/// checking and the store's commit). For metrics; it must not block.
///
/// ```
/// use std::time::Duration;
/// use zeus_carrier_http::{Ack, CallbackObserver, CallbackRejection};
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
    let Some(method) = Method::from_name(parts.method.as_str()) else {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(ALLOW, Method::ALLOW), (CONTENT_TYPE, ANSWER_CONTENT_TYPE)],
            "error: method not allowed on the CGI callback path\n",
        )
            .into_response();
    };
    // The socket peer, or a test's `MockConnectInfo`; absent when the app
    // was not served with connect info.
    let peer = ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, &receiver)
        .await
        .ok()
        .map(|c| c.0.ip());
    let query = parts.uri.query().unwrap_or("").as_bytes().to_vec();
    let call = match method {
        Method::Get => CgiCall::get(peer, query),
        Method::Head => CgiCall::head(peer),
        Method::Post => {
            let content_type = header_text(&parts.headers, CONTENT_TYPE.as_str())
                .into_iter()
                .next();
            match axum::body::to_bytes(Body::new(body), receiver.max_body_bytes()).await {
                Ok(bytes) => CgiCall::post(peer, content_type, bytes.to_vec()),
                // Over the bound (or the client went away mid-body).
                Err(_) => CgiCall::post_over_limit(peer, content_type),
            }
            .with_query(query)
        }
    };
    let call = call.with_forwarded_for(header_text(&parts.headers, "x-forwarded-for"));
    let started = Instant::now();
    let result = receiver.receive(call).await;
    observer.observe(&result, started.elapsed());
    let (status, body) = match result {
        Ok(ack) => (ack.status(), ack.body().to_owned()),
        Err(rejection) => (rejection.status(), rejection.body()),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(CONTENT_TYPE, ANSWER_CONTENT_TYPE)], body).into_response()
}

/// Every value of header `name`, as text (lossily: a value that is not
/// text is then refused where it matters).
fn header_text(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}
