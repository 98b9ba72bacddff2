//! The page's HTML, rendered on the server: no script, one inline style
//! sheet, readable from a phone's width up. Every value that is not a
//! literal of this file goes through [`Escaped`] (the core's escaping).

use std::fmt::Write as _;

use zeus_carrier_core::JstDateTime;
use zeus_carrier_core::html::Escaped;
use zeus_carrier_core::merchant::{Deadline, DeadlineKind, DutyReason};
use zeus_carrier_core::status::Status;
use zeus_carrier_core::values::Money;
use zeus_carrier_store::{
    HistoryRow, MerchantOrder, ReconciliationNote, Source, StoredNotification, UnrecordedReview,
};

use super::session::{Flash, SessionView, Tone};

/// The longest note kept when a reconciliation mark is cleared.
pub const MAX_NOTE_CHARS: usize = 1000;

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans CJK JP","Noto Sans JP",sans-serif;font-size:16px;line-height:1.5;color:#1d2530;background:#f4f6f8}
header{background:#1f3a5f;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem}
header a{color:#fff;font-weight:bold;text-decoration:none}
header form{margin:0 0 0 auto}
main{max-width:1100px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.4rem 0 1rem}
h2{font-size:1.1rem;margin:1.6rem 0 .6rem;border-left:4px solid #1f3a5f;padding-left:.5rem}
section.card{background:#fff;border:1px solid #d5dbe3;border-radius:6px;padding:.8rem 1rem;margin:.8rem 0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d5dbe3;padding:.45rem .6rem;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600;white-space:nowrap}
table.kv th{width:12em}
.st{display:inline-block;border-radius:4px;padding:0 .4rem;background:#e6ecf3;font-weight:600;white-space:nowrap}
.st.pay{background:#dff3e4}
.muted{color:#5b6776;font-size:.9rem}
.reason{font-weight:600}
.check{color:#7a4b00;font-size:.92rem}
.bar{height:.7rem;background:#e3e8ee;border-radius:4px;overflow:hidden;min-width:6rem}
.bar>span{display:block;height:100%;background:#2e8b57}
.bar.soon>span{background:#d98b00}
.bar.urgent>span{background:#c62828}
.flash{border-radius:6px;padding:.7rem 1rem;margin:.6rem 0 1rem;border:1px solid}
.flash.ok{background:#e8f6ec;border-color:#7cc08e}
.flash.warn{background:#fff6e0;border-color:#e0b050}
.flash.error{background:#fdecec;border-color:#e08080}
.flash p{margin:.2rem 0}
form.inline{display:inline}
label{display:block;margin:.4rem 0 .15rem;font-weight:600}
input,select,textarea,button{font:inherit}
input[type=text],input[type=number],input[type=password],select,textarea{width:100%;max-width:24rem;padding:.45rem;border:1px solid #aab4c0;border-radius:4px;background:#fff}
textarea{max-width:40rem;min-height:4.5rem}
button,.button{display:inline-block;padding:.5rem 1rem;border-radius:4px;border:1px solid #1f3a5f;background:#1f3a5f;color:#fff;cursor:pointer;text-decoration:none;margin-top:.6rem}
button.danger{background:#b3261e;border-color:#b3261e}
button.quiet,.button.quiet{background:#fff;color:#1f3a5f}
header button{margin:0;padding:.3rem .8rem;background:#fff;color:#1f3a5f}
.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}
.search div{flex:0 1 24rem}
.search button{margin:0}
ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid #c9d3de}
ol.timeline li{position:relative;padding:.2rem 0 .8rem 1rem}
ol.timeline li::before{content:"";position:absolute;left:-.5rem;top:.55rem;width:.7rem;height:.7rem;border-radius:50%;background:#1f3a5f}
ol.timeline li.note::before{background:#d98b00}
.src{display:inline-block;font-size:.8rem;border:1px solid #aab4c0;border-radius:3px;padding:0 .3rem;margin-right:.3rem}
.empty{color:#5b6776}
@media (max-width:640px){
 main{padding:.6rem}
 table.list thead{display:none}
 table.list,table.list tbody,table.list tr,table.list td{display:block;width:100%}
 table.list tr{border:1px solid #d5dbe3;border-radius:6px;margin:0 0 .7rem;background:#fff}
 table.list td{border:none;border-bottom:1px solid #eef2f6}
 table.list td::before{content:attr(data-label);display:block;font-size:.8rem;color:#5b6776;font-weight:600}
 table.kv th{width:auto;white-space:normal}
 table.kv th,table.kv td{display:block;width:100%;border:none}
 table.kv tr{display:block;border-bottom:1px solid #d5dbe3}
}
"#;

/// A whole page: the header (with the sign-out button when signed in)
/// and `body`.
pub(crate) fn layout(title: &str, session: Option<&SessionView>, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + STYLE.len() + 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{} — ZEUS キャリア決済 注文管理</title><style>{STYLE}</style></head><body>\n\
         <header><a href=\"/\">ZEUS キャリア決済 注文管理</a>",
        Escaped(title)
    );
    if let Some(s) = session {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"/logout\" id=\"logout\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">サインアウト</button></form>",
            Escaped(&s.csrf)
        );
    }
    out.push_str("</header>\n<main>\n");
    out.push_str(body);
    out.push_str("</main></body></html>\n");
    out
}

/// `2026/01/14 10:00` (Japan time).
pub(crate) fn time(t: &JstDateTime) -> String {
    zeus_carrier_core::time::to_jst(t)
        .format("%Y/%m/%d %H:%M")
        .to_string()
}

/// `1,200円`.
pub(crate) fn yen(m: Money) -> String {
    let digits = m.yen().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push('円');
    out
}

fn opt_yen(m: Option<Money>) -> String {
    m.map_or_else(|| "—".to_owned(), yen)
}

/// A status as the manual shows it: code and label (and the English name
/// for the title).
pub(crate) fn status(s: Status) -> String {
    format!(
        "<span class=\"st{}\" title=\"{}\">{} {}</span>",
        if s.payout_eligible() { " pay" } else { "" },
        Escaped(s.name()),
        Escaped(s.code()),
        Escaped(s.label_ja())
    )
}

fn opt_status(s: Option<Status>) -> String {
    s.map_or_else(
        || "<span class=\"muted\">記録なし</span>".to_owned(),
        status,
    )
}

/// What closes, in words.
pub(crate) fn kind_ja(kind: DeadlineKind) -> &'static str {
    match kind {
        DeadlineKind::Settle => "売上確定の期限",
        DeadlineKind::Cancel => "取消の期限",
        DeadlineKind::Reconciliation => "照合",
    }
}

/// The time left until `closes` as words and a bar scaled to `span_days`.
pub(crate) fn days_left(now: &JstDateTime, closes: &JstDateTime, span_days: u32) -> String {
    let left = closes.signed_duration_since(*now);
    let minutes = left.num_minutes().max(0);
    let (days, hours) = (minutes / (24 * 60), (minutes / 60) % 24);
    let words = if minutes == 0 {
        "期限切れ".to_owned()
    } else if days == 0 {
        format!("あと{hours}時間{}分", minutes % 60)
    } else {
        format!("あと{days}日{hours}時間")
    };
    let span = i64::from(span_days.max(1)) * 24 * 60;
    let pct = (minutes * 100 / span).clamp(2, 100);
    let class = if days < 2 {
        "bar urgent"
    } else if days < 4 {
        "bar soon"
    } else {
        "bar"
    };
    format!(
        "<div class=\"left\">{}</div><div class=\"{class}\" role=\"img\" aria-label=\"{}\"><span style=\"width:{pct}%\"></span></div>",
        Escaped(&words),
        Escaped(&words)
    )
}

/// The sign-in page, with an optional message.
pub(crate) fn login(message: Option<&str>) -> String {
    let mut body = String::from("<h1>サインイン</h1>\n");
    if let Some(m) = message {
        let _ = write!(
            body,
            "<div class=\"flash error\" id=\"login-error\"><p>{}</p></div>",
            Escaped(m)
        );
    }
    body.push_str(
        "<section class=\"card\"><form method=\"post\" action=\"/login\" id=\"login\">\
         <label for=\"token\">オペレーター・トークン</label>\
         <input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\" required>\
         <p class=\"muted\">serve の運用トークン（ZEUS_CARRIER_OPERATOR_TOKEN またはトークンファイル）を入力してください。\
         サインインは12時間有効です。</p>\
         <button type=\"submit\">サインイン</button></form></section>",
    );
    layout("サインイン", None, &body)
}

/// A short page with a heading and a message (refusals, errors).
pub(crate) fn message(title: &str, text: &str, session: Option<&SessionView>) -> String {
    let body = format!(
        "<h1>{}</h1><section class=\"card\"><p id=\"message\">{}</p><p><a href=\"/\">一覧へ戻る</a></p></section>",
        Escaped(title),
        Escaped(text)
    );
    layout(title, session, &body)
}

/// What the list page shows.
pub(crate) struct ListView<'a> {
    pub(crate) session: &'a SessionView,
    pub(crate) now: JstDateTime,
    pub(crate) within_days: u32,
    pub(crate) deadlines: &'a [Deadline],
    pub(crate) error: Option<&'a str>,
    pub(crate) query: &'a str,
    pub(crate) truncated: bool,
}

fn order_link(no: &str) -> String {
    format!("<a href=\"/ui/orders/{}\">{}</a>", Escaped(no), Escaped(no))
}

/// `GET /`: reconciliations first, then the windows.
pub(crate) fn list(v: &ListView<'_>) -> String {
    let mut b = String::from("<h1>対応が必要な注文</h1>\n");
    if let Some(e) = v.error {
        let _ = write!(
            b,
            "<div class=\"flash error\" id=\"search-error\"><p>{}</p></div>",
            Escaped(e)
        );
    }
    let _ = writeln!(
        b,
        "<section class=\"card\"><form method=\"get\" action=\"/\" class=\"search\" id=\"search\">\
         <div><label for=\"order_no\">注文番号で検索</label>\
         <input type=\"text\" id=\"order_no\" name=\"order_no\" value=\"{}\" inputmode=\"latin\" autocomplete=\"off\"></div>\
         <button type=\"submit\">表示</button></form></section>",
        Escaped(v.query)
    );
    let (recon, windows): (Vec<&Deadline>, Vec<&Deadline>) = v
        .deadlines
        .iter()
        .partition(|d| d.kind == DeadlineKind::Reconciliation);
    let _ = write!(
        b,
        "<h2>照合が必要な注文（{}件）</h2>\n<p class=\"muted\">ゲートウェイの売上管理画面と照合し、確認後に注文ページで「照合済み」にしてください。</p>\n",
        recon.len()
    );
    if recon.is_empty() {
        b.push_str(
            "<p class=\"empty\" id=\"no-reconciliation\">照合が必要な注文はありません。</p>\n",
        );
    } else {
        b.push_str(
            "<table class=\"list\" id=\"reconciliation\"><thead><tr><th>注文番号</th><th>ステータス</th>\
             <th>理由</th><th>売上管理画面で確認すること</th></tr></thead><tbody>\n",
        );
        for d in recon {
            let (reason, check) = d
                .reason
                .as_ref()
                .map_or((String::new(), ""), |r| (r.text_ja(), r.check_ja()));
            let _ = writeln!(
                b,
                "<tr><td data-label=\"注文番号\">{}</td><td data-label=\"ステータス\">{}</td>\
                 <td data-label=\"理由\" class=\"reason\">{}</td><td data-label=\"確認すること\" class=\"check\">{}</td></tr>",
                order_link(d.order_no.as_str()),
                opt_status(d.status),
                Escaped(&reason),
                Escaped(check)
            );
        }
        b.push_str("</tbody></table>\n");
    }
    let _ = write!(
        b,
        "<h2>{}日以内に期限が来る注文（{}件）</h2>\n\
         <form method=\"get\" action=\"/\" class=\"search\" id=\"within\"><div><label for=\"within_days\">日数</label>\
         <input type=\"number\" id=\"within_days\" name=\"within_days\" min=\"0\" max=\"3650\" value=\"{}\"></div>\
         <button type=\"submit\" class=\"quiet\">変更</button></form>\n",
        v.within_days,
        windows.len(),
        v.within_days
    );
    if windows.is_empty() {
        b.push_str("<p class=\"empty\" id=\"no-windows\">期限が近い注文はありません。</p>\n");
    } else {
        b.push_str(
            "<table class=\"list\" id=\"windows\"><thead><tr><th>注文番号</th><th>ステータス</th>\
             <th>期限</th><th>日時</th><th>残り</th></tr></thead><tbody>\n",
        );
        for d in windows {
            let Some(closes) = d.closes_at else { continue };
            let _ = writeln!(
                b,
                "<tr><td data-label=\"注文番号\">{}</td><td data-label=\"ステータス\">{}</td>\
                 <td data-label=\"期限\">{}</td><td data-label=\"日時\">{}</td><td data-label=\"残り\">{}</td></tr>",
                order_link(d.order_no.as_str()),
                opt_status(d.status),
                kind_ja(d.kind),
                Escaped(&time(&closes)),
                days_left(&v.now, &closes, v.within_days)
            );
        }
        b.push_str("</tbody></table>\n");
    }
    if v.truncated {
        b.push_str("<p class=\"muted\">表示件数の上限に達しました。日数を短くするか、注文番号で検索してください。</p>\n");
    }
    let _ = write!(
        b,
        "<p class=\"muted\">現在時刻 {}（日本時間）</p>",
        Escaped(&time(&v.now))
    );
    layout("一覧", Some(v.session), &b)
}

fn flash_html(f: &Flash) -> String {
    let tone = match f.tone {
        Tone::Ok => "ok",
        Tone::Warn => "warn",
        Tone::Error => "error",
    };
    let mut s = format!(
        "<div class=\"flash {tone}\" id=\"outcome\" role=\"status\"><p><strong>{}</strong></p>",
        Escaped(&f.title)
    );
    for l in &f.lines {
        let _ = write!(s, "<p>{}</p>", Escaped(l));
    }
    s.push_str("</div>");
    s
}

fn source_ja(s: Source) -> &'static str {
    match s {
        Source::Cgi => "CGI通知",
        Source::Settle => "売上確定（この店舗）",
        Source::Cancel => "取消（この店舗）",
    }
}

/// What the order page shows.
pub(crate) struct OrderView<'a> {
    pub(crate) session: &'a SessionView,
    pub(crate) now: JstDateTime,
    pub(crate) order: &'a MerchantOrder,
    pub(crate) notes: &'a [ReconciliationNote],
    pub(crate) flash: Option<Flash>,
}

enum Entry<'a> {
    Step(&'a HistoryRow),
    Note(&'a ReconciliationNote),
}

/// `GET /ui/orders/{order_no}` for a recorded order.
pub(crate) fn order(v: &OrderView<'_>) -> String {
    let r = v.order.record();
    let no = r.order_no().as_str();
    let mut b = format!(
        "<h1>注文 <span id=\"order-no\">{}</span></h1>\n",
        Escaped(no)
    );
    if let Some(f) = &v.flash {
        b.push_str(&flash_html(f));
    }
    // Reconciliation first: it is why the staff came.
    let duties: Vec<DutyReason> = [
        r.reconciliation().cloned().map(DutyReason::Reconcile),
        r.in_flight().copied().map(DutyReason::InFlight),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !duties.is_empty() {
        b.push_str("<section class=\"card\" id=\"reconciliation\"><h2>照合が必要です</h2>");
        for d in &duties {
            let _ = write!(
                b,
                "<p class=\"reason\">{}</p><p class=\"check\">売上管理画面で: {}</p>",
                Escaped(&d.text_ja()),
                Escaped(d.check_ja())
            );
        }
        let _ = writeln!(
            b,
            "<form method=\"post\" action=\"/ui/orders/{}/reconciled\" id=\"reconciled\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <label for=\"note\">確認した内容（履歴に残ります）</label>\
             <textarea id=\"note\" name=\"note\" maxlength=\"{MAX_NOTE_CHARS}\" required></textarea><br>\
             <button type=\"submit\">照合済みにする</button></form></section>",
            Escaped(no),
            Escaped(&v.session.csrf)
        );
    }
    let c = r.counters();
    let w = r.windows();
    let _ = writeln!(
        b,
        "<h2>概要</h2><table class=\"kv\" id=\"summary\"><tbody>\
         <tr><th>ステータス</th><td id=\"status\">{}</td></tr>\
         <tr><th>現在の金額</th><td id=\"money\">{}</td></tr>\
         <tr><th>当初の金額</th><td id=\"original-money\">{}</td></tr>\
         <tr><th>支払対象（入金）</th><td id=\"payout\">{}</td></tr>\
         <tr><th>キャリア</th><td>{}</td></tr>\
         <tr><th>sendid</th><td>{}</td></tr>\
         <tr><th>最初の通知</th><td>{}</td></tr>\
         <tr><th>売上日</th><td>{}</td></tr>\
         <tr><th>売上確定日時</th><td>{}</td></tr>\
         </tbody></table>",
        status(r.status()),
        Escaped(&opt_yen(r.money())),
        Escaped(&opt_yen(r.original_money())),
        if r.payout_eligible() {
            "支払対象（ゲートウェイから入金されます）"
        } else {
            "支払対象外"
        },
        Escaped(r.carrier().map_or("—", |c| c.display_name())),
        Escaped(r.sendid().map_or("—", |s| s.as_str())),
        Escaped(&time(&r.first_seen_at())),
        Escaped(
            &r.settle_date()
                .map_or_else(|| "—".to_owned(), |d| d.format("%Y/%m/%d").to_string())
        ),
        Escaped(&r.settled_at().map_or_else(|| "—".to_owned(), |t| time(&t))),
    );
    let _ = write!(
        b,
        "<h2>期限</h2><table class=\"kv\" id=\"order-windows\"><tbody>"
    );
    for (kind, closes) in [
        (DeadlineKind::Settle, w.settle_closes),
        (DeadlineKind::Cancel, w.cancel_closes),
    ] {
        let cell = match closes {
            Some(t) => format!("{}{}", Escaped(&time(&t)), days_left(&v.now, &t, 50)),
            None => "<span class=\"muted\">なし（このステータスでは対象外）</span>".to_owned(),
        };
        let _ = write!(b, "<tr><th>{}</th><td>{cell}</td></tr>", kind_ja(kind));
    }
    b.push_str("</tbody></table>\n");
    let _ = writeln!(
        b,
        "<h2>CGI通知</h2><table class=\"kv\" id=\"counts\"><tbody>\
         <tr><th>受理</th><td>{}件</td></tr><tr><th>重複</th><td>{}件</td></tr>\
         <tr><th>遅延（反映なし）</th><td>{}件</td></tr><tr><th>照合失敗（反映なし）</th><td>{}件</td></tr>\
         </tbody></table>",
        c.notifications, c.duplicates, c.stale, c.flagged
    );
    // History and notes as one timeline, oldest first.
    let mut entries: Vec<(JstDateTime, Entry<'_>)> = v
        .order
        .history()
        .iter()
        .map(|h| (h.at, Entry::Step(h)))
        .chain(v.notes.iter().map(|n| (n.at, Entry::Note(n))))
        .collect();
    entries.sort_by_key(|(at, _)| *at);
    b.push_str("<h2>履歴</h2><ol class=\"timeline\" id=\"history\">");
    for (at, e) in &entries {
        match e {
            Entry::Step(h) => {
                let _ = write!(
                    b,
                    "<li><span class=\"muted\">{}</span><br><span class=\"src\">{}</span>{} → {}</li>",
                    Escaped(&time(at)),
                    source_ja(h.source),
                    h.from.map_or_else(|| "（新規）".to_owned(), status),
                    status(h.to)
                );
            }
            Entry::Note(n) => {
                let cleared = n
                    .reason
                    .as_ref()
                    .map(|r| r.text_ja())
                    .or_else(|| n.in_flight.map(|f| f.text_ja()))
                    .unwrap_or_default();
                let _ = write!(
                    b,
                    "<li class=\"note\"><span class=\"muted\">{}</span><br><span class=\"src\">照合済み</span>\
                     <span class=\"note-text\">{}</span><br><span class=\"muted\">解除した理由: {}</span></li>",
                    Escaped(&time(at)),
                    Escaped(&n.note),
                    Escaped(&cleared)
                );
            }
        }
    }
    b.push_str("</ol>\n");
    // Operations: each goes through a confirmation page first.
    b.push_str("<h2>操作</h2>");
    let settle_open = matches!(r.status(), Status::Authorized | Status::SettleReserved);
    if settle_open {
        let _ = write!(
            b,
            "<section class=\"card\"><form method=\"get\" action=\"/ui/orders/{}/confirm\" id=\"settle\">\
             <input type=\"hidden\" name=\"op\" value=\"settle\">\
             <label for=\"date\">売上日（YYYYMMDD、空欄は当日）</label>\
             <input type=\"text\" id=\"date\" name=\"date\" inputmode=\"numeric\" pattern=\"[0-9]{{8}}|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}\" placeholder=\"20260120\">\
             <label for=\"settle-money\">金額（円、空欄は現在の金額）</label>\
             <input type=\"number\" id=\"settle-money\" name=\"money\" min=\"1\" placeholder=\"{}\">\
             <label for=\"autype\">処理</label>\
             <select id=\"autype\" name=\"autype\"><option value=\"sale\">売上（売上確定・売上日の予約）</option>\
             <option value=\"auth\">仮売（予約の取り下げ）</option></select><br>\
             <button type=\"submit\">売上確定へ進む…</button></form></section>",
            Escaped(no),
            r.money().map(|m| m.yen()).unwrap_or(0)
        );
    }
    if w.cancel_closes.is_some() {
        let _ = write!(
            b,
            "<section class=\"card\"><form method=\"get\" action=\"/ui/orders/{}/confirm\" id=\"cancel\">\
             <input type=\"hidden\" name=\"op\" value=\"cancel\">\
             <p>この注文を取り消します（次の画面で確認します）。</p>\
             <button type=\"submit\" class=\"danger\">取消へ進む…</button></form></section>",
            Escaped(no)
        );
    }
    if !settle_open && w.cancel_closes.is_none() {
        b.push_str("<p class=\"muted\">このステータスでできる操作はありません。</p>");
    }
    b.push_str("<p><a href=\"/\">一覧へ戻る</a></p>");
    layout(&format!("注文 {no}"), Some(v.session), &b)
}

/// `GET /ui/orders/{order_no}` for an order known only from flagged
/// notifications (no record): the calls, the
/// staff's reviews, and — while a flagged call is not covered by a
/// review — the duty and the form that reviews it (the same
/// `/reconciled` action as an order's mark).
pub(crate) fn unrecorded(
    session: &SessionView,
    no: &str,
    flagged: &[StoredNotification],
    reviews: &[UnrecordedReview],
    flash: Option<Flash>,
) -> String {
    let mut b = format!(
        "<h1>注文 <span id=\"order-no\">{}</span></h1>\n",
        Escaped(no)
    );
    if let Some(f) = &flash {
        b.push_str(&flash_html(f));
    }
    if flagged.is_empty() {
        b.push_str("<section class=\"card\"><p id=\"message\">この注文番号の記録はありません。</p></section>");
    } else {
        let open = flagged
            .iter()
            .any(|n| !reviews.iter().any(|r| r.covers(n.id)));
        if open {
            let duty = zeus_carrier_core::merchant::ReconcileReason::NeverApplied;
            let _ = write!(
                b,
                "<section class=\"card\" id=\"reconciliation\"><h2>照合が必要です</h2><p class=\"reason\">{}</p>\
                 <p class=\"check\">売上管理画面で: {}</p>\
                 <p class=\"muted\">記録のない注文です。確認した内容を残すと一覧から外れます（この注文番号で新しい通知が照合に失敗すると、再び表示されます）。</p>\
                 <form method=\"post\" action=\"/ui/orders/{}/reconciled\" id=\"reconciled\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                 <label for=\"note\">確認した内容</label>\
                 <textarea id=\"note\" name=\"note\" maxlength=\"{MAX_NOTE_CHARS}\" required></textarea><br>\
                 <button type=\"submit\">照合済みにする</button></form></section>",
                Escaped(&duty.text_ja()),
                Escaped(duty.check_ja()),
                Escaped(no),
                Escaped(&session.csrf)
            );
        }
        b.push_str(
            "<h2>照合に失敗したCGI通知</h2><table class=\"list\" id=\"flagged\"><thead><tr><th>受信日時</th>\
             <th>通知のステータス</th><th>金額</th><th>理由</th></tr></thead><tbody>",
        );
        for n in flagged {
            let _ = write!(
                b,
                "<tr><td data-label=\"受信日時\">{}</td><td data-label=\"ステータス\">{}</td>\
                 <td data-label=\"金額\">{}</td><td data-label=\"理由\">{}</td></tr>",
                Escaped(&time(&n.received_at)),
                status(n.reported),
                Escaped(&opt_yen(n.money)),
                Escaped(n.integrity_flag.as_deref().unwrap_or(""))
            );
        }
        b.push_str("</tbody></table>");
        if !reviews.is_empty() {
            b.push_str(
                "<h2>照合の記録</h2><table class=\"list\" id=\"reviews\"><thead><tr><th>日時</th>\
                 <th>確認した内容</th></tr></thead><tbody>",
            );
            for r in reviews {
                let _ = write!(
                    b,
                    "<tr><td data-label=\"日時\">{}</td><td data-label=\"確認した内容\">{}</td></tr>",
                    Escaped(&time(&r.at)),
                    Escaped(&r.note)
                );
            }
            b.push_str("</tbody></table>");
        }
    }
    b.push_str("<p><a href=\"/\">一覧へ戻る</a></p>");
    layout(&format!("注文 {no}"), Some(session), &b)
}

/// What a confirmation page asks to confirm.
pub(crate) enum Confirm<'a> {
    /// A settle with the form's raw values (checked when posted).
    Settle {
        date: &'a str,
        money: &'a str,
        autype: &'a str,
    },
    /// A cancel.
    Cancel,
}

/// The confirmation step before a settle or a cancel.
pub(crate) fn confirm(session: &SessionView, order: &MerchantOrder, what: &Confirm<'_>) -> String {
    let r = order.record();
    let no = r.order_no().as_str();
    let mut b = String::new();
    let (title, action, button, class) = match what {
        Confirm::Settle { .. } => ("売上確定の確認", "settle", "売上確定を実行する", ""),
        Confirm::Cancel => (
            "取消の確認",
            "cancel",
            "取消を実行する",
            " class=\"danger\"",
        ),
    };
    let _ = write!(
        b,
        "<h1>{title}</h1><section class=\"card\"><table class=\"kv\" id=\"confirm-summary\"><tbody>\
         <tr><th>注文番号</th><td>{}</td></tr><tr><th>ステータス</th><td>{}</td></tr>\
         <tr><th>現在の金額</th><td>{}</td></tr>",
        Escaped(no),
        status(r.status()),
        Escaped(&opt_yen(r.money()))
    );
    let mut hidden = String::new();
    if let Confirm::Settle {
        date,
        money,
        autype,
    } = what
    {
        let autype_ja = match *autype {
            "auth" => "仮売（予約の取り下げ）",
            "" | "sale" => "売上",
            _ => "（不明な値）",
        };
        let _ = write!(
            b,
            "<tr><th>売上日</th><td>{}</td></tr><tr><th>金額</th><td>{}</td></tr><tr><th>処理</th><td>{}</td></tr>",
            if date.is_empty() {
                "指定なし（当日）".to_owned()
            } else {
                Escaped(date).to_string()
            },
            if money.is_empty() {
                "指定なし（現在の金額）".to_owned()
            } else {
                format!("{}円", Escaped(money))
            },
            autype_ja
        );
        for (name, value) in [("date", date), ("money", money), ("autype", autype)] {
            let _ = write!(
                hidden,
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                Escaped(value)
            );
        }
    }
    let _ = write!(
        b,
        "</tbody></table>\
         <p>ゲートウェイに送信します。送信前にこの店舗の記録で事前チェックを行い、ゲートウェイが拒否する依頼は送信しません。</p>\
         <form method=\"post\" action=\"/ui/orders/{}/{action}\" id=\"confirm\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">{hidden}\
         <button type=\"submit\"{class}>{button}</button> \
         <a class=\"button quiet\" href=\"/ui/orders/{}\">やめる</a></form></section>",
        Escaped(no),
        Escaped(&session.csrf),
        Escaped(no)
    );
    layout(title, Some(session), &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_20_yen_groups_thousands() {
        let m = |y| Money::new(y).expect("money");
        assert_eq!(yen(m(1)), "1円");
        assert_eq!(yen(m(1200)), "1,200円");
        assert_eq!(yen(m(999_999)), "999,999円");
    }

    #[test]
    fn issue_20_days_left_words_and_bar() {
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).expect("time");
        let now = t("2026-01-10T10:00:00+09:00");
        let s = days_left(&now, &t("2026-01-13T22:00:00+09:00"), 7);
        assert!(s.contains("あと3日12時間") && s.contains("bar soon"), "{s}");
        let s = days_left(&now, &t("2026-01-10T12:30:00+09:00"), 7);
        assert!(s.contains("あと2時間30分") && s.contains("urgent"), "{s}");
        let s = days_left(&now, &t("2026-01-09T10:00:00+09:00"), 7);
        assert!(s.contains("期限切れ"), "{s}");
    }

    #[test]
    fn issue_20_status_shows_code_and_label() {
        let s = status(Status::Authorized);
        assert!(s.contains("03 仮売完了"), "{s}");
    }
}
