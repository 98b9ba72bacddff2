//! # zeus-carrier-http
//!
//! (crate docs written below once every part has landed)

pub mod client;
pub mod config;
pub mod secret;
pub mod signing;
pub mod source;

pub use client::{CallError, CancelCall, SecureLinkClient, SettleCall};
pub use config::{ClientConfig, ConfigError, ReceiverConfig};
pub use ipnet::IpNet;
pub use secret::SigningKey;
pub use signing::{sign_sendpoint, verify_sendpoint};
