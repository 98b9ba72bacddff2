//! The two faces over real loopback sockets (INTERFACES §3 v2): the
//! operator face's bearer token and JSON-only rule, operator paths absent
//! from the public face, HEAD and flagged-first reconciliation, metrics,
//! stalled clients, the connection bound and the bounded shutdown.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use zeus_carrier_core::Charset;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_http::Clock;
use zeus_carrier_serve::{OperatorToken, ServeConfig, ServeError, ServeLimits, bind_with_clock};

use crate::serve::{TOKEN, ZKEY};
use crate::support::{Behavior, CLIENTIP, TestDb, at, cgi_query, checkout_form, fake_gateway};

/// A running service: both faces' `HOST:PORT`, a stop trigger, the task.
struct Running {
    public: String,
    operator: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Running {
    async fn start(db: &TestDb, gateway: &str, limits: ServeLimits) -> Running {
        let mut cfg = ServeConfig::new(CLIENTIP, Zkey::new(ZKEY));
        cfg.listen = "127.0.0.1:0".parse().expect("addr");
        cfg.operator_listen = "127.0.0.1:0".parse().expect("addr");
        cfg.operator_token = Some(OperatorToken::new(TOKEN).expect("token"));
        cfg.db = db.url.clone();
        cfg.gateway_url = gateway.to_owned();
        cfg.charset = Charset::Utf8;
        cfg.limits = limits;
        let server = bind_with_clock(&cfg, Clock::fixed(at("2026-01-10T10:00:00+09:00")))
            .await
            .expect("bind");
        let public = server.local_addr().to_string();
        let operator = server.operator_addr().to_string();
        assert_ne!(public, operator);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(async move {
            let _ = rx.await;
        }));
        Running {
            public,
            operator,
            stop: Some(tx),
            task,
        }
    }

    /// Triggers shutdown; returns how long the service took to stop.
    async fn stop(mut self) -> Duration {
        let started = Instant::now();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(Duration::from_secs(20), &mut self.task)
            .await
            .expect("stopped within 20 s")
            .expect("task")
            .expect("served");
        started.elapsed()
    }
}

/// One raw HTTP/1.1 exchange (`Connection: close`): status, headers and
/// body as text.
async fn exchange(addr: &str, request: String) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut raw))
        .await
        .expect("answered within 20 s")
        .expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_owned(), body.to_owned())
}

/// A request with optional authorization, content type and body.
fn request(
    method: &str,
    addr: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<(&str, &str)>,
) -> String {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(a) = auth {
        r.push_str(&format!("Authorization: {a}\r\n"));
    }
    match body {
        Some((ct, b)) => {
            r.push_str(&format!(
                "Content-Type: {ct}\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ));
        }
        None => r.push_str("\r\n"),
    }
    r
}

/// `POST /checkout` on the public face for `yen` yen under `sendid`: the
/// checkout the order's CGI calls are checked against.
async fn checkout(public: &str, sendid: &str, yen: u32) {
    let form = checkout_form(sendid, yen);
    let (s, _, page) = exchange(
        public,
        request(
            "POST",
            public,
            "/checkout",
            None,
            Some(("application/x-www-form-urlencoded", &form)),
        ),
    )
    .await;
    assert_eq!(s, 200, "checkout {sendid}: {page}");
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

async fn op_get(addr: &str, path: &str) -> (u16, String) {
    let (s, _, b) = exchange(addr, request("GET", addr, path, Some(&bearer()), None)).await;
    (s, b)
}

/// Waits until `addr` closes the connection `s` (read gives 0 or an
/// error); returns how long that took.
async fn closed_within(s: &mut TcpStream, bound: Duration) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(bound, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => continue, // an error answer, then the close
            Err(_) => panic!("connection still open after {bound:?}"),
        }
    }
}

fn quick_limits() -> ServeLimits {
    let mut l = ServeLimits::default();
    l.header_read_timeout = Duration::from_secs(1);
    l.request_timeout = Duration::from_secs(1);
    l.shutdown_grace = Duration::from_secs(1);
    l
}

#[tokio::test]
async fn interfaces_3_operator_face_needs_the_bearer_token_and_says_nothing_else() {
    let db = TestDb::sqlite();
    let svc = Running::start(&db, "http://127.0.0.1:9", ServeLimits::default()).await;
    let op = svc.operator.clone();
    let wrong = format!("Bearer {TOKEN}x");
    let short = format!("Bearer {}", &TOKEN[..TOKEN.len() - 1]);
    for (method, path) in [
        ("GET", "/orders/ORD-1"),
        ("POST", "/orders/ORD-1/settle"),
        ("POST", "/orders/ORD-1/cancel"),
        ("GET", "/deadlines"),
        ("GET", "/metrics"),
        ("GET", "/no-such-path"),
    ] {
        for auth in [
            None,
            Some(wrong.as_str()),
            Some(short.as_str()),
            Some("Basic b3A6c2VjcmV0"),
            Some("Bearer "),
            Some(TOKEN),
        ] {
            let (s, head, body) = exchange(&op, request(method, &op, path, auth, None)).await;
            assert_eq!(s, 401, "{method} {path} with {auth:?}: {head}");
            assert!(body.is_empty(), "401 says nothing else: {body:?}");
            assert!(head.contains("www-authenticate: Bearer"), "{head}");
        }
    }
    // With the token: answered.
    assert_eq!(op_get(&op, "/orders/ORD-1").await.0, 404);
    assert_eq!(op_get(&op, "/deadlines").await.0, 200);
    let (s, metrics) = op_get(&op, "/metrics").await;
    assert_eq!(s, 200);
    assert!(
        metrics.contains("zeus_carrier_operator_unauthorized_total 36"),
        "{metrics}"
    );
    svc.stop().await;
}

#[tokio::test]
async fn interfaces_3_public_face_answers_404_on_every_operator_path() {
    let db = TestDb::sqlite();
    let svc = Running::start(&db, "http://127.0.0.1:9", ServeLimits::default()).await;
    let public = svc.public.clone();
    for (method, path) in [
        ("GET", "/orders/ORD-1"),
        ("POST", "/orders/ORD-1/settle"),
        ("POST", "/orders/ORD-1/cancel"),
        ("GET", "/deadlines"),
        ("GET", "/deadlines?within_days=60"),
        ("GET", "/metrics"),
    ] {
        for auth in [None, Some(bearer())] {
            let body = (method == "POST").then_some(("application/json", "{\"money\":\"1\"}"));
            let (s, head, _) = exchange(
                &public,
                request(method, &public, path, auth.as_deref(), body),
            )
            .await;
            assert_eq!(s, 404, "{method} {path} on the public face: {head}");
        }
    }
    // The public face's own routes are there.
    let (s, _, _) = exchange(&public, request("GET", &public, "/healthz", None, None)).await;
    assert_eq!(s, 200);
    svc.stop().await;
}

#[tokio::test]
async fn cross_site_form_and_text_plain_posts_are_refused() {
    let db = TestDb::sqlite();
    let gw = fake_gateway(Behavior::Reply(
        200,
        b"result=Success_order&error_code=-&date=20260110".to_vec(),
    ))
    .await;
    let svc = Running::start(&db, &gw.url, ServeLimits::default()).await;
    // An order worth 1,000 yen, checked out and authorized.
    checkout(&svc.public, "S-X", 1000).await;
    let q = cgi_query(
        "ORD-X",
        "03",
        &[("money", "1000"), ("carrier_type", "D"), ("sendid", "S-X")],
    );
    let public = svc.public.clone();
    let (s, _, body) = exchange(
        &public,
        request(
            "GET",
            &public,
            &format!("/zeus/carrier/callback?{q}"),
            None,
            None,
        ),
    )
    .await;
    assert_eq!((s, body.as_str()), (200, "successok"));
    let op = svc.operator.clone();
    let forms = [
        ("application/x-www-form-urlencoded", "money=1"),
        ("text/plain", "{\"money\":\"1\"}"),
        ("multipart/form-data; boundary=x", "--x\r\n\r\n--x--"),
    ];
    for path in ["/orders/ORD-X/settle", "/orders/ORD-X/cancel"] {
        for (ct, body) in forms {
            // What a page on another site can send: no Authorization.
            let (s, _, b) = exchange(&op, request("POST", &op, path, None, Some((ct, body)))).await;
            assert_eq!((s, b.as_str()), (401, ""), "{path} {ct} without token");
            // Even with the token, only JSON is read.
            let auth = bearer();
            let (s, _, b) = exchange(
                &op,
                request("POST", &op, path, Some(&auth), Some((ct, body))),
            )
            .await;
            assert_eq!(s, 415, "{path} {ct} with token: {b}");
        }
        // A body without a Content-Type is not read either.
        let raw = format!(
            "POST {path} HTTP/1.1\r\nHost: {op}\r\nAuthorization: {}\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{{\"money\":\"1\"}}",
            bearer()
        );
        assert_eq!(exchange(&op, raw).await.0, 415, "{path} untyped body");
    }
    assert_eq!(gw.hits(), 0, "nothing reached the gateway");
    let (_, order) = op_get(&op, "/orders/ORD-X").await;
    assert!(order.contains("\"code\":\"03\""), "{order}");
    // The JSON POST with the token is the operator's way.
    let (s, _, b) = exchange(
        &op,
        request(
            "POST",
            &op,
            "/orders/ORD-X/settle",
            Some(&bearer()),
            Some(("application/json; charset=utf-8", "{}")),
        ),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(gw.hits(), 1);
    svc.stop().await;
}

/// Every sample of `name{labels}` in an exposition: `labels` → value.
fn samples(text: &str, name: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            (n == name).then(|| (labels.to_owned(), value.parse().unwrap_or(f64::NAN)))
        })
        .collect()
}

fn sample(text: &str, name: &str, labels: &str) -> f64 {
    samples(text, name)
        .into_iter()
        .find(|(l, _)| l == labels)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name}{{{labels}}} in\n{text}"))
}

#[tokio::test]
async fn head_records_nothing_flagged_first_calls_reach_deadlines_and_metrics_count() {
    let db = TestDb::sqlite();
    let gw = fake_gateway(Behavior::Reply(
        200,
        b"result=Success_order&error_code=-&date=20260110".to_vec(),
    ))
    .await;
    let svc = Running::start(&db, &gw.url, ServeLimits::default()).await;
    let (public, op) = (svc.public.clone(), svc.operator.clone());
    let cb = |q: String| {
        request(
            "GET",
            &public,
            &format!("/zeus/carrier/callback?{q}"),
            None,
            None,
        )
    };

    // HEAD on the callback path records nothing.
    let q = cgi_query("ORD-H", "03", &[("money", "1000"), ("carrier_type", "D")]);
    let (s, _, body) = exchange(
        &public,
        request(
            "HEAD",
            &public,
            &format!("/zeus/carrier/callback?{q}"),
            None,
            None,
        ),
    )
    .await;
    assert_eq!((s, body.as_str()), (200, ""));
    assert_eq!(
        op_get(&op, "/orders/ORD-H").await.0,
        404,
        "HEAD recorded nothing"
    );

    // A checkout saved for 1,000 yen, then a first CGI call saying 1 yen:
    // stored, flagged, not applied — and listed for reconciliation.
    checkout(&public, "S-FLAG", 1000).await;
    let q = cgi_query(
        "ORD-F",
        "03",
        &[("money", "1"), ("carrier_type", "D"), ("sendid", "S-FLAG")],
    );
    assert_eq!(exchange(&public, cb(q)).await.2, "successok");
    assert_eq!(op_get(&op, "/orders/ORD-F").await.0, 404);
    let (s, d) = op_get(&op, "/deadlines?within_days=60").await;
    assert_eq!(s, 200);
    let d: serde_json::Value = serde_json::from_str(&d).expect("json");
    let entry = d
        .as_array()
        .expect("a bare JSON array")
        .iter()
        .find(|e| e["order_no"] == "ORD-F")
        .unwrap_or_else(|| panic!("ORD-F not in {d}"));
    assert_eq!(entry["kind"], "reconciliation", "{entry}");
    assert!(entry["status"].is_null(), "{entry}");

    // More calls: created, duplicate, rejections; a settle.
    checkout(&public, "S-M", 1000).await;
    let q = cgi_query(
        "ORD-M",
        "03",
        &[("money", "1000"), ("carrier_type", "D"), ("sendid", "S-M")],
    );
    assert_eq!(exchange(&public, cb(q.clone())).await.2, "successok");
    assert_eq!(exchange(&public, cb(q)).await.2, "successok");
    let foreign = "clientip=9999999999&order_no=ORD-M&status=03".to_owned();
    assert_eq!(exchange(&public, cb(foreign)).await.0, 400);
    assert_eq!(
        exchange(&public, cb("clientip=1234567890".to_owned()))
            .await
            .0,
        400
    );
    let (s, _, b) = exchange(
        &op,
        request("POST", &op, "/orders/ORD-M/settle", Some(&bearer()), None),
    )
    .await;
    assert_eq!(s, 200, "{b}");

    let (s, text) = op_get(&op, "/metrics").await;
    assert_eq!(s, 200);
    let calls = "zeus_carrier_cgi_calls_total";
    assert_eq!(sample(&text, calls, "effect=\"created\""), 1.0, "{text}");
    assert_eq!(sample(&text, calls, "effect=\"duplicate\""), 1.0);
    assert_eq!(sample(&text, calls, "effect=\"flagged\""), 1.0);
    assert_eq!(sample(&text, calls, "effect=\"advanced\""), 0.0);
    assert_eq!(sample(&text, calls, "effect=\"stale\""), 0.0);
    let rej = "zeus_carrier_cgi_rejections_total";
    assert_eq!(sample(&text, rej, "reason=\"foreign\""), 1.0);
    assert_eq!(sample(&text, rej, "reason=\"malformed\""), 1.0);
    let sl = "zeus_carrier_secure_link_calls_total";
    assert_eq!(
        sample(&text, sl, "operation=\"settle\",outcome=\"success\""),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "zeus_carrier_secure_link_duration_seconds_count",
            "operation=\"settle\""
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "zeus_carrier_store_commit_duration_seconds_count",
            "kind=\"notification\""
        ),
        3.0
    );
    assert_eq!(
        sample(
            &text,
            "zeus_carrier_store_commit_duration_seconds_count",
            "kind=\"operation\""
        ),
        1.0
    );
    assert!(!text.contains(ZKEY) && !text.contains(TOKEN));
    svc.stop().await;
}

#[tokio::test]
async fn stalled_clients_are_dropped_and_shutdown_is_bounded() {
    let db = TestDb::sqlite();
    let svc = Running::start(&db, "http://127.0.0.1:9", quick_limits()).await;
    for addr in [svc.public.clone(), svc.operator.clone()] {
        // The client: a head that never ends.
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("send");
        let took = closed_within(&mut s, Duration::from_secs(10)).await;
        assert!(took < Duration::from_secs(5), "partial head: {took:?}");
        // A client that connects and sends nothing.
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        let took = closed_within(&mut s, Duration::from_secs(10)).await;
        assert!(took < Duration::from_secs(5), "silent client: {took:?}");
        // A body that stops halfway.
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        s.write_all(
            format!(
                "POST /checkout HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"money\":",
                bearer()
            )
            .as_bytes(),
        )
        .await
        .expect("send");
        let took = closed_within(&mut s, Duration::from_secs(10)).await;
        assert!(took < Duration::from_secs(5), "half a body: {took:?}");
        // An idle kept-alive connection after one answer.
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("send");
        let took = closed_within(&mut s, Duration::from_secs(10)).await;
        assert!(took < Duration::from_secs(5), "idle keep-alive: {took:?}");
    }
    // Shutdown with a stalled client connected on each face.
    let mut stalled = Vec::new();
    for addr in [svc.public.clone(), svc.operator.clone()] {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("send");
        stalled.push(s);
    }
    let took = svc.stop().await;
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
}

#[tokio::test]
async fn shutdown_drops_a_request_still_in_progress_after_the_grace() {
    let db = TestDb::sqlite();
    // A gateway slower than the grace: the settle is cut off.
    let gw = fake_gateway(Behavior::Hang(Duration::from_secs(30))).await;
    let mut limits = ServeLimits::default();
    limits.shutdown_grace = Duration::from_secs(1);
    let svc = Running::start(&db, &gw.url, limits).await;
    let public = svc.public.clone();
    checkout(&public, "S-G", 1000).await;
    let q = cgi_query(
        "ORD-G",
        "03",
        &[("money", "1000"), ("carrier_type", "D"), ("sendid", "S-G")],
    );
    let (_, _, body) = exchange(
        &public,
        request(
            "GET",
            &public,
            &format!("/zeus/carrier/callback?{q}"),
            None,
            None,
        ),
    )
    .await;
    assert_eq!(body, "successok");
    let op = svc.operator.clone();
    let mut s = TcpStream::connect(&op).await.expect("connect");
    s.write_all(request("POST", &op, "/orders/ORD-G/settle", Some(&bearer()), None).as_bytes())
        .await
        .expect("send");
    // Wait until the gateway has the request.
    for _ in 0..100 {
        if gw.hits() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(gw.hits(), 1);
    let took = svc.stop().await;
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
    // The acknowledged notification is still there.
    let store = db.store().await;
    let number = zeus_carrier_core::values::OrderNo::parse("ORD-G").expect("order no");
    assert!(store.notifications(&number).await.expect("read").len() == 1);
}

#[tokio::test]
async fn connections_beyond_the_bound_wait_for_a_free_slot() {
    let db = TestDb::sqlite();
    let mut limits = ServeLimits::default();
    limits.max_connections = 2;
    let svc = Running::start(&db, "http://127.0.0.1:9", limits).await;
    let public = svc.public.clone();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(&public).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("send");
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A third client is accepted by the kernel but not served.
    let third = tokio::spawn({
        let public = public.clone();
        async move {
            let started = Instant::now();
            let answer = exchange(&public, request("GET", &public, "/healthz", None, None)).await;
            (answer.0, started.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !third.is_finished(),
        "the third connection was served beyond the bound"
    );
    drop(held.pop());
    let (status, waited) = tokio::time::timeout(Duration::from_secs(10), third)
        .await
        .expect("served once a slot was free")
        .expect("task");
    assert_eq!(status, 200);
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    drop(held);
    svc.stop().await;
}
