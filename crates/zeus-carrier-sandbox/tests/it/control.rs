//! The JSON control endpoints (INTERFACES.md §2).

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn interfaces_2_clock_get_and_set() {
    within(async {
        let (app, _) = sandbox(&[]);
        let r = get(&app, "/_sandbox/clock").await;
        assert_eq!(r.json(), json!({"now": T0, "frozen": true}));
        // Any offset in, +09:00 out.
        let r = post_json(
            &app,
            "/_sandbox/clock",
            json!({"now": "2026-02-01T00:00:00Z"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.json(),
            json!({"now": "2026-02-01T09:00:00+09:00", "frozen": true})
        );
        let r = post_json(&app, "/_sandbox/clock", json!({"advance_secs": 3600})).await;
        assert_eq!(
            r.json(),
            json!({"now": "2026-02-01T10:00:00+09:00", "frozen": true})
        );
        assert_eq!(
            get(&app, "/_sandbox/clock").await.json()["now"],
            "2026-02-01T10:00:00+09:00"
        );
    })
    .await;
}

#[tokio::test]
async fn clock_refuses_bad_bodies() {
    within(async {
        let (app, _) = sandbox(&[]);
        for body in [
            json!({}),
            json!({"now": "yesterday"}),
            json!({"now": T0, "advance_secs": 1}),
            json!({"advance_secs": "ten"}),
            json!({"advance_secs": i64::MAX}),
        ] {
            let r = post_json(&app, "/_sandbox/clock", body.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
            assert!(r.json()["error"].is_string());
        }
        assert_eq!(get(&app, "/_sandbox/clock").await.json()["now"], T0);
    })
    .await;
}

#[tokio::test]
async fn real_clock_is_not_frozen_until_moved() {
    within(async {
        let state = zeus_carrier_sandbox::SandboxState::new(
            zeus_carrier_sandbox::SandboxConfig::from_flags(["--order-prefix", "R"])
                .expect("flags"),
        )
        .expect("state");
        let app = zeus_carrier_sandbox::router(state);
        let v = get(&app, "/_sandbox/clock").await.json();
        assert_eq!(v["frozen"], false);
        assert!(v["now"].as_str().expect("now").ends_with("+09:00"));
        let v = post_json(&app, "/_sandbox/clock", json!({"advance_secs": 0}))
            .await
            .json();
        assert_eq!(v["frozen"], true);
    })
    .await;
}

#[tokio::test]
async fn interfaces_2_unknown_order_is_404() {
    within(async {
        let (app, _) = sandbox(&[]);
        assert_eq!(
            get(&app, "/_sandbox/orders/NOPE-1").await.status,
            StatusCode::NOT_FOUND
        );
        let r = post_json(
            &app,
            "/_sandbox/orders/NOPE-1/carrier-outcome",
            json!({"settle": "fail"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn interfaces_2_carrier_outcome_answers_204_and_checks_its_body() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = create_order(&app).await;
        let uri = format!("/_sandbox/orders/{no}/carrier-outcome");
        let r = post_json(&app, &uri, json!({"settle": "fail"})).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = post_json(&app, &uri, json!({"cancel": "fail", "settle": "ok"})).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let rec = state.order(&no).expect("order");
        assert_eq!(
            rec.next_settle,
            Some(zeus_carrier_sandbox::CarrierOutcome::Ok)
        );
        assert_eq!(
            rec.next_cancel,
            Some(zeus_carrier_sandbox::CarrierOutcome::Fail)
        );
        for bad in [
            json!({}),
            json!({"settle": "maybe"}),
            json!({"refund": "ok"}),
        ] {
            assert_eq!(
                post_json(&app, &uri, bad.clone()).await.status,
                StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn interfaces_2_mails_have_the_documented_fields() {
    within(async {
        let (app, _) = sandbox(&["--mail-to", "shop@example.com"]);
        let no = decided_order(&app, "complete").await;
        let mails = get(&app, "/_sandbox/mails").await.json();
        let m = &mails[0];
        assert_eq!(m["id"], 1);
        assert_eq!(m["at"], T0);
        assert_eq!(m["to"], "shop@example.com");
        assert_eq!(m["subject"], "【ZEUS】キャリア決済 仮売完了通知");
        assert_eq!(m["order_no"], no.as_str());
        let body = m["body"].as_str().expect("body");
        assert!(body.contains("1,000円"), "{body}");
        assert!(body.contains("2026/01/10 10:00:00"), "{body}");
    })
    .await;
}

#[tokio::test]
async fn interfaces_2_cgi_log_is_empty_without_cgi_url() {
    within(async {
        let (app, _) = sandbox(&[]);
        decided_order(&app, "complete").await;
        assert_eq!(get(&app, "/_sandbox/cgi").await.json(), json!([]));
        let r = send(
            &app,
            axum::http::Request::builder()
                .method("POST")
                .uri("/_sandbox/cgi/1/resend")
                .body(axum::body::Body::empty())
                .expect("req"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn mail_dir_gets_eml_files_with_encoded_subjects() {
    within(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().to_str().expect("utf8 path").to_owned();
        let (app, _) = sandbox(&["--mail-dir", &path]);
        let no = decided_order(&app, "complete").await;
        let file = dir.path().join(format!("00001-{no}.eml"));
        let eml = std::fs::read_to_string(&file).expect("eml written");
        assert!(eml.contains("To: merchant@example.invalid"), "{eml}");
        // RFC 2047: the Japanese subject is encoded, not raw.
        let subject = eml
            .lines()
            .find(|l| l.starts_with("Subject:"))
            .expect("subject");
        assert!(subject.contains("=?utf-8?"), "{subject}");
        assert!(!subject.contains("仮売"), "{subject}");
        assert!(eml.contains("charset=utf-8"), "{eml}");
    })
    .await;
}
