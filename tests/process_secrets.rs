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
const OPERATOR_TOKEN: &str = "OpTokenSecret5b3c91";
const DB_PASSWORD: &str = "DbPwSecret8e4d27";
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
        self.addr_after("listening on http://")
    }

    /// The address printed after `prefix`.
    fn addr_after(&self, prefix: &str) -> String {
        for _ in 0..300 {
            if let Some(a) = self.text().lines().find_map(|l| l.strip_prefix(prefix)) {
                return a.trim().to_owned();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no {prefix} line: {}", self.text());
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
            "--operator-listen",
            "127.0.0.1:0",
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
        .env("ZEUS_CARRIER_SIGNING_KEY", SIGNING_KEY)
        .env("ZEUS_CARRIER_OPERATOR_TOKEN", OPERATOR_TOKEN);
    let serve = Logged::start(serve_cmd);
    let serve_addr = serve.addr();
    let operator_addr = serve.addr_after("operator api on http://");

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
        let operator = format!("http://{operator_addr}");
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
            .get(format!("{operator}/orders/{no}"))
            .bearer_auth(OPERATOR_TOKEN)
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
                .post(format!("{operator}/orders/{no}/{step}"))
                .bearer_auth(OPERATOR_TOKEN)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect(step);
            let v: serde_json::Value =
                serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
            assert_eq!(v["outcome"], "success", "{step}: {v}");
            let o: serde_json::Value = http
                .get(format!("{operator}/orders/{no}"))
                .bearer_auth(OPERATOR_TOKEN)
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
        for secret in [ZKEY, SIGNING_KEY, OPERATOR_TOKEN] {
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

/// Runs `zeus-carrier serve` with `args` and `env` until it exits (at most
/// 30 s); returns the exit code and everything it printed.
fn serve_once(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = zeus();
    cmd.arg("serve")
        .args(args)
        .env_remove("ZEUS_CARRIER_ZKEY")
        .env_remove("ZEUS_CARRIER_SIGNING_KEY")
        .env_remove("ZEUS_CARRIER_OPERATOR_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut run = Logged::start(cmd);
    for _ in 0..300 {
        if let Ok(Some(status)) = run.child.try_wait() {
            std::thread::sleep(Duration::from_millis(200));
            return (status.code(), run.text());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = run.child.kill();
    panic!("serve {args:?} still running after 30 s: {}", run.text());
}

/// Malformed variants of a secret whose recognisable core is `core`.
fn malformed(core: &str) -> Vec<String> {
    vec![
        format!("{core}\n"),
        format!("{core}\n\n"),
        format!("{core}\t"),
        format!("\t{core}"),
        format!("{core}\r"),
        format!("{core} x"),
        format!("{core}秘密"),
        format!("-{core}\n"),
        format!("{core}{}", "X".repeat(41usize.saturating_sub(core.len()))),
    ]
}

#[test]
fn malformed_secrets_stop_serve_without_showing_them() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = format!("sqlite://{}", dir.path().join("merchant.db").display());
    let file = dir.path().join("secret");
    let base = [
        "--listen",
        "127.0.0.1:0",
        "--operator-listen",
        "127.0.0.1:0",
        "--db",
        db.as_str(),
        "--clientip",
        CLIENTIP,
        // The default (real) gateway needs its allowlist (INTERFACES v3
        // §3): stated, so that each run stops for its secret, not for this.
        "--allow-ip",
        "127.0.0.1/32",
    ];
    let mut runs = 0;
    let mut check = |what: &str, args: Vec<String>, env: Vec<(&str, String)>, core: &str| {
        let mut all: Vec<&str> = base.to_vec();
        all.extend(args.iter().map(String::as_str));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (code, out) = serve_once(&all, &env);
        assert!(
            code.is_some_and(|c| c != 0),
            "{what}: serve must stop with a non-zero exit, got {code:?}: {out}"
        );
        assert!(!out.contains(core), "{what}: the secret is shown:\n{out}");
        assert!(
            !out.contains("listening on"),
            "{what}: serve started: {out}"
        );
        runs += 1;
    };
    let zkey_core = "ZkCoreSecret91";
    let sign_core = "SignCoreSecret73";
    let token_core = "TokenCoreSecret5520";
    let valid_token = ("ZEUS_CARRIER_OPERATOR_TOKEN", OPERATOR_TOKEN.to_owned());
    for bad in malformed(zkey_core) {
        let what = format!("zkey {bad:?}");
        check(
            &format!("{what} by flag"),
            vec!["--zkey".into(), bad.clone()],
            vec![valid_token.clone()],
            zkey_core,
        );
        check(
            &format!("{what} by env"),
            vec![],
            vec![("ZEUS_CARRIER_ZKEY", bad.clone()), valid_token.clone()],
            zkey_core,
        );
        // In a file, one trailing newline is allowed: add one more.
        std::fs::write(&file, format!("{bad}\n")).expect("write");
        check(
            &format!("{what} in a file"),
            vec!["--zkey-file".into(), file.display().to_string()],
            vec![valid_token.clone()],
            zkey_core,
        );
    }
    for bad in malformed(sign_core).into_iter().take(8) {
        let what = format!("signing key {bad:?}");
        check(
            &format!("{what} by flag"),
            vec![
                "--zkey".into(),
                "k".into(),
                "--signing-key".into(),
                bad.clone(),
            ],
            vec![valid_token.clone()],
            sign_core,
        );
        check(
            &format!("{what} by env"),
            vec!["--zkey".into(), "k".into()],
            vec![
                ("ZEUS_CARRIER_SIGNING_KEY", bad.clone()),
                valid_token.clone(),
            ],
            sign_core,
        );
        std::fs::write(&file, format!("{bad}\n")).expect("write");
        check(
            &format!("{what} in a file"),
            vec![
                "--zkey".into(),
                "k".into(),
                "--signing-key-file".into(),
                file.display().to_string(),
            ],
            vec![valid_token.clone()],
            sign_core,
        );
    }
    for bad in malformed(token_core)
        .into_iter()
        .take(8)
        .chain(["short".to_owned()])
    {
        let core = if bad == "short" { "short" } else { token_core };
        let what = format!("operator token {bad:?}");
        check(
            &format!("{what} by env"),
            vec!["--zkey".into(), "k".into()],
            vec![("ZEUS_CARRIER_OPERATOR_TOKEN", bad.clone())],
            core,
        );
        std::fs::write(&file, format!("{bad}\n")).expect("write");
        check(
            &format!("{what} in a file"),
            vec![
                "--zkey".into(),
                "k".into(),
                "--operator-token-file".into(),
                file.display().to_string(),
            ],
            vec![],
            core,
        );
    }
    // A database password, in every form, never shown (the database is
    // unreachable: serve stops).
    for db in [
        format!("postgres://merchant:{DB_PASSWORD}@127.0.0.1:1/zeus"),
        format!("postgres://merchant@127.0.0.1:1/zeus?password={DB_PASSWORD}"),
        format!("postgres://merchant@127.0.0.1:1/zeus?sslmode=disable&password={DB_PASSWORD}"),
        format!("postgres://merchant@127.0.0.1:1/zeus?pass%77ord={DB_PASSWORD}"),
        format!("postgres://merchant@127.0.0.1:1/zeus?PassWord={DB_PASSWORD}"),
        format!("postgres://merchant:{DB_PASSWORD}@127.0.0.1:notaport/zeus"),
    ] {
        let args = vec![
            "--listen".to_owned(),
            "127.0.0.1:0".into(),
            "--operator-listen".into(),
            "127.0.0.1:0".into(),
            "--db".into(),
            db.clone(),
            "--clientip".into(),
            CLIENTIP.into(),
            "--zkey".into(),
            "k".into(),
        ];
        let all: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out) = serve_once(
            &all,
            &[
                ("ZEUS_CARRIER_OPERATOR_TOKEN", OPERATOR_TOKEN),
                ("RUST_LOG", "trace"),
            ],
        );
        assert!(code.is_some_and(|c| c != 0), "{db}: {code:?}: {out}");
        assert!(
            !out.contains(DB_PASSWORD),
            "{db}: the password is shown:\n{out}"
        );
        runs += 1;
    }
    // The well-formed ones, from files with one trailing newline, work.
    let zkey_file = dir.path().join("zkey");
    let token_file = dir.path().join("token");
    let sign_file = dir.path().join("sign");
    std::fs::write(&zkey_file, format!("{zkey_core}\n")).expect("write");
    std::fs::write(&token_file, format!("{token_core}\n")).expect("write");
    std::fs::write(&sign_file, format!("{sign_core}\n")).expect("write");
    let mut cmd = zeus();
    cmd.args(["serve"])
        .args(base)
        .args(["--zkey-file", &zkey_file.display().to_string()])
        .args(["--operator-token-file", &token_file.display().to_string()])
        .args(["--signing-key-file", &sign_file.display().to_string()])
        .env_remove("ZEUS_CARRIER_ZKEY")
        .env_remove("ZEUS_CARRIER_SIGNING_KEY")
        .env_remove("ZEUS_CARRIER_OPERATOR_TOKEN");
    let serve = Logged::start(cmd);
    let operator = serve.addr_after("operator api on http://");
    let mut s = std::net::TcpStream::connect(&operator).expect("connect");
    use std::io::Write as _;
    write!(
        s,
        "GET /deadlines HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token_core}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let out = serve.stop();
    for core in [zkey_core, token_core, sign_core] {
        assert!(!out.contains(core), "{core} shown:\n{out}");
    }
    println!("process_secrets: {runs} malformed secret runs, none printed its secret");
}
