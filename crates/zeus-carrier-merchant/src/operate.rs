//! [`Merchant::settle`] and [`Merchant::cancel`]: one call settles or
//! cancels an order and records what came of it.
//!
//! # What one call does, in order
//! 1. **Lock** the order for operations
//!    ([`Store::lock_operation`](zeus_carrier_store::Store::lock_operation)):
//!    one settle or cancel per order at a time across every instance
//!    sharing the database. CGI calls are not blocked by it.
//! 2. **Read** the merchant's record and its checkout; the core derives the
//!    facts the pre-check needs
//!    ([`MerchantRecord::facts`](zeus_carrier_core::merchant::MerchantRecord::facts)).
//! 3. **Pre-check** ([`zeus_carrier_core::settle::check_settle`],
//!    [`zeus_carrier_core::cancel::check_cancel`]): a request the gateway
//!    would refuse is answered [`OperateError::NotSent`] with the code the
//!    gateway would give; nothing is sent.
//! 4. **Mark in flight**, durably, before anything leaves the process
//!    ([`MerchantRecord::begin_operation`](zeus_carrier_core::merchant::MerchantRecord::begin_operation)):
//!    if the process stops during the call, the order is listed for
//!    reconciliation.
//! 5. **Send** once; never retried (R-RS-3).
//! 6. **Record** the outcome through the core's
//!    [`on_operation`](zeus_carrier_core::merchant::on_operation): the steps
//!    it accepts, the amount, the dates; `unknown` or a "reconcile first"
//!    code changes no status and marks the order for reconciliation.
//! 7. If recording fails after the gateway answered, the answer is still
//!    returned ([`Recording::NotRecorded`]): the gateway acted, so a retry
//!    must not be invited; the in-flight mark stays and the order is marked
//!    for reconciliation when the store allows.

use std::time::Duration;

use zeus_carrier_core::merchant::{
    InFlight, MissingFact, Operation, OperationReport, ReconcileReason,
};
use zeus_carrier_core::secure_link::Outcome;
use zeus_carrier_core::settle::SettleParams;
use zeus_carrier_core::time::{JstDateTime, format_yyyymmdd};
use zeus_carrier_core::values::{Money, OrderNo};
use zeus_carrier_http::CallError;
use zeus_carrier_store::{HistoryRow, MerchantOrder, StoreError};

use crate::Merchant;

/// Why an operation was not sent. Nothing reached the gateway.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OperateError {
    /// The merchant has no record of the order (no CGI call for it was
    /// applied).
    #[error("order {0} not found")]
    NotFound(OrderNo),
    /// The record lacks a fact the pre-check needs.
    #[error(transparent)]
    MissingFact(#[from] MissingFact),
    /// The pre-check predicts the gateway's refusal; its code is attached.
    #[error(transparent)]
    NotSent(#[from] CallError),
    /// The store failed (or the order's operation lock could not be taken)
    /// before anything was sent.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OperateError {
    /// The HTTP status an API answers this error with: `404` (no record),
    /// `409` (a fact missing, or another settle or cancel of the order in
    /// flight), `422` (the pre-check predicts the gateway's refusal),
    /// `503` (storage unavailable), `500` (another storage error).
    pub fn http_status(&self) -> u16 {
        match self {
            OperateError::NotFound(_) => 404,
            OperateError::MissingFact(_) => 409,
            OperateError::NotSent(_) => 422,
            OperateError::Store(StoreError::OperationLocked { .. }) => 409,
            OperateError::Store(e) if e.is_unavailable() => 503,
            OperateError::Store(_) => 500,
        }
    }
}

/// Whether the outcome was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recording {
    /// Recorded; these steps moved the record (a step a CGI call had
    /// already recorded is left out).
    Recorded {
        /// The accepted status changes.
        applied: Vec<HistoryRow>,
    },
    /// The gateway answered but the store failed: the order stays marked in
    /// flight (and for reconciliation when the store allowed it).
    NotRecorded {
        /// The store's error.
        reason: String,
    },
}

/// A settle or cancel that was sent, and what came of it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Operated {
    /// What the pre-check planned.
    pub operation: Operation,
    /// The gateway's answer, or unknown (R-RS-3).
    pub outcome: Outcome,
    /// Whether the outcome was recorded.
    pub recording: Recording,
    /// Why the order now needs reconciliation, when it does.
    pub reconcile: Option<ReconcileReason>,
    /// The record after the operation, when it could be read.
    pub order: Option<MerchantOrder>,
    /// How long the gateway call took.
    pub elapsed: Duration,
}

impl Operated {
    /// Whether someone must compare the order with the gateway before
    /// acting on it again (an unknown outcome, a "reconcile first" code, or
    /// a failed record).
    pub fn needs_reconciliation(&self) -> bool {
        self.reconcile.is_some() || matches!(self.recording, Recording::NotRecorded { .. })
    }

    /// The gateway's `error_code`, when it answered one.
    pub fn error_code(&self) -> Option<&str> {
        self.outcome.error_code()
    }

    /// The catalog's Japanese meaning of the error code (R-EC-1).
    pub fn meaning(&self) -> Option<&'static str> {
        self.outcome.error_entry().map(|e| e.meaning_ja)
    }

    /// The settle date a `Success_order` carried, as `YYYYMMDD`.
    pub fn date(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Success { date } => date.map(format_yyyymmdd),
            Outcome::Failure { .. }
            | Outcome::Maintenance { .. }
            | Outcome::Invalid { .. }
            | Outcome::Unknown { .. } => None,
        }
    }
}

/// Which operation a call asks for.
#[derive(Debug, Clone, Copy)]
enum Ask {
    Settle(SettleParams),
    Cancel,
}

impl Merchant {
    /// Settles an order (or reserves a settle date, or withdraws a
    /// reservation with `autype=auth`) and records the outcome. See the
    /// module docs for the steps.
    ///
    /// ```no_run
    /// # async fn shop(merchant: zeus_carrier_merchant::Merchant) -> Result<(), Box<dyn std::error::Error>> {
    /// use zeus_carrier_core::{OrderNo, settle::SettleParams};
    /// use zeus_carrier_merchant::OperateError;
    /// let order = OrderNo::parse("A12345")?;
    /// match merchant.settle(&order, SettleParams::default()).await {
    ///     Ok(done) if done.needs_reconciliation() => {
    ///         // Unknown or ambiguous: compare with the gateway; never retry blindly.
    ///     }
    ///     Ok(done) => println!("{}", done.outcome.wire_name()),
    ///     Err(OperateError::NotSent(refused)) => println!("not sent: {}", refused.error_code()),
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn settle(
        &self,
        order_no: &OrderNo,
        params: SettleParams,
    ) -> Result<Operated, OperateError> {
        self.operate(order_no, Ask::Settle(params)).await
    }

    /// Cancels an order (an authorization, a reservation or a completed
    /// sale) and records the outcome. See the module docs for the steps.
    pub async fn cancel(&self, order_no: &OrderNo) -> Result<Operated, OperateError> {
        self.operate(order_no, Ask::Cancel).await
    }

    async fn operate(&self, order_no: &OrderNo, ask: Ask) -> Result<Operated, OperateError> {
        let lock = self
            .store()
            .lock_operation(order_no, self.config().lock_hold())
            .await?;
        let result = self.operate_locked(order_no, ask).await;
        if let Err(e) = lock.release().await {
            tracing::warn!(order_no = order_no.as_str(), error = %e, "operation lock not released cleanly");
        }
        result
    }

    async fn operate_locked(&self, order_no: &OrderNo, ask: Ask) -> Result<Operated, OperateError> {
        let store = self.store();
        let order = store
            .get_order(order_no)
            .await?
            .ok_or_else(|| OperateError::NotFound(order_no.clone()))?;
        let record = order.record();
        let checkout = match record.sendid() {
            Some(sendid) => store.find_checkout(sendid).await?,
            None => None,
        };
        let facts = record.facts(checkout.as_ref())?;
        let now = self.clock().now();
        let prepared = match ask {
            Ask::Settle(params) => {
                self.client()
                    .prepare_settle(&facts, order_no.as_str(), params, now)
            }
            Ask::Cancel => self.client().prepare_cancel(&facts, order_no.as_str(), now),
        };
        let prepared = match prepared {
            Ok(p) => p,
            Err(e) => {
                tracing::info!(
                    order_no = order_no.as_str(),
                    error_code = e.error_code(),
                    rule = e.rule(),
                    "refused locally; nothing sent"
                );
                return Err(OperateError::NotSent(e));
            }
        };
        let operation = prepared.operation();
        let asked_money = match ask {
            Ask::Settle(params) => params.money.and_then(Money::new),
            Ask::Cancel => None,
        };
        store
            .begin_operation(order_no, InFlight::new(operation.kind(), asked_money, now))
            .await?;
        let sent = self.client().send_prepared(prepared).await;
        let at: JstDateTime = self.clock().now();
        let report = OperationReport::new(operation, facts.status, sent.outcome.clone(), at);
        let (recording, reconcile, order) = match store.record_operation(order_no, report).await {
            Ok(r) => (
                Recording::Recorded { applied: r.applied },
                r.reconcile,
                Some(r.order),
            ),
            Err(e) => {
                let reason = e.to_string();
                tracing::error!(
                    order_no = order_no.as_str(),
                    op = operation.name(),
                    outcome = sent.outcome.wire_name(),
                    error = reason.as_str(),
                    "gateway answered but the store failed"
                );
                let mark = ReconcileReason::NotRecorded(operation.kind());
                if let Err(e) = store.mark_reconciliation(order_no, mark.clone()).await {
                    tracing::error!(order_no = order_no.as_str(), error = %e, "reconciliation mark not stored; the in-flight mark remains");
                }
                let order = store.get_order(order_no).await.ok().flatten();
                (Recording::NotRecorded { reason }, Some(mark), order)
            }
        };
        Ok(Operated {
            operation,
            outcome: sent.outcome,
            recording,
            reconcile,
            order,
            elapsed: sent.elapsed,
        })
    }
}
