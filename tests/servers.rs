//! `zeus-carrier sandbox` and `zeus-carrier serve` as a user runs them:
//! child processes that print `listening on http://HOST:PORT`, answer, and
//! exit 0 on SIGTERM (INTERFACES §1).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use zeus_carrier_system_tests::process::Running;

/// A plain HTTP/1.1 GET of `path` on `base` (`http://HOST:PORT`): the
/// status code and the body. Bounded by read/write timeouts.
fn http_get(base: &str, path: &str) -> (u16, String) {
    let host = base.strip_prefix("http://").expect("http base URL");
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .expect("write timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read answer");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn zeus_command(args: &[&str]) -> Command {
    let mut cmd = zeus_carrier_system_tests::bin::command();
    cmd.args(args).env("RUST_LOG", "warn");
    cmd
}

#[test]
fn interfaces_1_sandbox_prints_its_port_answers_and_exits_0_on_sigterm() {
    let mut sandbox = Running::start(zeus_command(&[
        "sandbox",
        "--listen",
        "127.0.0.1:0",
        "--now",
        "2026-01-14T10:00:00+09:00",
    ]));
    let url = sandbox.listening_url();
    assert!(!url.ends_with(":0"), "the real port is printed: {url}");
    let (status, body) = http_get(&url, "/_sandbox/clock");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"now\":\"2026-01-14T10:00:00+09:00\"") && body.contains("\"frozen\":true"),
        "{body}"
    );
    sandbox.terminate();
    let exit = sandbox.wait(Duration::from_secs(15));
    assert_eq!(exit.code(), Some(0), "{exit}");
}

#[test]
fn interfaces_1_serve_prints_its_port_answers_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = format!("sqlite://{}", dir.path().join("merchant.db").display());
    let mut serve = Running::start(zeus_command(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--db",
        &db,
        "--clientip",
        "1234567890",
        "--zkey",
        "k",
    ]));
    let url = serve.listening_url();
    assert!(!url.ends_with(":0"), "the real port is printed: {url}");
    let (status, body) = http_get(&url, "/healthz");
    assert_eq!(status, 200, "{body}");
    let (status, _) = http_get(&url, "/orders/NEVER-SEEN-1");
    assert_eq!(status, 404, "an order never seen is 404 (INTERFACES §3)");
    serve.terminate();
    let exit = serve.wait(Duration::from_secs(15));
    assert_eq!(exit.code(), Some(0), "{exit}");
    assert!(
        dir.path().join("merchant.db").exists(),
        "the database is where --db says"
    );
}
