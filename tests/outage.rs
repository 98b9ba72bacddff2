//! Storage outages (R-CG-1, INTERFACES §3): `zeus-carrier serve` (the
//! library's `bind`/`serve`, on a real loopback socket) with its database
//! made unavailable. Every CGI call during the outage is answered `503`
//! and never `successok`; `/healthz` answers `503`; after recovery
//! `/healthz` answers `200` and the resent calls apply exactly once.
//!
//! How the database is made unavailable (the tests run as root, and root
//! ignores file permission bits, so `chmod` proves nothing):
//! - SQLite, directory moved away: the database's directory is renamed
//!   while the service runs (a volume unmounted or replaced under it);
//! - SQLite, files immutable: `chattr +i` on the database file and its WAL
//!   (ext4/xfs/btrfs; even root cannot write an immutable file, also
//!   through descriptors opened before). Skipped, with a SKIPPED line, where
//!   the filesystem or the container refuses `chattr`;
//! - PostgreSQL stopped: a throwaway cluster of its own (not the shared
//!   test cluster) is stopped with `pg_ctl stop -m fast` and started again
//!   on the same port and data.

use zeus_carrier_system_tests as support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use zeus_carrier_core::Charset;
use zeus_carrier_core::secure_link::Zkey;
use zeus_carrier_serve::ServeConfig;

use crate::support::{
    CLIENTIP, TestDb, cgi_query, http_client, post_checkout, runtime, skip_pg, within,
};

/// A running service: base URL, stop trigger, task.
struct Service {
    base: String,
    /// The operator face.
    operator: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), zeus_carrier_serve::ServeError>>,
}

/// The operator face's token in this suite.
const TOKEN: &str = "outage-operator-token-0123";

async fn start_service(db: &str) -> Service {
    let mut cfg = ServeConfig::new(CLIENTIP, Zkey::new("outage-zkey"));
    cfg.listen = "127.0.0.1:0".parse().expect("addr");
    cfg.operator_listen = "127.0.0.1:0".parse().expect("addr");
    cfg.operator_token = Some(zeus_carrier_serve::OperatorToken::new(TOKEN).expect("token"));
    cfg.db = db.to_owned();
    cfg.gateway_url = "http://127.0.0.1:9".to_owned();
    cfg.charset = Charset::Utf8;
    let server = zeus_carrier_serve::bind(&cfg).await.expect("bind");
    let base = format!("http://{}", server.local_addr());
    let operator = format!("http://{}", server.operator_addr());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async move {
        let _ = rx.await;
    }));
    Service {
        base,
        operator,
        stop,
        task,
    }
}

impl Service {
    async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = within(Duration::from_secs(30), self.task).await;
    }
}

/// The calls of one phase: (order, status).
fn calls(range: std::ops::Range<usize>, status: &str) -> Vec<(String, String)> {
    range
        .map(|i| (format!("OUT-{i}"), status.to_owned()))
        .collect()
}

/// Sends every call at once; returns (status, body) per call, in order.
async fn send_all(
    http: &reqwest::Client,
    base: &str,
    calls: &[(String, String)],
) -> Vec<(u16, String)> {
    let mut set = tokio::task::JoinSet::new();
    for (i, (order, status)) in calls.iter().enumerate() {
        let url = format!(
            "{base}/zeus/carrier/callback?{}",
            cgi_query(
                order,
                status,
                &[
                    ("money", "1000"),
                    ("carrier_type", "D"),
                    ("sendid", &format!("S-{order}")),
                ],
            )
        );
        let http = http.clone();
        set.spawn(async move {
            let r = http.get(url).send().await.expect("an answer");
            let code = r.status().as_u16();
            (i, code, r.text().await.unwrap_or_default())
        });
    }
    let mut out = vec![(0, String::new()); calls.len()];
    while let Some(done) = set.join_next().await {
        let (i, code, body) = done.expect("task");
        out[i] = (code, body);
    }
    out
}

async fn healthz(http: &reqwest::Client, base: &str) -> u16 {
    let r = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz answers");
    let code = r.status().as_u16();
    println!("healthz {code}: {}", r.text().await.unwrap_or_default());
    code
}

async fn order_json(http: &reqwest::Client, base: &str, order: &str) -> serde_json::Value {
    let r = http
        .get(format!("{base}/orders/{order}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get order");
    assert_eq!(r.status(), 200, "{order}");
    serde_json::from_slice(&r.bytes().await.expect("body")).expect("json")
}

/// INTERFACES v3 §3: the public face's `503` says only that storage is
/// unavailable — no file path, host, port, driver or database error (the
/// detail goes to the log).
fn assert_public_503_says_only_storage_unavailable(body: &str, db_url: &str) {
    assert!(
        body.starts_with("error: storage unavailable"),
        "the 503 says storage is unavailable: {body:?}"
    );
    let path_or_host = db_url
        .split_once("://")
        .map_or(db_url, |(_, rest)| rest)
        .trim_start_matches('/');
    for detail in [
        path_or_host,
        "/",
        "sqlite",
        "postgres",
        "127.0.0.1",
        "merchant.db",
        "database",
        "pool",
        "connection",
        "os error",
    ] {
        assert!(
            !body.to_ascii_lowercase().contains(detail),
            "the public 503 names {detail:?}: {body:?}"
        );
    }
}

/// The figures of one outage run.
struct OutageFigures {
    refused: usize,
    outage_secs: f64,
    resent: usize,
}

/// The common scenario: 20 calls before, 25 during (20 new orders and 5
/// advances), healthz during, recovery, the 25 resent, the records checked.
async fn outage_scenario(
    db_url: &str,
    fault: impl AsyncFnOnce(),
    recover: impl AsyncFnOnce(),
) -> OutageFigures {
    let http = http_client(Duration::from_secs(60));
    let svc = start_service(db_url).await;
    // The shop's 40 checkouts, saved before any outage (each order's CGI
    // calls carry its sendid `S-OUT-i`).
    for i in 0..40 {
        post_checkout(&http, &svc.base, &format!("S-OUT-{i}"), 1000).await;
    }
    let before = calls(0..20, "03");
    for (i, (code, body)) in send_all(&http, &svc.base, &before).await.iter().enumerate() {
        assert_eq!(
            (*code, body.as_str()),
            (200, "successok"),
            "before: {:?}",
            before[i]
        );
    }
    assert_eq!(healthz(&http, &svc.base).await, 200);

    fault().await;
    let started = Instant::now();
    let mut during = calls(20..40, "03");
    during.extend(calls(0..5, "07"));
    // The calls and /healthz at once: against a stopped server each waits
    // for the pool's acquire timeout (10 s) before answering 503.
    let (answers, health) = tokio::join!(
        send_all(&http, &svc.base, &during),
        healthz(&http, &svc.base)
    );
    assert_eq!(health, 503, "/healthz tells");
    for (i, (code, body)) in answers.iter().enumerate() {
        assert_eq!(*code, 503, "during the outage: {:?}: {body}", during[i]);
        assert!(
            !body.starts_with("successok"),
            "never successok during the outage: {body}"
        );
        assert_public_503_says_only_storage_unavailable(body, db_url);
    }
    let outage_secs = started.elapsed().as_secs_f64();

    recover().await;
    assert_eq!(
        healthz(&http, &svc.base).await,
        200,
        "/healthz after recovery"
    );
    for (i, (code, body)) in send_all(&http, &svc.base, &during).await.iter().enumerate() {
        assert_eq!(
            (*code, body.as_str()),
            (200, "successok"),
            "resent: {:?}",
            during[i]
        );
    }
    // Each order: applied exactly once, nothing recorded during the outage.
    for i in 0..40 {
        let o = order_json(&http, &svc.operator, &format!("OUT-{i}")).await;
        let (want_status, want_steps) = if i < 5 { ("07", 2) } else { ("03", 1) };
        assert_eq!(o["status"]["code"], want_status, "OUT-{i}: {o}");
        assert_eq!(
            o["history"].as_array().map(Vec::len),
            Some(want_steps),
            "OUT-{i}: {o}"
        );
        assert_eq!(o["notifications"], want_steps, "OUT-{i}: {o}");
        assert_eq!(o["duplicates"], 0, "OUT-{i}: nothing half-recorded: {o}");
        assert_eq!(o["flagged"], 0, "OUT-{i}: its own checkout: {o}");
    }
    svc.shutdown().await;
    OutageFigures {
        refused: during.len(),
        outage_secs,
        resent: during.len(),
    }
}

#[test]
fn r_cg_1_sqlite_directory_moved_away_is_503_then_resends_apply_once() {
    let rt = runtime();
    let db = TestDb::sqlite();
    let dir = db.sqlite_dir();
    let away = dir.with_file_name("db-away");
    let f = rt.block_on(within(
        Duration::from_secs(120),
        outage_scenario(
            &db.url,
            async || std::fs::rename(&dir, &away).expect("move the directory away"),
            async || std::fs::rename(&away, &dir).expect("move it back"),
        ),
    ));
    println!(
        "outage sqlite dir-moved: {} calls refused with 503 in {:.1} s, {} resent and applied once",
        f.refused, f.outage_secs, f.resent
    );
}

/// `chattr ATTR paths…`; false when chattr is missing or refused.
fn chattr(attr: &str, paths: &[PathBuf]) -> bool {
    Command::new("chattr")
        .arg(attr)
        .args(paths)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Clears the immutable flag when dropped, so the temporary directory can
/// be removed even when the test fails.
struct Mutable(Vec<PathBuf>);

impl Drop for Mutable {
    fn drop(&mut self) {
        chattr("-i", &self.0);
    }
}

fn immutable_supported(dir: &Path) -> bool {
    let probe = dir.join("chattr-probe");
    if std::fs::write(&probe, b"x").is_err() {
        return false;
    }
    let _guard = Mutable(vec![probe.clone()]);
    let ok = chattr("+i", std::slice::from_ref(&probe))
        && std::fs::OpenOptions::new()
            .append(true)
            .open(&probe)
            .is_err();
    drop(_guard);
    let _ = std::fs::remove_file(&probe);
    ok
}

#[test]
fn r_cg_1_sqlite_files_immutable_is_503_then_resends_apply_once() {
    let rt = runtime();
    let db = TestDb::sqlite();
    let dir = db.sqlite_dir();
    if !immutable_supported(&dir) {
        println!(
            "SKIPPED: r_cg_1_sqlite_files_immutable_is_503_then_resends_apply_once: chattr +i is not supported here"
        );
        return;
    }
    let files = vec![dir.join("merchant.db"), dir.join("merchant.db-wal")];
    let guard = Mutable(files.clone());
    let f = rt.block_on(within(
        Duration::from_secs(120),
        outage_scenario(
            &db.url,
            async || assert!(chattr("+i", &files), "chattr +i"),
            async || assert!(chattr("-i", &files), "chattr -i"),
        ),
    ));
    drop(guard);
    println!(
        "outage sqlite immutable: {} calls refused with 503 in {:.1} s, {} resent and applied once",
        f.refused, f.outage_secs, f.resent
    );
}

/// A PostgreSQL cluster of this test's own, made with
/// `scripts/pg-test.sh` in its own directory and port range.
struct OwnCluster {
    dir: PathBuf,
    port: u16,
    admin_url: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-test.sh")
}

fn pg_script(dir: &Path, first_port: u16, action: &str) -> Result<String, String> {
    let out = Command::new("bash")
        .arg(script())
        .arg(action)
        .env("ZEUS_CARRIER_PG_DIR", dir)
        .env("ZEUS_CARRIER_PG_PORT", first_port.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The PostgreSQL binaries the script used.
fn pg_bin() -> PathBuf {
    if let Ok(b) = std::env::var("ZEUS_CARRIER_PG_BIN") {
        return PathBuf::from(b);
    }
    let default = PathBuf::from("/usr/lib/postgresql/15/bin");
    if default.join("pg_ctl").exists() {
        return default;
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop().unwrap_or(default)
}

impl OwnCluster {
    fn start() -> Result<OwnCluster, String> {
        let dir = std::env::temp_dir().join(format!("zeus-faults-pg-{}", std::process::id()));
        let out = pg_script(&dir, 55400, "start")?;
        let admin_url = out
            .lines()
            .find_map(|l| l.strip_prefix("export ZEUS_CARRIER_TEST_PG_URL="))
            .ok_or_else(|| format!("no URL in {out:?}"))?
            .to_owned();
        let port = admin_url
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("no port in {admin_url}"))?;
        Ok(OwnCluster {
            dir,
            port,
            admin_url,
        })
    }

    /// `pg_ctl stop -m fast`, keeping the data.
    fn stop_server(&self) {
        let pg_ctl = pg_bin().join("pg_ctl");
        let data = self.dir.join("data");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(pg_ctl);
            c
        } else {
            Command::new(pg_ctl)
        };
        let out = cmd
            .arg("-D")
            .arg(&data)
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .expect("run pg_ctl");
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts the server again on the same data and port.
    fn start_server(&self) {
        let out = pg_script(&self.dir, self.port, "start").expect("restart the cluster");
        assert!(
            out.contains(&format!(":{}/", self.port)),
            "restarted on the same port: {out}"
        );
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = pg_script(&self.dir, self.port, "stop");
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[test]
fn r_cg_1_postgres_stopped_is_503_then_resends_apply_once() {
    const TEST: &str = "r_cg_1_postgres_stopped_is_503_then_resends_apply_once";
    if std::env::var(crate::support::PG_URL_VAR).is_err() {
        skip_pg(TEST, "needs PostgreSQL (scripts/pg-test.sh start)");
        return;
    }
    let cluster = match OwnCluster::start() {
        Ok(c) => c,
        Err(e) => {
            skip_pg(TEST, &format!("a throwaway cluster could not start: {e}"));
            return;
        }
    };
    let rt = runtime();
    let db = rt.block_on(TestDb::postgres_in(&cluster.admin_url));
    let f = rt.block_on(within(
        Duration::from_secs(150),
        outage_scenario(
            &db.url,
            async || cluster.stop_server(),
            async || cluster.start_server(),
        ),
    ));
    println!(
        "outage postgres stopped: {} calls refused with 503 in {:.1} s, {} resent and applied once",
        f.refused, f.outage_secs, f.resent
    );
    rt.block_on(db.cleanup());
    drop(cluster);
}
