//! Secrets stay out of every log line (issue #6): the real `zeus-carrier
//! sandbox` and `zeus-carrier serve` processes run a whole lifecycle —
//! checkout with a signed `sendpoint`, order form, payment test page, CGI
//! call, settle, cancel, a forged CGI call — with `RUST_LOG=trace`, and
//! neither the zkey nor the signing key appears anywhere in either
//! process's stdout or stderr.
//!
//! Safe defaults (issue #17, INTERFACES §3): a secret file that is a
//! symbolic link, open to group or others, or another user's stops serve
//! with exit 2 naming the flag and the rule; a `--db` value is never
//! repeated, whatever its form; the SQLite files and the generated token
//! file are 0600 whatever the umask.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zeus_carrier_system_tests::secret_file::{chmod, give_away, mode_of, write_secret};

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
    serve_once_in(zeus(), args, env)
}

/// [`serve_once`] with a prepared command (e.g. a working directory).
fn serve_once_in(mut cmd: Command, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
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
        write_secret(&file, format!("{bad}\n"));
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
        write_secret(&file, format!("{bad}\n"));
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
        write_secret(&file, format!("{bad}\n"));
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
    write_secret(&zkey_file, format!("{zkey_core}\n"));
    write_secret(&token_file, format!("{token_core}\n"));
    write_secret(&sign_file, format!("{sign_core}\n"));
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

/// The arguments every refused-file run shares: loopback faces on free
/// ports, an SQLite database in `dir`.
fn base_args(dir: &Path) -> Vec<String> {
    vec![
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--operator-listen".into(),
        "127.0.0.1:0".into(),
        "--db".into(),
        format!("sqlite://{}", dir.join("merchant.db").display()),
        "--clientip".into(),
        CLIENTIP.into(),
        // The default (real) gateway needs its allowlist stated
        // (INTERFACES v3 §3), so only the secret under test can stop serve.
        "--allow-ip".into(),
        "192.0.2.0/28".into(),
    ]
}

/// Runs serve with `args` (and `env`); asserts it stopped with exit 2
/// before listening, naming `flag` and `rule`, without `value`.
fn assert_refused(
    what: &str,
    args: &[String],
    env: &[(&str, &str)],
    flag: &str,
    rule: &str,
    value: &str,
) {
    let all: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out) = serve_once(&all, env);
    assert_eq!(code, Some(2), "{what}: exit 2 expected:\n{out}");
    assert!(
        !out.contains("listening on"),
        "{what}: serve started:\n{out}"
    );
    assert!(
        out.contains(flag),
        "{what}: the flag {flag} is not named:\n{out}"
    );
    assert!(
        out.contains(rule),
        "{what}: the rule ({rule}) is not named:\n{out}"
    );
    assert!(!out.contains(value), "{what}: the value is shown:\n{out}");
}

const RULE_LINK: &str = "not a symbolic link";
const RULE_MODE: &str = "must not be readable or writable by group or others";
const RULE_OWNER: &str = "must be owned by the user the process runs as";

/// A secret file planted as a symbolic link (to a file that would pass),
/// made 0644, 0640 or 0666, or owned by another user stops serve with
/// exit 2; the message names the flag and the rule, never the value —
/// for each of `--zkey-file`, `--signing-key-file` and
/// `--operator-token-file`.
#[test]
fn unfit_secret_files_stop_serve_with_exit_2_naming_the_flag_and_the_rule() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let value = "PlantedSecretValue4242";
    let fit = dir.path().join("fit");
    write_secret(&fit, format!("{value}\n"));
    let mut runs = 0;
    for flag in ["--zkey-file", "--signing-key-file", "--operator-token-file"] {
        let name = flag.trim_start_matches('-');
        // The other secrets, given the other way.
        let mut args = base_args(dir.path());
        let mut env = vec![("ZEUS_CARRIER_OPERATOR_TOKEN", OPERATOR_TOKEN)];
        if flag != "--zkey-file" {
            args.extend(["--zkey".to_owned(), "k".to_owned()]);
        }
        if flag == "--operator-token-file" {
            env.clear();
        }
        let run = |what: &str, path: &Path, rule: &str| {
            let mut all = args.clone();
            all.extend([flag.to_owned(), path.display().to_string()]);
            assert_refused(&format!("{flag} {what}"), &all, &env, flag, rule, value);
        };
        let link = dir.path().join(format!("{name}-link"));
        std::os::unix::fs::symlink(&fit, &link).expect("symlink");
        run("symbolic link", &link, RULE_LINK);
        runs += 1;
        for mode in [0o644, 0o640, 0o666] {
            let path = dir.path().join(format!("{name}-{mode:o}"));
            write_secret(&path, format!("{value}\n"));
            chmod(&path, mode);
            run(&format!("mode {mode:o}"), &path, RULE_MODE);
            runs += 1;
        }
        let theirs = dir.path().join(format!("{name}-theirs"));
        write_secret(&theirs, format!("{value}\n"));
        if give_away(&theirs) {
            run("owned by another user", &theirs, RULE_OWNER);
        } else {
            // Not root: a file of root's stands for another user's.
            run("owned by root", Path::new("/etc/passwd"), RULE_OWNER);
        }
        runs += 1;
    }
    println!("process_secrets: {runs} unfit secret files, each refused with exit 2");
}

/// The operator token file serve generates next to the database is
/// checked when it is reused: a planted 0666 file, or a link in its place,
/// stops serve with exit 2 and nothing is written through the link.
#[test]
fn a_reused_generated_token_file_that_is_unfit_stops_serve_with_exit_2() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let token_file = dir.path().join("merchant.db.operator-token");
    let planted = "PlantedOperatorToken0123456789";
    let mut args = base_args(dir.path());
    args.extend(["--zkey".to_owned(), "k".to_owned()]);
    write_secret(&token_file, format!("{planted}\n"));
    chmod(&token_file, 0o666);
    assert_refused(
        "a 0666 generated token file",
        &args,
        &[],
        "operator token file",
        RULE_MODE,
        planted,
    );
    std::fs::remove_file(&token_file).expect("remove");
    let elsewhere = dir.path().join("elsewhere");
    std::os::unix::fs::symlink(&elsewhere, &token_file).expect("symlink");
    assert_refused(
        "a link in place of the generated token file",
        &args,
        &[],
        "operator token file",
        RULE_LINK,
        planted,
    );
    assert!(!elsewhere.exists(), "a token was written through the link");
}

/// `--db` is never repeated in an error, in any form: a libpq key=value
/// string with a password, the same unquoted (split into arguments), a
/// bare password pasted by mistake, one starting with `-`, one holding a
/// `:`. serve stops non-zero and nothing of the value is printed, logs at
/// `RUST_LOG=trace` included.
#[test]
fn db_values_in_every_form_are_never_repeated() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let forms: Vec<Vec<String>> = vec![
        vec![format!(
            "--db=host=127.0.0.1 port=1 dbname=zeus user=merchant password={DB_PASSWORD}"
        )],
        vec![format!("--db=password={DB_PASSWORD} host=127.0.0.1")],
        vec![
            "--db".into(),
            "host=127.0.0.1".into(),
            format!("password={DB_PASSWORD}"),
        ],
        vec!["--db".into(), DB_PASSWORD.into()],
        vec!["--db".into(), format!("-{DB_PASSWORD}")],
        vec!["--db".into(), format!("{DB_PASSWORD}:{DB_PASSWORD}")],
        vec!["--db".into(), format!("{DB_PASSWORD} with spaces")],
    ];
    for form in &forms {
        let mut args = vec![
            "--listen".to_owned(),
            "127.0.0.1:0".into(),
            "--operator-listen".into(),
            "127.0.0.1:0".into(),
            "--clientip".into(),
            CLIENTIP.into(),
            "--zkey".into(),
            "k".into(),
        ];
        args.extend(form.iter().cloned());
        let all: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = zeus();
        cmd.current_dir(dir.path());
        let (code, out) = serve_once_in(
            cmd,
            &all,
            &[
                ("ZEUS_CARRIER_OPERATOR_TOKEN", OPERATOR_TOKEN),
                ("RUST_LOG", "trace"),
            ],
        );
        assert!(code.is_some_and(|c| c != 0), "{form:?}: {code:?}: {out}");
        assert!(out.contains("error:"), "{form:?}: no error: {out}");
        assert!(
            !out.contains(DB_PASSWORD),
            "{form:?}: the value is repeated:\n{out}"
        );
    }
    println!(
        "process_secrets: {} --db forms refused without being repeated",
        forms.len()
    );
}

/// serve's SQLite database, its -wal and -shm files and the operator
/// token file it generates are 0600 once serve listens, whatever the
/// umask it was started with (SQLite alone makes its default 0644 less the
/// umask; `open(…, 0600)` alone would make 0400 under umask 277).
#[test]
fn sqlite_files_and_the_generated_token_are_0600_whatever_the_umask() {
    for umask in ["000", "022", "277"] {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = dir.path().join("merchant.db");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
            .arg(zeus_carrier_system_tests::bin::zeus_carrier())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--operator-listen",
                "127.0.0.1:0",
            ])
            .args(["--clientip", CLIENTIP, "--zkey", "k"])
            .args(["--allow-ip", "192.0.2.0/28"])
            .arg("--db")
            .arg(format!("sqlite://{}", db.display()))
            .env_remove("ZEUS_CARRIER_OPERATOR_TOKEN");
        let serve = Logged::start(cmd);
        serve.addr_after("operator api on http://");
        let files = [
            "merchant.db",
            "merchant.db-wal",
            "merchant.db-shm",
            "merchant.db.operator-token",
        ];
        let modes: Vec<(&str, u32)> = files
            .iter()
            .map(|f| (*f, mode_of(&dir.path().join(f))))
            .collect();
        let out = serve.stop();
        for (file, mode) in modes {
            assert_eq!(mode, 0o600, "umask {umask}: {file} is {mode:04o}:\n{out}");
        }
    }
}
