//! What a CGI notification does to the merchant's record (R-CG-3, R-CG-4),
//! with the integrity check against the merchant's saved checkout.

use serde::{Serialize, Serializer};

use super::is_ahead;
use super::reason::{FlagKind, ReconcileReason};
use super::record::{Counters, MerchantRecord, RecordParts, StatusSet, Step, Withdrawal};
use crate::callback::{Callback, CgiErrorCode, CgiParam};
use crate::carrier::Carrier;
use crate::status::Status;
use crate::time::{JstDateTime, to_jst};
use crate::values::{ClientIp, Money, OrderNo, SendId, ValueError};

/// A CGI notification as the merchant received it: the model's input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Notice {
    /// `order_no`.
    pub order_no: OrderNo,
    /// `status`.
    pub status: Status,
    /// `money`, when the merchant receives it.
    pub money: Option<Money>,
    /// `carrier_type`, when received.
    pub carrier: Option<Carrier>,
    /// `clientip`, when received.
    pub clientip: Option<ClientIp>,
    /// `sendid`, when received (and not empty).
    pub sendid: Option<SendId>,
    /// `sendpoint`, when received (and not empty).
    pub sendpoint: Option<String>,
    /// `error_code`, when received.
    pub error_code: Option<CgiErrorCode>,
    /// When the merchant received it.
    pub received_at: JstDateTime,
}

/// Why a parsed CGI call is not a notification the model can take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoticeError {
    /// A parameter the model needs is absent (`order_no`, `status`).
    #[error("{param}: missing (a CGI call must carry order_no and status)")]
    Missing {
        /// The parameter.
        param: CgiParam,
    },
    /// A value breaks the manual's rule for it.
    #[error(transparent)]
    Value(#[from] ValueError),
}

impl Notice {
    /// A notification with only the required parts; set the other fields as
    /// received.
    pub fn new(order_no: OrderNo, status: Status, received_at: JstDateTime) -> Notice {
        Notice {
            order_no,
            status,
            money: None,
            carrier: None,
            clientip: None,
            sendid: None,
            sendpoint: None,
            error_code: None,
            received_at: to_jst(&received_at),
        }
    }

    /// The notification a parsed CGI call carries. An empty `sendid` or
    /// `sendpoint` counts as absent (the merchant sent none).
    pub fn from_callback(cb: &Callback, received_at: JstDateTime) -> Result<Notice, NoticeError> {
        let order_no = cb.order_no.clone().ok_or(NoticeError::Missing {
            param: CgiParam::OrderNo,
        })?;
        let status = cb.status.ok_or(NoticeError::Missing {
            param: CgiParam::Status,
        })?;
        let mut n = Notice::new(order_no, status, received_at);
        n.money = cb.money.map(Money::from_yen).transpose()?;
        n.carrier = cb.carrier;
        n.clientip = cb.clientip.clone();
        n.sendid = match cb.sendid.as_deref() {
            None | Some("") => None,
            Some(s) => Some(SendId::parse(s)?),
        };
        n.sendpoint = cb.sendpoint.clone().filter(|s| !s.is_empty());
        n.error_code = cb.error_code.clone();
        Ok(n)
    }
}

/// An order request the merchant rendered, saved under its `sendid` to
/// check the gateway's calls against; bound to the first order that used
/// it (one checkout, one order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Checkout {
    /// The merchant's `sendid` for the order request.
    pub sendid: SendId,
    /// The amount requested.
    pub money: Money,
    /// The carrier requested.
    pub carrier: Carrier,
    /// When the merchant rendered the order form.
    pub created_at: JstDateTime,
    /// The order that used this checkout, once one did.
    pub order_no: Option<OrderNo>,
}

impl Checkout {
    /// A checkout no order has used yet.
    pub fn new(
        sendid: SendId,
        money: Money,
        carrier: Carrier,
        created_at: JstDateTime,
    ) -> Checkout {
        Checkout {
            sendid,
            money,
            carrier,
            created_at: to_jst(&created_at),
            order_no: None,
        }
    }

    /// Whether this checkout's form may be rendered (again): not once an
    /// order used it (docs/DECISIONS.md). The gateway takes the same form as a new
    /// order, so a second payment would charge the shopper again, and the
    /// merchant would only flag it (one checkout, one order): a charge
    /// with no record to settle or cancel.
    pub fn check_unused(&self) -> Result<(), CheckoutUsed> {
        match &self.order_no {
            None => Ok(()),
            Some(order_no) => Err(CheckoutUsed {
                sendid: self.sendid.clone(),
                order_no: order_no.clone(),
            }),
        }
    }
}

/// A checkout an order already used: its form is not rendered again
/// ([`Checkout::check_unused`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "checkout sendid \"{sendid}\" was already used by order {order_no}; a new payment needs a new checkout"
)]
#[non_exhaustive]
pub struct CheckoutUsed {
    /// The checkout's `sendid`.
    pub sendid: SendId,
    /// The order that used it.
    pub order_no: OrderNo,
}

impl Checkout {
    /// Whether `asked`, saved again under this checkout's `sendid`, is the
    /// same order request (same amount and carrier): saving it again
    /// changes nothing. Another amount or carrier under a saved `sendid` is
    /// a conflict: the saved checkout is what CGI calls are checked
    /// against, so it must never change.
    pub fn same_request(&self, asked: &Checkout) -> bool {
        self.sendid == asked.sendid && self.money == asked.money && self.carrier == asked.carrier
    }
}

/// Why a notification was stored but not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Flag {
    /// `carrier_type` differs from the checkout's.
    #[error("carrier mismatch for sendid \"{sendid}\": checkout {} but call {}", checkout.code(), call.code())]
    CarrierMismatch {
        /// The checkout's `sendid`.
        sendid: SendId,
        /// The checkout's carrier.
        checkout: Carrier,
        /// The call's carrier.
        call: Carrier,
    },
    /// `money` disagrees with the checkout's ([`amount_agrees`]).
    #[error(
        "money mismatch for sendid \"{sendid}\": checkout {checkout} yen but call {call} yen with status {}",
        status.code()
    )]
    MoneyMismatch {
        /// The checkout's `sendid`.
        sendid: SendId,
        /// The checkout's amount.
        checkout: Money,
        /// The call's amount.
        call: Money,
        /// The status the call reported.
        status: Status,
    },
    /// The checkout was already used by another order: a replayed order
    /// form (one checkout, one order).
    #[error("sendid \"{sendid}\" was already used by order {used_by}: one checkout, one order")]
    CheckoutUsed {
        /// The checkout's `sendid`.
        sendid: SendId,
        /// The order that used it first.
        used_by: OrderNo,
    },
    /// No checkout was saved for the call's `sendid` (or the call carries
    /// none), and this merchant issues its checkouts
    /// ([`UnknownSendId::Flag`]).
    #[error(
        "{}: this merchant issues its checkouts, so the call is not applied",
        no_checkout_subject(sendid.as_ref())
    )]
    NoCheckout {
        /// The call's `sendid`, when it carried one.
        sendid: Option<SendId>,
    },
}

/// What [`Flag::NoCheckout`] names: the `sendid`, or its absence.
fn no_checkout_subject(sendid: Option<&SendId>) -> String {
    match sendid {
        Some(s) => format!("no checkout saved for sendid \"{s}\""),
        None => "the call carries no sendid".to_owned(),
    }
}

impl Flag {
    /// The flag's stable kind.
    pub const fn kind(&self) -> FlagKind {
        match self {
            Flag::CarrierMismatch { .. } => FlagKind::CarrierMismatch,
            Flag::MoneyMismatch { .. } => FlagKind::MoneyMismatch,
            Flag::CheckoutUsed { .. } => FlagKind::CheckoutUsed,
            Flag::NoCheckout { .. } => FlagKind::NoCheckout,
        }
    }
}

/// What happens to a CGI call whose `sendid` has no saved checkout: a
/// policy of the merchant's configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, strum::EnumIter)]
#[non_exhaustive]
pub enum UnknownSendId {
    /// The merchant issues every checkout (the facade's `checkout` saves
    /// it): a call without one is stored and flagged, not applied
    /// (the default; INTERFACES v3 `--unknown-sendid flag`).
    #[default]
    Flag,
    /// The merchant renders some Link Point forms itself, without saving a
    /// checkout: such calls are applied unchecked (v2's behaviour,
    /// `--unknown-sendid apply`). Whoever reaches the callback through the
    /// allowlist can then create orders.
    Apply,
}

impl Serialize for Flag {
    /// The flag's message.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Whether a notification's amount agrees with what this merchant knows,
/// at every status: the amount the shopper ordered (the checkout's), or an
/// amount this merchant itself settled — the record's current amount
/// (which only an own settle lowers, R-SL-5) or the amount of a settle in
/// flight (sent, its answer not recorded yet: the gateway's CGI call may
/// overtake the answer). Nothing else can change the amount, so a lower
/// amount that no own settle asked for is a forgery or a mistake.
pub fn amount_agrees(ordered: Money, record: Option<&MerchantRecord>, money: Money) -> bool {
    money == ordered
        || record.is_some_and(|r| {
            r.money() == Some(money) || r.in_flight().is_some_and(|f| f.money == Some(money))
        })
}

/// Where the merchant's 50-day windows (D-7) of an order first seen at
/// `received_at` count from: the receipt of its first notification.
///
/// The gateway counts from the moment the shopper's acceptance completed
/// (G: the order entered 03 or 07, [`crate::order::Order::acceptance_completed_at`]).
/// A CGI call carries no time, and the gateway sends it only after the
/// order entered the status it reports, so the receipt R of any first
/// notification that opens a window (03, 04, 07, …) satisfies R ≥ G. The
/// merchant's windows therefore close no earlier than the gateway's: its
/// pre-check refuses only what the gateway refuses too, and between the
/// gateway's close and its own (a span of R − G, the first call's delivery
/// delay) it sends and applies the gateway's answer (docs/DECISIONS.md).
/// A saved checkout's time is NOT used: it precedes G, so windows counted
/// from it would refuse settles and cancels the gateway still accepts.
pub const fn window_start(received_at: JstDateTime) -> JstDateTime {
    received_at
}

/// What a notification did to the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoticeEffect {
    /// The first notification: the record was created in `status`.
    Created {
        /// The reported status.
        #[serde(serialize_with = "code")]
        status: Status,
    },
    /// The record moved forward.
    Advanced {
        /// The status before.
        #[serde(serialize_with = "code")]
        from: Status,
        /// The reported status.
        #[serde(serialize_with = "code")]
        to: Status,
    },
    /// Already notified, or the record's own status: nothing changed
    /// (R-CG-3).
    Duplicate {
        /// The record's status.
        #[serde(serialize_with = "code")]
        status: Status,
    },
    /// Late and never seen before: counted, nothing moved (R-CG-4).
    Stale {
        /// The record's status.
        #[serde(serialize_with = "code")]
        current: Status,
        /// The reported status.
        #[serde(serialize_with = "code")]
        reported: Status,
    },
    /// Failed the integrity check: stored, not applied.
    Flagged {
        /// Why.
        flag: Flag,
        /// The record's status; `None` when there is no record.
        #[serde(serialize_with = "opt_code")]
        current: Option<Status>,
        /// The reported status.
        #[serde(serialize_with = "code")]
        reported: Status,
    },
}

fn code<S: Serializer>(s: &Status, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.code())
}

fn opt_code<S: Serializer>(s: &Option<Status>, ser: S) -> Result<S::Ok, S::Error> {
    match s {
        Some(s) => ser.serialize_str(s.code()),
        None => ser.serialize_none(),
    }
}

/// The kind of a [`NoticeEffect`], as stored and counted.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EffectKind {
    /// Created the record.
    Create,
    /// Moved the record forward.
    Advance,
    /// Already notified (R-CG-3).
    Duplicate,
    /// Late, never seen; did not move (R-CG-4).
    Stale,
    /// Failed the integrity check; not applied.
    Flagged,
}

impl EffectKind {
    /// The stored name: `create`, `advance`, `duplicate`, `stale`, `flagged`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses [`EffectKind::as_str`].
    pub fn from_name(s: &str) -> Option<EffectKind> {
        s.parse().ok()
    }
}

impl NoticeEffect {
    /// The effect's kind.
    pub const fn kind(&self) -> EffectKind {
        match self {
            NoticeEffect::Created { .. } => EffectKind::Create,
            NoticeEffect::Advanced { .. } => EffectKind::Advance,
            NoticeEffect::Duplicate { .. } => EffectKind::Duplicate,
            NoticeEffect::Stale { .. } => EffectKind::Stale,
            NoticeEffect::Flagged { .. } => EffectKind::Flagged,
        }
    }

    /// Whether the record was created or moved.
    pub const fn changes_state(&self) -> bool {
        matches!(
            self,
            NoticeEffect::Created { .. } | NoticeEffect::Advanced { .. }
        )
    }
}

/// The model's answer to a notification: what to persist.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NoticeDecision {
    /// What the notification did.
    pub effect: NoticeEffect,
    /// The record after the notification; `None` only for a flagged
    /// notification of an order with no record.
    pub record: Option<MerchantRecord>,
    /// The accepted status change (history entry and outbox event), for a
    /// created or advanced record.
    pub step: Option<Step>,
    /// The checkout to bind to this order (first use of its `sendid`).
    pub claim: Option<SendId>,
}

/// The integrity check: the reason a notification disagrees with the
/// checkout saved for its `sendid`, or `None` when it agrees. A parameter
/// the merchant does not receive is not checked.
fn integrity(checkout: &Checkout, record: Option<&MerchantRecord>, n: &Notice) -> Option<Flag> {
    if let Some(used_by) = &checkout.order_no
        && *used_by != n.order_no
    {
        return Some(Flag::CheckoutUsed {
            sendid: checkout.sendid.clone(),
            used_by: used_by.clone(),
        });
    }
    if let Some(call) = n.carrier
        && call != checkout.carrier
    {
        return Some(Flag::CarrierMismatch {
            sendid: checkout.sendid.clone(),
            checkout: checkout.carrier,
            call,
        });
    }
    let call = n.money?;
    (!amount_agrees(checkout.money, record, call)).then(|| Flag::MoneyMismatch {
        sendid: checkout.sendid.clone(),
        checkout: checkout.money,
        call,
        status: n.status,
    })
}

/// Decides what notification `n` does to `record` (`None`: no record yet),
/// given the checkout saved for its `sendid` (`None`: none was saved, or
/// the call carries no `sendid`) and the merchant's policy for calls
/// without a checkout. See the module docs for the rules.
pub fn on_notification(
    record: Option<&MerchantRecord>,
    checkout: Option<&Checkout>,
    n: &Notice,
    unknown_sendid: UnknownSendId,
) -> NoticeDecision {
    let at = to_jst(&n.received_at);
    let current = record.map(MerchantRecord::status);
    let checkout = checkout.filter(|c| n.sendid.as_ref() == Some(&c.sendid));
    let flag = match (checkout, unknown_sendid) {
        (Some(c), _) => integrity(c, record, n),
        (None, UnknownSendId::Flag) => Some(Flag::NoCheckout {
            sendid: n.sendid.clone(),
        }),
        (None, UnknownSendId::Apply) => None,
    };
    if let Some(flag) = flag {
        let record = record.map(|r| {
            let mut p = r.parts().clone();
            p.counters.flagged += 1;
            if p.reconciliation.is_none() {
                p.reconciliation = Some(ReconcileReason::Flagged(flag.kind()));
            }
            MerchantRecord::from_model(p.settle())
        });
        return NoticeDecision {
            effect: NoticeEffect::Flagged {
                flag,
                current,
                reported: n.status,
            },
            record,
            step: None,
            claim: None,
        };
    }
    let Some(r) = record else {
        return create(checkout, n, at);
    };
    let mut p = r.parts().clone();
    let reported = n.status;
    let withdrawn = p.status == Status::SettleReserved
        && reported == Status::Authorized
        && p.withdrawal == Withdrawal::Requested;
    let effect = if withdrawn
        || (reported != p.status && !p.notified.contains(reported) && is_ahead(p.status, reported))
    {
        let from = p.status;
        advance(&mut p, n, at);
        NoticeEffect::Advanced { from, to: reported }
    } else if reported == p.status || p.notified.contains(reported) {
        p.counters.duplicates += 1;
        NoticeEffect::Duplicate { status: p.status }
    } else {
        p.counters.stale += 1;
        NoticeEffect::Stale {
            current: p.status,
            reported,
        }
    };
    p.notified = p.notified.with(reported);
    let step = match effect {
        NoticeEffect::Advanced { from, to } => Some(Step {
            from: Some(from),
            to,
            at,
        }),
        _ => None,
    };
    NoticeDecision {
        effect,
        record: Some(MerchantRecord::from_model(p.settle())),
        step,
        claim: None,
    }
}

/// The first notification of an order: the record is created in the
/// reported status.
fn create(checkout: Option<&Checkout>, n: &Notice, at: JstDateTime) -> NoticeDecision {
    let window_from = window_start(at);
    let status = n.status;
    let parts = RecordParts {
        order_no: n.order_no.clone(),
        status,
        money: n.money,
        original_money: n.money,
        carrier: n.carrier,
        clientip: n.clientip.clone(),
        sendid: n.sendid.clone(),
        sendpoint: n.sendpoint.clone(),
        first_seen_at: at,
        window_from,
        settle_date: None,
        // A sale first seen completed was settled no earlier than the
        // windows' start: the Completed cancel window errs early.
        settled_at: (status == Status::Completed).then_some(window_from),
        reconciliation: None,
        notified: StatusSet::EMPTY.with(status),
        withdrawal: Withdrawal::None,
        in_flight: None,
        counters: Counters::new(1, 0, 0, 0),
    };
    NoticeDecision {
        effect: NoticeEffect::Created { status },
        record: Some(MerchantRecord::from_model(parts)),
        step: Some(Step {
            from: None,
            to: status,
            at,
        }),
        claim: checkout
            .filter(|c| c.order_no.is_none())
            .map(|c| c.sendid.clone()),
    }
}

/// Moves the record to the notified status, filling what it did not know.
fn advance(p: &mut RecordParts, n: &Notice, at: JstDateTime) {
    let to = n.status;
    if p.status == Status::SettleReserved && to == Status::Authorized {
        // The withdrawal this merchant asked for (R-SL-6): the order is an
        // authorization of the original amount again.
        p.settle_date = None;
        p.money = p.original_money;
    }
    p.status = to;
    p.counters.notifications += 1;
    p.money = n.money.or(p.money);
    p.original_money = p.original_money.or(n.money);
    p.carrier = p.carrier.or(n.carrier);
    p.clientip = p.clientip.take().or_else(|| n.clientip.clone());
    p.sendid = p.sendid.take().or_else(|| n.sendid.clone());
    p.sendpoint = p.sendpoint.take().or_else(|| n.sendpoint.clone());
    if to == Status::Completed && p.settled_at.is_none() {
        p.settled_at = Some(at);
    }
}
