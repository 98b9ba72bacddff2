//! Mounting the CGI receiver in an existing axum application: the shop's
//! own routes and `callback_router` in one `Router`, served with
//! `into_make_service_with_connect_info` (required: the receiver checks the
//! socket peer; without `ConnectInfo` every call is refused with 403).
//!
//! ```sh
//! cargo run -p zeus-carrier-merchant --example axum_shop
//! ZEUS_CARRIER_EXAMPLE_SELF_TEST=1 cargo run -p zeus-carrier-merchant --example axum_shop
//! ```
//!
//! Environment: see `examples/receiver_support/mod.rs`.

use std::future::IntoFuture as _;
use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use zeus_carrier_merchant::callback_router;

#[path = "receiver_support/mod.rs"]
mod support;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let receiver = support::receiver(support::store().await?)?;
    let callback_path = receiver.path().to_owned();
    let store = receiver.store().clone();
    // The shop's own routes …
    let app = Router::new()
        .route("/", get(|| async { "the shop's home page\n" }))
        .route("/products", get(|| async { "[]" }))
        // … and the gateway's CGI calls on the configured path.
        .merge(callback_router(receiver));
    let listener = TcpListener::bind(support::listen_addr()?).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        })
        .into_future(),
    );
    let result = if support::self_test() {
        support::call_once(&format!("http://{addr}{callback_path}")).await
    } else {
        tokio::signal::ctrl_c().await.map_err(Into::into)
    };
    let _ = stop.send(());
    server.await??;
    store.close().await;
    result
}
