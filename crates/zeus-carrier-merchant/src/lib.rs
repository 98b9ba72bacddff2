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
//! | [`Merchant::receiver`] | the durable CGI [`Receiver`] (SPEC §9): allowlist, trusted proxies, parsing through the core, signature, the checkout policy, `successok` only after the store committed; [`Receiver::answer_http`] serves it on any HTTP stack |
//! | `callback_router(merchant.receiver())`, `Merchant::operator_router`, `Merchant::staff_router` | (feature `axum`) the callback route (serve it with `into_make_service_with_connect_info::<SocketAddr>()`: without the peer address every call is refused, 403), the operator JSON API and the staff's page behind a bearer token ([`operator`]) |
//!
//! Everything is built from one checked [`MerchantConfig`]: a shop states
//! each setting once (its IP code, key, gateway, allowlist, charset,
//! signing key, clock, timeouts), and the facade, its Secure Link client
//! and the receiver read the same values.
//!
//! Every rule is the core's ([`zeus_carrier_core::merchant`],
//! [`zeus_carrier_core::settle`], [`zeus_carrier_core::cancel`]); this crate
//! sequences the I/O around them.
//!
//! ```no_run
//! use zeus_carrier_core::{ClientIp, OrderNo, secure_link::Zkey, settle::SettleParams};
//! use zeus_carrier_merchant::{Merchant, MerchantConfig};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = MerchantConfig::builder(
//!     ClientIp::parse("1234567890")?,
//!     Zkey::new(std::env::var("ZEUS_CARRIER_ZKEY")?),
//! )
//! .allow(["192.0.2.0/28".parse()?]) // the gateway's CGI addresses, from the contract
//! .build()?;
//! let store = zeus_carrier_store::Store::connect("sqlite://merchant.db").await?;
//! let merchant = Merchant::new(store, config)?;
//! let done = merchant.settle(&OrderNo::parse("A12345")?, SettleParams::default()).await?;
//! println!("{} (reconcile: {})", done.outcome.wire_name(), done.needs_reconciliation());
//! # Ok(()) }
//! ```
//!
//! ## Feature flags
//! - `sqlite` (default): the embedded SQLite store.
//! - `postgres`: the PostgreSQL store. A PostgreSQL-only shop turns the
//!   defaults off (`default-features = false, features = ["postgres",
//!   "axum"]`) and builds no SQLite — if it names the store through
//!   [`prelude`] (or turns the store crate's defaults off too).
//! - `axum` (default): the routers and the operator JSON mapping.

mod checkout;
mod config;
mod operate;
#[cfg(feature = "axum")]
pub mod operator;
mod outbox;
pub mod receiver;

use zeus_carrier_core::merchant::Deadline;
use zeus_carrier_core::values::{OrderNo, SendId};
use zeus_carrier_http::{Clock, SecureLinkClient};
use zeus_carrier_store::{DeadlineCursor, DeadlinePage, MerchantOrder, Store, StoreError};

pub use checkout::{CheckoutError, CheckoutForm, SENDID_PREFIX};
pub use config::{
    ConfigError, DEFAULT_GATEWAY_URL, DEFAULT_LOCK_HOLD, MerchantConfig, MerchantConfigBuilder,
};
pub use operate::{OperateError, Operated, Recording};
#[cfg(feature = "axum")]
pub use operator::OperatorToken;
pub use outbox::{DEFAULT_BATCH, Drained, Outbox};
pub use receiver::{
    Ack, CallbackRejection, CgiCall, Method, NotACall, Receiver, RejectionReason, call_from_http,
    response_to_http,
};
#[cfg(feature = "axum")]
pub use receiver::{CallbackObserver, callback_router, callback_router_observed};
pub use zeus_carrier_core::merchant::UnknownSendId;

/// What a shop's code names most, from this crate and the crates it is
/// built on, so that a shop can depend on this crate alone — and the
/// store's backends then follow this crate's features (a PostgreSQL-only
/// shop, `default-features = false, features = ["postgres", "axum"]`,
/// builds no SQLite).
///
/// ```no_run
/// use zeus_carrier_merchant::prelude::*;
/// # async fn shop() -> Result<(), Box<dyn std::error::Error>> {
/// let config = MerchantConfig::builder(ClientIp::parse("1234567890")?, Zkey::new("zkey"))
///     .allow(["192.0.2.0/28".parse()?])
///     .build()?;
/// let merchant = Merchant::new(Store::connect("postgres://shop@db/shop").await?, config)?;
/// let cart = SendId::parse("cart-42")?;
/// if let Some(order_no) = merchant.order_for_checkout(&cart).await? {
///     merchant.settle(&order_no, SettleParams::default()).await?;
/// }
/// # Ok(()) }
/// ```
pub mod prelude {
    #[cfg(feature = "axum")]
    pub use crate::callback_router;
    pub use crate::{
        CheckoutError, CheckoutForm, Merchant, MerchantConfig, OperateError, Operated, Outbox,
        Recording, UnknownSendId,
    };
    pub use zeus_carrier_core::link_point::OrderRequest;
    pub use zeus_carrier_core::secure_link::Zkey;
    pub use zeus_carrier_core::settle::SettleParams;
    pub use zeus_carrier_core::{ClientIp, Money, OrderNo, SendId, Status};
    pub use zeus_carrier_http::Clock;
    pub use zeus_carrier_store::{Store, StoreError};
}

/// The merchant's side: the store, the Secure Link client and the one
/// configuration they are built from. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Merchant {
    store: Store,
    client: SecureLinkClient,
    config: MerchantConfig,
}

impl Merchant {
    /// The merchant side over `store`, built from `config` (checked when it
    /// was built): the Secure Link client and the receiver read the same
    /// values, and the same clock.
    pub fn new(store: Store, config: MerchantConfig) -> Result<Merchant, ConfigError> {
        let client = SecureLinkClient::new(config.client_config()).map_err(ConfigError::Client)?;
        Ok(Merchant {
            store,
            client,
            config,
        })
    }

    /// The CGI receiver, recording into the same store under the same
    /// configuration.
    pub fn receiver(&self) -> Receiver {
        Receiver::new(self.store.clone(), self.config.clone())
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The Secure Link client.
    pub fn client(&self) -> &SecureLinkClient {
        &self.client
    }

    /// The clock (the configuration's).
    pub fn clock(&self) -> &Clock {
        self.config.clock()
    }

    /// The settings.
    pub fn config(&self) -> &MerchantConfig {
        &self.config
    }

    /// The merchant's record of an order, with its history.
    pub async fn order(&self, order_no: &OrderNo) -> Result<Option<MerchantOrder>, StoreError> {
        self.store.get_order(order_no).await
    }

    /// The order that used the checkout saved under `sendid` (the one a
    /// shop keeps with its cart, [`CheckoutForm::checkout`]) — known once
    /// the order's first CGI call was applied; `None` before (not paid
    /// yet) or for a `sendid` never checked out. The order number is what
    /// settle and cancel take.
    pub async fn order_for_checkout(&self, sendid: &SendId) -> Result<Option<OrderNo>, StoreError> {
        Ok(self
            .store
            .find_checkout(sendid)
            .await?
            .and_then(|c| c.order_no))
    }

    /// What needs doing: windows closing within `within_days` × 24 h from
    /// now, and every order awaiting reconciliation (first).
    pub async fn deadlines(&self, within_days: u32) -> Result<Vec<Deadline>, StoreError> {
        self.store
            .list_deadlines(self.clock().now(), within_days)
            .await
    }

    /// One page of [`Merchant::deadlines`] (INTERFACES v3 §3): at most
    /// `limit` entries (1 to [`zeus_carrier_store::MAX_DEADLINE_PAGE`])
    /// after `after` (the previous page's `next`), in the same order;
    /// indexed, so a page costs the same however many orders the store
    /// holds.
    pub async fn deadlines_page(
        &self,
        within_days: u32,
        limit: u32,
        after: Option<&DeadlineCursor>,
    ) -> Result<DeadlinePage, StoreError> {
        self.store
            .list_deadlines_page(self.clock().now(), within_days, limit, after)
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
