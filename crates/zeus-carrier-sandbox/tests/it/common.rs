//! Helpers: a sandbox on a frozen clock, requests through `oneshot`, a
//! loopback CGI receiver, bounded waits.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::routing;
use tower::ServiceExt;
use zeus_carrier_core::Charset;
use zeus_carrier_core::charset::form_urlencode;
use zeus_carrier_sandbox::{ORDER_NO_HEADER, SandboxConfig, SandboxState, router};

/// Every test runs inside this bound: no test can hang.
pub const TEST_BOUND: Duration = Duration::from_secs(30);

/// The frozen start of most tests: a Saturday morning, Japan time.
pub const T0: &str = "2026-01-10T10:00:00+09:00";

/// Runs `f` with the test bound.
pub async fn within<F: Future>(f: F) -> F::Output {
    match tokio::time::timeout(TEST_BOUND, f).await {
        Ok(v) => v,
        Err(_) => panic!("test exceeded {TEST_BOUND:?}"),
    }
}

/// A sandbox frozen at [`T0`] with `flags` added.
pub fn sandbox(flags: &[&str]) -> (Router, SandboxState) {
    let mut all = vec!["--now", T0, "--order-prefix", "T"];
    all.extend_from_slice(flags);
    let config = SandboxConfig::from_flags(all).expect("flags");
    let state = SandboxState::new(config).expect("state");
    (router(state.clone()), state)
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// Sends one request through the router.
pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024)
        .await
        .expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    send(
        app,
        Request::builder()
            .uri(uri)
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

pub async fn post_form(app: &Router, uri: &str, body: impl Into<Body>) -> Reply {
    send(
        app,
        Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.into())
            .expect("request"),
    )
    .await
}

pub async fn post_json(app: &Router, uri: &str, json: serde_json::Value) -> Reply {
    send(
        app,
        Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .expect("request"),
    )
    .await
}

/// A valid order form: a docomo test payment of 1000 yen.
pub fn order_fields() -> Vec<(&'static str, String)> {
    vec![
        ("clientip", "1234567890".into()),
        ("money", "1000".into()),
        ("carrier_type", "D".into()),
        ("username", "ゼウステスト_12345678".into()),
        ("telno", "0312345678".into()),
        ("email", "shopper@example.com".into()),
        ("sendid", "A-1".into()),
        ("sendpoint", "P 1".into()),
        ("success_url", "https://shop.example/ok".into()),
        ("success_str", "サイトへ戻る (完了)".into()),
        ("failure_url", "https://shop.example/ng".into()),
        ("failure_str", "サイトへ戻る (失敗)".into()),
    ]
}

/// Encodes fields as a urlencoded body in `charset`.
pub fn encode(fields: &[(&str, String)], charset: Charset) -> String {
    form_urlencode(fields.iter().map(|(k, v)| (*k, v.as_str())), charset).expect("encodable")
}

/// Posts `fields` to order.cgi in Shift_JIS and returns the order number
/// (asserting the 303).
pub async fn create_order_with(app: &Router, fields: &[(&str, String)]) -> String {
    let r = post_form(
        app,
        "/cgi-bin/carrier/order.cgi",
        encode(fields, Charset::ShiftJis),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    r.header(ORDER_NO_HEADER).expect("order number header")
}

pub async fn create_order(app: &Router) -> String {
    create_order_with(app, &order_fields()).await
}

/// Creates an order and decides it.
pub async fn decided_order(app: &Router, decision: &str) -> String {
    let no = create_order(app).await;
    let r = post_form(
        app,
        &format!("/sandbox/carrier/{no}"),
        format!("decision={decision}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    no
}

pub async fn order_json(app: &Router, no: &str) -> serde_json::Value {
    let r = get(app, &format!("/_sandbox/orders/{no}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

pub async fn status_of(app: &Router, no: &str) -> String {
    order_json(app, no).await["status"]["code"]
        .as_str()
        .expect("code")
        .to_owned()
}

/// Posts a Secure Link request (fields urlencoded, ASCII).
pub async fn secure(app: &Router, fields: &[(&str, &str)]) -> Reply {
    let body = form_urlencode(fields.iter().copied(), Charset::ShiftJis).expect("ascii");
    post_form(app, "/cgi-bin/carrier/secure.cgi", body).await
}

/// The parameters of a Secure Link response body, in any order.
pub fn response_params(body: &str) -> Vec<(String, String)> {
    body.trim()
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

pub fn param(body: &str, key: &str) -> Option<String> {
    response_params(body)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 200 `successok`.
    Ok,
    /// 200 `ng`.
    BadBody,
    /// 500.
    HttpError,
    /// Sleeps this long before answering `successok`.
    Slow(Duration),
}

/// A tiny merchant CGI receiver on a loopback socket: records every query
/// it receives; `/cgi/{n}` answers as the n-th behaviour of its script
/// (the last one repeats).
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    pub calls: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct ReceiverState {
    calls: Arc<Mutex<Vec<String>>>,
    script: Arc<Vec<Behaviour>>,
}

impl Receiver {
    pub async fn start(script: Vec<Behaviour>) -> Receiver {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let st = ReceiverState {
            calls: calls.clone(),
            script: Arc::new(script),
        };
        let app = Router::new()
            .route("/cgi", routing::get(answer))
            .route("/cgi/{tag}", routing::get(answer_tagged))
            .with_state(st);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, calls }
    }

    pub fn url(&self) -> String {
        format!("http://{}/cgi", self.addr)
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("calls").clone()
    }
}

async fn answer(State(st): State<ReceiverState>, RawQuery(q): RawQuery) -> (StatusCode, String) {
    let n = {
        let mut calls = st.calls.lock().expect("calls");
        calls.push(q.unwrap_or_default());
        calls.len()
    };
    let b = st
        .script
        .get(n - 1)
        .or(st.script.last())
        .copied()
        .unwrap_or(Behaviour::Ok);
    match b {
        Behaviour::Ok => (StatusCode::OK, "successok\n".into()),
        Behaviour::BadBody => (StatusCode::OK, "ng".into()),
        Behaviour::HttpError => (StatusCode::INTERNAL_SERVER_ERROR, "boom".into()),
        Behaviour::Slow(d) => {
            tokio::time::sleep(d).await;
            (StatusCode::OK, "successok".into())
        }
    }
}

async fn answer_tagged(
    st: State<ReceiverState>,
    Path(_tag): Path<String>,
    q: RawQuery,
) -> (StatusCode, String) {
    answer(st, q).await
}

/// Polls `f` every 20 ms until it is true, at most `bound`.
pub async fn eventually(bound: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        if f() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
