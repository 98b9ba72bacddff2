//! The behavioural cases, each run on every backend (see `main.rs`).

use std::collections::HashMap;

use chrono::NaiveDate;
use zeus_carrier_core::notification::NotificationEffect;
use zeus_carrier_core::{Carrier, Status};
use zeus_carrier_store::{
    DeadlineKind, EffectKind, OperationInput, OperationSource, RecordedEffect, SettleDateUpdate,
    Source, Store, StoreError,
};

use crate::harness::{TestDb, at, notification};

use Status::{Authorized, Cancelled, Completed, Settling};

const T0: &str = "2026-03-01T10:00:00+09:00";
const T1: &str = "2026-03-01T10:05:00+09:00";
const T2: &str = "2026-03-02T09:00:00+09:00";
const T3: &str = "2026-03-03T09:00:00+09:00";

async fn transitions(store: &Store, order_no: &str) -> Vec<(Option<Status>, Status, Source)> {
    store
        .get_order(order_no)
        .await
        .expect("get_order")
        .expect("order exists")
        .history
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
        .map(|e| (e.order_no, e.from, e.to, e.source))
        .collect()
}

pub(crate) async fn r_cg_3_first_notification_creates_the_record(db: &TestDb) {
    let store = db.store().await;
    assert_eq!(store.get_order("A-1").await.expect("get"), None);
    let r = store
        .record_notification(notification("A-1", Authorized, 1000, T0))
        .await
        .expect("record");
    assert_eq!(
        r.effect,
        RecordedEffect::Classified(NotificationEffect::Create { status: Authorized })
    );
    let o = r.order.expect("created order");
    assert_eq!(o.status, Authorized);
    assert_eq!(o.money, Some(1000));
    assert_eq!(o.original_money, Some(1000));
    assert_eq!(o.carrier, Some(Carrier::Docomo));
    assert_eq!(o.sendid.as_deref(), Some("sid-A-1"));
    assert_eq!(o.first_seen_at, at(T0));
    assert_eq!((o.notifications, o.duplicates, o.stale), (1, 0, 0));
    assert!(!o.payout_eligible());
    assert_eq!(
        transitions(&store, "A-1").await,
        [(None, Authorized, Source::Cgi)]
    );
    assert_eq!(store.get_order("A-1").await.expect("get"), Some(o));
    let stored = store.notifications("A-1").await.expect("notifications");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].effect, EffectKind::Create);
    assert_eq!(stored[0].raw_query, b"order_no=A-1&status=03&money=1000");
    assert_eq!(stored[0].id, r.notification_id);
}

pub(crate) async fn r_cg_3_duplicate_changes_nothing_but_is_counted(db: &TestDb) {
    let store = db.store().await;
    let first = store
        .record_notification(notification("D-1", Authorized, 1000, T0))
        .await
        .expect("first");
    let before = first.order.expect("order");
    let r = store
        .record_notification(notification("D-1", Authorized, 1000, T1))
        .await
        .expect("duplicate");
    assert_eq!(
        r.effect,
        RecordedEffect::Classified(NotificationEffect::Duplicate { status: Authorized })
    );
    let after = r.order.expect("order");
    assert_eq!(after.duplicates, 1);
    assert_eq!(after.notifications, 1);
    // Nothing else changed.
    assert_eq!(
        crate::cases::without_counters(after),
        crate::cases::without_counters(before)
    );
    assert_eq!(store.notifications("D-1").await.expect("n").len(), 2);
    assert_eq!(outbox(&store).await.len(), 1);
}

/// The record with its counters zeroed, to compare everything else.
pub(crate) fn without_counters(
    mut o: zeus_carrier_store::MerchantOrder,
) -> zeus_carrier_store::MerchantOrder {
    o.notifications = 0;
    o.duplicates = 0;
    o.stale = 0;
    o.flagged = 0;
    o
}

pub(crate) async fn r_cg_4_forward_notification_advances(db: &TestDb) {
    let store = db.store().await;
    store
        .record_notification(notification("F-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let r = store
        .record_notification(notification("F-1", Completed, 900, T2))
        .await
        .expect("07");
    assert_eq!(
        r.effect,
        RecordedEffect::Classified(NotificationEffect::Advance {
            from: Authorized,
            to: Completed
        })
    );
    let o = r.order.expect("order");
    assert_eq!(o.status, Completed);
    assert!(o.payout_eligible());
    assert_eq!(o.money, Some(900));
    assert_eq!(o.original_money, Some(1000));
    assert_eq!(o.settled_at, Some(at(T2)));
    assert_eq!(o.notifications, 2);
    assert_eq!(
        transitions(&store, "F-1").await,
        [
            (None, Authorized, Source::Cgi),
            (Some(Authorized), Completed, Source::Cgi)
        ]
    );
    assert_eq!(o.history[1].at, at(T2));
}

pub(crate) async fn r_cg_4_stale_late_call_is_recorded_and_order_unchanged(db: &TestDb) {
    let store = db.store().await;
    store
        .record_notification(notification("S-1", Authorized, 1000, T0))
        .await
        .expect("03");
    store
        .record_notification(notification("S-1", Completed, 1000, T1))
        .await
        .expect("07");
    // A manual resend of the 03 call, after the 07 (R-CG-4).
    let r = store
        .record_notification(notification("S-1", Authorized, 1000, T2))
        .await
        .expect("late 03");
    assert_eq!(
        r.effect,
        RecordedEffect::Classified(NotificationEffect::Stale {
            current: Completed,
            reported: Authorized
        })
    );
    let o = r.order.expect("order");
    assert_eq!(o.status, Completed);
    assert_eq!((o.notifications, o.duplicates, o.stale), (2, 0, 1));
    assert_eq!(o.history.len(), 2);
    let stored = store.notifications("S-1").await.expect("n");
    assert_eq!(
        stored.iter().map(|n| n.effect).collect::<Vec<_>>(),
        [EffectKind::Create, EffectKind::Advance, EffectKind::Stale]
    );
    assert_eq!(stored[2].status_before, Some(Completed));
    assert_eq!(outbox(&store).await.len(), 2);
}

pub(crate) async fn flagged_notification_is_stored_but_not_applied(db: &TestDb) {
    let store = db.store().await;
    store
        .record_notification(notification("G-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let mut n = notification("G-1", Completed, 900, T1);
    n.integrity_flag = Some("money mismatch: expected 1000 got 900".to_owned());
    let r = store.record_notification(n).await.expect("flagged");
    assert_eq!(
        r.effect,
        RecordedEffect::Flagged {
            reason: "money mismatch: expected 1000 got 900".to_owned(),
            current: Some(Authorized),
            reported: Completed,
        }
    );
    let o = r.order.expect("order");
    assert_eq!(o.status, Authorized);
    assert_eq!(o.money, Some(1000));
    assert_eq!(
        (o.notifications, o.duplicates, o.stale, o.flagged),
        (1, 0, 0, 1)
    );
    assert_eq!(o.history.len(), 1);
    let reason = o.needs_reconciliation.expect("marked for reconciliation");
    assert!(reason.contains("money mismatch"), "{reason}");
    let stored = store.notifications("G-1").await.expect("n");
    assert_eq!(stored[1].effect, EffectKind::Flagged);
    assert_eq!(
        stored[1].integrity_flag.as_deref(),
        Some("money mismatch: expected 1000 got 900")
    );
    assert_eq!(outbox(&store).await.len(), 1, "no event for a flagged call");
}

pub(crate) async fn flagged_notification_for_an_unknown_order_creates_nothing(db: &TestDb) {
    let store = db.store().await;
    let mut n = notification("G-2", Completed, 900, T0);
    n.integrity_flag = Some("clientip is not ours".to_owned());
    let r = store.record_notification(n).await.expect("flagged");
    assert_eq!(r.effect.kind(), EffectKind::Flagged);
    assert_eq!(r.order, None);
    assert_eq!(store.get_order("G-2").await.expect("get"), None);
    let stored = store.notifications("G-2").await.expect("n");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].status_before, None);
    assert!(outbox(&store).await.is_empty());
}

/// Sends `count` copies of the same notification at once, spread over
/// `stores` (each its own pool), each on its own task.
async fn concurrent_deliveries(stores: &[Store], order_no: &str, status: Status, count: usize) {
    let mut tasks = Vec::new();
    for i in 0..count {
        let store = stores[i % stores.len()].clone();
        let n = notification(order_no, status, 1000, T0);
        tasks.push(tokio::spawn(
            async move { store.record_notification(n).await },
        ));
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
    let o = store.get_order("C-1").await.expect("get").expect("order");
    assert_eq!(o.status, Completed);
    assert_eq!((o.notifications, o.duplicates), (2, 98));
    assert_eq!(
        transitions(&store, "C-1").await,
        [
            (None, Authorized, Source::Cgi),
            (Some(Authorized), Completed, Source::Cgi)
        ]
    );
    assert_eq!(store.notifications("C-1").await.expect("n").len(), 100);
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
        let o = store.get_order("C-2").await.expect("get").expect("order");
        assert_eq!(
            (o.status, o.notifications, o.duplicates),
            (Completed, 2, 98)
        );
        assert_eq!(o.history.len(), 2);
    }
    assert_eq!(outbox(&stores[0]).await.len(), 2);
}

pub(crate) async fn outbox_gets_each_transition_exactly_once(db: &TestDb) {
    let store = db.store().await;
    for (status, t) in [
        (Authorized, T0),
        (Authorized, T0),
        (Completed, T1),
        (Authorized, T1),
        (Completed, T2),
    ] {
        store
            .record_notification(notification("O-1", status, 1000, t))
            .await
            .expect("record");
    }
    store
        .record_operation(OperationInput {
            order_no: "O-1".to_owned(),
            source: OperationSource::Cancel,
            transitions: vec![(Completed, Cancelled)],
            money: None,
            settle_date: SettleDateUpdate::Keep,
            settled_at: None,
            at: at(T3),
        })
        .await
        .expect("cancel");
    // The CGI call for the cancel arrives too: a duplicate.
    store
        .record_notification(notification("O-1", Cancelled, 1000, T3))
        .await
        .expect("08");
    let o = |from, to, source| ("O-1".to_owned(), from, to, source);
    let expected = vec![
        o(None, Authorized, Source::Cgi),
        o(Some(Authorized), Completed, Source::Cgi),
        o(Some(Completed), Cancelled, Source::Cancel),
    ];
    assert_eq!(outbox(&store).await, expected);

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
        .record_notification(notification("R-1", Authorized, 1000, T0))
        .await
        .expect("03");
    store
        .record_notification(notification("R-1", Completed, 1000, T1))
        .await
        .expect("07");
    store
        .save_checkout("sid-R-1", 1000, Carrier::Au, at(T0))
        .await
        .expect("checkout");
    let before = store.get_order("R-1").await.expect("get").expect("order");
    store.close().await;
    drop(store);

    let reopened = db.store().await;
    reopened.health().await.expect("healthy after reopening");
    assert_eq!(
        reopened.get_order("R-1").await.expect("get"),
        Some(before),
        "the record survives reopening"
    );
    assert_eq!(reopened.notifications("R-1").await.expect("n").len(), 2);
    assert!(
        reopened
            .find_checkout("sid-R-1")
            .await
            .expect("find")
            .is_some()
    );
    assert_eq!(outbox(&reopened).await.len(), 2);
    // And it keeps working: a resend after the restart is a duplicate.
    let r = reopened
        .record_notification(notification("R-1", Completed, 1000, T2))
        .await
        .expect("resend");
    assert_eq!(r.effect.kind(), EffectKind::Duplicate);
}

pub(crate) async fn health_fails_when_the_database_is_gone(db: &TestDb) {
    let store = db.store().await;
    store.health().await.expect("healthy at first");
    store
        .record_notification(notification("H-1", Authorized, 1000, T0))
        .await
        .expect("03");
    db.destroy().await;
    let e = store.health().await.expect_err("the database is gone");
    assert!(e.is_unavailable(), "{e:?}");
    let e = store
        .record_notification(notification("H-1", Completed, 1000, T1))
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
        .record_notification(notification("L-AUTH", Authorized, 1000, T0))
        .await
        .expect("03");
    // Completed (immediate sale) on 2026-03-02 09:00: cancel until
    // 2026-04-21 09:00.
    store
        .record_notification(notification("L-DONE", Completed, 1000, T2))
        .await
        .expect("07");
    // Terminal: no window.
    store
        .record_notification(notification("L-FAIL", Status::PaymentFailed, 1000, T0))
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
        .map(|d| (d.order_no.as_str(), d.kind, d.closes_at))
        .collect();
    assert_eq!(
        got,
        [
            (
                "L-AUTH",
                DeadlineKind::Cancel,
                Some(at("2026-04-20T10:00:00+09:00"))
            ),
            (
                "L-AUTH",
                DeadlineKind::Settle,
                Some(at("2026-04-20T23:55:00+09:00"))
            ),
            (
                "L-DONE",
                DeadlineKind::Cancel,
                Some(at("2026-04-21T09:00:00+09:00"))
            ),
        ]
    );

    // After the cancel window closed, only the settle window is left, and
    // only within the asked range.
    let later = store
        .list_deadlines(at("2026-04-20T12:00:00+09:00"), 0)
        .await
        .expect("deadlines");
    let got: Vec<_> = later
        .iter()
        .map(|d| (d.order_no.as_str(), d.kind))
        .collect();
    assert_eq!(got, [] as [(&str, DeadlineKind); 0]);
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

pub(crate) async fn d7_windows_count_from_the_checkout_when_sendid_matches(db: &TestDb) {
    let store = db.store().await;
    // The merchant rendered the form just before midnight; the CGI call
    // arrived after it. The acceptance lies between: the settle date window
    // counts from the earlier date (D-7), erring early.
    store
        .save_checkout(
            "sid-W-1",
            1000,
            Carrier::Docomo,
            at("2026-03-01T23:58:00+09:00"),
        )
        .await
        .expect("checkout");
    let o = store
        .record_notification(notification(
            "W-1",
            Authorized,
            1000,
            "2026-03-02T00:03:00+09:00",
        ))
        .await
        .expect("03")
        .order
        .expect("order");
    assert_eq!(o.window_from, at("2026-03-01T23:58:00+09:00"));
    assert_eq!(o.first_seen_at, at("2026-03-02T00:03:00+09:00"));
    let list = store
        .list_deadlines(at("2026-04-19T00:00:00+09:00"), 3)
        .await
        .expect("deadlines");
    let settle = list
        .iter()
        .find(|d| d.kind == DeadlineKind::Settle)
        .expect("settle deadline");
    assert_eq!(settle.closes_at, Some(at("2026-04-20T23:55:00+09:00")));
}

pub(crate) async fn r_rs_3_reconciliation_mark_and_clear(db: &TestDb) {
    let store = db.store().await;
    store
        .record_notification(notification("K-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let e = store
        .mark_reconciliation("K-unknown", "settle outcome unknown")
        .await
        .expect_err("unknown order");
    assert!(
        matches!(e, StoreError::OrderNotFound { ref order_no } if order_no == "K-unknown"),
        "{e:?}"
    );
    store
        .mark_reconciliation("K-1", "settle outcome unknown: timeout after 30 s")
        .await
        .expect("mark");
    let o = store.get_order("K-1").await.expect("get").expect("order");
    assert_eq!(
        o.needs_reconciliation.as_deref(),
        Some("settle outcome unknown: timeout after 30 s")
    );
    assert_eq!(o.status, Authorized, "marking does not move the order");
    let list = store.list_deadlines(at(T1), 1).await.expect("deadlines");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].kind, DeadlineKind::Reconciliation);
    assert_eq!(
        list[0].reason.as_deref(),
        Some("settle outcome unknown: timeout after 30 s")
    );
    store.clear_reconciliation("K-1").await.expect("clear");
    let o = store.get_order("K-1").await.expect("get").expect("order");
    assert_eq!(o.needs_reconciliation, None);
    assert!(store.list_deadlines(at(T1), 1).await.expect("d").is_empty());
}

pub(crate) async fn r_tr_2_settle_operation_records_steps_and_fields(db: &TestDb) {
    let store = db.store().await;
    store
        .record_notification(notification("P-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let date = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let r = store
        .record_operation(OperationInput {
            order_no: "P-1".to_owned(),
            source: OperationSource::Settle,
            transitions: vec![(Authorized, Settling), (Settling, Completed)],
            money: Some(800),
            settle_date: SettleDateUpdate::Set(date),
            settled_at: Some(at(T2)),
            at: at(T2),
        })
        .await
        .expect("settle");
    assert_eq!(r.applied.len(), 2);
    let o = r.order;
    assert_eq!(o.status, Completed);
    assert_eq!(o.money, Some(800));
    assert_eq!(o.original_money, Some(1000));
    assert_eq!(o.settle_date, Some(date));
    assert_eq!(o.settled_at, Some(at(T2)));
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
        .record_notification(notification("P-1", Completed, 800, T3))
        .await
        .expect("07");
    assert_eq!(r.effect.kind(), EffectKind::Duplicate);
    assert_eq!(outbox(&store).await.len(), 3);
    // Unknown orders are refused.
    let e = store
        .record_operation(OperationInput {
            order_no: "P-unknown".to_owned(),
            source: OperationSource::Cancel,
            transitions: vec![(Completed, Cancelled)],
            money: None,
            settle_date: SettleDateUpdate::Keep,
            settled_at: None,
            at: at(T3),
        })
        .await
        .expect_err("unknown");
    assert!(matches!(e, StoreError::OrderNotFound { .. }), "{e:?}");
}

pub(crate) async fn r_cg_3_operation_after_the_cgi_call_adds_no_transition(db: &TestDb) {
    let store = db.store().await;
    store
        .record_notification(notification("Q-1", Authorized, 1000, T0))
        .await
        .expect("03");
    // The 07 CGI call overtakes the Secure Link answer.
    store
        .record_notification(notification("Q-1", Completed, 1000, T2))
        .await
        .expect("07");
    let r = store
        .record_operation(OperationInput {
            order_no: "Q-1".to_owned(),
            source: OperationSource::Settle,
            transitions: vec![(Authorized, Settling), (Settling, Completed)],
            money: Some(1000),
            settle_date: SettleDateUpdate::Set(NaiveDate::from_ymd_opt(2026, 3, 2).expect("d")),
            settled_at: Some(at("2026-03-02T08:59:59+09:00")),
            at: at(T2),
        })
        .await
        .expect("settle");
    assert!(r.applied.is_empty(), "{:?}", r.applied);
    assert_eq!(r.order.status, Completed);
    // The fields still agree with the record's status, so they are kept.
    assert_eq!(r.order.settled_at, Some(at("2026-03-02T08:59:59+09:00")));
    assert_eq!(r.order.history.len(), 2);
    assert_eq!(outbox(&store).await.len(), 2);
}

pub(crate) async fn r_tr_1_operation_with_a_step_outside_the_table_is_refused(db: &TestDb) {
    let store = db.store().await;
    store
        .record_notification(notification("V-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let op = |transitions: Vec<(Status, Status)>| OperationInput {
        order_no: "V-1".to_owned(),
        source: OperationSource::Cancel,
        transitions,
        money: None,
        settle_date: SettleDateUpdate::Keep,
        settled_at: None,
        at: at(T1),
    };
    for bad in [
        vec![(Authorized, Cancelled)],
        vec![(Authorized, Settling), (Completed, Cancelled)],
        vec![],
    ] {
        let e = store
            .record_operation(op(bad.clone()))
            .await
            .expect_err("refused");
        assert!(
            matches!(e, StoreError::InvalidOperation { .. }),
            "{bad:?}: {e:?}"
        );
    }
    let o = store.get_order("V-1").await.expect("get").expect("order");
    assert_eq!((o.status, o.history.len()), (Authorized, 1));
}

pub(crate) async fn checkouts_save_find_and_conflict(db: &TestDb) {
    let store = db.store().await;
    assert_eq!(store.find_checkout("X-1").await.expect("find"), None);
    let c = store
        .save_checkout("X-1", 1500, Carrier::SoftBank, at(T0))
        .await
        .expect("save");
    assert_eq!(
        (c.money, c.carrier, c.created_at),
        (1500, Carrier::SoftBank, at(T0))
    );
    assert_eq!(
        store.find_checkout("X-1").await.expect("find"),
        Some(c.clone())
    );
    // Saving the same request again is a no-op.
    assert_eq!(
        store
            .save_checkout("X-1", 1500, Carrier::SoftBank, at(T1))
            .await
            .expect("again"),
        c
    );
    let e = store
        .save_checkout("X-1", 9999, Carrier::SoftBank, at(T1))
        .await
        .expect_err("conflict");
    assert!(
        matches!(
            e,
            StoreError::CheckoutConflict {
                stored_money: 1500,
                ..
            }
        ),
        "{e:?}"
    );
}

pub(crate) async fn json_matches_interfaces_section_3(db: &TestDb) {
    let store = db.store().await;
    store
        .record_notification(notification(
            "J-1",
            Authorized,
            1000,
            "2026-03-01T01:00:00Z",
        ))
        .await
        .expect("03");
    let o = store
        .record_notification(notification("J-1", Completed, 1000, T1))
        .await
        .expect("07")
        .order
        .expect("order");
    let v = serde_json::to_value(&o).expect("json");
    assert_eq!(v["order_no"], "J-1");
    assert_eq!(
        v["status"],
        serde_json::json!({"code": "07", "name": "Completed", "label": "決済完了"})
    );
    assert_eq!(v["money"], 1000);
    assert_eq!(v["carrier"], "D");
    assert_eq!(v["payout_eligible"], true);
    assert_eq!(v["sendid"], "sid-J-1");
    assert_eq!(
        [&v["notifications"], &v["duplicates"], &v["stale"]],
        [
            &serde_json::json!(2),
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
