//! # zeus-carrier-http
//!
//! The merchant side of ZEUS carrier billing as a library: the Secure Link
//! client and the CGI receiver. They move bytes and call the core
//! ([`zeus_carrier_core`]) and the store ([`zeus_carrier_store`]); they
//! decide nothing the core owns. No command-line parsing and no logging
//! subscriber live here: the crate logs through `tracing` and the
//! embedding program decides where logs go. The reference merchant service
//! built on this API is the `zeus-carrier-serve` crate.
//!
//! | part | what it does |
//! |---|---|
//! | [`SecureLinkClient`] | settle and cancel over HTTPS (SPEC §5–§7): the core's pre-check first, one bounded POST, the core's reading of the answer; transport failures are `unknown` (R-RS-3); never retried |
//! | [`Receiver`] | the CGI receiver (SPEC §9) as one framework-neutral async function, [`Receiver::receive`]: allowlist, trusted proxies, parsing through the core, signature and integrity checks, `successok` only after the store committed |
//! | `callback_router` | the receiver as an axum `Router` (feature `axum`); `callback_router_observed` also tells a `CallbackObserver` each result (metrics) |
//! | [`signing`] | optional signed `sendpoint` (a truncated HMAC-SHA256 of the order's key fields) |
//! | [`secret_file`] | [`secret_file::read_secret_file`]: a secret read from a file after checking it (no symbolic link, owned by the process's user, not open to group or others) |
//!
//! ## Feature flags
//!
//! - `axum` (default): `callback_router`, the axum adapter of the receiver.
//!   Without it the crate depends on no HTTP server framework.
//!
//! ## Embedding the receiver
//!
//! In any framework: build a [`CgiCall`] from the request and answer what
//! [`Receiver::receive`] returns (see [`receiver`]; `examples/receiver_hyper.rs`
//! and `examples/receiver_actix.rs`). In axum (`examples/axum_shop.rs`):
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::net::SocketAddr;
//! use zeus_carrier_http::{Receiver, ReceiverConfig, callback_router};
//! let store = zeus_carrier_store::Store::connect("sqlite://merchant.db").await?;
//! let mut config = ReceiverConfig::new("1234567890");
//! config.allow = vec!["192.0.2.0/28".parse()?]; // the gateway's addresses, from the merchant's contract
//! let app = axum::Router::new() // the merchant's own routes …
//!     .merge(callback_router(Receiver::new(store, config)?));
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! // ConnectInfo is required: without it every call is refused with 403.
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
//! # Ok(()) }
//! ```
//!
//! No gateway address ships with this crate (D-8): the allowlist defaults to
//! loopback only, and the merchant configures the addresses the gateway
//! gave them.
//!
//! ## Guarantees
//!
//! - **`successok` only after commit (R-CG-1).** The receiver answers
//!   `200 successok` only after [`zeus_carrier_store::Store::record_notification`]
//!   returned `Ok`, which it does only after its transaction committed. Every
//!   other path (403, 413, 414, 415, 400, 503, 500) answers a body starting
//!   with `error:`, so the gateway reports the failure and can resend.
//! - **Idempotent, never backwards (R-CG-3, R-CG-4).** Decided by the core's
//!   `merchant::on_notification` inside the store's per-order transaction: any
//!   number of deliveries of one notification, concurrent or not, across
//!   processes sharing one PostgreSQL database, move the order once.
//! - **Outbox: at-least-once delivery; deduplicate by id.** Every accepted
//!   transition (a CGI call that created or advanced an order; a step of a
//!   settle or cancel) writes one outbox event, carrying the order's
//!   `sendid`, in the same transaction as the transition; duplicates, stale
//!   and flagged calls write none. The embedding service polls
//!   [`zeus_carrier_store::Store::poll_outbox`], handles each event and then
//!   acknowledges it with [`zeus_carrier_store::Store::ack_outbox`]. An
//!   event is returned until acknowledged, so a crash between handling and
//!   acknowledging shows it again: the consumer deduplicates by the event's
//!   `id`, which is unique per transition.
//! - **Unknown is never failure (R-RS-3).** A Secure Link timeout, reset,
//!   non-200 answer, unreadable or oversized body is `unknown`: the order's
//!   status is left as it is and the order is marked for reconciliation.
//!   Settle and cancel are never retried automatically.
//! - **Secrets stay secret.** The zkey and the signing key print as `***` in
//!   every `Debug`; the zkey is only ever written into the Secure Link
//!   request body; no log line carries it.
//!
//! ## Decisions (where the spec is silent)
//!
//! Each is documented next to its code: the receiver's order of checks and
//! its answers ([`receiver`]), the source address rules ([`source`]) and the
//! signed sendpoint ([`signing`]). The integrity check against the saved
//! checkout is the core's merchant model
//! ([`zeus_carrier_core::merchant::on_notification`]), run by the store.

pub mod client;
pub mod clock;
pub mod config;
pub mod receiver;
pub mod secret;
pub mod secret_file;
pub mod signing;
pub mod source;

pub use client::{CallError, CancelCall, Prepared, SecureLinkClient, Sent, SettleCall};
pub use clock::Clock;
pub use config::{ClientConfig, ConfigError, ReceiverConfig};
pub use ipnet::IpNet;
pub use receiver::{
    Ack, CallbackRejection, CgiCall, Method, Receiver, ReceiverState, RejectionReason,
};
#[cfg(feature = "axum")]
pub use receiver::{CallbackObserver, callback_router, callback_router_observed};
pub use secret::SigningKey;
pub use signing::{sign_sendpoint, verify_sendpoint};
