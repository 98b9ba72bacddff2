//! The operator page in a real headless browser (issue 20, INTERFACES v3
//! §3 "The operator page"): serve's operator face with the sandbox gateway
//! behind it, driven by Chromium over WebDriver as `tests/browser.rs`
//! drives the sandbox's screen.
//!
//! The staff sign in, find a flagged order and an order whose settle
//! outcome is unknown listed first, settle one order and cancel another
//! through the confirmation steps (the gateway really does both), clear a
//! reconciliation mark with a note, and sign out; a form on another site
//! that posts to the page is refused `403` with nothing done; the pages fit
//! a phone's width. Screenshots (desktop and 390 px) are written to
//! `$STAFF_PAGE_SCREENSHOTS` or `target/tmp/staff-page/`.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's
//! `chromium` and `chromium-driver`; `scripts/ci-install.sh` installs
//! them; `CHROMIUM` / `CHROMEDRIVER` override the paths). Without them the
//! test fails in CI (`CI=true`) and prints `SKIPPED: …` elsewhere.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::Value;
use tokio::net::TcpListener;
use zeus_carrier_core::link_point::OrderRequest;
use zeus_carrier_core::merchant::{OperationKind, ReconcileReason};
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::{ClientIp, OrderNo};
use zeus_carrier_core::{Charset, PaymentMode, Status};
use zeus_carrier_http::Clock;
use zeus_carrier_merchant::{Merchant, MerchantConfig};
use zeus_carrier_sandbox::{CgiTarget, ORDER_NO_HEADER, Sandbox};
use zeus_carrier_serve::{OperatorToken, ServeConfig, bind_listeners};
use zeus_carrier_store::Store;
use zeus_carrier_system_tests::webdriver::{STEP, browser, browser_paths, wait_for_url};

const CLIENTIP: &str = "1234567890";
const ZKEY: &str = "staff-page-zkey-0123456789";
const OPERATOR_TOKEN: &str = "staff-page-operator-token-0123";
const CALLBACK_PATH: &str = "/zeus/carrier/callback";

/// The bound of the whole browser session.
const WHOLE: Duration = Duration::from_secs(180);

/// The sandbox and serve (both faces) in this process, a second merchant
/// instance on serve's database (to save checkouts as a shop's own code
/// would), and a page on another origin.
struct Stack {
    sandbox: Sandbox,
    operator: String,
    serve: String,
    db: String,
    shop: Merchant,
    evil: String,
    evil_page: std::sync::Arc<std::sync::Mutex<String>>,
    tasks: Vec<tokio::task::AbortHandle>,
    _dir: tempfile::TempDir,
}

impl Stack {
    async fn start() -> Stack {
        let dir = tempfile::tempdir().expect("temporary directory");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind serve");
        let serve = format!("http://{}", listener.local_addr().expect("serve addr"));
        let operator_listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind operator");
        let operator = format!(
            "http://{}",
            operator_listener.local_addr().expect("operator addr")
        );
        let cgi_url = format!("{serve}{CALLBACK_PATH}");
        let sandbox = Sandbox::builder()
            .mode(PaymentMode::Authorization)
            .clientip(CLIENTIP)
            .zkey(ZKEY)
            .frozen_at(
                chrono::DateTime::parse_from_rfc3339("2026-01-14T10:00:00+09:00").expect("instant"),
            )
            .cgi(CgiTarget::new(cgi_url).optional(true))
            .order_prefix("STAFF")
            .start()
            .await
            .expect("sandbox");
        let mut config = ServeConfig::new(CLIENTIP, Zkey::new(ZKEY));
        let db = format!("sqlite://{}", dir.path().join("merchant.db").display());
        config.db = db.clone();
        config.gateway_url = sandbox.base_url().to_owned();
        config.operator_token = Some(OperatorToken::new(OPERATOR_TOKEN).expect("token"));
        let clock_of = sandbox.state().clone();
        let server = bind_listeners(
            &config,
            listener,
            operator_listener,
            Clock::from_fn(move || clock_of.now()),
        )
        .await
        .expect("serve");
        let serve_task = tokio::spawn(server.serve(std::future::pending()));

        let clock_of = sandbox.state().clone();
        let shop = Merchant::new(
            Store::connect(&db).await.expect("the shop's store"),
            MerchantConfig::builder(
                ClientIp::parse(CLIENTIP).expect("clientip"),
                Zkey::new(ZKEY),
            )
            .gateway_url(sandbox.base_url())
            .clock(Clock::from_fn(move || clock_of.now()))
            .build()
            .expect("shop config"),
        )
        .expect("shop merchant");

        // Another origin (another port): its page is set by the scenario.
        let evil_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind evil");
        let evil = format!("http://{}", evil_listener.local_addr().expect("evil addr"));
        let evil_page = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let page = evil_page.clone();
        let evil_app =
            axum::Router::new().route(
                "/",
                axum::routing::get(move || {
                    let page = page.clone();
                    async move {
                        axum::response::Html(page.lock().map(|p| p.clone()).unwrap_or_default())
                    }
                }),
            );
        let evil_task = tokio::spawn(async move {
            let _ = axum::serve(evil_listener, evil_app).await;
        });
        Stack {
            sandbox,
            operator,
            serve,
            db,
            shop,
            evil,
            evil_page,
            tasks: vec![serve_task.abort_handle(), evil_task.abort_handle()],
            _dir: dir,
        }
    }

    /// An order paid at the gateway (checkout saved, order.cgi, 支払完了テスト)
    /// and learned by serve from the gateway's CGI 03.
    async fn authorized_order(&self, money: u32) -> String {
        let form = self
            .shop
            .checkout(order_request(money))
            .await
            .expect("checkout");
        let mut request = order_request(money);
        request.clientip = CLIENTIP.to_owned();
        request.sendid = form.checkout.sendid.as_str().to_owned();
        let http = http();
        let r = http
            .post(self.sandbox.order_cgi_url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(request.to_urlencoded(Charset::ShiftJis).expect("encode"))
            .send()
            .await
            .expect("order.cgi");
        assert_eq!(r.status().as_u16(), 303);
        let no = r
            .headers()
            .get(ORDER_NO_HEADER)
            .and_then(|v| v.to_str().ok())
            .expect("order number")
            .to_owned();
        let r = http
            .post(format!("{}/sandbox/carrier/{no}", self.sandbox.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("decision=complete")
            .send()
            .await
            .expect("test page");
        assert_eq!(r.status().as_u16(), 200);
        self.wait_for_status(&no, "03").await;
        no
    }

    /// Polls serve's JSON API until the order has `code`.
    async fn wait_for_status(&self, no: &str, code: &str) -> Value {
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(order) = self.merchant_order(no).await {
                if order["status"]["code"] == code {
                    return order;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{no} not {code} after {STEP:?}: {:?}",
                self.merchant_order(no).await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `GET /orders/{no}` on the operator face with the bearer token.
    async fn merchant_order(&self, no: &str) -> Option<Value> {
        let r = http()
            .get(format!("{}/orders/{no}", self.operator))
            .bearer_auth(OPERATOR_TOKEN)
            .send()
            .await
            .expect("GET order");
        if r.status().as_u16() != 200 {
            return None;
        }
        Some(serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON"))
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(STEP)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn order_request(money: u32) -> OrderRequest {
    OrderRequest::from_pairs([
        ("money", money.to_string()),
        ("carrier_type", "D".to_owned()),
        ("username", "ゼウステスト_12345678".to_owned()),
        ("telno", "0312345678".to_owned()),
    ])
}

async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(STEP)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("element text")
}

async fn click(c: &Client, css: &str) {
    c.wait()
        .at_most(STEP)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("STAFF_PAGE_SCREENSHOTS").map_or_else(
        || PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("staff-page"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

/// The page fits the window's width: nothing to scroll sideways.
async fn fits_width(c: &Client, what: &str) {
    let v = c
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
            vec![],
        )
        .await
        .expect("measure");
    let (scroll, client) = (v[0].as_u64().expect("n"), v[1].as_u64().expect("n"));
    assert!(
        scroll <= client + 1,
        "{what}: {scroll}px wide in a {client}px window"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interfaces_3_operator_page_in_a_browser_sign_in_find_settle_cancel_sign_out() {
    let (chromium, driver) = match browser_paths() {
        Ok(p) => p,
        Err(why) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "the browser test cannot run in CI: {why}"
            );
            println!("SKIPPED: browser test: {why}");
            return;
        }
    };
    let stack = std::sync::Arc::new(Stack::start().await);
    let profile = tempfile::tempdir().expect("profile directory");
    let (_chromedriver, client) = browser(&chromium, &driver, profile.path()).await;
    let task = tokio::spawn(scenario(client.clone(), stack.clone()));
    let abort = task.abort_handle();
    let outcome = tokio::time::timeout(WHOLE, task).await;
    abort.abort();
    let _ = tokio::time::timeout(STEP, client.close()).await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("the browser scenario did not finish: {e}"),
        Err(_) => panic!("the browser scenario did not finish within {WHOLE:?}"),
    }
}

async fn scenario(client: Client, stack: std::sync::Arc<Stack>) {
    let c = &client;
    let op = stack.operator.clone();

    // Four orders at the gateway, authorized on 2026-01-14.
    let to_settle = stack.authorized_order(1200).await;
    let to_cancel = stack.authorized_order(800).await;
    let unknown = stack.authorized_order(500).await;
    let untouched = stack.authorized_order(300).await;
    // A settle of `unknown` whose answer never came (what the facade
    // records for a Secure Link call without a readable answer, R-RS-3).
    let store = Store::connect(&stack.db).await.expect("serve's database");
    store
        .mark_reconciliation(
            &OrderNo::parse(&unknown).expect("order no"),
            ReconcileReason::OutcomeUnknown(OperationKind::Settle),
        )
        .await
        .expect("mark");
    store.close().await;
    // A CGI call whose sendid has no saved checkout: stored and flagged
    // (v3 `--unknown-sendid flag`), never applied.
    let r = http()
        .get(format!(
            "{}{CALLBACK_PATH}?clientip={CLIENTIP}&order_no=FLAGGED001&status=03&money=700&carrier_type=D&sendid=NO-SUCH-CHECKOUT",
            stack.serve
        ))
        .send()
        .await
        .expect("CGI call");
    assert_eq!(r.text().await.expect("body"), "successok");
    // 45 days later: the 50-day windows close within a week.
    stack
        .sandbox
        .state()
        .clock()
        .advance(45 * 24 * 60 * 60)
        .expect("a frozen clock moves");

    // Without a session: the sign-in page.
    c.goto(&format!("{op}/")).await.expect("open the page");
    wait_for_url(c, "sent to sign in", |u| u == format!("{op}/login")).await;
    screenshot(c, "01-login-desktop").await;
    // A wrong token: 401, the form again.
    let token = c.find(Locator::Id("token")).await.expect("token field");
    token
        .send_keys("not-the-token-0123456789")
        .await
        .expect("type");
    click(c, "form#login button").await;
    let error = text_of(c, "#login-error").await;
    assert!(error.contains("トークンが正しくありません"), "{error}");
    // The right one.
    let token = c.find(Locator::Id("token")).await.expect("token field");
    token.send_keys(OPERATOR_TOKEN).await.expect("type");
    click(c, "form#login button").await;
    wait_for_url(c, "the list after signing in", |u| u == format!("{op}/")).await;
    let cookies = c.get_all_cookies().await.expect("cookies");
    let session = cookies
        .iter()
        .find(|k| k.name() == "zeus_staff")
        .expect("the session cookie");
    assert_eq!(session.http_only(), Some(true));
    assert_ne!(session.value(), OPERATOR_TOKEN);

    // The list: the flagged order and the unknown outcome first, then the
    // windows.
    let recon = text_of(c, "table#reconciliation").await;
    assert!(recon.contains("FLAGGED001"), "{recon}");
    assert!(recon.contains(&unknown), "{recon}");
    assert!(recon.contains("売上の結果が不明です"), "{recon}");
    assert!(recon.contains("照合に失敗"), "{recon}");
    let windows = text_of(c, "table#windows").await;
    for no in [&to_settle, &to_cancel, &untouched] {
        assert!(windows.contains(no.as_str()), "{no}: {windows}");
    }
    assert!(
        windows.contains("売上確定の期限") && windows.contains("あと"),
        "{windows}"
    );
    let page = c.source().await.expect("source");
    assert!(
        page.find("id=\"reconciliation\"") < page.find("id=\"windows\""),
        "reconciliation first"
    );
    screenshot(c, "02-list-desktop").await;
    fits_width(c, "the list at 1280 px").await;
    c.set_window_size(390, 844).await.expect("phone width");
    c.refresh().await.expect("reload");
    text_of(c, "table#reconciliation").await;
    fits_width(c, "the list at 390 px").await;
    screenshot(c, "03-list-phone").await;
    c.set_window_size(1280, 900).await.expect("desktop width");

    // Settle one order from its page, through the confirmation step.
    c.find(Locator::LinkText(&to_settle))
        .await
        .expect("the order's link")
        .click()
        .await
        .expect("open the order");
    wait_for_url(c, "the order page", |u| {
        u.ends_with(&format!("/ui/orders/{to_settle}"))
    })
    .await;
    let status = text_of(c, "#status").await;
    assert!(status.contains("03 仮売完了"), "{status}");
    // The whole page in one picture: a tall window.
    c.set_window_size(1280, 2300).await.expect("tall window");
    screenshot(c, "04-order-desktop-full").await;
    c.set_window_size(1280, 900).await.expect("desktop width");
    click(c, "form#settle button").await;
    let summary = text_of(c, "#confirm-summary").await;
    assert!(
        summary.contains(&to_settle) && summary.contains("1,200円"),
        "{summary}"
    );
    screenshot(c, "05-confirm-settle-desktop").await;
    click(c, "form#confirm button").await;
    wait_for_url(c, "back on the order", |u| {
        u.ends_with(&format!("/ui/orders/{to_settle}"))
    })
    .await;
    let outcome = text_of(c, "#outcome").await;
    assert!(outcome.contains("売上確定: 成功（success）"), "{outcome}");
    assert!(
        outcome.contains("エラーコード -: なし（正常終了）"),
        "{outcome}"
    );
    screenshot(c, "06-settled-desktop").await;
    let gateway = stack
        .sandbox
        .state()
        .order(&to_settle)
        .expect("at the gateway")
        .order
        .status();
    assert!(
        matches!(gateway, Status::Settling | Status::Completed),
        "the gateway settled it: {gateway:?}"
    );
    // The step is in the history, by the settle's answer or by the CGI
    // call that reported it first.
    c.refresh().await.expect("reload");
    let history = text_of(c, "#history").await;
    assert!(
        history.contains("→ 07 決済完了") || history.contains("→ 05 確定処理中"),
        "{history}"
    );

    // Cancel another, at a phone's width.
    c.set_window_size(390, 844).await.expect("phone width");
    c.goto(&format!("{op}/ui/orders/{to_cancel}"))
        .await
        .expect("open the order");
    fits_width(c, "the order at 390 px").await;
    screenshot(c, "07-order-phone").await;
    c.set_window_size(390, 3200).await.expect("tall phone");
    screenshot(c, "07-order-phone-full").await;
    c.set_window_size(390, 844).await.expect("phone width");
    click(c, "form#cancel button").await;
    text_of(c, "#confirm-summary").await;
    fits_width(c, "the confirmation at 390 px").await;
    screenshot(c, "08-confirm-cancel-phone").await;
    click(c, "form#confirm button").await;
    let outcome = text_of(c, "#outcome").await;
    assert!(outcome.contains("取消: 成功（success）"), "{outcome}");
    screenshot(c, "09-cancelled-phone").await;
    assert_eq!(
        stack
            .sandbox
            .state()
            .order(&to_cancel)
            .expect("at the gateway")
            .order
            .status(),
        Status::AuthorizationCancelled
    );
    c.set_window_size(1280, 900).await.expect("desktop width");

    // A form on another site that posts to the page — even with the real
    // CSRF token — is refused, nothing done.
    c.goto(&format!("{op}/ui/orders/{untouched}"))
        .await
        .expect("open the order");
    let csrf = c
        .find(Locator::Css("form#logout input[name=csrf]"))
        .await
        .expect("the CSRF field")
        .attr("value")
        .await
        .expect("attribute")
        .expect("a token");
    *stack.evil_page.lock().expect("page") = format!(
        "<!DOCTYPE html><html><body><form id=\"evil\" method=\"post\" action=\"{op}/ui/orders/{untouched}/cancel\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">win a prize</button></form></body></html>"
    );
    c.goto(&format!("{}/", stack.evil))
        .await
        .expect("the other site");
    click(c, "form#evil button").await;
    let refused = text_of(c, "h1").await;
    assert_eq!(refused, "操作を受け付けませんでした");
    screenshot(c, "10-cross-site-refused").await;
    assert_eq!(
        stack
            .sandbox
            .state()
            .order(&untouched)
            .expect("at the gateway")
            .order
            .status(),
        Status::Authorized,
        "nothing was sent"
    );
    let json = stack.merchant_order(&untouched).await.expect("order");
    assert_eq!(json["status"]["code"], "03", "{json}");

    // Clear the unknown outcome's mark with a note, after checking the
    // 売上管理画面.
    c.goto(&format!("{op}/ui/orders/{unknown}"))
        .await
        .expect("open the order");
    let reason = text_of(c, "section#reconciliation").await;
    assert!(reason.contains("売上の結果が不明です"), "{reason}");
    c.find(Locator::Id("note"))
        .await
        .expect("note field")
        .send_keys("売上管理画面で仮売完了のままと確認")
        .await
        .expect("type");
    click(c, "form#reconciled button").await;
    let outcome = text_of(c, "#outcome").await;
    assert!(outcome.contains("照合済みにしました"), "{outcome}");
    let history = text_of(c, "#history").await;
    assert!(
        history.contains("売上管理画面で仮売完了のままと確認"),
        "{history}"
    );
    c.set_window_size(1280, 2300).await.expect("tall window");
    screenshot(c, "11-reconciled-desktop-full").await;
    c.set_window_size(1280, 900).await.expect("desktop width");
    c.goto(&format!("{op}/")).await.expect("the list");
    let recon = text_of(c, "table#reconciliation").await;
    assert!(
        !recon.contains(&unknown) && recon.contains("FLAGGED001"),
        "{recon}"
    );

    // Sign out: the page needs signing in again.
    click(c, "form#logout button").await;
    wait_for_url(c, "signed out", |u| u == format!("{op}/login")).await;
    c.goto(&format!("{op}/")).await.expect("the list");
    wait_for_url(c, "signed out for good", |u| u == format!("{op}/login")).await;
}
