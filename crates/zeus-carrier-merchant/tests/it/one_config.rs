//! One merchant configuration (issue 16): a shop states each setting once
//! and the facade, its Secure Link client, the receiver and the operator
//! router all read it — the same IP code, key, gateway, charset, signing
//! key, callback path and clock; and the allowlist rule is checked when
//! the configuration is built (R-CG-5, INTERFACES v3 §3).

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_core::values::ClientIp;
use zeus_carrier_core::{Carrier, Charset, Status};
use zeus_carrier_http::{IpNet, SigningKey, sign_sendpoint};
use zeus_carrier_merchant::{
    ConfigError, Merchant, MerchantConfig, OperatorToken, Receiver, callback_router,
};

use crate::cgi_support::{cgi_query, get, oneshot};
use crate::support::{CLIENTIP, Db, T0, World, merchant_config, within};

const LOCAL: &str = "127.0.0.1:40000";
const TOKEN: &str = "one-config-operator-token-0123";

/// `GET` on the operator router with the token: status and JSON.
async fn operator_get(router: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let bearer = format!("Bearer {TOKEN}");
    let (s, body, _) = oneshot(
        router,
        LOCAL,
        "GET",
        uri,
        &[("authorization", bearer.as_str())],
        None,
    )
    .await;
    (s, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// The deadlines of `order_no` in `/deadlines?within_days=N`.
async fn deadlines_of(router: &axum::Router, within_days: u32, order_no: &str) -> Vec<Value> {
    let (s, list) = operator_get(router, &format!("/deadlines?within_days={within_days}")).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array()
        .expect("a JSON array")
        .iter()
        .filter(|d| d["order_no"] == order_no)
        .cloned()
        .collect()
}

#[tokio::test]
async fn issue_16_a_shop_states_each_setting_once_and_every_part_reads_it() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "one_config").await else {
            return;
        };
        let key = SigningKey::new("one-config-signing-key-0123456789");
        // Each setting once: the gateway (the sandbox), its clock, the
        // charset, the callback path, the signing key, the timeouts.
        let config = merchant_config(&w.sandbox)
            .charset(Charset::Utf8)
            .callback_path("/shop/zeus-cb")
            .signing_key(key.clone())
            .lock_hold(Duration::from_secs(20))
            .build()
            .expect("config");
        let merchant = Merchant::new(w.store.clone(), config).expect("merchant");
        let receiver = merchant.receiver();
        assert_eq!(receiver.path(), "/shop/zeus-cb");
        assert_eq!(receiver.config().charset(), Charset::Utf8);
        let client = merchant.config().client_config();
        assert_eq!(
            (client.clientip.as_str(), client.gateway_url.as_str()),
            (CLIENTIP, w.sandbox.base_url().trim_end_matches('/'))
        );
        assert_eq!(client.total_timeout, Duration::from_secs(15));
        // The checkout: posts to the configured gateway, signed with the key.
        let (order_no, form) = w.paid_at_gateway(&merchant, 1000).await;
        let sendid = form.checkout.sendid.as_str().to_owned();
        let action = format!(
            "action=\"{}/cgi-bin/carrier/order.cgi\"",
            w.sandbox.base_url().trim_end_matches('/')
        );
        assert!(form.html.contains(&action), "{}", form.html);
        assert_eq!(form.charset, Charset::Utf8);
        let signed = sign_sendpoint(&key, CLIENTIP, &sendid, 1000, Carrier::Docomo);
        assert!(form.html.contains(&signed), "{}", form.html);
        // The receiver: the configured path, the same key, the same clock.
        let router = callback_router(receiver);
        let call = |sendpoint: &str| {
            format!(
                "/shop/zeus-cb?{}",
                cgi_query(
                    order_no.as_str(),
                    "03",
                    &[
                        ("money", "1000"),
                        ("carrier_type", "D"),
                        ("sendid", &sendid),
                        ("sendpoint", sendpoint),
                        ("username", "ゼウス"),
                    ],
                )
            )
        };
        let forged = sign_sendpoint(
            &SigningKey::new("another-key-0123456789"),
            CLIENTIP,
            &sendid,
            1000,
            Carrier::Docomo,
        );
        let (s, body) = get(&router, LOCAL, &call(&forged)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "another key: {body}");
        let (s, body) = get(&router, LOCAL, &call(&signed)).await;
        assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
        let (s, _) = get(&router, LOCAL, "/zeus/carrier/callback?x=1").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "only the configured path");
        let order = merchant
            .order(&order_no)
            .await
            .expect("read")
            .expect("order");
        assert_eq!(order.status(), Status::Authorized);
        assert_eq!(order.record().first_seen_at(), w.sandbox.now());
        // The facade: the same IP code and zkey reach the gateway.
        let done = merchant
            .settle(&order_no, SettleParams::default())
            .await
            .expect("sent");
        assert!(done.outcome.is_success(), "{:?}", done.outcome);
        assert_eq!(w.gateway_status(&order_no), Status::Completed);
        w.finish().await;
    })
    .await;
}

/// The old trap (issue 16): a frozen sandbox clock set on the facade only
/// left the receiver on the system clock, so an order first seen "now"
/// (December) had no window closing within N days of the frozen time
/// (January) and `/deadlines` was silently `[]`. One configuration, one
/// clock: the receiver stamps the frozen time and `/deadlines` lists the
/// order's windows counted from it (D-7).
#[tokio::test]
async fn issue_16_the_receiver_and_the_facade_read_one_clock_so_deadlines_list_the_order() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "one_clock").await else {
            return;
        };
        let merchant = w.merchant.clone();
        assert_eq!(merchant.clock().now(), w.sandbox.now());
        assert_eq!(
            merchant.receiver().config().clock().now(),
            merchant.clock().now()
        );
        let (order_no, form) = w.paid_at_gateway(&merchant, 1000).await;
        let router = callback_router(merchant.receiver());
        let q = cgi_query(
            order_no.as_str(),
            "03",
            &[
                ("money", "1000"),
                ("carrier_type", "D"),
                ("sendid", form.checkout.sendid.as_str()),
            ],
        );
        let (s, body) = get(&router, LOCAL, &format!("/zeus/carrier/callback?{q}")).await;
        assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
        let order = merchant
            .order(&order_no)
            .await
            .expect("read")
            .expect("order");
        let t0 = chrono::DateTime::parse_from_rfc3339(T0).expect("T0");
        assert_eq!(order.record().first_seen_at(), t0, "the receiver's clock");
        let operator = merchant.operator_router(OperatorToken::new(TOKEN).expect("token"));
        let listed = deadlines_of(&operator, 60, order_no.as_str()).await;
        let kinds: Vec<&str> = listed.iter().filter_map(|d| d["kind"].as_str()).collect();
        assert!(
            kinds.contains(&"settle") && kinds.contains(&"cancel"),
            "the 03 order's windows, counted from the frozen time: {listed:?}"
        );
        for d in &listed {
            let closes = d["closes_at"].as_str().expect("closes_at");
            let closes = chrono::DateTime::parse_from_rfc3339(closes).expect("RFC 3339");
            assert!(
                closes > t0 && closes <= t0 + chrono::TimeDelta::days(60),
                "{d}"
            );
        }
        // The facade's own listing agrees.
        let facade = merchant.deadlines(60).await.expect("deadlines");
        assert_eq!(
            facade.iter().filter(|d| d.order_no == order_no).count(),
            listed.len()
        );
        // A receiver built alone from the same configuration reads it too.
        let alone = Receiver::new(w.store.clone(), merchant.config().clone());
        assert_eq!(alone.config().clock().now(), w.sandbox.now());
        w.finish().await;
    })
    .await;
}

fn builder() -> zeus_carrier_merchant::MerchantConfigBuilder {
    MerchantConfig::builder(
        ClientIp::parse(CLIENTIP).expect("clientip"),
        Zkey::new("allow-zkey-0123456789"),
    )
}

/// R-CG-5, INTERFACES v3 §3 (issue 17 item 1), through the library: the
/// allowlist is the callback's authentication, so a gateway URL that is
/// not loopback needs an explicit one — building refuses, naming the
/// field; given, it replaces the loopback default. A loopback gateway (the
/// sandbox) keeps the loopback default.
#[test]
fn r_cg_5_the_library_refuses_a_real_gateway_without_an_explicit_allowlist() {
    for url in [
        "https://gateway.example",
        zeus_carrier_merchant::DEFAULT_GATEWAY_URL,
        "https://192.0.2.10:8443",
    ] {
        let err = builder().gateway_url(url).build().expect_err(url);
        assert_eq!(err, ConfigError::AllowlistRequired, "{url}");
        assert_eq!(err.field(), "allow");
        let shown = err.to_string();
        assert!(
            shown.starts_with("allow:") && shown.contains("R-CG-5"),
            "{shown}"
        );
    }
    let contract: IpNet = "192.0.2.0/28".parse().expect("net");
    let c = builder()
        .gateway_url("https://gateway.example")
        .allow([contract])
        .build()
        .expect("with the contract's addresses");
    assert_eq!(c.allow(), [contract]);
    assert!(!c.loopback_gateway());
    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    assert!(
        !c.allow().iter().any(|n| n.contains(&loopback)),
        "an explicit allowlist does not keep loopback"
    );
    let sandbox = builder()
        .gateway_url("http://127.0.0.1:8931")
        .build()
        .expect("a loopback gateway");
    assert!(sandbox.allow().iter().any(|n| n.contains(&loopback)));
    // The rule that an operation lock outlives the gateway call, checked
    // once for every part (issue 16).
    let err = builder()
        .gateway_url("http://127.0.0.1:8931")
        .gateway_timeout(Duration::from_secs(30))
        .lock_hold(Duration::from_secs(30))
        .build()
        .expect_err("lock_hold = gateway_timeout");
    assert_eq!(err.field(), "lock_hold");
}
