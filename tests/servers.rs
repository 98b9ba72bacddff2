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

/// `serve` on `db` with both faces on loopback ports, the tests' IP code
/// and zkey, then `extra` flags.
fn serve_command(db: &str, extra: &[&str]) -> Command {
    zeus_carrier_system_tests::bin::serve_command(db, "k", extra)
}

/// The flags for the default (real) gateway: its allowlist must be stated
/// (INTERFACES v3 §3).
const REAL_GATEWAY: &[&str] = &["--allow-ip", "127.0.0.1/32"];

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

/// A plain HTTP/1.1 request with extra header lines: status and body.
fn http_request(base: &str, method: &str, path: &str, headers: &str) -> (u16, String) {
    let (status, _, body) = http_exchange(base, method, path, headers);
    (status, body)
}

/// The URL of `PREFIX http://HOST:PORT`.
fn url_after(serve: &mut Running, prefix: &'static str) -> String {
    serve.wait_for_line(Duration::from_secs(30), move |l| {
        l.strip_prefix(prefix)
            .filter(|u| u.starts_with("http://"))
            .map(str::to_owned)
    })
}

#[test]
fn interfaces_3_serve_has_two_faces_and_generates_its_operator_token_once() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db_file = dir.path().join("merchant.db");
    let db = format!("sqlite://{}", db_file.display());
    let token_file = dir.path().join("merchant.db.operator-token");
    let start = || {
        let mut cmd = serve_command(&db, REAL_GATEWAY);
        cmd.env_remove("ZEUS_CARRIER_OPERATOR_TOKEN");
        Running::start(cmd)
    };
    let mut serve = start();
    let public = serve.listening_url();
    let operator = url_after(&mut serve, "operator api on ");
    let path = serve.wait_for_line(Duration::from_secs(10), |l| {
        l.strip_prefix("operator token file: ").map(str::to_owned)
    });
    assert_eq!(
        std::path::Path::new(&path),
        token_file,
        "next to the database"
    );
    let token = std::fs::read_to_string(&token_file).expect("token file");
    let token = token.trim_end_matches('\n').to_owned();
    assert_eq!(token.len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&token_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the token file is private");
    }
    let bearer = format!("Authorization: Bearer {token}\r\n");
    // Public face: no operator path.
    for path in ["/orders/NEVER-SEEN-1", "/deadlines", "/metrics"] {
        assert_eq!(http_request(&public, "GET", path, &bearer).0, 404, "{path}");
    }
    // Operator face: 401 without the token, answers with it.
    assert_eq!(http_request(&operator, "GET", "/deadlines", "").0, 401);
    assert_eq!(
        http_request(
            &operator,
            "POST",
            "/orders/ORD-1/settle",
            "Content-Type: text/plain\r\n"
        )
        .0,
        401
    );
    assert_eq!(http_request(&operator, "GET", "/deadlines", &bearer).0, 200);
    assert_eq!(
        http_request(&operator, "GET", "/orders/NEVER-SEEN-1", &bearer).0,
        404
    );
    let (status, metrics) = http_request(&operator, "GET", "/metrics", &bearer);
    assert_eq!(status, 200);
    assert!(
        metrics.contains("zeus_carrier_cgi_calls_total"),
        "{metrics}"
    );
    serve.terminate();
    assert_eq!(serve.wait(Duration::from_secs(15)).code(), Some(0));
    let printed = serve.rest_of_stdout(Duration::from_secs(5)).join("\n");
    assert!(!printed.contains(&token), "the token is never printed");
    // A restart reuses the file.
    let mut serve = start();
    let _ = serve.listening_url();
    let operator = url_after(&mut serve, "operator api on ");
    assert_eq!(http_request(&operator, "GET", "/deadlines", &bearer).0, 200);
    serve.terminate();
    assert_eq!(serve.wait(Duration::from_secs(15)).code(), Some(0));
}

#[test]
fn interfaces_3_sigterm_ends_serve_within_15_s_with_stalled_clients_connected() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = format!("sqlite://{}", dir.path().join("merchant.db").display());
    let mut cmd = serve_command(&db, REAL_GATEWAY);
    cmd.env("ZEUS_CARRIER_OPERATOR_TOKEN", "servers-operator-token-0123");
    let mut serve = Running::start(cmd);
    let public = serve.listening_url();
    let operator = url_after(&mut serve, "operator api on ");
    // The client on each face: a head that never ends; and one
    // that sends half a body.
    let mut stalled = Vec::new();
    for base in [&public, &operator] {
        let host = base.trim_start_matches("http://");
        let mut s = TcpStream::connect(host).expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .expect("send");
        stalled.push(s);
        let mut s = TcpStream::connect(host).expect("connect");
        s.write_all(b"POST /checkout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"mo")
            .expect("send");
        stalled.push(s);
    }
    std::thread::sleep(Duration::from_millis(300));
    let started = std::time::Instant::now();
    serve.terminate();
    let exit = serve.wait(Duration::from_secs(15));
    let took = started.elapsed();
    assert_eq!(exit.code(), Some(0), "{exit}");
    println!("servers: SIGTERM with 4 stalled clients → exit 0 in {took:?}");
}

#[test]
fn interfaces_1_serve_prints_its_port_answers_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = format!("sqlite://{}", dir.path().join("merchant.db").display());
    let mut cmd = serve_command(&db, REAL_GATEWAY);
    cmd.env("ZEUS_CARRIER_OPERATOR_TOKEN", "servers-operator-token-0123");
    let mut serve = Running::start(cmd);
    let url = serve.listening_url();
    assert!(!url.ends_with(":0"), "the real port is printed: {url}");
    let operator = url_after(&mut serve, "operator api on ");
    assert!(
        !operator.ends_with(":0"),
        "the real port is printed: {operator}"
    );
    let (status, body) = http_get(&url, "/healthz");
    assert_eq!(status, 200, "{body}");
    let (status, _) = http_request(
        &operator,
        "GET",
        "/orders/NEVER-SEEN-1",
        "Authorization: Bearer servers-operator-token-0123\r\n",
    );
    assert_eq!(status, 404, "an order never seen is 404 (INTERFACES §3)");
    serve.terminate();
    let exit = serve.wait(Duration::from_secs(15));
    assert_eq!(exit.code(), Some(0), "{exit}");
    assert!(
        dir.path().join("merchant.db").exists(),
        "the database is where --db says"
    );
}

/// A plain HTTP/1.1 request: status, head (lower-cased) and body.
fn http_exchange(base: &str, method: &str, path: &str, headers: &str) -> (u16, String, String) {
    let host = base.strip_prefix("http://").expect("http base URL");
    let mut stream = TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
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
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// `serve` on a fresh SQLite file with a loopback gateway (nothing listens
/// there: no test here settles) and `extra` flags; the token is
/// [`OPERATOR_TOKEN`].
fn serve_with(dir: &std::path::Path, extra: &[&str]) -> (Running, String, String) {
    let db = format!("sqlite://{}", dir.join("merchant.db").display());
    let mut args = vec!["--gateway-url", "http://127.0.0.1:9", "--charset", "utf8"];
    args.extend_from_slice(extra);
    let mut cmd = serve_command(&db, &args);
    cmd.env("ZEUS_CARRIER_OPERATOR_TOKEN", OPERATOR_TOKEN);
    let mut serve = Running::start(cmd);
    let public = serve.listening_url();
    let operator = url_after(&mut serve, "operator api on ");
    (serve, public, operator)
}

const OPERATOR_TOKEN: &str = "servers-operator-token-0123";

fn bearer() -> String {
    format!("Authorization: Bearer {OPERATOR_TOKEN}\r\n")
}

/// INTERFACES v3 §3, R-CG-5 (issue 17 item 1): with a gateway URL that is
/// not loopback and no `--allow-ip`, serve refuses to start with exit 2,
/// naming `--allow-ip`, before it opens the database; the same command
/// with `--allow-ip` starts.
#[test]
fn interfaces_3_r_cg_5_serve_without_allow_ip_for_a_real_gateway_exits_2() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db_file = dir.path().join("merchant.db");
    let db = format!("sqlite://{}", db_file.display());
    let real = ["--gateway-url", "https://gateway.example"];
    let out = serve_command(&db, &real)
        .env("ZEUS_CARRIER_OPERATOR_TOKEN", OPERATOR_TOKEN)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run serve");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit 2 (INTERFACES v3 §3): {stdout}\n{stderr}"
    );
    assert!(stderr.contains("--allow-ip"), "names --allow-ip: {stderr}");
    assert!(!stdout.contains("listening on"), "serve started: {stdout}");
    assert!(!db_file.exists(), "the database was not touched");
    // With the gateway's addresses stated, the same command starts.
    let mut with_allow = real.to_vec();
    with_allow.extend(["--allow-ip", "192.0.2.0/28"]);
    let mut cmd = serve_command(&db, &with_allow);
    cmd.env("ZEUS_CARRIER_OPERATOR_TOKEN", OPERATOR_TOKEN);
    let mut serve = Running::start(cmd);
    let public = serve.listening_url();
    // The explicit allowlist replaces the loopback default: a call from
    // loopback is refused.
    let (status, _, body) = http_exchange(
        &public,
        "GET",
        "/zeus/carrier/callback?clientip=1234567890&order_no=LOOP-1&status=03",
        "",
    );
    assert_eq!(status, 403, "{body}");
    serve.terminate();
    assert_eq!(serve.wait(Duration::from_secs(15)).code(), Some(0));
}

/// INTERFACES v3 §3 `--unknown-sendid` (issue 17 item 2): a CGI call whose
/// `sendid` has no saved checkout is, by default (`flag`), stored, answered
/// `successok`, flagged and not applied — `GET /orders/{no}` is `404`
/// (saying it was flagged) and `/deadlines` lists it as `reconciliation`
/// with a null status; with `--unknown-sendid apply` the same call is
/// applied (v2's behaviour).
#[test]
fn interfaces_3_unknown_sendid_flag_by_default_and_apply_on_request() {
    let call = "/zeus/carrier/callback?clientip=1234567890&order_no=UNK-1&status=03&money=1000&carrier_type=D&sendid=NO-CHECKOUT-1";
    for (policy, extra) in [
        ("default", &[][..]),
        ("flag", &["--unknown-sendid", "flag"][..]),
        ("apply", &["--unknown-sendid", "apply"][..]),
    ] {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (mut serve, public, operator) = serve_with(dir.path(), extra);
        let (status, _, body) = http_exchange(&public, "GET", call, "");
        assert_eq!((status, body.as_str()), (200, "successok"), "{policy}");
        let (status, _, order) = http_exchange(&operator, "GET", "/orders/UNK-1", &bearer());
        let order: serde_json::Value = serde_json::from_str(&order).expect("order JSON");
        let (_, _, deadlines) =
            http_exchange(&operator, "GET", "/deadlines?within_days=60", &bearer());
        let deadlines: serde_json::Value = serde_json::from_str(&deadlines).expect("JSON");
        let listed: Vec<&serde_json::Value> = deadlines
            .as_array()
            .expect("a JSON array")
            .iter()
            .filter(|d| d["order_no"] == "UNK-1")
            .collect();
        if policy == "apply" {
            assert_eq!(status, 200, "{policy}: applied: {order}");
            assert_eq!(order["status"]["code"], "03", "{order}");
            assert_eq!(order["flagged"], 0, "{order}");
            assert!(
                listed.iter().all(|d| d["kind"] != "reconciliation"),
                "{policy}: nothing to reconcile: {deadlines}"
            );
        } else {
            assert_eq!(status, 404, "{policy}: not applied: {order}");
            assert_eq!(order["flagged"], 1, "{policy}: stored and flagged: {order}");
            let entry = listed
                .first()
                .unwrap_or_else(|| panic!("{policy}: UNK-1 not in /deadlines: {deadlines}"));
            assert_eq!(entry["kind"], "reconciliation", "{entry}");
            assert!(entry["status"].is_null(), "{entry}");
        }
        serve.terminate();
        assert_eq!(serve.wait(Duration::from_secs(15)).code(), Some(0));
    }
}

/// INTERFACES v3 §3 (issue 17 item 4): without the token, a request for
/// an operator path with a method it does not allow is answered `401`
/// with `WWW-Authenticate` and nothing else — no `Allow` (which would
/// enumerate the routes), no body, no content type. With the token, the
/// same request is `405`: the 401 hid the route.
#[test]
fn interfaces_3_a_401_carries_only_www_authenticate_even_for_a_wrong_method() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut serve, _, operator) = serve_with(dir.path(), &[]);
    for (method, path) in [
        ("DELETE", "/orders/ORD-1"),
        ("PUT", "/orders/ORD-1"),
        ("GET", "/orders/ORD-1/settle"),
        ("GET", "/orders/ORD-1/cancel"),
        ("POST", "/deadlines"),
        ("POST", "/metrics"),
    ] {
        for auth in ["", "Authorization: Bearer wrong-token-0123456789\r\n"] {
            let (status, head, body) = http_exchange(&operator, method, path, auth);
            assert_eq!(status, 401, "{method} {path} {auth:?}: {head}");
            assert!(body.is_empty(), "{method} {path}: {body:?}");
            let names: Vec<&str> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':').map(|(n, _)| n.trim()))
                .collect();
            assert!(
                names.contains(&"www-authenticate"),
                "{method} {path}: {head}"
            );
            for name in &names {
                assert!(
                    ["www-authenticate", "content-length", "date", "connection"].contains(name),
                    "{method} {path}: a 401 says nothing but WWW-Authenticate, got {name:?}: {head}"
                );
            }
        }
        let (status, head, _) = http_exchange(&operator, method, path, &bearer());
        assert_eq!(status, 405, "{method} {path} with the token: {head}");
    }
    serve.terminate();
    assert_eq!(serve.wait(Duration::from_secs(15)).code(), Some(0));
}
