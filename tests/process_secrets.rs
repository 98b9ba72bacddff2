//! Secrets stay out of every log line (issue #6): the real `zeus-carrier
//! sandbox` and `zeus-carrier serve` processes run a whole lifecycle —
//! checkout with a signed `sendpoint`, order form, payment test page, CGI
//! call, settle, cancel, a forged CGI call — with `RUST_LOG=trace`, and
//! neither the zkey nor the signing key appears anywhere in either
//! process's stdout or stderr.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ZKEY: &str = "ZkSecret4f1c9e";
const SIGNING_KEY: &str = "SignSecret77d2a0";
const CLIENTIP: &str = "1234567890";

/// A child whose stdout and stderr are kept whole.
struct Logged {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
}

impl Logged {
    fn start(mut cmd: Command) -> Logged {
        let mut child = cmd
            .env("RUST_LOG", "trace")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start zeus-carrier");
        let out = Arc::new(Mutex::new(Vec::new()));
        for mut pipe in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    out.lock().expect("log lock").extend_from_slice(&buf[..n]);
                }
            });
        }
        Logged { child, out }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().expect("log lock")).into_owned()
    }

    /// The `listening on http://…` address.
    fn addr(&self) -> String {
        for _ in 0..300 {
            if let Some(a) = self
                .text()
                .lines()
                .find_map(|l| l.strip_prefix("listening on http://"))
            {
                return a.trim().to_owned();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no listening line: {}", self.text());
    }

    /// SIGTERM, then wait for a clean exit; returns everything printed.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..150 {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(200));
        self.text()
    }
}

fn zeus() -> Command {
    zeus_carrier_system_tests::bin::command()
}

/// The hidden inputs of the checkout page, unescaped.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.lines()
        .filter_map(|l| l.strip_prefix("<input type=\"hidden\" name=\""))
        .filter_map(|l| l.strip_suffix("\">"))
        .filter_map(|l| l.split_once("\" value=\""))
        .map(|(n, v)| (unescape(n), unescape(v)))
        .collect()
}

#[test]
fn secrets_never_reach_the_logs_of_a_whole_lifecycle() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // The merchant's port is chosen first: the sandbox needs its CGI URL.
    let serve_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut sandbox_cmd = zeus();
    sandbox_cmd.args([
        "sandbox",
        "--listen",
        "127.0.0.1:0",
        "--zkey",
        ZKEY,
        "--clientip",
        CLIENTIP,
        "--charset",
        "utf8",
        "--mode",
        "auth",
        "--cgi-optional",
        "--cgi-url",
        &format!("http://127.0.0.1:{serve_port}/zeus/carrier/callback"),
    ]);
    let sandbox = Logged::start(sandbox_cmd);
    let sandbox_addr = sandbox.addr();
    let mut serve_cmd = zeus();
    serve_cmd
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{serve_port}"),
            "--db",
            &format!("sqlite://{}", dir.path().join("merchant.db").display()),
            "--clientip",
            CLIENTIP,
            "--gateway-url",
            &format!("http://{sandbox_addr}"),
            "--charset",
            "utf8",
        ])
        .env("ZEUS_CARRIER_ZKEY", ZKEY)
        .env("ZEUS_CARRIER_SIGNING_KEY", SIGNING_KEY);
    let serve = Logged::start(serve_cmd);
    let serve_addr = serve.addr();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let order_no = rt.block_on(async {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let serve = format!("http://{serve_addr}");
        let gw = format!("http://{sandbox_addr}");
        // Checkout: the merchant's page with the signed form.
        let r = http
            .post(format!("{serve}/checkout"))
            .header("content-type", "application/json")
            .body(
                serde_json::json!({
                    "money": "1000", "carrier_type": "D",
                    "username": "ゼウステスト_12345678", "telno": "0312345678",
                    "success_url": "https://shop.example.invalid/ok", "success_str": "戻る",
                })
                .to_string(),
            )
            .send()
            .await
            .expect("checkout");
        assert_eq!(r.status(), 200);
        let fields = hidden_inputs(&r.text().await.expect("page"));
        assert!(fields.iter().any(|(n, _)| n == "sendpoint"), "{fields:?}");
        // The shopper's browser posts it to the gateway.
        let r = http
            .post(format!("{gw}/cgi-bin/carrier/order.cgi"))
            .form(&fields)
            .send()
            .await
            .expect("order.cgi");
        assert_eq!(r.status(), 303);
        let no = r
            .headers()
            .get("x-sandbox-order-no")
            .and_then(|v| v.to_str().ok())
            .expect("order number")
            .to_owned();
        // 支払完了テスト: 03, and the CGI call to the merchant.
        let r = http
            .post(format!("{gw}/sandbox/carrier/{no}"))
            .form(&[("decision", "complete")])
            .send()
            .await
            .expect("decision");
        assert_eq!(r.status(), 200);
        let o: serde_json::Value = http
            .get(format!("{serve}/orders/{no}"))
            .send()
            .await
            .expect("order")
            .bytes()
            .await
            .map(|b| serde_json::from_slice(&b).expect("json"))
            .expect("body");
        assert_eq!(o["status"]["code"], "03", "{o}");
        for (step, want) in [("settle", "07"), ("cancel", "08")] {
            let r = http
                .post(format!("{serve}/orders/{no}/{step}"))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect(step);
            let v: serde_json::Value =
                serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
            assert_eq!(v["outcome"], "success", "{step}: {v}");
            let o: serde_json::Value = http
                .get(format!("{serve}/orders/{no}"))
                .send()
                .await
                .expect("order")
                .bytes()
                .await
                .map(|b| serde_json::from_slice(&b).expect("json"))
                .expect("body");
            assert_eq!(o["status"]["code"], want, "{step}: {o}");
        }
        // A forged CGI call (bad signature) is refused and logged.
        let r = http
            .get(format!(
                "{serve}/zeus/carrier/callback?clientip={CLIENTIP}&order_no=FORGED-1&status=07&sendid=x&sendpoint=forged&carrier_type=D&money=1"
            ))
            .send()
            .await
            .expect("forged call");
        assert_eq!(r.status(), 400);
        no
    });
    let serve_log = serve.stop();
    let sandbox_log = sandbox.stop();
    for (who, log) in [("serve", &serve_log), ("sandbox", &sandbox_log)] {
        assert!(
            log.contains(&order_no),
            "{who} logged the lifecycle:\n{log}"
        );
        for secret in [ZKEY, SIGNING_KEY] {
            assert!(
                !log.contains(secret),
                "{who}'s output holds a secret ({secret}):\n{log}"
            );
        }
    }
    println!(
        "secrets: {} bytes of serve output and {} bytes of sandbox output at RUST_LOG=trace hold neither key",
        serve_log.len(),
        sandbox_log.len()
    );
}
