//! The merchant's side of an order, as a pure model: what the merchant's
//! record of an order is, and what each input does to it.
//!
//! The gateway's side is [`crate::order::Order`]; this module is the
//! merchant's copy, which learns of the order from CGI calls
//! ([`Notice`]) and from its own settle and cancel operations
//! ([`OperationReport`]). A storage adapter (the `zeus-carrier-store` crate)
//! persists what this model decides and decides nothing itself; it drives
//! the model like this, inside one transaction that serialises the order:
//!
//! 1. read the [`MerchantRecord`] (or none) and, for a notification with a
//!    `sendid`, the saved [`Checkout`];
//! 2. ask [`on_notification`] or [`on_operation`], passing the time the
//!    input arrived (the model reads no clock);
//! 3. write the record it returns, the [`Step`]s it accepted (history, and
//!    one outbox event each), and — for a notification that created the
//!    record — bind the checkout to the order ([`NoticeDecision::claim`]).
//!
//! # The rules, in one place
//! - **Create** (R-CG-3): the first notification of an order creates the
//!   record in the reported status. Its 50-day windows (D-7) count from the
//!   notification's receipt, which is never earlier than the gateway's
//!   own start (受付完了), so the pre-check never refuses what the gateway
//!   accepts ([`window_start`]).
//! - **Duplicate** (R-CG-3): a notification for a status this order has
//!   already been notified of, or for the status the record is in, changes
//!   nothing but a counter.
//! - **Advance** (R-CG-4): a status ahead of the record along the transition
//!   table moves it forward (over steps the gateway does not notify, such as
//!   04 and 05). The withdrawal edge 04 → 03 is not "ahead": a 03 after 04
//!   moves the record back only when this merchant withdrew the reservation
//!   itself ([`Withdrawal::Requested`]); otherwise it is a late resend.
//! - **Stale** (R-CG-4): a late call never seen before (behind or beside
//!   the record) is counted and moves nothing.
//! - **Flagged**: a call that disagrees with the checkout saved for its
//!   `sendid` (carrier; amount at every status: [`amount_agrees`]), that
//!   names a checkout another order already used (one checkout, one
//!   order), or — when the merchant issues its checkouts
//!   ([`UnknownSendId::Flag`], the default) — that has no saved checkout,
//!   is stored and counted, not applied, and the order is marked for
//!   reconciliation ([`ReconcileReason::Flagged`]; an order with no
//!   record is listed with [`ReconcileReason::NeverApplied`]).
//! - **Reasons** are typed ([`ReconcileReason`], [`InFlight`]): a stable
//!   code for storage, Japanese and English texts for people.
//! - **Operations** (R-RS-2, R-RS-3, R-TR-2): a settle or cancel outcome
//!   moves the record along the table by the events its plan and outcome
//!   mean; an `unknown` outcome, or a failure whose code the catalog marks
//!   [`RetryAdvice::ReconcileFirst`](crate::error_code::RetryAdvice::ReconcileFirst),
//!   changes no status and marks the order for reconciliation — it never
//!   moves it to a terminal status.
//! - **Deadlines** (D-7, R-SL-1, R-SL-4, R-CN-1): [`MerchantRecord::windows`]
//!   and [`MerchantRecord::deadlines`].

mod checkout;
mod deadline;
mod notice;
mod operation;
mod reason;
mod record;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

pub use checkout::{SendpointUse, checkout_request};
pub use deadline::{Deadline, DeadlineKind, DutyReason, Windows};
pub use notice::{
    Checkout, CheckoutUsed, EffectKind, Flag, Notice, NoticeDecision, NoticeEffect, NoticeError,
    UnknownSendId, amount_agrees, on_notification, window_start,
};
pub use operation::{
    MissingFact, Operation, OperationDecision, OperationError, OperationReport, on_operation,
    reconcile_reason,
};
pub use reason::{FlagKind, InFlight, OperationKind, ReconcileReason};
pub use record::{Counters, MerchantRecord, RecordError, RecordParts, StatusSet, Step, Withdrawal};

use crate::status::Status;
use crate::transition::{EventKind, TRANSITIONS};

/// Whether `to` lies ahead of `from` for the merchant's record: reachable
/// along the transition table without the reservation's withdrawal
/// (04 → 03, R-SL-6), which only this merchant's own request causes.
///
/// A (from, to) matrix built from [`TRANSITIONS`] at compile time.
pub const fn is_ahead(from: Status, to: Status) -> bool {
    AHEAD[from as usize][to as usize]
}

const N: usize = <Status as strum::EnumCount>::COUNT;

const AHEAD: [[bool; N]; N] = {
    // Transitive closure of the table's edges minus the withdrawal.
    let mut m = [[false; N]; N];
    let mut i = 0;
    while i < TRANSITIONS.len() {
        let t = TRANSITIONS[i];
        if !matches!(t.event, EventKind::WithdrawReservation) {
            m[t.from as usize][t.to as usize] = true;
        }
        i += 1;
    }
    let mut k = 0;
    while k < N {
        let mut a = 0;
        while a < N {
            let mut b = 0;
            while b < N {
                if m[a][k] && m[k][b] {
                    m[a][b] = true;
                }
                b += 1;
            }
            a += 1;
        }
        k += 1;
    }
    m
};
