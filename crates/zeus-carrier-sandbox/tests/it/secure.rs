//! `secure.cgi`: settle and cancel with the gateway's exact answers
//! (SPEC §5–§7, R-SL-1..7, R-CN-1, R-TR-1, R-TR-2, R-RS-1).

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

const ZKEY: &str = "sandbox-zkey";

/// Settles `no` with extra fields; returns the response body.
async fn settle(app: &axum::Router, no: &str, extra: &[(&str, &str)]) -> String {
    let mut f = vec![
        ("clientip", "1234567890"),
        ("act", "settled"),
        ("order_no", no),
        ("zkey", ZKEY),
    ];
    f.extend_from_slice(extra);
    let r = secure(app, &f).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain")),
        "{:?}",
        r.header("content-type")
    );
    r.text()
}

async fn cancel(app: &axum::Router, no: &str) -> String {
    let r = secure(
        app,
        &[
            ("clientip", "1234567890"),
            ("act", "return"),
            ("order_no", no),
            ("zkey", ZKEY),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    r.text()
}

/// The response as sorted `key=value` pairs, whatever their order.
fn sorted(body: &str) -> Vec<String> {
    let mut v: Vec<_> = response_params(body)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    v.sort();
    v
}

fn expect(body: &str, result: &str, code: &str, date: Option<&str>) {
    let mut want = vec![format!("result={result}"), format!("error_code={code}")];
    if let Some(d) = date {
        want.push(format!("date={d}"));
    }
    want.sort();
    assert_eq!(sorted(body), want, "{body}");
}

#[tokio::test]
async fn r_tr_2_settle_today_completes_in_the_same_response() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        let body = settle(&app, &no, &[]).await;
        expect(&body, "Success_order", "-", Some("20260110"));
        let o = order_json(&app, &no).await;
        assert_eq!(o["status"]["code"], "07");
        assert_eq!(o["settle_date"], "20260110");
        assert_eq!(o["settled_at"], T0);
        let path: Vec<_> = o["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|h| h["to"].as_str().expect("to").to_owned())
            .collect();
        assert_eq!(path, ["01", "03", "05", "07"]);
        assert_eq!(o["history"][2]["event"], "settle_today");
        let subjects: Vec<_> = state.mails().into_iter().map(|m| m.subject).collect();
        assert_eq!(
            subjects,
            [
                "【ZEUS】キャリア決済 仮売完了通知",
                "【ZEUS】キャリア決済 決済完了通知"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn r_sl_5_settle_a_lower_amount_for_docomo() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        let body = settle(&app, &no, &[("money", "800")]).await;
        expect(&body, "Success_order", "-", Some("20260110"));
        let o = order_json(&app, &no).await;
        assert_eq!(
            (o["money"].clone(), o["original_money"].clone()),
            (json!(800), json!(1000))
        );
        let no = decided_order(&app, "complete").await;
        expect(
            &settle(&app, &no, &[("money", "1001")]).await,
            "failure_order",
            "010010014",
            None,
        );
    })
    .await;
}

#[tokio::test]
async fn r_sl_5_softbank_must_settle_the_original() {
    within(async {
        let (app, _) = sandbox(&[]);
        let mut fields = order_fields();
        fields[2].1 = "S".into();
        let no = create_order_with(&app, &fields).await;
        post_form(&app, &format!("/sandbox/carrier/{no}"), "decision=complete").await;
        expect(
            &settle(&app, &no, &[("money", "999")]).await,
            "failure_order",
            "010010015",
            None,
        );
        expect(
            &settle(&app, &no, &[("money", "1000")]).await,
            "Success_order",
            "-",
            Some("20260110"),
        );
    })
    .await;
}

#[tokio::test]
async fn r_sl_2_r_sl_6_future_date_reserves_then_withdraw_returns_to_03_dated_and_unmailed() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        let body = settle(&app, &no, &[("date", "20260115"), ("money", "900")]).await;
        expect(&body, "Success_order", "-", Some("20260115"));
        let o = order_json(&app, &no).await;
        assert_eq!(o["status"]["code"], "04");
        assert_eq!(o["settle_date"], "20260115");
        assert_eq!(o["money"], 900);
        // 04 is not mailed.
        assert_eq!(state.mails().len(), 1);

        let body = settle(&app, &no, &[("autype", "auth")]).await;
        expect(&body, "Success_order", "-", Some("20260110"));
        let o = order_json(&app, &no).await;
        assert_eq!(o["status"]["code"], "03");
        assert_eq!(o["settle_date"], json!(null));
        assert_eq!(o["money"], 1000);
        // No second 仮売完了通知: it is sent "決済受付手続き完了時" (the
        // manual, L240), which a withdrawal is not.
        assert_eq!(state.mails().len(), 1, "{:?}", state.mails());
        // Nothing to withdraw now (R-SL-6).
        expect(
            &settle(&app, &no, &[("autype", "auth")]).await,
            "failure_order",
            "010010010",
            None,
        );
    })
    .await;
}

#[tokio::test]
async fn r_sl_6_withdraw_on_the_settle_date_is_refused() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        settle(&app, &no, &[("date", "20260111")]).await;
        // 2026-01-11 00:00 is the settle date: the reservation settles and
        // can no longer be withdrawn.
        post_json(
            &app,
            "/_sandbox/clock",
            json!({"now": "2026-01-11T00:00:00+09:00"}),
        )
        .await;
        assert_eq!(status_of(&app, &no).await, "07");
        expect(
            &settle(&app, &no, &[("autype", "auth")]).await,
            "failure_order",
            "010010007",
            None,
        );
    })
    .await;
}

#[tokio::test]
async fn r_sl_1_r_sl_3_r_sl_4_dates() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        // Past date.
        expect(
            &settle(&app, &no, &[("date", "20260109")]).await,
            "failure_order",
            "010010011",
            None,
        );
        // Acceptance date + 51 days.
        expect(
            &settle(&app, &no, &[("date", "20260302")]).await,
            "failure_order",
            "010010011",
            None,
        );
        // 23:55: today is refused, no date means tomorrow.
        post_json(
            &app,
            "/_sandbox/clock",
            json!({"now": "2026-01-10T23:55:00+09:00"}),
        )
        .await;
        expect(
            &settle(&app, &no, &[("date", "20260110")]).await,
            "failure_order",
            "010010012",
            None,
        );
        expect(
            &settle(&app, &no, &[]).await,
            "Success_order",
            "-",
            Some("20260111"),
        );
        assert_eq!(status_of(&app, &no).await, "04");
    })
    .await;
}

#[tokio::test]
async fn r_sl_7_settle_after_the_window_is_expired() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        post_json(
            &app,
            "/_sandbox/clock",
            json!({"now": "2026-03-02T10:00:00+09:00"}),
        )
        .await;
        expect(
            &settle(&app, &no, &[]).await,
            "failure_order",
            "010010013",
            None,
        );
    })
    .await;
}

#[tokio::test]
async fn r_tr_2_carrier_rejects_the_settle_06_with_mail_and_code() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::Ok]).await;
        let url = rx.url();
        let (app, state) = sandbox(&[
            "--cgi-url",
            &url,
            "--cgi-params",
            "order_no,status,error_code",
        ]);
        let no = decided_order(&app, "complete").await;
        let r = post_json(
            &app,
            &format!("/_sandbox/orders/{no}/carrier-outcome"),
            json!({"settle": "fail"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        expect(
            &settle(&app, &no, &[]).await,
            "failure_order",
            "010100034",
            None,
        );
        assert_eq!(status_of(&app, &no).await, "06");
        assert_eq!(
            state.mails()[1].subject,
            "【ZEUS】キャリア決済 確定失敗通知"
        );
        assert_eq!(
            rx.calls(),
            [
                format!("order_no={no}&status=03&error_code=-"),
                format!("order_no={no}&status=06&error_code=010100034"),
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn r_cn_1_cancel_authorization_and_completed_sale() {
    within(async {
        let (app, state) = sandbox(&[]);
        let a = decided_order(&app, "complete").await;
        expect(&cancel(&app, &a).await, "Success_order", "-", None);
        assert_eq!(status_of(&app, &a).await, "10");
        assert_eq!(
            state.mails().last().expect("mail").subject,
            "【ZEUS】キャリア決済 仮売取消完了通知"
        );

        let b = decided_order(&app, "complete").await;
        settle(&app, &b, &[]).await;
        expect(&cancel(&app, &b).await, "Success_order", "-", None);
        assert_eq!(status_of(&app, &b).await, "08");
        assert_eq!(
            state.mails().last().expect("mail").subject,
            "【ZEUS】キャリア決済 取消完了通知"
        );
        // Terminal now (D-2).
        // The cancel's own family (0100101xx, core `cancel` docs).
        expect(&cancel(&app, &b).await, "failure_order", "010010107", None);
    })
    .await;
}

#[tokio::test]
async fn r_cn_1_carrier_fails_the_cancel_09_and_11() {
    within(async {
        let (app, _) = sandbox(&[]);
        let a = decided_order(&app, "complete").await;
        let uri = format!("/_sandbox/orders/{a}/carrier-outcome");
        post_json(&app, &uri, json!({"cancel": "fail"})).await;
        expect(&cancel(&app, &a).await, "failure_order", "010208451", None);
        assert_eq!(status_of(&app, &a).await, "11");

        let b = decided_order(&app, "complete").await;
        settle(&app, &b, &[]).await;
        let uri = format!("/_sandbox/orders/{b}/carrier-outcome");
        post_json(&app, &uri, json!({"cancel": "fail"})).await;
        expect(&cancel(&app, &b).await, "failure_order", "010208451", None);
        let o = order_json(&app, &b).await;
        assert_eq!(o["status"]["code"], "09");
        assert_eq!(o["payout_eligible"], true);
    })
    .await;
}

#[tokio::test]
async fn r_cn_1_cancel_window_is_fifty_days() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        post_json(
            &app,
            "/_sandbox/clock",
            json!({"now": "2026-03-01T10:00:01+09:00"}),
        )
        .await;
        expect(&cancel(&app, &no).await, "failure_order", "010010113", None);
        assert_eq!(status_of(&app, &no).await, "03");
    })
    .await;
}

#[tokio::test]
async fn r_tr_1_settle_or_cancel_in_a_wrong_status_is_010010007_or_010010107() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = create_order(&app).await;
        expect(
            &settle(&app, &no, &[]).await,
            "failure_order",
            "010010007",
            None,
        );
        expect(&cancel(&app, &no).await, "failure_order", "010010107", None);
        assert_eq!(status_of(&app, &no).await, "01");
    })
    .await;
}

#[tokio::test]
async fn spec_5_authentication_unknown_order_and_invalid_fields() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        let wrong_key = [
            ("clientip", "1234567890"),
            ("act", "settled"),
            ("order_no", no.as_str()),
            ("zkey", "wrong-key"),
        ];
        expect(
            &secure(&app, &wrong_key).await.text(),
            "failure_order",
            "010010000",
            None,
        );
        let wrong_ip = [
            ("clientip", "1111111111"),
            ("act", "return"),
            ("order_no", no.as_str()),
            ("zkey", ZKEY),
        ];
        // A cancel answers the cancel family: 010010100 認証失敗.
        expect(
            &secure(&app, &wrong_ip).await.text(),
            "failure_order",
            "010010100",
            None,
        );
        expect(
            &cancel(&app, "NOPE-1").await,
            "failure_order",
            "010010101",
            None,
        );
        let bad_cancel_ip = [
            ("act", "return"),
            ("clientip", "12"),
            ("order_no", no.as_str()),
            ("zkey", ZKEY),
        ];
        expect(
            &secure(&app, &bad_cancel_ip).await.text(),
            "invalid",
            "00000100",
            None,
        );
        expect(
            &settle(&app, "NOPE-1", &[]).await,
            "failure_order",
            "010010001",
            None,
        );
        assert_eq!(status_of(&app, &no).await, "03");

        let cases: [(&[(&str, &str)], &str); 4] = [
            (
                &[
                    ("clientip", "1234567890"),
                    ("order_no", "X"),
                    ("zkey", ZKEY),
                ],
                "00000000",
            ),
            (
                &[
                    ("act", "settled"),
                    ("clientip", "12"),
                    ("order_no", "X"),
                    ("zkey", ZKEY),
                ],
                "00000001",
            ),
            (
                &[
                    ("act", "settled"),
                    ("clientip", "1234567890"),
                    ("money", "1a"),
                    ("order_no", "X"),
                    ("zkey", ZKEY),
                ],
                "00000002",
            ),
            (
                &[
                    ("act", "settled"),
                    ("clientip", "1234567890"),
                    ("order_no", "X"),
                    ("date", "20261301"),
                    ("zkey", ZKEY),
                ],
                "00000005",
            ),
        ];
        for (fields, code) in cases {
            expect(&secure(&app, fields).await.text(), "invalid", code, None);
        }
    })
    .await;
}

#[tokio::test]
async fn r_rs_1_response_parameter_order_varies() {
    within(async {
        let (app, _) = sandbox(&[]);
        let mut orders = std::collections::BTreeSet::new();
        for _ in 0..6 {
            let no = decided_order(&app, "complete").await;
            let body = settle(&app, &no, &[("date", "20260120")]).await;
            expect(&body, "Success_order", "-", Some("20260120"));
            let keys: Vec<_> = response_params(&body).into_iter().map(|(k, _)| k).collect();
            orders.insert(keys);
        }
        assert!(orders.len() >= 3, "{orders:?}");
    })
    .await;
}

#[tokio::test]
async fn r_cg_6_optional_statuses_are_sent_only_when_opted_in() {
    within(async {
        for (optional, want) in [(false, vec!["03"]), (true, vec!["03", "04", "10"])] {
            let rx = Receiver::start(vec![Behaviour::Ok]).await;
            let url = rx.url();
            let mut flags = vec!["--cgi-url", url.as_str(), "--cgi-params", "status"];
            if optional {
                flags.push("--cgi-optional");
            }
            let (app, _) = sandbox(&flags);
            let no = decided_order(&app, "complete").await;
            settle(&app, &no, &[("date", "20260120")]).await;
            expect(&cancel(&app, &no).await, "Success_order", "-", None);
            let got: Vec<_> = rx
                .calls()
                .iter()
                .map(|q| q.trim_start_matches("status=").to_owned())
                .collect();
            assert_eq!(got, want, "optional={optional}");
        }
    })
    .await;
}
