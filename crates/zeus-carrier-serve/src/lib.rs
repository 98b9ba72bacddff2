//! # zeus-carrier-serve
//!
//! `zeus-carrier serve`: the reference merchant service (INTERFACES §3):
//! flags, secrets and process concerns around the public API of
//! [`zeus_carrier_merchant`]. The merchant's one configuration is built
//! from the flags ([`ServeConfig::merchant_config`]); the public face is the
//! facade's receiver ([`zeus_carrier_merchant::callback_router_observed`])
//! plus the checkout page, and the operator face is the facade's
//! operator router ([`zeus_carrier_merchant::Merchant::operator_router_with`])
//! plus `/metrics`. A merchant can run it as it is (the CLI's `serve`
//! command) or copy it: it uses no private helper of the libraries below
//! it.
//!
//! # Two faces
//! | face | address | routes | who reaches it |
//! |---|---|---|---|
//! | public ([`serve_router`]) | `--listen` [127.0.0.1:8932] | the CGI callback (GET, POST; HEAD records nothing), `POST /checkout`, `GET /checkout/done`, `GET /healthz` | the gateway and shoppers: expose it (through a TLS proxy) |
//! | operator ([`operator_router`]) | `--operator-listen` [127.0.0.1:8933] | `GET /orders/{order_no}`, `POST /orders/{order_no}/settle\|cancel`, `GET /deadlines`, `GET /metrics`; the operator page (`/login`, `/`, `/ui/orders/…`, docs/STAFF_PAGE.md) | the merchant's staff and systems, with `Authorization: Bearer TOKEN` (the page: signed in with the token, a session cookie): keep it inside |
//!
//! The public face answers `404` on every operator path; the operator face
//! answers `401` (and says nothing else) to a request without the token.
//! Both are served by [`serve_bounded`] within [`ServeLimits`]: a
//! header-read timeout, a request timeout, a connection bound and a
//! bounded shutdown.
//!
//! # Secrets
//! The zkey, the signing key, the operator token and a database password
//! never appear in the service's output, its errors, `Debug` or its
//! answers ([`secrets`], [`redact_url_password`]).
//!
//! [`bind`] opens the store and binds both faces; [`run`] also prints
//! `listening on http://HOST:PORT` and `operator api on http://HOST:PORT`
//! on stdout, logs to stderr and shuts down within the limits (every
//! acknowledged notification was committed before its `successok`).

pub mod checkout;
mod config;
pub mod metrics;
pub mod secrets;
mod serving;

use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::net::TcpListener;
use zeus_carrier_store::{Store, StoreError};

pub use config::{FlagError, ServeArgs, ServeConfig, redact_url_password};
pub use metrics::Metrics;
pub use secrets::{OperatorToken, SecretError};
pub use serving::{ServeLimits, serve_bounded};

use zeus_carrier_http::{Clock, SecureLinkClient};
use zeus_carrier_merchant::operator::json::{error as json_error, store_error};
use zeus_carrier_merchant::{Merchant, MerchantConfig, callback_router_observed};

/// The path of the Link Point endpoint on the gateway's host (SPEC §1).
pub use zeus_carrier_core::link_point::ORDER_CGI_PATH;

/// The largest request body the service reads (checkout forms and settle
/// requests are far smaller).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The paths the service answers besides the callback path; the callback
/// path may not be one of them.
const RESERVED_PATHS: &[&str] = &[
    "/checkout",
    "/checkout/done",
    "/deadlines",
    "/healthz",
    "/metrics",
];

/// What the service's handlers share: the merchant facade (its receiver
/// and operator router come from it) and the metrics. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ServeState {
    merchant: Merchant,
    metrics: Metrics,
}

impl ServeState {
    /// The merchant facade over `store`, built from the one configuration
    /// of `config` reading `clock`.
    pub fn new(store: Store, config: &ServeConfig, clock: Clock) -> Result<ServeState, ServeError> {
        let merchant =
            Merchant::new(store, serve_merchant_config(config, clock)?).map_err(FlagError::from)?;
        Ok(ServeState {
            merchant,
            metrics: Metrics::new(),
        })
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

    /// The metrics `GET /metrics` shows.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// The public face as a router: the callback path (CGI calls counted in
/// [`ServeState::metrics`]), `POST /checkout`, `GET /checkout/done` and
/// `GET /healthz`. Every other path, the operator paths included, is
/// `404`. Serve it with [`serve_bounded`] (or
/// `into_make_service_with_connect_info::<SocketAddr>()`).
pub fn serve_router(state: ServeState) -> Router {
    let callback = callback_router_observed(state.merchant.receiver(), state.metrics.clone());
    Router::new()
        .route("/checkout", post(checkout::checkout))
        .route("/checkout/done", get(checkout::done))
        .route("/healthz", get(healthz))
        .with_state(state)
        .merge(callback)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The operator face as a router: the facade's operator router
/// ([`Merchant::operator_router_with`]: orders, settle, cancel, deadlines,
/// behind `token`) with `GET /metrics` behind the same token, and the
/// operator page ([`Merchant::staff_router_with`]: `/login`, `/logout`,
/// `/`, `/ui/…`, signed in with the same token, a session cookie).
pub fn operator_router(state: ServeState, token: &OperatorToken) -> Result<Router, ServeError> {
    let bearer = zeus_carrier_merchant::OperatorToken::new(token.expose_secret())
        .map_err(|_| ServeError::NoOperatorToken)?;
    let metrics = Router::new()
        .route("/metrics", get(metrics_page))
        .with_state(state.metrics.clone());
    // The operator page (sign-in with the same token, a session cookie)
    // beside the bearer-protected JSON API, which answers every other path.
    let page = state.merchant.staff_router_with(
        bearer.clone(),
        zeus_carrier_merchant::operator::staff::StaffSettings::default(),
        state.metrics.clone(),
    );
    Ok(page.merge(
        state
            .merchant
            .operator_router_with(bearer, state.metrics.clone(), metrics),
    ))
}

/// `GET /metrics`: the Prometheus text format, or OpenMetrics when the
/// scraper's `Accept` asks for it.
async fn metrics_page(State(metrics): State<Metrics>, headers: HeaderMap) -> Response {
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let format = metrics::Format::for_accept(accept);
    (
        [(CONTENT_TYPE, format.content_type())],
        metrics.render_as(format),
    )
        .into_response()
}

/// `GET /healthz`: `200` when the store answers, else `503`. The store's
/// error goes to the log, not to whoever asked (this is the public face).
async fn healthz(State(state): State<ServeState>) -> Response {
    let store = state.store();
    match store.health().await {
        Ok(()) => Json(json!({"status": "ok", "backend": store.backend_name()})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

/// Why the service could not start or stopped with an error. No message
/// shows a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration cannot work: the flag and the rule.
    #[error(transparent)]
    Config(#[from] FlagError),
    /// A secret is missing, malformed or unreadable.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// No operator token was configured ([`ServeConfig::operator_token`]).
    #[error(
        "no operator token: set ZEUS_CARRIER_OPERATOR_TOKEN or give --operator-token-file PATH"
    )]
    NoOperatorToken,
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

/// A bound, not yet serving, service ([`bind`]): both faces' listeners.
#[derive(Debug)]
pub struct Server {
    public: TcpListener,
    public_addr: SocketAddr,
    operator: TcpListener,
    operator_addr: SocketAddr,
    token: OperatorToken,
    limits: ServeLimits,
    state: ServeState,
}

impl Server {
    /// The public face's address (the real port for `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.public_addr
    }

    /// The operator face's address (the real port for `:0`).
    pub fn operator_addr(&self) -> SocketAddr {
        self.operator_addr
    }

    /// The state (store, client, metrics) the server runs with.
    pub fn state(&self) -> &ServeState {
        &self.state
    }

    /// Serves both faces until `shutdown` completes, then stops within
    /// [`ServeLimits::shutdown_grace`] (in-flight requests get the grace,
    /// then their connections are dropped) and closes the store.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let store = self.state.store().clone();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let trigger = async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        };
        let public = serve_bounded(
            self.public,
            serve_router(self.state.clone()),
            self.limits,
            stopped(stop_rx.clone()),
        );
        let operator = serve_bounded(
            self.operator,
            operator_router(self.state, &self.token)?,
            self.limits,
            stopped(stop_rx),
        );
        let ((), public, operator) = tokio::join!(trigger, public, operator);
        store.close().await;
        tracing::info!("stopped");
        public.and(operator).map_err(ServeError::Io)
    }
}

/// Opens the store, checks the configuration and binds both faces.
/// Needs [`ServeConfig::operator_token`].
pub async fn bind(config: &ServeConfig) -> Result<Server, ServeError> {
    bind_with_clock(config, Clock::system()).await
}

/// [`bind`] with a given clock.
pub async fn bind_with_clock(config: &ServeConfig, clock: Clock) -> Result<Server, ServeError> {
    // Check what needs no I/O before touching the database or the ports.
    check_config(config)?;
    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })
    };
    let public = bind(config.listen).await?;
    let operator = bind(config.operator_listen).await?;
    bind_listeners(config, public, operator, clock).await
}

/// Like [`bind_with_clock`], on listeners the caller bound already (the
/// public face's, then the operator face's; `config.listen` and
/// `config.operator_listen` are ignored). For embedding `serve` where its
/// address must be known before it starts, e.g. to give it to a sandbox as
/// the CGI URL.
pub async fn bind_listeners(
    config: &ServeConfig,
    public: TcpListener,
    operator: TcpListener,
    clock: Clock,
) -> Result<Server, ServeError> {
    check_config(config)?;
    let token = config
        .operator_token
        .clone()
        .ok_or(ServeError::NoOperatorToken)?;
    let addr_of = |l: &TcpListener, addr: SocketAddr| {
        l.local_addr()
            .map_err(|source| ServeError::Bind { addr, source })
    };
    let public_addr = addr_of(&public, config.listen)?;
    let operator_addr = addr_of(&operator, config.operator_listen)?;
    let store = Store::connect(&config.db).await?;
    let state = ServeState::new(store, config, clock)?;
    Ok(Server {
        public,
        public_addr,
        operator,
        operator_addr,
        token,
        limits: config.limits,
        state,
    })
}

/// The merchant configuration of `config`, with serve's own rule: the
/// callback path may not be one of serve's other paths.
fn serve_merchant_config(config: &ServeConfig, clock: Clock) -> Result<MerchantConfig, ServeError> {
    let merchant = config.merchant_config(clock)?;
    let path = merchant.callback_path();
    if RESERVED_PATHS.contains(&path) || path.starts_with("/orders") {
        return Err(
            FlagError::from(zeus_carrier_merchant::ConfigError::CallbackPath {
                path: path.to_owned(),
            })
            .into(),
        );
    }
    Ok(merchant)
}

/// Everything checked before the database or a port is touched.
fn check_config(config: &ServeConfig) -> Result<(), ServeError> {
    let merchant = serve_merchant_config(config, Clock::system())?;
    SecureLinkClient::new(merchant.client_config())
        .map_err(|e| FlagError::from(zeus_carrier_merchant::ConfigError::Client(e)))?;
    if config.operator_token.is_none() {
        return Err(ServeError::NoOperatorToken);
    }
    Ok(())
}

/// Runs the service: logs to stderr (`RUST_LOG`, default `info`, when no
/// subscriber is installed yet), binds both faces, prints `listening on
/// http://HOST:PORT` (public) and `operator api on http://HOST:PORT` on
/// stdout, serves until `shutdown` completes, then shuts down within the
/// limits.
///
/// With no operator token configured, the token is read from the file of
/// [`secrets::default_token_path`] (next to an SQLite database, else in
/// the working directory), generated there with mode 0600 if absent; the
/// file's path is printed (`operator token file: PATH`), never the token.
pub async fn run(
    mut config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    init_stderr_logging();
    tracing::info!(config = ?config, "starting the merchant service");
    // A configuration that cannot work stops serve before anything is
    // written (no token file generated for a service that never starts).
    serve_merchant_config(&config, Clock::system())?;
    let mut token_file = None;
    if config.operator_token.is_none() {
        let path = secrets::default_token_path(&config.db);
        let (token, how) = OperatorToken::load_or_generate(&path)?;
        tracing::info!(path = %path.display(), ?how, "operator token file");
        config.operator_token = Some(token);
        token_file = Some(path);
    }
    let server = bind(&config).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{}", server.local_addr())?;
    writeln!(out, "operator api on http://{}", server.operator_addr())?;
    if let Some(path) = token_file {
        writeln!(out, "operator token file: {}", path.display())?;
    }
    out.flush()?;
    drop(out);
    tracing::info!(
        public = %server.local_addr(),
        operator = %server.operator_addr(),
        "listening"
    );
    server.serve(shutdown).await
}

/// The log filter: `RUST_LOG` (default `default`), with the database
/// driver's connect-option warnings (which quote option values, e.g. a
/// misspelt `PassWord=` parameter) kept out.
pub fn log_filter(default: &str) -> tracing_subscriber::EnvFilter {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    match "sqlx_postgres::options=error".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}

/// Installs a stderr logger (`RUST_LOG`, default `info`) unless the process
/// already has a subscriber.
pub fn init_stderr_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(log_filter("info"))
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
