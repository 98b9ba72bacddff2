//! Settle and cancel through the facade: refused locally, sent and
//! recorded, unknown, and serialized across instances.

use std::sync::Arc;

use zeus_carrier_core::Status;
use zeus_carrier_core::secure_link::Outcome;
use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_core::values::OrderNo;
use zeus_carrier_merchant::{OperateError, Recording};

use crate::support::{Db, World, within};

async fn settle_today_is_sent_recorded_and_paid(db: Db, test: &str) {
    let Some(w) = World::start(db, test).await else {
        return;
    };
    let no = w.authorized_order(1000).await;
    let done = w
        .merchant
        .settle(&no, SettleParams::default())
        .await
        .expect("sent");
    assert!(done.outcome.is_success(), "{:?}", done.outcome);
    assert!(matches!(done.recording, Recording::Recorded { ref applied } if applied.len() == 2));
    assert!(!done.needs_reconciliation());
    let order = w.merchant.order(&no).await.expect("read").expect("order");
    assert_eq!(order.record().status(), Status::Completed);
    assert!(order.record().payout_eligible());
    assert_eq!(order.record().in_flight(), None);
    assert_eq!(w.gateway_status(&no), Status::Completed);
    w.finish().await;
}

#[tokio::test]
async fn r_tr_2_settle_today_is_sent_recorded_and_paid_sqlite() {
    within(settle_today_is_sent_recorded_and_paid(
        Db::Sqlite,
        "settle_sqlite",
    ))
    .await;
}

#[tokio::test]
async fn r_tr_2_settle_today_is_sent_recorded_and_paid_postgres() {
    within(settle_today_is_sent_recorded_and_paid(
        Db::Postgres,
        "settle_postgres",
    ))
    .await;
}

#[tokio::test]
async fn r_sl_5_a_refused_settle_is_not_sent() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "refused").await else {
            return;
        };
        let no = w.authorized_order(1000).await;
        let params = SettleParams {
            money: Some(1001),
            ..SettleParams::default()
        };
        let err = w.merchant.settle(&no, params).await.expect_err("refused");
        match err {
            OperateError::NotSent(e) => assert_eq!(e.error_code(), "010010014"),
            other => panic!("{other:?}"),
        }
        // Nothing reached the gateway, nothing is in flight.
        assert_eq!(w.gateway_status(&no), Status::Authorized);
        let order = w.merchant.order(&no).await.expect("read").expect("order");
        assert_eq!(order.record().in_flight(), None);
        assert!(order.record().reconciliation().is_none());
        w.finish().await;
    })
    .await;
}

#[tokio::test]
async fn unknown_order_is_not_found() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "not_found").await else {
            return;
        };
        let err = w
            .merchant
            .cancel(&OrderNo::parse("NOPE1").expect("order number"))
            .await
            .expect_err("not found");
        assert!(matches!(err, OperateError::NotFound(_)), "{err:?}");
        w.finish().await;
    })
    .await;
}

#[tokio::test]
async fn r_rs_3_gateway_gone_is_unknown_marked_and_never_failed() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "unknown").await else {
            return;
        };
        let no = w.authorized_order(1000).await;
        // The gateway stops answering: the client cannot connect.
        let merchant = w.merchant.clone();
        let store = w.store.clone();
        w.sandbox.shutdown().await.expect("stop sandbox");
        let done = merchant.cancel(&no).await.expect("sent (attempted)");
        assert!(
            matches!(done.outcome, Outcome::Unknown { .. }),
            "{:?}",
            done.outcome
        );
        assert!(done.needs_reconciliation());
        let order = store.get_order(&no).await.expect("read").expect("order");
        assert_eq!(
            order.record().status(),
            Status::Authorized,
            "unknown moves nothing"
        );
        assert!(order.record().reconciliation().is_some());
        assert_eq!(order.record().in_flight(), None);
        store.close().await;
    })
    .await;
}

async fn two_instances_never_both_send(db: Db, test: &str) {
    let Some(w) = World::start(db, test).await else {
        return;
    };
    let no = Arc::new(w.authorized_order(1000).await);
    let second = w.second_instance().await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let m = if i % 2 == 0 {
            w.merchant.clone()
        } else {
            second.clone()
        };
        let no = Arc::clone(&no);
        tasks.push(tokio::spawn(async move { m.cancel(&no).await }));
    }
    let mut sent = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(done) => {
                assert!(
                    done.outcome.is_success(),
                    "a sent cancel succeeds: {:?}",
                    done.outcome
                );
                sent += 1;
            }
            Err(OperateError::NotSent(e)) => {
                // The record already says 10: the pre-check refuses (R-TR-1)
                // with the cancel family's 010010107.
                assert_eq!(e.error_code(), "010010107");
                refused += 1;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!((sent, refused), (1, 5));
    assert_eq!(w.gateway_status(&no), Status::AuthorizationCancelled);
    second.store().close().await;
    w.finish().await;
}

#[tokio::test]
async fn two_instances_on_one_sqlite_file_never_both_send() {
    within(two_instances_never_both_send(Db::Sqlite, "two_sqlite")).await;
}

#[tokio::test]
async fn two_instances_on_one_postgres_database_never_both_send() {
    within(two_instances_never_both_send(Db::Postgres, "two_postgres")).await;
}
