//! The CGI receiver on plain hyper 1.x (no axum): every request on the
//! callback path becomes a [`CgiCall`] for [`Receiver::receive`].
//!
//! ```sh
//! cargo run -p zeus-carrier-http --example receiver_hyper
//! ZEUS_CARRIER_EXAMPLE_SELF_TEST=1 cargo run -p zeus-carrier-http --example receiver_hyper
//! ```
//!
//! Environment: see `examples/support/mod.rs`.

use std::convert::Infallible;
use std::net::IpAddr;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use zeus_carrier_http::receiver::ANSWER_CONTENT_TYPE;
use zeus_carrier_http::{CgiCall, Method, Receiver};

mod support;

/// One request: the callback path goes to the receiver, anything else 404.
async fn handle(
    receiver: Receiver,
    peer: IpAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let answer = |status: u16, body: String| {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        response.headers_mut().insert(
            CONTENT_TYPE,
            ANSWER_CONTENT_TYPE.parse().expect("static header"),
        );
        response
    };
    if request.uri().path() != receiver.path() {
        return Ok(answer(404, "not found\n".to_owned()));
    }
    let Some(method) = Method::from_name(request.method().as_str()) else {
        let mut response = answer(405, "error: method not allowed\n".to_owned());
        response
            .headers_mut()
            .insert(ALLOW, Method::ALLOW.parse().expect("static header"));
        return Ok(response);
    };
    let header_values = |name: &str| -> Vec<String> {
        request
            .headers()
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    };
    let forwarded = header_values("x-forwarded-for");
    let content_type = header_values("content-type").into_iter().next();
    let query = request.uri().query().unwrap_or("").as_bytes().to_vec();
    let peer = Some(peer);
    let call = match method {
        Method::Post => {
            // Read at most the receiver's bound; past it the call is 413.
            let limited = Limited::new(request.into_body(), receiver.max_body_bytes());
            match limited.collect().await {
                Ok(body) => CgiCall::post(peer, content_type, body.to_bytes().to_vec()),
                Err(_) => CgiCall::post_over_limit(peer, content_type),
            }
        }
        Method::Head => CgiCall::head(peer),
        // Get, and any method a later version adds.
        _ => CgiCall::get(peer, query),
    }
    .with_forwarded_for(forwarded);
    Ok(match receiver.receive(call).await {
        Ok(ack) => answer(ack.status(), ack.body().to_owned()),
        Err(rejection) => answer(rejection.status(), rejection.body()),
    })
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
