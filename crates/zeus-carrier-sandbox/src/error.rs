//! The sandbox's error type.

use zeus_carrier_core::callback::CgiParamListError;

/// What can go wrong starting or driving the sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// A flag's value cannot be used.
    #[error("{flag}: {reason}")]
    Config {
        /// The flag.
        flag: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// `--cgi-params` names something that is not a CGI parameter.
    #[error("--cgi-params: {0}")]
    CgiParams(#[from] CgiParamListError),
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
