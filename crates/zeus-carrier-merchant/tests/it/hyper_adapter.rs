//! The receiver on plain hyper 1.x through `Receiver::answer_http`, the
//! `http::Request` adapter (issue 16 item 6): a real socket, the peer
//! from `accept`, and everything an adapter must get right — path, method
//! (`405` with `Allow`), body bound (`413`), content type, `X-Forwarded-For`
//! — answered by the library (SPEC §9, R-CG-1 … R-CG-5, INTERFACES §3).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use zeus_carrier_core::Status;
use zeus_carrier_merchant::Receiver;

use crate::cgi_support::{TestDb, cgi_query, ono};
use crate::receiver::{config_with, save_checkout};

const PATH: &str = "/zeus/carrier/callback";
const FORM: &str = "application/x-www-form-urlencoded";

/// What a hyper shop writes: read the body up to the bound (+1), hand the
/// request to the receiver.
async fn handle(
    receiver: Receiver,
    peer: IpAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let limit = receiver.max_body_bytes() + 1;
    let body = Limited::new(body, limit)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_else(|_| Bytes::from(vec![0; limit]));
    let answer = receiver
        .answer_http(Some(peer), &Request::from_parts(parts, body))
        .await;
    Ok(answer.map(|b| Full::new(Bytes::from(b))))
}

/// Serves `receiver` on hyper at 127.0.0.1:0.
async fn serve(receiver: Receiver) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                return;
            };
            let receiver = receiver.clone();
            tokio::spawn(async move {
                let service = service_fn(move |r| handle(receiver.clone(), peer.ip(), r));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, task)
}

#[tokio::test]
async fn issue_16_the_http_request_adapter_serves_the_receiver_on_hyper() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    save_checkout(&store, "S-HY", 1000).await;
    let receiver = Receiver::new(store.clone(), config_with(|b| b.max_body_bytes(1024)));
    let (addr, task) = serve(receiver).await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let base = format!("http://{addr}");
    let q = |status: &str| {
        cgi_query(
            "ORD-HY",
            status,
            &[("money", "1000"), ("carrier_type", "D"), ("sendid", "S-HY")],
        )
    };
    // R-CG-1: GET, recorded, then answered successok as text/plain.
    let r = http
        .get(format!("{base}{PATH}?{}", q("03")))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"text/plain; charset=utf-8"[..])
    );
    assert_eq!(r.text().await.expect("body"), "successok");
    let o = store
        .get_order(&ono("ORD-HY"))
        .await
        .expect("read")
        .expect("applied");
    assert_eq!(o.status(), Status::Authorized);
    // CGI by POST: the form body is the call.
    let r = http
        .post(format!("{base}{PATH}"))
        .header("content-type", FORM)
        .body(q("07"))
        .send()
        .await
        .expect("POST");
    assert_eq!(
        (r.status().as_u16(), r.text().await.expect("body")),
        (200, "successok".to_owned())
    );
    let o = store
        .get_order(&ono("ORD-HY"))
        .await
        .expect("read")
        .expect("order");
    assert_eq!(o.status(), Status::Completed);
    // Another method: 405 with Allow; another path: 404; HEAD: 200, nothing.
    let r = http
        .put(format!("{base}{PATH}?{}", q("08")))
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.headers().get("allow").map(|v| v.as_bytes()),
        Some(&b"GET, POST, HEAD"[..])
    );
    let r = http
        .get(format!("{base}/elsewhere?{}", q("08")))
        .send()
        .await
        .expect("GET elsewhere");
    assert_eq!(r.status(), 404);
    let r = http
        .head(format!("{base}{PATH}?{}", q("08")))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(r.status(), 200);
    // A body over the configured bound: 413; another content type: 415.
    let r = http
        .post(format!("{base}{PATH}"))
        .header("content-type", FORM)
        .body(format!("{}&username={}", q("08"), "x".repeat(2000)))
        .send()
        .await
        .expect("big POST");
    assert_eq!(r.status(), 413);
    let r = http
        .post(format!("{base}{PATH}"))
        .header("content-type", "application/json")
        .body(q("08"))
        .send()
        .await
        .expect("JSON POST");
    assert_eq!(r.status(), 415);
    // X-Forwarded-For from an untrusted peer does not count: a loopback
    // peer claiming an outside address is still the loopback peer…
    let r = http
        .get(format!("{base}{PATH}?{}", q("08")))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("XFF");
    assert_eq!(r.status(), 200, "the socket peer (loopback) is the source");
    let o = store
        .get_order(&ono("ORD-HY"))
        .await
        .expect("read")
        .expect("order");
    assert_eq!(
        o.status(),
        Status::Cancelled,
        "08 applied; nothing else moved it"
    );
    // …and a receiver whose allowlist lacks loopback refuses it whatever
    // the header says (R-CG-5).
    let strict = Receiver::new(
        store.clone(),
        config_with(|b| b.allow(["192.0.2.0/28".parse().expect("net")])),
    );
    let (strict_addr, strict_task) = serve(strict).await;
    let r = http
        .get(format!("http://{strict_addr}{PATH}?{}", q("09")))
        .header("x-forwarded-for", "192.0.2.1")
        .send()
        .await
        .expect("strict");
    assert_eq!(r.status(), 403);
    assert!(!r.text().await.expect("body").starts_with("successok"));
    task.abort();
    strict_task.abort();
    store.close().await;
}
