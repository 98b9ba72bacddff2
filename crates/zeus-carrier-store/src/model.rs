//! The values the store takes and gives back.

use serde::{Serialize, Serializer};
use zeus_carrier_core::callback::CgiErrorCode;
use zeus_carrier_core::merchant::{
    Counters, EffectKind, InFlight, MerchantRecord, NoticeEffect, ReconcileReason,
};
use zeus_carrier_core::values::{ClientIp, Money, OrderNo, SendId};
use zeus_carrier_core::{Carrier, JstDateTime, Status};

/// Who caused a history entry or an outbox event (INTERFACES §3
/// `"source"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A CGI notification from the gateway.
    Cgi,
    /// The merchant's settle (Secure Link `act=settled`).
    Settle,
    /// The merchant's cancel (Secure Link `act=return`).
    Cancel,
}

impl Source {
    /// The name stored and shown in JSON: `cgi`, `settle` or `cancel`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Cgi => "cgi",
            Source::Settle => "settle",
            Source::Cancel => "cancel",
        }
    }

    /// Parses [`Source::as_str`].
    pub fn from_name(s: &str) -> Option<Source> {
        match s {
            "cgi" => Some(Source::Cgi),
            "settle" => Some(Source::Settle),
            "cancel" => Some(Source::Cancel),
            _ => None,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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

/// One accepted status change of an order. In JSON: `{"at", "from" (code or
/// null), "to" (code), "source"}` (INTERFACES §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HistoryRow {
    /// When it was recorded (Japan time; RFC 3339 `+09:00` in JSON).
    pub at: JstDateTime,
    /// The status before; `None` when the first notification created the
    /// record.
    #[serde(serialize_with = "opt_code")]
    pub from: Option<Status>,
    /// The status after.
    #[serde(serialize_with = "code")]
    pub to: Status,
    /// What caused it.
    pub source: Source,
}

/// The merchant's record of one order as stored: the core's
/// [`MerchantRecord`] (what [`zeus_carrier_core::merchant`] decided) and its
/// history (every accepted status change, oldest first).
///
/// The store defines no HTTP shape for it: the operator face's JSON is
/// `zeus_carrier_merchant::operator`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantOrder {
    record: MerchantRecord,
    history: Vec<HistoryRow>,
}

impl MerchantOrder {
    /// A record with its history.
    pub fn new(record: MerchantRecord, history: Vec<HistoryRow>) -> MerchantOrder {
        MerchantOrder { record, history }
    }

    /// The core's record.
    pub fn record(&self) -> &MerchantRecord {
        &self.record
    }

    /// The core's record, by value.
    pub fn into_record(self) -> MerchantRecord {
        self.record
    }

    /// Every accepted status change, oldest first.
    pub fn history(&self) -> &[HistoryRow] {
        &self.history
    }

    /// The gateway's order number.
    pub fn order_no(&self) -> &OrderNo {
        self.record.order_no()
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.record.status()
    }

    /// The current amount, when told.
    pub fn money(&self) -> Option<Money> {
        self.record.money()
    }

    /// The merchant's `sendid`, when told.
    pub fn sendid(&self) -> Option<&SendId> {
        self.record.sendid()
    }

    /// Whether the gateway pays the merchant for this order (R-ST-1).
    pub fn payout_eligible(&self) -> bool {
        self.record.payout_eligible()
    }

    /// Why the order needs comparing with the gateway, if it does.
    pub fn needs_reconciliation(&self) -> Option<&ReconcileReason> {
        self.record.reconciliation()
    }

    /// The operation whose outcome is not recorded yet, if any.
    pub fn in_flight(&self) -> Option<&InFlight> {
        self.record.in_flight()
    }

    /// The notification counters.
    pub fn counters(&self) -> Counters {
        self.record.counters()
    }
}

/// The answer of [`crate::Store::record_notification`]. It is returned only
/// after the transaction committed: the caller may answer `successok`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recorded {
    /// The stored notification's id.
    pub notification_id: i64,
    /// What the notification did ([`zeus_carrier_core::merchant::on_notification`]'s
    /// answer).
    pub effect: NoticeEffect,
    /// The record after the notification. `None` only for a flagged
    /// notification naming an order the store has never recorded.
    pub order: Option<MerchantOrder>,
}

/// A stored CGI notification, for audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StoredNotification {
    /// Its id, in arrival order.
    pub id: i64,
    /// The order number.
    pub order_no: OrderNo,
    /// The status the call reported.
    #[serde(serialize_with = "code")]
    pub reported: Status,
    /// The record's status when it arrived.
    #[serde(serialize_with = "opt_code")]
    pub status_before: Option<Status>,
    /// What it did.
    pub effect: EffectKind,
    /// Why the model flagged it (the [`zeus_carrier_core::merchant::Flag`]'s
    /// message), for a flagged notification.
    pub integrity_flag: Option<String>,
    /// `money`, when received.
    pub money: Option<Money>,
    /// `carrier_type`, when received.
    pub carrier: Option<Carrier>,
    /// `clientip`, when received.
    pub clientip: Option<ClientIp>,
    /// `sendid`, when received.
    pub sendid: Option<SendId>,
    /// `sendpoint`, when received.
    pub sendpoint: Option<String>,
    /// `error_code`, when received.
    pub error_code: Option<CgiErrorCode>,
    /// The query string as received.
    pub raw_query: Vec<u8>,
    /// When it was received.
    pub received_at: JstDateTime,
}

/// The answer of [`crate::Store::record_operation`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationRecorded {
    /// The steps that moved the record (a step a CGI call had already
    /// recorded, or one the record has moved past, is left out).
    pub applied: Vec<HistoryRow>,
    /// The record after the operation.
    pub order: MerchantOrder,
    /// Why the order now needs reconciliation, when the outcome does not
    /// settle what happened (R-RS-3, or a code the catalog marks
    /// "reconcile first"); the record is marked with it.
    pub reconcile: Option<ReconcileReason>,
}

/// One accepted transition, for the embedding service. Delivered
/// at-least-once: deduplicate by [`OutboxEvent::id`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OutboxEvent {
    /// Increasing id; the consumer's key to deduplicate with.
    pub id: i64,
    /// The order.
    pub order_no: OrderNo,
    /// The order's `sendid` when the transition was recorded (the
    /// merchant's own key for it), so that a consumer needs no read per
    /// event.
    pub sendid: Option<SendId>,
    /// The status before (`None`: the record was created).
    #[serde(serialize_with = "opt_code")]
    pub from: Option<Status>,
    /// The status after.
    #[serde(serialize_with = "code")]
    pub to: Status,
    /// What caused it.
    pub source: Source,
    /// When it was recorded.
    pub at: JstDateTime,
    /// The order's current amount when the transition was recorded (after
    /// a partial settle, the settled amount); `None` when no amount was
    /// told, or for events written before this field existed.
    pub money: Option<Money>,
}

impl OutboxEvent {
    /// Whether the gateway pays the merchant for the order in the status
    /// the event moved it to (R-ST-1).
    pub fn payout_eligible(&self) -> bool {
        self.to.payout_eligible()
    }
}
