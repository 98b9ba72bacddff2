//! The behavioural cases, each run on every backend (see `main.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use zeus_carrier_core::cancel::CancelPlan;
use zeus_carrier_core::error_code::lookup;
use zeus_carrier_core::merchant::{
    Checkout, Deadline, DutyReason, EffectKind, Flag, FlagKind, InFlight, MerchantRecord,
    NoticeEffect, Operation, OperationKind, OperationReport, ReconcileReason, Step,
    on_notification, on_operation,
};
use zeus_carrier_core::secure_link::{Outcome, UnknownReason};
use zeus_carrier_core::settle::SettlePlan;
use zeus_carrier_core::{Carrier, Status};
use zeus_carrier_store::{DeadlineCursor, DeadlineKind, MerchantOrder, Source, Store, StoreError};

use crate::harness::{POLICY, RecordCall as _, TestDb, at, notification, ono, sid, yen};

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

/// What `record_notification` returns is what was stored: the record
/// read back equals the returned one, and the notification row holds every
/// parameter of the call, its raw query, the effect and the status before.
pub(crate) async fn notification_and_record_read_back_as_recorded(db: &TestDb) {
    let store = db.store().await;
    assert_eq!(store.get_order(&ono("A-1")).await.expect("get"), None);
    let mut call = notification("A-1", Authorized, 1000, T0);
    call.notice.sendpoint = Some("point 7".to_owned());
    let r = store.record(call.clone()).await.expect("record");
    let o = r.order.clone().expect("created order");
    assert_eq!(
        store.get_order(&ono("A-1")).await.expect("get"),
        Some(o.clone())
    );
    assert_eq!(o.history().len(), 1);
    let stored = store
        .notifications(&ono("A-1"))
        .await
        .expect("notifications");
    assert_eq!(stored.len(), 1);
    let n = &stored[0];
    assert_eq!(n.id, r.notification_id);
    assert_eq!(n.effect, r.effect.kind());
    assert_eq!(n.reported, Authorized);
    assert_eq!(n.status_before, None);
    assert_eq!(n.integrity_flag, None);
    assert_eq!(n.raw_query, call.raw);
    assert_eq!(n.money, call.notice.money);
    assert_eq!(n.carrier, call.notice.carrier);
    assert_eq!(n.clientip, call.notice.clientip);
    assert_eq!(n.sendid, call.notice.sendid);
    assert_eq!(n.sendpoint, call.notice.sendpoint);
    assert_eq!(n.error_code, call.notice.error_code);
    assert_eq!(n.received_at, call.notice.received_at);
}

/// The store persists the model's decisions, whatever they are: a
/// sequence of calls (creates, duplicates, advances, late and stale
/// calls, several orders interleaved) recorded one by one gives exactly
/// what the core's `on_notification` gives when folded over the same
/// calls in memory — effects, records, history, notification rows and
/// outbox events. Which effect each call has is the core's rule and
/// is tested there.
pub(crate) async fn recorded_decisions_equal_the_models_fold(db: &TestDb) {
    let store = db.store().await;
    let calls = [
        ("S-1", Authorized, T0),
        ("S-2", Completed, T1),
        ("S-1", Authorized, T0),
        ("S-1", Completed, T1),
        ("S-1", Authorized, T2),
        ("S-2", Authorized, T2),
        ("S-2", Authorized, T3),
        ("S-1", Settling, T3),
        ("S-1", Cancelled, T3),
    ];
    let mut model: HashMap<String, MerchantRecord> = HashMap::new();
    let mut steps: HashMap<String, Vec<Step>> = HashMap::new();
    let mut rows: HashMap<String, Vec<(Status, Option<Status>, EffectKind)>> = HashMap::new();
    for (no, status, t) in calls {
        let call = notification(no, status, 1000, t);
        let expected = on_notification(model.get(no), None, &call.notice, POLICY);
        let r = store.record(call).await.expect("record");
        assert_eq!(r.effect, expected.effect, "{no} {status:?}");
        assert_eq!(
            r.order.as_ref().map(|o| o.record().clone()),
            expected.record,
            "{no} {status:?}"
        );
        rows.entry(no.to_owned()).or_default().push((
            status,
            model.get(no).map(MerchantRecord::status),
            expected.effect.kind(),
        ));
        if let Some(step) = expected.step {
            steps.entry(no.to_owned()).or_default().push(step);
        }
        if let Some(rec) = expected.record {
            model.insert(no.to_owned(), rec);
        }
    }
    let mut events = Vec::new();
    for (no, rec) in &model {
        let o = order(&store, no).await;
        assert_eq!(o.record(), rec, "{no}");
        let want: Vec<_> = steps[no]
            .iter()
            .map(|s| (s.at, s.from, s.to, Source::Cgi))
            .collect();
        let got: Vec<_> = o
            .history()
            .iter()
            .map(|h| (h.at, h.from, h.to, h.source))
            .collect();
        assert_eq!(got, want, "{no}");
        let stored: Vec<_> = store
            .notifications(&ono(no))
            .await
            .expect("n")
            .into_iter()
            .map(|n| (n.reported, n.status_before, n.effect))
            .collect();
        assert_eq!(stored, rows[no], "{no}");
        events.extend(
            steps[no]
                .iter()
                .map(|s| (no.clone(), s.from, s.to, Source::Cgi)),
        );
    }
    let key = |e: &(String, Option<Status>, Status, Source)| {
        (e.0.clone(), e.1.map(Status::code), e.2.code(), e.3.as_str())
    };
    let mut got = outbox(&store).await;
    got.sort_by_key(key);
    events.sort_by_key(key);
    assert_eq!(got, events);
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
    assert_eq!(
        o.needs_reconciliation(),
        Some(&ReconcileReason::Flagged(FlagKind::MoneyMismatch))
    );
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
    // A second flagged call: still one deadline.
    store
        .record(notification("G-2", Completed, 900, T1))
        .await
        .expect("flagged again");
    let list = store.list_deadlines(at(T1), 1).await.expect("deadlines");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].order_no, ono("G-2"));
    assert_eq!(list[0].status, None);
    assert_eq!(list[0].kind, DeadlineKind::Reconciliation);
    assert_eq!(list[0], Deadline::unrecorded(ono("G-2")));
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

pub(crate) async fn concurrent_identical_deliveries_are_recorded_once(db: &TestDb) {
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

pub(crate) async fn concurrent_deliveries_through_two_stores_are_recorded_once(db: &TestDb) {
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
    // And the order's amount after the step.
    assert!(
        events.iter().all(|e| e.money == Some(yen(1000))),
        "{events:?}"
    );

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

/// What `list_deadlines` answers is each stored record's own
/// `deadlines` (the core decides them), sorted: the window columns select
/// exactly the records with something to list, at every `now` and range.
pub(crate) async fn deadlines_are_the_stored_records_own(db: &TestDb) {
    let store = db.store().await;
    store
        .save_checkout(&checkout(
            "sid-W-1",
            1000,
            Carrier::Docomo,
            "2026-03-01T23:58:00+09:00",
        ))
        .await
        .expect("checkout");
    let calls = [
        ("L-AUTH", Authorized, T0),
        ("L-DONE", Completed, T2),
        ("L-FAIL", Status::PaymentFailed, T0),
        ("W-1", Authorized, "2026-03-02T00:03:00+09:00"),
        ("L-LATE", Authorized, "2026-03-20T12:00:00+09:00"),
    ];
    let mut records = Vec::new();
    for (no, status, t) in calls {
        let mut call = notification(no, status, 1000, t);
        if no == "W-1" {
            call.notice.sendid = Some(sid("sid-W-1"));
        }
        let r = store.record(call).await.expect("record");
        records.push(r.order.expect("order").into_record());
    }
    let marked = store
        .mark_reconciliation(
            &ono("L-DONE"),
            ReconcileReason::NotRecorded(OperationKind::Cancel),
        )
        .await
        .expect("mark")
        .into_record();
    records[1] = marked;
    for (now, days) in [
        ("2026-03-05T00:00:00+09:00", 7),
        ("2026-04-15T00:00:00+09:00", 7),
        ("2026-04-19T00:00:00+09:00", 3),
        ("2026-04-20T12:00:00+09:00", 0),
        ("2026-04-20T12:00:00+09:00", 1),
        ("2026-05-01T00:00:00+09:00", 60),
        ("2026-02-01T00:00:00+09:00", 365),
    ] {
        let now = at(now);
        let until = now + chrono::TimeDelta::days(days);
        let mut want: Vec<_> = records
            .iter()
            .flat_map(|r| r.deadlines(now, until))
            .collect();
        Deadline::sort(&mut want);
        let got = store
            .list_deadlines(now, u32::try_from(days).expect("days"))
            .await
            .expect("deadlines");
        assert_eq!(got, want, "now {now}, {days} days");
    }
    // The windows are the record's own (here counted from the call's
    // receipt, not from the checkout): a sanity check that the fixture
    // lists something.
    let list = store
        .list_deadlines(at("2026-04-19T00:00:00+09:00"), 3)
        .await
        .expect("deadlines");
    assert!(
        list.iter()
            .any(|d| d.order_no == ono("W-1") && d.kind == DeadlineKind::Settle),
        "{list:?}"
    );
}

/// Every kind of reconciliation reason is stored and read back equal,
/// listed as the order's duty until cleared; marking an unknown order is
/// refused and writes nothing.
pub(crate) async fn reconciliation_mark_round_trips(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("K-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let e = store
        .mark_reconciliation(&ono("K-unknown"), ReconcileReason::NeverApplied)
        .await
        .expect_err("unknown order");
    assert!(
        matches!(e, StoreError::OrderNotFound { ref order_no } if order_no.as_str() == "K-unknown"),
        "{e:?}"
    );
    assert_eq!(store.get_order(&ono("K-unknown")).await.expect("get"), None);
    let reasons = [
        ReconcileReason::OutcomeUnknown(OperationKind::Settle),
        ReconcileReason::ReconcileFirstCode(OperationKind::Cancel, lookup("010100036")),
        ReconcileReason::ReconcileFirstCode(OperationKind::Settle, lookup("999999999")),
        ReconcileReason::NotRecorded(OperationKind::Settle),
        ReconcileReason::Flagged(FlagKind::CarrierMismatch),
        ReconcileReason::NeverApplied,
    ];
    for reason in reasons {
        store
            .clear_reconciliation(&ono("K-1"))
            .await
            .expect("clear");
        let returned = store
            .mark_reconciliation(&ono("K-1"), reason.clone())
            .await
            .expect("mark");
        let o = order(&store, "K-1").await;
        assert_eq!(o, returned);
        assert_eq!(o.needs_reconciliation(), Some(&reason));
        assert_eq!(o.status(), Authorized);
        let list = store.list_deadlines(at(T1), 1).await.expect("deadlines");
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0].kind, DeadlineKind::Reconciliation);
        assert_eq!(list[0].reason, Some(DutyReason::Reconcile(reason)));
    }
    store
        .clear_reconciliation(&ono("K-1"))
        .await
        .expect("clear");
    assert_eq!(order(&store, "K-1").await.needs_reconciliation(), None);
    assert!(store.list_deadlines(at(T1), 1).await.expect("d").is_empty());
}

/// An in-flight mark is durable as given (operation, amount, time) and
/// listed until an outcome is recorded, which stores the model's answer.
pub(crate) async fn in_flight_mark_round_trips_until_the_outcome(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("I-1", Authorized, 1000, T0))
        .await
        .expect("03");
    for mark in [
        InFlight::new(OperationKind::Cancel, None, at(T1)),
        InFlight::new(
            OperationKind::Settle,
            Some(yen(800)),
            at("2026-03-01T01:05:00.123Z"),
        ),
    ] {
        let o = store
            .begin_operation(&ono("I-1"), mark)
            .await
            .expect("begin");
        assert_eq!(o.in_flight(), Some(&mark));
        assert_eq!(order(&store, "I-1").await, o);
        let list = store.list_deadlines(at(T1), 0).await.expect("deadlines");
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0].reason, Some(DutyReason::InFlight(mark)));
    }
    let before = order(&store, "I-1").await.into_record();
    let unknown = OperationReport::new(
        Operation::Settle(SettlePlan::Today {
            date: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
            money: 800,
        }),
        Authorized,
        Outcome::Unknown {
            reason: UnknownReason::Transport("timeout after 30 s".to_owned()),
        },
        at(T1),
    );
    let expected = on_operation(&before, &unknown).expect("model");
    let r = store
        .record_operation(&ono("I-1"), unknown)
        .await
        .expect("unknown outcome");
    assert_eq!(r.order.record(), &expected.record);
    assert_eq!(r.reconcile, expected.reconcile);
    assert_eq!(order(&store, "I-1").await, r.order);
    let e = store
        .begin_operation(
            &ono("I-unknown"),
            InFlight::new(OperationKind::Cancel, None, at(T1)),
        )
        .await
        .expect_err("unknown order");
    assert!(matches!(e, StoreError::OrderNotFound { .. }), "{e:?}");
}

/// `record_operation` persists exactly `on_operation`'s decision —
/// record, steps (history with the operation as source, one outbox event
/// each, with the amount after it) — whatever the CGI calls recorded
/// before (nothing overtaken, part of it overtaken, all of it).
pub(crate) async fn operations_persist_the_models_decision(db: &TestDb) {
    let store = db.store().await;
    type Calls = &'static [(Status, &'static str)];
    let scenarios: [(&str, Calls, OperationReport); 3] = [
        (
            "P-1",
            &[(Authorized, T0)],
            settle_today(Authorized, 800, T2),
        ),
        (
            "P-2",
            &[(Authorized, T0), (Settling, T2)],
            settle_today(Authorized, 1000, T2),
        ),
        (
            "P-3",
            &[(Authorized, T0), (Completed, T2)],
            settle_today(Authorized, 1000, "2026-03-02T09:00:01+09:00"),
        ),
    ];
    for (no, calls, report) in scenarios {
        for (status, t) in calls {
            store
                .record(notification(no, *status, 1000, t))
                .await
                .expect("call");
        }
        let before = order(&store, no).await;
        let events_before = store.poll_outbox(0, 10_000).await.expect("outbox").len();
        let source = Source::from_name(report.operation.name()).expect("source");
        let expected = on_operation(before.record(), &report).expect("model");
        let r = store
            .record_operation(&ono(no), report)
            .await
            .expect("operation");
        let applied: Vec<_> = r
            .applied
            .iter()
            .map(|h| (h.at, h.from, h.to, h.source))
            .collect();
        let want: Vec<_> = expected
            .steps
            .iter()
            .map(|s| (s.at, s.from, s.to, source))
            .collect();
        assert_eq!(applied, want, "{no}");
        assert_eq!(r.order.record(), &expected.record, "{no}");
        assert_eq!(r.reconcile, expected.reconcile, "{no}");
        let mut history = before.history().to_vec();
        history.extend(r.applied.iter().cloned());
        assert_eq!(r.order.history(), history.as_slice(), "{no}");
        assert_eq!(order(&store, no).await, r.order, "{no}");
        let events = store.poll_outbox(0, 10_000).await.expect("outbox");
        let new: Vec<_> = events[events_before..]
            .iter()
            .map(|e| (e.at, e.from, e.to, e.source, e.sendid.clone(), e.money))
            .collect();
        let want: Vec<_> = expected
            .steps
            .iter()
            .map(|s| {
                (
                    s.at,
                    s.from,
                    s.to,
                    source,
                    expected.record.sendid().cloned(),
                    expected.record.money(),
                )
            })
            .collect();
        assert_eq!(new, want, "{no}");
    }
}

/// A report the model refuses writes nothing.
pub(crate) async fn refused_operation_records_nothing(db: &TestDb) {
    let store = db.store().await;
    store
        .record(notification("V-1", Authorized, 1000, T0))
        .await
        .expect("03");
    let before = order(&store, "V-1").await;
    // A withdrawal (R-SL-6) planned from 03: the model refuses it.
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
    assert_eq!(order(&store, "V-1").await, before);
    assert_eq!(store.poll_outbox(0, 100).await.expect("outbox").len(), 1);
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

/// Pages of every size, each cursor passed back as text, concatenate to
/// the whole list in its order: duties (marks, operations in flight,
/// orders known only from flagged calls, interleaved by order number)
/// first, then windows by closing time — several orders closing at the
/// same instant included.
pub(crate) async fn deadline_pages_concatenate_to_the_whole_list(db: &TestDb) {
    let store = db.store().await;
    for i in 0..12 {
        let no = format!("PG-{i:02}");
        // Three acceptance times: four orders close each window together.
        let t = [T0, T1, T2][i % 3];
        let status = if i % 4 == 3 { Completed } else { Authorized };
        store
            .record(notification(&no, status, 1000, t))
            .await
            .expect("record");
        if i % 5 == 1 {
            store
                .mark_reconciliation(
                    &ono(&no),
                    ReconcileReason::OutcomeUnknown(OperationKind::Settle),
                )
                .await
                .expect("mark");
        }
        if i % 3 == 1 {
            store
                .begin_operation(
                    &ono(&no),
                    InFlight::new(OperationKind::Cancel, None, at(T3)),
                )
                .await
                .expect("in flight");
        }
    }
    // Authorized at 23:55: the settle window (date + 50, 23:55) and the
    // cancel window (+ 50 × 24 h) close at the same instant.
    for no in ["PG-T0", "PG-T1", "PG-T2"] {
        store
            .record(notification(
                no,
                Authorized,
                1000,
                "2026-03-01T23:55:00+09:00",
            ))
            .await
            .expect("record");
    }
    // Orders known only from flagged calls (a checkout in another carrier).
    for no in ["PG-00a", "PG-05a", "PG-99"] {
        let sendid = format!("sid-{no}");
        store
            .save_checkout(&checkout(&sendid, 1000, Carrier::Au, T0))
            .await
            .expect("checkout");
        let r = store
            .record(notification(no, Completed, 1000, T1))
            .await
            .expect("flagged");
        assert_eq!(r.effect.kind(), EffectKind::Flagged);
    }
    let now = at("2026-04-01T00:00:00+09:00");
    let whole = store.list_deadlines(now, 60).await.expect("whole list");
    let duties = whole
        .iter()
        .filter(|d| d.kind == DeadlineKind::Reconciliation)
        .count();
    assert!(duties >= 9 && whole.len() > duties + 12, "{whole:?}");
    let tied = whole
        .iter()
        .filter(|d| d.order_no == ono("PG-T1") && d.closes_at.is_some())
        .count();
    assert_eq!(tied, 2, "{whole:?}");
    for limit in [1, 2, 3, 5, 8, 1000] {
        let mut got = Vec::new();
        let mut after: Option<DeadlineCursor> = None;
        let mut pages = 0;
        loop {
            let page = store
                .list_deadlines_page(now, 60, limit, after.as_ref())
                .await
                .expect("page");
            pages += 1;
            assert!(page.items.len() <= limit as usize, "limit {limit}");
            got.extend(page.items);
            match page.next {
                Some(next) => {
                    // Opaque, but text: it goes into a URL and back.
                    let text = next.to_string();
                    assert!(
                        text.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
                        "{text}"
                    );
                    let parsed: DeadlineCursor = text.parse().expect("cursor");
                    assert_eq!(parsed, next);
                    after = Some(parsed);
                }
                None => break,
            }
            assert!(pages <= whole.len() + 1, "paging does not end");
        }
        assert_eq!(got, whole, "limit {limit}");
        assert_eq!(
            pages,
            whole.len().div_ceil(limit as usize).max(1),
            "limit {limit}"
        );
    }
    // A limit of 0 still lists one; a forged cursor is refused.
    let one = store
        .list_deadlines_page(now, 60, 0, None)
        .await
        .expect("page");
    assert_eq!(one.items.len(), 1);
    assert!("x.1.PG-00".parse::<DeadlineCursor>().is_err());
    assert!("w.1.7.PG-00".parse::<DeadlineCursor>().is_err());
}
