//! The order aggregate: an order's fields, its status and its history,
//! moved only by events checked against the transition table (SPEC §3).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::carrier::Carrier;
use crate::status::Status;
use crate::time::{JstDateTime, to_jst};
use crate::transition::{EventKind, TransitionError, next_status};

/// The gateway's payment mode for a merchant (per IP code): immediate sale
/// (決済処理) or authorization only (仮売決済処理) (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMode {
    /// `Accepting → Completed | PaymentFailed`.
    Immediate,
    /// `Accepting → Authorized | PaymentFailed`; a settle is needed.
    Authorization,
}

impl PaymentMode {
    /// The approval event for this mode.
    pub const fn approval(self) -> EventKind {
        match self {
            PaymentMode::Immediate => EventKind::ApproveImmediate,
            PaymentMode::Authorization => EventKind::ApproveAuthorization,
        }
    }
}

/// Whether an order is a test payment (R-TM-1): the test ID in the
/// shopper's name makes it one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// A test payment (R-TM-1): nothing is billed.
    Test,
    /// A real payment.
    Live,
}

impl PaymentKind {
    /// Whether this is a test payment.
    pub const fn is_test(self) -> bool {
        matches!(self, PaymentKind::Test)
    }
}

/// An event with the data it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The carrier approves (the mode decides the target status).
    Approve {
        /// The merchant's payment mode.
        mode: PaymentMode,
    },
    /// The carrier declines.
    Decline,
    /// A settle dated today (R-SL-2): the order goes to Settling.
    SettleToday {
        /// The amount to settle.
        money: u32,
    },
    /// A settle dated in the future: a reservation (R-SL-2).
    SettleFuture {
        /// The reserved date.
        date: NaiveDate,
        /// The amount to settle.
        money: u32,
    },
    /// `autype=auth`: the reservation is withdrawn (R-SL-6).
    WithdrawReservation,
    /// The reservation's date has come (00:00 Japan time).
    SettleDateArrives,
    /// The carrier confirms the settlement.
    CarrierConfirmsSettle,
    /// The carrier rejects the settlement.
    CarrierRejectsSettle,
    /// A cancel the carrier carried out.
    CancelOk,
    /// A cancel the carrier failed to carry out.
    CancelFail,
}

impl Event {
    /// The event without its data: what the transition table is keyed on.
    pub const fn kind(&self) -> EventKind {
        match self {
            Event::Approve { mode } => mode.approval(),
            Event::Decline => EventKind::Decline,
            Event::SettleToday { .. } => EventKind::SettleToday,
            Event::SettleFuture { .. } => EventKind::SettleFuture,
            Event::WithdrawReservation => EventKind::WithdrawReservation,
            Event::SettleDateArrives => EventKind::SettleDateArrives,
            Event::CarrierConfirmsSettle => EventKind::CarrierConfirmsSettle,
            Event::CarrierRejectsSettle => EventKind::CarrierRejectsSettle,
            Event::CancelOk => EventKind::CancelOk,
            Event::CancelFail => EventKind::CancelFail,
        }
    }
}

/// What caused a history entry: the order's creation or an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryEvent {
    /// The order was accepted by `order.cgi` (status 01).
    Accepted,
    /// An event of the transition table.
    Event(EventKind),
}

impl HistoryEvent {
    /// The snake_case name used in JSON: `accepted` or the event's name.
    pub fn name(self) -> &'static str {
        match self {
            HistoryEvent::Accepted => "accepted",
            HistoryEvent::Event(k) => k.name(),
        }
    }

    /// The step in Japanese, as a management screen shows it: `受付` or
    /// [`EventKind::label_ja`].
    pub const fn label_ja(self) -> &'static str {
        match self {
            HistoryEvent::Accepted => "受付 (order.cgi)",
            HistoryEvent::Event(k) => k.label_ja(),
        }
    }
}

impl Serialize for HistoryEvent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for HistoryEvent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use strum::IntoEnumIterator;
        let s = String::deserialize(d)?;
        if s == "accepted" {
            return Ok(HistoryEvent::Accepted);
        }
        EventKind::iter()
            .find(|k| k.name() == s)
            .map(HistoryEvent::Event)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown event {s:?}")))
    }
}

/// One step of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HistoryEntry {
    /// When it happened (Japan time).
    pub at: JstDateTime,
    /// The status before (`None` for the creation).
    #[serde(with = "opt_status_code")]
    pub from: Option<Status>,
    /// The status after.
    #[serde(with = "status_code")]
    pub to: Status,
    /// What caused it.
    pub event: HistoryEvent,
}

/// The shopper's and merchant's fields of an order as `order.cgi` took them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetails {
    /// The merchant's IP code.
    pub clientip: String,
    /// The carrier.
    pub carrier: Carrier,
    /// The amount the shopper agreed to, in yen.
    pub money: u32,
    /// The shopper's name (full-width katakana, with `_testID` in test mode).
    pub username: String,
    /// The shopper's phone number.
    pub telno: String,
    /// The shopper's e-mail, if given.
    pub email: String,
    /// The merchant's free parameter, echoed back.
    pub sendid: String,
    /// The merchant's second free parameter, echoed back.
    pub sendpoint: String,
    /// Whether this is a test payment (R-TM-1).
    pub test: bool,
}

/// A carrier-billing order as the gateway keeps it (the sandbox's state,
/// and the model the pre-checks reason about).
///
/// Its fields are read through getters; its status, amount, dates and
/// history change only through [`Order::accept`] and [`Order::apply`], so
/// every change is checked against the transition table (R-TR-1). A stored
/// order is rebuilt with [`Order::from_parts`], which checks its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "OrderParts", into = "OrderParts")]
pub struct Order {
    p: OrderParts,
}

/// The fields of an [`Order`], for storing and restoring it
/// ([`Order::from_parts`], [`Order::into_parts`]). Plain data: nothing here
/// is checked until it becomes an [`Order`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderParts {
    /// The gateway's order number.
    pub order_no: String,
    /// The fields taken at acceptance.
    pub details: OrderDetails,
    /// The current amount: the original, or the amount of the latest settle.
    pub money: u32,
    /// The current status.
    pub status: Status,
    /// When `order.cgi` accepted the order and it entered 01 受付中 (the
    /// shopper was sent on to the carrier).
    pub accepted_at: JstDateTime,
    /// When the shopper's acceptance COMPLETED (ユーザー受付完了日時): the
    /// order left 01 for 03 仮売完了 or 07 決済完了. The 50-day windows of
    /// settle (R-SL-1, R-SL-7) and of an authorization's cancel (R-CN-1)
    /// count from here (docs/DECISIONS.md). `None` while in 01 or after 02.
    #[serde(default)]
    pub acceptance_completed_at: Option<JstDateTime>,
    /// The reserved or used settle date.
    pub settle_date: Option<NaiveDate>,
    /// When the sale was confirmed (売上確定日時): the start of the
    /// Completed cancel window (R-CN-1).
    pub settled_at: Option<JstDateTime>,
    /// Every step, oldest first; may be empty for a model rebuilt from
    /// facts alone.
    pub history: Vec<HistoryEntry>,
}

/// Parts that do not make an [`Order`]: the history contradicts the status
/// or the transition table (R-TR-1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderPartsError {
    /// The history's last status is not the order's status.
    #[error("order {order_no}: history ends in {last} but the status is {status}")]
    HistoryDisagrees {
        /// The order number.
        order_no: String,
        /// The status of the parts.
        status: Status,
        /// The last status of the history.
        last: Status,
    },
    /// A step of the history is not a transition of the table, or a step
    /// does not start where the previous one ended.
    #[error("order {order_no}: history step {index} is not allowed (R-TR-1)")]
    BadStep {
        /// The order number.
        order_no: String,
        /// The index of the step in the history.
        index: usize,
    },
}

impl TryFrom<OrderParts> for Order {
    type Error = OrderPartsError;
    fn try_from(p: OrderParts) -> Result<Order, OrderPartsError> {
        Order::from_parts(p)
    }
}

impl From<Order> for OrderParts {
    fn from(o: Order) -> OrderParts {
        o.p
    }
}

/// History entries an order made by [`Order::accept`] has room for: the
/// acceptance and the usual steps after it (approval, settle, the
/// carrier's confirmation, …), each applied without an allocation.
const HISTORY_ROOM: usize = 6;

impl Order {
    /// A new order in status Accepting (01), accepted at `now`.
    pub fn accept(order_no: impl Into<String>, details: OrderDetails, now: JstDateTime) -> Order {
        let now = to_jst(&now);
        Order {
            p: OrderParts {
                order_no: order_no.into(),
                money: details.money,
                details,
                status: Status::Accepting,
                accepted_at: now,
                acceptance_completed_at: None,
                settle_date: None,
                settled_at: None,
                history: {
                    // Room for the usual life of an order, so that its
                    // first steps are applied without an allocation.
                    let mut history = Vec::with_capacity(HISTORY_ROOM);
                    history.push(HistoryEntry {
                        at: now,
                        from: None,
                        to: Status::Accepting,
                        event: HistoryEvent::Accepted,
                    });
                    history
                },
            },
        }
    }

    /// Rebuilds a stored order (or a model of one known only from its
    /// facts, with an empty history). The history, when there is one, must
    /// follow the table step by step (R-TR-1) and end in the status.
    pub fn from_parts(p: OrderParts) -> Result<Order, OrderPartsError> {
        let bad = |index| OrderPartsError::BadStep {
            order_no: p.order_no.clone(),
            index,
        };
        let mut prev: Option<Status> = None;
        for (index, h) in p.history.iter().enumerate() {
            let ok = match (h.from, h.event) {
                (None, HistoryEvent::Accepted) => index == 0 && h.to == Status::Accepting,
                (Some(from), HistoryEvent::Event(kind)) => {
                    prev.is_none_or(|p| p == from) && next_status(from, kind) == Ok(h.to)
                }
                (None, HistoryEvent::Event(_)) | (Some(_), HistoryEvent::Accepted) => false,
            };
            if !ok {
                return Err(bad(index));
            }
            prev = Some(h.to);
        }
        if let Some(last) = prev.filter(|l| *l != p.status) {
            return Err(OrderPartsError::HistoryDisagrees {
                order_no: p.order_no.clone(),
                status: p.status,
                last,
            });
        }
        let mut p = p;
        if p.acceptance_completed_at.is_none() {
            // Stored before the field existed: the history knows it.
            p.acceptance_completed_at = p
                .history
                .iter()
                .find(|h| {
                    h.from == Some(Status::Accepting)
                        && matches!(
                            h.event,
                            HistoryEvent::Event(
                                EventKind::ApproveImmediate | EventKind::ApproveAuthorization
                            )
                        )
                })
                .map(|h| h.at);
        }
        Ok(Order { p })
    }

    /// The stored fields.
    pub fn parts(&self) -> &OrderParts {
        &self.p
    }

    /// The stored fields, by value.
    pub fn into_parts(self) -> OrderParts {
        self.p
    }

    /// The gateway's order number.
    pub fn order_no(&self) -> &str {
        &self.p.order_no
    }

    /// The fields taken at acceptance.
    pub fn details(&self) -> &OrderDetails {
        &self.p.details
    }

    /// The current amount: the original, or the amount of the latest
    /// settle.
    pub fn money(&self) -> u32 {
        self.p.money
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.p.status
    }

    /// When `order.cgi` accepted the order (it entered 01 受付中).
    pub fn accepted_at(&self) -> JstDateTime {
        self.p.accepted_at
    }

    /// When the shopper's acceptance completed (ユーザー受付完了日時: the
    /// order entered 03 or 07 from 01): where the 50-day windows count
    /// from. `None` while in 01 or after a decline.
    pub fn acceptance_completed_at(&self) -> Option<JstDateTime> {
        self.p.acceptance_completed_at
    }

    /// The reserved or used settle date.
    pub fn settle_date(&self) -> Option<NaiveDate> {
        self.p.settle_date
    }

    /// When the sale was confirmed (売上確定日時), the start of the
    /// Completed cancel window (R-CN-1).
    pub fn settled_at(&self) -> Option<JstDateTime> {
        self.p.settled_at
    }

    /// Every step, oldest first.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.p.history
    }

    /// The amount the shopper agreed to at acceptance.
    pub fn original_money(&self) -> u32 {
        self.p.details.money
    }

    /// The carrier.
    pub fn carrier(&self) -> Carrier {
        self.p.details.carrier
    }

    /// Applies `event` at `now`: checks the table (R-TR-1), updates the
    /// fields the event carries, appends to the history and returns the new
    /// status. A refused event changes nothing.
    #[inline]
    pub fn apply(&mut self, event: &Event, now: JstDateTime) -> Result<Status, TransitionError> {
        let now = to_jst(&now);
        let from = self.p.status;
        let kind = event.kind();
        let to = next_status(from, kind)?;
        if matches!(event, Event::Approve { .. }) {
            self.p.acceptance_completed_at = Some(now);
        }
        match *event {
            Event::SettleToday { money } => {
                self.p.money = money;
                self.p.settle_date = Some(crate::time::jst_date(&now));
            }
            Event::SettleFuture { date, money } => {
                self.p.money = money;
                self.p.settle_date = Some(date);
            }
            Event::WithdrawReservation => {
                // The reservation is gone: the order is an authorization of
                // the original amount again (R-SL-6).
                self.p.settle_date = None;
                self.p.money = self.p.details.money;
            }
            Event::Approve {
                mode: PaymentMode::Immediate,
            }
            | Event::CarrierConfirmsSettle => self.p.settled_at = Some(now),
            Event::Approve {
                mode: PaymentMode::Authorization,
            }
            | Event::Decline
            | Event::SettleDateArrives
            | Event::CarrierRejectsSettle
            | Event::CancelOk
            | Event::CancelFail => {}
        }
        self.p.status = to;
        self.p.history.push(HistoryEntry {
            at: now,
            from: Some(from),
            to,
            event: HistoryEvent::Event(kind),
        });
        Ok(to)
    }
}

/// Serde helpers: statuses in history entries are bare codes.
mod status_code {
    use crate::status::Status;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(s: &Status, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.code())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Status, D::Error> {
        Status::deserialize(d)
    }
}

mod opt_status_code {
    use crate::status::Status;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(s: &Option<Status>, ser: S) -> Result<S::Ok, S::Error> {
        match s {
            Some(s) => ser.serialize_str(s.code()),
            None => ser.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Status>, D::Error> {
        Option::<Status>::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn at(s: &str) -> JstDateTime {
        DateTime::parse_from_rfc3339(s).expect("instant")
    }

    pub(crate) fn details(carrier: Carrier, money: u32) -> OrderDetails {
        OrderDetails {
            clientip: "1234567890".into(),
            carrier,
            money,
            username: "ゼウステスト_12345678".into(),
            telno: "0312345678".into(),
            email: String::new(),
            sendid: "A-1".into(),
            sendpoint: String::new(),
            test: true,
        }
    }

    #[test]
    fn r_tr_authorization_flow_keeps_history() {
        let t0 = at("2026-01-10T10:00:00+09:00");
        let mut o = Order::accept("ORD-1", details(Carrier::Docomo, 1000), t0);
        o.apply(
            &Event::Approve {
                mode: PaymentMode::Authorization,
            },
            t0,
        )
        .expect("approve");
        let date = NaiveDate::from_ymd_opt(2026, 1, 20).expect("date");
        o.apply(&Event::SettleFuture { date, money: 800 }, t0)
            .expect("reserve");
        assert_eq!(
            (o.status(), o.money(), o.settle_date()),
            (Status::SettleReserved, 800, Some(date))
        );
        o.apply(&Event::WithdrawReservation, t0).expect("withdraw");
        assert_eq!(
            (o.status(), o.money(), o.settle_date()),
            (Status::Authorized, 1000, None)
        );
        let t1 = at("2026-01-11T09:00:00+09:00");
        o.apply(&Event::SettleToday { money: 1000 }, t1)
            .expect("settle");
        o.apply(&Event::CarrierConfirmsSettle, t1).expect("confirm");
        assert_eq!(o.status(), Status::Completed);
        assert_eq!(o.settled_at(), Some(t1));
        let codes: Vec<_> = o.history().iter().map(|h| h.to.code()).collect();
        assert_eq!(codes, ["01", "03", "04", "03", "05", "07"]);
    }

    #[test]
    fn r_tr_1_refused_event_changes_nothing() {
        let t0 = at("2026-01-10T10:00:00+09:00");
        let mut o = Order::accept("ORD-2", details(Carrier::Au, 500), t0);
        let before = o.clone();
        let err = o.apply(&Event::CancelOk, t0).expect_err("refused");
        assert_eq!(err.from, Status::Accepting);
        assert_eq!(o, before);
    }

    #[test]
    fn r_tr_1_from_parts_checks_the_history_against_the_table() {
        let t0 = at("2026-01-10T10:00:00+09:00");
        let mut o = Order::accept("ORD-4", details(Carrier::Docomo, 500), t0);
        o.apply(
            &Event::Approve {
                mode: PaymentMode::Authorization,
            },
            t0,
        )
        .expect("approve");
        assert_eq!(Order::from_parts(o.clone().into_parts()), Ok(o.clone()));
        // A status the history does not end in.
        let mut p = o.clone().into_parts();
        p.status = Status::Completed;
        assert!(matches!(
            Order::from_parts(p),
            Err(OrderPartsError::HistoryDisagrees { .. })
        ));
        // A step outside the table (01 → 07 by a settle).
        let mut p = o.clone().into_parts();
        p.history[1].event = HistoryEvent::Event(EventKind::SettleToday);
        assert_eq!(
            Order::from_parts(p),
            Err(OrderPartsError::BadStep {
                order_no: "ORD-4".into(),
                index: 1
            })
        );
        // JSON goes through the same check.
        let mut v = serde_json::to_value(&o).expect("json");
        v["status"] = serde_json::json!("07");
        assert!(serde_json::from_value::<Order>(v).is_err());
        // A model known only from its facts has no history.
        let mut p = o.into_parts();
        p.history.clear();
        p.status = Status::Completed;
        assert_eq!(
            Order::from_parts(p).map(|o| o.status()),
            Ok(Status::Completed)
        );
    }

    #[test]
    fn order_json_round_trips() {
        let t0 = at("2026-01-10T10:00:00+09:00");
        let mut o = Order::accept("ORD-3", details(Carrier::SoftBank, 500), t0);
        o.apply(
            &Event::Approve {
                mode: PaymentMode::Immediate,
            },
            t0,
        )
        .expect("ok");
        let json = serde_json::to_string(&o).expect("json");
        let back: Order = serde_json::from_str(&json).expect("back");
        assert_eq!(back, o);
    }
}
