//! The operator page through `tower::ServiceExt::oneshot` (INTERFACES v3
//! §3 "The operator page"): sign-in, the cookie, the rate limit, the
//! CSRF and origin refusals, the `303`s, and that the JSON API ignores
//! the cookie. The browser walk is `tests/staff_page.rs` at the top level.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use tower::ServiceExt as _;
use zeus_carrier_core::merchant::{Notice, OperationKind, ReconcileReason, UnknownSendId};
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::{ClientIp, Money, OrderNo, SendId};
use zeus_carrier_core::{Carrier, JstDateTime, Status};
use zeus_carrier_http::Clock;
use zeus_carrier_store::Store;

use super::{CookieSecurity, StaffSettings};
use crate::operator::{NoObserver, OperatorToken};
use crate::{Merchant, MerchantConfig};

const TOKEN: &str = "staff-page-operator-token-0123";

fn at(s: &str) -> JstDateTime {
    chrono::DateTime::parse_from_rfc3339(s).expect("time")
}

/// The merchant's "now" in these tests.
const NOW: &str = "2026-02-25T10:00:00+09:00";

struct Face {
    merchant: Merchant,
    app: Router,
}

async fn face_with(settings: StaffSettings, gateway: &str, trusted: &[&str]) -> Face {
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let config = MerchantConfig::builder(
        ClientIp::parse("1234567890").expect("clientip"),
        Zkey::new("staff-test-zkey-0123"),
    )
    .gateway_url(gateway)
    .trusted_proxies(trusted.iter().map(|n| n.parse().expect("net")))
    .clock(Clock::fixed(at(NOW)))
    .build()
    .expect("config");
    let merchant = Merchant::new(store, config).expect("merchant");
    let token = OperatorToken::new(TOKEN).expect("token");
    let app = merchant
        .staff_router_with(token.clone(), settings, NoObserver)
        .merge(merchant.operator_router(token));
    Face { merchant, app }
}

async fn face() -> Face {
    face_with(StaffSettings::default(), "http://127.0.0.1:9", &[]).await
}

impl Face {
    async fn send(&self, request: Request<Body>) -> Response<Body> {
        tokio::time::timeout(Duration::from_secs(30), self.app.clone().oneshot(request))
            .await
            .expect("answered within the bound")
            .expect("infallible")
    }

    /// An order the gateway authorized (CGI 03, accepted `received`).
    async fn authorized(&self, no: &str, received: &str) -> OrderNo {
        let no = OrderNo::parse(no).expect("order no");
        let mut n = Notice::new(no.clone(), Status::Authorized, at(received));
        n.money = Money::new(1200);
        n.carrier = Some(Carrier::Docomo);
        n.sendid = Some(SendId::parse(&format!("S-{no}")).expect("sendid"));
        self.merchant
            .store()
            .record_notification(n, b"status=03".to_vec(), UnknownSendId::Apply)
            .await
            .expect("recorded");
        no
    }

    /// An order with a status notification of `status` after its 03.
    async fn moved(&self, no: &OrderNo, status: Status, received: &str) {
        let mut n = Notice::new(no.clone(), status, at(received));
        n.money = Money::new(1200);
        n.carrier = Some(Carrier::Docomo);
        self.merchant
            .store()
            .record_notification(n, b"status=xx".to_vec(), UnknownSendId::Apply)
            .await
            .expect("recorded");
    }

    /// A flagged notification of an order never recorded (no checkout for
    /// its `sendid`).
    async fn flagged(&self, no: &str) {
        let no = OrderNo::parse(no).expect("order no");
        let mut n = Notice::new(no, Status::Authorized, at("2026-02-24T09:00:00+09:00"));
        n.money = Money::new(500);
        n.carrier = Some(Carrier::Au);
        n.sendid = Some(SendId::parse("NO-SUCH-CHECKOUT").expect("sendid"));
        self.merchant
            .store()
            .record_notification(n, b"status=03".to_vec(), UnknownSendId::Flag)
            .await
            .expect("recorded");
    }

    async fn marked(&self, no: &OrderNo, reason: ReconcileReason) {
        self.merchant
            .store()
            .mark_reconciliation(no, reason)
            .await
            .expect("marked");
    }

    async fn reason(&self, no: &OrderNo) -> Option<ReconcileReason> {
        self.merchant
            .order(no)
            .await
            .expect("read")
            .expect("order")
            .record()
            .reconciliation()
            .cloned()
    }

    /// Signs in; returns the `Cookie` header value and the CSRF token.
    async fn sign_in(&self) -> (String, String) {
        let r = self
            .send(login_request(TOKEN, Some("same-origin"), None))
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let set = set_cookie(&r).expect("a session cookie");
        let cookie = set.split(';').next().expect("name=value").to_owned();
        let page = self.send(get("/", Some(&cookie))).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = text(page).await;
        (cookie, csrf_of(&html))
    }
}

fn login_request(token: &str, fetch_site: Option<&str>, peer: Option<&str>) -> Request<Body> {
    let mut b = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8933");
    if let Some(s) = fetch_site {
        b = b.header("sec-fetch-site", s);
    }
    let mut r = b
        .body(Body::from(format!("token={token}")))
        .expect("request");
    if let Some(p) = peer {
        r.extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(p.parse().expect("peer")));
    }
    r
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path).header(header::HOST, "127.0.0.1:8933");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).expect("request")
}

fn form_post(
    path: &str,
    cookie: Option<&str>,
    fetch_site: Option<&str>,
    body: &str,
) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8933");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    if let Some(s) = fetch_site {
        b = b.header("sec-fetch-site", s);
    }
    b.body(Body::from(body.to_owned())).expect("request")
}

fn set_cookie(r: &Response<Body>) -> Option<String> {
    r.headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().expect("ascii").to_owned())
}

fn location(r: &Response<Body>) -> Option<&str> {
    r.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().expect("ascii"))
}

async fn text(r: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .expect("body");
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..start + 64].to_owned()
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test]
async fn interfaces_3_a_page_without_a_session_is_303_to_login() {
    let f = face().await;
    for path in [
        "/",
        "/ui/orders/A0001",
        "/ui/orders/A0001/confirm?op=cancel",
    ] {
        let r = f.send(get(path, None)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), Some("/login"), "{path}");
    }
    // A forged cookie is no session.
    let forged = format!("zeus_staff={}", "a".repeat(64));
    let r = f.send(get("/", Some(&forged))).await;
    assert_eq!(location(&r), Some("/login"));
    let r = f.send(get("/login", None)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = text(r).await;
    assert!(
        html.contains("name=\"token\"") && html.contains("サインイン"),
        "{html}"
    );
}

#[tokio::test]
async fn interfaces_3_sign_in_sets_a_random_httponly_strict_cookie_never_the_token() {
    let f = face().await;
    let r = f
        .send(login_request(TOKEN, Some("same-origin"), None))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), Some("/"));
    let c = set_cookie(&r).expect("cookie");
    assert!(c.starts_with("zeus_staff="), "{c}");
    for attr in [
        "; HttpOnly",
        "; SameSite=Strict",
        "; Path=/",
        "; Max-Age=43200",
    ] {
        assert!(c.contains(attr), "{attr} missing: {c}");
    }
    assert!(
        !c.contains("Secure"),
        "plain HTTP without a trusted TLS proxy: {c}"
    );
    let value = c["zeus_staff=".len()..].split(';').next().expect("value");
    assert_eq!(value.len(), 64);
    assert!(value.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!c.contains(TOKEN));
    // A second sign-in gets another id.
    let again = set_cookie(
        &f.send(login_request(TOKEN, Some("same-origin"), None))
            .await,
    )
    .expect("cookie");
    assert_ne!(again, c);
    // Signed in: /login sends to the list, which never shows the token.
    let cookie = c.split(';').next().expect("pair").to_owned();
    let r = f.send(get("/login", Some(&cookie))).await;
    assert_eq!(location(&r), Some("/"));
    let r = f.send(get("/", Some(&cookie))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers().get(header::CACHE_CONTROL).map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    let csp = r
        .headers()
        .get("content-security-policy")
        .expect("CSP")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let html = text(r).await;
    assert!(html.contains("対応が必要な注文"), "{html}");
    assert!(!html.contains(TOKEN) && !html.contains(value));
    assert!(!html.contains("<script"), "no script on the page");
}

#[tokio::test]
async fn interfaces_3_wrong_token_is_401_and_the_form_again() {
    let f = face().await;
    let wrong = "wrong-token-<b>-0123456789";
    let r = f
        .send(login_request(&enc(wrong), Some("same-origin"), None))
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&r).is_none());
    let html = text(r).await;
    assert!(html.contains("id=\"login\"") && html.contains("トークンが正しくありません"));
    assert!(
        !html.contains("wrong-token"),
        "the given token is not echoed"
    );
    // An empty form, or none at all.
    let r = f.send(login_request("", Some("same-origin"), None)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn interfaces_3_sign_in_attempts_are_rate_limited_per_client() {
    let settings = StaffSettings {
        login_failures_per_client: 3,
        ..StaffSettings::default()
    };
    let f = face_with(settings, "http://127.0.0.1:9", &[]).await;
    let a = Some("192.0.2.10:5000");
    let b = Some("192.0.2.11:5000");
    for _ in 0..3 {
        let r = f.send(login_request("nope-nope-nope-nope", None, a)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The fourth try from the same client is refused, the right token too.
    let r = f.send(login_request(TOKEN, None, a)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(set_cookie(&r).is_none());
    let retry: u64 = r
        .headers()
        .get(header::RETRY_AFTER)
        .expect("Retry-After")
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    assert!(text(r).await.contains("分後に再度お試しください"));
    // Another client is not held up.
    let r = f.send(login_request(TOKEN, None, b)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn interfaces_3_all_clients_together_are_rate_limited() {
    let settings = StaffSettings {
        login_failures_total: 2,
        ..StaffSettings::default()
    };
    let f = face_with(settings, "http://127.0.0.1:9", &[]).await;
    for peer in ["192.0.2.1:1", "192.0.2.2:1"] {
        let r = f
            .send(login_request("nope-nope-nope-nope", None, Some(peer)))
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = f
        .send(login_request(TOKEN, None, Some("192.0.2.3:1")))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn interfaces_3_cross_origin_sign_in_is_403() {
    let f = face().await;
    let r = f.send(login_request(TOKEN, Some("cross-site"), None)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&r).is_none());
}

#[tokio::test]
async fn interfaces_3_post_without_the_sessions_csrf_token_is_403_nothing_done() {
    let f = face().await;
    let no = f.authorized("A1001", "2026-02-20T10:00:00+09:00").await;
    let reason = ReconcileReason::OutcomeUnknown(OperationKind::Settle);
    f.marked(&no, reason.clone()).await;
    let (cookie, csrf) = f.sign_in().await;
    let (_, other_csrf) = f.sign_in().await;
    let path = "/ui/orders/A1001/reconciled";
    for body in [
        "note=checked".to_owned(),
        "note=checked&csrf=".to_owned(),
        format!("note=checked&csrf={}", "0".repeat(64)),
        format!("note=checked&csrf={other_csrf}"),
    ] {
        let r = f
            .send(form_post(path, Some(&cookie), Some("same-origin"), &body))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{body}");
    }
    for path in [
        "/ui/orders/A1001/cancel",
        "/ui/orders/A1001/settle",
        "/logout",
    ] {
        let r = f
            .send(form_post(
                path,
                Some(&cookie),
                Some("same-origin"),
                "csrf=x",
            ))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // A body that is not a form carries no token either: no body, JSON.
    for path in [path, "/ui/orders/A1001/cancel", "/logout"] {
        for (content_type, body) in [
            (None, String::new()),
            (
                Some("application/json"),
                format!(r#"{{"csrf":"{csrf}","note":"checked"}}"#),
            ),
        ] {
            let mut r = Request::post(path)
                .header(header::HOST, "127.0.0.1:8933")
                .header(header::COOKIE, &cookie)
                .header("sec-fetch-site", "same-origin");
            if let Some(t) = content_type {
                r = r.header(header::CONTENT_TYPE, t);
            }
            let r = f.send(r.body(Body::from(body)).expect("request")).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} {content_type:?}");
        }
    }
    assert_eq!(f.reason(&no).await, Some(reason), "nothing was done");
    // Still signed in: the logout above was refused.
    let r = f.send(get("/", Some(&cookie))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!csrf.is_empty());
}

#[tokio::test]
async fn interfaces_3_post_from_another_origin_is_403_nothing_done() {
    let f = face().await;
    let no = f.authorized("A1002", "2026-02-20T10:00:00+09:00").await;
    let reason = ReconcileReason::OutcomeUnknown(OperationKind::Cancel);
    f.marked(&no, reason.clone()).await;
    let (cookie, csrf) = f.sign_in().await;
    let body = format!("note=checked&csrf={csrf}");
    let path = "/ui/orders/A1002/reconciled";
    for site in ["cross-site", "same-site"] {
        let r = f
            .send(form_post(path, Some(&cookie), Some(site), &body))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{site}");
    }
    // No Sec-Fetch-Site (an older browser): Origin decides.
    let mut r = form_post(path, Some(&cookie), None, &body);
    r.headers_mut().insert(
        header::ORIGIN,
        "http://evil.example".parse().expect("header"),
    );
    assert_eq!(f.send(r).await.status(), StatusCode::FORBIDDEN);
    let mut r = form_post(path, Some(&cookie), None, &body);
    r.headers_mut()
        .insert(header::ORIGIN, "null".parse().expect("header"));
    assert_eq!(f.send(r).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(f.reason(&no).await, Some(reason), "nothing was done");
    // The same form from this face's own origin is done.
    let mut r = form_post(path, Some(&cookie), None, &body);
    r.headers_mut().insert(
        header::ORIGIN,
        "http://127.0.0.1:8933".parse().expect("header"),
    );
    let r = f.send(r).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(f.reason(&no).await, None);
}

#[tokio::test]
async fn interfaces_3_reconciled_clears_the_mark_and_keeps_the_note_escaped() {
    let f = face().await;
    let no = f.authorized("A1003", "2026-02-20T10:00:00+09:00").await;
    f.marked(&no, ReconcileReason::OutcomeUnknown(OperationKind::Settle))
        .await;
    let (cookie, csrf) = f.sign_in().await;
    let list = text(f.send(get("/", Some(&cookie))).await).await;
    assert!(
        list.contains("A1003") && list.contains("売上の結果が不明です"),
        "{list}"
    );
    let note = "売上管理画面で売上確定を確認 <script>alert(1)</script>";
    let r = f
        .send(form_post(
            "/ui/orders/A1003/reconciled",
            Some(&cookie),
            Some("same-origin"),
            &format!("csrf={csrf}&note={}", enc(note)),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), Some("/ui/orders/A1003"));
    assert_eq!(f.reason(&no).await, None);
    let page = text(f.send(get("/ui/orders/A1003", Some(&cookie))).await).await;
    assert!(page.contains("照合済みにしました"), "{page}");
    assert!(
        page.contains("売上管理画面で売上確定を確認 &lt;script&gt;alert(1)&lt;/script&gt;"),
        "the note is in the history, escaped: {page}"
    );
    assert!(!page.contains("<script>"));
    // The message is shown once.
    let again = text(f.send(get("/ui/orders/A1003", Some(&cookie))).await).await;
    assert!(!again.contains("照合済みにしました"));
    assert!(
        again.contains("売上管理画面で売上確定を確認"),
        "still in the history"
    );
    // An empty note clears nothing.
    f.marked(&no, ReconcileReason::OutcomeUnknown(OperationKind::Settle))
        .await;
    let r = f
        .send(form_post(
            "/ui/orders/A1003/reconciled",
            Some(&cookie),
            Some("same-origin"),
            &format!("csrf={csrf}&note=+++"),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(f.reason(&no).await.is_some());
}

#[tokio::test]
async fn interfaces_3_list_shows_reconciliation_first_then_windows_with_days_left() {
    let f = face().await;
    // Accepted 2026-01-07: its settle window closes 2026-02-26 23:55,
    // one day and a half after NOW.
    f.authorized("W2001", "2026-01-07T10:00:00+09:00").await;
    let unknown = f.authorized("U2001", "2026-02-20T10:00:00+09:00").await;
    f.marked(
        &unknown,
        ReconcileReason::OutcomeUnknown(OperationKind::Settle),
    )
    .await;
    f.flagged("F2001").await;
    let (cookie, _) = f.sign_in().await;
    let html = text(f.send(get("/", Some(&cookie))).await).await;
    let pos = |s: &str| {
        html.find(s)
            .unwrap_or_else(|| panic!("{s} missing: {html}"))
    };
    assert!(pos("id=\"reconciliation\"") < pos("id=\"windows\""));
    assert!(pos("F2001") < pos("W2001") && pos("U2001") < pos("W2001"));
    let never = ReconcileReason::NeverApplied;
    assert!(html.contains(&zeus_carrier_core::html::escape(&never.text_ja())));
    assert!(html.contains(&zeus_carrier_core::html::escape(never.check_ja())));
    assert!(
        html.contains("売上確定の期限") && html.contains("あと1日13時間"),
        "{html}"
    );
    assert!(html.contains("class=\"bar urgent\""));
    // A shorter horizon leaves the window out.
    let html = text(f.send(get("/?within_days=0", Some(&cookie))).await).await;
    assert!(!html.contains("W2001") && html.contains("U2001"));
    // Search by order number.
    let r = f.send(get("/?order_no=W2001", Some(&cookie))).await;
    assert_eq!(location(&r), Some("/ui/orders/W2001"));
    let r = f.send(get("/?order_no=%3Cx%3E", Some(&cookie))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = text(r).await;
    assert!(html.contains("value=\"&lt;x&gt;\"") && !html.contains("<x>"));
    // The flagged order's page says why it has no record.
    let r = f.send(get("/ui/orders/F2001", Some(&cookie))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let html = text(r).await;
    assert!(
        html.contains("照合に失敗したCGI通知") && html.contains("500円"),
        "{html}"
    );
}

#[tokio::test]
async fn an_order_known_only_from_flagged_calls_is_reviewed_with_a_note() {
    let f = face().await;
    f.flagged("F3001").await;
    let (cookie, csrf) = f.sign_in().await;
    let page = text(f.send(get("/ui/orders/F3001", Some(&cookie))).await).await;
    assert!(
        page.contains("id=\"reconciled\"")
            && page.contains("action=\"/ui/orders/F3001/reconciled\""),
        "the page offers the review: {page}"
    );
    // An empty note reviews nothing.
    let r = f
        .send(form_post(
            "/ui/orders/F3001/reconciled",
            Some(&cookie),
            Some("same-origin"),
            &format!("csrf={csrf}&note=+++"),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list = text(f.send(get("/?within_days=0", Some(&cookie))).await).await;
    assert!(list.contains("F3001"), "{list}");
    // A note: reviewed, kept escaped, off the list.
    let note = "売上管理画面に該当なし <b>x</b>";
    let r = f
        .send(form_post(
            "/ui/orders/F3001/reconciled",
            Some(&cookie),
            Some("same-origin"),
            &format!("csrf={csrf}&note={}", enc(note)),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), Some("/ui/orders/F3001"));
    let page = text(f.send(get("/ui/orders/F3001", Some(&cookie))).await).await;
    assert!(page.contains("照合済みにしました"), "{page}");
    assert!(
        page.contains("売上管理画面に該当なし &lt;b&gt;x&lt;/b&gt;"),
        "{page}"
    );
    assert!(
        !page.contains("id=\"reconciled\""),
        "no form once reviewed: {page}"
    );
    let list = text(f.send(get("/?within_days=0", Some(&cookie))).await).await;
    assert!(!list.contains("F3001"), "{list}");
    let no = OrderNo::parse("F3001").expect("order no");
    let deadlines = f.merchant.deadlines(0).await.expect("deadlines");
    assert!(deadlines.iter().all(|d| d.order_no != no), "{deadlines:?}");
    // A later flagged call lists it again.
    f.flagged("F3001").await;
    let list = text(f.send(get("/?within_days=0", Some(&cookie))).await).await;
    assert!(list.contains("F3001"), "{list}");
}

#[tokio::test]
async fn interfaces_3_order_page_shows_status_amounts_history_and_forms() {
    let f = face().await;
    f.authorized("O3001", "2026-02-20T10:00:00+09:00").await;
    let (cookie, csrf) = f.sign_in().await;
    let html = text(f.send(get("/ui/orders/O3001", Some(&cookie))).await).await;
    for s in [
        "03 仮売完了",
        "1,200円",
        "支払対象外",
        "docomo",
        "CGI通知",
        "id=\"settle\"",
        "id=\"cancel\"",
        "売上確定の期限",
        "取消の期限",
        "受理</th><td>1件",
    ] {
        assert!(html.contains(s), "{s} missing: {html}");
    }
    // The confirmation step shows what will be sent, with the CSRF token.
    let r = f
        .send(get(
            "/ui/orders/O3001/confirm?op=settle&date=20260301&money=800&autype=sale",
            Some(&cookie),
        ))
        .await;
    let html = text(r).await;
    assert!(html.contains("売上確定の確認") && html.contains("800円") && html.contains("20260301"));
    assert!(html.contains("action=\"/ui/orders/O3001/settle\"") && html.contains(&csrf));
    let html = text(
        f.send(get("/ui/orders/O3001/confirm?op=cancel", Some(&cookie)))
            .await,
    )
    .await;
    assert!(html.contains("取消の確認") && html.contains("action=\"/ui/orders/O3001/cancel\""));
}

#[tokio::test]
async fn interfaces_3_settle_refused_by_the_pre_check_shows_the_api_code() {
    let f = face().await;
    let no = f.authorized("P4001", "2026-02-20T10:00:00+09:00").await;
    f.moved(
        &no,
        Status::AuthorizationCancelled,
        "2026-02-21T10:00:00+09:00",
    )
    .await;
    let (cookie, csrf) = f.sign_in().await;
    let r = f
        .send(form_post(
            "/ui/orders/P4001/settle",
            Some(&cookie),
            Some("same-origin"),
            &format!("csrf={csrf}&date=&money=&autype=sale"),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), Some("/ui/orders/P4001"));
    let page = text(f.send(get("/ui/orders/P4001", Some(&cookie))).await).await;
    // The JSON API's answer to the same request: the same code.
    let api = f
        .send(
            Request::post("/orders/P4001/settle")
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(api.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let api: serde_json::Value = serde_json::from_str(&text(api).await).expect("json");
    let code = api["error_code"].as_str().expect("code");
    assert!(page.contains("売上確定: 送信していません"), "{page}");
    assert!(
        page.contains(&format!("エラーコード {code}")),
        "{code}: {page}"
    );
    // A malformed field is refused with the gateway's invalid code.
    let r = f
        .send(form_post(
            "/ui/orders/P4001/settle",
            Some(&cookie),
            Some("same-origin"),
            &format!("csrf={csrf}&date=tomorrow"),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = text(f.send(get("/ui/orders/P4001", Some(&cookie))).await).await;
    assert!(
        page.contains("入力が正しくありません") && page.contains("date"),
        "{page}"
    );
}

#[tokio::test]
async fn interfaces_3_logout_ends_the_session() {
    let f = face().await;
    let (cookie, csrf) = f.sign_in().await;
    let r = f
        .send(form_post(
            "/logout",
            Some(&cookie),
            Some("same-origin"),
            &format!("csrf={csrf}"),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), Some("/login"));
    assert!(set_cookie(&r).expect("cleared").contains("Max-Age=0"));
    let r = f.send(get("/", Some(&cookie))).await;
    assert_eq!(location(&r), Some("/login"));
}

#[tokio::test]
async fn interfaces_3_sessions_expire() {
    let settings = StaffSettings {
        session_ttl: Duration::ZERO,
        ..StaffSettings::default()
    };
    let f = face_with(settings, "http://127.0.0.1:9", &[]).await;
    let r = f
        .send(login_request(TOKEN, Some("same-origin"), None))
        .await;
    let cookie = set_cookie(&r).expect("cookie");
    let cookie = cookie.split(';').next().expect("pair");
    let r = f.send(get("/", Some(cookie))).await;
    assert_eq!(location(&r), Some("/login"));
}

#[tokio::test]
async fn interfaces_3_json_api_keeps_the_bearer_token_and_ignores_the_cookie() {
    let f = face().await;
    f.authorized("J5001", "2026-02-20T10:00:00+09:00").await;
    let (cookie, _) = f.sign_in().await;
    for path in ["/orders/J5001", "/deadlines", "/nowhere"] {
        let r = f.send(get(path, Some(&cookie))).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(text(r).await.is_empty());
    }
    let r = f
        .send(
            Request::get("/orders/J5001")
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // And the page does not take the bearer token as a session.
    let r = f
        .send(
            Request::get("/")
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(location(&r), Some("/login"));
}

#[tokio::test]
async fn interfaces_3_cookie_is_secure_behind_a_trusted_tls_proxy() {
    let f = face_with(
        StaffSettings::default(),
        "http://127.0.0.1:9",
        &["10.0.0.0/8"],
    )
    .await;
    let mut r = login_request(TOKEN, Some("same-origin"), Some("10.1.2.3:40000"));
    r.headers_mut()
        .insert("x-forwarded-proto", "https".parse().expect("header"));
    let r = f.send(r).await;
    let c = set_cookie(&r).expect("cookie");
    assert!(
        c.starts_with("__Host-zeus_staff=") && c.ends_with("; Secure"),
        "{c}"
    );
    // From an untrusted peer the header counts for nothing.
    let mut r = login_request(TOKEN, Some("same-origin"), Some("192.0.2.50:40000"));
    r.headers_mut()
        .insert("x-forwarded-proto", "https".parse().expect("header"));
    let c = set_cookie(&f.send(r).await).expect("cookie");
    assert!(c.starts_with("zeus_staff=") && !c.contains("Secure"), "{c}");
    // Always: Secure whatever the request says.
    let settings = StaffSettings {
        cookie_security: CookieSecurity::Always,
        ..StaffSettings::default()
    };
    let f = face_with(settings, "http://127.0.0.1:9", &[]).await;
    let c = set_cookie(
        &f.send(login_request(TOKEN, Some("same-origin"), None))
            .await,
    )
    .expect("cookie");
    assert!(c.contains("; Secure"), "{c}");
}

/// A "gateway" that reads each request and closes the connection without
/// an answer: the call's outcome is unknown (R-RS-3).
async fn silent_gateway() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                tokio::io::AsyncReadExt::read(&mut socket, &mut buf),
            )
            .await;
            drop(socket);
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn interfaces_3_cancel_with_an_unknown_outcome_is_shown_and_listed_first() {
    let gateway = silent_gateway().await;
    let f = face_with(StaffSettings::default(), &gateway, &[]).await;
    let no = f.authorized("X6001", "2026-02-20T10:00:00+09:00").await;
    let (cookie, csrf) = f.sign_in().await;
    let r = f
        .send(form_post(
            "/ui/orders/X6001/cancel",
            Some(&cookie),
            Some("same-origin"),
            &format!("csrf={csrf}"),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), Some("/ui/orders/X6001"));
    let page = text(f.send(get("/ui/orders/X6001", Some(&cookie))).await).await;
    assert!(page.contains("取消: 結果不明（unknown）"), "{page}");
    assert!(page.contains("再送しないでください"), "{page}");
    assert!(page.contains("照合が必要です"), "{page}");
    // The status did not move; the order is marked and listed first.
    let order = f.merchant.order(&no).await.expect("read").expect("order");
    assert_eq!(order.record().status(), Status::Authorized);
    assert_eq!(
        order.record().reconciliation(),
        Some(&ReconcileReason::OutcomeUnknown(OperationKind::Cancel))
    );
    let list = text(f.send(get("/", Some(&cookie))).await).await;
    let recon = list.find("id=\"reconciliation\"").expect("the table");
    assert!(list[recon..].contains("X6001"), "{list}");
    assert!(list.contains("取消の結果が不明です"), "{list}");
}
