//! Settle (`act=settled`): the merchant's pre-check, the gateway's answer
//! and the events a response means (SPEC §5, R-SL-1..7, R-TR-1, R-TR-2).
//!
//! One function, [`check_settle`], decides every rule. The merchant calls it
//! before sending (a refusal is answered locally with the exact code the
//! gateway would give); the sandbox gateway calls it through
//! [`answer_settle`]; so the prediction and the answer cannot drift apart.
//!
//! # The order in which rules are checked
//! The gateway reports one code; when a request breaks several rules, the
//! first of this list wins:
//! 1. status (R-TR-1): a settle of either `autype` needs Authorized or
//!    SettleReserved, otherwise `010010007`;
//! 2. `autype=auth` (R-SL-6): only SettleReserved, and only before the
//!    reservation's date (up to 23:59:59 of the day before), otherwise
//!    `010010010`; a withdrawal ignores `money` and `date`;
//! 3. window passed (R-SL-7): today is after acceptance date + 50 days →
//!    `010010013`;
//! 4. date (R-SL-1): the requested date, or the default of R-SL-3, lies
//!    before today or after acceptance date + 50 days → `010010011`;
//! 5. today at/after 23:55 (R-SL-4): an explicit `date` = today from 23:55:00
//!    → `010010012` (the default date is tomorrow by then, R-SL-3);
//! 6. amount (R-SL-5): docomo/au: 0 or above the original → `010010014`;
//!    SoftBank: anything but the original → `010010015`. "Original" is the
//!    amount of the shopper's order (初回決済金額), whatever a reservation
//!    changed it to since.
//!
//! Rules 1 and 2 overlap for `autype=auth` in a status that allows no
//! settle (e.g. Completed): we answer R-TR-1's `010010007`; `010010010` is
//! kept for a withdrawal from a status that does allow settling.

use chrono::NaiveDate;

use crate::carrier::{Carrier, CarrierResult};
use crate::error_code::codes::{
    AMOUNT_ABOVE_ORIGINAL, AMOUNT_NOT_ORIGINAL, AUTH_FAILED, DATE_AFTER_CUTOFF, DATE_OUT_OF_RANGE,
    EXPIRED, NOT_ALLOWED, ORDER_NOT_FOUND, SETTLE_CARRIER_FAILURE, WITHDRAW_NOT_ALLOWED,
};
use crate::error_code::reconcile_first;
use crate::order::{Event, Order};
use crate::secure_link::{
    Autype, GatewayAnswer, Outcome, SettleRequest, ZkeyCheck, is_carrier_code,
};
use crate::status::Status;
use crate::time::{
    JstDateTime, after_settle_cutoff, default_settle_date, jst_date, last_settle_date,
};
use crate::transition::{EventKind, next_status};

pub use crate::secure_link::Refusal;

/// What the rules need to know about an order: the gateway's copy or the
/// merchant's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFacts {
    /// The current status.
    pub status: Status,
    /// The carrier (decides R-SL-5).
    pub carrier: Carrier,
    /// The amount of the shopper's order (R-SL-5).
    pub original_money: u32,
    /// Where the 50-day windows count from (R-SL-1, R-SL-7, R-CN-1): the
    /// moment the shopper's acceptance completed (ユーザー受付完了日時, the
    /// order entered 03 or 07). The gateway knows it
    /// ([`Order::acceptance_completed_at`]); the merchant uses the receipt of
    /// its first notification, never earlier ([`crate::merchant::window_start`]).
    pub accepted_at: JstDateTime,
    /// When the sale was confirmed (R-CN-1 for Completed).
    pub settled_at: Option<JstDateTime>,
    /// The reserved (or used) settle date (R-SL-6).
    pub settle_date: Option<NaiveDate>,
}

impl From<&Order> for OrderFacts {
    fn from(o: &Order) -> OrderFacts {
        OrderFacts {
            status: o.status(),
            carrier: o.carrier(),
            original_money: o.original_money(),
            // 受付完了 is the moment the order left 01 (docs/DECISIONS.md);
            // an order still in 01 (or declined) has no window, and its
            // status refuses every operation first.
            accepted_at: o.acceptance_completed_at().unwrap_or(o.accepted_at()),
            settled_at: o.settled_at(),
            settle_date: o.settle_date(),
        }
    }
}

/// The optional parameters of a settle (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SettleParams {
    /// `money`; absent means the original amount.
    pub money: Option<u32>,
    /// `autype`; absent means `sale`.
    pub autype: Option<Autype>,
    /// `date`; absent means R-SL-3's default.
    pub date: Option<NaiveDate>,
}

impl From<&SettleRequest> for SettleParams {
    fn from(r: &SettleRequest) -> SettleParams {
        SettleParams {
            money: r.money,
            autype: r.autype,
            date: r.date,
        }
    }
}

/// What an accepted settle does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettlePlan {
    /// Settle at once: date = today, the carrier answers in the same
    /// response (R-SL-2, R-TR-2).
    Today {
        /// Today, the date the response carries (R-SL-3).
        date: NaiveDate,
        /// The amount to settle.
        money: u32,
    },
    /// Reserve a settle for a future date (R-SL-2).
    Reserve {
        /// The reserved date, which the response carries (R-SL-3).
        date: NaiveDate,
        /// The amount to settle.
        money: u32,
    },
    /// Withdraw the reservation (`autype=auth`, R-SL-6).
    Withdraw,
}

impl SettlePlan {
    /// The date a `Success_order` response to a request received at `now`
    /// carries (R-SL-3): the settle's date; for a withdrawal, which has no
    /// 売上指定日, the manual's answer for that case (L355: "売上指定日がない
    /// 場合には … 00:00:00~23:54:59 → 受付日を返答 23:55:00~23:59:59 → 受付日の
    /// 翌日を返答"), the reception date or, from 23:55, the next day
    /// (docs/DECISIONS.md).
    pub fn response_date(&self, now: JstDateTime) -> NaiveDate {
        match self {
            SettlePlan::Today { date, .. } | SettlePlan::Reserve { date, .. } => *date,
            SettlePlan::Withdraw => default_settle_date(&now),
        }
    }
}

/// Decides a settle exactly as the gateway does (see the module docs for
/// the rules and their order): the plan, or the refusal with the
/// gateway's `result`, code and rule.
pub fn check_settle(
    order: &OrderFacts,
    params: &SettleParams,
    now: JstDateTime,
) -> Result<SettlePlan, Refusal> {
    let today = jst_date(&now);
    if next_status(order.status, EventKind::SettleToday).is_err() {
        return Err(Refusal::new(NOT_ALLOWED, "R-TR-1"));
    }
    match params.autype.unwrap_or_default() {
        Autype::Auth => {
            let before_date = order.settle_date.is_some_and(|d| today < d);
            return if next_status(order.status, EventKind::WithdrawReservation).is_ok()
                && before_date
            {
                Ok(SettlePlan::Withdraw)
            } else {
                Err(Refusal::new(WITHDRAW_NOT_ALLOWED, "R-SL-6"))
            };
        }
        Autype::Sale => {}
    }
    let last = last_settle_date(&order.accepted_at);
    if today > last {
        return Err(Refusal::new(EXPIRED, "R-SL-7"));
    }
    let date = params.date.unwrap_or_else(|| default_settle_date(&now));
    if date < today || date > last {
        return Err(Refusal::new(DATE_OUT_OF_RANGE, "R-SL-1"));
    }
    if date == today && after_settle_cutoff(&now) {
        return Err(Refusal::new(DATE_AFTER_CUTOFF, "R-SL-4"));
    }
    let original = order.original_money;
    let money = params.money.unwrap_or(original);
    if order.carrier.may_change_amount() {
        if money == 0 || money > original {
            return Err(Refusal::new(AMOUNT_ABOVE_ORIGINAL, "R-SL-5"));
        }
    } else if money != original {
        return Err(Refusal::new(AMOUNT_NOT_ORIGINAL, "R-SL-5"));
    }
    Ok(if date == today {
        SettlePlan::Today { date, money }
    } else {
        SettlePlan::Reserve { date, money }
    })
}

/// The gateway's side of a settle (the sandbox): what it answers and which
/// events it applies to its order.
///
/// `order` is the order with the request's number (`None`: unknown →
/// `010010001`); `zkey` says whether the request's clientip and zkey
/// authenticate the order's merchant ([`ZkeyCheck::Wrong`] → `010010000`);
/// `carrier` decides a settle dated today: confirmed (`Success_order`, events
/// SettleToday + CarrierConfirmsSettle) or rejected (`failure_order`
/// [`SETTLE_CARRIER_FAILURE`], events SettleToday +
/// CarrierRejectsSettle) in the same response (R-TR-2). A reservation
/// answers `Success_order` with its date (SettleFuture); a withdrawal
/// answers `Success_order` with the reception date (WithdrawReservation;
/// [`SettlePlan::response_date`]).
pub fn answer_settle(
    order: Option<&Order>,
    zkey: ZkeyCheck,
    params: &SettleParams,
    carrier: CarrierResult,
    now: JstDateTime,
) -> GatewayAnswer {
    let Some(order) = order else {
        return GatewayAnswer::refused(&Refusal::new(ORDER_NOT_FOUND, "SPEC §5"));
    };
    match zkey {
        ZkeyCheck::Matches | ZkeyCheck::ScreenLogin => {}
        ZkeyCheck::Wrong => {
            return GatewayAnswer::refused(&Refusal::new(AUTH_FAILED, "SPEC §5"));
        }
    }
    let plan = match check_settle(&OrderFacts::from(order), params, now) {
        Ok(plan) => plan,
        Err(refusal) => return GatewayAnswer::refused(&refusal),
    };
    match plan {
        SettlePlan::Today { date, money } if carrier == CarrierResult::Succeeds => {
            GatewayAnswer::success(
                Some(date),
                vec![Event::SettleToday { money }, Event::CarrierConfirmsSettle],
            )
        }
        SettlePlan::Today { money, .. } => GatewayAnswer::failed(
            SETTLE_CARRIER_FAILURE,
            vec![Event::SettleToday { money }, Event::CarrierRejectsSettle],
        ),
        SettlePlan::Reserve { date, money } => {
            GatewayAnswer::success(Some(date), vec![Event::SettleFuture { date, money }])
        }
        SettlePlan::Withdraw => GatewayAnswer::success(
            Some(plan.response_date(now)),
            vec![Event::WithdrawReservation],
        ),
    }
}

/// The instant from which no settle of an order accepted at `accepted_at`
/// is accepted any more: 23:55 Japan time of the last allowed settle date
/// (acceptance date + 50, D-7). From then on "today" is refused (R-SL-4) and
/// the default date, tomorrow, lies beyond the window (R-SL-1, R-SL-3).
pub fn settle_window_closes(accepted_at: &JstDateTime) -> JstDateTime {
    let day = crate::time::start_of_jst_day(last_settle_date(accepted_at));
    day + crate::time::SETTLE_CUTOFF.signed_duration_since(chrono::NaiveTime::MIN)
}

/// The gateway's side when a reservation's date arrives (00:00 Japan time
/// of the date, R-SL-2): the order moves to Settling, then the carrier
/// confirms (→ Completed) or rejects (→ SettleFailed) (SPEC §3).
pub const fn date_arrival_events(carrier: CarrierResult) -> [Event; 2] {
    [
        Event::SettleDateArrives,
        match carrier {
            CarrierResult::Succeeds => Event::CarrierConfirmsSettle,
            CarrierResult::Fails => Event::CarrierRejectsSettle,
        },
    ]
}

/// The merchant's side after a response: the events to apply to its own
/// copy of the order, for the plan it sent and the outcome it got.
///
/// - Success: the plan's events; the response's `date` wins over the
///   plan's. A plan for today answered with a later date means the request
///   (sent without `date` before 23:55) reached the gateway at/after 23:55
///   and became a reservation for tomorrow (R-SL-3): SettleFuture.
/// - Failure with a carrier code on a plan for today: the settle reached
///   the carrier and was rejected (R-TR-2): SettleToday +
///   CarrierRejectsSettle — unless the catalog marks the code "reconcile
///   first" (already settled, already settling, a double request: the
///   order did not fail, [`crate::error_code::reconcile_first`]). Any other
///   failure: the gateway refused, nothing changed.
/// - Maintenance, Invalid: nothing changed.
/// - Unknown: nothing is applied; the caller marks the order for
///   reconciliation (R-RS-3, [`Outcome::needs_reconciliation`]).
pub fn settle_events_for(plan: &SettlePlan, outcome: &Outcome) -> Vec<Event> {
    match (outcome, *plan) {
        (Outcome::Success { date }, SettlePlan::Today { date: today, money }) => match date {
            Some(d) if *d > today => vec![Event::SettleFuture { date: *d, money }],
            Some(_) | None => vec![Event::SettleToday { money }, Event::CarrierConfirmsSettle],
        },
        (
            Outcome::Success { date },
            SettlePlan::Reserve {
                date: planned,
                money,
            },
        ) => {
            vec![Event::SettleFuture {
                date: date.unwrap_or(planned),
                money,
            }]
        }
        (Outcome::Success { .. }, SettlePlan::Withdraw) => vec![Event::WithdrawReservation],
        (Outcome::Failure { code }, SettlePlan::Today { money, .. })
            if is_carrier_code(code.raw()) && !reconcile_first(code.raw()) =>
        {
            vec![Event::SettleToday { money }, Event::CarrierRejectsSettle]
        }
        (
            Outcome::Failure { .. }
            | Outcome::Maintenance { .. }
            | Outcome::Invalid { .. }
            | Outcome::Unknown { .. },
            SettlePlan::Today { .. } | SettlePlan::Reserve { .. } | SettlePlan::Withdraw,
        ) => Vec::new(),
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
pub(crate) mod tests;
