//! # zeus-carrier-http
//!
//! (crate docs written below once every part has landed)

pub mod client;
pub mod clock;
pub mod config;
pub mod integrity;
pub mod operation;
pub mod receiver;
pub mod secret;
pub mod serve;
pub mod signing;
pub mod source;

pub use client::{CallError, CancelCall, SecureLinkClient, SettleCall};
pub use clock::Clock;
pub use config::{ClientConfig, ConfigError, ReceiverConfig};
pub use ipnet::IpNet;
pub use receiver::{CallbackRejection, ReceiverState, callback_router};
pub use secret::SigningKey;
pub use serve::{ServeConfig, ServeError, ServeState, run, serve_router};
pub use signing::{sign_sendpoint, verify_sendpoint};
