//! Crash durability of `zeus-carrier serve` (R-CG-1, issue #6): the real
//! binary takes distinct CGI calls from four threads and is killed with
//! SIGKILL in the middle, six times, each time restarted on the same
//! database. Every call that had been answered `successok` must be stored;
//! every call that had not been answered is sent again and must be applied
//! exactly once (a call committed just before the kill, whose answer was
//! lost, comes back as a duplicate and changes nothing). Once on SQLite,
//! once on PostgreSQL. Figures: docs/RELIABILITY.md.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTIP: &str = zeus_carrier_system_tests::bin::SERVE_CLIENTIP;
/// Distinct calls (one new order each).
const CALLS: usize = 300;
/// Sending threads.
const THREADS: usize = 4;
/// Answers to wait for, in each round, before the kill.
const KILL_AFTER: [usize; 6] = [40, 70, 55, 25, 45, 30];

/// The operator face's token (given by the environment).
const TOKEN: &str = "crash-operator-token-0123";

/// A `serve` process: killed (SIGKILL) when dropped.
struct Serve {
    child: Child,
    addr: String,
    /// The operator face.
    operator: String,
}

impl Serve {
    fn start(db: &str) -> Serve {
        // The default (real) gateway needs its allowlist stated
        // (INTERFACES v3 §3); the calls come from loopback here.
        let extra = ["--charset", "utf8", "--allow-ip", "127.0.0.1/32"];
        let mut child = zeus_carrier_system_tests::bin::serve_command(db, "crash-zkey", &extra)
            .env("ZEUS_CARRIER_OPERATOR_TOKEN", TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start zeus-carrier serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line
                    .strip_prefix("listening on http://")
                    .or_else(|| line.strip_prefix("operator api on http://"))
                {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let next = || {
            rx.recv_timeout(Duration::from_secs(30))
                .expect("serve prints its addresses within 30 s")
        };
        let addr = next();
        let operator = next();
        Serve {
            child,
            addr,
            operator,
        }
    }

    /// SIGKILL (`Child::kill` on Unix), then reap.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 GET: the status and the body, or an I/O error (the process
/// died, the connection was reset).
fn get(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    get_with(addr, path, "")
}

/// [`get`] with extra header lines (each ending in CRLF).
fn get_with(addr: &str, path: &str, headers: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.set_write_timeout(Some(Duration::from_secs(20)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line: {text:?}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// The checkout of `order_no`: `S` and the order number.
fn sendid(order_no: &str) -> String {
    let sendid = format!("S{order_no}");
    assert!(
        sendid.len() <= 25,
        "{sendid}: a sendid has at most 25 bytes"
    );
    sendid
}

fn callback_path(order_no: &str) -> String {
    format!(
        "/zeus/carrier/callback?clientip={CLIENTIP}&order_no={order_no}&status=03&money=1000&carrier_type=D&sendid={}",
        sendid(order_no)
    )
}

/// `POST /checkout` of the order's checkout (1000 yen, docomo): with
/// `--unknown-sendid flag` (the default) the gateway's calls for the order
/// apply only with it.
fn checkout(addr: &str, order_no: &str) {
    let form = zeus_carrier_system_tests::checkout_form(&sendid(order_no), 1000);
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        s,
        "POST /checkout HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "checkout {order_no}: {text}"
    );
}

/// Sends the calls of `pending` from `THREADS` threads until each is
/// answered or the server dies; returns the calls answered `successok`.
fn send_round(
    addr: &str,
    pending: &[String],
    answered_in_round: &Arc<AtomicUsize>,
) -> BTreeSet<String> {
    let ok = Arc::new(Mutex::new(BTreeSet::new()));
    let dead = Arc::new(AtomicBool::new(false));
    let chunks: Vec<Vec<String>> = (0..THREADS)
        .map(|t| pending.iter().skip(t).step_by(THREADS).cloned().collect())
        .collect();
    let handles: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let (addr, ok, dead, count) = (
                addr.to_owned(),
                ok.clone(),
                dead.clone(),
                answered_in_round.clone(),
            );
            std::thread::spawn(move || {
                for order in chunk {
                    if dead.load(Ordering::SeqCst) {
                        return;
                    }
                    match get(&addr, &callback_path(&order)) {
                        Ok((200, body)) if body.starts_with("successok") => {
                            ok.lock().expect("lock").insert(order);
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok((status, body)) => {
                            panic!("{order}: unexpected answer {status} {body:?}")
                        }
                        Err(_) => {
                            dead.store(true, Ordering::SeqCst);
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("sender thread");
    }
    ok.lock().expect("lock").clone()
}

/// `GET /orders/{no}` on the operator face, as JSON.
fn order(addr: &str, order_no: &str) -> serde_json::Value {
    let (status, body) = get_with(
        addr,
        &format!("/orders/{order_no}"),
        &format!("Authorization: Bearer {TOKEN}\r\n"),
    )
    .expect("get order");
    assert_eq!(status, 200, "{order_no} is stored: {body}");
    serde_json::from_str(&body).expect("order JSON")
}

/// The crash scenario on `db`; returns a line of figures.
fn crash_and_recover(db: &str, prefix: &str) -> String {
    let started = Instant::now();
    let all: Vec<String> = (0..CALLS).map(|i| format!("{prefix}-{i}")).collect();
    let mut answered: BTreeSet<String> = BTreeSet::new();
    let mut kills = 0;
    let mut answered_before_kills = 0;
    for &threshold in &KILL_AFTER {
        let serve = Serve::start(db);
        if kills == 0 {
            // The shop's checkouts, one per order, before any call.
            for o in &all {
                checkout(&serve.addr, o);
            }
        }
        // Everything answered before the last kill is stored.
        for o in &answered {
            assert_eq!(order(&serve.operator, o)["status"]["code"], "03", "{o}");
        }
        let pending: Vec<String> = all
            .iter()
            .filter(|o| !answered.contains(*o))
            .cloned()
            .collect();
        let count = Arc::new(AtomicUsize::new(0));
        let addr = serve.addr.clone();
        let (pending_c, count_c) = (pending.clone(), count.clone());
        let sender = std::thread::spawn(move || send_round(&addr, &pending_c, &count_c));
        let deadline = Instant::now() + Duration::from_secs(60);
        while count.load(Ordering::SeqCst) < threshold.min(pending.len()) {
            assert!(Instant::now() < deadline, "no progress before the kill");
            std::thread::sleep(Duration::from_millis(2));
        }
        serve.kill();
        kills += 1;
        let ok = sender.join().expect("senders");
        answered_before_kills += ok.len();
        answered.extend(ok);
    }
    // Restart; check, then resend every call never answered.
    let serve = Serve::start(db);
    for o in &answered {
        let v = order(&serve.operator, o);
        assert_eq!(v["status"]["code"], "03", "{o}: {v}");
    }
    let unanswered: Vec<String> = all
        .iter()
        .filter(|o| !answered.contains(*o))
        .cloned()
        .collect();
    let resent = unanswered.len();
    let ok = send_round(&serve.addr, &unanswered, &Arc::new(AtomicUsize::new(0)));
    assert_eq!(ok.len(), resent, "every resent call is answered successok");
    let mut committed_unanswered = 0;
    for o in &all {
        let v = order(&serve.operator, o);
        assert_eq!(v["status"]["code"], "03", "{o}: {v}");
        assert_eq!(
            v["history"].as_array().map(Vec::len),
            Some(1),
            "{o}: applied exactly once: {v}"
        );
        assert_eq!(v["notifications"], 1, "{o}: {v}");
        assert_eq!(v["flagged"], 0, "{o}: a call for its own checkout: {v}");
        let dup = v["duplicates"].as_u64().unwrap_or(0);
        assert!(dup <= 1, "{o}: {v}");
        committed_unanswered += usize::try_from(dup).unwrap_or(0);
    }
    drop(serve);
    format!(
        "{CALLS} calls from {THREADS} threads, {kills} SIGKILLs; {answered_before_kills} answered successok before the kills, all stored; \
         {resent} unanswered calls resent, each applied once ({committed_unanswered} of them had been committed before the kill and came back as duplicates); {:.1} s",
        started.elapsed().as_secs_f64()
    )
}

#[test]
fn r_cg_1_sigkill_loses_no_acknowledged_call_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = format!("sqlite://{}", dir.path().join("merchant.db").display());
    let figures = crash_and_recover(&db, "CRS");
    println!("crash sqlite: {figures}");
}

#[test]
fn r_cg_1_sigkill_loses_no_acknowledged_call_postgres() {
    const TEST: &str = "r_cg_1_sigkill_loses_no_acknowledged_call_postgres";
    let Ok(url) = std::env::var("ZEUS_CARRIER_TEST_PG_URL") else {
        let line = format!(
            "SKIPPED: {TEST}: PostgreSQL test needs ZEUS_CARRIER_TEST_PG_URL (scripts/pg-test.sh start)"
        );
        assert!(
            std::env::var("ZEUS_CARRIER_REQUIRE_PG").as_deref() != Ok("1"),
            "{line}; ZEUS_CARRIER_REQUIRE_PG=1 makes this a failure"
        );
        println!("{line}");
        eprintln!("{line}");
        return;
    };
    // The shared test database; order numbers unique to this run.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let prefix = format!("CRP{}x{nanos}", std::process::id());
    let figures = crash_and_recover(&url, &prefix);
    println!("crash postgres: {figures}");
}
