//! [`Outbox`]: the consumer of accepted transitions.
//!
//! Every accepted status change (a CGI call that created or advanced an
//! order; a step of the merchant's own settle or cancel) writes one outbox
//! event in the same transaction as the change. Delivery is
//! **at-least-once**: an event is offered until it is acknowledged, so a
//! consumer that stops between handling and acknowledging sees it again.
//! Handle events idempotently, keyed by [`OutboxEvent::id`] (unique per
//! transition), e.g. by storing the last handled id with the effect.
//!
//! Events of one order are offered in the order they were recorded; when a
//! handler fails, the later events of the same order wait for the next
//! round, so they are never handled out of order.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use zeus_carrier_core::values::OrderNo;
use zeus_carrier_store::{OutboxEvent, Store, StoreError};

/// The default number of events one round takes.
pub const DEFAULT_BATCH: u32 = 100;

/// A consumer of the store's outbox. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    store: Store,
    batch: u32,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drained {
    /// Events handled and acknowledged.
    pub handled: usize,
    /// Events whose handler failed, or that wait behind a failed event of
    /// the same order; they are offered again next round.
    pub deferred: usize,
}

impl Outbox {
    /// A consumer taking [`DEFAULT_BATCH`] events a round.
    pub fn new(store: Store) -> Outbox {
        Outbox {
            store,
            batch: DEFAULT_BATCH,
        }
    }

    /// The same consumer taking `batch` events a round (at least 1).
    #[must_use]
    pub fn with_batch(mut self, batch: u32) -> Outbox {
        self.batch = batch.max(1);
        self
    }

    /// The oldest unacknowledged events (at most one batch).
    pub async fn poll(&self) -> Result<Vec<OutboxEvent>, StoreError> {
        self.store.poll_outbox(0, self.batch).await
    }

    /// Acknowledges an event: it is not offered again. `true` the first
    /// time.
    pub async fn ack(&self, id: i64) -> Result<bool, StoreError> {
        self.store.ack_outbox(id).await
    }

    /// One round: offers each unacknowledged event (one batch) to
    /// `handler` and acknowledges it when the handler returns `Ok`. A
    /// handler's error defers that event and the later events of its order
    /// to the next round, and is logged.
    ///
    /// ```no_run
    /// # async fn shop(merchant: zeus_carrier_merchant::Merchant) -> Result<(), Box<dyn std::error::Error>> {
    /// let round = merchant
    ///     .outbox()
    ///     .drain(|event| async move {
    ///         // Apply it idempotently, keyed by `event.id` (at-least-once).
    ///         println!("{} {} → {}", event.order_no, event.from.map_or("-".into(), |s| s.to_string()), event.to);
    ///         Ok::<(), String>(())
    ///     })
    ///     .await?;
    /// println!("handled {}", round.handled);
    /// # Ok(()) }
    /// ```
    pub async fn drain<F, Fut, E>(&self, mut handler: F) -> Result<Drained, StoreError>
    where
        F: FnMut(OutboxEvent) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut report = Drained::default();
        let mut blocked: HashSet<OrderNo> = HashSet::new();
        for event in self.poll().await? {
            if blocked.contains(&event.order_no) {
                report.deferred += 1;
                continue;
            }
            let (id, order_no) = (event.id, event.order_no.clone());
            match handler(event).await {
                Ok(()) => {
                    self.ack(id).await?;
                    report.handled += 1;
                }
                Err(e) => {
                    tracing::warn!(event = id, order_no = order_no.as_str(), error = %e, "outbox handler failed; offered again next round");
                    blocked.insert(order_no);
                    report.deferred += 1;
                }
            }
        }
        Ok(report)
    }

    /// Runs rounds until `shutdown` completes: a round right after one that
    /// handled a full batch, else after `idle`. A store error is logged and
    /// the loop waits `idle` before trying again (the events stay in the
    /// outbox).
    pub async fn run<F, Fut, E>(
        &self,
        mut handler: F,
        idle: Duration,
        shutdown: impl Future<Output = ()>,
    ) where
        F: FnMut(OutboxEvent) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        tokio::pin!(shutdown);
        loop {
            let busy = match self.drain(&mut handler).await {
                Ok(r) => r.handled + r.deferred >= self.batch as usize && r.handled > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox round failed; retrying");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(idle) => {}
            }
        }
    }
}
