//! The CGI receiver on actix-web 4: a `default_service` handler turns each
//! request on the callback path into a [`CgiCall`] for
//! [`Receiver::receive`].
//!
//! ```sh
//! cargo run -p zeus-carrier-http --example receiver_actix
//! ZEUS_CARRIER_EXAMPLE_SELF_TEST=1 cargo run -p zeus-carrier-http --example receiver_actix
//! ```
//!
//! Environment: see `examples/support/mod.rs`.

use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CONTENT_TYPE};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use zeus_carrier_http::receiver::ANSWER_CONTENT_TYPE;
use zeus_carrier_http::{CgiCall, Method, Receiver};

mod support;

/// The callback path's handler. The body arrives through actix's
/// `Payload`, read here up to the receiver's bound.
async fn callback(
    receiver: web::Data<Receiver>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let answer = |status: u16, body: String| {
        HttpResponse::build(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        )
        .insert_header((CONTENT_TYPE, ANSWER_CONTENT_TYPE))
        .body(body)
    };
    let Some(method) = Method::from_name(request.method().as_str()) else {
        return HttpResponse::MethodNotAllowed()
            .insert_header((ALLOW, Method::ALLOW))
            .finish();
    };
    let header_values = |name: &str| -> Vec<String> {
        request
            .headers()
            .get_all(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    };
    let peer = request.peer_addr().map(|a| a.ip());
    let query = request.query_string().as_bytes().to_vec();
    let call = match method {
        Method::Post => {
            let content_type = header_values("content-type").into_iter().next();
            // Read at most the receiver's bound; past it the call is 413.
            match payload.to_bytes_limited(receiver.max_body_bytes()).await {
                Ok(Ok(body)) => CgiCall::post(peer, content_type, body.to_vec()),
                Ok(Err(_)) | Err(_) => CgiCall::post_over_limit(peer, content_type),
            }
        }
        Method::Head => CgiCall::head(peer),
        _ => CgiCall::get(peer, query),
    }
    .with_forwarded_for(header_values("x-forwarded-for"));
    match receiver.receive(call).await {
        Ok(ack) => answer(ack.status(), ack.body().to_owned()),
        Err(rejection) => answer(rejection.status(), rejection.body()),
    }
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let receiver = support::receiver(support::store().await?)?;
    let path = receiver.path().to_owned();
    let callback_path = path.clone();
    let store = receiver.store().clone();
    let data = web::Data::new(receiver);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route(&path, web::route().to(callback))
    })
    .workers(1)
    .bind(support::listen_addr()?)?;
    let addr = server.addrs().first().copied().ok_or("no address bound")?;
    println!("listening on http://{addr}");
    let server = server.run();
    let handle = server.handle();
    let result = if support::self_test() {
        let callback_url = format!("http://{addr}{callback_path}");
        let served = actix_web::rt::spawn(server);
        let r = support::call_once(&callback_url).await;
        handle.stop(true).await;
        let _ = served.await;
        r
    } else {
        // actix-web stops gracefully on SIGINT/SIGTERM.
        server.await.map_err(Into::into)
    };
    store.close().await;
    result
}
