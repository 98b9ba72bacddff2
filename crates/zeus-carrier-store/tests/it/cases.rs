//! The behavioural cases, each run on every backend (see `main.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use zeus_carrier_core::cancel::CancelPlan;
use zeus_carrier_core::merchant::{
    Checkout, Counters, EffectKind, Flag, NoticeEffect, Operation, OperationReport,
};
use zeus_carrier_core::secure_link::{Outcome, UnknownReason};
use zeus_carrier_core::settle::SettlePlan;
use zeus_carrier_core::{Carrier, Status};
use zeus_carrier_store::{DeadlineKind, MerchantOrder, Source, Store, StoreError};

use crate::harness::{RecordCall as _, TestDb, at, notification, ono, sid, yen};

use Status::{Authorized, Cancelled, Completed, Settling};

const T0: &str = "2026-03-01T10:00:00+09:00";
const T1: &str = "2026-03-01T10:05:00+09:00";
const T2: &str = "2026-03-02T09:00:00+09:00";
const T3: &str = "2026-03-03T09:00:00+09:00";

async fn order(store: &Store, order_no: &str) -> MerchantOrder {
    store
        .get_order(&ono(order_no))
        .await
        .expect("get_order")
        .expect("order exists")
}

async fn transitions(store: &Store, order_no: &str) -> Vec<(Option<Status>, Status, Source)> {
    order(store, order_no)
        .await
        .history()
        .iter()
        .map(|h| (h.from, h.to, h.source))
        .collect()
}

/// All unacknowledged outbox events as (order, from, to, source).
async fn outbox(store: &Store) -> Vec<(String, Option<Status>, Status, Source)> {
    store
        .poll_outbox(0, 10_000)
        .await
        .expect("poll_outbox")
        .into_iter()
        .map(|e| (e.order_no.as_str().to_owned(), e.from, e.to, e.source))
        .collect()
}

fn counts(o: &MerchantOrder) -> (u64, u64, u64, u64) {
    let c = o.counters();
    (c.notifications, c.duplicates, c.stale, c.flagged)
}

fn checkout(sendid: &str, money: u32, carrier: Carrier, created: &str) -> Checkout {
    Checkout::new(sid(sendid), yen(money), carrier, at(created))
}

/// A settle dated today that the gateway and the carrier confirmed.
fn settle_today(planned_from: Status, money: u32, answered: &str) -> OperationReport {
    let date = at(answered).date_naive();
    OperationReport::new(
        Operation::Settle(SettlePlan::Today { date, money }),
        planned_from,
        Outcome::Success { date: Some(date) },
        at(answered),
    )
}

pub(crate) async fn r_cg_3_first_notification_creates_the_record(db: &TestDb) {
    let store = db.store().await;
    assert_eq!(store.get_order(&ono("A-1")).await.expect("get"), None);
    let r = store
        .record(notification("A-1", Authorized, 1000, T0))
        .await
        .expect("record");
    assert_eq!(r.effect, NoticeEffect::Created { status: Authorized });
    let o = r.order.expect("created order");
    assert_eq!(o.status(), Authorized);
    assert_eq!(o.money(), Some(yen(1000)));
    assert_eq!(o.record().original_money(), Some(yen(1000)));
    assert_eq!(o.record().carrier(), Some(Carrier::Docomo));
    assert_eq!(o.sendid(), Some(&sid("sid-A-1")));
    assert_eq!(o.record().first_seen_at(), at(T0));
    assert_eq!(counts(&o), (1, 0, 0, 0));
    assert!(!o.payout_eligible());
    assert_eq!(
        transitions(&store, "A-1").await,
        [(None, Authorized, Source::Cgi)]
    );
    assert_eq!(store.get_order(&ono("A-1")).await.expect("get"), Some(o));
    let stored = store
        .notifications(&ono("A-1"))
        .await
        .expect("notifications");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].effect, EffectKind::Create);
    assert_eq!(stored[0].raw_query, b"order_no=A-1&status=03&money=1000");
    assert_eq!(stored[0].id, r.notification_id);
    assert_eq!(stored[0].money, Some(yen(1000)));
    assert_eq!(stored[0].sendid, Some(sid("sid-A-1")));
}

pub(crate) async fn r_cg_3_duplicate_changes_nothing_but_is_counted(db: &TestDb) {
    let store = db.store().await;
    let first = store
        .record(notification("D-1", Authorized, 1000, T0))
        .await
        .expect("first");
    let before = first.order.expect("order");
    let r = store
        .record(notification("D-1", Authorized, 1000, T1))
        .await
        .expect("duplicate");
    assert_eq!(r.effect, NoticeEffect::Duplicate { status: Authorized });
    let after = r.order.expect("order");
    assert_eq!(counts(&after), (1, 1, 0, 0));
    // Nothing else changed.
    assert_eq!(without_counters(&after), without_counters(&before));
    assert_eq!(after.history(), before.history());
    assert_eq!(store.notifications(&ono("D-1")).await.expect("n").len(), 2);
    assert_eq!(outbox(&store).await.len(), 1);
}

/// The record's parts with its counters zeroed, to compare everything else.
fn without_counters(o: &MerchantOrder) -> zeus_carrier_core::merchant::RecordParts {
    let mut p = o.record().parts().clone();
    p.counters = Counters::default();
    p
}

pub(crate) async fn r_cg_4_forward_notification_advances(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("F-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let r = store
        .record(notification("F-1", Completed, 900, T2))
        .await
        .expect("07");
    assert_eq!(
        r.effect,
        NoticeEffect::Advanced {
            from: Authorized,
            to: Completed
        }
    );
    let o = r.order.expect("order");
    assert_eq!(o.status(), Completed);
    assert!(o.payout_eligible());
    assert_eq!(o.money(), Some(yen(900)));
    assert_eq!(o.record().original_money(), Some(yen(1000)));
    assert_eq!(o.record().settled_at(), Some(at(T2)));
    assert_eq!(o.counters().notifications, 2);
    assert_eq!(
        transitions(&store, "F-1").await,
        [
            (None, Authorized, Source::Cgi),
            (Some(Authorized), Completed, Source::Cgi)
        ]
    );
    assert_eq!(o.history()[1].at, at(T2));
}

/// R-CG-3/R-CG-4 as the model decides them: a resend of a status already
/// notified is a duplicate even after the record moved on; a late status
/// never seen before is stale. Neither moves the record.
pub(crate) async fn r_cg_4_late_calls_are_duplicate_or_stale_and_order_unchanged(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("S-1", Authorized, 1000, T0))
        .await
        .expect("03");
    store
        .record(notification("S-1", Completed, 1000, T1))
        .await
        .expect("07");
    // A manual resend of the 03 call, after the 07: 03 was stored.
    let r = store
        .record(notification("S-1", Authorized, 1000, T2))
        .await
        .expect("resent 03");
    assert_eq!(r.effect, NoticeEffect::Duplicate { status: Completed });
    let o = r.order.expect("order");
    assert_eq!(o.status(), Completed);
    assert_eq!(counts(&o), (2, 1, 0, 0));
    assert_eq!(o.history().len(), 2);

    // S-2 was first seen completed; its 03 arrives late, never seen before.
    store
        .record(notification("S-2", Completed, 1000, T1))
        .await
        .expect("07");
    let r = store
        .record(notification("S-2", Authorized, 1000, T2))
        .await
        .expect("late 03");
    assert_eq!(
        r.effect,
        NoticeEffect::Stale {
            current: Completed,
            reported: Authorized
        }
    );
    let o = r.order.expect("order");
    assert_eq!(o.status(), Completed);
    assert_eq!(counts(&o), (1, 0, 1, 0));
    assert_eq!(o.history().len(), 1);
    // Now it has been seen: a second copy is a duplicate.
    let r = store
        .record(notification("S-2", Authorized, 1000, T3))
        .await
        .expect("03 again");
    assert_eq!(r.effect.kind(), EffectKind::Duplicate);

    let stored = store.notifications(&ono("S-1")).await.expect("n");
    assert_eq!(
        stored.iter().map(|n| n.effect).collect::<Vec<_>>(),
        [
            EffectKind::Create,
            EffectKind::Advance,
            EffectKind::Duplicate
        ]
    );
    assert_eq!(stored[2].status_before, Some(Completed));
    let stored = store.notifications(&ono("S-2")).await.expect("n");
    assert_eq!(
        stored.iter().map(|n| n.effect).collect::<Vec<_>>(),
        [EffectKind::Create, EffectKind::Stale, EffectKind::Duplicate]
    );
    assert_eq!(outbox(&store).await.len(), 3);
}

pub(crate) async fn flagged_notification_is_stored_but_not_applied(db: &TestDb) {
    let store = db.store().await;
    store
        .save_checkout(&checkout("sid-G-1", 1000, Carrier::Docomo, T0))
        .await
        .expect("checkout");
    store
        .record(notification("G-1", Authorized, 1000, T0))
        .await
        .expect("03");
    // More than the shopper ordered: tampered.
    let r = store
        .record(notification("G-1", Completed, 1200, T1))
        .await
        .expect("flagged");
    let NoticeEffect::Flagged {
        flag,
        current,
        reported,
    } = &r.effect
    else {
        panic!("flagged expected: {:?}", r.effect);
    };
    assert!(matches!(flag, Flag::MoneyMismatch { .. }), "{flag:?}");
    assert_eq!((*current, *reported), (Some(Authorized), Completed));
    let o = r.order.expect("order");
    assert_eq!(o.status(), Authorized);
    assert_eq!(o.money(), Some(yen(1000)));
    assert_eq!(counts(&o), (1, 0, 0, 1));
    assert_eq!(o.history().len(), 1);
    let reason = o.needs_reconciliation().expect("marked for reconciliation");
    assert!(reason.contains("money mismatch"), "{reason}");
    let stored = store.notifications(&ono("G-1")).await.expect("n");
    assert_eq!(stored[1].effect, EffectKind::Flagged);
    assert_eq!(
        stored[1].integrity_flag.as_deref(),
        Some(flag.to_string().as_str())
    );
    assert_eq!(outbox(&store).await.len(), 1, "no event for a flagged call");
    let list = store.list_deadlines(at(T1), 1).await.expect("deadlines");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].status, Some(Authorized));
    assert_eq!(list[0].kind, DeadlineKind::Reconciliation);
}

/// A flagged call for an order never recorded creates nothing, and the
/// order is listed for reconciliation with no status.
pub(crate) async fn flagged_notification_for_an_unknown_order_is_a_deadline(db: &TestDb) {
    let store = db.store().await;
    store
        .save_checkout(&checkout("sid-G-2", 900, Carrier::Au, T0))
        .await
        .expect("checkout");
    let r = store
        .record(notification("G-2", Completed, 900, T0))
        .await
        .expect("flagged");
    let NoticeEffect::Flagged { flag, current, .. } = &r.effect else {
        panic!("flagged expected: {:?}", r.effect);
    };
    assert!(matches!(flag, Flag::CarrierMismatch { .. }), "{flag:?}");
    assert_eq!(*current, None);
    assert_eq!(r.order, None);
    assert_eq!(store.get_order(&ono("G-2")).await.expect("get"), None);
    let stored = store.notifications(&ono("G-2")).await.expect("n");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].status_before, None);
    assert!(outbox(&store).await.is_empty());
    // A second flagged call: still one deadline, with the first flag.
    store
        .record(notification("G-2", Completed, 900, T1))
        .await
        .expect("flagged again");
    let list = store.list_deadlines(at(T1), 1).await.expect("deadlines");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].order_no, ono("G-2"));
    assert_eq!(list[0].status, None);
    assert_eq!(list[0].kind, DeadlineKind::Reconciliation);
    assert_eq!(list[0].reason.as_deref(), Some(flag.to_string().as_str()));
    let json = serde_json::to_value(&list[0]).expect("json");
    assert_eq!(json["status"], serde_json::Value::Null);
}

/// One checkout, one order: a second order naming a used `sendid` (a
/// replayed order form) is flagged and creates no payout-eligible order.
pub(crate) async fn a_second_order_with_a_used_sendid_is_flagged(db: &TestDb) {
    let store = db.store().await;
    store
        .save_checkout(&checkout("sid-U", 1000, Carrier::Docomo, T0))
        .await
        .expect("checkout");
    let mut first = notification("U-1", Completed, 1000, T0);
    first.notice.sendid = Some(sid("sid-U"));
    let r = store.record(first).await.expect("first order");
    assert_eq!(r.effect.kind(), EffectKind::Create);
    let c = store
        .find_checkout(&sid("sid-U"))
        .await
        .expect("find")
        .expect("checkout");
    assert_eq!(c.order_no, Some(ono("U-1")), "the first order claimed it");

    let mut replay = notification("U-2", Completed, 1000, T1);
    replay.notice.sendid = Some(sid("sid-U"));
    let r = store.record(replay).await.expect("replayed order");
    let NoticeEffect::Flagged { flag, .. } = &r.effect else {
        panic!("flagged expected: {:?}", r.effect);
    };
    assert!(
        matches!(flag, Flag::CheckoutUsed { used_by, .. } if *used_by == ono("U-1")),
        "{flag:?}"
    );
    assert_eq!(r.order, None);
    assert_eq!(store.get_order(&ono("U-2")).await.expect("get"), None);
    assert!(order(&store, "U-1").await.payout_eligible());
    let c = store
        .find_checkout(&sid("sid-U"))
        .await
        .expect("find")
        .expect("checkout");
    assert_eq!(c.order_no, Some(ono("U-1")), "still bound to the first");
    let list = store.list_deadlines(at(T1), 1).await.expect("deadlines");
    assert!(
        list.iter()
            .any(|d| d.order_no == ono("U-2") && d.status.is_none()),
        "{list:?}"
    );
}

/// Sends `count` copies of the same notification at once, spread over
/// `stores` (each its own pool), each on its own task.
async fn concurrent_deliveries(stores: &[Store], order_no: &str, status: Status, count: usize) {
    let mut tasks = Vec::new();
    for i in 0..count {
        let store = stores[i % stores.len()].clone();
        let n = notification(order_no, status, 1000, T0);
        tasks.push(tokio::spawn(async move { store.record(n).await }));
    }
    let mut effects: HashMap<EffectKind, usize> = HashMap::new();
    for t in tasks {
        let r = t.await.expect("task").expect("record_notification");
        *effects.entry(r.effect.kind()).or_default() += 1;
    }
    let changed = effects.get(&EffectKind::Create).copied().unwrap_or(0)
        + effects.get(&EffectKind::Advance).copied().unwrap_or(0);
    assert_eq!(
        changed, 1,
        "exactly one delivery changes state: {effects:?}"
    );
    assert_eq!(
        effects.get(&EffectKind::Duplicate).copied().unwrap_or(0),
        count - 1,
        "{effects:?}"
    );
}

pub(crate) async fn r_cg_3_fifty_concurrent_identical_deliveries_make_one_transition(db: &TestDb) {
    let store = db.store().await;
    concurrent_deliveries(std::slice::from_ref(&store), "C-1", Authorized, 50).await;
    concurrent_deliveries(std::slice::from_ref(&store), "C-1", Completed, 50).await;
    let o = order(&store, "C-1").await;
    assert_eq!(o.status(), Completed);
    assert_eq!(counts(&o), (2, 98, 0, 0));
    assert_eq!(
        transitions(&store, "C-1").await,
        [
            (None, Authorized, Source::Cgi),
            (Some(Authorized), Completed, Source::Cgi)
        ]
    );
    assert_eq!(
        store.notifications(&ono("C-1")).await.expect("n").len(),
        100
    );
    assert_eq!(outbox(&store).await.len(), 2);
}

pub(crate) async fn r_cg_3_fifty_concurrent_deliveries_from_two_stores_make_one_transition(
    db: &TestDb,
) {
    // Two pools on the same database: the serialization must not depend on
    // sharing one process-local pool.
    let stores = [db.store().await, db.store().await];
    concurrent_deliveries(&stores, "C-2", Authorized, 50).await;
    concurrent_deliveries(&stores, "C-2", Completed, 50).await;
    for store in &stores {
        let o = order(store, "C-2").await;
        assert_eq!((o.status(), counts(&o)), (Completed, (2, 98, 0, 0)));
        assert_eq!(o.history().len(), 2);
    }
    assert_eq!(outbox(&stores[0]).await.len(), 2);
}

pub(crate) async fn outbox_gets_one_event_per_transition_with_sendid(db: &TestDb) {
    let store = db.store().await;
    for (status, t) in [
        (Authorized, T0),
        (Authorized, T0),
        (Completed, T1),
        (Authorized, T1),
        (Completed, T2),
    ] {
        store
            .record(notification("O-1", status, 1000, t))
            .await
            .expect("record");
    }
    let cancel = OperationReport::new(
        Operation::Cancel(CancelPlan::Sale { deadline: None }),
        Completed,
        Outcome::Success { date: None },
        at(T3),
    );
    store
        .record_operation(&ono("O-1"), cancel)
        .await
        .expect("cancel");
    // The CGI call for the cancel arrives too: a duplicate.
    store
        .record(notification("O-1", Cancelled, 1000, T3))
        .await
        .expect("08");
    let o = |from, to, source| ("O-1".to_owned(), from, to, source);
    let expected = vec![
        o(None, Authorized, Source::Cgi),
        o(Some(Authorized), Completed, Source::Cgi),
        o(Some(Completed), Cancelled, Source::Cancel),
    ];
    assert_eq!(outbox(&store).await, expected);

    // Every event carries the order's sendid.
    let events = store.poll_outbox(0, 10).await.expect("poll");
    assert!(
        events.iter().all(|e| e.sendid == Some(sid("sid-O-1"))),
        "{events:?}"
    );
    let json = serde_json::to_value(&events[0]).expect("json");
    assert_eq!(json["sendid"], "sid-O-1");

    // Delivery is at-least-once: unacknowledged events come back.
    let events = store.poll_outbox(0, 2).await.expect("poll");
    assert_eq!(events.len(), 2);
    assert!(events[0].id < events[1].id);
    assert_eq!(store.poll_outbox(0, 2).await.expect("poll again"), events);
    // Paging within a round.
    let rest = store.poll_outbox(events[1].id, 10).await.expect("page");
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].to, Cancelled);

    assert!(store.ack_outbox(events[0].id).await.expect("ack"));
    assert!(!store.ack_outbox(events[0].id).await.expect("ack again"));
    assert!(!store.ack_outbox(i64::MAX).await.expect("ack unknown"));
    assert_eq!(outbox(&store).await, expected[1..].to_vec());
}

pub(crate) async fn data_survives_reopening(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("R-1", Authorized, 1000, T0))
        .await
        .expect("03");
    store
        .record(notification("R-1", Completed, 1000, T1))
        .await
        .expect("07");
    store
        .save_checkout(&checkout("sid-R-1", 1000, Carrier::Docomo, T0))
        .await
        .expect("checkout");
    let before = order(&store, "R-1").await;
    store.close().await;
    drop(store);

    let reopened = db.store().await;
    reopened.health().await.expect("healthy after reopening");
    assert_eq!(
        reopened.get_order(&ono("R-1")).await.expect("get"),
        Some(before),
        "the record survives reopening"
    );
    assert_eq!(
        reopened.notifications(&ono("R-1")).await.expect("n").len(),
        2
    );
    assert!(
        reopened
            .find_checkout(&sid("sid-R-1"))
            .await
            .expect("find")
            .is_some()
    );
    assert_eq!(outbox(&reopened).await.len(), 2);
    // And it keeps working: a resend after the restart is a duplicate.
    let r = reopened
        .record(notification("R-1", Completed, 1000, T2))
        .await
        .expect("resend");
    assert_eq!(r.effect.kind(), EffectKind::Duplicate);
}

pub(crate) async fn health_fails_when_the_database_is_gone(db: &TestDb) {
    let store = db.store().await;
    store.health().await.expect("healthy at first");
    store
        .record(notification("H-1", Authorized, 1000, T0))
        .await
        .expect("03");
    db.destroy().await;
    let e = store.health().await.expect_err("the database is gone");
    assert!(e.is_unavailable(), "{e:?}");
    let e = store
        .record(notification("H-1", Completed, 1000, T1))
        .await
        .expect_err("nowhere to record");
    assert!(e.is_unavailable(), "the receiver must answer 503: {e:?}");
}

pub(crate) async fn d7_list_deadlines_finds_closing_windows(db: &TestDb) {
    let store = db.store().await;
    // Authorized, first seen 2026-03-01 10:00: settle date window ends
    // 2026-04-20 (acceptance date + 50), 23:55 (R-SL-4); cancel window ends
    // 2026-04-20 10:00 (+ 50 × 24 h).
    store
        .record(notification("L-AUTH", Authorized, 1000, T0))
        .await
        .expect("03");
    // Completed (immediate sale) on 2026-03-02 09:00: cancel until
    // 2026-04-21 09:00.
    store
        .record(notification("L-DONE", Completed, 1000, T2))
        .await
        .expect("07");
    // Terminal: no window.
    store
        .record(notification("L-FAIL", Status::PaymentFailed, 1000, T0))
        .await
        .expect("02");

    let none = store
        .list_deadlines(at("2026-03-05T00:00:00+09:00"), 7)
        .await
        .expect("deadlines");
    assert!(none.is_empty(), "{none:?}");

    let list = store
        .list_deadlines(at("2026-04-15T00:00:00+09:00"), 7)
        .await
        .expect("deadlines");
    let got: Vec<_> = list
        .iter()
        .map(|d| (d.order_no.as_str(), d.kind, d.closes_at, d.status))
        .collect();
    assert_eq!(
        got,
        [
            (
                "L-AUTH",
                DeadlineKind::Cancel,
                Some(at("2026-04-20T10:00:00+09:00")),
                Some(Authorized)
            ),
            (
                "L-AUTH",
                DeadlineKind::Settle,
                Some(at("2026-04-20T23:55:00+09:00")),
                Some(Authorized)
            ),
            (
                "L-DONE",
                DeadlineKind::Cancel,
                Some(at("2026-04-21T09:00:00+09:00")),
                Some(Completed)
            ),
        ]
    );

    // After the cancel window closed, only the settle window is left, and
    // only within the asked range.
    let later = store
        .list_deadlines(at("2026-04-20T12:00:00+09:00"), 0)
        .await
        .expect("deadlines");
    assert!(later.is_empty(), "{later:?}");
    let later = store
        .list_deadlines(at("2026-04-20T12:00:00+09:00"), 1)
        .await
        .expect("deadlines");
    let got: Vec<_> = later
        .iter()
        .map(|d| (d.order_no.as_str(), d.kind))
        .collect();
    assert_eq!(
        got,
        [
            ("L-AUTH", DeadlineKind::Settle),
            ("L-DONE", DeadlineKind::Cancel)
        ]
    );
}

pub(crate) async fn d7_windows_count_from_the_first_notification_not_the_checkout(db: &TestDb) {
    let store = db.store().await;
    // The merchant rendered the form just before midnight; the CGI call
    // arrived after it. The gateway's window starts between the two (受付完了),
    // so the merchant counts from the call's receipt, never earlier: its
    // pre-check then never refuses what the gateway accepts (D-7,
    // docs/DECISIONS.md).
    store
        .save_checkout(&checkout(
            "sid-W-1",
            1000,
            Carrier::Docomo,
            "2026-03-01T23:58:00+09:00",
        ))
        .await
        .expect("checkout");
    let o = store
        .record(notification(
            "W-1",
            Authorized,
            1000,
            "2026-03-02T00:03:00+09:00",
        ))
        .await
        .expect("03")
        .order
        .expect("order");
    assert_eq!(o.record().window_from(), at("2026-03-02T00:03:00+09:00"));
    assert_eq!(o.record().first_seen_at(), at("2026-03-02T00:03:00+09:00"));
    let list = store
        .list_deadlines(at("2026-04-19T00:00:00+09:00"), 3)
        .await
        .expect("deadlines");
    let settle = list
        .iter()
        .find(|d| d.kind == DeadlineKind::Settle)
        .expect("settle deadline");
    // 2026-03-02 + 50 days, at the 23:55 cutoff.
    assert_eq!(settle.closes_at, Some(at("2026-04-21T23:55:00+09:00")));
}

pub(crate) async fn r_rs_3_reconciliation_mark_and_clear(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("K-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let e = store
        .mark_reconciliation(&ono("K-unknown"), "settle outcome unknown")
        .await
        .expect_err("unknown order");
    assert!(
        matches!(e, StoreError::OrderNotFound { ref order_no } if order_no.as_str() == "K-unknown"),
        "{e:?}"
    );
    store
        .mark_reconciliation(&ono("K-1"), "settle outcome unknown: timeout after 30 s")
        .await
        .expect("mark");
    let o = order(&store, "K-1").await;
    assert_eq!(
        o.needs_reconciliation(),
        Some("settle outcome unknown: timeout after 30 s")
    );
    assert_eq!(o.status(), Authorized, "marking does not move the order");
    let list = store.list_deadlines(at(T1), 1).await.expect("deadlines");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].kind, DeadlineKind::Reconciliation);
    assert_eq!(
        list[0].reason.as_deref(),
        Some("settle outcome unknown: timeout after 30 s")
    );
    store
        .clear_reconciliation(&ono("K-1"))
        .await
        .expect("clear");
    let o = order(&store, "K-1").await;
    assert_eq!(o.needs_reconciliation(), None);
    assert!(store.list_deadlines(at(T1), 1).await.expect("d").is_empty());
}

/// An operation marked in flight before sending is listed for
/// reconciliation until its outcome is recorded; an unknown outcome marks
/// the order instead of moving it (R-RS-3).
pub(crate) async fn r_rs_3_in_flight_operation_is_listed_until_its_outcome(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("I-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let o = store
        .begin_operation(&ono("I-1"), "settle", at(T1))
        .await
        .expect("begin");
    let in_flight = o.in_flight().expect("in flight").to_owned();
    assert!(in_flight.starts_with("settle sent at"), "{in_flight}");
    assert_eq!(
        serde_json::to_value(&o).expect("json")["in_flight"],
        in_flight.as_str()
    );
    // Durable: another read sees it, and list_deadlines lists it.
    assert_eq!(
        order(&store, "I-1").await.in_flight(),
        Some(in_flight.as_str())
    );
    let list = store.list_deadlines(at(T1), 0).await.expect("deadlines");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].kind, DeadlineKind::Reconciliation);
    assert_eq!(list[0].reason.as_deref(), Some(in_flight.as_str()));

    let unknown = OperationReport::new(
        Operation::Settle(SettlePlan::Today {
            date: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
            money: 1000,
        }),
        Authorized,
        Outcome::Unknown {
            reason: UnknownReason::Transport("timeout after 30 s".to_owned()),
        },
        at(T1),
    );
    let r = store
        .record_operation(&ono("I-1"), unknown)
        .await
        .expect("unknown outcome");
    assert!(r.applied.is_empty());
    let reason = r.reconcile.expect("reconcile");
    assert_eq!(r.order.status(), Authorized);
    assert_eq!(r.order.in_flight(), None);
    assert_eq!(r.order.needs_reconciliation(), Some(reason.as_str()));
    let list = store.list_deadlines(at(T1), 0).await.expect("deadlines");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].reason.as_deref(), Some(reason.as_str()));
    let e = store
        .begin_operation(&ono("I-unknown"), "cancel", at(T1))
        .await
        .expect_err("unknown order");
    assert!(matches!(e, StoreError::OrderNotFound { .. }), "{e:?}");
}

pub(crate) async fn r_tr_2_settle_operation_records_steps_and_fields(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("P-1", Authorized, 1000, T0))
        .await
        .expect("03");
    store
        .begin_operation(&ono("P-1"), "settle", at(T2))
        .await
        .expect("begin");
    let r = store
        .record_operation(&ono("P-1"), settle_today(Authorized, 800, T2))
        .await
        .expect("settle");
    assert_eq!(r.applied.len(), 2);
    assert_eq!(r.reconcile, None);
    let o = r.order;
    assert_eq!(o.status(), Completed);
    assert_eq!(o.in_flight(), None, "the outcome clears the in-flight mark");
    assert_eq!(o.money(), Some(yen(800)));
    assert_eq!(o.record().original_money(), Some(yen(1000)));
    assert_eq!(
        o.record().settle_date(),
        NaiveDate::from_ymd_opt(2026, 3, 2)
    );
    assert_eq!(o.record().settled_at(), Some(at(T2)));
    assert_eq!(
        transitions(&store, "P-1").await,
        [
            (None, Authorized, Source::Cgi),
            (Some(Authorized), Settling, Source::Settle),
            (Some(Settling), Completed, Source::Settle),
        ]
    );
    // The gateway's CGI call for the settle: already recorded.
    let r = store
        .record(notification("P-1", Completed, 800, T3))
        .await
        .expect("07");
    assert_eq!(r.effect.kind(), EffectKind::Duplicate);
    assert_eq!(outbox(&store).await.len(), 3);
    // Unknown orders are refused.
    let e = store
        .record_operation(&ono("P-unknown"), settle_today(Authorized, 800, T3))
        .await
        .expect_err("unknown");
    assert!(matches!(e, StoreError::OrderNotFound { .. }), "{e:?}");
}

pub(crate) async fn r_cg_3_operation_after_the_cgi_call_adds_no_transition(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("Q-1", Authorized, 1000, T0))
        .await
        .expect("03");
    // The 07 CGI call overtakes the Secure Link answer.
    store
        .record(notification("Q-1", Completed, 1000, T2))
        .await
        .expect("07");
    let r = store
        .record_operation(
            &ono("Q-1"),
            settle_today(Authorized, 1000, "2026-03-02T09:00:01+09:00"),
        )
        .await
        .expect("settle");
    assert!(r.applied.is_empty(), "{:?}", r.applied);
    assert_eq!(r.order.status(), Completed);
    // The record ends where the operation ends: its fields are taken.
    assert_eq!(
        r.order.record().settle_date(),
        NaiveDate::from_ymd_opt(2026, 3, 2)
    );
    assert_eq!(r.order.history().len(), 2);
    assert_eq!(outbox(&store).await.len(), 2);
}

/// A CGI call overtook part of the operation (05 arrived first): only the
/// remaining step is recorded, with the operation as its source.
pub(crate) async fn r_tr_2_operation_records_only_the_steps_not_overtaken(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("Q-2", Authorized, 1000, T0))
        .await
        .expect("03");
    store
        .record(notification("Q-2", Settling, 1000, T2))
        .await
        .expect("05");
    let r = store
        .record_operation(&ono("Q-2"), settle_today(Authorized, 1000, T2))
        .await
        .expect("settle");
    let applied: Vec<_> = r.applied.iter().map(|h| (h.from, h.to, h.source)).collect();
    assert_eq!(applied, [(Some(Settling), Completed, Source::Settle)]);
    assert_eq!(
        transitions(&store, "Q-2").await,
        [
            (None, Authorized, Source::Cgi),
            (Some(Authorized), Settling, Source::Cgi),
            (Some(Settling), Completed, Source::Settle),
        ]
    );
    let events = store.poll_outbox(0, 10).await.expect("outbox");
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].source, Source::Settle);
    assert_eq!(events[2].sendid, Some(sid("sid-Q-2")));
}

pub(crate) async fn r_tr_1_operation_the_model_refuses_records_nothing(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("V-1", Authorized, 1000, T0))
        .await
        .expect("03");
    // A withdrawal (R-SL-6) planned from 03: no such step in the table.
    let bad = OperationReport::new(
        Operation::Settle(SettlePlan::Withdraw),
        Authorized,
        Outcome::Success { date: None },
        at(T1),
    );
    let e = store
        .record_operation(&ono("V-1"), bad)
        .await
        .expect_err("refused");
    assert!(
        matches!(e, StoreError::InvalidOperation { ref order_no, .. } if *order_no == ono("V-1")),
        "{e:?}"
    );
    let o = order(&store, "V-1").await;
    assert_eq!((o.status(), o.history().len()), (Authorized, 1));
}

pub(crate) async fn checkouts_save_find_and_conflict(db: &TestDb) {
    let store = db.store().await;
    assert_eq!(store.find_checkout(&sid("X-1")).await.expect("find"), None);
    let c = store
        .save_checkout(&checkout("X-1", 1500, Carrier::SoftBank, T0))
        .await
        .expect("save");
    assert_eq!(
        (c.money, c.carrier, c.created_at, c.order_no.clone()),
        (yen(1500), Carrier::SoftBank, at(T0), None)
    );
    assert_eq!(
        store.find_checkout(&sid("X-1")).await.expect("find"),
        Some(c.clone())
    );
    // Saving the same request again is a no-op.
    assert_eq!(
        store
            .save_checkout(&checkout("X-1", 1500, Carrier::SoftBank, T1))
            .await
            .expect("again"),
        c
    );
    let e = store
        .save_checkout(&checkout("X-1", 9999, Carrier::SoftBank, T1))
        .await
        .expect_err("conflict");
    assert!(
        matches!(
            e,
            StoreError::CheckoutConflict {
                stored_money,
                stored_carrier: Carrier::SoftBank,
                ..
            } if stored_money == yen(1500)
        ),
        "{e:?}"
    );
}

pub(crate) async fn json_matches_interfaces_section_3(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification(
            "J-1",
            Authorized,
            1000,
            "2026-03-01T01:00:00Z",
        ))
        .await
        .expect("03");
    let o = store
        .record(notification("J-1", Completed, 1000, T1))
        .await
        .expect("07")
        .order
        .expect("order");
    let v = serde_json::to_value(&o).expect("json");
    let mut keys: Vec<_> = v.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "carrier",
            "clientip",
            "duplicates",
            "first_seen_at",
            "flagged",
            "history",
            "in_flight",
            "money",
            "needs_reconciliation",
            "notifications",
            "order_no",
            "original_money",
            "payout_eligible",
            "sendid",
            "sendpoint",
            "settle_date",
            "settled_at",
            "stale",
            "status",
            "window_from",
        ]
    );
    assert_eq!(v["order_no"], "J-1");
    assert_eq!(
        v["status"],
        serde_json::json!({"code": "07", "name": "Completed", "label": "決済完了"})
    );
    assert_eq!(v["money"], 1000);
    assert_eq!(v["original_money"], 1000);
    assert_eq!(v["carrier"], "D");
    assert_eq!(v["clientip"], "1234567890");
    assert_eq!(v["payout_eligible"], true);
    assert_eq!(v["sendid"], "sid-J-1");
    assert_eq!(v["sendpoint"], serde_json::Value::Null);
    assert_eq!(v["first_seen_at"], "2026-03-01T10:00:00+09:00");
    assert_eq!(v["settled_at"], "2026-03-01T10:05:00+09:00");
    assert_eq!(v["settle_date"], serde_json::Value::Null);
    assert_eq!(v["needs_reconciliation"], serde_json::Value::Null);
    assert_eq!(v["in_flight"], serde_json::Value::Null);
    assert_eq!(
        [
            &v["notifications"],
            &v["duplicates"],
            &v["stale"],
            &v["flagged"]
        ],
        [
            &serde_json::json!(2),
            &serde_json::json!(0),
            &serde_json::json!(0),
            &serde_json::json!(0)
        ]
    );
    assert_eq!(
        v["history"],
        serde_json::json!([
            {"at": "2026-03-01T10:00:00+09:00", "from": null, "to": "03", "source": "cgi"},
            {"at": "2026-03-01T10:05:00+09:00", "from": "03", "to": "07", "source": "cgi"},
        ])
    );
}

/// The operation lock serializes holders across two stores (two pools) on
/// one database, and does not block CGI recording of the same order.
pub(crate) async fn operation_lock_serializes_two_stores(db: &TestDb) {
    let stores = [db.store().await, db.store().await];
    stores[0]
        .record(notification("LK-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let holders = Arc::new(AtomicUsize::new(0));
    let entered = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = stores[i % 2].clone();
        let holders = Arc::clone(&holders);
        let entered = Arc::clone(&entered);
        tasks.push(tokio::spawn(async move {
            for _ in 0..3 {
                let lock = store
                    .lock_operation(&ono("LK-1"), Duration::from_secs(60))
                    .await
                    .expect("lock");
                assert_eq!(lock.order_no(), &ono("LK-1"));
                let before = holders.fetch_add(1, Ordering::SeqCst);
                assert_eq!(before, 0, "two holders at once");
                entered.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                holders.fetch_sub(1, Ordering::SeqCst);
                lock.release().await.expect("release");
            }
        }));
    }
    for t in tasks {
        t.await.expect("locker");
    }
    assert_eq!(entered.load(Ordering::SeqCst), 24);

    // Held by one store, the order still records CGI calls through the other.
    let lock = stores[0]
        .lock_operation(&ono("LK-1"), Duration::from_secs(60))
        .await
        .expect("lock");
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        stores[1].record(notification("LK-1", Completed, 1000, T1)),
    )
    .await
    .expect("CGI recording is not blocked by the operation lock")
    .expect("07");
    assert_eq!(r.effect.kind(), EffectKind::Advance);
    // Another order's lock is independent.
    let other = tokio::time::timeout(
        Duration::from_secs(10),
        stores[1].lock_operation(&ono("LK-2"), Duration::from_secs(60)),
    )
    .await
    .expect("another order is not blocked")
    .expect("lock LK-2");
    other.release().await.expect("release");
    lock.release().await.expect("release");
}

/// A guard dropped without release frees the lock: the other store takes
/// it at once.
pub(crate) async fn operation_lock_dropped_guard_frees_it(db: &TestDb) {
    let a = db.store().await;
    let b = db.store().await;
    for _ in 0..3 {
        let lock = a
            .lock_operation(&ono("LK-D"), Duration::from_secs(60))
            .await
            .expect("lock");
        drop(lock);
        let start = Instant::now();
        let again = b
            .lock_operation(&ono("LK-D"), Duration::from_secs(60))
            .await
            .expect("lock after drop");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "took {:?}",
            start.elapsed()
        );
        again.release().await.expect("release");
    }
    // The pool is still usable after the dropped guards.
    a.health().await.expect("healthy");
    b.health().await.expect("healthy");
}
