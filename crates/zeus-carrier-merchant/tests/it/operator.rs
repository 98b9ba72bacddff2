//! The operator face as a library (issue 16 item 4; INTERFACES v3 §3):
//! the bearer token says nothing else, `OperateError::http_status`, and
//! the JSON shapes of §3 through `Merchant::operator_router`.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use zeus_carrier_core::merchant::MissingFact;
use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_core::values::OrderNo;
use zeus_carrier_merchant::{OperateError, OperatorToken};
use zeus_carrier_store::StoreError;

use crate::cgi_support::oneshot;
use crate::support::{Db, World, within};

const LOCAL: &str = "127.0.0.1:40000";
const TOKEN: &str = "operator-lib-token-0123456789";

async fn call(
    router: &axum::Router,
    method: &str,
    uri: &str,
    auth: Option<&str>,
    json_body: Option<Value>,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    let bearer = auth.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .as_deref()
        .map(|b| vec![("authorization", b)])
        .unwrap_or_default();
    let body = json_body.map(|b| ("application/json", serde_json::to_vec(&b).expect("json")));
    let (s, bytes, h) = oneshot(router, LOCAL, method, uri, &headers, body).await;
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (s, v, h)
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("a JSON object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn assert_has(v: &Value, fields: &[&str], what: &str) {
    let have = keys(v);
    for f in fields {
        assert!(
            have.contains(*f),
            "{what}: INTERFACES §3 field {f:?} missing: {v}"
        );
    }
}

/// INTERFACES v3 §3 (issue 17 item 4): without the token, any request —
/// a path that exists with a method it does not allow included — is `401`
/// with `WWW-Authenticate: Bearer` and no other header, no body (no
/// `Allow`, which would enumerate the routes). With the token the wrong
/// method is `405`.
#[tokio::test]
async fn interfaces_3_a_401_has_only_www_authenticate_even_for_a_wrong_method() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "op_401").await else {
            return;
        };
        let router = w
            .merchant
            .operator_router(OperatorToken::new(TOKEN).expect("token"));
        for (method, uri) in [
            ("DELETE", "/orders/ORD-1"),
            ("PUT", "/orders/ORD-1"),
            ("GET", "/orders/ORD-1/settle"),
            ("GET", "/orders/ORD-1/cancel"),
            ("POST", "/deadlines"),
            ("GET", "/orders/ORD-1"),
            ("GET", "/no-such-path"),
        ] {
            for auth in [None, Some("wrong-token-0123456789")] {
                let (s, body, headers) = call(&router, method, uri, auth, None).await;
                assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {uri}");
                assert_eq!(body, Value::Null, "{method} {uri}: no body");
                let names: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
                assert_eq!(
                    headers.get("www-authenticate").map(|v| v.as_bytes()),
                    Some(&b"Bearer"[..]),
                    "{method} {uri}: {headers:?}"
                );
                for name in names {
                    assert!(
                        ["www-authenticate", "content-length"].contains(&name),
                        "{method} {uri}: a 401 says nothing but WWW-Authenticate, got {name}: {headers:?}"
                    );
                }
            }
        }
        for (method, uri) in [("DELETE", "/orders/ORD-1"), ("GET", "/orders/ORD-1/settle")] {
            let (s, _, headers) = call(&router, method, uri, Some(TOKEN), None).await;
            assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}: {headers:?}");
        }
        w.finish().await;
    })
    .await;
}

/// `OperateError::http_status` for each variant (issue 16 item 4), and
/// the operator answer's status is that status.
#[tokio::test]
async fn operate_error_http_status_for_each_variant() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "op_status").await else {
            return;
        };
        let no = OrderNo::parse("NOPE-1").expect("order number");
        let not_found = w.merchant.cancel(&no).await.expect_err("no record");
        assert!(
            matches!(not_found, OperateError::NotFound(_)),
            "{not_found:?}"
        );
        let paid = w.authorized_order(1000).await;
        let not_sent = w
            .merchant
            .settle(
                &paid,
                SettleParams {
                    money: Some(1001),
                    ..SettleParams::default()
                },
            )
            .await
            .expect_err("more than authorized");
        assert!(matches!(not_sent, OperateError::NotSent(_)), "{not_sent:?}");
        let cases: Vec<(OperateError, u16)> = vec![
            (not_found, 404),
            (OperateError::MissingFact(MissingFact::Carrier), 409),
            (OperateError::MissingFact(MissingFact::OriginalMoney), 409),
            (not_sent, 422),
            (
                OperateError::Store(StoreError::OperationLocked {
                    order_no: paid.clone(),
                    waited: Duration::from_secs(5),
                }),
                409,
            ),
            (
                OperateError::Store(StoreError::Unavailable {
                    context: "reading an order",
                    source: "connection refused".into(),
                }),
                503,
            ),
            (
                OperateError::Store(StoreError::Database {
                    context: "reading an order",
                    source: "syntax error".into(),
                }),
                500,
            ),
            (
                OperateError::Store(StoreError::Corrupt {
                    table: "orders",
                    column: "status",
                    detail: "99".to_owned(),
                }),
                500,
            ),
        ];
        for (e, status) in cases {
            assert_eq!(e.http_status(), status, "{e:?}");
            let answer = e.to_response(paid.as_str());
            assert_eq!(answer.status().as_u16(), status, "{e:?}");
        }
        w.finish().await;
    })
    .await;
}

/// INTERFACES v3 §3: the operator JSON shapes keep every field — the
/// order, a sent settle's answer, a refused settle's answer, the
/// deadlines — through the library's router.
#[tokio::test]
async fn interfaces_3_operator_json_shapes_keep_every_contract_field() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "op_json").await else {
            return;
        };
        let router = w
            .merchant
            .operator_router(OperatorToken::new(TOKEN).expect("token"));
        let no = w.authorized_order(1000).await;
        let uri = format!("/orders/{no}");
        let (s, o, _) = call(&router, "GET", &uri, Some(TOKEN), None).await;
        assert_eq!(s, StatusCode::OK, "{o}");
        assert_has(
            &o,
            &[
                "order_no",
                "status",
                "money",
                "carrier",
                "payout_eligible",
                "sendid",
                "history",
                "notifications",
                "duplicates",
                "stale",
            ],
            "GET /orders/{no}",
        );
        assert_eq!(o["order_no"], no.as_str());
        assert_eq!(
            o["status"],
            json!({"code": "03", "name": "Authorized", "label": "仮売完了"})
        );
        assert_eq!(
            (o["money"].clone(), o["carrier"].clone()),
            (json!(1000), json!("D"))
        );
        assert_eq!(o["payout_eligible"], false);
        assert!(o["sendid"].is_string(), "{o}");
        assert_eq!(
            (
                o["notifications"].clone(),
                o["duplicates"].clone(),
                o["stale"].clone()
            ),
            (json!(1), json!(0), json!(0))
        );
        let h = &o["history"][0];
        assert_eq!(
            keys(h),
            ["at", "from", "source", "to"].map(String::from).into()
        );
        assert_eq!(
            (h["from"].clone(), h["to"].clone(), h["source"].clone()),
            (Value::Null, json!("03"), json!("cgi"))
        );
        assert!(
            h["at"].as_str().is_some_and(|t| t.ends_with("+09:00")),
            "{h}"
        );

        // A refused settle: 422, nothing sent, the predicted code.
        let settle = format!("/orders/{no}/settle");
        let (s, r, _) = call(
            &router,
            "POST",
            &settle,
            Some(TOKEN),
            Some(json!({"money": 1001})),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
        assert_has(
            &r,
            &["result", "error_code", "meaning", "rule", "sent"],
            "422",
        );
        assert_eq!(
            (r["error_code"].clone(), r["sent"].clone()),
            (json!("010010014"), json!(false))
        );

        // A sent settle: 200 {"outcome", "error_code", "meaning", "date"}.
        let (s, r, _) = call(
            &router,
            "POST",
            &settle,
            Some(TOKEN),
            Some(json!({"money": "800"})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_has(
            &r,
            &["outcome", "error_code", "meaning", "date"],
            "settle 200",
        );
        assert_eq!(r["outcome"], "success");
        assert_eq!(r["error_code"], "-");
        assert!(r["date"].as_str().is_some_and(|d| d.len() == 8), "{r}");
        let (_, o, _) = call(&router, "GET", &uri, Some(TOKEN), None).await;
        assert_eq!(
            (
                o["status"]["code"].clone(),
                o["money"].clone(),
                o["payout_eligible"].clone()
            ),
            (json!("07"), json!(800), json!(true))
        );
        let sources: Vec<&Value> = o["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|h| &h["source"])
            .collect();
        assert_eq!(sources, [&json!("cgi"), &json!("settle"), &json!("settle")]);

        // /deadlines: a bare array of {"order_no", "status", "kind",
        // "closes_at", "reason"}.
        let (s, d, _) = call(
            &router,
            "GET",
            "/deadlines?within_days=60",
            Some(TOKEN),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let list = d.as_array().expect("a bare JSON array");
        let entry = list
            .iter()
            .find(|e| e["order_no"] == no.as_str())
            .unwrap_or_else(|| panic!("{no} not in {d}"));
        assert_has(
            entry,
            &["order_no", "status", "kind", "closes_at", "reason"],
            "deadline",
        );
        assert_eq!(entry["kind"], "cancel", "{entry}");
        assert_eq!(entry["status"]["code"], "07", "{entry}");
        assert!(entry["reason"].is_null(), "{entry}");
        assert!(
            entry["closes_at"]
                .as_str()
                .is_some_and(|t| t.ends_with("+09:00")),
            "{entry}"
        );
        // Never seen: 404.
        let (s, _, _) = call(&router, "GET", "/orders/NEVER-SEEN", Some(TOKEN), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        w.finish().await;
    })
    .await;
}
