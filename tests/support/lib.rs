//! Shared helpers of the whole-system suites (`tests/*.rs`): test
//! databases (SQLite file or a fresh PostgreSQL database), requests through
//! a router without a socket, CGI queries, a bounded runtime, the SKIPPED
//! rule for PostgreSQL, child processes ([`process`]), the `zeus-carrier`
//! binary under test ([`bin`]) and headless Chromium ([`webdriver`]).
//!
//! Each suite imports this library as `support`
//! (`use zeus_carrier_system_tests as support;`).

pub mod bin;
pub mod process;
pub mod secret_file;
pub mod webdriver;

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};

/// The IP code of the tests' merchant (the sandbox's default), and a CGI
/// query for an order reporting a status with it.
pub use zeus_carrier_testkit::{CLIENTIP, cgi_query};

pub use zeus_carrier_store::testing::{PG_URL_VAR, skip_pg};

/// A multi-threaded runtime for one test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `f`, failing the test when it takes longer than `bound`.
pub async fn within<F: std::future::Future>(bound: Duration, f: F) -> F::Output {
    match tokio::time::timeout(bound, f).await {
        Ok(v) => v,
        Err(_) => panic!("test step exceeded {bound:?}"),
    }
}

/// A test database (one definition for every suite:
/// `zeus-carrier-testkit`): a SQLite file alone in `db/` of a temporary
/// directory, or a fresh PostgreSQL database.
pub use zeus_carrier_testkit::db::TestDb;

/// A response read whole.
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// Sends one request through `router` (no socket) as if from `peer`.
pub async fn oneshot(
    router: &axum::Router,
    peer: &str,
    method: &str,
    uri: &str,
    body: Option<(&str, Vec<u8>)>,
) -> Reply {
    let (status, body, headers) =
        zeus_carrier_testkit::router::oneshot(router, peer, method, uri, &[], body).await;
    Reply {
        status,
        headers,
        body,
    }
}

/// A plain reqwest client for loopback (no proxy), bounded per request.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// The form a shop's page posts to serve's `POST /checkout`: `yen` yen on
/// docomo under `sendid`. The gateway's CGI calls for the order are then
/// checked against this checkout; with `--unknown-sendid flag` (the
/// default, INTERFACES v3 §3) a call whose `sendid` has none is stored and
/// flagged, not applied.
pub fn checkout_form(sendid: &str, yen: u32) -> String {
    serde_urlencoded::to_string([
        ("money", yen.to_string().as_str()),
        ("carrier_type", "D"),
        ("username", "ゼウステスト_12345678"),
        ("telno", "0312345678"),
        ("sendid", sendid),
    ])
    .expect("form")
}

/// `POST {base}/checkout` with [`checkout_form`]; fails the test unless it
/// answers `200`.
pub async fn post_checkout(http: &reqwest::Client, base: &str, sendid: &str, yen: u32) {
    let r = http
        .post(format!("{base}/checkout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(checkout_form(sendid, yen))
        .send()
        .await
        .expect("checkout answers");
    let status = r.status();
    assert_eq!(
        status,
        200,
        "checkout {sendid}: {}",
        r.text().await.unwrap_or_default()
    );
}
