//! Helpers of the receiver's tests: a test database (SQLite file or a
//! throwaway PostgreSQL database), CGI queries, requests through a router
//! without a socket, fixed instants and typed values.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use zeus_carrier_core::time::JstDateTime;
use zeus_carrier_store::testing::TempPgDatabase;

/// An instant in Japan time.
pub(crate) fn at(s: &str) -> JstDateTime {
    chrono::DateTime::parse_from_rfc3339(s).expect("test instant")
}

/// The IP code the tests' merchant uses.
pub(crate) const CLIENTIP: &str = "1234567890";

/// A test database: a SQLite file in a temporary directory, or a fresh
/// PostgreSQL database in the cluster named by `ZEUS_CARRIER_TEST_PG_URL`.
pub(crate) struct TestDb {
    pub(crate) url: String,
    pub(crate) dir: Option<tempfile::TempDir>,
    pg: Option<TempPgDatabase>,
}

impl TestDb {
    /// A fresh SQLite file.
    pub(crate) fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("merchant.db").display());
        TestDb {
            url,
            dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh PostgreSQL database; `None` with a SKIPPED line when the
    /// variable is unset, a failure when `ZEUS_CARRIER_REQUIRE_PG=1`.
    pub(crate) async fn postgres(test: &str) -> Option<TestDb> {
        let pg = TempPgDatabase::from_env(test, "zh")
            .await
            .expect("create a test database in the PostgreSQL test cluster")?;
        Some(TestDb {
            url: pg.url.clone(),
            dir: None,
            pg: Some(pg),
        })
    }

    /// A new store (a new pool) on this database.
    pub(crate) async fn store(&self) -> zeus_carrier_store::Store {
        zeus_carrier_store::Store::connect(&self.url)
            .await
            .expect("connect store")
    }

    /// Drops a PostgreSQL test database (best effort).
    pub(crate) async fn cleanup(self) {
        if let Some(pg) = self.pg {
            let _ = pg.drop_database().await;
        }
    }
}

/// A CGI query for `order_no` reporting `status`, with the merchant's IP
/// code, in the parameters' wire order.
pub(crate) fn cgi_query(order_no: &str, status: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("clientip", CLIENTIP),
        ("order_no", order_no),
        ("status", status),
    ];
    pairs.extend_from_slice(extra);
    serde_urlencoded::to_string(pairs).expect("query")
}

/// Sends one request through `router` (no socket) as if from `peer`;
/// returns the status and the body.
pub(crate) async fn oneshot(
    router: &axum::Router,
    peer: &str,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> (StatusCode, Vec<u8>, HeaderMap) {
    use tower::ServiceExt as _;
    let peer: std::net::SocketAddr = peer.parse().expect("peer");
    let mut req = axum::http::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some((ct, b)) => req
            .header("content-type", ct)
            .body(axum::body::Body::from(b)),
        None => req.body(axum::body::Body::empty()),
    }
    .expect("request");
    let app = router
        .clone()
        .layer(axum::extract::connect_info::MockConnectInfo(peer));
    let resp = tokio::time::timeout(Duration::from_secs(30), app.oneshot(req))
        .await
        .expect("answered within 30 s")
        .expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 4 * 1024 * 1024)
        .await
        .expect("body");
    (status, body.to_vec(), headers)
}

/// A GET through `router` from `peer`: status and body as text.
pub(crate) async fn get(router: &axum::Router, peer: &str, uri: &str) -> (StatusCode, String) {
    let (s, b, _) = oneshot(router, peer, "GET", uri, &[], None).await;
    (s, String::from_utf8_lossy(&b).into_owned())
}

/// An order number.
pub(crate) fn ono(s: &str) -> zeus_carrier_core::values::OrderNo {
    zeus_carrier_core::values::OrderNo::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// A `sendid`.
pub(crate) fn sid(s: &str) -> zeus_carrier_core::values::SendId {
    zeus_carrier_core::values::SendId::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}
