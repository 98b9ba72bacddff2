//! The CGI receiver on plain hyper 1.x (no axum): hyper's request is an
//! `http::Request`, so the handler reads the body up to the receiver's
//! bound and hands the request to [`Receiver::answer_http`], which checks
//! the path, the method, the size, `X-Forwarded-For` and the content type.
//!
//! ```sh
//! cargo run -p zeus-carrier-merchant --example receiver_hyper
//! ZEUS_CARRIER_EXAMPLE_SELF_TEST=1 cargo run -p zeus-carrier-merchant --example receiver_hyper
//! ```
//!
//! Environment: see `examples/receiver_support/mod.rs`.

use std::convert::Infallible;
use std::net::IpAddr;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use zeus_carrier_merchant::Receiver;

#[path = "receiver_support/mod.rs"]
mod support;

/// One request: the whole receiver boilerplate.
async fn handle(
    receiver: Receiver,
    peer: IpAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    // One byte past the bound is enough to tell "too large" (413).
    let limited = Limited::new(body, receiver.max_body_bytes() + 1);
    let body = limited
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_else(|_| Bytes::from(vec![0; receiver.max_body_bytes() + 1]));
    let answer = receiver
        .answer_http(Some(peer), &Request::from_parts(parts, body))
        .await;
    Ok(answer.map(|b| Full::new(Bytes::from(b))))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let receiver = support::receiver(support::store().await?)?;
    let listener = TcpListener::bind(support::listen_addr()?).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    let callback_url = format!("http://{addr}{}", receiver.path());
    let store = receiver.store().clone();
    let server = async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            let receiver = receiver.clone();
            tokio::spawn(async move {
                let service =
                    service_fn(move |request| handle(receiver.clone(), peer.ip(), request));
                if let Err(e) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    eprintln!("connection: {e}");
                }
            });
        }
    };
    let result = if support::self_test() {
        tokio::select! {
            r = support::call_once(&callback_url) => r,
            () = server => Ok(()),
        }
    } else {
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map_err(Into::into),
            () = server => Ok(()),
        }
    };
    store.close().await;
    result
}
