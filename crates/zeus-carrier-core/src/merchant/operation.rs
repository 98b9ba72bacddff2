//! What the outcome of the merchant's own settle or cancel does to its
//! record (R-RS-2, R-RS-3, R-TR-2), and the facts the pre-checks read from
//! the record.

use super::is_ahead;
use super::notice::Checkout;
use super::reason::{OperationKind, ReconcileReason};
use super::record::{MerchantRecord, Step, Withdrawal};
use crate::cancel::{CancelPlan, cancel_events_for};
use crate::error_code::RetryAdvice;
use crate::order::Event;
use crate::secure_link::Outcome;
use crate::settle::{OrderFacts, SettlePlan, settle_events_for};
use crate::status::Status;
use crate::time::{JstDateTime, jst_date, to_jst};
use crate::transition::{TransitionError, next_status};
use crate::values::Money;

/// A fact the pre-checks need that the merchant's record does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MissingFact {
    /// The carrier (R-SL-5): neither a CGI call (`carrier_type`) nor a saved
    /// checkout told it.
    #[error(
        "the order's carrier is unknown: receive carrier_type in CGI calls, or save a checkout for its sendid"
    )]
    Carrier,
    /// The original amount (R-SL-5): neither a CGI call (`money`) nor a saved
    /// checkout told it.
    #[error(
        "the order's original amount is unknown: receive money in CGI calls, or save a checkout for its sendid"
    )]
    OriginalMoney,
}

impl MerchantRecord {
    /// The facts the settle and cancel pre-checks
    /// ([`crate::settle::check_settle`], [`crate::cancel::check_cancel`])
    /// reason about:
    /// - carrier: the record's, else the checkout's;
    /// - original amount: the checkout's (what the merchant asked the
    ///   shopper for), else the record's first amount;
    /// - acceptance time: where the record's windows count from (D-7);
    /// - settle date and settle time: the record's.
    pub fn facts(&self, checkout: Option<&Checkout>) -> Result<OrderFacts, MissingFact> {
        let checkout = checkout.filter(|c| self.sendid() == Some(&c.sendid));
        let carrier = self
            .carrier()
            .or(checkout.map(|c| c.carrier))
            .ok_or(MissingFact::Carrier)?;
        let original_money = checkout
            .map(|c| c.money)
            .or(self.original_money())
            .ok_or(MissingFact::OriginalMoney)?;
        Ok(OrderFacts {
            status: self.status(),
            carrier,
            original_money: original_money.yen(),
            accepted_at: self.window_from(),
            settled_at: self.settled_at(),
            settle_date: self.settle_date(),
        })
    }
}

/// The merchant's operation, as the pre-check planned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// A settle (`act=settled`, including `autype=auth`).
    Settle(SettlePlan),
    /// A cancel (`act=return`).
    Cancel(CancelPlan),
}

impl Operation {
    /// `settle` or `cancel`.
    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Settle or cancel.
    pub const fn kind(&self) -> OperationKind {
        match self {
            Operation::Settle(_) => OperationKind::Settle,
            Operation::Cancel(_) => OperationKind::Cancel,
        }
    }

    /// The events the outcome means for the merchant's copy.
    fn events(&self, outcome: &Outcome) -> Vec<Event> {
        match self {
            Operation::Settle(plan) => settle_events_for(plan, outcome),
            Operation::Cancel(plan) => cancel_events_for(plan, outcome),
        }
    }
}

/// A sent operation and what came back: the input of [`on_operation`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationReport {
    /// What was sent.
    pub operation: Operation,
    /// The record's status the pre-check planned from.
    pub planned_from: Status,
    /// The gateway's answer, or `unknown`.
    pub outcome: Outcome,
    /// When the answer (or the transport failure) came.
    pub at: JstDateTime,
}

impl OperationReport {
    /// The report of `operation`, planned from `planned_from`, answered
    /// `outcome` at `at`.
    pub fn new(
        operation: Operation,
        planned_from: Status,
        outcome: Outcome,
        at: JstDateTime,
    ) -> OperationReport {
        OperationReport {
            operation,
            planned_from,
            outcome,
            at: to_jst(&at),
        }
    }
}

/// An operation report the model cannot apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OperationError {
    /// The events the outcome means are not a path of the transition table
    /// from the planned status (a plan made for another status).
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

/// The model's answer to an operation report: what to persist.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationDecision {
    /// The record after the operation.
    pub record: MerchantRecord,
    /// The accepted status changes, in order (history entries and outbox
    /// events). A step a CGI call had already recorded, or one the record
    /// has moved past, is left out.
    pub steps: Vec<Step>,
    /// Why the order now needs reconciliation, when the outcome does not
    /// settle what happened (R-RS-3, or a code the catalog marks
    /// "reconcile first").
    pub reconcile: Option<ReconcileReason>,
}

/// Why an outcome leaves the order's fate open, if it does: `unknown`
/// (R-RS-3), or a failure whose code the catalog marks
/// [`RetryAdvice::ReconcileFirst`] (already settled, already settling, a
/// double request, the carrier's undetermined answer).
pub fn reconcile_reason(operation: &Operation, outcome: &Outcome) -> Option<ReconcileReason> {
    match outcome {
        Outcome::Unknown { .. } => Some(ReconcileReason::OutcomeUnknown(operation.kind())),
        Outcome::Failure { code } if code.retry_advice() == RetryAdvice::ReconcileFirst => Some(
            ReconcileReason::ReconcileFirstCode(operation.kind(), code.clone()),
        ),
        Outcome::Success { .. }
        | Outcome::Failure { .. }
        | Outcome::Maintenance { .. }
        | Outcome::Invalid { .. } => None,
    }
}

/// Decides what an operation's outcome does to `record`, the record as it
/// is now (a CGI call may have moved it since the pre-check).
///
/// The outcome's events ([`settle_events_for`], [`cancel_events_for`]) are
/// walked along the transition table from the planned status; each step is
/// applied when the record is at its start, or when its target lies ahead of
/// the record ([`super::is_ahead`]); otherwise it was already recorded or
/// overtaken and is left out. The amount, settle date and settle time are
/// taken only when the record ends where the operation ends.
pub fn on_operation(
    record: &MerchantRecord,
    report: &OperationReport,
) -> Result<OperationDecision, OperationError> {
    let at = to_jst(&report.at);
    let mut p = record.parts().clone();
    p.in_flight = None;
    let reconcile = reconcile_reason(&report.operation, &report.outcome);
    if let Some(reason) = &reconcile {
        p.reconciliation = Some(reason.clone());
        if matches!(
            (&report.operation, &report.outcome),
            (
                Operation::Settle(SettlePlan::Withdraw),
                Outcome::Unknown { .. }
            )
        ) {
            p.withdrawal = Withdrawal::Requested;
        }
        return Ok(OperationDecision {
            record: MerchantRecord::from_model(p.settle()),
            steps: Vec::new(),
            reconcile,
        });
    }
    let events = report.operation.events(&report.outcome);
    // The operation's own path from the planned status, with the fields its
    // events carry.
    let mut path = Vec::with_capacity(events.len());
    let mut cur = report.planned_from;
    let mut money: Option<Money> = None;
    let mut settle_date = p.settle_date;
    let mut settled_at = None;
    for e in &events {
        let to = next_status(cur, e.kind())?;
        path.push((cur, to));
        match *e {
            Event::SettleToday { money: m } => {
                money = Money::new(m);
                settle_date = Some(jst_date(&at));
            }
            Event::SettleFuture { date, money: m } => {
                money = Money::new(m);
                settle_date = Some(date);
            }
            Event::WithdrawReservation => {
                money = p.original_money;
                settle_date = None;
            }
            Event::CarrierConfirmsSettle => settled_at = Some(at),
            Event::Approve { .. }
            | Event::Decline
            | Event::SettleDateArrives
            | Event::CarrierRejectsSettle
            | Event::CancelOk
            | Event::CancelFail => {}
        }
        cur = to;
    }
    let mut steps = Vec::new();
    for (from, to) in path.iter().copied() {
        if p.status == from || (p.status != to && is_ahead(p.status, to)) {
            steps.push(Step {
                from: Some(p.status),
                to,
                at,
            });
            p.status = to;
        }
    }
    if !path.is_empty() && p.status == cur {
        p.money = money.or(p.money);
        p.settle_date = settle_date;
        if settled_at.is_some() {
            p.settled_at = settled_at;
        }
    }
    if p.status == Status::Completed && p.settled_at.is_none() {
        p.settled_at = Some(at);
    }
    Ok(OperationDecision {
        record: MerchantRecord::from_model(p.settle()),
        steps,
        reconcile: None,
    })
}
