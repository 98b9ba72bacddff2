//! The workspace's shared test helpers, one copy for every crate's suite
//! (a dev-dependency only; nothing here ships to a shop):
//!
//! - [`gateway`]: a scripted Secure Link gateway on `127.0.0.1:0` that
//!   counts requests and keeps their bodies, and a server that resets
//!   every connection;
//! - [`router`]: one request through an axum router without a socket, as
//!   if from a given peer;
//! - [`db`]: a test database (a SQLite file, or a throwaway PostgreSQL
//!   database in the cluster `ZEUS_CARRIER_TEST_PG_URL` names);
//! - [`LogCapture`]: a `tracing` sink that keeps every line;
//! - [`at`], [`cgi_query`], [`CLIENTIP`]: fixed instants and CGI queries.

pub mod db;
pub mod gateway;
pub mod router;

use std::io::Write;
use std::sync::{Arc, Mutex};

use zeus_carrier_core::time::JstDateTime;

/// An instant in Japan time, from RFC 3339 text.
///
/// # Panics
/// If `s` is not RFC 3339.
pub fn at(s: &str) -> JstDateTime {
    chrono::DateTime::parse_from_rfc3339(s).expect("test instant")
}

/// The IP code the tests' merchant uses.
pub const CLIENTIP: &str = "1234567890";

/// A CGI query for `order_no` reporting `status`, with [`CLIENTIP`], in
/// the parameters' wire order, then `extra`.
///
/// # Panics
/// Never for text input (form encoding cannot fail on it).
pub fn cgi_query(order_no: &str, status: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("clientip", CLIENTIP),
        ("order_no", order_no),
        ("status", status),
    ];
    pairs.extend_from_slice(extra);
    serde_urlencoded::to_string(pairs).expect("query")
}

/// A log sink for `tracing_subscriber` that keeps everything written.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }

    /// A subscriber writing every level, with span fields, into this sink.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let sink = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish()
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
