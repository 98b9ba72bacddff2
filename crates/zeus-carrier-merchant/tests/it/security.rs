//! Issue 17 through the library: no forged callback through a same-host
//! proxy, signed amounts checked at every status, nothing echoed by the
//! public 503 (R-CG-5, R-SL-5, INTERFACES v3 §3).

use axum::http::StatusCode;
use zeus_carrier_core::merchant::{FlagKind, ReconcileReason};
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::ClientIp;
use zeus_carrier_core::{Carrier, Charset, Status};
use zeus_carrier_http::{IpNet, SigningKey, sign_sendpoint};
use zeus_carrier_merchant::{
    Merchant, MerchantConfig, MerchantConfigBuilder, Receiver, callback_router,
};
use zeus_carrier_store::Store;
use zeus_carrier_testkit::LogCapture;

use crate::cgi_support::{CLIENTIP, TestDb, cgi_query, get, oneshot, ono};
use crate::support::order_request;

const PATH: &str = "/zeus/carrier/callback";
/// A reverse proxy on the merchant's own host.
const SAME_HOST_PROXY: &str = "127.0.0.1:40000";

/// The real gateway and the contract's addresses as the allowlist.
fn real_gateway() -> MerchantConfigBuilder {
    MerchantConfig::builder(
        ClientIp::parse(CLIENTIP).expect("clientip"),
        Zkey::new("security-zkey-0123456789"),
    )
    .gateway_url("https://gateway.example")
    .allow(["192.0.2.0/28".parse::<IpNet>().expect("net")])
    .charset(Charset::Utf8)
}

/// R-CG-5 (issue 17 item 1): behind a reverse proxy on the same host that
/// is not configured as trusted, every call arrives from 127.0.0.1 with an
/// `X-Forwarded-For` anyone can write. The header does not count, loopback
/// is not in the explicit allowlist: `403`, nothing stored — and the
/// untrusted header is logged. With the proxy trusted, the same header
/// counts (the contract's address passes, another is refused).
#[tokio::test]
async fn r_cg_5_a_forged_callback_through_a_same_host_proxy_is_403_and_logged() {
    let logs = LogCapture::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let db = TestDb::sqlite();
    let store = db.store().await;
    let forged = format!(
        "{PATH}?{}",
        cgi_query(
            "EVIL-1",
            "07",
            &[("money", "1"), ("carrier_type", "D"), ("sendid", "S-EVIL")],
        )
    );
    let untrusted = callback_router(Receiver::new(
        store.clone(),
        real_gateway().build().expect("config"),
    ));
    for xff in ["192.0.2.1", "127.0.0.1", "203.0.113.7, 192.0.2.1"] {
        let (s, body, _) = oneshot(
            &untrusted,
            SAME_HOST_PROXY,
            "GET",
            &forged,
            &[("x-forwarded-for", xff)],
            None,
        )
        .await;
        let body = String::from_utf8_lossy(&body);
        assert_eq!(s, StatusCode::FORBIDDEN, "X-Forwarded-For {xff}: {body}");
        assert!(!body.starts_with("successok"), "{body}");
    }
    assert!(
        store
            .notifications(&ono("EVIL-1"))
            .await
            .expect("read")
            .is_empty(),
        "nothing stored"
    );
    assert_eq!(store.get_order(&ono("EVIL-1")).await.expect("read"), None);
    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains("X-Forwarded-For from a peer that is not a trusted proxy"))
        .unwrap_or_else(|| panic!("the untrusted X-Forwarded-For is logged:\n{text}"));
    assert!(
        line.contains(" WARN ") && line.contains("peer=127.0.0.1"),
        "a warning naming the peer: {line}"
    );
    // The proxy trusted: its X-Forwarded-For names the source.
    let trusted = callback_router(Receiver::new(
        store.clone(),
        real_gateway()
            .trusted_proxies(["127.0.0.1/32".parse::<IpNet>().expect("net")])
            .build()
            .expect("config"),
    ));
    let via = |xff: &'static str| {
        let (trusted, forged) = (trusted.clone(), forged.clone());
        async move {
            oneshot(
                &trusted,
                SAME_HOST_PROXY,
                "GET",
                &forged,
                &[("x-forwarded-for", xff)],
                None,
            )
            .await
            .0
        }
    };
    assert_eq!(via("203.0.113.7").await, StatusCode::FORBIDDEN);
    assert_eq!(
        via("192.0.2.1").await,
        StatusCode::OK,
        "the gateway's address"
    );
    // …and even then a call for no saved checkout is only stored, flagged.
    assert_eq!(store.get_order(&ono("EVIL-1")).await.expect("read"), None);
    assert_eq!(
        store
            .notifications(&ono("EVIL-1"))
            .await
            .expect("read")
            .len(),
        1
    );
}

/// A merchant on a local gateway that signs its checkouts with `key`.
fn signing_merchant(store: &Store, key: &SigningKey) -> Merchant {
    let config = MerchantConfig::builder(
        ClientIp::parse(CLIENTIP).expect("clientip"),
        Zkey::new("security-zkey-0123456789"),
    )
    .gateway_url("http://127.0.0.1:8931")
    .charset(Charset::Utf8)
    .signing_key(key.clone())
    .build()
    .expect("config");
    Merchant::new(store.clone(), config).expect("merchant")
}

/// R-SL-5, INTERFACES v3 §3 (issue 17 item 2): the signature proves the
/// checkout came from this merchant, not that the call came from the
/// gateway, and the shopper sees it. A call with a valid signed
/// `sendpoint` but a lower `money` than the checkout's — which no settle of
/// this merchant asked for — is stored and flagged, not applied, at every
/// status (06–09, also after a 03), never made payout-eligible.
#[tokio::test]
async fn r_sl_5_a_signed_sendpoint_with_a_lowered_amount_is_flagged_at_every_status() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let key = SigningKey::new("security-signing-key-0123456789");
    let merchant = signing_merchant(&store, &key);
    let router = callback_router(merchant.receiver());
    let call = |order_no: &str, status: &str, money: &str, sendid: &str| {
        let sendpoint = sign_sendpoint(&key, CLIENTIP, sendid, 1000, Carrier::Docomo);
        format!(
            "{PATH}?{}",
            cgi_query(
                order_no,
                status,
                &[
                    ("money", money),
                    ("carrier_type", "D"),
                    ("sendid", sendid),
                    ("sendpoint", &sendpoint),
                ],
            )
        )
    };
    // First seen with a lowered amount: nothing applied.
    for status in ["06", "07", "08", "09"] {
        let form = merchant
            .checkout(order_request(1000))
            .await
            .expect("checkout");
        let sendid = form.checkout.sendid.as_str().to_owned();
        let order_no = format!("LOW-{status}");
        let (s, body) = get(
            &router,
            SAME_HOST_PROXY,
            &call(&order_no, status, "1", &sendid),
        )
        .await;
        assert_eq!(
            (s, body.as_str()),
            (StatusCode::OK, "successok"),
            "{status}"
        );
        assert_eq!(
            store.get_order(&ono(&order_no)).await.expect("read"),
            None,
            "{status}: not applied"
        );
        let stored = store.notifications(&ono(&order_no)).await.expect("read");
        assert_eq!(stored.len(), 1, "{status}: stored");
        assert!(
            stored[0]
                .integrity_flag
                .as_deref()
                .is_some_and(|f| f.contains("money")),
            "{status}: {stored:?}"
        );
        let duties = merchant.deadlines(7).await.expect("deadlines");
        assert!(
            duties.iter().any(|d| d.order_no.as_str() == order_no
                && d.kind == zeus_carrier_core::merchant::DeadlineKind::Reconciliation),
            "{status}: listed for reconciliation: {duties:?}"
        );
    }
    // Authorized at the checkout's amount, then 07 with 1 yen: flagged, the
    // record stays 03 with 1000 yen, not payout-eligible.
    let form = merchant
        .checkout(order_request(1000))
        .await
        .expect("checkout");
    let sendid = form.checkout.sendid.as_str().to_owned();
    let (s, _) = get(
        &router,
        SAME_HOST_PROXY,
        &call("LOW-R", "03", "1000", &sendid),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = get(&router, SAME_HOST_PROXY, &call("LOW-R", "07", "1", &sendid)).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
    let o = store
        .get_order(&ono("LOW-R"))
        .await
        .expect("read")
        .expect("03");
    assert_eq!(
        (o.status(), o.money().map(|m| m.yen()), o.payout_eligible()),
        (Status::Authorized, Some(1000), false)
    );
    assert_eq!(
        o.needs_reconciliation(),
        Some(&ReconcileReason::Flagged(FlagKind::MoneyMismatch))
    );
    // The gateway's real 07, at the checkout's amount, applies.
    let (s, _) = get(
        &router,
        SAME_HOST_PROXY,
        &call("LOW-R", "07", "1000", &sendid),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let o = store
        .get_order(&ono("LOW-R"))
        .await
        .expect("read")
        .expect("07");
    assert_eq!((o.status(), o.payout_eligible()), (Status::Completed, true));
}

/// INTERFACES v3 §3 (issue 17 item 4): the receiver is public, so its `503`
/// says only that storage is unavailable; the detail (here the database
/// file's absolute path) goes to the log.
#[tokio::test]
async fn interfaces_3_the_public_503_says_only_storage_unavailable() {
    let logs = LogCapture::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let db = TestDb::sqlite();
    let store = db.store().await;
    let config = MerchantConfig::builder(
        ClientIp::parse(CLIENTIP).expect("clientip"),
        Zkey::new("security-zkey-0123456789"),
    )
    .gateway_url("http://127.0.0.1:8931")
    .charset(Charset::Utf8)
    .build()
    .expect("config");
    let router = callback_router(Receiver::new(store.clone(), config));
    let dir = db.dir.as_ref().expect("sqlite dir").path().to_owned();
    std::fs::remove_dir_all(&dir).expect("remove the database directory");
    let q = cgi_query("ORD-503", "03", &[("money", "1000")]);
    let (s, body) = get(&router, SAME_HOST_PROXY, &format!("{PATH}?{q}")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.starts_with("error: storage unavailable"), "{body:?}");
    let dir_text = dir.display().to_string();
    for detail in [dir_text.as_str(), "/", "merchant.db", "sqlite", "database"] {
        assert!(!body.contains(detail), "the 503 names {detail:?}: {body:?}");
    }
    store.close().await;
}
