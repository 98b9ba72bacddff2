//! A bounded HTTP/1.1 load generator for loopback: a fixed number of
//! requests, a time cap, `concurrency` workers each on its own keep-alive
//! connection, closed-loop (as fast as answers come back) or paced (an
//! open-loop schedule of requests per second).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// How requests are issued.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pace {
    /// Each worker sends its next request as soon as the previous one is
    /// answered. Latency is measured from sending to the end of the answer.
    ClosedLoop,
    /// Request `i` is due at `start + i / per_sec`; a worker waits for the
    /// due time, and latency is measured from the due time (a request that
    /// waited for a free worker counts its wait: no coordinated omission).
    Rate {
        /// Requests per second.
        per_sec: f64,
    },
}

/// One load run.
pub(crate) struct Plan {
    /// Where to send: `127.0.0.1:port`.
    pub(crate) addr: SocketAddr,
    /// The path, e.g. `/zeus/carrier/callback`.
    pub(crate) path: String,
    /// How many requests at most.
    pub(crate) requests: u64,
    /// The time cap: no request is started after it.
    pub(crate) max: Duration,
    /// Workers (and connections).
    pub(crate) concurrency: usize,
    /// Closed loop or paced.
    pub(crate) pace: Pace,
    /// The query of request `i`.
    pub(crate) query: Arc<dyn Fn(u64) -> String + Send + Sync>,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// Requests answered `200 successok`.
    pub(crate) ok: u64,
    /// Requests answered otherwise, or lost to a connection error.
    pub(crate) errors: u64,
    /// The first error seen, for the log.
    pub(crate) first_error: Option<String>,
    /// From the start to the last answer.
    pub(crate) elapsed: Duration,
    /// Latencies of the `ok` requests, sorted.
    latencies: Vec<Duration>,
    /// Whether the time cap stopped the run before every request was sent.
    pub(crate) capped: bool,
}

impl Report {
    /// Answered requests (ok) per second of the run.
    pub(crate) fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile (0..=1) of the latencies.
    pub(crate) fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)]
    }
}

struct WorkerResult {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latencies: Vec<Duration>,
    last_answer: Instant,
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Empty<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        // The connection ends when the worker drops its sender.
        let _ = conn.await;
    });
    Ok(sender)
}

/// One request; `Ok(true)` for `200 successok`.
async fn send(
    sender: &mut SendRequest<Empty<Bytes>>,
    addr: SocketAddr,
    uri: &str,
) -> Result<bool, String> {
    let request = hyper::Request::get(uri)
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    sender.ready().await.map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if status == hyper::StatusCode::OK && body.starts_with(b"successok") {
        Ok(true)
    } else {
        Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)]).trim_end()
        ))
    }
}

async fn worker(plan: Arc<Plan>, next: Arc<AtomicU64>, start: Instant) -> WorkerResult {
    let mut result = WorkerResult {
        ok: 0,
        errors: 0,
        first_error: None,
        latencies: Vec::with_capacity((plan.requests as usize / plan.concurrency.max(1)) + 16),
        last_answer: start,
    };
    let deadline = start + plan.max;
    let mut sender = None;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= plan.requests {
            break;
        }
        let due = match plan.pace {
            Pace::ClosedLoop => None,
            Pace::Rate { per_sec } => {
                let due = start + Duration::from_secs_f64(i as f64 / per_sec);
                tokio::time::sleep_until(due.into()).await;
                Some(due)
            }
        };
        if Instant::now() >= deadline {
            break;
        }
        let uri = format!("{}?{}", plan.path, (plan.query)(i));
        let sent = Instant::now();
        let outcome = match &mut sender {
            Some(s) => send(s, plan.addr, &uri).await,
            None => match connect(plan.addr).await {
                Ok(mut s) => {
                    let r = send(&mut s, plan.addr, &uri).await;
                    sender = Some(s);
                    r
                }
                Err(e) => Err(e),
            },
        };
        let now = Instant::now();
        result.last_answer = now;
        match outcome {
            Ok(_) => {
                result.ok += 1;
                result.latencies.push(now - due.unwrap_or(sent));
            }
            Err(e) => {
                result.errors += 1;
                result.first_error.get_or_insert(e);
                // A fresh connection for the next request.
                sender = None;
            }
        }
    }
    result
}

/// Runs `plan` and gathers the workers' results.
pub(crate) async fn run(plan: Plan) -> Report {
    let plan = Arc::new(plan);
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..plan.concurrency)
        .map(|_| tokio::spawn(worker(plan.clone(), next.clone(), start)))
        .collect();
    let mut report = Report {
        ok: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latencies: Vec::with_capacity(plan.requests as usize),
        capped: false,
    };
    let mut last = start;
    for t in tasks {
        match t.await {
            Ok(w) => {
                report.ok += w.ok;
                report.errors += w.errors;
                if report.first_error.is_none() {
                    report.first_error = w.first_error;
                }
                report.latencies.extend(w.latencies);
                last = last.max(w.last_answer);
            }
            Err(e) => {
                report.errors += 1;
                report.first_error.get_or_insert(format!("worker: {e}"));
            }
        }
    }
    report.elapsed = last - start;
    report.capped = report.ok + report.errors < plan.requests;
    report.latencies.sort_unstable();
    report
}
