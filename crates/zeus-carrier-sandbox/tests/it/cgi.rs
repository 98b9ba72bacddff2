//! CGI calls on a real loopback socket (SPEC §9, R-CG-1, R-CG-2, R-CG-6,
//! R-ST-3, D-14).

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

fn cgi_flags<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--cgi-url", url, "--cgi-answer-wait-secs", "5"];
    v.extend_from_slice(extra);
    v
}

#[tokio::test]
async fn r_cg_1_decision_calls_the_merchant_before_answering() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::Ok]).await;
        let url = rx.url();
        let (app, _) = sandbox(&cgi_flags(&url, &[]));
        let no = decided_order(&app, "complete").await;
        // The first attempt finished before the decision answered.
        let calls = rx.calls();
        assert_eq!(calls.len(), 1);
        let q = &calls[0];
        // All eleven parameters in the manual's order, Shift_JIS encoded.
        assert!(
            q.starts_with("clientip=1234567890&money=1000&username=%83%5B%83E%83X"),
            "{q}"
        );
        assert!(
            q.contains(&format!(
                "order_no={no}&carrier_type=D&status=03&error_code=-"
            )),
            "{q}"
        );
        let log = get(&app, "/_sandbox/cgi").await.json();
        assert_eq!(log.as_array().expect("array").len(), 1);
        let a = &log[0];
        assert_eq!(a["id"], 1);
        assert_eq!(a["order_no"], no.as_str());
        assert_eq!(a["status"], "03");
        assert_eq!(a["url"], format!("{url}?{q}"));
        assert_eq!(a["attempt"], 1);
        assert_eq!(a["at"], T0);
        assert_eq!(a["http_status"], 200);
        assert_eq!(a["outcome"], "ok");
    })
    .await;
}

#[tokio::test]
async fn r_cg_selected_params_only_and_decline_carries_an_error_code() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::Ok]).await;
        let url = rx.url();
        let (app, _) = sandbox(&cgi_flags(
            &url,
            &["--cgi-params", "status,order_no,error_code"],
        ));
        let no = decided_order(&app, "fail").await;
        let calls = rx.calls();
        assert_eq!(
            calls,
            [format!(
                "order_no={no}&status=02&error_code={}",
                zeus_carrier_sandbox::DECLINE_ERROR_CODE
            )]
        );
    })
    .await;
}

#[tokio::test]
async fn r_st_3_http_error_sends_the_error_mail_without_retry() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::HttpError]).await;
        let url = rx.url();
        let (app, state) = sandbox(&cgi_flags(
            &url,
            &["--cgi-retry", "--cgi-retry-interval-secs", "0.01"],
        ));
        let no = decided_order(&app, "complete").await;
        let ok = eventually(Duration::from_secs(5), || state.mails().len() == 2).await;
        assert!(ok, "{:?}", state.mails());
        let log = state.cgi_attempts();
        assert_eq!(log.len(), 1, "non-200 is not retried");
        assert_eq!(log[0].http_status, Some(500));
        assert_eq!(log[0].outcome.name(), "http_error");
        let mail = &state.mails()[1];
        assert_eq!(mail.subject, "【ZEUS】キャリア決済 CGI送信エラー通知");
        assert_eq!(mail.order_no.as_deref(), Some(no.as_str()));
        assert!(mail.body.contains(&url), "{}", mail.body);
    })
    .await;
}

#[tokio::test]
async fn r_cg_1_bad_body_fails_and_mails_only_on_request() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::BadBody]).await;
        let url = rx.url();
        let (app, state) = sandbox(&cgi_flags(&url, &[]));
        decided_order(&app, "complete").await;
        assert_eq!(state.cgi_attempts()[0].outcome.name(), "bad_body");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(state.mails().len(), 1, "no error mail by default");

        let (app, state) = sandbox(&cgi_flags(&url, &["--cgi-error-mail-on-bad-body"]));
        decided_order(&app, "complete").await;
        let ok = eventually(Duration::from_secs(5), || state.mails().len() == 2).await;
        assert!(ok, "{:?}", state.mails());
    })
    .await;
}

#[tokio::test]
async fn r_cg_2_timeouts_are_retried_then_the_error_mail_is_sent() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::Slow(Duration::from_secs(2))]).await;
        let url = rx.url();
        let (app, state) = sandbox(&cgi_flags(
            &url,
            &[
                "--cgi-timeout-secs",
                "0.2",
                "--cgi-retry",
                "--cgi-retry-interval-secs",
                "0.05",
                "--cgi-max-retries",
                "2",
            ],
        ));
        decided_order(&app, "complete").await;
        let ok = eventually(Duration::from_secs(10), || state.mails().len() == 2).await;
        assert!(ok, "{:?}", state.cgi_attempts());
        let log = state.cgi_attempts();
        let attempts: Vec<_> = log
            .iter()
            .map(|a| (a.attempt, a.outcome.name(), a.http_status))
            .collect();
        assert_eq!(
            attempts,
            [
                (1, "timeout", None),
                (2, "timeout", None),
                (3, "timeout", None)
            ]
        );
        assert!(log.iter().all(|a| a.delivery == log[0].delivery));
        assert!(
            state.mails()[1].body.contains("3回"),
            "{}",
            state.mails()[1].body
        );
    })
    .await;
}

#[tokio::test]
async fn r_cg_2_without_retry_a_timeout_mails_at_once() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::Slow(Duration::from_secs(2))]).await;
        let url = rx.url();
        let (app, state) = sandbox(&cgi_flags(&url, &["--cgi-timeout-secs", "0.2"]));
        decided_order(&app, "complete").await;
        let ok = eventually(Duration::from_secs(5), || state.mails().len() == 2).await;
        assert!(ok);
        assert_eq!(state.cgi_attempts().len(), 1);
        assert_eq!(state.cgi_attempts()[0].outcome.name(), "timeout");
    })
    .await;
}

#[tokio::test]
async fn decision_answer_is_bounded_on_a_slow_merchant() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::Slow(Duration::from_secs(3))]).await;
        let url = rx.url();
        let (app, state) = sandbox(&[
            "--cgi-url",
            &url,
            "--cgi-timeout-secs",
            "10",
            "--cgi-answer-wait-secs",
            "0.2",
        ]);
        let started = std::time::Instant::now();
        let no = decided_order(&app, "complete").await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(status_of(&app, &no).await, "03");
        // The attempt goes on in the background and is logged when done.
        let ok = eventually(Duration::from_secs(8), || state.cgi_attempts().len() == 1).await;
        assert!(ok);
        assert_eq!(state.cgi_attempts()[0].outcome.name(), "ok");
    })
    .await;
}

#[tokio::test]
async fn connect_error_is_logged_without_http_status() {
    within(async {
        // A port that was free a moment ago: nothing listens there.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let url = format!("http://127.0.0.1:{port}/cgi");
        let (app, state) = sandbox(&cgi_flags(&url, &[]));
        decided_order(&app, "complete").await;
        let a = &state.cgi_attempts()[0];
        assert_eq!((a.outcome.name(), a.http_status), ("connect_error", None));
        let ok = eventually(Duration::from_secs(5), || state.mails().len() == 2).await;
        assert!(ok);
    })
    .await;
}

#[tokio::test]
async fn r_cg_2_manual_resend_makes_a_new_delivery() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::HttpError, Behaviour::Ok]).await;
        let url = rx.url();
        let (app, state) = sandbox(&cgi_flags(&url, &[]));
        let no = decided_order(&app, "complete").await;
        assert_eq!(state.cgi_attempts()[0].outcome.name(), "http_error");
        let r = post_json(&app, "/_sandbox/cgi/1/resend", json!({})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        let log = get(&app, "/_sandbox/cgi").await.json();
        assert_eq!(log.as_array().expect("array").len(), 2);
        assert_eq!(log[1]["id"], 2);
        assert_eq!(log[1]["attempt"], 1);
        assert_eq!(log[1]["outcome"], "ok");
        assert_eq!(log[1]["resend_of"], 1);
        assert_eq!(log[1]["url"], log[0]["url"]);
        let calls = rx.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0], calls[1], "the same notification again (R-CG-3)");

        // The screen's resend button: a form POST that redirects back,
        // offered after the server error (#1), not after the delivered
        // resend (#2) (the manual's table, R-CG-2).
        let page = get(&app, &format!("/orders/{no}")).await.text();
        assert!(
            page.contains(&format!("/orders/{no}/cgi/1/resend")),
            "{page}"
        );
        assert!(
            !page.contains(&format!("/orders/{no}/cgi/2/resend")),
            "{page}"
        );
        assert!(page.contains("(#1 の再送信)"), "{page}");
        let r = post_form(&app, &format!("/orders/{no}/cgi/1/resend"), "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.header("location"), Some(format!("/orders/{no}")));
        assert_eq!(state.cgi_attempts().len(), 3);
        let r = post_form(&app, &format!("/orders/{no}/cgi/2/resend"), "").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
        assert_eq!(state.cgi_attempts().len(), 3, "nothing resent");
        let r = post_form(&app, &format!("/orders/{no}/cgi/99/resend"), "").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    })
    .await;
}
