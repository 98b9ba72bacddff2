//! The JSON shapes of the control endpoints, field for field as
//! INTERFACES.md §2 names them. Times are RFC 3339 with `+09:00`.

use chrono::SecondsFormat;
use serde::Serialize;
use zeus_carrier_core::status::StatusJson;
use zeus_carrier_core::time::{format_yyyymmdd, to_jst};
use zeus_carrier_core::{JstDateTime, Order};

use crate::inspect::GatewayOrder;
use crate::state::{CgiAttempt, MailRecord, Settings};

/// An instant as RFC 3339 in Japan time, whole seconds:
/// `2026-01-10T10:00:00+09:00`.
pub fn rfc3339(t: &JstDateTime) -> String {
    to_jst(t).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// `GET /_sandbox/clock`.
#[derive(Debug, Clone, Serialize)]
pub struct ClockView {
    /// The sandbox's now.
    pub now: String,
    /// Whether the clock is frozen.
    pub frozen: bool,
}

/// One step of an order's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    /// When.
    pub at: String,
    /// The status code before (`null` for the creation).
    pub from: Option<&'static str>,
    /// The status code after.
    pub to: &'static str,
    /// What happened (`accepted`, `approve_authorization`, …).
    pub event: &'static str,
}

/// `order` of INTERFACES.md §2.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    /// The gateway's order number.
    pub order_no: String,
    /// The merchant's IP code.
    pub clientip: String,
    /// `D`, `A` or `S`.
    pub carrier: &'static str,
    /// The current amount.
    pub money: u32,
    /// The amount at acceptance.
    pub original_money: u32,
    /// `{"code","name","label"}`.
    pub status: StatusJson,
    /// When the shopper's order was accepted.
    pub accepted_at: String,
    /// When the acceptance completed (受付完了: 01 → 03/07), where the
    /// 50-day windows count from; `null` in 01 and after 02 (sandbox
    /// addition, docs/DECISIONS.md).
    pub acceptance_completed_at: Option<String>,
    /// The reserved or used settle date, `YYYYMMDD`.
    pub settle_date: Option<String>,
    /// When the sale was confirmed.
    pub settled_at: Option<String>,
    /// Whether it is a test payment (R-TM-1).
    pub test: bool,
    /// The shopper's name.
    pub username: String,
    /// The shopper's phone number.
    pub telno: String,
    /// The shopper's e-mail.
    pub email: String,
    /// The merchant's free parameter.
    pub sendid: String,
    /// The merchant's second free parameter.
    pub sendpoint: String,
    /// Whether the status is paid out (R-ST-1; sandbox addition).
    pub payout_eligible: bool,
    /// Every step, oldest first.
    pub history: Vec<HistoryView>,
}

impl OrderView {
    /// The view of an order.
    pub fn of(order: &Order) -> OrderView {
        OrderView::from(&GatewayOrder::of(order))
    }
}

impl From<&GatewayOrder> for OrderView {
    fn from(o: &GatewayOrder) -> Self {
        OrderView {
            order_no: o.order_no.clone(),
            clientip: o.clientip.clone(),
            carrier: o.carrier.code(),
            money: o.money,
            original_money: o.original_money,
            status: o.status.into(),
            accepted_at: rfc3339(&o.accepted_at),
            acceptance_completed_at: o.acceptance_completed_at.as_ref().map(rfc3339),
            settle_date: o.settle_date.map(format_yyyymmdd),
            settled_at: o.settled_at.as_ref().map(rfc3339),
            test: o.test,
            username: o.username.clone(),
            telno: o.telno.clone(),
            email: o.email.clone(),
            sendid: o.sendid.clone(),
            sendpoint: o.sendpoint.clone(),
            payout_eligible: o.status.payout_eligible(),
            history: o
                .history
                .iter()
                .map(|h| HistoryView {
                    at: rfc3339(&h.at),
                    from: h.from.map(|s| s.code()),
                    to: h.to.code(),
                    event: h.event.name(),
                })
                .collect(),
        }
    }
}

/// One mail of `GET /_sandbox/mails`.
#[derive(Debug, Clone, Serialize)]
pub struct MailView {
    /// 1-based.
    pub id: u64,
    /// When it was sent.
    pub at: String,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// The order it is about.
    pub order_no: Option<String>,
}

impl From<&MailRecord> for MailView {
    fn from(m: &MailRecord) -> Self {
        MailView {
            id: m.id,
            at: rfc3339(&m.at),
            to: m.to.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
            order_no: m.order_no.clone(),
        }
    }
}

/// One attempt of `GET /_sandbox/cgi`.
#[derive(Debug, Clone, Serialize)]
pub struct CgiView {
    /// 1-based.
    pub id: u64,
    /// The order.
    pub order_no: String,
    /// The status code the call reports.
    pub status: &'static str,
    /// The URL: with its query for GET, the target for POST.
    pub url: String,
    /// `GET` or `POST` (sandbox addition).
    pub method: &'static str,
    /// The urlencoded form body of a POST, `null` for GET.
    pub body: Option<String>,
    /// 1-based within its delivery.
    pub attempt: u32,
    /// When the attempt started.
    pub at: String,
    /// The merchant's HTTP status, `null` without an answer.
    pub http_status: Option<u16>,
    /// `ok`, `http_error`, `bad_body`, `timeout` or `connect_error`.
    pub outcome: &'static str,
    /// The delivery it belongs to (sandbox addition).
    pub delivery: u64,
    /// For a manual resend, the attempt it repeats (sandbox addition).
    pub resend_of: Option<u64>,
}

impl From<&CgiAttempt> for CgiView {
    fn from(a: &CgiAttempt) -> Self {
        CgiView {
            id: a.id,
            order_no: a.order_no.clone(),
            status: a.status.code(),
            url: a.url.clone(),
            method: a.method.as_str(),
            body: a.body.clone(),
            attempt: a.attempt,
            at: rfc3339(&a.at),
            http_status: a.http_status,
            outcome: a.outcome.name(),
            delivery: a.delivery,
            resend_of: a.resend_of,
        }
    }
}

/// `GET /_sandbox/settings`.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    /// Where mails go.
    pub mail_to: String,
    /// Status codes whose notification mail is not sent.
    pub mail_off: Vec<&'static str>,
    /// Whether test payments send notification mails.
    pub test_mail: bool,
    /// Whether test payments send CGI calls.
    pub test_cgi: bool,
}

impl From<&Settings> for SettingsView {
    fn from(s: &Settings) -> Self {
        SettingsView {
            mail_to: s.mail_to.clone(),
            mail_off: s.mail_off.iter().map(|s| s.code()).collect(),
            test_mail: s.test_mail,
            test_cgi: s.test_cgi,
        }
    }
}
