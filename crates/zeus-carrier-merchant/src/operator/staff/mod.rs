//! The operator page (INTERFACES v3 §3 "The operator page", issue 20): a
//! server-rendered page in Japanese for the merchant's staff, on the
//! operator face beside the JSON API, signed in with the operator token.
//!
//! | path | does |
//! |---|---|
//! | `GET /login` | the sign-in form |
//! | `POST /login` (form `token`) | the operator token → `303 /` and a session cookie; wrong → `401` and the form again; too many wrong → `429` |
//! | `POST /logout` | ends the session → `303 /login` |
//! | `GET /` | orders awaiting reconciliation first (the reason and what to check on the 売上管理画面), then settle/cancel windows closing within `?within_days=N` (default 7) with the days left as a bar; `?order_no=` opens an order |
//! | `GET /ui/orders/{order_no}` | the order: status code and label, amounts, payout eligibility, history (with reconciliation notes), notification counts, windows, reconciliation reason; the settle and cancel forms and the clearing form |
//! | `GET /ui/orders/{order_no}/confirm?op=settle\|cancel…` | the confirmation step: what will be sent, and the button that posts it |
//! | `POST /ui/orders/{order_no}/settle` (form `date`, `money`, `autype`) and `/cancel` | [`Merchant::settle`] / [`Merchant::cancel`] — the JSON API's calls, with the same local pre-check — then `303` back to the order, which shows the outcome with its code and meaning once |
//! | `POST /ui/orders/{order_no}/reconciled` (form `note`) | clears the reconciliation mark and keeps the note in the history ([`Merchant::clear_reconciliation_noted`]) |
//!
//! # Rules, in the order they are checked
//! 1. **Same origin** (every `POST`, `/login` included): `Sec-Fetch-Site`
//!    decides when present (`same-origin` or `none` pass); otherwise an
//!    `Origin` must name this face's host. Another origin → `403`, nothing
//!    done.
//! 2. **Session.** A page or a `POST` without a live session → `303
//!    /login`. The cookie holds a random id (`getrandom`), never the token:
//!    `HttpOnly; SameSite=Strict; Path=/; Max-Age=43200`, plus `Secure`
//!    (and the `__Host-` name prefix) when the face is reached over TLS —
//!    see [`CookieSecurity`]. Sessions live in memory: a restart signs
//!    everyone out.
//! 3. **CSRF token** (every `POST` but `/login`): the session's own token
//!    in the form field `csrf`, compared in constant time; missing or
//!    wrong → `403`, nothing done.
//! 4. **Sign-in rate limit**: after [`StaffSettings::login_failures_per_client`]
//!    wrong tokens from one client within [`StaffSettings::login_window`],
//!    or [`StaffSettings::login_failures_total`] from all clients, every
//!    attempt is answered `429` (with `Retry-After`) until the window ends,
//!    the token not compared.
//!
//! The JSON endpoints are not touched: they keep the bearer token and
//! ignore the cookie. [`Merchant::staff_router`] returns the page's routes
//! only; mount them next to the bearer-protected router (which answers
//! every other path):
//!
//! ```no_run
//! # fn demo(merchant: zeus_carrier_merchant::Merchant) -> Result<(), Box<dyn std::error::Error>> {
//! use zeus_carrier_merchant::OperatorToken;
//! let token = OperatorToken::new(std::env::var("SHOP_OPERATOR_TOKEN")?)?;
//! let operator_face = merchant
//!     .staff_router(token.clone())
//!     .merge(merchant.operator_router(token));
//! # let _ = operator_face; Ok(()) }
//! ```
//!
//! Every answer carries `Cache-Control: no-store`, a Content Security
//! Policy without scripts (`default-src 'none'`), `X-Frame-Options: DENY`
//! and `Referrer-Policy: same-origin`. No page, log line or error shows the
//! token or a session id.

mod guard;
mod handlers;
mod pages;
mod session;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use zeus_carrier_core::values::OrderNo;
use zeus_carrier_store::{MerchantOrder, ReconciliationNote, StoreError, UnrecordedReview};

use super::{NoObserver, OperatorObserver, OperatorToken};
use crate::Merchant;

pub use pages::MAX_NOTE_CHARS;

/// When the session cookie is `Secure`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieSecurity {
    /// `Secure` when the request came through a TLS proxy the merchant
    /// trusts: the socket peer is in the configuration's
    /// [`trusted_proxies`](crate::MerchantConfig::trusted_proxies) (serve's
    /// `--trusted-proxy`) and the last `X-Forwarded-Proto` it wrote is
    /// `https`. Anyone else's `X-Forwarded-Proto` is ignored. A face served
    /// as plain HTTP (loopback, an internal network) gets no `Secure`, so
    /// that the browser keeps the cookie at all.
    #[default]
    Auto,
    /// Always `Secure` (TLS is terminated somewhere the service cannot
    /// see; the browser must reach the face over `https`).
    Always,
}

/// The operator page's settings; [`StaffSettings::default`] is what serve
/// uses.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StaffSettings {
    /// When the session cookie is `Secure` (default [`CookieSecurity::Auto`]).
    pub cookie_security: CookieSecurity,
    /// How long a session lives from sign-in (default 12 h); not extended by use.
    pub session_ttl: Duration,
    /// The most sessions kept at once (default 1000); the oldest goes first.
    pub max_sessions: usize,
    /// The window wrong tokens are counted in (default 15 min).
    pub login_window: Duration,
    /// Wrong tokens one client may send per window (default 5).
    pub login_failures_per_client: u32,
    /// Wrong tokens all clients together may send per window (default 50).
    pub login_failures_total: u32,
}

impl Default for StaffSettings {
    fn default() -> StaffSettings {
        StaffSettings {
            cookie_security: CookieSecurity::Auto,
            session_ttl: Duration::from_secs(12 * 60 * 60),
            max_sessions: 1000,
            login_window: Duration::from_secs(15 * 60),
            login_failures_per_client: 5,
            login_failures_total: 50,
        }
    }
}

/// Why a reconciliation mark was not cleared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClearError {
    /// The note is empty (after trimming) or longer than
    /// [`MAX_NOTE_CHARS`] characters.
    #[error("the note must be 1 to {MAX_NOTE_CHARS} characters")]
    Note,
    /// The store failed, or the order has no record
    /// ([`StoreError::OrderNotFound`]).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A staff note, trimmed: 1 to [`MAX_NOTE_CHARS`] characters.
fn checked_note(note: &str) -> Result<&str, ClearError> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(ClearError::Note);
    }
    Ok(note)
}

/// What the page's handlers share.
#[derive(Clone)]
pub(crate) struct StaffState(Arc<StaffInner>);

pub(crate) struct StaffInner {
    merchant: Merchant,
    token: OperatorToken,
    settings: StaffSettings,
    observer: Arc<dyn OperatorObserver>,
    sessions: Mutex<session::Sessions>,
    limiter: Mutex<session::LoginLimiter>,
}

impl Merchant {
    /// The operator page's routes (see the module docs), signed in with
    /// `token`, with the default [`StaffSettings`]. Merge them with
    /// [`Merchant::operator_router`] on the operator face.
    pub fn staff_router(&self, token: OperatorToken) -> Router {
        self.staff_router_with(token, StaffSettings::default(), NoObserver)
    }

    /// [`Merchant::staff_router`] with `settings`, telling `observer` of
    /// every settle and cancel sent from the page and of every wrong token.
    pub fn staff_router_with(
        &self,
        token: OperatorToken,
        settings: StaffSettings,
        observer: impl OperatorObserver,
    ) -> Router {
        let state = StaffState(Arc::new(StaffInner {
            merchant: self.clone(),
            token,
            sessions: Mutex::new(session::Sessions::new(
                settings.session_ttl,
                settings.max_sessions,
            )),
            limiter: Mutex::new(session::LoginLimiter::new(
                settings.login_window,
                settings.login_failures_per_client,
                settings.login_failures_total,
            )),
            settings,
            observer: Arc::new(observer),
        }));
        Router::new()
            .route("/login", get(handlers::login_form).post(handlers::login))
            .route("/logout", post(handlers::logout))
            .route("/", get(handlers::list))
            .route("/ui/orders/{order_no}", get(handlers::order))
            .route("/ui/orders/{order_no}/confirm", get(handlers::confirm))
            .route("/ui/orders/{order_no}/settle", post(handlers::settle))
            .route("/ui/orders/{order_no}/cancel", post(handlers::cancel))
            .route(
                "/ui/orders/{order_no}/reconciled",
                post(handlers::reconciled),
            )
            .with_state(state)
            .layer(axum::middleware::map_response(handlers::page_headers))
            .layer(axum::extract::DefaultBodyLimit::max(
                handlers::MAX_FORM_BYTES,
            ))
    }

    /// Clears the order's reconciliation mark (and an operation still
    /// marked in flight), as [`Merchant::clear_reconciliation`] does, and
    /// keeps `note` — what the staff found on the gateway's 売上管理画面 —
    /// in the order's history, in one transaction. The note is trimmed;
    /// it must be 1 to [`MAX_NOTE_CHARS`] characters. Returns the record
    /// and the note kept, or `None` when the order carried no mark
    /// (nothing written).
    pub async fn clear_reconciliation_noted(
        &self,
        order_no: &OrderNo,
        note: &str,
    ) -> Result<(MerchantOrder, Option<ReconciliationNote>), ClearError> {
        let note = checked_note(note)?;
        Ok(self
            .store()
            .clear_reconciliation_noted(order_no, note, self.clock().now())
            .await?)
    }

    /// Reviews an order known only from flagged notifications — no record,
    /// so no mark to clear; `/deadlines` lists it as `never_applied` —
    /// keeping `note`, what the staff found on the gateway's 売上管理画面:
    /// it is listed no more until another flagged call for it arrives
    /// ([`Store::review_unrecorded`](zeus_carrier_store::Store::review_unrecorded)).
    /// The note is trimmed; it must be 1 to [`MAX_NOTE_CHARS`] characters.
    /// Returns the review, or `None` when there was nothing to review
    /// (already reviewed, or the order has a record: clear its mark with
    /// [`Merchant::clear_reconciliation_noted`]).
    pub async fn review_unrecorded(
        &self,
        order_no: &OrderNo,
        note: &str,
    ) -> Result<Option<UnrecordedReview>, ClearError> {
        let note = checked_note(note)?;
        Ok(self
            .store()
            .review_unrecorded(order_no, note, self.clock().now())
            .await?)
    }

    /// The reviews of an order known only from flagged notifications,
    /// oldest first.
    pub async fn unrecorded_reviews(
        &self,
        order_no: &OrderNo,
    ) -> Result<Vec<UnrecordedReview>, StoreError> {
        self.store().unrecorded_reviews(order_no).await
    }

    /// The notes kept when the order's reconciliation mark was cleared,
    /// oldest first.
    pub async fn reconciliation_notes(
        &self,
        order_no: &OrderNo,
    ) -> Result<Vec<ReconciliationNote>, StoreError> {
        self.store().reconciliation_notes(order_no).await
    }
}
