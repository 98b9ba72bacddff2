//! The mails the gateway sends the merchant: one notification per mailed
//! status (R-ST-2) and the "CGI send error" mail (R-ST-3, D-14).
//!
//! Rendering only: nothing is sent here. The body follows the manual's
//! sample (申込み/決済結果(加盟店様向けメール送信)): a title line, the
//! ■-prefixed fields, then a footer. Decisions where the manual is silent:
//! - The footer's first sentence is the manual's, with the sending condition
//!   of each status (the manual's 送信条件 table); a line of guidance from
//!   the status table (what the merchant should do) comes before it.
//! - The gateway company's contact block is replaced by a neutral footer:
//!   no real telephone numbers or addresses are shipped.
//! - Test payments (R-TM-1) keep the exact subjects of R-ST-2, so filters
//!   on subjects keep working, and are marked by a first body line
//!   [`TEST_MARK`].
//! - 申込金額 is the amount the shopper agreed to; when a settle changed
//!   the amount (R-SL-5), a `■ 売上金額` line shows the current one.
//! - An empty field (no e-mail, no sendid) is shown as the label alone.
//! - 処理時刻 is `at` in Japan time (D-5), `yyyy/mm/dd hh:mm:ss`.

use chrono::{Datelike, Timelike};
use serde::{Deserialize, Serialize};

use crate::callback::AttemptOutcome;
use crate::order::{HistoryEvent, Order};
use crate::status::{MAIL_SUBJECT_PREFIX, Status};
use crate::time::{JstDateTime, to_jst};
use crate::transition::EventKind;

/// The subject of the CGI send error mail (D-14).
pub const CGI_ERROR_SUBJECT: &str = "【ZEUS】キャリア決済 CGI送信エラー通知";

/// The first body line of every mail about a test payment (R-TM-1).
pub const TEST_MARK: &str = "【テスト決済】このメールはテストIDによるテスト決済の通知です。実際の請求・お支払いは発生しません。";

/// The neutral footer closing every mail (no real contact details).
pub const FOOTER: &str = "ご不明な点がございましたら、ご契約の決済代行会社の窓口までお問い合わせください。\n\
                          このメールは送信専用のアドレスから自動送信しています。";

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Mail {
    /// The recipient address, as configured by the merchant.
    pub to: String,
    /// The subject (件名).
    pub subject: String,
    /// The plain-text body, lines ending in `\n`.
    pub body: String,
}

/// Whether an order entering `status` by `event` is mailed: a mailed
/// status (R-ST-2), entered the way the manual's 送信条件 says. 仮売完了通知
/// is sent "決済受付手続き完了時" (L240): when the shopper's payment is
/// authorized, not when a withdrawn reservation (`autype=auth`, 04 → 03,
/// R-SL-6) brings the order back to 03, which completes no acceptance
/// (docs/DECISIONS.md). Every other mailed status is mailed however it is
/// entered.
pub fn mailed_on_entry(status: Status, event: HistoryEvent) -> bool {
    status.sends_mail()
        && !matches!(
            (status, event),
            (
                Status::Authorized,
                HistoryEvent::Event(EventKind::WithdrawReservation)
            )
        )
}

/// The notification mail for `order` entering `status` at `at` (`order`
/// as it is right after: its last history step is the entry), or `None`
/// when the status is not mailed (01, 02, 04, 05; R-ST-2) or not on that
/// entry ([`mailed_on_entry`]).
pub fn notification_mail(order: &Order, status: Status, to: &str, at: JstDateTime) -> Option<Mail> {
    if let Some(last) = order.history().last().filter(|h| h.to == status) {
        if !mailed_on_entry(status, last.event) {
            return None;
        }
    }
    let title = status.mail_title()?;
    let text = MailText::of(status)?;
    let d = &order.details();
    let mut b = Body::new(order);
    b.line(&format!("キャリア決済 {title}"));
    b.blank();
    b.field("IPコード", &d.clientip);
    b.field("処理時刻", &format_mail_time(at));
    b.field("申込金額", &format_yen(order.original_money()));
    if order.money() != order.original_money() {
        b.field("売上金額", &format_yen(order.money()));
    }
    b.field("電話番号", &d.telno);
    b.field("オーダNo", order.order_no());
    b.field("利用キャリア", d.carrier.display_name());
    b.field("E-mail", &d.email);
    b.field("sendid", &d.sendid);
    b.field("sendpoint", &d.sendpoint);
    b.blank();
    b.line(text.guidance);
    b.line(&format!(
        "※このメールは、{}都度、加盟店様へ自動的に送信しているキャリア決済 {title}メールです。",
        text.sent_when
    ));
    b.line("決済状況は、売上管理画面でもご確認頂けます。");
    Some(Mail {
        to: to.to_owned(),
        subject: format!("{MAIL_SUBJECT_PREFIX}{title}"),
        body: b.finish(),
    })
}

/// The CGI send error mail (R-ST-3, D-14): the notification of `status` for
/// `order` to the merchant's `url` (shown as given) failed; `outcome` is
/// the last attempt's, `attempts` how many were made, `at` when the gateway
/// gave up. Whether to send it is [`crate::callback::DeliveryPolicy`]'s
/// decision.
pub fn cgi_error_mail(
    order: &Order,
    status: Status,
    url: &str,
    outcome: AttemptOutcome,
    attempts: u32,
    to: &str,
    at: JstDateTime,
) -> Mail {
    let mut b = Body::new(order);
    b.line("キャリア決済 CGI送信エラー通知");
    b.blank();
    b.line("加盟店様指定のCGIへの決済結果の送信が完了しませんでした。");
    b.blank();
    b.field("IPコード", &order.details().clientip);
    b.field("処理時刻", &format_mail_time(at));
    b.field("オーダNo", order.order_no());
    b.field("ステータス", &status.to_string());
    b.field("送信先URL", url);
    b.field("送信結果", outcome.label_ja());
    b.field("送信回数", &format!("{attempts}回"));
    b.blank();
    b.line(outcome_note(outcome));
    b.line("売上管理画面よりCGI再送信を行うことができます。再送信の際は、処理の重複が発生しないようご確認ください。");
    Mail {
        to: to.to_owned(),
        subject: CGI_ERROR_SUBJECT.to_owned(),
        body: b.finish(),
    }
}

/// An amount in yen with thousands separators: `1,000円` (R-ST-2).
pub fn format_yen(yen: u32) -> String {
    let digits = yen.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out.push('円');
    out
}

/// An instant as the mails show it: `yyyy/mm/dd hh:mm:ss` in Japan time
/// (R-ST-2, D-5).
pub fn format_mail_time(at: JstDateTime) -> String {
    let t = to_jst(&at);
    format!(
        "{:04}/{:02}/{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The status-dependent sentences of a notification mail.
struct MailText {
    /// What the status means for the merchant (the manual's status table).
    guidance: &'static str,
    /// When the mail is sent, completing "このメールは、…都度" (送信条件).
    sent_when: &'static str,
}

impl MailText {
    const fn of(status: Status) -> Option<MailText> {
        let (guidance, sent_when) = match status {
            Status::Authorized => (
                "仮決済が完了しました。決済完了(売上確定)とするには、売上処理が必要です。",
                "決済受付手続きが完了した",
            ),
            Status::SettleFailed => (
                "利用キャリアでの売上確定が失敗しました。別の方法にて代金回収を行うか、商品発送やサービス提供の停止等のご対応をお願いします。",
                "利用キャリアで売上確定処理が失敗した",
            ),
            Status::Completed => (
                "売上が確定しました。サービス提供を行ってください。",
                "利用キャリアで売上確定処理が完了された",
            ),
            Status::Cancelled => (
                "取り消しが完了しました。利用キャリアよりユーザー様へ返金処理を行います。",
                "決済完了データの取消処理が完了した",
            ),
            Status::CompletedCancelFailed => (
                "利用キャリアでの取り消しが失敗しました。加盟店様への支払い対象となりますので、加盟店様よりユーザー様へ返金対応をお願いします。",
                "決済完了データの取消処理が失敗した",
            ),
            Status::AuthorizationCancelled => (
                "仮売の取り消しが完了しました。",
                "仮売完了データの取消処理が完了した",
            ),
            Status::AuthorizationCancelFailed => (
                "利用キャリアでの仮売の取り消しが失敗しました。",
                "仮売完了データの取消処理が失敗した",
            ),
            Status::Accepting
            | Status::PaymentFailed
            | Status::SettleReserved
            | Status::Settling => return None,
        };
        Some(MailText {
            guidance,
            sent_when,
        })
    }
}

/// The explanation under the fields of the error mail.
const fn outcome_note(outcome: AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Ok => "※最後の送信には正常な応答がありました。",
        AttemptOutcome::HttpError => {
            "※加盟店様側サーバから 200 OK 以外の応答がありました(404 Not Found、500 Internal Server Error 等)。"
        }
        AttemptOutcome::BadBody => {
            "※加盟店様側サーバの応答の先頭に successok が記載されていませんでした。"
        }
        AttemptOutcome::Timeout => {
            "※応答なし(タイムアウト)の場合、実際にはCGIが正常処理されている可能性があります。"
        }
        AttemptOutcome::ConnectError => {
            "※加盟店様側サーバに接続できませんでした。サーバの稼働状況をご確認ください。"
        }
    }
}

/// A mail body under construction; starts with the test mark when the
/// order is a test payment and ends with the footer.
struct Body(String);

impl Body {
    fn new(order: &Order) -> Body {
        let mut b = Body(String::new());
        if order.details().test {
            b.line(TEST_MARK);
            b.blank();
        }
        b
    }

    fn line(&mut self, s: &str) {
        self.0.push_str(s);
        self.0.push('\n');
    }

    fn blank(&mut self) {
        self.0.push('\n');
    }

    /// `■ label : value`, or `■ label :` when the value is empty.
    fn field(&mut self, label: &str, value: &str) {
        let line = format!("■ {label} : {value}");
        self.line(line.trim_end());
    }

    fn finish(mut self) -> String {
        self.blank();
        self.line(FOOTER);
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::carrier::Carrier;
    use crate::order::OrderDetails;
    use chrono::DateTime;
    use strum::IntoEnumIterator;

    fn at(s: &str) -> JstDateTime {
        DateTime::parse_from_rfc3339(s).expect("test instant")
    }

    fn order(test: bool) -> Order {
        let details = OrderDetails {
            clientip: "1234567890".into(),
            carrier: Carrier::Docomo,
            money: 12_345,
            username: "ゼウステスト".into(),
            telno: "09012345678".into(),
            email: "shopper@example.invalid".into(),
            sendid: "A-1".into(),
            sendpoint: String::new(),
            test,
        };
        Order::accept("20260110-0001", details, at("2026-01-10T10:00:00+09:00"))
    }

    fn render(m: &Mail) -> String {
        format!("To: {}\nSubject: {}\n\n{}", m.to, m.subject, m.body)
    }

    const TO: &str = "merchant@example.invalid";

    #[test]
    fn r_st_2_one_mail_per_mailed_status_with_the_manuals_subject() {
        let o = order(false);
        let t = at("2026-01-10T10:00:00+09:00");
        for s in Status::iter() {
            let mail = notification_mail(&o, s, TO, t);
            assert_eq!(mail.is_some(), s.sends_mail(), "{s}");
            assert_eq!(
                mail.as_ref().map(|m| m.subject.clone()),
                s.mail_subject(),
                "{s}"
            );
            if let Some(m) = mail {
                assert_eq!(m.to, TO);
                let title = s.mail_title().unwrap_or_default();
                assert!(
                    m.body.starts_with(&format!("キャリア決済 {title}\n")),
                    "{s}"
                );
                assert!(
                    m.body
                        .contains(&format!("キャリア決済 {title}メールです。")),
                    "{s}"
                );
            }
        }
    }

    /// The manual (L240): 仮売完了通知 is sent "決済受付手続き完了時" — on the
    /// approval, not when a withdrawn reservation returns the order to 03.
    #[test]
    fn r_st_2_withdrawal_back_to_03_sends_no_second_authorization_mail() {
        use crate::order::{Event, PaymentMode};
        let t = at("2026-01-10T10:00:00+09:00");
        let mut o = order(false);
        let mode = PaymentMode::Authorization;
        o.apply(&Event::Approve { mode }, t).expect("03");
        assert!(notification_mail(&o, Status::Authorized, TO, t).is_some());
        let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 20).expect("date");
        o.apply(&Event::SettleFuture { date, money: 100 }, t)
            .expect("04");
        o.apply(&Event::WithdrawReservation, t).expect("back to 03");
        assert_eq!(o.status(), Status::Authorized);
        assert_eq!(notification_mail(&o, Status::Authorized, TO, t), None);
        for s in Status::iter() {
            for k in EventKind::iter() {
                let expected = s.sends_mail()
                    && !(s == Status::Authorized && k == EventKind::WithdrawReservation);
                assert_eq!(
                    mailed_on_entry(s, HistoryEvent::Event(k)),
                    expected,
                    "{s} {k}"
                );
            }
        }
    }

    #[test]
    fn r_st_2_mail_snapshots_per_mailed_status() {
        let o = order(false);
        let t = at("2026-01-10T01:02:03Z");
        for s in Status::iter().filter(|s| s.sends_mail()) {
            let m = notification_mail(&o, s, TO, t).expect("mailed status");
            insta::assert_snapshot!(format!("r_st_2_mail_{}", s.code()), render(&m));
        }
    }

    #[test]
    fn r_st_2_fields_follow_the_manuals_format() {
        let m = notification_mail(
            &order(false),
            Status::Completed,
            TO,
            at("2026-01-01T15:00:00Z"),
        )
        .expect("mailed");
        let fields: Vec<_> = m.body.lines().filter(|l| l.starts_with("■ ")).collect();
        assert_eq!(
            fields,
            [
                "■ IPコード : 1234567890",
                "■ 処理時刻 : 2026/01/02 00:00:00",
                "■ 申込金額 : 12,345円",
                "■ 電話番号 : 09012345678",
                "■ オーダNo : 20260110-0001",
                "■ 利用キャリア : docomo",
                "■ E-mail : shopper@example.invalid",
                "■ sendid : A-1",
                "■ sendpoint :",
            ]
        );
        assert!(!m.body.contains("03-"), "no real contact numbers");
        assert!(!m.body.contains("cardservice"), "no real addresses");
    }

    #[test]
    fn r_st_2_changed_amount_is_shown_beside_the_applied_one() {
        let mut p = order(false).into_parts();
        p.money = 800;
        let o = Order::from_parts(p).expect("parts");
        let m = notification_mail(&o, Status::Completed, TO, at("2026-01-10T10:00:00+09:00"))
            .expect("mailed");
        assert!(
            m.body
                .contains("■ 申込金額 : 12,345円\n■ 売上金額 : 800円\n"),
            "{}",
            m.body
        );
    }

    #[test]
    fn r_st_2_yen_has_thousands_separators() {
        let cases = [
            (0, "0円"),
            (1, "1円"),
            (999, "999円"),
            (1_000, "1,000円"),
            (50_000, "50,000円"),
            (100_000, "100,000円"),
            (1_000_000, "1,000,000円"),
            (u32::MAX, "4,294,967,295円"),
        ];
        for (n, s) in cases {
            assert_eq!(format_yen(n), s);
        }
    }

    #[test]
    fn r_tm_1_test_payments_are_marked_in_the_body_not_the_subject() {
        let t = at("2026-01-10T10:00:00+09:00");
        let m = notification_mail(&order(true), Status::Authorized, TO, t).expect("mailed");
        assert!(m.body.starts_with(&format!("{TEST_MARK}\n\n")));
        assert_eq!(Some(m.subject.clone()), Status::Authorized.mail_subject());
        let live = notification_mail(&order(false), Status::Authorized, TO, t).expect("mailed");
        assert!(!live.body.contains(TEST_MARK));
        let e = cgi_error_mail(
            &order(true),
            Status::Authorized,
            "u",
            AttemptOutcome::Timeout,
            1,
            TO,
            t,
        );
        assert!(e.body.starts_with(TEST_MARK));
        insta::assert_snapshot!("r_tm_1_test_mail_03", render(&m));
    }

    #[test]
    fn d14_cgi_error_mail_subject_and_snapshot() {
        let m = cgi_error_mail(
            &order(false),
            Status::Completed,
            "https://merchant.example.invalid/zeus/carrier/callback",
            AttemptOutcome::Timeout,
            6,
            TO,
            at("2026-01-10T10:04:00+09:00"),
        );
        assert_eq!(m.subject, CGI_ERROR_SUBJECT);
        assert_eq!(m.subject, "【ZEUS】キャリア決済 CGI送信エラー通知");
        insta::assert_snapshot!("d14_cgi_error_mail", render(&m));
    }

    #[test]
    fn r_st_3_error_mail_explains_each_outcome() {
        let t = at("2026-01-10T10:00:00+09:00");
        let mut notes = Vec::new();
        for outcome in AttemptOutcome::iter() {
            let m = cgi_error_mail(&order(false), Status::PaymentFailed, "u", outcome, 1, TO, t);
            assert!(
                m.body
                    .contains(&format!("■ 送信結果 : {}\n", outcome.label_ja()))
            );
            assert!(m.body.contains("■ ステータス : 02 決済失敗\n"));
            assert!(m.body.contains("■ 送信回数 : 1回\n"));
            notes.push(outcome_note(outcome));
        }
        notes.sort_unstable();
        notes.dedup();
        assert_eq!(notes.len(), 5, "one distinct note per outcome");
    }
}
