//! The outbox consumer: at-least-once, with sendid, per-order order kept
//! when a handler fails.

use std::sync::{Arc, Mutex};

use zeus_carrier_core::Status;
use zeus_carrier_core::settle::SettleParams;

use crate::support::{Db, World, within};

#[tokio::test]
async fn outbox_offers_every_transition_with_its_sendid_until_acknowledged() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "outbox").await else {
            return;
        };
        let no = w.authorized_order(1000).await;
        w.merchant
            .settle(&no, SettleParams::default())
            .await
            .expect("settled");
        let outbox = w.merchant.outbox();
        // A handler that fails: nothing is acknowledged.
        let r = outbox
            .drain(|_| async { Err::<(), _>("down") })
            .await
            .expect("round");
        assert_eq!((r.handled, r.deferred), (0, 3));
        // Handled: created 03, 03 → 05, 05 → 07, in order, each with sendid.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        let r = outbox
            .drain(move |e| {
                let s = Arc::clone(&s);
                async move {
                    s.lock()
                        .expect("lock")
                        .push((e.from, e.to, e.sendid.is_some()));
                    Ok::<(), String>(())
                }
            })
            .await
            .expect("round");
        assert_eq!(r.handled, 3);
        let got = seen.lock().expect("lock").clone();
        assert_eq!(
            got,
            [
                (None, Status::Authorized, true),
                (Some(Status::Authorized), Status::Settling, true),
                (Some(Status::Settling), Status::Completed, true)
            ]
        );
        assert!(outbox.poll().await.expect("poll").is_empty());
        w.finish().await;
    })
    .await;
}

#[tokio::test]
async fn a_failed_event_holds_back_the_later_events_of_its_order() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "outbox_order").await else {
            return;
        };
        let no = w.authorized_order(1000).await;
        w.merchant
            .settle(&no, SettleParams::default())
            .await
            .expect("settled");
        let outbox = w.merchant.outbox();
        // Fail the second event: the third must not be handled before it.
        let calls = Arc::new(Mutex::new(0));
        let c = Arc::clone(&calls);
        let r = outbox
            .drain(move |_| {
                let c = Arc::clone(&c);
                async move {
                    let mut n = c.lock().expect("lock");
                    *n += 1;
                    if *n == 2 { Err("later") } else { Ok(()) }
                }
            })
            .await
            .expect("round");
        assert_eq!((r.handled, r.deferred), (1, 2));
        assert_eq!(*calls.lock().expect("lock"), 2);
        assert_eq!(outbox.poll().await.expect("poll").len(), 2);
        w.finish().await;
    })
    .await;
}

/// Issue 16 item 5: outbox events carry the order's amount when the
/// transition was recorded and whether the gateway pays for the status it
/// reached, so the shop's own table needs no read per event: after a
/// partial settle (1000 → 800 yen, R-SL-5) the last event says 800 and
/// payout-eligible.
#[tokio::test]
async fn issue_16_outbox_events_carry_money_after_a_partial_settle() {
    within(async {
        let Some(w) = World::start(Db::Sqlite, "outbox_money").await else {
            return;
        };
        let no = w.authorized_order(1000).await;
        w.merchant
            .settle(
                &no,
                SettleParams {
                    money: Some(800),
                    ..SettleParams::default()
                },
            )
            .await
            .expect("settled");
        let events = w.merchant.outbox().poll().await.expect("poll");
        let got: Vec<(Option<Status>, Status, Option<u32>, bool)> = events
            .iter()
            .filter(|e| e.order_no == no)
            .map(|e| (e.from, e.to, e.money.map(|m| m.yen()), e.payout_eligible()))
            .collect();
        assert_eq!(
            got,
            [
                (None, Status::Authorized, Some(1000), false),
                (Some(Status::Authorized), Status::Settling, Some(800), false),
                (Some(Status::Settling), Status::Completed, Some(800), true),
            ]
        );
        // The shop's own table, fed by the events alone.
        let mut table = std::collections::HashMap::new();
        for e in &events {
            table.insert(
                e.order_no.clone(),
                (e.money.map(|m| m.yen()), e.payout_eligible()),
            );
        }
        assert_eq!(table.get(&no), Some(&(Some(800), true)));
        w.finish().await;
    })
    .await;
}
