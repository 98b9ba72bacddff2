//! The payment test page and the shopper's decision (R-TM-1, SPEC §3).

use axum::http::StatusCode;

use crate::common::*;

#[tokio::test]
async fn r_tm_1_test_page_has_both_buttons() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = create_order(&app).await;
        let r = get(&app, &format!("/sandbox/carrier/{no}")).await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(html.contains("キャリア決済お支払いテスト"));
        assert!(
            html.contains("value=\"complete\">支払完了テスト</button>"),
            "{html}"
        );
        assert!(
            html.contains("value=\"fail\">支払失敗テスト</button>"),
            "{html}"
        );
        assert!(html.contains(&format!("action=\"/sandbox/carrier/{no}\"")));
        assert_eq!(
            get(&app, "/sandbox/carrier/NOPE-1").await.status,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn r_tr_complete_in_auth_mode_authorizes_with_mail_and_back_link() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = create_order(&app).await;
        let r = post_form(&app, &format!("/sandbox/carrier/{no}"), "decision=complete").await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(html.contains("お支払い完了"));
        assert!(
            html.contains(
                "<a class=\"site-back\" href=\"https://shop.example/ok\">サイトへ戻る (完了)</a>"
            ),
            "{html}"
        );
        let o = order_json(&app, &no).await;
        assert_eq!(o["status"]["code"], "03");
        assert_eq!(o["history"][1]["from"], "01");
        assert_eq!(o["history"][1]["to"], "03");
        assert_eq!(o["history"][1]["event"], "approve_authorization");
        assert_eq!(o["settled_at"], serde_json::Value::Null);
        let mails = state.mails();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].subject, "【ZEUS】キャリア決済 仮売完了通知");
        assert_eq!(mails[0].order_no.as_deref(), Some(no.as_str()));
        assert!(mails[0].body.contains(&no));
    })
    .await;
}

#[tokio::test]
async fn r_tr_complete_in_immediate_mode_completes() {
    within(async {
        let (app, state) = sandbox(&["--mode", "immediate"]);
        let no = decided_order(&app, "complete").await;
        let o = order_json(&app, &no).await;
        assert_eq!(o["status"]["code"], "07");
        assert_eq!(o["status"]["label"], "決済完了");
        assert_eq!(o["settled_at"], T0);
        assert_eq!(o["payout_eligible"], true);
        assert_eq!(
            state.mails()[0].subject,
            "【ZEUS】キャリア決済 決済完了通知"
        );
    })
    .await;
}

#[tokio::test]
async fn r_tr_fail_declines_without_mail_and_shows_failure_link() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = create_order(&app).await;
        let r = post_form(&app, &format!("/sandbox/carrier/{no}"), "decision=fail").await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        assert!(html.contains("お支払い失敗"));
        assert!(html.contains("href=\"https://shop.example/ng\">サイトへ戻る (失敗)</a>"));
        assert_eq!(status_of(&app, &no).await, "02");
        // 02 is not mailed (SPEC §2).
        assert!(state.mails().is_empty());
    })
    .await;
}

#[tokio::test]
async fn interfaces_2_second_decision_is_409_and_changes_nothing() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        let r = post_form(&app, &format!("/sandbox/carrier/{no}"), "decision=fail").await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(status_of(&app, &no).await, "03");
        assert_eq!(state.mails().len(), 1);
        let page = get(&app, &format!("/sandbox/carrier/{no}")).await.text();
        assert!(!page.contains("<button"), "no buttons once decided");
    })
    .await;
}

#[tokio::test]
async fn bad_or_unknown_decisions() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = create_order(&app).await;
        let r = post_form(&app, &format!("/sandbox/carrier/{no}"), "decision=maybe").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = post_form(&app, &format!("/sandbox/carrier/{no}"), "").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(status_of(&app, &no).await, "01");
        let r = post_form(&app, "/sandbox/carrier/NOPE-1", "decision=complete").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn manual_l71_a_tag_in_the_back_link_text_is_refused_and_shown_escaped() {
    within(async {
        // The back-link texts take the manual's classes (L71): `<` is
        // refused before any order exists; the violations page shows the
        // character escaped. A stored link is escaped on the result pages
        // (`result_pages_escape_a_stored_back_link`).
        let (app, state) = sandbox(&[]);
        let mut fields = order_fields();
        fields[9].1 = "<script>alert(1)</script>".into();
        let r = post_form(
            &app,
            "/cgi-bin/carrier/order.cgi",
            encode(&fields, zeus_carrier_core::Charset::ShiftJis),
        )
        .await;
        assert_eq!(r.status, axum::http::StatusCode::BAD_REQUEST);
        let html = r.text();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("success_str"), "{html}");
        assert!(html.contains("&#39;&#60;&#39;"), "{html}");
        assert!(state.orders().is_empty());
    })
    .await;
}
