//! The management screen's operations and settings (INTERFACES §2: the
//! screen's cancel/settle forms, `/_sandbox/settings`), the failure link on
//! order.cgi's 400 page, and CGI by POST and its cadence over real sockets.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::json;
use zeus_carrier_core::Charset;
use zeus_carrier_core::charset::parse_form;

use crate::common::*;

const ZKEY: &str = "sandbox-zkey";

async fn secure_cancel(app: &Router, no: &str) -> String {
    secure(
        app,
        &[
            ("clientip", "1234567890"),
            ("act", "return"),
            ("order_no", no),
            ("zkey", ZKEY),
        ],
    )
    .await
    .text()
}

async fn screen_cancel(app: &Router, no: &str) -> Reply {
    let r = post_form(app, &format!("/orders/{no}/cancel"), "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.header("location").as_deref(),
        Some(format!("/orders/{no}").as_str())
    );
    get(app, &format!("/orders/{no}")).await
}

fn subjects(state: &zeus_carrier_sandbox::SandboxState, no: &str) -> Vec<String> {
    state
        .mails()
        .iter()
        .filter(|m| m.order_no.as_deref() == Some(no))
        .map(|m| m.subject.clone())
        .collect()
}

#[tokio::test]
async fn r_cn_1_screen_cancel_follows_secure_cgi_exactly() {
    within(async {
        let (app, state) = sandbox(&[]);
        // Twin orders: one cancelled over Secure Link, one on the screen.
        for outcome in ["ok", "fail"] {
            let by_link = decided_order(&app, "complete").await;
            let by_screen = decided_order(&app, "complete").await;
            for no in [&by_link, &by_screen] {
                let r = post_json(
                    &app,
                    &format!("/_sandbox/orders/{no}/carrier-outcome"),
                    json!({ "cancel": outcome }),
                )
                .await;
                assert_eq!(r.status, StatusCode::NO_CONTENT);
            }
            let answer = secure_cancel(&app, &by_link).await;
            let page = screen_cancel(&app, &by_screen).await.text();
            let (link, screen) = (
                status_of(&app, &by_link).await,
                status_of(&app, &by_screen).await,
            );
            assert_eq!(link, screen, "{outcome}");
            assert_eq!(link, if outcome == "ok" { "10" } else { "11" });
            assert_eq!(subjects(&state, &by_link), subjects(&state, &by_screen));
            // The page shows the answer secure.cgi gave.
            let code = param(&answer, "error_code").expect("code");
            let result = param(&answer, "result").expect("result");
            assert!(
                page.contains(&format!("({result}) / エラーコード {code}")),
                "{page}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn r_tr_1_a_refused_screen_cancel_changes_nothing_and_shows_code_and_meaning() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = decided_order(&app, "fail").await;
        let mails = state.mails().len();
        let before = order_json(&app, &no).await;
        let page = screen_cancel(&app, &no).await.text();
        assert!(
            page.contains(
                "取消の結果: 失敗 (failure_order) / エラーコード 010010107 (処理できないステータス)"
            ),
            "{page}"
        );
        assert_eq!(order_json(&app, &no).await, before);
        assert_eq!(state.mails().len(), mails);
        // An unknown order is a 404.
        let r = post_form(&app, "/orders/NOPE-1/cancel", "").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn r_sl_1_r_sl_2_screen_settle_with_defaults_future_date_and_refusals() {
    within(async {
        let (app, state) = sandbox(&[]);
        let no = decided_order(&app, "complete").await;
        // The form offers secure.cgi's defaults: today (before 23:55) and
        // the current amount.
        let page = get(&app, &format!("/orders/{no}")).await.text();
        assert!(page.contains("name=\"date\" value=\"20260110\""), "{page}");
        assert!(page.contains("name=\"money\" value=\"1000\""), "{page}");

        // A past date and a malformed one are refused, nothing changes.
        for (body, shown) in [
            (
                "date=20260109&money=1000",
                "売上の結果: 失敗 (failure_order) / エラーコード 010010011",
            ),
            (
                "date=2026-01-20&money=1000",
                "売上の結果: パラメータ不正 (invalid) / エラーコード 00000005",
            ),
            (
                "date=&money=1a",
                "売上の結果: パラメータ不正 (invalid) / エラーコード 00000002",
            ),
            (
                "date=20260110&money=1001",
                "売上の結果: 失敗 (failure_order) / エラーコード 010010014",
            ),
        ] {
            let r = post_form(&app, &format!("/orders/{no}/settle"), body).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
            let page = get(&app, &format!("/orders/{no}")).await.text();
            assert!(page.contains(shown), "{body}: {page}");
            assert_eq!(status_of(&app, &no).await, "03", "{body}");
        }
        // A future date reserves (04), a lower amount; then today settles.
        let r = post_form(
            &app,
            &format!("/orders/{no}/settle"),
            "date=20260120&money=800",
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let o = order_json(&app, &no).await;
        assert_eq!(o["status"]["code"], "04");
        assert_eq!(o["settle_date"], "20260120");
        assert_eq!(o["money"], 800);
        let r = post_form(&app, &format!("/orders/{no}/settle"), "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(status_of(&app, &no).await, "07");
        assert!(
            subjects(&state, &no)
                .iter()
                .any(|s| s.contains("決済完了通知"))
        );
        let page = get(&app, &format!("/orders/{no}")).await.text();
        assert!(
            page.contains("売上の結果: 成功 (Success_order) / エラーコード - (決済成功)"),
            "{page}"
        );
    })
    .await;
}

#[tokio::test]
async fn interfaces_2_settings_json_defaults_changes_and_refusals() {
    within(async {
        let (app, _) = sandbox(&[]);
        let r = get(&app, "/_sandbox/settings").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.json(),
            json!({"mail_to": "merchant@example.invalid", "mail_off": [], "test_mail": true, "test_cgi": true})
        );
        let r = post_json(&app, "/_sandbox/settings", json!({"mail_off": ["07", "03"]})).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["mail_off"], json!(["03", "07"]));
        assert_eq!(r.json()["mail_to"], "merchant@example.invalid");
        for bad in [
            json!({"mail_to": "not an address"}),
            json!({"mail_off": ["05"]}),
            json!({"test_cgi": 1}),
            json!({"other": true}),
        ] {
            let r = post_json(&app, "/_sandbox/settings", bad.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(r.json()["error"].as_str().expect("error").starts_with("settings: "));
        }
        let r = get(&app, "/_sandbox/settings").await;
        assert_eq!(r.json()["mail_off"], json!(["03", "07"]), "refusals changed nothing");
    })
    .await;
}

#[tokio::test]
async fn r_st_2_settings_turn_mails_off_change_the_address_and_silence_test_payments() {
    within(async {
        let rx = Receiver::start(vec![Behaviour::Ok]).await;
        let url = rx.url();
        let (app, state) = sandbox(&["--cgi-url", &url]);
        // 03's mail off; another address.
        let r = post_json(
            &app,
            "/_sandbox/settings",
            json!({"mail_off": ["03"], "mail_to": "staff@example.com"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let a = decided_order(&app, "complete").await;
        assert!(subjects(&state, &a).is_empty(), "03's mail is off");
        assert_eq!(rx.calls().len(), 1, "the CGI is still sent");
        let r = post_form(&app, &format!("/orders/{a}/cancel"), "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let mails = state.mails();
        let last = mails.last().expect("cancel mail");
        assert!(
            last.subject.contains("仮売取消完了通知"),
            "{}",
            last.subject
        );
        assert_eq!(last.to, "staff@example.com");

        // Test payments: no mail and no CGI.
        let r = post_json(
            &app,
            "/_sandbox/settings",
            json!({"mail_off": [], "test_mail": false, "test_cgi": false}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let calls = rx.calls().len();
        let b = decided_order(&app, "complete").await;
        assert!(subjects(&state, &b).is_empty());
        assert_eq!(rx.calls().len(), calls);
        assert!(state.cgi_attempts().iter().all(|c| c.order_no != b));
        // A payment that is not a test still mails and calls.
        let mut fields = order_fields();
        fields[3].1 = "ゼウステスト".into();
        let c = create_order_with(&app, &fields).await;
        let r = post_form(&app, &format!("/sandbox/carrier/{c}"), "decision=complete").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(subjects(&state, &c).len(), 1);
        assert_eq!(rx.calls().len(), calls + 1);
    })
    .await;
}

#[tokio::test]
async fn interfaces_2_settings_page_forms_for_settings_clock_and_carrier_outcomes() {
    within(async {
        let (app, state) = sandbox(&[]);
        let page = get(&app, "/settings").await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains("name=\"mail_on\" value=\"03\""), "{html}");
        assert!(html.contains("仮売完了通知"), "{html}");
        // Everything on but 07; test payments send no CGI.
        let body = "mail_to=ops%40example.com&mail_on=03&mail_on=06&mail_on=08&mail_on=09\
                    &mail_on=10&mail_on=11&test_mail=on";
        let r = post_form(&app, "/settings", body).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            get(&app, "/_sandbox/settings").await.json(),
            json!({"mail_to": "ops@example.com", "mail_off": ["07"], "test_mail": true, "test_cgi": false})
        );
        let r = post_form(&app, "/settings", "mail_to=nope").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(state.settings().mail_to, "ops@example.com");

        // The clock form moves the clock like the JSON endpoint.
        let r = post_form(&app, "/settings/clock", "advance_secs=3600").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(get(&app, "/_sandbox/clock").await.json()["now"], "2026-01-10T11:00:00+09:00");
        let r = post_form(&app, "/settings/clock", "now=2026-01-11T09%3A00%3A00%2B09%3A00").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(get(&app, "/_sandbox/clock").await.json()["now"], "2026-01-11T09:00:00+09:00");
        let r = post_form(&app, "/settings/clock", "advance_secs=soon").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);

        // The order page's carrier-outcome form: the next cancel fails.
        let no = decided_order(&app, "complete").await;
        let r = post_form(&app, &format!("/orders/{no}/carrier-outcome"), "settle=&cancel=fail").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        screen_cancel(&app, &no).await;
        assert_eq!(status_of(&app, &no).await, "11");
    })
    .await;
}

#[tokio::test]
async fn r_lp_1_the_400_page_links_back_to_failure_url() {
    within(async {
        let (app, _) = sandbox(&[]);
        let mut fields = order_fields();
        fields[1].1 = "0".into(); // money out of range
        let r = post_form(
            &app,
            "/cgi-bin/carrier/order.cgi",
            encode(&fields, Charset::ShiftJis),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let html = r.text();
        assert!(
            html.contains(
                "<a class=\"site-back\" href=\"https://shop.example/ng\">サイトへ戻る (失敗)</a>"
            ),
            "{html}"
        );
        // No link without failure_str, nor for a URL the core refuses.
        let without: Vec<_> = fields
            .iter()
            .filter(|(k, _)| *k != "failure_str")
            .cloned()
            .collect();
        let mut hostile = fields.clone();
        hostile[10].1 = "javascript:alert(1)".into();
        for f in [without, hostile] {
            let r = post_form(
                &app,
                "/cgi-bin/carrier/order.cgi",
                encode(&f, Charset::ShiftJis),
            )
            .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
            assert!(!r.text().contains("site-back"), "{}", r.text());
        }
    })
    .await;
}

/// One call a [`Recorder`] received.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    content_type: Option<String>,
    query: Option<String>,
    body: Vec<u8>,
    at: Instant,
}

/// A merchant receiver that records every call with its method, headers,
/// body and arrival time, and answers `successok` after `delay`.
#[derive(Clone)]
struct Recorder {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    async fn start(delay: Duration) -> Recorder {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let st = (seen.clone(), delay);
        let app = Router::new()
            .route("/cgi", axum::routing::any(record))
            .with_state(st);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Recorder { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}/cgi", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

async fn record(
    State((seen, delay)): State<(Arc<Mutex<Vec<Seen>>>, Duration)>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> (StatusCode, &'static str) {
    seen.lock().expect("seen").push(Seen {
        method,
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        query,
        body: body.to_vec(),
        at: Instant::now(),
    });
    tokio::time::sleep(delay).await;
    (StatusCode::OK, "successok")
}

#[tokio::test]
async fn interfaces_2_cgi_by_post_sends_the_form_as_a_body_in_the_charset() {
    within(async {
        let rx = Recorder::start(Duration::ZERO).await;
        let url = rx.url();
        let (app, state) = sandbox(&["--cgi-url", &url, "--cgi-method", "post"]);
        let no = decided_order(&app, "complete").await;
        let seen = rx.seen();
        assert_eq!(seen.len(), 1);
        let call = &seen[0];
        assert_eq!(call.method, Method::POST);
        assert_eq!(call.query, None, "nothing in the URL");
        assert_eq!(
            call.content_type.as_deref(),
            Some("application/x-www-form-urlencoded; charset=Shift_JIS")
        );
        let fields = parse_form(&call.body, Charset::ShiftJis).expect("Shift_JIS form");
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("order_no").as_deref(), Some(no.as_str()));
        assert_eq!(get("status").as_deref(), Some("03"));
        assert_eq!(get("username").as_deref(), Some("ゼウステスト_12345678"));
        // The log shows the target as `url` and the form as `body`.
        let log = get_json_list(&app).await;
        assert_eq!(log[0]["url"], url);
        assert_eq!(log[0]["method"], "POST");
        assert_eq!(
            log[0]["body"],
            String::from_utf8(call.body.clone()).expect("ascii")
        );
        assert_eq!(log[0]["outcome"], "ok");
        // A manual resend repeats the POST.
        let id = state.cgi_attempts()[0].id;
        let r = post_json(&app, &format!("/_sandbox/cgi/{id}/resend"), json!({})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        let again = &rx.seen()[1];
        assert_eq!(
            (again.method.clone(), again.body.clone()),
            (Method::POST, call.body.clone())
        );
    })
    .await;
}

async fn get_json_list(app: &Router) -> Vec<serde_json::Value> {
    get(app, "/_sandbox/cgi")
        .await
        .json()
        .as_array()
        .expect("list")
        .clone()
}

/// R-CG-2 over sockets: with a merchant that never answers in time, each
/// retry starts as the previous attempt times out — the attempts arrive one
/// interval apart, not timeout + interval apart.
#[tokio::test]
async fn r_cg_2_timed_out_attempts_are_retried_as_they_time_out() {
    within(async {
        let rx = Recorder::start(Duration::from_secs(5)).await;
        let url = rx.url();
        let (app, state) = sandbox(&[
            "--cgi-url",
            &url,
            "--cgi-retry",
            "--cgi-timeout-secs",
            "0.4",
            "--cgi-retry-interval-secs",
            "0.4",
            "--cgi-max-retries",
            "3",
            "--cgi-answer-wait-secs",
            "0.1",
        ]);
        decided_order(&app, "complete").await;
        assert!(
            eventually(Duration::from_secs(10), || state
                .mails()
                .iter()
                .any(|m| m.subject.contains("CGI送信エラー")))
            .await
        );
        let seen = rx.seen();
        assert_eq!(seen.len(), 4, "the first attempt and three retries");
        for pair in seen.windows(2) {
            let gap = pair[1].at - pair[0].at;
            // 0.4 s apart (start to start), never 0.8 s (timeout + pause).
            assert!(
                gap >= Duration::from_millis(350) && gap < Duration::from_millis(650),
                "{gap:?}"
            );
        }
    })
    .await;
}

/// R-CG-2: a refused connection is retried one interval after it started.
#[tokio::test]
async fn r_cg_2_refused_connections_are_retried_one_interval_after_they_started() {
    within(async {
        // A port nobody listens on.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/cgi", listener.local_addr().expect("addr"));
        drop(listener);
        let (app, state) = sandbox(&[
            "--cgi-url",
            &url,
            "--cgi-retry",
            "--cgi-retry-interval-secs",
            "0.3",
            "--cgi-max-retries",
            "2",
        ]);
        let started = Instant::now();
        decided_order(&app, "complete").await;
        assert!(
            eventually(Duration::from_secs(10), || state
                .mails()
                .iter()
                .any(|m| m.subject.contains("CGI送信エラー")))
            .await
        );
        let elapsed = started.elapsed();
        let attempts = state.cgi_attempts();
        assert_eq!(attempts.len(), 3);
        assert!(attempts.iter().all(|a| a.outcome.name() == "connect_error"));
        // Two intervals of 0.3 s between three starts.
        assert!(
            elapsed >= Duration::from_millis(550) && elapsed < Duration::from_secs(3),
            "{elapsed:?}"
        );
    })
    .await;
}

/// D-7 (docs/DECISIONS.md): the windows count from 受付完了, the order
/// leaving 01 — here a day after order.cgi accepted it.
#[tokio::test]
async fn d7_windows_count_from_acceptance_completed_not_from_order_cgi() {
    within(async {
        let (app, _) = sandbox(&[]);
        let no = create_order(&app).await;
        let r = post_json(&app, "/_sandbox/clock", json!({"advance_secs": 86_400})).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = post_form(&app, &format!("/sandbox/carrier/{no}"), "decision=complete").await;
        assert_eq!(r.status, StatusCode::OK);
        let o = order_json(&app, &no).await;
        assert_eq!(o["accepted_at"], T0);
        assert_eq!(o["acceptance_completed_at"], "2026-01-11T10:00:00+09:00");
        // 2026-01-11 + 50 days = 2026-03-02: still open, though 2026-01-10
        // + 50 has passed.
        let r = post_json(
            &app,
            "/_sandbox/clock",
            json!({"now": "2026-03-02T10:00:00+09:00"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let answer = secure(
            &app,
            &[
                ("clientip", "1234567890"),
                ("act", "settled"),
                ("order_no", no.as_str()),
                ("zkey", ZKEY),
            ],
        )
        .await
        .text();
        assert_eq!(
            param(&answer, "result").as_deref(),
            Some("Success_order"),
            "{answer}"
        );
        assert_eq!(status_of(&app, &no).await, "07");
    })
    .await;
}
