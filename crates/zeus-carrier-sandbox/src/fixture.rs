//! The sandbox as a test fixture: [`Sandbox::builder`]`…start()` runs it
//! in-process on a free loopback port and returns a handle with its URL,
//! its clock, typed inspection and the shopper's actions. Dropping the
//! handle stops the server.
//!
//! The shopper's actions go over HTTP to the sandbox's own routes, as a
//! browser would: [`Sandbox::submit_checkout`] reads the page a merchant's
//! checkout renders (R-LP-5), encodes its fields in the form's charset and
//! posts them to `order.cgi`; [`Sandbox::pay`] and
//! [`Sandbox::fail_payment`] open the payment test page and press its
//! button.

use std::time::Duration;

use chrono::TimeDelta;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zeus_carrier_core::charset::percent_encode;
use zeus_carrier_core::{JstDateTime, OrderNo, Status};

use crate::config::{SandboxBuilder, SandboxConfig};
use crate::error::SandboxError;
use crate::html_form::{self, Form};
use crate::inspect::GatewayOrder;
use crate::state::{BackLink, CarrierOutcome, CgiAttempt, MailRecord, SandboxState};

/// The path of the gateway's Link Point endpoint.
pub const ORDER_CGI_PATH: &str = "/cgi-bin/carrier/order.cgi";
/// The path of the gateway's Secure Link endpoint.
pub const SECURE_CGI_PATH: &str = "/cgi-bin/carrier/secure.cgi";

/// A sandbox running in-process on `127.0.0.1:<free port>`. Dropping it
/// stops the server; [`Sandbox::shutdown`] also waits for in-flight
/// requests.
///
/// ```no_run
/// # async fn shop_test() -> Result<(), Box<dyn std::error::Error>> {
/// use zeus_carrier_core::PaymentMode;
/// use zeus_carrier_sandbox::Sandbox;
///
/// let sandbox = Sandbox::builder()
///     .mode(PaymentMode::Authorization)
///     .frozen_at("2026-12-07T10:00:00+09:00".parse()?)
///     .start()
///     .await?;
/// # let checkout_page_html = String::new();
/// let order_no = sandbox.submit_checkout(&checkout_page_html).await?;
/// let paid = sandbox.pay(&order_no).await?;
/// assert_eq!(paid.status.code(), "03");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Sandbox {
    base_url: String,
    state: SandboxState,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), SandboxError>>>,
}

/// A shopper's action that did not come to what a shopper expects.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShopperError {
    /// The page holds no form posting to `order.cgi`.
    #[error("the page has no form posting to {ORDER_CGI_PATH} (R-LP-5)")]
    NoCheckoutForm,
    /// The checkout form posts to another host than this sandbox.
    #[error("the checkout form posts to {action:?}, not to this sandbox ({sandbox})")]
    FormPostsElsewhere {
        /// The form's `action`.
        action: String,
        /// This sandbox's URL.
        sandbox: String,
    },
    /// The form's `accept-charset` (or the page's charset) is no encoding
    /// a browser knows.
    #[error("the form's charset {label:?} is not an encoding a browser knows")]
    UnknownCharset {
        /// The label as written.
        label: String,
    },
    /// `order.cgi` refused the order (`400`): every violation it listed.
    #[error("order.cgi refused the order ({}): {}", .status, .violations.iter().map(|v| format!("{}: {}", v.field, v.rule)).collect::<Vec<_>>().join("; "))]
    OrderRefused {
        /// The HTTP status.
        status: u16,
        /// The violations, as the page lists them.
        violations: Vec<FormViolation>,
    },
    /// The sandbox has no such order.
    #[error("the sandbox has no order {0:?}")]
    UnknownOrder(String),
    /// The test page offers no such button: the order was decided already.
    #[error(
        "order {order_no}: the payment test page offers no {decision:?} button (status {status})"
    )]
    NotPayable {
        /// The order.
        order_no: String,
        /// `complete` or `fail`.
        decision: &'static str,
        /// The order's status.
        status: Status,
    },
    /// An answer a browser would not expect.
    #[error("{what}: unexpected HTTP {status}: {body}")]
    Unexpected {
        /// The request.
        what: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The request could not be sent or read.
    #[error("{what}: {reason}")]
    Http {
        /// The request.
        what: String,
        /// Why.
        reason: String,
    },
}

/// One violation `order.cgi`'s `400` page lists (R-LP-1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormViolation {
    /// The field (`money`, `username`, …).
    pub field: String,
    /// The rule it breaks.
    pub rule: String,
    /// The spec's id for the rule.
    pub spec: String,
}

/// The page a shopper sees after the payment test page's button.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentPage {
    /// The order.
    pub order_no: String,
    /// The order's status once the page was shown (03/07 paid, 02 failed).
    pub status: Status,
    /// お支払い完了 (`true`) or お支払い失敗 (`false`).
    pub completed: bool,
    /// The link back to the shop on the page (success or failure link).
    pub back_link: Option<BackLink>,
}

impl Sandbox {
    /// A builder holding every default of INTERFACES.md §2;
    /// [`SandboxBuilder::start`] starts the sandbox.
    pub fn builder() -> SandboxBuilder {
        SandboxConfig::builder()
    }

    /// Starts a sandbox with `config` on `127.0.0.1:0` (the configured
    /// `listen` address is for [`crate::run`]). Prints nothing.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let state = SandboxState::new(config)?;
        let addr = "127.0.0.1:0";
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: addr.to_owned(),
                source,
            })?;
        let local = listener.local_addr().map_err(SandboxError::Serve)?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| SandboxError::Http(e.to_string()))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(crate::serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Ok(Sandbox {
            base_url: format!("http://{local}"),
            state,
            http,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The same as [`Sandbox::start`] (its former name).
    pub async fn spawn(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        Sandbox::start(config).await
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash: the gateway URL
    /// for a merchant, and the management screen.
    pub fn url(&self) -> &str {
        &self.base_url
    }

    /// The same as [`Sandbox::url`].
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL of the sandbox's `order.cgi`.
    pub fn order_cgi_url(&self) -> String {
        format!("{}{ORDER_CGI_PATH}", self.base_url)
    }

    /// The URL of the sandbox's `secure.cgi`.
    pub fn secure_cgi_url(&self) -> String {
        format!("{}{SECURE_CGI_PATH}", self.base_url)
    }

    /// The checked configuration it runs with.
    pub fn config(&self) -> &SandboxConfig {
        self.state.config()
    }

    /// The state behind the routes (orders as stored, settings, clock).
    pub fn state(&self) -> &SandboxState {
        &self.state
    }

    // ---- the clock ----

    /// The sandbox's now.
    pub fn now(&self) -> JstDateTime {
        self.state.now()
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        self.state.clock().is_frozen()
    }

    /// Freezes the clock at `at` and settles what came due, mails and CGI
    /// included, before returning (as `POST /_sandbox/clock` with `now`).
    pub async fn set_now(&self, at: JstDateTime) -> JstDateTime {
        let t = self.state.clock().set(at);
        crate::engine::run_due(&self.state).await;
        t
    }

    /// Moves the clock by `by` (negative moves it back), freezes it there
    /// and settles what came due before returning (as `POST
    /// /_sandbox/clock` with `advance_secs`).
    pub async fn advance(&self, by: TimeDelta) -> Result<JstDateTime, SandboxError> {
        self.advance_secs(by.num_seconds()).await
    }

    /// [`Sandbox::advance`] by whole seconds.
    pub async fn advance_secs(&self, secs: i64) -> Result<JstDateTime, SandboxError> {
        let t =
            self.state.clock().advance(secs).ok_or_else(|| {
                SandboxError::Clock(format!("advance_secs {secs} is out of range"))
            })?;
        crate::engine::run_due(&self.state).await;
        Ok(t)
    }

    // ---- inspection ----

    /// Every order, oldest first.
    pub fn orders(&self) -> Vec<GatewayOrder> {
        self.state
            .store()
            .orders
            .iter()
            .map(GatewayOrder::from)
            .collect()
    }

    /// One order.
    pub fn order(&self, order_no: impl AsRef<str>) -> Option<GatewayOrder> {
        self.state
            .store()
            .order(order_no.as_ref())
            .map(GatewayOrder::from)
    }

    /// Every finished CGI attempt, oldest first.
    pub fn cgi_attempts(&self) -> Vec<CgiAttempt> {
        self.state.cgi_attempts()
    }

    /// Every mail, oldest first.
    pub fn mails(&self) -> Vec<MailRecord> {
        self.state.mails()
    }

    /// Sets the carrier's answer to the next settle and/or cancel of an
    /// order (as `POST /_sandbox/orders/{order_no}/carrier-outcome`).
    pub fn set_carrier_outcome(
        &self,
        order_no: impl AsRef<str>,
        settle: Option<CarrierOutcome>,
        cancel: Option<CarrierOutcome>,
    ) -> Result<(), SandboxError> {
        self.state
            .set_carrier_outcome(order_no.as_ref(), settle, cancel)
    }

    // ---- the shopper ----

    /// Submits the page a merchant's checkout renders (an auto-submitting
    /// form to `order.cgi`, R-LP-5) as a browser would: reads the form,
    /// encodes its fields in its `accept-charset` (or the page's charset),
    /// posts them to this sandbox's `order.cgi` and returns the new order's
    /// number.
    pub async fn submit_checkout(&self, html: &str) -> Result<OrderNo, ShopperError> {
        let page = html_form::read(html);
        let form = page
            .forms
            .iter()
            .find(|f| f.method == "post" && action_path(&f.action) == Some(ORDER_CGI_PATH))
            .ok_or(ShopperError::NoCheckoutForm)?;
        let url = self.resolve(&form.action)?;
        let body = encode_form(form, &form.fields, page.meta_charset.as_deref())?;
        let what = format!("POST {ORDER_CGI_PATH}");
        // The shop's page is on the shop's site: its origin is not ours to
        // send, and order.cgi takes forms from any site.
        let res = self.post_form(&what, url, body, None).await?;
        let status = res.status().as_u16();
        let order_no = res
            .headers()
            .get(crate::ORDER_NO_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = res.text().await.map_err(|e| http_error(&what, &e))?;
        match (status, order_no) {
            (303, Some(no)) => OrderNo::parse(&no).map_err(|e| ShopperError::Unexpected {
                what,
                status,
                body: format!("order number {no:?}: {e}"),
            }),
            (400, _) => Err(ShopperError::OrderRefused {
                status,
                violations: html_form::read(&text)
                    .rows
                    .into_iter()
                    .filter(|(class, _)| class == "violation")
                    .map(|(_, cells)| {
                        let mut cells = cells.into_iter();
                        FormViolation {
                            field: cells.next().unwrap_or_default(),
                            rule: cells.next().unwrap_or_default(),
                            spec: cells.next().unwrap_or_default(),
                        }
                    })
                    .collect(),
            }),
            _ => Err(unexpected(what, status, &text)),
        }
    }

    /// Opens the payment test page of `order_no` and presses
    /// 支払完了テスト; returns the お支払い完了 page.
    pub async fn pay(&self, order_no: impl AsRef<str>) -> Result<PaymentPage, ShopperError> {
        self.decide(order_no.as_ref(), "complete").await
    }

    /// Opens the payment test page of `order_no` and presses
    /// 支払失敗テスト; returns the お支払い失敗 page.
    pub async fn fail_payment(
        &self,
        order_no: impl AsRef<str>,
    ) -> Result<PaymentPage, ShopperError> {
        self.decide(order_no.as_ref(), "fail").await
    }

    async fn decide(
        &self,
        order_no: &str,
        decision: &'static str,
    ) -> Result<PaymentPage, ShopperError> {
        let page_url = format!("{}/sandbox/carrier/{order_no}", self.base_url);
        let what = format!("GET /sandbox/carrier/{order_no}");
        let res = self
            .http
            .get(&page_url)
            .send()
            .await
            .map_err(|e| http_error(&what, &e))?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(|e| http_error(&what, &e))?;
        match status {
            200 => {}
            404 => return Err(ShopperError::UnknownOrder(order_no.to_owned())),
            _ => return Err(unexpected(what, status, &text)),
        }
        let page = html_form::read(&text);
        let button = ("decision".to_owned(), decision.to_owned());
        let Some(form) = page
            .forms
            .iter()
            .find(|f| f.method == "post" && f.buttons.contains(&button))
        else {
            let status = self.order(order_no).map_or(Status::Accepting, |o| o.status);
            return Err(ShopperError::NotPayable {
                order_no: order_no.to_owned(),
                decision,
                status,
            });
        };
        let mut fields = form.fields.clone();
        fields.push(button);
        let body = encode_form(form, &fields, page.meta_charset.as_deref())?;
        let url = self.resolve(&form.action)?;
        let what = format!("POST /sandbox/carrier/{order_no}");
        // A browser sends the page's origin with the form: the test page
        // is the sandbox's own.
        let res = self
            .post_form(&what, url, body, Some(&self.base_url))
            .await?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(|e| http_error(&what, &e))?;
        if status != 200 {
            return Err(unexpected(what, status, &text));
        }
        let result = html_form::read(&text);
        let order = self
            .order(order_no)
            .ok_or_else(|| ShopperError::UnknownOrder(order_no.to_owned()))?;
        Ok(PaymentPage {
            order_no: order_no.to_owned(),
            completed: order.status != Status::PaymentFailed,
            status: order.status,
            back_link: result
                .links
                .into_iter()
                .find(|l| l.class == "site-back")
                .map(|l| BackLink {
                    url: l.href,
                    text: l.text,
                }),
        })
    }

    /// Posts an urlencoded form as a browser does, with `origin` when the
    /// page had one to send.
    async fn post_form(
        &self,
        what: &str,
        url: String,
        body: String,
        origin: Option<&str>,
    ) -> Result<reqwest::Response, ShopperError> {
        let mut request = self.http.post(url).header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
        if let Some(origin) = origin {
            request = request.header(reqwest::header::ORIGIN, origin);
        }
        request
            .body(body)
            .send()
            .await
            .map_err(|e| http_error(what, &e))
    }

    /// The URL a form's `action` sends to, on this sandbox: a relative
    /// action is this sandbox's; an absolute one must name its host.
    fn resolve(&self, action: &str) -> Result<String, ShopperError> {
        let elsewhere = || ShopperError::FormPostsElsewhere {
            action: action.to_owned(),
            sandbox: self.base_url.clone(),
        };
        if action.starts_with('/') && !action.starts_with("//") {
            return Ok(format!("{}{action}", self.base_url));
        }
        let url = reqwest::Url::parse(action).map_err(|_| elsewhere())?;
        let ours = reqwest::Url::parse(&self.base_url).map_err(|_| elsewhere())?;
        if url.scheme() != ours.scheme()
            || url.host_str() != ours.host_str()
            || url.port_or_known_default() != ours.port_or_known_default()
        {
            return Err(elsewhere());
        }
        Ok(url.to_string())
    }

    /// Stops the server and waits for in-flight requests.
    pub async fn shutdown(mut self) -> Result<(), SandboxError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| SandboxError::Serve(std::io::Error::other(e)))?,
            None => Ok(()),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The path of a form action (`/cgi-bin/carrier/order.cgi`), absolute or
/// relative, without its query.
fn action_path(action: &str) -> Option<&str> {
    let no_query = action.split(['?', '#']).next()?;
    match no_query.find("://") {
        Some(i) => {
            let after = &no_query[i + 3..];
            after.find('/').map(|p| &after[p..])
        }
        None => Some(no_query),
    }
}

/// The urlencoded body a browser sends for `fields` of `form`: each name
/// and value encoded in the form's `accept-charset` (its first label a
/// browser knows), else the page's charset, else UTF-8; a character the
/// charset cannot hold becomes a numeric character reference (`&#NNNN;`),
/// as browsers do.
fn encode_form(
    form: &Form,
    fields: &[(String, String)],
    page_charset: Option<&str>,
) -> Result<String, ShopperError> {
    let from_form = form.accept_charset.as_deref().and_then(|labels| {
        labels
            .split([' ', ',', '\t'])
            .find_map(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
    });
    let encoding = match (from_form, page_charset) {
        (Some(e), _) => e,
        (None, Some(label)) => {
            encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                ShopperError::UnknownCharset {
                    label: label.to_owned(),
                }
            })?
        }
        (None, None) => encoding_rs::UTF_8,
    }
    .output_encoding();
    let mut out = String::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        percent_encode(&encoding.encode(name).0, &mut out);
        out.push('=');
        // Browsers send line breaks in form values as CRLF.
        let value = value.replace("\r\n", "\n").replace('\n', "\r\n");
        percent_encode(&encoding.encode(&value).0, &mut out);
    }
    Ok(out)
}

fn http_error(what: &str, e: &reqwest::Error) -> ShopperError {
    ShopperError::Http {
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

fn unexpected(what: String, status: u16, body: &str) -> ShopperError {
    ShopperError::Unexpected {
        what,
        status,
        body: body.chars().take(300).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_paths() {
        assert_eq!(
            action_path("http://127.0.0.1:1/cgi-bin/carrier/order.cgi?x=1"),
            Some(ORDER_CGI_PATH)
        );
        assert_eq!(
            action_path("/cgi-bin/carrier/order.cgi"),
            Some(ORDER_CGI_PATH)
        );
        assert_eq!(action_path("https://gw.example"), None);
    }

    #[test]
    fn d_3_form_bodies_are_encoded_in_the_form_charset_like_a_browser() {
        let form = Form {
            accept_charset: Some("Shift_JIS".to_owned()),
            ..Form::default()
        };
        let fields = [
            ("username".to_owned(), "ゼウス テスト".to_owned()),
            ("sendpoint".to_owned(), "a&b=c 😀".to_owned()),
        ];
        let body = encode_form(&form, &fields, Some("UTF-8")).expect("body");
        // ゼ = 0x83 0x5B in Shift_JIS; the emoji, which Shift_JIS cannot
        // hold, becomes &#128512; as a browser sends it.
        assert_eq!(
            body,
            "username=%83%5B%83E%83X+%83e%83X%83g&sendpoint=a%26b%3Dc+%26%23128512%3B"
        );
        let utf8 = encode_form(&Form::default(), &fields[..1], None).expect("body");
        assert_eq!(
            utf8,
            "username=%E3%82%BC%E3%82%A6%E3%82%B9+%E3%83%86%E3%82%B9%E3%83%88"
        );
        // A textarea's line breaks go as CRLF, whichever the page held.
        let lines = [("t".to_owned(), "a\nb\r\nc".to_owned())];
        assert_eq!(
            encode_form(&Form::default(), &lines, None).expect("body"),
            "t=a%0D%0Ab%0D%0Ac"
        );
        let unknown = encode_form(&Form::default(), &fields, Some("klingon"));
        assert!(matches!(unknown, Err(ShopperError::UnknownCharset { .. })));
    }
}
