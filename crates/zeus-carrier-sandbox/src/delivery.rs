//! CGI delivery: the sandbox sends the GET, measures what happened and asks
//! the core what it was ([`judge_attempt`]) and what to do next
//! ([`DeliveryPolicy::after_attempt`]): done, retry at a moment counted
//! from the previous attempt's START (attempts start `--cgi-retry-interval-secs`
//! apart, so a timed-out attempt is retried as it times out), or give up
//! with or without the error mail (R-CG-1, R-CG-2, R-ST-3).
//!
//! Every attempt runs in a background task. The endpoint whose action
//! caused the notification waits for the first attempt, bounded by
//! `--cgi-answer-wait-secs` (docs/SANDBOX.md). Retry pauses are real
//! `tokio` sleeps, also when the sandbox clock is frozen.

use std::time::Duration;

use tokio::sync::oneshot;
use zeus_carrier_core::callback::{DeliveryPolicy, NextStep, TransportFailure, judge_attempt};
use zeus_carrier_core::{Order, Status};

use crate::config::CgiMethod;
use crate::state::{CgiAttempt, SandboxState, Shared};

/// A CGI call to deliver: which notification, to which URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgiJob {
    /// The order the call is about, as it was when the call was made.
    pub order: Order,
    /// The status it reports.
    pub status: Status,
    /// How it is sent (`--cgi-method`).
    pub method: CgiMethod,
    /// The URL: with the query for GET, the target for POST.
    pub url: String,
    /// The urlencoded form body of a POST (`None` for GET).
    pub body: Option<String>,
    /// For a manual resend: the attempt it repeats.
    pub resend_of: Option<u64>,
}

/// What one HTTP exchange came to, before the core judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exchange {
    http_status: Option<u16>,
    body: Option<Vec<u8>>,
    failure: Option<TransportFailure>,
}

/// Starts delivering `job` in a background task with `policy`. The
/// returned receiver fires once the first attempt is recorded (or the task
/// ends).
pub(crate) fn spawn(
    state: &SandboxState,
    job: CgiJob,
    policy: DeliveryPolicy,
) -> oneshot::Receiver<()> {
    let (tx, rx) = oneshot::channel();
    let state = state.clone();
    tokio::spawn(async move { deliver(state, job, policy, tx).await });
    rx
}

/// Waits for the first attempts behind `receivers`, at most `bound` in all.
/// Returns whether every first attempt finished in time.
pub(crate) async fn wait_first_attempts(
    receivers: Vec<oneshot::Receiver<()>>,
    bound: Duration,
) -> bool {
    if receivers.is_empty() {
        return true;
    }
    let all = async {
        for rx in receivers {
            // A dropped sender means the task ended: nothing more to wait for.
            let _ = rx.await;
        }
    };
    tokio::time::timeout(bound, all).await.is_ok()
}

async fn deliver(
    state: SandboxState,
    job: CgiJob,
    policy: DeliveryPolicy,
    first_done: oneshot::Sender<()>,
) {
    let delivery = {
        let mut store = state.store();
        store.next_delivery += 1;
        store.next_delivery
    };
    let mut first_done = Some(first_done);
    let mut attempt_no: u32 = 1;
    loop {
        let at = state.now();
        let started = tokio::time::Instant::now();
        let exchange = exchange(&state.shared, &job, policy.timeout).await;
        let outcome = judge_attempt(
            exchange.http_status,
            exchange.body.as_deref(),
            exchange.failure,
        );
        let record = {
            let mut store = state.store();
            let record = CgiAttempt {
                id: store.cgi.len() as u64 + 1,
                delivery,
                order_no: job.order.order_no().to_owned(),
                status: job.status,
                method: job.method,
                url: job.url.clone(),
                body: job.body.clone(),
                attempt: attempt_no,
                at,
                http_status: exchange.http_status,
                outcome,
                resend_of: job.resend_of,
            };
            store.cgi.push(record.clone());
            record
        };
        tracing::info!(
            cgi = record.id,
            order_no = %record.order_no,
            status = record.status.code(),
            attempt = record.attempt,
            outcome = %record.outcome,
            "cgi attempt"
        );
        if let Some(tx) = first_done.take() {
            let _ = tx.send(());
        }
        let step = policy.after_attempt(attempt_no, outcome);
        match step {
            NextStep::Done => break,
            NextStep::Retry { .. } => {
                // The core counts the interval from this attempt's start.
                let pause = step.retry_pause(started.elapsed()).unwrap_or_default();
                tokio::time::sleep(pause).await;
                attempt_no = attempt_no.saturating_add(1);
            }
            NextStep::GiveUp { error_mail } => {
                if error_mail {
                    let draft = crate::rules::cgi_error_mail(&state, &job.order, &record);
                    crate::mail::send(&state, draft);
                }
                break;
            }
        }
    }
}

/// Sends one call (GET, or POST with the form body in `--charset`) and
/// reports what happened, without judging it. The timeout covers the
/// whole exchange, body included (R-CG-2).
async fn exchange(shared: &Shared, job: &CgiJob, timeout: Duration) -> Exchange {
    let client = &shared.http;
    let request = match (job.method, &job.body) {
        (CgiMethod::Post, body) => client
            .post(&job.url)
            .header(
                reqwest::header::CONTENT_TYPE,
                format!(
                    "application/x-www-form-urlencoded; charset={}",
                    shared.config.charset().http_label()
                ),
            )
            .body(body.clone().unwrap_or_default()),
        (CgiMethod::Get, _) => client.get(&job.url),
    };
    let sent = request.timeout(timeout).send().await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => return transport_failure(&e, None),
    };
    let status = response.status().as_u16();
    match response.bytes().await {
        Ok(body) => Exchange {
            http_status: Some(status),
            body: Some(body.to_vec()),
            failure: None,
        },
        Err(e) => transport_failure(&e, Some(status)),
    }
}

fn transport_failure(e: &reqwest::Error, http_status: Option<u16>) -> Exchange {
    Exchange {
        http_status,
        body: None,
        // Without an answer the core counts the attempt as a connection
        // error; with a status but a broken body, the status decides.
        failure: if e.is_timeout() {
            Some(TransportFailure::TimedOut)
        } else if http_status.is_none() {
            Some(TransportFailure::ConnectError)
        } else {
            None
        },
    }
}
