//! # zeus-carrier-serve
//!
//! `zeus-carrier serve`: the reference merchant service (INTERFACES §3), a
//! thin HTTP face over the public API of [`zeus_carrier_merchant`] (the
//! merchant facade: checkout, settle, cancel, record, deadlines) and
//! [`zeus_carrier_http`]'s CGI [`Receiver`]. A merchant can run it as it is
//! (the CLI's `serve` command) or copy it: it uses no private helper of the
//! libraries below it.
//!
//! It renders the Link Point form (`POST /checkout`), receives CGI calls
//! durably and idempotently (the callback path, [`zeus_carrier_http::receiver`]), shows
//! the merchant's record (`GET /orders/{order_no}`), settles and cancels
//! over Secure Link (`POST /orders/{order_no}/settle|cancel`), lists what
//! needs doing (`GET /deadlines`) and reports its health (`GET /healthz`).
//!
//! [`serve_router`] builds the app from a [`ServeState`]; [`run`] binds,
//! prints `listening on http://HOST:PORT` on stdout, logs to stderr and
//! shuts down gracefully (in-flight requests finish, then the store closes;
//! every acknowledged notification was committed before its `successok`).

pub mod checkout;
mod config;
pub mod orders;

use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::net::TcpListener;
use zeus_carrier_store::{Store, StoreError};

pub use config::{ServeConfig, redact_url_password};

use zeus_carrier_http::{Clock, ConfigError, Receiver, SecureLinkClient, callback_router};
use zeus_carrier_merchant::Merchant;

/// The path of the Link Point endpoint on the gateway's host (SPEC §1).
pub use zeus_carrier_core::link_point::ORDER_CGI_PATH;

/// The largest request body the service reads (checkout forms and settle
/// requests are far smaller).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The paths the service answers besides the callback path; the callback
/// path may not be one of them.
const RESERVED_PATHS: &[&str] = &["/checkout", "/checkout/done", "/deadlines", "/healthz"];

/// What the service's handlers share: the merchant facade and the CGI
/// receiver. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ServeState {
    merchant: Merchant,
    receiver: Receiver,
}

impl ServeState {
    /// Checks `config` and builds the merchant facade and the receiver
    /// around `store`; uses the system clock.
    pub fn new(store: Store, config: &ServeConfig) -> Result<ServeState, ServeError> {
        let client = SecureLinkClient::new(config.client_config())?;
        let receiver_config = config.receiver_config();
        if RESERVED_PATHS.contains(&receiver_config.path.as_str())
            || receiver_config.path.starts_with("/orders")
        {
            return Err(ConfigError::BadCallbackPath {
                path: receiver_config.path,
            }
            .into());
        }
        let receiver = Receiver::new(store.clone(), receiver_config)?;
        let merchant = Merchant::new(store, client, config.merchant_config()?)?;
        Ok(ServeState { merchant, receiver })
    }

    /// The same state reading `clock` (the receiver too).
    pub fn with_clock(mut self, clock: Clock) -> ServeState {
        self.receiver = self.receiver.with_clock(clock.clone());
        self.merchant = self.merchant.with_clock(clock);
        self
    }

    /// The merchant facade.
    pub fn merchant(&self) -> &Merchant {
        &self.merchant
    }

    /// The store.
    pub fn store(&self) -> &Store {
        self.merchant.store()
    }

    /// The Secure Link client.
    pub fn client(&self) -> &SecureLinkClient {
        self.merchant.client()
    }
}

/// The whole service as a router: INTERFACES §3's endpoints and the
/// callback path. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()`.
pub fn serve_router(state: ServeState) -> Router {
    let receiver = state.receiver.clone();
    Router::new()
        .route("/checkout", post(checkout::checkout))
        .route("/checkout/done", get(checkout::done))
        .route("/orders/{order_no}", get(orders::get_order))
        .route("/orders/{order_no}/settle", post(orders::settle))
        .route("/orders/{order_no}/cancel", post(orders::cancel))
        .route("/deadlines", get(orders::deadlines))
        .route("/healthz", get(healthz))
        .with_state(state)
        .merge(callback_router(receiver))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn healthz(State(state): State<ServeState>) -> Response {
    let store = state.store();
    match store.health().await {
        Ok(()) => Json(json!({"status": "ok", "backend": store.backend_name()})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "error": e.to_string()})),
            )
                .into_response()
        }
    }
}

/// A JSON error answer `{"error": message}`.
pub(crate) fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// A storage error as an answer: `503` when unavailable, `500` otherwise.
pub(crate) fn store_error(e: &StoreError) -> Response {
    tracing::error!(error = %e, "storage error");
    if e.is_unavailable() {
        json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
    } else {
        json_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The merchant's settings cannot work.
    #[error(transparent)]
    Merchant(#[from] zeus_carrier_merchant::ConfigError),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A bound, not yet serving, service ([`bind`]).
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    state: ServeState,
}

impl Server {
    /// The address actually bound (the real port for `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The state (store, client) the server runs with.
    pub fn state(&self) -> &ServeState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests
    /// finish and closes the store.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let store = self.state.store().clone();
        let app = serve_router(self.state);
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        store.close().await;
        tracing::info!("stopped");
        served.map_err(ServeError::Io)
    }
}

/// Opens the store, checks the configuration and binds the listen address.
pub async fn bind(config: &ServeConfig) -> Result<Server, ServeError> {
    bind_with_clock(config, Clock::system()).await
}

/// [`bind`] with a given clock.
pub async fn bind_with_clock(config: &ServeConfig, clock: Clock) -> Result<Server, ServeError> {
    // Check what needs no I/O before touching the database or the port.
    check_config(config)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    bind_listener(config, listener, clock).await
}

/// Like [`bind_with_clock`], on a listener the caller bound already
/// (`config.listen` is ignored). For embedding `serve` where its address
/// must be known before it starts, e.g. to give it to a sandbox as the CGI
/// URL.
pub async fn bind_listener(
    config: &ServeConfig,
    listener: TcpListener,
    clock: Clock,
) -> Result<Server, ServeError> {
    check_config(config)?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind {
        addr: config.listen,
        source,
    })?;
    let store = Store::connect(&config.db).await?;
    let state = ServeState::new(store, config)?.with_clock(clock);
    Ok(Server {
        listener,
        addr,
        state,
    })
}

fn check_config(config: &ServeConfig) -> Result<(), ServeError> {
    SecureLinkClient::new(config.client_config())?;
    config.receiver_config().check()?;
    config.merchant_config()?.check()?;
    Ok(())
}

/// Runs the service: logs to stderr (`RUST_LOG`, default `info`, when no
/// subscriber is installed yet), binds, prints `listening on
/// http://HOST:PORT` on stdout, serves until `shutdown` completes, then
/// shuts down gracefully.
pub async fn run(
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    init_stderr_logging();
    tracing::info!(config = ?config, "starting the merchant service");
    let server = bind(&config).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{}", server.local_addr())?;
    out.flush()?;
    drop(out);
    tracing::info!(addr = %server.local_addr(), "listening");
    server.serve(shutdown).await
}

/// Installs a stderr logger (`RUST_LOG`, default `info`) unless the process
/// already has a subscriber.
pub fn init_stderr_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM: the usual `shutdown`
/// argument of [`run`].
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT: shutting down"),
        () = term => tracing::info!("SIGTERM: shutting down"),
    }
}
