//! [`Merchant::checkout`]: one call validates an order request, saves the
//! checkout and renders the Link Point form (R-LP-1, R-LP-5).
//!
//! # Decisions
//! - The request is shaped by the core's
//!   [`checkout_request`](zeus_carrier_core::merchant::checkout_request):
//!   `clientip` is always the merchant's own; an empty `sendid` is a fresh
//!   one ([`SENDID_PREFIX`] + 16 hex digits, 64 bits from the operating
//!   system's random source: unguessable); with a signing key, `sendpoint`
//!   is the signature of the order (`zeus_carrier_http::signing`). The
//!   checkout is saved under the `sendid`, so every CGI call can be
//!   checked against it.
//! - A `sendid` already saved with another amount or carrier is refused
//!   ([`CheckoutError::SendIdInUse`]): reusing it would make the integrity
//!   check compare against the wrong order. The same request again (a
//!   shopper reloading the page) renders the same form — until an order
//!   used the checkout: then it is refused
//!   ([`CheckoutError::AlreadyUsed`], the core's
//!   [`Checkout::check_unused`]), because the gateway would take the form
//!   as a new order and charge the shopper a second time.
//! - The checkout is saved *before* the form is returned: a form the
//!   shopper can submit always has its checkout.

use zeus_carrier_core::Charset;
use zeus_carrier_core::link_point::{OrderRequest, Violations};
use zeus_carrier_core::merchant::{Checkout, CheckoutUsed, SendpointUse, checkout_request};
use zeus_carrier_core::values::{Money, SendId};
use zeus_carrier_http::signing::sign_sendpoint;
use zeus_carrier_store::StoreError;

use crate::Merchant;

/// The prefix of generated `sendid`s: `zc-` + 16 hex digits (19
/// characters, inside the field's 25).
pub const SENDID_PREFIX: &str = "zc-";

/// A rendered checkout: the page to send to the shopper's browser, and the
/// saved checkout.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckoutForm {
    /// The saved checkout (its `sendid` identifies the order request).
    pub checkout: Checkout,
    /// The auto-submitting HTML page posting to the gateway's `order.cgi`,
    /// every value escaped (R-LP-5).
    pub html: String,
    /// [`CheckoutForm::html`] encoded in [`CheckoutForm::charset`]: the
    /// bytes to send.
    pub body: Vec<u8>,
    /// The page's charset (D-3); the `Content-Type` is
    /// `text/html; charset={charset.http_label()}`.
    pub charset: Charset,
}

/// Why no form was rendered. Nothing was saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckoutError {
    /// The request breaks the manual's rules: every violation, each naming
    /// its field and rule (R-LP-1).
    #[error("order request invalid: {0}")]
    Invalid(Violations),
    /// The `sendid` is already saved with another amount or carrier.
    #[error("sendid \"{sendid}\" is already used by a checkout with another amount or carrier")]
    SendIdInUse {
        /// The `sendid`.
        sendid: SendId,
    },
    /// An order already used this checkout: a new payment needs a new
    /// checkout (another `sendid`, or none to get a fresh one).
    #[error(transparent)]
    AlreadyUsed(CheckoutUsed),
    /// The operating system gave no random bytes for a `sendid`.
    #[error("no random source for a sendid: {0}")]
    Random(String),
    /// The page cannot be encoded in the charset (cannot happen for a
    /// request that validated in it).
    #[error("page not encodable: {0}")]
    Encoding(String),
    /// The store failed; nothing was saved.
    #[error(transparent)]
    Store(StoreError),
}

impl Merchant {
    /// Validates `request` in the configured charset, saves its checkout
    /// and renders the auto-submitting form (see the module docs).
    ///
    /// ```no_run
    /// # async fn shop(merchant: zeus_carrier_merchant::Merchant) -> Result<(), Box<dyn std::error::Error>> {
    /// use zeus_carrier_core::link_point::OrderRequest;
    /// let request = OrderRequest::from_pairs([
    ///     ("money", "1000"),
    ///     ("carrier_type", "D"),
    ///     ("username", "ゼウス"),
    ///     ("telno", "0312345678"),
    /// ]);
    /// let form = merchant.checkout(request).await?;
    /// // Send `form.body` as `text/html; charset=…` to the shopper's browser;
    /// // keep `form.checkout.sendid` with the cart (Merchant::order_for_checkout
    /// // gives the order number to settle once it is paid).
    /// println!("{} bytes, sendid {}", form.body.len(), form.checkout.sendid);
    /// # Ok(()) }
    /// ```
    pub async fn checkout(&self, request: OrderRequest) -> Result<CheckoutForm, CheckoutError> {
        let config = self.config();
        let fresh =
            SendId::parse(&new_sendid()?).map_err(|e| CheckoutError::Random(e.to_string()))?;
        let sendpoint = match config.signing_key() {
            Some(_) => SendpointUse::Signature,
            None => SendpointUse::Merchant,
        };
        let request = checkout_request(request, config.clientip(), &fresh, sendpoint);
        let mut valid = request
            .validate(config.charset())
            .map_err(CheckoutError::Invalid)?;
        if let Some(key) = config.signing_key() {
            let (money, carrier) = (valid.money(), valid.carrier());
            let mut signed = valid.into_request();
            signed.sendpoint =
                sign_sendpoint(key, &signed.clientip, &signed.sendid, money, carrier);
            valid = signed
                .validate(config.charset())
                .map_err(CheckoutError::Invalid)?;
        }
        // A validated request's sendid and money satisfy the typed values'
        // rules (R-LP-2, SPEC §4); the conversions cannot fail.
        let sendid = SendId::parse(&valid.request().sendid)
            .map_err(|e| CheckoutError::Encoding(e.to_string()))?;
        let money =
            Money::from_yen(valid.money()).map_err(|e| CheckoutError::Encoding(e.to_string()))?;
        let checkout = Checkout::new(sendid.clone(), money, valid.carrier(), self.clock().now());
        let checkout = match self.store().save_checkout(&checkout).await {
            Ok(saved) => saved,
            Err(StoreError::CheckoutConflict { .. }) => {
                return Err(CheckoutError::SendIdInUse { sendid });
            }
            Err(e) => return Err(CheckoutError::Store(e)),
        };
        checkout
            .check_unused()
            .map_err(CheckoutError::AlreadyUsed)?;
        let html = valid.render_html_form(&config.order_url());
        let body = config
            .charset()
            .encode(&html)
            .map_err(|e| CheckoutError::Encoding(e.to_string()))?
            .into_owned();
        tracing::info!(
            sendid = sendid.as_str(),
            money = money.yen(),
            carrier = valid.carrier().code(),
            "checkout saved and rendered"
        );
        Ok(CheckoutForm {
            checkout,
            html,
            body,
            charset: config.charset(),
        })
    }
}

/// [`SENDID_PREFIX`] + 16 hex digits.
fn new_sendid() -> Result<String, CheckoutError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| CheckoutError::Random(e.to_string()))?;
    let mut id = String::from(SENDID_PREFIX);
    for b in bytes {
        id.push_str(&format!("{b:02x}"));
    }
    Ok(id)
}
