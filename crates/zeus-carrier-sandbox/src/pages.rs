//! The HTML pages, rendered with askama: every value is escaped by the
//! template engine (`.html` templates escape by default).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::state::{BackLink, CgiAttempt, MailRecord, OrderRecord};
use crate::views::rfc3339;
use zeus_carrier_core::mail::format_yen as yen;

/// Renders a template as an HTML response with `status`; a template error
/// (a bug) becomes a 500 without details.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// One line of the violations page.
pub(crate) struct ViolationLine {
    pub(crate) field: String,
    pub(crate) rule: String,
    pub(crate) spec: String,
}

/// `400` from `order.cgi`: every violation (R-LP-1).
#[derive(Template)]
#[template(path = "violations.html")]
pub(crate) struct ViolationsPage {
    pub(crate) violations: Vec<ViolationLine>,
}

/// The payment test page (R-TM-1).
#[derive(Template)]
#[template(path = "test_page.html")]
pub(crate) struct TestPage {
    pub(crate) order_no: String,
    pub(crate) carrier: String,
    pub(crate) money: String,
    pub(crate) status: String,
    pub(crate) test: bool,
    pub(crate) open: bool,
}

impl TestPage {
    pub(crate) fn of(rec: &OrderRecord) -> TestPage {
        let o = &rec.order;
        TestPage {
            order_no: o.order_no().to_owned(),
            carrier: o.carrier().display_name().to_owned(),
            money: yen(o.money()),
            status: status_text(o.status()),
            test: o.details().test,
            open: o.status() == zeus_carrier_core::Status::Accepting,
        }
    }
}

/// お支払い完了 / お支払い失敗.
#[derive(Template)]
#[template(path = "result.html")]
pub(crate) struct ResultPage {
    pub(crate) heading: &'static str,
    pub(crate) message: Vec<&'static str>,
    pub(crate) link: Option<BackLink>,
    pub(crate) order_no: String,
    pub(crate) status: String,
}

impl ResultPage {
    /// The completion page (the manual's お支払い完了ページ).
    pub(crate) fn completed(rec: &OrderRecord) -> ResultPage {
        ResultPage {
            heading: "お支払い完了",
            message: vec!["お支払いが完了しました", "ご利用ありがとうございました。"],
            link: rec.success_link.clone(),
            order_no: rec.order.order_no().to_owned(),
            status: status_text(rec.order.status()),
        }
    }

    /// The failure page (the manual's お支払い失敗ページ).
    pub(crate) fn failed(rec: &OrderRecord) -> ResultPage {
        ResultPage {
            heading: "お支払い失敗",
            message: vec![
                "お支払いが完了しませんでした",
                "再度お支払い手続きをお願いします",
            ],
            link: rec.failure_link.clone(),
            order_no: rec.order.order_no().to_owned(),
            status: status_text(rec.order.status()),
        }
    }
}

/// `409` for a second decision.
#[derive(Template)]
#[template(path = "conflict.html")]
pub(crate) struct ConflictPage {
    pub(crate) order_no: String,
    pub(crate) status: String,
}

/// `404`.
#[derive(Template)]
#[template(path = "not_found.html")]
pub(crate) struct NotFoundPage {
    pub(crate) what: String,
}

/// One order as the management screen shows it.
pub(crate) struct OrderRow {
    pub(crate) order_no: String,
    pub(crate) status: String,
    pub(crate) carrier: String,
    pub(crate) original_money: String,
    pub(crate) money: String,
    pub(crate) accepted_at: String,
    pub(crate) settle_date: String,
    pub(crate) settled_at: String,
    pub(crate) test: bool,
    pub(crate) username: String,
    pub(crate) telno: String,
    pub(crate) email: String,
    pub(crate) sendid: String,
    pub(crate) sendpoint: String,
}

impl OrderRow {
    pub(crate) fn of(rec: &OrderRecord) -> OrderRow {
        let o = &rec.order;
        let d = o.details();
        OrderRow {
            order_no: o.order_no().to_owned(),
            status: status_text(o.status()),
            carrier: d.carrier.display_name().to_owned(),
            original_money: yen(o.original_money()),
            money: yen(o.money()),
            accepted_at: rfc3339(&o.accepted_at()),
            settle_date: o
                .settle_date()
                .map(|d| d.format("%Y/%m/%d").to_string())
                .unwrap_or_default(),
            settled_at: o.settled_at().as_ref().map(rfc3339).unwrap_or_default(),
            test: d.test,
            username: d.username.clone(),
            telno: d.telno.clone(),
            email: d.email.clone(),
            sendid: d.sendid.clone(),
            sendpoint: d.sendpoint.clone(),
        }
    }
}

/// 売上管理画面: the order list.
#[derive(Template)]
#[template(path = "index.html")]
pub(crate) struct IndexPage {
    pub(crate) clientip: String,
    pub(crate) mode: String,
    pub(crate) now: String,
    pub(crate) frozen: bool,
    pub(crate) cgi_url: String,
    pub(crate) orders: Vec<OrderRow>,
}

/// One history line.
pub(crate) struct HistoryRow {
    pub(crate) at: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) event: String,
}

/// One CGI attempt line.
pub(crate) struct CgiRow {
    pub(crate) id: u64,
    pub(crate) status: String,
    pub(crate) attempt: u32,
    pub(crate) resend_of: Option<u64>,
    pub(crate) at: String,
    pub(crate) http_status: String,
    pub(crate) outcome: String,
    pub(crate) ok: bool,
    pub(crate) url: String,
}

impl From<&CgiAttempt> for CgiRow {
    fn from(a: &CgiAttempt) -> Self {
        CgiRow {
            id: a.id,
            status: status_text(a.status),
            attempt: a.attempt,
            resend_of: a.resend_of,
            at: rfc3339(&a.at),
            http_status: a.http_status.map(|s| s.to_string()).unwrap_or_default(),
            outcome: format!("{} ({})", a.outcome.name(), a.outcome.label_ja()),
            ok: a.outcome.is_ok(),
            url: a.url.clone(),
        }
    }
}

/// One mail.
pub(crate) struct MailRow {
    pub(crate) id: u64,
    pub(crate) at: String,
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) body: String,
}

impl From<&MailRecord> for MailRow {
    fn from(m: &MailRecord) -> Self {
        MailRow {
            id: m.id,
            at: rfc3339(&m.at),
            to: m.to.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
        }
    }
}

/// 売上管理画面: one order's detail.
#[derive(Template)]
#[template(path = "order.html")]
pub(crate) struct OrderPage {
    pub(crate) o: OrderRow,
    pub(crate) history: Vec<HistoryRow>,
    pub(crate) cgi: Vec<CgiRow>,
    pub(crate) mails: Vec<MailRow>,
}

impl OrderPage {
    pub(crate) fn of(rec: &OrderRecord, cgi: &[CgiAttempt], mails: &[MailRecord]) -> OrderPage {
        let no = rec.order.order_no();
        OrderPage {
            o: OrderRow::of(rec),
            history: rec
                .order
                .history()
                .iter()
                .map(|h| HistoryRow {
                    at: rfc3339(&h.at),
                    from: h.from.map(status_text).unwrap_or_default(),
                    to: status_text(h.to),
                    event: h.event.name().to_owned(),
                })
                .collect(),
            cgi: cgi
                .iter()
                .filter(|a| a.order_no == no)
                .map(CgiRow::from)
                .collect(),
            mails: mails
                .iter()
                .filter(|m| m.order_no.as_deref() == Some(no))
                .map(MailRow::from)
                .collect(),
        }
    }
}

/// `03 仮売完了`.
pub(crate) fn status_text(s: zeus_carrier_core::Status) -> String {
    format!("{} {}", s.code(), s.label_ja())
}
