//! # zeus-carrier-merchant
//!
//! The merchant side of ZEUS carrier billing as one library: what a shop
//! embedding the crates calls, and what `zeus-carrier serve` is built from.
//!
//! | call | does |
//! |---|---|
//! | [`Merchant::checkout`] | validates a Link Point order request, signs its `sendpoint` (optional), **saves the checkout** and renders the auto-submitting form — one call, so the integrity check and the 50-day windows always have their checkout |
//! | [`Merchant::settle`], [`Merchant::cancel`] | the per-order operation lock (across every instance sharing the database), the pre-check (nothing is sent when the gateway would refuse), a durable "in flight" mark, one Secure Link call, the record of the outcome and the reconciliation mark on `unknown` or on a store failure |
//! | [`Merchant::outbox`] | an [`Outbox`] consumer: at-least-once delivery of every accepted transition, with its `sendid`, deduplicated by event id |
//! | [`Merchant::order`], [`Merchant::deadlines`], [`Merchant::clear_reconciliation`] | the merchant's record and what needs doing |
//!
//! The CGI receiver is [`zeus_carrier_http`]'s; it records into the same
//! [`Store`].
//!
//! Every rule is the core's ([`zeus_carrier_core::merchant`],
//! [`zeus_carrier_core::settle`], [`zeus_carrier_core::cancel`]); this crate
//! sequences the I/O around them.
//!
//! ```no_run
//! use zeus_carrier_core::{OrderNo, settle::SettleParams};
//! use zeus_carrier_http::{ClientConfig, SecureLinkClient};
//! use zeus_carrier_merchant::{Merchant, MerchantConfig};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store = zeus_carrier_store::Store::connect("sqlite://merchant.db").await?;
//! let client = SecureLinkClient::new(ClientConfig::new(
//!     "https://linkpt.cardservice.co.jp",
//!     "1234567890",
//!     zeus_carrier_core::secure_link::Zkey::new(std::env::var("ZEUS_CARRIER_ZKEY")?),
//! ))?;
//! let merchant = Merchant::new(store, client, MerchantConfig::new(zeus_carrier_core::ClientIp::parse("1234567890")?))?;
//! let done = merchant.settle(&OrderNo::parse("A12345")?, SettleParams::default()).await?;
//! println!("{} (reconcile: {})", done.outcome.wire_name(), done.needs_reconciliation());
//! # Ok(()) }
//! ```

mod checkout;
mod config;
mod operate;
mod outbox;

use std::sync::Arc;

use zeus_carrier_core::merchant::Deadline;
use zeus_carrier_core::values::OrderNo;
use zeus_carrier_http::{Clock, SecureLinkClient};
use zeus_carrier_store::{MerchantOrder, Store, StoreError};

pub use checkout::{CheckoutError, CheckoutForm, SENDID_PREFIX};
pub use config::{ConfigError, DEFAULT_GATEWAY_URL, MerchantConfig};
pub use operate::{OperateError, Operated, Recording};
pub use outbox::{DEFAULT_BATCH, Drained, Outbox};

/// The merchant's side: the store, the Secure Link client, its settings and
/// a clock. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Merchant {
    store: Store,
    client: SecureLinkClient,
    config: Arc<MerchantConfig>,
    clock: Clock,
}

impl Merchant {
    /// Checks the configuration; uses the system clock.
    pub fn new(
        store: Store,
        client: SecureLinkClient,
        config: MerchantConfig,
    ) -> Result<Merchant, ConfigError> {
        config.check()?;
        Ok(Merchant {
            store,
            client,
            config: Arc::new(config),
            clock: Clock::system(),
        })
    }

    /// The same merchant reading `clock` (tests, the sandbox's test clock).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Merchant {
        self.clock = clock;
        self
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The Secure Link client.
    pub fn client(&self) -> &SecureLinkClient {
        &self.client
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The settings.
    pub fn config(&self) -> &MerchantConfig {
        &self.config
    }

    /// The merchant's record of an order, with its history.
    pub async fn order(&self, order_no: &OrderNo) -> Result<Option<MerchantOrder>, StoreError> {
        self.store.get_order(order_no).await
    }

    /// What needs doing: windows closing within `within_days` × 24 h from
    /// now, and every order awaiting reconciliation (first).
    pub async fn deadlines(&self, within_days: u32) -> Result<Vec<Deadline>, StoreError> {
        self.store
            .list_deadlines(self.clock.now(), within_days)
            .await
    }

    /// Removes an order's reconciliation mark, once someone compared it with
    /// the gateway; returns the record.
    pub async fn clear_reconciliation(
        &self,
        order_no: &OrderNo,
    ) -> Result<MerchantOrder, StoreError> {
        self.store.clear_reconciliation(order_no).await
    }

    /// The outbox consumer.
    pub fn outbox(&self) -> Outbox {
        Outbox::new(self.store.clone())
    }
}
