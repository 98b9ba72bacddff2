//! The end-to-end test a shop copies into its own CI: the sandbox gateway
//! in-process (typed builder, frozen clock), the shop built from one
//! configuration, and the whole lifecycle through the real HTTP faces —
//! the facade renders a checkout, the sandbox submits that page and pays
//! on its test page, the gateway's CGI call reaches the shop's receiver,
//! the shop settles a lower amount and cancels another order, and the
//! shop's own table is fed by the outbox only (no read per event). Exits
//! non-zero when anything disagrees.
//!
//! ```sh
//! cargo run -p zeus-carrier-merchant --example shop_end_to_end
//! ```

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_core::{OrderNo, Status};

mod support;

/// The shop's own table: what it knows of each order, from outbox events.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ShopRow {
    status: Status,
    money: Option<u32>,
    payout_eligible: bool,
}

type Table = Arc<Mutex<BTreeMap<String, ShopRow>>>;

/// Feeds the shop's table from the outbox (at least once: deduplicated by
/// event id).
async fn feed(shop: &support::Shop, table: &Table, seen: &Arc<Mutex<HashSet<i64>>>) {
    let (table, seen) = (Arc::clone(table), Arc::clone(seen));
    shop.merchant
        .outbox()
        .drain(move |event| {
            let (table, seen) = (Arc::clone(&table), Arc::clone(&seen));
            async move {
                if seen.lock().map_err(|_| "poisoned")?.insert(event.id) {
                    table.lock().map_err(|_| "poisoned")?.insert(
                        event.order_no.as_str().to_owned(),
                        ShopRow {
                            status: event.to,
                            money: event.money.map(|m| m.yen()),
                            payout_eligible: event.payout_eligible(),
                        },
                    );
                }
                Ok::<(), &'static str>(())
            }
        })
        .await
        .expect("outbox drained");
}

fn row(table: &Table, order: &OrderNo) -> ShopRow {
    table.lock().expect("table")[order.as_str()].clone()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let started = Instant::now();
    let shop = support::Shop::start().await?;
    let table: Table = Arc::default();
    let seen = Arc::default();

    // 1. A shopper buys for 1,000 yen; the CGI call 03 (authorized) arrives.
    let first = shop.shopper_pays(1000).await?;
    feed(&shop, &table, &seen).await;
    assert_eq!(
        row(&table, &first),
        ShopRow {
            status: Status::Authorized,
            money: Some(1000),
            payout_eligible: false
        }
    );

    // 2. The shop settles 800 yen of it (docomo allows a lower amount).
    let done = shop
        .merchant
        .settle(
            &first,
            SettleParams {
                money: Some(800),
                ..SettleParams::default()
            },
        )
        .await?;
    assert!(done.outcome.is_success(), "{}", done.outcome.wire_name());
    feed(&shop, &table, &seen).await;
    let settled = row(&table, &first);
    assert_eq!(
        settled.money,
        Some(800),
        "the outbox carries the settled amount"
    );
    assert!(settled.payout_eligible, "{settled:?}");
    let gateway = shop.sandbox.order(first.as_str()).ok_or("at the gateway")?;
    assert_eq!((gateway.status, gateway.money), (settled.status, 800));

    // 3. A second order is paid, then cancelled.
    let second = shop.shopper_pays(500).await?;
    let done = shop.merchant.cancel(&second).await?;
    assert!(done.outcome.is_success(), "{}", done.outcome.wire_name());
    feed(&shop, &table, &seen).await;
    let cancelled = row(&table, &second);
    assert!(!cancelled.payout_eligible, "{cancelled:?}");
    let gateway = shop
        .sandbox
        .order(second.as_str())
        .ok_or("at the gateway")?;
    assert_eq!(gateway.status, cancelled.status);

    // 4. Nothing needs a person, and the shop and the gateway agree.
    assert!(shop.merchant.deadlines(0).await?.is_empty());
    println!(
        "shop_end_to_end: 2 orders, settle and cancel, shop table fed by the outbox: ok in {} ms",
        started.elapsed().as_millis()
    );
    shop.stop().await
}
