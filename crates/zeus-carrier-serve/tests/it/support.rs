//! Shared test helpers: a fake Secure Link gateway on 127.0.0.1:0 that
//! counts requests, test databases, fixed instants, a log capture, and
//! requests through a router without a socket.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::net::TcpListener;
use zeus_carrier_core::time::JstDateTime;

/// What the fake gateway does with each request.
#[derive(Clone)]
pub(crate) enum Behavior {
    /// Answer with this status and body.
    Reply(u16, Vec<u8>),
    /// Wait this long before answering 200 success.
    Hang(Duration),
}

/// A fake gateway: its base URL, the request count and the bodies seen.
pub(crate) struct FakeGateway {
    pub(crate) url: String,
    pub(crate) hits: Arc<AtomicUsize>,
    pub(crate) bodies: Arc<Mutex<Vec<(String, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeGateway {
    /// How many requests reached `secure.cgi`.
    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The (content-type, body) pairs received.
    pub(crate) fn bodies(&self) -> Vec<(String, String)> {
        self.bodies.lock().expect("bodies lock").clone()
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a fake gateway answering `secure.cgi` with `behavior`.
pub(crate) async fn fake_gateway(behavior: Behavior) -> FakeGateway {
    let hits = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let (h, b) = (hits.clone(), bodies.clone());
    let app = Router::new().route(
        "/cgi-bin/carrier/secure.cgi",
        post(move |headers: HeaderMap, body: Bytes| {
            let (h, b, behavior) = (h.clone(), b.clone(), behavior.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                let ct = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                b.lock()
                    .expect("bodies lock")
                    .push((ct, String::from_utf8_lossy(&body).into_owned()));
                match behavior {
                    Behavior::Reply(status, body) => {
                        (StatusCode::from_u16(status).expect("status"), body)
                    }
                    Behavior::Hang(d) => {
                        tokio::time::sleep(d).await;
                        (
                            StatusCode::OK,
                            b"result=Success_order&error_code=-".to_vec(),
                        )
                    }
                }
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("fake gateway");
    });
    FakeGateway {
        url: format!("http://{addr}"),
        hits,
        bodies,
        task,
    }
}

/// An instant in Japan time.
pub(crate) fn at(s: &str) -> JstDateTime {
    chrono::DateTime::parse_from_rfc3339(s).expect("test instant")
}

/// A log sink for `tracing_subscriber` that keeps everything written.
#[derive(Clone, Default)]
pub(crate) struct LogCapture(pub(crate) Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }

    /// A subscriber writing every level, with span fields, into this sink.
    pub(crate) fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
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

/// The IP code the tests' merchant uses.
pub(crate) const CLIENTIP: &str = "1234567890";

/// A test database: a SQLite file in a temporary directory (removed when
/// dropped).
pub(crate) struct TestDb {
    pub(crate) url: String,
    _dir: tempfile::TempDir,
}

impl TestDb {
    /// A fresh SQLite file.
    pub(crate) fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("merchant.db").display());
        TestDb { url, _dir: dir }
    }

    /// A new store (a new pool) on this database.
    pub(crate) async fn store(&self) -> zeus_carrier_store::Store {
        zeus_carrier_store::Store::connect(&self.url)
            .await
            .expect("connect store")
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

/// A `sendid`.
pub(crate) fn sid(s: &str) -> zeus_carrier_core::values::SendId {
    zeus_carrier_core::values::SendId::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// The form a shop's page posts to `POST /checkout` for `yen` yen on
/// docomo under `sendid`: the checkout the gateway's CGI calls for this
/// order are then checked against (with `--unknown-sendid flag`, the
/// default, a call without one is flagged, not applied).
pub(crate) fn checkout_form(sendid: &str, yen: u32) -> String {
    serde_urlencoded::to_string([
        ("money", yen.to_string().as_str()),
        ("carrier_type", "D"),
        ("username", "ゼウステスト_12345678"),
        ("telno", "0312345678"),
        ("sendid", sendid),
    ])
    .expect("form")
}

/// Saves the checkout `sendid` for `yen` yen on docomo in `store`
/// (what `POST /checkout` saves).
pub(crate) async fn save_checkout(store: &zeus_carrier_store::Store, sendid: &str, yen: u32) {
    store
        .save_checkout(&zeus_carrier_core::merchant::Checkout::new(
            sid(sendid),
            zeus_carrier_core::values::Money::from_yen(yen).expect("money"),
            zeus_carrier_core::Carrier::Docomo,
            at("2026-01-10T09:55:00+09:00"),
        ))
        .await
        .expect("save checkout");
}
