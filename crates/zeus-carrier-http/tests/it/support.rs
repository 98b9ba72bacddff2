//! Shared test helpers: the workspace's scripted gateway, resetting
//! server, fixed instants and log capture (`zeus-carrier-testkit`), and a
//! server that answers with an endless chunked body.

use std::time::Duration;

use tokio::net::TcpListener;

pub(crate) use zeus_carrier_testkit::LogCapture;
pub(crate) use zeus_carrier_testkit::at;
pub(crate) use zeus_carrier_testkit::gateway::{Behavior, fake_gateway, resetting_server};

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
