//! No cross-site change (INTERFACES.md §2 v3): every POST of the screen
//! and every control endpoint refuses a request from another site (`403`)
//! and changes nothing; the JSON control endpoints take only
//! `application/json` (`415`); requests without `Origin` work as before.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::common::*;

const HOST: &str = "127.0.0.1:8931";

/// Everything a change could touch, read without an Origin.
async fn snapshot(app: &Router) -> String {
    let mut all = String::new();
    for uri in [
        "/_sandbox/orders",
        "/_sandbox/settings",
        "/_sandbox/clock",
        "/_sandbox/mails",
        "/_sandbox/cgi",
    ] {
        let r = get(app, uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        all.push_str(&r.text());
    }
    all
}

/// Every state-changing request of the screen and the control endpoints,
/// with a body and content type that would work from the same site.
fn changes(no: &str) -> Vec<(Method, String, &'static str, String)> {
    let form = "application/x-www-form-urlencoded";
    let js = "application/json";
    vec![
        (
            Method::POST,
            format!("/orders/{no}/cancel"),
            form,
            String::new(),
        ),
        (
            Method::POST,
            format!("/orders/{no}/settle"),
            form,
            "date=&money=".to_owned(),
        ),
        (
            Method::POST,
            format!("/orders/{no}/carrier-outcome"),
            form,
            "settle=fail&cancel=fail".to_owned(),
        ),
        (
            Method::POST,
            format!("/orders/{no}/cgi/1/resend"),
            form,
            String::new(),
        ),
        (
            Method::POST,
            "/settings".to_owned(),
            form,
            "mail_to=evil%40example.com".to_owned(),
        ),
        (
            Method::POST,
            "/settings/clock".to_owned(),
            form,
            "advance_secs=86400".to_owned(),
        ),
        (
            Method::POST,
            format!("/sandbox/carrier/{no}"),
            form,
            "decision=fail".to_owned(),
        ),
        (
            Method::POST,
            "/_sandbox/clock".to_owned(),
            js,
            json!({"advance_secs": 86400}).to_string(),
        ),
        (
            Method::POST,
            format!("/_sandbox/orders/{no}/carrier-outcome"),
            js,
            json!({"settle": "fail"}).to_string(),
        ),
        (
            Method::POST,
            "/_sandbox/cgi/1/resend".to_owned(),
            js,
            String::new(),
        ),
        (
            Method::POST,
            "/_sandbox/settings".to_owned(),
            js,
            json!({"mail_to": "evil@example.com"}).to_string(),
        ),
    ]
}

fn request(
    method: &Method,
    uri: &str,
    content_type: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, content_type);
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    b.body(Body::from(body.to_owned())).expect("request")
}

#[tokio::test]
async fn interfaces_2_a_cross_site_request_changes_nothing_and_answers_403() {
    within(async {
        let receiver = Receiver::start(vec![Behaviour::Ok]).await;
        let url = receiver.url();
        let (app, _state) = sandbox(&["--cgi-url", &url]);
        // One paid order (its CGI 03 sent), one still at the test page.
        let paid = decided_order(&app, "complete").await;
        let open = create_order(&app).await;
        let before = snapshot(&app).await;
        for headers in [
            &[("origin", "http://evil.example")][..],
            &[("origin", "null")],
            &[("origin", "http://127.0.0.1:3000")],
            &[("sec-fetch-site", "cross-site")],
            &[
                ("origin", "http://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        ] {
            for no in [&paid, &open] {
                for (method, uri, ct, body) in changes(no) {
                    let r = send(&app, request(&method, &uri, ct, &body, headers)).await;
                    assert_eq!(
                        r.status,
                        StatusCode::FORBIDDEN,
                        "{method} {uri} {headers:?}: {}",
                        r.text()
                    );
                }
            }
        }
        // Reading the control endpoints from another site is refused too.
        let r = send(
            &app,
            request(
                &Method::GET,
                "/_sandbox/orders",
                "application/json",
                "",
                &[("origin", "http://evil.example")],
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            snapshot(&app).await,
            before,
            "a cross-site request changed the sandbox"
        );
        assert_eq!(status_of(&app, &paid).await, "03");
        assert_eq!(status_of(&app, &open).await, "01");
    })
    .await;
}

#[tokio::test]
async fn interfaces_2_control_endpoints_take_only_json_415() {
    within(async {
        let (app, _state) = sandbox(&[]);
        let no = create_order(&app).await;
        let before = snapshot(&app).await;
        for (uri, body) in [
            (
                "/_sandbox/settings".to_owned(),
                json!({"mail_to": "evil@example.com"}).to_string(),
            ),
            (
                "/_sandbox/clock".to_owned(),
                json!({"advance_secs": 86400}).to_string(),
            ),
            (
                format!("/_sandbox/orders/{no}/carrier-outcome"),
                json!({"cancel": "fail"}).to_string(),
            ),
        ] {
            for ct in [
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
            ] {
                let r = send(&app, request(&Method::POST, &uri, ct, &body, &[])).await;
                assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{uri} {ct}");
                assert!(
                    r.json()["error"]
                        .as_str()
                        .is_some_and(|e| e.contains("application/json"))
                );
            }
        }
        assert_eq!(snapshot(&app).await, before);
    })
    .await;
}

#[tokio::test]
async fn interfaces_2_same_origin_and_originless_requests_still_work() {
    within(async {
        let (app, state) = sandbox(&[]);
        // No Origin (curl, tests): as before.
        let r = post_json(
            &app,
            "/_sandbox/settings",
            json!({"mail_to": "a@example.com"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        // The screen's own form, from its own page.
        let same = [
            ("origin", "http://127.0.0.1:8931"),
            ("sec-fetch-site", "same-origin"),
        ];
        let r = send(
            &app,
            request(
                &Method::POST,
                "/settings",
                "application/x-www-form-urlencoded",
                "mail_to=b%40example.com&mail_on=03",
                &same,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        assert_eq!(state.settings().mail_to, "b@example.com");
        let r = send(
            &app,
            request(
                &Method::POST,
                "/_sandbox/clock",
                "application/json; charset=utf-8",
                r#"{"advance_secs": 60}"#,
                &same,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        // A bodyless resend needs no content type (curl -X POST).
        let r = send(
            &app,
            Request::builder()
                .method(Method::POST)
                .uri("/_sandbox/cgi/1/resend")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "no attempt 1, but not refused: {}",
            r.text()
        );
        // The gateway's own endpoints take the shop's cross-site form.
        let r = send(
            &app,
            request(
                &Method::POST,
                "/cgi-bin/carrier/order.cgi",
                "application/x-www-form-urlencoded",
                &encode(&order_fields(), zeus_carrier_core::Charset::ShiftJis),
                &[
                    ("origin", "https://shop.example"),
                    ("sec-fetch-site", "cross-site"),
                ],
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    })
    .await;
}
