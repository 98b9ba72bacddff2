//! Stand-ins for the gateway's Secure Link endpoint: a scripted one that
//! answers every request the same way, and one that resets every
//! connection. (The offline gateway with its rules is
//! `zeus-carrier-sandbox`; these script the wire.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::net::TcpListener;

/// The Secure Link path the stand-ins answer on.
pub const SECURE_PATH: &str = "/cgi-bin/carrier/secure.cgi";

/// What the scripted gateway does with each request.
#[derive(Clone, Debug)]
pub enum Behavior {
    /// Answer with this status and body.
    Reply(u16, Vec<u8>),
    /// Wait this long, then answer 200 `result=Success_order`.
    Hang(Duration),
}

/// A scripted gateway: its base URL, the request count and the bodies
/// seen. Stops when dropped.
pub struct FakeGateway {
    /// `http://127.0.0.1:PORT`, without the Secure Link path.
    pub url: String,
    hits: Arc<AtomicUsize>,
    bodies: Arc<Mutex<Vec<(String, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeGateway {
    /// How many requests reached [`SECURE_PATH`].
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The (content-type, body) pairs received, in order.
    pub fn bodies(&self) -> Vec<(String, String)> {
        self.bodies.lock().expect("bodies lock").clone()
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a scripted gateway answering [`SECURE_PATH`] with `behavior`.
///
/// # Panics
/// If no loopback port can be bound.
pub async fn fake_gateway(behavior: Behavior) -> FakeGateway {
    let hits = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let (h, b) = (hits.clone(), bodies.clone());
    let app = Router::new().route(
        SECURE_PATH,
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
/// without answering. Returns its URL, the connection count and its task.
///
/// # Panics
/// If no loopback port can be bound.
pub async fn resetting_server() -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
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
