//! The sandbox as a shop's test fixture: built without flag strings,
//! started on a free port, the shopper's actions over HTTP to its own
//! routes, typed inspection, stopped on drop (issue 18).

use std::time::{Duration, Instant};

use zeus_carrier_core::charset::form_urlencode;
use zeus_carrier_core::link_point::OrderRequest;
use zeus_carrier_core::{Carrier, Charset, PaymentMode, Status};
use zeus_carrier_sandbox::{CgiTarget, Sandbox, ShopperError};

use crate::common::{Behaviour, Receiver, T0, order_fields, within};

/// The page a merchant's checkout renders for `fields`, posting to
/// `action` (R-LP-5): the core's rendering, as the merchant crate uses it.
fn checkout_page(fields: &[(&str, String)], action: &str, charset: Charset) -> String {
    OrderRequest::from_pairs(fields.iter().map(|(k, v)| (*k, v.clone())))
        .validate(charset)
        .expect("a valid order")
        .render_html_form(action)
}

/// A Secure Link call over HTTP, as a merchant's client sends it.
async fn secure_link(sandbox: &Sandbox, fields: &[(&str, &str)]) -> String {
    let body = form_urlencode(fields.iter().copied(), Charset::ShiftJis).expect("ascii");
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .post(sandbox.secure_cgi_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("secure.cgi")
        .text()
        .await
        .expect("body")
}

/// The "done when": checkout, pay, CGI, settle and cancel from the
/// builder, without HTML parsing or flag strings, well under a second.
#[tokio::test]
async fn a_shop_test_checks_out_pays_gets_the_cgi_settles_and_cancels_in_under_a_second() {
    within(async {
        let receiver = Receiver::start(vec![Behaviour::Ok]).await;
        let started = Instant::now();
        let sandbox = Sandbox::builder()
            .mode(PaymentMode::Authorization)
            .frozen_at(T0.parse().expect("T0"))
            .cgi(CgiTarget::new(receiver.url()))
            .order_prefix("F")
            .start()
            .await
            .expect("start");
        let mut fields = order_fields();
        fields.retain(|(k, _)| *k != "sendpoint");
        fields.push(("sendpoint", "A|B ¥[x]".into()));
        let page = checkout_page(&fields, &sandbox.order_cgi_url(), Charset::ShiftJis);

        let no = sandbox.submit_checkout(&page).await.expect("checkout");
        let order = sandbox.order(&no).expect("order");
        assert_eq!(order.status, Status::Accepting);
        assert_eq!(order.carrier, Carrier::Docomo);
        assert_eq!(order.money, 1000);
        // The Shift_JIS bytes a browser posts decode to what was rendered.
        assert_eq!(order.username, "ゼウステスト_12345678");
        assert_eq!(order.sendpoint, "A|B \\[x]");
        assert!(order.test);

        let paid = sandbox.pay(&no).await.expect("pay");
        assert_eq!(paid.status, Status::Authorized);
        assert!(paid.completed);
        let back = paid.back_link.expect("the success link");
        assert_eq!(back.url, "https://shop.example/ok");
        assert_eq!(back.text, "サイトへ戻る (完了)");
        let cgi = sandbox.cgi_attempts();
        assert_eq!(cgi.len(), 1, "{cgi:?}");
        assert_eq!(cgi[0].status, Status::Authorized);
        assert!(cgi[0].outcome.is_ok());
        assert!(
            receiver.calls()[0].contains("status=03"),
            "{:?}",
            receiver.calls()
        );

        let base = [
            ("clientip", "1234567890"),
            ("zkey", "sandbox-zkey"),
            ("order_no", no.as_str()),
        ];
        let settled = secure_link(&sandbox, &[&base[..], &[("act", "settled")]].concat()).await;
        assert!(settled.contains("result=Success_order"), "{settled}");
        let order = sandbox.order(&no).expect("order");
        assert_eq!(order.status, Status::Completed);
        assert_eq!(order.settled_at, Some(T0.parse().expect("T0")));
        assert!(order.acceptance_completed_at.is_some());

        let cancelled = secure_link(&sandbox, &[&base[..], &[("act", "return")]].concat()).await;
        assert!(cancelled.contains("result=Success_order"), "{cancelled}");
        assert_eq!(sandbox.order(&no).expect("order").status, Status::Cancelled);
        let subjects: Vec<String> = sandbox.mails().into_iter().map(|m| m.subject).collect();
        assert_eq!(subjects.len(), 3, "{subjects:?}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn r_tm_1_fail_payment_shows_the_failure_page_and_a_second_press_is_refused() {
    within(async {
        let sandbox = Sandbox::builder()
            .mode(PaymentMode::Immediate)
            .charset(Charset::Utf8)
            .start()
            .await
            .expect("start");
        let page = checkout_page(&order_fields(), &sandbox.order_cgi_url(), Charset::Utf8);
        let no = sandbox.submit_checkout(&page).await.expect("checkout");
        let failed = sandbox.fail_payment(&no).await.expect("fail");
        assert_eq!(failed.status, Status::PaymentFailed);
        assert!(!failed.completed);
        assert_eq!(
            failed.back_link.map(|l| l.url).as_deref(),
            Some("https://shop.example/ng")
        );
        match sandbox.pay(&no).await {
            Err(ShopperError::NotPayable { status, .. }) => {
                assert_eq!(status, Status::PaymentFailed);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            sandbox.pay("NO-SUCH").await,
            Err(ShopperError::UnknownOrder(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn d_3_a_form_in_another_charset_posts_the_bytes_a_browser_would() {
    within(async {
        // The merchant renders UTF-8, the sandbox reads Shift_JIS: a browser
        // posts UTF-8 bytes, which the gateway cannot read as Shift_JIS
        // text the merchant meant.
        let sandbox = Sandbox::builder().start().await.expect("start");
        let page = checkout_page(&order_fields(), &sandbox.order_cgi_url(), Charset::Utf8);
        // The UTF-8 bytes of ゼウステスト are not valid Shift_JIS: order.cgi
        // refuses the form naming the field (D-3), and no order exists.
        match sandbox.submit_checkout(&page).await {
            Err(ShopperError::OrderRefused { status, violations }) => {
                assert_eq!(status, 400);
                assert_eq!(violations.len(), 1, "{violations:?}");
                assert_eq!(violations[0].field, "username");
                assert_eq!(violations[0].spec, "D-3");
            }
            other => panic!("{other:?}"),
        }
        assert!(sandbox.orders().is_empty());
    })
    .await;
}

#[tokio::test]
async fn r_lp_1_a_refused_checkout_lists_every_violation() {
    within(async {
        let sandbox = Sandbox::builder().start().await.expect("start");
        let mut fields = order_fields();
        fields.retain(|(k, _)| *k != "telno");
        // Rendered without validation, as a merchant with a bug would.
        let page = OrderRequest::from_pairs(
            fields
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .chain([("money", "0".to_owned())]),
        )
        .render_html_form(&sandbox.order_cgi_url(), Charset::ShiftJis);
        match sandbox.submit_checkout(&page).await {
            Err(ShopperError::OrderRefused { status, violations }) => {
                assert_eq!(status, 400);
                let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
                assert!(
                    fields.contains(&"telno") && fields.contains(&"money"),
                    "{violations:?}"
                );
                assert!(violations.iter().all(|v| !v.rule.is_empty()));
            }
            other => panic!("{other:?}"),
        }
        assert!(sandbox.orders().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_page_without_a_checkout_form_or_posting_elsewhere_is_refused() {
    within(async {
        let sandbox = Sandbox::builder().start().await.expect("start");
        assert!(matches!(
            sandbox.submit_checkout("<p>no form</p>").await,
            Err(ShopperError::NoCheckoutForm)
        ));
        let page = checkout_page(
            &order_fields(),
            "https://gw.example/cgi-bin/carrier/order.cgi",
            Charset::ShiftJis,
        );
        assert!(matches!(
            sandbox.submit_checkout(&page).await,
            Err(ShopperError::FormPostsElsewhere { .. })
        ));
        let relative = checkout_page(
            &order_fields(),
            "/cgi-bin/carrier/order.cgi",
            Charset::ShiftJis,
        );
        assert!(sandbox.submit_checkout(&relative).await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    within(async {
        let sandbox = Sandbox::builder().start().await.expect("start");
        let url = format!("{}/_sandbox/clock", sandbox.url());
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        assert!(client.get(&url).send().await.is_ok());
        drop(sandbox);
        let mut refused = false;
        for _ in 0..50 {
            if client
                .get(&url)
                .timeout(Duration::from_millis(500))
                .send()
                .await
                .is_err()
            {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(refused, "the server still answers after drop");
    })
    .await;
}

#[tokio::test]
async fn the_handle_moves_its_clock_and_settles_what_came_due() {
    within(async {
        let sandbox = Sandbox::builder()
            .frozen_at(T0.parse().expect("T0"))
            .start()
            .await
            .expect("start");
        let page = checkout_page(&order_fields(), &sandbox.order_cgi_url(), Charset::ShiftJis);
        let no = sandbox.submit_checkout(&page).await.expect("checkout");
        sandbox.pay(&no).await.expect("pay");
        // A reservation for tomorrow (R-SL-2).
        let body = secure_link(
            &sandbox,
            &[
                ("clientip", "1234567890"),
                ("zkey", "sandbox-zkey"),
                ("order_no", no.as_str()),
                ("act", "settled"),
                ("date", "20260111"),
            ],
        )
        .await;
        assert!(body.contains("Success_order"), "{body}");
        assert_eq!(
            sandbox.order(&no).expect("order").status,
            Status::SettleReserved
        );
        let t = sandbox
            .advance(chrono::TimeDelta::hours(14))
            .await
            .expect("advance");
        assert_eq!(t.to_rfc3339(), "2026-01-11T00:00:00+09:00");
        assert_eq!(sandbox.order(&no).expect("order").status, Status::Completed);
        sandbox
            .set_now("2026-01-20T10:00:00+09:00".parse().expect("t"))
            .await;
        assert!(sandbox.is_frozen());
        assert_eq!(sandbox.now().to_rfc3339(), "2026-01-20T10:00:00+09:00");
    })
    .await;
}
