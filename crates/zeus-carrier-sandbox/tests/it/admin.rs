//! The management screen (売上管理画面).

use axum::http::StatusCode;

use crate::common::*;

#[tokio::test]
async fn management_screen_lists_orders_with_labels_and_amounts() {
    within(async {
        let (app, _) = sandbox(&[]);
        let a = decided_order(&app, "complete").await;
        let b = decided_order(&app, "fail").await;
        let r = get(&app, "/").await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(html.contains("売上管理画面"));
        assert!(
            html.contains(&format!("<a href=\"/orders/{a}\">{a}</a>")),
            "{html}"
        );
        assert!(html.contains(&format!("<a href=\"/orders/{b}\">{b}</a>")));
        assert!(html.contains("03 仮売完了"));
        assert!(html.contains("02 決済失敗"));
        assert!(html.contains("1,000円"));
        // Times as the gateway's screens write them, in Japan time.
        assert!(html.contains("2026/01/10 10:00:00"), "{html}");
        assert!(!html.contains(T0), "{html}");
        for label in [
            "モード 仮売決済処理",
            "利用キャリア",
            "ユーザー受付完了日時",
            "売上確定日時",
            "テストカード番号管理",
        ] {
            assert!(html.contains(label), "{label}: {html}");
        }
    })
    .await;
}

#[tokio::test]
async fn management_screen_detail_shows_history_and_mails() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        let r = get(&app, &format!("/orders/{no}")).await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(html.contains("仮売完了 (キャリア承認)"), "{html}");
        assert!(!html.contains("approve_authorization"), "{html}");
        for label in [
            "利用者名",
            "電話番号",
            "メールアドレス",
            "変更前",
            "変更後",
            "受付 (order.cgi)",
        ] {
            assert!(html.contains(label), "{label}: {html}");
        }
        assert!(html.contains("【ZEUS】キャリア決済 仮売完了通知"));
        assert!(html.contains("CGI送信はありません"));
        assert_eq!(
            get(&app, "/orders/NOPE-1").await.status,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

/// INTERFACES §2 v3: the list and the order page show ユーザー受付完了日時
/// (the order leaving 01) and 売上確定日時 (07), where the windows count
/// from (manual L399, L403).
#[tokio::test]
async fn interfaces_2_screen_shows_acceptance_completion_and_settlement_times() {
    within(async {
        let (app, _) = sandbox(&["--mode", "immediate"]);
        let no = create_order(&app).await;
        let row = |html: &str| {
            let start = html
                .find(&format!("<a href=\"/orders/{no}\">"))
                .expect("row");
            html[start..]
                .split("</tr>")
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        // 01: neither moment yet.
        let list = get(&app, "/").await.text();
        assert_eq!(
            row(&list).matches("2026/01/10 10:00:00").count(),
            1,
            "{list}"
        );
        post_json(
            &app,
            "/_sandbox/clock",
            serde_json::json!({"advance_secs": 90}),
        )
        .await;
        let r = post_form(&app, &format!("/sandbox/carrier/{no}"), "decision=complete").await;
        assert_eq!(r.status, StatusCode::OK);
        // 07 at 10:01:30: 受付完了 and 売上確定 at once (immediate sale).
        let list = get(&app, "/").await.text();
        assert_eq!(
            row(&list).matches("2026/01/10 10:01:30").count(),
            2,
            "{list}"
        );
        let page = get(&app, &format!("/orders/{no}")).await.text();
        assert!(
            page.contains("<tr><th>ユーザー受付完了日時</th><td>2026/01/10 10:01:30</td></tr>"),
            "{page}"
        );
        assert!(
            page.contains("<tr><th>売上確定日時</th><td>2026/01/10 10:01:30</td></tr>"),
            "{page}"
        );
    })
    .await;
}

/// The manual L432: テストカード番号管理 shows the test IDs in force and the
/// username a tester types.
#[tokio::test]
async fn r_tm_1_test_ids_page_lists_the_ids_in_force() {
    within(async {
        let (app, _) = sandbox(&["--test-id", "111", "--test-id", "22222222"]);
        let r = get(&app, "/test-ids").await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(html.contains("テストカード番号管理"));
        assert!(
            html.contains("<tr><td>111</td><td>ゼウステスト_111</td></tr>"),
            "{html}"
        );
        assert!(
            html.contains("<tr><td>22222222</td><td>ゼウステスト_22222222</td></tr>"),
            "{html}"
        );
        assert!(
            !html.contains("12345678"),
            "the default is replaced: {html}"
        );
    })
    .await;
}

/// A confirmation step comes before 取消 and 売上: the order page's
/// buttons open a page (GET, nothing changes) whose form does it.
#[tokio::test]
async fn cancel_and_settle_are_confirmed_before_they_run() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        let page = get(&app, &format!("/orders/{no}")).await.text();
        assert!(
            page.contains(&format!(
                "<form id=\"cancel\" method=\"get\" action=\"/orders/{no}/cancel\">"
            )),
            "{page}"
        );
        assert!(
            page.contains(&format!(
                "<form id=\"settle\" method=\"get\" action=\"/orders/{no}/settle\">"
            )),
            "{page}"
        );
        let mails = state.mails().len();
        let confirm = get(&app, &format!("/orders/{no}/cancel")).await;
        assert_eq!(confirm.status, StatusCode::OK);
        let html = confirm.text();
        assert!(
            html.contains("取消の確認") && html.contains("取消を実行"),
            "{html}"
        );
        assert!(
            html.contains(&format!("method=\"post\" action=\"/orders/{no}/cancel\"")),
            "{html}"
        );
        let confirm = get(
            &app,
            &format!("/orders/{no}/settle?date=20260120&money=800"),
        )
        .await;
        assert_eq!(confirm.status, StatusCode::OK);
        let html = confirm.text();
        assert!(
            html.contains("売上の確認") && html.contains("売上を実行"),
            "{html}"
        );
        assert!(
            html.contains("<input type=\"hidden\" name=\"date\" value=\"20260120\">"),
            "{html}"
        );
        assert!(
            html.contains("<input type=\"hidden\" name=\"money\" value=\"800\">"),
            "{html}"
        );
        // Opening the confirmations changed nothing.
        assert_eq!(status_of(&app, &no).await, "03");
        assert_eq!(state.mails().len(), mails);
        assert_eq!(
            get(&app, "/orders/NOPE-1/cancel").await.status,
            StatusCode::NOT_FOUND
        );
        // The confirmed form posts what the page showed.
        let r = post_form(
            &app,
            &format!("/orders/{no}/settle"),
            "date=20260120&money=800",
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(status_of(&app, &no).await, "04");
    })
    .await;
}
