//! Shared test helpers: a fake Secure Link gateway on 127.0.0.1:0 that
//! counts requests, a server that resets connections, fixed instants, and a
//! log capture.

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

/// A server that accepts, reads the request, and closes the connection
/// without answering. Returns its URL and the connection count.
pub(crate) async fn resetting_server() -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    use tokio::io::AsyncReadExt;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 1024];
            let _ = tokio::time::timeout(Duration::from_secs(2), sock.read(&mut buf)).await;
            drop(sock);
        }
    });
    (format!("http://{addr}"), count, task)
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

/// A raw HTTP server that answers 200 with a chunked body of `chunks` ×
/// 8 KiB (no Content-Length), for the client's size bound.
pub(crate) async fn chunked_server(chunks: usize) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_secs(2), sock.read(&mut buf)).await;
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
            if sock.write_all(head).await.is_err() {
                continue;
            }
            let chunk = format!("2000\r\n{}\r\n", "x".repeat(0x2000));
            for _ in 0..chunks {
                if sock.write_all(chunk.as_bytes()).await.is_err() {
                    break;
                }
            }
            let _ = sock.write_all(b"0\r\n\r\n").await;
        }
    });
    (format!("http://{addr}"), task)
}
