//! The Secure Link client: settle (`act=settled`) and cancel (`act=return`)
//! over HTTPS (SPEC §5–§7).
//!
//! Each call runs, in order:
//! 1. the core's format check of the request ([`Request::validate`]) and its
//!    pre-check ([`check_settle`] / [`check_cancel`]); when either predicts a
//!    refusal, **nothing is sent** and the caller gets the predicted answer
//!    ([`CallError`]);
//! 2. one POST of [`Request::to_form_body`] to
//!    `{gateway_url}/cgi-bin/carrier/secure.cgi`, bounded in time
//!    ([`ClientConfig::total_timeout`]) and in answer size
//!    ([`MAX_RESPONSE_BYTES`]);
//! 3. the core's reading of the answer ([`Outcome::from_http`]): a timeout, a
//!    reset, a non-200 status or an unreadable or oversized body is
//!    [`Outcome::Unknown`], never a failure (R-RS-3).
//!
//! Settle and cancel are **never retried** by this client: a repeated settle
//! or cancel is a business decision, taken after reconciliation.
//!
//! Every call is traced in a `secure_link` span with `order_no`, `act`,
//! `outcome` and `ms`. The zkey is never logged: it exists only inside the
//! request body, and [`Zkey`]'s `Debug` prints `Zkey(***)`.

use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;
use tracing::Instrument;
use zeus_carrier_core::Event;
use zeus_carrier_core::cancel::{CancelPlan, cancel_events_for, check_cancel};
use zeus_carrier_core::merchant::Operation;
use zeus_carrier_core::secure_link::{
    CancelRequest, InvalidField, Outcome, Refusal, Request, SECURE_LINK_PATH, SettleRequest, Zkey,
};
use zeus_carrier_core::settle::{
    OrderFacts, SettleParams, SettlePlan, check_settle, settle_events_for,
};
use zeus_carrier_core::time::JstDateTime;

use crate::config::{ClientConfig, ConfigError, check_clientip, check_gateway_url, join_path};

/// The largest Secure Link answer read, in bytes; a longer body is not read
/// further and the outcome is unknown (R-RS-3). A real answer is under 100
/// bytes.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A settle or cancel that was not sent, because the gateway would refuse
/// it. The answer the gateway would give is attached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The core's pre-check predicts a `failure_order` (R-SL-1..7, R-CN-1,
    /// R-TR-1). Nothing was sent.
    #[error("not sent: {0}")]
    Refused(Refusal),
    /// A field is malformed; the gateway would answer `invalid` with the
    /// field's code (SPEC §5). Nothing was sent.
    #[error("not sent: {0}")]
    Malformed(InvalidField),
}

impl CallError {
    /// The `result` the gateway would answer: `failure_order` or `invalid`.
    pub fn result(&self) -> &'static str {
        match self {
            CallError::Refused(r) => r.result().wire_name(),
            CallError::Malformed(f) => f.response().result.wire_name(),
        }
    }

    /// The `error_code` the gateway would answer.
    pub fn error_code(&self) -> &'static str {
        match self {
            CallError::Refused(r) => r.code(),
            CallError::Malformed(f) => f.code(),
        }
    }

    /// The SPEC id of the rule that refuses the request.
    pub fn rule(&self) -> &'static str {
        match self {
            CallError::Refused(r) => r.rule(),
            CallError::Malformed(_) => "SPEC §5",
        }
    }
}

/// A settle that was sent, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SettleCall {
    /// What the pre-check planned (today, a reservation, a withdrawal).
    pub plan: SettlePlan,
    /// The gateway's answer, or unknown (R-RS-3).
    pub outcome: Outcome,
    /// The events the outcome means for the merchant's copy of the order
    /// ([`settle_events_for`]); empty for unknown.
    pub events: Vec<Event>,
    /// How long the call took.
    pub elapsed: Duration,
}

/// A cancel that was sent, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CancelCall {
    /// What the pre-check planned.
    pub plan: CancelPlan,
    /// The gateway's answer, or unknown (R-RS-3).
    pub outcome: Outcome,
    /// The events the outcome means ([`cancel_events_for`]); empty for
    /// unknown.
    pub events: Vec<Event>,
    /// How long the call took.
    pub elapsed: Duration,
}

/// A settle or cancel that passed the format check and the pre-check, ready
/// to send with [`SecureLinkClient::send_prepared`]. Lets the caller record
/// that the operation is in flight before anything leaves the process.
#[derive(Debug, Clone)]
pub struct Prepared {
    request: Request,
    operation: Operation,
}

impl Prepared {
    /// What the pre-check planned.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The order the request is for.
    pub fn order_no(&self) -> &str {
        self.request.order_no()
    }
}

/// A prepared operation that was sent, and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    /// What the pre-check planned.
    pub operation: Operation,
    /// The gateway's answer, or unknown (R-RS-3).
    pub outcome: Outcome,
    /// How long the call took.
    pub elapsed: Duration,
}

/// The Secure Link client. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct SecureLinkClient {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    clientip: String,
    zkey: Zkey,
    total_timeout: Duration,
}

impl SecureLinkClient {
    /// Checks the configuration and builds the client: `https` with TLS ≥
    /// 1.2, or plain `http` to a loopback host only; no redirects followed.
    pub fn new(config: ClientConfig) -> Result<SecureLinkClient, ConfigError> {
        let base = check_gateway_url(&config.gateway_url)?;
        check_clientip(&config.clientip)?;
        if !config.zkey.is_well_formed() {
            return Err(ConfigError::BadZkey);
        }
        if config.connect_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout { which: "connect" });
        }
        if config.total_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout { which: "total" });
        }
        let mut builder = reqwest::Client::builder()
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .connect_timeout(config.connect_timeout)
            .timeout(config.total_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("zeus-carrier/", env!("CARGO_PKG_VERSION")));
        if base.scheme() == "http" {
            // Loopback only (checked above): never through a proxy.
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| ConfigError::HttpClient {
            reason: e.to_string(),
        })?;
        Ok(SecureLinkClient {
            http,
            endpoint: join_path(&base, SECURE_LINK_PATH),
            clientip: config.clientip,
            zkey: config.zkey,
            total_timeout: config.total_timeout,
        })
    }

    /// The longest a call may take, answer included; after it the outcome
    /// is unknown (R-RS-3).
    pub fn total_timeout(&self) -> Duration {
        self.total_timeout
    }

    /// The URL settle and cancel are posted to.
    pub fn endpoint(&self) -> &reqwest::Url {
        &self.endpoint
    }

    /// The format check and [`check_settle`] at `now` of a settle (or a
    /// reservation, or a withdrawal): the prepared call, or the gateway's
    /// predicted refusal. Nothing is sent.
    pub fn prepare_settle(
        &self,
        facts: &OrderFacts,
        order_no: &str,
        params: SettleParams,
        now: JstDateTime,
    ) -> Result<Prepared, CallError> {
        let (request, plan) = self.plan_settle(facts, order_no, params, now)?;
        Ok(Prepared {
            request,
            operation: Operation::Settle(plan),
        })
    }

    fn plan_settle(
        &self,
        facts: &OrderFacts,
        order_no: &str,
        params: SettleParams,
        now: JstDateTime,
    ) -> Result<(Request, SettlePlan), CallError> {
        let request = Request::Settle(SettleRequest {
            clientip: self.clientip.clone(),
            order_no: order_no.to_owned(),
            zkey: self.zkey.clone(),
            money: params.money,
            autype: params.autype,
            date: params.date,
        });
        request.validate().map_err(CallError::Malformed)?;
        let plan = check_settle(facts, &params, now).map_err(CallError::Refused)?;
        Ok((request, plan))
    }

    /// The format check and [`check_cancel`] at `now` of a cancel: the
    /// prepared call, or the gateway's predicted refusal. Nothing is sent.
    pub fn prepare_cancel(
        &self,
        facts: &OrderFacts,
        order_no: &str,
        now: JstDateTime,
    ) -> Result<Prepared, CallError> {
        let (request, plan) = self.plan_cancel(facts, order_no, now)?;
        Ok(Prepared {
            request,
            operation: Operation::Cancel(plan),
        })
    }

    fn plan_cancel(
        &self,
        facts: &OrderFacts,
        order_no: &str,
        now: JstDateTime,
    ) -> Result<(Request, CancelPlan), CallError> {
        let request = Request::Cancel(CancelRequest {
            clientip: self.clientip.clone(),
            order_no: order_no.to_owned(),
            zkey: self.zkey.clone(),
        });
        request.validate().map_err(CallError::Malformed)?;
        let plan = check_cancel(facts, now).map_err(CallError::Refused)?;
        Ok((request, plan))
    }

    /// Sends a prepared call once (never retried) and reads the answer.
    pub async fn send_prepared(&self, prepared: Prepared) -> Sent {
        let (outcome, elapsed) = self.send(&prepared.request).await;
        Sent {
            operation: prepared.operation,
            outcome,
            elapsed,
        }
    }

    /// Settles (or reserves, or withdraws a reservation of) an order.
    ///
    /// Runs the format check and [`check_settle`] at `now` first; when the
    /// gateway would refuse, returns the prediction and sends nothing.
    /// Otherwise sends once, never retries, and returns the outcome with the
    /// events it means.
    pub async fn settle(
        &self,
        facts: &OrderFacts,
        order_no: &str,
        params: SettleParams,
        now: JstDateTime,
    ) -> Result<SettleCall, CallError> {
        let (request, plan) = self.plan_settle(facts, order_no, params, now)?;
        let (outcome, elapsed) = self.send(&request).await;
        let events = settle_events_for(&plan, &outcome);
        Ok(SettleCall {
            plan,
            outcome,
            events,
            elapsed,
        })
    }

    /// Cancels an order (an authorization, a reservation or a completed
    /// sale).
    ///
    /// Runs the format check and [`check_cancel`] at `now` first; when the
    /// gateway would refuse, returns the prediction and sends nothing.
    /// Otherwise sends once, never retries, and returns the outcome with the
    /// events it means.
    pub async fn cancel(
        &self,
        facts: &OrderFacts,
        order_no: &str,
        now: JstDateTime,
    ) -> Result<CancelCall, CallError> {
        let (request, plan) = self.plan_cancel(facts, order_no, now)?;
        let (outcome, elapsed) = self.send(&request).await;
        let events = cancel_events_for(&plan, &outcome);
        Ok(CancelCall {
            plan,
            outcome,
            events,
            elapsed,
        })
    }

    /// One exchange, traced; never retried.
    async fn send(&self, request: &Request) -> (Outcome, Duration) {
        let span = tracing::info_span!(
            "secure_link",
            order_no = request.order_no(),
            act = request.act().wire_name(),
            outcome = tracing::field::Empty,
            error_code = tracing::field::Empty,
            ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let outcome = self
            .exchange(request.to_form_body())
            .instrument(span.clone())
            .await;
        let elapsed = started.elapsed();
        span.record("outcome", outcome.wire_name());
        span.record("error_code", outcome.error_code().unwrap_or(""));
        span.record("ms", u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        span.in_scope(|| match &outcome {
            Outcome::Unknown { reason } => tracing::warn!(
                %reason,
                "Secure Link outcome unknown: the gateway may have acted; reconcile, do not retry (R-RS-3)"
            ),
            _ => tracing::info!("Secure Link answered"),
        });
        (outcome, elapsed)
    }

    /// POST the body and read the answer, all within the total timeout.
    async fn exchange(&self, body: String) -> Outcome {
        let call = async {
            let response = match self
                .http
                .post(self.endpoint.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) => return Outcome::transport_failure(describe(&e)),
            };
            let status = response.status().as_u16();
            if status != 200 {
                // The body of a non-200 is never trusted (R-RS-3).
                return Outcome::from_http(status, b"");
            }
            match read_bounded(response).await {
                Ok(body) => Outcome::from_http(status, &body),
                Err(reason) => Outcome::transport_failure(reason),
            }
        };
        match tokio::time::timeout(self.total_timeout, call).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::transport_failure(format!(
                "timed out after {} ms",
                self.total_timeout.as_millis()
            )),
        }
    }
}

/// Reads at most [`MAX_RESPONSE_BYTES`] of the body.
async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let too_large = || format!("response body larger than {MAX_RESPONSE_BYTES} bytes");
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(describe(&e)),
        }
    }
}

/// A transport error as one line, with its causes. Never contains the
/// request body (and so never the zkey).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "transport"
    };
    let mut out = format!("{kind}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
