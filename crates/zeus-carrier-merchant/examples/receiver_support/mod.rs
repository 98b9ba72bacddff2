#![allow(dead_code, unreachable_pub)]
//! What the receiver examples share: the store, the receiver's
//! configuration, the listen address, and how each example ends.
//!
//! - `ZEUS_CARRIER_DB`: the database URL [`sqlite::memory:`].
//! - `ZEUS_CARRIER_LISTEN`: the address to bind [`127.0.0.1:0`].
//! - `ZEUS_CARRIER_EXAMPLE_SELF_TEST=1`: send one CGI call to the
//!   example's own callback path, print the answer and exit (a smoke test);
//!   otherwise serve until Ctrl-C.

use std::net::SocketAddr;

use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_core::values::ClientIp;
use zeus_carrier_merchant::{Merchant, MerchantConfig, Receiver};
use zeus_carrier_store::Store;

/// The merchant's IP code in the examples.
pub(crate) const CLIENTIP: &str = "1234567890";

/// The store of `ZEUS_CARRIER_DB`, or an in-memory SQLite database.
pub(crate) async fn store() -> Result<Store, Box<dyn std::error::Error>> {
    let url = std::env::var("ZEUS_CARRIER_DB").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    Ok(Store::connect(&url).await?)
}

/// The receiver of a merchant [`CLIENTIP`], from its one configuration:
/// UTF-8 calls, a local sandbox as the gateway, so loopback callers only
/// (the default allowlist; with the real gateway, `.allow(…)` the
/// gateway's addresses from the contract — building refuses otherwise).
pub(crate) fn receiver(store: Store) -> Result<Receiver, Box<dyn std::error::Error>> {
    let config = MerchantConfig::builder(ClientIp::parse(CLIENTIP)?, Zkey::new("example-zkey"))
        .gateway_url("http://127.0.0.1:8931")
        .charset(zeus_carrier_core::Charset::Utf8)
        .build()?;
    Ok(Merchant::new(store, config)?.receiver())
}

/// `ZEUS_CARRIER_LISTEN`, or 127.0.0.1 on a free port.
pub(crate) fn listen_addr() -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let addr = std::env::var("ZEUS_CARRIER_LISTEN").unwrap_or_else(|_| "127.0.0.1:0".to_owned());
    Ok(addr.parse()?)
}

/// Whether the example should call itself once and exit.
pub(crate) fn self_test() -> bool {
    std::env::var("ZEUS_CARRIER_EXAMPLE_SELF_TEST").as_deref() == Ok("1")
}

/// Sends one CGI call (order `EX-1`, status 03) to `callback_url` and
/// prints the answer.
pub(crate) async fn call_once(callback_url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let url = format!(
        "{callback_url}?clientip={CLIENTIP}&order_no=EX-1&status=03&money=1000&carrier_type=D"
    );
    let answer = reqwest::get(&url).await?;
    let status = answer.status();
    let body = answer.text().await?;
    println!("self-test: {status} {body}");
    if body != "successok" {
        return Err(format!("unexpected answer {status} {body}").into());
    }
    Ok(())
}
