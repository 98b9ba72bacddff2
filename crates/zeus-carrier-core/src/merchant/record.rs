//! [`MerchantRecord`]: the merchant's record of one order.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;

use super::reason::{InFlight, ReconcileReason};
use crate::carrier::Carrier;
use crate::status::Status;
use crate::time::JstDateTime;
use crate::values::{ClientIp, Money, OrderNo, SendId};

/// A set of statuses: the ones the gateway has notified for an order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct StatusSet(u16);

impl StatusSet {
    /// No status.
    pub const EMPTY: StatusSet = StatusSet(0);

    const ALL_BITS: u16 = (1 << <Status as strum::EnumCount>::COUNT) - 1;

    /// Whether `s` is in the set.
    pub const fn contains(self, s: Status) -> bool {
        self.0 & (1 << s as u16) != 0
    }

    /// The set with `s` added.
    #[must_use]
    pub const fn with(self, s: Status) -> StatusSet {
        StatusSet(self.0 | (1 << s as u16))
    }

    /// The persisted form: bit `i` for the `i`-th status of the table
    /// (01 is bit 0).
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// The set from [`StatusSet::bits`]; bits that name no status are
    /// dropped.
    pub const fn from_bits(bits: u16) -> StatusSet {
        StatusSet(bits & StatusSet::ALL_BITS)
    }

    /// The statuses in the set, in table order.
    pub fn iter(self) -> impl Iterator<Item = Status> {
        Status::iter().filter(move |s| self.contains(*s))
    }
}

impl FromIterator<Status> for StatusSet {
    fn from_iter<I: IntoIterator<Item = Status>>(iter: I) -> StatusSet {
        iter.into_iter().fold(StatusSet::EMPTY, StatusSet::with)
    }
}

/// Whether this merchant asked the gateway to withdraw the order's
/// settle reservation (`autype=auth`, R-SL-6) without seeing the result
/// yet. Only then may a 03 after 04 move the record back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Withdrawal {
    /// No withdrawal is pending.
    #[default]
    None,
    /// A withdrawal was sent and its outcome is not known yet.
    Requested,
}

/// How many notifications of each kind an order received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Counters {
    /// Notifications that created or advanced the record.
    pub notifications: u64,
    /// Notifications already stored, or for the record's own status
    /// (R-CG-3).
    pub duplicates: u64,
    /// Late notifications never seen before that did not move the record
    /// (R-CG-4).
    pub stale: u64,
    /// Notifications that failed the integrity check: stored, not applied.
    pub flagged: u64,
}

impl Counters {
    /// Counters from their persisted values.
    pub const fn new(notifications: u64, duplicates: u64, stale: u64, flagged: u64) -> Counters {
        Counters {
            notifications,
            duplicates,
            stale,
            flagged,
        }
    }
}

/// One accepted status change of the record: a history entry, and one
/// outbox event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Step {
    /// The status before; `None` when the record was created.
    pub from: Option<Status>,
    /// The status after.
    pub to: Status,
    /// When it was accepted.
    pub at: JstDateTime,
}

/// Every field of a [`MerchantRecord`], for storage adapters: read every
/// field when writing, set every field when reading back
/// ([`MerchantRecord::from_parts`]). Deliberately not `#[non_exhaustive]`:
/// a new field must break every adapter at compile time until it persists
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordParts {
    /// The gateway's order number.
    pub order_no: OrderNo,
    /// The current status.
    pub status: Status,
    /// The current amount, when told.
    pub money: Option<Money>,
    /// The amount at acceptance, when told.
    pub original_money: Option<Money>,
    /// The carrier, when told.
    pub carrier: Option<Carrier>,
    /// The merchant's IP code as the gateway sent it, when told.
    pub clientip: Option<ClientIp>,
    /// The merchant's `sendid`, when told.
    pub sendid: Option<SendId>,
    /// The merchant's `sendpoint`, when told.
    pub sendpoint: Option<String>,
    /// When the first notification arrived.
    pub first_seen_at: JstDateTime,
    /// Where the 50-day windows (D-7) count from ([`super::window_start`]).
    pub window_from: JstDateTime,
    /// The reserved or used settle date.
    pub settle_date: Option<NaiveDate>,
    /// When the sale was confirmed (the Completed cancel window, R-CN-1).
    pub settled_at: Option<JstDateTime>,
    /// Why the order needs comparing with the gateway; `None` when it does
    /// not.
    pub reconciliation: Option<ReconcileReason>,
    /// The statuses the gateway has notified.
    pub notified: StatusSet,
    /// Whether a withdrawal of the reservation is pending.
    pub withdrawal: Withdrawal,
    /// An operation sent (or about to be sent) whose outcome is not
    /// recorded yet ([`MerchantRecord::begin_operation`]).
    pub in_flight: Option<InFlight>,
    /// The notification counters.
    pub counters: Counters,
}

/// The merchant's record of one order. Its fields change only through
/// [`super::on_notification`] and [`super::on_operation`] (and the
/// reconciliation mark's own methods); storage adapters rebuild it with
/// [`MerchantRecord::from_parts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRecord {
    pub(super) p: RecordParts,
}

impl RecordParts {
    /// Keeps the record's invariants after a change: a withdrawal can only
    /// be pending while the order is reserved (04).
    pub(super) fn settle(mut self) -> RecordParts {
        if self.status != Status::SettleReserved {
            self.withdrawal = Withdrawal::None;
        }
        self
    }
}

/// Persisted parts that no sequence of inputs can produce: each names the
/// field and the rule it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A pending withdrawal outside the reservation status.
    #[error("withdrawal: requested while the status is {} (only a reservation, 04, can be withdrawn, R-SL-6)", status.code())]
    WithdrawalOutsideReservation {
        /// The record's status.
        status: Status,
    },
    /// A record no notification created.
    #[error("notified: empty (a record is created by its first applied notification)")]
    NothingNotified,
    /// The windows counting from before the first notification.
    #[error(
        "window_from: before first_seen_at (the windows count from the first notification's receipt, D-7)"
    )]
    WindowBeforeFirstSeen,
}

impl MerchantRecord {
    /// Rebuilds a record from its persisted parts, checking that the model
    /// could have produced them ([`RecordError`] names the field and the
    /// rule otherwise).
    pub fn from_parts(parts: RecordParts) -> Result<MerchantRecord, RecordError> {
        if parts.withdrawal == Withdrawal::Requested && parts.status != Status::SettleReserved {
            return Err(RecordError::WithdrawalOutsideReservation {
                status: parts.status,
            });
        }
        if parts.notified == StatusSet::EMPTY {
            return Err(RecordError::NothingNotified);
        }
        if parts.window_from < parts.first_seen_at {
            return Err(RecordError::WindowBeforeFirstSeen);
        }
        Ok(MerchantRecord { p: parts })
    }

    /// A record from parts the model itself produced (its invariants hold
    /// by construction).
    pub(super) fn from_model(parts: RecordParts) -> MerchantRecord {
        debug_assert!(
            MerchantRecord::from_parts(parts.clone()).is_ok(),
            "the model broke a record invariant: {parts:?}"
        );
        MerchantRecord { p: parts }
    }

    /// The persisted parts.
    pub fn parts(&self) -> &RecordParts {
        &self.p
    }

    /// The persisted parts, by value.
    pub fn into_parts(self) -> RecordParts {
        self.p
    }

    /// The gateway's order number.
    pub fn order_no(&self) -> &OrderNo {
        &self.p.order_no
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.p.status
    }

    /// The current amount, when a notification or an operation told it.
    pub fn money(&self) -> Option<Money> {
        self.p.money
    }

    /// The amount of the first notification that carried one.
    pub fn original_money(&self) -> Option<Money> {
        self.p.original_money
    }

    /// The carrier, when told.
    pub fn carrier(&self) -> Option<Carrier> {
        self.p.carrier
    }

    /// The merchant's IP code as the gateway sent it.
    pub fn clientip(&self) -> Option<&ClientIp> {
        self.p.clientip.as_ref()
    }

    /// The merchant's `sendid`.
    pub fn sendid(&self) -> Option<&SendId> {
        self.p.sendid.as_ref()
    }

    /// The merchant's `sendpoint`.
    pub fn sendpoint(&self) -> Option<&str> {
        self.p.sendpoint.as_deref()
    }

    /// When the first notification arrived.
    pub fn first_seen_at(&self) -> JstDateTime {
        self.p.first_seen_at
    }

    /// Where the 50-day windows count from (D-7).
    pub fn window_from(&self) -> JstDateTime {
        self.p.window_from
    }

    /// The reserved or used settle date.
    pub fn settle_date(&self) -> Option<NaiveDate> {
        self.p.settle_date
    }

    /// When the sale was confirmed.
    pub fn settled_at(&self) -> Option<JstDateTime> {
        self.p.settled_at
    }

    /// Why the order needs comparing with the gateway, if it does.
    pub fn reconciliation(&self) -> Option<&ReconcileReason> {
        self.p.reconciliation.as_ref()
    }

    /// The statuses the gateway has notified.
    pub fn notified(&self) -> StatusSet {
        self.p.notified
    }

    /// Whether a withdrawal of the reservation is pending.
    pub fn withdrawal(&self) -> Withdrawal {
        self.p.withdrawal
    }

    /// The notification counters.
    pub fn counters(&self) -> Counters {
        self.p.counters
    }

    /// The operation whose outcome is not recorded yet, if any.
    pub fn in_flight(&self) -> Option<&InFlight> {
        self.p.in_flight.as_ref()
    }

    /// The record as it must be stored durably *before* a settle or cancel
    /// is sent: the operation is in flight. [`super::on_operation`] clears
    /// it with the outcome. If the process stops between the two, the mark
    /// stays, and [`MerchantRecord::deadlines`] lists the order for
    /// reconciliation: the gateway may have acted (R-RS-3).
    #[must_use]
    pub fn begin_operation(mut self, mark: InFlight) -> MerchantRecord {
        self.p.in_flight = Some(mark);
        self
    }

    /// Whether the gateway pays the merchant for this order (R-ST-1).
    pub fn payout_eligible(&self) -> bool {
        self.p.status.payout_eligible()
    }

    /// The record marked for reconciliation with `reason` (replacing an
    /// earlier reason): for example after a store failure following a
    /// gateway answer.
    #[must_use]
    pub fn with_reconciliation(mut self, reason: ReconcileReason) -> MerchantRecord {
        self.p.reconciliation = Some(reason);
        self
    }

    /// The record with its reconciliation mark removed (someone compared it
    /// with the gateway). An operation still marked in flight is cleared
    /// too: the person compared its effect.
    #[must_use]
    pub fn reconciled(mut self) -> MerchantRecord {
        self.p.reconciliation = None;
        self.p.in_flight = None;
        self
    }
}
