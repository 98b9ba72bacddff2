//! # zeus-carrier-http
//!
//! The wire side of ZEUS carrier billing for merchants: the Secure Link
//! client (settle and cancel), what a CGI call is on the wire
//! ([`CgiCall`], [`Ack`]), the caller's address behind proxies
//! ([`source`]), signed `sendpoint`s ([`signing`]) and the clock the
//! adapters read. It moves bytes and calls the core
//! ([`zeus_carrier_core`]); it stores nothing and knows no database (the
//! CGI receiver, which records, lives with the merchant facade in
//! `zeus-carrier-merchant`). No command-line parsing, no logging
//! subscriber and no server framework live here: the crate logs through
//! `tracing` and the embedding program decides where logs go.
//!
//! | part | what it does |
//! |---|---|
//! | [`SecureLinkClient`] | settle and cancel over HTTPS (SPEC §5–§7): the core's pre-check first, one bounded POST, the core's reading of the answer; transport failures are `unknown` (R-RS-3); never retried |
//! | [`CgiCall`], [`Ack`], [`Method`] | a CGI call as a framework hands it over (peer, `X-Forwarded-For`, method, raw query or form body) and the acknowledgement |
//! | [`source`] | allowlist and trusted-proxy resolution of the caller's address (R-CG-5) |
//! | [`signing`] | optional signed `sendpoint` (a truncated HMAC-SHA256 of the order's key fields) |
//! | [`Clock`] | where the adapters read "now" (system, fixed, or any function) |
//! | [`secret_file`] | [`secret_file::read_secret_file`]: a secret read from a file after checking it (no symbolic link, owned by the process's user, not open to group or others) |
//!
//! ```no_run
//! use zeus_carrier_core::{OrderNo, settle::SettleParams};
//! use zeus_carrier_http::{ClientConfig, SecureLinkClient};
//! # fn demo(facts: zeus_carrier_core::settle::OrderFacts) -> Result<(), Box<dyn std::error::Error>> {
//! let client = SecureLinkClient::new(ClientConfig::new(
//!     "https://linkpt.cardservice.co.jp",
//!     "1234567890",
//!     zeus_carrier_core::secure_link::Zkey::new(std::env::var("ZEUS_CARRIER_ZKEY")?),
//! ))?;
//! let now = zeus_carrier_http::Clock::system().now();
//! // The core's pre-check: a request the gateway would refuse is not sent.
//! let prepared = client.prepare_settle(&facts, "A12345", SettleParams::default(), now)?;
//! # let _ = prepared; Ok(()) }
//! ```
//!
//! ## Guarantees
//!
//! - **Unknown is never failure (R-RS-3).** A Secure Link timeout, reset,
//!   non-200 answer, unreadable or oversized body is `unknown`. Settle and
//!   cancel are never retried automatically.
//! - **Secrets stay secret.** The zkey and the signing key print as `***` in
//!   every `Debug`; the zkey is only ever written into the Secure Link
//!   request body; no log line carries it.
//!
//! ## Decisions (where the spec is silent)
//!
//! Each is documented next to its code: the source address rules
//! ([`source`]) and the signed sendpoint ([`signing`]).

pub mod cgi;
pub mod client;
pub mod clock;
pub mod config;
pub mod secret;
pub mod secret_file;
pub mod signing;
pub mod source;

pub use cgi::{ANSWER_CONTENT_TYPE, Ack, BodyOverLimit, CgiCall, Method, SUCCESS_BODY};
pub use client::{CallError, CancelCall, Prepared, SecureLinkClient, Sent, SettleCall};
pub use clock::Clock;
pub use config::{ClientConfig, ConfigError};
pub use ipnet::IpNet;
pub use secret::SigningKey;
pub use signing::{sign_sendpoint, verify_sendpoint};
