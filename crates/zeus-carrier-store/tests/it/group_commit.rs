//! SQLite group commit (`src/group_commit.rs`): concurrent notifications
//! share transactions, and each transition is still recorded once, in
//! order per order; one that fails inside a batch fails alone.

use std::collections::HashMap;

use sqlx::Connection as _;
use zeus_carrier_core::Status;
use zeus_carrier_core::merchant::EffectKind;
use zeus_carrier_store::Store;

use crate::harness::{RecordCall as _, TestDb, notification, ono};

const T0: &str = "2026-03-01T10:00:00+09:00";
const T1: &str = "2026-03-01T10:05:00+09:00";

/// Sends every `(order_no, status, at)` at once, each on its own task;
/// returns the effect kinds (or error messages) per order number.
async fn storm(
    store: &Store,
    calls: Vec<(String, Status, &'static str)>,
) -> HashMap<String, Vec<Result<EffectKind, String>>> {
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|(order_no, status, at)| {
            let store = store.clone();
            tokio::spawn(async move {
                let r = store
                    .record(notification(&order_no, status, 1000, at))
                    .await;
                (
                    order_no,
                    r.map(|r| r.effect.kind()).map_err(|e| e.to_string()),
                )
            })
        })
        .collect();
    let mut out: HashMap<String, Vec<_>> = HashMap::new();
    for t in tasks {
        let (order_no, r) = t.await.expect("task");
        out.entry(order_no).or_default().push(r);
    }
    out
}

fn count(results: &[Result<EffectKind, String>], kind: EffectKind) -> usize {
    results.iter().filter(|r| r.as_ref() == Ok(&kind)).count()
}

/// Under group commit: 40 orders × 5 concurrent deliveries of 03,
/// then 40 × 4 of 05: each order is created once and advanced once; every
/// delivery is stored; one outbox event per transition.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_records_each_transition_once() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let orders: Vec<String> = (0..40).map(|i| format!("GC-{i:03}")).collect();
    let first: Vec<_> = orders
        .iter()
        .flat_map(|o| (0..5).map(move |_| (o.clone(), Status::Authorized, T0)))
        .collect();
    let results = storm(&store, first).await;
    for (order_no, r) in &results {
        assert_eq!(count(r, EffectKind::Create), 1, "{order_no}: {r:?}");
        assert_eq!(count(r, EffectKind::Duplicate), 4, "{order_no}: {r:?}");
    }
    let second: Vec<_> = orders
        .iter()
        .flat_map(|o| (0..4).map(move |_| (o.clone(), Status::Completed, T1)))
        .collect();
    let results = storm(&store, second).await;
    for (order_no, r) in &results {
        assert_eq!(count(r, EffectKind::Advance), 1, "{order_no}: {r:?}");
        assert_eq!(count(r, EffectKind::Duplicate), 3, "{order_no}: {r:?}");
    }
    for order_no in &orders {
        let o = store
            .get_order(&ono(order_no))
            .await
            .expect("get")
            .expect("recorded");
        assert_eq!(o.status(), Status::Completed, "{order_no}");
        let c = o.counters();
        assert_eq!((c.notifications, c.duplicates), (2, 7), "{order_no}");
        assert_eq!(o.history().len(), 2, "{order_no}");
        let stored = store
            .notifications(&ono(order_no))
            .await
            .expect("notifications");
        assert_eq!(stored.len(), 9, "{order_no}");
    }
    let events = store.poll_outbox(0, 10_000).await.expect("outbox");
    assert_eq!(events.len(), 80);
}

/// A notification that fails inside a batch (here a trigger refuses its
/// insert) gets its own error; the others of the batch are recorded, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_failing_inside_a_batch_fails_alone() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let mut conn = sqlx::SqliteConnection::connect(&db.url)
        .await
        .expect("open");
    sqlx::query(
        "CREATE TRIGGER refuse_bad BEFORE INSERT ON notifications \
         WHEN NEW.order_no LIKE 'BAD-%' BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
    )
    .execute(&mut conn)
    .await
    .expect("trigger");
    conn.close().await.expect("close");
    let calls: Vec<_> = (0..60)
        .map(|i| {
            let prefix = if i % 6 == 0 { "BAD" } else { "OK" };
            (format!("{prefix}-{i:03}"), Status::Authorized, T0)
        })
        .collect();
    let results = storm(&store, calls).await;
    for (order_no, r) in &results {
        if order_no.starts_with("BAD") {
            assert!(
                matches!(&r[..], [Err(e)] if e.contains("refused by test")),
                "{order_no}: {r:?}"
            );
            assert_eq!(store.get_order(&ono(order_no)).await.expect("get"), None);
            assert!(
                store
                    .notifications(&ono(order_no))
                    .await
                    .expect("n")
                    .is_empty()
            );
        } else {
            assert_eq!(r, &[Ok(EffectKind::Create)], "{order_no}");
            assert_eq!(
                store.notifications(&ono(order_no)).await.expect("n").len(),
                1
            );
        }
    }
    assert_eq!(store.poll_outbox(0, 1000).await.expect("outbox").len(), 50);
}
