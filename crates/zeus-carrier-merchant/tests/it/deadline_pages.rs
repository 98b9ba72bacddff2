//! `/deadlines` a page at a time through the operator router (INTERFACES
//! v3 §3): `limit`, the opaque `after` cursor in `Link: <…>; rel="next"`,
//! reconciliation entries first, then windows by closing time; the pages
//! together are the whole list, each entry once.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt as _;
use zeus_carrier_core::merchant::{OperationKind, ReconcileReason};
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::{ClientIp, OrderNo};
use zeus_carrier_http::{CgiCall, Clock};
use zeus_carrier_merchant::{Merchant, MerchantConfig, OperatorToken, UnknownSendId};
use zeus_carrier_store::Store;

const TOKEN: &str = "operator-token-0123456789";

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Option<String>, serde_json::Value) {
    let req = Request::builder()
        .uri(uri)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("answer");
    let status = res.status();
    let link = res
        .headers()
        .get("link")
        .map(|v| v.to_str().expect("text").to_owned());
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, link, json)
}

#[tokio::test]
async fn interfaces_v3_deadlines_pages_follow_link_next_and_cover_the_list_once() {
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-01-10T10:00:00+09:00").expect("t0");
    let now = Arc::new(Mutex::new(t0));
    let clock_now = Arc::clone(&now);
    let config = MerchantConfig::builder(
        ClientIp::parse("1234567890").expect("ip"),
        Zkey::new("zkey-0123"),
    )
    .gateway_url("http://127.0.0.1:9")
    .unknown_sendid(UnknownSendId::Apply)
    .clock(Clock::from_fn(move || *clock_now.lock().expect("clock")))
    .build()
    .expect("config");
    let merchant = Merchant::new(
        Store::connect("sqlite::memory:").await.expect("store"),
        config,
    )
    .expect("merchant");
    let receiver = merchant.receiver();
    // Seven authorized orders, an hour apart: their windows close an hour
    // apart.
    for i in 0..7 {
        *now.lock().expect("clock") = t0 + chrono::TimeDelta::hours(i);
        let query =
            format!("clientip=1234567890&order_no=P-{i}&status=03&money=1000&carrier_type=D");
        receiver
            .receive(CgiCall::get(
                Some([127, 0, 0, 1].into()),
                query.into_bytes(),
            ))
            .await
            .expect("recorded");
    }
    *now.lock().expect("clock") = t0 + chrono::TimeDelta::hours(7);
    merchant
        .store()
        .mark_reconciliation(
            &OrderNo::parse("P-5").expect("no"),
            ReconcileReason::OutcomeUnknown(OperationKind::Settle),
        )
        .await
        .expect("marked");
    let app = merchant.operator_router(OperatorToken::new(TOKEN).expect("token"));

    let (status, link, all) = get(&app, "/deadlines?within_days=60").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(link, None, "one page holds everything");
    let all = all.as_array().expect("array").clone();
    // P-5's mark first, then 7 settle windows and 7 cancel windows.
    assert_eq!(all.len(), 15, "{all:#?}");
    assert_eq!(all[0]["kind"], "reconciliation");
    assert_eq!(all[0]["order_no"], "P-5");
    assert_eq!(all[0]["reason_code"], "outcome_unknown.settle");

    let mut paged = Vec::new();
    let mut uri = "/deadlines?within_days=60&limit=4".to_owned();
    let mut pages = 0;
    loop {
        let (status, link, page) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::OK);
        let page = page.as_array().expect("array").clone();
        assert!(page.len() <= 4);
        paged.extend(page);
        pages += 1;
        let Some(link) = link else { break };
        let next = link
            .strip_prefix('<')
            .and_then(|l| l.split_once(">; rel=\"next\""))
            .map(|(u, _)| u.to_owned())
            .unwrap_or_else(|| panic!("Link header {link:?}"));
        assert!(
            next.starts_with("/deadlines?within_days=60&limit=4&after="),
            "{next}"
        );
        uri = next;
        assert!(pages < 10, "pages never end");
    }
    assert_eq!(pages, 4, "15 entries, 4 a page");
    assert_eq!(
        paged, all,
        "the pages are the list, in order, each entry once"
    );
}

#[tokio::test]
async fn interfaces_v3_deadlines_limit_and_after_are_checked() {
    let config = MerchantConfig::builder(
        ClientIp::parse("1234567890").expect("ip"),
        Zkey::new("zkey-0123"),
    )
    .gateway_url("http://127.0.0.1:9")
    .build()
    .expect("config");
    let merchant = Merchant::new(
        Store::connect("sqlite::memory:").await.expect("store"),
        config,
    )
    .expect("merchant");
    let app = merchant.operator_router(OperatorToken::new(TOKEN).expect("token"));
    for bad in [
        "/deadlines?limit=0",
        "/deadlines?limit=10001",
        "/deadlines?limit=x",
        "/deadlines?after=not-a-cursor!",
    ] {
        let (status, _, body) = get(&app, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, _, body) = get(&app, "/deadlines?limit=10000").await;
    assert_eq!((status, body), (StatusCode::OK, serde_json::json!([])));
}
