//! The values the store takes and gives back.

use chrono::NaiveDate;
use serde::{Serialize, Serializer};
use zeus_carrier_core::notification::NotificationEffect;
use zeus_carrier_core::time::format_yyyymmdd;
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

/// The merchant's record of one order.
///
/// Its JSON (`serde_json::to_value`) is INTERFACES §3's `GET
/// /orders/{order_no}` body: `order_no`, `status` (the `{code, name, label}`
/// object), `money`, `carrier`, `payout_eligible`, `sendid`, `history`,
/// `notifications`, `duplicates`, `stale`; plus, added, `original_money`,
/// `sendpoint`, `clientip`, `first_seen_at`, `window_from`, `settle_date`
/// (`YYYYMMDD`), `settled_at`, `needs_reconciliation` and `flagged`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantOrder {
    /// The gateway's order number.
    pub order_no: String,
    /// The current status.
    pub status: Status,
    /// The current amount in yen, when a notification or an operation told
    /// it (the merchant chooses which CGI parameters it receives).
    pub money: Option<u32>,
    /// The amount of the first notification (the amount at acceptance).
    pub original_money: Option<u32>,
    /// The carrier, when told.
    pub carrier: Option<Carrier>,
    /// The merchant's IP code as the gateway sent it, when told.
    pub clientip: Option<String>,
    /// The merchant's `sendid`, echoed back by the gateway.
    pub sendid: Option<String>,
    /// The merchant's `sendpoint`, echoed back by the gateway.
    pub sendpoint: Option<String>,
    /// When the first notification for this order was received.
    pub first_seen_at: JstDateTime,
    /// The instant the 50-day windows (D-7) are counted from: the saved
    /// checkout's `created_at` when the first notification's `sendid`
    /// matched one (the shopper's acceptance cannot be earlier), else
    /// `first_seen_at` (which is a little after the acceptance).
    pub window_from: JstDateTime,
    /// The reserved or used settle date, when a settle operation told it.
    pub settle_date: Option<NaiveDate>,
    /// When the sale was confirmed: from the settle operation, else the
    /// receipt of the notification that reported Completed (for an order
    /// created in Completed: `window_from`). The Completed cancel window
    /// counts from it (R-CN-1).
    pub settled_at: Option<JstDateTime>,
    /// Why the order needs a human to compare it with the gateway (an
    /// operation whose outcome is unknown, R-RS-3; a flagged notification);
    /// `None` when it does not.
    pub needs_reconciliation: Option<String>,
    /// Notifications that created or advanced the record.
    pub notifications: u64,
    /// Notifications that repeated the current status (R-CG-3).
    pub duplicates: u64,
    /// Late or out-of-order notifications that did not move the record
    /// (R-CG-4).
    pub stale: u64,
    /// Notifications the caller flagged (integrity checks failed): stored,
    /// not applied.
    pub flagged: u64,
    /// Every accepted status change, oldest first.
    pub history: Vec<HistoryRow>,
}

impl MerchantOrder {
    /// Whether the gateway pays the merchant for this order (R-ST-1).
    pub fn payout_eligible(&self) -> bool {
        self.status.payout_eligible()
    }
}

impl Serialize for MerchantOrder {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            order_no: &'a str,
            status: Status,
            money: Option<u32>,
            carrier: Option<Carrier>,
            payout_eligible: bool,
            sendid: &'a Option<String>,
            history: &'a [HistoryRow],
            notifications: u64,
            duplicates: u64,
            stale: u64,
            original_money: Option<u32>,
            sendpoint: &'a Option<String>,
            clientip: &'a Option<String>,
            first_seen_at: JstDateTime,
            window_from: JstDateTime,
            settle_date: Option<String>,
            settled_at: Option<JstDateTime>,
            needs_reconciliation: &'a Option<String>,
            flagged: u64,
        }
        Json {
            order_no: &self.order_no,
            status: self.status,
            money: self.money,
            carrier: self.carrier,
            payout_eligible: self.payout_eligible(),
            sendid: &self.sendid,
            history: &self.history,
            notifications: self.notifications,
            duplicates: self.duplicates,
            stale: self.stale,
            original_money: self.original_money,
            sendpoint: &self.sendpoint,
            clientip: &self.clientip,
            first_seen_at: self.first_seen_at,
            window_from: self.window_from,
            settle_date: self.settle_date.map(format_yyyymmdd),
            settled_at: self.settled_at,
            needs_reconciliation: &self.needs_reconciliation,
            flagged: self.flagged,
        }
        .serialize(s)
    }
}

/// A CGI notification as the receiver parsed it, to be recorded
/// (R-CG-3, R-CG-4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationInput {
    /// The gateway's order number.
    pub order_no: String,
    /// The status the call reported.
    pub status: Status,
    /// `money`, when the merchant receives it.
    pub money: Option<u32>,
    /// `carrier_type`, when received.
    pub carrier: Option<Carrier>,
    /// `clientip`, when received.
    pub clientip: Option<String>,
    /// `sendid`, when received.
    pub sendid: Option<String>,
    /// `sendpoint`, when received.
    pub sendpoint: Option<String>,
    /// `error_code`, when received (`-` when there is no error).
    pub error_code: Option<String>,
    /// The call's query string exactly as received, for audit.
    pub raw_query: Vec<u8>,
    /// When the receiver got the call.
    pub received_at: JstDateTime,
    /// Set by the caller when an integrity check failed (for example
    /// `"money mismatch: expected 1000 got 900"`): the store keeps the
    /// notification and the reason, marks the order for reconciliation and
    /// does not apply the status.
    pub integrity_flag: Option<String>,
}

impl NotificationInput {
    /// A notification with only the required parts; set the other public
    /// fields as received.
    pub fn new(
        order_no: impl Into<String>,
        status: Status,
        raw_query: impl Into<Vec<u8>>,
        received_at: JstDateTime,
    ) -> NotificationInput {
        NotificationInput {
            order_no: order_no.into(),
            status,
            money: None,
            carrier: None,
            clientip: None,
            sendid: None,
            sendpoint: None,
            error_code: None,
            raw_query: raw_query.into(),
            received_at,
            integrity_flag: None,
        }
    }
}

/// What recording a notification did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordedEffect {
    /// The core's decision ([`zeus_carrier_core::notification::classify`]),
    /// applied.
    Classified(NotificationEffect),
    /// The caller flagged the notification: stored, not applied.
    Flagged {
        /// The caller's reason.
        reason: String,
        /// The record's status (unchanged); `None` if there is no record.
        current: Option<Status>,
        /// The status the call reported.
        reported: Status,
    },
}

impl RecordedEffect {
    /// The kind, as stored in `notifications.effect`.
    pub fn kind(&self) -> EffectKind {
        match self {
            RecordedEffect::Classified(NotificationEffect::Create { .. }) => EffectKind::Create,
            RecordedEffect::Classified(NotificationEffect::Duplicate { .. }) => {
                EffectKind::Duplicate
            }
            RecordedEffect::Classified(NotificationEffect::Advance { .. }) => EffectKind::Advance,
            RecordedEffect::Classified(NotificationEffect::Stale { .. }) => EffectKind::Stale,
            RecordedEffect::Flagged { .. } => EffectKind::Flagged,
        }
    }

    /// Whether the record was created or moved.
    pub fn changes_state(&self) -> bool {
        match self {
            RecordedEffect::Classified(e) => e.changes_state(),
            RecordedEffect::Flagged { .. } => false,
        }
    }
}

/// The kind of effect a stored notification had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectKind {
    /// Created the record.
    Create,
    /// Repeated the current status (R-CG-3).
    Duplicate,
    /// Moved the record forward.
    Advance,
    /// Late or out of order; the record did not move (R-CG-4).
    Stale,
    /// Flagged by the caller; not applied.
    Flagged,
}

impl EffectKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EffectKind::Create => "create",
            EffectKind::Duplicate => "duplicate",
            EffectKind::Advance => "advance",
            EffectKind::Stale => "stale",
            EffectKind::Flagged => "flagged",
        }
    }

    /// Parses [`EffectKind::as_str`].
    pub fn from_name(s: &str) -> Option<EffectKind> {
        match s {
            "create" => Some(EffectKind::Create),
            "duplicate" => Some(EffectKind::Duplicate),
            "advance" => Some(EffectKind::Advance),
            "stale" => Some(EffectKind::Stale),
            "flagged" => Some(EffectKind::Flagged),
            _ => None,
        }
    }
}

/// The answer of [`crate::Store::record_notification`]. It is returned only
/// after the transaction committed: the caller may answer `successok`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// The stored notification's id.
    pub notification_id: i64,
    /// What the notification did.
    pub effect: RecordedEffect,
    /// The record after the notification. `None` only for a flagged
    /// notification naming an order the store has never seen.
    pub order: Option<MerchantOrder>,
}

/// A stored CGI notification, for audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredNotification {
    /// Its id, in arrival order.
    pub id: i64,
    /// The order number.
    pub order_no: String,
    /// The status the call reported.
    #[serde(serialize_with = "code")]
    pub reported: Status,
    /// The record's status when it arrived.
    #[serde(serialize_with = "opt_code")]
    pub status_before: Option<Status>,
    /// What it did.
    pub effect: EffectKind,
    /// The caller's integrity flag, if any.
    pub integrity_flag: Option<String>,
    /// `money`, when received.
    pub money: Option<u32>,
    /// `carrier_type`, when received.
    pub carrier: Option<Carrier>,
    /// `clientip`, when received.
    pub clientip: Option<String>,
    /// `sendid`, when received.
    pub sendid: Option<String>,
    /// `sendpoint`, when received.
    pub sendpoint: Option<String>,
    /// `error_code`, when received.
    pub error_code: Option<String>,
    /// The query string as received.
    pub raw_query: Vec<u8>,
    /// When it was received.
    pub received_at: JstDateTime,
}

/// Which merchant operation moved an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationSource {
    /// A settle (`act=settled`, including `autype=auth`).
    Settle,
    /// A cancel (`act=return`).
    Cancel,
}

impl From<OperationSource> for Source {
    fn from(s: OperationSource) -> Source {
        match s {
            OperationSource::Settle => Source::Settle,
            OperationSource::Cancel => Source::Cancel,
        }
    }
}

/// What a settle operation does to the stored settle date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SettleDateUpdate {
    /// Leave it.
    #[default]
    Keep,
    /// Set it (a settle dated today, or a reservation).
    Set(NaiveDate),
    /// Remove it (a reservation withdrawn with `autype=auth`, R-SL-6).
    Clear,
}

/// A merchant operation the gateway confirmed, to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationInput {
    /// The order.
    pub order_no: String,
    /// Settle or cancel.
    pub source: OperationSource,
    /// The steps the gateway reported, in order, each a row of the
    /// transition table (SPEC §3), e.g. `[(03, 05), (05, 07)]` for a settle
    /// dated today that the carrier confirmed (R-TR-2).
    pub transitions: Vec<(Status, Status)>,
    /// The amount after the operation, if it set one.
    pub money: Option<u32>,
    /// The settle date change.
    pub settle_date: SettleDateUpdate,
    /// When the sale was confirmed, if the operation confirmed it.
    pub settled_at: Option<JstDateTime>,
    /// When the gateway answered.
    pub at: JstDateTime,
}

/// The answer of [`crate::Store::record_operation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationRecorded {
    /// The steps that moved the record (a step a CGI call had already
    /// recorded, or one the record has moved past, is left out).
    pub applied: Vec<HistoryRow>,
    /// The record after the operation.
    pub order: MerchantOrder,
}

/// An order request the merchant sent (its `sendid`), kept to check the
/// callbacks against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkout {
    /// The merchant's `sendid` for the order request.
    pub sendid: String,
    /// The amount requested, in yen.
    pub money: u32,
    /// The carrier requested.
    pub carrier: Carrier,
    /// When the merchant rendered the order form.
    pub created_at: JstDateTime,
}

/// One accepted transition, for the embedding service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEvent {
    /// Increasing id; the consumer's key to deduplicate with.
    pub id: i64,
    /// The order.
    pub order_no: String,
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
}

/// Which window or duty a [`Deadline`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// The last moment to settle an authorization: 23:55 Japan time of the
    /// last allowed settle date (D-7, R-SL-1, R-SL-4).
    Settle,
    /// The end of the 50 × 24 h cancel window (D-7, R-CN-1).
    Cancel,
    /// The order needs reconciliation with the gateway (no fixed time).
    Reconciliation,
}

/// Something the merchant must act on before a time (or soon).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The order.
    pub order_no: String,
    /// Its current status.
    pub status: Status,
    /// What closes.
    pub kind: DeadlineKind,
    /// When it closes; `None` for [`DeadlineKind::Reconciliation`].
    pub closes_at: Option<JstDateTime>,
    /// Why reconciliation is needed, for [`DeadlineKind::Reconciliation`].
    pub reason: Option<String>,
}
