//! Consume the outbox: every accepted transition (a CGI call that created
//! or moved an order, a step of the shop's own settle or cancel), with the
//! order's `sendid`, offered at least once until acknowledged. The handler
//! here keeps the ids it handled, as a shop would in its own database, so
//! an event offered twice is handled once.
//!
//! ```sh
//! cargo run -p zeus-carrier-merchant --example consume_outbox
//! ```

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use zeus_carrier_core::settle::SettleParams;

mod support;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let shop = support::Shop::start().await?;
    let order = shop.shopper_pays(1500).await?;
    shop.merchant
        .settle(&order, SettleParams::default())
        .await?;

    let handled: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let outbox = shop.merchant.outbox();
    let seen = Arc::clone(&handled);
    let round = outbox
        .drain(move |event| {
            let seen = Arc::clone(&seen);
            async move {
                // Deduplicate by id: at-least-once delivery.
                if seen.lock().map_err(|_| "poisoned")?.insert(event.id) {
                    println!(
                        "event {}: order {} (sendid {}) {} → {} by {}",
                        event.id,
                        event.order_no,
                        event.sendid.as_ref().map_or("-", |s| s.as_str()),
                        event.from.map_or("(created)".into(), |s| s.to_string()),
                        event.to,
                        event.source,
                    );
                }
                Ok::<(), &'static str>(())
            }
        })
        .await?;
    println!("handled {}, deferred {}", round.handled, round.deferred);
    assert!(outbox.poll().await?.is_empty(), "everything acknowledged");
    shop.stop().await
}
