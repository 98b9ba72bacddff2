//! The sandbox's error type.

use crate::config::ConfigError;

/// What can go wrong starting or driving the sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// A setting's value cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("server: {0}")]
    Serve(#[source] std::io::Error),
    /// The HTTP client for CGI calls could not be built.
    #[error("http client: {0}")]
    Http(String),
    /// No order has this number.
    #[error("no order {0:?}")]
    UnknownOrder(String),
    /// A clock change that would leave the representable range.
    #[error("clock: {0}")]
    Clock(String),
}
