//! Cancel (`act=return`): the merchant's pre-check, the gateway's answer
//! and the events a response means (SPEC §6, R-CN-1, D-7, R-TR-1).
//!
//! # Rules, in the order they are checked
//! 1. status (R-CN-1, R-TR-1): the statuses with a CancelOk row in the
//!    transition table (Authorized, SettleReserved, Completed) may be
//!    cancelled; any other status → `010010107` ([`cancel_plan`]);
//! 2. window (R-CN-1, D-7): 50 × 24 h from the acceptance time (Authorized,
//!    SettleReserved) or from the settle time (Completed). The boundary is
//!    inclusive: a cancel at exactly `from + 50 × 24 h` is accepted, one
//!    second later → `010010113` ([`crate::time::cancel_deadline`]).
//!    "From the acceptance" is the moment the shopper's acceptance
//!    COMPLETED (ユーザー受付完了日時: the order left 01 for 03 or 07), see
//!    [`crate::settle::OrderFacts::accepted_at`].
//!
//! # The cancel's own codes (`0100101xx`, `000001xx`)
//! The manual's error tables hold two parallel families. `0100100xx`
//! (010010000 認証失敗, 010010001 申込データなし, 010010007 処理できない
//! ステータス, 010010010–012 売上指定日不正 …, 010010013 処理期限切,
//! 010010014/015 決済金額不正) names settle-only causes (date, amount);
//! `0100101xx` repeats the same causes at +100 (010010100 認証失敗,
//! 010010101 申込データなし, 010010107 処理できないステータス, 010010113
//! 処理期限切) and has no date or amount code — a request without date and
//! amount, which among the two Secure Link requests is the cancel. The
//! `invalid` tables split the same way: `000000xx` names act, clientip,
//! money, order_no, autype, date, zkey (the settle's fields, SPEC §5);
//! `000001xx` names only 加盟店コード (00000100), オーダー番号 (00000101),
//! メールプラグ (00000102) and 認証キー (00000103): the cancel's fields
//! (clientip, order_no, zkey, SPEC §6) and メールプラグ, a parameter the
//! cancel request of the manual does not list, so no request of ours can
//! break it and `00000102` is never answered. So a cancel is answered
//! from the cancel family: unknown order `010010101`, wrong zkey
//! `010010100`, status `010010107`, window `010010113`, malformed clientip
//! `00000100`, order_no `00000101`, zkey `00000103` (a malformed `act` is
//! `00000000`: before `act` is read the request is neither). The family
//! has three 処理期限切 codes (113–115) the manual does not tell apart; we
//! answer `010010113`, the settle's `010010013` + 100.
//!
//! # Decisions
//! - A Completed order whose settle time is unknown (a merchant copy that
//!   only learned 07 from a CGI call) is not refused on the window: the
//!   pre-check only refuses what it can prove the gateway refuses.
//! - A cancel that fails at the carrier is answered `failure_order` with a
//!   carrier code ([`CANCEL_CARRIER_FAILURE`]), while the order moves
//!   to 09 or 11. Reasons: the manual's rule is "succeeded iff
//!   `Success_order`" (R-RS-2), and the cancel did not succeed — the
//!   shopper is still charged (09: the merchant must refund by itself) or
//!   still authorized (11); the manual's `failure_order` table lists
//!   carrier codes that only a cancel produces (010100025, 010100026,
//!   010100037, 010208452 取消処理を中止しました), so carrier cancel
//!   failures do reach the response; and a settle rejected by the carrier is
//!   answered the same way (R-TR-2). A merchant that reads a carrier code
//!   knows the status moved (see [`cancel_events_for`]).

use crate::carrier::CarrierResult;
use crate::error_code::codes::{
    CANCEL_AUTH_FAILED, CANCEL_CARRIER_FAILURE, CANCEL_EXPIRED, CANCEL_NOT_ALLOWED,
    CANCEL_ORDER_NOT_FOUND,
};
use crate::error_code::reconcile_first;
use crate::order::{Event, Order};
use crate::secure_link::{GatewayAnswer, Outcome, Refusal, ZkeyCheck, is_carrier_code};
use crate::settle::OrderFacts;
use crate::status::Status;
use crate::time::{JstDateTime, cancel_deadline, to_jst};
use crate::transition::{EventKind, next_status};

/// What an accepted cancel does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelPlan {
    /// Cancel an authorization (from Authorized or SettleReserved): 10 when
    /// the carrier carries it out, 11 when it fails.
    Authorization {
        /// The last instant the cancel is accepted (acceptance + 50 × 24 h).
        deadline: JstDateTime,
    },
    /// Cancel a completed sale: 08 when the carrier carries it out, 09 when
    /// it fails.
    Sale {
        /// The last instant the cancel is accepted (settle time + 50 × 24 h);
        /// `None` when the settle time is unknown.
        deadline: Option<JstDateTime>,
    },
}

impl CancelPlan {
    /// The last instant the cancel is accepted; `None` when it cannot be
    /// known (a completed sale whose settle time is unknown).
    pub const fn deadline(&self) -> Option<JstDateTime> {
        match *self {
            CancelPlan::Authorization { deadline } => Some(deadline),
            CancelPlan::Sale { deadline } => deadline,
        }
    }
}

/// Which cancel an order in `status` allows, and until when (R-CN-1, D-7),
/// read from the transition table: a status takes a cancel iff
/// [`TRANSITIONS`](crate::transition::TRANSITIONS) has a CancelOk row from
/// it; the row's target says what is cancelled — an authorization
/// (→ 10 AuthorizationCancelled, counted 50 × 24 h from the acceptance) or
/// a sale (→ 08 Cancelled, counted from the settle time).
pub fn cancel_plan(
    status: Status,
    accepted_at: &JstDateTime,
    settled_at: Option<&JstDateTime>,
) -> Option<CancelPlan> {
    let cancelled = next_status(status, EventKind::CancelOk).ok()?;
    match cancelled {
        Status::AuthorizationCancelled => Some(CancelPlan::Authorization {
            deadline: cancel_deadline(accepted_at),
        }),
        Status::Cancelled => Some(CancelPlan::Sale {
            deadline: settled_at.map(cancel_deadline),
        }),
        // No CancelOk row leads anywhere else (a test checks the table).
        Status::Accepting
        | Status::PaymentFailed
        | Status::Authorized
        | Status::SettleReserved
        | Status::Settling
        | Status::SettleFailed
        | Status::Completed
        | Status::CompletedCancelFailed
        | Status::AuthorizationCancelFailed => None,
    }
}

/// Decides a cancel exactly as the gateway does (R-CN-1; see the module
/// docs): the plan, or the refusal with the gateway's code and rule.
pub fn check_cancel(order: &OrderFacts, now: JstDateTime) -> Result<CancelPlan, Refusal> {
    let plan = cancel_plan(order.status, &order.accepted_at, order.settled_at.as_ref())
        .ok_or(Refusal::new(CANCEL_NOT_ALLOWED, "R-CN-1"))?;
    if plan.deadline().is_some_and(|d| to_jst(&now) > d) {
        return Err(Refusal::new(CANCEL_EXPIRED, "R-CN-1"));
    }
    Ok(plan)
}

/// The gateway's side of a cancel (the sandbox): what it answers and which
/// events it applies to its order.
///
/// Unknown order → `010010101`; [`ZkeyCheck::Wrong`] → `010010100`
/// ([`ZkeyCheck::ScreenLogin`] authenticates: the management screen); a
/// refusal of [`check_cancel`] → its code; otherwise the carrier decides:
/// [`CarrierResult::Succeeds`] → `Success_order` (no date) and CancelOk;
/// [`CarrierResult::Fails`] →
/// `failure_order` [`CANCEL_CARRIER_FAILURE`] and CancelFail (see the
/// module docs for why).
pub fn answer_cancel(
    order: Option<&Order>,
    zkey: ZkeyCheck,
    carrier: CarrierResult,
    now: JstDateTime,
) -> GatewayAnswer {
    let Some(order) = order else {
        return GatewayAnswer::refused(&Refusal::new(CANCEL_ORDER_NOT_FOUND, "SPEC §6"));
    };
    match zkey {
        ZkeyCheck::Matches | ZkeyCheck::ScreenLogin => {}
        ZkeyCheck::Wrong => {
            return GatewayAnswer::refused(&Refusal::new(CANCEL_AUTH_FAILED, "SPEC §6"));
        }
    }
    if let Err(refusal) = check_cancel(&OrderFacts::from(order), now) {
        return GatewayAnswer::refused(&refusal);
    }
    match carrier {
        CarrierResult::Succeeds => GatewayAnswer::success(None, vec![Event::CancelOk]),
        CarrierResult::Fails => {
            GatewayAnswer::failed(CANCEL_CARRIER_FAILURE, vec![Event::CancelFail])
        }
    }
}

/// The merchant's side after a response: the events to apply to its own
/// copy. Success → CancelOk; failure with a carrier code → CancelFail (the
/// carrier failed; the order is now 09 or 11); any other failure,
/// maintenance or invalid → nothing; unknown → nothing, and the caller marks
/// the order for reconciliation (R-RS-3).
pub fn cancel_events_for(plan: &CancelPlan, outcome: &Outcome) -> Vec<Event> {
    // Both plans take the same events; the transition table picks the
    // target status (10/11 or 08/09).
    match (outcome, plan) {
        (Outcome::Success { .. }, CancelPlan::Authorization { .. } | CancelPlan::Sale { .. }) => {
            vec![Event::CancelOk]
        }
        (Outcome::Failure { code }, CancelPlan::Authorization { .. } | CancelPlan::Sale { .. })
            if is_carrier_code(code.raw()) && !reconcile_first(code.raw()) =>
        {
            vec![Event::CancelFail]
        }
        (
            Outcome::Failure { .. }
            | Outcome::Maintenance { .. }
            | Outcome::Invalid { .. }
            | Outcome::Unknown { .. },
            CancelPlan::Authorization { .. } | CancelPlan::Sale { .. },
        ) => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
