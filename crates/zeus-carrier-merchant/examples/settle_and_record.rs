//! Settle and cancel with one call each: the facade locks the order for
//! operations, runs the pre-check (a request the gateway would refuse is
//! never sent), marks the operation in flight, calls Secure Link once and
//! records the outcome. Runs against the sandbox gateway on this machine
//! and exits.
//!
//! ```sh
//! cargo run -p zeus-carrier-merchant --example settle_and_record
//! ```

use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_merchant::OperateError;

mod support;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let shop = support::Shop::start().await?;
    let merchant = &shop.merchant;

    // Settle the first order today, for less than authorized (docomo may).
    let first = shop.shopper_pays(1000).await?;
    let params = SettleParams {
        money: Some(800),
        ..SettleParams::default()
    };
    let done = merchant.settle(&first, params).await?;
    println!(
        "settle {first}: {} (reconcile: {}), record now {}",
        done.outcome.wire_name(),
        done.needs_reconciliation(),
        done.order
            .as_ref()
            .map_or("?".into(), |o| o.status().to_string()),
    );

    // Settling above the authorized amount is refused locally: nothing is sent.
    let second = shop.shopper_pays(1000).await?;
    let too_much = SettleParams {
        money: Some(1001),
        ..SettleParams::default()
    };
    match merchant.settle(&second, too_much).await {
        Err(OperateError::NotSent(e)) => println!(
            "settle {second} for 1001 yen: not sent, the gateway would answer {} ({})",
            e.error_code(),
            e.rule()
        ),
        other => return Err(format!("expected a local refusal, got {other:?}").into()),
    }

    // Cancel the second order instead.
    let done = merchant.cancel(&second).await?;
    println!(
        "cancel {second}: {}, record now {}",
        done.outcome.wire_name(),
        done.order
            .as_ref()
            .map_or("?".into(), |o| o.status().to_string()),
    );

    // What still needs doing (nothing is awaiting reconciliation here).
    for d in merchant.deadlines(60).await? {
        println!(
            "deadline: {} {:?} closes {:?}",
            d.order_no, d.kind, d.closes_at
        );
    }
    shop.stop().await
}
