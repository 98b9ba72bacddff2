//! # zeus-carrier-sandbox
//!
//! An offline stand-in for the ZEUS carrier-billing gateway (INTERFACES.md
//! §2), so a merchant can test at any hour: Link Point `order.cgi` with a
//! payment test page, Secure Link `secure.cgi` (settle, cancel), CGI calls
//! with the gateway's timeout and retry policy, notification mails, a
//! test clock and the management screen (売上管理画面).
//!
//! **Architecture invariant.** The sandbox holds state and time; every
//! decision is the core's ([`zeus_carrier_core`]): validation, test mode,
//! transitions, Secure Link answers, CGI parameters and judgement, mail
//! texts. This crate stores, schedules and speaks HTTP.
//!
//! Three ways to run it:
//! - [`run`]: bind `--listen`, print `listening on http://HOST:PORT`, serve
//!   until a shutdown future completes (the `zeus-carrier sandbox` command);
//! - [`Sandbox::spawn`]: in-process on `127.0.0.1:0`, with its base URL,
//!   clock and state (the demo and tests);
//! - [`router`]: the bare `axum::Router` (tests with `oneshot`).
//!
//! Decisions where the spec is silent are in `docs/SANDBOX.md`.

mod clock;
mod config;
pub mod control;
mod delivery;
mod engine;
mod error;
mod http;
mod mail;
mod pages;
mod rules;
mod state;
mod views;

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zeus_carrier_core::JstDateTime;

pub use clock::Clock;
pub use config::{ALL_CGI_PARAMS, CgiMethod, CharsetArg, ModeArg, SandboxConfig};
pub use delivery::CgiJob;
pub use engine::{DECLINE, DECLINE_ERROR_CODE, Decision};
pub use error::SandboxError;
pub use http::router;
pub use mail::{MAIL_FROM, MailDraft, eml_file_name, to_eml};
pub use state::{
    BackLink, CarrierOutcome, CgiAttempt, MailRecord, OrderRecord, SandboxState, ScreenResult,
    Settings,
};
pub use views::{CgiView, ClockView, HistoryView, MailView, OrderView, SettingsView, rfc3339};

/// The header that carries a new order's number on `order.cgi`'s `303`
/// (lower case, as HTTP/2 and axum spell header names).
pub const ORDER_NO_HEADER: &str = "x-sandbox-order-no";

/// How often a real clock is checked for reservations that came due, besides
/// every request.
pub const DUE_CHECK_INTERVAL: Duration = Duration::from_secs(30);

/// Runs the sandbox on `config.listen` until `shutdown` completes: prints
/// `listening on http://HOST:PORT` on stdout once it accepts connections
/// (the real port with `:0`), then serves; in-flight requests finish before
/// it returns.
pub async fn run(
    config: SandboxConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SandboxError> {
    let addr = config.listen.clone();
    let state = SandboxState::new(config)?;
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(SandboxError::Serve)?;
    println!("listening on http://{local}");
    tracing::info!(%local, config = ?state.config(), "sandbox gateway started");
    serve(listener, state, shutdown).await
}

async fn serve(
    listener: TcpListener,
    state: SandboxState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SandboxError> {
    let ticker = tokio::spawn(due_ticker(state.clone()));
    let result = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(SandboxError::Serve);
    ticker.abort();
    result
}

/// Settles due reservations periodically while the clock is real.
async fn due_ticker(state: SandboxState) {
    let mut interval = tokio::time::interval(DUE_CHECK_INTERVAL);
    loop {
        interval.tick().await;
        if !state.clock().is_frozen() {
            engine::run_due(&state).await;
        }
    }
}

/// A sandbox running in-process on `127.0.0.1:<free port>`, for the demo
/// and tests. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    base_url: String,
    state: SandboxState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), SandboxError>>>,
}

impl Sandbox {
    /// Starts a sandbox with `config` on `127.0.0.1:0` (`config.listen` is
    /// ignored). Prints nothing.
    pub async fn spawn(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let state = SandboxState::new(config)?;
        let addr = "127.0.0.1:0";
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: addr.to_owned(),
                source,
            })?;
        let local = listener.local_addr().map_err(SandboxError::Serve)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Ok(Sandbox {
            base_url: format!("http://{local}"),
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL of the sandbox's `order.cgi`, for a merchant's
    /// `--gateway-url` (its base is [`Sandbox::base_url`]).
    pub fn order_cgi_url(&self) -> String {
        format!("{}/cgi-bin/carrier/order.cgi", self.base_url)
    }

    /// The state: orders, mails, CGI attempts, configuration.
    pub fn state(&self) -> &SandboxState {
        &self.state
    }

    /// The sandbox's now.
    pub fn now(&self) -> JstDateTime {
        self.state.now()
    }

    /// Freezes the clock at `at` and settles what came due (as
    /// `POST /_sandbox/clock` with `now`).
    pub async fn set_now(&self, at: JstDateTime) -> JstDateTime {
        let t = self.state.clock().set(at);
        engine::run_due(&self.state).await;
        t
    }

    /// Moves the clock by `secs` and settles what came due (as
    /// `POST /_sandbox/clock` with `advance_secs`).
    pub async fn advance_secs(&self, secs: i64) -> Result<JstDateTime, SandboxError> {
        let t =
            self.state.clock().advance(secs).ok_or_else(|| {
                SandboxError::Clock(format!("advance_secs {secs} is out of range"))
            })?;
        engine::run_due(&self.state).await;
        Ok(t)
    }

    /// Stops the server and waits for in-flight requests.
    pub async fn shutdown(mut self) -> Result<(), SandboxError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| SandboxError::Serve(std::io::Error::other(e)))?,
            None => Ok(()),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
