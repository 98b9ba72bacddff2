//! The HTML pages, rendered with askama: every value is escaped by the
//! template engine (`.html` templates escape by default).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use strum::IntoEnumIterator;
use zeus_carrier_core::callback::DeliveryPolicy;
use zeus_carrier_core::mail::{format_mail_time, format_yen as yen};
use zeus_carrier_core::time::{default_settle_date, format_yyyymmdd};
use zeus_carrier_core::{JstDateTime, Status};

use crate::inspect::GatewayOrder;
use crate::state::{
    BackLink, CgiAttempt, MailRecord, OrderRecord, SandboxState, ScreenResult, Settings,
};
use crate::views::rfc3339;

/// An instant as the gateway's screens and mails write it, in Japan time:
/// `2026/12/07 10:00:00` (D-5).
pub(crate) fn screen_time(t: &JstDateTime) -> String {
    format_mail_time(*t)
}

/// The payment mode as the gateway names it: 決済処理 (immediate sale) or
/// 仮売決済処理 (authorization).
pub(crate) fn mode_ja(mode: zeus_carrier_core::PaymentMode) -> &'static str {
    match mode {
        zeus_carrier_core::PaymentMode::Immediate => "決済処理 (即時売上)",
        zeus_carrier_core::PaymentMode::Authorization => "仮売決済処理",
    }
}

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

/// `400` from `order.cgi`: every violation (R-LP-1), and the link back
/// to `failure_url` when the request carried a usable one (the manual:
/// the failure link serves "受付・決済失敗後").
#[derive(Template)]
#[template(path = "violations.html")]
pub(crate) struct ViolationsPage {
    pub(crate) violations: Vec<ViolationLine>,
    pub(crate) failure_link: Option<BackLink>,
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

/// The confirmation step before 取消 and 売上: what will be done, and the
/// form that does it.
#[derive(Template)]
#[template(path = "confirm.html")]
pub(crate) struct ConfirmPage {
    pub(crate) o: OrderRow,
    /// `取消` or `売上`.
    pub(crate) operation: &'static str,
    /// `cancel` or `settle`: the path the form posts to.
    pub(crate) action: &'static str,
    /// The settle's fields as typed (`date`, `money`); empty for a cancel.
    pub(crate) fields: Vec<(&'static str, &'static str, String)>,
}

/// テストカード番号管理: the test IDs in force (R-LP-4, R-TM-1).
#[derive(Template)]
#[template(path = "test_ids.html")]
pub(crate) struct TestIdsPage {
    /// `(test ID, the username a tester types)`.
    pub(crate) ids: Vec<(String, String)>,
}

/// `403`: a cross-site request (INTERFACES §2 v3).
#[derive(Template)]
#[template(path = "refused.html")]
pub(crate) struct RefusedPage {
    pub(crate) reason: String,
}

/// One order as the management screen shows it.
pub(crate) struct OrderRow {
    pub(crate) order_no: String,
    pub(crate) status: String,
    pub(crate) carrier: String,
    pub(crate) original_money: String,
    pub(crate) money: String,
    pub(crate) accepted_at: String,
    /// ユーザー受付完了日時: when the order left 01 (where the windows count
    /// from, docs/DECISIONS.md).
    pub(crate) completed_at: String,
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
        let o = GatewayOrder::from(rec);
        let time = |t: Option<JstDateTime>| t.as_ref().map(screen_time).unwrap_or_default();
        OrderRow {
            status: status_text(o.status),
            carrier: o.carrier.display_name().to_owned(),
            original_money: yen(o.original_money),
            money: yen(o.money),
            accepted_at: screen_time(&o.accepted_at),
            completed_at: time(o.acceptance_completed_at),
            settle_date: o
                .settle_date
                .map(|d| d.format("%Y/%m/%d").to_string())
                .unwrap_or_default(),
            settled_at: time(o.settled_at),
            test: o.test,
            order_no: o.order_no,
            username: o.username,
            telno: o.telno,
            email: o.email,
            sendid: o.sendid,
            sendpoint: o.sendpoint,
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
    pub(crate) method: &'static str,
    pub(crate) url: String,
    pub(crate) body: String,
    /// Whether the screen offers CGI再送信 for it (R-CG-2, the manual's
    /// table).
    pub(crate) resend: bool,
}

impl CgiRow {
    fn of(a: &CgiAttempt, policy: &DeliveryPolicy) -> Self {
        CgiRow {
            id: a.id,
            status: status_text(a.status),
            attempt: a.attempt,
            resend_of: a.resend_of,
            at: screen_time(&a.at),
            http_status: a.http_status.map(|s| s.to_string()).unwrap_or_default(),
            outcome: a.outcome.label_ja().to_owned(),
            ok: a.outcome.is_ok(),
            method: a.method.as_str(),
            url: a.url.clone(),
            body: a.body.clone().unwrap_or_default(),
            resend: policy.hand_resend_offered(a.outcome),
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
            at: screen_time(&m.at),
            to: m.to.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
        }
    }
}

/// The answer of the last screen operation, as the order's page shows it.
pub(crate) struct ResultRow {
    pub(crate) at: String,
    pub(crate) operation: &'static str,
    pub(crate) result: &'static str,
    /// The result in Japanese (成功, 失敗, パラメータ不正, メンテナンス中).
    pub(crate) result_ja: &'static str,
    pub(crate) error_code: String,
    pub(crate) meaning: String,
    pub(crate) ok: bool,
}

impl From<&ScreenResult> for ResultRow {
    fn from(r: &ScreenResult) -> Self {
        ResultRow {
            at: screen_time(&r.at),
            operation: r.operation,
            result: r.result,
            result_ja: match r.result {
                "Success_order" => "成功",
                "failure_order" => "失敗",
                "invalid" => "パラメータ不正",
                "maintenance" => "メンテナンス中",
                _ => "不明",
            },
            error_code: r.error_code.clone(),
            meaning: r.meaning.clone(),
            ok: r.result == "Success_order",
        }
    }
}

/// 売上管理画面: one order's detail, with the 取消 and 売上 forms.
#[derive(Template)]
#[template(path = "order.html")]
pub(crate) struct OrderPage {
    pub(crate) o: OrderRow,
    pub(crate) history: Vec<HistoryRow>,
    pub(crate) cgi: Vec<CgiRow>,
    pub(crate) mails: Vec<MailRow>,
    pub(crate) result: Option<ResultRow>,
    /// The date secure.cgi would default to (R-SL-3), `YYYYMMDD`.
    pub(crate) default_date: String,
    /// The current amount.
    pub(crate) default_money: u32,
}

impl OrderPage {
    pub(crate) fn of(
        rec: &OrderRecord,
        cgi: &[CgiAttempt],
        mails: &[MailRecord],
        result: Option<&ScreenResult>,
        now: JstDateTime,
        policy: &DeliveryPolicy,
    ) -> OrderPage {
        let no = rec.order.order_no();
        OrderPage {
            result: result.map(ResultRow::from),
            default_date: format_yyyymmdd(default_settle_date(&now)),
            default_money: rec.order.money(),
            o: OrderRow::of(rec),
            history: rec
                .order
                .history()
                .iter()
                .map(|h| HistoryRow {
                    at: screen_time(&h.at),
                    from: h.from.map(status_text).unwrap_or_default(),
                    to: status_text(h.to),
                    event: h.event.label_ja().to_owned(),
                })
                .collect(),
            cgi: cgi
                .iter()
                .filter(|a| a.order_no == no)
                .map(|a| CgiRow::of(a, policy))
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

/// The statuses that send a notification mail (R-ST-2): the ones the
/// settings can turn off.
pub(crate) fn mailed_statuses() -> impl Iterator<Item = Status> {
    Status::iter().filter(|s| s.sends_mail())
}

/// One mail switch of the settings page.
pub(crate) struct MailSwitch {
    pub(crate) code: &'static str,
    pub(crate) subject: String,
    pub(crate) on: bool,
}

/// 売上管理画面: settings (mail address, mails, test payments, clock).
#[derive(Template)]
#[template(path = "settings.html")]
pub(crate) struct SettingsPage {
    pub(crate) mail_to: String,
    pub(crate) mails: Vec<MailSwitch>,
    pub(crate) test_mail: bool,
    pub(crate) test_cgi: bool,
    pub(crate) now: String,
    /// The clock as the screen writes times.
    pub(crate) now_shown: String,
    pub(crate) frozen: bool,
    pub(crate) error: Option<String>,
}

impl SettingsPage {
    pub(crate) fn of(
        settings: &Settings,
        state: &SandboxState,
        error: Option<String>,
    ) -> SettingsPage {
        SettingsPage {
            mail_to: settings.mail_to.clone(),
            mails: mailed_statuses()
                .map(|s| MailSwitch {
                    code: s.code(),
                    subject: s.mail_subject().unwrap_or_default(),
                    on: !settings.mail_off.contains(&s),
                })
                .collect(),
            test_mail: settings.test_mail,
            test_cgi: settings.test_cgi,
            now: rfc3339(&state.now()),
            now_shown: screen_time(&state.now()),
            frozen: state.clock().is_frozen(),
            error,
        }
    }
}
