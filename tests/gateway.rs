//! Gateway faults against the Secure Link client (R-RS-2, R-RS-3): a raw
//! TCP gateway on loopback plays each fault — hangs, resets, 500s,
//! truncated and garbage bodies, `maintenance`, huge bodies — and then
//! arbitrary generated answers. The client never says `success` unless the
//! gateway's complete 200 body says `Success_order`, never panics, and
//! always answers within its total timeout (plus scheduling slack).

use zeus_carrier_system_tests as support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zeus_carrier_core::secure_link::{Outcome, Zkey};
use zeus_carrier_core::settle::{OrderFacts, SettleParams};
use zeus_carrier_core::{Carrier, Status};
use zeus_carrier_http::{ClientConfig, SecureLinkClient};

use crate::support::{CLIENTIP, runtime, within};

/// Where a failing case's seed is kept (committed); the seeds there run
/// first, before any new case (proptest's failure persistence).
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/gateway.txt"
);

/// What the fake gateway does on one connection.
#[derive(Debug, Clone)]
enum Play {
    /// Read the request, then write these byte strings with the pauses
    /// between them, then close (or keep the socket open when `hold`).
    Write {
        parts: Vec<(Duration, Vec<u8>)>,
        hold: bool,
    },
    /// Read the request, then reset the connection (SO_LINGER 0).
    Reset,
    /// Accept and never read or answer.
    Silent,
}

fn write(bytes: &[u8]) -> Play {
    Play::Write {
        parts: vec![(Duration::ZERO, bytes.to_vec())],
        hold: false,
    }
}

fn http_200(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A gateway playing the current `Play` on every connection.
struct Gateway {
    url: String,
    play: Arc<Mutex<Play>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(sock: &mut TcpStream) {
    // Enough to take the request off the wire: the head and the short
    // form body arrive in one or two reads on loopback.
    let mut buf = vec![0u8; 8192];
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, sock.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                seen.extend_from_slice(&buf[..n]);
                if let Some(head_end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&seen[..head_end]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if seen.len() >= head_end + 4 + len {
                        return;
                    }
                }
            }
            _ => return,
        }
    }
}

async fn gateway(play: Play) -> Gateway {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let play = Arc::new(Mutex::new(play));
    let current = play.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let play = current.lock().expect("play").clone();
            tokio::spawn(async move {
                match play {
                    Play::Silent => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    Play::Reset => {
                        read_request(&mut sock).await;
                        let _ = sock.set_zero_linger();
                        drop(sock);
                    }
                    Play::Write { parts, hold } => {
                        read_request(&mut sock).await;
                        for (pause, bytes) in parts {
                            tokio::time::sleep(pause).await;
                            if sock.write_all(&bytes).await.is_err() {
                                return;
                            }
                            let _ = sock.flush().await;
                        }
                        if hold {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                        }
                    }
                }
            });
        }
    });
    Gateway {
        url: format!("http://{addr}"),
        play,
        task,
    }
}

/// The client's total timeout in these tests.
const TOTAL: Duration = Duration::from_millis(700);
/// Scheduling slack on a loaded 2-core CI machine.
const MARGIN: Duration = Duration::from_secs(2);

fn client(url: &str) -> SecureLinkClient {
    let mut cfg = ClientConfig::new(url, CLIENTIP, Zkey::new("faults-zkey-7c1"));
    cfg.total_timeout = TOTAL;
    cfg.connect_timeout = Duration::from_millis(500);
    SecureLinkClient::new(cfg).expect("client config")
}

fn authorized() -> OrderFacts {
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).expect("instant");
    OrderFacts {
        status: Status::Authorized,
        carrier: Carrier::Docomo,
        original_money: 1000,
        accepted_at: at("2026-01-09T10:00:00+09:00"),
        settled_at: None,
        settle_date: None,
    }
}

/// One settle against the gateway: the outcome and how long it took.
async fn settle(client: &SecureLinkClient) -> (Outcome, Duration) {
    let now = chrono::DateTime::parse_from_rfc3339("2026-01-10T10:00:00+09:00").expect("now");
    let started = Instant::now();
    let call = within(
        Duration::from_secs(10),
        client.settle(&authorized(), "FLT-1", SettleParams::default(), now),
    )
    .await
    .expect("the pre-check lets this settle through");
    (call.outcome, started.elapsed())
}

fn is_unknown(o: &Outcome) -> bool {
    matches!(o, Outcome::Unknown { .. })
}

/// A named fault: what the gateway plays, and the outcome it must give.
type Fault = (&'static str, Play, fn(&Outcome) -> bool);

/// The named faults, each with the outcome it must give.
#[test]
fn r_rs_3_every_gateway_fault_is_unknown_or_what_the_body_says() {
    let ok = b"result=Success_order&error_code=-&date=20260110".to_vec();
    let huge_declared =
        b"HTTP/1.1 200 OK\r\ncontent-length: 10000000000\r\n\r\nresult=Success_order&error_code=-"
            .to_vec();
    let mut big_body = ok.clone();
    big_body.extend(std::iter::repeat_n(b'x', 70 * 1024));
    let cases: Vec<Fault> = vec![
        ("accepts, never answers (hang)", Play::Silent, is_unknown),
        (
            "answers the head, then hangs mid-body",
            Play::Write {
                parts: vec![(
                    Duration::ZERO,
                    b"HTTP/1.1 200 OK\r\ncontent-length: 48\r\n\r\nresult=Success_ord".to_vec(),
                )],
                hold: true,
            },
            is_unknown,
        ),
        (
            "dribbles a success body one byte per 100 ms past the timeout",
            Play::Write {
                parts: std::iter::once((
                    Duration::ZERO,
                    format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", ok.len()).into_bytes(),
                ))
                .chain(ok.iter().map(|b| (Duration::from_millis(100), vec![*b])))
                .collect(),
                hold: false,
            },
            is_unknown,
        ),
        ("resets after reading the request", Play::Reset, is_unknown),
        (
            "closes without a byte",
            Play::Write {
                parts: vec![],
                hold: false,
            },
            is_unknown,
        ),
        (
            "500 with a success body",
            write(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 33\r\n\r\nresult=Success_order&error_code=-"),
            is_unknown,
        ),
        (
            "503 maintenance page",
            write(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 11\r\n\r\nmaintenance"),
            is_unknown,
        ),
        (
            "302 to a success page (redirects are not followed)",
            write(b"HTTP/1.1 302 Found\r\nlocation: /ok?result=Success_order\r\ncontent-length: 0\r\n\r\n"),
            is_unknown,
        ),
        (
            "truncated: content-length 48, 18 bytes, close",
            write(b"HTTP/1.1 200 OK\r\ncontent-length: 48\r\n\r\nresult=Success_ord"),
            is_unknown,
        ),
        (
            "truncated: content-length larger than a whole success body",
            write(b"HTTP/1.1 200 OK\r\ncontent-length: 60\r\n\r\nresult=Success_order&error_code=-&date=20260110"),
            is_unknown,
        ),
        (
            "truncated chunked body (no final chunk)",
            write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n21\r\nresult=Success_order&error_code=-\r\n"),
            is_unknown,
        ),
        (
            "garbage status line",
            write(b"HELLO GATEWAY\r\n\r\nresult=Success_order&error_code=-"),
            is_unknown,
        ),
        (
            "garbage 200 body",
            write(&http_200(b"\x00\xff<html>Internal error</html>\x82\xa0")),
            is_unknown,
        ),
        (
            "200 body that mentions Success_order without result=",
            write(&http_200(b"Success_order")),
            is_unknown,
        ),
        (
            "200 body with result twice (failure, then success)",
            write(&http_200(b"result=failure_order&error_code=010010007&result=Success_order")),
            is_unknown,
        ),
        (
            "huge declared length (10 GB)",
            write(&huge_declared),
            is_unknown,
        ),
        (
            "body over the 64 KiB bound that starts with a success",
            write(&http_200(&big_body)),
            is_unknown,
        ),
        (
            "maintenance",
            write(&http_200(b"result=maintenance&error_code=020020001")),
            |o| matches!(o, Outcome::Maintenance { code } if code.raw() == "020020001"),
        ),
        (
            "failure_order",
            write(&http_200(b"error_code=010010007&result=failure_order")),
            |o| matches!(o, Outcome::Failure { code } if code.raw() == "010010007"),
        ),
        (
            "HTTP/1.0 without length, body until close",
            write(b"HTTP/1.0 200 OK\r\n\r\nresult=Success_order&error_code=-&date=20260110"),
            |o| matches!(o, Outcome::Success { .. }),
        ),
        (
            "a plain success",
            write(&http_200(&ok)),
            |o| matches!(o, Outcome::Success { .. }),
        ),
    ];
    let rt = runtime();
    rt.block_on(async {
        let gw = gateway(Play::Silent).await;
        let c = client(&gw.url);
        for (name, play, expected) in cases {
            *gw.play.lock().expect("play") = play;
            let (outcome, took) = settle(&c).await;
            assert!(expected(&outcome), "{name}: got {outcome:?}");
            assert!(
                took < TOTAL + MARGIN,
                "{name}: took {took:?}, bound {TOTAL:?}"
            );
        }
    });
}

/// The pieces generated answers are made of.
fn answer() -> impl Strategy<Value = Vec<u8>> {
    let status = prop_oneof![
        6 => Just("HTTP/1.1 200 OK\r\n"),
        1 => Just("HTTP/1.1 500 Internal Server Error\r\n"),
        1 => Just("HTTP/1.0 200 OK\r\n"),
        1 => Just("HTTP/1.1 204 No Content\r\n"),
        1 => Just("HTTP/1.1 301 Moved\r\nlocation: /x\r\n"),
        1 => Just("HTTP/9.9 200\r\n"),
        1 => Just(""),
    ];
    let body = prop_oneof![
        Just(b"result=Success_order&error_code=-".to_vec()),
        Just(b"result=Success_order&error_code=-&date=20260110".to_vec()),
        Just(b"date=20260110&error_code=-&result=Success_order\n".to_vec()),
        Just(b"result=failure_order&error_code=010010007".to_vec()),
        Just(b"result=maintenance&error_code=020020001".to_vec()),
        Just(b"result=invalid&error_code=00000003".to_vec()),
        Just(b"result=Success_order&result=Success_order".to_vec()),
        Just(b"result=success_order&error_code=-".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..64),
    ];
    let framing = prop_oneof![
        Just(0u8), // exact content-length
        Just(1u8), // content-length too large (truncated)
        Just(2u8), // content-length too small (extra bytes)
        Just(3u8), // no length: body until close
        Just(4u8), // chunked
        Just(5u8), // chunked, no final chunk
    ];
    (status, body, framing, 0usize..80).prop_map(|(status, body, framing, cut)| {
        let mut r = status.as_bytes().to_vec();
        match framing {
            0 => r.extend(format!("content-length: {}\r\n\r\n", body.len()).bytes()),
            1 => r.extend(format!("content-length: {}\r\n\r\n", body.len() + 7).bytes()),
            2 => r.extend(format!("content-length: {}\r\n\r\n", body.len() / 2).bytes()),
            3 => r.extend(b"\r\n"),
            _ => r.extend(b"transfer-encoding: chunked\r\n\r\n"),
        }
        if framing >= 4 {
            r.extend(format!("{:x}\r\n", body.len()).bytes());
            r.extend_from_slice(&body);
            r.extend(b"\r\n");
            if framing == 4 {
                r.extend(b"0\r\n\r\n");
            }
        } else {
            r.extend_from_slice(&body);
        }
        // Sometimes the answer is cut anywhere.
        if cut < 20 {
            r.truncate(r.len() * cut / 20);
        }
        r
    })
}

/// Generated answers, each on its own connection: the client never
/// panics, answers in time, and says `success` only when the gateway's
/// bytes held `Success_order`.
#[test]
fn r_rs_2_generated_answers_are_success_only_when_the_body_says_success_order() {
    const CASES: u32 = 400;
    let rt = runtime();
    let (gw, c) = rt.block_on(async {
        let gw = gateway(Play::Silent).await;
        let c = client(&gw.url);
        (gw, c)
    });
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..Config::default()
    });
    let result = runner.run(&answer(), |bytes| {
        *gw.play.lock().expect("play") = write(&bytes);
        let (outcome, took) = rt.block_on(settle(&c));
        prop_assert!(took < TOTAL + MARGIN, "took {:?}", took);
        if let Outcome::Success { .. } = outcome {
            let text = String::from_utf8_lossy(&bytes);
            prop_assert!(
                text.contains("result=Success_order"),
                "success from {:?}",
                text
            );
        }
        Ok(())
    });
    drop(gw);
    if let Err(e) = result {
        panic!("{e}");
    }
}
