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
//! Configured by one builder ([`Sandbox::builder`] /
//! [`SandboxConfig::builder`]); the library knows no command line (the
//! CLI crate reads the flags into the builder). Three ways to run it:
//! - [`Sandbox::builder`]`…`[`start()`](SandboxBuilder::start): a test
//!   fixture in-process on `127.0.0.1:0`, with its URL, its clock, typed
//!   inspection and the shopper's actions over HTTP; stops on drop (shops'
//!   own suites, the demo);
//! - [`run`]: bind the configured address, print `listening on
//!   http://HOST:PORT`, serve until a shutdown future completes (the
//!   `zeus-carrier sandbox` command);
//! - [`router`]: the bare `axum::Router` (tests with `oneshot`).
//!
//! Decisions where the spec is silent are in `docs/SANDBOX.md`.

mod clock;
mod config;
pub mod control;
mod delivery;
mod engine;
mod error;
mod fixture;
mod flags;
mod html_form;
mod http;
mod inspect;
mod mail;
mod pages;
mod rules;
mod state;
mod views;

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;

pub use clock::Clock;
pub use config::{
    ALL_CGI_PARAMS, CgiMethod, CgiTarget, ConfigError, DEFAULT_CGI_ANSWER_WAIT, DEFAULT_CLIENTIP,
    DEFAULT_LISTEN, DEFAULT_MAIL_TO, DEFAULT_TEST_ID, DEFAULT_ZKEY, MailSettings, SandboxBuilder,
    SandboxConfig, Setting,
};
pub use delivery::CgiJob;
pub use engine::{DECLINE, DECLINE_ERROR_CODE, Decision};
pub use error::SandboxError;
pub use fixture::{
    FormViolation, ORDER_CGI_PATH, PaymentPage, SECURE_CGI_PATH, Sandbox, ShopperError,
};
pub use flags::{FlagsError, parse_secs};
pub use http::router;
pub use inspect::GatewayOrder;
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

/// Runs the sandbox on [`SandboxConfig::listen`] until `shutdown` completes: prints
/// `listening on http://HOST:PORT` on stdout once it accepts connections
/// (the real port with `:0`), then serves; in-flight requests finish before
/// it returns.
pub async fn run(
    config: SandboxConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SandboxError> {
    let addr = config.listen().to_owned();
    let state = SandboxState::new(config)?;
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(SandboxError::Serve)?;
    println!("listening on http://{local}");
    tracing::info!(%local, config = ?state.config(), "sandbox gateway started");
    serve(listener, state, shutdown).await
}

pub(crate) async fn serve(
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
