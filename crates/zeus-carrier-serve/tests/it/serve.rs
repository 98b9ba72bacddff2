//! The reference merchant service's endpoints (INTERFACES §3), through
//! `serve_router` without a socket, against a fake gateway.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use zeus_carrier_core::Charset;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_http::{Clock, SigningKey};
use zeus_carrier_serve::{OperatorToken, ServeConfig, ServeState, operator_router, serve_router};
use zeus_carrier_store::Store;

use crate::support::{
    Behavior, CLIENTIP, FakeGateway, TestDb, at, cgi_query, fake_gateway, get, oneshot,
    save_checkout,
};

const LOCAL: &str = "127.0.0.1:40001";
/// A gateway that is not loopback: serve then needs `--allow-ip`
/// (INTERFACES v3 §3).
const REAL_GATEWAY: &str = "https://gateway.example.invalid";

/// `--allow-ip` with the address the tests' calls come from (the
/// gateway's addresses from the contract, in a real shop).
fn allow_local(c: &mut ServeConfig) {
    c.allow_ip = vec!["127.0.0.1/32".parse().expect("net")];
}
const CALLBACK: &str = "/zeus/carrier/callback";
pub(crate) const ZKEY: &str = "serve-zkey-SECRET-9d3";
/// The operator token of these tests.
pub(crate) const TOKEN: &str = "operator-token-SECRET-5f2e8a";

/// A service on `db` talking to `gateway`, its clock fixed at
/// 2026-01-10 10:00 Japan time: both faces in one router (the operator
/// paths need [`TOKEN`]).
pub(crate) async fn app(
    store: &Store,
    gateway: &str,
    f: impl FnOnce(&mut ServeConfig),
) -> axum::Router {
    let mut cfg = ServeConfig::new(CLIENTIP, Zkey::new(ZKEY));
    cfg.gateway_url = gateway.to_owned();
    cfg.charset = Charset::Utf8;
    f(&mut cfg);
    let state = ServeState::new(
        store.clone(),
        &cfg,
        Clock::fixed(at("2026-01-10T10:00:00+09:00")),
    )
    .expect("serve config");
    let token = OperatorToken::new(TOKEN).expect("token");
    serve_router(state.clone()).merge(operator_router(state, &token).expect("operator router"))
}

async fn json_of(
    router: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let body = body.map(|b| ("application/json", serde_json::to_vec(&b).expect("json")));
    let bearer = format!("Bearer {TOKEN}");
    let (s, b, _) = oneshot(
        router,
        LOCAL,
        method,
        uri,
        &[("authorization", bearer.as_str())],
        body,
    )
    .await;
    let v = serde_json::from_slice(&b)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&b).into_owned()));
    (s, v)
}

/// Records a CGI call for `order_no` in `status` with 1000 yen on docomo,
/// for the checkout `S-{order_no}` this merchant saved (the checkout is
/// saved first, as `POST /checkout` does: with `--unknown-sendid flag`, the
/// default, a call without one is flagged, not applied).
async fn notify(router: &axum::Router, store: &Store, order_no: &str, status: &str) {
    let sendid = format!("S-{order_no}");
    save_checkout(store, &sendid, 1000).await;
    let q = cgi_query(
        order_no,
        status,
        &[
            ("money", "1000"),
            ("carrier_type", "D"),
            ("sendid", &sendid),
        ],
    );
    let (s, body) = get(router, LOCAL, &format!("{CALLBACK}?{q}")).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
}

async fn gateway(body: &str) -> FakeGateway {
    fake_gateway(Behavior::Reply(200, body.as_bytes().to_vec())).await
}

#[tokio::test]
async fn r_lp_5_checkout_renders_the_auto_submitting_form_and_saves_the_checkout() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = app(&store, REAL_GATEWAY, |c| {
        allow_local(c);
        c.charset = Charset::ShiftJis;
    })
    .await;
    let form = serde_urlencoded::to_string([
        ("money", "1000"),
        ("carrier_type", "D"),
        ("username", "ゼウステスト_12345678"),
        ("telno", "0312345678"),
        ("sendid", "CART-7"),
        ("clientip", "0000000000"),
    ])
    .expect("form");
    let (s, body, headers) = oneshot(
        &r,
        LOCAL,
        "POST",
        "/checkout",
        &[],
        Some(("application/x-www-form-urlencoded", form.into_bytes())),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/html; charset=Shift_JIS")
    );
    assert_eq!(
        headers
            .get("x-zeus-carrier-sendid")
            .and_then(|v| v.to_str().ok()),
        Some("CART-7")
    );
    let page = Charset::ShiftJis
        .decode(&body)
        .expect("Shift_JIS page")
        .into_owned();
    assert!(
        page.contains("action=\"https://gateway.example.invalid/cgi-bin/carrier/order.cgi\""),
        "{page}"
    );
    assert!(
        page.contains("name=\"clientip\" value=\"1234567890\""),
        "clientip is the service's own"
    );
    assert!(page.contains("ゼウステスト_12345678"));
    assert!(page.contains(".submit()"), "auto-submits");
    let saved = store
        .find_checkout(&crate::support::sid("CART-7"))
        .await
        .expect("read")
        .expect("saved");
    assert_eq!((saved.money.yen(), saved.carrier.code()), (1000, "D"));
}

#[tokio::test]
async fn r_lp_1_checkout_reports_every_violation_as_422() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = app(&store, REAL_GATEWAY, allow_local).await;
    let (s, v) = json_of(
        &r,
        "POST",
        "/checkout",
        Some(json!({"money": 60000, "carrier_type": "D", "username": "abc", "success_url": "https://shop.example/ok"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let errors = v["errors"].as_array().expect("errors array");
    let fields: Vec<&str> = errors.iter().filter_map(|e| e["field"].as_str()).collect();
    for f in ["money", "username", "telno", "success_str"] {
        assert!(fields.contains(&f), "{f} missing from {v}");
    }
    assert!(errors.iter().all(|e| e["rule"].is_string()));
    assert_eq!(
        store
            .find_checkout(&crate::support::sid("x"))
            .await
            .expect("read"),
        None
    );
}

#[tokio::test]
async fn checkout_generates_a_sendid_and_refuses_a_reused_one() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = app(&store, REAL_GATEWAY, allow_local).await;
    let order =
        json!({"money": "500", "carrier_type": "A", "username": "ゼウス", "telno": "0312345678"});
    let (s, _, headers) = oneshot(
        &r,
        LOCAL,
        "POST",
        "/checkout",
        &[],
        Some(("application/json", order.to_string().into_bytes())),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let sendid = headers
        .get("x-zeus-carrier-sendid")
        .and_then(|v| v.to_str().ok())
        .expect("sendid")
        .to_owned();
    assert!(sendid.starts_with("zc-") && sendid.len() <= 25, "{sendid}");
    assert!(
        store
            .find_checkout(&crate::support::sid(&sendid))
            .await
            .expect("read")
            .is_some()
    );
    let reused = json!({"money": "600", "carrier_type": "A", "username": "ゼウス", "telno": "0312345678", "sendid": sendid});
    let (s, v) = json_of(&r, "POST", "/checkout", Some(reused)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["field"], "sendid");
    let (s, _) = json_of(&r, "POST", "/checkout", None).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an empty form lacks the required fields"
    );
}

#[tokio::test]
async fn checkout_used_by_an_order_is_422_not_a_second_form() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = app(&store, REAL_GATEWAY, allow_local).await;
    let order = json!({"money": "1000", "carrier_type": "D", "username": "ゼウス", "telno": "0312345678", "sendid": "CART-7"});
    let (s, _) = json_of(&r, "POST", "/checkout", Some(order.clone())).await;
    assert_eq!(s, StatusCode::OK, "first render");
    let (s, _) = json_of(&r, "POST", "/checkout", Some(order.clone())).await;
    assert_eq!(s, StatusCode::OK, "a reload before payment renders again");
    let q = cgi_query(
        "ORD-USED",
        "03",
        &[
            ("money", "1000"),
            ("carrier_type", "D"),
            ("sendid", "CART-7"),
        ],
    );
    let (s, body) = get(&r, LOCAL, &format!("{CALLBACK}?{q}")).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
    let (s, v) = json_of(&r, "POST", "/checkout", Some(order)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "sendid");
    let rule = v["errors"][0]["rule"].as_str().unwrap_or_default();
    assert!(rule.contains("ORD-USED"), "{v}");
}

#[tokio::test]
async fn signed_checkout_round_trips_through_the_callback() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let key = SigningKey::new("serve-signing-key-0123456789");
    let r = app(&store, REAL_GATEWAY, |c| {
        allow_local(c);
        c.signing_key = Some(key.clone());
    })
    .await;
    let order = json!({"money": 1000, "carrier_type": "D", "username": "ゼウス", "telno": "0312345678", "sendid": "SIG-1", "sendpoint": "mine"});
    let (s, body, _) = oneshot(
        &r,
        LOCAL,
        "POST",
        "/checkout",
        &[],
        Some(("application/json", order.to_string().into_bytes())),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let page = String::from_utf8(body).expect("utf-8 page");
    let expected = zeus_carrier_http::sign_sendpoint(
        &key,
        CLIENTIP,
        "SIG-1",
        1000,
        zeus_carrier_core::Carrier::Docomo,
    );
    assert!(
        page.contains(&format!("name=\"sendpoint\" value=\"{expected}\"")),
        "{page}"
    );
    // The gateway echoes it back: accepted. A forged one: refused.
    for (sp, want) in [
        (expected.as_str(), StatusCode::OK),
        (
            "v1000000000000000000000000000000000",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let q = cgi_query(
            "ORD-S",
            "03",
            &[
                ("money", "1000"),
                ("carrier_type", "D"),
                ("sendid", "SIG-1"),
                ("sendpoint", sp),
            ],
        );
        let (s, _) = get(&r, LOCAL, &format!("{CALLBACK}?{q}")).await;
        assert_eq!(s, want, "{sp}");
    }
}

#[tokio::test]
async fn interfaces_3_get_order_has_the_contract_fields_or_404() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = app(&store, REAL_GATEWAY, allow_local).await;
    notify(&r, &store, "ORD-G", "03").await;
    notify(&r, &store, "ORD-G", "03").await;
    let (s, v) = json_of(&r, "GET", "/orders/ORD-G", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["order_no"], "ORD-G");
    assert_eq!(
        v["status"],
        json!({"code": "03", "name": "Authorized", "label": "仮売完了"})
    );
    assert_eq!(v["money"], 1000);
    assert_eq!(v["carrier"], "D");
    assert_eq!(v["payout_eligible"], false);
    assert_eq!(v["sendid"], "S-ORD-G");
    assert_eq!(
        (
            v["notifications"].clone(),
            v["duplicates"].clone(),
            v["stale"].clone()
        ),
        (json!(1), json!(1), json!(0))
    );
    let h = &v["history"][0];
    assert_eq!(
        (h["from"].clone(), h["to"].clone(), h["source"].clone()),
        (Value::Null, json!("03"), json!("cgi"))
    );
    assert!(
        h["at"].as_str().is_some_and(|t| t.ends_with("+09:00")),
        "{h}"
    );
    let (s, _) = json_of(&r, "GET", "/orders/NEVER-SEEN", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn r_sl_a_refused_settle_is_422_with_the_predicted_code_and_sends_nothing() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let gw = gateway("result=Success_order&error_code=-").await;
    let r = app(&store, &gw.url, |_| {}).await;
    notify(&r, &store, "ORD-R", "07").await;
    // R-TR-1: a completed order cannot be settled.
    let (s, v) = json_of(&r, "POST", "/orders/ORD-R/settle", Some(json!({}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error_code"], "010010007");
    assert_eq!(v["rule"], "R-TR-1");
    assert!(v["meaning"].is_string(), "{v}");
    assert_eq!(v["sent"], false);
    // R-SL-5 on an authorization: more than the original.
    notify(&r, &store, "ORD-R2", "03").await;
    let (s, v) = json_of(
        &r,
        "POST",
        "/orders/ORD-R2/settle",
        Some(json!({"money": 1001})),
    )
    .await;
    assert_eq!(
        (s, v["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("010010014"))
    );
    // R-SL-1: a date in the past.
    let (s, v) = json_of(
        &r,
        "POST",
        "/orders/ORD-R2/settle",
        Some(json!({"date": "20260109"})),
    )
    .await;
    assert_eq!(
        (s, v["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("010010011"))
    );
    // SPEC §5: a malformed date is the gateway's `invalid` 00000005.
    let (s, v) = json_of(
        &r,
        "POST",
        "/orders/ORD-R2/settle",
        Some(json!({"date": "2026-01-20"})),
    )
    .await;
    assert_eq!(
        (s, v["result"].clone(), v["error_code"].clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!("invalid"),
            json!("00000005")
        )
    );
    // R-CN-1: a failed payment cannot be cancelled.
    notify(&r, &store, "ORD-R3", "02").await;
    let (s, v) = json_of(&r, "POST", "/orders/ORD-R3/cancel", None).await;
    assert_eq!(
        (s, v["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("010010107"))
    );
    assert_eq!(gw.hits(), 0, "nothing reached the gateway");
    let (s, _) = json_of(&r, "POST", "/orders/NOPE/settle", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn r_tr_2_a_settle_today_records_settling_and_completed() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let gw = gateway("result=Success_order&error_code=-&date=20260110").await;
    let r = app(&store, &gw.url, |_| {}).await;
    notify(&r, &store, "ORD-OK", "03").await;
    let (s, v) = json_of(
        &r,
        "POST",
        "/orders/ORD-OK/settle",
        Some(json!({"money": "800"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["outcome"], "success");
    assert_eq!(v["error_code"], "-");
    assert_eq!(v["date"], "20260110");
    assert_eq!(v["recorded"], true);
    assert_eq!(gw.hits(), 1);
    let (_, o) = json_of(&r, "GET", "/orders/ORD-OK", None).await;
    assert_eq!(o["status"]["code"], "07");
    assert_eq!(o["money"], 800);
    assert_eq!(o["payout_eligible"], true);
    let steps: Vec<(Value, Value, Value)> = o["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["from"].clone(), h["to"].clone(), h["source"].clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("03"), json!("cgi")),
            (json!("03"), json!("05"), json!("settle")),
            (json!("05"), json!("07"), json!("settle")),
        ]
    );
    // The later CGI call for 07 is a duplicate and changes nothing.
    notify(&r, &store, "ORD-OK", "07").await;
    let (_, o) = json_of(&r, "GET", "/orders/ORD-OK", None).await;
    assert_eq!(
        (
            o["history"].as_array().map(Vec::len),
            o["duplicates"].clone()
        ),
        (Some(3), json!(1))
    );
}

#[tokio::test]
async fn r_cn_a_cancel_of_an_authorization_records_status_10() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let gw = gateway("result=Success_order&error_code=-").await;
    let r = app(&store, &gw.url, |_| {}).await;
    notify(&r, &store, "ORD-C", "03").await;
    let (s, v) = json_of(&r, "POST", "/orders/ORD-C/cancel", None).await;
    assert_eq!(
        (s, v["outcome"].clone()),
        (StatusCode::OK, json!("success")),
        "{v}"
    );
    let (_, o) = json_of(&r, "GET", "/orders/ORD-C", None).await;
    assert_eq!(o["status"]["code"], "10");
    assert_eq!(o["history"][1]["source"], "cancel");
}

#[tokio::test]
async fn r_rs_3_a_gateway_hang_is_unknown_leaves_the_status_and_marks_reconciliation() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let gw = fake_gateway(Behavior::Hang(Duration::from_secs(20))).await;
    let r = app(&store, &gw.url, |c| c.gateway_timeout_secs = 1).await;
    notify(&r, &store, "ORD-U", "03").await;
    let started = std::time::Instant::now();
    let (s, v) = json_of(&r, "POST", "/orders/ORD-U/settle", None).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded by --gateway-timeout-secs"
    );
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["outcome"], "unknown");
    assert_eq!(v["error_code"], Value::Null);
    assert_eq!(v["reconcile"], true);
    assert_eq!(gw.hits(), 1, "sent once, never retried");
    let (_, o) = json_of(&r, "GET", "/orders/ORD-U", None).await;
    assert_eq!(o["status"]["code"], "03", "status untouched");
    assert!(
        o["needs_reconciliation"]
            .as_str()
            .is_some_and(|m| m.contains("unknown")),
        "{o}"
    );
    let (s, d) = json_of(&r, "GET", "/deadlines?within_days=60", None).await;
    assert_eq!(s, StatusCode::OK);
    // INTERFACES §3: a JSON array of deadlines.
    let kinds: Vec<&str> = d
        .as_array()
        .expect("deadlines array")
        .iter()
        .filter(|x| x["order_no"] == "ORD-U")
        .filter_map(|x| x["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"reconciliation"), "{d}");
    let (s, _) = json_of(&r, "GET", "/deadlines?within_days=-1", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn interfaces_3_healthz_answers_200_then_503_when_storage_is_gone() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = app(&store, REAL_GATEWAY, allow_local).await;
    let (s, _) = json_of(&r, "GET", "/healthz", None).await;
    assert_eq!(s, StatusCode::OK);
    store.close().await;
    let (s, v) = json_of(&r, "GET", "/healthz", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    let q = cgi_query("ORD-H", "03", &[]);
    let (s, body) = get(&r, LOCAL, &format!("{CALLBACK}?{q}")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!body.starts_with("successok"));
}

#[test]
fn serve_config_rejects_plain_http_gateways_and_clashing_callback_paths() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let db = TestDb::sqlite();
        let store = db.store().await;
        // Each refusal names the flag it is about (with `--allow-ip` given,
        // so that the allowlist rule is not what refuses).
        let refused = |cfg: &ServeConfig| {
            ServeState::new(store.clone(), cfg, Clock::system())
                .expect_err("refused")
                .to_string()
        };
        let mut cfg = ServeConfig::new(CLIENTIP, Zkey::new(ZKEY));
        allow_local(&mut cfg);
        cfg.gateway_url = "http://gateway.example.invalid".into();
        let err = refused(&cfg);
        assert!(err.starts_with("--gateway-url"), "{err}");
        let mut cfg = ServeConfig::new(CLIENTIP, Zkey::new(ZKEY));
        allow_local(&mut cfg);
        for path in ["/healthz", "/checkout", "/orders/x"] {
            cfg.callback_path = path.into();
            let err = refused(&cfg);
            assert!(err.starts_with("--callback-path"), "{path}: {err}");
        }
        assert!(!format!("{cfg:?}").contains(ZKEY));
    });
}

#[tokio::test]
async fn checkout_refuses_other_content_types_and_serves_a_neutral_done_page() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = app(&store, REAL_GATEWAY, allow_local).await;
    let (s, _, _) = oneshot(
        &r,
        LOCAL,
        "POST",
        "/checkout",
        &[],
        Some(("text/plain", b"money=1".to_vec())),
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, _, _) = oneshot(
        &r,
        LOCAL,
        "POST",
        "/checkout",
        &[],
        Some(("application/json", b"{not json".to_vec())),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, page) = get(&r, LOCAL, "/checkout/done").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("gateway confirms"), "{page}");
}
