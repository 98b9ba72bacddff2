//! The Secure Link client against a fake gateway (SPEC §5–§7, R-RS-2,
//! R-RS-3).

use std::time::Duration;

use zeus_carrier_core::secure_link::{Outcome, UnknownReason, Zkey};
use zeus_carrier_core::settle::{OrderFacts, SettleParams, SettlePlan};
use zeus_carrier_core::{Carrier, Event, Status};
use zeus_carrier_http::{CallError, ClientConfig, SecureLinkClient};

use crate::support::{Behavior, LogCapture, at, chunked_server, fake_gateway, resetting_server};

const ZKEY: &str = "zkey-SECRET-41f2";

fn client(url: &str, total: Duration) -> SecureLinkClient {
    let mut cfg = ClientConfig::new(url, "1234567890", Zkey::new(ZKEY));
    cfg.total_timeout = total;
    cfg.connect_timeout = Duration::from_secs(2);
    SecureLinkClient::new(cfg).expect("client config")
}

fn authorized() -> OrderFacts {
    OrderFacts {
        status: Status::Authorized,
        carrier: Carrier::Docomo,
        original_money: 1000,
        accepted_at: at("2026-01-09T10:00:00+09:00"),
        settled_at: None,
        settle_date: None,
    }
}

fn now() -> zeus_carrier_core::time::JstDateTime {
    at("2026-01-10T10:00:00+09:00")
}

async fn settle_with(
    behavior: Behavior,
) -> (Result<zeus_carrier_http::SettleCall, CallError>, usize) {
    let gw = fake_gateway(behavior).await;
    let c = client(&gw.url, Duration::from_secs(5));
    let r = c
        .settle(&authorized(), "ORD-1", SettleParams::default(), now())
        .await;
    (r, gw.hits())
}

#[tokio::test]
async fn r_rs_2_success_order_is_success_and_posts_the_form() {
    let gw = fake_gateway(Behavior::Reply(
        200,
        b"error_code=-&date=20260110&result=Success_order".to_vec(),
    ))
    .await;
    let c = client(&gw.url, Duration::from_secs(5));
    let call = c
        .settle(
            &authorized(),
            "ORD-1",
            SettleParams {
                money: Some(800),
                ..SettleParams::default()
            },
            now(),
        )
        .await
        .expect("sent");
    assert_eq!(
        call.outcome,
        Outcome::Success {
            date: chrono::NaiveDate::from_ymd_opt(2026, 1, 10)
        }
    );
    assert!(matches!(call.plan, SettlePlan::Today { money: 800, .. }));
    assert_eq!(
        call.events,
        vec![
            Event::SettleToday { money: 800 },
            Event::CarrierConfirmsSettle
        ]
    );
    assert_eq!(gw.hits(), 1);
    let (ct, body) = gw.bodies().pop().expect("one body");
    assert_eq!(ct, "application/x-www-form-urlencoded");
    assert_eq!(
        body,
        format!("clientip=1234567890&act=settled&order_no=ORD-1&zkey={ZKEY}&money=800")
    );
}

#[tokio::test]
async fn r_rs_2_failure_maintenance_invalid_are_reported_as_such() {
    for (body, name, code) in [
        (
            "result=failure_order&error_code=010100034",
            "failure",
            "010100034",
        ),
        (
            "result=maintenance&error_code=020020000",
            "maintenance",
            "020020000",
        ),
        ("result=invalid&error_code=00000006", "invalid", "00000006"),
    ] {
        let (r, hits) = settle_with(Behavior::Reply(200, body.as_bytes().to_vec())).await;
        let call = r.expect("sent");
        assert_eq!(call.outcome.wire_name(), name, "{body}");
        assert_eq!(call.outcome.error_code(), Some(code));
        assert_eq!(hits, 1, "never retried: {body}");
    }
}

#[tokio::test]
async fn r_tr_2_carrier_failure_on_a_settle_today_means_settle_failed() {
    let (r, _) = settle_with(Behavior::Reply(
        200,
        b"result=failure_order&error_code=010100034".to_vec(),
    ))
    .await;
    assert_eq!(
        r.expect("sent").events,
        vec![
            Event::SettleToday { money: 1000 },
            Event::CarrierRejectsSettle
        ]
    );
}

#[tokio::test]
async fn r_rs_3_a_hang_past_the_timeout_is_unknown_not_failure() {
    let gw = fake_gateway(Behavior::Hang(Duration::from_secs(10))).await;
    let c = client(&gw.url, Duration::from_millis(400));
    let started = std::time::Instant::now();
    let call = c
        .settle(&authorized(), "ORD-1", SettleParams::default(), now())
        .await
        .expect("sent");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by the timeout"
    );
    assert!(
        matches!(
            call.outcome,
            Outcome::Unknown {
                reason: UnknownReason::Transport(_)
            }
        ),
        "{:?}",
        call.outcome
    );
    assert!(call.outcome.needs_reconciliation());
    assert!(call.events.is_empty());
    assert_eq!(gw.hits(), 1, "R-RS-3: never retried");
}

#[tokio::test]
async fn r_rs_3_a_reset_connection_is_unknown() {
    let (url, conns, task) = resetting_server().await;
    let c = client(&url, Duration::from_secs(5));
    let call = c.cancel(&authorized(), "ORD-1", now()).await.expect("sent");
    task.abort();
    assert_eq!(call.outcome.wire_name(), "unknown", "{:?}", call.outcome);
    assert!(call.events.is_empty());
    assert_eq!(
        conns.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "never retried"
    );
}

#[tokio::test]
async fn r_rs_3_a_500_is_unknown_even_with_a_result_body() {
    let (r, hits) = settle_with(Behavior::Reply(
        500,
        b"result=failure_order&error_code=010010007".to_vec(),
    ))
    .await;
    let call = r.expect("sent");
    assert_eq!(
        call.outcome,
        Outcome::Unknown {
            reason: UnknownReason::HttpStatus(500)
        }
    );
    assert_eq!(hits, 1);
}

#[tokio::test]
async fn r_rs_3_a_garbage_body_is_unknown() {
    let (r, _) = settle_with(Behavior::Reply(
        200,
        b"<html>Service Unavailable</html>".to_vec(),
    ))
    .await;
    assert!(matches!(
        r.expect("sent").outcome,
        Outcome::Unknown {
            reason: UnknownReason::BadBody(_)
        }
    ));
}

#[tokio::test]
async fn r_rs_3_a_huge_body_is_not_read_and_is_unknown() {
    let mut body = b"result=Success_order&error_code=-&pad=".to_vec();
    body.resize(2 * 1024 * 1024, b'x');
    let (r, _) = settle_with(Behavior::Reply(200, body)).await;
    let outcome = r.expect("sent").outcome;
    let Outcome::Unknown {
        reason: UnknownReason::Transport(why),
    } = &outcome
    else {
        panic!("expected unknown, got {outcome:?}");
    };
    assert!(why.contains("larger than 65536"), "{why}");
}

#[tokio::test]
async fn r_sl_local_refusal_sends_nothing() {
    let gw = fake_gateway(Behavior::Reply(
        200,
        b"result=Success_order&error_code=-".to_vec(),
    ))
    .await;
    let c = client(&gw.url, Duration::from_secs(5));
    // R-TR-1: a completed order cannot be settled.
    let completed = OrderFacts {
        status: Status::Completed,
        ..authorized()
    };
    let err = c
        .settle(&completed, "ORD-1", SettleParams::default(), now())
        .await
        .expect_err("refused locally");
    assert_eq!((err.error_code(), err.rule()), ("010010007", "R-TR-1"));
    // R-SL-5: above the original amount.
    let err = c
        .settle(
            &authorized(),
            "ORD-1",
            SettleParams {
                money: Some(1001),
                ..SettleParams::default()
            },
            now(),
        )
        .await
        .expect_err("refused locally");
    assert_eq!(err.error_code(), "010010014");
    // R-CN-1: a failed payment cannot be cancelled.
    let failed = OrderFacts {
        status: Status::PaymentFailed,
        ..authorized()
    };
    let err = c
        .cancel(&failed, "ORD-1", now())
        .await
        .expect_err("refused locally");
    assert!(matches!(err, CallError::Refused(_)));
    // SPEC §5–§6: a malformed order_no is `invalid`, locally: 00000003 in
    // a settle, the cancel family's 00000101 in a cancel.
    let err = c
        .settle(&authorized(), "ORD_1", SettleParams::default(), now())
        .await
        .expect_err("malformed");
    assert_eq!((err.result(), err.error_code()), ("invalid", "00000003"));
    let err = c
        .cancel(&authorized(), "ORD_1", now())
        .await
        .expect_err("malformed");
    assert_eq!((err.result(), err.error_code()), ("invalid", "00000101"));
    assert_eq!(gw.hits(), 0, "nothing reached the gateway");
}

#[tokio::test]
async fn r_cn_cancel_success_means_cancel_ok() {
    let gw = fake_gateway(Behavior::Reply(
        200,
        b"result=Success_order&error_code=-".to_vec(),
    ))
    .await;
    let c = client(&gw.url, Duration::from_secs(5));
    let call = c.cancel(&authorized(), "ORD-9", now()).await.expect("sent");
    assert!(call.outcome.is_success());
    assert_eq!(call.events, vec![Event::CancelOk]);
    let (_, body) = gw.bodies().pop().expect("body");
    assert_eq!(
        body,
        format!("clientip=1234567890&act=return&order_no=ORD-9&zkey={ZKEY}")
    );
}

#[test]
fn r_sl_zkey_never_appears_in_client_logs_or_debug() {
    let logs = LogCapture::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for behavior in [
            Behavior::Reply(
                200,
                b"result=Success_order&error_code=-&date=20260110".to_vec(),
            ),
            Behavior::Reply(500, Vec::new()),
            Behavior::Hang(Duration::from_secs(5)),
        ] {
            let gw = fake_gateway(behavior).await;
            let c = client(&gw.url, Duration::from_millis(300));
            let call = c
                .settle(&authorized(), "ORD-LOG", SettleParams::default(), now())
                .await
                .expect("sent");
            assert!(!format!("{call:?}").contains(ZKEY));
            assert!(!format!("{c:?}").contains(ZKEY), "client Debug");
            assert!(
                gw.bodies().iter().any(|(_, b)| b.contains(ZKEY)),
                "zkey is sent"
            );
        }
    });
    let text = logs.text();
    assert!(
        text.contains("order_no=\"ORD-LOG\"") || text.contains("order_no=ORD-LOG"),
        "{text}"
    );
    assert!(text.contains("outcome"), "{text}");
    assert!(!text.contains(ZKEY), "zkey leaked into logs:\n{text}");
}

#[test]
fn config_refuses_plain_http_to_a_remote_host() {
    let cfg = ClientConfig::new(
        "http://gateway.example.invalid",
        "1234567890",
        Zkey::new(ZKEY),
    );
    assert!(matches!(
        SecureLinkClient::new(cfg),
        Err(zeus_carrier_http::ConfigError::InsecureGatewayUrl { .. })
    ));
    let cfg = ClientConfig::new(
        "https://gateway.example.invalid",
        "1234567890",
        Zkey::new(""),
    );
    assert!(matches!(
        SecureLinkClient::new(cfg),
        Err(zeus_carrier_http::ConfigError::BadZkey)
    ));
}

#[tokio::test]
async fn r_rs_3_a_huge_chunked_body_is_cut_off_and_is_unknown() {
    // 100 × 8 KiB without Content-Length: the bound applies while reading.
    let (url, task) = chunked_server(100).await;
    let c = client(&url, Duration::from_secs(10));
    let call = c
        .settle(&authorized(), "ORD-1", SettleParams::default(), now())
        .await
        .expect("sent");
    task.abort();
    let Outcome::Unknown {
        reason: UnknownReason::Transport(why),
    } = &call.outcome
    else {
        panic!("expected unknown, got {:?}", call.outcome);
    };
    assert!(why.contains("larger than 65536"), "{why}");
}
