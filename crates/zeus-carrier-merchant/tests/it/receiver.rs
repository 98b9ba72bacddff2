//! The CGI receiver (SPEC §9, R-CG-1 … R-CG-5, INTERFACES §3), built from
//! the merchant's one configuration.
//!
//! The calls carry the `sendid` of a saved checkout, as the gateway's calls
//! for this merchant's own checkouts do: with the default policy
//! (`UnknownSendId::Flag`, INTERFACES v3) a call without one is stored and
//! flagged, not applied (`security.rs` here, and `tests/servers.rs` through
//! the binary, test that policy).

use axum::http::StatusCode;
use zeus_carrier_core::merchant::{
    Checkout, EffectKind, FlagKind, InFlight, OperationKind, ReconcileReason,
};
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::{ClientIp, Money};
use zeus_carrier_core::{Carrier, Status};
use zeus_carrier_http::{IpNet, SigningKey, sign_sendpoint};
use zeus_carrier_merchant::{
    Ack, CallbackRejection, CgiCall, MerchantConfig, MerchantConfigBuilder, Receiver,
    RejectionReason, UnknownSendId, callback_router,
};
use zeus_carrier_store::Store;

use crate::cgi_support::{CLIENTIP, TestDb, at, cgi_query, get, oneshot, ono, sid, stored};

const PATH: &str = "/zeus/carrier/callback";
const LOCAL: &str = "127.0.0.1:40000";

/// A local sandbox as the gateway (so the loopback allowlist is the
/// default), UTF-8 calls, plus `f`'s settings.
pub(crate) fn config_with(
    f: impl FnOnce(MerchantConfigBuilder) -> MerchantConfigBuilder,
) -> MerchantConfig {
    let base = MerchantConfig::builder(
        ClientIp::parse(CLIENTIP).expect("clientip"),
        Zkey::new("test-zkey-0123456789"),
    )
    .gateway_url("http://127.0.0.1:8931")
    .charset(zeus_carrier_core::Charset::Utf8);
    f(base).build().expect("merchant config")
}

fn router_with(
    store: &Store,
    f: impl FnOnce(MerchantConfigBuilder) -> MerchantConfigBuilder,
) -> axum::Router {
    callback_router(Receiver::new(store.clone(), config_with(f)))
}

fn router(store: &Store) -> axum::Router {
    router_with(store, |b| b)
}

/// Saves the merchant's checkout `sendid` for `yen` yen, docomo.
pub(crate) async fn save_checkout(store: &Store, sendid: &str, yen: u32) {
    store
        .save_checkout(&Checkout::new(
            sid(sendid),
            Money::from_yen(yen).expect("money"),
            Carrier::Docomo,
            at("2026-01-10T10:00:00+09:00"),
        ))
        .await
        .expect("checkout");
}

fn uri(q: &str) -> String {
    format!("{PATH}?{q}")
}

fn assert_not_successok(body: &str) {
    assert!(
        !body.starts_with("successok"),
        "must not acknowledge: {body}"
    );
}

#[tokio::test]
async fn r_cg_1_successok_after_the_notification_is_stored() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    save_checkout(&store, "S-1", 1000).await;
    let r = router(&store);
    let (s, body) = get(
        &r,
        LOCAL,
        &uri(&cgi_query(
            "ORD-1",
            "03",
            &[("money", "1000"), ("carrier_type", "D"), ("sendid", "S-1")],
        )),
    )
    .await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
    let o = stored(&store, "ORD-1").await;
    assert_eq!(
        (o.status(), o.money().map(|m| m.yen()), o.record().carrier()),
        (Status::Authorized, Some(1000), Some(Carrier::Docomo))
    );
}

#[tokio::test]
async fn r_cg_1_storage_down_is_503_and_never_successok() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = router(&store);
    store.close().await;
    let (s, body) = get(&r, LOCAL, &uri(&cgi_query("ORD-1", "03", &[]))).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_not_successok(&body);
    // Nothing was recorded: a new store on the same file has no order.
    let again = db.store().await;
    assert_eq!(again.get_order(&ono("ORD-1")).await.expect("read"), None);
}

#[tokio::test]
async fn r_cg_1_storage_file_removed_is_503() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = router(&store);
    let dir = db.dir.as_ref().expect("sqlite dir").path().to_owned();
    std::fs::remove_dir_all(&dir).expect("remove the database directory");
    let (s, body) = get(&r, LOCAL, &uri(&cgi_query("ORD-2", "03", &[]))).await;
    assert!(
        s == StatusCode::SERVICE_UNAVAILABLE,
        "expected 503 with the database gone, got {s}: {body}"
    );
    assert_not_successok(&body);
}

/// R-CG-3: fifty concurrent deliveries of the same notification move the
/// order exactly once; all are acknowledged.
async fn fifty_concurrent_duplicates(routers: [axum::Router; 2], store: &Store, order_no: &str) {
    let sendid = format!("S-{order_no}");
    save_checkout(store, &sendid, 1000).await;
    let q = uri(&cgi_query(
        order_no,
        "03",
        &[("money", "1000"), ("sendid", &sendid)],
    ));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let r = routers[i % 2].clone();
        let q = q.clone();
        tasks.push(tokio::spawn(async move { get(&r, LOCAL, &q).await }));
    }
    for t in tasks {
        let (s, body) = t.await.expect("task");
        assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
    }
    let o = store
        .get_order(&ono(order_no))
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(o.status(), Status::Authorized);
    let c = o.counters();
    assert_eq!((c.notifications, c.duplicates), (1, 49));
    assert_eq!(o.history().len(), 1, "exactly one transition");
    let events: Vec<_> = store
        .poll_outbox(0, 1000)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|e| e.order_no.as_str() == order_no)
        .collect();
    assert_eq!(events.len(), 1, "exactly one outbox event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_cg_3_fifty_concurrent_duplicates_make_one_transition_sqlite() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = router(&store);
    fifty_concurrent_duplicates([r.clone(), r], &store, "ORD-DUP").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_cg_3_fifty_concurrent_duplicates_make_one_transition_postgres_two_instances() {
    let Some(db) = TestDb::postgres("r_cg_3_postgres_two_instances").await else {
        return;
    };
    let (a, b) = (db.store().await, db.store().await);
    fifty_concurrent_duplicates([router(&a), router(&b)], &a, "ORD-DUP-PG").await;
    a.close().await;
    b.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn r_cg_4_a_late_call_is_recorded_without_moving_the_order() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    save_checkout(&store, "S-LATE", 1000).await;
    let r = router(&store);
    for status in ["03", "07", "03"] {
        let q = cgi_query("ORD-LATE", status, &[("sendid", "S-LATE")]);
        let (s, body) = get(&r, LOCAL, &uri(&q)).await;
        assert_eq!(
            (s, body.as_str()),
            (StatusCode::OK, "successok"),
            "{status}"
        );
    }
    let o = stored(&store, "ORD-LATE").await;
    assert_eq!(o.status(), Status::Completed);
    // The resent 03 was already notified: a duplicate (R-CG-3), not stale.
    let c = o.counters();
    assert_eq!((c.notifications, c.duplicates, c.stale), (2, 1, 0));
}

#[tokio::test]
async fn r_cg_5_a_foreign_source_is_403() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    save_checkout(&store, "S-1", 1000).await;
    let r = router(&store);
    let q = uri(&cgi_query("ORD-1", "03", &[("sendid", "S-1")]));
    for peer in ["203.0.113.5:1234", "127.0.0.2:1234", "[2001:db8::1]:80"] {
        let (s, body) = get(&r, peer, &q).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{peer}");
        assert_not_successok(&body);
    }
    let (s, _) = get(&r, "[::1]:5000", &q).await;
    assert_eq!(s, StatusCode::OK, "::1 is allowed by default");
    assert_eq!(
        store
            .get_order(&ono("ORD-1"))
            .await
            .expect("read")
            .map(|o| o.counters().notifications),
        Some(1)
    );
}

#[tokio::test]
async fn r_cg_5_x_forwarded_for_counts_only_from_a_trusted_proxy() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let q = uri(&cgi_query("ORD-XFF", "03", &[]));
    let send = |r: axum::Router, xff: &'static str| {
        let q = q.clone();
        async move {
            crate::cgi_support::oneshot(
                &r,
                "10.0.0.2:5555",
                "GET",
                &q,
                &[("x-forwarded-for", xff)],
                None,
            )
            .await
            .0
        }
    };
    // An untrusted peer cannot claim to be loopback.
    let untrusted = router(&store);
    assert_eq!(send(untrusted, "127.0.0.1").await, StatusCode::FORBIDDEN);
    // Behind a trusted proxy, the right-most untrusted hop is the source.
    let behind = router_with(&store, |b| {
        b.trusted_proxies(["10.0.0.0/8".parse::<IpNet>().expect("net")])
    });
    assert_eq!(send(behind.clone(), "127.0.0.1").await, StatusCode::OK);
    assert_eq!(
        send(behind.clone(), "127.0.0.1, 203.0.113.9").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(behind.clone(), "203.0.113.9, 127.0.0.1, 10.9.9.9").await,
        StatusCode::OK
    );
    assert_eq!(send(behind, "not-an-ip").await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn r_cg_foreign_clientip_and_malformed_calls_are_400() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = router(&store);
    let foreign = serde_urlencoded::to_string([
        ("clientip", "9999999999"),
        ("order_no", "ORD-F"),
        ("status", "03"),
    ])
    .expect("query");
    for q in [
        foreign.as_str(),
        "clientip=1234567890&order_no=ORD-F",
        "clientip=1234567890&status=03",
        "order_no=ORD-F&status=03",
        "clientip=1234567890&order_no=ORD-F&status=99",
        "clientip=1234567890&order_no=ORD_F&status=03",
        "clientip=1234567890&order_no=ORD-F&status=03&money=abc",
        "clientip=1234567890&order_no=ORD-F&status=03&status=07",
        "",
    ] {
        let (s, body) = get(&r, LOCAL, &format!("{PATH}?{q}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert_not_successok(&body);
    }
    assert_eq!(store.get_order(&ono("ORD-F")).await.expect("read"), None);
}

#[tokio::test]
async fn r_cg_an_oversized_query_is_414() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = router(&store);
    let pad = "x".repeat(9000);
    let (s, body) = get(
        &r,
        LOCAL,
        &uri(&cgi_query("ORD-BIG", "03", &[("username", &pad)])),
    )
    .await;
    assert_eq!(s, StatusCode::URI_TOO_LONG, "{body}");
    assert!(body.contains("limit"), "{body}");
}

#[tokio::test]
async fn r_cg_shift_jis_calls_are_read_in_the_configured_charset() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = router_with(&store, |b| b.charset(zeus_carrier_core::Charset::ShiftJis));
    // ゼウス in Shift_JIS: 83 5B 83 45 83 58.
    let q = format!("{}&username=%83%5B%83E%83X", cgi_query("ORD-SJ", "03", &[]));
    let (s, body) = get(&r, LOCAL, &uri(&q)).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
    let n = store.notifications(&ono("ORD-SJ")).await.expect("read");
    assert_eq!(n.len(), 1);
}

#[tokio::test]
async fn signed_sendpoint_bad_signature_is_400_and_a_good_one_is_accepted() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let key = SigningKey::new("test-signing-key-0123456789abcdef");
    // No checkout saved, policy `Apply` stated: the signature is then
    // checked against the call's own amount (a lowered amount with a saved
    // checkout is `signed_sendpoint_lowered_amount_*`'s subject).
    let r = router_with(&store, |b| {
        b.signing_key(key.clone())
            .unknown_sendid(UnknownSendId::Apply)
    });
    let good = sign_sendpoint(&key, CLIENTIP, "S-1", 1000, Carrier::Docomo);
    let forged = sign_sendpoint(
        &SigningKey::new("other"),
        CLIENTIP,
        "S-1",
        1000,
        Carrier::Docomo,
    );
    let with = |sp: &str, money: &str| {
        uri(&cgi_query(
            "ORD-SIG",
            "03",
            &[
                ("money", money),
                ("carrier_type", "D"),
                ("sendid", "S-1"),
                ("sendpoint", sp),
            ],
        ))
    };
    for (q, why) in [
        (with(&forged, "1000"), "forged"),
        (with(&good, "1"), "money tampered"),
        (with("plain-text", "1000"), "not a signature"),
        (
            uri(&cgi_query(
                "ORD-SIG",
                "03",
                &[("money", "1000"), ("carrier_type", "D"), ("sendid", "S-1")],
            )),
            "missing",
        ),
    ] {
        let (s, body) = get(&r, LOCAL, &q).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert_not_successok(&body);
    }
    assert_eq!(store.get_order(&ono("ORD-SIG")).await.expect("read"), None);
    let (s, body) = get(&r, LOCAL, &with(&good, "1000")).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
    let o = stored(&store, "ORD-SIG").await;
    assert_eq!(o.status(), Status::Authorized);
}

#[tokio::test]
async fn integrity_a_call_disagreeing_with_the_checkout_is_stored_flagged_not_applied() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    save_checkout(&store, "S-9", 1000).await;
    let r = router(&store);
    let call = |status: &str, money: &str| {
        uri(&cgi_query(
            "ORD-INT",
            status,
            &[("money", money), ("carrier_type", "D"), ("sendid", "S-9")],
        ))
    };
    let (s, body) = get(&r, LOCAL, &call("03", "1000")).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
    // 1001 yen can never follow a 1000-yen checkout.
    let (s, body) = get(&r, LOCAL, &call("07", "1001")).await;
    assert_eq!(
        (s, body.as_str()),
        (StatusCode::OK, "successok"),
        "stored, so acknowledged"
    );
    let o = stored(&store, "ORD-INT").await;
    assert_eq!(o.status(), Status::Authorized, "not applied");
    assert_eq!(o.counters().flagged, 1);
    assert_eq!(
        o.needs_reconciliation(),
        Some(&ReconcileReason::Flagged(FlagKind::MoneyMismatch)),
        "{o:?}"
    );
    // INTERFACES v3 §3: a lower amount that no own settle asked for is
    // flagged the same way (R-SL-5 lowers an amount only through the
    // merchant's settle).
    let (s, body) = get(&r, LOCAL, &call("07", "800")).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "successok"));
    let o = stored(&store, "ORD-INT").await;
    assert_eq!(
        (o.status(), o.money().map(|m| m.yen()), o.counters().flagged),
        (Status::Authorized, Some(1000), 2)
    );
    // R-SL-5: this merchant's own settle of 800 yen (sent, its answer not
    // recorded yet): the gateway's 07 with 800 agrees and applies.
    store
        .begin_operation(
            &ono("ORD-INT"),
            InFlight::new(
                OperationKind::Settle,
                Some(Money::from_yen(800).expect("money")),
                at("2026-01-10T10:05:00+09:00"),
            ),
        )
        .await
        .expect("settle in flight");
    let (s, _) = get(&r, LOCAL, &call("07", "800")).await;
    assert_eq!(s, StatusCode::OK);
    let o = stored(&store, "ORD-INT").await;
    assert_eq!(
        (o.status(), o.money().map(|m| m.yen())),
        (Status::Completed, Some(800))
    );
}

const FORM: &str = "application/x-www-form-urlencoded";

#[tokio::test]
async fn interfaces_3_cgi_by_post_is_recorded_like_a_get() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    save_checkout(&store, "S-POST", 1000).await;
    let r = router(&store);
    let form = cgi_query(
        "ORD-POST",
        "03",
        &[
            ("money", "1000"),
            ("carrier_type", "D"),
            ("sendid", "S-POST"),
        ],
    );
    let (s, body, headers) = oneshot(
        &r,
        LOCAL,
        "POST",
        PATH,
        &[],
        Some((FORM, form.clone().into_bytes())),
    )
    .await;
    assert_eq!((s, body.as_slice()), (StatusCode::OK, &b"successok"[..]));
    assert_eq!(
        headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"text/plain; charset=utf-8"[..])
    );
    let o = stored(&store, "ORD-POST").await;
    assert_eq!(
        (o.status(), o.money().map(|m| m.yen())),
        (Status::Authorized, Some(1000))
    );
    // The same call again by GET is a duplicate: one record, one transition.
    let (s, _) = get(&r, LOCAL, &uri(&form)).await;
    assert_eq!(s, StatusCode::OK);
    let o = stored(&store, "ORD-POST").await;
    let c = o.record().counters();
    assert_eq!((c.notifications, c.duplicates), (1, 1));
    // A charset parameter on the content type changes nothing.
    let (s, _, _) = oneshot(
        &r,
        LOCAL,
        "POST",
        PATH,
        &[],
        Some((
            "application/x-www-form-urlencoded; charset=UTF-8",
            cgi_query("ORD-POST", "07", &[("sendid", "S-POST")]).into_bytes(),
        )),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let o = stored(&store, "ORD-POST").await;
    assert_eq!(o.status(), Status::Completed);
}

#[tokio::test]
async fn post_checks_source_size_media_type_and_parameters() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = router(&store);
    let form = cgi_query("ORD-P2", "03", &[]).into_bytes();
    let post = |peer: &'static str, ct: &'static str, body: Vec<u8>| {
        let r = r.clone();
        async move {
            let (s, b, _) = oneshot(&r, peer, "POST", PATH, &[], Some((ct, body))).await;
            (s, String::from_utf8_lossy(&b).into_owned())
        }
    };
    let (s, body) = post("203.0.113.5:1", FORM, form.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let mut big = form.clone();
    big.extend_from_slice(format!("&username={}", "x".repeat(9000)).as_bytes());
    let (s, body) = post(LOCAL, FORM, big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.starts_with("error: "), "{body}");
    let (s, body) = post(LOCAL, "application/json", form.clone()).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (s, body) = post(LOCAL, FORM, b"clientip=1234567890&status=03".to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_not_successok(&body);
    assert_eq!(store.get_order(&ono("ORD-P2")).await.expect("read"), None);
}

#[tokio::test]
async fn head_records_nothing_and_other_methods_are_405() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = router(&store);
    let q = uri(&cgi_query("ORD-HEAD", "03", &[]));
    let (s, body, _) = oneshot(&r, LOCAL, "HEAD", &q, &[], None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.is_empty());
    let (s, _, _) = oneshot(&r, "203.0.113.5:1", "HEAD", &q, &[], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "HEAD still checks the source");
    assert_eq!(store.get_order(&ono("ORD-HEAD")).await.expect("read"), None);
    assert!(
        store
            .notifications(&ono("ORD-HEAD"))
            .await
            .expect("read")
            .is_empty()
    );
    let (s, body, headers) = oneshot(&r, LOCAL, "PUT", &q, &[], None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_not_successok(&String::from_utf8_lossy(&body));
    assert_eq!(
        headers.get("allow").map(|v| v.as_bytes()),
        Some(&b"GET, POST, HEAD"[..])
    );
}

#[tokio::test]
async fn without_connect_info_every_call_is_403() {
    use tower::ServiceExt as _;
    let db = TestDb::sqlite();
    let store = db.store().await;
    let r = router(&store);
    let req = axum::http::Request::builder()
        .uri(uri(&cgi_query("ORD-NOCI", "03", &[])))
        .body(axum::body::Body::empty())
        .expect("request");
    let resp = r.oneshot(req).await.expect("infallible");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(store.get_order(&ono("ORD-NOCI")).await.expect("read"), None);
}

/// The framework-neutral function itself: acknowledgements carry the
/// effect, rejections their reason, status and an `error:` body.
#[tokio::test]
async fn receive_answers_typed_acks_and_rejections() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    save_checkout(&store, "S-FN", 1000).await;
    let receiver = Receiver::new(store.clone(), config_with(|b| b));
    let local = Some(std::net::IpAddr::from([127, 0, 0, 1]));
    let q = cgi_query("ORD-FN", "03", &[("sendid", "S-FN")]);
    let ack = receiver
        .receive(CgiCall::get(local, q.clone()))
        .await
        .expect("recorded");
    assert_eq!(
        ack,
        Ack::Recorded {
            order_no: "ORD-FN".to_owned(),
            effect: EffectKind::Create
        }
    );
    assert_eq!((ack.status(), ack.body()), (200, "successok"));
    let again = receiver
        .receive(CgiCall::get(local, q.clone()))
        .await
        .expect("recorded");
    assert_eq!(again.effect(), Some(EffectKind::Duplicate));
    assert_eq!(
        receiver.receive(CgiCall::head(local)).await.expect("probe"),
        Ack::Probe
    );
    let cases: Vec<(CgiCall, RejectionReason, u16)> = vec![
        (
            CgiCall::get(None, q.clone()),
            RejectionReason::UnknownSource,
            403,
        ),
        (
            CgiCall::get(Some([10, 0, 0, 1].into()), q.clone()),
            RejectionReason::Forbidden,
            403,
        ),
        (
            CgiCall::get(Some([10, 0, 0, 1].into()), q.clone()).with_forwarded_for(["127.0.0.1"]),
            RejectionReason::Forbidden,
            403,
        ),
        (
            CgiCall::get(local, "x".repeat(9000)),
            RejectionReason::QueryTooLarge,
            414,
        ),
        (
            CgiCall::post_over_limit(local, Some(FORM.to_owned())),
            RejectionReason::BodyTooLarge,
            413,
        ),
        (
            CgiCall::get(local, "status=03"),
            RejectionReason::Malformed,
            400,
        ),
        (
            CgiCall::get(local, "clientip=9999999999&order_no=ORD-FN&status=03"),
            RejectionReason::Foreign,
            400,
        ),
    ];
    for (call, reason, status) in cases {
        let shown = format!("{call:?}");
        let rejection: CallbackRejection = receiver.receive(call).await.expect_err(&shown);
        assert_eq!(rejection.reason(), reason, "{shown}");
        assert_eq!(rejection.status(), status, "{shown}");
        assert!(rejection.body().starts_with("error: "), "{shown}");
    }
    store.close().await;
    let down = receiver
        .receive(CgiCall::get(local, cgi_query("ORD-FN2", "03", &[])))
        .await
        .expect_err("storage closed");
    assert_eq!(
        (down.reason(), down.status()),
        (RejectionReason::Unavailable, 503)
    );
}

#[test]
fn a_calls_debug_shows_lengths_not_the_shoppers_data() {
    let call = CgiCall::get(None, "email=shopper%40example.invalid&telno=0312345678");
    let shown = format!("{call:?}");
    assert!(
        !shown.contains("shopper") && !shown.contains("0312345678"),
        "{shown}"
    );
}
