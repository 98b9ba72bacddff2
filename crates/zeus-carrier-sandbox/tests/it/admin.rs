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
        assert!(html.contains(T0));
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
        assert!(html.contains("approve_authorization"));
        assert!(html.contains("【ZEUS】キャリア決済 仮売完了通知"));
        assert!(html.contains("CGI送信はありません"));
        assert_eq!(
            get(&app, "/orders/NOPE-1").await.status,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}
