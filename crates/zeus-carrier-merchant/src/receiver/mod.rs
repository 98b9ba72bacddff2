//! The CGI receiver: the gateway's status notifications, received durably
//! and idempotently (SPEC §9, R-CG-1 … R-CG-5; INTERFACES §3).
//!
//! [`Receiver::receive`] is one framework-neutral async function: from a
//! [`CgiCall`] (socket peer, `X-Forwarded-For` values, method, raw query
//! or form body) to an [`Ack`] or a typed [`CallbackRejection`], each with
//! its HTTP status as a number and its body. Any HTTP framework can serve
//! it; `examples/` shows plain hyper (`receiver_hyper`) and actix-web
//! (`receiver_actix`). With the `axum` feature (on by default),
//! [`callback_router`] is the ready-made axum adapter.
//!
//! # Checks, in order, and their answers
//! 1. **Source** (R-CG-5): the socket peer; `X-Forwarded-For` only when the
//!    peer is a trusted proxy ([`zeus_carrier_http::source`]). Not in the allowlist, or
//!    unknown (no peer given) → `403`.
//! 2. **HEAD**: a `HEAD` from an allowed source is answered `200` with an
//!    empty body ([`Ack::Probe`]); nothing is read or recorded (decision:
//!    a monitor may probe the path; only GET and POST carry calls).
//! 3. **Size**: a query above [`MerchantConfig::max_query_bytes`] → `414`;
//!    for CGI by POST, a body above [`MerchantConfig::max_body_bytes`] →
//!    `413`, and a body that is not `application/x-www-form-urlencoded`
//!    (no `Content-Type` counts as a form) → `415`. A POST's parameters
//!    are its body, read in the configured charset like a query; its query
//!    string is not read.
//! 4. **Parse** through the core ([`Callback::parse_query`], in the
//!    configured charset); `order_no`, `status` and `clientip` are required
//!    → otherwise `400`.
//! 5. **Foreign**: `clientip` not this merchant's → `400`.
//! 6. **Checkout lookup** by `sendid`, for 7, only when a signing key is
//!    configured (8 reads the checkout itself, inside the store's
//!    transaction); storage unavailable → `503`.
//! 7. **Signature** (when a signing key is configured, [`zeus_carrier_http::signing`]):
//!    `sendpoint`, `sendid` and `carrier_type` (and `money` when no checkout
//!    was saved) are required, and the signature must verify → otherwise
//!    `400`.
//! 8. **Integrity** (the core's [`zeus_carrier_core::merchant::on_notification`],
//!    run by the store inside the order's transaction): a call disagreeing
//!    with the checkout, or naming a checkout another order already used,
//!    is recorded with a flag and **not applied**; it is still
//!    answered `successok` (decision: the call was received and stored; a
//!    resend would carry the same values, so a non-success answer would
//!    only make the gateway retry and then mail an error; the flag shows in
//!    the merchant's record (`flagged`, `needs_reconciliation`), in its
//!    deadlines, and as a `warn` log line).
//! 9. **Record** ([`Store::record_notification`]): `200 successok` only
//!    after it returned `Ok`, i.e. after the commit (R-CG-1). Duplicates are
//!    answered `successok` and change nothing (R-CG-3); late calls are
//!    stored without moving the order (R-CG-4). Storage unavailable → `503`;
//!    any other storage error → `500`.
//!
//! No error answer starts with `successok` (each body starts with
//! `error:`), so the gateway reports the failure and can resend (R-CG-1,
//! R-CG-2). Any other method is for the adapter to refuse with `405`
//! ([`Method::from_name`], [`Method::ALLOW`]).
//!
//! # Driving it from any framework
//!
//! ```no_run
//! use zeus_carrier_http::CgiCall;
//! use zeus_carrier_merchant::Receiver;
//! # async fn handle(receiver: &Receiver, peer: std::net::IpAddr, query: &[u8]) {
//! let call = CgiCall::get(Some(peer), query.to_vec()).with_forwarded_for(["192.0.2.1"]);
//! let (status, body) = match receiver.receive(call).await {
//!     Ok(ack) => (ack.status(), ack.body().to_owned()),
//!     Err(rejection) => (rejection.status(), rejection.body()),
//! };
//! // answer `status` with `body`, content type ANSWER_CONTENT_TYPE
//! # let _ = (status, body); }
//! ```

mod adapter;
mod rejection;
#[cfg(feature = "axum")]
mod router;

use std::net::IpAddr;
use std::sync::Arc;

use zeus_carrier_core::callback::Callback;
use zeus_carrier_core::merchant::{Checkout, Notice, NoticeEffect};
use zeus_carrier_store::Store;

pub use adapter::{NotACall, call_from_http, response_to_http};
pub use rejection::{CallbackRejection, RejectionReason};
#[cfg(feature = "axum")]
pub use router::{CallbackObserver, callback_router, callback_router_observed};
pub use zeus_carrier_http::{ANSWER_CONTENT_TYPE, Ack, CgiCall, Method, SUCCESS_BODY};

use zeus_carrier_http::signing::{SignatureError, verify_sendpoint};
use zeus_carrier_http::source::{SourceError, contains, resolve};

use crate::config::MerchantConfig;

/// The CGI receiver: the store and the merchant's one configuration (its
/// IP code, charset, allowlist, trusted proxies, signing key, policy for
/// calls without a checkout, and clock). Cheap to clone (the clones share
/// the store's pool). Built by [`crate::Merchant::receiver`], or
/// [`Receiver::new`] for a receiver alone.
#[derive(Clone, Debug)]
pub struct Receiver {
    store: Store,
    config: MerchantConfig,
    untrusted_forwarded: Arc<RateLimitedLog>,
}

impl Receiver {
    /// A receiver recording into `store` under `config` (checked when it
    /// was built).
    pub fn new(store: Store, config: MerchantConfig) -> Receiver {
        Receiver {
            store,
            config,
            untrusted_forwarded: Arc::new(RateLimitedLog::default()),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &MerchantConfig {
        &self.config
    }

    /// The path the gateway calls ([`MerchantConfig::callback_path`]), for
    /// adapters that mount the receiver.
    pub fn path(&self) -> &str {
        self.config.callback_path()
    }

    /// The largest form body accepted ([`MerchantConfig::max_body_bytes`]):
    /// an adapter stops reading there and passes
    /// [`CgiCall::post_over_limit`].
    pub fn max_body_bytes(&self) -> usize {
        self.config.max_body_bytes()
    }

    /// Judges one call on the callback path: the checks of the module docs,
    /// in their order. `Ok` ([`Ack::Recorded`]) only after the store
    /// committed the notification (R-CG-1), or [`Ack::Probe`] for a `HEAD`.
    /// Every outcome is logged (`info` recorded, `warn` refused, `error`
    /// storage failures); no secret is logged.
    pub async fn receive(&self, call: CgiCall) -> Result<Ack, CallbackRejection> {
        let method = call.method();
        let result = self.judge(&call).await;
        match &result {
            Ok(_) => {}
            Err(rejection) if rejection.is_storage_failure() => {
                tracing::error!(%rejection, method = method.as_str(), "CGI call not recorded");
            }
            Err(rejection) => {
                tracing::warn!(%rejection, method = method.as_str(), "CGI call refused");
            }
        }
        result
    }

    /// Checks 1–9 of the module docs.
    async fn judge(&self, call: &CgiCall) -> Result<Ack, CallbackRejection> {
        let config = &self.config;
        // 1. Source (R-CG-5).
        let source = self.source(call)?;
        // 2. HEAD: nothing to read or record.
        let raw: &[u8] = match call.method() {
            Method::Head => return Ok(Ack::Probe),
            // 3. Size.
            Method::Get => {
                let raw = call.query();
                if raw.len() > config.max_query_bytes() {
                    return Err(CallbackRejection::TooLarge {
                        len: raw.len(),
                        max: config.max_query_bytes(),
                    });
                }
                raw
            }
            Method::Post => {
                let Ok(body) = call.body() else {
                    return Err(CallbackRejection::BodyTooLarge {
                        max: config.max_body_bytes(),
                    });
                };
                let body = body.unwrap_or_default();
                if body.len() > config.max_body_bytes() {
                    return Err(CallbackRejection::BodyTooLarge {
                        max: config.max_body_bytes(),
                    });
                }
                check_form_content_type(call.content_type())?;
                body
            }
        };
        // 4. Parse through the core.
        let cb = Callback::parse_query(raw, config.charset())
            .map_err(|e| CallbackRejection::Malformed(e.to_string()))?;
        let missing = |name: &str| CallbackRejection::Malformed(format!("{name}: missing"));
        let order_no = cb.order_no.clone().ok_or_else(|| missing("order_no"))?;
        let status = cb.status.ok_or_else(|| missing("status"))?;
        let notice = Notice::from_callback(&cb, config.clock().now())
            .map_err(|e| CallbackRejection::Malformed(e.to_string()))?;
        let clientip = cb.clientip.clone().ok_or_else(|| missing("clientip"))?;
        // 5. Foreign.
        if clientip != *config.clientip() {
            return Err(CallbackRejection::Foreign(clientip.as_str().to_owned()));
        }
        // 6–7. Signature, when the merchant signs its checkouts: against
        // the saved checkout's amount. (The integrity check reads the
        // checkout again inside the store's transaction; without a key
        // nothing here needs it.)
        if let Some(key) = config.signing_key() {
            let checkout = match &notice.sendid {
                Some(sendid) => self
                    .store
                    .find_checkout(sendid)
                    .await
                    .map_err(|e| CallbackRejection::from_store(&e))?,
                None => None,
            };
            verify_signature(key, &cb, checkout.as_ref())?;
        }
        // 8–9. Integrity (the core's model, inside the store's transaction)
        // and record, then (and only then) acknowledge.
        let recorded = self
            .store
            .record_notification(notice, raw.to_vec(), config.unknown_sendid())
            .await
            .map_err(|e| CallbackRejection::from_store(&e))?;
        match &recorded.effect {
            NoticeEffect::Flagged { flag, .. } => tracing::warn!(
                order_no = order_no.as_str(),
                status = status.code(),
                %source,
                method = call.method().as_str(),
                reason = %flag,
                "CGI call stored but NOT applied: integrity check failed; order marked for reconciliation"
            ),
            effect => tracing::info!(
                order_no = order_no.as_str(),
                status = status.code(),
                %source,
                method = call.method().as_str(),
                effect = effect.kind().as_str(),
                now = recorded.order.as_ref().map(|o| o.status().code()),
                "CGI call recorded"
            ),
        }
        Ok(Ack::Recorded {
            order_no: order_no.as_str().to_owned(),
            effect: recorded.effect.kind(),
        })
    }

    /// Check 1: the caller's address, which must be in the allowlist.
    fn source(&self, call: &CgiCall) -> Result<IpAddr, CallbackRejection> {
        let Some(peer) = call.peer() else {
            return Err(CallbackRejection::UnknownSource(
                "no socket peer given (with axum, serve with into_make_service_with_connect_info)"
                    .to_owned(),
            ));
        };
        let forwarded: Vec<&[u8]> = call.forwarded_for().iter().map(|v| v.as_bytes()).collect();
        let resolved = resolve(peer, &forwarded, self.config.trusted_proxies())
            .map_err(|e: SourceError| CallbackRejection::UnknownSource(e.to_string()))?;
        if resolved.forwarded_ignored {
            // A proxy this merchant does not trust, or a caller forging the
            // header: it does not count (R-CG-5). Said in the log, at most
            // once a minute with a count, so a flood cannot fill the log.
            if let Some(ignored) = self.untrusted_forwarded.tick(std::time::Instant::now()) {
                tracing::warn!(
                    %peer,
                    ignored,
                    "X-Forwarded-For from a peer that is not a trusted proxy was ignored \
                     (configure trusted_proxies / --trusted-proxy for a reverse proxy)"
                );
            }
        }
        let source = resolved.source;
        if !contains(self.config.allow(), source) {
            return Err(CallbackRejection::Forbidden(source));
        }
        Ok(source)
    }
}

/// Check 3 for a POST: the body must be a urlencoded form (a missing
/// `Content-Type` counts as one; parameters such as `charset` are not
/// read: the configured charset decides).
fn check_form_content_type(content_type: Option<&str>) -> Result<(), CallbackRejection> {
    let Some(ct) = content_type else {
        return Ok(());
    };
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime.is_empty() || mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(())
    } else {
        Err(CallbackRejection::UnsupportedMediaType(
            ct.chars().take(100).collect(),
        ))
    }
}

/// Check 7: the signed sendpoint (see [`zeus_carrier_http::signing`]).
fn verify_signature(
    key: &zeus_carrier_http::SigningKey,
    cb: &Callback,
    checkout: Option<&Checkout>,
) -> Result<(), CallbackRejection> {
    let sendpoint = cb
        .sendpoint
        .as_deref()
        .ok_or(CallbackRejection::BadSignature(SignatureError::Missing))?;
    let sendid = cb
        .sendid
        .as_deref()
        .ok_or(CallbackRejection::SignatureInputMissing("sendid"))?;
    let carrier = cb
        .carrier
        .ok_or(CallbackRejection::SignatureInputMissing("carrier_type"))?;
    let clientip = cb
        .clientip
        .as_ref()
        .ok_or(CallbackRejection::SignatureInputMissing("clientip"))?;
    // The signature covers the checkout's (original) amount; a settle may
    // have lowered the amount the call reports since (R-SL-5).
    let money = match (checkout, cb.money) {
        (Some(c), _) => c.money.yen(),
        (None, Some(m)) => m,
        (None, None) => return Err(CallbackRejection::SignatureInputMissing("money")),
    };
    verify_sendpoint(key, sendpoint, clientip.as_str(), sendid, money, carrier)
        .map_err(CallbackRejection::BadSignature)
}

/// A log line that is written at most once per interval, with the number
/// of events since the last one.
#[derive(Debug, Default)]
struct RateLimitedLog {
    state: std::sync::Mutex<(Option<std::time::Instant>, u64)>,
}

impl RateLimitedLog {
    const INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

    /// Counts one event; `Some(count)` when the line is due (the first
    /// event, then at most once per [`Self::INTERVAL`]).
    fn tick(&self, now: std::time::Instant) -> Option<u64> {
        let mut g = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.1 += 1;
        let due =
            g.0.is_none_or(|last| now.duration_since(last) >= Self::INTERVAL);
        if due {
            let n = g.1;
            *g = (Some(now), 0);
            Some(n)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::RateLimitedLog;

    #[test]
    fn the_untrusted_forwarded_for_line_is_rate_limited() {
        let log = RateLimitedLog::default();
        let t0 = Instant::now();
        assert_eq!(log.tick(t0), Some(1));
        for i in 1..100 {
            assert_eq!(log.tick(t0 + Duration::from_millis(i)), None);
        }
        assert_eq!(log.tick(t0 + Duration::from_secs(60)), Some(100));
        assert_eq!(log.tick(t0 + Duration::from_secs(61)), None);
    }
}
