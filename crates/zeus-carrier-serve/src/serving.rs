//! Serving a router to clients that may be slow, stuck or hostile:
//! [`serve_bounded`] with [`ServeLimits`].
//!
//! `axum::serve` has no header-read timeout, no connection bound and a
//! graceful shutdown that waits for every client forever. This loop is
//! what both of serve's faces run, and what a shop embedding the crates
//! can run for its own router:
//!
//! - **Header-read timeout** ([`ServeLimits::header_read_timeout`], 10 s):
//!   a client must send a request's whole head within it, also on a kept
//!   alive connection; otherwise hyper closes the connection.
//! - **Request timeout** ([`ServeLimits::request_timeout`], 20 s): the
//!   body must have arrived within it of the head; a handler reading a
//!   body that stalls gets an error (the answer is `400`/`413` and the
//!   connection is closed). Head and body together: a stalled client is
//!   dropped within 30 s.
//! - **Connection bound** ([`ServeLimits::max_connections`], 512): at most
//!   that many connections are served at once; further clients wait in
//!   the kernel's accept queue until one ends.
//! - **Bounded shutdown** ([`ServeLimits::shutdown_grace`], 10 s): when
//!   `shutdown` completes the listener closes, idle connections close,
//!   requests in progress get the grace to finish, then every connection
//!   left is dropped. Acknowledged data is never lost: `successok` is
//!   only sent after the store committed.
//!
//! The app sees the socket peer as `ConnectInfo<SocketAddr>` (what the
//! CGI receiver's allowlist reads).
//!
//! ```no_run
//! use zeus_carrier_serve::{ServeLimits, serve_bounded};
//! # async fn demo() -> std::io::Result<()> {
//! let app = axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! serve_bounded(listener, app, ServeLimits::default(), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body::Frame;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

/// The bounds [`serve_bounded`] keeps (see the module docs). Start from
/// [`ServeLimits::default`] and change fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeLimits {
    /// The time a client has to send a request's head (request line and
    /// headers), also for the next request on a kept-alive connection.
    pub header_read_timeout: Duration,
    /// The time a client has, after the head, to send the body.
    pub request_timeout: Duration,
    /// The most connections served at once.
    pub max_connections: usize,
    /// After shutdown starts, the time requests in progress get to finish
    /// before their connections are dropped.
    pub shutdown_grace: Duration,
}

impl ServeLimits {
    /// The default header-read timeout: 10 s.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default request (body) timeout: 20 s.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
    /// The default connection bound: 512.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
    /// The default shutdown grace: 10 s.
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
}

impl Default for ServeLimits {
    fn default() -> ServeLimits {
        ServeLimits {
            header_read_timeout: ServeLimits::DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: ServeLimits::DEFAULT_REQUEST_TIMEOUT,
            max_connections: ServeLimits::DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: ServeLimits::DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes,
/// then shuts down within [`ServeLimits::shutdown_grace`] (see the module
/// docs). Errors accepting a connection are logged and the loop goes on.
pub async fn serve_bounded(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        // Reap finished connection tasks.
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    // Out of file descriptors and the like: do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let app = app.clone();
        let request_timeout = limits.request_timeout;
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let (mut parts, body) = request.into_parts();
            parts.extensions.insert(ConnectInfo(peer));
            let body = Body::new(DeadlineBody::new(body, request_timeout));
            app.clone().oneshot(Request::from_parts(parts, body))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    let open = connections.len();
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(
                grace_secs = limits.shutdown_grace.as_secs_f64(),
                "connections still open after the shutdown grace: dropping them"
            );
        }
    }
    connections.shutdown().await;
    tracing::debug!(open, "every connection closed");
    Ok(())
}

/// A request body that fails once its deadline passes.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, within: Duration) -> DeadlineBody {
        DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(within)),
        }
    }
}

/// The error of a body that did not arrive in time.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the request timeout")]
struct BodyTimeout;

impl http_body::Body for DeadlineBody {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if self.inner.is_end_stream() {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        Pin::new(&mut self.inner)
            .poll_frame(cx)
            .map_err(|e| Box::new(e) as axum::BoxError)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_drop_a_stalled_client_within_30_s_and_stop_within_15_s() {
        let l = ServeLimits::default();
        assert_eq!(l.header_read_timeout, Duration::from_secs(10));
        assert_eq!(l.request_timeout, Duration::from_secs(20));
        assert!(l.header_read_timeout + l.request_timeout <= Duration::from_secs(30));
        assert_eq!(l.shutdown_grace, Duration::from_secs(10));
        assert!(l.shutdown_grace < Duration::from_secs(15));
        assert_eq!(l.max_connections, 512);
    }
}
