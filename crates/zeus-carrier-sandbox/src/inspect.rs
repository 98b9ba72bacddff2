//! Typed inspection of the sandbox's orders: every field of an order at
//! the gateway on one flat value, as `GET /_sandbox/orders` shows it, but
//! typed (statuses, carriers, instants, dates).

use chrono::NaiveDate;
use zeus_carrier_core::order::HistoryEntry;
use zeus_carrier_core::{Carrier, JstDateTime, Order, Status};

use crate::state::{BackLink, CarrierOutcome, OrderRecord};

/// One order as the gateway holds it, every field flat.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GatewayOrder {
    /// The gateway's order number.
    pub order_no: String,
    /// The merchant's IP code.
    pub clientip: String,
    /// The carrier the shopper chose.
    pub carrier: Carrier,
    /// The current status.
    pub status: Status,
    /// The current amount (a settle may lower it).
    pub money: u32,
    /// The amount at acceptance (申込金額).
    pub original_money: u32,
    /// When order.cgi accepted it (受付日時, status 01).
    pub accepted_at: JstDateTime,
    /// When the shopper's payment completed (ユーザー受付完了日時: 01 →
    /// 03/07), where the 50-day windows count from; `None` in 01 and 02.
    pub acceptance_completed_at: Option<JstDateTime>,
    /// The reserved or used settle date (売上指定日).
    pub settle_date: Option<NaiveDate>,
    /// When the sale was confirmed (売上確定日時, status 07).
    pub settled_at: Option<JstDateTime>,
    /// Whether it is a test payment (R-TM-1).
    pub test: bool,
    /// The shopper's name (利用者名).
    pub username: String,
    /// The shopper's phone number (電話番号).
    pub telno: String,
    /// The shopper's e-mail.
    pub email: String,
    /// The merchant's free parameter.
    pub sendid: String,
    /// The merchant's second free parameter.
    pub sendpoint: String,
    /// The link on the completion page, if the form gave one.
    pub success_link: Option<BackLink>,
    /// The link on the failure page, if the form gave one.
    pub failure_link: Option<BackLink>,
    /// The carrier's answer to the next settle, when one was set.
    pub next_settle: Option<CarrierOutcome>,
    /// The carrier's answer to the next cancel, when one was set.
    pub next_cancel: Option<CarrierOutcome>,
    /// Every step, oldest first.
    pub history: Vec<HistoryEntry>,
}

impl GatewayOrder {
    /// The fields of the core's order (no links, no carrier outcomes).
    pub fn of(o: &Order) -> GatewayOrder {
        let d = o.details();
        GatewayOrder {
            order_no: o.order_no().to_owned(),
            clientip: d.clientip.clone(),
            carrier: d.carrier,
            status: o.status(),
            money: o.money(),
            original_money: o.original_money(),
            accepted_at: o.accepted_at(),
            acceptance_completed_at: o.acceptance_completed_at(),
            settle_date: o.settle_date(),
            settled_at: o.settled_at(),
            test: d.test,
            username: d.username.clone(),
            telno: d.telno.clone(),
            email: d.email.clone(),
            sendid: d.sendid.clone(),
            sendpoint: d.sendpoint.clone(),
            success_link: None,
            failure_link: None,
            next_settle: None,
            next_cancel: None,
            history: o.history().to_vec(),
        }
    }
}

impl From<&OrderRecord> for GatewayOrder {
    fn from(rec: &OrderRecord) -> Self {
        GatewayOrder {
            success_link: rec.success_link.clone(),
            failure_link: rec.failure_link.clone(),
            next_settle: rec.next_settle,
            next_cancel: rec.next_cancel,
            ..GatewayOrder::of(&rec.order)
        }
    }
}
