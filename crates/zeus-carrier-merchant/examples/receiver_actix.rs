//! The CGI receiver on actix-web 4. actix uses its own (http 0.2) request
//! types, so the handler copies the method, URI and headers into an
//! `http::Request` and hands it to [`Receiver::answer_http`], which checks
//! the path, the method, the size, `X-Forwarded-For` and the content type.
//!
//! ```sh
//! cargo run -p zeus-carrier-merchant --example receiver_actix
//! ZEUS_CARRIER_EXAMPLE_SELF_TEST=1 cargo run -p zeus-carrier-merchant --example receiver_actix
//! ```
//!
//! Environment: see `examples/receiver_support/mod.rs`.

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use zeus_carrier_merchant::Receiver;

#[path = "receiver_support/mod.rs"]
mod support;

/// The callback path's handler: copy the request, answer what the
/// receiver says.
async fn callback(
    receiver: web::Data<Receiver>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    // One byte past the bound is enough to tell "too large" (413).
    let limit = receiver.max_body_bytes() + 1;
    let body = match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => body.to_vec(),
        Ok(Err(_)) | Err(_) => vec![0; limit],
    };
    let mut copy = http::Request::builder()
        .method(request.method().as_str())
        .uri(request.uri().to_string());
    for (name, value) in request.headers() {
        copy = copy.header(name.as_str(), value.as_bytes());
    }
    let Ok(copy) = copy.body(body) else {
        return HttpResponse::BadRequest().finish();
    };
    let peer = request.peer_addr().map(|a| a.ip());
    let answer = receiver.answer_http(peer, &copy).await;
    let mut response = HttpResponse::build(
        StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    for (name, value) in answer.headers() {
        response.insert_header((name.as_str(), value.as_bytes()));
    }
    response.body(answer.into_body())
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
