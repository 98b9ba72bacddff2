//! One request through an axum router without a socket, as if it came
//! from a given peer (the peer reaches extractors as `ConnectInfo`).

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};

/// Sends one request through `router` as if from `peer` (`IP:port`);
/// `body` is `(content type, bytes)`. Returns the status, body and
/// headers (a body of up to 16 MiB).
///
/// # Panics
/// If `peer` or the request is malformed, or no answer comes within 30 s.
pub async fn oneshot(
    router: &axum::Router,
    peer: &str,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> (StatusCode, Vec<u8>, HeaderMap) {
    use tower::ServiceExt as _;
    let peer: std::net::SocketAddr = peer.parse().expect("peer");
    let mut req = axum::http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some((ct, b)) => req
            .header("content-type", ct)
            .body(axum::body::Body::from(b)),
        None => req.body(axum::body::Body::empty()),
    }
    .expect("request");
    let app = router
        .clone()
        .layer(axum::extract::connect_info::MockConnectInfo(peer));
    let resp = tokio::time::timeout(Duration::from_secs(30), app.oneshot(req))
        .await
        .expect("answered within 30 s")
        .expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 16 * 1024 * 1024)
        .await
        .expect("body");
    (status, body.to_vec(), headers)
}

/// A GET through `router` from `peer`: status and body as text.
pub async fn get(router: &axum::Router, peer: &str, uri: &str) -> (StatusCode, String) {
    let (s, b, _) = oneshot(router, peer, "GET", uri, &[], None).await;
    (s, String::from_utf8_lossy(&b).into_owned())
}
