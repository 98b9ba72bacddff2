//! Oversized input is refused with a clear status, over real loopback
//! sockets: CGI queries above the receiver's 8 KiB bound (414), request
//! lines above the HTTP server's own bound, bodies above the merchant
//! service's 64 KiB and the sandbox's 2 MiB bounds (413). None of them
//! says `successok`, and the services keep answering afterwards.

use zeus_carrier_system_tests as support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use zeus_carrier_core::Charset;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_sandbox::{Sandbox, SandboxConfig};
use zeus_carrier_serve::ServeConfig;

use crate::support::{CLIENTIP, TestDb, runtime};

/// A raw HTTP/1.1 exchange: the status (0 when the server closed without
/// an answer) and the head and body as text.
fn raw(addr: &str, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    // The server may answer (and close) before the whole request is sent.
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn get(addr: &str, target: &str) -> (u16, String) {
    raw(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

fn post(addr: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let auth = if addr.ends_with(&format!(":{}", operator_port())) {
        format!("Authorization: Bearer {TOKEN}\r\n")
    } else {
        String::new()
    };
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    raw(addr, &req)
}

/// The operator face's token in this suite.
const TOKEN: &str = "limits-operator-token-0123";

static OPERATOR_PORT: std::sync::OnceLock<u16> = std::sync::OnceLock::new();

/// The operator face's port (set once the service is bound).
fn operator_port() -> u16 {
    OPERATOR_PORT.get().copied().unwrap_or(0)
}

#[test]
fn oversized_queries_and_bodies_are_refused_with_a_clear_status() {
    let rt = runtime();
    let db = TestDb::sqlite();
    let mut cfg = ServeConfig::new(CLIENTIP, Zkey::new("limits-zkey"));
    cfg.listen = "127.0.0.1:0".parse().expect("addr");
    cfg.operator_listen = "127.0.0.1:0".parse().expect("addr");
    cfg.operator_token = Some(zeus_carrier_serve::OperatorToken::new(TOKEN).expect("token"));
    cfg.db = db.url.clone();
    cfg.gateway_url = "http://127.0.0.1:9".to_owned();
    cfg.charset = Charset::Utf8;
    let (serve, operator, stop, sandbox) = rt.block_on(async {
        let server = zeus_carrier_serve::bind(&cfg).await.expect("bind");
        let addr = server.local_addr().to_string();
        let operator = server.operator_addr();
        let _ = OPERATOR_PORT.set(operator.port());
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve(async move {
            let _ = rx.await;
        }));
        let sandbox = Sandbox::spawn(SandboxConfig::default())
            .await
            .expect("sandbox");
        (addr, operator.to_string(), stop, sandbox)
    });
    let gw = sandbox.base_url().trim_start_matches("http://").to_owned();
    let mut report = Vec::new();
    let cb = "/zeus/carrier/callback?clientip=1234567890&order_no=BIG-1&status=03&username=";
    // CGI query over the receiver's bound.
    let (s, text) = get(&serve, &format!("{cb}{}", "A".repeat(9 * 1024)));
    assert_eq!(s, 414, "{text}");
    assert!(text.contains("larger than the 8192-byte limit"), "{text}");
    report.push(format!("9 KiB CGI query → {s}"));
    // A request line the HTTP server itself will not buffer.
    for size in [64 * 1024, 1024 * 1024] {
        let (s, text) = get(&serve, &format!("{cb}{}", "A".repeat(size)));
        assert!(!text.contains("successok"), "{text}");
        assert!(
            s == 414 || s == 431 || s == 400,
            "{size}-byte query: status {s}: {}",
            text.lines().next().unwrap_or("")
        );
        report.push(format!("{} KiB CGI query → {s}", size / 1024));
    }
    // Bodies over the merchant service's 64 KiB bound.
    let big = vec![b'a'; 100 * 1024];
    for (addr, path, ct) in [
        (&serve, "/checkout", "application/x-www-form-urlencoded"),
        (&serve, "/checkout", "application/json"),
        (&operator, "/orders/BIG-1/settle", "application/json"),
    ] {
        let (s, text) = post(addr, path, ct, &big);
        assert_eq!(s, 413, "{path} {ct}: {text}");
        report.push(format!("100 KiB {path} ({ct}) → {s}"));
    }
    // Bodies over the sandbox's 2 MiB bound.
    let huge = vec![b'a'; 3 * 1024 * 1024];
    for (path, ct) in [
        (
            "/cgi-bin/carrier/order.cgi",
            "application/x-www-form-urlencoded",
        ),
        (
            "/cgi-bin/carrier/secure.cgi",
            "application/x-www-form-urlencoded",
        ),
        ("/_sandbox/clock", "application/json"),
    ] {
        let (s, text) = post(&gw, path, ct, &huge);
        assert_eq!(s, 413, "{path}: {}", text.lines().next().unwrap_or(""));
        report.push(format!("3 MiB sandbox {path} → {s}"));
    }
    // Both still answer.
    assert_eq!(get(&serve, "/healthz").0, 200);
    assert_eq!(get(&gw, "/_sandbox/clock").0, 200);
    println!("limits: {}", report.join("; "));
    let _ = stop.send(());
    rt.block_on(async {
        let _ = sandbox.shutdown().await;
    });
}
