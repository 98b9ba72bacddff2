//! `zeus-carrier demo`: a whole payment lifecycle in one process, printed
//! as a timeline, every step checked against SPEC.md (INTERFACES.md §1).
//!
//! The sandbox gateway and the reference merchant service (`serve`, SQLite
//! in a temporary directory) run in this process on loopback; everything
//! else goes through their real HTTP faces, the way a shopper's browser,
//! the merchant's staff and the gateway do:
//!
//! 1. order: `POST /checkout` at the merchant → the auto-submitting Link
//!    Point form, submitted to the gateway's `order.cgi` in the form's
//!    charset (Shift_JIS) → `303`, status 01;
//! 2. authorization: the payment test page → 支払完了テスト → 03, the
//!    仮売完了通知 mail, a CGI call the merchant acknowledges `successok`;
//! 3. settle with a date three days ahead → 04 (a reservation);
//! 4. a settle the merchant's pre-check refuses (a past date → `422`,
//!    `010010011`, nothing sent);
//! 5. the test clock passes 00:00 of the date → 05 → 07, 決済完了通知, CGI
//!    07, the merchant's order payout-eligible;
//! 6. a second order → 03 → cancel → 10 (仮売取消完了通知, optional CGI 10);
//! 7. resent CGI calls (the management screen's button): acknowledged,
//!    counted as duplicate or stale, the order never moves back.
//!
//! # Decisions
//! - **Time.** The sandbox's clock starts frozen at a fixed weekday
//!   daytime, 2026-01-14 (Wed) 10:00 Japan time (`--now` changes it), so
//!   every run prints the same dates and the checks can name them. The
//!   merchant service reads the same test clock (`Clock::from_fn` over the
//!   sandbox's clock): two machines that agree on the time, which a real
//!   merchant and the real gateway do. Step 5 moves the clock by
//!   `POST /_sandbox/clock` like any test would.
//! - **CGI.** The sandbox runs with `--cgi-optional`, so 04 and 10 are
//!   notified too (R-CG-6), and `--order-prefix DEMO`.
//! - **Checks** compare with SPEC.md's own values (codes, labels, mail
//!   subjects) written here, not with the core's tables, so the demo checks
//!   the whole stack end to end. A check that differs is printed `✗` and
//!   the demo goes on; an answer the next step cannot use stops it. Either
//!   way the exit code is 1.
//! - **Bounds.** Each request has a 20 s bound, the whole demo 120 s.
//! - **Logs** (tracing, stderr) default to `warn` so the timeline is
//!   readable; `RUST_LOG` overrides.

mod html;
mod services;
mod timeline;
mod web;

use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Days, FixedOffset};
use serde_json::{Value, json};
use zeus_carrier_core::Charset;
use zeus_carrier_core::charset::form_urlencode;
use zeus_carrier_core::mail::format_yen;
use zeus_carrier_core::time::{format_yyyymmdd, jst_date, start_of_jst_day, to_jst};

use crate::runtime;
use services::Services;
use timeline::{Timeline, jst, status_text};
use web::DemoError;
use web::{Answer, Web, items, number, text};

/// The demo's start instant: a Wednesday, 10:00 Japan time.
const DEFAULT_NOW: &str = "2026-01-14T10:00:00+09:00";

/// The bound of the whole demo.
const DEMO_TIMEOUT: Duration = Duration::from_secs(120);

/// A test username: name + `_` + the sandbox's default test ID (R-LP-4).
const TEST_USERNAME: &str = "ゼウステスト_12345678";

/// The mail subjects SPEC.md R-ST-2 gives.
const SUBJECT_AUTHORIZED: &str = "【ZEUS】キャリア決済 仮売完了通知";
const SUBJECT_COMPLETED: &str = "【ZEUS】キャリア決済 決済完了通知";
const SUBJECT_AUTH_CANCELLED: &str = "【ZEUS】キャリア決済 仮売取消完了通知";

/// `zeus-carrier demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Where the sandbox's test clock starts (RFC 3339); the demo settles
    /// three days later. Default: a Wednesday, 10:00 Japan time.
    #[arg(long, value_name = "RFC3339", default_value = DEFAULT_NOW, value_parser = parse_now)]
    now: DateTime<FixedOffset>,
}

fn parse_now(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|e| format!("{s:?} is not an RFC 3339 instant: {e}"))
}

/// Runs the demo; exit 0 when every check behaved as SPEC.md says.
pub(crate) fn run(args: &Args) -> ExitCode {
    runtime::init_logging("warn");
    let now = args.now;
    runtime::block_on(async move {
        match tokio::time::timeout(DEMO_TIMEOUT, demo(now)).await {
            Ok(result) => result,
            Err(_) => Err(DemoError::Timeout(DEMO_TIMEOUT.as_secs())),
        }
    })
}

async fn demo(now: DateTime<FixedOffset>) -> Result<(), DemoError> {
    let services = Services::start(to_jst(&now)).await?;
    let mut demo = Demo {
        web: Web::new()?.with_operator(
            services.operator_url.clone(),
            services.operator_token.clone(),
        ),
        sandbox: services.sandbox_url().to_owned(),
        serve: services.serve_url.clone(),
        operator: services.operator_url.clone(),
        t: Timeline::new(std::io::stdout()),
        now: String::new(),
        mails_seen: 0,
        cgi_seen: 0,
    };
    demo.t
        .say("ZEUS carrier billing — the whole lifecycle, offline (zeus-carrier demo)");
    demo.t.say(format!(
        "  sandbox gateway   {}  (authorization mode, test clock frozen, CGI incl. optional statuses)",
        demo.sandbox
    ));
    demo.t.say(format!(
        "  merchant service  {}  (serve; SQLite {})",
        demo.serve, services.db_path
    ));
    demo.t.say(format!(
        "  operator api      {}  (orders, settle, cancel, deadlines, metrics; bearer token)",
        demo.operator
    ));
    demo.t
        .say("  times are Japan time (UTC+09:00); ✓ = as SPEC.md says");
    let result = demo.lifecycle().await;
    if let Err(e) = &result {
        demo.t.say(format!("\ndemo stopped: {e}"));
    }
    let stopped = services.stop().await;
    result?;
    stopped?;
    let passed = demo.t.passed();
    let differed = demo.t.differed().to_vec();
    if differed.is_empty() {
        demo.t.say(format!(
            "\ndemo: all {passed} checks behaved as SPEC.md says"
        ));
        Ok(())
    } else {
        demo.t.say(format!(
            "\ndemo: {} of {} checks differed from SPEC.md:",
            differed.len(),
            passed + differed.len()
        ));
        for d in &differed {
            demo.t.say(format!("  - {d}"));
        }
        Err(DemoError::Differed(differed.len()))
    }
}

/// An order placed through the checkout and the gateway.
struct Placed {
    order_no: String,
    test_page: String,
}

struct Demo<W> {
    web: Web,
    sandbox: String,
    serve: String,
    /// The merchant service's operator face.
    operator: String,
    t: Timeline<W>,
    /// The sandbox's clock as last read (RFC 3339).
    now: String,
    mails_seen: u64,
    cgi_seen: u64,
}

impl<W: std::io::Write> Demo<W> {
    async fn lifecycle(&mut self) -> Result<(), DemoError> {
        self.read_clock().await?;
        let health = self.web.get(&format!("{}/healthz", self.serve)).await?;
        self.t.expect_eq(
            "merchant service healthy (GET /healthz)",
            200,
            health.status,
        );

        self.t
            .step(1, "order: the shopper checks out (Link Point order.cgi)");
        let first = self.place_order("DEMO-CART-1", 1000, "D").await?;

        self.t
            .step(2, "authorization: the payment test page → 支払完了テスト");
        self.authorize(&first).await?;

        self.t.step(
            3,
            "settle with a date three days ahead (Secure Link act=settled)",
        );
        let today = self.today()?;
        let settle_date = today
            .checked_add_days(Days::new(3))
            .ok_or_else(|| DemoError::unexpected("the settle date", "out of range"))?;
        let date = format_yyyymmdd(settle_date);
        self.settle_reserved(&first.order_no, &date).await?;

        self.t.step(
            4,
            "a settle the merchant refuses before sending (a past date)",
        );
        let yesterday = today
            .checked_sub_days(Days::new(1))
            .ok_or_else(|| DemoError::unexpected("yesterday", "out of range"))?;
        self.settle_refused(&first.order_no, &format_yyyymmdd(yesterday))
            .await?;

        self.t.step(
            5,
            "the settle date arrives: the test clock passes 00:00 of it",
        );
        self.settle_date_arrives(&first.order_no, settle_date)
            .await?;

        self.t
            .step(6, "a second order, authorized, then cancelled (act=return)");
        let second = self.place_order("DEMO-CART-2", 2500, "A").await?;
        self.authorize(&second).await?;
        self.cancel(&second.order_no).await?;

        self.t.step(
            7,
            "resent CGI calls (management screen): idempotent, never backwards",
        );
        self.resend(&first.order_no, "07").await?;
        self.resend(&first.order_no, "03").await?;

        self.t.step(8, "the end: both sides agree");
        self.summary(&[&first.order_no, &second.order_no]).await
    }

    // ---- reading the two sides ----------------------------------------

    async fn read_clock(&mut self) -> Result<(), DemoError> {
        let clock = self
            .web
            .get_json(&format!("{}/_sandbox/clock", self.sandbox))
            .await?;
        self.now = text(&clock, "/now");
        Ok(())
    }

    /// The Japan-time date of the sandbox's clock (D-6).
    fn today(&self) -> Result<chrono::NaiveDate, DemoError> {
        DateTime::parse_from_rfc3339(&self.now)
            .map(|t| jst_date(&t))
            .map_err(|e| {
                DemoError::unexpected("GET /_sandbox/clock", format!("now {:?}: {e}", self.now))
            })
    }

    async fn sandbox_order(&self, order_no: &str) -> Result<Value, DemoError> {
        self.web
            .get_json(&format!("{}/_sandbox/orders/{order_no}", self.sandbox))
            .await
    }

    async fn serve_order(&self, order_no: &str) -> Result<Value, DemoError> {
        self.web
            .get_json(&format!("{}/orders/{order_no}", self.operator))
            .await
    }

    /// Prints the mails and CGI attempts the sandbox logged since the last
    /// call; returns them.
    async fn news(&mut self) -> Result<(Vec<Value>, Vec<Value>), DemoError> {
        let mails = self
            .web
            .get_json(&format!("{}/_sandbox/mails", self.sandbox))
            .await?;
        let new_mails: Vec<Value> = items(&mails)
            .iter()
            .filter(|m| number(m, "/id") > self.mails_seen)
            .cloned()
            .collect();
        let cgi = self
            .web
            .get_json(&format!("{}/_sandbox/cgi", self.sandbox))
            .await?;
        let new_cgi: Vec<Value> = items(&cgi)
            .iter()
            .filter(|c| number(c, "/id") > self.cgi_seen)
            .cloned()
            .collect();
        // Interleave by time, mails first at equal times (the gateway mails,
        // then calls).
        let mut lines: Vec<(String, u8, u64, String, String)> = Vec::new();
        for m in &new_mails {
            self.mails_seen = self.mails_seen.max(number(m, "/id"));
            lines.push((
                text(m, "/at"),
                0,
                number(m, "/id"),
                format!("mail #{}", number(m, "/id")),
                format!(
                    "{}  (order {}, to {})",
                    text(m, "/subject"),
                    text(m, "/order_no"),
                    text(m, "/to")
                ),
            ));
        }
        for c in &new_cgi {
            self.cgi_seen = self.cgi_seen.max(number(c, "/id"));
            let answer = if text(c, "/outcome") == "ok" {
                format!("{} successok (ok)", text(c, "/http_status"))
            } else if text(c, "/http_status").is_empty() {
                format!("no answer ({})", text(c, "/outcome"))
            } else {
                format!("{} ({})", text(c, "/http_status"), text(c, "/outcome"))
            };
            let resend = match c.pointer("/resend_of").and_then(Value::as_u64) {
                Some(id) => format!(", manual resend of #{id}"),
                None => String::new(),
            };
            lines.push((
                text(c, "/at"),
                1,
                number(c, "/id"),
                format!("CGI #{}", number(c, "/id")),
                format!(
                    "gateway → merchant: status {} (order {}, attempt {}{resend}) → {answer}",
                    status_text(&text(c, "/status")),
                    text(c, "/order_no"),
                    text(c, "/attempt"),
                ),
            ));
        }
        lines.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
        for (at, _, _, who, line) in lines {
            self.t.event(&at, &who, line);
        }
        Ok((new_mails, new_cgi))
    }

    /// Checks that the news hold exactly one mail with `subject` for
    /// `order_no`, or none when `subject` is `None`.
    fn expect_mail(&mut self, mails: &[Value], order_no: &str, subject: Option<&str>) {
        let got: Vec<String> = mails
            .iter()
            .filter(|m| text(m, "/order_no") == order_no)
            .map(|m| text(m, "/subject"))
            .collect();
        match subject {
            Some(s) => self
                .t
                .expect_eq(format!("one mail {s} (R-ST-2)"), vec![s.to_owned()], got),
            None => self.t.expect_eq("no mail", Vec::<String>::new(), got),
        }
    }

    /// Checks that the news hold exactly one CGI call for `order_no`,
    /// reporting `status`, acknowledged `successok`; or none.
    fn expect_cgi(&mut self, cgi: &[Value], order_no: &str, status: Option<&str>, why: &str) {
        let got: Vec<(String, String)> = cgi
            .iter()
            .filter(|c| text(c, "/order_no") == order_no)
            .map(|c| (text(c, "/status"), text(c, "/outcome")))
            .collect();
        match status {
            Some(s) => self.t.expect_eq(
                format!(
                    "one CGI call, status {}, answered 200 successok ({why})",
                    status_text(s)
                ),
                vec![(s.to_owned(), "ok".to_owned())],
                got,
            ),
            None => self
                .t
                .expect_eq(format!("no CGI call ({why})"), Vec::new(), got),
        }
    }

    /// Checks the sandbox's and the merchant's status of `order_no`.
    async fn expect_status(&mut self, order_no: &str, code: &str) -> Result<(), DemoError> {
        let gateway = self.sandbox_order(order_no).await?;
        self.t.expect_eq(
            format!("gateway: order is {}", status_text(code)),
            status_text(code),
            format!(
                "{} {}",
                text(&gateway, "/status/code"),
                text(&gateway, "/status/label")
            ),
        );
        let merchant = self.serve_order(order_no).await?;
        self.t.event(
            &self.now.clone(),
            "merchant",
            format!(
                "GET /orders/{order_no} → {} {} · payout_eligible {} · notifications {} · duplicates {} · stale {}",
                text(&merchant, "/status/code"),
                text(&merchant, "/status/label"),
                text(&merchant, "/payout_eligible"),
                number(&merchant, "/notifications"),
                number(&merchant, "/duplicates"),
                number(&merchant, "/stale"),
            ),
        );
        self.t.expect_eq(
            format!("merchant: order is {}", status_text(code)),
            status_text(code),
            format!(
                "{} {}",
                text(&merchant, "/status/code"),
                text(&merchant, "/status/label")
            ),
        );
        let payout = matches!(code, "07" | "09");
        self.t.expect_eq(
            format!("merchant: payout_eligible {payout} (R-ST-1)"),
            Some(payout),
            merchant
                .pointer("/payout_eligible")
                .and_then(Value::as_bool),
        );
        Ok(())
    }

    // ---- the steps ----------------------------------------------------

    /// `POST /checkout` at the merchant, then the Link Point form to the
    /// gateway as a browser submits it.
    async fn place_order(
        &mut self,
        sendid: &str,
        money: u32,
        carrier: &str,
    ) -> Result<Placed, DemoError> {
        let done = format!("{}/checkout/done", self.serve);
        let money_text = money.to_string();
        let form = [
            ("money", money_text.as_str()),
            ("carrier_type", carrier),
            ("username", TEST_USERNAME),
            ("telno", "09012345678"),
            ("email", "shopper@example.invalid"),
            ("sendid", sendid),
            ("sendpoint", "demo"),
            ("success_url", done.as_str()),
            ("success_str", "ショップに戻る"),
            ("failure_url", done.as_str()),
            ("failure_str", "ショップに戻る"),
        ];
        let body = form_urlencode(form, Charset::Utf8)
            .map_err(|e| DemoError::unexpected("the checkout form", e.to_string()))?;
        let page = self
            .web
            .post_form(&format!("{}/checkout", self.serve), body)
            .await?
            .expect_status(200)?;
        let html = page.page()?;
        let forms = html::forms(&html);
        let Some(link_point) = forms.first() else {
            return Err(DemoError::unexpected(
                &page.what,
                format!("no form in the page: {}", page.text_lossy()),
            ));
        };
        let carrier_name = match carrier {
            "D" => "docomo",
            "A" => "au",
            "S" => "SoftBank",
            other => other,
        };
        self.t.event(
            &self.now.clone(),
            "shopper",
            format!(
                "POST {}/checkout ({}, {carrier_name}, {TEST_USERNAME}, sendid {sendid}) → 200, auto-submitting Link Point form ({} fields)",
                self.serve,
                format_yen(money),
                link_point.fields.len()
            ),
        );
        let order_cgi = format!("{}/cgi-bin/carrier/order.cgi", self.sandbox);
        self.t.expect_eq(
            "the form posts to the gateway's order.cgi",
            (order_cgi.as_str(), "post"),
            (link_point.action.as_str(), link_point.method.as_str()),
        );
        let charset = link_point
            .accept_charset
            .as_deref()
            .and_then(web::charset_of_label);
        self.t.expect_eq(
            "the form is sent in Shift_JIS (D-3)",
            Some(Charset::ShiftJis),
            charset,
        );
        let charset = charset.unwrap_or(Charset::ShiftJis);
        let fields = link_point
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()));
        let body = form_urlencode(fields, charset)
            .map_err(|e| DemoError::unexpected("the Link Point form", e.to_string()))?;
        let answer = self.web.post_form(&link_point.action, body).await?;
        let answer = answer.expect_status(303)?;
        let Some(order_no) = answer
            .header(zeus_carrier_sandbox::ORDER_NO_HEADER)
            .map(str::to_owned)
        else {
            return Err(DemoError::unexpected(
                &answer.what,
                "303 without X-Sandbox-Order-No",
            ));
        };
        let Some(location) = answer.location() else {
            return Err(DemoError::unexpected(&answer.what, "303 without Location"));
        };
        let test_page = absolute(&self.sandbox, location);
        self.t.event(
            &self.now.clone(),
            "shopper",
            format!(
                "POST order.cgi ({} urlencoded) → 303 to the payment test page, order {order_no}",
                charset.http_label()
            ),
        );
        let order = self.sandbox_order(&order_no).await?;
        self.t.event(
            &text(&order, "/accepted_at"),
            "gateway",
            format!(
                "order {order_no} accepted: {} · {} · carrier {} · test {}",
                status_text(&text(&order, "/status/code")),
                format_yen(u32::try_from(number(&order, "/money")).unwrap_or(u32::MAX)),
                text(&order, "/carrier"),
                text(&order, "/test"),
            ),
        );
        self.t.expect_eq(
            "gateway: order is 01 受付中, test payment (R-TM-1)",
            ("01".to_owned(), true),
            (
                text(&order, "/status/code"),
                order.pointer("/test").and_then(Value::as_bool) == Some(true),
            ),
        );
        self.t.expect_eq(
            "gateway: amount, carrier and sendid as ordered",
            (money_text.clone(), carrier.to_owned(), sendid.to_owned()),
            (
                text(&order, "/money"),
                text(&order, "/carrier"),
                text(&order, "/sendid"),
            ),
        );
        Ok(Placed {
            order_no,
            test_page,
        })
    }

    /// The payment test page, 支払完了テスト, the completion page and its
    /// link back to the shop.
    async fn authorize(&mut self, placed: &Placed) -> Result<(), DemoError> {
        let order_no = placed.order_no.as_str();
        let page = self.web.get(&placed.test_page).await?.expect_status(200)?;
        let html = page.page()?;
        let Some((form, button)) = html::forms(&html).into_iter().find_map(|f| {
            let b = f
                .buttons
                .iter()
                .find(|(_, _, label)| label.contains("支払完了テスト"))
                .cloned()?;
            Some((f, b))
        }) else {
            return Err(DemoError::unexpected(
                &page.what,
                "no 支払完了テスト button on the payment test page",
            ));
        };
        let mut fields: Vec<(&str, &str)> = form
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        fields.push((button.0.as_str(), button.1.as_str()));
        let charset = form
            .accept_charset
            .as_deref()
            .and_then(web::charset_of_label)
            .unwrap_or(Charset::Utf8);
        let body = form_urlencode(fields, charset)
            .map_err(|e| DemoError::unexpected("the test page's form", e.to_string()))?;
        let action = absolute(&self.sandbox, &form.action);
        let done = self
            .web
            .post_form(&action, body)
            .await?
            .expect_status(200)?;
        let done_html = done.page()?;
        self.t.event(
            &self.now.clone(),
            "shopper",
            format!(
                "payment test page → clicks {} ({}={}) → 200 {}",
                button.2,
                button.0,
                button.1,
                if done_html.contains("お支払い完了") {
                    "お支払い完了"
                } else {
                    "(page without お支払い完了)"
                }
            ),
        );
        self.t.check(
            done_html.contains("お支払い完了"),
            "the completion page says お支払い完了",
            done.text_lossy(),
        );
        let order = self.sandbox_order(order_no).await?;
        if let Some(last) = items(&order["history"]).last() {
            self.t.event(
                &text(last, "/at"),
                "gateway",
                format!(
                    "{} → {} ({})",
                    status_text(&text(last, "/from")),
                    status_text(&text(last, "/to")),
                    text(last, "/event")
                ),
            );
        }
        let news = self.news().await?;
        self.expect_mail(&news.0, order_no, Some(SUBJECT_AUTHORIZED));
        self.expect_cgi(&news.1, order_no, Some("03"), "R-CG-1");
        match html::link_with_class(&done_html, "site-back") {
            Some((href, label)) => {
                let back = self.web.get(&href).await?;
                self.t.event(
                    &self.now.clone(),
                    "shopper",
                    format!("follows 「{label}」 → {href} → {}", back.status),
                );
                self.t.expect_eq(
                    "the completion page links back to the shop (success_url/success_str)",
                    (format!("{}/checkout/done", self.serve), 200),
                    (href, back.status),
                );
            }
            None => self.t.check(
                false,
                "the completion page links back to the shop (success_url/success_str)",
                "no link",
            ),
        }
        self.expect_status(order_no, "03").await
    }

    /// `POST /orders/{order_no}/settle {"date": date}` at the merchant: the
    /// answer and its JSON body.
    async fn post_settle(&self, order_no: &str, date: &str) -> Result<(Answer, Value), DemoError> {
        let answer = self
            .web
            .post_json(
                &format!("{}/orders/{order_no}/settle", self.operator),
                Some(&json!({"date": date})),
            )
            .await?;
        let body = answer.json()?;
        Ok((answer, body))
    }

    /// Settle with a future date: a reservation (R-SL-2).
    async fn settle_reserved(&mut self, order_no: &str, date: &str) -> Result<(), DemoError> {
        let (answer, body) = self.post_settle(order_no, date).await?;
        self.t.event(
            &self.now.clone(),
            "merchant",
            format!(
                "POST /orders/{order_no}/settle {{\"date\": \"{date}\"}} → {} outcome {} · error_code {} · date {}",
                answer.status,
                text(&body, "/outcome"),
                or_dash(&text(&body, "/error_code")),
                or_dash(&text(&body, "/date")),
            ),
        );
        self.t.expect_eq(
            "settle answered 200, outcome success with the date (R-SL-2)",
            (200, "success".to_owned(), date.to_owned()),
            (answer.status, text(&body, "/outcome"), text(&body, "/date")),
        );
        let news = self.news().await?;
        let order = self.sandbox_order(order_no).await?;
        self.t.event(
            &self.now.clone(),
            "gateway",
            format!(
                "order {order_no}: {} · settle_date {}",
                status_text(&text(&order, "/status/code")),
                text(&order, "/settle_date")
            ),
        );
        self.t.expect_eq(
            "gateway: settle date reserved",
            date.to_owned(),
            text(&order, "/settle_date"),
        );
        self.expect_mail(&news.0, order_no, None);
        self.expect_cgi(&news.1, order_no, Some("04"), "optional, opted in: R-CG-6");
        self.expect_status(order_no, "04").await
    }

    /// A settle dated yesterday: refused by the merchant's pre-check.
    async fn settle_refused(&mut self, order_no: &str, date: &str) -> Result<(), DemoError> {
        let before = self.sandbox_order(order_no).await?;
        let (answer, body) = self.post_settle(order_no, date).await?;
        self.t.event(
            &self.now.clone(),
            "merchant",
            format!(
                "POST /orders/{order_no}/settle {{\"date\": \"{date}\"}} → {} {} {} ({}) · sent {}",
                answer.status,
                text(&body, "/result"),
                text(&body, "/error_code"),
                text(&body, "/meaning"),
                text(&body, "/sent"),
            ),
        );
        self.t.expect_eq(
            "refused locally: 422, error_code 010010011, nothing sent (R-SL-1)",
            (422, "010010011".to_owned(), Some(false)),
            (
                answer.status,
                text(&body, "/error_code"),
                body.pointer("/sent").and_then(Value::as_bool),
            ),
        );
        let news = self.news().await?;
        let after = self.sandbox_order(order_no).await?;
        self.t.expect_eq(
            "gateway: the order did not change",
            (
                text(&before, "/status/code"),
                text(&before, "/settle_date"),
                items(&before["history"]).len(),
            ),
            (
                text(&after, "/status/code"),
                text(&after, "/settle_date"),
                items(&after["history"]).len(),
            ),
        );
        self.expect_mail(&news.0, order_no, None);
        self.expect_cgi(&news.1, order_no, None, "nothing was sent");
        Ok(())
    }

    /// Moves the test clock three days: the reservation settles at 00:00
    /// of its date (R-SL-2).
    async fn settle_date_arrives(
        &mut self,
        order_no: &str,
        date: chrono::NaiveDate,
    ) -> Result<(), DemoError> {
        let before = self.now.clone();
        let secs = 3 * 24 * 3600;
        let answer = self
            .web
            .post_json(
                &format!("{}/_sandbox/clock", self.sandbox),
                Some(&json!({"advance_secs": secs})),
            )
            .await?
            .expect_status(200)?;
        let clock = answer.json()?;
        self.now = text(&clock, "/now");
        self.t.event(
            &self.now.clone(),
            "test",
            format!(
                "POST /_sandbox/clock {{\"advance_secs\": {secs}}} → now {} (frozen {})",
                jst(&self.now),
                text(&clock, "/frozen")
            ),
        );
        let expected_now = DateTime::parse_from_rfc3339(&before)
            .ok()
            .map(|t| to_jst(&(t + chrono::TimeDelta::seconds(secs))));
        self.t.expect_eq(
            "the clock moved three days",
            expected_now,
            DateTime::parse_from_rfc3339(&self.now)
                .ok()
                .map(|t| to_jst(&t)),
        );
        let order = self.sandbox_order(order_no).await?;
        let history = items(&order["history"]);
        for h in history.iter().skip(history.len().saturating_sub(2)) {
            self.t.event(
                &text(h, "/at"),
                "gateway",
                format!(
                    "{} → {} ({})",
                    status_text(&text(h, "/from")),
                    status_text(&text(h, "/to")),
                    text(h, "/event")
                ),
            );
        }
        let news = self.news().await?;
        let steps: Vec<(String, String)> = history
            .iter()
            .skip(history.len().saturating_sub(2))
            .map(|h| (text(h, "/from"), text(h, "/to")))
            .collect();
        self.t.expect_eq(
            "gateway: 04 → 05 → 07 (R-SL-2, SPEC §3)",
            vec![
                ("04".to_owned(), "05".to_owned()),
                ("05".to_owned(), "07".to_owned()),
            ],
            steps,
        );
        let midnight = zeus_carrier_sandbox::rfc3339(&start_of_jst_day(date));
        self.t.expect_eq(
            "gateway: settled at 00:00 of the settle date",
            midnight,
            text(&order, "/settled_at"),
        );
        self.expect_mail(&news.0, order_no, Some(SUBJECT_COMPLETED));
        self.expect_cgi(&news.1, order_no, Some("07"), "05 is not notified");
        self.expect_status(order_no, "07").await
    }

    /// Cancel of an authorization (R-CN-1) → 10.
    async fn cancel(&mut self, order_no: &str) -> Result<(), DemoError> {
        let answer = self
            .web
            .post_json(&format!("{}/orders/{order_no}/cancel", self.operator), None)
            .await?;
        let body = answer.json()?;
        self.t.event(
            &self.now.clone(),
            "merchant",
            format!(
                "POST /orders/{order_no}/cancel → {} outcome {} · error_code {}",
                answer.status,
                text(&body, "/outcome"),
                or_dash(&text(&body, "/error_code")),
            ),
        );
        self.t.expect_eq(
            "cancel answered 200, outcome success (R-CN-1)",
            (200, "success".to_owned()),
            (answer.status, text(&body, "/outcome")),
        );
        let news = self.news().await?;
        self.expect_mail(&news.0, order_no, Some(SUBJECT_AUTH_CANCELLED));
        self.expect_cgi(&news.1, order_no, Some("10"), "optional, opted in: R-CG-6");
        self.expect_status(order_no, "10").await
    }

    /// Resends the first CGI call that reported `status` for `order_no`.
    async fn resend(&mut self, order_no: &str, status: &str) -> Result<(), DemoError> {
        let all = self
            .web
            .get_json(&format!("{}/_sandbox/cgi", self.sandbox))
            .await?;
        let Some(id) = items(&all)
            .iter()
            .find(|c| text(c, "/order_no") == order_no && text(c, "/status") == status)
            .map(|c| number(c, "/id"))
        else {
            return Err(DemoError::unexpected(
                "GET /_sandbox/cgi",
                format!("no CGI call with status {status} for {order_no}"),
            ));
        };
        let before = self.serve_order(order_no).await?;
        let answer = self
            .web
            .post_json(&format!("{}/_sandbox/cgi/{id}/resend", self.sandbox), None)
            .await?;
        self.t.event(
            &self.now.clone(),
            "staff",
            format!(
                "POST /_sandbox/cgi/{id}/resend (status {}) → {}",
                status_text(status),
                answer.status
            ),
        );
        self.t.expect_eq("resend accepted", 202, answer.status);
        let news = self.news().await?;
        let resent: Vec<(Option<u64>, String)> = news
            .1
            .iter()
            .map(|c| {
                (
                    c.pointer("/resend_of").and_then(Value::as_u64),
                    text(c, "/outcome"),
                )
            })
            .collect();
        self.t.expect_eq(
            "the merchant acknowledged the resend with successok (R-CG-3)",
            vec![(Some(id), "ok".to_owned())],
            resent,
        );
        let after = self.serve_order(order_no).await?;
        let grew = |k: &str| number(&after, k).saturating_sub(number(&before, k));
        let (duplicates, stale) = (grew("/duplicates"), grew("/stale"));
        let counted = match (duplicates, stale) {
            (1, 0) => "duplicates",
            (0, 1) => "stale",
            _ => "neither counter",
        };
        self.t.event(
            &self.now.clone(),
            "merchant",
            format!(
                "GET /orders/{order_no} → {} {} · duplicates {} · stale {} (counted in {counted})",
                text(&after, "/status/code"),
                text(&after, "/status/label"),
                number(&after, "/duplicates"),
                number(&after, "/stale"),
            ),
        );
        self.t.check(
            duplicates + stale == 1,
            "the resend is counted once, as a duplicate or stale (R-CG-3, R-CG-4)",
            format!("duplicates +{duplicates}, stale +{stale}"),
        );
        self.t.expect_eq(
            "merchant: the order did not move (status, history, notifications)",
            (
                text(&before, "/status/code"),
                items(&before["history"]).len(),
                number(&before, "/notifications"),
            ),
            (
                text(&after, "/status/code"),
                items(&after["history"]).len(),
                number(&after, "/notifications"),
            ),
        );
        Ok(())
    }

    /// Both sides' final statuses.
    async fn summary(&mut self, orders: &[&str]) -> Result<(), DemoError> {
        for order_no in orders {
            let gateway = self.sandbox_order(order_no).await?;
            let merchant = self.serve_order(order_no).await?;
            let path: Vec<String> = items(&merchant["history"])
                .iter()
                .map(|h| format!("{} ({})", text(h, "/to"), text(h, "/source")))
                .collect();
            self.t.event(
                &self.now.clone(),
                "both",
                format!(
                    "order {order_no}: gateway {} · merchant {} · merchant history {}",
                    status_text(&text(&gateway, "/status/code")),
                    status_text(&text(&merchant, "/status/code")),
                    path.join(" → ")
                ),
            );
            self.t.expect_eq(
                format!("gateway and merchant agree on {order_no}"),
                text(&gateway, "/status/code"),
                text(&merchant, "/status/code"),
            );
        }
        let mails = self
            .web
            .get_json(&format!("{}/_sandbox/mails", self.sandbox))
            .await?;
        let cgi = self
            .web
            .get_json(&format!("{}/_sandbox/cgi", self.sandbox))
            .await?;
        let failed = items(&cgi)
            .iter()
            .filter(|c| text(c, "/outcome") != "ok")
            .count();
        self.t.say(format!(
            "                     {} mails, {} CGI calls ({} failed)",
            items(&mails).len(),
            items(&cgi).len(),
            failed
        ));
        self.t
            .expect_eq("every CGI call was acknowledged (R-CG-1)", 0, failed);
        Ok(())
    }
}

/// `location` (absolute, or a path on `base`) as an absolute URL.
fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_owned()
    } else if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        format!("{base}/{location}")
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_become_absolute() {
        assert_eq!(
            absolute("http://127.0.0.1:1", "/sandbox/carrier/X"),
            "http://127.0.0.1:1/sandbox/carrier/X"
        );
        assert_eq!(absolute("http://127.0.0.1:1", "http://h/x"), "http://h/x");
    }

    #[test]
    fn the_default_start_is_a_weekday_daytime_in_japan() {
        use chrono::{Datelike, Timelike};
        let t = to_jst(&parse_now(DEFAULT_NOW).expect("parses"));
        assert_eq!(t.weekday(), chrono::Weekday::Wed);
        assert!((9..17).contains(&t.hour()));
        assert!(parse_now("yesterday").is_err());
    }
}
