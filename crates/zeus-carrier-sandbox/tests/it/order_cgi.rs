//! `POST /cgi-bin/carrier/order.cgi` (SPEC §4, R-LP-1, R-TM-1, D-3).

use axum::http::StatusCode;
use zeus_carrier_core::Charset;
use zeus_carrier_sandbox::ORDER_NO_HEADER;

use crate::common::*;

#[tokio::test]
async fn r_lp_valid_shift_jis_order_is_created_in_01_and_redirected() {
    within(async {
        let (app, _) = sandbox(&[]);
        let body = encode(&order_fields(), Charset::ShiftJis);
        // Shift_JIS bytes on the wire: ゼ is 0x83 0x5B.
        assert!(body.contains("%83%5B"), "{body}");
        let r = post_form(&app, "/cgi-bin/carrier/order.cgi", body).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let no = r.header(ORDER_NO_HEADER).expect("header");
        assert_eq!(r.header("location"), Some(format!("/sandbox/carrier/{no}")));
        assert!(no.len() <= 38);
        assert!(
            no.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        );

        let o = order_json(&app, &no).await;
        assert_eq!(o["order_no"], no.as_str());
        assert_eq!(o["clientip"], "1234567890");
        assert_eq!(o["carrier"], "D");
        assert_eq!(o["money"], 1000);
        assert_eq!(o["original_money"], 1000);
        assert_eq!(
            o["status"],
            serde_json::json!({"code": "01", "name": "Accepting", "label": "受付中"})
        );
        assert_eq!(o["accepted_at"], T0);
        assert_eq!(o["settle_date"], serde_json::Value::Null);
        assert_eq!(o["settled_at"], serde_json::Value::Null);
        assert_eq!(o["test"], true);
        assert_eq!(o["username"], "ゼウステスト_12345678");
        assert_eq!(o["telno"], "0312345678");
        assert_eq!(o["email"], "shopper@example.com");
        assert_eq!(o["sendid"], "A-1");
        assert_eq!(o["sendpoint"], "P 1");
        assert_eq!(
            o["history"],
            serde_json::json!([{"at": T0, "from": null, "to": "01", "event": "accepted"}])
        );
    })
    .await;
}

#[tokio::test]
async fn r_lp_order_numbers_are_distinct() {
    within(async {
        let (app, _) = sandbox(&[]);
        let a = create_order(&app).await;
        let b = create_order(&app).await;
        assert_ne!(a, b);
        let list = get(&app, "/_sandbox/orders").await.json();
        let nos: Vec<_> = list
            .as_array()
            .expect("array")
            .iter()
            .map(|o| o["order_no"].as_str().expect("no").to_owned())
            .collect();
        assert_eq!(nos, [a, b]);
    })
    .await;
}

#[tokio::test]
async fn r_lp_1_invalid_order_lists_every_violation_and_creates_nothing() {
    within(async {
        let (app, _) = sandbox(&[]);
        let mut fields = order_fields();
        fields.retain(|(k, _)| *k != "telno");
        for (k, v) in fields.iter_mut() {
            match *k {
                "money" => *v = "50001".into(),
                "username" => *v = "ぜうす".into(),
                "success_str" => v.clear(),
                _ => {}
            }
        }
        let r = post_form(
            &app,
            "/cgi-bin/carrier/order.cgi",
            encode(&fields, Charset::ShiftJis),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.header(ORDER_NO_HEADER).is_none());
        let html = r.text();
        let rows = html.matches("<tr class=\"violation\">").count();
        assert!(rows >= 4, "every violation listed: {html}");
        for field in ["telno", "money", "username", "success_str"] {
            assert!(
                html.contains(&format!("<td>{field}</td>")),
                "{field} missing: {html}"
            );
        }
        assert_eq!(
            get(&app, "/_sandbox/orders").await.json(),
            serde_json::json!([])
        );
    })
    .await;
}

#[tokio::test]
async fn d3_malformed_shift_jis_is_refused() {
    within(async {
        let (app, _) = sandbox(&[]);
        // 0x83 is a Shift_JIS lead byte without its trail byte.
        let body = "clientip=1234567890&money=1000&carrier_type=D&username=%83&telno=0312345678";
        let r = post_form(&app, "/cgi-bin/carrier/order.cgi", body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.text().contains("username"), "{}", r.text());
        assert_eq!(
            get(&app, "/_sandbox/orders").await.json(),
            serde_json::json!([])
        );
    })
    .await;
}

#[tokio::test]
async fn d3_utf8_charset_reads_utf8_forms() {
    within(async {
        let (app, _) = sandbox(&["--charset", "utf8"]);
        let r = post_form(
            &app,
            "/cgi-bin/carrier/order.cgi",
            encode(&order_fields(), Charset::Utf8),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let no = r.header(ORDER_NO_HEADER).expect("no");
        assert_eq!(
            order_json(&app, &no).await["username"],
            "ゼウステスト_12345678"
        );
    })
    .await;
}

#[tokio::test]
async fn interfaces_2_a_foreign_ip_code_is_refused() {
    within(async {
        let (app, _) = sandbox(&[]);
        let mut fields = order_fields();
        fields[0].1 = "0987654321".into();
        let r = post_form(
            &app,
            "/cgi-bin/carrier/order.cgi",
            encode(&fields, Charset::ShiftJis),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.text().contains("clientip"));
    })
    .await;
}

#[tokio::test]
async fn r_tm_1_test_flag_follows_the_test_ids() {
    within(async {
        let (app, _) = sandbox(&["--test-id", "555", "--test-id", "777"]);
        let mut fields = order_fields();
        fields[3].1 = "テスト_777".into();
        let test = create_order_with(&app, &fields).await;
        assert_eq!(order_json(&app, &test).await["test"], true);
        // The default ID is replaced by the given ones.
        let real = create_order(&app).await;
        assert_eq!(order_json(&app, &real).await["test"], false);
        let page = get(&app, &format!("/sandbox/carrier/{real}")).await;
        assert!(page.text().contains("テスト決済ではありません"));
    })
    .await;
}
