//! The test clock settling reservations at 00:00 Japan time of their date
//! (R-SL-2, D-5, D-6).

use std::time::Duration;

use serde_json::json;

use crate::common::*;

async fn reserve(app: &axum::Router, no: &str, date: &str) {
    let r = secure(
        app,
        &[
            ("clientip", "1234567890"),
            ("act", "settled"),
            ("order_no", no),
            ("zkey", "sandbox-zkey"),
            ("date", date),
        ],
    )
    .await;
    assert_eq!(
        param(&r.text(), "result").as_deref(),
        Some("Success_order"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn r_sl_2_reservation_settles_at_midnight_with_mail_and_cgi_before_the_clock_answers() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::Ok]).await;
        let url = rx.url();
        let (app, state) = sandbox(&["--cgi-url", &url, "--cgi-params", "order_no,status"]);
        let no = decided_order(&app, "complete").await;
        reserve(&app, &no, "20260112").await;
        assert_eq!(status_of(&app, &no).await, "04");

        let r = post_json(
            &app,
            "/_sandbox/clock",
            json!({"now": "2026-01-11T23:59:59+09:00"}),
        )
        .await;
        assert_eq!(
            r.json(),
            json!({"now": "2026-01-11T23:59:59+09:00", "frozen": true})
        );
        assert_eq!(status_of(&app, &no).await, "04", "not before 00:00");

        let r = post_json(&app, "/_sandbox/clock", json!({"advance_secs": 1})).await;
        assert_eq!(r.json()["now"], "2026-01-12T00:00:00+09:00");
        // Settled, mailed and called before the clock call answered.
        let o = order_json(&app, &no).await;
        assert_eq!(o["status"]["code"], "07");
        assert_eq!(o["settled_at"], "2026-01-12T00:00:00+09:00");
        let tail: Vec<_> = o["history"].as_array().expect("h")[3..]
            .iter()
            .map(|h| {
                (
                    h["from"].clone(),
                    h["to"].clone(),
                    h["event"].clone(),
                    h["at"].clone(),
                )
            })
            .collect();
        assert_eq!(
            tail,
            [
                (
                    json!("04"),
                    json!("05"),
                    json!("settle_date_arrives"),
                    json!("2026-01-12T00:00:00+09:00")
                ),
                (
                    json!("05"),
                    json!("07"),
                    json!("carrier_confirms_settle"),
                    json!("2026-01-12T00:00:00+09:00")
                ),
            ]
        );
        assert_eq!(
            state.mails().last().expect("mail").subject,
            "【ZEUS】キャリア決済 決済完了通知"
        );
        assert_eq!(
            rx.calls(),
            [
                format!("order_no={no}&status=03"),
                format!("order_no={no}&status=07")
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn r_sl_2_a_jump_over_several_days_settles_on_the_reserved_day() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        reserve(&app, &no, "20260113").await;
        post_json(&app, "/_sandbox/clock", json!({"advance_secs": 10 * 86400})).await;
        let o = order_json(&app, &no).await;
        assert_eq!(o["status"]["code"], "07");
        assert_eq!(o["settled_at"], "2026-01-13T00:00:00+09:00");
        // The mail is sent now, and says when the sale was confirmed.
        let mail = state.mails().pop().expect("mail");
        assert_eq!(
            zeus_carrier_sandbox::rfc3339(&mail.at),
            "2026-01-20T10:00:00+09:00"
        );
        assert!(mail.body.contains("2026/01/13 00:00:00"), "{}", mail.body);
    })
    .await;
}

#[tokio::test]
async fn r_sl_2_carrier_rejection_at_the_date_gives_06() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        reserve(&app, &no, "20260111").await;
        post_json(
            &app,
            &format!("/_sandbox/orders/{no}/carrier-outcome"),
            json!({"settle": "fail"}),
        )
        .await;
        post_json(
            &app,
            "/_sandbox/clock",
            json!({"now": "2026-01-11T09:00:00+09:00"}),
        )
        .await;
        assert_eq!(status_of(&app, &no).await, "06");
        assert_eq!(
            state.mails().last().expect("mail").subject,
            "【ZEUS】キャリア決済 確定失敗通知"
        );
    })
    .await;
}

#[tokio::test]
async fn in_process_sandbox_serves_on_loopback_and_moves_its_clock() {
    within(async {
        let sb = zeus_carrier_sandbox::Sandbox::builder()
            .frozen_at(T0.parse().expect("T0"))
            .order_prefix("L")
            .start()
            .await
            .expect("start");
        assert!(sb.base_url().starts_with("http://127.0.0.1:"));
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let text = client
            .get(format!("{}/_sandbox/clock", sb.base_url()))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .expect("send")
            .text()
            .await
            .expect("text");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v, json!({"now": T0, "frozen": true}));
        let t = sb.advance_secs(60).await.expect("advance");
        assert_eq!(
            zeus_carrier_sandbox::rfc3339(&t),
            "2026-01-10T10:01:00+09:00"
        );
        assert_eq!(
            zeus_carrier_sandbox::rfc3339(&sb.now()),
            "2026-01-10T10:01:00+09:00"
        );
        sb.shutdown().await.expect("clean shutdown");
    })
    .await;
}
